#include "auth/CryptoProvider.h"

#include "AuthTestSupport.h"

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Auth;
using AuthTest::crypto;
using AuthTest::hex;

TEST(CryptoProvider, Md4MatchesRfc1320)
{
    EXPECT_EQ(*crypto().md4(""), hex("31d6cfe0d16ae931b73c59d7e0c089c0"));
    EXPECT_EQ(*crypto().md4("abc"), hex("a448017aaf21d8525fc10ae87aa6729d"));
    EXPECT_EQ(*crypto().md4("message digest"), hex("d9130a8164549fe818874806e1c7014b"));
}

TEST(CryptoProvider, Md5AndShaDigests)
{
    EXPECT_EQ(*crypto().md5(""), hex("d41d8cd98f00b204e9800998ecf8427e"));
    EXPECT_EQ(*crypto().md5("abc"), hex("900150983cd24fb0d6963f7d28e17f72"));
    EXPECT_EQ(*crypto().digest(DigestAlgorithm::Sha256, "abc"),
              hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    EXPECT_EQ(crypto().digest(DigestAlgorithm::Sha384, "abc")->size(), 48);
    EXPECT_EQ(crypto().digest(DigestAlgorithm::Sha512, "abc")->size(), 64);
}

TEST(CryptoProvider, HmacMd5MatchesRfc2202)
{
    EXPECT_EQ(*crypto().hmacMd5(QByteArray(16, '\x0b'), "Hi There"),
              hex("9294727a3638bb1c13f48ef8158bfc9d"));
    EXPECT_EQ(*crypto().hmacMd5("Jefe", "what do ya want for nothing?"),
              hex("750c783e6ab0b503eaa86e310a5db738"));
    // A key longer than the block is hashed first (RFC 2202 case 6).
    EXPECT_EQ(*crypto().hmacMd5(QByteArray(80, '\xaa'),
                                "Test Using Larger Than Block-Size Key - Hash Key First"),
              hex("6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"));
}

TEST(CryptoProvider, Rc4KnownAnswerAndStreamState)
{
    Result<Rc4> cipher = crypto().rc4("Key");
    ASSERT_TRUE(cipher) << cipher.error().detail.toStdString();
    EXPECT_EQ(*cipher->process("Plaintext"), hex("bbf316e8d940af0ad3"));

    // The stream continues across calls: two halves equal one whole.
    Result<Rc4> whole = crypto().rc4("Secret");
    Result<Rc4> split = crypto().rc4("Secret");
    const QByteArray text("Attack at dawn");
    const QByteArray expected = *whole->process(text);
    EXPECT_EQ(expected, hex("45a01f645fc35b383552544b9bf5"));
    const QByteArray head = *split->process(text.first(5));
    const QByteArray tail = *split->process(text.sliced(5));
    EXPECT_EQ(QByteArray(head + tail), expected);
    // ... and reset() starts it over.
    ASSERT_TRUE(split->reset());
    EXPECT_EQ(*split->process(text), expected);
    // RC4 is its own inverse.
    Result<Rc4> decrypt = crypto().rc4("Secret");
    EXPECT_EQ(*decrypt->process(expected), text);
}

TEST(CryptoProvider, Rc4SurvivesMoves)
{
    Result<Rc4> cipher = crypto().rc4("Key");
    Rc4 moved = std::move(cipher).value();
    EXPECT_EQ(*moved.process("Plain"), hex("bbf316e8d9"));
    Rc4 assigned = crypto().rc4("other").value();
    assigned = std::move(moved);
    EXPECT_EQ(*assigned.process("text"), hex("40af0ad3"));
}

TEST(CryptoProvider, Rc4RejectsAnEmptyKey)
{
    const Result<Rc4> cipher = crypto().rc4("");
    ASSERT_FALSE(cipher);
    EXPECT_EQ(cipher.error().code, ErrorCode::InvalidArgument);
}

TEST(CryptoProvider, MissingLegacyProviderIsATypedErrorNamingThePackage)
{
    const auto provider = CryptoProvider::create(u"/nonexistent/ossl-modules"_s);
    ASSERT_FALSE(provider);
    EXPECT_EQ(provider.error().code, ErrorCode::CryptoUnavailable);
    EXPECT_TRUE(provider.error().detail.contains(u"legacy"_s))
        << provider.error().detail.toStdString();
    EXPECT_TRUE(provider.error().detail.contains(u"libssl3"_s))
        << provider.error().detail.toStdString();
}

TEST(CryptoProvider, PrivateInstanceWorksAlongsideTheSharedOne)
{
    const auto provider = CryptoProvider::create();
    ASSERT_TRUE(provider) << provider.error().detail.toStdString();
    EXPECT_EQ(*(*provider)->md4("abc"), *crypto().md4("abc"));
}

TEST(CryptoProvider, RandomBytesHaveTheRequestedSizeAndDiffer)
{
    const QByteArray a = *crypto().randomBytes(16);
    const QByteArray b = crypto().randomSource()(16);
    EXPECT_EQ(a.size(), 16);
    EXPECT_EQ(b.size(), 16);
    EXPECT_NE(a, b);
    EXPECT_FALSE(crypto().randomBytes(-1));
}

TEST(CryptoProvider, WipeZeroesAndClears)
{
    QByteArray secret("top secret");
    const QByteArray sharedCopy = secret;
    wipe(secret);
    EXPECT_TRUE(secret.isEmpty());
    EXPECT_EQ(sharedCopy, QByteArray("top secret")); // a sharer keeps its own bytes
}
