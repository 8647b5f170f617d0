#include "wsman/BasicAuthenticator.h"
#include "wsman/Channel.h"

#include "HttpTestServer.h"

#include <QEventLoop>
#include <QHash>
#include <QTcpServer>
#include <QTimer>

#include <gtest/gtest.h>

#include <optional>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;
using TestSupport::HttpRequest;
using TestSupport::HttpResponse;
using TestSupport::HttpTestServer;

namespace {

const QByteArray Envelope = QByteArrayLiteral("<s:Envelope>hello</s:Envelope>");
// base64("alice:S3cret!")
const QByteArray AliceBasic = QByteArrayLiteral("Basic YWxpY2U6UzNjcmV0IQ==");

std::unique_ptr<Authenticator> alice()
{
    return std::make_unique<BasicAuthenticator>(u"alice"_s, Secret(u"S3cret!"));
}

ChannelSettings settingsFor(const QUrl &url)
{
    ChannelSettings s;
    s.url = url;
    s.noEncryption = true; // plain-HTTP tests with Basic
    return s;
}

// Runs the event loop until every callback of `ids` has run, or a 10 s guard expires (a bug
// then fails instead of hanging).
std::vector<std::optional<TransportResult>> postAll(Channel &channel, const QList<QByteArray> &bodies)
{
    std::vector<std::optional<TransportResult>> results(size_t(bodies.size()));
    QEventLoop loop;
    qsizetype remaining = bodies.size();
    for (qsizetype i = 0; i < bodies.size(); ++i) {
        channel.post(bodies[i], [&, i](const TransportResult &r) {
            results[size_t(i)] = r;
            if (--remaining == 0)
                loop.quit();
        });
    }
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    if (remaining > 0)
        loop.exec();
    return results;
}

TransportResult postOne(Channel &channel, const QByteArray &body = Envelope)
{
    auto results = postAll(channel, {body});
    if (!results[0]) {
        ADD_FAILURE() << "no result within the guard time";
        TransportError e;
        e.kind = TransportErrorKind::Cancelled;
        e.detail = u"test guard expired"_s;
        return e;
    }
    return *results[0];
}

HttpResponse requireAlice(const HttpRequest &request)
{
    if (request.header("Authorization") != AliceBasic)
        return HttpResponse::unauthorized("Basic realm=\"WSMAN\"");
    return HttpResponse::soap("<reply>" + request.body + "</reply>");
}

// A two-leg, connection-bound scheme in the style of NTLM, for the Channel's handshake logic:
// "Test hello" -> 401 "Test nonce-N" -> "Test answer-N" -> 200; later requests carry no header.
class TestTokenAuthenticator final : public Authenticator {
public:
    QByteArray scheme() const override { return "Test"; }
    bool isSafeOverPlainHttp() const override { return true; }
    bool encryptsMessages() const override { return false; }
    void reset() override { m_established = false; ++resets; }
    AuthResult<AuthLeg> begin() override { return AuthLeg{"Test hello", false}; }
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override
    {
        const auto token = challengeToken(challenges, "Test");
        if (!token || !token->startsWith("nonce-"))
            return AuthError{AuthErrorCode::Rejected, u"no nonce"_s};
        return AuthLeg{"Test answer-" + token->mid(6), true};
    }
    AuthResult<bool> finish(const QList<QByteArray> &) override
    {
        m_established = true;
        return true;
    }
    bool isEstablished() const override { return m_established; }
    QByteArray requestAuthorization() const override { return {}; }
    AuthResult<WrappedMessage> wrap(const QByteArray &p, const QByteArray &c) override { return WrappedMessage{p, c}; }
    AuthResult<WrappedMessage> unwrap(const QByteArray &b, const QByteArray &c) override { return WrappedMessage{b, c}; }

    int resets = 0;

private:
    bool m_established = false;
};

} // namespace

TEST(Channel, SequentialRequestsShareOneConnectionWithTheWinRMHeaders)
{
    HttpTestServer server(requireAlice);
    ASSERT_TRUE(server.listen());
    Channel channel(settingsFor(server.url()), alice());
    const auto results = postAll(channel, {"<one/>", "<two/>", "<three/>"});
    for (const auto &r : results) {
        ASSERT_TRUE(r.has_value());
        ASSERT_TRUE(r->ok()) << r->error().detail.toStdString();
        EXPECT_EQ(r->response().httpStatus, 200);
    }
    EXPECT_EQ(results[1]->response().body, QByteArray("<reply><two/></reply>"));
    EXPECT_EQ(results[1]->response().contentType, QByteArray("application/soap+xml;charset=UTF-8"));
    EXPECT_EQ(server.connectionCount(), 1);
    ASSERT_EQ(server.requests().size(), 3);
    const QByteArray expectedBodies[] = {"<one/>", "<two/>", "<three/>"};
    for (int i = 0; i < 3; ++i) {
        const HttpRequest &req = server.requests()[i];
        EXPECT_EQ(req.connection, 1);
        EXPECT_EQ(req.method, QByteArray("POST"));
        EXPECT_EQ(req.target, QByteArray("/wsman"));
        EXPECT_EQ(req.version, QByteArray("HTTP/1.1"));
        EXPECT_EQ(req.body, expectedBodies[i]);
        EXPECT_EQ(req.header("Authorization"), AliceBasic);
        EXPECT_EQ(req.header("Accept-Encoding"), QByteArray("identity"));
        EXPECT_EQ(req.header("Content-Type"), QByteArray("application/soap+xml;charset=UTF-8"));
        EXPECT_TRUE(req.header("User-Agent").startsWith("PSRemote/"));
    }
    EXPECT_TRUE(channel.isAuthenticated());
}

TEST(Channel, BasicOverPlainHttpIsRefusedBeforeSendingUnlessNoEncryption)
{
    HttpTestServer server(requireAlice);
    ASSERT_TRUE(server.listen());
    ChannelSettings settings = settingsFor(server.url());
    settings.noEncryption = false;
    Channel refused(settings, alice());
    const TransportResult r = postOne(refused);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::InsecureRefused);
    EXPECT_FALSE(r.error().detail.contains(u"S3cret"));
    EXPECT_EQ(server.connectionCount(), 0);
    EXPECT_TRUE(server.requests().isEmpty());

    settings.noEncryption = true;
    Channel allowed(settings, alice());
    EXPECT_TRUE(postOne(allowed).ok());
    EXPECT_EQ(server.requests().size(), 1);
}

TEST(Channel, RejectedCredentialsAreAuthenticationFailed)
{
    HttpTestServer server([](const HttpRequest &) { return HttpResponse::unauthorized("Basic realm=\"WSMAN\""); });
    ASSERT_TRUE(server.listen());
    Channel channel(settingsFor(server.url()), alice());
    const TransportResult r = postOne(channel);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::AuthenticationFailed);
    EXPECT_EQ(r.error().httpStatus, 401);
    EXPECT_FALSE(r.error().detail.contains(u"S3cret"));
    EXPECT_FALSE(channel.isAuthenticated());
    EXPECT_EQ(server.requests().size(), 1);
}

TEST(Channel, ConnectionBoundHandshakeRunsAgainAfterTheConnectionIsReplaced)
{
    QHash<int, bool> authenticated;
    int answered = 0;
    HttpTestServer server([&](const HttpRequest &req) {
        const QByteArray auth = req.header("Authorization");
        const QByteArray conn = QByteArray::number(req.connection);
        if (auth == "Test hello")
            return HttpResponse::unauthorized("Test nonce-" + conn);
        if (auth == "Test answer-" + conn)
            authenticated[req.connection] = true;
        if (!authenticated.value(req.connection))
            return HttpResponse::unauthorized("Test");
        HttpResponse ok = HttpResponse::soap("<ok>" + req.body + "</ok>");
        ok.closeAfter = ++answered == 2; // the server drops the connection after the second answer
        return ok;
    });
    ASSERT_TRUE(server.listen());
    auto authOwned = std::make_unique<TestTokenAuthenticator>();
    TestTokenAuthenticator *auth = authOwned.get();
    Channel channel(settingsFor(server.url()), std::move(authOwned));

    const auto results = postAll(channel, {"<a/>", "<b/>", "<c/>"});
    for (const auto &r : results) {
        ASSERT_TRUE(r.has_value());
        ASSERT_TRUE(r->ok()) << r->error().detail.toStdString();
    }
    EXPECT_EQ(results[2]->response().body, QByteArray("<ok><c/></ok>"));
    EXPECT_EQ(server.connectionCount(), 2);
    // conn 1: hello(401) answer(200) <b/>(200, close); conn 2: <c/>(401) hello(401) answer(200).
    ASSERT_EQ(server.requests().size(), 6);
    const int connections[] = {1, 1, 1, 2, 2, 2};
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(server.requests()[i].connection, connections[i]) << i;
    EXPECT_FALSE(server.requests()[2].hasHeader("Authorization"));
    EXPECT_EQ(server.requests()[5].header("Authorization"), QByteArray("Test answer-2"));
    EXPECT_EQ(server.requests()[5].body, QByteArray("<c/>"));
    EXPECT_GE(auth->resets, 1);
}

TEST(Channel, OpenTimeoutAndReadTimeout)
{
    int count = 0;
    HttpTestServer server([&](const HttpRequest &req) {
        HttpResponse r = HttpResponse::soap(req.body);
        if (++count != 2)
            r.delayMs = 5000;
        return r;
    });
    ASSERT_TRUE(server.listen());
    ChannelSettings settings = settingsFor(server.url());
    settings.openTimeoutMs = 200;
    settings.operationTimeoutMs = 100;
    settings.readTimeoutMarginMs = 100;
    Channel channel(settings, alice());
    TransportResult first = postOne(channel);
    ASSERT_FALSE(first.ok());
    EXPECT_EQ(first.error().kind, TransportErrorKind::TimedOut) << first.error().detail.toStdString();

    EXPECT_TRUE(postOne(channel).ok()); // answered at once
    TransportResult third = postOne(channel);
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.error().kind, TransportErrorKind::TimedOut) << third.error().detail.toStdString();
}

TEST(Channel, ServerErrorReturnsStatusAndSoapBody)
{
    const QByteArray fault = "<s:Envelope><s:Body><s:Fault>0x80338029</s:Fault></s:Body></s:Envelope>";
    HttpTestServer server([&](const HttpRequest &) { return HttpResponse::soap(fault, 500); });
    ASSERT_TRUE(server.listen());
    Channel channel(settingsFor(server.url()), alice());
    const TransportResult r = postOne(channel);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::HttpStatus);
    EXPECT_EQ(r.error().httpStatus, 500);
    EXPECT_EQ(r.error().body, fault);
    EXPECT_EQ(r.error().contentType, QByteArray("application/soap+xml;charset=UTF-8"));
    const TransportResult again = postOne(channel); // the channel keeps answering
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().httpStatus, 500);
    EXPECT_EQ(server.requests().size(), 2);
}

TEST(Channel, RedirectIsReportedNotFollowed)
{
    HttpTestServer server([](const HttpRequest &) {
        HttpResponse r;
        r.status = 302;
        r.headers.append({QByteArrayLiteral("Location"), QByteArrayLiteral("https://other.example:5986/wsman?PSVersion=7")});
        return r;
    });
    ASSERT_TRUE(server.listen());
    Channel channel(settingsFor(server.url()), alice());
    const TransportResult r = postOne(channel);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::Redirect);
    EXPECT_EQ(r.error().httpStatus, 302);
    EXPECT_EQ(r.error().location, QUrl(u"https://other.example:5986/wsman?PSVersion=7"_s));
    EXPECT_EQ(server.requests().size(), 1);
}

TEST(Channel, ResponseBodyLimit)
{
    HttpTestServer server([](const HttpRequest &req) { return HttpResponse::soap(QByteArray(req.body.toInt(), 'x')); });
    ASSERT_TRUE(server.listen());
    ChannelSettings settings = settingsFor(server.url());
    settings.maxResponseSize = 4096;
    Channel channel(settings, alice());
    const TransportResult fits = postOne(channel, "4096");
    ASSERT_TRUE(fits.ok());
    EXPECT_EQ(fits.response().body.size(), 4096);
    const TransportResult tooLarge = postOne(channel, "1000000");
    ASSERT_FALSE(tooLarge.ok());
    EXPECT_EQ(tooLarge.error().kind, TransportErrorKind::ResponseTooLarge);
    EXPECT_TRUE(postOne(channel, "10").ok()); // a fresh connection works afterwards
}

TEST(Channel, Utf16BodiesWhenUseUtf16)
{
    HttpTestServer server(requireAlice);
    ASSERT_TRUE(server.listen());
    ChannelSettings settings = settingsFor(server.url());
    settings.useUtf16 = true;
    Channel channel(settings, alice());
    ASSERT_TRUE(postOne(channel, "<x>\xC3\xA9</x>").ok());
    ASSERT_EQ(server.requests().size(), 1);
    const HttpRequest &req = server.requests()[0];
    EXPECT_EQ(req.header("Content-Type"), QByteArray("application/soap+xml;charset=UTF-16"));
    ASSERT_TRUE(req.body.startsWith("\xFF\xFE"));
    const QString decoded = QString::fromUtf16(reinterpret_cast<const char16_t *>(req.body.constData() + 2),
                                               (req.body.size() - 2) / 2);
    EXPECT_EQ(decoded, u"<x>\u00e9</x>"_s);
}

TEST(Channel, CancelQueuedAndActiveRequests)
{
    Channel *target = nullptr;
    Channel::RequestId active = 0;
    HttpTestServer server([&](const HttpRequest &req) {
        QTimer::singleShot(0, [&] { target->cancel(active); });
        HttpResponse r = HttpResponse::soap(req.body);
        r.delayMs = 5000;
        return r;
    });
    ASSERT_TRUE(server.listen());
    Channel channel(settingsFor(server.url()), alice());
    target = &channel;

    std::vector<TransportErrorKind> kinds;
    channel.post("<q1/>", [&](const TransportResult &r) { kinds.push_back(r.ok() ? TransportErrorKind::Unreachable : r.error().kind); });
    channel.post("<q2/>", [&](const TransportResult &r) { kinds.push_back(r.ok() ? TransportErrorKind::Unreachable : r.error().kind); });
    channel.cancelAll();
    EXPECT_EQ(kinds, (std::vector<TransportErrorKind>{TransportErrorKind::Cancelled, TransportErrorKind::Cancelled}));
    EXPECT_EQ(channel.pendingCount(), 0);

    QEventLoop loop;
    std::optional<TransportResult> result;
    active = channel.post("<slow/>", [&](const TransportResult &r) {
        result = r;
        loop.quit();
    });
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
    ASSERT_TRUE(result.has_value());
    ASSERT_FALSE(result->ok());
    EXPECT_EQ(result->error().kind, TransportErrorKind::Cancelled);
    ASSERT_EQ(server.requests().size(), 1);
    EXPECT_EQ(server.requests()[0].body, QByteArray("<slow/>"));
}

TEST(Channel, ConnectionRefused)
{
    QTcpServer probe;
    ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    QUrl url(u"http://127.0.0.1/wsman"_s);
    url.setPort(port);
    Channel channel(settingsFor(url), alice());
    const TransportResult r = postOne(channel);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::ConnectionRefused) << r.error().detail.toStdString();
}

class ChannelTls : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        QString diagnostics;
        s_pki = TestSupport::TestPki::generate(&diagnostics);
        s_diagnostics = diagnostics;
    }
    static void TearDownTestSuite() { s_pki.reset(); }

    void SetUp() override
    {
        if (!s_pki)
            GTEST_SKIP() << "cannot generate test certificates with openssl: " << s_diagnostics.toStdString();
    }

    static TransportResult postTls(const QSslCertificate &cert, const QSslKey &key,
                                   const std::function<void(ChannelSettings &)> &configure)
    {
        HttpTestServer server(requireAlice);
        EXPECT_TRUE(server.listenTls(cert, key));
        ChannelSettings settings;
        settings.url = server.url();
        configure(settings);
        Channel channel(settings, alice());
        return postOne(channel);
    }

    static inline std::optional<TestSupport::TestPki> s_pki;
    static inline QString s_diagnostics;
};

TEST_F(ChannelTls, VerificationPassesWithTheTestCa)
{
    const TransportResult r = postTls(s_pki->server, s_pki->serverKey,
                                      [](ChannelSettings &s) { s.extraCaCertificates = {s_pki->ca}; });
    ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
    EXPECT_EQ(r.response().body, QByteArray("<reply><s:Envelope>hello</s:Envelope></reply>"));
}

TEST_F(ChannelTls, UnknownCaFailsUnlessSkipCACheck)
{
    const TransportResult r = postTls(s_pki->server, s_pki->serverKey,
                                      [](ChannelSettings &s) { s.extraCaCertificates = {s_pki->otherCa}; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::Tls) << r.error().detail.toStdString();
    EXPECT_FALSE(r.error().sslErrors.isEmpty());

    const TransportResult skipped = postTls(s_pki->server, s_pki->serverKey,
                                            [](ChannelSettings &s) { s.skipCACheck = true; });
    EXPECT_TRUE(skipped.ok()) << skipped.error().detail.toStdString();

    // SkipCNCheck alone does not excuse an unknown CA.
    const TransportResult wrongSkip = postTls(s_pki->server, s_pki->serverKey,
                                              [](ChannelSettings &s) { s.skipCNCheck = true; });
    ASSERT_FALSE(wrongSkip.ok());
    EXPECT_EQ(wrongSkip.error().kind, TransportErrorKind::Tls);
}

TEST_F(ChannelTls, WrongHostNameFailsUnlessSkipCNCheck)
{
    const TransportResult r = postTls(s_pki->wrongNameServer, s_pki->wrongNameKey,
                                      [](ChannelSettings &s) { s.extraCaCertificates = {s_pki->ca}; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::Tls);
    bool mismatch = false;
    for (const QSslError &e : r.error().sslErrors)
        mismatch = mismatch || e.error() == QSslError::HostNameMismatch;
    EXPECT_TRUE(mismatch);

    const TransportResult skipped = postTls(s_pki->wrongNameServer, s_pki->wrongNameKey, [](ChannelSettings &s) {
        s.extraCaCertificates = {s_pki->ca};
        s.skipCNCheck = true;
    });
    EXPECT_TRUE(skipped.ok()) << skipped.error().detail.toStdString();
}
