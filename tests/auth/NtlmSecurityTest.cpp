#include "auth/NtlmSecurity.h"

#include "AuthTestSupport.h"

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Auth;
using namespace Auth::Ntlm;
using namespace AuthTest;

namespace {

const NegotiateFlags MsNlmpFlags = NegotiateFlags::fromInt(0xe28a8233u);

NtlmSecurity context(Role role, NegotiateFlags flags = MsNlmpFlags)
{
    Result<NtlmSecurity> security = NtlmSecurity::create(crypto(), randomSessionKey(), flags, role);
    EXPECT_TRUE(security) << security.error().detail.toStdString();
    return std::move(security).value();
}

QByteArray plaintext()
{
    return utf16le(u"Plaintext");
}

} // namespace

// dossier 3.4 (MS-NLMP 4.2.4.1.4 and pyspnego)
TEST(NtlmKeys, SignKeysBothDirections)
{
    EXPECT_EQ(*signKey(crypto(), randomSessionKey(), KeyDirection::ClientToServer),
              hex("4788dc861b4782f35d43fd98fe1a2d39"));
    EXPECT_EQ(*signKey(crypto(), randomSessionKey(), KeyDirection::ServerToClient),
              hex("d04d6f10741041d1d246d64188d7a8ad"));
}

TEST(NtlmKeys, SealKeysBothDirections)
{
    EXPECT_EQ(*sealKey(crypto(), randomSessionKey(), MsNlmpFlags, KeyDirection::ClientToServer),
              hex("59f600973cc4960a25480a7c196e4c58"));
    EXPECT_EQ(*sealKey(crypto(), randomSessionKey(), MsNlmpFlags, KeyDirection::ServerToClient),
              hex("9355f3a957c1583d25c4c2f11e40390e"));
}

TEST(NtlmKeys, SealKeyStrengthFollowsTheFlags)
{
    const NegotiateFlags flags56 = MsNlmpFlags & ~NegotiateFlags(NegotiateFlag::Key128);
    const NegotiateFlags flags40 = flags56 & ~NegotiateFlags(NegotiateFlag::Key56);
    EXPECT_EQ(*sealKey(crypto(), randomSessionKey(), flags56, KeyDirection::ClientToServer),
              hex("a5f7253c1065e8d3d68642040e71cfe0"));
    EXPECT_EQ(*sealKey(crypto(), randomSessionKey(), flags40, KeyDirection::ClientToServer),
              hex("42f964a471091a02ff4a77455366e4e5"));
}

TEST(NtlmSecurity, SealPlaintextKnownAnswer)
{
    NtlmSecurity client = context(Role::Client);
    const Result<SealedMessage> sealed = client.seal(plaintext());
    ASSERT_TRUE(sealed);
    EXPECT_EQ(sealed->data, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
    EXPECT_EQ(sealed->signature, hex("01000000 7fb38ec5c55d4976 00000000"));
    EXPECT_EQ(client.sequenceNumber(Direction::Outgoing), 1u);
}

TEST(NtlmSecurity, SignatureWithoutKeyExchangeIsNotEncrypted)
{
    NtlmSecurity client =
        context(Role::Client, MsNlmpFlags & ~NegotiateFlags(NegotiateFlag::KeyExchange));
    const Result<SealedMessage> sealed = client.seal(plaintext());
    ASSERT_TRUE(sealed);
    EXPECT_EQ(sealed->signature, hex("01000000 70352851f2564309 00000000"));
}

TEST(NtlmSecurity, ServerUnsealsTheKnownAnswer)
{
    NtlmSecurity server = context(Role::Server);
    const Result<QByteArray> plain = server.unseal(hex("54e50165bf1936dc996020c1811b0f06fb5f"),
                                                   hex("01000000 7fb38ec5c55d4976 00000000"));
    ASSERT_TRUE(plain) << plain.error().detail.toStdString();
    EXPECT_EQ(*plain, plaintext());
    EXPECT_EQ(server.sequenceNumber(Direction::Incoming), 1u);
}

TEST(NtlmSecurity, ManyMessagesBothWaysAndSequenceNumbers)
{
    NtlmSecurity client = context(Role::Client);
    NtlmSecurity server = context(Role::Server);
    for (int i = 0; i < 5; ++i) {
        const QByteArray request = "request " + QByteArray::number(i);
        const Result<SealedMessage> up = client.seal(request);
        ASSERT_TRUE(up);
        QByteArray sequence(4, '\0');
        sequence[0] = char(i);
        EXPECT_EQ(up->signature.right(4), sequence);
        EXPECT_EQ(*server.unseal(up->data, up->signature), request);
        const QByteArray reply = "reply " + QByteArray::number(i);
        const Result<SealedMessage> down = server.seal(reply);
        EXPECT_EQ(*client.unseal(down->data, down->signature), reply);
    }
}

TEST(NtlmSecurity, TamperedDataSignatureOrOrderIsAnIntegrityFailure)
{
    NtlmSecurity client = context(Role::Client);
    {
        NtlmSecurity server = context(Role::Server);
        SealedMessage sealed = *client.seal("payload");
        sealed.data[0] = char(sealed.data[0] ^ 1);
        const Result<QByteArray> plain = server.unseal(sealed.data, sealed.signature);
        ASSERT_FALSE(plain);
        EXPECT_EQ(plain.error().code, ErrorCode::IntegrityFailure);
    }
    {
        NtlmSecurity server = context(Role::Server);
        NtlmSecurity sender = context(Role::Client);
        SealedMessage sealed = *sender.seal("payload");
        sealed.signature[5] = char(sealed.signature[5] ^ 0x80);
        EXPECT_EQ(server.unseal(sealed.data, sealed.signature).error().code,
                  ErrorCode::IntegrityFailure);
    }
    {
        NtlmSecurity server = context(Role::Server);
        NtlmSecurity sender = context(Role::Client);
        (void)sender.seal("first");
        const SealedMessage second =
            *sender.seal("second"); // sequence 1 while the server expects 0
        EXPECT_EQ(server.unseal(second.data, second.signature).error().code,
                  ErrorCode::IntegrityFailure);
    }
    {
        NtlmSecurity server = context(Role::Server);
        EXPECT_EQ(server.unseal("data", "short").error().code, ErrorCode::IntegrityFailure);
    }
}

TEST(NtlmSecurity, SignAndVerifyWithoutSealing)
{
    NtlmSecurity client = context(Role::Client);
    NtlmSecurity server = context(Role::Server);
    const QByteArray mic = *client.sign("mechTypes");
    EXPECT_EQ(mic.size(), 16);
    EXPECT_TRUE(server.verify("mechTypes", mic));
    const QByteArray mic2 = *client.sign("other");
    EXPECT_FALSE(server.verify("different", mic2));
}

TEST(NtlmSecurity, Rc4ResetHookRestartsTheStreamButNotTheSequence)
{
    // SPNEGO: the client signs the mechListMIC, resets its outgoing RC4; the server verifies,
    // resets its incoming RC4; the next sealed message is sequence 1 on a fresh keystream.
    NtlmSecurity client = context(Role::Client);
    NtlmSecurity server = context(Role::Server);
    ASSERT_TRUE(server.verify("mechTypes", *client.sign("mechTypes")));
    ASSERT_TRUE(client.resetCipher(Direction::Outgoing));
    ASSERT_TRUE(server.resetCipher(Direction::Incoming));
    const SealedMessage sealed = *client.seal("body");
    EXPECT_EQ(sealed.signature.right(4), QByteArray("\1\0\0\0", 4));
    // Fresh keystream: the ciphertext equals a brand-new context's first message.
    EXPECT_EQ(sealed.data, context(Role::Client).seal("body")->data);
    EXPECT_EQ(*server.unseal(sealed.data, sealed.signature), QByteArray("body"));

    // Without the matching reset the peers fall out of step.
    NtlmSecurity client2 = context(Role::Client);
    NtlmSecurity server2 = context(Role::Server);
    ASSERT_TRUE(server2.verify("m", *client2.sign("m")));
    ASSERT_TRUE(client2.resetCipher(Direction::Outgoing));
    const SealedMessage out = *client2.seal("body");
    EXPECT_EQ(server2.unseal(out.data, out.signature).error().code, ErrorCode::IntegrityFailure);
}

TEST(NtlmSecurity, RefusesWithoutExtendedSessionSecurityOrWithABadKey)
{
    const auto noEss = NtlmSecurity::create(
        crypto(), randomSessionKey(),
        MsNlmpFlags & ~NegotiateFlags(NegotiateFlag::ExtendedSessionSecurity), Role::Client);
    ASSERT_FALSE(noEss);
    EXPECT_EQ(noEss.error().code, ErrorCode::Unsupported);
    const auto shortKey = NtlmSecurity::create(crypto(), "short", MsNlmpFlags, Role::Client);
    ASSERT_FALSE(shortKey);
    EXPECT_EQ(shortKey.error().code, ErrorCode::InvalidArgument);
}
