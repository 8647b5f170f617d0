// Wsman::RunspacePoolClient itself (not a test-local driver) against real Windows recordings
// served by the loopback endpoint's replay engine: open/close, pipeline input, host calls answered
// with what the recording's client answered, and the key exchange with pypsrp's fixed RSA key
// followed by SecureString decryption.
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

namespace {

// Spins the event loop until `done` holds or a 10 s guard fires; false on the guard.
bool runUntil(const std::function<bool()> &done, int guardMs = 10000)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    QTimer poll;
    bool timedOut = false;
    QObject::connect(&guard, &QTimer::timeout, &loop, [&] { timedOut = true; loop.quit(); });
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    guard.start(guardMs);
    poll.start(2);
    loop.exec();
    return !timedOut && done();
}

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
    config.user = u"alice"_s;
    config.password = u"s3cret"_s;
    auto server = std::make_unique<LoopbackServer>(std::move(config));
    QString error;
    if (!server->listen(&error)) {
        ADD_FAILURE() << error.toStdString();
        return nullptr;
    }
    return server;
}

ClientOptions optionsFor(const QUrl &url)
{
    ClientOptions o;
    o.connection.connectionUri = url.toString();
    o.sessionOption.noEncryption = true;
    o.sessionOption.uiCulture = u"en-US"_s;
    o.sessionOption.culture = u"en-US"_s;
    o.authenticatorFactory = basicAuthenticatorFactory(u"alice"_s, Secret(u"s3cret"_s));
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

// A client plus everything its signals reported. With `key`, the key exchange starts as soon as
// the pool is open (inside opened(), before the driver's next pool Receive goes out, as pypsrp
// did); with `answers`, every non-void host call is answered with the recorded response.
struct Session {
    std::unique_ptr<RunspacePoolClient> client;
    bool opened = false;
    bool closed = false;
    bool keyReady = false;
    QList<ClientError> failures;
    QList<ClientError> pipelineErrors;
    QList<Psrp::Value> output;
    QHash<QUuid, PSInvocationState> finished;
    QList<Psrp::HostMethodId> hostCalls;
    QStringList unanswered;
    int answered = 0;

    Session(ClientOptions options, std::optional<Psrp::SessionKey> key = std::nullopt,
            QHash<qint64, Psrp::HostResponse> answers = {})
        : client(std::make_unique<RunspacePoolClient>(std::move(options)))
    {
        RunspacePoolClient *c = client.get();
        auto sharedKey = std::make_shared<std::optional<Psrp::SessionKey>>(std::move(key));
        QObject::connect(c, &RunspacePoolClient::opened, [this, c, sharedKey] {
            opened = true;
            if (*sharedKey) {
                if (const auto r = c->exchangeKey(std::move(**sharedKey)); !r)
                    ADD_FAILURE() << "exchangeKey: " << r.error().detail.toStdString();
                sharedKey->reset();
            }
        });
        QObject::connect(c, &RunspacePoolClient::closed, [this] { closed = true; });
        QObject::connect(c, &RunspacePoolClient::sessionKeyReady, [this] { keyReady = true; });
        QObject::connect(c, &RunspacePoolClient::failed, [this](const ClientError &e) { failures.append(e); });
        QObject::connect(c, &RunspacePoolClient::pipelineError,
                         [this](const QUuid &, const ClientError &e) { pipelineErrors.append(e); });
        QObject::connect(c, &RunspacePoolClient::pipelineOutput,
                         [this](const QUuid &, const Psrp::Value &v) { output.append(v); });
        QObject::connect(c, &RunspacePoolClient::pipelineFinished,
                         [this](const QUuid &id, PSInvocationState s, const std::optional<Psrp::ErrorRecord> &) {
                             finished.insert(id, s);
                         });
        QObject::connect(c, &RunspacePoolClient::hostCall,
                         [this, c, answers = std::move(answers)](const QUuid &id, const Psrp::HostCall &call) {
                             hostCalls.append(call.methodId);
                             if (call.isVoid())
                                 return;
                             const auto it = answers.constFind(call.callId);
                             if (it == answers.cend()) {
                                 unanswered.append(QString::number(call.callId));
                                 return;
                             }
                             if (const auto r = c->respondToHostCall(id, *it); r)
                                 ++answered;
                             else
                                 ADD_FAILURE() << "respondToHostCall: " << r.error().detail.toStdString();
                         });
    }

    std::string why() const
    {
        QStringList lines;
        for (const auto &e : failures)
            lines.append(u"failed: "_s + e.detail);
        for (const auto &e : pipelineErrors)
            lines.append(u"pipelineError: "_s + e.detail);
        return lines.join(u"\n"_s).toStdString();
    }
    bool open()
    {
        client->open();
        return runUntil([this] { return opened || closed; }) && opened;
    }
    bool close()
    {
        client->close();
        return runUntil([this] { return closed; });
    }
    // Runs `request` to its end; the pipeline id (null on a refused invoke or a guard timeout).
    QUuid run(const Psrp::CreatePipeline &request)
    {
        const auto id = client->invoke(request);
        if (!id) {
            ADD_FAILURE() << id.error().detail.toStdString();
            return {};
        }
        const QUuid pid = id.value();
        if (!runUntil([this, pid] { return finished.contains(pid) || closed; }) || !finished.contains(pid))
            return {};
        return pid;
    }
    // Output as text; a SecureString is decrypted with the session key and marked "secure:".
    QStringList outputStrings() const
    {
        QStringList out;
        for (const auto &v : output) {
            if (const auto *secure = std::get_if<Psrp::SecureString>(&v.variant())) {
                const auto text = client->decryptSecureString(*secure);
                out.append(text ? u"secure:"_s + *text : u"secure?"_s + text.error().detail);
            } else if (const auto s = v.toString()) {
                out.append(*s);
            } else if (const auto n = v.toInteger()) {
                out.append(QString::number(*n));
            } else if (const auto *o = v.object()) {
                out.append(o->toString ? *o->toString : u"type:"_s + o->typeNames.value(0));
            } else {
                out.append(u"?"_s);
            }
        }
        return out;
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
    EXPECT_EQ(s.finished.value(*id), PSInvocationState::Completed);
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
    Session s(optionsFor(server->url()), std::move(key.value()), recorded.hostResponses);
    ASSERT_TRUE(s.open()) << s.why();
    // The recorded ReadLineAsSecureString answer is encrypted with the recorded session key.
    ASSERT_TRUE(runUntil([&] { return s.keyReady || s.closed; }) && s.keyReady) << s.why();
    const QUuid pid = s.run(recorded.pipelines.first());
    ASSERT_FALSE(pid.isNull()) << s.why();
    EXPECT_EQ(s.finished.value(pid), PSInvocationState::Completed);
    EXPECT_TRUE(s.unanswered.isEmpty()) << s.unanswered.join(u","_s).toStdString();
    EXPECT_EQ(s.answered, 5);
    using Psrp::HostMethodId;
    for (const HostMethodId id : {HostMethodId::ReadLine, HostMethodId::ReadLineAsSecureString, HostMethodId::Prompt,
                                  HostMethodId::PromptForChoice, HostMethodId::PromptForCredential2})
        EXPECT_TRUE(s.hostCalls.contains(id)) << int(id);
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
    Session s(optionsFor(server->url()), std::move(key.value()));
    ASSERT_TRUE(s.open()) << s.why();
    ASSERT_TRUE(runUntil([&] { return s.keyReady || s.closed; }) && s.keyReady) << s.why();
    EXPECT_TRUE(s.client->canUseSecureString());
    const QUuid pid = s.run(recorded.pipelines.first());
    ASSERT_FALSE(pid.isNull()) << s.why();
    EXPECT_EQ(s.finished.value(pid), PSInvocationState::Completed);
    const QStringList outputs = s.outputStrings();
    ASSERT_EQ(outputs.size(), 7) << outputs.join(u"|"_s).toStdString();
    EXPECT_EQ(outputs.at(0), u"Hello World"_s);
    EXPECT_EQ(outputs.at(1), u"secure:abc"_s);
    EXPECT_EQ(outputs.at(2), u"\u3053\u3093\u306B\u3061\u306F - actual_x000A_string\nnewline: \U00010437"_s);
    EXPECT_EQ(outputs.mid(3), (QStringList{u"hi\""_s, u"win-nnmu24vvkj0\\vagrant"_s, u"123"_s, u"winrm"_s}));
    EXPECT_TRUE(s.close());
    EXPECT_TRUE(s.failures.isEmpty()) << s.why();
}
