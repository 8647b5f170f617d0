#include "auth/ChannelBindings.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <limits>
#include <memory>

using namespace Qt::Literals::StringLiterals;

namespace Auth {

namespace {

void appendU32(QByteArray &out, quint32 value)
{
    for (int shift = 0; shift < 32; shift += 8)
        out.append(char((value >> shift) & 0xff));
}

} // namespace

QByteArray ChannelBindings::serialize() const
{
    QByteArray out;
    appendU32(out, initiatorAddressType);
    appendU32(out, quint32(initiatorAddress.size()));
    out.append(initiatorAddress);
    appendU32(out, acceptorAddressType);
    appendU32(out, quint32(acceptorAddress.size()));
    out.append(acceptorAddress);
    appendU32(out, quint32(applicationData.size()));
    out.append(applicationData);
    return out;
}

Result<DigestAlgorithm> tlsServerEndPointAlgorithm(const CryptoProvider &crypto,
                                                   QByteArrayView certificateDer)
{
    if (certificateDer.isEmpty() || certificateDer.size() > std::numeric_limits<long>::max())
        return makeError(ErrorCode::InvalidArgument, u"empty or oversized server certificate"_s);
    const auto *cursor = reinterpret_cast<const unsigned char *>(certificateDer.data());
    // Parsed inside our own library context (the public key decoders come from its providers).
    X509 *fresh = X509_new_ex(crypto.libraryContext(), nullptr);
    if (!fresh)
        return makeError(ErrorCode::CryptoFailure, u"X509_new_ex failed"_s);
    // On failure d2i_X509 frees the object it was given and nulls the pointer.
    const std::unique_ptr<X509, decltype(&X509_free)> certificate(
        d2i_X509(&fresh, &cursor, long(certificateDer.size())), &X509_free);
    if (!certificate) {
        ERR_clear_error();
        return makeError(ErrorCode::InvalidArgument,
                         u"the server certificate is not valid DER X.509"_s);
    }
    int digestNid = NID_undef;
    if (!OBJ_find_sigid_algs(X509_get_signature_nid(certificate.get()), &digestNid, nullptr))
        digestNid = NID_undef;
    switch (digestNid) {
    case NID_sha384:
        return DigestAlgorithm::Sha384;
    case NID_sha512:
        return DigestAlgorithm::Sha512;
    default:
        return DigestAlgorithm::Sha256; // SHA-256 itself, MD5, SHA-1, and hashless signatures
    }
}

Result<QByteArray> tlsServerEndPointHash(const CryptoProvider &crypto,
                                         QByteArrayView certificateDer)
{
    Result<DigestAlgorithm> algorithm = tlsServerEndPointAlgorithm(crypto, certificateDer);
    if (!algorithm)
        return algorithm.error();
    return crypto.digest(*algorithm, certificateDer);
}

Result<ChannelBindings> ChannelBindings::tlsServerEndPoint(const CryptoProvider &crypto,
                                                           QByteArrayView certificateDer)
{
    Result<QByteArray> hash = tlsServerEndPointHash(crypto, certificateDer);
    if (!hash)
        return hash.error();
    ChannelBindings bindings;
    bindings.applicationData = QByteArray(QByteArrayLiteral("tls-server-end-point:") + *hash);
    return bindings;
}

} // namespace Auth
