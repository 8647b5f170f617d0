#include "HttpTestServer.h"

#include <QFile>
#include <QProcess>
#include <QSslConfiguration>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

using namespace Qt::Literals::StringLiterals;

namespace TestSupport {

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 302: return "Found";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    default: return "Status";
    }
}

constexpr qsizetype MaxHeaderBytes = 64 * 1024;

} // namespace

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (QByteArrayView(key).compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView name) const
{
    for (const auto &entry : headers) {
        if (QByteArrayView(entry.first).compare(name, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

HttpResponse HttpResponse::unauthorized(const QByteArray &wwwAuthenticate)
{
    HttpResponse r;
    r.status = 401;
    r.headers.append({QByteArrayLiteral("WWW-Authenticate"), wwwAuthenticate});
    return r;
}

HttpResponse HttpResponse::soap(const QByteArray &body, int status)
{
    HttpResponse r;
    r.status = status;
    r.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/soap+xml;charset=UTF-8")});
    r.body = body;
    return r;
}

struct HttpTestServer::Connection {
    int number = 0;
    QTcpSocket *socket = nullptr;
    QByteArray buffer;
    bool busy = false; // a request is being answered (delayed answers)
};

HttpTestServer::HttpTestServer(Handler handler, QObject *parent) : QObject(parent), m_handler(std::move(handler)) {}

HttpTestServer::~HttpTestServer()
{
    for (const auto &connection : m_connectionStates) {
        if (connection->socket) {
            connection->socket->disconnect(this);
            delete connection->socket;
        }
    }
}

bool HttpTestServer::listen()
{
    m_server = std::make_unique<QTcpServer>();
    connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this, &HttpTestServer::accept);
    return m_server->listen(QHostAddress::LocalHost, 0);
}

bool HttpTestServer::listenTls(const QSslCertificate &certificate, const QSslKey &key)
{
    auto server = std::make_unique<QSslServer>();
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificate(certificate);
    config.setPrivateKey(key);
    config.setPeerVerifyMode(QSslSocket::VerifyNone);
    server->setSslConfiguration(config);
    m_server = std::move(server);
    connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this, &HttpTestServer::accept);
    return m_server->listen(QHostAddress::LocalHost, 0);
}

quint16 HttpTestServer::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

QUrl HttpTestServer::url(const QString &host, const QString &path) const
{
    QUrl u;
    u.setScheme(qobject_cast<QSslServer *>(m_server.get()) ? u"https"_s : u"http"_s);
    u.setHost(host);
    u.setPort(port());
    u.setPath(path);
    return u;
}

void HttpTestServer::accept()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        m_connectionStates.push_back(std::make_unique<Connection>(Connection{++m_connections, socket, {}, false}));
        Connection *connection = m_connectionStates.back().get();
        socket->setParent(this);
        connect(socket, &QTcpSocket::readyRead, this, [this, connection] {
            connection->buffer.append(connection->socket->readAll());
            processBuffer(connection);
        });
        connect(socket, &QTcpSocket::disconnected, this, [connection] {
            connection->socket->deleteLater();
            connection->socket = nullptr;
        });
        if (socket->bytesAvailable() > 0) {
            connection->buffer.append(socket->readAll());
            processBuffer(connection);
        }
    }
}

void HttpTestServer::processBuffer(Connection *connection)
{
    if (connection->busy || !connection->socket)
        return;
    const qsizetype headerEnd = connection->buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0) {
        if (connection->buffer.size() > MaxHeaderBytes)
            connection->socket->abort();
        return;
    }
    const QList<QByteArray> lines = connection->buffer.left(headerEnd).split('\n');
    HttpRequest request;
    request.connection = connection->number;
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    request.method = requestLine.value(0);
    request.target = requestLine.value(1);
    request.version = requestLine.value(2);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            request.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
    }
    const qsizetype length = request.header("Content-Length").toLongLong();
    if (connection->buffer.size() < headerEnd + 4 + length)
        return;
    request.body = connection->buffer.mid(headerEnd + 4, length);
    connection->buffer.remove(0, headerEnd + 4 + length);
    m_requests.append(request);

    const HttpResponse response = m_handler ? m_handler(request) : HttpResponse{};
    connection->busy = true;
    if (response.delayMs > 0) {
        QTimer::singleShot(response.delayMs, this, [this, connection, response] { answer(connection, response); });
    } else {
        answer(connection, response);
    }
}

void HttpTestServer::answer(Connection *connection, const HttpResponse &response)
{
    connection->busy = false;
    QTcpSocket *socket = connection->socket;
    if (!socket)
        return;
    if (response.drop) {
        socket->abort();
        return;
    }
    QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    for (const auto &[name, value] : response.headers)
        out += name + ": " + value + "\r\n";
    if (!response.closeDelimited)
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    if (response.closeAfter || response.closeDelimited)
        out += "Connection: close\r\n";
    out += "\r\n" + response.body;
    socket->write(out);
    if (response.closeAfter || response.closeDelimited) {
        socket->disconnectFromHost();
        return;
    }
    processBuffer(connection);
}

std::optional<TestPki> TestPki::generate(QString *diagnostics)
{
    TestPki pki;
    pki.dir = std::make_unique<QTemporaryDir>();
    if (!pki.dir->isValid())
        return std::nullopt;
    const QString d = pki.dir->path();
    auto run = [&](const QStringList &args) {
        QProcess p;
        p.setWorkingDirectory(d);
        p.start(u"openssl"_s, args);
        const bool ok = p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (!ok && diagnostics)
            *diagnostics += u"openssl "_s + args.join(u' ') + u": "_s + QString::fromLocal8Bit(p.readAllStandardError());
        return ok;
    };
    auto makeCa = [&](const QString &name) {
        return run({u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s,
                    u"-nodes"_s, u"-keyout"_s, name + u".key"_s, u"-out"_s, name + u".pem"_s, u"-days"_s, u"2"_s,
                    u"-subj"_s, u"/CN=PSRemote Test "_s + name, u"-addext"_s, u"basicConstraints=critical,CA:TRUE"_s,
                    u"-addext"_s, u"keyUsage=critical,keyCertSign,cRLSign"_s});
    };
    auto makeLeaf = [&](const QString &name, const QString &san) {
        QFile ext(d + u'/' + name + u".ext"_s);
        if (!ext.open(QIODevice::WriteOnly))
            return false;
        ext.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=");
        ext.write(san.toLatin1());
        ext.write("\n");
        ext.close();
        return run({u"req"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s,
                    u"-keyout"_s, name + u".key"_s, u"-out"_s, name + u".csr"_s, u"-subj"_s, u"/CN="_s + name})
            && run({u"x509"_s, u"-req"_s, u"-in"_s, name + u".csr"_s, u"-CA"_s, u"ca.pem"_s, u"-CAkey"_s, u"ca.key"_s,
                    u"-CAcreateserial"_s, u"-out"_s, name + u".pem"_s, u"-days"_s, u"2"_s, u"-extfile"_s,
                    name + u".ext"_s});
    };
    if (!makeCa(u"ca"_s) || !makeCa(u"other"_s) || !makeLeaf(u"server"_s, u"IP:127.0.0.1,DNS:localhost"_s)
        || !makeLeaf(u"wrong"_s, u"DNS:wrong.example"_s))
        return std::nullopt;
    auto cert = [&](const QString &name) {
        const auto list = QSslCertificate::fromPath(d + u'/' + name + u".pem"_s);
        return list.isEmpty() ? QSslCertificate() : list.first();
    };
    auto key = [&](const QString &name) {
        QFile f(d + u'/' + name + u".key"_s);
        if (!f.open(QIODevice::ReadOnly))
            return QSslKey();
        return QSslKey(f.readAll(), QSsl::Ec);
    };
    pki.ca = cert(u"ca"_s);
    pki.otherCa = cert(u"other"_s);
    pki.server = cert(u"server"_s);
    pki.serverKey = key(u"server"_s);
    pki.wrongNameServer = cert(u"wrong"_s);
    pki.wrongNameKey = key(u"wrong"_s);
    if (pki.ca.isNull() || pki.server.isNull() || pki.serverKey.isNull() || pki.wrongNameServer.isNull()
        || pki.wrongNameKey.isNull()) {
        if (diagnostics)
            *diagnostics += u"generated files did not load"_s;
        return std::nullopt;
    }
    return pki;
}

} // namespace TestSupport
