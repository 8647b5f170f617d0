#include "psrp/HostMethod.h"

#include "psrp/ObjectBuilders.h"
#include "psrp/Payloads.h"

#include <gtest/gtest.h>

using namespace Psrp;
using namespace Qt::Literals::StringLiterals;

TEST(HostMethod, NamesAndIdsMapBothWays)
{
    EXPECT_EQ(hostMethodName(HostMethodId::GetName), u"GetName"_s);
    EXPECT_EQ(hostMethodName(HostMethodId::ReadLine), u"ReadLine"_s);
    EXPECT_EQ(hostMethodName(HostMethodId::PopRunspace), u"PopRunspace"_s);
    EXPECT_EQ(hostMethodName(HostMethodId::PromptForChoiceMultipleSelection), u"PromptForChoiceMultipleSelection"_s);
    EXPECT_TRUE(hostMethodName(HostMethodId(57)).isEmpty());
    for (qint32 i = 1; i <= 56; ++i) {
        const auto id = HostMethodId(i);
        EXPECT_EQ(hostMethodIdFromName(hostMethodName(id)), id) << i;
    }
    EXPECT_FALSE(hostMethodIdFromInt(0));
    EXPECT_FALSE(hostMethodIdFromInt(57));
    EXPECT_FALSE(hostMethodIdFromName(u"Nope"));
}

TEST(HostMethod, ReturnsValueClassification)
{
    EXPECT_TRUE(hostMethodReturnsValue(HostMethodId::ReadLine));
    EXPECT_TRUE(hostMethodReturnsValue(HostMethodId::PromptForCredential2));
    EXPECT_TRUE(hostMethodReturnsValue(HostMethodId::GetBufferSize));
    EXPECT_FALSE(hostMethodReturnsValue(HostMethodId::WriteLine2));
    EXPECT_FALSE(hostMethodReturnsValue(HostMethodId::SetShouldExit));
    EXPECT_FALSE(hostMethodReturnsValue(HostMethodId::PopRunspace));
}

TEST(HostMethod, HostCallShape)
{
    HostCall call{1, HostMethodId::ReadLine, {}};
    const Value v = call.toValue();
    const PsObject *o = v.object();
    ASSERT_TRUE(o);
    ASSERT_EQ(o->extendedProperties.size(), 3);
    EXPECT_EQ(o->extendedProperties[0].name, u"ci"_s);
    EXPECT_EQ(o->extendedProperties[0].value, Value(qint64(1)));
    const PsObject *mi = o->property(u"mi")->object();
    ASSERT_TRUE(mi);
    EXPECT_EQ(mi->typeNames, (QStringList{u"System.Management.Automation.Remoting.RemoteHostMethodId"_s,
                                          u"System.Enum"_s, u"System.ValueType"_s, u"System.Object"_s}));
    EXPECT_EQ(mi->toString, u"ReadLine"_s);
    EXPECT_EQ(*mi->baseValue, Value(qint32(11)));
    const PsObject *mp = o->property(u"mp")->object();
    ASSERT_TRUE(mp);
    EXPECT_EQ(mp->typeNames.first(), u"System.Collections.ArrayList"_s);
    EXPECT_EQ(mp->container, PsObject::Container::List);

    auto back = HostCall::fromValue(v);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->callId, 1);
    EXPECT_EQ(back->methodId, HostMethodId::ReadLine);
    EXPECT_FALSE(back->isVoid());
}

TEST(HostMethod, HostCallRejectsUnknownMethodAndMissingMembers)
{
    Value bad = Objects::msObject({{u"ci"_s, qint64(1)}, {u"mi"_s, Objects::enumObject(u"X"_s, u"X"_s, 99)},
                                   {u"mp"_s, Objects::listObject(Objects::arrayListTypeNames(), {})}});
    auto r = HostCall::fromValue(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidValue);
    auto r2 = HostCall::fromValue(Objects::msObject({{u"ci"_s, qint64(1)}}));
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, ErrorCode::MissingProperty);
    auto r3 = HostCall::fromValue(Value(u"s"_s));
    ASSERT_FALSE(r3.ok());
}

TEST(HostMethod, HostResponseResultOrError)
{
    HostCall call{5, HostMethodId::PromptForChoice, {}};
    const Value answer = HostResponse::answer(call, qint32(1)).toValue();
    auto back = HostResponse::fromValue(answer);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->callId, 5);
    EXPECT_EQ(back->result, Value(qint32(1)));
    EXPECT_FALSE(back->error);

    const Value none = HostResponse::answerVoid(call).toValue();
    EXPECT_EQ(none.object()->extendedProperties.size(), 2);

    const Value failed = HostResponse::failure(call, ErrorRecord::make(u"no"_s, u"HostFailed"_s).toValue()).toValue();
    auto fb = HostResponse::fromValue(failed);
    ASSERT_TRUE(fb.ok());
    ASSERT_TRUE(fb->error);
    auto er = ErrorRecord::fromValue(*fb->error);
    ASSERT_TRUE(er.ok());
    EXPECT_EQ(er->message, u"no"_s);
}

TEST(HostMethod, StructFieldBagsRoundTrip)
{
    Coordinates c{3, 4};
    EXPECT_EQ(c.toValue(), Objects::msObject({{u"x"_s, qint32(3)}, {u"y"_s, qint32(4)}}));
    EXPECT_EQ(*Coordinates::fromValue(c.toValue()), c);
    Size s{80, 25};
    EXPECT_EQ(*Size::fromValue(s.toValue()), s);
    Rectangle r{1, 2, 3, 4};
    EXPECT_EQ(*Rectangle::fromValue(r.toValue()), r);
    BufferCell cell{u'A', 9, 1, BufferCellType::Leading};
    EXPECT_EQ(*BufferCell::fromValue(cell.toValue()), cell);
    EXPECT_EQ(*cell.toValue().object()->property(u"character"), Value(Char{u'A'}));
    KeyInfo k{13, u'\r', 0, true};
    EXPECT_EQ(*KeyInfo::fromValue(k.toValue()), k);

    auto missing = Size::fromValue(Objects::msObject({{u"width"_s, qint32(1)}}));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::MissingProperty);
}

TEST(HostMethod, MultiDimensionalBufferCellArray)
{
    BufferCellArray a{2, 3, {}};
    for (int i = 0; i < 6; ++i)
        a.cells.append(BufferCell{char16_t(u'a' + i), 7, 0, BufferCellType::Complete});
    const Value v = a.toValue();
    const PsObject *o = v.object();
    ASSERT_TRUE(o && o->property(u"mae") && o->property(u"mal"));
    EXPECT_EQ(o->property(u"mal")->object()->items, (QList<Value>{qint32(2), qint32(3)}));
    auto back = BufferCellArray::fromValue(v);
    ASSERT_TRUE(back.ok()) << back.error().detail.toStdString();
    EXPECT_EQ(back->cells, a.cells);

    // A length product that does not match the element count is refused, not trusted.
    Value lying = Objects::msObject({{u"mae"_s, *o->property(u"mae")},
                                     {u"mal"_s, Objects::listObject(Objects::arrayListTypeNames(), {qint32(100000), qint32(100000)})}});
    auto r = BufferCellArray::fromValue(lying);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidValue);
}

TEST(HostMethod, TypedParametersOfCommonCalls)
{
    auto w = writeParams(HostCall{VoidCallId, HostMethodId::Write2, {qint32(9), qint32(15), u"Write2"_s}});
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w->foregroundColor, 9);
    EXPECT_EQ(w->backgroundColor, 15);
    EXPECT_EQ(w->text, u"Write2"_s);
    auto w1 = writeParams(HostCall{VoidCallId, HostMethodId::WriteLine1, {}});
    ASSERT_TRUE(w1.ok());
    EXPECT_TRUE(w1->text.isEmpty());
    auto wBad = writeParams(HostCall{VoidCallId, HostMethodId::WriteLine2, {qint32(1)}});
    ASSERT_FALSE(wBad.ok());
    EXPECT_EQ(wBad.error().code, ErrorCode::InvalidValue);
    auto wMissing = writeParams(HostCall{VoidCallId, HostMethodId::WriteLine3, {qint32(1)}});
    ASSERT_FALSE(wMissing.ok());
    EXPECT_EQ(wMissing.error().code, ErrorCode::MissingProperty);

    FieldDescription f;
    f.name = u"pw"_s;
    f.parameterTypeFullName = u"System.Security.SecureString"_s;
    HostCall prompt{3, HostMethodId::Prompt,
                    {u"cap"_s, u"msg"_s, Objects::listObject(Objects::arrayListTypeNames(), {f.toValue()})}};
    auto pp = promptParams(prompt);
    ASSERT_TRUE(pp.ok()) << pp.error().detail.toStdString();
    ASSERT_EQ(pp->fields.size(), 1);
    EXPECT_TRUE(pp->fields[0].isSecureString());

    HostCall choice{5, HostMethodId::PromptForChoice,
                    {u"c"_s, u"m"_s,
                     Objects::listObject(Objects::arrayListTypeNames(), {ChoiceDescription{u"&Yes"_s, u"h"_s}.toValue()}),
                     qint32(0)}};
    auto cp = promptForChoiceParams(choice);
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->choices[0].label, u"&Yes"_s);
    EXPECT_EQ(cp->defaultChoices, QList<qint32>{0});

    HostCall cred{4, HostMethodId::PromptForCredential2, {u"c"_s, u"m"_s, u"u"_s, u"t"_s, qint32(3), qint32(1)}};
    auto cr = promptForCredentialParams(cred);
    ASSERT_TRUE(cr.ok());
    EXPECT_EQ(cr->userName, u"u"_s);
    EXPECT_EQ(cr->options, 1);
}

TEST(HostMethod, ReturnValueShapes)
{
    PSCredential c{u"user"_s, SecureString{QByteArrayLiteral("abc")}};
    const Value v = c.toValue();
    EXPECT_EQ(v.object()->typeNames.first(), u"System.Management.Automation.PSCredential"_s);
    EXPECT_EQ(v.object()->adaptedProperties.size(), 2); // <Props>, as PowerShell writes it
    auto back = PSCredential::fromValue(v);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->password.bytes, QByteArrayLiteral("abc"));

    const Value h = promptResult({{u"field"_s, u"answer"_s}});
    ASSERT_TRUE(h.object());
    EXPECT_EQ(h.object()->typeNames.first(), u"System.Collections.Hashtable"_s);
    EXPECT_EQ(*h.object()->entry(u"field"), Value(u"answer"_s));

    auto typed = decodeTypedElement(encodeTypedElement(u"System.Int32"_s, qint32(4)));
    ASSERT_TRUE(typed.ok());
    EXPECT_EQ(*typed, Value(qint32(4)));
}

TEST(HostMethod, WriteProgressParameters)
{
    ProgressRecord p;
    p.activity = u"a"_s;
    auto r = writeProgressParams(HostCall{VoidCallId, HostMethodId::WriteProgress, {qint64(1), p.toValue()}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->first, 1);
    EXPECT_EQ(r->second.activity, u"a"_s);
    auto bad = writeProgressParams(HostCall{VoidCallId, HostMethodId::WriteProgress, {qint64(1)}});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::MissingProperty);
}
