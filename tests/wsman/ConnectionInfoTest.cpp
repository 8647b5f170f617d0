#include "wsman/ConnectionInfo.h"

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;

namespace {

ConnectionInfo host(const QString &name)
{
    ConnectionInfo info;
    info.computerName = name;
    return info;
}

QString urlOf(const ConnectionInfo &info)
{
    const auto target = info.resolve();
    EXPECT_TRUE(target.ok()) << (target.ok() ? "" : target.error().detail.toStdString());
    return target.ok() ? target->url.toString() : QString();
}

} // namespace

TEST(ConnectionInfo, ComputerNameDefaultsToHttp5985Wsman)
{
    EXPECT_EQ(urlOf(host(u"server1"_s)), u"http://server1:5985/wsman"_s);
    const auto target = host(u"server1"_s).resolve();
    ASSERT_TRUE(target.ok());
    EXPECT_FALSE(target->useSsl);
    EXPECT_EQ(target->port, 5985);
}

TEST(ConnectionInfo, UseSslDefaultsTo5986AndExplicitPortWins)
{
    ConnectionInfo info = host(u"server1.corp.example"_s);
    info.useSsl = true;
    EXPECT_EQ(urlOf(info), u"https://server1.corp.example:5986/wsman"_s);
    info.port = 443;
    EXPECT_EQ(urlOf(info), u"https://server1.corp.example:443/wsman"_s);
}

TEST(ConnectionInfo, ApplicationNameBecomesThePath)
{
    ConnectionInfo info = host(u"server1"_s);
    info.applicationName = u"custom"_s;
    EXPECT_EQ(urlOf(info), u"http://server1:5985/custom"_s);
    info.applicationName = u"bad?x"_s;
    const auto bad = info.resolve();
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ConfigErrorCode::InvalidValue);
}

TEST(ConnectionInfo, Ipv6LiteralsAreBracketed)
{
    EXPECT_EQ(urlOf(host(u"::1"_s)), u"http://[::1]:5985/wsman"_s);
    EXPECT_EQ(urlOf(host(u"[fe80::1]"_s)), u"http://[fe80::1]:5985/wsman"_s);
    EXPECT_EQ(urlOf(host(u"192.0.2.7"_s)), u"http://192.0.2.7:5985/wsman"_s);
}

TEST(ConnectionInfo, InvalidComputerNameAndPortAreRefused)
{
    EXPECT_EQ(host(u"bad host"_s).resolve().error().code, ConfigErrorCode::InvalidValue);
    ConnectionInfo info = host(u"server1"_s);
    info.port = 70000;
    EXPECT_EQ(info.resolve().error().code, ConfigErrorCode::InvalidValue);
    EXPECT_EQ(ConnectionInfo{}.resolve().error().code, ConfigErrorCode::MissingParameter);
}

TEST(ConnectionInfo, ConnectionUriSchemeDecidesTlsAndDefaults)
{
    ConnectionInfo info;
    info.connectionUri = u"https://host.example"_s;
    auto target = info.resolve();
    ASSERT_TRUE(target.ok());
    EXPECT_TRUE(target->useSsl);
    EXPECT_EQ(target->url.toString(), u"https://host.example:5986/wsman"_s);

    info.connectionUri = u"http://host.example:8080/custom"_s;
    target = info.resolve();
    ASSERT_TRUE(target.ok());
    EXPECT_FALSE(target->useSsl);
    EXPECT_EQ(target->url.toString(), u"http://host.example:8080/custom"_s);

    info.connectionUri = u"http://[2001:db8::5]/"_s;
    EXPECT_EQ(urlOf(info), u"http://[2001:db8::5]:5985/wsman"_s);
}

TEST(ConnectionInfo, ConnectionUriIsExclusiveWithComputerNameSet)
{
    ConnectionInfo info;
    info.connectionUri = u"https://host.example/wsman"_s;
    info.useSsl = true;
    EXPECT_EQ(info.resolve().error().code, ConfigErrorCode::ConflictingParameters);
    info.useSsl.reset();
    info.applicationName = u"wsman"_s;
    EXPECT_EQ(info.resolve().error().code, ConfigErrorCode::ConflictingParameters);
    info.applicationName.reset();
    info.computerName = u"x"_s;
    EXPECT_EQ(info.resolve().error().code, ConfigErrorCode::ConflictingParameters);
}

TEST(ConnectionInfo, ConnectionUriMustBeHttpOrHttps)
{
    ConnectionInfo info;
    info.connectionUri = u"ftp://host.example/"_s;
    EXPECT_EQ(info.resolve().error().code, ConfigErrorCode::InvalidUri);
    info.connectionUri = u"not a url"_s;
    EXPECT_EQ(info.resolve().error().code, ConfigErrorCode::InvalidUri);
}

TEST(ConnectionInfo, ConfigurationNameBecomesResourceUri)
{
    EXPECT_EQ(ConnectionInfo::resourceUriFor(u""), u"http://schemas.microsoft.com/powershell/Microsoft.PowerShell"_s);
    EXPECT_EQ(ConnectionInfo::resourceUriFor(u"PowerShell.7"), u"http://schemas.microsoft.com/powershell/PowerShell.7"_s);
    EXPECT_EQ(ConnectionInfo::resourceUriFor(u"HTTP://Schemas.Microsoft.com/PowerShell/Custom"),
              u"HTTP://Schemas.Microsoft.com/PowerShell/Custom"_s);
    ConnectionInfo info = host(u"h"_s);
    info.configurationName = u"JEA"_s;
    EXPECT_EQ(info.resolve()->resourceUri, u"http://schemas.microsoft.com/powershell/JEA"_s);
}

TEST(ConnectionInfo, RedirectionOnlyWithAllowRedirectionAndConnectionUri)
{
    SessionOption options;
    ConnectionInfo info = host(u"h"_s);
    info.allowRedirection = true;
    EXPECT_EQ(info.effectiveRedirectionCount(options), 0);
    ConnectionInfo uri;
    uri.connectionUri = u"https://h/wsman"_s;
    EXPECT_EQ(uri.effectiveRedirectionCount(options), 0);
    uri.allowRedirection = true;
    EXPECT_EQ(uri.effectiveRedirectionCount(options), 5);
}

TEST(AuthenticationMechanism, ParsesEveryCliSpelling)
{
    const std::pair<QString, AuthenticationMechanism> cases[] = {
        {u"default"_s, AuthenticationMechanism::Default},
        {u"Basic"_s, AuthenticationMechanism::Basic},
        {u"negotiate"_s, AuthenticationMechanism::Negotiate},
        {u"NTLM"_s, AuthenticationMechanism::Ntlm},
        {u"kerberos"_s, AuthenticationMechanism::Kerberos},
        {u"credssp"_s, AuthenticationMechanism::CredSsp},
        {u"digest"_s, AuthenticationMechanism::Digest},
        {u"negotiate-implicit"_s, AuthenticationMechanism::NegotiateWithImplicitCredential},
    };
    for (const auto &[text, mechanism] : cases) {
        const auto parsed = parseAuthenticationMechanism(text);
        ASSERT_TRUE(parsed.ok()) << text.toStdString();
        EXPECT_EQ(parsed.value(), mechanism);
        EXPECT_EQ(authenticationMechanismName(mechanism), text.toLower());
    }
    const auto bad = parseAuthenticationMechanism(u"magic");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ConfigErrorCode::InvalidValue);
    EXPECT_TRUE(bad.error().detail.contains(u"negotiate-implicit"));
}

TEST(UserName, ParsesTheThreeForms)
{
    auto plain = UserName::parse(u"alice");
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->form, UserName::Form::Plain);
    EXPECT_EQ(plain->user, u"alice"_s);

    auto down = UserName::parse(u"CORP\\alice");
    ASSERT_TRUE(down.ok());
    EXPECT_EQ(down->form, UserName::Form::DownLevel);
    EXPECT_EQ(down->domain, u"CORP"_s);
    EXPECT_EQ(down->user, u"alice"_s);
    EXPECT_EQ(down->toString(), u"CORP\\alice"_s);

    auto upn = UserName::parse(u"alice@CORP.EXAMPLE");
    ASSERT_TRUE(upn.ok());
    EXPECT_EQ(upn->form, UserName::Form::UserPrincipal);
    EXPECT_EQ(upn->domain, u"CORP.EXAMPLE"_s);
    EXPECT_EQ(upn->toString(), u"alice@CORP.EXAMPLE"_s);

    for (const auto bad : {u"", u"\\alice", u"CORP\\", u"@REALM", u"alice@", u"a:b"})
        EXPECT_EQ(UserName::parse(QStringView(bad)).error().code, ConfigErrorCode::InvalidUserName);
}
