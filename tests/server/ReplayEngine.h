#pragma once

#include "WsmanMessages.h"

#include <QHash>
#include <QList>
#include <QString>

namespace TestServer {

// Serves one real Windows recording (../shared/transcripts/windows/*.yml, pypsrp's format):
// each request is answered with the recorded response of the same action and target (ShellId +
// CommandId), in recorded order per target, so a client may interleave pool and pipeline
// Receives differently than pypsrp did. The client must use the recorded identifiers; MessageID
// / RelatesTo are substituted. A request without a match gets a 500 fault naming what was
// expected. Owns the parsed recording; no I/O after load().
class ReplayEngine {
public:
    bool load(const QString &path, QString *error);
    qsizetype exchangeCount() const { return m_exchanges.size(); }
    qsizetype answeredCount() const { return m_answered; }
    // The recorded ShellId (upper case) of the first Create, for clients and tests.
    QString recordedShellId() const { return m_shellId; }
    // Recorded CommandIds in order of their Command requests.
    QStringList recordedCommandIds() const { return m_commandIds; }
    // The recorded request bodies' creationXml/Arguments/Stream data in order, so a test can
    // send exactly what pypsrp sent.
    struct Exchange {
        WsmanRequest request;
        QString response;
        bool used = false;
    };
    const QList<Exchange> &exchanges() const { return m_exchanges; }

    struct Reply {
        int status = 200;
        QString xml;
        bool dropConnection = false;
    };
    Reply answer(const WsmanRequest &request);

private:
    static QString key(const WsmanRequest &request);

    QList<Exchange> m_exchanges;
    QHash<QString, QList<qsizetype>> m_byKey;
    QString m_shellId;
    QStringList m_commandIds;
    qsizetype m_answered = 0;
};

} // namespace TestServer
