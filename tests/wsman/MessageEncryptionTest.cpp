#include "wsman/MessageEncryption.h"

#include "../auth/KdcFixture.h"

#include "auth/Kerberos.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

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

// ---- RC4-HMAC Kerberos sealing (dossier 4.4: RFC 4757 header and 1-byte padding) ----------
// OriginalContent Length counts the GSS padding (pypsrp: len(plaintext) + padding_length), which
// RC4-HMAC wrap tokens have (one byte) and AES ones do not.

TEST(MessageEncryption, OriginalContentLengthCountsGssPadding)
{
    const QByteArray plaintext = QByteArrayLiteral("<s:Envelope/>");
    const auto padded = [](QByteArrayView plain) -> AuthResult<SealedPart> {
        return SealedPart{QByteArray(32, 'h'), plain.toByteArray() + QByteArrayLiteral("\x01")};
    };
    for (const QByteArrayView protocol : {MessageEncryption::KerberosProtocol, MessageEncryption::SpnegoProtocol}) {
        auto body = MessageEncryption(protocol.toByteArray()).encrypt(plaintext, "application/soap+xml;charset=UTF-8", padded);
        ASSERT_TRUE(body.ok());
        EXPECT_TRUE(body.value().body.contains(";Length=14\r\n")) << body.value().body.toStdString();
    }
    // CredSSP's data part is a whole TLS record: Length stays the plaintext's.
    auto tls = MessageEncryption(MessageEncryption::CredSspProtocol.toByteArray())
                   .encrypt(plaintext, "application/soap+xml;charset=UTF-8", padded);
    ASSERT_TRUE(tls.ok());
    EXPECT_TRUE(tls.value().body.contains(";Length=13\r\n")) << tls.value().body.toStdString();
}

// With a real MIT KDC: a service key of arcfour-hmac only and session_enctypes arcfour-hmac (with
// allow_weak_crypto) give an RC4 ticket, but MIT's initiator sends RFC 4537 etype negotiation
// and the MIT acceptor answers with an AES subkey, so the wrap tokens stay RFC 4121 (05 04):
// MIT-to-MIT cannot produce RC4 wrap tokens. What is checked: the context built on the RC4 ticket
// seals both ways through MessageEncryption with Length = data size (plaintext + padding).

namespace {

class Rc4Kerberos : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_kdc = std::make_unique<KerberosTest::KdcFixture>();
        s_started = s_kdc->start() && addRc4Service();
    }
    static void TearDownTestSuite() { s_kdc.reset(); }
    void SetUp() override
    {
        if (s_kdc->toolsMissing())
            GTEST_SKIP() << "MIT Kerberos KDC tools are missing (Debian: krb5-kdc krb5-admin-server): "
                         << s_kdc->problem().toStdString();
        if (!s_started && !s_why.isEmpty())
            GTEST_SKIP() << "the KDC cannot issue an arcfour-hmac service key here: " << s_why.toStdString();
        ASSERT_TRUE(s_started) << s_kdc->problem().toStdString();
        ASSERT_TRUE(s_kdc->startKdc()) << s_kdc->problem().toStdString();
    }

    // HTTP/rc4.localhost with an arcfour-hmac key only, added to the fixture's keytab.
    static bool addRc4Service()
    {
        const QString kadmin = QStandardPaths::findExecutable(u"kadmin.local"_s, {u"/usr/sbin"_s, u"/usr/bin"_s});
        if (kadmin.isEmpty()) {
            s_why = u"no kadmin.local"_s;
            return false;
        }
        const QString keytab = qEnvironmentVariable("KRB5_KTNAME").remove(u"FILE:"_s);
        // MIT marks arcfour-hmac deprecated: the KDC issues RC4 session keys only with weak
        // crypto allowed (a second [libdefaults] section merges with the fixture's).
        QFile conf(s_kdc->directory() + u"/krb5.conf"_s);
        if (!conf.open(QIODevice::Append)) {
            s_why = u"cannot extend krb5.conf"_s;
            return false;
        }
        conf.write("[libdefaults]\n  allow_weak_crypto = true\n  allow_rc4 = true\n");
        conf.close();
        s_kdc->stopKdc();
        if (!s_kdc->startKdc())
            return false;
        for (const QString &command :
             {u"addprinc -randkey -e arcfour-hmac:normal HTTP/rc4.localhost@PSREMOTE.TEST"_s,
              // The ticket's session key follows this, not the service key alone.
              u"setstr HTTP/rc4.localhost@PSREMOTE.TEST session_enctypes arcfour-hmac"_s,
              u"ktadd -k %1 -e arcfour-hmac:normal HTTP/rc4.localhost@PSREMOTE.TEST"_s.arg(keytab)}) {
            QProcess process;
            QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
            environment.insert(u"KRB5_KDC_PROFILE"_s, s_kdc->directory() + u"/kdc.conf"_s);
            process.setProcessEnvironment(environment);
            process.start(kadmin, {u"-r"_s, u"PSREMOTE.TEST"_s, u"-q"_s, command});
            if (!process.waitForFinished(20000) || process.exitCode() != 0) {
                s_why = u"kadmin.local %1: %2"_s.arg(command, QString::fromUtf8(process.readAllStandardError()));
                return false;
            }
            const QByteArray err = process.readAllStandardError();
            if (err.contains("rror") || err.contains("not supported")) {
                s_why = QString::fromUtf8(err);
                return false;
            }
        }
        return true;
    }

    // A Kerberos context with HTTP/rc4.localhost; both sides complete.
    static void establish(std::optional<Auth::KerberosClient> &client, KerberosTest::TestAcceptor &acceptor)
    {
        Auth::KerberosClientOptions options;
        options.host = u"rc4.localhost"_s;
        options.user = QString::fromLatin1(KerberosTest::UserPrincipal);
        auto created = Auth::KerberosClient::create(options, KerberosTest::UserPassword);
        ASSERT_TRUE(created.ok()) << created.error().detail.toStdString();
        client.emplace(std::move(created).value());
        auto request = client->step({});
        if (!request.ok()) {
            QFile log(s_kdc->directory() + u"/kdc.log"_s);
            (void)log.open(QIODevice::ReadOnly);
            FAIL() << request.error().detail.toStdString() << "\nKDC log: " << log.readAll().right(1500).toStdString();
        }
        const auto reply = acceptor.accept(*request);
        ASSERT_TRUE(reply.has_value()) << acceptor.error().toStdString();
        auto final = client->step(*reply);
        ASSERT_TRUE(final.ok()) << final.error().detail.toStdString();
        ASSERT_TRUE(client->isComplete());
    }

    static inline std::unique_ptr<KerberosTest::KdcFixture> s_kdc;
    static inline bool s_started = false;
    static inline QString s_why;
};

} // namespace

TEST_F(Rc4Kerberos, AnRc4TicketSealsBothWaysWithLengthCountingPadding)
{
    KerberosTest::TestAcceptor acceptor;
    std::optional<Auth::KerberosClient> client;
    establish(client, acceptor);
    if (HasFatalFailure())
        return;
    const QByteArray soap = QByteArrayLiteral("<s:Envelope>rc4 sealed, not block aligned</s:Envelope>");

    auto raw = client->wrapWinrm(soap);
    ASSERT_TRUE(raw.ok()) << raw.error().detail.toStdString();
    const bool rc4Token = quint8(raw->header.at(0)) == 0x60; // RFC 1964/4757 framing
    const qsizetype padding = raw->data.size() - soap.size();
    EXPECT_EQ(padding, rc4Token ? 1 : 0);
    auto rawBack = acceptor.unwrapWinrm(raw->header, raw->data); // keeps the sequence numbers in step
    ASSERT_TRUE(rawBack.has_value()) << acceptor.error().toStdString();

    // Client -> server through MessageEncryption: Length counts the padding; the server's
    // unwrap returns plaintext || padding, MessageEncryption checks Length and strips it.
    const MessageEncryption encryption{MessageEncryption::KerberosProtocol.toByteArray()};
    auto body = encryption.encrypt(soap, "application/soap+xml;charset=UTF-8", [&](QByteArrayView plain) -> AuthResult<SealedPart> {
        auto wrapped = client->wrapWinrm(plain);
        if (!wrapped)
            return AuthError{AuthErrorCode::CryptoFailure, wrapped.error().detail};
        return SealedPart{wrapped->header, wrapped->data};
    });
    ASSERT_TRUE(body.ok()) << body.error().detail.toStdString();
    EXPECT_TRUE(body.value().body.contains(QByteArray(";Length=" + QByteArray::number(soap.size() + padding) + "\r\n")))
        << body.value().body.left(300).toStdString();
    QList<qsizetype> unsealedSizes;
    auto received = encryption.decrypt(body.value().body, body.value().contentType, [&](QByteArrayView header, QByteArrayView data) -> AuthResult<QByteArray> {
        auto plain = acceptor.unwrapWinrm(header.toByteArray(), data.toByteArray());
        if (!plain)
            return AuthError{AuthErrorCode::CryptoFailure, acceptor.error()};
        unsealedSizes.append(plain->size());
        return *plain;
    });
    ASSERT_TRUE(received.ok()) << received.error().detail.toStdString();
    EXPECT_EQ(received.value().body, soap);
    ASSERT_EQ(unsealedSizes.size(), 1);

    // Server -> client: the same both ways.
    const QByteArray answer = soap + QByteArrayLiteral("reply");
    auto reply = encryption.encrypt(answer, "application/soap+xml;charset=UTF-8", [&](QByteArrayView plain) -> AuthResult<SealedPart> {
        auto wrapped = acceptor.wrapWinrm(plain.toByteArray());
        if (!wrapped)
            return AuthError{AuthErrorCode::CryptoFailure, acceptor.error()};
        return SealedPart{wrapped->first, wrapped->second};
    });
    ASSERT_TRUE(reply.ok()) << reply.error().detail.toStdString();
    auto back = encryption.decrypt(reply.value().body, reply.value().contentType, [&](QByteArrayView header, QByteArrayView data) -> AuthResult<QByteArray> {
        auto plain = client->unwrapWinrm(header, data);
        if (!plain)
            return AuthError{AuthErrorCode::CryptoFailure, plain.error().detail};
        return plain.value();
    });
    ASSERT_TRUE(back.ok()) << back.error().detail.toStdString();
    EXPECT_EQ(back.value().body, answer);
}
