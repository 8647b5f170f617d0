#pragma once

#include "auth/ChannelBindings.h"
#include "auth/CryptoProvider.h"
#include "auth/Error.h"
#include "auth/NtlmMessage.h"
#include "auth/NtlmSecurity.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <functional>
#include <optional>

namespace Auth {

// What an NTLM client context is built from (everything but the password).
struct NtlmClientOptions {
    // "user", "DOMAIN\user" (domain split off) or "user@REALM" (sent whole, empty domain).
    QString user;
    QString workstation;
    // MsvAvTargetName, e.g. "HTTP/host"; none when empty.
    QString targetSpn;
    // MsvAvChannelBindings = MD5(serialized bindings), only when given (HTTPS).
    std::optional<ChannelBindings> channelBindings;
    // Ask for SIGN+SEAL (WinRM message encryption) and refuse a server that does not grant them.
    bool confidentiality = true;
    // ExportedSessionKey and ClientChallenge; the provider's DRBG when unset.
    RandomSource random;
    // FILETIME now, used when the CHALLENGE carries no MsvAvTimestamp; the system clock when unset.
    std::function<quint64()> fileTimeNow;
    Ntlm::Version version;
};

// An NTLMv2 client security context (MS-NLMP 3.1.5): step() turns server tokens into client
// tokens (NEGOTIATE, then AUTHENTICATE), then wrap/unwrap protect messages. Sans-IO: the caller
// carries the tokens. The password is reduced to NTOWFv2 at creation and never kept; key
// material is wiped on destruction. Move-only, not thread-safe; one per connection.
class NtlmClient {
public:
    static Result<NtlmClient> create(NtlmClientOptions options, QByteArrayView passwordUtf8);
    NtlmClient(NtlmClient &&) noexcept;
    NtlmClient &operator=(NtlmClient &&) noexcept;
    NtlmClient(const NtlmClient &) = delete;
    NtlmClient &operator=(const NtlmClient &) = delete;
    ~NtlmClient();

    // First call: empty input, returns NEGOTIATE. Second: the CHALLENGE, returns AUTHENTICATE and
    // completes the context. Any further call is InvalidState.
    Result<QByteArray> step(QByteArrayView inputToken);
    bool isComplete() const { return m_state == State::Complete; }

    Ntlm::NegotiateFlags negotiatedFlags() const { return m_negotiatedFlags; }
    // ExportedSessionKey (16 bytes; CredSSP's pubKeyAuth uses the context, SPNEGO the MIC); empty
    // before completion. A deep copy the caller should wipe.
    QByteArray sessionKey() const;
    // Which user/domain the AUTHENTICATE message names (after splitting the user forms).
    QString userName() const { return m_userName; }
    QString domainName() const { return m_domainName; }

    // GSS_Wrap: signature(16) ‖ sealed data / its reverse.
    Result<QByteArray> wrap(QByteArrayView plaintext);
    Result<QByteArray> unwrap(QByteArrayView token);
    // The same with the signature kept apart (WinRM encryption: L = 16, signature, then data).
    Result<Ntlm::SealedMessage> wrapSeparate(QByteArrayView plaintext);
    Result<QByteArray> unwrapSeparate(QByteArrayView data, QByteArrayView signature);
    // GSS_GetMIC / GSS_VerifyMIC (SPNEGO mechListMIC).
    Result<QByteArray> sign(QByteArrayView message);
    Result<void> verify(QByteArrayView message, QByteArrayView signature);
    // The SPNEGO RC4 reset hook (dossier 3.3).
    Result<void> resetCipher(Ntlm::Direction direction);

private:
    enum class State { Initial, NegotiateSent, Complete, Failed };
    NtlmClient() = default;
    Result<QByteArray> authenticate(QByteArrayView challengeToken);
    Result<Ntlm::NtlmSecurity *> security();

    const CryptoProvider *m_crypto = nullptr;
    NtlmClientOptions m_options;
    QString m_userName;
    QString m_domainName;
    QByteArray m_responseKeyNt;
    QByteArray m_negotiate;
    QByteArray m_exportedSessionKey;
    Ntlm::NegotiateFlags m_negotiatedFlags;
    State m_state = State::Initial;
    std::optional<Ntlm::NtlmSecurity> m_security;
};

} // namespace Auth
