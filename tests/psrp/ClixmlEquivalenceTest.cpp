#include "ClixmlEquivalence.h"

#include <gtest/gtest.h>

using TestSupport::clixmlDifference;

namespace {

const char *Base = "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T>"
                   "<T>System.Object</T></TN><ToString>x</ToString><MS><S N=\"Name\">a_x000A_b</S>"
                   "<I32 N=\"Count\">3</I32><Db N=\"Ratio\">1.5</Db><DT N=\"When\">2020-01-01T00:00:00.5Z</DT>"
                   "<TS N=\"Took\">PT1M</TS><D N=\"Money\">1.50</D><Obj N=\"Child\" RefId=\"1\"><TNRef RefId=\"0\" />"
                   "<LST><I32>1</I32><I32>2</I32></LST></Obj><Ref N=\"Again\" RefId=\"1\" /></MS></Obj>";

std::string diff(const char *expected, const std::string &actual)
{
    return clixmlDifference(QByteArrayView(expected), QByteArrayView(actual.data(), qsizetype(actual.size())))
        .value_or(QString())
        .toStdString();
}

std::string replaced(std::string s, const std::string &from, const std::string &to)
{
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
        s.replace(at, from.size(), to);
    return s;
}

} // namespace

TEST(ClixmlEquivalence, IdenticalAndAllowedDifferencesAreEquivalent)
{
    EXPECT_EQ(diff(Base, Base), "");
    EXPECT_EQ(diff(Base, std::string("\xEF\xBB\xBF") + Base), "");
    // Member order inside MS is free.
    EXPECT_EQ(diff(Base, replaced(replaced(Base, "<S N=\"Name\">a_x000A_b</S>", ""), "<I32 N=\"Count\">",
                                  "<S N=\"Name\">a_x000A_b</S><I32 N=\"Count\">")),
              "");
    // Values by value.
    EXPECT_EQ(diff(Base, replaced(Base, ">1.5</Db>", ">1.50E0</Db>")), "");
    EXPECT_EQ(diff(Base, replaced(Base, "00:00:00.5Z", "00:00:00.5000000Z")), "");
    EXPECT_EQ(diff(Base, replaced(Base, "PT1M", "PT60S")), "");
    EXPECT_EQ(diff(Base, replaced(Base, "1.50</D>", "1.5</D>")), "");
    // Deserialized. prefix on either side.
    EXPECT_EQ(diff(Base, replaced(Base, "<T>System.Management", "<T>Deserialized.System.Management")), "");
    // RefIds renumbered, a Ref expanded into a copy of its object, a TNRef expanded.
    std::string renumbered = replaced(replaced(Base, "N=\"Child\" RefId=\"1\"", "N=\"Child\" RefId=\"9\""),
                                      "<Ref N=\"Again\" RefId=\"1\" />", "<Ref N=\"Again\" RefId=\"9\" />");
    EXPECT_EQ(diff(Base, renumbered), "");
    EXPECT_EQ(diff(Base, replaced(Base, "<Ref N=\"Again\" RefId=\"1\" />",
                                  "<Obj N=\"Again\" RefId=\"5\"><TNRef RefId=\"0\" /><LST><I32>1</I32><I32>2</I32></LST></Obj>")),
              "");
    EXPECT_EQ(diff(Base, replaced(Base, "<TNRef RefId=\"0\" />",
                                  "<TN RefId=\"3\"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN>")),
              "");
}

TEST(ClixmlEquivalence, DetectsDifferences)
{
    EXPECT_NE(diff(Base, replaced(Base, ">3</I32>", ">4</I32>")).find("Count"), std::string::npos);
    EXPECT_NE(diff(Base, replaced(Base, "<I32 N=\"Count\">3</I32>", "")).find("missing"), std::string::npos);
    EXPECT_NE(diff(Base, replaced(Base, "</MS>", "<B N=\"Extra\">true</B></MS>")).find("Extra"), std::string::npos);
    EXPECT_NE(diff(Base, replaced(Base, "<T>System.Object</T></TN>", "<T>System.ValueType</T></TN>")).find("type names"),
              std::string::npos);
    // Escaping is compared as raw text: a real newline is not _x000A_.
    EXPECT_NE(diff(Base, replaced(Base, "a_x000A_b", "a&#10;b")).find("value differs"), std::string::npos);
    EXPECT_NE(diff(Base, replaced(Base, "a_x000A_b", "a_x000a_b")), "");
    EXPECT_NE(diff(Base, replaced(Base, "N=\"Name\"", "N=\"name\"")), "");
    EXPECT_NE(diff(Base, replaced(Base, "<I32 N=\"Count\">3</I32>", "<I64 N=\"Count\">3</I64>")), "");
    EXPECT_NE(diff(Base, replaced(Base, "00:00:00.5Z", "00:00:00.5+00:00")), "");
    EXPECT_NE(diff(Base, replaced(Base, "PT1M", "PT61S")), "");
    EXPECT_NE(diff(Base, replaced(Base, ">1.5</Db>", ">1.25</Db>")), "");
    EXPECT_NE(diff(Base, replaced(Base, "<ToString>x</ToString>", "<ToString>y</ToString>")), "");
    EXPECT_NE(diff(Base, replaced(Base, "<I32>2</I32></LST>", "</LST>")).find("count"), std::string::npos);
    EXPECT_NE(diff(Base, replaced(Base, "<I32>1</I32><I32>2</I32>", "<I32>2</I32><I32>1</I32>")), "");
    EXPECT_NE(diff(Base, replaced(Base, "<Ref N=\"Again\" RefId=\"1\" />", "<Ref N=\"Again\" RefId=\"0\" />")), "");
    EXPECT_NE(diff(Base, replaced(Base, "<Ref N=\"Again\" RefId=\"1\" />", "<Ref N=\"Again\" RefId=\"7\" />")).find("names no"),
              std::string::npos);
    EXPECT_NE(diff(Base, replaced(Base, "<LST>", "<IE>") ).find("well-formed"), std::string::npos);
    EXPECT_NE(diff(Base, "<Obj RefId=\"0\">"), "");
}
