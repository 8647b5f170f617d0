#include "wsman/SessionOption.h"

#include "wsman/Channel.h"

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;

TEST(SessionOption, DefaultsMatchPowerShell)
{
    const SessionOption o;
    EXPECT_EQ(o.maximumConnectionRedirectionCount, 5);
    EXPECT_FALSE(o.noCompression);
    EXPECT_FALSE(o.noMachineProfile);
    EXPECT_EQ(o.proxyAccessType, ProxyAccessType::None);
    EXPECT_EQ(o.proxyAuthentication, ProxyAuthentication::Negotiate);
    EXPECT_FALSE(o.skipCACheck);
    EXPECT_FALSE(o.skipCNCheck);
    EXPECT_FALSE(o.skipRevocationCheck);
    EXPECT_EQ(o.operationTimeoutMs, 180000);
    EXPECT_EQ(o.openTimeoutMs, 180000);
    EXPECT_EQ(o.cancelTimeoutMs, 60000);
    EXPECT_EQ(o.idleTimeoutMs, -1);
    EXPECT_FALSE(o.noEncryption);
    EXPECT_FALSE(o.useUtf16);
    EXPECT_FALSE(o.includePortInSpn);
    EXPECT_EQ(o.outputBufferingMode, OutputBufferingMode::None);
    EXPECT_EQ(o.maxConnectionRetryCount, 5);
    EXPECT_FALSE(o.maximumReceivedDataSizePerCommand.has_value());
    ASSERT_TRUE(o.maximumReceivedObjectSize.has_value());
    EXPECT_EQ(*o.maximumReceivedObjectSize, 200 * 1024 * 1024);
    EXPECT_TRUE(o.applicationArguments.isEmpty());
    EXPECT_EQ(o.culture, SessionOption::systemCultureName());
    EXPECT_EQ(o.uiCulture, SessionOption::systemCultureName());
}

TEST(SessionOption, SystemCultureNameIsDotNetShaped)
{
    const QString name = SessionOption::systemCultureName();
    EXPECT_FALSE(name.contains(u'_'));
    EXPECT_GE(name.size(), 2);
    EXPECT_NE(name, u"C"_s);
}

TEST(SessionOption, NamesAndValuesAreCaseInsensitive)
{
    SessionOption o;
    EXPECT_FALSE(o.setFromString(u"skipcacheck", u"TRUE"));
    EXPECT_TRUE(o.skipCACheck);
    EXPECT_FALSE(o.setFromString(u"SKIPCNCHECK", u"True"));
    EXPECT_TRUE(o.skipCNCheck);
    EXPECT_FALSE(o.setFromString(u"NoEncryption", u"false"));
    EXPECT_FALSE(o.noEncryption);
    EXPECT_FALSE(o.setFromString(u"outputbufferingmode", u"drop"));
    EXPECT_EQ(o.outputBufferingMode, OutputBufferingMode::Drop);
    EXPECT_FALSE(o.setFromString(u"ProxyAccessType", u"autodetect"));
    EXPECT_EQ(o.proxyAccessType, ProxyAccessType::AutoDetect);
}

TEST(SessionOption, TimeoutsAreMilliseconds)
{
    SessionOption o;
    EXPECT_FALSE(o.setFromAssignment(u"OperationTimeout=60000"));
    EXPECT_EQ(o.operationTimeoutMs, 60000);
    EXPECT_FALSE(o.setFromAssignment(u"OpenTimeout=1500"));
    EXPECT_EQ(o.openTimeoutMs, 1500);
    EXPECT_FALSE(o.setFromAssignment(u"CancelTimeout=0"));
    EXPECT_EQ(o.cancelTimeoutMs, 0);
    EXPECT_FALSE(o.setFromAssignment(u"IdleTimeout=-1"));
    EXPECT_FALSE(o.setFromAssignment(u"IdleTimeout=240000"));
    EXPECT_EQ(o.idleTimeoutMs, 240000);
}

TEST(SessionOption, CulturesAndSizes)
{
    SessionOption o;
    EXPECT_FALSE(o.setFromAssignment(u"UICulture=de-DE"));
    EXPECT_EQ(o.uiCulture, u"de-DE"_s);
    EXPECT_FALSE(o.setFromAssignment(u"culture=fr-CA"));
    EXPECT_EQ(o.culture, u"fr-CA"_s);
    EXPECT_FALSE(o.setFromAssignment(u"MaximumReceivedObjectSize=unlimited"));
    EXPECT_FALSE(o.maximumReceivedObjectSize.has_value());
    EXPECT_FALSE(o.setFromAssignment(u"MaximumReceivedDataSizePerCommand=1048576"));
    EXPECT_EQ(o.maximumReceivedDataSizePerCommand, 1048576);
    EXPECT_FALSE(o.setFromAssignment(u"ApplicationArguments=Tenant=42"));
    ASSERT_EQ(o.applicationArguments.size(), 1);
    EXPECT_EQ(o.applicationArguments[0].first, u"Tenant"_s);
    EXPECT_EQ(o.applicationArguments[0].second, u"42"_s);
}

TEST(SessionOption, UnknownNameListsValidNames)
{
    SessionOption o;
    const auto error = o.setFromString(u"SkipEverything", u"true");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, ConfigErrorCode::UnknownOption);
    EXPECT_TRUE(error->detail.contains(u"SkipCACheck"));
    EXPECT_TRUE(error->detail.contains(u"OperationTimeout"));
    EXPECT_EQ(SessionOption::optionNames().size(), 23);
}

TEST(SessionOption, BadValuesAreRefusedAndLeaveTheOptionUnchanged)
{
    SessionOption o;
    const SessionOption before = o;
    const std::pair<const char16_t *, const char16_t *> cases[] = {
        {u"SkipCACheck", u"yes"},          {u"OperationTimeout", u"3m"},   {u"OperationTimeout", u"-5"},
        {u"IdleTimeout", u"1000"},         {u"UICulture", u"not a culture"}, {u"ProxyAccessType", u"Magic"},
        {u"OutputBufferingMode", u"Fast"}, {u"MaximumReceivedObjectSize", u"-1"},
        {u"ApplicationArguments", u"novalue"}, {u"MaxConnectionRetryCount", u"x"},
    };
    for (const auto &[name, value] : cases) {
        const auto error = o.setFromString(QStringView(name), QStringView(value));
        ASSERT_TRUE(error.has_value()) << QString::fromUtf16(name).toStdString();
        EXPECT_EQ(error->code, ConfigErrorCode::InvalidValue);
        EXPECT_TRUE(error->detail.contains(QStringView(value)));
    }
    EXPECT_TRUE(o == before);
    EXPECT_TRUE(o.setFromAssignment(u"NoValueHere").has_value());
}

TEST(SessionOptionProxy, ChannelSettingsFollowProxyAccessType)
{
    Wsman::ConnectionTarget target;
    target.url = QUrl(QStringLiteral("http://host:5985/wsman"));
    Wsman::SessionOption o;
    EXPECT_FALSE(Wsman::ChannelSettings::from(target, o).useSystemProxy); // None: nothing passed, direct
    EXPECT_FALSE(Wsman::ChannelSettings::from(target, o).proxy);
    for (auto type : {Wsman::ProxyAccessType::IEConfig, Wsman::ProxyAccessType::WinHttpConfig, Wsman::ProxyAccessType::AutoDetect}) {
        o.proxyAccessType = type;
        EXPECT_TRUE(Wsman::ChannelSettings::from(target, o).useSystemProxy);
    }
    o.proxyAccessType = Wsman::ProxyAccessType::None;
    o.proxy = QUrl(QStringLiteral("http://proxy.example:3128"));
    o.proxyAuthentication = Wsman::ProxyAuthentication::Digest;
    o.proxyCredentialUserName = QStringLiteral("pu");
    const auto explicitProxy = Wsman::ChannelSettings::from(target, o);
    ASSERT_TRUE(explicitProxy.proxy);
    EXPECT_EQ(explicitProxy.proxy->port(), 3128);
    EXPECT_EQ(explicitProxy.proxyAuthentication, Wsman::ProxyAuthentication::Digest);
    EXPECT_EQ(explicitProxy.proxyUserName, QStringLiteral("pu"));
    o.proxyAccessType = Wsman::ProxyAccessType::NoProxyServer;
    EXPECT_FALSE(Wsman::ChannelSettings::from(target, o).proxy);
    EXPECT_FALSE(Wsman::ChannelSettings::from(target, o).useSystemProxy);
}
