#pragma once

#include <QByteArray>
#include <QByteArrayView>

// DER writing shared by SPNEGO and CredSSP (X.690). Each reader keeps its own strict parser,
// since each names its own protocol in its errors.
namespace Auth::Der {

// X.690 8.1.3 definite length, shortest form (DER 10.1), appended to `out`.
void appendLength(QByteArray &out, qsizetype length);
// tag, length, content.
QByteArray tlv(quint8 tag, QByteArrayView content);

} // namespace Auth::Der
