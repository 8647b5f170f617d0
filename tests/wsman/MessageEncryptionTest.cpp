#include "wsman/MessageEncryption.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;

namespace {

const QByteArray Soap = QByteArrayLiteral("application/soap+xml;charset=UTF-8");
const QByteArray Protocol = MessageEncryption::SpnegoProtocol.toByteArray();
const QByteArray EncryptedType =
    QByteArrayLiteral("multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\"");

QByteArray reversed(QByteArrayView bytes)
{
    QByteArray out = bytes.toByteArray();
    std::reverse(out.begin(), out.end());
    return out;
}

// A toy security layer: header "HDR", data = the plaintext reversed.
const SealFunction toySeal = [](QByteArrayView plain) -> AuthResult<SealedPart> {
    return SealedPart{QByteArrayLiteral("HDR"), reversed(plain)};
};
const UnsealFunction toyUnseal = [](QByteArrayView header, QByteArrayView data) -> AuthResult<QByteArray> {
    if (header != QByteArrayView("HDR"))
        return AuthError{AuthErrorCode::CryptoFailure, u"bad header"_s};
    return reversed(data);
};

// One part pair as dossier 4.2 spells it, with the toy layer; `boundary` lets tests vary it.
QByteArray part(QByteArrayView plain, QByteArrayView boundary = "--Encrypted Boundary", qsizetype length = -1)
{
    QByteArray out;
    out.append(boundary).append("\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n");
    out.append("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=");
    out.append(QByteArray::number(length < 0 ? plain.size() : length)).append("\r\n");
    out.append(boundary).append("\r\n\tContent-Type: application/octet-stream\r\n");
    out.append(QByteArray("\x03\x00\x00\x00", 4)).append("HDR").append(reversed(plain));
    return out;
}

QByteArray closing(QByteArrayView boundary = "--Encrypted Boundary")
{
    return boundary.toByteArray() + "--\r\n";
}

AuthResult<WrappedMessage> decrypt(const QByteArray &body, const QByteArray &type = EncryptedType)
{
    return MessageEncryption(Protocol).decrypt(body, type, toyUnseal);
}

} // namespace

TEST(MessageEncryption, EncryptBuildsTheDossierLayoutByteForByte)
{
    const auto wrapped = MessageEncryption(Protocol).encrypt("<s:Envelope/>", Soap, toySeal);
    ASSERT_TRUE(wrapped) << wrapped.error().detail.toStdString();
    const QByteArray expected = QByteArrayLiteral(
        "--Encrypted Boundary\r\n"
        "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
        "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=13\r\n"
        "--Encrypted Boundary\r\n"
        "\tContent-Type: application/octet-stream\r\n")
        + QByteArray("\x03\x00\x00\x00", 4) + "HDR" + ">/epolevnE:s<" + "--Encrypted Boundary--\r\n";
    EXPECT_EQ(wrapped.value().body, expected);
    EXPECT_EQ(wrapped.value().contentType, EncryptedType);
}

TEST(MessageEncryption, DecryptsAHandBuiltBody)
{
    const auto plain = decrypt(part("<s:Envelope>x</s:Envelope>") + closing());
    ASSERT_TRUE(plain) << plain.error().detail.toStdString();
    EXPECT_EQ(plain.value().body, "<s:Envelope>x</s:Envelope>");
    EXPECT_EQ(plain.value().contentType, Soap);
}

TEST(MessageEncryption, RoundTripsIncludingEmptyAndBinaryPlaintext)
{
    const MessageEncryption encryption(Protocol);
    QByteArray binary;
    for (int i = 0; i < 600; ++i)
        binary.append(char(i * 7));
    for (const QByteArray &plain : {QByteArray(), QByteArray("a"), binary}) {
        const auto wrapped = encryption.encrypt(plain, Soap, toySeal);
        ASSERT_TRUE(wrapped);
        const auto back = encryption.decrypt(wrapped.value().body, wrapped.value().contentType, toyUnseal);
        ASSERT_TRUE(back) << back.error().detail.toStdString();
        EXPECT_EQ(back.value().body, plain);
    }
}

TEST(MessageEncryption, ExchangeBoundaryWithASpaceIsAccepted)
{
    const QByteArray body = part("hello", "-- Encrypted Boundary") + closing("-- Encrypted Boundary");
    const auto plain = decrypt(body);
    ASSERT_TRUE(plain) << plain.error().detail.toStdString();
    EXPECT_EQ(plain.value().body, "hello");
}

TEST(MessageEncryption, MultiplePartsAreConcatenated)
{
    const QByteArray body = part("first,") + part("second,") + part("third") + closing();
    const auto plain = decrypt(body, "multipart/x-multi-encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\"");
    ASSERT_TRUE(plain) << plain.error().detail.toStdString();
    EXPECT_EQ(plain.value().body, "first,second,third");

    // The encrypt side splits and labels x-multi-encrypted, one seal per part.
    int seals = 0;
    const SealFunction counting = [&](QByteArrayView p) {
        ++seals;
        return toySeal(p);
    };
    const QByteArray large(40000, 'z');
    const auto wrapped = MessageEncryption(Protocol).encrypt(large, Soap, counting, 16384);
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(seals, 3);
    EXPECT_TRUE(wrapped.value().contentType.startsWith("multipart/x-multi-encrypted;"));
    EXPECT_EQ(wrapped.value().body.count("Length=16384"), 2);
    EXPECT_EQ(wrapped.value().body.count("Length=7232"), 1);
    const auto back = MessageEncryption(Protocol).decrypt(wrapped.value().body, wrapped.value().contentType, toyUnseal);
    ASSERT_TRUE(back);
    EXPECT_EQ(back.value().body, large);
}

TEST(MessageEncryption, CiphertextContainingTheBoundaryIsDelimitedByLength)
{
    // Plaintext whose toy "ciphertext" (reversal) contains a complete boundary line.
    const QByteArray plain = reversed("ab--Encrypted Boundary\r\ncd");
    const auto result = decrypt(part(plain) + closing());
    ASSERT_TRUE(result) << result.error().detail.toStdString();
    EXPECT_EQ(result.value().body, plain);
}

TEST(MessageEncryption, LengthMismatchIsACryptoFailure)
{
    // Length= claims 4 but the data (and so the plaintext) is 5 bytes.
    const auto result = decrypt(part("hello", "--Encrypted Boundary", 4) + closing());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, AuthErrorCode::CryptoFailure);
    EXPECT_TRUE(result.error().detail.contains(u"Length=4"_s)) << result.error().detail.toStdString();
}

TEST(MessageEncryption, UnsealErrorsPassThroughWithTheirCode)
{
    QByteArray body = part("hello") + closing();
    body.replace("HDR", "HDX");
    const auto result = decrypt(body);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, AuthErrorCode::CryptoFailure);
    EXPECT_TRUE(result.error().detail.contains(u"bad header"_s));
}

TEST(MessageEncryption, HeaderLengthBeyondTheEndIsRejected)
{
    QByteArray body = part("hello") + closing();
    body.replace(QByteArray("\x03\x00\x00\x00", 4), QByteArray("\xff\xff\xff\x7f", 4));
    const auto result = decrypt(body);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, AuthErrorCode::InvalidToken);
    EXPECT_TRUE(result.error().detail.contains(u"header length"_s)) << result.error().detail.toStdString();
}

TEST(MessageEncryption, EveryTruncationFailsCleanly)
{
    const QByteArray body = part("hello") + part("world") + closing();
    // Everything shorter than "...--Encrypted Boundary--" is incomplete.
    for (qsizetype n = 0; n < body.size() - 2; ++n) {
        const auto result = decrypt(body.first(n));
        EXPECT_FALSE(result) << "prefix of " << n << " bytes";
        if (!result) {
            EXPECT_NE(result.error().code, AuthErrorCode::Unsupported);
        }
    }
    EXPECT_TRUE(decrypt(body.first(body.size() - 2)));
    EXPECT_TRUE(decrypt(body));
}

TEST(MessageEncryption, MalformedFramingIsAnInvalidToken)
{
    const QByteArray good = part("hello") + closing();
    struct Case {
        const char *name;
        QByteArray body;
        QByteArray type;
    };
    QByteArray wrongPartProtocol = good;
    wrongPartProtocol.replace("HTTP-SPNEGO", "HTTP-Kerberos");
    QByteArray noLength = good;
    noLength.replace(";Length=5", "");
    QByteArray textLength = good;
    textLength.replace("Length=5", "Length=5x");
    QByteArray hugeLength = good;
    hugeLength.replace("Length=5", "Length=9999999");
    QByteArray notOctet = good;
    notOctet.replace("application/octet-stream", "text/plain");
    const std::vector<Case> cases = {
        {"not multipart", good, QByteArrayLiteral("application/soap+xml;charset=UTF-8")},
        {"other protocol parameter", good, QByteArrayLiteral("multipart/encrypted;protocol=\"application/HTTP-Kerberos-session-encrypted\"")},
        {"part names another protocol", wrongPartProtocol, EncryptedType},
        {"no Length=", noLength, EncryptedType},
        {"Length= not a number", textLength, EncryptedType},
        {"Length= larger than the body", hugeLength, EncryptedType},
        {"data not octet-stream", notOctet, EncryptedType},
        {"no parts", closing(), EncryptedType},
        {"empty body", QByteArray(), EncryptedType},
        {"garbage after the close", good + "trailing", EncryptedType},
        {"other boundary", part("hello", "--Other") + closing("--Other"), EncryptedType},
        {"no closing boundary", part("hello"), EncryptedType},
    };
    for (const Case &c : cases) {
        const auto result = decrypt(c.body, c.type);
        ASSERT_FALSE(result) << c.name;
        EXPECT_EQ(result.error().code, AuthErrorCode::InvalidToken) << c.name;
    }
}

TEST(MessageEncryption, BoundaryParameterOfTheContentTypeIsHonoured)
{
    const QByteArray body = part("hello", "--Other") + closing("--Other");
    const auto result = decrypt(body, "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Other\"");
    ASSERT_TRUE(result) << result.error().detail.toStdString();
    EXPECT_EQ(result.value().body, "hello");
}

TEST(MessageEncryption, RecognisesEncryptedContentTypes)
{
    EXPECT_TRUE(MessageEncryption::isEncryptedContentType(EncryptedType));
    EXPECT_TRUE(MessageEncryption::isEncryptedContentType("Multipart/Encrypted ; boundary=x"));
    EXPECT_TRUE(MessageEncryption::isEncryptedContentType("multipart/x-multi-encrypted"));
    EXPECT_FALSE(MessageEncryption::isEncryptedContentType("application/soap+xml;charset=UTF-8"));
    EXPECT_FALSE(MessageEncryption::isEncryptedContentType(""));
}
