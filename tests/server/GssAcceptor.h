#pragma once

#include "wsman/MessageEncryption.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <gssapi/gssapi.h>


namespace TestServer {

// The mechanism a completed GSSAPI context negotiated.
enum class GssMechanism { Unknown, Ntlm, Kerberos };

GssMechanism gssMechanism(gss_const_OID oid);
// WinRM message sealing with any established context, initiator or acceptor (MS-WSMV 2.2.9.1,
// dossier 4.3-4.4): NTLM through gss_wrap (gss-ntlmssp has no gss_wrap_iov; the first 16 bytes
// of its token are the signature), Kerberos through gss_wrap_iov HEADER/DATA/PADDING.
Wsman::AuthResult<Wsman::SealedPart> gssSeal(gss_ctx_id_t context, GssMechanism mechanism, QByteArrayView plaintext);
Wsman::AuthResult<QByteArray> gssUnseal(gss_ctx_id_t context, GssMechanism mechanism, QByteArrayView header,
                                        QByteArrayView data);
// gss_display_status text for a major/minor pair.
QString gssStatusText(OM_uint32 major, OM_uint32 minor);

// One server-side GSSAPI security context (MIT krb5's mechglue: SPNEGO, Kerberos, and NTLM
// through gss-ntlmssp) for one TCP connection, with WinRM message sealing on top of it. Accepts
// with the default acceptor credentials (GSS_C_NO_CREDENTIAL): NTLM users come from the file in
// NTLM_USER_FILE, Kerberos keys from KRB5_KTNAME. MIT's mechglue recognises a raw NTLMSSP token
// (no SPNEGO framing) by its signature and hands it to gss-ntlmssp. Owns the context and the peer
// name; not copyable; not thread-safe.
class GssAcceptor {
public:
    enum class Step { Continue, Complete, Failed };
    struct Result {
        Step step = Step::Failed;
        QByteArray token; // to send back (may be empty); also on Failed (a SPNEGO reject)
        QString error;    // Failed: the GSSAPI major/minor status text
    };

    GssAcceptor();
    ~GssAcceptor();
    GssAcceptor(const GssAcceptor &) = delete;
    GssAcceptor &operator=(const GssAcceptor &) = delete;

    // One gss_accept_sec_context leg.
    Result accept(QByteArrayView token);
    bool isComplete() const { return m_complete; }
    GssMechanism mechanism() const { return m_mechanism; }
    // The authenticated peer ("DOMAIN\user" for NTLM, "user@REALM" for Kerberos), without the
    // trailing NUL gss-ntlmssp includes.
    const QString &peerName() const { return m_peer; }

    // gssSeal/gssUnseal with this context.
    Wsman::AuthResult<Wsman::SealedPart> seal(QByteArrayView plaintext);
    Wsman::AuthResult<QByteArray> unseal(QByteArrayView header, QByteArrayView data);

private:
    gss_ctx_id_t m_context = GSS_C_NO_CONTEXT;
    bool m_complete = false;
    GssMechanism m_mechanism = GssMechanism::Unknown;
    QString m_peer;
};

} // namespace TestServer
