// HTTP Digest (RFC 7616): Wsman::DigestAuthenticator on its own (legs, nc, stale, errors), then
// end to end through a real Apache httpd with mod_auth_digest (tests/wsman/ApacheFixture) as a
// reverse proxy in front of the loopback endpoint running with --auth none.
#include "ApacheFixture.h"
#include "ClientHarness.h"

#include "auth/Digest.h"
#include "wsman/DigestAuthenticator.h"

#include <QTcpSocket>
#include <QThread>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;
using ClientHarness::Session;

namespace {

const QByteArray Challenge = QByteArrayLiteral("Digest realm=\"WSMAN\", nonce=\"n1\", qop=\"auth\", opaque=\"o\"");

Auth::AuthChallenge parsedBack(const QByteArray &authorization)
{
    auto parsed = Auth::parseChallenges(authorization);
    EXPECT_TRUE(parsed.ok() && parsed->size() == 1) << authorization.toStdString();
    return parsed && parsed->size() == 1 ? parsed->first() : Auth::AuthChallenge{};
}

std::unique_ptr<DigestAuthenticator> makeAuthenticator(const QString &password = u"s3cret"_s)
{
    return std::make_unique<DigestAuthenticator>(u"alice"_s, Secret(password), QByteArrayLiteral("/wsman"));
}

#define REQUIRE_APACHE()                                                                           \
    do {                                                                                           \
        if (const QString why = TestApache::ApacheFixture::missingReason(); !why.isEmpty())        \
            GTEST_SKIP() << why.toStdString();                                                     \
    } while (false)

// The loopback endpoint accepting every request (--auth none) behind Apache with Digest.
struct DigestStack {
    std::unique_ptr<TestServer::LoopbackServer> endpoint;
    std::unique_ptr<TestApache::ApacheFixture> apache;

    bool start(TestApache::ApacheConfig config = {})
    {
        TestServer::ServerConfig serverConfig;
        serverConfig.authSchemes = {TestServer::AuthScheme::None};
        endpoint = std::make_unique<TestServer::LoopbackServer>(std::move(serverConfig));
        QString error;
        if (!endpoint->listen(&error)) {
            ADD_FAILURE() << error.toStdString();
            return false;
        }
        config.user = ClientHarness::User;
        config.password = ClientHarness::Password;
        config.backend = endpoint->url();
        apache = std::make_unique<TestApache::ApacheFixture>(std::move(config));
        if (!apache->start(&error)) {
            ADD_FAILURE() << error.toStdString();
            return false;
        }
        return true;
    }

    QUrl url() const { return apache->url(u"/wsman"_s); }

    ClientOptions options(const QString &password = ClientHarness::Password) const
    {
        ClientOptions o = ClientHarness::basicOptions(url(), password);
        o.authenticatorFactory = digestAuthenticatorFactory(ClientHarness::User, Secret(password), url());
        return o;
    }

    int countAccess(QByteArrayView line) const
    {
        int n = 0;
        for (const QByteArray &l : apache->accessLog())
            n += l == line ? 1 : 0;
        return n;
    }
};

struct HttpAnswer {
    int status = 0;
    QList<QByteArray> wwwAuthenticate;
    QByteArray authenticationInfo;
};

// One GET on a fresh connection (raw socket: nothing between the test and Apache).
HttpAnswer rawGet(quint16 port, const QByteArray &path, const QByteArray &authorization)
{
    HttpAnswer answer;
    QTcpSocket socket;
    socket.connectToHost(u"127.0.0.1"_s, port);
    if (!socket.waitForConnected(10000))
        return answer;
    QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!authorization.isEmpty())
        request += "Authorization: " + authorization + "\r\n";
    request += "\r\n";
    socket.write(request);
    QByteArray response;
    while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(10000))
        response += socket.readAll();
    response += socket.readAll();
    const qsizetype headEnd = response.indexOf("\r\n\r\n");
    const QList<QByteArray> lines = response.left(headEnd < 0 ? response.size() : headEnd).split('\n');
    if (lines.isEmpty())
        return answer;
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    answer.status = statusLine.size() > 1 ? statusLine[1].toInt() : 0;
    for (const QByteArray &line : lines) {
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        if (name == "www-authenticate")
            answer.wwwAuthenticate.append(line.mid(colon + 1).trimmed());
        else if (name == "authentication-info")
            answer.authenticationInfo = line.mid(colon + 1).trimmed();
    }
    return answer;
}

} // namespace

TEST(DigestAuthenticator, FirstRequestCarriesNoCredentialsThenCountsUp)
{
    auto auth = makeAuthenticator();
    EXPECT_EQ(auth->scheme(), "Digest");
    EXPECT_FALSE(auth->isSafeOverPlainHttp());
    EXPECT_FALSE(auth->encryptsMessages());
    auto first = auth->begin();
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(first.value().authorization.isEmpty());
    auto answer = auth->continueWith({QByteArrayLiteral("Negotiate"), Challenge});
    ASSERT_TRUE(answer.ok()) << answer.error().detail.toStdString();
    const Auth::AuthChallenge leg = parsedBack(answer.value().authorization);
    EXPECT_EQ(leg.param("nc"), QByteArray("00000001"));
    EXPECT_EQ(leg.param("uri"), QByteArray("/wsman"));
    EXPECT_EQ(leg.param("opaque"), QByteArray("o"));
    ASSERT_TRUE(auth->finish({}).ok());
    EXPECT_TRUE(auth->isEstablished());
    EXPECT_EQ(parsedBack(auth->requestAuthorization()).param("nc"), QByteArray("00000002"));
    EXPECT_EQ(parsedBack(auth->requestAuthorization()).param("nc"), QByteArray("00000003"));
    EXPECT_EQ(auth->nonceCount(), 3u);
    // Another connection: everything forgotten, the next handshake starts without credentials.
    auth->reset();
    EXPECT_FALSE(auth->isEstablished());
    EXPECT_TRUE(auth->requestAuthorization().isEmpty());
}

TEST(DigestAuthenticator, StaleNonceIsNotAWrongPassword)
{
    auto auth = makeAuthenticator();
    ASSERT_TRUE(auth->begin().ok());
    ASSERT_TRUE(auth->continueWith({Challenge}).ok());
    auto again = auth->continueWith({QByteArrayLiteral("Digest realm=\"WSMAN\", nonce=\"n2\", qop=auth, stale=TRUE")});
    ASSERT_TRUE(again.ok()) << again.error().detail.toStdString();
    EXPECT_EQ(parsedBack(again.value().authorization).param("nonce"), QByteArray("n2"));
    EXPECT_EQ(parsedBack(again.value().authorization).param("nc"), QByteArray("00000001"));
    auto refused = auth->continueWith({QByteArrayLiteral("Digest realm=\"WSMAN\", nonce=\"n3\", qop=auth")});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, AuthErrorCode::Rejected);
    EXPECT_TRUE(refused.error().detail.contains(u"alice"_s));
    EXPECT_FALSE(refused.error().detail.contains(u"s3cret"_s));
}

TEST(DigestAuthenticator, NoDigestOfferedNamesWhatIsAndWhy)
{
    auto auth = makeAuthenticator();
    ASSERT_TRUE(auth->begin().ok());
    auto r = auth->continueWith({QByteArrayLiteral("Negotiate"), QByteArrayLiteral("Basic realm=\"WSMAN\", Kerberos")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, AuthErrorCode::SchemeNotOffered);
    EXPECT_TRUE(r.error().detail.contains(u"offers only Negotiate, Basic, Kerberos"_s)) << r.error().detail.toStdString();
    EXPECT_TRUE(r.error().detail.contains(u"WinRM servers never offer Digest"_s));
    auto none = makeAuthenticator()->continueWith({});
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, AuthErrorCode::SchemeNotOffered);
    EXPECT_TRUE(none.error().detail.contains(u"names no authentication scheme"_s));
}

TEST(DigestAuthenticator, UnusableChallengesAreSpecific)
{
    auto authInt = makeAuthenticator()->continueWith({QByteArrayLiteral("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"")});
    ASSERT_FALSE(authInt.ok());
    EXPECT_EQ(authInt.error().code, AuthErrorCode::Unsupported);
    EXPECT_TRUE(authInt.error().detail.startsWith(u"Digest: "_s));
    auto malformed = makeAuthenticator()->continueWith({QByteArrayLiteral("Digest realm=\"r")});
    ASSERT_FALSE(malformed.ok());
    EXPECT_EQ(malformed.error().code, AuthErrorCode::InvalidToken);
}

TEST(DigestAuthenticator, RequestUriFromEndpoint)
{
    EXPECT_EQ(digestRequestUri(QUrl(u"http://host:5985/wsman"_s)), "/wsman");
    EXPECT_EQ(digestRequestUri(QUrl(u"https://host"_s)), "/");
    EXPECT_EQ(digestRequestUri(QUrl(u"http://host/a%20b/wsman?PSVersion=7.4"_s)), "/a%20b/wsman?PSVersion=7.4");
}

TEST(DigestEndpoint, CommandRunsThroughApacheReusingTheNonce)
{
    REQUIRE_APACHE();
    DigestStack stack;
    ASSERT_TRUE(stack.start());
    Session s(stack.options());
    ASSERT_TRUE(s.open()) << s.why() << "\n" << stack.apache->errorLog().toStdString();
    const QUuid pid = s.run(u"1..3"_s);
    EXPECT_EQ(s.stateOf(pid), Psrp::PSInvocationState::Completed) << s.why();
    EXPECT_EQ(s.outputStrings(), (QStringList{u"1"_s, u"2"_s, u"3"_s}));
    EXPECT_TRUE(s.close());
    // Every authenticated POST after a channel's first is accepted on the same nonce with the
    // next nc (AuthDigestNcCheck On would refuse a repeated or lower one): a single 401 per
    // channel, many 200s.
    const int accepted = stack.countAccess("POST /wsman 200");
    const int challenged = stack.countAccess("POST /wsman 401");
    EXPECT_GE(accepted, 5);
    EXPECT_GE(challenged, 1);
    EXPECT_LE(challenged, 3) << "one handshake per channel expected";
    EXPECT_FALSE(stack.apache->errorLog().contains(u"replay"_s)) << stack.apache->errorLog().toStdString();
}

TEST(DigestEndpoint, ApacheRefusesAReplayedNonceCountAndProvesItKnowsThePassword)
{
    REQUIRE_APACHE();
    DigestStack stack;
    ASSERT_TRUE(stack.start());
    const quint16 port = stack.apache->port();
    const QByteArray path = "/static/hello.txt";
    const HttpAnswer challenge = rawGet(port, path, {});
    ASSERT_EQ(challenge.status, 401);
    auto chosen = Auth::selectDigestChallenge(challenge.wwwAuthenticate);
    ASSERT_TRUE(chosen.ok()) << chosen.error().detail.toStdString();
    EXPECT_EQ(chosen->algorithm, Auth::HttpDigestAlgorithm::Md5);
    Auth::DigestClient client(ClientHarness::User, ClientHarness::Password.toUtf8());
    client.setChallenge(chosen.value());

    auto first = client.authorization("GET", path);
    ASSERT_TRUE(first.ok());
    const HttpAnswer ok1 = rawGet(port, path, first.value());
    EXPECT_EQ(ok1.status, 200) << stack.apache->errorLog().toStdString();
    // Apache's Authentication-Info rspauth (RFC 7616 section 3.5) verifies against our request.
    ASSERT_FALSE(ok1.authenticationInfo.isEmpty());
    EXPECT_TRUE(ok1.authenticationInfo.contains("rspauth"));
    auto verified = client.verifyAuthenticationInfo(ok1.authenticationInfo);
    EXPECT_TRUE(verified.ok()) << verified.error().detail.toStdString();

    // The same nc again: a replay, refused.
    EXPECT_EQ(rawGet(port, path, first.value()).status, 401);
    auto second = client.authorization("GET", path);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(rawGet(port, path, second.value()).status, 200);
    EXPECT_TRUE(stack.apache->errorLog().contains(u"replay"_s)) << stack.apache->errorLog().toStdString();

    // A forged rspauth would not verify.
    auto forged = client.verifyAuthenticationInfo(QByteArrayLiteral("rspauth=\"00000000000000000000000000000000\""));
    ASSERT_FALSE(forged.ok());
    EXPECT_EQ(forged.error().code, Auth::ErrorCode::IntegrityFailure);
}

TEST(DigestEndpoint, WrongPasswordIsRejected)
{
    REQUIRE_APACHE();
    DigestStack stack;
    ASSERT_TRUE(stack.start());
    Session s(stack.options(u"not-the-password"_s));
    EXPECT_FALSE(s.open());
    ASSERT_FALSE(s.failures.isEmpty());
    const ClientError &e = s.failures.first();
    ASSERT_TRUE(e.transport.has_value()) << s.why();
    EXPECT_EQ(e.transport->kind, TransportErrorKind::AuthenticationFailed) << s.why();
    EXPECT_EQ(e.transport->authError, AuthErrorCode::Rejected) << s.why();
    EXPECT_EQ(stack.countAccess("POST /wsman 200"), 0);
    EXPECT_FALSE(e.detail.contains(u"not-the-password"_s));
}

TEST(DigestEndpoint, BasicOnlyEndpointIsSchemeNotOfferedWithTheWinRmMessage)
{
    auto endpoint = ClientHarness::startEndpoint(); // WinRM-like: Basic only, no Digest
    ASSERT_TRUE(endpoint);
    ClientOptions o = ClientHarness::basicOptions(endpoint->url());
    o.authenticatorFactory = digestAuthenticatorFactory(ClientHarness::User, Secret(ClientHarness::Password), endpoint->url());
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_FALSE(s.failures.isEmpty());
    const ClientError &e = s.failures.first();
    ASSERT_TRUE(e.transport.has_value()) << s.why();
    EXPECT_EQ(e.transport->authError, AuthErrorCode::SchemeNotOffered) << s.why();
    EXPECT_TRUE(e.transport->detail.contains(u"offers only Basic"_s)) << s.why();
    EXPECT_TRUE(e.transport->detail.contains(u"WinRM servers never offer Digest"_s)) << s.why();
}

TEST(DigestEndpoint, PlainHttpWithoutNoEncryptionIsRefusedBeforeAnythingIsSent)
{
    REQUIRE_APACHE();
    DigestStack stack;
    ASSERT_TRUE(stack.start());
    ClientOptions o = stack.options();
    o.sessionOption.noEncryption = false;
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_FALSE(s.failures.isEmpty());
    ASSERT_TRUE(s.failures.first().transport.has_value()) << s.why();
    EXPECT_EQ(s.failures.first().transport->kind, TransportErrorKind::InsecureRefused) << s.why();
    EXPECT_TRUE(stack.apache->accessLog().isEmpty()); // not even the credential-less first request
}

TEST(DigestEndpoint, ExpiredNonceReauthenticatesTransparently)
{
    REQUIRE_APACHE();
    DigestStack stack;
    TestApache::ApacheConfig config;
    config.nonceLifetimeSeconds = 1;
    ASSERT_TRUE(stack.start(std::move(config)));
    Session s(stack.options());
    ASSERT_TRUE(s.open()) << s.why();
    QThread::msleep(2200); // let the nonce age past its lifetime (a precondition, not a timing check)
    const QUuid pid = s.run(u"1..2"_s);
    EXPECT_EQ(s.stateOf(pid), Psrp::PSInvocationState::Completed) << s.why();
    EXPECT_EQ(s.outputStrings(), (QStringList{u"1"_s, u"2"_s}));
    EXPECT_TRUE(s.close());
    EXPECT_TRUE(stack.apache->errorLog().contains(u"nonce expired"_s)) << stack.apache->errorLog().toStdString();
}
