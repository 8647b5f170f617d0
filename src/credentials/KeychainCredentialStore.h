#pragma once

#include "credentials/CredentialStore.h"

#include <QString>

namespace Credentials {

// CredentialStore over QtKeychain: one autoDelete job per operation, items under the service
// name (default: the application id io.github.psremote.PSRemote), never the insecure plain-text
// fallback. A job outlives a destroyed store harmlessly; its handler is then dropped. Use from
// one thread (the one owning the store and the contexts).
class KeychainCredentialStore final : public CredentialStore {
    Q_OBJECT
public:
    explicit KeychainCredentialStore(QObject *parent = nullptr);
    explicit KeychainCredentialStore(QString service, QObject *parent = nullptr);

    const QString &service() const { return m_service; }

    void read(const QString &key, QObject *context, ReadHandler handler) override;
    void write(const QString &key, const Wsman::Secret &secret, QObject *context, DoneHandler handler) override;
    void remove(const QString &key, QObject *context, DoneHandler handler) override;

private:
    QString m_service;
};

} // namespace Credentials
