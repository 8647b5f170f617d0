#pragma once

#include "auth/Error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <functional>
#include <optional>
#include <utility>

namespace Auth {

// One challenge of a WWW-Authenticate (or Proxy-Authenticate) header (RFC 7235 section 2.1):
// the scheme and either a token68 or auth-params. Parameter names are lower-cased, values
// unquoted (quoted-pair escapes resolved).
struct AuthChallenge {
    QByteArray scheme;
    QByteArray token68;
    QList<std::pair<QByteArray, QByteArray>> params;

    // The value of parameter `name` (lower-case); nullopt when absent.
    std::optional<QByteArray> param(QByteArrayView name) const;
};

// RFC 7235 section 4.1: every challenge of one header value ("Basic realm=\"x\", Digest ...").
// Bounded (at most 16 KiB, 32 challenges, 32 parameters each); InvalidToken on malformed syntax
// or a parameter named twice in one challenge.
Result<QList<AuthChallenge>> parseChallenges(QByteArrayView headerValue);
// RFC 7235 section 2.1 auth-param list alone (e.g. Authentication-Info, RFC 7615 section 3).
Result<QList<std::pair<QByteArray, QByteArray>>> parseAuthParams(QByteArrayView headerValue);

enum class HttpDigestAlgorithm { Md5, Md5Sess, Sha256, Sha256Sess };

// A Digest challenge (RFC 7616 section 3.3) reduced to what a client uses.
struct DigestChallenge {
    QByteArray realm;
    QByteArray nonce;
    std::optional<QByteArray> opaque;
    HttpDigestAlgorithm algorithm = HttpDigestAlgorithm::Md5;
    bool qopAuth = false;    // qop offered and includes "auth"
    bool qopAuthInt = false; // qop includes "auth-int"
    bool legacy = false;     // no qop at all (RFC 2069 response, no nc/cnonce)
    bool stale = false;
    bool userhash = false;
    bool charsetUtf8 = false;
};

// RFC 7616 section 3.3: realm and nonce required; InvalidToken when missing or malformed,
// Unsupported for an unknown algorithm or a qop list without "auth" (auth-int alone).
Result<DigestChallenge> parseDigestChallenge(const AuthChallenge &challenge);

// Of every Digest challenge in the header values, the one to answer: SHA-256 (or SHA-256-sess)
// before MD5 (RFC 7616 section 3.7), the server's order otherwise. InvalidArgument when no
// Digest challenge is present; the error of the last unusable one when none is usable.
Result<DigestChallenge> selectDigestChallenge(const QList<QByteArray> &headerValues);

// Returns a fresh client nonce (printable, no quote or backslash). Injectable for tests.
using CnonceSource = std::function<QByteArray()>;

// An HTTP Digest client (RFC 7616): takes a challenge, then produces one Authorization value per
// request (nc counts up per nonce) and checks Authentication-Info rspauth. Sans-IO. Keeps the
// password (UTF-8) because HA1 depends on the realm of each new challenge; wiped on
// destruction. Move-only, not thread-safe.
class DigestClient {
public:
    // userName: sent as username, or username* (RFC 8187) when not ASCII and userhash is off.
    DigestClient(QString userName, QByteArrayView passwordUtf8, CnonceSource cnonce = {});
    DigestClient(DigestClient &&) noexcept = default;
    DigestClient &operator=(DigestClient &&) noexcept = default;
    DigestClient(const DigestClient &) = delete;
    DigestClient &operator=(const DigestClient &) = delete;
    ~DigestClient();

    // Adopts a challenge; the nonce count restarts.
    void setChallenge(DigestChallenge challenge);
    bool hasChallenge() const { return m_challenge.has_value(); }
    const std::optional<DigestChallenge> &challenge() const { return m_challenge; }
    void clearChallenge();

    // The Authorization value for one request (RFC 7616 section 3.4), nc incremented.
    // InvalidState without a challenge or when the nonce count is exhausted.
    Result<QByteArray> authorization(QByteArrayView method, QByteArrayView requestUri);
    // The nonce count of the last authorization() (0 before the first on this nonce).
    quint32 nonceCount() const { return m_nonceCount; }

    // RFC 7616 section 3.5: checks rspauth (and cnonce/nc when echoed) of the Authentication-Info
    // answering the last authorization(); adopts nextnonce. IntegrityFailure on a mismatch,
    // InvalidToken when malformed; success when rspauth is absent (nothing to check).
    Result<void> verifyAuthenticationInfo(QByteArrayView headerValue);

private:
    struct Sent {
        QByteArray uri;
        QByteArray cnonce;
        QByteArray nc;
        QByteArray ha1;
    };
    Result<QByteArray> ha1For(const DigestChallenge &challenge, const QByteArray &cnonce);
    QByteArray hash(const QByteArray &data) const;

    QString m_userName;
    QByteArray m_password;
    CnonceSource m_cnonce;
    std::optional<DigestChallenge> m_challenge;
    quint32 m_nonceCount = 0;
    QByteArray m_sessionCnonce; // -sess: one cnonce per nonce, so HA1 stays the same
    std::optional<Sent> m_last;
};

// The RFC 7616 hash of `data` in lower-case hex.
QByteArray digestHash(HttpDigestAlgorithm algorithm, const QByteArray &data);
QByteArray digestAlgorithmName(HttpDigestAlgorithm algorithm);

} // namespace Auth
