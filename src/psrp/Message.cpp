#include "psrp/Message.h"

#include <QtEndian>

#include <algorithm>
#include <array>

using namespace Qt::Literals::StringLiterals;

namespace Psrp {

namespace {

struct TypeInfo {
    MessageType type;
    QLatin1StringView name;
    bool byClient;
    bool byServer;
};

// MS-PSRP 2.2.1 message type table with the direction each type travels.
constexpr std::array<TypeInfo, 31> typeTable{{
    {MessageType::SessionCapability, "SESSION_CAPABILITY"_L1, true, true},
    {MessageType::InitRunspacePool, "INIT_RUNSPACEPOOL"_L1, true, false},
    {MessageType::PublicKey, "PUBLIC_KEY"_L1, true, false},
    {MessageType::EncryptedSessionKey, "ENCRYPTED_SESSION_KEY"_L1, false, true},
    {MessageType::PublicKeyRequest, "PUBLIC_KEY_REQUEST"_L1, false, true},
    {MessageType::ConnectRunspacePool, "CONNECT_RUNSPACEPOOL"_L1, true, false},
    {MessageType::SetMaxRunspaces, "SET_MAX_RUNSPACES"_L1, true, false},
    {MessageType::SetMinRunspaces, "SET_MIN_RUNSPACES"_L1, true, false},
    {MessageType::RunspaceAvailability, "RUNSPACE_AVAILABILITY"_L1, false, true},
    {MessageType::RunspacePoolState, "RUNSPACEPOOL_STATE"_L1, false, true},
    {MessageType::CreatePipeline, "CREATE_PIPELINE"_L1, true, false},
    {MessageType::GetAvailableRunspaces, "GET_AVAILABLE_RUNSPACES"_L1, true, false},
    {MessageType::UserEvent, "USER_EVENT"_L1, false, true},
    {MessageType::ApplicationPrivateData, "APPLICATION_PRIVATE_DATA"_L1, false, true},
    {MessageType::GetCommandMetadata, "GET_COMMAND_METADATA"_L1, true, false},
    {MessageType::RunspacePoolInitData, "RUNSPACEPOOL_INIT_DATA"_L1, false, true},
    {MessageType::ResetRunspaceState, "RESET_RUNSPACE_STATE"_L1, true, false},
    {MessageType::RunspacePoolHostCall, "RUNSPACEPOOL_HOST_CALL"_L1, false, true},
    {MessageType::RunspacePoolHostResponse, "RUNSPACEPOOL_HOST_RESPONSE"_L1, true, false},
    {MessageType::PipelineInput, "PIPELINE_INPUT"_L1, true, false},
    {MessageType::EndOfPipelineInput, "END_OF_PIPELINE_INPUT"_L1, true, false},
    {MessageType::PipelineOutput, "PIPELINE_OUTPUT"_L1, false, true},
    {MessageType::ErrorRecord, "ERROR_RECORD"_L1, false, true},
    {MessageType::PipelineState, "PIPELINE_STATE"_L1, false, true},
    {MessageType::DebugRecord, "DEBUG_RECORD"_L1, false, true},
    {MessageType::VerboseRecord, "VERBOSE_RECORD"_L1, false, true},
    {MessageType::WarningRecord, "WARNING_RECORD"_L1, false, true},
    {MessageType::ProgressRecord, "PROGRESS_RECORD"_L1, false, true},
    {MessageType::InformationRecord, "INFORMATION_RECORD"_L1, false, true},
    {MessageType::PipelineHostCall, "PIPELINE_HOST_CALL"_L1, false, true},
    {MessageType::PipelineHostResponse, "PIPELINE_HOST_RESPONSE"_L1, true, false},
}};

// typeTable's indices ordered by wire value, for a binary search (every message is looked up).
constexpr std::array<quint8, typeTable.size()> byValue = [] {
    std::array<quint8, typeTable.size()> order{};
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = quint8(i);
    std::sort(order.begin(), order.end(), [](quint8 a, quint8 b) {
        return static_cast<quint32>(typeTable[a].type) < static_cast<quint32>(typeTable[b].type);
    });
    return order;
}();

const TypeInfo *findType(quint32 value)
{
    const auto it = std::lower_bound(byValue.begin(), byValue.end(), value, [](quint8 index, quint32 v) {
        return static_cast<quint32>(typeTable[index].type) < v;
    });
    if (it == byValue.end() || static_cast<quint32>(typeTable[*it].type) != value)
        return nullptr;
    return &typeTable[*it];
}

constexpr QByteArrayView utf8Bom("\xEF\xBB\xBF", 3);

} // namespace

QString messageTypeName(MessageType type)
{
    if (const TypeInfo *info = findType(static_cast<quint32>(type)))
        return QString(info->name);
    return u"0x%1"_s.arg(static_cast<quint32>(type), 8, 16, QChar(u'0'));
}

std::optional<MessageType> messageTypeFromWire(quint32 value)
{
    if (const TypeInfo *info = findType(value))
        return info->type;
    return std::nullopt;
}

bool isSentByClient(MessageType type)
{
    const TypeInfo *info = findType(static_cast<quint32>(type));
    return info && info->byClient;
}

bool isSentByServer(MessageType type)
{
    const TypeInfo *info = findType(static_cast<quint32>(type));
    return info && info->byServer;
}

QByteArray guidToDotNetBytes(const QUuid &id)
{
    QByteArray out(16, Qt::Uninitialized);
    uchar *p = reinterpret_cast<uchar *>(out.data());
    qToLittleEndian<quint32>(id.data1, p);
    qToLittleEndian<quint16>(id.data2, p + 4);
    qToLittleEndian<quint16>(id.data3, p + 6);
    for (int i = 0; i < 8; ++i)
        p[8 + i] = id.data4[i];
    return out;
}

QUuid guidFromDotNetBytes(QByteArrayView sixteenBytes)
{
    if (sixteenBytes.size() < 16)
        return {};
    const uchar *p = reinterpret_cast<const uchar *>(sixteenBytes.data());
    return QUuid(qFromLittleEndian<quint32>(p), qFromLittleEndian<quint16>(p + 4),
                 qFromLittleEndian<quint16>(p + 6), p[8], p[9], p[10], p[11], p[12], p[13], p[14],
                 p[15]);
}

// MS-PSRP 2.2.1: Destination and MessageType little-endian, then RPID and PID, then data.
QByteArray encodeMessage(const Message &message, bool withBom)
{
    const bool addBom = withBom && !message.data.startsWith(utf8Bom);
    QByteArray out;
    out.reserve(MessageHeaderSize + (addBom ? 3 : 0) + message.data.size());
    uchar word[4];
    qToLittleEndian<quint32>(static_cast<quint32>(message.destination), word);
    out.append(reinterpret_cast<const char *>(word), 4);
    qToLittleEndian<quint32>(static_cast<quint32>(message.type), word);
    out.append(reinterpret_cast<const char *>(word), 4);
    out.append(guidToDotNetBytes(message.runspacePoolId));
    out.append(guidToDotNetBytes(message.pipelineId));
    if (addBom)
        out.append(utf8Bom);
    out.append(message.data);
    return out;
}

Result<Message> decodeMessage(QByteArrayView bytes)
{
    QByteArrayView data;
    Result<Message> message = decodeMessageHeader(bytes, &data);
    if (message)
        message->data = data.toByteArray();
    return message;
}

Result<Message> decodeMessageHeader(QByteArrayView bytes, QByteArrayView *data)
{
    if (bytes.size() < MessageHeaderSize) {
        return makeError(ErrorCode::MessageTruncated,
                         u"PSRP message of %1 bytes is shorter than the 40-byte header"_s.arg(bytes.size()));
    }
    const uchar *p = reinterpret_cast<const uchar *>(bytes.data());
    const quint32 destination = qFromLittleEndian<quint32>(p);
    const quint32 type = qFromLittleEndian<quint32>(p + 4);
    Message message;
    if (destination == static_cast<quint32>(Destination::Client)) {
        message.destination = Destination::Client;
    } else if (destination == static_cast<quint32>(Destination::Server)) {
        message.destination = Destination::Server;
    } else {
        return makeError(ErrorCode::InvalidValue,
                         u"unknown PSRP Destination 0x%1"_s.arg(destination, 8, 16, QChar(u'0')));
    }
    const std::optional<MessageType> known = messageTypeFromWire(type);
    if (!known) {
        return makeError(ErrorCode::UnknownMessageType,
                         u"unknown PSRP MessageType 0x%1"_s.arg(type, 8, 16, QChar(u'0')));
    }
    message.type = *known;
    message.runspacePoolId = guidFromDotNetBytes(bytes.sliced(8, 16));
    message.pipelineId = guidFromDotNetBytes(bytes.sliced(24, 16));
    *data = bytes.sliced(MessageHeaderSize);
    if (data->startsWith(utf8Bom))
        *data = data->sliced(3);
    return message;
}

} // namespace Psrp
