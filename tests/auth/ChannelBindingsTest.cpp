#include "auth/ChannelBindings.h"

#include "AuthTestSupport.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Auth;
using namespace AuthTest;

namespace {

// A self-signed certificate signed with `digest` (nullptr for Ed25519), as DER.
QByteArray certificate(const char *keyType, const EVP_MD *digest)
{
    EVP_PKEY *key = std::string_view(keyType) == "RSA"
                        ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(1024))
                    : std::string_view(keyType) == "EC"
                        ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                        : EVP_PKEY_Q_keygen(nullptr, nullptr, keyType);
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("host"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    QByteArray der;
    if (X509_sign(cert, key, digest) > 0) {
        unsigned char *out = nullptr;
        const int length = i2d_X509(cert, &out);
        if (length > 0)
            der = QByteArray(reinterpret_cast<const char *>(out), length);
        OPENSSL_free(out);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return der;
}

QByteArray independentDigest(const EVP_MD *md, const QByteArray &data)
{
    QByteArray out(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    EVP_Digest(data.constData(), size_t(data.size()), reinterpret_cast<unsigned char *>(out.data()),
               &length, md, nullptr);
    return out.first(length);
}

} // namespace

TEST(ChannelBindings, SerializesTheGssStructLittleEndian)
{
    ChannelBindings bindings;
    bindings.applicationData = "abc";
    EXPECT_EQ(bindings.serialize(), hex("00000000 00000000 00000000 00000000 03000000 616263"));
    bindings.initiatorAddressType = 2;
    bindings.initiatorAddress = hex("7f000001");
    bindings.acceptorAddressType = 2;
    bindings.acceptorAddress = hex("0a000001");
    EXPECT_EQ(bindings.serialize(),
              hex("02000000 04000000 7f000001 02000000 04000000 0a000001 03000000 616263"));
}

TEST(ChannelBindings, TlsServerEndPointUsesSha256ForWeakOrEqualHashes)
{
    for (const auto &[keyType, md] : {std::pair{"RSA", EVP_md5()}, std::pair{"EC", EVP_sha1()},
                                      std::pair{"EC", EVP_sha256()}}) {
        const QByteArray der = certificate(keyType, md);
        ASSERT_FALSE(der.isEmpty()) << EVP_MD_get0_name(md);
        EXPECT_EQ(*tlsServerEndPointAlgorithm(crypto(), der), DigestAlgorithm::Sha256)
            << EVP_MD_get0_name(md);
        EXPECT_EQ(*tlsServerEndPointHash(crypto(), der), independentDigest(EVP_sha256(), der));
    }
}

TEST(ChannelBindings, TlsServerEndPointUsesTheCertificatesStrongerHash)
{
    const QByteArray sha384 = certificate("EC", EVP_sha384());
    EXPECT_EQ(*tlsServerEndPointAlgorithm(crypto(), sha384), DigestAlgorithm::Sha384);
    EXPECT_EQ(*tlsServerEndPointHash(crypto(), sha384), independentDigest(EVP_sha384(), sha384));
    const QByteArray sha512 = certificate("RSA", EVP_sha512());
    EXPECT_EQ(*tlsServerEndPointAlgorithm(crypto(), sha512), DigestAlgorithm::Sha512);
}

TEST(ChannelBindings, HashlessSignatureFallsBackToSha256)
{
    const QByteArray ed25519 = certificate("ED25519", nullptr);
    ASSERT_FALSE(ed25519.isEmpty());
    EXPECT_EQ(*tlsServerEndPointAlgorithm(crypto(), ed25519), DigestAlgorithm::Sha256);
}

TEST(ChannelBindings, ApplicationDataIsPrefixedHash)
{
    const QByteArray der = certificate("EC", EVP_sha384());
    const Result<ChannelBindings> bindings = ChannelBindings::tlsServerEndPoint(crypto(), der);
    ASSERT_TRUE(bindings);
    EXPECT_EQ(bindings->applicationData,
              QByteArray("tls-server-end-point:" + independentDigest(EVP_sha384(), der)));
    EXPECT_EQ(bindings->serialize().size(), 20 + 21 + 48);
}

TEST(ChannelBindings, RejectsWhatIsNotACertificate)
{
    for (const QByteArray &bad :
         {QByteArray(), QByteArray("not DER"), certificate("EC", EVP_sha256()).first(100)}) {
        const Result<ChannelBindings> bindings = ChannelBindings::tlsServerEndPoint(crypto(), bad);
        ASSERT_FALSE(bindings);
        EXPECT_EQ(bindings.error().code, ErrorCode::InvalidArgument);
    }
}
