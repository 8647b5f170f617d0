#pragma once

#include <QString>
#include <QStringList>
#include <QTextStream>

namespace Cli {

// `psremote-cli certificate import FILE [--name N] | list | remove THUMBPRINT | remove --pin HOST:PORT`:
// manages the client certificate store and the server certificate pins (wsman/CertificateStore.h)
// shared with the GUI. Returns the ExitCode as int.
int runCertificateCommand(const QStringList &arguments, QTextStream &out, QTextStream &err);

QString certificateHelp();

} // namespace Cli
