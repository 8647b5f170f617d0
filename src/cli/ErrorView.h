#pragma once

#include "cli/CliApp.h"

#include "psrp/Payloads.h"
#include "wsman/Channel.h"
#include "wsman/Fault.h"

#include <QString>

namespace Cli {

struct ErrorViewOptions {
    bool color = false; // PowerShell's $PSStyle.Formatting.Error / ErrorAccent / Reset
    int width = 120;    // window width for wrapping a message under a "Line |" block
};

// An ErrorRecord as PowerShell 7 prints it with $ErrorView = 'ConciseView' (the ErrorRecord view
// of PowerShellCore_format_ps1xml.cs): "Write-Error: message", "Exception: message" for a throw,
// a "Line |" block when the InvocationInfo names a script or a line after the first, and
// "  Recommendation: ..." from ErrorDetails. No trailing newline.
QString conciseErrorView(const Psrp::ErrorRecord &record, const ErrorViewOptions &options = {});

// ErrorCategory's names (System.Management.Automation.ErrorCategory), "NotSpecified" for unknown values.
QString errorCategoryName(qint32 category);

// What a failed connection or operation means for the user: the exit code and ONE line for
// stderr saying what happened and what to try. Never contains a secret.
struct Failure {
    ExitCode code = ExitCode::Protocol;
    QString sentence;
};

Failure describeFault(const Wsman::Fault &fault);
// A 500 carrying a SOAP fault is described as that fault.
Failure describeTransportError(const Wsman::TransportError &error);

} // namespace Cli
