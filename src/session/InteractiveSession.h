#pragma once

#include "psrp/Error.h"
#include "psrp/HostMethod.h"
#include "psrp/Payloads.h"
#include "session/HostUi.h"
#include "session/ProgressTracker.h"
#include "wsman/RunspacePoolClient.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUuid>

#include <functional>
#include <memory>
#include <optional>

class QTimer;

namespace Session {

struct EnterOptions {
    // Shown as "[<computerName>]: " before the remote prompt (dossier 2.9 step 2).
    QString computerName;
    // GetName / GetVersion answers.
    QString hostName = QStringLiteral("PSRemote");
    // A temporary session (entered by host name) is closed on exit; one entered from the session
    // list (attach) stays open.
    bool closeOnExit = true;
};

// One completion of TabExpansion2 (MS-PSRP, dossier 2.10 CompletionResult).
struct CompletionMatch {
    QString completionText;
    QString listItemText;
    QString resultType;
    QString toolTip;
};

struct Completion {
    qint32 replacementIndex = 0;
    qint32 replacementLength = 0;
    QList<CompletionMatch> matches;
};

// PowerShell's refusal to enter a disconnected session that still runs a command
// (users-and-peers 0.3), in PSRemote words; `session` names it (e.g. "Runspace1" or the host).
QString cannotEnterBusyDisconnectedText(const QString &session);

// What interrupt() did.
enum class InterruptResult {
    Ignored,    // nothing was running (a CLI counts these towards its exit)
    Stopping,   // crtl_c sent; waiting at most CancelTimeout
    Abandoned,  // second interrupt: Signal terminate sent, the session is Ready again
    EnterCancelled, // entering a busy session was cancelled
};

// The interactive session engine (Enter-PSSession semantics, dossier 2.9 and users-and-peers 0.3)
// over one Wsman::RunspacePoolClient: entering (probe, prompt), one line at a time as
// `<line> | Out-Default`, every host call dispatched to a HostUi, Ctrl+C, tab completion, exit.
// No blocking, no nested loops: driven by its thread's event loop (a GUI thread).
// Owns the client when entered by enter(); attach() borrows one (it stays open on exit).
// The HostUi must outlive the session.
//
// runLine() while a line runs is refused (Result error, nothing queued): a console only offers
// the next line once the prompt is back, and a queued line would run against an unknown prompt.
//
// Robust connection (users-and-peers 0.3): the client's signals become PowerShell's warnings (as
// notes) and a "Network connection interrupted" progress item; the condition reaches
// HostUi::connectionChanged. While reconnecting, a line is accepted, queued by the client and run
// after the restore (a note says so); when the retries end, a queued line is refused with a
// note. A session the client could disconnect ends Broken with ConnectionCondition Disconnected
// and the owned client kept (the server keeps the shell): reconnect() resumes it.
class InteractiveSession : public QObject {
    Q_OBJECT
public:
    explicit InteractiveSession(HostUi &ui, QObject *parent = nullptr);
    ~InteractiveSession() override;

    // Opens a new pool with `options` (its HostInfo is replaced by the UI's console; culture and
    // UI culture default to the local locale in SessionOption) and enters it.
    void enter(Wsman::ClientOptions options, EnterOptions enterOptions);
    // Enters an already open pool (from a session list); waits, with PowerShell's busy message,
    // while it runs a command (interrupt() cancels the wait). A Disconnected pool is reconnected
    // first, unless it still runs a command (refused: cannotEnterBusyDisconnectedText). Culture
    // and UI culture are the client's (its options' SessionOption).
    void attach(Wsman::RunspacePoolClient *client, EnterOptions enterOptions);
    // A session that ended Disconnected (connectionCondition()): Reconnect to the same shell;
    // the running line (if any) continues, else the prompt comes back. InvalidState otherwise.
    Psrp::Result<void> reconnect();

    Psrp::Result<void> runLine(const QString &line);
    InterruptResult interrupt();
    // TabExpansion2 -inputScript <text> -cursorColumn <cursor>; `done` gets nullopt when skipped
    // (endpoint without TabExpansion2, session not Ready) or when completion failed.
    void complete(const QString &text, qint32 cursor, std::function<void(std::optional<Completion>)> done);
    // Leaves the session (closes a temporary one).
    void exit();

    SessionState state() const { return m_state; }
    QString prompt() const { return m_prompt; }
    // What was sent as WS-Management Locale (UI culture) and DataLocale (culture).
    QString culture() const { return m_culture; }
    QString uiCulture() const { return m_uiCulture; }
    bool hasTabExpansion() const { return m_hasTabExpansion; }
    ConnectionCondition connectionCondition() const { return m_condition; }
    Wsman::RunspacePoolClient *client() const { return m_client; }
    // The last failure that ended the session (Broken / refused), empty otherwise.
    QString failureText() const { return m_failure; }

Q_SIGNALS:
    void stateChanged(Session::SessionState state);
    void promptChanged(const QString &prompt);
    // A line was accepted by runLine (the caller records it in its CommandHistory).
    void lineStarted(const QString &line);
    void lineFinished(Psrp::PSInvocationState state);
    void left(); // exit / Exit-PSSession / SetShouldExit / PopRunspace

private:
    enum class Phase { None, WaitingIdle, Probing, Prompting, Running, Leaving };
    struct Pending;

    void connectClient();
    void setState(SessionState state);
    void startProbe();
    void onProbeFinished(Psrp::PSInvocationState state);
    void evaluatePrompt();
    void onPromptFinished(Psrp::PSInvocationState state);
    void onOutput(const QUuid &pipelineId, const Psrp::Value &value);
    void onRecord(const QUuid &pipelineId, Psrp::MessageType type, const Psrp::Payload &payload);
    void onPipelineError(const QUuid &pipelineId, const Wsman::ClientError &error);
    void onFinished(const QUuid &pipelineId, Psrp::PSInvocationState state, const std::optional<Psrp::ErrorRecord> &error);
    void onHostCall(const QUuid &pipelineId, const Psrp::HostCall &call);
    void onFailed(const Wsman::ClientError &error);
    void onClosed();
    void leave();
    void endLine(Psrp::PSInvocationState state);
    void abandonQuestions();
    void publishProgress();
    QString computer() const;
    void setCondition(ConnectionCondition condition);
    void onNetworkInterrupted(qint64 maxRetryTimeMs);
    void onReconnectAttempt(int attempt, qint64 remainingMs);
    void onNetworkRestored();
    void onReconnectFailed();
    void onDisconnected();
    void onReconnected();

    // Host call dispatch (MS-PSRP 2.2.3.17, dossier 2.6).
    bool answerWrite(const QUuid &pipelineId, const Psrp::HostCall &call);
    bool answerRawUi(const QUuid &pipelineId, const Psrp::HostCall &call);
    void ask(const QUuid &pipelineId, const Psrp::HostCall &call);
    void respond(const QUuid &pipelineId, const Psrp::HostResponse &response);
    void respondFailure(const QUuid &pipelineId, const Psrp::HostCall &call, const QString &message,
                        const QString &errorId, const QString &exceptionType);
    void notImplemented(const QUuid &pipelineId, const Psrp::HostCall &call);
    // Encrypts `secret` to a SecureString with the pool's session key, exchanging keys first
    // when needed (MS-PSRP 3.1.4.5); `done` gets nullopt + reason on failure.
    void encrypt(std::shared_ptr<Wsman::Secret> secret,
                 std::function<void(std::optional<Psrp::SecureString>, const QString &)> done);
    void onSessionKey();
    Psrp::CreatePipeline pipelineRequest(QList<Psrp::Command> commands) const;
    bool isEcho(TextStream stream, const QString &text);
    void showRecordText(TextStream stream, const QString &text);

    HostUi &m_ui;
    std::unique_ptr<Wsman::RunspacePoolClient> m_ownedClient;
    QPointer<Wsman::RunspacePoolClient> m_client;
    QList<QMetaObject::Connection> m_connections;
    EnterOptions m_enter;
    SessionState m_state = SessionState::Idle;
    Phase m_phase = Phase::None;
    QString m_prompt;
    QString m_culture;
    QString m_uiCulture;
    QString m_failure;
    bool m_hasTabExpansion = false;
    QUuid m_instanceId = QUuid::createUuid();

    QUuid m_probe;
    QList<Psrp::Value> m_probeReplies;
    bool m_probeByGetCommand = false;
    QUuid m_promptPipeline;
    QList<Psrp::Value> m_promptOutput;
    QUuid m_line;
    QList<QUuid> m_abandoned;
    int m_interrupts = 0;
    bool m_exitRequested = false;
    ProgressTracker m_progress;
    ConnectionCondition m_condition = ConnectionCondition::Connected;
    qint64 m_maxRetryTimeMs = 0;
    std::optional<ProgressItem> m_networkProgress; // the robust-connection item, after the remote ones
    bool m_reconnectFailed = false;   // the disconnect follows the retries that ran out
    bool m_probeAfterReconnect = false; // attach() of a Disconnected pool: probe once reconnected
    QList<std::pair<TextStream, QString>> m_echoes; // records shown, whose host-call echo is skipped

    struct CompletionRun {
        QUuid id;
        QList<Psrp::Value> output;
        std::function<void(std::optional<Completion>)> done;
    };
    QList<CompletionRun> m_completions;

    QList<std::shared_ptr<Pending>> m_questions; // Replies handed to the UI, abandoned on stop
    QList<std::function<void(bool, const QString &)>> m_afterKey;
};

} // namespace Session
