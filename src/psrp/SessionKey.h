#pragma once

#include "psrp/Error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

#include <array>
#include <memory>

typedef struct evp_pkey_st EVP_PKEY;

namespace Psrp {

// MS-PSRP 3.1.5.4.4 / dossier 2.7: one side of the PUBLIC_KEY / ENCRYPTED_SESSION_KEY exchange
// and the AES-256 session key it yields, which encrypts <SS> values (protocol < 2.4).
// The client holds an RSA-2048 key pair and learns the AES key from the server's SIMPLEBLOB; the
// server holds the client's public key and a random AES key. Move-only: the RSA key is freed
// and the AES key wiped (OPENSSL_cleanse) on destruction.
class SessionKey {
public:
    SessionKey();
    ~SessionKey();
    SessionKey(SessionKey &&other) noexcept;
    SessionKey &operator=(SessionKey &&other) noexcept;
    SessionKey(const SessionKey &) = delete;
    SessionKey &operator=(const SessionKey &) = delete;

    // Client: a fresh RSA-2048 key pair, no session key yet.
    static Result<SessionKey> createClient();
    // Client: an RSA private key given as PEM (PKCS#1 or PKCS#8), e.g. a fixed key for tests.
    static Result<SessionKey> createClientFromPem(QByteArrayView pem);
    // Server: parses the client's CAPI PUBLICKEYBLOB and generates a random AES-256 key.
    static Result<SessionKey> createServer(QByteArrayView publicKeyBlob);
    // Either side: a known 32-byte AES key (no RSA key).
    static Result<SessionKey> fromAesKey(QByteArrayView key);

    // Client: the CAPI PUBLICKEYBLOB (06 02 00 00 00 A4 00 00 "RSA1" bitlen pubexp modulus-LE),
    // raw and as the base64 text of PUBLIC_KEY's "PublicKey" property. Empty without an RSA key.
    QByteArray publicKeyBlob() const;
    QString publicKeyBase64() const;
    // Client: decrypts the server's SIMPLEBLOB (01 02 00 00 10 66 00 00 00 A4 00 00, then the
    // RSA PKCS#1 v1.5 ciphertext in reversed byte order) and keeps the 32-byte AES key.
    Result<void> acceptEncryptedSessionKey(QByteArrayView simpleBlob);
    // The same from ENCRYPTED_SESSION_KEY's "EncryptedSessionKey" base64 text.
    Result<void> acceptEncryptedSessionKeyBase64(QStringView base64);

    // Server: the SIMPLEBLOB carrying the AES key under the client's public key, raw and base64.
    // A fresh RSA encryption (random padding) per call. Empty when this is not a server key.
    QByteArray encryptedSessionKeyBlob() const;
    QString encryptedSessionKeyBase64() const;

    bool hasRsaKey() const { return m_rsa != nullptr; }
    bool hasSessionKey() const { return m_hasAesKey; }

    // MS-PSRP 2.2.5.1.24: AES-256-CBC, all-zero IV, PKCS#7 padding, over UTF-16LE text. The
    // bytes are what <SS> carries base64-encoded. encrypt() returns empty without a session key.
    QByteArray encrypt(QStringView text) const;
    Result<QString> decrypt(QByteArrayView cipherText) const;

private:
    struct PkeyDeleter {
        void operator()(EVP_PKEY *key) const;
    };
    std::unique_ptr<EVP_PKEY, PkeyDeleter> m_rsa;
    std::array<unsigned char, 32> m_aesKey{};
    bool m_hasAesKey = false;
    bool m_isServer = false;

    void wipe();
};

// Protocol 2.4 (both peers): <SS> carries the UTF-16LE text, not encrypted.
QByteArray plainSecureStringBytes(QStringView text);
Result<QString> plainSecureStringText(QByteArrayView utf16le);
// The same as the base64 text inside <SS>.
QString plainSecureStringBase64(QStringView text);
Result<QString> plainSecureStringFromBase64(QStringView base64);

} // namespace Psrp
