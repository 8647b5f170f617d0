#pragma once

#include "wsman/Authenticator.h"

#include <QByteArray>
#include <QByteArrayView>

namespace Wsman {

// Dossier 3.7 / MS-WSMV 2.2.9.2: the WinRM "secprofile" for TLS client certificates.
inline constexpr QByteArrayView CertificateAuthScheme = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual";

// Client certificate authentication (Enter-PSSession -CertificateThumbprint, dossier 3.7): the
// certificate itself is presented in the TLS handshake by the Channel (ChannelSettings::
// clientCertificate); this authenticator only adds the mutual-profile Authorization header to
// every request. No token exchange, no message encryption, HTTPS only. Holds no secret; owned
// by its Channel.
class CertificateAuthenticator final : public Authenticator {
public:
    QByteArray scheme() const override;
    bool isSafeOverPlainHttp() const override { return false; }
    bool requiresHttps() const override { return true; }
    bool encryptsMessages() const override { return false; }

    void reset() override;
    AuthResult<AuthLeg> begin() override;
    AuthResult<AuthLeg> continueWith(const QList<QByteArray> &challenges) override;
    AuthResult<bool> finish(const QList<QByteArray> &challenges) override;
    bool isEstablished() const override { return m_established; }
    QByteArray requestAuthorization() const override;

    AuthResult<WrappedMessage> wrap(const QByteArray &plaintext, const QByteArray &soapContentType) override;
    AuthResult<WrappedMessage> unwrap(const QByteArray &body, const QByteArray &contentType) override;

    // The detail of the Rejected error a 401 after the header produces.
    static QString rejectedDetail();

private:
    bool m_sent = false;
    bool m_established = false;
};

// A fresh CertificateAuthenticator per channel; set ClientOptions::clientCertificate as well.
AuthenticatorFactory certificateAuthenticatorFactory();

} // namespace Wsman
