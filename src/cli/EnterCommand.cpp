#include "cli/EnterCommand.h"

#include "cli/CliApp.h"
#include "cli/CommandLine.h"
#include "cli/ConnectionSetup.h"
#include "cli/LineEditor.h"
#include "cli/SignalPipe.h"
#include "cli/TerminalUi.h"

#include "session/CommandHistory.h"
#include "session/InteractiveSession.h"
#include "wsman/RunspacePoolClient.h"

#include <QBuffer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QTimer>

#include <memory>
#include <utility>

#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

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

const QString Prefix = u"psremote-cli enter: "_s;
constexpr int LeaveGuardMs = 20000;

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
                                     u"psremote-cli enter: cannot save the command history: "_s + why);
                         });

        SignalPipe signalPipe(SignalPipe::Watch::InterruptAndResize);
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
                    finish(m_leaveCode);
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

    // The session could not open, or broke: invoke's sentence and exit code. A dropped connection
    // (robust connection given up: the session Disconnected on the server, or Lost) is invoke's
    // cannot-connect, told in the engine's words (with the --instance-id hint when disconnected).
    void fail()
    {
        if (m_error && !m_entered && isCertificateTrustFailure(*m_error)) {
            m_tlsFailure =
                m_error->transport; // explained by ConnectionSetup, which may offer to pin
            finish(int(ExitCode::Tls));
            return;
        }
        const Session::ConnectionCondition condition = m_session.connectionCondition();
        const bool dropped = m_entered && (condition == Session::ConnectionCondition::Disconnected ||
                                           condition == Session::ConnectionCondition::Lost);
        Failure f{ExitCode::Protocol, m_session.failureText()};
        if (m_error)
            f = describeClientError(*m_error, m_context);
        if (dropped) {
            if (!m_error || m_error->connectionLost)
                f.code = ExitCode::CannotConnect;
            if (!m_session.failureText().isEmpty())
                f.sentence = m_session.failureText();
        }
        if (f.sentence.isEmpty())
            f.sentence = u"the session ended unexpectedly"_s;
        // The session's own error note may have said it already (while entered).
        if (!m_ui.lastErrorNote().endsWith(f.sentence))
            m_ui.writeClientError(Prefix + f.sentence);
        finish(int(f.code));
    }

    // Ends the run; a session entered by --instance-id is first left as it was found:
    // disconnected on the server, for later (bounded: a Disconnect that does not come back
    // within its own timeouts and a guard ends the run anyway).
    void leave(int code)
    {
        if (m_leaving)
            return;
        if (m_instanceId.isNull() || !m_entered || !m_reconnect ||
            m_reconnect->state() != Psrp::RunspacePoolState::Opened) {
            finish(code);
            return;
        }
        m_leaving = true;
        m_leaveCode = code;
        // The engine lets go of the pool first: this Disconnect is not a dropped connection.
        if (m_session.state() != Session::SessionState::Closed)
            m_session.exit();
        QObject::connect(m_reconnect.get(), &Wsman::RunspacePoolClient::disconnected, &m_loop,
                         [this] { finish(m_leaveCode); });
        QObject::connect(m_reconnect.get(), &Wsman::RunspacePoolClient::failed, &m_loop,
                         [this](const Wsman::ClientError &) { finish(m_leaveCode); });
        QTimer::singleShot(LeaveGuardMs, &m_loop, [this] { finish(m_leaveCode); });
        if (!m_reconnect->disconnect().ok())
            m_reconnect->close();
    }

    void onState(Session::SessionState state)
    {
        switch (state) {
        case Session::SessionState::Ready:
            if (!m_entered) {
                m_entered = true;
                m_ui.setEntered(true);
                // What the session forwarded (dossier 1.9), once, where a person reads it; a
                // transcript stays exactly the console's text.
                if (m_editor.isTerminal()) {
                    m_err << "Culture " << (m_session.culture().isEmpty() ? u"(none)"_s : m_session.culture())
                          << ", UI culture " << (m_session.uiCulture().isEmpty() ? u"(none)"_s : m_session.uiCulture())
                          << " sent; `exit` leaves the session.\n";
                    m_err.flush();
                }
            }
            readCommand();
            return;
        case Session::SessionState::Closed:
            if (m_entered)
                leave(int(ExitCode::Success));
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
                              // Like `exit`: the Closed state ends the run (leave()).
                              m_session.exit();
                              return;
                          }
                      });
    }

    void exitInterrupted()
    {
        m_ui.writeClientError(Prefix + u"interrupted"_s);
        leave(int(ExitCode::Interrupted));
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
    FailureContext m_context;
    bool m_opened = false;
    bool m_entered = false;
    bool m_leaving = false;
    bool m_done = false;
    int m_leaveCode = int(ExitCode::Success);
    int m_interrupts = 0;
    int m_exit = int(ExitCode::Success);

public:
    void setFailureContext(FailureContext context) { m_context = std::move(context); }
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
    auto own = [&result](const QStringList &list, qsizetype &i, UsageError &error) {
        const QString name = optionName(list.at(i));
        if (name != u"--instance-id")
            return ConnectionOptions::Consumed::No;
        const std::optional<QString> value = takeOptionValue(list, i);
        if (!value) {
            error = UsageError{name, u"--instance-id needs a value"_s};
            return ConnectionOptions::Consumed::Error;
        }
        result.instanceId = QUuid::fromString(*value);
        if (result.instanceId.isNull()) {
            error = UsageError{name, u"--instance-id: '%1' is not a GUID"_s.arg(*value)};
            return ConnectionOptions::Consumed::Error;
        }
        return ConnectionOptions::Consumed::Yes;
    };
    if (auto e = parseCommandArguments(u"enter"_s, arguments, result.connection, result.help, own))
        return *e;
    return result;
}

int runEnterCommand(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    auto started = startCommand(u"enter"_s, parseEnterArguments(arguments), &enterHelp, out, err);
    if (const int *code = std::get_if<int>(&started))
        return *code;
    EnterArguments args = std::get<EnterArguments>(std::move(started));

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
    const int code = setup.run([&](const Wsman::ClientOptions &options) {
        EnterRun run(host, args.instanceId, err);
        run.setFailureContext(setup.failureContext());
        return run.run(options);
    });
    err.flush();
    return code;
}

} // namespace Cli
