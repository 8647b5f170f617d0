// Wsman::RunspacePoolClient end to end over real loopback sockets against REAL PowerShell: the
// loopback endpoint's pwsh engine relays to System.Management.Automation's PSRP server (the host
// built by tests/server/pwsh-host/build.sh, found through env PSREMOTE_PWSH_HOST). Skipped with a
// message without that host. The runspace has only Microsoft.PowerShell.Core, so the scripts use
// language features, $Host.UI and .NET. Each test opens one real pool (a .NET process) at most,
// except TwoPoolsAtOnce.
#include "ClientHarness.h"
#include "LoopbackServer.h"
#include "PwshProcess.h"

#include "psrp/Payloads.h"
#include "wsman/RunspacePoolClient.h"

#include <QEventLoop>
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

#define REQUIRE_PWSH_HOST()                                                                        \
    do {                                                                                           \
        if (!PwshProcess::isAvailable())                                                           \
            GTEST_SKIP() << "real PowerShell is unavailable: set PSREMOTE_PWSH_HOST to the host "  \
                            "built by tests/server/pwsh-host/build.sh";                            \
    } while (false)

std::unique_ptr<LoopbackServer> startPwshServer()
{
    ServerConfig config;
    config.engine = EngineKind::Pwsh;
    return startEndpoint(std::move(config));
}

class PwshIntegration : public ::testing::Test {
protected:
    void SetUp() override
    {
        REQUIRE_PWSH_HOST();
        server = startPwshServer();
        ASSERT_TRUE(server);
    }
    std::unique_ptr<LoopbackServer> server;
};

const Psrp::Value *member(const Psrp::Value &value, QStringView name)
{
    const Psrp::PsObject *o = value.object();
    return o ? o->property(name) : nullptr;
}

TEST_F(PwshIntegration, OpensAndClosesAgainstPowerShell769)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    EXPECT_EQ(s.client->state(), Psrp::RunspacePoolState::Opened);
    EXPECT_EQ(server->shellCount(), 1);
    EXPECT_EQ(s.client->serverProtocolVersion(), QVersionNumber(2, 3));
    EXPECT_EQ(s.client->maxEnvelopeSize(), 512000);
    // MS-PSRP 2.2.2.14: the PSVersionTable in APPLICATION_PRIVATE_DATA names the real engine.
    const Psrp::ApplicationPrivateData data{s.client->pool().applicationPrivateData()};
    const Psrp::Value *table = data.psVersionTable();
    ASSERT_NE(table, nullptr);
    ASSERT_NE(table->object(), nullptr);
    const Psrp::Value *psVersion = table->object()->entry(u"PSVersion");
    ASSERT_NE(psVersion, nullptr);
    EXPECT_EQ(psVersion->toString().value_or(QString()), u"7.6.9"_s);
    const Psrp::Value *remoting = table->object()->entry(u"PSRemotingProtocolVersion");
    ASSERT_NE(remoting, nullptr);
    EXPECT_EQ(remoting->toString().value_or(QString()), u"2.3"_s);
    const Psrp::Value *edition = table->object()->entry(u"PSEdition");
    ASSERT_NE(edition, nullptr);
    EXPECT_EQ(edition->toString().value_or(QString()), u"Core"_s);
    QList<MessageType> poolTypes;
    for (const auto &m : std::as_const(s.poolMessages))
        poolTypes.append(m.first);
    EXPECT_EQ(poolTypes, QList<MessageType>{MessageType::ApplicationPrivateData});

    ASSERT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_EQ(s.client->state(), Psrp::RunspacePoolState::Closed);
    EXPECT_TRUE(s.states.contains(Psrp::RunspacePoolState::Opened));
    EXPECT_TRUE(s.states.contains(Psrp::RunspacePoolState::Closing));
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(PwshIntegration, OutputObjectsKeepTheirTypes)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.run(u"42; 'text'; [pscustomobject]@{ Name = 'n1'; Count = 3 }; @{ key = 'v' }; $true; 1.5"_s);
    ASSERT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    ASSERT_EQ(s.output.size(), 6);
    EXPECT_EQ(s.output[0].kind(), Psrp::Value::Kind::Int32);
    EXPECT_EQ(s.output[0].toInteger(), 42);
    EXPECT_EQ(s.output[1].kind(), Psrp::Value::Kind::String);
    EXPECT_EQ(s.output[1].toString(), u"text"_s);

    ASSERT_TRUE(s.output[2].isObject());
    EXPECT_TRUE(s.output[2].object()->typeNames.contains(u"System.Management.Automation.PSCustomObject"_s))
        << s.output[2].object()->typeNames.join(u',').toStdString();
    const Psrp::Value *name = member(s.output[2], u"Name");
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(name->toString(), u"n1"_s);
    const Psrp::Value *count = member(s.output[2], u"Count");
    ASSERT_NE(count, nullptr);
    EXPECT_EQ(count->kind(), Psrp::Value::Kind::Int32);
    EXPECT_EQ(count->toInteger(), 3);

    ASSERT_TRUE(s.output[3].isObject());
    EXPECT_EQ(s.output[3].object()->container, Psrp::PsObject::Container::Dictionary);
    EXPECT_TRUE(s.output[3].object()->typeNames.contains(u"System.Collections.Hashtable"_s));
    const Psrp::Value *entry = s.output[3].object()->entry(u"key");
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->toString(), u"v"_s);

    EXPECT_EQ(s.output[4].kind(), Psrp::Value::Kind::Boolean);
    EXPECT_EQ(s.output[4].toBool(), true);
    EXPECT_EQ(s.output[5].kind(), Psrp::Value::Kind::Double);
    ASSERT_NE(s.output[5].get<double>(), nullptr);
    EXPECT_EQ(*s.output[5].get<double>(), 1.5);

    // MS-PSRP 2.2.5.1: primitive kinds as the real serializer writes them.
    s.output.clear();
    const QUuid prims = s.run(u"[datetime]::new(2024, 1, 2, 3, 4, 5, [DateTimeKind]::Utc); [timespan]::FromSeconds(90); "
                              "[guid]'6f1e2c8a-4b5d-4e2f-9a1b-1c2d3e4f5a6b'; [char]'x'; [long]5; [decimal]1.25; "
                              "[version]'1.2.3'; [ConsoleColor]::Red"_s);
    ASSERT_EQ(s.stateOf(prims), PSInvocationState::Completed);
    ASSERT_EQ(s.output.size(), 8);
    using K = Psrp::Value::Kind;
    QList<K> kinds;
    for (const auto &v : std::as_const(s.output))
        kinds.append(v.kind());
    EXPECT_EQ(kinds, (QList<K>{K::DateTime, K::Duration, K::Guid, K::Char, K::Int64, K::Decimal, K::Version, K::Object}));
    ASSERT_NE(s.output[0].get<Psrp::DateTime>(), nullptr);
    EXPECT_EQ(s.output[0].get<Psrp::DateTime>()->kind, Psrp::DateTime::Kind::Utc);
    EXPECT_EQ(s.output[0].get<Psrp::DateTime>()->ticks, 638397614450000000LL);
    ASSERT_NE(s.output[1].get<Psrp::Duration>(), nullptr);
    EXPECT_EQ(s.output[1].get<Psrp::Duration>()->ticks, 900000000LL);
    EXPECT_EQ(*s.output[2].get<QUuid>(), QUuid(u"6f1e2c8a-4b5d-4e2f-9a1b-1c2d3e4f5a6b"_s));
    EXPECT_EQ(s.output[3].get<Psrp::Char>()->value, u'x');
    EXPECT_EQ(s.output[4].toInteger(), 5);
    EXPECT_EQ(s.output[6].toString(), u"1.2.3"_s);
    EXPECT_EQ(s.output[7].toInteger(), 12); // an enum: its base value
    EXPECT_TRUE(s.output[7].object()->typeNames.contains(u"System.ConsoleColor"_s));

    // Characters XML cannot carry (NUL, U+0001) travel _xHHHH_-escaped, a literal "_x0041_"
    // escaped again; surrogate pairs and markup characters survive.
    s.output.clear();
    const QUuid text = s.run(u"\"a$([char]0)b$([char]1)c_x0041_d$([char]::ConvertFromUtf32(0x1F600))e`r`nf`tg<>&`\"'\""_s);
    ASSERT_EQ(s.stateOf(text), PSInvocationState::Completed);
    ASSERT_EQ(s.output.size(), 1);
    EXPECT_EQ(s.output.first().toString(), u"a\u0000b\u0001c_x0041_d\U0001F600e\r\nf\tg<>&\"'"_s);

    // Many small objects stream in order.
    s.output.clear();
    const QUuid many = s.run(u"1..20000"_s);
    ASSERT_EQ(s.stateOf(many), PSInvocationState::Completed);
    ASSERT_EQ(s.output.size(), 20000);
    bool inOrder = true;
    for (qsizetype i = 0; i < s.output.size(); ++i)
        inOrder = inOrder && s.output[i].toInteger() == i + 1;
    EXPECT_TRUE(inOrder);
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, ErrorStreamAndFailedPipelineCarryTheServersRecords)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    // A non-terminating error: the pipeline goes on and completes.
    const QUuid pid = s.run(u"Get-Command nonexistent-psremote; 'after'"_s);
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"after"_s});
    ASSERT_EQ(s.recordTypes(), QList<MessageType>{MessageType::ErrorRecord});
    const auto &error = std::get<Psrp::ErrorRecord>(s.records.first().second);
    EXPECT_TRUE(error.message.contains(u"'nonexistent-psremote' is not recognized"_s)) << error.message.toStdString();
    EXPECT_EQ(error.fullyQualifiedErrorId,
              u"CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand"_s);
    EXPECT_EQ(error.exceptionType, u"System.Management.Automation.CommandNotFoundException"_s);
    EXPECT_EQ(error.categoryMessage,
              u"ObjectNotFound: (nonexistent-psremote:String) [Get-Command], CommandNotFoundException"_s);

    // A terminating error: the pipeline fails with the server's ErrorRecord; the pool stays usable.
    const QUuid failed = s.run(u"'before'; throw 'boom from pwsh'"_s);
    ASSERT_TRUE(s.finished.contains(failed));
    EXPECT_EQ(s.stateOf(failed), PSInvocationState::Failed);
    const auto &reason = s.finished.value(failed).error;
    ASSERT_TRUE(reason.has_value());
    EXPECT_EQ(reason->message, u"boom from pwsh"_s);
    EXPECT_EQ(reason->fullyQualifiedErrorId, u"boom from pwsh"_s);
    EXPECT_EQ(reason->exceptionType, u"System.Management.Automation.RuntimeException"_s);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"after"_s, u"before"_s}));
    EXPECT_TRUE(s.pipelineErrors.isEmpty());

    // Without a client host (HostInfo::noHost) a prompt fails on the server; no host call is sent.
    const QUuid prompt = s.run(u"$Host.UI.ReadLine()"_s);
    EXPECT_EQ(s.stateOf(prompt), PSInvocationState::Failed);
    ASSERT_TRUE(s.finished.value(prompt).error.has_value());
    EXPECT_TRUE(s.finished.value(prompt).error->message.contains(u"does not support user interaction"_s))
        << s.finished.value(prompt).error->message.toStdString();
    EXPECT_TRUE(s.hostCalls.isEmpty());

    const QUuid next = s.run(u"6 * 7"_s);
    EXPECT_EQ(s.stateOf(next), PSInvocationState::Completed);
    EXPECT_EQ(s.output.last().toInteger(), 42);
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, WarningVerboseAndDebugRecords)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.run(u"function f { [CmdletBinding()] param() $PSCmdlet.WriteWarning('w1'); "
                            "$PSCmdlet.WriteVerbose('v1'); $PSCmdlet.WriteDebug('d1') }; "
                            "$VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; f; 'done'"_s);
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"done"_s});
    EXPECT_EQ(s.recordTypes(), (QList<MessageType>{MessageType::WarningRecord, MessageType::VerboseRecord,
                                                   MessageType::DebugRecord}));
    EXPECT_EQ(s.informationalText(MessageType::WarningRecord), u"w1"_s);
    EXPECT_EQ(s.informationalText(MessageType::VerboseRecord), u"v1"_s);
    EXPECT_EQ(s.informationalText(MessageType::DebugRecord), u"d1"_s);

    // $Host.UI.Write*Line: records too; without a client host no host call accompanies them.
    s.records.clear();
    const QUuid ui = s.run(u"$Host.UI.WriteWarningLine('w2'); $Host.UI.WriteVerboseLine('v2'); $Host.UI.WriteDebugLine('d2')"_s);
    EXPECT_EQ(s.stateOf(ui), PSInvocationState::Completed);
    EXPECT_EQ(s.recordTypes(), (QList<MessageType>{MessageType::WarningRecord, MessageType::VerboseRecord,
                                                   MessageType::DebugRecord}));
    EXPECT_EQ(s.informationalText(MessageType::WarningRecord), u"w2"_s);
    EXPECT_EQ(s.informationalText(MessageType::DebugRecord), u"d2"_s);
    EXPECT_TRUE(s.hostCalls.isEmpty());

    // MS-PSRP 2.2.2.24: $Host.UI.WriteProgress reaches the client as a PROGRESS_RECORD.
    s.records.clear();
    const QUuid progress = s.run(u"$r = [System.Management.Automation.ProgressRecord]::new(7, 'act', 'stat'); "
                                 "$r.PercentComplete = 40; $Host.UI.WriteProgress(1, $r)"_s);
    EXPECT_EQ(s.stateOf(progress), PSInvocationState::Completed);
    ASSERT_EQ(s.recordTypes(), QList<MessageType>{MessageType::ProgressRecord});
    const auto &record = std::get<Psrp::ProgressRecord>(s.records.first().second);
    EXPECT_EQ(record.activity, u"act"_s);
    EXPECT_EQ(record.activityId, 7);
    EXPECT_EQ(record.statusDescription, u"stat"_s);
    EXPECT_EQ(record.percentComplete, 40);
    EXPECT_EQ(record.type, Psrp::ProgressRecordType::Processing);
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, PipelineInputThroughSendInputAndEndInput)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.start(u"$input | ForEach-Object { $_ * 2 }"_s, false);
    ASSERT_FALSE(pid.isNull());
    for (qint32 i = 1; i <= 3; ++i)
        ASSERT_TRUE(s.client->sendInput(pid, Psrp::Value(i)));
    ASSERT_TRUE(s.client->sendInput(pid, Psrp::Value(u"ab"_s)));
    ASSERT_TRUE(s.client->endInput(pid));
    ASSERT_TRUE(s.waitFinished(pid));
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"2"_s, u"4"_s, u"6"_s, u"abab"_s}));

    // An input larger than one envelope (3 MB of UTF-16) goes out in several fragments; an
    // awkward string comes back unchanged.
    s.output.clear();
    const QString awkward = u"a\u0000b\u0001c_x0041_d\U0001F600e\r\nf\tg<>&\"' "_s;
    const QUuid sized = s.start(u"$input | ForEach-Object { $_.Length; $_ }"_s, false);
    ASSERT_TRUE(s.client->sendInput(sized, Psrp::Value(QString(1500000, u'y'))));
    ASSERT_TRUE(s.client->sendInput(sized, Psrp::Value(awkward)));
    ASSERT_TRUE(s.client->endInput(sized));
    ASSERT_TRUE(s.waitFinished(sized));
    EXPECT_EQ(s.stateOf(sized), PSInvocationState::Completed);
    ASSERT_EQ(s.output.size(), 4);
    EXPECT_EQ(s.output[0].toInteger(), 1500000);
    EXPECT_EQ(s.output[1].toString().value_or(QString()).size(), 1500000);
    EXPECT_EQ(s.output[2].toInteger(), awkward.size());
    EXPECT_EQ(s.output[3].toString(), awkward);
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, LongCommandSurvivesReceiveTimeouts)
{
    ClientOptions o = basicOptions(server->url());
    o.sessionOption.operationTimeoutMs = 1000;
    Session s(std::move(o));
    ASSERT_TRUE(s.open()) << s.why();
    const qsizetype before = server->requestCount();
    const QUuid pid = s.start(u"'first'; [Threading.Thread]::Sleep(3500); 'done'"_s);
    ASSERT_TRUE(s.waitFinished(pid, 20000));
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"first"_s, u"done"_s}));
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.pipelineErrors.isEmpty());
    // Command + at least three pipeline Receives that timed out on the server + the last one.
    EXPECT_GE(server->requestCount() - before, 5);
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, CrtlCStopsAnEndlessLoopAndThePoolStaysUsable)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.start(u"'started'; while ($true) {}"_s);
    ASSERT_FALSE(pid.isNull());
    ASSERT_TRUE(runUntil([&] { return !s.output.isEmpty(); }));
    ASSERT_TRUE(s.client->stop(pid));
    ASSERT_TRUE(s.waitFinished(pid));
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Stopped);
    EXPECT_TRUE(s.pipelineErrors.isEmpty());
    const QUuid next = s.run(u"'again'"_s);
    EXPECT_EQ(s.stateOf(next), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"started"_s, u"again"_s}));

    // A stop sent right after the Command, before the loop produced anything.
    const QUuid early = s.start(u"while ($true) {}"_s);
    ASSERT_TRUE(s.client->stop(early));
    ASSERT_TRUE(s.waitFinished(early));
    EXPECT_EQ(s.stateOf(early), PSInvocationState::Stopped);
    EXPECT_TRUE(s.pipelineErrors.isEmpty());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, ConsoleHostCallsAreAnsweredThroughRespondToHostCall)
{
    ClientOptions o = basicOptions(server->url());
    o.hostInfo = Psrp::HostInfo::console(120, 50);
    Session s(std::move(o));
    ASSERT_TRUE(s.open()) << s.why();

    // MS-PSRP 2.2.2.29: with a client host, $Host.UI.Write*Line sends the record AND a void
    // PIPELINE_HOST_CALL; RawUI getters are answered by the server from HostDefaultData.
    // WriteErrorLine is a host call only, no record.
    const QUuid writes = s.run(u"$Host.UI.WriteWarningLine('w'); $Host.UI.WriteVerboseLine('v'); "
                               "$Host.UI.WriteDebugLine('d'); $Host.UI.WriteErrorLine('e'); $Host.UI.RawUI.WindowSize.Width"_s);
    EXPECT_EQ(s.stateOf(writes), PSInvocationState::Completed);
    EXPECT_EQ(s.recordTypes(), (QList<MessageType>{MessageType::WarningRecord, MessageType::VerboseRecord,
                                                   MessageType::DebugRecord}));
    EXPECT_EQ(s.outputStrings(), QStringList{u"120"_s});
    QList<Psrp::HostMethodId> methods;
    for (const auto &c : std::as_const(s.hostCalls)) {
        methods.append(c.second.methodId);
        EXPECT_TRUE(c.second.isVoid());
        EXPECT_EQ(c.first, writes);
    }
    EXPECT_EQ(methods, (QList<Psrp::HostMethodId>{Psrp::HostMethodId::WriteWarningLine, Psrp::HostMethodId::WriteVerboseLine,
                                                  Psrp::HostMethodId::WriteDebugLine, Psrp::HostMethodId::WriteErrorLine}));
    ASSERT_FALSE(s.hostCalls.isEmpty());
    const auto text = Psrp::writeParams(s.hostCalls.first().second);
    ASSERT_TRUE(text);
    EXPECT_EQ(text.value().text, u"w"_s);

    // ReadLine: the answer comes back as the script's output.
    s.hostCalls.clear();
    s.output.clear();
    const QUuid pid = s.start(u"$answer = $Host.UI.ReadLine(); \"got $answer\""_s);
    ASSERT_FALSE(pid.isNull());
    ASSERT_TRUE(runUntil([&] { return !s.hostCalls.isEmpty() || s.finished.contains(pid); }));
    ASSERT_EQ(s.hostCalls.size(), 1) << "state " << int(s.stateOf(pid));
    const auto call = s.hostCalls.first();
    EXPECT_EQ(call.first, pid); // a PIPELINE_HOST_CALL
    EXPECT_EQ(call.second.methodId, Psrp::HostMethodId::ReadLine);
    EXPECT_FALSE(call.second.isVoid());
    ASSERT_TRUE(s.client->respondToHostCall(call.first, Psrp::HostResponse::answer(call.second, Psrp::Value(u"Bob"_s))));
    ASSERT_TRUE(s.waitFinished(pid));
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"got Bob"_s});

    // PromptForChoice: typed parameters, an Int32 answer.
    s.hostCalls.clear();
    s.output.clear();
    const QUuid choice = s.start(u"$c = [System.Management.Automation.Host.ChoiceDescription[]]@('&Yes', '&No'); "
                                 "$Host.UI.PromptForChoice('Caption', 'Proceed?', $c, 0)"_s);
    ASSERT_TRUE(runUntil([&] { return !s.hostCalls.isEmpty() || s.finished.contains(choice); }));
    ASSERT_EQ(s.hostCalls.size(), 1);
    const Psrp::HostCall &prompt = s.hostCalls.first().second;
    EXPECT_EQ(prompt.methodId, Psrp::HostMethodId::PromptForChoice);
    const auto params = Psrp::promptForChoiceParams(prompt);
    ASSERT_TRUE(params) << params.error().detail.toStdString();
    EXPECT_EQ(params.value().caption, u"Caption"_s);
    EXPECT_EQ(params.value().message, u"Proceed?"_s);
    ASSERT_EQ(params.value().choices.size(), 2);
    EXPECT_EQ(params.value().choices[1].label, u"&No"_s);
    EXPECT_EQ(params.value().defaultChoices, QList<qint32>{0});
    ASSERT_TRUE(s.client->respondToHostCall(choice, Psrp::HostResponse::answer(prompt, Psrp::Value(qint32(1)))));
    ASSERT_TRUE(s.waitFinished(choice));
    EXPECT_EQ(s.stateOf(choice), PSInvocationState::Completed);
    ASSERT_EQ(s.output.size(), 1);
    EXPECT_EQ(s.output.first().toInteger(), 1);

    // A stop while a host call waits for its answer ends the pipeline Stopped.
    s.hostCalls.clear();
    const QUuid waiting = s.start(u"$Host.UI.ReadLine()"_s);
    ASSERT_TRUE(runUntil([&] { return !s.hostCalls.isEmpty() || s.finished.contains(waiting); }));
    ASSERT_TRUE(s.client->stop(waiting));
    ASSERT_TRUE(s.waitFinished(waiting));
    EXPECT_EQ(s.stateOf(waiting), PSInvocationState::Stopped);
    EXPECT_TRUE(s.pipelineErrors.isEmpty());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, KeyExchangeAndSecureStringRoundTrip)
{
    ClientOptions o = basicOptions(server->url());
    o.hostInfo = Psrp::HostInfo::console(120, 50);
    Session s(std::move(o));
    ASSERT_TRUE(s.open()) << s.why();
    EXPECT_FALSE(s.client->canUseSecureString()); // 2.3 server: a session key is needed
    EXPECT_FALSE(s.client->encryptSecureString(u"early"_s));
    // MS-PSRP 3.1.4.5: PUBLIC_KEY -> ENCRYPTED_SESSION_KEY with the real server.
    ASSERT_TRUE(s.client->exchangeKey());
    ASSERT_TRUE(runUntil([&] { return s.keyReady || s.closed; }));
    ASSERT_TRUE(s.keyReady) << s.why();
    EXPECT_TRUE(s.client->canUseSecureString());

    // Client -> server as pipeline input: the server decrypts our <SS> with the session key.
    auto secret = s.client->encryptSecureString(u"p@ss w0rd"_s);
    ASSERT_TRUE(secret);
    const QUuid in = s.start(u"$input | ForEach-Object { $_.GetType().FullName; [Net.NetworkCredential]::new('', $_).Password }"_s,
                             false);
    ASSERT_TRUE(s.client->sendInput(in, Psrp::Value(secret.value())));
    ASSERT_TRUE(s.client->endInput(in));
    ASSERT_TRUE(s.waitFinished(in));
    EXPECT_EQ(s.stateOf(in), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"System.Security.SecureString"_s, u"p@ss w0rd"_s}));

    // Server -> client: a SecureString output arrives encrypted and decrypts to its text.
    s.output.clear();
    const QUuid out = s.run(u"$ss = [System.Security.SecureString]::new(); foreach ($c in 'h€llo'.ToCharArray()) "
                            "{ $ss.AppendChar($c) }; $ss"_s);
    EXPECT_EQ(s.stateOf(out), PSInvocationState::Completed);
    ASSERT_EQ(s.output.size(), 1);
    const auto *ss = s.output.first().get<Psrp::SecureString>();
    ASSERT_NE(ss, nullptr) << int(s.output.first().kind());
    EXPECT_FALSE(ss->bytes.contains(QByteArray("h\0", 2))); // not plain UTF-16
    const auto plain = s.client->decryptSecureString(*ss);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain.value(), u"h€llo"_s);

    // A host call answered with a SecureString (ReadLineAsSecureString).
    s.output.clear();
    const QUuid asked = s.start(u"$s = $Host.UI.ReadLineAsSecureString(); $s.GetType().Name; "
                                "[Net.NetworkCredential]::new('', $s).Password"_s);
    ASSERT_TRUE(runUntil([&] { return !s.hostCalls.isEmpty() || s.finished.contains(asked); }));
    ASSERT_EQ(s.hostCalls.size(), 1);
    EXPECT_EQ(s.hostCalls.first().second.methodId, Psrp::HostMethodId::ReadLineAsSecureString);
    auto typed = s.client->encryptSecureString(u"typed secret"_s);
    ASSERT_TRUE(typed);
    ASSERT_TRUE(s.client->respondToHostCall(asked, Psrp::HostResponse::answer(s.hostCalls.first().second,
                                                                              Psrp::Value(typed.value()))));
    ASSERT_TRUE(s.waitFinished(asked));
    EXPECT_EQ(s.stateOf(asked), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), (QStringList{u"SecureString"_s, u"typed secret"_s}));
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, GetCommandMetadataRunsOnTheServer)
{
    Session s(basicOptions(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    Psrp::GetCommandMetadata request;
    request.names = QStringList{u"Get-Command"_s};
    request.commandType = Psrp::CommandTypes::Cmdlet;
    auto id = s.client->getCommandMetadata(request);
    ASSERT_TRUE(id);
    ASSERT_TRUE(s.waitFinished(id.value()));
    // PowerShell answers GET_COMMAND_METADATA by running Get-Command | Measure-Object; the
    // SMA-only runspace has no Microsoft.PowerShell.Utility, so the server's own pipeline fails.
    // Either way the request was understood and the pool stays usable.
    const Finished result = s.finished.value(id.value());
    if (result.state == PSInvocationState::Failed) {
        ASSERT_TRUE(result.error.has_value());
        EXPECT_TRUE(result.error->message.contains(u"'Measure-Object' is not recognized"_s))
            << result.error->message.toStdString();
    } else {
        EXPECT_EQ(result.state, PSInvocationState::Completed);
        EXPECT_GE(s.output.size(), 2); // the count, then one CommandMetadata
    }
    EXPECT_TRUE(s.pipelineErrors.isEmpty());
    const QUuid next = s.run(u"(Get-Command Get-Command).Name"_s);
    EXPECT_EQ(s.stateOf(next), PSInvocationState::Completed);
    ASSERT_FALSE(s.output.isEmpty());
    EXPECT_EQ(s.output.last().toString(), u"Get-Command"_s);
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, TwoPoolsAtOnce)
{
    Session a(basicOptions(server->url()));
    Session b(basicOptions(server->url()));
    a.client->open();
    b.client->open();
    ASSERT_TRUE(runUntil([&] { return (a.opened || a.closed) && (b.opened || b.closed); }));
    ASSERT_TRUE(a.opened && b.opened) << a.why() << b.why();
    EXPECT_EQ(server->shellCount(), 2);
    EXPECT_NE(a.client->shellId(), b.client->shellId());
    // A waits for its input while B runs to its end; each pool has its own PowerShell process.
    const QUuid ia = a.start(u"$input | ForEach-Object { \"A $PID\" }"_s, false);
    const QUuid ib = b.start(u"\"B $PID\""_s);
    ASSERT_TRUE(b.waitFinished(ib));
    EXPECT_FALSE(a.finished.contains(ia));
    ASSERT_TRUE(a.client->sendInput(ia, Psrp::Value(qint32(1))));
    ASSERT_TRUE(a.client->endInput(ia));
    ASSERT_TRUE(a.waitFinished(ia));
    EXPECT_EQ(a.stateOf(ia), PSInvocationState::Completed);
    EXPECT_EQ(b.stateOf(ib), PSInvocationState::Completed);
    ASSERT_EQ(a.output.size(), 1);
    ASSERT_EQ(b.output.size(), 1);
    const QString outA = a.outputStrings().first();
    const QString outB = b.outputStrings().first();
    EXPECT_TRUE(outA.startsWith(u"A "_s));
    EXPECT_TRUE(outB.startsWith(u"B "_s));
    EXPECT_NE(outA.mid(2), outB.mid(2)); // different process ids
    a.client->close();
    b.client->close();
    ASSERT_TRUE(runUntil([&] { return a.closed && b.closed; }));
    EXPECT_TRUE(a.failures.isEmpty() && b.failures.isEmpty()) << a.why() << b.why();
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(PwshIntegration, TwoRunspacesRunPipelinesConcurrentlyAndDataSizeLimitStopsOne)
{
    ClientOptions o = basicOptions(server->url());
    o.maxRunspaces = 2;
    o.sessionOption.maximumReceivedDataSizePerCommand = 50000;
    Session s(std::move(o));
    ASSERT_TRUE(s.open()) << s.why();
    // A pipeline waiting for input does not hold up another one in the second runspace.
    const QUuid slow = s.start(u"$input | ForEach-Object { 'slow' }"_s, false);
    const QUuid quick = s.start(u"'quick'"_s);
    ASSERT_TRUE(s.waitFinished(quick));
    EXPECT_FALSE(s.finished.contains(slow));
    ASSERT_TRUE(s.client->sendInput(slow, Psrp::Value(u"go"_s)));
    ASSERT_TRUE(s.client->endInput(slow));
    ASSERT_TRUE(s.waitFinished(slow));
    EXPECT_EQ(s.outputStrings(), (QStringList{u"quick"_s, u"slow"_s}));
    EXPECT_EQ(s.client->activePipelines().size(), 0);

    // MaximumReceivedDataSizePerCommand: the client stops the command (Failed + DataSizeExceeded).
    s.output.clear();
    const QUuid flood = s.run(u"1..100000"_s);
    EXPECT_EQ(s.stateOf(flood), PSInvocationState::Failed);
    ASSERT_EQ(s.pipelineErrors.size(), 1);
    EXPECT_EQ(s.pipelineErrors.first().kind, ClientErrorKind::DataSizeExceeded);
    EXPECT_LT(s.output.size(), 100000);
    s.output.clear();
    const QUuid next = s.run(u"'still usable'"_s);
    EXPECT_EQ(s.stateOf(next), PSInvocationState::Completed);
    EXPECT_EQ(s.outputStrings(), QStringList{u"still usable"_s});
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_TRUE(s.close());
}

TEST_F(PwshIntegration, ObjectSizeLimitRefusesALargeString)
{
    ClientOptions o = basicOptions(server->url());
    o.sessionOption.maximumReceivedObjectSize = 100 * 1024;
    Session s(std::move(o));
    ASSERT_TRUE(s.open()) << s.why();
    const QUuid pid = s.run(u"'small'; 'x' * 300000"_s);
    ASSERT_TRUE(s.finished.contains(pid));
    // RunspacePoolClient.h: the pipeline reports ObjectSizeExceeded and is stopped (Failed).
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Failed);
    ASSERT_FALSE(s.pipelineErrors.isEmpty());
    EXPECT_EQ(s.pipelineErrors.first().kind, ClientErrorKind::ObjectSizeExceeded);
    EXPECT_EQ(s.pipelineErrors.first().pipelineId, pid);
    EXPECT_EQ(s.outputStrings(), QStringList{u"small"_s});
    // The pool stays usable.
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    const QUuid next = s.run(u"'x' * 1000 | ForEach-Object Length"_s);
    EXPECT_EQ(s.stateOf(next), PSInvocationState::Completed);
    EXPECT_EQ(s.output.last().toInteger(), 1000);
    EXPECT_TRUE(s.close());
}

} // namespace
