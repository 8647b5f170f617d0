#pragma once

#include "CredSspAcceptor.h"
#include "EndpointSoap.h"

#include "wsman/ServerEnvelope.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <QUrl>

#include <memory>

class QTcpServer;
class QTcpSocket;
class QTimer;

namespace TestServer {

class ShellEngine;
class ReplayEngine;

enum class EngineKind { Simulator, Replay, Pwsh };

// HTTP authentication schemes the endpoint offers (dossier 3.1), in WWW-Authenticate order.
// None: every request is accepted without any Authorization (for a reverse proxy in front that
// authenticates, e.g. Apache with Digest). Certificate: dossier 3.7, the WinRM mutual header
// plus a TLS client certificate verified against ServerConfig::clientCaCertificates.
enum class AuthScheme { Basic, Negotiate, Kerberos, CredSsp, None, Certificate };

struct ServerConfig {
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 0;
    QString path = QStringLiteral("/wsman");
    bool https = false;
    QSslCertificate certificate;
    QSslKey privateKey;
    QList<QSslCertificate> chain;
    // Basic: required when user is set, checked against user/password. Negotiate/Kerberos:
    // always required; when user is set, the GSSAPI peer must be that account ("alice" matches
    // "DOM\alice" and "alice@REALM"; "DOM\alice" must match in full).
    QString user;
    QString password;
    QList<AuthScheme> authSchemes{AuthScheme::Basic};
    // Process-wide settings for the system GSSAPI, put into the environment by listen():
    // NTLM_USER_FILE for gss-ntlmssp ("DOMAIN:user:password" lines) and KRB5_KTNAME.
    QString ntlmUserFile;
    QString keytab;
    // CredSSP (PSRemote's own test acceptor, see CredSspAcceptor.h): the inner TLS certificate and
    // key as PEM (empty: a generated self-signed RSA one), the lowest client TSRequest version
    // accepted; delegated credentials must match an ntlmUserFile account (and `user` when set).
    QByteArray credSspCertificatePem;
    QByteArray credSspKeyPem;
    int credSspMinimumVersion = 2;
    // Certificate (HTTPS only): the TLS server requests a client certificate and accepts it when
    // it chains to one of these CAs (Qt's verification: signature, validity, chain). When
    // certificateUser is set the certificate must also map to that account: "alice" matches a
    // subject CN "alice" or a UPN SAN (otherName 1.3.6.1.4.1.311.20.2.3) "alice@anything";
    // "alice@realm" must equal the UPN or the CN in full (case-insensitive).
    QList<QSslCertificate> clientCaCertificates;
    QString certificateUser;
    // WinRM's AllowUnencrypted: plaintext SOAP on an HTTP connection authenticated with
    // Negotiate/Kerberos is refused unless set (dossier 4.1).
    bool allowUnencrypted = false;
    EngineKind engine = EngineKind::Simulator;
    QString replayFile; // a *.yml recording for EngineKind::Replay
    qint64 maxEnvelopeSize = 512000;       // request bodies over this (UTF-8 bytes) get 413
    qint64 maxOperationTimeoutMs = 60000;  // MaxTimeoutms: caps the client's OperationTimeout
};

// Faults the next requests get; counters count down as they are used.
struct FaultInjection {
    int dropReceives = 0;     // close the TCP connection instead of answering a Receive
    int delayCount = 0;       // delay the next N responses by delayMs
    int delayMs = 0;
    int faultCount = 0;       // answer the next N requests 500 with faultCode
    quint32 faultCode = FaultCodes::SchemaValidation;
    int redirectCount = 0;    // answer the next N requests 302 with redirectLocation
    QString redirectLocation;
    // A network outage: when the request count reaches outageAfter (>= 1), that request's
    // connection and every other one are closed and the port stops listening for outageMs
    // (< 0: until endOutage()); then it listens again on the same port, with the same shells.
    int outageAfter = 0;
    int outageMs = 0;
    // Close the connection instead of answering any request with one of these actions (while set).
    QList<Wsman::Action> dropActions;
    // The answer lost in a drop: the next request with one of these actions (each entry used
    // once) is processed as usual, then its connection is closed instead of answering and an
    // outage of outageMs starts (so an HTTP stack's silent resend fails too). The client cannot
    // know whether the request arrived.
    QList<Wsman::Action> loseAnswers;
};

// The loopback WinRM endpoint: HTTP/1.1 (keep-alive) or HTTPS on 127.0.0.1, Basic, Negotiate
// (SPNEGO or raw NTLMSSP) and Kerberos authentication through the system GSSAPI, and CredSSP
// (this project's own acceptor over OpenSSL + GSSAPI), with WinRM message encryption (one
// GssAcceptor or CredSspAcceptor per TCP connection), WS-Management shell dispatch to one ShellEngine per shell (simulator, pwsh)
// or to a ReplayEngine answering from a recording. Owns its sockets, shells and engines; lives
// on the thread that created it and needs its event loop.
class LoopbackServer : public QObject {
    Q_OBJECT
public:
    explicit LoopbackServer(ServerConfig config, QObject *parent = nullptr);
    ~LoopbackServer() override;

    // Starts listening; false + error (bind failure, bad replay file, TLS without key...).
    bool listen(QString *error);
    QUrl url() const; // http(s)://127.0.0.1:PORT/wsman
    quint16 port() const;

    FaultInjection &faults() { return m_faults; }
    // Forgets a shell (empty id: every shell): later requests for it get 0x8033805B.
    void forgetShell(const QString &shellId = {});
    qsizetype shellCount() const { return m_shells.size(); }
    qsizetype requestCount() const { return m_requests; }
    const ServerConfig &config() const { return m_config; }
    // Completed Negotiate/Kerberos/CredSSP handshakes and encrypted requests served so far.
    qsizetype handshakeCount() const { return m_handshakes; }
    qsizetype encryptedRequestCount() const { return m_encryptedRequests; }
    // Requests that carried the certificate Authorization header with an accepted certificate.
    qsizetype certificateRequestCount() const { return m_certificateRequests; }
    // Closes every client connection (the client must authenticate again on a new one).
    void dropConnections();
    // A network outage now (see FaultInjection::outageMs; < 0: until endOutage()).
    void startOutage(int ms);
    void endOutage();
    bool inOutage() const { return m_outage; }
    qsizetype outageCount() const { return m_outages; }
    // Signals served so far, by code (crtl_c / terminate), and answers lost through loseAnswers.
    qsizetype ctrlCSignalCount() const { return m_ctrlCSignals; }
    qsizetype terminateSignalCount() const { return m_terminateSignals; }
    qsizetype lostAnswerCount() const { return m_lostAnswers; }
    // The WWW-Authenticate values of a 401, one per offered scheme.
    QList<std::pair<QByteArray, QByteArray>> challenges() const;

    struct Connection;
    struct Shell;

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void handleRequest(QTcpSocket *socket, const QByteArray &head, const QByteArray &body);
    void dispatch(QTcpSocket *socket, const Wsman::ServerRequest &request);
    void sendHttp(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &body,
                  const QList<std::pair<QByteArray, QByteArray>> &extraHeaders = {},
                  const QByteArray &contentType = QByteArrayLiteral("application/soap+xml;charset=UTF-8"));
    bool authenticate(QTcpSocket *socket, Connection &connection, const QByteArray &authorization, bool emptyBody);
    bool acceptGss(QTcpSocket *socket, Connection &connection, const QByteArray &scheme, const QByteArray &credentials,
                   bool emptyBody);
    bool acceptCredSsp(QTcpSocket *socket, Connection &connection, const QByteArray &credentials, bool emptyBody);
    bool certificateAccepted(QTcpSocket *socket, QString *why) const;
    bool offers(AuthScheme scheme) const { return m_config.authSchemes.contains(scheme); }
    void sendSoap(QTcpSocket *socket, const QByteArray &xml, int status = 200);
    void sendFault(QTcpSocket *socket, const Wsman::ServerRequest &request, quint32 code, const QString &subcode,
                   const QString &message);
    bool tryAnswerReceive(Connection &connection);
    void checkPendingReceives(const QString &shellId);
    ShellEngine *makeEngine(QString *error);

    ServerConfig m_config;
    QTcpServer *m_server = nullptr;
    FaultInjection m_faults;
    QHash<QTcpSocket *, std::shared_ptr<Connection>> m_connections;
    QHash<QString, std::shared_ptr<Shell>> m_shells; // by upper-case ShellId
    std::unique_ptr<ReplayEngine> m_replay;
    std::shared_ptr<const CredSspTlsIdentity> m_credSspIdentity;
    QList<CredSspAccount> m_credSspAccounts;
    qsizetype m_requests = 0;
    qsizetype m_handshakes = 0;
    qsizetype m_encryptedRequests = 0;
    qsizetype m_certificateRequests = 0;
    bool m_outage = false;
    qsizetype m_outages = 0;
    quint16 m_listenPort = 0;
    QTimer *m_outageTimer = nullptr;
    qsizetype m_ctrlCSignals = 0;
    qsizetype m_terminateSignals = 0;
    qsizetype m_lostAnswers = 0;
    QTcpSocket *m_swallowAnswer = nullptr; // loseAnswers: the request being processed
};

} // namespace TestServer
