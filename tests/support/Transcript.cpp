#include "Transcript.h"

#include "SharedData.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>

namespace TestSupport {

namespace {

qsizetype indentOf(const QString &line)
{
    qsizetype i = 0;
    while (i < line.size() && line[i] == u' ')
        ++i;
    return i;
}

// Folds the continuation lines of a YAML flow scalar into one string (a line break becomes one
// space) and, for a single-quoted scalar, removes the quotes and undoubles ''.
std::optional<QString> foldScalar(QStringList parts)
{
    QString text = parts.join(u' ');
    if (text == u"null" || text == u"~")
        return QString();
    if (!text.startsWith(u'\''))
        return text;
    if (text.size() < 2 || !text.endsWith(u'\''))
        return std::nullopt;
    text = text.mid(1, text.size() - 2);
    text.replace(QStringLiteral("''"), QStringLiteral("'"));
    return text;
}

} // namespace

std::optional<Transcript> loadTranscript(const QString &path, QString *error)
{
    auto fail = [&](int line, const QString &what) -> std::optional<Transcript> {
        if (error)
            *error = QStringLiteral("%1:%2: %3").arg(path).arg(line).arg(what);
        return std::nullopt;
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(0, QStringLiteral("cannot open: %1").arg(file.errorString()));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');

    Transcript transcript;
    transcript.fileName = QFileInfo(path).fileName();
    static const QRegularExpression keyLine(QStringLiteral("^(- |  )([A-Za-z_]+):(?: (.*))?$"));

    bool inMessages = false;
    QString currentKey;     // request / response while collecting a scalar, else empty
    QStringList currentParts;
    int currentLine = 0;

    auto flush = [&]() -> bool {
        if (currentKey.isEmpty())
            return true;
        std::optional<QString> value = foldScalar(currentParts);
        if (!value)
            return false;
        if (currentKey == u"request")
            transcript.exchanges.last().request = *value;
        else
            transcript.exchanges.last().response = *value;
        currentKey.clear();
        currentParts.clear();
        return true;
    };

    for (int i = 0; i < lines.size(); ++i) {
        QString line = lines[i];
        if (line.endsWith(u'\r'))
            line.chop(1);
        const QString trimmed = line.trimmed();
        if (trimmed.isEmpty())
            continue;
        if (trimmed.startsWith(u'#')) { // a comment line also ends a plain scalar
            if (!flush())
                return fail(currentLine, QStringLiteral("unterminated quoted scalar"));
            continue;
        }
        if (!inMessages) {
            if (line == u"messages:") {
                inMessages = true;
                continue;
            }
            return fail(i + 1, QStringLiteral("expected 'messages:'"));
        }
        const QRegularExpressionMatch m = keyLine.match(line);
        if (m.hasMatch()) {
            if (!flush())
                return fail(currentLine, QStringLiteral("unterminated quoted scalar"));
            const QString key = m.captured(2);
            if (m.captured(1) == u"- ") {
                if (key != u"request")
                    return fail(i + 1, QStringLiteral("list item does not start with request"));
                transcript.exchanges.append(TranscriptExchange{{}, {}, i + 1});
            } else if (transcript.exchanges.isEmpty()) {
                return fail(i + 1, QStringLiteral("key before the first list item"));
            }
            if (key == u"request" || key == u"response") {
                currentKey = key;
                currentLine = i + 1;
                currentParts = QStringList{m.captured(3)};
            }
            continue; // other keys and their nested lines belong to the replay harness
        }
        if (!currentKey.isEmpty() && indentOf(line) > 2) {
            currentParts.append(trimmed);
            continue;
        }
        if (indentOf(line) >= 2)
            continue; // nested value of a harness key (e.g. the `  - path:` items of `overrides:`)
        return fail(i + 1, QStringLiteral("unexpected line"));
    }
    if (!flush())
        return fail(currentLine, QStringLiteral("unterminated quoted scalar"));
    return transcript;
}

QStringList windowsTranscriptFiles()
{
    const QString dir = windowsTranscriptsDir();
    if (dir.isEmpty())
        return {};
    QStringList result;
    const QStringList names = QDir(dir).entryList({QStringLiteral("*.yml")}, QDir::Files, QDir::Name);
    for (const QString &name : names)
        result.append(dir + u'/' + name);
    return result;
}

} // namespace TestSupport
