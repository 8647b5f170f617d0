#pragma once

#include "ShellEngine.h"

#include "psrp/Fragment.h"

#include <QHash>
#include <QSet>

#include <map>
#include <memory>

namespace TestServer {

class PwshProcess;

// Real PowerShell behind a shell: relays WS-Management operations to a PwshProcess (the
// out-of-process transport of `pwsh -s`). Create starts the process and relays creationXml;
// Command sends <Command> then the data; Send sends data (pr = PromptResponse); crtl_c sends
// <Signal> (repeated until the pipeline ends: one sent before the invocation starts is lost);
// terminate sends <Close>; close() kills the process. A pipeline has ended once a
// PIPELINE_STATE message passed through from the process. Owns its PwshProcess.
class PwshEngine : public ShellEngine {
    Q_OBJECT
public:
    explicit PwshEngine(QObject *parent = nullptr);
    ~PwshEngine() override;

    QString create(const QByteArray &creationXml) override;
    QString command(const QString &commandId, const QByteArray &arguments) override;
    QString send(const QString &commandId, bool promptResponse, const QByteArray &data) override;
    void signal(const QString &commandId, bool ctrlC) override;
    void close() override;
    bool commandEnded(const QString &commandId) const override;
    bool knowsCommand(const QString &commandId) const override;

private:
    void onData(const QUuid &pipelineId, const QByteArray &fragments);

    std::unique_ptr<PwshProcess> m_process;
    QSet<QString> m_commands;
    QSet<QString> m_ended;
    QString m_failure;
    std::map<QString, Psrp::Defragmenter> m_watchers;
};

} // namespace TestServer
