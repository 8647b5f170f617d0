// Psrp::ClientRunspacePool with fresh identifiers, over Wsman::Envelope and real loopback HTTP,
// against the endpoint's replay engine serving real Windows recordings: the engine maps the
// ShellId, CommandIds and the PSRP RPID/PID bytes between the client's and the recorded ones.
// The client follows the recording's request order, producing its own PSRP bytes; only host
// responses and pipeline input are taken from what pypsrp sent.
#include "LoopbackServer.h"
#include "SharedData.h"
#include "Transcript.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"
#include "psrp/RunspacePool.h"
#include "psrp/SessionKey.h"
#include "wsman/Envelope.h"
#include "wsman/ServerEnvelope.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;

namespace {

struct Reply {
    int status = 0;
    QByteArray body;
};

// One request at a time over a plain QNetworkAccessManager; a 10 s guard fails instead of hanging.
Reply post(QNetworkAccessManager &manager, const QUrl &url, const QByteArray &body)
{
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/soap+xml;charset=UTF-8"));
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    QNetworkReply *reply = manager.post(request, body);
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    guard.start(10000);
    loop.exec();
    Reply out{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    reply->abort();
    reply->deleteLater();
    return out;
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

struct Outcome {
    QList<Psrp::RunspacePoolState> poolStates;
    QList<Psrp::PSInvocationState> pipelineStates;
    QList<Psrp::Value> outputs;
    QStringList decryptedSecureStrings;
    QList<Psrp::HostMethodId> hostCalls;
    bool sessionKeyReady = false;
    int answered = 0;
    QStringList failures;
};

// Replays `file` with a client pool of fresh ids, following the recorded request order.
Outcome replay(const QString &file, std::optional<Psrp::SessionKey> key = std::nullopt)
{
    Outcome outcome;
    const QString path = TestSupport::windowsTranscriptsDir() + u'/' + file;
    TestServer::ServerConfig config;
    config.engine = TestServer::EngineKind::Replay;
    config.replayFile = path;
    TestServer::LoopbackServer server(config);
    QString error;
    if (!server.listen(&error)) {
        outcome.failures.append(error);
        return outcome;
    }
    const auto transcript = TestSupport::loadTranscript(path, &error);
    if (!transcript) {
        outcome.failures.append(error);
        return outcome;
    }
    QNetworkAccessManager manager;
    Wsman::RequestContext context;
    context.to = server.url().toString();
    context.sessionId = QUuid::createUuid();

    const QUuid poolId = QUuid::createUuid();
    Psrp::ClientRunspacePool pool(poolId, 1, 1, Psrp::HostInfo::console(120, 50));
    QHash<QString, QUuid> pipelines; // recorded CommandId -> client pipeline id
    QUuid lastPipeline;
    auto nextData = [&] { return pool.dataToSend(pool.maxPayloadSize()); };
    auto fail = [&](const QString &what) { outcome.failures.append(what); };
    auto drain = [&] {
        while (auto e = pool.nextEvent()) {
            if (e->kind == Psrp::Event::Kind::PoolStateChanged)
                outcome.poolStates.append(e->poolState);
            else if (e->kind == Psrp::Event::Kind::PipelineStateChanged)
                outcome.pipelineStates.append(e->pipelineState);
            else if (e->kind == Psrp::Event::Kind::SessionKeyReady)
                outcome.sessionKeyReady = true;
            else if (e->payload) {
                if (const auto *o = std::get_if<Psrp::PipelineOutput>(&*e->payload)) {
                    outcome.outputs.append(o->value);
                    if (const auto *ss = std::get_if<Psrp::SecureString>(&o->value.variant()))
                        if (const auto text = pool.decryptSecureString(*ss); text.ok())
                            outcome.decryptedSecureStrings.append(*text);
                }
                if (const auto *h = std::get_if<Psrp::PipelineHostCall>(&*e->payload))
                    outcome.hostCalls.append(h->methodId);
            }
        }
    };
    auto exchange = [&](const QByteArray &body) -> std::optional<QByteArray> {
        const Reply reply = post(manager, server.url(), body);
        if (reply.status != 200) {
            fail(u"HTTP %1: %2"_s.arg(reply.status).arg(QString::fromUtf8(reply.body.left(600))));
            return std::nullopt;
        }
        ++outcome.answered;
        return reply.body;
    };

    for (const auto &recorded : transcript->exchanges) {
        if (!outcome.failures.isEmpty())
            break;
        const auto request = Wsman::parseServerRequest(recorded.request.toUtf8());
        if (!request) {
            fail(request.error().detail);
            break;
        }
        const QUuid pipeline = pipelines.value(request->commandId.toUpper());
        const QUuid messageId = QUuid::createUuid();
        switch (request->action) {
        case Wsman::Action::Create: {
            if (!pool.open().ok())
                fail(u"open"_s);
            const auto data = nextData();
            if (!data) {
                fail(u"no creationXml"_s);
                break;
            }
            Wsman::CreateRequest create;
            create.shellId = poolId;
            create.creationXml = data->data;
            const auto body = exchange(Wsman::buildCreate(context, messageId, create));
            if (body) {
                const auto created = Wsman::parseCreateResponse(*body);
                if (!created.ok() || QUuid(created->shellId) != poolId)
                    fail(u"CreateResponse does not name the client's ShellId"_s);
            }
            break;
        }
        case Wsman::Action::Receive: {
            const auto body = exchange(Wsman::buildReceive(context, messageId, poolId, pipeline));
            if (!body)
                break;
            const auto received = Wsman::parseReceiveResponse(*body);
            if (!received.ok()) {
                fail(received.error().detail);
                break;
            }
            if (received->commandState && QUuid(received->commandState->commandId) != pipeline)
                fail(u"CommandState names "_s + received->commandState->commandId);
            for (const auto &stream : received->streams) {
                if (QUuid(stream.commandId) != pipeline)
                    fail(u"stream for "_s + stream.commandId);
                if (const auto fed = pool.receiveData(stream.data); !fed.ok())
                    fail(u"receiveData: "_s + fed.error().detail);
            }
            drain();
            break;
        }
        case Wsman::Action::Command: {
            // The recorded CREATE_PIPELINE, re-sent by this client under its own pipeline id.
            const auto payloads = payloadsOf(request->arguments);
            const auto *create = payloads.isEmpty() ? nullptr : std::get_if<Psrp::CreatePipeline>(&payloads.first());
            if (!create) {
                fail(u"recorded Command without CREATE_PIPELINE"_s);
                break;
            }
            const auto id = pool.createPipeline(*create);
            const auto data = nextData();
            if (!id.ok() || !data) {
                fail(u"createPipeline"_s);
                break;
            }
            pipelines.insert(request->commandId.toUpper(), *id);
            lastPipeline = *id;
            const auto body = exchange(Wsman::buildCommand(context, messageId, poolId, *id, data->data));
            if (body) {
                const auto response = Wsman::parseCommandResponse(*body);
                if (!response.ok() || QUuid(response->commandId) != *id)
                    fail(u"CommandResponse does not name the client's CommandId"_s);
            }
            break;
        }
        case Wsman::Action::Send: {
            const Wsman::StreamData recordedStream = request->streams.value(0);
            // pypsrp sends host responses without a CommandId: the PID inside names the pipeline.
            const QUuid target = recordedStream.commandId.isEmpty() ? lastPipeline
                                                                    : pipelines.value(recordedStream.commandId.toUpper());
            for (const auto &payload : payloadsOf(recordedStream.data)) {
                if (std::holds_alternative<Psrp::PublicKey>(payload)) {
                    if (!pool.exchangeKey(std::move(key)).ok())
                        fail(u"exchangeKey"_s);
                } else if (const auto *input = std::get_if<Psrp::PipelineInput>(&payload)) {
                    if (!pool.sendInput(target, input->value).ok())
                        fail(u"sendInput"_s);
                } else if (std::holds_alternative<Psrp::EndOfPipelineInput>(payload)) {
                    if (!pool.endInput(target).ok())
                        fail(u"endInput"_s);
                } else if (const auto *response = std::get_if<Psrp::PipelineHostResponse>(&payload)) {
                    if (const auto answered = pool.hostResponse(target, *response); !answered.ok())
                        fail(u"hostResponse: "_s + answered.error().detail);
                } else {
                    fail(u"unexpected recorded Send payload"_s);
                }
            }
            QList<Wsman::StreamData> streams;
            while (auto data = nextData())
                streams.append(Wsman::StreamData{data->stream, data->pipelineId.isNull() ? QString() : Wsman::guidText(data->pipelineId), data->data});
            if (streams.isEmpty()) {
                fail(u"nothing to send"_s);
                break;
            }
            (void)exchange(Wsman::buildSend(context, messageId, poolId, streams));
            break;
        }
        case Wsman::Action::Delete:
            if (!pool.close().ok())
                fail(u"close"_s);
            if (exchange(Wsman::buildDelete(context, messageId, poolId)) && !pool.closed().ok())
                fail(u"closed"_s);
            drain();
            break;
        default:
            fail(u"the test does not replay "_s + Wsman::actionName(request->action));
        }
    }
    return outcome;
}

QStringList strings(const QList<Psrp::Value> &values)
{
    QStringList out;
    for (const auto &v : values) {
        if (const auto s = v.toString())
            out.append(*s);
        else if (const auto n = v.toInteger())
            out.append(QString::number(*n));
        else if (const auto *o = v.object(); o && o->toString)
            out.append(*o->toString);
        else
            out.append(u"?"_s + QString::number(int(v.kind())) + (v.object() ? v.object()->typeNames.value(0) : QString()));
    }
    return out;
}

} // namespace

TEST(Replay, OpenRunspaceWithFreshIdentifiers)
{
    PSREMOTE_REQUIRE_SHARED();
    const Outcome o = replay(u"test_psrp_open_runspace.yml"_s);
    ASSERT_TRUE(o.failures.isEmpty()) << o.failures.join(u"\n"_s).toStdString();
    EXPECT_TRUE(o.poolStates.contains(Psrp::RunspacePoolState::Opened));
    EXPECT_EQ(o.poolStates.value(o.poolStates.size() - 1), Psrp::RunspacePoolState::Closed);
}

TEST(Replay, WithInputReachesCompletedWithTheRecordedOutput)
{
    PSREMOTE_REQUIRE_SHARED();
    const Outcome o = replay(u"test_psrp_with_input.yml"_s);
    ASSERT_TRUE(o.failures.isEmpty()) << o.failures.join(u"\n"_s).toStdString();
    EXPECT_TRUE(o.poolStates.contains(Psrp::RunspacePoolState::Opened));
    EXPECT_EQ(o.pipelineStates.value(o.pipelineStates.size() - 1), Psrp::PSInvocationState::Completed);
    // The recorded script echoes its input: 1, 2, a hashtable and an array.
    ASSERT_EQ(o.outputs.size(), 4) << strings(o.outputs).join(u"|"_s).toStdString();
    EXPECT_EQ(strings(o.outputs.mid(0, 2)), (QStringList{u"1"_s, u"2"_s}));
    ASSERT_NE(o.outputs.at(2).object(), nullptr);
    EXPECT_EQ(o.outputs.at(2).object()->typeNames.value(0), u"Deserialized.System.Collections.Hashtable"_s);
    ASSERT_NE(o.outputs.at(3).object(), nullptr);
    EXPECT_EQ(o.outputs.at(3).object()->typeNames.value(0), u"Deserialized.System.Object[]"_s);
}

TEST(Replay, PsHostUiMockedMethodsAnswersEveryHostCall)
{
    PSREMOTE_REQUIRE_SHARED();
    auto key = Psrp::SessionKey::createClientFromPem(
        TestSupport::readFile(TestSupport::sharedDir() + u"/transcripts/pypsrp_test_rsa_key.pem"_s));
    ASSERT_TRUE(key.ok()) << key.error().detail.toStdString();
    const Outcome o = replay(u"test_psrp_pshost_ui_mocked_methods.yml"_s, std::move(key.value()));
    ASSERT_TRUE(o.failures.isEmpty()) << o.failures.join(u"\n"_s).toStdString();
    EXPECT_EQ(o.pipelineStates.value(o.pipelineStates.size() - 1), Psrp::PSInvocationState::Completed);
    using Psrp::HostMethodId;
    for (const HostMethodId id : {HostMethodId::ReadLine, HostMethodId::ReadLineAsSecureString, HostMethodId::Prompt,
                                  HostMethodId::PromptForChoice})
        EXPECT_TRUE(o.hostCalls.contains(id)) << int(id);
    // The script outputs what the (recorded) host answered.
    const QStringList outputs = strings(o.outputs);
    ASSERT_EQ(outputs.size(), 5) << outputs.join(u"|"_s).toStdString();
    EXPECT_EQ(outputs.at(0), u"ReadLine response"_s);
    EXPECT_EQ(o.outputs.at(1).kind(), Psrp::Value::Kind::SecureString);
    EXPECT_EQ(o.decryptedSecureStrings.size(), 1);
    EXPECT_TRUE(outputs.at(2).contains(u"Dictionary"_s));
    EXPECT_EQ(outputs.at(3), u"System.Management.Automation.PSCredential"_s);
    EXPECT_EQ(outputs.at(4), u"1"_s);
}

TEST(Replay, MultipleCommandsWithTheRecordedSessionKey)
{
    PSREMOTE_REQUIRE_SHARED();
    const QByteArray pem = TestSupport::readFile(TestSupport::sharedDir() + u"/transcripts/pypsrp_test_rsa_key.pem"_s);
    ASSERT_FALSE(pem.isEmpty());
    auto key = Psrp::SessionKey::createClientFromPem(pem);
    ASSERT_TRUE(key.ok()) << key.error().detail.toStdString();
    const Outcome o = replay(u"test_psrp_multiple_commands.yml"_s, std::move(key.value()));
    ASSERT_TRUE(o.failures.isEmpty()) << o.failures.join(u"\n"_s).toStdString();
    EXPECT_TRUE(o.sessionKeyReady);
    EXPECT_EQ(o.pipelineStates.value(o.pipelineStates.size() - 1), Psrp::PSInvocationState::Completed);
    const QStringList outputs = strings(o.outputs);
    ASSERT_EQ(outputs.size(), 7) << outputs.join(u"|"_s).toStdString();
    EXPECT_EQ(outputs.at(0), u"Hello World"_s);
    EXPECT_EQ(outputs.at(2), u"\u3053\u3093\u306B\u3061\u306F - actual_x000A_string\nnewline: \U00010437"_s);
    EXPECT_EQ(outputs.mid(3), (QStringList{u"hi\""_s, u"win-nnmu24vvkj0\\vagrant"_s, u"123"_s, u"winrm"_s}));
    // The SecureString decrypts with the session key from the recorded ENCRYPTED_SESSION_KEY.
    EXPECT_EQ(o.decryptedSecureStrings.size(), 1);
}
