#pragma once

#include <QStringList>
#include <QTextStream>

namespace Cli {

// Process exit codes, the same for every subcommand.
enum class ExitCode : int {
    Success = 0,
    Failed = 1,         // the pipeline failed or wrote errors; a malformed trace
    Usage = 2,          // wrong options or arguments
    CannotConnect = 3,  // name resolution, refused, unreachable, timed out
    Tls = 4,            // TLS failure
    Authentication = 5, // authentication failed, or an insecure choice was refused
    Protocol = 6,       // a WS-Management fault or a protocol error
    Interrupted = 130,
};

// Runs psremote-cli with `arguments` (argv without the program name), writing to the given
// streams. Returns the process exit code. Testable in-process.
int runCli(const QStringList &arguments, QTextStream &out, QTextStream &err);

// The top-level usage text.
QString usage();

} // namespace Cli
