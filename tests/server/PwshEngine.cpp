#include "PwshEngine.h"

#include "PwshProcess.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"

#include <QTimer>
#include <QUuid>


using namespace Qt::Literals::StringLiterals;

namespace TestServer {

namespace {

QString targetOf(const QUuid &id)
{
    return id.isNull() ? QString() : id.toString(QUuid::WithoutBraces).toUpper();
}

} // namespace

PwshEngine::PwshEngine(QObject *parent) : ShellEngine(parent), m_process(std::make_unique<PwshProcess>())
{
    connect(m_process.get(), &PwshProcess::dataReceived, this, &PwshEngine::onData);
    connect(m_process.get(), &PwshProcess::finished, this, [this](const QString &reason) {
        m_failure = reason;
        for (const auto &id : std::as_const(m_commands))
            m_ended.insert(id);
        Q_EMIT outputAvailable();
    });
}

PwshEngine::~PwshEngine() = default;

QString PwshEngine::create(const QByteArray &creationXml)
{
    if (!m_process->isRunning()) {
        QString error;
        if (!m_process->start(&error))
            return u"real PowerShell unavailable: "_s + error;
    }
    m_process->sendData({}, creationXml, false);
    return {};
}

QString PwshEngine::command(const QString &commandId, const QByteArray &arguments)
{
    if (!m_failure.isEmpty())
        return u"PowerShell process ended: "_s + m_failure;
    const QUuid id(commandId);
    if (id.isNull())
        return u"bad CommandId "_s + commandId;
    m_commands.insert(commandId.toUpper());
    m_process->sendCommand(id);
    m_process->sendData(id, arguments, false);
    return {};
}

QString PwshEngine::send(const QString &commandId, bool promptResponse, const QByteArray &data)
{
    if (!m_failure.isEmpty())
        return u"PowerShell process ended: "_s + m_failure;
    m_process->sendData(QUuid(commandId), data, promptResponse);
    return {};
}

void PwshEngine::signal(const QString &commandId, bool ctrlC)
{
    const QUuid id(commandId);
    if (ctrlC) {
        m_process->sendSignal(id);
        // A Signal reaching PowerShell before the invocation has started is lost: repeat it
        // until the pipeline's PIPELINE_STATE arrives.
        const QString target = commandId.toUpper();
        auto *retry = new QTimer(this);
        retry->setInterval(250);
        connect(retry, &QTimer::timeout, this, [this, retry, id, target] {
            if (!m_failure.isEmpty() || !m_commands.contains(target) || m_ended.contains(target)) {
                retry->deleteLater();
                return;
            }
            m_process->sendSignal(id);
        });
        retry->start();
        return;
    }
    m_process->sendClose(id);
    m_commands.remove(commandId.toUpper());
    dropTarget(commandId.toUpper());
}

void PwshEngine::close()
{
    if (m_process->isRunning())
        m_process->sendClose({});
    m_process.reset();
    m_process = std::make_unique<PwshProcess>(); // the old process is killed by its destructor
    m_failure = u"closed"_s;
}

bool PwshEngine::commandEnded(const QString &commandId) const
{
    const QString id = commandId.toUpper();
    return !m_commands.contains(id) || m_ended.contains(id);
}

bool PwshEngine::knowsCommand(const QString &commandId) const
{
    return m_commands.contains(commandId.toUpper());
}

void PwshEngine::onData(const QUuid &pipelineId, const QByteArray &fragments)
{
    const QString target = targetOf(pipelineId);
    if (!target.isEmpty()) {
        // Reassemble a copy to notice the pipeline's PIPELINE_STATE.
        auto it = m_watchers.try_emplace(target, 64 * 1024 * 1024).first;
        QList<Psrp::Defragmenter::Completed> completed;
        (void)it->second.feed(fragments, completed);
        for (const auto &c : completed) {
            const auto message = Psrp::decodeMessage(c.data);
            if (message.ok() && message->type == Psrp::MessageType::PipelineState)
                m_ended.insert(target);
        }
    }
    enqueue(target, fragments);
}

} // namespace TestServer
