#include "psrp/Pipeline.h"
#include "psrp/RunspacePool.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"

#include <gtest/gtest.h>

#include <set>

using namespace Psrp;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr RunspacePoolState AllPoolStates[] = {
    RunspacePoolState::BeforeOpen, RunspacePoolState::Opening, RunspacePoolState::Opened,
    RunspacePoolState::Closed, RunspacePoolState::Closing, RunspacePoolState::Broken,
    RunspacePoolState::NegotiationSent, RunspacePoolState::NegotiationSucceeded,
    RunspacePoolState::Connecting, RunspacePoolState::Disconnected};
constexpr PSInvocationState AllPipelineStates[] = {
    PSInvocationState::NotStarted, PSInvocationState::Running, PSInvocationState::Stopping,
    PSInvocationState::Stopped, PSInvocationState::Completed, PSInvocationState::Failed,
    PSInvocationState::Disconnected};

// Moves every queued payload between the two engines until both are quiet.
void pump(RunspacePoolEngine &a, RunspacePoolEngine &b, qsizetype maxPayload = 4096)
{
    for (int guard = 0; guard < 100000 && (a.hasDataToSend() || b.hasDataToSend()); ++guard) {
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

void drain(RunspacePoolEngine &e)
{
    while (e.nextEvent()) {
    }
}

// One server-to-client message as a single payload.
QByteArray serverPayload(const QUuid &pool, const Payload &payload, const QUuid &pipeline = {},
                         quint64 objectId = 1)
{
    Message m;
    m.destination = Destination::Client;
    m.type = messageTypeOf(payload);
    m.runspacePoolId = pool;
    m.pipelineId = pipeline;
    m.data = encodePayloadData(payload);
    return encodeFragments(fragmentMessage(objectId, encodeMessage(m), 1 << 20));
}

struct OpenedPair {
    ClientRunspacePool client;
    ServerRunspacePool server;
    explicit OpenedPair(const QVersionNumber &serverVersion = ProtocolVersions::v2_3())
        : server({}, serverVersion)
    {
    }
    void open()
    {
        ASSERT_TRUE(client.open().ok());
        pump(client, server);
        ASSERT_EQ(client.state(), RunspacePoolState::Opened);
        drain(client);
        drain(server);
    }
};

} // namespace

TEST(RunspacePoolTransitions, TableMatchesDocumentedEdges)
{
    using S = RunspacePoolState;
    const std::set<std::pair<S, S>> allowed = {
        {S::BeforeOpen, S::Opening}, {S::BeforeOpen, S::Connecting},
        {S::BeforeOpen, S::NegotiationSucceeded}, {S::BeforeOpen, S::Broken},
        {S::BeforeOpen, S::Closed}, {S::Opening, S::NegotiationSucceeded}, {S::Opening, S::Opened},
        {S::Opening, S::Broken}, {S::Opening, S::Closed}, {S::NegotiationSucceeded, S::Opening},
        {S::NegotiationSucceeded, S::Opened}, {S::NegotiationSucceeded, S::Broken},
        {S::NegotiationSucceeded, S::Closed}, {S::Connecting, S::NegotiationSucceeded},
        {S::Connecting, S::Opened}, {S::Connecting, S::Broken}, {S::Connecting, S::Closed},
        {S::Opened, S::Closing}, {S::Opened, S::Closed}, {S::Opened, S::Broken},
        {S::Opened, S::Disconnected}, {S::Closing, S::Closed}, {S::Closing, S::Broken},
        {S::Disconnected, S::Connecting}, {S::Disconnected, S::Closed}, {S::Disconnected, S::Broken}};
    int rejected = 0;
    for (S from : AllPoolStates) {
        for (S to : AllPoolStates) {
            const bool expected = allowed.count({from, to}) != 0;
            EXPECT_EQ(isAllowedTransition(from, to), expected)
                << enumText(from).toStdString() << " -> " << enumText(to).toStdString();
            rejected += expected ? 0 : 1;
        }
    }
    EXPECT_EQ(rejected, 100 - int(allowed.size()));
}

TEST(PipelineTransitions, TableMatchesDocumentedEdges)
{
    using S = PSInvocationState;
    const std::set<std::pair<S, S>> allowed = {
        {S::NotStarted, S::Running}, {S::NotStarted, S::Failed}, {S::NotStarted, S::Stopped},
        {S::Running, S::Stopping}, {S::Running, S::Stopped}, {S::Running, S::Completed},
        {S::Running, S::Failed}, {S::Running, S::Disconnected}, {S::Stopping, S::Stopped},
        {S::Stopping, S::Completed}, {S::Stopping, S::Failed}, {S::Disconnected, S::Running},
        {S::Disconnected, S::Stopped}, {S::Disconnected, S::Failed}};
    for (S from : AllPipelineStates) {
        for (S to : AllPipelineStates) {
            EXPECT_EQ(isAllowedTransition(from, to), allowed.count({from, to}) != 0)
                << enumText(from).toStdString() << " -> " << enumText(to).toStdString();
        }
    }
    for (S terminal : {S::Stopped, S::Completed, S::Failed})
        EXPECT_TRUE(isTerminal(terminal));
    EXPECT_FALSE(isTerminal(S::Running));
}

TEST(PipelineTransitions, RejectedTransitionIsInvalidStateAndKeepsState)
{
    Pipeline p(QUuid::createUuid());
    EXPECT_EQ(p.transitionTo(PSInvocationState::Completed).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(p.state(), PSInvocationState::NotStarted);
    ASSERT_TRUE(p.transitionTo(PSInvocationState::Running).ok());
    ASSERT_TRUE(p.transitionTo(PSInvocationState::Completed).ok());
    Result<void> again = p.transitionTo(PSInvocationState::Running);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::InvalidState);
    EXPECT_EQ(p.state(), PSInvocationState::Completed);
}

TEST(RunspacePoolTransitions, ClientRejectsOperationsInWrongState)
{
    ClientRunspacePool client;
    Result<QUuid> early = client.createPipeline(CreatePipeline{});
    ASSERT_FALSE(early.ok());
    EXPECT_EQ(early.error().code, ErrorCode::InvalidState);
    EXPECT_EQ(client.close().error().code, ErrorCode::InvalidState);
    EXPECT_EQ(client.setMaxRunspaces(2).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(client.exchangeKey().error().code, ErrorCode::InvalidState);
    ASSERT_TRUE(client.open().ok());
    Result<void> twice = client.open();
    ASSERT_FALSE(twice.ok());
    EXPECT_EQ(twice.error().code, ErrorCode::InvalidState);
    EXPECT_EQ(client.state(), RunspacePoolState::Opening);
    EXPECT_EQ(client.connect().error().code, ErrorCode::InvalidState);
}

TEST(RunspacePoolMessages, ClientRejectsWrongStateMessages)
{
    const QUuid pool = QUuid::createUuid();
    {
        ClientRunspacePool client(pool);
        Result<void> r = client.receiveData(serverPayload(pool, SessionCapability{}));
        ASSERT_FALSE(r.ok()); // not opened yet
        EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
        EXPECT_EQ(client.state(), RunspacePoolState::BeforeOpen);
    }
    {
        ClientRunspacePool client(pool);
        ASSERT_TRUE(client.open().ok());
        Result<void> r = client.receiveData(serverPayload(pool, RunspacePoolStateInfo{RunspacePoolState::Opened, {}}));
        ASSERT_FALSE(r.ok()); // before SESSION_CAPABILITY
        EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
        r = client.receiveData(serverPayload(pool, ApplicationPrivateData{}));
        EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
        EXPECT_EQ(client.state(), RunspacePoolState::Opening);
    }
    {
        ClientRunspacePool client(pool);
        ASSERT_TRUE(client.open().ok());
        Result<void> r = client.receiveData(serverPayload(QUuid::createUuid(), SessionCapability{}));
        ASSERT_FALSE(r.ok()); // another pool's RPID
        EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
    }
    OpenedPair pair;
    pair.open();
    const QUuid id = pair.client.id();
    const QUuid unknown = QUuid::createUuid();
    Result<void> r = pair.client.receiveData(serverPayload(id, PipelineOutput{Value(u"x"_s)}, unknown, 50));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
    r = pair.client.receiveData(serverPayload(id, EncryptedSessionKey{QByteArray(12, 'x')}, {}, 51));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // no PUBLIC_KEY sent
    r = pair.client.receiveData(serverPayload(id, SessionCapability{}, {}, 52));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // second capability
    r = pair.client.receiveData(serverPayload(id, RunspaceAvailability{true, 99}, {}, 53));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // no request 99
    r = pair.client.receiveData(serverPayload(id, RunspacePoolStateInfo{RunspacePoolState::Opening, {}}, {}, 54));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // Opened -> Opening
    EXPECT_EQ(pair.client.state(), RunspacePoolState::Opened);

    // A client-to-server message type arriving at the client.
    Message m;
    m.destination = Destination::Client;
    m.type = MessageType::CreatePipeline;
    m.runspacePoolId = id;
    m.pipelineId = QUuid::createUuid();
    m.data = encodePayloadData(CreatePipeline{});
    r = pair.client.receiveData(encodeFragments(fragmentMessage(60, encodeMessage(m), 1 << 20)));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);

    // A pipeline state that its pipeline cannot take.
    Result<QUuid> pid = pair.client.createPipeline(CreatePipeline{});
    ASSERT_TRUE(pid.ok());
    r = pair.client.receiveData(serverPayload(id, PipelineStateInfo{PSInvocationState::NotStarted, {}}, *pid, 61));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
    EXPECT_EQ(pair.client.pipelineState(*pid), PSInvocationState::Running);
    ASSERT_TRUE(pair.client.receiveData(serverPayload(id, PipelineStateInfo{PSInvocationState::Completed, {}}, *pid, 62)).ok());
    r = pair.client.receiveData(serverPayload(id, PipelineOutput{Value(qint32(1))}, *pid, 63));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // output after Completed
}

TEST(RunspacePoolMessages, ClientOperationErrors)
{
    OpenedPair pair;
    pair.open();
    Result<QUuid> pid = pair.client.createPipeline(CreatePipeline{}); // noInput true
    ASSERT_TRUE(pid.ok());
    EXPECT_EQ(pair.client.sendInput(*pid, Value(qint32(1))).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(pair.client.endInput(*pid).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(pair.client.createPipeline(CreatePipeline{}, *pid).error().code, ErrorCode::InvalidState);
    HostResponse stray;
    stray.callId = 7;
    EXPECT_EQ(pair.client.hostResponse(*pid, stray).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(pair.client.hostResponse({}, stray).error().code, ErrorCode::InvalidState);
    stray.callId = VoidCallId;
    EXPECT_EQ(pair.client.hostResponse({}, stray).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(pair.client.stop(QUuid::createUuid()).error().code, ErrorCode::InvalidState);
}

TEST(RunspacePoolMessages, ServerRejectsWrongStateMessages)
{
    ClientRunspacePool client;
    ServerRunspacePool server;
    ASSERT_TRUE(client.open().ok());
    pump(client, server);
    const QUuid pool = client.id();
    EXPECT_EQ(server.id(), pool);

    auto clientPayload = [&](const Payload &payload, const QUuid &pipeline, quint64 objectId) {
        Message m;
        m.destination = Destination::Server;
        m.type = messageTypeOf(payload);
        m.runspacePoolId = pool;
        m.pipelineId = pipeline;
        m.data = encodePayloadData(payload);
        return encodeFragments(fragmentMessage(objectId, encodeMessage(m), 1 << 20));
    };
    Result<void> r = server.receiveData(clientPayload(InitRunspacePool{}, {}, 100));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // already opened
    r = server.receiveData(clientPayload(PipelineInput{Value(qint32(1))}, QUuid::createUuid(), 101));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // unknown pipeline
    PipelineHostResponse response;
    response.callId = 5;
    const QUuid pid = QUuid::createUuid();
    ASSERT_TRUE(server.receiveData(clientPayload(CreatePipeline{}, pid, 102)).ok());
    r = server.receiveData(clientPayload(response, pid, 103));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // no such host call
    r = server.receiveData(clientPayload(EndOfPipelineInput{}, pid, 104));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // NoInput pipeline
    r = server.receiveData(clientPayload(CreatePipeline{}, pid, 105));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // id in use

    ServerRunspacePool fresh;
    Message early;
    early.destination = Destination::Server;
    early.type = MessageType::InitRunspacePool;
    early.runspacePoolId = pool;
    early.data = encodePayloadData(InitRunspacePool{});
    r = fresh.receiveData(encodeFragments(fragmentMessage(1, encodeMessage(early), 1 << 20)));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // before SESSION_CAPABILITY
    EXPECT_EQ(fresh.state(), RunspacePoolState::BeforeOpen);

    EXPECT_EQ(server.setPipelineState(pid, PSInvocationState::Stopping).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(server.writeOutput(QUuid::createUuid(), Value()).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(server.write(pid, SessionCapability{}).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(server.runspaceAvailability(42, true).error().code, ErrorCode::InvalidState);
    ASSERT_TRUE(server.setPipelineState(pid, PSInvocationState::Completed).ok());
    EXPECT_EQ(server.setPipelineState(pid, PSInvocationState::Failed).error().code, ErrorCode::InvalidState);
    EXPECT_EQ(server.writeOutput(pid, Value()).error().code, ErrorCode::InvalidState);
}

class VersionNegotiation : public ::testing::TestWithParam<QVersionNumber> {};

TEST_P(VersionNegotiation, AdoptsServerVersionEnvelopeAndMergeGating)
{
    const QVersionNumber version = GetParam();
    OpenedPair pair(version);
    EXPECT_EQ(pair.client.maxEnvelopeSize(), SmallEnvelopeSize); // before the handshake
    pair.open();
    EXPECT_EQ(pair.client.peerProtocolVersion(), version);
    EXPECT_EQ(pair.server.peerProtocolVersion(), QVersionNumber(2, 3)); // client always says 2.3
    const bool large = version >= QVersionNumber(2, 2);
    EXPECT_EQ(pair.client.maxEnvelopeSize(), large ? 512000 : 153600);
    EXPECT_EQ(pair.client.maxPayloadSize(), maxFragmentPayloadSize(large ? 512000 : 153600));

    CreatePipeline create;
    Command cmd = Command::script(u"Write-Error x; Write-Information y"_s);
    cmd.mergeError = PipelineResultTypes::Output;
    cmd.mergeInformation = PipelineResultTypes::Output;
    create.powerShell.commands.append(cmd);
    Result<QUuid> pid = pair.client.createPipeline(create);
    ASSERT_TRUE(pid.ok());
    pump(pair.client, pair.server);
    std::optional<CreatePipeline> received;
    while (auto e = pair.server.nextEvent()) {
        if (e->kind == Event::Kind::Message && e->messageType == MessageType::CreatePipeline)
            received = std::get<CreatePipeline>(*e->payload);
    }
    ASSERT_TRUE(received.has_value());
    ASSERT_EQ(received->powerShell.commands.size(), 1);
    const Command &got = received->powerShell.commands.first();
    EXPECT_EQ(got.mergeError, large ? PipelineResultTypes::Output : PipelineResultTypes::None);
    EXPECT_EQ(got.mergeInformation,
              version >= QVersionNumber(2, 3) ? PipelineResultTypes::Output : PipelineResultTypes::None);

    Result<qint64> reset = pair.client.resetRunspaceState();
    if (version >= QVersionNumber(2, 3)) {
        EXPECT_TRUE(reset.ok());
    } else {
        ASSERT_FALSE(reset.ok());
        EXPECT_EQ(reset.error().code, ErrorCode::Unsupported);
    }
    // The client always runs the key exchange, also against 2.4 servers.
    EXPECT_FALSE(pair.client.canUseSecureString());
    EXPECT_EQ(pair.client.encryptSecureString(u"x").error().code, ErrorCode::InvalidState);
}

INSTANTIATE_TEST_SUITE_P(ServerVersions, VersionNegotiation,
                         ::testing::Values(QVersionNumber(2, 1), QVersionNumber(2, 2),
                                           QVersionNumber(2, 3), QVersionNumber(2, 4)),
                         [](const auto &p) {
                             return "v" + std::to_string(p.param.majorVersion()) + "_"
                                 + std::to_string(p.param.minorVersion());
                         });

TEST(VersionNegotiation, ServerWritesInformationOnlyToNewClients)
{
    OpenedPair pair;
    pair.open();
    Result<QUuid> pid = pair.client.createPipeline(CreatePipeline{});
    ASSERT_TRUE(pid.ok());
    pump(pair.client, pair.server);
    InformationRecord info;
    info.messageData = Value(u"hi"_s);
    EXPECT_TRUE(pair.server.write(*pid, info).ok()); // client announced 2.3
}

TEST(EnvelopeSize, FragmentPayloadFormula)
{
    EXPECT_EQ(maxEnvelopeSizeFor({}), 153600);
    EXPECT_EQ(maxEnvelopeSizeFor(QVersionNumber(2, 1)), 153600);
    EXPECT_EQ(maxEnvelopeSizeFor(QVersionNumber(2, 2)), 512000);
    EXPECT_EQ(maxFragmentPayloadSize(153600), (153600 - EnvelopeOverheadBytes) / 4 * 3);
    EXPECT_EQ(maxFragmentPayloadSize(512000), (512000 - EnvelopeOverheadBytes) / 4 * 3);
    // Base64 of the payload plus the overhead stays within the envelope.
    for (qsizetype env : {qsizetype(153600), qsizetype(512000), qsizetype(8192)}) {
        const qsizetype payload = maxFragmentPayloadSize(env);
        EXPECT_LE((payload + 2) / 3 * 4 + EnvelopeOverheadBytes, env);
    }
    EXPECT_GT(maxFragmentPayloadSize(100), FragmentHeaderSize);
}

TEST(FragmentPacking, PayloadsRespectLimitAndReassemble)
{
    ClientRunspacePool client;
    ASSERT_TRUE(client.open().ok());
    EXPECT_FALSE(client.dataToSend(FragmentHeaderSize).has_value());
    QList<OutgoingData> payloads;
    const qsizetype limit = 64;
    while (auto out = client.dataToSend(limit))
        payloads.append(*out);
    ASSERT_GT(payloads.size(), 5);
    EXPECT_EQ(payloads.first().firstMessageType, MessageType::SessionCapability);
    Defragmenter defrag;
    QList<quint64> objectIds;
    QList<QByteArray> messages;
    for (const OutgoingData &p : std::as_const(payloads)) {
        EXPECT_LE(p.data.size(), limit);
        EXPECT_TRUE(p.pipelineId.isNull());
        EXPECT_EQ(p.stream, u"stdin"_s);
        Result<QList<Fragment>> fragments = parseFragments(p.data);
        ASSERT_TRUE(fragments.ok());
        for (const Fragment &f : *fragments) {
            EXPECT_FALSE(f.blob.isEmpty());
            if (f.start && !objectIds.contains(f.objectId))
                objectIds.append(f.objectId);
        }
        Result<QList<QByteArray>> done = defrag.feed(p.data);
        ASSERT_TRUE(done.ok());
        messages += *done;
    }
    EXPECT_EQ(objectIds, (QList<quint64>{1, 2})); // one counter per pool, from 1
    ASSERT_EQ(messages.size(), 2);
    EXPECT_EQ(decodeMessage(messages[0])->type, MessageType::SessionCapability);
    EXPECT_EQ(decodeMessage(messages[1])->type, MessageType::InitRunspacePool);
}

TEST(FragmentPacking, SmallMessagesShareOnePayloadUntilFull)
{
    ClientRunspacePool client;
    ASSERT_TRUE(client.open().ok());
    auto out = client.dataToSend(1 << 20);
    ASSERT_TRUE(out.has_value());
    Result<QList<Fragment>> fragments = parseFragments(out->data);
    ASSERT_TRUE(fragments.ok());
    ASSERT_EQ(fragments->size(), 2); // SESSION_CAPABILITY + INIT_RUNSPACEPOOL, creationXml
    EXPECT_TRUE(fragments->at(0).start && fragments->at(0).end);
    EXPECT_FALSE(client.dataToSend(1 << 20).has_value());
}

TEST(FragmentPacking, CommandStartsOwnPayloadAndHostResponsesGoToPr)
{
    OpenedPair pair;
    pair.open();
    ASSERT_TRUE(pair.client.setMaxRunspaces(3).ok()); // pool message queued first
    CreatePipeline create;
    create.noInput = false;
    create.powerShell.commands.append(Command::script(u"$input"_s));
    Result<QUuid> pid = pair.client.createPipeline(create);
    ASSERT_TRUE(pid.ok());
    ASSERT_TRUE(pair.client.sendInput(*pid, Value(u"a"_s)).ok());
    ASSERT_TRUE(pair.client.endInput(*pid).ok());

    auto first = pair.client.dataToSend(1 << 20);
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(first->pipelineId.isNull());
    EXPECT_EQ(first->firstMessageType, MessageType::SetMaxRunspaces);
    auto command = pair.client.dataToSend(1 << 20);
    ASSERT_TRUE(command.has_value());
    EXPECT_EQ(command->pipelineId, *pid);
    EXPECT_EQ(command->firstMessageType, MessageType::CreatePipeline);
    EXPECT_EQ(parseFragments(command->data)->size(), 1); // CREATE_PIPELINE alone
    auto input = pair.client.dataToSend(1 << 20);
    ASSERT_TRUE(input.has_value());
    EXPECT_EQ(input->firstMessageType, MessageType::PipelineInput);
    EXPECT_EQ(parseFragments(input->data)->size(), 2);
    EXPECT_FALSE(pair.client.hasDataToSend());

    // Payloads of the command span several Sends: continuation payloads start nothing.
    ClientRunspacePool small;
    ASSERT_TRUE(small.open().ok());
    auto part1 = small.dataToSend(100);
    auto part2 = small.dataToSend(100);
    ASSERT_TRUE(part1 && part2);
    EXPECT_EQ(part1->firstMessageType, MessageType::SessionCapability);
    EXPECT_FALSE(part2->firstMessageType.has_value());
}

TEST(FragmentPacking, MaximumReceivedObjectSizeIsEnforced)
{
    ClientRunspacePool client;
    ASSERT_TRUE(client.open().ok());
    client.setMaxReceivedObjectSize(300);
    EXPECT_EQ(client.maxReceivedObjectSize(), 300);
    ApplicationPrivateData big;
    big.data = Value(QString(2000, u'x'));
    Result<void> r = client.receiveData(serverPayload(client.id(), big));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);
}

TEST(RunspacePoolMessages, ClientAcceptsServerCapabilityWithNullRpid)
{
    const QUuid pool = QUuid::createUuid();
    ClientRunspacePool client(pool);
    ASSERT_TRUE(client.open().ok());
    SessionCapability cap;
    cap.protocolVersion = QVersionNumber(2, 2);
    ASSERT_TRUE(client.receiveData(serverPayload(QUuid(), cap)).ok());
    EXPECT_EQ(client.state(), RunspacePoolState::NegotiationSucceeded);
    EXPECT_EQ(client.peerProtocolVersion(), QVersionNumber(2, 2));
    Result<void> r = client.receiveData(serverPayload(QUuid(), ApplicationPrivateData{}, {}, 2));
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage); // only the capability may omit it
}

TEST(VersionNegotiation, ServerUsesPlainSecureStringWithProtocol24Client)
{
    const QUuid pool = QUuid::createUuid();
    ServerRunspacePool server(pool, ProtocolVersions::v2_4());
    SessionCapability cap;
    cap.protocolVersion = ProtocolVersions::v2_4();
    Message m;
    m.destination = Destination::Server;
    m.type = MessageType::SessionCapability;
    m.runspacePoolId = pool;
    m.data = encodePayloadData(cap);
    ASSERT_TRUE(server.receiveData(encodeFragments(fragmentMessage(1, encodeMessage(m), 4096))).ok());
    ASSERT_TRUE(server.canUseSecureString());
    Result<SecureString> ss = server.encryptSecureString(u"pw");
    ASSERT_TRUE(ss.ok());
    EXPECT_EQ(ss->bytes, plainSecureStringBytes(u"pw"));
    EXPECT_EQ(*server.decryptSecureString(*ss), u"pw"_s);

    ServerRunspacePool older(pool, ProtocolVersions::v2_4()); // a 2.3 client: exchange needed
    cap.protocolVersion = ProtocolVersions::v2_3();
    m.data = encodePayloadData(cap);
    ASSERT_TRUE(older.receiveData(encodeFragments(fragmentMessage(1, encodeMessage(m), 4096))).ok());
    EXPECT_FALSE(older.canUseSecureString());
    EXPECT_EQ(older.encryptSecureString(u"pw").error().code, ErrorCode::InvalidState);
}

namespace {

QByteArray clientPayload(const QUuid &pool, const Payload &payload, quint64 objectId)
{
    Message m;
    m.destination = Destination::Server;
    m.type = messageTypeOf(payload);
    m.runspacePoolId = pool;
    m.data = encodePayloadData(payload);
    return encodeFragments(fragmentMessage(objectId, encodeMessage(m), 1 << 20));
}

bool hasEvent(RunspacePoolEngine &e, Event::Kind kind)
{
    bool found = false;
    while (auto event = e.nextEvent())
        found = found || event->kind == kind;
    return found;
}

void discardOutgoing(RunspacePoolEngine &e)
{
    while (e.dataToSend(1 << 20)) {
    }
}

} // namespace

TEST(RunspacePoolMessages, EveryMessageOfAPayloadIsProcessedAndTheFirstErrorReturned)
{
    OpenedPair pair;
    pair.open();
    const QUuid id = pair.client.id();
    Result<QUuid> pid = pair.client.createPipeline(CreatePipeline{});
    ASSERT_TRUE(pid.ok());
    // Output for a pipeline nobody knows, then the real pipeline's end, in one payload.
    const QByteArray payload = serverPayload(id, PipelineOutput{Value(u"x"_s)}, QUuid::createUuid(), 80)
                               + serverPayload(id, PipelineOutput{Value(u"y"_s)}, *pid, 81)
                               + serverPayload(id, PipelineStateInfo{PSInvocationState::NotStarted, {}}, *pid, 82)
                               + serverPayload(id, PipelineStateInfo{PSInvocationState::Completed, {}}, *pid, 83);
    Result<void> r = pair.client.receiveData(payload);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
    EXPECT_TRUE(r.error().detail.contains(u"PIPELINE_OUTPUT"_s)) << r.error().detail.toStdString(); // the first
    EXPECT_EQ(pair.client.pipelineState(*pid), PSInvocationState::Completed);
    int outputs = 0;
    while (auto event = pair.client.nextEvent())
        outputs += event->kind == Event::Kind::Message && event->messageType == MessageType::PipelineOutput ? 1 : 0;
    EXPECT_EQ(outputs, 1);
}

TEST(RunspacePoolKeyExchange, FailedExchangeCanBeRetried)
{
    OpenedPair pair;
    pair.open();
    const QUuid id = pair.client.id();
    ASSERT_TRUE(pair.client.exchangeKey().ok());
    discardOutgoing(pair.client);
    ASSERT_TRUE(pair.client.keyExchangePending());
    // A SIMPLEBLOB that does not decrypt under the client's key.
    QByteArray bogus = QByteArray::fromHex("010200001066000000A40000") + QByteArray(256, '\x01');
    Result<void> r = pair.client.receiveData(serverPayload(id, EncryptedSessionKey{bogus}, {}, 90));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::CryptoFailure);
    EXPECT_FALSE(pair.client.keyExchangePending());
    EXPECT_FALSE(pair.client.canUseSecureString());
    // The retry sends a fresh PUBLIC_KEY and completes.
    ASSERT_TRUE(pair.client.exchangeKey().ok());
    EXPECT_TRUE(pair.client.hasDataToSend());
    pump(pair.client, pair.server);
    EXPECT_TRUE(hasEvent(pair.client, Event::Kind::SessionKeyReady));
    EXPECT_TRUE(pair.client.canUseSecureString());
    EXPECT_FALSE(pair.client.keyExchangePending());
}

TEST(RunspacePoolKeyExchange, SessionKeyRefusedOnceThePoolIsClosed)
{
    OpenedPair pair;
    pair.open();
    const QUuid id = pair.client.id();
    ASSERT_TRUE(pair.client.exchangeKey().ok());
    auto publicKey = pair.client.dataToSend(1 << 20);
    ASSERT_TRUE(publicKey.has_value());
    ASSERT_TRUE(pair.server.receiveData(publicKey->data).ok());
    auto sessionKey = pair.server.dataToSend(1 << 20);
    ASSERT_TRUE(sessionKey.has_value());
    ASSERT_TRUE(pair.client.receiveData(serverPayload(id, RunspacePoolStateInfo{RunspacePoolState::Closed, {}}, {}, 91)).ok());
    ASSERT_EQ(pair.client.state(), RunspacePoolState::Closed);
    drain(pair.client);
    Result<void> r = pair.client.receiveData(sessionKey->data);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
    EXPECT_FALSE(pair.client.canUseSecureString());
    EXPECT_FALSE(hasEvent(pair.client, Event::Kind::SessionKeyReady));
}

TEST(RunspacePoolKeyExchange, ServerRefusesAKeyItCannotEncryptTo)
{
    OpenedPair pair;
    pair.open();
    // A well-formed PUBLICKEYBLOB whose modulus is zero: the import works, encryption cannot.
    QByteArray blob = QByteArray::fromHex("0602000000A40000" "52534131" "00080000" "01000100");
    blob += QByteArray(256, '\0');
    Result<void> r = pair.server.receiveData(clientPayload(pair.client.id(), PublicKey{blob}, 92));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::CryptoFailure);
    EXPECT_FALSE(pair.server.hasDataToSend()); // no empty ENCRYPTED_SESSION_KEY
    EXPECT_FALSE(pair.server.canUseSecureString());
    EXPECT_FALSE(hasEvent(pair.server, Event::Kind::SessionKeyReady));
}

TEST(FragmentPacking, ServerDefaultsToTenMegabyteObjects)
{
    ServerRunspacePool server;
    EXPECT_EQ(server.maxReceivedObjectSize(), 10 * 1024 * 1024);
    ClientRunspacePool client;
    EXPECT_EQ(client.maxReceivedObjectSize(), 200 * 1024 * 1024);
    // One fragment just over the limit is refused before it is parsed.
    Fragment f;
    f.objectId = 1;
    f.start = true;
    f.blob = QByteArray(10 * 1024 * 1024 + 1, 'x');
    Result<void> r = server.receiveData(encodeFragment(f));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);
    server.setMaxReceivedObjectSize(20 * 1024 * 1024);
    EXPECT_EQ(server.maxReceivedObjectSize(), 20 * 1024 * 1024);
}

TEST(RunspacePoolMessages, ServerAcceptsPoolRequestsWithUpperCaseCallId)
{
    OpenedPair pair;
    pair.open();
    // pypsrp writes <I64 N="CI">; PowerShell matches member names without case.
    Message m;
    m.destination = Destination::Server;
    m.type = MessageType::SetMaxRunspaces;
    m.runspacePoolId = pair.client.id();
    m.data = QByteArrayLiteral("<Obj RefId=\"0\"><MS><I32 N=\"MaxRunspaces\">3</I32><I64 N=\"CI\">5</I64></MS></Obj>");
    Result<void> r = pair.server.receiveData(encodeFragments(fragmentMessage(60, encodeMessage(m), 1 << 20)));
    ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
    bool seen = false;
    while (auto event = pair.server.nextEvent())
        if (event->kind == Event::Kind::Message && event->messageType == MessageType::SetMaxRunspaces)
            seen = std::get<SetMaxRunspaces>(*event->payload).callId == 5 && std::get<SetMaxRunspaces>(*event->payload).count == 3;
    EXPECT_TRUE(seen);
    ASSERT_TRUE(pair.server.runspaceAvailability(5, true).ok());
    EXPECT_EQ(pair.server.maxRunspaces(), 3);
}

namespace {

// SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL as a new client sends them in connectXml.
QByteArray connectXml(const QUuid &pool)
{
    SessionCapability cap;
    cap.protocolVersion = ProtocolVersions::v2_3();
    return clientPayload(pool, cap, 1) + clientPayload(pool, ConnectRunspacePool{}, 2);
}

QList<MessageType> messageTypes(QByteArrayView payload)
{
    QList<MessageType> types;
    Defragmenter d;
    Result<QList<QByteArray>> messages = d.feed(payload);
    if (!messages)
        return types;
    for (const QByteArray &bytes : *messages)
        if (Result<Message> message = decodeMessage(bytes))
            types.append(message->type);
    return types;
}

} // namespace

TEST(RunspacePoolConnect, NewClientConnectsToAnOpenedPoolAsWindowsAnswers)
{
    OpenedPair pair;
    pair.open();
    ASSERT_EQ(pair.server.state(), RunspacePoolState::Opened);
    EXPECT_EQ(pair.server.connectAnswered().error().code, ErrorCode::InvalidState);
    Result<void> r = pair.server.receiveData(connectXml(pair.client.id()));
    ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
    EXPECT_EQ(pair.server.state(), RunspacePoolState::Opened);
    ASSERT_TRUE(pair.server.connectAnswerPending());
    // The ConnectResponse: SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA only.
    auto response = pair.server.dataToSend(1 << 20);
    ASSERT_TRUE(response.has_value());
    EXPECT_FALSE(pair.server.hasDataToSend());
    EXPECT_EQ(messageTypes(response->data),
              (QList<MessageType>{MessageType::SessionCapability, MessageType::RunspacePoolInitData}));
    // The next Receive: RUNSPACEPOOL_STATE Opened, then APPLICATION_PRIVATE_DATA.
    ASSERT_TRUE(pair.server.connectAnswered().ok());
    EXPECT_FALSE(pair.server.connectAnswerPending());
    auto next = pair.server.dataToSend(1 << 20);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(messageTypes(next->data),
              (QList<MessageType>{MessageType::RunspacePoolState, MessageType::ApplicationPrivateData}));
    // A CONNECT_RUNSPACEPOOL without the capability first stays refused.
    r = pair.server.receiveData(clientPayload(pair.client.id(), ConnectRunspacePool{}, 3));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::UnexpectedMessage);
}

TEST(RunspacePoolConnect, FreshClientPoolOpensFromTheConnectAnswer)
{
    OpenedPair pair;
    pair.open();
    ClientRunspacePool newcomer(pair.client.id());
    ASSERT_TRUE(newcomer.connect().ok());
    auto request = newcomer.dataToSend(1 << 20);
    ASSERT_TRUE(request.has_value());
    ASSERT_TRUE(pair.server.receiveData(request->data).ok());
    auto response = pair.server.dataToSend(1 << 20);
    ASSERT_TRUE(response.has_value());
    Result<void> r = newcomer.receiveData(response->data);
    ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
    EXPECT_EQ(newcomer.state(), RunspacePoolState::Opened);
    EXPECT_EQ(newcomer.maxRunspaces(), pair.server.maxRunspaces());
}

TEST(RunspacePoolConnect, ClientAcceptsTheOpenedReportThatFollowsAConnect)
{
    OpenedPair pair;
    pair.open();
    ClientRunspacePool newcomer(pair.client.id());
    ASSERT_TRUE(newcomer.connect().ok());
    ASSERT_TRUE(pair.server.receiveData(newcomer.dataToSend(1 << 20)->data).ok());
    ASSERT_TRUE(newcomer.receiveData(pair.server.dataToSend(1 << 20)->data).ok());
    ASSERT_EQ(newcomer.state(), RunspacePoolState::Opened);
    drain(newcomer);
    // Windows then reports Opened once more (test_psrp_disconnect_runspaces.yml); so does the
    // server engine once the connect is answered.
    ASSERT_TRUE(pair.server.connectAnswered().ok());
    while (auto more = pair.server.dataToSend(1 << 20)) {
        Result<void> r = newcomer.receiveData(more->data);
        ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
    }
    EXPECT_EQ(newcomer.state(), RunspacePoolState::Opened);
    // A report of a state the pool cannot reach from Opened is still refused.
    const RunspacePoolStateInfo backwards{RunspacePoolState::BeforeOpen, std::nullopt};
    EXPECT_FALSE(newcomer.receiveData(serverPayload(newcomer.id(), backwards, {}, 50)).ok());
}
