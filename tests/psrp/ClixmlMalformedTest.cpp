#include "psrp/Clixml.h"

#include <QRandomGenerator>

#include <gtest/gtest.h>

using namespace Psrp;
using namespace Qt::Literals::StringLiterals;

namespace {

ErrorCode errorOf(QByteArrayView xml, const Clixml::DeserializeOptions &options = {})
{
    auto r = Clixml::deserialize(xml, options);
    EXPECT_FALSE(r.ok()) << std::string(xml.data(), size_t(xml.size())) << " was accepted";
    return r.ok() ? ErrorCode::Unsupported : r.error().code;
}

} // namespace

TEST(ClixmlMalformed, NotWellFormed)
{
    for (const char *xml : {"", "   ", "<S>abc", "<S>abc</", "<S>abc</T>", "<S>abc</S", "<Obj RefId=\"0\"><MS></Obj>",
                            "<Obj RefId=\"0\"><MS>", "<S N=\"a>x</S>", "<S N=a>x</S>", "<S N=\"a\" N=\"b\">x</S>",
                            "<S>a</S><S>b</S>", "text", "<S>a</S>trailing", "<S>&bogus;</S>", "<S>&amp</S>",
                            "<S>&#xZZ;</S>", "<S>&#0;</S>", "<S>&#x110000;</S>", "<S>\x01</S>", "<S>\xC3</S>",
                            "<S>\xC0\xAF</S>", "<S>\xED\xA0\x80</S>", "<S>\xFF</S>", "<S><!-- x </S>",
                            "<S><![CDATA[x</S>", "<1S>x</1S>", "<S/ >", "<!DOCTYPE x><S>a</S>",
                            "<Obj RefId=\"0\">stray</Obj>", "<Obj RefId=\"0\"><LST><S>a</S>b</LST></Obj>",
                            "<S><I32>1</I32></S>", "<Obj RefId=\"0\"><TN RefId=\"0\"><X /></TN></Obj>",
                            "<Obj RefId=\"0\"><DCT><En><S N=\"Key\">a</S></En></DCT></Obj>",
                            "<Obj RefId=\"0\"><DCT><X /></DCT></Obj>", "<Obj RefId=\"0\"><MS /><MS /></Obj>",
                            "<Obj RefId=\"0\"><I32>1</I32><I32>2</I32></Obj>", "<Nil>x</Nil>",
                            "<Obj RefId=\"0\" /><Obj RefId=\"0\" />", "<Unknown><a></b></Unknown>"}) {
        EXPECT_EQ(errorOf(QByteArrayView(xml)), ErrorCode::InvalidXml) << xml;
    }
    EXPECT_EQ(errorOf(QByteArrayView("<S>a\0b</S>", 10)), ErrorCode::InvalidXml);
}

TEST(ClixmlMalformed, BadPrimitiveValues)
{
    for (const char *xml :
         {"<I32>x</I32>", "<I32></I32>", "<I32>2147483648</I32>", "<I32>-2147483649</I32>", "<By>256</By>",
          "<By>-1</By>", "<SB>128</SB>", "<U16>65536</U16>", "<I16>-32769</I16>", "<U32>4294967296</U32>",
          "<U64>18446744073709551616</U64>", "<I64>9223372036854775808</I64>", "<I64>99999999999999999999999</I64>",
          "<I32>1.5</I32>", "<I32>0x10</I32>", "<C>65536</C>", "<C>a</C>", "<B>yes</B>", "<B />", "<Db>abc</Db>",
          "<Db>1.2.3</Db>", "<Db>inf</Db>", "<Db>0x1p3</Db>", "<Db>1e</Db>", "<Sg>nan</Sg>", "<D>1,5</D>", "<D>e5</D>", "<D>1E5</D>",
          "<DT>2020-13-01T00:00:00</DT>", "<DT>2021-02-29T00:00:00</DT>", "<DT>2020-01-01</DT>",
          "<DT>2020-01-01T24:00:00</DT>", "<DT>2020-01-01T00:00:00+15:00</DT>", "<DT>2020-01-01T00:00:00.</DT>",
          "<DT>0000-01-01T00:00:00</DT>", "<TS>P</TS>", "<TS>PT</TS>", "<TS>1D</TS>", "<TS>P1H</TS>",
          "<TS>PT1D</TS>", "<TS>P1.5D</TS>", "<TS>PT1S1M</TS>", "<TS>P10675200D</TS>",
          "<TS>P99999999999999999999D</TS>", "<BA>abc</BA>", "<BA>ab=c</BA>", "<BA>a===</BA>", "<BA>a!bc</BA>",
          "<SS>%%%%</SS>", "<G>not-a-guid</G>", "<G>792e5b37-4505-47ef-b7d2-8711bb7affaX</G>"}) {
        EXPECT_EQ(errorOf(QByteArrayView(xml)), ErrorCode::InvalidValue) << xml;
    }
}

TEST(ClixmlMalformed, References)
{
    EXPECT_EQ(errorOf("<Obj RefId=\"0\"><MS><Ref N=\"a\" RefId=\"7\" /></MS></Obj>"), ErrorCode::UnknownRefId);
    EXPECT_EQ(errorOf("<Obj RefId=\"0\"><TNRef RefId=\"0\" /></Obj>"), ErrorCode::UnknownRefId);
    EXPECT_EQ(errorOf("<Ref RefId=\"0\" />"), ErrorCode::UnknownRefId);
    // A Ref to an enclosing object would make the graph cyclic.
    EXPECT_EQ(errorOf("<Obj RefId=\"0\"><MS><Ref N=\"self\" RefId=\"0\" /></MS></Obj>"), ErrorCode::InvalidXml);
    EXPECT_EQ(errorOf("<Obj RefId=\"0\"><LST><Obj RefId=\"1\"><MS><Ref N=\"up\" RefId=\"0\" /></MS></Obj></LST></Obj>"),
              ErrorCode::InvalidXml);
    EXPECT_EQ(errorOf("<Obj RefId=\"0\"><LST><Obj RefId=\"0\" /></LST></Obj>"), ErrorCode::InvalidXml);
    EXPECT_EQ(errorOf("<Obj RefId=\"0\"><MS><Ref N=\"a\" /></MS></Obj>"), ErrorCode::InvalidXml);
    // A Ref to a sibling already closed is fine.
    auto ok = Clixml::deserialize("<Obj RefId=\"0\"><LST><Obj RefId=\"1\" /><Ref RefId=\"1\" /></LST></Obj>");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->object()->items[0].objectPtr(), ok->object()->items[1].objectPtr());
}

TEST(ClixmlMalformed, AbsurdNestingIsRefusedWithoutStackOverflow)
{
    const int levels = 100000;
    QByteArray viaLists;
    for (int i = 0; i < levels; ++i)
        viaLists += "<Obj RefId=\"" + QByteArray::number(i) + "\"><LST>";
    EXPECT_EQ(errorOf(viaLists), ErrorCode::NestingTooDeep);
    EXPECT_EQ(errorOf(QByteArray("<Obj>").repeated(levels)), ErrorCode::NestingTooDeep);
    EXPECT_EQ(errorOf(QByteArray("<Obj><MS>").repeated(levels)), ErrorCode::NestingTooDeep);
    // Unknown elements are skipped iteratively and bounded too.
    EXPECT_EQ(errorOf(QByteArray("<PR>").repeated(levels)), ErrorCode::NestingTooDeep);

    // Exactly at the limit is accepted, one more level is not.
    Clixml::DeserializeOptions options;
    options.maxDepth = 5;
    auto nest = [](int n) {
        QByteArray x;
        for (int i = 0; i < n; ++i)
            x += "<Obj RefId=\"" + QByteArray::number(i) + "\"><LST>";
        for (int i = 0; i < n; ++i)
            x += "</LST></Obj>";
        return x;
    };
    EXPECT_TRUE(Clixml::deserialize(nest(5), options).ok());
    EXPECT_EQ(errorOf(nest(6), options), ErrorCode::NestingTooDeep);
}

TEST(ClixmlMalformed, SizeLimitAndClaimedSizes)
{
    Clixml::DeserializeOptions options;
    options.maxInputSize = 10;
    EXPECT_EQ(errorOf("<S>0123456789</S>", options), ErrorCode::LimitExceeded);

    // Sizes the input merely claims are never honoured. A huge RefId is only a name: an object
    // defined under it can be referenced (by a sibling, not an ancestor)...
    auto big = Clixml::deserialize("<Obj RefId=\"0\"><MS><Obj N=\"a\" RefId=\"4294967295000\" />"
                                   "<Ref N=\"b\" RefId=\"4294967295000\" /></MS></Obj>");
    ASSERT_TRUE(big.ok()) << big.error().detail.toStdString();
    ASSERT_NE(big->object()->property(u"a"), nullptr);
    ASSERT_NE(big->object()->property(u"b"), nullptr);
    EXPECT_EQ(big->object()->property(u"a")->object(), big->object()->property(u"b")->object());
    // ...and a huge one never defined is an unknown name, not an index.
    auto unknown = Clixml::deserialize("<Obj RefId=\"0\"><MS><Ref N=\"b\" RefId=\"99999999999999999999\" /></MS></Obj>");
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::UnknownRefId);
    EXPECT_TRUE(unknown.error().detail.contains(u"99999999999999999999"_s)) << unknown.error().detail.toStdString();

    // A character reference claiming a huge code point is refused while its digits are read
    // (2^32: no 32-bit wrap-around to a valid one)...
    auto ref = Clixml::deserialize("<S>&#4294967362;</S>");
    ASSERT_FALSE(ref.ok());
    EXPECT_EQ(ref.error().code, ErrorCode::InvalidXml);
    EXPECT_TRUE(ref.error().detail.contains(u"invalid character reference"_s)) << ref.error().detail.toStdString();
    // ...and an endless one is not scanned to its end.
    ref = Clixml::deserialize(QByteArray("<S>&#" + QByteArray(100000, '9') + ";</S>"));
    ASSERT_FALSE(ref.ok());
    EXPECT_EQ(ref.error().code, ErrorCode::InvalidXml);
    EXPECT_TRUE(ref.error().detail.contains(u"unterminated entity reference at byte 3"_s)) << ref.error().detail.toStdString();

    // <BA> has no length field: its size is that of the base64 actually present.
    auto bytes = Clixml::deserialize("<BA>////</BA>");
    ASSERT_TRUE(bytes.ok());
    ASSERT_NE(bytes->get<QByteArray>(), nullptr);
    EXPECT_EQ(*bytes->get<QByteArray>(), QByteArray(3, '\xFF'));
    auto cut = Clixml::deserialize("<BA>///</BA>");
    ASSERT_FALSE(cut.ok());
    EXPECT_EQ(cut.error().code, ErrorCode::InvalidValue);
    EXPECT_TRUE(cut.error().detail.contains(u"BA"_s)) << cut.error().detail.toStdString();
}

TEST(ClixmlMalformed, TooManyAttributesIsInvalidXml)
{
    auto attributes = [](int n) -> QByteArray {
        QByteArray out;
        for (int i = 0; i < n; ++i)
            out += " a" + QByteArray::number(i) + "=\"x\"";
        return out;
    };
    EXPECT_TRUE(Clixml::deserialize(QByteArray("<S" + attributes(16) + ">x</S>")).ok());
    const QList<QByteArray> refused{"<S" + attributes(17) + ">x</S>",
                                    // inside an unknown element, which is only skipped
                                    "<Obj RefId=\"0\"><LST><Unknown><x" + attributes(17) + " /></Unknown></LST></Obj>",
                                    "<Unknown" + attributes(40000) + " />"};
    for (const QByteArray &xml : refused) {
        auto r = Clixml::deserialize(xml);
        ASSERT_FALSE(r.ok()) << xml.left(80).toStdString();
        EXPECT_EQ(r.error().code, ErrorCode::InvalidXml);
        EXPECT_TRUE(r.error().detail.contains(u"attributes"_s)) << r.error().detail.toStdString();
    }
}

TEST(ClixmlMalformed, NodeBudgetIsLimitExceeded)
{
    EXPECT_EQ(Clixml::DeserializeOptions{}.maxNodes, 2'000'000);
    Clixml::DeserializeOptions options;
    options.maxNodes = 10;
    auto list = [](int items) -> QByteArray {
        QByteArray x = "<Obj RefId=\"0\"><LST>";
        for (int i = 0; i < items; ++i)
            x += "<Obj RefId=\"" + QByteArray::number(i + 1) + "\" />";
        return x + "</LST></Obj>";
    };
    EXPECT_TRUE(Clixml::deserialize(list(9), options).ok()); // 10 values
    auto r = Clixml::deserialize(list(10), options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);
    EXPECT_TRUE(r.error().detail.contains(u"10"_s)) << r.error().detail.toStdString();
    // The default budget refuses a flood of empty objects long before its tree outgrows memory.
    QByteArray flood = "<Obj RefId=\"r\"><LST>";
    flood.reserve(2'000'010 * 8);
    for (int i = 0; i < 2'000'000; ++i)
        flood += "<Obj />";
    flood += "</LST></Obj>";
    r = Clixml::deserialize(flood);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);
}

TEST(ClixmlMalformed, MutatedInputsNeverCrash)
{
    const QByteArray seed =
        "\xEF\xBB\xBF<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Collections.Hashtable</T><T>System.Object</T></TN>"
        "<ToString>x_x000A_y</ToString><DCT><En><S N=\"Key\">a&amp;b</S><Obj N=\"Value\" RefId=\"1\"><TNRef RefId=\"0\" />"
        "<LST><I32>1</I32><Db>1.5E+10</Db><DT>2020-01-01T00:00:00Z</DT><TS>PT1S</TS><BA>AAEC</BA><Ref RefId=\"1\" />"
        "</LST></Obj></En></DCT><MS><G N=\"g\">792e5b37-4505-47ef-b7d2-8711bb7affa8</G><PR><AV>x</AV></PR>"
        "<S N=\"e\"><![CDATA[c]]>&#x41;</S></MS></Obj>";
    ASSERT_FALSE(Clixml::deserialize(seed).ok()); // the inner Ref points at its own ancestor
    QByteArray valid = seed;
    valid.replace("<Ref RefId=\"1\" />", "<Nil />");
    ASSERT_TRUE(Clixml::deserialize(valid).ok()) << Clixml::deserialize(valid).error().detail.toStdString();

    QRandomGenerator rng(12345);
    int accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        QByteArray m = valid;
        const int edits = 1 + int(rng.bounded(4));
        for (int e = 0; e < edits && !m.isEmpty(); ++e) {
            const qsizetype at = rng.bounded(int(m.size()));
            switch (rng.bounded(4)) {
            case 0: m[at] = char(rng.bounded(256)); break;
            case 1: m.remove(at, 1 + rng.bounded(8)); break;
            case 2: m.insert(at, "<>&;\"/_x"[rng.bounded(8)]); break;
            default: m.truncate(at); break;
            }
        }
        auto r = Clixml::deserialize(m);
        if (r.ok()) {
            ++accepted;
            // Whatever is accepted serializes to text that parses back to the same text.
            const QByteArray once = Clixml::serialize(*r);
            auto again = Clixml::deserialize(once);
            ASSERT_TRUE(again.ok()) << m.toStdString();
            EXPECT_EQ(Clixml::serialize(*again), once) << m.toStdString();
        } else {
            EXPECT_FALSE(r.error().detail.isEmpty());
        }
    }
    EXPECT_LT(accepted, 20000);
    // Pure garbage.
    for (int round = 0; round < 2000; ++round) {
        QByteArray g(1 + rng.bounded(200), Qt::Uninitialized);
        for (char &c : g)
            c = char(rng.bounded(256));
        if (round % 2)
            g.prepend("<Obj RefId=\"0\"><MS>");
        EXPECT_FALSE(Clixml::deserialize(g).ok());
    }
}
