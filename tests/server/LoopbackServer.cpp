#include "LoopbackServer.h"

#include "CredSspAcceptor.h"
#include "GssAcceptor.h"
#include "PwshEngine.h"
#include "ReplayEngine.h"
#include "ShellEngine.h"
#include "SimulatorEngine.h"

#include "wsman/CertificateAuthenticator.h"
#include "wsman/MessageEncryption.h"

#include <QCoreApplication>
#include <QFile>
#include <QPointer>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUuid>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

namespace {
constexpr qsizetype MaxHeaderBytes = 64 * 1024;
constexpr QByteArrayView SoapUtf8 = "application/soap+xml;charset=UTF-8";

// ServerConfig::user against a GSSAPI peer name ("DOM\user" from NTLM, "user@REALM" from Kerberos).
bool userMatches(const QString &expected, const QString &peer)
{
    if (expected.isEmpty())
        return true;
    if (expected.contains(u'\\') || expected.contains(u'@'))
        return expected.compare(peer, Qt::CaseInsensitive) == 0;
    const QString account = peer.section(u'\\', -1).section(u'@', 0, 0);
    return expected.compare(account, Qt::CaseInsensitive) == 0;
}

// The UPNs in the certificate's subjectAltName (otherName 1.3.6.1.4.1.311.20.2.3, UTF8String),
// which WinRM's certificate mapping uses to find the account.
QStringList userPrincipalNames(const QSslCertificate &certificate)
{
    QStringList names;
    const QByteArray der = certificate.toDer();
    const auto *data = reinterpret_cast<const unsigned char *>(der.constData());
    X509 *x509 = d2i_X509(nullptr, &data, der.size());
    if (!x509)
        return names;
    auto *alternatives = static_cast<GENERAL_NAMES *>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr));
    ASN1_OBJECT *upnOid = OBJ_txt2obj("1.3.6.1.4.1.311.20.2.3", 1);
    for (int i = 0; alternatives && upnOid && i < sk_GENERAL_NAME_num(alternatives); ++i) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(alternatives, i);
        if (name->type != GEN_OTHERNAME || OBJ_cmp(name->d.otherName->type_id, upnOid) != 0)
            continue;
        const ASN1_TYPE *value = name->d.otherName->value;
        if (value && value->type == V_ASN1_UTF8STRING)
            names.append(QString::fromUtf8(reinterpret_cast<const char *>(ASN1_STRING_get0_data(value->value.utf8string)),
                                           ASN1_STRING_length(value->value.utf8string)));
    }
    ASN1_OBJECT_free(upnOid);
    GENERAL_NAMES_free(alternatives);
    X509_free(x509);
    return names;
}

// ServerConfig::certificateUser against the certificate's CN and UPNs.
bool certificateMapsTo(const QString &expected, const QSslCertificate &certificate)
{
    if (expected.isEmpty())
        return true;
    for (const QString &cn : certificate.subjectInfo(QSslCertificate::CommonName))
        if (expected.compare(cn, Qt::CaseInsensitive) == 0)
            return true;
    for (const QString &upn : userPrincipalNames(certificate)) {
        if (expected.compare(upn, Qt::CaseInsensitive) == 0)
            return true;
        if (!expected.contains(u'@') && expected.compare(upn.section(u'@', 0, 0), Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}
} // namespace

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
    // Negotiate/Kerberos: the security context bound to this connection (dossier 3.1).
    std::unique_ptr<GssAcceptor> gss;
    QByteArray gssScheme;        // "Negotiate", "Kerberos" or "CredSSP"
    // CredSSP: this connection's acceptor (its inner TLS session seals the messages).
    std::unique_ptr<CredSspAcceptor> credSsp;
    bool gssAuthenticated = false;
    QByteArray finalToken;       // the last acceptor token, for the next 2xx
    bool encrypted = false;      // the request being answered came encrypted: seal the answer
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
    if (!m_config.ntlmUserFile.isEmpty())
        qputenv("NTLM_USER_FILE", QFile::encodeName(m_config.ntlmUserFile));
    if (!m_config.keytab.isEmpty())
        qputenv("KRB5_KTNAME", QFile::encodeName(m_config.keytab));
    if (offers(AuthScheme::CredSsp)) {
        auto identity = m_config.credSspCertificatePem.isEmpty()
                            ? CredSspTlsIdentity::shared()
                            : CredSspTlsIdentity::fromPem(m_config.credSspCertificatePem, m_config.credSspKeyPem);
        if (!identity) {
            if (error)
                *error = u"CredSSP: "_s + identity.error().detail;
            return false;
        }
        m_credSspIdentity = identity.value();
        m_credSspAccounts = readNtlmUserFile(m_config.ntlmUserFile);
    }
    if (m_config.engine == EngineKind::Replay) {
        m_replay = std::make_unique<ReplayEngine>();
        QString why;
        if (!m_replay->load(m_config.replayFile, &why)) {
            if (error)
                *error = u"replay: "_s + why;
            return false;
        }
    }
    if (offers(AuthScheme::Certificate) && (!m_config.https || m_config.clientCaCertificates.isEmpty())) {
        if (error)
            *error = u"certificate authentication needs HTTPS and the client CA certificates"_s;
        return false;
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
        if (offers(AuthScheme::Certificate)) {
            // Request a client certificate but finish the handshake without one: WinRM answers
            // a missing or refused certificate with HTTP 401, not a TLS alert (see authenticate()).
            tls.setPeerVerifyMode(QSslSocket::QueryPeer);
            tls.setCaCertificates(m_config.clientCaCertificates);
        } else {
            tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        }
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
    m_listenPort = m_server->serverPort();
    return true;
}

void LoopbackServer::startOutage(int ms)
{
    if (!m_server)
        return;
    ++m_outages;
    m_outage = true;
    m_server->close();
    dropConnections();
    if (!m_outageTimer) {
        m_outageTimer = new QTimer(this);
        m_outageTimer->setSingleShot(true);
        connect(m_outageTimer, &QTimer::timeout, this, &LoopbackServer::endOutage);
    }
    m_outageTimer->stop();
    if (ms >= 0)
        m_outageTimer->start(ms);
}

void LoopbackServer::endOutage()
{
    if (!m_outage || !m_server)
        return;
    m_outage = false;
    if (m_outageTimer)
        m_outageTimer->stop();
    // Same port: the client comes back to the URL it knows.
    if (!m_server->listen(m_config.address, m_listenPort))
        qWarning("psremote-test-server: cannot listen again after the outage: %s", qPrintable(m_server->errorString()));
}

quint16 LoopbackServer::port() const
{
    return m_listenPort;
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

void LoopbackServer::dropConnections()
{
    const auto sockets = m_connections.keys();
    for (QTcpSocket *socket : sockets)
        socket->abort();
}

QList<std::pair<QByteArray, QByteArray>> LoopbackServer::challenges() const
{
    QList<std::pair<QByteArray, QByteArray>> list;
    for (AuthScheme scheme : m_config.authSchemes) {
        switch (scheme) {
        case AuthScheme::Negotiate:
            list.append(std::pair<QByteArray, QByteArray>("WWW-Authenticate", "Negotiate"));
            break;
        case AuthScheme::Kerberos:
            list.append(std::pair<QByteArray, QByteArray>("WWW-Authenticate", "Kerberos"));
            break;
        case AuthScheme::CredSsp:
            list.append(std::pair<QByteArray, QByteArray>("WWW-Authenticate", "CredSSP"));
            break;
        case AuthScheme::Basic:
            list.append(std::pair<QByteArray, QByteArray>("WWW-Authenticate", "Basic realm=\"WSMAN\""));
            break;
        case AuthScheme::None:
        case AuthScheme::Certificate:
            break;
        }
    }
    return list;
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
                              const QList<std::pair<QByteArray, QByteArray>> &extraHeaders,
                              const QByteArray &contentType)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\nServer: psremote-test-server\r\n";
    for (const auto &[name, value] : extraHeaders)
        out += name + ": " + value + "\r\n";
    if (status >= 200 && status < 300) {
        // Dossier 3.1: the final acceptor token (mutual authentication) rides on the 2xx.
        if (auto it = m_connections.find(socket); it != m_connections.end() && !(*it)->finalToken.isEmpty()) {
            out += "WWW-Authenticate: " + (*it)->gssScheme + ' ' + (*it)->finalToken.toBase64() + "\r\n";
            (*it)->finalToken.clear();
        }
    }
    if (!body.isEmpty())
        out += "Content-Type: " + contentType + "\r\n";
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
    if (socket == m_swallowAnswer)
        return; // FaultInjection::loseAnswers: processed, never answered
    const QByteArray reason = status == 200 ? QByteArray("OK") : QByteArray("Internal Server Error");
    const auto it = m_connections.find(socket);
    if (it != m_connections.end() && (*it)->encrypted && (*it)->credSsp) {
        // Dossier 4.5: TLS records of the CredSSP session, one part per 16 KiB of plaintext.
        CredSspAcceptor &credSsp = *(*it)->credSsp;
        const Wsman::MessageEncryption encryption(Wsman::MessageEncryption::CredSspProtocol.toByteArray());
        auto wrapped = encryption.encrypt(
            xml, SoapUtf8, [&credSsp](QByteArrayView part) { return credSsp.seal(part); }, CredSspAcceptor::MaxPartSize);
        if (!wrapped) {
            qWarning("psremote-test-server: cannot seal a CredSSP response: %s", qPrintable(wrapped.error().detail));
            socket->abort();
            return;
        }
        sendHttp(socket, status, reason, wrapped.value().body, {}, wrapped.value().contentType);
        return;
    }
    if (it != m_connections.end() && (*it)->encrypted && (*it)->gss) {
        // MS-WSMV 2.2.9.1: answers to encrypted requests (faults included) are sealed in kind.
        Connection &connection = **it;
        const Wsman::MessageEncryption encryption(connection.gssScheme == "Kerberos"
                                                      ? Wsman::MessageEncryption::KerberosProtocol.toByteArray()
                                                      : Wsman::MessageEncryption::SpnegoProtocol.toByteArray());
        auto wrapped = encryption.encrypt(xml, SoapUtf8, [&connection](QByteArrayView part) {
            return connection.gss->seal(part);
        });
        if (!wrapped) {
            qWarning("psremote-test-server: cannot seal a response: %s", qPrintable(wrapped.error().detail));
            socket->abort();
            return;
        }
        sendHttp(socket, status, reason, wrapped.value().body, {}, wrapped.value().contentType);
        return;
    }
    sendHttp(socket, status, reason, xml);
}

bool LoopbackServer::authenticate(QTcpSocket *socket, Connection &connection, const QByteArray &authorization,
                                  bool emptyBody)
{
    if (offers(AuthScheme::None))
        return true;
    const bool gssOffered = offers(AuthScheme::Negotiate) || offers(AuthScheme::Kerberos) || offers(AuthScheme::CredSsp);
    if (!gssOffered && !offers(AuthScheme::Certificate) && m_config.user.isEmpty())
        return true;
    if (offers(AuthScheme::Certificate)
        && QByteArrayView(authorization).compare(Wsman::CertificateAuthScheme, Qt::CaseInsensitive) == 0) {
        // Dossier 3.7: the header asks for the certificate of the TLS handshake to be mapped.
        // A real WinRM answers a missing, untrusted or unmapped certificate with HTTP 401 (the
        // TLS handshake itself succeeds): pywinrm raises "the specified credentials were rejected
        // by the server" only for a 401, and that is what its certificate transport reports in
        // diyan/pywinrm#311 and ansible/ansible#65794 (certificate not mapped / CA not trusted).
        QString why;
        if (certificateAccepted(socket, &why)) {
            ++m_certificateRequests;
            return true;
        }
        qDebug("psremote-test-server: client certificate refused: %s", qPrintable(why));
        sendHttp(socket, 401, "Unauthorized", {}, challenges());
        return false;
    }
    const qsizetype space = authorization.indexOf(' ');
    const QByteArray scheme = (space < 0 ? authorization : authorization.left(space)).toLower();
    const QByteArray credentials = space < 0 ? QByteArray() : authorization.mid(space + 1).trimmed();
    if (scheme == "basic" && offers(AuthScheme::Basic) && !m_config.user.isEmpty()) {
        connection.gss.reset();
        connection.credSsp.reset();
        connection.gssAuthenticated = false;
        const QByteArray expected = (m_config.user + u':' + m_config.password).toUtf8().toBase64();
        if (credentials == expected)
            return true;
    } else if ((scheme == "negotiate" && offers(AuthScheme::Negotiate))
               || (scheme == "kerberos" && offers(AuthScheme::Kerberos))) {
        return acceptGss(socket, connection, scheme == "kerberos" ? QByteArray("Kerberos") : QByteArray("Negotiate"),
                         credentials, emptyBody);
    } else if (scheme == "credssp" && offers(AuthScheme::CredSsp)) {
        return acceptCredSsp(socket, connection, credentials, emptyBody);
    } else if (authorization.isEmpty() && connection.gssAuthenticated) {
        return true; // dossier 3.1: the context is bound to this connection
    }
    sendHttp(socket, 401, "Unauthorized", {}, challenges());
    return false;
}

bool LoopbackServer::certificateAccepted(QTcpSocket *socket, QString *why) const
{
    const auto *ssl = qobject_cast<const QSslSocket *>(socket);
    if (!ssl || !ssl->isEncrypted()) {
        *why = u"not a TLS connection"_s;
        return false;
    }
    const QSslCertificate peer = ssl->peerCertificate();
    if (peer.isNull()) {
        *why = u"the client presented no certificate"_s;
        return false;
    }
    if (const auto errors = ssl->sslHandshakeErrors(); !errors.isEmpty()) {
        *why = u"the certificate does not verify against the client CA: "_s + errors.first().errorString();
        return false;
    }
    if (!certificateMapsTo(m_config.certificateUser, peer)) {
        *why = u"the certificate does not map to "_s + m_config.certificateUser;
        return false;
    }
    return true;
}

bool LoopbackServer::acceptGss(QTcpSocket *socket, Connection &connection, const QByteArray &scheme,
                               const QByteArray &credentials, bool emptyBody)
{
    const auto decoded = QByteArray::fromBase64Encoding(credentials, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty()) {
        connection.gss.reset();
        connection.gssAuthenticated = false;
        sendHttp(socket, 401, "Unauthorized", {}, challenges());
        return false;
    }
    if (!connection.gss || connection.gss->isComplete() || connection.gssScheme != scheme) {
        // A new handshake on this connection replaces any earlier context.
        connection.credSsp.reset();
        connection.gss = std::make_unique<GssAcceptor>();
        connection.gssScheme = scheme;
        connection.gssAuthenticated = false;
        connection.finalToken.clear();
    }
    const GssAcceptor::Result result = connection.gss->accept(decoded.decoded);
    if (result.step == GssAcceptor::Step::Continue) {
        sendHttp(socket, 401, "Unauthorized", {}, {{"WWW-Authenticate", scheme + ' ' + result.token.toBase64()}});
        return false;
    }
    if (result.step == GssAcceptor::Step::Failed || !userMatches(m_config.user, connection.gss->peerName())) {
        connection.gss.reset();
        sendHttp(socket, 401, "Unauthorized", {}, challenges());
        return false;
    }
    ++m_handshakes;
    connection.gssAuthenticated = true;
    connection.finalToken = result.token;
    if (emptyBody) {
        // Dossier 4.6: the empty-body handshake request ends with a bare 200.
        sendHttp(socket, 200, "OK", {});
        return false;
    }
    return true;
}

bool LoopbackServer::acceptCredSsp(QTcpSocket *socket, Connection &connection, const QByteArray &credentials,
                                   bool emptyBody)
{
    const auto decoded = QByteArray::fromBase64Encoding(credentials, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty()) {
        connection.credSsp.reset();
        connection.gssAuthenticated = false;
        sendHttp(socket, 401, "Unauthorized", {}, challenges());
        return false;
    }
    if (!connection.credSsp || connection.credSsp->isComplete() || connection.gssScheme != "CredSSP") {
        // A new handshake on this connection replaces any earlier context.
        CredSspAcceptor::Settings settings;
        settings.identity = m_credSspIdentity;
        settings.accounts = m_credSspAccounts;
        settings.minimumVersion = m_config.credSspMinimumVersion;
        if (!m_config.user.isEmpty())
            settings.peerAllowed = [expected = m_config.user](const QString &peer) { return userMatches(expected, peer); };
        connection.gss.reset();
        connection.credSsp = std::make_unique<CredSspAcceptor>(std::move(settings));
        connection.gssScheme = "CredSSP";
        connection.gssAuthenticated = false;
        connection.finalToken.clear();
    }
    const CredSspAcceptor::Result result = connection.credSsp->accept(decoded.decoded);
    if (result.step == CredSspAcceptor::Step::Continue) {
        sendHttp(socket, 401, "Unauthorized", {}, {{"WWW-Authenticate", "CredSSP " + result.token.toBase64()}});
        return false;
    }
    if (result.step == CredSspAcceptor::Step::Failed) {
        qDebug("psremote-test-server: CredSSP refused: %s", qPrintable(result.error));
        connection.credSsp.reset();
        // MS-CSSP 2.2.1: a TSRequest.errorCode (e.g. logon failure) goes back inside the TLS session.
        if (!result.token.isEmpty())
            sendHttp(socket, 401, "Unauthorized", {}, {{"WWW-Authenticate", "CredSSP " + result.token.toBase64()}});
        else
            sendHttp(socket, 401, "Unauthorized", {}, challenges());
        return false;
    }
    ++m_handshakes;
    connection.gssAuthenticated = true;
    connection.finalToken = result.token;
    if (emptyBody) {
        sendHttp(socket, 200, "OK", {});
        return false;
    }
    return true;
}

void LoopbackServer::sendFault(QTcpSocket *socket, const Wsman::ServerRequest &request, quint32 code,
                               const QString &subcode, const QString &message)
{
    sendSoap(socket, Wsman::buildFaultResponse(request.messageId, endpointFault(code, subcode, message)), 500);
}

void LoopbackServer::handleRequest(QTcpSocket *socket, const QByteArray &head, const QByteArray &body)
{
    ++m_requests;
    if (m_faults.outageAfter > 0 && m_requests >= m_faults.outageAfter) {
        m_faults.outageAfter = 0;
        socket->abort();
        startOutage(m_faults.outageMs);
        return;
    }
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    QByteArray authorization;
    QByteArray contentType;
    QByteArray rawContentType;
    for (const QByteArray &line : lines) {
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        if (name == "authorization")
            authorization = line.mid(colon + 1).trimmed();
        else if (name == "content-type")
            rawContentType = line.mid(colon + 1).trimmed();
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
    const auto connection = m_connections.value(socket);
    if (!connection)
        return;
    connection->encrypted = false;
    if (!authenticate(socket, *connection, authorization, body.isEmpty()))
        return;
    QByteArray payload = body;
    if (Wsman::MessageEncryption::isEncryptedContentType(rawContentType)) {
        if (!connection->gssAuthenticated || (!connection->gss && !connection->credSsp)) {
            sendHttp(socket, 400, "Bad Request", {});
            return;
        }
        // MS-WSMV 2.2.9.1: the protocol string follows the HTTP scheme that authenticated.
        const Wsman::MessageEncryption encryption(connection->credSsp ? Wsman::MessageEncryption::CredSspProtocol.toByteArray()
                                                  : connection->gssScheme == "Kerberos"
                                                      ? Wsman::MessageEncryption::KerberosProtocol.toByteArray()
                                                      : Wsman::MessageEncryption::SpnegoProtocol.toByteArray());
        Connection &current = *connection;
        // Dossier 4.5: CredSSP feeds each part's header || data back into its TLS session.
        auto plain = encryption.decrypt(body, rawContentType, [&current](QByteArrayView header, QByteArrayView data) {
            return current.credSsp ? current.credSsp->unseal(header, data) : current.gss->unseal(header, data);
        });
        if (!plain) {
            // A context that failed to unseal is out of step for good: drop it with the connection.
            qWarning("psremote-test-server: cannot unseal a request: %s", qPrintable(plain.error().detail));
            sendHttp(socket, 400, "Bad Request", {});
            socket->disconnectFromHost();
            return;
        }
        payload = plain.value().body;
        rawContentType = plain.value().contentType;
        connection->encrypted = true;
        ++m_encryptedRequests;
    } else if (connection->gssAuthenticated && !m_config.https && !m_config.allowUnencrypted) {
        // Dossier 4.1: AllowUnencrypted=false refuses plaintext on HTTP once Negotiate/Kerberos
        // authenticated (Windows answers 500; its fault code here is not verified).
        sendFault(socket, Wsman::ServerRequest{}, FaultCodes::AccessDenied, u"w:AccessDenied"_s,
                  u"The WinRM service refuses unencrypted traffic: AllowUnencrypted is false."_s);
        return;
    }
    contentType = rawContentType.toLower();
    if (m_faults.redirectCount > 0) {
        --m_faults.redirectCount;
        sendHttp(socket, 302, "Found", {}, {{"Location", m_faults.redirectLocation.toUtf8()}});
        return;
    }
    QString charset;
    if (const qsizetype at = contentType.indexOf("charset="); at >= 0)
        charset = QString::fromLatin1(contentType.mid(at + 8)).section(u';', 0, 0).remove(u'"').trimmed();
    const bool utf16 = charset.startsWith(u"utf-16"_s) || payload.startsWith("\xff\xfe") || payload.startsWith("\xfe\xff");
    if (utf16 && payload.size() % 2 != 0) {
        sendHttp(socket, 400, "Bad Request", {});
        return;
    }
    if (Wsman::decodeBody(payload, charset).toUtf8().size() > m_config.maxEnvelopeSize) {
        sendHttp(socket, 413, "Request Entity Too Large", {});
        return;
    }
    auto parsed = Wsman::parseServerRequest(payload, charset);
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
    if (m_faults.dropActions.contains(request.action)) {
        socket->abort();
        return;
    }
    if (m_faults.loseAnswers.removeOne(request.action)) {
        m_swallowAnswer = socket;
        dispatch(socket, request);
        m_swallowAnswer = nullptr;
        ++m_lostAnswers;
        socket->abort();
        startOutage(m_faults.outageMs);
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
        if (request.signalCode == Wsman::SignalCtrlC)
            ++m_ctrlCSignals;
        else if (request.signalCode == Wsman::SignalTerminate)
            ++m_terminateSignals;
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
        // Receives held for the shell end empty: its output stays buffered until a Reconnect
        // or Connect (Receives wait meanwhile, see tryAnswerReceive).
        shell->disconnected = true;
        if (request.idleTimeoutMs)
            shell->idleTimeoutMs = *request.idleTimeoutMs;
        const auto connections = m_connections;
        for (auto it = connections.cbegin(); it != connections.cend(); ++it) {
            Connection &held = **it;
            if (!held.receive || held.receive->shellId.toUpper() != shellId)
                continue;
            const Wsman::ServerRequest pending = *held.receive;
            std::optional<Wsman::CommandState> state;
            if (!held.receiveTarget.isEmpty())
                state = Wsman::CommandState{held.receiveTarget, QString(Wsman::CommandStateRunning), std::nullopt};
            held.receive.reset();
            held.receiveTimer.reset();
            sendSoap(it.key(), Wsman::buildReceiveResponse(pending, {}, state));
        }
        sendSoap(socket, Wsman::buildDisconnectResponse(request));
    } else if (request.action == Wsman::Action::Reconnect) {
        shell->disconnected = false;
        sendSoap(socket, Wsman::buildReconnectResponse(request));
        checkPendingReceives(shellId);
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
        checkPendingReceives(shellId);
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
    if ((*shellIt)->disconnected)
        return false;
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
