#include "wsman/TraceDecoder.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QXmlStreamReader>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

constexpr QLatin1StringView SoapNs = "http://www.w3.org/2003/05/soap-envelope"_L1;
constexpr QLatin1StringView AddressingNs = "http://schemas.xmlsoap.org/ws/2004/08/addressing"_L1;
constexpr QLatin1StringView WsmanNs = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"_L1;
constexpr QLatin1StringView ShellNs = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"_L1;
constexpr QLatin1StringView PowerShellNs = "http://schemas.microsoft.com/powershell"_L1;
constexpr QLatin1StringView PowerShellResourcePrefix = "http://schemas.microsoft.com/powershell/"_L1;

// The elements whose position matters while walking an envelope.
enum class Node { Other, Header, Body, SelectorSet, Send, ReceiveResponse, Shell, CommandResponse };

QString lastSegment(const QString &uri)
{
    const qsizetype slash = uri.lastIndexOf(u'/');
    return slash < 0 ? uri : uri.mid(slash + 1);
}

QString attribute(const QXmlStreamReader &reader, QLatin1StringView name)
{
    return reader.attributes().value(name).toString().trimmed().toUpper();
}

} // namespace

QString legDirectionName(LegDirection direction)
{
    return direction == LegDirection::Request ? u"request"_s : u"response"_s;
}

TraceDecoder::TraceDecoder(MessageSink onMessage, SkipSink onSkip, qsizetype maxMessageSize)
    : m_onMessage(std::move(onMessage)), m_onSkip(std::move(onSkip)), m_requests(maxMessageSize),
      m_responses(maxMessageSize)
{
}

// MS-WSMV / MS-PSRP 3.1.5.3: PSRP data travels base64-encoded in creationXml, connectXml,
// connectResponseXml, rsp:CommandLine/rsp:Arguments, rsp:Send/rsp:Stream and
// rsp:ReceiveResponse/rsp:Stream; the header names the action, resource and shell.
std::optional<QString> TraceDecoder::parseEnvelope(const QString &xml, Envelope &envelope)
{
    QXmlStreamReader reader(xml);
    QList<Node> stack;
    QString commandLineId;
    auto parent = [&]() { return stack.isEmpty() ? Node::Other : stack.last(); };
    auto inHeader = [&]() { return stack.contains(Node::Header); };
    while (!reader.atEnd()) {
        const QXmlStreamReader::TokenType token = reader.readNext();
        if (token == QXmlStreamReader::EndElement) {
            if (!stack.isEmpty())
                stack.removeLast();
            continue;
        }
        if (token != QXmlStreamReader::StartElement)
            continue;
        const QStringView ns = reader.namespaceUri();
        const QStringView name = reader.name();
        Node node = Node::Other;
        if (ns == SoapNs && name == u"Header") {
            node = Node::Header;
        } else if (ns == SoapNs && name == u"Body") {
            node = Node::Body;
        } else if (ns == AddressingNs && name == u"Action" && inHeader()) {
            envelope.action = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed();
            continue;
        } else if (ns == WsmanNs && name == u"ResourceURI" && parent() == Node::Header) {
            envelope.resourceUri = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed();
            continue;
        } else if (ns == WsmanNs && name == u"SelectorSet") {
            node = Node::SelectorSet;
        } else if (ns == WsmanNs && name == u"Selector" && parent() == Node::SelectorSet
                   && reader.attributes().value("Name"_L1) == u"ShellId") {
            const bool header = inHeader();
            const QString id = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed().toUpper();
            (header ? envelope.selectorShellId : envelope.bodyShellId) = id;
            continue;
        } else if (ns == ShellNs) {
            if (name == u"Shell") {
                node = Node::Shell;
                envelope.shellAttribute = attribute(reader, "ShellId"_L1);
            } else if (name == u"ShellId" && parent() == Node::Shell) {
                envelope.bodyShellId = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed().toUpper();
                continue;
            } else if (name == u"CommandLine") {
                commandLineId = attribute(reader, "CommandId"_L1);
                envelope.contextCommandId = commandLineId;
            } else if (name == u"Arguments") {
                envelope.payloads.append({u"Arguments"_s, {}, commandLineId,
                                          reader.readElementText(QXmlStreamReader::SkipChildElements)});
                continue;
            } else if (name == u"Send") {
                node = Node::Send;
            } else if (name == u"ReceiveResponse") {
                node = Node::ReceiveResponse;
            } else if (name == u"CommandResponse") {
                node = Node::CommandResponse;
            } else if (name == u"CommandId" && parent() == Node::CommandResponse) {
                envelope.responseCommandId = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed().toUpper();
                continue;
            } else if (name == u"Stream" && (parent() == Node::Send || parent() == Node::ReceiveResponse)) {
                QString stream = reader.attributes().value("Name"_L1).toString();
                QString commandId = attribute(reader, "CommandId"_L1);
                envelope.payloads.append({u"Stream"_s, std::move(stream), std::move(commandId),
                                          reader.readElementText(QXmlStreamReader::SkipChildElements)});
                continue;
            } else if (name == u"DesiredStream" || name == u"Signal" || name == u"Connect") {
                const QString id = attribute(reader, "CommandId"_L1);
                if (!id.isEmpty())
                    envelope.contextCommandId = id;
            }
        } else if (ns == PowerShellNs
                   && (name == u"creationXml" || name == u"connectXml" || name == u"connectResponseXml")) {
            QString element = name.toString();
            envelope.payloads.append({std::move(element), {}, {},
                                      reader.readElementText(QXmlStreamReader::SkipChildElements)});
            continue;
        }
        stack.append(node);
    }
    if (reader.hasError()) {
        return u"bad XML: %1 (envelope line %2, column %3)"_s.arg(reader.errorString())
            .arg(reader.lineNumber())
            .arg(reader.columnNumber());
    }
    return std::nullopt;
}

std::optional<QString> TraceDecoder::feedLine(QByteArrayView jsonLine, qint64 lineNumber)
{
    m_lastLine = lineNumber;
    QJsonParseError jsonError;
    const QJsonDocument document = QJsonDocument::fromJson(jsonLine.toByteArray(), &jsonError);
    if (jsonError.error != QJsonParseError::NoError)
        return u"bad JSON: %1 at offset %2"_s.arg(jsonError.errorString()).arg(jsonError.offset);
    if (!document.isObject())
        return u"bad JSON: a leg must be an object"_s;
    const QJsonObject leg = document.object();
    const QString directionText = leg.value("direction"_L1).toString();
    LegDirection direction;
    if (directionText == u"request") {
        direction = LegDirection::Request;
    } else if (directionText == u"response") {
        direction = LegDirection::Response;
    } else {
        return u"\"direction\" must be \"request\" or \"response\""_s;
    }
    const QJsonValue bodyValue = leg.value("body"_L1);
    if (!bodyValue.isString())
        return u"\"body\" is missing or not a string"_s;

    if (direction == LegDirection::Response) {
        if (!m_lastRequest.valid)
            return u"a response without a request before it"_s;
        const RequestContext context = m_lastRequest;
        m_lastRequest.valid = false;
        if (!context.psrp)
            return std::nullopt;
        Envelope envelope;
        if (auto error = parseEnvelope(bodyValue.toString(), envelope))
            return error;
        RequestContext responseContext = context;
        // The request's shell wins; a Create request that named none learns it from the response.
        if (responseContext.shellId.isEmpty())
            responseContext.shellId = !envelope.selectorShellId.isEmpty() ? envelope.selectorShellId : envelope.bodyShellId;
        // The request's command wins; a Command request without a CommandId attribute learns it
        // from rsp:CommandResponse/rsp:CommandId.
        if (responseContext.commandId.isEmpty())
            responseContext.commandId = envelope.responseCommandId;
        return decodePayloads(envelope, direction, responseContext, lineNumber);
    }

    ++m_exchanges;
    m_lastRequest = RequestContext{};
    m_lastRequest.valid = true;
    Envelope envelope;
    if (auto error = parseEnvelope(bodyValue.toString(), envelope)) {
        m_lastRequest.valid = false;
        return error;
    }
    m_lastRequest.action = lastSegment(envelope.action);
    if (!envelope.resourceUri.startsWith(PowerShellResourcePrefix)) {
        ++m_skipped;
        if (m_onSkip)
            m_onSkip({lineNumber, m_lastRequest.action, envelope.resourceUri});
        return std::nullopt;
    }
    m_lastRequest.psrp = true;
    m_lastRequest.shellId = !envelope.shellAttribute.isEmpty() ? envelope.shellAttribute : envelope.selectorShellId;
    m_lastRequest.commandId = envelope.contextCommandId;
    if (m_lastRequest.commandId.isEmpty()) {
        // A Send names its command on each rsp:Stream; the first one stands for the exchange.
        for (const Payload &payload : std::as_const(envelope.payloads)) {
            if (!payload.commandId.isEmpty()) {
                m_lastRequest.commandId = payload.commandId;
                break;
            }
        }
    }
    return decodePayloads(envelope, direction, m_lastRequest, lineNumber);
}

// Per message: the commandId is the CommandId attribute of the element that carried the final
// fragment (rsp:Stream, rsp:CommandLine); without one, the exchange's (the request's
// CommandLine/DesiredStream/Signal/Connect/Stream CommandId, else the CommandResponse's).
std::optional<QString> TraceDecoder::decodePayloads(const Envelope &envelope, LegDirection direction,
                                                    const RequestContext &context, qint64 lineNumber)
{
    Psrp::Defragmenter &defragmenter = direction == LegDirection::Request ? m_requests : m_responses;
    QList<Psrp::Defragmenter::Completed> completed;
    for (const Payload &payload : envelope.payloads) {
        const auto decoded = QByteArray::fromBase64Encoding(payload.base64.toLatin1(),
                                                            QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return u"bad base64 in %1"_s.arg(payload.element);
        completed.clear();
        const Psrp::Result<void> fed = defragmenter.feed(decoded.decoded, completed);
        for (Psrp::Defragmenter::Completed &bytes : completed) {
            Psrp::Result<Psrp::Message> message = Psrp::decodeMessage(bytes.data);
            if (!message) {
                return u"ObjectId %1 in %2: %3"_s.arg(bytes.objectId).arg(payload.element, message.error().detail);
            }
            TraceMessage out;
            out.line = lineNumber;
            out.direction = direction;
            out.action = context.action;
            out.shellId = context.shellId;
            out.commandId = payload.commandId.isEmpty() ? context.commandId : payload.commandId;
            out.stream = payload.stream;
            out.objectId = bytes.objectId;
            out.message = std::move(*message);
            ++m_messages;
            if (m_onMessage)
                m_onMessage(out);
        }
        if (!fed)
            return u"%1: %2"_s.arg(payload.element, fed.error().detail);
    }
    return std::nullopt;
}

std::optional<QString> TraceDecoder::finish() const
{
    if (m_requests.hasPartialMessages() || m_responses.hasPartialMessages())
        return u"the trace ends inside a fragmented message"_s;
    return std::nullopt;
}

} // namespace Wsman
