#pragma once

#include "LoopbackServer.h"

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QUuid>

#include <functional>
#include <memory>

#include <termios.h>

// What the psremote-cli end-to-end tests share: the child process runner (no controlling
// terminal, bounded waits that keep serving the in-process endpoints), its environment in a
// throwaway home, and the usual connection arguments for the loopback endpoint.
namespace CliTestSupport {

struct CliRun {
    int exitCode = -1; // -1: crashed, or killed by the guard (err says so)
    QString out;
    QString err;
};

// Spins this thread's event loop (which serves in-process endpoints) until `done` or the guard.
bool spinUntil(const std::function<bool()> &done, int guardMs = 30000);

// A TCP port nothing listens on (bound and released).
quint16 unusedPort();

// This process's environment for a child psremote-cli: without the secrets' variables
// (PSREMOTE_PASSWORD, PSREMOTE_PROXY_PASSWORD, PSREMOTE_CERTIFICATE_PASSPHRASE), test knobs,
// NO_COLOR and the proxy variables; with HOME, XDG_CONFIG_HOME and XDG_DATA_HOME under `home`
// (when given); then `extra` "NAME=VALUE" entries.
QProcessEnvironment cliEnvironment(const QString &home, const QStringList &extra = {});

// psremote-cli as a child in a session of its own (setsid: no controlling terminal), stdin a
// pipe holding `input`; its output is collected as it comes. Killed when destroyed unfinished.
class CliProcess {
public:
    CliProcess(const QStringList &arguments, const QProcessEnvironment &environment, const QByteArray &input = {},
               bool closeInput = true);
    ~CliProcess();
    CliProcess(const CliProcess &) = delete;
    CliProcess &operator=(const CliProcess &) = delete;

    QString out();
    QString err();
    bool running() const { return m_process.state() != QProcess::NotRunning; }
    // Bounded waits serving the event loop meanwhile.
    bool waitForOutput(const QString &text, int guardMs = 30000);
    bool waitForError(const QString &text, int guardMs = 30000);
    void write(const QByteArray &bytes) { m_process.write(bytes); }
    void closeInput() { m_process.closeWriteChannel(); }
    void sendSignal(int signal);
    // Waits for the end (killing it after `guardMs`) and returns everything it wrote.
    CliRun finish(int guardMs = 60000);

private:
    void collect();

    QProcess m_process;
    QByteArray m_out;
    QByteArray m_err;
};

// Runs psremote-cli to the end: CliProcess(arguments, environment, input).finish(guardMs).
CliRun runCli(const QStringList &arguments, const QProcessEnvironment &environment, const QByteArray &input = {},
              int guardMs = 60000);

// A run on a pseudo terminal.
struct TerminalRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QByteArray terminal; // what the child wrote to (and the line discipline echoed on) its terminal
    tcflag_t localFlagsAfter = 0;
};
// Called whenever stdout or the terminal grew: (process, master fd, stdout so far, terminal so
// far); may type on the master or signal the child.
using TerminalReaction = std::function<void(QProcess &, int, const QByteArray &, const QByteArray &)>;

// psremote-cli with a fresh pseudo terminal as its controlling terminal and stdin (stdout and
// stderr stay pipes); the guard kills a hung child.
TerminalRun runOnTerminal(const QStringList &arguments, const QProcessEnvironment &environment,
                          const TerminalReaction &react, int guardMs = 30000);

// The loopback endpoint (simulator unless `engine` says otherwise) listening on a free port
// with the one account `user` / `password`; null (and a test failure) when it cannot listen.
std::unique_ptr<TestServer::LoopbackServer> startEndpoint(const QString &user, const QString &password,
                                                          TestServer::EngineKind engine = TestServer::EngineKind::Simulator);

// `command` against the loopback endpoint on `port` as alice with Basic over plain HTTP
// (NoEncryption=true), the password from stdin (--password-stdin).
QStringList basicConnection(const QString &command, quint16 port);

// A shell the endpoint keeps disconnected (Disconnect-PSSession), opened by a client driven
// here; its InstanceId, null on failure.
QUuid disconnectedShell(const QUrl &endpoint, const QString &user, const QString &password);

} // namespace CliTestSupport
