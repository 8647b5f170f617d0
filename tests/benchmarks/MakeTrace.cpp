// make_trace OUTPUT [OBJECTS]: writes a realistic WS-Management trace (JSON Lines) for timing
// `psremote-cli trace decode`: a Create exchange, a pool Receive, a Command, then Receive
// responses whose Streams carry PIPELINE_OUTPUT messages of process-like objects, cut into many
// fragments per Stream, with messages spanning legs, and a final PIPELINE_STATE.

#include "psrp/Clixml.h"
#include "psrp/Fragment.h"
#include "psrp/Message.h"
#include "psrp/Value.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace {

const QUuid RunspacePoolId(u"{5A0E3B8C-7F61-4A0B-9D3E-2C5B7A9E1F40}"_s);
const QUuid PipelineId(u"{C4D2E6F8-1A3B-4C5D-8E9F-0A1B2C3D4E5F}"_s);
constexpr qsizetype MaxFragmentSize = 480;    // many fragments per Stream
constexpr qsizetype MaxLegPayload = 48 * 1024; // fragment bytes per Receive response

QString shellIdText()
{
    return RunspacePoolId.toString(QUuid::WithoutBraces).toUpper();
}

QString commandIdText()
{
    return PipelineId.toString(QUuid::WithoutBraces).toUpper();
}

QString header(QStringView action, QStringView extra)
{
    return u"<s:Envelope xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\" "
           "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
           "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
           "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
           "xmlns:wsmv=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\"><s:Header>"
           "<wsa:Action s:mustUnderstand=\"true\">"_s
        + action.toString()
        + u"</wsa:Action><wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">512000</wsman:MaxEnvelopeSize>"
          "<wsa:MessageID>uuid:"_s
        + QUuid::createUuid().toString(QUuid::WithoutBraces).toUpper()
        + u"</wsa:MessageID><wsman:OperationTimeout>PT20S</wsman:OperationTimeout>"
          "<wsman:ResourceURI s:mustUnderstand=\"true\">http://schemas.microsoft.com/powershell/Microsoft.PowerShell</wsman:ResourceURI>"_s
        + extra.toString() + u"</s:Header>"_s;
}

QString selector()
{
    return u"<wsman:SelectorSet><wsman:Selector Name=\"ShellId\">"_s + shellIdText()
        + u"</wsman:Selector></wsman:SelectorSet>"_s;
}

QString responseEnvelope(QStringView action, const QString &body)
{
    return u"<s:Envelope xml:lang=\"en-US\" xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
           "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
           "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Header>"
           "<a:Action>"_s
        + action.toString() + u"</a:Action></s:Header><s:Body>"_s + body + u"</s:Body></s:Envelope>"_s;
}

QByteArray psrpMessage(Psrp::Destination destination, Psrp::MessageType type, const QUuid &pipeline,
                       const QByteArray &clixml)
{
    Psrp::Message message;
    message.destination = destination;
    message.type = type;
    message.runspacePoolId = RunspacePoolId;
    message.pipelineId = pipeline;
    message.data = clixml;
    return Psrp::encodeMessage(message, destination == Psrp::Destination::Client);
}

QByteArray fragments(quint64 objectId, const QByteArray &message)
{
    return Psrp::encodeFragments(Psrp::fragmentMessage(objectId, message, MaxFragmentSize));
}

// A Get-Process-like object: adapted properties of a System.Diagnostics.Process plus the
// remoting note properties.
QByteArray processObject(int index)
{
    Psrp::ObjectPtr object = Psrp::PsObject::create();
    const QString name = u"svchost%1"_s.arg(index % 97);
    object->typeNames = {u"Deserialized.System.Diagnostics.Process"_s, u"Deserialized.System.Object"_s};
    object->toString = u"System.Diagnostics.Process ("_s + name + u')';
    auto prop = [&](const QString &key, Psrp::Value value) {
        object->adaptedProperties.append({key, std::move(value)});
    };
    prop(u"Name"_s, name);
    prop(u"Id"_s, qint32(1000 + index));
    prop(u"WorkingSet64"_s, qint64(10'000'000) + index * 4096);
    prop(u"CPU"_s, double(index) * 0.015625);
    prop(u"StartTime"_s, Psrp::DateTime{638'400'000'000'000'000 + qint64(index) * 10'000'000, Psrp::DateTime::Kind::Utc, 0});
    prop(u"Path"_s, u"C:\\Windows\\System32\\"_s + name + u".exe"_s);
    prop(u"Description"_s, u"Service host & <co>"_s);
    object->extendedProperties.append({u"PSComputerName"_s, u"srv01.example"_s});
    object->extendedProperties.append({u"RunspaceId"_s, RunspacePoolId});
    return Psrp::Clixml::serialize(Psrp::Value(object));
}

class TraceWriter {
public:
    explicit TraceWriter(QFile &file) : m_file(file) {}
    void leg(QStringView direction, const QString &body)
    {
        QJsonObject object;
        object.insert(u"direction"_s, direction.toString());
        object.insert(u"body"_s, body);
        m_file.write(QJsonDocument(object).toJson(QJsonDocument::Compact));
        m_file.write("\n", 1);
    }

private:
    QFile &m_file;
};

QString receiveRequest(bool pipeline)
{
    const QString desired = pipeline ? u"<rsp:DesiredStream CommandId=\""_s + commandIdText() + u"\">stdout</rsp:DesiredStream>"_s
                                     : u"<rsp:DesiredStream>stdout</rsp:DesiredStream>"_s;
    return header(u"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive", selector())
        + u"<s:Body><rsp:Receive>"_s + desired + u"</rsp:Receive></s:Body></s:Envelope>"_s;
}

// Splits fragment bytes into Stream elements of whole fragments, several per Stream.
QString streams(const QByteArray &bytes, bool pipeline)
{
    QString out;
    qsizetype offset = 0;
    const QString open = pipeline ? u"<rsp:Stream Name=\"stdout\" CommandId=\""_s + commandIdText() + u"\">"_s
                                  : u"<rsp:Stream Name=\"stdout\">"_s;
    constexpr qsizetype StreamBytes = 8 * 1024;
    while (offset < bytes.size()) {
        qsizetype end = offset;
        while (end < bytes.size() && end - offset < StreamBytes) {
            const uchar *p = reinterpret_cast<const uchar *>(bytes.constData()) + end;
            const quint32 length = (quint32(p[17]) << 24) | (quint32(p[18]) << 16) | (quint32(p[19]) << 8) | p[20];
            end += Psrp::FragmentHeaderSize + length;
        }
        out += open + QString::fromLatin1(bytes.mid(offset, end - offset).toBase64()) + u"</rsp:Stream>"_s;
        offset = end;
    }
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.size() < 2 || args.size() > 3) {
        std::fprintf(stderr, "usage: make_trace OUTPUT [OBJECTS]\n");
        return 2;
    }
    const int objects = args.size() == 3 ? args.at(2).toInt() : 20000;
    QFile file(args.at(1));
    if (objects <= 0 || !file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        std::fprintf(stderr, "make_trace: cannot write %s\n", qPrintable(args.at(1)));
        return 1;
    }
    TraceWriter trace(file);
    quint64 clientObject = 1;
    quint64 serverObject = 1;
    using Psrp::Destination;
    using Psrp::MessageType;

    const QByteArray capability =
        "<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version><Version N=\"PSVersion\">2.0</Version>"
        "<Version N=\"SerializationVersion\">1.1.0.1</Version></MS></Obj>";
    const QByteArray init =
        "<Obj RefId=\"0\"><MS><I32 N=\"MinRunspaces\">1</I32><I32 N=\"MaxRunspaces\">1</I32>"
        "<Obj N=\"HostInfo\" RefId=\"1\"><MS><B N=\"_isHostNull\">true</B><B N=\"_isHostUINull\">true</B>"
        "<B N=\"_isHostRawUINull\">true</B><B N=\"_useRunspaceHost\">true</B></MS></Obj>"
        "<Nil N=\"ApplicationArguments\" /></MS></Obj>";
    QByteArray creation = fragments(clientObject++, psrpMessage(Destination::Server, MessageType::SessionCapability, {}, capability));
    creation += fragments(clientObject++, psrpMessage(Destination::Server, MessageType::InitRunspacePool, {}, init));
    trace.leg(u"request", header(u"http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                 u"<wsman:OptionSet s:mustUnderstand=\"true\"><wsman:Option MustComply=\"true\" "
                                 "Name=\"protocolversion\">2.3</wsman:Option></wsman:OptionSet>")
                              + u"<s:Body><rsp:Shell ShellId=\""_s + shellIdText()
                              + u"\"><rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams>"
                                "<creationXml xmlns=\"http://schemas.microsoft.com/powershell\">"_s
                              + QString::fromLatin1(creation.toBase64())
                              + u"</creationXml></rsp:Shell></s:Body></s:Envelope>"_s);
    trace.leg(u"response", responseEnvelope(u"http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
                                            u"<rsp:Shell><rsp:ShellId>"_s + shellIdText() + u"</rsp:ShellId></rsp:Shell>"_s));

    QByteArray poolData = fragments(serverObject++, psrpMessage(Destination::Client, MessageType::SessionCapability, {}, capability));
    poolData += fragments(serverObject++, psrpMessage(Destination::Client, MessageType::RunspacePoolState, {},
                                                      "<Obj RefId=\"0\"><MS><I32 N=\"RunspaceState\">2</I32></MS></Obj>"));
    trace.leg(u"request", receiveRequest(false));
    trace.leg(u"response", responseEnvelope(u"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse",
                                            u"<rsp:ReceiveResponse>"_s + streams(poolData, false) + u"</rsp:ReceiveResponse>"_s));

    const QByteArray createPipeline =
        "<Obj RefId=\"0\"><MS><B N=\"NoInput\">true</B><B N=\"AddToHistory\">false</B><Obj N=\"PowerShell\" RefId=\"1\">"
        "<MS><B N=\"IsNested\">false</B><Nil N=\"ExtraCmds\" /><Obj N=\"Cmds\" RefId=\"2\"><TN RefId=\"0\">"
        "<T>System.Collections.Generic.List`1[[System.Management.Automation.PSObject]]</T><T>System.Object</T></TN>"
        "<LST><Obj RefId=\"3\"><MS><S N=\"Cmd\">Get-Process</S><B N=\"IsScript\">false</B><Nil N=\"UseLocalScope\" />"
        "<Obj N=\"Args\" RefId=\"4\"><TNRef RefId=\"0\" /><LST /></Obj></MS></Obj></LST></Obj>"
        "<Nil N=\"History\" /><B N=\"RedirectShellErrorOutputPipe\">true</B></MS></Obj><B N=\"IsNested\">false</B></MS></Obj>";
    const QByteArray command = fragments(clientObject++, psrpMessage(Destination::Server, MessageType::CreatePipeline, PipelineId, createPipeline));
    trace.leg(u"request", header(u"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command", selector())
                              + u"<s:Body><rsp:CommandLine CommandId=\""_s + commandIdText()
                              + u"\"><rsp:Command /><rsp:Arguments>"_s + QString::fromLatin1(command.toBase64())
                              + u"</rsp:Arguments></rsp:CommandLine></s:Body></s:Envelope>"_s);
    trace.leg(u"response", responseEnvelope(u"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse",
                                            u"<rsp:CommandResponse><rsp:CommandId>"_s + commandIdText()
                                                + u"</rsp:CommandId></rsp:CommandResponse>"_s));

    // Output: fragments accumulate across messages; each Receive response takes whole fragments
    // up to MaxLegPayload, so long messages continue in the next response.
    QByteArray pending;
    auto flush = [&](bool last) {
        while (pending.size() >= MaxLegPayload || (last && !pending.isEmpty())) {
            qsizetype end = 0;
            while (end < pending.size() && end < MaxLegPayload) {
                const uchar *p = reinterpret_cast<const uchar *>(pending.constData()) + end;
                end += Psrp::FragmentHeaderSize
                    + qsizetype((quint32(p[17]) << 24) | (quint32(p[18]) << 16) | (quint32(p[19]) << 8) | p[20]);
            }
            trace.leg(u"request", receiveRequest(true));
            trace.leg(u"response", responseEnvelope(u"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse",
                                                    u"<rsp:ReceiveResponse>"_s + streams(pending.left(end), true)
                                                        + u"</rsp:ReceiveResponse>"_s));
            pending.remove(0, end);
        }
    };
    for (int i = 0; i < objects; ++i) {
        pending += fragments(serverObject++, psrpMessage(Destination::Client, MessageType::PipelineOutput, PipelineId, processObject(i)));
        flush(false);
    }
    pending += fragments(serverObject++, psrpMessage(Destination::Client, MessageType::PipelineState, PipelineId,
                                                     "<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">4</I32></MS></Obj>"));
    flush(true);
    file.close();
    std::fprintf(stderr, "make_trace: %d objects, %lld bytes\n", objects, static_cast<long long>(QFile(args.at(1)).size()));
    return 0;
}
