#pragma once

#include "wsman/MessageEncryption.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <functional>
#include <memory>

struct ssl_st;
struct ssl_ctx_st;
struct x509_st;
struct evp_pkey_st;

namespace TestServer {

// How the endpoint labels this code in its log and --help.
inline constexpr char CredSspLabel[] =
    "CredSSP acceptor: PSRemote's own test code (no CredSSP acceptor is packaged for Linux)";

// The inner-TLS server identity of the CredSSP acceptor: an OpenSSL server context with an RSA
// key and a certificate (self-signed and generated, or given as PEM). Immutable once built and
// shared by every connection's acceptor through a shared_ptr.
class CredSspTlsIdentity {
public:
    // A fresh RSA-2048 key and self-signed certificate (CN=psremote-test-server CredSSP).
    static Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> generate();
    // The process-wide generated identity (built once; RSA key generation is slow).
    static Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> shared();
    static Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> fromPem(QByteArrayView certificatePem,
                                                                                QByteArrayView keyPem);
    ~CredSspTlsIdentity();
    CredSspTlsIdentity(const CredSspTlsIdentity &) = delete;
    CredSspTlsIdentity &operator=(const CredSspTlsIdentity &) = delete;

    ssl_ctx_st *context() const { return m_context; }
    const QByteArray &certificateDer() const { return m_certificateDer; }
    // MS-CSSP 3.1.5: the certificate's SubjectPublicKey bits, what pubKeyAuth binds.
    const QByteArray &subjectPublicKey() const { return m_subjectPublicKey; }

private:
    CredSspTlsIdentity() = default;
    static Wsman::AuthResult<std::shared_ptr<const CredSspTlsIdentity>> build(x509_st *certificate, evp_pkey_st *key);

    ssl_ctx_st *m_context = nullptr;
    QByteArray m_certificateDer;
    QByteArray m_subjectPublicKey;
};

// One account the acceptor checks delegated credentials against (an NTLM_USER_FILE line).
struct CredSspAccount {
    QString domain;
    QString user;
    QString password;
};

// "DOMAIN:user:password" lines (gss-ntlmssp's NTLM_USER_FILE format); unreadable: empty.
QList<CredSspAccount> readNtlmUserFile(const QString &path);

// The loopback endpoint's CredSSP acceptor (MS-CSSP 3.1.5, server side) - PSRemote's own test
// code: no CredSSP acceptor is packaged for Linux. For one TCP connection: an OpenSSL server TLS
// session over memory BIOs carries TSRequests (auth/CredSsp.h codec); their SPNEGO negoTokens go
// to an inner GSSAPI acceptor context (NTLM through gss-ntlmssp, or Kerberos with the keytab in
// KRB5_KTNAME; CredSSP fields are GSS_Wrap tokens of either); the client's pubKeyAuth is checked against the
// TLS certificate's key and answered; the delegated TSCredentials must name an account of the
// user file with its password (and pass `peerAllowed`). Failures are answered with a
// TSRequest.errorCode (0xC000006D logon failure). Then WinRM message sealing through the same
// TLS session (dossier 4.5). Owns its TLS session and inner context; not copyable; not
// thread-safe.
class CredSspAcceptor {
public:
    enum class Step { Continue, Complete, Failed };
    struct Result {
        Step step = Step::Failed;
        QByteArray token; // raw TLS records to send back (may be empty); on Failed an errorCode answer
        QString error;    // Failed: why
    };
    struct Settings {
        std::shared_ptr<const CredSspTlsIdentity> identity;
        QList<CredSspAccount> accounts;
        // Extra check of the authenticated "DOMAIN\user" (ServerConfig::user); null: any.
        std::function<bool(const QString &account)> peerAllowed;
        int minimumVersion = 2; // lowest client TSRequest version accepted
    };
    static constexpr quint32 StatusLogonFailure = 0xC000006D;
    static constexpr quint32 StatusNotSupported = 0xC00000BB;
    // The TSRequest version this acceptor announces (MS-CSSP 2.2.1).
    static constexpr int Version = 6;
    // Plaintext per sealed part: one TLS record (MS-WSMV 2.2.9.1.3, dossier 4.5).
    static constexpr qsizetype MaxPartSize = 16384;

    explicit CredSspAcceptor(Settings settings);
    ~CredSspAcceptor();
    CredSspAcceptor(const CredSspAcceptor &) = delete;
    CredSspAcceptor &operator=(const CredSspAcceptor &) = delete;

    // One leg: the decoded "Authorization: CredSSP" payload (TLS records) in, records out.
    Result accept(QByteArrayView records);
    bool isComplete() const { return m_stage == Stage::Complete; }
    // The inner GSSAPI peer ("DOMAIN\user", or "user@REALM" for Kerberos) and the delegated
    // account ("DOMAIN\user").
    const QString &peerName() const { return m_peer; }
    const QString &delegatedUser() const { return m_delegatedUser; }
    // The inner mechanism once complete: "NTLM" or "Kerberos" (empty before).
    const QString &innerMechanism() const { return m_mechanism; }
    int clientVersion() const { return m_clientVersion; }
    QString tlsProtocol() const;
    QString tlsCipher() const;

    // Dossier 4.5: header = the first trailer-length bytes of the TLS record, data = the rest;
    // unseal feeds header || data back into the TLS session.
    Wsman::AuthResult<Wsman::SealedPart> seal(QByteArrayView plaintext);
    Wsman::AuthResult<QByteArray> unseal(QByteArrayView header, QByteArrayView data);

private:
    struct InnerContext;
    enum class Stage { Handshake, Negotiate, PubKeyAuth, Credentials, Complete, Failed };
    Result fail(const QString &why, quint32 status);
    bool processRequest(QByteArrayView der, QString *error, quint32 *status);
    bool verifyPubKeyAuth(QByteArrayView wrapped, const QByteArray &nonce, QString *error);
    bool checkCredentials(QByteArrayView wrapped, QString *error);
    QByteArray unwrapInner(QByteArrayView token, QString *error);
    QByteArray wrapInner(QByteArrayView plaintext, QString *error);
    bool writeRequest(const QByteArray &der);
    QByteArray drainOutput();
    qsizetype trailerLength() const;

    Settings m_settings;
    ssl_st *m_ssl = nullptr;
    std::unique_ptr<InnerContext> m_gss;
    Stage m_stage = Stage::Handshake;
    QByteArray m_inbox; // decrypted application data not yet parsed as a TSRequest
    QString m_peer;
    QString m_delegatedUser;
    QString m_mechanism;
    int m_clientVersion = 0;
};

} // namespace TestServer
