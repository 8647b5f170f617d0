#include "EndpointSoap.h"

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

} // namespace TestServer
