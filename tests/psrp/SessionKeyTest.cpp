#include "psrp/SessionKey.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"

#include "SharedData.h"
#include "Transcript.h"

#include <QRegularExpression>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Psrp;

namespace {

struct RecordedMessages {
    QList<Message> fromClient;
    QList<Message> fromServer;
};

// Every PSRP message of a recording, reassembled per direction with this project's own code.
RecordedMessages recordedMessages(const QString &fileName)
{
    RecordedMessages result;
    const auto transcript = TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir() + u'/' + fileName);
    if (!transcript)
        return result;
    static const QRegularExpression payload(
        u"<(?:creationXml|rsp:Arguments|rsp:Stream)\\b[^>]*>([A-Za-z0-9+/=]+)</"_s);
    Defragmenter client;
    Defragmenter server;
    auto collect = [](const QString &envelope, Defragmenter &defragmenter, QList<Message> &out) {
        for (const QRegularExpressionMatch &match : payload.globalMatch(envelope)) {
            Result<QList<QByteArray>> messages =
                defragmenter.feed(QByteArray::fromBase64(match.captured(1).toLatin1()));
            if (!messages)
                continue;
            for (const QByteArray &bytes : *messages) {
                if (Result<Message> message = decodeMessage(bytes))
                    out.append(*message);
            }
        }
    };
    for (const TestSupport::TranscriptExchange &exchange : transcript->exchanges) {
        collect(exchange.request, client, result.fromClient);
        collect(exchange.response, server, result.fromServer);
    }
    return result;
}

QString firstCapture(const QRegularExpression &re, const QByteArray &data)
{
    return re.match(QString::fromUtf8(data)).captured(1);
}

QStringList secureStrings(const QList<Message> &messages)
{
    static const QRegularExpression ss(u"<SS(?: [^>]*)?>([^<]*)</SS>"_s);
    QStringList out;
    for (const Message &message : messages) {
        for (const QRegularExpressionMatch &match : ss.globalMatch(QString::fromUtf8(message.data)))
            out.append(match.captured(1));
    }
    return out;
}

struct RecordedExchange {
    QString publicKey;
    QString encryptedSessionKey;
    QStringList secureStrings;
};

RecordedExchange recordedExchange(const QString &fileName)
{
    const RecordedMessages messages = recordedMessages(fileName);
    static const QRegularExpression publicKey(u"<S N=\"PublicKey\">([^<]*)</S>"_s);
    static const QRegularExpression sessionKey(u"<S N=\"EncryptedSessionKey\">([^<]*)</S>"_s);
    RecordedExchange result;
    for (const Message &message : messages.fromClient) {
        if (message.type == MessageType::PublicKey)
            result.publicKey = firstCapture(publicKey, message.data);
    }
    for (const Message &message : messages.fromServer) {
        if (message.type == MessageType::EncryptedSessionKey)
            result.encryptedSessionKey = firstCapture(sessionKey, message.data);
    }
    result.secureStrings = secureStrings(messages.fromServer) + secureStrings(messages.fromClient);
    return result;
}

QByteArray recordingPem()
{
    return TestSupport::readFile(TestSupport::sharedDir() + u"/transcripts/pypsrp_test_rsa_key.pem"_s);
}

QString decryptBase64(const SessionKey &key, const QString &base64)
{
    Result<QString> text = key.decrypt(QByteArray::fromBase64(base64.toLatin1()));
    return text ? *text : u"<error: "_s + text.error().detail + u'>';
}

} // namespace

TEST(SessionKey, ExportsTheRecordedPublicKeyBlob)
{
    PSREMOTE_REQUIRE_SHARED();
    Result<SessionKey> key = SessionKey::createClientFromPem(recordingPem());
    ASSERT_TRUE(key.ok()) << key.error().detail.toStdString();
    for (const QString &file : {u"test_psrp_multiple_commands.yml"_s, u"test_psrp_pshost_ui_mocked_methods.yml"_s}) {
        const RecordedExchange recorded = recordedExchange(file);
        ASSERT_FALSE(recorded.publicKey.isEmpty()) << file.toStdString();
        EXPECT_EQ(key->publicKeyBase64(), recorded.publicKey) << file.toStdString();
    }
    const QByteArray blob = key->publicKeyBlob();
    ASSERT_EQ(blob.size(), 20 + 256);
    EXPECT_EQ(blob.left(20), QByteArray::fromHex("0602000000a40000525341310008000001000100"));
}

TEST(SessionKey, DecryptsTheRecordedSessionKeyAndSecureStrings)
{
    PSREMOTE_REQUIRE_SHARED();
    {
        Result<SessionKey> key = SessionKey::createClientFromPem(recordingPem());
        ASSERT_TRUE(key.ok());
        const RecordedExchange recorded = recordedExchange(u"test_psrp_multiple_commands.yml"_s);
        ASSERT_FALSE(recorded.encryptedSessionKey.isEmpty());
        Result<void> accepted = key->acceptEncryptedSessionKeyBase64(recorded.encryptedSessionKey);
        ASSERT_TRUE(accepted.ok()) << accepted.error().detail.toStdString();
        ASSERT_TRUE(key->hasSessionKey());
        QStringList texts;
        for (const QString &ss : recorded.secureStrings)
            texts.append(decryptBase64(*key, ss));
        // Server messages first: a PIPELINE_OUTPUT <SS>, then the client's PIPELINE_INPUTs.
        EXPECT_EQ(texts, (QStringList{u"abc"_s, u"Hello World"_s, u"Hello World"_s}));
    }
    {
        Result<SessionKey> key = SessionKey::createClientFromPem(recordingPem());
        ASSERT_TRUE(key.ok());
        const RecordedExchange recorded = recordedExchange(u"test_psrp_pshost_ui_mocked_methods.yml"_s);
        ASSERT_TRUE(key->acceptEncryptedSessionKeyBase64(recorded.encryptedSessionKey).ok());
        QStringList texts;
        for (const QString &ss : recorded.secureStrings)
            texts.append(decryptBase64(*key, ss));
        // Output echoes what the client answered to ReadLineAsSecureString and PromptForCredential.
        const QStringList answers{u"ReadLineAsSecureString response"_s, u"password"_s};
        EXPECT_EQ(texts, answers + answers);
    }
}

TEST(SessionKey, ClientServerRoundTrip)
{
    Result<SessionKey> client = SessionKey::createClient();
    ASSERT_TRUE(client.ok()) << client.error().detail.toStdString();
    EXPECT_FALSE(client->hasSessionKey());
    EXPECT_TRUE(client->encrypt(u"x").isEmpty());
    const QByteArray publicKey = client->publicKeyBlob();
    ASSERT_EQ(publicKey.size(), 276);

    Result<SessionKey> server = SessionKey::createServer(publicKey);
    ASSERT_TRUE(server.ok()) << server.error().detail.toStdString();
    const QString simpleBlob = server->encryptedSessionKeyBase64();
    ASSERT_TRUE(simpleBlob.startsWith(u"AQIAABBmAAAApAAA"_s));
    ASSERT_TRUE(client->acceptEncryptedSessionKeyBase64(simpleBlob).ok());

    const QString secret = u"p\u00e4ss \U0001F511 w\u00f6rd"_s;
    const QByteArray fromClient = client->encrypt(secret);
    EXPECT_EQ(fromClient.size() % 16, 0);
    EXPECT_NE(fromClient, plainSecureStringBytes(secret));
    Result<QString> atServer = server->decrypt(fromClient);
    ASSERT_TRUE(atServer.ok());
    EXPECT_EQ(*atServer, secret);
    Result<QString> atClient = client->decrypt(server->encrypt(u"back"));
    ASSERT_TRUE(atClient.ok());
    EXPECT_EQ(*atClient, u"back"_s);
    // The empty string still yields one padding block.
    EXPECT_EQ(client->encrypt(u"").size(), 16);
    EXPECT_EQ(*server->decrypt(client->encrypt(u"")), QString());
}

TEST(SessionKey, MoveTransfersKeyAndEmptiesSource)
{
    Result<SessionKey> made = SessionKey::fromAesKey(QByteArray(32, '\x11'));
    ASSERT_TRUE(made.ok());
    SessionKey first = std::move(*made);
    EXPECT_FALSE(made->hasSessionKey());
    SessionKey second;
    second = std::move(first);
    EXPECT_FALSE(first.hasSessionKey()); // NOLINT: checking the moved-from state on purpose
    ASSERT_TRUE(second.hasSessionKey());
    EXPECT_EQ(*second.decrypt(second.encrypt(u"abc")), u"abc"_s);
}

TEST(SessionKey, KnownAesAnswer)
{
    // AES-256-CBC, zero key, zero IV, PKCS#7 over UTF-16LE "a" (61 00), as computed independently
    // by `openssl enc -aes-256-cbc -K 00..00 -iv 00..00`.
    Result<SessionKey> key = SessionKey::fromAesKey(QByteArray(32, '\0'));
    ASSERT_TRUE(key.ok());
    const QByteArray cipher = key->encrypt(u"a");
    ASSERT_EQ(cipher.size(), 16);
    EXPECT_EQ(cipher.toHex(), QByteArray("5d22da4fa9322b3267c22652d3f4e1a1"));
    Result<SessionKey> other = SessionKey::fromAesKey(QByteArray(32, '\1'));
    Result<QString> wrong = other->decrypt(cipher);
    EXPECT_TRUE(!wrong.ok() || *wrong != u"a"_s);
}

TEST(SessionKey, MalformedInputsAreCryptoFailures)
{
    EXPECT_EQ(SessionKey::createClientFromPem("not a pem").error().code, ErrorCode::CryptoFailure);
    EXPECT_EQ(SessionKey::fromAesKey(QByteArray(31, 'k')).error().code, ErrorCode::CryptoFailure);
    EXPECT_EQ(SessionKey::createServer(QByteArray(20, '\0')).error().code, ErrorCode::CryptoFailure);

    Result<SessionKey> client = SessionKey::createClient();
    ASSERT_TRUE(client.ok());
    const QByteArray blob = client->publicKeyBlob();
    EXPECT_FALSE(SessionKey::createServer(blob.left(blob.size() - 1)).ok());
    QByteArray wrongMagic = blob;
    wrongMagic[8] = 'X';
    EXPECT_FALSE(SessionKey::createServer(wrongMagic).ok());
    QByteArray hugeBits = blob;
    hugeBits[13] = '\x7f'; // claims 0x7F00 bits
    EXPECT_FALSE(SessionKey::createServer(hugeBits).ok());

    EXPECT_FALSE(client->acceptEncryptedSessionKeyBase64(u"!!notbase64!!").ok());
    EXPECT_FALSE(client->acceptEncryptedSessionKey(QByteArray::fromHex("0102000010660000")).ok());
    QByteArray shortBlob = QByteArray::fromHex("010200001066000000a40000") + QByteArray(100, 'x');
    EXPECT_EQ(client->acceptEncryptedSessionKey(shortBlob).error().code, ErrorCode::CryptoFailure);
    EXPECT_FALSE(client->hasSessionKey());

    Result<SessionKey> key = SessionKey::fromAesKey(QByteArray(32, '\2'));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->decrypt(QByteArray(15, 'x')).error().code, ErrorCode::CryptoFailure);
    EXPECT_EQ(key->decrypt({}).error().code, ErrorCode::CryptoFailure);
    EXPECT_EQ(SessionKey().decrypt(QByteArray(16, 'x')).error().code, ErrorCode::CryptoFailure);
}

TEST(SessionKey, PlainSecureStringForProtocol24)
{
    EXPECT_EQ(plainSecureStringBytes(u"ab"), QByteArray::fromHex("61006200"));
    EXPECT_EQ(plainSecureStringBase64(u"secret"), u"cwBlAGMAcgBlAHQA"_s);
    Result<QString> text = plainSecureStringFromBase64(u"cwBlAGMAcgBlAHQA");
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, u"secret"_s);
    EXPECT_EQ(plainSecureStringText(QByteArray("abc")).error().code, ErrorCode::InvalidValue);
    EXPECT_FALSE(plainSecureStringFromBase64(u"***").ok());
}
