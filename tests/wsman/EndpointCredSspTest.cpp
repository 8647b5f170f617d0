// The loopback endpoint's CredSSP acceptor (tests/server/CredSspAcceptor: PSRemote's own test
// code, OpenSSL TLS + gss-ntlmssp) driven by a minimal CredSSP initiator written here (OpenSSL
// TLS client, the system GSSAPI's NTLM initiator, the auth/CredSsp.h codec): in memory against
// CredSspAcceptor, and as a Wsman::Authenticator through Channel and RunspacePoolClient against
// the endpoint over loopback sockets.
#include "CredSspAcceptor.h"
#include "GssAcceptor.h"
#include "LoopbackServer.h"
#include "../auth/KdcFixture.h"

#include "auth/CredSsp.h"
#include "ClientHarness.h"
#include "wsman/Channel.h"
#include "wsman/CredSspAuthenticator.h"
#include "wsman/Envelope.h"
#include "wsman/MessageEncryption.h"
#include "wsman/RunspacePoolClient.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>

using namespace Qt::Literals::StringLiterals;
using namespace TestServer;
using namespace Wsman;
using ClientHarness::enumerateEnvelope;
using ClientHarness::postOne;
using ClientHarness::runUntil;
namespace Cssp = Auth::CredSsp;

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
                            "CredSSP acceptor's inner NTLM needs it";                               \
    } while (false)

gss_OID_desc NtlmOid{10, const_cast<char *>("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")};

QByteArray drain(BIO *bio)
{
    QByteArray out;
    char buffer[16384];
    int n = 0;
    while ((n = BIO_read(bio, buffer, int(sizeof buffer))) > 0)
        out.append(buffer, n);
    return out;
}

// What the minimal initiator does, and what it may do wrong on purpose.
struct MiniOptions {
    QByteArray gssUser = QByteArray(Domain) + '\\' + User;
    QByteArray gssPassword = Password;
    QString delegatedDomain = QString::fromLatin1(Domain);
    QString delegatedUser = QString::fromLatin1(User);
    QString delegatedPassword = QString::fromLatin1(Password);
    int version = Cssp::HighestVersion;
    int maxTls = TLS1_3_VERSION;
    bool tamperPubKeyAuth = false;
};

// A minimal CredSSP initiator (MS-CSSP 3.1.5) for the tests: OpenSSL TLS client on memory BIOs,
// raw NTLM from gss-ntlmssp as the inner context. Owns its SSL and GSSAPI objects.
class MiniCredSspClient {
public:
    explicit MiniCredSspClient(MiniOptions options) : m_options(std::move(options))
    {
        m_context = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_min_proto_version(m_context, TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(m_context, m_options.maxTls);
        SSL_CTX_set_verify(m_context, SSL_VERIFY_NONE, nullptr);
        m_ssl = SSL_new(m_context);
        SSL_set_bio(m_ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
        SSL_set_connect_state(m_ssl);
    }
    ~MiniCredSspClient()
    {
        OM_uint32 minor = 0;
        if (m_gss != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &m_gss, GSS_C_NO_BUFFER);
        if (m_cred != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&minor, &m_cred);
        SSL_free(m_ssl);
        SSL_CTX_free(m_context);
    }
    MiniCredSspClient(const MiniCredSspClient &) = delete;
    MiniCredSspClient &operator=(const MiniCredSspClient &) = delete;

    // The server's records in (empty at first), the next records out; nullopt on failure.
    std::optional<QByteArray> step(const QByteArray &input)
    {
        if (!input.isEmpty())
            BIO_write(SSL_get_rbio(m_ssl), input.constData(), int(input.size()));
        if (m_stage == Stage::Handshake) {
            const int rc = SSL_do_handshake(m_ssl);
            if (rc != 1) {
                if (SSL_get_error(m_ssl, rc) != SSL_ERROR_WANT_READ)
                    return fail(u"TLS handshake failed"_s);
                return drain(SSL_get_wbio(m_ssl));
            }
            X509 *peer = SSL_get1_peer_certificate(m_ssl);
            unsigned char *der = nullptr;
            const int length = i2d_X509(peer, &der);
            X509_free(peer);
            auto key = Cssp::subjectPublicKey(QByteArrayView(reinterpret_cast<const char *>(der), length));
            OPENSSL_free(der);
            if (!key)
                return fail(key.error().detail);
            m_serverKey = key.value();
            m_stage = Stage::Negotiate;
            auto token = gssStep({});
            if (!token)
                return std::nullopt;
            Cssp::TsRequest request;
            request.version = m_options.version;
            request.negoTokens.append(*token);
            return send(request);
        }
        auto request = receive();
        if (!request)
            return std::nullopt;
        if (m_stage == Stage::Negotiate) {
            if (request->negoTokens.size() != 1)
                return fail(u"no negoToken from the server"_s);
            auto token = gssStep(request->negoTokens.first());
            if (!token)
                return std::nullopt;
            Cssp::TsRequest answer;
            answer.version = m_options.version;
            answer.negoTokens.append(*token);
            if (m_gssComplete) {
                // MS-CSSP 3.1.5: NTLM's last token travels with pubKeyAuth.
                QByteArray proof = m_serverKey;
                if (m_options.version >= 5) {
                    m_nonce = QByteArray(Cssp::NonceSize, '\0');
                    RAND_bytes(reinterpret_cast<unsigned char *>(m_nonce.data()), int(m_nonce.size()));
                    proof = Cssp::clientToServerHash(m_nonce, m_serverKey).value();
                    answer.clientNonce = m_nonce;
                }
                if (m_options.tamperPubKeyAuth)
                    proof[3] = char(proof[3] ^ 0x01);
                answer.pubKeyAuth = wrap(proof);
                m_stage = Stage::PubKeyAuth;
            }
            return send(answer);
        }
        if (m_stage == Stage::PubKeyAuth) {
            if (!request->pubKeyAuth)
                return fail(u"no server pubKeyAuth"_s);
            const QByteArray proof = unwrap(*request->pubKeyAuth);
            const QByteArray expected = m_options.version >= 5 ? Cssp::serverToClientHash(m_nonce, m_serverKey).value()
                                                               : Cssp::incrementFirstByte(m_serverKey);
            if (proof != expected)
                return fail(u"possible man in the middle: the server's pubKeyAuth does not match"_s);
            m_serverProofChecked = true;
            Cssp::TsPasswordCreds creds{Cssp::utf16le(m_options.delegatedDomain), Cssp::utf16le(m_options.delegatedUser),
                                        Cssp::utf16le(m_options.delegatedPassword)};
            Cssp::TsCredentials credentials{Cssp::PasswordCredType, Cssp::encodeTsPasswordCreds(creds)};
            Cssp::TsRequest answer;
            answer.version = m_options.version;
            answer.authInfo = wrap(Cssp::encodeTsCredentials(credentials));
            m_stage = Stage::Done;
            return send(answer);
        }
        return fail(u"a server token after the credentials"_s);
    }

    bool isDone() const { return m_stage == Stage::Done; }
    bool serverProofChecked() const { return m_serverProofChecked; }
    std::optional<quint32> errorCode() const { return m_errorCode; }
    const QString &error() const { return m_error; }
    QString tlsProtocol() const { return QString::fromLatin1(SSL_get_version(m_ssl)); }
    const QByteArray &serverKey() const { return m_serverKey; }

    // Dossier 4.5, as the acceptor seals: header = the first trailer-length bytes.
    AuthResult<SealedPart> seal(QByteArrayView plaintext)
    {
        SSL_write(m_ssl, plaintext.data(), int(plaintext.size()));
        const QByteArray records = drain(SSL_get_wbio(m_ssl));
        const qsizetype trailer = SSL_version(m_ssl) == TLS1_3_VERSION ? 17 : 16;
        return SealedPart{records.first(trailer), records.sliced(trailer)};
    }
    AuthResult<QByteArray> unseal(QByteArrayView header, QByteArrayView data)
    {
        BIO_write(SSL_get_rbio(m_ssl), header.data(), int(header.size()));
        BIO_write(SSL_get_rbio(m_ssl), data.data(), int(data.size()));
        const QByteArray plain = readApplicationData();
        if (plain.isEmpty())
            return AuthError{AuthErrorCode::CryptoFailure, u"nothing decrypted"_s};
        return plain;
    }

private:
    enum class Stage { Handshake, Negotiate, PubKeyAuth, Done, Failed };

    std::nullopt_t fail(const QString &why)
    {
        m_stage = Stage::Failed;
        m_error = why;
        return std::nullopt;
    }
    QByteArray send(const Cssp::TsRequest &request)
    {
        const QByteArray der = Cssp::encodeTsRequest(request);
        SSL_write(m_ssl, der.constData(), int(der.size()));
        return drain(SSL_get_wbio(m_ssl));
    }
    QByteArray readApplicationData()
    {
        QByteArray plain;
        char buffer[16384];
        int n = 0;
        while ((n = SSL_read(m_ssl, buffer, int(sizeof buffer))) > 0)
            plain.append(buffer, n);
        return plain;
    }
    std::optional<Cssp::TsRequest> receive()
    {
        auto request = Cssp::decodeTsRequest(readApplicationData());
        if (!request)
            return fail(u"server TSRequest: "_s + request.error().detail);
        if (request->errorCode) {
            m_errorCode = request->errorCode;
            return fail(u"the server answered errorCode 0x%1"_s.arg(*request->errorCode, 8, 16, QChar(u'0')));
        }
        return request.value();
    }
    std::optional<QByteArray> gssStep(const QByteArray &input)
    {
        OM_uint32 minor = 0;
        if (m_cred == GSS_C_NO_CREDENTIAL) {
            gss_buffer_desc nameBuffer{size_t(m_options.gssUser.size()), m_options.gssUser.data()};
            gss_name_t name = GSS_C_NO_NAME;
            OM_uint32 major = gss_import_name(&minor, &nameBuffer, GSS_C_NT_USER_NAME, &name);
            gss_buffer_desc password{size_t(m_options.gssPassword.size()), m_options.gssPassword.data()};
            gss_OID_set_desc mechs{1, &NtlmOid};
            if (!GSS_ERROR(major))
                major = gss_acquire_cred_with_password(&minor, name, &password, GSS_C_INDEFINITE, &mechs,
                                                       GSS_C_INITIATE, &m_cred, nullptr, nullptr);
            gss_release_name(&minor, &name);
            if (GSS_ERROR(major))
                return fail(u"gss_acquire_cred_with_password: "_s + gssStatusText(major, minor));
        }
        QByteArray target("HTTP@localhost");
        gss_buffer_desc targetBuffer{size_t(target.size()), target.data()};
        gss_name_t targetName = GSS_C_NO_NAME;
        gss_import_name(&minor, &targetBuffer, GSS_C_NT_HOSTBASED_SERVICE, &targetName);
        QByteArray in = input;
        gss_buffer_desc inBuffer{size_t(in.size()), in.data()};
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        const OM_uint32 major = gss_init_sec_context(
            &minor, m_cred, &m_gss, targetName, &NtlmOid,
            GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
            &inBuffer, nullptr, &out, nullptr, nullptr);
        gss_release_name(&minor, &targetName);
        const QByteArray token(static_cast<const char *>(out.value), qsizetype(out.length));
        gss_release_buffer(&minor, &out);
        if (GSS_ERROR(major))
            return fail(u"gss_init_sec_context: "_s + gssStatusText(major, minor));
        m_gssComplete = !(major & GSS_S_CONTINUE_NEEDED);
        return token;
    }
    QByteArray wrap(const QByteArray &plaintext)
    {
        const auto sealed = gssSeal(m_gss, GssMechanism::Ntlm, plaintext);
        return sealed ? sealed.value().header + sealed.value().data : QByteArray();
    }
    QByteArray unwrap(const QByteArray &token)
    {
        if (token.size() <= 16)
            return {};
        const auto plain = gssUnseal(m_gss, GssMechanism::Ntlm, token.first(16), token.sliced(16));
        return plain ? plain.value() : QByteArray();
    }

    MiniOptions m_options;
    SSL_CTX *m_context = nullptr;
    SSL *m_ssl = nullptr;
    gss_cred_id_t m_cred = GSS_C_NO_CREDENTIAL;
    gss_ctx_id_t m_gss = GSS_C_NO_CONTEXT;
    bool m_gssComplete = false;
    bool m_serverProofChecked = false;
    Stage m_stage = Stage::Handshake;
    QByteArray m_serverKey;
    QByteArray m_nonce;
    std::optional<quint32> m_errorCode;
    QString m_error;
};

// MiniCredSspClient as the Channel's authenticator ("Authorization: CredSSP", CredSSP message
// encryption with 16 KiB parts). Owns its client; the test keeps a raw pointer to inspect it.
class MiniCredSspAuthenticator final : public Authenticator {
public:
    explicit MiniCredSspAuthenticator(MiniOptions options, std::shared_ptr<QList<QByteArray>> seen = {})
        : m_options(std::move(options)), m_seen(std::move(seen))
    {
    }

    QByteArray scheme() const override { return "CredSSP"; }
    bool isSafeOverPlainHttp() const override { return true; }
    bool encryptsMessages() const override { return true; }
    void reset() override { m_client = std::make_unique<MiniCredSspClient>(m_options); }
    AuthResult<AuthLeg> begin() override
    {
        reset();
        return leg({});
    }
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override
    {
        const auto token = challengeToken(challenges, "CredSSP");
        if (!token || token->isEmpty())
            return AuthError{AuthErrorCode::Rejected, u"the server refused CredSSP"_s};
        return leg(QByteArray::fromBase64(*token));
    }
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override
    {
        if (const auto token = challengeToken(challenges, "CredSSP"); token && !token->isEmpty())
            return AuthError{AuthErrorCode::InvalidToken, u"a CredSSP token on the final 200"_s};
        return m_client && m_client->isDone();
    }
    bool isEstablished() const override { return m_client && m_client->isDone(); }
    QByteArray requestAuthorization() const override { return {}; }
    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override
    {
        return encryption().encrypt(
            plaintext, soapContentType, [this](QByteArrayView part) { return m_client->seal(part); },
            CredSspAcceptor::MaxPartSize);
    }
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override
    {
        lastResponseContentType = contentType;
        if (m_seen)
            m_seen->append(contentType);
        return encryption().decrypt(body, contentType, [this](QByteArrayView header, QByteArrayView data) {
            return m_client->unseal(header, data);
        });
    }

    MiniCredSspClient *client() const { return m_client.get(); }
    QByteArray lastResponseContentType;
    std::optional<quint32> lastErrorCode; // a server TSRequest.errorCode (kept across reset())

private:
    static MessageEncryption encryption()
    {
        return MessageEncryption(MessageEncryption::CredSspProtocol.toByteArray());
    }
    AuthResult<AuthLeg> leg(const QByteArray &input)
    {
        const auto out = m_client->step(input);
        if (!out) {
            lastErrorCode = m_client->errorCode();
            return AuthError{AuthErrorCode::Rejected, m_client->error()};
        }
        return AuthLeg{"CredSSP " + out->toBase64(), m_client->isDone()};
    }

    MiniOptions m_options;
    std::shared_ptr<QList<QByteArray>> m_seen; // every response Content-Type unwrapped
    std::unique_ptr<MiniCredSspClient> m_client;
};

class CredSspFixture : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_dir = std::make_unique<QTemporaryDir>();
        QFile file(s_dir->filePath(u"ntlm-users"_s));
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(Domain) + ':' + User + ':' + Password + '\n');
        file.close();
        qputenv("NTLM_USER_FILE", QFile::encodeName(s_dir->filePath(u"ntlm-users"_s)));
    }
    static void TearDownTestSuite() { s_dir.reset(); }
    void SetUp() override { REQUIRE_GSS_NTLM(); }

    static QString userFile() { return s_dir->filePath(u"ntlm-users"_s); }
    static CredSspAcceptor::Settings acceptorSettings()
    {
        CredSspAcceptor::Settings settings;
        auto identity = CredSspTlsIdentity::shared();
        EXPECT_TRUE(identity.ok());
        if (identity)
            settings.identity = identity.value();
        settings.accounts = readNtlmUserFile(userFile());
        return settings;
    }

    static inline std::unique_ptr<QTemporaryDir> s_dir;
};

// Runs the legs in memory until either side stops; the acceptor's last result.
CredSspAcceptor::Result handshake(MiniCredSspClient &client, CredSspAcceptor &acceptor, int *legs = nullptr)
{
    CredSspAcceptor::Result result;
    std::optional<QByteArray> out = client.step({});
    int count = 0;
    while (out && count < 10) {
        ++count;
        result = acceptor.accept(*out);
        if (result.step != CredSspAcceptor::Step::Continue) {
            if (result.step == CredSspAcceptor::Step::Failed && !result.token.isEmpty())
                client.step(result.token); // reads the errorCode
            break;
        }
        out = client.step(result.token);
    }
    if (legs)
        *legs = count;
    return result;
}

} // namespace

using CredSspAcceptorTest = CredSspFixture;

TEST_F(CredSspAcceptorTest, Tls13Version6DelegatesTheAccountAndSealsBothWays)
{
    CredSspAcceptor acceptor(acceptorSettings());
    MiniCredSspClient client{MiniOptions{}};
    int legs = 0;
    const auto result = handshake(client, acceptor, &legs);
    ASSERT_EQ(result.step, CredSspAcceptor::Step::Complete) << result.error.toStdString() << client.error().toStdString();
    EXPECT_TRUE(client.isDone());
    EXPECT_TRUE(client.serverProofChecked());
    EXPECT_TRUE(result.token.isEmpty());
    // ClientHello; Finished + NEGOTIATE; AUTHENTICATE + pubKeyAuth; authInfo.
    EXPECT_EQ(legs, 4);
    EXPECT_EQ(acceptor.tlsProtocol(), u"TLSv1.3"_s);
    EXPECT_EQ(acceptor.clientVersion(), 6);
    EXPECT_EQ(acceptor.peerName().section(u'\\', -1), u"alice"_s);
    EXPECT_EQ(acceptor.delegatedUser(), u"EXAMPLE\\alice"_s);

    const QByteArray request(40000, 'q');
    QByteArray received;
    for (qsizetype at = 0; at < request.size(); at += CredSspAcceptor::MaxPartSize) {
        auto sealed = client.seal(QByteArrayView(request).sliced(at, qMin(CredSspAcceptor::MaxPartSize, request.size() - at)));
        ASSERT_TRUE(sealed.ok());
        EXPECT_EQ(sealed.value().header.size(), 17);
        auto plain = acceptor.unseal(sealed.value().header, sealed.value().data);
        ASSERT_TRUE(plain.ok()) << plain.error().detail.toStdString();
        received += plain.value();
    }
    EXPECT_EQ(received, request);
    auto answer = acceptor.seal("the answer");
    ASSERT_TRUE(answer.ok()) << answer.error().detail.toStdString();
    EXPECT_EQ(answer.value().header.size(), 17); // dossier 4.5: TLS 1.3 trailer
    EXPECT_FALSE(answer.value().data.contains("the answer"));
    auto back = client.unseal(answer.value().header, answer.value().data);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back.value(), QByteArray("the answer"));
    EXPECT_FALSE(acceptor.seal(QByteArray(CredSspAcceptor::MaxPartSize + 1, 'x')).ok());
}

TEST_F(CredSspAcceptorTest, Tls12Version4ProvesTheRawKey)
{
    CredSspAcceptor acceptor(acceptorSettings());
    MiniOptions options;
    options.version = 4;
    options.maxTls = TLS1_2_VERSION;
    MiniCredSspClient client{options};
    const auto result = handshake(client, acceptor);
    ASSERT_EQ(result.step, CredSspAcceptor::Step::Complete) << result.error.toStdString() << client.error().toStdString();
    EXPECT_TRUE(client.serverProofChecked()); // the key with its first byte + 1
    EXPECT_EQ(acceptor.tlsProtocol(), u"TLSv1.2"_s);
    EXPECT_EQ(acceptor.clientVersion(), 4);
    auto sealed = acceptor.seal("abc");
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed.value().header.size(), 16); // AES-GCM tag
}

TEST_F(CredSspAcceptorTest, WrongNtlmPasswordIsAnsweredWithLogonFailure)
{
    CredSspAcceptor acceptor(acceptorSettings());
    MiniOptions options;
    options.gssPassword = "wrong";
    MiniCredSspClient client{options};
    const auto result = handshake(client, acceptor);
    ASSERT_EQ(result.step, CredSspAcceptor::Step::Failed);
    EXPECT_FALSE(result.token.isEmpty());
    EXPECT_EQ(client.errorCode(), std::optional<quint32>(0xC000006D)) << client.error().toStdString();
    EXPECT_FALSE(acceptor.isComplete());
}

TEST_F(CredSspAcceptorTest, PubKeyAuthForAnotherKeyIsRefused)
{
    CredSspAcceptor acceptor(acceptorSettings());
    MiniOptions options;
    options.tamperPubKeyAuth = true;
    MiniCredSspClient client{options};
    const auto result = handshake(client, acceptor);
    ASSERT_EQ(result.step, CredSspAcceptor::Step::Failed);
    EXPECT_TRUE(result.error.contains(u"pubKeyAuth"_s)) << result.error.toStdString();
    EXPECT_EQ(client.errorCode(), std::optional<quint32>(0xC000006D));
    EXPECT_FALSE(client.serverProofChecked());
}

TEST_F(CredSspAcceptorTest, DelegatedPasswordMustBeTheAccountsOne)
{
    CredSspAcceptor acceptor(acceptorSettings());
    MiniOptions options;
    options.delegatedPassword = u"not-the-password"_s;
    MiniCredSspClient client{options};
    const auto result = handshake(client, acceptor);
    ASSERT_EQ(result.step, CredSspAcceptor::Step::Failed);
    EXPECT_TRUE(client.serverProofChecked()); // failed only at authInfo
    EXPECT_TRUE(result.error.contains(u"password"_s)) << result.error.toStdString();
    EXPECT_FALSE(result.token.isEmpty()); // the errorCode answer
}

TEST_F(CredSspAcceptorTest, DelegatedAccountMustBeTheAuthenticatedOne)
{
    CredSspAcceptor acceptor(acceptorSettings());
    MiniOptions options;
    options.delegatedUser = u"bob"_s;
    MiniCredSspClient client{options};
    const auto result = handshake(client, acceptor);
    ASSERT_EQ(result.step, CredSspAcceptor::Step::Failed);
    EXPECT_TRUE(result.error.contains(u"bob"_s)) << result.error.toStdString();
}

TEST_F(CredSspAcceptorTest, ConfiguredAccountCheckApplies)
{
    auto settings = acceptorSettings();
    settings.peerAllowed = [](const QString &peer) { return peer.endsWith(u"\\bob"_s); };
    CredSspAcceptor acceptor(std::move(settings));
    MiniCredSspClient client{MiniOptions{}};
    EXPECT_EQ(handshake(client, acceptor).step, CredSspAcceptor::Step::Failed);
}

TEST_F(CredSspAcceptorTest, VersionBelowTheMinimumIsRefused)
{
    auto settings = acceptorSettings();
    settings.minimumVersion = 5;
    CredSspAcceptor acceptor(std::move(settings));
    MiniOptions options;
    options.version = 3;
    MiniCredSspClient client{options};
    const auto result = handshake(client, acceptor);
    ASSERT_EQ(result.step, CredSspAcceptor::Step::Failed);
    EXPECT_EQ(client.errorCode(), std::optional<quint32>(CredSspAcceptor::StatusNotSupported));
}

TEST_F(CredSspAcceptorTest, GarbageAndMisuseFailWithoutCrashing)
{
    CredSspAcceptor garbage(acceptorSettings());
    EXPECT_EQ(garbage.accept(QByteArray(300, '\x16')).step, CredSspAcceptor::Step::Failed);
    EXPECT_EQ(garbage.accept("\x16\x03\x01").step, CredSspAcceptor::Step::Failed); // failed for good
    CredSspAcceptor empty(acceptorSettings());
    EXPECT_EQ(empty.accept({}).step, CredSspAcceptor::Step::Failed);
    CredSspAcceptor early(acceptorSettings());
    EXPECT_FALSE(early.seal("x").ok());
    EXPECT_FALSE(early.unseal("x", "y").ok());
    CredSspAcceptor noIdentity(CredSspAcceptor::Settings{});
    EXPECT_EQ(noIdentity.accept("x").step, CredSspAcceptor::Step::Failed);
}

TEST_F(CredSspAcceptorTest, GeneratedIdentityBindsItsRsaKey)
{
    auto identity = CredSspTlsIdentity::shared();
    ASSERT_TRUE(identity.ok()) << identity.error().detail.toStdString();
    const QByteArray &key = identity.value()->subjectPublicKey();
    // PKCS#1 RSAPublicKey: SEQUENCE { modulus (2048 bits), exponent }.
    ASSERT_GT(key.size(), 256);
    EXPECT_EQ(quint8(key[0]), 0x30);
    auto again = Cssp::subjectPublicKey(identity.value()->certificateDer());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value(), key);
    EXPECT_EQ(CredSspTlsIdentity::shared().value().get(), identity.value().get());
}

TEST_F(CredSspAcceptorTest, UserFileLinesBecomeAccounts)
{
    QFile file(s_dir->filePath(u"users2"_s));
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("# comment\nDOM:bob:pa:ss\n\nbroken line\n:carol:pw\n");
    file.close();
    const auto accounts = readNtlmUserFile(file.fileName());
    ASSERT_EQ(accounts.size(), 2);
    EXPECT_EQ(accounts[0].domain, u"DOM"_s);
    EXPECT_EQ(accounts[0].user, u"bob"_s);
    EXPECT_EQ(accounts[0].password, u"pa:ss"_s);
    EXPECT_EQ(accounts[1].user, u"carol"_s);
    EXPECT_TRUE(readNtlmUserFile(s_dir->filePath(u"missing"_s)).isEmpty());
}

// ---------------------------------------------------------------------------------------------
// Through the endpoint over loopback sockets.

namespace {

class EndpointCredSsp : public CredSspFixture {
protected:
    void SetUp() override
    {
        CredSspFixture::SetUp();
        if (IsSkipped())
            return;
        start(config());
    }
    static ServerConfig config()
    {
        ServerConfig config;
        config.authSchemes = {AuthScheme::Negotiate, AuthScheme::CredSsp};
        config.ntlmUserFile = userFile();
        return config;
    }
    void start(const ServerConfig &config)
    {
        server = std::make_unique<LoopbackServer>(config);
        QString error;
        ASSERT_TRUE(server->listen(&error)) << error.toStdString();
    }
    ChannelSettings channelSettings() const
    {
        ChannelSettings settings;
        settings.url = server->url();
        settings.openTimeoutMs = 15000;
        settings.operationTimeoutMs = 15000;
        return settings;
    }
    QByteArray enumerateEnvelope() const
    {
        RequestContext context;
        context.to = server->url().toString();
        context.sessionId = QUuid::createUuid();
        return buildEnumerate(context, QUuid::createUuid());
    }
    TransportResult postOne(Channel &channel, const QByteArray &body)
    {
        std::optional<TransportResult> result;
        channel.post(body, [&](const TransportResult &r) { result = r; });
        if (!runUntil([&] { return result.has_value(); })) {
            TransportError e;
            e.kind = TransportErrorKind::TimedOut;
            e.detail = u"no answer within the guard"_s;
            return e;
        }
        return *result;
    }

    std::unique_ptr<LoopbackServer> server;
};

} // namespace

TEST_F(EndpointCredSsp, UnauthenticatedRequestOffersCredSsp)
{
    QNetworkAccessManager manager;
    QNetworkRequest request(server->url());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/soap+xml;charset=UTF-8"));
    QNetworkReply *reply = manager.post(request, enumerateEnvelope());
    ASSERT_TRUE(runUntil([reply] { return reply->isFinished(); }));
    EXPECT_EQ(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 401);
    EXPECT_EQ(reply->rawHeader("WWW-Authenticate"), QByteArray("Negotiate, CredSSP"));
    reply->deleteLater();
}

TEST_F(EndpointCredSsp, HandshakeThenEncryptedRequests)
{
    auto authenticator = std::make_unique<MiniCredSspAuthenticator>(MiniOptions{});
    MiniCredSspAuthenticator *mini = authenticator.get();
    Channel channel(channelSettings(), std::move(authenticator));
    const TransportResult first = postOne(channel, enumerateEnvelope());
    ASSERT_TRUE(first.ok()) << first.error().detail.toStdString();
    EXPECT_TRUE(first.response().body.contains("EnumerateResponse"));
    EXPECT_TRUE(mini->client()->serverProofChecked());
    EXPECT_TRUE(mini->lastResponseContentType.contains("application/HTTP-CredSSP-session-encrypted"));
    const TransportResult second = postOne(channel, enumerateEnvelope());
    ASSERT_TRUE(second.ok()) << second.error().detail.toStdString();
    EXPECT_EQ(server->handshakeCount(), 1);
    EXPECT_EQ(server->encryptedRequestCount(), 2);
    // Four CredSSP legs on empty bodies, then two encrypted envelopes.
    EXPECT_EQ(server->requestCount(), 6);
}

TEST_F(EndpointCredSsp, WrongPasswordIsAnAuthenticationFailureWithLogonFailureStatus)
{
    MiniOptions options;
    options.gssPassword = "wrong";
    auto authenticator = std::make_unique<MiniCredSspAuthenticator>(options);
    MiniCredSspAuthenticator *mini = authenticator.get();
    Channel channel(channelSettings(), std::move(authenticator));
    const TransportResult result = postOne(channel, enumerateEnvelope());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed) << result.error().detail.toStdString();
    EXPECT_EQ(mini->lastErrorCode, std::optional<quint32>(0xC000006D));
    EXPECT_EQ(server->handshakeCount(), 0);
}

namespace {

// Open, `1..3`, a > 16 KiB script whose > 16 KiB output comes back, close - all encrypted.
void runPoolRoundTrip(LoopbackServer &server, AuthenticatorFactory factory)
{
    ClientOptions options;
    options.connection.connectionUri = server.url().toString();
    options.sessionOption.uiCulture = u"en-US"_s;
    options.sessionOption.culture = u"en-US"_s;
    options.authenticatorFactory = std::move(factory);
    ClientHarness::Session s(std::move(options));
    ASSERT_TRUE(s.open()) << s.why();
    QUuid pid = s.run(u"1..3"_s);
    ASSERT_FALSE(pid.isNull()) << s.why();
    EXPECT_EQ(s.stateOf(pid), Psrp::PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"1"_s, u"2"_s, u"3"_s}));

    // > 16 KiB each way: a 30,000-character script in, the same text out.
    const QString big(30000, u'x');
    s.output.clear();
    const qsizetype encryptedBefore = server.encryptedRequestCount();
    pid = s.run(u"Write-Output "_s + big);
    ASSERT_FALSE(pid.isNull()) << s.why();
    EXPECT_EQ(s.stateOf(pid), Psrp::PSInvocationState::Completed);
    ASSERT_EQ(s.outputStrings().size(), 1);
    EXPECT_EQ(s.outputStrings().first(), big);
    EXPECT_GT(server.encryptedRequestCount(), encryptedBefore);

    ASSERT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_EQ(server.shellCount(), 0);
    // Every SOAP request was encrypted: requests = 4 legs per handshake + encrypted ones.
    EXPECT_EQ(server.requestCount(), server.encryptedRequestCount() + 4 * server.handshakeCount());
}

} // namespace

TEST_F(EndpointCredSsp, OtherAccountThanConfiguredIsRefused)
{
    ServerConfig other = config();
    other.user = u"bob"_s;
    start(other);
    Channel channel(channelSettings(), std::make_unique<MiniCredSspAuthenticator>(MiniOptions{}));
    const TransportResult result = postOne(channel, enumerateEnvelope());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed);
    EXPECT_EQ(server->handshakeCount(), 0);

    ServerConfig same = config();
    same.user = u"alice"_s;
    start(same);
    Channel accepted(channelSettings(), std::make_unique<MiniCredSspAuthenticator>(MiniOptions{}));
    EXPECT_TRUE(postOne(accepted, enumerateEnvelope()).ok());
    EXPECT_EQ(server->handshakeCount(), 1);
}

TEST_F(EndpointCredSsp, RunspacePoolOverCredSspWithLargeBodiesBothWays)
{
    auto seen = std::make_shared<QList<QByteArray>>();
    runPoolRoundTrip(*server, [seen] { return std::make_unique<MiniCredSspAuthenticator>(MiniOptions{}, seen); });
    // MS-WSMV 2.2.9.1.3: the > 16 KiB output came in 16 KiB parts, the rest in one.
    const auto multi = std::count_if(seen->cbegin(), seen->cend(), [](const QByteArray &type) {
        return type.startsWith("multipart/x-multi-encrypted");
    });
    EXPECT_GE(multi, 1);
    EXPECT_LT(multi, seen->size());
    for (const QByteArray &type : std::as_const(*seen))
        EXPECT_TRUE(type.contains("protocol=\"application/HTTP-CredSSP-session-encrypted\"")) << type.toStdString();
}

// The product's CredSSP client (Wsman::CredSspAuthenticator: SPNEGO/NTLM inside, its own TLS and
// codec use) against this acceptor.
namespace {

CredSspSettings productSettings(const LoopbackServer &server, const QString &user)
{
    CredSspSettings settings;
    settings.userName = user;
    settings.host = server.url().host();
    settings.port = server.url().port();
    settings.kerberos = false;
    return settings;
}

} // namespace

TEST_F(EndpointCredSsp, ProductClientRunsAPoolWithLargeBodies)
{
    runPoolRoundTrip(*server, credSspAuthenticatorFactory(productSettings(*server, u"EXAMPLE\\alice"_s),
                                                          Secret::fromUtf8(Password)));
}

TEST_F(EndpointCredSsp, ProductClientHandshakeAndEncryptedRequests)
{
    auto authenticator = credSspAuthenticatorFactory(productSettings(*server, u"EXAMPLE\\alice"_s),
                                                     Secret::fromUtf8(Password))();
    auto *product = static_cast<CredSspAuthenticator *>(authenticator.get());
    Channel channel(channelSettings(), std::move(authenticator));
    const TransportResult first = postOne(channel, enumerateEnvelope());
    ASSERT_TRUE(first.ok()) << first.error().detail.toStdString();
    EXPECT_TRUE(first.response().body.contains("EnumerateResponse"));
    EXPECT_EQ(product->negotiatedVersion(), CredSspAcceptor::Version);
    EXPECT_EQ(product->mechanismName(), u"NTLM"_s);
    EXPECT_EQ(server->handshakeCount(), 1);
    EXPECT_EQ(server->encryptedRequestCount(), 1);
}

TEST_F(EndpointCredSsp, ProductClientWrongPasswordIsALogonFailure)
{
    Channel channel(channelSettings(), credSspAuthenticatorFactory(productSettings(*server, u"EXAMPLE\\alice"_s),
                                                                   Secret::fromUtf8("wrong"))());
    const TransportResult result = postOne(channel, enumerateEnvelope());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, TransportErrorKind::AuthenticationFailed) << result.error().detail.toStdString();
    // MS-CSSP 2.2.1: the acceptor's TSRequest.errorCode reached the client.
    EXPECT_TRUE(result.error().detail.contains(u"C000006D"_s, Qt::CaseInsensitive)) << result.error().detail.toStdString();
    EXPECT_EQ(server->handshakeCount(), 0);
}

namespace {

// A P-256 key and a self-signed certificate as PEM, made with OpenSSL here.
std::pair<QByteArray, QByteArray> ecCertificatePem()
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *certificate = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 7);
    X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
    X509_set_pubkey(certificate, key);
    X509_NAME *name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("configured"), -1, -1, 0);
    X509_set_issuer_name(certificate, name);
    X509_sign(certificate, key, EVP_sha256());
    BIO *certBio = BIO_new(BIO_s_mem());
    BIO *keyBio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(certBio, certificate);
    PEM_write_bio_PrivateKey(keyBio, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::pair<QByteArray, QByteArray> pem{drain(certBio), drain(keyBio)};
    BIO_free(certBio);
    BIO_free(keyBio);
    X509_free(certificate);
    EVP_PKEY_free(key);
    return pem;
}

} // namespace

TEST_F(CredSspAcceptorTest, ConfiguredPemIdentityIsTheOneBound)
{
    const auto [certificatePem, keyPem] = ecCertificatePem();
    ASSERT_TRUE(certificatePem.startsWith("-----BEGIN CERTIFICATE-----"));
    auto identity = CredSspTlsIdentity::fromPem(certificatePem, keyPem);
    ASSERT_TRUE(identity.ok()) << identity.error().detail.toStdString();
    EXPECT_FALSE(CredSspTlsIdentity::fromPem(certificatePem, certificatePem).ok());
    auto settings = acceptorSettings();
    settings.identity = identity.value();
    CredSspAcceptor acceptor(std::move(settings));
    MiniCredSspClient client{MiniOptions{}};
    const auto result = handshake(client, acceptor);
    ASSERT_EQ(result.step, CredSspAcceptor::Step::Complete) << result.error.toStdString() << client.error().toStdString();
    // An uncompressed P-256 point, not the generated RSA key.
    EXPECT_EQ(client.serverKey(), identity.value()->subjectPublicKey());
    EXPECT_EQ(client.serverKey().size(), 65);
    EXPECT_NE(client.serverKey(), CredSspTlsIdentity::shared().value()->subjectPublicKey());
}

// ---- Kerberos inside CredSSP (dossier 3.6: SPNEGO prefers Kerberos) ------------------------
// The product's CredSspAuthenticator against the acceptor with the keytab of a real MIT KDC on
// loopback (tests/auth/KdcFixture): the inner context is Kerberos, the delegated TSCredentials
// arrive whole and a session runs through the endpoint.

namespace {

constexpr char KerberosNtlmLine[] = "PSREMOTE.TEST:user:"; // + the realm user's password

class CredSspKerberos : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_dir = std::make_unique<QTemporaryDir>();
        QFile file(s_dir->filePath(u"ntlm-users"_s));
        if (file.open(QIODevice::WriteOnly))
            file.write(QByteArray(KerberosNtlmLine) + KerberosTest::UserPassword + '\n');
        file.close();
        s_kdc = std::make_unique<KerberosTest::KdcFixture>();
        s_started = s_kdc->start();
    }
    static void TearDownTestSuite()
    {
        s_kdc.reset();
        s_dir.reset();
    }
    void SetUp() override
    {
        REQUIRE_GSS_NTLM();
        if (s_kdc->toolsMissing())
            GTEST_SKIP() << "MIT Kerberos KDC tools are missing (Debian: krb5-kdc krb5-admin-server): "
                         << s_kdc->problem().toStdString();
        ASSERT_TRUE(s_started) << "the test realm did not start: " << s_kdc->problem().toStdString();
        ASSERT_TRUE(s_kdc->startKdc()) << s_kdc->problem().toStdString();
    }
    static QString userFile() { return s_dir->filePath(u"ntlm-users"_s); }
    static CredSspSettings settings(const QString &user)
    {
        CredSspSettings settings;
        settings.userName = user;
        settings.host = u"localhost"_s; // HTTP/localhost is in the fixture's keytab
        settings.port = KerberosTest::SpnPort;
        settings.kerberos = true;
        return settings;
    }

    static inline std::unique_ptr<QTemporaryDir> s_dir;
    static inline std::unique_ptr<KerberosTest::KdcFixture> s_kdc;
    static inline bool s_started = false;
};

// The legs in memory, authenticator -> acceptor, until the acceptor stops; its last result.
CredSspAcceptor::Result handshakeInMemory(CredSspAuthenticator &client, CredSspAcceptor &acceptor, QString *why)
{
    AuthResult<AuthLeg> leg = client.begin();
    CredSspAcceptor::Result result;
    for (int i = 0; i < 10 && leg.ok(); ++i) {
        const QByteArray &header = leg.value().authorization;
        result = acceptor.accept(QByteArray::fromBase64(header.mid(header.indexOf(' ') + 1)));
        if (result.step != CredSspAcceptor::Step::Continue)
            break;
        leg = client.continueWith({QByteArrayLiteral("CredSSP ") + result.token.toBase64()});
    }
    if (!leg.ok())
        *why = leg.error().detail;
    else if (result.step == CredSspAcceptor::Step::Failed)
        *why = result.error;
    return result;
}

} // namespace

TEST_F(CredSspKerberos, TheInnerContextIsKerberosAndTheDelegatedCredentialsArriveWhole)
{
    for (const QString &user : {QString::fromLatin1(KerberosTest::UserPrincipal), u"PSREMOTE.TEST\\user"_s}) {
        SCOPED_TRACE(user.toStdString());
        CredSspAcceptor::Settings acceptorSettings;
        auto identity = CredSspTlsIdentity::shared();
        ASSERT_TRUE(identity.ok());
        acceptorSettings.identity = identity.value();
        acceptorSettings.accounts = readNtlmUserFile(userFile());
        CredSspAcceptor acceptor(acceptorSettings);
        CredSspAuthenticator client(settings(user), Secret::fromUtf8(KerberosTest::UserPassword));
        QString why;
        const CredSspAcceptor::Result result = handshakeInMemory(client, acceptor, &why);
        ASSERT_EQ(result.step, CredSspAcceptor::Step::Complete) << why.toStdString();
        EXPECT_EQ(acceptor.innerMechanism(), u"Kerberos"_s);
        EXPECT_EQ(client.mechanismName(), u"Kerberos"_s) << client.diagnostics().join(u"; "_s).toStdString();
        EXPECT_EQ(acceptor.peerName(), QString::fromLatin1(KerberosTest::UserPrincipal));
        // The acceptor compared user, domain and password with the account file's line.
        EXPECT_EQ(acceptor.delegatedUser(), u"PSREMOTE.TEST\\user"_s);
        EXPECT_EQ(acceptor.clientVersion(), CredSspAcceptor::Version);
    }
}

TEST_F(CredSspKerberos, AWrongDelegatedPasswordIsRefusedAfterKerberosSucceeded)
{
    // The account file holds another password than the KDC: Kerberos succeeds, the delegated
    // password (the KDC's) does not match - proof the acceptor checks what was delegated.
    QTemporaryDir dir;
    QFile file(dir.filePath(u"ntlm-users"_s));
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(QByteArray(KerberosNtlmLine) + "Another-Password-1\n");
    file.close();
    CredSspAcceptor::Settings acceptorSettings;
    auto identity = CredSspTlsIdentity::shared();
    ASSERT_TRUE(identity.ok());
    acceptorSettings.identity = identity.value();
    acceptorSettings.accounts = readNtlmUserFile(file.fileName());
    CredSspAcceptor acceptor(acceptorSettings);
    CredSspAuthenticator client(settings(QString::fromLatin1(KerberosTest::UserPrincipal)),
                                Secret::fromUtf8(KerberosTest::UserPassword));
    QString why;
    const CredSspAcceptor::Result result = handshakeInMemory(client, acceptor, &why);
    EXPECT_EQ(result.step, CredSspAcceptor::Step::Failed);
    EXPECT_EQ(acceptor.innerMechanism(), u"Kerberos"_s);
    EXPECT_TRUE(why.contains(u"delegated password"_s)) << why.toStdString();
    EXPECT_FALSE(why.contains(QString::fromLatin1(KerberosTest::UserPassword)));
}

TEST_F(CredSspKerberos, ASessionRunsThroughTheEndpoint)
{
    ServerConfig config;
    config.authSchemes = {AuthScheme::CredSsp};
    config.ntlmUserFile = userFile();
    config.keytab = qEnvironmentVariable("KRB5_KTNAME");
    LoopbackServer server(config);
    QString error;
    ASSERT_TRUE(server.listen(&error)) << error.toStdString();

    ClientOptions options;
    options.connection.connectionUri = server.url().toString();
    options.sessionOption.uiCulture = u"en-US"_s;
    options.sessionOption.culture = u"en-US"_s;
    const AuthenticatorFactory product = credSspAuthenticatorFactory(
        settings(QString::fromLatin1(KerberosTest::UserPrincipal)), Secret::fromUtf8(KerberosTest::UserPassword));
    // The client's channels own these; they live as long as the client.
    auto made = std::make_shared<QList<const CredSspAuthenticator *>>();
    options.authenticatorFactory = [product, made]() -> std::unique_ptr<Authenticator> {
        std::unique_ptr<Authenticator> authenticator = product();
        made->append(static_cast<const CredSspAuthenticator *>(authenticator.get()));
        return authenticator;
    };
    RunspacePoolClient client(std::move(options));
    bool opened = false;
    bool closed = false;
    QList<ClientError> failures;
    QStringList output;
    std::optional<Psrp::PSInvocationState> finished;
    QObject::connect(&client, &RunspacePoolClient::opened, [&] { opened = true; });
    QObject::connect(&client, &RunspacePoolClient::closed, [&] { closed = true; });
    QObject::connect(&client, &RunspacePoolClient::failed, [&](const ClientError &e) { failures.append(e); });
    QObject::connect(&client, &RunspacePoolClient::pipelineOutput,
                     [&](const QUuid &, const Psrp::Value &v) { output.append(v.toString().value_or(u"?"_s)); });
    QObject::connect(&client, &RunspacePoolClient::pipelineFinished,
                     [&](const QUuid &, Psrp::PSInvocationState s, const std::optional<Psrp::ErrorRecord> &) { finished = s; });
    client.open();
    ASSERT_TRUE(runUntil([&] { return opened || closed; }) && opened)
        << (failures.isEmpty() ? std::string("no failure reported") : failures.first().detail.toStdString());
    auto pid = client.invokeScript(u"Write-Output kerberos-inside"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(pid.ok()) << pid.error().detail.toStdString();
    ASSERT_TRUE(runUntil([&] { return finished.has_value() || closed; }));
    EXPECT_EQ(finished, Psrp::PSInvocationState::Completed);
    EXPECT_EQ(output, QStringList{u"kerberos-inside"_s});
    qsizetype kerberos = 0;
    for (const CredSspAuthenticator *authenticator : std::as_const(*made)) {
        if (!authenticator->mechanismName().isEmpty()) {
            EXPECT_EQ(authenticator->mechanismName(), u"Kerberos"_s);
            ++kerberos;
        }
    }
    EXPECT_GE(kerberos, 2); // the Create's channel and the shell's Receive channel
    client.close();
    ASSERT_TRUE(runUntil([&] { return closed; }));
    EXPECT_TRUE(failures.isEmpty());
    EXPECT_GE(server.handshakeCount(), 1);
    EXPECT_GT(server.encryptedRequestCount(), 2);
}
