// psremote-cli enter (Enter-PSSession in a terminal), end to end with the real binary against the
// loopback endpoint in this process (the SIMULATOR, not PowerShell; real PowerShell where
// PSREMOTE_PWSH_HOST is set): transcript mode with stdin a pipe, and a pseudo-terminal for line
// editing, history, completion, secure input and Ctrl+C. Every wait is bounded and polls output.
#include "cli/CliApp.h"
#include "cli/EnterCommand.h"

#include "CliTestSupport.h"
#include "LoopbackServer.h"
#include "PwshProcess.h"
#include "SimulatorEngine.h"

#include "wsman/Envelope.h"
#include "wsman/RunspacePoolClient.h"

#include <QDirIterator>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTimer>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <memory>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using Cli::ExitCode;
using namespace CliTestSupport;

namespace {

const QString Password = u"wonderland"_s;

class EnterEndToEnd : public ::testing::Test {
protected:
    void SetUp() override { startServer(TestServer::EngineKind::Simulator); }
    void TearDown() override { TestServer::SimulatorEngine::setHiddenCommands({}); }

    void startServer(TestServer::EngineKind engine)
    {
        m_server = startEndpoint(u"alice"_s, Password, engine);
        ASSERT_TRUE(m_server);
        ASSERT_TRUE(m_home.isValid());
    }

    QStringList args(quint16 port = 0) const
    {
        return {u"enter"_s,
                u"127.0.0.1"_s,
                u"--port"_s,
                QString::number(port ? port : m_server->port()),
                u"--credential"_s,
                u"alice"_s,
                u"--authentication"_s,
                u"basic"_s,
                u"--session-option"_s,
                u"NoEncryption=true"_s};
    }

    QProcessEnvironment environment(const QStringList &extra = {}) const
    {
        return cliEnvironment(m_home.path(), extra);
    }

    // stdin a pipe (password first with --password-stdin), no controlling terminal.
    CliRun runTranscript(const QStringList &arguments, const QByteArray &input)
    {
        return runCli(arguments, environment(), input);
    }

    QStringList historyFiles() const
    {
        QStringList files;
        QDirIterator it(m_home.path(), {u"*.history"_s}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext())
            files.append(it.next());
        return files;
    }

    QTemporaryDir m_home;
    std::unique_ptr<TestServer::LoopbackServer> m_server;
};

const QString Prompt = u"[127.0.0.1]: PS /simulator> "_s;

// ---- options ----------------------------------------------------------------------------------

TEST(EnterOptions, HostIsPositionalAndInstanceIdIsAGuid)
{
    auto parsed = Cli::parseEnterArguments({u"server1"_s, u"--credential"_s, u"alice"_s});
    ASSERT_TRUE(std::holds_alternative<Cli::EnterArguments>(parsed));
    const auto &a = std::get<Cli::EnterArguments>(parsed);
    EXPECT_EQ(a.connection.connection.computerName.value_or(QString()), u"server1"_s);
    EXPECT_TRUE(a.instanceId.isNull());

    const QUuid id = QUuid::createUuid();
    parsed = Cli::parseEnterArguments({u"server1"_s, u"--credential"_s, u"alice"_s,
                                       u"--instance-id"_s, id.toString(QUuid::WithoutBraces)});
    ASSERT_TRUE(std::holds_alternative<Cli::EnterArguments>(parsed));
    EXPECT_EQ(std::get<Cli::EnterArguments>(parsed).instanceId, id);

    parsed = Cli::parseEnterArguments({u"server1"_s, u"--instance-id"_s, u"not-a-guid"_s});
    ASSERT_TRUE(std::holds_alternative<Cli::UsageError>(parsed));
    EXPECT_TRUE(std::get<Cli::UsageError>(parsed).message.contains(u"GUID"_s));
    parsed = Cli::parseEnterArguments({u"server1"_s, u"--command"_s, u"x"_s});
    ASSERT_TRUE(std::holds_alternative<Cli::UsageError>(parsed));
    EXPECT_TRUE(std::holds_alternative<Cli::UsageError>(Cli::parseEnterArguments({})));
}

TEST(EnterOptions, HelpAndUsageErrorsThroughTheCli)
{
    QString outText;
    QString errText;
    QTextStream out(&outText);
    QTextStream err(&errText);
    EXPECT_EQ(Cli::runCli({u"enter"_s, u"--help"_s}, out, err), 0);
    out.flush();
    EXPECT_TRUE(outText.contains(u"--instance-id"_s));
    EXPECT_TRUE(outText.contains(u"--credential"_s)); // the shared connection options
    EXPECT_EQ(Cli::runCli({u"enter"_s, u"host"_s, u"--bogus"_s}, out, err), int(ExitCode::Usage));
    err.flush();
    EXPECT_TRUE(errText.contains(u"--bogus"_s));
    EXPECT_TRUE(Cli::usage().contains(u"enter"_s));
}

// ---- transcript mode (stdin not a terminal) ----------------------------------------------------

TEST_F(EnterEndToEnd, TranscriptShowsEachPromptWithItsLineAndExitsZeroAtEndOfInput)
{
    const CliRun r = runTranscript(
        args() << u"--password-stdin"_s,
        "wonderland\nWrite-Output hello\nWrite-Error boom\nthrow kaput\nGet-Location\n");
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, Prompt + u"Write-Output hello\nhello\n"_s + Prompt +
                         u"Write-Error boom\nboom\n"_s + Prompt + u"throw kaput\nkaput\n"_s +
                         Prompt + u"Get-Location\n/simulator\n"_s);
    EXPECT_FALSE(r.out.contains(u'\x1b')); // no colours in a transcript
    EXPECT_TRUE(spinUntil([&] { return m_server->shellCount() == 0; })); // the session was closed
    EXPECT_TRUE(historyFiles().isEmpty()); // scripted lines are not the user's history
}

TEST_F(EnterEndToEnd, ExitLeavesWithZeroAndRunsNothingAfterIt)
{
    const CliRun r = runTranscript(args() << u"--password-stdin"_s,
                                   "wonderland\nthrow failed\nexit\nWrite-Output never\n");
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(r.out.endsWith(Prompt + u"exit\n"_s)) << r.out.toStdString();
    EXPECT_FALSE(r.out.contains(u"never\n"_s.prepend(u'\n')));
    EXPECT_TRUE(spinUntil([&] { return m_server->shellCount() == 0; }));
}

TEST_F(EnterEndToEnd, ReadHostAndGetCredentialTakeTheNextLinesSecretsUnshown)
{
    const CliRun r =
        runTranscript(args() << u"--password-stdin"_s,
                      "wonderland\nRead-Host name\ntyped answer\nRead-Host pin -AsSecureString\n"
                      "1234-secret\nGet-Credential bob\nbob-secret\nWrite-Output after\n");
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(r.out.contains(Prompt + u"Read-Host name\nname: typed answer\ntyped answer\n"_s))
        << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"asking you to enter a secure string"_s)) << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"Password for user bob: \n"_s)) << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"System.Management.Automation.PSCredential"_s))
        << r.out.toStdString();
    EXPECT_TRUE(r.out.endsWith(Prompt + u"Write-Output after\nafter\n"_s)) << r.out.toStdString();
    EXPECT_FALSE(r.out.contains(u"1234-secret"_s));
    EXPECT_FALSE(r.out.contains(u"bob-secret"_s));
    EXPECT_FALSE(r.err.contains(u"secret"_s));
}

TEST_F(EnterEndToEnd, EveryQuestionKindIsAnsweredFromTheNextLines)
{
    // Invoke-HostMethod N: the simulator makes host call N and prints the answer it got.
    const CliRun r = runTranscript(
        args() << u"--password-stdin"_s,
        "wonderland\n"
        "Invoke-HostMethod 26\nmaybe\nn\n"           // PromptForChoice: asks again, then No
        "Invoke-HostMethod 56\nA,C\n"                // PromptForChoiceMultipleSelection
        "Invoke-HostMethod 23\nBob\ns3\ncarol\nc4\n" // Prompt: text, secure, credential
        "Invoke-HostMethod 24 alice\npa55\n"         // PromptForCredential1
        "Invoke-HostMethod 46\ny\n"                  // ReadKey
        "Invoke-HostMethod 11\nplain\n");            // ReadLine
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(r.out.contains(
        u"Choice caption\nChoose one\n[Y] Yes  [N] No  (default is \"N\"): maybe\n"_s))
        << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"(default is \"N\"): n\nresult: 1\n"_s)) << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"Choices (separated by commas): A,C\nresult: 0,2\n"_s))
        << r.out.toStdString();
    EXPECT_TRUE(
        r.out.contains(u"result: Name=Bob;Secret=secure:s3;Login=credential:carol/secure:c4\n"_s))
        << r.out.toStdString();
    EXPECT_TRUE(
        r.out.contains(u"Password for user alice: \nresult: credential:alice/secure:pa55\n"_s))
        << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"result: key:y"_s)) << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"plain\nresult: plain\n"_s)) << r.out.toStdString();
    EXPECT_FALSE(r.out.contains(u"s3\n"_s.prepend(u'\n')));
    EXPECT_FALSE(r.out.contains(u"\npa55\n"_s)); // only inside the answer the simulator prints
}

TEST_F(EnterEndToEnd, PasswordFromTheEnvironmentAndStreamsStyledAsPowerShell)
{
    QProcess p;
    QProcessEnvironment e = environment();
    e.insert(u"PSREMOTE_PASSWORD"_s, Password);
    p.setProcessEnvironment(e);
    p.setChildProcessModifier([] { ::setsid(); });
    p.start(QStringLiteral(PSREMOTE_CLI_PATH), args());
    p.write("Write-Warning careful\nWrite-Verbose chatty\nWrite-Progress act -Status "
            "st\nWrite-Output done\n");
    p.closeWriteChannel();
    ASSERT_TRUE(spinUntil([&] { return p.state() == QProcess::NotRunning; }, 60000));
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    EXPECT_EQ(p.exitCode(), 0) << p.readAllStandardError().toStdString();
    EXPECT_TRUE(out.contains(u"WARNING: careful\n"_s)) << out.toStdString();
    EXPECT_TRUE(out.contains(u"VERBOSE: chatty\n"_s)) << out.toStdString();
    EXPECT_FALSE(out.contains(u"act"_s.prepend(u'\n'))); // no progress line in a transcript
    EXPECT_TRUE(out.endsWith(u"done\n"_s)) << out.toStdString();
}

TEST_F(EnterEndToEnd, EndpointDownExitsThree)
{
    QTcpServer closed;
    ASSERT_TRUE(closed.listen(QHostAddress::LocalHost, 0));
    const quint16 port = closed.serverPort();
    closed.close();
    const CliRun r =
        runTranscript(args(port) << u"--password-stdin"_s, "wonderland\nWrite-Output x\n");
    EXPECT_EQ(r.exitCode, int(ExitCode::CannotConnect)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"refused"_s)) << r.err.toStdString();
    EXPECT_TRUE(r.err.startsWith(u"psremote-cli enter: cannot connect"_s)) << r.err.toStdString();
    EXPECT_EQ(r.err.count(u'\n'), 1) << r.err.toStdString();
    EXPECT_EQ(r.out, QString());
}

TEST_F(EnterEndToEnd, BadPasswordExitsFiveWithoutShowingIt)
{
    const CliRun r = runTranscript(args() << u"--password-stdin"_s, "wrong-pw\nWrite-Output x\n");
    EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
    EXPECT_FALSE(r.err.contains(u"wrong-pw"_s));
    EXPECT_EQ(r.err.count(u'\n'), 1) << r.err.toStdString();
}

TEST_F(EnterEndToEnd, NoTerminalAndNoPasswordExitsTwoBeforeConnecting)
{
    const CliRun r = runTranscript(args(), "Write-Output x\n");
    EXPECT_EQ(r.exitCode, int(ExitCode::Usage));
    EXPECT_TRUE(r.err.contains(u"no terminal"_s)) << r.err.toStdString();
    EXPECT_EQ(m_server->requestCount(), 0);
}

TEST_F(EnterEndToEnd, EndpointWithoutInteractiveSupportExitsSixWithPowerShellsReason)
{
    TestServer::SimulatorEngine::setHiddenCommands({u"Exit-PSSession"_s});
    const CliRun r = runTranscript(args() << u"--password-stdin"_s, "wonderland\nWrite-Output x\n");
    EXPECT_EQ(r.exitCode, int(ExitCode::Protocol)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"does not support push"_s)) << r.err.toStdString();
    EXPECT_TRUE(spinUntil([&] { return m_server->shellCount() == 0; }));
}

TEST_F(EnterEndToEnd, InstanceIdReconnectsToADisconnectedSession)
{
    // A session left disconnected on the server (by this process's own client).
    Wsman::ClientOptions options;
    options.connection.connectionUri = m_server->url().toString();
    options.sessionOption.noEncryption = true;
    options.authenticatorFactory =
        Wsman::basicAuthenticatorFactory(u"alice"_s, Wsman::Secret(Password));
    Wsman::RunspacePoolClient client(std::move(options));
    bool opened = false;
    bool disconnected = false;
    QObject::connect(&client, &Wsman::RunspacePoolClient::opened, [&] { opened = true; });
    QObject::connect(&client, &Wsman::RunspacePoolClient::disconnected,
                     [&] { disconnected = true; });
    client.open();
    ASSERT_TRUE(spinUntil([&] { return opened; }));
    const QUuid shell = client.shellId();
    ASSERT_TRUE(client.disconnect().ok());
    ASSERT_TRUE(spinUntil([&] { return disconnected; }));

    const CliRun r = runTranscript(args() << u"--password-stdin"_s << u"--instance-id"_s
                                          << shell.toString(QUuid::WithoutBraces),
                                   "wonderland\nWrite-Output reconnected\nexit\n");
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(r.out.contains(Prompt + u"Write-Output reconnected\nreconnected\n"_s))
        << r.out.toStdString();
    EXPECT_EQ(m_server->shellCount(), 1); // left disconnected for later, not deleted
}

// ---- robust connection (users-and-peers 0.3) in transcript mode -----------------------------------

// A command long enough for the endpoint to drop the connection while it runs.
const QString SlowLine = u"Write-Output first; Start-Sleep -Milliseconds 1500; Write-Output second"_s;

TEST_F(EnterEndToEnd, ConnectionDroppedDuringACommandComesBackWithWarningsAndCompleteOutput)
{
    CliProcess p(args() << u"--password-stdin"_s, environment({u"PSREMOTE_MAX_RETRY_TIME_MS=30000"_s}),
                 "wonderland\n" + SlowLine.toUtf8() + "\n");
    ASSERT_TRUE(p.waitForOutput(u"\nfirst\n"_s)) << p.out().toStdString() << p.err().toStdString();
    m_server->startOutage(1500);
    const CliRun r = p.finish();
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(r.out.contains(Prompt + SlowLine + u"\nfirst\nsecond\n"_s)) << r.out.toStdString();
    // PowerShell's warnings, in order; "up to 0.5 minutes" is PSREMOTE_MAX_RETRY_TIME_MS.
    const qsizetype interrupted = r.err.indexOf(
        u"WARNING: The network connection to 127.0.0.1 has been interrupted. Attempting to reconnect for up "
        "to 0.5 minutes..."_s);
    const qsizetype restored = r.err.indexOf(u"WARNING: The network connection to 127.0.0.1 has been restored."_s);
    EXPECT_GE(interrupted, 0) << r.err.toStdString();
    EXPECT_GT(restored, interrupted) << r.err.toStdString();
    EXPECT_EQ(m_server->outageCount(), 1);
}

TEST_F(EnterEndToEnd, RetriesRunningOutDisconnectTheSessionWithTheInstanceIdHint)
{
    CliProcess p(args() << u"--password-stdin"_s, environment({u"PSREMOTE_MAX_RETRY_TIME_MS=1500"_s}),
                 "wonderland\n" + SlowLine.toUtf8() + "\nWrite-Output never\n");
    ASSERT_TRUE(p.waitForOutput(u"\nfirst\n"_s)) << p.out().toStdString() << p.err().toStdString();
    // Receives and Reconnects never get through; the Disconnect does.
    m_server->faults().dropActions = {Wsman::Action::Receive, Wsman::Action::Reconnect};
    m_server->dropConnections();
    const CliRun r = p.finish();
    m_server->faults().dropActions.clear();
    EXPECT_EQ(r.exitCode, int(ExitCode::CannotConnect)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"WARNING: The reconnection attempt to 127.0.0.1 failed."_s)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"WARNING: Computer 127.0.0.1 has been successfully disconnected."_s))
        << r.err.toStdString();
    ASSERT_EQ(m_server->shellCount(), 1); // kept for a later enter --instance-id
    const QStringList hint = r.err.split(u'\n').filter(u"psremote-cli enter --instance-id "_s);
    EXPECT_EQ(hint.size(), 1) << r.err.toStdString(); // said once
    EXPECT_FALSE(r.out.contains(u"Write-Output never"_s)) << r.out.toStdString();
    EXPECT_FALSE(r.out.contains(u"\nsecond\n"_s)) << r.out.toStdString();
}

TEST_F(EnterEndToEnd, PermanentOutageEndsTheSessionAsLostWithInvokesExitCode)
{
    CliProcess p(args() << u"--password-stdin"_s, environment({u"PSREMOTE_MAX_RETRY_TIME_MS=1500"_s}),
                 "wonderland\n" + SlowLine.toUtf8() + "\n");
    ASSERT_TRUE(p.waitForOutput(u"\nfirst\n"_s)) << p.out().toStdString() << p.err().toStdString();
    m_server->startOutage(-1);
    const CliRun r = p.finish();
    m_server->endOutage();
    EXPECT_EQ(r.exitCode, int(ExitCode::CannotConnect)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"could not be restored"_s)) << r.err.toStdString();
    EXPECT_FALSE(r.err.contains(u"psremote-cli: "_s)) << r.err.toStdString();
}

TEST_F(EnterEndToEnd, CommaSeparatedSessionOptionsAreEachChecked)
{
    const CliRun r = runTranscript(args() << u"--password-stdin"_s << u"--session-option"_s
                                          << u"OpenTimeout=60000,OperationTimeout=oops"_s,
                                   "wonderland\n");
    EXPECT_EQ(r.exitCode, int(ExitCode::Usage));
    EXPECT_TRUE(r.err.startsWith(u"psremote-cli enter: "_s)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"OperationTimeout"_s)) << r.err.toStdString();
}

// ---- a pseudo-terminal -------------------------------------------------------------------------

// psremote-cli with a fresh pseudo-terminal as controlling terminal, stdin, stdout and stderr;
// the test types on the master side and polls what the terminal shows.
class Terminal {
public:
    Terminal(const QStringList &arguments, QProcessEnvironment environment, bool colour = true)
    {
        m_master = ::posix_openpt(O_RDWR | O_NOCTTY);
        if (m_master < 0 || ::grantpt(m_master) != 0 || ::unlockpt(m_master) != 0) {
            ADD_FAILURE() << "no pseudo terminal";
            return;
        }
        ::fcntl(m_master, F_SETFL, O_NONBLOCK);
        winsize ws{};
        ws.ws_col = 100;
        ws.ws_row = 30;
        ::ioctl(m_master, TIOCSWINSZ, &ws);
        const QByteArray slavePath(::ptsname(m_master));
        environment.insert(u"PSREMOTE_PASSWORD"_s, Password);
        environment.insert(u"TERM"_s, colour ? u"xterm-256color"_s : u"dumb"_s);
        m_process.setProcessEnvironment(environment);
        m_process.setChildProcessModifier([slavePath] {
            ::setsid();
            const int fd = ::open(slavePath.constData(), O_RDWR); // the controlling terminal
            if (fd >= 0) {
                ::dup2(fd, STDIN_FILENO);
                ::dup2(fd, STDOUT_FILENO);
                ::dup2(fd, STDERR_FILENO);
                if (fd > STDERR_FILENO)
                    ::close(fd);
            }
        });
        m_process.setStandardOutputFile(QProcess::nullDevice());
        m_process.setStandardErrorFile(QProcess::nullDevice());
        m_notifier = std::make_unique<QSocketNotifier>(m_master, QSocketNotifier::Read);
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, [this] { drain(); });
        m_process.start(QStringLiteral(PSREMOTE_CLI_PATH), arguments);
    }
    ~Terminal()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
        m_notifier.reset();
        if (m_master >= 0)
            ::close(m_master);
    }

    void drain()
    {
        char buffer[1024];
        ssize_t n = 0;
        while ((n = ::read(m_master, buffer, sizeof buffer)) > 0)
            m_screen.append(buffer, n);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            m_notifier->setEnabled(false); // EIO once the child closed the terminal
    }
    const QByteArray &screen() const { return m_screen; }
    // Waits until `text` appears `count` times in total.
    bool waitFor(const QByteArray &text, int count = 1)
    {
        return spinUntil([&] { return m_screen.count(text) >= count; });
    }
    void resize(unsigned short columns, unsigned short rows)
    {
        winsize ws{};
        ws.ws_col = columns;
        ws.ws_row = rows;
        ::ioctl(m_master, TIOCSWINSZ, &ws); // the kernel sends SIGWINCH to the child
    }
    void terminate() { ::kill(pid_t(m_process.processId()), SIGTERM); }
    void type(const QByteArray &bytes)
    {
        (void)!::write(m_master, bytes.constData(), size_t(bytes.size()));
    }
    // The line discipline's flags, as the child set them (raw while editing, cooked otherwise).
    tcflag_t localFlags() const
    {
        termios t{};
        return ::tcgetattr(m_master, &t) == 0 ? t.c_lflag : 0;
    }
    bool waitEditing()
    {
        return spinUntil([&] { return !(localFlags() & ICANON) && !(localFlags() & ECHO); });
    }
    bool waitCooked()
    {
        return spinUntil([&] { return (localFlags() & ISIG) != 0; });
    }
    bool waitExit()
    {
        const bool done = spinUntil([&] { return m_process.state() == QProcess::NotRunning; });
        drain();
        return done;
    }
    int exitCode() const
    {
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }

private:
    int m_master = -1;
    QProcess m_process;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QByteArray m_screen;
};

std::string shown(const QByteArray &screen)
{
    return screen.right(3000).toStdString();
}

TEST_F(EnterEndToEnd, TerminalPromptOutputColoursAndExit)
{
    Terminal t(args(), environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("Write-Output hello\r");
    ASSERT_TRUE(t.waitFor("\r\nhello\r\n")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 2));
    // A terminating error in PowerShell's error colour (red) on a colour terminal.
    t.type("throw kaput\r");
    ASSERT_TRUE(t.waitFor("\x1b[91mkaput\x1b[0m")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 3));
    t.type("exit\r");
    ASSERT_TRUE(t.waitExit()) << shown(t.screen());
    EXPECT_EQ(t.exitCode(), 0);
    // The terminal is back in cooked mode with echo.
    EXPECT_TRUE(t.localFlags() & ECHO);
    EXPECT_TRUE(t.localFlags() & ICANON);
    EXPECT_TRUE(spinUntil([&] { return m_server->shellCount() == 0; }));
}

TEST_F(EnterEndToEnd, TerminalSaysWhichCulturesWereSent)
{
    Terminal t(args() << u"--session-option"_s << u"Culture=fr-FR,UICulture=de-DE"_s, environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    EXPECT_TRUE(t.waitFor("Culture fr-FR, UI culture de-DE sent")) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("exit\r");
    ASSERT_TRUE(t.waitExit()) << shown(t.screen());
    EXPECT_EQ(t.exitCode(), 0);
}

TEST_F(EnterEndToEnd, TerminalWithoutColourWhenNoColorIsSet)
{
    QProcessEnvironment e = environment();
    e.insert(u"NO_COLOR"_s, u"1"_s);
    Terminal t(args(), e);
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    t.type("throw kaput\r");
    ASSERT_TRUE(t.waitFor("kaput\r\n")) << shown(t.screen());
    EXPECT_FALSE(t.screen().contains("\x1b[91m"));
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 2));
    ASSERT_TRUE(t.waitEditing()); // in cooked mode the line discipline would take Ctrl+D itself
    t.type("\x04");               // Ctrl+D on an empty line leaves
    ASSERT_TRUE(t.waitExit()) << shown(t.screen());
    EXPECT_EQ(t.exitCode(), 0);
}

TEST_F(EnterEndToEnd, TerminalProgressLineWindowSizeAndTitle)
{
    Terminal t(args(), environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    t.type("Write-Progress copying -Status files -PercentComplete 40; Start-Sleep -Milliseconds "
           "20; Write-Output done\r");
    ASSERT_TRUE(t.waitFor("\r\x1b[7mcopying: files [40%]\x1b[0m"))
        << shown(t.screen());                                        // one line, in place
    ASSERT_TRUE(t.waitFor("\r\x1b[Kdone\r\n")) << shown(t.screen()); // cleared before output
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 2));
    // The window size comes from the terminal, and follows it (SIGWINCH).
    t.type("Invoke-HostMethod 39\r");
    ASSERT_TRUE(t.waitFor("result: 100x30")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 3));
    t.resize(90, 20);
    t.type("Invoke-HostMethod 39\r");
    ASSERT_TRUE(t.waitFor("result: 90x20")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 4));
    t.type("Invoke-HostMethod 42 remote title\r"); // SetWindowTitle: OSC 0
    ASSERT_TRUE(t.waitFor("\x1b]0;remote title\a")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 5));
    t.type("exit\r");
    ASSERT_TRUE(t.waitExit()) << shown(t.screen());
    EXPECT_EQ(t.exitCode(), 0);
}

TEST_F(EnterEndToEnd, TerminalReadHostAndSecureInputNeverEchoedNorInTheHistory)
{
    Terminal t(args(), environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    t.type("Read-Host name\r");
    ASSERT_TRUE(t.waitFor("name: ")) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("typed answer\r");
    ASSERT_TRUE(t.waitFor("\r\ntyped answer\r\n"))
        << shown(t.screen());                               // the simulator outputs the answer
    EXPECT_TRUE(t.screen().contains("name: typed answer")); // echoed as typed
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 2));

    t.type("Read-Host pin -AsSecureString\r");
    ASSERT_TRUE(t.waitFor("secure string")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor("pin: ", 2)) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("1234-secret\r");
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 3)) << shown(t.screen());

    t.type("Get-Credential bob\r");
    ASSERT_TRUE(t.waitFor("Password for user bob: ")) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("bob-secret\r");
    ASSERT_TRUE(t.waitFor("PSCredential")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 4));
    t.type("exit\r");
    ASSERT_TRUE(t.waitExit());
    EXPECT_EQ(t.exitCode(), 0);
    EXPECT_FALSE(t.screen().contains("1234-secret"));
    EXPECT_FALSE(t.screen().contains("bob-secret"));

    const QStringList files = historyFiles();
    ASSERT_EQ(files.size(), 1);
    QFile file(files.first());
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray history = file.readAll();
    EXPECT_TRUE(history.contains("Read-Host name")) << history.toStdString();
    EXPECT_TRUE(history.contains("Get-Credential bob"));
    EXPECT_FALSE(history.contains("typed answer"));
    EXPECT_FALSE(history.contains("secret"));
    EXPECT_EQ(QFile::permissions(files.first()) & (QFile::ReadGroup | QFile::ReadOther),
              QFile::Permissions());
}

TEST_F(EnterEndToEnd, TerminalTabCompletionOneAndSeveralMatches)
{
    Terminal t(args(), environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("Write-Ou\t");
    ASSERT_TRUE(t.waitFor("Write-Output")) << shown(t.screen());
    t.type(" completed\r");
    ASSERT_TRUE(t.waitFor("\r\ncompleted\r\n")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 2));
    // Several matches: the common part is kept and the list shown under the line.
    t.type("Write-\t");
    ASSERT_TRUE(t.waitFor("Write-Warning")) << shown(t.screen());
    EXPECT_TRUE(t.waitFor("Write-Debug"));
    EXPECT_TRUE(t.waitFor("Write-Progress"));
    t.type("\x15"); // Ctrl+U
    t.type("exit\r");
    ASSERT_TRUE(t.waitExit()) << shown(t.screen());
    EXPECT_EQ(t.exitCode(), 0);
}

TEST_F(EnterEndToEnd, TerminalCtrlCStopsTheCommandAndThePromptComesBack)
{
    Terminal t(args(), environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    // Ctrl+C at the prompt clears the line; nothing runs.
    t.type("Write-Output abandoned\x03");
    ASSERT_TRUE(t.waitFor("^C")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 2));
    ASSERT_TRUE(t.waitEditing());
    t.type("Write-Output started; Start-Sleep 60\r");
    ASSERT_TRUE(t.waitFor("\r\nstarted\r\n")) << shown(t.screen());
    ASSERT_TRUE(t.waitCooked());
    t.type("\x03"); // the terminal turns it into SIGINT while the command runs
    ASSERT_TRUE(t.waitFor("The command was stopped.")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 3)) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("Write-Output still here\r");
    ASSERT_TRUE(t.waitFor("\r\nstill here\r\n")) << shown(t.screen());
    EXPECT_FALSE(t.screen().contains("\r\nabandoned"));
    t.type("exit\r");
    ASSERT_TRUE(t.waitExit()) << shown(t.screen());
    EXPECT_EQ(t.exitCode(), 0);
}

TEST_F(EnterEndToEnd, TerminalCtrlCAtAQuestionStopsAndTheThirdCtrlCExits130)
{
    Terminal t(args(), environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    // Ctrl+C while Read-Host waits (the terminal is in raw mode then): the command stops.
    t.type("Read-Host name\r");
    ASSERT_TRUE(t.waitFor("name: ")) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("half\x03");
    ASSERT_TRUE(t.waitFor("The command was stopped.")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 2));
    // A command that ignores the stop: the second Ctrl+C abandons it, the third exits.
    ASSERT_TRUE(t.waitEditing());
    t.type("Write-Output stubborn; Start-Sleep 60 -IgnoreStop\r");
    ASSERT_TRUE(t.waitFor("\r\nstubborn\r\n")) << shown(t.screen());
    ASSERT_TRUE(t.waitCooked());
    t.type("\x03");
    ASSERT_TRUE(t.waitFor("press Ctrl+C again to abandon", 2))
        << shown(t.screen()); // the Read-Host stop said it once
    t.type("\x03");
    ASSERT_TRUE(t.waitFor("was abandoned")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 3)) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("\x03");
    ASSERT_TRUE(t.waitExit()) << shown(t.screen());
    EXPECT_EQ(t.exitCode(), int(ExitCode::Interrupted));
    EXPECT_TRUE(t.localFlags() & ECHO); // restored
}

TEST_F(EnterEndToEnd, TerminalSettingsComeBackWhenSigtermEndsTheProcessWhileEditing)
{
    Terminal t(args(), environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("Write-Out");
    ASSERT_TRUE(t.waitFor("Write-Out")) << shown(t.screen());
    t.terminate();
    ASSERT_TRUE(t.waitExit());
    EXPECT_TRUE(t.localFlags() & ECHO);
    EXPECT_TRUE(t.localFlags() & ICANON);
    EXPECT_TRUE(t.localFlags() & ISIG);
}

TEST_F(EnterEndToEnd, TerminalUpArrowAndCtrlRRecallTheHistory)
{
    Terminal t(args(), environment());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8())) << shown(t.screen());
    ASSERT_TRUE(t.waitEditing());
    t.type("Write-Output first\r");
    ASSERT_TRUE(t.waitFor("\r\nfirst\r\n")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 2));
    ASSERT_TRUE(t.waitEditing());
    t.type("Write-Output second\r");
    ASSERT_TRUE(t.waitFor("\r\nsecond\r\n")) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 3));
    ASSERT_TRUE(t.waitEditing());
    t.type("\x1b[A\x1b[A\r"); // Up twice: the first line again
    ASSERT_TRUE(t.waitFor("\r\nfirst\r\n", 2)) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 4));
    ASSERT_TRUE(t.waitEditing());
    t.type("\x12sec"); // Ctrl+R
    ASSERT_TRUE(t.waitFor("(reverse-i-search)`sec': Write-Output second")) << shown(t.screen());
    t.type("\r");
    ASSERT_TRUE(t.waitFor("\r\nsecond\r\n", 2)) << shown(t.screen());
    ASSERT_TRUE(t.waitFor(Prompt.toUtf8(), 5));
    t.type("exit\r");
    ASSERT_TRUE(t.waitExit()) << shown(t.screen());
    EXPECT_EQ(t.exitCode(), 0);

    // Persisted: a new session recalls it with Up.
    Terminal again(args(), environment());
    ASSERT_TRUE(again.waitFor(Prompt.toUtf8())) << shown(again.screen());
    ASSERT_TRUE(again.waitEditing());
    again.type("\x1b[A\x1b[A\r"); // Up twice: before `exit`, the last command run
    ASSERT_TRUE(again.waitFor("\r\nsecond\r\n")) << shown(again.screen());
    ASSERT_TRUE(again.waitFor(Prompt.toUtf8(), 2));
    again.type("exit\r");
    ASSERT_TRUE(again.waitExit());
    EXPECT_EQ(again.exitCode(), 0);
}

// ---- real PowerShell -----------------------------------------------------------------------

TEST_F(EnterEndToEnd, TranscriptAgainstRealPowerShell)
{
    if (!TestServer::PwshProcess::isAvailable())
        GTEST_SKIP()
            << "real PowerShell is unavailable: set PSREMOTE_PWSH_HOST to the host built by "
               "tests/server/pwsh-host/build.sh (tests/run-all.sh does)";
    startServer(TestServer::EngineKind::Pwsh);
    const CliRun r = runTranscript(
        args() << u"--password-stdin"_s,
        // The SMA-only test host has no Read-Host cmdlet (Microsoft.PowerShell.Utility): the host
        // call it makes, $host.UI.ReadLine(), is asked directly.
        "wonderland\n'hello' + 'world'\n1/0\n$x = $host.UI.ReadLine()\ntyped\n'got ' + $x\n");
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(r.out.startsWith(u"[127.0.0.1]: PS "_s)) << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"> 'hello' + 'world'\nhelloworld\n"_s)) << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"divide by zero"_s, Qt::CaseInsensitive)) << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(u"got typed"_s)) << r.out.toStdString();
}

} // namespace
