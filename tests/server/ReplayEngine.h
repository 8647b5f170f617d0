#pragma once

#include "EndpointSoap.h"

#include "wsman/ServerEnvelope.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace TestServer {

// Serves one real Windows recording (../shared/transcripts/windows/*.yml, pypsrp's format):
// each request is answered with the recorded response of the same action and target (ShellId +
// CommandId), in recorded order per target, so a client may interleave pool and pipeline
// Receives differently than pypsrp did. Identifiers are substituted both ways: the client's
// ShellId (from its Create) maps to the recorded one, its CommandIds to the recorded ones in
// order of their Command requests, MessageID -> RelatesTo; in recorded response fragments the
// PSRP RPID/PID bytes become the client's (learnt from its creationXml / Command arguments).
// A request without a match gets a 500 fault naming what was expected. Owns the parsed
// recording; no I/O after load().
class ReplayEngine {
public:
    bool load(const QString &path, QString *error);
    qsizetype exchangeCount() const { return m_exchanges.size(); }
    qsizetype answeredCount() const { return m_answered; }
    // The recorded ShellId (upper case) of the first Create, for clients and tests.
    QString recordedShellId() const { return m_shellId; }
    // Recorded CommandIds in order of their Command requests.
    QStringList recordedCommandIds() const { return m_commandIds; }
    // The recorded requests (creationXml/Arguments/Stream data decoded) and responses in order,
    // so a test can send exactly what pypsrp sent.
    struct Exchange {
        Wsman::ServerRequest request;
        QByteArray response;
        bool used = false;
    };
    const QList<Exchange> &exchanges() const { return m_exchanges; }

    struct Reply {
        int status = 200;
        QByteArray body;
        bool dropConnection = false;
        // A Receive the recording has no answer for: a client may keep a pool-level Receive
        // outstanding that the recording client never sent. The server holds it for the
        // OperationTimeout and answers 0x80338029, as a real server with nothing to send does.
        bool holdReceive = false;
    };
    Reply answer(const Wsman::ServerRequest &request);

private:
    static QString key(const Wsman::ServerRequest &request);
    // The client's request with recorded identifiers; learns new mappings on Create / Command.
    Wsman::ServerRequest toRecorded(const Wsman::ServerRequest &request);
    QByteArray toClient(QByteArray response) const;
    QByteArray rewriteFragments(const QByteArray &fragments) const;

    QList<Exchange> m_exchanges;
    QHash<QString, QList<qsizetype>> m_byKey;
    QString m_shellId;
    QStringList m_commandIds;
    QList<QByteArray> m_commandPids; // recorded PID bytes (as on the wire) per Command
    QByteArray m_recordedRpid;       // recorded RPID bytes of the Create's first message
    qsizetype m_answered = 0;

    // Client side, learnt while serving.
    QString m_clientShellId;
    QByteArray m_clientRpid;
    QHash<QString, QString> m_commandToRecorded; // client CommandId (upper) -> recorded
    QHash<QString, QString> m_commandToClient;   // recorded -> client CommandId as sent
    QHash<QByteArray, QByteArray> m_pidToClient; // recorded PID bytes -> client PID bytes
};

} // namespace TestServer
