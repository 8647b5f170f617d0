#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace Session {

// Local command history of one host: the lines given to InteractiveSession::runLine (never what
// was typed into a prompt, which it never sees), bounded, consecutive duplicates dropped,
// persisted as one UTF-8 file per host (one line per entry, newlines escaped) under a directory
// the caller gives (default: QStandardPaths AppDataLocation/history). A value owned by its user;
// load() / save() are the only file I/O and are explicit.
class CommandHistory {
public:
    static constexpr qsizetype DefaultLimit = 4096;

    // `host` is the key (computer name or URI); it is made safe for a file name.
    explicit CommandHistory(QString host, QString directory = {}, qsizetype limit = DefaultLimit);

    static QString defaultDirectory();
    QString filePath() const;

    // Reads the file (missing file: empty history); false with *error on a read failure.
    bool load(QString *error = nullptr);
    // Writes the file atomically (QSaveFile), mode 0600; false with *error on failure.
    bool save(QString *error = nullptr) const;

    // Adds a line (ignored when blank or equal to the last entry); drops the oldest past the limit.
    void add(const QString &line);
    void clear() { m_entries.clear(); }
    const QStringList &entries() const { return m_entries; }
    qsizetype size() const { return m_entries.size(); }

    // Ctrl+R: the newest entry containing `text` (case-insensitive) strictly older than index
    // `before` (default: search from the newest); nullopt when none. Returns the index.
    std::optional<qsizetype> searchBackward(const QString &text, std::optional<qsizetype> before = std::nullopt) const;
    // Every entry containing `text`, newest first, without duplicates.
    QStringList search(const QString &text) const;

private:
    QString m_host;
    QString m_directory;
    qsizetype m_limit;
    QStringList m_entries; // oldest first
};

} // namespace Session
