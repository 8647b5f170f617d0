#include "psrp/Value.h"

#include <cmath>
#include <map>
#include <utility>
#include <vector>

namespace Psrp {

const PsObject *Value::object() const
{
    const auto *p = std::get_if<ObjectPtr>(&m_v);
    return p ? p->get() : nullptr;
}

PsObject *Value::object()
{
    auto *p = std::get_if<ObjectPtr>(&m_v);
    return p ? p->get() : nullptr;
}

ObjectPtr Value::objectPtr() const
{
    const auto *p = std::get_if<ObjectPtr>(&m_v);
    return p ? *p : nullptr;
}

std::optional<qint64> Value::toInteger() const
{
    return std::visit(
        [this](const auto &v) -> std::optional<qint64> {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, quint64>) {
                if (v > quint64(std::numeric_limits<qint64>::max()))
                    return std::nullopt;
                return qint64(v);
            } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                return qint64(v);
            } else if constexpr (std::is_same_v<T, ObjectPtr>) {
                if (v && v->baseValue && !v->baseValue->isObject())
                    return v->baseValue->toInteger();
                return std::nullopt;
            } else {
                Q_UNUSED(this);
                return std::nullopt;
            }
        },
        m_v);
}

std::optional<bool> Value::toBool() const
{
    if (const auto *b = get<bool>())
        return *b;
    return std::nullopt;
}

std::optional<QString> Value::toString() const
{
    return std::visit(
        [](const auto &v) -> std::optional<QString> {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, QString>)
                return v;
            else if constexpr (std::is_same_v<T, Uri> || std::is_same_v<T, Version>
                               || std::is_same_v<T, SemanticVersion>
                               || std::is_same_v<T, XmlDocument>
                               || std::is_same_v<T, ScriptBlock>)
                return v.value;
            else
                return std::nullopt;
        },
        m_v);
}

namespace {

// Decimal text compared by value: sign, digits without leading/trailing zeros, exponent.
QString normalizedDecimal(const QString &text)
{
    QString s = text.trimmed();
    bool negative = false;
    if (s.startsWith(u'-')) {
        negative = true;
        s.remove(0, 1);
    } else if (s.startsWith(u'+')) {
        s.remove(0, 1);
    }
    qsizetype dot = s.indexOf(u'.');
    QString intPart = dot < 0 ? s : s.left(dot);
    QString fracPart = dot < 0 ? QString() : s.mid(dot + 1);
    while (intPart.size() > 1 && intPart.startsWith(u'0'))
        intPart.remove(0, 1);
    while (fracPart.endsWith(u'0'))
        fracPart.chop(1);
    if (intPart.isEmpty())
        intPart = QStringLiteral("0");
    QString result = fracPart.isEmpty() ? intPart : intPart + u'.' + fracPart;
    if (negative && result != u"0")
        result.prepend(u'-');
    return result;
}

// Object pairs already compared (or being compared, taken as equal so cycles end) during one
// top-level comparison: a <Ref> graph shares objects, and re-walking them is exponential.
using ComparedPairs = std::map<std::pair<const PsObject *, const PsObject *>, bool>;

bool valuesEqual(const Value &a, const Value &b, ComparedPairs &seen);
bool objectsEqual(const PsObject &a, const PsObject &b, ComparedPairs &seen);

bool propertiesEqual(const QList<Property> &a, const QList<Property> &b, ComparedPairs &seen)
{
    // A multiset match: order is free, and two members may share a name (e.g. empty names).
    if (a.size() != b.size())
        return false;
    std::vector<bool> used(size_t(b.size()), false);
    for (const Property &p : a) {
        bool found = false;
        for (qsizetype i = 0; i < b.size() && !found; ++i) {
            if (!used[size_t(i)] && b[i].name == p.name && valuesEqual(b[i].value, p.value, seen)) {
                used[size_t(i)] = true;
                found = true;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

bool valuesEqual(const Value &a, const Value &b, ComparedPairs &seen)
{
    if (a.variant().index() != b.variant().index())
        return false;
    return std::visit(
        [&b, &seen](const auto &v) -> bool {
            using T = std::decay_t<decltype(v)>;
            const T &w = std::get<T>(b.variant());
            if constexpr (std::is_same_v<T, std::monostate>) {
                return true;
            } else if constexpr (std::is_floating_point_v<T>) {
                return (std::isnan(v) && std::isnan(w)) || v == w;
            } else if constexpr (std::is_same_v<T, Decimal>) {
                return normalizedDecimal(v.text) == normalizedDecimal(w.text);
            } else if constexpr (std::is_same_v<T, ObjectPtr>) {
                if (v == w)
                    return true;
                if (!v || !w)
                    return false;
                return objectsEqual(*v, *w, seen);
            } else {
                return v == w;
            }
        },
        a.variant());
}

bool listsEqual(const QList<Value> &a, const QList<Value> &b, ComparedPairs &seen)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i)
        if (!valuesEqual(a[i], b[i], seen))
            return false;
    return true;
}

bool objectsEqual(const PsObject &a, const PsObject &b, ComparedPairs &seen)
{
    if (&a == &b)
        return true;
    const auto [it, inserted] = seen.try_emplace({&a, &b}, true);
    if (!inserted)
        return it->second;
    bool equal = a.typeNames == b.typeNames && a.toString == b.toString && a.container == b.container
                 && a.baseValue.has_value() == b.baseValue.has_value()
                 && (!a.baseValue || valuesEqual(*a.baseValue, *b.baseValue, seen))
                 && listsEqual(a.items, b.items, seen) && a.entries.size() == b.entries.size();
    for (qsizetype i = 0; equal && i < a.entries.size(); ++i)
        equal = valuesEqual(a.entries[i].key, b.entries[i].key, seen)
                && valuesEqual(a.entries[i].value, b.entries[i].value, seen);
    equal = equal && propertiesEqual(a.adaptedProperties, b.adaptedProperties, seen)
            && propertiesEqual(a.extendedProperties, b.extendedProperties, seen);
    it->second = equal; // std::map iterators survive the insertions made meanwhile
    return equal;
}

} // namespace

bool Value::operator==(const Value &other) const
{
    ComparedPairs seen;
    return valuesEqual(*this, other, seen);
}

const Value *PsObject::property(QStringView name) const
{
    for (const Property &p : extendedProperties)
        if (p.name == name)
            return &p.value;
    for (const Property &p : adaptedProperties)
        if (p.name == name)
            return &p.value;
    // PowerShell's member lookup ignores case (pypsrp writes <I64 N="CI">); an exact name wins.
    for (const Property &p : extendedProperties)
        if (name.compare(p.name, Qt::CaseInsensitive) == 0)
            return &p.value;
    for (const Property &p : adaptedProperties)
        if (name.compare(p.name, Qt::CaseInsensitive) == 0)
            return &p.value;
    return nullptr;
}

void PsObject::setProperty(const QString &name, Value value)
{
    for (Property &p : extendedProperties) {
        if (p.name == name) {
            p.value = std::move(value);
            return;
        }
    }
    extendedProperties.append(Property{name, std::move(value)});
}

const Value *PsObject::entry(QStringView key) const
{
    for (const DictionaryEntry &e : entries) {
        const QString *s = e.key.get<QString>();
        if (s && *s == key)
            return &e.value;
    }
    return nullptr;
}

bool PsObject::equals(const PsObject &other) const
{
    ComparedPairs seen;
    return objectsEqual(*this, other, seen);
}

} // namespace Psrp
