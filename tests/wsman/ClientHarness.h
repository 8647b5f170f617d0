#pragma once

// Shared by the client integration tests (simulator, real PowerShell, Windows recordings): the
// event-loop wait, the loopback endpoint with Basic credentials, and a Session recording every
// signal of a Wsman::RunspacePoolClient.
#include "LoopbackServer.h"

#include "psrp/Payloads.h"
#include "psrp/Value.h"
#include "wsman/Channel.h"
#include "wsman/RunspacePoolClient.h"

#include <QHash>
#include <QList>
#include <QStringList>
#include <QUrl>
#include <QUuid>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace ClientHarness {

// Spins the event loop until `done` holds or the guard fires (a guard against hangs, never a
// timing assertion); false on the guard.
bool runUntil(const std::function<bool()> &done, int guardMs = 20000);

// Posts one envelope on `channel` and waits for its result (TimedOut after the hang guard).
Wsman::TransportResult postOne(Wsman::Channel &channel, const QByteArray &body, int guardMs = 30000);

// A WS-Enumeration Enumerate of shells for `url`: a harmless request to drive a channel with.
QByteArray enumerateEnvelope(const QUrl &url);

inline const QString User = QStringLiteral("alice");
inline const QString Password = QStringLiteral("s3cret");

// The loopback endpoint requiring Basic User/Password, listening; null (and a test failure) if not.
std::unique_ptr<TestServer::LoopbackServer> startEndpoint(TestServer::ServerConfig config = TestServer::ServerConfig());

// Basic over plain HTTP (NoEncryption, explicit as the CLI requires), en-US cultures.
Wsman::ClientOptions basicOptions(const QUrl &url, const QString &password = Password);

struct Finished {
    Psrp::PSInvocationState state = Psrp::PSInvocationState::NotStarted;
    std::optional<Psrp::ErrorRecord> error;
};

// A client plus everything its signals reported. Hooks: `onOpened` runs inside opened() (e.g. to
// start the key exchange before the next pool Receive); `onHostCall` sees every host call after it
// is recorded (e.g. to answer it).
struct Session {
    std::unique_ptr<Wsman::RunspacePoolClient> client;
    bool opened = false;
    bool closed = false;
    bool keyReady = false;
    QList<Wsman::ClientError> failures;
    QList<Wsman::ClientError> pipelineErrors;
    QList<Psrp::Value> output;
    QList<std::pair<Psrp::MessageType, Psrp::Payload>> records;
    QList<std::pair<Psrp::MessageType, Psrp::Payload>> poolMessages;
    QHash<QUuid, Finished> finished;
    QList<std::pair<QUuid, Psrp::HostCall>> hostCalls;
    QList<Psrp::RunspacePoolState> states;
    std::function<void(Wsman::RunspacePoolClient &)> onOpened;
    std::function<void(const QUuid &, const Psrp::HostCall &)> onHostCall;

    explicit Session(Wsman::ClientOptions options);

    // The failures and pipeline errors so far, one per line.
    std::string why() const;
    bool open();
    bool close();
    // Starts a script (null id and a test failure when refused).
    QUuid start(const QString &script, bool noInput = true, bool outString = false);
    bool waitFinished(const QUuid &pid, int guardMs = 15000);
    // Runs a script or a pipeline to its end; the pipeline id (null when refused).
    QUuid run(const QString &script, bool outString = false);
    QUuid run(const Psrp::CreatePipeline &request);
    Psrp::PSInvocationState stateOf(const QUuid &pid) const { return finished.value(pid).state; }
    // Output as text: strings, integers, objects by ToString or type; SecureStrings decrypted
    // with the session key and marked "secure:".
    QStringList outputStrings() const;
    QList<Psrp::MessageType> recordTypes() const;
    // The message of the first warning, verbose or debug record of `type`.
    QString informationalText(Psrp::MessageType type) const;
};

} // namespace ClientHarness
