// Session::SessionManager (PSSession semantics) against the loopback endpoint over real sockets.
#include "ClientHarness.h"
#include "SimulatorEngine.h"

#include "session/SessionManager.h"

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace ClientHarness;
using Psrp::PSInvocationState;
using Session::PSSessionAvailability;
using Session::PSSessionState;
using Session::SessionManager;

namespace {

class SessionManagerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        server = startEndpoint();
        ASSERT_TRUE(server);
        QObject::connect(&manager, &SessionManager::sessionOpened, [this](int id) { opened.append(id); });
        QObject::connect(&manager, &SessionManager::sessionRemoved, [this](int id) { removed.append(id); });
        QObject::connect(&manager, &SessionManager::sessionFailed,
                         [this](int id, const Wsman::ClientError &) { failed.append(id); });
    }
    void TearDown() override { TestServer::SimulatorEngine::setProtocolVersion({}); }

    bool waitState(int id, PSSessionState state)
    {
        return runUntil([&] {
            const auto info = manager.find(id);
            return info && info->state == state;
        });
    }

    std::unique_ptr<TestServer::LoopbackServer> server;
    SessionManager manager;
    QList<int> opened;
    QList<int> removed;
    QList<int> failed;
};

} // namespace

TEST_F(SessionManagerTest, CreateListFindAndRemove)
{
    const int first = manager.create(basicOptions(server->url()));
    const int second = manager.create(basicOptions(server->url()), u"Work"_s);
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 2);
    ASSERT_TRUE(runUntil([&] { return opened.size() == 2 || !failed.isEmpty(); }));
    ASSERT_TRUE(failed.isEmpty());

    const auto all = manager.list();
    ASSERT_EQ(all.size(), 2);
    EXPECT_EQ(all[0].id, 1);
    EXPECT_EQ(all[0].name, u"Runspace1"_s);
    EXPECT_EQ(all[1].name, u"Work"_s);
    for (const auto &info : all) {
        EXPECT_EQ(info.state, PSSessionState::Opened);
        EXPECT_EQ(info.availability, PSSessionAvailability::Available);
        EXPECT_EQ(info.computerName, u"127.0.0.1"_s);
        EXPECT_EQ(info.configurationName, u"Microsoft.PowerShell"_s);
        EXPECT_FALSE(info.instanceId.isNull());
    }
    EXPECT_NE(all[0].instanceId, all[1].instanceId);
    EXPECT_EQ(all[0].instanceId, manager.client(1)->shellId());

    EXPECT_EQ(manager.findByName(u"work"_s)->id, 2);
    EXPECT_EQ(manager.findByName(u"RUNSPACE1"_s)->id, 1);
    EXPECT_EQ(manager.findByInstanceId(all[1].instanceId)->id, 2);
    EXPECT_FALSE(manager.find(3).has_value());
    EXPECT_FALSE(manager.findByName(u"Runspace3"_s).has_value());
    EXPECT_FALSE(manager.findByInstanceId(QUuid::createUuid()).has_value());
    EXPECT_EQ(manager.client(3), nullptr);

    // A command running in a session makes it Busy.
    Wsman::RunspacePoolClient *c = manager.client(2);
    ASSERT_NE(c, nullptr);
    bool done = false;
    QObject::connect(c, &Wsman::RunspacePoolClient::pipelineFinished, [&] { done = true; });
    ASSERT_TRUE(c->invokeScript(u"Start-Sleep -Milliseconds 300"_s).ok());
    EXPECT_EQ(manager.find(2)->availability, PSSessionAvailability::Busy);
    ASSERT_TRUE(runUntil([&] { return done && manager.find(2)->availability == PSSessionAvailability::Available; }));

    EXPECT_EQ(server->shellCount(), 2);
    EXPECT_TRUE(manager.remove(1));
    EXPECT_FALSE(manager.remove(1));
    EXPECT_FALSE(manager.find(1).has_value()); // gone from the table at once
    ASSERT_TRUE(runUntil([&] { return removed.contains(1); }));
    EXPECT_EQ(server->shellCount(), 1);
    ASSERT_EQ(manager.list().size(), 1);
    EXPECT_EQ(manager.list().first().id, 2);
    // Ids keep increasing.
    EXPECT_EQ(manager.create(basicOptions(server->url())), 3);
    ASSERT_TRUE(runUntil([&] { return opened.contains(3); }));
    EXPECT_EQ(manager.find(3)->name, u"Runspace3"_s);
    EXPECT_TRUE(manager.remove(2));
    EXPECT_TRUE(manager.remove(3));
    ASSERT_TRUE(runUntil([&] { return removed.size() == 3; }));
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(SessionManagerTest, DisconnectAndConnectAgain)
{
    const int id = manager.create(basicOptions(server->url()));
    ASSERT_TRUE(runUntil([&] { return opened.contains(id); }));
    ASSERT_TRUE(manager.disconnect(id));
    ASSERT_TRUE(waitState(id, PSSessionState::Disconnected));
    EXPECT_EQ(manager.find(id)->availability, PSSessionAvailability::None);
    EXPECT_FALSE(manager.disconnect(id).ok());
    EXPECT_FALSE(manager.disconnect(42).ok());
    ASSERT_TRUE(manager.connect(id));
    ASSERT_TRUE(waitState(id, PSSessionState::Opened));
    EXPECT_EQ(manager.find(id)->availability, PSSessionAvailability::Available);
    EXPECT_TRUE(manager.remove(id));
    ASSERT_TRUE(runUntil([&] { return removed.contains(id); }));
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(SessionManagerTest, ServerSessionsListedAndConnectedByInstanceId)
{
    const int id = manager.create(basicOptions(server->url()));
    ASSERT_TRUE(runUntil([&] { return opened.contains(id); }));
    const QUuid instance = manager.find(id)->instanceId;
    ASSERT_TRUE(manager.disconnect(id));
    ASSERT_TRUE(waitState(id, PSSessionState::Disconnected));

    std::optional<Session::ServerSessionList> listed;
    SessionManager::listServerSessions(basicOptions(server->url()),
                                       [&](const Session::ServerSessionList &l) { listed = l; });
    ASSERT_TRUE(runUntil([&] { return listed.has_value(); }));
    ASSERT_FALSE(listed->error.has_value()) << listed->error->detail.toStdString();
    ASSERT_EQ(listed->sessions.size(), 1);
    EXPECT_EQ(listed->sessions.first().instanceId, instance);
    EXPECT_EQ(listed->sessions.first().state, u"Disconnected"_s);
    EXPECT_EQ(listed->sessions.first().configurationName, u"Microsoft.PowerShell"_s);

    // Another program (another manager) connects to it by InstanceId and uses it.
    SessionManager other;
    QList<int> otherOpened;
    QObject::connect(&other, &SessionManager::sessionOpened, [&](int i) { otherOpened.append(i); });
    const int connected = other.connectExisting(basicOptions(server->url()), instance);
    ASSERT_TRUE(runUntil([&] { return otherOpened.contains(connected); }));
    const auto info = other.find(connected);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->instanceId, instance);
    EXPECT_EQ(info->state, PSSessionState::Opened);
    EXPECT_EQ(info->name, u"Runspace1"_s);
    Wsman::RunspacePoolClient *c = other.client(connected);
    QList<QString> out;
    bool done = false;
    QObject::connect(c, &Wsman::RunspacePoolClient::pipelineOutput,
                     [&](const QUuid &, const Psrp::Value &v) { out.append(v.toString().value_or(QString())); });
    QObject::connect(c, &Wsman::RunspacePoolClient::pipelineFinished, [&] { done = true; });
    ASSERT_TRUE(c->invokeScript(u"Write-Output hello"_s, Wsman::ScriptOptions{false, true, false}).ok());
    ASSERT_TRUE(runUntil([&] { return done; }));
    EXPECT_EQ(out, QList<QString>{u"hello"_s});
    EXPECT_TRUE(other.remove(connected));
    QList<int> otherRemoved;
    QObject::connect(&other, &SessionManager::sessionRemoved, [&](int i) { otherRemoved.append(i); });
    ASSERT_TRUE(runUntil([&] { return otherRemoved.contains(connected); }));
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(SessionManagerTest, ProtocolTwoOneServerCannotDisconnect)
{
    TestServer::SimulatorEngine::setProtocolVersion(QVersionNumber(2, 1));
    const int id = manager.create(basicOptions(server->url()));
    ASSERT_TRUE(runUntil([&] { return opened.contains(id); }));
    const auto r = manager.disconnect(id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Psrp::ErrorCode::InvalidState);
    EXPECT_TRUE(r.error().detail.contains(u"does not support disconnected sessions"_s));
    EXPECT_EQ(manager.find(id)->state, PSSessionState::Opened);
    EXPECT_TRUE(manager.remove(id));
    ASSERT_TRUE(runUntil([&] { return removed.contains(id); }));
}

TEST_F(SessionManagerTest, AFailedSessionIsBroken)
{
    const int id = manager.create(basicOptions(server->url(), u"wrong"_s));
    ASSERT_TRUE(runUntil([&] { return failed.contains(id); }));
    ASSERT_TRUE(runUntil([&] { return manager.find(id)->state == PSSessionState::Broken; }));
    EXPECT_EQ(manager.find(id)->availability, PSSessionAvailability::None);
    EXPECT_TRUE(manager.remove(id));
    ASSERT_TRUE(runUntil([&] { return removed.contains(id); }));
    EXPECT_TRUE(manager.list().isEmpty());
}
