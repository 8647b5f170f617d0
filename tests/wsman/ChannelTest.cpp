#include "wsman/BasicAuthenticator.h"
#include "wsman/Channel.h"

#include "HttpTestServer.h"

#include <QEventLoop>
#include <QHash>
#include <QSemaphore>
#include <QTcpServer>
#include <QThread>
#include <QTimer>

#include <gtest/gtest.h>

#include <atomic>
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
// "Test hello" -> 401 "Test <challenge-N>" -> "Test answer-N" -> 200; later requests carry no
// header. The challenge is base64 of an NTLM CHALLENGE_MESSAGE prefix (MS-NLMP 2.2.1.2) + "-N",
// so it looks like a real server token to anything that parses it.
QByteArray challengeFor(int connection)
{
    const QByteArray token = QByteArray("NTLMSSP\0\x02\0\0\0", 12) + "-" + QByteArray::number(connection);
    return token.toBase64();
}

class TestTokenAuthenticator final : public Authenticator {
public:
    explicit TestTokenAuthenticator(QByteArray scheme = "Test") : m_scheme(std::move(scheme)) {}
    QByteArray scheme() const override { return m_scheme; }
    bool isSafeOverPlainHttp() const override { return true; }
    bool encryptsMessages() const override { return false; }
    void reset() override { m_established = false; ++resets; }
    AuthResult<AuthLeg> begin() override { return AuthLeg{m_scheme + " hello", false}; }
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override
    {
        const auto token = challengeToken(challenges, m_scheme);
        const QByteArray decoded = token ? QByteArray::fromBase64(*token) : QByteArray();
        if (!decoded.startsWith(QByteArray("NTLMSSP\0\x02\0\0\0", 12)))
            return AuthError{AuthErrorCode::Rejected, u"no challenge"_s};
        return AuthLeg{m_scheme + " answer" + decoded.mid(12), true};
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
    QByteArray m_scheme;
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

// Runs the connection-bound handshake test with the given scheme name. "Negotiate" and "NTLM"
// matter: Qt links GSSAPI and must not answer those challenges by itself.
static void connectionBoundHandshake(const QByteArray &scheme)
{
    QHash<int, bool> authenticated;
    int answered = 0;
    HttpTestServer server([&](const HttpRequest &req) {
        const QByteArray auth = req.header("Authorization");
        const QByteArray conn = QByteArray::number(req.connection);
        if (auth == scheme + " hello")
            return HttpResponse::unauthorized(scheme + " " + challengeFor(req.connection));
        if (auth == scheme + " answer-" + conn)
            authenticated[req.connection] = true;
        if (!authenticated.value(req.connection))
            return HttpResponse::unauthorized(scheme);
        HttpResponse ok = HttpResponse::soap("<ok>" + req.body + "</ok>");
        ok.closeAfter = ++answered == 2; // the server drops the connection after the second answer
        return ok;
    });
    ASSERT_TRUE(server.listen());
    auto authOwned = std::make_unique<TestTokenAuthenticator>(scheme);
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
    EXPECT_EQ(server.requests()[5].header("Authorization"), scheme + " answer-2");
    EXPECT_EQ(server.requests()[5].body, QByteArray("<c/>"));
    EXPECT_GE(auth->resets, 1);
}

TEST(Channel, ConnectionBoundHandshakeRunsAgainAfterTheConnectionIsReplaced)
{
    connectionBoundHandshake("Test");
}

TEST(Channel, WinRMSchemesKeepTheirConnectionThroughTheHandshake)
{
    for (const QByteArray scheme : {"Negotiate", "Kerberos", "CredSSP"}) {
        SCOPED_TRACE(scheme.toStdString());
        connectionBoundHandshake(scheme);
    }
}

// Qt 6.4 itself closes the connection after a 401 whose challenge uses the "NTLM" scheme (it
// does not for Negotiate, Kerberos, CredSSP), so NTLM must travel in the Negotiate scheme, as
// WinRM and pypsrp do. This test pins that Qt behaviour.
TEST(Channel, QtReplacesTheConnectionAfterAnNtlmSchemeChallenge)
{
    HttpTestServer server([](const HttpRequest &req) {
        if (req.header("Authorization") == "NTLM hello")
            return HttpResponse::unauthorized("NTLM " + challengeFor(req.connection));
        return HttpResponse::soap("<ok/>");
    });
    ASSERT_TRUE(server.listen());
    Channel channel(settingsFor(server.url()), std::make_unique<TestTokenAuthenticator>("NTLM"));
    ASSERT_TRUE(postOne(channel).ok());
    ASSERT_EQ(server.requests().size(), 2);
    EXPECT_EQ(server.requests()[1].header("Authorization"), QByteArray("NTLM answer-1"));
    EXPECT_NE(server.requests()[0].connection, server.requests()[1].connection);
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

TEST(Channel, ResponseBodyLimitWhileStreamingWithoutContentLength)
{
    HttpTestServer server([](const HttpRequest &req) {
        HttpResponse r = HttpResponse::soap(QByteArray(req.body.toInt(), 'y'));
        r.closeDelimited = true;
        return r;
    });
    ASSERT_TRUE(server.listen());
    ChannelSettings settings = settingsFor(server.url());
    settings.maxResponseSize = 64 * 1024;
    Channel channel(settings, alice());
    const TransportResult fits = postOne(channel, "65536");
    ASSERT_TRUE(fits.ok()) << fits.error().detail.toStdString();
    EXPECT_EQ(fits.response().body.size(), 65536);
    const TransportResult tooLarge = postOne(channel, "4000000");
    ASSERT_FALSE(tooLarge.ok());
    EXPECT_EQ(tooLarge.error().kind, TransportErrorKind::ResponseTooLarge);
}

TEST(Channel, BasicResendsOnceAfterALaterUnauthorized)
{
    int count = 0;
    HttpTestServer server([&](const HttpRequest &req) {
        if (++count == 1)
            return requireAlice(req);
        return HttpResponse::unauthorized("Basic realm=\"WSMAN\"");
    });
    ASSERT_TRUE(server.listen());
    Channel channel(settingsFor(server.url()), alice());
    ASSERT_TRUE(postOne(channel).ok());
    EXPECT_TRUE(channel.isAuthenticated());
    const TransportResult r = postOne(channel, "<second/>");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::AuthenticationFailed);
    // The first answer, the 401 on <second/>, and exactly one resend.
    ASSERT_EQ(server.requests().size(), 3);
    EXPECT_EQ(server.requests()[2].body, QByteArray("<second/>"));
    EXPECT_EQ(server.requests()[2].header("Authorization"), AliceBasic);
    EXPECT_FALSE(channel.isAuthenticated());
}

TEST(Channel, SettingsFromSessionOptions)
{
    ConnectionInfo info;
    info.computerName = u"h"_s;
    info.useSsl = true;
    SessionOption options;
    ASSERT_FALSE(options.setFromAssignment(u"OperationTimeout=60000"));
    ASSERT_FALSE(options.setFromAssignment(u"OpenTimeout=5000"));
    ASSERT_FALSE(options.setFromAssignment(u"SkipCNCheck=true"));
    ASSERT_FALSE(options.setFromAssignment(u"UseUTF16=true"));
    const auto target = info.resolve();
    ASSERT_TRUE(target.ok());
    const ChannelSettings s = ChannelSettings::from(target.value(), options);
    EXPECT_EQ(s.url, QUrl(u"https://h:5986/wsman"_s));
    EXPECT_EQ(s.operationTimeoutMs, 60000);
    EXPECT_EQ(s.openTimeoutMs, 5000);
    EXPECT_TRUE(s.skipCNCheck);
    EXPECT_FALSE(s.skipCACheck);
    EXPECT_TRUE(s.useUtf16);
    EXPECT_FALSE(s.noEncryption);
    EXPECT_FALSE(s.useSystemProxy);
    ASSERT_FALSE(options.setFromAssignment(u"ProxyAccessType=WinHttpConfig"));
    EXPECT_TRUE(ChannelSettings::from(target.value(), options).useSystemProxy);
    ASSERT_FALSE(options.setFromAssignment(u"ProxyAccessType=NoProxyServer"));
    EXPECT_FALSE(ChannelSettings::from(target.value(), options).useSystemProxy);
}

// With the system proxy, requests go to the proxy named by http_proxy (absolute-form target);
// without it, the same environment is ignored.
TEST(Channel, SystemProxyOnlyWhenAsked)
{
    HttpTestServer proxy(requireAlice);
    ASSERT_TRUE(proxy.listen());
    const QByteArray previous = qgetenv("http_proxy");
    const bool hadPrevious = qEnvironmentVariableIsSet("http_proxy");
    qputenv("http_proxy", "http://127.0.0.1:" + QByteArray::number(proxy.port()));
    const QUrl target(u"http://psremote-test.invalid:5985/wsman"_s);

    ChannelSettings settings = settingsFor(target);
    settings.useSystemProxy = true;
    Channel viaProxy(settings, alice());
    const TransportResult proxied = postOne(viaProxy);
    settings.useSystemProxy = false;
    Channel direct(settings, alice());
    const TransportResult unproxied = postOne(direct);
    if (hadPrevious)
        qputenv("http_proxy", previous);
    else
        qunsetenv("http_proxy");

    ASSERT_TRUE(proxied.ok()) << proxied.error().detail.toStdString();
    ASSERT_EQ(proxy.requests().size(), 1);
    EXPECT_EQ(proxy.requests()[0].target, QByteArray("http://psremote-test.invalid:5985/wsman"));
    ASSERT_FALSE(unproxied.ok());
    EXPECT_EQ(unproxied.error().kind, TransportErrorKind::NameResolution);
}

TEST(BasicAuthenticator, HeaderLegsAndNoEncryption)
{
    BasicAuthenticator auth(u"CORP\\j\u00f6rg"_s, Secret(u"p\u00e4ss:word"));
    EXPECT_EQ(auth.scheme(), QByteArray("Basic"));
    EXPECT_FALSE(auth.isSafeOverPlainHttp());
    EXPECT_FALSE(auth.encryptsMessages());
    const auto leg = auth.begin();
    ASSERT_TRUE(leg.ok());
    EXPECT_TRUE(leg.value().lastLeg);
    const QByteArray expected = "Basic " + QByteArray("CORP\\j\xC3\xB6rg:p\xC3\xA4ss:word").toBase64();
    EXPECT_EQ(leg.value().authorization, expected);
    EXPECT_EQ(auth.requestAuthorization(), expected);
    const auto again = auth.continueWith({"Basic realm=\"WSMAN\""});
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, AuthErrorCode::Rejected);
    EXPECT_FALSE(again.error().detail.contains(u"p\u00e4ss"));
    auth.reset();
    EXPECT_EQ(auth.continueWith({"Negotiate"}).error().code, AuthErrorCode::SchemeNotOffered);
    EXPECT_TRUE(auth.unwrap("x", "application/soap+xml").ok());
    EXPECT_EQ(auth.unwrap("x", "multipart/encrypted;protocol=\"x\"").error().code, AuthErrorCode::Unsupported);
}

TEST(Secret, MovesAndClears)
{
    Secret a(u"hunter2");
    EXPECT_EQ(a.utf8(), QByteArrayView("hunter2"));
    Secret b = std::move(a);
    EXPECT_TRUE(a.isEmpty()); // NOLINT(bugprone-use-after-move): moved-from is defined empty
    EXPECT_EQ(b.utf8(), QByteArrayView("hunter2"));
    b.clear();
    EXPECT_TRUE(b.isEmpty());
}

TEST(Authenticator, ChallengeTokenFindsTheScheme)
{
    EXPECT_EQ(challengeToken({"Negotiate abc=="}, "negotiate"), QByteArray("abc=="));
    EXPECT_EQ(challengeToken({"Negotiate, Basic realm=\"WSMAN\""}, "Basic"), QByteArray("realm=\"WSMAN\""));
    EXPECT_EQ(challengeToken({"Kerberos", "Negotiate"}, "Negotiate"), QByteArray());
    EXPECT_FALSE(challengeToken({"Basic realm=x"}, "Negotiate").has_value());
    EXPECT_FALSE(challengeToken({}, "Basic").has_value());
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

TEST(Channel, DroppedConnectionIsReportedAndTheNextRequestReconnects)
{
    HttpTestServer server([&](const HttpRequest &req) {
        if (req.body == "<drop/>") {
            HttpResponse r;
            r.drop = true;
            return r;
        }
        return requireAlice(req);
    });
    ASSERT_TRUE(server.listen());
    Channel channel(settingsFor(server.url()), alice());
    ASSERT_TRUE(postOne(channel).ok());
    const TransportResult dropped = postOne(channel, "<drop/>");
    ASSERT_FALSE(dropped.ok());
    EXPECT_EQ(dropped.error().kind, TransportErrorKind::ConnectionClosed) << dropped.error().detail.toStdString();
    const TransportResult after = postOne(channel);
    ASSERT_TRUE(after.ok()) << after.error().detail.toStdString();
    EXPECT_EQ(server.requests().last().header("Authorization"), AliceBasic);
    EXPECT_GE(server.connectionCount(), 2);
    // Qt (6.4) resends a request once by itself when a kept-alive connection closes without an
    // answer; a caller must treat ConnectionClosed as "may have been delivered twice".
    qsizetype drops = 0;
    for (const HttpRequest &req : server.requests())
        drops += req.body == "<drop/>" ? 1 : 0;
    EXPECT_EQ(drops, 2);
}

TEST(Channel, UnknownHostIsNameResolution)
{
    Channel channel(settingsFor(QUrl(u"http://psremote-test.invalid:5985/wsman"_s)), alice());
    const TransportResult r = postOne(channel);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TransportErrorKind::NameResolution) << r.error().detail.toStdString();
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

TEST_F(ChannelTls, PinnedCertificateIsTrustedAndAnyOtherRefused)
{
    const QByteArray pin = s_pki->server.digest(QCryptographicHash::Sha256);
    // Unknown CA: refused, and the error carries the certificate to show before pinning.
    const TransportResult unknown = postTls(s_pki->server, s_pki->serverKey, [](ChannelSettings &) {});
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().kind, TransportErrorKind::Tls);
    EXPECT_EQ(unknown.error().peerCertificate, s_pki->server);
    EXPECT_FALSE(unknown.error().pinMismatch);

    // Pinned: trusted although no CA vouches for it.
    const TransportResult pinned = postTls(s_pki->server, s_pki->serverKey,
                                           [&](ChannelSettings &s) { s.pinnedSha256 = {pin}; });
    ASSERT_TRUE(pinned.ok()) << pinned.error().detail.toStdString();

    // Another certificate where one is pinned: refused loudly, whether or not it verifies.
    const TransportResult changed = postTls(s_pki->wrongNameServer, s_pki->wrongNameKey,
                                            [&](ChannelSettings &s) { s.pinnedSha256 = {pin}; });
    ASSERT_FALSE(changed.ok());
    EXPECT_TRUE(changed.error().pinMismatch);
    EXPECT_EQ(changed.error().peerCertificate, s_pki->wrongNameServer);
    EXPECT_TRUE(changed.error().detail.contains(u"pinned"_s)) << changed.error().detail.toStdString();

    const QByteArray otherPin = s_pki->wrongNameServer.digest(QCryptographicHash::Sha256);
    const TransportResult verifiedButNotPinned = postTls(s_pki->server, s_pki->serverKey, [&](ChannelSettings &s) {
        s.extraCaCertificates = {s_pki->ca};
        s.pinnedSha256 = {otherPin};
    });
    ASSERT_FALSE(verifiedButNotPinned.ok());
    EXPECT_TRUE(verifiedButNotPinned.error().pinMismatch);
    EXPECT_EQ(verifiedButNotPinned.error().kind, TransportErrorKind::Tls);
}

namespace {

// What the slow authenticator and its test share: begin() signals `entered` and then blocks until
// the test releases `proceed`; the destructor signals `destroyed` (from whatever thread runs it).
struct LegGate {
    QSemaphore entered;
    QSemaphore proceed;
    QSemaphore destroyed;
    std::atomic<QThread *> legThread{nullptr};
    std::atomic<QThread *> destroyThread{nullptr};
    std::atomic<int> begins{0};
    std::atomic<int> resets{0};
};

// A connection-bound scheme like TestTokenAuthenticator whose first leg blocks like a GSSAPI
// call waiting for a KDC, so the Channel must run it off its thread.
class SlowAuthenticator final : public Authenticator {
public:
    explicit SlowAuthenticator(std::shared_ptr<LegGate> gate) : m_gate(std::move(gate)) {}
    ~SlowAuthenticator() override
    {
        m_gate->destroyThread = QThread::currentThread();
        m_gate->destroyed.release();
    }
    QByteArray scheme() const override { return "Test"; }
    bool isSafeOverPlainHttp() const override { return true; }
    bool encryptsMessages() const override { return false; }
    bool blocksOnLegs() const override { return true; }
    void reset() override
    {
        m_established = false;
        ++m_gate->resets;
    }
    AuthResult<AuthLeg> begin() override
    {
        m_gate->legThread = QThread::currentThread();
        ++m_gate->begins;
        m_gate->entered.release();
        if (!m_gate->proceed.tryAcquire(1, 20000)) // a guard only: the test releases it
            return AuthError{AuthErrorCode::InvalidToken, u"gate never opened"_s};
        return AuthLeg{"Test hello", false};
    }
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override
    {
        const auto token = challengeToken(challenges, "Test");
        const QByteArray decoded = token ? QByteArray::fromBase64(*token) : QByteArray();
        if (!decoded.startsWith(QByteArray("NTLMSSP\0\x02\0\0\0", 12)))
            return AuthError{AuthErrorCode::Rejected, u"no challenge"_s};
        return AuthLeg{"Test answer" + decoded.mid(12), true};
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

private:
    std::shared_ptr<LegGate> m_gate;
    bool m_established = false;
};

HttpResponse testSchemeServer(const HttpRequest &req, QHash<int, bool> &authenticated)
{
    const QByteArray auth = req.header("Authorization");
    if (auth == "Test hello")
        return HttpResponse::unauthorized("Test " + challengeFor(req.connection));
    if (auth == "Test answer-" + QByteArray::number(req.connection))
        authenticated[req.connection] = true;
    if (!authenticated.value(req.connection))
        return HttpResponse::unauthorized("Test");
    return HttpResponse::soap("<ok>" + req.body + "</ok>");
}

// Runs the event loop until `done` holds (polled); the guard only stops a hang.
bool spinUntil(const std::function<bool()> &done, int guardMs = 10000)
{
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    poll.start(1);
    QTimer::singleShot(guardMs, &loop, &QEventLoop::quit);
    if (!done())
        loop.exec();
    return done();
}

} // namespace

TEST(Channel, BlockingLegRunsOffTheChannelThreadWhileTheEventLoopRuns)
{
    QHash<int, bool> authenticated;
    HttpTestServer server([&](const HttpRequest &req) { return testSchemeServer(req, authenticated); });
    ASSERT_TRUE(server.listen());
    auto gate = std::make_shared<LegGate>();
    Channel channel(settingsFor(server.url()), std::make_unique<SlowAuthenticator>(gate));

    std::optional<TransportResult> result;
    channel.post("<a/>", [&](const TransportResult &r) { result = r; });
    // The leg has started and is blocked: the event loop still turns (timers fire), no request
    // went out, and the channel is not authenticated.
    int ticksWhilePending = 0;
    ASSERT_TRUE(spinUntil([&] {
        if (gate->entered.available() == 0)
            return false;
        return ++ticksWhilePending >= 5;
    }));
    EXPECT_FALSE(result.has_value());
    EXPECT_TRUE(server.requests().isEmpty());
    EXPECT_FALSE(channel.isAuthenticated());
    EXPECT_EQ(channel.pendingCount(), 1);
    gate->proceed.release();

    ASSERT_TRUE(spinUntil([&] { return result.has_value(); }));
    ASSERT_TRUE(result->ok()) << result->error().detail.toStdString();
    EXPECT_EQ(result->response().body, QByteArray("<ok><a/></ok>"));
    EXPECT_NE(gate->legThread.load(), QThread::currentThread());
    EXPECT_NE(gate->legThread.load(), nullptr);
    EXPECT_TRUE(channel.isAuthenticated());
    ASSERT_EQ(server.requests().size(), 2);
    EXPECT_EQ(server.requests()[0].header("Authorization"), QByteArray("Test hello"));
    EXPECT_EQ(server.requests()[1].header("Authorization"), QByteArray("Test answer-1"));
}

TEST(Channel, DestroyingTheChannelDuringABlockingLegIsSafe)
{
    QHash<int, bool> authenticated;
    HttpTestServer server([&](const HttpRequest &req) { return testSchemeServer(req, authenticated); });
    ASSERT_TRUE(server.listen());
    auto gate = std::make_shared<LegGate>();
    auto channel = std::make_unique<Channel>(settingsFor(server.url()), std::make_unique<SlowAuthenticator>(gate));
    bool called = false;
    channel->post("<a/>", [&](const TransportResult &) { called = true; });
    ASSERT_TRUE(spinUntil([&] { return gate->entered.available() > 0; }));

    channel.reset();
    EXPECT_EQ(gate->destroyed.available(), 0); // the running leg still holds the authenticator
    gate->proceed.release();
    // The worker finishes the leg, finds the channel gone and drops the authenticator there.
    ASSERT_TRUE(gate->destroyed.tryAcquire(1, 10000));
    EXPECT_NE(gate->destroyThread.load(), QThread::currentThread());
    spinUntil([] { return false; }, 50); // any stray queued call would run now
    EXPECT_FALSE(called);
    EXPECT_TRUE(server.requests().isEmpty());
}

TEST(Channel, CancelDuringABlockingLegCompletesAtOnceAndTheNextRequestStartsAfresh)
{
    QHash<int, bool> authenticated;
    HttpTestServer server([&](const HttpRequest &req) { return testSchemeServer(req, authenticated); });
    ASSERT_TRUE(server.listen());
    auto gate = std::make_shared<LegGate>();
    Channel channel(settingsFor(server.url()), std::make_unique<SlowAuthenticator>(gate));

    std::optional<TransportResult> first;
    std::optional<TransportResult> second;
    const Channel::RequestId id = channel.post("<a/>", [&](const TransportResult &r) { first = r; });
    channel.post("<b/>", [&](const TransportResult &r) { second = r; });
    ASSERT_TRUE(spinUntil([&] { return gate->entered.available() > 0; }));

    channel.cancel(id);
    ASSERT_TRUE(first.has_value()); // before cancel() returns
    ASSERT_FALSE(first->ok());
    EXPECT_EQ(first->error().kind, TransportErrorKind::Cancelled);
    EXPECT_FALSE(second.has_value());

    gate->proceed.release(2); // the stale leg, then the second request's own begin()
    ASSERT_TRUE(spinUntil([&] { return second.has_value(); }));
    ASSERT_TRUE(second->ok()) << second->error().detail.toStdString();
    EXPECT_EQ(second->response().body, QByteArray("<ok><b/></ok>"));
    EXPECT_EQ(gate->begins.load(), 2);
    EXPECT_GE(gate->resets.load(), 1); // the stale half-made context was dropped
    // The cancelled leg's token never went out: the server saw only the second handshake.
    ASSERT_EQ(server.requests().size(), 2);
    EXPECT_EQ(server.requests()[1].body, QByteArray("<b/>"));
}
