#pragma once

#include "wsman/Authenticator.h"

#include <QString>

namespace Wsman {

// RFC 7617 Basic (dossier 3.2): the credentials on every request, no handshake state, no
// message encryption, not safe over plain HTTP. Holds the password as a Secret; the encoded
// header is wiped as well.
class BasicAuthenticator final : public Authenticator {
public:
    BasicAuthenticator(QString userName, Secret password);
    ~BasicAuthenticator() override;

    QByteArray scheme() const override;
    bool isSafeOverPlainHttp() const override { return false; }
    bool encryptsMessages() const override { return false; }

    void reset() override;
    AuthResult<AuthLeg> begin() override;
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override;
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override;
    bool isEstablished() const override { return m_established; }
    QByteArray requestAuthorization() const override;

    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override;
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override;

private:
    Secret m_header; // "Basic base64(user:password)"
    bool m_sent = false;
    bool m_established = false;
};

} // namespace Wsman
