// Client certificate authentication (dossier 3.7) over real TLS on loopback: RunspacePoolClient
// with a ClientCertificate and the CertificateAuthenticator against the loopback endpoint's
// `certificate` scheme (QSslServer requesting a client certificate, verified against a test CA
// and mapped to an account by CN/UPN). Certificates come from TestPki's CAs, issued at test time
// with the openssl command.
#include "ClientHarness.h"
#include "HttpTestServer.h"
#include "LoopbackServer.h"

#include "wsman/CertificateAuthenticator.h"
#include "wsman/RunspacePoolClient.h"

#include <QFile>
#include <QProcess>

#include <gtest/gtest.h>

#include <memory>
#include <optional>

using namespace Qt::Literals::StringLiterals;
using namespace ClientHarness;
using namespace TestServer;
using namespace Wsman;

namespace {

// A client certificate (EKU clientAuth, CN and UPN SAN as WinRM's mapping wants) issued by the
// TestPki CA `issuer` ("ca" or "other") in the PKI's directory; nullopt when openssl fails.
std::optional<ClientCertificate> issueClientCertificate(const TestSupport::TestPki &pki, const QString &issuer,
                                                        const QString &name, const QString &upn)
{
    const QString d = pki.dir->path();
    auto run = [&](const QStringList &args) {
        QProcess p;
        p.setWorkingDirectory(d);
        p.start(u"openssl"_s, args);
        return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    };
    const QString base = u"client-"_s + issuer + u'-' + name;
    QFile ext(d + u'/' + base + u".ext"_s);
    if (!ext.open(QIODevice::WriteOnly))
        return std::nullopt;
    ext.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n"
              "subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:");
    ext.write(upn.toUtf8());
    ext.write("\n");
    ext.close();
    if (!run({u"req"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s,
              u"-keyout"_s, base + u".key"_s, u"-out"_s, base + u".csr"_s, u"-subj"_s, u"/CN="_s + name})
        || !run({u"x509"_s, u"-req"_s, u"-in"_s, base + u".csr"_s, u"-CA"_s, issuer + u".pem"_s, u"-CAkey"_s,
                 issuer + u".key"_s, u"-CAcreateserial"_s, u"-out"_s, base + u".pem"_s, u"-days"_s, u"2"_s,
                 u"-extfile"_s, base + u".ext"_s}))
        return std::nullopt;
    const auto certificates = QSslCertificate::fromPath(d + u'/' + base + u".pem"_s);
    QFile keyFile(d + u'/' + base + u".key"_s);
    if (certificates.isEmpty() || !keyFile.open(QIODevice::ReadOnly))
        return std::nullopt;
    ClientCertificate result;
    result.certificate = certificates.first();
    result.privateKey = QSslKey(keyFile.readAll(), QSsl::Ec);
    if (result.privateKey.isNull())
        return std::nullopt;
    return result;
}

class ClientCertificateAuth : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        QString diagnostics;
        s_pki = TestSupport::TestPki::generate(&diagnostics);
        if (!s_pki) {
            s_why = diagnostics;
            return;
        }
        s_alice = issueClientCertificate(*s_pki, u"ca"_s, u"alice"_s, u"alice@example.test"_s);
        s_bob = issueClientCertificate(*s_pki, u"ca"_s, u"bob"_s, u"bob@example.test"_s);
        s_stranger = issueClientCertificate(*s_pki, u"other"_s, u"alice"_s, u"alice@example.test"_s);
        if (!s_alice || !s_bob || !s_stranger)
            s_why = u"openssl could not issue the client certificates"_s;
    }
    static void TearDownTestSuite()
    {
        s_alice.reset();
        s_bob.reset();
        s_stranger.reset();
        s_pki.reset();
    }
    void SetUp() override
    {
        if (!s_pki || !s_alice || !s_bob || !s_stranger)
            GTEST_SKIP() << "openssl unavailable (Debian package openssl): " << s_why.toStdString();
    }

    static std::unique_ptr<LoopbackServer> startCertificateEndpoint()
    {
        ServerConfig config;
        config.https = true;
        config.certificate = s_pki->server;
        config.privateKey = s_pki->serverKey;
        config.authSchemes = {AuthScheme::Certificate};
        config.clientCaCertificates = {s_pki->ca};
        config.certificateUser = u"alice"_s;
        auto server = std::make_unique<LoopbackServer>(std::move(config));
        QString error;
        if (!server->listen(&error)) {
            ADD_FAILURE() << error.toStdString();
            return nullptr;
        }
        return server;
    }

    static ClientOptions certificateOptions(const QUrl &url, std::optional<ClientCertificate> certificate)
    {
        ClientOptions o;
        o.connection.connectionUri = url.toString();
        o.sessionOption.uiCulture = u"en-US"_s;
        o.sessionOption.culture = u"en-US"_s;
        o.extraCaCertificates = {s_pki->ca};
        o.clientCertificate = std::move(certificate);
        o.authenticatorFactory = certificateAuthenticatorFactory();
        return o;
    }

    // Opening fails with the server refusing the certificate: AuthenticationFailed / Rejected.
    static void expectRejected(Session &s, const LoopbackServer &server)
    {
        EXPECT_FALSE(s.open());
        ASSERT_EQ(s.failures.size(), 1) << s.why();
        const ClientError &failure = s.failures.first();
        ASSERT_TRUE(failure.transport.has_value()) << s.why();
        EXPECT_EQ(failure.transport->kind, TransportErrorKind::AuthenticationFailed) << s.why();
        EXPECT_EQ(failure.transport->authError, AuthErrorCode::Rejected) << s.why();
        EXPECT_EQ(failure.transport->httpStatus, 401);
        EXPECT_TRUE(failure.transport->detail.contains(u"did not accept the client certificate"_s)) << s.why();
        EXPECT_EQ(server.shellCount(), 0);
        EXPECT_EQ(server.certificateRequestCount(), 0);
    }

    static inline std::optional<TestSupport::TestPki> s_pki;
    static inline std::optional<ClientCertificate> s_alice;
    static inline std::optional<ClientCertificate> s_bob;
    static inline std::optional<ClientCertificate> s_stranger;
    static inline QString s_why;
};

TEST(CertificateAuthenticator, SendsTheMutualHeaderAndTreatsA401AsFinal)
{
    CertificateAuthenticator auth;
    EXPECT_EQ(auth.scheme(), "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual");
    EXPECT_FALSE(auth.isSafeOverPlainHttp());
    EXPECT_FALSE(auth.encryptsMessages());
    // A 401 to a request without the header: answer with the header.
    auto first = auth.continueWith({QByteArrayLiteral("Negotiate")});
    ASSERT_TRUE(first);
    EXPECT_EQ(first.value().authorization, auth.scheme());
    // A 401 to the header: refused for good.
    auto second = auth.continueWith({});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, AuthErrorCode::Rejected);

    auth.reset();
    auto leg = auth.begin();
    ASSERT_TRUE(leg);
    EXPECT_TRUE(leg.value().lastLeg);
    EXPECT_FALSE(auth.isEstablished());
    ASSERT_TRUE(auth.finish({}));
    EXPECT_TRUE(auth.isEstablished());
    EXPECT_EQ(auth.requestAuthorization(), auth.scheme());
    auth.reset();
    EXPECT_FALSE(auth.isEstablished());
}

TEST(CertificateAuthenticator, RefusesEncryptedBodies)
{
    CertificateAuthenticator auth;
    EXPECT_FALSE(auth.unwrap("x", "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\""));
    auto plain = auth.unwrap("<s/>", "application/soap+xml;charset=UTF-8");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain.value().body, "<s/>");
}

TEST_F(ClientCertificateAuth, RunsACommandWithTheHeaderOnEveryRequest)
{
    auto server = startCertificateEndpoint();
    ASSERT_TRUE(server);
    Session s(certificateOptions(server->url(), s_alice));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.run(u"Write-Output 'by certificate'"_s);
    EXPECT_EQ(s.stateOf(pid), Psrp::PSInvocationState::Completed) << s.why();
    EXPECT_TRUE(s.outputStrings().contains(u"by certificate"_s)) << s.outputStrings().join(u'|').toStdString();
    EXPECT_TRUE(s.close());
    // Create, Receives, Command, Send, Signal, Delete: several requests, each with the header
    // and the verified certificate (a request without the header would have got a 401).
    EXPECT_GE(server->requestCount(), 4);
    EXPECT_EQ(server->certificateRequestCount(), server->requestCount());
}

TEST_F(ClientCertificateAuth, NoClientCertificateIsRejected)
{
    auto server = startCertificateEndpoint();
    ASSERT_TRUE(server);
    Session s(certificateOptions(server->url(), std::nullopt));
    expectRejected(s, *server);
}

TEST_F(ClientCertificateAuth, CertificateFromAnotherCaIsRejected)
{
    auto server = startCertificateEndpoint();
    ASSERT_TRUE(server);
    Session s(certificateOptions(server->url(), s_stranger));
    expectRejected(s, *server);
}

TEST_F(ClientCertificateAuth, CertificateMappedToAnotherAccountIsRejected)
{
    auto server = startCertificateEndpoint();
    ASSERT_TRUE(server);
    Session s(certificateOptions(server->url(), s_bob));
    expectRejected(s, *server);
}

TEST_F(ClientCertificateAuth, MappingByUpn)
{
    ServerConfig config;
    config.https = true;
    config.certificate = s_pki->server;
    config.privateKey = s_pki->serverKey;
    config.authSchemes = {AuthScheme::Certificate};
    config.clientCaCertificates = {s_pki->ca};
    config.certificateUser = u"bob@example.test"_s;
    LoopbackServer server(std::move(config));
    QString error;
    ASSERT_TRUE(server.listen(&error)) << error.toStdString();
    Session bob(certificateOptions(server.url(), s_bob));
    ASSERT_TRUE(bob.open()) << bob.why();
    EXPECT_TRUE(bob.close());
    Session alice(certificateOptions(server.url(), s_alice));
    EXPECT_FALSE(alice.open());
}

TEST_F(ClientCertificateAuth, PlainHttpIsRefusedBeforeAnythingIsSent)
{
    // An endpoint that would accept anything: only the client can refuse.
    ServerConfig config;
    config.authSchemes = {AuthScheme::None};
    LoopbackServer server(std::move(config));
    QString error;
    ASSERT_TRUE(server.listen(&error)) << error.toStdString();
    ASSERT_EQ(server.url().scheme(), u"http"_s);
    Session s(certificateOptions(server.url(), s_alice));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1) << s.why();
    ASSERT_TRUE(s.failures.first().transport.has_value()) << s.why();
    EXPECT_EQ(s.failures.first().transport->kind, TransportErrorKind::InsecureRefused) << s.why();
    EXPECT_EQ(server.requestCount(), 0);
}

// Certificate authentication is HTTPS only, NoEncryption or not. Disabled until Channel refuses
// it (a Channel change reported to the lead: today NoEncryption=true lets the header go out over
// HTTP, where the server can only answer 401).
TEST_F(ClientCertificateAuth, PlainHttpIsRefusedEvenWithNoEncryption)
{
    ServerConfig config;
    config.authSchemes = {AuthScheme::None};
    LoopbackServer server(std::move(config));
    QString error;
    ASSERT_TRUE(server.listen(&error)) << error.toStdString();
    ClientOptions o = certificateOptions(server.url(), s_alice);
    o.sessionOption.noEncryption = true;
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1) << s.why();
    ASSERT_TRUE(s.failures.first().transport.has_value()) << s.why();
    EXPECT_EQ(s.failures.first().transport->kind, TransportErrorKind::InsecureRefused) << s.why();
    EXPECT_EQ(server.requestCount(), 0);
}

TEST_F(ClientCertificateAuth, EndpointRefusesCertificateAuthWithoutHttpsOrCa)
{
    ServerConfig config;
    config.authSchemes = {AuthScheme::Certificate};
    config.clientCaCertificates = {s_pki->ca};
    LoopbackServer plain(config);
    QString error;
    EXPECT_FALSE(plain.listen(&error));
    EXPECT_TRUE(error.contains(u"HTTPS"_s)) << error.toStdString();

    config.https = true;
    config.certificate = s_pki->server;
    config.privateKey = s_pki->serverKey;
    config.clientCaCertificates.clear();
    LoopbackServer noCa(config);
    EXPECT_FALSE(noCa.listen(&error));
}

} // namespace
