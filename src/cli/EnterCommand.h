#pragma once

#include "cli/ConnectionOptions.h"

#include <QStringList>
#include <QTextStream>
#include <QUuid>

#include <variant>

namespace Cli {

// `psremote-cli enter` arguments: the connection options (a bare HOST is --computer-name, as
// Enter-PSSession's first positional parameter), optionally the shell to reconnect to.
struct EnterArguments {
    ConnectionOptions connection;
    QUuid instanceId; // --instance-id: a disconnected session the server keeps
    bool help = false;
};

std::variant<EnterArguments, UsageError> parseEnterArguments(const QStringList &arguments);

QString enterHelp();

// `psremote-cli enter ...`: Enter-PSSession in the terminal (or a transcript of stdin's lines
// when stdin is not one). Returns the ExitCode as int: 0 at `exit` or end of input, invoke's
// codes when the session cannot open or breaks, 130 on a third Ctrl+C.
int runEnterCommand(const QStringList &arguments, QTextStream &out, QTextStream &err);

} // namespace Cli
