#pragma once

#include "ShellEngine.h"

#include "psrp/RunspacePool.h"

#include <QHash>
#include <QTimer>

#include <memory>

namespace TestServer {

// The built-in engine: Psrp::ServerRunspacePool plus a tiny interpreter. It is a simulator,
// NOT PowerShell, and says so in its PSVersionTable and APPLICATION_PRIVATE_DATA. Grammar
// (case-insensitive; one CREATE_PIPELINE may hold several commands, the last may be Out-Default):
//   script    := statement { (';' | newline) statement }
//   statement := element { '|' element }           (only '| Out-Default' / '| Out-String' after the first)
//   element   := INT '..' INT | '$PSVersionTable' | 'throw' [STRING] | NAME { arg }
//   arg       := '-'NAME | 'quoted' | "quoted" | word | number
// Commands: prompt, Get-Location, Write-Output|-Host|-Error|-Warning|-Verbose|-Debug|
// -Information|-Progress TEXT, Read-Host [TEXT] [-AsSecureString], Get-Credential [USER],
// Start-Sleep N | -Milliseconds N (stopped by crtl_c; with -IgnoreStop only by terminate),
// Exit-PSSession (void PopRunspace host call), exit (void SetShouldExit host call),
// Invoke-HostMethod ID [ARG...] (host call ID with canned parameters; the answer becomes the
// output "result: ..." / "error: ..." / "void", SecureStrings decrypted), throw TEXT, TabExpansion2 TEXT,
// Out-Default (output becomes host WriteLine calls), Out-String (output becomes strings),
// $PSVersionTable, A..B (B-A+1 integers), $input (the pipeline input, once
// END_OF_PIPELINE_INPUT arrived); the cmdlet Invoke-Expression -Command S runs S. Write-Host is
// an INFORMATION_RECORD (HostInformationMessage, tag PSHOST) for protocol >= 2.3, else
// WriteLine. Merge settings (MergeMyResult/MergeToResult, MergeError..MergeInformation) send
// records to the output as objects. Pool requests (SET_MAX/SET_MIN/GET_AVAILABLE_RUNSPACES,
// RESET_RUNSPACE_STATE) and GET_COMMAND_METADATA (over the commands above plus Exit-PSSession)
// are answered as PowerShell answers them; a new client may connect to the open pool.
class SimulatorEngine : public ShellEngine {
    Q_OBJECT
public:
    explicit SimulatorEngine(QObject *parent = nullptr);
    ~SimulatorEngine() override;

    static QString label(); // "PSRemote loopback simulator, not PowerShell"
    static QString grammarHelp();
    // Test knob, process-wide (the endpoint runs inside the test process): command names that
    // GET_COMMAND_METADATA does not report, e.g. Exit-PSSession for an endpoint that cannot be
    // entered, or TabExpansion2 for a restricted one. Empty: every command is reported.
    static void setHiddenCommands(const QStringList &names);
    // Test knob, process-wide: the protocolversion later shells announce in SESSION_CAPABILITY
    // (null: 2.3), e.g. 2.1 for a PowerShell 2.0 server that cannot disconnect.
    static void setProtocolVersion(const QVersionNumber &version);
    // Test knob, process-wide: how many pipelines whose commands' text contains `needle`
    // (case-insensitive) were started, by every shell since the last resetExecutions(); shows a
    // command that ran twice.
    static int executionCount(const QString &needle);
    static void resetExecutions();

    QString create(const QByteArray &creationXml) override;
    QString command(const QString &commandId, const QByteArray &arguments) override;
    QString send(const QString &commandId, bool promptResponse, const QByteArray &data) override;
    void signal(const QString &commandId, bool ctrlC) override;
    void close() override;
    bool commandEnded(const QString &commandId) const override;
    bool knowsCommand(const QString &commandId) const override;
    QString connectPool(const QByteArray &connectXml, QByteArray *response) override;
    bool canConnectPool() const override { return true; }

    // Fragment size for server-to-client payloads (from the Create's MaxEnvelopeSize).
    void setMaxPayload(qsizetype bytes) { m_maxPayload = bytes; }

    struct Op;
    struct Run;

private:
    QString feed(const QByteArray &data);
    void pump();
    void start(const QUuid &id, const Psrp::CreatePipeline &request);
    void answerPoolRequest(const Psrp::Payload &payload);
    void commandMetadata(const QUuid &id, const Psrp::GetCommandMetadata &request);
    // A record (ERROR/WARNING/...): to the output as `asObject` when the pipeline merges it.
    void writeRecord(Run &run, Psrp::PipelineResultTypes stream, const Psrp::Payload &record,
                     const Psrp::Value &asObject);
    void resume(Run &run);
    void finish(Run &run, Psrp::PSInvocationState state, std::optional<Psrp::ErrorRecord> error = {});
    void emitValue(Run &run, const Psrp::Value &value);
    void writeHost(Run &run, const QString &text);
    // Invoke-HostMethod: the client's answer as text, SecureStrings decrypted with the session key.
    QString describeAnswer(const Psrp::HostResponse &response) const;
    QString describeValue(const Psrp::Value &value) const;

    Psrp::ServerRunspacePool m_pool;
    QHash<QString, std::shared_ptr<Run>> m_runs; // by upper-case command id
    qsizetype m_maxPayload = 100 * 1024;
    bool m_closed = false;
};

} // namespace TestServer
