#pragma once

#include "auth/CryptoProvider.h"
#include "auth/Error.h"
#include "auth/NtlmMessage.h"

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace Auth::Ntlm {

enum class Role { Client, Server };
enum class Direction { Outgoing, Incoming };
enum class KeyDirection { ClientToServer, ServerToClient };

// A sealed message kept in two parts, as WinRM message encryption sends them (dossier 4.3).
struct SealedMessage {
    QByteArray signature; // 16 bytes: version 1, checksum, sequence number
    QByteArray data;      // RC4 ciphertext, as long as the plaintext
};

// MS-NLMP 3.4.5.2 SIGNKEY with extended session security.
Result<QByteArray> signKey(const CryptoProvider &crypto, QByteArrayView exportedSessionKey,
                           KeyDirection direction);
// MS-NLMP 3.4.5.3 SEALKEY with extended session security (128/56/40-bit by the flags).
Result<QByteArray> sealKey(const CryptoProvider &crypto, QByteArrayView exportedSessionKey,
                           NegotiateFlags flags, KeyDirection direction);

// NTLM session security after the handshake (MS-NLMP 3.4, extended session security only):
// sign and seal keys and one RC4 stream per direction, sequence numbers counting per direction.
// The role picks which keys are outgoing. Move-only; key material is wiped on destruction.
// Borrows the CryptoProvider, which must outlive it.
class NtlmSecurity {
public:
    static Result<NtlmSecurity> create(const CryptoProvider &crypto,
                                       QByteArrayView exportedSessionKey, NegotiateFlags flags,
                                       Role role);
    NtlmSecurity(NtlmSecurity &&) noexcept = default;
    NtlmSecurity &operator=(NtlmSecurity &&) noexcept = default;
    NtlmSecurity(const NtlmSecurity &) = delete;
    NtlmSecurity &operator=(const NtlmSecurity &) = delete;
    ~NtlmSecurity();

    // MS-NLMP 3.4.3 SEAL (GSS_WrapEx): encrypt the message, then its checksum, with the outgoing
    // stream.
    Result<SealedMessage> seal(QByteArrayView plaintext);
    // The reverse with the incoming stream; IntegrityFailure when the signature does not verify.
    Result<QByteArray> unseal(QByteArrayView data, QByteArrayView signature);
    // MS-NLMP 3.4.4 MAC without sealing (GSS_GetMICEx), e.g. the SPNEGO mechListMIC.
    Result<QByteArray> sign(QByteArrayView message);
    Result<void> verify(QByteArrayView message, QByteArrayView signature);

    // SPNEGO (dossier 3.3): after the mechListMIC, restart that direction's RC4 stream from its
    // key; the sequence number keeps counting.
    Result<void> resetCipher(Direction direction);

    quint32 sequenceNumber(Direction direction) const
    {
        return direction == Direction::Outgoing ? m_outgoingSequence : m_incomingSequence;
    }

private:
    NtlmSecurity(const CryptoProvider &crypto, NegotiateFlags flags, Rc4 outgoing, Rc4 incoming);
    Result<QByteArray> checksum(QByteArrayView signKey, quint32 sequence,
                                QByteArrayView message) const;
    Result<QByteArray> signature(Rc4 &cipher, QByteArrayView signKey, quint32 sequence,
                                 QByteArrayView message);
    Result<void> check(QByteArrayView expected, QByteArrayView received, quint32 sequence) const;

    const CryptoProvider *m_crypto;
    NegotiateFlags m_flags;
    QByteArray m_outgoingSignKey;
    QByteArray m_incomingSignKey;
    Rc4 m_outgoingCipher;
    Rc4 m_incomingCipher;
    quint32 m_outgoingSequence = 0;
    quint32 m_incomingSequence = 0;
};

} // namespace Auth::Ntlm
