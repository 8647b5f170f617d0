#include "wsman/CertificateAuthenticator.h"

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

QByteArray CertificateAuthenticator::scheme() const
{
    return CertificateAuthScheme.toByteArray();
}

void CertificateAuthenticator::reset()
{
    m_sent = false;
    m_established = false;
}

AuthResult<AuthLeg> CertificateAuthenticator::begin()
{
    m_sent = true;
    m_established = false;
    return AuthLeg{requestAuthorization(), true};
}

AuthResult<AuthLeg> CertificateAuthenticator::continueWith(const QList<QByteArray> &)
{
    // There is nothing to negotiate: the only leg carried the header and the certificate went
    // with the TLS handshake, so a 401 after it is the server's final word. Before it (a 401 to
    // a request without the header), the header is the answer whatever the server offers: WinRM
    // does not list certificate authentication in WWW-Authenticate.
    if (m_sent)
        return AuthError{AuthErrorCode::Rejected, rejectedDetail()};
    return begin();
}

AuthResult<bool> CertificateAuthenticator::finish(const QList<QByteArray> &)
{
    m_established = m_sent;
    return m_established;
}

QByteArray CertificateAuthenticator::requestAuthorization() const
{
    return CertificateAuthScheme.toByteArray();
}

AuthResult<WrappedMessage> CertificateAuthenticator::wrap(const QByteArray &plaintext, const QByteArray &soapContentType)
{
    return WrappedMessage{plaintext, soapContentType};
}

AuthResult<WrappedMessage> CertificateAuthenticator::unwrap(const QByteArray &body, const QByteArray &contentType)
{
    if (contentType.trimmed().toLower().startsWith("multipart/encrypted"))
        return AuthError{AuthErrorCode::Unsupported, u"an encrypted body over certificate authentication"_s};
    return WrappedMessage{body, contentType};
}

QString CertificateAuthenticator::rejectedDetail()
{
    return u"the server did not accept the client certificate: it received none, does not trust its issuer, or "
           "has no certificate mapping to a local account for it. Check that the certificate has the Client "
           "Authentication EKU and a UPN, that its CA is trusted by the server, that a certmapping entry "
           "(winrm/config/service/certmapping) covers it, and that Service/Auth/Certificate is true"_s;
}

AuthenticatorFactory certificateAuthenticatorFactory()
{
    return [] { return std::make_unique<CertificateAuthenticator>(); };
}

} // namespace Wsman
