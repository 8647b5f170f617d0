#pragma once

#include "auth/Error.h"
#include "auth/Ntlm.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <variant>
#include <vector>

namespace Auth {

// Object identifiers are carried as their DER content octets (no tag, no length).
namespace SpnegoOid {
QByteArray spnego(); // 1.3.6.1.5.5.2
QByteArray ntlm();   // 1.3.6.1.4.1.311.2.2.10
QByteArray krb5();   // 1.2.840.113554.1.2.2
QByteArray msKrb5(); // 1.2.840.48018.1.2.2 (Windows answers with it for Kerberos)
// Dotted text <-> content octets; InvalidArgument / InvalidToken on malformed input.
Result<QByteArray> fromString(QStringView dotted);
Result<QString> toString(QByteArrayView content);
} // namespace SpnegoOid

// A protected message with the header kept apart, as WinRM message encryption sends it
// (dossier 4.2): NTLM header = the 16-byte signature; Kerberos = the gss_wrap_iov header. `data`
// is what follows the header (ciphertext plus any padding); its size is OriginalContent Length.
struct WrappedMessage {
    QByteArray header;
    QByteArray data;
};

// Which side of the mechListMIC exchange just happened (RFC 4178 section 5).
enum class MicDirection { Sent, Verified };

// One GSS mechanism inside SPNEGO (RFC 4178): NTLM here, Kerberos in Kerberos.h. Owned by the
// SpnegoClient it is given to; sans-IO except where the implementation says otherwise.
class SpnegoMechanism {
public:
    virtual ~SpnegoMechanism() = default;

    // Short name for diagnostics ("NTLM", "Kerberos").
    virtual QString name() const = 0;
    // The OID announced in mechTypes (content octets, see SpnegoOid).
    virtual QByteArray oid() const = 0;
    // Whether the server's supportedMech names this mechanism (Kerberos also accepts msKrb5()).
    virtual bool acceptsOid(QByteArrayView oid) const { return oid == QByteArrayView(this->oid()); }

    // Context establishment: the first call gets an empty input and returns the initial token;
    // later calls get the server's responseToken. An empty output means nothing to send.
    virtual Result<QByteArray> step(QByteArrayView inputToken) = 0;
    virtual bool isComplete() const = 0;
    // Send a mechListMIC even when RFC 4178 would allow leaving it out (Windows NTLM does).
    virtual bool alwaysSendMechListMic() const { return false; }

    // GSS_GetMIC / GSS_VerifyMIC over the DER MechTypeList (RFC 4178 section 5).
    virtual Result<QByteArray> getMic(QByteArrayView data) = 0;
    virtual Result<void> verifyMic(QByteArrayView data, QByteArrayView mic) = 0;
    // Called right after a mechListMIC was produced (Sent) or checked (Verified); NTLM restarts
    // that direction's RC4 stream there (dossier 3.3).
    virtual Result<void> mechListMicProcessed(MicDirection direction)
    {
        Q_UNUSED(direction);
        return {};
    }

    // GSS_Wrap / GSS_Unwrap (confidentiality on) as one token.
    virtual Result<QByteArray> wrap(QByteArrayView plaintext) = 0;
    virtual Result<QByteArray> unwrap(QByteArrayView token) = 0;
    // The same with the header apart (WinRM message encryption, dossier 4.3/4.4).
    virtual Result<WrappedMessage> wrapWinrm(QByteArrayView plaintext) = 0;
    virtual Result<QByteArray> unwrapWinrm(QByteArrayView header, QByteArrayView data) = 0;
};

// NTLM (MS-NLMP) as a SPNEGO mechanism, OID 1.3.6.1.4.1.311.2.2.10. Owns its NtlmClient.
class NtlmMechanism final : public SpnegoMechanism {
public:
    explicit NtlmMechanism(NtlmClient client);
    static Result<std::unique_ptr<NtlmMechanism>> create(NtlmClientOptions options,
                                                         QByteArrayView passwordUtf8);

    QString name() const override;
    QByteArray oid() const override;
    Result<QByteArray> step(QByteArrayView inputToken) override;
    bool isComplete() const override;
    bool alwaysSendMechListMic() const override { return true; }
    Result<QByteArray> getMic(QByteArrayView data) override;
    Result<void> verifyMic(QByteArrayView data, QByteArrayView mic) override;
    Result<void> mechListMicProcessed(MicDirection direction) override;
    Result<QByteArray> wrap(QByteArrayView plaintext) override;
    Result<QByteArray> unwrap(QByteArrayView token) override;
    Result<WrappedMessage> wrapWinrm(QByteArrayView plaintext) override;
    Result<QByteArray> unwrapWinrm(QByteArrayView header, QByteArrayView data) override;

    NtlmClient &client() { return m_client; }

private:
    NtlmClient m_client;
};

// RFC 4178 section 4.2 tokens and their DER form.
namespace Spnego {

// RFC 4178 4.2.2 negState.
enum class NegState { AcceptCompleted = 0, AcceptIncomplete = 1, Reject = 2, RequestMic = 3 };

// RFC 4178 4.2.1 NegTokenInit. Optional fields are absent when unset (an empty value is sent).
struct NegTokenInit {
    QList<QByteArray> mechTypes;        // OID content octets, most preferred first
    std::optional<QByteArray> reqFlags; // BIT STRING content octets (unused-bits byte first)
    std::optional<QByteArray> mechToken;
    std::optional<QByteArray> mechListMic;
};

// RFC 4178 4.2.2 NegTokenResp.
struct NegTokenResp {
    std::optional<NegState> negState;
    std::optional<QByteArray> supportedMech;
    std::optional<QByteArray> responseToken;
    std::optional<QByteArray> mechListMic;
};

using NegotiationToken = std::variant<NegTokenInit, NegTokenResp>;

// Limits of the reader (its nesting depth is fixed by the schema); anything beyond is
// InvalidToken.
inline constexpr qsizetype MaxTokenSize = 64 * 1024;
inline constexpr qsizetype MaxMechTypes = 32;

// MechTypeList DER (SEQUENCE OF OID): what the mechListMIC covers.
QByteArray encodeMechTypeList(const QList<QByteArray> &mechTypes);
// RFC 2743 3.1 InitialContextToken: [APPLICATION 0] { spnego OID, [0] NegTokenInit }.
QByteArray encodeInitialContextToken(const NegTokenInit &token);
// NegotiationToken [1] NegTokenResp.
QByteArray encodeNegTokenResp(const NegTokenResp &token);
// Accepts the InitialContextToken wrapper, a bare [0] NegTokenInit or a [1] NegTokenResp.
Result<NegotiationToken> decode(QByteArrayView der);

} // namespace Spnego

// The SPNEGO initiator (RFC 4178): announces every candidate mechanism, sends the first one's
// optimistic token, follows the server's choice (restarting on the second mechanism when the
// server picks it), exchanges and checks mechListMIC, then delegates wrap/unwrap to the chosen
// mechanism. Owns its mechanisms. Sans-IO (the mechanisms may not be); not thread-safe.
class SpnegoClient {
public:
    explicit SpnegoClient(std::vector<std::unique_ptr<SpnegoMechanism>> mechanisms);
    SpnegoClient(SpnegoClient &&) noexcept = default;
    SpnegoClient &operator=(SpnegoClient &&) noexcept = default;
    ~SpnegoClient();

    // First call: empty input, returns the InitialContextToken (the Authorization: Negotiate
    // payload). Later calls: the server's token from WWW-Authenticate (on the 401 legs and on
    // the final 200); the output is empty when nothing needs sending.
    Result<QByteArray> step(QByteArrayView inputToken);
    // True once the server's accept-completed (with its mechListMIC when one is due) was fed:
    // with NTLM that token arrives on the 200 and must be stepped before the first unwrap.
    bool isComplete() const { return m_state == State::Complete; }

    // The mechanism the server chose (nullptr before its first answer or after failure).
    SpnegoMechanism *mechanism() const;
    // Why mechanisms were dropped or chosen (no secrets), e.g. Kerberos failing without a ticket.
    QStringList diagnostics() const { return m_diagnostics; }

    Result<QByteArray> wrap(QByteArrayView plaintext);
    Result<QByteArray> unwrap(QByteArrayView token);
    Result<WrappedMessage> wrapWinrm(QByteArrayView plaintext);
    Result<QByteArray> unwrapWinrm(QByteArrayView header, QByteArrayView data);

private:
    enum class State { Initial, InProgress, Complete, Failed };
    Result<QByteArray> initiate();
    Result<QByteArray> continueWith(const Spnego::NegTokenResp &response);
    Result<QByteArray> fail(Error error);
    Result<SpnegoMechanism *> established();

    std::vector<std::unique_ptr<SpnegoMechanism>> m_mechanisms;
    QList<QByteArray> m_mechTypes;
    QByteArray m_mechTypeListDer;
    QStringList m_diagnostics;
    int m_selected = -1;
    bool m_awaitingFirstReply = false;
    bool m_micSent = false;
    bool m_micVerified = false;
    bool m_micRequired = false;
    State m_state = State::Initial;
};

} // namespace Auth
