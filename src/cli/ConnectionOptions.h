#pragma once

#include "wsman/ConnectionInfo.h"
#include "wsman/SessionOption.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace Cli {

// A command-line mistake: exit code 2, one line naming the offending option.
struct UsageError {
    QString option;  // the option or argument at fault, e.g. "--port"
    QString message; // the sentence shown to the user
};

// The connection options shared by `invoke` and `enter` (Enter-PSSession's parameter names):
// what they parse into, and the parser. A plain value type; it never holds a password (the
// password comes from Password.h, never from an argument).
struct ConnectionOptions {
    Wsman::ConnectionInfo connection;
    Wsman::SessionOption sessionOption;
    bool passwordStdin = false;
    QString traceFile; // empty: no trace
    // Consent without a dialog (the TrustedHosts rule, wsman/TrustedHosts.h): patterns trusted
    // for this run, and whether to add them to the shared list as well.
    QStringList trustedHosts;
    bool saveTrustedHosts = false;
    bool allowDelegation = false; // consent to CredSSP's credential delegation
    // Trust on first use without a prompt: the SHA-256 (raw 32 bytes) the server's certificate
    // must have; stored as a pin once the session opened.
    std::optional<QByteArray> pinCertificate;

    enum class Consumed { No, Yes, Error };

    // Tries to read one connection option at arguments[index] ("--name value" or "--name=value";
    // a bare word that is not an option is HOST). On Yes, index points past what was read.
    // No: not a connection option (the caller handles it). Error: `error` is set.
    Consumed consume(const QStringList &arguments, qsizetype &index, UsageError &error);

    // After all arguments: the checks that need the whole set (HOST or --connection-uri given,
    // no conflicting parameters, an implemented --authentication, a credential where the
    // mechanism needs a password, HTTPS for certificates). nullopt when valid.
    std::optional<UsageError> validate() const;

    // The option lines of `--help`, shared by every command taking connection options.
    static QString helpText();
};

// One --session-option argument as NAME=VALUE pairs: split at commas, except that an
// ApplicationArguments pair takes the rest of the argument (its VALUE may contain commas;
// no other option's value can). "A=1,,B=2" has an empty pair, which is an error for the caller.
QStringList splitSessionOptions(const QString &value);

// The user-facing sentence for a ConfigError from wsman (a bad option value).
QString configErrorSentence(const Wsman::ConfigError &error, const QString &option);

} // namespace Cli
