#include "psrp/Clixml.h"
#include "psrp/Fragment.h"
#include "psrp/RunspacePool.h"

#include <benchmark/benchmark.h>

#include <sys/resource.h>

using namespace Psrp;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr int MessageCount = 20000;

// One Get-Process-like output object: TN list, ToString, ~15 adapted properties of mixed types
// and a nested object, as PowerShell sends it in a PIPELINE_OUTPUT message.
Value processObject(int i)
{
    auto module = PsObject::create();
    module->typeNames = {u"Deserialized.System.Diagnostics.ProcessModule"_s,
                         u"Deserialized.System.ComponentModel.Component"_s, u"Deserialized.System.Object"_s};
    module->toString = u"System.Diagnostics.ProcessModule (pwsh.exe)"_s;
    module->adaptedProperties = {{u"ModuleName"_s, Value(u"pwsh.exe"_s)},
                                 {u"FileName"_s, Value(u"C:\\Program Files\\PowerShell\\7\\pwsh.exe"_s)},
                                 {u"BaseAddress"_s, Value(qint64(140695580000000LL + i))},
                                 {u"ModuleMemorySize"_s, Value(qint32(290816))}};

    auto p = PsObject::create();
    p->typeNames = {u"Deserialized.System.Diagnostics.Process"_s, u"Deserialized.System.ComponentModel.Component"_s,
                    u"Deserialized.System.MarshalByRefObject"_s, u"Deserialized.System.Object"_s};
    p->toString = u"System.Diagnostics.Process (svchost_x"_s + QString::number(i) + u")"_s;
    p->adaptedProperties = {
        {u"Name"_s, Value(u"svchost"_s + QString::number(i))},
        {u"Id"_s, Value(qint32(1000 + i))},
        {u"PriorityClass"_s, Value(u"Normal"_s)},
        {u"HandleCount"_s, Value(qint32(100 + i % 900))},
        {u"WorkingSet64"_s, Value(qint64(12'345'678LL * (i % 97 + 1)))},
        {u"PagedMemorySize64"_s, Value(qint64(4'567'890LL * (i % 13 + 1)))},
        {u"VirtualMemorySize64"_s, Value(qint64(2'203'318'222'848LL + i))},
        {u"StartTime"_s, Value(DateTime{638'000'000'000'000'000LL + qint64(i) * 12'345'678, DateTime::Kind::Local, 60})},
        {u"TotalProcessorTime"_s, Value(Duration{qint64(i) * 1'234'567})},
        {u"CPU"_s, Value(0.015625 * i + 0.1)},
        {u"Responding"_s, Value(i % 3 != 0)},
        {u"Path"_s, Value(u"C:\\Windows\\System32\\svchost.exe"_s)},
        {u"Company"_s, Value(u"Microsoft Corporation & Co <test>"_s)},
        {u"SessionId"_s, Value(qint32(i % 4))},
        {u"MainModule"_s, Value(module)},
        {u"MainWindowTitle"_s, Value(QString())},
    };
    p->extendedProperties = {{u"PSComputerName"_s, Value(u"server01"_s)},
                             {u"RunspaceId"_s, Value(QUuid::fromString(u"792e5b37-4505-47ef-b7d2-8711bb7affa8"))}};
    return Value(p);
}

const QList<QByteArray> &messages()
{
    static const QList<QByteArray> all = [] {
        QList<QByteArray> m;
        m.reserve(MessageCount);
        for (int i = 0; i < MessageCount; ++i)
            m.append(Clixml::serialize(processObject(i)));
        return m;
    }();
    return all;
}

qint64 totalBytes(const QList<QByteArray> &m)
{
    qint64 n = 0;
    for (const QByteArray &b : m)
        n += b.size();
    return n;
}

long maxRssKb()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

void BM_ClixmlDeserialize(benchmark::State &state)
{
    const QList<QByteArray> &m = messages();
    const long rssBefore = maxRssKb();
    for (auto _ : state) {
        for (const QByteArray &b : m) {
            auto v = Clixml::deserialize(b);
            if (!v.ok())
                state.SkipWithError("deserialize failed");
            benchmark::DoNotOptimize(v);
        }
    }
    state.SetBytesProcessed(state.iterations() * totalBytes(m));
    state.counters["messages"] = double(m.size());
    state.counters["avgMessageBytes"] = double(totalBytes(m)) / double(m.size());
    // Each value is dropped before the next message: the high-water mark must not grow with
    // the stream.
    state.counters["peakRssGrowthKB"] = double(maxRssKb() - rssBefore);
}
BENCHMARK(BM_ClixmlDeserialize)->Unit(benchmark::kMillisecond);

void BM_ClixmlSerialize(benchmark::State &state)
{
    QList<Value> values;
    for (int i = 0; i < 1000; ++i)
        values.append(processObject(i));
    qint64 bytes = 0;
    for (auto _ : state) {
        for (const Value &v : values) {
            const QByteArray out = Clixml::serialize(v);
            bytes += out.size();
            benchmark::DoNotOptimize(out.data());
        }
    }
    state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_ClixmlSerialize)->Unit(benchmark::kMillisecond);

// What the trace decoder does per message: deserialize, then serialize again.
void BM_ClixmlRoundTrip(benchmark::State &state)
{
    const QList<QByteArray> &m = messages();
    for (auto _ : state) {
        for (const QByteArray &b : m) {
            auto v = Clixml::deserialize(b);
            const QByteArray out = Clixml::serialize(*v);
            benchmark::DoNotOptimize(out.data());
        }
    }
    state.SetBytesProcessed(state.iterations() * totalBytes(m));
}
BENCHMARK(BM_ClixmlRoundTrip)->Unit(benchmark::kMillisecond);

// MS-PSRP 2.2.4 reassembly: every message cut into fragments of state.range(0) bytes, packed
// into payloads of about 150 KiB as WinRM would, then fed through one Defragmenter.
void BM_Defragment(benchmark::State &state)
{
    const QList<QByteArray> &m = messages();
    QList<QByteArray> payloads;
    QByteArray current;
    qint64 messageBytes = 0;
    quint64 objectId = 1;
    for (const QByteArray &b : m) {
        // Four messages glued together make some of them span several fragments.
        const QByteArray message = b + b + b + b;
        messageBytes += message.size();
        for (const Fragment &f : fragmentMessage(objectId++, message, state.range(0))) {
            current += encodeFragment(f);
            if (current.size() > 150 * 1024) {
                payloads.append(current);
                current.clear();
            }
        }
    }
    if (!current.isEmpty())
        payloads.append(current);
    qint64 wireBytes = 0;
    for (const QByteArray &p : payloads)
        wireBytes += p.size();
    qint64 completed = 0;
    for (auto _ : state) {
        Defragmenter defragmenter;
        for (const QByteArray &p : payloads) {
            auto r = defragmenter.feed(p);
            if (!r.ok()) {
                state.SkipWithError("defragment failed");
                break;
            }
            completed += r->size();
        }
    }
    state.SetBytesProcessed(state.iterations() * wireBytes);
    state.counters["messagesPerIteration"] = double(completed) / double(state.iterations());
    state.counters["payloads"] = double(payloads.size());
    state.counters["messageMB"] = double(messageBytes) / 1e6;
}
BENCHMARK(BM_Defragment)->Arg(32 * 1024)->Arg(2048)->Unit(benchmark::kMillisecond);

// The client engine's share of streaming: 100,000 Int32 PIPELINE_OUTPUT messages, produced by
// the server engine beforehand in 500 KiB payloads (as a 2.3 server's Receive responses carry
// them), fed to ClientRunspacePool::receiveData and drained with nextEvent. Items = messages.
void BM_ClientReceivesPipelineOutput(benchmark::State &state)
{
    constexpr int Objects = 100000;
    ClientRunspacePool client;
    ServerRunspacePool server;
    auto exchange = [](RunspacePoolEngine &from, RunspacePoolEngine &to) {
        while (auto out = from.dataToSend(512000))
            (void)to.receiveData(out->data);
    };
    (void)client.open();
    for (int i = 0; i < 4; ++i) {
        exchange(client, server);
        exchange(server, client);
    }
    while (client.nextEvent()) {
    }
    while (server.nextEvent()) {
    }
    CreatePipeline create;
    create.powerShell.commands.append(Command::script(u"1..100000"_s));
    const QUuid pid = client.createPipeline(create).value();
    exchange(client, server);
    while (server.nextEvent()) {
    }
    QList<QByteArray> payloads;
    for (int i = 0; i < Objects; ++i)
        (void)server.writeOutput(pid, Value(qint32(i)));
    while (auto out = server.dataToSend(maxFragmentPayloadSize(512000)))
        payloads.append(out->data);
    qint64 bytes = 0;
    for (const QByteArray &p : std::as_const(payloads))
        bytes += p.size();
    for (auto _ : state) {
        qint64 outputs = 0;
        for (const QByteArray &p : std::as_const(payloads)) {
            if (!client.receiveData(p).ok()) {
                state.SkipWithError("receiveData failed");
                return;
            }
            while (auto e = client.nextEvent())
                outputs += e->kind == Event::Kind::Message;
        }
        if (outputs != Objects) {
            state.SkipWithError("not every output arrived");
            return;
        }
    }
    state.SetItemsProcessed(state.iterations() * Objects);
    state.SetBytesProcessed(state.iterations() * bytes);
}
} // namespace

BENCHMARK(BM_ClientReceivesPipelineOutput)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
