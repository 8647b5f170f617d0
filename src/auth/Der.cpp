#include "auth/Der.h"

namespace Auth::Der {

void appendLength(QByteArray &out, qsizetype length)
{
    if (length < 0x80) {
        out.append(char(length));
        return;
    }
    QByteArray bytes;
    for (qsizetype rest = length; rest > 0; rest >>= 8)
        bytes.prepend(char(rest & 0xff));
    out.append(char(0x80 | bytes.size()));
    out.append(bytes);
}

QByteArray tlv(quint8 tag, QByteArrayView content)
{
    QByteArray out;
    out.reserve(content.size() + 6);
    out.append(char(tag));
    appendLength(out, content.size());
    out.append(content);
    return out;
}

} // namespace Auth::Der
