#pragma once

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>

#include <deque>

namespace TestServer {

// One WS-Management shell's PSRP side, behind the endpoint's dispatch. The LoopbackServer owns
// one engine per shell (created on Create, destroyed on Delete). Targets are command ids as the
// client sent them (upper-case GUIDs); an empty target is the shell (pool) itself. Server-to-
// client fragments wait in per-target queues, so pool and pipeline Receives stay apart.
class ShellEngine : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~ShellEngine() override = default;

    // Each returns an empty string on success, else a technical reason (answered as a fault).
    virtual QString create(const QByteArray &creationXml) = 0;
    virtual QString command(const QString &commandId, const QByteArray &arguments) = 0;
    virtual QString send(const QString &commandId, bool promptResponse, const QByteArray &data) = 0;
    // crtl_c: stop the pipeline; otherwise (terminate): close it.
    virtual void signal(const QString &commandId, bool ctrlC) = 0;
    virtual void close() = 0;
    // True once the pipeline has ended (PIPELINE_STATE sent); unknown ids count as done.
    virtual bool commandEnded(const QString &commandId) const = 0;
    virtual bool knowsCommand(const QString &commandId) const = 0;
    // WS-Man Connect from a new client: feeds connectXml and puts the connectResponseXml
    // fragments in *response. The default refuses: the engine cannot connect a new client.
    virtual QString connectPool(const QByteArray &connectXml, QByteArray *response);
    virtual bool canConnectPool() const { return false; }

    bool hasOutput(const QString &target) const;
    // Whole chunks of fragments for `target` whose total size stays within maxBytes (at least
    // one chunk when any is queued, re-split at fragment boundaries where possible).
    QList<QByteArray> takeOutput(const QString &target, qsizetype maxBytes);
    void dropTarget(const QString &target) { m_out.remove(target); }

Q_SIGNALS:
    void outputAvailable();

protected:
    void enqueue(const QString &target, const QByteArray &fragments);

private:
    QHash<QString, std::deque<QByteArray>> m_out;
};

} // namespace TestServer
