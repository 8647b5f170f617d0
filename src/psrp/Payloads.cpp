#include "psrp/Payloads.h"

#include "psrp/Clixml.h"
#include "psrp/ObjectBuilders.h"

#include <array>

using namespace Qt::Literals::StringLiterals;

namespace Psrp {

namespace {

template <typename E, size_t N>
QString plainEnumText(E v, const std::array<QStringView, N> &names)
{
    const auto i = qint32(v);
    if (i >= 0 && size_t(i) < N)
        return names[size_t(i)].toString();
    return QString::number(i);
}

// .NET [Flags] Enum.ToString: an exact named value, else the set bits' names ascending, ", ".
template <typename E>
QString flagsEnumText(E v, std::initializer_list<std::pair<qint32, QStringView>> names, QStringView zero)
{
    const auto value = qint32(v);
    if (value == 0)
        return zero.toString();
    for (const auto &[n, name] : names) {
        if (n == value)
            return name.toString();
    }
    QStringList parts;
    qint32 rest = value;
    for (const auto &[n, name] : names) {
        if (n != 0 && (n & (n - 1)) == 0 && (value & n)) {
            parts.append(name.toString());
            rest &= ~n;
        }
    }
    if (rest != 0)
        return QString::number(value);
    return parts.join(u", "_s);
}

const QString ThreadOptionsType = u"System.Management.Automation.Runspaces.PSThreadOptions"_s;
const QString ApartmentStateType = u"System.Threading.ApartmentState"_s;
// PowerShell's own type names (MS-PSRP 2.2.3.x examples); pypsrp writes ...Runspaces.* instead.
const QString RemoteStreamOptionsType = u"System.Management.Automation.RemoteStreamOptions"_s;
const QString PipelineResultTypesType = u"System.Management.Automation.Runspaces.PipelineResultTypes"_s;
const QString CommandTypesType = u"System.Management.Automation.CommandTypes"_s;
const QString ProgressRecordTypeType = u"System.Management.Automation.ProgressRecordType"_s;

QStringList stringArrayTypeNames()
{
    return {u"System.String[]"_s, u"System.Array"_s, u"System.Object"_s};
}

QStringList stringListTypeNames()
{
    return {u"System.Collections.Generic.List`1[[System.String, mscorlib, Version=4.0.0.0, "
            "Culture=neutral, PublicKeyToken=b77a5c561934e089]]"_s,
            u"System.Object"_s};
}

Value enumValue(PSThreadOptions v) { return Objects::enumObject(ThreadOptionsType, enumText(v), qint32(v)); }
Value enumValue(ApartmentState v) { return Objects::enumObject(ApartmentStateType, enumText(v), qint32(v)); }
Value enumValue(RemoteStreamOptions v) { return Objects::enumObject(RemoteStreamOptionsType, enumText(v), qint32(v)); }
Value enumValue(PipelineResultTypes v) { return Objects::enumObject(PipelineResultTypesType, enumText(v), qint32(v)); }
Value enumValue(CommandTypes v) { return Objects::enumObject(CommandTypesType, enumText(v), qint32(v)); }
Value enumValue(ProgressRecordType v) { return Objects::enumObject(ProgressRecordTypeType, enumText(v), qint32(v)); }

// An enum member (enum object or plain integer) within [min, max].
template <typename E>
Result<E> readEnum(const PsObject &o, QStringView name, QStringView what, qint32 min, qint32 max)
{
    Result<qint64> v = Objects::requireInteger(o, name, what);
    if (!v)
        return v.error();
    if (*v < min || *v > max)
        return makeError(ErrorCode::InvalidValue, what.toString() + u": "_s + name.toString()
                                                      + u" out of range: "_s + QString::number(*v));
    return E(qint32(*v));
}

template <typename E>
Result<E> readEnumOr(const PsObject &o, QStringView name, QStringView what, qint32 min, qint32 max, E fallback)
{
    if (!o.property(name))
        return fallback;
    return readEnum<E>(o, name, what, min, max);
}

Value versionValue(const QVersionNumber &v)
{
    return Version{v.toString()};
}

Result<QVersionNumber> readVersion(const PsObject &o, QStringView name, QStringView what)
{
    Result<QString> s = Objects::requireString(o, name, what);
    if (!s)
        return s.error();
    qsizetype suffix = 0;
    QVersionNumber v = QVersionNumber::fromString(*s, &suffix);
    if (v.isNull() || suffix != s->size())
        return makeError(ErrorCode::InvalidValue, what.toString() + u": "_s + name.toString() + u" is not a version"_s);
    return v;
}

Result<qint64> readCallId(const PsObject &o, QStringView what)
{
    return Objects::requireInteger(o, u"ci", what);
}

Result<std::optional<ErrorRecord>> readOptionalError(const PsObject &o, QStringView what)
{
    const Value *e = o.property(u"ExceptionAsErrorRecord");
    if (!e || e->isNull())
        return std::optional<ErrorRecord>();
    Result<ErrorRecord> r = ErrorRecord::fromValue(*e);
    if (!r)
        return makeError(r.error().code, what.toString() + u": "_s + r.error().detail);
    return std::optional<ErrorRecord>(*r);
}

// RUNSPACEPOOL_STATE and PIPELINE_STATE (MS-PSRP 2.2.2.9, 2.2.2.21): the state as an I32 member
// plus an optional ExceptionAsErrorRecord.
template <typename Info, typename State>
Result<Info> readStateInfo(const Value &value, QStringView what, QStringView member, int maxState)
{
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto state = readEnum<State>(**o, member, what, 0, maxState);
    if (!state)
        return state.error();
    auto error = readOptionalError(**o, what);
    if (!error)
        return error.error();
    return Info{*state, *error};
}

Value stateInfoValue(const QString &member, qint32 state, const std::optional<ErrorRecord> &error)
{
    QList<Property> props{{member, state}};
    if (error)
        props.append({u"ExceptionAsErrorRecord"_s, error->toValue()});
    return Objects::msObject(std::move(props));
}

Value optionalString(const std::optional<QString> &s)
{
    return s ? Value(*s) : Value();
}

Value hostDefaultEntry(const QString &type, Value v)
{
    return Objects::msObject({{u"T"_s, type}, {u"V"_s, std::move(v)}});
}

} // namespace

QString enumText(RunspacePoolState v)
{
    static constexpr std::array<QStringView, 10> Names = {
        u"BeforeOpen", u"Opening", u"Opened", u"Closed", u"Closing", u"Broken",
        u"NegotiationSent", u"NegotiationSucceeded", u"Connecting", u"Disconnected"};
    return plainEnumText(v, Names);
}

QString enumText(PSInvocationState v)
{
    static constexpr std::array<QStringView, 7> Names = {
        u"NotStarted", u"Running", u"Stopping", u"Stopped", u"Completed", u"Failed", u"Disconnected"};
    return plainEnumText(v, Names);
}

QString enumText(PipelineResultTypes v)
{
    static constexpr std::array<QStringView, 9> Names = {
        u"None", u"Output", u"Error", u"Warning", u"Verbose", u"Debug", u"Information", u"All", u"Null"};
    return plainEnumText(v, Names);
}

QString enumText(PSThreadOptions v)
{
    static constexpr std::array<QStringView, 4> Names = {u"Default", u"UseNewThread", u"ReuseThread", u"UseCurrentThread"};
    return plainEnumText(v, Names);
}

QString enumText(ApartmentState v)
{
    // .NET System.Threading.ApartmentState names, as PowerShell writes them. (pypsrp, whose
    // client messages are in the recordings, writes "UNKNOWN"; servers read only the I32.)
    static constexpr std::array<QStringView, 3> Names = {u"STA", u"MTA", u"Unknown"};
    return plainEnumText(v, Names);
}

QString enumText(RemoteStreamOptions v)
{
    return flagsEnumText(v,
                         {{1, u"AddInvocationInfoToErrorRecord"},
                          {2, u"AddInvocationInfoToWarningRecord"},
                          {4, u"AddInvocationInfoToDebugRecord"},
                          {8, u"AddInvocationInfoToVerboseRecord"},
                          {15, u"AddInvocationInfo"}},
                         u"0"); // the enum has no zero member, so .NET's ToString() gives "0"
}

QString enumText(CommandTypes v)
{
    return flagsEnumText(v,
                         {{0x1, u"Alias"}, {0x2, u"Function"}, {0x4, u"Filter"}, {0x8, u"Cmdlet"},
                          {0x10, u"ExternalScript"}, {0x20, u"Application"}, {0x40, u"Script"},
                          {0x80, u"Workflow"}, {0x100, u"Configuration"}, {0x1FF, u"All"}},
                         u"0");
}

QString enumText(ProgressRecordType v)
{
    static constexpr std::array<QStringView, 2> Names = {u"Processing", u"Completed"};
    return plainEnumText(v, Names);
}

// ---- HostInfo ----------------------------------------------------------------------------

HostInfo HostInfo::noHost()
{
    return HostInfo{};
}

HostInfo HostInfo::console(qint32 width, qint32 height, qint32 foregroundColor, qint32 backgroundColor,
                           const QString &windowTitle)
{
    HostDefaultData d;
    d.foregroundColor = foregroundColor;
    d.backgroundColor = backgroundColor;
    d.cursorPosition = Coordinates{0, 0};
    d.windowPosition = Coordinates{0, 0};
    d.cursorSize = 25;
    d.bufferSize = Size{width, height};
    d.windowSize = Size{width, height};
    d.maxWindowSize = Size{width, height};
    d.maxPhysicalWindowSize = Size{width, height};
    d.windowTitle = windowTitle;
    return HostInfo{d, false, false, false, false};
}

Result<HostInfo> HostInfo::fromValue(const Value &value)
{
    const QStringView what = u"HostInfo";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    HostInfo h;
    const std::pair<QStringView, bool *> flags[] = {{u"_isHostNull", &h.isHostNull},
                                                     {u"_isHostUINull", &h.isHostUINull},
                                                     {u"_isHostRawUINull", &h.isHostRawUINull},
                                                     {u"_useRunspaceHost", &h.useRunspaceHost}};
    for (const auto &[name, target] : flags) {
        auto b = Objects::requireBool(**o, name, what);
        if (!b)
            return b.error();
        *target = *b;
    }
    const Value *dd = (*o)->property(u"_hostDefaultData");
    if (!dd || dd->isNull())
        return h;
    auto ddo = Objects::requireObject(*dd, what);
    if (!ddo)
        return ddo.error();
    auto data = Objects::requireProperty(**ddo, u"data", what);
    if (!data)
        return data.error();
    const PsObject *dict = data->object();
    if (!dict || dict->container != PsObject::Container::Dictionary)
        return makeError(ErrorCode::InvalidValue, u"HostInfo: _hostDefaultData.data is not a dictionary"_s);
    HostDefaultData d;
    for (const DictionaryEntry &e : dict->entries) {
        auto key = e.key.toInteger();
        const PsObject *entry = e.value.object();
        if (!key || !entry)
            return makeError(ErrorCode::InvalidValue, u"HostInfo: malformed default data entry"_s);
        auto v = Objects::requireProperty(*entry, u"V", what);
        if (!v)
            return v.error();
        auto asInt = [&](std::optional<qint32> &target) -> Result<void> {
            auto n = v->toInteger();
            if (!n)
                return makeError(ErrorCode::InvalidValue, u"HostInfo: key "_s + QString::number(*key) + u" is not an integer"_s);
            target = qint32(*n);
            return {};
        };
        auto asCoordinates = [&](std::optional<Coordinates> &target) -> Result<void> {
            auto c = Coordinates::fromValue(*v);
            if (!c)
                return c.error();
            target = *c;
            return {};
        };
        auto asSize = [&](std::optional<Size> &target) -> Result<void> {
            auto s = Size::fromValue(*v);
            if (!s)
                return s.error();
            target = *s;
            return {};
        };
        Result<void> r;
        switch (*key) {
        case 0: r = asInt(d.foregroundColor); break;
        case 1: r = asInt(d.backgroundColor); break;
        case 2: r = asCoordinates(d.cursorPosition); break;
        case 3: r = asCoordinates(d.windowPosition); break;
        case 4: r = asInt(d.cursorSize); break;
        case 5: r = asSize(d.bufferSize); break;
        case 6: r = asSize(d.windowSize); break;
        case 7: r = asSize(d.maxWindowSize); break;
        case 8: r = asSize(d.maxPhysicalWindowSize); break;
        case 9: d.windowTitle = v->toString().value_or(QString()); break;
        default: break; // unknown keys are tolerated
        }
        if (!r)
            return r.error();
    }
    h.defaultData = d;
    return h;
}

Value HostInfo::toValue() const
{
    QList<Property> props;
    if (defaultData) {
        const HostDefaultData &d = *defaultData;
        const QString consoleColor = u"System.ConsoleColor"_s;
        const QString coordinates = u"System.Management.Automation.Host.Coordinates"_s;
        const QString size = u"System.Management.Automation.Host.Size"_s;
        QList<DictionaryEntry> entries;
        // MS-PSRP 2.2.3.14 example order: highest key first (.NET Hashtable enumeration).
        auto add = [&entries](qint32 key, Value v) { entries.append({key, std::move(v)}); };
        if (d.windowTitle)
            add(9, hostDefaultEntry(u"System.String"_s, *d.windowTitle));
        if (d.maxPhysicalWindowSize)
            add(8, hostDefaultEntry(size, d.maxPhysicalWindowSize->toValue()));
        if (d.maxWindowSize)
            add(7, hostDefaultEntry(size, d.maxWindowSize->toValue()));
        if (d.windowSize)
            add(6, hostDefaultEntry(size, d.windowSize->toValue()));
        if (d.bufferSize)
            add(5, hostDefaultEntry(size, d.bufferSize->toValue()));
        if (d.cursorSize)
            add(4, hostDefaultEntry(u"System.Int32"_s, *d.cursorSize));
        if (d.windowPosition)
            add(3, hostDefaultEntry(coordinates, d.windowPosition->toValue()));
        if (d.cursorPosition)
            add(2, hostDefaultEntry(coordinates, d.cursorPosition->toValue()));
        if (d.backgroundColor)
            add(1, hostDefaultEntry(consoleColor, *d.backgroundColor));
        if (d.foregroundColor)
            add(0, hostDefaultEntry(consoleColor, *d.foregroundColor));
        Value data = Objects::dictionaryObject(Objects::hashtableTypeNames(), std::move(entries));
        props.append({u"_hostDefaultData"_s, Objects::msObject({{u"data"_s, data}})});
    }
    props.append({u"_isHostNull"_s, isHostNull});
    props.append({u"_isHostUINull"_s, isHostUINull});
    props.append({u"_isHostRawUINull"_s, isHostRawUINull});
    props.append({u"_useRunspaceHost"_s, useRunspaceHost});
    return Objects::msObject(std::move(props));
}

// ---- Pool messages -------------------------------------------------------------------------

Result<SessionCapability> SessionCapability::fromValue(const Value &value)
{
    const QStringView what = u"SESSION_CAPABILITY";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto proto = readVersion(**o, u"protocolversion", what);
    if (!proto)
        return proto.error();
    auto ps = readVersion(**o, u"PSVersion", what);
    if (!ps)
        return ps.error();
    auto ser = readVersion(**o, u"SerializationVersion", what);
    if (!ser)
        return ser.error();
    SessionCapability c{*proto, *ps, *ser, std::nullopt};
    if (const Value *tz = (*o)->property(u"TimeZone"); tz && !tz->isNull()) {
        const QByteArray *bytes = tz->get<QByteArray>();
        if (!bytes)
            return makeError(ErrorCode::InvalidValue, u"SESSION_CAPABILITY: TimeZone is not a byte array"_s);
        c.timeZone = *bytes;
    }
    return c;
}

Value SessionCapability::toValue() const
{
    QList<Property> props{{u"protocolversion"_s, versionValue(protocolVersion)},
                          {u"PSVersion"_s, versionValue(psVersion)},
                          {u"SerializationVersion"_s, versionValue(serializationVersion)}};
    if (timeZone)
        props.append({u"TimeZone"_s, *timeZone});
    return Objects::msObject(std::move(props));
}

Result<InitRunspacePool> InitRunspacePool::fromValue(const Value &value)
{
    const QStringView what = u"INIT_RUNSPACEPOOL";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto min = Objects::requireInt32(**o, u"MinRunspaces", what);
    if (!min)
        return min.error();
    auto max = Objects::requireInt32(**o, u"MaxRunspaces", what);
    if (!max)
        return max.error();
    auto threads = readEnum<PSThreadOptions>(**o, u"PSThreadOptions", what, 0, 3);
    if (!threads)
        return threads.error();
    auto apartment = readEnum<ApartmentState>(**o, u"ApartmentState", what, 0, 2);
    if (!apartment)
        return apartment.error();
    auto hostValue = Objects::requireProperty(**o, u"HostInfo", what);
    if (!hostValue)
        return hostValue.error();
    auto host = HostInfo::fromValue(*hostValue);
    if (!host)
        return host.error();
    InitRunspacePool p{*min, *max, *threads, *apartment, *host, {}};
    if (const Value *args = (*o)->property(u"ApplicationArguments"))
        p.applicationArguments = *args;
    return p;
}

Value InitRunspacePool::toValue() const
{
    return Objects::msObject({{u"MinRunspaces"_s, minRunspaces},
                              {u"MaxRunspaces"_s, maxRunspaces},
                              {u"PSThreadOptions"_s, enumValue(threadOptions)},
                              {u"ApartmentState"_s, enumValue(apartmentState)},
                              {u"HostInfo"_s, hostInfo.toValue()},
                              {u"ApplicationArguments"_s, applicationArguments}});
}

namespace {

Result<QByteArray> readBase64(const Value &value, QStringView name, QStringView what)
{
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto s = Objects::requireString(**o, name, what);
    if (!s)
        return s.error();
    auto decoded = QByteArray::fromBase64Encoding(s->toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return makeError(ErrorCode::InvalidValue, what.toString() + u": "_s + name.toString() + u" is not base64"_s);
    return *decoded;
}

} // namespace

Result<PublicKey> PublicKey::fromValue(const Value &value)
{
    auto b = readBase64(value, u"PublicKey", u"PUBLIC_KEY");
    if (!b)
        return b.error();
    return PublicKey{*b};
}

Value PublicKey::toValue() const
{
    return Objects::msObject({{u"PublicKey"_s, QString::fromLatin1(blob.toBase64())}});
}

Result<EncryptedSessionKey> EncryptedSessionKey::fromValue(const Value &value)
{
    auto b = readBase64(value, u"EncryptedSessionKey", u"ENCRYPTED_SESSION_KEY");
    if (!b)
        return b.error();
    return EncryptedSessionKey{*b};
}

Value EncryptedSessionKey::toValue() const
{
    return Objects::msObject({{u"EncryptedSessionKey"_s, QString::fromLatin1(blob.toBase64())}});
}

Result<PublicKeyRequest> PublicKeyRequest::fromValue(const Value &)
{
    return PublicKeyRequest{};
}

Value PublicKeyRequest::toValue() const
{
    return QString();
}

Result<ConnectRunspacePool> ConnectRunspacePool::fromValue(const Value &value)
{
    const QStringView what = u"CONNECT_RUNSPACEPOOL";
    ConnectRunspacePool c;
    const PsObject *o = value.object();
    if (!o) {
        if (value.isNull() || value.toString())
            return c;
        return makeError(ErrorCode::InvalidValue, u"CONNECT_RUNSPACEPOOL: expected an object or an empty string"_s);
    }
    if (o->property(u"MinRunspaces")) {
        auto v = Objects::requireInt32(*o, u"MinRunspaces", what);
        if (!v)
            return v.error();
        c.minRunspaces = *v;
    }
    if (o->property(u"MaxRunspaces")) {
        auto v = Objects::requireInt32(*o, u"MaxRunspaces", what);
        if (!v)
            return v.error();
        c.maxRunspaces = *v;
    }
    return c;
}

Value ConnectRunspacePool::toValue() const
{
    if (!minRunspaces && !maxRunspaces)
        return QString();
    QList<Property> props;
    if (minRunspaces)
        props.append({u"MinRunspaces"_s, *minRunspaces});
    if (maxRunspaces)
        props.append({u"MaxRunspaces"_s, *maxRunspaces});
    return Objects::msObject(std::move(props));
}

namespace {

template <typename T>
Result<T> readCountAndCallId(const Value &value, QStringView countName, QStringView what)
{
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto count = Objects::requireInt32(**o, countName, what);
    if (!count)
        return count.error();
    auto ci = readCallId(**o, what);
    if (!ci)
        return ci.error();
    return T{*count, *ci};
}

template <typename T>
Result<T> readCallIdOnly(const Value &value, QStringView what)
{
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto ci = readCallId(**o, what);
    if (!ci)
        return ci.error();
    return T{*ci};
}

} // namespace

Result<SetMaxRunspaces> SetMaxRunspaces::fromValue(const Value &value)
{
    return readCountAndCallId<SetMaxRunspaces>(value, u"MaxRunspaces", u"SET_MAX_RUNSPACES");
}

Value SetMaxRunspaces::toValue() const
{
    return Objects::msObject({{u"MaxRunspaces"_s, count}, {u"ci"_s, callId}});
}

Result<SetMinRunspaces> SetMinRunspaces::fromValue(const Value &value)
{
    return readCountAndCallId<SetMinRunspaces>(value, u"MinRunspaces", u"SET_MIN_RUNSPACES");
}

Value SetMinRunspaces::toValue() const
{
    return Objects::msObject({{u"MinRunspaces"_s, count}, {u"ci"_s, callId}});
}

Result<RunspaceAvailability> RunspaceAvailability::fromValue(const Value &value)
{
    const QStringView what = u"RUNSPACE_AVAILABILITY";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto v = Objects::requireProperty(**o, u"SetMinMaxRunspacesResponse", what);
    if (!v)
        return v.error();
    auto ci = readCallId(**o, what);
    if (!ci)
        return ci.error();
    RunspaceAvailability a;
    a.callId = *ci;
    if (auto b = v->toBool())
        a.value = *b;
    else if (auto n = v->toInteger())
        a.value = *n;
    else
        return makeError(ErrorCode::InvalidValue, u"RUNSPACE_AVAILABILITY: SetMinMaxRunspacesResponse is neither B nor I64"_s);
    return a;
}

Value RunspaceAvailability::toValue() const
{
    Value v = std::holds_alternative<bool>(value) ? Value(std::get<bool>(value)) : Value(std::get<qint64>(value));
    return Objects::msObject({{u"SetMinMaxRunspacesResponse"_s, v}, {u"ci"_s, callId}});
}

Result<GetAvailableRunspaces> GetAvailableRunspaces::fromValue(const Value &value)
{
    return readCallIdOnly<GetAvailableRunspaces>(value, u"GET_AVAILABLE_RUNSPACES");
}

Value GetAvailableRunspaces::toValue() const
{
    return Objects::msObject({{u"ci"_s, callId}});
}

Result<ResetRunspaceState> ResetRunspaceState::fromValue(const Value &value)
{
    return readCallIdOnly<ResetRunspaceState>(value, u"RESET_RUNSPACE_STATE");
}

Value ResetRunspaceState::toValue() const
{
    return Objects::msObject({{u"ci"_s, callId}});
}

// ---- ErrorRecord ---------------------------------------------------------------------------

ErrorRecord ErrorRecord::make(const QString &message, const QString &fullyQualifiedErrorId, qint32 category,
                              const QString &exceptionType)
{
    ErrorRecord r;
    r.message = message;
    r.exceptionType = exceptionType;
    r.fullyQualifiedErrorId = fullyQualifiedErrorId;
    r.category = category;
    return r;
}

Result<ErrorRecord> ErrorRecord::fromValue(const Value &value)
{
    const QStringView what = u"ErrorRecord";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    const PsObject &obj = **o;
    if (!obj.property(u"FullyQualifiedErrorId") && !obj.property(u"Exception"))
        return makeError(ErrorCode::MissingProperty, u"ErrorRecord: neither FullyQualifiedErrorId nor Exception"_s);
    ErrorRecord r;
    r.original = value.objectPtr();
    r.fullyQualifiedErrorId = Objects::stringOr(obj, u"FullyQualifiedErrorId");
    if (const Value *ex = obj.property(u"Exception"); ex && ex->object()) {
        const PsObject *e = ex->object();
        if (!e->typeNames.isEmpty())
            r.exceptionType = e->typeNames.first();
        r.message = Objects::stringOr(*e, u"Message", e->toString.value_or(QString()));
    }
    if (r.message.isEmpty())
        r.message = obj.toString.value_or(QString());
    if (const Value *c = obj.property(u"ErrorCategory_Category"))
        r.category = qint32(c->toInteger().value_or(0));
    r.categoryActivity = Objects::stringOr(obj, u"ErrorCategory_Activity");
    r.categoryReason = Objects::stringOr(obj, u"ErrorCategory_Reason");
    r.categoryTargetName = Objects::stringOr(obj, u"ErrorCategory_TargetName");
    r.categoryTargetType = Objects::stringOr(obj, u"ErrorCategory_TargetType");
    r.categoryMessage = Objects::stringOr(obj, u"ErrorCategory_Message");
    if (const Value *t = obj.property(u"TargetObject"))
        r.targetObject = *t;
    if (const Value *ii = obj.property(u"InvocationInfo")) {
        r.invocationInfo = *ii;
        if (const PsObject *iio = ii->object())
            r.positionMessage = Objects::stringOr(*iio, u"PositionMessage");
    }
    if (r.positionMessage.isEmpty())
        r.positionMessage = Objects::stringOr(obj, u"InvocationInfo_PositionMessage");
    auto opt = [&obj](QStringView name) -> std::optional<QString> {
        if (const Value *v = obj.property(name))
            return v->toString();
        return std::nullopt;
    };
    r.errorDetailsMessage = opt(u"ErrorDetails_Message");
    r.errorDetailsRecommendedAction = opt(u"ErrorDetails_RecommendedAction");
    r.errorDetailsScriptStackTrace = opt(u"ErrorDetails_ScriptStackTrace");
    return r;
}

Value ErrorRecord::toValue() const
{
    if (original)
        return original;
    ObjectPtr ex = PsObject::create();
    const QString type = exceptionType.isEmpty() ? u"System.Exception"_s : exceptionType;
    ex->typeNames = {type};
    if (type != u"System.Exception")
        ex->typeNames.append(u"System.Exception"_s);
    ex->typeNames.append(u"System.Object"_s);
    ex->toString = type + u": "_s + message;
    ex->adaptedProperties = {{u"Message"_s, message},
                             {u"Data"_s, Objects::dictionaryObject({u"System.Collections.ListDictionaryInternal"_s, u"System.Object"_s}, {})},
                             {u"InnerException"_s, Value()},
                             {u"TargetSite"_s, Value()},
                             {u"StackTrace"_s, Value()},
                             {u"HelpLink"_s, Value()},
                             {u"Source"_s, Value()},
                             {u"HResult"_s, qint32(-2146233088)}};
    ObjectPtr r = PsObject::create();
    r->typeNames = {u"System.Management.Automation.ErrorRecord"_s, u"System.Object"_s};
    r->toString = message;
    r->extendedProperties = {{u"Exception"_s, Value(ex)},
                             {u"TargetObject"_s, targetObject},
                             {u"FullyQualifiedErrorId"_s, fullyQualifiedErrorId},
                             {u"InvocationInfo"_s, invocationInfo},
                             {u"ErrorCategory_Category"_s, category},
                             {u"ErrorCategory_Activity"_s, categoryActivity},
                             {u"ErrorCategory_Reason"_s, categoryReason},
                             {u"ErrorCategory_TargetName"_s, categoryTargetName},
                             {u"ErrorCategory_TargetType"_s, categoryTargetType},
                             {u"ErrorCategory_Message"_s, categoryMessage},
                             {u"SerializeExtendedInfo"_s, false}};
    if (errorDetailsMessage)
        r->extendedProperties.append({u"ErrorDetails_Message"_s, *errorDetailsMessage});
    if (errorDetailsRecommendedAction)
        r->extendedProperties.append({u"ErrorDetails_RecommendedAction"_s, *errorDetailsRecommendedAction});
    if (errorDetailsScriptStackTrace)
        r->extendedProperties.append({u"ErrorDetails_ScriptStackTrace"_s, *errorDetailsScriptStackTrace});
    return r;
}

Result<RunspacePoolStateInfo> RunspacePoolStateInfo::fromValue(const Value &value)
{
    return readStateInfo<RunspacePoolStateInfo, RunspacePoolState>(value, u"RUNSPACEPOOL_STATE",
                                                                   u"RunspaceState", 9);
}

Value RunspacePoolStateInfo::toValue() const
{
    return stateInfoValue(u"RunspaceState"_s, qint32(state), error);
}

// ---- CREATE_PIPELINE -----------------------------------------------------------------------

Command Command::script(const QString &text)
{
    Command c;
    c.cmd = text;
    c.isScript = true;
    return c;
}

Command Command::command(const QString &name)
{
    Command c;
    c.cmd = name;
    return c;
}

Command &Command::addParameter(const QString &name, Value value)
{
    args.append({name, std::move(value)});
    return *this;
}

Command &Command::addArgument(Value value)
{
    args.append({std::nullopt, std::move(value)});
    return *this;
}

Result<Command> Command::fromValue(const Value &value)
{
    const QStringView what = u"Command";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    const PsObject &obj = **o;
    auto cmd = Objects::requireString(obj, u"Cmd", what);
    if (!cmd)
        return cmd.error();
    auto isScript = Objects::requireBool(obj, u"IsScript", what);
    if (!isScript)
        return isScript.error();
    Command c;
    c.cmd = *cmd;
    c.isScript = *isScript;
    if (const Value *v = obj.property(u"UseLocalScope"); v && !v->isNull()) {
        if (!v->toBool())
            return makeError(ErrorCode::InvalidValue, u"Command: UseLocalScope is not a boolean"_s);
        c.useLocalScope = *v->toBool();
    }
    const std::pair<QStringView, PipelineResultTypes *> merges[] = {
        {u"MergeMyResult", &c.mergeMyResult},       {u"MergeToResult", &c.mergeToResult},
        {u"MergePreviousResults", &c.mergePreviousResults}, {u"MergeError", &c.mergeError},
        {u"MergeWarning", &c.mergeWarning},         {u"MergeVerbose", &c.mergeVerbose},
        {u"MergeDebug", &c.mergeDebug},             {u"MergeInformation", &c.mergeInformation}};
    for (const auto &[name, target] : merges) {
        auto m = readEnumOr<PipelineResultTypes>(obj, name, what, 0, 8, PipelineResultTypes::None);
        if (!m)
            return m.error();
        *target = *m;
    }
    if (const Value *args = obj.property(u"Args"); args && !args->isNull()) {
        auto items = Objects::requireItems(*args, u"Command Args");
        if (!items)
            return items.error();
        for (const Value &item : *items) {
            auto a = Objects::requireObject(item, u"Command argument");
            if (!a)
                return a.error();
            auto name = Objects::optionalString(**a, u"N", u"Command argument");
            if (!name)
                return name.error();
            auto v = Objects::requireProperty(**a, u"V", u"Command argument");
            if (!v)
                return v.error();
            c.args.append({*name, *v});
        }
    }
    return c;
}

Value Command::toValue(const QVersionNumber &protocolVersion) const
{
    QList<Value> argItems;
    argItems.reserve(args.size());
    for (const CommandParameter &p : args)
        argItems.append(Objects::msObject({{u"N"_s, optionalString(p.name)}, {u"V"_s, p.value}}));
    QList<Property> props{{u"Cmd"_s, cmd},
                          {u"IsScript"_s, isScript},
                          {u"UseLocalScope"_s, useLocalScope ? Value(*useLocalScope) : Value()},
                          {u"MergeMyResult"_s, enumValue(mergeMyResult)},
                          {u"MergeToResult"_s, enumValue(mergeToResult)},
                          {u"MergePreviousResults"_s, enumValue(mergePreviousResults)},
                          {u"Args"_s, Objects::listObject(Objects::psObjectListTypeNames(), argItems)}};
    // MS-PSRP 2.2.3.11: per-stream merges exist from protocol 2.2, Information from 2.3.
    if (protocolVersion >= QVersionNumber(2, 2)) {
        props.append({u"MergeError"_s, enumValue(mergeError)});
        props.append({u"MergeWarning"_s, enumValue(mergeWarning)});
        props.append({u"MergeVerbose"_s, enumValue(mergeVerbose)});
        props.append({u"MergeDebug"_s, enumValue(mergeDebug)});
    }
    if (protocolVersion >= QVersionNumber(2, 3))
        props.append({u"MergeInformation"_s, enumValue(mergeInformation)});
    return Objects::msObject(std::move(props));
}

namespace {

Result<QList<Command>> readCommands(const Value &value, QStringView what)
{
    auto items = Objects::requireItems(value, what);
    if (!items)
        return items.error();
    QList<Command> out;
    for (const Value &item : *items) {
        auto c = Command::fromValue(item);
        if (!c)
            return c.error();
        out.append(*c);
    }
    return out;
}

Value commandsValue(const QList<Command> &commands, const QVersionNumber &protocolVersion)
{
    QList<Value> items;
    items.reserve(commands.size());
    for (const Command &c : commands)
        items.append(c.toValue(protocolVersion));
    return Objects::listObject(Objects::psObjectListTypeNames(), std::move(items));
}

} // namespace

Result<PowerShell> PowerShell::fromValue(const Value &value)
{
    const QStringView what = u"PowerShell";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    const PsObject &obj = **o;
    auto cmds = Objects::requireProperty(obj, u"Cmds", what);
    if (!cmds)
        return cmds.error();
    auto commands = readCommands(*cmds, u"PowerShell Cmds");
    if (!commands)
        return commands.error();
    PowerShell p;
    p.commands = *commands;
    if (const Value *v = obj.property(u"IsNested"); v && v->toBool())
        p.isNested = *v->toBool();
    if (const Value *v = obj.property(u"RedirectShellErrorOutputPipe"); v && v->toBool())
        p.redirectShellErrorOutputPipe = *v->toBool();
    auto history = Objects::optionalString(obj, u"History", what);
    if (!history)
        return history.error();
    p.history = *history;
    if (const Value *extra = obj.property(u"ExtraCmds"); extra && !extra->isNull()) {
        auto statements = Objects::requireItems(*extra, u"PowerShell ExtraCmds");
        if (!statements)
            return statements.error();
        QList<QList<Command>> list;
        for (const Value &s : *statements) {
            auto so = Objects::requireObject(s, u"ExtraCmds statement");
            if (!so)
                return so.error();
            auto scmds = Objects::requireProperty(**so, u"Cmds", u"ExtraCmds statement");
            if (!scmds)
                return scmds.error();
            auto parsed = readCommands(*scmds, u"ExtraCmds statement Cmds");
            if (!parsed)
                return parsed.error();
            list.append(*parsed);
        }
        p.extraCmds = list;
    }
    return p;
}

Value PowerShell::toValue(const QVersionNumber &protocolVersion) const
{
    Value extra;
    if (extraCmds) {
        QList<Value> statements;
        for (const QList<Command> &s : *extraCmds)
            statements.append(Objects::msObject({{u"Cmds"_s, commandsValue(s, protocolVersion)}}));
        extra = Objects::listObject(Objects::psObjectListTypeNames(), std::move(statements));
    }
    return Objects::msObject({{u"IsNested"_s, isNested},
                              {u"ExtraCmds"_s, extra},
                              {u"Cmds"_s, commandsValue(commands, protocolVersion)},
                              {u"History"_s, optionalString(history)},
                              {u"RedirectShellErrorOutputPipe"_s, redirectShellErrorOutputPipe}});
}

Result<CreatePipeline> CreatePipeline::fromValue(const Value &value)
{
    const QStringView what = u"CREATE_PIPELINE";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    const PsObject &obj = **o;
    CreatePipeline p;
    auto noInput = Objects::requireBool(obj, u"NoInput", what);
    if (!noInput)
        return noInput.error();
    p.noInput = *noInput;
    auto apartment = readEnumOr<ApartmentState>(obj, u"ApartmentState", what, 0, 2, ApartmentState::Unknown);
    if (!apartment)
        return apartment.error();
    p.apartmentState = *apartment;
    auto rso = readEnumOr<RemoteStreamOptions>(obj, u"RemoteStreamOptions", what, 0, 15, RemoteStreamOptions::None);
    if (!rso)
        return rso.error();
    p.remoteStreamOptions = *rso;
    if (const Value *v = obj.property(u"AddToHistory"); v && v->toBool())
        p.addToHistory = *v->toBool();
    if (const Value *v = obj.property(u"IsNested"); v && v->toBool())
        p.isNested = *v->toBool();
    if (const Value *v = obj.property(u"HostInfo"); v && !v->isNull()) {
        auto h = HostInfo::fromValue(*v);
        if (!h)
            return h.error();
        p.hostInfo = *h;
    }
    auto ps = Objects::requireProperty(obj, u"PowerShell", what);
    if (!ps)
        return ps.error();
    auto powerShell = PowerShell::fromValue(*ps);
    if (!powerShell)
        return powerShell.error();
    p.powerShell = *powerShell;
    return p;
}

Value CreatePipeline::toValue(const QVersionNumber &protocolVersion) const
{
    return Objects::msObject({{u"NoInput"_s, noInput},
                              {u"ApartmentState"_s, enumValue(apartmentState)},
                              {u"RemoteStreamOptions"_s, enumValue(remoteStreamOptions)},
                              {u"AddToHistory"_s, addToHistory},
                              {u"HostInfo"_s, hostInfo.toValue()},
                              {u"PowerShell"_s, powerShell.toValue(protocolVersion)},
                              {u"IsNested"_s, isNested}});
}

// ---- Other pool messages -------------------------------------------------------------------

Result<UserEvent> UserEvent::fromValue(const Value &value)
{
    const QStringView what = u"USER_EVENT";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    const PsObject &obj = **o;
    auto id = Objects::requireInt32(obj, u"PSEventArgs.EventIdentifier", what);
    if (!id)
        return id.error();
    UserEvent e;
    e.eventIdentifier = *id;
    e.sourceIdentifier = Objects::stringOr(obj, u"PSEventArgs.SourceIdentifier");
    if (const Value *v = obj.property(u"PSEventArgs.TimeGenerated"); v && v->get<DateTime>())
        e.timeGenerated = *v->get<DateTime>();
    if (const Value *v = obj.property(u"PSEventArgs.Sender"))
        e.sender = *v;
    if (const Value *v = obj.property(u"PSEventArgs.SourceArgs"))
        e.sourceArgs = *v;
    if (const Value *v = obj.property(u"PSEventArgs.MessageData"))
        e.messageData = *v;
    e.computerName = Objects::stringOr(obj, u"PSEventArgs.ComputerName");
    if (const Value *v = obj.property(u"PSEventArgs.RunspaceId"); v && v->get<QUuid>())
        e.runspaceId = *v->get<QUuid>();
    e.original = value.objectPtr();
    return e;
}

Value UserEvent::toValue() const
{
    if (original)
        return original;
    return Objects::msObject({{u"PSEventArgs.ComputerName"_s, computerName},
                              {u"PSEventArgs.RunspaceId"_s, runspaceId},
                              {u"PSEventArgs.EventIdentifier"_s, eventIdentifier},
                              {u"PSEventArgs.SourceIdentifier"_s, sourceIdentifier},
                              {u"PSEventArgs.TimeGenerated"_s, timeGenerated ? Value(*timeGenerated) : Value()},
                              {u"PSEventArgs.Sender"_s, sender},
                              {u"PSEventArgs.SourceArgs"_s, sourceArgs},
                              {u"PSEventArgs.MessageData"_s, messageData}});
}

const Value *ApplicationPrivateData::psVersionTable() const
{
    const PsObject *o = data.object();
    return o ? o->entry(u"PSVersionTable") : nullptr;
}

Result<ApplicationPrivateData> ApplicationPrivateData::fromValue(const Value &value)
{
    auto o = Objects::requireObject(value, u"APPLICATION_PRIVATE_DATA");
    if (!o)
        return o.error();
    auto d = Objects::requireProperty(**o, u"ApplicationPrivateData", u"APPLICATION_PRIVATE_DATA");
    if (!d)
        return d.error();
    if (!d->isNull() && !(d->object() && d->object()->container == PsObject::Container::Dictionary))
        return makeError(ErrorCode::InvalidValue, u"APPLICATION_PRIVATE_DATA: not a dictionary"_s);
    return ApplicationPrivateData{*d};
}

Value ApplicationPrivateData::toValue() const
{
    return Objects::msObject({{u"ApplicationPrivateData"_s, data}});
}

Result<GetCommandMetadata> GetCommandMetadata::fromValue(const Value &value)
{
    const QStringView what = u"GET_COMMAND_METADATA";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    const PsObject &obj = **o;
    auto readStrings = [&](const Value &v) -> Result<QStringList> {
        auto items = Objects::requireItems(v, what);
        if (!items)
            return items.error();
        QStringList out;
        for (const Value &i : *items) {
            auto s = i.toString();
            if (!s)
                return makeError(ErrorCode::InvalidValue, u"GET_COMMAND_METADATA: expected strings"_s);
            out.append(*s);
        }
        return out;
    };
    auto names = Objects::requireProperty(obj, u"Name", what);
    if (!names)
        return names.error();
    GetCommandMetadata m;
    if (!names->isNull()) {
        auto n = readStrings(*names);
        if (!n)
            return n.error();
        m.names = *n;
    }
    auto type = readEnum<CommandTypes>(obj, u"CommandType", what, 0, 0x1FF);
    if (!type)
        return type.error();
    m.commandType = *type;
    if (const Value *ns = obj.property(u"Namespace"); ns && !ns->isNull()) {
        auto n = readStrings(*ns);
        if (!n)
            return n.error();
        m.namespaces = *n;
    }
    if (const Value *al = obj.property(u"ArgumentList"); al && !al->isNull()) {
        auto items = Objects::requireItems(*al, what);
        if (!items)
            return items.error();
        m.argumentList = *items;
    }
    return m;
}

Value GetCommandMetadata::toValue() const
{
    auto strings = [](const QStringList &list) {
        QList<Value> items;
        for (const QString &s : list)
            items.append(s);
        return Objects::listObject(stringArrayTypeNames(), std::move(items));
    };
    return Objects::msObject(
        {{u"Name"_s, strings(names)},
         {u"CommandType"_s, enumValue(commandType)},
         {u"Namespace"_s, namespaces ? strings(*namespaces) : Value()},
         {u"ArgumentList"_s, argumentList ? Objects::listObject({u"System.Object[]"_s, u"System.Array"_s, u"System.Object"_s}, *argumentList)
                                          : Value()}});
}

Result<RunspacePoolInitData> RunspacePoolInitData::fromValue(const Value &value)
{
    const QStringView what = u"RUNSPACEPOOL_INIT_DATA";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto min = Objects::requireInt32(**o, u"MinRunspaces", what);
    if (!min)
        return min.error();
    auto max = Objects::requireInt32(**o, u"MaxRunspaces", what);
    if (!max)
        return max.error();
    return RunspacePoolInitData{*min, *max};
}

Value RunspacePoolInitData::toValue() const
{
    return Objects::msObject({{u"MinRunspaces"_s, minRunspaces}, {u"MaxRunspaces"_s, maxRunspaces}});
}

// ---- Pipeline messages ---------------------------------------------------------------------

Result<PipelineStateInfo> PipelineStateInfo::fromValue(const Value &value)
{
    return readStateInfo<PipelineStateInfo, PSInvocationState>(value, u"PIPELINE_STATE",
                                                               u"PipelineState", 6);
}

Value PipelineStateInfo::toValue() const
{
    return stateInfoValue(u"PipelineState"_s, qint32(state), error);
}

Result<InformationalRecord> InformationalRecord::fromValue(const Value &value)
{
    const QStringView what = u"InformationalRecord";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto message = Objects::requireString(**o, u"InformationalRecord_Message", what);
    if (!message)
        return message.error();
    InformationalRecord r;
    r.message = *message;
    if (const Value *v = (*o)->property(u"InformationalRecord_SerializeInvocationInfo"); v && v->toBool())
        r.serializeInvocationInfo = *v->toBool();
    r.original = value.objectPtr();
    return r;
}

Value InformationalRecord::toValue(const QString &typeName) const
{
    if (original)
        return original;
    ObjectPtr o = PsObject::create();
    o->typeNames = {typeName, u"System.Management.Automation.InformationalRecord"_s, u"System.Object"_s};
    o->toString = message;
    o->extendedProperties = {{u"InformationalRecord_Message"_s, message},
                             {u"InformationalRecord_SerializeInvocationInfo"_s, false}};
    return o;
}

Result<ProgressRecord> ProgressRecord::fromValue(const Value &value)
{
    const QStringView what = u"ProgressRecord";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    const PsObject &obj = **o;
    auto activity = Objects::requireString(obj, u"Activity", what);
    if (!activity)
        return activity.error();
    auto activityId = Objects::requireInt32(obj, u"ActivityId", what);
    if (!activityId)
        return activityId.error();
    ProgressRecord r;
    r.activity = *activity;
    r.activityId = *activityId;
    r.statusDescription = Objects::stringOr(obj, u"StatusDescription");
    auto op = Objects::optionalString(obj, u"CurrentOperation", what);
    if (!op)
        return op.error();
    r.currentOperation = *op;
    const std::pair<QStringView, qint32 *> ints[] = {{u"ParentActivityId", &r.parentActivityId},
                                                      {u"PercentComplete", &r.percentComplete},
                                                      {u"SecondsRemaining", &r.secondsRemaining}};
    for (const auto &[name, target] : ints) {
        if (!obj.property(name))
            continue;
        auto v = Objects::requireInt32(obj, name, what);
        if (!v)
            return v.error();
        *target = *v;
    }
    auto type = readEnumOr<ProgressRecordType>(obj, u"Type", what, 0, 1, ProgressRecordType::Processing);
    if (!type)
        return type.error();
    r.type = *type;
    return r;
}

Value ProgressRecord::toValue() const
{
    return Objects::msObject({{u"Activity"_s, activity},
                              {u"ActivityId"_s, activityId},
                              {u"StatusDescription"_s, statusDescription},
                              {u"CurrentOperation"_s, optionalString(currentOperation)},
                              {u"ParentActivityId"_s, parentActivityId},
                              {u"PercentComplete"_s, percentComplete},
                              {u"Type"_s, enumValue(type)},
                              {u"SecondsRemaining"_s, secondsRemaining}});
}

Result<std::pair<qint64, ProgressRecord>> writeProgressParams(const HostCall &call)
{
    if (call.methodId != HostMethodId::WriteProgress)
        return makeError(ErrorCode::InvalidValue, hostMethodName(call.methodId) + u" is not WriteProgress"_s);
    const Value *source = call.parameter(0);
    const Value *record = call.parameter(1);
    if (!source || !record)
        return makeError(ErrorCode::MissingProperty, u"WriteProgress: expected two parameters"_s);
    auto id = source->toInteger();
    if (!id)
        return makeError(ErrorCode::InvalidValue, u"WriteProgress: source id is not an integer"_s);
    auto r = ProgressRecord::fromValue(*record);
    if (!r)
        return r.error();
    return std::pair<qint64, ProgressRecord>(*id, *r);
}

Result<InformationRecord> InformationRecord::fromValue(const Value &value)
{
    const QStringView what = u"InformationRecord";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    const PsObject &obj = **o;
    auto data = Objects::requireProperty(obj, u"MessageData", what);
    if (!data)
        return data.error();
    InformationRecord r;
    r.messageData = *data;
    r.source = Objects::stringOr(obj, u"Source");
    if (const Value *v = obj.property(u"TimeGenerated"); v && v->get<DateTime>())
        r.timeGenerated = *v->get<DateTime>();
    if (const Value *v = obj.property(u"Tags"); v && !v->isNull()) {
        auto items = Objects::requireItems(*v, what);
        if (!items)
            return items.error();
        for (const Value &t : *items)
            r.tags.append(t.toString().value_or(QString()));
    }
    r.user = Objects::stringOr(obj, u"User");
    r.computer = Objects::stringOr(obj, u"Computer");
    const std::pair<QStringView, quint32 *> ids[] = {{u"ProcessId", &r.processId},
                                                      {u"NativeThreadId", &r.nativeThreadId},
                                                      {u"ManagedThreadId", &r.managedThreadId}};
    for (const auto &[name, target] : ids) {
        if (const Value *v = obj.property(name)) {
            auto n = v->toInteger();
            if (!n || *n < 0 || *n > std::numeric_limits<quint32>::max())
                return makeError(ErrorCode::InvalidValue, u"InformationRecord: "_s + name.toString() + u" is not a UInt32"_s);
            *target = quint32(*n);
        }
    }
    if (const Value *v = obj.property(u"WriteInformationStream"))
        r.writeInformationStream = v->toBool();
    return r;
}

Value InformationRecord::toValue() const
{
    QList<Value> tagItems;
    for (const QString &t : tags)
        tagItems.append(t);
    QList<Property> props{{u"MessageData"_s, messageData},
                          {u"Source"_s, source},
                          {u"TimeGenerated"_s, timeGenerated},
                          {u"Tags"_s, Objects::listObject(stringListTypeNames(), std::move(tagItems))},
                          {u"User"_s, user},
                          {u"Computer"_s, computer},
                          {u"ProcessId"_s, processId},
                          {u"NativeThreadId"_s, nativeThreadId},
                          {u"ManagedThreadId"_s, managedThreadId}};
    if (writeInformationStream)
        props.append({u"WriteInformationStream"_s, *writeInformationStream});
    return Objects::msObject(std::move(props));
}

// ---- Payload dispatch ----------------------------------------------------------------------

namespace {

template <typename Wrapper, typename Base>
Result<Payload> wrap(Result<Base> r)
{
    if (!r)
        return r.error();
    Wrapper w;
    static_cast<Base &>(w) = std::move(r).value();
    return Payload(std::move(w));
}

template <typename T>
Result<Payload> plain(Result<T> r)
{
    if (!r)
        return r.error();
    return Payload(std::move(r).value());
}

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

} // namespace

MessageType messageTypeOf(const Payload &payload)
{
    return std::visit(
        Overloaded{
            [](const SessionCapability &) { return MessageType::SessionCapability; },
            [](const InitRunspacePool &) { return MessageType::InitRunspacePool; },
            [](const PublicKey &) { return MessageType::PublicKey; },
            [](const EncryptedSessionKey &) { return MessageType::EncryptedSessionKey; },
            [](const PublicKeyRequest &) { return MessageType::PublicKeyRequest; },
            [](const ConnectRunspacePool &) { return MessageType::ConnectRunspacePool; },
            [](const SetMaxRunspaces &) { return MessageType::SetMaxRunspaces; },
            [](const SetMinRunspaces &) { return MessageType::SetMinRunspaces; },
            [](const RunspaceAvailability &) { return MessageType::RunspaceAvailability; },
            [](const RunspacePoolStateInfo &) { return MessageType::RunspacePoolState; },
            [](const CreatePipeline &) { return MessageType::CreatePipeline; },
            [](const GetAvailableRunspaces &) { return MessageType::GetAvailableRunspaces; },
            [](const UserEvent &) { return MessageType::UserEvent; },
            [](const ApplicationPrivateData &) { return MessageType::ApplicationPrivateData; },
            [](const GetCommandMetadata &) { return MessageType::GetCommandMetadata; },
            [](const RunspacePoolInitData &) { return MessageType::RunspacePoolInitData; },
            [](const ResetRunspaceState &) { return MessageType::ResetRunspaceState; },
            [](const RunspacePoolHostCall &) { return MessageType::RunspacePoolHostCall; },
            [](const RunspacePoolHostResponse &) { return MessageType::RunspacePoolHostResponse; },
            [](const PipelineInput &) { return MessageType::PipelineInput; },
            [](const EndOfPipelineInput &) { return MessageType::EndOfPipelineInput; },
            [](const PipelineOutput &) { return MessageType::PipelineOutput; },
            [](const ErrorRecord &) { return MessageType::ErrorRecord; },
            [](const PipelineStateInfo &) { return MessageType::PipelineState; },
            [](const DebugRecord &) { return MessageType::DebugRecord; },
            [](const VerboseRecord &) { return MessageType::VerboseRecord; },
            [](const WarningRecord &) { return MessageType::WarningRecord; },
            [](const ProgressRecord &) { return MessageType::ProgressRecord; },
            [](const InformationRecord &) { return MessageType::InformationRecord; },
            [](const PipelineHostCall &) { return MessageType::PipelineHostCall; },
            [](const PipelineHostResponse &) { return MessageType::PipelineHostResponse; },
        },
        payload);
}

Result<Payload> decodePayload(MessageType type, const Value &data)
{
    switch (type) {
    case MessageType::SessionCapability: return plain(SessionCapability::fromValue(data));
    case MessageType::InitRunspacePool: return plain(InitRunspacePool::fromValue(data));
    case MessageType::PublicKey: return plain(PublicKey::fromValue(data));
    case MessageType::EncryptedSessionKey: return plain(EncryptedSessionKey::fromValue(data));
    case MessageType::PublicKeyRequest: return plain(PublicKeyRequest::fromValue(data));
    case MessageType::ConnectRunspacePool: return plain(ConnectRunspacePool::fromValue(data));
    case MessageType::SetMaxRunspaces: return plain(SetMaxRunspaces::fromValue(data));
    case MessageType::SetMinRunspaces: return plain(SetMinRunspaces::fromValue(data));
    case MessageType::RunspaceAvailability: return plain(RunspaceAvailability::fromValue(data));
    case MessageType::RunspacePoolState: return plain(RunspacePoolStateInfo::fromValue(data));
    case MessageType::CreatePipeline: return plain(CreatePipeline::fromValue(data));
    case MessageType::GetAvailableRunspaces: return plain(GetAvailableRunspaces::fromValue(data));
    case MessageType::UserEvent: return plain(UserEvent::fromValue(data));
    case MessageType::ApplicationPrivateData: return plain(ApplicationPrivateData::fromValue(data));
    case MessageType::GetCommandMetadata: return plain(GetCommandMetadata::fromValue(data));
    case MessageType::RunspacePoolInitData: return plain(RunspacePoolInitData::fromValue(data));
    case MessageType::ResetRunspaceState: return plain(ResetRunspaceState::fromValue(data));
    case MessageType::RunspacePoolHostCall: return wrap<RunspacePoolHostCall>(HostCall::fromValue(data));
    case MessageType::RunspacePoolHostResponse: return wrap<RunspacePoolHostResponse>(HostResponse::fromValue(data));
    case MessageType::PipelineInput: return Payload(PipelineInput{data});
    case MessageType::EndOfPipelineInput: return Payload(EndOfPipelineInput{});
    case MessageType::PipelineOutput: return Payload(PipelineOutput{data});
    case MessageType::ErrorRecord: return plain(ErrorRecord::fromValue(data));
    case MessageType::PipelineState: return plain(PipelineStateInfo::fromValue(data));
    case MessageType::DebugRecord: return wrap<DebugRecord>(InformationalRecord::fromValue(data));
    case MessageType::VerboseRecord: return wrap<VerboseRecord>(InformationalRecord::fromValue(data));
    case MessageType::WarningRecord: return wrap<WarningRecord>(InformationalRecord::fromValue(data));
    case MessageType::ProgressRecord: return plain(ProgressRecord::fromValue(data));
    case MessageType::InformationRecord: return plain(InformationRecord::fromValue(data));
    case MessageType::PipelineHostCall: return wrap<PipelineHostCall>(HostCall::fromValue(data));
    case MessageType::PipelineHostResponse: return wrap<PipelineHostResponse>(HostResponse::fromValue(data));
    }
    return makeError(ErrorCode::UnknownMessageType, u"no payload for message type 0x"_s + QString::number(quint32(type), 16));
}

Value encodePayload(const Payload &payload, const QVersionNumber &protocolVersion)
{
    return std::visit(
        Overloaded{
            [&](const CreatePipeline &p) { return p.toValue(protocolVersion); },
            [](const HostCall &p) { return p.toValue(); },
            [](const HostResponse &p) { return p.toValue(); },
            [](const PipelineInput &p) { return p.value; },
            [](const PipelineOutput &p) { return p.value; },
            [](const EndOfPipelineInput &) { return Value(); },
            [](const DebugRecord &p) { return p.toValue(u"System.Management.Automation.DebugRecord"_s); },
            [](const VerboseRecord &p) { return p.toValue(u"System.Management.Automation.VerboseRecord"_s); },
            [](const WarningRecord &p) { return p.toValue(u"System.Management.Automation.WarningRecord"_s); },
            [](const auto &p) { return p.toValue(); },
        },
        payload);
}

Result<Payload> decodePayloadData(MessageType type, QByteArrayView data)
{
    Value value;
    if (!data.isEmpty()) {
        Result<Value> parsed = Clixml::deserialize(data);
        if (!parsed)
            return parsed.error();
        value = *parsed;
    }
    return decodePayload(type, value);
}

QByteArray encodePayloadData(const Payload &payload, const QVersionNumber &protocolVersion)
{
    Value value = encodePayload(payload, protocolVersion);
    if (value.isNull())
        return {};
    return Clixml::serialize(value);
}

} // namespace Psrp
