#include "cli/InvokeCommand.h"

#include "cli/CliApp.h"
#include "cli/ErrorView.h"
#include "cli/Password.h"

#include "psrp/HostMethod.h"
#include "wsman/RunspacePoolClient.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>

#include <fcntl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

int g_signalFds[2] = {-1, -1};

extern "C" void onInvokeSigint(int)
{
    const char c = 'i';
    if (g_signalFds[0] >= 0)
        (void)!::write(g_signalFds[0], &c, 1);
}

// Routes SIGINT into the event loop through a socket pair while an invoke runs; restores the
// previous disposition when destroyed.
class SigintWatcher {
public:
    SigintWatcher()
    {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalFds) != 0)
            return;
        ::fcntl(g_signalFds[0], F_SETFL, O_NONBLOCK);
        ::fcntl(g_signalFds[1], F_SETFL, O_NONBLOCK);
        struct sigaction action {};
        action.sa_handler = &onInvokeSigint;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        m_installed = ::sigaction(SIGINT, &action, &m_old) == 0;
        m_notifier = std::make_unique<QSocketNotifier>(g_signalFds[1], QSocketNotifier::Read);
    }
    ~SigintWatcher()
    {
        m_notifier.reset();
        if (m_installed)
            ::sigaction(SIGINT, &m_old, nullptr);
        for (int &fd : g_signalFds) {
            if (fd >= 0)
                ::close(fd);
            fd = -1;
        }
    }
    SigintWatcher(const SigintWatcher &) = delete;
    SigintWatcher &operator=(const SigintWatcher &) = delete;

    QSocketNotifier *notifier() const { return m_notifier.get(); }
    static void drain()
    {
        char buffer[16];
        while (::read(g_signalFds[1], buffer, sizeof buffer) > 0) {
        }
    }

private:
    struct sigaction m_old {};
    bool m_installed = false;
    std::unique_ptr<QSocketNotifier> m_notifier;
};

QString ansiForeground(qint32 consoleColor)
{
    // System.ConsoleColor 0..15 -> SGR.
    static constexpr int Codes[16] = {30, 34, 32, 36, 31, 35, 33, 37, 90, 94, 92, 96, 91, 95, 93, 97};
    if (consoleColor < 0 || consoleColor > 15)
        return {};
    return u"\x1b["_s + QString::number(Codes[consoleColor]) + u'm';
}

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

// The text of an information record's MessageData: a HostInformationMessage's Message (with
// NoNewLine honoured by the caller's newline), else the value as text.
QString informationText(const Psrp::Value &data)
{
    if (const Psrp::PsObject *o = data.object()) {
        if (const Psrp::Value *message = o->property(u"Message"))
            return valueText(*message);
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

Failure describeClientError(const Wsman::ClientError &error)
{
    using Wsman::ClientErrorKind;
    switch (error.kind) {
    case ClientErrorKind::Configuration:
        return {ExitCode::Usage, error.configError ? configErrorSentence(*error.configError, {}) : error.detail};
    case ClientErrorKind::Transport:
    case ClientErrorKind::RedirectNotAllowed:
    case ClientErrorKind::TooManyRedirects:
        if (error.transport) {
            Failure f = describeTransportError(*error.transport);
            if (error.kind == ClientErrorKind::TooManyRedirects)
                f.sentence = u"too many redirects; raise --session-option MaximumConnectionRedirectionCount"_s;
            return f;
        }
        return {ExitCode::CannotConnect, u"cannot connect: "_s + error.detail};
    case ClientErrorKind::Fault:
        if (error.fault)
            return describeFault(*error.fault);
        return {ExitCode::Protocol, u"WS-Management fault: "_s + error.detail};
    case ClientErrorKind::ShellNotFound:
        return {ExitCode::Protocol, u"the server no longer knows this session (0x8033805B); run the command again"_s};
    case ClientErrorKind::Protocol:
        return {ExitCode::Protocol, u"protocol error: "_s + error.detail + u"; run with --trace FILE and report it"_s};
    case ClientErrorKind::PoolBroken:
        return {ExitCode::Protocol, u"the server broke the session: "_s
                                        + (error.errorRecord ? error.errorRecord->message : error.detail)};
    case ClientErrorKind::OpenTimeout:
        return {ExitCode::CannotConnect, u"cannot connect: the session did not open within OpenTimeout; raise "
                                         "--session-option OpenTimeout=MS"_s};
    case ClientErrorKind::CancelTimeout:
        return {ExitCode::Interrupted, u"the pipeline did not stop within CancelTimeout; it was terminated"_s};
    case ClientErrorKind::DataSizeExceeded:
        return {ExitCode::Protocol, u"the command's output exceeded MaximumReceivedDataSizePerCommand; it was stopped"_s};
    case ClientErrorKind::ObjectSizeExceeded:
        return {ExitCode::Protocol, u"an object exceeded MaximumReceivedObjectSize; raise --session-option "
                                    "MaximumReceivedObjectSize if it is expected"_s};
    case ClientErrorKind::Trace:
        return {ExitCode::Usage, u"--trace: cannot create the trace file: "_s + error.detail};
    case ClientErrorKind::InvalidState:
        break;
    }
    return {ExitCode::Protocol, u"internal error: "_s + error.detail};
}

// One `invoke` run: drives a RunspacePoolClient through open, one pipeline and close, printing
// as it goes. Lives on the stack of runInvokeCommand for the duration of its event loop.
class InvokeSession {
public:
    InvokeSession(QTextStream &out, QTextStream &err) : m_out(out), m_err(err)
    {
        m_stdoutTty = ::isatty(STDOUT_FILENO) == 1;
        m_stderrTty = ::isatty(STDERR_FILENO) == 1;
    }

    int run(Wsman::ClientOptions options, const QString &script)
    {
        m_script = script;
        Wsman::RunspacePoolClient client(std::move(options));
        m_client = &client;
        QObject::connect(&client, &Wsman::RunspacePoolClient::opened, &client, [this] { onOpened(); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::pipelineOutput, &client,
                         [this](const QUuid &, const Psrp::Value &v) { writeOut(valueText(v) + u'\n'); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::pipelineRecord, &client,
                         [this](const QUuid &, Psrp::MessageType, const Psrp::Payload &p) { onRecord(p); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::hostCall, &client,
                         [this](const QUuid &id, const Psrp::HostCall &call) { onHostCall(id, call); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::pipelineError, &client,
                         [this](const QUuid &, const Wsman::ClientError &e) { onPipelineError(e); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::pipelineFinished, &client,
                         [this](const QUuid &, Psrp::PSInvocationState s, const std::optional<Psrp::ErrorRecord> &e) {
                             onFinished(s, e);
                         });
        QObject::connect(&client, &Wsman::RunspacePoolClient::failed, &client,
                         [this](const Wsman::ClientError &e) { onFailed(e); });
        QObject::connect(&client, &Wsman::RunspacePoolClient::closed, &client, [this] {
            m_closed = true;
            m_loop.quit();
        });

        SigintWatcher sigint;
        if (sigint.notifier())
            QObject::connect(sigint.notifier(), &QSocketNotifier::activated, &client, [this] {
                SigintWatcher::drain();
                onInterrupt();
            });
        client.open();
        if (!m_closed && !m_quit)
            m_loop.exec();
        m_client = nullptr;
        m_out.flush();
        m_err.flush();
        return int(m_exit);
    }

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

    void onOpened()
    {
        Psrp::Result<QUuid> id = m_client->invokeScript(m_script);
        if (!id) {
            writeErr(u"psremote-cli: cannot start the pipeline: "_s + id.error().detail + u'\n');
            setExit(ExitCode::Protocol);
            m_client->close();
            return;
        }
        m_pipeline = *id;
    }

    void onRecord(const Psrp::Payload &payload)
    {
        if (const auto *e = std::get_if<Psrp::ErrorRecord>(&payload)) {
            m_wroteErrors = true;
            writeErr(conciseErrorView(*e, ErrorViewOptions{m_stderrTty, 120}) + u'\n');
        } else if (const auto *w = std::get_if<Psrp::WarningRecord>(&payload)) {
            writeErr(u"WARNING: "_s + w->message + u'\n');
        } else if (const auto *v = std::get_if<Psrp::VerboseRecord>(&payload)) {
            writeErr(u"VERBOSE: "_s + v->message + u'\n');
        } else if (const auto *d = std::get_if<Psrp::DebugRecord>(&payload)) {
            writeErr(u"DEBUG: "_s + d->message + u'\n');
        } else if (const auto *i = std::get_if<Psrp::InformationRecord>(&payload)) {
            // Write-Host (PowerShell 5+) writes a HostInformationMessage tagged PSHOST; a server
            // that already showed it through host Write calls tags it FORWARDED as well, and
            // those are not printed twice.
            if (!hasTag(*i, u"FORWARDED"))
                writeOut(informationText(i->messageData) + u'\n');
        }
    }

    QString coloured(const QString &text, const Psrp::WriteParams &params) const
    {
        if (!m_stdoutTty || !params.foregroundColor)
            return text;
        return ansiForeground(*params.foregroundColor) + text + u"\x1b[0m"_s;
    }

    void onHostCall(const QUuid &pipelineId, const Psrp::HostCall &call)
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
        case HostMethodId::WriteWarningLine: {
            auto params = Psrp::writeParams(call);
            const QString text = params ? params->text : QString();
            const bool newline = call.methodId != HostMethodId::Write1 && call.methodId != HostMethodId::Write2;
            const QString line = text + (newline ? u"\n"_s : QString());
            switch (call.methodId) {
            case HostMethodId::WriteErrorLine:
                writeErr(line);
                break;
            case HostMethodId::WriteDebugLine:
                writeErr(u"DEBUG: "_s + line);
                break;
            case HostMethodId::WriteVerboseLine:
                writeErr(u"VERBOSE: "_s + line);
                break;
            case HostMethodId::WriteWarningLine:
                writeErr(u"WARNING: "_s + line);
                break;
            default:
                writeOut(params ? coloured(text, *params) + (newline ? u"\n"_s : QString()) : line);
                break;
            }
            if (!call.isVoid())
                respond(pipelineId, Psrp::HostResponse::answerVoid(call));
            return;
        }
        case HostMethodId::ReadLine: {
            PasswordResult line = readTerminalLine();
            if (auto *s = std::get_if<Wsman::Secret>(&line)) {
                const QString text = QString::fromUtf8(s->utf8());
                respond(pipelineId, Psrp::HostResponse::answer(call, Psrp::Value(text)));
            } else {
                respondFailure(pipelineId, call, u"Read-Host needs a terminal; psremote-cli has none here"_s);
            }
            return;
        }
        default:
            break;
        }
        if (call.isVoid())
            return;
        respondFailure(pipelineId, call,
                       u"The host method %1 is not supported by psremote-cli invoke."_s.arg(Psrp::hostMethodName(call.methodId)));
    }

    // ReadLine echoes (unlike the password prompt): a plain canonical read from the terminal.
    PasswordResult readTerminalLine()
    {
        const int fd = ::open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            return PasswordError{PasswordErrorCode::NoTerminal, {}};
        if (!::isatty(fd)) {
            ::close(fd);
            return PasswordError{PasswordErrorCode::NoTerminal, {}};
        }
        m_out.flush();
        QByteArray line;
        char c = 0;
        while (::read(fd, &c, 1) == 1 && c != '\n')
            line.append(c);
        ::close(fd);
        return Wsman::Secret::fromUtf8(line);
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
        const Failure f = describeClientError(error);
        writeErr(u"psremote-cli: "_s + f.sentence + u'\n');
        setExit(f.code);
    }

    void onFinished(Psrp::PSInvocationState state, const std::optional<Psrp::ErrorRecord> &error)
    {
        switch (state) {
        case Psrp::PSInvocationState::Completed:
            if (m_wroteErrors)
                setExit(ExitCode::Failed);
            break;
        case Psrp::PSInvocationState::Stopped:
            if (m_interrupts > 0) {
                writeErr(u"psremote-cli: the pipeline was stopped (Ctrl+C)\n"_s);
                setExit(ExitCode::Interrupted);
            } else {
                setExit(ExitCode::Failed);
            }
            break;
        default:
            if (error)
                writeErr(conciseErrorView(*error, ErrorViewOptions{m_stderrTty, 120}) + u'\n');
            else
                writeErr(u"psremote-cli: the pipeline failed ("_s + Psrp::enumText(state) + u")\n"_s);
            setExit(ExitCode::Failed);
            break;
        }
        m_client->close();
    }

    void onFailed(const Wsman::ClientError &error)
    {
        const Failure f = describeClientError(error);
        writeErr(u"psremote-cli: "_s + f.sentence + u'\n');
        setExit(f.code);
    }

    void onInterrupt()
    {
        ++m_interrupts;
        if (m_interrupts == 1 && m_client && !m_pipeline.isNull()
            && m_client->activePipelines().contains(m_pipeline)) {
            writeErr(u"psremote-cli: stopping the pipeline (press Ctrl+C again to exit)\n"_s);
            (void)m_client->stop(m_pipeline);
            return;
        }
        writeErr(u"psremote-cli: interrupted\n"_s);
        m_exit = ExitCode::Interrupted;
        m_quit = true;
        m_loop.quit();
    }

    QTextStream &m_out;
    QTextStream &m_err;
    QEventLoop m_loop;
    Wsman::RunspacePoolClient *m_client = nullptr;
    QString m_script;
    QUuid m_pipeline;
    ExitCode m_exit = ExitCode::Success;
    bool m_wroteErrors = false;
    bool m_stdoutTty = false;
    bool m_stderrTty = false;
    int m_interrupts = 0;
    bool m_closed = false;
    bool m_quit = false;
};

} // namespace

QString invokeHelp()
{
    return u"Usage: psremote-cli invoke [connection options] (--command TEXT | --file SCRIPT | -)\n"
           "\n"
           "Runs a PowerShell script on a remote computer over WinRM and prints its output as\n"
           "PowerShell formats it (Out-String -Stream on the server). Error records go to stderr\n"
           "in PowerShell 7's concise view; warnings, verbose and debug messages to stderr too.\n"
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
    for (qsizetype i = 0; i < arguments.size();) {
        const QString &arg = arguments.at(i);
        if (arg == u"--help" || arg == u"-h") {
            result.help = true;
            return result;
        }
        if (arg == u"-") {
            if (auto e = setSource(InvokeArguments::Source::Stdin, {}, u"-"_s))
                return *e;
            ++i;
            continue;
        }
        const qsizetype eq = arg.indexOf(u'=');
        const QString name = arg.startsWith(u"--") && eq > 0 ? arg.left(eq) : arg;
        if (name == u"--command" || name == u"--file") {
            QString value;
            if (eq > 0 && name != arg) {
                value = arg.mid(eq + 1);
                ++i;
            } else if (i + 1 < arguments.size()) {
                value = arguments.at(i + 1);
                i += 2;
            } else {
                return UsageError{name, u"%1 needs a value"_s.arg(name)};
            }
            if (value.isEmpty())
                return UsageError{name, u"%1 needs a non-empty value"_s.arg(name)};
            if (auto e = setSource(name == u"--command" ? InvokeArguments::Source::Command : InvokeArguments::Source::File,
                                   value, name))
                return *e;
            continue;
        }
        UsageError error;
        switch (result.connection.consume(arguments, i, error)) {
        case ConnectionOptions::Consumed::Yes:
            continue;
        case ConnectionOptions::Consumed::Error:
            return error;
        case ConnectionOptions::Consumed::No:
            return UsageError{arg, u"unknown option '%1'; see `psremote-cli invoke --help`"_s.arg(name)};
        }
    }
    if (!haveSource)
        return UsageError{u"--command"_s, u"no script given: use --command TEXT, --file SCRIPT or - (stdin)"_s};
    if (auto e = result.connection.validate())
        return *e;
    return result;
}

int runInvokeCommand(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    auto parsed = parseInvokeArguments(arguments);
    if (auto *e = std::get_if<UsageError>(&parsed)) {
        err << "psremote-cli invoke: " << e->message << '\n';
        return int(ExitCode::Usage);
    }
    InvokeArguments args = std::get<InvokeArguments>(std::move(parsed));
    if (args.help) {
        out << invokeHelp();
        return int(ExitCode::Success);
    }

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

    const Wsman::UserName &user = *args.connection.connection.userName;
    PasswordResult password = obtainPassword(PasswordSources::fromProcess(
        &stdinFile, args.connection.passwordStdin, u"Password for %1: "_s.arg(user.toString())));
    if (auto *e = std::get_if<PasswordError>(&password)) {
        err << "psremote-cli invoke: " << e->message << '\n';
        return int(e->code == PasswordErrorCode::Interrupted ? ExitCode::Interrupted : ExitCode::Usage);
    }

    if (args.source == InvokeArguments::Source::Stdin)
        script = QString::fromUtf8(stdinFile.readAll());
    if (script.trimmed().isEmpty()) {
        err << "psremote-cli invoke: the script is empty\n";
        return int(ExitCode::Usage);
    }

    Wsman::ClientOptions options;
    options.connection = args.connection.connection;
    options.sessionOption = args.connection.sessionOption;
    options.tracePath = args.connection.traceFile;
    options.authenticatorFactory =
        Wsman::basicAuthenticatorFactory(user.toString(), std::move(std::get<Wsman::Secret>(password)));
    options.hostInfo = Psrp::HostInfo::console(120, 50);

    InvokeSession session(out, err);
    return session.run(std::move(options), script);
}

} // namespace Cli
