// TestServer::PwshProcess: the out-of-process transport to real PowerShell. The fake-host tests
// always run (a /bin/sh script stands in for PowerShell); the real ones need PSREMOTE_PWSH_HOST
// (tests/server/pwsh-host/build.sh) and skip with the reason otherwise.
#include "PwshProcess.h"

#include "psrp/RunspacePool.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <vector>

using namespace Qt::Literals::StringLiterals;
using namespace Psrp;
using TestServer::PwshProcess;

namespace {

// Spins the event loop until `done` holds or the guard fires; returns done().
bool waitUntil(const std::function<bool()> &done, int guardMs = 60000)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    guard.start(guardMs);
    poll.start(10);
    loop.exec();
    return done();
}

// Sets PSREMOTE_PWSH_HOST for one test and restores it after.
class HostOverride {
public:
    explicit HostOverride(const QString &path)
        : m_old(qgetenv("PSREMOTE_PWSH_HOST")), m_had(qEnvironmentVariableIsSet("PSREMOTE_PWSH_HOST"))
    {
        qputenv("PSREMOTE_PWSH_HOST", path.toLocal8Bit());
    }
    ~HostOverride()
    {
        if (m_had)
            qputenv("PSREMOTE_PWSH_HOST", m_old);
        else
            qunsetenv("PSREMOTE_PWSH_HOST");
    }

private:
    QByteArray m_old;
    bool m_had;
};

QString writeScript(const QTemporaryDir &dir, const QByteArray &body,
                    const QByteArray &shebang = QByteArrayLiteral("#!/bin/sh\n"))
{
    const QString path = dir.filePath(u"fake-host.sh"_s);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(shebang + body);
    file.close();
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

} // namespace

TEST(PwshProcess, StartFailsWithReasonWhenHostMissing)
{
    HostOverride env(u"/nonexistent/psremote-pwsh-host"_s);
    EXPECT_FALSE(PwshProcess::isAvailable());
    PwshProcess process;
    QString error;
    EXPECT_FALSE(process.start(&error));
    EXPECT_TRUE(error.contains(u"/nonexistent/psremote-pwsh-host"_s)) << error.toStdString();
}

TEST(PwshProcess, ParsesSplitLinesAndQueuesDataUntilAck)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    // A bash stand-in that logs every line it reads and "quiet" when nothing more arrives within
    // 0.3 s, i.e. when the client is waiting for an ack. The DataAck is split across writes.
    const QString log = dir.filePath(u"in.log"_s);
    const QString script = writeScript(dir, "exec 3>'" + log.toLocal8Bit() + "'\n"
        "quiet() { if read -r -t 0.3 early; then echo \"EARLY $early\" >&3; else echo quiet >&3; fi; }\n"
        "read -r line; echo \"$line\" >&3\n"
        "read -r line; echo \"$line\" >&3\n"
        "quiet\n"
        "printf \"<DataAck PSGuid='00000000-00\"; sleep 0.2\n"
        "printf \"00-0000-0000-000000000000' />\\n\"\n"
        "read -r line; echo \"$line\" >&3\n"
        "printf \"<Data Stream='Default' PSGuid='00000000-0000-0000-0000-000000000000'>aGVsbG8=</Data>\\r\\n\"\n"
        "quiet\n"
        "echo \"<CommandAck PSGuid='11111111-2222-3333-4444-555555555555' />\"\n"
        "read -r line; echo \"$line\" >&3\n"
        "sleep 30\n", QByteArrayLiteral("#!/bin/bash\n"));
    HostOverride env(script);
    PwshProcess process;
    std::vector<std::pair<QUuid, QByteArray>> data;
    std::vector<QUuid> commandAcks;
    QString finishedReason;
    QObject::connect(&process, &PwshProcess::dataReceived, [&](const QUuid &id, const QByteArray &bytes) {
        data.emplace_back(id, bytes);
    });
    QObject::connect(&process, &PwshProcess::commandAcknowledged, [&](const QUuid &id) { commandAcks.push_back(id); });
    QObject::connect(&process, &PwshProcess::finished, [&](const QString &reason) { finishedReason = reason; });
    QString error;
    ASSERT_TRUE(process.start(&error)) << error.toStdString();

    const QUuid pipeline(u"11111111-2222-3333-4444-555555555555"_s);
    process.sendData({}, QByteArrayLiteral("first"), false);
    process.sendData({}, QByteArrayLiteral("second"), true);
    process.sendCommand(pipeline);
    process.sendData(pipeline, QByteArrayLiteral("pipe"), false);
    const auto logLines = [&] {
        QFile f(log);
        return f.open(QIODevice::ReadOnly) ? f.readAll().split('\n') : QList<QByteArray>();
    };
    ASSERT_TRUE(waitUntil([&] { return logLines().size() > 6 || !finishedReason.isEmpty(); }, 10000));
    ASSERT_TRUE(finishedReason.isEmpty()) << finishedReason.toStdString();
    ASSERT_EQ(data.size(), 1u);
    EXPECT_TRUE(data[0].first.isNull());
    EXPECT_EQ(data[0].second, QByteArrayLiteral("hello"));
    ASSERT_EQ(commandAcks.size(), 1u);
    EXPECT_EQ(commandAcks[0], pipeline);

    const QList<QByteArray> lines = logLines();
    ASSERT_GE(lines.size(), 6);
    // Targets are independent: the pool's first Data and the Command go out at once; the pool's
    // second Data waits for the DataAck, the pipeline's Data for the CommandAck.
    EXPECT_EQ(lines[0], QByteArrayLiteral("<Data Stream='Default' PSGuid='00000000-0000-0000-0000-000000000000'>Zmlyc3Q=</Data>"));
    EXPECT_EQ(lines[1], QByteArrayLiteral("<Command PSGuid='11111111-2222-3333-4444-555555555555' />"));
    EXPECT_EQ(lines[2], QByteArrayLiteral("quiet"));
    EXPECT_EQ(lines[3], QByteArrayLiteral("<Data Stream='PromptResponse' PSGuid='00000000-0000-0000-0000-000000000000'>c2Vjb25k</Data>"));
    EXPECT_EQ(lines[4], QByteArrayLiteral("quiet"));
    EXPECT_EQ(lines[5], QByteArrayLiteral("<Data Stream='Default' PSGuid='11111111-2222-3333-4444-555555555555'>cGlwZQ==</Data>"));
}

TEST(PwshProcess, UnknownPacketAndExitAreReportedOnce)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    HostOverride env(writeScript(dir, "echo \"<Bogus PSGuid='00000000-0000-0000-0000-000000000000' />\"\nsleep 30\n"));
    PwshProcess process;
    QStringList reasons;
    QObject::connect(&process, &PwshProcess::finished, [&](const QString &reason) { reasons << reason; });
    QString error;
    ASSERT_TRUE(process.start(&error)) << error.toStdString();
    ASSERT_TRUE(waitUntil([&] { return !reasons.isEmpty(); }, 10000));
    EXPECT_TRUE(reasons[0].contains(u"unknown packet"_s)) << reasons[0].toStdString();
    QCoreApplication::processEvents(); // the killed process's exit must not report again
    ASSERT_TRUE(waitUntil([&] { return !process.isRunning(); }, 10000));
    EXPECT_EQ(reasons.size(), 1);

    HostOverride exiting(writeScript(dir, "echo 'host broke' >&2\nexit 3\n"));
    PwshProcess second;
    QString reason;
    QObject::connect(&second, &PwshProcess::finished, [&](const QString &r) { reason = r; });
    ASSERT_TRUE(second.start(&error));
    ASSERT_TRUE(waitUntil([&] { return !reason.isEmpty(); }, 10000));
    EXPECT_TRUE(reason.contains(u"code 3"_s)) << reason.toStdString();
    EXPECT_TRUE(reason.contains(u"host broke"_s)) << reason.toStdString();
}

namespace {

// A Psrp::ClientRunspacePool driven through PwshProcess the way PowerShell's own out-of-process
// client does it: CREATE_PIPELINE goes as Command then Data on the pipeline's id.
class RealPwsh : public ::testing::Test {
protected:
    ClientRunspacePool pool;
    PwshProcess process;
    std::vector<Event> events;
    QString finishedReason;
    QString protocolError;

    void SetUp() override
    {
        if (!PwshProcess::isAvailable()) {
            GTEST_SKIP() << "real PowerShell unavailable: "
                         << (PwshProcess::hostPath().isEmpty()
                                 ? "PSREMOTE_PWSH_HOST is not set (run tests/server/pwsh-host/build.sh OUTDIR)"
                                 : "PSREMOTE_PWSH_HOST does not name an executable")
                         << "; the endpoint tests use the replay and simulator engines";
        }
        QObject::connect(&process, &PwshProcess::dataReceived, [this](const QUuid &, const QByteArray &bytes) {
            Result<void> r = pool.receiveData(bytes);
            if (!r.ok() && protocolError.isEmpty())
                protocolError = r.error().detail;
            while (std::optional<Event> e = pool.nextEvent())
                events.push_back(std::move(*e));
            flush();
        });
        QObject::connect(&process, &PwshProcess::finished, [this](const QString &reason) { finishedReason = reason; });
        QString error;
        ASSERT_TRUE(process.start(&error)) << error.toStdString();
    }

    void flush()
    {
        while (std::optional<OutgoingData> out = pool.dataToSend(pool.maxPayloadSize())) {
            if (out->firstMessageType == MessageType::CreatePipeline
                || out->firstMessageType == MessageType::GetCommandMetadata)
                process.sendCommand(out->pipelineId);
            process.sendData(out->pipelineId, out->data, out->stream == u"pr"_s);
        }
    }

    bool waitFor(const std::function<bool()> &done)
    {
        return waitUntil([&] { return done() || !finishedReason.isEmpty() || !protocolError.isEmpty(); })
            && finishedReason.isEmpty() && protocolError.isEmpty();
    }

    std::optional<PSInvocationState> finalState(const QUuid &pid) const
    {
        for (const Event &e : events) {
            if (e.kind == Event::Kind::PipelineStateChanged && e.pipelineId == pid
                && (e.pipelineState == PSInvocationState::Completed || e.pipelineState == PSInvocationState::Stopped
                    || e.pipelineState == PSInvocationState::Failed))
                return e.pipelineState;
        }
        return std::nullopt;
    }

    QList<Value> outputs(const QUuid &pid) const
    {
        QList<Value> values;
        for (const Event &e : events) {
            if (e.kind == Event::Kind::Message && e.pipelineId == pid && e.payload)
                if (const auto *out = std::get_if<PipelineOutput>(&*e.payload))
                    values.append(out->value);
        }
        return values;
    }

    QUuid run(const QString &script)
    {
        CreatePipeline create;
        create.powerShell.commands.append(Command::script(script));
        Result<QUuid> pid = pool.createPipeline(create);
        EXPECT_TRUE(pid.ok());
        flush();
        return pid.ok() ? *pid : QUuid();
    }

    std::string why() const { return QString(finishedReason + protocolError).toStdString(); }
};

} // namespace

TEST_F(RealPwsh, OpensRunsStopsAndCloses)
{
    ASSERT_TRUE(pool.open().ok());
    flush();
    ASSERT_TRUE(waitFor([&] { return pool.state() == RunspacePoolState::Opened; })) << why();
    const QVersionNumber announced = pool.peerProtocolVersion();
    EXPECT_GE(announced, QVersionNumber(2, 3)) << announced.toString().toStdString();
    std::cout << "[ real PowerShell ] protocolversion " << announced.toString().toStdString() << '\n';

    // The session-key exchange (the client announces 2.3 and always runs it): PowerShell's
    // server answers ENCRYPTED_SESSION_KEY with an all-zero RPID.
    ASSERT_TRUE(pool.exchangeKey().ok());
    flush();
    ASSERT_TRUE(waitFor([&] {
        return std::any_of(events.begin(), events.end(),
                           [](const Event &e) { return e.kind == Event::Kind::SessionKeyReady; });
    })) << why();
    EXPECT_TRUE(pool.canUseSecureString());

    const QUuid sum = run(u"1+1; $PSVersionTable.PSVersion.ToString()"_s);
    ASSERT_TRUE(waitFor([&] { return finalState(sum).has_value(); })) << why();
    EXPECT_EQ(finalState(sum), PSInvocationState::Completed);
    const QList<Value> values = outputs(sum);
    ASSERT_EQ(values.size(), 2);
    EXPECT_EQ(values[0].toInteger(), 2);
    const QString version = values[1].toString().value_or(QString());
    EXPECT_TRUE(version.startsWith(u"7."_s)) << version.toStdString();
    std::cout << "[ real PowerShell ] PSVersion " << version.toStdString() << '\n';

    // No Start-Sleep with System.Management.Automation alone: a loop the engine can stop.
    const QUuid endless = run(u"'started'; while ($true) { [System.Threading.Thread]::Sleep(50) }"_s);
    bool signalAcked = false;
    QObject::connect(&process, &PwshProcess::signalAcknowledged, [&](const QUuid &id) { signalAcked = id == endless; });
    // Stop only once it runs: a Signal before the invocation starts is lost (Stop() no-op).
    ASSERT_TRUE(waitFor([&] { return !outputs(endless).isEmpty(); })) << why();
    ASSERT_TRUE(pool.stop(endless).ok());
    process.sendSignal(endless);
    ASSERT_TRUE(waitFor([&] { return signalAcked && finalState(endless).has_value(); })) << why();
    EXPECT_EQ(finalState(endless), PSInvocationState::Stopped);
    // The pool's only runspace is free again.
    const QUuid after = run(u"2+3"_s);
    ASSERT_TRUE(waitFor([&] { return finalState(after).has_value(); })) << why();
    EXPECT_EQ(finalState(after), PSInvocationState::Completed);
    ASSERT_EQ(outputs(after).size(), 1);
    EXPECT_EQ(outputs(after)[0].toInteger(), 5);

    bool poolClosed = false;
    QObject::connect(&process, &PwshProcess::closeAcknowledged, [&](const QUuid &id) { poolClosed = id.isNull(); });
    process.sendClose(sum);
    process.sendClose(endless);
    process.sendClose(after);
    ASSERT_TRUE(pool.close().ok());
    flush();
    process.sendClose({});
    ASSERT_TRUE(waitFor([&] { return poolClosed; })) << why();
    // Real PowerShell reports Closing, then Closed, itself; closed() then only confirms.
    ASSERT_TRUE(waitFor([&] { return pool.state() == RunspacePoolState::Closed; })) << why();
    ASSERT_TRUE(pool.closed().ok());
    EXPECT_EQ(pool.state(), RunspacePoolState::Closed);
}
