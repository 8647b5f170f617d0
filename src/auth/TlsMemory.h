#pragma once

#include "auth/Error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>

struct ssl_ctx_st;
struct ssl_st;

namespace Auth {

// A TLS client over OpenSSL memory BIOs for CredSSP's inner session (dossier 3.6, MS-CSSP
// 3.1.5): TLS 1.2 minimum, no compression, no renegotiation, no session tickets, the SChannel
// interop option bits, and no certificate verification (CredSSP binds the key with pubKeyAuth).
// Records in, records out; never touches a socket. Owns its SSL objects; move-only by pointer.
class TlsMemoryClient {
public:
    static Result<std::unique_ptr<TlsMemoryClient>> create();
    ~TlsMemoryClient();
    TlsMemoryClient(const TlsMemoryClient &) = delete;
    TlsMemoryClient &operator=(const TlsMemoryClient &) = delete;

    // Feeds the peer's records (may be empty) and advances the handshake; returns the records to
    // send (possibly empty). InvalidToken on a TLS alert or malformed record.
    Result<QByteArray> handshake(QByteArrayView incoming);
    bool handshakeComplete() const;

    // Application data -> records, and records -> application data (post-handshake messages
    // such as TLS 1.3 session tickets are consumed silently).
    Result<QByteArray> encrypt(QByteArrayView plaintext);
    Result<QByteArray> decrypt(QByteArrayView records);

    // The server certificate (DER); InvalidState before the handshake produced one.
    Result<QByteArray> peerCertificate() const;
    QString protocolName() const;
    QString cipherName() const;
    // Dossier 4.5 / SChannel cbTrailer for a record carrying `plaintextLength` bytes: TLS 1.3
    // 17, AEAD 16, CBC MAC + padding, stream MAC; Unsupported for an unknown suite.
    Result<int> trailerLength(qsizetype plaintextLength) const;

private:
    TlsMemoryClient() = default;
    QByteArray drainOutgoing();
    Error failure(const QString &what) const;

    ssl_ctx_st *m_context = nullptr;
    ssl_st *m_ssl = nullptr;
};

} // namespace Auth
