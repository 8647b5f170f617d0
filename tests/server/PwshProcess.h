#pragma once

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QTemporaryDir>
#include <QUuid>

#include <deque>
#include <memory>

class QProcess;

namespace TestServer {

// Real PowerShell as a PSRP server: runs the tests/server/pwsh-host program (System.Management
// .Automation's StdIOProcessMediator, what `pwsh -s` runs) as a child process and speaks the
// out-of-process transport with it over stdin/stdout. Owns the QProcess and kills it when
// destroyed; asynchronous (signals), never blocks except in the destructor.
//
// Out-of-process transport (PowerShell's OutOfProcessUtils), one XML element per line:
//   client -> server: <Data Stream='Default|PromptResponse' PSGuid='G'>base64</Data>,
//                     <Command PSGuid='G' />, <Signal PSGuid='G' />, <Close PSGuid='G' />
//   server -> client: <Data ...>, <DataAck PSGuid='G' />, <CommandAck .../>, <SignalAck .../>,
//                     <CloseAck .../>
// G is the pipeline id, all zeros for the pool. The server handles every line on a thread-pool
// work item, so order is only kept by waiting: one Data in flight per target until its DataAck,
// and a pipeline's Data only after its CommandAck. This class queues accordingly; Signal goes
// out at once (it must overtake pending input).
class PwshProcess : public QObject {
    Q_OBJECT
public:
    // Environment variable naming the built host (see tests/server/pwsh-host/build.sh).
    static QString hostPath(); // env PSREMOTE_PWSH_HOST, else empty
    static bool isAvailable(); // hostPath() exists and is executable

    explicit PwshProcess(QObject *parent = nullptr);
    ~PwshProcess() override; // kills the process

    // Starts the host; false + error when unavailable or already started. A start that fails
    // later (the program cannot run) is reported through finished().
    bool start(QString *error);
    bool isRunning() const;

    // Null id = pool. `fragments`: whole PSRP fragments, sent as one <Data> packet.
    void sendData(const QUuid &pipelineId, const QByteArray &fragments, bool promptResponse);
    void sendCommand(const QUuid &pipelineId);
    void sendSignal(const QUuid &pipelineId);
    void sendClose(const QUuid &pipelineId);

    // Largest accepted output line (a <Data> packet); longer ones are a protocol error.
    static constexpr qsizetype MaxLineBytes = 64 * 1024 * 1024;

Q_SIGNALS:
    void dataReceived(const QUuid &pipelineId, const QByteArray &fragments); // decoded bytes
    void commandAcknowledged(const QUuid &pipelineId);
    void signalAcknowledged(const QUuid &pipelineId);
    void closeAcknowledged(const QUuid &pipelineId);
    void finished(const QString &reason); // process exited or protocol error; emitted once

private:
    enum class PacketKind { Data, Command, Close };
    enum class Waiting { Nothing, DataAck, CommandAck };
    struct Packet {
        PacketKind kind = PacketKind::Data;
        QByteArray line;
    };
    struct Target {
        std::deque<Packet> queue;
        Waiting waiting = Waiting::Nothing;
    };

    void enqueue(const QUuid &target, PacketKind kind, QByteArray line);
    void pump(const QUuid &target);
    void writeLine(const QByteArray &line);
    void readOutput();
    void readErrors();
    // False after a protocol error (already reported).
    bool handleLine(QByteArrayView line);
    void fail(const QString &reason);
    void onExited(int exitCode, bool crashed);

    static QByteArray guidPacket(QLatin1StringView tag, const QUuid &id);

    QProcess *m_process = nullptr;
    // The host's TMPDIR: .NET leaves a diagnostics pipe (CoreFxPipe_PSHost.*) there per process;
    // removed with this object instead of piling up in /tmp.
    std::unique_ptr<QTemporaryDir> m_tempDir;
    QByteArray m_stdout;
    QByteArray m_stderrTail;
    QHash<QUuid, Target> m_targets;
    bool m_finished = false;
};

} // namespace TestServer
