#include "wsman/CredSspAuthenticator.h"

#include "GssAcceptor.h"

#include "auth/CredSsp.h"
#include "wsman/MessageEncryption.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <optional>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;
using Auth::CredSsp::TsRequest;

namespace {

constexpr char Password[] = "Correct-Horse-7";
constexpr char User[] = "PSREMOTE.TEST\\user";

QByteArray sha256(const QByteArray &data)
{
    QByteArray out(32, '\0');
    unsigned int length = 0;
    EVP_Digest(data.data(), size_t(data.size()), reinterpret_cast<unsigned char *>(out.data()), &length, EVP_sha256(), nullptr);
    return out;
}

// A test-only CredSSP acceptor: OpenSSL server TLS on memory BIOs (key and self-signed
// certificate made at test time) around the endpoint's GSSAPI acceptor (gss-ntlmssp).
class CredSspTestServer {
public:
    bool corruptProof = false;
    std::optional<quint32> errorOnCredentials;
    std::optional<Auth::CredSsp::TsPasswordCreds> credentials;
    QString error;

    CredSspTestServer()
    {
        m_key = EVP_RSA_gen(2048);
        m_certificate = X509_new();
        X509_set_version(m_certificate, 2);
        X509_gmtime_adj(X509_getm_notBefore(m_certificate), -3600);
        X509_gmtime_adj(X509_getm_notAfter(m_certificate), 3600);
        X509_set_pubkey(m_certificate, m_key);
        X509_NAME *name = X509_get_subject_name(m_certificate);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("credssp"), -1, -1, 0);
        X509_set_issuer_name(m_certificate, name);
        X509_sign(m_certificate, m_key, EVP_sha256());
        unsigned char *der = nullptr;
        const int length = i2d_PublicKey(m_key, &der);
        m_subjectPublicKey = QByteArray(reinterpret_cast<const char *>(der), length);
        OPENSSL_free(der);

        m_context = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate(m_context, m_certificate);
        SSL_CTX_use_PrivateKey(m_context, m_key);
        m_ssl = SSL_new(m_context);
        BIO *in = BIO_new(BIO_s_mem());
        BIO *out = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(in, -1);
        BIO_set_mem_eof_return(out, -1);
        SSL_set_bio(m_ssl, in, out);
        SSL_set_accept_state(m_ssl);
    }
    ~CredSspTestServer()
    {
        SSL_free(m_ssl);
        SSL_CTX_free(m_context);
        X509_free(m_certificate);
        EVP_PKEY_free(m_key);
    }
    CredSspTestServer(const CredSspTestServer &) = delete;
    CredSspTestServer &operator=(const CredSspTestServer &) = delete;

    // The WWW-Authenticate value answering one Authorization value; nullopt = 200 (or failure).
    std::optional<QByteArray> answer(const QByteArray &authorization)
    {
        if (!authorization.startsWith("CredSSP ")) {
            error = u"not a CredSSP header"_s;
            return std::nullopt;
        }
        const QByteArray token = QByteArray::fromBase64(authorization.mid(8));
        BIO_write(SSL_get_rbio(m_ssl), token.data(), int(token.size()));
        if (!SSL_is_init_finished(m_ssl)) {
            const int result = SSL_do_handshake(m_ssl);
            if (result != 1 && SSL_get_error(m_ssl, result) != SSL_ERROR_WANT_READ)
                return fail(u"TLS handshake"_s);
            if (!SSL_is_init_finished(m_ssl) || BIO_ctrl_pending(SSL_get_rbio(m_ssl)) == 0)
                return header(drain());
        }
        const Auth::Result<TsRequest> request = Auth::CredSsp::decodeTsRequest(read());
        if (!request)
            return fail(request.error().detail);
        TsRequest reply;
        if (request->authInfo) {
            const QByteArray sealed = *request->authInfo;
            const AuthResult<QByteArray> der = m_acceptor.unseal(sealed.left(16), sealed.mid(16));
            if (!der)
                return fail(der.error().detail);
            if (errorOnCredentials) {
                reply.errorCode = *errorOnCredentials;
                return header(write(Auth::CredSsp::encodeTsRequest(reply)));
            }
            const auto tsCredentials = Auth::CredSsp::decodeTsCredentials(der.value());
            if (!tsCredentials)
                return fail(tsCredentials.error().detail);
            const auto creds = Auth::CredSsp::decodeTsPasswordCreds(tsCredentials->credentials);
            if (!creds)
                return fail(creds.error().detail);
            credentials = *creds;
            return std::nullopt;
        }
        if (!request->negoTokens.isEmpty()) {
            const TestServer::GssAcceptor::Result step = m_acceptor.accept(request->negoTokens.first());
            if (step.step == TestServer::GssAcceptor::Step::Failed) {
                reply.errorCode = 0xC000006Du;
                return header(write(Auth::CredSsp::encodeTsRequest(reply)));
            }
            if (!step.token.isEmpty())
                reply.negoTokens.append(step.token);
        }
        if (request->pubKeyAuth && request->clientNonce) {
            const QByteArray sealed = *request->pubKeyAuth;
            const AuthResult<QByteArray> proof = m_acceptor.unseal(sealed.left(16), sealed.mid(16));
            if (!proof)
                return fail(proof.error().detail);
            if (proof.value() != sha256(QByteArray("CredSSP Client-To-Server Binding Hash") + '\0' + *request->clientNonce + m_subjectPublicKey))
                return fail(u"client proof mismatch"_s);
            QByteArray mine = sha256(QByteArray("CredSSP Server-To-Client Binding Hash") + '\0' + *request->clientNonce + m_subjectPublicKey);
            if (corruptProof)
                mine[0] = char(mine.at(0) ^ 0x40);
            const AuthResult<SealedPart> wrapped = m_acceptor.seal(mine);
            if (!wrapped)
                return fail(wrapped.error().detail);
            reply.pubKeyAuth = wrapped.value().header + wrapped.value().data;
        }
        return header(write(Auth::CredSsp::encodeTsRequest(reply)));
    }

    // WinRM message encryption, server side (dossier 4.5).
    AuthResult<WrappedMessage> encrypt(const QByteArray &plaintext)
    {
        return m_encryption.encrypt(
            plaintext, "application/soap+xml;charset=UTF-8",
            [this](QByteArrayView part) -> AuthResult<SealedPart> {
                const QByteArray records = write(part.toByteArray());
                return SealedPart{records.left(17), records.mid(17)};
            },
            16384);
    }
    AuthResult<WrappedMessage> decrypt(const WrappedMessage &body)
    {
        return m_encryption.decrypt(body.body, body.contentType, [this](QByteArrayView head, QByteArrayView data) -> AuthResult<QByteArray> {
            headerLengths.append(head.size());
            BIO_write(SSL_get_rbio(m_ssl), head.data(), int(head.size()));
            BIO_write(SSL_get_rbio(m_ssl), data.data(), int(data.size()));
            return read();
        });
    }

    QList<qsizetype> headerLengths;

private:
    static QByteArray header(const QByteArray &records) { return "CredSSP " + records.toBase64(); }

    std::optional<QByteArray> fail(const QString &why)
    {
        error = why;
        return std::nullopt;
    }
    QByteArray read()
    {
        QByteArray out;
        char buffer[4096];
        size_t got = 0;
        while (SSL_read_ex(m_ssl, buffer, sizeof buffer, &got) == 1)
            out.append(buffer, qsizetype(got));
        return out;
    }
    QByteArray write(const QByteArray &plain)
    {
        SSL_write(m_ssl, plain.data(), int(plain.size()));
        return drain();
    }
    QByteArray drain()
    {
        BIO *out = SSL_get_wbio(m_ssl);
        QByteArray bytes(qsizetype(BIO_ctrl_pending(out)), '\0');
        if (!bytes.isEmpty())
            BIO_read(out, bytes.data(), int(bytes.size()));
        return bytes;
    }

    EVP_PKEY *m_key = nullptr;
    X509 *m_certificate = nullptr;
    QByteArray m_subjectPublicKey;
    SSL_CTX *m_context = nullptr;
    SSL *m_ssl = nullptr;
    TestServer::GssAcceptor m_acceptor;
    MessageEncryption m_encryption{MessageEncryption::CredSspProtocol.toByteArray()};
};

class CredSspAuth : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (QDir(u"/etc/gss/mech.d"_s).entryList({u"*ntlm*"_s}, QDir::Files).isEmpty())
            GTEST_SKIP() << "gss-ntlmssp is not installed (no /etc/gss/mech.d/*ntlm*)";
        ASSERT_TRUE(m_dir.isValid());
        QFile file(m_dir.filePath(u"ntlm-users"_s));
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(QByteArrayLiteral("PSREMOTE.TEST:user:") + Password + '\n');
        file.close();
        qputenv("NTLM_USER_FILE", QFile::encodeName(file.fileName()));
    }

    static CredSspAuthenticator make(const char *password = Password)
    {
        CredSspSettings settings;
        settings.userName = QString::fromLatin1(User);
        settings.host = u"server.psremote.test"_s;
        settings.port = 5985;
        settings.kerberos = false;
        return CredSspAuthenticator(settings, Secret::fromUtf8(password));
    }

    // Drives the HTTP legs; returns the client's error, if any.
    std::optional<AuthError> handshake(CredSspAuthenticator &client, CredSspTestServer &server, int *legs)
    {
        AuthResult<AuthLeg> leg = client.begin();
        for (*legs = 1; *legs < 10; ++*legs) {
            if (!leg)
                return leg.error();
            EXPECT_TRUE(leg.value().authorization.startsWith("CredSSP "));
            const std::optional<QByteArray> challenge = server.answer(leg.value().authorization);
            if (!challenge) {
                EXPECT_TRUE(server.error.isEmpty()) << server.error.toStdString();
                EXPECT_TRUE(leg.value().lastLeg);
                const AuthResult<bool> done = client.finish({});
                if (!done)
                    return done.error();
                return std::nullopt;
            }
            leg = client.continueWith({"Negotiate", *challenge});
        }
        return AuthError{AuthErrorCode::InvalidToken, u"no completion"_s};
    }

    QTemporaryDir m_dir;
};

TEST_F(CredSspAuth, HandshakeDelegatesAndEncryptsBothWaysIncludingLargeBodies)
{
    CredSspTestServer server;
    CredSspAuthenticator client = make();
    EXPECT_EQ(client.scheme(), QByteArray("CredSSP"));
    EXPECT_TRUE(client.encryptsMessages());
    EXPECT_FALSE(client.blocksOnLegs());
    int legs = 0;
    const std::optional<AuthError> error = handshake(client, server, &legs);
    ASSERT_FALSE(error) << error->detail.toStdString();
    EXPECT_TRUE(client.isEstablished());
    EXPECT_EQ(legs, 4);
    EXPECT_EQ(client.mechanismName(), u"NTLM"_s);
    EXPECT_EQ(client.negotiatedVersion(), 6);
    ASSERT_TRUE(server.credentials);
    EXPECT_EQ(*Auth::CredSsp::fromUtf16le(server.credentials->domainName), u"PSREMOTE.TEST"_s);
    EXPECT_EQ(*Auth::CredSsp::fromUtf16le(server.credentials->userName), u"user"_s);
    EXPECT_EQ(*Auth::CredSsp::fromUtf16le(server.credentials->password), QString::fromLatin1(Password));

    const QByteArray soap = "application/soap+xml;charset=UTF-8";
    const QByteArray small = "<s:Envelope>small</s:Envelope>";
    const AuthResult<WrappedMessage> wrapped = client.wrap(small, soap);
    ASSERT_TRUE(wrapped) << wrapped.error().detail.toStdString();
    EXPECT_TRUE(wrapped.value().contentType.startsWith("multipart/encrypted;"));
    EXPECT_TRUE(wrapped.value().contentType.contains("application/HTTP-CredSSP-session-encrypted"));
    const AuthResult<WrappedMessage> atServer = server.decrypt(wrapped.value());
    ASSERT_TRUE(atServer) << atServer.error().detail.toStdString();
    EXPECT_EQ(atServer.value().body, small);
    EXPECT_EQ(server.headerLengths, QList<qsizetype>{17}); // TLS 1.3 trailer

    QByteArray large(40000, 'L');
    large[20000] = 'M';
    const AuthResult<WrappedMessage> multi = client.wrap(large, soap);
    ASSERT_TRUE(multi);
    EXPECT_TRUE(multi.value().contentType.startsWith("multipart/x-multi-encrypted"));
    EXPECT_EQ(multi.value().body.count("Content-Type: application/octet-stream"), 3);
    const AuthResult<WrappedMessage> largeAtServer = server.decrypt(multi.value());
    ASSERT_TRUE(largeAtServer) << largeAtServer.error().detail.toStdString();
    EXPECT_EQ(largeAtServer.value().body, large);

    for (const QByteArray &reply : {QByteArray("<s:Envelope>reply</s:Envelope>"), QByteArray(50000, 'R')}) {
        const AuthResult<WrappedMessage> fromServer = server.encrypt(reply);
        ASSERT_TRUE(fromServer);
        const AuthResult<WrappedMessage> plain = client.unwrap(fromServer.value().body, fromServer.value().contentType);
        ASSERT_TRUE(plain) << plain.error().detail.toStdString();
        EXPECT_EQ(plain.value().body, reply);
    }

    // A body cut short is refused, never half-decrypted.
    const AuthResult<WrappedMessage> fromServer = server.encrypt("truncated reply");
    QByteArray cut = fromServer.value().body;
    cut.remove(cut.indexOf("--Encrypted Boundary--") - 5, 3);
    EXPECT_FALSE(client.unwrap(cut, fromServer.value().contentType));
    EXPECT_FALSE(client.unwrap("<plain/>", soap));
}

TEST_F(CredSspAuth, WrongPasswordIsALogonFailureWithTheStatus)
{
    CredSspTestServer server;
    CredSspAuthenticator client = make("not the password");
    int legs = 0;
    const std::optional<AuthError> error = handshake(client, server, &legs);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, AuthErrorCode::Rejected);
    EXPECT_TRUE(error->detail.contains(u"0xc000006d"_s)) << error->detail.toStdString();
    EXPECT_TRUE(error->detail.contains(u"STATUS_LOGON_FAILURE"_s));
    EXPECT_FALSE(error->detail.contains(u"not the password"_s));
    EXPECT_FALSE(server.credentials);
    EXPECT_FALSE(client.isEstablished());
}

TEST_F(CredSspAuth, RefusalOfDelegatedCredentialsCarriesTheStatus)
{
    CredSspTestServer server;
    server.errorOnCredentials = 0xC0000072u;
    CredSspAuthenticator client = make();
    int legs = 0;
    const std::optional<AuthError> error = handshake(client, server, &legs);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, AuthErrorCode::Rejected);
    EXPECT_TRUE(error->detail.contains(u"STATUS_ACCOUNT_DISABLED"_s)) << error->detail.toStdString();
}

TEST_F(CredSspAuth, ForgedServerProofStopsBeforeThePasswordIsSent)
{
    CredSspTestServer server;
    server.corruptProof = true;
    CredSspAuthenticator client = make();
    int legs = 0;
    const std::optional<AuthError> error = handshake(client, server, &legs);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, AuthErrorCode::CryptoFailure);
    EXPECT_TRUE(error->detail.contains(u"man in the middle"_s)) << error->detail.toStdString();
    EXPECT_FALSE(server.credentials);
    EXPECT_FALSE(client.wrap("x", "application/soap+xml"));
}

TEST(CredSspAuthenticator, SchemeNotOfferedAndFactory)
{
    CredSspSettings settings;
    settings.userName = u"DOMAIN\\user"_s;
    settings.host = u"host"_s;
    settings.kerberos = false;
    const AuthenticatorFactory factory = credSspAuthenticatorFactory(settings, Secret::fromUtf8("pw"));
    const std::unique_ptr<Authenticator> first = factory();
    const std::unique_ptr<Authenticator> second = factory();
    ASSERT_TRUE(first && second);
    EXPECT_NE(first.get(), second.get());
    EXPECT_EQ(first->scheme(), QByteArray("CredSSP"));
    EXPECT_TRUE(first->isSafeOverPlainHttp());
    const AuthResult<AuthLeg> leg = first->continueWith({"Negotiate", "Basic realm=\"WSMAN\""});
    ASSERT_FALSE(leg);
    EXPECT_EQ(leg.error().code, AuthErrorCode::SchemeNotOffered);
    EXPECT_TRUE(leg.error().detail.contains(u"Negotiate, Basic"_s)) << leg.error().detail.toStdString();

    const AuthResult<AuthLeg> hello = second->continueWith({"CredSSP"});
    ASSERT_TRUE(hello) << hello.error().detail.toStdString();
    // The first token is a TLS ClientHello record: handshake (22), TLS major version 3.
    const QByteArray record = QByteArray::fromBase64(hello.value().authorization.mid(8));
    ASSERT_GE(record.size(), 6);
    EXPECT_EQ(quint8(record.at(0)), 22);
    EXPECT_EQ(quint8(record.at(1)), 3);
    EXPECT_EQ(quint8(record.at(5)), 1); // ClientHello
    const AuthResult<AuthLeg> refused = second->continueWith({"CredSSP"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, AuthErrorCode::Rejected);
}

} // namespace
