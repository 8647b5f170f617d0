#pragma once

#include "wsman/Authenticator.h"
#include "wsman/SessionOption.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <optional>
#include <variant>

class QIODevice;

namespace Cli {

enum class PasswordErrorCode {
    NoTerminal,  // no password given and no terminal to prompt on: fails at once
    StdinEmpty,  // --password-stdin but stdin ended before a line
    Interrupted, // Ctrl+C at the prompt
    ReadFailed,
};

struct PasswordError {
    PasswordErrorCode code;
    QString message; // one sentence for stderr
};

// Where a password may come from, in order: the first line of stdin (--password-stdin), the
// PSREMOTE_PASSWORD variable, a prompt without echo on the terminal. Never an argument.
struct PasswordSources {
    bool fromStdin = false;
    QIODevice *stdinDevice = nullptr;     // read up to the first newline only
    std::optional<QByteArray> environment; // PSREMOTE_PASSWORD, when set
    QByteArray terminalPath = QByteArrayLiteral("/dev/tty");
    QString prompt;

    // environment from the process (PSREMOTE_PASSWORD), the rest default.
    static PasswordSources fromProcess(QIODevice *stdinDevice, bool fromStdin, const QString &prompt);
};

using PasswordResult = std::variant<Wsman::Secret, PasswordError>;

// Obtains the password from the first source that applies. The terminal's echo is switched off
// while typing and its settings restored on every path (including Ctrl+C).
PasswordResult obtainPassword(const PasswordSources &sources);

// A client certificate key's passphrase: PSREMOTE_CERTIFICATE_PASSPHRASE, else a prompt without
// echo on the terminal (in the GUI its keychain plays this part).
PasswordResult obtainCertificatePassphrase(const QString &prompt,
                                           const QByteArray &terminalPath = QByteArrayLiteral("/dev/tty"));

// The proxy password for --session-option ProxyCredential=USER: PSREMOTE_PROXY_PASSWORD, else
// a prompt without echo on the terminal; never an argument or stdin (stdin may carry the
// endpoint's password). Negotiate without ProxyCredential needs none: nullptr then.
struct ProxyPasswordResult {
    std::shared_ptr<const Wsman::Secret> password; // null when no proxy credential is configured
    std::optional<PasswordError> error;
};
ProxyPasswordResult obtainProxyPassword(const Wsman::SessionOption &options,
                                        const QByteArray &terminalPath = QByteArrayLiteral("/dev/tty"));

// Reads one line (without "\r\n"/"\n") from the terminal at `terminalPath` with echo off.
PasswordResult promptOnTerminal(const QByteArray &terminalPath, const QString &prompt);

} // namespace Cli
