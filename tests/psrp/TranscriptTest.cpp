// Known-answer test over the real Windows recordings in ../shared/transcripts/windows: every PSRP
// message is reassembled, deserialized, decoded into its typed payload, and re-serialized; the
// result is compared with the recorded CLIXML text.
// Hand-edited recordings (comments at their top): test_client_copy_file_warning (an injected
// WARNING_RECORD stream), test_psrp_key_exchange_timeout (the ENCRYPTED_SESSION_KEY stream
// removed), test_psrp_reset_runspace_state_fail (RUNSPACE_AVAILABILITY true -> false). None
// leaves a malformed message: all three still decode fully and are checked like the others.
#include "psrp/Clixml.h"
#include "psrp/Fragment.h"
#include "psrp/Message.h"
#include "psrp/Payloads.h"

#include "ClixmlEquivalence.h"
#include "SharedData.h"
#include "Transcript.h"

#include <QFileInfo>
#include <QXmlStreamReader>

#include <gtest/gtest.h>

#include <iostream>
#include <map>

using namespace Psrp;
using namespace Qt::Literals::StringLiterals;

namespace {

struct Leg {
    QString resourceUri;
    QList<QByteArray> payloads; // base64-decoded creationXml/connectXml/Arguments/Stream texts
};

// The ResourceURI and the PSRP-carrying elements of one SOAP envelope.
Leg readEnvelope(const QString &xml)
{
    static const QStringList Carriers = {u"creationXml"_s, u"connectXml"_s, u"connectResponseXml"_s,
                                         u"Arguments"_s, u"Stream"_s};
    Leg leg;
    QXmlStreamReader reader(xml);
    while (!reader.atEnd()) {
        if (reader.readNext() != QXmlStreamReader::StartElement)
            continue;
        const QStringView name = reader.name();
        if (name == u"ResourceURI") {
            leg.resourceUri = reader.readElementText().trimmed();
        } else if (Carriers.contains(name)) {
            const QString text = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed();
            if (!text.isEmpty())
                leg.payloads.append(QByteArray::fromBase64(text.toLatin1()));
        }
    }
    return leg;
}

// The client messages in the recordings were written by pypsrp, whose two enums differ from what
// PowerShell writes (MS-PSRP 2.2.3.x examples, PowerShell's EncodeAndDecode): type names
// ...Runspaces.ApartmentState / ...Runspaces.RemoteStreamOptions instead of
// System.Threading.ApartmentState / System.Management.Automation.RemoteStreamOptions, and the
// ToString texts "UNKNOWN" and "" instead of .NET's "Unknown" and "0". This project writes what
// PowerShell writes; servers read only the I32. Only these exact texts are rewritten.
QByteArray asPowerShellWrites(QByteArray recorded)
{
    recorded.replace("<T>System.Management.Automation.Runspaces.ApartmentState</T>", "<T>System.Threading.ApartmentState</T>");
    recorded.replace("<T>System.Management.Automation.Runspaces.RemoteStreamOptions</T>", "<T>System.Management.Automation.RemoteStreamOptions</T>");
    recorded.replace("<ToString>UNKNOWN</ToString><I32>2</I32>", "<ToString>Unknown</ToString><I32>2</I32>");
    recorded.replace("<ToString></ToString><I32>0</I32>", "<ToString>0</ToString><I32>0</I32>");
    recorded.replace("<ToString /><I32>0</I32>", "<ToString>0</ToString><I32>0</I32>");
    return recorded;
}

// Messages whose typed payload holds the whole object, so toValue() must rebuild the recording.
bool capturesWholeObject(MessageType type, const Payload &payload)
{
    switch (type) {
    case MessageType::SessionCapability:
    case MessageType::InitRunspacePool:
    case MessageType::PublicKey:
    case MessageType::EncryptedSessionKey:
    case MessageType::ConnectRunspacePool:
    case MessageType::SetMaxRunspaces:
    case MessageType::SetMinRunspaces:
    case MessageType::RunspaceAvailability:
    case MessageType::CreatePipeline:
    case MessageType::GetAvailableRunspaces:
    case MessageType::ApplicationPrivateData:
    case MessageType::GetCommandMetadata:
    case MessageType::RunspacePoolInitData:
    case MessageType::ResetRunspaceState:
    case MessageType::RunspacePoolHostCall:
    case MessageType::RunspacePoolHostResponse:
    case MessageType::PipelineInput:
    case MessageType::PipelineOutput:
    case MessageType::ProgressRecord:
    case MessageType::InformationRecord:
    case MessageType::PipelineHostCall:
    case MessageType::PipelineHostResponse:
        return true;
    case MessageType::RunspacePoolState:
        return !std::get<RunspacePoolStateInfo>(payload).error;
    case MessageType::PipelineState:
        return !std::get<PipelineStateInfo>(payload).error;
    default:
        return false;
    }
}

struct FileResult {
    std::map<QString, int> checked; // message type name -> count
    QStringList failures;
    int total = 0;
};

void checkFile(const QString &path, FileResult &result)
{
    const QString file = QFileInfo(path).fileName();
    QString loadError;
    const std::optional<TestSupport::Transcript> transcript = TestSupport::loadTranscript(path, &loadError);
    if (!transcript) {
        result.failures.append(file + u": cannot load: "_s + loadError);
        return;
    }
    Defragmenter toServer;
    Defragmenter toClient;
    QVersionNumber serverVersion = DefaultProtocolVersion;
    for (qsizetype i = 0; i < transcript->exchanges.size(); ++i) {
        const TestSupport::TranscriptExchange &exchange = transcript->exchanges[i];
        const Leg request = readEnvelope(exchange.request);
        if (!request.resourceUri.startsWith(u"http://schemas.microsoft.com/powershell/"))
            continue;
        const Leg response = readEnvelope(exchange.response);
        const std::pair<const Leg *, Defragmenter *> legs[] = {{&request, &toServer}, {&response, &toClient}};
        for (const auto &[leg, defragmenter] : legs) {
            const QString where = file + u" exchange "_s + QString::number(i) + u" (line "_s
                                  + QString::number(exchange.line) + (leg == &request ? u", request"_s : u", response"_s);
            for (const QByteArray &payload : leg->payloads) {
                Result<QList<QByteArray>> messages = defragmenter->feed(payload);
                if (!messages) {
                    result.failures.append(where + u"): fragments: "_s + messages.error().detail);
                    continue;
                }
                for (const QByteArray &bytes : *messages) {
                    Result<Message> message = decodeMessage(bytes);
                    if (!message) {
                        result.failures.append(where + u"): message header: "_s + message.error().detail);
                        continue;
                    }
                    const QString typeName = messageTypeName(message->type);
                    const QString at = where + u") "_s + typeName + u": "_s;
                    Value value;
                    if (!message->data.isEmpty()) {
                        Result<Value> parsed = Clixml::deserialize(message->data);
                        if (!parsed) {
                            result.failures.append(at + u"deserialize: "_s + parsed.error().detail);
                            continue;
                        }
                        value = *parsed;
                        if (auto diff = TestSupport::clixmlDifference(message->data, Clixml::serialize(value)))
                            result.failures.append(at + u"re-serialization differs: "_s + *diff);
                    }
                    Result<Payload> payloadResult = decodePayload(message->type, value);
                    if (!payloadResult) {
                        result.failures.append(at + u"decodePayload: "_s + payloadResult.error().detail);
                        continue;
                    }
                    if (message->type == MessageType::SessionCapability && leg == &response)
                        serverVersion = std::get<SessionCapability>(*payloadResult).protocolVersion;
                    if (capturesWholeObject(message->type, *payloadResult)) {
                        const Value typed = encodePayload(*payloadResult, serverVersion);
                        const QByteArray written = typed.isNull() ? QByteArray() : Clixml::serialize(typed);
                        if (message->data.isEmpty() != written.isEmpty())
                            result.failures.append(at + u"toValue() emptiness differs from the recording"_s);
                        else if (!written.isEmpty()) {
                            const QByteArray expected = message->destination == Destination::Server
                                                            ? asPowerShellWrites(message->data)
                                                            : message->data;
                            if (auto diff = TestSupport::clixmlDifference(expected, written))
                                result.failures.append(at + u"toValue() differs from the recording: "_s + *diff);
                        }
                    }
                    ++result.checked[typeName];
                    ++result.total;
                }
            }
        }
    }
}

bool isPsrpTranscript(const QString &path)
{
    return !QFileInfo(path).fileName().startsWith(u"test_winrs_");
}

std::vector<std::string> transcriptParams()
{
    std::vector<std::string> out;
    for (const QString &path : TestSupport::windowsTranscriptFiles()) {
        if (isPsrpTranscript(path))
            out.push_back(path.toStdString());
    }
    if (out.empty())
        out.push_back({}); // one instance that reports the skip
    return out;
}

std::string testNameOf(const testing::TestParamInfo<std::string> &info)
{
    if (info.param.empty())
        return "NoSharedData";
    std::string name = QFileInfo(QString::fromStdString(info.param)).completeBaseName().toStdString();
    for (char &c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)))
            c = '_';
    }
    return name;
}

class Transcript : public testing::TestWithParam<std::string> {};

} // namespace

TEST_P(Transcript, EveryMessageDecodesAndReserializes)
{
    PSREMOTE_REQUIRE_SHARED();
    if (GetParam().empty())
        GTEST_SKIP() << "no transcripts found";
    FileResult result;
    checkFile(QString::fromStdString(GetParam()), result);
    for (const QString &failure : result.failures)
        ADD_FAILURE() << failure.toStdString();
    RecordProperty("messages", result.total);
}

INSTANTIATE_TEST_SUITE_P(Windows, Transcript, testing::ValuesIn(transcriptParams()), testNameOf);

TEST(TranscriptSummary, EveryRecordedMessageTypeIsChecked)
{
    PSREMOTE_REQUIRE_SHARED();
    FileResult result;
    for (const QString &path : TestSupport::windowsTranscriptFiles()) {
        if (isPsrpTranscript(path))
            checkFile(path, result);
    }
    ASSERT_GT(result.total, 0);
    for (const auto &[type, count] : result.checked) {
        std::cout << "[ checked  ] " << type.toStdString() << ": " << count << '\n';
        RecordProperty(type.toStdString(), count);
    }
    std::cout << "[ checked  ] total: " << result.total << ", failures: " << result.failures.size() << std::endl;
    // Every type the open/run/host/key-exchange recordings exercise must have been seen.
    for (const QString &required : {u"SESSION_CAPABILITY"_s, u"INIT_RUNSPACEPOOL"_s, u"CREATE_PIPELINE"_s,
                                    u"PIPELINE_STATE"_s, u"PIPELINE_HOST_CALL"_s, u"PIPELINE_HOST_RESPONSE"_s,
                                    u"PUBLIC_KEY"_s, u"ENCRYPTED_SESSION_KEY"_s, u"INFORMATION_RECORD"_s})
        EXPECT_GT(result.checked[required], 0) << required.toStdString();
}

// The YAML reader itself: every recording loads, including the replay harness's nested keys
// (test_winrs_bad_cmd_id.yml's `overrides:` list, quoted and `null` scalars).
TEST(TranscriptLoader, EveryRecordingLoadsWithRequestsAndResponses)
{
    PSREMOTE_REQUIRE_SHARED();
    const QStringList files = TestSupport::windowsTranscriptFiles();
    ASSERT_FALSE(files.isEmpty());
    for (const QString &file : files) {
        QString error;
        const std::optional<TestSupport::Transcript> t = TestSupport::loadTranscript(file, &error);
        ASSERT_TRUE(t.has_value()) << error.toStdString();
        ASSERT_FALSE(t->exchanges.isEmpty()) << file.toStdString();
        for (const TestSupport::TranscriptExchange &e : t->exchanges) {
            EXPECT_TRUE(e.request.startsWith(u"<s:Envelope"_s)) << file.toStdString() << ":" << e.line;
            EXPECT_TRUE(e.response.isEmpty() || e.response.startsWith(u"<s:Envelope"_s))
                << file.toStdString() << ":" << e.line;
        }
    }
}
