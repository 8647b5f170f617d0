#include "wsman/NtlmAuthenticator.h"

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

AuthLeg leg(const QByteArray &token, bool last)
{
    return AuthLeg{QByteArrayLiteral("Negotiate ") + token.toBase64(), last};
}

} // namespace

NtlmAuthenticator::NtlmAuthenticator(NtlmSettings settings, Secret password)
    : m_settings(std::move(settings)), m_password(std::move(password))
{
}

NtlmAuthenticator::~NtlmAuthenticator() = default;

QByteArray NtlmAuthenticator::scheme() const
{
    return QByteArrayLiteral("Negotiate");
}

void NtlmAuthenticator::reset()
{
    m_context.reset();
    m_negotiate.clear();
    m_bindingsChanged = false;
    m_state = State::Idle;
}

AuthResult<Auth::NtlmClient> NtlmAuthenticator::newContext() const
{
    Auth::NtlmClientOptions options;
    options.user = m_settings.userName;
    options.workstation = m_settings.workstation;
    options.targetSpn = m_settings.targetSpn;
    options.channelBindings = m_bindings;
    options.confidentiality = m_settings.encryptMessages;
    options.random = m_settings.random;
    options.fileTimeNow = m_settings.fileTimeNow;
    Auth::Result<Auth::NtlmClient> client =
        Auth::NtlmClient::create(std::move(options), m_password.utf8());
    if (!client)
        return authErrorFrom(client.error(), u"NTLM"_s);
    return std::move(client).value();
}

AuthResult<AuthLeg> NtlmAuthenticator::begin()
{
    reset();
    AuthResult<Auth::NtlmClient> client = newContext();
    if (!client) {
        m_state = State::Failed;
        return client.error();
    }
    m_context.emplace(std::move(client).value());
    Auth::Result<QByteArray> negotiate = m_context->step({});
    if (!negotiate) {
        m_state = State::Failed;
        return authErrorFrom(negotiate.error(), u"NTLM"_s);
    }
    m_negotiate = negotiate.value();
    m_state = State::NegotiateSent;
    return leg(m_negotiate, false);
}

AuthResult<AuthLeg> NtlmAuthenticator::continueWith(const QList<QByteArray> &challenges)
{
    const std::optional<QByteArray> token = challengeToken(challenges, "Negotiate");
    switch (m_state) {
    case State::Idle:
        // A 401 to a request sent without credentials: start the handshake.
        if (!token)
            return AuthError{AuthErrorCode::SchemeNotOffered,
                             u"the server does not offer Negotiate authentication"_s};
        return begin();
    case State::AuthenticateSent:
    case State::Established:
        m_state = State::Failed;
        return AuthError{AuthErrorCode::Rejected, u"the server refused the NTLM credentials"_s};
    case State::Failed:
        return AuthError{AuthErrorCode::InvalidToken, u"NTLM: the handshake failed earlier"_s};
    case State::NegotiateSent:
        break;
    }
    if (!token) {
        m_state = State::Failed;
        return AuthError{AuthErrorCode::SchemeNotOffered,
                         u"the server does not offer Negotiate authentication"_s};
    }
    if (token->isEmpty()) {
        m_state = State::Failed;
        return AuthError{AuthErrorCode::Rejected,
                         u"the server answered the NTLM NEGOTIATE without a CHALLENGE"_s};
    }
    const QByteArray::FromBase64Result decoded =
        QByteArray::fromBase64Encoding(*token, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty()) {
        m_state = State::Failed;
        return AuthError{AuthErrorCode::InvalidToken, u"the Negotiate challenge is not base64"_s};
    }
    if (m_bindingsChanged) {
        // The bindings arrived after NEGOTIATE was sent: rebuild the context, which yields the
        // same NEGOTIATE bytes (the MIC covers them).
        AuthResult<Auth::NtlmClient> client = newContext();
        if (!client) {
            m_state = State::Failed;
            return client.error();
        }
        m_context.emplace(std::move(client).value());
        Auth::Result<QByteArray> again = m_context->step({});
        if (!again || again.value() != m_negotiate) {
            m_state = State::Failed;
            return AuthError{AuthErrorCode::InvalidToken,
                             u"NTLM: could not apply channel bindings after NEGOTIATE"_s};
        }
        m_bindingsChanged = false;
    }
    Auth::Result<QByteArray> authenticate = m_context->step(decoded.decoded);
    if (!authenticate) {
        m_state = State::Failed;
        return authErrorFrom(authenticate.error(), u"NTLM"_s);
    }
    m_state = State::AuthenticateSent;
    return leg(authenticate.value(), true);
}

AuthResult<bool> NtlmAuthenticator::finish(const QList<QByteArray> &)
{
    // Raw NTLM has no final server token (no SPNEGO accept-complete); any is ignored.
    if (m_state == State::AuthenticateSent && m_context && m_context->isComplete())
        m_state = State::Established;
    return isEstablished();
}

AuthResult<WrappedMessage> NtlmAuthenticator::wrap(const QByteArray &plaintext,
                                                   const QByteArray &soapContentType)
{
    return m_encryption.wrapBody(
        m_settings.encryptMessages, isEstablished(), plaintext, soapContentType,
        [this](QByteArrayView part) -> AuthResult<SealedPart> {
            // MS-WSMV 2.2.9.1.1 / dossier 4.3: header = the 16-byte NTLM signature, data = RC4
            // ciphertext.
            Auth::Result<Auth::Ntlm::SealedMessage> sealed = m_context->wrapSeparate(part);
            if (!sealed)
                return authErrorFrom(sealed.error(), u"NTLM"_s);
            return SealedPart{std::move(sealed->signature), std::move(sealed->data)};
        });
}

AuthResult<WrappedMessage> NtlmAuthenticator::unwrap(const QByteArray &body,
                                                     const QByteArray &contentType)
{
    return m_encryption.unwrapBody(
        m_settings.encryptMessages, isEstablished(), body, contentType,
        [this](QByteArrayView header, QByteArrayView data) -> AuthResult<QByteArray> {
            if (header.size() != 16)
                return AuthError{AuthErrorCode::CryptoFailure,
                                 u"NTLM: signature of %1 bytes, expected 16"_s.arg(header.size())};
            Auth::Result<QByteArray> plain = m_context->unwrapSeparate(data, header);
            if (!plain)
                return authErrorFrom(plain.error(), u"NTLM"_s);
            return std::move(plain).value();
        });
}

void NtlmAuthenticator::setChannelBindings(std::optional<Auth::ChannelBindings> bindings)
{
    m_bindings = std::move(bindings);
    m_bindingsChanged = m_state == State::NegotiateSent;
}

AuthResult<bool> NtlmAuthenticator::setServerCertificate(QByteArrayView certificateDer)
{
    Auth::Result<const Auth::CryptoProvider *> crypto = Auth::CryptoProvider::shared();
    if (!crypto)
        return authErrorFrom(crypto.error(), u"NTLM"_s);
    Auth::Result<Auth::ChannelBindings> bindings =
        Auth::ChannelBindings::tlsServerEndPoint(**crypto, certificateDer);
    if (!bindings)
        return AuthError{AuthErrorCode::InvalidToken,
                         u"the server certificate is unusable for channel bindings: "_s +
                             bindings.error().detail};
    setChannelBindings(std::move(bindings).value());
    return true;
}

const Auth::NtlmClient *NtlmAuthenticator::context() const
{
    return m_state == State::AuthenticateSent || m_state == State::Established ? &*m_context
                                                                               : nullptr;
}

std::function<std::unique_ptr<Authenticator>()> ntlmAuthenticatorFactory(NtlmSettings settings,
                                                                         Secret password)
{
    auto shared = std::make_shared<Secret>(std::move(password));
    return [settings = std::move(settings), shared]() -> std::unique_ptr<Authenticator> {
        return std::make_unique<NtlmAuthenticator>(settings, Secret::fromUtf8(shared->utf8()));
    };
}

} // namespace Wsman
