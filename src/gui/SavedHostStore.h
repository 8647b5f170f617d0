#pragma once

#include "gui/SavedHost.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QStringView>

#include <optional>

namespace Gui {

// The user's saved hosts in one JSON file (default: AppConfigLocation/hosts.json), rewritten
// atomically (QSaveFile) after every change. A file that does not parse is never overwritten
// before it was copied aside (hosts.json.broken-<time>); loadProblem() then says where. Owned by
// the main window (or a test); no secrets ever reach the file.
class SavedHostStore : public QObject {
    Q_OBJECT
public:
    explicit SavedHostStore(QString filePath = {}, QObject *parent = nullptr);

    static QString defaultFilePath();
    const QString &filePath() const { return m_filePath; }

    // Reads the file (absent: no hosts). False on a parse problem: the hosts that could be read
    // are kept, the file was copied aside, loadProblem() explains.
    bool load();
    const QString &loadProblem() const { return m_loadProblem; }

    const QList<SavedHost> &hosts() const { return m_hosts; }
    std::optional<SavedHost> find(QStringView id) const;
    // "Name" (top level first, then a unique name anywhere) or "Folder/Name"; case-insensitive.
    std::optional<SavedHost> findByPath(QStringView path) const;
    QStringList folders() const;

    // Each change is saved at once; the error text when the file cannot be written (the change
    // is then kept in memory only). add() gives a host without id a new one.
    std::optional<QString> add(SavedHost &host);
    std::optional<QString> update(const SavedHost &host);
    // A copy named "Name (2)" ... in the same folder, with a new id (and no remembered password:
    // the keychain item belongs to the original). nullopt id when `id` is unknown.
    std::optional<SavedHost> duplicate(QStringView id, QString *error = nullptr);
    std::optional<QString> remove(QStringView id);
    std::optional<QString> move(QStringView id, const QString &folder);

    // Whether another host (not `exceptId`) already has this folder and name.
    bool nameTaken(const QString &folder, const QString &name, QStringView exceptId = {}) const;

    // Writes the file now; the error text on failure.
    std::optional<QString> save();

Q_SIGNALS:
    void changed();

private:
    QString m_filePath;
    QString m_loadProblem;
    QList<SavedHost> m_hosts;
};

} // namespace Gui
