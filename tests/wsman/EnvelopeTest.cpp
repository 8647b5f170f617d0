#include "wsman/Envelope.h"
#include "wsman/Fault.h"
#include "wsman/ServerEnvelope.h"

#include "SharedData.h"
#include "Transcript.h"

#include <QMap>
#include <QSet>

#include <gtest/gtest.h>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;

namespace {

QUuid uuidOf(const QString &text)
{
    QString t = text;
    if (t.startsWith(u"uuid:"))
        t = t.mid(5);
    return QUuid::fromString(t);
}

// Namespace URI + local name + attributes + trimmed text, recursively; header children sorted
// (their order is free), everything else in document order. Prefixes never appear.
QString canonical(const XmlNode &node, bool sortChildren, int depth = 0)
{
    QStringList attrs;
    for (const XmlAttribute &a : node.attributes)
        attrs.append(u"%1|%2=%3"_s.arg(a.ns, a.name, a.value));
    attrs.sort();
    QString line = QString(depth * 2, u' ') + u'{' + node.ns + u'}' + node.name + u" [" + attrs.join(u", ") + u"] "
                   + node.text.trimmed() + u'\n';
    QStringList children;
    const bool isHeader = node.is(Ns::Soap, u"Header");
    for (const XmlNode &child : node.children)
        children.append(canonical(child, sortChildren, depth + 1));
    if (isHeader && sortChildren)
        children.sort();
    return line + children.join(QString());
}

// Removes a header option by name (a known difference) from a parsed envelope.
void dropOption(XmlNode &envelope, const QString &name)
{
    for (XmlNode &header : envelope.children) {
        if (!header.is(Ns::Soap, u"Header"))
            continue;
        for (qsizetype i = 0; i < header.children.size(); ++i) {
            XmlNode &set = header.children[i];
            if (!set.is(Ns::Wsman, u"OptionSet"))
                continue;
            set.children.removeIf([&](const XmlNode &option) { return option.attribute(u"Name") == name; });
            if (set.children.isEmpty())
                header.children.removeAt(i);
            return;
        }
    }
}

RequestContext contextFrom(const ServerRequest &request)
{
    RequestContext context;
    context.to = request.to;
    context.resourceUri = request.resourceUri;
    context.sessionId = uuidOf(request.sessionId);
    context.uiCulture = request.locale;
    context.culture = request.dataLocale;
    context.maxEnvelopeSize = request.maxEnvelopeSize;
    context.operationTimeoutMs = request.operationTimeoutMs.value_or(0);
    return context;
}

// Builds the client request that should equal the recorded one; empty when not a PSRP request.
QByteArray rebuild(const ServerRequest &r)
{
    const RequestContext context = contextFrom(r);
    const QUuid id = uuidOf(r.messageId);
    const QUuid shell = QUuid::fromString(r.shellId);
    const QUuid command = QUuid::fromString(r.commandId);
    switch (r.action) {
    case Action::Create: {
        CreateRequest create;
        create.shellId = shell;
        create.creationXml = r.creationXml;
        create.idleTimeoutMs = r.idleTimeoutMs;
        create.noMachineProfile = r.option(u"WINRS_NOPROFILE").has_value();
        create.protocolVersion = r.option(u"protocolversion").value_or(QString());
        return buildCreate(context, id, create);
    }
    case Action::Command: return buildCommand(context, id, shell, command, r.arguments);
    case Action::Send: return buildSend(context, id, shell, r.streams);
    case Action::Receive: return buildReceive(context, id, shell, command);
    case Action::Signal:
        return buildSignal(context, id, shell, command,
                           r.signalCode == SignalCtrlC ? SignalCode::CtrlC : SignalCode::Terminate);
    case Action::Delete: return buildDelete(context, id, shell);
    case Action::Disconnect: return buildDisconnect(context, id, shell, r.idleTimeoutMs);
    case Action::Reconnect: return buildReconnect(context, id, shell);
    case Action::Connect:
        return r.hasConnectXml ? buildConnect(context, id, shell, r.connectXml, r.option(u"protocolversion").value_or(QString()))
                               : buildConnectPipeline(context, id, shell, command);
    case Action::Enumerate: return buildEnumerate(context, id);
    case Action::Get: return buildGet(context, id, shell);
    case Action::Unknown: break;
    }
    return {};
}

bool isPsrpRequest(const ServerRequest &r)
{
    if (r.resourceUri.startsWith(u"http://schemas.microsoft.com/powershell/"))
        return true;
    return r.resourceUri == ShellResourceUri && (r.action == Action::Enumerate || r.action == Action::Get);
}

struct Recorded {
    QString file;
    TestSupport::TranscriptExchange exchange;
};

QList<Recorded> allExchanges()
{
    QList<Recorded> out;
    for (const QString &file : TestSupport::windowsTranscriptFiles()) {
        QString error;
        const auto transcript = TestSupport::loadTranscript(file, &error);
        if (!transcript) {
            // Not this layer's concern (the YAML reader's); reported, not failed.
            std::printf("skipped %s: %s\n", qPrintable(file), qPrintable(error));
            continue;
        }
        for (const auto &exchange : transcript->exchanges)
            out.append({file.section(u'/', -1), exchange});
    }
    return out;
}

} // namespace

TEST(Envelope, DurationConversions)
{
    EXPECT_EQ(durationFromMs(20000), u"PT20S"_s);
    EXPECT_EQ(durationFromMs(1500), u"PT1.500S"_s);
    EXPECT_EQ(durationFromMs(7200000), u"PT7200S"_s);
    EXPECT_EQ(msFromDuration(u"PT7200.000S"), 7200000);
    EXPECT_EQ(msFromDuration(u"PT2147483.647S"), 2147483647);
    EXPECT_EQ(msFromDuration(u"P0DT0H0M9S"), 9000);
    EXPECT_EQ(msFromDuration(u"P1DT1H1M1.5S"), 86400000 + 3600000 + 60000 + 1500);
    EXPECT_FALSE(msFromDuration(u"PT-1S").has_value());
    EXPECT_FALSE(msFromDuration(u"20").has_value());
    EXPECT_FALSE(msFromDuration(u"PT").has_value());
    EXPECT_FALSE(msFromDuration(u"PT99999999999999999999S").has_value());
}

TEST(Envelope, ActionUris)
{
    EXPECT_EQ(actionFromUri(u"http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"), Action::Create);
    EXPECT_EQ(actionFromUri(u"http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse"), Action::Create);
    EXPECT_EQ(actionFromUri(u"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"), Action::Receive);
    EXPECT_EQ(actionFromUri(u"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"), Action::Enumerate);
    EXPECT_EQ(actionFromUri(u"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Create"), Action::Unknown);
    EXPECT_EQ(actionFromUri(u"http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"), Action::Unknown);
    EXPECT_EQ(signalCodeUri(SignalCode::CtrlC), u"powershell/signal/crtl_c"_s);
}

TEST(Envelope, RequestHeadersCarryTheContext)
{
    RequestContext context;
    context.to = u"https://host:5986/wsman"_s;
    context.sessionId = QUuid::createUuid();
    context.uiCulture = u"de-DE"_s;
    context.culture = u"fr-FR"_s;
    context.maxEnvelopeSize = 512000;
    context.operationTimeoutMs = 60000;
    const QUuid id = QUuid::createUuid();
    const QUuid shell = QUuid::createUuid();
    auto parsed = parseServerRequest(buildReceive(context, id, shell, QUuid::createUuid()));
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail.toStdString();
    EXPECT_EQ(parsed->messageId, u"uuid:"_s + guidText(id));
    EXPECT_TRUE(parsed->messageId.mid(5) == parsed->messageId.mid(5).toUpper());
    EXPECT_EQ(parsed->locale, u"de-DE"_s);
    EXPECT_EQ(parsed->dataLocale, u"fr-FR"_s);
    EXPECT_EQ(parsed->maxEnvelopeSize, 512000);
    EXPECT_EQ(parsed->operationTimeoutMs, 60000);
    EXPECT_EQ(parsed->shellId, guidText(shell));
    EXPECT_EQ(parsed->sessionId, u"uuid:"_s + guidText(context.sessionId));
    EXPECT_EQ(parsed->option(u"WSMAN_CMDSHELL_OPTION_KEEPALIVE"), u"True"_s);

    CreateRequest create;
    create.shellId = shell;
    create.noMachineProfile = true;
    create.idleTimeoutMs = 7200000;
    auto created = parseServerRequest(buildCreate(context, id, create));
    ASSERT_TRUE(created.ok());
    EXPECT_EQ(created->option(u"WINRS_NOPROFILE"), u"TRUE"_s);
    EXPECT_EQ(created->idleTimeoutMs, 7200000);
    ASSERT_EQ(created->options.size(), 2);
    EXPECT_TRUE(created->options[0].mustComply);
    EXPECT_EQ(created->options[0].name, u"protocolversion"_s);

    auto signal = parseServerRequest(buildSignal(context, id, shell, QUuid::createUuid(), SignalCode::CtrlC));
    ASSERT_TRUE(signal.ok());
    EXPECT_EQ(signal->signalCode, u"powershell/signal/crtl_c"_s);
}

TEST(Envelope, SendAtTheComputedLimitFits)
{
    for (qint64 envelope : {qint64(153600), qint64(512000), qint64(4096)}) {
        RequestContext context;
        context.to = u"http://127.0.0.1:5985/wsman?PSVersion=7.4&x=1"_s;
        context.sessionId = QUuid::createUuid();
        context.maxEnvelopeSize = envelope;
        const qsizetype payload = maxSendPayload(context);
        ASSERT_GT(payload, 0);
        const QByteArray data(payload, '\xAB');
        const QByteArray body = buildSend(context, QUuid::createUuid(), QUuid::createUuid(),
                                          {{u"stdin"_s, guidText(QUuid::createUuid()), data}});
        EXPECT_LE(body.size(), envelope);
        // The limit is tight: three more bytes (four base64 characters) no longer fit.
        const QByteArray over = buildSend(context, QUuid::createUuid(), QUuid::createUuid(),
                                          {{u"stdin"_s, guidText(QUuid::createUuid()), data + QByteArray(3, 'x')}});
        EXPECT_GT(over.size(), envelope);
        EXPECT_EQ(body.size() - (payload / 3 * 4), sendEnvelopeOverhead(context));
    }
}

TEST(Envelope, DecodesUtf16Bodies)
{
    const QByteArray utf8 = R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header><a:RelatesTo>uuid:ABC</a:RelatesTo></s:Header><s:Body><rsp:CommandResponse><rsp:CommandId>1234-É</rsp:CommandId></rsp:CommandResponse></s:Body></s:Envelope>)";
    const QByteArray withBom = encodeUtf16(utf8);
    auto a = parseCommandResponse(withBom);
    ASSERT_TRUE(a.ok()) << a.error().detail.toStdString();
    EXPECT_EQ(a->commandId, u"1234-É"_s);
    EXPECT_EQ(a->header.relatesTo, u"uuid:ABC"_s);
    // No BOM, charset from Content-Type.
    auto b = parseXml(withBom.mid(2), u"utf-16");
    ASSERT_TRUE(b.ok());
    const QString text = QString::fromUtf8(utf8);
    QByteArray bigEndian("\xFE\xFF", 2);
    for (QChar c : text) {
        bigEndian.append(char(c.unicode() >> 8));
        bigEndian.append(char(c.unicode() & 0xFF));
    }
    auto c = parseCommandResponse(bigEndian);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->commandId, u"1234-É"_s);
    auto d = parseCommandResponse(QByteArray(QByteArray("\xEF\xBB\xBF") + utf8));
    ASSERT_TRUE(d.ok());
}

TEST(Envelope, RefusesMalformedInput)
{
    EXPECT_FALSE(parseXml("<a><b></a>").ok());
    EXPECT_FALSE(parseXml("").ok());
    EXPECT_FALSE(parseXml("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>").ok());
    QByteArray deep;
    for (int i = 0; i < 100; ++i)
        deep += "<a>";
    EXPECT_FALSE(parseXml(deep).ok());
    EXPECT_FALSE(parseCreateResponse("<x/>").ok());
    const QByteArray badBase64 = R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Body><rsp:ReceiveResponse><rsp:Stream Name="stdout">@@@</rsp:Stream></rsp:ReceiveResponse></s:Body></s:Envelope>)";
    EXPECT_FALSE(parseReceiveResponse(badBase64).ok());
    EXPECT_FALSE(parseServerRequest("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"/>").ok());
}

// Known answers: every PSRP request recorded from Windows, rebuilt with its identifiers, equals
// the recording element by element (namespace URI, local name, attributes, text).
TEST(EnvelopeRecorded, RequestsMatchTheRecordings)
{
    PSREMOTE_REQUIRE_SHARED();
    QMap<QString, int> compared;
    for (const Recorded &recorded : allExchanges()) {
        const QByteArray requestBytes = recorded.exchange.request.toUtf8();
        auto request = parseServerRequest(requestBytes);
        ASSERT_TRUE(request.ok()) << recorded.file.toStdString() << ':' << recorded.exchange.line << ' '
                                  << request.error().detail.toStdString();
        if (!isPsrpRequest(*request))
            continue;
        // Known difference: test_psrp_is_alive_other_wsman_error sends OperationTimeout PT-1S on
        // purpose to provoke a fault; our builder never writes a negative duration.
        if (!request->operationTimeoutMs) {
            EXPECT_EQ(request->operationTimeoutText, u"PT-1S"_s);
            continue;
        }
        const QByteArray built = rebuild(*request);
        ASSERT_FALSE(built.isEmpty()) << recorded.file.toStdString() << ':' << recorded.exchange.line;
        auto expected = parseXml(requestBytes);
        auto actual = parseXml(built);
        ASSERT_TRUE(expected.ok() && actual.ok());
        // Known difference: pypsrp adds WINRS_SKIP_CMD_SHELL=False to Command. It only
        // matters to the cmd shell (WinRS); PowerShell's own client does not send it.
        dropOption(*expected, u"WINRS_SKIP_CMD_SHELL"_s);
        QString expectedText = canonical(*expected, true);
        // Known difference: pypsrp writes the terminate code as ".../signal/Terminate"; we send
        // MS-WSMV's spelling ".../signal/terminate", as PowerShell does (dossier 1.7). WinRM
        // accepts both; every other character must match.
        if (request->action == Action::Signal && request->signalCode.endsWith(u"/signal/Terminate"))
            expectedText.replace(u"/signal/Terminate"_s, u"/signal/terminate"_s);
        EXPECT_EQ(canonical(*actual, true).toStdString(), expectedText.toStdString())
            << recorded.file.toStdString() << ':' << recorded.exchange.line;
        ++compared[actionName(request->action)];
    }
    for (const QString &action : {u"Create"_s, u"Command"_s, u"Send"_s, u"Receive"_s, u"Signal"_s, u"Delete"_s,
                                  u"Disconnect"_s, u"Reconnect"_s, u"Connect"_s, u"Enumerate"_s, u"Get"_s})
        EXPECT_GT(compared.value(action), 0) << action.toStdString();
    std::string summary;
    for (auto it = compared.cbegin(); it != compared.cend(); ++it)
        summary += it.key().toStdString() + '=' + std::to_string(it.value()) + ' ';
    std::printf("compared requests: %s\n", summary.c_str());
}

// Every recorded response parses, with the fields its request leads us to expect.
TEST(EnvelopeRecorded, ResponsesParse)
{
    PSREMOTE_REQUIRE_SHARED();
    int parsed = 0;
    int faults = 0;
    int done = 0;
    for (const Recorded &recorded : allExchanges()) {
        if (recorded.exchange.response.isEmpty())
            continue;
        const QByteArray body = recorded.exchange.response.toUtf8();
        const std::string where = recorded.file.toStdString() + ':' + std::to_string(recorded.exchange.line);
        auto request = parseServerRequest(recorded.exchange.request.toUtf8());
        ASSERT_TRUE(request.ok()) << where << request.error().detail.toStdString();
        if (!isPsrpRequest(*request))
            continue;
        auto header = parseResponseHeader(body);
        ASSERT_TRUE(header.ok()) << where;
        EXPECT_EQ(header->relatesTo, request->messageId) << where;
        if (isFaultBody(body)) {
            auto fault = parseFault(body);
            ASSERT_TRUE(fault.ok()) << where;
            EXPECT_NE(fault->code, 0u) << where;
            EXPECT_FALSE(fault->message.isEmpty()) << where;
            ++faults;
            continue;
        }
        switch (request->action) {
        case Action::Create: {
            auto r = parseCreateResponse(body);
            ASSERT_TRUE(r.ok()) << where << r.error().detail.toStdString();
            // WinRM 2.0 (test_psrp_run_protocol_version_2.1) picks its own ShellId and sends no
            // rsp:Shell; newer servers echo the client's and describe the shell.
            if (r->shell) {
                EXPECT_EQ(r->shellId, request->shellId) << where;
                EXPECT_EQ(r->shell->shellId, r->shellId);
                EXPECT_EQ(r->shell->state, u"Connected"_s);
            }
            break;
        }
        case Action::Command: {
            auto r = parseCommandResponse(body);
            ASSERT_TRUE(r.ok()) << where;
            // WinRM 2.0 assigns its own CommandId (test_psrp_run_protocol_version_2.1).
            EXPECT_TRUE(r->commandId == request->commandId || recorded.file.contains(u"2.1"_s)) << where;
            break;
        }
        case Action::Receive: {
            auto r = parseReceiveResponse(body);
            ASSERT_TRUE(r.ok()) << where << r.error().detail.toStdString();
            for (const StreamData &s : r->streams) {
                EXPECT_EQ(s.name, u"stdout"_s) << where;
            }
            if (r->commandState) {
                EXPECT_EQ(r->commandState->commandId, request->commandId) << where;
                if (r->commandState->done()) {
                    EXPECT_TRUE(r->commandState->exitCode.has_value()) << where;
                    ++done;
                }
            }
            break;
        }
        case Action::Connect: {
            auto r = parseConnectResponse(body);
            ASSERT_TRUE(r.ok()) << where;
            EXPECT_EQ(r->connectResponseXml.isEmpty(), !request->hasConnectXml) << where;
            break;
        }
        case Action::Enumerate: {
            auto r = parseEnumerateResponse(body);
            ASSERT_TRUE(r.ok()) << where;
            EXPECT_TRUE(r->endOfSequence);
            for (const ShellInfo &shell : r->shells)
                EXPECT_FALSE(shell.shellId.isEmpty()) << where;
            break;
        }
        default:
            break;
        }
        ++parsed;
    }
    EXPECT_GT(parsed, 250);
    EXPECT_GE(faults, 2);
    EXPECT_GT(done, 20);
}

TEST(EnvelopeRecorded, SpecificResponses)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto transcript = TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir() + u"/test_psrp_disconnect_runspaces.yml"_s);
    ASSERT_TRUE(transcript.has_value());
    int enumerations = 0;
    for (const auto &exchange : transcript->exchanges) {
        auto request = parseServerRequest(exchange.request.toUtf8());
        ASSERT_TRUE(request.ok());
        if (request->action == Action::Enumerate) {
            auto r = parseEnumerateResponse(exchange.response.toUtf8());
            ASSERT_TRUE(r.ok());
            if (r->shells.size() == 2) {
                EXPECT_EQ(r->shells[0].shellId, u"B6631D8E-65A0-49F2-9053-A1B156C95777"_s);
                EXPECT_EQ(r->shells[0].state, u"Disconnected"_s);
                EXPECT_EQ(r->shells[0].processId, 2792);
                EXPECT_EQ(r->shells[0].idleTimeoutMs, 7200000);
                EXPECT_EQ(r->shells[0].shellRunTimeMs, 9000);
                ++enumerations;
            }
        }
    }
    EXPECT_EQ(enumerations, 1);

    const auto open = TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir() + u"/test_psrp_open_runspace.yml"_s);
    ASSERT_TRUE(open.has_value());
    auto created = parseCreateResponse(open->exchanges.first().response.toUtf8());
    ASSERT_TRUE(created.ok());
    EXPECT_EQ(created->shellId, u"76056A84-51DC-4F24-9262-CA2A55464B2B"_s);
    EXPECT_EQ(created->address, u"https://127.0.0.1:55986/wsman"_s);
    EXPECT_EQ(created->resourceUri, QString(DefaultResourceUri));
    EXPECT_EQ(created->shell->owner, u"WIN-NNMU24VVKJ0\\vagrant"_s);
    EXPECT_EQ(created->shell->processId, 1868);
    EXPECT_EQ(created->shell->maxIdleTimeoutMs, 2147483647);
    EXPECT_EQ(created->shell->encoding, u"UTF8"_s);
    EXPECT_EQ(created->header.relatesTo, u"uuid:F249DBE7-0E83-4F39-AE4A-28324CF61227"_s);
}

// The server side answers every recorded request in a form the client parsers accept, with the
// fields of the recorded Windows answer.
TEST(ServerEnvelope, ResponsesBuiltForRecordedRequestsParse)
{
    PSREMOTE_REQUIRE_SHARED();
    QSet<Action> seen;
    for (const Recorded &recorded : allExchanges()) {
        auto request = parseServerRequest(recorded.exchange.request.toUtf8());
        ASSERT_TRUE(request.ok());
        if (!isPsrpRequest(*request) || recorded.exchange.response.isEmpty())
            continue;
        const QByteArray windows = recorded.exchange.response.toUtf8();
        if (isFaultBody(windows)) {
            auto fault = parseFault(windows);
            ASSERT_TRUE(fault.ok());
            auto again = parseFault(buildFaultResponse(request->messageId, *fault));
            ASSERT_TRUE(again.ok());
            EXPECT_EQ(again->code, fault->code);
            EXPECT_EQ(again->machine, fault->machine);
            EXPECT_EQ(again->subcode, fault->subcode);
            EXPECT_EQ(again->message, fault->message);
            continue;
        }
        const std::string where = recorded.file.toStdString() + ':' + std::to_string(recorded.exchange.line);
        QByteArray ours;
        switch (request->action) {
        case Action::Create: {
            auto w = parseCreateResponse(windows);
            ASSERT_TRUE(w.ok());
            ShellInfo shell;
            shell.shellId = w->shellId;
            shell.resourceUri = w->resourceUri;
            if (w->shell)
                shell = *w->shell;
            ours = buildCreateResponse(*request, shell, w->address);
            auto r = parseCreateResponse(ours);
            ASSERT_TRUE(r.ok()) << where;
            EXPECT_EQ(r->shellId, w->shellId);
            EXPECT_EQ(r->address, w->address);
            EXPECT_EQ(r->resourceUri, w->resourceUri);
            ASSERT_TRUE(r->shell.has_value());
            EXPECT_EQ(r->shell->idleTimeoutMs, shell.idleTimeoutMs);
            EXPECT_EQ(r->shell->owner, shell.owner);
            break;
        }
        case Action::Command: {
            ours = buildCommandResponse(*request, request->commandId);
            auto r = parseCommandResponse(ours);
            ASSERT_TRUE(r.ok());
            EXPECT_EQ(r->commandId, request->commandId);
            break;
        }
        case Action::Receive: {
            auto w = parseReceiveResponse(windows);
            ASSERT_TRUE(w.ok());
            ours = buildReceiveResponse(*request, w->streams, w->commandState);
            auto r = parseReceiveResponse(ours);
            ASSERT_TRUE(r.ok());
            ASSERT_EQ(r->streams.size(), w->streams.size());
            for (qsizetype i = 0; i < r->streams.size(); ++i) {
                EXPECT_EQ(r->streams[i].data, w->streams[i].data);
                EXPECT_EQ(r->streams[i].commandId, w->streams[i].commandId);
            }
            EXPECT_EQ(r->commandState.has_value(), w->commandState.has_value());
            if (r->commandState) {
                EXPECT_EQ(r->commandState->state, w->commandState->state);
                EXPECT_EQ(r->commandState->exitCode, w->commandState->exitCode);
            }
            break;
        }
        case Action::Connect: {
            auto w = parseConnectResponse(windows);
            ASSERT_TRUE(w.ok());
            ours = buildConnectResponse(*request, w->connectResponseXml);
            auto r = parseConnectResponse(ours);
            ASSERT_TRUE(r.ok());
            EXPECT_EQ(r->connectResponseXml, w->connectResponseXml);
            break;
        }
        case Action::Enumerate: {
            auto w = parseEnumerateResponse(windows);
            ASSERT_TRUE(w.ok());
            ours = buildEnumerateResponse(*request, w->shells);
            auto r = parseEnumerateResponse(ours);
            ASSERT_TRUE(r.ok());
            ASSERT_EQ(r->shells.size(), w->shells.size());
            for (qsizetype i = 0; i < r->shells.size(); ++i)
                EXPECT_EQ(r->shells[i].state, w->shells[i].state);
            break;
        }
        case Action::Send: ours = buildSendResponse(*request); break;
        case Action::Signal: ours = buildSignalResponse(*request); break;
        case Action::Delete: ours = buildDeleteResponse(*request); break;
        case Action::Disconnect: ours = buildDisconnectResponse(*request); break;
        case Action::Reconnect: ours = buildReconnectResponse(*request); break;
        case Action::Get: {
            auto root = parseXml(windows);
            ASSERT_TRUE(root.ok());
            const XmlNode *shell = root->find(Ns::Shell, u"Shell");
            ASSERT_NE(shell, nullptr);
            ours = buildGetResponse(*request, shellInfoFromNode(*shell));
            auto again = parseXml(ours);
            ASSERT_TRUE(again.ok());
            ASSERT_NE(again->find(Ns::Shell, u"Shell"), nullptr);
            EXPECT_EQ(shellInfoFromNode(*again->find(Ns::Shell, u"Shell")).state, shellInfoFromNode(*shell).state);
            break;
        }
        case Action::Unknown: FAIL() << where;
        }
        auto header = parseResponseHeader(ours);
        ASSERT_TRUE(header.ok()) << where;
        EXPECT_EQ(header->relatesTo, request->messageId) << where;
        EXPECT_EQ(header->action, responseActionUri(request->action)) << where;
        // The recorded Windows answer names the same action.
        auto windowsHeader = parseResponseHeader(windows);
        ASSERT_TRUE(windowsHeader.ok());
        EXPECT_EQ(windowsHeader->action, header->action) << where;
        seen.insert(request->action);
    }
    EXPECT_EQ(seen.size(), 11);
}

TEST(ServerEnvelope, TimedOutAndShellNotFoundFaults)
{
    ServerRequest request;
    request.messageId = u"uuid:11111111-2222-3333-4444-555555555555"_s;
    const QByteArray timedOut = buildFaultResponse(request.messageId, operationTimedOutFault(u"localhost"_s));
    ASSERT_TRUE(isFaultBody(timedOut));
    auto fault = parseFault(timedOut);
    ASSERT_TRUE(fault.ok());
    EXPECT_EQ(fault->code, FaultCode::OperationTimedOut);
    EXPECT_EQ(fault->subcode, u"TimedOut"_s);
    EXPECT_EQ(fault->soapCode, u"Receiver"_s);
    EXPECT_EQ(fault->machine, u"localhost"_s);
    EXPECT_TRUE(isReceiveTimeout(*fault));
    auto header = parseResponseHeader(timedOut);
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(header->relatesTo, request.messageId);
    EXPECT_FALSE(parseReceiveResponse(timedOut).ok());

    auto gone = parseFault(buildFaultResponse(request.messageId, shellNotFoundFault(u"h"_s)));
    ASSERT_TRUE(gone.ok());
    EXPECT_EQ(gone->kind(), FaultKind::ShellNotFound);
    EXPECT_EQ(gone->subcode, u"InvalidSelectors"_s);
}

namespace {

QByteArray receiveEnvelope(const QByteArray &streams, const QByteArray &prefix = {})
{
    return prefix
         + R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header/><s:Body><rsp:ReceiveResponse>)"
         + streams + "</rsp:ReceiveResponse></s:Body></s:Envelope>";
}

QByteArray patterned(qsizetype size, int seed)
{
    QByteArray out(size, Qt::Uninitialized);
    quint32 x = quint32(seed) * 2654435761u + 1;
    for (char &c : out) {
        x = x * 1664525u + 1013904223u;
        c = char(x >> 24);
    }
    return out;
}

} // namespace

// parseReceiveResponse cuts long base64 texts out before the XML parse (a fast path): whatever
// the shape of the envelope, the result must be what the text says.
TEST(Envelope, ReceiveResponseLongStreamsDecodeExactly)
{
    QList<QByteArray> payloads;
    QByteArray streams;
    // Sizes around the cut threshold and every padding length; one empty stream between them.
    for (const qsizetype size : {0, 1, 2, 3, 190, 191, 192, 193, 194, 4000, 100000, 100001, 100002}) {
        payloads.append(patterned(size, int(size)));
        streams += R"(<rsp:Stream Name="stdout" CommandId="C">)" + payloads.last().toBase64() + "</rsp:Stream>";
    }
    streams += R"(<rsp:CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>)";
    for (const QByteArray &prefix : {QByteArray(), QByteArray("\xEF\xBB\xBF"), QByteArray("<?xml version=\"1.0\"?>")}) {
        auto r = parseReceiveResponse(receiveEnvelope(streams, prefix));
        ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
        ASSERT_EQ(r->streams.size(), payloads.size());
        for (qsizetype i = 0; i < payloads.size(); ++i) {
            EXPECT_EQ(r->streams[i].data, payloads[i]) << i;
            EXPECT_EQ(r->streams[i].commandId, u"C"_s);
        }
        ASSERT_TRUE(r->commandState.has_value());
        EXPECT_TRUE(r->commandState->done());
        EXPECT_EQ(r->commandState->exitCode, 0);
    }
    // The same in UTF-16 (UseUTF16) goes through the general parser.
    const QString text = QString::fromUtf8(receiveEnvelope(streams));
    QByteArray utf16("\xFF\xFE");
    utf16.append(reinterpret_cast<const char *>(text.utf16()), text.size() * 2);
    auto r16 = parseReceiveResponse(utf16);
    ASSERT_TRUE(r16.ok()) << r16.error().detail.toStdString();
    ASSERT_EQ(r16->streams.size(), payloads.size());
    EXPECT_EQ(r16->streams.last().data, payloads.last());
}

TEST(Envelope, ReceiveResponseUnusualTextAroundLongBase64)
{
    const QByteArray payload = patterned(3000, 7);
    const QByteArray b64 = payload.toBase64();
    auto one = [](const QByteArray &body) {
        auto r = parseReceiveResponse(body);
        return r.ok() && r->streams.size() == 1 ? std::optional<QByteArray>(r->streams.first().data) : std::nullopt;
    };
    // Whitespace around the base64, a CDATA section, a character reference in front, a '*'
    // elsewhere in the body, a marker-like text of our own, a long base64 text in a comment.
    EXPECT_EQ(one(receiveEnvelope("<rsp:Stream Name=\"stdout\">\r\n  " + b64 + "\r\n</rsp:Stream>")), payload);
    EXPECT_EQ(one(receiveEnvelope("<rsp:Stream Name=\"stdout\"><![CDATA[" + b64 + "]]></rsp:Stream>")), payload);
    EXPECT_EQ(one(receiveEnvelope("<rsp:Stream Name=\"stdout\">&#" + QByteArray::number(int(b64[0])) + ";" + b64.mid(1)
                                  + "</rsp:Stream>")),
              payload);
    EXPECT_EQ(one(receiveEnvelope("<rsp:Stream Name=\"stdout\" CommandId=\"*\">" + b64 + "</rsp:Stream>")), payload);
    EXPECT_EQ(one(receiveEnvelope("<!--" + b64 + "--><!-->" + b64 + "<--><rsp:Stream Name=\"stdout\">" + b64
                                  + "</rsp:Stream>")),
              payload);
    EXPECT_FALSE(one(receiveEnvelope("<rsp:Stream Name=\"stdout\">*0*</rsp:Stream><x>" + b64 + "</x>")).has_value());
    // Unpadded base64 is refused as QByteArray::fromBase64Encoding refuses it, long or short.
    EXPECT_EQ(one(receiveEnvelope("<rsp:Stream Name=\"stdout\">" + b64.chopped(1) + "</rsp:Stream>")).has_value(),
              one(receiveEnvelope("<rsp:Stream Name=\"stdout\">" + b64.left(6) + "</rsp:Stream>")).has_value());
    // Corruption anywhere in a long run is an error, not a truncated stream.
    for (const qsizetype at : {qsizetype(0), b64.size() / 2, b64.size() - 5, b64.size() - 1}) {
        QByteArray bad = b64;
        bad[at] = '='; // padding, except as the last character where it is valid and shortens the data
        EXPECT_NE(one(receiveEnvelope("<rsp:Stream Name=\"stdout\">" + bad + "</rsp:Stream>")), payload) << at;
        if (at != b64.size() - 1) {
            EXPECT_FALSE(one(receiveEnvelope("<rsp:Stream Name=\"stdout\">" + bad + "</rsp:Stream>")).has_value()) << at;
        }
        bad[at] = '-';
        EXPECT_FALSE(one(receiveEnvelope("<rsp:Stream Name=\"stdout\">" + bad + "</rsp:Stream>")).has_value()) << at;
    }
    // Malformed XML around a long run is still malformed.
    EXPECT_FALSE(parseReceiveResponse(receiveEnvelope("<rsp:Stream Name=\"stdout\">" + b64 + "</rsp:Strea>")).ok());
    EXPECT_FALSE(parseReceiveResponse(receiveEnvelope("<rsp:Stream Name=\"stdout\">" + b64)).ok());
}
