#include "wsman/AuthenticatorFactories.h"

#include <QUrl>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using Wsman::AuthenticationMechanism;

namespace {

Wsman::ConnectionInfo connectionTo(const QString &uri, AuthenticationMechanism mechanism)
{
    Wsman::ConnectionInfo c;
    c.connectionUri = uri;
    c.allowRedirection = true;
    c.authentication = mechanism;
    c.userName = Wsman::UserName::parse(u"CONTOSO\\alice").value();
    return c;
}

} // namespace

TEST(AuthenticatorFactories, PasswordNeedFollowsTheMechanism)
{
    Wsman::ConnectionInfo c = connectionTo(u"http://a/wsman"_s, AuthenticationMechanism::Default);
    EXPECT_TRUE(Wsman::authenticationNeedsPassword(c));
    c.authentication = AuthenticationMechanism::NegotiateWithImplicitCredential;
    EXPECT_FALSE(Wsman::authenticationNeedsPassword(c));
    c.authentication = AuthenticationMechanism::Kerberos;
    EXPECT_TRUE(Wsman::authenticationNeedsPassword(c));
    c.userName.reset();
    EXPECT_FALSE(Wsman::authenticationNeedsPassword(c)); // the ticket cache
    c.authentication = AuthenticationMechanism::Basic;
    c.certificateThumbprint = u"0123456789ABCDEF0123456789ABCDEF01234567"_s;
    EXPECT_FALSE(Wsman::authenticationNeedsPassword(c));
}

TEST(AuthenticatorFactories, EveryMechanismGivesAnAuthenticator)
{
    for (AuthenticationMechanism m :
         {AuthenticationMechanism::Default, AuthenticationMechanism::Basic, AuthenticationMechanism::Negotiate,
          AuthenticationMechanism::NegotiateWithImplicitCredential, AuthenticationMechanism::Ntlm,
          AuthenticationMechanism::Kerberos, AuthenticationMechanism::CredSsp, AuthenticationMechanism::Digest}) {
        const Wsman::ConnectionInfo c = connectionTo(u"https://server.contoso.com:5986/wsman"_s, m);
        const Wsman::AuthenticatorFactory factory =
            Wsman::authenticatorFactoryFor(c, c.resolve().value(), Wsman::SessionOption(), Wsman::Secret(u"pw"));
        ASSERT_TRUE(bool(factory)) << Wsman::authenticationMechanismName(m).toStdString();
        EXPECT_NE(factory(), nullptr) << Wsman::authenticationMechanismName(m).toStdString();
    }
}

TEST(AuthenticatorFactories, RedirectHopsNeedingConsentAreRefused)
{
    const Wsman::ConnectionInfo ntlm = connectionTo(u"https://a.contoso.com/wsman"_s, AuthenticationMechanism::Ntlm);
    const auto hook = Wsman::redirectAuthenticatorFor(ntlm, Wsman::SessionOption(), Wsman::TrustedHosts::fromString(u"*.lab"),
                                                      Wsman::Secret(u"pw"));
    // HTTPS authenticates the server: no consent needed.
    Wsman::RedirectAuthentication https = hook(QUrl(u"https://b.contoso.com:5986/wsman"_s));
    EXPECT_TRUE(bool(https.factory));
    EXPECT_TRUE(https.refusal.isEmpty());
    // Plain HTTP to a host outside TrustedHosts: refused, naming the host and no secret.
    Wsman::RedirectAuthentication untrusted = hook(QUrl(u"http://c.contoso.com/wsman"_s));
    EXPECT_FALSE(bool(untrusted.factory));
    EXPECT_TRUE(untrusted.refusal.contains(u"c.contoso.com"_s));
    EXPECT_FALSE(untrusted.refusal.contains(u"pw"_s));
    // Plain HTTP to a trusted host is fine.
    EXPECT_TRUE(bool(hook(QUrl(u"http://d.lab/wsman"_s)).factory));
    // CredSSP never follows a redirect: the password would go to a host the user did not name.
    const Wsman::ConnectionInfo credssp = connectionTo(u"https://a.contoso.com/wsman"_s, AuthenticationMechanism::CredSsp);
    const auto credsspHook =
        Wsman::redirectAuthenticatorFor(credssp, Wsman::SessionOption(), Wsman::TrustedHosts::fromString(u"*"), Wsman::Secret(u"pw"));
    Wsman::RedirectAuthentication delegated = credsspHook(QUrl(u"https://b.contoso.com/wsman"_s));
    EXPECT_FALSE(bool(delegated.factory));
    EXPECT_TRUE(delegated.refusal.contains(u"CredSSP"_s));
}
