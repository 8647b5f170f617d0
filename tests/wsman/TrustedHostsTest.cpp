// Wsman::TrustedHosts: WinRM TrustedHosts patterns, loopback, persistence, the consent rule.
#include "wsman/TrustedHosts.h"

#include <QFile>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using Wsman::AuthenticationMechanism;
using Wsman::TrustedHosts;

TEST(TrustedHosts, ExactNamesAreCaseInsensitiveAndIgnoreATrailingDot)
{
    const TrustedHosts t = TrustedHosts::fromString(u"Server1.Contoso.com, web02"_s);
    EXPECT_TRUE(t.matches(u"server1.contoso.com"));
    EXPECT_TRUE(t.matches(u"SERVER1.CONTOSO.COM."));
    EXPECT_TRUE(t.matches(u"WEB02"));
    EXPECT_FALSE(t.matches(u"server1"));
    EXPECT_FALSE(t.matches(u"web02.contoso.com"));
    EXPECT_FALSE(t.matches(u"xserver1.contoso.com"));
    EXPECT_EQ(t.patterns(), (QStringList{u"Server1.Contoso.com"_s, u"web02"_s}));
}

TEST(TrustedHosts, WildcardsAtEitherEnd)
{
    const TrustedHosts t = TrustedHosts::fromString(u"*.contoso.com,build*,10.1.2.*"_s);
    EXPECT_TRUE(t.matches(u"a.contoso.com"));
    EXPECT_TRUE(t.matches(u"deep.a.CONTOSO.com"));
    EXPECT_FALSE(t.matches(u"contoso.com"));
    EXPECT_FALSE(t.matches(u"a.contoso.com.evil.example"));
    EXPECT_TRUE(t.matches(u"build7"));
    EXPECT_TRUE(t.matches(u"BUILD-agent.corp"));
    EXPECT_FALSE(t.matches(u"mybuild"));
    EXPECT_TRUE(t.matches(u"10.1.2.77"));
    EXPECT_FALSE(t.matches(u"10.1.3.77"));
}

TEST(TrustedHosts, StarTrustsEverythingAndLocalTrustsDotlessNames)
{
    EXPECT_TRUE(TrustedHosts::fromString(u"*"_s).matches(u"anything.example"));
    EXPECT_TRUE(TrustedHosts::fromString(u"*"_s).matches(u"192.0.2.1"));
    const TrustedHosts local = TrustedHosts::fromString(u"<local>"_s);
    EXPECT_TRUE(local.matches(u"fileserver"));
    EXPECT_FALSE(local.matches(u"fileserver.corp"));
    EXPECT_FALSE(local.matches(u"192.0.2.1"));
    EXPECT_FALSE(TrustedHosts().matches(u"fileserver"));
}

TEST(TrustedHosts, AddressesCompareAsAddresses)
{
    const TrustedHosts t = TrustedHosts::fromString(u"192.0.2.10,[2001:db8::1],fe80:0:0:0:0:0:0:5"_s);
    EXPECT_TRUE(t.matches(u"192.0.2.10"));
    EXPECT_FALSE(t.matches(u"192.0.2.100"));
    EXPECT_TRUE(t.matches(u"2001:db8::1"));
    EXPECT_TRUE(t.matches(u"[2001:DB8:0::1]"));
    EXPECT_TRUE(t.matches(u"fe80::5"));
    EXPECT_FALSE(t.matches(u"2001:db8::2"));
    EXPECT_TRUE(TrustedHosts::isIpAddress(u"[::1]"));
    EXPECT_TRUE(TrustedHosts::isIpAddress(u"203.0.113.5"));
    EXPECT_FALSE(TrustedHosts::isIpAddress(u"server.example"));
}

TEST(TrustedHosts, LoopbackIsAlwaysTrusted)
{
    const TrustedHosts none;
    for (const QString &host : {u"127.0.0.1"_s, u"127.8.9.10"_s, u"::1"_s, u"[::1]"_s, u"localhost"_s, u"LocalHost."_s})
        EXPECT_TRUE(none.isTrusted(host)) << host.toStdString();
    for (const QString &host : {u"128.0.0.1"_s, u"localhost.example.com"_s, u"::2"_s, u"myhost"_s})
        EXPECT_FALSE(none.isTrusted(host)) << host.toStdString();
}

TEST(TrustedHosts, InvalidPatternsAreRefused)
{
    EXPECT_FALSE(TrustedHosts::checkPattern(u"*.contoso.com"));
    EXPECT_FALSE(TrustedHosts::checkPattern(u"<LOCAL>"));
    EXPECT_TRUE(TrustedHosts::checkPattern(u""));
    EXPECT_TRUE(TrustedHosts::checkPattern(u"a*b"));
    EXPECT_TRUE(TrustedHosts::checkPattern(u"**"));
    EXPECT_TRUE(TrustedHosts::checkPattern(u"a,b"));
    EXPECT_TRUE(TrustedHosts::checkPattern(u"http://host/"));
    TrustedHosts t;
    EXPECT_TRUE(t.add(u"host1"));
    EXPECT_FALSE(t.add(u"HOST1")); // already there
    EXPECT_FALSE(t.add(u"a*b"));
    EXPECT_EQ(t.toString(), u"host1"_s);
    EXPECT_TRUE(t.remove(u"Host1"));
    EXPECT_FALSE(t.remove(u"host1"));
    EXPECT_TRUE(t.patterns().isEmpty());
    EXPECT_EQ(TrustedHosts::fromString(u" a , ,b*x, c "_s).toString(), u"a,c"_s);
}

TEST(TrustedHosts, SavedListIsReadBack)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString file = dir.filePath(u"PSRemote/settings.ini"_s);
    EXPECT_TRUE(TrustedHosts::load(file).patterns().isEmpty());
    TrustedHosts t = TrustedHosts::fromString(u"*.corp.example,10.0.0.5"_s);
    ASSERT_TRUE(t.save(file));
    EXPECT_EQ(TrustedHosts::load(file).patterns(), t.patterns());
    ASSERT_TRUE(TrustedHosts().save(file));
    EXPECT_TRUE(TrustedHosts::load(file).patterns().isEmpty());
}

TEST(TrustedHosts, SharedFileIsThePSRemoteOne)
{
    // QSettings fixes its user path on first use in a process; the CLI tests check that the
    // child process honours XDG_CONFIG_HOME. Here: the file name is the shared one.
    const QString path = Wsman::sharedSettingsFilePath();
    EXPECT_TRUE(path.endsWith(u"/PSRemote/io.github.psremote.PSRemote.ini"_s)) << path.toStdString();
}

TEST(TrustedHosts, ConsentRuleNeedsHttpAndAnUntrustedHostAndNotKerberos)
{
    const TrustedHosts trusted = TrustedHosts::fromString(u"*.corp.example"_s);
    auto target = [](const QString &host, bool ssl) {
        Wsman::ConnectionTarget t;
        t.host = host;
        t.useSsl = ssl;
        return t;
    };
    using M = AuthenticationMechanism;
    EXPECT_TRUE(Wsman::needsTrustedHostConsent(M::Ntlm, target(u"192.0.2.7"_s, false), trusted));
    EXPECT_TRUE(Wsman::needsTrustedHostConsent(M::Negotiate, target(u"web.other.example"_s, false), trusted));
    EXPECT_TRUE(Wsman::needsTrustedHostConsent(M::Default, target(u"web"_s, false), trusted));
    EXPECT_FALSE(Wsman::needsTrustedHostConsent(M::Ntlm, target(u"192.0.2.7"_s, true), trusted));
    EXPECT_FALSE(Wsman::needsTrustedHostConsent(M::Kerberos, target(u"web.other.example"_s, false), trusted));
    EXPECT_FALSE(Wsman::needsTrustedHostConsent(M::NegotiateWithImplicitCredential, target(u"web"_s, false), trusted));
    EXPECT_TRUE(Wsman::needsTrustedHostConsent(M::Basic, target(u"web"_s, false), trusted));
    EXPECT_FALSE(Wsman::needsTrustedHostConsent(M::Ntlm, target(u"web.corp.example"_s, false), trusted));
    EXPECT_FALSE(Wsman::needsTrustedHostConsent(M::Ntlm, target(u"127.0.0.1"_s, false), trusted));
}
