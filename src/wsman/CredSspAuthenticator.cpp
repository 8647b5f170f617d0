#include "wsman/CredSspAuthenticator.h"

#include "wsman/NegotiateAuthenticator.h"

#include "auth/Kerberos.h"
#include "auth/Ntlm.h"
#include "auth/Spnego.h"

#include <memory>
#include <utility>
#include <vector>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

// Kerberos principals are user@REALM; "DOMAIN\user" becomes user@DOMAIN (upper case).
QString kerberosUser(const QString &userName)
{
    const qsizetype slash = userName.indexOf(u'\\');
    if (slash < 0)
        return userName;
    return userName.mid(slash + 1) + u'@' + userName.left(slash).toUpper();
}

AuthError notOffered(const QList<QByteArray> &challenges)
{
    QStringList schemes;
    for (const QByteArray &challenge : challenges) {
        const QByteArray name = challenge.trimmed().split(' ').value(0).left(40);
        if (!name.isEmpty())
            schemes.append(QString::fromLatin1(name));
    }
    return AuthError{AuthErrorCode::SchemeNotOffered,
                     u"the server does not offer CredSSP authentication (it offers: %1)"_s.arg(
                         schemes.isEmpty() ? u"none"_s : schemes.join(u", "_s))};
}

} // namespace

CredSspAuthenticator::CredSspAuthenticator(CredSspSettings settings, Secret password)
    : m_settings(std::move(settings)), m_password(std::move(password)),
      m_encryption(MessageEncryption::CredSspProtocol.toByteArray())
{
}

CredSspAuthenticator::~CredSspAuthenticator() = default;

void CredSspAuthenticator::reset()
{
    m_client.reset();
    m_diagnostics.clear();
    m_state = State::Idle;
}

AuthError CredSspAuthenticator::failWith(AuthError error)
{
    m_state = State::Failed;
    m_client.reset();
    return error;
}

QString CredSspAuthenticator::mechanismName() const
{
    if (m_client && m_client->inner().mechanism())
        return m_client->inner().mechanism()->name();
    return {};
}

AuthResult<QByteArray> CredSspAuthenticator::startContext()
{
    if (m_password.isEmpty())
        return AuthError{AuthErrorCode::NoCredentials, u"CredSSP: delegation needs a password"_s};
    // Dossier 3.6: SPNEGO inside the TLS channel, Kerberos first and NTLM second.
    std::vector<std::unique_ptr<Auth::SpnegoMechanism>> mechanisms;
    if (m_settings.kerberos) {
        Auth::KerberosClientOptions kerberos;
        kerberos.host = m_settings.host;
        kerberos.port = quint16(qBound(0, m_settings.port, 65535));
        kerberos.user = kerberosUser(m_settings.userName);
        Auth::Result<std::unique_ptr<Auth::KerberosMechanism>> mechanism =
            Auth::KerberosMechanism::create(std::move(kerberos), m_password.utf8());
        if (mechanism)
            mechanisms.push_back(std::move(mechanism).value());
        else
            m_diagnostics.append(u"Kerberos unavailable: "_s + mechanism.error().detail);
    }
    Auth::NtlmClientOptions ntlm;
    ntlm.user = m_settings.userName;
    ntlm.targetSpn = u"HTTP/"_s + m_settings.host;
    Auth::Result<std::unique_ptr<Auth::NtlmMechanism>> mechanism =
        Auth::NtlmMechanism::create(std::move(ntlm), m_password.utf8());
    if (!mechanism)
        return authErrorFrom(mechanism.error(), u"CredSSP (NTLM)"_s);
    mechanisms.push_back(std::move(mechanism).value());

    Auth::CredSspClientOptions options;
    options.userName = m_settings.userName;
    options.minimumVersion = m_settings.minimumVersion;
    Auth::Result<Auth::CredSspClient> client = Auth::CredSspClient::create(
        std::move(options), Auth::SpnegoClient(std::move(mechanisms)), m_password.utf8());
    if (!client)
        return authErrorFrom(client.error(), u"CredSSP"_s);
    m_client.emplace(std::move(client).value());
    Auth::Result<QByteArray> hello = m_client->step({});
    if (!hello)
        return authErrorFrom(hello.error(), u"CredSSP"_s);
    return std::move(hello).value();
}

AuthResult<AuthLeg> CredSspAuthenticator::begin()
{
    reset();
    AuthResult<QByteArray> token = startContext();
    if (!token)
        return failWith(token.error());
    m_state = State::InProgress;
    return AuthLeg{scheme() + ' ' + token.value().toBase64(), false};
}

AuthResult<AuthLeg> CredSspAuthenticator::continueWith(const QList<QByteArray> &challenges)
{
    const std::optional<QByteArray> token = challengeToken(challenges, scheme());
    switch (m_state) {
    case State::Idle:
        if (!token)
            return failWith(notOffered(challenges));
        return begin();
    case State::Established:
    case State::Failed:
        return failWith(
            AuthError{AuthErrorCode::Rejected, u"CredSSP: the server refused the credentials"_s});
    case State::InProgress:
        break;
    }
    if (!token)
        return failWith(notOffered(challenges));
    const QByteArray::FromBase64Result decoded =
        QByteArray::fromBase64Encoding(*token, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return failWith(
            AuthError{AuthErrorCode::InvalidToken, u"the CredSSP challenge is not base64"_s});
    if (decoded.decoded.isEmpty() || m_client->isComplete()) {
        // MS-CSSP 3.1.5: a server refusing the delegated credentials may still say why in a
        // TSRequest.errorCode (v3+).
        if (m_client->isComplete() && !decoded.decoded.isEmpty()) {
            Auth::Result<QByteArray> plain = m_client->unwrap(decoded.decoded);
            Auth::Result<Auth::CredSsp::TsRequest> request =
                plain ? Auth::CredSsp::decodeTsRequest(*plain)
                      : Auth::Result<Auth::CredSsp::TsRequest>(plain.error());
            if (request && request->errorCode && *request->errorCode != 0)
                return failWith(authErrorFrom(Auth::CredSsp::errorForStatus(*request->errorCode),
                                              u"CredSSP"_s));
        }
        return failWith(
            AuthError{AuthErrorCode::Rejected,
                      m_client->isComplete()
                          ? u"CredSSP: the server refused the delegated credentials"_s
                          : u"CredSSP: the server refused the credentials (logon failure)"_s});
    }
    const qsizetype known = m_client->inner().diagnostics().size();
    Auth::Result<QByteArray> out = m_client->step(decoded.decoded);
    m_diagnostics.append(m_client->inner().diagnostics().mid(known));
    if (!out)
        return failWith(authErrorFrom(out.error(), u"CredSSP"_s));
    return AuthLeg{scheme() + ' ' + out.value().toBase64(), m_client->isComplete()};
}

AuthResult<bool> CredSspAuthenticator::finish(const QList<QByteArray> &challenges)
{
    Q_UNUSED(challenges); // MS-CSSP: nothing follows the server's acceptance of authInfo.
    if (m_state != State::InProgress)
        return isEstablished();
    if (!m_client || !m_client->isComplete())
        return failWith(
            AuthError{AuthErrorCode::InvalidToken,
                      u"CredSSP: the server accepted before the credentials were delegated"_s});
    m_state = State::Established;
    return true;
}

AuthResult<WrappedMessage> CredSspAuthenticator::wrap(const QByteArray &plaintext,
                                                      const QByteArray &soapContentType)
{
    // Dossier 4.5: each part is TLS-encrypted; L = the suite's trailer; > 16 KiB in parts.
    return m_encryption.wrapBody(
        m_settings.encryptMessages, isEstablished(), plaintext, soapContentType,
        [this](QByteArrayView part) -> AuthResult<SealedPart> {
            Auth::Result<Auth::WrappedMessage> sealed = m_client->wrapWinrm(part);
            if (!sealed)
                return authErrorFrom(sealed.error(), u"CredSSP"_s);
            return SealedPart{std::move(sealed->header), std::move(sealed->data)};
        },
        MaxPartSize);
}

AuthResult<WrappedMessage> CredSspAuthenticator::unwrap(const QByteArray &body,
                                                        const QByteArray &contentType)
{
    return m_encryption.unwrapBody(
        m_settings.encryptMessages, isEstablished(), body, contentType,
        [this](QByteArrayView header, QByteArrayView data) -> AuthResult<QByteArray> {
            Auth::Result<QByteArray> plain = m_client->unwrapWinrm(header, data);
            if (!plain)
                return authErrorFrom(plain.error(), u"CredSSP"_s);
            return std::move(plain).value();
        });
}

AuthenticatorFactory credSspAuthenticatorFactory(CredSspSettings settings, Secret password)
{
    auto shared = std::make_shared<Secret>(std::move(password));
    return [settings = std::move(settings), shared]() -> std::unique_ptr<Authenticator> {
        return std::make_unique<CredSspAuthenticator>(settings, Secret::fromUtf8(shared->utf8()));
    };
}

} // namespace Wsman
