#include "session/SessionManager.h"

#include "session/InteractiveSession.h"

using namespace Qt::Literals::StringLiterals;

namespace Session {

namespace {

QString configurationFromResourceUri(const QString &resourceUri)
{
    return resourceUri.section(u'/', -1);
}

} // namespace

QString stateText(PSSessionState state)
{
    switch (state) {
    case PSSessionState::Opening: return u"Opening"_s;
    case PSSessionState::Opened: return u"Opened"_s;
    case PSSessionState::Disconnected: return u"Disconnected"_s;
    case PSSessionState::Broken: return u"Broken"_s;
    case PSSessionState::Closed: return u"Closed"_s;
    }
    return {};
}

QString availabilityText(PSSessionAvailability availability)
{
    switch (availability) {
    case PSSessionAvailability::None: return u"None"_s;
    case PSSessionAvailability::Available: return u"Available"_s;
    case PSSessionAvailability::Busy: return u"Busy"_s;
    }
    return {};
}

// One managed session: the record and its client (owned; a removed one lives until closed()).
struct SessionManager::Entry {
    PSSessionInfo info;
    std::unique_ptr<Wsman::RunspacePoolClient> client;
    bool failed = false;
    bool closed = false;
    bool removing = false;
};

SessionManager::SessionManager(QObject *parent) : QObject(parent) {}

SessionManager::~SessionManager() = default;

int SessionManager::add(Wsman::ClientOptions options, const QString &name)
{
    const int id = m_nextId++;
    auto entry = std::make_unique<Entry>();
    entry->info.id = id;
    // PowerShell 6+ (PSSession.GenerateRunspaceName): "Runspace" + the session's Id.
    entry->info.name = name.isEmpty() ? u"Runspace%1"_s.arg(id) : name;
    if (const auto target = options.connection.resolve())
        entry->info.computerName = target->host;
    else
        entry->info.computerName = options.connection.computerName.value_or(QString());
    entry->info.configurationName = options.connection.configurationName.isEmpty()
                                        ? u"Microsoft.PowerShell"_s
                                        : options.connection.configurationName;
    entry->client = std::make_unique<Wsman::RunspacePoolClient>(std::move(options));
    Wsman::RunspacePoolClient *c = entry->client.get();
    QObject::connect(c, &Wsman::RunspacePoolClient::opened, this, [this, id] {
        refresh(id);
        Q_EMIT sessionOpened(id);
    });
    QObject::connect(c, &Wsman::RunspacePoolClient::failed, this, [this, id](const Wsman::ClientError &error) {
        if (auto it = m_sessions.find(id); it != m_sessions.end())
            it->second->failed = true;
        refresh(id);
        Q_EMIT sessionFailed(id, error);
    });
    QObject::connect(c, &Wsman::RunspacePoolClient::stateChanged, this, [this, id] { refresh(id); });
    QObject::connect(c, &Wsman::RunspacePoolClient::pipelineFinished, this, [this, id] {
        // Availability is read after the client forgot the pipeline.
        QMetaObject::invokeMethod(this, [this, id] { refresh(id); }, Qt::QueuedConnection);
    });
    QObject::connect(c, &Wsman::RunspacePoolClient::closed, this, [this, id] {
        const auto it = m_sessions.find(id);
        if (it == m_sessions.end())
            return;
        it->second->closed = true;
        if (it->second->removing) {
            // Not from inside the client's own signal.
            QMetaObject::invokeMethod(this, [this, id] {
                m_sessions.erase(id);
                Q_EMIT sessionRemoved(id);
            }, Qt::QueuedConnection);
            return;
        }
        refresh(id);
    });
    m_sessions.emplace(id, std::move(entry));
    return id;
}

int SessionManager::create(Wsman::ClientOptions options, const QString &name)
{
    const int id = add(std::move(options), name);
    m_sessions.at(id)->client->open();
    return id;
}

int SessionManager::connectExisting(Wsman::ClientOptions options, const QUuid &instanceId, const QString &name)
{
    const int id = add(std::move(options), name);
    m_sessions.at(id)->info.instanceId = instanceId;
    m_sessions.at(id)->client->connectExisting(instanceId);
    return id;
}

PSSessionInfo SessionManager::infoOf(const Entry &entry) const
{
    PSSessionInfo info = entry.info;
    const Wsman::RunspacePoolClient &c = *entry.client;
    if (!c.shellId().isNull())
        info.instanceId = c.shellId();
    using S = Psrp::RunspacePoolState;
    switch (c.state()) {
    case S::Opened: info.state = PSSessionState::Opened; break;
    case S::Disconnected: info.state = PSSessionState::Disconnected; break;
    case S::Broken: info.state = PSSessionState::Broken; break;
    case S::Closed:
    case S::Closing: info.state = PSSessionState::Closed; break;
    default: info.state = PSSessionState::Opening; break;
    }
    if (entry.failed && info.state != PSSessionState::Disconnected)
        info.state = PSSessionState::Broken;
    else if (entry.closed && info.state != PSSessionState::Broken)
        info.state = PSSessionState::Closed;
    info.availability = PSSessionAvailability::None;
    if (info.state == PSSessionState::Opened && !entry.closed)
        info.availability = c.activePipelines().isEmpty() && !c.isReconnecting() ? PSSessionAvailability::Available
                                                                                 : PSSessionAvailability::Busy;
    return info;
}

void SessionManager::refresh(int id)
{
    const auto it = m_sessions.find(id);
    if (it == m_sessions.end())
        return;
    const PSSessionInfo now = infoOf(*it->second);
    const bool changed = now.state != it->second->info.state || now.availability != it->second->info.availability
                      || now.instanceId != it->second->info.instanceId;
    it->second->info = now;
    if (changed)
        Q_EMIT sessionChanged(id);
}

QList<PSSessionInfo> SessionManager::list() const
{
    QList<PSSessionInfo> out;
    for (const auto &[id, entry] : m_sessions)
        if (!entry->removing)
            out.append(infoOf(*entry));
    return out;
}

std::optional<PSSessionInfo> SessionManager::find(int id) const
{
    const auto it = m_sessions.find(id);
    if (it == m_sessions.end() || it->second->removing)
        return std::nullopt;
    return infoOf(*it->second);
}

std::optional<PSSessionInfo> SessionManager::findByName(const QString &name) const
{
    for (const auto &[id, entry] : m_sessions)
        if (!entry->removing && entry->info.name.compare(name, Qt::CaseInsensitive) == 0)
            return infoOf(*entry);
    return std::nullopt;
}

std::optional<PSSessionInfo> SessionManager::findByInstanceId(const QUuid &instanceId) const
{
    if (instanceId.isNull())
        return std::nullopt;
    for (const auto &[id, entry] : m_sessions)
        if (!entry->removing && infoOf(*entry).instanceId == instanceId)
            return infoOf(*entry);
    return std::nullopt;
}

Wsman::RunspacePoolClient *SessionManager::client(int id) const
{
    const auto it = m_sessions.find(id);
    return it == m_sessions.end() || it->second->removing ? nullptr : it->second->client.get();
}

bool SessionManager::remove(int id)
{
    const auto it = m_sessions.find(id);
    if (it == m_sessions.end() || it->second->removing)
        return false;
    it->second->removing = true;
    if (it->second->closed) {
        QMetaObject::invokeMethod(this, [this, id] {
            m_sessions.erase(id);
            Q_EMIT sessionRemoved(id);
        }, Qt::QueuedConnection);
        return true;
    }
    // A disconnected session is closed through Delete too (Remove-PSSession ends it on the server).
    it->second->client->close();
    return true;
}

Psrp::Result<void> SessionManager::enter(int id, InteractiveSession &session, EnterOptions options)
{
    const auto info = find(id);
    Wsman::RunspacePoolClient *c = client(id);
    if (!info || !c)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"no session with Id %1"_s.arg(id));
    const QString name = u"%1 (Id %2)"_s.arg(info->name).arg(id);
    if (info->state == PSSessionState::Broken || info->state == PSSessionState::Closed
        || info->state == PSSessionState::Opening)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState,
                               u"Cannot enter session %1: it is %2."_s.arg(name, stateText(info->state)));
    if (info->state == PSSessionState::Disconnected && !c->activePipelines().isEmpty())
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, cannotEnterBusyDisconnectedText(name));
    if (options.computerName.isEmpty())
        options.computerName = info->computerName;
    session.attach(c, std::move(options));
    return {};
}

Psrp::Result<void> SessionManager::disconnect(int id)
{
    Wsman::RunspacePoolClient *c = client(id);
    if (!c)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"no session with Id %1"_s.arg(id));
    return c->disconnect();
}

Psrp::Result<void> SessionManager::connect(int id)
{
    Wsman::RunspacePoolClient *c = client(id);
    if (!c)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"no session with Id %1"_s.arg(id));
    return c->reconnect();
}

void SessionManager::listServerSessions(const Wsman::ClientOptions &options,
                                        std::function<void(const ServerSessionList &)> callback)
{
    Wsman::RunspacePoolClient::enumerateShells(options, [callback](const Wsman::ShellListResult &result) {
        ServerSessionList out;
        out.error = result.error;
        for (const Wsman::ShellInfo &shell : result.shells) {
            ServerSessionInfo s;
            s.instanceId = QUuid::fromString(shell.shellId);
            s.name = shell.name;
            s.resourceUri = shell.resourceUri;
            s.configurationName = configurationFromResourceUri(shell.resourceUri);
            s.owner = shell.owner;
            s.clientIp = shell.clientIp;
            s.state = shell.state;
            s.idleTimeoutMs = shell.idleTimeoutMs;
            s.shellRunTimeMs = shell.shellRunTimeMs;
            s.shellInactivityMs = shell.shellInactivityMs;
            out.sessions.append(s);
        }
        callback(out);
    });
}

} // namespace Session
