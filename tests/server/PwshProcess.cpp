#include "PwshProcess.h"

#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QXmlStreamReader>

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

namespace {

constexpr qsizetype StderrTailBytes = 4096;

const QString ZeroGuid = u"00000000-0000-0000-0000-000000000000"_s;

QString guidText(const QUuid &id)
{
    return id.isNull() ? ZeroGuid : id.toString(QUuid::WithoutBraces);
}

// The PSGuid attribute: all zeros is the pool (null QUuid); anything unparsable is an error.
bool parseGuid(QStringView text, QUuid *out)
{
    const QUuid id = QUuid::fromString(text);
    if (id.isNull() && text != ZeroGuid)
        return false;
    *out = id;
    return true;
}

QString printable(QByteArrayView bytes)
{
    QString text = QString::fromUtf8(bytes.first(qMin<qsizetype>(bytes.size(), 200)));
    if (bytes.size() > 200)
        text += u"..."_s;
    return text;
}

} // namespace

QString PwshProcess::hostPath()
{
    return qEnvironmentVariable("PSREMOTE_PWSH_HOST");
}

bool PwshProcess::isAvailable()
{
    const QString path = hostPath();
    if (path.isEmpty())
        return false;
    const QFileInfo info(path);
    return info.isFile() && info.isExecutable();
}

PwshProcess::PwshProcess(QObject *parent)
    : QObject(parent)
{
}

PwshProcess::~PwshProcess()
{
    if (m_process == nullptr)
        return;
    m_process->disconnect(this);
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

bool PwshProcess::start(QString *error)
{
    if (m_process != nullptr) {
        if (error != nullptr)
            *error = u"the PowerShell host was already started"_s;
        return false;
    }
    if (!isAvailable()) {
        if (error != nullptr) {
            *error = hostPath().isEmpty()
                ? u"PSREMOTE_PWSH_HOST is not set (build tests/server/pwsh-host with build.sh)"_s
                : u"PSREMOTE_PWSH_HOST=%1 is not an executable file"_s.arg(hostPath());
        }
        return false;
    }

    m_process = new QProcess(this);
    m_process->setProgram(hostPath());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"POWERSHELL_TELEMETRY_OPTOUT"_s, u"1"_s);
    env.insert(u"POWERSHELL_UPDATECHECK"_s, u"Off"_s);
    env.insert(u"DOTNET_CLI_TELEMETRY_OPTOUT"_s, u"1"_s);
    m_tempDir = std::make_unique<QTemporaryDir>();
    if (m_tempDir->isValid())
        env.insert(u"TMPDIR"_s, m_tempDir->path());
    m_process->setProcessEnvironment(env);
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    connect(m_process, &QProcess::readyReadStandardOutput, this, &PwshProcess::readOutput);
    connect(m_process, &QProcess::readyReadStandardError, this, &PwshProcess::readErrors);
    connect(m_process, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        onExited(exitCode, status == QProcess::CrashExit);
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError processError) {
        if (processError == QProcess::FailedToStart)
            fail(u"cannot start the PowerShell host %1: %2"_s.arg(hostPath(), m_process->errorString()));
    });
    m_process->start(QIODevice::ReadWrite);
    return true;
}

bool PwshProcess::isRunning() const
{
    return m_process != nullptr && !m_finished && m_process->state() != QProcess::NotRunning;
}

QByteArray PwshProcess::guidPacket(QLatin1StringView tag, const QUuid &id)
{
    return u"<%1 PSGuid='%2' />"_s.arg(tag, guidText(id)).toLatin1();
}

void PwshProcess::sendData(const QUuid &pipelineId, const QByteArray &fragments, bool promptResponse)
{
    QByteArray line = QByteArrayLiteral("<Data Stream='")
        + (promptResponse ? QByteArrayLiteral("PromptResponse") : QByteArrayLiteral("Default"))
        + QByteArrayLiteral("' PSGuid='") + guidText(pipelineId).toLatin1() + QByteArrayLiteral("'>")
        + fragments.toBase64() + QByteArrayLiteral("</Data>");
    enqueue(pipelineId, PacketKind::Data, std::move(line));
}

void PwshProcess::sendCommand(const QUuid &pipelineId)
{
    enqueue(pipelineId, PacketKind::Command, guidPacket("Command"_L1, pipelineId));
}

void PwshProcess::sendSignal(const QUuid &pipelineId)
{
    writeLine(guidPacket("Signal"_L1, pipelineId));
}

void PwshProcess::sendClose(const QUuid &pipelineId)
{
    enqueue(pipelineId, PacketKind::Close, guidPacket("Close"_L1, pipelineId));
}

void PwshProcess::enqueue(const QUuid &target, PacketKind kind, QByteArray line)
{
    if (m_finished || m_process == nullptr)
        return;
    m_targets[target].queue.push_back(Packet{kind, std::move(line)});
    pump(target);
}

void PwshProcess::pump(const QUuid &target)
{
    auto it = m_targets.find(target);
    if (it == m_targets.end())
        return;
    while (it->waiting == Waiting::Nothing && !it->queue.empty()) {
        Packet packet = std::move(it->queue.front());
        it->queue.pop_front();
        if (packet.kind == PacketKind::Data)
            it->waiting = Waiting::DataAck;
        else if (packet.kind == PacketKind::Command)
            it->waiting = Waiting::CommandAck;
        writeLine(packet.line);
    }
}

void PwshProcess::writeLine(const QByteArray &line)
{
    if (m_finished || m_process == nullptr)
        return;
    m_process->write(line + '\n');
}

void PwshProcess::readOutput()
{
    m_stdout += m_process->readAllStandardOutput();
    qsizetype start = 0;
    while (!m_finished) {
        const qsizetype end = m_stdout.indexOf('\n', start);
        if (end < 0)
            break;
        QByteArrayView line(m_stdout.constData() + start, end - start);
        start = end + 1;
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.trimmed().isEmpty())
            continue;
        if (!handleLine(line))
            return;
    }
    m_stdout.remove(0, start);
    if (m_stdout.size() > MaxLineBytes)
        fail(u"PowerShell host wrote a line longer than %1 bytes"_s.arg(MaxLineBytes));
}

void PwshProcess::readErrors()
{
    m_stderrTail += m_process->readAllStandardError();
    if (m_stderrTail.size() > StderrTailBytes)
        m_stderrTail = m_stderrTail.right(StderrTailBytes);
}

bool PwshProcess::handleLine(QByteArrayView line)
{
    QXmlStreamReader xml(line.toByteArray());
    while (!xml.atEnd() && xml.readNext() != QXmlStreamReader::StartElement) {
    }
    if (xml.hasError() || xml.tokenType() != QXmlStreamReader::StartElement) {
        fail(u"PowerShell host wrote a malformed packet: %1"_s.arg(printable(line)));
        return false;
    }
    const QStringView tag = xml.name();
    QUuid id;
    if (!parseGuid(xml.attributes().value("PSGuid"_L1), &id)) {
        fail(u"PowerShell host wrote a packet without a valid PSGuid: %1"_s.arg(printable(line)));
        return false;
    }

    if (tag == "Data"_L1) {
        const QString stream = xml.attributes().value("Stream"_L1).toString();
        const QString text = xml.readElementText();
        if (xml.hasError()) {
            fail(u"PowerShell host wrote a malformed Data packet: %1"_s.arg(printable(line)));
            return false;
        }
        auto decoded = QByteArray::fromBase64Encoding(text.toLatin1(),
                                                      QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || stream.isEmpty()) {
            fail(u"PowerShell host wrote a Data packet with bad base64 or no Stream: %1"_s.arg(printable(line)));
            return false;
        }
        Q_EMIT dataReceived(id, *decoded);
        return !m_finished;
    }

    // The remaining packets are empty elements; anything after the element is not ours.
    xml.readNext();
    if (xml.tokenType() != QXmlStreamReader::EndElement) {
        fail(u"PowerShell host wrote an unexpected packet: %1"_s.arg(printable(line)));
        return false;
    }
    if (tag == "DataAck"_L1) {
        auto it = m_targets.find(id);
        if (it != m_targets.end() && it->waiting == Waiting::DataAck) {
            it->waiting = Waiting::Nothing;
            pump(id);
        }
    } else if (tag == "CommandAck"_L1) {
        auto it = m_targets.find(id);
        if (it != m_targets.end() && it->waiting == Waiting::CommandAck)
            it->waiting = Waiting::Nothing;
        Q_EMIT commandAcknowledged(id);
        pump(id);
    } else if (tag == "SignalAck"_L1) {
        Q_EMIT signalAcknowledged(id);
    } else if (tag == "CloseAck"_L1) {
        auto it = m_targets.find(id);
        if (it != m_targets.end() && it->queue.empty() && it->waiting == Waiting::Nothing)
            m_targets.erase(it);
        Q_EMIT closeAcknowledged(id);
    } else {
        fail(u"PowerShell host wrote an unknown packet: %1"_s.arg(printable(line)));
        return false;
    }
    return !m_finished;
}

void PwshProcess::fail(const QString &reason)
{
    if (m_finished)
        return;
    m_finished = true;
    m_targets.clear();
    if (m_process != nullptr && m_process->state() != QProcess::NotRunning)
        m_process->kill();
    Q_EMIT finished(reason);
}

void PwshProcess::onExited(int exitCode, bool crashed)
{
    readErrors();
    QString reason = crashed ? u"PowerShell host crashed"_s
                             : u"PowerShell host exited with code %1"_s.arg(exitCode);
    const QString errors = QString::fromUtf8(m_stderrTail).trimmed();
    if (!errors.isEmpty())
        reason += u": "_s + errors;
    fail(reason);
}

} // namespace TestServer
