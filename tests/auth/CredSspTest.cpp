#include "auth/CredSsp.h"

#include "auth/Ntlm.h"
#include "auth/Spnego.h"

#include "GssAcceptor.h"
#include "SharedData.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace Auth;
using namespace Auth::CredSsp;

namespace {

std::string describe(const Error &error)
{
    return error.detail.toStdString();
}

QByteArray sharedToken(const char *name)
{
    return TestSupport::readFile(TestSupport::sharedDir() + u"/transcripts/auth-tokens/"_s + QString::fromLatin1(name));
}

QByteArray sha256(const QByteArray &data)
{
    QByteArray out(32, '\0');
    unsigned int length = 0;
    EVP_Digest(data.data(), size_t(data.size()), reinterpret_cast<unsigned char *>(out.data()), &length, EVP_sha256(), nullptr);
    return out;
}

// ---- DER ----

TEST(CredSspDer, CapturedTsRequestParsesAndReencodesByteIdentical)
{
    PSREMOTE_REQUIRE_SHARED();
    const QByteArray der = sharedToken("credssp_ts_request");
    ASSERT_FALSE(der.isEmpty());
    const Result<TsRequest> request = decodeTsRequest(der);
    ASSERT_TRUE(request) << describe(request.error());
    EXPECT_EQ(request->version, 6);
    ASSERT_EQ(request->negoTokens.size(), 1);
    EXPECT_EQ(request->negoTokens[0], QByteArray("123"));
    EXPECT_EQ(request->authInfo, QByteArray("auth info"));
    EXPECT_EQ(request->pubKeyAuth, QByteArray("pub key auth"));
    EXPECT_EQ(request->errorCode, 10u);
    EXPECT_EQ(request->clientNonce, QByteArray("client nonce"));
    EXPECT_EQ(encodeTsRequest(*request), der);
}

TEST(CredSspDer, CapturedTsCredentialsParsesAndReencodesByteIdentical)
{
    PSREMOTE_REQUIRE_SHARED();
    const QByteArray der = sharedToken("credssp_ts_credential_password");
    ASSERT_FALSE(der.isEmpty());
    const Result<TsCredentials> credentials = decodeTsCredentials(der);
    ASSERT_TRUE(credentials) << describe(credentials.error());
    EXPECT_EQ(credentials->credType, PasswordCredType);
    const Result<TsPasswordCreds> creds = decodeTsPasswordCreds(credentials->credentials);
    ASSERT_TRUE(creds) << describe(creds.error());
    EXPECT_EQ(*fromUtf16le(creds->domainName), u"domain name"_s);
    EXPECT_EQ(*fromUtf16le(creds->userName), u"username"_s);
    EXPECT_EQ(*fromUtf16le(creds->password), u"password"_s);
    EXPECT_EQ(encodeTsPasswordCreds(*creds), credentials->credentials);
    EXPECT_EQ(encodeTsCredentials(*credentials), der);
}

TEST(CredSspDer, OtherCredentialTypesDecodeAsOpaqueTsCredentials)
{
    PSREMOTE_REQUIRE_SHARED();
    // Smart-card (2) and Remote Guard (6) credentials: the envelope parses, the type is kept.
    for (const char *name : {"credssp_ts_credential_smart_card", "credssp_ts_credential_remote_guard_multiple"}) {
        const QByteArray der = sharedToken(name);
        ASSERT_FALSE(der.isEmpty()) << name;
        const Result<TsCredentials> credentials = decodeTsCredentials(der);
        ASSERT_TRUE(credentials) << name << ": " << describe(credentials.error());
        EXPECT_NE(credentials->credType, PasswordCredType) << name;
        EXPECT_EQ(encodeTsCredentials(*credentials), der) << name;
        EXPECT_FALSE(decodeTsPasswordCreds(credentials->credentials)) << name;
    }
}

TEST(CredSspDer, NtstatusErrorCodeIsASignedInteger)
{
    TsRequest request;
    request.version = 6;
    request.errorCode = 0xC000006Du;
    const QByteArray der = encodeTsRequest(request);
    // MS-CSSP 2.2.1: errorCode is an INTEGER; Windows sends NTSTATUS values as negative numbers.
    EXPECT_EQ(der.toHex(), QByteArray("300da003020106a4060204c000006d"));
    const Result<TsRequest> back = decodeTsRequest(der);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->errorCode, 0xC000006Du);
    EXPECT_TRUE(back->negoTokens.isEmpty());
    EXPECT_FALSE(back->pubKeyAuth);
    // The five-byte positive form is accepted too.
    const Result<TsRequest> positive = decodeTsRequest(QByteArray::fromHex("300ea003020106a407020500c000006d"));
    ASSERT_TRUE(positive) << describe(positive.error());
    EXPECT_EQ(positive->errorCode, 0xC000006Du);
}

TEST(CredSspDer, LongTokensUseLongFormLengthsAndRoundTrip)
{
    TsRequest request;
    request.version = 3;
    request.negoTokens = {QByteArray(300, 'a'), QByteArray(70000 / 2, 'b')};
    request.pubKeyAuth = QByteArray(200, 'c');
    const QByteArray der = encodeTsRequest(request);
    EXPECT_EQ(quint8(der.at(1)), 0x82); // 2-byte length
    const Result<TsRequest> back = decodeTsRequest(der);
    ASSERT_TRUE(back) << describe(back.error());
    EXPECT_EQ(back->version, 3);
    EXPECT_EQ(back->negoTokens, request.negoTokens);
    EXPECT_EQ(back->pubKeyAuth, request.pubKeyAuth);
    EXPECT_EQ(encodeTsRequest(*back), der);
}

TEST(CredSspDer, MalformedEncodingsAreInvalidToken)
{
    const char *cases[] = {
        "",                                      // empty
        "3080a003020106 0000",                   // indefinite length
        "3005a003020106 00",                     // trailing byte after the SEQUENCE
        "3003a00102",                            // truncated INTEGER wrapper
        "3005a0030201",                          // inner length beyond the outer
        "3008a003020106a1 01 00",                // negoTokens too short
        "300aa003020106a303040500",              // pubKeyAuth claims more than present
        "300aa003020106a203040100 a1",           // leftovers in TSRequest
        "3005a103020106",                        // version missing
        "300aa003020106a603040100",              // unknown field [6]
        "300fa003020106a3030401aa a2030401bb",   // fields out of order
        "300fa003020106a2030401aa a2030401bb",   // field repeated
        "3006a00402020006",                      // INTEGER not minimal
        "3005a003020100",                        // version 0
        "3005a0030401 06",                       // version is an OCTET STRING
        "3009a007020500ffffffff ",               // (positive 5-byte version out of range)
        "3085000000000500",                      // 5-byte length
    };
    for (const char *hex : cases) {
        const QByteArray der = QByteArray::fromHex(QByteArray(hex).replace(' ', ""));
        const Result<TsRequest> request = decodeTsRequest(der);
        EXPECT_FALSE(request) << hex;
        if (!request) {
            EXPECT_EQ(request.error().code, ErrorCode::InvalidToken) << hex;
        }
    }
    EXPECT_FALSE(decodeTsCredentials(QByteArray::fromHex("3005a003020101")));
    EXPECT_FALSE(decodeTsPasswordCreds(QByteArray::fromHex("3008a0020400a1020400")));
    EXPECT_FALSE(fromUtf16le("abc"));
}

TEST(CredSspDer, EveryTruncationAndByteFlipIsHandledCleanly)
{
    TsRequest request;
    request.negoTokens = {"token"};
    request.pubKeyAuth = "proof";
    request.errorCode = 0xC0000234u;
    request.clientNonce = QByteArray(32, 'n');
    const QByteArray der = encodeTsRequest(request);
    for (qsizetype size = 0; size < der.size(); ++size)
        EXPECT_FALSE(decodeTsRequest(der.left(size))) << size;
    int decoded = 0;
    for (qsizetype i = 0; i < der.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            QByteArray flipped = der;
            flipped[i] = char(flipped.at(i) ^ (1 << bit));
            const Result<TsRequest> result = decodeTsRequest(flipped);
            if (result) {
                ++decoded;
                EXPECT_EQ(decodeTsRequest(encodeTsRequest(*result)).ok(), true);
            } else {
                EXPECT_EQ(result.error().code, ErrorCode::InvalidToken);
            }
        }
    }
    EXPECT_GT(decoded, 0); // flips inside OCTET STRING contents still decode
    EXPECT_FALSE(decodeTsRequest(QByteArray(MaxTokenSize + 1, '\x30')));
}

TEST(CredSspStatus, LogonFailureHasAPlainNameAndTheHexCode)
{
    const Error error = errorForStatus(0xC000006D);
    EXPECT_EQ(error.code, ErrorCode::CredentialsRejected);
    EXPECT_TRUE(error.detail.contains(u"0xc000006d"_s)) << error.detail.toStdString();
    EXPECT_TRUE(error.detail.contains(u"STATUS_LOGON_FAILURE"_s));
    EXPECT_TRUE(error.detail.contains(u"password is incorrect"_s));
    EXPECT_EQ(errorForStatus(0xC0000234).code, ErrorCode::CredentialsRejected);
    const Error other = errorForStatus(0xC0001234);
    EXPECT_EQ(other.code, ErrorCode::InvalidToken);
    EXPECT_TRUE(other.detail.contains(u"0xc0001234"_s));
}

TEST(CredSspBinding, HashesFollowMsCssp)
{
    const QByteArray nonce(32, '\x11');
    const QByteArray key = "public key bits";
    const Result<QByteArray> c2s = clientToServerHash(nonce, key);
    ASSERT_TRUE(c2s);
    EXPECT_EQ(*c2s, sha256(QByteArray("CredSSP Client-To-Server Binding Hash") + '\0' + nonce + key));
    const Result<QByteArray> s2c = serverToClientHash(nonce, key);
    ASSERT_TRUE(s2c);
    EXPECT_EQ(*s2c, sha256(QByteArray("CredSSP Server-To-Client Binding Hash") + '\0' + nonce + key));
    EXPECT_FALSE(clientToServerHash(QByteArray(31, 'x'), key));
    EXPECT_EQ(incrementFirstByte("\x30\x82"), QByteArray("\x31\x82"));
    EXPECT_EQ(incrementFirstByte("\xff"), QByteArray(1, '\0'));
    EXPECT_FALSE(subjectPublicKey("not a certificate"));
}

// ---- A test-only CredSSP acceptor: OpenSSL server-side TLS on memory BIOs + GssAcceptor ----

struct ServerKey {
    EVP_PKEY *key = nullptr;
    X509 *certificate = nullptr;
    QByteArray subjectPublicKey;
};

const ServerKey &serverKey()
{
    static const ServerKey made = [] {
        ServerKey out;
        out.key = EVP_RSA_gen(2048);
        out.certificate = X509_new();
        X509_set_version(out.certificate, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(out.certificate), 1);
        X509_gmtime_adj(X509_getm_notBefore(out.certificate), -3600);
        X509_gmtime_adj(X509_getm_notAfter(out.certificate), 3600);
        X509_set_pubkey(out.certificate, out.key);
        X509_NAME *name = X509_get_subject_name(out.certificate);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("credssp-test"), -1, -1, 0);
        X509_set_issuer_name(out.certificate, name);
        X509_sign(out.certificate, out.key, EVP_sha256());
        // The SubjectPublicKey for RSA is the PKCS#1 RSAPublicKey DER.
        unsigned char *der = nullptr;
        const int length = i2d_PublicKey(out.key, &der);
        out.subjectPublicKey = QByteArray(reinterpret_cast<const char *>(der), length);
        OPENSSL_free(der);
        return out;
    }();
    return made;
}

class TestCredSspServer {
public:
    struct Options {
        int version = 6;
        int maxTlsVersion = 0; // 0 = OpenSSL's highest
        const char *cipherList = nullptr;
        bool corruptProof = false;
        std::optional<quint32> errorAfterAuthenticate;
    };

    explicit TestCredSspServer(Options options) : m_options(options)
    {
        m_context = SSL_CTX_new(TLS_server_method());
        SSL_CTX_set_min_proto_version(m_context, TLS1_2_VERSION);
        if (m_options.maxTlsVersion)
            SSL_CTX_set_max_proto_version(m_context, m_options.maxTlsVersion);
        if (m_options.cipherList)
            SSL_CTX_set_cipher_list(m_context, m_options.cipherList);
        SSL_CTX_set_options(m_context, SSL_OP_NO_TICKET);
        SSL_CTX_use_certificate(m_context, serverKey().certificate);
        SSL_CTX_use_PrivateKey(m_context, serverKey().key);
        m_ssl = SSL_new(m_context);
        BIO *in = BIO_new(BIO_s_mem());
        BIO *out = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(in, -1);
        BIO_set_mem_eof_return(out, -1);
        SSL_set_bio(m_ssl, in, out);
        SSL_set_accept_state(m_ssl);
    }
    ~TestCredSspServer()
    {
        SSL_free(m_ssl);
        SSL_CTX_free(m_context);
    }
    TestCredSspServer(const TestCredSspServer &) = delete;
    TestCredSspServer &operator=(const TestCredSspServer &) = delete;

    QString init() { return m_acceptor.init(); }

    // One client token in, the server's answer out (empty once the credentials arrived).
    std::optional<QByteArray> step(QByteArrayView token)
    {
        BIO_write(SSL_get_rbio(m_ssl), token.data(), int(token.size()));
        if (!SSL_is_init_finished(m_ssl)) {
            const int result = SSL_do_handshake(m_ssl);
            if (result != 1 && SSL_get_error(m_ssl, result) != SSL_ERROR_WANT_READ)
                return fail(u"server handshake failed"_s);
            if (!SSL_is_init_finished(m_ssl) || BIO_ctrl_pending(SSL_get_rbio(m_ssl)) == 0)
                return drain();
        }
        const QByteArray plain = read();
        if (plain.isEmpty())
            return fail(u"no application data"_s);
        const Result<TsRequest> request = decodeTsRequest(plain);
        if (!request)
            return fail(u"bad TSRequest: "_s + request.error().detail);
        requests.append(*request);
        m_version = std::min(m_options.version, request->version);
        if (request->authInfo) {
            QString why;
            const std::optional<QByteArray> der = m_acceptor.unwrap(*request->authInfo, &why);
            if (!der)
                return fail(u"authInfo unwrap: "_s + why);
            const Result<TsCredentials> tsCredentials = decodeTsCredentials(*der);
            if (!tsCredentials)
                return fail(tsCredentials.error().detail);
            const Result<TsPasswordCreds> creds = decodeTsPasswordCreds(tsCredentials->credentials);
            if (!creds)
                return fail(creds.error().detail);
            credentials = *creds;
            return QByteArray();
        }
        TsRequest reply;
        reply.version = m_options.version;
        if (!request->negoTokens.isEmpty()) {
            const AuthTest::GssAcceptor::Step result = m_acceptor.step(request->negoTokens.first());
            if (!result.error.isEmpty()) {
                if (m_options.errorAfterAuthenticate) {
                    reply.errorCode = *m_options.errorAfterAuthenticate;
                    return encrypt(reply);
                }
                return fail(u"acceptor: "_s + result.error);
            }
            if (!result.output.isEmpty())
                reply.negoTokens.append(result.output);
        }
        if (request->pubKeyAuth) {
            QString why;
            const std::optional<QByteArray> proof = m_acceptor.unwrap(*request->pubKeyAuth, &why);
            if (!proof)
                return fail(u"pubKeyAuth unwrap: "_s + why);
            const QByteArray key = serverKey().subjectPublicKey;
            QByteArray answer;
            if (m_version >= 5) {
                if (!request->clientNonce || request->clientNonce->size() != 32)
                    return fail(u"no clientNonce"_s);
                if (*proof != sha256(QByteArray("CredSSP Client-To-Server Binding Hash") + '\0' + *request->clientNonce + key))
                    return fail(u"client pubKeyAuth hash mismatch"_s);
                answer = sha256(QByteArray("CredSSP Server-To-Client Binding Hash") + '\0' + *request->clientNonce + key);
            } else {
                if (*proof != key)
                    return fail(u"client pubKeyAuth key mismatch"_s);
                answer = key;
                answer[0] = char(answer.at(0) + 1);
            }
            if (m_options.corruptProof)
                answer[5] = char(answer.at(5) ^ 1);
            const std::optional<QByteArray> wrapped = m_acceptor.wrap(answer, &why);
            if (!wrapped)
                return fail(u"pubKeyAuth wrap: "_s + why);
            reply.pubKeyAuth = *wrapped;
        }
        return encrypt(reply);
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

    QByteArray encrypt(const TsRequest &request) { return write(encodeTsRequest(request)); }

    QByteArray decryptRecords(const QByteArray &records)
    {
        BIO_write(SSL_get_rbio(m_ssl), records.data(), int(records.size()));
        return read();
    }

    QByteArray drain()
    {
        BIO *out = SSL_get_wbio(m_ssl);
        QByteArray bytes(qsizetype(BIO_ctrl_pending(out)), '\0');
        if (!bytes.isEmpty())
            BIO_read(out, bytes.data(), int(bytes.size()));
        return bytes;
    }

    std::optional<QByteArray> fail(const QString &why)
    {
        error = why;
        return std::nullopt;
    }

    QList<TsRequest> requests;
    std::optional<TsPasswordCreds> credentials;
    QString error;

private:
    Options m_options;
    SSL_CTX *m_context = nullptr;
    SSL *m_ssl = nullptr;
    AuthTest::GssAcceptor m_acceptor;
    int m_version = 0;
};

TestCredSspServer::Options serverOptions(int version, int maxTlsVersion = 0, const char *cipherList = nullptr)
{
    TestCredSspServer::Options options;
    options.version = version;
    options.maxTlsVersion = maxTlsVersion;
    options.cipherList = cipherList;
    return options;
}

class CredSspHandshake : public ::testing::Test {
protected:
    void SetUp() override
    {
        const QString missing = AuthTest::GssAcceptor::ntlmsspMissing();
        if (!missing.isEmpty())
            GTEST_SKIP() << missing.toStdString();
        ASSERT_TRUE(m_dir.isValid());
        QFile users(m_dir.filePath(u"ntlm-users"_s));
        ASSERT_TRUE(users.open(QIODevice::WriteOnly));
        users.write("EXAMPLE:alice:Passw0rd!\n");
        users.close();
        ::setenv("NTLM_USER_FILE", QFile::encodeName(users.fileName()).constData(), 1);
    }

    static CredSspClient makeClient(const QString &user, QByteArrayView password, int minimumVersion = 2)
    {
        NtlmClientOptions ntlm;
        ntlm.user = user;
        ntlm.targetSpn = u"HTTP/server.example"_s;
        Result<std::unique_ptr<NtlmMechanism>> mechanism = NtlmMechanism::create(ntlm, password);
        EXPECT_TRUE(mechanism) << describe(mechanism.error());
        std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms;
        mechanisms.push_back(std::move(mechanism).value());
        CredSspClientOptions options;
        options.userName = user;
        options.minimumVersion = minimumVersion;
        Result<CredSspClient> client = CredSspClient::create(options, SpnegoClient(std::move(mechanisms)), password);
        EXPECT_TRUE(client) << describe(client.error());
        return std::move(client).value();
    }

    // Runs the exchange; returns the client's error (if any), `legs` = client tokens sent.
    std::optional<Error> run(CredSspClient &client, TestCredSspServer &server, int *legs)
    {
        Result<QByteArray> out = client.step({});
        for (*legs = 1; *legs < 12; ++*legs) {
            if (!out)
                return out.error();
            const std::optional<QByteArray> answer = server.step(*out);
            EXPECT_TRUE(answer) << server.error.toStdString();
            if (!answer)
                return makeError(ErrorCode::InvalidState, u"server: "_s + server.error);
            if (client.isComplete()) {
                EXPECT_TRUE(answer->isEmpty());
                return std::nullopt;
            }
            out = client.step(*answer);
        }
        return makeError(ErrorCode::InvalidState, u"no completion"_s);
    }

    // Client -> server and server -> client through the WinRM split, also > 16 KiB.
    void exchangeMessages(CredSspClient &client, TestCredSspServer &server, int expectedTrailer)
    {
        for (const qsizetype size : {qsizetype(1), qsizetype(1000), qsizetype(16384)}) {
            const QByteArray body = QByteArray(size, 'x');
            const Result<WrappedMessage> wrapped = client.wrapWinrm(body);
            ASSERT_TRUE(wrapped) << describe(wrapped.error());
            if (expectedTrailer > 0) {
                EXPECT_EQ(wrapped->header.size(), expectedTrailer) << size;
            }
            EXPECT_EQ(server.decryptRecords(wrapped->header + wrapped->data), body);

            const QByteArray reply = server.write("reply" + body);
            const Result<QByteArray> plain = client.unwrap(reply);
            ASSERT_TRUE(plain) << describe(plain.error());
            EXPECT_EQ(*plain, "reply" + body);
            const QByteArray split = server.write(body);
            const Result<QByteArray> viaSplit = client.unwrapWinrm(split.left(17), split.mid(17));
            ASSERT_TRUE(viaSplit) << describe(viaSplit.error());
            EXPECT_EQ(*viaSplit, body);
        }
        // One plaintext over 16 KiB becomes several records; the whole comes back.
        const QByteArray big(40000, 'b');
        const Result<QByteArray> records = client.wrap(big);
        ASSERT_TRUE(records);
        EXPECT_EQ(server.decryptRecords(*records), big);
        const Result<QByteArray> back = client.unwrap(server.write(big));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, big);
    }

    QTemporaryDir m_dir;
};

TEST_F(CredSspHandshake, Tls13Version6DelegatesThePasswordAndEncrypts)
{
    TestCredSspServer server(serverOptions(6));
    ASSERT_TRUE(server.init().isEmpty());
    CredSspClient client = makeClient(u"EXAMPLE\\alice"_s, "Passw0rd!");
    int legs = 0;
    const std::optional<Error> error = run(client, server, &legs);
    ASSERT_FALSE(error) << describe(*error);
    EXPECT_TRUE(client.isComplete());
    EXPECT_EQ(client.negotiatedVersion(), 6);
    EXPECT_EQ(client.tlsProtocol(), u"TLSv1.3"_s);
    EXPECT_EQ(legs, 4); // ClientHello; Finished + NEGOTIATE; AUTHENTICATE + pubKeyAuth; authInfo
    ASSERT_TRUE(server.credentials);
    EXPECT_EQ(*fromUtf16le(server.credentials->domainName), u"EXAMPLE"_s);
    EXPECT_EQ(*fromUtf16le(server.credentials->userName), u"alice"_s);
    EXPECT_EQ(*fromUtf16le(server.credentials->password), u"Passw0rd!"_s);
    // NTLM's AUTHENTICATE travels with pubKeyAuth and the v5+ nonce.
    ASSERT_GE(server.requests.size(), 3);
    const TsRequest &proof = server.requests[1];
    EXPECT_EQ(proof.negoTokens.size(), 1);
    EXPECT_TRUE(proof.pubKeyAuth);
    EXPECT_EQ(proof.clientNonce->size(), 32);
    EXPECT_EQ(server.requests.last().version, 6);
    EXPECT_FALSE(client.step("more"));
    exchangeMessages(client, server, 17);
}

TEST_F(CredSspHandshake, Tls12GcmTrailerIs16)
{
    TestCredSspServer server(serverOptions(6, TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384"));
    ASSERT_TRUE(server.init().isEmpty());
    CredSspClient client = makeClient(u"EXAMPLE\\alice"_s, "Passw0rd!");
    int legs = 0;
    const std::optional<Error> error = run(client, server, &legs);
    ASSERT_FALSE(error) << describe(*error);
    EXPECT_EQ(client.tlsProtocol(), u"TLSv1.2"_s);
    EXPECT_EQ(client.tlsCipher(), u"ECDHE-RSA-AES256-GCM-SHA384"_s);
    EXPECT_EQ(legs, 5); // ClientHello; ClientKeyExchange..Finished; NEGOTIATE; AUTHENTICATE + proof; authInfo
    exchangeMessages(client, server, 16);
}

TEST_F(CredSspHandshake, Tls12CbcTrailerIsMacPlusPadding)
{
    TestCredSspServer server(serverOptions(6, TLS1_2_VERSION, "ECDHE-RSA-AES256-SHA384"));
    ASSERT_TRUE(server.init().isEmpty());
    CredSspClient client = makeClient(u"EXAMPLE\\alice"_s, "Passw0rd!");
    int legs = 0;
    const std::optional<Error> error = run(client, server, &legs);
    ASSERT_FALSE(error) << describe(*error);
    EXPECT_EQ(client.tlsCipher(), u"ECDHE-RSA-AES256-SHA384"_s);
    // SHA384 MAC 48; 1000 + 48 = 1048 -> padding 8 to 1056: trailer 56. 16384 + 48 -> 16: 64.
    const Result<WrappedMessage> small = client.wrapWinrm(QByteArray(1000, 'x'));
    ASSERT_TRUE(small);
    EXPECT_EQ(small->header.size(), 56);
    EXPECT_EQ(server.decryptRecords(small->header + small->data), QByteArray(1000, 'x'));
    const Result<WrappedMessage> full = client.wrapWinrm(QByteArray(16384, 'y'));
    ASSERT_TRUE(full);
    EXPECT_EQ(full->header.size(), 64);
    EXPECT_EQ(server.decryptRecords(full->header + full->data), QByteArray(16384, 'y'));
    exchangeMessages(client, server, 0);
}

TEST_F(CredSspHandshake, OldServerVersionUsesTheIncrementedKeyProof)
{
    for (const int version : {2, 3, 4}) {
        TestCredSspServer server(serverOptions(version));
        ASSERT_TRUE(server.init().isEmpty());
        CredSspClient client = makeClient(u"EXAMPLE\\alice"_s, "Passw0rd!");
        int legs = 0;
        const std::optional<Error> error = run(client, server, &legs);
        ASSERT_FALSE(error) << version << ": " << describe(*error);
        EXPECT_EQ(client.negotiatedVersion(), version);
        EXPECT_FALSE(server.requests[1].clientNonce);
        ASSERT_TRUE(server.credentials);
        EXPECT_EQ(*fromUtf16le(server.credentials->password), u"Passw0rd!"_s);
    }
}

TEST_F(CredSspHandshake, MinimumVersionRefusesAnUnpatchedServer)
{
    TestCredSspServer server(serverOptions(3));
    ASSERT_TRUE(server.init().isEmpty());
    CredSspClient client = makeClient(u"EXAMPLE\\alice"_s, "Passw0rd!", 5);
    int legs = 0;
    const std::optional<Error> error = run(client, server, &legs);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::Unsupported);
    EXPECT_TRUE(error->detail.contains(u"version 3"_s)) << describe(*error);
    EXPECT_FALSE(server.credentials);
}

TEST_F(CredSspHandshake, WrongServerProofIsAManInTheMiddle)
{
    for (const int version : {6, 2}) {
        TestCredSspServer::Options options = serverOptions(version);
        options.corruptProof = true;
        TestCredSspServer server(options);
        ASSERT_TRUE(server.init().isEmpty());
        CredSspClient client = makeClient(u"EXAMPLE\\alice"_s, "Passw0rd!");
        int legs = 0;
        const std::optional<Error> error = run(client, server, &legs);
        ASSERT_TRUE(error) << version;
        EXPECT_EQ(error->code, ErrorCode::IntegrityFailure);
        EXPECT_TRUE(error->detail.contains(u"man in the middle"_s)) << describe(*error);
        EXPECT_FALSE(server.credentials);
        EXPECT_FALSE(client.isComplete());
        EXPECT_FALSE(client.wrap("x"));
        EXPECT_FALSE(client.step("again"));
    }
}

TEST_F(CredSspHandshake, ServerErrorCodeBecomesATypedError)
{
    TestCredSspServer::Options options = serverOptions(6);
    options.errorAfterAuthenticate = 0xC000006Du;
    TestCredSspServer server(options);
    ASSERT_TRUE(server.init().isEmpty());
    CredSspClient client = makeClient(u"EXAMPLE\\alice"_s, "wrong password");
    int legs = 0;
    const std::optional<Error> error = run(client, server, &legs);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::CredentialsRejected);
    EXPECT_TRUE(error->detail.contains(u"0xc000006d"_s)) << describe(*error);
    EXPECT_TRUE(error->detail.contains(u"STATUS_LOGON_FAILURE"_s));
    EXPECT_FALSE(server.credentials);
}

TEST_F(CredSspHandshake, GarbageFromTheServerFailsCleanly)
{
    CredSspClient client = makeClient(u"EXAMPLE\\alice"_s, "Passw0rd!");
    ASSERT_TRUE(client.step({}));
    const Result<QByteArray> out = client.step("HTTP/1.1 200 OK\r\n\r\n not TLS");
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::InvalidToken);
    EXPECT_FALSE(client.step({}));
}

TEST(CredSspClientCreate, RefusesBadOptions)
{
    CredSspClientOptions options;
    EXPECT_FALSE(CredSspClient::create(options, SpnegoClient({}), "pw"));
    options.userName = u"alice"_s;
    options.minimumVersion = 7;
    EXPECT_FALSE(CredSspClient::create(options, SpnegoClient({}), "pw"));
    options.minimumVersion = 1;
    EXPECT_FALSE(CredSspClient::create(options, SpnegoClient({}), "pw"));
}

} // namespace
