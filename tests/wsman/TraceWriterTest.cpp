#include "wsman/TraceWriter.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"
#include "wsman/Envelope.h"

#include "SharedData.h"
#include "Transcript.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;

namespace {

struct Decoded {
    QList<TraceMessage> messages;
    QStringList errors;
};

Decoded decodeLines(const QList<QByteArray> &lines)
{
    Decoded out;
    TraceDecoder decoder([&](const TraceMessage &m) { out.messages.append(m); });
    qint64 number = 0;
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        if (auto error = decoder.feedLine(line, ++number))
            out.errors.append(*error);
    }
    if (auto error = decoder.finish())
        out.errors.append(*error);
    return out;
}

// Contents of every <SS> element of the decoded messages.
QStringList secureStrings(const QList<TraceMessage> &messages)
{
    static const QRegularExpression ss(u"<SS(?:\\s[^>]*)?>([^<]*)</SS>"_s);
    QStringList out;
    for (const TraceMessage &m : messages) {
        const QString text = QString::fromUtf8(m.message.data);
        auto it = ss.globalMatch(text);
        while (it.hasNext())
            out.append(it.next().captured(1));
    }
    return out;
}

mode_t fileMode(const QString &path)
{
    struct stat info {};
    ::stat(QFile::encodeName(path).constData(), &info);
    return info.st_mode & 0777;
}

} // namespace

TEST(TraceWriter, RecordedSecureStringsAreMaskedAndTheTraceStillDecodes)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto transcript = TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir() + u"/test_psrp_multiple_commands.yml"_s);
    ASSERT_TRUE(transcript.has_value());

    QList<QByteArray> clearLines;
    for (const auto &exchange : transcript->exchanges) {
        clearLines.append(TraceWriter::jsonLine(LegDirection::Request, exchange.request));
        if (!exchange.response.isEmpty())
            clearLines.append(TraceWriter::jsonLine(LegDirection::Response, exchange.response));
    }
    const Decoded clear = decodeLines(clearLines);
    ASSERT_TRUE(clear.errors.isEmpty()) << clear.errors.join(u"; "_s).toStdString();
    const QStringList secrets = secureStrings(clear.messages);
    ASSERT_FALSE(secrets.isEmpty()) << "the recording should carry SecureStrings";

    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath(u"trace.jsonl"_s);
    {
        TraceWriter writer;
        QString error;
        ASSERT_TRUE(writer.open(path, &error)) << error.toStdString();
        for (const auto &exchange : transcript->exchanges) {
            ASSERT_TRUE(writer.writeRequest(exchange.request.toUtf8()));
            if (!exchange.response.isEmpty()) {
                ASSERT_TRUE(writer.writeResponse(exchange.response.toUtf8()));
            }
        }
        EXPECT_EQ(writer.masker().maskedCount(), secrets.size());
        EXPECT_EQ(writer.masker().pendingMessages(), 0);
    }
    EXPECT_EQ(fileMode(path), mode_t(0600));

    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray written = file.readAll();
    EXPECT_FALSE(written.contains("Authorization"));
    const Decoded masked = decodeLines(written.split('\n'));
    ASSERT_TRUE(masked.errors.isEmpty()) << masked.errors.join(u"; "_s).toStdString();
    ASSERT_EQ(masked.messages.size(), clear.messages.size());
    for (qsizetype i = 0; i < masked.messages.size(); ++i) {
        EXPECT_EQ(masked.messages[i].message.type, clear.messages[i].message.type);
        EXPECT_EQ(masked.messages[i].objectId, clear.messages[i].objectId);
        EXPECT_EQ(masked.messages[i].commandId, clear.messages[i].commandId);
    }
    const QStringList after = secureStrings(masked.messages);
    ASSERT_EQ(after.size(), secrets.size());
    for (const QString &value : after)
        EXPECT_EQ(value, QString(SecureStringMasker::Marker));
    // No trace of the ciphertext: neither in the decoded messages nor anywhere in the file
    // (in clear, or as base64 at any of the three alignments).
    for (const QString &secret : secrets) {
        ASSERT_GE(secret.size(), 16);
        const QByteArray raw = secret.toLatin1();
        EXPECT_FALSE(written.contains(raw));
        for (const TraceMessage &m : masked.messages)
            EXPECT_FALSE(m.message.data.contains(raw));
        for (int shift = 0; shift < 3; ++shift) {
            const QByteArray b64 = raw.mid(shift, 30).toBase64();
            EXPECT_FALSE(written.contains(b64.left(36)));
        }
    }
}

TEST(TraceWriter, SecureStringSpanningLegsIsNeverWrittenInClear)
{
    const QByteArray secret = "VGhpcyBpcyB0aGUgc2VjcmV0IGNpcGhlcnRleHQgd2hpY2ggbXVzdCBub3QgbGVhaw==";
    Psrp::Message message;
    message.destination = Psrp::Destination::Server;
    message.type = Psrp::MessageType::PipelineHostResponse;
    message.runspacePoolId = QUuid::createUuid();
    message.pipelineId = QUuid::createUuid();
    message.data = "<Obj RefId=\"0\"><MS><SS N=\"mr\">" + secret + "</SS><I64 N=\"ci\">1</I64></MS></Obj>";
    const QByteArray encoded = Psrp::encodeMessage(message);
    // Fragments small enough that the SS content is cut across three legs.
    const QList<Psrp::Fragment> fragments = Psrp::fragmentMessage(7, encoded, Psrp::FragmentHeaderSize + 40);
    ASSERT_GE(fragments.size(), 3);

    RequestContext context;
    context.to = u"http://127.0.0.1:5985/wsman"_s;
    const QUuid shell = QUuid::createUuid();
    QTemporaryDir dir;
    const QString path = dir.filePath(u"t.jsonl"_s);
    // A pre-existing world-readable file is narrowed to 0600 before anything is written.
    {
        QFile old(path);
        ASSERT_TRUE(old.open(QIODevice::WriteOnly));
        old.write("old content\n");
    }
    ::chmod(QFile::encodeName(path).constData(), 0644);
    TraceWriter writer;
    ASSERT_TRUE(writer.open(path));
    EXPECT_EQ(fileMode(path), mode_t(0600));
    for (const Psrp::Fragment &fragment : fragments) {
        const QByteArray body = buildSend(context, QUuid::createUuid(), shell,
                                          {{u"pr"_s, guidText(message.pipelineId), Psrp::encodeFragment(fragment)}});
        ASSERT_TRUE(writer.writeRequest(body));
    }
    writer.close();
    EXPECT_EQ(writer.masker().maskedCount(), 1);

    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray written = file.readAll();
    EXPECT_FALSE(written.contains("old content"));
    const QList<QByteArray> lines = written.split('\n');
    // Every leg is still there; nothing of the secret in any of them, decoded or not.
    EXPECT_EQ(lines.size() - 1, fragments.size());
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        const QString body = QJsonDocument::fromJson(line).object().value(u"body"_s).toString();
        auto parsed = parseXml(body.toUtf8());
        ASSERT_TRUE(parsed.ok());
        const XmlNode *stream = parsed->find(Ns::Shell, u"Stream");
        ASSERT_NE(stream, nullptr);
        const QByteArray payload = QByteArray::fromBase64(stream->text.toLatin1());
        for (int len = 8; len <= secret.size(); len += 8)
            EXPECT_FALSE(payload.contains(secret.left(len).mid(len - 8))) << line.constData();
    }
    const Decoded decoded = decodeLines(lines);
    ASSERT_TRUE(decoded.errors.isEmpty()) << decoded.errors.join(u"; "_s).toStdString();
    ASSERT_EQ(decoded.messages.size(), 1);
    EXPECT_EQ(decoded.messages[0].message.type, Psrp::MessageType::PipelineHostResponse);
    EXPECT_EQ(decoded.messages[0].objectId, 7u);
    EXPECT_EQ(secureStrings(decoded.messages), QStringList{QString(SecureStringMasker::Marker)});
    EXPECT_TRUE(decoded.messages[0].message.data.contains("<I64 N=\"ci\">1</I64>"));
}

TEST(TraceWriter, MaskMessageHandlesEdgeCases)
{
    const QByteArray header(Psrp::MessageHeaderSize, '\0');
    int count = 0;
    EXPECT_EQ(SecureStringMasker::maskMessage(header + "<SSX>a</SSX><SS/>", &count), header + "<SSX>a</SSX><SS/>");
    EXPECT_EQ(count, 0);
    EXPECT_EQ(SecureStringMasker::maskMessage(header + "<SS>abc</SS><SS N=\"x\">def</SS>", &count),
              header + "<SS>*** secure string removed ***</SS><SS N=\"x\">*** secure string removed ***</SS>");
    EXPECT_EQ(count, 2);
    // Unterminated: the rest is dropped rather than written.
    const QByteArray cut = SecureStringMasker::maskMessage(header + "<SS>secretsecret", &count);
    EXPECT_FALSE(cut.contains("secret"));
}

TEST(TraceWriter, OpenFailsCleanly)
{
    TraceWriter writer;
    QString error;
    EXPECT_FALSE(writer.open(u"/nonexistent-dir/x/trace.jsonl"_s, &error));
    EXPECT_FALSE(error.isEmpty());
    EXPECT_FALSE(writer.writeRequest("<a/>"));
}
