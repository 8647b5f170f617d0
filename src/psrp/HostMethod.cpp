#include "psrp/HostMethod.h"

#include "psrp/ObjectBuilders.h"

#include <array>

using namespace Qt::Literals::StringLiterals;

namespace Psrp {

namespace {

// MS-PSRP 2.2.3.17: index = id - 1.
constexpr std::array<QStringView, 56> MethodNames = {
    u"GetName", u"GetVersion", u"GetInstanceId", u"GetCurrentCulture", u"GetCurrentUICulture",
    u"SetShouldExit", u"EnterNestedPrompt", u"ExitNestedPrompt", u"NotifyBeginApplication",
    u"NotifyEndApplication", u"ReadLine", u"ReadLineAsSecureString", u"Write1", u"Write2",
    u"WriteLine1", u"WriteLine2", u"WriteLine3", u"WriteErrorLine", u"WriteDebugLine",
    u"WriteProgress", u"WriteVerboseLine", u"WriteWarningLine", u"Prompt", u"PromptForCredential1",
    u"PromptForCredential2", u"PromptForChoice", u"GetForegroundColor", u"SetForegroundColor",
    u"GetBackgroundColor", u"SetBackgroundColor", u"GetCursorPosition", u"SetCursorPosition",
    u"GetWindowPosition", u"SetWindowPosition", u"GetCursorSize", u"SetCursorSize",
    u"GetBufferSize", u"SetBufferSize", u"GetWindowSize", u"SetWindowSize", u"GetWindowTitle",
    u"SetWindowTitle", u"GetMaxWindowSize", u"GetMaxPhysicalWindowSize", u"GetKeyAvailable",
    u"ReadKey", u"FlushInputBuffer", u"SetBufferContents1", u"SetBufferContents2",
    u"GetBufferContents", u"ScrollBufferContents", u"PushRunspace", u"PopRunspace",
    u"GetIsRunspacePushed", u"GetRunspace", u"PromptForChoiceMultipleSelection",
};

const QString MethodIdType = u"System.Management.Automation.Remoting.RemoteHostMethodId"_s;

Value methodIdObject(HostMethodId id)
{
    return Objects::enumObject(MethodIdType, hostMethodName(id), qint32(id));
}

Result<HostMethodId> readMethodId(const PsObject &o, QStringView what)
{
    Result<qint64> mi = Objects::requireInteger(o, u"mi", what);
    if (!mi)
        return mi.error();
    if (auto id = hostMethodIdFromInt(*mi))
        return *id;
    return makeError(ErrorCode::InvalidValue, what.toString() + u": unknown host method id "_s + QString::number(*mi));
}

Value fieldBag(QList<Property> fields)
{
    return Objects::msObject(std::move(fields));
}

// Reads a struct sent as a bag of Int32 fields (Coordinates, Size, Rectangle: MS-PSRP 2.2.3.1,
// 2.2.3.2, 2.2.3.3) into the given members, in order; the first missing or mistyped field fails.
Result<void> readInt32Fields(const Value &value, QStringView what,
                             std::initializer_list<std::pair<QStringView, qint32 *>> fields)
{
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    for (const auto &[name, target] : fields) {
        auto v = Objects::requireInt32(**o, name, what);
        if (!v)
            return v.error();
        *target = *v;
    }
    return {};
}

Result<QString> stringParam(const HostCall &call, qsizetype i)
{
    const Value *v = call.parameter(i);
    if (!v)
        return makeError(ErrorCode::MissingProperty, hostMethodName(call.methodId) + u": missing parameter "_s + QString::number(i));
    if (v->isNull())
        return QString();
    if (auto s = v->toString())
        return *s;
    return makeError(ErrorCode::InvalidValue, hostMethodName(call.methodId) + u": parameter "_s + QString::number(i) + u" is not a string"_s);
}

Result<qint32> intParam(const HostCall &call, qsizetype i)
{
    const Value *v = call.parameter(i);
    if (!v)
        return makeError(ErrorCode::MissingProperty, hostMethodName(call.methodId) + u": missing parameter "_s + QString::number(i));
    auto n = v->toInteger();
    if (!n || *n < std::numeric_limits<qint32>::min() || *n > std::numeric_limits<qint32>::max())
        return makeError(ErrorCode::InvalidValue, hostMethodName(call.methodId) + u": parameter "_s + QString::number(i) + u" is not an Int32"_s);
    return qint32(*n);
}

Result<QList<Value>> listParam(const HostCall &call, qsizetype i)
{
    const Value *v = call.parameter(i);
    if (!v)
        return makeError(ErrorCode::MissingProperty, hostMethodName(call.methodId) + u": missing parameter "_s + QString::number(i));
    if (v->isNull())
        return QList<Value>();
    return Objects::requireItems(*v, hostMethodName(call.methodId));
}

Result<QList<qint32>> int32Items(const Value &v, QStringView what)
{
    Result<QList<Value>> items = Objects::requireItems(v, what);
    if (!items)
        return items.error();
    QList<qint32> out;
    for (const Value &item : *items) {
        auto n = item.toInteger();
        if (!n)
            return makeError(ErrorCode::InvalidValue, what.toString() + u": expected Int32 items"_s);
        out.append(qint32(*n));
    }
    return out;
}

} // namespace

QString hostMethodName(HostMethodId id)
{
    const auto i = qint32(id);
    if (i < 1 || i > qint32(MethodNames.size()))
        return {};
    return MethodNames[size_t(i - 1)].toString();
}

std::optional<HostMethodId> hostMethodIdFromName(QStringView name)
{
    for (size_t i = 0; i < MethodNames.size(); ++i) {
        if (MethodNames[i] == name)
            return HostMethodId(qint32(i + 1));
    }
    return std::nullopt;
}

std::optional<HostMethodId> hostMethodIdFromInt(qint64 value)
{
    if (value < 1 || value > qint64(MethodNames.size()))
        return std::nullopt;
    return HostMethodId(qint32(value));
}

bool hostMethodReturnsValue(HostMethodId id)
{
    switch (id) {
    case HostMethodId::GetName:
    case HostMethodId::GetVersion:
    case HostMethodId::GetInstanceId:
    case HostMethodId::GetCurrentCulture:
    case HostMethodId::GetCurrentUICulture:
    case HostMethodId::ReadLine:
    case HostMethodId::ReadLineAsSecureString:
    case HostMethodId::Prompt:
    case HostMethodId::PromptForCredential1:
    case HostMethodId::PromptForCredential2:
    case HostMethodId::PromptForChoice:
    case HostMethodId::GetForegroundColor:
    case HostMethodId::GetBackgroundColor:
    case HostMethodId::GetCursorPosition:
    case HostMethodId::GetWindowPosition:
    case HostMethodId::GetCursorSize:
    case HostMethodId::GetBufferSize:
    case HostMethodId::GetWindowSize:
    case HostMethodId::GetWindowTitle:
    case HostMethodId::GetMaxWindowSize:
    case HostMethodId::GetMaxPhysicalWindowSize:
    case HostMethodId::GetKeyAvailable:
    case HostMethodId::ReadKey:
    case HostMethodId::GetBufferContents:
    case HostMethodId::GetIsRunspacePushed:
    case HostMethodId::GetRunspace:
    case HostMethodId::PromptForChoiceMultipleSelection:
        return true;
    default:
        return false;
    }
}

const Value *HostCall::parameter(qsizetype i) const
{
    return i >= 0 && i < parameters.size() ? &parameters[i] : nullptr;
}

Result<HostCall> HostCall::fromValue(const Value &value)
{
    const QStringView what = u"host call";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    Result<qint64> ci = Objects::requireInteger(**o, u"ci", what);
    if (!ci)
        return ci.error();
    Result<HostMethodId> mi = readMethodId(**o, what);
    if (!mi)
        return mi.error();
    Result<Value> mp = Objects::requireProperty(**o, u"mp", what);
    if (!mp)
        return mp.error();
    HostCall call{*ci, *mi, {}};
    if (!mp->isNull()) {
        Result<QList<Value>> items = Objects::requireItems(*mp, what);
        if (!items)
            return items.error();
        call.parameters = *items;
    }
    return call;
}

Value HostCall::toValue() const
{
    return Objects::msObject({{u"ci"_s, callId},
                              {u"mi"_s, methodIdObject(methodId)},
                              {u"mp"_s, Objects::listObject(Objects::arrayListTypeNames(), parameters)}});
}

HostResponse HostResponse::answer(const HostCall &call, Value result)
{
    return HostResponse{call.callId, call.methodId, std::move(result), std::nullopt};
}

HostResponse HostResponse::answerVoid(const HostCall &call)
{
    return HostResponse{call.callId, call.methodId, std::nullopt, std::nullopt};
}

HostResponse HostResponse::failure(const HostCall &call, Value errorRecord)
{
    return HostResponse{call.callId, call.methodId, std::nullopt, std::move(errorRecord)};
}

Result<HostResponse> HostResponse::fromValue(const Value &value)
{
    const QStringView what = u"host response";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    Result<qint64> ci = Objects::requireInteger(**o, u"ci", what);
    if (!ci)
        return ci.error();
    Result<HostMethodId> mi = readMethodId(**o, what);
    if (!mi)
        return mi.error();
    HostResponse r{*ci, *mi, std::nullopt, std::nullopt};
    if (const Value *mr = (*o)->property(u"mr"))
        r.result = *mr;
    if (const Value *me = (*o)->property(u"me"))
        r.error = *me;
    return r;
}

Value HostResponse::toValue() const
{
    QList<Property> props{{u"ci"_s, callId}, {u"mi"_s, methodIdObject(methodId)}};
    if (result)
        props.append({u"mr"_s, *result});
    if (error)
        props.append({u"me"_s, *error});
    return Objects::msObject(std::move(props));
}

Result<Coordinates> Coordinates::fromValue(const Value &value)
{
    Coordinates c;
    if (Result<void> r = readInt32Fields(value, u"Coordinates", {{u"x", &c.x}, {u"y", &c.y}}); !r)
        return r.error();
    return c;
}

Value Coordinates::toValue() const
{
    return fieldBag({{u"x"_s, x}, {u"y"_s, y}});
}

Result<Size> Size::fromValue(const Value &value)
{
    Size size;
    if (Result<void> r = readInt32Fields(value, u"Size", {{u"width", &size.width}, {u"height", &size.height}}); !r)
        return r.error();
    return size;
}

Value Size::toValue() const
{
    return fieldBag({{u"width"_s, width}, {u"height"_s, height}});
}

Result<Rectangle> Rectangle::fromValue(const Value &value)
{
    Rectangle r;
    if (Result<void> read = readInt32Fields(value, u"Rectangle",
                                            {{u"left", &r.left}, {u"top", &r.top}, {u"right", &r.right}, {u"bottom", &r.bottom}});
        !read)
        return read.error();
    return r;
}

Value Rectangle::toValue() const
{
    return fieldBag({{u"left"_s, left}, {u"top"_s, top}, {u"right"_s, right}, {u"bottom"_s, bottom}});
}

Result<BufferCell> BufferCell::fromValue(const Value &value)
{
    const QStringView what = u"BufferCell";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto ch = Objects::requireProperty(**o, u"character", what);
    if (!ch)
        return ch.error();
    BufferCell cell;
    if (const Char *c = ch->get<Char>())
        cell.character = c->value;
    else if (auto s = ch->toString(); s && s->size() == 1)
        cell.character = s->at(0).unicode();
    else
        return makeError(ErrorCode::InvalidValue, u"BufferCell: character is not a Char"_s);
    auto fg = Objects::requireInt32(**o, u"foregroundColor", what);
    auto bg = Objects::requireInt32(**o, u"backgroundColor", what);
    auto type = Objects::requireInt32(**o, u"bufferCellType", what);
    if (!fg)
        return fg.error();
    if (!bg)
        return bg.error();
    if (!type)
        return type.error();
    if (*type < 0 || *type > 2)
        return makeError(ErrorCode::InvalidValue, u"BufferCell: bufferCellType out of range"_s);
    cell.foregroundColor = *fg;
    cell.backgroundColor = *bg;
    cell.type = BufferCellType(*type);
    return cell;
}

Value BufferCell::toValue() const
{
    return fieldBag({{u"character"_s, Char{character}},
                     {u"foregroundColor"_s, foregroundColor},
                     {u"backgroundColor"_s, backgroundColor},
                     {u"bufferCellType"_s, qint32(type)}});
}

Result<BufferCellArray> BufferCellArray::fromValue(const Value &value)
{
    const QStringView what = u"BufferCell[,]";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto mae = Objects::requireProperty(**o, u"mae", what);
    auto mal = Objects::requireProperty(**o, u"mal", what);
    if (!mae)
        return mae.error();
    if (!mal)
        return mal.error();
    auto lengths = int32Items(*mal, what);
    if (!lengths)
        return lengths.error();
    if (lengths->size() != 2 || lengths->at(0) < 0 || lengths->at(1) < 0)
        return makeError(ErrorCode::InvalidValue, u"BufferCell[,]: mal must hold two lengths"_s);
    auto elements = Objects::requireItems(*mae, what);
    if (!elements)
        return elements.error();
    if (qint64(lengths->at(0)) * lengths->at(1) != elements->size())
        return makeError(ErrorCode::InvalidValue, u"BufferCell[,]: element count does not match mal"_s);
    BufferCellArray array{lengths->at(0), lengths->at(1), {}};
    array.cells.reserve(elements->size());
    for (const Value &e : *elements) {
        auto cell = BufferCell::fromValue(e);
        if (!cell)
            return cell.error();
        array.cells.append(*cell);
    }
    return array;
}

Value BufferCellArray::toValue() const
{
    QList<Value> elements;
    elements.reserve(cells.size());
    for (const BufferCell &c : cells)
        elements.append(c.toValue());
    return fieldBag({{u"mae"_s, Objects::listObject(Objects::arrayListTypeNames(), elements)},
                     {u"mal"_s, Objects::listObject(Objects::arrayListTypeNames(), {rows, columns})}});
}

Result<KeyInfo> KeyInfo::fromValue(const Value &value)
{
    const QStringView what = u"KeyInfo";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto vk = Objects::requireInt32(**o, u"virtualKeyCode", what);
    auto ch = Objects::requireProperty(**o, u"character", what);
    auto cks = Objects::requireInt32(**o, u"controlKeyState", what);
    auto down = Objects::requireBool(**o, u"keyDown", what);
    if (!vk)
        return vk.error();
    if (!ch)
        return ch.error();
    if (!cks)
        return cks.error();
    if (!down)
        return down.error();
    const Char *c = ch->get<Char>();
    if (!c)
        return makeError(ErrorCode::InvalidValue, u"KeyInfo: character is not a Char"_s);
    return KeyInfo{*vk, c->value, *cks, *down};
}

Value KeyInfo::toValue() const
{
    return fieldBag({{u"virtualKeyCode"_s, virtualKeyCode},
                     {u"character"_s, Char{character}},
                     {u"controlKeyState"_s, controlKeyState},
                     {u"keyDown"_s, keyDown}});
}

bool FieldDescription::isSecureString() const
{
    return parameterTypeFullName == u"System.Security.SecureString";
}

bool FieldDescription::isCredential() const
{
    return parameterTypeFullName == u"System.Management.Automation.PSCredential";
}

Result<FieldDescription> FieldDescription::fromValue(const Value &value)
{
    const QStringView what = u"FieldDescription";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto name = Objects::requireString(**o, u"name", what);
    if (!name)
        return name.error();
    FieldDescription f;
    f.name = *name;
    f.label = Objects::stringOr(**o, u"label");
    f.parameterTypeName = Objects::stringOr(**o, u"parameterTypeName");
    f.parameterTypeFullName = Objects::stringOr(**o, u"parameterTypeFullName");
    f.parameterAssemblyFullName = Objects::stringOr(**o, u"parameterAssemblyFullName");
    f.helpMessage = Objects::stringOr(**o, u"helpMessage");
    if (const Value *v = (*o)->property(u"isMandatory"); v && v->toBool())
        f.isMandatory = *v->toBool();
    if (const Value *v = (*o)->property(u"defaultValue"))
        f.defaultValue = *v;
    if (const Value *v = (*o)->property(u"metadata"); v && !v->isNull()) {
        auto items = Objects::requireItems(*v, what);
        if (!items)
            return items.error();
        f.metadata = *items;
    }
    if (const Value *v = (*o)->property(u"modifiedByRemotingProtocol"); v && v->toBool())
        f.modifiedByRemotingProtocol = *v->toBool();
    if (const Value *v = (*o)->property(u"isFromRemoteHost"); v && v->toBool())
        f.isFromRemoteHost = *v->toBool();
    return f;
}

Value FieldDescription::toValue() const
{
    QList<Property> props{{u"name"_s, name},
                          {u"label"_s, label},
                          {u"parameterTypeName"_s, parameterTypeName},
                          {u"parameterTypeFullName"_s, parameterTypeFullName},
                          {u"parameterAssemblyFullName"_s, parameterAssemblyFullName},
                          {u"helpMessage"_s, helpMessage},
                          {u"isMandatory"_s, isMandatory}};
    if (!defaultValue.isNull())
        props.append({u"defaultValue"_s, defaultValue});
    props.append({u"metadata"_s, Objects::listObject(Objects::arrayListTypeNames(), metadata)});
    props.append({u"modifiedByRemotingProtocol"_s, modifiedByRemotingProtocol});
    props.append({u"isFromRemoteHost"_s, isFromRemoteHost});
    return fieldBag(std::move(props));
}

Result<ChoiceDescription> ChoiceDescription::fromValue(const Value &value)
{
    auto o = Objects::requireObject(value, u"ChoiceDescription");
    if (!o)
        return o.error();
    auto label = Objects::requireString(**o, u"label", u"ChoiceDescription");
    if (!label)
        return label.error();
    return ChoiceDescription{*label, Objects::stringOr(**o, u"helpMessage")};
}

Value ChoiceDescription::toValue() const
{
    return fieldBag({{u"label"_s, label}, {u"helpMessage"_s, helpMessage}});
}

Result<PSCredential> PSCredential::fromValue(const Value &value)
{
    const QStringView what = u"PSCredential";
    auto o = Objects::requireObject(value, what);
    if (!o)
        return o.error();
    auto user = Objects::requireString(**o, u"UserName", what);
    if (!user)
        return user.error();
    auto password = Objects::requireProperty(**o, u"Password", what);
    if (!password)
        return password.error();
    const SecureString *ss = password->get<SecureString>();
    if (!ss)
        return makeError(ErrorCode::InvalidValue, u"PSCredential: Password is not a SecureString"_s);
    return PSCredential{*user, *ss};
}

Value PSCredential::toValue() const
{
    ObjectPtr o = PsObject::create();
    o->typeNames = {u"System.Management.Automation.PSCredential"_s, u"System.Object"_s};
    o->toString = u"System.Management.Automation.PSCredential"_s;
    o->adaptedProperties = {{u"UserName"_s, userName}, {u"Password"_s, password}};
    return o;
}

Result<WriteParams> writeParams(const HostCall &call)
{
    WriteParams p;
    switch (call.methodId) {
    case HostMethodId::WriteLine1:
        return p;
    case HostMethodId::Write2:
    case HostMethodId::WriteLine3: {
        auto fg = intParam(call, 0);
        auto bg = intParam(call, 1);
        auto text = stringParam(call, 2);
        if (!fg)
            return fg.error();
        if (!bg)
            return bg.error();
        if (!text)
            return text.error();
        p.foregroundColor = *fg;
        p.backgroundColor = *bg;
        p.text = *text;
        return p;
    }
    case HostMethodId::Write1:
    case HostMethodId::WriteLine2:
    case HostMethodId::WriteErrorLine:
    case HostMethodId::WriteDebugLine:
    case HostMethodId::WriteVerboseLine:
    case HostMethodId::WriteWarningLine: {
        auto text = stringParam(call, 0);
        if (!text)
            return text.error();
        p.text = *text;
        return p;
    }
    default:
        return makeError(ErrorCode::InvalidValue, hostMethodName(call.methodId) + u" is not a Write method"_s);
    }
}

Result<PromptParams> promptParams(const HostCall &call)
{
    if (call.methodId != HostMethodId::Prompt)
        return makeError(ErrorCode::InvalidValue, hostMethodName(call.methodId) + u" is not Prompt"_s);
    auto caption = stringParam(call, 0);
    auto message = stringParam(call, 1);
    auto fields = listParam(call, 2);
    if (!caption)
        return caption.error();
    if (!message)
        return message.error();
    if (!fields)
        return fields.error();
    PromptParams p{*caption, *message, {}};
    for (const Value &v : *fields) {
        auto f = FieldDescription::fromValue(v);
        if (!f)
            return f.error();
        p.fields.append(*f);
    }
    return p;
}

Result<PromptForCredentialParams> promptForCredentialParams(const HostCall &call)
{
    if (call.methodId != HostMethodId::PromptForCredential1 && call.methodId != HostMethodId::PromptForCredential2)
        return makeError(ErrorCode::InvalidValue, hostMethodName(call.methodId) + u" is not PromptForCredential"_s);
    PromptForCredentialParams p;
    QString *strings[] = {&p.caption, &p.message, &p.userName, &p.targetName};
    for (qsizetype i = 0; i < 4; ++i) {
        auto s = stringParam(call, i);
        if (!s)
            return s.error();
        *strings[i] = *s;
    }
    if (call.methodId == HostMethodId::PromptForCredential2) {
        auto types = intParam(call, 4);
        auto options = intParam(call, 5);
        if (!types)
            return types.error();
        if (!options)
            return options.error();
        p.allowedCredentialTypes = *types;
        p.options = *options;
    }
    return p;
}

Result<PromptForChoiceParams> promptForChoiceParams(const HostCall &call)
{
    if (call.methodId != HostMethodId::PromptForChoice
        && call.methodId != HostMethodId::PromptForChoiceMultipleSelection)
        return makeError(ErrorCode::InvalidValue, hostMethodName(call.methodId) + u" is not PromptForChoice"_s);
    auto caption = stringParam(call, 0);
    auto message = stringParam(call, 1);
    auto choices = listParam(call, 2);
    if (!caption)
        return caption.error();
    if (!message)
        return message.error();
    if (!choices)
        return choices.error();
    PromptForChoiceParams p{*caption, *message, {}, {}};
    for (const Value &v : *choices) {
        auto c = ChoiceDescription::fromValue(v);
        if (!c)
            return c.error();
        p.choices.append(*c);
    }
    if (call.methodId == HostMethodId::PromptForChoice) {
        auto def = intParam(call, 3);
        if (!def)
            return def.error();
        p.defaultChoices.append(*def);
    } else if (const Value *v = call.parameter(3); v && !v->isNull()) {
        auto defaults = int32Items(*v, u"PromptForChoiceMultipleSelection");
        if (!defaults)
            return defaults.error();
        p.defaultChoices = *defaults;
    }
    return p;
}

Value promptResult(const QList<std::pair<QString, Value>> &answers)
{
    QList<DictionaryEntry> entries;
    entries.reserve(answers.size());
    for (const auto &[name, value] : answers)
        entries.append({name, value});
    return Objects::dictionaryObject(Objects::hashtableTypeNames(), std::move(entries));
}

Value choiceMultipleSelectionResult(const QList<qint32> &choices)
{
    QList<Value> items;
    for (qint32 c : choices)
        items.append(c);
    return Objects::listObject(
        {u"System.Collections.ObjectModel.Collection`1[[System.Int32, mscorlib, Version=4.0.0.0, "
         "Culture=neutral, PublicKeyToken=b77a5c561934e089]]"_s,
         u"System.Object"_s},
        std::move(items));
}

Value encodeTypedElement(const QString &typeName, Value value)
{
    return Objects::msObject({{u"T"_s, typeName}, {u"V"_s, std::move(value)}});
}

Result<Value> decodeTypedElement(const Value &element)
{
    auto o = Objects::requireObject(element, u"typed element");
    if (!o)
        return o.error();
    auto t = Objects::requireString(**o, u"T", u"typed element");
    if (!t)
        return t.error();
    return Objects::requireProperty(**o, u"V", u"typed element");
}

} // namespace Psrp
