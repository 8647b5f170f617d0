#include "wsman/NegotiateAuthenticator.h"

#include "auth/CryptoProvider.h"
#include "auth/Ntlm.h"

#include <vector>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

// The schemes a 401 offers, for "the server offers X" (first word of each value).
QString offeredSchemes(const QList<QByteArray> &challenges)
{
    QStringList schemes;
    for (const QByteArray &challenge : challenges) {
        const QByteArray name = challenge.trimmed().split(' ').value(0).left(40);
        if (!name.isEmpty())
            schemes.append(QString::fromLatin1(name));
    }
    return schemes.isEmpty() ? u"none"_s : schemes.join(u", "_s);
}

// Kerberos principals are user@REALM; "DOMAIN\user" becomes user@DOMAIN (upper case).
QString kerberosUser(const QString &userName)
{
    const qsizetype slash = userName.indexOf(u'\\');
    if (slash < 0)
        return userName;
    return userName.mid(slash + 1) + u'@' + userName.left(slash).toUpper();
}

} // namespace

NegotiateAuthenticator::NegotiateAuthenticator(Mode mode, NegotiateSettings settings,
                                               Secret password)
    : m_mode(mode), m_settings(std::move(settings)), m_password(std::move(password)),
      m_encryption(mode == Mode::Kerberos ? MessageEncryption::KerberosProtocol.toByteArray()
                                          : MessageEncryption::SpnegoProtocol.toByteArray())
{
}

NegotiateAuthenticator::~NegotiateAuthenticator() = default;

QByteArray NegotiateAuthenticator::scheme() const
{
    return m_mode == Mode::Kerberos ? QByteArrayLiteral("Kerberos")
                                    : QByteArrayLiteral("Negotiate");
}

void NegotiateAuthenticator::reset()
{
    m_spnego.reset();
    m_kerberos.reset();
    m_diagnostics.clear();
    m_state = State::Idle;
}

AuthError NegotiateAuthenticator::failWith(AuthError error)
{
    m_state = State::Failed;
    return error;
}

Auth::KerberosClientOptions NegotiateAuthenticator::kerberosOptions() const
{
    Auth::KerberosClientOptions options;
    options.host = m_settings.host;
    options.port = quint16(qBound(0, m_settings.port, 65535));
    options.includePortInSpn = m_settings.includePortInSpn;
    options.user = kerberosUser(m_settings.userName);
    options.channelBindings = m_bindings;
    return options;
}

AuthResult<QByteArray> NegotiateAuthenticator::startContext()
{
    const QByteArrayView password =
        m_settings.useTicketCache ? QByteArrayView() : m_password.utf8();
    if (m_mode == Mode::Kerberos) {
        // Dossier 3.5: the "Kerberos" scheme carries the raw krb5 AP-REQ.
        Auth::Result<Auth::KerberosClient> client =
            Auth::KerberosClient::create(kerberosOptions(), password);
        if (!client)
            return authErrorFrom(client.error(), u"Kerberos"_s);
        m_kerberos.emplace(std::move(client).value());
        Auth::Result<QByteArray> token = m_kerberos->step({});
        if (!token)
            return authErrorFrom(token.error(), u"Kerberos"_s);
        return std::move(token).value();
    }

    // Dossier 3.5: Negotiate offers Kerberos first and NTLM second; a Kerberos mechanism that
    // cannot even start (no ticket, KDC unreachable, wrong password) is left out here, one whose
    // first step fails is dropped by SpnegoClient.
    std::vector<std::unique_ptr<Auth::SpnegoMechanism>> mechanisms;
    std::optional<Auth::Error> kerberosError;
    Auth::Result<std::unique_ptr<Auth::KerberosMechanism>> kerberos =
        Auth::KerberosMechanism::create(kerberosOptions(), password);
    if (kerberos) {
        mechanisms.push_back(std::move(kerberos).value());
    } else {
        kerberosError = kerberos.error();
        m_diagnostics.append(u"Kerberos unavailable: "_s + kerberos.error().detail);
        if (m_settings.kerberosOnly)
            return authErrorFrom(kerberos.error(), u"Kerberos"_s);
    }
    if (!m_settings.kerberosOnly) {
        if (password.isEmpty()) {
            m_diagnostics.append(u"NTLM unavailable: no password"_s);
        } else {
            Auth::NtlmClientOptions ntlm;
            ntlm.user = m_settings.userName;
            ntlm.targetSpn = u"HTTP/"_s + m_settings.host;
            ntlm.channelBindings = m_bindings;
            ntlm.confidentiality = m_settings.encryptMessages;
            Auth::Result<std::unique_ptr<Auth::NtlmMechanism>> mechanism =
                Auth::NtlmMechanism::create(std::move(ntlm), password);
            if (!mechanism)
                return authErrorFrom(mechanism.error(), u"NTLM"_s);
            mechanisms.push_back(std::move(mechanism).value());
        }
    }
    if (mechanisms.empty()) {
        if (kerberosError)
            return authErrorFrom(*kerberosError, u"Negotiate"_s);
        return AuthError{AuthErrorCode::NoCredentials,
                         u"Negotiate: no mechanism can start: "_s + m_diagnostics.join(u"; "_s)};
    }
    m_spnego.emplace(std::move(mechanisms));
    Auth::Result<QByteArray> token = m_spnego->step({});
    m_diagnostics.append(m_spnego->diagnostics());
    if (!token)
        return authErrorFrom(token.error(), u"Negotiate"_s);
    return std::move(token).value();
}

AuthResult<AuthLeg> NegotiateAuthenticator::begin()
{
    reset();
    AuthResult<QByteArray> token = startContext();
    if (!token)
        return failWith(token.error());
    m_state = State::InProgress;
    return AuthLeg{scheme() + ' ' + token.value().toBase64(), false};
}

AuthResult<QByteArray> NegotiateAuthenticator::step(QByteArrayView input)
{
    if (m_kerberos) {
        Auth::Result<QByteArray> out = m_kerberos->step(input);
        if (!out)
            return authErrorFrom(out.error(), u"Kerberos"_s);
        return std::move(out).value();
    }
    if (!m_spnego)
        return AuthError{AuthErrorCode::InvalidToken, u"no security context"_s};
    const qsizetype known = m_spnego->diagnostics().size();
    Auth::Result<QByteArray> out = m_spnego->step(input);
    m_diagnostics.append(m_spnego->diagnostics().mid(known));
    if (!out)
        return authErrorFrom(out.error(), u"Negotiate"_s);
    return std::move(out).value();
}

AuthResult<AuthLeg> NegotiateAuthenticator::continueWith(const QList<QByteArray> &challenges)
{
    const std::optional<QByteArray> token = challengeToken(challenges, scheme());
    switch (m_state) {
    case State::Idle:
        // A 401 to a request sent without credentials (HTTPS: the certificate is now known).
        if (!token)
            return failWith(
                AuthError{AuthErrorCode::SchemeNotOffered,
                          u"the server does not offer %1 authentication (it offers: %2)"_s.arg(
                              QString::fromLatin1(scheme()), offeredSchemes(challenges))});
        return begin();
    case State::Established:
    case State::Failed:
        return failWith(AuthError{
            AuthErrorCode::Rejected,
            u"%1: the server refused the credentials"_s.arg(QString::fromLatin1(scheme()))});
    case State::InProgress:
        break;
    }
    if (!token)
        return failWith(
            AuthError{AuthErrorCode::SchemeNotOffered,
                      u"the server does not offer %1 authentication (it offers: %2)"_s.arg(
                          QString::fromLatin1(scheme()), offeredSchemes(challenges))});
    if (token->isEmpty()) {
        // A bare "Negotiate" answering our token: logon failure (wrong password, unknown
        // account, or the server cannot validate it).
        QString detail = u"%1: the server refused the credentials (logon failure)"_s.arg(
            QString::fromLatin1(scheme()));
        if (const QString mech = mechanismName(); !mech.isEmpty())
            detail += u" with "_s + mech;
        if (!m_diagnostics.isEmpty())
            detail += u" ["_s + m_diagnostics.join(u"; "_s) + u']';
        return failWith(AuthError{AuthErrorCode::Rejected, detail});
    }
    const QByteArray::FromBase64Result decoded =
        QByteArray::fromBase64Encoding(*token, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        return failWith(
            AuthError{AuthErrorCode::InvalidToken,
                      u"the %1 challenge is not base64"_s.arg(QString::fromLatin1(scheme()))});
    AuthResult<QByteArray> out = step(decoded.decoded);
    if (!out)
        return failWith(out.error());
    if (out.value().isEmpty())
        return failWith(
            AuthError{AuthErrorCode::Rejected,
                      u"%1: the handshake completed but the server still answered 401"_s.arg(
                          QString::fromLatin1(scheme()))});
    return AuthLeg{scheme() + ' ' + out.value().toBase64(), true};
}

AuthResult<bool> NegotiateAuthenticator::finish(const QList<QByteArray> &challenges)
{
    if (m_state != State::InProgress)
        return isEstablished();
    // Mutual authentication: Kerberos' AP-REP, or SPNEGO's accept-completed with NTLM's
    // mechListMIC, arrives on the 2xx and must be checked before anything is unwrapped.
    const std::optional<QByteArray> token = challengeToken(challenges, scheme());
    if (token && !token->isEmpty()) {
        const QByteArray::FromBase64Result decoded =
            QByteArray::fromBase64Encoding(*token, QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || decoded.decoded.isEmpty())
            return failWith(AuthError{
                AuthErrorCode::InvalidToken,
                u"the final %1 token is not base64"_s.arg(QString::fromLatin1(scheme()))});
        AuthResult<QByteArray> out = step(decoded.decoded);
        if (!out)
            return failWith(out.error());
        if (!out.value().isEmpty())
            return failWith(
                AuthError{AuthErrorCode::InvalidToken,
                          u"%1: the server finished but the context has more to send"_s.arg(
                              QString::fromLatin1(scheme()))});
    }
    const bool complete =
        m_kerberos ? m_kerberos->isComplete() : (m_spnego && m_spnego->isComplete());
    if (!complete)
        return failWith(
            AuthError{AuthErrorCode::InvalidToken,
                      u"%1: the server accepted without completing mutual authentication"_s.arg(
                          QString::fromLatin1(scheme()))});
    m_state = State::Established;
    return true;
}

AuthResult<bool> NegotiateAuthenticator::setServerCertificate(QByteArrayView certificateDer)
{
    Auth::Result<const Auth::CryptoProvider *> crypto = Auth::CryptoProvider::shared();
    if (!crypto)
        return authErrorFrom(crypto.error(), QString::fromLatin1(scheme()));
    Auth::Result<Auth::ChannelBindings> bindings =
        Auth::ChannelBindings::tlsServerEndPoint(**crypto, certificateDer);
    if (!bindings)
        return AuthError{AuthErrorCode::InvalidToken,
                         u"the server certificate is unusable for channel bindings: "_s +
                             bindings.error().detail};
    // The bindings go into the first token; a context already started keeps the ones it has.
    m_bindings = std::move(bindings).value();
    return true;
}

QString NegotiateAuthenticator::mechanismName() const
{
    if (m_kerberos)
        return u"Kerberos"_s;
    if (m_spnego && m_spnego->mechanism())
        return m_spnego->mechanism()->name();
    return {};
}

AuthResult<WrappedMessage> NegotiateAuthenticator::wrap(const QByteArray &plaintext,
                                                        const QByteArray &soapContentType)
{
    return m_encryption.wrapBody(
        m_settings.encryptMessages, isEstablished(), plaintext, soapContentType,
        [this](QByteArrayView part) -> AuthResult<SealedPart> {
            // Dossier 4.3/4.4: header = NTLM signature or the gss_wrap_iov header; data follows it.
            Auth::Result<Auth::WrappedMessage> sealed =
                m_kerberos ? m_kerberos->wrapWinrm(part) : m_spnego->wrapWinrm(part);
            if (!sealed)
                return authErrorFrom(sealed.error(), mechanismName());
            return SealedPart{std::move(sealed->header), std::move(sealed->data)};
        });
}

AuthResult<WrappedMessage> NegotiateAuthenticator::unwrap(const QByteArray &body,
                                                          const QByteArray &contentType)
{
    return m_encryption.unwrapBody(
        m_settings.encryptMessages, isEstablished(), body, contentType,
        [this](QByteArrayView header, QByteArrayView data) -> AuthResult<QByteArray> {
            Auth::Result<QByteArray> plain = m_kerberos ? m_kerberos->unwrapWinrm(header, data)
                                                        : m_spnego->unwrapWinrm(header, data);
            if (!plain)
                return authErrorFrom(plain.error(), mechanismName());
            return std::move(plain).value();
        });
}

namespace {

AuthenticatorFactory factoryFor(NegotiateAuthenticator::Mode mode, NegotiateSettings settings,
                                Secret password)
{
    auto shared = std::make_shared<Secret>(std::move(password));
    return [mode, settings = std::move(settings), shared]() -> std::unique_ptr<Authenticator> {
        return std::make_unique<NegotiateAuthenticator>(mode, settings,
                                                        Secret::fromUtf8(shared->utf8()));
    };
}

} // namespace

AuthenticatorFactory negotiateAuthenticatorFactory(NegotiateSettings settings, Secret password)
{
    return factoryFor(NegotiateAuthenticator::Mode::Negotiate, std::move(settings),
                      std::move(password));
}

AuthenticatorFactory kerberosAuthenticatorFactory(NegotiateSettings settings, Secret password)
{
    return factoryFor(NegotiateAuthenticator::Mode::Kerberos, std::move(settings),
                      std::move(password));
}

} // namespace Wsman
