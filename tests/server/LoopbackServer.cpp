#include "LoopbackServer.h"

#include "ReplayEngine.h"

#include <QPointer>
#include "ShellEngine.h"
#include "SimulatorEngine.h"
#include "PwshEngine.h"

#include <QCoreApplication>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUuid>

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

namespace {
constexpr qsizetype MaxHeaderBytes = 64 * 1024;
}

struct LoopbackServer::Shell {
    QString id;
    QString resourceUri;
    qint64 idleTimeoutMs = 7200000;
    QString locale;
    QString dataLocale;
    bool disconnected = false; // WS-Man Disconnect until Reconnect/Connect
    std::unique_ptr<ShellEngine> engine;
};

namespace {

Wsman::ShellInfo shellInfo(const LoopbackServer::Shell &shell)
{
    Wsman::ShellInfo info;
    info.shellId = shell.id;
    info.name = u"Runspace"_s;
    info.resourceUri = shell.resourceUri;
    info.owner = u"loopback"_s;
    info.clientIp = u"127.0.0.1"_s;
    info.processId = QCoreApplication::applicationPid();
    info.idleTimeoutMs = shell.idleTimeoutMs;
    info.maxIdleTimeoutMs = 2147483647;
    info.inputStreams = u"stdin pr"_s;
    info.outputStreams = u"stdout"_s;
    info.locale = shell.locale;
    info.dataLocale = shell.dataLocale;
    info.compressionMode = u"NoCompression"_s;
    info.profileLoaded = u"Yes"_s;
    info.encoding = u"UTF8"_s;
    info.bufferMode = u"Block"_s;
    info.state = shell.disconnected ? u"Disconnected"_s : u"Connected"_s;
    return info;
}

} // namespace

struct LoopbackServer::Connection {
    QByteArray buffer;
    bool busy = false; // a request is being answered (HTTP/1.1: one at a time)
    std::optional<Wsman::ServerRequest> receive; // a Receive held open (long poll)
    QString receiveTarget;
    std::unique_ptr<QTimer> receiveTimer;
};

LoopbackServer::LoopbackServer(ServerConfig config, QObject *parent)
    : QObject(parent), m_config(std::move(config))
{
}

LoopbackServer::~LoopbackServer()
{
    for (auto it = m_connections.begin(); it != m_connections.end(); ++it)
        it.key()->disconnect(this);
    m_connections.clear();
    for (auto &shell : m_shells)
        if (shell->engine)
            shell->engine->close();
}

bool LoopbackServer::listen(QString *error)
{
    if (m_config.engine == EngineKind::Replay) {
        m_replay = std::make_unique<ReplayEngine>();
        QString why;
        if (!m_replay->load(m_config.replayFile, &why)) {
            if (error)
                *error = u"replay: "_s + why;
            return false;
        }
    }
    if (m_config.https) {
        if (m_config.certificate.isNull() || m_config.privateKey.isNull()) {
            if (error)
                *error = u"HTTPS needs a certificate and a private key"_s;
            return false;
        }
        auto *ssl = new QSslServer(this);
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificate(m_config.certificate);
        tls.setPrivateKey(m_config.privateKey);
        if (!m_config.chain.isEmpty())
            tls.setLocalCertificateChain(QList<QSslCertificate>{m_config.certificate} + m_config.chain);
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        ssl->setSslConfiguration(tls);
        ssl->setHandshakeTimeout(10000);
        m_server = ssl;
    } else {
        m_server = new QTcpServer(this);
    }
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &LoopbackServer::onNewConnection);
    if (!m_server->listen(m_config.address, m_config.port)) {
        if (error)
            *error = m_server->errorString();
        return false;
    }
    return true;
}

quint16 LoopbackServer::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

QUrl LoopbackServer::url() const
{
    QUrl u;
    u.setScheme(m_config.https ? u"https"_s : u"http"_s);
    u.setHost(m_config.address.toString());
    u.setPort(port());
    u.setPath(m_config.path);
    return u;
}

void LoopbackServer::forgetShell(const QString &shellId)
{
    if (shellId.isEmpty())
        m_shells.clear();
    else
        m_shells.remove(shellId.toUpper());
}

ShellEngine *LoopbackServer::makeEngine(QString *error)
{
    if (m_config.engine == EngineKind::Pwsh) {
        auto *engine = new PwshEngine();
        return engine;
    }
    Q_UNUSED(error);
    return new SimulatorEngine();
}

void LoopbackServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        m_connections.insert(socket, std::make_shared<Connection>());
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_connections.remove(socket);
            socket->deleteLater();
        });
        if (socket->bytesAvailable() > 0)
            onReadyRead(socket);
    }
}

void LoopbackServer::onReadyRead(QTcpSocket *socket)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    auto connection = *it; // keep alive across handlers
    connection->buffer += socket->readAll();
    while (!connection->busy) {
        const qsizetype headerEnd = connection->buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0) {
            if (connection->buffer.size() > MaxHeaderBytes) {
                sendHttp(socket, 431, "Request Header Fields Too Large", {});
                socket->disconnectFromHost();
            }
            return;
        }
        const QByteArray head = connection->buffer.left(headerEnd);
        qint64 length = 0;
        bool chunked = false;
        for (const QByteArray &line : head.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon < 0)
                continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name == "content-length") {
                bool ok = false;
                length = value.toLongLong(&ok);
                if (!ok || length < 0)
                    length = -1;
            } else if (name == "transfer-encoding" && value.toLower() != "identity") {
                chunked = true;
            }
        }
        if (length < 0 || chunked) {
            sendHttp(socket, chunked ? 411 : 400, chunked ? "Length Required" : "Bad Request", {});
            socket->disconnectFromHost();
            connection->buffer.clear();
            return;
        }
        // UTF-16 bodies are up to twice the UTF-8 size of the same envelope.
        if (length > m_config.maxEnvelopeSize * 2) {
            sendHttp(socket, 413, "Request Entity Too Large", {});
            socket->disconnectFromHost();
            connection->buffer.clear();
            return;
        }
        if (connection->buffer.size() < headerEnd + 4 + length)
            return;
        const QByteArray body = connection->buffer.mid(headerEnd + 4, length);
        connection->buffer.remove(0, headerEnd + 4 + length);
        connection->busy = true;
        handleRequest(socket, head, body);
        if (!m_connections.contains(socket))
            return;
    }
}

void LoopbackServer::sendHttp(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &body,
                              const QList<std::pair<QByteArray, QByteArray>> &extraHeaders)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\nServer: psremote-test-server\r\n";
    for (const auto &[name, value] : extraHeaders)
        out += name + ": " + value + "\r\n";
    if (!body.isEmpty())
        out += "Content-Type: application/soap+xml;charset=UTF-8\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;

    auto write = [this, socket = QPointer<QTcpSocket>(socket), out] {
        if (!socket)
            return;
        socket->write(out);
        if (auto it = m_connections.find(socket.data()); it != m_connections.end()) {
            (*it)->busy = false;
            if (!(*it)->buffer.isEmpty())
                QTimer::singleShot(0, this, [this, socket] {
                    if (socket)
                        onReadyRead(socket.data());
                });
        }
    };
    if (m_faults.delayCount > 0 && m_faults.delayMs > 0) {
        --m_faults.delayCount;
        QTimer::singleShot(m_faults.delayMs, this, write);
    } else {
        write();
    }
}

void LoopbackServer::sendSoap(QTcpSocket *socket, const QByteArray &xml, int status)
{
    sendHttp(socket, status, status == 200 ? QByteArray("OK") : QByteArray("Internal Server Error"), xml);
}

void LoopbackServer::sendFault(QTcpSocket *socket, const Wsman::ServerRequest &request, quint32 code,
                               const QString &subcode, const QString &message)
{
    sendSoap(socket, Wsman::buildFaultResponse(request.messageId, endpointFault(code, subcode, message)), 500);
}

void LoopbackServer::handleRequest(QTcpSocket *socket, const QByteArray &head, const QByteArray &body)
{
    ++m_requests;
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    QByteArray authorization;
    QByteArray contentType;
    for (const QByteArray &line : lines) {
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        if (name == "authorization")
            authorization = line.mid(colon + 1).trimmed();
        else if (name == "content-type")
            contentType = line.mid(colon + 1).trimmed().toLower();
    }
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1.")) {
        sendHttp(socket, 400, "Bad Request", {});
        socket->disconnectFromHost();
        return;
    }
    if (requestLine.at(0) != "POST") {
        sendHttp(socket, 405, "Method Not Allowed", {}, {{"Allow", "POST"}});
        return;
    }
    const QString path = QString::fromLatin1(requestLine.at(1)).section(u'?', 0, 0);
    if (path.compare(m_config.path, Qt::CaseInsensitive) != 0) {
        sendHttp(socket, 404, "Not Found", {});
        return;
    }
    if (!m_config.user.isEmpty()) {
        const QByteArray expected = "Basic " + (m_config.user + u':' + m_config.password).toUtf8().toBase64();
        if (authorization != expected) {
            sendHttp(socket, 401, "Unauthorized", {}, {{"WWW-Authenticate", "Basic realm=\"WSMAN\""}});
            return;
        }
    }
    if (m_faults.redirectCount > 0) {
        --m_faults.redirectCount;
        sendHttp(socket, 302, "Found", {}, {{"Location", m_faults.redirectLocation.toUtf8()}});
        return;
    }
    QString charset;
    if (const qsizetype at = contentType.indexOf("charset="); at >= 0)
        charset = QString::fromLatin1(contentType.mid(at + 8)).section(u';', 0, 0).remove(u'"').trimmed();
    const bool utf16 = charset.startsWith(u"utf-16"_s) || body.startsWith("\xff\xfe") || body.startsWith("\xfe\xff");
    if (utf16 && body.size() % 2 != 0) {
        sendHttp(socket, 400, "Bad Request", {});
        return;
    }
    if (Wsman::decodeBody(body, charset).toUtf8().size() > m_config.maxEnvelopeSize) {
        sendHttp(socket, 413, "Request Entity Too Large", {});
        return;
    }
    auto parsed = Wsman::parseServerRequest(body, charset);
    if (!parsed) {
        sendFault(socket, Wsman::ServerRequest{}, FaultCodes::SchemaValidation, u"SchemaValidationError"_s,
                  u"The request is not a WS-Management envelope: "_s + parsed.error().detail);
        return;
    }
    auto request = std::move(parsed.value());
    if (request.maxEnvelopeSize <= 0)
        request.maxEnvelopeSize = 153600;
    if (m_faults.faultCount > 0) {
        --m_faults.faultCount;
        sendFault(socket, request, m_faults.faultCode, u"w:InternalError"_s,
                  u"Injected fault 0x"_s + QString::number(m_faults.faultCode, 16).toUpper());
        return;
    }
    if (request.action == Wsman::Action::Receive && m_faults.dropReceives > 0) {
        --m_faults.dropReceives;
        socket->abort();
        return;
    }
    if (m_replay) {
        const auto reply = m_replay->answer(request);
        if (reply.dropConnection) {
            socket->abort();
            return;
        }
        if (reply.holdReceive) {
            const qint64 timeout = qBound<qint64>(0, request.operationTimeoutMs.value_or(60000), m_config.maxOperationTimeoutMs);
            QTimer::singleShot(static_cast<int>(timeout), this, [this, socket = QPointer<QTcpSocket>(socket), request] {
                if (socket && m_connections.contains(socket.data()))
                    sendFault(socket.data(), request, FaultCodes::OperationTimedOut, u"w:TimedOut"_s,
                              u"The WS-Management service cannot complete the operation within the time specified in OperationTimeout."_s);
            });
            return;
        }
        sendSoap(socket, reply.body, reply.status);
        return;
    }
    dispatch(socket, request);
}

void LoopbackServer::dispatch(QTcpSocket *socket, const Wsman::ServerRequest &request)
{
    const QString shellId = request.shellId.toUpper();
    if (!request.operationTimeoutText.isEmpty() && !request.operationTimeoutMs) {
        sendFault(socket, request, FaultCodes::InvalidHeader, u"InvalidHeader"_s,
                  u"The WS-Management service cannot process a SOAP header in the request: OperationTimeout "_s
                      + request.operationTimeoutText);
        return;
    }
    if (request.action == Wsman::Action::Create) {
        if (!request.resourceUri.startsWith(u"http://schemas.microsoft.com/powershell/"_s, Qt::CaseInsensitive)) {
            sendFault(socket, request, FaultCodes::InvalidResourceUri, u"w:InvalidResourceURI"_s,
                      u"The WS-Management service cannot process the request. The resource URI ("_s
                          + request.resourceUri + u") was not found in the WS-Management catalog."_s);
            return;
        }
        if (request.creationXml.isEmpty()) {
            sendFault(socket, request, FaultCodes::SchemaValidation, u"w:SchemaValidationError"_s,
                      u"Create without rsp:Shell/creationXml"_s);
            return;
        }
        const QString id = shellId.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces).toUpper() : shellId;
        auto shell = std::make_shared<Shell>();
        shell->id = id;
        shell->resourceUri = request.resourceUri;
        QString error;
        shell->engine.reset(makeEngine(&error));
        if (auto *sim = qobject_cast<SimulatorEngine *>(shell->engine.get()))
            sim->setMaxPayload(qMax<qint64>(1024, (request.maxEnvelopeSize - receiveOverhead() - 512) * 3 / 4));
        connect(shell->engine.get(), &ShellEngine::outputAvailable, this, [this, id] { checkPendingReceives(id); });
        error = shell->engine->create(request.creationXml);
        if (!error.isEmpty()) {
            sendFault(socket, request, FaultCodes::SchemaValidation, u"w:SchemaValidationError"_s, error);
            return;
        }
        shell->idleTimeoutMs = request.idleTimeoutMs.value_or(7200000);
        shell->locale = request.locale;
        shell->dataLocale = request.dataLocale;
        m_shells.insert(id, shell);
        sendSoap(socket, Wsman::buildCreateResponse(request, shellInfo(*shell), url().toString()));
        return;
    }
    if (request.action == Wsman::Action::Enumerate) {
        QList<Wsman::ShellInfo> shells;
        for (const auto &shell : std::as_const(m_shells))
            shells.append(shellInfo(*shell));
        sendSoap(socket, Wsman::buildEnumerateResponse(request, shells));
        return;
    }
    if (request.action == Wsman::Action::Get
        && request.resourceUri.compare(ConfigResourceUri, Qt::CaseInsensitive) == 0) {
        sendSoap(socket, buildConfigGetResponse(request, m_config.maxEnvelopeSize / 1024, m_config.maxOperationTimeoutMs));
        return;
    }
    const auto shellIt = m_shells.find(shellId);
    if (shellId.isEmpty() || shellIt == m_shells.end()) {
        sendFault(socket, request, FaultCodes::ShellNotFound, u"w:InvalidSelectors"_s,
                  u"The request for the Windows Remote Shell with ShellId "_s + request.shellId
                      + u" failed because the shell was not found on the server."_s);
        return;
    }
    auto shell = *shellIt;
    ShellEngine &engine = *shell->engine;
    const QString commandId = request.commandId.toUpper();
    if (request.action == Wsman::Action::Get) {
        sendSoap(socket, Wsman::buildGetResponse(request, shellInfo(*shell)));
    } else if (request.action == Wsman::Action::Delete) {
        engine.close();
        m_shells.remove(shellId);
        sendSoap(socket, Wsman::buildDeleteResponse(request));
        checkPendingReceives(shellId);
    } else if (request.action == Wsman::Action::Command) {
        const QString id = commandId.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces).toUpper() : commandId;
        const QString error = engine.command(id, request.arguments);
        if (!error.isEmpty()) {
            sendFault(socket, request, FaultCodes::SchemaValidation, u"w:SchemaValidationError"_s, error);
            return;
        }
        sendSoap(socket, Wsman::buildCommandResponse(request, id));
    } else if (request.action == Wsman::Action::Send) {
        for (const auto &stream : request.streams) {
            const QString error = engine.send(stream.commandId.toUpper(), stream.name == u"pr", stream.data);
            if (!error.isEmpty()) {
                sendFault(socket, request, FaultCodes::SchemaValidation, u"w:SchemaValidationError"_s, error);
                return;
            }
        }
        sendSoap(socket, Wsman::buildSendResponse(request));
    } else if (request.action == Wsman::Action::Signal) {
        engine.signal(commandId, request.signalCode == Wsman::SignalCtrlC);
        sendSoap(socket, Wsman::buildSignalResponse(request));
    } else if (request.action == Wsman::Action::Receive) {
        auto &connection = *m_connections.value(socket);
        connection.receive = request;
        connection.receiveTarget = commandId;
        if (tryAnswerReceive(connection))
            return;
        const qint64 timeout = qBound<qint64>(0, request.operationTimeoutMs.value_or(60000), m_config.maxOperationTimeoutMs);
        connection.receiveTimer = std::make_unique<QTimer>();
        connection.receiveTimer->setSingleShot(true);
        connect(connection.receiveTimer.get(), &QTimer::timeout, this, [this, socket] {
            const auto it = m_connections.find(socket);
            if (it == m_connections.end() || !(*it)->receive)
                return;
            const Wsman::ServerRequest pending = *(*it)->receive;
            (*it)->receive.reset();
            // MS-WSMV: the long poll expired with nothing to send.
            sendFault(socket, pending, FaultCodes::OperationTimedOut, u"w:TimedOut"_s,
                      u"The WS-Management service cannot complete the operation within the time specified in OperationTimeout."_s);
            (*it)->receiveTimer.reset();
        });
        connection.receiveTimer->start(static_cast<int>(timeout));
    } else if (request.action == Wsman::Action::Disconnect) {
        shell->disconnected = true;
        sendSoap(socket, Wsman::buildDisconnectResponse(request));
    } else if (request.action == Wsman::Action::Reconnect) {
        shell->disconnected = false;
        sendSoap(socket, Wsman::buildReconnectResponse(request));
    } else if (request.action == Wsman::Action::Connect) {
        // Pool connect from a new client: connectXml in, connectResponseXml out. A pipeline
        // connect (CommandId, no connectXml) resumes its Receives and answers nothing here.
        QByteArray data;
        if (!request.connectXml.isEmpty()) {
            if (!engine.canConnectPool()) {
                sendFault(socket, request, FaultCodes::SchemaValidation, u"w:ActionNotSupported"_s,
                          u"The loopback endpoint's engine for this shell cannot connect a runspace pool to a new client."_s);
                return;
            }
            const QString error = engine.connectPool(request.connectXml, &data);
            if (!error.isEmpty()) {
                sendFault(socket, request, FaultCodes::SchemaValidation, u"w:SchemaValidationError"_s, error);
                return;
            }
        }
        shell->disconnected = false;
        sendSoap(socket, Wsman::buildConnectResponse(request, data));
    } else {
        sendFault(socket, request, FaultCodes::SchemaValidation, u"w:ActionNotSupported"_s,
                  u"The action is not supported by the loopback endpoint: "_s + request.actionUri);
    }
}

bool LoopbackServer::tryAnswerReceive(Connection &connection)
{
    if (!connection.receive)
        return false;
    const Wsman::ServerRequest &request = *connection.receive;
    QTcpSocket *socket = nullptr;
    for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it)
        if (it->get() == &connection)
            socket = it.key();
    if (!socket)
        return false;
    const auto shellIt = m_shells.find(request.shellId.toUpper());
    const QString &target = connection.receiveTarget;
    auto done = [&] {
        connection.receive.reset();
        connection.receiveTimer.reset();
    };
    if (shellIt == m_shells.end()) {
        const Wsman::ServerRequest copy = request;
        done();
        sendFault(socket, copy, FaultCodes::ShellNotFound, u"w:InvalidSelectors"_s,
                  u"The shell was deleted or forgotten while a Receive waited."_s);
        return true;
    }
    ShellEngine &engine = *(*shellIt)->engine;
    const bool isCommand = !target.isEmpty();
    if (isCommand && !engine.knowsCommand(target)) {
        const Wsman::ServerRequest copy = request;
        done();
        sendFault(socket, copy, FaultCodes::ShellNotFound, u"w:InvalidSelectors"_s,
                  u"No command "_s + target + u" in this shell."_s);
        return true;
    }
    if (!engine.hasOutput(target) && !(isCommand && engine.commandEnded(target)))
        return false;
    // Base64 grows by 4/3; each extra Stream element costs its tag.
    const qsizetype budget = qMax<qsizetype>(64, (request.maxEnvelopeSize - receiveOverhead() - 256) * 3 / 4);
    QByteArray data;
    for (const auto &chunk : engine.takeOutput(target, budget))
        data += chunk;
    QList<Wsman::StreamData> streams;
    if (!data.isEmpty())
        streams.append(Wsman::StreamData{u"stdout"_s, target, data});
    std::optional<Wsman::CommandState> state;
    if (isCommand) {
        const bool ended = engine.commandEnded(target) && !engine.hasOutput(target);
        state = Wsman::CommandState{target, QString(ended ? Wsman::CommandStateDone : Wsman::CommandStateRunning),
                                    ended ? std::optional<qint32>(0) : std::nullopt};
    }
    const QByteArray xml = Wsman::buildReceiveResponse(request, streams, state);
    done();
    sendSoap(socket, xml);
    return true;
}

void LoopbackServer::checkPendingReceives(const QString &shellId)
{
    const auto connections = m_connections.values();
    for (const auto &connection : connections)
        if (connection->receive && connection->receive->shellId.toUpper() == shellId)
            tryAnswerReceive(*connection);
}

} // namespace TestServer
