#include "psrp/Clixml.h"

#include <QHash>
#include <QVarLengthArray>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace Psrp::Clixml {

namespace {

using uchar8 = unsigned char;

constexpr qint64 TicksPerSecond = 10'000'000;
constexpr qint64 TicksPerMinute = 60 * TicksPerSecond;
constexpr qint64 TicksPerHour = 60 * TicksPerMinute;
constexpr qint64 TicksPerDay = 24 * TicksPerHour;
// .NET DateTime.MaxValue.Ticks (9999-12-31T23:59:59.9999999).
constexpr qint64 MaxDateTimeTicks = 3'155'378'975'999'999'999;

int hexValue(char32_t c)
{
    if (c >= '0' && c <= '9')
        return int(c - '0');
    if (c >= 'a' && c <= 'f')
        return int(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return int(c - 'A' + 10);
    return -1;
}

bool isXmlSpace(uchar8 c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool isNameStart(uchar8 c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

bool isNameChar(uchar8 c)
{
    return isNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// XML 1.0 Char production. U+FFFE/U+FFFF are let through: PowerShell writes with
// CheckCharacters=false and EncodeString does not escape them.
bool isXmlChar(char32_t c)
{
    if (c < 0x20)
        return c == 0x9 || c == 0xA || c == 0xD;
    if (c >= 0xD800 && c <= 0xDFFF)
        return false;
    return c <= 0x10FFFF;
}

void appendCodePoint(char16_t *&out, char32_t c)
{
    if (c >= 0x10000) {
        c -= 0x10000;
        *out++ = char16_t(0xD800 + (c >> 10));
        *out++ = char16_t(0xDC00 + (c & 0x3FF));
    } else {
        *out++ = char16_t(c);
    }
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. `p` is at a lead byte
// >= 0x80; on success it moves past the sequence.
bool decodeUtf8(const uchar8 *&p, const uchar8 *end, char32_t &cp)
{
    const uchar8 b0 = *p;
    int extra;
    char32_t min;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        extra = 1;
        cp = b0 & 0x1F;
        min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        extra = 2;
        cp = b0 & 0x0F;
        min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        extra = 3;
        cp = b0 & 0x07;
        min = 0x10000;
    } else {
        return false;
    }
    if (end - p <= extra)
        return false;
    for (int i = 1; i <= extra; ++i) {
        const uchar8 b = p[i];
        if ((b & 0xC0) != 0x80)
            return false;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
    p += extra + 1;
    return true;
}

enum class Tag {
    S, C, B, DT, TS, By, SB, U16, I16, U32, I32, U64, I64, Sg, Db, D, BA, G, URI, Version,
    SemanticVersion, XD, SBK, SS, Nil, Obj, Ref, Unknown
};

Tag classify(QByteArrayView n)
{
    const char *d = n.data();
    switch (n.size()) {
    case 1:
        switch (d[0]) {
        case 'S': return Tag::S;
        case 'C': return Tag::C;
        case 'B': return Tag::B;
        case 'D': return Tag::D;
        case 'G': return Tag::G;
        default: return Tag::Unknown;
        }
    case 2:
        if (n == "DT") return Tag::DT;
        if (n == "TS") return Tag::TS;
        if (n == "By") return Tag::By;
        if (n == "SB") return Tag::SB;
        if (n == "Sg") return Tag::Sg;
        if (n == "Db") return Tag::Db;
        if (n == "BA") return Tag::BA;
        if (n == "XD") return Tag::XD;
        if (n == "SS") return Tag::SS;
        return Tag::Unknown;
    case 3:
        if (n == "I32") return Tag::I32;
        if (n == "Obj") return Tag::Obj;
        if (n == "Nil") return Tag::Nil;
        if (n == "I64") return Tag::I64;
        if (n == "Ref") return Tag::Ref;
        if (n == "U32") return Tag::U32;
        if (n == "U16") return Tag::U16;
        if (n == "I16") return Tag::I16;
        if (n == "U64") return Tag::U64;
        if (n == "URI") return Tag::URI;
        if (n == "SBK") return Tag::SBK;
        return Tag::Unknown;
    case 7:
        return n == "Version" ? Tag::Version : Tag::Unknown;
    case 15:
        return n == "SemanticVersion" ? Tag::SemanticVersion : Tag::Unknown;
    default:
        return Tag::Unknown;
    }
}

QByteArrayView trimmed(QByteArrayView v)
{
    qsizetype b = 0;
    qsizetype e = v.size();
    while (b < e && isXmlSpace(uchar8(v[b])))
        ++b;
    while (e > b && isXmlSpace(uchar8(v[e - 1])))
        --e;
    return v.sliced(b, e - b);
}

// XmlConvert.ToInt32 & co.: optional surrounding whitespace, optional sign, decimal digits.
template <typename T>
bool parseInteger(QByteArrayView raw, T &out)
{
    const QByteArrayView v = trimmed(raw);
    qsizetype i = 0;
    bool negative = false;
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) {
        negative = v[i] == '-';
        ++i;
    }
    if (i == v.size())
        return false;
    using U = std::make_unsigned_t<T>;
    const U limit = negative ? U(U(std::numeric_limits<T>::max()) + U(std::is_signed_v<T> ? 1 : 0))
                             : U(std::numeric_limits<T>::max());
    if (negative && !std::is_signed_v<T>) {
        // "-0" is the only negative an unsigned type accepts.
        for (; i < v.size(); ++i)
            if (v[i] != '0')
                return false;
        out = 0;
        return true;
    }
    U acc = 0;
    for (; i < v.size(); ++i) {
        const char c = v[i];
        if (c < '0' || c > '9')
            return false;
        const U digit = U(c - '0');
        if (acc > (limit - digit) / 10)
            return false;
        acc = U(acc * 10 + digit);
    }
    if constexpr (std::is_signed_v<T>)
        out = negative ? T(-qint64(acc - 1) - 1) : T(acc);
    else
        out = T(acc);
    return true;
}

template <typename F>
bool parseFloating(QByteArrayView raw, F &out)
{
    const QByteArrayView v = trimmed(raw);
    if (v == "INF" || v == "Infinity") {
        out = std::numeric_limits<F>::infinity();
        return true;
    }
    if (v == "-INF" || v == "-Infinity") {
        out = -std::numeric_limits<F>::infinity();
        return true;
    }
    if (v == "NaN") {
        out = std::numeric_limits<F>::quiet_NaN();
        return true;
    }
    // Digits, one optional point, optional exponent: no hex, no "inf"/"nan" spellings.
    qsizetype i = 0;
    const qsizetype n = v.size();
    bool negative = false;
    if (i < n && (v[i] == '-' || v[i] == '+')) {
        negative = v[i] == '-';
        ++i;
    }
    const qsizetype mantissaStart = i;
    qsizetype digits = 0;
    while (i < n && v[i] >= '0' && v[i] <= '9')
        ++i, ++digits;
    if (i < n && v[i] == '.') {
        ++i;
        while (i < n && v[i] >= '0' && v[i] <= '9')
            ++i, ++digits;
    }
    if (digits == 0)
        return false;
    bool negativeExponent = false;
    if (i < n && (v[i] == 'e' || v[i] == 'E')) {
        ++i;
        if (i < n && (v[i] == '-' || v[i] == '+'))
            negativeExponent = v[i++] == '-';
        qsizetype expDigits = 0;
        while (i < n && v[i] >= '0' && v[i] <= '9')
            ++i, ++expDigits;
        if (expDigits == 0)
            return false;
    }
    if (i != n)
        return false;
    F value{};
    const char *b = v.data() + mantissaStart;
    const auto r = std::from_chars(b, v.data() + n, value);
    if (r.ec == std::errc::result_out_of_range) {
        // .NET Core saturates instead of failing.
        value = negativeExponent ? F(0) : std::numeric_limits<F>::infinity();
    } else if (r.ec != std::errc() || r.ptr != v.data() + n) {
        return false;
    }
    out = negative ? -value : value;
    return true;
}

bool validDecimalText(QByteArrayView raw)
{
    const QByteArrayView v = trimmed(raw);
    qsizetype i = 0;
    if (i < v.size() && (v[i] == '-' || v[i] == '+'))
        ++i;
    qsizetype digits = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9')
        ++i, ++digits;
    if (i < v.size() && v[i] == '.') {
        ++i;
        while (i < v.size() && v[i] >= '0' && v[i] <= '9')
            ++i, ++digits;
    }
    // XmlConvert.ToDecimal allows no exponent.
    return digits > 0 && i == v.size();
}

qint64 daysBeforeYear(qint64 y) // days from 0001-01-01 to y-01-01
{
    const qint64 p = y - 1;
    return p * 365 + p / 4 - p / 100 + p / 400;
}

bool isLeap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m)
{
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : days[m - 1];
}

bool fixedDigits(QByteArrayView v, qsizetype at, int count, int &out)
{
    if (at + count > v.size())
        return false;
    int acc = 0;
    for (int i = 0; i < count; ++i) {
        const char c = v[at + i];
        if (c < '0' || c > '9')
            return false;
        acc = acc * 10 + (c - '0');
    }
    out = acc;
    return true;
}

// MS-PSRP 2.2.5.1.4: xs:dateTime as XmlConvert writes it with RoundtripKind.
bool parseDateTime(QByteArrayView raw, DateTime &out)
{
    const QByteArrayView v = trimmed(raw);
    int y, mo, d, h, mi, s;
    if (!fixedDigits(v, 0, 4, y) || v.size() < 19 || v[4] != '-' || !fixedDigits(v, 5, 2, mo)
        || v[7] != '-' || !fixedDigits(v, 8, 2, d) || v[10] != 'T' || !fixedDigits(v, 11, 2, h)
        || v[13] != ':' || !fixedDigits(v, 14, 2, mi) || v[16] != ':' || !fixedDigits(v, 17, 2, s))
        return false;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59)
        return false;
    qsizetype i = 19;
    qint64 fraction = 0;
    if (i < v.size() && v[i] == '.') {
        ++i;
        int n = 0;
        while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
            if (n < 7)
                fraction = fraction * 10 + (v[i] - '0');
            ++n, ++i;
        }
        if (n == 0)
            return false;
        for (; n < 7; ++n)
            fraction *= 10;
    }
    qint64 days = daysBeforeYear(y);
    for (int m = 1; m < mo; ++m)
        days += daysInMonth(y, m);
    days += d - 1;
    out = DateTime{};
    out.ticks = days * TicksPerDay + h * TicksPerHour + mi * TicksPerMinute + s * TicksPerSecond + fraction;
    if (i == v.size())
        return true;
    if (v[i] == 'Z' && i + 1 == v.size()) {
        out.kind = DateTime::Kind::Utc;
        return true;
    }
    int oh, om;
    if ((v[i] != '+' && v[i] != '-') || i + 6 != v.size() || !fixedDigits(v, i + 1, 2, oh)
        || v[i + 3] != ':' || !fixedDigits(v, i + 4, 2, om) || oh > 14 || om > 59)
        return false;
    out.kind = DateTime::Kind::Local;
    out.offsetMinutes = (v[i] == '-' ? -1 : 1) * (oh * 60 + om);
    return true;
}

// MS-PSRP 2.2.5.1.5: xs:duration, XmlConvert.ToTimeSpan semantics (Y = 365 days, M = 30 days).
bool parseDuration(QByteArrayView raw, Duration &out)
{
    const QByteArrayView v = trimmed(raw);
    qsizetype i = 0;
    const bool negative = i < v.size() && v[i] == '-';
    if (negative)
        ++i;
    if (i >= v.size() || v[i] != 'P')
        return false;
    ++i;
    // Accumulate in unsigned 128-bit-free form: every step checks against the TimeSpan range.
    const quint64 limit = negative ? quint64(std::numeric_limits<qint64>::max()) + 1
                                   : quint64(std::numeric_limits<qint64>::max());
    quint64 total = 0;
    bool inTime = false;
    bool any = false;
    int lastRank = -1; // enforces the order Y M D T H M S
    auto add = [&](quint64 count, quint64 unit) {
        if (count != 0 && unit > limit / count)
            return false;
        const quint64 part = count * unit;
        if (part > limit - total)
            return false;
        total += part;
        return true;
    };
    while (i < v.size()) {
        if (v[i] == 'T') {
            if (inTime)
                return false;
            inTime = true;
            ++i;
            if (i == v.size())
                return false;
            continue;
        }
        quint64 number = 0;
        qsizetype digits = 0;
        while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
            if (number > (std::numeric_limits<quint64>::max() - 9) / 10)
                return false;
            number = number * 10 + quint64(v[i] - '0');
            ++i, ++digits;
        }
        quint64 fractionTicks = 0;
        bool hasFraction = false;
        if (i < v.size() && v[i] == '.') {
            hasFraction = true;
            ++i;
            int n = 0;
            while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
                if (n < 7)
                    fractionTicks = fractionTicks * 10 + quint64(v[i] - '0');
                ++n, ++i;
            }
            if (n == 0)
                return false;
            for (; n < 7; ++n)
                fractionTicks *= 10;
        }
        if (digits == 0 || i >= v.size())
            return false;
        const char unit = v[i++];
        int rank;
        quint64 ticks;
        if (!inTime && unit == 'Y') {
            rank = 0, ticks = 365 * quint64(TicksPerDay);
        } else if (!inTime && unit == 'M') {
            rank = 1, ticks = 30 * quint64(TicksPerDay);
        } else if (!inTime && unit == 'D') {
            rank = 2, ticks = quint64(TicksPerDay);
        } else if (inTime && unit == 'H') {
            rank = 3, ticks = quint64(TicksPerHour);
        } else if (inTime && unit == 'M') {
            rank = 4, ticks = quint64(TicksPerMinute);
        } else if (inTime && unit == 'S') {
            rank = 5, ticks = quint64(TicksPerSecond);
        } else {
            return false;
        }
        if (rank <= lastRank || (hasFraction && rank != 5))
            return false;
        lastRank = rank;
        if (!add(number, ticks) || !add(fractionTicks, 1))
            return false;
        any = true;
    }
    if (!any)
        return false;
    out.ticks = negative ? qint64(0 - total) : qint64(total);
    return true;
}

bool decodeBase64(QByteArrayView raw, QByteArray &out)
{
    out.clear();
    out.reserve(raw.size() / 4 * 3 + 3);
    quint32 acc = 0;
    int bits = 0;
    int symbols = 0;
    int padding = 0;
    for (const char ch : raw) {
        const uchar8 c = uchar8(ch);
        if (isXmlSpace(c))
            continue;
        int val;
        if (c >= 'A' && c <= 'Z')
            val = c - 'A';
        else if (c >= 'a' && c <= 'z')
            val = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            val = c - '0' + 52;
        else if (c == '+')
            val = 62;
        else if (c == '/')
            val = 63;
        else if (c == '=') {
            ++padding;
            ++symbols;
            if (padding > 2)
                return false;
            continue;
        } else
            return false;
        if (padding)
            return false; // data after '='
        ++symbols;
        acc = (acc << 6) | quint32(val);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.append(char((acc >> bits) & 0xFF));
        }
    }
    // Like Convert.FromBase64String: whole quanta only; non-zero pad bits are tolerated.
    return symbols % 4 == 0;
}

bool parseGuid(QByteArrayView raw, QUuid &out)
{
    QByteArrayView v = trimmed(raw);
    if (v.size() == 38 && v.front() == '{' && v.back() == '}')
        v = v.sliced(1, 36);
    if (v.size() != 36)
        return false;
    for (qsizetype i = 0; i < 36; ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? v[i] != '-' : hexValue(char32_t(uchar8(v[i]))) < 0)
            return false;
    }
    out = QUuid::fromString(QLatin1StringView(v.data(), v.size()));
    return true;
}

// One attribute of a start tag, as spans of the input (decoded on demand).
struct Attr {
    QByteArrayView name;
    const uchar8 *begin = nullptr;
    const uchar8 *end = nullptr;
    bool simple = true; // no entity, no whitespace to normalize, ASCII only
};

// A parsed start tag; views into the input, valid while the Reader runs.
struct StartTag {
    const uchar8 *begin = nullptr; // the '<'
    QByteArrayView name;
    bool empty = false;
    QVarLengthArray<Attr, 4> attrs;

    const Attr *find(QByteArrayView n) const
    {
        for (const Attr &a : attrs)
            if (a.name == n)
                return &a;
        return nullptr;
    }
};

// A strict pull parser for the XML subset CLIXML uses (elements, attributes, character and
// entity references, CDATA, comments, PIs; no DTD), building Values directly from UTF-8 bytes.
// Lives for one deserialize() call; the input must outlive it.
class Reader {
public:
    Reader(QByteArrayView input, const DeserializeOptions &options)
        : m_begin(reinterpret_cast<const uchar8 *>(input.data())),
          m_p(m_begin), m_end(m_begin + input.size()),
          m_maxDepth(std::clamp(options.maxDepth, 1, 1000)), m_maxNodes(options.maxNodes)
    {
    }

    Result<Value> run();

private:
    struct ObjectEntry {
        ObjectPtr object;
        bool open = true;
    };

    bool fail(ErrorCode code, const QString &what)
    {
        if (!m_failed) {
            m_failed = true;
            m_error = makeError(code, what + u" at byte "_s + QString::number(m_p - m_begin));
        }
        return false;
    }
    bool failXml(const char *what) { return fail(ErrorCode::InvalidXml, QString::fromLatin1(what)); }

    // Where an element holds only child elements: skips white space, comments and PIs, and says
    // whether a child start tag or the element's own end tag comes next. Text and the end of
    // input are errors (`endOfInput` names the element for the message).
    enum class Next { Child, End, Failed };
    Next nextChild(const char *endOfInput)
    {
        if (!skipMisc())
            return Next::Failed;
        if (m_p >= m_end) {
            failXml(endOfInput);
            return Next::Failed;
        }
        if (*m_p != '<') {
            failXml("text where an element was expected");
            return Next::Failed;
        }
        return m_end - m_p >= 2 && m_p[1] == '/' ? Next::End : Next::Child;
    }

    bool at(const char *literal) const
    {
        const size_t n = std::strlen(literal);
        return size_t(m_end - m_p) >= n && std::memcmp(m_p, literal, n) == 0;
    }

    bool skipComment();
    bool skipPi();
    bool skipMisc();
    bool scanName(const uchar8 *&p);
    bool readStartTag(StartTag &tag);
    bool readEndTag(QByteArrayView name);
    bool decodeEntity(const uchar8 *&p, char32_t &cp);
    bool appendText(QString &out, const uchar8 *b, const uchar8 *e, bool attribute);
    bool readText(const StartTag &tag, QString &out);
    bool readRaw(const StartTag &tag, QByteArrayView &raw, QByteArray &storage);
    bool attrValue(const Attr &a, QString &out);
    bool skipElement(const StartTag &tag);
    bool expectEmpty(const StartTag &tag);

    bool parseValue(const StartTag &tag, int depth, Value &out);
    bool parsePrimitive(Tag kind, const StartTag &tag, Value &out);
    bool parseObject(const StartTag &tag, int depth, Value &out);
    bool parseTypeNames(const StartTag &tag, QStringList &out);
    bool parseItems(const StartTag &tag, int depth, QList<Value> &out);
    bool parseEntries(const StartTag &tag, int depth, QList<DictionaryEntry> &out);
    bool parseProperties(const StartTag &tag, int depth, QList<Property> &out);
    bool parseRef(const StartTag &tag, Value &out);
    bool refIdOf(const StartTag &tag, QString &out, bool required);

    const uchar8 *m_begin;
    const uchar8 *m_p;
    const uchar8 *m_end;
    int m_maxDepth;
    qsizetype m_maxNodes;
    qsizetype m_nodesLeft = m_maxNodes;
    bool m_failed = false;
    Error m_error{ErrorCode::InvalidXml, {}};
    QHash<QString, ObjectEntry> m_objects;
    QHash<QString, QStringList> m_typeNames;
};

bool Reader::skipComment()
{
    // at "<!--"
    const uchar8 *p = m_p + 4;
    while (true) {
        p = static_cast<const uchar8 *>(std::memchr(p, '-', size_t(m_end - p)));
        if (!p || m_end - p < 3)
            return failXml("unterminated comment");
        if (p[1] == '-') {
            if (p[2] != '>')
                return failXml("'--' inside a comment");
            m_p = p + 3;
            return true;
        }
        ++p;
    }
}

bool Reader::skipPi()
{
    // at "<?"
    const uchar8 *p = m_p + 2;
    if (p >= m_end || !isNameStart(*p))
        return failXml("processing instruction without a target");
    while (true) {
        p = static_cast<const uchar8 *>(std::memchr(p, '?', size_t(m_end - p)));
        if (!p || m_end - p < 2)
            return failXml("unterminated processing instruction");
        if (p[1] == '>') {
            m_p = p + 2;
            return true;
        }
        ++p;
    }
}

// Whitespace, comments and PIs between elements.
bool Reader::skipMisc()
{
    while (m_p < m_end) {
        if (isXmlSpace(*m_p)) {
            ++m_p;
        } else if (*m_p == '<' && m_end - m_p >= 2 && m_p[1] == '?') {
            if (!skipPi())
                return false;
        } else if (at("<!--")) {
            if (!skipComment())
                return false;
        } else {
            return true;
        }
    }
    return true;
}

bool Reader::readStartTag(StartTag &tag)
{
    // at '<', not "</", "<!" or "<?"
    tag.begin = m_p;
    tag.attrs.clear();
    const uchar8 *p = m_p + 1;
    if (p >= m_end || !isNameStart(*p)) {
        m_p = p;
        return failXml("invalid element name");
    }
    const uchar8 *nameBegin = p;
    if (!scanName(p))
        return false;
    tag.name = QByteArrayView(reinterpret_cast<const char *>(nameBegin), p - nameBegin);
    while (true) {
        const uchar8 *beforeSpace = p;
        while (p < m_end && isXmlSpace(*p))
            ++p;
        if (p >= m_end) {
            m_p = p;
            return failXml("unterminated start tag");
        }
        if (*p == '>') {
            tag.empty = false;
            m_p = p + 1;
            return true;
        }
        if (*p == '/') {
            if (p + 1 >= m_end || p[1] != '>') {
                m_p = p;
                return failXml("'/' not followed by '>' in a start tag");
            }
            tag.empty = true;
            m_p = p + 2;
            return true;
        }
        if (p == beforeSpace || !isNameStart(*p)) {
            m_p = p;
            return failXml("malformed attribute");
        }
        Attr a;
        const uchar8 *an = p;
        if (!scanName(p))
            return false;
        a.name = QByteArrayView(reinterpret_cast<const char *>(an), p - an);
        while (p < m_end && isXmlSpace(*p))
            ++p;
        if (p >= m_end || *p != '=') {
            m_p = p;
            return failXml("attribute without '='");
        }
        ++p;
        while (p < m_end && isXmlSpace(*p))
            ++p;
        if (p >= m_end || (*p != '"' && *p != '\'')) {
            m_p = p;
            return failXml("attribute value not quoted");
        }
        const uchar8 quote = *p++;
        a.begin = p;
        while (p < m_end && *p != quote) {
            const uchar8 c = *p;
            if (c == '<') {
                m_p = p;
                return failXml("'<' in an attribute value");
            }
            if (c == '&' || c >= 0x80 || c < 0x20)
                a.simple = false;
            ++p;
        }
        if (p >= m_end) {
            m_p = p;
            return failXml("unterminated attribute value");
        }
        a.end = p++;
        // Bounds the duplicate check below, which is quadratic in the attribute count.
        if (tag.attrs.size() >= MaxAttributesPerElement) {
            m_p = p;
            return fail(ErrorCode::InvalidXml, u"element with more than "_s
                                                   + QString::number(MaxAttributesPerElement) + u" attributes"_s);
        }
        if (tag.find(a.name)) {
            m_p = p;
            return failXml("duplicate attribute");
        }
        tag.attrs.append(a);
    }
}

// Moves `p` past a name whose first byte is known to be a name-start byte; non-ASCII names must
// be valid UTF-8.
bool Reader::scanName(const uchar8 *&p)
{
    while (p < m_end && isNameChar(*p)) {
        if (*p < 0x80) {
            ++p;
            continue;
        }
        char32_t cp = 0;
        if (!decodeUtf8(p, m_end, cp)) {
            m_p = p;
            return failXml("invalid UTF-8 in a name");
        }
    }
    return true;
}

bool Reader::readEndTag(QByteArrayView name)
{
    // at "</"
    const uchar8 *p = m_p + 2;
    if (m_end - p < name.size() || std::memcmp(p, name.data(), size_t(name.size())) != 0) {
        m_p = p;
        return failXml("mismatched end tag");
    }
    p += name.size();
    if (p < m_end && isNameChar(*p)) {
        m_p = p;
        return failXml("mismatched end tag");
    }
    while (p < m_end && isXmlSpace(*p))
        ++p;
    if (p >= m_end || *p != '>') {
        m_p = p;
        return failXml("malformed end tag");
    }
    m_p = p + 1;
    return true;
}

bool Reader::decodeEntity(const uchar8 *&p, char32_t &cp)
{
    // at '&'
    const uchar8 *semi = nullptr;
    for (const uchar8 *q = p + 1; q < m_end && q - p <= 12; ++q) {
        if (*q == ';') {
            semi = q;
            break;
        }
    }
    if (!semi) {
        m_p = p;
        return failXml("unterminated entity reference");
    }
    const QByteArrayView name(reinterpret_cast<const char *>(p + 1), semi - p - 1);
    if (name == "lt")
        cp = '<';
    else if (name == "gt")
        cp = '>';
    else if (name == "amp")
        cp = '&';
    else if (name == "quot")
        cp = '"';
    else if (name == "apos")
        cp = '\'';
    else if (name.size() >= 2 && name[0] == '#') {
        char32_t v = 0;
        const bool hex = name[1] == 'x';
        qsizetype i = hex ? 2 : 1;
        if (i == name.size()) {
            m_p = p;
            return failXml("empty character reference");
        }
        for (; i < name.size(); ++i) {
            const int d = hex ? hexValue(char32_t(uchar8(name[i])))
                              : (name[i] >= '0' && name[i] <= '9' ? name[i] - '0' : -1);
            if (d < 0 || v > 0x10FFFF) {
                m_p = p;
                return failXml("invalid character reference");
            }
            v = v * (hex ? 16 : 10) + char32_t(d);
        }
        if (!isXmlChar(v)) {
            m_p = p;
            return failXml("character reference to a non-XML character");
        }
        cp = v;
    } else {
        m_p = p;
        return failXml("unknown entity");
    }
    p = semi + 1;
    return true;
}

// Appends the character data [b, e) decoded (UTF-8, references, line ends; attribute values
// also get whitespace normalized). `b..e` must not contain markup.
bool Reader::appendText(QString &out, const uchar8 *b, const uchar8 *e, bool attribute)
{
    const qsizetype old = out.size();
    out.resize(old + (e - b));
    char16_t *w = reinterpret_cast<char16_t *>(out.data()) + old;
    const uchar8 *p = b;
    while (p < e) {
        const uchar8 c = *p;
        if (c >= 0x20 && c < 0x80 && c != '&') {
            *w++ = c;
            ++p;
            continue;
        }
        char32_t cp = 0;
        if (c >= 0x80) {
            if (!decodeUtf8(p, e, cp)) {
                m_p = p;
                return failXml("invalid UTF-8");
            }
            appendCodePoint(w, cp);
        } else if (c == '&') {
            if (!decodeEntity(p, cp))
                return false;
            // A referenced character is never normalized.
            appendCodePoint(w, cp);
        } else if (c == '\r') {
            ++p;
            if (p < e && *p == '\n')
                ++p;
            *w++ = attribute ? u' ' : u'\n';
        } else if (c == '\n' || c == '\t') {
            ++p;
            *w++ = attribute ? u' ' : char16_t(c);
        } else {
            m_p = p;
            return failXml("control character in text");
        }
    }
    out.resize(w - reinterpret_cast<char16_t *>(out.data()));
    return true;
}

bool Reader::attrValue(const Attr &a, QString &out)
{
    if (a.simple) {
        out = QString::fromLatin1(reinterpret_cast<const char *>(a.begin), a.end - a.begin);
        return true;
    }
    out.clear();
    return appendText(out, a.begin, a.end, true);
}

// Text content of a simple element (no child elements), consuming its end tag.
bool Reader::readText(const StartTag &tag, QString &out)
{
    out.clear();
    if (tag.empty)
        return true;
    while (true) {
        const uchar8 *lt = static_cast<const uchar8 *>(std::memchr(m_p, '<', size_t(m_end - m_p)));
        if (!lt) {
            m_p = m_end;
            return failXml("unexpected end of input in text");
        }
        if (lt != m_p && !appendText(out, m_p, lt, false))
            return false;
        m_p = lt;
        if (m_end - m_p >= 2 && m_p[1] == '/')
            return readEndTag(tag.name);
        if (at("<![CDATA[")) {
            const uchar8 *b = m_p + 9;
            const uchar8 *p = b;
            while (true) {
                p = static_cast<const uchar8 *>(std::memchr(p, ']', size_t(m_end - p)));
                if (!p || m_end - p < 3)
                    return failXml("unterminated CDATA section");
                if (p[1] == ']' && p[2] == '>')
                    break;
                ++p;
            }
            // CDATA content: no references, but UTF-8 and line ends still apply.
            const qsizetype old = out.size();
            out.resize(old + (p - b));
            char16_t *w = reinterpret_cast<char16_t *>(out.data()) + old;
            for (const uchar8 *q = b; q < p;) {
                char32_t cp = *q;
                if (cp >= 0x80) {
                    if (!decodeUtf8(q, p, cp)) {
                        m_p = q;
                        return failXml("invalid UTF-8");
                    }
                } else {
                    if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') {
                        m_p = q;
                        return failXml("control character in CDATA");
                    }
                    ++q;
                    if (cp == '\r') {
                        cp = '\n';
                        if (q < p && *q == '\n')
                            ++q;
                    }
                }
                appendCodePoint(w, cp);
            }
            out.resize(w - reinterpret_cast<char16_t *>(out.data()));
            m_p = p + 3;
        } else if (at("<!--")) {
            if (!skipComment())
                return false;
        } else if (m_end - m_p >= 2 && m_p[1] == '?') {
            if (!skipPi())
                return false;
        } else {
            return failXml("element where text was expected");
        }
    }
}

// The raw text bytes of a simple element, consuming its end tag. Plain ASCII content is
// returned in place; anything needing decoding goes through `storage`.
bool Reader::readRaw(const StartTag &tag, QByteArrayView &raw, QByteArray &storage)
{
    if (tag.empty) {
        raw = {};
        return true;
    }
    const uchar8 *b = m_p;
    const uchar8 *lt = static_cast<const uchar8 *>(std::memchr(m_p, '<', size_t(m_end - m_p)));
    if (lt && m_end - lt >= 2 && lt[1] == '/') {
        bool plain = true;
        for (const uchar8 *q = b; q < lt; ++q) {
            if (*q == '&' || *q >= 0x80 || (*q < 0x20 && !isXmlSpace(*q))) {
                plain = false;
                break;
            }
        }
        if (plain) {
            m_p = lt;
            if (!readEndTag(tag.name))
                return false;
            raw = QByteArrayView(reinterpret_cast<const char *>(b), lt - b);
            return true;
        }
    }
    QString text;
    if (!readText(tag, text))
        return false;
    storage = text.toUtf8();
    raw = storage;
    return true;
}

bool Reader::expectEmpty(const StartTag &tag)
{
    if (tag.empty)
        return true;
    if (!skipMisc())
        return false;
    if (m_end - m_p >= 2 && m_p[0] == '<' && m_p[1] == '/')
        return readEndTag(tag.name);
    return failXml("content in an element that must be empty");
}

// Skips a whole element (already past its start tag), checking well-formedness iteratively.
bool Reader::skipElement(const StartTag &tag)
{
    if (tag.empty)
        return true;
    QVarLengthArray<QByteArrayView, 16> open;
    open.append(tag.name);
    QString scratch;
    StartTag child;
    while (!open.isEmpty()) {
        const uchar8 *lt = static_cast<const uchar8 *>(std::memchr(m_p, '<', size_t(m_end - m_p)));
        if (!lt) {
            m_p = m_end;
            return failXml("unexpected end of input inside an element");
        }
        scratch.clear();
        if (lt != m_p && !appendText(scratch, m_p, lt, false))
            return false;
        m_p = lt;
        if (m_end - m_p >= 2 && m_p[1] == '/') {
            if (!readEndTag(open.back()))
                return false;
            open.removeLast();
        } else if (at("<!--")) {
            if (!skipComment())
                return false;
        } else if (m_end - m_p >= 2 && m_p[1] == '?') {
            if (!skipPi())
                return false;
        } else if (at("<![CDATA[")) {
            {
                const uchar8 *p = m_p + 9;
                while (true) {
                    p = static_cast<const uchar8 *>(std::memchr(p, ']', size_t(m_end - p)));
                    if (!p || m_end - p < 3)
                        return failXml("unterminated CDATA section");
                    if (p[1] == ']' && p[2] == '>')
                        break;
                    ++p;
                }
                m_p = p + 3;
            }
        } else {
            if (!readStartTag(child))
                return false;
            if (!child.empty) {
                if (open.size() >= m_maxDepth)
                    return fail(ErrorCode::NestingTooDeep, u"element nesting deeper than "_s + QString::number(m_maxDepth));
                open.append(child.name);
            }
        }
    }
    return true;
}

bool Reader::refIdOf(const StartTag &tag, QString &out, bool required)
{
    const Attr *a = tag.find("RefId");
    if (!a) {
        out.clear();
        return !required || failXml("RefId attribute missing");
    }
    return attrValue(*a, out);
}

Result<Value> Reader::run()
{
    if (m_end - m_p >= 3 && m_p[0] == 0xEF && m_p[1] == 0xBB && m_p[2] == 0xBF)
        m_p += 3;
    Value result;
    bool ok = skipMisc();
    if (ok) {
        if (m_p >= m_end)
            ok = failXml("no root element");
        else if (*m_p != '<' || (m_end - m_p >= 2 && (m_p[1] == '/' || m_p[1] == '!')))
            ok = failXml(at("<!DOCTYPE") ? "DTDs are not supported" : "text where the root element was expected");
    }
    StartTag tag;
    ok = ok && readStartTag(tag) && parseValue(tag, 0, result) && skipMisc();
    if (ok && m_p != m_end)
        ok = failXml("content after the root element");
    if (!ok)
        return m_error;
    return result;
}

bool Reader::parseValue(const StartTag &tag, int depth, Value &out)
{
    if (--m_nodesLeft < 0)
        return fail(ErrorCode::LimitExceeded, u"more than "_s + QString::number(m_maxNodes) + u" values"_s);
    const Tag kind = classify(tag.name);
    switch (kind) {
    case Tag::Obj:
        return parseObject(tag, depth, out);
    case Tag::Ref:
        return parseRef(tag, out);
    case Tag::Nil:
        out = Value();
        return expectEmpty(tag);
    case Tag::Unknown: {
        if (!skipElement(tag))
            return false;
        out = RawElement{QString::fromUtf8(reinterpret_cast<const char *>(tag.begin), m_p - tag.begin)};
        return true;
    }
    default:
        return parsePrimitive(kind, tag, out);
    }
}

bool Reader::parsePrimitive(Tag kind, const StartTag &tag, Value &out)
{
    auto bad = [&](const char *type) {
        return fail(ErrorCode::InvalidValue, u"invalid "_s + QLatin1StringView(type) + u" value"_s);
    };
    auto integer = [&](auto zero, const char *type) {
        QByteArrayView raw;
        QByteArray storage;
        if (!readRaw(tag, raw, storage))
            return false;
        decltype(zero) v{};
        if (!parseInteger(raw, v))
            return bad(type);
        out = v;
        return true;
    };
    auto stringLike = [&](auto wrap) {
        QString text;
        if (!readText(tag, text))
            return false;
        out = wrap(decodeString(text));
        return true;
    };
    switch (kind) {
    case Tag::S:
        return stringLike([](QString s) { return s; });
    case Tag::URI:
        return stringLike([](QString s) { return Uri{std::move(s)}; });
    case Tag::Version:
        return stringLike([](QString s) { return Version{std::move(s)}; });
    case Tag::SemanticVersion:
        return stringLike([](QString s) { return SemanticVersion{std::move(s)}; });
    case Tag::XD:
        return stringLike([](QString s) { return XmlDocument{std::move(s)}; });
    case Tag::SBK:
        return stringLike([](QString s) { return ScriptBlock{std::move(s)}; });
    case Tag::C: {
        QByteArrayView raw;
        QByteArray storage;
        quint16 v = 0;
        if (!readRaw(tag, raw, storage))
            return false;
        if (!parseInteger(raw, v))
            return bad("C");
        out = Char{char16_t(v)};
        return true;
    }
    case Tag::B: {
        QByteArrayView raw;
        QByteArray storage;
        if (!readRaw(tag, raw, storage))
            return false;
        const QByteArrayView v = trimmed(raw);
        if (v == "true" || v == "1")
            out = true;
        else if (v == "false" || v == "0")
            out = false;
        else
            return bad("B");
        return true;
    }
    case Tag::By: return integer(quint8{}, "By");
    case Tag::SB: return integer(qint8{}, "SB");
    case Tag::U16: return integer(quint16{}, "U16");
    case Tag::I16: return integer(qint16{}, "I16");
    case Tag::U32: return integer(quint32{}, "U32");
    case Tag::I32: return integer(qint32{}, "I32");
    case Tag::U64: return integer(quint64{}, "U64");
    case Tag::I64: return integer(qint64{}, "I64");
    case Tag::Sg:
    case Tag::Db:
    case Tag::D:
    case Tag::DT:
    case Tag::TS:
    case Tag::G:
    case Tag::BA:
    case Tag::SS: {
        QByteArrayView raw;
        QByteArray storage;
        if (!readRaw(tag, raw, storage))
            return false;
        switch (kind) {
        case Tag::Sg: {
            float f = 0;
            if (!parseFloating(raw, f))
                return bad("Sg");
            out = f;
            return true;
        }
        case Tag::Db: {
            double d = 0;
            if (!parseFloating(raw, d))
                return bad("Db");
            out = d;
            return true;
        }
        case Tag::D:
            if (!validDecimalText(raw))
                return bad("D");
            out = Decimal{QString::fromLatin1(trimmed(raw))};
            return true;
        case Tag::DT: {
            DateTime dt;
            if (!parseDateTime(raw, dt))
                return bad("DT");
            out = dt;
            return true;
        }
        case Tag::TS: {
            Duration ts;
            if (!parseDuration(raw, ts))
                return bad("TS");
            out = ts;
            return true;
        }
        case Tag::G: {
            QUuid g;
            if (!parseGuid(raw, g))
                return bad("G");
            out = g;
            return true;
        }
        default: {
            QByteArray bytes;
            if (!decodeBase64(raw, bytes))
                return bad(kind == Tag::BA ? "BA" : "SS");
            if (kind == Tag::BA)
                out = bytes;
            else
                out = SecureString{bytes};
            return true;
        }
        }
    }
    default:
        return failXml("not a primitive element");
    }
}

bool Reader::parseRef(const StartTag &tag, Value &out)
{
    QString id;
    if (!refIdOf(tag, id, true))
        return false;
    const auto it = m_objects.constFind(id);
    if (it == m_objects.cend())
        return fail(ErrorCode::UnknownRefId, u"<Ref> to unknown RefId \""_s + id + u'"');
    if (it->open)
        return fail(ErrorCode::InvalidXml, u"<Ref> to RefId \""_s + id + u"\", an enclosing object (cycle)"_s);
    out = it->object;
    return expectEmpty(tag);
}

bool Reader::parseTypeNames(const StartTag &tag, QStringList &out)
{
    out.clear();
    if (tag.empty)
        return true;
    StartTag child;
    QString text;
    while (true) {
        const Next next = nextChild("unexpected end of input in <TN>");
        if (next == Next::Failed)
            return false;
        if (next == Next::End)
            return readEndTag(tag.name);
        if (!readStartTag(child))
            return false;
        if (child.name != "T")
            return failXml("unexpected element in <TN>");
        if (!readText(child, text))
            return false;
        out.append(decodeString(text));
    }
}

bool Reader::parseItems(const StartTag &tag, int depth, QList<Value> &out)
{
    if (tag.empty)
        return true;
    StartTag child;
    while (true) {
        const Next next = nextChild("unexpected end of input in a container");
        if (next == Next::Failed)
            return false;
        if (next == Next::End)
            return readEndTag(tag.name);
        if (!readStartTag(child))
            return false;
        Value v;
        if (!parseValue(child, depth, v))
            return false;
        out.append(std::move(v));
    }
}

bool Reader::parseEntries(const StartTag &tag, int depth, QList<DictionaryEntry> &out)
{
    if (tag.empty)
        return true;
    StartTag en;
    StartTag child;
    QString name;
    while (true) {
        const Next next = nextChild("unexpected end of input in <DCT>");
        if (next == Next::Failed)
            return false;
        if (next == Next::End)
            return readEndTag(tag.name);
        if (!readStartTag(en))
            return false;
        if (en.name != "En")
            return failXml("unexpected element in <DCT>");
        DictionaryEntry entry;
        int seen = 0;
        bool haveKey = false;
        bool haveValue = false;
        while (!en.empty) {
            const Next inEntry = nextChild("unexpected end of input in <En>");
            if (inEntry == Next::Failed)
                return false;
            if (inEntry == Next::End) {
                if (!readEndTag(en.name))
                    return false;
                break;
            }
            if (!readStartTag(child))
                return false;
            Value v;
            if (!parseValue(child, depth, v))
                return false;
            const Attr *n = child.find("N");
            if (n && !attrValue(*n, name))
                return false;
            const bool isKey = n ? name == u"Key" : seen == 0;
            const bool isValue = n ? name == u"Value" : seen == 1;
            if ((isKey && haveKey) || (isValue && haveValue) || (!isKey && !isValue))
                return failXml("<En> needs exactly one Key and one Value");
            (isKey ? entry.key : entry.value) = std::move(v);
            (isKey ? haveKey : haveValue) = true;
            ++seen;
        }
        if (!haveKey || !haveValue)
            return failXml("<En> needs exactly one Key and one Value");
        out.append(std::move(entry));
    }
}

bool Reader::parseProperties(const StartTag &tag, int depth, QList<Property> &out)
{
    if (tag.empty)
        return true;
    StartTag child;
    QString name;
    while (true) {
        const Next next = nextChild("unexpected end of input in a property set");
        if (next == Next::Failed)
            return false;
        if (next == Next::End)
            return readEndTag(tag.name);
        if (!readStartTag(child))
            return false;
        Property prop;
        if (const Attr *n = child.find("N")) {
            if (!attrValue(*n, name))
                return false;
            prop.name = decodeString(name);
        }
        if (!parseValue(child, depth, prop.value))
            return false;
        out.append(std::move(prop));
    }
}

bool Reader::parseObject(const StartTag &tag, int depth, Value &out)
{
    if (depth >= m_maxDepth)
        return fail(ErrorCode::NestingTooDeep, u"object nesting deeper than "_s + QString::number(m_maxDepth));
    ObjectPtr obj = PsObject::create();
    QString id;
    if (!refIdOf(tag, id, false))
        return false;
    if (!id.isNull()) {
        if (m_objects.contains(id))
            return failXml("duplicate object RefId");
        m_objects.insert(id, ObjectEntry{obj, true});
    }
    bool haveTypes = false;
    bool haveToString = false;
    bool haveContainer = false;
    bool haveProps = false;
    bool haveMs = false;
    auto once = [this](bool &flag, const char *what) {
        if (flag)
            return failXml(what);
        flag = true;
        return true;
    };
    StartTag child;
    while (!tag.empty) {
        const Next next = nextChild("unexpected end of input in <Obj>");
        if (next == Next::Failed)
            return false;
        if (next == Next::End) {
            if (!readEndTag(tag.name))
                return false;
            break;
        }
        if (!readStartTag(child))
            return false;
        const QByteArrayView n = child.name;
        if (n == "TN") {
            if (!once(haveTypes, "two type-name lists") || !parseTypeNames(child, obj->typeNames))
                return false;
            QString tnId;
            if (!refIdOf(child, tnId, false))
                return false;
            if (!tnId.isNull()) {
                if (m_typeNames.contains(tnId))
                    return failXml("duplicate TN RefId");
                m_typeNames.insert(tnId, obj->typeNames);
            }
        } else if (n == "TNRef") {
            QString tnId;
            if (!once(haveTypes, "two type-name lists") || !refIdOf(child, tnId, true))
                return false;
            const auto it = m_typeNames.constFind(tnId);
            if (it == m_typeNames.cend())
                return fail(ErrorCode::UnknownRefId, u"<TNRef> to unknown RefId \""_s + tnId + u'"');
            obj->typeNames = *it;
            if (!expectEmpty(child))
                return false;
        } else if (n == "ToString") {
            QString text;
            if (!once(haveToString, "two <ToString>") || !readText(child, text))
                return false;
            obj->toString = decodeString(text);
        } else if (n == "LST" || n == "IE" || n == "STK" || n == "QUE") {
            if (!once(haveContainer, "two containers"))
                return false;
            obj->container = n == "LST"  ? PsObject::Container::List
                             : n == "IE" ? PsObject::Container::Enumerable
                             : n == "STK" ? PsObject::Container::Stack
                                          : PsObject::Container::Queue;
            if (!parseItems(child, depth + 1, obj->items))
                return false;
        } else if (n == "DCT") {
            if (!once(haveContainer, "two containers"))
                return false;
            obj->container = PsObject::Container::Dictionary;
            if (!parseEntries(child, depth + 1, obj->entries))
                return false;
        } else if (n == "Props") {
            if (!once(haveProps, "two <Props>") || !parseProperties(child, depth + 1, obj->adaptedProperties))
                return false;
        } else if (n == "MS") {
            if (!once(haveMs, "two <MS>") || !parseProperties(child, depth + 1, obj->extendedProperties))
                return false;
        } else {
            // The primitive of an extended primitive or enum; unknown elements land here too.
            if (obj->baseValue)
                return failXml("two base values in one <Obj>");
            Value v;
            if (!parseValue(child, depth + 1, v))
                return false;
            obj->baseValue = std::move(v);
        }
    }
    if (!id.isNull())
        m_objects[id].open = false;
    out = std::move(obj);
    return true;
}

// ---- serializer ----

constexpr char HexDigits[] = "0123456789ABCDEF";

// Appends `text` as EncodeString + XML escaping, UTF-8 encoded.
void appendEscaped(QByteArray &out, QStringView text, bool attribute)
{
    const char16_t *s = text.utf16();
    const qsizetype n = text.size();
    qsizetype start = out.size();
    out.resize(start + n * 3 + 16);
    char *w = out.data() + start;
    char *cap = out.data() + out.size();
    for (qsizetype i = 0; i < n; ++i) {
        if (cap - w < 8) {
            const qsizetype used = w - out.data();
            out.resize(used + (n - i) * 3 + 16);
            w = out.data() + used;
            cap = out.data() + out.size();
        }
        const char16_t c = s[i];
        if (c >= 0x20 && c < 0x7F) {
            switch (c) {
            case u'&':
                std::memcpy(w, "&amp;", 5), w += 5;
                break;
            case u'<':
                std::memcpy(w, "&lt;", 4), w += 4;
                break;
            case u'>':
                std::memcpy(w, "&gt;", 4), w += 4;
                break;
            case u'"':
                if (attribute)
                    std::memcpy(w, "&quot;", 6), w += 6;
                else
                    *w++ = '"';
                break;
            case u'_':
                if (i + 1 < n && (s[i + 1] == u'x' || s[i + 1] == u'X'))
                    std::memcpy(w, "_x005F_", 7), w += 7;
                else
                    *w++ = '_';
                break;
            default:
                *w++ = char(c);
            }
        } else if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xDFFF)) {
            w[0] = '_', w[1] = 'x';
            w[2] = HexDigits[(c >> 12) & 0xF], w[3] = HexDigits[(c >> 8) & 0xF];
            w[4] = HexDigits[(c >> 4) & 0xF], w[5] = HexDigits[c & 0xF];
            w[6] = '_';
            w += 7;
        } else if (c < 0x800) {
            *w++ = char(0xC0 | (c >> 6));
            *w++ = char(0x80 | (c & 0x3F));
        } else {
            *w++ = char(0xE0 | (c >> 12));
            *w++ = char(0x80 | ((c >> 6) & 0x3F));
            *w++ = char(0x80 | (c & 0x3F));
        }
    }
    out.resize(w - out.data());
}

template <typename T>
void appendInteger(QByteArray &out, T v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr - buf);
}

void appendPadded(QByteArray &out, qint64 v, int width)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = char('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (int i = n; i < width; ++i)
        out.append('0');
    while (n > 0)
        out.append(buf[--n]);
}

// XmlConvert.ToString as Windows PowerShell 5.1 (.NET Framework, also .NET Core 3.x) writes it,
// the "R" rule: shortest round-trip digits; scientific when the digits before the point exceed
// max(digit count, 15 for double / 7 for float) or the value is below 1E-04; exponent with sign
// and at least two digits (1E+15). PowerShell 7 on .NET 5+ decides by the digit count alone and
// writes 1000000000000000; we keep 5.1's form (real Windows servers run 5.1). parseFloating
// reads both.
template <typename F>
void appendFloating(QByteArray &out, F v)
{
    if (std::isnan(v)) {
        out.append("NaN");
        return;
    }
    if (std::isinf(v)) {
        out.append(v < 0 ? "-INF" : "INF");
        return;
    }
    if (v == 0) {
        out.append(std::signbit(v) ? "-0" : "0");
        return;
    }
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    // buf: [-]d[.ddd]e(+|-)xx
    const char *p = buf;
    const char *end = r.ptr;
    bool negative = false;
    if (*p == '-')
        negative = true, ++p;
    char digits[32];
    int nd = 0;
    while (p < end && *p != 'e') {
        if (*p != '.')
            digits[nd++] = *p;
        ++p;
    }
    int exponent = 0;
    std::from_chars(p + 1 + (p[1] == '+'), end, exponent);
    while (nd > 1 && digits[nd - 1] == '0')
        --nd;
    const int precision = std::is_same_v<F, float> ? 7 : 15;
    const int scale = exponent + 1; // digits before the point
    if (negative)
        out.append('-');
    if (scale > std::max(nd, precision) || scale < -3) {
        out.append(digits[0]);
        if (nd > 1) {
            out.append('.');
            out.append(digits + 1, nd - 1);
        }
        out.append('E');
        out.append(exponent < 0 ? '-' : '+');
        appendPadded(out, exponent < 0 ? -exponent : exponent, 2);
    } else if (scale <= 0) {
        out.append("0.");
        for (int i = 0; i < -scale; ++i)
            out.append('0');
        out.append(digits, nd);
    } else {
        for (int i = 0; i < scale; ++i)
            out.append(i < nd ? digits[i] : '0');
        if (nd > scale) {
            out.append('.');
            out.append(digits + scale, nd - scale);
        }
    }
}

void appendFraction(QByteArray &out, qint64 ticks) // ticks < 10^7, trailing zeros trimmed
{
    if (ticks == 0)
        return;
    char buf[7];
    for (int i = 6; i >= 0; --i) {
        buf[i] = char('0' + ticks % 10);
        ticks /= 10;
    }
    int n = 7;
    while (n > 0 && buf[n - 1] == '0')
        --n;
    out.append('.');
    out.append(buf, n);
}

void appendDateTime(QByteArray &out, const DateTime &dt)
{
    const qint64 ticks = std::clamp<qint64>(dt.ticks, 0, MaxDateTimeTicks);
    qint64 days = ticks / TicksPerDay;
    qint64 rest = ticks % TicksPerDay;
    // Civil date from days since 0001-01-01 (400/100/4/1-year cycles).
    const qint64 n400 = days / 146097;
    days %= 146097;
    qint64 n100 = days / 36524;
    if (n100 == 4)
        n100 = 3;
    days -= n100 * 36524;
    const qint64 n4 = days / 1461;
    days %= 1461;
    qint64 n1 = days / 365;
    if (n1 == 4)
        n1 = 3;
    days -= n1 * 365;
    const int year = int(n400 * 400 + n100 * 100 + n4 * 4 + n1 + 1);
    int month = 1;
    while (days >= daysInMonth(year, month))
        days -= daysInMonth(year, month++);
    appendPadded(out, year, 4);
    out.append('-');
    appendPadded(out, month, 2);
    out.append('-');
    appendPadded(out, days + 1, 2);
    out.append('T');
    appendPadded(out, rest / TicksPerHour, 2);
    rest %= TicksPerHour;
    out.append(':');
    appendPadded(out, rest / TicksPerMinute, 2);
    rest %= TicksPerMinute;
    out.append(':');
    appendPadded(out, rest / TicksPerSecond, 2);
    appendFraction(out, rest % TicksPerSecond);
    if (dt.kind == DateTime::Kind::Utc) {
        out.append('Z');
    } else if (dt.kind == DateTime::Kind::Local) {
        const int off = std::clamp(dt.offsetMinutes, -14 * 60, 14 * 60);
        out.append(off < 0 ? '-' : '+');
        appendPadded(out, std::abs(off) / 60, 2);
        out.append(':');
        appendPadded(out, std::abs(off) % 60, 2);
    }
}

// XmlConvert.ToString(TimeSpan): [-]P[nD][T[nH][nM][n[.f]S]], zero as PT0S.
void appendDuration(QByteArray &out, const Duration &ts)
{
    const bool negative = ts.ticks < 0;
    quint64 t = negative ? 0 - quint64(ts.ticks) : quint64(ts.ticks);
    const quint64 days = t / TicksPerDay;
    t %= TicksPerDay;
    const quint64 hours = t / TicksPerHour;
    t %= TicksPerHour;
    const quint64 minutes = t / TicksPerMinute;
    t %= TicksPerMinute;
    const quint64 seconds = t / TicksPerSecond;
    const quint64 fraction = t % TicksPerSecond;
    if (negative)
        out.append('-');
    out.append('P');
    if (days)
        appendInteger(out, days), out.append('D');
    if (hours || minutes || seconds || fraction) {
        out.append('T');
        if (hours)
            appendInteger(out, hours), out.append('H');
        if (minutes)
            appendInteger(out, minutes), out.append('M');
        if (seconds || fraction) {
            appendInteger(out, seconds);
            appendFraction(out, qint64(fraction));
            out.append('S');
        }
    } else if (!days) {
        out.append("T0S");
    }
}

// Serialization context of one message (one serialize() call): RefId counters and the
// instances/type-name lists already written.
class Writer {
public:
    QByteArray out;

    void value(const Value &v, QStringView name);

private:
    void open(QByteArrayView tag, QStringView name)
    {
        out.append('<');
        out.append(tag);
        if (!name.isNull()) {
            out.append(" N=\"");
            appendEscaped(out, name, true);
            out.append('"');
        }
    }
    void close(QByteArrayView tag)
    {
        out.append("</");
        out.append(tag);
        out.append('>');
    }
    void textElement(QByteArrayView tag, QStringView name, QStringView text)
    {
        // PowerShell writes empty strings as <S></S>, never <S />.
        open(tag, name);
        out.append('>');
        appendEscaped(out, text, false);
        close(tag);
    }
    // `allowEmpty`: an element with no content is written <X /> (containers), otherwise <X></X>.
    template <typename Fn>
    void rawElement(QByteArrayView tag, QStringView name, Fn &&body, bool allowEmpty = false)
    {
        open(tag, name);
        out.append('>');
        const qsizetype before = out.size();
        body();
        if (out.size() == before && allowEmpty) {
            out.chop(1);
            out.append(" />");
            return;
        }
        close(tag);
    }
    void object(const ObjectPtr &obj, QStringView name);
    void properties(QByteArrayView tag, const QList<Property> &props);

    QHash<const PsObject *, int> m_objects;
    QHash<QStringList, int> m_typeNames;
};

void Writer::value(const Value &v, QStringView name)
{
    std::visit(
        [&](const auto &x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                open("Nil", name);
                out.append(" />");
            } else if constexpr (std::is_same_v<T, QString>) {
                textElement("S", name, x);
            } else if constexpr (std::is_same_v<T, Char>) {
                rawElement("C", name, [&] { appendInteger(out, int(x.value)); });
            } else if constexpr (std::is_same_v<T, bool>) {
                rawElement("B", name, [&] { out.append(x ? "true" : "false"); });
            } else if constexpr (std::is_same_v<T, DateTime>) {
                rawElement("DT", name, [&] { appendDateTime(out, x); });
            } else if constexpr (std::is_same_v<T, Duration>) {
                rawElement("TS", name, [&] { appendDuration(out, x); });
            } else if constexpr (std::is_same_v<T, quint8>) {
                rawElement("By", name, [&] { appendInteger(out, x); });
            } else if constexpr (std::is_same_v<T, qint8>) {
                rawElement("SB", name, [&] { appendInteger(out, x); });
            } else if constexpr (std::is_same_v<T, quint16>) {
                rawElement("U16", name, [&] { appendInteger(out, x); });
            } else if constexpr (std::is_same_v<T, qint16>) {
                rawElement("I16", name, [&] { appendInteger(out, x); });
            } else if constexpr (std::is_same_v<T, quint32>) {
                rawElement("U32", name, [&] { appendInteger(out, x); });
            } else if constexpr (std::is_same_v<T, qint32>) {
                rawElement("I32", name, [&] { appendInteger(out, x); });
            } else if constexpr (std::is_same_v<T, quint64>) {
                rawElement("U64", name, [&] { appendInteger(out, x); });
            } else if constexpr (std::is_same_v<T, qint64>) {
                rawElement("I64", name, [&] { appendInteger(out, x); });
            } else if constexpr (std::is_same_v<T, float>) {
                rawElement("Sg", name, [&] { appendFloating(out, x); });
            } else if constexpr (std::is_same_v<T, double>) {
                rawElement("Db", name, [&] { appendFloating(out, x); });
            } else if constexpr (std::is_same_v<T, Decimal>) {
                textElement("D", name, x.text);
            } else if constexpr (std::is_same_v<T, QByteArray>) {
                rawElement("BA", name, [&] { out.append(x.toBase64()); });
            } else if constexpr (std::is_same_v<T, QUuid>) {
                rawElement("G", name, [&] { out.append(x.toByteArray(QUuid::WithoutBraces)); });
            } else if constexpr (std::is_same_v<T, Uri>) {
                textElement("URI", name, x.value);
            } else if constexpr (std::is_same_v<T, Version>) {
                textElement("Version", name, x.value);
            } else if constexpr (std::is_same_v<T, SemanticVersion>) {
                textElement("SemanticVersion", name, x.value);
            } else if constexpr (std::is_same_v<T, XmlDocument>) {
                textElement("XD", name, x.value);
            } else if constexpr (std::is_same_v<T, ScriptBlock>) {
                textElement("SBK", name, x.value);
            } else if constexpr (std::is_same_v<T, SecureString>) {
                rawElement("SS", name, [&] { out.append(x.bytes.toBase64()); });
            } else if constexpr (std::is_same_v<T, RawElement>) {
                out.append(x.xml.toUtf8());
            } else if constexpr (std::is_same_v<T, ObjectPtr>) {
                if (x) {
                    object(x, name);
                } else {
                    open("Nil", name);
                    out.append(" />");
                }
            }
        },
        v.variant());
}

void Writer::properties(QByteArrayView tag, const QList<Property> &props)
{
    if (props.isEmpty())
        return;
    out.append('<');
    out.append(tag);
    out.append('>');
    for (const Property &p : props)
        value(p.value, p.name.isNull() ? QStringView(u"") : QStringView(p.name));
    close(tag);
}

void Writer::object(const ObjectPtr &obj, QStringView name)
{
    // MS-PSRP 2.2.5.2.3: an instance already written in this message becomes <Ref>.
    const auto seen = m_objects.constFind(obj.get());
    if (seen != m_objects.cend()) {
        open("Ref", name);
        out.append(" RefId=\"");
        appendInteger(out, *seen);
        out.append("\" />");
        return;
    }
    const int id = int(m_objects.size());
    m_objects.insert(obj.get(), id);
    open("Obj", name);
    out.append(" RefId=\"");
    appendInteger(out, id);
    out.append("\">");
    const qsizetype contentStart = out.size();
    if (!obj->typeNames.isEmpty()) {
        // MS-PSRP 2.2.5.2.3: a type-name list already written becomes <TNRef>.
        const auto tn = m_typeNames.constFind(obj->typeNames);
        if (tn != m_typeNames.cend()) {
            out.append("<TNRef RefId=\"");
            appendInteger(out, *tn);
            out.append("\" />");
        } else {
            const int tnId = int(m_typeNames.size());
            m_typeNames.insert(obj->typeNames, tnId);
            out.append("<TN RefId=\"");
            appendInteger(out, tnId);
            out.append("\">");
            for (const QString &t : obj->typeNames)
                textElement("T", {}, t);
            out.append("</TN>");
        }
    }
    if (obj->toString)
        textElement("ToString", {}, *obj->toString);
    if (obj->baseValue)
        value(*obj->baseValue, {});
    switch (obj->container) {
    case PsObject::Container::None:
        break;
    case PsObject::Container::List:
    case PsObject::Container::Enumerable:
    case PsObject::Container::Stack:
    case PsObject::Container::Queue: {
        const QByteArrayView tag = obj->container == PsObject::Container::List       ? "LST"
                                   : obj->container == PsObject::Container::Enumerable ? "IE"
                                   : obj->container == PsObject::Container::Stack      ? "STK"
                                                                                       : "QUE";
        rawElement(tag, {}, [&] {
            for (const Value &item : obj->items)
                value(item, {});
        }, true);
        break;
    }
    case PsObject::Container::Dictionary:
        rawElement("DCT", {}, [&] {
            for (const DictionaryEntry &e : obj->entries) {
                out.append("<En>");
                value(e.key, u"Key");
                value(e.value, u"Value");
                out.append("</En>");
            }
        }, true);
        break;
    }
    properties("Props", obj->adaptedProperties);
    properties("MS", obj->extendedProperties);
    if (out.size() == contentStart) {
        out.chop(1);
        out.append(" />");
        return;
    }
    out.append("</Obj>");
}

} // namespace

Result<Value> deserialize(QByteArrayView utf8, const DeserializeOptions &options)
{
    if (utf8.size() > options.maxInputSize)
        return makeError(ErrorCode::LimitExceeded,
                         u"CLIXML of "_s + QString::number(utf8.size()) + u" bytes exceeds the limit of "_s
                             + QString::number(options.maxInputSize));
    Reader reader(utf8, options);
    return reader.run();
}

QByteArray serialize(const Value &value, QStringView name)
{
    Writer writer;
    writer.out.reserve(256);
    writer.value(value, name);
    return std::move(writer.out);
}

QString encodeString(QStringView text)
{
    QString out;
    out.reserve(text.size());
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = text[i].unicode();
        const bool escape = c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xDFFF)
                            || (c == u'_' && i + 1 < n && (text[i + 1] == u'x' || text[i + 1] == u'X'));
        if (!escape) {
            out.append(QChar(c));
            continue;
        }
        const char16_t buf[7] = {u'_', u'x', char16_t(HexDigits[(c >> 12) & 0xF]), char16_t(HexDigits[(c >> 8) & 0xF]),
                                 char16_t(HexDigits[(c >> 4) & 0xF]), char16_t(HexDigits[c & 0xF]), u'_'};
        out.append(QStringView(buf, 7));
    }
    return out;
}

QString decodeString(QStringView text)
{
    qsizetype i = text.indexOf(u'_');
    if (i < 0)
        return text.toString();
    QString out;
    out.reserve(text.size());
    out.append(text.left(i));
    const qsizetype n = text.size();
    auto hexRun = [&](qsizetype from, int count, char32_t &v) {
        if (from + count >= n || text[from + count] != u'_')
            return false;
        v = 0;
        for (int k = 0; k < count; ++k) {
            const int d = hexValue(text[from + k].unicode());
            if (d < 0)
                return false;
            v = v * 16 + char32_t(d);
        }
        return true;
    };
    while (i < n) {
        const char16_t c = text[i].unicode();
        char32_t v;
        if (c == u'_' && i + 1 < n && (text[i + 1] == u'x' || text[i + 1] == u'X')) {
            if (hexRun(i + 2, 4, v)) {
                out.append(QChar(char16_t(v)));
                i += 7;
                continue;
            }
            if (hexRun(i + 2, 8, v) && v >= 0x10000 && v <= 0x10FFFF) {
                char16_t buf[2];
                char16_t *w = buf;
                appendCodePoint(w, v);
                out.append(QStringView(buf, w - buf));
                i += 11;
                continue;
            }
        }
        out.append(QChar(c));
        ++i;
    }
    return out;
}

} // namespace Psrp::Clixml
