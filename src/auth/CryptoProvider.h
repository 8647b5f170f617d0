#pragma once

#include "auth/Error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <functional>
#include <memory>

struct ossl_lib_ctx_st;
struct ossl_provider_st;
struct evp_md_st;
struct evp_cipher_st;
struct evp_cipher_ctx_st;

namespace Auth {

class Rc4;

enum class DigestAlgorithm { Md4, Md5, Sha1, Sha256, Sha384, Sha512 };

// Returns `size` random bytes. Injectable so tests can fix the NTLM ExportedSessionKey.
using RandomSource = std::function<QByteArray(qsizetype size)>;

// Overwrites the bytes of `bytes` (its own copy after a detach) with zeros, then clears it.
void wipe(QByteArray &bytes);

// Wipes the referenced buffer when the scope ends (key material on every return path).
class WipeOnExit {
public:
    explicit WipeOnExit(QByteArray &bytes) : m_bytes(bytes) {}
    ~WipeOnExit() { wipe(m_bytes); }
    WipeOnExit(const WipeOnExit &) = delete;
    WipeOnExit &operator=(const WipeOnExit &) = delete;

private:
    QByteArray &m_bytes;
};

// The OpenSSL algorithms NTLM needs, fetched from an OSSL_LIB_CTX of our own with the "default"
// and "legacy" providers loaded (OpenSSL 3 keeps MD4 and RC4 in "legacy"); the process-wide
// default context is never touched. shared() is created on first use and lives until exit;
// create() builds a private one (tests use it with a module directory lacking legacy.so).
// Immutable once built, so safe to use from several threads.
class CryptoProvider {
public:
    static Result<const CryptoProvider *> shared();
    // moduleDirectory: where OpenSSL looks for provider modules; empty = its built-in default.
    static Result<std::unique_ptr<CryptoProvider>> create(const QString &moduleDirectory = {});
    ~CryptoProvider();
    CryptoProvider(const CryptoProvider &) = delete;
    CryptoProvider &operator=(const CryptoProvider &) = delete;

    Result<QByteArray> digest(DigestAlgorithm algorithm, QByteArrayView data) const;
    Result<QByteArray> md4(QByteArrayView data) const { return digest(DigestAlgorithm::Md4, data); }
    Result<QByteArray> md5(QByteArrayView data) const { return digest(DigestAlgorithm::Md5, data); }
    Result<QByteArray> hmacMd5(QByteArrayView key, QByteArrayView data) const;
    Result<Rc4> rc4(QByteArrayView key) const;
    Result<QByteArray> randomBytes(qsizetype size) const;
    // A RandomSource drawing from this provider's DRBG (empty result on failure).
    RandomSource randomSource() const;
    // The OSSL_LIB_CTX, for other OpenSSL objects that should not touch the default context.
    ossl_lib_ctx_st *libraryContext() const { return m_context; }

private:
    CryptoProvider() = default;

    ossl_lib_ctx_st *m_context = nullptr;
    ossl_provider_st *m_default = nullptr;
    ossl_provider_st *m_legacy = nullptr;
    evp_md_st *m_md4 = nullptr;
    evp_md_st *m_md5 = nullptr;
    evp_md_st *m_sha1 = nullptr;
    evp_md_st *m_sha256 = nullptr;
    evp_md_st *m_sha384 = nullptr;
    evp_md_st *m_sha512 = nullptr;
    evp_cipher_st *m_rc4 = nullptr;
};

// An RC4 keystream (MS-NLMP 3.4.4: one per direction, kept across messages). process() continues
// the stream; reset() restarts it from the key (the SPNEGO mechListMIC reset). Move-only; the
// key copy is wiped on destruction. Borrows its cipher from the CryptoProvider that made it.
class Rc4 {
public:
    Rc4(Rc4 &&other) noexcept;
    Rc4 &operator=(Rc4 &&other) noexcept;
    Rc4(const Rc4 &) = delete;
    Rc4 &operator=(const Rc4 &) = delete;
    ~Rc4();

    Result<QByteArray> process(QByteArrayView data);
    Result<void> reset();

private:
    friend class CryptoProvider;
    Rc4(evp_cipher_st *cipher, QByteArrayView key);

    evp_cipher_st *m_cipher = nullptr;
    evp_cipher_ctx_st *m_state = nullptr;
    QByteArray m_key;
};

} // namespace Auth
