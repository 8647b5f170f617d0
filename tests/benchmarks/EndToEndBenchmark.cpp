// end_to_end_benchmark [OBJECTS] [COMMANDS]: Wsman::RunspacePoolClient over real 127.0.0.1
// sockets, beside plain QNetworkAccessManager transfers of the same bytes. Not a test; prints
// figures. Build Release.
//   1. Streaming `1..OBJECTS` (default 100000) end to end:
//      a. against the loopback endpoint's simulator, which generates the output as it goes (its
//         serialisation, not the client, then dominates);
//      b. against a canned endpoint serving the very responses of a captured run of (a), so the
//         time is the client's plus the transfer: the client uses a deterministic id sequence, so
//         every request of the timed run has the same MessageID as in the capture and is answered
//         with the captured response. This is the figure set against the raw transfer:
//      c. raw: the same Receive response bodies POSTed one after another on one keep-alive
//         connection to the same canned endpoint, nothing parsed.
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

// The same id sequence for every client built with the same seed.
IdGenerator idSequence(quint32 seed)
{
    auto counter = std::make_shared<quint64>(0);
    return [seed, counter] {
        const quint64 n = ++*counter;
        return QUuid(seed, 0x5053, 0x4000, 0x80, 0, uchar(n >> 40), uchar(n >> 32), uchar(n >> 24), uchar(n >> 16),
                     uchar(n >> 8), uchar(n));
    };
}

QByteArray headerText(QByteArrayView body, QByteArrayView element)
{
    const qsizetype at = body.indexOf(QByteArray(element.toByteArray() + ">uuid:"));
    if (at < 0)
        return {};
    const qsizetype from = at + element.size() + 6;
    const qsizetype to = body.indexOf('<', from);
    return to < 0 ? QByteArray() : body.sliced(from, to - from).toByteArray().toUpper();
}

// A captured run: every response by the MessageID of its request. Shell-level Receives still
// unanswered when the pipeline's Command went out, or never answered (the trace then has no
// line for them), are held, as the endpoint held them.
struct Capture {
    QHash<QByteArray, QByteArray> responses;
    QSet<QByteArray> held;
    QList<QByteArray> pipelineReceiveBodies; // in order
};

Capture readCapture(const QString &tracePath)
{
    Capture capture;
    QFile file(tracePath);
    if (!file.open(QIODevice::ReadOnly))
        return capture;
    QHash<QByteArray, QByteArray> requests; // MessageID -> request body
    QSet<QByteArray> shellReceivesOpenAtCommand;
    QSet<QByteArray> unanswered;
    bool commandSeen = false;
    while (!file.atEnd()) {
        const QJsonObject leg = QJsonDocument::fromJson(file.readLine()).object();
        const QByteArray body = leg.value(u"body"_s).toString().toUtf8();
        if (leg.value(u"direction"_s).toString() == u"request") {
            const QByteArray id = headerText(body, "MessageID");
            requests.insert(id, body);
            unanswered.insert(id);
            if (!commandSeen && body.contains("/Command<") && body.contains("CommandLine")) {
                commandSeen = true;
                for (const QByteArray &open : std::as_const(unanswered)) {
                    const QByteArray &r = requests[open];
                    if (r.contains("/Receive<") && !r.contains("DesiredStream CommandId"))
                        shellReceivesOpenAtCommand.insert(open);
                }
            }
        } else {
            const QByteArray id = headerText(body, "RelatesTo");
            unanswered.remove(id);
            capture.responses.insert(id, body);
            const QByteArray request = requests.value(id);
            if (request.contains("/Receive<") && request.contains("DesiredStream CommandId") && body.contains("ReceiveResponse"))
                capture.pipelineReceiveBodies.append(body);
        }
    }
    capture.held = shellReceivesOpenAtCommand + unanswered;
    return capture;
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

    // 1a. Streaming from the simulator, which generates as it goes (best of 3).
    const QString script = u"1..%1"_s.arg(objects);
    auto timedRun = [&](const QUrl &url, IdGenerator ids, qint64 *bestNs, qint64 *cpuNs, quint64 *requests) {
        ClientOptions options = optionsFor(url);
        options.idGenerator = std::move(ids);
        Client c(std::move(options));
        if (!c.open()) {
            std::fprintf(stderr, "open failed: %s\n", qPrintable(c.failure));
            return false;
        }
        const quint64 before = c.client->requestCount();
        QElapsedTimer t;
        t.start();
        const qint64 cpuBefore = threadCpuNs();
        if (!c.run(script) || c.objects != objects || c.notCompleted) {
            std::fprintf(stderr, "streaming run failed (%lld objects): %s\n", c.objects, qPrintable(c.failure));
            return false;
        }
        const qint64 ns = t.nsecsElapsed();
        const qint64 cpu = threadCpuNs() - cpuBefore;
        if (*bestNs < 0 || ns < *bestNs) {
            *bestNs = ns;
            *cpuNs = cpu;
            *requests = c.client->requestCount() - before;
        }
        c.close();
        return true;
    };
    qint64 liveNs = -1, liveCpuNs = 0;
    quint64 liveRequests = 0;
    for (int round = 0; round < 3; ++round) {
        if (!timedRun(server.url(), {}, &liveNs, &liveCpuNs, &liveRequests))
            return 1;
    }

    // 1b. Capture one run with a deterministic id sequence, then serve its responses canned.
    constexpr quint32 Seed = 0xBE7C4;
    QTemporaryDir dir;
    const QString tracePath = dir.filePath(u"bench.jsonl"_s);
    {
        ClientOptions options = optionsFor(server.url(), tracePath);
        options.idGenerator = idSequence(Seed);
        Client c(std::move(options));
        if (!c.open() || !c.run(script) || c.objects != objects)
            return 1;
        c.close();
    }
    if (qEnvironmentVariableIsSet("BENCH_DEBUG"))
        QFile::copy(tracePath, u"/tmp/bench-capture.jsonl"_s);
    const Capture capture = readCapture(tracePath);
    const QList<QByteArray> &bodies = capture.pipelineReceiveBodies;
    qint64 bodyBytes = 0;
    for (const QByteArray &b : bodies)
        bodyBytes += b.size();

    // The canned endpoint and the raw one are the same server, on the endpoint's thread.
    QList<QByteArray> rawBodies = bodies;
    qsizetype next = 0;
    int unknownRequests = 0;
    TestSupport::HttpTestServer *canned = nullptr;
    QMetaObject::invokeMethod(&serverContext, [&] {
        canned = new TestSupport::HttpTestServer([&](const TestSupport::HttpRequest &request) {
            if (request.target.endsWith("/raw"))
                return TestSupport::HttpResponse::soap(rawBodies.at(next++ % rawBodies.size()));
            const QByteArray id = headerText(request.body, "MessageID");
            const bool poolReceive = request.body.contains("/Receive<") && !request.body.contains("DesiredStream CommandId");
            if (capture.held.contains(id) || (poolReceive && !capture.responses.contains(id))) {
                // A pool-level Receive the endpoint held: the client gives it up when it closes.
                auto response = TestSupport::HttpResponse::soap(capture.responses.value(id));
                response.delayMs = 600000;
                return response;
            }
            auto it = capture.responses.constFind(id);
            if (it == capture.responses.constEnd()) {
                ++unknownRequests;
                if (qEnvironmentVariableIsSet("BENCH_DEBUG"))
                    std::fprintf(stderr, "unknown: %s\n", request.body.constData());
                return TestSupport::HttpResponse::soap(QByteArrayLiteral("<unknown-request/>"), 500);
            }
            return TestSupport::HttpResponse::soap(*it);
        });
        listening = canned->listen();
    }, Qt::BlockingQueuedConnection);
    auto stopCanned = qScopeGuard([&] {
        QMetaObject::invokeMethod(&serverContext, [&] { delete canned; }, Qt::BlockingQueuedConnection);
    });
    if (!listening || bodies.isEmpty())
        return 1;
    qint64 cannedNs = -1, cannedCpuNs = 0;
    quint64 cannedRequests = 0;
    for (int round = 0; round < 5; ++round) {
        if (!timedRun(canned->url(), idSequence(Seed), &cannedNs, &cannedCpuNs, &cannedRequests) || unknownRequests) {
            std::fprintf(stderr, "the canned run strayed from the capture (%d requests it never made)\n", unknownRequests);
            return 1;
        }
    }

    // 1c. Raw transfer of the same Receive bodies.
    const QByteArray receiveRequest(1400, 'r'); // about the size of a Receive envelope
    qint64 bestRawNs = -1;
    for (int round = 0; round < 5; ++round) {
        QNetworkAccessManager manager;
        QMetaObject::invokeMethod(&serverContext, [&] { next = 0; }, Qt::BlockingQueuedConnection);
        qint64 bytes = 0;
        const qint64 ns = rawSequentialPosts(manager, canned->url(u"127.0.0.1"_s, u"/raw"_s), receiveRequest,
                                             int(bodies.size()), &bytes);
        if (bestRawNs < 0 || ns < bestRawNs)
            bestRawNs = ns;
    }
    std::printf("streaming %d objects from the simulator (generating as it goes): %.1f ms, client thread CPU %.1f ms "
                "(%llu HTTP requests on the pipeline)\n",
                objects, liveNs / 1e6, liveCpuNs / 1e6, static_cast<unsigned long long>(liveRequests));
    std::printf("streaming %d objects from the canned endpoint (captured responses): %.1f ms, client thread CPU %.1f ms "
                "(%llu HTTP requests on the pipeline)\n",
                objects, cannedNs / 1e6, cannedCpuNs / 1e6, static_cast<unsigned long long>(cannedRequests));
    std::printf("raw HTTP transfer of the same %lld Receive bodies (%.1f MB) from that endpoint: %.1f ms -> ratio %.2f\n",
                static_cast<long long>(bodies.size()), bodyBytes / 1e6, bestRawNs / 1e6,
                bestRawNs > 0 ? double(cannedNs) / double(bestRawNs) : 0.0);

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
    QMetaObject::invokeMethod(&serverContext, [&] {
        rawBodies = {QByteArray(1200, 'c')}; // about a CommandResponse
        next = 0;
    }, Qt::BlockingQueuedConnection);
    rawSequentialPosts(manager, canned->url(u"127.0.0.1"_s, u"/raw"_s), QByteArray(2500, 'q'), commands, &bytes, &rtts);
    std::printf("trivial command `1..1` (one Int32, as `1`): median %.3f ms to its result, %.2f HTTP requests per command "
                "(PowerShell's client: 3 = Command + Receive + Signal)\n",
                median(latencies) / 1e6, double(requests) / commands);
    std::printf("raw HTTP round trip: median %.3f ms -> command latency = %.1f raw round trips\n",
                median(rtts) / 1e6, median(rtts) > 0 ? double(median(latencies)) / double(median(rtts)) : 0.0);
    return 0;
}
