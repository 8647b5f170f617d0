#include "psrp/RunspacePool.h"

#include "psrp/ObjectBuilders.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Psrp {

qsizetype maxEnvelopeSizeFor(const QVersionNumber &serverProtocolVersion)
{
    if (!serverProtocolVersion.isNull() && ProtocolVersions::hasStreamMerging(serverProtocolVersion))
        return LargeEnvelopeSize;
    return SmallEnvelopeSize;
}

qsizetype maxFragmentPayloadSize(qsizetype envelopeSize)
{
    const qsizetype room = (envelopeSize - EnvelopeOverheadBytes) / 4 * 3;
    return std::max(room, FragmentHeaderSize + 1);
}

bool isAllowedTransition(RunspacePoolState from, RunspacePoolState to)
{
    using S = RunspacePoolState;
    switch (from) {
    case S::BeforeOpen:
        return to == S::Opening || to == S::Connecting || to == S::NegotiationSucceeded
            || to == S::Broken || to == S::Closed;
    case S::Opening:
        return to == S::NegotiationSucceeded || to == S::Opened || to == S::Broken || to == S::Closed;
    case S::NegotiationSucceeded:
        return to == S::Opening || to == S::Opened || to == S::Broken || to == S::Closed;
    case S::Connecting:
        return to == S::NegotiationSucceeded || to == S::Opened || to == S::Broken || to == S::Closed;
    case S::Opened:
        return to == S::Closing || to == S::Closed || to == S::Broken || to == S::Disconnected;
    case S::Closing:
        return to == S::Closed || to == S::Broken;
    case S::Disconnected:
        return to == S::Connecting || to == S::Closed || to == S::Broken;
    case S::NegotiationSent:
    case S::Closed:
    case S::Broken:
        return false;
    }
    return false;
}

namespace {

bool startsCommand(MessageType type)
{
    return type == MessageType::CreatePipeline || type == MessageType::GetCommandMetadata;
}

bool isPipelineMessage(MessageType type)
{
    return (static_cast<quint32>(type) & 0x00040000u) != 0;
}

QString idText(const QUuid &id)
{
    return id.toString(QUuid::WithoutBraces);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// RunspacePoolEngine

RunspacePoolEngine::RunspacePoolEngine(const QUuid &id, Destination inbound, const QVersionNumber &ownVersion)
    : m_id(id), m_inbound(inbound), m_ownVersion(ownVersion)
{
}

std::optional<PSInvocationState> RunspacePoolEngine::pipelineState(const QUuid &pipelineId) const
{
    const auto it = m_pipelines.constFind(pipelineId);
    if (it == m_pipelines.cend())
        return std::nullopt;
    return it->state();
}

Error RunspacePoolEngine::unexpected(MessageType type, RunspacePoolState state, const QString &why)
{
    QString detail = messageTypeName(type) % u" not allowed in RunspacePoolState "_s % enumText(state);
    if (!why.isEmpty())
        detail += u": "_s % why;
    return makeError(ErrorCode::UnexpectedMessage, detail);
}

Result<void> RunspacePoolEngine::receiveData(QByteArrayView payload)
{
    std::optional<Error> first;
    const Result<void> fed = m_defragmenter.feed(payload, [this, &first](quint64, QByteArrayView message) {
        if (Result<void> r = processMessage(message); !r && !first)
            first = r.error();
    });
    if (first)
        return *first;
    return fed;
}

Result<void> RunspacePoolEngine::processMessage(QByteArrayView bytes)
{
    QByteArrayView data;
    Result<Message> decoded = decodeMessageHeader(bytes, &data); // the data is decoded in place
    if (!decoded)
        return decoded.error();
    Message &message = *decoded;
    if (message.destination != m_inbound)
        return makeError(ErrorCode::UnexpectedMessage,
                         messageTypeName(message.type) % u" addressed to the wrong side"_s);
    const bool fromServer = m_inbound == Destination::Client;
    if (fromServer ? !isSentByServer(message.type) : !isSentByClient(message.type))
        return makeError(ErrorCode::UnexpectedMessage,
                         messageTypeName(message.type) % u" is never sent in this direction"_s);
    // PowerShell servers send some pool messages with an all-zero RPID: SESSION_CAPABILITY
    // (recorded from Windows in test_psrp_open_runspace.yml) and ENCRYPTED_SESSION_KEY /
    // PUBLIC_KEY_REQUEST (seen from PowerShell 7.6.9's server); they carry no pipeline either.
    // Every other message must name this pool.
    const bool nullPoolMessage = message.runspacePoolId.isNull()
                                 && (message.type == MessageType::SessionCapability
                                     || message.type == MessageType::EncryptedSessionKey
                                     || message.type == MessageType::PublicKeyRequest);
    if (m_id.isNull())
        m_id = message.runspacePoolId;
    else if (message.runspacePoolId != m_id && !nullPoolMessage)
        return makeError(ErrorCode::UnexpectedMessage,
                         messageTypeName(message.type) % u" for runspace pool "_s
                             % idText(message.runspacePoolId) % u", this is "_s % idText(m_id));
    Result<Payload> payload = decodePayloadData(message.type, data);
    if (!payload)
        return payload.error();
    return handleMessage(message, std::move(*payload));
}

std::optional<OutgoingData> RunspacePoolEngine::dataToSend(qsizetype maxPayloadBytes)
{
    if (m_outgoing.empty() || maxPayloadBytes <= FragmentHeaderSize)
        return std::nullopt;
    OutgoingData out;
    out.pipelineId = m_outgoing.front().pipelineId;
    out.stream = m_outgoing.front().stream;
    while (!m_outgoing.empty()) {
        Pending &p = m_outgoing.front();
        if (p.pipelineId != out.pipelineId || p.stream != out.stream)
            break;
        // A command-starting message opens its own payload (it goes out with wxf:Command).
        if (startsCommand(p.type) && p.offset == 0 && !out.data.isEmpty())
            break;
        const qsizetype room = maxPayloadBytes - out.data.size() - FragmentHeaderSize;
        if (room <= 0)
            break;
        const qsizetype remaining = p.bytes.size() - p.offset;
        Fragment fragment;
        fragment.objectId = p.objectId;
        fragment.fragmentId = p.nextFragmentId++;
        fragment.start = p.offset == 0;
        const qsizetype take = std::min(room, remaining);
        fragment.blob = p.bytes.mid(p.offset, take);
        p.offset += take;
        fragment.end = p.offset == p.bytes.size();
        if (fragment.start && !out.firstMessageType)
            out.firstMessageType = p.type;
        out.data += encodeFragment(fragment);
        if (!fragment.end)
            break; // the payload is full
        const bool commandDone = startsCommand(p.type);
        m_outgoing.pop_front();
        if (commandDone)
            break;
    }
    return out;
}

std::optional<Event> RunspacePoolEngine::nextEvent()
{
    if (m_eventHead >= m_events.size())
        return std::nullopt;
    Event e = std::move(m_events[m_eventHead++]);
    if (m_eventHead == m_events.size()) {
        m_events.clear();
        m_eventHead = 0;
    }
    return e;
}

void RunspacePoolEngine::queueMessage(const Payload &payload, const QUuid &pipelineId, const QString &stream)
{
    Message message;
    message.destination = m_inbound == Destination::Client ? Destination::Server : Destination::Client;
    message.type = messageTypeOf(payload);
    message.runspacePoolId = m_id;
    message.pipelineId = pipelineId;
    // CREATE_PIPELINE's Merge* members follow the server's version; before the handshake the
    // version this side announces is the best guess.
    const QVersionNumber gate = m_peerVersion.isNull() ? m_ownVersion : m_peerVersion;
    message.data = encodePayloadData(payload, gate);
    Pending p;
    p.pipelineId = pipelineId;
    p.stream = stream;
    p.type = message.type;
    p.objectId = m_nextObjectId++;
    p.bytes = encodeMessage(message);
    m_outgoing.push_back(std::move(p));
}

Result<void> RunspacePoolEngine::changeState(RunspacePoolState to, std::optional<ErrorRecord> error)
{
    if (!isAllowedTransition(m_state, to))
        return makeError(ErrorCode::InvalidState, u"RunspacePoolState %1 -> %2 is not allowed"_s.arg(
                                                      enumText(m_state), enumText(to)));
    m_state = to;
    Event e;
    e.kind = Event::Kind::PoolStateChanged;
    e.poolState = to;
    if (error)
        e.error = std::make_shared<const ErrorRecord>(*error);
    m_events.push_back(std::move(e));

    // A pool that ends takes its pipelines with it: MS-PSRP 3.1.4 has no pipeline outlive its
    // pool. A Broken pool fails them (carrying the pool's error), a Closed one stops them, so
    // a caller waiting on a pipeline's final state is never left waiting.
    if (to == RunspacePoolState::Broken || to == RunspacePoolState::Closed) {
        const PSInvocationState final = to == RunspacePoolState::Broken ? PSInvocationState::Failed
                                                                         : PSInvocationState::Stopped;
        for (Pipeline &pipeline : m_pipelines) {
            if (isAllowedTransition(pipeline.state(), final))
                (void)changePipelineState(pipeline, final, error);
        }
    }
    return {};
}

Result<void> RunspacePoolEngine::changePipelineState(Pipeline &pipeline, PSInvocationState to,
                                                     std::optional<ErrorRecord> error)
{
    if (Result<void> r = pipeline.transitionTo(to); !r)
        return r;
    Event e;
    e.kind = Event::Kind::PipelineStateChanged;
    e.pipelineId = pipeline.id();
    e.pipelineState = to;
    if (error)
        e.error = std::make_shared<const ErrorRecord>(std::move(*error));
    m_events.push_back(std::move(e));
    return {};
}

void RunspacePoolEngine::emitMessage(const Message &message, Payload payload)
{
    Event e;
    e.kind = Event::Kind::Message;
    e.messageType = message.type;
    e.pipelineId = message.pipelineId;
    e.payload = std::make_shared<const Payload>(std::move(payload));
    m_events.push_back(std::move(e));
}

Pipeline *RunspacePoolEngine::findPipeline(const QUuid &id)
{
    const auto it = m_pipelines.find(id);
    return it == m_pipelines.end() ? nullptr : &*it;
}

Result<Pipeline *> RunspacePoolEngine::activePipeline(const QUuid &id, MessageType type)
{
    if (m_state != RunspacePoolState::Opened && m_state != RunspacePoolState::Closing)
        return unexpected(type, m_state);
    Pipeline *pipeline = findPipeline(id);
    if (!pipeline)
        return makeError(ErrorCode::UnexpectedMessage,
                         messageTypeName(type) % u" for unknown pipeline "_s % idText(id));
    if (!pipeline->isActive())
        return makeError(ErrorCode::UnexpectedMessage,
                         messageTypeName(type) % u" for pipeline "_s % idText(id)
                             % u" in PSInvocationState "_s % enumText(pipeline->state()));
    return pipeline;
}

bool RunspacePoolEngine::canUseSecureString() const
{
    return ProtocolVersions::hasPlainSecureString(m_ownVersion, m_peerVersion)
        || (m_sessionKey && m_sessionKey->hasSessionKey());
}

Result<SecureString> RunspacePoolEngine::encryptSecureString(QStringView text) const
{
    if (ProtocolVersions::hasPlainSecureString(m_ownVersion, m_peerVersion))
        return SecureString{plainSecureStringBytes(text)};
    if (!m_sessionKey || !m_sessionKey->hasSessionKey())
        return makeError(ErrorCode::InvalidState, u"no session key: run the key exchange first"_s);
    const QByteArray bytes = m_sessionKey->encrypt(text);
    if (bytes.isEmpty())
        return makeError(ErrorCode::CryptoFailure, u"SecureString encryption failed"_s);
    return SecureString{bytes};
}

Result<QString> RunspacePoolEngine::decryptSecureString(const SecureString &value) const
{
    if (ProtocolVersions::hasPlainSecureString(m_ownVersion, m_peerVersion))
        return plainSecureStringText(value.bytes);
    if (!m_sessionKey || !m_sessionKey->hasSessionKey())
        return makeError(ErrorCode::InvalidState, u"no session key: run the key exchange first"_s);
    return m_sessionKey->decrypt(value.bytes);
}

// ---------------------------------------------------------------------------------------------
// ClientRunspacePool

ClientRunspacePool::ClientRunspacePool(const QUuid &id, qint32 minRunspaces, qint32 maxRunspaces,
                                       HostInfo hostInfo, Value applicationArguments)
    : RunspacePoolEngine(id, Destination::Client, ProtocolVersions::clientAnnounced()),
      m_min(minRunspaces), m_max(maxRunspaces), m_hostInfo(std::move(hostInfo)),
      m_applicationArguments(std::move(applicationArguments))
{
}

qsizetype ClientRunspacePool::maxEnvelopeSize() const
{
    return maxEnvelopeSizeFor(m_peerVersion);
}

Result<void> ClientRunspacePool::open()
{
    if (Result<void> r = changeState(RunspacePoolState::Opening); !r)
        return r;
    SessionCapability capability; // MS-PSRP 2.2.2.1: 2.3 / PSVersion 2.0 / 1.1.0.1
    capability.protocolVersion = m_ownVersion;
    queueMessage(capability);
    InitRunspacePool init;
    init.minRunspaces = m_min;
    init.maxRunspaces = m_max;
    init.hostInfo = m_hostInfo;
    init.applicationArguments = m_applicationArguments;
    queueMessage(init);
    return {};
}

Result<void> ClientRunspacePool::connect()
{
    if (Result<void> r = changeState(RunspacePoolState::Connecting); !r)
        return r;
    SessionCapability capability;
    capability.protocolVersion = m_ownVersion;
    queueMessage(capability);
    queueMessage(ConnectRunspacePool{});
    return {};
}

Result<void> ClientRunspacePool::close()
{
    if (m_state != RunspacePoolState::Opened)
        return makeError(ErrorCode::InvalidState, u"close() needs an Opened pool, it is "_s % enumText(m_state));
    return changeState(RunspacePoolState::Closing);
}

Result<void> ClientRunspacePool::closed()
{
    // The server may already have said Closed (PowerShell does); the transport's Delete then
    // confirms what the pool knows.
    if (state() == RunspacePoolState::Closed)
        return {};
    return changeState(RunspacePoolState::Closed);
}

Result<void> ClientRunspacePool::disconnected()
{
    if (m_state != RunspacePoolState::Opened)
        return makeError(ErrorCode::InvalidState, u"disconnect needs an Opened pool, it is "_s % enumText(m_state));
    return changeState(RunspacePoolState::Disconnected);
}

Result<void> ClientRunspacePool::reconnected()
{
    if (m_state != RunspacePoolState::Disconnected)
        return makeError(ErrorCode::InvalidState, u"reconnect needs a Disconnected pool, it is "_s % enumText(m_state));
    if (Result<void> r = changeState(RunspacePoolState::Connecting); !r)
        return r;
    return changeState(RunspacePoolState::Opened);
}

Result<void> ClientRunspacePool::broken()
{
    return changeState(RunspacePoolState::Broken);
}

Result<void> ClientRunspacePool::requireOpened(QStringView what) const
{
    if (m_state != RunspacePoolState::Opened)
        return makeError(ErrorCode::InvalidState,
                         what % u" needs an Opened pool, it is "_s % enumText(m_state));
    return {};
}

Result<QUuid> ClientRunspacePool::createPipeline(const CreatePipeline &request, QUuid pipelineId)
{
    if (Result<void> r = requireOpened(u"createPipeline()"); !r)
        return r.error();
    if (pipelineId.isNull())
        pipelineId = QUuid::createUuid();
    if (m_pipelines.contains(pipelineId))
        return makeError(ErrorCode::InvalidState, u"pipeline "_s % idText(pipelineId) % u" exists"_s);
    Pipeline &pipeline = *m_pipelines.insert(pipelineId, Pipeline(pipelineId, request.noInput));
    queueMessage(request, pipelineId);
    if (Result<void> r = changePipelineState(pipeline, PSInvocationState::Running); !r)
        return r.error();
    return pipelineId;
}

Result<QUuid> ClientRunspacePool::getCommandMetadata(const GetCommandMetadata &request, QUuid pipelineId)
{
    if (Result<void> r = requireOpened(u"getCommandMetadata()"); !r)
        return r.error();
    if (pipelineId.isNull())
        pipelineId = QUuid::createUuid();
    if (m_pipelines.contains(pipelineId))
        return makeError(ErrorCode::InvalidState, u"pipeline "_s % idText(pipelineId) % u" exists"_s);
    Pipeline &pipeline = *m_pipelines.insert(pipelineId, Pipeline(pipelineId, true));
    queueMessage(request, pipelineId);
    if (Result<void> r = changePipelineState(pipeline, PSInvocationState::Running); !r)
        return r.error();
    return pipelineId;
}

Result<void> ClientRunspacePool::sendInput(const QUuid &pipelineId, const Value &value)
{
    Pipeline *pipeline = findPipeline(pipelineId);
    if (!pipeline || pipeline->state() != PSInvocationState::Running || pipeline->noInput()
        || pipeline->inputEnded())
        return makeError(ErrorCode::InvalidState,
                         u"pipeline "_s % idText(pipelineId) % u" takes no input now"_s);
    queueMessage(PipelineInput{value}, pipelineId);
    return {};
}

Result<void> ClientRunspacePool::endInput(const QUuid &pipelineId)
{
    Pipeline *pipeline = findPipeline(pipelineId);
    if (!pipeline || pipeline->state() != PSInvocationState::Running || pipeline->noInput()
        || pipeline->inputEnded())
        return makeError(ErrorCode::InvalidState,
                         u"pipeline "_s % idText(pipelineId) % u" takes no input now"_s);
    pipeline->setInputEnded();
    queueMessage(EndOfPipelineInput{}, pipelineId);
    return {};
}

Result<void> ClientRunspacePool::stop(const QUuid &pipelineId)
{
    Pipeline *pipeline = findPipeline(pipelineId);
    if (!pipeline)
        return makeError(ErrorCode::InvalidState, u"unknown pipeline "_s % idText(pipelineId));
    return changePipelineState(*pipeline, PSInvocationState::Stopping);
}

Result<void> ClientRunspacePool::hostResponse(const QUuid &pipelineId, const HostResponse &response)
{
    if (response.callId == VoidCallId)
        return makeError(ErrorCode::InvalidState, u"void host calls (ci -100) take no response"_s);
    if (pipelineId.isNull()) {
        if (!m_pendingPoolHostCalls.remove(response.callId))
            return makeError(ErrorCode::InvalidState,
                             u"no pool host call %1 is waiting for a response"_s.arg(response.callId));
        queueMessage(RunspacePoolHostResponse{response}, {}, QStringLiteral("pr"));
        return {};
    }
    Pipeline *pipeline = findPipeline(pipelineId);
    if (!pipeline || !pipeline->pendingHostCalls().remove(response.callId))
        return makeError(ErrorCode::InvalidState,
                         u"no host call %1 of pipeline %2 is waiting for a response"_s.arg(
                             response.callId).arg(idText(pipelineId)));
    queueMessage(PipelineHostResponse{response}, pipelineId, QStringLiteral("pr"));
    return {};
}

Result<qint64> ClientRunspacePool::poolRequest(MessageType type, qint32 count)
{
    if (Result<void> r = requireOpened(messageTypeName(type)); !r)
        return r.error();
    const qint64 ci = m_nextCallId++;
    switch (type) {
    case MessageType::SetMaxRunspaces: queueMessage(SetMaxRunspaces{count, ci}); break;
    case MessageType::SetMinRunspaces: queueMessage(SetMinRunspaces{count, ci}); break;
    case MessageType::GetAvailableRunspaces: queueMessage(GetAvailableRunspaces{ci}); break;
    default: queueMessage(ResetRunspaceState{ci}); break;
    }
    m_pendingPoolCalls.insert(ci, {type, count});
    return ci;
}

Result<qint64> ClientRunspacePool::setMaxRunspaces(qint32 count)
{
    return poolRequest(MessageType::SetMaxRunspaces, count);
}

Result<qint64> ClientRunspacePool::setMinRunspaces(qint32 count)
{
    return poolRequest(MessageType::SetMinRunspaces, count);
}

Result<qint64> ClientRunspacePool::getAvailableRunspaces()
{
    return poolRequest(MessageType::GetAvailableRunspaces, 0);
}

Result<qint64> ClientRunspacePool::resetRunspaceState()
{
    // MS-PSRP 2.2.2.34: RESET_RUNSPACE_STATE exists from protocol 2.3 on.
    if (m_state == RunspacePoolState::Opened && !ProtocolVersions::hasResetRunspaceState(m_peerVersion))
        return makeError(ErrorCode::Unsupported,
                         u"RESET_RUNSPACE_STATE needs protocol 2.3, the server speaks "_s
                             % m_peerVersion.toString());
    return poolRequest(MessageType::ResetRunspaceState, 0);
}

Result<void> ClientRunspacePool::exchangeKey(std::optional<SessionKey> key)
{
    if (m_keyPending || (m_sessionKey && m_sessionKey->hasSessionKey()))
        return {};
    if (m_state != RunspacePoolState::Opened && m_state != RunspacePoolState::NegotiationSucceeded)
        return makeError(ErrorCode::InvalidState,
                         u"the key exchange needs an Opened pool, it is "_s % enumText(m_state));
    if (!key) {
        Result<SessionKey> created = SessionKey::createClient();
        if (!created)
            return created.error();
        key = std::move(*created);
    }
    if (!key->hasRsaKey())
        return makeError(ErrorCode::CryptoFailure, u"the client key has no RSA key pair"_s);
    // MS-PSRP 2.2.2.3 PUBLIC_KEY: the CAPI PUBLICKEYBLOB of the client's RSA key.
    queueMessage(PublicKey{key->publicKeyBlob()});
    m_keyInExchange = std::move(key);
    m_keyPending = true;
    return {};
}

Result<void> ClientRunspacePool::handleMessage(const Message &message, Payload payload)
{
    using S = RunspacePoolState;
    const MessageType type = message.type;
    if (isPipelineMessage(type))
        return handlePipelineMessage(message, std::move(payload));
    switch (type) {
    case MessageType::SessionCapability: {
        // MS-PSRP 3.1.5.4.1: the server's capability answers ours; adopt its version.
        if (m_state != S::Opening && m_state != S::Connecting)
            return unexpected(type, m_state);
        const auto &cap = std::get<SessionCapability>(payload);
        if (cap.protocolVersion.isNull() || cap.protocolVersion.majorVersion() != 2)
            return makeError(ErrorCode::Unsupported,
                             u"server protocol version "_s % cap.protocolVersion.toString());
        m_peerVersion = cap.protocolVersion;
        emitMessage(message, std::move(payload));
        return changeState(S::NegotiationSucceeded);
    }
    case MessageType::ApplicationPrivateData:
        if (m_state != S::NegotiationSucceeded && m_state != S::Opened)
            return unexpected(type, m_state);
        m_applicationPrivateData = std::get<ApplicationPrivateData>(payload).data;
        emitMessage(message, std::move(payload));
        return {};
    case MessageType::RunspacePoolInitData: {
        if (m_state != S::NegotiationSucceeded || m_peerVersion.isNull())
            return unexpected(type, m_state);
        const auto &init = std::get<RunspacePoolInitData>(payload);
        m_min = init.minRunspaces;
        m_max = init.maxRunspaces;
        emitMessage(message, std::move(payload));
        return changeState(S::Opened);
    }
    case MessageType::RunspacePoolState: {
        auto info = std::get<RunspacePoolStateInfo>(payload);
        if (m_state != S::NegotiationSucceeded && m_state != S::Opened && m_state != S::Closing)
            return unexpected(type, m_state);
        // PowerShell's server reports Closing and then Closed when the client closes the pool;
        // the client is already Closing, so the first report confirms the state it is in.
        // After a connect, Windows reports Opened on a pool the connect answer already opened
        // (test_psrp_disconnect_runspaces.yml); a repeated report changes nothing.
        if (info.state == m_state && (m_state == S::Closing || m_state == S::Opened)) {
            emitMessage(message, std::move(payload));
            return {};
        }
        if (!isAllowedTransition(m_state, info.state))
            return unexpected(type, m_state, u"server state "_s % enumText(info.state));
        emitMessage(message, std::move(payload));
        return changeState(info.state, std::move(info.error));
    }
    case MessageType::EncryptedSessionKey: {
        if (m_state == S::Closed || m_state == S::Broken)
            return unexpected(type, m_state);
        if (!m_keyPending || !m_keyInExchange)
            return unexpected(type, m_state, u"no PUBLIC_KEY was sent"_s);
        const auto &esk = std::get<EncryptedSessionKey>(payload);
        if (Result<void> r = m_keyInExchange->acceptEncryptedSessionKey(esk.blob); !r) {
            // The exchange is over either way: a retry starts from a fresh PUBLIC_KEY.
            m_keyInExchange.reset();
            m_keyPending = false;
            return makeError(ErrorCode::CryptoFailure, r.error().detail);
        }
        m_sessionKey = std::make_unique<SessionKey>(std::move(*m_keyInExchange));
        m_keyInExchange.reset();
        m_keyPending = false;
        emitMessage(message, std::move(payload));
        Event ready;
        ready.kind = Event::Kind::SessionKeyReady;
        m_events.push_back(std::move(ready));
        return {};
    }
    case MessageType::PublicKeyRequest:
        // MS-PSRP 3.1.5.4.5: a PS v2 server asks for the key before it writes an <SS>.
        if (m_state != S::Opened && m_state != S::NegotiationSucceeded)
            return unexpected(type, m_state);
        emitMessage(message, std::move(payload));
        return exchangeKey();
    case MessageType::RunspaceAvailability: {
        if (m_state != S::Opened && m_state != S::Closing)
            return unexpected(type, m_state);
        const auto &answer = std::get<RunspaceAvailability>(payload);
        const auto it = m_pendingPoolCalls.constFind(answer.callId);
        if (it == m_pendingPoolCalls.cend())
            return unexpected(type, m_state, u"no request with ci %1"_s.arg(answer.callId));
        const auto [requestType, count] = *it;
        m_pendingPoolCalls.erase(it);
        if (const bool *accepted = std::get_if<bool>(&answer.value); accepted && *accepted) {
            if (requestType == MessageType::SetMaxRunspaces)
                m_max = count;
            else if (requestType == MessageType::SetMinRunspaces)
                m_min = count;
        }
        emitMessage(message, std::move(payload));
        return {};
    }
    case MessageType::RunspacePoolHostCall: {
        if (m_state != S::Opened)
            return unexpected(type, m_state);
        const auto &call = std::get<RunspacePoolHostCall>(payload);
        if (!call.isVoid())
            m_pendingPoolHostCalls.insert(call.callId);
        emitMessage(message, std::move(payload));
        return {};
    }
    case MessageType::UserEvent:
        if (m_state != S::Opened)
            return unexpected(type, m_state);
        emitMessage(message, std::move(payload));
        return {};
    default:
        return unexpected(type, m_state);
    }
}

Result<void> ClientRunspacePool::handlePipelineMessage(const Message &message, Payload payload)
{
    const MessageType type = message.type;
    Result<Pipeline *> found = activePipeline(message.pipelineId, type);
    if (!found)
        return found.error();
    Pipeline &pipeline = **found;
    switch (type) {
    case MessageType::PipelineState: {
        auto info = std::get<PipelineStateInfo>(payload);
        if (!isAllowedTransition(pipeline.state(), info.state))
            return makeError(ErrorCode::UnexpectedMessage,
                             u"PIPELINE_STATE %1 while the pipeline is %2"_s.arg(
                                 enumText(info.state), enumText(pipeline.state())));
        emitMessage(message, std::move(payload));
        return changePipelineState(pipeline, info.state, std::move(info.error));
    }
    case MessageType::PipelineHostCall: {
        const auto &call = std::get<PipelineHostCall>(payload);
        if (!call.isVoid())
            pipeline.pendingHostCalls().insert(call.callId);
        break;
    }
    case MessageType::InformationRecord:
        // MS-PSRP 2.2.2.26: the information stream exists from protocol 2.3 on.
        if (!ProtocolVersions::hasInformationStream(m_peerVersion))
            return unexpected(type, m_state, u"server protocol "_s % m_peerVersion.toString());
        break;
    default:
        break;
    }
    emitMessage(message, std::move(payload));
    return {};
}

// ---------------------------------------------------------------------------------------------
// ServerRunspacePool

ServerRunspacePool::ServerRunspacePool(const QUuid &id, const QVersionNumber &protocolVersion)
    : RunspacePoolEngine(id, Destination::Server, protocolVersion),
      m_applicationPrivateData(Objects::dictionaryObject(Objects::primitiveDictionaryTypeNames(), {}))
{
    setMaxReceivedObjectSize(DefaultMaxReceivedObjectSize);
}

Result<void> ServerRunspacePool::handleMessage(const Message &message, Payload payload)
{
    using S = RunspacePoolState;
    const MessageType type = message.type;
    switch (type) {
    case MessageType::SessionCapability: {
        // MS-PSRP 3.2.5.4.13: on an Opened or Disconnected pool it starts a connect from a new
        // client (CONNECT_RUNSPACEPOOL follows in the same connectXml).
        const bool connecting = m_state == S::Opened || m_state == S::Disconnected;
        if (m_state != S::BeforeOpen && !connecting)
            return unexpected(type, m_state);
        const auto &cap = std::get<SessionCapability>(payload);
        if (cap.protocolVersion.isNull() || cap.protocolVersion.majorVersion() != 2)
            return makeError(ErrorCode::Unsupported,
                             u"client protocol version "_s % cap.protocolVersion.toString());
        m_peerVersion = cap.protocolVersion;
        emitMessage(message, std::move(payload));
        SessionCapability ours;
        ours.protocolVersion = m_ownVersion;
        queueMessage(ours);
        if (!connecting)
            return changeState(S::NegotiationSucceeded);
        m_connect = ConnectStep::Negotiated;
        return m_state == S::Disconnected ? changeState(S::Connecting) : Result<void>{};
    }
    case MessageType::InitRunspacePool: {
        if (m_state != S::NegotiationSucceeded)
            return unexpected(type, m_state);
        m_init = std::get<InitRunspacePool>(payload);
        m_min = m_init->minRunspaces;
        m_max = m_init->maxRunspaces;
        emitMessage(message, std::move(payload));
        if (Result<void> r = changeState(S::Opening); !r)
            return r;
        // MS-PSRP 3.2.5.4.2: APPLICATION_PRIVATE_DATA, then RUNSPACEPOOL_STATE Opened.
        queueMessage(ApplicationPrivateData{m_applicationPrivateData});
        queueMessage(RunspacePoolStateInfo{S::Opened, std::nullopt});
        return changeState(S::Opened);
    }
    case MessageType::ConnectRunspacePool: {
        if (m_connect == ConnectStep::Negotiated) {
            emitMessage(message, std::move(payload));
            // As Windows answers (recording test_psrp_disconnect_runspaces): the ConnectResponse
            // holds SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA; connectAnswered() queues the rest.
            queueMessage(RunspacePoolInitData{m_min, m_max});
            m_connect = ConnectStep::Answering;
            return m_state == S::Connecting ? changeState(S::Opened) : Result<void>{};
        }
        if (m_state != S::NegotiationSucceeded)
            return unexpected(type, m_state);
        emitMessage(message, std::move(payload));
        // MS-PSRP 3.2.5.4.13: RUNSPACEPOOL_INIT_DATA, then APPLICATION_PRIVATE_DATA.
        queueMessage(RunspacePoolInitData{m_min, m_max});
        queueMessage(ApplicationPrivateData{m_applicationPrivateData});
        return changeState(S::Opened);
    }
    case MessageType::PublicKey: {
        if (m_state != S::Opened)
            return unexpected(type, m_state);
        Result<SessionKey> key = SessionKey::createServer(std::get<PublicKey>(payload).blob);
        if (!key)
            return key.error();
        // MS-PSRP 2.2.2.4: the AES key under the client's RSA key.
        QByteArray blob = key->encryptedSessionKeyBlob();
        if (blob.isEmpty())
            return makeError(ErrorCode::CryptoFailure, u"cannot encrypt the session key to the client's public key"_s);
        m_sessionKey = std::make_unique<SessionKey>(std::move(*key));
        emitMessage(message, std::move(payload));
        queueMessage(EncryptedSessionKey{std::move(blob)});
        Event ready;
        ready.kind = Event::Kind::SessionKeyReady;
        m_events.push_back(std::move(ready));
        return {};
    }
    case MessageType::SetMaxRunspaces:
    case MessageType::SetMinRunspaces:
    case MessageType::GetAvailableRunspaces:
    case MessageType::ResetRunspaceState:
        return handlePoolRequest(message, std::move(payload));
    case MessageType::RunspacePoolHostResponse: {
        if (m_state != S::Opened)
            return unexpected(type, m_state);
        const auto &response = std::get<RunspacePoolHostResponse>(payload);
        if (!m_pendingPoolHostCalls.remove(response.callId))
            return unexpected(type, m_state, u"no host call %1 is waiting"_s.arg(response.callId));
        emitMessage(message, std::move(payload));
        return {};
    }
    case MessageType::CreatePipeline:
    case MessageType::GetCommandMetadata: {
        if (m_state != S::Opened)
            return unexpected(type, m_state);
        if (message.pipelineId.isNull() || m_pipelines.contains(message.pipelineId))
            return unexpected(type, m_state, u"pipeline id missing or in use"_s);
        const bool noInput = type == MessageType::CreatePipeline
            ? std::get<CreatePipeline>(payload).noInput : true;
        Pipeline &pipeline = *m_pipelines.insert(message.pipelineId, Pipeline(message.pipelineId, noInput));
        emitMessage(message, std::move(payload));
        return changePipelineState(pipeline, PSInvocationState::Running);
    }
    case MessageType::PipelineInput:
    case MessageType::EndOfPipelineInput: {
        Result<Pipeline *> found = activePipeline(message.pipelineId, type);
        if (!found)
            return found.error();
        Pipeline &pipeline = **found;
        if (pipeline.noInput() || pipeline.inputEnded())
            return unexpected(type, m_state, u"the pipeline takes no input"_s);
        if (type == MessageType::EndOfPipelineInput)
            pipeline.setInputEnded();
        emitMessage(message, std::move(payload));
        return {};
    }
    case MessageType::PipelineHostResponse: {
        Result<Pipeline *> found = activePipeline(message.pipelineId, type);
        if (!found)
            return found.error();
        const auto &response = std::get<PipelineHostResponse>(payload);
        if (!(*found)->pendingHostCalls().remove(response.callId))
            return unexpected(type, m_state, u"no host call %1 is waiting"_s.arg(response.callId));
        emitMessage(message, std::move(payload));
        return {};
    }
    default:
        return unexpected(type, m_state);
    }
}

Result<void> ServerRunspacePool::handlePoolRequest(const Message &message, Payload payload)
{
    const MessageType type = message.type;
    if (m_state != RunspacePoolState::Opened)
        return unexpected(type, m_state);
    qint64 ci = 0;
    qint32 count = 0;
    if (const auto *p = std::get_if<SetMaxRunspaces>(&payload)) {
        ci = p->callId;
        count = p->count;
    } else if (const auto *q = std::get_if<SetMinRunspaces>(&payload)) {
        ci = q->callId;
        count = q->count;
    } else if (const auto *g = std::get_if<GetAvailableRunspaces>(&payload)) {
        ci = g->callId;
    } else if (const auto *rs = std::get_if<ResetRunspaceState>(&payload)) {
        if (!ProtocolVersions::hasResetRunspaceState(m_ownVersion))
            return unexpected(type, m_state, u"this server speaks protocol "_s % m_ownVersion.toString());
        ci = rs->callId;
    }
    if (m_pendingPoolCalls.contains(ci))
        return unexpected(type, m_state, u"ci %1 is already in use"_s.arg(ci));
    m_pendingPoolCalls.insert(ci, {type, count});
    emitMessage(message, std::move(payload));
    return {};
}

Result<void> ServerRunspacePool::runspaceAvailability(qint64 callId, std::variant<bool, qint64> value)
{
    const auto it = m_pendingPoolCalls.constFind(callId);
    if (it == m_pendingPoolCalls.cend())
        return makeError(ErrorCode::InvalidState, u"no pool request with ci %1"_s.arg(callId));
    const auto [type, count] = *it;
    m_pendingPoolCalls.erase(it);
    if (const bool *accepted = std::get_if<bool>(&value); accepted && *accepted) {
        if (type == MessageType::SetMaxRunspaces)
            m_max = count;
        else if (type == MessageType::SetMinRunspaces)
            m_min = count;
    }
    queueMessage(RunspaceAvailability{value, callId});
    return {};
}

Result<void> ServerRunspacePool::write(const QUuid &pipelineId, const Payload &payload)
{
    const MessageType type = messageTypeOf(payload);
    switch (type) {
    case MessageType::PipelineOutput:
    case MessageType::ErrorRecord:
    case MessageType::DebugRecord:
    case MessageType::VerboseRecord:
    case MessageType::WarningRecord:
    case MessageType::ProgressRecord:
        break;
    case MessageType::InformationRecord:
        if (!ProtocolVersions::hasInformationStream(m_peerVersion))
            return makeError(ErrorCode::Unsupported,
                             u"INFORMATION_RECORD needs a client of protocol 2.3, it speaks "_s
                                 % m_peerVersion.toString());
        break;
    default:
        return makeError(ErrorCode::InvalidState, messageTypeName(type) % u" is not a pipeline record"_s);
    }
    Pipeline *pipeline = findPipeline(pipelineId);
    if (!pipeline || !pipeline->isActive())
        return makeError(ErrorCode::InvalidState,
                         u"pipeline "_s % idText(pipelineId) % u" is not running"_s);
    queueMessage(payload, pipelineId);
    return {};
}

Result<void> ServerRunspacePool::writeOutput(const QUuid &pipelineId, const Value &value)
{
    return write(pipelineId, PipelineOutput{value});
}

Result<void> ServerRunspacePool::writeError(const QUuid &pipelineId, const ErrorRecord &error)
{
    return write(pipelineId, error);
}

Result<qint64> ServerRunspacePool::hostCall(const QUuid &pipelineId, HostMethodId method, QList<Value> parameters)
{
    if (m_state != RunspacePoolState::Opened)
        return makeError(ErrorCode::InvalidState, u"host calls need an Opened pool, it is "_s % enumText(m_state));
    HostCall call;
    call.methodId = method;
    call.parameters = std::move(parameters);
    // MS-PSRP 2.2.2.27: ci -100 marks a call whose caller does not wait.
    call.callId = hostMethodReturnsValue(method) ? m_nextHostCallId++ : VoidCallId;
    if (pipelineId.isNull()) {
        if (!call.isVoid())
            m_pendingPoolHostCalls.insert(call.callId);
        queueMessage(RunspacePoolHostCall{call});
        return call.callId;
    }
    Pipeline *pipeline = findPipeline(pipelineId);
    if (!pipeline || !pipeline->isActive())
        return makeError(ErrorCode::InvalidState,
                         u"pipeline "_s % idText(pipelineId) % u" is not running"_s);
    if (!call.isVoid())
        pipeline->pendingHostCalls().insert(call.callId);
    queueMessage(PipelineHostCall{call}, pipelineId);
    return call.callId;
}

Result<void> ServerRunspacePool::setPipelineState(const QUuid &pipelineId, PSInvocationState state,
                                                  std::optional<ErrorRecord> error)
{
    Pipeline *pipeline = findPipeline(pipelineId);
    if (!pipeline)
        return makeError(ErrorCode::InvalidState, u"unknown pipeline "_s % idText(pipelineId));
    if (state == PSInvocationState::Stopping || state == PSInvocationState::NotStarted)
        return makeError(ErrorCode::InvalidState,
                         enumText(state) % u" is never sent in PIPELINE_STATE"_s);
    if (Result<void> r = changePipelineState(*pipeline, state, error); !r)
        return r;
    queueMessage(PipelineStateInfo{state, std::move(error)}, pipelineId);
    return {};
}

Result<void> ServerRunspacePool::setPoolState(RunspacePoolState state, std::optional<ErrorRecord> error)
{
    if (state != RunspacePoolState::Closed && state != RunspacePoolState::Broken)
        return makeError(ErrorCode::InvalidState, u"setPoolState() takes Closed or Broken"_s);
    if (Result<void> r = changeState(state, error); !r)
        return r;
    queueMessage(RunspacePoolStateInfo{state, std::move(error)});
    return {};
}

Result<void> ServerRunspacePool::connectAnswered()
{
    if (m_connect != ConnectStep::Answering)
        return makeError(ErrorCode::InvalidState, u"no connect from a new client is being answered"_s);
    m_connect = ConnectStep::None;
    // PowerShell's server: the pool state, then (HandlePostConnect) the application private data.
    queueMessage(RunspacePoolStateInfo{RunspacePoolState::Opened, std::nullopt});
    queueMessage(ApplicationPrivateData{m_applicationPrivateData});
    return {};
}

Result<void> ServerRunspacePool::requestPublicKey()
{
    if (m_state != RunspacePoolState::Opened)
        return makeError(ErrorCode::InvalidState, u"PUBLIC_KEY_REQUEST needs an Opened pool"_s);
    queueMessage(PublicKeyRequest{});
    return {};
}

} // namespace Psrp
