#pragma once

#include "psrp/Error.h"
#include "psrp/Fragment.h"
#include "psrp/HostMethod.h"
#include "psrp/Message.h"
#include "psrp/Payloads.h"
#include "psrp/Pipeline.h"
#include "psrp/ProtocolVersion.h"
#include "psrp/SessionKey.h"
#include "psrp/Value.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QSet>
#include <QString>
#include <QUuid>
#include <QVersionNumber>

#include <deque>
#include <vector>
#include <memory>
#include <optional>
#include <variant>

namespace Psrp {

// MS-PSRP 3.1.4 / 3.2.4 RunspacePoolState transitions, one table for both sides:
//   BeforeOpen           -> Opening (client open()), Connecting (client connect()),
//                           NegotiationSucceeded (server: client SESSION_CAPABILITY), Broken, Closed
//   Opening              -> NegotiationSucceeded (client: server SESSION_CAPABILITY), Opened
//                           (server: INIT_RUNSPACEPOOL answered), Broken, Closed
//   NegotiationSucceeded -> Opening (server: INIT_RUNSPACEPOOL), Opened, Broken, Closed
//   Connecting           -> NegotiationSucceeded, Opened (RUNSPACEPOOL_INIT_DATA), Broken, Closed
//   Opened               -> Closing, Closed, Broken, Disconnected
//   Closing              -> Closed, Broken
//   Disconnected         -> Connecting, Closed, Broken
//   Closed, Broken: terminal. NegotiationSent is never entered (the capability is sent together
//   with INIT_RUNSPACEPOOL / CONNECT_RUNSPACEPOOL). Every pool state change goes through this.
bool isAllowedTransition(RunspacePoolState from, RunspacePoolState to);

// One WS-Management payload: whole fragments (dossier 2.1) for one target.
struct OutgoingData {
    QByteArray data;   // encoded fragments, one after another
    QUuid pipelineId;  // null: the pool (shell); else the command
    QString stream;    // "stdin", or "pr" for host responses
    // The type of the first message that starts in `data` (CREATE_PIPELINE / GET_COMMAND_METADATA
    // means: send with wxf:Command); nullopt when `data` only continues an earlier message.
    std::optional<MessageType> firstMessageType;
};

// What the engine tells its owner, in order.
struct Event {
    enum class Kind {
        Message,              // a message was received; `payload` holds it
        PoolStateChanged,     // `poolState` is the new state, `error` the reason if any
        PipelineStateChanged, // `pipelineState` of `pipelineId`, `error` the reason if any
        SessionKeyReady,      // the SecureString session key is usable
    };
    Kind kind = Kind::Message;
    MessageType messageType = MessageType::SessionCapability; // Kind::Message
    QUuid pipelineId;
    // Shared and immutable: a Payload is large (~400 bytes), and events move through queues.
    std::shared_ptr<const Payload> payload;
    RunspacePoolState poolState = RunspacePoolState::BeforeOpen;
    PSInvocationState pipelineState = PSInvocationState::NotStarted;
    std::shared_ptr<const ErrorRecord> error; // the reason, if any (shared: events move often)
};

// The sans-IO core shared by both sides of a runspace pool: fragment packing and reassembly,
// the ObjectId counter (one per pool, from 1), the event queue, the pool and pipeline state
// machines and the SecureString session key. Owns everything it holds; no I/O, no timers.
class RunspacePoolEngine {
public:
    virtual ~RunspacePoolEngine() = default;
    RunspacePoolEngine(const RunspacePoolEngine &) = delete;
    RunspacePoolEngine &operator=(const RunspacePoolEngine &) = delete;

    QUuid id() const { return m_id; }
    RunspacePoolState state() const { return m_state; }
    // nullopt for an unknown pipeline id.
    std::optional<PSInvocationState> pipelineState(const QUuid &pipelineId) const;

    // One WS-Man Stream / creationXml payload of fragments. Every message the payload completes
    // is processed, even after one of them fails (a bad message does not hide the others); the
    // error returned is the first one met: a message's, else the fragment stream's.
    Result<void> receiveData(QByteArrayView payload);
    // Packs as many whole fragments of queued messages as fit in maxPayloadBytes, all for one
    // target; a message that starts a command (CREATE_PIPELINE, GET_COMMAND_METADATA) ends the
    // payload. nullopt when nothing is queued or maxPayloadBytes <= FragmentHeaderSize.
    std::optional<OutgoingData> dataToSend(qsizetype maxPayloadBytes);
    bool hasDataToSend() const { return !m_outgoing.empty(); }
    std::optional<Event> nextEvent();

    // MaximumReceivedObjectSize for reassembly: 200 MB on the client, 10 MB on the server (as
    // PowerShell's MaximumReceivedObjectSizeMB). Also the total of incomplete messages.
    void setMaxReceivedObjectSize(qsizetype bytes) { m_defragmenter.setMaxMessageSize(bytes); }
    qsizetype maxReceivedObjectSize() const { return m_defragmenter.maxMessageSize(); }

    // The peer's SESSION_CAPABILITY protocolversion, null until received.
    QVersionNumber peerProtocolVersion() const { return m_peerVersion; }
    // True when <SS> values can be (de)crypted: a session key, or both peers >= 2.4.
    bool canUseSecureString() const;
    // MS-PSRP 2.2.5.1.24 / dossier 2.7: the bytes an <SS> carries for `text`, and back.
    // InvalidState without a session key (run the exchange first).
    Result<SecureString> encryptSecureString(QStringView text) const;
    Result<QString> decryptSecureString(const SecureString &value) const;

protected:
    RunspacePoolEngine(const QUuid &id, Destination inbound, const QVersionNumber &ownVersion);

    virtual Result<void> handleMessage(const Message &message, Payload payload) = 0;

    // Encodes and queues one message; `peerVersion` gates CREATE_PIPELINE's merge members.
    void queueMessage(const Payload &payload, const QUuid &pipelineId = {},
                      const QString &stream = QStringLiteral("stdin"));
    Result<void> changeState(RunspacePoolState to, std::optional<ErrorRecord> error = std::nullopt);
    Result<void> changePipelineState(Pipeline &pipeline, PSInvocationState to,
                                     std::optional<ErrorRecord> error = std::nullopt);
    void emitMessage(const Message &message, Payload payload);
    Pipeline *findPipeline(const QUuid &id);
    Result<Pipeline *> activePipeline(const QUuid &id, MessageType type);
    static Error unexpected(MessageType type, RunspacePoolState state, const QString &why = {});

    QUuid m_id;
    Destination m_inbound;
    QVersionNumber m_ownVersion;
    QVersionNumber m_peerVersion;
    RunspacePoolState m_state = RunspacePoolState::BeforeOpen;
    QHash<QUuid, Pipeline> m_pipelines;
    std::unique_ptr<SessionKey> m_sessionKey; // holds a usable AES key once exchanged
    // A FIFO without per-event allocations: nextEvent() reads from m_eventHead and the vector
    // is cleared once drained.
    std::vector<Event> m_events;
    std::size_t m_eventHead = 0;

private:
    struct Pending {
        QUuid pipelineId;
        QString stream;
        MessageType type;
        quint64 objectId = 0;
        quint64 nextFragmentId = 0;
        QByteArray bytes;
        qsizetype offset = 0;
    };
    std::deque<Pending> m_outgoing;
    quint64 m_nextObjectId = 1;
    Defragmenter m_defragmenter;

    Result<void> processMessage(QByteArrayView bytes);
};

// Client side (MS-PSRP 3.1): open or connect a pool, run pipelines, answer host calls, run the
// key exchange. The WS-Man layer moves the bytes and sends the crtl_c signal for stop().
class ClientRunspacePool : public RunspacePoolEngine {
public:
    explicit ClientRunspacePool(const QUuid &id = QUuid::createUuid(), qint32 minRunspaces = 1,
                                qint32 maxRunspaces = 1, HostInfo hostInfo = HostInfo::noHost(),
                                Value applicationArguments = {});

    qint32 minRunspaces() const { return m_min; }
    qint32 maxRunspaces() const { return m_max; }
    // The server's APPLICATION_PRIVATE_DATA, null until received.
    const Value &applicationPrivateData() const { return m_applicationPrivateData; }

    // 150 KiB until the server's SESSION_CAPABILITY says >= 2.2, then 500 KiB (dossier 1.10).
    qsizetype maxEnvelopeSize() const;
    qsizetype maxPayloadSize() const { return maxFragmentPayloadSize(maxEnvelopeSize()); }

    // BeforeOpen -> Opening: queues SESSION_CAPABILITY (2.3) + INIT_RUNSPACEPOOL (creationXml).
    Result<void> open();
    // BeforeOpen/Disconnected -> Connecting: SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL (connectXml).
    Result<void> connect();
    // Opened -> Closing; the WS-Man layer deletes the shell, then calls closed().
    Result<void> close();
    // Closing (or any open state) -> Closed once the shell is gone.
    Result<void> closed();
    // MS-PSRP 3.1.4.9 / 3.1.4.10: the WS-Man layer disconnected the shell (Opened -> Disconnected)
    // and, after a Reconnect by the same client, resumed it (Disconnected -> Connecting -> Opened).
    // Pipelines keep their state: the server buffers their output meanwhile.
    Result<void> disconnected();
    Result<void> reconnected();
    // The transport lost the shell for good (e.g. the network never came back): Broken, and
    // every pipeline with it.
    Result<void> broken();

    // Queues CREATE_PIPELINE (merge members gated by the server's version); the pipeline is
    // Running. `pipelineId` null: a fresh one.
    Result<QUuid> createPipeline(const CreatePipeline &request, QUuid pipelineId = {});
    Result<QUuid> getCommandMetadata(const GetCommandMetadata &request, QUuid pipelineId = {});
    // PIPELINE_INPUT / END_OF_PIPELINE_INPUT; only for a pipeline created with noInput false.
    Result<void> sendInput(const QUuid &pipelineId, const Value &value);
    Result<void> endInput(const QUuid &pipelineId);
    // Running -> Stopping; the server's PIPELINE_STATE Stopped follows the crtl_c signal.
    Result<void> stop(const QUuid &pipelineId);
    // Answers a host call (pipelineId null: RUNSPACEPOOL_HOST_CALL) on stream "pr". The call
    // id must be one the server sent and still waits for.
    Result<void> hostResponse(const QUuid &pipelineId, const HostResponse &response);

    // Pool requests; each returns the `ci` the RUNSPACE_AVAILABILITY answer will carry.
    Result<qint64> setMaxRunspaces(qint32 count);
    Result<qint64> setMinRunspaces(qint32 count);
    Result<qint64> getAvailableRunspaces();
    // Unsupported when the server's protocol is < 2.3.
    Result<qint64> resetRunspaceState();

    // Queues PUBLIC_KEY (a fresh RSA-2048 key, or `key` when given, e.g. fixed for tests);
    // SessionKeyReady follows the server's ENCRYPTED_SESSION_KEY. No-op when done or under way.
    // An ENCRYPTED_SESSION_KEY that does not decrypt is CryptoFailure and ends the exchange, so
    // exchangeKey() can start again; one arriving once the pool is Closed/Broken is refused.
    Result<void> exchangeKey(std::optional<SessionKey> key = std::nullopt);
    bool keyExchangePending() const { return m_keyPending; }

protected:
    Result<void> handleMessage(const Message &message, Payload payload) override;

private:
    Result<void> requireOpened(QStringView what) const;
    Result<qint64> poolRequest(MessageType type, qint32 count);
    Result<void> handlePipelineMessage(const Message &message, Payload payload);

    qint32 m_min;
    qint32 m_max;
    HostInfo m_hostInfo;
    Value m_applicationArguments;
    Value m_applicationPrivateData;
    qint64 m_nextCallId = 1;
    QHash<qint64, std::pair<MessageType, qint32>> m_pendingPoolCalls; // ci -> request, count
    QSet<qint64> m_pendingPoolHostCalls;
    std::optional<SessionKey> m_keyInExchange;
    bool m_keyPending = false;
};

// Server side (MS-PSRP 3.2): answers the handshake itself and exposes the client's requests as
// events; the owner writes output, records, host calls and pipeline states through it.
class ServerRunspacePool : public RunspacePoolEngine {
public:
    // PowerShell's server default MaximumReceivedObjectSizeMB (setMaxReceivedObjectSize changes it).
    static constexpr qsizetype DefaultMaxReceivedObjectSize = 10 * 1024 * 1024;

    // `id` null: adopt the RPID of the first client message.
    explicit ServerRunspacePool(const QUuid &id = {},
                                const QVersionNumber &protocolVersion = ProtocolVersions::v2_3());

    qint32 minRunspaces() const { return m_min; }
    qint32 maxRunspaces() const { return m_max; }
    // APPLICATION_PRIVATE_DATA sent when the pool opens (default: an empty PSPrimitiveDictionary).
    void setApplicationPrivateData(Value data) { m_applicationPrivateData = std::move(data); }
    // The client's INIT_RUNSPACEPOOL / last CREATE_PIPELINE, as received.
    const std::optional<InitRunspacePool> &initRunspacePool() const { return m_init; }

    // RUNSPACE_AVAILABILITY for a SET_MAX/SET_MIN/GET_AVAILABLE/RESET request `callId`. A true
    // answer to SET_MAX/SET_MIN applies the new count.
    Result<void> runspaceAvailability(qint64 callId, std::variant<bool, qint64> value);

    // Pipeline output and records (PIPELINE_OUTPUT, ERROR_RECORD, ...): the payload must be a
    // server-to-client pipeline message; INFORMATION_RECORD needs a client >= 2.3.
    Result<void> write(const QUuid &pipelineId, const Payload &payload);
    Result<void> writeOutput(const QUuid &pipelineId, const Value &value);
    Result<void> writeError(const QUuid &pipelineId, const ErrorRecord &error);
    // Queues a host call (pipelineId null: RUNSPACEPOOL_HOST_CALL); returns its call id
    // (VoidCallId for methods that return nothing).
    Result<qint64> hostCall(const QUuid &pipelineId, HostMethodId method, QList<Value> parameters = {});
    // PIPELINE_STATE: Completed, Stopped or Failed (with its error record), or Running again.
    Result<void> setPipelineState(const QUuid &pipelineId, PSInvocationState state,
                                  std::optional<ErrorRecord> error = std::nullopt);
    // RUNSPACEPOOL_STATE Closed or Broken (with its reason).
    Result<void> setPoolState(RunspacePoolState state, std::optional<ErrorRecord> error = std::nullopt);
    // PUBLIC_KEY_REQUEST, as PS v2 servers send it before writing an <SS>.
    Result<void> requestPublicKey();

    // Connect from a new client (SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL on an Opened or
    // Disconnected pool): the owner answers the WS-Man Connect with what is queued then
    // (SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA) and calls connectAnswered(), which queues
    // RUNSPACEPOOL_STATE Opened + APPLICATION_PRIVATE_DATA for the next Receive.
    bool connectAnswerPending() const { return m_connect == ConnectStep::Answering; }
    Result<void> connectAnswered();

protected:
    Result<void> handleMessage(const Message &message, Payload payload) override;

private:
    enum class ConnectStep { None, Negotiated, Answering };

    Result<void> handlePoolRequest(const Message &message, Payload payload);

    qint32 m_min = 1;
    qint32 m_max = 1;
    Value m_applicationPrivateData;
    std::optional<InitRunspacePool> m_init;
    qint64 m_nextHostCallId = 1;
    QHash<qint64, std::pair<MessageType, qint32>> m_pendingPoolCalls;
    QSet<qint64> m_pendingPoolHostCalls;
    ConnectStep m_connect = ConnectStep::None;
};

} // namespace Psrp
