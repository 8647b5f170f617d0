// Proxies through a real squid on loopback (SquidFixture) in front of the loopback endpoint:
// forward proxying of plain HTTP, CONNECT tunnels for HTTPS, Basic/Digest/Negotiate proxy
// authentication, the 407 and unreachable errors, and ProxyAccessType's system/none choice.
#include "ClientHarness.h"
#include "SquidFixture.h"

#include "../auth/KdcFixture.h"
#include "HttpTestServer.h"

#include "wsman/Channel.h"
#include "wsman/Envelope.h"
#include "wsman/NtlmAuthenticator.h"

#include <QDir>
#include <QFile>
#include <QTcpServer>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <cstdlib>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;
using namespace ClientHarness;
using ProxyTest::SquidAuth;
using ProxyTest::SquidFixture;
using ProxyTest::SquidOptions;

namespace {

#define REQUIRE_SQUID()                                                                             \
    do {                                                                                            \
        if (SquidFixture::squidPath().isEmpty())                                                    \
            GTEST_SKIP() << "squid is not installed (Debian package squid)";                        \
    } while (false)

std::string describe(const TransportResult &r)
{
    return r.ok() ? std::string("ok") : r.error().detail.toStdString();
}

// A Channel to the endpoint with Basic (plain HTTP, NoEncryption) through `proxy`.
ChannelSettings basicSettings(const QUrl &endpoint, const QUrl &proxy)
{
    ChannelSettings s;
    s.url = endpoint;
    s.noEncryption = true;
    s.openTimeoutMs = 20000;
    s.operationTimeoutMs = 20000;
    s.proxy = proxy;
    return s;
}

std::unique_ptr<Authenticator> basic()
{
    return basicAuthenticatorFactory(User, Secret(Password))();
}

int countLines(const QByteArray &log, const QByteArray &needle)
{
    int n = 0;
    for (const QByteArray &line : log.split('\n'))
        n += line.contains(needle) ? 1 : 0;
    return n;
}

class EnvironmentVariable {
public:
    EnvironmentVariable(const char *name, const QByteArray &value) : m_name(name)
    {
        if (qEnvironmentVariableIsSet(name))
            m_saved = qgetenv(name);
        qputenv(name, value);
    }
    ~EnvironmentVariable()
    {
        if (m_saved)
            qputenv(m_name, *m_saved);
        else
            qunsetenv(m_name);
    }

private:
    const char *m_name;
    std::optional<QByteArray> m_saved;
};

quint16 unusedPort()
{
    QTcpServer server;
    return server.listen(QHostAddress::LocalHost, 0) ? server.serverPort() : 0;
}

} // namespace

TEST(Proxy, ForwardsPlainHttpThroughRunspacePoolClient)
{
    REQUIRE_SQUID();
    SquidFixture squid;
    ASSERT_TRUE(squid.start()) << squid.problem().toStdString();
    auto server = startEndpoint();
    ASSERT_TRUE(server);
    ClientOptions o = basicOptions(server->url());
    o.sessionOption.proxy = squid.url();
    Session s(std::move(o));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.run(u"Write-Output via-proxy"_s);
    EXPECT_EQ(s.stateOf(pid), Psrp::PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
    // squid logs every request it forwarded, with the absolute URL of the endpoint.
    const QByteArray expected = "POST " + server->url().toEncoded();
    EXPECT_GE(countLines(squid.accessLog(), expected), 3) << squid.accessLog().toStdString();
}

TEST(Proxy, BasicProxyAuthentication)
{
    REQUIRE_SQUID();
    SquidFixture squid;
    SquidOptions options;
    options.auth = SquidAuth::Basic;
    ASSERT_TRUE(squid.start(options)) << squid.problem().toStdString();
    auto server = startEndpoint();
    ASSERT_TRUE(server);
    ChannelSettings settings = basicSettings(server->url(), squid.url());
    settings.proxyAuthentication = ProxyAuthentication::Basic;
    settings.proxyUserName = options.user;
    settings.proxyPassword = std::make_shared<const Secret>(Secret::fromUtf8(options.password));
    Channel channel(settings, basic());
    const TransportResult first = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(first.ok()) << describe(first);
    const TransportResult second = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(second.ok()) << describe(second);
    EXPECT_EQ(countLines(squid.accessLog(), " " + options.user.toUtf8() + " HIER_DIRECT"), 2) << squid.accessLog().toStdString();
}

TEST(Proxy, DigestProxyAuthenticationForwardAndConnect)
{
    REQUIRE_SQUID();
    QString why;
    const auto pki = TestSupport::TestPki::generate(&why);
    if (!pki)
        GTEST_SKIP() << "openssl unavailable: " << why.toStdString();
    SquidFixture squid;
    SquidOptions options;
    options.auth = SquidAuth::Digest;
    ASSERT_TRUE(squid.start(options)) << squid.problem().toStdString();

    // Plain HTTP: the 407 of the forwarded request tells which schemes the proxy offers.
    auto server = startEndpoint();
    ASSERT_TRUE(server);
    ChannelSettings settings = basicSettings(server->url(), squid.url());
    settings.proxyAuthentication = ProxyAuthentication::Digest;
    settings.proxyUserName = options.user;
    settings.proxyPassword = std::make_shared<const Secret>(Secret::fromUtf8(options.password));
    {
        Channel channel(settings, basic());
        const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
        ASSERT_TRUE(result.ok()) << describe(result);
    }

    // HTTPS: Qt does not expose the CONNECT's 407, so the channel probes; TLS and Basic inside.
    TestServer::ServerConfig config;
    config.https = true;
    config.certificate = pki->server;
    config.privateKey = pki->serverKey;
    auto tlsServer = startEndpoint(config);
    ASSERT_TRUE(tlsServer);
    settings.url = tlsServer->url();
    settings.noEncryption = false;
    settings.extraCaCertificates = {pki->ca};
    {
        Channel channel(settings, basic());
        const TransportResult result = postOne(channel, enumerateEnvelope(tlsServer->url()));
        ASSERT_TRUE(result.ok()) << describe(result);
    }
    // squid logs a tunnel when it closes.
    const QByteArray tunnel = "CONNECT 127.0.0.1:" + QByteArray::number(tlsServer->url().port()) + " " + options.user.toUtf8();
    EXPECT_TRUE(runUntil([&] { return countLines(squid.accessLog(), tunnel) == 1; })) << squid.accessLog().toStdString();
}

TEST(Proxy, WrongProxyPasswordIsA407ErrorWithoutLoop)
{
    REQUIRE_SQUID();
    SquidFixture squid;
    SquidOptions options;
    options.auth = SquidAuth::Basic;
    ASSERT_TRUE(squid.start(options)) << squid.problem().toStdString();
    auto server = startEndpoint();
    ASSERT_TRUE(server);
    ChannelSettings settings = basicSettings(server->url(), squid.url());
    settings.proxyAuthentication = ProxyAuthentication::Basic;
    settings.proxyUserName = options.user;
    settings.proxyPassword = std::make_shared<const Secret>(Secret(u"not-the-password"_s));
    Channel channel(settings, basic());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::ProxyAuthenticationFailed) << describe(result);
    EXPECT_EQ(result.error().proxy, u"127.0.0.1:%1"_s.arg(squid.port()));
    EXPECT_FALSE(result.error().detail.contains(u"not-the-password"_s));
    // One unauthenticated attempt, one with the credentials (Qt may resend it once on a fresh connection).
    const int denied = countLines(squid.accessLog(), "TCP_DENIED/407");
    EXPECT_GE(denied, 2);
    EXPECT_LE(denied, 4) << squid.accessLog().toStdString();
    EXPECT_EQ(countLines(squid.accessLog(), "HIER_DIRECT"), 0);
}

TEST(Proxy, ConfiguredSchemeNotOfferedSendsNoPassword)
{
    REQUIRE_SQUID();
    SquidFixture squid;
    SquidOptions options;
    options.auth = SquidAuth::Basic;
    ASSERT_TRUE(squid.start(options)) << squid.problem().toStdString();
    auto server = startEndpoint();
    ASSERT_TRUE(server);
    ChannelSettings settings = basicSettings(server->url(), squid.url());
    settings.proxyAuthentication = ProxyAuthentication::Digest;
    settings.proxyUserName = options.user;
    settings.proxyPassword = std::make_shared<const Secret>(Secret::fromUtf8(options.password));
    Channel channel(settings, basic());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::ProxyAuthenticationFailed) << describe(result);
    EXPECT_EQ(result.error().proxyOffered, QStringList{u"Basic"_s});
    EXPECT_EQ(countLines(squid.accessLog(), "TCP_DENIED/407"), 1) << squid.accessLog().toStdString();
    EXPECT_EQ(countLines(squid.accessLog(), " " + options.user.toUtf8() + " "), 0); // the password was never sent
}

TEST(Proxy, ProxyDownIsProxyUnreachable)
{
    const quint16 port = unusedPort();
    ASSERT_NE(port, 0);
    auto server = startEndpoint();
    ASSERT_TRUE(server);
    QUrl proxy;
    proxy.setScheme(u"http"_s);
    proxy.setHost(u"127.0.0.1"_s);
    proxy.setPort(port);
    Channel channel(basicSettings(server->url(), proxy), basic());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::ProxyUnreachable) << describe(result);
    EXPECT_EQ(result.error().proxy, u"127.0.0.1:%1"_s.arg(port));
    EXPECT_EQ(server->requestCount(), 0);
}

TEST(Proxy, SystemProxyFromHttpProxyAndNoProxyServerIgnoresIt)
{
    REQUIRE_SQUID();
    SquidFixture squid;
    ASSERT_TRUE(squid.start()) << squid.problem().toStdString();
    auto server = startEndpoint();
    ASSERT_TRUE(server);
    const EnvironmentVariable httpProxy("http_proxy", squid.url().toEncoded());
    ConnectionTarget target;
    target.url = server->url();
    SessionOption option;
    option.noEncryption = true;

    option.proxyAccessType = ProxyAccessType::NoProxyServer;
    {
        Channel channel(ChannelSettings::from(target, option), basic());
        const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
        ASSERT_TRUE(result.ok()) << describe(result);
    }
    EXPECT_EQ(countLines(squid.accessLog(), "POST "), 0);

    option.proxyAccessType = ProxyAccessType::WinHttpConfig;
    {
        Channel channel(ChannelSettings::from(target, option), basic());
        const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
        ASSERT_TRUE(result.ok()) << describe(result);
    }
    EXPECT_EQ(countLines(squid.accessLog(), "POST " + server->url().toEncoded()), 1) << squid.accessLog().toStdString();
}

TEST(Proxy, NegotiateProxyAuthenticationWithTicketCache)
{
    REQUIRE_SQUID();
    KerberosTest::KdcFixture kdc;
    if (!kdc.start()) {
        if (kdc.toolsMissing())
            GTEST_SKIP() << "MIT KDC not installed (Debian packages krb5-kdc krb5-admin-server): " << kdc.problem().toStdString();
        FAIL() << kdc.problem().toStdString();
    }
    ASSERT_TRUE(kdc.kinit(KerberosTest::UserPassword));
    SquidFixture squid;
    SquidOptions options;
    options.auth = SquidAuth::Negotiate;
    options.keytab = qEnvironmentVariable("KRB5_KTNAME").remove(u"FILE:"_s);
    options.krb5Config = qEnvironmentVariable("KRB5_CONFIG");
    ASSERT_TRUE(squid.start(options)) << squid.problem().toStdString();
    auto server = startEndpoint();
    ASSERT_TRUE(server);
    // The SPN is HTTP/<proxy host>: the proxy must be named as its keytab names it.
    ChannelSettings settings = basicSettings(server->url(), squid.url(u"localhost"_s));
    settings.proxyAuthentication = ProxyAuthentication::Negotiate;
    Channel channel(settings, basic());
    const TransportResult first = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(first.ok()) << describe(first) << squid.cacheLog().right(1500).toStdString();
    const TransportResult second = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(second.ok()) << describe(second);
    EXPECT_GE(countLines(squid.accessLog(), " user@PSREMOTE.TEST HIER_DIRECT"), 2) << squid.accessLog().toStdString();
}

TEST(Proxy, NtlmEndpointThroughForwardProxyKeepsItsConnection)
{
    REQUIRE_SQUID();
    if (QDir(u"/etc/gss/mech.d"_s).entryList({u"*ntlm*"_s}, QDir::Files).isEmpty())
        GTEST_SKIP() << "gss-ntlmssp is not installed (Debian package gss-ntlmssp)";
    QTemporaryDir dir;
    QFile users(dir.filePath(u"ntlm-users"_s));
    ASSERT_TRUE(users.open(QIODevice::WriteOnly));
    users.write("PSTEST:alice:NtlmPass-1\n");
    users.close();
    SquidFixture squid;
    ASSERT_TRUE(squid.start()) << squid.problem().toStdString();
    TestServer::ServerConfig config;
    config.authSchemes = {TestServer::AuthScheme::Negotiate};
    config.ntlmUserFile = users.fileName();
    auto server = std::make_unique<TestServer::LoopbackServer>(std::move(config));
    QString error;
    ASSERT_TRUE(server->listen(&error)) << error.toStdString();
    ChannelSettings settings = basicSettings(server->url(), squid.url());
    settings.noEncryption = false;
    NtlmSettings ntlm;
    ntlm.userName = u"PSTEST\\alice"_s;
    Channel channel(settings, ntlmAuthenticatorFactory(ntlm, Secret(u"NtlmPass-1"_s))());
    // NTLM authenticates the TCP connection: squid must pin its server connection to ours.
    for (int i = 0; i < 3; ++i) {
        const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
        ASSERT_TRUE(result.ok()) << i << ": " << describe(result);
    }
    EXPECT_EQ(server->handshakeCount(), 1);
    EXPECT_GE(countLines(squid.accessLog(), "POST " + server->url().toEncoded()), 4) << squid.accessLog().toStdString();
}
