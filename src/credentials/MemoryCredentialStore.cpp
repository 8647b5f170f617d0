#include "credentials/MemoryCredentialStore.h"

#include <QMetaObject>

#include <memory>

using namespace Qt::Literals::StringLiterals;

namespace Credentials {

namespace {

// Queued on the context: Qt drops the call if the context is destroyed first.
template <typename Function>
void later(QObject *context, Function function)
{
    QMetaObject::invokeMethod(context, std::move(function), Qt::QueuedConnection);
}

} // namespace

void MemoryCredentialStore::read(const QString &key, QObject *context, ReadHandler handler)
{
    std::shared_ptr<ReadResult> result;
    if (m_failure) {
        result = std::make_shared<ReadResult>(*m_failure);
    } else if (const auto it = m_items.find(key); it != m_items.end()) {
        result = std::make_shared<ReadResult>(Wsman::Secret::fromUtf8(it->second.utf8()));
    } else {
        result = std::make_shared<ReadResult>(Error{ErrorKind::NotFound, u"No secret is stored under this key"_s});
    }
    later(context ? context : this, [result, handler = std::move(handler)] { handler(std::move(*result)); });
}

void MemoryCredentialStore::write(const QString &key, const Wsman::Secret &secret, QObject *context, DoneHandler handler)
{
    DoneResult result = m_failure;
    if (!result)
        m_items.insert_or_assign(key, Wsman::Secret::fromUtf8(secret.utf8()));
    later(context ? context : this, [result, handler = std::move(handler)] { handler(result); });
}

void MemoryCredentialStore::remove(const QString &key, QObject *context, DoneHandler handler)
{
    DoneResult result = m_failure;
    if (!result)
        m_items.erase(key);
    later(context ? context : this, [result, handler = std::move(handler)] { handler(result); });
}

} // namespace Credentials
