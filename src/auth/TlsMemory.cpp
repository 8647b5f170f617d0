#include "auth/TlsMemory.h"

#include <QStringList>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

using namespace Qt::Literals::StringLiterals;

namespace Auth {

namespace {

QString opensslErrors()
{
    QStringList parts;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        parts.append(QString::fromLatin1(buffer));
    }
    return parts.join(u"; "_s);
}

} // namespace

Error TlsMemoryClient::failure(const QString &what) const
{
    const QString detail = opensslErrors();
    return makeError(ErrorCode::InvalidToken, u"CredSSP TLS: "_s + what + (detail.isEmpty() ? QString() : u" ("_s + detail + u')'));
}

Result<std::unique_ptr<TlsMemoryClient>> TlsMemoryClient::create()
{
    ERR_clear_error();
    std::unique_ptr<TlsMemoryClient> client(new TlsMemoryClient);
    client->m_context = SSL_CTX_new(TLS_client_method());
    if (!client->m_context)
        return makeError(ErrorCode::CryptoUnavailable, u"CredSSP TLS: no TLS client context: "_s + opensslErrors());
    // Dossier 3.6 / MS-CSSP 3.1.5: TLS 1.2 or later, no compression, no resumption; the key is
    // bound by pubKeyAuth so the certificate is not verified. SChannel interop: no empty
    // fragments; no encrypt-then-MAC, which SChannel lacks (it would change the CBC trailer).
    SSL_CTX_set_min_proto_version(client->m_context, TLS1_2_VERSION);
    SSL_CTX_set_options(client->m_context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION
                                               | SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS | SSL_OP_NO_ENCRYPT_THEN_MAC);
    SSL_CTX_set_session_cache_mode(client->m_context, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(client->m_context, SSL_VERIFY_NONE, nullptr);
    client->m_ssl = SSL_new(client->m_context);
    BIO *incoming = BIO_new(BIO_s_mem());
    BIO *outgoing = BIO_new(BIO_s_mem());
    if (!client->m_ssl || !incoming || !outgoing) {
        BIO_free(incoming);
        BIO_free(outgoing);
        return makeError(ErrorCode::CryptoFailure, u"CredSSP TLS: cannot create the session: "_s + opensslErrors());
    }
    BIO_set_mem_eof_return(incoming, -1);
    BIO_set_mem_eof_return(outgoing, -1);
    SSL_set_bio(client->m_ssl, incoming, outgoing);
    SSL_set_connect_state(client->m_ssl);
    return client;
}

TlsMemoryClient::~TlsMemoryClient()
{
    SSL_free(m_ssl);
    SSL_CTX_free(m_context);
}

QByteArray TlsMemoryClient::drainOutgoing()
{
    BIO *outgoing = SSL_get_wbio(m_ssl);
    QByteArray out;
    const size_t pending = BIO_ctrl_pending(outgoing);
    if (pending == 0)
        return out;
    out.resize(qsizetype(pending));
    const int read = BIO_read(outgoing, out.data(), int(pending));
    out.resize(read > 0 ? read : 0);
    return out;
}

Result<QByteArray> TlsMemoryClient::handshake(QByteArrayView incoming)
{
    ERR_clear_error();
    if (!incoming.isEmpty() && BIO_write(SSL_get_rbio(m_ssl), incoming.data(), int(incoming.size())) != int(incoming.size()))
        return failure(u"cannot buffer the server's records"_s);
    const int result = SSL_do_handshake(m_ssl);
    if (result != 1) {
        const int error = SSL_get_error(m_ssl, result);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
            return failure(u"the handshake failed"_s);
    }
    return drainOutgoing();
}

bool TlsMemoryClient::handshakeComplete() const
{
    return m_ssl && SSL_is_init_finished(m_ssl);
}

Result<QByteArray> TlsMemoryClient::encrypt(QByteArrayView plaintext)
{
    if (!handshakeComplete())
        return makeError(ErrorCode::InvalidState, u"CredSSP TLS: handshake not complete"_s);
    ERR_clear_error();
    if (!plaintext.isEmpty()) {
        size_t written = 0;
        if (SSL_write_ex(m_ssl, plaintext.data(), size_t(plaintext.size()), &written) != 1 || written != size_t(plaintext.size()))
            return makeError(ErrorCode::CryptoFailure, u"CredSSP TLS: encryption failed: "_s + opensslErrors());
    }
    return drainOutgoing();
}

Result<QByteArray> TlsMemoryClient::decrypt(QByteArrayView records)
{
    if (!handshakeComplete())
        return makeError(ErrorCode::InvalidState, u"CredSSP TLS: handshake not complete"_s);
    ERR_clear_error();
    BIO *incoming = SSL_get_rbio(m_ssl);
    if (!records.isEmpty() && BIO_write(incoming, records.data(), int(records.size())) != int(records.size()))
        return failure(u"cannot buffer the records"_s);
    QByteArray out;
    char buffer[16384];
    for (;;) {
        size_t read = 0;
        if (SSL_read_ex(m_ssl, buffer, sizeof buffer, &read) == 1) {
            out.append(buffer, qsizetype(read));
            continue;
        }
        const int error = SSL_get_error(m_ssl, 0);
        if (error == SSL_ERROR_WANT_READ)
            break;
        if (error == SSL_ERROR_ZERO_RETURN)
            return makeError(ErrorCode::InvalidToken, u"CredSSP TLS: the server closed the session"_s);
        return makeError(ErrorCode::IntegrityFailure, u"CredSSP TLS: decryption failed: "_s + opensslErrors());
    }
    // A record cut short leaves bytes buffered: the body was truncated.
    if (BIO_ctrl_pending(incoming) > 0 || SSL_has_pending(m_ssl)) {
        // Drop the partial record so the session cannot be confused by a later message.
        return makeError(ErrorCode::InvalidToken, u"CredSSP TLS: an incomplete TLS record"_s);
    }
    // Post-handshake messages may have produced output (e.g. a key update answer); WinRM has no
    // way to carry it, so it is dropped.
    drainOutgoing();
    return out;
}

Result<QByteArray> TlsMemoryClient::peerCertificate() const
{
    X509 *certificate = SSL_get0_peer_certificate(m_ssl);
    if (!certificate)
        return makeError(ErrorCode::InvalidState, u"CredSSP TLS: the server presented no certificate"_s);
    unsigned char *der = nullptr;
    const int length = i2d_X509(certificate, &der);
    if (length <= 0)
        return makeError(ErrorCode::CryptoFailure, u"CredSSP TLS: cannot encode the server certificate"_s);
    QByteArray out(reinterpret_cast<const char *>(der), length);
    OPENSSL_free(der);
    return out;
}

QString TlsMemoryClient::protocolName() const
{
    return QString::fromLatin1(SSL_get_version(m_ssl));
}

QString TlsMemoryClient::cipherName() const
{
    return QString::fromLatin1(SSL_CIPHER_get_name(SSL_get_current_cipher(m_ssl)));
}

Result<int> TlsMemoryClient::trailerLength(qsizetype plaintextLength) const
{
    const SSL_CIPHER *cipher = SSL_get_current_cipher(m_ssl);
    if (!handshakeComplete() || !cipher)
        return makeError(ErrorCode::InvalidState, u"CredSSP TLS: handshake not complete"_s);
    // Dossier 4.5: TLS 1.3 = 16-byte tag + the inner content type byte.
    if (SSL_version(m_ssl) >= TLS1_3_VERSION)
        return 17;
    const int cipherNid = SSL_CIPHER_get_cipher_nid(cipher);
    if (SSL_CIPHER_is_aead(cipher)) {
        const QByteArray name = SSL_CIPHER_get_name(cipher);
        return name.contains("CCM8") ? 8 : 16;
    }
    const EVP_MD *digest = EVP_get_digestbynid(SSL_CIPHER_get_digest_nid(cipher));
    const EVP_CIPHER *bulk = EVP_get_cipherbynid(cipherNid);
    if (!digest || !bulk)
        return makeError(ErrorCode::Unsupported, u"CredSSP TLS: unknown trailer for %1"_s.arg(cipherName()));
    const int mac = EVP_MD_get_size(digest);
    const int block = EVP_CIPHER_get_block_size(bulk);
    if (block <= 1)
        return mac;
    // MAC-then-encrypt CBC: MAC, then padding (with its length byte) to the block size.
    const qsizetype prePad = plaintextLength + mac;
    return int(mac + (block - prePad % block));
}

} // namespace Auth
