#pragma once

#include "cli/ConnectionOptions.h"

#include <QString>
#include <QStringList>
#include <QTextStream>

#include <optional>
#include <variant>

namespace Cli {

// `psremote-cli invoke` arguments: connection options plus exactly one script source.
struct InvokeArguments {
    enum class Source { Command, File, Stdin };
    ConnectionOptions connection;
    Source source = Source::Command;
    QString script; // --command TEXT, or the --file path
    bool help = false;
};

// Parses `invoke`'s arguments (argv after "invoke"). HOST may stand anywhere.
std::variant<InvokeArguments, UsageError> parseInvokeArguments(const QStringList &arguments);

QString invokeHelp();

// `psremote-cli invoke ...`: runs the script remotely, output to `out`, error records and
// warnings to `err`; reads the process's stdin (password / script) and terminal. Returns the
// ExitCode as int.
int runInvokeCommand(const QStringList &arguments, QTextStream &out, QTextStream &err);

} // namespace Cli
