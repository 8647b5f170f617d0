#pragma once

#include "psrp/Error.h"
#include "psrp/Value.h"

#include <QList>
#include <QString>
#include <QStringView>

#include <optional>

namespace Psrp {

// MS-PSRP 2.2.3.17 RemoteHostMethodId; names as PowerShell's RemoteHostMethodInfo.
enum class HostMethodId : qint32 {
    GetName = 1, GetVersion = 2, GetInstanceId = 3, GetCurrentCulture = 4, GetCurrentUICulture = 5,
    SetShouldExit = 6, EnterNestedPrompt = 7, ExitNestedPrompt = 8, NotifyBeginApplication = 9,
    NotifyEndApplication = 10, ReadLine = 11, ReadLineAsSecureString = 12, Write1 = 13, Write2 = 14,
    WriteLine1 = 15, WriteLine2 = 16, WriteLine3 = 17, WriteErrorLine = 18, WriteDebugLine = 19,
    WriteProgress = 20, WriteVerboseLine = 21, WriteWarningLine = 22, Prompt = 23,
    PromptForCredential1 = 24, PromptForCredential2 = 25, PromptForChoice = 26,
    GetForegroundColor = 27, SetForegroundColor = 28, GetBackgroundColor = 29,
    SetBackgroundColor = 30, GetCursorPosition = 31, SetCursorPosition = 32,
    GetWindowPosition = 33, SetWindowPosition = 34, GetCursorSize = 35, SetCursorSize = 36,
    GetBufferSize = 37, SetBufferSize = 38, GetWindowSize = 39, SetWindowSize = 40,
    GetWindowTitle = 41, SetWindowTitle = 42, GetMaxWindowSize = 43, GetMaxPhysicalWindowSize = 44,
    GetKeyAvailable = 45, ReadKey = 46, FlushInputBuffer = 47, SetBufferContents1 = 48,
    SetBufferContents2 = 49, GetBufferContents = 50, ScrollBufferContents = 51, PushRunspace = 52,
    PopRunspace = 53, GetIsRunspacePushed = 54, GetRunspace = 55,
    PromptForChoiceMultipleSelection = 56,
};

// "ReadLine" for HostMethodId::ReadLine; empty for a value outside 1..56.
QString hostMethodName(HostMethodId id);
std::optional<HostMethodId> hostMethodIdFromName(QStringView name);
std::optional<HostMethodId> hostMethodIdFromInt(qint64 value);
// True for the methods whose caller waits for a HOST_RESPONSE (Get*, Read*, Prompt*...).
bool hostMethodReturnsValue(HostMethodId id);

// MS-PSRP 2.2.2.27: the call id of a host call that expects no response.
inline constexpr qint64 VoidCallId = -100;

// MS-PSRP 2.2.2.27 RUNSPACEPOOL_HOST_CALL / 2.2.2.29 PIPELINE_HOST_CALL: MS `ci` I64, `mi`
// RemoteHostMethodId enum object, `mp` ArrayList of parameters (kept as given).
struct HostCall {
    qint64 callId = VoidCallId;
    HostMethodId methodId = HostMethodId::GetName;
    QList<Value> parameters;

    bool isVoid() const { return callId == VoidCallId; }
    // Parameter i, nullptr when absent.
    const Value *parameter(qsizetype i) const;

    static Result<HostCall> fromValue(const Value &value);
    Value toValue() const;
};

// MS-PSRP 2.2.2.28 / 2.2.2.30 *_HOST_RESPONSE: `ci`, `mi`, then `mr` (return value, omitted when
// the method returns nothing) or `me` (an ErrorRecord object) on failure.
struct HostResponse {
    qint64 callId = 0;
    HostMethodId methodId = HostMethodId::GetName;
    std::optional<Value> result;
    std::optional<Value> error;

    // A response to `call` carrying `result`.
    static HostResponse answer(const HostCall &call, Value result);
    // A response to `call` with no return value (the method succeeded, returns void).
    static HostResponse answerVoid(const HostCall &call);
    // A failure response; `errorRecord` is an ErrorRecord object (see ErrorRecord::toValue).
    static HostResponse failure(const HostCall &call, Value errorRecord);

    static Result<HostResponse> fromValue(const Value &value);
    Value toValue() const;
};

// The host data types below travel as PowerShell's RemoteHostEncoder writes them: a struct as a
// bag of its private fields (an Obj with MS only, no type names), enums as plain I32.

// System.Management.Automation.Host.Coordinates: fields x, y.
struct Coordinates {
    qint32 x = 0;
    qint32 y = 0;
    bool operator==(const Coordinates &) const = default;
    static Result<Coordinates> fromValue(const Value &value);
    Value toValue() const;
};

// System.Management.Automation.Host.Size: fields width, height.
struct Size {
    qint32 width = 0;
    qint32 height = 0;
    bool operator==(const Size &) const = default;
    static Result<Size> fromValue(const Value &value);
    Value toValue() const;
};

// System.Management.Automation.Host.Rectangle: fields left, top, right, bottom.
struct Rectangle {
    qint32 left = 0;
    qint32 top = 0;
    qint32 right = 0;
    qint32 bottom = 0;
    bool operator==(const Rectangle &) const = default;
    static Result<Rectangle> fromValue(const Value &value);
    Value toValue() const;
};

enum class BufferCellType : qint32 { Complete = 0, Leading = 1, Trailing = 2 };

// System.Management.Automation.Host.BufferCell: character (C), foregroundColor,
// backgroundColor (ConsoleColor as I32), bufferCellType (I32).
struct BufferCell {
    char16_t character = u' ';
    qint32 foregroundColor = 7;
    qint32 backgroundColor = 0;
    BufferCellType type = BufferCellType::Complete;
    bool operator==(const BufferCell &) const = default;
    static Result<BufferCell> fromValue(const Value &value);
    Value toValue() const;
};

// A BufferCell[,] (SetBufferContents2, GetBufferContents): a multi-dimensional array travels as
// an Obj with MS `mae` (the elements, row-major, as an ArrayList) and `mal` (the lengths).
struct BufferCellArray {
    qint32 rows = 0;
    qint32 columns = 0;
    QList<BufferCell> cells; // rows * columns, row-major

    static Result<BufferCellArray> fromValue(const Value &value);
    Value toValue() const;
};

// System.Management.Automation.Host.ReadKeyOptions (flags), sent as I32.
enum class ReadKeyOptions : qint32 { AllowCtrlC = 1, NoDisplay = 2, IncludeKeyDown = 4, IncludeKeyUp = 8 };

// System.Management.Automation.Host.KeyInfo: fields virtualKeyCode, character, controlKeyState
// (ControlKeyStates flags as I32), keyDown.
struct KeyInfo {
    qint32 virtualKeyCode = 0;
    char16_t character = 0;
    qint32 controlKeyState = 0;
    bool keyDown = true;
    bool operator==(const KeyInfo &) const = default;
    static Result<KeyInfo> fromValue(const Value &value);
    Value toValue() const;
};

// System.Management.Automation.Host.FieldDescription as a field bag (Prompt's third parameter).
struct FieldDescription {
    QString name;
    QString label;
    QString parameterTypeName;
    QString parameterTypeFullName;
    QString parameterAssemblyFullName;
    QString helpMessage;
    bool isMandatory = false;
    Value defaultValue; // null when the bag has none
    QList<Value> metadata;
    bool modifiedByRemotingProtocol = false;
    bool isFromRemoteHost = false;

    // True when the field asks for a SecureString or a PSCredential.
    bool isSecureString() const;
    bool isCredential() const;

    static Result<FieldDescription> fromValue(const Value &value);
    Value toValue() const;
};

// System.Management.Automation.Host.ChoiceDescription as a field bag: label, helpMessage.
struct ChoiceDescription {
    QString label;
    QString helpMessage;
    static Result<ChoiceDescription> fromValue(const Value &value);
    Value toValue() const;
};

// System.Management.Automation.PSCredential as PowerShell returns it from PromptForCredential:
// TN PSCredential, ToString, Props UserName (S) + Password (SS, already encrypted/encoded).
struct PSCredential {
    QString userName;
    SecureString password;
    static Result<PSCredential> fromValue(const Value &value);
    Value toValue() const;
};

// Typed parameters of the common host calls. Each validates count and kinds and fails with
// InvalidValue (wrong kind) or MissingProperty (too few parameters).
struct WriteParams { // Write1/WriteLine2/WriteErrorLine/WriteDebugLine/WriteVerboseLine/WriteWarningLine
    std::optional<qint32> foregroundColor; // Write2 / WriteLine3 only
    std::optional<qint32> backgroundColor;
    QString text; // empty for WriteLine1
};
Result<WriteParams> writeParams(const HostCall &call);

struct PromptParams { // Prompt (23)
    QString caption;
    QString message;
    QList<FieldDescription> fields;
};
Result<PromptParams> promptParams(const HostCall &call);

struct PromptForCredentialParams { // PromptForCredential1 (24) / PromptForCredential2 (25)
    QString caption;
    QString message;
    QString userName;
    QString targetName;
    qint32 allowedCredentialTypes = 3; // PSCredentialTypes Default
    qint32 options = 1;                // PSCredentialUIOptions Default
};
Result<PromptForCredentialParams> promptForCredentialParams(const HostCall &call);

struct PromptForChoiceParams { // PromptForChoice (26) / PromptForChoiceMultipleSelection (56)
    QString caption;
    QString message;
    QList<ChoiceDescription> choices;
    QList<qint32> defaultChoices; // one for 26; zero or more for 56
};
Result<PromptForChoiceParams> promptForChoiceParams(const HostCall &call);

// Return values PowerShell writes into `mr`.
// Prompt: a Hashtable of field name -> value.
Value promptResult(const QList<std::pair<QString, Value>> &answers);
// PromptForChoiceMultipleSelection: Collection<int>.
Value choiceMultipleSelectionResult(const QList<qint32> &choices);

// object[] elements inside host parameters travel as {T: .NET type name, V: value}.
Value encodeTypedElement(const QString &typeName, Value value);
Result<Value> decodeTypedElement(const Value &element);

} // namespace Psrp
