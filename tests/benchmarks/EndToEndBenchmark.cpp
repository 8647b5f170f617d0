// end_to_end_benchmark [OBJECTS] [COMMANDS]: Wsman::RunspacePoolClient against an in-process
// loopback endpoint (simulator engine) over real 127.0.0.1 sockets, beside plain
// QNetworkAccessManager transfers of the same bytes. Not a test; prints figures. Build Release.
//   1. Streaming: `1..OBJECTS` (default 100000) end to end, vs. replaying the very Receive
//      response bodies of that run (captured through the client's trace) over one keep-alive
//      connection, one POST per body, from a trivial HTTP server.
//   2. Trivial command: latency and HTTP round trips of `1` (PowerShell's own client uses
//      Command + Receive + Signal terminate = 3), vs. one raw HTTP round trip.
#include "HttpTestServer.h"
#include "LoopbackServer.h"

#include "wsman/Envelope.h"
#include "wsman/RunspacePoolClient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTemporaryDir>
#include <QScopeGuard>
#include <QSet>
#include <QThread>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;

namespace {

// Signal-driven waiting (no polling, which would steal the endpoint thread's CPU): every
// handler below calls wake(); runUntil re-checks `done` after each wake-up.
QEventLoop *g_loop = nullptr;

void wake()
{
    if (g_loop)
        g_loop->quit();
}

bool runUntil(const std::function<bool()> &done, int guardMs = 600000)
{
    QElapsedTimer elapsed;
    elapsed.start();
    while (!done()) {
        const qint64 left = guardMs - elapsed.elapsed();
        if (left <= 0)
            return false;
        QEventLoop loop;
        QTimer guard;
        guard.setSingleShot(true);
        QObject::connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
        guard.start(int(left));
        QEventLoop *outer = g_loop;
        g_loop = &loop;
        loop.exec();
        g_loop = outer;
    }
    return true;
}

ClientOptions optionsFor(const QUrl &url, const QString &tracePath = {})
{
    ClientOptions o;
    o.connection.connectionUri = url.toString();
    o.sessionOption.noEncryption = true;
    o.authenticatorFactory = basicAuthenticatorFactory(u"bench"_s, Secret(u"bench-password"));
    o.tracePath = tracePath;
    return o;
}

struct Client {
    std::unique_ptr<RunspacePoolClient> client;
    bool opened = false;
    bool closed = false;
    qint64 objects = 0;
    QSet<QUuid> finished;
    int notCompleted = 0;
    QString failure;

    explicit Client(ClientOptions options) : client(std::make_unique<RunspacePoolClient>(std::move(options)))
    {
        RunspacePoolClient *c = client.get();
        QObject::connect(c, &RunspacePoolClient::opened, [this] { opened = true; wake(); });
        QObject::connect(c, &RunspacePoolClient::closed, [this] { closed = true; wake(); });
        QObject::connect(c, &RunspacePoolClient::failed, [this](const ClientError &e) { failure = e.detail; wake(); });
        QObject::connect(c, &RunspacePoolClient::pipelineOutput, [this](const QUuid &, const Psrp::Value &) { ++objects; });
        QObject::connect(c, &RunspacePoolClient::pipelineFinished,
                         [this](const QUuid &id, Psrp::PSInvocationState state, const std::optional<Psrp::ErrorRecord> &) {
                             if (state != Psrp::PSInvocationState::Completed)
                                 ++notCompleted;
                             finished.insert(id);
                             wake();
                         });
    }
    bool open()
    {
        client->open();
        return runUntil([this] { return opened || closed; }) && opened;
    }
    bool run(const QString &script)
    {
        auto id = client->invokeScript(script, ScriptOptions{false, true, false});
        if (!id)
            return false;
        const QUuid pid = id.value();
        return runUntil([this, pid] { return finished.contains(pid) || closed; }) && finished.contains(pid);
    }
    void close()
    {
        client->close();
        runUntil([this] { return closed; });
    }
};

// Receive response bodies of the pipeline, from a trace (request line, then its response line).
QList<QByteArray> receiveBodies(const QString &tracePath)
{
    QFile file(tracePath);
    QList<QByteArray> bodies;
    if (!file.open(QIODevice::ReadOnly))
        return bodies;
    bool lastWasPipelineReceive = false;
    while (!file.atEnd()) {
        const QJsonObject leg = QJsonDocument::fromJson(file.readLine()).object();
        const QString body = leg.value(u"body"_s).toString();
        if (leg.value(u"direction"_s).toString() == u"request") {
            lastWasPipelineReceive = body.contains(u"/Receive<"_s) && body.contains(u"DesiredStream CommandId"_s);
        } else if (lastWasPipelineReceive && body.contains(u"ReceiveResponse"_s)) {
            bodies.append(body.toUtf8());
        }
    }
    return bodies;
}

QNetworkRequest rawRequest(const QUrl &url)
{
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/soap+xml;charset=UTF-8"));
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    return request;
}

// POSTs `count` requests one after another on one manager (one keep-alive connection).
qint64 rawSequentialPosts(QNetworkAccessManager &manager, const QUrl &url, const QByteArray &requestBody, int count,
                          qint64 *bytes, QList<qint64> *perRequestNs = nullptr)
{
    QElapsedTimer total;
    total.start();
    for (int i = 0; i < count; ++i) {
        QElapsedTimer one;
        one.start();
        QNetworkReply *reply = manager.post(rawRequest(url), requestBody);
        bool done = false;
        QObject::connect(reply, &QNetworkReply::finished, [&done] { done = true; wake(); });
        runUntil([&done] { return done; });
        *bytes += reply->readAll().size();
        reply->deleteLater();
        if (perRequestNs)
            perRequestNs->append(one.nsecsElapsed());
    }
    return total.nsecsElapsed();
}

// CPU time of the calling thread (the client's; the endpoint runs on another).
qint64 threadCpuNs()
{
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    return (qint64(usage.ru_utime.tv_sec) + usage.ru_stime.tv_sec) * 1000000000LL
         + (qint64(usage.ru_utime.tv_usec) + usage.ru_stime.tv_usec) * 1000LL;
}

qint64 median(QList<qint64> values)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    return values.at(values.size() / 2);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int objects = argc > 1 ? QByteArray(argv[1]).toInt() : 100000;
    const int commands = argc > 2 ? QByteArray(argv[2]).toInt() : 200;

    TestServer::ServerConfig config;
    config.user = u"bench"_s;
    config.password = u"bench-password"_s;
    // The endpoint runs on a thread of its own, as a remote server would run beside the client.
    QThread serverThread;
    QObject serverContext;
    serverContext.moveToThread(&serverThread);
    serverThread.start();
    TestServer::LoopbackServer *serverPtr = nullptr;
    QString error;
    bool listening = false;
    QMetaObject::invokeMethod(&serverContext, [&] {
        serverPtr = new TestServer::LoopbackServer(config);
        listening = serverPtr->listen(&error);
    }, Qt::BlockingQueuedConnection);
    auto stopServer = qScopeGuard([&] {
        QMetaObject::invokeMethod(&serverContext, [&] { delete serverPtr; }, Qt::BlockingQueuedConnection);
        serverThread.quit();
        serverThread.wait();
    });
    if (!listening) {
        std::fprintf(stderr, "listen: %s\n", qPrintable(error));
        return 1;
    }
    TestServer::LoopbackServer &server = *serverPtr;
    auto serverRequests = [&] {
        qsizetype n = 0;
        QMetaObject::invokeMethod(&serverContext, [&] { n = serverPtr->requestCount(); }, Qt::BlockingQueuedConnection);
        return n;
    };
    std::printf("endpoint: %s (%s)\n", qPrintable(server.url().toString()), "PSRemote loopback simulator, not PowerShell");

    // 1. Streaming, timed without a trace (best of 3), then once with a trace to capture bodies.
    qint64 bestStreamNs = -1;
    quint64 streamRequests = 0;
    qint64 clientCpuNs = 0;
    for (int round = 0; round < 3; ++round) {
        Client c(optionsFor(server.url()));
        if (!c.open()) {
            std::fprintf(stderr, "open failed: %s\n", qPrintable(c.failure));
            return 1;
        }
        const quint64 before = c.client->requestCount();
        QElapsedTimer t;
        t.start();
        const qint64 cpuBefore = threadCpuNs();
        if (!c.run(u"1..%1"_s.arg(objects)) || c.objects != objects) {
            std::fprintf(stderr, "streaming run failed (%lld objects): %s\n", c.objects, qPrintable(c.failure));
            return 1;
        }
        const qint64 ns = t.nsecsElapsed();
        const qint64 cpu = threadCpuNs() - cpuBefore;
        streamRequests = c.client->requestCount() - before;
        if (bestStreamNs < 0 || ns < bestStreamNs) {
            bestStreamNs = ns;
            clientCpuNs = cpu;
        }
        c.close();
    }
    QTemporaryDir dir;
    const QString tracePath = dir.filePath(u"bench.jsonl"_s);
    {
        Client c(optionsFor(server.url(), tracePath));
        if (!c.open() || !c.run(u"1..%1"_s.arg(objects)))
            return 1;
        c.close();
    }
    const QList<QByteArray> bodies = receiveBodies(tracePath);
    qint64 bodyBytes = 0;
    for (const QByteArray &b : bodies)
        bodyBytes += b.size();

    qsizetype next = 0;
    TestSupport::HttpTestServer raw([&](const TestSupport::HttpRequest &) {
        if (bodies.isEmpty())
            return TestSupport::HttpResponse::soap(QByteArrayLiteral("<x/>"));
        return TestSupport::HttpResponse::soap(bodies.at(next++ % bodies.size()));
    });
    if (!raw.listen())
        return 1;
    const QByteArray receiveRequest(1400, 'r'); // about the size of a Receive envelope
    qint64 bestRawNs = -1;
    for (int round = 0; round < 3; ++round) {
        QNetworkAccessManager manager;
        next = 0;
        qint64 bytes = 0;
        const qint64 ns = rawSequentialPosts(manager, raw.url(), receiveRequest, int(bodies.size()), &bytes);
        if (bestRawNs < 0 || ns < bestRawNs)
            bestRawNs = ns;
    }
    std::printf("streaming %d objects end to end: %.1f ms (%llu HTTP requests on the pipeline)\n", objects,
                bestStreamNs / 1e6, static_cast<unsigned long long>(streamRequests));
    std::printf("  client thread CPU during that run: %.1f ms (the endpoint's generation runs on its own thread)\n",
                clientCpuNs / 1e6);
    std::printf("raw HTTP replay of the same %lld Receive bodies (%.1f MB): %.1f ms -> ratio %.2f\n",
                static_cast<long long>(bodies.size()), bodyBytes / 1e6, bestRawNs / 1e6,
                bestRawNs > 0 ? double(bestStreamNs) / double(bestRawNs) : 0.0);

    // Where the client's time goes: the envelope parse alone over the same bodies.
    {
        qint64 best = -1;
        for (int round = 0; round < 3; ++round) {
            QElapsedTimer t;
            t.start();
            qint64 payload = 0;
            for (const QByteArray &b : bodies) {
                auto parsed = parseReceiveResponse(b);
                if (parsed)
                    for (const StreamData &d : std::as_const(parsed->streams))
                        payload += d.data.size();
            }
            const qint64 ns = t.nsecsElapsed();
            if (best < 0 || ns < best)
                best = ns;
            if (round == 0)
                std::printf("envelope parse alone (parseReceiveResponse) of those bodies, %.1f MB PSRP payload: ", payload / 1e6);
        }
        std::printf("%.1f ms\n", best / 1e6);
    }

    // 2. Trivial command.
    Client c(optionsFor(server.url()));
    if (!c.open())
        return 1;
    for (int i = 0; i < 5; ++i)
        c.run(u"1..1"_s);
    runUntil([&] { return c.client->activePipelines().isEmpty(); });
    QList<qint64> latencies;
    // Server-side request count: includes the terminate Signal that follows each result.
    runUntil([] { return false; }, 100);
    const qsizetype requestsBefore = serverRequests();
    for (int i = 0; i < commands; ++i) {
        QElapsedTimer t;
        t.start();
        if (!c.run(u"1..1"_s))
            return 1;
        latencies.append(t.nsecsElapsed());
    }
    runUntil([] { return false; }, 100);
    const qsizetype requests = serverRequests() - requestsBefore;
    if (c.notCompleted > 0 || c.objects != commands + 5) {
        std::fprintf(stderr, "trivial commands failed: %d not completed, %lld objects\n", c.notCompleted, c.objects);
        return 1;
    }
    c.close();
    QNetworkAccessManager manager;
    QList<qint64> rtts;
    qint64 bytes = 0;
    next = 0;
    raw.setHandler([](const TestSupport::HttpRequest &) {
        return TestSupport::HttpResponse::soap(QByteArray(1200, 'c')); // about a CommandResponse
    });
    rawSequentialPosts(manager, raw.url(), QByteArray(2500, 'q'), commands, &bytes, &rtts);
    std::printf("trivial command `1..1` (one Int32, as `1`): median %.3f ms to its result, %.2f HTTP requests per command "
                "(PowerShell's client: 3 = Command + Receive + Signal)\n",
                median(latencies) / 1e6, double(requests) / commands);
    std::printf("raw HTTP round trip: median %.3f ms -> command latency = %.1f raw round trips\n",
                median(rtts) / 1e6, median(rtts) > 0 ? double(median(latencies)) / double(median(rtts)) : 0.0);
    return 0;
}
