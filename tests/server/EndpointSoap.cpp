#include "EndpointSoap.h"

#include <QUuid>
#include <QXmlStreamWriter>

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

Wsman::Fault endpointFault(quint32 code, const QString &subcode, const QString &message)
{
    Wsman::Fault fault;
    fault.code = code;
    fault.machine = u"127.0.0.1"_s;
    fault.subcode = subcode.startsWith(u"w:"_s) ? subcode.mid(2) : subcode;
    const bool sender = code == FaultCodes::ShellNotFound || code == FaultCodes::SchemaValidation
                        || code == FaultCodes::InvalidResourceUri || code == FaultCodes::InvalidHeader
                        || code == FaultCodes::EnvelopeTooLarge;
    fault.soapCode = sender ? u"Sender"_s : u"Receiver"_s;
    fault.reason = message;
    fault.message = message;
    return fault;
}

qsizetype receiveOverhead()
{
    static const qsizetype overhead = [] {
        Wsman::ServerRequest request;
        request.messageId = u"uuid:00000000-0000-0000-0000-000000000000"_s;
        const QString id = u"00000000-0000-0000-0000-000000000000"_s;
        Wsman::CommandState state{id, QString(Wsman::CommandStateRunning), std::nullopt};
        return Wsman::buildReceiveResponse(request, {Wsman::StreamData{u"stdout"_s, id, {}}}, state).size();
    }();
    return overhead;
}

QByteArray buildConfigGetResponse(const Wsman::ServerRequest &request, qint64 maxEnvelopeSizeKb, qint64 maxTimeoutMs)
{
    const QString soap = u"http://www.w3.org/2003/05/soap-envelope"_s;
    const QString addressing = u"http://schemas.xmlsoap.org/ws/2004/08/addressing"_s;
    const QString cfg = QString(ConfigResourceUri);
    QByteArray out;
    QXmlStreamWriter xml(&out);
    xml.writeNamespace(soap, u"s"_s);
    xml.writeNamespace(addressing, u"a"_s);
    xml.writeStartElement(soap, u"Envelope"_s);
    xml.writeStartElement(soap, u"Header"_s);
    xml.writeTextElement(addressing, u"Action"_s, u"http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse"_s);
    xml.writeTextElement(addressing, u"MessageID"_s,
                         u"uuid:"_s + QUuid::createUuid().toString(QUuid::WithoutBraces).toUpper());
    xml.writeTextElement(addressing, u"To"_s, u"http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"_s);
    xml.writeTextElement(addressing, u"RelatesTo"_s, request.messageId);
    xml.writeEndElement();
    xml.writeStartElement(soap, u"Body"_s);
    xml.writeNamespace(cfg, u"cfg"_s);
    xml.writeStartElement(cfg, u"Config"_s);
    xml.writeTextElement(cfg, u"MaxEnvelopeSizekb"_s, QString::number(maxEnvelopeSizeKb));
    xml.writeTextElement(cfg, u"MaxTimeoutms"_s, QString::number(maxTimeoutMs));
    xml.writeTextElement(cfg, u"MaxBatchItems"_s, u"32000"_s);
    xml.writeTextElement(cfg, u"MaxProviderRequests"_s, u"4294967295"_s);
    xml.writeStartElement(cfg, u"Winrs"_s);
    xml.writeTextElement(cfg, u"AllowRemoteShellAccess"_s, u"true"_s);
    xml.writeTextElement(cfg, u"IdleTimeout"_s, u"7200000"_s);
    xml.writeTextElement(cfg, u"MaxShellsPerUser"_s, u"2147483647"_s);
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndElement();
    return out;
}

} // namespace TestServer
