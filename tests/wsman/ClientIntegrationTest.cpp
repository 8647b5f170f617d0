// Wsman::RunspacePoolClient end to end over real loopback sockets against the loopback WinRM
// endpoint (tests/server, simulator engine): open/close, streams, input, host calls, stop,
// Receive timeouts, TLS, injected faults, size limits, redirects, traces (replays of real Windows
// recordings: DriverReplayTest.cpp).
#include "ClientHarness.h"
#include "HttpTestServer.h"
#include "LoopbackServer.h"

#include "wsman/RunspacePoolClient.h"
#include "wsman/TraceDecoder.h"

#include <QEventLoop>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>

#include <gtest/gtest.h>

#include <functional>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace TestServer;
using namespace Wsman;
using Psrp::MessageType;
using Psrp::PSInvocationState;
using namespace ClientHarness;

namespace {

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

class ClientIntegration : public ::testing::Test {
protected:
    void SetUp() override
    {
        server = startEndpoint();
        ASSERT_TRUE(server);
    }
    std::unique_ptr<LoopbackServer> server;
};

TEST_F(ClientIntegration, OpensAndCloses)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << (s.failures.isEmpty() ? "" : s.failures.first().detail.toStdString());
    EXPECT_EQ(s.client->state(), Psrp::RunspacePoolState::Opened);
    EXPECT_EQ(server->shellCount(), 1);
    EXPECT_FALSE(s.client->serverProtocolVersion().isNull());
    EXPECT_EQ(s.client->maxEnvelopeSize(), 512000); // server >= 2.2
    ASSERT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty());
    EXPECT_EQ(s.client->state(), Psrp::RunspacePoolState::Closed);
    EXPECT_EQ(server->shellCount(), 0);
    EXPECT_TRUE(s.states.contains(Psrp::RunspacePoolState::Closing));
}

TEST_F(ClientIntegration, StreamsOutputAndCompletes)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    const QUuid pid = s.run(u"1..5"_s);
    ASSERT_TRUE(s.finished.contains(pid));
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"1"_s, u"2"_s, u"3"_s, u"4"_s, u"5"_s}));
    // Command + Receive (+ Signal terminate): no extra round trips per command.
    runUntil([&] { return s.client->activePipelines().isEmpty(); });
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, TrivialCommandTakesThreeRoundTrips)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    ASSERT_TRUE(runUntil([&] { return server->requestCount() >= 3; })); // Create, 2 shell Receives
    const qsizetype before = server->requestCount();
    const QUuid pid = s.run(u"1..1"_s); // the simulator has no bare literal; same single Int32 output
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Completed);
    // PowerShell's own client: Command + Receive + Signal terminate.
    ASSERT_TRUE(runUntil([&] { return server->requestCount() - before >= 3; }));
    runUntil([] { return false; }, 100); // nothing else may follow
    EXPECT_EQ(server->requestCount() - before, 3);
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, ReportsEveryStream)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    s.run(u"Write-Error e1; Write-Warning w1; Write-Verbose v1; Write-Debug d1; Write-Information i1; "
          "Write-Progress p1; Write-Output o1"_s);
    QList<MessageType> types;
    for (const auto &r : std::as_const(s.records))
        types.append(r.first);
    for (MessageType t : {MessageType::ErrorRecord, MessageType::WarningRecord, MessageType::VerboseRecord,
                          MessageType::DebugRecord, MessageType::InformationRecord, MessageType::ProgressRecord})
        EXPECT_TRUE(types.contains(t)) << Psrp::messageTypeName(t).toStdString();
    EXPECT_EQ(s.outputStrings(), QStringList{u"o1"_s});
    for (const auto &r : std::as_const(s.records)) {
        if (r.first == MessageType::ErrorRecord) {
            EXPECT_EQ(std::get<Psrp::ErrorRecord>(r.second).message, u"e1"_s);
        }
    }
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, SendsPipelineInput)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    auto id = s.client->invokeScript(u"$input"_s, ScriptOptions{false, false, false});
    ASSERT_TRUE(id);
    ASSERT_TRUE(s.client->sendInput(id.value(), Psrp::Value(u"a"_s)));
    ASSERT_TRUE(s.client->sendInput(id.value(), Psrp::Value(qint32(7))));
    ASSERT_TRUE(s.client->endInput(id.value()));
    ASSERT_TRUE(runUntil([&] { return s.finished.contains(id.value()); }));
    EXPECT_EQ(s.finished.value(id.value()).state, PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"a"_s, u"7"_s}));
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, FailedPipelineCarriesItsErrorRecord)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    const QUuid pid = s.run(u"throw 'boom'"_s);
    ASSERT_TRUE(s.finished.contains(pid));
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Failed);
    ASSERT_TRUE(s.finished.value(pid).error.has_value());
    EXPECT_TRUE(s.finished.value(pid).error->message.contains(u"boom"_s));
    // The pool stays usable.
    const QUuid next = s.run(u"Write-Output after"_s);
    EXPECT_EQ(s.finished.value(next).state, PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"after"_s});
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, AnswersHostCalls)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    auto id = s.client->invokeScript(u"Read-Host 'Name'"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(id);
    ASSERT_TRUE(runUntil([&] {
        for (const auto &c : std::as_const(s.hostCalls))
            if (!c.second.isVoid())
                return true;
        return false;
    }));
    Psrp::HostCall call;
    for (const auto &c : std::as_const(s.hostCalls))
        if (!c.second.isVoid())
            call = c.second;
    EXPECT_EQ(call.methodId, Psrp::HostMethodId::ReadLine);
    ASSERT_TRUE(s.client->respondToHostCall(id.value(), Psrp::HostResponse::answer(call, Psrp::Value(u"Bob"_s))));
    ASSERT_TRUE(runUntil([&] { return s.finished.contains(id.value()); }));
    EXPECT_EQ(s.outputStrings(), QStringList{u"Bob"_s});
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, LongCommandSurvivesReceiveTimeouts)
{
    server.reset();
    ServerConfig config;
    config.maxOperationTimeoutMs = 300;
    server = startEndpoint(config);
    ASSERT_TRUE(server);
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    const QUuid pid = s.run(u"Start-Sleep -Milliseconds 1200; Write-Output done"_s);
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"done"_s});
    EXPECT_TRUE(s.failures.isEmpty());
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, StopsWithCrtlC)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    auto id = s.client->invokeScript(u"Write-Output started; Start-Sleep 60"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(id);
    ASSERT_TRUE(runUntil([&] { return !s.output.isEmpty(); }));
    ASSERT_TRUE(s.client->stop(id.value()));
    ASSERT_TRUE(runUntil([&] { return s.finished.contains(id.value()); }));
    EXPECT_EQ(s.finished.value(id.value()).state, PSInvocationState::Stopped);
    EXPECT_TRUE(s.pipelineErrors.isEmpty());
    const QUuid next = s.run(u"Write-Output again"_s);
    EXPECT_EQ(s.finished.value(next).state, PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, StopWithoutAnAnswerEndsAfterCancelTimeout)
{
    ClientOptions o = basicOptions(server->url());
    o.sessionOption.cancelTimeoutMs = 200;
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    auto id = s.client->invokeScript(u"Write-Output started; Start-Sleep 60"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(id);
    ASSERT_TRUE(runUntil([&] { return !s.output.isEmpty(); }));
    // Create, 2 shell Receives, Command, 2 pipeline Receives (the second outstanding); then the
    // crtl_c Signal gets a fault, so the server never stops the command.
    ASSERT_TRUE(runUntil([&] { return server->requestCount() >= 6; }));
    server->faults().faultCount = 1;
    server->faults().faultCode = FaultCode::InvalidParameter;
    ASSERT_TRUE(s.client->stop(id.value()));
    ASSERT_TRUE(runUntil([&] { return s.finished.contains(id.value()); }));
    EXPECT_EQ(s.finished.value(id.value()).state, PSInvocationState::Stopped);
    QList<ClientErrorKind> kinds;
    for (const auto &e : std::as_const(s.pipelineErrors))
        kinds.append(e.kind);
    EXPECT_TRUE(kinds.contains(ClientErrorKind::Fault));
    EXPECT_TRUE(kinds.contains(ClientErrorKind::CancelTimeout));
    EXPECT_TRUE(s.failures.isEmpty());
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, OpenTimeoutFailsTheOpen)
{
    ClientOptions o = basicOptions(server->url());
    o.sessionOption.openTimeoutMs = 100;
    server->faults().delayCount = 1;
    server->faults().delayMs = 3000;
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::OpenTimeout);
    EXPECT_TRUE(s.closed);
    // The endpoint made the shell before its answer was delayed: the best-effort Delete ended it.
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(ClientIntegration, InvokeBeforeOpenIsRefused)
{
    Session s(basicOptions(server->url()));
    auto id = s.client->invokeScript(u"1"_s);
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Psrp::ErrorCode::InvalidState);
}

TEST_F(ClientIntegration, OutStringFormattingOnTheServer)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    const QUuid pid = s.run(u"Write-Output formatted"_s, true);
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"formatted"_s});
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, TwoSessionsAtOnce)
{
    Session a(basicOptions(server->url()));
    Session b(basicOptions(server->url()));
    a.client->open();
    b.client->open();
    ASSERT_TRUE(runUntil([&] { return a.opened && b.opened; }));
    EXPECT_EQ(server->shellCount(), 2);
    EXPECT_NE(a.client->shellId(), b.client->shellId());
    auto ia = a.client->invokeScript(u"Start-Sleep -Milliseconds 200; Write-Output A"_s, ScriptOptions{false, true, false});
    auto ib = b.client->invokeScript(u"Write-Output B"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(ia && ib);
    ASSERT_TRUE(runUntil([&] { return a.finished.contains(ia.value()) && b.finished.contains(ib.value()); }));
    EXPECT_EQ(a.outputStrings(), QStringList{u"A"_s});
    EXPECT_EQ(b.outputStrings(), QStringList{u"B"_s});
    EXPECT_TRUE(a.close());
    EXPECT_TRUE(b.close());
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(ClientIntegration, BasicOverHttpRefusedWithoutNoEncryption)
{
    ClientOptions o = basicOptions(server->url());
    o.sessionOption.noEncryption = false;
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::Transport);
    ASSERT_TRUE(s.failures.first().transport.has_value());
    EXPECT_EQ(s.failures.first().transport->kind, TransportErrorKind::InsecureRefused);
    EXPECT_TRUE(s.closed);
    EXPECT_EQ(server->requestCount(), 0);
}

TEST_F(ClientIntegration, WrongPasswordIsAnAuthenticationError)
{
    Session s(basicOptions(server->url(), u"wrong"_s));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    ASSERT_TRUE(s.failures.first().transport.has_value());
    EXPECT_EQ(s.failures.first().transport->kind, TransportErrorKind::AuthenticationFailed);
    EXPECT_FALSE(s.failures.first().detail.contains(u"wrong"_s));
}

TEST_F(ClientIntegration, ConnectionRefusedIsTyped)
{
    const QUrl url = server->url();
    server.reset();
    Session s(basicOptions(url));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    ASSERT_TRUE(s.failures.first().transport.has_value());
    EXPECT_EQ(s.failures.first().transport->kind, TransportErrorKind::ConnectionRefused);
}

// ---- injected faults -----------------------------------------------------------------------

TEST_F(ClientIntegration, DroppedReceiveIsResent)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    server->faults().dropReceives = 2;
    const QUuid pid = s.run(u"Write-Output x"_s);
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"x"_s});
    EXPECT_TRUE(s.failures.isEmpty());
    EXPECT_EQ(server->faults().dropReceives, 0);
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, DelayedResponsesStillComplete)
{
    Session s(basicOptions(server->url()));
    server->faults().delayCount = 3;
    server->faults().delayMs = 100;
    ASSERT_TRUE(s.open());
    const QUuid pid = s.run(u"Write-Output late"_s);
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, FaultOnCreateIsTyped)
{
    server->faults().faultCount = 1;
    server->faults().faultCode = FaultCode::AccessDenied;
    Session s(basicOptions(server->url()));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    const ClientError &e = s.failures.first();
    EXPECT_EQ(e.kind, ClientErrorKind::Fault);
    EXPECT_EQ(e.action, Action::Create);
    ASSERT_TRUE(e.fault.has_value());
    EXPECT_EQ(e.fault->code, FaultCode::AccessDenied);
    EXPECT_EQ(e.fault->kind(), FaultKind::AccessDenied);
    EXPECT_FALSE(e.fault->machine.isEmpty());
    EXPECT_TRUE(s.closed);
}

TEST_F(ClientIntegration, FaultOnCommandFailsOnlyThatPipeline)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    // Create, Receive (answered), Receive (outstanding): the fault must hit the Command.
    ASSERT_TRUE(runUntil([&] { return server->requestCount() >= 3; }));
    server->faults().faultCount = 1;
    server->faults().faultCode = FaultCode::QuotaExceeded;
    const QUuid pid = s.run(u"Write-Output x"_s);
    ASSERT_TRUE(s.finished.contains(pid));
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Failed);
    ASSERT_EQ(s.pipelineErrors.size(), 1);
    ASSERT_TRUE(s.pipelineErrors.first().fault.has_value());
    EXPECT_EQ(s.pipelineErrors.first().fault->code, FaultCode::QuotaExceeded);
    EXPECT_TRUE(s.failures.isEmpty());
    const QUuid next = s.run(u"Write-Output y"_s);
    EXPECT_EQ(s.finished.value(next).state, PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, ForgottenShellBreaksThePool)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    ClientOptions o = basicOptions(server->url());
    o.tracePath = dir.filePath(u"trace.jsonl"_s);
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    server->forgetShell();
    auto id = s.client->invokeScript(u"Write-Output x"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(id);
    ASSERT_TRUE(runUntil([&] { return s.closed; }));
    // The server forgot the shell: no Delete follows the failure (the trace has every request
    // that got an answer, and a Delete would be answered before closed()).
    EXPECT_FALSE(readAll(dir.filePath(u"trace.jsonl"_s)).contains("transfer/Delete"));
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::ShellNotFound);
    ASSERT_TRUE(s.failures.first().fault.has_value());
    EXPECT_EQ(s.failures.first().fault->code, FaultCode::ShellNotFound);
    EXPECT_NE(s.client->state(), Psrp::RunspacePoolState::Opened);
}

TEST_F(ClientIntegration, RedirectRefusedWithoutAllowRedirection)
{
    server->faults().redirectCount = 1;
    server->faults().redirectLocation = server->url().toString();
    Session s(basicOptions(server->url()));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::RedirectNotAllowed);
    EXPECT_TRUE(s.failures.first().detail.contains(u"AllowRedirection"_s));
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(ClientIntegration, RedirectFollowedWithAllowRedirection)
{
    auto second = startEndpoint();
    ASSERT_TRUE(second);
    server->faults().redirectCount = 1;
    server->faults().redirectLocation = second->url().toString();
    ClientOptions o = basicOptions(server->url());
    o.connection.allowRedirection = true;
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    EXPECT_EQ(s.client->currentUrl(), second->url());
    EXPECT_EQ(second->shellCount(), 1);
    EXPECT_EQ(server->shellCount(), 0);
    const QUuid pid = s.run(u"Write-Output moved"_s);
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, RedirectLimitIsEnforced)
{
    server->faults().redirectCount = 5;
    server->faults().redirectLocation = server->url().toString();
    ClientOptions o = basicOptions(server->url());
    o.connection.allowRedirection = true;
    o.sessionOption.maximumConnectionRedirectionCount = 2;
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::TooManyRedirects);
}

TEST_F(ClientIntegration, RedirectOnALaterRequestIsRefusedEvenWithAllowRedirection)
{
    auto second = startEndpoint();
    ASSERT_TRUE(second);
    ClientOptions o = basicOptions(server->url());
    o.connection.allowRedirection = true;
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    // Create, Receive (answered), Receive (outstanding): the 302 hits the Command.
    ASSERT_TRUE(runUntil([&] { return server->requestCount() >= 3; }));
    server->faults().redirectCount = 1;
    server->faults().redirectLocation = second->url().toString();
    auto id = s.client->invokeScript(u"Write-Output x"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(id);
    ASSERT_TRUE(runUntil([&] { return s.closed; }));
    ASSERT_EQ(s.failures.size(), 1);
    const ClientError &e = s.failures.first();
    EXPECT_EQ(e.kind, ClientErrorKind::RedirectNotAllowed);
    EXPECT_EQ(e.action, Action::Command);
    ASSERT_TRUE(e.transport.has_value());
    EXPECT_EQ(e.transport->kind, TransportErrorKind::Redirect);
    EXPECT_EQ(e.transport->location, second->url());
    EXPECT_TRUE(e.detail.contains(u"redirected Command"_s)) << e.detail.toStdString();
    EXPECT_EQ(s.client->currentUrl(), server->url());
    EXPECT_EQ(second->requestCount(), 0);
}

// ---- failure cleanup -----------------------------------------------------------------------

TEST_F(ClientIntegration, FailedPoolDeletesItsShell)
{
    server.reset();
    ServerConfig config;
    config.maxOperationTimeoutMs = 300;
    server = startEndpoint(config);
    ASSERT_TRUE(server);
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    ClientOptions o = basicOptions(server->url());
    o.tracePath = dir.filePath(u"trace.jsonl"_s);
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    ASSERT_EQ(server->shellCount(), 1);
    // A UI that closes on failed() does not cut the Delete short.
    QObject::connect(s.client.get(), &RunspacePoolClient::failed, s.client.get(), [&] { s.client->close(); });
    // The outstanding shell Receive times out on the server; the one that replaces it gets a fault.
    ASSERT_TRUE(runUntil([&] { return server->requestCount() >= 3; }));
    server->faults().faultCount = 1;
    server->faults().faultCode = FaultCode::InvalidParameter;
    ASSERT_TRUE(runUntil([&] { return s.closed; }));
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::Fault);
    EXPECT_EQ(s.failures.first().action, Action::Receive);
    EXPECT_EQ(server->shellCount(), 0);
    EXPECT_TRUE(readAll(dir.filePath(u"trace.jsonl"_s)).contains("transfer/Delete"));
}

TEST_F(ClientIntegration, UnansweredDeleteAfterAFailureStillCloses)
{
    server.reset();
    ServerConfig config;
    config.maxOperationTimeoutMs = 300;
    server = startEndpoint(config);
    ASSERT_TRUE(server);
    ClientOptions o = basicOptions(server->url());
    o.failureDeleteTimeoutMs = 200;
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    ASSERT_TRUE(runUntil([&] { return server->requestCount() >= 3; }));
    // The Delete that follows the failure is received but never answered (within the test).
    QObject::connect(s.client.get(), &RunspacePoolClient::failed, [&] {
        server->faults().delayCount = 1;
        server->faults().delayMs = 60000;
    });
    server->faults().faultCount = 1;
    server->faults().faultCode = FaultCode::InvalidParameter;
    ASSERT_TRUE(runUntil([&] { return s.closed; }));
    ASSERT_EQ(s.failures.size(), 1);
    EXPECT_EQ(s.failures.first().kind, ClientErrorKind::Fault);
    EXPECT_EQ(server->shellCount(), 0); // the Delete arrived
}

// ---- limits --------------------------------------------------------------------------------

TEST_F(ClientIntegration, DataSizePerCommandStopsThePipeline)
{
    ClientOptions o = basicOptions(server->url());
    o.sessionOption.maximumReceivedDataSizePerCommand = 4000;
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    const QUuid pid = s.run(u"1..2000"_s);
    ASSERT_TRUE(s.finished.contains(pid));
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Failed);
    ASSERT_FALSE(s.pipelineErrors.isEmpty());
    EXPECT_EQ(s.pipelineErrors.first().kind, ClientErrorKind::DataSizeExceeded);
    EXPECT_LT(s.output.size(), 2000);
    const QUuid next = s.run(u"Write-Output small"_s);
    EXPECT_EQ(s.finished.value(next).state, PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, ObjectSizeLimitRefusesALargeObject)
{
    ClientOptions o = basicOptions(server->url());
    o.sessionOption.maximumReceivedObjectSize = 8000;
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    const QUuid pid = s.run(u"Write-Output "_s + QString(20000, u'x'));
    ASSERT_TRUE(s.finished.contains(pid));
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Failed);
    ASSERT_FALSE(s.pipelineErrors.isEmpty());
    EXPECT_EQ(s.pipelineErrors.first().kind, ClientErrorKind::ObjectSizeExceeded);
    EXPECT_TRUE(s.output.isEmpty());
    EXPECT_TRUE(s.close());
}

// ---- TLS -----------------------------------------------------------------------------------

class ClientTls : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        QString diagnostics;
        s_pki = TestSupport::TestPki::generate(&diagnostics);
        if (!s_pki)
            s_why = diagnostics;
    }
    static void TearDownTestSuite() { s_pki.reset(); }
    std::unique_ptr<LoopbackServer> httpsServer(bool wrongName = false)
    {
        ServerConfig config;
        config.https = true;
        config.certificate = wrongName ? s_pki->wrongNameServer : s_pki->server;
        config.privateKey = wrongName ? s_pki->wrongNameKey : s_pki->serverKey;
        return startEndpoint(config);
    }
    ClientOptions httpsOptions(const LoopbackServer &srv)
    {
        ClientOptions o = basicOptions(srv.url());
        o.sessionOption.noEncryption = false;
        return o;
    }
    static inline std::optional<TestSupport::TestPki> s_pki;
    static inline QString s_why;
};

TEST_F(ClientTls, VerifiesWithTheTestCa)
{
    if (!s_pki)
        GTEST_SKIP() << "openssl unavailable: " << s_why.toStdString();
    auto srv = httpsServer();
    ASSERT_TRUE(srv);
    ClientOptions o = httpsOptions(*srv);
    o.extraCaCertificates = {s_pki->ca};
    Session s(std::move(o));
    ASSERT_TRUE(s.open()) << (s.failures.isEmpty() ? "" : s.failures.first().detail.toStdString());
    const QUuid pid = s.run(u"Write-Output tls"_s);
    EXPECT_EQ(s.finished.value(pid).state, PSInvocationState::Completed);
    EXPECT_TRUE(s.close());
}

TEST_F(ClientTls, FailsOnAnUnknownCa)
{
    if (!s_pki)
        GTEST_SKIP() << "openssl unavailable: " << s_why.toStdString();
    auto srv = httpsServer();
    ASSERT_TRUE(srv);
    ClientOptions o = httpsOptions(*srv);
    o.extraCaCertificates = {s_pki->otherCa};
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    ASSERT_TRUE(s.failures.first().transport.has_value());
    EXPECT_EQ(s.failures.first().transport->kind, TransportErrorKind::Tls);
    EXPECT_EQ(srv->shellCount(), 0);
}

TEST_F(ClientTls, FailsOnAWrongName)
{
    if (!s_pki)
        GTEST_SKIP() << "openssl unavailable: " << s_why.toStdString();
    auto srv = httpsServer(true);
    ASSERT_TRUE(srv);
    ClientOptions o = httpsOptions(*srv);
    o.extraCaCertificates = {s_pki->ca};
    Session s(std::move(o));
    EXPECT_FALSE(s.open());
    ASSERT_EQ(s.failures.size(), 1);
    ASSERT_TRUE(s.failures.first().transport.has_value());
    EXPECT_EQ(s.failures.first().transport->kind, TransportErrorKind::Tls);
}

TEST_F(ClientTls, SkipOptionsAcceptAnUntrustedWrongNameCertificate)
{
    if (!s_pki)
        GTEST_SKIP() << "openssl unavailable: " << s_why.toStdString();
    auto srv = httpsServer(true);
    ASSERT_TRUE(srv);
    ClientOptions o = httpsOptions(*srv);
    o.sessionOption.skipCACheck = true;
    o.sessionOption.skipCNCheck = true;
    Session s(std::move(o));
    ASSERT_TRUE(s.open()) << (s.failures.isEmpty() ? "" : s.failures.first().detail.toStdString());
    EXPECT_TRUE(s.close());
}

TEST_F(ClientIntegration, CloseWhileAPipelineRunsDeletesTheShell)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open());
    auto id = s.client->invokeScript(u"Write-Output started; Start-Sleep 60"_s, ScriptOptions{false, true, false});
    ASSERT_TRUE(id);
    ASSERT_TRUE(runUntil([&] { return !s.output.isEmpty(); }));
    ASSERT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty());
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(ClientIntegration, InjectedIdsAndSessionOptionsReachTheWire)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath(u"trace.jsonl"_s);
    ClientOptions o = basicOptions(server->url());
    o.tracePath = path;
    o.sessionOption.uiCulture = u"de-DE"_s;
    o.sessionOption.culture = u"fr-FR"_s;
    o.sessionOption.noMachineProfile = true;
    o.sessionOption.idleTimeoutMs = 600000;
    auto counter = std::make_shared<int>(0);
    o.idGenerator = [counter] {
        ++*counter;
        return QUuid(0x11111111u, 0x2222, 0x3333, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, quint8(*counter));
    };
    Session s(std::move(o));
    ASSERT_TRUE(s.open());
    // The first id is the SessionId, the second the RunspacePool (shell) id.
    EXPECT_EQ(s.client->sessionId(), QUuid(0x11111111u, 0x2222, 0x3333, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 1));
    EXPECT_EQ(s.client->shellId(), QUuid(0x11111111u, 0x2222, 0x3333, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 2));
    ASSERT_TRUE(s.close());
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray trace = file.readAll();
    EXPECT_TRUE(trace.contains("WINRS_NOPROFILE"));
    EXPECT_TRUE(trace.contains("PT600S"));
    EXPECT_TRUE(trace.contains("de-DE"));
    EXPECT_TRUE(trace.contains("fr-FR"));
    EXPECT_TRUE(trace.contains("11111111-2222-3333-4455-66778899AA01"));
    EXPECT_TRUE(trace.contains("11111111-2222-3333-4455-66778899AA02"));
}

// ---- trace ---------------------------------------------------------------------------------

TEST_F(ClientIntegration, WritesADecodableTraceWithMode0600)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath(u"trace.jsonl"_s);
    ClientOptions o = basicOptions(server->url());
    o.tracePath = path;
    {
        Session s(std::move(o));
        ASSERT_TRUE(s.open());
        s.run(u"Write-Output traced"_s);
        ASSERT_TRUE(s.close());
    }
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    EXPECT_EQ(file.permissions() & (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ReadOther
                                    | QFileDevice::WriteOther),
              QFileDevice::Permissions());
    QStringList actions;
    QList<MessageType> types;
    TraceDecoder decoder([&](const TraceMessage &m) {
        actions.append(m.action);
        types.append(m.message.type);
    });
    const QByteArray content = file.readAll();
    EXPECT_FALSE(content.contains("s3cret"));
    EXPECT_FALSE(content.contains(QByteArray("alice:s3cret").toBase64()));
    qint64 line = 0;
    for (const QByteArray &raw : content.split('\n')) {
        const QByteArray l = raw.trimmed();
        if (l.isEmpty())
            continue;
        const auto problem = decoder.feedLine(l, ++line);
        EXPECT_FALSE(problem.has_value()) << problem.value_or(QString()).toStdString();
    }
    EXPECT_GE(line, 8);
    EXPECT_TRUE(types.contains(MessageType::InitRunspacePool));
    EXPECT_TRUE(types.contains(MessageType::CreatePipeline));
    EXPECT_TRUE(types.contains(MessageType::PipelineOutput));
    EXPECT_TRUE(types.contains(MessageType::PipelineState));
    EXPECT_TRUE(actions.contains(u"Command"_s));
    EXPECT_TRUE(actions.contains(u"Receive"_s));
}

} // namespace
