#pragma once

#include "cli/ConnectionOptions.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace Gui {

// `psremote [connection options of psremote-cli] HOST`, `psremote --saved-host NAME|Folder/Name`,
// `psremote --loopback-demo PORT`, `psremote --new-connection`, `--version`, `--help`. Qt's own options (-platform, -style, ...) are skipped. A value type.
struct CommandLine {
    enum class Action { Open, Version, Help, Error };
    Action action = Action::Open;
    std::optional<Cli::ConnectionOptions> connection; // HOST or --connection-uri given
    QString savedHost;
    // --loopback-demo PORT (installer/run.sh): the "Loopback demo" saved host, added if absent.
    quint16 loopbackDemoPort = 0;
    QString error; // Action::Error: one line naming the option
    // --new-connection (the desktop file's "New Connection" action): the connection dialog opens.
    bool newConnection = false;

    // `arguments` without the program name.
    static CommandLine parse(const QStringList &arguments);
    static QString helpText();
};

} // namespace Gui
