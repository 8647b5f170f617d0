#include "SimulatorEngine.h"

#include "psrp/ObjectBuilders.h"

#include <QDateTime>

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

struct Token {
    enum class Kind { Word, String, Pipe, Separator, Range };
    Kind kind;
    QString text;
};

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
    std::optional<QString> failure; // a parse error
};

SimulatorEngine::SimulatorEngine(QObject *parent) : ShellEngine(parent)
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
           "  ... | Out-Default   (output becomes host WriteLine calls)\n"_s;
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
        if (!run.ended) {
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
        } else if (std::holds_alternative<GetCommandMetadata>(payload)) {
            (void)m_pool.setPipelineState(event->pipelineId, PSInvocationState::Completed);
            auto run = std::make_shared<Run>();
            run->id = event->pipelineId;
            run->target = targetOf(event->pipelineId);
            run->ended = true;
            m_runs.insert(run->target, run);
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
            if (response->result)
                emitValue(run, *response->result);
            ++run.next;
            resume(run);
        }
    }
    while (auto out = m_pool.dataToSend(m_maxPayload))
        enqueue(targetOf(out->pipelineId), out->data);
}

void SimulatorEngine::start(const QUuid &id, const CreatePipeline &request)
{
    auto run = std::make_shared<Run>();
    run->id = id;
    run->target = targetOf(id);
    run->inputEnded = request.noInput;
    const QList<Command> &commands = request.powerShell.commands;
    for (qsizetype ci = 0; ci < commands.size(); ++ci) {
        const Command &cmd = commands.at(ci);
        const QString name = cmd.cmd.trimmed();
        if (name.compare(u"Out-Default"_s, Qt::CaseInsensitive) == 0 && ci > 0) {
            run->toHost = true;
            continue;
        }
        QString text = name;
        if (!cmd.isScript) {
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
                    else if (lower != u"out-string")
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
                if (sw != u"assecurestring" && i + 1 < tokens.size()
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
        QString text;
        if (const auto s = value.toString())
            text = *s;
        else if (const auto n = value.toInteger())
            text = QString::number(*n);
        else if (const auto *o = value.object(); o && o->toString)
            text = *o->toString;
        (void)m_pool.hostCall(run.id, HostMethodId::WriteLine2, {Value(text)});
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
    (void)m_pool.write(run.id, r);
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
            (void)m_pool.writeError(run.id, e);
        } else if (n == u"write-warning") {
            WarningRecord r;
            r.message = arg;
            (void)m_pool.write(run.id, r);
        } else if (n == u"write-verbose") {
            VerboseRecord r;
            r.message = arg;
            (void)m_pool.write(run.id, r);
        } else if (n == u"write-debug") {
            DebugRecord r;
            r.message = arg;
            (void)m_pool.write(run.id, r);
        } else if (n == u"write-information") {
            InformationRecord r;
            r.messageData = Value(arg);
            r.source = u"Write-Information"_s;
            r.timeGenerated = now();
            r.computer = u"simulator"_s;
            r.user = u"simulator"_s;
            (void)m_pool.write(run.id, r);
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
        } else if (n == u"start-sleep" || n == u"sleep") {
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
