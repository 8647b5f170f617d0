#pragma once

#include "auth/CryptoProvider.h"
#include "auth/Error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QFlags>
#include <QList>
#include <QString>

#include <optional>

namespace Auth::Ntlm {

// MS-NLMP 2.2.2.5 NEGOTIATE flags.
enum class NegotiateFlag : quint32 {
    Unicode = 0x00000001,
    Oem = 0x00000002,
    RequestTarget = 0x00000004,
    Sign = 0x00000010,
    Seal = 0x00000020,
    Datagram = 0x00000040,
    LmKey = 0x00000080,
    Ntlm = 0x00000200,
    Anonymous = 0x00000800,
    OemDomainSupplied = 0x00001000,
    OemWorkstationSupplied = 0x00002000,
    AlwaysSign = 0x00008000,
    TargetTypeDomain = 0x00010000,
    TargetTypeServer = 0x00020000,
    ExtendedSessionSecurity = 0x00080000,
    Identify = 0x00100000,
    RequestNonNtSessionKey = 0x00400000,
    TargetInfo = 0x00800000,
    Version = 0x02000000,
    Key128 = 0x20000000,
    KeyExchange = 0x40000000,
    Key56 = 0x80000000,
};
Q_DECLARE_FLAGS(NegotiateFlags, NegotiateFlag)
Q_DECLARE_OPERATORS_FOR_FLAGS(NegotiateFlags)

// MS-NLMP 2.2.2.1 AV_PAIR identifiers.
enum class AvId : quint16 {
    MsvAvEOL = 0,
    MsvAvNbComputerName = 1,
    MsvAvNbDomainName = 2,
    MsvAvDnsComputerName = 3,
    MsvAvDnsDomainName = 4,
    MsvAvDnsTreeName = 5,
    MsvAvFlags = 6,
    MsvAvTimestamp = 7,
    MsvAvSingleHost = 8,
    MsvAvTargetName = 9,
    MsvAvChannelBindings = 10,
};

// MS-NLMP 2.2.2.1 MsvAvFlags bit: the AUTHENTICATE message carries a MIC.
inline constexpr quint32 MsvAvFlagMicPresent = 0x00000002;

struct AvPair {
    AvId id = AvId::MsvAvEOL;
    QByteArray value;
};
using AvPairs = QList<AvPair>;

// MS-NLMP 2.2.2.10 VERSION: the 8 bytes after the fixed fields when NEGOTIATE_VERSION is set.
struct Version {
    quint8 major = 10;
    quint8 minor = 0;
    quint16 build = 17763;
    quint8 revision = 15; // NTLMSSP_REVISION_W2K3
    QByteArray toBytes() const;
    friend bool operator==(const Version &, const Version &) = default;
};

// MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE, parsed. `raw` keeps the exact bytes for the MIC.
struct ChallengeMessage {
    NegotiateFlags flags;
    QByteArray serverChallenge; // 8 bytes
    QByteArray targetName;      // as sent (UTF-16LE when Unicode)
    QByteArray targetInfo;      // the AV_PAIR list bytes as sent
    AvPairs avPairs;            // targetInfo parsed, without the terminating MsvAvEOL
    std::optional<Version> version;
    QByteArray raw;

    std::optional<QByteArray> avValue(AvId id) const;
};

// Everything the AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) carries; strings are already encoded.
struct AuthenticateFields {
    NegotiateFlags flags;
    QByteArray lmChallengeResponse;
    QByteArray ntChallengeResponse;
    QByteArray domainName;
    QByteArray userName;
    QByteArray workstation;
    QByteArray encryptedRandomSessionKey;
    Version version;
};

// Offsets inside the AUTHENTICATE message (MS-NLMP 2.2.1.3).
inline constexpr qsizetype AuthenticateMicOffset = 72;
inline constexpr qsizetype AuthenticatePayloadOffset = 88;

// MS-NLMP 2.2.1.1: NEGOTIATE_MESSAGE with empty domain/workstation and the Version always laid out.
QByteArray negotiateMessage(NegotiateFlags flags, const Version &version = {});

// MS-NLMP 2.2.1.2: strict parse; every field must lie inside the message, the AV_PAIR list must
// be well formed and end with MsvAvEOL. Never reads past `message`.
Result<ChallengeMessage> parseChallenge(QByteArrayView message);

// MS-NLMP 2.2.2.1: the AV_PAIR list followed by MsvAvEOL / parsed back (EOL required).
QByteArray serializeAvPairs(const AvPairs &pairs);
Result<AvPairs> parseAvPairs(QByteArrayView bytes);

// MS-NLMP 2.2.1.3: the message with Version and a zero MIC; the caller patches the MIC in.
QByteArray authenticateMessage(const AuthenticateFields &fields);

// UTF-16LE, as NTLM encodes every Unicode string.
QByteArray utf16le(QStringView text);

// MS-NLMP 3.3.1 NTOWFv1 = MD4(UTF-16LE(password)); the UTF-8 password is never kept.
Result<QByteArray> ntowfV1(const CryptoProvider &crypto, QByteArrayView passwordUtf8);
// MS-NLMP 3.3.2 NTOWFv2 = HMAC-MD5(NTOWFv1, UTF-16LE(UPPER(user) + domain)).
Result<QByteArray> ntowfV2(const CryptoProvider &crypto, QByteArrayView passwordUtf8,
                           QStringView user, QStringView domain);

// MS-NLMP 3.3.2 ComputeResponse for NTLMv2.
struct NtlmV2Response {
    QByteArray ntProofStr;          // 16 bytes
    QByteArray ntChallengeResponse; // NTProofStr + temp
    QByteArray
        lmChallengeResponse;   // LMv2: HMAC-MD5(key, server + client challenge) + client challenge
    QByteArray sessionBaseKey; // = KeyExchangeKey for NTLMv2
};
// temp = 01 01 Z(6) Timestamp ClientChallenge Z(4) AvPairs Z(4); `avPairs` includes its MsvAvEOL.
QByteArray ntlmV2Temp(QByteArrayView timestamp, QByteArrayView clientChallenge,
                      QByteArrayView avPairs);
Result<NtlmV2Response> computeNtlmV2Response(const CryptoProvider &crypto,
                                             QByteArrayView responseKeyNt,
                                             QByteArrayView serverChallenge,
                                             QByteArrayView clientChallenge,
                                             QByteArrayView timestamp, QByteArrayView avPairs);

// FILETIME (100 ns since 1601-01-01 UTC) as 8 little-endian bytes, MsvAvTimestamp's encoding.
QByteArray fileTimeBytes(quint64 fileTime);
quint64 fileTimeFromUnixMilliseconds(qint64 milliseconds);

} // namespace Auth::Ntlm
