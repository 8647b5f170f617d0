#pragma once

#include "cli/CliApp.h"
#include "cli/ConnectionOptions.h"
#include "cli/ErrorView.h"

#include "wsman/Channel.h"
#include "wsman/RunspacePoolClient.h"

#include <QString>
#include <QTextStream>

#include <functional>
#include <optional>

class QIODevice;

namespace Cli {

// What a failed session means for the user (exit code + one stderr line); with
// context.clientCertificate a refusal names --certificate-thumbprint.
Failure describeClientError(const Wsman::ClientError &error, const FailureContext &context = {});

// A TLS failure the pin-retry loop may offer to pin: the server presented a certificate.
bool isCertificateTrustFailure(const Wsman::ClientError &error);

// The outcome of one connection attempt, as the pin-retry loop needs it.
struct AttemptOutcome {
    int exitCode = 0;
    bool opened = false; // the pool opened (a --pin-certificate is then stored)
    // isCertificateTrustFailure: described by the loop, which may offer to pin.
    std::optional<Wsman::TransportError> tlsFailure;
};

// Everything `invoke` and `enter` do before and around running (dossier 3.x, 4.1): the client
// certificate from the store, TrustedHosts and CredSSP delegation consent, the password, the
// ClientOptions with certificate pins and the proxy password, and the TLS trust-on-first-use
// retry loop. Messages go to `err` prefixed "psremote-cli <command>: "; failures become ExitCode
// values. A value living for one command run; the password lives on only inside the
// authenticator factories of clientOptions().
class ConnectionSetup {
public:
    ConnectionSetup(QString command, ConnectionOptions options, QTextStream &err);

    // Consent, certificate, password (from `stdinDevice` with --password-stdin, else the
    // environment or the terminal): nullopt when ready, else the exit code (already explained).
    std::optional<int> prepare(QIODevice *stdinDevice);

    const ConnectionOptions &options() const { return m_options; }
    const Wsman::ConnectionTarget &target() const { return m_target; }
    // What failures of this connection are explained against (describeClientError).
    FailureContext failureContext() const;
    // "psremote-cli <command>: ", the start of every message of the command.
    QString prefix() const;
    // Valid after a successful prepare().
    const Wsman::ClientOptions &clientOptions() const { return m_clientOptions; }

    // Runs `attempt` with the client options; on an untrusted server certificate explains it and
    // (once, on a terminal) offers to pin it and try again; stores --pin-certificate once a
    // session opened. Returns the exit code.
    int run(const std::function<AttemptOutcome(const Wsman::ClientOptions &)> &attempt);

private:
    QString m_command;
    ConnectionOptions m_options;
    QTextStream &m_err;
    Wsman::ConnectionTarget m_target;
    Wsman::ClientOptions m_clientOptions;
};

} // namespace Cli
