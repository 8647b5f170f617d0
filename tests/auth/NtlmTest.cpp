#include "auth/Ntlm.h"

#include "AuthTestSupport.h"

#include <QtEndian>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Auth;
using namespace Auth::Ntlm;
using namespace AuthTest;

namespace {

// MS-NLMP 4.2.1: ClientChallenge aa x 8, RandomSessionKey 55 x 16, Time 0.
NtlmClientOptions msNlmpOptions(const QString &user = u"Domain\\User"_s)
{
    NtlmClientOptions options;
    options.user = user;
    options.workstation = u"COMPUTER"_s;
    options.random = [](qsizetype size) {
        return size == 8 ? clientChallenge() : randomSessionKey();
    };
    options.fileTimeNow = [] { return quint64(0); };
    return options;
}

NtlmClient client(const NtlmClientOptions &options, QByteArrayView password = Password)
{
    Result<NtlmClient> created = NtlmClient::create(options, password);
    EXPECT_TRUE(created) << created.error().detail.toStdString();
    return std::move(created).value();
}

QString text(const QByteArray &utf16)
{
    return QString::fromUtf16(reinterpret_cast<const char16_t *>(utf16.constData()),
                              utf16.size() / 2);
}

struct Handshake {
    QByteArray negotiate, challenge, authenticate;
};

Handshake handshake(NtlmClient &ntlm, const QByteArray &challenge)
{
    Handshake h;
    h.negotiate = *ntlm.step({});
    h.challenge = challenge;
    const Result<QByteArray> authenticate = ntlm.step(challenge);
    EXPECT_TRUE(authenticate) << authenticate.error().detail.toStdString();
    if (authenticate)
        h.authenticate = *authenticate;
    return h;
}

} // namespace

TEST(NtlmClient, FirstTokenIsNegotiateWithVersion)
{
    NtlmClient ntlm = client(msNlmpOptions());
    const Result<QByteArray> negotiate = ntlm.step({});
    ASSERT_TRUE(negotiate);
    ASSERT_EQ(negotiate->size(), 40);
    const NegotiateFlags flags =
        NegotiateFlags::fromInt(qFromLittleEndian<quint32>(negotiate->constData() + 12));
    for (NegotiateFlag flag :
         {NegotiateFlag::Unicode, NegotiateFlag::Ntlm, NegotiateFlag::ExtendedSessionSecurity,
          NegotiateFlag::Sign, NegotiateFlag::Seal, NegotiateFlag::KeyExchange,
          NegotiateFlag::Key128, NegotiateFlag::Version, NegotiateFlag::AlwaysSign})
        EXPECT_TRUE(flags.testFlag(flag)) << std::hex << quint32(flag);
    EXPECT_EQ(negotiate->mid(32), Version{}.toBytes());
    EXPECT_FALSE(ntlm.isComplete());
}

TEST(NtlmClient, AuthenticateFromTheMsNlmpChallengeFieldByField)
{
    NtlmClient ntlm = client(msNlmpOptions());
    const Handshake h = handshake(ntlm, challengeMessage());
    ASSERT_TRUE(ntlm.isComplete());
    const auto fields = TestNtlmServer::parseAuthenticate(h.authenticate);
    ASSERT_TRUE(fields);
    const QByteArray avPairs = serializeAvPairs({{AvId::MsvAvNbDomainName, utf16le(u"Domain")},
                                                 {AvId::MsvAvNbComputerName, utf16le(u"Server")}});
    EXPECT_EQ(fields->flags, 0xe28a8233u);
    EXPECT_EQ(fields->lm, hex("86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa"));
    EXPECT_EQ(fields->nt,
              QByteArray(hex("68cd0ab851e51c96aabc927bebef6a1c") +
                         hex("0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000") +
                         avPairs + QByteArray(4, '\0')));
    EXPECT_EQ(text(fields->domain), u"Domain"_s);
    EXPECT_EQ(text(fields->user), u"User"_s);
    EXPECT_EQ(text(fields->workstation), u"COMPUTER"_s);
    EXPECT_EQ(fields->encryptedKey, hex("c5dad2544fc9799094ce1ce90bc9d03e"));
    EXPECT_EQ(fields->version, Version{}.toBytes());
    EXPECT_EQ(fields->mic, QByteArray(16, '\0')); // no MsvAvTimestamp from the server: no MIC
    EXPECT_EQ(ntlm.sessionKey(), randomSessionKey());

    // And the context seals exactly like MS-NLMP 4.2.4.4.
    const Result<SealedMessage> sealed = ntlm.wrapSeparate(utf16le(u"Plaintext"));
    ASSERT_TRUE(sealed);
    EXPECT_EQ(sealed->data, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
    EXPECT_EQ(sealed->signature, hex("01000000 7fb38ec5c55d4976 00000000"));
}

TEST(NtlmClient, TimestampedChallengeGetsMicFlagsSpnAndZeroLm)
{
    const QByteArray serverTime = hex("0090d336b734c301");
    NtlmClientOptions options = msNlmpOptions();
    options.targetSpn = u"HTTP/server.domain.test"_s;
    NtlmClient ntlm = client(options);
    const Handshake h = handshake(ntlm, challengeMessage({{AvId::MsvAvTimestamp, serverTime}}));

    TestNtlmServer server;
    ASSERT_EQ(server.accept(h.negotiate, h.challenge, h.authenticate, Password), QString());
    EXPECT_NE(server.fields.mic, QByteArray(16, '\0'));
    EXPECT_EQ(server.fields.lm, QByteArray(24, '\0'));
    // The NTLMv2 blob carries the server's time, not the client clock.
    EXPECT_EQ(server.fields.nt.mid(16 + 8, 8), serverTime);
    std::optional<QByteArray> flags, spn, bindings;
    for (const AvPair &pair : server.clientPairs) {
        if (pair.id == AvId::MsvAvFlags)
            flags = pair.value;
        if (pair.id == AvId::MsvAvTargetName)
            spn = pair.value;
        if (pair.id == AvId::MsvAvChannelBindings)
            bindings = pair.value;
    }
    EXPECT_EQ(flags, hex("02000000"));
    EXPECT_EQ(spn, utf16le(u"HTTP/server.domain.test"));
    EXPECT_FALSE(bindings) << "no channel bindings were given, so none may be sent";

    // MIC recomputation: any change to the signed messages breaks it.
    QByteArray tampered = h.authenticate;
    tampered[tampered.size() - 1] = char(tampered.back() ^ 1); // inside the session key field
    TestNtlmServer other;
    EXPECT_NE(other.accept(h.negotiate, h.challenge, tampered, Password), QString());
    QByteArray otherNegotiate = h.negotiate;
    otherNegotiate[12] = char(otherNegotiate[12] ^ 0x04);
    TestNtlmServer third;
    EXPECT_EQ(third.accept(otherNegotiate, h.challenge, h.authenticate, Password),
              u"MIC does not verify"_s);
}

TEST(NtlmClient, ExistingMsvAvFlagsGetTheMicBitOred)
{
    NtlmClient ntlm = client(msNlmpOptions());
    const Handshake h =
        handshake(ntlm, challengeMessage({{AvId::MsvAvFlags, hex("01000000")},
                                          {AvId::MsvAvTimestamp, QByteArray(8, '\1')}}));
    TestNtlmServer server;
    ASSERT_EQ(server.accept(h.negotiate, h.challenge, h.authenticate, Password), QString());
    int flagPairs = 0;
    for (const AvPair &pair : server.clientPairs) {
        if (pair.id == AvId::MsvAvFlags) {
            ++flagPairs;
            EXPECT_EQ(pair.value, hex("03000000"));
        }
    }
    EXPECT_EQ(flagPairs, 1);
}

TEST(NtlmClient, ChannelBindingsAvPairIsMd5OfTheStruct)
{
    ChannelBindings bindings;
    bindings.applicationData = "tls-server-end-point:" + QByteArray(32, '\x11');
    NtlmClientOptions options = msNlmpOptions();
    options.channelBindings = bindings;
    NtlmClient ntlm = client(options);
    const Handshake h = handshake(ntlm, challengeMessage());
    TestNtlmServer server;
    ASSERT_EQ(server.accept(h.negotiate, h.challenge, h.authenticate, Password), QString());
    std::optional<QByteArray> sent;
    for (const AvPair &pair : server.clientPairs) {
        if (pair.id == AvId::MsvAvChannelBindings)
            sent = pair.value;
    }
    EXPECT_EQ(sent, *crypto().md5(bindings.serialize()));
}

TEST(NtlmClient, UserNameForms)
{
    struct Case {
        QString input, user, domain;
    };
    for (const Case &c :
         {Case{u"user"_s, u"user"_s, QString()}, Case{u"CORP\\alice"_s, u"alice"_s, u"CORP"_s},
          Case{u"bob@CORP.EXAMPLE"_s, u"bob@CORP.EXAMPLE"_s, QString()}}) {
        NtlmClient ntlm = client(msNlmpOptions(c.input));
        EXPECT_EQ(ntlm.userName(), c.user);
        EXPECT_EQ(ntlm.domainName(), c.domain);
        const Handshake h = handshake(ntlm, challengeMessage());
        TestNtlmServer server;
        EXPECT_EQ(server.accept(h.negotiate, h.challenge, h.authenticate, Password), QString());
        EXPECT_EQ(text(server.fields.user), c.user);
        EXPECT_EQ(text(server.fields.domain), c.domain);
    }
    const Result<NtlmClient> empty = NtlmClient::create(msNlmpOptions(u"DOMAIN\\"_s), Password);
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, ErrorCode::InvalidArgument);
}

TEST(NtlmClient, WrongPasswordIsDetectedByTheServer)
{
    NtlmClient ntlm = client(msNlmpOptions(), "Wrong");
    const Handshake h = handshake(ntlm, challengeMessage());
    TestNtlmServer server;
    EXPECT_EQ(server.accept(h.negotiate, h.challenge, h.authenticate, Password),
              u"NTProofStr does not verify (wrong password?)"_s);
}

TEST(NtlmClient, WrapUnwrapRoundTripWithTheTestServer)
{
    NtlmClientOptions options = msNlmpOptions();
    options.random = {}; // the real DRBG
    options.fileTimeNow = {};
    NtlmClient ntlm = client(options);
    const Handshake h =
        handshake(ntlm, challengeMessage({{AvId::MsvAvTimestamp, QByteArray(8, '\7')}}));
    TestNtlmServer server;
    ASSERT_EQ(server.accept(h.negotiate, h.challenge, h.authenticate, Password), QString());
    EXPECT_EQ(server.exportedSessionKey, ntlm.sessionKey());

    for (int i = 0; i < 3; ++i) {
        const QByteArray envelope = "<s:Envelope>" + QByteArray(1000 * i, 'x') + "</s:Envelope>";
        const Result<SealedMessage> sealed = ntlm.wrapSeparate(envelope);
        ASSERT_TRUE(sealed);
        EXPECT_EQ(sealed->signature.size(), 16);
        EXPECT_EQ(sealed->data.size(), envelope.size());
        EXPECT_NE(sealed->data, envelope);
        EXPECT_EQ(*server.security->unseal(sealed->data, sealed->signature), envelope);

        const QByteArray response = "<s:Envelope>reply " + QByteArray::number(i) + "</s:Envelope>";
        const SealedMessage reply = *server.security->seal(response);
        // GSS_Wrap token form: signature ‖ data.
        const Result<QByteArray> unwrapped = ntlm.unwrap(QByteArray(reply.signature + reply.data));
        ASSERT_TRUE(unwrapped) << unwrapped.error().detail.toStdString();
        EXPECT_EQ(*unwrapped, response);
    }
    const Result<QByteArray> wrapped = ntlm.wrap("abc");
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(wrapped->size(), 16 + 3);
    EXPECT_EQ(*server.security->unseal(wrapped->sliced(16), wrapped->first(16)), QByteArray("abc"));

    const SealedMessage reply = *server.security->seal("tampered");
    QByteArray data = reply.data;
    data[0] = char(data[0] ^ 0x20);
    EXPECT_EQ(ntlm.unwrapSeparate(data, reply.signature).error().code, ErrorCode::IntegrityFailure);
    EXPECT_EQ(ntlm.unwrap("short").error().code, ErrorCode::IntegrityFailure);
}

TEST(NtlmClient, SpnegoMechListMicAndRc4Reset)
{
    NtlmClient ntlm = client(msNlmpOptions());
    const Handshake h =
        handshake(ntlm, challengeMessage({{AvId::MsvAvTimestamp, QByteArray(8, '\7')}}));
    TestNtlmServer server;
    ASSERT_EQ(server.accept(h.negotiate, h.challenge, h.authenticate, Password), QString());
    // Client mechListMIC, then reset; server verifies, resets; and the same on the way back.
    ASSERT_TRUE(server.security->verify("mechTypes", *ntlm.sign("mechTypes")));
    ASSERT_TRUE(ntlm.resetCipher(Direction::Outgoing));
    ASSERT_TRUE(server.security->resetCipher(Direction::Incoming));
    ASSERT_TRUE(ntlm.verify("mechTypes", *server.security->sign("mechTypes")));
    ASSERT_TRUE(ntlm.resetCipher(Direction::Incoming));
    ASSERT_TRUE(server.security->resetCipher(Direction::Outgoing));

    const SealedMessage up = *ntlm.wrapSeparate("first body");
    EXPECT_EQ(up.signature.right(4), QByteArray("\1\0\0\0", 4));
    EXPECT_EQ(*server.security->unseal(up.data, up.signature), QByteArray("first body"));
    const SealedMessage down = *server.security->seal("first reply");
    EXPECT_EQ(*ntlm.unwrapSeparate(down.data, down.signature), QByteArray("first reply"));
}

TEST(NtlmClient, StateErrors)
{
    NtlmClient ntlm = client(msNlmpOptions());
    EXPECT_EQ(ntlm.wrap("x").error().code, ErrorCode::InvalidState);
    EXPECT_EQ(ntlm.step("unexpected").error().code, ErrorCode::InvalidState);
    (void)handshake(ntlm, challengeMessage());
    EXPECT_EQ(ntlm.step(challengeMessage()).error().code, ErrorCode::InvalidState);
}

TEST(NtlmClient, MalformedChallengeFailsTheContextWithATypedError)
{
    NtlmClient ntlm = client(msNlmpOptions());
    ASSERT_TRUE(ntlm.step({}));
    const Result<QByteArray> token = ntlm.step(challengeMessage().first(60));
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, ErrorCode::InvalidToken);
    EXPECT_FALSE(token.error().detail.contains(QLatin1StringView(Password)));
    EXPECT_FALSE(ntlm.isComplete());
    EXPECT_EQ(ntlm.step(challengeMessage()).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(ntlm.wrap("x").error().code, ErrorCode::InvalidState);
}

TEST(NtlmClient, ServerWithoutSealOrUnicodeIsRefused)
{
    NtlmClient noSeal = client(msNlmpOptions());
    ASSERT_TRUE(noSeal.step({}));
    EXPECT_EQ(noSeal.step(challengeMessage({}, 0xe28a8233u & ~0x20u)).error().code,
              ErrorCode::Unsupported);

    NtlmClient oemOnly = client(msNlmpOptions());
    ASSERT_TRUE(oemOnly.step({}));
    EXPECT_EQ(oemOnly.step(challengeMessage({}, 0xe28a8233u & ~0x1u)).error().code,
              ErrorCode::Unsupported);

    // Without confidentiality a SIGN-only server is fine, but wrap() is then unavailable.
    NtlmClientOptions options = msNlmpOptions();
    options.confidentiality = false;
    NtlmClient signOnly = client(options);
    (void)handshake(signOnly, challengeMessage({}, 0xe28a8233u & ~0x20u));
    ASSERT_TRUE(signOnly.isComplete());
    EXPECT_FALSE(signOnly.negotiatedFlags().testFlag(NegotiateFlag::Seal));
    EXPECT_EQ(signOnly.wrap("x").error().code, ErrorCode::Unsupported);
    EXPECT_TRUE(signOnly.sign("x"));
}

TEST(NtlmClient, WithoutKeyExchangeTheSessionKeyIsTheSessionBaseKey)
{
    NtlmClient ntlm = client(msNlmpOptions());
    const Handshake h = handshake(ntlm, challengeMessage({}, 0xe28a8233u & ~0x40000000u));
    const auto fields = TestNtlmServer::parseAuthenticate(h.authenticate);
    ASSERT_TRUE(fields);
    EXPECT_TRUE(fields->encryptedKey.isEmpty());
    EXPECT_EQ(ntlm.sessionKey(), hex("8de40ccadbc14a82f15cb0ad0de95ca3"));
    TestNtlmServer server;
    ASSERT_EQ(server.accept(h.negotiate, h.challenge, h.authenticate, Password), QString());
    const SealedMessage sealed = *ntlm.wrapSeparate("hello");
    EXPECT_EQ(*server.security->unseal(sealed.data, sealed.signature), QByteArray("hello"));
}
