#pragma once

#include "psrp/Error.h"

#include <QByteArray>
#include <QAnyStringView>
#include <QByteArrayView>
#include <QLatin1StringView>
#include <QList>
#include <QString>
#include <QStringView>
#include <QUuid>

#include <optional>

namespace Wsman {

// Dossier 1.2: namespace URIs (prefixes are free).
namespace Ns {
inline constexpr QLatin1StringView Soap{"http://www.w3.org/2003/05/soap-envelope"};
inline constexpr QLatin1StringView Addressing{"http://schemas.xmlsoap.org/ws/2004/08/addressing"};
inline constexpr QLatin1StringView Wsman{"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"};
inline constexpr QLatin1StringView Wsmv{"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"};
inline constexpr QLatin1StringView Shell{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell"};
inline constexpr QLatin1StringView Fault{"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"};
inline constexpr QLatin1StringView Transfer{"http://schemas.xmlsoap.org/ws/2004/09/transfer"};
inline constexpr QLatin1StringView Enumeration{"http://schemas.xmlsoap.org/ws/2004/09/enumeration"};
inline constexpr QLatin1StringView PowerShell{"http://schemas.microsoft.com/powershell"};
inline constexpr QLatin1StringView Xml{"http://www.w3.org/XML/1998/namespace"};
} // namespace Ns

inline constexpr QLatin1StringView DefaultResourceUri{"http://schemas.microsoft.com/powershell/Microsoft.PowerShell"};
// The resource of Enumerate / Get on shells (MS-WSMV 3.1.4.14).
inline constexpr QLatin1StringView ShellResourceUri{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell"};
inline constexpr QLatin1StringView AnonymousAddress{"http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"};
inline constexpr QLatin1StringView CommandStateDone{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"};
inline constexpr QLatin1StringView CommandStateRunning{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"};

// Dossier 1.4: the operations PSRP uses.
enum class Action { Create, Delete, Get, Enumerate, Command, Send, Receive, Signal, Disconnect, Reconnect, Connect, Unknown };

QString actionUri(Action action);
QString responseActionUri(Action action);
// Accepts request and response URIs; Unknown for anything else (faults included).
Action actionFromUri(QStringView uri);
QString actionName(Action action);

// MS-WSMV 2.2.4.40 / MS-PSRP 3.1.5.3.9: the misspelt crtl_c is the real PowerShell stop code.
enum class SignalCode { Terminate, CtrlC };
QString signalCodeUri(SignalCode code);
inline constexpr QLatin1StringView SignalTerminate{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate"};
inline constexpr QLatin1StringView SignalCtrlC{"powershell/signal/crtl_c"};

// xs:duration <-> milliseconds: 20000 -> "PT20S", 1500 -> "PT1.500S". The parser accepts the
// forms servers send ("PT7200.000S", "P0DT0H0M9S"); nullopt on anything else or overflow.
QString durationFromMs(qint64 ms);
std::optional<qint64> msFromDuration(QStringView duration);

// GUIDs as WS-Management writes them: upper case, no braces.
QString guidText(const QUuid &id);

// Per-session constants of every request (dossier 1.3). Locale = the UI culture, DataLocale =
// the culture (dossier 1.9). sessionId is constant for the client session.
struct RequestContext {
    QString to;                               // e.g. "https://host:5986/wsman"
    QString resourceUri = QString(DefaultResourceUri);
    QUuid sessionId;
    QString uiCulture = QStringLiteral("en-US");
    QString culture = QStringLiteral("en-US");
    qint64 maxEnvelopeSize = 153600;
    qint64 operationTimeoutMs = 20000;
};

// MS-PSRP 3.1.5.3.1: Create of a RunspacePool shell.
struct CreateRequest {
    QUuid shellId;                    // the RunspacePool id
    QByteArray creationXml;           // encoded fragments (sent as base64)
    std::optional<qint64> idleTimeoutMs;
    bool noMachineProfile = false;    // WINRS_NOPROFILE
    QString protocolVersion = QStringLiteral("2.3");
};

// One rsp:Stream of a Send or a ReceiveResponse; `data` is decoded (not base64).
struct StreamData {
    QString name;      // "stdin", "pr", "stdout"
    QString commandId; // empty: the shell
    QByteArray data;
};

// Client request builders: each returns the UTF-8 envelope with MessageID "uuid:" + messageId.
QByteArray buildCreate(const RequestContext &context, const QUuid &messageId, const CreateRequest &request);
QByteArray buildCommand(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                        const QUuid &commandId, QByteArrayView arguments);
QByteArray buildSend(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                     const QList<StreamData> &streams);
// commandId null: the shell-level Receive.
QByteArray buildReceive(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                        const QUuid &commandId = {});
QByteArray buildSignal(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                       const QUuid &commandId, SignalCode code);
QByteArray buildDelete(const RequestContext &context, const QUuid &messageId, const QUuid &shellId);
QByteArray buildDisconnect(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                           std::optional<qint64> idleTimeoutMs = {});
QByteArray buildReconnect(const RequestContext &context, const QUuid &messageId, const QUuid &shellId);
// MS-PSRP 3.1.5.3.14: pool connect (connectXml) ...
QByteArray buildConnect(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                        QByteArrayView connectXml, const QString &protocolVersion = QStringLiteral("2.3"));
// ... and the pipeline form (rsp:Connect CommandId, no payload).
QByteArray buildConnectPipeline(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                                const QUuid &commandId);
// WS-Enumeration of shells (Get-PSSession -ComputerName); resource = ShellResourceUri.
QByteArray buildEnumerate(const RequestContext &context, const QUuid &messageId);
// WS-Transfer Get of one shell (its state), resource = ShellResourceUri.
QByteArray buildGet(const RequestContext &context, const QUuid &messageId, const QUuid &shellId);

// Bytes of a Send envelope for this context with an empty stream (name "stdin", CommandId set):
// the most a Send costs besides its base64 payload.
qsizetype sendEnvelopeOverhead(const RequestContext &context);
// The largest PSRP payload (raw bytes) a single-stream Send can carry within maxEnvelopeSize.
qsizetype maxSendPayload(const RequestContext &context);

// Body text: BOM first (UTF-8, UTF-16 LE/BE), then the charset given (from Content-Type), then
// the zero-byte pattern of UTF-16 without BOM, else UTF-8.
QString decodeBody(QByteArrayView bytes, QStringView charset = {});
// The body as UTF-16LE with BOM (UseUTF16).
QByteArray encodeUtf16(QByteArrayView utf8Body);

// A parsed XML element: namespace URI + local name, attributes (namespace declarations
// excluded), its own character data, children in order. Value type, owns its subtree.
struct XmlAttribute {
    QString ns;
    QString name;
    QString value;
};
struct XmlNode {
    QString ns;
    QString name;
    QList<XmlAttribute> attributes;
    QString text;
    QList<XmlNode> children;

    const XmlNode *child(QAnyStringView childNs, QAnyStringView childName) const;
    QList<const XmlNode *> childrenNamed(QAnyStringView childNs, QAnyStringView childName) const;
    // First descendant (depth first) with that name.
    const XmlNode *find(QAnyStringView childNs, QAnyStringView childName) const;
    std::optional<QString> attribute(QAnyStringView attrName, QAnyStringView attrNs = {}) const;
    bool is(QAnyStringView nodeNs, QAnyStringView nodeName) const
    {
        return QAnyStringView::compare(ns, nodeNs) == 0 && QAnyStringView::compare(name, nodeName) == 0;
    }
};

// Parses a whole document (no DTD, nesting depth <= 64). InvalidXml on anything else.
Psrp::Result<XmlNode> parseXml(QByteArrayView bytes, QStringView charset = {});

// s:Header fields of any response.
struct ResponseHeader {
    QString action;
    QString messageId;
    QString relatesTo; // "uuid:..." as on the wire
};
Psrp::Result<ResponseHeader> parseResponseHeader(QByteArrayView body);

// True when the body is a SOAP fault (s:Body/s:Fault); parse it with parseFault (Fault.h).
bool isFaultBody(QByteArrayView body);

// rsp:Shell as CreateResponse, GetResponse and EnumerateResponse describe it.
struct ShellInfo {
    QString shellId;
    QString name;
    QString resourceUri;
    QString owner;
    QString clientIp;
    qint64 processId = 0;
    std::optional<qint64> idleTimeoutMs;
    std::optional<qint64> maxIdleTimeoutMs;
    QString inputStreams;
    QString outputStreams;
    QString locale;
    QString dataLocale;
    QString compressionMode;
    QString profileLoaded;
    QString encoding;
    QString bufferMode;
    QString state; // "Connected", "Disconnected", ...
    std::optional<qint64> shellRunTimeMs;
    std::optional<qint64> shellInactivityMs;
};

struct CreateResponse {
    ResponseHeader header;
    QString shellId; // from the ResourceCreated selector
    QString address;
    QString resourceUri;
    std::optional<ShellInfo> shell;
};
Psrp::Result<CreateResponse> parseCreateResponse(QByteArrayView body);

struct CommandResponse {
    ResponseHeader header;
    QString commandId;
};
Psrp::Result<CommandResponse> parseCommandResponse(QByteArrayView body);

struct CommandState {
    QString commandId;
    QString state; // full URI, e.g. CommandStateDone
    std::optional<qint32> exitCode;
    bool done() const { return state == CommandStateDone; }
};
struct ReceiveResponse {
    ResponseHeader header;
    QList<StreamData> streams;
    std::optional<CommandState> commandState;
};
Psrp::Result<ReceiveResponse> parseReceiveResponse(QByteArrayView body);

struct ConnectResponse {
    ResponseHeader header;
    QByteArray connectResponseXml; // decoded fragments; empty for the pipeline form
};
Psrp::Result<ConnectResponse> parseConnectResponse(QByteArrayView body);

struct EnumerateResponse {
    ResponseHeader header;
    QList<ShellInfo> shells;
    bool endOfSequence = false;
};
Psrp::Result<EnumerateResponse> parseEnumerateResponse(QByteArrayView body);

// Shared by the parsers here and in ServerEnvelope.
ShellInfo shellInfoFromNode(const XmlNode &shell);
Psrp::Result<QByteArray> decodeBase64Text(QStringView text, QStringView what);

} // namespace Wsman
