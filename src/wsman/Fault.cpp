#include "wsman/Fault.h"

#include "wsman/Envelope.h"

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

QString localPart(const QString &qname)
{
    const qsizetype colon = qname.indexOf(u':');
    return (colon < 0 ? qname : qname.mid(colon + 1)).trimmed();
}

// All character data below a node, in document order.
void collectText(const XmlNode &node, QString &out)
{
    out += node.text;
    for (const XmlNode &child : node.children)
        collectText(child, out);
}

quint32 codeFromSubcode(const QString &subcode)
{
    if (subcode == u"TimedOut")
        return FaultCode::OperationTimedOut;
    if (subcode == u"SchemaValidationError")
        return FaultCode::SchemaValidation;
    if (subcode == u"AccessDenied")
        return FaultCode::AccessDenied;
    if (subcode == u"EncodingLimit")
        return FaultCode::EnvelopeTooLarge;
    if (subcode == u"DestinationUnreachable")
        return FaultCode::InvalidResourceUri;
    return 0;
}

} // namespace

FaultKind Fault::kind() const
{
    return faultKind(code);
}

Psrp::Result<Fault> parseFault(QByteArrayView body)
{
    auto root = parseXml(body);
    if (!root)
        return root.error();
    const XmlNode *soapBody = root->is(Ns::Soap, u"Envelope") ? root->child(Ns::Soap, u"Body") : nullptr;
    const XmlNode *fault = soapBody ? soapBody->child(Ns::Soap, u"Fault") : nullptr;
    if (!fault)
        return Psrp::makeError(Psrp::ErrorCode::InvalidXml, u"not a SOAP fault"_s);
    Fault out;
    if (const XmlNode *code = fault->child(Ns::Soap, u"Code")) {
        if (const XmlNode *value = code->child(Ns::Soap, u"Value"))
            out.soapCode = localPart(value->text);
        if (const XmlNode *sub = code->child(Ns::Soap, u"Subcode")) {
            if (const XmlNode *value = sub->child(Ns::Soap, u"Value"))
                out.subcode = localPart(value->text);
        }
    }
    if (const XmlNode *reason = fault->child(Ns::Soap, u"Reason")) {
        if (const XmlNode *text = reason->child(Ns::Soap, u"Text"))
            out.reason = text->text.trimmed();
    }
    bool haveCode = false;
    if (const XmlNode *wsmanFault = fault->find(Ns::Fault, u"WSManFault")) {
        bool ok = false;
        const quint32 code = wsmanFault->attribute(u"Code").value_or(QString()).trimmed().toUInt(&ok);
        if (ok) {
            out.code = code;
            haveCode = true;
        }
        out.machine = wsmanFault->attribute(u"Machine").value_or(QString());
        if (const XmlNode *message = wsmanFault->child(Ns::Fault, u"Message")) {
            QString text;
            collectText(*message, text);
            out.message = text.trimmed();
        }
    }
    if (!haveCode)
        out.code = codeFromSubcode(out.subcode);
    if (out.message.isEmpty())
        out.message = out.reason;
    return out;
}

FaultKind faultKind(quint32 code)
{
    switch (code) {
    case FaultCode::OperationTimedOut: return FaultKind::OperationTimedOut;
    case FaultCode::ShellNotFound: return FaultKind::ShellNotFound;
    case FaultCode::AccessDenied: return FaultKind::AccessDenied;
    case FaultCode::LogonFailure:
    case FaultCode::AuthenticationFailed:
    case FaultCode::ExplicitCredentialsRequired:
    case FaultCode::ServerNotTrusted: return FaultKind::Authentication;
    case FaultCode::QuotaExceeded: return FaultKind::QuotaExceeded;
    case FaultCode::SchemaValidation: return FaultKind::SchemaValidation;
    case FaultCode::InvalidHeader: return FaultKind::InvalidHeader;
    case FaultCode::InvalidParameter: return FaultKind::InvalidParameter;
    case FaultCode::EnvelopeTooLarge: return FaultKind::EnvelopeTooLarge;
    case FaultCode::InvalidResourceUri: return FaultKind::InvalidResourceUri;
    case FaultCode::RedirectRequested: return FaultKind::Redirect;
    case FaultCode::IncorrectProtocolVersion: return FaultKind::IncorrectProtocolVersion;
    case FaultCode::CannotConnect:
    case FaultCode::ComputerNotFound:
    case FaultCode::CannotUseIp: return FaultKind::CannotConnect;
    default: return FaultKind::Other;
    }
}

QString fullyQualifiedErrorId(quint32 code)
{
    // PowerShell WSManTransportManager s_transportErrorCodeToFQEID (dossier 1.11).
    switch (code) {
    case FaultCode::AccessDenied: return u"AccessDenied"_s;
    case FaultCode::LogonFailure: return u"LogonFailure"_s;
    case FaultCode::AuthenticationFailed: return u"AuthenticationFailed"_s;
    case FaultCode::ComputerNotFound: return u"ComputerNotFound"_s;
    case FaultCode::CannotConnect: return u"CannotConnect"_s;
    case FaultCode::InvalidResourceUri: return u"InvalidResourceUri"_s;
    case FaultCode::ServerNotTrusted: return u"ServerNotTrusted"_s;
    case FaultCode::ExplicitCredentialsRequired: return u"ExplicitCredentialsRequired"_s;
    case FaultCode::CannotUseIp: return u"CannotUseIP"_s;
    case FaultCode::OperationTimedOut: return u"WinRMOperationTimeout"_s;
    case FaultCode::ShellNotFound: return u"TargetSessionDoesNotExist"_s;
    case FaultCode::RedirectRequested: return u"RedirectRequested"_s;
    case FaultCode::IncorrectProtocolVersion: return u"IncorrectProtocolVersion"_s;
    case FaultCode::QuotaExceeded: return u"QuotaExceeded"_s;
    case FaultCode::EnvelopeTooLarge: return u"MaxEnvelopeSizeExceeded"_s;
    case FaultCode::SchemaValidation: return u"SchemaValidationError"_s;
    default: return u"PSSessionStateBroken"_s;
    }
}

QString faultMeaning(quint32 code)
{
    switch (faultKind(code)) {
    case FaultKind::OperationTimedOut: return u"operation timed out (on Receive: no data yet, receive again)"_s;
    case FaultKind::ShellNotFound: return u"the shell or command no longer exists on the server"_s;
    case FaultKind::AccessDenied: return u"access denied to the session configuration"_s;
    case FaultKind::Authentication: return u"authentication failed"_s;
    case FaultKind::QuotaExceeded: return u"per-user shell or command quota exceeded"_s;
    case FaultKind::SchemaValidation: return u"request failed schema validation"_s;
    case FaultKind::InvalidHeader: return u"request has an invalid SOAP header"_s;
    case FaultKind::InvalidParameter: return u"invalid parameter"_s;
    case FaultKind::EnvelopeTooLarge: return u"request exceeds MaxEnvelopeSize"_s;
    case FaultKind::InvalidResourceUri: return u"invalid resource URI (unknown configuration name)"_s;
    case FaultKind::Redirect: return u"server requests a redirect"_s;
    case FaultKind::IncorrectProtocolVersion: return u"protocolversion rejected"_s;
    case FaultKind::CannotConnect: return u"cannot connect to the destination"_s;
    case FaultKind::Other: break;
    }
    return u"WS-Management fault"_s;
}

} // namespace Wsman
