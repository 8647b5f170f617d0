#pragma once

#include "wsman/Authenticator.h"

#include "auth/Digest.h"

#include <QByteArray>
#include <QString>
#include <QUrl>

namespace Wsman {

// HTTP Digest (RFC 7616) over Auth::DigestClient, for servers that offer it (a reverse proxy
// such as Apache mod_auth_digest; WinRM itself never does). The first request goes without
// credentials to learn the challenge; every later request carries a fresh Authorization (POST,
// the endpoint path, nc counting up). Digest protects the password but not the messages: not
// safe over plain HTTP, no message encryption. Owned by its Channel; not thread-safe.
class DigestAuthenticator final : public Authenticator {
public:
    // requestUri: the request-target every POST uses ("/wsman"), see digestRequestUri().
    DigestAuthenticator(QString userName, Secret password, QByteArray requestUri,
                        Auth::CnonceSource cnonce = {});
    ~DigestAuthenticator() override;

    QByteArray scheme() const override;
    bool isSafeOverPlainHttp() const override { return false; }
    bool encryptsMessages() const override { return false; }

    void reset() override;
    AuthResult<AuthLeg> begin() override;
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override;
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override;
    bool isEstablished() const override { return m_state == State::Established; }
    // A fresh Authorization for the next request (nc + 1); empty when none can be made.
    QByteArray requestAuthorization() const override;

    // RFC 7616 section 3.5: checks the Authentication-Info of a 2xx (rspauth), adopts nextnonce.
    // The Channel does not hand this header over today; a caller that has it may.
    AuthResult<bool> verifyAuthenticationInfo(const QByteArray &headerValue);

    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override;
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override;

    // Nonce count of the last Authorization on the current nonce (0 before any).
    quint32 nonceCount() const { return m_client.nonceCount(); }

private:
    enum class State { Idle, AwaitingChallenge, Responded, Established };
    AuthResult<AuthLeg> respond(Auth::DigestChallenge challenge);

    QString m_userName;
    QByteArray m_requestUri;
    mutable Auth::DigestClient m_client; // requestAuthorization() counts nc up
    State m_state = State::Idle;
    int m_staleRetries = 0;
};

// The request-target of `endpoint` as Digest's uri parameter: path (default "/") and query,
// percent-encoded as sent on the request line.
QByteArray digestRequestUri(const QUrl &endpoint);

// One DigestAuthenticator per channel, all answering with `endpoint`'s request-target.
AuthenticatorFactory digestAuthenticatorFactory(QString userName, Secret password, QUrl endpoint);

} // namespace Wsman
