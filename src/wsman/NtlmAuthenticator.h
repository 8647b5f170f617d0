#pragma once

#include "wsman/Authenticator.h"
#include "wsman/MessageEncryption.h"

#include "auth/ChannelBindings.h"
#include "auth/CryptoProvider.h"
#include "auth/Ntlm.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace Wsman {

// What an NtlmAuthenticator is built from, besides the password.
struct NtlmSettings {
    // "user", "DOMAIN\user" or "user@REALM".
    QString userName;
    // WinRM message encryption (dossier 4.1): on for HTTP; off for HTTPS, or HTTP with
    // AllowUnencrypted on the server (then the Channel needs NoEncryption=true).
    bool encryptMessages = true;
    // MsvAvTargetName, e.g. "HTTP/host"; none when empty.
    QString targetSpn;
    QString workstation;
    // Test hooks (ExportedSessionKey/ClientChallenge and the clock); defaults when unset.
    Auth::RandomSource random;
    std::function<quint64()> fileTimeNow;
};

// NTLM (MS-NLMP) over WinRM's HTTP "Negotiate" scheme with a raw NTLMSSP token, which WinRM
// accepts (dossier 3.5); no SPNEGO wrapping yet, so no Kerberos and no mechListMIC. Two legs:
// NEGOTIATE, then AUTHENTICATE for the 401's CHALLENGE; the context is bound to the connection
// and dropped by reset(). With encryptMessages, bodies travel as multipart/encrypted with
// application/HTTP-SPNEGO-session-encrypted (dossier 4.2, 4.3) and a plaintext answer is refused.
// Channel bindings (tls-server-end-point) are optional, for HTTPS. Holds the password as a
// Secret (each handshake reduces it to NTOWFv2 again); never puts it in an error. Owned by its
// Channel; not thread-safe.
class NtlmAuthenticator final : public Authenticator {
public:
    NtlmAuthenticator(NtlmSettings settings, Secret password);
    ~NtlmAuthenticator() override;

    QByteArray scheme() const override;
    // Credentials never travel in clear; data is protected only with message encryption.
    bool isSafeOverPlainHttp() const override { return m_settings.encryptMessages; }
    bool encryptsMessages() const override { return m_settings.encryptMessages; }

    void reset() override;
    AuthResult<AuthLeg> begin() override;
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override;
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override;
    bool isEstablished() const override { return m_state == State::Established; }
    QByteArray requestAuthorization() const override { return {}; }

    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override;
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override;

    // MsvAvChannelBindings for the next AUTHENTICATE (HTTPS; nullopt: none). May be called after
    // begin() as long as the CHALLENGE has not been answered: the certificate is known only once
    // the TLS handshake of the first leg is done.
    void setChannelBindings(std::optional<Auth::ChannelBindings> bindings);
    // RFC 5929 tls-server-end-point bindings from the server certificate (DER).
    AuthResult<bool> setServerCertificate(QByteArrayView certificateDer) override;

    // The negotiated context, for diagnostics and tests; null before AUTHENTICATE.
    const Auth::NtlmClient *context() const;

private:
    enum class State { Idle, NegotiateSent, AuthenticateSent, Established, Failed };
    AuthResult<Auth::NtlmClient> newContext() const;

    NtlmSettings m_settings;
    Secret m_password;
    std::optional<Auth::ChannelBindings> m_bindings;
    std::optional<Auth::NtlmClient> m_context;
    QByteArray m_negotiate;
    bool m_bindingsChanged = false;
    State m_state = State::Idle;
    MessageEncryption m_encryption{MessageEncryption::SpnegoProtocol.toByteArray()};
};

// A factory making NtlmAuthenticators (one per channel) with the same settings; the password is
// held once (wiped on destruction of the last factory copy). Same type as AuthenticatorFactory
// in wsman/RunspacePoolClient.h.
std::function<std::unique_ptr<Authenticator>()> ntlmAuthenticatorFactory(NtlmSettings settings, Secret password);

} // namespace Wsman
