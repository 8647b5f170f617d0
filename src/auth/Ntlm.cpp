#include "auth/Ntlm.h"

#include <QDateTime>
#include <QtEndian>

#include <openssl/crypto.h>

using namespace Qt::Literals::StringLiterals;

namespace Auth {

using namespace Ntlm;

namespace {

NegotiateFlags requestedFlags(bool confidentiality)
{
    // dossier 3.3: what SSPI/pyspnego ask for; SIGN always, SEAL for message encryption.
    NegotiateFlags flags = NegotiateFlag::Unicode | NegotiateFlag::Oem |
                           NegotiateFlag::RequestTarget | NegotiateFlag::Ntlm |
                           NegotiateFlag::AlwaysSign | NegotiateFlag::ExtendedSessionSecurity |
                           NegotiateFlag::Key128 | NegotiateFlag::KeyExchange |
                           NegotiateFlag::Key56 | NegotiateFlag::Version | NegotiateFlag::Sign;
    if (confidentiality)
        flags |= NegotiateFlag::Seal;
    return flags;
}

QByteArray le32(quint32 value)
{
    QByteArray out;
    for (int shift = 0; shift < 32; shift += 8)
        out.append(char((value >> shift) & 0xff));
    return out;
}

} // namespace

Result<NtlmClient> NtlmClient::create(NtlmClientOptions options, QByteArrayView passwordUtf8)
{
    Result<const CryptoProvider *> crypto = CryptoProvider::shared();
    if (!crypto)
        return crypto.error();
    NtlmClient client;
    client.m_crypto = *crypto;
    if (const qsizetype slash = options.user.indexOf(u'\\'); slash >= 0) {
        client.m_domainName = options.user.left(slash);
        client.m_userName = options.user.mid(slash + 1);
    } else {
        client.m_userName = options.user;
    }
    if (client.m_userName.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         u"NTLM needs a user name (anonymous NTLM is not supported)"_s);
    if (!options.random)
        options.random = client.m_crypto->randomSource();
    if (!options.fileTimeNow)
        options.fileTimeNow = [] {
            return fileTimeFromUnixMilliseconds(QDateTime::currentMSecsSinceEpoch());
        };
    Result<QByteArray> key =
        ntowfV2(*client.m_crypto, passwordUtf8, client.m_userName, client.m_domainName);
    if (!key)
        return key.error();
    client.m_responseKeyNt = std::move(key).value();
    client.m_options = std::move(options);
    return client;
}

NtlmClient::NtlmClient(NtlmClient &&) noexcept = default;
NtlmClient &NtlmClient::operator=(NtlmClient &&) noexcept = default;

NtlmClient::~NtlmClient()
{
    wipe(m_responseKeyNt);
    wipe(m_exportedSessionKey);
}

QByteArray NtlmClient::sessionKey() const
{
    return QByteArray(m_exportedSessionKey.constData(), m_exportedSessionKey.size());
}

Result<QByteArray> NtlmClient::step(QByteArrayView inputToken)
{
    switch (m_state) {
    case State::Initial:
        if (!inputToken.isEmpty())
            return makeError(ErrorCode::InvalidState,
                             u"NTLM: the first step takes no server token"_s);
        m_negotiate =
            negotiateMessage(requestedFlags(m_options.confidentiality), m_options.version);
        m_state = State::NegotiateSent;
        return m_negotiate;
    case State::NegotiateSent: {
        Result<QByteArray> token = authenticate(inputToken);
        m_state = token ? State::Complete : State::Failed;
        return token;
    }
    case State::Complete:
        return makeError(ErrorCode::InvalidState, u"NTLM: the context is already complete"_s);
    case State::Failed:
        break;
    }
    return makeError(ErrorCode::InvalidState, u"NTLM: the context failed earlier"_s);
}

Result<QByteArray> NtlmClient::authenticate(QByteArrayView challengeToken)
{
    Result<ChallengeMessage> parsed = parseChallenge(challengeToken);
    if (!parsed)
        return parsed.error();
    const ChallengeMessage &challenge = *parsed;
    if (!challenge.flags.testFlag(NegotiateFlag::Unicode))
        return makeError(ErrorCode::Unsupported,
                         u"NTLM server did not accept Unicode (OEM strings are not supported)"_s);
    if (m_options.confidentiality) {
        const NegotiateFlags needed =
            NegotiateFlag::Sign | NegotiateFlag::Seal | NegotiateFlag::ExtendedSessionSecurity;
        if ((challenge.flags & needed) != needed)
            return makeError(
                ErrorCode::Unsupported,
                u"NTLM server flags 0x%1 lack SIGN, SEAL or EXTENDED_SESSIONSECURITY needed for "
                "message encryption"_s.arg(uint(challenge.flags.toInt()), 8, 16, QChar(u'0')));
    }
    m_negotiatedFlags =
        challenge.flags & (requestedFlags(m_options.confidentiality) | NegotiateFlag::TargetInfo |
                           NegotiateFlag::TargetTypeDomain | NegotiateFlag::TargetTypeServer);

    // MS-NLMP 3.1.5.1.2: with a server MsvAvTimestamp, reuse it, add a MIC and flag it.
    const std::optional<QByteArray> serverTime = challenge.avValue(AvId::MsvAvTimestamp);
    const bool useMic = serverTime.has_value();
    const QByteArray timestamp = serverTime ? *serverTime : fileTimeBytes(m_options.fileTimeNow());
    AvPairs pairs = challenge.avPairs;
    if (useMic) {
        bool flagged = false;
        for (AvPair &pair : pairs) {
            if (pair.id == AvId::MsvAvFlags) {
                const quint32 value =
                    qFromLittleEndian<quint32>(pair.value.constData()) | MsvAvFlagMicPresent;
                pair.value = le32(value);
                flagged = true;
            }
        }
        if (!flagged)
            pairs.append(AvPair{AvId::MsvAvFlags, le32(MsvAvFlagMicPresent)});
    }
    if (!m_options.targetSpn.isEmpty())
        pairs.append(AvPair{AvId::MsvAvTargetName, utf16le(m_options.targetSpn)});
    if (m_options.channelBindings) {
        Result<QByteArray> hash = m_crypto->md5(m_options.channelBindings->serialize());
        if (!hash)
            return hash.error();
        pairs.append(AvPair{AvId::MsvAvChannelBindings, *hash});
    }

    const QByteArray clientChallenge = m_options.random(8);
    if (clientChallenge.size() != 8)
        return makeError(ErrorCode::CryptoFailure,
                         u"the random source gave no 8-byte client challenge"_s);
    Result<NtlmV2Response> response =
        computeNtlmV2Response(*m_crypto, m_responseKeyNt, challenge.serverChallenge,
                              clientChallenge, timestamp, serializeAvPairs(pairs));
    if (!response)
        return response.error();
    const WipeOnExit wipeBaseKey(response->sessionBaseKey);

    AuthenticateFields fields;
    fields.flags = m_negotiatedFlags;
    fields.ntChallengeResponse = response->ntChallengeResponse;
    // MS-NLMP 3.1.5.1.2: with a MIC the LmChallengeResponse is Z(24).
    fields.lmChallengeResponse = useMic ? QByteArray(24, '\0') : response->lmChallengeResponse;
    fields.domainName = utf16le(m_domainName);
    fields.userName = utf16le(m_userName);
    fields.workstation = utf16le(m_options.workstation);
    fields.version = m_options.version;

    // MS-NLMP 3.1.5.1.2 KXKEY = SessionBaseKey for NTLMv2; KEY_EXCH sends a random key under
    // RC4(KXKEY).
    QByteArray exported;
    const WipeOnExit wipeExported(exported);
    if (m_negotiatedFlags.testFlag(NegotiateFlag::KeyExchange)) {
        exported = m_options.random(16);
        if (exported.size() != 16)
            return makeError(ErrorCode::CryptoFailure,
                             u"the random source gave no 16-byte session key"_s);
        Result<Rc4> cipher = m_crypto->rc4(response->sessionBaseKey);
        if (!cipher)
            return cipher.error();
        Result<QByteArray> encrypted = cipher->process(exported);
        if (!encrypted)
            return encrypted.error();
        fields.encryptedRandomSessionKey = *encrypted;
    } else {
        exported =
            QByteArray(response->sessionBaseKey.constData(), response->sessionBaseKey.size());
    }

    QByteArray message = authenticateMessage(fields);
    if (useMic) {
        Result<QByteArray> mic =
            m_crypto->hmacMd5(exported, QByteArray(m_negotiate + challenge.raw + message));
        if (!mic)
            return mic.error();
        message.replace(AuthenticateMicOffset, 16, *mic);
    }
    if (m_negotiatedFlags.testFlag(NegotiateFlag::ExtendedSessionSecurity)) {
        Result<NtlmSecurity> security =
            NtlmSecurity::create(*m_crypto, exported, m_negotiatedFlags, Role::Client);
        if (!security)
            return security.error();
        m_security.emplace(std::move(security).value());
    }
    m_exportedSessionKey = QByteArray(exported.constData(), exported.size());
    return message;
}

Result<NtlmSecurity *> NtlmClient::security()
{
    if (m_state != State::Complete)
        return makeError(ErrorCode::InvalidState, u"NTLM: the context is not complete"_s);
    if (!m_security)
        return makeError(ErrorCode::Unsupported,
                         u"NTLM: no session security without extended session security"_s);
    return &*m_security;
}

Result<SealedMessage> NtlmClient::wrapSeparate(QByteArrayView plaintext)
{
    Result<NtlmSecurity *> context = security();
    if (!context)
        return context.error();
    if (!m_negotiatedFlags.testFlag(NegotiateFlag::Seal))
        return makeError(ErrorCode::Unsupported, u"NTLM: sealing was not negotiated"_s);
    return (*context)->seal(plaintext);
}

Result<QByteArray> NtlmClient::unwrapSeparate(QByteArrayView data, QByteArrayView signature)
{
    Result<NtlmSecurity *> context = security();
    if (!context)
        return context.error();
    if (!m_negotiatedFlags.testFlag(NegotiateFlag::Seal))
        return makeError(ErrorCode::Unsupported, u"NTLM: sealing was not negotiated"_s);
    return (*context)->unseal(data, signature);
}

Result<QByteArray> NtlmClient::wrap(QByteArrayView plaintext)
{
    Result<SealedMessage> sealed = wrapSeparate(plaintext);
    if (!sealed)
        return sealed.error();
    return QByteArray(sealed->signature + sealed->data);
}

Result<QByteArray> NtlmClient::unwrap(QByteArrayView token)
{
    if (token.size() < 16)
        return makeError(
            ErrorCode::IntegrityFailure,
            u"NTLM wrap token of %1 bytes, shorter than its 16-byte signature"_s.arg(token.size()));
    return unwrapSeparate(token.sliced(16), token.first(16));
}

Result<QByteArray> NtlmClient::sign(QByteArrayView message)
{
    Result<NtlmSecurity *> context = security();
    if (!context)
        return context.error();
    return (*context)->sign(message);
}

Result<void> NtlmClient::verify(QByteArrayView message, QByteArrayView signature)
{
    Result<NtlmSecurity *> context = security();
    if (!context)
        return context.error();
    return (*context)->verify(message, signature);
}

Result<void> NtlmClient::resetCipher(Direction direction)
{
    Result<NtlmSecurity *> context = security();
    if (!context)
        return context.error();
    return (*context)->resetCipher(direction);
}

} // namespace Auth
