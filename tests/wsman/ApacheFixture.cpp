#include "ApacheFixture.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QStringList>

#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace TestApache {

namespace {

constexpr auto Binary = "/usr/sbin/apache2";
constexpr auto ModulesDir = "/usr/lib/apache2/modules";

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

bool writeFile(const QString &path, const QByteArray &content, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(content) != content.size()) {
        *error = u"cannot write "_s + path;
        return false;
    }
    f.close();
    // Readable by the unprivileged user Apache's children run as when started by root.
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    return true;
}

QByteArray quotedPath(const QString &path)
{
    return '"' + path.toUtf8() + '"';
}

} // namespace

ApacheFixture::ApacheFixture(ApacheConfig config) : m_config(std::move(config)) {}

ApacheFixture::~ApacheFixture()
{
    stop();
}

QString ApacheFixture::binary()
{
    return QFileInfo(QString::fromLatin1(Binary)).isExecutable() ? QString::fromLatin1(Binary) : QString();
}

QString ApacheFixture::modulesDir()
{
    return QString::fromLatin1(ModulesDir);
}

QString ApacheFixture::missingReason()
{
    if (binary().isEmpty())
        return u"/usr/sbin/apache2 is missing (Debian package apache2)"_s;
    for (const char *module : {"mod_auth_digest.so", "mod_proxy_http.so", "mod_headers.so", "mod_mpm_event.so"}) {
        if (!QFileInfo::exists(modulesDir() + u'/' + QString::fromLatin1(module)))
            return u"%1 is missing from %2 (Debian package apache2)"_s.arg(QString::fromLatin1(module), modulesDir());
    }
    return {};
}

QUrl ApacheFixture::url(const QString &path) const
{
    return QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_port).arg(path));
}

bool ApacheFixture::writeFiles(QString *error)
{
    const QString dir = m_dir->path();
    QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
                                   | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther);
    // htdigest format: user:realm:MD5(user:realm:password) (what `htdigest` writes).
    const QByteArray userRealm = m_config.user.toUtf8() + ':' + m_config.realm.toUtf8();
    const QByteArray ha1 =
        QCryptographicHash::hash(QByteArray(userRealm + ':' + m_config.password.toUtf8()), QCryptographicHash::Md5).toHex();
    if (!writeFile(dir + u"/htdigest"_s, userRealm + ':' + ha1 + '\n', error))
        return false;
    if (!QFileInfo::exists(dir + u"/htdocs/static"_s)) {
        QDir().mkpath(dir + u"/htdocs/static"_s);
        for (const QString &d : QStringList{dir + u"/htdocs"_s, dir + u"/htdocs/static"_s})
            QFile::setPermissions(d, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
                                         | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther);
    }
    if (!writeFile(dir + u"/htdocs/static/hello.txt"_s, "hello through digest\n", error))
        return false;

    const QByteArray modules = modulesDir().toUtf8();
    QByteArray conf;
    conf += "ServerRoot " + quotedPath(dir) + "\n";
    conf += "DefaultRuntimeDir " + quotedPath(dir) + "\n";
    conf += "PidFile " + quotedPath(dir + u"/apache.pid"_s) + "\n";
    conf += "ErrorLog " + quotedPath(dir + u"/error.log"_s) + "\n";
    conf += "LogLevel warn auth_digest:info proxy:warn\n";
    conf += "LogFormat \"%m %U %>s\" short\n";
    conf += "CustomLog " + quotedPath(dir + u"/access.log"_s) + " short\n";
    conf += "Listen 127.0.0.1:" + QByteArray::number(m_port) + "\n";
    conf += "ServerName 127.0.0.1\n";
    for (const char *module : {"mpm_event", "authn_core", "authn_file", "authz_core", "authz_user", "auth_digest",
                               "proxy", "proxy_http", "headers"}) {
        conf += "LoadModule " + QByteArray(module) + "_module " + modules + "/mod_" + QByteArray(module) + ".so\n";
    }
    if (::geteuid() == 0)
        conf += "User nobody\nGroup nogroup\n";
    conf += "StartServers 1\nServerLimit 1\nThreadsPerChild 16\nMaxRequestWorkers 16\nThreadLimit 16\n";
    conf += "KeepAlive On\nMaxKeepAliveRequests 0\nKeepAliveTimeout 30\nTimeout 120\n";
    conf += "DocumentRoot " + quotedPath(dir + u"/htdocs"_s) + "\n";
    const QByteArray auth = "    AuthType Digest\n    AuthName \"" + m_config.realm.toUtf8() + "\"\n"
                            + "    AuthDigestProvider file\n    AuthUserFile " + quotedPath(dir + u"/htdigest"_s)
                            + "\n    AuthDigestAlgorithm " + m_config.algorithm + "\n    AuthDigestQop auth\n"
                            + "    AuthDigestNcCheck " + (m_config.ncCheck ? "On" : "Off") + "\n"
                            + "    AuthDigestNonceLifetime " + QByteArray::number(m_config.nonceLifetimeSeconds) + "\n"
                            + "    AuthDigestDomain /wsman /static/\n    Require valid-user\n";
    conf += "<Location />\n" + auth + "</Location>\n";
    if (m_config.backend.isValid()) {
        const QByteArray target = m_config.backend.toString(QUrl::RemovePath | QUrl::RemoveQuery).toUtf8() + "/wsman";
        conf += "ProxyPass /wsman " + target + " timeout=120 keepalive=On\n";
        conf += "ProxyPassReverse /wsman " + target + "\n";
        // The backend (the endpoint with --auth none) sees no credentials at all.
        conf += "<Location /wsman>\n    RequestHeader unset Authorization\n</Location>\n";
    }
    return writeFile(dir + u"/httpd.conf"_s, conf, error);
}

bool ApacheFixture::start(QString *error)
{
    if (const QString why = missingReason(); !why.isEmpty()) {
        *error = why;
        return false;
    }
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid()) {
        *error = u"cannot create a temporary directory"_s;
        return false;
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        m_port = freePort();
        if (m_port == 0 || !writeFiles(error))
            return false;
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->start(binary(), {u"-f"_s, m_dir->path() + u"/httpd.conf"_s, u"-DFOREGROUND"_s});
        if (!m_process->waitForStarted(10000)) {
            *error = u"apache2 did not start: "_s + m_process->errorString();
            m_process.reset();
            return false;
        }
        // Ready when the port accepts connections (a guard against a hang, not a timing check).
        const QDeadlineTimer deadline(15000);
        bool ready = false;
        while (!deadline.hasExpired() && m_process->state() == QProcess::Running) {
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, m_port);
            if (probe.waitForConnected(200)) {
                ready = true;
                break;
            }
            m_process->waitForFinished(50);
        }
        if (ready)
            return true;
        const QByteArray output = m_process->readAll();
        stop();
        *error = u"apache2 did not listen on port %1: %2 %3"_s.arg(m_port).arg(QString::fromUtf8(output), errorLog());
        if (!errorLog().contains(u"Address already in use"_s) && !output.contains("Address already in use"))
            return false;
    }
    return false;
}

void ApacheFixture::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate(); // SIGTERM to the master: it stops its children and exits
        if (!m_process->waitForFinished(15000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    m_process.reset();
}

QString ApacheFixture::errorLog() const
{
    if (!m_dir)
        return {};
    QFile f(m_dir->path() + u"/error.log"_s);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

QList<QByteArray> ApacheFixture::accessLog() const
{
    if (!m_dir)
        return {};
    QFile f(m_dir->path() + u"/access.log"_s);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> lines = f.readAll().split('\n');
    lines.removeAll(QByteArray());
    return lines;
}

} // namespace TestApache
