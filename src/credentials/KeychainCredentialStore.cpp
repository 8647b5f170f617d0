#include "credentials/KeychainCredentialStore.h"

#include "wsman/TrustedHosts.h"

#include <QPointer>

#include <algorithm>

#include <qt6keychain/keychain.h>

using namespace Qt::Literals::StringLiterals;

namespace Credentials {

namespace {

Error errorOf(const QKeychain::Job &job)
{
    ErrorKind kind = ErrorKind::Other;
    switch (job.error()) {
    case QKeychain::EntryNotFound:
        kind = ErrorKind::NotFound;
        break;
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        kind = ErrorKind::AccessDenied;
        break;
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        kind = ErrorKind::NoBackend;
        break;
    case QKeychain::NoError:
    case QKeychain::CouldNotDeleteEntry:
    case QKeychain::OtherError:
        break;
    }
    QString message = job.errorString();
    if (message.isEmpty())
        message = u"QtKeychain error %1 without a message"_s.arg(int(job.error()));
    return Error{kind, message};
}

template <typename JobType>
JobType *makeJob(const QString &service, const QString &key)
{
    auto *job = new JobType(service);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    return job;
}

} // namespace

KeychainCredentialStore::KeychainCredentialStore(QObject *parent)
    : KeychainCredentialStore(QString(Wsman::SettingsApplication), parent)
{
}

KeychainCredentialStore::KeychainCredentialStore(QString service, QObject *parent)
    : CredentialStore(parent), m_service(std::move(service))
{
}

void KeychainCredentialStore::read(const QString &key, QObject *context, ReadHandler handler)
{
    auto *job = makeJob<QKeychain::ReadPasswordJob>(m_service, key);
    const QPointer<QObject> guard(context ? context : this);
    connect(job, &QKeychain::Job::finished, this, [guard, handler = std::move(handler)](QKeychain::Job *finished) {
        if (!guard)
            return;
        if (finished->error() != QKeychain::NoError) {
            handler(errorOf(*finished));
            return;
        }
        // Text items come back as their UTF-8 bytes. The job's own buffer is QtKeychain's and
        // freed with the job; no extra copy is made here.
        const QByteArray data = static_cast<QKeychain::ReadPasswordJob *>(finished)->binaryData();
        handler(Wsman::Secret::fromUtf8(data));
    });
    job->start();
}

void KeychainCredentialStore::write(const QString &key, const Wsman::Secret &secret, QObject *context, DoneHandler handler)
{
    auto *job = makeJob<QKeychain::WritePasswordJob>(m_service, key);
    // Stored as text so keychain managers (Seahorse, secret-tool) show a readable password.
    // The job keeps its own UTF-8 copy (QtKeychain's, freed unwiped with the job); ours is wiped.
    QString text = QString::fromUtf8(secret.utf8());
    job->setTextData(text);
    std::fill(text.begin(), text.end(), QChar());
    const QPointer<QObject> guard(context ? context : this);
    connect(job, &QKeychain::Job::finished, this, [guard, handler = std::move(handler)](QKeychain::Job *finished) {
        if (!guard)
            return;
        handler(finished->error() == QKeychain::NoError ? DoneResult{} : DoneResult{errorOf(*finished)});
    });
    job->start();
}

void KeychainCredentialStore::remove(const QString &key, QObject *context, DoneHandler handler)
{
    auto *job = makeJob<QKeychain::DeletePasswordJob>(m_service, key);
    const QPointer<QObject> guard(context ? context : this);
    connect(job, &QKeychain::Job::finished, this, [guard, handler = std::move(handler)](QKeychain::Job *finished) {
        if (!guard)
            return;
        const QKeychain::Error error = finished->error();
        handler(error == QKeychain::NoError || error == QKeychain::EntryNotFound ? DoneResult{} : DoneResult{errorOf(*finished)});
    });
    job->start();
}

} // namespace Credentials
