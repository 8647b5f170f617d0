#include "cli/CliApp.h"

#include "cli/CertificateCommand.h"
#include "cli/EnterCommand.h"
#include "cli/InvokeCommand.h"
#include "cli/SessionsCommand.h"
#include "cli/TraceCommand.h"
#include "cli/TrustedHostsCommand.h"

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

struct Command {
    QString name;
    QString summary;
    int (*run)(const QStringList &, QTextStream &, QTextStream &);
};

const QList<Command> &commands()
{
    static const QList<Command> list{
        {u"invoke"_s, u"Run a script remotely: `invoke [connection options] (--command TEXT | --file SCRIPT | -)`"_s,
         &runInvokeCommand},
        {u"enter"_s, u"An interactive session (Enter-PSSession): `enter [connection options] HOST`"_s, &runEnterCommand},
        {u"sessions"_s, u"The disconnected sessions a server keeps for you (Get-PSSession -ComputerName): `sessions [connection options] HOST`"_s,
         &runSessionsCommand},
        {u"certificate"_s, u"Client certificates and server certificate pins: `certificate import FILE | list | remove`"_s,
         &runCertificateCommand},
        {u"trusted-hosts"_s, u"Hosts trusted for NTLM/Basic over HTTP: `trusted-hosts list | add PATTERN | remove PATTERN`"_s,
         &runTrustedHostsCommand},
        {u"trace"_s, u"Read WS-Management traces: `trace decode [--json] [--roundtrip] FILE`"_s,
         &runTraceCommand},
    };
    return list;
}

} // namespace

QString usage()
{
    QString text = u"Usage: psremote-cli [--version] [--help] COMMAND [OPTIONS]\n"
                   "\n"
                   "PSRemote's command-line client for PowerShell remoting over WinRM.\n"
                   "\n"
                   "Options:\n"
                   "  --version   Print the version (psremote-cli X.Y.Z) and exit.\n"
                   "  --help, -h  Print this help and exit.\n"
                   "\n"
                   "Commands:\n"_s;
    for (const Command &c : commands())
        text += u"  "_s + c.name.leftJustified(14) + c.summary + u'\n';
    text += u"\nRun `psremote-cli COMMAND --help` for the options of a command.\n"
            "Exit codes: 0 success, 1 failed or wrote errors, 2 usage error, 3 cannot connect,\n"
            "4 TLS failure, 5 authentication failed or insecure choice refused, 6 WS-Management\n"
            "fault or protocol error, 130 interrupted.\n"_s;
    return text;
}

int runCli(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    if (arguments.isEmpty()) {
        err << "psremote-cli: no command given. Try `psremote-cli --help`.\n";
        return int(ExitCode::Usage);
    }
    const QString &first = arguments.first();
    if (first == u"--version") {
        out << "psremote-cli " << PSREMOTE_VERSION << '\n';
        return int(ExitCode::Success);
    }
    if (first == u"--help" || first == u"-h" || first == u"help") {
        out << usage();
        return int(ExitCode::Success);
    }
    for (const Command &c : commands()) {
        if (c.name == first)
            return c.run(arguments.mid(1), out, err);
    }
    err << "psremote-cli: unknown command or option '" << first
        << "'. Try `psremote-cli --help` for the list of commands.\n";
    return int(ExitCode::Usage);
}

} // namespace Cli
