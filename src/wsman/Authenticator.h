#pragma once

#include "wsman/Secret.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

namespace Auth {
struct Error;
} // namespace Auth

namespace Wsman {

// Why authentication or message protection failed. The detail never contains a secret.
enum class AuthErrorCode {
    SchemeNotOffered, // the server's WWW-Authenticate lists no scheme this authenticator speaks
    Rejected,         // the server refused the credentials (a 401 after the last leg)
    InvalidToken,     // a malformed or unexpected server token
    CryptoFailure,    // wrap/unwrap failed (bad signature, tampering, length mismatch)
    Unsupported,      // a feature this authenticator does not provide
    // Kerberos/SPNEGO failures before or during the handshake (dossier 3.5):
    NoCredentials,    // no ticket in the cache (or it expired) and no password
    UnknownUser,      // the KDC does not know the account
    UnknownServer,    // the KDC does not know the SPN HTTP/host[:port]
    KdcUnreachable,   // no KDC answered for the realm
    ClockSkew,        // local clock too far from the KDC's or the server's
};

struct AuthError {
    AuthErrorCode code;
    QString detail;
};

// Either a value or an AuthError.
template <typename T>
class [[nodiscard]] AuthResult {
public:
    AuthResult(T value) : m_data(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
    AuthResult(AuthError error) : m_data(std::in_place_index<1>, std::move(error)) {} // NOLINT

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const AuthError &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, AuthError> m_data;
};

// One leg of a handshake: the Authorization header value to send, and whether the client
// expects this to be the last one (the server may still answer with a final token on the 2xx).
struct AuthLeg {
    QByteArray authorization;
    bool lastLeg = false;
};

// A body ready to POST, with its Content-Type (multipart/encrypted when wrapped, dossier 4.2).
struct WrappedMessage {
    QByteArray body;
    QByteArray contentType;
};

// One authentication scheme for one channel (one TCP connection). The Channel drives it:
//   reset() on a new/replaced connection, begin() for the first leg, continueWith(challenge)
//   for each 401 carrying a WWW-Authenticate token, finish(token) on the final 2xx;
//   then isEstablished(). requestAuthorization() is the header each later request carries
//   (Basic: the credentials every time; connection-bound schemes: none).
//   wrap()/unwrap() protect bodies when encryptsMessages() (WinRM message encryption over HTTP).
// Owned by its Channel; lives as long as it. Not thread-safe.
class Authenticator {
public:
    virtual ~Authenticator() = default;

    // The HTTP scheme token ("Basic", "Negotiate", "Kerberos", "CredSSP", ...).
    virtual QByteArray scheme() const = 0;
    // Whether credentials and data stay protected on plain HTTP (Basic: no).
    virtual bool isSafeOverPlainHttp() const = 0;
    // Whether the scheme exists only inside TLS (client certificates, dossier 3.7): refused on
    // plain HTTP even with NoEncryption=true.
    virtual bool requiresHttps() const { return false; }
    // Whether bodies are wrapped (MS-WSMV 2.2.9.1) once established; Basic: never.
    virtual bool encryptsMessages() const = 0;

    // Whether begin/continueWith/finish may block for seconds (GSSAPI talking to a KDC): the
    // Channel then runs each leg on a worker thread and touches nothing else of the
    // authenticator until the leg is back. wrap/unwrap must never block.
    virtual bool blocksOnLegs() const { return false; }
    // On HTTPS, whether the first token already needs the server certificate (channel bindings
    // inside a Kerberos AP-REQ): the Channel then opens with an unauthenticated request and
    // starts the handshake from its 401 with continueWith() (which begins from Idle).
    virtual bool wantsServerCertificateFirst() const { return false; }

    // Forget any security context: the connection it was bound to is gone.
    virtual void reset() = 0;
    virtual AuthResult<AuthLeg> begin() = 0;
    // challenges: every WWW-Authenticate value of the 401 (a server may offer several schemes).
    virtual AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) = 0;
    // The WWW-Authenticate values of the final 2xx (mutual authentication); may be empty.
    virtual AuthResult<bool> finish(const QList<QByteArray> &challenges) = 0;
    virtual bool isEstablished() const = 0;
    virtual QByteArray requestAuthorization() const = 0;

    // The server's TLS certificate (DER), given by the Channel on HTTPS before each handshake
    // leg is answered, for channel bindings (RFC 5929 tls-server-end-point). Default: unused.
    virtual AuthResult<bool> setServerCertificate(QByteArrayView certificateDer)
    {
        Q_UNUSED(certificateDer);
        return true;
    }

    // soapContentType: e.g. "application/soap+xml;charset=UTF-8".
    virtual AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) = 0;
    // Returns the plaintext body and its original content type.
    virtual AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) = 0;
};

// Creates a fresh authenticator for each channel (also declared, identically, in
// wsman/RunspacePoolClient.h).
using AuthenticatorFactory = std::function<std::unique_ptr<Authenticator>()>;

// The token after "Scheme " in the first challenge naming `scheme` (case-insensitive); nullopt
// when none names it. "Basic realm=..." yields "realm=...".
std::optional<QByteArray> challengeToken(const QList<QByteArray> &challenges, QByteArrayView scheme);

// Maps an auth-library error to the wsman code (Kerberos failures keep their kind); `prefix`
// names the scheme in the detail ("NTLM: ...").
AuthError authErrorFrom(const Auth::Error &error, const QString &prefix);

} // namespace Wsman
