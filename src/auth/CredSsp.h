#pragma once

#include "auth/CryptoProvider.h"
#include "auth/Error.h"
#include "auth/Spnego.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <memory>
#include <optional>

namespace Auth {

class TlsMemoryClient;

// MS-CSSP 2.2.1 structures and their DER form (shared by the client below and the test
// endpoint's acceptor). The codec is strict: definite lengths only, fields in schema order and
// at most once, no unknown fields, no trailing bytes, every length checked against the input;
// anything else is ErrorCode::InvalidToken. Nothing is allocated beyond the input's own size.
namespace CredSsp {

// The highest TSRequest version spoken here (MS-CSSP 2.2.1: 6 = errorCode + CVE-2018-0886 nonce).
inline constexpr int HighestVersion = 6;
// Inputs larger than this are refused before parsing.
inline constexpr qsizetype MaxTokenSize = 64 * 1024;
inline constexpr int MaxNegoTokens = 8;
// MS-CSSP 2.2.1.2: TSCredentials.credType 1 = TSPasswordCreds.
inline constexpr int PasswordCredType = 1;
// MS-CSSP 3.1.5: clientNonce is 32 random bytes.
inline constexpr qsizetype NonceSize = 32;

// MS-CSSP 2.2.1 TSRequest. Absent optionals are not encoded; negoTokens is omitted when empty.
struct TsRequest {
    int version = HighestVersion;          // [0] INTEGER
    QList<QByteArray> negoTokens;          // [1] NegoData: SEQUENCE OF SEQUENCE { [0] OCTET STRING }
    std::optional<QByteArray> authInfo;    // [2] OCTET STRING (wrapped TSCredentials)
    std::optional<QByteArray> pubKeyAuth;  // [3] OCTET STRING
    std::optional<quint32> errorCode;      // [4] INTEGER, an NTSTATUS (v3+), encoded as signed 32-bit
    std::optional<QByteArray> clientNonce; // [5] OCTET STRING (v5+)
};

// MS-CSSP 2.2.1.2.1 TSPasswordCreds: the UTF-16LE bytes exactly as on the wire (possibly empty).
struct TsPasswordCreds {
    QByteArray domainName; // [0] OCTET STRING
    QByteArray userName;   // [1] OCTET STRING
    QByteArray password;   // [2] OCTET STRING
};

// MS-CSSP 2.2.1.2 TSCredentials: credentials holds the DER of the structure credType names
// (TSPasswordCreds for PasswordCredType).
struct TsCredentials {
    int credType = PasswordCredType; // [0] INTEGER
    QByteArray credentials;          // [1] OCTET STRING
};

QByteArray encodeTsRequest(const TsRequest &request);
Result<TsRequest> decodeTsRequest(QByteArrayView der);
QByteArray encodeTsCredentials(const TsCredentials &credentials);
Result<TsCredentials> decodeTsCredentials(QByteArrayView der);
QByteArray encodeTsPasswordCreds(const TsPasswordCreds &creds);
Result<TsPasswordCreds> decodeTsPasswordCreds(QByteArrayView der);

// UTF-16LE of text (TSPasswordCreds fields) and back (InvalidToken on an odd length).
QByteArray utf16le(QStringView text);
Result<QString> fromUtf16le(QByteArrayView bytes);

// MS-CSSP 3.1.5 (v5+): SHA256("CredSSP Client-To-Server Binding Hash\0" || nonce || key) and the
// Server-To-Client counterpart. subjectPublicKey: the certificate's SubjectPublicKey bits (for
// RSA the PKCS#1 RSAPublicKey DER).
Result<QByteArray> clientToServerHash(QByteArrayView nonce, QByteArrayView subjectPublicKey);
Result<QByteArray> serverToClientHash(QByteArrayView nonce, QByteArrayView subjectPublicKey);
// MS-CSSP 3.1.5 (v2-v4): the server proves the key by answering it with its first byte + 1.
QByteArray incrementFirstByte(QByteArrayView subjectPublicKey);
// The SubjectPublicKey BIT STRING contents of an X.509 certificate (DER); InvalidArgument if unusable.
Result<QByteArray> subjectPublicKey(QByteArrayView certificateDer);

// "STATUS_LOGON_FAILURE (the user name or password is incorrect)" style text for the NTSTATUS
// values a CredSSP server reports; a generic text for others.
QString ntStatusName(quint32 status);
// CredentialsRejected for logon failures (bad password, unknown user, locked/expired account),
// InvalidToken otherwise; the detail carries 0xXXXXXXXX and the plain name.
Error errorForStatus(quint32 status);

} // namespace CredSsp

// What a CredSspClient is built from besides the inner context and the password.
struct CredSspClientOptions {
    // "DOMAIN\user" (split into TSPasswordCreds domainName/userName) or "user@domain" / "user"
    // (sent whole as userName, empty domain).
    QString userName;
    // Lowest TSRequest version accepted from the server (5 insists on the CVE-2018-0886 fix).
    int minimumVersion = 2;
    // clientNonce bytes; the shared CryptoProvider's DRBG when unset.
    RandomSource random;
};

// The CredSSP initiator (MS-CSSP 3.1.5) over an inner TLS session on memory BIOs: step() takes
// the server's raw TLS records (the decoded "WWW-Authenticate: CredSSP" payload) and returns the
// next records to send; first the TLS handshake, then TSRequests carrying SPNEGO tokens, the
// pubKeyAuth proof binding the server's TLS key, the server's proof (checked: a mismatch is
// "possible man in the middle"), and finally authInfo with the user's password. Delegating the
// password is the caller's decision: only build one with the user's consent. The password is
// held until authInfo is built, then wiped. Owns its SpnegoClient and TLS session. Sans-IO;
// move-only; not thread-safe.
class CredSspClient {
public:
    static Result<CredSspClient> create(CredSspClientOptions options, SpnegoClient inner,
                                        QByteArrayView passwordUtf8);
    CredSspClient(CredSspClient &&) noexcept;
    CredSspClient &operator=(CredSspClient &&) noexcept;
    CredSspClient(const CredSspClient &) = delete;
    CredSspClient &operator=(const CredSspClient &) = delete;
    ~CredSspClient();

    // First call: empty input, returns the ClientHello. Later: the server's token. Returns the
    // next token (never empty before completion). A TSRequest.errorCode fails with
    // CredSsp::errorForStatus; any failure is final.
    Result<QByteArray> step(QByteArrayView inputToken);
    // True once authInfo was produced (the last client token).
    bool isComplete() const { return m_state == State::Complete; }
    // min(HighestVersion, server's) once the server's first TSRequest arrived; 0 before.
    int negotiatedVersion() const { return m_version; }
    // The inner SPNEGO context (its mechanism name and diagnostics).
    const SpnegoClient &inner() const { return m_inner; }
    // "TLSv1.3" / cipher suite name of the inner TLS session once the handshake completed.
    QString tlsProtocol() const;
    QString tlsCipher() const;

    // TLS-encrypt / decrypt application data once complete.
    Result<QByteArray> wrap(QByteArrayView plaintext);
    Result<QByteArray> unwrap(QByteArrayView records);
    // WinRM message encryption (dossier 4.5): header = the first L bytes of the TLS record(s)
    // with L the negotiated suite's trailer length for this plaintext, data = the rest;
    // unwrapWinrm feeds header || data back into TLS.
    Result<WrappedMessage> wrapWinrm(QByteArrayView plaintext);
    Result<QByteArray> unwrapWinrm(QByteArrayView header, QByteArrayView data);

private:
    enum class State { Initial, Handshake, Negotiating, AwaitingPubKeyAuth, Complete, Failed };
    CredSspClient(CredSspClientOptions options, SpnegoClient inner);
    Result<QByteArray> advance(QByteArrayView inputToken);
    Result<QByteArray> startNegotiation(QByteArray pendingHandshake);
    Result<QByteArray> negotiate(const CredSsp::TsRequest &request);
    Result<QByteArray> checkServerProof(const CredSsp::TsRequest &request);
    Result<QByteArray> sendRequest(const CredSsp::TsRequest &request);
    Result<CredSsp::TsRequest> receiveRequest(QByteArrayView inputToken);
    Result<QByteArray> expectedServerProof() const;
    void wipeSecrets();

    CredSspClientOptions m_options;
    SpnegoClient m_inner;
    std::unique_ptr<TlsMemoryClient> m_tls;
    QByteArray m_passwordUtf16;
    QByteArray m_nonce;
    QByteArray m_serverKey;
    int m_version = 0;
    State m_state = State::Initial;
};

} // namespace Auth
