#pragma once

#include "psrp/Error.h"
#include "wsman/Envelope.h"
#include "wsman/Fault.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>

namespace Wsman {

// One wsman:Option of a request's OptionSet.
struct RequestOption {
    QString name;
    QString value;
    bool mustComply = false;
};

// Any request envelope as the server side sees it (loopback endpoint). Identifiers are kept as
// on the wire (MessageID with its "uuid:" prefix); payloads are decoded from base64.
struct ServerRequest {
    Action action = Action::Unknown;
    QString actionUri;
    QString messageId;
    QString to;
    QString resourceUri;
    QString sessionId;
    QString shellId;   // selector, or rsp:Shell/@ShellId on Create
    QString commandId; // CommandLine / DesiredStream / Signal / Connect @CommandId
    QList<RequestOption> options;
    QString locale;     // wsman:Locale/@xml:lang
    QString dataLocale; // wsmv:DataLocale/@xml:lang
    qint64 maxEnvelopeSize = 0;
    // nullopt when absent or invalid (e.g. "PT-1S"): Windows answers the latter with fault
    // 0x8033800F; operationTimeoutText keeps what was sent.
    std::optional<qint64> operationTimeoutMs;
    QString operationTimeoutText;
    std::optional<qint64> idleTimeoutMs; // Create / Disconnect
    QString inputStreams;
    QString outputStreams;
    QByteArray creationXml;
    QByteArray connectXml;
    bool hasConnectXml = false;
    QByteArray arguments;
    bool hasCommandLine = false;
    QString command; // rsp:Command text (empty for PSRP)
    QList<StreamData> streams;
    QString signalCode;
    QString desiredStream;
    qint64 maxElements = 0; // Enumerate

    std::optional<QString> option(QStringView name) const;
};

Psrp::Result<ServerRequest> parseServerRequest(QByteArrayView body, QStringView charset = {});

// Response builders, as Windows writes them: RelatesTo = request.messageId, a fresh MessageID.
QByteArray buildCreateResponse(const ServerRequest &request, const ShellInfo &shell, const QString &address);
QByteArray buildCommandResponse(const ServerRequest &request, const QString &commandId);
QByteArray buildSendResponse(const ServerRequest &request);
// commandState set: rsp:CommandState (Done carries ExitCode).
QByteArray buildReceiveResponse(const ServerRequest &request, const QList<StreamData> &streams,
                                const std::optional<CommandState> &commandState = {});
QByteArray buildSignalResponse(const ServerRequest &request);
QByteArray buildDeleteResponse(const ServerRequest &request);
QByteArray buildDisconnectResponse(const ServerRequest &request);
QByteArray buildReconnectResponse(const ServerRequest &request);
// Pool connect: connectResponseXml; pipeline connect: pass an empty payload.
QByteArray buildConnectResponse(const ServerRequest &request, QByteArrayView connectResponseXml);
QByteArray buildEnumerateResponse(const ServerRequest &request, const QList<ShellInfo> &shells);
QByteArray buildGetResponse(const ServerRequest &request, const ShellInfo &shell);
// A SOAP fault (HTTP 500): s:Code Value from fault.soapCode ("Sender"/"Receiver"), Subcode
// (w: namespace unless it has its own prefix), Reason, and f:WSManFault Code/Machine/Message.
QByteArray buildFaultResponse(const QString &relatesTo, const Fault &fault);

// The faults Windows sends, ready for buildFaultResponse.
Fault operationTimedOutFault(const QString &machine);
Fault shellNotFoundFault(const QString &machine);

} // namespace Wsman
