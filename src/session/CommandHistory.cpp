#include "session/CommandHistory.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QSet>
#include <QStandardPaths>

using namespace Qt::Literals::StringLiterals;

namespace Session {

namespace {

// Newlines and backslashes escaped so a multi-line command stays one line of the file.
QString escapeLine(const QString &line)
{
    QString out;
    out.reserve(line.size());
    for (QChar c : line) {
        if (c == u'\\')
            out += u"\\\\"_s;
        else if (c == u'\n')
            out += u"\\n"_s;
        else if (c == u'\r')
            out += u"\\r"_s;
        else
            out += c;
    }
    return out;
}

QString unescapeLine(QStringView line)
{
    QString out;
    out.reserve(line.size());
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (c == u'\\' && i + 1 < line.size()) {
            const QChar n = line[++i];
            out += n == u'n' ? QChar(u'\n') : n == u'r' ? QChar(u'\r') : n;
        } else {
            out += c;
        }
    }
    return out;
}

QString safeFileName(const QString &host)
{
    QString name;
    for (QChar c : host.toLower())
        name += (c.isLetterOrNumber() || c == u'.' || c == u'-' || c == u'_') ? c : QChar(u'_');
    if (name.isEmpty() || name.startsWith(u'.'))
        name.prepend(u"host"_s);
    return name + u".history"_s;
}

} // namespace

CommandHistory::CommandHistory(QString host, QString directory, qsizetype limit)
    : m_host(std::move(host)), m_directory(directory.isEmpty() ? defaultDirectory() : std::move(directory)),
      m_limit(qMax<qsizetype>(1, limit))
{
}

QString CommandHistory::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/history"_s;
}

QString CommandHistory::filePath() const
{
    return QDir(m_directory).filePath(safeFileName(m_host));
}

bool CommandHistory::load(QString *error)
{
    m_entries.clear();
    QFile file(filePath());
    if (!file.exists())
        return true;
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    while (!file.atEnd()) {
        QByteArray raw = file.readLine(64 * 1024);
        if (raw.endsWith('\n'))
            raw.chop(1);
        add(unescapeLine(QString::fromUtf8(raw)));
    }
    return true;
}

bool CommandHistory::save(QString *error) const
{
    if (!QDir().mkpath(m_directory)) {
        if (error)
            *error = u"cannot create "_s + m_directory;
        return false;
    }
    QSaveFile file(filePath());
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    for (const QString &line : m_entries)
        file.write(escapeLine(line).toUtf8() + '\n');
    if (!file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

void CommandHistory::add(const QString &line)
{
    if (line.trimmed().isEmpty() || (!m_entries.isEmpty() && m_entries.constLast() == line))
        return;
    m_entries.append(line);
    if (m_entries.size() > m_limit)
        m_entries.remove(0, m_entries.size() - m_limit);
}

std::optional<qsizetype> CommandHistory::searchBackward(const QString &text, std::optional<qsizetype> before) const
{
    qsizetype i = qMin(before.value_or(m_entries.size()), m_entries.size()) - 1;
    for (; i >= 0; --i)
        if (m_entries.at(i).contains(text, Qt::CaseInsensitive))
            return i;
    return std::nullopt;
}

QStringList CommandHistory::search(const QString &text) const
{
    QStringList out;
    QSet<QString> seen;
    for (qsizetype i = m_entries.size() - 1; i >= 0; --i) {
        const QString &e = m_entries.at(i);
        if (e.contains(text, Qt::CaseInsensitive) && !seen.contains(e)) {
            seen.insert(e);
            out.append(e);
        }
    }
    return out;
}

} // namespace Session
