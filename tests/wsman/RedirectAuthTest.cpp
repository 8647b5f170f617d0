// Redirects with connection-bound authentication (dossier 1.12): endpoint A answers the
// authenticated Create with 302 to endpoint B; the client opens a brand-new session on B over new
// connections with authenticators from ClientOptions::redirectAuthenticator (NTLM against
// gss-ntlmssp, Kerberos against a real MIT KDC on loopback, message encryption on plain HTTP),
// and refuses a hop without AllowRedirection, past the redirection count, when the hook says no,
// or from HTTPS down to plain HTTP with Basic. Skips with a message when krb5kdc or gss-ntlmssp
// is missing.
#include "../auth/KdcFixture.h"
#include "ClientHarness.h"
#include "LoopbackServer.h"

#include "HttpTestServer.h"

#include "wsman/NegotiateAuthenticator.h"
#include "wsman/NtlmAuthenticator.h"
#include "wsman/RunspacePoolClient.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;
using ClientHarness::runUntil;
using ClientHarness::Session;
using KerberosTest::KdcFixture;
using TestServer::AuthScheme;
using TestServer::LoopbackServer;
using TestServer::ServerConfig;

namespace {

constexpr char NtlmUser[] = "PSREMOTE.TEST\\user";

bool gssNtlmAvailable()
{
    return !QDir(u"/etc/gss/mech.d"_s).entryList({u"*ntlm*"_s}, QDir::Files).isEmpty();
}

// How many authenticators a factory made and how many are still alive (their Channel keeps them).
struct Census {
    int made = 0;
    int alive = 0;
};

// Forwards everything to the real authenticator and keeps the census.
class CountedAuthenticator final : public Authenticator {
public:
    CountedAuthenticator(std::unique_ptr<Authenticator> inner, std::shared_ptr<Census> census)
        : m_inner(std::move(inner)), m_census(std::move(census))
    {
        ++m_census->made;
        ++m_census->alive;
    }
    ~CountedAuthenticator() override { --m_census->alive; }

    QByteArray scheme() const override { return m_inner->scheme(); }
    bool isSafeOverPlainHttp() const override { return m_inner->isSafeOverPlainHttp(); }
    bool encryptsMessages() const override { return m_inner->encryptsMessages(); }
    bool blocksOnLegs() const override { return m_inner->blocksOnLegs(); }
    bool wantsServerCertificateFirst() const override { return m_inner->wantsServerCertificateFirst(); }
    void reset() override { m_inner->reset(); }
    AuthResult<AuthLeg> begin() override { return m_inner->begin(); }
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override
    {
        return m_inner->continueWith(challenges);
    }
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override { return m_inner->finish(challenges); }
    bool isEstablished() const override { return m_inner->isEstablished(); }
    QByteArray requestAuthorization() const override { return m_inner->requestAuthorization(); }
    AuthResult<bool> setServerCertificate(QByteArrayView certificateDer) override
    {
        return m_inner->setServerCertificate(certificateDer);
    }
    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override
    {
        return m_inner->wrap(plaintext, soapContentType);
    }
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override
    {
        return m_inner->unwrap(body, contentType);
    }

private:
    std::unique_ptr<Authenticator> m_inner;
    std::shared_ptr<Census> m_census;
};

AuthenticatorFactory counted(AuthenticatorFactory inner, const std::shared_ptr<Census> &census)
{
    return [inner = std::move(inner), census]() -> std::unique_ptr<Authenticator> {
        return std::make_unique<CountedAuthenticator>(inner(), census);
    };
}

enum class Mechanism { Ntlm, Kerberos };

class RedirectAuth : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_dir = std::make_unique<QTemporaryDir>();
        QFile file(s_dir->filePath(u"ntlm-users"_s));
        if (file.open(QIODevice::WriteOnly))
            file.write(QByteArrayLiteral("PSREMOTE.TEST:user:") + KerberosTest::UserPassword + '\n');
        file.close();
        s_kdc = std::make_unique<KdcFixture>();
        s_started = s_kdc->start();
    }
    static void TearDownTestSuite()
    {
        s_kdc.reset();
        s_dir.reset();
    }
    void SetUp() override
    {
        if (s_kdc->toolsMissing())
            GTEST_SKIP() << "MIT Kerberos KDC tools are missing (Debian: krb5-kdc krb5-admin-server): "
                         << s_kdc->problem().toStdString();
        if (!gssNtlmAvailable())
            GTEST_SKIP() << "gss-ntlmssp is not installed (Debian package gss-ntlmssp)";
        ASSERT_TRUE(s_started) << "the test realm did not start: " << s_kdc->problem().toStdString();
        ASSERT_TRUE(s_kdc->startKdc()) << s_kdc->problem().toStdString();
        a = endpoint();
        b = endpoint();
        ASSERT_TRUE(a && b);
    }

    static std::unique_ptr<LoopbackServer> endpoint()
    {
        ServerConfig config;
        config.authSchemes = {AuthScheme::Negotiate, AuthScheme::Kerberos};
        config.ntlmUserFile = s_dir->filePath(u"ntlm-users"_s);
        config.keytab = qEnvironmentVariable("KRB5_KTNAME");
        auto server = std::make_unique<LoopbackServer>(std::move(config));
        QString error;
        if (!server->listen(&error)) {
            ADD_FAILURE() << error.toStdString();
            return nullptr;
        }
        return server;
    }

    // A factory for `url`'s host as the CLI builds it: SPN HTTP/localhost (the keytab's; every
    // endpoint here is 127.0.0.1), message encryption on plain HTTP.
    static AuthenticatorFactory factoryFor(Mechanism mechanism, const QUrl &url)
    {
        if (mechanism == Mechanism::Ntlm) {
            NtlmSettings settings;
            settings.userName = QString::fromLatin1(NtlmUser);
            settings.targetSpn = u"HTTP/localhost"_s;
            settings.encryptMessages = url.scheme() == u"http"_s;
            return ntlmAuthenticatorFactory(settings, Secret::fromUtf8(KerberosTest::UserPassword));
        }
        NegotiateSettings settings;
        settings.userName = QString::fromLatin1(KerberosTest::UserPrincipal);
        settings.host = u"localhost"_s;
        settings.port = url.port();
        settings.encryptMessages = url.scheme() == u"http"_s;
        return kerberosAuthenticatorFactory(settings, Secret::fromUtf8(KerberosTest::UserPassword));
    }

    ClientOptions options(Mechanism mechanism)
    {
        ClientOptions o;
        o.connection.connectionUri = a->url().toString();
        o.connection.allowRedirection = true;
        o.sessionOption.uiCulture = u"en-US"_s;
        o.sessionOption.culture = u"en-US"_s;
        o.sessionOption.openTimeoutMs = 20000;
        o.sessionOption.operationTimeoutMs = 20000;
        o.authenticatorFactory = counted(factoryFor(mechanism, a->url()), first);
        o.redirectAuthenticator = [this, mechanism](const QUrl &url) {
            hops.append(url);
            return RedirectAuthentication{counted(factoryFor(mechanism, url), second), {}};
        };
        return o;
    }

    // A redirects the Create to B; the session on B is new from its first byte.
    void expectFreshSessionOnB(Mechanism mechanism)
    {
        a->faults().redirectCount = 1;
        a->faults().redirectLocation = b->url().toString();
        Session s(options(mechanism));
        ASSERT_TRUE(s.open()) << s.why();
        ASSERT_EQ(hops.size(), 1);
        EXPECT_EQ(hops.first(), b->url());
        EXPECT_EQ(s.client->currentUrl(), b->url());
        const QUuid pid = s.run(u"Write-Output moved"_s);
        EXPECT_EQ(s.stateOf(pid), Psrp::PSInvocationState::Completed) << s.why();
        EXPECT_TRUE(s.outputStrings().contains(u"moved"_s));

        // A authenticated the Create (encrypted), then redirected it: no shell there.
        EXPECT_EQ(a->handshakeCount(), 1);
        EXPECT_EQ(a->encryptedRequestCount(), 1);
        EXPECT_EQ(a->shellCount(), 0);
        // B: its own handshakes on its own connections, every SOAP request encrypted.
        EXPECT_GE(b->handshakeCount(), 1);
        EXPECT_EQ(b->shellCount(), 1);
        EXPECT_GT(b->encryptedRequestCount(), 2);
        // The first hop's channels (and their security contexts) are gone; B's come from the hook.
        ASSERT_TRUE(runUntil([&] { return first->alive == 0; }));
        EXPECT_EQ(first->made, 2);
        EXPECT_GE(second->made, 2);
        EXPECT_TRUE(s.close());
    }

    static inline std::unique_ptr<QTemporaryDir> s_dir;
    static inline std::unique_ptr<KdcFixture> s_kdc;
    static inline bool s_started = false;
    std::unique_ptr<LoopbackServer> a;
    std::unique_ptr<LoopbackServer> b;
    std::shared_ptr<Census> first = std::make_shared<Census>();
    std::shared_ptr<Census> second = std::make_shared<Census>();
    QList<QUrl> hops;
};

} // namespace

TEST_F(RedirectAuth, NtlmSessionStartsAfreshOnTheNewHost)
{
    expectFreshSessionOnB(Mechanism::Ntlm);
}

TEST_F(RedirectAuth, KerberosSessionStartsAfreshOnTheNewHost)
{
    expectFreshSessionOnB(Mechanism::Kerberos);
}

TEST_F(RedirectAuth, WithoutAllowRedirectionTheNewLocationIsNamedAndNotContacted)
{
    a->faults().redirectCount = 1;
    a->faults().redirectLocation = b->url().toString();
    ClientOptions o = options(Mechanism::Kerberos);
    o.connection.allowRedirection = false;
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    const ClientError &e = s.failures.first();
    EXPECT_EQ(e.kind, ClientErrorKind::RedirectNotAllowed);
    EXPECT_TRUE(e.detail.contains(b->url().toString())) << e.detail.toStdString();
    ASSERT_TRUE(e.transport.has_value());
    EXPECT_EQ(e.transport->location, b->url());
    EXPECT_TRUE(hops.isEmpty());
    EXPECT_EQ(b->requestCount(), 0);
    EXPECT_EQ(second->made, 0);
}

TEST_F(RedirectAuth, TheRedirectionCountBoundsTheHops)
{
    // A -> B -> A: the second hop exceeds MaximumConnectionRedirectionCount = 1.
    a->faults().redirectCount = 1;
    a->faults().redirectLocation = b->url().toString();
    b->faults().redirectCount = 1;
    b->faults().redirectLocation = a->url().toString();
    ClientOptions o = options(Mechanism::Ntlm);
    o.sessionOption.maximumConnectionRedirectionCount = 1;
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::TooManyRedirects);
    EXPECT_TRUE(s.failures.first().detail.contains(a->url().toString())) << s.failures.first().detail.toStdString();
    EXPECT_EQ(hops.size(), 1); // the refused hop never reached the hook
    EXPECT_EQ(b->handshakeCount(), 1); // B authenticated the first hop from scratch
    EXPECT_EQ(a->handshakeCount(), 1);
    EXPECT_EQ(a->shellCount() + b->shellCount(), 0);
}

TEST_F(RedirectAuth, TheHookRefusesAndNothingReachesTheNewHost)
{
    a->faults().redirectCount = 1;
    a->faults().redirectLocation = b->url().toString();
    ClientOptions o = options(Mechanism::Kerberos);
    o.redirectAuthenticator = [this](const QUrl &url) {
        hops.append(url);
        return RedirectAuthentication{{}, u"it is not in TrustedHosts"_s};
    };
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    const ClientError &e = s.failures.first();
    EXPECT_EQ(e.kind, ClientErrorKind::RedirectNotAllowed);
    EXPECT_TRUE(e.detail.contains(b->url().toString())) << e.detail.toStdString();
    EXPECT_TRUE(e.detail.contains(u"not in TrustedHosts"_s)) << e.detail.toStdString();
    EXPECT_EQ(hops.size(), 1);
    EXPECT_EQ(b->requestCount(), 0);
    EXPECT_EQ(a->shellCount(), 0);
    EXPECT_EQ(second->made, 0);
}

// ---- https -> http: never for a scheme that would not protect the credentials and messages ----

namespace {

class RedirectDowngrade : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        QString diagnostics;
        s_pki = TestSupport::TestPki::generate(&diagnostics);
        s_why = diagnostics;
    }
    static void TearDownTestSuite() { s_pki.reset(); }
    void SetUp() override
    {
        if (!s_pki)
            GTEST_SKIP() << "no test PKI (Debian package openssl): " << s_why.toStdString();
    }
    std::unique_ptr<LoopbackServer> httpsEndpoint()
    {
        ServerConfig config;
        config.https = true;
        config.certificate = s_pki->server;
        config.privateKey = s_pki->serverKey;
        return ClientHarness::startEndpoint(std::move(config));
    }
    ClientOptions httpsOptions(const LoopbackServer &server)
    {
        ClientOptions o = ClientHarness::basicOptions(server.url());
        o.extraCaCertificates = {s_pki->ca};
        o.connection.allowRedirection = true;
        return o;
    }

    static inline std::optional<TestSupport::TestPki> s_pki;
    static inline QString s_why;
};

} // namespace

TEST_F(RedirectDowngrade, BasicIsNeverTakenFromHttpsToPlainHttp)
{
    auto secure = httpsEndpoint();
    auto plain = ClientHarness::startEndpoint();
    ASSERT_TRUE(secure && plain);
    secure->faults().redirectCount = 1;
    secure->faults().redirectLocation = plain->url().toString();
    ClientOptions o = httpsOptions(*secure);
    ASSERT_TRUE(o.sessionOption.noEncryption); // even with the user's NoEncryption=true
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    const ClientError &e = s.failures.first();
    EXPECT_EQ(e.kind, ClientErrorKind::RedirectNotAllowed);
    EXPECT_TRUE(e.detail.contains(plain->url().toString())) << e.detail.toStdString();
    EXPECT_TRUE(e.detail.contains(u"plain HTTP"_s)) << e.detail.toStdString();
    EXPECT_EQ(plain->requestCount(), 0);
}

TEST_F(RedirectDowngrade, HttpsToHttpsIsFollowed)
{
    auto secure = httpsEndpoint();
    auto other = httpsEndpoint();
    ASSERT_TRUE(secure && other);
    secure->faults().redirectCount = 1;
    secure->faults().redirectLocation = other->url().toString();
    Session s(httpsOptions(*secure));
    ASSERT_TRUE(s.open()) << s.why();
    EXPECT_EQ(s.client->currentUrl(), other->url());
    EXPECT_EQ(other->shellCount(), 1);
    EXPECT_TRUE(s.close());
}
