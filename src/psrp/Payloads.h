#pragma once

#include "psrp/Error.h"
#include "psrp/HostMethod.h"
#include "psrp/Message.h"
#include "psrp/Value.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUuid>
#include <QVersionNumber>

#include <optional>
#include <variant>

namespace Psrp {

// MS-PSRP 2.2.3.4 RunspacePoolState.
enum class RunspacePoolState : qint32 {
    BeforeOpen = 0, Opening = 1, Opened = 2, Closed = 3, Closing = 4, Broken = 5,
    NegotiationSent = 6, NegotiationSucceeded = 7, Connecting = 8, Disconnected = 9,
};
// MS-PSRP 2.2.3.5 PSInvocationState.
enum class PSInvocationState : qint32 {
    NotStarted = 0, Running = 1, Stopping = 2, Stopped = 3, Completed = 4, Failed = 5, Disconnected = 6,
};
// MS-PSRP 2.2.3.31 PipelineResultTypes.
enum class PipelineResultTypes : qint32 {
    None = 0, Output = 1, Error = 2, Warning = 3, Verbose = 4, Debug = 5, Information = 6, All = 7, Null = 8,
};
// MS-PSRP 2.2.3.6 PSThreadOptions.
enum class PSThreadOptions : qint32 { Default = 0, UseNewThread = 1, ReuseThread = 2, UseCurrentThread = 3 };
// MS-PSRP 2.2.3.7 ApartmentState.
enum class ApartmentState : qint32 { STA = 0, MTA = 1, Unknown = 2 };
// MS-PSRP 2.2.3.8 RemoteStreamOptions (flags; combinations are valid values).
enum class RemoteStreamOptions : qint32 {
    None = 0, AddInvocationInfoToErrorRecord = 1, AddInvocationInfoToWarningRecord = 2,
    AddInvocationInfoToDebugRecord = 4, AddInvocationInfoToVerboseRecord = 8, AddInvocationInfo = 15,
};
// MS-PSRP 2.2.3.19 CommandTypes (flags; combinations are valid values).
enum class CommandTypes : qint32 {
    Alias = 0x1, Function = 0x2, Filter = 0x4, Cmdlet = 0x8, ExternalScript = 0x10,
    Application = 0x20, Script = 0x40, Workflow = 0x80, Configuration = 0x100, All = 0x1FF,
};
// MS-PSRP 2.2.3.28 ProgressRecordType.
enum class ProgressRecordType : qint32 { Processing = 0, Completed = 1 };

// The <ToString> text PowerShell writes for an enum value ("UNKNOWN" for ApartmentState::Unknown,
// "Alias, Function" for flag combinations).
QString enumText(RunspacePoolState v);
QString enumText(PSInvocationState v);
QString enumText(PipelineResultTypes v);
QString enumText(PSThreadOptions v);
QString enumText(ApartmentState v);
QString enumText(RemoteStreamOptions v);
QString enumText(CommandTypes v);
QString enumText(ProgressRecordType v);

inline const QVersionNumber DefaultProtocolVersion{2, 3};

// MS-PSRP 2.2.3.14 HostDefaultData: keys 0..9 of the `_hostDefaultData` hashtable.
struct HostDefaultData {
    std::optional<qint32> foregroundColor;   // 0, System.ConsoleColor
    std::optional<qint32> backgroundColor;   // 1
    std::optional<Coordinates> cursorPosition; // 2
    std::optional<Coordinates> windowPosition; // 3
    std::optional<qint32> cursorSize;        // 4, System.Int32
    std::optional<Size> bufferSize;          // 5
    std::optional<Size> windowSize;          // 6
    std::optional<Size> maxWindowSize;       // 7
    std::optional<Size> maxPhysicalWindowSize; // 8
    std::optional<QString> windowTitle;      // 9, System.String
};

// MS-PSRP 2.2.3.14 HostInfo: what the client's host supports, sent in INIT_RUNSPACEPOOL and
// CREATE_PIPELINE. The server answers RawUI getters from defaultData.
struct HostInfo {
    std::optional<HostDefaultData> defaultData;
    bool isHostNull = true;
    bool isHostUINull = true;
    bool isHostRawUINull = true;
    bool useRunspaceHost = true;

    // All four flags true, no default data (what pypsrp and PowerShell's API send).
    static HostInfo noHost();
    // A console host of the given size (buffer = window = max sizes), colours and title; flags
    // false, so the server sends host calls.
    static HostInfo console(qint32 width, qint32 height, qint32 foregroundColor = 7,
                            qint32 backgroundColor = 0, const QString &windowTitle = {});

    static Result<HostInfo> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.1 SESSION_CAPABILITY.
struct SessionCapability {
    QVersionNumber protocolVersion = DefaultProtocolVersion;
    QVersionNumber psVersion{2, 0};
    QVersionNumber serializationVersion{1, 1, 0, 1};
    std::optional<QByteArray> timeZone; // .NET-binary TimeZone, old clients only

    static Result<SessionCapability> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.2 INIT_RUNSPACEPOOL.
struct InitRunspacePool {
    qint32 minRunspaces = 1;
    qint32 maxRunspaces = 1;
    PSThreadOptions threadOptions = PSThreadOptions::Default;
    ApartmentState apartmentState = ApartmentState::Unknown;
    HostInfo hostInfo = HostInfo::noHost();
    Value applicationArguments; // a PSPrimitiveDictionary object, or null

    static Result<InitRunspacePool> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.3 PUBLIC_KEY: `PublicKey` S = base64 of a CAPI PUBLICKEYBLOB.
struct PublicKey {
    QByteArray blob;
    static Result<PublicKey> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.4 ENCRYPTED_SESSION_KEY: `EncryptedSessionKey` S = base64 of a CAPI SIMPLEBLOB.
struct EncryptedSessionKey {
    QByteArray blob;
    static Result<EncryptedSessionKey> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.5 PUBLIC_KEY_REQUEST: an empty string.
struct PublicKeyRequest {
    static Result<PublicKeyRequest> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.8 CONNECT_RUNSPACEPOOL: optionally MinRunspaces/MaxRunspaces; PowerShell sends
// an empty string when it asks for neither.
struct ConnectRunspacePool {
    std::optional<qint32> minRunspaces;
    std::optional<qint32> maxRunspaces;
    static Result<ConnectRunspacePool> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.6 SET_MAX_RUNSPACES: `MaxRunspaces` I32, `ci` I64.
struct SetMaxRunspaces {
    qint32 count = 1;
    qint64 callId = 0;
    static Result<SetMaxRunspaces> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.7 SET_MIN_RUNSPACES: `MinRunspaces` I32, `ci` I64.
struct SetMinRunspaces {
    qint32 count = 1;
    qint64 callId = 0;
    static Result<SetMinRunspaces> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.9 RUNSPACE_AVAILABILITY: `SetMinMaxRunspacesResponse` = B (answer to SET_MAX/MIN,
// RESET_RUNSPACE_STATE) or I64 (answer to GET_AVAILABLE_RUNSPACES), `ci`.
struct RunspaceAvailability {
    std::variant<bool, qint64> value = false;
    qint64 callId = 0;
    static Result<RunspaceAvailability> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.12 GET_AVAILABLE_RUNSPACES: `ci`.
struct GetAvailableRunspaces {
    qint64 callId = 0;
    static Result<GetAvailableRunspaces> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.34 RESET_RUNSPACE_STATE (protocol >= 2.3): `ci`.
struct ResetRunspaceState {
    qint64 callId = 0;
    static Result<ResetRunspaceState> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.3.12 ErrorRecord (ERROR_RECORD, ExceptionAsErrorRecord, a host response's `me`).
// Typed accessors for what a client shows; `original` keeps the whole object so nothing is lost
// and toValue() writes it back unchanged.
struct ErrorRecord {
    QString message;           // Exception.Message, else ToString
    QString exceptionType;     // Exception's most derived type name, may be empty
    QString fullyQualifiedErrorId;
    qint32 category = 0;       // ErrorCategory_Category
    QString categoryActivity;
    QString categoryReason;
    QString categoryTargetName;
    QString categoryTargetType;
    QString categoryMessage;   // "NotSpecified: (:) [Write-Error], WriteErrorException"
    Value targetObject;
    Value invocationInfo;      // the InvocationInfo object, or null
    QString positionMessage;   // InvocationInfo.PositionMessage / InvocationInfo_PositionMessage
    std::optional<QString> errorDetailsMessage;
    std::optional<QString> errorDetailsRecommendedAction;
    std::optional<QString> errorDetailsScriptStackTrace;
    ObjectPtr original;

    // A minimal ErrorRecord as PowerShell shapes it, e.g. for a failed host call.
    static ErrorRecord make(const QString &message, const QString &fullyQualifiedErrorId,
                            qint32 category = 0, const QString &exceptionType = QStringLiteral("System.Exception"));

    static Result<ErrorRecord> fromValue(const Value &value);
    Value toValue() const; // `original` when set, else built from the fields
};

// MS-PSRP 2.2.2.10 RUNSPACEPOOL_STATE: `RunspaceState` I32 [+ `ExceptionAsErrorRecord`].
struct RunspacePoolStateInfo {
    RunspacePoolState state = RunspacePoolState::BeforeOpen;
    std::optional<ErrorRecord> error;
    static Result<RunspacePoolStateInfo> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.3.11 Command argument: `N` (parameter name or null for positional), `V`.
struct CommandParameter {
    std::optional<QString> name;
    Value value;
};

// MS-PSRP 2.2.3.11 Command.
struct Command {
    QString cmd;
    bool isScript = false;
    std::optional<bool> useLocalScope;
    PipelineResultTypes mergeMyResult = PipelineResultTypes::None;
    PipelineResultTypes mergeToResult = PipelineResultTypes::None;
    PipelineResultTypes mergePreviousResults = PipelineResultTypes::None;
    QList<CommandParameter> args;
    // Written only for protocol >= 2.2 (Error..Debug) and >= 2.3 (Information).
    PipelineResultTypes mergeError = PipelineResultTypes::None;
    PipelineResultTypes mergeWarning = PipelineResultTypes::None;
    PipelineResultTypes mergeVerbose = PipelineResultTypes::None;
    PipelineResultTypes mergeDebug = PipelineResultTypes::None;
    PipelineResultTypes mergeInformation = PipelineResultTypes::None;

    static Command script(const QString &text);
    static Command command(const QString &name);
    Command &addParameter(const QString &name, Value value);
    Command &addArgument(Value value);

    static Result<Command> fromValue(const Value &value);
    Value toValue(const QVersionNumber &protocolVersion = DefaultProtocolVersion) const;
};

// MS-PSRP 2.2.3.11 PowerShell: `IsNested`, `ExtraCmds` (null, or one {Cmds} per statement when
// there are several), `Cmds` (the first statement), `History`, `RedirectShellErrorOutputPipe`.
struct PowerShell {
    bool isNested = false;
    QList<Command> commands;
    std::optional<QList<QList<Command>>> extraCmds;
    std::optional<QString> history;
    bool redirectShellErrorOutputPipe = false;

    static Result<PowerShell> fromValue(const Value &value);
    Value toValue(const QVersionNumber &protocolVersion = DefaultProtocolVersion) const;
};

// MS-PSRP 2.2.2.11 CREATE_PIPELINE.
struct CreatePipeline {
    bool noInput = true;
    ApartmentState apartmentState = ApartmentState::Unknown;
    RemoteStreamOptions remoteStreamOptions = RemoteStreamOptions::AddInvocationInfo;
    bool addToHistory = false;
    HostInfo hostInfo = HostInfo::noHost();
    PowerShell powerShell;
    bool isNested = false;

    static Result<CreatePipeline> fromValue(const Value &value);
    // `protocolVersion` is the server's: it gates the Merge* members (MS-PSRP 2.2.3.11).
    Value toValue(const QVersionNumber &protocolVersion = DefaultProtocolVersion) const;
};

// MS-PSRP 2.2.2.13 USER_EVENT: PSEventArgs.* members; `original` keeps the object.
struct UserEvent {
    qint32 eventIdentifier = 0;
    QString sourceIdentifier;
    std::optional<DateTime> timeGenerated;
    Value sender;
    Value sourceArgs;
    Value messageData;
    QString computerName;
    QUuid runspaceId;
    ObjectPtr original;
    static Result<UserEvent> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.14 APPLICATION_PRIVATE_DATA: `ApplicationPrivateData` PSPrimitiveDictionary.
struct ApplicationPrivateData {
    Value data;
    // The server's PSVersionTable entry, or nullptr.
    const Value *psVersionTable() const;
    static Result<ApplicationPrivateData> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.14 GET_COMMAND_METADATA: `Name` string[], `CommandType`, `Namespace` string[] or
// null, `ArgumentList` object[] or null.
struct GetCommandMetadata {
    QStringList names;
    CommandTypes commandType = CommandTypes::All;
    std::optional<QStringList> namespaces;
    std::optional<QList<Value>> argumentList;
    static Result<GetCommandMetadata> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.16 RUNSPACEPOOL_INIT_DATA: `MinRunspaces`, `MaxRunspaces`.
struct RunspacePoolInitData {
    qint32 minRunspaces = 1;
    qint32 maxRunspaces = 1;
    static Result<RunspacePoolInitData> fromValue(const Value &value);
    Value toValue() const;
};

// The four host message types share HostCall/HostResponse; the subtypes name the message.
struct RunspacePoolHostCall : HostCall {};
struct PipelineHostCall : HostCall {};
struct RunspacePoolHostResponse : HostResponse {};
struct PipelineHostResponse : HostResponse {};

// MS-PSRP 2.2.2.17 PIPELINE_INPUT: one object.
struct PipelineInput {
    Value value;
};
// MS-PSRP 2.2.2.18 END_OF_PIPELINE_INPUT: no data (a null Value).
struct EndOfPipelineInput {};
// MS-PSRP 2.2.2.19 PIPELINE_OUTPUT: one object.
struct PipelineOutput {
    Value value;
};

// MS-PSRP 2.2.2.21 PIPELINE_STATE: `PipelineState` I32 [+ `ExceptionAsErrorRecord`].
struct PipelineStateInfo {
    PSInvocationState state = PSInvocationState::NotStarted;
    std::optional<ErrorRecord> error;
    static Result<PipelineStateInfo> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.3.16 InformationalRecord (DEBUG/VERBOSE/WARNING_RECORD). `original` keeps the
// object with its InvocationInfo_* members; toValue() writes it back unchanged when set.
struct InformationalRecord {
    QString message;
    bool serializeInvocationInfo = false;
    ObjectPtr original;
    static Result<InformationalRecord> fromValue(const Value &value);
    // Built from the fields when `original` is null; `typeName` is e.g.
    // "System.Management.Automation.WarningRecord".
    Value toValue(const QString &typeName) const;
};
struct DebugRecord : InformationalRecord {};
struct VerboseRecord : InformationalRecord {};
struct WarningRecord : InformationalRecord {};

// MS-PSRP 2.2.3.22 ProgressRecord (PROGRESS_RECORD, and WriteProgress's second parameter).
struct ProgressRecord {
    QString activity;
    qint32 activityId = 0;
    QString statusDescription;
    std::optional<QString> currentOperation;
    qint32 parentActivityId = -1;
    qint32 percentComplete = -1;
    ProgressRecordType type = ProgressRecordType::Processing;
    qint32 secondsRemaining = -1;
    static Result<ProgressRecord> fromValue(const Value &value);
    Value toValue() const;
};

// WriteProgress (20) parameters: source id I64, ProgressRecord.
Result<std::pair<qint64, ProgressRecord>> writeProgressParams(const HostCall &call);

// MS-PSRP 2.2.3.27 InformationRecord (INFORMATION_RECORD, protocol >= 2.3).
struct InformationRecord {
    Value messageData; // a string, or e.g. a HostInformationMessage object
    QString source;
    DateTime timeGenerated;
    QStringList tags;
    QString user;
    QString computer;
    quint32 processId = 0;
    quint32 nativeThreadId = 0;
    quint32 managedThreadId = 0;
    std::optional<bool> writeInformationStream;
    static Result<InformationRecord> fromValue(const Value &value);
    Value toValue() const;
};

using Payload = std::variant<SessionCapability, InitRunspacePool, PublicKey, EncryptedSessionKey,
                             PublicKeyRequest, ConnectRunspacePool, SetMaxRunspaces, SetMinRunspaces,
                             RunspaceAvailability, RunspacePoolStateInfo, CreatePipeline,
                             GetAvailableRunspaces, UserEvent, ApplicationPrivateData,
                             GetCommandMetadata, RunspacePoolInitData, ResetRunspaceState,
                             RunspacePoolHostCall, RunspacePoolHostResponse, PipelineInput,
                             EndOfPipelineInput, PipelineOutput, ErrorRecord, PipelineStateInfo,
                             DebugRecord, VerboseRecord, WarningRecord, ProgressRecord,
                             InformationRecord, PipelineHostCall, PipelineHostResponse>;

MessageType messageTypeOf(const Payload &payload);
// `data` is the deserialized message data (null for an empty body).
Result<Payload> decodePayload(MessageType type, const Value &data);
// A null Value for END_OF_PIPELINE_INPUT. `protocolVersion` (the peer's) only matters for
// CREATE_PIPELINE.
Value encodePayload(const Payload &payload, const QVersionNumber &protocolVersion = DefaultProtocolVersion);

// Bytes-level convenience over Clixml: empty data decodes as a null Value and a null Value
// encodes as empty data.
Result<Payload> decodePayloadData(MessageType type, QByteArrayView data);
QByteArray encodePayloadData(const Payload &payload, const QVersionNumber &protocolVersion = DefaultProtocolVersion);

} // namespace Psrp
