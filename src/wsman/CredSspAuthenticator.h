#pragma once

#include "wsman/Authenticator.h"
#include "wsman/MessageEncryption.h"
#include "wsman/Secret.h"

#include "auth/CredSsp.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace Wsman {

// What a CredSspAuthenticator is built from, besides the password.
struct CredSspSettings {
    // "DOMAIN\user" (TSPasswordCreds domain + user) or "user@domain".
    QString userName;
    // The server's host name: the inner SPNEGO context's SPN is HTTP/host (dossier 3.5).
    QString host;
    int port = 0;
    // WinRM message encryption over HTTP (dossier 4.1, 4.5); off on HTTPS.
    bool encryptMessages = true;
    // Lowest TSRequest version accepted (5 insists on the CVE-2018-0886 fix).
    int minimumVersion = 2;
    // Offer Kerberos before NTLM inside SPNEGO (may contact a KDC); NTLM only when false.
    bool kerberos = true;
};

// The "CredSSP" WinRM scheme (dossier 3.6, MS-CSSP): the Authorization/WWW-Authenticate tokens
// are raw TLS records of an inner TLS session carrying TSRequests (Auth::CredSspClient); after
// SPNEGO and the pubKeyAuth exchange the user's password is DELEGATED to the server, so the
// caller must have the user's explicit consent before building one (the CLI asks for it).
// Bodies are TLS-encrypted as application/HTTP-CredSSP-session-encrypted, in 16 KiB parts
// (multipart/x-multi-encrypted) above that size. Legs may contact a KDC (Kerberos inside SPNEGO),
// so blocksOnLegs() is true (false with kerberos off). Holds the password as a Secret for
// re-authentication on a new connection; never puts it in an error. Owned by its Channel; used
// by one thread at a time.
class CredSspAuthenticator final : public Authenticator {
public:
    // MS-WSMV 2.2.9.1.3: the largest plaintext one encrypted part carries.
    static constexpr qsizetype MaxPartSize = 16384;

    CredSspAuthenticator(CredSspSettings settings, Secret password);
    ~CredSspAuthenticator() override;

    QByteArray scheme() const override { return QByteArrayLiteral("CredSSP"); }
    bool isSafeOverPlainHttp() const override { return m_settings.encryptMessages; }
    bool encryptsMessages() const override { return m_settings.encryptMessages; }
    bool blocksOnLegs() const override { return m_settings.kerberos; }

    void reset() override;
    AuthResult<AuthLeg> begin() override;
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override;
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override;
    bool isEstablished() const override { return m_state == State::Established; }
    QByteArray requestAuthorization() const override { return {}; }

    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override;
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override;

    // The inner mechanism ("NTLM", "Kerberos") once chosen, the TSRequest version and inner TLS
    // suite once known; why mechanisms were skipped (no secrets).
    QString mechanismName() const;
    int negotiatedVersion() const { return m_client ? m_client->negotiatedVersion() : 0; }
    QString tlsCipher() const { return m_client ? m_client->tlsCipher() : QString(); }
    QStringList diagnostics() const { return m_diagnostics; }

private:
    enum class State { Idle, InProgress, Established, Failed };
    AuthResult<QByteArray> startContext();
    AuthError failWith(AuthError error);

    CredSspSettings m_settings;
    Secret m_password;
    std::optional<Auth::CredSspClient> m_client;
    QStringList m_diagnostics;
    State m_state = State::Idle;
    MessageEncryption m_encryption;
};

// One authenticator per channel; the password is held once (wiped with the last factory copy).
// Only for callers that have the user's consent to delegate the password.
AuthenticatorFactory credSspAuthenticatorFactory(CredSspSettings settings, Secret password);

} // namespace Wsman
