#pragma once

#include <QList>
#include <QString>

#include <optional>

namespace TestSupport {

// One recorded exchange of ../shared/transcripts/windows/*.yml (pypsrp's replay format).
struct TranscriptExchange {
    QString request;  // the SOAP envelope the client sent
    QString response; // the SOAP envelope the server answered; empty for `response: null`
    int line = 0;     // 1-based line of `- request:` in the file
};

struct Transcript {
    QString fileName;
    QList<TranscriptExchange> exchanges;
};

// Reads the YAML subset those files use: `messages:` then a list of maps whose `request` and
// `response` are plain or single-quoted scalars folded over several lines; `#` comment lines and
// the replay harness's own keys (auth_error, timeout, transport_error, overrides...) are skipped.
// Returns nullopt with `error` set when the file does not have that shape.
std::optional<Transcript> loadTranscript(const QString &path, QString *error = nullptr);

// Every *.yml in windowsTranscriptsDir(), sorted by name; empty when ../shared is absent.
QStringList windowsTranscriptFiles();

} // namespace TestSupport
