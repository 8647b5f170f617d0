#pragma once

#include "psrp/Error.h"
#include "psrp/Value.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

namespace Psrp::Clixml {

struct DeserializeOptions {
    int maxDepth = 100;                         // nesting of Obj/containers (capped at 1000); deeper is NestingTooDeep
    qsizetype maxInputSize = 200 * 1024 * 1024; // larger input is LimitExceeded, not parsed
    // Values built (objects, primitives, Refs, container items) before LimitExceeded. Bounds
    // memory independently of the input size: a node costs ~200 bytes, so the default caps the
    // tree near 400 MB, while real PSRP messages hold far fewer nodes than this.
    qsizetype maxNodes = 2'000'000;
};

// Elements with more attributes than this are InvalidXml (CLIXML uses only N and RefId).
inline constexpr int MaxAttributesPerElement = 16;

// MS-PSRP 2.2.5: parses the CLIXML of one object as carried in a PSRP message (no <Objs>
// wrapper; a leading UTF-8 BOM is accepted). <Ref>/<TNRef> are resolved: a Ref yields the same
// shared PsObject instance. Unknown elements are kept as RawElement. Malformed input yields a
// typed Error, never a crash, and nothing is allocated merely because the input claims a size.
Result<Value> deserialize(QByteArrayView utf8, const DeserializeOptions &options = {});

// Serializes one object as PowerShell does for a PSRP message: UTF-8, no BOM, no declaration,
// no indentation. RefIds (objects) and TN RefIds start at 0 per call; a PsObject instance seen
// twice becomes <Ref>, a type-name list seen twice becomes <TNRef>. `name` is the root's N.
QByteArray serialize(const Value &value, QStringView name = {});

// MS-PSRP 2.2.5.1.1 / PowerShell's EncodeString: _xHHHH_ for 0x00-0x1F, 0x7F-0x9F, every
// surrogate code unit, and a '_' followed by 'x' or 'X'. XML entity escaping is separate.
QString encodeString(QStringView text);
// The inverse (XmlConvert.DecodeName semantics): every well-formed _xHHHH_ becomes its code unit;
// the 8-digit _xHHHHHHHH_ form only for code points 0x10000-0x10FFFF, else it stays literal.
QString decodeString(QStringView text);

} // namespace Psrp::Clixml
