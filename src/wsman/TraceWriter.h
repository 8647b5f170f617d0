#pragma once

#include "wsman/TraceDecoder.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QFile>
#include <QString>

#include <map>

namespace Wsman {

// Replaces the content of every <SS> element inside the PSRP messages of SOAP bodies.
// Strategy: fragments are buffered per direction and ObjectId until their message is complete;
// the complete message is masked and written, re-fragmented as one S+E fragment, in the leg that
// completed it (where TraceDecoder attributes it too). Fragments of a still-incomplete message
// are removed from the legs that carried them, so an SS spanning legs is never written in
// clear; messages never completed are never written. Unparsable payloads are dropped.
class SecureStringMasker {
public:
    static constexpr QLatin1StringView Marker{"*** secure string removed ***"};

    explicit SecureStringMasker(qsizetype maxMessageSize = 200 * 1024 * 1024);
    // The SOAP body with its payloads rewritten; a body that is not XML is replaced by a comment.
    QString maskLeg(LegDirection direction, const QString &body);
    // Masks the <SS> contents of one encoded PSRP message (header + CLIXML).
    static QByteArray maskMessage(const QByteArray &message, int *masked = nullptr);

    int maskedCount() const { return m_masked; }
    qsizetype pendingMessages() const { return qsizetype(m_pending[0].size() + m_pending[1].size()); }

private:
    QByteArray maskPayload(LegDirection direction, const QByteArray &payload);

    std::map<quint64, QByteArray> m_pending[2];
    qsizetype m_maxMessageSize;
    int m_masked = 0;
};

// Writes the JSON Lines trace read by TraceDecoder / `psremote-cli trace decode`: one line per
// leg {"direction":"request"|"response","body":"<SOAP text>"}, bodies after decryption, no HTTP
// headers, SecureStrings masked (SecureStringMasker). The file is created with mode 0600.
// Owns the file; closed on destruction.
class TraceWriter {
public:
    TraceWriter() = default;
    ~TraceWriter();
    TraceWriter(const TraceWriter &) = delete;
    TraceWriter &operator=(const TraceWriter &) = delete;

    // Creates or truncates the file (0600 from creation). False with `error` set on failure.
    bool open(const QString &path, QString *error = nullptr);
    bool isOpen() const { return m_file.isOpen(); }
    void close();

    // Body bytes as sent/received (UTF-8 or UTF-16, decoded like Envelope's decodeBody).
    bool write(LegDirection direction, QByteArrayView body);
    bool writeRequest(QByteArrayView body) { return write(LegDirection::Request, body); }
    bool writeResponse(QByteArrayView body) { return write(LegDirection::Response, body); }

    const SecureStringMasker &masker() const { return m_masker; }
    // One trace line for a body (already masked), without the newline.
    static QByteArray jsonLine(LegDirection direction, const QString &body);

private:
    QFile m_file;
    SecureStringMasker m_masker;
};

} // namespace Wsman
