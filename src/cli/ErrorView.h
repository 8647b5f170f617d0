#pragma once

#include "cli/CliApp.h"

#include "psrp/Payloads.h"
#include "wsman/Channel.h"
#include "wsman/Fault.h"
#include "wsman/SessionOption.h"

#include <QString>

#include <optional>

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

// What the command chose, against which some failures are explained.
struct FailureContext {
    bool clientCertificate = false; // authenticated with --certificate-thumbprint
    // The ProxyAuthentication session option in use (a 407 suggests another scheme only when
    // the proxy does not offer this one); nullopt: unknown.
    std::optional<Wsman::ProxyAuthentication> proxyAuthentication;
};

Failure describeFault(const Wsman::Fault &fault);
// A 500 carrying a SOAP fault is described as that fault.
Failure describeTransportError(const Wsman::TransportError &error, const FailureContext &context = {});

} // namespace Cli
