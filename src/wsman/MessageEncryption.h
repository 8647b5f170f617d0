#pragma once

#include "wsman/Authenticator.h"

#include <QByteArray>
#include <QByteArrayView>

#include <functional>

namespace Wsman {

// One sealed plaintext as WinRM carries it: the security header (NTLM: the 16-byte signature)
// and the encrypted data.
struct SealedPart {
    QByteArray header;
    QByteArray data;
};

// seal(plaintext) -> (header, data); unseal(header, data) -> plaintext. Errors pass through.
using SealFunction = std::function<AuthResult<SealedPart>(QByteArrayView plaintext)>;
using UnsealFunction =
    std::function<AuthResult<QByteArray>(QByteArrayView header, QByteArrayView data)>;

// MS-WSMV 2.2.9.1 (dossier 4.2): the multipart/encrypted body of WinRM message encryption for one
// protocol string. Builds bodies around a seal callback and parses them strictly around an unseal
// callback: boundary lines (also Exchange's "-- Encrypted Boundary"), part headers,
// OriginalContent Length= against the unsealed size, the u32 header length L within bounds, any
// number of part pairs concatenated. Never reads past the end, never allocates what the body
// merely claims. Error codes: InvalidToken for framing, CryptoFailure for a length mismatch (and
// whatever the callbacks report). A plain value; the callbacks are borrowed per call.
class MessageEncryption {
public:
    static constexpr QByteArrayView SpnegoProtocol = "application/HTTP-SPNEGO-session-encrypted";
    static constexpr QByteArrayView KerberosProtocol =
        "application/HTTP-Kerberos-session-encrypted";
    static constexpr QByteArrayView CredSspProtocol = "application/HTTP-CredSSP-session-encrypted";

    explicit MessageEncryption(QByteArray protocol);

    const QByteArray &protocol() const { return m_protocol; }

    // Whether a Content-Type is multipart/encrypted or multipart/x-multi-encrypted.
    static bool isEncryptedContentType(QByteArrayView contentType);

    // maxPartSize > 0 splits the plaintext into parts of at most that size, each sealed on its
    // own, and labels the body multipart/x-multi-encrypted (MS-WSMV 2.2.9.1.3, CredSSP > 16 KiB).
    AuthResult<WrappedMessage> encrypt(QByteArrayView plaintext, QByteArrayView soapContentType,
                                       const SealFunction &seal, qsizetype maxPartSize = 0) const;

    // Returns the concatenated plaintext and the original content type of the first part.
    AuthResult<WrappedMessage> decrypt(QByteArrayView body, QByteArrayView contentType,
                                       const UnsealFunction &unseal) const;

    // An authenticator's wrap() and unwrap() around encrypt() and decrypt(). With `enabled` false
    // (HTTPS, or NoEncryption) bodies pass through and an encrypted answer is refused. Enabled,
    // nothing is sealed or unsealed before the context is `established`, and a plaintext answer
    // is refused, so an attacker cannot strip the encryption.
    AuthResult<WrappedMessage> wrapBody(bool enabled, bool established, const QByteArray &plaintext,
                                        const QByteArray &soapContentType, const SealFunction &seal,
                                        qsizetype maxPartSize = 0) const;
    AuthResult<WrappedMessage> unwrapBody(bool enabled, bool established, const QByteArray &body,
                                          const QByteArray &contentType,
                                          const UnsealFunction &unseal) const;

private:
    QByteArray m_protocol;
};

} // namespace Wsman
