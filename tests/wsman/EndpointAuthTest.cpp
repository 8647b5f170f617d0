// The loopback endpoint's Negotiate/Kerberos side (tests/server GssAcceptor: the system GSSAPI,
// NTLM through gss-ntlmssp with a user file) against the real client stack over loopback
// sockets: Wsman::Channel + NtlmAuthenticator (raw NTLMSSP in Negotiate, WinRM message
// encryption), RunspacePoolClient, and a client on the system GSSAPI for SPNEGO (NTLM) and for
// Kerberos against a real MIT KDC on loopback (tests/auth KdcFixture).
#include "GssAcceptor.h"
#include "../auth/KdcFixture.h"
#include "LoopbackServer.h"

#include "ClientHarness.h"
#include "wsman/Channel.h"
#include "wsman/Envelope.h"
#include "wsman/NtlmAuthenticator.h"
#include "wsman/RunspacePoolClient.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>

using namespace Qt::Literals::StringLiterals;
using namespace TestServer;
using namespace Wsman;
using ClientHarness::enumerateEnvelope;
using ClientHarness::postOne;
using ClientHarness::runUntil;

namespace {

constexpr auto Domain = "EXAMPLE";
constexpr auto User = "alice";
constexpr auto Password = "s3cret";

bool gssNtlmAvailable()
{
    return !QDir(u"/etc/gss/mech.d"_s).entryList({u"*ntlm*"_s}, QDir::Files).isEmpty();
}

#define REQUIRE_GSS_NTLM()                                                                         \
    do {                                                                                           \
        if (!gssNtlmAvailable())                                                                   \
            GTEST_SKIP() << "gss-ntlmssp is not installed (no /etc/gss/mech.d/*ntlm*): the "        \
                            "endpoint cannot accept NTLM through GSSAPI";                           \
    } while (false)

// A client-side Authenticator on the system GSSAPI (initiator), to drive the endpoint with what
// the product's own authenticators do not send yet: SPNEGO-wrapped NTLM and Kerberos, and the
// "Kerberos" HTTP scheme. Credentials: a password for NTLM (gss_acquire_cred_with_password) or
// the default ticket cache. Owns its context and credential.
class GssClient final : public Authenticator {
public:
    GssClient(QByteArray scheme, gss_OID mech, QByteArray user = {}, QByteArray password = {})
        : m_scheme(std::move(scheme)), m_mech(mech), m_user(std::move(user)), m_password(std::move(password))
    {
    }
    ~GssClient() override
    {
        reset();
        OM_uint32 minor = 0;
        if (m_cred != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&minor, &m_cred);
    }

    QByteArray scheme() const override { return m_scheme; }
    bool isSafeOverPlainHttp() const override { return true; }
    bool encryptsMessages() const override { return true; }
    void reset() override
    {
        OM_uint32 minor = 0;
        if (m_context != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &m_context, GSS_C_NO_BUFFER);
        m_complete = false;
        m_mechanism = GssMechanism::Unknown;
    }
    AuthResult<AuthLeg> begin() override
    {
        reset();
        if (!m_user.isEmpty() && m_cred == GSS_C_NO_CREDENTIAL) {
            OM_uint32 minor = 0;
            gss_buffer_desc nameBuffer{size_t(m_user.size()), m_user.data()};
            gss_name_t name = GSS_C_NO_NAME;
            OM_uint32 major = gss_import_name(&minor, &nameBuffer, GSS_C_NT_USER_NAME, &name);
            gss_buffer_desc password{size_t(m_password.size()), m_password.data()};
            gss_OID_set_desc mechs{1, m_mech};
            if (!GSS_ERROR(major))
                major = gss_acquire_cred_with_password(&minor, name, &password, GSS_C_INDEFINITE, &mechs,
                                                       GSS_C_INITIATE, &m_cred, nullptr, nullptr);
            gss_release_name(&minor, &name);
            if (GSS_ERROR(major))
                return AuthError{AuthErrorCode::Rejected, gssStatusText(major, minor)};
        }
        return step({});
    }
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override
    {
        const auto token = challengeToken(challenges, m_scheme);
        if (!token || token->isEmpty() || m_complete)
            return AuthError{AuthErrorCode::Rejected, u"the server refused the context"_s};
        return step(QByteArray::fromBase64(*token));
    }
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override
    {
        if (const auto token = challengeToken(challenges, m_scheme); token && !token->isEmpty() && !m_complete) {
            auto last = step(QByteArray::fromBase64(*token));
            if (!last)
                return last.error();
            m_sawFinalToken = true;
        }
        return m_complete;
    }
    bool isEstablished() const override { return m_complete; }
    QByteArray requestAuthorization() const override { return {}; }
    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override
    {
        return encryption().encrypt(plaintext, soapContentType,
                                    [this](QByteArrayView part) { return gssSeal(m_context, m_mechanism, part); });
    }
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override
    {
        return encryption().decrypt(body, contentType, [this](QByteArrayView header, QByteArrayView data) {
            return gssUnseal(m_context, m_mechanism, header, data);
        });
    }

    GssMechanism mechanism() const { return m_mechanism; }
    bool sawFinalToken() const { return m_sawFinalToken; }

private:
    MessageEncryption encryption() const
    {
        return MessageEncryption(m_scheme == "Kerberos" ? MessageEncryption::KerberosProtocol.toByteArray()
                                                        : MessageEncryption::SpnegoProtocol.toByteArray());
    }
    AuthResult<AuthLeg> step(const QByteArray &input)
    {
        OM_uint32 minor = 0;
        QByteArray target("HTTP@localhost");
        gss_buffer_desc targetBuffer{size_t(target.size()), target.data()};
        gss_name_t targetName = GSS_C_NO_NAME;
        gss_import_name(&minor, &targetBuffer, GSS_C_NT_HOSTBASED_SERVICE, &targetName);
        QByteArray in = input;
        gss_buffer_desc inBuffer{size_t(in.size()), in.data()};
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        gss_OID actual = GSS_C_NO_OID;
        const OM_uint32 major = gss_init_sec_context(
            &minor, m_cred, &m_context, targetName, m_mech,
            GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, 0,
            GSS_C_NO_CHANNEL_BINDINGS, &inBuffer, &actual, &out, nullptr, nullptr);
        gss_release_name(&minor, &targetName);
        const QByteArray token(static_cast<const char *>(out.value), qsizetype(out.length));
        gss_release_buffer(&minor, &out);
        if (GSS_ERROR(major))
            return AuthError{AuthErrorCode::Rejected, gssStatusText(major, minor)};
        if (!(major & GSS_S_CONTINUE_NEEDED)) {
            m_complete = true;
            gss_OID mech = GSS_C_NO_OID;
            gss_inquire_context(&minor, m_context, nullptr, nullptr, nullptr, &mech, nullptr, nullptr, nullptr);
            m_mechanism = gssMechanism(mech);
        }
        return AuthLeg{m_scheme + ' ' + token.toBase64(), m_complete};
    }

    QByteArray m_scheme;
    gss_OID m_mech;
    QByteArray m_user;
    QByteArray m_password;
    gss_cred_id_t m_cred = GSS_C_NO_CREDENTIAL;
    gss_ctx_id_t m_context = GSS_C_NO_CONTEXT;
    GssMechanism m_mechanism = GssMechanism::Unknown;
    bool m_complete = false;
    bool m_sawFinalToken = false;
};

gss_OID_desc SpnegoOid{6, const_cast<char *>("\x2b\x06\x01\x05\x05\x02")};

class EndpointAuth : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_dir = std::make_unique<QTemporaryDir>();
        QFile file(s_dir->filePath(u"ntlm-users"_s));
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(Domain) + ':' + User + ':' + Password + '\n');
    }
    static void TearDownTestSuite() { s_dir.reset(); }

    void SetUp() override { REQUIRE_GSS_NTLM(); }

    ServerConfig negotiateConfig() const
    {
        ServerConfig config;
        config.authSchemes = {AuthScheme::Negotiate, AuthScheme::Kerberos, AuthScheme::Basic};
        config.ntlmUserFile = s_dir->filePath(u"ntlm-users"_s);
        return config;
    }
    bool start(ServerConfig config)
    {
        server = std::make_unique<LoopbackServer>(std::move(config));
        QString error;
        const bool ok = server->listen(&error);
        EXPECT_TRUE(ok) << error.toStdString();
        return ok;
    }
    static std::unique_ptr<Authenticator> ntlm(const QString &user = QString::fromLatin1(Domain) + u'\\' + QString::fromLatin1(User),
                                               const char *password = Password, bool encrypt = true)
    {
        NtlmSettings settings;
        settings.userName = user;
        settings.encryptMessages = encrypt;
        return ntlmAuthenticatorFactory(settings, Secret::fromUtf8(password))();
    }
    ChannelSettings channelSettings() const
    {
        ChannelSettings settings;
        settings.url = server->url();
        settings.openTimeoutMs = 10000;
        settings.operationTimeoutMs = 10000;
        return settings;
    }

    static std::unique_ptr<QTemporaryDir> s_dir;
    std::unique_ptr<LoopbackServer> server;
};

std::unique_ptr<QTemporaryDir> EndpointAuth::s_dir;

} // namespace

TEST_F(EndpointAuth, UnauthenticatedRequestListsEveryOfferedScheme)
{
    ASSERT_TRUE(start(negotiateConfig()));
    QNetworkAccessManager manager;
    QNetworkRequest request(server->url());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/soap+xml;charset=UTF-8"));
    QNetworkReply *reply = manager.post(request, enumerateEnvelope(server->url()));
    ASSERT_TRUE(runUntil([reply] { return reply->isFinished(); }));
    EXPECT_EQ(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 401);
    // Three WWW-Authenticate headers, as Windows sends them; QNetworkReply joins them with ", ".
    EXPECT_EQ(reply->rawHeader("WWW-Authenticate"), QByteArray("Negotiate, Kerberos, Basic realm=\"WSMAN\""));
    EXPECT_EQ(server->handshakeCount(), 0);
    reply->deleteLater();
}

TEST_F(EndpointAuth, NtlmHandshakeThenEncryptedRequestsBothWays)
{
    ASSERT_TRUE(start(negotiateConfig()));
    Channel channel(channelSettings(), ntlm());
    const TransportResult first = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(first.ok()) << first.error().detail.toStdString();
    EXPECT_TRUE(first.response().body.contains("EnumerateResponse"));
    EXPECT_TRUE(first.response().contentType.startsWith("application/soap+xml"));
    EXPECT_TRUE(channel.isAuthenticated());
    // A second request on the same connection reuses the context: no new handshake.
    const TransportResult second = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(second.ok()) << second.error().detail.toStdString();
    EXPECT_EQ(server->handshakeCount(), 1);
    EXPECT_EQ(server->encryptedRequestCount(), 2);
    // Requests: NEGOTIATE leg, AUTHENTICATE leg (both empty bodies), two encrypted envelopes.
    EXPECT_EQ(server->requestCount(), 4);
}

TEST_F(EndpointAuth, FaultsTravelEncryptedToo)
{
    ASSERT_TRUE(start(negotiateConfig()));
    server->faults().faultCount = 1;
    Channel channel(channelSettings(), ntlm());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::HttpStatus);
    EXPECT_EQ(result.error().httpStatus, 500);
    // The Channel could read the fault only by unsealing it.
    EXPECT_TRUE(result.error().body.contains("WSManFault")) << result.error().body.left(200).toStdString();
    EXPECT_EQ(server->encryptedRequestCount(), 1);
}

TEST_F(EndpointAuth, AccountWithoutDomainIsAccepted)
{
    ASSERT_TRUE(start(negotiateConfig()));
    Channel channel(channelSettings(), ntlm(QString::fromLatin1(User)));
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(result.ok()) << result.error().detail.toStdString();
}

TEST_F(EndpointAuth, WrongPasswordIsAnAuthenticationFailure)
{
    ASSERT_TRUE(start(negotiateConfig()));
    Channel channel(channelSettings(), ntlm(QString::fromLatin1(Domain) + u"\\alice"_s, "wrong"));
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed) << result.error().detail.toStdString();
    EXPECT_EQ(server->handshakeCount(), 0);
    EXPECT_EQ(server->encryptedRequestCount(), 0);
}

TEST_F(EndpointAuth, OtherAccountThanConfiguredIsRefused)
{
    ServerConfig config = negotiateConfig();
    config.user = u"bob"_s;
    ASSERT_TRUE(start(config));
    Channel channel(channelSettings(), ntlm());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed);
    EXPECT_EQ(server->handshakeCount(), 0);
}

TEST_F(EndpointAuth, ConfiguredAccountMatchesWithOrWithoutDomain)
{
    ServerConfig config = negotiateConfig();
    config.user = QString::fromLatin1(User);
    ASSERT_TRUE(start(config));
    Channel channel(channelSettings(), ntlm());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    EXPECT_TRUE(result.ok()) << result.error().detail.toStdString();
}

TEST_F(EndpointAuth, PlaintextIsRefusedOnHttpByDefault)
{
    ASSERT_TRUE(start(negotiateConfig()));
    ChannelSettings settings = channelSettings();
    settings.noEncryption = true;
    Channel channel(settings, ntlm(QString::fromLatin1(Domain) + u"\\alice"_s, Password, false));
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::HttpStatus);
    EXPECT_EQ(result.error().httpStatus, 500);
    EXPECT_TRUE(result.error().body.contains("AllowUnencrypted is false"));
    EXPECT_EQ(server->handshakeCount(), 1); // authenticated, then refused for the plaintext
}

TEST_F(EndpointAuth, PlaintextIsServedWhenUnencryptedIsAllowed)
{
    ServerConfig config = negotiateConfig();
    config.allowUnencrypted = true;
    ASSERT_TRUE(start(config));
    ChannelSettings settings = channelSettings();
    settings.noEncryption = true;
    Channel channel(settings, ntlm(QString::fromLatin1(Domain) + u"\\alice"_s, Password, false));
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(result.ok()) << result.error().detail.toStdString();
    EXPECT_TRUE(result.response().body.contains("EnumerateResponse"));
    EXPECT_EQ(server->encryptedRequestCount(), 0);
}

TEST_F(EndpointAuth, ReplacedConnectionMustAuthenticateAgain)
{
    ASSERT_TRUE(start(negotiateConfig()));
    Channel channel(channelSettings(), ntlm());
    ASSERT_TRUE(postOne(channel, enumerateEnvelope(server->url())).ok());
    server->dropConnections();
    // The next request goes out on a new connection without a context: 401, then the Channel
    // authenticates again and resends.
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(result.ok()) << result.error().detail.toStdString();
    EXPECT_EQ(server->handshakeCount(), 2);
    EXPECT_EQ(server->encryptedRequestCount(), 2);
}

TEST_F(EndpointAuth, BasicStillWorksBesideNegotiate)
{
    ServerConfig config = negotiateConfig();
    config.user = u"alice"_s;
    config.password = u"basicpw"_s;
    ASSERT_TRUE(start(config));
    ChannelSettings settings = channelSettings();
    settings.noEncryption = true;
    Channel channel(settings, basicAuthenticatorFactory(u"alice"_s, Secret(u"basicpw"_s))());
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(result.ok()) << result.error().detail.toStdString();
    EXPECT_EQ(server->handshakeCount(), 0);
}

TEST_F(EndpointAuth, RunspacePoolOpensRunsAndClosesOverEncryptedNtlm)
{
    ASSERT_TRUE(start(negotiateConfig()));
    ClientOptions options;
    options.connection.connectionUri = server->url().toString();
    options.sessionOption.uiCulture = u"en-US"_s;
    options.sessionOption.culture = u"en-US"_s;
    NtlmSettings ntlmSettings;
    ntlmSettings.userName = QString::fromLatin1(Domain) + u"\\alice"_s;
    options.authenticatorFactory = ntlmAuthenticatorFactory(ntlmSettings, Secret::fromUtf8(Password));
    ClientHarness::Session s(std::move(options));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.run(u"1..3"_s);
    ASSERT_FALSE(pid.isNull()) << s.why();
    EXPECT_EQ(s.stateOf(pid), Psrp::PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"1"_s, u"2"_s, u"3"_s}));
    ASSERT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_EQ(server->shellCount(), 0);
    EXPECT_GE(server->handshakeCount(), 1);
    // Every SOAP request was encrypted: requests = handshake legs (2 per handshake) + encrypted ones.
    EXPECT_EQ(server->requestCount(), server->encryptedRequestCount() + 2 * server->handshakeCount());
}

TEST_F(EndpointAuth, SpnegoWrappedNtlmFromTheSystemGssapi)
{
    ASSERT_TRUE(start(negotiateConfig()));
    auto client = std::make_unique<GssClient>("Negotiate", &SpnegoOid, QByteArray(User) + '@' + Domain, QByteArray(Password));
    GssClient *gss = client.get();
    Channel channel(channelSettings(), std::move(client));
    const TransportResult first = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(first.ok()) << first.error().detail.toStdString();
    EXPECT_TRUE(first.response().body.contains("EnumerateResponse"));
    EXPECT_EQ(gss->mechanism(), GssMechanism::Ntlm);
    // SPNEGO's accept-complete (with mechListMIC) rides on the final 200 and was consumed.
    EXPECT_TRUE(gss->sawFinalToken());
    const TransportResult second = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(second.ok()) << second.error().detail.toStdString();
    EXPECT_EQ(server->handshakeCount(), 1);
    EXPECT_EQ(server->encryptedRequestCount(), 2);
}

namespace {

// One realm and KDC for the suite (tests/auth/KdcFixture: KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME
// point into its temp dir while it lives); the user's ticket comes from kinit.
class EndpointKerberos : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_kdc = std::make_unique<KerberosTest::KdcFixture>();
        s_ready = s_kdc->start() && s_kdc->kinit(KerberosTest::UserPassword);
    }
    static void TearDownTestSuite() { s_kdc.reset(); }
    void SetUp() override
    {
        if (s_kdc->toolsMissing())
            GTEST_SKIP() << "MIT Kerberos KDC tools are missing: " << s_kdc->problem().toStdString();
        ASSERT_TRUE(s_ready) << "the test realm did not start: " << s_kdc->problem().toStdString();
        ServerConfig config;
        config.authSchemes = {AuthScheme::Negotiate, AuthScheme::Kerberos};
        server = std::make_unique<LoopbackServer>(config);
        QString error;
        ASSERT_TRUE(server->listen(&error)) << error.toStdString();
    }
    ChannelSettings channelSettings() const
    {
        ChannelSettings settings;
        settings.url = server->url();
        return settings;
    }

    static inline std::unique_ptr<KerberosTest::KdcFixture> s_kdc;
    static inline bool s_ready = false;
    std::unique_ptr<LoopbackServer> server;
};

} // namespace

TEST_F(EndpointKerberos, KerberosSchemeWithTicketCacheEncryptsWithWrapIov)
{
    auto client = std::make_unique<GssClient>("Kerberos", gss_mech_krb5);
    GssClient *gss = client.get();
    Channel channel(channelSettings(), std::move(client));
    for (int i = 0; i < 2; ++i) {
        const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
        ASSERT_TRUE(result.ok()) << result.error().detail.toStdString();
        EXPECT_TRUE(result.response().body.contains("EnumerateResponse"));
    }
    EXPECT_EQ(gss->mechanism(), GssMechanism::Kerberos);
    EXPECT_TRUE(gss->sawFinalToken()); // the AP-REP of mutual authentication on the 200
    EXPECT_EQ(server->handshakeCount(), 1);
    EXPECT_EQ(server->encryptedRequestCount(), 2);
    EXPECT_EQ(server->requestCount(), 3); // one leg (AP-REQ), two encrypted envelopes
}

TEST_F(EndpointKerberos, NegotiatePrefersKerberosInsideSpnego)
{
    auto client = std::make_unique<GssClient>("Negotiate", &SpnegoOid);
    GssClient *gss = client.get();
    Channel channel(channelSettings(), std::move(client));
    const TransportResult result = postOne(channel, enumerateEnvelope(server->url()));
    ASSERT_TRUE(result.ok()) << result.error().detail.toStdString();
    EXPECT_EQ(gss->mechanism(), GssMechanism::Kerberos);
    EXPECT_EQ(server->encryptedRequestCount(), 1);
}

TEST_F(EndpointKerberos, ConfiguredAccountIsComparedWithThePrincipal)
{
    ServerConfig config;
    config.authSchemes = {AuthScheme::Kerberos};
    config.user = u"someoneelse"_s;
    LoopbackServer strict(config);
    QString error;
    ASSERT_TRUE(strict.listen(&error)) << error.toStdString();
    ChannelSettings settings;
    settings.url = strict.url();
    Channel channel(settings, std::make_unique<GssClient>("Kerberos", gss_mech_krb5));
    const TransportResult result = postOne(channel, enumerateEnvelope(strict.url()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed);
    EXPECT_EQ(strict.handshakeCount(), 0);
}
