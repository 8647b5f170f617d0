#include "auth/Kerberos.h"

#include <QStringList>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <array>
#include <limits>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Auth {

namespace {

// A classified failure and the sentence its Error detail starts with.
struct FailureText {
    KerberosFailure failure;
    QLatin1StringView sentence;
};

// The leading sentence of every classified Error; kerberosFailure() reads it back.
constexpr std::array<FailureText, 7> FailureTexts{{
    {KerberosFailure::NoCredentials,
     "No Kerberos credentials: no ticket in the credential cache and no password "
     "(run kinit or give a password)"_L1},
    {KerberosFailure::TicketExpired, "The Kerberos ticket has expired (run kinit again)"_L1},
    {KerberosFailure::WrongPassword, "The Kerberos KDC rejected the password"_L1},
    {KerberosFailure::UnknownUser, "The Kerberos KDC does not know the user"_L1},
    {KerberosFailure::KdcUnreachable, "No Kerberos KDC could be reached for the realm"_L1},
    {KerberosFailure::UnknownServer,
     "The Kerberos KDC does not know the server principal (check the host name and "
     "IncludePortInSPN)"_L1},
    {KerberosFailure::ClockSkew,
     "The clocks of this computer and the KDC or server differ too much (Kerberos clock "
     "skew)"_L1},
}};

constexpr OM_uint32 ReplayBits = GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN;
constexpr OM_uint32 SequenceBits = ReplayBits | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN;
constexpr OM_uint32 MaxMessage = std::numeric_limits<OM_uint32>::max() / 2;

gss_buffer_desc bufferOf(QByteArrayView bytes)
{
    return gss_buffer_desc{
        static_cast<size_t>(bytes.size()),
        const_cast<char *>(bytes.data())}; // GSSAPI input buffers are not written
}

// Takes a GSSAPI-allocated buffer's bytes and releases it.
QByteArray takeBuffer(gss_buffer_desc &buffer)
{
    QByteArray bytes(static_cast<const char *>(buffer.value),
                     static_cast<qsizetype>(buffer.length));
    OM_uint32 minor = 0;
    gss_release_buffer(&minor, &buffer);
    return bytes;
}

QString displayStatus(OM_uint32 code, int type)
{
    QStringList parts;
    OM_uint32 messageContext = 0;
    do {
        OM_uint32 minor = 0;
        gss_buffer_desc text{0, nullptr};
        const OM_uint32 major =
            gss_display_status(&minor, code, type, gss_mech_krb5, &messageContext, &text);
        if (GSS_ERROR(major))
            break;
        parts.append(QString::fromUtf8(takeBuffer(text)));
    } while (messageContext != 0 && parts.size() < 8);
    return parts.join(u"; "_s);
}

QString displayName(gss_name_t name)
{
    OM_uint32 minor = 0;
    gss_buffer_desc text{0, nullptr};
    if (GSS_ERROR(gss_display_name(&minor, name, &text, nullptr)))
        return {};
    return QString::fromUtf8(takeBuffer(text));
}

KerberosFailure classify(OM_uint32 major, OM_uint32 minor)
{
    switch (static_cast<krb5_error_code>(minor)) {
    case KRB5KDC_ERR_PREAUTH_FAILED:
        return KerberosFailure::WrongPassword;
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
        return KerberosFailure::UnknownUser;
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
        return KerberosFailure::UnknownServer;
    case KRB5KRB_AP_ERR_SKEW:
        return KerberosFailure::ClockSkew;
    case KRB5_KDC_UNREACH:
    case KRB5_REALM_CANT_RESOLVE:
    case KRB5_REALM_UNKNOWN:
        return KerberosFailure::KdcUnreachable;
    case KRB5KRB_AP_ERR_TKT_EXPIRED:
        return KerberosFailure::TicketExpired;
    case KRB5_FCC_NOFILE:
    case KRB5_CC_NOTFOUND:
        return KerberosFailure::NoCredentials;
    default:
        break;
    }
    switch (GSS_ROUTINE_ERROR(major)) {
    case GSS_S_CREDENTIALS_EXPIRED:
        return KerberosFailure::TicketExpired;
    case GSS_S_NO_CRED:
        return KerberosFailure::NoCredentials;
    default:
        return KerberosFailure::None;
    }
}

ErrorCode codeFor(KerberosFailure failure, OM_uint32 major)
{
    switch (failure) {
    case KerberosFailure::NoCredentials:
    case KerberosFailure::TicketExpired:
        return ErrorCode::NoCredentials;
    case KerberosFailure::WrongPassword:
        return ErrorCode::CredentialsRejected;
    case KerberosFailure::UnknownUser:
        return ErrorCode::UnknownPrincipal;
    case KerberosFailure::UnknownServer:
        return ErrorCode::UnknownServer;
    case KerberosFailure::KdcUnreachable:
        return ErrorCode::KdcUnreachable;
    case KerberosFailure::ClockSkew:
        return ErrorCode::ClockSkew;
    case KerberosFailure::None:
        break;
    }
    switch (GSS_ROUTINE_ERROR(major)) {
    case GSS_S_BAD_SIG: // == GSS_S_BAD_MIC
    case GSS_S_BAD_BINDINGS:
        return ErrorCode::IntegrityFailure;
    case GSS_S_DEFECTIVE_TOKEN:
    case GSS_S_DEFECTIVE_CREDENTIAL:
    case GSS_S_BAD_MECH:
        return ErrorCode::InvalidToken;
    case GSS_S_BAD_NAME:
    case GSS_S_BAD_NAMETYPE:
        return ErrorCode::InvalidArgument;
    case GSS_S_UNAVAILABLE:
        return ErrorCode::Unsupported;
    default:
        return ErrorCode::InvalidState;
    }
}

Error statusError(OM_uint32 major, OM_uint32 minor, const QString &subject, bool passwordStage)
{
    KerberosFailure failure = classify(major, minor);
    // Without required pre-authentication a wrong password shows as an AS-REP that fails to
    // decrypt.
    if (failure == KerberosFailure::None && passwordStage &&
        static_cast<krb5_error_code>(minor) == KRB5KRB_AP_ERR_BAD_INTEGRITY)
        failure = KerberosFailure::WrongPassword;
    QString detail = u"Kerberos failed"_s;
    for (const FailureText &text : FailureTexts) {
        if (text.failure == failure)
            detail = text.sentence;
    }
    if (!subject.isEmpty())
        detail += u" ["_s + subject + u']';
    detail += u": "_s + displayStatus(major, GSS_C_GSS_CODE);
    if (minor != 0)
        detail += u"; "_s + displayStatus(minor, GSS_C_MECH_CODE);
    detail += u" (major 0x"_s + QString::number(major, 16) + u", minor "_s +
              QString::number(static_cast<krb5_error_code>(minor)) + u')';
    return makeError(codeFor(failure, major), detail);
}

Error sequenceError(OM_uint32 major)
{
    return makeError(ErrorCode::IntegrityFailure,
                     u"Kerberos message out of sequence or replayed: "_s +
                         displayStatus(major & SequenceBits, GSS_C_GSS_CODE));
}

// Releases the GSSAPI-allocated buffers of an IOV array when it goes out of scope.
template <std::size_t N> struct IovGuard {
    std::array<gss_iov_buffer_desc, N> iov{};
    ~IovGuard()
    {
        OM_uint32 minor = 0;
        gss_release_iov_buffer(&minor, iov.data(), static_cast<int>(N));
    }
};

QByteArray iovBytes(const gss_iov_buffer_desc &buffer)
{
    return QByteArray(static_cast<const char *>(buffer.buffer.value),
                      static_cast<qsizetype>(buffer.buffer.length));
}

} // namespace

KerberosFailure kerberosFailure(const Error &error)
{
    for (const FailureText &text : FailureTexts) {
        if (error.detail.startsWith(text.sentence))
            return text.failure;
    }
    return KerberosFailure::None;
}

Error kerberosStatusError(quint32 major, quint32 minor, const QString &subject)
{
    return statusError(major, minor, subject, false);
}

// The GSSAPI handles of one client, released together; owned through a unique_ptr so moves
// leave nothing to release twice.
struct KerberosClient::Handles {
    gss_name_t target = GSS_C_NO_NAME;
    gss_cred_id_t credential = GSS_C_NO_CREDENTIAL;
    gss_ctx_id_t context = GSS_C_NO_CONTEXT;
    OM_uint32 grantedFlags = 0;
    QString clientPrincipal;

    Handles() = default;
    Handles(const Handles &) = delete;
    Handles &operator=(const Handles &) = delete;
    ~Handles()
    {
        OM_uint32 minor = 0;
        if (context != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &context, GSS_C_NO_BUFFER);
        if (credential != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&minor, &credential);
        if (target != GSS_C_NO_NAME)
            gss_release_name(&minor, &target);
    }
};

KerberosClient::KerberosClient() : m_handles(std::make_unique<Handles>()) {}
KerberosClient::KerberosClient(KerberosClient &&) noexcept = default;
KerberosClient &KerberosClient::operator=(KerberosClient &&) noexcept = default;
KerberosClient::~KerberosClient() = default;

Result<KerberosClient> KerberosClient::create(KerberosClientOptions options,
                                              QByteArrayView passwordUtf8)
{
    if (options.host.isEmpty() || options.service.isEmpty())
        return makeError(ErrorCode::InvalidArgument, u"Kerberos needs a host and a service"_s);
    if (options.includePortInSpn && options.port == 0)
        return makeError(ErrorCode::InvalidArgument, u"IncludePortInSPN needs a port"_s);
    if (!passwordUtf8.isEmpty() && options.user.isEmpty())
        return makeError(ErrorCode::InvalidArgument, u"A Kerberos password needs a user name"_s);
    if (passwordUtf8.size() > qsizetype(MaxMessage))
        return makeError(ErrorCode::InvalidArgument, u"The Kerberos password is too long"_s);

    KerberosClient client;
    client.m_options = std::move(options);
    const KerberosClientOptions &opts = client.m_options;
    Handles &handles = *client.m_handles;

    // Dossier 3.5: HTTP@host as a hostbased service; with the port, HTTP/host:port as a krb5
    // principal (hostbased names cannot carry a port).
    client.m_targetName = opts.service + u'/' + opts.host;
    QByteArray importText;
    gss_OID nameType = GSS_C_NT_HOSTBASED_SERVICE;
    if (opts.includePortInSpn) {
        client.m_targetName += u':' + QString::number(opts.port);
        importText = client.m_targetName.toUtf8();
        nameType = GSS_KRB5_NT_PRINCIPAL_NAME;
    } else {
        importText = (opts.service + u'@' + opts.host).toUtf8();
    }
    OM_uint32 minor = 0;
    gss_buffer_desc nameBuffer = bufferOf(importText);
    OM_uint32 major = gss_import_name(&minor, &nameBuffer, nameType, &handles.target);
    if (GSS_ERROR(major))
        return statusError(major, minor, client.m_targetName, false);

    gss_name_t user = GSS_C_NO_NAME;
    if (!opts.user.isEmpty()) {
        const QByteArray userText = opts.user.toUtf8();
        gss_buffer_desc userBuffer = bufferOf(userText);
        major = gss_import_name(&minor, &userBuffer, GSS_KRB5_NT_PRINCIPAL_NAME, &user);
        if (GSS_ERROR(major))
            return statusError(major, minor, opts.user, false);
    }
    gss_OID_set_desc mechs{1, gss_mech_krb5};
    if (!passwordUtf8.isEmpty()) {
        gss_buffer_desc password = bufferOf(passwordUtf8);
        major =
            gss_acquire_cred_with_password(&minor, user, &password, GSS_C_INDEFINITE, &mechs,
                                           GSS_C_INITIATE, &handles.credential, nullptr, nullptr);
    } else {
        major = gss_acquire_cred(&minor, user, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                                 &handles.credential, nullptr, nullptr);
    }
    OM_uint32 releaseMinor = 0;
    if (user != GSS_C_NO_NAME)
        gss_release_name(&releaseMinor, &user);
    if (GSS_ERROR(major))
        return statusError(major, minor, opts.user, !passwordUtf8.isEmpty());

    gss_name_t credentialName = GSS_C_NO_NAME;
    OM_uint32 lifetime = 0;
    major =
        gss_inquire_cred(&minor, handles.credential, &credentialName, &lifetime, nullptr, nullptr);
    if (GSS_ERROR(major))
        return statusError(major, minor, opts.user, false);
    handles.clientPrincipal = displayName(credentialName);
    gss_release_name(&releaseMinor, &credentialName);
    if (lifetime == 0)
        return statusError(GSS_S_CREDENTIALS_EXPIRED, 0, handles.clientPrincipal, false);
    return client;
}

Result<QByteArray> KerberosClient::fail(Error error)
{
    m_state = State::Failed;
    return error;
}

Result<QByteArray> KerberosClient::step(QByteArrayView inputToken)
{
    if (m_state == State::Complete || m_state == State::Failed)
        return makeError(ErrorCode::InvalidState,
                         u"The Kerberos context is already established or failed"_s);
    if (m_state == State::Initial && !inputToken.isEmpty())
        return makeError(ErrorCode::InvalidState, u"The first Kerberos step takes no token"_s);
    if (m_state == State::InProgress && inputToken.isEmpty())
        return fail(makeError(ErrorCode::InvalidToken,
                              u"The server sent no Kerberos token (mutual authentication needs "
                              "its AP-REP)"_s));

    // RFC 4121 / dossier 3.5: mutual, sequence, integrity and confidentiality (WinRM message
    // encryption), delegation on request.
    OM_uint32 flags = GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_REPLAY_FLAG |
                      GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG;
    if (m_options.delegate)
        flags |= GSS_C_DELEG_FLAG;

    gss_channel_bindings_struct bindings{};
    gss_channel_bindings_t bindingsPtr = GSS_C_NO_CHANNEL_BINDINGS;
    if (m_options.channelBindings) {
        const ChannelBindings &cb = *m_options.channelBindings;
        bindings.initiator_addrtype = cb.initiatorAddressType;
        bindings.initiator_address = bufferOf(cb.initiatorAddress);
        bindings.acceptor_addrtype = cb.acceptorAddressType;
        bindings.acceptor_address = bufferOf(cb.acceptorAddress);
        bindings.application_data = bufferOf(cb.applicationData);
        bindingsPtr = &bindings;
    }

    gss_buffer_desc input = bufferOf(inputToken);
    gss_buffer_desc output{0, nullptr};
    OM_uint32 minor = 0;
    OM_uint32 granted = 0;
    const OM_uint32 major = gss_init_sec_context(
        &minor, m_handles->credential, &m_handles->context, m_handles->target, gss_mech_krb5, flags,
        0, bindingsPtr, inputToken.isEmpty() ? GSS_C_NO_BUFFER : &input, nullptr, &output, &granted,
        nullptr);
    const QByteArray token = takeBuffer(output);
    if (GSS_ERROR(major))
        return fail(statusError(major, minor, m_targetName, false));
    if (major & GSS_S_CONTINUE_NEEDED) {
        m_state = State::InProgress;
        return token;
    }
    m_handles->grantedFlags = granted;
    constexpr OM_uint32 Required = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG;
    if ((granted & Required) != Required)
        return fail(makeError(ErrorCode::Unsupported,
                              u"The Kerberos context lacks mutual authentication, integrity or "
                              "confidentiality (flags 0x"_s +
                                  QString::number(granted, 16) + u')'));
    m_state = State::Complete;
    return token;
}

bool KerberosClient::isComplete() const
{
    return m_state == State::Complete;
}

QString KerberosClient::targetName() const
{
    return m_targetName;
}

QString KerberosClient::clientPrincipal() const
{
    return m_handles ? m_handles->clientPrincipal : QString();
}

bool KerberosClient::delegated() const
{
    return isComplete() && (m_handles->grantedFlags & GSS_C_DELEG_FLAG) != 0;
}

Result<void> KerberosClient::requireComplete() const
{
    if (m_state != State::Complete)
        return makeError(ErrorCode::InvalidState, u"The Kerberos context is not established"_s);
    return {};
}

Result<WrappedMessage> KerberosClient::wrapWinrm(QByteArrayView plaintext)
{
    if (auto ready = requireComplete(); !ready)
        return ready.error();
    if (plaintext.size() > qsizetype(MaxMessage))
        return makeError(ErrorCode::InvalidArgument, u"The message is too large to wrap"_s);
    // Dossier 4.4: HEADER (allocated) | DATA (encrypted in place) | PADDING (allocated).
    QByteArray data(plaintext.data(), plaintext.size());
    IovGuard<3> guard;
    auto &iov = guard.iov;
    iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER | GSS_IOV_BUFFER_FLAG_ALLOCATE;
    iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[1].buffer = gss_buffer_desc{static_cast<size_t>(data.size()), data.data()};
    iov[2].type = GSS_IOV_BUFFER_TYPE_PADDING | GSS_IOV_BUFFER_FLAG_ALLOCATE;
    OM_uint32 minor = 0;
    int confState = 0;
    const OM_uint32 major = gss_wrap_iov(&minor, m_handles->context, 1, GSS_C_QOP_DEFAULT,
                                         &confState, iov.data(), static_cast<int>(iov.size()));
    if (GSS_ERROR(major))
        return statusError(major, minor, m_targetName, false);
    if (confState == 0)
        return makeError(ErrorCode::Unsupported, u"gss_wrap_iov did not encrypt the message"_s);
    WrappedMessage message;
    message.header = iovBytes(iov[0]);
    message.data = iovBytes(iov[1]) + iovBytes(iov[2]);
    return message;
}

Result<QByteArray> KerberosClient::unwrapWinrm(QByteArrayView header, QByteArrayView data)
{
    if (auto ready = requireComplete(); !ready)
        return ready.error();
    if (header.isEmpty())
        return makeError(ErrorCode::InvalidToken, u"The Kerberos message has no header"_s);
    if (header.size() > qsizetype(MaxMessage) || data.size() > qsizetype(MaxMessage))
        return makeError(ErrorCode::InvalidToken, u"The Kerberos message is too large"_s);
    // Dossier 4.4: HEADER | DATA (decrypted in place) | empty DATA.
    QByteArray headerCopy(header.data(), header.size());
    QByteArray dataCopy(data.data(), data.size());
    std::array<gss_iov_buffer_desc, 3> iov{};
    iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
    iov[0].buffer = gss_buffer_desc{static_cast<size_t>(headerCopy.size()), headerCopy.data()};
    iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[1].buffer = gss_buffer_desc{static_cast<size_t>(dataCopy.size()), dataCopy.data()};
    iov[2].type = GSS_IOV_BUFFER_TYPE_DATA;
    OM_uint32 minor = 0;
    int confState = 0;
    gss_qop_t qop = 0;
    const OM_uint32 major = gss_unwrap_iov(&minor, m_handles->context, &confState, &qop, iov.data(),
                                           static_cast<int>(iov.size()));
    if (GSS_ERROR(major))
        return statusError(major, minor, m_targetName, false);
    if (major & SequenceBits)
        return sequenceError(major);
    if (confState == 0)
        return makeError(ErrorCode::IntegrityFailure, u"The Kerberos message was not encrypted"_s);
    dataCopy.truncate(static_cast<qsizetype>(iov[1].buffer.length));
    return dataCopy;
}

Result<QByteArray> KerberosClient::wrap(QByteArrayView plaintext)
{
    if (auto ready = requireComplete(); !ready)
        return ready.error();
    if (plaintext.size() > qsizetype(MaxMessage))
        return makeError(ErrorCode::InvalidArgument, u"The message is too large to wrap"_s);
    gss_buffer_desc input = bufferOf(plaintext);
    gss_buffer_desc output{0, nullptr};
    OM_uint32 minor = 0;
    int confState = 0;
    const OM_uint32 major =
        gss_wrap(&minor, m_handles->context, 1, GSS_C_QOP_DEFAULT, &input, &confState, &output);
    QByteArray token = takeBuffer(output);
    if (GSS_ERROR(major))
        return statusError(major, minor, m_targetName, false);
    if (confState == 0)
        return makeError(ErrorCode::Unsupported, u"gss_wrap did not encrypt the message"_s);
    return token;
}

Result<QByteArray> KerberosClient::unwrap(QByteArrayView token)
{
    if (auto ready = requireComplete(); !ready)
        return ready.error();
    if (token.size() > qsizetype(MaxMessage))
        return makeError(ErrorCode::InvalidToken, u"The Kerberos message is too large"_s);
    gss_buffer_desc input = bufferOf(token);
    gss_buffer_desc output{0, nullptr};
    OM_uint32 minor = 0;
    int confState = 0;
    const OM_uint32 major =
        gss_unwrap(&minor, m_handles->context, &input, &output, &confState, nullptr);
    QByteArray plaintext = takeBuffer(output);
    if (GSS_ERROR(major))
        return statusError(major, minor, m_targetName, false);
    if (major & SequenceBits)
        return sequenceError(major);
    if (confState == 0)
        return makeError(ErrorCode::IntegrityFailure, u"The Kerberos message was not encrypted"_s);
    return plaintext;
}

Result<QByteArray> KerberosClient::getMic(QByteArrayView message)
{
    if (auto ready = requireComplete(); !ready)
        return ready.error();
    if (message.size() > qsizetype(MaxMessage))
        return makeError(ErrorCode::InvalidArgument, u"The message is too large to sign"_s);
    gss_buffer_desc input = bufferOf(message);
    gss_buffer_desc output{0, nullptr};
    OM_uint32 minor = 0;
    const OM_uint32 major =
        gss_get_mic(&minor, m_handles->context, GSS_C_QOP_DEFAULT, &input, &output);
    QByteArray mic = takeBuffer(output);
    if (GSS_ERROR(major))
        return statusError(major, minor, m_targetName, false);
    return mic;
}

Result<void> KerberosClient::verifyMic(QByteArrayView message, QByteArrayView mic)
{
    if (auto ready = requireComplete(); !ready)
        return ready.error();
    if (message.size() > qsizetype(MaxMessage) || mic.size() > qsizetype(MaxMessage))
        return makeError(ErrorCode::InvalidToken, u"The Kerberos MIC is too large"_s);
    gss_buffer_desc input = bufferOf(message);
    gss_buffer_desc token = bufferOf(mic);
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_verify_mic(&minor, m_handles->context, &input, &token, nullptr);
    if (GSS_ERROR(major))
        return statusError(major, minor, m_targetName, false);
    if (major & ReplayBits)
        return sequenceError(major);
    return {};
}

KerberosMechanism::KerberosMechanism(KerberosClient client) : m_client(std::move(client)) {}

Result<std::unique_ptr<KerberosMechanism>> KerberosMechanism::create(KerberosClientOptions options,
                                                                     QByteArrayView passwordUtf8)
{
    auto client = KerberosClient::create(std::move(options), passwordUtf8);
    if (!client)
        return client.error();
    return std::make_unique<KerberosMechanism>(std::move(client).value());
}

QString KerberosMechanism::name() const
{
    return u"Kerberos"_s;
}

QByteArray KerberosMechanism::oid() const
{
    return SpnegoOid::krb5();
}

bool KerberosMechanism::acceptsOid(QByteArrayView oid) const
{
    return oid == QByteArrayView(SpnegoOid::krb5()) || oid == QByteArrayView(SpnegoOid::msKrb5());
}

Result<QByteArray> KerberosMechanism::step(QByteArrayView inputToken)
{
    return m_client.step(inputToken);
}

bool KerberosMechanism::isComplete() const
{
    return m_client.isComplete();
}

Result<QByteArray> KerberosMechanism::getMic(QByteArrayView data)
{
    return m_client.getMic(data);
}

Result<void> KerberosMechanism::verifyMic(QByteArrayView data, QByteArrayView mic)
{
    return m_client.verifyMic(data, mic);
}

Result<QByteArray> KerberosMechanism::wrap(QByteArrayView plaintext)
{
    return m_client.wrap(plaintext);
}

Result<QByteArray> KerberosMechanism::unwrap(QByteArrayView token)
{
    return m_client.unwrap(token);
}

Result<WrappedMessage> KerberosMechanism::wrapWinrm(QByteArrayView plaintext)
{
    return m_client.wrapWinrm(plaintext);
}

Result<QByteArray> KerberosMechanism::unwrapWinrm(QByteArrayView header, QByteArrayView data)
{
    return m_client.unwrapWinrm(header, data);
}

} // namespace Auth
