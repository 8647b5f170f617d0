#pragma once

#include "psrp/Error.h"
#include "psrp/HostMethod.h"
#include "psrp/Message.h"
#include "psrp/Payloads.h"
#include "psrp/RunspacePool.h"
#include "psrp/Value.h"
#include "wsman/Authenticator.h"
#include "wsman/Channel.h"
#include "wsman/ConnectionInfo.h"
#include "wsman/Envelope.h"
#include "wsman/Fault.h"
#include "wsman/SessionOption.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QSslCertificate>
#include <QString>
#include <QUrl>
#include <QUuid>

#include <functional>
#include <memory>
#include <optional>

class QTimer;

namespace Wsman {

class TraceWriter;

// Why the client (or one of its pipelines) failed. Typed; `detail` is technical text, never a
// secret. The CLI/GUI turn the kind (+ transport/fault) into a sentence.
enum class ClientErrorKind {
    Configuration,       // ConnectionInfo / SessionOption did not resolve (see configError)
    Transport,           // HTTP / socket / TLS / authentication failure (see transport->kind)
    Fault,               // a WSManFault (see fault: code, machine, message; Fault.h kind())
    ShellNotFound,       // 0x8033805B: the server forgot the shell; the pool is Broken
    Protocol,            // PSRP decoding / state machine error (see protocol)
    PoolBroken,          // the server sent RUNSPACEPOOL_STATE Broken (see errorRecord)
    RedirectNotAllowed,  // a 302 without -AllowRedirection + ConnectionUri (see transport->location)
    TooManyRedirects,    // more than MaximumConnectionRedirectionCount redirects
    OpenTimeout,         // the pool did not reach Opened within OpenTimeout
    CancelTimeout,       // a stopped pipeline did not reach Stopped within CancelTimeout
    DataSizeExceeded,    // MaximumReceivedDataSizePerCommand exceeded; the pipeline was stopped
    ObjectSizeExceeded,  // a message outgrew MaximumReceivedObjectSize
    Trace,               // the --trace file could not be created
    InvalidState,        // a method called when the client / pipeline cannot do it
};

struct ClientError {
    ClientErrorKind kind = ClientErrorKind::Protocol;
    QString detail;
    Action action = Action::Unknown;           // the WS-Management operation that failed, if any
    QUuid pipelineId;                          // null: the pool
    std::optional<TransportError> transport;   // Transport, RedirectNotAllowed, TooManyRedirects
    std::optional<Fault> fault;                // Fault, ShellNotFound
    std::optional<Psrp::Error> protocol;       // Protocol, ObjectSizeExceeded
    std::optional<ConfigError> configError;    // Configuration
    std::optional<Psrp::ErrorRecord> errorRecord; // PoolBroken: the server's reason
    bool connectionLost = false; // Transport: the robust-connection retries ran out (pool Broken)
};

// Creates a fresh authenticator for each channel (shell channel, pipeline channel, and again
// after a redirect). Called on the client's thread.
using AuthenticatorFactory = std::function<std::unique_ptr<Authenticator>()>;

// The authentication for one redirect hop (dossier 1.12): a factory made for the new host
// (its own SPN, encryption decided for its scheme), or, when `factory` is empty, why the hop is
// refused (e.g. the new host would need TrustedHosts consent, or CredSSP would delegate the
// password to a host the user never named). The reason reaches ClientError::detail: no secret.
struct RedirectAuthentication {
    AuthenticatorFactory factory;
    QString refusal;
};
// Called once per redirect hop, after the hop passed AllowRedirection and the redirection count,
// before anything is sent to `newUrl`.
using RedirectAuthenticator = std::function<RedirectAuthentication(const QUrl &newUrl)>;

// Source of every fresh id (RunspacePool / shell id, pipeline ids, MessageIDs, SessionId).
// Tests inject recorded ids; default QUuid::createUuid.
using IdGenerator = std::function<QUuid()>;

// Everything a RunspacePoolClient needs. A plain value type; no password lives here (it is
// captured by the authenticator factory, see basicAuthenticatorFactory).
struct ClientOptions {
    ConnectionInfo connection;
    SessionOption sessionOption;
    AuthenticatorFactory authenticatorFactory;
    // Empty: every hop reuses authenticatorFactory (fresh authenticators, the first host's
    // settings). Set: each hop authenticates with what it returns, or is refused.
    RedirectAuthenticator redirectAuthenticator;
    QString tracePath;                      // non-empty: --trace FILE (JSON Lines, mode 0600)
    QList<QSslCertificate> extraCaCertificates; // trusted in addition to the system store
    QList<QByteArray> pinnedSha256;             // trust on first use: see ChannelSettings::pinnedSha256
    std::optional<ClientCertificate> clientCertificate; // -CertificateThumbprint: see ChannelSettings
    std::shared_ptr<const Secret> proxyPassword;         // ProxyCredential's password: see ChannelSettings
    Psrp::HostInfo hostInfo = Psrp::HostInfo::noHost();
    qint32 minRunspaces = 1;
    qint32 maxRunspaces = 1;
    IdGenerator idGenerator;                // empty: QUuid::createUuid
    // Bound of the best-effort Delete sent after failed() (request and answer together).
    qint64 failureDeleteTimeoutMs = 3000;
    // Robust connection (PowerShell 3+, WSMAN_OPTION_MAX_RETRY_TIME): how long a session whose
    // connection dropped keeps trying to come back (0: give up at once), and the backoff between
    // attempts (doubling from initialBackoffMs up to maxBackoffMs).
    qint64 maxRetryTimeMs = 240000;
    qint64 initialBackoffMs = 1000;
    qint64 maxBackoffMs = 15000;
};

// One shell the server keeps, as WS-Enumeration over the shell resource reports it
// (Get-PSSession -ComputerName), or the reason the listing failed.
struct ShellListResult {
    QList<ShellInfo> shells;
    std::optional<ClientError> error;
};
using ShellListCallback = std::function<void(const ShellListResult &result)>;

// A factory making BasicAuthenticators for `userName`; the password is held once (wiped on
// destruction of the last factory copy).
AuthenticatorFactory basicAuthenticatorFactory(QString userName, Secret password);

// Options of invokeScript().
struct ScriptOptions {
    bool outString = true;  // append `Out-String -Stream` so output is formatted on the server
    bool noInput = true;    // false: the pipeline takes input (sendInput / endInput)
    bool addToHistory = false;
};

// The client driver of a PowerShell remoting session over WS-Management: runs a
// Psrp::ClientRunspacePool over two Channels (the shell-level Receive loop on one, every other
// request - Create, Command, Send, Signal, Delete - on a second, each running pipeline's Receive loop
// on a third of its own, reused by later pipelines), builds and
// parses envelopes, maps faults and transport errors to ClientError, follows redirects (each hop a
// new session on new connections with new authenticators; https -> http only when the new hop's
// authenticator encrypts every message, see handleRedirect), enforces
// OpenTimeout / CancelTimeout and the receive size limits, writes the trace. Fully asynchronous:
// no waitFor*, no nested event loops; results arrive as signals (direct, on this thread).
// Output is streamed as it arrives, never accumulated. Lives in one thread; owns its channels,
// pool engine and trace writer.
//
// Lifecycle: open() -> opened() (or failed()); invoke...() -> pipelineOutput/Record/hostCall ...
// -> pipelineFinished(); close() -> closed(). closed() is always the last signal, after a clean
// close or after failed(). After failed(), when the shell may still exist on the server, one
// best-effort Delete (no retry, at most failureDeleteTimeoutMs) precedes closed(). Destroying the
// client drops everything without signals (the shell is left for the server to time out).
//
// Robust connection and resend safety (a command never runs twice): a request issued while the
// network is down waits and is sent once after the restore. A request that was on the wire when
// the connection dropped may have been processed even though its answer was lost, so after the
// restore (Reconnect to the same shell): a Command is not sent again but asked about with a
// Receive on its CommandId - the server knows it: its output continues; "not found": the Command
// is sent then; a Send of pipeline input or a host answer is not sent again either (it could be
// delivered twice): its pipeline fails with a clear pipelineError and is terminated; pool-level
// Sends (key exchange, pool host answers, pool requests) and Signals are sent again. Later
// requests of a pipeline whose Command is being asked about wait for the verdict, in order.
class RunspacePoolClient : public QObject {
    Q_OBJECT
public:
    explicit RunspacePoolClient(ClientOptions options, QObject *parent = nullptr);
    ~RunspacePoolClient() override;

    // Resolves the connection, creates the shell (Create with creationXml), starts the shell
    // Receive loop. Errors (also configuration ones) arrive as failed() then closed().
    void open();
    // Instead of open(): connects this new client to a shell the server keeps (usually
    // Disconnected, see enumerateShells): MS-PSRP 3.1.5.3.14 Connect with connectXml =
    // SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL; the pool opens from the connectResponseXml
    // (opened() follows), then the shell Receive loop runs. Pipelines left running on the server
    // are not adopted.
    void connectExisting(const QUuid &shellId);

    // Dossier 1.8: Disconnect (IdleTimeOut = SessionOption idleTimeoutMs when set); the pool goes
    // Disconnected (stateChanged, then disconnected()), receive loops stop, the server keeps the
    // shell and buffers output. Needs an Opened pool and a server protocol >= 2.2, else InvalidState.
    Psrp::Result<void> disconnect();
    // Same client, same wsmv:SessionId: Reconnect, then the pool is Opened again (reconnected())
    // and the shell and pipeline Receive loops resume, delivering what the server buffered.
    Psrp::Result<void> reconnect();
    // WS-Enumeration Enumerate over the shell resource with `options`' connection and
    // authentication: the PowerShell shells (resource URI under .../powershell/) the server keeps
    // for this user. The callback runs once, on the caller's thread, after this returns.
    static void enumerateShells(const ClientOptions &options, ShellListCallback callback);
    // Deletes the shell (after stopping running pipelines' receive loops); closed() follows.
    // Before open / after the end: closed() follows at once (queued). After failed(): nothing to
    // do, closed() follows by itself.
    void close();

    // MS-PSRP 3.1.4.3: runs a pipeline (Command with CREATE_PIPELINE). Needs state Opened.
    Psrp::Result<QUuid> invoke(const Psrp::CreatePipeline &request);
    // One script command (+ `Out-String -Stream` with options.outString).
    Psrp::Result<QUuid> invokeScript(const QString &script, const ScriptOptions &options = {});
    // GET_COMMAND_METADATA, also sent with Command; replies arrive as pipelineOutput.
    Psrp::Result<QUuid> getCommandMetadata(const Psrp::GetCommandMetadata &request);

    // Pipeline input (stdin) for a pipeline created with noInput false.
    Psrp::Result<void> sendInput(const QUuid &pipelineId, const Psrp::Value &value);
    Psrp::Result<void> endInput(const QUuid &pipelineId);
    // Signal crtl_c; waits at most CancelTimeout for Stopped, else terminates the command and
    // reports pipelineError(CancelTimeout) + pipelineFinished(Stopped).
    Psrp::Result<void> stop(const QUuid &pipelineId);
    // Signal terminate now (no crtl_c, no CancelTimeout); pipelineFinished(Stopped) follows at once.
    Psrp::Result<void> terminate(const QUuid &pipelineId);
    // Answers a hostCall (pipelineId null: the pool's) on stream "pr".
    Psrp::Result<void> respondToHostCall(const QUuid &pipelineId, const Psrp::HostResponse &response);

    // SecureString helpers of the pool (MS-PSRP 3.1.4.5 key exchange, then (de)cryption).
    Psrp::Result<void> exchangeKey(std::optional<Psrp::SessionKey> key = std::nullopt);
    bool canUseSecureString() const;
    Psrp::Result<Psrp::SecureString> encryptSecureString(QStringView text) const;
    Psrp::Result<QString> decryptSecureString(const Psrp::SecureString &value) const;

    Psrp::RunspacePoolState state() const;
    const Psrp::ClientRunspacePool &pool() const { return *m_pool; }
    QUuid shellId() const;
    QUuid sessionId() const { return m_sessionId; }
    QUrl currentUrl() const { return m_url; } // after redirects
    // The server's SESSION_CAPABILITY protocolversion, null until received.
    QVersionNumber serverProtocolVersion() const;
    qint64 maxEnvelopeSize() const { return m_context.maxEnvelopeSize; }
    // HTTP requests (round trips) completed so far, both channels together.
    quint64 requestCount() const { return m_requestCount; }
    // Pipelines not yet finished.
    QList<QUuid> activePipelines() const;
    const ClientOptions &options() const { return m_options; }
    // True between networkInterrupted() and networkRestored() / the end of the retries.
    bool isReconnecting() const { return m_interrupted; }

Q_SIGNALS:
    void opened();
    void stateChanged(Psrp::RunspacePoolState state);
    // pipelineId null: RUNSPACEPOOL_HOST_CALL. Answer with respondToHostCall unless call.isVoid().
    void hostCall(const QUuid &pipelineId, const Psrp::HostCall &call);
    void pipelineOutput(const QUuid &pipelineId, const Psrp::Value &value);
    // ERROR_RECORD, WARNING/VERBOSE/DEBUG/INFORMATION_RECORD, PROGRESS_RECORD.
    void pipelineRecord(const QUuid &pipelineId, Psrp::MessageType type, const Psrp::Payload &payload);
    // A pipeline-level failure (DataSizeExceeded, CancelTimeout, a fault on its requests);
    // pipelineFinished follows.
    void pipelineError(const QUuid &pipelineId, const Wsman::ClientError &error);
    // The final state (Completed, Stopped, Failed), with the server's reason if any.
    void pipelineFinished(const QUuid &pipelineId, Psrp::PSInvocationState state,
                          const std::optional<Psrp::ErrorRecord> &error);
    // Other pool messages (RUNSPACE_AVAILABILITY, USER_EVENT, APPLICATION_PRIVATE_DATA, ...).
    void poolMessage(Psrp::MessageType type, const Psrp::Payload &payload);
    void sessionKeyReady();
    // disconnect() / the end of the robust-connection retries: the pool is Disconnected.
    void disconnected();
    // reconnect(): the pool is Opened again.
    void reconnected();
    // Robust connection, in PowerShell's order (users-and-peers 0.3). Output received before the
    // drop was delivered before networkInterrupted(). A pipeline invoked meanwhile is queued and
    // sent after networkRestored(); when the retries end it fails with InvalidState.
    //  "The network connection to {0} has been interrupted. Attempting to reconnect for up to
    //   {1} minutes..."
    void networkInterrupted(qint64 maxRetryTimeMs);
    //  "Attempting to reconnect to {0} ..." (progress, activity "Network connection interrupted")
    void reconnectAttempt(int attempt, qint64 remainingMs);
    //  "The network connection to {0} has been restored."
    void networkRestored();
    //  "The reconnection attempt to {0} failed. Attempting to disconnect the session..."; then
    // disconnected() ("Computer {0} has been successfully disconnected.") when the server
    // supports it and the Disconnect got through, else failed(Transport, with
    // ClientError::connectionLost) and closed().
    void reconnectFailed();
    void failed(const Wsman::ClientError &error);
    void closed();

private:
    struct PipelineState;
    struct HeldRequest {
        Action action;
        QUuid pipelineId;
        QByteArray body;
        std::function<void(const TransportResponse &)> onOk;
        std::function<bool(const ClientError &)> onError;
        bool mayHaveArrived = false; // sent before the drop, its answer lost
    };

    enum class Phase { Idle, Creating, Open, Closing, Done };

    void startSession();
    void preparePool(const QUuid &poolId);
    void resetSession();
    Channel *makeChannel();
    void post(Channel *channel, Action action, const QUuid &pipelineId, QByteArray body,
              std::function<void(const TransportResponse &)> onOk,
              std::function<bool(const ClientError &)> onError = {});
    ClientError errorFrom(const TransportError &error, Action action, const QUuid &pipelineId) const;
    void onCreated(const TransportResponse &response);
    void shellReceive();
    void pipelineReceive(const QUuid &pipelineId);
    void onPipelineReceived(const QUuid &pipelineId, const TransportResponse &response);
    void handleReceive(const QUuid &pipelineId, const ReceiveResponse &parsed);
    void feed(const QUuid &pipelineId, const QByteArray &data);
    void processEvents();
    void pump();
    void sendPipelineCommand(const QUuid &pipelineId, QByteArray payload);
    void signalPipeline(const QUuid &pipelineId, SignalCode code);
    void onCancelTimeout(const QUuid &pipelineId);
    void finishPipeline(const QUuid &pipelineId, Psrp::PSInvocationState state,
                        std::optional<Psrp::ErrorRecord> error);
    void maybeTerminate(const QUuid &pipelineId);
    void fail(ClientError error);
    bool shellMayExist(const ClientError &error) const;
    void deleteAfterFailure();
    void finishClose();
    void handleRedirect(const TransportError &error, Action action);
    QUuid newId();
    Psrp::Result<QUuid> started(Psrp::Result<QUuid> id);
    bool prepare();
    void startConnect(const QUuid &shellId);
    bool canRideOut(const ClientError &error, Action action) const;
    void interrupt(const ClientError &error);
    void scheduleAttempt();
    void attemptReconnect();
    void restore(Channel *channel);
    void verifyCommand(const HeldRequest &request);
    void failUncertainSend(const QUuid &pipelineId);
    void renewChannels(Channel *channel);
    void giveUp();
    void markDisconnected();
    void breakPool(ClientError error);
    void refuseHeld(const QString &why);
    void resumeLoops();

    ClientOptions m_options;
    AuthenticatorFactory m_factory; // the current hop's (options, or the redirect hook's)
    IdGenerator m_ids;
    QUuid m_sessionId;
    QUrl m_url;
    ChannelSettings m_channelSettings;
    RequestContext m_context;
    std::unique_ptr<Psrp::ClientRunspacePool> m_pool;
    Channel *m_shellChannel = nullptr;  // shell Receive loop
    Channel *m_mainChannel = nullptr;   // everything else
    Channel *m_deleteChannel = nullptr; // the Delete after a failure, on a fresh connection
    QList<Channel *> m_idleReceiveChannels; // pipeline Receive channels kept for reuse
    std::unique_ptr<TraceWriter> m_trace;
    QTimer *m_openTimer = nullptr;
    QHash<QUuid, std::shared_ptr<PipelineState>> m_pipelines;
    Phase m_phase = Phase::Idle;
    int m_redirects = 0;
    bool m_sending = false;
    bool m_shellReceiving = false;
    int m_shellRetries = 0;
    bool m_failed = false;
    bool m_createSent = false;   // the Create of the current session is on the wire
    bool m_shellCreated = false; // ... and was answered
    bool m_closedEmitted = false;
    quint64 m_requestCount = 0;
    quint64 m_generation = 0; // bumped on a redirect so stale callbacks are ignored
    bool m_openedEmitted = false;
    bool m_disconnecting = false;     // a Disconnect or Reconnect is on the wire
    bool m_interrupted = false;       // robust connection: retrying (or giving up)
    bool m_givingUp = false;          // ... the retries ran out, the Disconnect is under way
    int m_attempt = 0;
    QDeadlineTimer m_retryDeadline;
    QTimer *m_retryTimer = nullptr;
    Channel *m_probeChannel = nullptr;
    std::optional<ClientError> m_lastNetworkError;
    QList<HeldRequest> m_held;        // requests that wait for the network (or that failed on it)
    QList<Channel *> m_retired;       // replaced channels still finishing requests
};

} // namespace Wsman
