#include "wsman/DigestAuthenticator.h"

#include "auth/Error.h"

#include <QStringList>

#include <memory>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

const QString Prefix = u"Digest"_s;

// The schemes the 401 names, in order, for the "not offered" message.
QStringList offeredSchemes(const QList<QByteArray> &challenges)
{
    QStringList schemes;
    for (const QByteArray &value : challenges) {
        QList<QByteArray> names;
        if (auto parsed = Auth::parseChallenges(value)) {
            for (const Auth::AuthChallenge &c : parsed.value())
                names.append(c.scheme);
        } else {
            const QByteArray trimmed = value.trimmed();
            const qsizetype end = trimmed.indexOf(' ');
            names.append(trimmed.left(end < 0 ? qMin<qsizetype>(trimmed.size(), 64) : qMin<qsizetype>(end, 64)));
        }
        for (const QByteArray &name : std::as_const(names)) {
            const QString s = QString::fromLatin1(name);
            if (!s.isEmpty() && !schemes.contains(s, Qt::CaseInsensitive))
                schemes.append(s);
        }
    }
    return schemes;
}

} // namespace

DigestAuthenticator::DigestAuthenticator(QString userName, Secret password, QByteArray requestUri,
                                         Auth::CnonceSource cnonce)
    : m_userName(userName)
    , m_requestUri(std::move(requestUri))
    , m_client(std::move(userName), password.utf8(), std::move(cnonce))
{
    password.clear();
}

DigestAuthenticator::~DigestAuthenticator() = default;

QByteArray DigestAuthenticator::scheme() const
{
    return QByteArrayLiteral("Digest");
}

void DigestAuthenticator::reset()
{
    m_client.clearChallenge();
    m_state = State::Idle;
    m_staleRetries = 0;
}

AuthResult<AuthLeg> DigestAuthenticator::begin()
{
    // RFC 7616 section 3.3: no credentials can be computed before the server's challenge.
    m_client.clearChallenge();
    m_state = State::AwaitingChallenge;
    m_staleRetries = 0;
    return AuthLeg{QByteArray(), false};
}

AuthResult<AuthLeg> DigestAuthenticator::continueWith(const QList<QByteArray> &challenges)
{
    auto selected = Auth::selectDigestChallenge(challenges);
    if (!selected) {
        if (selected.error().code != Auth::ErrorCode::InvalidArgument)
            return authErrorFrom(selected.error(), Prefix);
        const QStringList offered = offeredSchemes(challenges);
        const QString what = offered.isEmpty() ? u"the server's 401 names no authentication scheme"_s
                                               : u"the server offers only %1"_s.arg(offered.join(u", "_s));
        return AuthError{AuthErrorCode::SchemeNotOffered,
                         u"Digest authentication is not offered: %1. WinRM servers never offer Digest (only a proxy in "
                         "front of one can); use Negotiate, Kerberos, CredSSP, Basic or a client certificate"_s.arg(what)};
    }
    if (m_state == State::Responded || m_state == State::Established) {
        // RFC 7616 section 3.3: stale=true means the nonce expired, not that the password is wrong.
        if (!selected->stale)
            return AuthError{AuthErrorCode::Rejected,
                             u"Digest: the server refused the credentials of user '%1' for realm '%2'"_s.arg(
                                 m_userName, QString::fromUtf8(selected->realm.left(256)))};
        if (++m_staleRetries > 2)
            return AuthError{AuthErrorCode::Rejected, u"Digest: the server keeps answering with a stale nonce"_s};
    }
    return respond(std::move(selected.value()));
}

AuthResult<AuthLeg> DigestAuthenticator::respond(Auth::DigestChallenge challenge)
{
    m_client.setChallenge(std::move(challenge));
    auto authorization = m_client.authorization("POST", m_requestUri);
    if (!authorization)
        return authErrorFrom(authorization.error(), Prefix);
    m_state = State::Responded;
    return AuthLeg{std::move(authorization.value()), true};
}

AuthResult<bool> DigestAuthenticator::finish(const QList<QByteArray> &)
{
    // A 2xx to the first, credential-less request: the server asks for no authentication.
    if (m_state == State::Responded || m_state == State::AwaitingChallenge)
        m_state = State::Established;
    return m_state == State::Established;
}

QByteArray DigestAuthenticator::requestAuthorization() const
{
    if (!m_client.hasChallenge())
        return {};
    auto authorization = m_client.authorization("POST", m_requestUri);
    return authorization ? std::move(authorization.value()) : QByteArray();
}

AuthResult<bool> DigestAuthenticator::verifyAuthenticationInfo(const QByteArray &headerValue)
{
    auto verified = m_client.verifyAuthenticationInfo(headerValue);
    if (!verified)
        return authErrorFrom(verified.error(), Prefix);
    return true;
}

AuthResult<WrappedMessage> DigestAuthenticator::wrap(const QByteArray &plaintext, const QByteArray &soapContentType)
{
    return WrappedMessage{plaintext, soapContentType};
}

AuthResult<WrappedMessage> DigestAuthenticator::unwrap(const QByteArray &body, const QByteArray &contentType)
{
    if (contentType.trimmed().toLower().startsWith("multipart/encrypted"))
        return AuthError{AuthErrorCode::Unsupported, u"an encrypted body over Digest authentication"_s};
    return WrappedMessage{body, contentType};
}

QByteArray digestRequestUri(const QUrl &endpoint)
{
    QByteArray uri = endpoint.path(QUrl::FullyEncoded).toLatin1();
    if (uri.isEmpty())
        uri = QByteArrayLiteral("/");
    if (endpoint.hasQuery())
        uri += '?' + endpoint.query(QUrl::FullyEncoded).toLatin1();
    return uri;
}

AuthenticatorFactory digestAuthenticatorFactory(QString userName, Secret password, QUrl endpoint)
{
    auto shared = std::make_shared<Secret>(std::move(password));
    return [userName = std::move(userName), shared, uri = digestRequestUri(endpoint)]() -> std::unique_ptr<Authenticator> {
        return std::make_unique<DigestAuthenticator>(userName, Secret::fromUtf8(shared->utf8()), uri);
    };
}

} // namespace Wsman
