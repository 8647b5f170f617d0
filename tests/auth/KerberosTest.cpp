#include "auth/Kerberos.h"

#include "KdcFixture.h"

#include <QFile>

#include <memory>
#include <optional>
#include <vector>

#include <gssapi/gssapi.h>
#include <gtest/gtest.h>
#include <krb5/krb5.h>

using namespace Qt::Literals::StringLiterals;
using Auth::ErrorCode;
using Auth::KerberosClient;
using Auth::KerberosClientOptions;
using Auth::KerberosFailure;
using KerberosTest::KdcFixture;
using KerberosTest::TestAcceptor;

namespace {

KerberosClientOptions passwordOptions()
{
    KerberosClientOptions options;
    options.host = u"localhost"_s;
    options.user = QString::fromLatin1(KerberosTest::UserPrincipal);
    return options;
}

QByteArray password()
{
    return QByteArray(KerberosTest::UserPassword);
}

Auth::ChannelBindings tlsBindings(char fill)
{
    Auth::ChannelBindings bindings;
    bindings.applicationData = QByteArrayLiteral("tls-server-end-point:") + QByteArray(32, fill);
    return bindings;
}

// AP-REQ -> acceptor -> AP-REP -> client: both sides complete.
::testing::AssertionResult handshake(KerberosClient &client, TestAcceptor &acceptor)
{
    auto request = client.step({});
    if (!request)
        return ::testing::AssertionFailure() << "AP-REQ: " << request.error().detail.toStdString();
    if (request->isEmpty() || client.isComplete())
        return ::testing::AssertionFailure() << "the first step must yield a token and continue";
    const auto reply = acceptor.accept(*request);
    if (!reply)
        return ::testing::AssertionFailure() << "acceptor: " << acceptor.error().toStdString();
    if (!acceptor.isComplete() || reply->isEmpty())
        return ::testing::AssertionFailure() << "the acceptor must complete with an AP-REP";
    auto final = client.step(*reply);
    if (!final)
        return ::testing::AssertionFailure() << "AP-REP: " << final.error().detail.toStdString();
    if (!final->isEmpty() || !client.isComplete())
        return ::testing::AssertionFailure() << "the AP-REP must complete the client silently";
    return ::testing::AssertionSuccess();
}

// One realm and KDC per test process (ctest runs each test in its own process).
class Kerberos : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_kdc = new KdcFixture;
        s_started = s_kdc->start();
    }
    static void TearDownTestSuite()
    {
        delete s_kdc;
        s_kdc = nullptr;
    }
    void SetUp() override
    {
        if (s_kdc->toolsMissing())
            GTEST_SKIP() << "MIT Kerberos KDC tools are missing: "
                         << s_kdc->problem().toStdString();
        ASSERT_TRUE(s_started) << "the test realm did not start: "
                               << s_kdc->problem().toStdString();
        ASSERT_TRUE(s_kdc->startKdc()) << s_kdc->problem().toStdString();
    }

    // A client with an established context, or nullopt (the failure recorded).
    static std::optional<KerberosClient>
    established(TestAcceptor &acceptor, KerberosClientOptions options = passwordOptions())
    {
        auto client = KerberosClient::create(std::move(options), password());
        if (!client.ok()) {
            ADD_FAILURE() << client.error().detail.toStdString();
            return std::nullopt;
        }
        const auto shaken = handshake(*client, acceptor);
        if (!shaken) {
            ADD_FAILURE() << shaken.message();
            return std::nullopt;
        }
        return std::move(client).value();
    }

    static inline KdcFixture *s_kdc = nullptr;
    static inline bool s_started = false;
};

TEST_F(Kerberos, PasswordCredentialsAuthenticateMutually)
{
    auto client = KerberosClient::create(passwordOptions(), password());
    ASSERT_TRUE(client.ok()) << client.error().detail.toStdString();
    EXPECT_EQ(client->clientPrincipal(), u"user@PSREMOTE.TEST"_s);
    EXPECT_EQ(client->targetName(), u"HTTP/localhost"_s);

    auto request = client->step({});
    ASSERT_TRUE(request.ok()) << request.error().detail.toStdString();
    // RFC 2743 3.1 InitialContextToken: [APPLICATION 0] with the krb5 mechanism OID.
    ASSERT_GT(request->size(), 20);
    EXPECT_EQ(quint8(request->at(0)), 0x60);
    EXPECT_TRUE(request->contains(QByteArray::fromHex("2a864886f712010202")));
    EXPECT_FALSE(client->isComplete());

    TestAcceptor acceptor;
    const auto reply = acceptor.accept(*request);
    ASSERT_TRUE(reply.has_value()) << acceptor.error().toStdString();
    ASSERT_TRUE(acceptor.isComplete());
    EXPECT_FALSE(reply->isEmpty());
    EXPECT_EQ(acceptor.clientName(), u"user@PSREMOTE.TEST"_s);
    EXPECT_EQ(acceptor.targetName(), u"HTTP/localhost@PSREMOTE.TEST"_s);

    EXPECT_FALSE(client->isComplete()); // mutual authentication waits for the AP-REP
    auto final = client->step(*reply);
    ASSERT_TRUE(final.ok()) << final.error().detail.toStdString();
    EXPECT_TRUE(final->isEmpty());
    EXPECT_TRUE(client->isComplete());
    EXPECT_FALSE(client->delegated());

    auto again = client->step(*reply);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::InvalidState);
}

TEST_F(Kerberos, MutualAuthenticationRejectsAForgedFinalToken)
{
    auto client = KerberosClient::create(passwordOptions(), password());
    ASSERT_TRUE(client.ok()) << client.error().detail.toStdString();
    auto request = client->step({});
    ASSERT_TRUE(request.ok());
    TestAcceptor acceptor;
    auto reply = acceptor.accept(*request);
    ASSERT_TRUE(reply.has_value()) << acceptor.error().toStdString();

    auto wrapBefore = client->wrapWinrm("early");
    ASSERT_FALSE(wrapBefore.ok());
    EXPECT_EQ(wrapBefore.error().code, ErrorCode::InvalidState);

    QByteArray forged = *reply;
    forged[forged.size() - 3] = char(forged.at(forged.size() - 3) ^ 0x5a);
    auto final = client->step(forged);
    ASSERT_FALSE(final.ok());
    EXPECT_FALSE(client->isComplete());
    EXPECT_TRUE(final.error().detail.contains(u"major 0x"_s)) << final.error().detail.toStdString();
    // A failed context stays failed.
    auto retry = client->step(*reply);
    ASSERT_FALSE(retry.ok());
    EXPECT_EQ(retry.error().code, ErrorCode::InvalidState);
}

TEST_F(Kerberos, MissingFinalTokenIsAnError)
{
    auto client = KerberosClient::create(passwordOptions(), password());
    ASSERT_TRUE(client.ok()) << client.error().detail.toStdString();
    ASSERT_TRUE(client->step({}).ok());
    auto final = client->step({});
    ASSERT_FALSE(final.ok());
    EXPECT_EQ(final.error().code, ErrorCode::InvalidToken);
    EXPECT_TRUE(final.error().detail.contains(u"AP-REP"_s));
    EXPECT_FALSE(client->isComplete());
}

TEST_F(Kerberos, TicketCacheGivesImplicitCredentials)
{
    ASSERT_TRUE(s_kdc->kinit(password())) << s_kdc->problem().toStdString();
    ASSERT_TRUE(QFile::exists(s_kdc->ccachePath()));
    KerberosClientOptions options;
    options.host = u"localhost"_s;
    auto client = KerberosClient::create(options);
    ASSERT_TRUE(client.ok()) << client.error().detail.toStdString();
    EXPECT_EQ(client->clientPrincipal(), u"user@PSREMOTE.TEST"_s);
    TestAcceptor acceptor;
    EXPECT_TRUE(handshake(*client, acceptor));
    EXPECT_EQ(acceptor.clientName(), u"user@PSREMOTE.TEST"_s);

    // The same ticket, selected by principal name.
    options.user = QString::fromLatin1(KerberosTest::UserPrincipal);
    auto named = KerberosClient::create(options);
    ASSERT_TRUE(named.ok()) << named.error().detail.toStdString();
    TestAcceptor second;
    EXPECT_TRUE(handshake(*named, second));
    s_kdc->destroyCcache();
}

TEST_F(Kerberos, NoTicketIsAClearError)
{
    s_kdc->destroyCcache();
    KerberosClientOptions options;
    options.host = u"localhost"_s;
    auto client = KerberosClient::create(options);
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(Auth::kerberosFailure(client.error()), KerberosFailure::NoCredentials)
        << client.error().detail.toStdString();
    EXPECT_EQ(client.error().code, ErrorCode::NoCredentials);
    EXPECT_TRUE(client.error().detail.contains(u"kinit"_s));
}

TEST_F(Kerberos, WinrmWrapIovRoundTripsBothWays)
{
    TestAcceptor acceptor;
    auto established_ = established(acceptor);
    ASSERT_TRUE(established_.has_value());
    KerberosClient &client = *established_;
    ASSERT_TRUE(client.isComplete());

    const QByteArray request = QByteArrayLiteral("<s:Envelope>") + QByteArray(3000, 'r') +
                               QByteArrayLiteral("</s:Envelope>");
    for (int i = 0; i < 3; ++i) {
        auto wrapped = client.wrapWinrm(request);
        ASSERT_TRUE(wrapped.ok()) << wrapped.error().detail.toStdString();
        // AES (RFC 4121) in the DCE layout: 16-byte token header, rotated 28-byte trailer and
        // 16-byte confounder in the header; the data part as long as the plaintext (dossier 4.4).
        EXPECT_EQ(wrapped->header.size(), 60);
        EXPECT_EQ(wrapped->data.size(), request.size());
        EXPECT_EQ(quint8(wrapped->header.at(0)), 0x05);
        EXPECT_EQ(quint8(wrapped->header.at(1)), 0x04);
        EXPECT_FALSE(wrapped->data.contains("<s:Envelope>"));
        const auto plain = acceptor.unwrapWinrm(wrapped->header, wrapped->data);
        ASSERT_TRUE(plain.has_value()) << acceptor.error().toStdString();
        EXPECT_EQ(*plain, request);

        const QByteArray response = QByteArrayLiteral("<s:Envelope>response ") +
                                    QByteArray::number(i) + QByteArrayLiteral("</s:Envelope>");
        const auto reply = acceptor.wrapWinrm(response);
        ASSERT_TRUE(reply.has_value()) << acceptor.error().toStdString();
        auto clear = client.unwrapWinrm(reply->first, reply->second);
        ASSERT_TRUE(clear.ok()) << clear.error().detail.toStdString();
        EXPECT_EQ(*clear, response);
    }

    // Single-token GSS_Wrap both ways.
    auto token = client.wrap("pubKeyAuth");
    ASSERT_TRUE(token.ok()) << token.error().detail.toStdString();
    const auto opened = acceptor.unwrap(*token);
    ASSERT_TRUE(opened.has_value()) << acceptor.error().toStdString();
    EXPECT_EQ(*opened, QByteArrayLiteral("pubKeyAuth"));
    const auto back = acceptor.wrap("answer");
    ASSERT_TRUE(back.has_value());
    auto answer = client.unwrap(*back);
    ASSERT_TRUE(answer.ok()) << answer.error().detail.toStdString();
    EXPECT_EQ(*answer, QByteArrayLiteral("answer"));
}

TEST_F(Kerberos, TamperingAndReplayAreDetected)
{
    TestAcceptor acceptor;
    auto established_ = established(acceptor);
    ASSERT_TRUE(established_.has_value());
    KerberosClient &client = *established_;
    ASSERT_TRUE(client.isComplete());

    // Client -> server, one flipped ciphertext bit.
    auto wrapped = client.wrapWinrm("<s:Envelope>secret</s:Envelope>");
    ASSERT_TRUE(wrapped.ok());
    QByteArray data = wrapped->data;
    data[4] = char(data.at(4) ^ 0x01);
    EXPECT_FALSE(acceptor.unwrapWinrm(wrapped->header, data).has_value());

    // Server -> client: flipped data, flipped header, then the genuine one, then its replay.
    const auto reply = acceptor.wrapWinrm("<s:Envelope>reply</s:Envelope>");
    ASSERT_TRUE(reply.has_value()) << acceptor.error().toStdString();
    QByteArray badData = reply->second;
    badData[0] = char(badData.at(0) ^ 0x80);
    auto tamperedData = client.unwrapWinrm(reply->first, badData);
    ASSERT_FALSE(tamperedData.ok());
    EXPECT_EQ(tamperedData.error().code, ErrorCode::IntegrityFailure)
        << tamperedData.error().detail.toStdString();
    QByteArray badHeader = reply->first;
    badHeader[badHeader.size() - 1] = char(badHeader.at(badHeader.size() - 1) ^ 0x01);
    EXPECT_FALSE(client.unwrapWinrm(badHeader, reply->second).ok());
    EXPECT_FALSE(client.unwrapWinrm({}, reply->second).ok());
    EXPECT_FALSE(client.unwrapWinrm(reply->first.left(10), reply->second).ok());

    auto genuine = client.unwrapWinrm(reply->first, reply->second);
    ASSERT_TRUE(genuine.ok()) << genuine.error().detail.toStdString();
    EXPECT_EQ(*genuine, QByteArrayLiteral("<s:Envelope>reply</s:Envelope>"));
    auto replayed = client.unwrapWinrm(reply->first, reply->second);
    ASSERT_FALSE(replayed.ok());
    EXPECT_EQ(replayed.error().code, ErrorCode::IntegrityFailure);
}

TEST_F(Kerberos, MicsVerifyBothWays)
{
    TestAcceptor acceptor;
    auto established_ = established(acceptor);
    ASSERT_TRUE(established_.has_value());
    KerberosClient &client = *established_;
    ASSERT_TRUE(client.isComplete());
    const QByteArray mechList = QByteArray::fromHex("300b06092a864886f712010202");
    auto mic = client.getMic(mechList);
    ASSERT_TRUE(mic.ok()) << mic.error().detail.toStdString();
    EXPECT_TRUE(acceptor.verifyMic(mechList, *mic)) << acceptor.error().toStdString();

    const auto serverMic = acceptor.getMic(mechList);
    ASSERT_TRUE(serverMic.has_value());
    QByteArray otherList = mechList;
    otherList[otherList.size() - 1] = 0x03;
    auto wrong = client.verifyMic(otherList, *serverMic);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, ErrorCode::IntegrityFailure)
        << wrong.error().detail.toStdString();
    EXPECT_TRUE(client.verifyMic(mechList, *serverMic).ok());
}

TEST_F(Kerberos, IncludePortInSpnTargetsTheServicePrincipalWithPort)
{
    KerberosClientOptions options = passwordOptions();
    options.port = KerberosTest::SpnPort;
    options.includePortInSpn = true;
    TestAcceptor acceptor;
    auto established_ = established(acceptor, options);
    ASSERT_TRUE(established_.has_value());
    KerberosClient &client = *established_;
    EXPECT_TRUE(client.isComplete());
    EXPECT_EQ(client.targetName(), u"HTTP/localhost:5985"_s);
    EXPECT_EQ(acceptor.targetName(), u"HTTP/localhost:5985@PSREMOTE.TEST"_s);

    options.port = 0;
    auto noPort = KerberosClient::create(options, password());
    ASSERT_FALSE(noPort.ok());
    EXPECT_EQ(noPort.error().code, ErrorCode::InvalidArgument);
}

TEST_F(Kerberos, ChannelBindingsThatMatchAreAccepted)
{
    KerberosClientOptions options = passwordOptions();
    options.channelBindings = tlsBindings('\x11');
    TestAcceptor acceptor(tlsBindings('\x11'));
    auto established_ = established(acceptor, options);
    ASSERT_TRUE(established_.has_value());
    KerberosClient &client = *established_;
    EXPECT_TRUE(client.isComplete());
    EXPECT_TRUE(acceptor.isComplete());
}

TEST_F(Kerberos, ChannelBindingsThatDifferAreRejected)
{
    KerberosClientOptions options = passwordOptions();
    options.channelBindings = tlsBindings('\x11');
    auto client = KerberosClient::create(options, password());
    ASSERT_TRUE(client.ok()) << client.error().detail.toStdString();
    auto request = client->step({});
    ASSERT_TRUE(request.ok());
    TestAcceptor acceptor(tlsBindings('\x22'));
    EXPECT_FALSE(acceptor.accept(*request).has_value());
    EXPECT_EQ(GSS_ROUTINE_ERROR(acceptor.lastMajor()), GSS_S_BAD_BINDINGS)
        << acceptor.error().toStdString();
}

TEST_F(Kerberos, WrongPasswordIsAClearError)
{
    auto client = KerberosClient::create(passwordOptions(), "Wrong-Horse-8");
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(Auth::kerberosFailure(client.error()), KerberosFailure::WrongPassword)
        << client.error().detail.toStdString();
    EXPECT_EQ(client.error().code, ErrorCode::CredentialsRejected);
    EXPECT_TRUE(client.error().detail.contains(u"user@PSREMOTE.TEST"_s));
    EXPECT_FALSE(client.error().detail.contains(u"Wrong-Horse"_s));
}

TEST_F(Kerberos, UnknownUserIsAClearError)
{
    KerberosClientOptions options = passwordOptions();
    options.user = u"nobody@PSREMOTE.TEST"_s;
    auto client = KerberosClient::create(options, password());
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(Auth::kerberosFailure(client.error()), KerberosFailure::UnknownUser)
        << client.error().detail.toStdString();
}

TEST_F(Kerberos, UnknownServerPrincipalIsAClearError)
{
    KerberosClientOptions options = passwordOptions();
    options.host = u"nosuchhost"_s;
    auto client = KerberosClient::create(options, password());
    ASSERT_TRUE(client.ok()) << client.error().detail.toStdString();
    auto request = client->step({});
    ASSERT_FALSE(request.ok());
    EXPECT_EQ(Auth::kerberosFailure(request.error()), KerberosFailure::UnknownServer)
        << request.error().detail.toStdString();
    EXPECT_TRUE(request.error().detail.contains(u"HTTP/nosuchhost"_s));
    // gss_display_status text of the KDC's answer.
    EXPECT_TRUE(request.error().detail.contains(u"not found in Kerberos database"_s))
        << request.error().detail.toStdString();
    EXPECT_FALSE(client->isComplete());
}

TEST_F(Kerberos, StoppedKdcIsAClearError)
{
    // A TGT from before the outage, then no KDC for the service ticket or a new TGT.
    auto client = KerberosClient::create(passwordOptions(), password());
    ASSERT_TRUE(client.ok()) << client.error().detail.toStdString();
    s_kdc->stopKdc();
    ASSERT_FALSE(s_kdc->kdcRunning());

    auto request = client->step({});
    ASSERT_FALSE(request.ok());
    EXPECT_EQ(Auth::kerberosFailure(request.error()), KerberosFailure::KdcUnreachable)
        << request.error().detail.toStdString();

    auto fresh = KerberosClient::create(passwordOptions(), password());
    ASSERT_FALSE(fresh.ok());
    EXPECT_EQ(Auth::kerberosFailure(fresh.error()), KerberosFailure::KdcUnreachable)
        << fresh.error().detail.toStdString();
    EXPECT_EQ(fresh.error().code, ErrorCode::KdcUnreachable);
    ASSERT_TRUE(s_kdc->startKdc()) << s_kdc->problem().toStdString();
}

TEST_F(Kerberos, DelegationForwardsTheTicket)
{
    KerberosClientOptions options = passwordOptions();
    options.delegate = true;
    TestAcceptor acceptor;
    auto established_ = established(acceptor, options);
    ASSERT_TRUE(established_.has_value());
    KerberosClient &client = *established_;
    EXPECT_TRUE(client.delegated());
    EXPECT_TRUE(acceptor.receivedDelegation());
}

TEST_F(Kerberos, SpnegoMechanismAdapterDrivesTheClient)
{
    auto mechanism = Auth::KerberosMechanism::create(passwordOptions(), password());
    ASSERT_TRUE(mechanism.ok()) << mechanism.error().detail.toStdString();
    Auth::SpnegoMechanism &mech = **mechanism;
    EXPECT_EQ(mech.name(), u"Kerberos"_s);
    EXPECT_EQ(mech.oid(), QByteArray::fromHex("2a864886f712010202"));
    EXPECT_TRUE(mech.acceptsOid(QByteArray::fromHex("2a864882f712010202")));
    EXPECT_FALSE(mech.acceptsOid(QByteArray::fromHex("2b06010401823702020a")));

    auto request = mech.step({});
    ASSERT_TRUE(request.ok()) << request.error().detail.toStdString();
    TestAcceptor acceptor;
    const auto reply = acceptor.accept(*request);
    ASSERT_TRUE(reply.has_value()) << acceptor.error().toStdString();
    ASSERT_TRUE(mech.step(*reply).ok());
    EXPECT_TRUE(mech.isComplete());
    EXPECT_TRUE(mech.mechListMicProcessed(Auth::MicDirection::Sent).ok());

    auto wrapped = mech.wrapWinrm("payload");
    ASSERT_TRUE(wrapped.ok());
    const auto plain = acceptor.unwrapWinrm(wrapped->header, wrapped->data);
    ASSERT_TRUE(plain.has_value()) << acceptor.error().toStdString();
    EXPECT_EQ(*plain, QByteArrayLiteral("payload"));
    auto mic = mech.getMic("mechTypes");
    ASSERT_TRUE(mic.ok());
    EXPECT_TRUE(acceptor.verifyMic("mechTypes", *mic));
}

TEST_F(Kerberos, SpnegoClientNegotiatesKerberosWithTheSystemSpnegoAcceptor)
{
    auto mechanism = Auth::KerberosMechanism::create(passwordOptions(), password());
    ASSERT_TRUE(mechanism.ok()) << mechanism.error().detail.toStdString();
    std::vector<std::unique_ptr<Auth::SpnegoMechanism>> mechanisms;
    mechanisms.push_back(std::move(mechanism).value());
    Auth::SpnegoClient spnego(std::move(mechanisms));

    auto init = spnego.step({});
    ASSERT_TRUE(init.ok()) << init.error().detail.toStdString();
    TestAcceptor acceptor; // MIT's mechglue picks its SPNEGO acceptor from the token's OID
    auto reply = acceptor.accept(*init);
    ASSERT_TRUE(reply.has_value()) << acceptor.error().toStdString();
    ASSERT_TRUE(acceptor.isComplete());
    EXPECT_EQ(acceptor.clientName(), u"user@PSREMOTE.TEST"_s);
    auto final = spnego.step(*reply);
    ASSERT_TRUE(final.ok()) << final.error().detail.toStdString();
    ASSERT_TRUE(spnego.isComplete());
    ASSERT_NE(spnego.mechanism(), nullptr);
    EXPECT_EQ(spnego.mechanism()->name(), u"Kerberos"_s);

    auto wrapped = spnego.wrapWinrm("<s:Envelope/>");
    ASSERT_TRUE(wrapped.ok()) << wrapped.error().detail.toStdString();
    const auto plain = acceptor.unwrapWinrm(wrapped->header, wrapped->data);
    ASSERT_TRUE(plain.has_value()) << acceptor.error().toStdString();
    EXPECT_EQ(*plain, QByteArrayLiteral("<s:Envelope/>"));
    const auto back = acceptor.wrapWinrm("<s:Envelope>ok</s:Envelope>");
    ASSERT_TRUE(back.has_value());
    auto clear = spnego.unwrapWinrm(back->first, back->second);
    ASSERT_TRUE(clear.ok()) << clear.error().detail.toStdString();
    EXPECT_EQ(*clear, QByteArrayLiteral("<s:Envelope>ok</s:Envelope>"));
}

TEST(KerberosErrors, StatusCodesMapToDistinctFailures)
{
    const auto skew =
        Auth::kerberosStatusError(GSS_S_FAILURE, quint32(KRB5KRB_AP_ERR_SKEW), u"HTTP/h"_s);
    EXPECT_EQ(Auth::kerberosFailure(skew), KerberosFailure::ClockSkew);
    EXPECT_EQ(skew.code, ErrorCode::ClockSkew);
    EXPECT_TRUE(skew.detail.contains(u"clock skew"_s)) << skew.detail.toStdString();
    EXPECT_TRUE(skew.detail.contains(u"minor -1765328347"_s)) << skew.detail.toStdString();
    EXPECT_TRUE(skew.detail.contains(u"HTTP/h"_s));

    EXPECT_EQ(Auth::kerberosFailure(Auth::kerberosStatusError(
                  GSS_S_FAILURE, quint32(KRB5KDC_ERR_PREAUTH_FAILED), {})),
              KerberosFailure::WrongPassword);
    EXPECT_EQ(Auth::kerberosFailure(
                  Auth::kerberosStatusError(GSS_S_FAILURE, quint32(KRB5_KDC_UNREACH), {})),
              KerberosFailure::KdcUnreachable);
    EXPECT_EQ(Auth::kerberosFailure(Auth::kerberosStatusError(
                  GSS_S_FAILURE, quint32(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN), {})),
              KerberosFailure::UnknownServer);
    EXPECT_EQ(Auth::kerberosFailure(Auth::kerberosStatusError(GSS_S_NO_CRED, 0, {})),
              KerberosFailure::NoCredentials);
    EXPECT_EQ(Auth::kerberosFailure(Auth::kerberosStatusError(GSS_S_CREDENTIALS_EXPIRED, 0, {})),
              KerberosFailure::TicketExpired);

    const auto bad = Auth::kerberosStatusError(GSS_S_BAD_SIG, 0, {});
    EXPECT_EQ(Auth::kerberosFailure(bad), KerberosFailure::None);
    EXPECT_EQ(bad.code, ErrorCode::IntegrityFailure);
    EXPECT_EQ(Auth::kerberosFailure(Auth::Error{ErrorCode::InvalidToken, u"unrelated"_s}),
              KerberosFailure::None);
}

TEST(KerberosErrors, InvalidOptionsFailBeforeAnyKdcContact)
{
    KerberosClientOptions options;
    auto noHost = KerberosClient::create(options, "pw");
    ASSERT_FALSE(noHost.ok());
    EXPECT_EQ(noHost.error().code, ErrorCode::InvalidArgument);
    options.host = u"localhost"_s;
    auto noUser = KerberosClient::create(options, "pw");
    ASSERT_FALSE(noUser.ok());
    EXPECT_EQ(noUser.error().code, ErrorCode::InvalidArgument);
}

} // namespace
