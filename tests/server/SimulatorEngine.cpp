#include "SimulatorEngine.h"

#include "psrp/ObjectBuilders.h"

#include <QDateTime>

#include <algorithm>
#include <limits>

using namespace Qt::Literals::StringLiterals;
using namespace Psrp;

namespace TestServer {

namespace {

QString targetOf(const QUuid &id)
{
    return id.isNull() ? QString() : id.toString(QUuid::WithoutBraces).toUpper();
}

DateTime now()
{
    constexpr qint64 epochTicks = 621355968000000000LL; // 1970-01-01 in .NET ticks
    return DateTime{QDateTime::currentMSecsSinceEpoch() * 10000 + epochTicks, DateTime::Kind::Utc, 0};
}

Value stringDictionary(const QStringList &typeNames, const QList<std::pair<QString, Value>> &pairs)
{
    QList<DictionaryEntry> entries;
    for (const auto &[k, v] : pairs)
        entries.append(DictionaryEntry{Value(k), v});
    return Objects::dictionaryObject(typeNames, entries);
}

Value psVersionTable()
{
    return stringDictionary(Objects::hashtableTypeNames(),
                            {{u"PSVersion"_s, Value(Psrp::Version{u"7.4.0"_s})},
                             {u"PSEdition"_s, Value(u"Simulator"_s)},
                             {u"Simulator"_s, Value(SimulatorEngine::label())},
                             {u"PSRemotingProtocolVersion"_s, Value(Psrp::Version{u"2.3"_s})},
                             {u"SerializationVersion"_s, Value(Psrp::Version{u"1.1.0.1"_s})},
                             {u"OS"_s, Value(u"PSRemote loopback simulator"_s)},
                             {u"Platform"_s, Value(u"Simulator"_s)}});
}

// The text a value shows as (Out-Default, Out-String).
QString displayText(const Value &value)
{
    if (const auto t = value.toString())
        return *t;
    if (const auto n = value.toInteger())
        return QString::number(*n);
    if (const auto b = value.toBool())
        return *b ? u"True"_s : u"False"_s;
    if (const auto *o = value.object()) {
        if (o->toString)
            return *o->toString;
        if (!o->typeNames.isEmpty())
            return o->typeNames.constFirst();
    }
    return {};
}

// PowerShell wildcards (MS-PSRP 2.2.3.20 names): '*', '?', '[set]' and '`' escapes, no case.
bool wildcardMatch(QStringView pattern, QStringView text)
{
    qsizetype p = 0, t = 0, starP = -1, starT = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == u'*') {
            starP = ++p;
            starT = t;
            continue;
        }
        bool step = false;
        qsizetype next = p + 1;
        if (p < pattern.size()) {
            const QChar c = pattern[p];
            if (c == u'?') {
                step = true;
            } else if (c == u'[') {
                const qsizetype close = pattern.indexOf(u']', p + 1);
                if (close > p) {
                    const QStringView set = pattern.sliced(p + 1, close - p - 1);
                    const QChar ch = text[t].toLower();
                    for (qsizetype i = 0; i < set.size() && !step; ++i) {
                        if (i + 2 < set.size() && set[i + 1] == u'-') {
                            step = ch >= set[i].toLower() && ch <= set[i + 2].toLower();
                            i += 2;
                        } else {
                            step = ch == set[i].toLower();
                        }
                    }
                    next = close + 1;
                } else {
                    step = text[t] == c;
                }
            } else {
                QChar literal = c;
                if (c == u'`' && p + 1 < pattern.size()) {
                    literal = pattern[p + 1];
                    next = p + 2;
                }
                step = text[t].toLower() == literal.toLower();
            }
        }
        if (step) {
            p = next;
            ++t;
        } else if (starP >= 0) {
            p = starP;
            t = ++starT;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == u'*')
        ++p;
    return p == pattern.size();
}

struct KnownCommand {
    QString name;
    CommandTypes type;
    QString moduleName;
};

// What GET_COMMAND_METADATA reports: the simulator's commands, plus what PowerShell clients
// probe for (Out-Default and Exit-PSSession: the push probe, dossier 2.9).
const QList<KnownCommand> &knownCommands()
{
    static const QList<KnownCommand> commands = [] {
        const QString core = u"Microsoft.PowerShell.Core"_s;
        const QString utility = u"Microsoft.PowerShell.Utility"_s;
        const QString management = u"Microsoft.PowerShell.Management"_s;
        const QString security = u"Microsoft.PowerShell.Security"_s;
        return QList<KnownCommand>{
            {u"Exit-PSSession"_s, CommandTypes::Cmdlet, core},
            {u"Get-Credential"_s, CommandTypes::Cmdlet, security},
            {u"Get-Location"_s, CommandTypes::Cmdlet, management},
            {u"Invoke-Expression"_s, CommandTypes::Cmdlet, utility},
            {u"Out-Default"_s, CommandTypes::Cmdlet, core},
            {u"Out-String"_s, CommandTypes::Cmdlet, utility},
            {u"prompt"_s, CommandTypes::Function, QString()},
            {u"Read-Host"_s, CommandTypes::Cmdlet, utility},
            {u"Start-Sleep"_s, CommandTypes::Cmdlet, utility},
            {u"TabExpansion2"_s, CommandTypes::Function, QString()},
            {u"Write-Debug"_s, CommandTypes::Cmdlet, utility},
            {u"Write-Error"_s, CommandTypes::Cmdlet, utility},
            {u"Write-Host"_s, CommandTypes::Cmdlet, utility},
            {u"Write-Information"_s, CommandTypes::Cmdlet, utility},
            {u"Write-Output"_s, CommandTypes::Cmdlet, utility},
            {u"Write-Progress"_s, CommandTypes::Cmdlet, utility},
            {u"Write-Verbose"_s, CommandTypes::Cmdlet, utility},
            {u"Write-Warning"_s, CommandTypes::Cmdlet, utility},
        };
    }();
    return commands;
}

// MS-PSRP 2.2.3.22 CommandMetadata, as PowerShell's server selects it from Get-Command.
Value commandMetadataObject(const KnownCommand &command)
{
    const bool cmdlet = command.type == CommandTypes::Cmdlet;
    Value v = Objects::msObject(
        {{u"Name"_s, Value(command.name)},
         {u"Namespace"_s, Value(command.moduleName)},
         {u"HelpUri"_s, Value(QString())},
         {u"CommandType"_s, Objects::enumObject(u"System.Management.Automation.CommandTypes"_s,
                                                cmdlet ? u"Cmdlet"_s : u"Function"_s,
                                                static_cast<qint32>(command.type))},
         {u"OutputType"_s, Objects::listObject({u"System.Collections.ObjectModel.ReadOnlyCollection`1[[System.Management.Automation.PSTypeName]]"_s,
                                                u"System.Object"_s}, {})},
         {u"Parameters"_s, Objects::dictionaryObject({u"System.Collections.Generic.Dictionary`2[[System.String],[System.Management.Automation.ParameterMetadata]]"_s,
                                                      u"System.Object"_s}, {})}});
    v.object()->typeNames = {cmdlet ? u"Selected.System.Management.Automation.CmdletInfo"_s
                                    : u"Selected.System.Management.Automation.FunctionInfo"_s,
                             u"System.Management.Automation.PSCustomObject"_s, u"System.Object"_s};
    return v;
}

// The text of Invoke-Expression's -Command (or first positional) argument; nullopt otherwise.
std::optional<QString> invokeExpressionText(const Command &cmd)
{
    const QString name = cmd.cmd.trimmed();
    if (cmd.isScript || (name.compare(u"Invoke-Expression"_s, Qt::CaseInsensitive) != 0
                         && name.compare(u"iex"_s, Qt::CaseInsensitive) != 0))
        return std::nullopt;
    for (const CommandParameter &arg : cmd.args)
        if (!arg.name || arg.name->compare(u"Command"_s, Qt::CaseInsensitive) == 0)
            return arg.value.toString();
    return std::nullopt;
}

struct Token {
    enum class Kind { Word, String, Pipe, Separator, Range };
    Kind kind;
    QString text;
};

// Invoke-HostMethod: parameters shaped as PowerShell's server host sends them (dossier 2.6).
QList<Value> cannedParameters(HostMethodId id, const QStringList &args)
{
    auto intArg = [&](qsizetype i, qint32 fallback) {
        bool ok = false;
        const qint32 v = args.value(i).toInt(&ok);
        return ok ? v : fallback;
    };
    auto choice = [](const QString &label, const QString &help) {
        return ChoiceDescription{label, help}.toValue();
    };
    auto field = [](const QString &name, const QString &typeName, const QString &fullName) {
        FieldDescription f;
        f.name = name;
        f.label = name;
        f.parameterTypeName = typeName;
        f.parameterTypeFullName = fullName;
        f.parameterAssemblyFullName = fullName;
        return f.toValue();
    };
    const QStringList listTypes = {u"System.Collections.ObjectModel.Collection`1[[System.Object]]"_s, u"System.Object"_s};
    const QString text = args.isEmpty() ? u"simulated text"_s : args.join(u' ');
    switch (id) {
    case HostMethodId::SetShouldExit:
    case HostMethodId::SetForegroundColor:
    case HostMethodId::SetBackgroundColor:
    case HostMethodId::SetCursorSize:
    case HostMethodId::ReadKey:
        return {Value(intArg(0, 0))};
    case HostMethodId::Write1:
    case HostMethodId::WriteLine2:
    case HostMethodId::WriteErrorLine:
    case HostMethodId::WriteDebugLine:
    case HostMethodId::WriteVerboseLine:
    case HostMethodId::WriteWarningLine:
    case HostMethodId::SetWindowTitle:
        return {Value(text)};
    case HostMethodId::Write2:
    case HostMethodId::WriteLine3:
        return {Value(intArg(0, 14)), Value(intArg(1, 1)), Value(args.mid(2).join(u' '))};
    case HostMethodId::WriteProgress: {
        ProgressRecord r;
        r.activityId = intArg(0, 1);
        r.parentActivityId = intArg(1, -1);
        r.activity = u"Activity "_s + QString::number(r.activityId);
        r.statusDescription = u"Working"_s;
        r.percentComplete = 50;
        r.type = args.value(2).compare(u"completed"_s, Qt::CaseInsensitive) == 0 ? ProgressRecordType::Completed
                                                                                  : ProgressRecordType::Processing;
        return {Value(qint64(1)), r.toValue()};
    }
    case HostMethodId::SetCursorPosition:
    case HostMethodId::SetWindowPosition:
        return {Coordinates{intArg(0, 1), intArg(1, 2)}.toValue()};
    case HostMethodId::SetBufferSize:
    case HostMethodId::SetWindowSize:
        return {Size{intArg(0, 100), intArg(1, 40)}.toValue()};
    case HostMethodId::Prompt:
        return {Value(u"Prompt caption"_s), Value(u"Prompt message"_s),
                Objects::listObject(listTypes, {field(u"Name"_s, u"String"_s, u"System.String"_s),
                                                field(u"Secret"_s, u"SecureString"_s, u"System.Security.SecureString"_s),
                                                field(u"Login"_s, u"PSCredential"_s, u"System.Management.Automation.PSCredential"_s)})};
    case HostMethodId::PromptForCredential1:
        return {Value(u"Credential caption"_s), Value(u"Credential message"_s), Value(args.value(0)), Value(u"target"_s)};
    case HostMethodId::PromptForCredential2:
        return {Value(u"Credential caption"_s), Value(u"Credential message"_s), Value(args.value(0)), Value(u"target"_s),
                Value(qint32(3)), Value(qint32(1))};
    case HostMethodId::PromptForChoice:
        return {Value(u"Choice caption"_s), Value(u"Choose one"_s),
                Objects::listObject(listTypes, {choice(u"&Yes"_s, u"yes"_s), choice(u"&No"_s, u"no"_s)}), Value(qint32(1))};
    case HostMethodId::PromptForChoiceMultipleSelection:
        return {Value(u"Choice caption"_s), Value(u"Choose some"_s),
                Objects::listObject(listTypes, {choice(u"&A"_s, u"a"_s), choice(u"&B"_s, u"b"_s), choice(u"&C"_s, u"c"_s)}),
                Objects::listObject(listTypes, {Value(qint32(0)), Value(qint32(2))})};
    case HostMethodId::SetBufferContents1:
        return {Rectangle{0, 0, 1, 1}.toValue(), BufferCell{}.toValue()};
    case HostMethodId::SetBufferContents2:
        return {Coordinates{}.toValue(), BufferCellArray{1, 1, {BufferCell{}}}.toValue()};
    case HostMethodId::GetBufferContents:
        return {Rectangle{0, 0, 10, 10}.toValue()};
    case HostMethodId::ScrollBufferContents:
        return {Rectangle{0, 0, 10, 10}.toValue(), Coordinates{}.toValue(), Rectangle{0, 0, 10, 10}.toValue(),
                BufferCell{}.toValue()};
    default:
        return {};
    }
}

QList<Token> tokenize(const QString &s)
{
    QList<Token> out;
    qsizetype i = 0;
    while (i < s.size()) {
        const QChar c = s.at(i);
        if (c == u'\n' || c == u';') {
            out.append({Token::Kind::Separator, {}});
            ++i;
        } else if (c.isSpace()) {
            ++i;
        } else if (c == u'|') {
            out.append({Token::Kind::Pipe, {}});
            ++i;
        } else if (c == u'\'' || c == u'"') {
            qsizetype j = i + 1;
            QString text;
            while (j < s.size() && s.at(j) != c)
                text += s.at(j++);
            out.append({Token::Kind::String, text});
            i = j + 1;
        } else {
            qsizetype j = i;
            while (j < s.size() && !s.at(j).isSpace() && s.at(j) != u'|' && s.at(j) != u';')
                ++j;
            const QString word = s.mid(i, j - i);
            const bool range = word.contains(u".."_s) && !word.startsWith(u'-');
            out.append({range ? Token::Kind::Range : Token::Kind::Word, word});
            i = j;
        }
    }
    return out;
}

} // namespace

// One step of a pipeline.
struct SimulatorEngine::Op {
    QString name;          // lower-case command name
    QStringList positional;
    QHash<QString, QString> named; // lower-case switch -> value (empty for a switch)
    qint64 from = 0, to = 0;       // ranges
};

struct SimulatorEngine::Run {
    QUuid id;
    QString target;
    QList<Op> ops;
    qsizetype next = 0;
    bool toHost = false;     // Out-Default ends the pipeline
    bool ended = false;
    qint64 waitingCall = 0;  // host call id awaited
    std::unique_ptr<QTimer> sleep;
    QList<Value> input;
    bool inputEnded = false;   // END_OF_PIPELINE_INPUT seen (or CREATE_PIPELINE NoInput)
    bool waitingInput = false; // $input waits for inputEnded
    bool toText = false;       // Out-String: output becomes strings
    quint32 mergedToOutput = 0; // bit per PipelineResultTypes merged into the output
    std::optional<QString> failure; // a parse error
    bool ignoreStop = false;        // Start-Sleep -IgnoreStop: crtl_c does nothing
    bool describeAnswer = false;    // Invoke-HostMethod: the host response becomes text output
};

namespace {

QStringList &hiddenCommands()
{
    static QStringList names;
    return names;
}

} // namespace

void SimulatorEngine::setHiddenCommands(const QStringList &names)
{
    hiddenCommands() = names;
}

namespace {
QVersionNumber &announcedVersion()
{
    static QVersionNumber version;
    return version;
}
} // namespace

void SimulatorEngine::setProtocolVersion(const QVersionNumber &version)
{
    announcedVersion() = version;
}

namespace {
QStringList &startedPipelines()
{
    static QStringList texts;
    return texts;
}
} // namespace

int SimulatorEngine::executionCount(const QString &needle)
{
    int n = 0;
    for (const QString &text : std::as_const(startedPipelines()))
        n += text.contains(needle, Qt::CaseInsensitive) ? 1 : 0;
    return n;
}

void SimulatorEngine::resetExecutions()
{
    startedPipelines().clear();
}

SimulatorEngine::SimulatorEngine(QObject *parent)
    : ShellEngine(parent)
    , m_pool(QUuid(), announcedVersion().isNull() ? Psrp::ProtocolVersions::v2_3() : announcedVersion())
{
    m_pool.setApplicationPrivateData(stringDictionary(
        Objects::primitiveDictionaryTypeNames(),
        {{u"PSVersionTable"_s, psVersionTable()}, {u"Banner"_s, Value(label())}}));
}

SimulatorEngine::~SimulatorEngine() = default;

QString SimulatorEngine::label()
{
    return u"PSRemote loopback simulator, not PowerShell"_s;
}

QString SimulatorEngine::grammarHelp()
{
    return u"Simulator command set (case-insensitive; ';' or newline separates statements):\n"
           "  prompt | Get-Location | $PSVersionTable | A..B (B-A+1 integers, fast)\n"
           "  Write-Output|Write-Host|Write-Error|Write-Warning|Write-Verbose|Write-Debug|\n"
           "    Write-Information|Write-Progress TEXT\n"
           "  Read-Host [TEXT] [-AsSecureString] | Get-Credential [USER]\n"
           "  Start-Sleep N | Start-Sleep -Milliseconds N   (crtl_c stops it)\n"
           "  throw TEXT | TabExpansion2 TEXT | $input (pipeline input, once it has ended)\n"
           "  ... | Out-Default   (output becomes host WriteLine calls)\n"
           "  ... | Out-String    (output becomes strings)\n"
           "  Invoke-Expression -Command TEXT (as a command, e.g. pypsrp's execute_ps)\n"
           "  Pool requests and GET_COMMAND_METADATA are answered; merge settings are honoured.\n"_s;
}

QString SimulatorEngine::feed(const QByteArray &data)
{
    const auto r = m_pool.receiveData(data);
    pump();
    return r.ok() ? QString() : u"PSRP: "_s + r.error().detail;
}

QString SimulatorEngine::create(const QByteArray &creationXml)
{
    return feed(creationXml);
}

QString SimulatorEngine::command(const QString &commandId, const QByteArray &arguments)
{
    Q_UNUSED(commandId);
    return feed(arguments);
}

QString SimulatorEngine::send(const QString &commandId, bool promptResponse, const QByteArray &data)
{
    Q_UNUSED(commandId);
    Q_UNUSED(promptResponse);
    return feed(data);
}

void SimulatorEngine::signal(const QString &commandId, bool ctrlC)
{
    auto it = m_runs.find(commandId.toUpper());
    if (it == m_runs.end())
        return;
    Run &run = **it;
    if (ctrlC) {
        if (!run.ended && !run.ignoreStop) {
            ErrorRecord e = ErrorRecord::make(u"The pipeline has been stopped."_s, u"PipelineStopped"_s, 14,
                                              u"System.Management.Automation.PipelineStoppedException"_s);
            finish(run, PSInvocationState::Stopped, e);
        }
        return;
    }
    run.sleep.reset();
    run.ended = true;
    dropTarget(run.target);
    m_runs.erase(it);
}

void SimulatorEngine::close()
{
    m_closed = true;
    m_runs.clear();
}

bool SimulatorEngine::commandEnded(const QString &commandId) const
{
    const auto it = m_runs.constFind(commandId.toUpper());
    return it == m_runs.cend() || (*it)->ended;
}

bool SimulatorEngine::knowsCommand(const QString &commandId) const
{
    return m_runs.contains(commandId.toUpper());
}

void SimulatorEngine::pump()
{
    while (auto event = m_pool.nextEvent()) {
        if (event->kind != Event::Kind::Message || !event->payload)
            continue;
        const auto &payload = *event->payload;
        if (const auto *create = std::get_if<CreatePipeline>(&payload)) {
            start(event->pipelineId, *create);
        } else if (const auto *metadata = std::get_if<GetCommandMetadata>(&payload)) {
            commandMetadata(event->pipelineId, *metadata);
        } else if (event->messageType == MessageType::SetMaxRunspaces
                   || event->messageType == MessageType::SetMinRunspaces
                   || event->messageType == MessageType::GetAvailableRunspaces
                   || event->messageType == MessageType::ResetRunspaceState) {
            answerPoolRequest(payload);
        } else if (const auto *input = std::get_if<PipelineInput>(&payload)) {
            if (auto it = m_runs.find(targetOf(event->pipelineId)); it != m_runs.end())
                (*it)->input.append(input->value);
        } else if (std::holds_alternative<EndOfPipelineInput>(payload)) {
            if (auto it = m_runs.find(targetOf(event->pipelineId)); it != m_runs.end()) {
                Run &run = **it;
                run.inputEnded = true;
                if (run.waitingInput && !run.ended) {
                    run.waitingInput = false;
                    resume(run);
                }
            }
        } else if (const auto *response = std::get_if<PipelineHostResponse>(&payload)) {
            auto it = m_runs.find(targetOf(event->pipelineId));
            if (it == m_runs.end() || (*it)->ended || (*it)->waitingCall != response->callId)
                continue;
            Run &run = **it;
            run.waitingCall = 0;
            if (run.describeAnswer) {
                run.describeAnswer = false;
                emitValue(run, Value(describeAnswer(*response)));
            } else if (response->result) {
                emitValue(run, *response->result);
            }
            ++run.next;
            resume(run);
        }
    }
    while (auto out = m_pool.dataToSend(m_maxPayload))
        enqueue(targetOf(out->pipelineId), out->data);
}

QString SimulatorEngine::connectPool(const QByteArray &connectXml, QByteArray *response)
{
    if (const QString error = feed(connectXml); !error.isEmpty())
        return error;
    if (!m_pool.connectAnswerPending())
        return u"PSRP: connectXml did not hold SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL"_s;
    for (const QByteArray &chunk : takeOutput({}, std::numeric_limits<qsizetype>::max()))
        *response += chunk;
    (void)m_pool.connectAnswered();
    pump();
    return {};
}

void SimulatorEngine::answerPoolRequest(const Payload &payload)
{
    // As PowerShell's RunspacePool: a maximum below the minimum (or a minimum above the
    // maximum, or below 1) is refused with false; available = maximum - busy runspaces.
    if (const auto *setMax = std::get_if<SetMaxRunspaces>(&payload)) {
        (void)m_pool.runspaceAvailability(setMax->callId, setMax->count >= m_pool.minRunspaces());
    } else if (const auto *setMin = std::get_if<SetMinRunspaces>(&payload)) {
        (void)m_pool.runspaceAvailability(setMin->callId,
                                          setMin->count >= 1 && setMin->count <= m_pool.maxRunspaces());
    } else if (const auto *get = std::get_if<GetAvailableRunspaces>(&payload)) {
        qint64 busy = 0;
        for (const auto &run : std::as_const(m_runs))
            busy += run->ended ? 0 : 1;
        (void)m_pool.runspaceAvailability(get->callId, qMax<qint64>(0, m_pool.maxRunspaces() - busy));
    } else if (const auto *reset = std::get_if<ResetRunspaceState>(&payload)) {
        (void)m_pool.runspaceAvailability(reset->callId, true);
    }
}

void SimulatorEngine::commandMetadata(const QUuid &id, const GetCommandMetadata &request)
{
    auto run = std::make_shared<Run>();
    run->id = id;
    run->target = targetOf(id);
    m_runs.insert(run->target, run);
    const QStringList names = request.names.isEmpty() ? QStringList{u"*"_s} : request.names;
    QList<Value> found;
    for (const KnownCommand &command : knownCommands()) {
        if ((static_cast<qint32>(request.commandType) & static_cast<qint32>(command.type)) == 0
            || hiddenCommands().contains(command.name, Qt::CaseInsensitive))
            continue;
        const bool named = std::any_of(names.cbegin(), names.cend(), [&](const QString &pattern) {
            return wildcardMatch(pattern, command.name);
        });
        if (named)
            found.append(commandMetadataObject(command));
    }
    // MS-PSRP 2.2.3.21 CommandMetadataCount first, then one CommandMetadata per command.
    Value count = Objects::msObject({{u"Count"_s, Value(static_cast<qint32>(found.size()))}});
    count.object()->typeNames = {u"Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo"_s,
                                 u"System.Management.Automation.PSCustomObject"_s, u"System.Object"_s};
    (void)m_pool.writeOutput(id, count);
    for (const Value &v : std::as_const(found))
        (void)m_pool.writeOutput(id, v);
    finish(*run, PSInvocationState::Completed);
}

void SimulatorEngine::writeRecord(Run &run, PipelineResultTypes stream, const Payload &record, const Value &asObject)
{
    if (run.mergedToOutput & (1u << static_cast<int>(stream)))
        emitValue(run, asObject);
    else
        (void)m_pool.write(run.id, record);
}

void SimulatorEngine::start(const QUuid &id, const CreatePipeline &request)
{
    auto run = std::make_shared<Run>();
    run->id = id;
    run->target = targetOf(id);
    run->inputEnded = request.noInput;
    const QList<Command> &commands = request.powerShell.commands;
    QStringList started;
    for (const Command &c : commands)
        started.append(c.cmd);
    if (startedPipelines().size() < 10000)
        startedPipelines().append(started.join(u" | "_s));
    for (qsizetype ci = 0; ci < commands.size(); ++ci) {
        const Command &cmd = commands.at(ci);
        const QString name = cmd.cmd.trimmed();
        // MS-PSRP 2.2.3.12: MergeMyResult Error + MergeToResult Output (protocol < 2.2), or the
        // per-stream MergeError..MergeInformation (>= 2.2), send records to the output.
        using R = PipelineResultTypes;
        if ((cmd.mergeMyResult == R::Error || cmd.mergeMyResult == R::All) && cmd.mergeToResult == R::Output)
            run->mergedToOutput |= 1u << static_cast<int>(R::Error);
        const std::pair<R, R> perStream[] = {{R::Error, cmd.mergeError}, {R::Warning, cmd.mergeWarning},
                                             {R::Verbose, cmd.mergeVerbose}, {R::Debug, cmd.mergeDebug},
                                             {R::Information, cmd.mergeInformation}};
        for (const auto &[stream, to] : perStream)
            if (to == R::Output)
                run->mergedToOutput |= 1u << static_cast<int>(stream);
        if (name.compare(u"Out-Default"_s, Qt::CaseInsensitive) == 0 && ci > 0) {
            run->toHost = true;
            continue;
        }
        if (name.compare(u"Out-String"_s, Qt::CaseInsensitive) == 0 && ci > 0) {
            run->toText = true;
            continue;
        }
        const std::optional<QString> expression = invokeExpressionText(cmd);
        QString text = expression.value_or(name);
        if (!cmd.isScript && !expression) {
            for (const auto &arg : cmd.args) {
                if (arg.name)
                    text += u" -"_s + *arg.name;
                if (const auto s = arg.value.toString())
                    text += u" '"_s + *s + u"'"_s;
                else if (const auto n = arg.value.toInteger())
                    text += u' ' + QString::number(*n);
            }
        }
        const auto tokens = tokenize(text);
        Op current;
        bool have = false;
        bool afterPipe = false;
        auto flush = [&] {
            if (have)
                run->ops.append(current);
            current = Op{};
            have = false;
        };
        for (qsizetype i = 0; i < tokens.size(); ++i) {
            const Token &t = tokens.at(i);
            if (t.kind == Token::Kind::Separator) {
                flush();
                afterPipe = false;
                continue;
            }
            if (t.kind == Token::Kind::Pipe) {
                flush();
                afterPipe = true;
                continue;
            }
            if (!have) {
                if (afterPipe) {
                    const QString lower = t.text.toLower();
                    if (lower == u"out-default")
                        run->toHost = true;
                    else if (lower == u"out-string")
                        run->toText = true;
                    else
                        run->failure = u"The simulator only supports '| Out-Default' and '| Out-String', not '| "_s + t.text + u"'."_s;
                    afterPipe = false;
                    // skip the rest of this element
                    while (i + 1 < tokens.size() && tokens.at(i + 1).kind != Token::Kind::Separator
                           && tokens.at(i + 1).kind != Token::Kind::Pipe)
                        ++i;
                    continue;
                }
                have = true;
                if (t.kind == Token::Kind::Range) {
                    const auto parts = t.text.split(u".."_s);
                    bool ok1 = false, ok2 = false;
                    current.name = u".."_s;
                    current.from = parts.value(0).toLongLong(&ok1);
                    current.to = parts.value(1).toLongLong(&ok2);
                    if (!ok1 || !ok2)
                        run->failure = u"Bad range '"_s + t.text + u"'."_s;
                } else {
                    current.name = t.text.toLower();
                }
                continue;
            }
            if (t.kind == Token::Kind::Word && t.text.startsWith(u'-') && t.text.size() > 1
                && !t.text.at(1).isDigit()) {
                QString value;
                const QString sw = t.text.mid(1).toLower();
                if (sw != u"assecurestring" && sw != u"ignorestop" && i + 1 < tokens.size()
                    && (tokens.at(i + 1).kind == Token::Kind::String
                        || (tokens.at(i + 1).kind == Token::Kind::Word && !tokens.at(i + 1).text.startsWith(u'-'))))
                    value = tokens.at(++i).text;
                current.named.insert(sw, value);
            } else {
                current.positional.append(t.text);
            }
        }
        flush();
    }
    m_runs.insert(run->target, run);
    resume(*run);
}

void SimulatorEngine::emitValue(Run &run, const Value &value)
{
    if (run.toHost) {
        // Out-Default writes an error record through the host's WriteErrorLine, as PowerShell's
        // console does (shown red); everything else as a plain line.
        const bool errorRecord = value.isObject()
            && value.object()->typeNames.contains(u"System.Management.Automation.ErrorRecord"_s);
        (void)m_pool.hostCall(run.id, errorRecord ? HostMethodId::WriteErrorLine : HostMethodId::WriteLine2,
                              {Value(displayText(value))});
    } else if (run.toText) {
        (void)m_pool.writeOutput(run.id, Value(displayText(value)));
    } else {
        (void)m_pool.writeOutput(run.id, value);
    }
}

void SimulatorEngine::writeHost(Run &run, const QString &text)
{
    // PowerShell 5+: Write-Host writes a HostInformationMessage tagged PSHOST to the information
    // stream (INFORMATION_RECORD needs protocol 2.3); older clients get the host call.
    if (m_pool.peerProtocolVersion() < QVersionNumber(2, 3)) {
        (void)m_pool.hostCall(run.id, HostMethodId::WriteLine2, {Value(text)});
        return;
    }
    auto message = PsObject::create();
    message->typeNames = {u"System.Management.Automation.HostInformationMessage"_s, u"System.Object"_s};
    message->toString = text;
    message->adaptedProperties = {{u"Message"_s, Value(text)},
                                  {u"NoNewLine"_s, Value(false)},
                                  {u"ForegroundColor"_s, Value()},
                                  {u"BackgroundColor"_s, Value()}};
    InformationRecord r;
    r.messageData = Value(message);
    r.source = u"Write-Host"_s;
    r.tags = {u"PSHOST"_s};
    r.timeGenerated = now();
    r.computer = u"simulator"_s;
    r.user = u"simulator"_s;
    writeRecord(run, PipelineResultTypes::Information, r, r.toValue());
}

QString SimulatorEngine::describeValue(const Value &value) const
{
    if (const auto *ss = value.get<SecureString>()) {
        const auto text = m_pool.decryptSecureString(*ss);
        return text ? u"secure:"_s + *text : u"secure?"_s;
    }
    if (const auto *o = value.object()) {
        if (o->property(u"UserName") && o->property(u"Password")) {
            const auto c = PSCredential::fromValue(value);
            if (c)
                return u"credential:"_s + c->userName + u'/' + describeValue(Value(c->password));
        }
        if (o->container == PsObject::Container::Dictionary) {
            QStringList parts;
            for (const DictionaryEntry &e : o->entries)
                parts.append(displayText(e.key) + u'=' + describeValue(e.value));
            return parts.join(u';');
        }
        if (o->container != PsObject::Container::None) {
            QStringList parts;
            for (const Value &v : o->items)
                parts.append(describeValue(v));
            return parts.join(u',');
        }
        if (const auto key = KeyInfo::fromValue(value); key && o->property(u"virtualKeyCode"))
            return u"key:"_s + QString(QChar(key->character));
        if (const auto size = Size::fromValue(value); size && o->property(u"width"))
            return QString::number(size->width) + u'x' + QString::number(size->height);
        if (const auto c = Coordinates::fromValue(value); c && o->property(u"x"))
            return QString::number(c->x) + u',' + QString::number(c->y);
    }
    if (value.isNull())
        return u"null"_s;
    return displayText(value);
}

QString SimulatorEngine::describeAnswer(const HostResponse &response) const
{
    if (response.error) {
        const auto e = ErrorRecord::fromValue(*response.error);
        return u"error: "_s + (e ? e->message : u"?"_s);
    }
    if (!response.result)
        return u"void"_s;
    return u"result: "_s + describeValue(*response.result);
}

void SimulatorEngine::finish(Run &run, PSInvocationState state, std::optional<ErrorRecord> error)
{
    run.sleep.reset();
    run.ended = true;
    (void)m_pool.setPipelineState(run.id, state, std::move(error));
    pump();
}

void SimulatorEngine::resume(Run &run)
{
    if (run.failure) {
        finish(run, PSInvocationState::Failed,
               ErrorRecord::make(*run.failure, u"SimulatorParseError"_s, 17, u"System.Management.Automation.ParseException"_s));
        return;
    }
    while (!run.ended && run.next < run.ops.size()) {
        const Op &op = run.ops.at(run.next);
        const QString arg = op.positional.join(u' ');
        const QString &n = op.name;
        if (n == u"..") {
            const qint64 step = op.from <= op.to ? 1 : -1;
            const qint64 count = qMin<qint64>(qAbs(op.to - op.from) + 1, 10'000'000);
            qint64 v = op.from;
            for (qint64 i = 0; i < count; ++i, v += step) {
                emitValue(run, Value(static_cast<qint32>(v)));
                if ((i & 1023) == 1023)
                    pump();
            }
        } else if (n == u"prompt") {
            emitValue(run, Value(u"PS /simulator> "_s));
        } else if (n == u"get-location") {
            auto o = PsObject::create();
            o->typeNames = {u"Deserialized.System.Management.Automation.PathInfo"_s, u"Deserialized.System.Object"_s};
            o->toString = u"/simulator"_s;
            o->adaptedProperties.append({u"Path"_s, Value(u"/simulator"_s)});
            emitValue(run, Value(o));
        } else if (n == u"$psversiontable") {
            emitValue(run, psVersionTable());
        } else if (n == u"$input") {
            // MS-PSRP 3.1.4.4: input is complete only with END_OF_PIPELINE_INPUT.
            if (!run.inputEnded) {
                run.waitingInput = true;
                pump();
                return;
            }
            for (const auto &v : std::as_const(run.input))
                emitValue(run, v);
            run.input.clear();
        } else if (n == u"write-output" || n == u"echo") {
            emitValue(run, Value(arg));
        } else if (n == u"write-host") {
            writeHost(run, arg);
        } else if (n == u"write-error") {
            // As PowerShell writes it: FullyQualifiedErrorId and category activity name the cmdlet.
            ErrorRecord e = ErrorRecord::make(arg, u"Microsoft.PowerShell.Commands.WriteErrorException"_s, 0,
                                              u"Microsoft.PowerShell.Commands.WriteErrorException"_s);
            e.categoryActivity = u"Write-Error"_s;
            writeRecord(run, PipelineResultTypes::Error, e, e.toValue());
        } else if (n == u"write-warning") {
            WarningRecord r;
            r.message = arg;
            writeRecord(run, PipelineResultTypes::Warning, r, r.toValue(u"System.Management.Automation.WarningRecord"_s));
        } else if (n == u"write-verbose") {
            VerboseRecord r;
            r.message = arg;
            writeRecord(run, PipelineResultTypes::Verbose, r, r.toValue(u"System.Management.Automation.VerboseRecord"_s));
        } else if (n == u"write-debug") {
            DebugRecord r;
            r.message = arg;
            writeRecord(run, PipelineResultTypes::Debug, r, r.toValue(u"System.Management.Automation.DebugRecord"_s));
        } else if (n == u"write-information") {
            InformationRecord r;
            r.messageData = Value(arg);
            r.source = u"Write-Information"_s;
            r.timeGenerated = now();
            r.computer = u"simulator"_s;
            r.user = u"simulator"_s;
            writeRecord(run, PipelineResultTypes::Information, r, r.toValue());
        } else if (n == u"write-progress") {
            ProgressRecord r;
            r.activity = arg.isEmpty() ? op.named.value(u"activity"_s) : arg;
            r.statusDescription = op.named.value(u"status"_s, u"Processing"_s);
            r.percentComplete = op.named.value(u"percentcomplete"_s, u"-1"_s).toInt();
            (void)m_pool.write(run.id, r);
        } else if (n == u"read-host") {
            const QString promptText = arg.isEmpty() ? op.named.value(u"prompt"_s) : arg;
            if (!promptText.isEmpty())
                (void)m_pool.hostCall(run.id, HostMethodId::Write1, {Value(QString(promptText + u": "_s))});
            const bool secure = op.named.contains(u"assecurestring"_s);
            const auto call = m_pool.hostCall(run.id, secure ? HostMethodId::ReadLineAsSecureString : HostMethodId::ReadLine);
            if (call.ok()) {
                run.waitingCall = *call;
                pump();
                return;
            }
        } else if (n == u"get-credential") {
            const QString user = arg.isEmpty() ? op.named.value(u"username"_s) : arg;
            const auto call = m_pool.hostCall(run.id, HostMethodId::PromptForCredential1,
                                              {Value(u"PowerShell credential request"_s),
                                               Value(u"Enter your credentials."_s), Value(user), Value(QString())});
            if (call.ok()) {
                run.waitingCall = *call;
                pump();
                return;
            }
        } else if (n == u"exit-pssession") {
            // Dossier 2.9 step 5: the server host pops the runspace with a void call.
            (void)m_pool.hostCall(run.id, HostMethodId::PopRunspace);
        } else if (n == u"exit") {
            (void)m_pool.hostCall(run.id, HostMethodId::SetShouldExit, {Value(qint32(arg.toInt()))});
        } else if (n == u"invoke-hostmethod") {
            const auto id = hostMethodIdFromInt(op.positional.value(0).toLongLong());
            if (!id) {
                finish(run, PSInvocationState::Failed,
                       ErrorRecord::make(u"Invoke-HostMethod: no host method "_s + op.positional.value(0),
                                         u"SimulatorParseError"_s, 5, u"System.ArgumentException"_s));
                return;
            }
            const auto call = m_pool.hostCall(run.id, *id, cannedParameters(*id, op.positional.mid(1)));
            if (call.ok() && *call != VoidCallId) {
                run.waitingCall = *call;
                run.describeAnswer = true;
                pump();
                return;
            }
            emitValue(run, Value(u"sent"_s)); // a void call: no answer comes
        } else if (n == u"start-sleep" || n == u"sleep") {
            run.ignoreStop = op.named.contains(u"ignorestop"_s);
            qint64 ms = op.named.contains(u"milliseconds"_s) ? op.named.value(u"milliseconds"_s).toLongLong()
                                                             : static_cast<qint64>((op.named.contains(u"seconds"_s) ? op.named.value(u"seconds"_s) : arg).toDouble() * 1000);
            ms = qBound<qint64>(0, ms, 24LL * 3600 * 1000);
            run.sleep = std::make_unique<QTimer>();
            run.sleep->setSingleShot(true);
            const QString target = run.target;
            connect(run.sleep.get(), &QTimer::timeout, this, [this, target] {
                auto it = m_runs.find(target);
                if (it == m_runs.end())
                    return;
                Run &r = **it;
                ++r.next;
                resume(r);
            });
            run.sleep->start(static_cast<int>(ms));
            pump();
            return;
        } else if (n == u"throw") {
            finish(run, PSInvocationState::Failed,
                   ErrorRecord::make(arg.isEmpty() ? u"ScriptHalted"_s : arg, arg.isEmpty() ? u"ScriptHalted"_s : arg, 14,
                                     u"System.Management.Automation.RuntimeException"_s));
            return;
        } else if (n == u"tabexpansion2") {
            const QString input = arg.isEmpty() ? op.named.value(u"inputscript"_s) : arg;
            const QString word = input.section(u' ', -1);
            static const QStringList names = {u"Get-Credential"_s, u"Get-Location"_s, u"Out-Default"_s,
                                              u"Read-Host"_s, u"Start-Sleep"_s, u"TabExpansion2"_s,
                                              u"Write-Debug"_s, u"Write-Error"_s, u"Write-Host"_s,
                                              u"Write-Information"_s, u"Write-Output"_s, u"Write-Progress"_s,
                                              u"Write-Verbose"_s, u"Write-Warning"_s};
            QList<Value> matches;
            for (const auto &name : names) {
                if (!name.startsWith(word, Qt::CaseInsensitive))
                    continue;
                auto m = PsObject::create();
                m->typeNames = {u"Deserialized.System.Management.Automation.CompletionResult"_s, u"Deserialized.System.Object"_s};
                m->toString = name;
                m->adaptedProperties = {{u"CompletionText"_s, Value(name)}, {u"ListItemText"_s, Value(name)},
                                        {u"ResultType"_s, Value(u"Command"_s)}, {u"ToolTip"_s, Value(name)}};
                matches.append(Value(m));
            }
            auto c = PsObject::create();
            c->typeNames = {u"Deserialized.System.Management.Automation.CommandCompletion"_s, u"Deserialized.System.Object"_s};
            c->toString = u"System.Management.Automation.CommandCompletion"_s;
            c->adaptedProperties = {{u"CurrentMatchIndex"_s, Value(qint32(-1))},
                                    {u"ReplacementIndex"_s, Value(static_cast<qint32>(input.size() - word.size()))},
                                    {u"ReplacementLength"_s, Value(static_cast<qint32>(word.size()))},
                                    {u"CompletionMatches"_s, Objects::listObject({u"Deserialized.System.Collections.ObjectModel.Collection`1[[System.Management.Automation.CompletionResult]]"_s, u"Deserialized.System.Object"_s}, matches)}};
            emitValue(run, Value(c));
        } else if (n == u"out-default" || n == u"out-string") {
            // nothing to do on its own
        } else {
            finish(run, PSInvocationState::Failed,
                   ErrorRecord::make(u"The term '"_s + n + u"' is not recognized by the "_s + label() + u"."_s,
                                     u"CommandNotFoundException"_s, 13, u"System.Management.Automation.CommandNotFoundException"_s));
            return;
        }
        ++run.next;
    }
    if (!run.ended)
        finish(run, PSInvocationState::Completed);
    else
        pump();
}

} // namespace TestServer
