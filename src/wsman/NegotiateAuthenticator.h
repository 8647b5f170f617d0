#pragma once

#include "wsman/Authenticator.h"
#include "wsman/MessageEncryption.h"

#include "auth/ChannelBindings.h"
#include "auth/Kerberos.h"
#include "auth/Spnego.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace Wsman {

// What a NegotiateAuthenticator is built from, besides the password.
struct NegotiateSettings {
    // "user", "DOMAIN\user" or "user@REALM" (Kerberos uses user@REALM; DOMAIN\user becomes
    // user@DOMAIN). May be empty with useTicketCache (the cache's default principal).
    QString userName;
    // The server's host name as its SPN names it: HTTP/host (dossier 3.5).
    QString host;
    int port = 0;
    // IncludePortInSPN: HTTP/host:port.
    bool includePortInSpn = false;
    // WinRM message encryption over HTTP (dossier 4.1); off on HTTPS.
    bool encryptMessages = true;
    // negotiate-implicit: Kerberos credentials from the ticket cache, no password.
    bool useTicketCache = false;
    // No NTLM fallback (the Negotiate scheme still wraps Kerberos in SPNEGO).
    bool kerberosOnly = false;
};

// The two GSSAPI-backed WinRM schemes (dossier 3.1, 3.5, 4.1-4.6):
//  - Mode::Negotiate: "Negotiate" with SPNEGO (RFC 4178) over Kerberos first and NTLM second;
//    SpnegoClient drops Kerberos when its first step fails (no ticket, no KDC) and the server's
//    choice decides; the final token on the 2xx is fed to finish() (Kerberos AP-REP, NTLM's
//    accept-completed mechListMIC); bodies as application/HTTP-SPNEGO-session-encrypted.
//  - Mode::Kerberos: "Kerberos" with a raw krb5 token; application/HTTP-Kerberos-session-encrypted.
// Legs may contact the KDC, so blocksOnLegs() is true and the Channel runs them on a worker
// thread; wrap/unwrap do not block. On HTTPS, channel bindings must be in the first token, so
// wantsServerCertificateFirst() asks the Channel for an unauthenticated first request. Holds the
// password as a Secret; never puts it in an error. Owned by its Channel; used by one thread at
// a time.
class NegotiateAuthenticator final : public Authenticator {
public:
    enum class Mode { Negotiate, Kerberos };

    NegotiateAuthenticator(Mode mode, NegotiateSettings settings, Secret password);
    ~NegotiateAuthenticator() override;

    QByteArray scheme() const override;
    bool isSafeOverPlainHttp() const override { return m_settings.encryptMessages; }
    bool encryptsMessages() const override { return m_settings.encryptMessages; }
    bool blocksOnLegs() const override { return true; }
    bool wantsServerCertificateFirst() const override { return true; }

    void reset() override;
    AuthResult<AuthLeg> begin() override;
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override;
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override;
    bool isEstablished() const override { return m_state == State::Established; }
    QByteArray requestAuthorization() const override { return {}; }
    AuthResult<bool> setServerCertificate(QByteArrayView certificateDer) override;

    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override;
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override;

    // "Kerberos" or "NTLM" once the server chose; empty before.
    QString mechanismName() const;
    // Why mechanisms were skipped or chosen (no secrets).
    QStringList diagnostics() const { return m_diagnostics; }

private:
    enum class State { Idle, InProgress, Established, Failed };
    Auth::KerberosClientOptions kerberosOptions() const;
    AuthResult<QByteArray> startContext();
    AuthResult<QByteArray> step(QByteArrayView input);
    AuthError failWith(AuthError error);

    Mode m_mode;
    NegotiateSettings m_settings;
    Secret m_password;
    std::optional<Auth::ChannelBindings> m_bindings;
    std::optional<Auth::SpnegoClient> m_spnego;
    std::optional<Auth::KerberosClient> m_kerberos;
    QStringList m_diagnostics;
    State m_state = State::Idle;
    MessageEncryption m_encryption;
};

// Factories making one authenticator per channel; the password is held once (wiped on
// destruction of the last factory copy). With useTicketCache the password may be empty.
AuthenticatorFactory negotiateAuthenticatorFactory(NegotiateSettings settings, Secret password);
AuthenticatorFactory kerberosAuthenticatorFactory(NegotiateSettings settings, Secret password);


} // namespace Wsman
