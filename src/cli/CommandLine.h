#pragma once

#include "cli/CliApp.h"
#include "cli/ConnectionOptions.h"

#include <QString>
#include <QStringList>
#include <QTextStream>

#include <functional>
#include <optional>
#include <variant>

namespace Cli {

// The argument scaffolding shared by the commands taking connection options (`invoke`, `enter`,
// `sessions`): plain functions over the argument list.

// "--name" of "--name=value"; any other argument as it is.
QString optionName(const QString &argument);

// The value of the option at arguments[index] ("--name VALUE" or "--name=VALUE"), index moved
// past it; nullopt (index unchanged) when "--name" is the last argument.
std::optional<QString> takeOptionValue(const QStringList &arguments, qsizetype &index);

// A command's own options: reads the option at arguments[index] like ConnectionOptions::consume.
using OwnOptionParser = std::function<ConnectionOptions::Consumed(const QStringList &arguments, qsizetype &index,
                                                                  UsageError &error)>;

// The loop: --help / -h (sets `help` and stops), the command's own options, the connection
// options; anything else is "unknown option '...'; see `psremote-cli <command> --help`". Then,
// unless `help`: the command's own check of the whole (`check`, may be empty) and
// connection.validate().
std::optional<UsageError> parseCommandArguments(const QString &command, const QStringList &arguments,
                                                ConnectionOptions &connection, bool &help, const OwnOptionParser &own,
                                                const std::function<std::optional<UsageError>()> &check = {});

// The start of a command run: a usage error is printed as "psremote-cli <command>: message"
// (exit code 2 returned), --help prints `help()` (0 returned); otherwise the arguments.
template <typename Arguments>
std::variant<Arguments, int> startCommand(const QString &command, std::variant<Arguments, UsageError> parsed,
                                          QString (*help)(), QTextStream &out, QTextStream &err)
{
    if (const auto *e = std::get_if<UsageError>(&parsed)) {
        err << "psremote-cli " << command << ": " << e->message << '\n';
        return int(ExitCode::Usage);
    }
    Arguments arguments = std::get<Arguments>(std::move(parsed));
    if (arguments.help) {
        out << help();
        return int(ExitCode::Success);
    }
    return arguments;
}

} // namespace Cli
