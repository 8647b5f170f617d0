#include "psrp/SessionKey.h"

#include <QtEndian>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace Psrp {

namespace {

// CAPI BLOBHEADER + RSAPUBKEY prefix of a PUBLICKEYBLOB and the header of a SIMPLEBLOB.
constexpr unsigned char PublicKeyBlobHeader[8] = {0x06, 0x02, 0x00, 0x00, 0x00, 0xA4, 0x00, 0x00};
constexpr unsigned char Rsa1Magic[4] = {'R', 'S', 'A', '1'};
constexpr unsigned char SimpleBlobHeader[12] = {0x01, 0x02, 0x00, 0x00, 0x10, 0x66,
                                                0x00, 0x00, 0x00, 0xA4, 0x00, 0x00};
constexpr qsizetype PublicKeyBlobFixedSize = 20;
constexpr int AesKeySize = 32;
constexpr int AesBlockSize = 16;
constexpr quint32 MaxRsaBits = 16384;

struct BnDeleter {
    void operator()(BIGNUM *bn) const { BN_free(bn); }
};
struct CtxDeleter {
    void operator()(EVP_PKEY_CTX *ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX *ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct BioDeleter {
    void operator()(BIO *bio) const { BIO_free(bio); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

Error cryptoError(const QString &what)
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    QString detail = what;
    if (code != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        detail += u": "_s + QString::fromLatin1(buffer);
    }
    return makeError(ErrorCode::CryptoFailure, detail);
}

const unsigned char *bytesOf(QByteArrayView view)
{
    return reinterpret_cast<const unsigned char *>(view.data());
}

template <size_t N>
bool hasPrefixAt(QByteArrayView bytes, qsizetype offset, const unsigned char (&prefix)[N])
{
    return bytes.size() >= offset + qsizetype(N) && std::memcmp(bytes.data() + offset, prefix, N) == 0;
}

QByteArray reversed(QByteArrayView bytes)
{
    QByteArray out(bytes.size(), Qt::Uninitialized);
    std::reverse_copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

void cleanse(QByteArray &bytes)
{
    if (!bytes.isEmpty())
        OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
}

// Decodes strict base64 (whitespace tolerated); nullopt on any other character. The input may
// encode a secret (a 2.4 SecureString), so the intermediate text is wiped and the decoded bytes
// are moved out, never copied.
std::optional<QByteArray> fromBase64(QStringView text)
{
    QByteArray latin1 = text.toLatin1();
    latin1.replace(' ', QByteArrayView()).replace('\n', QByteArrayView()).replace('\r', QByteArrayView());
    auto decoded = QByteArray::fromBase64Encoding(std::as_const(latin1), QByteArray::AbortOnBase64DecodingErrors);
    cleanse(latin1);
    if (!decoded) {
        cleanse(decoded.decoded);
        return std::nullopt;
    }
    return std::optional<QByteArray>(std::move(decoded.decoded));
}

int rsaModulusBytes(EVP_PKEY *key)
{
    return EVP_PKEY_get_size(key);
}

} // namespace

void SessionKey::PkeyDeleter::operator()(EVP_PKEY *key) const
{
    EVP_PKEY_free(key);
}

SessionKey::SessionKey() = default;

SessionKey::~SessionKey()
{
    wipe();
}

SessionKey::SessionKey(SessionKey &&other) noexcept
    : m_rsa(std::move(other.m_rsa)), m_aesKey(other.m_aesKey), m_hasAesKey(other.m_hasAesKey),
      m_isServer(other.m_isServer)
{
    other.wipe();
}

SessionKey &SessionKey::operator=(SessionKey &&other) noexcept
{
    if (this != &other) {
        wipe();
        m_rsa = std::move(other.m_rsa);
        m_aesKey = other.m_aesKey;
        m_hasAesKey = other.m_hasAesKey;
        m_isServer = other.m_isServer;
        other.wipe();
    }
    return *this;
}

void SessionKey::wipe()
{
    OPENSSL_cleanse(m_aesKey.data(), m_aesKey.size());
    m_hasAesKey = false;
    m_isServer = false;
    m_rsa.reset();
}

Result<SessionKey> SessionKey::createClient()
{
    CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) <= 0)
        return cryptoError(u"cannot set up RSA key generation"_s);
    EVP_PKEY *key = nullptr;
    if (EVP_PKEY_generate(ctx.get(), &key) <= 0)
        return cryptoError(u"RSA key generation failed"_s);
    SessionKey result;
    result.m_rsa.reset(key);
    return result;
}

Result<SessionKey> SessionKey::createClientFromPem(QByteArrayView pem)
{
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), int(std::min<qsizetype>(pem.size(), INT_MAX))));
    if (!bio)
        return cryptoError(u"cannot read PEM"_s);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (!key)
        return cryptoError(u"PEM does not hold a private key"_s);
    SessionKey result;
    result.m_rsa.reset(key);
    if (!EVP_PKEY_is_a(key, "RSA"))
        return makeError(ErrorCode::CryptoFailure, u"PEM key is not an RSA key"_s);
    return result;
}

Result<SessionKey> SessionKey::createServer(QByteArrayView blob)
{
    if (blob.size() < PublicKeyBlobFixedSize || !hasPrefixAt(blob, 0, PublicKeyBlobHeader)
        || !hasPrefixAt(blob, 8, Rsa1Magic)) {
        return makeError(ErrorCode::CryptoFailure, u"not a CAPI RSA PUBLICKEYBLOB"_s);
    }
    const quint32 bits = qFromLittleEndian<quint32>(bytesOf(blob) + 12);
    const quint32 exponent = qFromLittleEndian<quint32>(bytesOf(blob) + 16);
    if (bits < 1024 || bits > MaxRsaBits || bits % 8 != 0)
        return makeError(ErrorCode::CryptoFailure, u"unsupported RSA key length %1"_s.arg(bits));
    if (blob.size() != PublicKeyBlobFixedSize + qsizetype(bits / 8)) {
        return makeError(ErrorCode::CryptoFailure,
                         u"PUBLICKEYBLOB of %1 bytes for a %2-bit key"_s.arg(blob.size()).arg(bits));
    }
    if (exponent < 3 || exponent % 2 == 0)
        return makeError(ErrorCode::CryptoFailure, u"invalid RSA public exponent %1"_s.arg(exponent));

    BnPtr n(BN_lebin2bn(bytesOf(blob) + PublicKeyBlobFixedSize, int(bits / 8), nullptr));
    BnPtr e(BN_new());
    if (!n || !e || !BN_set_word(e.get(), exponent))
        return cryptoError(u"cannot build RSA numbers"_s);
    OSSL_PARAM_BLD *builder = OSSL_PARAM_BLD_new();
    if (!builder)
        return cryptoError(u"cannot build RSA parameters"_s);
    OSSL_PARAM *params = nullptr;
    if (OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, n.get())
        && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, e.get()))
        params = OSSL_PARAM_BLD_to_param(builder);
    OSSL_PARAM_BLD_free(builder);
    if (!params)
        return cryptoError(u"cannot build RSA parameters"_s);
    CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY *key = nullptr;
    const bool built = ctx && EVP_PKEY_fromdata_init(ctx.get()) > 0
                       && EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) > 0;
    OSSL_PARAM_free(params);
    if (!built)
        return cryptoError(u"cannot import the RSA public key"_s);

    SessionKey result;
    result.m_rsa.reset(key);
    result.m_isServer = true;
    if (RAND_bytes(result.m_aesKey.data(), AesKeySize) != 1)
        return cryptoError(u"no random bytes for the session key"_s);
    result.m_hasAesKey = true;
    return result;
}

Result<SessionKey> SessionKey::fromAesKey(QByteArrayView key)
{
    if (key.size() != AesKeySize)
        return makeError(ErrorCode::CryptoFailure, u"session key of %1 bytes, 32 expected"_s.arg(key.size()));
    SessionKey result;
    std::copy(key.begin(), key.end(), result.m_aesKey.begin());
    result.m_hasAesKey = true;
    return result;
}

// MS-PSRP 2.2.2.3 PUBLIC_KEY: CAPI PUBLICKEYBLOB, numbers little-endian.
QByteArray SessionKey::publicKeyBlob() const
{
    if (!m_rsa)
        return {};
    BIGNUM *n = nullptr;
    BIGNUM *e = nullptr;
    if (EVP_PKEY_get_bn_param(m_rsa.get(), OSSL_PKEY_PARAM_RSA_N, &n) <= 0
        || EVP_PKEY_get_bn_param(m_rsa.get(), OSSL_PKEY_PARAM_RSA_E, &e) <= 0) {
        BN_free(n);
        BN_free(e);
        ERR_clear_error();
        return {};
    }
    BnPtr nHolder(n);
    BnPtr eHolder(e);
    const int modulusBytes = BN_num_bytes(n);
    const int bits = modulusBytes * 8;
    if (BN_num_bits(e) > 32)
        return {};
    QByteArray out(PublicKeyBlobFixedSize + modulusBytes, Qt::Uninitialized);
    unsigned char *p = reinterpret_cast<unsigned char *>(out.data());
    std::copy(std::begin(PublicKeyBlobHeader), std::end(PublicKeyBlobHeader), p);
    std::copy(std::begin(Rsa1Magic), std::end(Rsa1Magic), p + 8);
    qToLittleEndian<quint32>(quint32(bits), p + 12);
    qToLittleEndian<quint32>(quint32(BN_get_word(e)), p + 16);
    if (BN_bn2lebinpad(n, p + PublicKeyBlobFixedSize, modulusBytes) != modulusBytes)
        return {};
    return out;
}

QString SessionKey::publicKeyBase64() const
{
    return QString::fromLatin1(publicKeyBlob().toBase64());
}

// MS-PSRP 2.2.2.4 ENCRYPTED_SESSION_KEY: CAPI SIMPLEBLOB, CALG_AES_256 under CALG_RSA_KEYX.
Result<void> SessionKey::acceptEncryptedSessionKey(QByteArrayView simpleBlob)
{
    if (!m_rsa)
        return makeError(ErrorCode::CryptoFailure, u"no RSA key to decrypt the session key with"_s);
    if (!hasPrefixAt(simpleBlob, 0, SimpleBlobHeader)) {
        return makeError(ErrorCode::CryptoFailure, u"not a CAPI AES-256 SIMPLEBLOB"_s);
    }
    const QByteArrayView encrypted = simpleBlob.sliced(sizeof SimpleBlobHeader);
    if (encrypted.size() != rsaModulusBytes(m_rsa.get())) {
        return makeError(ErrorCode::CryptoFailure,
                         u"SIMPLEBLOB carries %1 bytes for a %2-byte RSA key"_s.arg(encrypted.size()).arg(rsaModulusBytes(m_rsa.get())));
    }
    const QByteArray cipher = reversed(encrypted);
    CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, m_rsa.get(), nullptr));
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0
        || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0)
        return cryptoError(u"cannot set up RSA decryption"_s);
    std::array<unsigned char, MaxRsaBits / 8> plain{};
    size_t plainSize = plain.size();
    const int rc = EVP_PKEY_decrypt(ctx.get(), plain.data(), &plainSize, bytesOf(cipher), size_t(cipher.size()));
    if (rc <= 0 || plainSize != AesKeySize) {
        OPENSSL_cleanse(plain.data(), plain.size());
        if (rc <= 0)
            return cryptoError(u"RSA decryption of the session key failed"_s);
        return makeError(ErrorCode::CryptoFailure, u"session key of %1 bytes, 32 expected"_s.arg(plainSize));
    }
    std::copy_n(plain.begin(), AesKeySize, m_aesKey.begin());
    OPENSSL_cleanse(plain.data(), plain.size());
    m_hasAesKey = true;
    return {};
}

Result<void> SessionKey::acceptEncryptedSessionKeyBase64(QStringView base64)
{
    const auto blob = fromBase64(base64);
    if (!blob)
        return makeError(ErrorCode::CryptoFailure, u"EncryptedSessionKey is not base64"_s);
    return acceptEncryptedSessionKey(*blob);
}

QByteArray SessionKey::encryptedSessionKeyBlob() const
{
    if (!m_rsa || !m_isServer || !m_hasAesKey)
        return {};
    CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, m_rsa.get(), nullptr));
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0
        || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0) {
        ERR_clear_error();
        return {};
    }
    size_t size = 0;
    if (EVP_PKEY_encrypt(ctx.get(), nullptr, &size, m_aesKey.data(), AesKeySize) <= 0) {
        ERR_clear_error();
        return {};
    }
    QByteArray cipher(qsizetype(size), Qt::Uninitialized);
    if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char *>(cipher.data()), &size,
                         m_aesKey.data(), AesKeySize) <= 0) {
        ERR_clear_error();
        return {};
    }
    cipher.truncate(qsizetype(size));
    QByteArray out(reinterpret_cast<const char *>(SimpleBlobHeader), sizeof SimpleBlobHeader);
    out.append(reversed(cipher));
    return out;
}

QString SessionKey::encryptedSessionKeyBase64() const
{
    return QString::fromLatin1(encryptedSessionKeyBlob().toBase64());
}

QByteArray SessionKey::encrypt(QStringView text) const
{
    if (!m_hasAesKey)
        return {};
    QByteArray plain = plainSecureStringBytes(text);
    const unsigned char iv[AesBlockSize] = {};
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    QByteArray out(plain.size() + AesBlockSize, Qt::Uninitialized);
    int written = 0;
    int last = 0;
    const bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, m_aesKey.data(), iv) == 1
                    && EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char *>(out.data()), &written,
                                         bytesOf(plain), int(plain.size())) == 1
                    && EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(out.data()) + written, &last) == 1;
    cleanse(plain);
    if (!ok) {
        cleanse(out);
        ERR_clear_error();
        return {};
    }
    out.truncate(written + last);
    return out;
}

Result<QString> SessionKey::decrypt(QByteArrayView cipherText) const
{
    if (!m_hasAesKey)
        return makeError(ErrorCode::CryptoFailure, u"no session key: the key exchange has not happened"_s);
    if (cipherText.isEmpty() || cipherText.size() % AesBlockSize != 0 || cipherText.size() > INT_MAX - AesBlockSize) {
        return makeError(ErrorCode::CryptoFailure,
                         u"SecureString of %1 bytes is not a whole number of AES blocks"_s.arg(cipherText.size()));
    }
    const unsigned char iv[AesBlockSize] = {};
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    QByteArray plain(cipherText.size() + AesBlockSize, Qt::Uninitialized);
    int written = 0;
    int last = 0;
    const bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, m_aesKey.data(), iv) == 1
                    && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()), &written,
                                         bytesOf(cipherText), int(cipherText.size())) == 1
                    && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()) + written, &last) == 1;
    if (!ok) {
        OPENSSL_cleanse(plain.data(), size_t(plain.size()));
        ERR_clear_error();
        return makeError(ErrorCode::CryptoFailure, u"SecureString does not decrypt under the session key"_s);
    }
    Result<QString> text = plainSecureStringText(QByteArrayView(plain).first(written + last));
    OPENSSL_cleanse(plain.data(), size_t(plain.size()));
    return text;
}

QByteArray plainSecureStringBytes(QStringView text)
{
    QByteArray out(text.size() * 2, Qt::Uninitialized);
    qToLittleEndian<char16_t>(text.utf16(), text.size(), out.data());
    return out;
}

Result<QString> plainSecureStringText(QByteArrayView utf16le)
{
    if (utf16le.size() % 2 != 0)
        return makeError(ErrorCode::InvalidValue, u"SecureString of %1 bytes is not UTF-16"_s.arg(utf16le.size()));
    QString text(utf16le.size() / 2, Qt::Uninitialized);
    qFromLittleEndian<char16_t>(utf16le.data(), text.size(), text.data());
    return text;
}

QString plainSecureStringBase64(QStringView text)
{
    QByteArray bytes = plainSecureStringBytes(text);
    QByteArray base64 = bytes.toBase64();
    QString out = QString::fromLatin1(base64);
    cleanse(bytes);
    cleanse(base64);
    return out;
}

Result<QString> plainSecureStringFromBase64(QStringView base64)
{
    auto bytes = fromBase64(base64);
    if (!bytes)
        return makeError(ErrorCode::InvalidValue, u"SecureString is not base64"_s);
    Result<QString> text = plainSecureStringText(*bytes);
    cleanse(*bytes);
    return text;
}

} // namespace Psrp
