// Session::InteractiveSession and the robust connection (users-and-peers 0.3) over loopback sockets
// against the endpoint's simulator: outages injected by the endpoint (port closed, connections
// dropped, actions dropped), PowerShell's messages in order through a scripted HostUi, queued
// lines, the Disconnected end and reconnect(), the second Ctrl+C, attach() and SessionManager::enter.
#include "ClientHarness.h"
#include "LoopbackServer.h"
#include "ScriptedUi.h"
#include "SimulatorEngine.h"

#include "session/InteractiveSession.h"
#include "session/SessionManager.h"

#include <QRegularExpression>

#include <gtest/gtest.h>

#include <memory>

using namespace Qt::Literals::StringLiterals;
using ClientHarness::runUntil;
using Psrp::PSInvocationState;
using Session::ConnectionCondition;
using Session::InteractiveSession;
using Session::SessionState;
using SessionTest::ScriptedUi;

namespace {

std::string str(const QString &s)
{
    return s.toStdString();
}

class RobustSession : public ::testing::Test {
protected:
    void SetUp() override
    {
        server = ClientHarness::startEndpoint();
        ASSERT_TRUE(server);
        session = std::make_unique<InteractiveSession>(ui);
    }
    void TearDown() override
    {
        if (server)
            server->endOutage();
    }

    Wsman::ClientOptions options(qint64 maxRetryTimeMs) const
    {
        Wsman::ClientOptions o = ClientHarness::basicOptions(server->url());
        o.maxRetryTimeMs = maxRetryTimeMs;
        o.initialBackoffMs = 150;
        o.maxBackoffMs = 600;
        o.failureDeleteTimeoutMs = 1000;
        return o;
    }
    bool enter(Wsman::ClientOptions o)
    {
        session->enter(std::move(o), Session::EnterOptions{u"127.0.0.1"_s});
        return runUntil([&] { return session->state() != SessionState::Connecting; }, 60000)
            && session->state() == SessionState::Ready;
    }
    bool waitReady(int guardMs = 30000)
    {
        return runUntil([&] { return session->state() != SessionState::Busy; }, guardMs)
            && session->state() == SessionState::Ready;
    }
    bool hasNote(const QString &part) const { return ui.noteText().contains(part); }
    std::string why() const { return str(ui.timeline.join(u'\n')); }

    ScriptedUi ui;
    std::unique_ptr<TestServer::LoopbackServer> server;
    std::unique_ptr<InteractiveSession> session;
};

const QString Interrupted = u"note:The network connection to 127.0.0.1 has been interrupted. Attempting to reconnect for up to "_s;
const QString Restored = u"note:The network connection to 127.0.0.1 has been restored."_s;
const QString ReconnectFailed = u"note:The reconnection attempt to 127.0.0.1 failed. Attempting to disconnect the session..."_s;
const QString Disconnected = u"note:Computer 127.0.0.1 has been successfully disconnected."_s;
const QString NetworkProgress = u"progress:Network connection interrupted"_s;

} // namespace

TEST_F(RobustSession, OutageShowsPowerShellsMessagesInOrderAndTheProgressItemComesAndGoes)
{
    ASSERT_TRUE(enter(options(30000))) << why();
    ASSERT_TRUE(session->runLine(u"Write-Output a; Start-Sleep -Milliseconds 1200; Write-Output b"_s).ok());
    ASSERT_TRUE(runUntil([&] { return ui.texts().contains(u"a"_s); })) << why();
    server->startOutage(1500);
    ASSERT_TRUE(waitReady()) << why();
    EXPECT_EQ(ui.texts(), (QStringList{u"a"_s, u"b"_s})) << why();
    // "up to {1} minutes": 30 s.
    EXPECT_TRUE(ui.timeline.contains(Interrupted + u"0.5 minutes..."_s)) << why();
    const qsizetype a = ui.timeline.indexOf(u"write:a"_s);
    const qsizetype interrupted = ui.firstIndex(Interrupted);
    const qsizetype progress = ui.firstIndex(NetworkProgress);
    const qsizetype restored = ui.timeline.indexOf(Restored);
    const qsizetype b = ui.timeline.indexOf(u"write:b"_s);
    ASSERT_GE(a, 0) << why();
    EXPECT_LT(a, interrupted) << why();
    EXPECT_LT(interrupted, progress) << why();
    EXPECT_LT(progress, restored) << why();
    EXPECT_LT(restored, b) << why();
    // The progress item: activity, status, a percentage from the remaining time; gone at the end.
    bool sawItem = false;
    for (const auto &list : std::as_const(ui.progress)) {
        for (const auto &item : list) {
            if (item.record.activity != u"Network connection interrupted"_s)
                continue;
            sawItem = true;
            EXPECT_EQ(item.record.statusDescription, u"Attempting to reconnect to 127.0.0.1 ..."_s);
            EXPECT_GE(item.record.percentComplete, 0);
            EXPECT_LE(item.record.percentComplete, 100);
        }
    }
    EXPECT_TRUE(sawItem) << why();
    const qsizetype lastProgress = ui.timeline.lastIndexOf(QRegularExpression(u"^progress:"_s));
    EXPECT_FALSE(ui.timeline.at(lastProgress).contains(u"Network connection interrupted"_s)) << why();
    EXPECT_EQ(ui.conditions, (QList<ConnectionCondition>{ConnectionCondition::Reconnecting, ConnectionCondition::Connected}));
    EXPECT_EQ(session->connectionCondition(), ConnectionCondition::Connected);
    EXPECT_EQ(server->shellCount(), 1); // the same remote runspace
    session->exit();
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Closed; }));
}

TEST_F(RobustSession, LineTypedDuringTheOutageIsQueuedAndRunsAfterTheRestore)
{
    ASSERT_TRUE(enter(options(30000))) << why();
    server->startOutage(1500);
    ASSERT_TRUE(runUntil([&] { return session->connectionCondition() == ConnectionCondition::Reconnecting; })) << why();
    EXPECT_EQ(session->state(), SessionState::Ready);
    const auto r = session->runLine(u"Write-Output queued"_s);
    ASSERT_TRUE(r.ok()) << str(r.error().detail);
    EXPECT_EQ(session->state(), SessionState::Busy);
    EXPECT_TRUE(hasNote(u"the command is queued"_s)) << why();
    ASSERT_TRUE(waitReady()) << why();
    EXPECT_EQ(ui.texts(), QStringList{u"queued"_s});
    EXPECT_LT(ui.timeline.indexOf(Restored), ui.timeline.indexOf(u"write:queued"_s)) << why();
    EXPECT_EQ(TestServer::SimulatorEngine::executionCount(u"Write-Output queued"_s) >= 1, true);
    session->exit();
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Closed; }));
}

TEST_F(RobustSession, RetriesRunningOutDisconnectKeepTheTextAndReconnectContinuesTheLine)
{
    ASSERT_TRUE(enter(options(1200))) << why();
    ASSERT_TRUE(session->runLine(u"Write-Output before; Start-Sleep -Milliseconds 700; Write-Output after"_s).ok());
    ASSERT_TRUE(runUntil([&] { return ui.texts().contains(u"before"_s); })) << why();
    // Receives and Reconnects never get through; the Disconnect does (a server >= 2.2).
    server->faults().dropActions = {Wsman::Action::Receive, Wsman::Action::Reconnect};
    server->dropConnections();
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Broken; }, 30000)) << why();
    EXPECT_EQ(session->connectionCondition(), ConnectionCondition::Disconnected);
    const qsizetype interrupted = ui.firstIndex(Interrupted);
    const qsizetype failed = ui.timeline.indexOf(ReconnectFailed);
    const qsizetype disconnected = ui.timeline.indexOf(Disconnected);
    ASSERT_GE(interrupted, 0) << why();
    EXPECT_LT(interrupted, failed) << why();
    EXPECT_LT(failed, disconnected) << why();
    EXPECT_TRUE(session->failureText().contains(u"Repair the network connection"_s)) << why();
    EXPECT_TRUE(session->failureText().contains(u"psremote-cli enter --instance-id "_s
                                                + session->client()->shellId().toString(QUuid::WithoutBraces)));
    EXPECT_EQ(ui.conditions, (QList<ConnectionCondition>{ConnectionCondition::Reconnecting, ConnectionCondition::Disconnecting,
                                                         ConnectionCondition::Disconnected}));
    EXPECT_EQ(ui.texts(), QStringList{u"before"_s}); // what arrived stays
    const auto refused = session->runLine(u"Write-Output x"_s);
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(refused.error().detail.contains(u"disconnected"_s)) << str(refused.error().detail);
    EXPECT_EQ(server->shellCount(), 1); // kept by the server

    // The network is back: the same shell, the line continues and the prompt returns.
    server->faults().dropActions.clear();
    ASSERT_TRUE(session->reconnect().ok());
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Ready; }, 30000)) << why();
    EXPECT_EQ(ui.texts(), (QStringList{u"before"_s, u"after"_s})) << why();
    EXPECT_EQ(session->connectionCondition(), ConnectionCondition::Connected);
    EXPECT_FALSE(session->reconnect().ok());
    session->exit();
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Closed; }));
    EXPECT_TRUE(runUntil([&] { return server->shellCount() == 0; }));
}

TEST_F(RobustSession, PermanentOutageEndsBrokenAndRefusesTheQueuedLineClearly)
{
    ASSERT_TRUE(enter(options(1200))) << why();
    server->startOutage(-1);
    ASSERT_TRUE(runUntil([&] { return session->connectionCondition() == ConnectionCondition::Reconnecting; })) << why();
    ASSERT_TRUE(session->runLine(u"Write-Output never"_s).ok());
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Broken; }, 30000)) << why();
    EXPECT_EQ(session->connectionCondition(), ConnectionCondition::Lost);
    EXPECT_TRUE(hasNote(u"The command was not run:"_s)) << why();
    EXPECT_LT(ui.timeline.indexOf(ReconnectFailed), ui.firstIndex(u"note:The command was not run:"_s)) << why();
    EXPECT_TRUE(session->failureText().contains(u"could not be restored"_s)) << str(session->failureText());
    EXPECT_FALSE(ui.texts().contains(u"never"_s));
    EXPECT_EQ(TestServer::SimulatorEngine::executionCount(u"Write-Output never"_s), 0);
}

TEST_F(RobustSession, SecondCtrlCTerminatesAtOnceAndKeepsTheSession)
{
    ASSERT_TRUE(enter(options(30000))) << why(); // CancelTimeout: the default 60 s
    ASSERT_TRUE(session->runLine(u"Write-Output shown; Start-Sleep 60 -IgnoreStop"_s).ok());
    ASSERT_TRUE(runUntil([&] { return ui.texts().contains(u"shown"_s); })) << why();
    const qsizetype terminatesBefore = server->terminateSignalCount();
    EXPECT_EQ(session->interrupt(), Session::InterruptResult::Stopping);
    EXPECT_EQ(session->interrupt(), Session::InterruptResult::Abandoned);
    ASSERT_TRUE(runUntil([&] { return server->terminateSignalCount() > terminatesBefore; })) << why();
    EXPECT_GE(server->ctrlCSignalCount(), 1);
    ASSERT_TRUE(waitReady()) << why();
    EXPECT_TRUE(hasNote(u"terminated on the remote computer"_s)) << why();
    EXPECT_TRUE(ui.texts().contains(u"shown"_s));
    const auto r = session->runLine(u"Write-Output next"_s);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(waitReady()) << why();
    EXPECT_TRUE(ui.texts().contains(u"next"_s));
    session->exit();
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Closed; }));
}

TEST_F(RobustSession, AttachTakesTheCulturesOfTheClient)
{
    Wsman::ClientOptions o = ClientHarness::basicOptions(server->url());
    o.sessionOption.culture = u"de-DE"_s;
    o.sessionOption.uiCulture = u"fr-FR"_s;
    ClientHarness::Session pool(o);
    ASSERT_TRUE(pool.open()) << pool.why();
    session->attach(pool.client.get(), Session::EnterOptions{u"127.0.0.1"_s});
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Ready; })) << why();
    EXPECT_EQ(session->culture(), u"de-DE"_s);
    EXPECT_EQ(session->uiCulture(), u"fr-FR"_s);
    ASSERT_TRUE(session->runLine(u"Invoke-HostMethod 4"_s).ok());
    ASSERT_TRUE(waitReady());
    EXPECT_TRUE(ui.texts().contains(u"result: de-DE"_s)) << why();
    session->exit();
    EXPECT_TRUE(pool.close());
}

TEST_F(RobustSession, SessionManagerEntersADisconnectedSessionByConnectingItFirst)
{
    Session::SessionManager manager;
    const int id = manager.create(ClientHarness::basicOptions(server->url()));
    ASSERT_TRUE(runUntil([&] { return manager.find(id)->state == Session::PSSessionState::Opened; }));
    ASSERT_TRUE(manager.disconnect(id));
    ASSERT_TRUE(runUntil([&] { return manager.find(id)->state == Session::PSSessionState::Disconnected; }));
    ASSERT_TRUE(manager.enter(id, *session, Session::EnterOptions{}));
    ASSERT_TRUE(runUntil([&] { return session->state() == SessionState::Ready; })) << why();
    EXPECT_EQ(manager.find(id)->state, Session::PSSessionState::Opened);
    EXPECT_EQ(session->prompt().left(12), u"[127.0.0.1]:"_s); // the manager's computer name
    ASSERT_TRUE(session->runLine(u"Write-Output inside"_s).ok());
    ASSERT_TRUE(waitReady());
    EXPECT_TRUE(ui.texts().contains(u"inside"_s));
    session->exit();
    EXPECT_EQ(manager.find(id)->state, Session::PSSessionState::Opened); // entered from the list: stays open
    EXPECT_FALSE(manager.enter(42, *session, Session::EnterOptions{}).ok());
    EXPECT_TRUE(manager.remove(id));
    ASSERT_TRUE(runUntil([&] { return !manager.find(id).has_value() && server->shellCount() == 0; }));
}

TEST_F(RobustSession, SessionManagerRefusesADisconnectedSessionStillRunningACommand)
{
    Session::SessionManager manager;
    const int id = manager.create(ClientHarness::basicOptions(server->url()));
    ASSERT_TRUE(runUntil([&] { return manager.find(id)->state == Session::PSSessionState::Opened; }));
    Wsman::RunspacePoolClient *c = manager.client(id);
    const auto running = c->invokeScript(u"Start-Sleep -Milliseconds 800"_s);
    ASSERT_TRUE(running.ok());
    ASSERT_TRUE(manager.disconnect(id));
    ASSERT_TRUE(runUntil([&] { return manager.find(id)->state == Session::PSSessionState::Disconnected; }));
    const auto refused = manager.enter(id, *session, Session::EnterOptions{});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Psrp::ErrorCode::InvalidState);
    EXPECT_TRUE(refused.error().detail.startsWith(u"Cannot enter session Runspace1 (Id 1): it is disconnected and still running a command."_s))
        << str(refused.error().detail);
    EXPECT_EQ(session->state(), SessionState::Idle); // nothing happened
    // attach() refuses the same way.
    session->attach(c, Session::EnterOptions{u"127.0.0.1"_s});
    EXPECT_EQ(session->state(), SessionState::Closed);
    EXPECT_TRUE(session->failureText().contains(u"still running a command"_s));
    EXPECT_EQ(c->state(), Psrp::RunspacePoolState::Disconnected); // left as it was
    bool finished = false;
    QObject::connect(c, &Wsman::RunspacePoolClient::pipelineFinished, [&] { finished = true; });
    ASSERT_TRUE(manager.connect(id));
    ASSERT_TRUE(runUntil([&] { return finished; }));
    EXPECT_TRUE(manager.remove(id));
    ASSERT_TRUE(runUntil([&] { return server->shellCount() == 0; }));
}
