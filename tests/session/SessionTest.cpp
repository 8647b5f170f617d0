// Session::InteractiveSession end to end over loopback sockets: against the endpoint's built-in
// SIMULATOR (tests/server/SimulatorEngine: not PowerShell; used for what real PowerShell cannot do
// on demand) and against REAL PowerShell (--engine pwsh, PSREMOTE_PWSH_HOST; skipped without it).
// Plus CommandHistory and ProgressTracker as plain values.
#include "ClientHarness.h"
#include "LoopbackServer.h"
#include "PwshProcess.h"
#include "ScriptedUi.h"
#include "SimulatorEngine.h"

#include "session/CommandHistory.h"
#include "session/InteractiveSession.h"
#include "session/ProgressTracker.h"

#include <QFile>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <memory>

using namespace Qt::Literals::StringLiterals;
using ClientHarness::runUntil;
using Psrp::HostMethodId;
using Psrp::PSInvocationState;
using Session::InteractiveSession;
using Session::SessionState;
using Session::TextStream;
using SessionTest::ScriptedUi;

namespace {

std::string str(const QString &s)
{
    return s.toStdString();
}

// One endpoint, one UI, one session; the simulator's hidden commands are reset afterwards.
class SessionFixture {
public:
    explicit SessionFixture(TestServer::EngineKind engine = TestServer::EngineKind::Simulator)
    {
        TestServer::ServerConfig config;
        config.engine = engine;
        server = ClientHarness::startEndpoint(std::move(config));
        session = std::make_unique<InteractiveSession>(ui);
    }
    ~SessionFixture() { TestServer::SimulatorEngine::setHiddenCommands({}); }

    Wsman::ClientOptions options() const { return ClientHarness::basicOptions(server->url()); }

    bool enter(Wsman::ClientOptions o)
    {
        session->enter(std::move(o), Session::EnterOptions{u"127.0.0.1"_s});
        return runUntil([&] { return session->state() != SessionState::Connecting; }, 60000)
            && session->state() == SessionState::Ready;
    }
    bool enter() { return enter(options()); }
    bool waitReady(int guardMs = 30000)
    {
        return runUntil([&] { return session->state() != SessionState::Busy; }, guardMs)
            && session->state() == SessionState::Ready;
    }
    // Runs a line to its end; the texts it wrote.
    QStringList run(const QString &line)
    {
        const qsizetype before = ui.writes.size();
        const auto r = session->runLine(line);
        EXPECT_TRUE(r.ok()) << str(line) << ": " << (r.ok() ? std::string() : str(r.error().detail));
        EXPECT_TRUE(waitReady()) << str(line) << "\n" << str(ui.noteText());
        QStringList out;
        for (qsizetype i = before; i < ui.writes.size(); ++i)
            out.append(ui.writes.at(i).text);
        return out;
    }
    bool closeAndWait()
    {
        session->exit();
        return runUntil([&] { return session->state() == SessionState::Closed || session->state() == SessionState::Broken; });
    }

    ScriptedUi ui;
    std::unique_ptr<TestServer::LoopbackServer> server;
    std::unique_ptr<InteractiveSession> session;
};

// ---- simulator -------------------------------------------------------------------------------

TEST(SimulatorSession, EntersWithThePrefixedRemotePromptAndTheConsoleHostInfo)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    f.ui.raw.windowSize = {97, 33};
    ASSERT_TRUE(f.enter()) << str(f.ui.noteText());
    EXPECT_EQ(f.session->prompt(), u"[127.0.0.1]: PS /simulator> "_s);
    EXPECT_EQ(f.ui.prompts.value(0), f.session->prompt());
    EXPECT_EQ(f.ui.states.value(0), SessionState::Connecting);
    EXPECT_EQ(f.ui.states.value(1), SessionState::Ready);
    EXPECT_TRUE(f.session->hasTabExpansion());
    // The server answers RawUI getters from the HostInfo the console sent.
    const QStringList out = f.run(u"Invoke-HostMethod 39"_s);
    EXPECT_TRUE(out.contains(u"result: 97x33"_s)) << str(out.join(u'|'));
    EXPECT_TRUE(f.closeAndWait());
    EXPECT_EQ(f.server->shellCount(), 0);
}

TEST(SimulatorSession, RefusesAnEndpointWithoutExitPSSessionWithPowerShellsReason)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    TestServer::SimulatorEngine::setHiddenCommands({u"Exit-PSSession"_s});
    EXPECT_FALSE(f.enter());
    ASSERT_TRUE(runUntil([&] { return f.session->state() == SessionState::Closed; }));
    EXPECT_TRUE(f.session->failureText().contains(u"does not support push"_s)) << str(f.session->failureText());
    EXPECT_TRUE(f.ui.noteText().contains(u"Exit-PSSession"_s));
    EXPECT_TRUE(f.ui.prompts.isEmpty());
    EXPECT_EQ(f.server->shellCount(), 0); // the temporary pool was closed
}

TEST(SimulatorSession, LinesRunThroughOutDefaultWithErrorsMergedAndOneLineAtATime)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    QStringList started;
    QObject::connect(f.session.get(), &InteractiveSession::lineStarted, [&](const QString &l) { started.append(l); });
    EXPECT_EQ(f.run(u"Write-Output hello"_s), QStringList{u"hello"_s});
    // Write-Error merged into the output: rendered by Out-Default, not a separate record.
    const QStringList err = f.run(u"Write-Error boom"_s);
    ASSERT_EQ(err.size(), 1);
    EXPECT_EQ(err.value(0), u"boom"_s);
    // A terminating error is shown on the error stream and the prompt comes back.
    f.run(u"throw kaput"_s);
    EXPECT_EQ(f.ui.writes.constLast().stream, TextStream::Error);
    EXPECT_EQ(f.ui.writes.constLast().text, u"kaput"_s);
    ASSERT_TRUE(f.session->runLine(u"Start-Sleep -Milliseconds 200"_s).ok());
    const auto refused = f.session->runLine(u"Write-Output second"_s);
    EXPECT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Psrp::ErrorCode::InvalidState);
    EXPECT_TRUE(f.waitReady());
    EXPECT_EQ(started, (QStringList{u"Write-Output hello"_s, u"Write-Error boom"_s, u"throw kaput"_s,
                                    u"Start-Sleep -Milliseconds 200"_s}));
}

struct HostCase {
    int id;
    QString args;
    QString expected; // the simulator's description of the answer
};

TEST(SimulatorSession, EveryHostMethodIsDispatchedWithItsAnswerOrRefusal)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    f.ui.raw.windowTitle = u"console"_s;
    f.ui.lines = {u"typed line"_s};
    f.ui.secureLines = {u"hunter2"_s};
    f.ui.credentials = {u"alice/pa55"_s, u"bob/pw2"_s};
    f.ui.choices = {{0}, {1, 2}};
    f.ui.promptTexts = {u"Bob"_s, u"s3"_s, u"carol/c4"_s};
    f.ui.keys = {u'y'};
    ASSERT_TRUE(f.enter());
    // EnterNestedPrompt, ExitNestedPrompt, SetBufferContents1/2, ScrollBufferContents and
    // PushRunspace return nothing: the server does not wait (ci -100), so there is no answer to
    // refuse with; the session ignores them and stays usable.
    const QString voidRefused = u"sent"_s;
    const QList<HostCase> cases = {
        {1, {}, u"result: PSRemote"_s},
        {2, {}, u"result: "_s + QStringLiteral(PSREMOTE_VERSION)},
        {4, {}, u"result: en-US"_s},
        {5, {}, u"result: en-US"_s},
        {7, {}, voidRefused},
        {8, {}, voidRefused},
        {11, {}, u"result: typed line"_s},
        {12, {}, u"result: secure:hunter2"_s},
        {13, u"partial"_s, u"sent"_s},
        {23, {}, u"result: Name=Bob;Secret=secure:s3;Login=credential:carol/secure:c4"_s},
        {24, u"alice"_s, u"result: credential:alice/secure:pa55"_s},
        {25, u"bob"_s, u"result: credential:bob/secure:pw2"_s},
        {26, {}, u"result: 0"_s},
        {56, {}, u"result: 1,2"_s},
        {28, u"12"_s, u"sent"_s},
        {27, {}, u"result: 12"_s},
        {30, u"4"_s, u"sent"_s},
        {29, {}, u"result: 4"_s},
        {32, u"3 4"_s, u"sent"_s},
        {31, {}, u"result: 3,4"_s},
        {34, u"5 6"_s, u"sent"_s},
        {33, {}, u"result: 5,6"_s},
        {36, u"50"_s, u"sent"_s},
        {35, {}, u"result: 50"_s},
        {38, u"200 9000"_s, u"sent"_s},
        {37, {}, u"result: 200x9000"_s},
        {40, u"80 25"_s, u"sent"_s},
        {39, {}, u"result: 80x25"_s},
        {41, {}, u"result: console"_s},
        {42, u"remote title"_s, u"sent"_s},
        {41, {}, u"result: remote title"_s},
        {43, {}, u"result: 120x50"_s},
        {44, {}, u"result: 120x50"_s},
        {45, {}, u"result: False"_s},
        {46, u"4"_s, u"result: key:y"_s},
        {48, {}, voidRefused},
        {49, {}, voidRefused},
        {50, {}, u"error: Remote host method get_BufferContents is not supported."_s},
        {51, {}, voidRefused},
        {52, {}, voidRefused},
        {54, {}, u"result: True"_s},
        {55, {}, u"result: null"_s},
    };
    for (const HostCase &c : cases) {
        const QString line = u"Invoke-HostMethod %1 %2"_s.arg(c.id).arg(c.args).trimmed();
        const QStringList out = f.run(line);
        EXPECT_TRUE(out.contains(c.expected)) << str(line) << " -> " << str(out.join(u" | "));
    }
    // GetInstanceId: a GUID, the same every time.
    const QStringList id1 = f.run(u"Invoke-HostMethod 3"_s);
    EXPECT_EQ(id1, f.run(u"Invoke-HostMethod 3"_s));
    // Write1 (13) wrote "partial" without a newline; colours of Write2/WriteLine3 reach the UI.
    f.run(u"Invoke-HostMethod 17 14 1 coloured"_s);
    bool sawPartial = false, sawColoured = false;
    for (const auto &w : f.ui.writes) {
        sawPartial = sawPartial || (w.text == u"partial"_s && !w.newline);
        sawColoured = sawColoured || (w.text == u"coloured"_s && w.foregroundColor == 14 && w.backgroundColor == 1);
    }
    EXPECT_TRUE(sawPartial);
    EXPECT_TRUE(sawColoured);
    // Warnings/verbose/debug/error lines land on their streams.
    f.run(u"Invoke-HostMethod 22 careful"_s);
    f.run(u"Invoke-HostMethod 21 chatty"_s);
    f.run(u"Invoke-HostMethod 19 bugs"_s);
    f.run(u"Invoke-HostMethod 18 broken"_s);
    EXPECT_TRUE(f.ui.texts(TextStream::Warning).contains(u"careful"_s));
    EXPECT_TRUE(f.ui.texts(TextStream::Verbose).contains(u"chatty"_s));
    EXPECT_TRUE(f.ui.texts(TextStream::Debug).contains(u"bugs"_s));
    EXPECT_TRUE(f.ui.texts(TextStream::Error).contains(u"broken"_s));
    f.run(u"Invoke-HostMethod 9; Invoke-HostMethod 10; Invoke-HostMethod 47"_s);
    EXPECT_EQ(f.ui.applicationNotes, 2);
    EXPECT_EQ(f.ui.flushes, 1);
    EXPECT_EQ(f.ui.raw.windowTitle, u"remote title"_s);
    EXPECT_TRUE(f.ui.rawSetters.contains(HostMethodId::SetWindowSize));
    // PromptForCredential is re-captioned as a request from the remote computer.
    ASSERT_FALSE(f.ui.credentialRequests.isEmpty());
    EXPECT_EQ(f.ui.credentialRequests.constFirst().caption, u"PowerShell Credential Request: Credential caption"_s);
    EXPECT_TRUE(f.ui.credentialRequests.constFirst().message.contains(u"remote computer 127.0.0.1"_s));
    EXPECT_TRUE(f.ui.credentialRequests.constFirst().message.endsWith(u"Credential message"_s));
    ASSERT_EQ(f.ui.choiceRequests.size(), 2);
    EXPECT_FALSE(f.ui.choiceRequests.at(0).multiple);
    EXPECT_TRUE(f.ui.choiceRequests.at(1).multiple);
    EXPECT_EQ(f.ui.choiceRequests.at(1).defaultChoices, (QList<qint32>{0, 2}));
    // A secure prompt is preceded by PowerShell's warning.
    EXPECT_FALSE(f.ui.texts(TextStream::Warning).filter(u"secure string"_s).isEmpty());
    EXPECT_EQ(f.session->state(), SessionState::Ready);
}

TEST(SimulatorSession, WriteProgressNestsByParentAndDropsCompletedRecords)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.run(u"Invoke-HostMethod 20 1 -1; Invoke-HostMethod 20 2 1; Invoke-HostMethod 20 3 -1; "
          "Invoke-HostMethod 20 1 -1 completed"_s);
    ASSERT_GE(f.ui.progress.size(), 5);
    const auto nested = f.ui.progress.at(2); // 1, 2 (child of 1), 3
    ASSERT_EQ(nested.size(), 3);
    EXPECT_EQ(nested.at(0).record.activityId, 1);
    EXPECT_EQ(nested.at(1).record.activityId, 2);
    EXPECT_EQ(nested.at(1).depth, 1);
    EXPECT_EQ(nested.at(2).record.activityId, 3);
    EXPECT_EQ(nested.at(2).depth, 0);
    const auto afterCompleted = f.ui.progress.at(3); // 1 completed: its child goes too
    ASSERT_EQ(afterCompleted.size(), 1);
    EXPECT_EQ(afterCompleted.at(0).record.activityId, 3);
    EXPECT_TRUE(f.ui.progress.constLast().isEmpty()); // cleared when the line ended
}

TEST(SimulatorSession, FirstCtrlCStopsTheLineAndTheSessionStaysUsable)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    EXPECT_EQ(f.session->interrupt(), Session::InterruptResult::Ignored);
    PSInvocationState ended = PSInvocationState::NotStarted;
    QObject::connect(f.session.get(), &InteractiveSession::lineFinished, [&](PSInvocationState s) { ended = s; });
    ASSERT_TRUE(f.session->runLine(u"Start-Sleep 30"_s).ok());
    EXPECT_EQ(f.session->interrupt(), Session::InterruptResult::Stopping);
    ASSERT_TRUE(f.waitReady());
    EXPECT_EQ(ended, PSInvocationState::Stopped);
    EXPECT_TRUE(f.ui.noteText().contains(u"stopped"_s));
    EXPECT_EQ(f.run(u"Write-Output after"_s), QStringList{u"after"_s});
}

TEST(SimulatorSession, SecondCtrlCAbandonsAPipelineThatIgnoresStop)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.run(u"Write-Output shown-before"_s);
    ASSERT_TRUE(f.session->runLine(u"Start-Sleep 30 -IgnoreStop"_s).ok());
    EXPECT_EQ(f.session->interrupt(), Session::InterruptResult::Stopping);
    EXPECT_EQ(f.session->state(), SessionState::Busy);
    EXPECT_EQ(f.session->interrupt(), Session::InterruptResult::Abandoned);
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.ui.noteText().contains(u"abandoned"_s));
    EXPECT_TRUE(f.ui.texts().contains(u"shown-before"_s)); // what was shown stays
    EXPECT_EQ(f.run(u"Write-Output still-here"_s), QStringList{u"still-here"_s});
}

TEST(SimulatorSession, CancelTimeoutExpiringAbandonsThePipelineAndSaysSo)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    Wsman::ClientOptions o = f.options();
    o.sessionOption.cancelTimeoutMs = 300;
    ASSERT_TRUE(f.enter(o));
    ASSERT_TRUE(f.session->runLine(u"Start-Sleep 30 -IgnoreStop"_s).ok());
    EXPECT_EQ(f.session->interrupt(), Session::InterruptResult::Stopping);
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.ui.noteText().contains(u"CancelTimeout"_s)) << str(f.ui.noteText());
    EXPECT_EQ(f.run(u"Write-Output alive"_s), QStringList{u"alive"_s});
}

TEST(SimulatorSession, CtrlCDuringAQuestionAbandonsItsReply)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    ASSERT_TRUE(f.session->runLine(u"Read-Host name"_s).ok());
    ASSERT_TRUE(runUntil([&] { return !f.ui.heldLines.isEmpty(); }));
    EXPECT_TRUE(f.ui.heldLines.constFirst().isPending());
    EXPECT_EQ(f.session->interrupt(), Session::InterruptResult::Stopping);
    EXPECT_FALSE(f.ui.heldLines.constFirst().isPending());
    EXPECT_GE(f.ui.cancels, 1);
    ASSERT_TRUE(f.waitReady());
    f.ui.heldLines.constFirst().complete(u"too late"_s); // dropped
    EXPECT_EQ(f.run(u"Write-Output ok"_s), QStringList{u"ok"_s});
}

TEST(SimulatorSession, ExitAndExitPSSessionAndSetShouldExitLeaveATemporarySession)
{
    for (const QString &line : {u"exit"_s, u"Exit-PSSession"_s, u"Invoke-HostMethod 6"_s, u"Invoke-HostMethod 53"_s}) {
        SessionFixture f;
        ASSERT_TRUE(f.server);
        ASSERT_TRUE(f.enter());
        bool left = false;
        QObject::connect(f.session.get(), &InteractiveSession::left, [&] { left = true; });
        ASSERT_TRUE(f.session->runLine(line).ok());
        ASSERT_TRUE(runUntil([&] { return f.session->state() == SessionState::Closed; })) << str(line);
        EXPECT_TRUE(left) << str(line);
        EXPECT_TRUE(runUntil([&] { return f.server->shellCount() == 0; })) << str(line);
        EXPECT_FALSE(f.session->runLine(u"Write-Output x"_s).ok());
    }
}

TEST(SimulatorSession, AttachedSessionWaitsWhileBusyStaysOpenOnExitAndCanBeCancelled)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    ClientHarness::Session pool(f.options());
    ASSERT_TRUE(pool.open()) << pool.why();
    const QUuid busy = pool.start(u"Start-Sleep -Milliseconds 300"_s);
    f.session->attach(pool.client.get(), Session::EnterOptions{u"127.0.0.1"_s});
    EXPECT_EQ(f.session->state(), SessionState::Connecting);
    EXPECT_TRUE(f.ui.noteText().contains(u"The session is busy."_s));
    ASSERT_TRUE(runUntil([&] { return f.session->state() == SessionState::Ready; }));
    EXPECT_TRUE(pool.finished.contains(busy));
    ASSERT_TRUE(f.session->runLine(u"exit"_s).ok());
    ASSERT_TRUE(runUntil([&] { return f.session->state() == SessionState::Closed; }));
    EXPECT_EQ(pool.client->state(), Psrp::RunspacePoolState::Opened); // not closed: it came from the list
    EXPECT_EQ(f.server->shellCount(), 1);

    InteractiveSession second(f.ui);
    const QUuid longOne = pool.start(u"Start-Sleep 30"_s);
    second.attach(pool.client.get(), Session::EnterOptions{u"127.0.0.1"_s});
    EXPECT_EQ(second.interrupt(), Session::InterruptResult::EnterCancelled);
    EXPECT_EQ(second.state(), SessionState::Closed);
    (void)pool.client->stop(longOne);
    EXPECT_TRUE(pool.waitFinished(longOne));
    EXPECT_TRUE(pool.close());
}

TEST(SimulatorSession, TabCompletionReturnsMatchesAndIsSkippedWithoutTabExpansion2)
{
    {
        SessionFixture f;
        ASSERT_TRUE(f.server);
        ASSERT_TRUE(f.enter());
        std::optional<Session::Completion> result;
        bool done = false;
        f.session->complete(u"Write-Output 1; Get-Cr"_s, 22, [&](std::optional<Session::Completion> c) {
            result = c;
            done = true;
        });
        ASSERT_TRUE(runUntil([&] { return done; }));
        ASSERT_TRUE(result.has_value());
        EXPECT_EQ(result->replacementIndex, 16);
        EXPECT_EQ(result->replacementLength, 6);
        ASSERT_EQ(result->matches.size(), 1);
        EXPECT_EQ(result->matches.at(0).completionText, u"Get-Credential"_s);
        EXPECT_EQ(result->matches.at(0).resultType, u"Command"_s);
    }
    {
        SessionFixture f;
        ASSERT_TRUE(f.server);
        TestServer::SimulatorEngine::setHiddenCommands({u"TabExpansion2"_s});
        ASSERT_TRUE(f.enter());
        EXPECT_FALSE(f.session->hasTabExpansion());
        bool called = false;
        std::optional<Session::Completion> result;
        f.session->complete(u"Get-Cr"_s, 6, [&](std::optional<Session::Completion> c) {
            called = true;
            result = c;
        });
        EXPECT_TRUE(called); // at once, no pipeline
        EXPECT_FALSE(result.has_value());
        EXPECT_TRUE(f.ui.notes.isEmpty()); // no error noise
    }
}

TEST(SimulatorSession, CultureAndUiCultureGoOnTheWireAndAreReported)
{
    SessionFixture f;
    ASSERT_TRUE(f.server);
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    Wsman::ClientOptions o = f.options();
    o.sessionOption.culture = u"de-DE"_s;
    o.sessionOption.uiCulture = u"fr-FR"_s;
    o.tracePath = dir.filePath(u"trace.jsonl"_s);
    ASSERT_TRUE(f.enter(o));
    EXPECT_EQ(f.session->culture(), u"de-DE"_s);
    EXPECT_EQ(f.session->uiCulture(), u"fr-FR"_s);
    EXPECT_TRUE(f.run(u"Invoke-HostMethod 4"_s).contains(u"result: de-DE"_s));
    EXPECT_TRUE(f.closeAndWait());
    QFile trace(o.tracePath);
    ASSERT_TRUE(trace.open(QIODevice::ReadOnly));
    const QByteArray text = trace.readAll();
    EXPECT_TRUE(text.contains("Locale") && text.contains("fr-FR"));
    EXPECT_TRUE(text.contains("DataLocale") && text.contains("de-DE"));
}

TEST(SimulatorSession, DefaultCultureComesFromTheLocalLocale)
{
    Wsman::ClientOptions o;
    EXPECT_EQ(o.sessionOption.culture, Wsman::SessionOption::systemCultureName());
    EXPECT_FALSE(o.sessionOption.uiCulture.isEmpty());
}

TEST(SimulatorSession, HistoryRecordsLinesButNeverSecurePromptInput)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    SessionFixture f;
    ASSERT_TRUE(f.server);
    Session::CommandHistory history(u"127.0.0.1"_s, dir.path());
    QObject::connect(f.session.get(), &InteractiveSession::lineStarted, [&](const QString &l) { history.add(l); });
    f.ui.secureLines = {u"TopSecret!"_s};
    f.ui.lines = {u"plain answer"_s};
    ASSERT_TRUE(f.enter());
    f.run(u"Read-Host -AsSecureString"_s);
    f.run(u"Read-Host name"_s);
    ASSERT_TRUE(history.save());
    EXPECT_EQ(history.entries(), (QStringList{u"Read-Host -AsSecureString"_s, u"Read-Host name"_s}));
    QFile file(history.filePath());
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray saved = file.readAll();
    EXPECT_FALSE(saved.contains("TopSecret"));
    EXPECT_FALSE(saved.contains("plain answer"));
}

// ---- CommandHistory / ProgressTracker --------------------------------------------------------

TEST(CommandHistory, PersistsPerHostDeduplicatesBoundsAndSearches)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    Session::CommandHistory h(u"Server01.contoso.com"_s, dir.path(), 4);
    h.add(u"Get-Process"_s);
    h.add(u"Get-Process"_s); // consecutive duplicate
    h.add(u"   "_s);         // blank
    h.add(u"Get-Service"_s);
    h.add(u"dir\nline two \\ backslash"_s);
    h.add(u"Get-Process"_s);
    h.add(u"Get-Item x"_s);
    EXPECT_EQ(h.entries(), (QStringList{u"Get-Service"_s, u"dir\nline two \\ backslash"_s, u"Get-Process"_s, u"Get-Item x"_s}));
    QString error;
    ASSERT_TRUE(h.save(&error)) << str(error);
    EXPECT_TRUE(QFile::permissions(h.filePath()) & QFileDevice::ReadOwner);
    EXPECT_FALSE(QFile::permissions(h.filePath()) & QFileDevice::ReadOther);

    Session::CommandHistory again(u"server01.contoso.com"_s, dir.path(), 4);
    ASSERT_TRUE(again.load(&error)) << str(error);
    EXPECT_EQ(again.entries(), h.entries());
    Session::CommandHistory other(u"otherhost"_s, dir.path());
    ASSERT_TRUE(other.load());
    EXPECT_EQ(other.size(), 0);

    EXPECT_EQ(again.searchBackward(u"get-"_s), std::optional<qsizetype>(3));
    EXPECT_EQ(again.searchBackward(u"get-"_s, 3), std::optional<qsizetype>(2));
    EXPECT_EQ(again.searchBackward(u"get-"_s, 2), std::optional<qsizetype>(0));
    EXPECT_EQ(again.searchBackward(u"get-"_s, 0), std::nullopt);
    EXPECT_EQ(again.search(u"LINE TWO"_s), QStringList{u"dir\nline two \\ backslash"_s});
    EXPECT_TRUE(again.search(u"nothing"_s).isEmpty());
}

TEST(CommandHistory, FileNameIsSafeForAnyHostKey)
{
    Session::CommandHistory h(u"../../etc/passwd"_s, u"/tmp/x"_s);
    EXPECT_TRUE(h.filePath().startsWith(u"/tmp/x/"_s));
    EXPECT_FALSE(h.filePath().mid(7).contains(u'/'));
}

TEST(ProgressTracker, ParentCyclesFromAServerDoNotLoop)
{
    Session::ProgressTracker t;
    Psrp::ProgressRecord a;
    a.activityId = 1;
    a.parentActivityId = 2;
    Psrp::ProgressRecord b;
    b.activityId = 2;
    b.parentActivityId = 1;
    EXPECT_TRUE(t.update(7, a));
    EXPECT_TRUE(t.update(7, b));
    EXPECT_EQ(t.items().size(), 2);
    b.type = Psrp::ProgressRecordType::Completed;
    EXPECT_TRUE(t.update(7, b));
    EXPECT_TRUE(t.isEmpty());
}

// ---- real PowerShell -------------------------------------------------------------------------

#define REQUIRE_PWSH_HOST()                                                                        \
    do {                                                                                           \
        if (!TestServer::PwshProcess::isAvailable())                                               \
            GTEST_SKIP() << "real PowerShell is unavailable: set PSREMOTE_PWSH_HOST to the host "  \
                            "built by tests/server/pwsh-host/build.sh (tests/run-all.sh does)";     \
    } while (false)

// One real pool (a .NET process) for the whole interactive walk-through.
TEST(PwshSession, InteractiveSessionAgainstRealPowerShell)
{
    REQUIRE_PWSH_HOST();
    SessionFixture f(TestServer::EngineKind::Pwsh);
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter()) << str(f.ui.noteText());
    EXPECT_TRUE(f.session->prompt().startsWith(u"[127.0.0.1]: PS "_s)) << str(f.session->prompt());
    EXPECT_TRUE(f.session->prompt().endsWith(u"> "_s)) << str(f.session->prompt());
    EXPECT_TRUE(f.session->hasTabExpansion());

    // Output formatted by Out-Default on the server arrives as host writes.
    EXPECT_TRUE(f.run(u"'hello' + 'world'"_s).contains(u"helloworld"_s));
    // Errors are merged and rendered by the server's Out-Default.
    const QStringList err = f.run(u"1/0"_s);
    EXPECT_FALSE(err.filter(u"divide by zero"_s, Qt::CaseInsensitive).isEmpty()) << str(err.join(u'|'));

    f.ui.lines = {u"typed"_s};
    EXPECT_TRUE(f.run(u"'got ' + $host.UI.ReadLine()"_s).contains(u"got typed"_s));
    f.ui.secureLines = {u"hunter2xyz"_s};
    EXPECT_TRUE(f.run(u"$s = $host.UI.ReadLineAsSecureString(); 'length ' + $s.Length"_s).contains(u"length 10"_s));
    f.ui.credentials = {u"carol/Pa55w0rd"_s};
    const QStringList cred = f.run(u"$c = $host.UI.PromptForCredential('cap','msg','carol',''); "
                                   "$c.UserName + ':' + $c.GetNetworkCredential().Password"_s);
    EXPECT_TRUE(cred.contains(u"carol:Pa55w0rd"_s)) << str(cred.join(u'|'));
    ASSERT_FALSE(f.ui.credentialRequests.isEmpty());
    EXPECT_EQ(f.ui.credentialRequests.constLast().caption, u"PowerShell Credential Request: cap"_s);
    f.ui.choices = {{1}};
    EXPECT_TRUE(f.run(u"'chose ' + $host.UI.PromptForChoice('c','m', "
                      "[System.Management.Automation.Host.ChoiceDescription[]]@('&Yes','&No'), 0)"_s)
                    .contains(u"chose 1"_s));
    f.run(u"$host.UI.WriteProgress(1, [System.Management.Automation.ProgressRecord]::new(7, 'act', 'stat'))"_s);
    bool sawProgress = false;
    for (const auto &snapshot : f.ui.progress)
        for (const auto &item : snapshot)
            sawProgress = sawProgress || (item.record.activityId == 7 && item.record.activity == u"act"_s);
    EXPECT_TRUE(sawProgress);

    // Tab completion through TabExpansion2.
    std::optional<Session::Completion> completion;
    bool done = false;
    f.session->complete(u"Get-Comm"_s, 8, [&](std::optional<Session::Completion> c) {
        completion = c;
        done = true;
    });
    ASSERT_TRUE(runUntil([&] { return done; }, 30000));
    ASSERT_TRUE(completion.has_value());
    EXPECT_EQ(completion->replacementIndex, 0);
    EXPECT_EQ(completion->replacementLength, 8);
    bool found = false;
    for (const auto &m : completion->matches)
        found = found || m.completionText == u"Get-Command"_s;
    EXPECT_TRUE(found);

    // Ctrl+C stops an endless loop; the session stays usable.
    ASSERT_TRUE(f.session->runLine(u"'looping'; while ($true) {}"_s).ok());
    ASSERT_TRUE(runUntil([&] { return f.ui.texts().contains(u"looping"_s); }, 30000));
    EXPECT_EQ(f.session->interrupt(), Session::InterruptResult::Stopping);
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.run(u"'after'"_s).contains(u"after"_s));

    // exit leaves and closes the temporary session.
    ASSERT_TRUE(f.session->runLine(u"exit"_s).ok());
    ASSERT_TRUE(runUntil([&] { return f.session->state() == SessionState::Closed; }, 30000)) << str(f.ui.noteText());
    EXPECT_TRUE(runUntil([&] { return f.server->shellCount() == 0; }));
}

TEST(PwshSession, ExitPSSessionLeavesTheSession)
{
    REQUIRE_PWSH_HOST();
    SessionFixture f(TestServer::EngineKind::Pwsh);
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter()) << str(f.ui.noteText());
    ASSERT_TRUE(f.session->runLine(u"Exit-PSSession"_s).ok());
    ASSERT_TRUE(runUntil([&] { return f.session->state() == SessionState::Closed; }, 30000)) << str(f.ui.noteText());
}

} // namespace
