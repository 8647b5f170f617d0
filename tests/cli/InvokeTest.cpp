// `psremote-cli invoke`: option parsing, password sources, the concise error view, the exit-code
// mapping, and end to end against the loopback endpoint (simulator engine) in this process.
#include "cli/ConnectionOptions.h"
#include "cli/ErrorView.h"
#include "cli/InvokeCommand.h"
#include "cli/Password.h"

#include "psrp/Clixml.h"
#include "psrp/Payloads.h"
#include "wsman/Envelope.h"
#include "wsman/TraceDecoder.h"
#include "wsman/TraceWriter.h"

#include "CliTestSupport.h"
#include "HttpTestServer.h"
#include "LoopbackServer.h"
#include "PwshProcess.h"
#include "SharedData.h"
#include "Transcript.h"

#include <QBuffer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTimer>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using Cli::ExitCode;

namespace {

std::variant<Cli::InvokeArguments, Cli::UsageError> parse(const QStringList &args)
{
    return Cli::parseInvokeArguments(args);
}

Cli::InvokeArguments parseOk(const QStringList &args)
{
    auto r = parse(args);
    if (auto *e = std::get_if<Cli::UsageError>(&r)) {
        ADD_FAILURE() << "unexpected usage error: " << e->message.toStdString();
        return {};
    }
    return std::get<Cli::InvokeArguments>(std::move(r));
}

Cli::UsageError parseError(const QStringList &args)
{
    auto r = parse(args);
    if (auto *e = std::get_if<Cli::UsageError>(&r))
        return *e;
    ADD_FAILURE() << "expected a usage error for " << args.join(u' ').toStdString();
    return {};
}

} // namespace

// ---- option parsing ------------------------------------------------------------------------

TEST(InvokeOptions, HostMayStandAnywhere)
{
    for (const QStringList &args : {
             QStringList{u"server1"_s, u"--credential"_s, u"alice"_s, u"--command"_s, u"Get-Date"_s},
             QStringList{u"--credential"_s, u"alice"_s, u"server1"_s, u"--command"_s, u"Get-Date"_s},
             QStringList{u"--credential"_s, u"alice"_s, u"--command"_s, u"Get-Date"_s, u"server1"_s},
         }) {
        const Cli::InvokeArguments a = parseOk(args);
        ASSERT_TRUE(a.connection.connection.computerName.has_value());
        EXPECT_EQ(*a.connection.connection.computerName, u"server1"_s);
        EXPECT_EQ(a.script, u"Get-Date"_s);
        EXPECT_EQ(a.source, Cli::InvokeArguments::Source::Command);
    }
}

TEST(InvokeOptions, EveryConnectionOptionIsParsed)
{
    const Cli::InvokeArguments a = parseOk(
        {u"--computer-name"_s, u"srv.example"_s, u"--port"_s, u"5999"_s, u"--use-ssl"_s,
         u"--application-name=psr"_s, u"--allow-redirection"_s, u"--authentication"_s, u"Basic"_s,
         u"--configuration-name"_s, u"JEA"_s, u"--credential"_s, u"CORP\\alice"_s, u"--password-stdin"_s,
         u"--session-option"_s, u"SkipCACheck=TRUE"_s, u"--session-option"_s, u"operationtimeout=60000"_s,
         u"--session-option"_s, u"UICulture=de-DE"_s, u"--trace"_s, u"/tmp/t.jsonl"_s, u"-"_s});
    const Wsman::ConnectionInfo &c = a.connection.connection;
    EXPECT_EQ(c.computerName.value_or(QString()), u"srv.example"_s);
    EXPECT_EQ(c.port.value_or(0), 5999);
    EXPECT_TRUE(c.useSsl.value_or(false));
    EXPECT_EQ(c.applicationName.value_or(QString()), u"psr"_s);
    EXPECT_TRUE(c.allowRedirection);
    EXPECT_EQ(c.authentication, Wsman::AuthenticationMechanism::Basic);
    EXPECT_EQ(c.configurationName, u"JEA"_s);
    ASSERT_TRUE(c.userName.has_value());
    EXPECT_EQ(c.userName->form, Wsman::UserName::Form::DownLevel);
    EXPECT_EQ(c.userName->domain, u"CORP"_s);
    EXPECT_EQ(c.userName->user, u"alice"_s);
    EXPECT_TRUE(a.connection.passwordStdin);
    EXPECT_TRUE(a.connection.sessionOption.skipCACheck);
    EXPECT_EQ(a.connection.sessionOption.operationTimeoutMs, 60000);
    EXPECT_EQ(a.connection.sessionOption.uiCulture, u"de-DE"_s);
    EXPECT_EQ(a.connection.traceFile, u"/tmp/t.jsonl"_s);
    EXPECT_EQ(a.source, Cli::InvokeArguments::Source::Stdin);
}

TEST(InvokeOptions, ConnectionUriAndUserPrincipalName)
{
    const Cli::InvokeArguments a = parseOk({u"--connection-uri"_s, u"https://h.example:5986/wsman"_s,
                                            u"--credential"_s, u"alice@CORP.EXAMPLE"_s, u"--file"_s, u"s.ps1"_s});
    EXPECT_EQ(a.connection.connection.connectionUri.value_or(QString()), u"https://h.example:5986/wsman"_s);
    EXPECT_EQ(a.connection.connection.userName->form, Wsman::UserName::Form::UserPrincipal);
    EXPECT_EQ(a.source, Cli::InvokeArguments::Source::File);
    EXPECT_EQ(a.script, u"s.ps1"_s);
}

TEST(InvokeOptions, ErrorsNameTheBadOption)
{
    const QStringList base{u"h"_s, u"--credential"_s, u"u"_s, u"--command"_s, u"x"_s};
    struct Case {
        QStringList extra;
        QString option;
    };
    const Case cases[] = {
        {{u"--port"_s, u"0"_s}, u"--port"_s},
        {{u"--port"_s, u"http"_s}, u"--port"_s},
        {{u"--authentication"_s, u"magic"_s}, u"--authentication"_s},
        {{u"--session-option"_s, u"Bogus=1"_s}, u"--session-option"_s},
        {{u"--session-option"_s, u"SkipCACheck=maybe"_s}, u"--session-option"_s},
        {{u"--session-option"_s, u"SkipCACheck"_s}, u"--session-option"_s},
        {{u"--frobnicate"_s}, u"--frobnicate"_s},
        {{u"--use-ssl=yes"_s}, u"--use-ssl"_s},
        {{u"--connection-uri"_s, u"https://x/wsman"_s}, u"--connection-uri"_s},
        {{u"second-host"_s}, u"second-host"_s},
        {{u"--file"_s, u"f.ps1"_s}, u"--file"_s},
        {{u"--authentication"_s, u"sspi"_s}, u"--authentication"_s},
        {{u"--trace"_s}, u"--trace"_s},
    };
    for (const Case &c : cases) {
        const Cli::UsageError e = parseError(base + c.extra);
        EXPECT_EQ(e.option, c.option) << c.extra.join(u' ').toStdString();
        EXPECT_TRUE(e.message.contains(c.option)) << e.message.toStdString();
    }
    EXPECT_EQ(parseError({u"--credential"_s, u"u"_s, u"--command"_s, u"x"_s}).option, u"HOST"_s);
    EXPECT_EQ(parseError({u"h"_s, u"--credential"_s, u"u"_s}).option, u"--command"_s);
    EXPECT_EQ(parseError({u"h"_s, u"--command"_s, u"x"_s}).option, u"--credential"_s);
    EXPECT_EQ(parseError({u"h"_s, u"--credential"_s, u"a\\b\\c"_s, u"--command"_s, u"x"_s}).option, u"--credential"_s);
}

TEST(InvokeOptions, PasswordIsNeverAnArgument)
{
    const Cli::UsageError e = parseError({u"h"_s, u"--credential"_s, u"u"_s, u"--password"_s, u"hunter2"_s,
                                          u"--command"_s, u"x"_s});
    EXPECT_EQ(e.option, u"--password"_s);
    EXPECT_FALSE(e.message.contains(u"hunter2"_s));
    EXPECT_TRUE(e.message.contains(u"--password-stdin"_s));
    EXPECT_EQ(parseError({u"h"_s, u"--credential"_s, u"u"_s, u"--password=hunter2"_s, u"--command"_s, u"x"_s}).option,
              u"--password"_s);
}

TEST(InvokeOptions, HelpDescribesEveryOption)
{
    const QString help = Cli::invokeHelp();
    for (const char *option : {"--computer-name", "--port", "--use-ssl", "--application-name", "--connection-uri",
                               "--allow-redirection", "--authentication", "--certificate-thumbprint",
                               "--configuration-name", "--credential", "--password-stdin", "--session-option",
                               "--trace", "--command", "--file", "negotiate-implicit", "NoEncryption=true"})
        EXPECT_TRUE(help.contains(QLatin1StringView(option))) << option;
    EXPECT_TRUE(std::get<Cli::InvokeArguments>(parse({u"--help"_s})).help);
}

// ---- password sources ----------------------------------------------------------------------

TEST(InvokePassword, FirstLineOfStdinOnlyAndTheRestStays)
{
    QByteArray data = QByteArrayLiteral("s3cr\xc3\xa9t\r\nWrite-Output 1\nWrite-Output 2\n");
    QBuffer buffer(&data);
    ASSERT_TRUE(buffer.open(QIODevice::ReadOnly));
    Cli::PasswordSources sources;
    sources.fromStdin = true;
    sources.stdinDevice = &buffer;
    sources.environment = QByteArrayLiteral("from-env");
    Cli::PasswordResult r = Cli::obtainPassword(sources);
    ASSERT_TRUE(std::holds_alternative<Wsman::Secret>(r));
    EXPECT_EQ(std::get<Wsman::Secret>(r).utf8(), QByteArrayView("s3cr\xc3\xa9t"));
    EXPECT_EQ(buffer.readAll(), QByteArrayLiteral("Write-Output 1\nWrite-Output 2\n"));
}

TEST(InvokePassword, EmptyStdinFails)
{
    QByteArray data;
    QBuffer buffer(&data);
    ASSERT_TRUE(buffer.open(QIODevice::ReadOnly));
    Cli::PasswordSources sources;
    sources.fromStdin = true;
    sources.stdinDevice = &buffer;
    Cli::PasswordResult r = Cli::obtainPassword(sources);
    ASSERT_TRUE(std::holds_alternative<Cli::PasswordError>(r));
    EXPECT_EQ(std::get<Cli::PasswordError>(r).code, Cli::PasswordErrorCode::StdinEmpty);
}

TEST(InvokePassword, EnvironmentBeforePrompt)
{
    Cli::PasswordSources sources;
    sources.environment = QByteArrayLiteral("env-pass");
    sources.terminalPath = QByteArrayLiteral("/nonexistent/tty");
    Cli::PasswordResult r = Cli::obtainPassword(sources);
    ASSERT_TRUE(std::holds_alternative<Wsman::Secret>(r));
    EXPECT_EQ(std::get<Wsman::Secret>(r).utf8(), QByteArrayView("env-pass"));
}

TEST(InvokePassword, NoTerminalAndNoPasswordFailsAtOnce)
{
    Cli::PasswordSources sources;
    sources.terminalPath = QByteArrayLiteral("/nonexistent/tty");
    Cli::PasswordResult r = Cli::obtainPassword(sources);
    ASSERT_TRUE(std::holds_alternative<Cli::PasswordError>(r));
    EXPECT_EQ(std::get<Cli::PasswordError>(r).code, Cli::PasswordErrorCode::NoTerminal);
    // A file that is not a terminal is no terminal either.
    sources.terminalPath = QByteArrayLiteral("/dev/null");
    r = Cli::obtainPassword(sources);
    ASSERT_TRUE(std::holds_alternative<Cli::PasswordError>(r));
    EXPECT_EQ(std::get<Cli::PasswordError>(r).code, Cli::PasswordErrorCode::NoTerminal);
}

TEST(InvokePassword, PromptReadsWithoutEchoAndRestoresTheTerminal)
{
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT_GE(master, 0);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    const QByteArray slavePath(::ptsname(master));
    const int slave = ::open(slavePath.constData(), O_RDWR | O_NOCTTY);
    ASSERT_GE(slave, 0);
    termios before{};
    ASSERT_EQ(::tcgetattr(slave, &before), 0);
    ASSERT_TRUE(before.c_lflag & ECHO);
    // Type the password once the prompt shows (echo is off by then; earlier type-ahead is flushed).
    QByteArray shown;
    std::thread typist([master, &shown] {
        char buffer[256];
        while (!shown.contains("Password: ")) {
            const ssize_t n = ::read(master, buffer, sizeof buffer);
            if (n <= 0)
                return;
            shown.append(buffer, n);
        }
        (void)!::write(master, "pty-secret\n", 11);
    });

    Cli::PasswordResult r = Cli::promptOnTerminal(slavePath, u"Password: "_s);
    typist.join();
    ASSERT_TRUE(std::holds_alternative<Wsman::Secret>(r));
    EXPECT_EQ(std::get<Wsman::Secret>(r).utf8(), QByteArrayView("pty-secret"));

    termios after{};
    ASSERT_EQ(::tcgetattr(slave, &after), 0);
    EXPECT_TRUE(after.c_lflag & ECHO);
    EXPECT_EQ(after.c_lflag, before.c_lflag);
    // The password typed with echo off never came back on the terminal.
    ::fcntl(master, F_SETFL, O_NONBLOCK);
    char buffer[256];
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n > 0)
        shown.append(buffer, n);
    EXPECT_TRUE(shown.contains("Password: "));
    EXPECT_FALSE(shown.contains("pty-secret"));
    ::close(slave);
    ::close(master);
}

// ---- concise error view --------------------------------------------------------------------

namespace {

Psrp::ObjectPtr objectWith(std::initializer_list<std::pair<QString, Psrp::Value>> props)
{
    Psrp::ObjectPtr o = Psrp::PsObject::create();
    for (const auto &[name, value] : props)
        o->setProperty(name, value);
    return o;
}

Psrp::ErrorRecord record(const QString &message, qint32 category = 0)
{
    Psrp::ErrorRecord r;
    r.message = message;
    r.category = category;
    r.original = objectWith({});
    return r;
}

} // namespace

TEST(ConciseErrorView, WriteErrorShowsTheCommandName)
{
    Psrp::ErrorRecord r = record(u"something bad"_s);
    r.fullyQualifiedErrorId = u"Microsoft.PowerShell.Commands.WriteErrorException"_s;
    r.categoryActivity = u"Write-Error"_s;
    r.invocationInfo = Psrp::Value(objectWith({{u"MyCommand"_s, Psrp::Value(objectWith({{u"Name"_s, u"Write-Error"_s}}))},
                                               {u"ScriptLineNumber"_s, qint32(1)}}));
    EXPECT_EQ(Cli::conciseErrorView(r), u"Write-Error: something bad"_s);
}

TEST(ConciseErrorView, ThrowIsAnException)
{
    Psrp::ErrorRecord r = record(u"boom"_s, 14);
    r.original->setProperty(u"Exception"_s, Psrp::Value(objectWith({{u"Message"_s, u"boom"_s},
                                                                      {u"WasThrownFromThrowStatement"_s, true}})));
    EXPECT_EQ(Cli::conciseErrorView(r), u"Exception: boom"_s);
}

TEST(ConciseErrorView, FallsBackToCategoryThenError)
{
    EXPECT_EQ(Cli::conciseErrorView(record(u"gone"_s, 13)), u"ObjectNotFound: gone"_s);
    EXPECT_EQ(Cli::conciseErrorView(record(u"plain"_s)), u"Error: plain"_s);
    Psrp::ErrorRecord r = record(u"x"_s);
    r.original->setProperty(u"InvocationInfo_InvocationName"_s, u"Get-Thing"_s);
    EXPECT_EQ(Cli::conciseErrorView(r), u"Get-Thing: x"_s);
}

TEST(ConciseErrorView, NativeCommandErrorIsTheMessageOnly)
{
    Psrp::ErrorRecord r = record(u"ls: cannot access 'x'"_s);
    r.fullyQualifiedErrorId = u"NativeCommandError"_s;
    EXPECT_EQ(Cli::conciseErrorView(r), u"ls: cannot access 'x'"_s);
}

TEST(ConciseErrorView, ErrorDetailsAndRecommendation)
{
    Psrp::ErrorRecord r = record(u"exception text"_s);
    r.categoryActivity = u"Get-Thing"_s;
    r.errorDetailsMessage = u"details text"_s;
    r.errorDetailsRecommendedAction = u"Try harder."_s;
    EXPECT_EQ(Cli::conciseErrorView(r), u"Get-Thing: details text\n  Recommendation: Try harder."_s);
}

TEST(ConciseErrorView, LineBlockForALaterLineAndScripts)
{
    Psrp::ErrorRecord r = record(u"boom"_s, 14);
    r.original->setProperty(u"Exception"_s, Psrp::Value(objectWith({{u"WasThrownFromThrowStatement"_s, true}})));
    r.original->setProperty(u"InvocationInfo_ScriptLineNumber"_s, qint32(2));
    r.original->setProperty(u"InvocationInfo_PositionMessage"_s,
                            u"At line:2 char:1\r\n+ throw 'boom'\r\n+ ~~~~~~~~~~~~"_s);
    EXPECT_EQ(Cli::conciseErrorView(r), u"Exception: \n"
                                        "Line |\n"
                                        "   2 |  throw 'boom'\n"
                                        "     |  ~~~~~~~~~~~~\n"
                                        "     | boom"_s);

    r.original->setProperty(u"InvocationInfo_ScriptName"_s, u"/tmp/s.ps1"_s);
    r.original->setProperty(u"InvocationInfo_ScriptLineNumber"_s, qint32(12));
    r.original->setProperty(u"InvocationInfo_PositionMessage"_s,
                            u"At /tmp/s.ps1:12 char:3\n+   throw 'boom'\n+   ~~~~~~~~~~~~"_s);
    EXPECT_EQ(Cli::conciseErrorView(r), u"Exception: /tmp/s.ps1:12\n"
                                        "Line |\n"
                                        "  12 |    throw 'boom'\n"
                                        "     |    ~~~~~~~~~~~~\n"
                                        "     | boom\n"_s);

    // Long messages wrap at the window width under the bar.
    r.message = QString(u"word "_s).repeated(10).trimmed();
    const QString wrapped = Cli::conciseErrorView(r, Cli::ErrorViewOptions{false, 20});
    EXPECT_TRUE(wrapped.endsWith(u"     |    ~~~~~~~~~~~~\n"_s + QString(u"     | word word\n"_s).repeated(5)))
        << wrapped.toStdString();
}

TEST(ConciseErrorView, ModuleScriptsShowNoLineBlock)
{
    Psrp::ErrorRecord r = record(u"inside"_s);
    r.categoryActivity = u"Get-Thing"_s;
    r.original->setProperty(u"InvocationInfo_ScriptName"_s, u"/m/Thing.psm1"_s);
    r.original->setProperty(u"InvocationInfo_ScriptLineNumber"_s, qint32(40));
    r.original->setProperty(u"InvocationInfo_PositionMessage"_s, u"At /m/Thing.psm1:40 char:1\n+ x\n+ ~"_s);
    EXPECT_EQ(Cli::conciseErrorView(r), u"Get-Thing: inside\n"_s);
}

TEST(ConciseErrorView, ColoursOnlyWhenAsked)
{
    Psrp::ErrorRecord r = record(u"bad"_s);
    r.categoryActivity = u"Write-Error"_s;
    EXPECT_EQ(Cli::conciseErrorView(r, Cli::ErrorViewOptions{true, 120}),
              u"\x1b[31;1mWrite-Error: \x1b[31;1mbad\x1b[0m"_s);
}

TEST(ConciseErrorView, EveryErrorRecordOfTheWindowsRecordings)
{
    PSREMOTE_REQUIRE_SHARED();
    int records = 0;
    QStringList views;
    for (const QString &path : TestSupport::windowsTranscriptFiles()) {
        const auto transcript = TestSupport::loadTranscript(path);
        ASSERT_TRUE(transcript) << path.toStdString();
        Wsman::TraceDecoder decoder([&](const Wsman::TraceMessage &m) {
            if (m.message.type != Psrp::MessageType::ErrorRecord)
                return;
            auto value = Psrp::Clixml::deserialize(m.message.data);
            ASSERT_TRUE(value);
            auto er = Psrp::ErrorRecord::fromValue(*value);
            ASSERT_TRUE(er);
            ++records;
            const QString view = Cli::conciseErrorView(*er);
            EXPECT_FALSE(view.isEmpty());
            EXPECT_TRUE(view.contains(er->errorDetailsMessage.value_or(er->message).trimmed().left(20)))
                << view.toStdString();
            views.append(QFileInfo(path).fileName() + u": "_s + view);
        });
        qint64 line = 0;
        for (const TestSupport::TranscriptExchange &x : transcript->exchanges) {
            (void)decoder.feedLine(Wsman::TraceWriter::jsonLine(Wsman::LegDirection::Request, x.request), ++line);
            if (!x.response.isEmpty())
                (void)decoder.feedLine(Wsman::TraceWriter::jsonLine(Wsman::LegDirection::Response, x.response), ++line);
        }
    }
    EXPECT_GT(records, 0);
    // Write-Error inside a script block: the block is no command, so the activity names it.
    EXPECT_TRUE(views.contains(u"test_psrp_stream_output_invocation.yml: Write-Error: error stream"_s))
        << views.join(u"\n----\n"_s).toStdString();
    EXPECT_TRUE(views.contains(u"test_psrp_with_jea_configuration.yml: Get-Item: Cannot find a provider with the name 'FileSystem'."_s));
    if (std::getenv("PSREMOTE_SHOW_VIEWS"))
        for (const QString &v : views)
            std::printf("%s\n----\n", qPrintable(v));
}

// ---- exit-code mapping ---------------------------------------------------------------------

TEST(InvokeExitCodes, TransportErrorsMapToTheDocumentedCodes)
{
    using K = Wsman::TransportErrorKind;
    const std::pair<K, ExitCode> cases[] = {
        {K::NameResolution, ExitCode::CannotConnect}, {K::ConnectionRefused, ExitCode::CannotConnect},
        {K::Unreachable, ExitCode::CannotConnect},    {K::TimedOut, ExitCode::CannotConnect},
        {K::Tls, ExitCode::Tls},                      {K::AuthenticationFailed, ExitCode::Authentication},
        {K::InsecureRefused, ExitCode::Authentication}, {K::HttpStatus, ExitCode::Protocol},
        {K::Redirect, ExitCode::Protocol},            {K::Cancelled, ExitCode::Interrupted},
    };
    for (const auto &[kind, code] : cases) {
        Wsman::TransportError e;
        e.kind = kind;
        const Cli::Failure f = Cli::describeTransportError(e);
        EXPECT_EQ(f.code, code) << int(kind);
        EXPECT_FALSE(f.sentence.contains(u'\n'));
        EXPECT_FALSE(f.sentence.isEmpty());
    }
    Wsman::TransportError insecure;
    insecure.kind = K::InsecureRefused;
    EXPECT_EQ(Cli::describeTransportError(insecure).sentence,
              u"Basic authentication over HTTP sends the password in clear text; use --use-ssl, or "
              "--session-option NoEncryption=true to allow it"_s);
}

TEST(InvokeExitCodes, FaultsInA500AreDescribedAsFaults)
{
    Wsman::TransportError e;
    e.kind = Wsman::TransportErrorKind::HttpStatus;
    e.httpStatus = 500;
    e.body = QByteArrayLiteral(
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\"><s:Body><s:Fault>"
        "<s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason><s:Text xml:lang=\"\">Access is denied.</s:Text></s:Reason>"
        "<s:Detail><f:WSManFault Code=\"5\" Machine=\"srv\"><f:Message>Access is denied.</f:Message></f:WSManFault>"
        "</s:Detail></s:Fault></s:Body></s:Envelope>");
    const Cli::Failure f = Cli::describeTransportError(e);
    EXPECT_EQ(f.code, ExitCode::Authentication);
    EXPECT_TRUE(f.sentence.contains(u"0x00000005"_s)) << f.sentence.toStdString();
    EXPECT_TRUE(f.sentence.contains(u"Access is denied."_s));

    Wsman::Fault schema;
    schema.code = Wsman::FaultCode::SchemaValidation;
    EXPECT_EQ(Cli::describeFault(schema).code, ExitCode::Protocol);
}

// ---- output formatting choice ----------------------------------------------------------------

namespace {

Psrp::Value countObject(qint32 count)
{
    Psrp::ObjectPtr o = Psrp::PsObject::create();
    o->typeNames = {u"Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo"_s, u"System.Management.Automation.PSCustomObject"_s};
    o->setProperty(u"Count"_s, count);
    return Psrp::Value(o);
}

} // namespace

TEST(InvokeFormatting, OutStringUnlessTheServerShowsItIsMissing)
{
    using Cli::OutputFormatting;
    using Psrp::PSInvocationState;
    // Windows PowerShell / pwsh with Microsoft.PowerShell.Utility: a count of 1 and the metadata.
    Psrp::ObjectPtr metadata = Psrp::PsObject::create();
    metadata->setProperty(u"Name"_s, u"Out-String"_s);
    EXPECT_EQ(Cli::formattingFromMetadata(PSInvocationState::Completed, {countObject(1), Psrp::Value(metadata)}),
              OutputFormatting::OutString);
    EXPECT_EQ(Cli::formattingFromMetadata(PSInvocationState::Completed, {countObject(1)}), OutputFormatting::OutString);
    // JEA without Out-String: Get-Command finds nothing.
    EXPECT_EQ(Cli::formattingFromMetadata(PSInvocationState::Completed, {countObject(0)}), OutputFormatting::OutDefault);
    // System.Management.Automation alone: the metadata pipeline's Measure-Object is missing.
    EXPECT_EQ(Cli::formattingFromMetadata(PSInvocationState::Failed, {}), OutputFormatting::OutDefault);
    // No evidence (a server that answers nothing, a stopped probe): the documented Out-String.
    EXPECT_EQ(Cli::formattingFromMetadata(PSInvocationState::Completed, {}), OutputFormatting::OutString);
    EXPECT_EQ(Cli::formattingFromMetadata(PSInvocationState::Stopped, {}), OutputFormatting::OutString);
}

TEST(InvokeFormatting, TerminalSequencesAreStrippedForPipes)
{
    EXPECT_EQ(Cli::stripTerminalSequences(u"\x1b[32;1mName\x1b[0m\x1b[32;1m Size\x1b[0m"), u"Name Size"_s);
    EXPECT_EQ(Cli::stripTerminalSequences(u"see \x1b]8;;https://x.example\x1b\\link\x1b]8;;\x1b\\ here"),
              u"see link here"_s);
    EXPECT_EQ(Cli::stripTerminalSequences(u"title\x1b]0;t\a done"), u"title done"_s);
    EXPECT_EQ(Cli::stripTerminalSequences(u"plain text, 100% [ok]"), u"plain text, 100% [ok]"_s);
    EXPECT_EQ(Cli::stripTerminalSequences(u"cut\x1b"), u"cut"_s);
    EXPECT_EQ(Cli::stripTerminalSequences(u"cut\x1b[3"), u"cut"_s);
}

// ---- end to end ----------------------------------------------------------------------------

namespace {

using CliTestSupport::CliRun;

// Runs psremote-cli as a child in a new session (so it has no controlling terminal) while this
// thread's event loop serves the loopback endpoint; a 60 s guard kills a hung child.
CliRun runCli(const QStringList &args, const QByteArray &input = {}, const QStringList &env = {})
{
    return CliTestSupport::runCli(QStringList{u"invoke"_s} + args, CliTestSupport::cliEnvironment({}, env), input);
}

class InvokeEndToEnd : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_server = CliTestSupport::startEndpoint(u"alice"_s, u"wonderland"_s);
        ASSERT_TRUE(m_server);
    }
    QStringList httpArgs(const QString &script) const
    {
        return {u"127.0.0.1"_s, u"--port"_s, QString::number(m_server->port()), u"--credential"_s, u"alice"_s,
                u"--authentication"_s, u"basic"_s, u"--session-option"_s, u"NoEncryption=true"_s,
                u"--password-stdin"_s, u"--command"_s, script};
    }
    static QByteArray password() { return QByteArrayLiteral("wonderland\n"); }

    std::unique_ptr<TestServer::LoopbackServer> m_server;
};

} // namespace

TEST_F(InvokeEndToEnd, OutputGoesToStdoutAndExitsZero)
{
    const CliRun r = runCli(httpArgs(u"Write-Output hello"_s), password());
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"hello\n"_s);
    EXPECT_EQ(r.err, QString());
}

TEST_F(InvokeEndToEnd, WriteHostIsShownOnStdout)
{
    // The simulator sends Write-Host as PowerShell 5+ does: an INFORMATION_RECORD tagged PSHOST
    // carrying a HostInformationMessage, not a host call.
    const CliRun r = runCli(httpArgs(u"Write-Host greetings"_s), password());
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"greetings\n"_s);
    EXPECT_EQ(r.err, QString());
}

TEST_F(InvokeEndToEnd, ScriptFromStdinAfterThePasswordLine)
{
    QStringList args = httpArgs({});
    args.removeLast();
    args.removeLast();
    args.append(u"-"_s);
    const CliRun r = runCli(args, password() + QByteArrayLiteral("Write-Output from-stdin\n"));
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"from-stdin\n"_s);
}

TEST_F(InvokeEndToEnd, PasswordFromTheEnvironment)
{
    QStringList args = httpArgs(u"Write-Output env"_s);
    args.removeAll(u"--password-stdin"_s);
    const CliRun r = runCli(args, {}, {u"PSREMOTE_PASSWORD=wonderland"_s});
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"env\n"_s);
}

TEST_F(InvokeEndToEnd, NoTerminalAndNoPasswordFailsAtOnce)
{
    QStringList args = httpArgs(u"Write-Output x"_s);
    args.removeAll(u"--password-stdin"_s);
    const CliRun r = runCli(args);
    EXPECT_EQ(r.exitCode, int(ExitCode::Usage));
    EXPECT_TRUE(r.err.contains(u"no terminal"_s)) << r.err.toStdString();
    EXPECT_EQ(m_server->requestCount(), 0);
}

TEST_F(InvokeEndToEnd, WrittenErrorsExitOne)
{
    const CliRun r = runCli(httpArgs(u"Write-Error oops"_s), password());
    EXPECT_EQ(r.exitCode, int(ExitCode::Failed)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"oops"_s)) << r.err.toStdString();
    // The simulator's record names the cmdlet in ErrorCategory_Activity, as PowerShell's does.
    EXPECT_EQ(r.err, u"Write-Error: oops\n"_s);
}

TEST_F(InvokeEndToEnd, ThrowExitsOne)
{
    const CliRun r = runCli(httpArgs(u"throw 'kaboom'"_s), password());
    EXPECT_EQ(r.exitCode, int(ExitCode::Failed)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"kaboom"_s)) << r.err.toStdString();
}

TEST_F(InvokeEndToEnd, WarningsGoToStderr)
{
    const CliRun r = runCli(httpArgs(u"Write-Warning careful"_s), password());
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"WARNING: careful"_s)) << r.err.toStdString();
}

TEST_F(InvokeEndToEnd, BadPasswordExitsFive)
{
    const CliRun r = runCli(httpArgs(u"Write-Output x"_s), QByteArrayLiteral("wrong\n"));
    EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
    EXPECT_FALSE(r.err.contains(u"wrong"_s.prepend(u' '))) << r.err.toStdString();
    EXPECT_EQ(r.err.count(u'\n'), 1) << r.err.toStdString();
}

TEST_F(InvokeEndToEnd, BasicOverHttpWithoutNoEncryptionExitsFive)
{
    QStringList args = httpArgs(u"Write-Output x"_s);
    args.removeAll(u"NoEncryption=true"_s);
    args.removeAll(u"--session-option"_s);
    const CliRun r = runCli(args, password());
    EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"--session-option NoEncryption=true"_s)) << r.err.toStdString();
    EXPECT_EQ(m_server->requestCount(), 0);
}

TEST_F(InvokeEndToEnd, InjectedFaultExitsSix)
{
    m_server->faults().faultCount = 1;
    const CliRun r = runCli(httpArgs(u"Write-Output x"_s), password());
    EXPECT_EQ(r.exitCode, int(ExitCode::Protocol)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"fault"_s)) << r.err.toStdString();
}

TEST_F(InvokeEndToEnd, ConnectionRefusedExitsThree)
{
    QTcpServer closed;
    ASSERT_TRUE(closed.listen(QHostAddress::LocalHost, 0));
    const quint16 port = closed.serverPort();
    closed.close();
    QStringList args = httpArgs(u"Write-Output x"_s);
    args[2] = QString::number(port);
    const CliRun r = runCli(args, password());
    EXPECT_EQ(r.exitCode, int(ExitCode::CannotConnect)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"refused"_s)) << r.err.toStdString();
    EXPECT_TRUE(r.err.startsWith(u"psremote-cli invoke: cannot connect"_s)) << r.err.toStdString();
}

TEST_F(InvokeEndToEnd, RetriesRunningOutEndWithTheSessionDisconnectedAndTheHint)
{
    CliTestSupport::CliProcess p(
        QStringList{u"invoke"_s}
            + httpArgs(u"Write-Output first; Start-Sleep -Milliseconds 1500; Write-Output second"_s),
        CliTestSupport::cliEnvironment({}, {u"PSREMOTE_MAX_RETRY_TIME_MS=1500"_s}), password());
    ASSERT_TRUE(p.waitForOutput(u"first\n"_s)) << p.err().toStdString();
    m_server->faults().dropActions = {Wsman::Action::Receive, Wsman::Action::Reconnect};
    m_server->dropConnections();
    const CliRun r = p.finish();
    m_server->faults().dropActions.clear();
    EXPECT_EQ(r.exitCode, int(ExitCode::CannotConnect)) << r.err.toStdString();
    EXPECT_TRUE(r.err.startsWith(u"WARNING: The network connection to 127.0.0.1 has been interrupted."_s))
        << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"psremote-cli invoke: the network connection to 127.0.0.1 was lost"_s))
        << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"--instance-id "_s)) << r.err.toStdString();
    EXPECT_EQ(r.out, u"first\n"_s);
    EXPECT_EQ(m_server->shellCount(), 1);
}

TEST_F(InvokeEndToEnd, FirstCtrlCStopsThePipelineAndExits130)
{
    QProcess p;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"PSREMOTE_PASSWORD"_s);
    p.setProcessEnvironment(environment);
    p.setChildProcessModifier([] { ::setsid(); });
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
    QByteArray out;
    bool interrupted = false;
    QObject::connect(&p, &QProcess::readyReadStandardOutput, &loop, [&] {
        out += p.readAllStandardOutput();
        if (!interrupted && out.contains("started\n")) {
            interrupted = true;
            ::kill(pid_t(p.processId()), SIGINT);
        }
    });
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    p.start(QStringLiteral(PSREMOTE_CLI_PATH), QStringList{u"invoke"_s} + httpArgs(u"Write-Output started; Start-Sleep 60"_s));
    p.write(password());
    p.closeWriteChannel();
    guard.start(30000);
    loop.exec();
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(5000);
        FAIL() << "psremote-cli did not stop on Ctrl+C";
    }
    EXPECT_TRUE(interrupted);
    EXPECT_EQ(p.exitCode(), int(ExitCode::Interrupted));
    EXPECT_TRUE(p.readAllStandardError().contains("stopped")) << out.toStdString();
}

TEST_F(InvokeEndToEnd, ReadHostWithoutATerminalIsAnsweredWithAnError)
{
    // The child has no terminal, so ReadLine gets a failure response at once instead of waiting.
    // (Real PowerShell turns it into an error record; the simulator ignores the `me` and
    // completes, so only "finishes without an answer" is checked here.)
    const CliRun r = runCli(httpArgs(u"Read-Host name"_s), password());
    EXPECT_TRUE(r.exitCode == 0 || r.exitCode == int(ExitCode::Failed)) << r.exitCode << r.err.toStdString();
    EXPECT_EQ(r.out, u"name: "_s); // the prompt (host Write), and no answer after it
}

namespace {

using CliTestSupport::TerminalRun;

// `invoke` on a fresh pseudo terminal, the password in PSREMOTE_PASSWORD.
TerminalRun runCliOnTerminal(const QStringList &args, const CliTestSupport::TerminalReaction &react)
{
    return CliTestSupport::runOnTerminal(QStringList{u"invoke"_s} + args,
                                         CliTestSupport::cliEnvironment({}, {u"PSREMOTE_PASSWORD=wonderland"_s}), react);
}

void type(int master, const char *text)
{
    (void)!::write(master, text, std::strlen(text));
}

} // namespace

TEST_F(InvokeEndToEnd, ReadHostOnATerminalIsAnsweredFromIt)
{
    QStringList args = httpArgs(u"Read-Host name"_s);
    args.removeAll(u"--password-stdin"_s);
    bool typed = false;
    const TerminalRun r = runCliOnTerminal(args, [&](QProcess &, int master, const QByteArray &out, const QByteArray &) {
        if (!typed && out.contains("name: ")) {
            typed = true;
            type(master, "typed answer\n");
        }
    });
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, QByteArrayLiteral("name: typed answer\n")); // the simulator outputs the answer
    EXPECT_TRUE(r.terminal.contains("typed answer")); // ReadLine echoes
}

TEST_F(InvokeEndToEnd, GetCredentialAsksForThePasswordWithoutEcho)
{
    QStringList args = httpArgs(u"Get-Credential bob"_s);
    args.removeAll(u"--password-stdin"_s);
    bool typed = false;
    const TerminalRun r = runCliOnTerminal(args, [&](QProcess &, int master, const QByteArray &, const QByteArray &tty) {
        if (!typed && tty.contains("Password for user bob: ")) {
            typed = true;
            type(master, "pw-secret\n");
        }
    });
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(typed) << r.terminal.toStdString();
    EXPECT_TRUE(r.terminal.contains("Enter your credentials.")) << r.terminal.toStdString();
    EXPECT_FALSE(r.terminal.contains("pw-secret"));
    EXPECT_TRUE(r.localFlagsAfter & ECHO); // restored
    EXPECT_TRUE(r.out.contains("PSCredential")) << r.out.toStdString();
}

TEST_F(InvokeEndToEnd, ReadHostAsSecureStringReadsWithoutEcho)
{
    // ReadLineAsSecureString needs the session key (exchanged on demand) and switches echo off;
    // type only once it is off (switching discards type-ahead).
    QStringList args = httpArgs(u"Read-Host pin -AsSecureString; Write-Output done"_s);
    args.removeAll(u"--password-stdin"_s);
    bool typed = false;
    std::function<void(int)> typeOnceEchoIsOff = [&](int master) {
        termios t {};
        if (::tcgetattr(master, &t) == 0 && !(t.c_lflag & ECHO)) {
            typed = true;
            type(master, "1234-secret\n");
            return;
        }
        QTimer::singleShot(20, [&, master] { typeOnceEchoIsOff(master); });
    };
    bool waiting = false;
    const TerminalRun r = runCliOnTerminal(args, [&](QProcess &, int master, const QByteArray &out, const QByteArray &) {
        if (!waiting && out.contains("pin: ")) {
            waiting = true;
            typeOnceEchoIsOff(master);
        }
    });
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(typed);
    EXPECT_TRUE(r.out.endsWith("done\n")) << r.out.toStdString();
    EXPECT_FALSE(r.out.contains("1234-secret"));
    EXPECT_FALSE(r.terminal.contains("1234-secret"));
    EXPECT_TRUE(r.localFlagsAfter & ECHO);
}

TEST_F(InvokeEndToEnd, CtrlCWhileReadHostWaitsOnTheTerminalExits130)
{
    // The terminal read must not block the event loop: Ctrl+C still stops the pipeline.
    QStringList args = httpArgs(u"Read-Host name"_s);
    args.removeAll(u"--password-stdin"_s);
    bool interrupted = false;
    const TerminalRun r = runCliOnTerminal(args, [&](QProcess &p, int, const QByteArray &out, const QByteArray &) {
        if (!interrupted && out.contains("name: ")) {
            interrupted = true;
            ::kill(pid_t(p.processId()), SIGINT);
        }
    });
    EXPECT_TRUE(interrupted);
    EXPECT_EQ(r.exitCode, int(ExitCode::Interrupted)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains("stopped")) << r.err.toStdString();
}

TEST_F(InvokeEndToEnd, WriteHostAndOutputKeepTheirOrder)
{
    const CliRun r = runCli(httpArgs(u"Write-Output one; Write-Host two; Write-Output three"_s), password());
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"one\ntwo\nthree\n"_s);
}

TEST_F(InvokeEndToEnd, ServersWithOutStringKeepTheOutStringPipeline)
{
    // The simulator answers GET_COMMAND_METADATA with no evidence against Out-String, so the
    // pipeline stays `script | Out-String -Stream` (visible in the decoded trace).
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString trace = dir.filePath(u"t.jsonl"_s);
    const CliRun r = runCli(httpArgs(u"Write-Output hi"_s) + QStringList{u"--trace"_s, trace}, password());
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"hi\n"_s);
    QProcess decode;
    decode.start(QStringLiteral(PSREMOTE_CLI_PATH), {u"trace"_s, u"decode"_s, u"--json"_s, trace});
    ASSERT_TRUE(decode.waitForFinished(30000));
    const QByteArray decoded = decode.readAllStandardOutput();
    EXPECT_TRUE(decoded.contains("GET_COMMAND_METADATA")) << decoded.left(2000).toStdString();
    EXPECT_TRUE(decoded.contains("CREATE_PIPELINE"));
    EXPECT_TRUE(decoded.contains(R"(<LST><S>Out-String</S></LST>)")); // the metadata request's Name
    EXPECT_TRUE(decoded.contains(R"(<S N=\"Cmd\">Out-String</S>)"));   // the pipeline's command
    EXPECT_FALSE(decoded.contains("Out-Default"));
}

TEST_F(InvokeEndToEnd, ScriptFileAndTraceWithoutThePassword)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString script = dir.filePath(u"s.ps1"_s);
    {
        QFile f(script);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("Write-Output from-file\n");
    }
    const QString trace = dir.filePath(u"t.jsonl"_s);
    QStringList args = httpArgs({});
    args.removeLast();
    args.removeLast();
    args << u"--file"_s << script << u"--trace"_s << trace;
    const CliRun r = runCli(args, password());
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"from-file\n"_s);
    QFile t(trace);
    ASSERT_TRUE(t.exists());
    EXPECT_EQ(t.permissions() & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther), 0);
    const QByteArray content = TestSupport::readFile(trace);
    EXPECT_TRUE(content.contains("\"direction\":\"request\""));
    EXPECT_FALSE(content.contains("wonderland"));
    EXPECT_FALSE(content.contains(QByteArrayLiteral("alice:wonderland").toBase64()));
}

TEST_F(InvokeEndToEnd, HelpAndUsageErrorsNeedNoServer)
{
    const CliRun help = runCli({u"--help"_s});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_TRUE(help.out.contains(u"--session-option NAME=VALUE"_s));
    const CliRun bad = runCli({u"127.0.0.1"_s, u"--port"_s, u"99999"_s, u"--credential"_s, u"a"_s, u"--command"_s, u"x"_s});
    EXPECT_EQ(bad.exitCode, int(ExitCode::Usage));
    EXPECT_TRUE(bad.err.contains(u"--port"_s)) << bad.err.toStdString();
    EXPECT_EQ(bad.err.count(u'\n'), 1);
    EXPECT_EQ(m_server->requestCount(), 0);
}

TEST(InvokeEndToEndTls, UnknownCaExitsFourAndSkipCACheckPasses)
{
    QString diagnostics;
    std::optional<TestSupport::TestPki> pki = TestSupport::TestPki::generate(&diagnostics);
    if (!pki)
        GTEST_SKIP() << "openssl unavailable: " << diagnostics.toStdString();
    TestServer::ServerConfig config;
    config.https = true;
    config.certificate = pki->server;
    config.privateKey = pki->serverKey;
    config.user = u"alice"_s;
    config.password = u"wonderland"_s;
    TestServer::LoopbackServer server(config);
    QString error;
    ASSERT_TRUE(server.listen(&error)) << error.toStdString();
    const QStringList args{u"127.0.0.1"_s, u"--port"_s, QString::number(server.port()), u"--use-ssl"_s,
                           u"--authentication"_s, u"basic"_s, u"--credential"_s, u"alice"_s, u"--password-stdin"_s, u"--command"_s, u"Write-Output tls"_s};
    const CliRun refused = runCli(args, QByteArrayLiteral("wonderland\n"));
    EXPECT_EQ(refused.exitCode, int(ExitCode::Tls)) << refused.err.toStdString();
    EXPECT_TRUE(refused.err.contains(u"SkipCACheck"_s)) << refused.err.toStdString();

    const CliRun skipped = runCli(args + QStringList{u"--session-option"_s, u"SkipCACheck=true"_s},
                                  QByteArrayLiteral("wonderland\n"));
    EXPECT_EQ(skipped.exitCode, 0) << skipped.err.toStdString();
    EXPECT_EQ(skipped.out, u"tls\n"_s);
}

// The pwsh engine hosts System.Management.Automation alone: no Microsoft.PowerShell.Utility, so no
// Out-String, Write-*, Measure-Object or Format-*; Out-Default and Out-Host exist. invoke learns
// that from GET_COMMAND_METADATA and formats through `| Out-Default` (host WriteLine calls).
class InvokeEndToEndPwsh : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!TestServer::PwshProcess::isAvailable())
            GTEST_SKIP() << "real PowerShell is unavailable: set PSREMOTE_PWSH_HOST to the host built by "
                            "tests/server/pwsh-host/build.sh (needs the .NET SDK; the simulator tests still ran)";
        TestServer::ServerConfig config;
        config.engine = TestServer::EngineKind::Pwsh;
        config.user = u"alice"_s;
        config.password = u"wonderland"_s;
        m_server = std::make_unique<TestServer::LoopbackServer>(config);
        QString error;
        ASSERT_TRUE(m_server->listen(&error)) << error.toStdString();
    }
    CliRun run(const QString &script) const
    {
        return runCli({u"127.0.0.1"_s, u"--port"_s, QString::number(m_server->port()), u"--credential"_s, u"alice"_s,
                       u"--authentication"_s, u"basic"_s, u"--session-option"_s, u"NoEncryption=true"_s, u"--password-stdin"_s, u"--command"_s, script},
                      QByteArrayLiteral("wonderland\n"));
    }

    std::unique_ptr<TestServer::LoopbackServer> m_server;
};

TEST_F(InvokeEndToEndPwsh, ExpressionsTablesAndHostWritesInOrder)
{
    const CliRun r = run(
        u"1+1; 'text'; $Host.UI.Write('a'); $Host.UI.Write('b'); $Host.UI.WriteLine('c'); "
        "function f { [CmdletBinding()] param() $PSCmdlet.WriteInformation("
        "[System.Management.Automation.HostInformationMessage]@{Message='shown'; NoNewLine=$true}, [string[]]@('PSHOST')) }; "
        "f; 'd'; $Host.UI.WriteWarningLine('careful'); $Host.UI.WriteErrorLine('to stderr'); "
        "[pscustomobject]@{Name='a'; Size=1}"_s);
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    // Write-Host's record and the host call that echoes it print once; -NoNewline is honoured.
    EXPECT_EQ(r.out, u"2\ntext\nabc\nshownd\n\nName Size\n---- ----\na       1\n\n"_s);
    // The server colours table headers (PowerShell 7 $PSStyle); not in a pipe.
    EXPECT_FALSE(r.out.contains(u'\x1b'));
    // A warning arrives as a record and as WriteWarningLine: printed once.
    EXPECT_EQ(r.err, u"WARNING: careful\nto stderr\n"_s);
}

TEST_F(InvokeEndToEndPwsh, ListFormattingAndPSVersion)
{
    const CliRun r = run(u"[pscustomobject]@{A=1;B=2;C=3;D=4;E=5}; $PSVersionTable.PSVersion"_s);
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_TRUE(r.out.startsWith(u"\nA : 1\nB : 2\nC : 3\nD : 4\nE : 5\n\n"_s)) << r.out.toStdString();
    EXPECT_TRUE(r.out.contains(QRegularExpression(u"\nMajor +: 7\nMinor +: \\d+\n"_s))) << r.out.toStdString();
    EXPECT_EQ(r.err, QString());
}

TEST_F(InvokeEndToEndPwsh, ErrorRecordsThrowAndRuntimeErrorsExitOne)
{
    // Write-Error is missing here; Get-Command writes a non-terminating error record.
    const CliRun written = run(u"Get-Command nonexistent; 'after'"_s);
    EXPECT_EQ(written.exitCode, int(ExitCode::Failed)) << written.err.toStdString();
    EXPECT_EQ(written.out, u"after\n"_s);
    EXPECT_TRUE(written.err.startsWith(u"Get-Command: The term 'nonexistent' is not recognized"_s))
        << written.err.toStdString();

    const CliRun thrown = run(u"throw 'kaboom'"_s);
    EXPECT_EQ(thrown.exitCode, int(ExitCode::Failed)) << thrown.err.toStdString();
    EXPECT_EQ(thrown.err, u"Exception: kaboom\n"_s);

    const CliRun nullCall = run(u"$null.Foo()"_s);
    EXPECT_EQ(nullCall.exitCode, int(ExitCode::Failed)) << nullCall.err.toStdString();
    EXPECT_EQ(nullCall.err, u"InvalidOperation: You cannot call a method on a null-valued expression.\n"_s);
}

TEST_F(InvokeEndToEndPwsh, ReadLineWithoutATerminalFailsAsNonInteractive)
{
    const CliRun r = run(u"$Host.UI.ReadLine()"_s);
    EXPECT_EQ(r.exitCode, int(ExitCode::Failed)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"non-interactive"_s)) << r.err.toStdString();
    EXPECT_EQ(r.err.count(u'\n'), 1) << r.err.toStdString();
}

TEST_F(InvokeEndToEndPwsh, PromptForChoiceAndPromptOnATerminal)
{
    const QStringList args{u"127.0.0.1"_s, u"--port"_s, QString::number(m_server->port()), u"--credential"_s, u"alice"_s,
                           u"--authentication"_s, u"basic"_s, u"--session-option"_s, u"NoEncryption=true"_s, u"--command"_s,
                           u"$c = [System.Management.Automation.Host.ChoiceDescription[]]@('&Yes', '&No'); "
                           "'choice=' + $Host.UI.PromptForChoice('Continue?', 'Really?', $c, 0); "
                           "$f = [System.Management.Automation.Host.FieldDescription]::new('City'); "
                           "'city=' + $Host.UI.Prompt('Where', 'Tell me', @($f))['City']"_s};
    int answered = 0;
    const TerminalRun r = runCliOnTerminal(args, [&](QProcess &, int master, const QByteArray &, const QByteArray &tty) {
        if (answered == 0 && tty.contains("[Y] Yes  [N] No  (default is \"Y\"): ")) {
            answered = 1;
            type(master, "maybe\n"); // not a choice: asked again
        } else if (answered == 1 && tty.count("[Y] Yes") == 2) {
            answered = 2;
            type(master, "n\n");
        } else if (answered == 2 && tty.contains("City: ")) {
            answered = 3;
            type(master, "Lyon\n");
        }
    });
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString() << r.terminal.toStdString();
    EXPECT_EQ(answered, 3) << r.terminal.toStdString();
    EXPECT_TRUE(r.terminal.contains("Continue?\r\nReally?\r\n")) << r.terminal.toStdString();
    EXPECT_EQ(r.out, QByteArrayLiteral("choice=1\ncity=Lyon\n"));
}

TEST(InvokeOptions, SessionOptionTakesCommaSeparatedPairs)
{
    const Cli::InvokeArguments a =
        parseOk({u"h"_s, u"--credential"_s, u"u"_s, u"--session-option"_s, u"SkipCACheck=true, OperationTimeout=60000"_s, u"--session-option"_s,
                 u"UICulture=de-DE"_s, u"--command"_s, u"x"_s});
    EXPECT_TRUE(a.connection.sessionOption.skipCACheck);
    EXPECT_EQ(a.connection.sessionOption.operationTimeoutMs, 60000);
    EXPECT_EQ(a.connection.sessionOption.uiCulture, u"de-DE"_s); // repeated --session-option still works

    // ApplicationArguments takes the rest of the argument, commas included.
    const Cli::InvokeArguments b = parseOk({u"h"_s, u"--credential"_s, u"u"_s, u"--session-option"_s,
                                            u"NoCompression=true,ApplicationArguments=Tags=a,b,SkipCNCheck=true"_s,
                                            u"--command"_s, u"x"_s});
    EXPECT_TRUE(b.connection.sessionOption.noCompression);
    EXPECT_FALSE(b.connection.sessionOption.skipCNCheck);
    ASSERT_EQ(b.connection.sessionOption.applicationArguments.size(), 1);
    EXPECT_EQ(b.connection.sessionOption.applicationArguments.first(),
              (QPair<QString, QString>{u"Tags"_s, u"a,b,SkipCNCheck=true"_s}));

    EXPECT_EQ(Cli::splitSessionOptions(u"A=1,B=2,applicationarguments=K=v,w"_s),
              (QStringList{u"A=1"_s, u"B=2"_s, u"applicationarguments=K=v,w"_s}));
    EXPECT_EQ(Cli::splitSessionOptions(u"A=1"_s), QStringList{u"A=1"_s});

    const Cli::UsageError e = parseError({u"h"_s, u"--credential"_s, u"u"_s, u"--session-option"_s, u"SkipCACheck=true,OpenTimeout"_s,
                                          u"--command"_s, u"x"_s});
    EXPECT_EQ(e.option, u"--session-option"_s);
    EXPECT_TRUE(e.message.contains(u"'OpenTimeout' is not NAME=VALUE"_s)) << e.message.toStdString();
    EXPECT_TRUE(parseError({u"h"_s, u"--credential"_s, u"u"_s, u"--session-option"_s, u"SkipCACheck=true,,OpenTimeout=1000"_s, u"--command"_s,
                            u"x"_s})
                    .message.contains(u"is not NAME=VALUE"_s));
    EXPECT_TRUE(Cli::invokeHelp().contains(u"NAME=VALUE[,NAME=VALUE...]"_s));
    EXPECT_TRUE(Cli::invokeHelp().contains(u"PSREMOTE_MAX_RETRY_TIME_MS"_s));
}

TEST(InvokeExitCodes, ProxyRefusalSuggestsAnotherSchemeOnlyWhenTheChosenOneIsNotOffered)
{
    Wsman::TransportError e;
    e.kind = Wsman::TransportErrorKind::ProxyAuthenticationFailed;
    e.proxy = u"proxy:3128"_s;
    e.proxyOffered = {u"Basic"_s};
    Cli::FailureContext basic;
    basic.proxyAuthentication = Wsman::ProxyAuthentication::Basic;
    const Cli::Failure refused = Cli::describeTransportError(e, basic); // offered, password wrong
    EXPECT_EQ(refused.code, ExitCode::Authentication);
    EXPECT_FALSE(refused.sentence.contains(u"set --session-option ProxyAuthentication"_s)) << refused.sentence.toStdString();
    EXPECT_TRUE(refused.sentence.contains(u"it offers Basic"_s)) << refused.sentence.toStdString();
    EXPECT_TRUE(refused.sentence.contains(u"ProxyCredential"_s)) << refused.sentence.toStdString();

    Cli::FailureContext negotiate;
    negotiate.proxyAuthentication = Wsman::ProxyAuthentication::Negotiate;
    const Cli::Failure other = Cli::describeTransportError(e, negotiate);
    EXPECT_TRUE(other.sentence.contains(u"it offers Basic, not Negotiate: set --session-option ProxyAuthentication to "
                                        "one of them"_s))
        << other.sentence.toStdString();
}

TEST_F(InvokeEndToEnd, CtrlCWhileConnectingExits130)
{
    // An endpoint that accepts the connection and never answers.
    QTcpServer silent;
    ASSERT_TRUE(silent.listen(QHostAddress::LocalHost, 0));
    QStringList args = httpArgs(u"Write-Output x"_s);
    args[2] = QString::number(silent.serverPort());
    CliTestSupport::CliProcess p(QStringList{u"invoke"_s} + args, CliTestSupport::cliEnvironment({}), password());
    ASSERT_TRUE(CliTestSupport::spinUntil([&] { return silent.hasPendingConnections(); })) << p.err().toStdString();
    p.sendSignal(SIGINT);
    const CliRun r = p.finish(20000);
    EXPECT_EQ(r.exitCode, int(ExitCode::Interrupted)) << r.err.toStdString();
    EXPECT_EQ(r.err, u"psremote-cli invoke: interrupted\n"_s);
    EXPECT_EQ(r.out, QString());
}
