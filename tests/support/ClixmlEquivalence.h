#pragma once

#include <QByteArrayView>
#include <QString>

#include <optional>

namespace TestSupport {

// Compares two CLIXML texts independently of the project's deserializer (QXmlStreamReader into
// a generic element tree). Equivalent = same elements, N names, type names and values, with
// <Ref>/<TNRef> resolved (RefIds may differ), member order inside MS/Props free, a
// "Deserialized." type-name prefix allowed on either side, DT/TS/Sg/Db/D compared by value and
// every other text (strings included, so _xHHHH_ escaping must match) compared exactly.
// Returns nullopt when equivalent, else a description naming the path and what differs.
std::optional<QString> clixmlDifference(QByteArrayView expected, QByteArrayView actual);

} // namespace TestSupport
