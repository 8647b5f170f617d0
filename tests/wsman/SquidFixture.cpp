#include "SquidFixture.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace ProxyTest {

namespace {

constexpr QLatin1StringView HelperDir{"/usr/lib/squid"};

bool writeFile(const QString &path, const QByteArray &contents)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(contents) != contents.size())
        return false;
    file.close();
    return ::chmod(QFile::encodeName(path).constData(), 0644) == 0;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

quint16 freePort()
{
    QTcpServer server;
    return server.listen(QHostAddress::LocalHost, 0) ? server.serverPort() : 0;
}

// The direct children of `parent`, from /proc/<pid>/stat ("pid (comm) state ppid ...").
QList<qint64> childrenOf(qint64 parent)
{
    QList<qint64> children;
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool numeric = false;
        const qint64 pid = entry.toLongLong(&numeric);
        if (!numeric)
            continue;
        const QByteArray stat = readFile(u"/proc/"_s + entry + u"/stat"_s);
        const qsizetype close = stat.lastIndexOf(')');
        if (close < 0)
            continue;
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        if (fields.size() > 1 && fields.at(1).toLongLong() == parent)
            children.append(pid);
    }
    return children;
}

// `openssl passwd -apr1 -stdin`: an htpasswd line basic_ncsa_auth accepts.
QByteArray apr1Hash(const QByteArray &password)
{
    QProcess openssl;
    openssl.start(u"openssl"_s, {u"passwd"_s, u"-apr1"_s, u"-stdin"_s});
    if (!openssl.waitForStarted(10000))
        return {};
    openssl.write(password + '\n');
    openssl.closeWriteChannel();
    if (!openssl.waitForFinished(10000) || openssl.exitCode() != 0)
        return {};
    return openssl.readAllStandardOutput().trimmed();
}

} // namespace

bool processAlive(qint64 pid)
{
    const QByteArray stat = readFile(u"/proc/%1/stat"_s.arg(pid));
    const qsizetype close = stat.lastIndexOf(')');
    return close > 0 && stat.size() > close + 2 && stat.at(close + 2) != 'Z';
}

SquidFixture::~SquidFixture()
{
    stop();
}

QString SquidFixture::squidPath()
{
    QString path = QStandardPaths::findExecutable(u"squid"_s, {u"/usr/sbin"_s, u"/usr/local/sbin"_s, u"/sbin"_s});
    return path.isEmpty() ? QStandardPaths::findExecutable(u"squid"_s) : path;
}

QUrl SquidFixture::url(const QString &host) const
{
    QUrl u;
    u.setScheme(u"http"_s);
    u.setHost(host);
    u.setPort(m_port);
    return u;
}

QByteArray SquidFixture::accessLog() const
{
    return m_dir ? readFile(m_dir->filePath(u"logs/access.log"_s)) : QByteArray();
}

QByteArray SquidFixture::cacheLog() const
{
    return m_dir ? readFile(m_dir->filePath(u"logs/cache.log"_s)) : QByteArray();
}

QList<qint64> SquidFixture::processIds() const
{
    if (m_process.state() != QProcess::Running)
        return {};
    QList<qint64> pids{m_process.processId()};
    pids += childrenOf(m_process.processId());
    return pids;
}

bool SquidFixture::start(const SquidOptions &options)
{
    const QString squid = squidPath();
    if (squid.isEmpty()) {
        m_problem = u"squid is not installed (Debian package squid)"_s;
        return false;
    }
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid() || !QDir(m_dir->path()).mkpath(u"logs"_s)) {
        m_problem = u"no temp dir"_s;
        return false;
    }
    const QString dir = m_dir->path();
    const QString logs = m_dir->filePath(u"logs"_s);
    // squid drops root for its cache_effective_user: that user must reach the files and write the logs.
    ::chmod(QFile::encodeName(dir).constData(), 0755);
    if (::geteuid() == 0) {
        const passwd *pw = ::getpwnam("proxy");
        if (!pw || ::chown(QFile::encodeName(logs).constData(), pw->pw_uid, pw->pw_gid) != 0) {
            m_problem = u"cannot hand the log dir to the user proxy"_s;
            return false;
        }
    }
    m_port = freePort();

    QByteArray auth;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    switch (options.auth) {
    case SquidAuth::None:
        break;
    case SquidAuth::Basic: {
        const QByteArray hash = apr1Hash(options.password);
        if (hash.isEmpty() || !writeFile(m_dir->filePath(u"htpasswd"_s), options.user.toUtf8() + ':' + hash + '\n')) {
            m_problem = u"cannot write the htpasswd file (openssl passwd -apr1)"_s;
            return false;
        }
        auth = "auth_param basic program " + QByteArray(HelperDir.data()) + "/basic_ncsa_auth "
             + QFile::encodeName(m_dir->filePath(u"htpasswd"_s)) + "\n"
             + "auth_param basic realm " + options.realm.toUtf8() + "\n";
        break;
    }
    case SquidAuth::Digest:
        if (!writeFile(m_dir->filePath(u"digest-users"_s), options.user.toUtf8() + ':' + options.password + '\n')) {
            m_problem = u"cannot write the digest user file"_s;
            return false;
        }
        auth = "auth_param digest program " + QByteArray(HelperDir.data()) + "/digest_file_auth "
             + QFile::encodeName(m_dir->filePath(u"digest-users"_s)) + "\n"
             + "auth_param digest realm " + options.realm.toUtf8() + "\n";
        break;
    case SquidAuth::Negotiate: {
        const QString keytab = m_dir->filePath(u"proxy.keytab"_s);
        if (!QFile::copy(options.keytab, keytab) || ::chmod(QFile::encodeName(keytab).constData(), 0644) != 0
            || !writeFile(m_dir->filePath(u"krb5.conf"_s), readFile(options.krb5Config))) {
            m_problem = u"cannot copy the keytab / krb5.conf for squid"_s;
            return false;
        }
        environment.insert(u"KRB5_KTNAME"_s, keytab);
        environment.insert(u"KRB5_CONFIG"_s, m_dir->filePath(u"krb5.conf"_s));
        environment.insert(u"KRB5RCACHETYPE"_s, u"none"_s);
        auth = "auth_param negotiate program " + QByteArray(HelperDir.data()) + "/negotiate_kerberos_auth -s "
             + options.spn.toUtf8() + "\n";
        break;
    }
    }
    if (!auth.isEmpty()) {
        const QByteArray scheme = options.auth == SquidAuth::Basic    ? "basic"
                                : options.auth == SquidAuth::Digest ? "digest"
                                                                    : "negotiate";
        auth += "auth_param " + scheme + " children 1 startup=1 idle=1\n"
                "acl authenticated proxy_auth REQUIRED\n"
                "http_access deny !authenticated\n";
    }
    const QByteArray logsPath = QFile::encodeName(logs);
    const QByteArray conf = "http_port 127.0.0.1:" + QByteArray::number(m_port) + "\n"
                          + "pid_filename " + logsPath + "/squid.pid\n"
                          + "cache_log " + logsPath + "/cache.log\n"
                          + "access_log stdio:" + logsPath + "/access.log\n"
                          + "coredump_dir " + logsPath + "\n"
                          + "cache deny all\n"
                            "cache_mem 8 MB\n"
                            "pinger_enable off\n"
                            "shutdown_lifetime 0 seconds\n"
                            "visible_hostname psremote-test-proxy\n"
                          + auth + "http_access allow all\n";
    if (!writeFile(m_dir->filePath(u"squid.conf"_s), conf)) {
        m_problem = u"cannot write squid.conf"_s;
        return false;
    }

    m_process.setProcessEnvironment(environment);
    m_process.setWorkingDirectory(dir);
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(squid, {u"-N"_s, u"-f"_s, m_dir->filePath(u"squid.conf"_s)});
    if (!m_process.waitForStarted(10000)) {
        m_problem = u"squid did not start: "_s + m_process.errorString();
        return false;
    }
    const QDeadlineTimer deadline(20000);
    while (!deadline.hasExpired()) {
        if (m_process.state() != QProcess::Running) {
            m_problem = u"squid exited: "_s + QString::fromUtf8(m_process.readAll() + cacheLog().right(2000));
            return false;
        }
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        if (probe.waitForConnected(500)) {
            probe.abort();
            // The helpers start with squid; wait until they run so stop() can find them.
            if (options.auth == SquidAuth::None || !childrenOf(m_process.processId()).isEmpty())
                return true;
        }
        QThread::msleep(50);
    }
    m_problem = u"squid did not listen within 20 s: "_s + QString::fromUtf8(cacheLog().right(2000));
    stop();
    return false;
}

void SquidFixture::stop()
{
    if (m_process.state() != QProcess::NotRunning) {
        const QList<qint64> helpers = childrenOf(m_process.processId());
        m_process.terminate(); // SIGTERM: with shutdown_lifetime 0 squid exits at once
        if (!m_process.waitForFinished(10000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
        // Helpers end on their closed stdin; any that linger are ended by PID.
        const QDeadlineTimer deadline(5000);
        for (qint64 pid : helpers) {
            while (processAlive(pid) && !deadline.hasExpired())
                QThread::msleep(20);
            if (processAlive(pid))
                ::kill(pid_t(pid), SIGKILL);
        }
    }
    m_dir.reset();
}

} // namespace ProxyTest
