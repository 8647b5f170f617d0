#include "SharedData.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace TestSupport {

QString sharedDir()
{
    const QString dir = QDir::cleanPath(QStringLiteral(PSREMOTE_SOURCE_DIR "/../shared"));
    return QFileInfo(dir + QStringLiteral("/transcripts")).isDir() ? dir : QString();
}

QString windowsTranscriptsDir()
{
    const QString shared = sharedDir();
    return shared.isEmpty() ? QString() : shared + QStringLiteral("/transcripts/windows");
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

} // namespace TestSupport
