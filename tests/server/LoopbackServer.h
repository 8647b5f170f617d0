#pragma once

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

struct ServerConfig {
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 0;
    QString path = QStringLiteral("/wsman");
    bool https = false;
    QSslCertificate certificate;
    QSslKey privateKey;
    QList<QSslCertificate> chain;
    QString user;     // empty: no authentication required
    QString password; // Basic credentials checked against user/password
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
};

// The loopback WinRM endpoint: HTTP/1.1 (keep-alive) or HTTPS on 127.0.0.1, Basic
// authentication, WS-Management shell dispatch to one ShellEngine per shell (simulator, pwsh)
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

    struct Connection;
    struct Shell;

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void handleRequest(QTcpSocket *socket, const QByteArray &head, const QByteArray &body);
    void dispatch(QTcpSocket *socket, const Wsman::ServerRequest &request);
    void sendHttp(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &body,
                  const QList<std::pair<QByteArray, QByteArray>> &extraHeaders = {});
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
    qsizetype m_requests = 0;
};

} // namespace TestServer
