#pragma once

#include <QByteArray>
#include <QList>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace ProxyTest {

enum class SquidAuth { None, Basic, Digest, Negotiate };

// What the squid under test requires. Basic: an htpasswd file (APR1-MD5, made with `openssl
// passwd`) for basic_ncsa_auth; Digest: a plain user:password file for digest_file_auth;
// Negotiate: negotiate_kerberos_auth with a copy of `keytab` and `krb5Config` (from
// tests/auth/KdcFixture), accepting `-s spn`.
struct SquidOptions {
    SquidAuth auth = SquidAuth::None;
    QString user = QStringLiteral("proxyuser");
    QByteArray password = QByteArrayLiteral("Proxy-Pass-42");
    QString realm = QStringLiteral("psremote-proxy-test");
    QString keytab;
    QString krb5Config;
    QString spn = QStringLiteral("HTTP/localhost@PSREMOTE.TEST");
};

// A squid on 127.0.0.1:<free port>, run in the foreground (`squid -N -f <own conf>`) from a temp
// dir of its own: no disk cache, no pinger, its own pid file, cache.log and access.log, one
// helper per auth scheme, CONNECT allowed to any port. As root squid switches to its
// cache_effective_user (proxy), so the log dir is handed to that user. The destructor (or stop())
// ends squid by its PID and then any helper child it left, by PID, and deletes the dir.
class SquidFixture {
public:
    SquidFixture() = default;
    ~SquidFixture();
    SquidFixture(const SquidFixture &) = delete;
    SquidFixture &operator=(const SquidFixture &) = delete;

    static QString squidPath(); // empty when squid is not installed
    // Writes the files, starts squid, waits until it accepts connections. False with problem().
    bool start(const SquidOptions &options = {});
    void stop();
    QString problem() const { return m_problem; }

    quint16 port() const { return m_port; }
    // http://<host>:PORT (host "localhost" for Negotiate, whose SPN names it).
    QUrl url(const QString &host = QStringLiteral("127.0.0.1")) const;
    QByteArray accessLog() const;
    QByteArray cacheLog() const;
    // PIDs of squid and its helpers while running (for the no-leftover check).
    QList<qint64> processIds() const;

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_problem;
};

// Whether a process with this PID still exists (and is not a zombie).
bool processAlive(qint64 pid);

} // namespace ProxyTest
