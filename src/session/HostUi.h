#pragma once

#include "psrp/HostMethod.h"
#include "psrp/Payloads.h"
#include "wsman/Secret.h"

#include <QList>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace Session {

// The answer channel of one host call that needs a person (a dialog, a terminal read). The UI
// keeps the Reply and completes it later, exactly once: complete() with the value or cancel() with
// a reason (the remote call then fails, as when a PowerShell console user presses Ctrl+C). Copies
// share one state; isPending() turns false once answered, or when the session abandoned the call
// (pipeline stopped, session closed): a late answer is then dropped.
template <typename T>
class Reply {
public:
    // value null: cancelled with `reason`.
    using Handler = std::function<void(T *value, const QString &reason)>;

    Reply() = default;
    explicit Reply(Handler handler) : m_state(std::make_shared<State>()) { m_state->handler = std::move(handler); }

    bool isPending() const { return m_state && m_state->handler; }
    void complete(T value) const
    {
        if (Handler h = take())
            h(&value, {});
    }
    void cancel(const QString &reason = {}) const
    {
        if (Handler h = take())
            h(nullptr, reason);
    }
    // The session's side: forget the handler without answering.
    void abandon() const { (void)take(); }

private:
    struct State {
        Handler handler;
    };
    Handler take() const { return m_state ? std::exchange(m_state->handler, Handler()) : Handler(); }
    std::shared_ptr<State> m_state;
};

// What the server may read and change of the local console (MS-PSRP 2.2.3.14 host default data),
// kept current by the UI (resize, colours); sent in every CREATE_PIPELINE's HostInfo.
struct RawUiState {
    qint32 foregroundColor = 7; // System.ConsoleColor
    qint32 backgroundColor = 0;
    Psrp::Coordinates cursorPosition;
    Psrp::Coordinates windowPosition;
    qint32 cursorSize = 25;
    Psrp::Size bufferSize{120, 3000};
    Psrp::Size windowSize{120, 50};
    Psrp::Size maxWindowSize{120, 50};
    Psrp::Size maxPhysicalWindowSize{120, 50};
    QString windowTitle;
    bool keyAvailable = false;

    Psrp::HostInfo hostInfo() const;
};

// Which stream a line of text belongs to; the UI picks the colours and prefixes it shows.
enum class TextStream { Output, Error, Warning, Verbose, Debug, Information };

struct HostText {
    TextStream stream = TextStream::Output;
    QString text;     // without the "WARNING: " style prefix
    bool newline = true;
    std::optional<qint32> foregroundColor; // Write2/WriteLine3 only
    std::optional<qint32> backgroundColor;
};

// One active progress record; a list of them is ordered parents first, children after their
// parent (depth 0 for a root), completed records removed.
struct ProgressItem {
    qint64 sourceId = 0;
    Psrp::ProgressRecord record;
    int depth = 0;
};

enum class SessionState { Idle, Connecting, Ready, Busy, Closed, Broken };
QString sessionStateName(SessionState state);

// What the session itself says (not remote output); the UI shows it apart from the output.
enum class NoteKind { Info, Warning, Error };

// The network connection under an entered session (robust connection, users-and-peers 0.3),
// orthogonal to SessionState: Reconnecting while the network is down and retried (the session
// stays Ready / Busy, a line typed meanwhile is queued), Disconnecting once the retries ran out,
// Disconnected when the server keeps the session for a later reconnect (SessionState Broken until
// InteractiveSession::reconnect()), Lost when it could not (SessionState Broken for good).
enum class ConnectionCondition { Connected, Reconnecting, Disconnecting, Disconnected, Lost };
QString connectionConditionName(ConnectionCondition condition);

struct CredentialRequest {
    QString caption; // already re-captioned as a request from the remote computer
    QString message;
    QString userName;
    QString targetName;
    qint32 allowedCredentialTypes = 3;
    qint32 options = 1;
};

struct Credential {
    QString userName;
    Wsman::Secret password;
};

struct PromptRequest {
    QString caption;
    QString message;
    QList<Psrp::FieldDescription> fields;
};

// One answered Prompt field, by the field's kind (FieldDescription::isCredential /
// isSecureString / otherwise text).
struct PromptAnswer {
    QString text;
    Wsman::Secret secret;
    QString userName; // credential fields
};

struct ChoiceRequest {
    QString caption;
    QString message;
    QList<Psrp::ChoiceDescription> choices;
    QList<qint32> defaultChoices;
    bool multiple = false; // PromptForChoiceMultipleSelection (56)
};

// The user interface of an interactive session, implemented in full by the CLI and the GUI.
// Every call comes on the session's thread; none may block or spin an event loop: questions get
// a Reply the UI completes later. The session never keeps the UI's secrets beyond encrypting them.
class HostUi {
public:
    virtual ~HostUi() = default;

    // The current console state (asked before every pipeline and for every RawUI getter).
    virtual RawUiState rawUi() const = 0;
    // The server changed a RawUI property (SetForegroundColor ... SetWindowTitle); `state` is the
    // whole state after the change, to be returned by rawUi() from now on.
    virtual void rawUiChanged(Psrp::HostMethodId setter, const RawUiState &state) = 0;

    virtual void write(const HostText &text) = 0;
    virtual void progressChanged(const QList<ProgressItem> &active) = 0;
    virtual void promptChanged(const QString &prompt) = 0;
    virtual void stateChanged(SessionState state) = 0;
    virtual void note(NoteKind kind, const QString &text) = 0;
    // A pending question was abandoned (Ctrl+C, pipeline end): close its dialog / stop reading.
    virtual void cancelInput() = 0;
    virtual void notifyApplication(bool begin) = 0; // NotifyBeginApplication / NotifyEndApplication
    virtual void flushInputBuffer() = 0;
    // The connection condition changed; the session's notes and its "Network connection
    // interrupted" progress item tell the user in PowerShell's words. Optional.
    virtual void connectionChanged(ConnectionCondition condition) { (void)condition; }

    virtual void readLine(Reply<QString> reply) = 0;
    virtual void readLineAsSecureString(Reply<Wsman::Secret> reply) = 0;
    virtual void readKey(qint32 options, Reply<Psrp::KeyInfo> reply) = 0;
    virtual void prompt(const PromptRequest &request, Reply<std::vector<PromptAnswer>> reply) = 0;
    virtual void promptForCredential(const CredentialRequest &request, Reply<Credential> reply) = 0;
    // The chosen indexes: exactly one unless request.multiple.
    virtual void promptForChoice(const ChoiceRequest &request, Reply<QList<qint32>> reply) = 0;
};

} // namespace Session
