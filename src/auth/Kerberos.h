#pragma once

#include "auth/ChannelBindings.h"
#include "auth/Error.h"
#include "auth/Spnego.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>
#include <optional>

namespace Auth {

// What a KerberosClient is built from (everything but the password).
struct KerberosClientOptions {
    // The server's host name as its SPN names it: HTTP/<host> (dossier 3.5).
    QString host;
    // Only used with includePortInSpn: HTTP/<host>:<port>, imported as a krb5 principal name.
    quint16 port = 0;
    bool includePortInSpn = false;
    // The SPN's service class ("HTTP"; "host" also works against a Windows computer account).
    QString service = QStringLiteral("HTTP");
    // user@REALM (a bare name takes the default realm). With a password: fresh credentials for
    // this user. Without one: the default ticket cache, or this user's ticket in the collection.
    QString user;
    // Ask for a forwardable TGT to be delegated to the server (double hop).
    bool delegate = false;
    // HTTPS: tls-server-end-point application data (dossier 3.3 / 3.5).
    std::optional<ChannelBindings> channelBindings;
};

// Why a Kerberos operation failed, for callers that tell the user what to do.
enum class KerberosFailure {
    None,           // not a Kerberos failure (or not one of the kinds below)
    NoCredentials,  // no ticket in the cache and no password given
    TicketExpired,  // the cached ticket is no longer valid
    WrongPassword,  // the KDC rejected the password
    UnknownUser,    // the KDC does not know the client principal
    KdcUnreachable, // no KDC answered for the realm
    UnknownServer,  // the KDC does not know the target SPN
    ClockSkew,      // local clock too far from the KDC's or server's
};

// The kind of a failure reported by KerberosClient (from the Error's leading sentence).
KerberosFailure kerberosFailure(const Error &error);
// The Error for a GSSAPI major/minor status pair, with gss_display_status text; `subject` names
// the principal involved (never a secret). Public so the classification can be tested.
Error kerberosStatusError(quint32 major, quint32 minor, const QString &subject);

// A Kerberos (RFC 4121) initiator over the system GSSAPI (MIT krb5): credentials from a password
// or the ticket cache, context establishment with mutual authentication, WinRM message
// encryption through gss_wrap_iov (dossier 4.4) and MICs for SPNEGO. Not sans-IO: create() and
// step() may block on KDC round trips and read ticket caches, so callers run them off the GUI
// thread; no Qt event loop is used inside. Owns its GSSAPI handles (released on destruction);
// move-only, not thread-safe; one per authenticated connection.
class KerberosClient {
public:
    // Resolves the SPN and acquires credentials (a KDC exchange when a password is given; the
    // password is not kept).
    static Result<KerberosClient> create(KerberosClientOptions options,
                                         QByteArrayView passwordUtf8 = {});
    KerberosClient(KerberosClient &&) noexcept;
    KerberosClient &operator=(KerberosClient &&) noexcept;
    KerberosClient(const KerberosClient &) = delete;
    KerberosClient &operator=(const KerberosClient &) = delete;
    ~KerberosClient();

    // First call: empty input, returns the AP-REQ token (the KDC is asked for a service ticket).
    // Second call: the server's AP-REP (mutual authentication), returns an empty token and
    // completes. A context without integrity and confidentiality fails with Unsupported.
    Result<QByteArray> step(QByteArrayView inputToken);
    bool isComplete() const;

    // "HTTP/host" or "HTTP/host:port" as requested; the client principal once credentials exist.
    QString targetName() const;
    QString clientPrincipal() const;
    // Whether the server accepted a delegated credential (only with options.delegate).
    bool delegated() const;

    // WinRM encryption (dossier 4.4): gss_wrap_iov HEADER | DATA | PADDING with conf=1. `header`
    // is what the L prefix announces; `data` = ciphertext ‖ padding, its size OriginalContent
    // Length.
    Result<WrappedMessage> wrapWinrm(QByteArrayView plaintext);
    // gss_unwrap_iov HEADER | DATA | empty DATA. Tampering, replays and unencrypted tokens fail
    // with IntegrityFailure.
    Result<QByteArray> unwrapWinrm(QByteArrayView header, QByteArrayView data);
    // GSS_Wrap / GSS_Unwrap (confidentiality on) as one token.
    Result<QByteArray> wrap(QByteArrayView plaintext);
    Result<QByteArray> unwrap(QByteArrayView token);
    // GSS_GetMIC / GSS_VerifyMIC (SPNEGO mechListMIC).
    Result<QByteArray> getMic(QByteArrayView message);
    Result<void> verifyMic(QByteArrayView message, QByteArrayView mic);

private:
    struct Handles;
    enum class State { Initial, InProgress, Complete, Failed };
    KerberosClient();
    Result<QByteArray> fail(Error error);
    Result<void> requireComplete() const;

    KerberosClientOptions m_options;
    QString m_targetName;
    std::unique_ptr<Handles> m_handles;
    State m_state = State::Initial;
};

// Kerberos as a SPNEGO mechanism: OID 1.2.840.113554.1.2.2 (accepting Windows'
// 1.2.840.48018.1.2.2 in supportedMech). Owns its KerberosClient; blocks like it.
class KerberosMechanism final : public SpnegoMechanism {
public:
    explicit KerberosMechanism(KerberosClient client);
    static Result<std::unique_ptr<KerberosMechanism>> create(KerberosClientOptions options,
                                                             QByteArrayView passwordUtf8 = {});

    QString name() const override;
    QByteArray oid() const override;
    bool acceptsOid(QByteArrayView oid) const override;
    Result<QByteArray> step(QByteArrayView inputToken) override;
    bool isComplete() const override;
    Result<QByteArray> getMic(QByteArrayView data) override;
    Result<void> verifyMic(QByteArrayView data, QByteArrayView mic) override;
    Result<QByteArray> wrap(QByteArrayView plaintext) override;
    Result<QByteArray> unwrap(QByteArrayView token) override;
    Result<WrappedMessage> wrapWinrm(QByteArrayView plaintext) override;
    Result<QByteArray> unwrapWinrm(QByteArrayView header, QByteArrayView data) override;

    KerberosClient &client() { return m_client; }

private:
    KerberosClient m_client;
};

} // namespace Auth
