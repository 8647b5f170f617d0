#include "CliTestSupport.h"

#include "wsman/RunspacePoolClient.h"

#include <QDir>
#include <QEventLoop>
#include <QHostAddress>
#include <QTcpServer>
#include <QSocketNotifier>
#include <QTimer>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <termios.h>

#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace CliTestSupport {

bool spinUntil(const std::function<bool()> &done, int guardMs)
{
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    guard.start(guardMs);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done() || !guard.isActive())
            loop.quit();
    });
    poll.start(10);
    if (!done())
        loop.exec();
    return done();
}

quint16 unusedPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

QProcessEnvironment cliEnvironment(const QString &home, const QStringList &extra)
{
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"PSREMOTE_PASSWORD", "PSREMOTE_PROXY_PASSWORD", "PSREMOTE_CERTIFICATE_PASSPHRASE",
                             "PSREMOTE_MAX_RETRY_TIME_MS", "NO_COLOR", "http_proxy", "https_proxy", "HTTP_PROXY",
                             "HTTPS_PROXY", "no_proxy", "NO_PROXY"})
        e.remove(QString::fromLatin1(name));
    if (!home.isEmpty()) {
        e.insert(u"HOME"_s, home);
        e.insert(u"XDG_CONFIG_HOME"_s, QDir(home).filePath(u"config"_s));
        e.insert(u"XDG_DATA_HOME"_s, QDir(home).filePath(u"data"_s));
    }
    for (const QString &kv : extra)
        e.insert(kv.section(u'=', 0, 0), kv.section(u'=', 1));
    return e;
}

CliProcess::CliProcess(const QStringList &arguments, const QProcessEnvironment &environment, const QByteArray &input,
                       bool closeInput)
{
    m_process.setProcessEnvironment(environment);
    m_process.setChildProcessModifier([] { ::setsid(); });
    QObject::connect(&m_process, &QProcess::readyReadStandardOutput, [this] { collect(); });
    QObject::connect(&m_process, &QProcess::readyReadStandardError, [this] { collect(); });
    m_process.start(QStringLiteral(PSREMOTE_CLI_PATH), arguments);
    if (!input.isEmpty())
        m_process.write(input);
    if (closeInput)
        m_process.closeWriteChannel();
}

CliProcess::~CliProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

void CliProcess::collect()
{
    m_out += m_process.readAllStandardOutput();
    m_err += m_process.readAllStandardError();
}

QString CliProcess::out()
{
    collect();
    return QString::fromUtf8(m_out);
}

QString CliProcess::err()
{
    collect();
    return QString::fromUtf8(m_err);
}

bool CliProcess::waitForOutput(const QString &text, int guardMs)
{
    return spinUntil([&] { return out().contains(text); }, guardMs);
}

bool CliProcess::waitForError(const QString &text, int guardMs)
{
    return spinUntil([&] { return err().contains(text); }, guardMs);
}

void CliProcess::sendSignal(int signal)
{
    const qint64 pid = m_process.processId();
    if (pid > 0)
        ::kill(pid_t(pid), signal);
}

CliRun CliProcess::finish(int guardMs)
{
    CliRun r;
    if (!spinUntil([&] { return m_process.state() == QProcess::NotRunning; }, guardMs)) {
        m_process.kill();
        m_process.waitForFinished(5000);
        r.err = u"psremote-cli did not finish; stdout so far: "_s + out() + u"\nstderr so far: "_s + err();
        return r;
    }
    r.exitCode = m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    r.out = out();
    r.err = err();
    return r;
}

CliRun runCli(const QStringList &arguments, const QProcessEnvironment &environment, const QByteArray &input,
              int guardMs)
{
    CliProcess p(arguments, environment, input);
    return p.finish(guardMs);
}

std::unique_ptr<TestServer::LoopbackServer> startEndpoint(const QString &user, const QString &password,
                                                          TestServer::EngineKind engine)
{
    TestServer::ServerConfig config;
    config.user = user;
    config.password = password;
    config.engine = engine;
    auto server = std::make_unique<TestServer::LoopbackServer>(config);
    QString error;
    if (!server->listen(&error)) {
        ADD_FAILURE() << "the loopback endpoint cannot listen: " << error.toStdString();
        return nullptr;
    }
    return server;
}

QStringList basicConnection(const QString &command, quint16 port)
{
    return {command,
            u"127.0.0.1"_s,
            u"--port"_s,
            QString::number(port),
            u"--credential"_s,
            u"alice"_s,
            u"--authentication"_s,
            u"basic"_s,
            u"--session-option"_s,
            u"NoEncryption=true"_s,
            u"--password-stdin"_s};
}

QUuid disconnectedShell(const QUrl &endpoint, const QString &user, const QString &password)
{
    Wsman::ClientOptions options;
    options.connection.connectionUri = endpoint.toString();
    options.sessionOption.noEncryption = true;
    options.authenticatorFactory = Wsman::basicAuthenticatorFactory(user, Wsman::Secret(password));
    Wsman::RunspacePoolClient client(std::move(options));
    bool opened = false;
    bool disconnected = false;
    bool failed = false;
    QObject::connect(&client, &Wsman::RunspacePoolClient::opened, [&] { opened = true; });
    QObject::connect(&client, &Wsman::RunspacePoolClient::disconnected, [&] { disconnected = true; });
    QObject::connect(&client, &Wsman::RunspacePoolClient::failed, [&] { failed = true; });
    client.open();
    if (!spinUntil([&] { return opened || failed; }) || !opened)
        return {};
    const QUuid shell = client.shellId();
    if (!client.disconnect().ok() || !spinUntil([&] { return disconnected || failed; }) || !disconnected)
        return {};
    return shell;
}

TerminalRun runOnTerminal(const QStringList &arguments, const QProcessEnvironment &environment,
                          const TerminalReaction &react, int guardMs)
{
    TerminalRun r;
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
        ADD_FAILURE() << "no pseudo terminal";
        return r;
    }
    ::fcntl(master, F_SETFL, O_NONBLOCK);
    const QByteArray slavePath(::ptsname(master));
    QProcess p;
    p.setProcessEnvironment(environment);
    p.setChildProcessModifier([slavePath] {
        ::setsid();
        const int fd = ::open(slavePath.constData(), O_RDWR); // becomes the controlling terminal
        if (fd >= 0) {
            ::dup2(fd, STDIN_FILENO);
            ::close(fd);
        }
    });
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, [&] {
        p.kill();
        loop.quit();
    });
    QSocketNotifier terminal(master, QSocketNotifier::Read);
    QObject::connect(&terminal, &QSocketNotifier::activated, &loop, [&] {
        char buffer[512];
        ssize_t n = 0;
        while ((n = ::read(master, buffer, sizeof buffer)) > 0)
            r.terminal.append(buffer, n);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            terminal.setEnabled(false); // EIO once the child closed the terminal
        react(p, master, r.out, r.terminal);
    });
    QObject::connect(&p, &QProcess::readyReadStandardOutput, &loop, [&] {
        r.out += p.readAllStandardOutput();
        react(p, master, r.out, r.terminal);
    });
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    p.start(QStringLiteral(PSREMOTE_CLI_PATH), arguments);
    guard.start(guardMs);
    loop.exec();
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(5000);
        r.err = "psremote-cli did not finish";
    } else {
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out += p.readAllStandardOutput();
        r.err += p.readAllStandardError();
    }
    termios after {};
    if (::tcgetattr(master, &after) == 0)
        r.localFlagsAfter = after.c_lflag;
    ::close(master);
    return r;
}


} // namespace CliTestSupport
