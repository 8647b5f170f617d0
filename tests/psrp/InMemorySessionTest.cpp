#include "psrp/RunspacePool.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"

#include "SharedData.h"
#include "Transcript.h"

#include <QXmlStreamReader>

#include <gtest/gtest.h>

using namespace Psrp;
using namespace Qt::Literals::StringLiterals;

namespace {

// Small payloads so that every message spans several fragments and payloads.
constexpr qsizetype SmallPayload = 97;

void pump(RunspacePoolEngine &a, RunspacePoolEngine &b, qsizetype maxPayload = SmallPayload)
{
    for (int guard = 0; guard < 200000 && (a.hasDataToSend() || b.hasDataToSend()); ++guard) {
        if (auto out = a.dataToSend(maxPayload)) {
            ASSERT_LE(out->data.size(), maxPayload);
            Result<void> r = b.receiveData(out->data);
            ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
        }
        if (auto out = b.dataToSend(maxPayload)) {
            ASSERT_LE(out->data.size(), maxPayload);
            Result<void> r = a.receiveData(out->data);
            ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
        }
    }
}

std::vector<Event> events(RunspacePoolEngine &e)
{
    std::vector<Event> out;
    while (auto ev = e.nextEvent())
        out.push_back(std::move(*ev));
    return out;
}

// The payloads of the received messages of `type`, in order.
template <typename T>
std::vector<T> messages(const std::vector<Event> &evs, MessageType type)
{
    std::vector<T> out;
    for (const Event &e : evs) {
        if (e.kind == Event::Kind::Message && e.messageType == type)
            out.push_back(std::get<T>(*e.payload));
    }
    return out;
}

const Event *stateEvent(const std::vector<Event> &evs, Event::Kind kind)
{
    const Event *last = nullptr;
    for (const Event &e : evs) {
        if (e.kind == kind)
            last = &e;
    }
    return last;
}

class InMemorySession : public ::testing::Test {
protected:
    ClientRunspacePool client;
    ServerRunspacePool server;

    void SetUp() override
    {
        ASSERT_TRUE(client.open().ok());
        pump(client, server);
        const auto clientEvents = events(client);
        const auto serverEvents = events(server);
        ASSERT_EQ(client.state(), RunspacePoolState::Opened);
        ASSERT_EQ(server.state(), RunspacePoolState::Opened);
        ASSERT_EQ(messages<SessionCapability>(clientEvents, MessageType::SessionCapability).size(), 1u);
        ASSERT_EQ(messages<ApplicationPrivateData>(clientEvents, MessageType::ApplicationPrivateData).size(), 1u);
        ASSERT_EQ(messages<InitRunspacePool>(serverEvents, MessageType::InitRunspacePool).size(), 1u);
        ASSERT_TRUE(server.initRunspacePool().has_value());
    }

    QUuid startPipeline(bool withInput, const QString &script = u"$input"_s)
    {
        CreatePipeline create;
        create.noInput = !withInput;
        create.powerShell.commands.append(Command::script(script));
        Result<QUuid> pid = client.createPipeline(create);
        EXPECT_TRUE(pid.ok());
        return pid.ok() ? *pid : QUuid();
    }
};

} // namespace

TEST_F(InMemorySession, PipelineWithInputOutputRecordsAndHostCalls)
{
    const QUuid pid = startPipeline(true);
    ASSERT_TRUE(client.sendInput(pid, Value(u"one"_s)).ok());
    ASSERT_TRUE(client.sendInput(pid, Value(qint32(2))).ok());
    ASSERT_TRUE(client.endInput(pid).ok());
    EXPECT_EQ(client.sendInput(pid, Value(qint32(3))).error().code, ErrorCode::InvalidState);
    pump(client, server);
    auto serverEvents = events(server);
    const auto created = messages<CreatePipeline>(serverEvents, MessageType::CreatePipeline);
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0].powerShell.commands.first().cmd, u"$input"_s);
    const auto inputs = messages<PipelineInput>(serverEvents, MessageType::PipelineInput);
    ASSERT_EQ(inputs.size(), 2u);
    EXPECT_EQ(inputs[0].value, Value(u"one"_s));
    EXPECT_EQ(inputs[1].value, Value(qint32(2)));
    EXPECT_EQ(messages<EndOfPipelineInput>(serverEvents, MessageType::EndOfPipelineInput).size(), 1u);
    EXPECT_EQ(server.pipelineState(pid), PSInvocationState::Running);

    for (const PipelineInput &in : inputs)
        ASSERT_TRUE(server.writeOutput(pid, in.value).ok());
    // A pipeline host call that waits, a void one, and a pool host call.
    Result<qint64> readLine = server.hostCall(pid, HostMethodId::ReadLine);
    ASSERT_TRUE(readLine.ok());
    EXPECT_NE(*readLine, VoidCallId);
    Result<qint64> writeLine = server.hostCall(pid, HostMethodId::WriteLine2, {Value(u"hello"_s)});
    ASSERT_TRUE(writeLine.ok());
    EXPECT_EQ(*writeLine, VoidCallId);
    Result<qint64> poolCall = server.hostCall({}, HostMethodId::GetName);
    ASSERT_TRUE(poolCall.ok());
    InformationRecord info;
    info.messageData = Value(u"info text"_s);
    info.source = u"Write-Host"_s;
    ASSERT_TRUE(server.write(pid, info).ok());
    ProgressRecord progress;
    progress.activity = u"Copying"_s;
    progress.statusDescription = u"half"_s;
    progress.percentComplete = 50;
    ASSERT_TRUE(server.write(pid, progress).ok());
    pump(client, server);

    auto clientEvents = events(client);
    const auto outputs = messages<PipelineOutput>(clientEvents, MessageType::PipelineOutput);
    ASSERT_EQ(outputs.size(), 2u);
    EXPECT_EQ(outputs[0].value, Value(u"one"_s));
    EXPECT_EQ(outputs[1].value, Value(qint32(2)));
    const auto calls = messages<PipelineHostCall>(clientEvents, MessageType::PipelineHostCall);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].methodId, HostMethodId::ReadLine);
    EXPECT_TRUE(calls[1].isVoid());
    EXPECT_EQ(client.hostResponse(pid, HostResponse::answerVoid(calls[1])).error().code, ErrorCode::InvalidState);
    const auto poolCalls = messages<RunspacePoolHostCall>(clientEvents, MessageType::RunspacePoolHostCall);
    ASSERT_EQ(poolCalls.size(), 1u);
    const auto infos = messages<InformationRecord>(clientEvents, MessageType::InformationRecord);
    ASSERT_EQ(infos.size(), 1u);
    EXPECT_EQ(infos[0].messageData, Value(u"info text"_s));
    EXPECT_EQ(infos[0].source, u"Write-Host"_s);
    const auto progresses = messages<ProgressRecord>(clientEvents, MessageType::ProgressRecord);
    ASSERT_EQ(progresses.size(), 1u);
    EXPECT_EQ(progresses[0].activity, u"Copying"_s);
    EXPECT_EQ(progresses[0].percentComplete, 50);
    for (const Event &e : clientEvents) {
        if (e.kind == Event::Kind::Message && e.messageType != MessageType::RunspacePoolHostCall) {
            EXPECT_EQ(e.pipelineId, pid);
        }
    }

    ASSERT_TRUE(client.hostResponse(pid, HostResponse::answer(calls[0], Value(u"typed line"_s))).ok());
    ASSERT_TRUE(client.hostResponse({}, HostResponse::answer(poolCalls[0], Value(u"PSRemote"_s))).ok());
    auto response = client.dataToSend(4096);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->stream, u"pr"_s);
    EXPECT_EQ(response->pipelineId, pid);
    ASSERT_TRUE(server.receiveData(response->data).ok());
    pump(client, server);
    serverEvents = events(server);
    const auto answers = messages<PipelineHostResponse>(serverEvents, MessageType::PipelineHostResponse);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].callId, *readLine);
    EXPECT_EQ(answers[0].result, Value(u"typed line"_s));
    const auto poolAnswers = messages<RunspacePoolHostResponse>(serverEvents, MessageType::RunspacePoolHostResponse);
    ASSERT_EQ(poolAnswers.size(), 1u);
    EXPECT_EQ(poolAnswers[0].result, Value(u"PSRemote"_s));

    ASSERT_TRUE(server.setPipelineState(pid, PSInvocationState::Completed).ok());
    pump(client, server);
    clientEvents = events(client);
    const Event *done = stateEvent(clientEvents, Event::Kind::PipelineStateChanged);
    ASSERT_NE(done, nullptr);
    EXPECT_EQ(done->pipelineState, PSInvocationState::Completed);
    EXPECT_EQ(client.pipelineState(pid), PSInvocationState::Completed);
}

TEST_F(InMemorySession, KeyExchangeAndSecureStringRoundTrip)
{
    EXPECT_FALSE(server.canUseSecureString()); // the client announced 2.3
    ASSERT_TRUE(client.exchangeKey().ok());
    EXPECT_TRUE(client.keyExchangePending());
    pump(client, server);
    auto clientEvents = events(client);
    auto serverEvents = events(server);
    EXPECT_NE(stateEvent(clientEvents, Event::Kind::SessionKeyReady), nullptr);
    EXPECT_NE(stateEvent(serverEvents, Event::Kind::SessionKeyReady), nullptr);
    EXPECT_EQ(messages<PublicKey>(serverEvents, MessageType::PublicKey).size(), 1u);
    ASSERT_TRUE(client.canUseSecureString());
    ASSERT_TRUE(server.canUseSecureString());

    const QUuid pid = startPipeline(false, u"Read-Host -AsSecureString"_s);
    pump(client, server);
    Result<qint64> ci = server.hostCall(pid, HostMethodId::ReadLineAsSecureString);
    ASSERT_TRUE(ci.ok());
    pump(client, server);
    const auto calls = messages<PipelineHostCall>(events(client), MessageType::PipelineHostCall);
    ASSERT_EQ(calls.size(), 1u);
    Result<SecureString> secret = client.encryptSecureString(u"s3cr\u00e9t"_s);
    ASSERT_TRUE(secret.ok());
    EXPECT_NE(secret->bytes, plainSecureStringBytes(u"s3cr\u00e9t"_s)); // encrypted, not plain
    ASSERT_TRUE(client.hostResponse(pid, HostResponse::answer(calls[0], Value(*secret))).ok());
    pump(client, server);
    const auto answers = messages<PipelineHostResponse>(events(server), MessageType::PipelineHostResponse);
    ASSERT_EQ(answers.size(), 1u);
    ASSERT_TRUE(answers[0].result.has_value());
    const SecureString *ss = answers[0].result->get<SecureString>();
    ASSERT_NE(ss, nullptr);
    Result<QString> text = server.decryptSecureString(*ss);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, u"s3cr\u00e9t"_s);

    // And the other way: an <SS> in pipeline output.
    Result<SecureString> fromServer = server.encryptSecureString(u"back"_s);
    ASSERT_TRUE(fromServer.ok());
    ASSERT_TRUE(server.writeOutput(pid, Value(*fromServer)).ok());
    pump(client, server);
    const auto outputs = messages<PipelineOutput>(events(client), MessageType::PipelineOutput);
    ASSERT_EQ(outputs.size(), 1u);
    ASSERT_NE(outputs[0].value.get<SecureString>(), nullptr);
    EXPECT_EQ(*client.decryptSecureString(*outputs[0].value.get<SecureString>()), u"back"_s);
}

TEST_F(InMemorySession, PublicKeyRequestIsAnsweredAutomatically)
{
    ASSERT_TRUE(server.requestPublicKey().ok());
    pump(client, server);
    const auto clientEvents = events(client);
    EXPECT_EQ(messages<PublicKeyRequest>(clientEvents, MessageType::PublicKeyRequest).size(), 1u);
    EXPECT_NE(stateEvent(clientEvents, Event::Kind::SessionKeyReady), nullptr);
    EXPECT_TRUE(client.canUseSecureString());
}

TEST_F(InMemorySession, StopEndsStoppedWithErrorRecord)
{
    const QUuid pid = startPipeline(false, u"Start-Sleep 100"_s);
    pump(client, server);
    ASSERT_TRUE(client.stop(pid).ok());
    EXPECT_EQ(client.pipelineState(pid), PSInvocationState::Stopping);
    ErrorRecord reason = ErrorRecord::make(u"The pipeline has been stopped."_s, u"PipelineStopped"_s, 14,
                                           u"System.Management.Automation.PipelineStoppedException"_s);
    ASSERT_TRUE(server.setPipelineState(pid, PSInvocationState::Stopped, reason).ok());
    pump(client, server);
    const auto evs = events(client);
    const Event *stopped = stateEvent(evs, Event::Kind::PipelineStateChanged);
    ASSERT_NE(stopped, nullptr);
    EXPECT_EQ(stopped->pipelineState, PSInvocationState::Stopped);
    ASSERT_NE(stopped->error, nullptr);
    EXPECT_EQ(stopped->error->message, u"The pipeline has been stopped."_s);
    EXPECT_EQ(stopped->error->fullyQualifiedErrorId, u"PipelineStopped"_s);
    EXPECT_EQ(client.pipelineState(pid), PSInvocationState::Stopped);
}

TEST_F(InMemorySession, FailureEndsFailedWithErrorRecord)
{
    const QUuid pid = startPipeline(false, u"throw 'boom'"_s);
    pump(client, server);
    ErrorRecord boom = ErrorRecord::make(u"boom"_s, u"boom"_s, 0,
                                         u"System.Management.Automation.RuntimeException"_s);
    ASSERT_TRUE(server.writeError(pid, boom).ok());
    ASSERT_TRUE(server.setPipelineState(pid, PSInvocationState::Failed, boom).ok());
    pump(client, server);
    const auto evs = events(client);
    const auto errors = messages<ErrorRecord>(evs, MessageType::ErrorRecord);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, u"boom"_s);
    const Event *failed = stateEvent(evs, Event::Kind::PipelineStateChanged);
    ASSERT_NE(failed, nullptr);
    EXPECT_EQ(failed->pipelineState, PSInvocationState::Failed);
    ASSERT_NE(failed->error, nullptr);
    EXPECT_EQ(failed->error->message, u"boom"_s);
}

TEST_F(InMemorySession, GetCommandMetadata)
{
    GetCommandMetadata request;
    request.names = QStringList{u"Get-*"_s};
    request.commandType = CommandTypes::Cmdlet;
    Result<QUuid> pid = client.getCommandMetadata(request);
    ASSERT_TRUE(pid.ok());
    auto first = client.dataToSend(SmallPayload);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->firstMessageType, MessageType::GetCommandMetadata);
    ASSERT_TRUE(server.receiveData(first->data).ok());
    pump(client, server);
    const auto got = messages<GetCommandMetadata>(events(server), MessageType::GetCommandMetadata);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].names, QStringList{u"Get-*"_s});
    EXPECT_EQ(got[0].commandType, CommandTypes::Cmdlet);
    ASSERT_TRUE(server.writeOutput(*pid, Value(qint32(1))).ok());
    ASSERT_TRUE(server.setPipelineState(*pid, PSInvocationState::Completed).ok());
    pump(client, server);
    const auto evs = events(client);
    EXPECT_EQ(messages<PipelineOutput>(evs, MessageType::PipelineOutput).size(), 1u);
    EXPECT_EQ(client.pipelineState(*pid), PSInvocationState::Completed);
}

TEST_F(InMemorySession, PoolRequestsMaxMinAvailableReset)
{
    Result<qint64> max = client.setMaxRunspaces(4);
    Result<qint64> min = client.setMinRunspaces(2);
    Result<qint64> available = client.getAvailableRunspaces();
    Result<qint64> reset = client.resetRunspaceState();
    ASSERT_TRUE(max.ok() && min.ok() && available.ok() && reset.ok());
    pump(client, server);
    const auto serverEvents = events(server);
    ASSERT_EQ(messages<SetMaxRunspaces>(serverEvents, MessageType::SetMaxRunspaces).size(), 1u);
    EXPECT_EQ(messages<SetMaxRunspaces>(serverEvents, MessageType::SetMaxRunspaces)[0].count, 4);
    ASSERT_EQ(messages<SetMinRunspaces>(serverEvents, MessageType::SetMinRunspaces).size(), 1u);
    ASSERT_EQ(messages<ResetRunspaceState>(serverEvents, MessageType::ResetRunspaceState).size(), 1u);
    ASSERT_TRUE(server.runspaceAvailability(*max, true).ok());
    ASSERT_TRUE(server.runspaceAvailability(*min, false).ok());
    ASSERT_TRUE(server.runspaceAvailability(*available, qint64(3)).ok());
    ASSERT_TRUE(server.runspaceAvailability(*reset, true).ok());
    pump(client, server);
    EXPECT_EQ(server.maxRunspaces(), 4);
    EXPECT_EQ(client.maxRunspaces(), 4);
    EXPECT_EQ(client.minRunspaces(), 1); // refused
    const auto answers = messages<RunspaceAvailability>(events(client), MessageType::RunspaceAvailability);
    ASSERT_EQ(answers.size(), 4u);
    EXPECT_EQ(answers[2].callId, *available);
    EXPECT_EQ(std::get<qint64>(answers[2].value), 3);
    EXPECT_EQ(answers[3].callId, *reset);
}

TEST_F(InMemorySession, CloseAndConnect)
{
    ASSERT_TRUE(client.close().ok());
    EXPECT_EQ(client.state(), RunspacePoolState::Closing);
    ASSERT_TRUE(server.setPoolState(RunspacePoolState::Closed).ok());
    pump(client, server);
    EXPECT_EQ(client.state(), RunspacePoolState::Closed);
    EXPECT_EQ(client.createPipeline(CreatePipeline{}).error().code, ErrorCode::InvalidState);

    ClientRunspacePool reconnecting;
    ServerRunspacePool disconnected(reconnecting.id());
    ASSERT_TRUE(reconnecting.connect().ok());
    pump(reconnecting, disconnected);
    EXPECT_EQ(reconnecting.state(), RunspacePoolState::Opened);
    EXPECT_EQ(disconnected.state(), RunspacePoolState::Opened);
    EXPECT_EQ(messages<RunspacePoolInitData>(events(reconnecting), MessageType::RunspacePoolInitData).size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// The client against bytes recorded from a real Windows server.

namespace {

struct RecordedPayloads {
    QList<QByteArray> fromClient;
    QList<QByteArray> fromServer;
};

// creationXml / rsp:Arguments / rsp:Stream texts of one SOAP envelope, base64-decoded.
QList<QByteArray> psrpPayloads(const QString &envelope)
{
    QList<QByteArray> out;
    QXmlStreamReader xml(envelope);
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        const QStringView name = xml.name();
        if (name == u"creationXml" || name == u"Arguments" || name == u"Stream" || name == u"connectXml") {
            const QString text = xml.readElementText(QXmlStreamReader::SkipChildElements).trimmed();
            if (!text.isEmpty())
                out.append(QByteArray::fromBase64(text.toLatin1()));
        }
    }
    return out;
}

// Replays a recording into a ClientRunspacePool: the client's own recorded messages drive the
// API calls (open, createPipeline with the recorded id, input), the server's are fed in.
struct Replay {
    std::optional<ClientRunspacePool> client;
    std::vector<Event> events;
    QList<QUuid> pipelines;
};

void replay(const QString &file, Replay &out)
{
    QString error;
    const auto transcript = TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir() + u'/' + file, &error);
    ASSERT_TRUE(transcript.has_value()) << error.toStdString();
    Defragmenter clientSide;
    for (const TestSupport::TranscriptExchange &ex : transcript->exchanges) {
        for (const QByteArray &payload : psrpPayloads(ex.request)) {
            Result<QList<QByteArray>> done = clientSide.feed(payload);
            ASSERT_TRUE(done.ok()) << done.error().detail.toStdString();
            for (const QByteArray &bytes : *done) {
                Result<Message> m = decodeMessage(bytes);
                ASSERT_TRUE(m.ok());
                Result<Payload> p = decodePayloadData(m->type, m->data);
                ASSERT_TRUE(p.ok()) << p.error().detail.toStdString();
                switch (m->type) {
                case MessageType::SessionCapability:
                    out.client.emplace(m->runspacePoolId);
                    ASSERT_TRUE(out.client->open().ok());
                    break;
                case MessageType::CreatePipeline: {
                    ASSERT_TRUE(out.client.has_value());
                    Result<QUuid> pid = out.client->createPipeline(std::get<CreatePipeline>(*p), m->pipelineId);
                    ASSERT_TRUE(pid.ok()) << pid.error().detail.toStdString();
                    out.pipelines.append(*pid);
                    break;
                }
                case MessageType::PipelineInput:
                    ASSERT_TRUE(out.client->sendInput(m->pipelineId, std::get<PipelineInput>(*p).value).ok());
                    break;
                case MessageType::EndOfPipelineInput:
                    ASSERT_TRUE(out.client->endInput(m->pipelineId).ok());
                    break;
                default:
                    break;
                }
            }
        }
        if (!out.client)
            continue;
        while (out.client->dataToSend(out.client->maxPayloadSize())) {
        }
        for (const QByteArray &payload : psrpPayloads(ex.response)) {
            Result<void> r = out.client->receiveData(payload);
            ASSERT_TRUE(r.ok()) << file.toStdString() << " line " << ex.line << ": "
                                << r.error().detail.toStdString();
        }
        while (auto e = out.client->nextEvent())
            out.events.push_back(std::move(*e));
    }
}

} // namespace

TEST(RecordedServer, OpenRunspaceReachesOpened)
{
    PSREMOTE_REQUIRE_SHARED();
    Replay r;
    replay(u"test_psrp_open_runspace.yml"_s, r);
    ASSERT_TRUE(r.client.has_value());
    EXPECT_EQ(r.client->state(), RunspacePoolState::Opened);
    EXPECT_EQ(r.client->peerProtocolVersion(), QVersionNumber(2, 3));
    EXPECT_EQ(r.client->maxEnvelopeSize(), 512000);
    EXPECT_TRUE(r.client->applicationPrivateData().isObject());
    const Event *opened = stateEvent(r.events, Event::Kind::PoolStateChanged);
    ASSERT_NE(opened, nullptr);
    EXPECT_EQ(opened->poolState, RunspacePoolState::Opened);
}

TEST(RecordedServer, PipelineWithInputCompletesWithRecordedOutput)
{
    PSREMOTE_REQUIRE_SHARED();
    Replay r;
    replay(u"test_psrp_with_input.yml"_s, r);
    ASSERT_TRUE(r.client.has_value());
    EXPECT_EQ(r.client->state(), RunspacePoolState::Opened);
    ASSERT_EQ(r.pipelines.size(), 1);
    EXPECT_EQ(r.client->pipelineState(r.pipelines.first()), PSInvocationState::Completed);
    const auto outputs = messages<PipelineOutput>(r.events, MessageType::PipelineOutput);
    ASSERT_EQ(outputs.size(), 4u);
    EXPECT_EQ(outputs[0].value, Value(u"1"_s));
    EXPECT_EQ(outputs[1].value, Value(qint32(2)));
    const PsObject *table = outputs[2].value.object();
    ASSERT_NE(table, nullptr);
    ASSERT_NE(table->entry(u"a"), nullptr);
    EXPECT_EQ(*table->entry(u"a"), Value(u"b"_s));
    const PsObject *array = outputs[3].value.object();
    ASSERT_NE(array, nullptr);
    EXPECT_EQ(array->items, (QList<Value>{Value(u"a"_s), Value(u"b"_s)}));
    EXPECT_EQ(messages<ProgressRecord>(r.events, MessageType::ProgressRecord).size(), 1u);
    EXPECT_EQ(messages<DebugRecord>(r.events, MessageType::DebugRecord).size(), 2u);
    const Event *completed = stateEvent(r.events, Event::Kind::PipelineStateChanged);
    ASSERT_NE(completed, nullptr);
    EXPECT_EQ(completed->pipelineState, PSInvocationState::Completed);
}

TEST_F(InMemorySession, BrokenPoolFailsItsRunningPipelines)
{
    const QUuid pid = startPipeline(false, u"Start-Sleep 100"_s);
    pump(client, server);
    (void)events(server);
    (void)events(client);
    ASSERT_EQ(client.pipelineState(pid), PSInvocationState::Running);

    ErrorRecord reason = ErrorRecord::make(u"The remote session broke."_s, u"SessionBroken"_s);
    ASSERT_TRUE(server.setPoolState(RunspacePoolState::Broken, reason).ok());
    pump(client, server);
    const auto clientEvents = events(client);
    EXPECT_EQ(client.state(), RunspacePoolState::Broken);
    EXPECT_EQ(client.pipelineState(pid), PSInvocationState::Failed);
    const Event *pipelineEnd = stateEvent(clientEvents, Event::Kind::PipelineStateChanged);
    ASSERT_NE(pipelineEnd, nullptr);
    EXPECT_EQ(pipelineEnd->pipelineId, pid);
    EXPECT_EQ(pipelineEnd->pipelineState, PSInvocationState::Failed);
    ASSERT_NE(pipelineEnd->error, nullptr);
    // Nothing more may be sent on a broken pool.
    EXPECT_FALSE(client.sendInput(pid, Value(qint32(1))).ok());
}
