// Robust connection (users-and-peers 0.3): network outages of the loopback endpoint (real sockets:
// connections closed, the port not listening) during a running pipeline.
#include "ClientHarness.h"
#include "SimulatorEngine.h"

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace ClientHarness;
using namespace Wsman;
using Psrp::PSInvocationState;
using Psrp::RunspacePoolState;

namespace {

// Every robust-connection signal and every output string, in the order they arrived.
struct Timeline {
    QStringList events;
    int attempts = 0;
    explicit Timeline(RunspacePoolClient *c)
    {
        QObject::connect(c, &RunspacePoolClient::pipelineOutput, [this](const QUuid &, const Psrp::Value &v) {
            events.append(u"output:"_s + v.toString().value_or(u"?"_s));
        });
        QObject::connect(c, &RunspacePoolClient::networkInterrupted, [this](qint64) { events.append(u"interrupted"_s); });
        QObject::connect(c, &RunspacePoolClient::reconnectAttempt, [this](int n, qint64 remaining) {
            ++attempts;
            EXPECT_EQ(n, attempts);
            EXPECT_GE(remaining, 0);
        });
        QObject::connect(c, &RunspacePoolClient::networkRestored, [this] { events.append(u"restored"_s); });
        QObject::connect(c, &RunspacePoolClient::reconnectFailed, [this] { events.append(u"reconnectFailed"_s); });
        QObject::connect(c, &RunspacePoolClient::disconnected, [this] { events.append(u"disconnected"_s); });
        QObject::connect(c, &RunspacePoolClient::failed, [this](const ClientError &) { events.append(u"failed"_s); });
    }
    qsizetype indexOf(const QString &e) const { return events.indexOf(e); }
    qsizetype count(const QString &e) const { return events.count(e); }
};

ClientOptions robustOptions(const QUrl &url, qint64 maxRetryTimeMs)
{
    ClientOptions o = basicOptions(url);
    o.maxRetryTimeMs = maxRetryTimeMs;
    o.initialBackoffMs = 150;
    o.maxBackoffMs = 600;
    o.failureDeleteTimeoutMs = 1000;
    return o;
}

class Reconnect : public ::testing::Test {
protected:
    void SetUp() override
    {
        server = startEndpoint();
        ASSERT_TRUE(server);
    }
    std::unique_ptr<TestServer::LoopbackServer> server;
};

} // namespace

TEST_F(Reconnect, OutageDuringARunningPipelineIsRiddenOutAndOutputArrivesOnce)
{
    Session s(robustOptions(server->url(), 20000));
    Timeline t(s.client.get());
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid shell = s.client->shellId();
    const QUuid pid = s.start(u"Write-Output a; Start-Sleep -Milliseconds 1200; Write-Output b; Write-Output c"_s);
    ASSERT_FALSE(pid.isNull());
    ASSERT_TRUE(runUntil([&] { return t.count(u"output:a"_s) == 1; })) << s.why();
    server->startOutage(2000);
    ASSERT_TRUE(runUntil([&] { return s.finished.contains(pid) || s.closed; }, 30000)) << s.why();
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"a"_s, u"b"_s, u"c"_s}));
    EXPECT_EQ(t.count(u"interrupted"_s), 1);
    EXPECT_EQ(t.count(u"restored"_s), 1);
    EXPECT_GE(t.attempts, 1);
    EXPECT_LT(t.indexOf(u"output:a"_s), t.indexOf(u"interrupted"_s));
    EXPECT_LT(t.indexOf(u"interrupted"_s), t.indexOf(u"restored"_s));
    EXPECT_LT(t.indexOf(u"restored"_s), t.indexOf(u"output:b"_s));
    EXPECT_FALSE(s.client->isReconnecting());
    EXPECT_EQ(s.client->shellId(), shell);
    EXPECT_EQ(server->outageCount(), 1);
    EXPECT_EQ(server->shellCount(), 1); // the same shell
    const QUuid after = s.run(u"Write-Output d"_s);
    EXPECT_EQ(s.stateOf(after), PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(Reconnect, FaultInjectedOutageAfterNRequests)
{
    Session s(robustOptions(server->url(), 20000));
    Timeline t(s.client.get());
    ASSERT_TRUE(s.open()) << s.why();
    server->faults().outageAfter = int(server->requestCount()) + 2;
    server->faults().outageMs = 1500;
    const QUuid pid = s.run(u"Write-Output x; Start-Sleep -Milliseconds 300; Write-Output y"_s);
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed) << s.why();
    EXPECT_EQ(s.outputStrings(), (QStringList{u"x"_s, u"y"_s}));
    EXPECT_EQ(server->outageCount(), 1);
    EXPECT_EQ(t.count(u"interrupted"_s), 1);
    EXPECT_EQ(t.count(u"restored"_s), 1);
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.close());
}

TEST_F(Reconnect, CommandInvokedDuringTheOutageRunsAfterTheRestore)
{
    Session s(robustOptions(server->url(), 20000));
    Timeline t(s.client.get());
    ASSERT_TRUE(s.open()) << s.why();
    server->startOutage(1500);
    // The outage is noticed by the outstanding shell Receive.
    ASSERT_TRUE(runUntil([&] { return s.client->isReconnecting(); })) << s.why();
    auto queued = s.client->invokeScript(u"Write-Output queued"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(queued.ok()) << queued.error().detail.toStdString();
    ASSERT_TRUE(s.waitFinished(queued.value(), 20000)) << s.why();
    EXPECT_EQ(s.stateOf(queued.value()), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"queued"_s});
    EXPECT_LT(t.indexOf(u"restored"_s), t.indexOf(u"output:queued"_s));
    EXPECT_TRUE(s.close());
}

TEST_F(Reconnect, PermanentOutageEndsBrokenAndKeepsWhatArrived)
{
    Session s(robustOptions(server->url(), 1500));
    Timeline t(s.client.get());
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.start(u"Write-Output before; Start-Sleep 30"_s);
    ASSERT_TRUE(runUntil([&] { return !s.output.isEmpty(); })) << s.why();
    server->startOutage(-1);
    ASSERT_TRUE(runUntil([&] { return s.client->isReconnecting(); })) << s.why();
    auto refused = s.client->invokeScript(u"Write-Output never"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(refused.ok());
    ASSERT_TRUE(runUntil([&] { return s.closed; }, 20000)) << s.why();
    EXPECT_EQ(s.outputStrings(), QStringList{u"before"_s});
    ASSERT_EQ(s.failures.size(), 1);
    const ClientError &e = s.failures.first();
    EXPECT_EQ(e.kind, ClientErrorKind::Transport);
    EXPECT_TRUE(e.connectionLost);
    ASSERT_TRUE(e.transport.has_value());
    // The last attempt's failure: refused, or cut short by the deadline.
    EXPECT_TRUE(e.transport->kind == TransportErrorKind::ConnectionRefused
                || e.transport->kind == TransportErrorKind::TimedOut)
        << int(e.transport->kind);
    EXPECT_TRUE(e.detail.contains(u"1500 ms"_s)) << e.detail.toStdString();
    EXPECT_EQ(s.states.last(), RunspacePoolState::Broken);
    // PowerShell's order: interrupted, attempts, the reconnection failed, then the end.
    EXPECT_GE(t.attempts, 1);
    EXPECT_LT(t.indexOf(u"output:before"_s), t.indexOf(u"interrupted"_s));
    EXPECT_LT(t.indexOf(u"interrupted"_s), t.indexOf(u"reconnectFailed"_s));
    EXPECT_LT(t.indexOf(u"reconnectFailed"_s), t.indexOf(u"failed"_s));
    EXPECT_EQ(t.count(u"restored"_s), 0);
    EXPECT_EQ(t.count(u"disconnected"_s), 0);
    // Both pipelines end: the running one Failed with the pool, the queued one refused clearly.
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Failed);
    EXPECT_EQ(s.stateOf(refused.value()), PSInvocationState::Failed);
    bool refusedClearly = false;
    for (const ClientError &pe : std::as_const(s.pipelineErrors))
        refusedClearly |= pe.pipelineId == refused.value() && pe.kind == ClientErrorKind::InvalidState;
    EXPECT_TRUE(refusedClearly) << s.why();
    server->endOutage();
}

TEST_F(Reconnect, GivingUpDisconnectsWhenTheServerStillTakesADisconnect)
{
    Session s(robustOptions(server->url(), 1200));
    Timeline t(s.client.get());
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.start(u"Write-Output first; Start-Sleep -Milliseconds 600; Write-Output second"_s);
    ASSERT_TRUE(runUntil([&] { return !s.output.isEmpty(); })) << s.why();
    // Receives and Reconnects never get through; a Disconnect does.
    server->faults().dropActions = {Action::Receive, Action::Reconnect};
    server->dropConnections(); // the Receives already held by the server are cut too
    ASSERT_TRUE(runUntil([&] { return t.count(u"disconnected"_s) == 1 || s.closed; }, 20000)) << s.why();
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_EQ(s.client->state(), RunspacePoolState::Disconnected);
    EXPECT_LT(t.indexOf(u"interrupted"_s), t.indexOf(u"reconnectFailed"_s));
    EXPECT_LT(t.indexOf(u"reconnectFailed"_s), t.indexOf(u"disconnected"_s));
    EXPECT_FALSE(s.finished.contains(pid));
    // Later, with the network back, the same client reconnects and gets the rest once.
    server->faults().dropActions.clear();
    ASSERT_TRUE(s.client->reconnect());
    ASSERT_TRUE(s.waitFinished(pid)) << s.why();
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"first"_s, u"second"_s}));
    EXPECT_TRUE(s.close());
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(Reconnect, FaultsAreNotRiddenOut)
{
    Session s(robustOptions(server->url(), 20000));
    Timeline t(s.client.get());
    ASSERT_TRUE(s.open()) << s.why();
    server->faults().faultCount = 1;
    server->faults().faultCode = 0x80338000; // a WSManFault on the next request (shell Receive or Command)
    const QUuid pid = s.start(u"Write-Output x"_s);
    ASSERT_TRUE(runUntil([&] { return s.finished.contains(pid) || s.closed; }));
    QList<ClientError> reported = s.failures + s.pipelineErrors;
    ASSERT_EQ(reported.size(), 1) << s.why();
    EXPECT_EQ(reported.first().kind, ClientErrorKind::Fault);
    EXPECT_EQ(t.count(u"interrupted"_s), 0);
    EXPECT_FALSE(s.client->isReconnecting());
    if (!s.closed) {
        EXPECT_TRUE(s.close());
    }
}

// Resend safety: a Command processed by the server whose answer was lost in the drop is asked
// about (Receive on its CommandId) after the Reconnect, never sent again: it runs exactly once.
TEST_F(Reconnect, CommandWhoseAnswerWasLostRunsExactlyOnce)
{
    Session s(robustOptions(server->url(), 20000));
    Timeline t(s.client.get());
    ASSERT_TRUE(s.open()) << s.why();
    TestServer::SimulatorEngine::resetExecutions();
    server->faults().loseAnswers = {Action::Command};
    server->faults().outageMs = 800;
    const QUuid pid = s.run(u"Write-Output lost-answer-once; Start-Sleep -Milliseconds 200; Write-Output done"_s);
    EXPECT_EQ(server->lostAnswerCount(), 1);
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed) << s.why();
    EXPECT_EQ(s.outputStrings(), (QStringList{u"lost-answer-once"_s, u"done"_s}));
    EXPECT_EQ(TestServer::SimulatorEngine::executionCount(u"lost-answer-once"_s), 1);
    EXPECT_EQ(t.count(u"interrupted"_s), 1);
    EXPECT_EQ(t.count(u"restored"_s), 1);
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.pipelineErrors.isEmpty()) << s.why();
    const QUuid next = s.run(u"Write-Output next"_s);
    EXPECT_EQ(s.stateOf(next), PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}

// ... and a Command that never reached the server (its connection cut before processing) is
// unknown to it: then it is sent, once.
TEST_F(Reconnect, CommandCutBeforeTheServerSawItIsSentOnceAfterTheRestore)
{
    Session s(robustOptions(server->url(), 20000));
    Timeline t(s.client.get());
    ASSERT_TRUE(s.open()) << s.why();
    TestServer::SimulatorEngine::resetExecutions();
    // The next request is the Command (the shell Receive is already waiting on the server).
    server->faults().outageAfter = int(server->requestCount()) + 1;
    server->faults().outageMs = 800;
    const QUuid pid = s.run(u"Write-Output cut-before-processing"_s);
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed) << s.why();
    EXPECT_EQ(s.outputStrings(), QStringList{u"cut-before-processing"_s});
    EXPECT_EQ(TestServer::SimulatorEngine::executionCount(u"cut-before-processing"_s), 1);
    EXPECT_EQ(server->outageCount(), 1);
    EXPECT_EQ(t.count(u"restored"_s), 1);
    EXPECT_TRUE(s.close());
}

// Input whose Send answer was lost may or may not have arrived: it is not sent again (it could
// be delivered twice); the pipeline fails clearly and is terminated on the server.
TEST_F(Reconnect, InputWhoseAnswerWasLostFailsThePipelineInsteadOfBeingSentTwice)
{
    Session s(robustOptions(server->url(), 20000));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.start(u"$input"_s, false);
    ASSERT_FALSE(pid.isNull());
    ASSERT_TRUE(runUntil([&] { return s.client->requestCount() >= 3; })) << s.why();
    const qsizetype terminates = server->terminateSignalCount();
    server->faults().loseAnswers = {Action::Send};
    server->faults().outageMs = 800;
    ASSERT_TRUE(s.client->sendInput(pid, Psrp::Value(u"once"_s)));
    ASSERT_TRUE(s.waitFinished(pid, 20000)) << s.why();
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Failed);
    ASSERT_EQ(s.pipelineErrors.size(), 1) << s.why();
    EXPECT_EQ(s.pipelineErrors.first().action, Action::Send);
    EXPECT_TRUE(s.pipelineErrors.first().detail.contains(u"may or may not have arrived"_s));
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(runUntil([&] { return server->terminateSignalCount() > terminates; }));
    EXPECT_EQ(server->lostAnswerCount(), 1);
    const QUuid next = s.run(u"Write-Output alive"_s);
    EXPECT_EQ(s.stateOf(next), PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}
