#pragma once

#include <QString>
#include <QStringList>
#include <QTextStream>

namespace Cli {

// `psremote-cli trusted-hosts list | add PATTERN... | remove PATTERN...`: the TrustedHosts list
// (wsman/TrustedHosts.h) shared with the GUI. Returns the ExitCode as int.
int runTrustedHostsCommand(const QStringList &arguments, QTextStream &out, QTextStream &err);

QString trustedHostsHelp();

} // namespace Cli
