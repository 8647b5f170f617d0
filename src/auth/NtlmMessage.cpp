#include "auth/NtlmMessage.h"

#include <QtEndian>

#include <openssl/crypto.h>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Auth::Ntlm {

namespace {

constexpr char Signature[] = "NTLMSSP"; // with its NUL: 8 bytes
constexpr qsizetype SignatureSize = 8;
constexpr quint32 NegotiateType = 1;
constexpr quint32 ChallengeType = 2;
constexpr quint32 AuthenticateType = 3;
// MS-NLMP 2.2.1.2: TargetInfoFields end at 48; the Version follows at 48 when present.
constexpr qsizetype ChallengeFixedSize = 48;

void appendU16(QByteArray &out, quint16 value)
{
    out.append(char(value & 0xff));
    out.append(char(value >> 8));
}

void appendU32(QByteArray &out, quint32 value)
{
    for (int shift = 0; shift < 32; shift += 8)
        out.append(char((value >> shift) & 0xff));
}

quint16 readU16(QByteArrayView data, qsizetype offset)
{
    return qFromLittleEndian<quint16>(data.data() + offset);
}

quint32 readU32(QByteArrayView data, qsizetype offset)
{
    return qFromLittleEndian<quint32>(data.data() + offset);
}

// A Len/MaxLen/BufferOffset triple (MS-NLMP 2.2.1) whose buffer lies inside the message and
// outside its fixed part.
Result<QByteArray> readField(QByteArrayView message, qsizetype fieldOffset, qsizetype payloadStart,
                             const char *name)
{
    const quint16 length = readU16(message, fieldOffset);
    const quint32 offset = readU32(message, fieldOffset + 4);
    if (length == 0)
        return QByteArray();
    if (qint64(offset) < qint64(payloadStart) || qint64(offset) + length > qint64(message.size()))
        return makeError(
            ErrorCode::InvalidToken,
            u"NTLM CHALLENGE %1 (offset %2, length %3) lies outside the %4-byte message payload"_s
                .arg(QLatin1StringView(name))
                .arg(offset)
                .arg(length)
                .arg(message.size()));
    return QByteArray(message.data() + offset, length);
}

} // namespace

QByteArray Version::toBytes() const
{
    QByteArray out;
    out.append(char(major));
    out.append(char(minor));
    appendU16(out, build);
    out.append(3, '\0');
    out.append(char(revision));
    return out;
}

std::optional<QByteArray> ChallengeMessage::avValue(AvId id) const
{
    for (const AvPair &pair : avPairs) {
        if (pair.id == id)
            return pair.value;
    }
    return std::nullopt;
}

QByteArray negotiateMessage(NegotiateFlags flags, const Version &version)
{
    QByteArray out(Signature, SignatureSize);
    appendU32(out, NegotiateType);
    appendU32(out, quint32(flags.toInt()));
    constexpr quint32 payloadOffset = 40;
    for (int field = 0; field < 2; ++field) { // DomainNameFields, WorkstationFields: empty
        appendU16(out, 0);
        appendU16(out, 0);
        appendU32(out, payloadOffset);
    }
    out.append(version.toBytes());
    return out;
}

QByteArray serializeAvPairs(const AvPairs &pairs)
{
    QByteArray out;
    for (const AvPair &pair : pairs) {
        if (pair.id == AvId::MsvAvEOL)
            continue;
        appendU16(out, quint16(pair.id));
        appendU16(out, quint16(pair.value.size()));
        out.append(pair.value);
    }
    appendU32(out, 0);
    return out;
}

Result<AvPairs> parseAvPairs(QByteArrayView bytes)
{
    AvPairs pairs;
    qsizetype position = 0;
    while (true) {
        if (bytes.size() - position < 4)
            return makeError(
                ErrorCode::InvalidToken,
                u"NTLM TargetInfo: AV_PAIR header at offset %1 runs past its %2 bytes (no MsvAvEOL)"_s
                    .arg(position)
                    .arg(bytes.size()));
        const quint16 id = readU16(bytes, position);
        const quint16 length = readU16(bytes, position + 2);
        position += 4;
        if (id == quint16(AvId::MsvAvEOL)) {
            if (length != 0)
                return makeError(ErrorCode::InvalidToken,
                                 u"NTLM TargetInfo: MsvAvEOL with length %1"_s.arg(length));
            return pairs;
        }
        if (length > bytes.size() - position)
            return makeError(
                ErrorCode::InvalidToken,
                u"NTLM TargetInfo: AV_PAIR %1 claims %2 bytes, %3 remain"_s.arg(id).arg(length).arg(
                    bytes.size() - position));
        if ((id == quint16(AvId::MsvAvTimestamp) && length != 8) ||
            (id == quint16(AvId::MsvAvFlags) && length != 4))
            return makeError(
                ErrorCode::InvalidToken,
                u"NTLM TargetInfo: AV_PAIR %1 has length %2, MS-NLMP 2.2.2.1 fixes it"_s.arg(id)
                    .arg(length));
        pairs.append(AvPair{AvId(id), QByteArray(bytes.data() + position, length)});
        position += length;
    }
}

Result<ChallengeMessage> parseChallenge(QByteArrayView message)
{
    if (message.size() < ChallengeFixedSize)
        return makeError(
            ErrorCode::InvalidToken,
            u"NTLM CHALLENGE of %1 bytes, shorter than its %2-byte fixed part"_s.arg(message.size())
                .arg(ChallengeFixedSize));
    if (message.first(SignatureSize) != QByteArrayView(Signature, SignatureSize))
        return makeError(ErrorCode::InvalidToken, u"not an NTLMSSP message (bad signature)"_s);
    if (const quint32 type = readU32(message, 8); type != ChallengeType)
        return makeError(ErrorCode::InvalidToken,
                         u"NTLM message type %1 where CHALLENGE (2) was expected"_s.arg(type));

    ChallengeMessage challenge;
    challenge.flags = NegotiateFlags::fromInt(readU32(message, 20));
    challenge.serverChallenge = message.sliced(24, 8).toByteArray();

    qsizetype payloadStart = ChallengeFixedSize;
    if (challenge.flags.testFlag(NegotiateFlag::Version)) {
        // The Version is there unless the payload starts right after the fixed part.
        const quint16 targetNameLength = readU16(message, 12);
        const quint16 targetInfoLength = readU16(message, 40);
        quint32 firstOffset = quint32(message.size());
        if (targetNameLength)
            firstOffset = std::min(firstOffset, readU32(message, 16));
        if (targetInfoLength)
            firstOffset = std::min(firstOffset, readU32(message, 44));
        if (firstOffset >= ChallengeFixedSize + 8 && message.size() >= ChallengeFixedSize + 8) {
            const QByteArrayView raw = message.sliced(ChallengeFixedSize, 8);
            challenge.version =
                Version{quint8(raw[0]), quint8(raw[1]), readU16(raw, 2), quint8(raw[7])};
            payloadStart = ChallengeFixedSize + 8;
        }
    }

    Result<QByteArray> targetName = readField(message, 12, payloadStart, "TargetName");
    if (!targetName)
        return targetName.error();
    challenge.targetName = std::move(targetName).value();
    if (challenge.flags.testFlag(NegotiateFlag::Unicode) && challenge.targetName.size() % 2 != 0)
        return makeError(ErrorCode::InvalidToken,
                         u"NTLM CHALLENGE TargetName has an odd UTF-16 length"_s);

    Result<QByteArray> targetInfo = readField(message, 40, payloadStart, "TargetInfo");
    if (!targetInfo)
        return targetInfo.error();
    challenge.targetInfo = std::move(targetInfo).value();
    if (!challenge.targetInfo.isEmpty()) {
        Result<AvPairs> pairs = parseAvPairs(challenge.targetInfo);
        if (!pairs)
            return pairs.error();
        challenge.avPairs = std::move(pairs).value();
    }
    challenge.raw = message.toByteArray();
    return challenge;
}

QByteArray authenticateMessage(const AuthenticateFields &fields)
{
    QByteArray header(Signature, SignatureSize);
    appendU32(header, AuthenticateType);
    QByteArray payload;
    // Payload order as Windows sends it: domain, user, workstation, LM, NT, session key.
    const auto field = [&](const QByteArray &value) {
        QByteArray out;
        appendU16(out, quint16(value.size()));
        appendU16(out, quint16(value.size()));
        appendU32(out, quint32(AuthenticatePayloadOffset + payload.size()));
        payload.append(value);
        return out;
    };
    const QByteArray domain = field(fields.domainName);
    const QByteArray user = field(fields.userName);
    const QByteArray workstation = field(fields.workstation);
    const QByteArray lm = field(fields.lmChallengeResponse);
    const QByteArray nt = field(fields.ntChallengeResponse);
    const QByteArray key = field(fields.encryptedRandomSessionKey);
    header.append(lm);
    header.append(nt);
    header.append(domain);
    header.append(user);
    header.append(workstation);
    header.append(key);
    appendU32(header, quint32(fields.flags.toInt()));
    header.append(fields.version.toBytes());
    header.append(16, '\0'); // MIC
    return header + payload;
}

QByteArray utf16le(QStringView text)
{
    QByteArray out;
    out.reserve(text.size() * 2);
    for (const QChar c : text)
        appendU16(out, c.unicode());
    return out;
}

Result<QByteArray> ntowfV1(const CryptoProvider &crypto, QByteArrayView passwordUtf8)
{
    QString password = QString::fromUtf8(passwordUtf8);
    QByteArray encoded = utf16le(password);
    if (!password.isEmpty())
        OPENSSL_cleanse(password.data(), size_t(password.size()) * sizeof(QChar));
    Result<QByteArray> hash = crypto.md4(encoded);
    wipe(encoded);
    return hash;
}

Result<QByteArray> ntowfV2(const CryptoProvider &crypto, QByteArrayView passwordUtf8,
                           QStringView user, QStringView domain)
{
    Result<QByteArray> v1 = ntowfV1(crypto, passwordUtf8);
    if (!v1)
        return v1.error();
    // Simple (1:1) case mapping per UTF-16 unit, as Windows' RtlUpcaseUnicodeString: no "ß" ->
    // "SS".
    QString upperUser = user.toString();
    for (QChar &c : upperUser)
        c = c.toUpper();
    Result<QByteArray> v2 = crypto.hmacMd5(*v1, utf16le(QString(upperUser + domain)));
    wipe(*v1);
    return v2;
}

QByteArray ntlmV2Temp(QByteArrayView timestamp, QByteArrayView clientChallenge,
                      QByteArrayView avPairs)
{
    QByteArray temp;
    temp.append(char(1)); // RespType
    temp.append(char(1)); // HiRespType
    temp.append(6, '\0');
    temp.append(timestamp);
    temp.append(clientChallenge);
    temp.append(4, '\0');
    temp.append(avPairs);
    temp.append(4, '\0');
    return temp;
}

Result<NtlmV2Response> computeNtlmV2Response(const CryptoProvider &crypto,
                                             QByteArrayView responseKeyNt,
                                             QByteArrayView serverChallenge,
                                             QByteArrayView clientChallenge,
                                             QByteArrayView timestamp, QByteArrayView avPairs)
{
    if (serverChallenge.size() != 8 || clientChallenge.size() != 8 || timestamp.size() != 8)
        return makeError(ErrorCode::InvalidArgument,
                         u"NTLMv2 challenges and timestamp must be 8 bytes each"_s);
    const QByteArray temp = ntlmV2Temp(timestamp, clientChallenge, avPairs);
    Result<QByteArray> proof =
        crypto.hmacMd5(responseKeyNt, QByteArray(serverChallenge.toByteArray() + temp));
    if (!proof)
        return proof.error();
    Result<QByteArray> lm = crypto.hmacMd5(
        responseKeyNt, QByteArray(serverChallenge.toByteArray() + clientChallenge.toByteArray()));
    if (!lm)
        return lm.error();
    Result<QByteArray> sessionBaseKey = crypto.hmacMd5(responseKeyNt, *proof);
    if (!sessionBaseKey)
        return sessionBaseKey.error();
    NtlmV2Response response;
    response.ntProofStr = *proof;
    response.ntChallengeResponse = *proof + temp;
    response.lmChallengeResponse = *lm + clientChallenge.toByteArray();
    response.sessionBaseKey = std::move(sessionBaseKey).value();
    return response;
}

QByteArray fileTimeBytes(quint64 fileTime)
{
    QByteArray out;
    appendU32(out, quint32(fileTime & 0xffffffffu));
    appendU32(out, quint32(fileTime >> 32));
    return out;
}

quint64 fileTimeFromUnixMilliseconds(qint64 milliseconds)
{
    constexpr quint64 UnixEpochAsFileTime = 116444736000000000ULL;
    return UnixEpochAsFileTime + quint64(std::max<qint64>(milliseconds, 0)) * 10000ULL;
}

} // namespace Auth::Ntlm
