#include "cli/TraceCommand.h"

#include "psrp/Clixml.h"
#include "psrp/Fragment.h"
#include "psrp/Message.h"
#include "wsman/TraceDecoder.h"

#include "SharedData.h"
#include "Transcript.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;

namespace {

struct RunResult {
    int exitCode = -1;
    QString out;
    QString err;
    QList<QJsonObject> json; // stdout lines parsed, when every line is a JSON object
    bool stdoutIsJsonLines = true;
};

RunResult run(const QStringList &args)
{
    RunResult result;
    {
        QTextStream out(&result.out);
        QTextStream err(&result.err);
        result.exitCode = Cli::runTraceCommand(args, out, err);
    }
    for (const QString &line : result.out.split(u'\n', Qt::SkipEmptyParts)) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line.toUtf8(), &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject()) {
            result.stdoutIsJsonLines = false;
            continue;
        }
        result.json.append(doc.object());
    }
    return result;
}

QByteArray legLine(const QString &direction, const QString &body)
{
    QJsonObject leg;
    leg.insert(u"direction"_s, direction);
    leg.insert(u"body"_s, body);
    return QJsonDocument(leg).toJson(QJsonDocument::Compact) + '\n';
}

// A recording as a JSONL trace (request line, then response line unless it was null).
QByteArray traceFromTranscript(const QString &yml)
{
    const auto transcript = TestSupport::loadTranscript(yml);
    if (!transcript)
        return {};
    QByteArray out;
    for (const TestSupport::TranscriptExchange &exchange : transcript->exchanges) {
        out += legLine(u"request"_s, exchange.request);
        if (!exchange.response.isEmpty())
            out += legLine(u"response"_s, exchange.response);
    }
    return out;
}

class TraceDecode : public ::testing::Test {
protected:
    QString write(const QString &name, const QByteArray &content)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return {};
        file.write(content);
        return path;
    }
    QString writeRecording(const QString &ymlName)
    {
        return write(QFileInfo(ymlName).completeBaseName() + u".jsonl"_s,
                     traceFromTranscript(TestSupport::windowsTranscriptsDir() + u'/' + ymlName));
    }
    QTemporaryDir m_dir;
};

// Counts the complete PSRP messages of a recording independently of the decoder: end fragments
// found by scanning the base64 payloads of PowerShell exchanges.
int countEndFragments(const QString &yml)
{
    const auto transcript = TestSupport::loadTranscript(yml);
    static const QRegularExpression payload(
        u"<(?:\\w+:)?(?:creationXml|connectXml|connectResponseXml|Arguments|Stream)\\b[^>]*>([A-Za-z0-9+/=]+)</"_s);
    int count = 0;
    for (const TestSupport::TranscriptExchange &exchange : transcript->exchanges) {
        if (!exchange.request.contains(u"ResourceURI s:mustUnderstand=\"true\">http://schemas.microsoft.com/powershell/"_s))
            continue;
        for (const QString &envelope : {exchange.request, exchange.response}) {
            for (const QRegularExpressionMatch &match : payload.globalMatch(envelope)) {
                auto fragments = Psrp::parseFragments(QByteArray::fromBase64(match.captured(1).toLatin1()));
                if (!fragments)
                    return -1;
                for (const Psrp::Fragment &f : *fragments)
                    count += f.end ? 1 : 0;
            }
        }
    }
    return count;
}

const QStringList expectedKeys{u"direction"_s, u"action"_s,      u"shellId"_s,     u"commandId"_s,
                               u"stream"_s,    u"objectId"_s,    u"destination"_s, u"messageType"_s,
                               u"rpid"_s,      u"pid"_s,         u"clixml"_s};

} // namespace

TEST_F(TraceDecode, FirstMessageOfOpenRunspace)
{
    PSREMOTE_REQUIRE_SHARED();
    const QString path = writeRecording(u"test_psrp_open_runspace.yml"_s);
    const RunResult r = run({u"decode"_s, u"--json"_s, path});
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    ASSERT_TRUE(r.stdoutIsJsonLines);
    ASSERT_GE(r.json.size(), 5);
    const QJsonObject first = r.json.first();
    QStringList keys = first.keys();
    QStringList wanted = expectedKeys;
    keys.sort();
    wanted.sort();
    EXPECT_EQ(keys, wanted);
    EXPECT_EQ(first[u"direction"_s].toString(), u"request"_s);
    EXPECT_EQ(first[u"action"_s].toString(), u"Create"_s);
    EXPECT_EQ(first[u"shellId"_s].toString(), u"76056A84-51DC-4F24-9262-CA2A55464B2B"_s);
    EXPECT_TRUE(first[u"commandId"_s].isNull());
    EXPECT_TRUE(first[u"stream"_s].isNull());
    ASSERT_TRUE(first[u"objectId"_s].isDouble());
    EXPECT_EQ(first[u"objectId"_s].toInt(), 1);
    EXPECT_EQ(first[u"destination"_s].toString(), u"Server"_s);
    EXPECT_EQ(first[u"messageType"_s].toString(), u"SESSION_CAPABILITY"_s);
    EXPECT_EQ(first[u"rpid"_s].toString(), u"846a0576-dc51-244f-9262-ca2a55464b2b"_s);
    EXPECT_EQ(first[u"pid"_s].toString(), u"00000000-0000-0000-0000-000000000000"_s);
    EXPECT_TRUE(first[u"clixml"_s].toString().startsWith(
        u"<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version>"_s));

    EXPECT_EQ(r.json.at(1)[u"messageType"_s].toString(), u"INIT_RUNSPACEPOOL"_s);
    EXPECT_EQ(r.json.at(1)[u"objectId"_s].toInt(), 2);
    // The server's answer arrives on the shell-level Receive: a response, stdout, no command,
    // BOM removed from the CLIXML.
    const QJsonObject answer = r.json.at(2);
    EXPECT_EQ(answer[u"direction"_s].toString(), u"response"_s);
    EXPECT_EQ(answer[u"action"_s].toString(), u"Receive"_s);
    EXPECT_EQ(answer[u"stream"_s].toString(), u"stdout"_s);
    EXPECT_EQ(answer[u"shellId"_s].toString(), u"76056A84-51DC-4F24-9262-CA2A55464B2B"_s);
    EXPECT_TRUE(answer[u"commandId"_s].isNull());
    EXPECT_EQ(answer[u"destination"_s].toString(), u"Client"_s);
    EXPECT_EQ(answer[u"messageType"_s].toString(), u"SESSION_CAPABILITY"_s);
    EXPECT_TRUE(answer[u"clixml"_s].toString().startsWith(u"<Obj RefId=\"0\">"_s));
}

TEST_F(TraceDecode, PipelineMessagesCarryTheirCommand)
{
    PSREMOTE_REQUIRE_SHARED();
    const RunResult r = run({u"decode"_s, u"--json"_s, writeRecording(u"test_psrp_with_input.yml"_s)});
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    const QString command = u"69743726-6FB3-4E5A-AD9E-0650B745173F"_s;
    int outputs = 0;
    bool sawCreatePipeline = false;
    bool sawInputEnd = false;
    for (const QJsonObject &m : r.json) {
        const QString type = m[u"messageType"_s].toString();
        if (type == u"CREATE_PIPELINE") {
            sawCreatePipeline = true;
            EXPECT_EQ(m[u"action"_s].toString(), u"Command"_s);
            EXPECT_EQ(m[u"commandId"_s].toString(), command);
            EXPECT_TRUE(m[u"stream"_s].isNull());
        } else if (type == u"END_OF_PIPELINE_INPUT") {
            sawInputEnd = true;
            EXPECT_EQ(m[u"action"_s].toString(), u"Send"_s);
            EXPECT_EQ(m[u"stream"_s].toString(), u"stdin"_s);
            EXPECT_EQ(m[u"commandId"_s].toString(), command);
            EXPECT_EQ(m[u"clixml"_s].toString(), QString());
        } else if (type == u"PIPELINE_OUTPUT") {
            ++outputs;
            EXPECT_EQ(m[u"direction"_s].toString(), u"response"_s);
            EXPECT_EQ(m[u"action"_s].toString(), u"Receive"_s);
            EXPECT_EQ(m[u"commandId"_s].toString(), command);
            EXPECT_EQ(m[u"destination"_s].toString(), u"Client"_s);
            EXPECT_NE(m[u"pid"_s].toString(), u"00000000-0000-0000-0000-000000000000"_s);
        }
    }
    EXPECT_TRUE(sawCreatePipeline);
    EXPECT_TRUE(sawInputEnd);
    EXPECT_GT(outputs, 0);
}

TEST_F(TraceDecode, EveryPsrpRecordingDecodesCompletely)
{
    PSREMOTE_REQUIRE_SHARED();
    const QStringList files = TestSupport::windowsTranscriptFiles();
    ASSERT_FALSE(files.isEmpty());
    int decodedFiles = 0;
    for (const QString &yml : files) {
        const QString name = QFileInfo(yml).fileName();
        if (name.startsWith(u"test_winrs_"))
            continue;
        const int expected = countEndFragments(yml);
        const RunResult r = run({u"decode"_s, u"--json"_s, writeRecording(name)});
        EXPECT_EQ(r.exitCode, 0) << name.toStdString() << ": " << r.err.toStdString();
        EXPECT_TRUE(r.stdoutIsJsonLines) << name.toStdString();
        EXPECT_EQ(r.json.size(), expected) << name.toStdString();
        for (const QJsonObject &m : r.json) {
            EXPECT_EQ(m.size(), expectedKeys.size()) << name.toStdString();
            EXPECT_FALSE(m[u"messageType"_s].toString().startsWith(u"0x"_s));
            EXPECT_FALSE(m[u"clixml"_s].toString().startsWith(QChar(0xFEFF)));
            EXPECT_FALSE(m[u"shellId"_s].toString().isEmpty()) << name.toStdString();
        }
        ++decodedFiles;
    }
    EXPECT_GT(decodedFiles, 30);
}

TEST_F(TraceDecode, SmallFragmentsSpanLegs)
{
    PSREMOTE_REQUIRE_SHARED();
    const QString yml = TestSupport::windowsTranscriptsDir() + u"/test_psrp_small_msg_size.yml"_s;
    const RunResult r = run({u"decode"_s, u"--json"_s, writeRecording(u"test_psrp_small_msg_size.yml"_s)});
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.json.size(), countEndFragments(yml));
    // The CREATE_PIPELINE is large, so it completes in a later Send rather than in the Command.
    bool found = false;
    for (const QJsonObject &m : r.json) {
        if (m[u"messageType"_s].toString() == u"CREATE_PIPELINE") {
            found = true;
            EXPECT_TRUE(m[u"clixml"_s].toString().endsWith(u"</Obj>"_s));
        }
    }
    EXPECT_TRUE(found);
}

TEST_F(TraceDecode, WinRsRecordingsAreSkipped)
{
    PSREMOTE_REQUIRE_SHARED();
    const QString path = writeRecording(u"test_winrs_standard.yml"_s);
    const RunResult json = run({u"decode"_s, u"--json"_s, path});
    EXPECT_EQ(json.exitCode, 0) << json.err.toStdString();
    EXPECT_TRUE(json.out.isEmpty());
    const RunResult text = run({u"decode"_s, path});
    EXPECT_EQ(text.exitCode, 0);
    EXPECT_TRUE(text.out.contains(u"skipped"_s));
    EXPECT_TRUE(text.out.contains(u"0 PSRP messages"_s)) << text.out.toStdString();
}

TEST_F(TraceDecode, ReadableSummaryNamesMessages)
{
    PSREMOTE_REQUIRE_SHARED();
    const RunResult r = run({u"decode"_s, writeRecording(u"test_psrp_open_runspace.yml"_s)});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_FALSE(r.stdoutIsJsonLines);
    EXPECT_TRUE(r.out.contains(u"SESSION_CAPABILITY"_s));
    EXPECT_TRUE(r.out.contains(u"RUNSPACEPOOL_STATE"_s));
    EXPECT_TRUE(r.out.contains(u"PSRP messages in"_s));
}

TEST_F(TraceDecode, MalformedLegsAreReportedAndDecodingContinues)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto transcript = TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir()
                                                        + u"/test_psrp_open_runspace.yml"_s);
    ASSERT_TRUE(transcript && transcript->exchanges.size() >= 2);
    const QString create = transcript->exchanges.at(0).request;
    static const QRegularExpression creationXml(u"(<creationXml[^>]*>)([^<]*)(</creationXml>)"_s);
    const QString creationBase64 = creationXml.match(create).captured(2);
    ASSERT_FALSE(creationBase64.isEmpty());
    QString badBase64 = create;
    badBase64.replace(creationXml, u"\\1!!!not base64!!!\\3"_s);
    // The first fragment cut short: its BlobLength claims more than is there.
    const QByteArray payload = QByteArray::fromBase64(creationBase64.toLatin1());
    QString truncated = create;
    truncated.replace(creationXml, u"\\1"_s + QString::fromLatin1(payload.left(100).toBase64()) + u"\\3"_s);

    QByteArray trace;
    trace += "{not json\n";                                              // line 1
    trace += legLine(u"request"_s, u"<s:Envelope><unclosed></s:Envelope>"_s); // line 2
    trace += legLine(u"request"_s, badBase64);                            // line 3
    trace += legLine(u"request"_s, truncated);                            // line 4
    trace += legLine(u"response"_s, transcript->exchanges.at(0).response); // line 5
    trace += legLine(u"request"_s, create);                               // line 6: decodes
    trace += "{\"direction\":\"sideways\",\"body\":\"\"}\n";              // line 7
    const QString path = write(u"bad.jsonl"_s, trace);
    const RunResult r = run({u"decode"_s, u"--json"_s, path});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_TRUE(r.stdoutIsJsonLines);
    const QStringList errors = r.err.split(u'\n', Qt::SkipEmptyParts);
    ASSERT_EQ(errors.size(), 5) << r.err.toStdString();
    EXPECT_TRUE(errors[0].startsWith(path + u":1: bad JSON"_s)) << errors[0].toStdString();
    EXPECT_TRUE(errors[1].startsWith(path + u":2: bad XML"_s)) << errors[1].toStdString();
    EXPECT_TRUE(errors[2].startsWith(path + u":3: bad base64"_s)) << errors[2].toStdString();
    EXPECT_TRUE(errors[3].startsWith(path + u":4: "_s)) << errors[3].toStdString();
    EXPECT_TRUE(errors[3].contains(u"declares"_s)) << errors[3].toStdString();
    EXPECT_TRUE(errors[4].startsWith(path + u":7: "_s)) << errors[4].toStdString();
    // Line 6 still decodes both messages of the creationXml.
    ASSERT_EQ(r.json.size(), 2);
    EXPECT_EQ(r.json[0][u"messageType"_s].toString(), u"SESSION_CAPABILITY"_s);
    EXPECT_EQ(r.json[1][u"messageType"_s].toString(), u"INIT_RUNSPACEPOOL"_s);
}

TEST_F(TraceDecode, ResponseWithoutRequestAndUnfinishedMessage)
{
    Psrp::Message message;
    message.destination = Psrp::Destination::Client;
    message.type = Psrp::MessageType::PipelineOutput;
    message.data = QByteArray(300, 'x');
    const QList<Psrp::Fragment> fragments = Psrp::fragmentMessage(9, Psrp::encodeMessage(message), 200);
    ASSERT_EQ(fragments.size(), 2);
    auto receiveResponse = [](const Psrp::Fragment &f) -> QString {
        return u"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
               "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Body>"
               "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" CommandId=\"ABC\">"_s
               + QString::fromLatin1(Psrp::encodeFragment(f).toBase64())
               + u"</rsp:Stream></rsp:ReceiveResponse></s:Body></s:Envelope>"_s;
    };
    const QString receive =
        u"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
        "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Header>"
        "<wsa:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive</wsa:Action>"
        "<wsman:ResourceURI>http://schemas.microsoft.com/powershell/Microsoft.PowerShell</wsman:ResourceURI>"
        "<wsman:SelectorSet><wsman:Selector Name=\"ShellId\">11111111-2222-3333-4444-555555555555</wsman:Selector></wsman:SelectorSet>"
        "</s:Header><s:Body><rsp:Receive><rsp:DesiredStream CommandId=\"ABC\">stdout</rsp:DesiredStream></rsp:Receive></s:Body></s:Envelope>"_s;

    // Spanning two Receive exchanges: the message completes on the second response (line 4).
    QByteArray trace = legLine(u"request"_s, receive) + legLine(u"response"_s, receiveResponse(fragments[0]))
                       + legLine(u"request"_s, receive) + legLine(u"response"_s, receiveResponse(fragments[1]))
                       + legLine(u"response"_s, receiveResponse(fragments[0])); // line 5: no request
    const QString path = write(u"span.jsonl"_s, trace);
    const RunResult r = run({u"decode"_s, u"--json"_s, path});
    EXPECT_EQ(r.exitCode, 1);
    ASSERT_EQ(r.json.size(), 1);
    EXPECT_EQ(r.json[0][u"objectId"_s].toInt(), 9);
    EXPECT_EQ(r.json[0][u"commandId"_s].toString(), u"ABC"_s);
    EXPECT_EQ(r.json[0][u"shellId"_s].toString(), u"11111111-2222-3333-4444-555555555555"_s);
    EXPECT_EQ(r.json[0][u"clixml"_s].toString(), QString(300, u'x'));
    EXPECT_TRUE(r.err.contains(path + u":5: a response without a request"_s)) << r.err.toStdString();

    // A trace that stops mid-message is reported at its last line.
    const QString cut = write(u"cut.jsonl"_s, legLine(u"request"_s, receive) + legLine(u"response"_s, receiveResponse(fragments[0])));
    const RunResult c = run({u"decode"_s, u"--json"_s, cut});
    EXPECT_EQ(c.exitCode, 1);
    EXPECT_TRUE(c.json.isEmpty());
    EXPECT_TRUE(c.err.startsWith(cut + u":2: "_s)) << c.err.toStdString();
}

TEST_F(TraceDecode, JsonEscapesControlCharacters)
{
    Psrp::Message message;
    message.type = Psrp::MessageType::PipelineInput;
    message.data = QByteArrayLiteral("<S>a\"b\\c\x01\n\xC3\xA9</S>");
    const QString send =
        u"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
        "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Header>"
        "<wsa:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send</wsa:Action>"
        "<wsman:ResourceURI>http://schemas.microsoft.com/powershell/Microsoft.PowerShell</wsman:ResourceURI>"
        "</s:Header><s:Body><rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"c0ffee00-0000-0000-0000-000000000000\">"_s
        + QString::fromLatin1(Psrp::encodeFragments(Psrp::fragmentMessage(1, Psrp::encodeMessage(message, true), 1000)).toBase64())
        + u"</rsp:Stream></rsp:Send></s:Body></s:Envelope>"_s;
    const RunResult r = run({u"decode"_s, u"--json"_s, write(u"esc.jsonl"_s, legLine(u"request"_s, send))});
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    ASSERT_EQ(r.json.size(), 1);
    EXPECT_EQ(r.json[0][u"clixml"_s].toString(), u"<S>a\"b\\c\u0001\n\u00e9</S>"_s);
    EXPECT_EQ(r.json[0][u"commandId"_s].toString(), u"C0FFEE00-0000-0000-0000-000000000000"_s);
    EXPECT_TRUE(r.json[0][u"shellId"_s].isNull());
    EXPECT_TRUE(r.out.contains(u"\\u0001"_s));
}

TEST_F(TraceDecode, RoundtripAddsReserializedClixml)
{
    PSREMOTE_REQUIRE_SHARED();
    const RunResult r =
        run({u"decode"_s, u"--json"_s, u"--roundtrip"_s, writeRecording(u"test_psrp_with_input.yml"_s)});
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    ASSERT_FALSE(r.json.isEmpty());
    for (const QJsonObject &m : r.json) {
        ASSERT_TRUE(m.contains(u"roundtrip"_s));
        const QString clixml = m[u"clixml"_s].toString();
        const QString roundtrip = m[u"roundtrip"_s].toString();
        if (clixml.isEmpty()) {
            EXPECT_EQ(roundtrip, QString());
            continue;
        }
        auto original = Psrp::Clixml::deserialize(clixml.toUtf8());
        auto again = Psrp::Clixml::deserialize(roundtrip.toUtf8());
        ASSERT_TRUE(original.ok() && again.ok()) << roundtrip.toStdString();
        EXPECT_TRUE(*original == *again) << m[u"messageType"_s].toString().toStdString();
    }
}

TEST(TraceCommand, UsageErrors)
{
    EXPECT_EQ(run({}).exitCode, 2);
    EXPECT_EQ(run({u"encode"_s}).exitCode, 2);
    EXPECT_EQ(run({u"decode"_s}).exitCode, 2);
    const RunResult unknown = run({u"decode"_s, u"--yaml"_s, u"x"_s});
    EXPECT_EQ(unknown.exitCode, 2);
    EXPECT_TRUE(unknown.err.contains(u"--help"_s));
    EXPECT_TRUE(unknown.out.isEmpty());
    EXPECT_EQ(run({u"decode"_s, u"a"_s, u"b"_s}).exitCode, 2);
    EXPECT_EQ(run({u"decode"_s, u"--roundtrip"_s, u"a"_s}).exitCode, 2);
    EXPECT_EQ(run({u"decode"_s, u"/nonexistent/trace.jsonl"_s}).exitCode, 2);
}

TEST(TraceCommand, HelpDescribesEveryOption)
{
    const RunResult r = run({u"decode"_s, u"--help"_s});
    EXPECT_EQ(r.exitCode, 0);
    for (const QString &word : {u"--json"_s, u"--roundtrip"_s, u"--help"_s, u"FILE"_s})
        EXPECT_TRUE(r.out.contains(word)) << word.toStdString();
}

TEST(TraceDecoder, ReadsJsonEscapesAndSkipsOtherMembers)
{
    QList<Wsman::SkippedExchange> skipped;
    Wsman::TraceDecoder decoder({}, [&](const Wsman::SkippedExchange &s) { skipped.append(s); });
    // \u escapes (including a surrogate pair) in the body, unknown members of every JSON kind.
    const QByteArray line =
        R"({"time":1.5e3,"tags":[true,false,null,{"a":[]}],"direction":"request","body":)"
        R"("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">)"
        R"(<s:Header><wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/config\u002F\ud83d\ude00</wsman:ResourceURI></s:Header></s:Envelope>"})";
    EXPECT_EQ(decoder.feedLine(line, 1), std::nullopt);
    ASSERT_EQ(skipped.size(), 1);
    EXPECT_EQ(skipped.first().resourceUri, u"http://schemas.microsoft.com/wbem/wsman/1/config/\U0001F600"_s);
    EXPECT_EQ(decoder.skippedCount(), 1);
}

TEST(TraceDecoder, RejectsMalformedJson)
{
    Wsman::TraceDecoder decoder({});
    const QList<QByteArray> bad{
        "", "[]", "{", R"({"direction":"request"})", R"({"direction":"request","body":1})",
        R"({"direction":"request","body":"x"} trailing)", R"({"direction":"request","body":"\q"})",
        R"({"direction":"request","body":"\u12"})", "{\"direction\":\"request\",\"body\":\"a\tb\"}",
        R"({"direction":"request","body":"x","n":01})", QByteArray(1000, '[')};
    for (const QByteArray &line : bad) {
        const std::optional<QString> error = decoder.feedLine(line, 1);
        EXPECT_TRUE(error.has_value()) << line.left(60).toStdString();
    }
    // A request with unparsable XML is refused; its response is skipped without a second report.
    EXPECT_TRUE(decoder.feedLine(R"({"direction":"request","body":"<a>"})", 2).has_value());
    EXPECT_EQ(decoder.feedLine(R"({"direction":"response","body":"<b>"})", 3), std::nullopt);
    const std::optional<QString> orphan = decoder.feedLine(R"({"direction":"response","body":"<a/>"})", 4);
    ASSERT_TRUE(orphan.has_value());
    EXPECT_TRUE(orphan->contains(u"without a request"_s));
}

TEST(TraceDecoder, ObjectIdsAreReassembledPerShell)
{
    // Two pools in one trace, both numbering their messages from ObjectId 1, with fragmented
    // messages interleaved: each shell's fragments belong to its own message.
    auto receive = [](const QString &shell) -> QString {
        return u"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
               "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
               "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
               "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Header>"
               "<wsa:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive</wsa:Action>"
               "<wsman:ResourceURI>http://schemas.microsoft.com/powershell/Microsoft.PowerShell</wsman:ResourceURI>"
               "<wsman:SelectorSet><wsman:Selector Name=\"ShellId\">"_s
               + shell
               + u"</wsman:Selector></wsman:SelectorSet></s:Header><s:Body><rsp:Receive>"
                 "<rsp:DesiredStream>stdout</rsp:DesiredStream></rsp:Receive></s:Body></s:Envelope>"_s;
    };
    auto response = [](const Psrp::Fragment &f) -> QString {
        return u"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
               "xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Body>"
               "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\">"_s
               + QString::fromLatin1(Psrp::encodeFragment(f).toBase64())
               + u"</rsp:Stream></rsp:ReceiveResponse></s:Body></s:Envelope>"_s;
    };
    auto fragments = [](char fill) {
        Psrp::Message message;
        message.destination = Psrp::Destination::Client;
        message.type = Psrp::MessageType::PipelineOutput;
        message.data = QByteArray(300, fill);
        return Psrp::fragmentMessage(1, Psrp::encodeMessage(message), 200);
    };
    const QString shellA = u"AAAAAAAA-0000-0000-0000-000000000001"_s;
    const QString shellB = u"BBBBBBBB-0000-0000-0000-000000000002"_s;
    const QList<Psrp::Fragment> a = fragments('a');
    const QList<Psrp::Fragment> b = fragments('b');
    ASSERT_EQ(a.size(), 2);

    QList<Wsman::TraceMessage> messages;
    Wsman::TraceDecoder decoder([&](const Wsman::TraceMessage &m) { messages.append(m); });
    const QList<std::pair<QString, Psrp::Fragment>> legs{{shellA, a[0]}, {shellB, b[0]}, {shellA, a[1]}, {shellB, b[1]}};
    qint64 line = 0;
    for (const auto &[shell, fragment] : legs) {
        auto error = decoder.feedLine(legLine(u"request"_s, receive(shell)).trimmed(), ++line);
        EXPECT_FALSE(error.has_value()) << error->toStdString();
        error = decoder.feedLine(legLine(u"response"_s, response(fragment)).trimmed(), ++line);
        EXPECT_FALSE(error.has_value()) << error->toStdString();
    }
    EXPECT_FALSE(decoder.finish().has_value());
    ASSERT_EQ(messages.size(), 2);
    EXPECT_EQ(messages[0].shellId, shellA);
    EXPECT_EQ(messages[0].message.data, QByteArray(300, 'a'));
    EXPECT_EQ(messages[1].shellId, shellB);
    EXPECT_EQ(messages[1].message.data, QByteArray(300, 'b'));
}
