#include "CredSspAcceptor.h"

#include "GssAcceptor.h"

#include "auth/CredSsp.h"

#include <QFile>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gssapi/gssapi.h>

#include <mutex>
#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

namespace {

// Bounds on what a client may make this acceptor hold (nothing is allocated on a peer's claim).
constexpr qsizetype MaxLegBytes = 256 * 1024;
constexpr qsizetype MaxInbox = Auth::CredSsp::MaxTokenSize;
// NTLM (MS-NLMP 2.2.2.9): the signature heading a gss_wrap token of gss-ntlmssp.
constexpr qsizetype NtlmSignatureSize = 16;

QByteArray takeBuffer(gss_buffer_desc &buffer)
{
    QByteArray bytes(static_cast<const char *>(buffer.value), qsizetype(buffer.length));
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &buffer);
    return bytes;
}

gss_buffer_desc view(QByteArrayView bytes)
{
    return gss_buffer_desc{size_t(bytes.size()), const_cast<char *>(bytes.data())};
}

QString openSslErrors()
{
    QString text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.isEmpty())
            text += u"; "_s;
        text += QString::fromLatin1(buffer);
    }
    return text.isEmpty() ? u"no OpenSSL error queued"_s : text;
}

Wsman::AuthError tlsError(const QString &what)
{
    return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, what + u": "_s + openSslErrors()};
}

QByteArray readAll(BIO *bio)
{
    QByteArray out;
    char buffer[16384];
    int n = 0;
    while ((n = BIO_read(bio, buffer, int(sizeof buffer))) > 0)
        out.append(buffer, n);
    return out;
}

// The size of the DER TLV at the start of `bytes` (0 while incomplete, -1 if unusable).
qsizetype derElementSize(QByteArrayView bytes)
{
    if (bytes.size() < 2)
        return 0;
    if (quint8(bytes[0]) != 0x30)
        return -1;
    const quint8 first = quint8(bytes[1]);
    if (first < 0x80)
        return 2 + first;
    const int count = first & 0x7f;
    if (count == 0 || count > 3)
        return -1;
    if (bytes.size() < 2 + count)
        return 0;
    qsizetype length = 0;
    for (int i = 0; i < count; ++i)
        length = (length << 8) | quint8(bytes[2 + i]);
    if (length > MaxInbox)
        return -1;
    return 2 + count + length;
}

// The account part of "DOMAIN\user" / "user@domain" / "user".
QString accountOf(const QString &name)
{
    return name.section(u'\\', -1).section(u'@', 0, 0);
}

} // namespace

// The inner SPNEGO acceptor (MIT mechglue with the default acceptor credentials: gss-ntlmssp's
// NTLM_USER_FILE, the keytab of KRB5_KTNAME). MS-CSSP 3.1.5: pubKeyAuth and authInfo are
// GSS_Wrap tokens whatever the mechanism (NTLM: signature || sealed data; Kerberos: an RFC 4121
// Wrap token), so whole-token gss_wrap/gss_unwrap serve both - unlike WinRM's split layout.
struct CredSspAcceptor::InnerContext {
    gss_ctx_id_t context = GSS_C_NO_CONTEXT;
    GssMechanism mechanism = GssMechanism::Unknown;
    QString peer;

    InnerContext() = default;
    InnerContext(const InnerContext &) = delete;
    InnerContext &operator=(const InnerContext &) = delete;
    ~InnerContext()
    {
        OM_uint32 minor = 0;
        if (context != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &context, GSS_C_NO_BUFFER);
    }

    // One gss_accept_sec_context leg: Continue/Complete with the token to return, or Failed.
    GssAcceptor::Result accept(QByteArrayView token)
    {
        OM_uint32 minor = 0;
        gss_buffer_desc input = view(token);
        gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
        gss_name_t name = GSS_C_NO_NAME;
        gss_OID mech = GSS_C_NO_OID;
        const OM_uint32 major = gss_accept_sec_context(&minor, &context, GSS_C_NO_CREDENTIAL, &input,
                                                       GSS_C_NO_CHANNEL_BINDINGS, &name, &mech, &output, nullptr,
                                                       nullptr, nullptr);
        GssAcceptor::Result result;
        result.token = takeBuffer(output);
        if (GSS_ERROR(major)) {
            result.step = GssAcceptor::Step::Failed;
            result.error = gssStatusText(major, minor);
        } else if (major & GSS_S_CONTINUE_NEEDED) {
            result.step = GssAcceptor::Step::Continue;
        } else {
            result.step = GssAcceptor::Step::Complete;
            mechanism = gssMechanism(mech);
            gss_buffer_desc shown = GSS_C_EMPTY_BUFFER;
            if (name != GSS_C_NO_NAME && !GSS_ERROR(gss_display_name(&minor, name, &shown, nullptr))) {
                QByteArray bytes = takeBuffer(shown);
                while (bytes.endsWith('\0')) // gss-ntlmssp counts a trailing NUL
                    bytes.chop(1);
                peer = QString::fromUtf8(bytes);
            }
        }
        if (name != GSS_C_NO_NAME)
            gss_release_name(&minor, &name);
        return result;
    }

    // GSS_Wrap with confidentiality; empty + error on failure.
    QByteArray wrap(QByteArrayView plaintext, QString *error)
    {
        OM_uint32 minor = 0;
        gss_buffer_desc input = view(plaintext);
        gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
        int confidential = 0;
        const OM_uint32 major = gss_wrap(&minor, context, 1, GSS_C_QOP_DEFAULT, &input, &confidential, &output);
        QByteArray token = takeBuffer(output);
        if (GSS_ERROR(major) || !confidential) {
            *error = u"gss_wrap: "_s + (GSS_ERROR(major) ? gssStatusText(major, minor) : u"not encrypted"_s);
            return {};
        }
        return token;
    }

    std::optional<QByteArray> unwrap(QByteArrayView token, QString *error)
    {
        OM_uint32 minor = 0;
        gss_buffer_desc input = view(token);
        gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
        int confidential = 0;
        const OM_uint32 major = gss_unwrap(&minor, context, &input, &output, &confidential, nullptr);
        QByteArray plain = takeBuffer(output);
        if (GSS_ERROR(major) || !confidential) {
            *error = u"gss_unwrap: "_s + (GSS_ERROR(major) ? gssStatusText(major, minor) : u"not encrypted"_s);
            return std::nullopt;
        }
        return plain;
    }
};

// ---------------------------------------------------------------------------------------------

CredSspTlsIdentity::~CredSspTlsIdentity()
{
    SSL_CTX_free(m_context);
}

Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> CredSspTlsIdentity::build(X509 *certificate,
                                                                                       EVP_PKEY *key)
{
    std::shared_ptr<CredSspTlsIdentity> identity(new CredSspTlsIdentity());
    SSL_CTX *context = SSL_CTX_new(TLS_server_method());
    if (!context)
        return tlsError(u"SSL_CTX_new"_s);
    identity->m_context = context;
    // Dossier 3.6: TLS 1.2 minimum, no compression, no resumption (tickets or cache).
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_num_tickets(context, 0);
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
    // TLS 1.2 AEAD suites only, so the WinRM trailer length is the tag size (dossier 4.5).
    if (SSL_CTX_set_cipher_list(context, "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM") != 1)
        return tlsError(u"SSL_CTX_set_cipher_list"_s);
    if (SSL_CTX_use_certificate(context, certificate) != 1 || SSL_CTX_use_PrivateKey(context, key) != 1
        || SSL_CTX_check_private_key(context) != 1)
        return tlsError(u"the CredSSP certificate or key"_s);
    unsigned char *der = nullptr;
    const int length = i2d_X509(certificate, &der);
    if (length <= 0)
        return tlsError(u"i2d_X509"_s);
    identity->m_certificateDer = QByteArray(reinterpret_cast<const char *>(der), length);
    OPENSSL_free(der);
    auto publicKey = Auth::CredSsp::subjectPublicKey(identity->m_certificateDer);
    if (!publicKey)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, publicKey.error().detail};
    identity->m_subjectPublicKey = publicKey.value();
    return std::shared_ptr<const CredSspTlsIdentity>(std::move(identity));
}

Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> CredSspTlsIdentity::generate()
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    if (!key)
        return tlsError(u"EVP_RSA_gen"_s);
    X509 *certificate = X509_new();
    auto cleanup = [&] {
        X509_free(certificate);
        EVP_PKEY_free(key);
    };
    unsigned char serial[16];
    BIGNUM *serialNumber = nullptr;
    bool ok = certificate && RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7f;
        serialNumber = BN_bin2bn(serial, sizeof serial, nullptr);
        ok = serialNumber && BN_to_ASN1_INTEGER(serialNumber, X509_get_serialNumber(certificate));
        BN_free(serialNumber);
    }
    ok = ok && X509_set_version(certificate, 2) && X509_gmtime_adj(X509_getm_notBefore(certificate), -3600)
         && X509_gmtime_adj(X509_getm_notAfter(certificate), 365L * 24 * 3600)
         && X509_set_pubkey(certificate, key);
    if (ok) {
        X509_NAME *name = X509_get_subject_name(certificate);
        ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char *>("psremote-test-server CredSSP"), -1,
                                        -1, 0)
             && X509_set_issuer_name(certificate, name) && X509_sign(certificate, key, EVP_sha256()) > 0;
    }
    if (!ok) {
        cleanup();
        return tlsError(u"building the CredSSP certificate"_s);
    }
    auto identity = build(certificate, key);
    cleanup();
    return identity;
}

Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> CredSspTlsIdentity::shared()
{
    static std::mutex mutex;
    static std::shared_ptr<const CredSspTlsIdentity> identity;
    const std::lock_guard lock(mutex);
    if (!identity) {
        auto generated = generate();
        if (!generated)
            return generated.error();
        identity = generated.value();
    }
    return identity;
}

Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> CredSspTlsIdentity::fromPem(QByteArrayView certificatePem,
                                                                                         QByteArrayView keyPem)
{
    BIO *certBio = BIO_new_mem_buf(certificatePem.data(), int(certificatePem.size()));
    BIO *keyBio = BIO_new_mem_buf(keyPem.data(), int(keyPem.size()));
    X509 *certificate = certBio ? PEM_read_bio_X509(certBio, nullptr, nullptr, nullptr) : nullptr;
    EVP_PKEY *key = keyBio ? PEM_read_bio_PrivateKey(keyBio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(certBio);
    BIO_free(keyBio);
    Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> result =
        certificate && key ? build(certificate, key) : tlsError(u"reading the CredSSP certificate/key PEM"_s);
    X509_free(certificate);
    EVP_PKEY_free(key);
    return result;
}

QList<CredSspAccount> readNtlmUserFile(const QString &path)
{
    QList<CredSspAccount> accounts;
    QFile file(path);
    if (path.isEmpty() || !file.open(QIODevice::ReadOnly))
        return accounts;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        const qsizetype first = line.indexOf(u':');
        const qsizetype second = first < 0 ? -1 : line.indexOf(u':', first + 1);
        if (line.isEmpty() || line.startsWith(u'#') || second < 0)
            continue;
        accounts.append(CredSspAccount{line.left(first), line.mid(first + 1, second - first - 1), line.mid(second + 1)});
    }
    return accounts;
}

// ---------------------------------------------------------------------------------------------

CredSspAcceptor::CredSspAcceptor(Settings settings) : m_settings(std::move(settings))
{
    if (!m_settings.identity)
        return;
    m_ssl = SSL_new(m_settings.identity->context());
    if (!m_ssl)
        return;
    BIO *in = BIO_new(BIO_s_mem());
    BIO *out = BIO_new(BIO_s_mem());
    if (!in || !out) {
        BIO_free(in);
        BIO_free(out);
        SSL_free(m_ssl);
        m_ssl = nullptr;
        return;
    }
    SSL_set_bio(m_ssl, in, out);
    SSL_set_accept_state(m_ssl);
}

CredSspAcceptor::~CredSspAcceptor()
{
    SSL_free(m_ssl);
}

QString CredSspAcceptor::tlsProtocol() const
{
    return m_ssl ? QString::fromLatin1(SSL_get_version(m_ssl)) : QString();
}

QString CredSspAcceptor::tlsCipher() const
{
    return m_ssl ? QString::fromLatin1(SSL_get_cipher_name(m_ssl)) : QString();
}

QByteArray CredSspAcceptor::drainOutput()
{
    return readAll(SSL_get_wbio(m_ssl));
}

bool CredSspAcceptor::writeRequest(const QByteArray &der)
{
    return SSL_write(m_ssl, der.constData(), int(der.size())) == int(der.size());
}

CredSspAcceptor::Result CredSspAcceptor::fail(const QString &why, quint32 status)
{
    const Stage before = m_stage;
    m_stage = Stage::Failed;
    Result result{Step::Failed, {}, why};
    if (m_ssl && (before == Stage::Negotiate || before == Stage::PubKeyAuth || before == Stage::Credentials)
        && status != 0) {
        // MS-CSSP 2.2.1: errorCode (v3+) tells the client why, as an NTSTATUS.
        Auth::CredSsp::TsRequest answer;
        answer.version = Version;
        answer.errorCode = status;
        if (writeRequest(Auth::CredSsp::encodeTsRequest(answer)))
            result.token = drainOutput();
    } else if (m_ssl) {
        result.token = drainOutput(); // a TLS alert, if OpenSSL produced one
    }
    ERR_clear_error();
    return result;
}

CredSspAcceptor::Result CredSspAcceptor::accept(QByteArrayView records)
{
    if (!m_ssl)
        return Result{Step::Failed, {}, u"no CredSSP TLS identity"_s};
    if (m_stage == Stage::Complete || m_stage == Stage::Failed)
        return Result{Step::Failed, {}, u"the CredSSP context is already finished"_s};
    if (records.isEmpty() || records.size() > MaxLegBytes)
        return fail(u"a CredSSP leg of %1 bytes"_s.arg(records.size()), 0);
    if (BIO_write(SSL_get_rbio(m_ssl), records.data(), int(records.size())) != int(records.size()))
        return fail(u"BIO_write: "_s + openSslErrors(), 0);
    if (m_stage == Stage::Handshake) {
        const int rc = SSL_do_handshake(m_ssl);
        if (rc != 1) {
            const int error = SSL_get_error(m_ssl, rc);
            if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
                return fail(u"inner TLS handshake: "_s + openSslErrors(), 0);
            return Result{Step::Continue, drainOutput(), {}};
        }
        m_stage = Stage::Negotiate;
    }
    // The handshake may end in the same leg as the first TSRequest (TLS 1.3 client Finished).
    QByteArray plain;
    char buffer[16384];
    for (;;) {
        const int n = SSL_read(m_ssl, buffer, int(sizeof buffer));
        if (n > 0) {
            m_inbox.append(buffer, n);
            if (m_inbox.size() > MaxInbox)
                return fail(u"more TSRequest data than a TSRequest may hold"_s, StatusLogonFailure);
            continue;
        }
        const int error = SSL_get_error(m_ssl, n);
        if (error == SSL_ERROR_WANT_READ)
            break;
        return fail(u"inner TLS: "_s + openSslErrors(), 0);
    }
    while (!m_inbox.isEmpty() && m_stage != Stage::Complete) {
        const qsizetype size = derElementSize(m_inbox);
        if (size < 0)
            return fail(u"application data that is not a TSRequest"_s, StatusLogonFailure);
        if (size == 0 || size > m_inbox.size())
            break;
        const QByteArray der = m_inbox.first(size);
        m_inbox.remove(0, size);
        QString why;
        quint32 status = StatusLogonFailure;
        if (!processRequest(der, &why, &status))
            return fail(why, status);
    }
    if (m_stage == Stage::Complete) {
        if (!m_inbox.isEmpty())
            return fail(u"data after the TSCredentials"_s, StatusLogonFailure);
        return Result{Step::Complete, drainOutput(), {}};
    }
    return Result{Step::Continue, drainOutput(), {}};
}

bool CredSspAcceptor::processRequest(QByteArrayView der, QString *error, quint32 *status)
{
    auto decoded = Auth::CredSsp::decodeTsRequest(der);
    if (!decoded) {
        *error = u"TSRequest: "_s + decoded.error().detail;
        return false;
    }
    const Auth::CredSsp::TsRequest &request = decoded.value();
    if (request.errorCode) {
        *error = u"the client reported 0x%1"_s.arg(*request.errorCode, 8, 16, QChar(u'0'));
        *status = 0;
        return false;
    }
    if (m_clientVersion == 0) {
        if (request.version < m_settings.minimumVersion) {
            *error = u"TSRequest version %1 is below the minimum %2"_s.arg(request.version).arg(m_settings.minimumVersion);
            *status = StatusNotSupported;
            return false;
        }
        m_clientVersion = qMin(request.version, Version);
    }
    // MS-CSSP 3.1.5: v5+ binds pubKeyAuth to the client's nonce (CVE-2018-0886).
    const QByteArray nonce = request.clientNonce.value_or(QByteArray());
    if (m_clientVersion >= 5 && request.pubKeyAuth && nonce.size() != Auth::CredSsp::NonceSize) {
        *error = u"TSRequest v%1 pubKeyAuth without a 32-byte clientNonce"_s.arg(m_clientVersion);
        return false;
    }
    Auth::CredSsp::TsRequest answer;
    answer.version = Version;
    auto send = [this, &answer, error] {
        if (writeRequest(Auth::CredSsp::encodeTsRequest(answer)))
            return true;
        *error = u"SSL_write: "_s + openSslErrors();
        return false;
    };
    switch (m_stage) {
    case Stage::Negotiate: {
        if (request.negoTokens.size() != 1) {
            *error = u"TSRequest with %1 negoTokens while negotiating"_s.arg(request.negoTokens.size());
            return false;
        }
        if (!m_gss)
            m_gss = std::make_unique<InnerContext>();
        const GssAcceptor::Result step = m_gss->accept(request.negoTokens.first());
        if (step.step == GssAcceptor::Step::Failed) {
            *error = u"inner authentication: "_s + step.error;
            return false;
        }
        if (!step.token.isEmpty())
            answer.negoTokens.append(step.token);
        if (step.step == GssAcceptor::Step::Continue) {
            if (request.pubKeyAuth) {
                *error = u"pubKeyAuth before the inner context completed"_s;
                return false;
            }
            return send();
        }
        m_peer = m_gss->peer;
        if (m_gss->mechanism == GssMechanism::Unknown) {
            *error = u"the inner mechanism is neither NTLM nor Kerberos"_s;
            *status = StatusNotSupported;
            return false;
        }
        m_mechanism = m_gss->mechanism == GssMechanism::Ntlm ? u"NTLM"_s : u"Kerberos"_s;
        m_stage = Stage::PubKeyAuth;
        if (!request.pubKeyAuth) // Kerberos-style: the proof follows in the next TSRequest
            return send();
        [[fallthrough]];
    }
    case Stage::PubKeyAuth: {
        if (!request.pubKeyAuth) {
            *error = u"TSRequest without pubKeyAuth"_s;
            return false;
        }
        if (!verifyPubKeyAuth(*request.pubKeyAuth, nonce, error)) {
            *status = StatusLogonFailure;
            return false;
        }
        const QByteArray &key = m_settings.identity->subjectPublicKey();
        QByteArray proof;
        if (m_clientVersion >= 5) {
            auto hash = Auth::CredSsp::serverToClientHash(nonce, key);
            if (!hash) {
                *error = hash.error().detail;
                return false;
            }
            proof = hash.value();
        } else {
            proof = Auth::CredSsp::incrementFirstByte(key);
        }
        const QByteArray wrapped = wrapInner(proof, error);
        if (wrapped.isEmpty())
            return false;
        answer.pubKeyAuth = wrapped;
        if (m_clientVersion >= 5)
            answer.clientNonce = nonce;
        m_stage = Stage::Credentials;
        return send();
    }
    case Stage::Credentials:
        if (!request.authInfo) {
            *error = u"TSRequest without authInfo after pubKeyAuth"_s;
            return false;
        }
        if (!checkCredentials(*request.authInfo, error))
            return false;
        m_stage = Stage::Complete;
        return true;
    case Stage::Handshake:
    case Stage::Complete:
    case Stage::Failed:
        break;
    }
    *error = u"TSRequest in an unexpected state"_s;
    return false;
}

QByteArray CredSspAcceptor::unwrapInner(QByteArrayView token, QString *error)
{
    // Shortest meaningful token: NTLM's signature plus one byte (Kerberos tokens are longer).
    if (token.size() <= NtlmSignatureSize) {
        *error = u"a wrapped CredSSP field of %1 bytes"_s.arg(token.size());
        return {};
    }
    QString why;
    auto plain = m_gss->unwrap(token, &why);
    if (!plain) {
        *error = u"unwrapping a CredSSP field: "_s + why;
        return {};
    }
    return *plain;
}

QByteArray CredSspAcceptor::wrapInner(QByteArrayView plaintext, QString *error)
{
    QString why;
    QByteArray token = m_gss->wrap(plaintext, &why);
    if (token.isEmpty())
        *error = u"wrapping the server pubKeyAuth: "_s + why;
    return token;
}

bool CredSspAcceptor::verifyPubKeyAuth(QByteArrayView wrapped, const QByteArray &nonce, QString *error)
{
    const QByteArray received = unwrapInner(wrapped, error);
    if (received.isEmpty())
        return false;
    const QByteArray &key = m_settings.identity->subjectPublicKey();
    QByteArray expected = key;
    if (m_clientVersion >= 5) {
        auto hash = Auth::CredSsp::clientToServerHash(nonce, key);
        if (!hash) {
            *error = hash.error().detail;
            return false;
        }
        expected = hash.value();
    }
    if (received != expected) {
        *error = u"the client's pubKeyAuth does not match this TLS certificate's key"_s;
        return false;
    }
    return true;
}

bool CredSspAcceptor::checkCredentials(QByteArrayView wrapped, QString *error)
{
    const QByteArray der = unwrapInner(wrapped, error);
    if (der.isEmpty())
        return false;
    auto credentials = Auth::CredSsp::decodeTsCredentials(der);
    if (!credentials) {
        *error = u"TSCredentials: "_s + credentials.error().detail;
        return false;
    }
    if (credentials.value().credType != Auth::CredSsp::PasswordCredType) {
        *error = u"TSCredentials credType %1 (only passwords are accepted)"_s.arg(credentials.value().credType);
        return false;
    }
    auto creds = Auth::CredSsp::decodeTsPasswordCreds(credentials.value().credentials);
    if (!creds) {
        *error = u"TSPasswordCreds: "_s + creds.error().detail;
        return false;
    }
    const auto domain = Auth::CredSsp::fromUtf16le(creds.value().domainName);
    const auto user = Auth::CredSsp::fromUtf16le(creds.value().userName);
    const auto password = Auth::CredSsp::fromUtf16le(creds.value().password);
    if (!domain || !user || !password) {
        *error = u"TSPasswordCreds with odd-length UTF-16"_s;
        return false;
    }
    // "user@domain" may come whole as userName with an empty domainName.
    QString account = user.value();
    QString accountDomain = domain.value();
    if (accountDomain.isEmpty() && account.contains(u'@')) {
        accountDomain = account.section(u'@', 1);
        account = account.section(u'@', 0, 0);
    }
    // The delegated account must be the one the inner context authenticated.
    if (accountOf(m_peer).compare(account, Qt::CaseInsensitive) != 0) {
        *error = u"delegated credentials for %1, but the inner context authenticated %2"_s.arg(account, m_peer);
        return false;
    }
    bool known = false;
    for (const CredSspAccount &candidate : std::as_const(m_settings.accounts)) {
        if (candidate.user.compare(account, Qt::CaseInsensitive) != 0)
            continue;
        if (!accountDomain.isEmpty() && candidate.domain.compare(accountDomain, Qt::CaseInsensitive) != 0)
            continue;
        if (candidate.password == password.value()) {
            known = true;
            break;
        }
    }
    if (!known) {
        *error = u"the delegated password is not %1's"_s.arg(account);
        return false;
    }
    const QString fullName = (accountDomain.isEmpty() ? QString() : accountDomain + u'\\') + account;
    if (m_settings.peerAllowed && !m_settings.peerAllowed(m_peer)) {
        *error = u"%1 is not the account this endpoint serves"_s.arg(m_peer);
        return false;
    }
    m_delegatedUser = fullName;
    return true;
}

qsizetype CredSspAcceptor::trailerLength() const
{
    // Dossier 4.5: SChannel's cbTrailer. TLS 1.3: 16-byte tag + content type; TLS 1.2 AEAD
    // (the only 1.2 suites this context offers): the tag.
    if (SSL_version(m_ssl) == TLS1_3_VERSION)
        return 17;
    const SSL_CIPHER *cipher = SSL_get_current_cipher(m_ssl);
    if (cipher && SSL_CIPHER_is_aead(cipher))
        return 16;
    return -1;
}

Wsman::AuthResult<Wsman::SealedPart> CredSspAcceptor::seal(QByteArrayView plaintext)
{
    if (m_stage != Stage::Complete)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"no established CredSSP context"_s};
    if (plaintext.isEmpty() || plaintext.size() > MaxPartSize)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure,
                                u"CredSSP seals 1..16384 bytes per part, not %1"_s.arg(plaintext.size())};
    const qsizetype trailer = trailerLength();
    if (trailer < 0)
        return Wsman::AuthError{Wsman::AuthErrorCode::Unsupported, u"no trailer length for "_s + tlsCipher()};
    if (SSL_write(m_ssl, plaintext.data(), int(plaintext.size())) != int(plaintext.size()))
        return tlsError(u"SSL_write"_s);
    const QByteArray records = drainOutput();
    if (records.size() < trailer)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"a TLS record shorter than its trailer"_s};
    return Wsman::SealedPart{records.first(trailer), records.sliced(trailer)};
}

Wsman::AuthResult<QByteArray> CredSspAcceptor::unseal(QByteArrayView header, QByteArrayView data)
{
    if (m_stage != Stage::Complete)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"no established CredSSP context"_s};
    BIO *in = SSL_get_rbio(m_ssl);
    if (BIO_write(in, header.data(), int(header.size())) != int(header.size())
        || (!data.isEmpty() && BIO_write(in, data.data(), int(data.size())) != int(data.size())))
        return tlsError(u"BIO_write"_s);
    QByteArray plain;
    char buffer[16384];
    for (;;) {
        const int n = SSL_read(m_ssl, buffer, int(sizeof buffer));
        if (n > 0) {
            plain.append(buffer, n);
            continue;
        }
        if (SSL_get_error(m_ssl, n) == SSL_ERROR_WANT_READ)
            break;
        m_stage = Stage::Failed; // a TLS session that failed to decrypt is out of step for good
        return tlsError(u"SSL_read"_s);
    }
    if (BIO_ctrl_pending(in) != 0)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"an incomplete TLS record"_s};
    return plain;
}

} // namespace TestServer
