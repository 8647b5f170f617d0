#include "auth/CryptoProvider.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace Auth {

namespace {

QString openSslReason()
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return u"no OpenSSL error queued"_s;
    char text[256] = {};
    ERR_error_string_n(code, text, sizeof text);
    return QString::fromLatin1(text);
}

const unsigned char *bytes(QByteArrayView data)
{
    static const unsigned char empty = 0;
    return data.isEmpty() ? &empty : reinterpret_cast<const unsigned char *>(data.data());
}

} // namespace

void wipe(QByteArray &bytes)
{
    if (!bytes.isEmpty())
        OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
    bytes.clear();
}

Result<const CryptoProvider *> CryptoProvider::shared()
{
    static const Result<std::unique_ptr<CryptoProvider>> instance = create();
    if (!instance)
        return instance.error();
    return static_cast<const CryptoProvider *>(instance.value().get());
}

Result<std::unique_ptr<CryptoProvider>> CryptoProvider::create(const QString &moduleDirectory)
{
    std::unique_ptr<CryptoProvider> provider(new CryptoProvider);
    provider->m_context = OSSL_LIB_CTX_new();
    if (!provider->m_context)
        return makeError(ErrorCode::CryptoFailure,
                         u"OSSL_LIB_CTX_new failed: "_s + openSslReason());
    if (!moduleDirectory.isEmpty() &&
        !OSSL_PROVIDER_set_default_search_path(provider->m_context,
                                               moduleDirectory.toLocal8Bit().constData()))
        return makeError(ErrorCode::CryptoFailure,
                         u"cannot set the OpenSSL module directory: "_s + openSslReason());
    provider->m_default = OSSL_PROVIDER_load(provider->m_context, "default");
    if (!provider->m_default)
        return makeError(ErrorCode::CryptoUnavailable,
                         u"the OpenSSL default provider could not be loaded: "_s + openSslReason());
    provider->m_legacy = OSSL_PROVIDER_load(provider->m_context, "legacy");
    if (!provider->m_legacy)
        return makeError(
            ErrorCode::CryptoUnavailable,
            u"the OpenSSL 3 legacy provider (MD4 and RC4, needed for NTLM) could not be loaded: "_s +
                openSslReason() +
                u"; it is the module legacy.so in OpenSSL's ossl-modules directory "
                "(Debian/Ubuntu: /usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so, package "
                "libssl3; "
                "OPENSSL_MODULES overrides the directory)"_s);
    struct Wanted {
        evp_md_st **slot;
        const char *name;
    };
    const Wanted digests[] = {{&provider->m_md4, "MD4"},       {&provider->m_md5, "MD5"},
                              {&provider->m_sha1, "SHA1"},     {&provider->m_sha256, "SHA256"},
                              {&provider->m_sha384, "SHA384"}, {&provider->m_sha512, "SHA512"}};
    for (const Wanted &wanted : digests) {
        *wanted.slot = EVP_MD_fetch(provider->m_context, wanted.name, nullptr);
        if (!*wanted.slot)
            return makeError(ErrorCode::CryptoUnavailable, u"OpenSSL has no digest "_s +
                                                               QLatin1StringView(wanted.name) +
                                                               u": "_s + openSslReason());
    }
    provider->m_rc4 = EVP_CIPHER_fetch(provider->m_context, "RC4", nullptr);
    if (!provider->m_rc4)
        return makeError(ErrorCode::CryptoUnavailable,
                         u"OpenSSL has no RC4 cipher: "_s + openSslReason());
    return provider;
}

CryptoProvider::~CryptoProvider()
{
    for (evp_md_st *md : {m_md4, m_md5, m_sha1, m_sha256, m_sha384, m_sha512})
        EVP_MD_free(md);
    EVP_CIPHER_free(m_rc4);
    if (m_legacy)
        OSSL_PROVIDER_unload(m_legacy);
    if (m_default)
        OSSL_PROVIDER_unload(m_default);
    OSSL_LIB_CTX_free(m_context);
}

Result<QByteArray> CryptoProvider::digest(DigestAlgorithm algorithm, QByteArrayView data) const
{
    evp_md_st *md = nullptr;
    switch (algorithm) {
    case DigestAlgorithm::Md4:
        md = m_md4;
        break;
    case DigestAlgorithm::Md5:
        md = m_md5;
        break;
    case DigestAlgorithm::Sha1:
        md = m_sha1;
        break;
    case DigestAlgorithm::Sha256:
        md = m_sha256;
        break;
    case DigestAlgorithm::Sha384:
        md = m_sha384;
        break;
    case DigestAlgorithm::Sha512:
        md = m_sha512;
        break;
    }
    if (!md)
        return makeError(ErrorCode::CryptoUnavailable, u"unknown digest algorithm"_s);
    QByteArray out(EVP_MD_get_size(md), Qt::Uninitialized);
    unsigned int length = 0;
    if (!EVP_Digest(bytes(data), size_t(data.size()), reinterpret_cast<unsigned char *>(out.data()),
                    &length, md, nullptr))
        return makeError(ErrorCode::CryptoFailure, u"EVP_Digest failed: "_s + openSslReason());
    out.truncate(qsizetype(length));
    return out;
}

Result<QByteArray> CryptoProvider::hmacMd5(QByteArrayView key, QByteArrayView data) const
{
    QByteArray out(EVP_MAX_MD_SIZE, Qt::Uninitialized);
    size_t length = 0;
    if (!EVP_Q_mac(m_context, "HMAC", nullptr, "MD5", nullptr, bytes(key), size_t(key.size()),
                   bytes(data), size_t(data.size()), reinterpret_cast<unsigned char *>(out.data()),
                   size_t(out.size()), &length))
        return makeError(ErrorCode::CryptoFailure, u"HMAC-MD5 failed: "_s + openSslReason());
    out.truncate(qsizetype(length));
    return out;
}

Result<Rc4> CryptoProvider::rc4(QByteArrayView key) const
{
    if (key.isEmpty())
        return makeError(ErrorCode::InvalidArgument, u"RC4 needs a non-empty key"_s);
    Rc4 cipher(m_rc4, key);
    if (!cipher.m_state)
        return makeError(ErrorCode::CryptoFailure, u"EVP_CIPHER_CTX_new failed"_s);
    if (Result<void> started = cipher.reset(); !started)
        return started.error();
    return cipher;
}

Result<QByteArray> CryptoProvider::randomBytes(qsizetype size) const
{
    if (size < 0)
        return makeError(ErrorCode::InvalidArgument, u"negative random size"_s);
    QByteArray out(size, Qt::Uninitialized);
    if (size > 0 && RAND_bytes_ex(m_context, reinterpret_cast<unsigned char *>(out.data()),
                                  size_t(size), 0) != 1)
        return makeError(ErrorCode::CryptoFailure, u"RAND_bytes_ex failed: "_s + openSslReason());
    return out;
}

RandomSource CryptoProvider::randomSource() const
{
    return [this](qsizetype size) {
        Result<QByteArray> random = randomBytes(size);
        return random ? std::move(random).value() : QByteArray();
    };
}

Rc4::Rc4(evp_cipher_st *cipher, QByteArrayView key)
    : m_cipher(cipher), m_state(EVP_CIPHER_CTX_new()), m_key(key.data(), key.size())
{
}

Rc4::Rc4(Rc4 &&other) noexcept
    : m_cipher(std::exchange(other.m_cipher, nullptr)),
      m_state(std::exchange(other.m_state, nullptr)), m_key(std::move(other.m_key))
{
}

Rc4 &Rc4::operator=(Rc4 &&other) noexcept
{
    if (this != &other) {
        EVP_CIPHER_CTX_free(m_state);
        wipe(m_key);
        m_cipher = std::exchange(other.m_cipher, nullptr);
        m_state = std::exchange(other.m_state, nullptr);
        m_key = std::move(other.m_key);
    }
    return *this;
}

Rc4::~Rc4()
{
    EVP_CIPHER_CTX_free(m_state);
    wipe(m_key);
}

Result<void> Rc4::reset()
{
    if (!m_state || !m_cipher)
        return makeError(ErrorCode::InvalidState, u"RC4 state was moved away"_s);
    if (!EVP_CIPHER_CTX_reset(m_state) ||
        !EVP_EncryptInit_ex2(m_state, m_cipher, nullptr, nullptr, nullptr) ||
        !EVP_CIPHER_CTX_set_key_length(m_state, int(m_key.size())) ||
        !EVP_EncryptInit_ex2(m_state, nullptr, bytes(m_key), nullptr, nullptr))
        return makeError(ErrorCode::CryptoFailure, u"RC4 key setup failed: "_s + openSslReason());
    return {};
}

Result<QByteArray> Rc4::process(QByteArrayView data)
{
    if (!m_state)
        return makeError(ErrorCode::InvalidState, u"RC4 state was moved away"_s);
    if (data.size() > std::numeric_limits<int>::max())
        return makeError(ErrorCode::InvalidArgument, u"RC4 input larger than 2 GiB"_s);
    QByteArray out(data.size(), Qt::Uninitialized);
    int length = 0;
    if (!data.isEmpty() &&
        !EVP_EncryptUpdate(m_state, reinterpret_cast<unsigned char *>(out.data()), &length,
                           bytes(data), int(data.size())))
        return makeError(ErrorCode::CryptoFailure, u"RC4 failed: "_s + openSslReason());
    return out;
}

} // namespace Auth
