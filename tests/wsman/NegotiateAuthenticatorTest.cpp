// NegotiateAuthenticator (Negotiate = SPNEGO over Kerberos then NTLM, and the raw "Kerberos"
// scheme) against real acceptors: tests/server's GssAcceptor (the system GSSAPI: MIT krb5 with a
// keytab, NTLM through gss-ntlmssp with a user file) leg by leg, and end to end through
// Wsman::Channel against the loopback endpoint, with a real MIT KDC on loopback
// (tests/auth/KdcFixture). Skips with a message when krb5kdc or gss-ntlmssp is missing.
#include "wsman/NegotiateAuthenticator.h"

#include "GssAcceptor.h"
#include "../auth/KdcFixture.h"
#include "LoopbackServer.h"

#include "HttpTestServer.h"

#include "auth/CryptoProvider.h"
#include "ClientHarness.h"
#include "wsman/Channel.h"
#include "wsman/Envelope.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;
using ClientHarness::enumerateEnvelope;
using ClientHarness::postOne;
using ClientHarness::runUntil;
using KerberosTest::KdcFixture;
using TestServer::AuthScheme;
using TestServer::LoopbackServer;
using TestServer::ServerConfig;

namespace {

constexpr char Password[] = "Correct-Horse-7"; // KerberosTest::UserPassword, also in the NTLM file
constexpr char NtlmUser[] = "PSREMOTE.TEST\\user";

bool gssNtlmAvailable()
{
    return !QDir(u"/etc/gss/mech.d"_s).entryList({u"*ntlm*"_s}, QDir::Files).isEmpty();
}

NegotiateSettings settingsFor(const QString &user)
{
    NegotiateSettings settings;
    settings.userName = user;
    settings.host = u"localhost"_s;
    settings.port = KerberosTest::SpnPort;
    return settings;
}

QByteArray tokenOf(const AuthLeg &leg)
{
    const qsizetype space = leg.authorization.indexOf(' ');
    return QByteArray::fromBase64(leg.authorization.mid(space + 1));
}

// One realm and KDC per test process; the NTLM user file names the same account.
class NegotiateAuth : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_dir = new QTemporaryDir;
        QFile file(s_dir->filePath(u"ntlm-users"_s));
        if (file.open(QIODevice::WriteOnly))
            file.write(QByteArrayLiteral("PSREMOTE.TEST:user:") + Password + '\n');
        file.close();
        qputenv("NTLM_USER_FILE", QFile::encodeName(file.fileName()));
        s_kdc = new KdcFixture;
        s_started = s_kdc->start();
    }
    static void TearDownTestSuite()
    {
        delete s_kdc;
        s_kdc = nullptr;
        delete s_dir;
        s_dir = nullptr;
    }
    void SetUp() override
    {
        if (s_kdc->toolsMissing())
            GTEST_SKIP() << "MIT Kerberos KDC tools are missing: " << s_kdc->problem().toStdString();
        if (!gssNtlmAvailable())
            GTEST_SKIP() << "gss-ntlmssp is not installed (no /etc/gss/mech.d/*ntlm*)";
        ASSERT_TRUE(s_started) << "the test realm did not start: " << s_kdc->problem().toStdString();
        ASSERT_TRUE(s_kdc->startKdc()) << s_kdc->problem().toStdString();
    }

    bool start(QList<AuthScheme> schemes = {AuthScheme::Negotiate, AuthScheme::Kerberos})
    {
        ServerConfig config;
        config.authSchemes = std::move(schemes);
        config.ntlmUserFile = s_dir->filePath(u"ntlm-users"_s);
        config.keytab = qEnvironmentVariable("KRB5_KTNAME");
        server = std::make_unique<LoopbackServer>(std::move(config));
        QString error;
        const bool ok = server->listen(&error);
        EXPECT_TRUE(ok) << error.toStdString();
        return ok;
    }
    ChannelSettings channelSettings() const
    {
        ChannelSettings settings;
        settings.url = server->url();
        settings.openTimeoutMs = 15000;
        settings.operationTimeoutMs = 15000;
        return settings;
    }
    // Two encrypted round trips on one channel, one handshake, the expected mechanism.
    void expectTwoEncryptedRequests(std::unique_ptr<Authenticator> auth, const QString &mechanism)
    {
        auto *negotiate = dynamic_cast<NegotiateAuthenticator *>(auth.get());
        ASSERT_NE(negotiate, nullptr);
        Channel channel(channelSettings(), std::move(auth));
        const TransportResult first = postOne(channel, enumerateEnvelope(server->url()));
        ASSERT_TRUE(first.ok()) << first.error().detail.toStdString();
        EXPECT_TRUE(first.response().body.contains("EnumerateResponse"));
        EXPECT_TRUE(first.response().contentType.startsWith("application/soap+xml"));
        const TransportResult second = postOne(channel, enumerateEnvelope(server->url()));
        ASSERT_TRUE(second.ok()) << second.error().detail.toStdString();
        EXPECT_TRUE(channel.isAuthenticated());
        EXPECT_EQ(negotiate->mechanismName(), mechanism) << negotiate->diagnostics().join(u"; "_s).toStdString();
        EXPECT_EQ(server->handshakeCount(), 1);
        EXPECT_EQ(server->encryptedRequestCount(), 2);
    }

    static QTemporaryDir *s_dir;
    static KdcFixture *s_kdc;
    static bool s_started;
    std::unique_ptr<LoopbackServer> server;
};

QTemporaryDir *NegotiateAuth::s_dir = nullptr;
KdcFixture *NegotiateAuth::s_kdc = nullptr;
bool NegotiateAuth::s_started = false;

} // namespace

TEST_F(NegotiateAuth, KerberosInSpnegoWithEncryptionBothWays)
{
    ASSERT_TRUE(start());
    expectTwoEncryptedRequests(
        negotiateAuthenticatorFactory(settingsFor(QString::fromLatin1(KerberosTest::UserPrincipal)), Secret::fromUtf8(Password))(),
        u"Kerberos"_s);
}

TEST_F(NegotiateAuth, KerberosSchemeWithRawTokenAndKerberosEncryption)
{
    ASSERT_TRUE(start({AuthScheme::Kerberos}));
    NegotiateSettings settings = settingsFor(QString::fromLatin1(KerberosTest::UserPrincipal));
    settings.includePortInSpn = true; // HTTP/localhost:5985 is in the keytab too
    expectTwoEncryptedRequests(kerberosAuthenticatorFactory(settings, Secret::fromUtf8(Password))(), u"Kerberos"_s);
}

TEST_F(NegotiateAuth, NtlmInSpnegoWhenNoKdcAnswers)
{
    s_kdc->stopKdc();
    ASSERT_TRUE(start());
    expectTwoEncryptedRequests(
        negotiateAuthenticatorFactory(settingsFor(QString::fromLatin1(NtlmUser)), Secret::fromUtf8(Password))(), u"NTLM"_s);
}

TEST_F(NegotiateAuth, FallbackRecordsWhyKerberosWasSkipped)
{
    s_kdc->stopKdc();
    NegotiateAuthenticator auth(NegotiateAuthenticator::Mode::Negotiate, settingsFor(QString::fromLatin1(NtlmUser)),
                                Secret::fromUtf8(Password));
    const AuthResult<AuthLeg> leg = auth.begin();
    ASSERT_TRUE(leg.ok()) << leg.error().detail.toStdString();
    EXPECT_TRUE(leg.value().authorization.startsWith("Negotiate "));
    const QString why = auth.diagnostics().join(u"; "_s);
    EXPECT_TRUE(why.contains(u"Kerberos unavailable"_s)) << why.toStdString();
    EXPECT_TRUE(why.contains(u"No Kerberos KDC could be reached"_s)) << why.toStdString();
    EXPECT_FALSE(why.contains(QString::fromLatin1(Password)));
}

TEST_F(NegotiateAuth, WrongPasswordIsALogonFailureWithoutTheSecret)
{
    ASSERT_TRUE(start());
    const QByteArray wrong = "Wrong-Horse-8";
    Channel channel(channelSettings(),
                    negotiateAuthenticatorFactory(settingsFor(QString::fromLatin1(NtlmUser)), Secret::fromUtf8(wrong))());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed) << result.error().detail.toStdString();
    ASSERT_TRUE(result.error().authError.has_value()) << result.error().detail.toStdString();
    EXPECT_EQ(*result.error().authError, AuthErrorCode::Rejected) << result.error().detail.toStdString();
    EXPECT_TRUE(result.error().detail.contains(u"logon failure"_s)) << result.error().detail.toStdString();
    EXPECT_FALSE(result.error().detail.contains(QString::fromLatin1(wrong)));
    EXPECT_EQ(server->handshakeCount(), 0);
}

TEST_F(NegotiateAuth, WrongPasswordWithKerberosOnlyIsTheKdcsRefusal)
{
    NegotiateSettings settings = settingsFor(QString::fromLatin1(KerberosTest::UserPrincipal));
    settings.kerberosOnly = true;
    NegotiateAuthenticator auth(NegotiateAuthenticator::Mode::Negotiate, settings, Secret::fromUtf8("Wrong-Horse-8"));
    const AuthResult<AuthLeg> leg = auth.begin();
    ASSERT_FALSE(leg.ok());
    EXPECT_EQ(leg.error().code, AuthErrorCode::Rejected) << leg.error().detail.toStdString();
    EXPECT_TRUE(leg.error().detail.contains(u"KDC rejected the password"_s)) << leg.error().detail.toStdString();
    EXPECT_FALSE(leg.error().detail.contains(u"Wrong-Horse"_s));
}

TEST_F(NegotiateAuth, ImplicitCredentialsFromAKinitCache)
{
    ASSERT_TRUE(s_kdc->kinit(QByteArray(Password))) << s_kdc->problem().toStdString();
    ASSERT_TRUE(start());
    NegotiateSettings settings = settingsFor({});
    settings.useTicketCache = true;
    expectTwoEncryptedRequests(negotiateAuthenticatorFactory(settings, Secret())(), u"Kerberos"_s);
    s_kdc->destroyCcache();
}

TEST_F(NegotiateAuth, NoTicketAndNoPasswordIsNoCredentials)
{
    s_kdc->destroyCcache();
    ASSERT_TRUE(start());
    NegotiateSettings settings = settingsFor({});
    settings.useTicketCache = true;
    Channel channel(channelSettings(), negotiateAuthenticatorFactory(settings, Secret())());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed);
    ASSERT_TRUE(result.error().authError.has_value());
    EXPECT_EQ(*result.error().authError, AuthErrorCode::NoCredentials) << result.error().detail.toStdString();
    EXPECT_TRUE(result.error().detail.contains(u"kinit"_s)) << result.error().detail.toStdString();
    EXPECT_EQ(server->requestCount(), 0); // nothing to send
}

TEST_F(NegotiateAuth, UnknownSpnIsUnknownServer)
{
    NegotiateSettings settings = settingsFor(QString::fromLatin1(KerberosTest::UserPrincipal));
    settings.host = u"no-such-host.psremote.test"_s;
    settings.kerberosOnly = true;
    NegotiateAuthenticator auth(NegotiateAuthenticator::Mode::Negotiate, settings, Secret::fromUtf8(Password));
    const AuthResult<AuthLeg> leg = auth.begin();
    ASSERT_FALSE(leg.ok());
    EXPECT_EQ(leg.error().code, AuthErrorCode::UnknownServer) << leg.error().detail.toStdString();
    EXPECT_TRUE(leg.error().detail.contains(u"HTTP/no-such-host.psremote.test"_s)) << leg.error().detail.toStdString();
}

TEST_F(NegotiateAuth, ASchemeTheServerDoesNotOfferIsNamed)
{
    ASSERT_TRUE(start({AuthScheme::Negotiate}));
    Channel channel(channelSettings(), kerberosAuthenticatorFactory(settingsFor(QString::fromLatin1(KerberosTest::UserPrincipal)),
                                                                    Secret::fromUtf8(Password))());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed);
    ASSERT_TRUE(result.error().authError.has_value());
    EXPECT_EQ(*result.error().authError, AuthErrorCode::SchemeNotOffered) << result.error().detail.toStdString();
    EXPECT_TRUE(result.error().detail.contains(u"it offers: Negotiate"_s)) << result.error().detail.toStdString();
}

TEST_F(NegotiateAuth, KerberosLegsRequireTheServersMutualAuthenticationToken)
{
    const NegotiateSettings settings = settingsFor(QString::fromLatin1(KerberosTest::UserPrincipal));
    for (const auto mode : {NegotiateAuthenticator::Mode::Kerberos, NegotiateAuthenticator::Mode::Negotiate}) {
        const QByteArray scheme = mode == NegotiateAuthenticator::Mode::Kerberos ? "Kerberos" : "Negotiate";
        // Without the final token: refused.
        {
            NegotiateAuthenticator auth(mode, settings, Secret::fromUtf8(Password));
            const AuthResult<AuthLeg> leg = auth.begin();
            ASSERT_TRUE(leg.ok()) << leg.error().detail.toStdString();
            TestServer::GssAcceptor acceptor;
            const auto accepted = acceptor.accept(tokenOf(leg.value()));
            ASSERT_EQ(accepted.step, TestServer::GssAcceptor::Step::Complete) << accepted.error.toStdString();
            const AuthResult<bool> done = auth.finish({});
            EXPECT_FALSE(done.ok() && done.value()) << scheme.constData();
            EXPECT_FALSE(auth.isEstablished());
        }
        // With a tampered final token: refused.
        {
            NegotiateAuthenticator auth(mode, settings, Secret::fromUtf8(Password));
            const AuthResult<AuthLeg> leg = auth.begin();
            ASSERT_TRUE(leg.ok());
            TestServer::GssAcceptor acceptor;
            auto accepted = acceptor.accept(tokenOf(leg.value()));
            ASSERT_EQ(accepted.step, TestServer::GssAcceptor::Step::Complete);
            QByteArray tampered = accepted.token;
            tampered[tampered.size() - 3] = char(tampered[tampered.size() - 3] ^ 0x40);
            const AuthResult<bool> done = auth.finish({scheme + ' ' + tampered.toBase64()});
            EXPECT_FALSE(done.ok() && done.value()) << scheme.constData();
            EXPECT_FALSE(auth.isEstablished());
        }
        // The real token: established, and bodies travel both ways.
        NegotiateAuthenticator auth(mode, settings, Secret::fromUtf8(Password));
        const AuthResult<AuthLeg> leg = auth.begin();
        ASSERT_TRUE(leg.ok());
        TestServer::GssAcceptor acceptor;
        const auto accepted = acceptor.accept(tokenOf(leg.value()));
        ASSERT_EQ(accepted.step, TestServer::GssAcceptor::Step::Complete);
        const AuthResult<bool> done = auth.finish({"Basic realm=\"x\"", scheme + ' ' + accepted.token.toBase64()});
        ASSERT_TRUE(done.ok()) << done.error().detail.toStdString();
        EXPECT_TRUE(done.value());
        EXPECT_EQ(auth.mechanismName(), u"Kerberos"_s);

        const MessageEncryption encryption(mode == NegotiateAuthenticator::Mode::Kerberos
                                               ? MessageEncryption::KerberosProtocol.toByteArray()
                                               : MessageEncryption::SpnegoProtocol.toByteArray());
        const QByteArray soapType = "application/soap+xml;charset=UTF-8";
        const AuthResult<WrappedMessage> wrapped = auth.wrap("<s:Envelope>up</s:Envelope>", soapType);
        ASSERT_TRUE(wrapped.ok()) << wrapped.error().detail.toStdString();
        EXPECT_TRUE(wrapped.value().contentType.contains(encryption.protocol()));
        EXPECT_FALSE(wrapped.value().body.contains("<s:Envelope>up"));
        const auto atServer = encryption.decrypt(wrapped.value().body, wrapped.value().contentType,
                                                 [&](QByteArrayView h, QByteArrayView d) { return acceptor.unseal(h, d); });
        ASSERT_TRUE(atServer.ok()) << atServer.error().detail.toStdString();
        EXPECT_EQ(atServer.value().body, QByteArray("<s:Envelope>up</s:Envelope>"));
        const auto reply = encryption.encrypt("<s:Envelope>down</s:Envelope>", soapType,
                                              [&](QByteArrayView p) { return acceptor.seal(p); });
        ASSERT_TRUE(reply.ok());
        const AuthResult<WrappedMessage> plain = auth.unwrap(reply.value().body, reply.value().contentType);
        ASSERT_TRUE(plain.ok()) << plain.error().detail.toStdString();
        EXPECT_EQ(plain.value().body, QByteArray("<s:Envelope>down</s:Envelope>"));
        EXPECT_EQ(plain.value().contentType, soapType);
        // A plaintext answer on an encrypted channel is refused.
        EXPECT_FALSE(auth.unwrap("<s:Envelope/>", soapType).ok());
    }
}

TEST_F(NegotiateAuth, HttpsLearnsTheCertificateFirstAndBindsItIntoTheApReq)
{
    QString why;
    const std::optional<TestSupport::TestPki> pki = TestSupport::TestPki::generate(&why);
    if (!pki)
        GTEST_SKIP() << "openssl unavailable: " << why.toStdString();
    const QByteArray der = pki->server.toDer();
    const NegotiateSettings plainSettings = [] {
        NegotiateSettings s = settingsFor(QString::fromLatin1(KerberosTest::UserPrincipal));
        s.encryptMessages = false; // HTTPS: TLS protects the bodies
        return s;
    }();

    // Leg level: the AP-REQ carries tls-server-end-point of exactly this certificate.
    auto crypto = Auth::CryptoProvider::shared();
    ASSERT_TRUE(crypto.ok());
    auto bindings = Auth::ChannelBindings::tlsServerEndPoint(**crypto, der);
    ASSERT_TRUE(bindings.ok());
    for (const bool matching : {true, false}) {
        NegotiateAuthenticator auth(NegotiateAuthenticator::Mode::Kerberos, plainSettings, Secret::fromUtf8(Password));
        ASSERT_TRUE(auth.setServerCertificate(der).ok());
        const AuthResult<AuthLeg> leg = auth.begin();
        ASSERT_TRUE(leg.ok()) << leg.error().detail.toStdString();
        Auth::ChannelBindings expected = *bindings;
        if (!matching)
            expected.applicationData[expected.applicationData.size() - 1] ^= 1;
        KerberosTest::TestAcceptor acceptor(expected);
        EXPECT_EQ(acceptor.accept(tokenOf(leg.value())).has_value(), matching) << acceptor.error().toStdString();
    }

    // Through the Channel: an unauthenticated first request, then the token with the body.
    ServerConfig config;
    config.https = true;
    config.certificate = pki->server;
    config.privateKey = pki->serverKey;
    config.authSchemes = {AuthScheme::Negotiate};
    config.keytab = qEnvironmentVariable("KRB5_KTNAME");
    server = std::make_unique<LoopbackServer>(std::move(config));
    QString error;
    ASSERT_TRUE(server->listen(&error)) << error.toStdString();
    ChannelSettings settings = channelSettings();
    settings.extraCaCertificates = {pki->ca};
    Channel channel(settings, negotiateAuthenticatorFactory(plainSettings, Secret::fromUtf8(Password))());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(result.ok()) << result.error().detail.toStdString();
    EXPECT_TRUE(result.response().body.contains("EnumerateResponse"));
    EXPECT_EQ(server->requestCount(), 2);
    EXPECT_EQ(server->handshakeCount(), 1);
    EXPECT_EQ(server->encryptedRequestCount(), 0);
}

TEST(NegotiateAuthenticator, FactoriesMakeFreshAuthenticatorsOfTheirScheme)
{
    NegotiateSettings settings;
    settings.userName = u"user@EXAMPLE.TEST"_s;
    settings.host = u"server.example.test"_s;
    settings.encryptMessages = false;
    const AuthenticatorFactory negotiate = negotiateAuthenticatorFactory(settings, Secret(u"pw"));
    const AuthenticatorFactory kerberos = kerberosAuthenticatorFactory(settings, Secret(u"pw"));
    const auto a = negotiate();
    const auto b = negotiate();
    EXPECT_NE(a.get(), b.get());
    EXPECT_EQ(a->scheme(), QByteArray("Negotiate"));
    EXPECT_EQ(kerberos()->scheme(), QByteArray("Kerberos"));
    EXPECT_TRUE(a->blocksOnLegs());
    EXPECT_TRUE(a->wantsServerCertificateFirst());
    EXPECT_FALSE(a->encryptsMessages());
    EXPECT_FALSE(a->isSafeOverPlainHttp()); // without message encryption: HTTPS only
    // A 401 naming only other schemes, before any token: SchemeNotOffered naming them.
    const AuthResult<AuthLeg> leg = a->continueWith({"Basic realm=\"WSMAN\"", "CredSSP"});
    ASSERT_FALSE(leg.ok());
    EXPECT_EQ(leg.error().code, AuthErrorCode::SchemeNotOffered);
    EXPECT_TRUE(leg.error().detail.contains(u"it offers: Basic, CredSSP"_s)) << leg.error().detail.toStdString();
}
