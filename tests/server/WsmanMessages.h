#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <optional>

namespace TestServer {

// MS-WSMV 3.1.4 action URIs the endpoint serves.
namespace Actions {
inline constexpr QLatin1StringView Create{"http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"};
inline constexpr QLatin1StringView Delete{"http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"};
inline constexpr QLatin1StringView Enumerate{"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"};
inline constexpr QLatin1StringView Command{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command"};
inline constexpr QLatin1StringView Send{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"};
inline constexpr QLatin1StringView Receive{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"};
inline constexpr QLatin1StringView Signal{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal"};
inline constexpr QLatin1StringView Connect{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Connect"};
inline constexpr QLatin1StringView Reconnect{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Reconnect"};
inline constexpr QLatin1StringView Disconnect{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Disconnect"};
} // namespace Actions

// MS-PSRP 3.1.5.3.9: the stop signal (misspelt on purpose); anything else closes the command.
inline constexpr QLatin1StringView CtrlCSignal{"powershell/signal/crtl_c"};

// WSManFault codes the endpoint produces (dossier 1.11).
namespace FaultCodes {
inline constexpr quint32 OperationTimedOut = 0x80338029;
inline constexpr quint32 ShellNotFound = 0x8033805B;
inline constexpr quint32 SchemaValidation = 0x80338041;
inline constexpr quint32 InvalidResourceUri = 0x8033803B;
inline constexpr quint32 EnvelopeTooLarge = 0x80338111;
} // namespace FaultCodes

// One <rsp:Stream> of a Send or Receive: decoded bytes.
struct StreamData {
    QString name;      // stdin, pr, stdout
    QString commandId; // empty: the shell
    QByteArray data;
};

// What the endpoint reads from one WS-Management request. A parse without ServerEnvelope
// (src/wsman/ServerEnvelope.h did not exist when this was written): local names only,
// namespace prefixes free as MS-WSMV allows.
struct WsmanRequest {
    QString action;
    QString messageId;
    QString resourceUri;
    QString to;
    QString shellId;    // the ShellId selector, or rsp:Shell/@ShellId on Create
    QString commandId;  // CommandLine/@CommandId, DesiredStream/@CommandId, Signal/@CommandId
    qint64 maxEnvelopeSize = 153600;
    qint64 operationTimeoutMs = 60000;
    QHash<QString, QString> options; // OptionSet, names as sent
    QByteArray creationXml;          // Create / Connect (connectXml)
    QByteArray arguments;            // Command
    QList<StreamData> streams;       // Send
    QString signalCode;              // Signal
    bool hasShellBody = false;       // Create carried rsp:Shell
};

// Parses a request envelope; nullopt with `error` on malformed XML or a missing Action.
std::optional<WsmanRequest> parseRequest(const QString &xml, QString *error);
// xs:duration "PT20S" / "PT1.5S" / "PT2M" in ms; nullopt when not that shape.
std::optional<qint64> parseDurationMs(QStringView text);

// Response builders (MS-WSMV 3.1.4): complete envelopes, RelatesTo = the request's MessageID.
struct ReceiveState {
    QString commandId;
    bool done = false;
};
QString createResponse(const WsmanRequest &request, const QString &shellId, const QString &address);
QString commandResponse(const WsmanRequest &request, const QString &commandId);
QString emptyResponse(const WsmanRequest &request, QStringView actionName, QStringView bodyElement);
QString receiveResponse(const WsmanRequest &request, const QList<StreamData> &streams,
                        std::optional<ReceiveState> state);
QString enumerateResponse(const WsmanRequest &request, const QStringList &shellIds, const QString &resourceUri);
// s:Fault with a WSManFault detail; `subcode` e.g. "w:TimedOut".
QString faultResponse(const QString &relatesTo, quint32 code, const QString &subcode, const QString &message);
// Bytes of the skeleton around Receive data, to stay under the client's MaxEnvelopeSize.
qsizetype receiveOverhead();

} // namespace TestServer
