#pragma once

#include "psrp/Error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QUuid>

#include <optional>

namespace Psrp {

// MS-PSRP 2.2.1: Destination, little-endian uint32.
enum class Destination : quint32 { Client = 0x00000001, Server = 0x00000002 };

// MS-PSRP 2.2.1 MessageType, little-endian uint32. Names follow the spec (SESSION_CAPABILITY is
// SessionCapability). Direction: C = client to server, S = server to client.
enum class MessageType : quint32 {
    SessionCapability = 0x00010002,        // C,S
    InitRunspacePool = 0x00010004,         // C
    PublicKey = 0x00010005,                // C
    EncryptedSessionKey = 0x00010006,      // S
    PublicKeyRequest = 0x00010007,         // S
    ConnectRunspacePool = 0x00010008,      // C
    SetMaxRunspaces = 0x00021002,          // C
    SetMinRunspaces = 0x00021003,          // C
    RunspaceAvailability = 0x00021004,     // S
    RunspacePoolState = 0x00021005,        // S
    CreatePipeline = 0x00021006,           // C
    GetAvailableRunspaces = 0x00021007,    // C
    UserEvent = 0x00021008,                // S
    ApplicationPrivateData = 0x00021009,   // S
    GetCommandMetadata = 0x0002100A,       // C
    RunspacePoolInitData = 0x0002100B,     // S
    ResetRunspaceState = 0x0002100C,       // C
    RunspacePoolHostCall = 0x00021100,     // S
    RunspacePoolHostResponse = 0x00021101, // C
    PipelineInput = 0x00041002,            // C
    EndOfPipelineInput = 0x00041003,       // C
    PipelineOutput = 0x00041004,           // S
    ErrorRecord = 0x00041005,              // S
    PipelineState = 0x00041006,            // S
    DebugRecord = 0x00041007,              // S
    VerboseRecord = 0x00041008,            // S
    WarningRecord = 0x00041009,            // S
    ProgressRecord = 0x00041010,           // S
    InformationRecord = 0x00041011,        // S
    PipelineHostCall = 0x00041100,         // S
    PipelineHostResponse = 0x00041101,     // C
};

// The MS-PSRP name, e.g. "PIPELINE_OUTPUT".
QString messageTypeName(MessageType type);
// The MessageType for a wire value, nullopt when the value is not in the table.
std::optional<MessageType> messageTypeFromWire(quint32 value);
// The direction MS-PSRP defines for the type (Server for C->S types; SESSION_CAPABILITY: both).
bool isSentByClient(MessageType type);
bool isSentByServer(MessageType type);

// MS-PSRP 2.2.1: one PSRP message. `data` is the UTF-8 CLIXML of one object, without a BOM after
// decoding (PowerShell writes EF BB BF; it is accepted, not required), possibly empty.
struct Message {
    Destination destination = Destination::Server;
    MessageType type = MessageType::SessionCapability;
    QUuid runspacePoolId; // RPID
    QUuid pipelineId;     // PID; null for pool messages
    QByteArray data;
};

inline constexpr qsizetype MessageHeaderSize = 40;

// Header (Destination, MessageType, RPID, PID in .NET Guid.ToByteArray() order) + data as given.
QByteArray encodeMessage(const Message &message, bool withBom = false);
// Parses header and data; strips a leading UTF-8 BOM from data. Unknown MessageType values and
// Destinations are errors (UnknownMessageType / InvalidValue), short input MessageTruncated.
Result<Message> decodeMessage(QByteArrayView bytes);
// As decodeMessage, leaving Message::data empty: `data` views the data (BOM stripped) in `bytes`.
Result<Message> decodeMessageHeader(QByteArrayView bytes, QByteArrayView *data);

// .NET Guid.ToByteArray() order: the first three groups little-endian, the rest as written.
QByteArray guidToDotNetBytes(const QUuid &id);
QUuid guidFromDotNetBytes(QByteArrayView sixteenBytes);

} // namespace Psrp
