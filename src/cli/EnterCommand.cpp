#include "cli/EnterCommand.h"

#include "cli/CliApp.h"
#include "cli/ConnectionSetup.h"
#include "cli/LineEditor.h"
#include "cli/TerminalUi.h"

#include "session/CommandHistory.h"
#include "session/InteractiveSession.h"
#include "wsman/RunspacePoolClient.h"

#include <QBuffer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <memory>
#include <utility>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

int g_signalFds[2] = {-1, -1};

extern "C" void onEnterSignal(int signal)
{
    const char c = signal == SIGINT ? 'i' : 'w';
    if (g_signalFds[0] >= 0)
        (void)!::write(g_signalFds[0], &c, 1);
}

// Routes SIGINT and SIGWINCH into the event loop through a socket pair (self-pipe) while
// `enter` runs; puts the previous dispositions back when destroyed.
class SignalPipe {
public:
    SignalPipe()
    {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalFds) != 0)
            return;
        ::fcntl(g_signalFds[0], F_SETFL, O_NONBLOCK);
        ::fcntl(g_signalFds[1], F_SETFL, O_NONBLOCK);
        struct sigaction action {};
        action.sa_handler = &onEnterSignal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        m_intInstalled = ::sigaction(SIGINT, &action, &m_oldInt) == 0;
        m_winchInstalled = ::sigaction(SIGWINCH, &action, &m_oldWinch) == 0;
        m_notifier = std::make_unique<QSocketNotifier>(g_signalFds[1], QSocketNotifier::Read);
    }
    ~SignalPipe()
    {
        m_notifier.reset();
        if (m_intInstalled)
            ::sigaction(SIGINT, &m_oldInt, nullptr);
        if (m_winchInstalled)
            ::sigaction(SIGWINCH, &m_oldWinch, nullptr);
        for (int &fd : g_signalFds) {
            if (fd >= 0)
                ::close(fd);
            fd = -1;
        }
    }
    SignalPipe(const SignalPipe &) = delete;
    SignalPipe &operator=(const SignalPipe &) = delete;

    QSocketNotifier *notifier() const { return m_notifier.get(); }
    // The signals received since the last call, in order ('i' SIGINT, 'w' SIGWINCH).
    static QByteArray take()
    {
        QByteArray all;
        char buffer[16];
        ssize_t n = 0;
        while ((n = ::read(g_signalFds[1], buffer, sizeof buffer)) > 0)
            all.append(buffer, n);
        return all;
    }

private:
    struct sigaction m_oldInt {};
    struct sigaction m_oldWinch {};
    bool m_intInstalled = false;
    bool m_winchInstalled = false;
    std::unique_ptr<QSocketNotifier> m_notifier;
};

// The first line of stdin read byte by byte (nothing past its newline is consumed, so the lines
// after it remain for the session), for --password-stdin.
QByteArray readFirstStdinLine()
{
    QByteArray line;
    char c = 0;
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        line.append(c);
        if (c == '\n')
            break;
    }
    return line;
}

// One `enter` attempt: the session, the terminal, the editor and the Ctrl+C policy, driven by a
// local event loop until the user leaves or the session ends. Lives on runEnterCommand's stack.
class EnterRun {
public:
    EnterRun(const QString &host, QUuid instanceId, QTextStream &err)
        : m_err(err), m_host(host), m_instanceId(instanceId), m_ui(m_editor), m_session(m_ui),
          m_history(host)
    {
    }

    AttemptOutcome run(const Wsman::ClientOptions &options)
    {
        LineEditor::installSignalRestore();
        m_err.flush();
        if (m_editor.isTerminal()) {
            (void)m_history.load();
            m_editor.setHistory(&m_history);
            m_editor.setCompleter(
                [this](const QString &text, qint32 cursor,
                       std::function<void(std::optional<Session::Completion>)> done) {
                    m_session.complete(text, cursor, std::move(done));
                });
        }
        m_ui.setInterruptHandler([this] { onInterrupt(); });
        QObject::connect(&m_session, &Session::InteractiveSession::stateChanged, &m_loop,
                         [this](Session::SessionState s) { onState(s); });
        QObject::connect(&m_session, &Session::InteractiveSession::lineStarted, &m_loop,
                         [this](const QString &line) {
                             m_interrupts = 0;
                             if (!m_editor.isTerminal())
                                 return; // a transcript's scripted lines are not the user's history
                             m_history.add(line);
                             QString why;
                             if (!m_history.save(&why))
                                 m_ui.writeClientError(
                                     u"psremote-cli: cannot save the command history: "_s + why);
                         });

        SignalPipe signalPipe;
        if (signalPipe.notifier())
            QObject::connect(signalPipe.notifier(), &QSocketNotifier::activated, &m_loop, [this] {
                for (char c : SignalPipe::take()) {
                    if (c == 'w')
                        m_ui.updateWindowSize();
                    else if (!m_done)
                        onInterrupt();
                }
            });

        if (!m_instanceId.isNull()) {
            // Reconnect to a shell the server keeps (MS-PSRP 3.1.5.3.14), then enter it.
            m_reconnect = std::make_unique<Wsman::RunspacePoolClient>(options);
            watchClient(m_reconnect.get());
            QObject::connect(
                m_reconnect.get(), &Wsman::RunspacePoolClient::opened, &m_loop,
                [this] { m_session.attach(m_reconnect.get(), Session::EnterOptions{m_host}); });
            m_reconnect->connectExisting(m_instanceId);
        } else {
            m_session.enter(options, Session::EnterOptions{m_host});
            watchClient(m_session.client());
        }
        if (!m_done)
            m_loop.exec();
        m_editor.cancel();
        AttemptOutcome outcome;
        outcome.exitCode = m_exit;
        outcome.opened = m_opened;
        outcome.tlsFailure = m_tlsFailure;
        return outcome;
    }

private:
    void watchClient(Wsman::RunspacePoolClient *client)
    {
        if (!client)
            return;
        QObject::connect(client, &Wsman::RunspacePoolClient::opened, &m_loop,
                         [this] { m_opened = true; });
        QObject::connect(client, &Wsman::RunspacePoolClient::failed, &m_loop,
                         [this](const Wsman::ClientError &e) { m_error = e; });
        if (!m_instanceId.isNull())
            QObject::connect(client, &Wsman::RunspacePoolClient::closed, &m_loop, [this] {
                if (!m_entered)
                    fail();
                else if (m_leaving)
                    finish(int(ExitCode::Success));
            });
    }

    void finish(int code)
    {
        if (m_done)
            return;
        m_done = true;
        m_exit = code;
        m_editor.cancel();
        m_loop.quit();
    }

    // The session could not open, or broke: invoke's sentence and exit code.
    void fail()
    {
        if (m_error && !m_entered && isCertificateTrustFailure(*m_error)) {
            m_tlsFailure =
                m_error->transport; // explained by ConnectionSetup, which may offer to pin
            finish(int(ExitCode::Tls));
            return;
        }
        Failure f{ExitCode::Protocol, m_session.failureText()};
        if (m_error)
            f = describeClientError(*m_error, m_clientCertificate);
        if (f.sentence.isEmpty())
            f.sentence = u"the session ended unexpectedly"_s;
        m_ui.writeClientError(u"psremote-cli: "_s + f.sentence);
        finish(int(f.code));
    }

    void onState(Session::SessionState state)
    {
        switch (state) {
        case Session::SessionState::Ready:
            if (!m_entered) {
                m_entered = true;
                m_ui.setEntered(true);
            }
            readCommand();
            return;
        case Session::SessionState::Closed:
            if (!m_instanceId.isNull() && m_entered && m_reconnect) {
                // A reconnected session is left as it was found: disconnected, for later.
                m_leaving = true;
                if (!m_reconnect->disconnect().ok())
                    m_reconnect->close();
                QObject::connect(m_reconnect.get(), &Wsman::RunspacePoolClient::disconnected,
                                 &m_loop, [this] { finish(int(ExitCode::Success)); });
                return;
            }
            if (m_entered)
                finish(int(ExitCode::Success));
            else
                QTimer::singleShot(0, &m_loop, [this] { fail(); });
            return;
        case Session::SessionState::Broken:
            // The client's failed() reaches this run after the session's own slot: read it then.
            QTimer::singleShot(0, &m_loop, [this] { fail(); });
            return;
        default:
            return;
        }
    }

    void readCommand()
    {
        if (m_done || m_session.state() != Session::SessionState::Ready)
            return;
        m_editor.read(m_session.prompt(), LineEditor::Mode::Command,
                      [this](LineEditor::Outcome outcome, const QString &line) {
                          switch (outcome) {
                          case LineEditor::Outcome::Line:
                              if (line.trimmed().isEmpty()) {
                                  readCommand();
                                  return;
                              }
                              if (auto r = m_session.runLine(line); !r) {
                                  m_ui.writeClientError(r.error().detail);
                                  readCommand();
                              }
                              return;
                          case LineEditor::Outcome::Interrupted:
                              // Ctrl+C at the prompt clears the line; after an abandoned command it
                              // is the third.
                              if (m_interrupts >= 2) {
                                  exitInterrupted();
                                  return;
                              }
                              readCommand();
                              return;
                          case LineEditor::Outcome::EndOfInput:
                              m_session.exit();
                              if (m_session.state() == Session::SessionState::Closed)
                                  finish(int(ExitCode::Success));
                              return;
                          }
                      });
    }

    void exitInterrupted()
    {
        m_ui.writeClientError(u"psremote-cli: interrupted"_s);
        finish(int(ExitCode::Interrupted));
    }

    // Ctrl+C: the first stops the running command, the second abandons it (the session stays),
    // the third exits with 130. While connecting, or with no terminal and no command, it exits.
    void onInterrupt()
    {
        const Session::InterruptResult r = m_session.interrupt();
        switch (r) {
        case Session::InterruptResult::Stopping:
            ++m_interrupts;
            return;
        case Session::InterruptResult::Abandoned:
            ++m_interrupts;
            m_ui.note(Session::NoteKind::Info, u"(press Ctrl+C once more to exit psremote-cli)"_s);
            return;
        case Session::InterruptResult::EnterCancelled:
            finish(int(ExitCode::Interrupted));
            return;
        case Session::InterruptResult::Ignored:
            break;
        }
        ++m_interrupts;
        if (!m_entered || m_interrupts >= 3 || m_session.state() == Session::SessionState::Ready)
            exitInterrupted();
    }

    QTextStream &m_err;
    QString m_host;
    QUuid m_instanceId;
    QEventLoop m_loop;
    LineEditor m_editor;
    TerminalUi m_ui;
    Session::InteractiveSession m_session;
    Session::CommandHistory m_history;
    std::unique_ptr<Wsman::RunspacePoolClient> m_reconnect;
    std::optional<Wsman::ClientError> m_error;
    std::optional<Wsman::TransportError> m_tlsFailure;
    bool m_clientCertificate = false;
    bool m_opened = false;
    bool m_entered = false;
    bool m_leaving = false;
    bool m_done = false;
    int m_interrupts = 0;
    int m_exit = int(ExitCode::Success);

public:
    void setClientCertificate(bool on) { m_clientCertificate = on; }
};

} // namespace

QString enterHelp()
{
    return u"Usage: psremote-cli enter [connection options] [HOST]\n"
           "\n"
           "Enter-PSSession in a terminal: an interactive session on a remote computer over "
           "WinRM.\n"
           "The remote prompt is shown as \"[HOST]: PS ...> \"; each line runs remotely and its\n"
           "output is formatted there. Line editing (arrows, Home/End, Ctrl+A/E/K/U/W), history\n"
           "(Up/Down, Ctrl+R search; kept per host, never what was typed into a secure prompt),\n"
           "Tab completion, colours on a colour terminal (NO_COLOR switches them off), progress "
           "on\n"
           "one line. Read-Host, Get-Credential and choice prompts are answered at the terminal\n"
           "(secure input without echo). `exit` or Ctrl+D on an empty line leaves.\n"
           "\n"
           "When stdin is not a terminal, its lines are the commands (and the answers to "
           "Read-Host):\n"
           "each remote prompt is printed followed by the line it answers, without colours, and "
           "the\n"
           "exit status is 0 at `exit` or end of input, even after failed commands.\n"
           "\n"
           "  HOST                        The computer (Enter-PSSession's first positional\n"
           "                              parameter, same as --computer-name).\n"
           "  --instance-id GUID          Reconnect to a disconnected session the server keeps\n"
           "                              (its shell id) and enter it; left disconnected at exit.\n"
           "  --help, -h                  Print this help and exit.\n"
           "\n"_s +
           ConnectionOptions::helpText() +
           u"\n"
           "Ctrl+C stops the running command; a second Ctrl+C abandons it (the session stays);\n"
           "a third exits (130). At the prompt Ctrl+C clears the line.\n"
           "Exit codes: 0 left with `exit` or end of input, 2 usage error, 3 cannot connect,\n"
           "4 TLS failure, 5 authentication failed or insecure choice refused, 6 WS-Management\n"
           "fault or protocol error (also: the endpoint does not support interactive sessions),\n"
           "130 interrupted.\n"_s;
}

std::variant<EnterArguments, UsageError> parseEnterArguments(const QStringList &arguments)
{
    EnterArguments result;
    for (qsizetype i = 0; i < arguments.size();) {
        const QString &arg = arguments.at(i);
        if (arg == u"--help" || arg == u"-h") {
            result.help = true;
            return result;
        }
        const qsizetype eq = arg.indexOf(u'=');
        const QString name = arg.startsWith(u"--") && eq > 0 ? arg.left(eq) : arg;
        if (name == u"--instance-id") {
            QString value;
            if (eq > 0 && name != arg) {
                value = arg.mid(eq + 1);
                ++i;
            } else if (i + 1 < arguments.size()) {
                value = arguments.at(i + 1);
                i += 2;
            } else {
                return UsageError{name, u"--instance-id needs a value"_s};
            }
            result.instanceId = QUuid::fromString(value);
            if (result.instanceId.isNull())
                return UsageError{name, u"--instance-id: '%1' is not a GUID"_s.arg(value)};
            continue;
        }
        UsageError error;
        switch (result.connection.consume(arguments, i, error)) {
        case ConnectionOptions::Consumed::Yes:
            continue;
        case ConnectionOptions::Consumed::Error:
            return error;
        case ConnectionOptions::Consumed::No:
            return UsageError{arg,
                              u"unknown option '%1'; see `psremote-cli enter --help`"_s.arg(name)};
        }
    }
    if (auto e = result.connection.validate())
        return *e;
    return result;
}

int runEnterCommand(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    auto parsed = parseEnterArguments(arguments);
    if (auto *e = std::get_if<UsageError>(&parsed)) {
        err << "psremote-cli enter: " << e->message << '\n';
        return int(ExitCode::Usage);
    }
    EnterArguments args = std::get<EnterArguments>(std::move(parsed));
    if (args.help) {
        out << enterHelp();
        return int(ExitCode::Success);
    }

    ConnectionSetup setup(u"enter"_s, args.connection, err);
    QBuffer passwordLine;
    if (args.connection.passwordStdin) {
        QByteArray line = readFirstStdinLine();
        passwordLine.setData(line);
        line.fill('\0');
        passwordLine.open(QIODevice::ReadOnly);
    }
    const std::optional<int> refused = setup.prepare(&passwordLine);
    if (passwordLine.isOpen()) {
        passwordLine.close();
        QByteArray &data = passwordLine.buffer();
        data.fill('\0');
    }
    if (refused) {
        err.flush();
        return *refused;
    }
    err.flush();
    out.flush();

    const QString host = setup.target().host;
    const bool clientCertificate = !args.connection.connection.certificateThumbprint.isEmpty();
    const int code = setup.run([&](const Wsman::ClientOptions &options) {
        EnterRun run(host, args.instanceId, err);
        run.setClientCertificate(clientCertificate);
        return run.run(options);
    });
    err.flush();
    return code;
}

} // namespace Cli
