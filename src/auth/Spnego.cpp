#include "auth/Spnego.h"

#include "auth/Der.h"

#include <QStringList>

#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Auth {

namespace {

// X.690 identifier octets used by RFC 4178 (all low tag numbers, definite lengths).
constexpr quint8 TagEnumerated = 0x0a;
constexpr quint8 TagBitString = 0x03;
constexpr quint8 TagOctetString = 0x04;
constexpr quint8 TagOid = 0x06;
constexpr quint8 TagSequence = 0x30;
constexpr quint8 TagApplication0 = 0x60;
constexpr quint8 TagContext0 = 0xa0;
constexpr quint8 TagContext1 = 0xa1;

constexpr quint8 context(int number)
{
    return quint8(TagContext0 + number);
}

Error invalid(const QString &detail)
{
    return makeError(ErrorCode::InvalidToken, u"SPNEGO: "_s + detail);
}

QString hexTag(quint8 tag)
{
    return u"0x"_s + QString::number(tag, 16).rightJustified(2, u'0');
}

struct Tlv {
    quint8 tag = 0;
    QByteArrayView content;
};

// A strict DER reader over one buffer: single-octet tags, definite shortest-form lengths that
// fit the remaining input. It never allocates; views point into the caller's buffer.
class DerReader {
public:
    explicit DerReader(QByteArrayView data) : m_data(data) {}

    bool atEnd() const { return m_pos >= m_data.size(); }
    std::optional<quint8> peekTag() const
    {
        if (atEnd())
            return std::nullopt;
        return quint8(m_data[m_pos]);
    }

    Result<Tlv> read()
    {
        if (atEnd())
            return invalid(u"truncated: element expected"_s);
        const quint8 tag = quint8(m_data[m_pos]);
        if ((tag & 0x1f) == 0x1f)
            return invalid(u"high-tag-number form is not used by SPNEGO"_s);
        qsizetype pos = m_pos + 1;
        if (pos >= m_data.size())
            return invalid(u"truncated length of tag "_s + hexTag(tag));
        const quint8 first = quint8(m_data[pos++]);
        qsizetype length = 0;
        if (first < 0x80) {
            length = first;
        } else if (first == 0x80) {
            return invalid(u"indefinite length is not DER"_s);
        } else {
            const int count = first & 0x7f;
            if (count > 3) // 64 KiB tokens need at most 3 length octets
                return invalid(u"length of %1 octets exceeds the token limit"_s.arg(count));
            if (m_data.size() - pos < count)
                return invalid(u"truncated length of tag "_s + hexTag(tag));
            for (int i = 0; i < count; ++i)
                length = (length << 8) | quint8(m_data[pos++]);
            if (length < 0x80 || quint8(m_data[pos - count]) == 0)
                return invalid(u"length not in shortest form"_s);
        }
        if (length > m_data.size() - pos)
            return invalid(u"element %1 claims %2 bytes, %3 remain"_s.arg(hexTag(tag))
                               .arg(length)
                               .arg(m_data.size() - pos));
        m_pos = pos + length;
        return Tlv{tag, m_data.sliced(pos, length)};
    }

    Result<QByteArrayView> expect(quint8 tag, const QString &what)
    {
        const std::optional<quint8> next = peekTag();
        if (!next)
            return invalid(u"truncated: "_s + what + u" expected"_s);
        if (*next != tag)
            return invalid(
                u"%1: tag %2 where %3 was expected"_s.arg(what, hexTag(*next), hexTag(tag)));
        Result<Tlv> element = read();
        if (!element)
            return element.error();
        return element->content;
    }

private:
    QByteArrayView m_data;
    qsizetype m_pos = 0;
};

Result<void> requireEnd(const DerReader &reader, const QString &what)
{
    if (!reader.atEnd())
        return invalid(u"trailing bytes after "_s + what);
    return {};
}

// X.690 8.19: subidentifiers in base 128, no leading 0x80 octet, the last octet ends the value.
Result<void> checkOid(QByteArrayView content)
{
    if (content.isEmpty())
        return invalid(u"empty OBJECT IDENTIFIER"_s);
    if (quint8(content.back()) & 0x80)
        return invalid(u"OBJECT IDENTIFIER ends inside a subidentifier"_s);
    bool startOfArc = true;
    int arcLength = 0;
    for (const char c : content) {
        const quint8 octet = quint8(c);
        if (startOfArc && octet == 0x80)
            return invalid(u"OBJECT IDENTIFIER subidentifier not in shortest form"_s);
        if (++arcLength > 8)
            return invalid(u"OBJECT IDENTIFIER subidentifier too large"_s);
        startOfArc = (octet & 0x80) == 0;
        if (startOfArc)
            arcLength = 0;
    }
    return {};
}

Result<QByteArray> readOid(DerReader &reader, const QString &what)
{
    Result<QByteArrayView> content = reader.expect(TagOid, what);
    if (!content)
        return content.error();
    if (Result<void> valid = checkOid(*content); !valid)
        return valid.error();
    return content->toByteArray();
}

Result<QByteArray> readOctetString(QByteArrayView explicitContent, const QString &what)
{
    DerReader inner(explicitContent);
    Result<QByteArrayView> value = inner.expect(TagOctetString, what);
    if (!value)
        return value.error();
    if (Result<void> end = requireEnd(inner, what); !end)
        return end.error();
    return value->toByteArray();
}

// The context-tagged fields of a SEQUENCE in strictly increasing tag order (DER 10.3 for
// SEQUENCE: components in definition order), each at most once, none outside [0]..[maxTag].
Result<QList<Tlv>> readTaggedFields(QByteArrayView sequence, int maxTag, const QString &what)
{
    DerReader reader(sequence);
    QList<Tlv> fields;
    int last = -1;
    while (!reader.atEnd()) {
        Result<Tlv> field = reader.read();
        if (!field)
            return field.error();
        const int number = field->tag - TagContext0;
        if (number < 0 || number > maxTag)
            return invalid(u"%1: unexpected field tag %2"_s.arg(what, hexTag(field->tag)));
        if (number <= last)
            return invalid(u"%1: field [%2] repeated or out of order"_s.arg(what).arg(number));
        last = number;
        fields.append(*field);
    }
    return fields;
}

Result<Spnego::NegTokenInit> decodeNegTokenInit(QByteArrayView explicitContent)
{
    DerReader outer(explicitContent);
    Result<QByteArrayView> sequence = outer.expect(TagSequence, u"NegTokenInit"_s);
    if (!sequence)
        return sequence.error();
    if (Result<void> end = requireEnd(outer, u"NegTokenInit"_s); !end)
        return end.error();
    Result<QList<Tlv>> fields = readTaggedFields(*sequence, 3, u"NegTokenInit"_s);
    if (!fields)
        return fields.error();

    Spnego::NegTokenInit token;
    bool haveMechTypes = false;
    for (const Tlv &field : *fields) {
        switch (field.tag) {
        case context(0): {
            DerReader wrapper(field.content);
            Result<QByteArrayView> list = wrapper.expect(TagSequence, u"mechTypes"_s);
            if (!list)
                return list.error();
            if (Result<void> end = requireEnd(wrapper, u"mechTypes"_s); !end)
                return end.error();
            DerReader oids(*list);
            while (!oids.atEnd()) {
                if (token.mechTypes.size() >= Spnego::MaxMechTypes)
                    return invalid(u"more than %1 mechTypes"_s.arg(Spnego::MaxMechTypes));
                Result<QByteArray> oid = readOid(oids, u"MechType"_s);
                if (!oid)
                    return oid.error();
                token.mechTypes.append(*oid);
            }
            if (token.mechTypes.isEmpty())
                return invalid(u"empty mechTypes"_s);
            haveMechTypes = true;
            break;
        }
        case context(1): {
            DerReader wrapper(field.content);
            Result<QByteArrayView> bits = wrapper.expect(TagBitString, u"reqFlags"_s);
            if (!bits)
                return bits.error();
            if (Result<void> end = requireEnd(wrapper, u"reqFlags"_s); !end)
                return end.error();
            // X.690 8.6.2: the initial octet counts unused bits (0..7, 0 when nothing follows).
            if (bits->isEmpty() || quint8(bits->front()) > 7 ||
                (bits->size() == 1 && bits->front() != 0))
                return invalid(u"malformed reqFlags BIT STRING"_s);
            token.reqFlags = bits->toByteArray();
            break;
        }
        case context(2): {
            Result<QByteArray> mechToken = readOctetString(field.content, u"mechToken"_s);
            if (!mechToken)
                return mechToken.error();
            token.mechToken = *mechToken;
            break;
        }
        default: {
            Result<QByteArray> mic = readOctetString(field.content, u"mechListMIC"_s);
            if (!mic)
                return mic.error();
            token.mechListMic = *mic;
            break;
        }
        }
    }
    if (!haveMechTypes)
        return invalid(u"NegTokenInit without mechTypes"_s);
    return token;
}

Result<Spnego::NegTokenResp> decodeNegTokenResp(QByteArrayView explicitContent)
{
    DerReader outer(explicitContent);
    Result<QByteArrayView> sequence = outer.expect(TagSequence, u"NegTokenResp"_s);
    if (!sequence)
        return sequence.error();
    if (Result<void> end = requireEnd(outer, u"NegTokenResp"_s); !end)
        return end.error();
    Result<QList<Tlv>> fields = readTaggedFields(*sequence, 3, u"NegTokenResp"_s);
    if (!fields)
        return fields.error();

    Spnego::NegTokenResp token;
    for (const Tlv &field : *fields) {
        switch (field.tag) {
        case context(0): {
            DerReader wrapper(field.content);
            Result<QByteArrayView> value = wrapper.expect(TagEnumerated, u"negState"_s);
            if (!value)
                return value.error();
            if (Result<void> end = requireEnd(wrapper, u"negState"_s); !end)
                return end.error();
            // RFC 4178 4.2.2: accept-completed(0) .. request-mic(3), one content octet in DER.
            if (value->size() != 1 || quint8(value->front()) > 3)
                return invalid(u"negState out of range"_s);
            token.negState = Spnego::NegState(value->front());
            break;
        }
        case context(1): {
            DerReader wrapper(field.content);
            Result<QByteArray> oid = readOid(wrapper, u"supportedMech"_s);
            if (!oid)
                return oid.error();
            if (Result<void> end = requireEnd(wrapper, u"supportedMech"_s); !end)
                return end.error();
            token.supportedMech = *oid;
            break;
        }
        case context(2): {
            Result<QByteArray> response = readOctetString(field.content, u"responseToken"_s);
            if (!response)
                return response.error();
            token.responseToken = *response;
            break;
        }
        default: {
            Result<QByteArray> mic = readOctetString(field.content, u"mechListMIC"_s);
            if (!mic)
                return mic.error();
            token.mechListMic = *mic;
            break;
        }
        }
    }
    return token;
}

Result<Spnego::NegotiationToken> decodeChoice(DerReader &reader)
{
    Result<Tlv> choice = reader.read();
    if (!choice)
        return choice.error();
    if (choice->tag == TagContext0) {
        Result<Spnego::NegTokenInit> init = decodeNegTokenInit(choice->content);
        if (!init)
            return init.error();
        return Spnego::NegotiationToken(std::move(*init));
    }
    if (choice->tag == TagContext1) {
        Result<Spnego::NegTokenResp> resp = decodeNegTokenResp(choice->content);
        if (!resp)
            return resp.error();
        return Spnego::NegotiationToken(std::move(*resp));
    }
    return invalid(u"NegotiationToken: unexpected tag "_s + hexTag(choice->tag));
}

QByteArray fromHex(const char *hex)
{
    return QByteArray::fromHex(QByteArray(hex));
}

} // namespace

namespace SpnegoOid {

QByteArray spnego()
{
    return fromHex("2b0601050502");
}

QByteArray ntlm()
{
    return fromHex("2b06010401823702020a");
}

QByteArray krb5()
{
    return fromHex("2a864886f712010202");
}

QByteArray msKrb5()
{
    return fromHex("2a864882f712010202");
}

Result<QByteArray> fromString(QStringView dotted)
{
    const QList<QStringView> parts = dotted.split(u'.');
    if (parts.size() < 2)
        return makeError(ErrorCode::InvalidArgument, u"OID needs at least two arcs"_s);
    QList<quint64> arcs;
    for (QStringView part : parts) {
        bool ok = false;
        const quint64 arc = part.toULongLong(&ok);
        if (!ok || part.isEmpty() || part.front() == u'+' || arc > (quint64(1) << 56))
            return makeError(ErrorCode::InvalidArgument, u"malformed OID arc"_s);
        arcs.append(arc);
    }
    if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
        return makeError(ErrorCode::InvalidArgument, u"malformed first OID arcs"_s);
    QByteArray out;
    auto appendArc = [&out](quint64 arc) {
        QByteArray bytes(1, char(arc & 0x7f));
        for (arc >>= 7; arc > 0; arc >>= 7)
            bytes.prepend(char(0x80 | (arc & 0x7f)));
        out.append(bytes);
    };
    appendArc(arcs[0] * 40 + arcs[1]);
    for (qsizetype i = 2; i < arcs.size(); ++i)
        appendArc(arcs[i]);
    return out;
}

Result<QString> toString(QByteArrayView content)
{
    if (Result<void> valid = checkOid(content); !valid)
        return valid.error();
    QStringList arcs;
    quint64 value = 0;
    bool first = true;
    for (const char c : content) {
        value = (value << 7) | (quint8(c) & 0x7f);
        if (quint8(c) & 0x80)
            continue;
        if (first) {
            const quint64 top = value < 80 ? value / 40 : 2;
            arcs << QString::number(top) << QString::number(value - top * 40);
            first = false;
        } else {
            arcs << QString::number(value);
        }
        value = 0;
    }
    return arcs.join(u'.');
}

} // namespace SpnegoOid

namespace Spnego {

QByteArray encodeMechTypeList(const QList<QByteArray> &mechTypes)
{
    QByteArray oids;
    for (const QByteArray &oid : mechTypes)
        oids.append(Der::tlv(TagOid, oid));
    return Der::tlv(TagSequence, oids);
}

QByteArray encodeInitialContextToken(const NegTokenInit &token)
{
    QByteArray fields = Der::tlv(context(0), encodeMechTypeList(token.mechTypes));
    if (token.reqFlags)
        fields.append(Der::tlv(context(1), Der::tlv(TagBitString, *token.reqFlags)));
    if (token.mechToken)
        fields.append(Der::tlv(context(2), Der::tlv(TagOctetString, *token.mechToken)));
    if (token.mechListMic)
        fields.append(Der::tlv(context(3), Der::tlv(TagOctetString, *token.mechListMic)));
    const QByteArray negTokenInit = Der::tlv(TagContext0, Der::tlv(TagSequence, fields));
    // RFC 2743 3.1: thisMech OID then innerContextToken.
    return Der::tlv(TagApplication0, QByteArray(Der::tlv(TagOid, SpnegoOid::spnego()) + negTokenInit));
}

QByteArray encodeNegTokenResp(const NegTokenResp &token)
{
    QByteArray fields;
    if (token.negState)
        fields.append(Der::tlv(context(0), Der::tlv(TagEnumerated, QByteArray(1, char(*token.negState)))));
    if (token.supportedMech)
        fields.append(Der::tlv(context(1), Der::tlv(TagOid, *token.supportedMech)));
    if (token.responseToken)
        fields.append(Der::tlv(context(2), Der::tlv(TagOctetString, *token.responseToken)));
    if (token.mechListMic)
        fields.append(Der::tlv(context(3), Der::tlv(TagOctetString, *token.mechListMic)));
    return Der::tlv(TagContext1, Der::tlv(TagSequence, fields));
}

Result<NegotiationToken> decode(QByteArrayView der)
{
    if (der.size() > MaxTokenSize)
        return invalid(
            u"token of %1 bytes exceeds the %2-byte limit"_s.arg(der.size()).arg(MaxTokenSize));
    DerReader reader(der);
    if (reader.peekTag() == TagApplication0) {
        Result<Tlv> application = reader.read();
        if (!application)
            return application.error();
        if (Result<void> end = requireEnd(reader, u"InitialContextToken"_s); !end)
            return end.error();
        DerReader inner(application->content);
        Result<QByteArray> mech = readOid(inner, u"thisMech"_s);
        if (!mech)
            return mech.error();
        if (*mech != SpnegoOid::spnego())
            return invalid(u"InitialContextToken for another mechanism"_s);
        if (inner.peekTag() != TagContext0)
            return invalid(u"InitialContextToken must carry a NegTokenInit"_s);
        Result<NegotiationToken> token = decodeChoice(inner);
        if (!token)
            return token.error();
        if (Result<void> end = requireEnd(inner, u"InitialContextToken"_s); !end)
            return end.error();
        return token;
    }
    Result<NegotiationToken> token = decodeChoice(reader);
    if (!token)
        return token.error();
    if (Result<void> end = requireEnd(reader, u"NegotiationToken"_s); !end)
        return end.error();
    return token;
}

} // namespace Spnego

// ---- NtlmMechanism ----

NtlmMechanism::NtlmMechanism(NtlmClient client) : m_client(std::move(client)) {}

Result<std::unique_ptr<NtlmMechanism>> NtlmMechanism::create(NtlmClientOptions options,
                                                             QByteArrayView passwordUtf8)
{
    Result<NtlmClient> client = NtlmClient::create(std::move(options), passwordUtf8);
    if (!client)
        return client.error();
    return std::make_unique<NtlmMechanism>(std::move(*client));
}

QString NtlmMechanism::name() const
{
    return u"NTLM"_s;
}

QByteArray NtlmMechanism::oid() const
{
    return SpnegoOid::ntlm();
}

Result<QByteArray> NtlmMechanism::step(QByteArrayView inputToken)
{
    return m_client.step(inputToken);
}

bool NtlmMechanism::isComplete() const
{
    return m_client.isComplete();
}

Result<QByteArray> NtlmMechanism::getMic(QByteArrayView data)
{
    return m_client.sign(data);
}

Result<void> NtlmMechanism::verifyMic(QByteArrayView data, QByteArrayView mic)
{
    return m_client.verify(data, mic);
}

Result<void> NtlmMechanism::mechListMicProcessed(MicDirection direction)
{
    // Dossier 3.3: that direction's RC4 stream restarts; sequence numbers keep counting.
    return m_client.resetCipher(direction == MicDirection::Sent ? Ntlm::Direction::Outgoing
                                                                : Ntlm::Direction::Incoming);
}

Result<QByteArray> NtlmMechanism::wrap(QByteArrayView plaintext)
{
    return m_client.wrap(plaintext);
}

Result<QByteArray> NtlmMechanism::unwrap(QByteArrayView token)
{
    return m_client.unwrap(token);
}

Result<WrappedMessage> NtlmMechanism::wrapWinrm(QByteArrayView plaintext)
{
    Result<Ntlm::SealedMessage> sealed = m_client.wrapSeparate(plaintext);
    if (!sealed)
        return sealed.error();
    return WrappedMessage{std::move(sealed->signature), std::move(sealed->data)};
}

Result<QByteArray> NtlmMechanism::unwrapWinrm(QByteArrayView header, QByteArrayView data)
{
    return m_client.unwrapSeparate(data, header);
}

// ---- SpnegoClient ----

SpnegoClient::SpnegoClient(std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms)
    : m_mechanisms(std::move(mechanisms))
{
}

SpnegoClient::~SpnegoClient() = default;

SpnegoMechanism *SpnegoClient::mechanism() const
{
    if (m_state == State::Failed || m_selected < 0 || m_awaitingFirstReply)
        return nullptr;
    return m_mechanisms[size_t(m_selected)].get();
}

Result<QByteArray> SpnegoClient::fail(Error error)
{
    m_state = State::Failed;
    m_diagnostics.append(error.detail);
    return error;
}

Result<QByteArray> SpnegoClient::step(QByteArrayView inputToken)
{
    switch (m_state) {
    case State::Initial:
        if (!inputToken.isEmpty())
            return fail(makeError(ErrorCode::InvalidState,
                                  u"SPNEGO: the client starts with an empty input token"_s));
        return initiate();
    case State::InProgress: {
        Result<Spnego::NegotiationToken> token = Spnego::decode(inputToken);
        if (!token)
            return fail(token.error());
        if (!std::holds_alternative<Spnego::NegTokenResp>(*token))
            return fail(invalid(u"the server answered with a NegTokenInit"_s));
        return continueWith(std::get<Spnego::NegTokenResp>(*token));
    }
    case State::Complete:
        return makeError(ErrorCode::InvalidState, u"SPNEGO: context already complete"_s);
    case State::Failed:
        break;
    }
    return makeError(ErrorCode::InvalidState, u"SPNEGO: context failed earlier"_s);
}

Result<QByteArray> SpnegoClient::initiate()
{
    // "Negotiate decides from that call's result": a mechanism whose first step fails (no
    // Kerberos ticket, no KDC) is left out of mechTypes and the next one leads.
    std::optional<Error> lastError;
    QByteArray optimistic;
    while (!m_mechanisms.empty()) {
        SpnegoMechanism &first = *m_mechanisms.front();
        Result<QByteArray> token = first.step({});
        if (token) {
            optimistic = std::move(*token);
            break;
        }
        m_diagnostics.append(
            u"%1 unavailable, skipped: %2"_s.arg(first.name(), token.error().detail));
        lastError = token.error();
        m_mechanisms.erase(m_mechanisms.begin());
    }
    if (m_mechanisms.empty()) {
        if (lastError)
            return fail(makeError(lastError->code,
                                  u"SPNEGO: no usable mechanism: "_s + m_diagnostics.join(u"; ")));
        return fail(makeError(ErrorCode::InvalidArgument, u"SPNEGO: no mechanisms given"_s));
    }
    for (const auto &mechanism : m_mechanisms)
        m_mechTypes.append(mechanism->oid());
    m_mechTypeListDer = Spnego::encodeMechTypeList(m_mechTypes);
    m_selected = 0;
    m_awaitingFirstReply = true;
    m_state = State::InProgress;

    Spnego::NegTokenInit init;
    init.mechTypes = m_mechTypes;
    init.mechToken = optimistic;
    return Spnego::encodeInitialContextToken(init);
}

Result<QByteArray> SpnegoClient::continueWith(const Spnego::NegTokenResp &response)
{
    const bool firstReply = m_awaitingFirstReply;
    m_awaitingFirstReply = false;

    if (response.negState == Spnego::NegState::Reject)
        return fail(makeError(ErrorCode::CredentialsRejected,
                              u"SPNEGO: the server rejected the authentication (negState reject)"_s));

    // RFC 4178 4.2.2: negState and supportedMech are required in the first reply.
    if (firstReply) {
        if (!response.negState || !response.supportedMech)
            return fail(invalid(u"first reply lacks negState or supportedMech"_s));
        int chosen = -1;
        for (size_t i = 0; i < m_mechanisms.size(); ++i) {
            if (m_mechanisms[i]->acceptsOid(*response.supportedMech)) {
                chosen = int(i);
                break;
            }
        }
        if (chosen < 0) {
            const Result<QString> text = SpnegoOid::toString(*response.supportedMech);
            return fail(invalid(u"the server chose a mechanism that was not offered: "_s +
                                (text ? *text : u"(malformed)"_s)));
        }
        m_selected = chosen;
        if (chosen != 0) {
            // RFC 4178 5: a mechanism other than the initiator's first choice needs the MIC
            // exchange; the optimistic token is void and the chosen mechanism starts afresh.
            m_micRequired = true;
            SpnegoMechanism &mechanism = *m_mechanisms[size_t(chosen)];
            m_diagnostics.append(
                u"server chose %1 over %2"_s.arg(mechanism.name(), m_mechanisms.front()->name()));
            if (response.responseToken && !response.responseToken->isEmpty())
                return fail(invalid(u"responseToken for a mechanism that has not started"_s));
            // RFC 4178 5: the acceptor answers request-mic here (MIT does; accept-incomplete
            // is tolerated).
            if (response.negState != Spnego::NegState::RequestMic &&
                response.negState != Spnego::NegState::AcceptIncomplete)
                return fail(invalid(u"the server switched mechanism but did not continue"_s));
            Result<QByteArray> token = mechanism.step({});
            if (!token)
                return fail(token.error());
            Spnego::NegTokenResp out;
            out.responseToken = *token;
            return Spnego::encodeNegTokenResp(out);
        }
        m_diagnostics.append(u"server accepted %1"_s.arg(m_mechanisms.front()->name()));
    } else if (response.supportedMech &&
               !m_mechanisms[size_t(m_selected)]->acceptsOid(*response.supportedMech)) {
        return fail(invalid(u"supportedMech changed after the first reply"_s));
    }

    SpnegoMechanism &mechanism = *m_mechanisms[size_t(m_selected)];
    const Spnego::NegState state = response.negState.value_or(Spnego::NegState::AcceptIncomplete);

    QByteArray outToken;
    if (response.responseToken) {
        if (mechanism.isComplete())
            return fail(invalid(u"responseToken after the mechanism completed"_s));
        Result<QByteArray> token = mechanism.step(*response.responseToken);
        if (!token)
            return fail(token.error());
        outToken = std::move(*token);
    } else if (!mechanism.isComplete()) {
        return fail(invalid(u"the server sent no token but the mechanism is not complete"_s));
    }

    if (response.mechListMic) {
        if (!mechanism.isComplete())
            return fail(invalid(u"mechListMIC before the mechanism completed"_s));
        if (m_micVerified)
            return fail(invalid(u"second mechListMIC"_s));
        if (Result<void> verified = mechanism.verifyMic(m_mechTypeListDer, *response.mechListMic);
            !verified) {
            return fail(makeError(ErrorCode::IntegrityFailure,
                                  u"SPNEGO: mechListMIC does not verify (mechTypes tampered?): "_s +
                                      verified.error().detail));
        }
        if (Result<void> hook = mechanism.mechListMicProcessed(MicDirection::Verified); !hook)
            return fail(hook.error());
        m_micVerified = true;
    }

    if (state == Spnego::NegState::AcceptCompleted) {
        if (!outToken.isEmpty())
            return fail(invalid(u"the server completed but the mechanism has more to send"_s));
        if (!mechanism.isComplete())
            return fail(invalid(u"the server completed but the mechanism did not"_s));
        if (m_micRequired && !m_micVerified)
            return fail(invalid(u"the server completed without the required mechListMIC"_s));
        m_state = State::Complete;
        return QByteArray();
    }

    Spnego::NegTokenResp out;
    if (!outToken.isEmpty())
        out.responseToken = outToken;
    const bool wantMic = m_micRequired || m_micVerified || mechanism.alwaysSendMechListMic() ||
                         state == Spnego::NegState::RequestMic;
    if (mechanism.isComplete() && wantMic && !m_micSent) {
        Result<QByteArray> mic = mechanism.getMic(m_mechTypeListDer);
        if (!mic)
            return fail(mic.error());
        if (Result<void> hook = mechanism.mechListMicProcessed(MicDirection::Sent); !hook)
            return fail(hook.error());
        out.mechListMic = *mic;
        m_micSent = true;
    }
    if (!out.responseToken && !out.mechListMic)
        return fail(invalid(u"the server expects more, but there is nothing to send"_s));
    return Spnego::encodeNegTokenResp(out);
}

Result<SpnegoMechanism *> SpnegoClient::established()
{
    if (m_state != State::Complete)
        return makeError(ErrorCode::InvalidState, u"SPNEGO: context not established"_s);
    return m_mechanisms[size_t(m_selected)].get();
}

Result<QByteArray> SpnegoClient::wrap(QByteArrayView plaintext)
{
    Result<SpnegoMechanism *> mechanism = established();
    if (!mechanism)
        return mechanism.error();
    return (*mechanism)->wrap(plaintext);
}

Result<QByteArray> SpnegoClient::unwrap(QByteArrayView token)
{
    Result<SpnegoMechanism *> mechanism = established();
    if (!mechanism)
        return mechanism.error();
    return (*mechanism)->unwrap(token);
}

Result<WrappedMessage> SpnegoClient::wrapWinrm(QByteArrayView plaintext)
{
    Result<SpnegoMechanism *> mechanism = established();
    if (!mechanism)
        return mechanism.error();
    return (*mechanism)->wrapWinrm(plaintext);
}

Result<QByteArray> SpnegoClient::unwrapWinrm(QByteArrayView header, QByteArrayView data)
{
    Result<SpnegoMechanism *> mechanism = established();
    if (!mechanism)
        return mechanism.error();
    return (*mechanism)->unwrapWinrm(header, data);
}

} // namespace Auth
