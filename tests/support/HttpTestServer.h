#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QTcpServer;
class QTcpSocket;

namespace TestSupport {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// One request as the server parsed it; connection numbers count accepted sockets from 1.
struct HttpRequest {
    int connection = 0;
    QByteArray method;
    QByteArray target;
    QByteArray version;
    HeaderList headers;
    QByteArray body;

    // The first value of a header (case-insensitive name); empty when absent.
    QByteArray header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
};

// What the handler answers. drop: close the connection without answering; closeAfter: send
// "Connection: close" and close after the answer; closeDelimited: omit Content-Length and close
// after the body; delayMs: answer later (the socket keeps
// reading meanwhile).
struct HttpResponse {
    int status = 200;
    HeaderList headers;
    QByteArray body;
    int delayMs = 0;
    bool drop = false;
    bool closeAfter = false;
    bool closeDelimited = false; // no Content-Length: the body ends when the connection closes

    static HttpResponse unauthorized(const QByteArray &wwwAuthenticate);
    static HttpResponse soap(const QByteArray &body, int status = 200);
};

// A scriptable loopback HTTP/1.1 server (optionally TLS) for transport tests: listens on
// 127.0.0.1 port 0, keeps connections alive, answers one request at a time per connection via
// the handler, records every request. Lives in the test's thread; owns its sockets.
class HttpTestServer : public QObject {
    Q_OBJECT
public:
    using Handler = std::function<HttpResponse(const HttpRequest &)>;

    explicit HttpTestServer(Handler handler, QObject *parent = nullptr);
    ~HttpTestServer() override;

    bool listen();
    bool listenTls(const QSslCertificate &certificate, const QSslKey &key);

    quint16 port() const;
    QUrl url(const QString &host = QStringLiteral("127.0.0.1"), const QString &path = QStringLiteral("/wsman")) const;
    const QList<HttpRequest> &requests() const { return m_requests; }
    int connectionCount() const { return m_connections; }
    void setHandler(Handler handler) { m_handler = std::move(handler); }

private:
    struct Connection;
    void accept();
    void processBuffer(Connection *connection);
    void answer(Connection *connection, const HttpResponse &response);

    Handler m_handler;
    std::unique_ptr<QTcpServer> m_server;
    std::vector<std::unique_ptr<Connection>> m_connectionStates; // kept until the server goes
    QList<HttpRequest> m_requests;
    int m_connections = 0;
};

// A CA and server certificates generated at test time with the `openssl` command in a temporary
// directory (nothing committed). nullopt when openssl is unavailable or fails.
struct TestPki {
    std::unique_ptr<QTemporaryDir> dir;
    QSslCertificate ca;
    QSslCertificate otherCa; // an unrelated CA, for "unknown issuer"
    QSslCertificate server;  // issued by ca; subjectAltName IP:127.0.0.1 and DNS:localhost
    QSslKey serverKey;
    QSslCertificate wrongNameServer; // issued by ca; subjectAltName DNS:wrong.example only
    QSslKey wrongNameKey;

    static std::optional<TestPki> generate(QString *diagnostics = nullptr);
};

} // namespace TestSupport
