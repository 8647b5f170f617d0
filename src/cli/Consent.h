#pragma once

#include "wsman/ConnectionInfo.h"

#include <QByteArray>
#include <QSslCertificate>
#include <QSslError>
#include <QString>

namespace Cli {

enum class ConsentAnswer { Yes, No, NoTerminal };

// Asks a yes/no question on the terminal at `terminalPath` (echo on) and reads one line;
// "y"/"yes" (any case) is Yes, anything else No. NoTerminal when it cannot be opened.
ConsentAnswer askYesNo(const QByteArray &terminalPath, const QString &question);

// Why sending credentials to `target` over plain HTTP needs consent (TrustedHosts rule), and
// how to give it; several lines, no trailing newline.
QString trustedHostExplanation(Wsman::AuthenticationMechanism mechanism, const Wsman::ConnectionTarget &target);

// Subject, issuer, validity and SHA-256 of a server certificate, one indented line each.
QString certificateDetails(const QSslCertificate &certificate);

} // namespace Cli
