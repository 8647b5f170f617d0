#include "WsmanMessages.h"

#include <QRegularExpression>
#include <QUuid>
#include <QXmlStreamReader>

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

std::optional<qint64> parseDurationMs(QStringView text)
{
    static const QRegularExpression re(u"^PT(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+(?:\\.\\d+)?)S)?$"_s);
    const auto m = re.match(text.trimmed().toString());
    if (!m.hasMatch() || text.trimmed().size() <= 2)
        return std::nullopt;
    const double seconds = m.captured(1).toDouble() * 3600 + m.captured(2).toDouble() * 60
                           + m.captured(3).toDouble();
    if (seconds > 86400.0 * 365)
        return std::nullopt;
    return static_cast<qint64>(seconds * 1000);
}

std::optional<WsmanRequest> parseRequest(const QString &xml, QString *error)
{
    WsmanRequest r;
    QXmlStreamReader reader(xml);
    QString optionName;
    QString streamName;
    QString streamCommand;
    bool inHeader = false;
    bool inBody = false;
    int depth = 0;
    int bodyDepth = -1;
    while (!reader.atEnd()) {
        const auto token = reader.readNext();
        if (token == QXmlStreamReader::EndElement) {
            --depth;
            const auto local = reader.name();
            if (local == u"Header")
                inHeader = false;
            else if (local == u"Body")
                inBody = false;
            continue;
        }
        if (token != QXmlStreamReader::StartElement)
            continue;
        ++depth;
        if (depth > 64) {
            if (error)
                *error = u"nesting too deep"_s;
            return std::nullopt;
        }
        const QString local = reader.name().toString();
        const auto attrs = reader.attributes();
        if (local == u"Header") {
            inHeader = true;
            continue;
        }
        if (local == u"Body") {
            inBody = true;
            bodyDepth = depth;
            continue;
        }
        if (inHeader) {
            if (local == u"Action")
                r.action = reader.readElementText().trimmed();
            else if (local == u"MessageID")
                r.messageId = reader.readElementText().trimmed();
            else if (local == u"ResourceURI")
                r.resourceUri = reader.readElementText().trimmed();
            else if (local == u"To")
                r.to = reader.readElementText().trimmed();
            else if (local == u"MaxEnvelopeSize")
                r.maxEnvelopeSize = reader.readElementText().trimmed().toLongLong();
            else if (local == u"OperationTimeout")
                r.operationTimeoutMs = parseDurationMs(reader.readElementText()).value_or(60000);
            else if (local == u"Selector" && attrs.value(QLatin1StringView("Name")) == u"ShellId")
                r.shellId = reader.readElementText().trimmed();
            else if (local == u"Option") {
                optionName = attrs.value(QLatin1StringView("Name")).toString();
                r.options.insert(optionName, reader.readElementText().trimmed());
            } else
                continue;
            --depth; // readElementText consumed the end element
            continue;
        }
        if (!inBody)
            continue;
        if (local == u"Shell" && depth == bodyDepth + 1) {
            r.hasShellBody = true;
            if (r.shellId.isEmpty())
                r.shellId = attrs.value(QLatin1StringView("ShellId")).toString();
        } else if (local == u"creationXml" || local == u"connectXml") {
            r.creationXml = QByteArray::fromBase64(reader.readElementText().trimmed().toLatin1());
            --depth;
        } else if (local == u"CommandLine" || local == u"Signal" || local == u"DesiredStream"
                   || (local == u"Connect" && attrs.hasAttribute(QLatin1StringView("CommandId")))) {
            r.commandId = attrs.value(QLatin1StringView("CommandId")).toString();
            if (local == u"DesiredStream") {
                reader.readElementText();
                --depth;
            }
        } else if (local == u"Arguments") {
            r.arguments += QByteArray::fromBase64(reader.readElementText().trimmed().toLatin1());
            --depth;
        } else if (local == u"Code") {
            r.signalCode = reader.readElementText().trimmed();
            --depth;
        } else if (local == u"Stream") {
            StreamData s;
            s.name = attrs.value(QLatin1StringView("Name")).toString();
            s.commandId = attrs.value(QLatin1StringView("CommandId")).toString();
            s.data = QByteArray::fromBase64(reader.readElementText().trimmed().toLatin1());
            --depth;
            r.streams.append(std::move(s));
        }
    }
    if (reader.hasError()) {
        if (error)
            *error = u"malformed XML: "_s + reader.errorString();
        return std::nullopt;
    }
    if (r.action.isEmpty()) {
        if (error)
            *error = u"no wsa:Action header"_s;
        return std::nullopt;
    }
    return r;
}

namespace {

QString newMessageId()
{
    return u"uuid:"_s + QUuid::createUuid().toString(QUuid::WithoutBraces).toUpper();
}

QString envelope(const QString &action, const QString &relatesTo, const QString &body)
{
    return u"<s:Envelope xml:lang=\"en-US\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
           "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
           "xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "
           "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
           "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "
           "xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"><s:Header><a:Action>"_s
           + action + u"</a:Action><a:MessageID>"_s + newMessageId()
           + u"</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>"_s
           + relatesTo.toHtmlEscaped() + u"</a:RelatesTo></s:Header><s:Body>"_s + body
           + u"</s:Body></s:Envelope>"_s;
}

QString responseAction(const WsmanRequest &request)
{
    return request.action + u"Response"_s;
}

} // namespace

QString createResponse(const WsmanRequest &request, const QString &shellId, const QString &address)
{
    const QString uri = request.resourceUri.toHtmlEscaped();
    const QString body =
        u"<x:ResourceCreated><a:Address>"_s + address.toHtmlEscaped()
        + u"</a:Address><a:ReferenceParameters><w:ResourceURI>"_s + uri
        + u"</w:ResourceURI><w:SelectorSet><w:Selector Name=\"ShellId\">"_s + shellId
        + u"</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>"
          "<rsp:Shell><rsp:ShellId>"_s + shellId + u"</rsp:ShellId><rsp:ResourceUri>"_s + uri
        + u"</rsp:ResourceUri><rsp:Owner>loopback</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP>"
          "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin pr</rsp:InputStreams>"
          "<rsp:OutputStreams>stdout</rsp:OutputStreams><rsp:CompressionMode>NoCompression</rsp:CompressionMode>"
          "<rsp:Encoding>UTF8</rsp:Encoding><rsp:BufferMode>Block</rsp:BufferMode><rsp:State>Connected</rsp:State>"
          "</rsp:Shell>"_s;
    return envelope(responseAction(request), request.messageId, body);
}

QString commandResponse(const WsmanRequest &request, const QString &commandId)
{
    return envelope(responseAction(request), request.messageId,
                    u"<rsp:CommandResponse><rsp:CommandId>"_s + commandId
                        + u"</rsp:CommandId></rsp:CommandResponse>"_s);
}

QString emptyResponse(const WsmanRequest &request, QStringView actionName, QStringView bodyElement)
{
    Q_UNUSED(actionName);
    return envelope(responseAction(request), request.messageId,
                    bodyElement.isEmpty() ? QString() : u"<"_s + bodyElement + u"/>"_s);
}

QString receiveResponse(const WsmanRequest &request, const QList<StreamData> &streams,
                        std::optional<ReceiveState> state)
{
    QString body = u"<rsp:ReceiveResponse>"_s;
    for (const auto &s : streams) {
        body += u"<rsp:Stream Name=\"stdout\""_s;
        if (!s.commandId.isEmpty())
            body += u" CommandId=\""_s + s.commandId + u"\""_s;
        body += u">"_s + QString::fromLatin1(s.data.toBase64()) + u"</rsp:Stream>"_s;
    }
    if (state) {
        body += u"<rsp:CommandState CommandId=\""_s + state->commandId
                + u"\" State=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/"_s
                + (state->done ? u"Done\"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>"_s
                               : u"Running\"></rsp:CommandState>"_s);
    }
    body += u"</rsp:ReceiveResponse>"_s;
    return envelope(responseAction(request), request.messageId, body);
}

QString enumerateResponse(const WsmanRequest &request, const QStringList &shellIds, const QString &resourceUri)
{
    QString items;
    for (const auto &id : shellIds)
        items += u"<rsp:Shell><rsp:ShellId>"_s + id + u"</rsp:ShellId><rsp:ResourceUri>"_s
                 + resourceUri.toHtmlEscaped() + u"</rsp:ResourceUri><rsp:State>Connected</rsp:State></rsp:Shell>"_s;
    return envelope(responseAction(request), request.messageId,
                    u"<n:EnumerateResponse xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\">"
                    "<n:EnumerationContext/><w:Items>"_s
                        + items + u"</w:Items><w:EndOfSequence/></n:EnumerateResponse>"_s);
}

QString faultResponse(const QString &relatesTo, quint32 code, const QString &subcode, const QString &message)
{
    const QString body =
        u"<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>"_s + subcode.toHtmlEscaped()
        + u"</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">"_s + message.toHtmlEscaped()
        + u"</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f=\"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault\" Code=\""_s
        + QString::number(code) + u"\" Machine=\"127.0.0.1\"><f:Message>"_s + message.toHtmlEscaped()
        + u"</f:Message></f:WSManFault></s:Detail></s:Fault>"_s;
    return envelope(u"http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"_s, relatesTo, body);
}

qsizetype receiveOverhead()
{
    WsmanRequest r;
    r.action = Actions::Receive;
    r.messageId = u"uuid:00000000-0000-0000-0000-000000000000"_s;
    const QString id = u"00000000-0000-0000-0000-000000000000"_s;
    return receiveResponse(r, {StreamData{u"stdout"_s, id, {}}}, ReceiveState{id, true}).toUtf8().size();
}

} // namespace TestServer
