#include "auth/NtlmMessage.h"

#include "AuthTestSupport.h"

#include <QtEndian>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Auth;
using namespace Auth::Ntlm;
using namespace AuthTest;

namespace {

QByteArray msNlmpAvPairs()
{
    return serializeAvPairs({{AvId::MsvAvNbDomainName, utf16le(u"Domain")},
                             {AvId::MsvAvNbComputerName, utf16le(u"Server")}});
}

NtlmV2Response msNlmpResponse()
{
    const QByteArray key = *ntowfV2(crypto(), Password, u"User", u"Domain");
    return *computeNtlmV2Response(crypto(), key, serverChallenge(), clientChallenge(),
                                  QByteArray(8, '\0'), msNlmpAvPairs());
}

void setU16(QByteArray &message, qsizetype at, quint16 value)
{
    qToLittleEndian(value, message.data() + at);
}

void setU32(QByteArray &message, qsizetype at, quint32 value)
{
    qToLittleEndian(value, message.data() + at);
}

ErrorCode parseError(const QByteArray &message)
{
    const Result<ChallengeMessage> parsed = parseChallenge(message);
    EXPECT_FALSE(parsed) << "accepted a malformed CHALLENGE";
    return parsed ? ErrorCode::InvalidState : parsed.error().code;
}

} // namespace

// MS-NLMP 4.2.2.1.2 / dossier 3.4
TEST(NtlmV2, NtowfV1KnownAnswer)
{
    EXPECT_EQ(*ntowfV1(crypto(), Password), hex("a4f49c406510bdcab6824ee7c30fd852"));
}

TEST(NtlmV2, NtowfV2KnownAnswerUppercasesOnlyTheUser)
{
    EXPECT_EQ(*ntowfV2(crypto(), Password, u"User", u"Domain"),
              hex("0c868a403bfd7a93a3001ef22ef02e3f"));
    EXPECT_EQ(*ntowfV2(crypto(), Password, u"user", u"Domain"),
              hex("0c868a403bfd7a93a3001ef22ef02e3f"));
    EXPECT_NE(*ntowfV2(crypto(), Password, u"User", u"DOMAIN"),
              hex("0c868a403bfd7a93a3001ef22ef02e3f"));
}

TEST(NtlmV2, UserUppercasingMapsOneUnitToOne)
{
    // QString::toUpper() would turn U+00DF into "SS"; NTLM keeps one unit (it stays U+00DF).
    const QByteArray key = *ntowfV1(crypto(), Password);
    EXPECT_EQ(*ntowfV2(crypto(), Password, u"stra\u00dfe", u""),
              *crypto().hmacMd5(key, utf16le(u"STRA\u00dfE")));
}

TEST(NtlmV2, PasswordIsUtf8DecodedToUtf16)
{
    // U+00E9 in UTF-8 must hash as the single UTF-16 unit e9 00.
    EXPECT_EQ(*ntowfV1(crypto(), "\xc3\xa9"), *crypto().md4(QByteArray("\xe9\x00", 2)));
}

TEST(NtlmV2, TempBlobLayout)
{
    EXPECT_EQ(ntlmV2Temp(QByteArray(8, '\0'), clientChallenge(), msNlmpAvPairs()),
              QByteArray(hex("0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000") +
                         msNlmpAvPairs() + QByteArray(4, '\0')));
}

TEST(NtlmV2, NtProofStrLmv2AndSessionBaseKeyKnownAnswers)
{
    const NtlmV2Response response = msNlmpResponse();
    EXPECT_EQ(response.ntProofStr, hex("68cd0ab851e51c96aabc927bebef6a1c"));
    EXPECT_EQ(response.ntChallengeResponse,
              QByteArray(response.ntProofStr +
                         ntlmV2Temp(QByteArray(8, '\0'), clientChallenge(), msNlmpAvPairs())));
    EXPECT_EQ(response.lmChallengeResponse,
              hex("86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa"));
    EXPECT_EQ(response.sessionBaseKey, hex("8de40ccadbc14a82f15cb0ad0de95ca3"));
}

TEST(NtlmV2, EncryptedRandomSessionKeyKnownAnswer)
{
    Result<Rc4> cipher = crypto().rc4(msNlmpResponse().sessionBaseKey);
    EXPECT_EQ(*cipher->process(randomSessionKey()), hex("c5dad2544fc9799094ce1ce90bc9d03e"));
}

TEST(NtlmV2, ComputeResponseRejectsWrongSizes)
{
    const auto response =
        computeNtlmV2Response(crypto(), QByteArray(16, 'k'), "short", clientChallenge(),
                              QByteArray(8, '\0'), msNlmpAvPairs());
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::InvalidArgument);
}

TEST(NtlmV2, FileTimeEncoding)
{
    EXPECT_EQ(fileTimeFromUnixMilliseconds(0), 116444736000000000ULL);
    EXPECT_EQ(fileTimeBytes(0x0123456789abcdefULL), hex("efcdab8967452301"));
}

TEST(NtlmMessage, NegotiateLayoutCarriesFlagsAndVersion)
{
    const NegotiateFlags flags =
        NegotiateFlag::Unicode | NegotiateFlag::Ntlm | NegotiateFlag::Version;
    const QByteArray message = negotiateMessage(flags, Version{6, 1, 7601, 15});
    ASSERT_EQ(message.size(), 40);
    EXPECT_EQ(message.first(12), QByteArray("NTLMSSP\0\1\0\0\0", 12));
    EXPECT_EQ(qFromLittleEndian<quint32>(message.constData() + 12), 0x02000201u);
    EXPECT_EQ(message.mid(16, 16), hex("0000000028000000 0000000028000000"));
    EXPECT_EQ(message.mid(32), hex("0601b11d0000000f"));
}

TEST(NtlmMessage, AvPairsRoundTrip)
{
    const AvPairs pairs{{AvId::MsvAvNbDomainName, utf16le(u"Domain")},
                        {AvId::MsvAvFlags, hex("02000000")}};
    const QByteArray bytes = serializeAvPairs(pairs);
    EXPECT_EQ(bytes, hex("02000c00 44006f006d00610069006e00 06000400 02000000 00000000"));
    const Result<AvPairs> parsed = parseAvPairs(bytes);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->size(), 2);
    EXPECT_EQ(parsed->at(1).id, AvId::MsvAvFlags);
    EXPECT_EQ(parsed->at(1).value, hex("02000000"));
}

TEST(NtlmMessage, ParsesTheMsNlmpChallengeExample)
{
    const QByteArray message = challengeMessage();
    EXPECT_EQ(message.size(), 0x44 + 36);
    const Result<ChallengeMessage> challenge = parseChallenge(message);
    ASSERT_TRUE(challenge) << challenge.error().detail.toStdString();
    EXPECT_EQ(challenge->flags.toInt(), 0xe28a8233u);
    EXPECT_EQ(challenge->serverChallenge, serverChallenge());
    EXPECT_EQ(challenge->targetName, utf16le(u"Server"));
    EXPECT_EQ(challenge->targetInfo,
              hex("02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000"));
    ASSERT_EQ(challenge->avPairs.size(), 2);
    EXPECT_EQ(challenge->avValue(AvId::MsvAvNbComputerName), utf16le(u"Server"));
    EXPECT_FALSE(challenge->avValue(AvId::MsvAvTimestamp));
    ASSERT_TRUE(challenge->version);
    EXPECT_EQ(*challenge->version, (Version{6, 0, 6000, 15}));
    EXPECT_EQ(challenge->raw, message);
}

TEST(NtlmMalformedChallenge, EveryTruncationIsRejected)
{
    const QByteArray message = challengeMessage();
    for (qsizetype size = 0; size < message.size(); ++size) {
        const Result<ChallengeMessage> parsed = parseChallenge(message.first(size));
        ASSERT_FALSE(parsed) << "accepted a CHALLENGE cut to " << size << " bytes";
        EXPECT_EQ(parsed.error().code, ErrorCode::InvalidToken);
    }
}

TEST(NtlmMalformedChallenge, BadSignatureOrType)
{
    QByteArray message = challengeMessage();
    message[0] = 'X';
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);
    message = challengeMessage();
    setU32(message, 8, 3);
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);
}

TEST(NtlmMalformedChallenge, FieldsOutsideTheMessage)
{
    QByteArray message = challengeMessage();
    setU32(message, 16, quint32(message.size()) - 4); // TargetName runs past the end
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);

    message = challengeMessage();
    setU32(message, 44, 0xfffffff0u); // TargetInfo offset + length overflows 32 bits
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);

    message = challengeMessage();
    setU16(message, 40, 0xffff); // TargetInfo length far beyond the message
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);

    message = challengeMessage();
    setU32(message, 16, 8); // TargetName inside the fixed header
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);
}

TEST(NtlmMalformedChallenge, OddUnicodeTargetName)
{
    QByteArray message = challengeMessage();
    setU16(message, 12, 11);
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);
}

TEST(NtlmMalformedChallenge, AvPairsNotWellFormed)
{
    const qsizetype targetInfoAt = 56 + 12;
    QByteArray message = challengeMessage();
    setU16(message, targetInfoAt + 2, 200); // first pair claims more than the list holds
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);

    message = challengeMessage();
    setU16(message, 40, 32); // TargetInfo ends before MsvAvEOL
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);

    message = challengeMessage();
    setU16(message, message.size() - 2, 4); // MsvAvEOL with a length
    EXPECT_EQ(parseError(message), ErrorCode::InvalidToken);

    EXPECT_EQ(parseError(challengeMessage({{AvId::MsvAvTimestamp, hex("0102")}})),
              ErrorCode::InvalidToken);
    EXPECT_EQ(parseError(challengeMessage({{AvId::MsvAvFlags, hex("01")}})),
              ErrorCode::InvalidToken);
}

TEST(NtlmMalformedChallenge, RandomCorruptionNeverCrashes)
{
    // Deterministic byte and length mutations: every result is either a parse or InvalidToken.
    const QByteArray original = challengeMessage({{AvId::MsvAvTimestamp, QByteArray(8, '\1')}});
    quint32 state = 12345;
    const auto next = [&] {
        state = state * 1103515245u + 12345u;
        return state >> 8;
    };
    int rejected = 0;
    for (int round = 0; round < 5000; ++round) {
        QByteArray message = original;
        const int edits = int(next() % 4) + 1;
        for (int e = 0; e < edits; ++e)
            message[qsizetype(next() % quint32(message.size()))] = char(next() & 0xff);
        if (next() % 3 == 0)
            message.truncate(qsizetype(next() % quint32(message.size() + 1)));
        else if (next() % 5 == 0)
            message.append(QByteArray(qsizetype(next() % 64), char(next() & 0xff)));
        const Result<ChallengeMessage> parsed = parseChallenge(message);
        if (!parsed) {
            ++rejected;
            ASSERT_EQ(parsed.error().code, ErrorCode::InvalidToken);
        } else {
            ASSERT_LE(parsed->targetInfo.size(), message.size());
        }
    }
    EXPECT_GT(rejected, 0);
}

TEST(NtlmMessage, AuthenticateLayout)
{
    AuthenticateFields fields;
    fields.flags = NegotiateFlags::fromInt(0xe28a8233u);
    fields.lmChallengeResponse = QByteArray(24, 'L');
    fields.ntChallengeResponse = QByteArray(50, 'N');
    fields.domainName = utf16le(u"Domain");
    fields.userName = utf16le(u"User");
    fields.workstation = utf16le(u"COMPUTER");
    fields.encryptedRandomSessionKey = QByteArray(16, 'K');
    const QByteArray message = authenticateMessage(fields);
    ASSERT_EQ(message.size(), 88 + 24 + 50 + 12 + 8 + 16 + 16);
    const auto field = [&](qsizetype at) {
        return message.mid(qFromLittleEndian<quint32>(message.constData() + at + 4),
                           qFromLittleEndian<quint16>(message.constData() + at));
    };
    EXPECT_EQ(qFromLittleEndian<quint32>(message.constData() + 8), 3u);
    EXPECT_EQ(field(12), fields.lmChallengeResponse);
    EXPECT_EQ(field(20), fields.ntChallengeResponse);
    EXPECT_EQ(field(28), fields.domainName);
    EXPECT_EQ(field(36), fields.userName);
    EXPECT_EQ(field(44), fields.workstation);
    EXPECT_EQ(field(52), fields.encryptedRandomSessionKey);
    EXPECT_EQ(qFromLittleEndian<quint32>(message.constData() + 60), 0xe28a8233u);
    EXPECT_EQ(message.mid(64, 8), fields.version.toBytes());
    EXPECT_EQ(message.mid(72, 16), QByteArray(16, '\0'));
    EXPECT_EQ(qFromLittleEndian<quint32>(message.constData() + 32),
              88u); // domain first in the payload
}
