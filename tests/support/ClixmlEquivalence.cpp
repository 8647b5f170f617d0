#include "ClixmlEquivalence.h"

#include <QHash>
#include <QList>
#include <QRegularExpression>
#include <QXmlStreamReader>

#include <cmath>
#include <memory>

using namespace Qt::Literals::StringLiterals;

namespace TestSupport {

namespace {

struct Node {
    QString name;
    QList<QXmlStreamAttribute> attrs;
    QString text;
    QList<std::shared_ptr<Node>> children;

    std::optional<QString> attr(QStringView n) const
    {
        for (const QXmlStreamAttribute &a : attrs)
            if (a.name() == n)
                return a.value().toString();
        return std::nullopt;
    }
};
using NodePtr = std::shared_ptr<Node>;

// One parsed text: the root plus the RefId tables of its <Obj> and <TN> elements.
struct Document {
    NodePtr root;
    QHash<QString, const Node *> objects;
    QHash<QString, const Node *> typeNames;
    QString error;
};

Document parse(QByteArrayView bytes)
{
    Document doc;
    if (bytes.startsWith("\xEF\xBB\xBF"))
        bytes = bytes.sliced(3);
    QXmlStreamReader xml(bytes.toByteArray());
    QList<Node *> stack;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            auto node = std::make_shared<Node>();
            node->name = xml.name().toString();
            const QXmlStreamAttributes attrs = xml.attributes();
            for (const QXmlStreamAttribute &a : attrs)
                node->attrs.append(a);
            if (const auto id = node->attr(u"RefId")) {
                if (node->name == u"Obj")
                    doc.objects.insert(*id, node.get());
                else if (node->name == u"TN")
                    doc.typeNames.insert(*id, node.get());
            }
            if (stack.isEmpty())
                doc.root = node;
            else
                stack.back()->children.append(node);
            stack.append(node.get());
        } else if (xml.isEndElement()) {
            stack.removeLast();
        } else if (xml.isCharacters() && !stack.isEmpty()) {
            stack.back()->text += xml.text();
        }
    }
    if (xml.hasError())
        doc.error = xml.errorString() + u" (line "_s + QString::number(xml.lineNumber()) + u')';
    else if (!doc.root)
        doc.error = u"no root element"_s;
    return doc;
}

QString stripDeserialized(const QString &typeName)
{
    static const QString prefix = u"Deserialized."_s;
    return typeName.startsWith(prefix) ? typeName.mid(prefix.size()) : typeName;
}

std::optional<qint64> dateTicks(const QString &s, QString *zone)
{
    static const QRegularExpression re(
        uR"(^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$)"_s);
    const auto m = re.match(s.trimmed());
    if (!m.hasMatch())
        return std::nullopt;
    // Not calendar-exact: only used to compare two texts, so any injective mapping will do.
    qint64 t = m.captured(1).toLongLong();
    for (int i = 2; i <= 6; ++i)
        t = t * 100 + m.captured(i).toLongLong();
    const QString fraction = QString(m.captured(7) + u"0000000"_s).left(7);
    *zone = m.captured(8);
    return t * 10'000'000 + fraction.toLongLong();
}

std::optional<long double> durationTicks(const QString &s)
{
    static const QRegularExpression re(
        uR"(^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$)"_s);
    const auto m = re.match(s.trimmed());
    if (!m.hasMatch())
        return std::nullopt;
    const long double day = 864'000'000'000.0L;
    long double t = m.captured(2).toLongLong() * 365 * day + m.captured(3).toLongLong() * 30 * day
                    + m.captured(4).toLongLong() * day + m.captured(5).toLongLong() * 36'000'000'000.0L
                    + m.captured(6).toLongLong() * 600'000'000.0L + m.captured(7).toLongLong() * 10'000'000.0L
                    + QString(m.captured(8) + u"0000000"_s).left(7).toLongLong();
    return m.captured(1).isEmpty() ? t : -t;
}

std::optional<double> floating(const QString &s)
{
    const QString t = s.trimmed();
    if (t == u"INF")
        return HUGE_VAL;
    if (t == u"-INF")
        return -HUGE_VAL;
    if (t == u"NaN")
        return std::nan("");
    bool ok = false;
    const double d = t.toDouble(&ok);
    return ok ? std::optional<double>(d) : std::nullopt;
}

QString normalizedDecimal(const QString &s)
{
    QString t = s.trimmed();
    bool negative = t.startsWith(u'-');
    if (negative || t.startsWith(u'+'))
        t.remove(0, 1);
    qsizetype dot = t.indexOf(u'.');
    QString whole = dot < 0 ? t : t.left(dot);
    QString fraction = dot < 0 ? QString() : t.mid(dot + 1);
    while (whole.size() > 1 && whole.startsWith(u'0'))
        whole.remove(0, 1);
    while (fraction.endsWith(u'0'))
        fraction.chop(1);
    QString r = fraction.isEmpty() ? whole : whole + u'.' + fraction;
    return negative && r != u"0" ? u'-' + r : r;
}

class Comparer {
public:
    Comparer(const Document &e, const Document &a) : m_e(e), m_a(a) {}

    std::optional<QString> compare(const Node *e, const Node *a, const QString &path, int depth);

private:
    const Node *resolve(const Node *n, const Document &doc, QString *error) const
    {
        if (n->name != u"Ref")
            return n;
        const auto id = n->attr(u"RefId").value_or(QString());
        const Node *target = doc.objects.value(id);
        if (!target)
            *error = u"<Ref RefId=\""_s + id + u"\"> names no <Obj>"_s;
        return target;
    }
    std::optional<QStringList> typeNames(const Node *obj, const Document &doc, QString *error) const
    {
        QStringList names;
        for (const NodePtr &c : obj->children) {
            const Node *tn = nullptr;
            if (c->name == u"TN") {
                tn = c.get();
            } else if (c->name == u"TNRef") {
                const auto id = c->attr(u"RefId").value_or(QString());
                tn = doc.typeNames.value(id);
                if (!tn) {
                    *error = u"<TNRef RefId=\""_s + id + u"\"> names no <TN>"_s;
                    return std::nullopt;
                }
            }
            if (tn)
                for (const NodePtr &t : tn->children)
                    names.append(stripDeserialized(t->text));
        }
        return names;
    }
    std::optional<QString> compareText(const Node *e, const Node *a, const QString &path) const;
    std::optional<QString> compareMembers(const Node *e, const Node *a, const QString &path, int depth);

    const Document &m_e;
    const Document &m_a;
};

std::optional<QString> Comparer::compareText(const Node *e, const Node *a, const QString &path) const
{
    const QString &x = e->text;
    const QString &y = a->text;
    const QString &tag = e->name;
    bool same = x == y;
    if (!same && (tag == u"DT")) {
        QString zx, zy;
        const auto tx = dateTicks(x, &zx);
        const auto ty = dateTicks(y, &zy);
        same = tx && ty && *tx == *ty && zx == zy;
    } else if (!same && tag == u"TS") {
        const auto tx = durationTicks(x);
        const auto ty = durationTicks(y);
        same = tx && ty && *tx == *ty;
    } else if (!same && (tag == u"Db" || tag == u"Sg")) {
        const auto dx = floating(x);
        const auto dy = floating(y);
        same = dx && dy
               && ((std::isnan(*dx) && std::isnan(*dy))
                   || (tag == u"Sg" ? float(*dx) == float(*dy) : *dx == *dy));
    } else if (!same && tag == u"D") {
        same = normalizedDecimal(x) == normalizedDecimal(y);
    }
    if (same)
        return std::nullopt;
    return path + u": value differs: expected \""_s + x + u"\", actual \""_s + y + u'"';
}

std::optional<QString> Comparer::compareMembers(const Node *e, const Node *a, const QString &path, int depth)
{
    QList<bool> used(a->children.size(), false);
    for (const NodePtr &ec : e->children) {
        const QString name = ec->attr(u"N").value_or(QString());
        const QString childPath = path + u"/[N="_s + name + u']';
        qsizetype match = -1;
        for (qsizetype i = 0; i < a->children.size(); ++i) {
            if (!used[i] && a->children[i]->attr(u"N").value_or(QString()) == name) {
                match = i;
                break;
            }
        }
        if (match < 0)
            return childPath + u": property missing in actual"_s;
        used[match] = true;
        if (auto d = compare(ec.get(), a->children[match].get(), childPath, depth + 1))
            return d;
    }
    for (qsizetype i = 0; i < a->children.size(); ++i)
        if (!used[i])
            return path + u": unexpected property \""_s + a->children[i]->attr(u"N").value_or(QString())
                   + u"\" in actual"_s;
    return std::nullopt;
}

std::optional<QString> Comparer::compare(const Node *eIn, const Node *aIn, const QString &path, int depth)
{
    if (depth > 500)
        return path + u": nesting too deep to compare (cyclic <Ref>?)"_s;
    QString error;
    const Node *e = resolve(eIn, m_e, &error);
    if (!e)
        return path + u": expected: "_s + error;
    const Node *a = resolve(aIn, m_a, &error);
    if (!a)
        return path + u": actual: "_s + error;
    const QString here = path + u'/' + e->name;
    if (e->name != a->name)
        return here + u": element differs: expected <"_s + e->name + u">, actual <"_s + a->name + u'>';
    // The N of a <Ref> is its own, not that of the object it names.
    const auto eName = eIn->attr(u"N");
    const auto aName = aIn->attr(u"N");
    if (eName != aName)
        return here + u": attribute N differs: expected \""_s + eName.value_or(u"(none)"_s) + u"\", actual \""_s
               + aName.value_or(u"(none)"_s) + u'"';
    for (const QXmlStreamAttribute &attr : e->attrs) {
        if (attr.name() == u"RefId" || attr.name() == u"N")
            continue;
        const auto other = a->attr(attr.name());
        if (!other)
            return here + u": attribute "_s + attr.name() + u" missing in actual"_s;
        if (*other != attr.value())
            return here + u": attribute "_s + attr.name() + u" differs: expected \""_s + attr.value()
                   + u"\", actual \""_s + *other + u'"';
    }
    for (const QXmlStreamAttribute &attr : a->attrs)
        if (attr.name() != u"RefId" && attr.name() != u"N" && !e->attr(attr.name()))
            return here + u": unexpected attribute "_s + attr.name() + u" in actual"_s;

    if (e->name == u"MS" || e->name == u"Props")
        return compareMembers(e, a, here, depth);

    QList<const Node *> ec;
    QList<const Node *> ac;
    if (e->name == u"Obj") {
        const auto et = typeNames(e, m_e, &error);
        if (!et)
            return here + u": expected: "_s + error;
        const auto at = typeNames(a, m_a, &error);
        if (!at)
            return here + u": actual: "_s + error;
        if (*et != *at)
            return here + u": type names differ: expected ["_s + et->join(u", "_s) + u"], actual ["_s
                   + at->join(u", "_s) + u']';
        // MS and Props are compared as sets wherever they sit; the rest keeps its order.
        for (const NodePtr &c : e->children)
            if (c->name != u"TN" && c->name != u"TNRef")
                ec.append(c.get());
        for (const NodePtr &c : a->children)
            if (c->name != u"TN" && c->name != u"TNRef")
                ac.append(c.get());
        auto byName = [](const Node *x, const Node *y) {
            const bool xs = x->name == u"MS" || x->name == u"Props";
            const bool ys = y->name == u"MS" || y->name == u"Props";
            return xs == ys ? (xs && x->name < y->name) : ys;
        };
        std::stable_sort(ec.begin(), ec.end(), byName);
        std::stable_sort(ac.begin(), ac.end(), byName);
    } else {
        for (const NodePtr &c : e->children)
            ec.append(c.get());
        for (const NodePtr &c : a->children)
            ac.append(c.get());
    }
    if (ec.isEmpty() && ac.isEmpty())
        return compareText(e, a, here);
    for (qsizetype i = 0; i < std::min(ec.size(), ac.size()); ++i)
        if (auto d = compare(ec[i], ac[i], here + u'[' + QString::number(i) + u']', depth + 1))
            return d;
    if (ec.size() != ac.size())
        return here + u": child count differs: expected "_s + QString::number(ec.size()) + u", actual "_s
               + QString::number(ac.size());
    return std::nullopt;
}

} // namespace

std::optional<QString> clixmlDifference(QByteArrayView expected, QByteArrayView actual)
{
    const Document e = parse(expected);
    if (!e.error.isEmpty())
        return u"expected is not well-formed: "_s + e.error;
    const Document a = parse(actual);
    if (!a.error.isEmpty())
        return u"actual is not well-formed: "_s + a.error;
    Comparer comparer(e, a);
    return comparer.compare(e.root.get(), a.root.get(), QString(), 0);
}

} // namespace TestSupport
