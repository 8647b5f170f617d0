#include "gui/CommandLine.h"

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

// QGuiApplication's options that take a value (QApplication removes them from argv itself).
bool isQtOptionWithValue(const QString &arg)
{
    static const QStringList names = {u"-platform"_s,     u"-platformpluginpath"_s, u"-platformtheme"_s,
                                      u"-plugin"_s,       u"-qwindowgeometry"_s,    u"-qwindowicon"_s,
                                      u"-qwindowtitle"_s, u"-style"_s,              u"-stylesheet"_s,
                                      u"-display"_s,      u"-geometry"_s,           u"-title"_s};
    return names.contains(arg);
}

CommandLine failure(const QString &message)
{
    CommandLine result;
    result.action = CommandLine::Action::Error;
    result.error = message;
    return result;
}

} // namespace

CommandLine CommandLine::parse(const QStringList &arguments)
{
    CommandLine result;
    Cli::ConnectionOptions options;
    bool anyConnectionOption = false;
    for (qsizetype i = 0; i < arguments.size();) {
        const QString &arg = arguments.at(i);
        if (arg == u"--version")
            return CommandLine{Action::Version, {}, {}, 0, {}};
        if (arg == u"--help" || arg == u"-h")
            return CommandLine{Action::Help, {}, {}, 0, {}};
        if (arg.startsWith(u'-') && !arg.startsWith(u"--")) {
            // Qt's single-dash options: QApplication handles them.
            i += isQtOptionWithValue(arg) ? 2 : 1;
            continue;
        }
        if (arg == u"--saved-host" || arg.startsWith(u"--saved-host=")) {
            QString value;
            if (arg.contains(u'=')) {
                value = arg.mid(arg.indexOf(u'=') + 1);
                ++i;
            } else if (i + 1 < arguments.size()) {
                value = arguments.at(i + 1);
                i += 2;
            } else {
                return failure(u"--saved-host needs a name (NAME or Folder/Name)"_s);
            }
            if (value.trimmed().isEmpty())
                return failure(u"--saved-host needs a name (NAME or Folder/Name)"_s);
            result.savedHost = value.trimmed();
            continue;
        }
        if (arg == u"--loopback-demo") {
            bool ok = false;
            const uint port = i + 1 < arguments.size() ? arguments.at(i + 1).toUInt(&ok) : 0;
            if (!ok || port == 0 || port > 65535)
                return failure(u"--loopback-demo needs the endpoint's TCP port (1-65535)"_s);
            result.loopbackDemoPort = static_cast<quint16>(port);
            i += 2;
            continue;
        }
        if (arg == u"--new-connection") {
            result.newConnection = true;
            ++i;
            continue;
        }
        if (arg == u"--password-stdin")
            return failure(u"--password-stdin: the application asks for the password (or takes it from the "
                           "keychain); use psremote-cli for scripts"_s);
        Cli::UsageError error;
        switch (options.consume(arguments, i, error)) {
        case Cli::ConnectionOptions::Consumed::Yes:
            anyConnectionOption = true;
            continue;
        case Cli::ConnectionOptions::Consumed::Error:
            return failure(error.message);
        case Cli::ConnectionOptions::Consumed::No:
            return failure(u"unknown option '%1'; see `psremote --help`"_s.arg(arg));
        }
    }
    if (result.loopbackDemoPort != 0 && (anyConnectionOption || !result.savedHost.isEmpty()))
        return failure(u"--loopback-demo cannot be combined with --saved-host, HOST or connection options"_s);
    if (result.newConnection && (anyConnectionOption || !result.savedHost.isEmpty() || result.loopbackDemoPort != 0))
        return failure(u"--new-connection opens the connection dialog; it cannot be combined with HOST, "
                       "--saved-host or connection options"_s);
    if (anyConnectionOption && !result.savedHost.isEmpty())
        return failure(u"--saved-host cannot be combined with HOST or connection options"_s);
    if (anyConnectionOption) {
        if (auto e = options.validate())
            return failure(e->message);
        result.connection = std::move(options);
    }
    return result;
}

QString CommandLine::helpText()
{
    return u"Usage: psremote [connection options] HOST\n"
           "       psremote --saved-host NAME|Folder/Name\n"
           "       psremote --loopback-demo PORT\n"
           "       psremote --new-connection\n"
           "       psremote [--version | --help]\n"
           "\n"
           "PSRemote: PowerShell remoting (WinRM) consoles in tabs. Without arguments the main\n"
           "window opens with the saved hosts; with HOST or --saved-host a console tab opens and\n"
           "connects at once. The password is taken from the keychain (saved hosts that remember\n"
           "it) or asked for in a dialog.\n"
           "\n"
           "  --saved-host NAME           Connect to a saved host (NAME, or Folder/Name when the\n"
           "                              name is not unique). Unknown: exit code 2.\n"
           "  --loopback-demo PORT        Connect to the loopback test endpoint on 127.0.0.1:PORT\n"
           "                              through the saved host \"Loopback demo\" (added when\n"
           "                              absent; other saved hosts are never touched). Password:\n"
           "                              $PSREMOTE_DEMO_PASSWORD (installer/run.sh), else asked.\n"
           "  --new-connection            Open the main window with the connection dialog.\n"
           "  --version                   Print `psremote X.Y.Z` and exit.\n"
           "  --help                      Print this text and exit.\n"
           "\n"_s
        + Cli::ConnectionOptions::helpText();
}

} // namespace Gui
