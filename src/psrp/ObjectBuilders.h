#pragma once

#include "psrp/Error.h"
#include "psrp/Value.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <utility>

// Small helpers to build and read the CLIXML objects of PSRP payloads. Stateless functions.
namespace Psrp::Objects {

// Type-name lists PowerShell writes repeatedly.
QStringList enumTypeNames(const QString &enumType); // enumType, System.Enum, System.ValueType, System.Object
QStringList psObjectListTypeNames();                // List`1[[PSObject...]], System.Object
QStringList primitiveDictionaryTypeNames();         // PSPrimitiveDictionary, Hashtable, Object
QStringList hashtableTypeNames();                   // Hashtable, Object
QStringList arrayListTypeNames();                   // ArrayList, Object

// An object whose members are the given extended (MS) properties, in order, no type names.
Value msObject(QList<Property> properties);
// An enum object: TN list, ToString text, I32 base value.
Value enumObject(const QString &enumType, const QString &text, qint32 value);
// A list object (<LST>) with the given type names.
Value listObject(const QStringList &typeNames, QList<Value> items);
// A dictionary object (<DCT>) with the given type names.
Value dictionaryObject(const QStringList &typeNames, QList<DictionaryEntry> entries);

// Readers; `what` names the payload for the error detail.
Result<const PsObject *> requireObject(const Value &value, QStringView what);
Result<Value> requireProperty(const PsObject &object, QStringView name, QStringView what);
Result<qint64> requireInteger(const PsObject &object, QStringView name, QStringView what);
Result<qint32> requireInt32(const PsObject &object, QStringView name, QStringView what);
Result<bool> requireBool(const PsObject &object, QStringView name, QStringView what);
// <S> (or another string-shaped kind); null is refused.
Result<QString> requireString(const PsObject &object, QStringView name, QStringView what);
// nullopt when absent or null; InvalidValue when present with the wrong kind.
Result<std::optional<QString>> optionalString(const PsObject &object, QStringView name, QStringView what);
// The string, or `fallback` when absent/null/not a string.
QString stringOr(const PsObject &object, QStringView name, const QString &fallback = {});
// The items of a list-shaped value (object with LST/IE/STK/QUE), InvalidValue otherwise.
Result<QList<Value>> requireItems(const Value &value, QStringView what);

} // namespace Psrp::Objects
