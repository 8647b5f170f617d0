#include "wsman/TraceDecoder.h"

#include <algorithm>

#include <QXmlStreamReader>

#include <cstring>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

constexpr QLatin1StringView SoapNs = "http://www.w3.org/2003/05/soap-envelope"_L1;
constexpr QLatin1StringView AddressingNs = "http://schemas.xmlsoap.org/ws/2004/08/addressing"_L1;
constexpr QLatin1StringView WsmanNs = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"_L1;
constexpr QLatin1StringView ShellNs = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"_L1;
constexpr QLatin1StringView PowerShellNs = "http://schemas.microsoft.com/powershell"_L1;
constexpr QLatin1StringView PowerShellResourcePrefix = "http://schemas.microsoft.com/powershell/"_L1;

// The elements whose position matters while walking an envelope.
enum class Node { Other, Header, Body, SelectorSet, Send, ReceiveResponse, Shell, CommandResponse };

QString lastSegment(const QString &uri)
{
    const qsizetype slash = uri.lastIndexOf(u'/');
    return slash < 0 ? uri : uri.mid(slash + 1);
}

QString attribute(const QXmlStreamReader &reader, QLatin1StringView name)
{
    return reader.attributes().value(name).toString().trimmed().toUpper();
}

// RFC 8259 reader for one trace leg: a JSON object whose "direction" and "body" strings are
// kept and whose other members are validated and skipped. Faster than QJsonDocument, which
// builds the whole object; nesting is limited so hostile input cannot exhaust the stack.
class LegReader {
public:
    explicit LegReader(QByteArrayView json) : m_p(json.data()), m_begin(json.data()), m_end(json.data() + json.size()) {}

    std::optional<QString> read(QString &direction, QString &body, bool &hasBody)
    {
        skipSpace();
        if (!consume('{'))
            return fail(u"a leg must be a JSON object"_s);
        skipSpace();
        if (!consume('}')) {
            for (;;) {
                skipSpace();
                QByteArray key;
                if (!readString(&key))
                    return error();
                skipSpace();
                if (!consume(':'))
                    return fail(u"expected ':'"_s);
                skipSpace();
                QByteArray value;
                bool isString = false;
                if (key == "direction" || key == "body") {
                    if (m_p < m_end && *m_p == '"') {
                        if (!readString(&value))
                            return error();
                        isString = true;
                    } else if (!skipValue(0)) {
                        return error();
                    }
                    if (key == "direction")
                        direction = isString ? QString::fromUtf8(value) : QString();
                    else if ((hasBody = isString))
                        body = QString::fromUtf8(value);
                } else if (!skipValue(0)) {
                    return error();
                }
                skipSpace();
                if (consume('}'))
                    break;
                if (!consume(','))
                    return fail(u"expected ',' or '}'"_s);
            }
        }
        skipSpace();
        if (m_p != m_end)
            return fail(u"garbage after the object"_s);
        return std::nullopt;
    }

private:
    static constexpr int MaxDepth = 64;

    std::optional<QString> error() const { return m_error; }
    std::optional<QString> fail(const QString &what)
    {
        m_error = u"bad JSON: %1 at offset %2"_s.arg(what).arg(m_p - m_begin);
        return m_error;
    }
    bool failed(const QString &what)
    {
        fail(what);
        return false;
    }
    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r'))
            ++m_p;
    }
    bool consume(char c)
    {
        if (m_p < m_end && *m_p == c) {
            ++m_p;
            return true;
        }
        return false;
    }
    static int hexValue(char c)
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }
    bool readHex4(char32_t &value)
    {
        if (m_end - m_p < 4)
            return failed(u"truncated \\u escape"_s);
        value = 0;
        for (int i = 0; i < 4; ++i) {
            const int digit = hexValue(m_p[i]);
            if (digit < 0)
                return failed(u"bad \\u escape"_s);
            value = value * 16 + char32_t(digit);
        }
        m_p += 4;
        return true;
    }
    static void appendUtf8(QByteArray &out, char32_t c)
    {
        if (c < 0x80) {
            out += char(c);
        } else if (c < 0x800) {
            out += char(0xC0 | (c >> 6));
            out += char(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += char(0xE0 | (c >> 12));
            out += char(0x80 | ((c >> 6) & 0x3F));
            out += char(0x80 | (c & 0x3F));
        } else {
            out += char(0xF0 | (c >> 18));
            out += char(0x80 | ((c >> 12) & 0x3F));
            out += char(0x80 | ((c >> 6) & 0x3F));
            out += char(0x80 | (c & 0x3F));
        }
    }
    // Reads a string at m_p; `out` (UTF-8, escapes resolved) may be null to only validate.
    bool readString(QByteArray *out)
    {
        if (!consume('"'))
            return failed(u"expected a string"_s);
        const char *run = m_p;
        for (;;) {
            if (m_p >= m_end)
                return failed(u"unterminated string"_s);
            const unsigned char c = static_cast<unsigned char>(*m_p);
            if (c == '"' || c == '\\') {
                if (out)
                    out->append(run, m_p - run);
                ++m_p;
                if (c == '"')
                    return true;
                if (m_p >= m_end)
                    return failed(u"unterminated string"_s);
                const char e = *m_p++;
                char32_t decoded = 0;
                switch (e) {
                case '"': decoded = '"'; break;
                case '\\': decoded = '\\'; break;
                case '/': decoded = '/'; break;
                case 'b': decoded = '\b'; break;
                case 'f': decoded = '\f'; break;
                case 'n': decoded = '\n'; break;
                case 'r': decoded = '\r'; break;
                case 't': decoded = '\t'; break;
                case 'u': {
                    if (!readHex4(decoded))
                        return false;
                    if (decoded >= 0xD800 && decoded < 0xDC00 && m_end - m_p >= 6 && m_p[0] == '\\' && m_p[1] == 'u') {
                        const char *save = m_p;
                        m_p += 2;
                        char32_t low = 0;
                        if (!readHex4(low))
                            return false;
                        if (low >= 0xDC00 && low < 0xE000)
                            decoded = 0x10000 + ((decoded - 0xD800) << 10) + (low - 0xDC00);
                        else
                            m_p = save;
                    }
                    if (decoded >= 0xD800 && decoded < 0xE000)
                        decoded = 0xFFFD; // a lone surrogate
                    break;
                }
                default:
                    --m_p;
                    return failed(u"bad escape"_s);
                }
                if (out)
                    appendUtf8(*out, decoded);
                run = m_p;
                continue;
            }
            if (c < 0x20)
                return failed(u"control character in a string"_s);
            ++m_p;
        }
    }
    bool skipLiteral(const char *word)
    {
        const qsizetype length = qsizetype(std::strlen(word));
        if (m_end - m_p < length || std::memcmp(m_p, word, size_t(length)) != 0)
            return failed(u"unexpected character"_s);
        m_p += length;
        return true;
    }
    bool skipNumber()
    {
        const char *start = m_p;
        consume('-');
        if (m_p < m_end && *m_p == '0') {
            ++m_p;
        } else {
            if (m_p >= m_end || *m_p < '1' || *m_p > '9')
                return failed(u"bad number"_s);
            while (m_p < m_end && *m_p >= '0' && *m_p <= '9')
                ++m_p;
        }
        if (consume('.')) {
            if (m_p >= m_end || *m_p < '0' || *m_p > '9')
                return failed(u"bad number"_s);
            while (m_p < m_end && *m_p >= '0' && *m_p <= '9')
                ++m_p;
        }
        if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            if (!consume('+'))
                consume('-');
            if (m_p >= m_end || *m_p < '0' || *m_p > '9')
                return failed(u"bad number"_s);
            while (m_p < m_end && *m_p >= '0' && *m_p <= '9')
                ++m_p;
        }
        return m_p > start;
    }
    bool skipValue(int depth)
    {
        if (depth > MaxDepth)
            return failed(u"nesting too deep"_s);
        if (m_p >= m_end)
            return failed(u"unexpected end"_s);
        switch (*m_p) {
        case '"':
            return readString(nullptr);
        case 't':
            return skipLiteral("true");
        case 'f':
            return skipLiteral("false");
        case 'n':
            return skipLiteral("null");
        case '[':
        case '{': {
            const bool object = *m_p == '{';
            const char close = object ? '}' : ']';
            ++m_p;
            skipSpace();
            if (consume(close))
                return true;
            for (;;) {
                skipSpace();
                if (object) {
                    if (!readString(nullptr))
                        return false;
                    skipSpace();
                    if (!consume(':'))
                        return failed(u"expected ':'"_s);
                    skipSpace();
                }
                if (!skipValue(depth + 1))
                    return false;
                skipSpace();
                if (consume(close))
                    return true;
                if (!consume(','))
                    return failed(u"expected ','"_s);
            }
        }
        default:
            return skipNumber();
        }
    }

    const char *m_p;
    const char *m_begin;
    const char *m_end;
    QString m_error;
};

} // namespace

QString legDirectionName(LegDirection direction)
{
    return direction == LegDirection::Request ? u"request"_s : u"response"_s;
}

TraceDecoder::TraceDecoder(MessageSink onMessage, SkipSink onSkip, qsizetype maxMessageSize)
    : m_onMessage(std::move(onMessage)), m_onSkip(std::move(onSkip)),
      m_maxMessageSize(maxMessageSize)
{
}

// MS-WSMV / MS-PSRP 3.1.5.3: PSRP data travels base64-encoded in creationXml, connectXml,
// connectResponseXml, rsp:CommandLine/rsp:Arguments, rsp:Send/rsp:Stream and
// rsp:ReceiveResponse/rsp:Stream; the header names the action, resource and shell.
std::optional<QString> TraceDecoder::parseEnvelope(const QString &xml, Envelope &envelope)
{
    QXmlStreamReader reader(xml);
    QList<Node> stack;
    QString commandLineId;
    auto parent = [&]() { return stack.isEmpty() ? Node::Other : stack.last(); };
    auto inHeader = [&]() { return stack.contains(Node::Header); };
    while (!reader.atEnd()) {
        const QXmlStreamReader::TokenType token = reader.readNext();
        if (token == QXmlStreamReader::EndElement) {
            if (!stack.isEmpty())
                stack.removeLast();
            continue;
        }
        if (token != QXmlStreamReader::StartElement)
            continue;
        const QStringView ns = reader.namespaceUri();
        const QStringView name = reader.name();
        Node node = Node::Other;
        if (ns == SoapNs && name == u"Header") {
            node = Node::Header;
        } else if (ns == SoapNs && name == u"Body") {
            node = Node::Body;
        } else if (ns == AddressingNs && name == u"Action" && inHeader()) {
            envelope.action = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed();
            continue;
        } else if (ns == WsmanNs && name == u"ResourceURI" && parent() == Node::Header) {
            envelope.resourceUri = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed();
            continue;
        } else if (ns == WsmanNs && name == u"SelectorSet") {
            node = Node::SelectorSet;
        } else if (ns == WsmanNs && name == u"Selector" && parent() == Node::SelectorSet
                   && reader.attributes().value("Name"_L1) == u"ShellId") {
            const bool header = inHeader();
            const QString id = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed().toUpper();
            (header ? envelope.selectorShellId : envelope.bodyShellId) = id;
            continue;
        } else if (ns == ShellNs) {
            if (name == u"Shell") {
                node = Node::Shell;
                envelope.shellAttribute = attribute(reader, "ShellId"_L1);
            } else if (name == u"ShellId" && parent() == Node::Shell) {
                envelope.bodyShellId = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed().toUpper();
                continue;
            } else if (name == u"CommandLine") {
                commandLineId = attribute(reader, "CommandId"_L1);
                envelope.contextCommandId = commandLineId;
            } else if (name == u"Arguments") {
                envelope.payloads.append({u"Arguments"_s, {}, commandLineId,
                                          reader.readElementText(QXmlStreamReader::SkipChildElements)});
                continue;
            } else if (name == u"Send") {
                node = Node::Send;
            } else if (name == u"ReceiveResponse") {
                node = Node::ReceiveResponse;
            } else if (name == u"CommandResponse") {
                node = Node::CommandResponse;
            } else if (name == u"CommandId" && parent() == Node::CommandResponse) {
                envelope.responseCommandId = reader.readElementText(QXmlStreamReader::SkipChildElements).trimmed().toUpper();
                continue;
            } else if (name == u"Stream" && (parent() == Node::Send || parent() == Node::ReceiveResponse)) {
                QString stream = reader.attributes().value("Name"_L1).toString();
                QString commandId = attribute(reader, "CommandId"_L1);
                envelope.payloads.append({u"Stream"_s, std::move(stream), std::move(commandId),
                                          reader.readElementText(QXmlStreamReader::SkipChildElements)});
                continue;
            } else if (name == u"DesiredStream" || name == u"Signal" || name == u"Connect") {
                const QString id = attribute(reader, "CommandId"_L1);
                if (!id.isEmpty())
                    envelope.contextCommandId = id;
            }
        } else if (ns == PowerShellNs
                   && (name == u"creationXml" || name == u"connectXml" || name == u"connectResponseXml")) {
            QString element = name.toString();
            envelope.payloads.append({std::move(element), {}, {},
                                      reader.readElementText(QXmlStreamReader::SkipChildElements)});
            continue;
        }
        stack.append(node);
    }
    if (reader.hasError()) {
        return u"bad XML: %1 (envelope line %2, column %3)"_s.arg(reader.errorString())
            .arg(reader.lineNumber())
            .arg(reader.columnNumber());
    }
    return std::nullopt;
}

std::optional<QString> TraceDecoder::feedLine(QByteArrayView jsonLine, qint64 lineNumber)
{
    m_lastLine = lineNumber;
    // After a leg that cannot be read, a following response is taken to answer it and skipped
    // quietly: one fault, one diagnostic.
    auto unreadable = [this](QString what) -> std::optional<QString> {
        m_lastRequest = RequestContext{};
        m_lastRequest.valid = true;
        return what;
    };
    QString directionText;
    QString body;
    bool hasBody = false;
    if (auto error = LegReader(jsonLine).read(directionText, body, hasBody))
        return unreadable(*error);
    LegDirection direction;
    if (directionText == u"request") {
        direction = LegDirection::Request;
    } else if (directionText == u"response") {
        direction = LegDirection::Response;
    } else {
        return unreadable(u"\"direction\" must be \"request\" or \"response\""_s);
    }
    if (!hasBody)
        return unreadable(u"\"body\" is missing or not a string"_s);

    if (direction == LegDirection::Response) {
        if (!m_lastRequest.valid)
            return u"a response without a request before it"_s;
        const RequestContext context = m_lastRequest;
        m_lastRequest.valid = false;
        if (!context.psrp)
            return std::nullopt;
        Envelope envelope;
        if (auto error = parseEnvelope(body, envelope))
            return error;
        RequestContext responseContext = context;
        // The request's shell wins; a Create request that named none learns it from the response.
        if (responseContext.shellId.isEmpty())
            responseContext.shellId = !envelope.selectorShellId.isEmpty() ? envelope.selectorShellId : envelope.bodyShellId;
        // The request's command wins; a Command request without a CommandId attribute learns it
        // from rsp:CommandResponse/rsp:CommandId.
        if (responseContext.commandId.isEmpty())
            responseContext.commandId = envelope.responseCommandId;
        return decodePayloads(envelope, direction, responseContext, lineNumber);
    }

    ++m_exchanges;
    m_lastRequest = RequestContext{};
    m_lastRequest.valid = true;
    Envelope envelope;
    if (auto error = parseEnvelope(body, envelope))
        return error; // m_lastRequest is valid but not PSRP: its response is skipped
    m_lastRequest.action = lastSegment(envelope.action);
    if (!envelope.resourceUri.startsWith(PowerShellResourcePrefix)) {
        ++m_skipped;
        if (m_onSkip)
            m_onSkip({lineNumber, m_lastRequest.action, envelope.resourceUri});
        return std::nullopt;
    }
    m_lastRequest.psrp = true;
    m_lastRequest.shellId = !envelope.shellAttribute.isEmpty() ? envelope.shellAttribute : envelope.selectorShellId;
    m_lastRequest.commandId = envelope.contextCommandId;
    if (m_lastRequest.commandId.isEmpty()) {
        // A Send names its command on each rsp:Stream; the first one stands for the exchange.
        for (const Payload &payload : std::as_const(envelope.payloads)) {
            if (!payload.commandId.isEmpty()) {
                m_lastRequest.commandId = payload.commandId;
                break;
            }
        }
    }
    return decodePayloads(envelope, direction, m_lastRequest, lineNumber);
}

// Per message: the commandId is the CommandId attribute of the element that carried the final
// fragment (rsp:Stream, rsp:CommandLine); without one, the exchange's (the request's
// CommandLine/DesiredStream/Signal/Connect/Stream CommandId, else the CommandResponse's).
std::optional<QString> TraceDecoder::decodePayloads(const Envelope &envelope, LegDirection direction,
                                                    const RequestContext &context, qint64 lineNumber)
{
    // MS-PSRP 2.2.4: ObjectIds are unique within one pool only; a shell is one pool.
    auto slot = m_defragmenters.find({context.shellId, direction});
    if (slot == m_defragmenters.end())
        slot = m_defragmenters.emplace(std::pair(context.shellId, direction), Psrp::Defragmenter(m_maxMessageSize)).first;
    Psrp::Defragmenter &defragmenter = slot->second;
    QList<Psrp::Defragmenter::Completed> completed;
    for (const Payload &payload : envelope.payloads) {
        const auto decoded = QByteArray::fromBase64Encoding(payload.base64.toLatin1(),
                                                            QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return u"bad base64 in %1"_s.arg(payload.element);
        completed.clear();
        const Psrp::Result<void> fed = defragmenter.feed(decoded.decoded, completed);
        for (Psrp::Defragmenter::Completed &bytes : completed) {
            Psrp::Result<Psrp::Message> message = Psrp::decodeMessage(bytes.data);
            if (!message) {
                return u"ObjectId %1 in %2: %3"_s.arg(bytes.objectId).arg(payload.element, message.error().detail);
            }
            TraceMessage out;
            out.line = lineNumber;
            out.direction = direction;
            out.action = context.action;
            out.shellId = context.shellId;
            out.commandId = payload.commandId.isEmpty() ? context.commandId : payload.commandId;
            out.stream = payload.stream;
            out.objectId = bytes.objectId;
            out.message = std::move(*message);
            ++m_messages;
            if (m_onMessage)
                m_onMessage(out);
        }
        if (!fed)
            return u"%1: %2"_s.arg(payload.element, fed.error().detail);
    }
    return std::nullopt;
}

std::optional<QString> TraceDecoder::finish() const
{
    const bool partial = std::any_of(m_defragmenters.cbegin(), m_defragmenters.cend(),
                                     [](const auto &entry) { return entry.second.hasPartialMessages(); });
    if (partial)
        return u"the trace ends inside a fragmented message"_s;
    return std::nullopt;
}

} // namespace Wsman
