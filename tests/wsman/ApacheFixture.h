#pragma once

#include <QByteArray>
#include <QList>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace TestApache {

// What the Apache in front of the endpoint is configured with.
struct ApacheConfig {
    QString realm = QStringLiteral("PSRemote Digest");
    QString user;
    QString password; // a test string; written only as its htdigest hash
    QByteArray algorithm = QByteArrayLiteral("MD5"); // AuthDigestAlgorithm
    bool ncCheck = true;                              // AuthDigestNcCheck (replays refused)
    int nonceLifetimeSeconds = 300;                   // AuthDigestNonceLifetime
    // ProxyPass /wsman <backend>/wsman with the Authorization header removed; none when empty.
    QUrl backend;
};

// Apache httpd (/usr/sbin/apache2, mod_auth_digest) on 127.0.0.1:<free port> with a config, an
// htdigest file, a static page (/static/hello.txt) and logs of its own in a temporary directory.
// Run in the foreground (-DFOREGROUND) so the started PID is the master; stop() sends it
// SIGTERM, waits, and the children go with it. Owned by the test; stops when destroyed.
class ApacheFixture {
public:
    explicit ApacheFixture(ApacheConfig config);
    ~ApacheFixture();
    ApacheFixture(const ApacheFixture &) = delete;
    ApacheFixture &operator=(const ApacheFixture &) = delete;

    static QString binary();         // "/usr/sbin/apache2", or empty when absent
    static QString modulesDir();     // "/usr/lib/apache2/modules"
    static QString missingReason();  // why Apache cannot run here; empty when it can

    bool start(QString *error);
    void stop();
    quint16 port() const { return m_port; }
    QUrl url(const QString &path) const; // http://127.0.0.1:<port><path>
    QString errorLog() const;
    // Access log lines "METHOD PATH STATUS".
    QList<QByteArray> accessLog() const;

private:
    bool writeFiles(QString *error);

    ApacheConfig m_config;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

} // namespace TestApache
