#include "GssAcceptor.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include <cstring>

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

namespace {

// 1.3.6.1.4.1.311.2.2.10 (NTLMSSP), 1.2.840.113554.1.2.2 (krb5), 1.2.840.48018.1.2.2 (MS krb5)
constexpr QByteArrayView NtlmOid = "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a";
constexpr QByteArrayView KerberosOid = "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02";
constexpr QByteArrayView MsKerberosOid = "\x2a\x86\x48\x82\xf7\x12\x01\x02\x02";
// NTLM (MS-NLMP 2.2.2.9): the NTLMSSP_MESSAGE_SIGNATURE that heads a gss_wrap token.
constexpr qsizetype NtlmSignatureSize = 16;

} // namespace

QString gssStatusText(OM_uint32 major, OM_uint32 minor)
{
    QString text;
    auto append = [&text](OM_uint32 code, int type) {
        OM_uint32 context = 0;
        do {
            OM_uint32 ignored = 0;
            gss_buffer_desc buffer = GSS_C_EMPTY_BUFFER;
            if (GSS_ERROR(gss_display_status(&ignored, code, type, GSS_C_NO_OID, &context, &buffer)))
                break;
            if (!text.isEmpty())
                text += u"; "_s;
            text += QString::fromUtf8(static_cast<const char *>(buffer.value), qsizetype(buffer.length));
            gss_release_buffer(&ignored, &buffer);
        } while (context != 0);
    };
    append(major, GSS_C_GSS_CODE);
    if (minor != 0)
        append(minor, GSS_C_MECH_CODE);
    return text;
}

namespace {

QByteArray takeBuffer(gss_buffer_desc &buffer)
{
    QByteArray bytes(static_cast<const char *>(buffer.value), qsizetype(buffer.length));
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &buffer);
    return bytes;
}

gss_buffer_desc view(QByteArrayView bytes)
{
    return gss_buffer_desc{size_t(bytes.size()), const_cast<char *>(bytes.data())};
}

Wsman::AuthError cryptoError(const QString &what, OM_uint32 major, OM_uint32 minor)
{
    return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, what + u": "_s + gssStatusText(major, minor)};
}

} // namespace

GssMechanism gssMechanism(gss_const_OID oid)
{
    if (oid == GSS_C_NO_OID)
        return GssMechanism::Unknown;
    const QByteArrayView bytes(static_cast<const char *>(oid->elements), qsizetype(oid->length));
    if (bytes == NtlmOid)
        return GssMechanism::Ntlm;
    if (bytes == KerberosOid || bytes == MsKerberosOid)
        return GssMechanism::Kerberos;
    return GssMechanism::Unknown;
}

GssAcceptor::GssAcceptor() = default;

GssAcceptor::~GssAcceptor()
{
    OM_uint32 minor = 0;
    if (m_context != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &m_context, GSS_C_NO_BUFFER);
}

GssAcceptor::Result GssAcceptor::accept(QByteArrayView token)
{
    if (m_complete)
        return Result{Step::Failed, {}, u"the context is already complete"_s};
    OM_uint32 minor = 0;
    gss_buffer_desc input = view(token);
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    gss_name_t peer = GSS_C_NO_NAME;
    gss_OID mech = GSS_C_NO_OID;
    const OM_uint32 major = gss_accept_sec_context(&minor, &m_context, GSS_C_NO_CREDENTIAL, &input,
                                                   GSS_C_NO_CHANNEL_BINDINGS, &peer, &mech, &output, nullptr,
                                                   nullptr, nullptr);
    Result result;
    result.token = takeBuffer(output);
    if (GSS_ERROR(major)) {
        result.step = Step::Failed;
        result.error = gssStatusText(major, minor);
        if (peer != GSS_C_NO_NAME)
            gss_release_name(&minor, &peer);
        return result;
    }
    if (major & GSS_S_CONTINUE_NEEDED) {
        result.step = Step::Continue;
        if (peer != GSS_C_NO_NAME)
            gss_release_name(&minor, &peer);
        return result;
    }
    m_complete = true;
    result.step = Step::Complete;
    m_mechanism = gssMechanism(mech);
    if (peer != GSS_C_NO_NAME) {
        gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
        if (!GSS_ERROR(gss_display_name(&minor, peer, &name, nullptr))) {
            QByteArray bytes = takeBuffer(name);
            // gss-ntlmssp counts a trailing NUL in the displayed name.
            while (bytes.endsWith('\0'))
                bytes.chop(1);
            m_peer = QString::fromUtf8(bytes);
        }
        gss_release_name(&minor, &peer);
    }
    return result;
}

Wsman::AuthResult<Wsman::SealedPart> GssAcceptor::seal(QByteArrayView plaintext)
{
    if (!m_complete)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"no established context"_s};
    return gssSeal(m_context, m_mechanism, plaintext);
}

Wsman::AuthResult<QByteArray> GssAcceptor::unseal(QByteArrayView header, QByteArrayView data)
{
    if (!m_complete)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"no established context"_s};
    return gssUnseal(m_context, m_mechanism, header, data);
}

Wsman::AuthResult<Wsman::SealedPart> gssSeal(gss_ctx_id_t context, GssMechanism mechanism, QByteArrayView plaintext)
{
    OM_uint32 minor = 0;
    if (mechanism == GssMechanism::Kerberos) {
        // Dossier 4.4: HEADER, DATA (sealed in place), PADDING; the data part carries the padding.
        QByteArray data = plaintext.toByteArray();
        gss_iov_buffer_desc iov[3] = {};
        iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
        iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
        iov[1].buffer = gss_buffer_desc{size_t(data.size()), data.data()};
        iov[2].type = GSS_IOV_BUFFER_TYPE_PADDING;
        OM_uint32 major = gss_wrap_iov_length(&minor, context, 1, GSS_C_QOP_DEFAULT, nullptr, iov, 3);
        if (GSS_ERROR(major))
            return cryptoError(u"gss_wrap_iov_length"_s, major, minor);
        QByteArray header(qsizetype(iov[0].buffer.length), '\0');
        QByteArray padding(qsizetype(iov[2].buffer.length), '\0');
        iov[0].buffer.value = header.data();
        iov[2].buffer.value = padding.data();
        int confidential = 0;
        major = gss_wrap_iov(&minor, context, 1, GSS_C_QOP_DEFAULT, &confidential, iov, 3);
        if (GSS_ERROR(major))
            return cryptoError(u"gss_wrap_iov"_s, major, minor);
        if (!confidential)
            return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"gss_wrap_iov did not encrypt"_s};
        header.resize(qsizetype(iov[0].buffer.length));
        padding.resize(qsizetype(iov[2].buffer.length));
        return Wsman::SealedPart{header, data + padding};
    }
    gss_buffer_desc input = view(plaintext);
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    int confidential = 0;
    const OM_uint32 major = gss_wrap(&minor, context, 1, GSS_C_QOP_DEFAULT, &input, &confidential, &output);
    if (GSS_ERROR(major))
        return cryptoError(u"gss_wrap"_s, major, minor);
    const QByteArray token = takeBuffer(output);
    if (!confidential)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"gss_wrap did not encrypt"_s};
    if (token.size() < NtlmSignatureSize)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"gss_wrap token shorter than a signature"_s};
    // gss-ntlmssp has no gss_wrap_iov: its gss_wrap token is signature || sealed data.
    return Wsman::SealedPart{token.first(NtlmSignatureSize), token.sliced(NtlmSignatureSize)};
}

Wsman::AuthResult<QByteArray> gssUnseal(gss_ctx_id_t context, GssMechanism mechanism, QByteArrayView header,
                                        QByteArrayView data)
{
    OM_uint32 minor = 0;
    int confidential = 0;
    if (mechanism == GssMechanism::Kerberos) {
        // Dossier 4.4: HEADER (the L-byte header), DATA (decrypted in place), an empty DATA.
        QByteArray headerCopy = header.toByteArray();
        QByteArray plain = data.toByteArray();
        gss_iov_buffer_desc iov[3] = {};
        iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
        iov[0].buffer = gss_buffer_desc{size_t(headerCopy.size()), headerCopy.data()};
        iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
        iov[1].buffer = gss_buffer_desc{size_t(plain.size()), plain.data()};
        iov[2].type = GSS_IOV_BUFFER_TYPE_DATA;
        const OM_uint32 major = gss_unwrap_iov(&minor, context, &confidential, nullptr, iov, 3);
        if (GSS_ERROR(major))
            return cryptoError(u"gss_unwrap_iov"_s, major, minor);
        if (!confidential)
            return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"the message was not encrypted"_s};
        plain.resize(qsizetype(iov[1].buffer.length));
        return plain;
    }
    if (mechanism == GssMechanism::Ntlm && header.size() != NtlmSignatureSize)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure,
                                u"NTLM signature of %1 bytes, expected 16"_s.arg(header.size())};
    QByteArray token = header.toByteArray() + data.toByteArray();
    gss_buffer_desc input = view(token);
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    const OM_uint32 major = gss_unwrap(&minor, context, &input, &output, &confidential, nullptr);
    if (GSS_ERROR(major))
        return cryptoError(u"gss_unwrap"_s, major, minor);
    QByteArray plain = takeBuffer(output);
    if (!confidential)
        return Wsman::AuthError{Wsman::AuthErrorCode::CryptoFailure, u"the message was not encrypted"_s};
    return plain;
}

} // namespace TestServer
