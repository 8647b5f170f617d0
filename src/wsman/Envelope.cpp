#include "wsman/Envelope.h"

#include <QStringDecoder>
#include <QXmlStreamReader>
#include <QXmlStreamWriter>

#include <array>
#include <cstring>
#include <functional>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

constexpr int MaxXmlDepth = 64;

struct ActionEntry {
    Action action;
    QLatin1StringView uri;
};

constexpr QLatin1StringView TransferBase{"http://schemas.xmlsoap.org/ws/2004/09/transfer/"};
constexpr QLatin1StringView EnumerationBase{"http://schemas.xmlsoap.org/ws/2004/09/enumeration/"};
constexpr QLatin1StringView ShellBase{"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"};

QString base64Text(QByteArrayView data)
{
    return QString::fromLatin1(data.toByteArray().toBase64());
}

// Writes the common SOAP envelope and header of dossier 1.3; the caller writes the body.
class RequestWriter {
public:
    RequestWriter(const RequestContext &context, Action action, const QUuid &messageId)
        : m_writer(&m_out)
    {
        m_writer.writeNamespace(Ns::Soap, u"s"_s);
        m_writer.writeNamespace(Ns::Addressing, u"wsa"_s);
        m_writer.writeNamespace(Ns::Wsman, u"wsman"_s);
        m_writer.writeNamespace(Ns::Wsmv, u"wsmv"_s);
        if (action == Action::Enumerate)
            m_writer.writeNamespace(Ns::Enumeration, u"wsen"_s);
        else if (action != Action::Delete && action != Action::Get)
            m_writer.writeNamespace(Ns::Shell, u"rsp"_s);
        m_writer.writeStartElement(Ns::Soap, u"Envelope"_s);
        m_writer.writeStartElement(Ns::Soap, u"Header"_s);

        mustUnderstand(Ns::Addressing, u"Action"_s, actionUri(action), true);
        m_writer.writeStartElement(Ns::Addressing, u"To"_s);
        m_writer.writeCharacters(context.to);
        m_writer.writeEndElement();
        m_writer.writeStartElement(Ns::Addressing, u"ReplyTo"_s);
        mustUnderstand(Ns::Addressing, u"Address"_s, QString(AnonymousAddress), true);
        m_writer.writeEndElement();
        m_writer.writeTextElement(Ns::Addressing, u"MessageID"_s, u"uuid:"_s + guidText(messageId));
        const bool shellResource = action == Action::Enumerate || action == Action::Get;
        mustUnderstand(Ns::Wsman, u"ResourceURI"_s,
                       shellResource ? QString(ShellResourceUri) : context.resourceUri, true);
        mustUnderstand(Ns::Wsman, u"MaxEnvelopeSize"_s, QString::number(context.maxEnvelopeSize), true);
        m_writer.writeTextElement(Ns::Wsman, u"OperationTimeout"_s, durationFromMs(context.operationTimeoutMs));
        locale(Ns::Wsman, u"Locale"_s, context.uiCulture);
        locale(Ns::Wsmv, u"DataLocale"_s, context.culture);
        mustUnderstand(Ns::Wsmv, u"SessionId"_s, u"uuid:"_s + guidText(context.sessionId), false);
    }

    void selectorShellId(const QUuid &shellId)
    {
        m_writer.writeStartElement(Ns::Wsman, u"SelectorSet"_s);
        m_writer.writeStartElement(Ns::Wsman, u"Selector"_s);
        m_writer.writeAttribute(u"Name"_s, u"ShellId"_s);
        m_writer.writeCharacters(guidText(shellId));
        m_writer.writeEndElement();
        m_writer.writeEndElement();
    }

    struct Option {
        QString name;
        QString value;
        bool mustComply = false;
    };
    void optionSet(const QList<Option> &options)
    {
        m_writer.writeStartElement(Ns::Wsman, u"OptionSet"_s);
        m_writer.writeAttribute(Ns::Soap, u"mustUnderstand"_s, u"true"_s);
        for (const Option &option : options) {
            m_writer.writeStartElement(Ns::Wsman, u"Option"_s);
            m_writer.writeAttribute(u"Name"_s, option.name);
            if (option.mustComply)
                m_writer.writeAttribute(u"MustComply"_s, u"true"_s);
            m_writer.writeCharacters(option.value);
            m_writer.writeEndElement();
        }
        m_writer.writeEndElement();
    }

    // Ends the header and opens s:Body.
    QXmlStreamWriter &body()
    {
        m_writer.writeEndElement();
        m_writer.writeStartElement(Ns::Soap, u"Body"_s);
        return m_writer;
    }

    // A payload element in the PowerShell default namespace (creationXml, connectXml).
    void powerShellPayload(const QString &name, QByteArrayView data)
    {
        m_writer.writeStartElement(name);
        m_writer.writeDefaultNamespace(Ns::PowerShell);
        m_writer.writeCharacters(base64Text(data));
        m_writer.writeEndElement();
    }

    QByteArray finish()
    {
        m_writer.writeEndDocument();
        return m_out;
    }

private:
    void mustUnderstand(QLatin1StringView ns, const QString &name, const QString &value, bool must)
    {
        m_writer.writeStartElement(ns, name);
        m_writer.writeAttribute(Ns::Soap, u"mustUnderstand"_s, must ? u"true"_s : u"false"_s);
        m_writer.writeCharacters(value);
        m_writer.writeEndElement();
    }
    void locale(QLatin1StringView ns, const QString &name, const QString &culture)
    {
        m_writer.writeStartElement(ns, name);
        m_writer.writeAttribute(Ns::Soap, u"mustUnderstand"_s, u"false"_s);
        m_writer.writeAttribute(Ns::Xml, u"lang"_s, culture);
        m_writer.writeEndElement();
    }

    QByteArray m_out;
    QXmlStreamWriter m_writer;
};

QString trimmedText(const XmlNode *node)
{
    return node ? node->text.trimmed() : QString();
}

const XmlNode *bodyOf(const XmlNode &envelope)
{
    if (!envelope.is(Ns::Soap, u"Envelope"))
        return nullptr;
    return envelope.child(Ns::Soap, u"Body");
}

ResponseHeader headerOf(const XmlNode &envelope)
{
    ResponseHeader header;
    if (const XmlNode *h = envelope.child(Ns::Soap, u"Header")) {
        header.action = trimmedText(h->child(Ns::Addressing, u"Action"));
        header.messageId = trimmedText(h->child(Ns::Addressing, u"MessageID"));
        header.relatesTo = trimmedText(h->child(Ns::Addressing, u"RelatesTo"));
    }
    return header;
}

Psrp::Error invalid(QString detail)
{
    return Psrp::makeError(Psrp::ErrorCode::InvalidXml, std::move(detail));
}

// Parses the envelope, checks it is not a fault and that s:Body holds `ns:name`.
struct ParsedResponse {
    XmlNode root;
    ResponseHeader header;
    const XmlNode *element = nullptr; // the expected body child; null when absent and optional
};
Psrp::Result<ParsedResponse> parseResponse(QByteArrayView bytes, QLatin1StringView ns, QLatin1StringView name,
                                           bool elementRequired)
{
    auto root = parseXml(bytes);
    if (!root)
        return root.error();
    ParsedResponse parsed;
    parsed.root = std::move(root.value());
    const XmlNode *body = bodyOf(parsed.root);
    if (!body)
        return invalid(u"not a SOAP 1.2 envelope with a body"_s);
    if (body->child(Ns::Soap, u"Fault"))
        return invalid(u"the response is a SOAP fault"_s);
    parsed.header = headerOf(parsed.root);
    parsed.element = body->child(ns, name);
    if (!parsed.element && elementRequired)
        return invalid(u"the body has no "_s + name);
    return parsed;
}

} // namespace

QString actionUri(Action action)
{
    switch (action) {
    case Action::Create: return TransferBase + u"Create"_s;
    case Action::Delete: return TransferBase + u"Delete"_s;
    case Action::Get: return TransferBase + u"Get"_s;
    case Action::Enumerate: return EnumerationBase + u"Enumerate"_s;
    case Action::Command: return ShellBase + u"Command"_s;
    case Action::Send: return ShellBase + u"Send"_s;
    case Action::Receive: return ShellBase + u"Receive"_s;
    case Action::Signal: return ShellBase + u"Signal"_s;
    case Action::Disconnect: return ShellBase + u"Disconnect"_s;
    case Action::Reconnect: return ShellBase + u"Reconnect"_s;
    case Action::Connect: return ShellBase + u"Connect"_s;
    case Action::Unknown: break;
    }
    return {};
}

QString responseActionUri(Action action)
{
    const QString uri = actionUri(action);
    return uri.isEmpty() ? uri : uri + u"Response"_s;
}

Action actionFromUri(QStringView uri)
{
    QLatin1StringView base;
    for (QLatin1StringView candidate : {TransferBase, EnumerationBase, ShellBase}) {
        if (uri.startsWith(candidate))
            base = candidate;
    }
    if (base.isEmpty())
        return Action::Unknown;
    QStringView name = uri.mid(base.size());
    if (name.endsWith(u"Response"))
        name.chop(8);
    for (int i = 0; i < int(Action::Unknown); ++i) {
        const auto action = Action(i);
        if (actionName(action) == name && actionUri(action).startsWith(base))
            return action;
    }
    return Action::Unknown;
}

QString actionName(Action action)
{
    switch (action) {
    case Action::Create: return u"Create"_s;
    case Action::Delete: return u"Delete"_s;
    case Action::Get: return u"Get"_s;
    case Action::Enumerate: return u"Enumerate"_s;
    case Action::Command: return u"Command"_s;
    case Action::Send: return u"Send"_s;
    case Action::Receive: return u"Receive"_s;
    case Action::Signal: return u"Signal"_s;
    case Action::Disconnect: return u"Disconnect"_s;
    case Action::Reconnect: return u"Reconnect"_s;
    case Action::Connect: return u"Connect"_s;
    case Action::Unknown: break;
    }
    return u"Unknown"_s;
}

QString signalCodeUri(SignalCode code)
{
    return code == SignalCode::CtrlC ? QString(SignalCtrlC) : QString(SignalTerminate);
}

QString durationFromMs(qint64 ms)
{
    if (ms < 0)
        ms = 0;
    const qint64 seconds = ms / 1000;
    const qint64 rest = ms % 1000;
    if (rest == 0)
        return u"PT%1S"_s.arg(seconds);
    return u"PT%1.%2S"_s.arg(seconds).arg(rest, 3, 10, QLatin1Char('0'));
}

std::optional<qint64> msFromDuration(QStringView text)
{
    // xs:duration subset: P[nD][T[nH][nM][n[.fff]S]]; years and months are refused.
    if (!text.startsWith(u'P') || text.size() < 2)
        return std::nullopt;
    constexpr qint64 Limit = qint64(1) << 50;
    qint64 total = 0;
    bool inTime = false;
    bool any = false;
    qsizetype i = 1;
    while (i < text.size()) {
        if (text[i] == u'T') {
            if (inTime)
                return std::nullopt;
            inTime = true;
            ++i;
            continue;
        }
        qint64 whole = 0;
        qint64 fraction = 0; // milliseconds
        qsizetype digits = 0;
        while (i < text.size() && text[i].isDigit() && text[i].unicode() < 128) {
            whole = whole * 10 + (text[i].unicode() - u'0');
            if (whole > Limit)
                return std::nullopt;
            ++i;
            ++digits;
        }
        bool hasFraction = false;
        if (i < text.size() && text[i] == u'.') {
            hasFraction = true;
            ++i;
            int scale = 100;
            while (i < text.size() && text[i].isDigit() && text[i].unicode() < 128) {
                fraction += (text[i].unicode() - u'0') * scale;
                scale /= 10;
                ++i;
            }
        }
        if (digits == 0 || i >= text.size())
            return std::nullopt;
        const QChar unit = text[i++];
        qint64 factor = 0;
        if (unit == u'D' && !inTime)
            factor = 86400000;
        else if (unit == u'H' && inTime)
            factor = 3600000;
        else if (unit == u'M' && inTime)
            factor = 60000;
        else if (unit == u'S' && inTime)
            factor = 1000;
        else
            return std::nullopt;
        if (hasFraction && unit != u'S')
            return std::nullopt;
        total += whole * factor + fraction;
        if (total > Limit)
            return std::nullopt;
        any = true;
    }
    if (!any)
        return std::nullopt;
    return total;
}

QString guidText(const QUuid &id)
{
    return id.toString(QUuid::WithoutBraces).toUpper();
}

QByteArray buildCreate(const RequestContext &context, const QUuid &messageId, const CreateRequest &request)
{
    RequestWriter writer(context, Action::Create, messageId);
    QList<RequestWriter::Option> options{{u"protocolversion"_s, request.protocolVersion, true}};
    // Dossier 1.13: NoMachineProfile; the recorded Windows exchange uses TRUE.
    if (request.noMachineProfile)
        options.append({u"WINRS_NOPROFILE"_s, u"TRUE"_s, true});
    writer.optionSet(options);
    QXmlStreamWriter &xml = writer.body();
    xml.writeStartElement(Ns::Shell, u"Shell"_s);
    xml.writeAttribute(u"ShellId"_s, guidText(request.shellId));
    xml.writeTextElement(Ns::Shell, u"InputStreams"_s, u"stdin pr"_s);
    xml.writeTextElement(Ns::Shell, u"OutputStreams"_s, u"stdout"_s);
    // After the streams, as in the recorded exchange Windows accepted.
    if (request.idleTimeoutMs)
        xml.writeTextElement(Ns::Shell, u"IdleTimeOut"_s, durationFromMs(*request.idleTimeoutMs));
    writer.powerShellPayload(u"creationXml"_s, request.creationXml);
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildCommand(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                        const QUuid &commandId, QByteArrayView arguments)
{
    RequestWriter writer(context, Action::Command, messageId);
    writer.selectorShellId(shellId);
    QXmlStreamWriter &xml = writer.body();
    // MS-PSRP 3.1.5.3.3: Command is empty, Arguments carries the CREATE_PIPELINE fragments.
    xml.writeStartElement(Ns::Shell, u"CommandLine"_s);
    xml.writeAttribute(u"CommandId"_s, guidText(commandId));
    xml.writeEmptyElement(Ns::Shell, u"Command"_s);
    xml.writeTextElement(Ns::Shell, u"Arguments"_s, base64Text(arguments));
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildSend(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                     const QList<StreamData> &streams)
{
    RequestWriter writer(context, Action::Send, messageId);
    writer.selectorShellId(shellId);
    QXmlStreamWriter &xml = writer.body();
    xml.writeStartElement(Ns::Shell, u"Send"_s);
    for (const StreamData &stream : streams) {
        xml.writeStartElement(Ns::Shell, u"Stream"_s);
        xml.writeAttribute(u"Name"_s, stream.name);
        if (!stream.commandId.isEmpty())
            xml.writeAttribute(u"CommandId"_s, stream.commandId.toUpper());
        xml.writeCharacters(base64Text(stream.data));
        xml.writeEndElement();
    }
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildReceive(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                        const QUuid &commandId)
{
    RequestWriter writer(context, Action::Receive, messageId);
    writer.optionSet({{u"WSMAN_CMDSHELL_OPTION_KEEPALIVE"_s, u"True"_s, false}});
    writer.selectorShellId(shellId);
    QXmlStreamWriter &xml = writer.body();
    xml.writeStartElement(Ns::Shell, u"Receive"_s);
    xml.writeStartElement(Ns::Shell, u"DesiredStream"_s);
    if (!commandId.isNull())
        xml.writeAttribute(u"CommandId"_s, guidText(commandId));
    xml.writeCharacters(u"stdout"_s);
    xml.writeEndElement();
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildSignal(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                       const QUuid &commandId, SignalCode code)
{
    RequestWriter writer(context, Action::Signal, messageId);
    writer.selectorShellId(shellId);
    QXmlStreamWriter &xml = writer.body();
    xml.writeStartElement(Ns::Shell, u"Signal"_s);
    xml.writeAttribute(u"CommandId"_s, guidText(commandId));
    xml.writeTextElement(Ns::Shell, u"Code"_s, signalCodeUri(code));
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildDelete(const RequestContext &context, const QUuid &messageId, const QUuid &shellId)
{
    RequestWriter writer(context, Action::Delete, messageId);
    writer.selectorShellId(shellId);
    writer.body();
    return writer.finish();
}

QByteArray buildDisconnect(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                           std::optional<qint64> idleTimeoutMs)
{
    RequestWriter writer(context, Action::Disconnect, messageId);
    writer.selectorShellId(shellId);
    QXmlStreamWriter &xml = writer.body();
    xml.writeStartElement(Ns::Shell, u"Disconnect"_s);
    if (idleTimeoutMs)
        xml.writeTextElement(Ns::Shell, u"IdleTimeOut"_s, durationFromMs(*idleTimeoutMs));
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildReconnect(const RequestContext &context, const QUuid &messageId, const QUuid &shellId)
{
    RequestWriter writer(context, Action::Reconnect, messageId);
    writer.selectorShellId(shellId);
    writer.body();
    return writer.finish();
}

QByteArray buildConnect(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                        QByteArrayView connectXml, const QString &protocolVersion)
{
    RequestWriter writer(context, Action::Connect, messageId);
    writer.optionSet({{u"protocolversion"_s, protocolVersion, true}});
    writer.selectorShellId(shellId);
    QXmlStreamWriter &xml = writer.body();
    xml.writeStartElement(Ns::Shell, u"Connect"_s);
    writer.powerShellPayload(u"connectXml"_s, connectXml);
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildConnectPipeline(const RequestContext &context, const QUuid &messageId, const QUuid &shellId,
                                const QUuid &commandId)
{
    RequestWriter writer(context, Action::Connect, messageId);
    writer.selectorShellId(shellId);
    QXmlStreamWriter &xml = writer.body();
    xml.writeStartElement(Ns::Shell, u"Connect"_s);
    xml.writeAttribute(u"CommandId"_s, guidText(commandId));
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildEnumerate(const RequestContext &context, const QUuid &messageId)
{
    RequestWriter writer(context, Action::Enumerate, messageId);
    QXmlStreamWriter &xml = writer.body();
    xml.writeStartElement(Ns::Enumeration, u"Enumerate"_s);
    xml.writeEmptyElement(Ns::Wsman, u"OptimizeEnumeration"_s);
    xml.writeTextElement(Ns::Wsman, u"MaxElements"_s, u"32000"_s);
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildGet(const RequestContext &context, const QUuid &messageId, const QUuid &shellId)
{
    RequestWriter writer(context, Action::Get, messageId);
    writer.selectorShellId(shellId);
    writer.body();
    return writer.finish();
}

qsizetype sendEnvelopeOverhead(const RequestContext &context)
{
    const QUuid any = QUuid::fromString(u"00000000-0000-0000-0000-000000000000"_s);
    return buildSend(context, any, any, {{u"stdin"_s, guidText(any), {}}}).size();
}

qsizetype maxSendPayload(const RequestContext &context)
{
    const qsizetype room = context.maxEnvelopeSize - sendEnvelopeOverhead(context);
    return room <= 0 ? 0 : room / 4 * 3;
}

QString decodeBody(QByteArrayView bytes, QStringView charset)
{
    auto decode = [&](QStringConverter::Encoding encoding) {
        QStringDecoder decoder(encoding, QStringDecoder::Flag::Default); // strips a BOM
        return QString(decoder(bytes));
    };
    if (bytes.startsWith("\xEF\xBB\xBF"))
        return decode(QStringConverter::Utf8);
    if (bytes.startsWith("\xFF\xFE"))
        return decode(QStringConverter::Utf16LE);
    if (bytes.startsWith("\xFE\xFF"))
        return decode(QStringConverter::Utf16BE);
    const QString name = charset.trimmed().toString().toLower().remove(u'"');
    if (name == u"utf-16le")
        return decode(QStringConverter::Utf16LE);
    if (name == u"utf-16be")
        return decode(QStringConverter::Utf16BE);
    if (bytes.size() >= 2) {
        if (bytes[0] != 0 && bytes[1] == 0)
            return decode(QStringConverter::Utf16LE);
        if (bytes[0] == 0 && bytes[1] != 0)
            return decode(QStringConverter::Utf16BE);
    }
    if (name == u"utf-16")
        return decode(QStringConverter::Utf16LE);
    return decode(QStringConverter::Utf8);
}

QByteArray encodeUtf16(QByteArrayView utf8Body)
{
    const QString text = QString::fromUtf8(utf8Body);
    QByteArray out("\xFF\xFE", 2);
    out.reserve(2 + text.size() * 2);
    for (const QChar c : text) {
        out.append(char(c.unicode() & 0xFF));
        out.append(char(c.unicode() >> 8));
    }
    return out;
}

const XmlNode *XmlNode::child(QAnyStringView childNs, QAnyStringView childName) const
{
    for (const XmlNode &node : children) {
        if (node.is(childNs, childName))
            return &node;
    }
    return nullptr;
}

QList<const XmlNode *> XmlNode::childrenNamed(QAnyStringView childNs, QAnyStringView childName) const
{
    QList<const XmlNode *> out;
    for (const XmlNode &node : children) {
        if (node.is(childNs, childName))
            out.append(&node);
    }
    return out;
}

const XmlNode *XmlNode::find(QAnyStringView childNs, QAnyStringView childName) const
{
    for (const XmlNode &node : children) {
        if (node.is(childNs, childName))
            return &node;
        if (const XmlNode *found = node.find(childNs, childName))
            return found;
    }
    return nullptr;
}

std::optional<QString> XmlNode::attribute(QAnyStringView attrName, QAnyStringView attrNs) const
{
    for (const XmlAttribute &attr : attributes) {
        if (QAnyStringView::compare(attr.name, attrName) == 0 && QAnyStringView::compare(attr.ns, attrNs) == 0)
            return attr.value;
    }
    return std::nullopt;
}

Psrp::Result<XmlNode> parseXml(QByteArrayView bytes, QStringView charset)
{
    QXmlStreamReader reader(decodeBody(bytes, charset));
    XmlNode root;
    QList<XmlNode *> stack;
    bool haveRoot = false;
    while (!reader.atEnd()) {
        switch (reader.readNext()) {
        case QXmlStreamReader::DTD:
        case QXmlStreamReader::EntityReference:
            return invalid(u"DTDs and entity references are refused"_s);
        case QXmlStreamReader::StartElement: {
            if (stack.size() >= MaxXmlDepth)
                return invalid(u"XML nesting deeper than %1"_s.arg(MaxXmlDepth));
            XmlNode *node = nullptr;
            if (stack.isEmpty()) {
                if (haveRoot)
                    return invalid(u"more than one root element"_s);
                haveRoot = true;
                node = &root;
            } else {
                stack.last()->children.append(XmlNode{});
                node = &stack.last()->children.last();
            }
            node->ns = reader.namespaceUri().toString();
            node->name = reader.name().toString();
            const QXmlStreamAttributes attributes = reader.attributes();
            for (const QXmlStreamAttribute &attr : attributes)
                node->attributes.append({attr.namespaceUri().toString(), attr.name().toString(), attr.value().toString()});
            stack.append(node);
            break;
        }
        case QXmlStreamReader::EndElement:
            stack.removeLast();
            break;
        case QXmlStreamReader::Characters:
            if (!stack.isEmpty())
                stack.last()->text += reader.text();
            break;
        default:
            break;
        }
    }
    if (reader.hasError())
        return invalid(u"XML error at line %1 column %2: %3"_s.arg(reader.lineNumber())
                           .arg(reader.columnNumber()).arg(reader.errorString()));
    if (!haveRoot)
        return invalid(u"no root element"_s);
    return root;
}

Psrp::Result<ResponseHeader> parseResponseHeader(QByteArrayView body)
{
    auto root = parseXml(body);
    if (!root)
        return root.error();
    if (!bodyOf(*root))
        return invalid(u"not a SOAP 1.2 envelope with a body"_s);
    return headerOf(*root);
}

bool isFaultBody(QByteArrayView body)
{
    auto root = parseXml(body);
    if (!root)
        return false;
    const XmlNode *b = bodyOf(*root);
    return b && b->child(Ns::Soap, u"Fault");
}

ShellInfo shellInfoFromNode(const XmlNode &shell)
{
    ShellInfo info;
    auto text = [&](QStringView name) { return trimmedText(shell.child(Ns::Shell, name)); };
    info.shellId = text(u"ShellId");
    if (info.shellId.isEmpty())
        info.shellId = shell.attribute(u"ShellId").value_or(QString());
    info.name = text(u"Name");
    info.resourceUri = text(u"ResourceUri");
    info.owner = text(u"Owner");
    info.clientIp = text(u"ClientIP");
    info.processId = text(u"ProcessId").toLongLong();
    info.idleTimeoutMs = msFromDuration(text(u"IdleTimeOut"));
    info.maxIdleTimeoutMs = msFromDuration(text(u"MaxIdleTimeOut"));
    info.inputStreams = text(u"InputStreams");
    info.outputStreams = text(u"OutputStreams");
    info.locale = text(u"Locale");
    info.dataLocale = text(u"DataLocale");
    info.compressionMode = text(u"CompressionMode");
    info.profileLoaded = text(u"ProfileLoaded");
    info.encoding = text(u"Encoding");
    info.bufferMode = text(u"BufferMode");
    info.state = text(u"State");
    info.shellRunTimeMs = msFromDuration(text(u"ShellRunTime"));
    info.shellInactivityMs = msFromDuration(text(u"ShellInactivity"));
    return info;
}

Psrp::Result<QByteArray> decodeBase64Text(QStringView text, QStringView what)
{
    const QString trimmed = text.trimmed().toString();
    for (const QChar c : trimmed) {
        if (c.unicode() > 127)
            return invalid(u"non-ASCII text in the base64 of "_s + what.toString());
    }
    auto decoded = QByteArray::fromBase64Encoding(trimmed.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return invalid(u"bad base64 in "_s + what.toString());
    return std::move(decoded.decoded);
}

Psrp::Result<CreateResponse> parseCreateResponse(QByteArrayView body)
{
    auto parsed = parseResponse(body, Ns::Transfer, "ResourceCreated"_L1, true);
    if (!parsed)
        return parsed.error();
    CreateResponse out;
    out.header = parsed->header;
    const XmlNode &created = *parsed->element;
    out.address = trimmedText(created.child(Ns::Addressing, u"Address"));
    if (const XmlNode *ref = created.child(Ns::Addressing, u"ReferenceParameters")) {
        out.resourceUri = trimmedText(ref->child(Ns::Wsman, u"ResourceURI"));
        if (const XmlNode *set = ref->child(Ns::Wsman, u"SelectorSet")) {
            for (const XmlNode *selector : set->childrenNamed(Ns::Wsman, u"Selector")) {
                if (selector->attribute(u"Name") == u"ShellId"_s)
                    out.shellId = selector->text.trimmed();
            }
        }
    }
    if (const XmlNode *shell = bodyOf(parsed->root)->child(Ns::Shell, u"Shell"))
        out.shell = shellInfoFromNode(*shell);
    if (out.shellId.isEmpty() && out.shell)
        out.shellId = out.shell->shellId;
    if (out.shellId.isEmpty())
        return invalid(u"CreateResponse without a ShellId"_s);
    return out;
}

Psrp::Result<CommandResponse> parseCommandResponse(QByteArrayView body)
{
    auto parsed = parseResponse(body, Ns::Shell, "CommandResponse"_L1, true);
    if (!parsed)
        return parsed.error();
    CommandResponse out;
    out.header = parsed->header;
    out.commandId = trimmedText(parsed->element->child(Ns::Shell, u"CommandId"));
    if (out.commandId.isEmpty())
        return invalid(u"CommandResponse without a CommandId"_s);
    return out;
}

namespace {

// Base64 runs at least this long are cut out of a ReceiveResponse before the XML parse.
constexpr qsizetype MinCutRun = 256;

// 0..63 for the base64 alphabet (RFC 4648 section 4), 64 for '=', 255 for anything else.
constexpr std::array<quint8, 256> base64Table()
{
    std::array<quint8, 256> table{};
    for (auto &entry : table)
        entry = 255;
    constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
        table[quint8(alphabet[i])] = quint8(i);
    table[quint8('=')] = 64;
    return table;
}
constexpr std::array<quint8, 256> Base64Table = base64Table();

// The length of the run of base64 alphabet characters (and '=') starting at `text`.
qsizetype base64RunLength(const char *text, qsizetype size)
{
    qsizetype n = 0;
    while (n < size && Base64Table[quint8(text[n])] != 255)
        ++n;
    return n;
}

// Strict base64 (RFC 4648 section 4, padded, no whitespace): nullopt on anything else, as
// QByteArray::fromBase64Encoding with AbortOnBase64DecodingErrors would refuse it. Four
// characters per step through one table: the ReceiveResponse fast path spends most of its time
// here.
std::optional<QByteArray> decodeStrictBase64(QByteArrayView text)
{
    const qsizetype size = text.size();
    if (size % 4 != 0)
        return std::nullopt;
    if (size == 0)
        return QByteArray();
    const auto *in = reinterpret_cast<const quint8 *>(text.data());
    const int padding = (in[size - 1] == '=') + (in[size - 2] == '=');
    QByteArray out(size / 4 * 3 - padding, Qt::Uninitialized);
    auto *o = reinterpret_cast<quint8 *>(out.data());
    const qsizetype full = padding ? size - 4 : size;
    for (qsizetype i = 0; i < full; i += 4) {
        const quint32 a = Base64Table[in[i]], b = Base64Table[in[i + 1]], c = Base64Table[in[i + 2]],
                      d = Base64Table[in[i + 3]];
        if ((a | b | c | d) & 0xC0) // 64 ('=') or 255 (not base64) inside the data
            return std::nullopt;
        const quint32 v = (a << 18) | (b << 12) | (c << 6) | d;
        *o++ = quint8(v >> 16);
        *o++ = quint8(v >> 8);
        *o++ = quint8(v);
    }
    if (padding) {
        const qsizetype i = size - 4;
        const quint32 a = Base64Table[in[i]], b = Base64Table[in[i + 1]];
        const quint32 c = padding == 2 ? 0 : Base64Table[in[i + 2]];
        if ((a | b | c) & 0xC0)
            return std::nullopt;
        const quint32 v = (a << 18) | (b << 12) | (c << 6);
        *o++ = quint8(v >> 16);
        if (padding == 1)
            *o++ = quint8(v >> 8);
    }
    return out;
}

// A ReceiveResponse with its long base64 texts cut out: `skeleton` is the envelope with each
// run replaced by the marker "*<index>*", `runs` views into the original body. Only built when
// the body is UTF-8 and contains no '*' at all, so a marker can only stand where a whole text
// run of base64 characters stood, between a '>' and the next '<'.
struct CutEnvelope {
    QByteArray skeleton;
    QList<QByteArrayView> runs;
};

std::optional<CutEnvelope> cutBase64Runs(QByteArrayView body)
{
    if (body.startsWith("\xEF\xBB\xBF"))
        body = body.sliced(3);
    if (body.size() < 2 || body[0] == 0 || body[1] == 0 || body.startsWith("\xFF\xFE") || body.startsWith("\xFE\xFF"))
        return std::nullopt; // UTF-16: the general parser handles it
    if (std::memchr(body.data(), '*', size_t(body.size())))
        return std::nullopt;
    CutEnvelope cut;
    cut.skeleton.reserve(4096);
    const char *data = body.data();
    const qsizetype size = body.size();
    qsizetype copied = 0;
    qsizetype at = 0;
    while (at < size) {
        const void *gt = std::memchr(data + at, '>', size_t(size - at));
        if (!gt)
            break;
        const qsizetype textStart = static_cast<const char *>(gt) - data + 1;
        const qsizetype run = base64RunLength(data + textStart, size - textStart);
        if (run >= MinCutRun && textStart + run < size && data[textStart + run] == '<') {
            cut.skeleton.append(data + copied, textStart - copied);
            cut.skeleton.append('*').append(QByteArray::number(cut.runs.size())).append('*');
            cut.runs.append(body.sliced(textStart, run));
            copied = textStart + run;
        }
        at = textStart + run;
    }
    if (cut.runs.isEmpty())
        return std::nullopt;
    cut.skeleton.append(data + copied, size - copied);
    return cut;
}

// The run a Stream's text marks, or nullptr when the text is not exactly one marker.
const QByteArrayView *markedRun(const CutEnvelope &cut, QStringView text)
{
    text = text.trimmed();
    if (text.size() < 3 || text.front() != u'*' || text.back() != u'*')
        return nullptr;
    bool ok = false;
    const qsizetype index = text.sliced(1, text.size() - 2).toLongLong(&ok);
    return ok && index >= 0 && index < cut.runs.size() ? &cut.runs[index] : nullptr;
}

} // namespace

// A ReceiveResponse carries up to MaxEnvelopeSize of base64 (dossier 1.10). Parsing all of it
// through QXmlStreamReader means UTF-16 conversion and character-by-character text assembly,
// most of a streaming client's time; so the base64 runs are cut out first, the small remaining
// skeleton goes through the same strict XML parser, and each run is decoded straight from the
// UTF-8 body. Any text the cut cannot account for exactly is decoded as before.
Psrp::Result<ReceiveResponse> parseReceiveResponse(QByteArrayView body)
{
    const std::optional<CutEnvelope> cut = cutBase64Runs(body);
    auto parsed = parseResponse(cut ? QByteArrayView(cut->skeleton) : body, Ns::Shell, "ReceiveResponse"_L1, true);
    if (!parsed)
        return parsed.error();
    auto decodeStream = [&cut](QStringView text) -> Psrp::Result<QByteArray> {
        if (const QByteArrayView *run = cut ? markedRun(*cut, text) : nullptr) {
            if (auto decoded = decodeStrictBase64(*run))
                return std::move(*decoded);
            return decodeBase64Text(QString::fromLatin1(*run), u"rsp:Stream"); // e.g. unpadded
        }
        return decodeBase64Text(text, u"rsp:Stream");
    };
    ReceiveResponse out;
    out.header = parsed->header;
    for (const XmlNode &child : parsed->element->children) {
        if (child.is(Ns::Shell, u"Stream")) {
            auto data = decodeStream(child.text);
            if (!data)
                return data.error();
            out.streams.append({child.attribute(u"Name").value_or(QString()),
                                child.attribute(u"CommandId").value_or(QString()), std::move(data.value())});
        } else if (child.is(Ns::Shell, u"CommandState")) {
            CommandState state;
            state.commandId = child.attribute(u"CommandId").value_or(QString());
            state.state = child.attribute(u"State").value_or(QString());
            if (const XmlNode *exit = child.child(Ns::Shell, u"ExitCode")) {
                bool ok = false;
                const qint32 code = exit->text.trimmed().toInt(&ok);
                if (ok)
                    state.exitCode = code;
            }
            out.commandState = state;
        }
    }
    return out;
}

Psrp::Result<ConnectResponse> parseConnectResponse(QByteArrayView body)
{
    auto parsed = parseResponse(body, Ns::Shell, "ConnectResponse"_L1, false);
    if (!parsed)
        return parsed.error();
    ConnectResponse out;
    out.header = parsed->header;
    if (parsed->element) {
        if (const XmlNode *xml = parsed->element->child(Ns::PowerShell, u"connectResponseXml")) {
            auto data = decodeBase64Text(xml->text, u"connectResponseXml");
            if (!data)
                return data.error();
            out.connectResponseXml = std::move(data.value());
        }
    }
    return out;
}

Psrp::Result<EnumerateResponse> parseEnumerateResponse(QByteArrayView body)
{
    auto parsed = parseResponse(body, Ns::Enumeration, "EnumerateResponse"_L1, true);
    if (!parsed)
        return parsed.error();
    EnumerateResponse out;
    out.header = parsed->header;
    if (const XmlNode *items = parsed->element->child(Ns::Wsman, u"Items")) {
        for (const XmlNode *shell : items->childrenNamed(Ns::Shell, u"Shell"))
            out.shells.append(shellInfoFromNode(*shell));
    }
    out.endOfSequence = parsed->element->child(Ns::Wsman, u"EndOfSequence") != nullptr;
    return out;
}

} // namespace Wsman
