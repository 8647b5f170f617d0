#include "psrp/Value.h"

#include "psrp/Clixml.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace Psrp;

TEST(Value, KindsFollowTheVariantOrder)
{
    EXPECT_EQ(Value().kind(), Value::Kind::Null);
    EXPECT_EQ(Value(QStringLiteral("x")).kind(), Value::Kind::String);
    EXPECT_EQ(Value(qint32(1)).kind(), Value::Kind::Int32);
    EXPECT_EQ(Value(quint8(1)).kind(), Value::Kind::UnsignedByte);
    EXPECT_EQ(Value(qint8(1)).kind(), Value::Kind::SignedByte);
    EXPECT_EQ(Value(Char{u'a'}).kind(), Value::Kind::Char);
    EXPECT_EQ(Value(QUuid::createUuid()).kind(), Value::Kind::Guid);
    EXPECT_EQ(Value(PsObject::create()).kind(), Value::Kind::Object);
    EXPECT_EQ(Value(RawElement{}).kind(), Value::Kind::Raw);
}

TEST(Value, IntegerReaderAcceptsEveryWidthAndEnums)
{
    EXPECT_EQ(Value(qint16(-5)).toInteger(), -5);
    EXPECT_EQ(Value(quint32(7)).toInteger(), 7);
    EXPECT_FALSE(Value(quint64(~0ULL)).toInteger().has_value());
    auto e = PsObject::create();
    e->typeNames = {QStringLiteral("System.ConsoleColor"), QStringLiteral("System.Enum")};
    e->toString = QStringLiteral("Gray");
    e->baseValue = Value(qint32(7));
    EXPECT_EQ(Value(e).toInteger(), 7);
    EXPECT_FALSE(Value(QStringLiteral("7")).toInteger().has_value());
}

TEST(Value, EqualityIsStructural)
{
    EXPECT_EQ(Value(Decimal{QStringLiteral("1.50")}), Value(Decimal{QStringLiteral("1.5")}));
    EXPECT_NE(Value(Decimal{QStringLiteral("1.5")}), Value(Decimal{QStringLiteral("-1.5")}));
    EXPECT_EQ(Value(std::nan("")), Value(std::nan("")));
    EXPECT_NE(Value(qint32(1)), Value(qint64(1)));

    auto a = PsObject::create();
    a->setProperty(QStringLiteral("A"), qint32(1));
    a->setProperty(QStringLiteral("B"), QStringLiteral("b"));
    auto b = PsObject::create();
    b->setProperty(QStringLiteral("B"), QStringLiteral("b"));
    b->setProperty(QStringLiteral("A"), qint32(1));
    EXPECT_EQ(Value(a), Value(b)); // member order is free
    b->setProperty(QStringLiteral("A"), qint32(2));
    EXPECT_NE(Value(a), Value(b));
}

TEST(Value, PropertyLookupPrefersExtendedThenAdapted)
{
    PsObject o;
    o.adaptedProperties.append({QStringLiteral("Name"), QStringLiteral("adapted")});
    EXPECT_EQ(o.property(u"Name")->toString(), QStringLiteral("adapted"));
    o.setProperty(QStringLiteral("Name"), QStringLiteral("extended"));
    EXPECT_EQ(o.property(u"Name")->toString(), QStringLiteral("extended"));
    EXPECT_EQ(o.property(u"Missing"), nullptr);
}

TEST(Value, PropertiesWithTheSameNameMatchAsAMultiset)
{
    auto a = PsObject::create();
    a->extendedProperties = {{QString(), qint32(1)}, {QString(), qint32(2)}};
    auto b = PsObject::create();
    b->extendedProperties = {{QString(), qint32(2)}, {QString(), qint32(1)}};
    EXPECT_EQ(Value(a), Value(b));
    b->extendedProperties = {{QString(), qint32(1)}, {QString(), qint32(1)}};
    EXPECT_NE(Value(a), Value(b));
}

namespace {

// Object i has two members, "a" defining object i+1 and "b" a <Ref> to it: `levels` objects,
// 2^levels paths from the root.
QByteArray doublingRefs(int levels, const char *leaf)
{
    QByteArray inner = QByteArray("<S N=\"a\">") + leaf + "</S>";
    for (int i = levels; i > 0; --i) {
        const QByteArray id = QByteArray::number(i);
        inner = "<Obj N=\"a\" RefId=\"" + id + "\"><MS>" + inner + "</MS></Obj><Ref N=\"b\" RefId=\"" + id + "\" />";
    }
    return "<Obj RefId=\"0\"><MS>" + inner + "</MS></Obj>";
}

} // namespace

TEST(Value, EqualityOnSharedRefGraphsIsLinear)
{
    // Without memoising compared object pairs this walks 2^60 paths and never returns.
    auto one = Clixml::deserialize(doublingRefs(60, "leaf"));
    auto two = Clixml::deserialize(doublingRefs(60, "leaf"));
    auto other = Clixml::deserialize(doublingRefs(60, "LEAF"));
    ASSERT_TRUE(one.ok()) << one.error().detail.toStdString();
    ASSERT_TRUE(two.ok() && other.ok());
    ASSERT_NE(one->object(), two->object());
    EXPECT_TRUE(*one == *two);
    EXPECT_FALSE(*one == *other);
    EXPECT_TRUE(one->object()->equals(*two->object()));
    EXPECT_FALSE(two->object()->equals(*other->object()));
}

TEST(Value, EqualityMemoDoesNotHideDifferences)
{
    // The same pair of objects compared twice: once equal, and a sibling pair that differs.
    auto shared = PsObject::create();
    shared->setProperty(QStringLiteral("x"), Value(qint32(1)));
    auto same = PsObject::create();
    same->setProperty(QStringLiteral("x"), Value(qint32(1)));
    auto differs = PsObject::create();
    differs->setProperty(QStringLiteral("x"), Value(qint32(2)));
    auto a = PsObject::create();
    a->items = {Value(shared), Value(shared), Value(shared)};
    auto b = PsObject::create();
    b->items = {Value(same), Value(same), Value(differs)};
    EXPECT_FALSE(Value(a) == Value(b));
    b->items[2] = Value(same);
    EXPECT_TRUE(Value(a) == Value(b));
}

TEST(Value, PropertyLookupFallsBackToIgnoringCase)
{
    PsObject o;
    o.setProperty(QStringLiteral("CI"), qint64(7));
    o.adaptedProperties.append({QStringLiteral("name"), QStringLiteral("adapted")});
    ASSERT_NE(o.property(u"ci"), nullptr); // PowerShell's member lookup ignores case
    EXPECT_EQ(o.property(u"ci")->toInteger(), 7);
    EXPECT_EQ(o.property(u"NAME")->toString(), QStringLiteral("adapted"));
    EXPECT_EQ(o.property(u"c"), nullptr);
    // An exact match wins over an earlier member that only matches without case.
    o.setProperty(QStringLiteral("ci"), qint64(8));
    EXPECT_EQ(o.property(u"ci")->toInteger(), 8);
    EXPECT_EQ(o.property(u"CI")->toInteger(), 7);
    o.setProperty(QStringLiteral("Name"), QStringLiteral("extended"));
    EXPECT_EQ(o.property(u"name")->toString(), QStringLiteral("adapted")); // exact, though adapted
}
