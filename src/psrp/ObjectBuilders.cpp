#include "psrp/ObjectBuilders.h"

using namespace Qt::Literals::StringLiterals;

namespace Psrp::Objects {

QStringList enumTypeNames(const QString &enumType)
{
    return {enumType, u"System.Enum"_s, u"System.ValueType"_s, u"System.Object"_s};
}

QStringList psObjectListTypeNames()
{
    return {u"System.Collections.Generic.List`1[[System.Management.Automation.PSObject, "
            "System.Management.Automation, Version=1.0.0.0, Culture=neutral, "
            "PublicKeyToken=31bf3856ad364e35]]"_s,
            u"System.Object"_s};
}

QStringList primitiveDictionaryTypeNames()
{
    return {u"System.Management.Automation.PSPrimitiveDictionary"_s,
            u"System.Collections.Hashtable"_s, u"System.Object"_s};
}

QStringList hashtableTypeNames()
{
    return {u"System.Collections.Hashtable"_s, u"System.Object"_s};
}

QStringList arrayListTypeNames()
{
    return {u"System.Collections.ArrayList"_s, u"System.Object"_s};
}

Value msObject(QList<Property> properties)
{
    ObjectPtr o = PsObject::create();
    o->extendedProperties = std::move(properties);
    return o;
}

Value enumObject(const QString &enumType, const QString &text, qint32 value)
{
    ObjectPtr o = PsObject::create();
    o->typeNames = enumTypeNames(enumType);
    o->toString = text;
    o->baseValue = Value(value);
    return o;
}

Value listObject(const QStringList &typeNames, QList<Value> items)
{
    ObjectPtr o = PsObject::create();
    o->typeNames = typeNames;
    o->container = PsObject::Container::List;
    o->items = std::move(items);
    return o;
}

Value dictionaryObject(const QStringList &typeNames, QList<DictionaryEntry> entries)
{
    ObjectPtr o = PsObject::create();
    o->typeNames = typeNames;
    o->container = PsObject::Container::Dictionary;
    o->entries = std::move(entries);
    return o;
}

Result<const PsObject *> requireObject(const Value &value, QStringView what)
{
    if (const PsObject *o = value.object())
        return o;
    return makeError(ErrorCode::InvalidValue, what.toString() + u": expected an object"_s);
}

Result<Value> requireProperty(const PsObject &object, QStringView name, QStringView what)
{
    if (const Value *v = object.property(name))
        return *v;
    return makeError(ErrorCode::MissingProperty,
                     what.toString() + u": missing property "_s + name.toString());
}

Result<qint64> requireInteger(const PsObject &object, QStringView name, QStringView what)
{
    Result<Value> v = requireProperty(object, name, what);
    if (!v)
        return v.error();
    if (auto i = v->toInteger())
        return *i;
    return makeError(ErrorCode::InvalidValue,
                     what.toString() + u": property "_s + name.toString() + u" is not an integer"_s);
}

Result<qint32> requireInt32(const PsObject &object, QStringView name, QStringView what)
{
    Result<qint64> v = requireInteger(object, name, what);
    if (!v)
        return v.error();
    if (*v < std::numeric_limits<qint32>::min() || *v > std::numeric_limits<qint32>::max())
        return makeError(ErrorCode::InvalidValue,
                         what.toString() + u": property "_s + name.toString() + u" is out of Int32 range"_s);
    return qint32(*v);
}

Result<bool> requireBool(const PsObject &object, QStringView name, QStringView what)
{
    Result<Value> v = requireProperty(object, name, what);
    if (!v)
        return v.error();
    if (auto b = v->toBool())
        return *b;
    return makeError(ErrorCode::InvalidValue,
                     what.toString() + u": property "_s + name.toString() + u" is not a boolean"_s);
}

Result<QString> requireString(const PsObject &object, QStringView name, QStringView what)
{
    Result<Value> v = requireProperty(object, name, what);
    if (!v)
        return v.error();
    if (auto s = v->toString())
        return *s;
    return makeError(ErrorCode::InvalidValue,
                     what.toString() + u": property "_s + name.toString() + u" is not a string"_s);
}

Result<std::optional<QString>> optionalString(const PsObject &object, QStringView name, QStringView what)
{
    const Value *v = object.property(name);
    if (!v || v->isNull())
        return std::optional<QString>();
    if (auto s = v->toString())
        return std::optional<QString>(*s);
    return makeError(ErrorCode::InvalidValue,
                     what.toString() + u": property "_s + name.toString() + u" is not a string"_s);
}

QString stringOr(const PsObject &object, QStringView name, const QString &fallback)
{
    if (const Value *v = object.property(name)) {
        if (auto s = v->toString())
            return *s;
    }
    return fallback;
}

Result<QList<Value>> requireItems(const Value &value, QStringView what)
{
    const PsObject *o = value.object();
    if (!o || (o->container != PsObject::Container::List && o->container != PsObject::Container::Enumerable
               && o->container != PsObject::Container::Stack && o->container != PsObject::Container::Queue))
        return makeError(ErrorCode::InvalidValue, what.toString() + u": expected a list"_s);
    return o->items;
}

} // namespace Psrp::Objects
