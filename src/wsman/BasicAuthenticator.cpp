#include "wsman/BasicAuthenticator.h"

#include <openssl/crypto.h>

#include <cstring>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

BasicAuthenticator::BasicAuthenticator(QString userName, Secret password)
{
    // RFC 7617: base64(user ":" password), UTF-8.
    QByteArray plain = userName.toUtf8();
    plain.append(':');
    plain.append(password.utf8().data(), password.utf8().size());
    QByteArray encoded = plain.toBase64();
    QByteArray header = QByteArrayLiteral("Basic ") + encoded;
    m_header = Secret::fromUtf8(header);
    OPENSSL_cleanse(plain.data(), size_t(plain.size()));
    OPENSSL_cleanse(encoded.data(), size_t(encoded.size()));
    OPENSSL_cleanse(header.data(), size_t(header.size()));
    password.clear();
}

BasicAuthenticator::~BasicAuthenticator() = default;

QByteArray BasicAuthenticator::scheme() const
{
    return QByteArrayLiteral("Basic");
}

void BasicAuthenticator::reset()
{
    m_sent = false;
    m_established = false;
}

AuthResult<AuthLeg> BasicAuthenticator::begin()
{
    m_sent = true;
    m_established = false;
    return AuthLeg{m_header.utf8().toByteArray(), true};
}

AuthResult<AuthLeg> BasicAuthenticator::continueWith(const QList<QByteArray> &challenges)
{
    if (m_sent)
        return AuthError{AuthErrorCode::Rejected, u"the server refused the Basic credentials"_s};
    if (!challengeToken(challenges, "Basic"))
        return AuthError{AuthErrorCode::SchemeNotOffered, u"the server does not offer Basic authentication"_s};
    return begin();
}

AuthResult<bool> BasicAuthenticator::finish(const QList<QByteArray> &)
{
    m_established = m_sent;
    return m_established;
}

QByteArray BasicAuthenticator::requestAuthorization() const
{
    return m_header.utf8().toByteArray();
}

AuthResult<WrappedMessage> BasicAuthenticator::wrap(const QByteArray &plaintext, const QByteArray &soapContentType)
{
    return WrappedMessage{plaintext, soapContentType};
}

AuthResult<WrappedMessage> BasicAuthenticator::unwrap(const QByteArray &body, const QByteArray &contentType)
{
    if (contentType.trimmed().toLower().startsWith("multipart/encrypted"))
        return AuthError{AuthErrorCode::Unsupported, u"an encrypted body over Basic authentication"_s};
    return WrappedMessage{body, contentType};
}

} // namespace Wsman
