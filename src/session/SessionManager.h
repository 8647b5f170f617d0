#pragma once

#include "psrp/Error.h"
#include "psrp/Payloads.h"
#include "wsman/RunspacePoolClient.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QUuid>

#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace Session {

class InteractiveSession;
struct EnterOptions;

// PSSession.State as Get-PSSession shows it.
enum class PSSessionState { Opening, Opened, Disconnected, Broken, Closed };
// PSSession.Availability (System.Management.Automation.Runspaces.RunspaceAvailability subset).
enum class PSSessionAvailability { None, Available, Busy };

QString stateText(PSSessionState state);
QString availabilityText(PSSessionAvailability availability);

// One PSSession record. `instanceId` is the runspace pool id (= the WS-Management ShellId), so a
// session found by enumerating the server (listServerSessions) has the same InstanceId.
struct PSSessionInfo {
    int id = 0;               // this manager's, increasing from 1
    QString name;             // "Runspace<Id>" unless given
    QUuid instanceId;         // null until the shell exists
    QString computerName;
    QString configurationName; // e.g. "Microsoft.PowerShell"
    PSSessionState state = PSSessionState::Opening;
    PSSessionAvailability availability = PSSessionAvailability::None;
};

// A session the server keeps for this user (WS-Management Enumerate over the shell resource), as
// `psremote-cli sessions HOST` lists them; connect to one with SessionManager::connect(options,
// instanceId).
struct ServerSessionInfo {
    QUuid instanceId;          // the ShellId
    QString name;              // the shell's Name when the server reports one
    QString configurationName; // last segment of the resource URI
    QString resourceUri;
    QString owner;
    QString clientIp;
    QString state;             // "Connected", "Disconnected", ...
    std::optional<qint64> idleTimeoutMs;
    std::optional<qint64> shellRunTimeMs;
    std::optional<qint64> shellInactivityMs;
};
struct ServerSessionList {
    QList<ServerSessionInfo> sessions;
    std::optional<Wsman::ClientError> error;
};

// The PSSession table of New-PSSession / Get-PSSession / Enter-PSSession -Id / Remove-PSSession /
// Disconnect-PSSession / Connect-PSSession. GUI-free. Owns one persistent RunspacePoolClient per
// session (destroyed on remove() once closed, or with the manager); hands out borrowed pointers
// for InteractiveSession::attach(). Lives in one thread; results arrive as signals.
class SessionManager : public QObject {
    Q_OBJECT
public:
    explicit SessionManager(QObject *parent = nullptr);
    ~SessionManager() override;

    // New-PSSession: opens a persistent session; sessionOpened(id) or sessionFailed(id, error)
    // follows. Returns the new Id. `name` empty: "Runspace<Id>", as PowerShell names them.
    int create(Wsman::ClientOptions options, const QString &name = {});
    // Connect-PSSession / psremote-cli enter --instance-id: a new client connects to a shell the
    // server keeps (normally a disconnected one), then sessionOpened(id) / sessionFailed(id, ..).
    int connectExisting(Wsman::ClientOptions options, const QUuid &instanceId, const QString &name = {});

    QList<PSSessionInfo> list() const;
    std::optional<PSSessionInfo> find(int id) const;
    std::optional<PSSessionInfo> findByName(const QString &name) const; // case-insensitive
    std::optional<PSSessionInfo> findByInstanceId(const QUuid &instanceId) const;
    // The session's client for InteractiveSession::attach(); null for an unknown id. Borrowed:
    // the manager keeps it until remove().
    Wsman::RunspacePoolClient *client(int id) const;

    // Remove-PSSession: closes the session (Delete) and forgets it; sessionRemoved(id) follows
    // once the client is closed. False for an unknown id.
    bool remove(int id);
    // Enter-PSSession -Id: checks the session can be entered and attaches `session` to it (see
    // InteractiveSession::attach). A Disconnected session is connected first (users-and-peers
    // 0.3); one still running a command is refused with cannotEnterBusyDisconnectedText, a Broken
    // or Closed one with its state. InvalidState errors; nothing changes on refusal.
    Psrp::Result<void> enter(int id, InteractiveSession &session, EnterOptions options);
    // Disconnect-PSSession / Connect-PSSession (server protocol 2.2+; InvalidState otherwise).
    Psrp::Result<void> disconnect(int id);
    Psrp::Result<void> connect(int id);

    // Get-PSSession -ComputerName: the PowerShell sessions the server keeps for this user.
    static void listServerSessions(const Wsman::ClientOptions &options,
                                   std::function<void(const ServerSessionList &)> callback);

Q_SIGNALS:
    void sessionOpened(int id);
    void sessionFailed(int id, const Wsman::ClientError &error);
    // State or availability changed (list() shows the new values).
    void sessionChanged(int id);
    void sessionRemoved(int id);

private:
    struct Entry;
    int add(Wsman::ClientOptions options, const QString &name);
    void refresh(int id);
    PSSessionInfo infoOf(const Entry &entry) const;

    std::map<int, std::unique_ptr<Entry>> m_sessions;
    int m_nextId = 1;
};

} // namespace Session
