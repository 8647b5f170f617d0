#include "gui/SavedHostStore.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStandardPaths>
#include <QUuid>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

constexpr qint64 MaxFileSize = 16 * 1024 * 1024;

} // namespace

SavedHostStore::SavedHostStore(QString filePath, QObject *parent)
    : QObject(parent), m_filePath(filePath.isEmpty() ? defaultFilePath() : std::move(filePath))
{
}

QString SavedHostStore::defaultFilePath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) + u"/hosts.json"_s;
}

bool SavedHostStore::load()
{
    m_hosts.clear();
    m_loadProblem.clear();
    QFile file(m_filePath);
    if (!file.exists()) {
        Q_EMIT changed();
        return true;
    }
    QString problem;
    QByteArray data;
    if (file.size() > MaxFileSize)
        problem = tr("the file is larger than 16 MiB");
    else if (!file.open(QIODevice::ReadOnly))
        problem = file.errorString();
    else
        data = file.readAll();
    if (problem.isEmpty()) {
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(data, &error);
        if (error.error != QJsonParseError::NoError)
            problem = tr("not valid JSON at offset %1: %2").arg(error.offset).arg(error.errorString());
        else if (!document.isObject())
            problem = tr("not a saved hosts file");
        else {
            QStringList skipped;
            for (const QJsonValue &value : document.object().value(u"hosts"_s).toArray()) {
                QString why;
                std::optional<SavedHost> host = SavedHost::fromJson(value.toObject(), &why);
                if (host && !find(host->id))
                    m_hosts.append(*host);
                else
                    skipped.append(host ? tr("duplicate id %1").arg(host->id) : why);
            }
            if (!skipped.isEmpty())
                problem = tr("%n host(s) could not be read: %1", nullptr, int(skipped.size())).arg(skipped.join(u"; "_s));
        }
    }
    if (!problem.isEmpty()) {
        const QString backup =
            m_filePath + u".broken-"_s + QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss"_s);
        const bool copied = QFile::copy(m_filePath, backup);
        m_loadProblem = copied ? tr("The saved hosts file %1 could not be read completely (%2). A copy was kept as %3.")
                                     .arg(m_filePath, problem, backup)
                               : tr("The saved hosts file %1 could not be read completely (%2), and no copy could "
                                    "be made; it will not be overwritten.")
                                     .arg(m_filePath, problem);
        if (!copied)
            m_filePath.clear(); // never overwrite what could not be backed up
    }
    Q_EMIT changed();
    return problem.isEmpty();
}

std::optional<SavedHost> SavedHostStore::find(QStringView id) const
{
    for (const SavedHost &h : m_hosts)
        if (h.id == id)
            return h;
    return std::nullopt;
}

std::optional<SavedHost> SavedHostStore::findByPath(QStringView path) const
{
    const QString wanted = path.trimmed().toString();
    for (const SavedHost &h : m_hosts)
        if (h.path().compare(wanted, Qt::CaseInsensitive) == 0)
            return h;
    if (wanted.contains(u'/'))
        return std::nullopt;
    std::optional<SavedHost> only;
    for (const SavedHost &h : m_hosts) {
        if (h.name.compare(wanted, Qt::CaseInsensitive) == 0) {
            if (only)
                return std::nullopt; // ambiguous: the folder is needed
            only = h;
        }
    }
    return only;
}

QStringList SavedHostStore::folders() const
{
    QStringList result;
    for (const SavedHost &h : m_hosts) {
        if (h.folder.isEmpty())
            continue;
        const QStringList parts = h.folder.split(u'/');
        for (qsizetype i = 1; i <= parts.size(); ++i) {
            const QString prefix = parts.mid(0, i).join(u'/');
            if (!result.contains(prefix))
                result.append(prefix);
        }
    }
    result.sort(Qt::CaseInsensitive);
    return result;
}

bool SavedHostStore::nameTaken(const QString &folder, const QString &name, QStringView exceptId) const
{
    const QString f = normalizeFolder(folder);
    for (const SavedHost &h : m_hosts)
        if (h.id != exceptId && h.folder.compare(f, Qt::CaseInsensitive) == 0
            && h.name.compare(name.trimmed(), Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

std::optional<QString> SavedHostStore::add(SavedHost &host)
{
    if (host.id.isEmpty() || find(host.id))
        host.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    host.folder = normalizeFolder(host.folder);
    host.name = host.name.trimmed();
    m_hosts.append(host);
    Q_EMIT changed();
    return save();
}

std::optional<QString> SavedHostStore::update(const SavedHost &host)
{
    for (SavedHost &h : m_hosts) {
        if (h.id == host.id) {
            h = host;
            h.folder = normalizeFolder(h.folder);
            h.name = h.name.trimmed();
            Q_EMIT changed();
            return save();
        }
    }
    return tr("no saved host with id %1").arg(host.id);
}

std::optional<SavedHost> SavedHostStore::duplicate(QStringView id, QString *error)
{
    std::optional<SavedHost> original = find(id);
    if (!original)
        return std::nullopt;
    SavedHost copy = *original;
    copy.id.clear();
    copy.rememberPassword = false;
    for (int n = 2;; ++n) {
        copy.name = u"%1 (%2)"_s.arg(original->name).arg(n);
        if (!nameTaken(copy.folder, copy.name))
            break;
    }
    std::optional<QString> saveError = add(copy);
    if (error && saveError)
        *error = *saveError;
    return copy;
}

std::optional<QString> SavedHostStore::remove(QStringView id)
{
    for (qsizetype i = 0; i < m_hosts.size(); ++i) {
        if (m_hosts[i].id == id) {
            m_hosts.removeAt(i);
            Q_EMIT changed();
            return save();
        }
    }
    return tr("no saved host with id %1").arg(id.toString());
}

std::optional<QString> SavedHostStore::move(QStringView id, const QString &folder)
{
    std::optional<SavedHost> host = find(id);
    if (!host)
        return tr("no saved host with id %1").arg(id.toString());
    host->folder = folder;
    return update(*host);
}

std::optional<QString> SavedHostStore::save()
{
    if (m_filePath.isEmpty())
        return tr("the saved hosts file is not written because it could not be backed up after a read error");
    QJsonArray array;
    for (const SavedHost &h : m_hosts)
        array.append(h.toJson());
    const QJsonObject root{{u"version"_s, 1}, {u"hosts"_s, array}};
    if (!QDir().mkpath(QFileInfo(m_filePath).absolutePath()))
        return tr("cannot create the folder of %1").arg(m_filePath);
    QSaveFile file(m_filePath);
    if (!file.open(QIODevice::WriteOnly))
        return tr("cannot write %1: %2").arg(m_filePath, file.errorString());
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return tr("cannot write %1: %2").arg(m_filePath, file.errorString());
    return std::nullopt;
}

} // namespace Gui
