// The loopback WinRM endpoint (tests/server) driven over real loopback sockets by a plain
// QNetworkAccessManager, with Psrp::ClientRunspacePool producing and consuming the PSRP bytes.
#include "LoopbackServer.h"
#include "PwshProcess.h"
#include "ReplayEngine.h"
#include "SharedData.h"
#include "Transcript.h"

#include "psrp/RunspacePool.h"
#include "wsman/Envelope.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace TestServer;

namespace {

struct HttpResult {
    int status = 0;
    QByteArray body;
    QByteArray location;
    QByteArray wwwAuthenticate;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    bool timedOut = false;
};

class Client {
public:
    explicit Client(QUrl url) : m_url(std::move(url)) {}
    QString user = u"alice"_s;
    QString password = u"s3cret"_s;
    std::optional<QSslConfiguration> tls;

    HttpResult post(const QByteArray &body)
    {
        QNetworkRequest request(m_url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/soap+xml;charset=UTF-8"));
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        if (!user.isEmpty())
            request.setRawHeader("Authorization", "Basic " + (user + u':' + password).toUtf8().toBase64());
        if (tls)
            request.setSslConfiguration(*tls);
        QNetworkReply *reply = m_manager.post(request, body);
        QEventLoop loop;
        QTimer guard;
        guard.setSingleShot(true);
        HttpResult result;
        QObject::connect(&guard, &QTimer::timeout, &loop, [&] { result.timedOut = true; loop.quit(); });
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        guard.start(10000);
        loop.exec();
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.body = reply->readAll();
        result.location = reply->rawHeader("Location");
        result.wwwAuthenticate = reply->rawHeader("WWW-Authenticate");
        result.error = reply->error();
        reply->abort();
        reply->deleteLater();
        return result;
    }

private:
    QUrl m_url;
    QNetworkAccessManager m_manager;
};

QString upper(const QUuid &id)
{
    return id.toString(QUuid::WithoutBraces).toUpper();
}

Wsman::RequestContext context(const QUrl &url, qint64 timeoutMs = 5000)
{
    Wsman::RequestContext c;
    c.to = url.toString();
    c.sessionId = QUuid::createUuid();
    c.operationTimeoutMs = timeoutMs;
    return c;
}

QByteArray enumerate(const QUrl &url)
{
    return Wsman::buildEnumerate(context(url), QUuid::createUuid());
}

// The decoded rsp:Stream payloads of a ReceiveResponse (none for anything else).
QList<QByteArray> streamsOf(const QByteArray &body)
{
    QList<QByteArray> out;
    if (const auto parsed = Wsman::parseReceiveResponse(body); parsed.ok())
        for (const auto &stream : parsed->streams)
            out.append(stream.data);
    return out;
}

ServerConfig basicConfig()
{
    ServerConfig c;
    c.user = u"alice"_s;
    c.password = u"s3cret"_s;
    return c;
}

// An opened pool on a simulator shell.
struct Session {
    explicit Session(ServerConfig config = basicConfig(), const QUuid &poolId = QUuid::createUuid())
        : server(std::move(config)), pool(poolId, 1, 1, Psrp::HostInfo::console(120, 50))
    {
    }
    LoopbackServer server;
    std::unique_ptr<Client> client;
    Psrp::ClientRunspacePool pool;
    QString shellId;
    std::optional<QUrl> external; // a psremote-test-server process instead of `server`

    QUrl target() const { return external ? *external : server.url(); }

    void open()
    {
        QString error;
        if (!external) {
            ASSERT_TRUE(server.listen(&error)) << error.toStdString();
        }
        client = std::make_unique<Client>(target());
        ASSERT_TRUE(pool.open().ok());
        auto out = pool.dataToSend(pool.maxPayloadSize());
        ASSERT_TRUE(out.has_value());
        shellId = upper(pool.id());
        Wsman::CreateRequest create;
        create.shellId = pool.id();
        create.creationXml = out->data;
        const auto created = client->post(Wsman::buildCreate(context(target()), QUuid::createUuid(), create));
        ASSERT_EQ(created.status, 200) << created.body.toStdString();
        // Real PowerShell may need several long polls to start.
        for (int i = 0; i < 10 && pool.state() != Psrp::RunspacePoolState::Opened; ++i)
            receive({});
        ASSERT_EQ(pool.state(), Psrp::RunspacePoolState::Opened);
    }

    HttpResult receive(const QString &commandId, qint64 timeoutMs = 5000)
    {
        auto r = client->post(Wsman::buildReceive(context(target(), timeoutMs), QUuid::createUuid(),
                                                  QUuid(shellId), QUuid(commandId)));
        if (r.status == 200) {
            for (const auto &data : streamsOf(r.body))
                EXPECT_TRUE(pool.receiveData(data).ok());
        }
        return r;
    }

    HttpResult send(const QString &commandId, const Psrp::OutgoingData &data)
    {
        return client->post(Wsman::buildSend(context(target()), QUuid::createUuid(), QUuid(shellId),
                                             {Wsman::StreamData{data.stream, commandId, data.data}}));
    }

    QString command(const QString &script, bool noInput = true)
    {
        return command(QList<Psrp::Command>{Psrp::Command::script(script)}, noInput);
    }

    QString command(const QList<Psrp::Command> &commands, bool noInput = true)
    {
        auto id = pool.createPipeline([&] {
            Psrp::CreatePipeline p;
            p.noInput = noInput;
            p.powerShell.commands = commands;
            p.hostInfo = Psrp::HostInfo::console(120, 50);
            return p;
        }());
        return start(id);
    }

    // Sends the pipeline's first payload with wxf:Command.
    QString start(const Psrp::Result<QUuid> &id)
    {
        EXPECT_TRUE(id.ok());
        if (!id)
            return {};
        auto out = pool.dataToSend(pool.maxPayloadSize());
        EXPECT_TRUE(out.has_value());
        const QString commandId = upper(*id);
        const auto r = client->post(Wsman::buildCommand(context(target()), QUuid::createUuid(), QUuid(shellId),
                                                        *id, out->data));
        EXPECT_EQ(r.status, 200) << r.body.toStdString();
        return commandId;
    }

    // Receives on the command until CommandState Done; collects events.
    std::vector<Psrp::Event> runToDone(const QString &commandId, const std::function<void(const Psrp::Event &)> &onEvent = {})
    {
        std::vector<Psrp::Event> events;
        for (int i = 0; i < 50; ++i) {
            const auto r = receive(commandId);
            if (r.status == 500 && r.body.contains(QByteArray::number(FaultCodes::OperationTimedOut)))
                continue; // nothing yet: poll again
            EXPECT_EQ(r.status, 200) << r.body.toStdString();
            while (auto e = pool.nextEvent()) {
                if (onEvent)
                    onEvent(*e);
                events.push_back(*e);
            }
            if (r.status != 200 || r.body.contains("CommandState/Done"))
                break;
        }
        return events;
    }
};

bool hasFaultCode(const HttpResult &r, quint32 code)
{
    return r.status == 500 && r.body.contains(QByteArray("Code=\"" + QByteArray::number(code) + '"'));
}

QList<Psrp::Value> outputsOf(const std::vector<Psrp::Event> &events)
{
    QList<Psrp::Value> out;
    for (const auto &e : events)
        if (e.kind == Psrp::Event::Kind::Message && e.payload)
            if (const auto *o = std::get_if<Psrp::PipelineOutput>(&*e.payload))
                out.append(o->value);
    return out;
}

// The PSRP message types in one payload of whole messages.
QList<Psrp::MessageType> messageTypes(QByteArrayView payload)
{
    QList<Psrp::MessageType> types;
    Psrp::Defragmenter defragmenter;
    const auto messages = defragmenter.feed(payload);
    EXPECT_TRUE(messages.ok());
    if (messages.ok())
        for (const QByteArray &bytes : *messages)
            if (const auto message = Psrp::decodeMessage(bytes); message.ok())
                types.append(message->type);
    return types;
}

QString shellState(Session &s)
{
    const auto got = s.client->post(Wsman::buildGet(context(s.target()), QUuid::createUuid(), QUuid(s.shellId)));
    EXPECT_EQ(got.status, 200) << got.body.toStdString();
    const qsizetype at = got.body.indexOf("State>");
    return at < 0 ? QString() : QString::fromUtf8(got.body.mid(at + 6, got.body.indexOf('<', at) - at - 6));
}

} // namespace

TEST(ServerEndpoint, BasicAuthenticationRefusedThenAccepted)
{
    LoopbackServer server(basicConfig());
    QString error;
    ASSERT_TRUE(server.listen(&error));
    Client wrong(server.url());
    wrong.password = u"nope"_s;
    const auto refused = wrong.post(enumerate(server.url()));
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.wwwAuthenticate, QByteArrayLiteral("Basic realm=\"WSMAN\""));
    Client right(server.url());
    const auto accepted = right.post(enumerate(server.url()));
    EXPECT_EQ(accepted.status, 200);
    EXPECT_TRUE(accepted.body.contains("EnumerateResponse"));
}

TEST(ServerEndpoint, CreateAndReceiveOpensThePool)
{
    Session s;
    s.open();
    EXPECT_EQ(s.server.shellCount(), 1);
    const auto *table = Psrp::ApplicationPrivateData{s.pool.applicationPrivateData()}.psVersionTable();
    ASSERT_NE(table, nullptr);
    const auto *simulator = table->object() ? table->object()->entry(u"Simulator") : nullptr;
    ASSERT_NE(simulator, nullptr);
    EXPECT_EQ(simulator->toString().value_or(QString()), u"PSRemote loopback simulator, not PowerShell"_s);
}

TEST(ServerEndpoint, SimulatorPipelineWritesOutputRecordsAndHostCalls)
{
    Session s;
    s.open();
    const QString id = s.command(u"Write-Output 'hello world'; Write-Host there; Write-Warning careful; 1..3"_s);
    QStringList outputs;
    QStringList hostLines;
    QStringList hostInformation;
    bool warned = false;
    std::optional<Psrp::PSInvocationState> final;
    s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind == Psrp::Event::Kind::PipelineStateChanged)
            final = e.pipelineState;
        if (e.kind != Psrp::Event::Kind::Message || !e.payload)
            return;
        if (const auto *o = std::get_if<Psrp::PipelineOutput>(&*e.payload))
            outputs.append(o->value.toString().value_or(QString::number(o->value.toInteger().value_or(-1))));
        if (const auto *h = std::get_if<Psrp::PipelineHostCall>(&*e.payload))
            if (const auto p = Psrp::writeParams(*h); p.ok())
                hostLines.append(p->text);
        if (std::holds_alternative<Psrp::WarningRecord>(*e.payload))
            warned = true;
        if (const auto *info = std::get_if<Psrp::InformationRecord>(&*e.payload)) {
            const auto *message = info->messageData.object();
            if (info->tags.contains(u"PSHOST"_s) && message && message->typeNames.value(0).endsWith(u"HostInformationMessage"_s)) {
                const Psrp::Value *text = message->property(u"Message"_s);
                hostInformation.append(text ? text->toString().value_or(QString()) : QString());
            }
        }
    });
    EXPECT_EQ(outputs, (QStringList{u"hello world"_s, u"1"_s, u"2"_s, u"3"_s}));
    // PowerShell 5+ over protocol 2.3: Write-Host is an INFORMATION_RECORD, not a host call.
    EXPECT_EQ(hostInformation, QStringList{u"there"_s});
    EXPECT_TRUE(hostLines.isEmpty());
    EXPECT_TRUE(warned);
    EXPECT_EQ(final, Psrp::PSInvocationState::Completed);
}

TEST(ServerEndpoint, ReadHostWaitsForTheHostResponse)
{
    Session s;
    s.open();
    const QString id = s.command(u"Read-Host"_s);
    QStringList outputs;
    s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind != Psrp::Event::Kind::Message || !e.payload)
            return;
        if (const auto *h = std::get_if<Psrp::PipelineHostCall>(&*e.payload)) {
            if (h->methodId == Psrp::HostMethodId::ReadLine) {
                ASSERT_TRUE(s.pool.hostResponse(e.pipelineId, Psrp::HostResponse::answer(*h, Psrp::Value(u"typed"_s))).ok());
                auto out = s.pool.dataToSend(s.pool.maxPayloadSize());
                ASSERT_TRUE(out.has_value());
                EXPECT_EQ(out->stream, u"pr"_s);
                EXPECT_EQ(s.send(id, *out).status, 200);
            }
        }
        if (const auto *o = std::get_if<Psrp::PipelineOutput>(&*e.payload))
            outputs.append(o->value.toString().value_or(QString()));
    });
    EXPECT_EQ(outputs, QStringList{u"typed"_s});
}

TEST(ServerEndpoint, InputWaitsForEndOfPipelineInput)
{
    Session s;
    s.open();
    const QString id = s.command(u"$input"_s, false);
    ASSERT_TRUE(s.pool.sendInput(QUuid(id), Psrp::Value(u"first"_s)).ok());
    auto input = s.pool.dataToSend(s.pool.maxPayloadSize());
    ASSERT_TRUE(input.has_value());
    EXPECT_EQ(s.send(id, *input).status, 200);
    // Input is not complete yet: the pipeline keeps running and the long poll expires.
    const auto early = s.receive(id, 300);
    EXPECT_TRUE(hasFaultCode(early, FaultCodes::OperationTimedOut)) << early.body.toStdString();
    ASSERT_TRUE(s.pool.sendInput(QUuid(id), Psrp::Value(u"second"_s)).ok());
    ASSERT_TRUE(s.pool.endInput(QUuid(id)).ok());
    while (auto more = s.pool.dataToSend(s.pool.maxPayloadSize()))
        EXPECT_EQ(s.send(id, *more).status, 200);
    QStringList outputs;
    std::optional<Psrp::PSInvocationState> final;
    s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind == Psrp::Event::Kind::PipelineStateChanged)
            final = e.pipelineState;
        if (e.kind == Psrp::Event::Kind::Message && e.payload)
            if (const auto *o = std::get_if<Psrp::PipelineOutput>(&*e.payload))
                outputs.append(o->value.toString().value_or(QString()));
    });
    EXPECT_EQ(outputs, (QStringList{u"first"_s, u"second"_s}));
    EXPECT_EQ(final, Psrp::PSInvocationState::Completed);
}

TEST(ServerEndpoint, ReceiveLongPollTimesOut)
{
    Session s;
    s.open();
    const auto r = s.receive({}, 200);
    EXPECT_TRUE(hasFaultCode(r, FaultCodes::OperationTimedOut)) << r.body.toStdString();
    EXPECT_TRUE(r.body.contains("w:TimedOut"));
}

TEST(ServerEndpoint, CtrlCStopsStartSleep)
{
    Session s;
    s.open();
    const QString id = s.command(u"Start-Sleep 60"_s);
    const auto signal = s.client->post(Wsman::buildSignal(context(s.server.url()), QUuid::createUuid(), QUuid(s.shellId),
                                                          QUuid(id), Wsman::SignalCode::CtrlC));
    EXPECT_EQ(signal.status, 200);
    std::optional<Psrp::PSInvocationState> final;
    s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind == Psrp::Event::Kind::PipelineStateChanged)
            final = e.pipelineState;
    });
    EXPECT_EQ(final, Psrp::PSInvocationState::Stopped);
}

TEST(ServerEndpoint, UnknownShellIsFault8033805B)
{
    Session s;
    s.open();
    s.shellId = upper(QUuid::createUuid());
    EXPECT_TRUE(hasFaultCode(s.receive({}), FaultCodes::ShellNotFound));
}

TEST(ServerEndpoint, InjectedFaults)
{
    Session s;
    s.open();
    s.server.faults().faultCount = 1;
    s.server.faults().faultCode = 5;
    EXPECT_TRUE(hasFaultCode(s.receive({}, 100), 5));

    s.server.faults().redirectCount = 1;
    s.server.faults().redirectLocation = u"http://127.0.0.1:1/wsman"_s;
    const auto redirected = s.receive({}, 100);
    EXPECT_EQ(redirected.status, 302);
    EXPECT_EQ(redirected.location, QByteArrayLiteral("http://127.0.0.1:1/wsman"));

    // Qt resends a request once when a reused connection closes before any answer, so either
    // the drop surfaces or a second request arrived.
    s.server.faults().dropReceives = 1;
    const qsizetype before = s.server.requestCount();
    const auto dropped = s.receive({}, 100);
    EXPECT_EQ(s.server.faults().dropReceives, 0);
    EXPECT_TRUE(dropped.status == 0 || s.server.requestCount() - before == 2) << dropped.status;

    s.server.faults().delayCount = 1;
    s.server.faults().delayMs = 50;
    EXPECT_TRUE(hasFaultCode(s.receive({}, 100), FaultCodes::OperationTimedOut));
    EXPECT_EQ(s.server.faults().delayCount, 0);

    s.server.forgetShell(s.shellId);
    EXPECT_TRUE(hasFaultCode(s.receive({}, 100), FaultCodes::ShellNotFound));
}

TEST(ServerEndpoint, OversizedRequestIs413)
{
    ServerConfig config = basicConfig();
    config.maxEnvelopeSize = 4096;
    LoopbackServer server(config);
    QString error;
    ASSERT_TRUE(server.listen(&error));
    Client client(server.url());
    const auto r = client.post(Wsman::buildSend(context(server.url()), QUuid::createUuid(), QUuid::createUuid(),
                                                {Wsman::StreamData{u"stdin"_s, {}, QByteArray(10000, 'x')}}));
    EXPECT_EQ(r.status, 413);
    const auto garbage = client.post(QByteArrayLiteral("<not xml"));
    EXPECT_EQ(garbage.status, 500);
}

TEST(ServerEndpoint, TlsWithCaGeneratedAtTestTime)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    auto run = [&](const QStringList &args) {
        QProcess p;
        p.setWorkingDirectory(dir.path());
        p.start(u"openssl"_s, args);
        return p.waitForFinished(30000) && p.exitCode() == 0;
    };
    if (!run({u"version"_s}))
        GTEST_SKIP() << "openssl command line tool unavailable";
    ASSERT_TRUE(run({u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s, u"ca.key"_s,
                     u"-out"_s, u"ca.pem"_s, u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=PSRemote Test CA"_s}));
    ASSERT_TRUE(run({u"req"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s, u"server.key"_s,
                     u"-out"_s, u"server.csr"_s, u"-subj"_s, u"/CN=127.0.0.1"_s}));
    QFile ext(dir.filePath(u"ext.cnf"_s));
    ASSERT_TRUE(ext.open(QIODevice::WriteOnly));
    ext.write("subjectAltName=IP:127.0.0.1\n");
    ext.close();
    ASSERT_TRUE(run({u"x509"_s, u"-req"_s, u"-in"_s, u"server.csr"_s, u"-CA"_s, u"ca.pem"_s, u"-CAkey"_s, u"ca.key"_s,
                     u"-CAcreateserial"_s, u"-out"_s, u"server.pem"_s, u"-days"_s, u"2"_s, u"-extfile"_s, u"ext.cnf"_s}));
    ServerConfig config = basicConfig();
    config.https = true;
    config.certificate = QSslCertificate::fromData(TestSupport::readFile(dir.filePath(u"server.pem"_s))).value(0);
    config.privateKey = QSslKey(TestSupport::readFile(dir.filePath(u"server.key"_s)), QSsl::Rsa);
    LoopbackServer server(config);
    QString error;
    ASSERT_TRUE(server.listen(&error)) << error.toStdString();
    EXPECT_EQ(server.url().scheme(), u"https"_s);

    Client untrusted(server.url());
    const auto refused = untrusted.post(enumerate(server.url()));
    EXPECT_NE(refused.error, QNetworkReply::NoError);
    EXPECT_EQ(refused.status, 0);

    Client trusted(server.url());
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromData(TestSupport::readFile(dir.filePath(u"ca.pem"_s))));
    trusted.tls = tls;
    const auto ok = trusted.post(enumerate(server.url()));
    EXPECT_EQ(ok.status, 200) << ok.body.toStdString();
}

TEST(ServerEndpoint, ReplayAnswersTheOpenRunspaceRecording)
{
    PSREMOTE_REQUIRE_SHARED();
    ServerConfig config = basicConfig();
    config.engine = EngineKind::Replay;
    config.replayFile = TestSupport::windowsTranscriptsDir() + u"/test_psrp_open_runspace.yml"_s;
    LoopbackServer server(config);
    QString error;
    ASSERT_TRUE(server.listen(&error)) << error.toStdString();
    const auto transcript = TestSupport::loadTranscript(config.replayFile);
    ASSERT_TRUE(transcript.has_value());
    Client client(server.url());
    // pypsrp wrote the RPID in RFC byte order, so the PSRP headers carry the ShellId's groups
    // byte-swapped and Windows echoes that.
    Psrp::ClientRunspacePool pool(QUuid(u"846A0576-DC51-244F-9262-CA2A55464B2B"_s));
    ASSERT_TRUE(pool.open().ok());
    (void)pool.dataToSend(pool.maxPayloadSize());
    for (const auto &exchange : transcript->exchanges) {
        // Resend what pypsrp sent, with a fresh MessageID: the endpoint substitutes RelatesTo.
        QString request = exchange.request;
        static const QRegularExpression messageId(u"<wsa:MessageID>[^<]*</wsa:MessageID>"_s);
        const QString fresh = u"uuid:"_s + upper(QUuid::createUuid());
        request.replace(messageId, u"<wsa:MessageID>"_s + fresh + u"</wsa:MessageID>"_s);
        const auto r = client.post(request.toUtf8());
        ASSERT_EQ(r.status, 200) << r.body.toStdString();
        EXPECT_TRUE(r.body.contains(fresh.toUtf8()));
        for (const auto &data : streamsOf(r.body))
            { const auto fed = pool.receiveData(data); ASSERT_TRUE(fed.ok()) << int(fed.error().code) << " " << fed.error().detail.toStdString(); }
    }
    // The client engine reassembled the real server's SESSION_CAPABILITY ... RUNSPACEPOOL_STATE.
    QList<Psrp::MessageType> types;
    while (auto e = pool.nextEvent())
        if (e->kind == Psrp::Event::Kind::Message)
            types.append(e->messageType);
    EXPECT_TRUE(types.contains(Psrp::MessageType::ApplicationPrivateData));
    EXPECT_TRUE(types.contains(Psrp::MessageType::RunspacePoolState));

    const auto unmatched = client.post(Wsman::buildCommand(context(server.url()), QUuid::createUuid(),
                                                           QUuid(u"76056A84-51DC-4F24-9262-CA2A55464B2B"_s),
                                                           QUuid::createUuid(), {}));
    EXPECT_EQ(unmatched.status, 500);
    EXPECT_TRUE(unmatched.body.contains("replay: no recorded response"));
}

// Real PowerShell (tests/server/pwsh-host) behind the endpoint; skipped without the host.
namespace {

ServerConfig pwshConfig()
{
    ServerConfig c = basicConfig();
    c.engine = EngineKind::Pwsh;
    return c;
}

#define REQUIRE_PWSH_HOST()                                                                        \
    do {                                                                                           \
        if (!PwshProcess::isAvailable())                                                           \
            GTEST_SKIP() << "real PowerShell is unavailable: set PSREMOTE_PWSH_HOST to the host "  \
                            "built by tests/server/pwsh-host/build.sh";                            \
    } while (false)

} // namespace

TEST(ServerEndpointPwsh, OpensRunsOnePlusOneAndDeletes)
{
    REQUIRE_PWSH_HOST();
    Session s(pwshConfig());
    s.open();
    ASSERT_EQ(s.pool.state(), Psrp::RunspacePoolState::Opened);
    const auto *table = Psrp::ApplicationPrivateData{s.pool.applicationPrivateData()}.psVersionTable();
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->object() ? table->object()->entry(u"Simulator") : nullptr, nullptr);

    const QString id = s.command(u"1+1"_s);
    QList<qint64> outputs;
    std::optional<Psrp::PSInvocationState> final;
    s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind == Psrp::Event::Kind::PipelineStateChanged)
            final = e.pipelineState;
        if (e.kind == Psrp::Event::Kind::Message && e.payload)
            if (const auto *o = std::get_if<Psrp::PipelineOutput>(&*e.payload))
                outputs.append(o->value.toInteger().value_or(-1));
    });
    EXPECT_EQ(outputs, QList<qint64>{2});
    EXPECT_EQ(final, Psrp::PSInvocationState::Completed);

    const auto deleted = s.client->post(Wsman::buildDelete(context(s.server.url()), QUuid::createUuid(), QUuid(s.shellId)));
    EXPECT_EQ(deleted.status, 200) << deleted.body.toStdString();
    EXPECT_EQ(s.server.shellCount(), 0);
    EXPECT_TRUE(hasFaultCode(s.receive({}, 100), FaultCodes::ShellNotFound));
}

TEST(ServerEndpointPwsh, CtrlCStopsARunningLoop)
{
    REQUIRE_PWSH_HOST();
    Session s(pwshConfig());
    s.open();
    ASSERT_EQ(s.pool.state(), Psrp::RunspacePoolState::Opened);
    // The first output proves the invocation runs: a Signal before that would be lost.
    const QString id = s.command(u"'started'; while ($true) { [System.Threading.Thread]::Sleep(50) }"_s);
    bool started = false;
    for (int i = 0; i < 20 && !started; ++i) {
        (void)s.receive(id);
        while (auto e = s.pool.nextEvent())
            if (e->kind == Psrp::Event::Kind::Message && e->payload)
                if (const auto *o = std::get_if<Psrp::PipelineOutput>(&*e->payload))
                    started = o->value.toString() == u"started"_s;
    }
    ASSERT_TRUE(started);
    ASSERT_TRUE(s.pool.stop(QUuid(id)).ok());
    const auto signal = s.client->post(Wsman::buildSignal(context(s.server.url()), QUuid::createUuid(), QUuid(s.shellId),
                                                          QUuid(id), Wsman::SignalCode::CtrlC));
    EXPECT_EQ(signal.status, 200);
    std::optional<Psrp::PSInvocationState> final;
    s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind == Psrp::Event::Kind::PipelineStateChanged)
            final = e.pipelineState;
    });
    EXPECT_EQ(final, Psrp::PSInvocationState::Stopped);
    const auto deleted = s.client->post(Wsman::buildDelete(context(s.server.url()), QUuid::createUuid(), QUuid(s.shellId)));
    EXPECT_EQ(deleted.status, 200);
}

TEST(ServerEndpointPwsh, TestServerProgramServesRealPowerShell)
{
    REQUIRE_PWSH_HOST();
    const QString program = QCoreApplication::applicationDirPath() + u"/../../psremote-test-server"_s;
    if (!QFileInfo(program).isExecutable())
        GTEST_SKIP() << "psremote-test-server is not built next to the tests: " << program.toStdString();
    QProcess server;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"PSREMOTE_TEST_PASSWORD"_s, u"s3cret"_s);
    server.setProcessEnvironment(env);
    server.start(program, {u"--engine"_s, u"pwsh"_s, u"--user"_s, u"alice"_s, u"--password-env"_s, u"PSREMOTE_TEST_PASSWORD"_s});
    ASSERT_TRUE(server.waitForStarted(10000));
    QByteArray line;
    for (int i = 0; i < 100 && !line.contains('\n'); ++i) {
        server.waitForReadyRead(100);
        line += server.readAllStandardOutput();
    }
    ASSERT_TRUE(line.startsWith("listening ")) << line.toStdString();
    Session s;
    s.external = QUrl(QString::fromUtf8(line.mid(10).trimmed()));
    s.open();
    EXPECT_EQ(s.pool.state(), Psrp::RunspacePoolState::Opened);
    const QString id = s.command(u"[System.Environment]::ProcessorCount -gt 0"_s);
    QList<bool> outputs;
    s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind == Psrp::Event::Kind::Message && e.payload)
            if (const auto *o = std::get_if<Psrp::PipelineOutput>(&*e.payload))
                outputs.append(o->value.toBool().value_or(false));
    });
    EXPECT_EQ(outputs, QList<bool>{true});
    EXPECT_EQ(s.client->post(Wsman::buildDelete(context(s.target()), QUuid::createUuid(), QUuid(s.shellId))).status, 200);
    server.closeWriteChannel(); // the server quits when stdin closes
    EXPECT_TRUE(server.waitForFinished(10000));
}

TEST(ServerEndpoint, SimulatorAnswersPoolRequests)
{
    Session s;
    s.open();
    // SET_MAX 3 accepted, SET_MIN 5 refused (above the maximum), GET_AVAILABLE, RESET.
    const auto setMax = s.pool.setMaxRunspaces(3);
    const auto setMin = s.pool.setMinRunspaces(5);
    const auto available = s.pool.getAvailableRunspaces();
    const auto reset = s.pool.resetRunspaceState();
    ASSERT_TRUE(setMax.ok() && setMin.ok() && available.ok() && reset.ok());
    while (auto out = s.pool.dataToSend(s.pool.maxPayloadSize()))
        ASSERT_EQ(s.send({}, *out).status, 200);
    QHash<qint64, std::variant<bool, qint64>> answers;
    for (int i = 0; i < 10 && answers.size() < 4; ++i) {
        const auto r = s.receive({}, 1000);
        ASSERT_EQ(r.status, 200) << r.body.toStdString();
        while (auto e = s.pool.nextEvent())
            if (e->kind == Psrp::Event::Kind::Message && e->payload)
                if (const auto *a = std::get_if<Psrp::RunspaceAvailability>(&*e->payload))
                    answers.insert(a->callId, a->value);
    }
    ASSERT_EQ(answers.size(), 4);
    EXPECT_EQ(answers.value(*setMax), (std::variant<bool, qint64>(true)));
    EXPECT_EQ(answers.value(*setMin), (std::variant<bool, qint64>(false)));
    EXPECT_EQ(answers.value(*available), (std::variant<bool, qint64>(qint64(3))));
    EXPECT_EQ(answers.value(*reset), (std::variant<bool, qint64>(true)));
    EXPECT_EQ(s.pool.maxRunspaces(), 3);
    EXPECT_EQ(s.pool.minRunspaces(), 1);
}

TEST(ServerEndpoint, GetCommandMetadataWritesTheCountThenOneObjectPerCommand)
{
    Session s;
    s.open();
    Psrp::GetCommandMetadata request;
    request.names = {u"Out-Default"_s, u"exit-pssession"_s, u"TabExp*"_s, u"Write-[HO]*"_s, u"No-Such"_s};
    const QString id = s.start(s.pool.getCommandMetadata(request));
    std::optional<Psrp::PSInvocationState> final;
    const auto events = s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind == Psrp::Event::Kind::PipelineStateChanged)
            final = e.pipelineState;
    });
    EXPECT_EQ(final, Psrp::PSInvocationState::Completed);
    const QList<Psrp::Value> outputs = outputsOf(events);
    ASSERT_EQ(outputs.size(), 6);
    const Psrp::PsObject *count = outputs[0].object();
    ASSERT_NE(count, nullptr);
    EXPECT_EQ(count->typeNames.value(0), u"Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo"_s);
    ASSERT_NE(count->property(u"Count"), nullptr);
    EXPECT_EQ(count->property(u"Count")->toInteger(), 5);
    QStringList names;
    for (qsizetype i = 1; i < outputs.size(); ++i) {
        const Psrp::PsObject *o = outputs[i].object();
        ASSERT_NE(o, nullptr);
        names.append(o->property(u"Name") ? o->property(u"Name")->toString().value_or(QString()) : QString());
        ASSERT_NE(o->property(u"CommandType"), nullptr);
        EXPECT_TRUE(o->property(u"CommandType")->toInteger().has_value());
        EXPECT_NE(o->property(u"Parameters"), nullptr);
    }
    names.sort();
    EXPECT_EQ(names, (QStringList{u"Exit-PSSession"_s, u"Out-Default"_s, u"TabExpansion2"_s, u"Write-Host"_s,
                                  u"Write-Output"_s}));

    // CommandType filters: only functions.
    request.names = {u"*"_s};
    request.commandType = Psrp::CommandTypes::Function;
    const auto functions = outputsOf(s.runToDone(s.start(s.pool.getCommandMetadata(request))));
    ASSERT_FALSE(functions.isEmpty());
    EXPECT_EQ(functions[0].object()->property(u"Count")->toInteger(), functions.size() - 1);
    for (qsizetype i = 1; i < functions.size(); ++i)
        EXPECT_EQ(functions[i].object()->property(u"CommandType")->toInteger(), 2);
}

TEST(ServerEndpoint, InvokeExpressionRunsItsCommandAndOutStringMakesStrings)
{
    Session s;
    s.open();
    // pypsrp's Client.execute_ps: Invoke-Expression -Command X | Out-String -Stream.
    const QString id = s.command({Psrp::Command::command(u"Invoke-Expression"_s)
                                      .addParameter(u"Command"_s, Psrp::Value(u"Write-Output \"it's\"; Get-Location; 1..2"_s)),
                                  Psrp::Command::command(u"Out-String"_s).addParameter(u"Stream"_s, Psrp::Value(true))});
    QStringList texts;
    for (const auto &v : outputsOf(s.runToDone(id)))
        texts.append(v.kind() == Psrp::Value::Kind::String ? *v.toString() : u"<not a string>"_s);
    EXPECT_EQ(texts, (QStringList{u"it's"_s, u"/simulator"_s, u"1"_s, u"2"_s}));
}

TEST(ServerEndpoint, MergedRecordsGoToTheOutput)
{
    Session s;
    s.open();
    Psrp::Command command = Psrp::Command::script(u"Write-Error e1; Write-Warning w1; Write-Verbose v1"_s);
    command.mergeMyResult = Psrp::PipelineResultTypes::Error;
    command.mergeToResult = Psrp::PipelineResultTypes::Output;
    command.mergeWarning = Psrp::PipelineResultTypes::Output;
    const QString id = s.command(QList<Psrp::Command>{command});
    bool errorStream = false, warningStream = false, verboseStream = false;
    const auto events = s.runToDone(id, [&](const Psrp::Event &e) {
        if (e.kind != Psrp::Event::Kind::Message || !e.payload)
            return;
        errorStream = errorStream || std::holds_alternative<Psrp::ErrorRecord>(*e.payload);
        warningStream = warningStream || std::holds_alternative<Psrp::WarningRecord>(*e.payload);
        verboseStream = verboseStream || std::holds_alternative<Psrp::VerboseRecord>(*e.payload);
    });
    const auto outputs = outputsOf(events);
    ASSERT_EQ(outputs.size(), 2);
    ASSERT_TRUE(outputs[0].object() && outputs[1].object());
    EXPECT_EQ(outputs[0].object()->typeNames.value(0), u"System.Management.Automation.ErrorRecord"_s);
    EXPECT_EQ(outputs[1].object()->typeNames.value(0), u"System.Management.Automation.WarningRecord"_s);
    EXPECT_FALSE(errorStream);
    EXPECT_FALSE(warningStream);
    EXPECT_TRUE(verboseStream); // not merged
}

TEST(ServerEndpoint, DisconnectedShellReportsDisconnectedUntilReconnect)
{
    Session s;
    s.open();
    EXPECT_EQ(shellState(s), u"Connected"_s);
    ASSERT_EQ(s.client->post(Wsman::buildDisconnect(context(s.target()), QUuid::createUuid(), QUuid(s.shellId))).status, 200);
    EXPECT_EQ(shellState(s), u"Disconnected"_s);
    const auto listed = Wsman::parseEnumerateResponse(s.client->post(enumerate(s.target())).body);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->shells.size(), 1);
    EXPECT_EQ(listed->shells[0].state, u"Disconnected"_s);
    ASSERT_EQ(s.client->post(Wsman::buildReconnect(context(s.target()), QUuid::createUuid(), QUuid(s.shellId))).status, 200);
    EXPECT_EQ(shellState(s), u"Connected"_s);
}

TEST(ServerEndpoint, NewClientConnectsToADisconnectedPool)
{
    Session s;
    s.open();
    ASSERT_EQ(s.client->post(Wsman::buildDisconnect(context(s.target()), QUuid::createUuid(), QUuid(s.shellId))).status, 200);

    Session other(basicConfig(), s.pool.id());
    other.external = s.server.url();
    other.client = std::make_unique<Client>(other.target());
    other.shellId = s.shellId;
    ASSERT_TRUE(other.pool.connect().ok());
    const auto connectXml = other.pool.dataToSend(other.pool.maxPayloadSize());
    ASSERT_TRUE(connectXml.has_value());
    const auto connected = other.client->post(
        Wsman::buildConnect(context(other.target()), QUuid::createUuid(), QUuid(other.shellId), connectXml->data));
    ASSERT_EQ(connected.status, 200) << connected.body.toStdString();
    const auto response = Wsman::parseConnectResponse(connected.body);
    ASSERT_TRUE(response.ok());
    // As the Windows recording test_psrp_disconnect_runspaces.yml: capability + init data ...
    EXPECT_EQ(messageTypes(response->connectResponseXml),
              (QList<Psrp::MessageType>{Psrp::MessageType::SessionCapability, Psrp::MessageType::RunspacePoolInitData}));
    ASSERT_TRUE(other.pool.receiveData(response->connectResponseXml).ok());
    EXPECT_EQ(other.pool.state(), Psrp::RunspacePoolState::Opened);
    EXPECT_EQ(shellState(other), u"Connected"_s);
    // ... then the pool state and the application private data on the next Receive.
    const auto next = other.client->post(Wsman::buildReceive(context(other.target(), 1000), QUuid::createUuid(),
                                                             QUuid(other.shellId), QUuid()));
    ASSERT_EQ(next.status, 200) << next.body.toStdString();
    const auto streams = streamsOf(next.body);
    ASSERT_EQ(streams.size(), 1);
    EXPECT_EQ(messageTypes(streams[0]), (QList<Psrp::MessageType>{Psrp::MessageType::RunspacePoolState,
                                                                   Psrp::MessageType::ApplicationPrivateData}));
    // The new client runs pipelines on the pool.
    QStringList texts;
    for (const auto &v : outputsOf(other.runToDone(other.command(u"Write-Output new-client"_s))))
        texts.append(v.toString().value_or(QString()));
    EXPECT_EQ(texts, QStringList{u"new-client"_s});
}

TEST(ServerEndpoint, ConfigGetAnswersMaxEnvelopeSizeAsWindows)
{
    ServerConfig config = basicConfig();
    config.maxEnvelopeSize = 4096 * 1024;
    LoopbackServer server(config);
    QString error;
    ASSERT_TRUE(server.listen(&error)) << error.toStdString();
    Client client(server.url());
    const QByteArray get =
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
        "<wsa:Action s:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</wsa:Action>"
        "<wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">153600</wsman:MaxEnvelopeSize>"
        "<wsa:MessageID>uuid:19BB0C7B-013F-4BED-A95B-765900F5D92A</wsa:MessageID>"
        "<wsman:OperationTimeout>PT20S</wsman:OperationTimeout>"
        "<wsman:ResourceURI s:mustUnderstand=\"true\">http://schemas.microsoft.com/wbem/wsman/1/config</wsman:ResourceURI>"
        "<wsa:To>" + server.url().toString().toUtf8() + "</wsa:To></s:Header><s:Body /></s:Envelope>";
    const auto r = client.post(get);
    ASSERT_EQ(r.status, 200) << r.body.toStdString();
    const auto root = Wsman::parseXml(r.body);
    ASSERT_TRUE(root.ok());
    const QRegularExpression size(u"<cfg:MaxEnvelopeSizekb>(\\d+)</cfg:MaxEnvelopeSizekb>"_s);
    const auto match = size.match(QString::fromUtf8(r.body));
    ASSERT_TRUE(match.hasMatch()) << r.body.toStdString();
    EXPECT_EQ(match.captured(1), u"4096"_s);
    EXPECT_TRUE(r.body.contains("http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse"));
    EXPECT_TRUE(r.body.contains("uuid:19BB0C7B-013F-4BED-A95B-765900F5D92A")); // RelatesTo
}

TEST(ServerEndpointPwsh, ConnectFromANewClientIsACleanFault)
{
    REQUIRE_PWSH_HOST();
    Session s(pwshConfig());
    s.open();
    ASSERT_EQ(s.client->post(Wsman::buildDisconnect(context(s.target()), QUuid::createUuid(), QUuid(s.shellId))).status, 200);
    Psrp::ClientRunspacePool other(s.pool.id());
    ASSERT_TRUE(other.connect().ok());
    const auto connectXml = other.dataToSend(other.maxPayloadSize());
    ASSERT_TRUE(connectXml.has_value());
    const auto r = s.client->post(Wsman::buildConnect(context(s.target()), QUuid::createUuid(), QUuid(s.shellId), connectXml->data));
    EXPECT_TRUE(hasFaultCode(r, FaultCodes::SchemaValidation)) << r.body.toStdString();
    EXPECT_TRUE(r.body.contains("ActionNotSupported"));
    EXPECT_EQ(s.client->post(Wsman::buildDelete(context(s.target()), QUuid::createUuid(), QUuid(s.shellId))).status, 200);
}
