#include "auth/NtlmSecurity.h"

#include <openssl/crypto.h>

using namespace Qt::Literals::StringLiterals;

namespace Auth::Ntlm {

namespace {

// MS-NLMP 3.4.5.2 / 3.4.5.3 magic constants; sizeof keeps the terminating NUL they include.
constexpr char ClientSigningText[] = "session key to client-to-server signing key magic constant";
constexpr char ServerSigningText[] = "session key to server-to-client signing key magic constant";
constexpr char ClientSealingText[] = "session key to client-to-server sealing key magic constant";
constexpr char ServerSealingText[] = "session key to server-to-client sealing key magic constant";
constexpr QByteArrayView ClientSigning(ClientSigningText, sizeof ClientSigningText);
constexpr QByteArrayView ServerSigning(ServerSigningText, sizeof ServerSigningText);
constexpr QByteArrayView ClientSealing(ClientSealingText, sizeof ClientSealingText);
constexpr QByteArrayView ServerSealing(ServerSealingText, sizeof ServerSealingText);

QByteArray le32(quint32 value)
{
    QByteArray out;
    for (int shift = 0; shift < 32; shift += 8)
        out.append(char((value >> shift) & 0xff));
    return out;
}

KeyDirection keyDirection(Role role, Direction direction)
{
    const bool clientToServer = (role == Role::Client) == (direction == Direction::Outgoing);
    return clientToServer ? KeyDirection::ClientToServer : KeyDirection::ServerToClient;
}

} // namespace

Result<QByteArray> signKey(const CryptoProvider &crypto, QByteArrayView exportedSessionKey,
                           KeyDirection direction)
{
    QByteArray input =
        exportedSessionKey.toByteArray() +
        (direction == KeyDirection::ClientToServer ? ClientSigning : ServerSigning).toByteArray();
    Result<QByteArray> key = crypto.md5(input);
    wipe(input);
    return key;
}

Result<QByteArray> sealKey(const CryptoProvider &crypto, QByteArrayView exportedSessionKey,
                           NegotiateFlags flags, KeyDirection direction)
{
    qsizetype length = 5;
    if (flags.testFlag(NegotiateFlag::Key128))
        length = 16;
    else if (flags.testFlag(NegotiateFlag::Key56))
        length = 7;
    if (exportedSessionKey.size() < length)
        return makeError(ErrorCode::InvalidArgument,
                         u"NTLM session key shorter than the sealing key"_s);
    QByteArray input =
        exportedSessionKey.first(length).toByteArray() +
        (direction == KeyDirection::ClientToServer ? ClientSealing : ServerSealing).toByteArray();
    Result<QByteArray> key = crypto.md5(input);
    wipe(input);
    return key;
}

Result<NtlmSecurity> NtlmSecurity::create(const CryptoProvider &crypto,
                                          QByteArrayView exportedSessionKey, NegotiateFlags flags,
                                          Role role)
{
    if (!flags.testFlag(NegotiateFlag::ExtendedSessionSecurity))
        return makeError(
            ErrorCode::Unsupported,
            u"NTLM session security without NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY is not supported"_s);
    if (exportedSessionKey.size() != 16)
        return makeError(ErrorCode::InvalidArgument, u"NTLM session key must be 16 bytes"_s);
    const KeyDirection outgoing = keyDirection(role, Direction::Outgoing);
    const KeyDirection incoming = keyDirection(role, Direction::Incoming);
    Result<QByteArray> outgoingSeal = sealKey(crypto, exportedSessionKey, flags, outgoing);
    Result<QByteArray> incomingSeal = sealKey(crypto, exportedSessionKey, flags, incoming);
    Result<QByteArray> outgoingSign = signKey(crypto, exportedSessionKey, outgoing);
    Result<QByteArray> incomingSign = signKey(crypto, exportedSessionKey, incoming);
    for (const Result<QByteArray> *key :
         {&outgoingSeal, &incomingSeal, &outgoingSign, &incomingSign}) {
        if (!*key)
            return key->error();
    }
    Result<Rc4> outgoingCipher = crypto.rc4(*outgoingSeal);
    Result<Rc4> incomingCipher = crypto.rc4(*incomingSeal);
    wipe(*outgoingSeal);
    wipe(*incomingSeal);
    if (!outgoingCipher)
        return outgoingCipher.error();
    if (!incomingCipher)
        return incomingCipher.error();
    NtlmSecurity security(crypto, flags, std::move(outgoingCipher).value(),
                          std::move(incomingCipher).value());
    security.m_outgoingSignKey = std::move(outgoingSign).value();
    security.m_incomingSignKey = std::move(incomingSign).value();
    return security;
}

NtlmSecurity::NtlmSecurity(const CryptoProvider &crypto, NegotiateFlags flags, Rc4 outgoing,
                           Rc4 incoming)
    : m_crypto(&crypto), m_flags(flags), m_outgoingCipher(std::move(outgoing)),
      m_incomingCipher(std::move(incoming))
{
}

NtlmSecurity::~NtlmSecurity()
{
    wipe(m_outgoingSignKey);
    wipe(m_incomingSignKey);
}

Result<QByteArray> NtlmSecurity::checksum(QByteArrayView key, quint32 sequence,
                                          QByteArrayView message) const
{
    Result<QByteArray> mac =
        m_crypto->hmacMd5(key, QByteArray(le32(sequence) + message.toByteArray()));
    if (!mac)
        return mac.error();
    return mac->first(8);
}

// MS-NLMP 3.4.4.2: 01000000 ‖ checksum (RC4-encrypted when KEY_EXCH) ‖ SeqNum.
Result<QByteArray> NtlmSecurity::signature(Rc4 &cipher, QByteArrayView key, quint32 sequence,
                                           QByteArrayView message)
{
    Result<QByteArray> sum = checksum(key, sequence, message);
    if (!sum)
        return sum.error();
    if (m_flags.testFlag(NegotiateFlag::KeyExchange)) {
        sum = cipher.process(*sum);
        if (!sum)
            return sum.error();
    }
    return QByteArray(le32(1) + *sum + le32(sequence));
}

Result<void> NtlmSecurity::check(QByteArrayView expected, QByteArrayView received,
                                 quint32 sequence) const
{
    if (received.size() != 16)
        return makeError(ErrorCode::IntegrityFailure,
                         u"NTLM signature of %1 bytes, expected 16"_s.arg(received.size()));
    if (received.last(4) != expected.last(4))
        return makeError(ErrorCode::IntegrityFailure,
                         u"NTLM signature sequence number mismatch (expected %1)"_s.arg(sequence));
    if (CRYPTO_memcmp(expected.data(), received.data(), 16) != 0)
        return makeError(ErrorCode::IntegrityFailure,
                         u"NTLM signature does not verify (sequence %1)"_s.arg(sequence));
    return {};
}

Result<SealedMessage> NtlmSecurity::seal(QByteArrayView plaintext)
{
    Result<QByteArray> data = m_outgoingCipher.process(plaintext);
    if (!data)
        return data.error();
    Result<QByteArray> sig =
        signature(m_outgoingCipher, m_outgoingSignKey, m_outgoingSequence, plaintext);
    if (!sig)
        return sig.error();
    ++m_outgoingSequence;
    return SealedMessage{std::move(sig).value(), std::move(data).value()};
}

Result<QByteArray> NtlmSecurity::unseal(QByteArrayView data, QByteArrayView received)
{
    if (received.size() != 16)
        return makeError(ErrorCode::IntegrityFailure,
                         u"NTLM signature of %1 bytes, expected 16"_s.arg(received.size()));
    Result<QByteArray> plaintext = m_incomingCipher.process(data);
    if (!plaintext)
        return plaintext.error();
    Result<QByteArray> expected =
        signature(m_incomingCipher, m_incomingSignKey, m_incomingSequence, *plaintext);
    if (!expected)
        return expected.error();
    if (Result<void> verified = check(*expected, received, m_incomingSequence); !verified) {
        wipe(*plaintext);
        return verified.error();
    }
    ++m_incomingSequence;
    return plaintext;
}

Result<QByteArray> NtlmSecurity::sign(QByteArrayView message)
{
    Result<QByteArray> sig =
        signature(m_outgoingCipher, m_outgoingSignKey, m_outgoingSequence, message);
    if (!sig)
        return sig.error();
    ++m_outgoingSequence;
    return sig;
}

Result<void> NtlmSecurity::verify(QByteArrayView message, QByteArrayView received)
{
    if (received.size() != 16)
        return makeError(ErrorCode::IntegrityFailure,
                         u"NTLM signature of %1 bytes, expected 16"_s.arg(received.size()));
    Result<QByteArray> expected =
        signature(m_incomingCipher, m_incomingSignKey, m_incomingSequence, message);
    if (!expected)
        return expected.error();
    if (Result<void> verified = check(*expected, received, m_incomingSequence); !verified)
        return verified;
    ++m_incomingSequence;
    return {};
}

Result<void> NtlmSecurity::resetCipher(Direction direction)
{
    return direction == Direction::Outgoing ? m_outgoingCipher.reset() : m_incomingCipher.reset();
}

} // namespace Auth::Ntlm
