// `psremote-cli sessions HOST` (Get-PSSession -ComputerName): option parsing and formatting, then
// end to end with the real binary against the loopback endpoint (simulator) in this process: none
// on a fresh endpoint, a shell disconnected by a client driven here is listed and entered with
// `enter --instance-id`, wrong password 5, endpoint down 3.
#include "cli/CliApp.h"
#include "cli/SessionsCommand.h"

#include "CliTestSupport.h"
#include "LoopbackServer.h"
#include "SharedData.h"
#include "Transcript.h"

#include "wsman/Envelope.h"
#include "wsman/RunspacePoolClient.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTimer>

#include <gtest/gtest.h>

#include <csignal>
#include <functional>
#include <memory>

#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using Cli::ExitCode;
using namespace CliTestSupport;

namespace {

const QString Password = u"wonderland"_s;

Session::ServerSessionInfo sampleSession()
{
    Session::ServerSessionInfo s;
    s.instanceId = QUuid::fromString(u"b6631d8e-65a0-49f2-9053-a1b156c95777"_s);
    s.name = u"Runspace1"_s;
    s.configurationName = u"Microsoft.PowerShell"_s;
    s.resourceUri = u"http://schemas.microsoft.com/powershell/Microsoft.PowerShell"_s;
    s.owner = u"CORP\\alice"_s;
    s.clientIp = u"10.0.0.5"_s;
    s.state = u"Disconnected"_s;
    s.idleTimeoutMs = 7200000;
    s.shellRunTimeMs = 93784000; // 1 day 02:03:04
    return s;
}

class SessionsEndToEnd : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_home.isValid());
        m_server = CliTestSupport::startEndpoint(u"alice"_s, Password);
        ASSERT_TRUE(m_server);
    }

    QStringList connection(const QString &command, quint16 port = 0) const
    {
        return basicConnection(command, port ? port : m_server->port());
    }

    CliRun run(const QStringList &arguments, const QByteArray &input) const
    {
        return runCli(arguments, cliEnvironment(m_home.path()), input);
    }

    QUuid disconnectedShell() const { return CliTestSupport::disconnectedShell(m_server->url(), u"alice"_s, Password); }

    QTemporaryDir m_home;
    std::unique_ptr<TestServer::LoopbackServer> m_server;
};

} // namespace

// ---- options and formatting --------------------------------------------------------------------

TEST(SessionsOptions, HostIsPositionalAndFormatIsTableOrJson)
{
    auto parsed = Cli::parseSessionsArguments({u"server1"_s, u"--credential"_s, u"alice"_s});
    ASSERT_TRUE(std::holds_alternative<Cli::SessionsArguments>(parsed));
    const auto &a = std::get<Cli::SessionsArguments>(parsed);
    EXPECT_EQ(a.connection.connection.computerName.value_or(QString()), u"server1"_s);
    EXPECT_EQ(a.format, Cli::SessionsArguments::Format::Table);

    parsed = Cli::parseSessionsArguments({u"--format=json"_s, u"server1"_s, u"--credential"_s, u"alice"_s});
    ASSERT_TRUE(std::holds_alternative<Cli::SessionsArguments>(parsed));
    EXPECT_EQ(std::get<Cli::SessionsArguments>(parsed).format, Cli::SessionsArguments::Format::Json);

    parsed = Cli::parseSessionsArguments({u"server1"_s, u"--format"_s, u"xml"_s});
    ASSERT_TRUE(std::holds_alternative<Cli::UsageError>(parsed));
    EXPECT_EQ(std::get<Cli::UsageError>(parsed).option, u"--format"_s);
    parsed = Cli::parseSessionsArguments({u"server1"_s, u"--format"_s});
    ASSERT_TRUE(std::holds_alternative<Cli::UsageError>(parsed));
    parsed = Cli::parseSessionsArguments({u"server1"_s, u"--command"_s, u"x"_s});
    ASSERT_TRUE(std::holds_alternative<Cli::UsageError>(parsed));
    EXPECT_TRUE(std::get<Cli::UsageError>(parsed).message.contains(u"--command"_s));
    EXPECT_TRUE(std::holds_alternative<Cli::UsageError>(Cli::parseSessionsArguments({}))); // no HOST
}

TEST(SessionsOptions, HelpAndUsageThroughTheCli)
{
    QString outText;
    QString errText;
    QTextStream out(&outText);
    QTextStream err(&errText);
    EXPECT_EQ(Cli::runCli({u"sessions"_s, u"--help"_s}, out, err), 0);
    out.flush();
    EXPECT_TRUE(outText.contains(u"enter HOST --instance-id GUID"_s));
    EXPECT_TRUE(outText.contains(u"--credential"_s)); // the shared connection options
    EXPECT_TRUE(outText.contains(u"--format"_s));
    EXPECT_EQ(Cli::runCli({u"sessions"_s, u"host"_s, u"--bogus"_s}, out, err), int(ExitCode::Usage));
    err.flush();
    EXPECT_TRUE(errText.startsWith(u"psremote-cli sessions: "_s)) << errText.toStdString();
    EXPECT_TRUE(errText.contains(u"--bogus"_s));
    EXPECT_TRUE(Cli::usage().contains(u"sessions"_s));
}

TEST(SessionsFormat, TimeSpansAsPowerShellPrintsThem)
{
    EXPECT_EQ(Cli::formatTimeSpan(0), u"00:00:00"_s);
    EXPECT_EQ(Cli::formatTimeSpan(7200000), u"02:00:00"_s);
    EXPECT_EQ(Cli::formatTimeSpan(3723999), u"01:02:03"_s);
    EXPECT_EQ(Cli::formatTimeSpan(93784000), u"1.02:03:04"_s);
    EXPECT_EQ(Cli::formatTimeSpan(-5), u"00:00:00"_s);
}

TEST(SessionsFormat, TableHasAHeaderAndAlignedColumns)
{
    Session::ServerSessionInfo second;
    second.instanceId = QUuid::fromString(u"00000000-0000-0000-0000-000000000001"_s);
    second.configurationName = u"JEA"_s;
    second.state = u"Connected"_s;
    const QString table = Cli::formatSessionsTable({sampleSession(), second});
    const QStringList lines = table.split(u'\n', Qt::SkipEmptyParts);
    ASSERT_EQ(lines.size(), 4) << table.toStdString();
    EXPECT_TRUE(lines.at(0).startsWith(u"InstanceId                           Name      ConfigurationName    State"_s))
        << table.toStdString();
    EXPECT_TRUE(lines.at(0).endsWith(u"IdleTimeout ShellRunTime"_s)) << table.toStdString();
    EXPECT_TRUE(lines.at(1).startsWith(u"----------                           ----      -----------------"_s));
    EXPECT_EQ(lines.at(2),
              u"b6631d8e-65a0-49f2-9053-a1b156c95777 Runspace1 Microsoft.PowerShell Disconnected "
              "CORP\\alice 10.0.0.5 02:00:00    1.02:03:04"_s);
    // Missing values leave their cells empty, never shift the columns; no trailing blanks.
    EXPECT_EQ(lines.at(3).indexOf(u"JEA"_s), lines.at(2).indexOf(u"Microsoft.PowerShell"_s));
    EXPECT_EQ(lines.at(3).indexOf(u"Connected"_s), lines.at(2).indexOf(u"Disconnected"_s));
    EXPECT_FALSE(lines.at(3).endsWith(u' '));
}

TEST(SessionsFormat, JsonCarriesEveryFieldAndOmitsUnknownDurations)
{
    Session::ServerSessionInfo bare;
    bare.instanceId = QUuid::createUuid();
    const QJsonDocument doc =
        QJsonDocument::fromJson(Cli::formatSessionsJson({sampleSession(), bare}).toUtf8());
    ASSERT_TRUE(doc.isArray());
    const QJsonArray array = doc.array();
    ASSERT_EQ(array.size(), 2);
    const QJsonObject first = array.at(0).toObject();
    EXPECT_EQ(first.value(u"instanceId"_s).toString(), u"b6631d8e-65a0-49f2-9053-a1b156c95777"_s);
    EXPECT_EQ(first.value(u"state"_s).toString(), u"Disconnected"_s);
    EXPECT_EQ(first.value(u"owner"_s).toString(), u"CORP\\alice"_s);
    EXPECT_EQ(first.value(u"configurationName"_s).toString(), u"Microsoft.PowerShell"_s);
    EXPECT_EQ(first.value(u"idleTimeoutMs"_s).toInteger(), 7200000);
    EXPECT_EQ(first.value(u"shellRunTimeMs"_s).toInteger(), 93784000);
    EXPECT_FALSE(first.contains(u"shellInactivityMs"_s));
    EXPECT_FALSE(array.at(1).toObject().contains(u"idleTimeoutMs"_s));
    EXPECT_EQ(Cli::formatSessionsJson({}).trimmed(), u"[\n]"_s);
}

// The EnumerateResponse recorded from Windows (WinRM, user vagrant) after Disconnect-PSSession, as
// the table shows it: both shells, Disconnected, with owner, client and durations.
TEST(SessionsFormat, WindowsRecordingRendersAsATable)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto transcript = TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir()
                                                        + u"/test_psrp_disconnect_runspaces.yml"_s);
    ASSERT_TRUE(transcript.has_value());
    QList<Session::ServerSessionInfo> sessions;
    for (const auto &exchange : transcript->exchanges) {
        if (!exchange.response.contains(u"<rsp:State>Disconnected</rsp:State>"_s))
            continue;
        auto parsed = Wsman::parseEnumerateResponse(exchange.response.toUtf8());
        ASSERT_TRUE(parsed.ok()) << parsed.error().detail.toStdString();
        for (const Wsman::ShellInfo &shell : parsed->shells) {
            Session::ServerSessionInfo s;
            s.instanceId = QUuid::fromString(shell.shellId);
            s.name = shell.name;
            s.configurationName = shell.resourceUri.section(u'/', -1);
            s.owner = shell.owner;
            s.clientIp = shell.clientIp;
            s.state = shell.state;
            s.idleTimeoutMs = shell.idleTimeoutMs;
            s.shellRunTimeMs = shell.shellRunTimeMs;
            sessions.append(s);
        }
        break;
    }
    ASSERT_EQ(sessions.size(), 2);
    const QStringList lines = Cli::formatSessionsTable(sessions).split(u'\n', Qt::SkipEmptyParts);
    ASSERT_EQ(lines.size(), 4);
    const QStringList cells = lines.at(2).split(u' ', Qt::SkipEmptyParts);
    ASSERT_EQ(cells.size(), 7) << lines.at(2).toStdString(); // no Name from Windows
    EXPECT_EQ(cells.mid(0, 6), (QStringList{u"b6631d8e-65a0-49f2-9053-a1b156c95777"_s, u"Microsoft.PowerShell"_s,
                                            u"Disconnected"_s, u"WIN-NNMU24VVKJ0\\vagrant"_s, u"10.0.2.2"_s,
                                            u"02:00:00"_s}))
        << lines.join(u'\n').toStdString();
    EXPECT_TRUE(QRegularExpression(u"^\\d\\d:\\d\\d:\\d\\d$"_s).match(cells.at(6)).hasMatch()) << cells.at(6).toStdString();
    EXPECT_TRUE(lines.at(3).startsWith(u"01aa3e43-9e21-424b-a7fc-bc16aa34f4ce "_s));
    // The empty Name column stays.
    EXPECT_EQ(lines.at(2).indexOf(u"Microsoft.PowerShell"_s), lines.at(0).indexOf(u"ConfigurationName"_s));
}

// ---- end to end --------------------------------------------------------------------------------

TEST_F(SessionsEndToEnd, FreshEndpointHasNone)
{
    const CliRun r = run(connection(u"sessions"_s), "wonderland\n");
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"No PowerShell sessions on 127.0.0.1 for this user.\n"_s);
    EXPECT_EQ(r.err, QString());
    EXPECT_GE(m_server->requestCount(), 1);

    const CliRun json = run(connection(u"sessions"_s) << u"--format"_s << u"json"_s, "wonderland\n");
    EXPECT_EQ(json.exitCode, 0) << json.err.toStdString();
    EXPECT_TRUE(QJsonDocument::fromJson(json.out.toUtf8()).array().isEmpty()) << json.out.toStdString();
}

TEST_F(SessionsEndToEnd, DisconnectedSessionIsListedThenEntered)
{
    const QUuid shell = disconnectedShell();
    ASSERT_FALSE(shell.isNull());
    const QString guid = shell.toString(QUuid::WithoutBraces);

    const CliRun listed = run(connection(u"sessions"_s), "wonderland\n");
    ASSERT_EQ(listed.exitCode, 0) << listed.err.toStdString();
    const QStringList lines = listed.out.split(u'\n');
    ASSERT_GE(lines.size(), 3) << listed.out.toStdString();
    EXPECT_TRUE(lines.at(0).startsWith(u"InstanceId"_s)) << listed.out.toStdString();
    const QString row = lines.at(2);
    EXPECT_TRUE(row.startsWith(guid + u' ')) << listed.out.toStdString();
    EXPECT_TRUE(row.contains(u" Microsoft.PowerShell "_s)) << row.toStdString();
    EXPECT_TRUE(row.contains(u" Disconnected "_s)) << row.toStdString();
    EXPECT_TRUE(row.contains(u" 02:00:00"_s)) << row.toStdString(); // the endpoint's IdleTimeOut
    EXPECT_TRUE(listed.out.contains(u"psremote-cli enter 127.0.0.1 --instance-id "_s + guid + u'\n'))
        << listed.out.toStdString();

    const CliRun json = run(connection(u"sessions"_s) << u"--format=json"_s, "wonderland\n");
    ASSERT_EQ(json.exitCode, 0) << json.err.toStdString();
    const QJsonArray array = QJsonDocument::fromJson(json.out.toUtf8()).array();
    ASSERT_EQ(array.size(), 1) << json.out.toStdString();
    EXPECT_EQ(array.at(0).toObject().value(u"instanceId"_s).toString(), guid);
    EXPECT_EQ(array.at(0).toObject().value(u"state"_s).toString(), u"Disconnected"_s);

    // Another configuration has none.
    const CliRun other = run(connection(u"sessions"_s) << u"--configuration-name"_s << u"Other.Config"_s,
                             "wonderland\n");
    EXPECT_EQ(other.exitCode, 0) << other.err.toStdString();
    EXPECT_TRUE(other.out.startsWith(u"No PowerShell sessions on 127.0.0.1"_s)) << other.out.toStdString();

    // The GUID shown enters it; at the end of input the session is left disconnected again.
    const CliRun entered = run(connection(u"enter"_s) << u"--instance-id"_s << guid,
                               "wonderland\nWrite-Output back-in\nexit\n");
    EXPECT_EQ(entered.exitCode, 0) << entered.err.toStdString();
    EXPECT_TRUE(entered.out.contains(u"Write-Output back-in\nback-in\n"_s)) << entered.out.toStdString();

    const CliRun again = run(connection(u"sessions"_s) << u"--format=json"_s, "wonderland\n");
    ASSERT_EQ(again.exitCode, 0) << again.err.toStdString();
    const QJsonArray after = QJsonDocument::fromJson(again.out.toUtf8()).array();
    ASSERT_EQ(after.size(), 1) << again.out.toStdString();
    EXPECT_EQ(after.at(0).toObject().value(u"instanceId"_s).toString(), guid);
    EXPECT_EQ(after.at(0).toObject().value(u"state"_s).toString(), u"Disconnected"_s);
}

TEST_F(SessionsEndToEnd, WrongPasswordExitsFive)
{
    const QByteArray wrong = "not-" + Password.toUtf8() + "-at-all";
    const CliRun r = run(connection(u"sessions"_s), wrong + '\n');
    EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
    EXPECT_TRUE(r.err.startsWith(u"psremote-cli sessions: authentication failed"_s)) << r.err.toStdString();
    EXPECT_FALSE(r.err.contains(QString::fromUtf8(wrong)));
    EXPECT_EQ(r.out, QString());
}

TEST_F(SessionsEndToEnd, EndpointDownExitsThree)
{
    const quint16 port = unusedPort();
    ASSERT_NE(port, 0);
    const CliRun r = run(connection(u"sessions"_s, port), "wonderland\n");
    EXPECT_EQ(r.exitCode, int(ExitCode::CannotConnect)) << r.err.toStdString();
    EXPECT_TRUE(r.err.startsWith(u"psremote-cli sessions: cannot connect"_s)) << r.err.toStdString();
    EXPECT_EQ(r.out, QString());
}

TEST_F(SessionsEndToEnd, EnteredByInstanceIdIsLeftDisconnectedAtEndOfInput)
{
    const QUuid shell = disconnectedShell();
    ASSERT_FALSE(shell.isNull());
    const QString guid = shell.toString(QUuid::WithoutBraces);
    // No `exit`: stdin simply ends after the command.
    const CliRun entered = run(connection(u"enter"_s) << u"--instance-id"_s << guid,
                               "wonderland\nWrite-Output back-in\n");
    EXPECT_EQ(entered.exitCode, 0) << entered.err.toStdString();
    EXPECT_TRUE(entered.out.contains(u"Write-Output back-in\nback-in\n"_s)) << entered.out.toStdString();

    const CliRun after = run(connection(u"sessions"_s) << u"--format=json"_s, "wonderland\n");
    ASSERT_EQ(after.exitCode, 0) << after.err.toStdString();
    const QJsonArray array = QJsonDocument::fromJson(after.out.toUtf8()).array();
    ASSERT_EQ(array.size(), 1) << after.out.toStdString();
    EXPECT_EQ(array.at(0).toObject().value(u"state"_s).toString(), u"Disconnected"_s);
}

TEST_F(SessionsEndToEnd, CtrlCLeavesASessionEnteredByInstanceIdDisconnectedAndExits130)
{
    const QUuid shell = disconnectedShell();
    ASSERT_FALSE(shell.isNull());
    CliProcess p(connection(u"enter"_s) << u"--instance-id"_s << shell.toString(QUuid::WithoutBraces),
                 cliEnvironment(m_home.path()), "wonderland\nWrite-Output back-in\n", false);
    ASSERT_TRUE(p.waitForOutput(u"\nback-in\n"_s)) << p.out().toStdString() << p.err().toStdString();
    // At the prompt one Ctrl+C exits; while the prompt is still being evaluated the third does.
    for (int sent = 0; sent < 3 && p.running(); ++sent) {
        p.sendSignal(SIGINT);
        spinUntil([&] { return !p.running(); }, 2000);
    }
    const CliRun r = p.finish();
    EXPECT_EQ(r.exitCode, int(ExitCode::Interrupted)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"psremote-cli enter: interrupted"_s)) << r.err.toStdString();

    const CliRun after = run(connection(u"sessions"_s) << u"--format=json"_s, "wonderland\n");
    ASSERT_EQ(after.exitCode, 0) << after.err.toStdString();
    const QJsonArray array = QJsonDocument::fromJson(after.out.toUtf8()).array();
    ASSERT_EQ(array.size(), 1) << after.out.toStdString();
    EXPECT_EQ(array.at(0).toObject().value(u"state"_s).toString(), u"Disconnected"_s);
}

TEST_F(SessionsEndToEnd, CtrlCWhileListingExits130)
{
    // An endpoint that accepts the connection and never answers.
    QTcpServer silent;
    ASSERT_TRUE(silent.listen(QHostAddress::LocalHost, 0));
    CliProcess p(connection(u"sessions"_s, silent.serverPort()), cliEnvironment(m_home.path()), "wonderland\n");
    ASSERT_TRUE(spinUntil([&] { return silent.hasPendingConnections(); })) << p.err().toStdString();
    p.sendSignal(SIGINT);
    const CliRun r = p.finish(20000);
    EXPECT_EQ(r.exitCode, int(ExitCode::Interrupted)) << r.err.toStdString();
    EXPECT_EQ(r.err, u"psremote-cli sessions: interrupted\n"_s);
    EXPECT_EQ(r.out, QString());
}
