#include "GssAcceptor.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

using namespace Qt::Literals::StringLiterals;

namespace AuthTest {

namespace {

gss_OID_desc spnegoOid{6, const_cast<char *>("\x2b\x06\x01\x05\x05\x02")};
gss_OID_desc ntlmOid{10, const_cast<char *>("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")};

QString statusText(OM_uint32 status, int type)
{
    QString text;
    OM_uint32 context = 0;
    do {
        OM_uint32 minor = 0;
        gss_buffer_desc message{0, nullptr};
        if (gss_display_status(&minor, status, type, GSS_C_NO_OID, &context, &message) !=
            GSS_S_COMPLETE)
            break;
        if (!text.isEmpty())
            text += u"; "_s;
        text +=
            QString::fromUtf8(static_cast<const char *>(message.value), qsizetype(message.length));
        gss_release_buffer(&minor, &message);
    } while (context != 0);
    return text;
}

QString describe(OM_uint32 major, OM_uint32 minor)
{
    return u"major 0x%1 (%2), minor 0x%3 (%4)"_s.arg(
        QString::number(major, 16), statusText(major, GSS_C_GSS_CODE), QString::number(minor, 16),
        statusText(minor, GSS_C_MECH_CODE));
}

gss_buffer_desc view(QByteArrayView bytes)
{
    return gss_buffer_desc{size_t(bytes.size()),
                           const_cast<void *>(static_cast<const void *>(bytes.data()))};
}

QByteArray take(gss_buffer_desc &buffer)
{
    QByteArray bytes(static_cast<const char *>(buffer.value), qsizetype(buffer.length));
    OM_uint32 minor = 0;
    gss_release_buffer(&minor, &buffer);
    return bytes;
}

} // namespace

struct GssAcceptor::Handles {
    gss_cred_id_t credential = GSS_C_NO_CREDENTIAL;
    gss_ctx_id_t context = GSS_C_NO_CONTEXT;
};

QString GssAcceptor::ntlmsspMissing()
{
    OM_uint32 minor = 0;
    gss_OID_set mechs = GSS_C_NO_OID_SET;
    const OM_uint32 major = gss_indicate_mechs(&minor, &mechs);
    if (GSS_ERROR(major))
        return u"gss_indicate_mechs failed: "_s + describe(major, minor);
    int present = 0;
    gss_test_oid_set_member(&minor, &ntlmOid, mechs, &present);
    gss_release_oid_set(&minor, &mechs);
    if (!present)
        return u"gss-ntlmssp is not installed (no NTLMSSP in /etc/gss/mech.d)"_s;
    return {};
}

GssAcceptor::GssAcceptor() : m_handles(new Handles) {}

GssAcceptor::~GssAcceptor()
{
    OM_uint32 minor = 0;
    if (m_handles->context != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &m_handles->context, GSS_C_NO_BUFFER);
    if (m_handles->credential != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &m_handles->credential);
    delete m_handles;
}

QString GssAcceptor::init()
{
    OM_uint32 minor = 0;
    gss_OID_set_desc spnegoOnly{1, &spnegoOid};
    OM_uint32 major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &spnegoOnly,
                                       GSS_C_ACCEPT, &m_handles->credential, nullptr, nullptr);
    if (GSS_ERROR(major))
        return u"gss_acquire_cred(SPNEGO, accept): "_s + describe(major, minor);
    gss_OID_set_desc ntlmOnly{1, &ntlmOid};
    major = gss_set_neg_mechs(&minor, m_handles->credential, &ntlmOnly);
    if (GSS_ERROR(major))
        return u"gss_set_neg_mechs(NTLMSSP): "_s + describe(major, minor);
    return {};
}

GssAcceptor::Step GssAcceptor::step(QByteArrayView input)
{
    Step result;
    gss_buffer_desc in = view(input);
    gss_buffer_desc out{0, nullptr};
    gss_name_t source = GSS_C_NO_NAME;
    gss_OID mech = GSS_C_NO_OID;
    OM_uint32 flags = 0;
    result.major = gss_accept_sec_context(&result.minor, &m_handles->context, m_handles->credential,
                                          &in, GSS_C_NO_CHANNEL_BINDINGS, &source, &mech, &out,
                                          &flags, nullptr, nullptr);
    result.output = take(out);
    if (GSS_ERROR(result.major)) {
        result.error = describe(result.major, result.minor);
    } else if (result.major == GSS_S_COMPLETE) {
        result.complete = true;
        if (mech != GSS_C_NO_OID)
            m_mechOid =
                QByteArray(static_cast<const char *>(mech->elements), qsizetype(mech->length));
        if (source != GSS_C_NO_NAME) {
            OM_uint32 minor = 0;
            gss_buffer_desc name{0, nullptr};
            if (!GSS_ERROR(gss_display_name(&minor, source, &name, nullptr))) {
                QByteArray bytes = take(name);
                // gss-ntlmssp returns user names with a trailing NUL (environment.md).
                while (bytes.endsWith('\0'))
                    bytes.chop(1);
                m_sourceName = QString::fromUtf8(bytes);
            }
        }
    }
    if (source != GSS_C_NO_NAME) {
        OM_uint32 minor = 0;
        gss_release_name(&minor, &source);
    }
    return result;
}

std::optional<QByteArray> GssAcceptor::wrap(QByteArrayView plaintext, QString *error)
{
    OM_uint32 minor = 0;
    gss_buffer_desc in = view(plaintext);
    gss_buffer_desc out{0, nullptr};
    int confidential = 0;
    const OM_uint32 major =
        gss_wrap(&minor, m_handles->context, 1, GSS_C_QOP_DEFAULT, &in, &confidential, &out);
    if (GSS_ERROR(major)) {
        *error = u"gss_wrap: "_s + describe(major, minor);
        return std::nullopt;
    }
    if (!confidential) {
        gss_release_buffer(&minor, &out);
        *error = u"gss_wrap did not encrypt"_s;
        return std::nullopt;
    }
    return take(out);
}

std::optional<QByteArray> GssAcceptor::unwrap(QByteArrayView token, QString *error)
{
    OM_uint32 minor = 0;
    gss_buffer_desc in = view(token);
    gss_buffer_desc out{0, nullptr};
    int confidential = 0;
    const OM_uint32 major =
        gss_unwrap(&minor, m_handles->context, &in, &out, &confidential, nullptr);
    if (GSS_ERROR(major)) {
        *error = u"gss_unwrap: "_s + describe(major, minor);
        return std::nullopt;
    }
    return take(out);
}

} // namespace AuthTest
