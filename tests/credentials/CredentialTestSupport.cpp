#include "CredentialTestSupport.h"

#include <QCoreApplication>
#include <QDeadlineTimer>

namespace CredentialTest {

bool spinUntil(const std::function<bool()> &done, int guardMs)
{
    const QDeadlineTimer guard(guardMs);
    while (!done() && !guard.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 50);
    return done();
}

std::optional<Credentials::ReadResult> readSecret(Credentials::CredentialStore &store, const QString &key)
{
    std::optional<Credentials::ReadResult> result;
    QObject context;
    store.read(key, &context, [&result](Credentials::ReadResult r) { result.emplace(std::move(r)); });
    spinUntil([&result] { return result.has_value(); });
    return result;
}

std::optional<Credentials::DoneResult> writeSecret(Credentials::CredentialStore &store, const QString &key, QStringView secret)
{
    std::optional<Credentials::DoneResult> result;
    QObject context;
    store.write(key, Wsman::Secret(secret), &context, [&result](Credentials::DoneResult r) { result.emplace(std::move(r)); });
    spinUntil([&result] { return result.has_value(); });
    return result;
}

std::optional<Credentials::DoneResult> removeSecret(Credentials::CredentialStore &store, const QString &key)
{
    std::optional<Credentials::DoneResult> result;
    QObject context;
    store.remove(key, &context, [&result](Credentials::DoneResult r) { result.emplace(std::move(r)); });
    spinUntil([&result] { return result.has_value(); });
    return result;
}

std::string failureOf(const std::optional<Credentials::DoneResult> &result)
{
    if (!result)
        return "no answer";
    if (result->has_value())
        return (*result)->message.isEmpty() ? std::string("failed without a message") : (*result)->message.toStdString();
    return {};
}

QString secretText(const Credentials::ReadResult &result)
{
    return result.ok() ? QString::fromUtf8(result.secret().utf8()) : QString();
}

} // namespace CredentialTest
