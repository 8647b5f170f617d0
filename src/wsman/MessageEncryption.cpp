#include "wsman/MessageEncryption.h"

#include <QtEndian>

#include <limits>
#include <optional>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

constexpr QByteArrayView DefaultBoundary = "Encrypted Boundary";
constexpr QByteArrayView OctetStream = "application/octet-stream";
// Part headers are two lines in practice; more than this is not a WinRM body.
constexpr int MaxPartHeaderLines = 16;
// RFC 2046 5.1.1: a boundary is 1 to 70 characters.
constexpr qsizetype MaxBoundaryLength = 70;

AuthError framing(const QString &detail)
{
    return AuthError{AuthErrorCode::InvalidToken, u"encrypted body: "_s + detail};
}

QString printable(QByteArrayView bytes)
{
    QString out = QString::fromLatin1(bytes.first(qMin(bytes.size(), qsizetype(80))));
    for (QChar &c : out) {
        if (c.unicode() < 0x20 || c.unicode() > 0x7e)
            c = u'?';
    }
    return out;
}

struct ContentType {
    QByteArray mediaType; // lower case
    std::optional<QByteArray> protocol;
    std::optional<QByteArray> boundary;
};

QByteArray unquote(QByteArrayView value)
{
    QByteArray v = value.trimmed().toByteArray();
    if (v.size() >= 2 && v.startsWith('"') && v.endsWith('"'))
        v = v.mid(1, v.size() - 2);
    return v;
}

ContentType parseContentType(QByteArrayView text)
{
    ContentType result;
    const QList<QByteArray> params = text.toByteArray().split(';');
    result.mediaType = params.value(0).trimmed().toLower();
    for (qsizetype i = 1; i < params.size(); ++i) {
        const QByteArray &param = params[i];
        const qsizetype eq = param.indexOf('=');
        if (eq < 0)
            continue;
        const QByteArray name = param.first(eq).trimmed().toLower();
        if (name == "protocol")
            result.protocol = unquote(QByteArrayView(param).sliced(eq + 1));
        else if (name == "boundary")
            result.boundary = unquote(QByteArrayView(param).sliced(eq + 1));
    }
    return result;
}

// A cursor over the body that never reads past its end.
class Reader {
public:
    Reader(QByteArrayView body, QByteArrayView boundary) : m_body(body), m_boundary(boundary) {}

    qsizetype position() const { return m_pos; }
    qsizetype remaining() const { return m_body.size() - m_pos; }

    // Length of "--" [spaces] boundary at `at`, or -1.
    qsizetype boundaryAt(qsizetype at) const
    {
        if (at < 0 || at + 2 > m_body.size() || m_body[at] != '-' || m_body[at + 1] != '-')
            return -1;
        qsizetype p = at + 2;
        while (p < m_body.size() && m_body[p] == ' ')
            ++p;
        if (!m_body.sliced(p).startsWith(m_boundary))
            return -1;
        return p + m_boundary.size() - at;
    }

    // The first boundary at or after `from`, or -1.
    qsizetype findBoundary(qsizetype from) const
    {
        qsizetype at = from;
        while (at >= 0 && at < m_body.size()) {
            at = m_body.indexOf(QByteArrayView("--"), at);
            if (at < 0)
                return -1;
            if (boundaryAt(at) >= 0)
                return at;
            ++at;
        }
        return -1;
    }

    bool atBoundary() const { return boundaryAt(m_pos) >= 0; }

    // Consumes a boundary; sets `closing` when it is the closing "--boundary--".
    AuthResult<bool> boundary()
    {
        const qsizetype length = boundaryAt(m_pos);
        if (length < 0)
            return framing(u"expected a boundary at offset %1, found \"%2\""_s.arg(m_pos).arg(
                printable(m_body.sliced(m_pos))));
        m_pos += length;
        if (m_body.sliced(m_pos).startsWith("--")) {
            m_pos += 2;
            return true;
        }
        if (!lineEnd())
            return framing(u"no line end after the boundary at offset %1"_s.arg(m_pos));
        return false;
    }

    // One line (CRLF or LF) without its end; nullopt when the body ends first.
    std::optional<QByteArrayView> line()
    {
        const qsizetype nl = m_body.indexOf('\n', m_pos);
        if (nl < 0)
            return std::nullopt;
        qsizetype end = nl;
        if (end > m_pos && m_body[end - 1] == '\r')
            --end;
        const QByteArrayView text = m_body.sliced(m_pos, end - m_pos);
        m_pos = nl + 1;
        return text;
    }

    std::optional<QByteArrayView> take(qsizetype size)
    {
        if (size < 0 || size > remaining())
            return std::nullopt;
        const QByteArrayView bytes = m_body.sliced(m_pos, size);
        m_pos += size;
        return bytes;
    }

    bool onlyWhitespaceLeft() const { return m_body.sliced(m_pos).trimmed().isEmpty(); }

private:
    bool lineEnd()
    {
        if (m_body.sliced(m_pos).startsWith("\r\n")) {
            m_pos += 2;
            return true;
        }
        if (m_body.sliced(m_pos).startsWith("\n")) {
            ++m_pos;
            return true;
        }
        return false;
    }

    QByteArrayView m_body;
    QByteArrayView m_boundary;
    qsizetype m_pos = 0;
};

// "Name: value" with optional leading whitespace (the TAB of dossier 4.2).
std::optional<std::pair<QByteArray, QByteArrayView>> headerField(QByteArrayView line)
{
    const QByteArrayView trimmed = line.trimmed();
    const qsizetype colon = trimmed.indexOf(':');
    if (colon <= 0)
        return std::nullopt;
    return std::pair{trimmed.first(colon).trimmed().toByteArray().toLower(),
                     trimmed.sliced(colon + 1).trimmed()};
}

struct OriginalContent {
    QByteArray type;
    qsizetype length = 0;
};

// "type=application/soap+xml;charset=UTF-8;Length=N" (MS-WSMV 2.2.9.1.1.2.2).
AuthResult<OriginalContent> parseOriginalContent(QByteArrayView value, qsizetype bodySize)
{
    OriginalContent result;
    std::optional<qsizetype> length;
    QByteArray type;
    for (const QByteArray &raw : value.toByteArray().split(';')) {
        const QByteArray param = raw.trimmed();
        if (param.isEmpty())
            continue;
        const qsizetype eq = param.indexOf('=');
        const QByteArray name = (eq < 0 ? param : param.first(eq)).trimmed().toLower();
        const QByteArray paramValue = eq < 0 ? QByteArray() : param.mid(eq + 1).trimmed();
        if (name == "length") {
            if (length)
                return framing(u"OriginalContent has two Length= parameters"_s);
            if (paramValue.isEmpty() || paramValue.size() > 10)
                return framing(u"OriginalContent Length= is not a length"_s);
            for (const char c : paramValue) {
                if (c < '0' || c > '9')
                    return framing(u"OriginalContent Length= is not a length"_s);
            }
            const qint64 n = paramValue.toLongLong();
            if (n > bodySize)
                return framing(
                    u"OriginalContent Length=%1 exceeds the body of %2 bytes"_s.arg(n).arg(
                        bodySize));
            length = qsizetype(n);
        } else if (name == "type") {
            type = paramValue;
        } else if (!type.isEmpty()) {
            type.append(';').append(param);
        }
    }
    if (!length)
        return framing(u"OriginalContent has no Length="_s);
    if (type.isEmpty())
        return framing(u"OriginalContent has no type="_s);
    result.type = std::move(type);
    result.length = *length;
    return result;
}

void appendLe32(QByteArray &out, quint32 value)
{
    char bytes[4];
    qToLittleEndian(value, bytes);
    out.append(bytes, 4);
}

} // namespace

MessageEncryption::MessageEncryption(QByteArray protocol) : m_protocol(std::move(protocol)) {}

bool MessageEncryption::isEncryptedContentType(QByteArrayView contentType)
{
    const QByteArray media = parseContentType(contentType).mediaType;
    return media == "multipart/encrypted" || media == "multipart/x-multi-encrypted";
}

AuthResult<WrappedMessage> MessageEncryption::encrypt(QByteArrayView plaintext,
                                                      QByteArrayView soapContentType,
                                                      const SealFunction &seal,
                                                      qsizetype maxPartSize) const
{
    const bool multi = maxPartSize > 0 && plaintext.size() > maxPartSize;
    const qsizetype partSize = maxPartSize > 0 ? maxPartSize : qMax(plaintext.size(), qsizetype(1));
    QByteArray body;
    qsizetype offset = 0;
    do {
        const QByteArrayView chunk =
            plaintext.sliced(offset, qMin(partSize, plaintext.size() - offset));
        offset += chunk.size();
        AuthResult<SealedPart> sealed = seal(chunk);
        if (!sealed)
            return sealed.error();
        const SealedPart &part = sealed.value();
        if (part.header.size() > qsizetype(std::numeric_limits<quint32>::max()))
            return AuthError{AuthErrorCode::CryptoFailure,
                             u"encrypted body: security header too large"_s};
        body.append("--").append(DefaultBoundary).append("\r\n\tContent-Type: ").append(m_protocol);
        body.append("\r\n\tOriginalContent: type=").append(soapContentType);
        // Dossier 4.4: for a GSSAPI protocol the data part is ciphertext || padding (gss_wrap_iov
        // PADDING; RC4-HMAC pads one byte, AES none) and Length counts the padding, as pypsrp
        // sends it (len(plaintext) + padding_length). CredSSP's data is a TLS record: no padding.
        qsizetype length = chunk.size();
        if (m_protocol != CredSspProtocol && part.data.size() > chunk.size())
            length = part.data.size();
        body.append(";Length=").append(QByteArray::number(length));
        body.append("\r\n--")
            .append(DefaultBoundary)
            .append("\r\n\tContent-Type: ")
            .append(OctetStream);
        body.append("\r\n");
        appendLe32(body, quint32(part.header.size()));
        body.append(part.header).append(part.data);
    } while (offset < plaintext.size());
    body.append("--").append(DefaultBoundary).append("--\r\n");

    QByteArray contentType = multi ? QByteArrayLiteral("multipart/x-multi-encrypted")
                                   : QByteArrayLiteral("multipart/encrypted");
    contentType.append(";protocol=\"")
        .append(m_protocol)
        .append("\";boundary=\"")
        .append(DefaultBoundary)
        .append('"');
    return WrappedMessage{std::move(body), std::move(contentType)};
}

AuthResult<WrappedMessage> MessageEncryption::decrypt(QByteArrayView body,
                                                      QByteArrayView contentType,
                                                      const UnsealFunction &unseal) const
{
    const ContentType type = parseContentType(contentType);
    if (type.mediaType != "multipart/encrypted" && type.mediaType != "multipart/x-multi-encrypted")
        return framing(
            u"Content-Type \"%1\" is not multipart/encrypted"_s.arg(printable(contentType)));
    if (type.protocol && type.protocol->compare(m_protocol, Qt::CaseInsensitive) != 0)
        return framing(u"protocol \"%1\", expected \"%2\""_s.arg(printable(*type.protocol),
                                                                 QString::fromLatin1(m_protocol)));
    const QByteArray boundary = type.boundary.value_or(DefaultBoundary.toByteArray());
    if (boundary.isEmpty() || boundary.size() > MaxBoundaryLength)
        return framing(u"unusable boundary parameter"_s);

    Reader reader(body, boundary);
    QByteArray plaintext;
    QByteArray originalType;
    int parts = 0;
    for (;;) {
        AuthResult<bool> closing = reader.boundary();
        if (!closing)
            return closing.error();
        if (closing.value()) {
            if (parts == 0)
                return framing(u"no encrypted part"_s);
            if (!reader.onlyWhitespaceLeft())
                return framing(u"data after the closing boundary"_s);
            break;
        }

        // The descriptive part: Content-Type (the protocol) and OriginalContent.
        std::optional<QByteArray> partProtocol;
        std::optional<QByteArrayView> original;
        int lines = 0;
        while (!reader.atBoundary()) {
            if (++lines > MaxPartHeaderLines)
                return framing(u"too many part header lines"_s);
            const std::optional<QByteArrayView> line = reader.line();
            if (!line)
                return framing(u"the body ends inside a part header"_s);
            if (line->trimmed().isEmpty())
                continue;
            const auto field = headerField(*line);
            if (!field)
                return framing(u"malformed part header \"%1\""_s.arg(printable(*line)));
            if (field->first == "content-type")
                partProtocol = field->second.toByteArray();
            else if (field->first == "originalcontent")
                original = field->second;
        }
        if (!partProtocol || partProtocol->compare(m_protocol, Qt::CaseInsensitive) != 0)
            return framing(u"part %1 names protocol \"%2\", expected \"%3\""_s.arg(parts + 1).arg(
                printable(partProtocol.value_or(QByteArray())), QString::fromLatin1(m_protocol)));
        if (!original)
            return framing(u"part %1 has no OriginalContent"_s.arg(parts + 1));
        AuthResult<OriginalContent> content = parseOriginalContent(*original, body.size());
        if (!content)
            return content.error();

        // The data part: its Content-Type line, then L, the L-byte header and the data.
        AuthResult<bool> next = reader.boundary();
        if (!next)
            return next.error();
        if (next.value())
            return framing(u"part %1 has no data"_s.arg(parts + 1));
        const std::optional<QByteArrayView> dataHeader = reader.line();
        const auto dataField = dataHeader ? headerField(*dataHeader) : std::nullopt;
        if (!dataField || dataField->first != "content-type" ||
            dataField->second.compare(OctetStream, Qt::CaseInsensitive) != 0)
            return framing(u"part %1 data is not application/octet-stream"_s.arg(parts + 1));
        const std::optional<QByteArrayView> lengthField = reader.take(4);
        if (!lengthField)
            return framing(u"part %1 ends before its header length"_s.arg(parts + 1));
        const quint32 headerLength = qFromLittleEndian<quint32>(lengthField->data());
        if (qint64(headerLength) > qint64(reader.remaining()))
            return framing(u"part %1 header length %2 exceeds the %3 bytes left"_s.arg(parts + 1)
                               .arg(headerLength)
                               .arg(reader.remaining()));
        const QByteArrayView header = *reader.take(qsizetype(headerLength));
        // The data runs to the next boundary; prefer the one Length= points at, so ciphertext that
        // happens to contain a boundary-like sequence cannot cut it short.
        const qsizetype start = reader.position();
        qsizetype end = start + content.value().length;
        if (reader.boundaryAt(end) < 0)
            end = reader.findBoundary(start);
        if (end < 0)
            return framing(u"part %1 data is not followed by a boundary"_s.arg(parts + 1));
        const QByteArrayView data = *reader.take(end - start);

        AuthResult<QByteArray> unsealed = unseal(header, data);
        if (!unsealed)
            return AuthError{unsealed.error().code, u"encrypted body part %1: "_s.arg(parts + 1) +
                                                        unsealed.error().detail};
        if (unsealed.value().size() != content.value().length)
            return AuthError{
                AuthErrorCode::CryptoFailure,
                u"encrypted body part %1: %2 bytes decrypted, OriginalContent Length=%3"_s
                    .arg(parts + 1)
                    .arg(unsealed.value().size())
                    .arg(content.value().length)};
        plaintext.append(unsealed.value());
        if (parts == 0)
            originalType = content.value().type;
        ++parts;
    }
    return WrappedMessage{std::move(plaintext), std::move(originalType)};
}

AuthResult<WrappedMessage> MessageEncryption::wrapBody(bool enabled, bool established,
                                                       const QByteArray &plaintext,
                                                       const QByteArray &soapContentType,
                                                       const SealFunction &seal,
                                                       qsizetype maxPartSize) const
{
    if (!enabled)
        return WrappedMessage{plaintext, soapContentType};
    if (!established)
        return AuthError{AuthErrorCode::CryptoFailure, u"no established context to encrypt with"_s};
    return encrypt(plaintext, soapContentType, seal, maxPartSize);
}

AuthResult<WrappedMessage> MessageEncryption::unwrapBody(bool enabled, bool established,
                                                         const QByteArray &body,
                                                         const QByteArray &contentType,
                                                         const UnsealFunction &unseal) const
{
    const bool encrypted = isEncryptedContentType(contentType);
    if (!enabled) {
        if (encrypted)
            return AuthError{AuthErrorCode::Unsupported,
                             u"an encrypted body while message encryption is off"_s};
        return WrappedMessage{body, contentType};
    }
    if (!encrypted)
        return AuthError{AuthErrorCode::CryptoFailure,
                         u"an unencrypted body (Content-Type \"%1\") on an encrypted channel"_s.arg(
                             QString::fromLatin1(contentType.left(80)))};
    if (!established)
        return AuthError{AuthErrorCode::CryptoFailure, u"no established context to decrypt with"_s};
    return decrypt(body, contentType, unseal);
}

} // namespace Wsman
