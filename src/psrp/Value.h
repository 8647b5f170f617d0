#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUuid>

#include <memory>
#include <optional>
#include <variant>

namespace Psrp {

class PsObject;
using ObjectPtr = std::shared_ptr<PsObject>;

// MS-PSRP 2.2.5.1.4 <DT>: .NET DateTime, 100 ns ticks since 0001-01-01T00:00:00 on the clock it
// was written in. Utc is written with 'Z', Local with its '+hh:mm' offset.
struct DateTime {
    enum class Kind { Unspecified, Utc, Local };
    qint64 ticks = 0;
    Kind kind = Kind::Unspecified;
    int offsetMinutes = 0; // Local only
    bool operator==(const DateTime &) const = default;
};

// MS-PSRP 2.2.5.1.5 <TS>: .NET TimeSpan written as xs:duration, in 100 ns ticks.
struct Duration {
    qint64 ticks = 0;
    bool operator==(const Duration &) const = default;
};

// MS-PSRP 2.2.5.1.2 <C>: one UTF-16 code unit.
struct Char {
    char16_t value = 0;
    bool operator==(const Char &) const = default;
};

// MS-PSRP 2.2.5.1.13 <D>: .NET Decimal, kept as its invariant text (no native type can hold
// 96-bit mantissas with scale exactly). Equal by numeric value, see Value::operator==.
struct Decimal {
    QString text;
};

// String-shaped primitives, each a type of its own so the element tag survives a round trip.
struct Uri { QString value; bool operator==(const Uri &) const = default; };                         // <URI>
struct Version { QString value; bool operator==(const Version &) const = default; };                 // <Version>
struct SemanticVersion { QString value; bool operator==(const SemanticVersion &) const = default; }; // <SemanticVersion>
struct XmlDocument { QString value; bool operator==(const XmlDocument &) const = default; };         // <XD>
struct ScriptBlock { QString value; bool operator==(const ScriptBlock &) const = default; };         // <SBK>

// MS-PSRP 2.2.5.1.24 <SS>: the bytes as carried (base64-decoded). Under protocol < 2.4 they are
// AES-256-CBC ciphertext under the session key (see SessionKey); under 2.4 plain UTF-16LE.
struct SecureString {
    QByteArray bytes;
    bool operator==(const SecureString &) const = default;
};

// An element the model does not understand (e.g. <PR>), kept verbatim so nothing is dropped:
// `xml` is the whole element as it appeared, including its own tag and any N attribute.
struct RawElement {
    QString xml;
    bool operator==(const RawElement &) const = default;
};

// One CLIXML value: a primitive (MS-PSRP 2.2.5.1) or a complex object (2.2.5.2).
// Cheap to copy: objects are shared, as <Ref> makes one instance appear in several places.
class Value {
public:
    // Order matters: Kind below mirrors it one to one.
    using Variant = std::variant<std::monostate, QString, Char, bool, DateTime, Duration, quint8,
                                 qint8, quint16, qint16, quint32, qint32, quint64, qint64, float,
                                 double, Decimal, QByteArray, QUuid, Uri, Version, SemanticVersion,
                                 XmlDocument, ScriptBlock, SecureString, RawElement, ObjectPtr>;
    enum class Kind {
        Null, String, Char, Boolean, DateTime, Duration, UnsignedByte, SignedByte, UInt16, Int16,
        UInt32, Int32, UInt64, Int64, Single, Double, Decimal, ByteArray, Guid, Uri, Version,
        SemanticVersion, XmlDocument, ScriptBlock, SecureString, Raw, Object
    };

    Value() = default;
    template <typename T>
        requires std::is_constructible_v<Variant, T &&>
    Value(T &&v) : m_v(std::forward<T>(v)) {} // NOLINT: implicit by design
    Value(const char16_t *s) : m_v(QString::fromUtf16(s)) {} // NOLINT

    Kind kind() const { return static_cast<Kind>(m_v.index()); }
    bool isNull() const { return m_v.index() == 0; }
    bool isObject() const { return kind() == Kind::Object && std::get<ObjectPtr>(m_v) != nullptr; }

    template <typename T>
    const T *get() const { return std::get_if<T>(&m_v); }
    template <typename T>
    T *get() { return std::get_if<T>(&m_v); }
    const Variant &variant() const { return m_v; }

    // The object, or nullptr when this is not an object.
    const PsObject *object() const;
    PsObject *object();
    ObjectPtr objectPtr() const;

    // Convenience readers; nullopt when the kind does not fit. toInteger accepts every integer
    // width and an enum object's base value; toString accepts <S> and the string-shaped kinds.
    std::optional<qint64> toInteger() const;
    std::optional<bool> toBool() const;
    std::optional<QString> toString() const;

    // Structural equality: same kinds and values, objects compared member by member (property
    // order inside MS/Props ignored), Decimal by numeric value, NaN equal to NaN.
    bool operator==(const Value &other) const;

private:
    Variant m_v;
};

struct Property {
    QString name;
    Value value;
};

struct DictionaryEntry {
    Value key;
    Value value;
};

// MS-PSRP 2.2.5.2: a complex object. Elements map one to one onto members:
//   <TN>/<TNRef>  typeNames (most derived first)   <ToString>  toString
//   primitive     baseValue (enums, extended primitives)
//   <LST>/<IE>/<STK>/<QUE>  container + items       <DCT>  container + entries
//   <Props>       adaptedProperties                 <MS>   extendedProperties
class PsObject {
public:
    enum class Container { None, List, Enumerable, Stack, Queue, Dictionary };

    QStringList typeNames;
    std::optional<QString> toString;
    std::optional<Value> baseValue;
    Container container = Container::None;
    QList<Value> items;
    QList<DictionaryEntry> entries;
    QList<Property> adaptedProperties;
    QList<Property> extendedProperties;

    // The named property from MS, then Props; nullptr when absent.
    const Value *property(QStringView name) const;
    // Sets an extended (MS) property, replacing one of the same name.
    void setProperty(const QString &name, Value value);
    // The entry whose key is the string `key`; nullptr when absent.
    const Value *entry(QStringView key) const;

    bool equals(const PsObject &other) const;

    static ObjectPtr create() { return std::make_shared<PsObject>(); }
};

} // namespace Psrp
