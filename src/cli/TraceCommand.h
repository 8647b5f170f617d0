#pragma once

#include <QStringList>
#include <QTextStream>

namespace Cli {

// `psremote-cli trace ...`: args are the words after "trace", e.g. {"decode", "--json", "x.jsonl"}.
// Returns the exit code: 0 ok, 1 malformed trace leg(s), 2 usage error.
int runTraceCommand(const QStringList &args, QTextStream &out, QTextStream &err);

// The usage text of `psremote-cli trace`.
QString traceUsage();

} // namespace Cli
