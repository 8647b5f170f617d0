// Wsman::RunspacePoolClient itself (not a test-local driver) against real Windows recordings
// served by the loopback endpoint's replay engine: open/close, pipeline input, host calls answered
// with what the recording's client answered, and the key exchange with pypsrp's fixed RSA key
// followed by SecureString decryption.
#include "ClientHarness.h"
#include "LoopbackServer.h"
#include "SharedData.h"
#include "Transcript.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"
#include "psrp/SessionKey.h"
#include "wsman/RunspacePoolClient.h"
#include "wsman/ServerEnvelope.h"

#include <QEventLoop>
#include <QTimer>

#include <gtest/gtest.h>

#include <functional>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace TestServer;
using namespace Wsman;
using Psrp::PSInvocationState;
using namespace ClientHarness;

namespace {

QString recordingPath(const QString &file)
{
    return TestSupport::windowsTranscriptsDir() + u'/' + file;
}

// The replay endpoint for one recording. Shell-level Receives the recording has no answer for are
// held for 200 ms and answered 0x80338029, so the driver's extra pool Receive loop keeps turning.
std::unique_ptr<LoopbackServer> replayServer(const QString &file)
{
    ServerConfig config;
    config.engine = EngineKind::Replay;
    config.replayFile = recordingPath(file);
    config.maxOperationTimeoutMs = 200;
    return startEndpoint(std::move(config));
}

ClientOptions optionsFor(const QUrl &url)
{
    ClientOptions o = basicOptions(url);
    o.hostInfo = Psrp::HostInfo::console(120, 50);
    return o;
}

// The PSRP payloads of one recorded client stream, decoded.
QList<Psrp::Payload> payloadsOf(const QByteArray &fragments)
{
    QList<Psrp::Payload> out;
    Psrp::Defragmenter defragmenter;
    const auto messages = defragmenter.feed(fragments);
    if (!messages.ok())
        return out;
    for (const QByteArray &bytes : *messages) {
        const auto message = Psrp::decodeMessage(bytes);
        if (!message.ok())
            continue;
        if (auto payload = Psrp::decodePayloadData(message->type, message->data); payload.ok())
            out.append(std::move(payload.value()));
    }
    return out;
}

// What the recording's client (pypsrp) sent: its pipelines and its host responses by call id.
struct RecordedClient {
    QList<Psrp::CreatePipeline> pipelines;
    QHash<qint64, Psrp::HostResponse> hostResponses;
    QString error;
};

RecordedClient recordedClient(const QString &file)
{
    RecordedClient out;
    const auto transcript = TestSupport::loadTranscript(recordingPath(file), &out.error);
    if (!transcript)
        return out;
    for (const auto &exchange : transcript->exchanges) {
        const auto request = parseServerRequest(exchange.request.toUtf8());
        if (!request) {
            out.error = request.error().detail;
            return out;
        }
        QList<Psrp::Payload> payloads;
        if (request->action == Action::Command)
            payloads = payloadsOf(request->arguments);
        for (const StreamData &stream : request->streams)
            payloads += payloadsOf(stream.data);
        for (const Psrp::Payload &payload : std::as_const(payloads)) {
            if (const auto *create = std::get_if<Psrp::CreatePipeline>(&payload))
                out.pipelines.append(*create);
            else if (const auto *response = std::get_if<Psrp::PipelineHostResponse>(&payload))
                out.hostResponses.insert(response->callId, *response);
        }
    }
    return out;
}

Psrp::Result<Psrp::SessionKey> pypsrpKey()
{
    return Psrp::SessionKey::createClientFromPem(
        TestSupport::readFile(TestSupport::sharedDir() + u"/transcripts/pypsrp_test_rsa_key.pem"_s));
}

// A harness Session that, with `key`, starts the key exchange as soon as the pool is open (inside
// opened(), before the driver's next pool Receive goes out, as pypsrp did) and, with `answers`,
// answers every non-void host call with the recorded response.
struct ReplaySession : Session {
    QStringList unanswered;
    int answered = 0;

    explicit ReplaySession(ClientOptions options, std::optional<Psrp::SessionKey> key = std::nullopt,
                           QHash<qint64, Psrp::HostResponse> answers = {})
        : Session(std::move(options))
    {
        auto sharedKey = std::make_shared<std::optional<Psrp::SessionKey>>(std::move(key));
        onOpened = [sharedKey](RunspacePoolClient &c) {
            if (*sharedKey) {
                if (const auto r = c.exchangeKey(std::move(**sharedKey)); !r)
                    ADD_FAILURE() << "exchangeKey: " << r.error().detail.toStdString();
                sharedKey->reset();
            }
        };
        onHostCall = [this, answers = std::move(answers)](const QUuid &id, const Psrp::HostCall &call) {
            if (call.isVoid())
                return;
            const auto it = answers.constFind(call.callId);
            if (it == answers.cend()) {
                unanswered.append(QString::number(call.callId));
                return;
            }
            if (const auto r = client->respondToHostCall(id, *it); r)
                ++answered;
            else
                ADD_FAILURE() << "respondToHostCall: " << r.error().detail.toStdString();
        };
    }
    bool calledHost(Psrp::HostMethodId method) const
    {
        for (const auto &call : hostCalls) {
            if (call.second.methodId == method)
                return true;
        }
        return false;
    }
};

} // namespace

TEST(DriverReplay, OpensAndClosesAgainstARecordedWindowsServer)
{
    PSREMOTE_REQUIRE_SHARED();
    auto server = replayServer(u"test_psrp_open_runspace.yml"_s);
    ASSERT_TRUE(server);
    Session s(optionsFor(server->url()));
    // The recording holds exactly two shell Receives: close as soon as the pool is open.
    QObject::connect(s.client.get(), &RunspacePoolClient::opened, s.client.get(), [&] { s.client->close(); });
    s.client->open();
    ASSERT_TRUE(runUntil([&] { return s.closed; }));
    EXPECT_TRUE(s.opened);
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_EQ(s.client->state(), Psrp::RunspacePoolState::Closed);
    EXPECT_EQ(s.client->serverProtocolVersion(), QVersionNumber(2, 3));
}

TEST(DriverReplay, RunsAPipelineWithInputAgainstARecordedWindowsServer)
{
    // test_psrp_with_input.yml: `$input` fed 1, 2, a hashtable and an array. The driver keeps a
    // pool-level Receive outstanding that pypsrp never sent; the replay engine holds it and
    // answers 0x80338029 as a real server with nothing to send does.
    PSREMOTE_REQUIRE_SHARED();
    auto server = replayServer(u"test_psrp_with_input.yml"_s);
    ASSERT_TRUE(server);
    Session s(optionsFor(server->url()));
    ASSERT_TRUE(s.open()) << s.why();
    auto id = s.client->invokeScript(u"begin {} process { $_ } end {}"_s, ScriptOptions{false, false, false});
    ASSERT_TRUE(id.ok()) << id.error().detail.toStdString();
    ASSERT_TRUE(s.client->sendInput(*id, Psrp::Value(u"1"_s)).ok());
    ASSERT_TRUE(s.client->sendInput(*id, Psrp::Value(qint32(2))).ok());
    ASSERT_TRUE(s.client->endInput(*id).ok());
    ASSERT_TRUE(runUntil([&] { return s.finished.contains(*id) || s.closed; }));
    ASSERT_TRUE(s.finished.contains(*id)) << s.why();
    EXPECT_EQ(s.stateOf(*id), PSInvocationState::Completed);
    // The recorded server output, rewritten to this client's pool and pipeline.
    ASSERT_EQ(s.output.size(), 4);
    EXPECT_EQ(s.output[0].toString(), u"1"_s);
    EXPECT_EQ(s.output[1].toInteger(), 2);
    EXPECT_TRUE(s.pipelineErrors.isEmpty()) << s.why();
    EXPECT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
}

TEST(DriverReplay, PsHostUiMockedMethodsAnswersHostCallsAsTheRecordedClientDid)
{
    PSREMOTE_REQUIRE_SHARED();
    const RecordedClient recorded = recordedClient(u"test_psrp_pshost_ui_mocked_methods.yml"_s);
    ASSERT_TRUE(recorded.error.isEmpty()) << recorded.error.toStdString();
    ASSERT_EQ(recorded.pipelines.size(), 1);
    ASSERT_EQ(recorded.hostResponses.size(), 5);
    auto key = pypsrpKey();
    ASSERT_TRUE(key.ok()) << key.error().detail.toStdString();
    auto server = replayServer(u"test_psrp_pshost_ui_mocked_methods.yml"_s);
    ASSERT_TRUE(server);
    ReplaySession s(optionsFor(server->url()), std::move(key.value()), recorded.hostResponses);
    ASSERT_TRUE(s.open()) << s.why();
    // The recorded ReadLineAsSecureString answer is encrypted with the recorded session key.
    ASSERT_TRUE(runUntil([&] { return s.keyReady || s.closed; }) && s.keyReady) << s.why();
    const QUuid pid = s.run(recorded.pipelines.first());
    ASSERT_FALSE(pid.isNull()) << s.why();
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    EXPECT_TRUE(s.unanswered.isEmpty()) << s.unanswered.join(u","_s).toStdString();
    EXPECT_EQ(s.answered, 5);
    using Psrp::HostMethodId;
    for (const HostMethodId id : {HostMethodId::ReadLine, HostMethodId::ReadLineAsSecureString, HostMethodId::Prompt,
                                  HostMethodId::PromptForChoice, HostMethodId::PromptForCredential2})
        EXPECT_TRUE(s.calledHost(id)) << int(id);
    // The script outputs what the (recorded) host answered.
    const QStringList outputs = s.outputStrings();
    ASSERT_EQ(outputs.size(), 5) << outputs.join(u"|"_s).toStdString();
    EXPECT_EQ(outputs.at(0), u"ReadLine response"_s);
    EXPECT_EQ(outputs.at(1), u"secure:ReadLineAsSecureString response"_s);
    EXPECT_TRUE(outputs.at(2).startsWith(u"type:System.Collections.Generic.Dictionary`2"_s))
        << outputs.at(2).toStdString();
    EXPECT_EQ(outputs.at(3), u"System.Management.Automation.PSCredential"_s);
    EXPECT_EQ(outputs.at(4), u"1"_s);
    EXPECT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
    EXPECT_EQ(s.client->state(), Psrp::RunspacePoolState::Closed);
}

TEST(DriverReplay, MultipleCommandsDecryptTheSecureStringWithTheExchangedKey)
{
    PSREMOTE_REQUIRE_SHARED();
    const RecordedClient recorded = recordedClient(u"test_psrp_multiple_commands.yml"_s);
    ASSERT_TRUE(recorded.error.isEmpty()) << recorded.error.toStdString();
    ASSERT_EQ(recorded.pipelines.size(), 1);
    auto key = pypsrpKey();
    ASSERT_TRUE(key.ok()) << key.error().detail.toStdString();
    auto server = replayServer(u"test_psrp_multiple_commands.yml"_s);
    ASSERT_TRUE(server);
    ReplaySession s(optionsFor(server->url()), std::move(key.value()));
    ASSERT_TRUE(s.open()) << s.why();
    ASSERT_TRUE(runUntil([&] { return s.keyReady || s.closed; }) && s.keyReady) << s.why();
    EXPECT_TRUE(s.client->canUseSecureString());
    const QUuid pid = s.run(recorded.pipelines.first());
    ASSERT_FALSE(pid.isNull()) << s.why();
    EXPECT_EQ(s.stateOf(pid), PSInvocationState::Completed);
    const QStringList outputs = s.outputStrings();
    ASSERT_EQ(outputs.size(), 7) << outputs.join(u"|"_s).toStdString();
    EXPECT_EQ(outputs.at(0), u"Hello World"_s);
    EXPECT_EQ(outputs.at(1), u"secure:abc"_s);
    EXPECT_EQ(outputs.at(2), u"\u3053\u3093\u306B\u3061\u306F - actual_x000A_string\nnewline: \U00010437"_s);
    EXPECT_EQ(outputs.mid(3), (QStringList{u"hi\""_s, u"win-nnmu24vvkj0\\vagrant"_s, u"123"_s, u"winrm"_s}));
    EXPECT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
}
