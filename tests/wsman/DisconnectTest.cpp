// Disconnect / Reconnect / Connect / Enumerate (dossier 1.8): the envelopes against the real
// Windows recording, and RunspacePoolClient against the loopback endpoint over real sockets.
#include "ClientHarness.h"
#include "SharedData.h"
#include "SimulatorEngine.h"
#include "Transcript.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"
#include "wsman/ServerEnvelope.h"

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace ClientHarness;
using namespace Wsman;
using Psrp::PSInvocationState;
using Psrp::RunspacePoolState;

namespace {

const QUuid RecordedShell = QUuid::fromString(u"B6631D8E-65A0-49F2-9053-A1B156C95777"_s);

std::optional<TestSupport::Transcript> disconnectRecording()
{
    return TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir() + u"/test_psrp_disconnect_runspaces.yml"_s);
}

RequestContext contextOf(const ServerRequest &recorded)
{
    RequestContext c;
    c.to = recorded.to;
    c.sessionId = QUuid::fromString(recorded.sessionId.mid(5));
    c.maxEnvelopeSize = recorded.maxEnvelopeSize;
    return c;
}

QUuid messageIdOf(const ServerRequest &recorded)
{
    return QUuid::fromString(recorded.messageId.mid(5));
}

} // namespace

// Our Disconnect / Reconnect / Connect / Enumerate carry what the recorded PowerShell/pypsrp
// requests carry (action, ids, selectors, connectXml), as the endpoint parser sees them.
TEST(DisconnectRecorded, BuildersMatchTheRecordedRequests)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto transcript = disconnectRecording();
    ASSERT_TRUE(transcript.has_value());
    QSet<Action> checked;
    for (const auto &exchange : transcript->exchanges) {
        auto recorded = parseServerRequest(exchange.request.toUtf8());
        ASSERT_TRUE(recorded.ok());
        const QUuid shell = QUuid::fromString(recorded->shellId);
        QByteArray ours;
        switch (recorded->action) {
        case Action::Disconnect:
            ours = buildDisconnect(contextOf(*recorded), messageIdOf(*recorded), shell, recorded->idleTimeoutMs);
            break;
        case Action::Reconnect:
            ours = buildReconnect(contextOf(*recorded), messageIdOf(*recorded), shell);
            break;
        case Action::Connect:
            if (!recorded->hasConnectXml)
                continue;
            ours = buildConnect(contextOf(*recorded), messageIdOf(*recorded), shell, recorded->connectXml);
            break;
        case Action::Enumerate:
            if (recorded->resourceUri != ShellResourceUri)
                continue; // the per-shell command enumeration is not used
            ours = buildEnumerate(contextOf(*recorded), messageIdOf(*recorded));
            break;
        default:
            continue;
        }
        auto mine = parseServerRequest(ours);
        ASSERT_TRUE(mine.ok()) << mine.error().detail.toStdString();
        const std::string where = "line " + std::to_string(exchange.line);
        EXPECT_EQ(mine->action, recorded->action) << where;
        EXPECT_EQ(mine->actionUri, recorded->actionUri) << where;
        EXPECT_EQ(mine->resourceUri, recorded->resourceUri) << where;
        EXPECT_EQ(mine->shellId.toUpper(), recorded->shellId.toUpper()) << where;
        EXPECT_EQ(mine->sessionId, recorded->sessionId) << where;
        EXPECT_EQ(mine->messageId, recorded->messageId) << where;
        EXPECT_EQ(mine->idleTimeoutMs, recorded->idleTimeoutMs) << where;
        EXPECT_EQ(mine->connectXml, recorded->connectXml) << where;
        EXPECT_EQ(mine->maxElements, recorded->maxElements) << where;
        checked.insert(recorded->action);
    }
    EXPECT_EQ(checked, (QSet<Action>{Action::Disconnect, Action::Reconnect, Action::Connect, Action::Enumerate}));
}

// The connectXml our pool engine writes is byte for byte the one PowerShell sent for the same
// pool, and the recorded connectResponseXml opens it (RUNSPACEPOOL_INIT_DATA: 1..1 runspaces).
TEST(DisconnectRecorded, ConnectXmlAndConnectResponseReplay)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto transcript = disconnectRecording();
    ASSERT_TRUE(transcript.has_value());
    bool seen = false;
    for (const auto &exchange : transcript->exchanges) {
        auto recorded = parseServerRequest(exchange.request.toUtf8());
        ASSERT_TRUE(recorded.ok());
        if (recorded->action != Action::Connect || QUuid::fromString(recorded->shellId) != RecordedShell)
            continue;
        // pypsrp wrote the RPID in RFC byte order: the pool id Windows saw is what the bytes say.
        auto fragments = Psrp::parseFragments(recorded->connectXml);
        ASSERT_TRUE(fragments.ok());
        ASSERT_FALSE(fragments->isEmpty());
        auto first = Psrp::decodeMessage(fragments->first().blob);
        ASSERT_TRUE(first.ok());
        Psrp::ClientRunspacePool pool(first->runspacePoolId);
        ASSERT_TRUE(pool.connect());
        auto out = pool.dataToSend(1 << 20);
        ASSERT_TRUE(out.has_value());
        // SESSION_CAPABILITY byte for byte; CONNECT_RUNSPACEPOOL the same message (ours writes
        // the empty string as <S></S>, PowerShell as <S />).
        auto ours = Psrp::parseFragments(out->data);
        ASSERT_TRUE(ours.ok());
        ASSERT_EQ(ours->size(), 2);
        ASSERT_EQ(fragments->size(), 2);
        EXPECT_EQ(Psrp::encodeFragment(ours->at(0)), Psrp::encodeFragment(fragments->at(0)));
        auto mine = Psrp::decodeMessage(ours->at(1).blob);
        auto theirs = Psrp::decodeMessage(fragments->at(1).blob);
        ASSERT_TRUE(mine.ok());
        ASSERT_TRUE(theirs.ok());
        EXPECT_EQ(mine->type, Psrp::MessageType::ConnectRunspacePool);
        EXPECT_EQ(mine->type, theirs->type);
        EXPECT_EQ(mine->runspacePoolId, theirs->runspacePoolId);
        EXPECT_EQ(ours->at(1).objectId, fragments->at(1).objectId);
        EXPECT_EQ(theirs->data, QByteArray("<S />"));
        EXPECT_EQ(mine->data, QByteArray("<S></S>"));
        auto answer = parseConnectResponse(exchange.response.toUtf8());
        ASSERT_TRUE(answer.ok());
        ASSERT_FALSE(answer->connectResponseXml.isEmpty());
        ASSERT_TRUE(pool.receiveData(answer->connectResponseXml)) ;
        EXPECT_EQ(pool.state(), RunspacePoolState::Opened);
        EXPECT_EQ(pool.peerProtocolVersion(), QVersionNumber(2, 3));
        EXPECT_EQ(pool.maxRunspaces(), 1);
        seen = true;
        break;
    }
    EXPECT_TRUE(seen);
}

// The pool engine's side of disconnect/reconnect: Opened -> Disconnected -> Connecting -> Opened,
// nothing else; commands are refused while disconnected; broken() fails what runs.
TEST(DisconnectEngine, PoolStatesOfDisconnectAndReconnect)
{
    Psrp::ClientRunspacePool client;
    EXPECT_FALSE(client.disconnected()); // BeforeOpen
    EXPECT_FALSE(client.reconnected());
    Psrp::ServerRunspacePool server;
    ASSERT_TRUE(client.open());
    EXPECT_FALSE(client.disconnected()); // Opening
    while (auto out = client.dataToSend(1 << 20))
        ASSERT_TRUE(server.receiveData(out->data));
    while (auto out = server.dataToSend(1 << 20))
        ASSERT_TRUE(client.receiveData(out->data));
    ASSERT_EQ(client.state(), RunspacePoolState::Opened);
    while (client.nextEvent()) {
    }
    ASSERT_TRUE(client.disconnected());
    EXPECT_EQ(client.state(), RunspacePoolState::Disconnected);
    EXPECT_FALSE(client.createPipeline(Psrp::CreatePipeline{}).ok());
    EXPECT_FALSE(client.disconnected());
    ASSERT_TRUE(client.reconnected());
    QList<RunspacePoolState> states;
    while (auto e = client.nextEvent())
        if (e->kind == Psrp::Event::Kind::PoolStateChanged)
            states.append(e->poolState);
    EXPECT_EQ(states, (QList<RunspacePoolState>{RunspacePoolState::Disconnected, RunspacePoolState::Connecting,
                                                RunspacePoolState::Opened}));
    Psrp::CreatePipeline request;
    request.powerShell.commands.append(Psrp::Command::script(u"1"_s));
    auto pid = client.createPipeline(request);
    ASSERT_TRUE(pid.ok());
    ASSERT_TRUE(client.broken());
    EXPECT_EQ(client.state(), RunspacePoolState::Broken);
    EXPECT_EQ(client.pipelineState(pid.value()), PSInvocationState::Failed);
    EXPECT_FALSE(client.reconnected());
}

class DisconnectLoopback : public ::testing::Test {
protected:
    void SetUp() override
    {
        server = startEndpoint();
        ASSERT_TRUE(server);
    }
    void TearDown() override { TestServer::SimulatorEngine::setProtocolVersion({}); }
    std::unique_ptr<TestServer::LoopbackServer> server;
};

TEST_F(DisconnectLoopback, DisconnectThenReconnectKeepsStateAndOutput)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    int disconnects = 0;
    int reconnects = 0;
    QObject::connect(s.client.get(), &RunspacePoolClient::disconnected, [&] { ++disconnects; });
    QObject::connect(s.client.get(), &RunspacePoolClient::reconnected, [&] { ++reconnects; });
    // Output before, during (buffered by the server) and after the disconnect.
    const QUuid pid = s.start(u"Write-Output one; Start-Sleep -Milliseconds 400; Write-Output two; Write-Output three"_s);
    ASSERT_FALSE(pid.isNull());
    ASSERT_TRUE(runUntil([&] { return !s.output.isEmpty(); })) << s.why();
    ASSERT_TRUE(s.client->disconnect());
    ASSERT_TRUE(runUntil([&] { return disconnects == 1; })) << s.why();
    EXPECT_EQ(s.client->state(), RunspacePoolState::Disconnected);
    EXPECT_EQ(s.states.last(), RunspacePoolState::Disconnected);
    EXPECT_FALSE(s.client->invokeScript(u"Write-Output x"_s).ok()); // refused while disconnected
    EXPECT_FALSE(s.client->disconnect().ok());
    // Let the pipeline finish on the server while nobody receives.
    const auto requests = server->requestCount();
    runUntil([] { return false; }, 700); // a quiet period (nothing is asserted on time)
    EXPECT_EQ(server->requestCount(), requests) << "no Receive while disconnected";
    EXPECT_FALSE(s.finished.contains(pid));
    ASSERT_TRUE(s.client->reconnect());
    ASSERT_TRUE(s.waitFinished(pid)) << s.why();
    EXPECT_EQ(reconnects, 1);
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"one"_s, u"two"_s, u"three"_s}));
    const QList<RunspacePoolState> tail = s.states.mid(s.states.size() - 3);
    EXPECT_EQ(tail, (QList<RunspacePoolState>{RunspacePoolState::Disconnected, RunspacePoolState::Connecting,
                                              RunspacePoolState::Opened}));
    // The same pool runs more commands.
    const QUuid again = s.run(u"Write-Output four"_s);
    EXPECT_EQ(s.stateOf(again), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings().last(), u"four"_s);
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.close());
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(DisconnectLoopback, ProtocolTwoOneServerRefusesDisconnectClearly)
{
    TestServer::SimulatorEngine::setProtocolVersion(QVersionNumber(2, 1));
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    EXPECT_EQ(s.client->serverProtocolVersion(), QVersionNumber(2, 1));
    auto r = s.client->disconnect();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Psrp::ErrorCode::InvalidState);
    EXPECT_TRUE(r.error().detail.contains(u"2.2"_s)) << r.error().detail.toStdString();
    EXPECT_EQ(s.client->state(), RunspacePoolState::Opened);
    const QUuid pid = s.run(u"Write-Output still"_s);
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}

TEST_F(DisconnectLoopback, EnumerateListsADisconnectedShellAndASecondClientConnects)
{
    Session first(basicOptions(server->url()));
    ASSERT_TRUE(first.open()) << first.why();
    const QUuid shell = first.client->shellId();
    bool down = false;
    QObject::connect(first.client.get(), &RunspacePoolClient::disconnected, [&] { down = true; });
    ASSERT_TRUE(first.client->disconnect());
    ASSERT_TRUE(runUntil([&] { return down; })) << first.why();

    std::optional<ShellListResult> listed;
    RunspacePoolClient::enumerateShells(basicOptions(server->url()), [&](const ShellListResult &r) { listed = r; });
    ASSERT_TRUE(runUntil([&] { return listed.has_value(); }));
    ASSERT_FALSE(listed->error.has_value()) << listed->error->detail.toStdString();
    ASSERT_EQ(listed->shells.size(), 1);
    EXPECT_EQ(QUuid::fromString(listed->shells.first().shellId), shell);
    EXPECT_EQ(listed->shells.first().state, u"Disconnected"_s);
    EXPECT_EQ(listed->shells.first().resourceUri, QString(DefaultResourceUri));

    // The first client goes away without closing (the shell stays); a new one connects.
    first.client.reset();
    Session second(basicOptions(server->url()));
    second.client->connectExisting(shell);
    ASSERT_TRUE(runUntil([&] { return second.opened || second.closed; })) << second.why();
    ASSERT_TRUE(second.opened) << second.why();
    EXPECT_EQ(second.client->shellId(), shell);
    EXPECT_EQ(second.client->state(), RunspacePoolState::Opened);
    EXPECT_EQ(second.states.first(), RunspacePoolState::Connecting);
    const QUuid pid = second.run(u"Write-Output connected"_s);
    EXPECT_EQ(second.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(second.outputStrings(), QStringList{u"connected"_s});
    EXPECT_TRUE(second.failures.isEmpty()) << second.why();
    EXPECT_TRUE(second.close());
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(DisconnectLoopback, ConnectToAnUnknownShellFailsWithoutDeletingAnything)
{
    Session keeper(basicOptions(server->url()));
    ASSERT_TRUE(keeper.open());
    Session s(basicOptions(server->url()));
    s.client->connectExisting(QUuid::createUuid());
    ASSERT_TRUE(runUntil([&] { return s.closed; }));
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::ShellNotFound);
    EXPECT_EQ(s.failures.first().action, Action::Connect);
    EXPECT_FALSE(s.opened);
    EXPECT_EQ(server->shellCount(), 1);
    EXPECT_TRUE(keeper.close());
}

TEST_F(DisconnectLoopback, EnumerateErrorsAreTyped)
{
    std::optional<ShellListResult> listed;
    RunspacePoolClient::enumerateShells(basicOptions(server->url(), u"wrong"_s), [&](const ShellListResult &r) { listed = r; });
    ASSERT_TRUE(runUntil([&] { return listed.has_value(); }));
    ASSERT_TRUE(listed->error.has_value());
    EXPECT_EQ(listed->error->kind, ClientErrorKind::Transport);
    ASSERT_TRUE(listed->error->transport.has_value());
    EXPECT_EQ(listed->error->transport->kind, TransportErrorKind::AuthenticationFailed);
    EXPECT_TRUE(listed->shells.isEmpty());
}

TEST_F(DisconnectLoopback, TerminateEndsAPipelineAtOnce)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    const QUuid pid = s.start(u"Start-Sleep 60 -IgnoreStop"_s);
    ASSERT_FALSE(pid.isNull());
    ASSERT_TRUE(runUntil([&] { return server->requestCount() >= 5; }));
    ASSERT_TRUE(s.client->terminate(pid));
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Stopped);
    EXPECT_FALSE(s.client->terminate(pid).ok());
    EXPECT_TRUE(s.client->options().connection.connectionUri.has_value());
    const QUuid next = s.run(u"Write-Output after"_s);
    EXPECT_EQ(s.stateOf(next), PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}
