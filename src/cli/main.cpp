#include "cli/CliApp.h"

#include <QCoreApplication>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("psremote-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PSREMOTE_VERSION));
    QTextStream out(stdout);
    QTextStream err(stderr);
    const int code = Cli::runCli(QCoreApplication::arguments().mid(1), out, err);
    out.flush();
    err.flush();
    return code;
}
