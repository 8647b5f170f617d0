// psremote-cli through a real squid (tests/wsman/SquidFixture) requiring Basic proxy
// authentication, in front of the loopback endpoint in this process: `--proxy` with
// ProxyAuthentication/ProxyCredential and PSREMOTE_PROXY_PASSWORD reaches the endpoint (squid
// logs it), a wrong proxy password is exit 5 with the 407 sentence and no password, a proxy that
// is down is exit 3 naming it.
#include "cli/CliApp.h"

#include "../wsman/SquidFixture.h"
#include "CliTestSupport.h"
#include "LoopbackServer.h"

#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <memory>


using namespace Qt::Literals::StringLiterals;
using Cli::ExitCode;
using namespace CliTestSupport;
using ProxyTest::SquidAuth;
using ProxyTest::SquidFixture;
using ProxyTest::SquidOptions;

namespace {

#define REQUIRE_SQUID()                                                                            \
    do {                                                                                           \
        if (SquidFixture::squidPath().isEmpty())                                                   \
            GTEST_SKIP() << "squid is not installed (Debian package squid)";                       \
    } while (false)

const QString Password = u"wonderland"_s;
const QString ProxyUser = u"puser"_s;
const QByteArray ProxyPassword = QByteArrayLiteral("Squid-Pass-7731");

int countLines(const QByteArray &log, const QByteArray &needle)
{
    int n = 0;
    for (const QByteArray &line : log.split('\n'))
        n += line.contains(needle) ? 1 : 0;
    return n;
}

class ProxyCli : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_home.isValid());
        m_server = CliTestSupport::startEndpoint(u"alice"_s, Password);
        ASSERT_TRUE(m_server);
    }

    bool startSquid()
    {
        SquidOptions options;
        options.auth = SquidAuth::Basic;
        options.user = ProxyUser;
        options.password = ProxyPassword;
        if (m_squid.start(options))
            return true;
        ADD_FAILURE() << "squid did not start: " << m_squid.problem().toStdString();
        return false;
    }

    // `command` to the endpoint through `proxy` with Basic proxy authentication as ProxyUser.
    QStringList arguments(const QString &command, const QString &proxy) const
    {
        QStringList a = basicConnection(command, m_server->port());
        a << u"--proxy"_s << proxy << u"--session-option"_s << u"ProxyAuthentication=Basic,ProxyCredential="_s + ProxyUser;
        if (command == u"invoke")
            a << u"--command"_s << u"Write-Output via-squid"_s;
        return a;
    }

    // psremote-cli as a child without a controlling terminal, the proxy password in
    // PSREMOTE_PROXY_PASSWORD, while this thread's event loop serves the endpoint.
    CliRun run(const QStringList &arguments, const QByteArray &proxyPassword) const
    {
        return runCli(arguments,
                      cliEnvironment(m_home.path(), {u"PSREMOTE_PROXY_PASSWORD="_s + QString::fromUtf8(proxyPassword)}),
                      Password.toUtf8() + '\n');
    }

    QString squidUrl() const { return m_squid.url().toString(); }
    // squid's access-log lines of requests it forwarded to the endpoint as ProxyUser.
    int forwardedAsProxyUser() const
    {
        const QByteArray target = "POST " + m_server->url().toEncoded();
        const QByteArray user = " " + ProxyUser.toUtf8() + " HIER_DIRECT";
        int n = 0;
        for (const QByteArray &line : m_squid.accessLog().split('\n'))
            n += line.contains(target) && line.contains(user) ? 1 : 0;
        return n;
    }

    QTemporaryDir m_home;
    std::unique_ptr<TestServer::LoopbackServer> m_server;
    SquidFixture m_squid;
};

} // namespace

TEST_F(ProxyCli, InvokeRunsThroughSquidWithBasicProxyAuthentication)
{
    REQUIRE_SQUID();
    ASSERT_TRUE(startSquid());
    const CliRun r = run(arguments(u"invoke"_s, squidUrl()), ProxyPassword);
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"via-squid\n"_s);
    EXPECT_EQ(r.err, QString());
    // Create, Command, Receive..., Delete: every request went through squid as ProxyUser.
    EXPECT_GE(forwardedAsProxyUser(), 3) << m_squid.accessLog().toStdString();
    EXPECT_GE(m_server->requestCount(), 3);
}

TEST_F(ProxyCli, SessionsEnumeratesThroughSquid)
{
    REQUIRE_SQUID();
    ASSERT_TRUE(startSquid());
    const CliRun r = run(arguments(u"sessions"_s, squidUrl()), ProxyPassword);
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"No PowerShell sessions on 127.0.0.1 for this user.\n"_s);
    EXPECT_EQ(forwardedAsProxyUser(), 1) << m_squid.accessLog().toStdString();
}

TEST_F(ProxyCli, WrongProxyPasswordExitsFiveWith407AndNoPassword)
{
    REQUIRE_SQUID();
    ASSERT_TRUE(startSquid());
    const QByteArray wrong = QByteArrayLiteral("Not-The-Proxy-Pass-5");
    const CliRun r = run(arguments(u"invoke"_s, squidUrl()), wrong);
    EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
    EXPECT_TRUE(r.err.startsWith(u"psremote-cli invoke: proxy authentication failed (HTTP 407) at 127.0.0.1:"_s
                                 + QString::number(m_squid.port())))
        << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"PSREMOTE_PROXY_PASSWORD"_s)) << r.err.toStdString();
    // squid offers Basic, the scheme chosen: the password was wrong, not the scheme.
    EXPECT_FALSE(r.err.contains(u"set --session-option ProxyAuthentication"_s)) << r.err.toStdString();
    EXPECT_FALSE(r.err.contains(QString::fromUtf8(wrong)));
    EXPECT_FALSE(r.err.contains(QString::fromUtf8(ProxyPassword)));
    EXPECT_FALSE(r.err.contains(Password));
    EXPECT_EQ(r.out, QString());
    // squid refused it and forwarded nothing; the endpoint saw nothing.
    EXPECT_GE(countLines(m_squid.accessLog(), "TCP_DENIED/407"), 1) << m_squid.accessLog().toStdString();
    EXPECT_EQ(countLines(m_squid.accessLog(), "HIER_DIRECT"), 0) << m_squid.accessLog().toStdString();
    EXPECT_EQ(m_server->requestCount(), 0);
}

TEST_F(ProxyCli, ProxyDownExitsThreeNamingTheProxy)
{
    const quint16 port = unusedPort();
    ASSERT_NE(port, 0);
    const QString proxy = u"http://127.0.0.1:%1"_s.arg(port);
    const CliRun r = run(arguments(u"invoke"_s, proxy), ProxyPassword);
    EXPECT_EQ(r.exitCode, int(ExitCode::CannotConnect)) << r.err.toStdString();
    EXPECT_TRUE(r.err.startsWith(u"psremote-cli invoke: cannot connect: the proxy 127.0.0.1:%1 is unreachable"_s.arg(port)))
        << r.err.toStdString();
    EXPECT_FALSE(r.err.contains(QString::fromUtf8(ProxyPassword)));
    EXPECT_EQ(m_server->requestCount(), 0);
}
