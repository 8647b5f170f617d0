#include "auth/Spnego.h"

#include "AuthTestSupport.h"
#include "GssAcceptor.h"

#include <QDir>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <cstdlib>

using namespace Qt::Literals::StringLiterals;
using namespace Auth;
using namespace Auth::Spnego;
using namespace AuthTest;

namespace {

std::string describe(const Error &error)
{
    return error.detail.toStdString();
}

NegTokenResp resp(const QByteArray &der)
{
    Result<NegotiationToken> token = decode(der);
    EXPECT_TRUE(token) << describe(token.error());
    if (!token || !std::holds_alternative<NegTokenResp>(*token)) {
        ADD_FAILURE() << "not a NegTokenResp";
        return {};
    }
    return std::get<NegTokenResp>(*token);
}

NegTokenInit init(const QByteArray &der)
{
    Result<NegotiationToken> token = decode(der);
    EXPECT_TRUE(token) << describe(token.error());
    if (!token || !std::holds_alternative<NegTokenInit>(*token)) {
        ADD_FAILURE() << "not a NegTokenInit";
        return {};
    }
    return std::get<NegTokenInit>(*token);
}

ErrorCode decodeError(const QByteArray &der)
{
    Result<NegotiationToken> token = decode(der);
    return token ? ErrorCode::Unsupported /* "no error" marker */ : token.error().code;
}

// A stand-in for the Kerberos mechanism: scripted first step, records what it is fed.
class FakeKerberos final : public SpnegoMechanism {
public:
    std::optional<Error> firstStepError;
    QList<QByteArray> inputs;
    bool complete = false;

    QString name() const override { return u"Kerberos"_s; }
    QByteArray oid() const override { return SpnegoOid::krb5(); }
    bool acceptsOid(QByteArrayView candidate) const override
    {
        return candidate == QByteArrayView(SpnegoOid::krb5()) ||
               candidate == QByteArrayView(SpnegoOid::msKrb5());
    }
    Result<QByteArray> step(QByteArrayView input) override
    {
        inputs.append(input.toByteArray());
        if (inputs.size() == 1) {
            if (firstStepError)
                return *firstStepError;
            return QByteArray("AP-REQ");
        }
        complete = input == QByteArrayView("AP-REP");
        return QByteArray();
    }
    bool isComplete() const override { return complete; }
    Result<QByteArray> getMic(QByteArrayView data) override
    {
        return QByteArray("KMIC" + data.toByteArray());
    }
    Result<void> verifyMic(QByteArrayView data, QByteArrayView mic) override
    {
        if (mic != QByteArrayView(QByteArray("KMIC" + data.toByteArray())))
            return makeError(ErrorCode::IntegrityFailure, u"bad"_s);
        return {};
    }
    Result<QByteArray> wrap(QByteArrayView p) override
    {
        return QByteArray("K:" + p.toByteArray());
    }
    Result<QByteArray> unwrap(QByteArrayView t) override { return t.sliced(2).toByteArray(); }
    Result<WrappedMessage> wrapWinrm(QByteArrayView p) override
    {
        return WrappedMessage{"KH", p.toByteArray()};
    }
    Result<QByteArray> unwrapWinrm(QByteArrayView, QByteArrayView d) override
    {
        return d.toByteArray();
    }
};

NtlmClientOptions ntlmOptions(const QString &user = u"Domain\\User"_s)
{
    NtlmClientOptions options;
    options.user = user;
    options.workstation = u"COMPUTER"_s;
    return options;
}

std::unique_ptr<NtlmMechanism> ntlmMechanism(const QString &user = u"Domain\\User"_s,
                                             QByteArrayView password = Password)
{
    Result<std::unique_ptr<NtlmMechanism>> created =
        NtlmMechanism::create(ntlmOptions(user), password);
    EXPECT_TRUE(created) << describe(created.error());
    return created ? std::move(*created) : nullptr;
}

SpnegoClient ntlmOnlyClient()
{
    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(ntlmMechanism());
    return SpnegoClient(std::move(mechanisms));
}

QByteArray timestampedChallenge()
{
    return challengeMessage({{Ntlm::AvId::MsvAvTimestamp, QByteArray(8, '\7')}});
}

// The server half of SPNEGO with NTLM, built from the test NTLM acceptor: what Windows answers.
struct HandBuiltServer {
    QList<QByteArray> mechTypes;
    QByteArray negotiate;
    QByteArray challenge = timestampedChallenge();
    TestNtlmServer ntlm;

    QByteArray mechTypeList() const { return encodeMechTypeList(mechTypes); }

    // Final leg: checks AUTHENTICATE and the client's MIC, returns accept-completed + MIC.
    QString complete(const NegTokenResp &fromClient, NegTokenResp *reply, bool withMic = true)
    {
        if (!fromClient.responseToken || !fromClient.mechListMic)
            return u"client sent no AUTHENTICATE or no mechListMIC"_s;
        const QString accepted =
            ntlm.accept(negotiate, challenge, *fromClient.responseToken, Password);
        if (!accepted.isEmpty())
            return accepted;
        if (!ntlm.security->verify(mechTypeList(), *fromClient.mechListMic))
            return u"client mechListMIC does not verify"_s;
        (void)ntlm.security->resetCipher(Ntlm::Direction::Incoming);
        reply->negState = NegState::AcceptCompleted;
        if (withMic) {
            reply->mechListMic = *ntlm.security->sign(mechTypeList());
            (void)ntlm.security->resetCipher(Ntlm::Direction::Outgoing);
        }
        return {};
    }
};

QByteArray challengeReply(const QByteArray &challenge, bool withSupportedMech = true)
{
    NegTokenResp reply;
    reply.negState = NegState::AcceptIncomplete;
    if (withSupportedMech)
        reply.supportedMech = SpnegoOid::ntlm();
    reply.responseToken = challenge;
    return encodeNegTokenResp(reply);
}

} // namespace

// ---- OIDs ----

TEST(SpnegoOid, KnownMechanismsInDottedForm)
{
    EXPECT_EQ(*SpnegoOid::toString(SpnegoOid::spnego()), u"1.3.6.1.5.5.2"_s);
    EXPECT_EQ(*SpnegoOid::toString(SpnegoOid::ntlm()), u"1.3.6.1.4.1.311.2.2.10"_s);
    EXPECT_EQ(*SpnegoOid::toString(SpnegoOid::krb5()), u"1.2.840.113554.1.2.2"_s);
    EXPECT_EQ(*SpnegoOid::toString(SpnegoOid::msKrb5()), u"1.2.840.48018.1.2.2"_s);
    EXPECT_EQ(*SpnegoOid::fromString(u"1.2.840.113554.1.2.2"), SpnegoOid::krb5());
    EXPECT_EQ(*SpnegoOid::fromString(u"1.3.6.1.4.1.311.2.2.10"), SpnegoOid::ntlm());
    EXPECT_EQ(*SpnegoOid::toString(*SpnegoOid::fromString(u"2.999.3")), u"2.999.3"_s);
}

TEST(SpnegoOid, MalformedOidsAreRefused)
{
    EXPECT_EQ(SpnegoOid::toString({}).error().code, ErrorCode::InvalidToken);
    EXPECT_EQ(SpnegoOid::toString("\x2b\x86").error().code, ErrorCode::InvalidToken);
    EXPECT_EQ(SpnegoOid::toString("\x2b\x80\x01").error().code, ErrorCode::InvalidToken);
    EXPECT_EQ(SpnegoOid::toString(QByteArray(QByteArray(10, '\xff') + '\x01')).error().code,
              ErrorCode::InvalidToken);
    for (const QString &text : {u"1"_s, u"3.1"_s, u"1.40"_s, u"1..2"_s, u"1.2.x"_s, u""_s})
        EXPECT_EQ(SpnegoOid::fromString(text).error().code, ErrorCode::InvalidArgument)
            << text.toStdString();
}

// ---- DER ----

TEST(SpnegoDer, InitialContextTokenByteForByte)
{
    NegTokenInit token;
    token.mechTypes = {SpnegoOid::ntlm()};
    token.mechToken = "abc";
    const QByteArray der = encodeInitialContextToken(token);
    EXPECT_EQ(der.toHex(), QByteArray("602306062b0601050502a0193017a00e300c060a2b06010401823702020a"
                                      "a205040361626"
                                      "3"));
    const NegTokenInit back = init(der);
    EXPECT_EQ(back.mechTypes, token.mechTypes);
    EXPECT_EQ(back.mechToken, QByteArray("abc"));
    EXPECT_FALSE(back.reqFlags);
    EXPECT_FALSE(back.mechListMic);
    EXPECT_EQ(encodeMechTypeList(token.mechTypes).toHex(),
              QByteArray("300c060a2b06010401823702020a"));
}

TEST(SpnegoDer, NegTokenRespHandBuilt)
{
    const QByteArray der = hex("a1 1c 30 1a a0 03 0a 01 01 a1 0c 06 0a 2b 06 01 04 01 82 37 02 02 "
                               "0a a2 05 04 03 78 79 7a");
    const NegTokenResp token = resp(der);
    EXPECT_EQ(token.negState, NegState::AcceptIncomplete);
    EXPECT_EQ(token.supportedMech, SpnegoOid::ntlm());
    EXPECT_EQ(token.responseToken, QByteArray("xyz"));
    EXPECT_FALSE(token.mechListMic);
    EXPECT_EQ(encodeNegTokenResp(token), der);
}

TEST(SpnegoDer, AllFieldsAndLongFormLengthsRoundTrip)
{
    NegTokenInit initToken;
    initToken.mechTypes = {SpnegoOid::krb5(), SpnegoOid::msKrb5(), SpnegoOid::ntlm()};
    initToken.reqFlags = hex("01 06"); // 7 bits used: mutual|replay
    initToken.mechToken = QByteArray(300, 'k');
    initToken.mechListMic = QByteArray(16, 'm');
    const QByteArray der = encodeInitialContextToken(initToken);
    EXPECT_EQ(der.left(4), hex("60 82 01 84")); // two-octet long form: 4 + 8 + 376
    const NegTokenInit back = init(der);
    EXPECT_EQ(back.mechTypes, initToken.mechTypes);
    EXPECT_EQ(back.reqFlags, initToken.reqFlags);
    EXPECT_EQ(back.mechToken, initToken.mechToken);
    EXPECT_EQ(back.mechListMic, initToken.mechListMic);

    NegTokenResp respToken;
    respToken.negState = NegState::RequestMic;
    respToken.responseToken = QByteArray(200, 'r');
    respToken.mechListMic = QByteArray();
    const QByteArray respDer = encodeNegTokenResp(respToken);
    EXPECT_EQ(respDer.left(3), hex("a1 81 da")); // one-octet long form: 3 + 215
    const NegTokenResp respBack = resp(respDer);
    EXPECT_EQ(respBack.negState, NegState::RequestMic);
    EXPECT_FALSE(respBack.supportedMech);
    EXPECT_EQ(respBack.responseToken, respToken.responseToken);
    EXPECT_EQ(respBack.mechListMic, QByteArray()); // present but empty
    EXPECT_EQ(resp(hex("a1 02 30 00")).negState, std::nullopt);
    // A bare [0] NegTokenInit (no GSS wrapper) is accepted too.
    EXPECT_EQ(init(der.sliced(12)).mechTypes, initToken.mechTypes);
}

TEST(SpnegoDer, EveryTruncationIsInvalidToken)
{
    NegTokenInit token;
    token.mechTypes = {SpnegoOid::krb5(), SpnegoOid::ntlm()};
    token.mechToken = QByteArray(150, 'x');
    token.mechListMic = "mic";
    const QByteArray der = encodeInitialContextToken(token);
    for (qsizetype n = 0; n < der.size(); ++n)
        EXPECT_EQ(decodeError(der.first(n)), ErrorCode::InvalidToken) << n;
    EXPECT_EQ(decodeError(der + '\0'), ErrorCode::InvalidToken);
}

TEST(SpnegoDer, MalformedEncodingsAreInvalidToken)
{
    const QList<QPair<const char *, QByteArray>> cases = {
        {"indefinite length", hex("a1 80 30 00 00 00")},
        {"non-minimal long form", hex("a1 81 04 30 02 a0 00")},
        {"leading zero length octet", hex("a1 82 00 04 30 02 0a 00")},
        {"length beyond input", hex("a1 7f 30 00")},
        {"huge length", hex("a1 84 ff ff ff ff 30 00")},
        {"high tag number", hex("bf 01 00")},
        {"unknown choice", hex("a2 02 30 00")},
        {"resp not a sequence", hex("a1 02 31 00")},
        {"trailing inside explicit tag", hex("a1 04 30 00 05 00")},
        {"negState out of range", hex("a1 07 30 05 a0 03 0a 01 04")},
        {"negState two octets", hex("a1 08 30 06 a0 04 0a 02 00 01")},
        {"negState wrong type", hex("a1 07 30 05 a0 03 02 01 01")},
        {"fields out of order", hex("a1 0e 30 0c a2 03 04 01 41 a0 03 0a 01 01")},
        {"field repeated", hex("a1 0c 30 0a a0 03 0a 01 01 a0 03 0a 01 00")},
        {"unknown field [4]", hex("a1 07 30 05 a4 03 04 01 41")},
        {"primitive context tag", hex("a1 05 30 03 82 01 41")},
        {"responseToken not OCTET STRING", hex("a1 07 30 05 a2 03 0c 01 41")},
        {"supportedMech malformed OID", hex("a1 07 30 05 a1 03 06 01 80")},
        {"empty mechTypes", hex("a0 06 30 04 a0 02 30 00")},
        {"init without mechTypes", hex("a0 07 30 05 a2 03 04 01 41")},
        {"mechType not an OID", hex("a0 09 30 07 a0 05 30 03 04 01 2b")},
        {"reqFlags unused bits 8", hex("a0 13 30 11 a0 0a 30 08 06 06 2b 06 01 05 05 02 a1 03 03 "
                                       "01 08")},
        {"wrapper for another mech", hex("60 0c 06 06 2b 06 01 05 05 03 a0 02 30 00")},
        {"wrapper around NegTokenResp", hex("60 0c 06 06 2b 06 01 05 05 02 a1 02 30 00")},
        {"empty input", QByteArray()},
    };
    for (const auto &[what, der] : cases)
        EXPECT_EQ(decodeError(der), ErrorCode::InvalidToken) << what;

    NegTokenInit many;
    many.mechTypes = QList<QByteArray>(MaxMechTypes + 1, QByteArray("\x2a"));
    EXPECT_EQ(decodeError(encodeInitialContextToken(many)), ErrorCode::InvalidToken);
    many.mechTypes.resize(MaxMechTypes);
    EXPECT_EQ(decodeError(encodeInitialContextToken(many)), ErrorCode::Unsupported); // accepted

    NegTokenResp big;
    big.responseToken = QByteArray(MaxTokenSize, 'b');
    EXPECT_EQ(decodeError(encodeNegTokenResp(big)), ErrorCode::InvalidToken);
}

TEST(SpnegoDer, EveryByteFlipDecodesOrFailsCleanly)
{
    NegTokenResp token;
    token.negState = NegState::AcceptIncomplete;
    token.supportedMech = SpnegoOid::ntlm();
    token.responseToken = QByteArray(130, 't');
    token.mechListMic = QByteArray(16, 'm');
    const QByteArray der = encodeNegTokenResp(token);
    int rejectedInOuterHeader = 0; // a1 81 xx: tag and length octets
    for (qsizetype i = 0; i < der.size(); ++i) {
        for (const quint8 mask : {quint8(0x01), quint8(0x80), quint8(0xff)}) {
            QByteArray flipped = der;
            flipped[i] = char(quint8(flipped[i]) ^ mask);
            const Result<NegotiationToken> decoded = decode(flipped);
            if (!decoded) {
                EXPECT_EQ(decoded.error().code, ErrorCode::InvalidToken);
                rejectedInOuterHeader += i < 3 ? 1 : 0;
            } else if (std::holds_alternative<NegTokenResp>(*decoded)) {
                // Whatever decodes re-encodes to the same bytes: DER has one encoding.
                EXPECT_EQ(encodeNegTokenResp(std::get<NegTokenResp>(*decoded)), flipped) << i;
            }
        }
    }
    EXPECT_EQ(rejectedInOuterHeader, 9);
}

// ---- SpnegoClient against hand-built server tokens ----

TEST(SpnegoClient, NtlmHandshakeWithMechListMicAndRc4Reset)
{
    SpnegoClient client = ntlmOnlyClient();
    HandBuiltServer server;

    const Result<QByteArray> first = client.step({});
    ASSERT_TRUE(first) << describe(first.error());
    const NegTokenInit initToken = init(*first);
    ASSERT_EQ(initToken.mechTypes, QList<QByteArray>{SpnegoOid::ntlm()});
    ASSERT_TRUE(initToken.mechToken);
    EXPECT_TRUE(initToken.mechToken->startsWith(QByteArray("NTLMSSP\0\1\0\0\0", 12)));
    EXPECT_FALSE(initToken.mechListMic);
    EXPECT_EQ(client.mechanism(), nullptr);
    server.mechTypes = initToken.mechTypes;
    server.negotiate = *initToken.mechToken;

    const Result<QByteArray> second = client.step(challengeReply(server.challenge));
    ASSERT_TRUE(second) << describe(second.error());
    const NegTokenResp authenticate = resp(*second);
    EXPECT_FALSE(authenticate.negState);
    EXPECT_FALSE(authenticate.supportedMech);
    EXPECT_FALSE(client.isComplete());
    ASSERT_NE(client.mechanism(), nullptr);
    EXPECT_EQ(client.mechanism()->name(), u"NTLM"_s);

    NegTokenResp finish;
    ASSERT_EQ(server.complete(authenticate, &finish), QString());
    const Result<QByteArray> last = client.step(encodeNegTokenResp(finish));
    ASSERT_TRUE(last) << describe(last.error());
    EXPECT_TRUE(last->isEmpty());
    EXPECT_TRUE(client.isComplete());

    // Both RC4 streams restarted after the MIC exchange, sequence numbers kept counting.
    const Result<WrappedMessage> up = client.wrapWinrm("<Envelope/>");
    ASSERT_TRUE(up);
    EXPECT_EQ(up->header.size(), 16);
    EXPECT_EQ(up->header.right(4), QByteArray("\1\0\0\0", 4));
    EXPECT_EQ(*server.ntlm.security->unseal(up->data, up->header), QByteArray("<Envelope/>"));
    const Ntlm::SealedMessage down = *server.ntlm.security->seal("reply");
    EXPECT_EQ(*client.unwrapWinrm(down.signature, down.data), QByteArray("reply"));
    const Ntlm::SealedMessage down2 = *server.ntlm.security->seal("again");
    EXPECT_EQ(*client.unwrap(QByteArray(down2.signature + down2.data)), QByteArray("again"));
    const Result<QByteArray> token = client.wrap("up2");
    ASSERT_TRUE(token);
    EXPECT_EQ(*server.ntlm.security->unseal(token->sliced(16), token->first(16)),
              QByteArray("up2"));
    EXPECT_EQ(client.step(encodeNegTokenResp(finish)).error().code, ErrorCode::InvalidState);
}

TEST(SpnegoClient, TamperedServerMicFailsTheContext)
{
    SpnegoClient client = ntlmOnlyClient();
    HandBuiltServer server;
    const NegTokenInit initToken = init(*client.step({}));
    server.mechTypes = initToken.mechTypes;
    server.negotiate = *initToken.mechToken;
    NegTokenResp finish;
    ASSERT_EQ(server.complete(resp(*client.step(challengeReply(server.challenge))), &finish),
              QString());
    finish.mechListMic->data()[5] ^= 1;
    const Result<QByteArray> last = client.step(encodeNegTokenResp(finish));
    ASSERT_FALSE(last);
    EXPECT_EQ(last.error().code, ErrorCode::IntegrityFailure);
    EXPECT_FALSE(client.isComplete());
    EXPECT_EQ(client.mechanism(), nullptr);
    EXPECT_EQ(client.wrap("x").error().code, ErrorCode::InvalidState);
    EXPECT_EQ(client.step(encodeNegTokenResp(finish)).error().code, ErrorCode::InvalidState);
}

TEST(SpnegoClient, ServerMicOverDifferentMechTypesIsDowngradeDetected)
{
    SpnegoClient client = ntlmOnlyClient();
    HandBuiltServer server;
    const NegTokenInit initToken = init(*client.step({}));
    // A man in the middle that stripped Kerberos: the server MICs the list it saw.
    server.mechTypes = {SpnegoOid::krb5(), SpnegoOid::ntlm()};
    server.negotiate = *initToken.mechToken;
    const NegTokenResp authenticate = resp(*client.step(challengeReply(server.challenge)));
    NegTokenResp finish;
    EXPECT_EQ(server.complete(authenticate, &finish), u"client mechListMIC does not verify"_s);
}

TEST(SpnegoClient, RejectAndUnofferedMechanismAreErrors)
{
    {
        SpnegoClient client = ntlmOnlyClient();
        ASSERT_TRUE(client.step({}));
        NegTokenResp reject;
        reject.negState = NegState::Reject;
        const Result<QByteArray> out = client.step(encodeNegTokenResp(reject));
        ASSERT_FALSE(out);
        EXPECT_EQ(out.error().code, ErrorCode::CredentialsRejected);
        EXPECT_TRUE(out.error().detail.contains(u"reject"_s));
    }
    {
        SpnegoClient client = ntlmOnlyClient();
        ASSERT_TRUE(client.step({}));
        NegTokenResp other;
        other.negState = NegState::AcceptIncomplete;
        other.supportedMech = SpnegoOid::krb5();
        other.responseToken = "x";
        const Result<QByteArray> out = client.step(encodeNegTokenResp(other));
        ASSERT_FALSE(out);
        EXPECT_TRUE(out.error().detail.contains(u"1.2.840.113554.1.2.2"_s));
    }
    {
        SpnegoClient client = ntlmOnlyClient();
        ASSERT_TRUE(client.step({}));
        // First reply without supportedMech.
        EXPECT_EQ(client.step(challengeReply(timestampedChallenge(), false)).error().code,
                  ErrorCode::InvalidToken);
    }
    {
        SpnegoClient client = ntlmOnlyClient();
        EXPECT_EQ(client.step("x").error().code, ErrorCode::InvalidState);
        EXPECT_EQ(client.wrapWinrm("x").error().code, ErrorCode::InvalidState);
    }
    {
        SpnegoClient none({});
        EXPECT_EQ(none.step({}).error().code, ErrorCode::InvalidArgument);
    }
    {
        SpnegoClient client = ntlmOnlyClient();
        ASSERT_TRUE(client.step({}));
        EXPECT_EQ(client.step(hex("a1 03 30 01")).error().code, ErrorCode::InvalidToken);
    }
}

TEST(SpnegoClient, FallsBackToNtlmWhenTheServerPicksIt)
{
    auto kerberos = std::make_unique<FakeKerberos>();
    FakeKerberos *fake = kerberos.get();
    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(std::move(kerberos));
    mechanisms.push_back(ntlmMechanism());
    SpnegoClient client(std::move(mechanisms));

    const NegTokenInit initToken = init(*client.step({}));
    const QList<QByteArray> expected{SpnegoOid::krb5(), SpnegoOid::ntlm()};
    ASSERT_EQ(initToken.mechTypes, expected);
    EXPECT_EQ(initToken.mechToken, QByteArray("AP-REQ"));

    NegTokenResp pick;
    pick.negState = NegState::AcceptIncomplete;
    pick.supportedMech = SpnegoOid::ntlm();
    const NegTokenResp restart = resp(*client.step(encodeNegTokenResp(pick)));
    ASSERT_TRUE(restart.responseToken);
    EXPECT_TRUE(restart.responseToken->startsWith("NTLMSSP\0\1"_ba));
    EXPECT_FALSE(restart.mechListMic);
    EXPECT_EQ(fake->inputs.size(), 1);

    HandBuiltServer server;
    server.mechTypes = expected;
    server.negotiate = *restart.responseToken;
    const NegTokenResp authenticate = resp(*client.step(challengeReply(server.challenge, false)));
    NegTokenResp finish;
    ASSERT_EQ(server.complete(authenticate, &finish, false), QString());
    // The MIC is required here: completing without it is refused.
    const Result<QByteArray> withoutMic = client.step(encodeNegTokenResp(finish));
    ASSERT_FALSE(withoutMic);
    EXPECT_TRUE(withoutMic.error().detail.contains(u"mechListMIC"_s));
    EXPECT_TRUE(client.diagnostics().join(u'\n').contains(u"server chose NTLM over Kerberos"_s));
}

TEST(SpnegoClient, FallbackCompletesWithServerMic)
{
    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(std::make_unique<FakeKerberos>());
    mechanisms.push_back(ntlmMechanism());
    SpnegoClient client(std::move(mechanisms));
    const NegTokenInit initToken = init(*client.step({}));
    NegTokenResp pick;
    pick.negState = NegState::RequestMic; // what RFC 4178 5 (and MIT) send here
    pick.supportedMech = SpnegoOid::ntlm();
    HandBuiltServer server;
    server.mechTypes = initToken.mechTypes;
    server.negotiate = *resp(*client.step(encodeNegTokenResp(pick))).responseToken;
    NegTokenResp finish;
    ASSERT_EQ(server.complete(resp(*client.step(challengeReply(server.challenge, false))), &finish),
              QString());
    ASSERT_TRUE(client.step(encodeNegTokenResp(finish)));
    ASSERT_TRUE(client.isComplete());
    EXPECT_EQ(client.mechanism()->name(), u"NTLM"_s);
    const WrappedMessage up = *client.wrapWinrm("body");
    EXPECT_EQ(*server.ntlm.security->unseal(up.data, up.header), QByteArray("body"));
}

TEST(SpnegoClient, KerberosWithoutTicketIsDroppedWithADiagnostic)
{
    auto kerberos = std::make_unique<FakeKerberos>();
    kerberos->firstStepError =
        makeError(ErrorCode::Unsupported, u"No Kerberos credentials available (ccache empty)"_s);
    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(std::move(kerberos));
    mechanisms.push_back(ntlmMechanism(u"Domain\\User"_s, "S3cret-pw"));
    SpnegoClient client(std::move(mechanisms));

    const NegTokenInit initToken = init(*client.step({}));
    EXPECT_EQ(initToken.mechTypes, QList<QByteArray>{SpnegoOid::ntlm()});
    EXPECT_TRUE(initToken.mechToken->startsWith("NTLMSSP\0\1"_ba));
    const QString diagnostics = client.diagnostics().join(u'\n');
    EXPECT_TRUE(diagnostics.contains(u"Kerberos unavailable"_s)) << diagnostics.toStdString();
    EXPECT_TRUE(diagnostics.contains(u"ccache empty"_s));
    EXPECT_FALSE(diagnostics.contains(u"S3cret"_s));

    // Without NTLM behind it, the Kerberos failure is the result.
    auto lonely = std::make_unique<FakeKerberos>();
    lonely->firstStepError = makeError(ErrorCode::Unsupported, u"no KDC"_s);
    std::vector<std::unique_ptr<SpnegoMechanism>> only;
    only.push_back(std::move(lonely));
    SpnegoClient kerberosOnly(std::move(only));
    const Result<QByteArray> failed = kerberosOnly.step({});
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::Unsupported);
    EXPECT_TRUE(failed.error().detail.contains(u"no KDC"_s));
}

TEST(SpnegoClient, KerberosFirstChoiceCompletesOnTheFinalTokenWithoutMic)
{
    auto kerberos = std::make_unique<FakeKerberos>();
    FakeKerberos *fake = kerberos.get();
    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(std::move(kerberos));
    mechanisms.push_back(ntlmMechanism());
    SpnegoClient client(std::move(mechanisms));
    ASSERT_TRUE(client.step({}));

    // Windows answers with the MS Kerberos OID, accept-completed and the AP-REP on the 200.
    NegTokenResp done;
    done.negState = NegState::AcceptCompleted;
    done.supportedMech = SpnegoOid::msKrb5();
    done.responseToken = "AP-REP";
    const Result<QByteArray> out = client.step(encodeNegTokenResp(done));
    ASSERT_TRUE(out) << describe(out.error());
    EXPECT_TRUE(out->isEmpty());
    EXPECT_TRUE(client.isComplete());
    EXPECT_EQ(fake->inputs.last(), QByteArray("AP-REP"));
    EXPECT_EQ(*client.wrap("m"), QByteArray("K:m"));
    EXPECT_EQ(client.wrapWinrm("m")->header, QByteArray("KH"));

    // A mutual-auth token the mechanism does not accept leaves it incomplete: refused.
    auto other = std::make_unique<FakeKerberos>();
    std::vector<std::unique_ptr<SpnegoMechanism>> single;
    single.push_back(std::move(other));
    SpnegoClient second(std::move(single));
    ASSERT_TRUE(second.step({}));
    done.responseToken = "forged";
    EXPECT_EQ(second.step(encodeNegTokenResp(done)).error().code, ErrorCode::InvalidToken);
}

TEST(SpnegoClient, KerberosServerMicIsVerifiedAndAnswered)
{
    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(std::make_unique<FakeKerberos>());
    SpnegoClient client(std::move(mechanisms));
    const NegTokenInit initToken = init(*client.step({}));
    const QByteArray list = encodeMechTypeList(initToken.mechTypes);
    NegTokenResp reply;
    reply.negState = NegState::AcceptIncomplete;
    reply.supportedMech = SpnegoOid::krb5();
    reply.responseToken = "AP-REP";
    reply.mechListMic = "KMIC" + list;
    const NegTokenResp answer = resp(*client.step(encodeNegTokenResp(reply)));
    EXPECT_EQ(answer.mechListMic, "KMIC" + list);
    EXPECT_FALSE(answer.responseToken);
    NegTokenResp done;
    done.negState = NegState::AcceptCompleted;
    ASSERT_TRUE(client.step(encodeNegTokenResp(done)));
    EXPECT_TRUE(client.isComplete());
}

// ---- Interop: MIT krb5's SPNEGO acceptor with gss-ntlmssp ----

class SpnegoInterop : public ::testing::Test {
protected:
    void SetUp() override
    {
        const QString missing = GssAcceptor::ntlmsspMissing();
        if (!missing.isEmpty())
            GTEST_SKIP() << missing.toStdString();
        ASSERT_TRUE(m_dir.isValid());
        QFile users(m_dir.filePath(u"ntlm-users"_s));
        ASSERT_TRUE(users.open(QIODevice::WriteOnly));
        users.write("EXAMPLE:alice:Passw0rd!\n");
        users.close();
        ::setenv("NTLM_USER_FILE", QFile::encodeName(users.fileName()).constData(), 1);
    }

    // Drives the client against the acceptor; returns an empty string or what failed.
    QString handshake(SpnegoClient &client, GssAcceptor &acceptor, int *rounds)
    {
        Result<QByteArray> out = client.step({});
        for (*rounds = 1; *rounds < 8; ++*rounds) {
            if (!out)
                return u"client: "_s + out.error().detail;
            const GssAcceptor::Step server = acceptor.step(*out);
            if (!server.error.isEmpty())
                return u"acceptor: "_s + server.error;
            m_serverTokens.append(server.output);
            if (server.output.isEmpty() && server.complete && client.isComplete())
                return {};
            out = client.step(server.output);
            if (out && out->isEmpty()) {
                if (!server.complete)
                    return u"client has nothing to send but the acceptor is not complete"_s;
                return client.isComplete() ? QString() : u"client not complete"_s;
            }
        }
        return u"no completion after 8 rounds"_s;
    }

    QTemporaryDir m_dir;
    QList<QByteArray> m_serverTokens;
};

TEST_F(SpnegoInterop, NtlmClientAgainstMitSpnegoAcceptorWrapsBothWays)
{
    GssAcceptor acceptor;
    const QString initError = acceptor.init();
    ASSERT_TRUE(initError.isEmpty()) << initError.toStdString();

    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(ntlmMechanism(u"EXAMPLE\\alice"_s, "Passw0rd!"));
    SpnegoClient client(std::move(mechanisms));
    int rounds = 0;
    const QString failure = handshake(client, acceptor, &rounds);
    ASSERT_TRUE(failure.isEmpty()) << failure.toStdString();
    EXPECT_TRUE(client.isComplete());
    EXPECT_EQ(rounds, 2); // NegTokenInit(NEGOTIATE), then AUTHENTICATE + MIC
    ASSERT_EQ(m_serverTokens.size(), 2);
    const NegTokenResp challenge = resp(m_serverTokens[0]);
    EXPECT_EQ(challenge.negState, NegState::AcceptIncomplete);
    EXPECT_EQ(challenge.supportedMech, SpnegoOid::ntlm());
    EXPECT_TRUE(challenge.responseToken->startsWith("NTLMSSP\0\2"_ba));
    // MIT sends its mechListMIC with accept-completed, as Windows does for NTLM.
    const NegTokenResp accepted = resp(m_serverTokens[1]);
    EXPECT_EQ(accepted.negState, NegState::AcceptCompleted);
    EXPECT_FALSE(accepted.responseToken);
    EXPECT_TRUE(accepted.mechListMic);
    EXPECT_EQ(acceptor.mechOid(), SpnegoOid::ntlm());
    EXPECT_TRUE(acceptor.sourceName().contains(u"alice"_s, Qt::CaseInsensitive))
        << acceptor.sourceName().toStdString();

    for (int i = 0; i < 3; ++i) {
        const QByteArray body = "<s:Envelope>" + QByteArray(100 * i, 'q') + "</s:Envelope>";
        QString error;
        const Result<QByteArray> wrapped = client.wrap(body);
        ASSERT_TRUE(wrapped);
        const std::optional<QByteArray> atServer = acceptor.unwrap(*wrapped, &error);
        ASSERT_TRUE(atServer) << error.toStdString();
        EXPECT_EQ(*atServer, body);

        const std::optional<QByteArray> reply = acceptor.wrap(QByteArray("reply " + body), &error);
        ASSERT_TRUE(reply) << error.toStdString();
        const Result<QByteArray> atClient = client.unwrap(*reply);
        ASSERT_TRUE(atClient) << describe(atClient.error());
        EXPECT_EQ(*atClient, "reply " + body);

        // WinRM form: the 16-byte signature apart; gss_wrap's token is signature ‖ data.
        const Result<WrappedMessage> winrm = client.wrapWinrm(body);
        ASSERT_TRUE(winrm);
        const std::optional<QByteArray> again =
            acceptor.unwrap(QByteArray(winrm->header + winrm->data), &error);
        ASSERT_TRUE(again) << error.toStdString();
        EXPECT_EQ(*again, body);
    }
}

TEST_F(SpnegoInterop, WrongPasswordIsRejectedByTheAcceptor)
{
    GssAcceptor acceptor;
    ASSERT_TRUE(acceptor.init().isEmpty());
    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(ntlmMechanism(u"EXAMPLE\\alice"_s, "wrong"));
    SpnegoClient client(std::move(mechanisms));
    int rounds = 0;
    const QString failure = handshake(client, acceptor, &rounds);
    EXPECT_TRUE(failure.startsWith(u"acceptor: "_s)) << failure.toStdString();
    EXPECT_FALSE(client.isComplete());
}

TEST_F(SpnegoInterop, MitPicksNtlmOverKerberosAndTheMicExchangeIsRequired)
{
    GssAcceptor acceptor;
    ASSERT_TRUE(acceptor.init().isEmpty());
    std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
    mechanisms.push_back(std::make_unique<FakeKerberos>()); // its optimistic token is ignored
    mechanisms.push_back(ntlmMechanism(u"EXAMPLE\\alice"_s, "Passw0rd!"));
    SpnegoClient client(std::move(mechanisms));
    int rounds = 0;
    const QString failure = handshake(client, acceptor, &rounds);
    ASSERT_TRUE(failure.isEmpty()) << failure.toStdString();
    EXPECT_EQ(rounds, 3); // Init(krb5 token), NEGOTIATE, AUTHENTICATE + MIC
    ASSERT_EQ(m_serverTokens.size(), 3);
    const NegTokenResp pick = resp(m_serverTokens[0]);
    EXPECT_EQ(pick.negState, NegState::RequestMic); // RFC 4178 5
    EXPECT_EQ(pick.supportedMech, SpnegoOid::ntlm());
    EXPECT_FALSE(pick.responseToken);
    EXPECT_TRUE(resp(m_serverTokens[2]).mechListMic);
    EXPECT_EQ(client.mechanism()->name(), u"NTLM"_s);
    EXPECT_TRUE(client.diagnostics().join(u'\n').contains(u"server chose NTLM over Kerberos"_s));

    QString error;
    const std::optional<QByteArray> atServer = acceptor.unwrap(*client.wrap("fallback"), &error);
    ASSERT_TRUE(atServer) << error.toStdString();
    EXPECT_EQ(*atServer, QByteArray("fallback"));
    const Result<QByteArray> atClient = client.unwrap(*acceptor.wrap("back", &error));
    ASSERT_TRUE(atClient) << describe(atClient.error());
    EXPECT_EQ(*atClient, QByteArray("back"));
}
