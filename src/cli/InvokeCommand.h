#pragma once

#include "cli/ConnectionOptions.h"

#include "psrp/Payloads.h"
#include "psrp/Value.h"

#include <QList>
#include <QString>
#include <QStringView>
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

// How the server formats invoke's output: `| Out-String -Stream` (output arrives as strings) or,
// where Out-String is missing (System.Management.Automation alone, JEA), `| Out-Default` (the
// text arrives as host Write/WriteLine calls, as in Enter-PSSession).
enum class OutputFormatting { OutString, OutDefault };

// The choice from the GET_COMMAND_METADATA reply for Out-String (final state + outputs):
// OutDefault on evidence that Out-String is absent (a zero count, or a failed metadata pipeline,
// whose Measure-Object comes from the same module), else OutString.
OutputFormatting formattingFromMetadata(Psrp::PSInvocationState state, const QList<Psrp::Value> &replies);

// `text` without terminal control sequences (CSI such as SGR colours, OSC, two-character
// escapes): server-side formatting of PowerShell 7 colours its text, which does not belong in a
// file or pipe.
QString stripTerminalSequences(QStringView text);

// `psremote-cli invoke ...`: runs the script remotely, output to `out`, error records and
// warnings to `err`; reads the process's stdin (password / script) and terminal. Returns the
// ExitCode as int.
int runInvokeCommand(const QStringList &arguments, QTextStream &out, QTextStream &err);

} // namespace Cli
