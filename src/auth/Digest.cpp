#include "auth/Digest.h"

#include "auth/CryptoProvider.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

#include <openssl/crypto.h>

#include <array>

using namespace Qt::Literals::StringLiterals;

namespace Auth {

namespace {

constexpr qsizetype MaxHeaderSize = 16 * 1024;
constexpr qsizetype MaxChallenges = 32;
constexpr qsizetype MaxParams = 32;

bool isTchar(char c)
{
    // RFC 7230 section 3.2.6 tchar
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken68Char(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

Error syntaxError(const QString &what, qsizetype offset)
{
    return makeError(ErrorCode::InvalidToken, u"malformed authentication header: %1 at offset %2"_s.arg(what).arg(offset));
}

// A read position in one header value (RFC 7235 grammar, OWS = SP / HTAB).
class Cursor {
public:
    explicit Cursor(QByteArrayView text) : m_text(text) {}

    bool atEnd() const { return m_pos >= m_text.size(); }
    char peek() const { return m_text[m_pos]; }
    qsizetype pos() const { return m_pos; }
    void setPos(qsizetype pos) { m_pos = pos; }
    void advance() { ++m_pos; }

    void skipOws()
    {
        while (!atEnd() && (peek() == ' ' || peek() == '\t'))
            ++m_pos;
    }
    void skipOwsAndCommas()
    {
        while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == ','))
            ++m_pos;
    }
    QByteArrayView token()
    {
        const qsizetype start = m_pos;
        while (!atEnd() && isTchar(peek()))
            ++m_pos;
        return m_text.sliced(start, m_pos - start);
    }
    QByteArrayView token68()
    {
        const qsizetype start = m_pos;
        while (!atEnd() && isToken68Char(peek()))
            ++m_pos;
        if (m_pos == start)
            return {};
        while (!atEnd() && peek() == '=')
            ++m_pos;
        return m_text.sliced(start, m_pos - start);
    }

private:
    QByteArrayView m_text;
    qsizetype m_pos = 0;
};

enum class ParamOutcome { Parsed, NotAParam, Malformed };

// RFC 7230 section 3.2.6 quoted-string, the cursor on the opening quote.
bool readQuoted(Cursor &c, QByteArray &out)
{
    c.advance();
    while (!c.atEnd()) {
        const auto ch = static_cast<unsigned char>(c.peek());
        c.advance();
        if (ch == '"')
            return true;
        if (ch == '\\') {
            if (c.atEnd())
                return false;
            const auto escaped = static_cast<unsigned char>(c.peek());
            if ((escaped < 0x20 && escaped != '\t') || escaped == 0x7f)
                return false;
            out.append(char(escaped));
            c.advance();
            continue;
        }
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
        out.append(char(ch));
    }
    return false;
}

// auth-param = token BWS "=" BWS ( token / quoted-string ); the cursor is restored unless Parsed.
ParamOutcome readParam(Cursor &c, std::pair<QByteArray, QByteArray> &param)
{
    const qsizetype start = c.pos();
    const QByteArrayView name = c.token();
    if (name.isEmpty()) {
        c.setPos(start);
        return ParamOutcome::NotAParam;
    }
    c.skipOws();
    if (c.atEnd() || c.peek() != '=') {
        c.setPos(start);
        return ParamOutcome::NotAParam;
    }
    c.advance();
    c.skipOws();
    QByteArray value;
    if (!c.atEnd() && c.peek() == '"') {
        if (!readQuoted(c, value))
            return ParamOutcome::Malformed;
    } else {
        const QByteArrayView v = c.token();
        if (v.isEmpty()) {
            c.setPos(start);
            return ParamOutcome::NotAParam;
        }
        value = v.toByteArray();
    }
    param = {name.toByteArray().toLower(), std::move(value)};
    return ParamOutcome::Parsed;
}

Result<void> addParam(QList<std::pair<QByteArray, QByteArray>> &params, std::pair<QByteArray, QByteArray> param,
                      qsizetype offset)
{
    if (params.size() >= MaxParams)
        return syntaxError(u"more than %1 parameters"_s.arg(MaxParams), offset);
    for (const auto &existing : std::as_const(params)) {
        if (existing.first == param.first) // RFC 7235 section 2.1: each name at most once
            return syntaxError(u"parameter '%1' given twice"_s.arg(QString::fromLatin1(param.first)), offset);
    }
    params.append(std::move(param));
    return {};
}

QCryptographicHash::Algorithm qtAlgorithm(HttpDigestAlgorithm algorithm)
{
    switch (algorithm) {
    case HttpDigestAlgorithm::Md5:
    case HttpDigestAlgorithm::Md5Sess:
        return QCryptographicHash::Md5;
    case HttpDigestAlgorithm::Sha256:
    case HttpDigestAlgorithm::Sha256Sess:
        return QCryptographicHash::Sha256;
    }
    return QCryptographicHash::Sha256;
}

bool isSess(HttpDigestAlgorithm algorithm)
{
    return algorithm == HttpDigestAlgorithm::Md5Sess || algorithm == HttpDigestAlgorithm::Sha256Sess;
}

bool isSha256(HttpDigestAlgorithm algorithm)
{
    return algorithm == HttpDigestAlgorithm::Sha256 || algorithm == HttpDigestAlgorithm::Sha256Sess;
}

void appendQuoted(QByteArray &out, QByteArrayView value)
{
    out.append('"');
    for (const char c : value) {
        if (c == '"' || c == '\\')
            out.append('\\');
        out.append(c);
    }
    out.append('"');
}

bool isPlainAscii(const QByteArray &text)
{
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e)
            return false;
    }
    return true;
}

// RFC 8187 section 3.2.1 ext-value: UTF-8''pct-encoded, attr-char kept.
QByteArray extValue(const QByteArray &utf8)
{
    static constexpr char Hex[] = "0123456789ABCDEF";
    QByteArray out = QByteArrayLiteral("UTF-8''");
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        const bool attrChar = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
                              || QByteArrayView("!#$&+-.^_`|~").contains(c);
        if (attrChar) {
            out.append(c);
        } else {
            out.append('%');
            out.append(Hex[u >> 4]);
            out.append(Hex[u & 0x0f]);
        }
    }
    return out;
}

QByteArray defaultCnonce()
{
    std::array<quint32, 4> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    return QByteArray(reinterpret_cast<const char *>(words.data()), qsizetype(sizeof(words))).toHex();
}

bool constantTimeEqual(const QByteArray &a, const QByteArray &b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.constData(), b.constData(), size_t(a.size())) == 0;
}

} // namespace

std::optional<QByteArray> AuthChallenge::param(QByteArrayView name) const
{
    for (const auto &p : params) {
        if (p.first == name)
            return p.second;
    }
    return std::nullopt;
}

Result<QList<AuthChallenge>> parseChallenges(QByteArrayView headerValue)
{
    if (headerValue.size() > MaxHeaderSize)
        return makeError(ErrorCode::InvalidToken,
                         u"authentication header of %1 bytes exceeds the limit of %2"_s.arg(headerValue.size()).arg(MaxHeaderSize));
    QList<AuthChallenge> out;
    Cursor c(headerValue);
    while (true) {
        c.skipOwsAndCommas();
        if (c.atEnd())
            break;
        if (out.size() >= MaxChallenges)
            return syntaxError(u"more than %1 challenges"_s.arg(MaxChallenges), c.pos());
        AuthChallenge challenge;
        challenge.scheme = c.token().toByteArray();
        if (challenge.scheme.isEmpty())
            return syntaxError(u"expected an authentication scheme"_s, c.pos());
        if (!c.atEnd() && c.peek() != ',') {
            if (c.peek() != ' ' && c.peek() != '\t')
                return syntaxError(u"unexpected character after the scheme"_s, c.pos());
            c.skipOws();
        }
        if (!c.atEnd() && c.peek() != ',') {
            std::pair<QByteArray, QByteArray> param;
            switch (readParam(c, param)) {
            case ParamOutcome::Malformed:
                return syntaxError(u"unterminated or invalid quoted-string"_s, c.pos());
            case ParamOutcome::NotAParam:
                challenge.token68 = c.token68().toByteArray();
                if (challenge.token68.isEmpty())
                    return syntaxError(u"expected a token68 or parameters"_s, c.pos());
                c.skipOws();
                if (!c.atEnd() && c.peek() != ',')
                    return syntaxError(u"unexpected character after a token68"_s, c.pos());
                break;
            case ParamOutcome::Parsed:
                if (auto added = addParam(challenge.params, std::move(param), c.pos()); !added)
                    return added.error();
                while (true) {
                    c.skipOws();
                    if (c.atEnd())
                        break;
                    if (c.peek() != ',')
                        return syntaxError(u"expected ','"_s, c.pos());
                    const qsizetype beforeComma = c.pos();
                    c.skipOwsAndCommas();
                    if (c.atEnd())
                        break;
                    const ParamOutcome next = readParam(c, param);
                    if (next == ParamOutcome::Malformed)
                        return syntaxError(u"unterminated or invalid quoted-string"_s, c.pos());
                    if (next == ParamOutcome::NotAParam) {
                        c.setPos(beforeComma); // the next challenge starts here
                        break;
                    }
                    if (auto added = addParam(challenge.params, std::move(param), c.pos()); !added)
                        return added.error();
                }
                break;
            }
        }
        out.append(std::move(challenge));
    }
    return out;
}

Result<QList<std::pair<QByteArray, QByteArray>>> parseAuthParams(QByteArrayView headerValue)
{
    if (headerValue.size() > MaxHeaderSize)
        return makeError(ErrorCode::InvalidToken,
                         u"authentication header of %1 bytes exceeds the limit of %2"_s.arg(headerValue.size()).arg(MaxHeaderSize));
    QList<std::pair<QByteArray, QByteArray>> params;
    Cursor c(headerValue);
    while (true) {
        c.skipOwsAndCommas();
        if (c.atEnd())
            break;
        std::pair<QByteArray, QByteArray> param;
        if (readParam(c, param) != ParamOutcome::Parsed)
            return syntaxError(u"expected name=value"_s, c.pos());
        if (auto added = addParam(params, std::move(param), c.pos()); !added)
            return added.error();
        c.skipOws();
        if (!c.atEnd() && c.peek() != ',')
            return syntaxError(u"expected ','"_s, c.pos());
    }
    return params;
}

Result<DigestChallenge> parseDigestChallenge(const AuthChallenge &challenge)
{
    if (challenge.scheme.compare("Digest", Qt::CaseInsensitive) != 0)
        return makeError(ErrorCode::InvalidArgument,
                         u"not a Digest challenge: %1"_s.arg(QString::fromLatin1(challenge.scheme.left(64))));
    if (!challenge.token68.isEmpty())
        return makeError(ErrorCode::InvalidToken, u"Digest challenge carries a token68 instead of parameters"_s);
    DigestChallenge d;
    // RFC 7616 section 3.3: realm and nonce are required.
    const auto realm = challenge.param("realm");
    const auto nonce = challenge.param("nonce");
    if (!realm)
        return makeError(ErrorCode::InvalidToken, u"Digest challenge without realm"_s);
    if (!nonce || nonce->isEmpty())
        return makeError(ErrorCode::InvalidToken, u"Digest challenge without nonce"_s);
    d.realm = *realm;
    d.nonce = *nonce;
    d.opaque = challenge.param("opaque");
    if (const auto algorithm = challenge.param("algorithm")) {
        const QByteArray a = algorithm->toUpper();
        if (a == "MD5")
            d.algorithm = HttpDigestAlgorithm::Md5;
        else if (a == "MD5-SESS")
            d.algorithm = HttpDigestAlgorithm::Md5Sess;
        else if (a == "SHA-256")
            d.algorithm = HttpDigestAlgorithm::Sha256;
        else if (a == "SHA-256-SESS")
            d.algorithm = HttpDigestAlgorithm::Sha256Sess;
        else
            return makeError(ErrorCode::Unsupported,
                             u"Digest algorithm '%1' is not supported (MD5, MD5-sess, SHA-256, SHA-256-sess are)"_s.arg(
                                 QString::fromLatin1(algorithm->left(64))));
    }
    if (const auto qop = challenge.param("qop")) {
        for (const QByteArray &option : qop->split(',')) {
            const QByteArray o = option.trimmed().toLower();
            if (o == "auth")
                d.qopAuth = true;
            else if (o == "auth-int")
                d.qopAuthInt = true;
        }
        if (!d.qopAuth) {
            if (d.qopAuthInt)
                return makeError(ErrorCode::Unsupported,
                                 u"the server requires Digest qop=auth-int (a hash of every body), which this client does not provide; "
                                 "it needs qop=auth"_s);
            return makeError(ErrorCode::Unsupported,
                             u"Digest qop '%1' offers no quality of protection this client knows (auth)"_s.arg(
                                 QString::fromLatin1(qop->left(64))));
        }
    } else {
        d.legacy = true; // RFC 2069 compatibility: response without nc and cnonce
        if (isSess(d.algorithm))
            return makeError(ErrorCode::InvalidToken, u"Digest -sess algorithm without qop"_s);
    }
    d.stale = challenge.param("stale").value_or(QByteArray()).compare("true", Qt::CaseInsensitive) == 0;
    d.userhash = challenge.param("userhash").value_or(QByteArray()).compare("true", Qt::CaseInsensitive) == 0;
    d.charsetUtf8 = challenge.param("charset").value_or(QByteArray()).compare("UTF-8", Qt::CaseInsensitive) == 0;
    return d;
}

Result<DigestChallenge> selectDigestChallenge(const QList<QByteArray> &headerValues)
{
    std::optional<DigestChallenge> best;
    std::optional<Error> unusable;
    std::optional<Error> malformed;
    for (const QByteArray &value : headerValues) {
        auto challenges = parseChallenges(value);
        if (!challenges) {
            malformed = challenges.error();
            continue;
        }
        for (const AuthChallenge &challenge : challenges.value()) {
            if (challenge.scheme.compare("Digest", Qt::CaseInsensitive) != 0)
                continue;
            auto digest = parseDigestChallenge(challenge);
            if (!digest) {
                unusable = digest.error();
                continue;
            }
            // RFC 7616 section 3.7: the strongest hash the client supports.
            if (!best || (isSha256(digest->algorithm) && !isSha256(best->algorithm)))
                best = std::move(digest.value());
        }
    }
    if (best)
        return *std::move(best);
    if (unusable)
        return *unusable;
    if (malformed)
        return *malformed;
    return makeError(ErrorCode::InvalidArgument, u"no Digest challenge offered"_s);
}

QByteArray digestHash(HttpDigestAlgorithm algorithm, const QByteArray &data)
{
    return QCryptographicHash::hash(data, qtAlgorithm(algorithm)).toHex();
}

QByteArray digestAlgorithmName(HttpDigestAlgorithm algorithm)
{
    switch (algorithm) {
    case HttpDigestAlgorithm::Md5:
        return QByteArrayLiteral("MD5");
    case HttpDigestAlgorithm::Md5Sess:
        return QByteArrayLiteral("MD5-sess");
    case HttpDigestAlgorithm::Sha256:
        return QByteArrayLiteral("SHA-256");
    case HttpDigestAlgorithm::Sha256Sess:
        return QByteArrayLiteral("SHA-256-sess");
    }
    return {};
}

DigestClient::DigestClient(QString userName, QByteArrayView passwordUtf8, CnonceSource cnonce)
    : m_userName(std::move(userName))
    , m_password(passwordUtf8.toByteArray())
    , m_cnonce(cnonce ? std::move(cnonce) : CnonceSource(defaultCnonce))
{
}

DigestClient::~DigestClient()
{
    wipe(m_password);
    if (m_last)
        wipe(m_last->ha1);
}

void DigestClient::setChallenge(DigestChallenge challenge)
{
    m_challenge = std::move(challenge);
    m_nonceCount = 0;
    m_sessionCnonce.clear();
}

void DigestClient::clearChallenge()
{
    m_challenge.reset();
    m_nonceCount = 0;
    m_sessionCnonce.clear();
    if (m_last)
        wipe(m_last->ha1);
    m_last.reset();
}

QByteArray DigestClient::hash(const QByteArray &data) const
{
    return digestHash(m_challenge->algorithm, data);
}

Result<QByteArray> DigestClient::ha1For(const DigestChallenge &challenge, const QByteArray &cnonce)
{
    // RFC 7616 section 3.4.2: A1 = unq(username):unq(realm):passwd, -sess adds :nonce:cnonce.
    QByteArray a1 = m_userName.toUtf8() + ':' + challenge.realm + ':' + m_password;
    WipeOnExit wipeA1(a1);
    QByteArray ha1 = digestHash(challenge.algorithm, a1);
    if (isSess(challenge.algorithm)) {
        QByteArray sess = ha1 + ':' + challenge.nonce + ':' + cnonce;
        wipe(ha1);
        ha1 = digestHash(challenge.algorithm, sess);
        wipe(sess);
    }
    return ha1;
}

Result<QByteArray> DigestClient::authorization(QByteArrayView method, QByteArrayView requestUri)
{
    if (!m_challenge)
        return makeError(ErrorCode::InvalidState, u"Digest: no challenge to answer yet"_s);
    if (m_nonceCount == 0xffffffffu)
        return makeError(ErrorCode::InvalidState, u"Digest: nonce count exhausted; a new nonce is needed"_s);
    const DigestChallenge &ch = *m_challenge;
    const quint32 nc = m_nonceCount + 1;
    const QByteArray ncText = QByteArray::number(nc, 16).rightJustified(8, '0');

    QByteArray cnonce;
    if (!ch.legacy) {
        if (isSess(ch.algorithm)) {
            if (m_sessionCnonce.isEmpty())
                m_sessionCnonce = m_cnonce();
            cnonce = m_sessionCnonce;
        } else {
            cnonce = m_cnonce();
        }
        if (cnonce.isEmpty())
            return makeError(ErrorCode::CryptoFailure, u"Digest: no client nonce"_s);
    }
    auto ha1 = ha1For(ch, cnonce);
    if (!ha1)
        return ha1.error();
    QByteArray &ha1Value = ha1.value();

    // RFC 7616 section 3.4.3: A2 = Method:request-uri (qop=auth).
    const QByteArray ha2 = hash(method.toByteArray() + ':' + requestUri.toByteArray());
    QByteArray response;
    if (ch.legacy)
        response = hash(ha1Value + ':' + ch.nonce + ':' + ha2);
    else
        response = hash(ha1Value + ':' + ch.nonce + ':' + ncText + ':' + cnonce + ":auth:" + ha2);

    QByteArray header = QByteArrayLiteral("Digest ");
    const QByteArray user = m_userName.toUtf8();
    if (ch.userhash) {
        // RFC 7616 section 3.4.4: username = H(unq(username):unq(realm)).
        header.append("username=");
        appendQuoted(header, hash(user + ':' + ch.realm));
    } else if (isPlainAscii(user)) {
        header.append("username=");
        appendQuoted(header, user);
    } else {
        header.append("username*=" + extValue(user)); // RFC 7616 section 3.4.4, RFC 8187
    }
    header.append(", realm=");
    appendQuoted(header, ch.realm);
    header.append(", uri=");
    appendQuoted(header, requestUri);
    header.append(", algorithm=" + digestAlgorithmName(ch.algorithm));
    header.append(", nonce=");
    appendQuoted(header, ch.nonce);
    if (!ch.legacy) {
        header.append(", nc=" + ncText + ", cnonce=");
        appendQuoted(header, cnonce);
        header.append(", qop=auth");
    }
    header.append(", response=");
    appendQuoted(header, response);
    if (ch.opaque) {
        header.append(", opaque=");
        appendQuoted(header, *ch.opaque);
    }
    if (ch.userhash)
        header.append(", userhash=true");

    m_nonceCount = nc;
    if (m_last)
        wipe(m_last->ha1);
    m_last = Sent{requestUri.toByteArray(), cnonce, ncText, std::move(ha1Value)};
    return header;
}

Result<void> DigestClient::verifyAuthenticationInfo(QByteArrayView headerValue)
{
    auto params = parseAuthParams(headerValue);
    if (!params)
        return params.error();
    std::optional<QByteArray> rspauth;
    std::optional<QByteArray> nextnonce;
    std::optional<QByteArray> cnonce;
    std::optional<QByteArray> nc;
    std::optional<QByteArray> qop;
    for (const auto &[name, value] : params.value()) {
        if (name == "rspauth")
            rspauth = value;
        else if (name == "nextnonce")
            nextnonce = value;
        else if (name == "cnonce")
            cnonce = value;
        else if (name == "nc")
            nc = value;
        else if (name == "qop")
            qop = value;
    }
    if (rspauth) {
        if (!m_challenge || !m_last)
            return makeError(ErrorCode::InvalidState, u"Digest: Authentication-Info without a request it could answer"_s);
        if (cnonce && *cnonce != m_last->cnonce)
            return makeError(ErrorCode::IntegrityFailure, u"Digest: Authentication-Info names another cnonce"_s);
        if (nc && nc->toLower() != m_last->nc)
            return makeError(ErrorCode::IntegrityFailure, u"Digest: Authentication-Info names another nonce count"_s);
        if (qop && qop->compare("auth", Qt::CaseInsensitive) != 0)
            return makeError(ErrorCode::InvalidToken, u"Digest: Authentication-Info qop is not auth"_s);
        // RFC 7616 section 3.5: rspauth is the response with A2 = ":" request-uri.
        const QByteArray ha2 = hash(':' + m_last->uri);
        const QByteArray expected = m_challenge->legacy
                                        ? hash(m_last->ha1 + ':' + m_challenge->nonce + ':' + ha2)
                                        : hash(m_last->ha1 + ':' + m_challenge->nonce + ':' + m_last->nc + ':'
                                               + m_last->cnonce + ":auth:" + ha2);
        if (!constantTimeEqual(expected, rspauth->toLower()))
            return makeError(ErrorCode::IntegrityFailure,
                             u"Digest: the server's rspauth does not match: it does not know the password, or the answer was altered"_s);
    }
    if (nextnonce && !nextnonce->isEmpty() && m_challenge) {
        m_challenge->nonce = *nextnonce;
        m_challenge->stale = false;
        m_nonceCount = 0;
        m_sessionCnonce.clear();
    }
    return {};
}

} // namespace Auth
