#include "psrp/Message.h"

#include "psrp/Fragment.h"

#include "SharedData.h"
#include "Transcript.h"

#include <QRegularExpression>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Psrp;

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

// The dossier's worked example (section 2.2): Destination Server, SESSION_CAPABILITY, then a
// RPID and an all-zero PID.
const char *workedHeader = "02000000" "02000100"
                           "00112233445566778899aabbccddeeff"
                           "00000000000000000000000000000000";

} // namespace

TEST(Message, DecodesTheWorkedExampleHeader)
{
    const QByteArray bytes = hex(workedHeader) % QByteArrayLiteral("<Obj RefId=\"0\"/>");
    Result<Message> message = decodeMessage(bytes);
    ASSERT_TRUE(message.ok()) << message.error().detail.toStdString();
    EXPECT_EQ(message->destination, Destination::Server);
    EXPECT_EQ(message->type, MessageType::SessionCapability);
    EXPECT_EQ(message->runspacePoolId, QUuid(u"{33221100-5544-7766-8899-aabbccddeeff}"_s));
    EXPECT_TRUE(message->pipelineId.isNull());
    EXPECT_EQ(message->data, QByteArrayLiteral("<Obj RefId=\"0\"/>"));
}

TEST(Message, GuidUsesDotNetByteOrder)
{
    const QUuid id(u"{846A0576-DC51-244F-9262-CA2A55464B2B}"_s);
    EXPECT_EQ(guidToDotNetBytes(id), hex("76056a8451dc4f249262ca2a55464b2b"));
    EXPECT_EQ(guidFromDotNetBytes(hex("76056a8451dc4f249262ca2a55464b2b")), id);
    EXPECT_TRUE(guidFromDotNetBytes(hex("0102")).isNull());
}

TEST(Message, EncodeRoundTripsAndWritesLittleEndianHeader)
{
    Message message;
    message.destination = Destination::Client;
    message.type = MessageType::PipelineOutput;
    message.runspacePoolId = QUuid(u"{76056A84-51DC-4F24-9262-CA2A55464B2B}"_s);
    message.pipelineId = QUuid(u"{11111111-2222-3333-4444-555555555555}"_s);
    message.data = QByteArrayLiteral("<S>hi</S>");
    const QByteArray bytes = encodeMessage(message);
    ASSERT_EQ(bytes.size(), MessageHeaderSize + 9);
    EXPECT_EQ(bytes.left(8), hex("0100000004100400"));
    EXPECT_EQ(bytes.mid(8, 16), hex("846a0576dc51244f9262ca2a55464b2b"));
    EXPECT_EQ(bytes.mid(24, 16), hex("11111111222233334444555555555555"));
    Result<Message> decoded = decodeMessage(bytes);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->destination, message.destination);
    EXPECT_EQ(decoded->type, message.type);
    EXPECT_EQ(decoded->runspacePoolId, message.runspacePoolId);
    EXPECT_EQ(decoded->pipelineId, message.pipelineId);
    EXPECT_EQ(decoded->data, message.data);
}

TEST(Message, BomIsWrittenOnRequestAndStrippedOnDecode)
{
    Message message;
    message.data = QByteArrayLiteral("<S>x</S>");
    const QByteArray bytes = encodeMessage(message, true);
    EXPECT_EQ(bytes.mid(MessageHeaderSize, 3), hex("efbbbf"));
    Result<Message> decoded = decodeMessage(bytes);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->data, QByteArrayLiteral("<S>x</S>"));
    // Only one BOM is stripped; a message that is only a BOM decodes to empty data.
    Result<Message> onlyBom = decodeMessage(QByteArray(hex(workedHeader) + hex("efbbbf")));
    ASSERT_TRUE(onlyBom.ok());
    EXPECT_TRUE(onlyBom->data.isEmpty());
}

TEST(Message, EmptyDataIsAllowed)
{
    Message message;
    message.type = MessageType::EndOfPipelineInput;
    const QByteArray bytes = encodeMessage(message);
    EXPECT_EQ(bytes.size(), MessageHeaderSize);
    Result<Message> decoded = decodeMessage(bytes);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->type, MessageType::EndOfPipelineInput);
    EXPECT_TRUE(decoded->data.isEmpty());
}

TEST(Message, ShortInputIsTruncated)
{
    for (qsizetype size : {0, 1, 8, 39}) {
        Result<Message> decoded = decodeMessage(hex(workedHeader).left(size));
        ASSERT_FALSE(decoded.ok()) << size;
        EXPECT_EQ(decoded.error().code, ErrorCode::MessageTruncated);
    }
}

TEST(Message, UnknownTypeAndDestinationAreErrors)
{
    QByteArray badType = hex(workedHeader);
    badType[4] = 0x7F;
    Result<Message> decoded = decodeMessage(badType);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, ErrorCode::UnknownMessageType);

    QByteArray badDestination = hex(workedHeader);
    badDestination[0] = 0x03;
    decoded = decodeMessage(badDestination);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, ErrorCode::InvalidValue);
}

TEST(Message, TypeNamesAndDirections)
{
    EXPECT_EQ(messageTypeName(MessageType::PipelineOutput), u"PIPELINE_OUTPUT"_s);
    EXPECT_EQ(messageTypeName(MessageType::SessionCapability), u"SESSION_CAPABILITY"_s);
    EXPECT_EQ(messageTypeName(MessageType::RunspacePoolHostResponse), u"RUNSPACEPOOL_HOST_RESPONSE"_s);
    EXPECT_EQ(messageTypeName(MessageType::EndOfPipelineInput), u"END_OF_PIPELINE_INPUT"_s);
    EXPECT_EQ(messageTypeFromWire(0x00041010), MessageType::ProgressRecord);
    EXPECT_EQ(messageTypeFromWire(0x00041012), std::nullopt);
    EXPECT_EQ(messageTypeFromWire(0), std::nullopt);
    EXPECT_TRUE(isSentByClient(MessageType::SessionCapability));
    EXPECT_TRUE(isSentByServer(MessageType::SessionCapability));
    EXPECT_TRUE(isSentByClient(MessageType::CreatePipeline));
    EXPECT_FALSE(isSentByServer(MessageType::CreatePipeline));
    EXPECT_TRUE(isSentByServer(MessageType::EncryptedSessionKey));
    EXPECT_FALSE(isSentByClient(MessageType::EncryptedSessionKey));
}

// The creationXml of test_psrp_open_runspace.yml: SESSION_CAPABILITY then INIT_RUNSPACEPOOL.
TEST(Message, DecodesTheRecordedCreationXml)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto transcript = TestSupport::loadTranscript(
        TestSupport::windowsTranscriptsDir() + u"/test_psrp_open_runspace.yml"_s);
    ASSERT_TRUE(transcript.has_value());
    ASSERT_FALSE(transcript->exchanges.isEmpty());
    static const QRegularExpression creation(u"<creationXml[^>]*>([^<]*)</creationXml>"_s);
    const QRegularExpressionMatch match = creation.match(transcript->exchanges.first().request);
    ASSERT_TRUE(match.hasMatch());
    const QByteArray payload = QByteArray::fromBase64(match.captured(1).toLatin1());
    // The dossier's worked example: ObjectId 1, FragmentId 0, S+E, 199-byte blob.
    EXPECT_EQ(payload.left(21), hex("0000000000000001" "0000000000000000" "03" "000000c7"));

    Defragmenter defragmenter;
    Result<QList<QByteArray>> messages = defragmenter.feed(payload);
    ASSERT_TRUE(messages.ok()) << messages.error().detail.toStdString();
    ASSERT_EQ(messages->size(), 2);
    Result<Message> first = decodeMessage(messages->at(0));
    Result<Message> second = decodeMessage(messages->at(1));
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->destination, Destination::Server);
    EXPECT_EQ(first->type, MessageType::SessionCapability);
    EXPECT_EQ(second->type, MessageType::InitRunspacePool);
    // pypsrp wrote the RPID in RFC order, so read in .NET order it differs from the ShellId.
    EXPECT_EQ(first->runspacePoolId, QUuid(u"{846A0576-DC51-244F-9262-CA2A55464B2B}"_s));
    EXPECT_TRUE(first->pipelineId.isNull());
    EXPECT_TRUE(first->data.startsWith("<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version>"));
    EXPECT_TRUE(second->data.contains("<I32 N=\"MinRunspaces\">1</I32>"));
}
