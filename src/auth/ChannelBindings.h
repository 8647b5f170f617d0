#pragma once

#include "auth/CryptoProvider.h"
#include "auth/Error.h"

#include <QByteArray>
#include <QByteArrayView>

namespace Auth {

// GSS-API channel bindings (RFC 2744 gss_channel_bindings_struct), as NTLM hashes them into
// MsvAvChannelBindings and Kerberos carries them. A plain value.
struct ChannelBindings {
    quint32 initiatorAddressType = 0;
    QByteArray initiatorAddress;
    quint32 acceptorAddressType = 0;
    QByteArray acceptorAddress;
    QByteArray applicationData;

    // Each field as u32 LE (address types, then lengths before their bytes), dossier 3.3.
    QByteArray serialize() const;

    // RFC 5929 4.1 tls-server-end-point: "tls-server-end-point:" + H(certificate DER).
    static Result<ChannelBindings> tlsServerEndPoint(const CryptoProvider &crypto,
                                                     QByteArrayView certificateDer);
};

// RFC 5929 4.1: the certificate's signature hash, or SHA-256 when that is MD5, SHA-1 or none.
Result<DigestAlgorithm> tlsServerEndPointAlgorithm(const CryptoProvider &crypto,
                                                   QByteArrayView certificateDer);
Result<QByteArray> tlsServerEndPointHash(const CryptoProvider &crypto,
                                         QByteArrayView certificateDer);

} // namespace Auth
