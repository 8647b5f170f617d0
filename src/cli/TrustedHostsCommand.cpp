#include "cli/TrustedHostsCommand.h"

#include "cli/CliApp.h"

#include "wsman/TrustedHosts.h"

using namespace Qt::Literals::StringLiterals;

namespace Cli {

QString trustedHostsHelp()
{
    return u"Usage: psremote-cli trusted-hosts list\n"
           "       psremote-cli trusted-hosts add PATTERN...\n"
           "       psremote-cli trusted-hosts remove PATTERN...\n"
           "\n"
           "The TrustedHosts list shared with the PSRemote application: hosts you accept sending\n"
           "NTLM or Basic credentials to over plain HTTP, where the server cannot be\n"
           "authenticated. PATTERN: a name or address, *.domain, prefix*, <local> (names\n"
           "without a dot) or * (every host). Loopback is always trusted.\n"_s;
}

int runTrustedHostsCommand(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    const QString verb = arguments.value(0);
    if (verb == u"--help" || verb == u"-h" || arguments.contains(u"--help"_s)) {
        out << trustedHostsHelp();
        return int(ExitCode::Success);
    }
    Wsman::TrustedHosts trusted = Wsman::TrustedHosts::load();
    if (verb == u"list" && arguments.size() == 1) {
        out << "TrustedHosts (" << Wsman::sharedSettingsFilePath() << "):\n";
        if (trusted.patterns().isEmpty())
            out << "  (none; loopback is always trusted)\n";
        for (const QString &pattern : trusted.patterns())
            out << "  " << pattern << '\n';
        return int(ExitCode::Success);
    }
    if ((verb == u"add" || verb == u"remove") && arguments.size() > 1) {
        for (const QString &pattern : arguments.mid(1)) {
            if (verb == u"add") {
                if (auto problem = Wsman::TrustedHosts::checkPattern(pattern)) {
                    err << "psremote-cli trusted-hosts add: " << *problem << '\n';
                    return int(ExitCode::Usage);
                }
                trusted.add(pattern);
            } else if (!trusted.remove(pattern)) {
                err << "psremote-cli trusted-hosts remove: '" << pattern << "' is not in the list\n";
                return int(ExitCode::Failed);
            }
        }
        if (!trusted.save()) {
            err << "psremote-cli trusted-hosts: cannot write " << Wsman::sharedSettingsFilePath() << '\n';
            return int(ExitCode::Failed);
        }
        out << "TrustedHosts: " << (trusted.patterns().isEmpty() ? u"(none)"_s : trusted.toString()) << '\n';
        return int(ExitCode::Success);
    }
    err << "psremote-cli trusted-hosts: give list, add PATTERN... or remove PATTERN...; see "
           "`psremote-cli trusted-hosts --help`\n";
    return int(ExitCode::Usage);
}

} // namespace Cli
