#include "cli/InvokeCommand.h"

#include "cli/CliApp.h"
#include "cli/CommandLine.h"
#include "cli/ConnectionSetup.h"
#include "cli/ConsoleFormat.h"
#include "cli/ErrorView.h"
#include "cli/SignalPipe.h"
#include "cli/TerminalReader.h"

#include "psrp/HostMethod.h"
#include "wsman/RunspacePoolClient.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QLocale>
#include <QSocketNotifier>

#include <cstdio>
#include <utility>

#include <sys/ioctl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

QString valueText(const Psrp::Value &value)
{
    if (auto s = value.toString())
        return *s;
    if (const Psrp::PsObject *o = value.object()) {
        if (o->toString)
            return *o->toString;
        if (o->baseValue)
            return valueText(*o->baseValue);
    }
    if (auto i = value.toInteger())
        return QString::number(*i);
    if (auto b = value.toBool())
        return *b ? u"True"_s : u"False"_s;
    return {};
}

// The text of an information record's MessageData: a HostInformationMessage's Message, else the
// value as text; `newline` false for Write-Host -NoNewline.
QString informationText(const Psrp::Value &data, bool *newline)
{
    *newline = true;
    if (const Psrp::PsObject *o = data.object()) {
        if (const Psrp::Value *message = o->property(u"Message")) {
            if (const Psrp::Value *noNewLine = o->property(u"NoNewLine"))
                *newline = !noNewLine->toBool().value_or(false);
            return valueText(*message);
        }
    }
    return valueText(data);
}

bool hasTag(const Psrp::InformationRecord &record, QStringView tag)
{
    for (const QString &t : record.tags)
        if (t.compare(tag, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

// The terminal's size for the server's formatting (stdout a terminal), else PowerShell's
// 120 x 50 default for redirected output.
Psrp::Size outputSize()
{
    winsize ws {};
    if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)
        return {qint32(ws.ws_col), qint32(ws.ws_row)};
    return {120, 50};
}

// One `invoke` run: drives a RunspacePoolClient through open, the Out-String probe, one
// pipeline and close, printing as it goes and answering host calls. Lives on the stack of
// runInvokeCommand for the duration of its event loop.
class InvokeSession {
public:
    InvokeSession(QTextStream &out, QTextStream &err, FailureContext context)
        : m_out(out), m_err(err), m_context(std::move(context))
    {
        m_stdoutTty = ::isatty(STDOUT_FILENO) == 1;
        m_stderrTty = ::isatty(STDERR_FILENO) == 1;
        m_interactive = TerminalReader::interactive();
    }

    int run(Wsman::ClientOptions options, const QString &script)
    {
        m_script = script;
        Wsman::RunspacePoolClient client(std::move(options));
        m_client = &client;
        QObject::connect(&client, &Wsman::RunspacePoolClient::opened, &client, [this] { onOpened(); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::pipelineOutput, &client,
                         [this](const QUuid &id, const Psrp::Value &v) { onOutput(id, v); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::pipelineRecord, &client,
                         [this](const QUuid &id, Psrp::MessageType, const Psrp::Payload &p) {
                             if (id == m_pipeline)
                                 onRecord(p);
                         });
        QObject::connect(&client, &Wsman::RunspacePoolClient::hostCall, &client,
                         [this](const QUuid &id, const Psrp::HostCall &call) { onHostCall(id, call); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::pipelineError, &client,
                         [this](const QUuid &id, const Wsman::ClientError &e) {
                             if (id != m_probe) // a failed probe only means "no Out-String evidence"
                                 onPipelineError(e);
                         });
        QObject::connect(&client, &Wsman::RunspacePoolClient::pipelineFinished, &client,
                         [this](const QUuid &id, Psrp::PSInvocationState s, const std::optional<Psrp::ErrorRecord> &e) {
                             if (id == m_probe)
                                 onProbeFinished(s);
                             else
                                 onFinished(s, e);
                         });
        QObject::connect(&client, &Wsman::RunspacePoolClient::sessionKeyReady, &client, [this] { onSessionKey(); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::failed, &client,
                         [this](const Wsman::ClientError &e) { onFailed(e); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::closed, &client, [this] {
            m_closed = true;
            m_loop.quit();
        });

        // Robust connection (users-and-peers 0.3): PowerShell's warnings; when the retries end with
        // the session disconnected on the server, the command's outcome is unknown here.
        QObject::connect(&client, &Wsman::RunspacePoolClient::networkInterrupted, &client, [this](qint64 ms) {
            writeErr(u"WARNING: The network connection to %1 has been interrupted. Attempting to reconnect for "
                     "up to %2 minutes...\n"_s.arg(m_client->currentUrl().host(), QString::number(double(ms) / 60000.0, 'g', 3)));
        });
        QObject::connect(&client, &Wsman::RunspacePoolClient::networkRestored, &client, [this] {
            writeErr(u"WARNING: The network connection to %1 has been restored.\n"_s.arg(m_client->currentUrl().host()));
        });
        QObject::connect(&client, &Wsman::RunspacePoolClient::disconnected, &client, [this] { onDisconnected(); });

        SignalPipe signalPipe;
        if (signalPipe.notifier())
            QObject::connect(signalPipe.notifier(), &QSocketNotifier::activated, &client, [this] {
                if (!SignalPipe::take().isEmpty())
                    onInterrupt();
            });
        client.open();
        if (!m_closed && !m_quit)
            m_loop.exec();
        m_terminal.cancel();
        m_client = nullptr;
        m_out.flush();
        m_err.flush();
        return int(m_exit);
    }

    bool wasOpened() const { return m_opened; }
    // A TLS failure with the server's certificate (unknown CA, wrong name, pin mismatch).
    const std::optional<Wsman::TransportError> &tlsFailure() const { return m_tlsFailure; }

private:
    void writeOut(const QString &text)
    {
        m_out << text;
        m_out.flush();
    }
    void writeErr(const QString &text)
    {
        m_out.flush();
        m_err << text;
        m_err.flush();
    }
    void setExit(ExitCode code)
    {
        if (m_exit == ExitCode::Success || m_exit == ExitCode::Failed)
            m_exit = code;
    }

    // Out-String lives in Microsoft.PowerShell.Utility, which hosts of System.Management
    // .Automation alone and JEA endpoints lack; ask first (GET_COMMAND_METADATA has no side
    // effects) rather than run the user's script twice.
    void onOpened()
    {
        m_opened = true;
        const QVersionNumber version = m_client->serverProtocolVersion();
        if (!version.isNull() && version < QVersionNumber(2, 1)) {
            startPipeline(); // MS-PSRP 2.0 has no GET_COMMAND_METADATA
            return;
        }
        Psrp::GetCommandMetadata request;
        request.names = {u"Out-String"_s};
        Psrp::Result<QUuid> id = m_client->getCommandMetadata(request);
        if (!id) {
            startPipeline();
            return;
        }
        m_probe = *id;
    }

    void onOutput(const QUuid &id, const Psrp::Value &value)
    {
        if (id == m_probe) {
            if (m_probeReplies.size() < 8)
                m_probeReplies.append(value);
            return;
        }
        writeOut(valueText(value) + u'\n');
    }

    void onProbeFinished(Psrp::PSInvocationState state)
    {
        m_formatting = formattingFromMetadata(state, m_probeReplies);
        m_probeReplies.clear();
        if (!m_quit)
            startPipeline();
    }

    void startPipeline()
    {
        Psrp::Result<QUuid> id = m_formatting == OutputFormatting::OutString ? m_client->invokeScript(m_script)
                                                                             : m_client->invoke(outDefaultPipeline());
        if (!id) {
            writeErr(u"psremote-cli invoke: cannot start the pipeline: "_s + id.error().detail + u'\n');
            setExit(ExitCode::Protocol);
            m_client->close();
            return;
        }
        m_pipeline = *id;
    }

    // PowerShell's own interactive remoting does the same (Executor.cs): the server's formatter
    // renders through the host's Write/WriteLine calls.
    Psrp::CreatePipeline outDefaultPipeline() const
    {
        Psrp::CreatePipeline request;
        request.powerShell.commands.append(Psrp::Command::script(m_script));
        Psrp::Command outDefault = Psrp::Command::command(u"Out-Default"_s);
        outDefault.useLocalScope = true;
        request.powerShell.commands.append(outDefault);
        return request;
    }

    // Servers with a host report warning/verbose/debug/Write-Host text twice: as a record and as
    // the host call that displays it. The record is printed; the matching host call after it is not.
    void rememberEcho(QList<QString> &pending, const QString &message)
    {
        if (pending.size() >= 64)
            pending.removeFirst();
        pending.append(message);
    }
    // The server sends each echo right after its record, so a mismatch means the records before
    // it get none (a server without host echo): forget them.
    static bool consumeEcho(QList<QString> &pending, const QString &text)
    {
        if (pending.isEmpty() || pending.first() != text) {
            pending.clear();
            return false;
        }
        pending.removeFirst();
        return true;
    }

    void onRecord(const Psrp::Payload &payload)
    {
        if (const auto *e = std::get_if<Psrp::ErrorRecord>(&payload)) {
            m_wroteErrors = true;
            writeErr(conciseErrorView(*e, ErrorViewOptions{m_stderrTty, 120}) + u'\n');
        } else if (const auto *w = std::get_if<Psrp::WarningRecord>(&payload)) {
            rememberEcho(m_pendingWarnings, w->message);
            writeErr(u"WARNING: "_s + w->message + u'\n');
        } else if (const auto *v = std::get_if<Psrp::VerboseRecord>(&payload)) {
            rememberEcho(m_pendingVerbose, v->message);
            writeErr(u"VERBOSE: "_s + v->message + u'\n');
        } else if (const auto *d = std::get_if<Psrp::DebugRecord>(&payload)) {
            rememberEcho(m_pendingDebug, d->message);
            writeErr(u"DEBUG: "_s + d->message + u'\n');
        } else if (const auto *i = std::get_if<Psrp::InformationRecord>(&payload)) {
            // Write-Host (PowerShell 5+) writes a HostInformationMessage tagged PSHOST; a server
            // that already showed it through host Write calls tags it FORWARDED as well, and
            // those are not printed twice. PowerShell 7 with a host sends the record and then the
            // host Write/WriteLine showing it: the record is printed, that echo is not.
            if (!hasTag(*i, u"FORWARDED")) {
                bool newline = true;
                const QString text = informationText(i->messageData, &newline);
                rememberEcho(m_pendingHostText, text);
                writeOut((m_stdoutTty ? text : stripTerminalSequences(text)) + (newline ? u"\n"_s : QString()));
            }
        }
    }

    QString hostText(const QString &text, const Psrp::WriteParams &params) const
    {
        if (!m_stdoutTty)
            return stripTerminalSequences(text);
        if (!params.foregroundColor)
            return text;
        const QString sgr = foregroundSgr(*params.foregroundColor);
        return sgr.isEmpty() ? text : u"\x1b["_s + sgr + u'm' + text + u"\x1b[0m"_s;
    }

    void onHostCall(const QUuid &pipelineId, const Psrp::HostCall &call)
    {
        if (!pipelineId.isNull() && pipelineId == m_probe) {
            if (!call.isVoid())
                respondFailure(pipelineId, call, u"psremote-cli does not answer host calls while probing"_s);
            return;
        }
        if (answerWrite(pipelineId, call) || answerQuietly(pipelineId, call))
            return;
        if (!m_interactive) {
            respondFailure(pipelineId, call,
                           u"%1 needs an interactive host: psremote-cli invoke is non-interactive here (stdin "
                           "is not a terminal)."_s.arg(Psrp::hostMethodName(call.methodId)));
            return;
        }
        askOnTerminal(pipelineId, call);
    }

    // Write*, WriteLine*, WriteErrorLine... : printed as text, Write without a newline.
    bool answerWrite(const QUuid &pipelineId, const Psrp::HostCall &call)
    {
        using Psrp::HostMethodId;
        switch (call.methodId) {
        case HostMethodId::Write1:
        case HostMethodId::Write2:
        case HostMethodId::WriteLine1:
        case HostMethodId::WriteLine2:
        case HostMethodId::WriteLine3:
        case HostMethodId::WriteErrorLine:
        case HostMethodId::WriteDebugLine:
        case HostMethodId::WriteVerboseLine:
        case HostMethodId::WriteWarningLine:
            break;
        default:
            return false;
        }
        const Psrp::Result<Psrp::WriteParams> parsed = Psrp::writeParams(call);
        const Psrp::WriteParams params = parsed ? *parsed : Psrp::WriteParams{};
        const bool newline = call.methodId != HostMethodId::Write1 && call.methodId != HostMethodId::Write2;
        const QString end = newline ? u"\n"_s : QString();
        switch (call.methodId) {
        case HostMethodId::WriteErrorLine:
            writeErr(params.text + end);
            break;
        case HostMethodId::WriteDebugLine:
            if (!consumeEcho(m_pendingDebug, params.text))
                writeErr(u"DEBUG: "_s + params.text + end);
            break;
        case HostMethodId::WriteVerboseLine:
            if (!consumeEcho(m_pendingVerbose, params.text))
                writeErr(u"VERBOSE: "_s + params.text + end);
            break;
        case HostMethodId::WriteWarningLine:
            if (!consumeEcho(m_pendingWarnings, params.text))
                writeErr(u"WARNING: "_s + params.text + end);
            break;
        default:
            if (!consumeEcho(m_pendingHostText, params.text))
                writeOut(hostText(params.text, params) + end);
            break;
        }
        if (!call.isVoid())
            respond(pipelineId, Psrp::HostResponse::answerVoid(call));
        return true;
    }

    // Everything a non-interactive console answers without asking anybody: host identity, the
    // raw UI's getters (the real terminal's size), and setters / notifications accepted as no-ops.
    bool answerQuietly(const QUuid &pipelineId, const Psrp::HostCall &call)
    {
        using Psrp::HostMethodId;
        const Psrp::Size size = outputSize();
        std::optional<Psrp::Value> result;
        std::optional<QString> refusal;
        switch (call.methodId) {
        case HostMethodId::GetName:
            result = Psrp::Value(u"PSRemote"_s);
            break;
        case HostMethodId::GetVersion:
            result = Psrp::Value(Psrp::Version{QStringLiteral(PSREMOTE_VERSION)});
            break;
        case HostMethodId::GetInstanceId:
            result = Psrp::Value(m_instanceId);
            break;
        case HostMethodId::GetCurrentCulture:
            result = Psrp::Value(QLocale::system().bcp47Name());
            break;
        case HostMethodId::GetCurrentUICulture:
            result = Psrp::Value(QLocale::system().uiLanguages().value(0, u"en-US"_s));
            break;
        case HostMethodId::GetForegroundColor:
            result = Psrp::Value(qint32(7));
            break;
        case HostMethodId::GetBackgroundColor:
            result = Psrp::Value(qint32(0));
            break;
        case HostMethodId::GetCursorPosition:
        case HostMethodId::GetWindowPosition:
            result = Psrp::Coordinates{}.toValue();
            break;
        case HostMethodId::GetCursorSize:
            result = Psrp::Value(qint32(25));
            break;
        case HostMethodId::GetBufferSize:
        case HostMethodId::GetWindowSize:
        case HostMethodId::GetMaxWindowSize:
        case HostMethodId::GetMaxPhysicalWindowSize:
            result = size.toValue();
            break;
        case HostMethodId::GetWindowTitle:
            result = Psrp::Value(u"psremote-cli"_s);
            break;
        case HostMethodId::GetKeyAvailable:
        case HostMethodId::GetIsRunspacePushed:
            result = Psrp::Value(false);
            break;
        case HostMethodId::SetShouldExit:
        case HostMethodId::NotifyBeginApplication:
        case HostMethodId::NotifyEndApplication:
        case HostMethodId::WriteProgress:
        case HostMethodId::SetForegroundColor:
        case HostMethodId::SetBackgroundColor:
        case HostMethodId::SetCursorPosition:
        case HostMethodId::SetWindowPosition:
        case HostMethodId::SetCursorSize:
        case HostMethodId::SetBufferSize:
        case HostMethodId::SetWindowSize:
        case HostMethodId::SetWindowTitle:
        case HostMethodId::FlushInputBuffer:
        case HostMethodId::SetBufferContents1:
        case HostMethodId::SetBufferContents2:
        case HostMethodId::ScrollBufferContents:
            break;
        case HostMethodId::EnterNestedPrompt:
        case HostMethodId::ExitNestedPrompt:
        case HostMethodId::PushRunspace:
        case HostMethodId::PopRunspace:
        case HostMethodId::GetRunspace:
        case HostMethodId::GetBufferContents:
            refusal = u"The host method %1 is not supported by psremote-cli invoke."_s.arg(Psrp::hostMethodName(call.methodId));
            break;
        default:
            return false; // ReadLine, prompts, ReadKey: need a person
        }
        if (call.isVoid())
            return true;
        if (refusal)
            respondFailure(pipelineId, call, *refusal);
        else if (result)
            respond(pipelineId, Psrp::HostResponse::answer(call, *result));
        else
            respond(pipelineId, Psrp::HostResponse::answerVoid(call));
        return true;
    }

    // ReadLine, ReadLineAsSecureString, Prompt, PromptForCredential, PromptForChoice(s), ReadKey
    // on the terminal, asynchronously (the event loop keeps serving Ctrl+C and the transport).
    void askOnTerminal(const QUuid &pipelineId, const Psrp::HostCall &call)
    {
        using Psrp::HostMethodId;
        m_out.flush();
        auto fail = [this, pipelineId, call](const QString &why) { respondFailure(pipelineId, call, why); };
        switch (call.methodId) {
        case HostMethodId::ReadLine:
            readLine({}, true, [this, pipelineId, call](const QString &line) {
                respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(line)));
            }, fail);
            return;
        case HostMethodId::ReadKey:
            readLine({}, true, [this, pipelineId, call](const QString &line) {
                Psrp::KeyInfo key;
                key.character = line.isEmpty() ? u'\r' : line.at(0).unicode();
                key.virtualKeyCode = line.isEmpty() ? 13 : int(QChar::toUpper(key.character));
                respond(pipelineId, Psrp::HostResponse::answer(call, key.toValue()));
            }, fail);
            return;
        case HostMethodId::ReadLineAsSecureString:
            readSecure({}, [this, pipelineId, call](const Psrp::SecureString &secret) {
                respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(secret)));
            }, fail);
            return;
        case HostMethodId::PromptForCredential1:
        case HostMethodId::PromptForCredential2: {
            const auto params = Psrp::promptForCredentialParams(call);
            if (!params) {
                fail(u"invalid PromptForCredential parameters: "_s + params.error().detail);
                return;
            }
            showHeading(params->caption, params->message);
            askCredential(params->userName, [this, pipelineId, call](const Psrp::PSCredential &credential) {
                respond(pipelineId, Psrp::HostResponse::answer(call, credential.toValue()));
            }, fail);
            return;
        }
        case HostMethodId::Prompt: {
            const auto params = Psrp::promptParams(call);
            if (!params) {
                fail(u"invalid Prompt parameters: "_s + params.error().detail);
                return;
            }
            showHeading(params->caption, params->message);
            auto answers = std::make_shared<QList<std::pair<QString, Psrp::Value>>>();
            askFields(params->fields, 0, answers, [this, pipelineId, call, answers] {
                respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::promptResult(*answers)));
            }, fail);
            return;
        }
        case HostMethodId::PromptForChoice:
        case HostMethodId::PromptForChoiceMultipleSelection: {
            const auto params = Psrp::promptForChoiceParams(call);
            if (!params || params->choices.isEmpty()) {
                fail(u"invalid PromptForChoice parameters"_s);
                return;
            }
            showHeading(params->caption, params->message);
            askChoice(*params, call.methodId == HostMethodId::PromptForChoiceMultipleSelection,
                      [this, pipelineId, call](const QList<qint32> &chosen) {
                          respond(pipelineId,
                                  Psrp::HostResponse::answer(call, call.methodId == Psrp::HostMethodId::PromptForChoice
                                                                       ? Psrp::Value(chosen.value(0))
                                                                       : Psrp::choiceMultipleSelectionResult(chosen)));
                      },
                      fail);
            return;
        }
        default:
            fail(u"The host method %1 is not supported by psremote-cli invoke."_s.arg(Psrp::hostMethodName(call.methodId)));
            return;
        }
    }

    using Fail = std::function<void(const QString &)>;

    void showHeading(const QString &caption, const QString &message)
    {
        QString text;
        if (!caption.isEmpty())
            text += caption + u'\n';
        if (!message.isEmpty())
            text += message + u'\n';
        m_terminal.show(text);
    }

    void readLine(const QString &prompt, bool echo, std::function<void(const QString &)> done, Fail fail)
    {
        const bool started = m_terminal.read(prompt, echo, [done, fail](bool ok, const QByteArray &line) {
            if (ok)
                done(QString::fromUtf8(line));
            else
                fail(u"the terminal closed before an answer was typed"_s);
        });
        if (!started)
            fail(u"cannot open the terminal"_s);
    }

    // Reads a line without echo and encrypts it as a SecureString, running the session key
    // exchange first when the pool has no key yet (MS-PSRP 3.1.4.5).
    void readSecure(const QString &prompt, std::function<void(const Psrp::SecureString &)> done, Fail fail)
    {
        readLine(prompt, false, [this, done, fail](const QString &text) {
            auto encrypt = [this, text, done, fail] {
                Psrp::Result<Psrp::SecureString> secret = m_client->encryptSecureString(text);
                if (secret)
                    done(*secret);
                else
                    fail(u"cannot encrypt the secure string: "_s + secret.error().detail);
            };
            if (m_client->canUseSecureString()) {
                encrypt();
                return;
            }
            m_afterSessionKey.append(encrypt);
            if (Psrp::Result<void> r = m_client->exchangeKey(); !r) {
                m_afterSessionKey.clear();
                fail(u"the session key exchange failed: "_s + r.error().detail);
            }
        }, fail);
    }

    void onSessionKey()
    {
        const QList<std::function<void()>> pending = std::exchange(m_afterSessionKey, {});
        for (const auto &f : pending)
            f();
    }

    void askCredential(const QString &knownUser, std::function<void(const Psrp::PSCredential &)> done, Fail fail)
    {
        auto askPassword = [this, done, fail](const QString &user) {
            readSecure(u"Password for user %1: "_s.arg(user), [user, done](const Psrp::SecureString &secret) {
                done(Psrp::PSCredential{user, secret});
            }, fail);
        };
        if (!knownUser.isEmpty()) {
            askPassword(knownUser);
            return;
        }
        readLine(u"User: "_s, true, askPassword, fail);
    }

    void askFields(const QList<Psrp::FieldDescription> &fields, qsizetype index,
                   const std::shared_ptr<QList<std::pair<QString, Psrp::Value>>> &answers, std::function<void()> done,
                   Fail fail)
    {
        if (index >= fields.size()) {
            done();
            return;
        }
        const Psrp::FieldDescription &field = fields.at(index);
        const QString name = field.name;
        auto next = [this, fields, index, answers, done, fail, name](const Psrp::Value &value) {
            answers->append({name, value});
            askFields(fields, index + 1, answers, done, fail);
        };
        const QString label = (field.label.isEmpty() ? field.name : choiceText(field.label)) + u": "_s;
        if (field.isCredential()) {
            m_terminal.show(label + u'\n');
            askCredential({}, [next](const Psrp::PSCredential &c) { next(c.toValue()); }, fail);
        } else if (field.isSecureString()) {
            readSecure(label, [next](const Psrp::SecureString &s) { next(Psrp::Value(s)); }, fail);
        } else {
            readLine(label, true, [next](const QString &line) { next(Psrp::Value(line)); }, fail);
        }
    }

    void askChoice(const Psrp::PromptForChoiceParams &params, bool multiple,
                   std::function<void(const QList<qint32> &)> done, Fail fail)
    {
        readLine(choiceMenu(params.choices, params.defaultChoices, multiple), true,
                 [this, params, multiple, done, fail](const QString &line) {
                     const std::optional<QList<qint32>> chosen =
                         parseChoiceAnswer(params.choices, params.defaultChoices, multiple, line);
                     if (!chosen) {
                         askChoice(params, multiple, done, fail); // PowerShell's console host asks again
                         return;
                     }
                     done(*chosen);
                 },
                 fail);
    }

    void respond(const QUuid &pipelineId, const Psrp::HostResponse &response)
    {
        if (m_client)
            (void)m_client->respondToHostCall(pipelineId, response);
    }
    void respondFailure(const QUuid &pipelineId, const Psrp::HostCall &call, const QString &message)
    {
        const Psrp::ErrorRecord record = Psrp::ErrorRecord::make(
            message, u"HostFunctionNotImplemented"_s, 11, u"System.Management.Automation.Host.HostException"_s);
        respond(pipelineId, Psrp::HostResponse::failure(call, record.toValue()));
    }

    void onPipelineError(const Wsman::ClientError &error)
    {
        const Failure f = describeClientError(error, m_context);
        writeErr(u"psremote-cli invoke: "_s + f.sentence + u'\n');
        setExit(f.code);
    }

    void onFinished(Psrp::PSInvocationState state, const std::optional<Psrp::ErrorRecord> &error)
    {
        m_terminal.cancel();
        switch (state) {
        case Psrp::PSInvocationState::Completed:
            if (m_wroteErrors)
                setExit(ExitCode::Failed);
            break;
        case Psrp::PSInvocationState::Stopped:
            if (m_interrupts > 0) {
                writeErr(u"psremote-cli invoke: the pipeline was stopped (Ctrl+C)\n"_s);
                setExit(ExitCode::Interrupted);
            } else {
                setExit(ExitCode::Failed);
            }
            break;
        default:
            if (error)
                writeErr(conciseErrorView(*error, ErrorViewOptions{m_stderrTty, 120}) + u'\n');
            else
                writeErr(u"psremote-cli invoke: the pipeline failed ("_s + Psrp::enumText(state) + u")\n"_s);
            setExit(ExitCode::Failed);
            break;
        }
        m_client->close();
    }

    void onFailed(const Wsman::ClientError &error)
    {
        if (isCertificateTrustFailure(error)) {
            m_tlsFailure = error.transport; // described by ConnectionSetup, which may offer to pin
            setExit(ExitCode::Tls);
            return;
        }
        const Failure f = describeClientError(error, m_context);
        writeErr(u"psremote-cli invoke: "_s + f.sentence + u'\n');
        setExit(f.code);
    }

    void onDisconnected()
    {
        const QString host = m_client->currentUrl().host();
        writeErr(u"psremote-cli invoke: the network connection to %1 was lost and the session was disconnected; "
                 "the server keeps it until its idle timeout (psremote-cli sessions %1; psremote-cli enter %1 "
                 "--instance-id %2)\n"_s.arg(host, m_client->shellId().toString(QUuid::WithoutBraces)));
        setExit(ExitCode::CannotConnect);
        m_quit = true;
        m_loop.quit();
    }

    void onInterrupt()
    {
        ++m_interrupts;
        if (m_terminal.isReading()) {
            m_terminal.cancel();
            m_terminal.show(u"\n"_s);
        }
        if (m_interrupts == 1 && m_client && !m_pipeline.isNull()
            && m_client->activePipelines().contains(m_pipeline)) {
            writeErr(u"psremote-cli invoke: stopping the pipeline (press Ctrl+C again to exit)\n"_s);
            (void)m_client->stop(m_pipeline);
            return;
        }
        writeErr(u"psremote-cli invoke: interrupted\n"_s);
        m_exit = ExitCode::Interrupted;
        m_quit = true;
        m_loop.quit();
    }

    QTextStream &m_out;
    QTextStream &m_err;
    FailureContext m_context;
    QEventLoop m_loop;
    TerminalReader m_terminal;
    Wsman::RunspacePoolClient *m_client = nullptr;
    QString m_script;
    QUuid m_probe;
    QList<Psrp::Value> m_probeReplies;
    OutputFormatting m_formatting = OutputFormatting::OutString;
    QUuid m_pipeline;
    QUuid m_instanceId = QUuid::createUuid();
    QList<QString> m_pendingWarnings;
    QList<QString> m_pendingVerbose;
    QList<QString> m_pendingDebug;
    QList<QString> m_pendingHostText;
    QList<std::function<void()>> m_afterSessionKey;
    ExitCode m_exit = ExitCode::Success;
    bool m_wroteErrors = false;
    bool m_stdoutTty = false;
    bool m_stderrTty = false;
    bool m_interactive = false;
    int m_interrupts = 0;
    bool m_closed = false;
    bool m_quit = false;
    bool m_opened = false;
    std::optional<Wsman::TransportError> m_tlsFailure;
};

} // namespace

OutputFormatting formattingFromMetadata(Psrp::PSInvocationState state, const QList<Psrp::Value> &replies)
{
    // MS-PSRP 2.2.2.14 (dossier 2.4): the reply is a count object, then one CommandMetadata per
    // command; PowerShell's server computes it with Get-Command | Measure-Object | Select-Object. A server without Measure-Object
    // (no Microsoft.PowerShell.Utility, the module Out-String lives in) fails the pipeline.
    if (state == Psrp::PSInvocationState::Failed)
        return OutputFormatting::OutDefault;
    if (state != Psrp::PSInvocationState::Completed || replies.isEmpty())
        return OutputFormatting::OutString; // no evidence either way: the documented default
    for (const Psrp::Value &reply : replies.mid(1)) {
        if (const Psrp::PsObject *o = reply.object())
            if (const Psrp::Value *name = o->property(u"Name"))
                if (name->toString().value_or(QString()).compare(u"Out-String"_s, Qt::CaseInsensitive) == 0)
                    return OutputFormatting::OutString;
    }
    if (const Psrp::PsObject *first = replies.first().object())
        if (const Psrp::Value *count = first->property(u"Count"))
            return count->toInteger().value_or(0) > 0 ? OutputFormatting::OutString : OutputFormatting::OutDefault;
    return OutputFormatting::OutString;
}

QString stripTerminalSequences(QStringView text)
{
    QString result;
    result.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c != u'\x1b') {
            result.append(c);
            continue;
        }
        if (i + 1 >= text.size())
            break;
        const QChar kind = text.at(i + 1);
        if (kind == u'[') { // CSI: parameters and intermediates, then one final byte 0x40..0x7E
            qsizetype j = i + 2;
            while (j < text.size() && !(text.at(j).unicode() >= 0x40 && text.at(j).unicode() <= 0x7e))
                ++j;
            i = j;
        } else if (kind == u']') { // OSC (hyperlinks, titles): up to BEL or ESC backslash
            qsizetype j = i + 2;
            while (j < text.size() && text.at(j) != u'\a' && !(text.at(j) == u'\x1b' && j + 1 < text.size()
                                                                  && text.at(j + 1) == u'\\'))
                ++j;
            i = (j < text.size() && text.at(j) == u'\x1b') ? j + 1 : j;
        } else {
            i += 1; // a two-character escape
        }
    }
    return result;
}

QString invokeHelp()
{
    return u"Usage: psremote-cli invoke [connection options] (--command TEXT | --file SCRIPT | -)\n"
           "\n"
           "Runs a PowerShell script on a remote computer over WinRM and prints its output as\n"
           "PowerShell formats it (Out-String -Stream on the server; | Out-Default where the\n"
           "server lacks Out-String, e.g. JEA). Error records go to stderr in PowerShell 7's\n"
           "concise view; warnings, verbose and debug messages to stderr too. Read-Host,\n"
           "Get-Credential and choice prompts are asked on the terminal when stdin is one, and\n"
           "fail as non-interactive otherwise.\n"
           "\n"
           "Script (exactly one):\n"
           "  --command TEXT              The script text.\n"
           "  --file SCRIPT               Read the script from a local file.\n"
           "  -                           Read the script from stdin (after the password line\n"
           "                              with --password-stdin).\n"
           "  --help, -h                  Print this help and exit.\n"
           "\n"_s
           + ConnectionOptions::helpText()
           + u"\n"
             "Ctrl+C stops the pipeline; a second Ctrl+C exits at once (130).\n"
             "Exit codes: 0 success, 1 the pipeline failed or wrote errors, 2 usage error,\n"
             "3 cannot connect, 4 TLS failure, 5 authentication failed or insecure choice refused,\n"
             "6 WS-Management fault or protocol error, 130 interrupted.\n"_s;
}

std::variant<InvokeArguments, UsageError> parseInvokeArguments(const QStringList &arguments)
{
    InvokeArguments result;
    bool haveSource = false;
    auto setSource = [&](InvokeArguments::Source source, const QString &text, const QString &option)
        -> std::optional<UsageError> {
        if (haveSource)
            return UsageError{option, u"%1: give only one of --command, --file and -"_s.arg(option)};
        haveSource = true;
        result.source = source;
        result.script = text;
        return std::nullopt;
    };
    auto own = [&](const QStringList &list, qsizetype &i, UsageError &error) {
        if (list.at(i) == u"-") {
            ++i;
            if (auto e = setSource(InvokeArguments::Source::Stdin, {}, u"-"_s)) {
                error = *e;
                return ConnectionOptions::Consumed::Error;
            }
            return ConnectionOptions::Consumed::Yes;
        }
        const QString name = optionName(list.at(i));
        if (name != u"--command" && name != u"--file")
            return ConnectionOptions::Consumed::No;
        const std::optional<QString> value = takeOptionValue(list, i);
        if (!value || value->isEmpty()) {
            error = UsageError{name, (value ? u"%1 needs a non-empty value"_s : u"%1 needs a value"_s).arg(name)};
            return ConnectionOptions::Consumed::Error;
        }
        if (auto e = setSource(name == u"--command" ? InvokeArguments::Source::Command : InvokeArguments::Source::File,
                               *value, name)) {
            error = *e;
            return ConnectionOptions::Consumed::Error;
        }
        return ConnectionOptions::Consumed::Yes;
    };
    auto check = [&haveSource]() -> std::optional<UsageError> {
        if (!haveSource)
            return UsageError{u"--command"_s, u"no script given: use --command TEXT, --file SCRIPT or - (stdin)"_s};
        return std::nullopt;
    };
    if (auto e = parseCommandArguments(u"invoke"_s, arguments, result.connection, result.help, own, check))
        return *e;
    return result;
}

int runInvokeCommand(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    auto started = startCommand(u"invoke"_s, parseInvokeArguments(arguments), &invokeHelp, out, err);
    if (const int *code = std::get_if<int>(&started))
        return *code;
    InvokeArguments args = std::get<InvokeArguments>(std::move(started));

    QString script = args.script;
    if (args.source == InvokeArguments::Source::File) {
        QFile file(args.script);
        if (!file.open(QIODevice::ReadOnly)) {
            err << "psremote-cli invoke: --file: cannot read '" << args.script << "': " << file.errorString() << '\n';
            return int(ExitCode::Usage);
        }
        script = QString::fromUtf8(file.readAll());
    }

    QFile stdinFile;
    const bool needStdin = args.connection.passwordStdin || args.source == InvokeArguments::Source::Stdin;
    if (needStdin && !stdinFile.open(stdin, QIODevice::ReadOnly)) {
        err << "psremote-cli invoke: cannot read stdin\n";
        return int(ExitCode::Usage);
    }
    ConnectionSetup setup(u"invoke"_s, args.connection, err);
    if (const std::optional<int> refused = setup.prepare(&stdinFile))
        return *refused;

    if (args.source == InvokeArguments::Source::Stdin)
        script = QString::fromUtf8(stdinFile.readAll());
    if (script.trimmed().isEmpty()) {
        err << "psremote-cli invoke: the script is empty\n";
        return int(ExitCode::Usage);
    }

    return setup.run([&](const Wsman::ClientOptions &prepared) {
        Wsman::ClientOptions options = prepared;
        const Psrp::Size size = outputSize();
        options.hostInfo = Psrp::HostInfo::console(size.width, size.height);
        InvokeSession session(out, err, setup.failureContext());
        AttemptOutcome outcome;
        outcome.exitCode = session.run(std::move(options), script);
        outcome.opened = session.wasOpened();
        outcome.tlsFailure = session.tlsFailure();
        return outcome;
    });
}

} // namespace Cli
