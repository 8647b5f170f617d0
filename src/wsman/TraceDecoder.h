#pragma once

#include "psrp/Fragment.h"
#include "psrp/Message.h"

#include <QByteArrayView>
#include <QList>
#include <QString>

#include <functional>
#include <map>
#include <utility>
#include <optional>

namespace Wsman {

enum class LegDirection { Request, Response };

// One PSRP message found in a trace, with the WS-Management context of the leg that completed it.
// Empty shellId / commandId / stream mean "none" (null in JSON).
struct TraceMessage {
    qint64 line = 0; // 1-based line of the leg that completed the message
    LegDirection direction = LegDirection::Request;
    QString action;    // last path segment of the request's wsa:Action, e.g. "Receive"
    QString shellId;   // upper case, as on the wire
    QString commandId; // upper case, as on the wire
    QString stream;    // "stdin", "pr", "stdout"
    quint64 objectId = 0;
    Psrp::Message message;
};

// An exchange whose ResourceURI is not a PowerShell one (WinRS cmd shell, configuration Get).
struct SkippedExchange {
    qint64 line = 0;
    QString action;
    QString resourceUri;
};

// Decodes a WS-Management trace (JSON Lines, one leg per line:
// {"direction":"request"|"response","body":"<SOAP envelope>"}) into PSRP messages, reassembling
// fragments per (shell, direction) and ObjectId across legs: ObjectIds restart with every pool,
// so two pools in one trace keep apart. Streaming: feed lines one at a time; memory is bounded
// by the messages in flight. Owns one Defragmenter per shell and direction; sinks are called
// synchronously from feedLine().
class TraceDecoder {
public:
    using MessageSink = std::function<void(const TraceMessage &)>;
    using SkipSink = std::function<void(const SkippedExchange &)>;

    explicit TraceDecoder(MessageSink onMessage, SkipSink onSkip = {},
                          qsizetype maxMessageSize = 200 * 1024 * 1024);

    // Decodes one leg. Returns what is wrong with it when it is malformed; messages completed
    // before the fault are still delivered, and the next leg is decoded afresh.
    std::optional<QString> feedLine(QByteArrayView jsonLine, qint64 lineNumber);
    // After the last line: reports messages left incomplete.
    std::optional<QString> finish() const;

    qint64 messageCount() const { return m_messages; }
    qint64 exchangeCount() const { return m_exchanges; }
    qint64 skippedCount() const { return m_skipped; }

    // Exposed for tests and the summary: parses a SOAP envelope as this decoder does.
    struct Payload {
        QString element; // local name: creationXml, Arguments, Stream, connectXml, ...
        QString stream;
        QString commandId;
        QString base64;
    };
    struct Envelope {
        QString action;
        QString resourceUri;
        QString selectorShellId;
        QString shellAttribute;   // rsp:Shell/@ShellId (Create request)
        QString bodyShellId;      // rsp:Shell/rsp:ShellId or a body selector (CreateResponse)
        QString contextCommandId; // CommandLine, DesiredStream, Signal, Connect @CommandId
        QString responseCommandId; // rsp:CommandResponse/rsp:CommandId
        QList<Payload> payloads;
    };
    static std::optional<QString> parseEnvelope(const QString &xml, Envelope &envelope);

private:
    struct RequestContext {
        bool valid = false;
        bool psrp = false;
        QString action;
        QString shellId;
        QString commandId;
    };

    std::optional<QString> decodePayloads(const Envelope &envelope, LegDirection direction,
                                          const RequestContext &context, qint64 lineNumber);

    MessageSink m_onMessage;
    SkipSink m_onSkip;
    qsizetype m_maxMessageSize;
    std::map<std::pair<QString, LegDirection>, Psrp::Defragmenter> m_defragmenters;
    RequestContext m_lastRequest;
    qint64 m_messages = 0;
    qint64 m_exchanges = 0;
    qint64 m_skipped = 0;
    qint64 m_lastLine = 0;
};

QString legDirectionName(LegDirection direction);

} // namespace Wsman
