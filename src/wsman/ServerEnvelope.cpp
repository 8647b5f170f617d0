#include "wsman/ServerEnvelope.h"

#include <QXmlStreamWriter>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

Psrp::Error invalid(QString detail)
{
    return Psrp::makeError(Psrp::ErrorCode::InvalidXml, std::move(detail));
}

QString textOf(const XmlNode *node)
{
    return node ? node->text.trimmed() : QString();
}

QString attr(const XmlNode &node, QAnyStringView name)
{
    return node.attribute(name).value_or(QString());
}

// Writes the response envelope with Windows' prefixes and header (captures: a:Action,
// a:MessageID, a:To anonymous, a:RelatesTo); the caller writes the body.
class ResponseWriter {
public:
    ResponseWriter(const QString &actionUriText, const QString &relatesTo) : m_writer(&m_out)
    {
        m_writer.writeNamespace(Ns::Soap, u"s"_s);
        m_writer.writeNamespace(Ns::Addressing, u"a"_s);
        m_writer.writeNamespace(Ns::Transfer, u"x"_s);
        m_writer.writeNamespace(Ns::Enumeration, u"n"_s);
        m_writer.writeNamespace(Ns::Wsman, u"w"_s);
        m_writer.writeNamespace(Ns::Shell, u"rsp"_s);
        m_writer.writeNamespace(Ns::Wsmv, u"p"_s);
        m_writer.writeStartElement(Ns::Soap, u"Envelope"_s);
        m_writer.writeAttribute(Ns::Xml, u"lang"_s, u"en-US"_s);
        m_writer.writeStartElement(Ns::Soap, u"Header"_s);
        m_writer.writeTextElement(Ns::Addressing, u"Action"_s, actionUriText);
        m_writer.writeTextElement(Ns::Addressing, u"MessageID"_s, u"uuid:"_s + guidText(QUuid::createUuid()));
        m_writer.writeTextElement(Ns::Addressing, u"To"_s, QString(AnonymousAddress));
        m_writer.writeTextElement(Ns::Addressing, u"RelatesTo"_s, relatesTo);
        m_writer.writeEndElement();
        m_writer.writeStartElement(Ns::Soap, u"Body"_s);
    }

    QXmlStreamWriter &xml() { return m_writer; }

    void powerShellPayload(const QString &name, QByteArrayView data)
    {
        m_writer.writeStartElement(name);
        m_writer.writeDefaultNamespace(Ns::PowerShell);
        m_writer.writeCharacters(QString::fromLatin1(data.toByteArray().toBase64()));
        m_writer.writeEndElement();
    }

    QByteArray finish()
    {
        m_writer.writeEndDocument();
        return m_out;
    }

private:
    QByteArray m_out;
    QXmlStreamWriter m_writer;
};

void writeShell(QXmlStreamWriter &xml, const ShellInfo &shell)
{
    auto text = [&](const QString &name, const QString &value) {
        if (!value.isEmpty())
            xml.writeTextElement(Ns::Shell, name, value);
    };
    auto duration = [&](const QString &name, std::optional<qint64> ms) {
        if (ms)
            xml.writeTextElement(Ns::Shell, name, durationFromMs(*ms));
    };
    xml.writeStartElement(Ns::Shell, u"Shell"_s);
    text(u"ShellId"_s, shell.shellId);
    text(u"Name"_s, shell.name);
    text(u"ResourceUri"_s, shell.resourceUri);
    text(u"Owner"_s, shell.owner);
    text(u"ClientIP"_s, shell.clientIp);
    text(u"ProcessId"_s, shell.processId ? QString::number(shell.processId) : QString());
    duration(u"IdleTimeOut"_s, shell.idleTimeoutMs);
    text(u"InputStreams"_s, shell.inputStreams);
    text(u"OutputStreams"_s, shell.outputStreams);
    duration(u"MaxIdleTimeOut"_s, shell.maxIdleTimeoutMs);
    text(u"Locale"_s, shell.locale);
    text(u"DataLocale"_s, shell.dataLocale);
    text(u"CompressionMode"_s, shell.compressionMode);
    text(u"ProfileLoaded"_s, shell.profileLoaded);
    text(u"Encoding"_s, shell.encoding);
    text(u"BufferMode"_s, shell.bufferMode);
    text(u"State"_s, shell.state);
    duration(u"ShellRunTime"_s, shell.shellRunTimeMs);
    duration(u"ShellInactivity"_s, shell.shellInactivityMs);
    xml.writeEndElement();
}

QByteArray emptyBodyResponse(const ServerRequest &request, Action action, const QString &element)
{
    ResponseWriter writer(responseActionUri(action), request.messageId);
    if (!element.isEmpty())
        writer.xml().writeEmptyElement(Ns::Shell, element);
    return writer.finish();
}

} // namespace

std::optional<QString> ServerRequest::option(QStringView name) const
{
    for (const RequestOption &o : options) {
        if (o.name == name)
            return o.value;
    }
    return std::nullopt;
}

Psrp::Result<ServerRequest> parseServerRequest(QByteArrayView body, QStringView charset)
{
    auto root = parseXml(body, charset);
    if (!root)
        return root.error();
    if (!root->is(Ns::Soap, u"Envelope"))
        return invalid(u"not a SOAP 1.2 envelope"_s);
    const XmlNode *header = root->child(Ns::Soap, u"Header");
    const XmlNode *soapBody = root->child(Ns::Soap, u"Body");
    if (!header || !soapBody)
        return invalid(u"envelope without s:Header or s:Body"_s);

    ServerRequest out;
    out.actionUri = textOf(header->child(Ns::Addressing, u"Action"));
    out.action = actionFromUri(out.actionUri);
    if (out.actionUri.endsWith(u"Response"))
        out.action = Action::Unknown;
    out.messageId = textOf(header->child(Ns::Addressing, u"MessageID"));
    out.to = textOf(header->child(Ns::Addressing, u"To"));
    out.resourceUri = textOf(header->child(Ns::Wsman, u"ResourceURI"));
    out.sessionId = textOf(header->child(Ns::Wsmv, u"SessionId"));
    if (const XmlNode *locale = header->child(Ns::Wsman, u"Locale"))
        out.locale = locale->attribute(u"lang", Ns::Xml).value_or(QString());
    if (const XmlNode *locale = header->child(Ns::Wsmv, u"DataLocale"))
        out.dataLocale = locale->attribute(u"lang", Ns::Xml).value_or(QString());
    out.maxEnvelopeSize = textOf(header->child(Ns::Wsman, u"MaxEnvelopeSize")).toLongLong();
    if (const XmlNode *timeout = header->child(Ns::Wsman, u"OperationTimeout")) {
        out.operationTimeoutText = timeout->text.trimmed();
        out.operationTimeoutMs = msFromDuration(out.operationTimeoutText);
    }
    if (const XmlNode *set = header->child(Ns::Wsman, u"SelectorSet")) {
        for (const XmlNode *selector : set->childrenNamed(Ns::Wsman, u"Selector")) {
            if (attr(*selector, u"Name") == u"ShellId")
                out.shellId = selector->text.trimmed();
        }
    }
    if (const XmlNode *set = header->child(Ns::Wsman, u"OptionSet")) {
        for (const XmlNode *option : set->childrenNamed(Ns::Wsman, u"Option")) {
            const QString must = attr(*option, u"MustComply").toLower();
            out.options.append({attr(*option, u"Name"), option->text.trimmed(), must == u"true" || must == u"1"});
        }
    }

    auto payload = [&](const XmlNode *node, QStringView what, QByteArray &target) -> std::optional<Psrp::Error> {
        auto data = decodeBase64Text(node->text, what);
        if (!data)
            return data.error();
        target = std::move(data.value());
        return std::nullopt;
    };

    if (const XmlNode *shell = soapBody->child(Ns::Shell, u"Shell")) {
        out.shellId = attr(*shell, u"ShellId");
        out.idleTimeoutMs = msFromDuration(textOf(shell->child(Ns::Shell, u"IdleTimeOut")));
        out.inputStreams = textOf(shell->child(Ns::Shell, u"InputStreams"));
        out.outputStreams = textOf(shell->child(Ns::Shell, u"OutputStreams"));
        if (const XmlNode *creation = shell->child(Ns::PowerShell, u"creationXml")) {
            if (auto error = payload(creation, u"creationXml", out.creationXml))
                return *error;
        }
    }
    if (const XmlNode *line = soapBody->child(Ns::Shell, u"CommandLine")) {
        out.hasCommandLine = true;
        out.commandId = attr(*line, u"CommandId");
        out.command = textOf(line->child(Ns::Shell, u"Command"));
        const bool psrp = out.resourceUri.startsWith(u"http://schemas.microsoft.com/powershell/");
        for (const XmlNode *arguments : line->childrenNamed(Ns::Shell, u"Arguments")) {
            // MS-PSRP 3.1.5.3.3: base64 fragments; a WinRS (cmd) argument is plain text.
            if (!psrp) {
                out.arguments += arguments->text.toUtf8();
                continue;
            }
            if (auto error = payload(arguments, u"Arguments", out.arguments))
                return *error;
        }
    }
    if (const XmlNode *send = soapBody->child(Ns::Shell, u"Send")) {
        for (const XmlNode *stream : send->childrenNamed(Ns::Shell, u"Stream")) {
            StreamData data{attr(*stream, u"Name"), attr(*stream, u"CommandId"), {}};
            if (auto error = payload(stream, u"rsp:Stream", data.data))
                return *error;
            out.streams.append(std::move(data));
        }
    }
    if (const XmlNode *receive = soapBody->child(Ns::Shell, u"Receive")) {
        if (const XmlNode *desired = receive->child(Ns::Shell, u"DesiredStream")) {
            out.desiredStream = desired->text.trimmed();
            out.commandId = attr(*desired, u"CommandId");
        }
    }
    if (const XmlNode *signal = soapBody->child(Ns::Shell, u"Signal")) {
        out.commandId = attr(*signal, u"CommandId");
        out.signalCode = textOf(signal->child(Ns::Shell, u"Code"));
    }
    if (const XmlNode *disconnect = soapBody->child(Ns::Shell, u"Disconnect"))
        out.idleTimeoutMs = msFromDuration(textOf(disconnect->child(Ns::Shell, u"IdleTimeOut")));
    if (const XmlNode *connect = soapBody->child(Ns::Shell, u"Connect")) {
        out.commandId = attr(*connect, u"CommandId");
        if (const XmlNode *xml = connect->child(Ns::PowerShell, u"connectXml")) {
            out.hasConnectXml = true;
            if (auto error = payload(xml, u"connectXml", out.connectXml))
                return *error;
        }
    }
    if (const XmlNode *enumerate = soapBody->child(Ns::Enumeration, u"Enumerate"))
        out.maxElements = textOf(enumerate->child(Ns::Wsman, u"MaxElements")).toLongLong();
    return out;
}

QByteArray buildCreateResponse(const ServerRequest &request, const ShellInfo &shell, const QString &address)
{
    ResponseWriter writer(responseActionUri(Action::Create), request.messageId);
    QXmlStreamWriter &xml = writer.xml();
    xml.writeStartElement(Ns::Transfer, u"ResourceCreated"_s);
    xml.writeTextElement(Ns::Addressing, u"Address"_s, address);
    xml.writeStartElement(Ns::Addressing, u"ReferenceParameters"_s);
    xml.writeTextElement(Ns::Wsman, u"ResourceURI"_s, shell.resourceUri);
    xml.writeStartElement(Ns::Wsman, u"SelectorSet"_s);
    xml.writeStartElement(Ns::Wsman, u"Selector"_s);
    xml.writeAttribute(u"Name"_s, u"ShellId"_s);
    xml.writeCharacters(shell.shellId);
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndElement();
    writeShell(xml, shell);
    return writer.finish();
}

QByteArray buildCommandResponse(const ServerRequest &request, const QString &commandId)
{
    ResponseWriter writer(responseActionUri(Action::Command), request.messageId);
    QXmlStreamWriter &xml = writer.xml();
    xml.writeStartElement(Ns::Shell, u"CommandResponse"_s);
    xml.writeTextElement(Ns::Shell, u"CommandId"_s, commandId);
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildSendResponse(const ServerRequest &request)
{
    return emptyBodyResponse(request, Action::Send, u"SendResponse"_s);
}

QByteArray buildReceiveResponse(const ServerRequest &request, const QList<StreamData> &streams,
                                const std::optional<CommandState> &commandState)
{
    ResponseWriter writer(responseActionUri(Action::Receive), request.messageId);
    QXmlStreamWriter &xml = writer.xml();
    xml.writeStartElement(Ns::Shell, u"ReceiveResponse"_s);
    for (const StreamData &stream : streams) {
        xml.writeStartElement(Ns::Shell, u"Stream"_s);
        xml.writeAttribute(u"Name"_s, stream.name);
        if (!stream.commandId.isEmpty())
            xml.writeAttribute(u"CommandId"_s, stream.commandId);
        xml.writeCharacters(QString::fromLatin1(stream.data.toBase64()));
        xml.writeEndElement();
    }
    if (commandState) {
        xml.writeStartElement(Ns::Shell, u"CommandState"_s);
        xml.writeAttribute(u"CommandId"_s, commandState->commandId);
        xml.writeAttribute(u"State"_s, commandState->state);
        if (commandState->exitCode)
            xml.writeTextElement(Ns::Shell, u"ExitCode"_s, QString::number(*commandState->exitCode));
        xml.writeEndElement();
    }
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildSignalResponse(const ServerRequest &request)
{
    return emptyBodyResponse(request, Action::Signal, u"SignalResponse"_s);
}

QByteArray buildDeleteResponse(const ServerRequest &request)
{
    return emptyBodyResponse(request, Action::Delete, {});
}

QByteArray buildDisconnectResponse(const ServerRequest &request)
{
    return emptyBodyResponse(request, Action::Disconnect, u"DisconnectResponse"_s);
}

QByteArray buildReconnectResponse(const ServerRequest &request)
{
    return emptyBodyResponse(request, Action::Reconnect, {});
}

QByteArray buildConnectResponse(const ServerRequest &request, QByteArrayView connectResponseXml)
{
    ResponseWriter writer(responseActionUri(Action::Connect), request.messageId);
    QXmlStreamWriter &xml = writer.xml();
    xml.writeStartElement(Ns::Shell, u"ConnectResponse"_s);
    if (request.hasConnectXml) {
        xml.writeTextElement(Ns::Shell, u"InputStreams"_s, u"stdin pr"_s);
        xml.writeTextElement(Ns::Shell, u"OutputStreams"_s, u"stdout"_s);
        writer.powerShellPayload(u"connectResponseXml"_s, connectResponseXml);
    }
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildEnumerateResponse(const ServerRequest &request, const QList<ShellInfo> &shells)
{
    ResponseWriter writer(responseActionUri(Action::Enumerate), request.messageId);
    QXmlStreamWriter &xml = writer.xml();
    xml.writeStartElement(Ns::Enumeration, u"EnumerateResponse"_s);
    xml.writeEmptyElement(Ns::Enumeration, u"EnumerationContext"_s);
    xml.writeStartElement(Ns::Wsman, u"Items"_s);
    for (const ShellInfo &shell : shells)
        writeShell(xml, shell);
    xml.writeEndElement();
    xml.writeEmptyElement(Ns::Wsman, u"EndOfSequence"_s);
    xml.writeEndElement();
    return writer.finish();
}

QByteArray buildGetResponse(const ServerRequest &request, const ShellInfo &shell)
{
    ResponseWriter writer(responseActionUri(Action::Get), request.messageId);
    writeShell(writer.xml(), shell);
    return writer.finish();
}

QByteArray buildFaultResponse(const QString &relatesTo, const Fault &fault)
{
    ResponseWriter writer(u"http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"_s, relatesTo);
    QXmlStreamWriter &xml = writer.xml();
    xml.writeStartElement(Ns::Soap, u"Fault"_s);
    xml.writeStartElement(Ns::Soap, u"Code"_s);
    xml.writeTextElement(Ns::Soap, u"Value"_s, u"s:"_s + (fault.soapCode.isEmpty() ? u"Receiver"_s : fault.soapCode));
    if (!fault.subcode.isEmpty()) {
        xml.writeStartElement(Ns::Soap, u"Subcode"_s);
        xml.writeTextElement(Ns::Soap, u"Value"_s, fault.subcode.contains(u':') ? fault.subcode : u"w:"_s + fault.subcode);
        xml.writeEndElement();
    }
    xml.writeEndElement();
    xml.writeStartElement(Ns::Soap, u"Reason"_s);
    xml.writeStartElement(Ns::Soap, u"Text"_s);
    xml.writeAttribute(Ns::Xml, u"lang"_s, u"en-US"_s);
    xml.writeCharacters(fault.reason.isEmpty() ? fault.message : fault.reason);
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeStartElement(Ns::Soap, u"Detail"_s);
    xml.writeNamespace(Ns::Fault, u"f"_s);
    xml.writeStartElement(Ns::Fault, u"WSManFault"_s);
    xml.writeAttribute(u"Code"_s, QString::number(fault.code));
    xml.writeAttribute(u"Machine"_s, fault.machine);
    xml.writeTextElement(Ns::Fault, u"Message"_s, fault.message);
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndElement();
    return writer.finish();
}

Fault operationTimedOutFault(const QString &machine)
{
    Fault fault;
    fault.code = FaultCode::OperationTimedOut;
    fault.machine = machine;
    fault.soapCode = u"Receiver"_s;
    fault.subcode = u"TimedOut"_s;
    fault.reason = u"The WS-Management service cannot complete the operation within the time specified in OperationTimeout."_s;
    fault.message = fault.reason;
    return fault;
}

Fault shellNotFoundFault(const QString &machine)
{
    Fault fault;
    fault.code = FaultCode::ShellNotFound;
    fault.machine = machine;
    fault.soapCode = u"Sender"_s;
    fault.subcode = u"InvalidSelectors"_s;
    fault.reason = u"The WS-Management service cannot process the request because the request contained invalid selectors for the resource."_s;
    fault.message = u"The request for the Windows Remote Shell with ShellId failed because the shell was not found on the server."_s;
    return fault;
}

} // namespace Wsman
