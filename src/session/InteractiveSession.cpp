#include "session/InteractiveSession.h"

#include "psrp/ObjectBuilders.h"

#include <QTimer>

#include <algorithm>

#include <utility>

using namespace Qt::Literals::StringLiterals;
using Psrp::HostMethodId;
using Psrp::PSInvocationState;

namespace Session {

QString sessionStateName(SessionState state)
{
    switch (state) {
    case SessionState::Idle: return u"Idle"_s;
    case SessionState::Connecting: return u"Connecting"_s;
    case SessionState::Ready: return u"Ready"_s;
    case SessionState::Busy: return u"Busy"_s;
    case SessionState::Closed: return u"Closed"_s;
    case SessionState::Broken: return u"Broken"_s;
    }
    return {};
}

QString connectionConditionName(ConnectionCondition condition)
{
    switch (condition) {
    case ConnectionCondition::Connected: return u"Connected"_s;
    case ConnectionCondition::Reconnecting: return u"Reconnecting"_s;
    case ConnectionCondition::Disconnecting: return u"Disconnecting"_s;
    case ConnectionCondition::Disconnected: return u"Disconnected"_s;
    case ConnectionCondition::Lost: return u"Lost"_s;
    }
    return {};
}

QString cannotEnterBusyDisconnectedText(const QString &session)
{
    return u"Cannot enter session %1: it is disconnected and still running a command. Reconnect it first "
           "(Connect in the session list, or psremote-cli enter --instance-id), let the command finish, then "
           "enter it."_s.arg(session);
}

Psrp::HostInfo RawUiState::hostInfo() const
{
    Psrp::HostDefaultData d;
    d.foregroundColor = foregroundColor;
    d.backgroundColor = backgroundColor;
    d.cursorPosition = cursorPosition;
    d.windowPosition = windowPosition;
    d.cursorSize = cursorSize;
    d.bufferSize = bufferSize;
    d.windowSize = windowSize;
    d.maxWindowSize = maxWindowSize;
    d.maxPhysicalWindowSize = maxPhysicalWindowSize;
    d.windowTitle = windowTitle;
    Psrp::HostInfo info;
    info.defaultData = d;
    info.isHostNull = false;
    info.isHostUINull = false;
    info.isHostRawUINull = false;
    info.useRunspaceHost = false;
    return info;
}

struct InteractiveSession::Pending {
    QUuid pipelineId;
    std::function<void()> abandon;
};

namespace {

// PowerShell's texts (RemotingErrorIdStrings / RemoteHost security checks, dossier 2.6, 2.9).
QString busyText()
{
    return u"The session is busy. You will be connected to the session as soon as it is available. "
           "To cancel the Enter-PSSession command, press Ctrl-C."_s;
}

// Robust connection (users-and-peers 0.3, PowerShell's RemotingErrorIdStrings).
QString minutesText(qint64 ms)
{
    return QString::number(double(std::max<qint64>(0, ms)) / 60000.0, 'g', 3);
}

QString interruptedText(const QString &computer, qint64 maxRetryTimeMs)
{
    return u"The network connection to %1 has been interrupted. Attempting to reconnect for up to %2 minutes..."_s
        .arg(computer, minutesText(maxRetryTimeMs));
}

QString restoredText(const QString &computer)
{
    return u"The network connection to %1 has been restored."_s.arg(computer);
}

QString reconnectFailedText(const QString &computer)
{
    return u"The reconnection attempt to %1 failed. Attempting to disconnect the session..."_s.arg(computer);
}

QString disconnectedText(const QString &computer)
{
    return u"Computer %1 has been successfully disconnected."_s.arg(computer);
}

QString repairText(const QString &computer, const QUuid &instanceId)
{
    return u"The network connection to %1 was lost and the session was disconnected; the remote computer keeps it "
           "until its idle timeout. Repair the network connection, then reconnect: Reconnect in this tab, or "
           "psremote-cli enter --instance-id %2."_s.arg(computer, instanceId.toString(QUuid::WithoutBraces));
}

QString noPushText()
{
    return u"The remote runspace does not support push: Enter-PSSession needs the commands Out-Default "
           "and Exit-PSSession on the remote endpoint, and this endpoint does not provide them. Use "
           "Invoke-Command for this endpoint instead."_s;
}

QString credentialCaption(const QString &caption)
{
    return u"PowerShell Credential Request: "_s + caption;
}

QString credentialWarning(const QString &computer)
{
    return u"A script or application on the remote computer %1 is requesting your credentials. Enter "
           "your credentials only if you trust the remote computer and the application or script "
           "requesting it."_s.arg(computer);
}

QString secureStringWarning(const QString &computer)
{
    return u"A script or application on the remote computer %1 is asking you to enter a secure string. "
           "Enter it only if you trust the remote computer and the application or script requesting it."_s
        .arg(computer);
}

const Psrp::Value *member(const Psrp::Value &value, QStringView name)
{
    const Psrp::PsObject *o = value.object();
    return o ? o->property(name) : nullptr;
}

QString memberText(const Psrp::Value &value, QStringView name)
{
    const Psrp::Value *m = member(value, name);
    if (!m)
        return {};
    if (const auto s = m->toString())
        return *s;
    if (const auto *o = m->object())
        return o->toString.value_or(QString());
    if (const auto n = m->toInteger())
        return QString::number(*n);
    return {};
}

qint32 memberInt(const Psrp::Value &value, QStringView name, qint32 fallback)
{
    const Psrp::Value *m = member(value, name);
    const auto n = m ? m->toInteger() : std::nullopt;
    return n ? static_cast<qint32>(*n) : fallback;
}

QString valueText(const Psrp::Value &value)
{
    if (const auto s = value.toString())
        return *s;
    if (const auto n = value.toInteger())
        return QString::number(*n);
    if (const auto *o = value.object())
        return o->toString.value_or(QString());
    return {};
}

// The command names GET_COMMAND_METADATA reported (MS-PSRP 2.2.3.22 CommandMetadata.Name).
QStringList reportedNames(const QList<Psrp::Value> &replies)
{
    QStringList names;
    for (const Psrp::Value &v : replies) {
        const QString name = memberText(v, u"Name");
        if (!name.isEmpty())
            names.append(name.toLower());
    }
    return names;
}

void wipe(QString &text)
{
    text.fill(QChar(0));
    text.clear();
}

} // namespace

InteractiveSession::InteractiveSession(HostUi &ui, QObject *parent) : QObject(parent), m_ui(ui) {}

InteractiveSession::~InteractiveSession()
{
    abandonQuestions();
    for (const auto &c : std::as_const(m_connections))
        QObject::disconnect(c);
}

void InteractiveSession::setState(SessionState state)
{
    if (m_state == state)
        return;
    m_state = state;
    m_ui.stateChanged(state);
    Q_EMIT stateChanged(state);
}

void InteractiveSession::enter(Wsman::ClientOptions options, EnterOptions enterOptions)
{
    if (m_state == SessionState::Connecting || m_state == SessionState::Ready || m_state == SessionState::Busy)
        return;
    m_enter = std::move(enterOptions);
    m_enter.closeOnExit = true;
    // Dossier 2.5.1: the console's HostInfo in INIT_RUNSPACEPOOL and every CREATE_PIPELINE.
    options.hostInfo = m_ui.rawUi().hostInfo();
    if (options.sessionOption.culture.isEmpty())
        options.sessionOption.culture = Wsman::SessionOption::systemCultureName();
    if (options.sessionOption.uiCulture.isEmpty())
        options.sessionOption.uiCulture = Wsman::SessionOption::systemCultureName();
    m_culture = options.sessionOption.culture;
    m_uiCulture = options.sessionOption.uiCulture;
    m_ownedClient = std::make_unique<Wsman::RunspacePoolClient>(std::move(options));
    m_client = m_ownedClient.get();
    connectClient();
    setState(SessionState::Connecting);
    m_client->open();
}

void InteractiveSession::attach(Wsman::RunspacePoolClient *client, EnterOptions enterOptions)
{
    if (!client || m_state == SessionState::Connecting || m_state == SessionState::Ready || m_state == SessionState::Busy)
        return;
    m_enter = std::move(enterOptions);
    m_enter.closeOnExit = false;
    // What the pool was opened with is what the server uses (WS-Management Locale/DataLocale).
    m_culture = client->options().sessionOption.culture;
    m_uiCulture = client->options().sessionOption.uiCulture;
    m_client = client;
    m_condition = ConnectionCondition::Connected;
    m_reconnectFailed = false;
    connectClient();
    setState(SessionState::Connecting);
    if (m_client->state() == Psrp::RunspacePoolState::Disconnected) {
        // Users-and-peers 0.3: entering a Disconnected session connects it first; one still
        // running a command is refused.
        const QString name = m_enter.computerName.isEmpty() ? computer() : m_enter.computerName;
        if (!m_client->activePipelines().isEmpty()) {
            m_failure = cannotEnterBusyDisconnectedText(name);
            m_ui.note(NoteKind::Error, m_failure);
            leave();
            return;
        }
        setCondition(ConnectionCondition::Disconnected);
        if (auto r = m_client->reconnect(); !r) {
            m_failure = u"Cannot enter session %1: %2"_s.arg(name, r.error().detail);
            m_ui.note(NoteKind::Error, m_failure);
            leave();
            return;
        }
        m_probeAfterReconnect = true;
        return;
    }
    if (!m_client->activePipelines().isEmpty()) {
        m_phase = Phase::WaitingIdle;
        m_ui.note(NoteKind::Warning, busyText());
        return;
    }
    startProbe();
}

void InteractiveSession::connectClient()
{
    using C = Wsman::RunspacePoolClient;
    C *c = m_client;
    m_connections = {
        connect(c, &C::opened, this, [this] { startProbe(); }),
        connect(c, &C::pipelineOutput, this, &InteractiveSession::onOutput),
        connect(c, &C::pipelineRecord, this, &InteractiveSession::onRecord),
        connect(c, &C::pipelineError, this, &InteractiveSession::onPipelineError),
        connect(c, &C::pipelineFinished, this, &InteractiveSession::onFinished),
        connect(c, &C::hostCall, this, &InteractiveSession::onHostCall),
        connect(c, &C::sessionKeyReady, this, &InteractiveSession::onSessionKey),
        connect(c, &C::failed, this, &InteractiveSession::onFailed),
        connect(c, &C::closed, this, &InteractiveSession::onClosed),
        connect(c, &C::networkInterrupted, this, &InteractiveSession::onNetworkInterrupted),
        connect(c, &C::reconnectAttempt, this, &InteractiveSession::onReconnectAttempt),
        connect(c, &C::networkRestored, this, &InteractiveSession::onNetworkRestored),
        connect(c, &C::reconnectFailed, this, &InteractiveSession::onReconnectFailed),
        connect(c, &C::disconnected, this, &InteractiveSession::onDisconnected),
        connect(c, &C::reconnected, this, &InteractiveSession::onReconnected),
    };
}

// Dossier 2.9 step 1: GET_COMMAND_METADATA for Out-Default and Exit-PSSession (and TabExpansion2,
// whose absence only disables completion, as on restricted / JEA endpoints).
void InteractiveSession::startProbe()
{
    m_phase = Phase::Probing;
    m_probeReplies.clear();
    m_probeByGetCommand = false;
    Psrp::GetCommandMetadata request;
    request.names = {u"Out-Default"_s, u"Exit-PSSession"_s, u"TabExpansion2"_s};
    request.commandType = static_cast<Psrp::CommandTypes>(
        static_cast<qint32>(Psrp::CommandTypes::Alias) | static_cast<qint32>(Psrp::CommandTypes::Function)
        | static_cast<qint32>(Psrp::CommandTypes::Filter) | static_cast<qint32>(Psrp::CommandTypes::Cmdlet));
    const auto id = m_client->getCommandMetadata(request);
    if (!id) {
        m_failure = u"cannot probe the remote session: "_s + id.error().detail;
        m_ui.note(NoteKind::Error, m_failure);
        leave();
        return;
    }
    m_probe = *id;
}

void InteractiveSession::onProbeFinished(PSInvocationState state)
{
    const QStringList names = reportedNames(m_probeReplies);
    m_probe = QUuid();
    if (state != PSInvocationState::Completed && !m_probeByGetCommand) {
        // The server computes GET_COMMAND_METADATA with Measure-Object, which hosts without
        // Microsoft.PowerShell.Utility lack; ask Get-Command itself, as PowerShell does for
        // protocol 2.0 servers (dossier 2.9 step 1).
        m_probeByGetCommand = true;
        m_probeReplies.clear();
        const auto id = m_client->invoke(pipelineRequest({Psrp::Command::script(
            u"Get-Command -Name Out-Default, Exit-PSSession, TabExpansion2 -ErrorAction SilentlyContinue"_s)}));
        if (id) {
            m_probe = *id;
            return;
        }
    }
    if (state != PSInvocationState::Completed || !names.contains(u"out-default"_s)
        || !names.contains(u"exit-pssession"_s)) {
        m_failure = noPushText();
        m_ui.note(NoteKind::Error, m_failure);
        leave();
        return;
    }
    m_hasTabExpansion = names.contains(u"tabexpansion2"_s);
    evaluatePrompt();
}

Psrp::CreatePipeline InteractiveSession::pipelineRequest(QList<Psrp::Command> commands) const
{
    Psrp::CreatePipeline request;
    request.noInput = true;
    request.hostInfo = m_ui.rawUi().hostInfo();
    request.powerShell.commands = std::move(commands);
    return request;
}

// Dossier 2.9 step 2: the command `prompt`, first output as text, prefixed "[computer]: ".
void InteractiveSession::evaluatePrompt()
{
    m_phase = Phase::Prompting;
    m_promptOutput.clear();
    const auto id = m_client->invoke(pipelineRequest({Psrp::Command::command(u"prompt"_s)}));
    if (!id) {
        onPromptFinished(PSInvocationState::Failed);
        return;
    }
    m_promptPipeline = *id;
}

void InteractiveSession::onPromptFinished(PSInvocationState state)
{
    m_promptPipeline = QUuid();
    QString text = state == PSInvocationState::Completed && !m_promptOutput.isEmpty()
        ? valueText(m_promptOutput.constFirst()) : QString();
    if (text.isEmpty())
        text = u"PS> "_s;
    const QString prefix = m_enter.computerName.isEmpty() ? QString() : u"["_s + m_enter.computerName + u"]: "_s;
    m_prompt = prefix + text;
    m_phase = Phase::None;
    m_ui.promptChanged(m_prompt);
    Q_EMIT promptChanged(m_prompt);
    setState(SessionState::Ready);
}

Psrp::Result<void> InteractiveSession::runLine(const QString &line)
{
    if (m_state == SessionState::Busy)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState,
                               u"a command is still running: wait for it, or press Ctrl+C to stop it"_s);
    if (m_condition == ConnectionCondition::Disconnecting || m_condition == ConnectionCondition::Disconnected)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState,
                               u"Command '%1' was not run: the session to %2 is disconnected. Repair the network "
                               "connection, then reconnect the session."_s.arg(line.trimmed(), computer()));
    if (m_state != SessionState::Ready || !m_client)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState,
                               u"Command '%1' was not run as the session in which it was intended to run was "
                               "either closed or broken."_s.arg(line.trimmed()));
    // Dossier 2.9 step 3: `exit` becomes Exit-PSSession.
    const QString command = line.trimmed().compare(u"exit"_s, Qt::CaseInsensitive) == 0 ? u"Exit-PSSession"_s : line;
    // Step 4: errors merged into the output, formatted on the server by Out-Default.
    Psrp::Command script = Psrp::Command::script(command);
    script.mergeMyResult = Psrp::PipelineResultTypes::Error;
    script.mergeToResult = Psrp::PipelineResultTypes::Output;
    script.mergeError = Psrp::PipelineResultTypes::Output;
    Psrp::Command outDefault = Psrp::Command::command(u"Out-Default"_s);
    outDefault.useLocalScope = true;
    Psrp::CreatePipeline request = pipelineRequest({script, outDefault});
    request.addToHistory = true;
    request.powerShell.history = line;
    const auto id = m_client->invoke(request);
    if (!id)
        return id.error();
    m_line = *id;
    m_phase = Phase::Running;
    m_interrupts = 0;
    m_echoes.clear();
    setState(SessionState::Busy);
    Q_EMIT lineStarted(line);
    if (m_client->isReconnecting())
        m_ui.note(NoteKind::Info, u"The network connection to %1 is interrupted: the command is queued and runs once "
                                  "the connection is restored."_s.arg(computer()));
    return {};
}

InterruptResult InteractiveSession::interrupt()
{
    if (m_phase == Phase::WaitingIdle) {
        m_phase = Phase::None;
        m_ui.note(NoteKind::Info, u"Entering the session was cancelled."_s);
        leave();
        return InterruptResult::EnterCancelled;
    }
    if (m_state != SessionState::Busy || m_line.isNull())
        return InterruptResult::Ignored;
    ++m_interrupts;
    abandonQuestions();
    if (m_interrupts == 1 && m_client && m_client->stop(m_line).ok()) {
        m_ui.note(NoteKind::Info, u"Stopping the running command (press Ctrl+C again to abandon it)..."_s);
        return InterruptResult::Stopping;
    }
    // A second Ctrl+C: Signal terminate ends the command on the server now (no CancelTimeout
    // wait); the session is usable again and everything already shown stays.
    const QUuid line = m_line;
    m_abandoned.append(line);
    const bool terminated = m_client && m_client->terminate(line).ok();
    if (!terminated)
        m_abandoned.removeOne(line); // nothing left to finish: no late pipelineFinished
    m_ui.note(NoteKind::Warning, terminated ? u"The running command was abandoned: it was terminated on the remote computer."_s
                                            : u"The running command was abandoned."_s);
    if (m_line == line)
        endLine(PSInvocationState::Stopped);
    return InterruptResult::Abandoned;
}

void InteractiveSession::complete(const QString &text, qint32 cursor, std::function<void(std::optional<Completion>)> done)
{
    if (m_state != SessionState::Ready || !m_hasTabExpansion || !m_client) {
        done(std::nullopt);
        return;
    }
    // Dossier 2.10: TabExpansion2 on a new pipeline, options null.
    Psrp::Command command = Psrp::Command::command(u"TabExpansion2"_s);
    command.addParameter(u"inputScript"_s, Psrp::Value(text));
    command.addParameter(u"cursorColumn"_s, Psrp::Value(cursor));
    const auto id = m_client->invoke(pipelineRequest({command}));
    if (!id) {
        done(std::nullopt);
        return;
    }
    m_completions.append(CompletionRun{*id, {}, std::move(done)});
}

void InteractiveSession::exit()
{
    if (m_state == SessionState::Closed || m_state == SessionState::Idle)
        return;
    leave();
}

void InteractiveSession::onOutput(const QUuid &pipelineId, const Psrp::Value &value)
{
    if (pipelineId == m_probe && !m_probe.isNull()) {
        if (m_probeReplies.size() < 64)
            m_probeReplies.append(value);
    } else if (pipelineId == m_promptPipeline && !m_promptPipeline.isNull()) {
        if (m_promptOutput.isEmpty())
            m_promptOutput.append(value);
    } else if (pipelineId == m_line && !m_line.isNull()) {
        // Out-Default renders on the server; output that still arrives (a server without a host)
        // is shown as text.
        m_ui.write(HostText{TextStream::Output, valueText(value), true, {}, {}});
    } else {
        for (CompletionRun &run : m_completions)
            if (run.id == pipelineId && run.output.isEmpty())
                run.output.append(value);
    }
}

void InteractiveSession::showRecordText(TextStream stream, const QString &text)
{
    m_ui.write(HostText{stream, text, true, {}, {}});
    if (m_echoes.size() < 256)
        m_echoes.append({stream, text});
}

// A server with a host reports warning/verbose/debug/Write-Host text as a record and then as the
// host call that displays it; the record is shown, that echo is not.
bool InteractiveSession::isEcho(TextStream stream, const QString &text)
{
    for (qsizetype i = 0; i < m_echoes.size(); ++i) {
        if (m_echoes.at(i).first == stream && m_echoes.at(i).second == text) {
            m_echoes.remove(0, i + 1);
            return true;
        }
    }
    return false;
}

void InteractiveSession::onRecord(const QUuid &pipelineId, Psrp::MessageType, const Psrp::Payload &payload)
{
    if (pipelineId != m_line || m_line.isNull())
        return;
    if (const auto *e = std::get_if<Psrp::ErrorRecord>(&payload)) {
        m_ui.write(HostText{TextStream::Error, e->message, true, {}, {}});
    } else if (const auto *w = std::get_if<Psrp::WarningRecord>(&payload)) {
        showRecordText(TextStream::Warning, w->message);
    } else if (const auto *v = std::get_if<Psrp::VerboseRecord>(&payload)) {
        showRecordText(TextStream::Verbose, v->message);
    } else if (const auto *d = std::get_if<Psrp::DebugRecord>(&payload)) {
        showRecordText(TextStream::Debug, d->message);
    } else if (const auto *info = std::get_if<Psrp::InformationRecord>(&payload)) {
        const bool host = info->tags.contains(u"PSHOST"_s);
        if (host && info->tags.contains(u"FORWARDED"_s))
            return;
        QString text = valueText(info->messageData);
        if (const Psrp::Value *m = member(info->messageData, u"Message"))
            text = m->toString().value_or(text);
        if (host)
            showRecordText(TextStream::Output, text);
        else
            m_ui.write(HostText{TextStream::Information, text, true, {}, {}});
    } else if (const auto *p = std::get_if<Psrp::ProgressRecord>(&payload)) {
        if (m_progress.update(0, *p))
            publishProgress();
    }
}

void InteractiveSession::onPipelineError(const QUuid &pipelineId, const Wsman::ClientError &error)
{
    if (pipelineId != m_line || m_line.isNull())
        return;
    if (error.kind == Wsman::ClientErrorKind::CancelTimeout)
        m_ui.note(NoteKind::Warning,
                  u"The command did not stop within CancelTimeout; it was abandoned (terminated on the remote computer)."_s);
    else if (error.kind == Wsman::ClientErrorKind::InvalidState && error.action == Wsman::Action::Command)
        m_ui.note(NoteKind::Error, u"The command was not run: "_s + error.detail);
    else
        m_ui.note(NoteKind::Error, error.detail);
}

void InteractiveSession::onFinished(const QUuid &pipelineId, PSInvocationState state,
                                    const std::optional<Psrp::ErrorRecord> &error)
{
    if (m_abandoned.removeOne(pipelineId))
        return;
    if (pipelineId == m_probe && !m_probe.isNull()) {
        onProbeFinished(state);
    } else if (pipelineId == m_promptPipeline && !m_promptPipeline.isNull()) {
        onPromptFinished(state);
    } else if (pipelineId == m_line && !m_line.isNull()) {
        if (state == PSInvocationState::Failed && error)
            m_ui.write(HostText{TextStream::Error, error->message, true, {}, {}});
        else if (state == PSInvocationState::Stopped && m_interrupts > 0)
            m_ui.note(NoteKind::Info, u"The command was stopped."_s);
        endLine(state);
    } else {
        for (qsizetype i = 0; i < m_completions.size(); ++i) {
            if (m_completions.at(i).id != pipelineId)
                continue;
            CompletionRun run = m_completions.takeAt(i);
            std::optional<Completion> result;
            if (state == PSInvocationState::Completed && !run.output.isEmpty()) {
                const Psrp::Value &c = run.output.constFirst();
                Completion completion;
                completion.replacementIndex = memberInt(c, u"ReplacementIndex", 0);
                completion.replacementLength = memberInt(c, u"ReplacementLength", 0);
                if (const Psrp::Value *list = member(c, u"CompletionMatches"); list && list->object()) {
                    for (const Psrp::Value &m : list->object()->items)
                        completion.matches.append(CompletionMatch{memberText(m, u"CompletionText"),
                                                                  memberText(m, u"ListItemText"),
                                                                  memberText(m, u"ResultType"),
                                                                  memberText(m, u"ToolTip")});
                }
                result = completion;
            }
            run.done(result);
            return;
        }
        if (m_phase == Phase::WaitingIdle) {
            // Checked on the next turn: the client may still list the pipeline while it signals.
            QTimer::singleShot(0, this, [this] {
                if (m_phase == Phase::WaitingIdle && m_client && m_client->activePipelines().isEmpty())
                    startProbe();
            });
        }
    }
}

void InteractiveSession::endLine(PSInvocationState state)
{
    m_line = QUuid();
    abandonQuestions();
    if (!m_progress.isEmpty()) {
        m_progress.clear();
        publishProgress();
    }
    m_echoes.clear();
    Q_EMIT lineFinished(state);
    if (m_exitRequested) {
        leave();
        return;
    }
    // Not while the session is being disconnected: the prompt waits for a reconnect.
    if (m_client && m_client->state() == Psrp::RunspacePoolState::Opened
        && (m_condition == ConnectionCondition::Connected || m_condition == ConnectionCondition::Reconnecting))
        evaluatePrompt();
}

void InteractiveSession::leave()
{
    if (m_phase == Phase::Leaving || m_state == SessionState::Closed || m_state == SessionState::Broken)
        return;
    abandonQuestions();
    const bool wasEntered = m_state == SessionState::Ready || m_state == SessionState::Busy;
    m_phase = Phase::Leaving;
    if (m_ownedClient && m_client && m_client->state() != Psrp::RunspacePoolState::Closed) {
        m_client->close(); // closed() finishes
    } else {
        for (const auto &c : std::as_const(m_connections))
            QObject::disconnect(c);
        m_connections.clear();
        m_phase = Phase::None;
        setState(SessionState::Closed);
    }
    if (wasEntered)
        Q_EMIT left();
}

void InteractiveSession::onFailed(const Wsman::ClientError &error)
{
    m_failure = error.connectionLost
        ? u"The network connection to %1 could not be restored, and the session could not be left "
          "disconnected on the server (it was unreachable, or it cannot keep disconnected sessions): %2"_s.arg(
              computer(), error.detail)
        : error.detail;
    abandonQuestions();
    if (m_networkProgress) {
        m_networkProgress.reset();
        publishProgress();
    }
    if (m_phase != Phase::Leaving)
        m_ui.note(NoteKind::Error, u"The session is broken: "_s + m_failure);
    setCondition(ConnectionCondition::Lost);
    m_phase = Phase::Leaving;
    const bool wasEntered = m_state == SessionState::Ready || m_state == SessionState::Busy;
    setState(SessionState::Broken);
    if (wasEntered)
        Q_EMIT left();
}

void InteractiveSession::onClosed()
{
    for (const auto &c : std::as_const(m_connections))
        QObject::disconnect(c);
    m_connections.clear();
    m_phase = Phase::None;
    if (m_state != SessionState::Broken)
        setState(SessionState::Closed);
}

void InteractiveSession::abandonQuestions()
{
    if (m_questions.isEmpty())
        return;
    const auto questions = std::exchange(m_questions, {});
    for (const auto &q : questions)
        if (q->abandon)
            q->abandon();
    m_afterKey.clear();
    m_ui.cancelInput();
}

void InteractiveSession::publishProgress()
{
    QList<ProgressItem> items = m_progress.items();
    if (m_networkProgress)
        items.append(*m_networkProgress);
    m_ui.progressChanged(items);
}

QString InteractiveSession::computer() const
{
    if (!m_enter.computerName.isEmpty())
        return m_enter.computerName;
    return m_client ? m_client->currentUrl().host() : QString();
}

void InteractiveSession::setCondition(ConnectionCondition condition)
{
    if (m_condition == condition)
        return;
    m_condition = condition;
    m_ui.connectionChanged(condition);
}

// ---- robust connection (users-and-peers 0.3) ---------------------------------------------------

void InteractiveSession::onNetworkInterrupted(qint64 maxRetryTimeMs)
{
    m_maxRetryTimeMs = maxRetryTimeMs;
    m_reconnectFailed = false;
    m_ui.note(NoteKind::Warning, interruptedText(computer(), maxRetryTimeMs));
    setCondition(ConnectionCondition::Reconnecting);
}

void InteractiveSession::onReconnectAttempt(int, qint64 remainingMs)
{
    ProgressItem item;
    item.sourceId = -1; // not a remote source
    item.record.activity = u"Network connection interrupted"_s;
    item.record.activityId = 0;
    item.record.statusDescription = u"Attempting to reconnect to %1 ..."_s.arg(computer());
    const qint64 total = std::max<qint64>(1, m_maxRetryTimeMs);
    const qint64 elapsed = std::clamp<qint64>(total - remainingMs, 0, total);
    item.record.percentComplete = qint32(elapsed * 100 / total);
    item.record.secondsRemaining = qint32(std::max<qint64>(0, remainingMs) / 1000);
    m_networkProgress = item;
    publishProgress();
}

void InteractiveSession::onNetworkRestored()
{
    if (m_networkProgress) {
        m_networkProgress.reset();
        publishProgress();
    }
    m_ui.note(NoteKind::Warning, restoredText(computer()));
    setCondition(ConnectionCondition::Connected);
}

void InteractiveSession::onReconnectFailed()
{
    m_reconnectFailed = true;
    if (m_networkProgress) {
        m_networkProgress.reset();
        publishProgress();
    }
    m_ui.note(NoteKind::Warning, reconnectFailedText(computer()));
    setCondition(ConnectionCondition::Disconnecting);
}

// The pool is Disconnected (the retries ran out, or someone disconnected it): the server keeps
// it; the running line stays known so that reconnect() continues it.
void InteractiveSession::onDisconnected()
{
    if (m_state == SessionState::Closed || m_phase == Phase::Leaving)
        return;
    abandonQuestions();
    const QUuid instanceId = m_client ? m_client->shellId() : QUuid();
    if (m_reconnectFailed)
        m_ui.note(NoteKind::Warning, disconnectedText(computer()));
    m_failure = m_reconnectFailed ? repairText(computer(), instanceId)
                                  : u"The session to %1 was disconnected; the remote computer keeps it until its idle "
                                    "timeout. Reconnect in this tab, or psremote-cli enter --instance-id %2."_s
                                        .arg(computer(), instanceId.toString(QUuid::WithoutBraces));
    m_ui.note(NoteKind::Error, m_failure);
    m_reconnectFailed = false;
    const bool wasEntered = m_state == SessionState::Ready || m_state == SessionState::Busy;
    setCondition(ConnectionCondition::Disconnected);
    setState(SessionState::Broken);
    if (wasEntered)
        Q_EMIT left();
}

Psrp::Result<void> InteractiveSession::reconnect()
{
    if (m_condition != ConnectionCondition::Disconnected || !m_client
        || m_client->state() != Psrp::RunspacePoolState::Disconnected)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"the session is not disconnected"_s);
    if (auto r = m_client->reconnect(); !r)
        return r;
    setState(SessionState::Connecting);
    return {};
}

void InteractiveSession::onReconnected()
{
    if (m_condition != ConnectionCondition::Disconnected)
        return;
    m_failure.clear();
    setCondition(ConnectionCondition::Connected);
    m_ui.note(NoteKind::Info, u"The session to %1 was reconnected."_s.arg(computer()));
    if (std::exchange(m_probeAfterReconnect, false)) {
        startProbe();
        return;
    }
    if (!m_line.isNull() && m_client->activePipelines().contains(m_line)) {
        setState(SessionState::Busy);
        return;
    }
    m_line = QUuid();
    if (m_promptPipeline.isNull() && m_probe.isNull())
        evaluatePrompt(); // Ready when the prompt is back
}

// ---- host calls -----------------------------------------------------------------------------

void InteractiveSession::respond(const QUuid &pipelineId, const Psrp::HostResponse &response)
{
    if (m_client)
        (void)m_client->respondToHostCall(pipelineId, response);
}

void InteractiveSession::respondFailure(const QUuid &pipelineId, const Psrp::HostCall &call, const QString &message,
                                        const QString &errorId, const QString &exceptionType)
{
    if (call.isVoid())
        return;
    const Psrp::ErrorRecord record = Psrp::ErrorRecord::make(message, errorId, 0, exceptionType);
    respond(pipelineId, Psrp::HostResponse::failure(call, record.toValue()));
}

// What PowerShell's own client answers for the methods it does not implement remotely.
void InteractiveSession::notImplemented(const QUuid &pipelineId, const Psrp::HostCall &call)
{
    respondFailure(pipelineId, call, u"The method or operation is not implemented."_s, u"NotImplemented"_s,
                   u"System.Management.Automation.Host.HostException"_s);
}

void InteractiveSession::onHostCall(const QUuid &pipelineId, const Psrp::HostCall &call)
{
    if (m_abandoned.contains(pipelineId))
        return;
    // Dossier 2.9 step 1: SetShouldExit / PopRunspace during the probe are ignored.
    const bool leaving = call.methodId == HostMethodId::SetShouldExit || call.methodId == HostMethodId::PopRunspace;
    if (leaving) {
        if (pipelineId == m_line && !m_line.isNull())
            m_exitRequested = true;
        else if (pipelineId.isNull() && m_state == SessionState::Ready)
            leave();
        if (!call.isVoid())
            respond(pipelineId, Psrp::HostResponse::answerVoid(call));
        return;
    }
    if (answerWrite(pipelineId, call) || answerRawUi(pipelineId, call))
        return;
    switch (call.methodId) {
    case HostMethodId::GetName:
        respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(m_enter.hostName)));
        return;
    case HostMethodId::GetVersion:
        respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(Psrp::Version{QStringLiteral(PSREMOTE_VERSION)})));
        return;
    case HostMethodId::GetInstanceId:
        respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(m_instanceId)));
        return;
    case HostMethodId::GetCurrentCulture:
        respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(m_culture)));
        return;
    case HostMethodId::GetCurrentUICulture:
        respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(m_uiCulture)));
        return;
    case HostMethodId::NotifyBeginApplication:
    case HostMethodId::NotifyEndApplication:
        m_ui.notifyApplication(call.methodId == HostMethodId::NotifyBeginApplication);
        if (!call.isVoid())
            respond(pipelineId, Psrp::HostResponse::answerVoid(call));
        return;
    case HostMethodId::FlushInputBuffer:
        m_ui.flushInputBuffer();
        if (!call.isVoid())
            respond(pipelineId, Psrp::HostResponse::answerVoid(call));
        return;
    case HostMethodId::GetIsRunspacePushed:
        respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(true)));
        return;
    case HostMethodId::GetRunspace:
        // The local runspace object cannot travel; PowerShell's remote host has none to give.
        respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value()));
        return;
    case HostMethodId::GetBufferContents:
        // Dossier 2.6: refused for security, as PowerShell's client refuses it.
        respondFailure(pipelineId, call, u"Remote host method get_BufferContents is not supported."_s,
                       u"RemoteHostGetBufferContents"_s, u"System.Management.Automation.PSRemotingDataStructureException"_s);
        return;
    case HostMethodId::EnterNestedPrompt:
    case HostMethodId::ExitNestedPrompt:
    case HostMethodId::SetBufferContents1:
    case HostMethodId::SetBufferContents2:
    case HostMethodId::ScrollBufferContents:
    case HostMethodId::PushRunspace:
        notImplemented(pipelineId, call);
        return;
    default:
        ask(pipelineId, call);
        return;
    }
}

bool InteractiveSession::answerWrite(const QUuid &pipelineId, const Psrp::HostCall &call)
{
    TextStream stream = TextStream::Output;
    bool newline = true;
    switch (call.methodId) {
    case HostMethodId::Write1:
    case HostMethodId::Write2:
        newline = false;
        break;
    case HostMethodId::WriteLine1:
    case HostMethodId::WriteLine2:
    case HostMethodId::WriteLine3:
        break;
    case HostMethodId::WriteErrorLine:
        stream = TextStream::Error;
        break;
    case HostMethodId::WriteDebugLine:
        stream = TextStream::Debug;
        break;
    case HostMethodId::WriteVerboseLine:
        stream = TextStream::Verbose;
        break;
    case HostMethodId::WriteWarningLine:
        stream = TextStream::Warning;
        break;
    case HostMethodId::WriteProgress: {
        if (const auto params = Psrp::writeProgressParams(call)) {
            if (m_progress.update(params->first, params->second))
                publishProgress();
        }
        if (!call.isVoid())
            respond(pipelineId, Psrp::HostResponse::answerVoid(call));
        return true;
    }
    default:
        return false;
    }
    const auto parsed = Psrp::writeParams(call);
    const Psrp::WriteParams params = parsed ? *parsed : Psrp::WriteParams{};
    if (!isEcho(stream, params.text))
        m_ui.write(HostText{stream, params.text, newline, params.foregroundColor, params.backgroundColor});
    if (!call.isVoid())
        respond(pipelineId, Psrp::HostResponse::answerVoid(call));
    return true;
}

// RawUI getters answered from the UI's state, setters applied to it (MS-PSRP 2.2.3.17 27..45).
bool InteractiveSession::answerRawUi(const QUuid &pipelineId, const Psrp::HostCall &call)
{
    RawUiState s = m_ui.rawUi();
    std::optional<Psrp::Value> result;
    bool set = false;
    bool valid = true;
    const Psrp::Value *p = call.parameter(0);
    auto intParam = [&](qint32 &field) {
        const auto n = p ? p->toInteger() : std::nullopt;
        valid = n.has_value();
        if (valid)
            field = static_cast<qint32>(*n);
        set = true;
    };
    auto coordinatesParam = [&](Psrp::Coordinates &field) {
        const auto c = p ? Psrp::Coordinates::fromValue(*p) : Psrp::Result<Psrp::Coordinates>(Psrp::makeError(Psrp::ErrorCode::MissingProperty, {}));
        valid = c.ok();
        if (valid)
            field = *c;
        set = true;
    };
    auto sizeParam = [&](Psrp::Size &field) {
        const auto c = p ? Psrp::Size::fromValue(*p) : Psrp::Result<Psrp::Size>(Psrp::makeError(Psrp::ErrorCode::MissingProperty, {}));
        valid = c.ok();
        if (valid)
            field = *c;
        set = true;
    };
    switch (call.methodId) {
    case HostMethodId::GetForegroundColor: result = Psrp::Value(s.foregroundColor); break;
    case HostMethodId::GetBackgroundColor: result = Psrp::Value(s.backgroundColor); break;
    case HostMethodId::GetCursorPosition: result = s.cursorPosition.toValue(); break;
    case HostMethodId::GetWindowPosition: result = s.windowPosition.toValue(); break;
    case HostMethodId::GetCursorSize: result = Psrp::Value(s.cursorSize); break;
    case HostMethodId::GetBufferSize: result = s.bufferSize.toValue(); break;
    case HostMethodId::GetWindowSize: result = s.windowSize.toValue(); break;
    case HostMethodId::GetMaxWindowSize: result = s.maxWindowSize.toValue(); break;
    case HostMethodId::GetMaxPhysicalWindowSize: result = s.maxPhysicalWindowSize.toValue(); break;
    case HostMethodId::GetWindowTitle: result = Psrp::Value(s.windowTitle); break;
    case HostMethodId::GetKeyAvailable: result = Psrp::Value(s.keyAvailable); break;
    case HostMethodId::SetForegroundColor: intParam(s.foregroundColor); break;
    case HostMethodId::SetBackgroundColor: intParam(s.backgroundColor); break;
    case HostMethodId::SetCursorPosition: coordinatesParam(s.cursorPosition); break;
    case HostMethodId::SetWindowPosition: coordinatesParam(s.windowPosition); break;
    case HostMethodId::SetCursorSize: intParam(s.cursorSize); break;
    case HostMethodId::SetBufferSize: sizeParam(s.bufferSize); break;
    case HostMethodId::SetWindowSize: sizeParam(s.windowSize); break;
    case HostMethodId::SetWindowTitle: {
        const auto t = p ? p->toString() : std::nullopt;
        valid = t.has_value();
        if (valid)
            s.windowTitle = *t;
        set = true;
        break;
    }
    default:
        return false;
    }
    if (!valid) {
        respondFailure(pipelineId, call, u"invalid parameter for "_s + Psrp::hostMethodName(call.methodId),
                       u"InvalidHostCallParameter"_s, u"System.ArgumentException"_s);
        return true;
    }
    if (set) {
        m_ui.rawUiChanged(call.methodId, s);
        if (!call.isVoid())
            respond(pipelineId, Psrp::HostResponse::answerVoid(call));
    } else if (result) {
        respond(pipelineId, Psrp::HostResponse::answer(call, *result));
    }
    return true;
}

void InteractiveSession::onSessionKey()
{
    const auto pending = std::exchange(m_afterKey, {});
    for (const auto &f : pending)
        f(true, {});
}

void InteractiveSession::encrypt(std::shared_ptr<Wsman::Secret> secret,
                                 std::function<void(std::optional<Psrp::SecureString>, const QString &)> done)
{
    auto run = [this, secret, done](bool ok, const QString &why) {
        if (!ok || !m_client) {
            done(std::nullopt, why);
            return;
        }
        QString text = QString::fromUtf8(secret->utf8());
        auto encrypted = m_client->encryptSecureString(text);
        wipe(text);
        secret->clear();
        if (encrypted)
            done(*encrypted, {});
        else
            done(std::nullopt, u"cannot encrypt the secure string: "_s + encrypted.error().detail);
    };
    if (!m_client) {
        done(std::nullopt, u"the session is closed"_s);
        return;
    }
    if (m_client->canUseSecureString()) {
        run(true, {});
        return;
    }
    const bool first = m_afterKey.isEmpty();
    m_afterKey.append(run);
    if (first) {
        if (auto r = m_client->exchangeKey(); !r) {
            const auto pending = std::exchange(m_afterKey, {});
            for (const auto &f : pending)
                f(false, u"the session key exchange failed: "_s + r.error().detail);
        }
    }
}

// ReadLine, ReadLineAsSecureString, ReadKey, Prompt, PromptForCredential*, PromptForChoice*: the UI
// answers later through a Reply; the session turns the answer into the HOST_RESPONSE.
void InteractiveSession::ask(const QUuid &pipelineId, const Psrp::HostCall &call)
{
    auto pending = std::make_shared<Pending>();
    pending->pipelineId = pipelineId;
    m_questions.append(pending);
    QPointer<InteractiveSession> self(this);
    // Both the answer and the abandon path drop the question from the list.
    auto finish = [self, pending] {
        if (self)
            self->m_questions.removeOne(pending);
    };
    auto fail = [self, pipelineId, call, finish](const QString &reason) {
        finish();
        if (self)
            self->respondFailure(pipelineId, call, reason.isEmpty() ? u"The operation was cancelled by the user."_s : reason,
                                 u"HostPromptCancelled"_s, u"System.Management.Automation.Host.PromptingException"_s);
    };
    auto answer = [self, pipelineId, call, finish](const Psrp::Value &value) {
        finish();
        if (self)
            self->respond(pipelineId, Psrp::HostResponse::answer(call, value));
    };
    const QString computer = m_enter.computerName;

    switch (call.methodId) {
    case HostMethodId::ReadLine: {
        Reply<QString> reply([answer, fail](QString *line, const QString &why) {
            if (line)
                answer(Psrp::Value(*line));
            else
                fail(why);
        });
        pending->abandon = [reply] { reply.abandon(); };
        m_ui.readLine(reply);
        return;
    }
    case HostMethodId::ReadKey: {
        const auto options = call.parameter(0) ? call.parameter(0)->toInteger() : std::nullopt;
        Reply<Psrp::KeyInfo> reply([answer, fail](Psrp::KeyInfo *key, const QString &why) {
            if (key)
                answer(key->toValue());
            else
                fail(why);
        });
        pending->abandon = [reply] { reply.abandon(); };
        m_ui.readKey(static_cast<qint32>(options.value_or(0)), reply);
        return;
    }
    case HostMethodId::ReadLineAsSecureString: {
        // Dossier 2.6: PowerShell warns before a remote secure prompt.
        m_ui.write(HostText{TextStream::Warning, secureStringWarning(computer), true, {}, {}});
        Reply<Wsman::Secret> reply([self, answer, fail](Wsman::Secret *secret, const QString &why) {
            if (!secret || !self) {
                fail(why);
                return;
            }
            self->encrypt(std::make_shared<Wsman::Secret>(std::move(*secret)),
                          [answer, fail](std::optional<Psrp::SecureString> ss, const QString &reason) {
                              if (ss)
                                  answer(Psrp::Value(*ss));
                              else
                                  fail(reason);
                          });
        });
        pending->abandon = [reply] { reply.abandon(); };
        m_ui.readLineAsSecureString(reply);
        return;
    }
    case HostMethodId::PromptForCredential1:
    case HostMethodId::PromptForCredential2: {
        const auto params = Psrp::promptForCredentialParams(call);
        if (!params) {
            fail(u"invalid PromptForCredential parameters: "_s + params.error().detail);
            return;
        }
        // Dossier 2.6: re-captioned as a request from the remote computer.
        CredentialRequest request;
        request.caption = credentialCaption(params->caption);
        request.message = credentialWarning(computer) + (params->message.isEmpty() ? QString() : u"\n\n"_s + params->message);
        request.userName = params->userName;
        request.targetName = params->targetName;
        request.allowedCredentialTypes = params->allowedCredentialTypes;
        request.options = params->options;
        Reply<Credential> reply([self, answer, fail](Credential *credential, const QString &why) {
            if (!credential || !self) {
                fail(why);
                return;
            }
            const QString user = credential->userName;
            self->encrypt(std::make_shared<Wsman::Secret>(std::move(credential->password)),
                          [answer, fail, user](std::optional<Psrp::SecureString> ss, const QString &reason) {
                              if (ss)
                                  answer(Psrp::PSCredential{user, *ss}.toValue());
                              else
                                  fail(reason);
                          });
        });
        pending->abandon = [reply] { reply.abandon(); };
        m_ui.promptForCredential(request, reply);
        return;
    }
    case HostMethodId::Prompt: {
        const auto params = Psrp::promptParams(call);
        if (!params) {
            fail(u"invalid Prompt parameters: "_s + params.error().detail);
            return;
        }
        PromptRequest request{params->caption, params->message, params->fields};
        const QList<Psrp::FieldDescription> fields = params->fields;
        bool secure = false;
        for (const auto &f : fields)
            secure = secure || f.isSecureString() || f.isCredential();
        if (secure)
            m_ui.write(HostText{TextStream::Warning, secureStringWarning(computer), true, {}, {}});
        Reply<std::vector<PromptAnswer>> reply([self, answer, fail, fields](std::vector<PromptAnswer> *answers,
                                                                             const QString &why) {
            if (!answers || !self) {
                fail(why);
                return;
            }
            if (answers->size() != size_t(fields.size())) {
                fail(u"the prompt was answered with %1 values for %2 fields"_s.arg(answers->size()).arg(fields.size()));
                return;
            }
            // Secure fields are encrypted one after the other, then the Hashtable is sent.
            auto results = std::make_shared<QList<std::pair<QString, Psrp::Value>>>();
            auto owned = std::make_shared<std::vector<PromptAnswer>>(std::move(*answers));
            auto step = std::make_shared<std::function<void(qsizetype)>>();
            *step = [self, answer, fail, fields, results, owned, step](qsizetype i) {
                if (!self)
                    return;
                if (i >= fields.size()) {
                    answer(Psrp::promptResult(*results));
                    *step = nullptr; // break the self-reference
                    return;
                }
                const Psrp::FieldDescription &field = fields.at(i);
                PromptAnswer &a = (*owned)[size_t(i)];
                if (!field.isSecureString() && !field.isCredential()) {
                    results->append({field.name, Psrp::Value(a.text)});
                    (*step)(i + 1);
                    return;
                }
                const QString user = a.userName;
                const bool credential = field.isCredential();
                const QString name = field.name;
                self->encrypt(std::make_shared<Wsman::Secret>(std::move(a.secret)),
                              [results, step, fail, user, credential, name, i](std::optional<Psrp::SecureString> ss,
                                                                               const QString &reason) {
                                  if (!ss) {
                                      fail(reason);
                                      *step = nullptr;
                                      return;
                                  }
                                  results->append({name, credential ? Psrp::PSCredential{user, *ss}.toValue()
                                                                    : Psrp::Value(*ss)});
                                  (*step)(i + 1);
                              });
            };
            (*step)(0);
        });
        pending->abandon = [reply] { reply.abandon(); };
        m_ui.prompt(request, reply);
        return;
    }
    case HostMethodId::PromptForChoice:
    case HostMethodId::PromptForChoiceMultipleSelection: {
        const auto params = Psrp::promptForChoiceParams(call);
        if (!params || params->choices.isEmpty()) {
            fail(u"invalid PromptForChoice parameters"_s);
            return;
        }
        const bool multiple = call.methodId == HostMethodId::PromptForChoiceMultipleSelection;
        ChoiceRequest request{params->caption, params->message, params->choices, params->defaultChoices, multiple};
        const qsizetype count = params->choices.size();
        Reply<QList<qint32>> reply([answer, fail, multiple, count](QList<qint32> *chosen, const QString &why) {
            if (!chosen) {
                fail(why);
                return;
            }
            for (qint32 c : *chosen) {
                if (c < 0 || c >= count) {
                    fail(u"choice %1 is out of range"_s.arg(c));
                    return;
                }
            }
            if (!multiple && chosen->size() != 1) {
                fail(u"exactly one choice is needed"_s);
                return;
            }
            answer(multiple ? Psrp::choiceMultipleSelectionResult(*chosen) : Psrp::Value(chosen->constFirst()));
        });
        pending->abandon = [reply] { reply.abandon(); };
        m_ui.promptForChoice(request, reply);
        return;
    }
    default:
        // Ids outside 1..56 (a newer server): PowerShell's not-implemented answer.
        finish();
        notImplemented(pipelineId, call);
        return;
    }
}

} // namespace Session
