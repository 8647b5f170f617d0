#include "psrp/Payloads.h"

#include "psrp/ObjectBuilders.h"

#include <gtest/gtest.h>

using namespace Psrp;
using namespace Qt::Literals::StringLiterals;

namespace {

const PsObject &obj(const Value &v)
{
    static const PsObject empty;
    return v.object() ? *v.object() : empty;
}

QStringList msNames(const Value &v)
{
    QStringList names;
    for (const Property &p : obj(v).extendedProperties)
        names.append(p.name);
    return names;
}

} // namespace

TEST(Payloads, EnumTextMatchesDotNetNames)
{
    EXPECT_EQ(enumText(RunspacePoolState::Disconnected), u"Disconnected"_s);
    EXPECT_EQ(enumText(PSInvocationState::Completed), u"Completed"_s);
    EXPECT_EQ(enumText(ApartmentState::Unknown), u"Unknown"_s);
    EXPECT_EQ(enumText(RemoteStreamOptions::AddInvocationInfo), u"AddInvocationInfo"_s);
    EXPECT_EQ(enumText(RemoteStreamOptions(3)), u"AddInvocationInfoToErrorRecord, AddInvocationInfoToWarningRecord"_s);
    EXPECT_EQ(enumText(RemoteStreamOptions::None), u"0"_s); // no zero member: .NET prints the number
    EXPECT_EQ(enumText(CommandTypes(15)), u"Alias, Function, Filter, Cmdlet"_s);
    EXPECT_EQ(enumText(CommandTypes::All), u"All"_s);
    EXPECT_EQ(enumText(ProgressRecordType::Completed), u"Completed"_s);
}

TEST(Payloads, SessionCapabilityRoundTripsAndRequiresVersions)
{
    SessionCapability c;
    c.protocolVersion = QVersionNumber(2, 1);
    const Value v = c.toValue();
    EXPECT_EQ(msNames(v), (QStringList{u"protocolversion"_s, u"PSVersion"_s, u"SerializationVersion"_s}));
    ASSERT_TRUE(obj(v).property(u"SerializationVersion")->get<Version>());
    EXPECT_EQ(obj(v).property(u"SerializationVersion")->get<Version>()->value, u"1.1.0.1"_s);
    auto back = SessionCapability::fromValue(v);
    ASSERT_TRUE(back.ok()) << back.error().detail.toStdString();
    EXPECT_EQ(back->protocolVersion, QVersionNumber(2, 1));
    EXPECT_FALSE(back->timeZone.has_value());

    Value missing = Objects::msObject({{u"protocolversion"_s, Version{u"2.3"_s}}});
    auto r = SessionCapability::fromValue(missing);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::MissingProperty);

    Value bad = Objects::msObject({{u"protocolversion"_s, Version{u"x.y"_s}},
                                   {u"PSVersion"_s, Version{u"2.0"_s}},
                                   {u"SerializationVersion"_s, Version{u"1.1.0.1"_s}}});
    auto r2 = SessionCapability::fromValue(bad);
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, ErrorCode::InvalidValue);
}

TEST(Payloads, InitRunspacePoolShape)
{
    InitRunspacePool p;
    const Value v = p.toValue();
    EXPECT_EQ(msNames(v), (QStringList{u"MinRunspaces"_s, u"MaxRunspaces"_s, u"PSThreadOptions"_s,
                                        u"ApartmentState"_s, u"HostInfo"_s, u"ApplicationArguments"_s}));
    const PsObject *apartment = obj(v).property(u"ApartmentState")->object();
    ASSERT_TRUE(apartment);
    EXPECT_EQ(apartment->typeNames.first(), u"System.Threading.ApartmentState"_s);
    EXPECT_EQ(apartment->toString, u"Unknown"_s);
    EXPECT_EQ(apartment->baseValue->toInteger(), 2);
    EXPECT_TRUE(obj(v).property(u"ApplicationArguments")->isNull());
    auto back = InitRunspacePool::fromValue(v);
    ASSERT_TRUE(back.ok()) << back.error().detail.toStdString();
    EXPECT_EQ(back->apartmentState, ApartmentState::Unknown);
    EXPECT_TRUE(back->hostInfo.isHostNull);
}

TEST(Payloads, HostInfoConsoleCarriesAllTenKeys)
{
    HostInfo h = HostInfo::console(120, 50, 7, 0, u"title"_s);
    const Value v = h.toValue();
    EXPECT_EQ(msNames(v).first(), u"_hostDefaultData"_s);
    const PsObject *data = obj(*obj(v).property(u"_hostDefaultData")).property(u"data")->object();
    ASSERT_TRUE(data);
    EXPECT_EQ(data->entries.size(), 10);
    auto back = HostInfo::fromValue(v);
    ASSERT_TRUE(back.ok()) << back.error().detail.toStdString();
    ASSERT_TRUE(back->defaultData);
    EXPECT_EQ(back->defaultData->bufferSize, (Size{120, 50}));
    EXPECT_EQ(back->defaultData->windowTitle, u"title"_s);
    EXPECT_EQ(back->defaultData->foregroundColor, 7);
    EXPECT_FALSE(back->isHostNull);

    const Value none = HostInfo::noHost().toValue();
    EXPECT_EQ(msNames(none), (QStringList{u"_isHostNull"_s, u"_isHostUINull"_s, u"_isHostRawUINull"_s, u"_useRunspaceHost"_s}));
}

TEST(Payloads, CreatePipelineMergeMembersGatedByProtocolVersion)
{
    CreatePipeline p;
    p.powerShell.commands.append(Command::command(u"Get-Item"_s).addParameter(u"Path"_s, u"C:\\"_s).addArgument(qint32(1)));
    auto cmdMembers = [&](const QVersionNumber &version) {
        const Value v = p.toValue(version);
        const Value *ps = obj(v).property(u"PowerShell");
        const Value *cmds = obj(*ps).property(u"Cmds");
        return msNames(obj(*cmds).items.first());
    };
    EXPECT_FALSE(cmdMembers(QVersionNumber(2, 1)).contains(u"MergeError"_s));
    EXPECT_TRUE(cmdMembers(QVersionNumber(2, 2)).contains(u"MergeError"_s));
    EXPECT_FALSE(cmdMembers(QVersionNumber(2, 2)).contains(u"MergeInformation"_s));
    EXPECT_EQ(cmdMembers(QVersionNumber(2, 3)).last(), u"MergeInformation"_s);

    auto back = CreatePipeline::fromValue(p.toValue());
    ASSERT_TRUE(back.ok()) << back.error().detail.toStdString();
    ASSERT_EQ(back->powerShell.commands.size(), 1);
    const Command &c = back->powerShell.commands.first();
    EXPECT_EQ(c.cmd, u"Get-Item"_s);
    ASSERT_EQ(c.args.size(), 2);
    EXPECT_EQ(c.args[0].name, u"Path"_s);
    EXPECT_FALSE(c.args[1].name.has_value());
    EXPECT_EQ(c.args[1].value, Value(qint32(1)));
    EXPECT_FALSE(back->powerShell.extraCmds.has_value());
    EXPECT_EQ(back->remoteStreamOptions, RemoteStreamOptions::AddInvocationInfo);
}

TEST(Payloads, CreatePipelineRejectsBadEnumAndMissingCmd)
{
    CreatePipeline p;
    p.powerShell.commands.append(Command::script(u"1"_s));
    Value v = p.toValue();
    // Break MergeMyResult to 99.
    Value cmds = *obj(*obj(v).property(u"PowerShell")).property(u"Cmds");
    cmds.object()->items.first().object()->setProperty(u"MergeMyResult"_s, qint32(99));
    auto r = CreatePipeline::fromValue(v);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidValue);

    Value noPs = Objects::msObject({{u"NoInput"_s, true}});
    auto r2 = CreatePipeline::fromValue(noPs);
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, ErrorCode::MissingProperty);
}

TEST(Payloads, StateMessagesWithAndWithoutError)
{
    auto ok = PipelineStateInfo::fromValue(Objects::msObject({{u"PipelineState"_s, qint32(4)}}));
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->state, PSInvocationState::Completed);
    EXPECT_FALSE(ok->error);

    ErrorRecord e = ErrorRecord::make(u"boom"_s, u"Some.Id"_s, 7);
    Value withError = PipelineStateInfo{PSInvocationState::Failed, e}.toValue();
    auto failed = PipelineStateInfo::fromValue(withError);
    ASSERT_TRUE(failed.ok()) << failed.error().detail.toStdString();
    ASSERT_TRUE(failed->error);
    EXPECT_EQ(failed->error->message, u"boom"_s);
    EXPECT_EQ(failed->error->fullyQualifiedErrorId, u"Some.Id"_s);
    EXPECT_EQ(failed->error->category, 7);
    EXPECT_TRUE(failed->error->original);

    auto bad = RunspacePoolStateInfo::fromValue(Objects::msObject({{u"RunspaceState"_s, qint32(10)}}));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidValue);
    auto missing = RunspacePoolStateInfo::fromValue(Objects::msObject({}));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::MissingProperty);
}

TEST(Payloads, RunspaceAvailabilityBoolOrCount)
{
    auto b = RunspaceAvailability::fromValue(
        Objects::msObject({{u"SetMinMaxRunspacesResponse"_s, true}, {u"ci"_s, qint64(3)}}));
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(std::get<bool>(b->value), true);
    EXPECT_EQ(b->callId, 3);
    auto n = RunspaceAvailability::fromValue(
        Objects::msObject({{u"SetMinMaxRunspacesResponse"_s, qint64(5)}, {u"ci"_s, qint64(4)}}));
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::get<qint64>(n->value), 5);
    EXPECT_EQ(n->toValue(), Objects::msObject({{u"SetMinMaxRunspacesResponse"_s, qint64(5)}, {u"ci"_s, qint64(4)}}));
    auto s = RunspaceAvailability::fromValue(
        Objects::msObject({{u"SetMinMaxRunspacesResponse"_s, u"x"_s}, {u"ci"_s, qint64(4)}}));
    EXPECT_FALSE(s.ok());
}

TEST(Payloads, ErrorRecordAccessorsAndOriginalKept)
{
    ObjectPtr ex = PsObject::create();
    ex->typeNames = {u"System.IO.IOException"_s, u"System.Object"_s};
    ex->adaptedProperties = {{u"Message"_s, u"disk full"_s}};
    ObjectPtr r = PsObject::create();
    r->typeNames = {u"System.Management.Automation.ErrorRecord"_s, u"System.Object"_s};
    r->toString = u"disk full"_s;
    r->extendedProperties = {{u"Exception"_s, Value(ex)},
                             {u"FullyQualifiedErrorId"_s, u"IOFail"_s},
                             {u"ErrorCategory_Category"_s, qint32(8)},
                             {u"ErrorCategory_Message"_s, u"WriteError: (:) [], IOException"_s},
                             {u"ErrorDetails_ScriptStackTrace"_s, u"at <ScriptBlock>"_s},
                             {u"Extra"_s, u"kept"_s}};
    auto e = ErrorRecord::fromValue(Value(r));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->message, u"disk full"_s);
    EXPECT_EQ(e->exceptionType, u"System.IO.IOException"_s);
    EXPECT_EQ(e->category, 8);
    EXPECT_EQ(e->errorDetailsScriptStackTrace, u"at <ScriptBlock>"_s);
    EXPECT_FALSE(e->errorDetailsMessage);
    EXPECT_EQ(e->toValue().objectPtr(), r); // the same object, nothing dropped

    auto notRecord = ErrorRecord::fromValue(Objects::msObject({{u"X"_s, 1}}));
    ASSERT_FALSE(notRecord.ok());
    EXPECT_EQ(notRecord.error().code, ErrorCode::MissingProperty);
}

TEST(Payloads, ProgressAndInformationRecords)
{
    ProgressRecord p;
    p.activity = u"act"_s;
    p.activityId = 2;
    p.statusDescription = u"desc"_s;
    p.type = ProgressRecordType::Completed;
    const Value v = p.toValue();
    EXPECT_EQ(msNames(v), (QStringList{u"Activity"_s, u"ActivityId"_s, u"StatusDescription"_s, u"CurrentOperation"_s,
                                        u"ParentActivityId"_s, u"PercentComplete"_s, u"Type"_s, u"SecondsRemaining"_s}));
    auto back = ProgressRecord::fromValue(v);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->type, ProgressRecordType::Completed);
    EXPECT_EQ(back->parentActivityId, -1);
    EXPECT_FALSE(back->currentOperation);

    InformationRecord i;
    i.messageData = u"hello"_s;
    i.tags = {u"a"_s};
    i.processId = 42;
    auto ib = InformationRecord::fromValue(i.toValue());
    ASSERT_TRUE(ib.ok());
    EXPECT_EQ(ib->messageData, Value(u"hello"_s));
    EXPECT_EQ(ib->tags, QStringList{u"a"_s});
    EXPECT_EQ(ib->processId, 42u);
    EXPECT_EQ(*obj(i.toValue()).property(u"ProcessId"), Value(quint32(42)));
}

TEST(Payloads, DecodeDispatchesByMessageType)
{
    const Value warning = InformationalRecord{u"careful"_s, false, nullptr}.toValue(u"System.Management.Automation.WarningRecord"_s);
    auto p = decodePayload(MessageType::WarningRecord, warning);
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE(std::holds_alternative<WarningRecord>(*p));
    EXPECT_EQ(std::get<WarningRecord>(*p).message, u"careful"_s);
    EXPECT_EQ(messageTypeOf(*p), MessageType::WarningRecord);

    auto v = decodePayload(MessageType::VerboseRecord, warning);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(messageTypeOf(*v), MessageType::VerboseRecord);

    auto end = decodePayload(MessageType::EndOfPipelineInput, Value());
    ASSERT_TRUE(end.ok());
    EXPECT_TRUE(encodePayload(*end).isNull());
    EXPECT_TRUE(encodePayloadData(*end).isEmpty());

    HostCall call{VoidCallId, HostMethodId::WriteLine2, {u"x"_s}};
    auto hc = decodePayload(MessageType::RunspacePoolHostCall, call.toValue());
    ASSERT_TRUE(hc.ok());
    EXPECT_EQ(messageTypeOf(*hc), MessageType::RunspacePoolHostCall);
    EXPECT_EQ(encodePayload(*hc), call.toValue());

    auto bad = decodePayload(MessageType::PipelineState, Value(u"text"_s));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidValue);
}

TEST(Payloads, SmallPoolMessages)
{
    EXPECT_EQ((SetMaxRunspaces{5, 1}.toValue()), Objects::msObject({{u"MaxRunspaces"_s, qint32(5)}, {u"ci"_s, qint64(1)}}));
    auto m = SetMinRunspaces::fromValue(Objects::msObject({{u"MinRunspaces"_s, qint32(2)}, {u"ci"_s, qint64(9)}}));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->count, 2);
    EXPECT_EQ(m->callId, 9);
    EXPECT_EQ(ConnectRunspacePool{}.toValue(), Value(QString()));
    auto c = ConnectRunspacePool::fromValue(Value(QString()));
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(c->minRunspaces);
    auto key = PublicKey::fromValue(PublicKey{QByteArrayLiteral("\x06\x02\x00\x00")}.toValue());
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->blob, QByteArrayLiteral("\x06\x02\x00\x00"));
    auto badKey = PublicKey::fromValue(Objects::msObject({{u"PublicKey"_s, u"!!!"_s}}));
    ASSERT_FALSE(badKey.ok());
    EXPECT_EQ(badKey.error().code, ErrorCode::InvalidValue);

    GetCommandMetadata g;
    g.names = {u"Out-Default"_s, u"Exit-PSSession"_s};
    g.commandType = CommandTypes(15);
    const Value gv = g.toValue();
    EXPECT_EQ(obj(gv).property(u"CommandType")->object()->toString, u"Alias, Function, Filter, Cmdlet"_s);
    auto gb = GetCommandMetadata::fromValue(gv);
    ASSERT_TRUE(gb.ok());
    EXPECT_EQ(gb->names, g.names);
    EXPECT_EQ(gb->commandType, CommandTypes(15));
    EXPECT_FALSE(gb->namespaces);
}
