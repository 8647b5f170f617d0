#include "cli/Password.h"

#include <QIODevice>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

volatile std::sig_atomic_t g_promptInterrupted = 0;

extern "C" void onPromptSigint(int)
{
    g_promptInterrupted = 1;
}

void wipe(QByteArray &bytes)
{
    if (!bytes.isEmpty())
        std::memset(bytes.data(), 0, size_t(bytes.size()));
    bytes.clear();
}

void stripLineEnd(QByteArray &line)
{
    while (!line.isEmpty() && (line.endsWith('\n') || line.endsWith('\r'))) {
        line[line.size() - 1] = '\0';
        line.chop(1);
    }
}

// Owns the terminal descriptor and puts back its settings and the SIGINT disposition on every
// path out of the prompt.
class TerminalGuard {
public:
    explicit TerminalGuard(int fd) : m_fd(fd) {}
    ~TerminalGuard()
    {
        if (m_termiosSaved)
            ::tcsetattr(m_fd, TCSAFLUSH, &m_saved);
        if (m_signalSaved)
            ::sigaction(SIGINT, &m_oldAction, nullptr);
        if (m_fd >= 0)
            ::close(m_fd);
    }
    TerminalGuard(const TerminalGuard &) = delete;
    TerminalGuard &operator=(const TerminalGuard &) = delete;

    bool echoOff()
    {
        if (::tcgetattr(m_fd, &m_saved) != 0)
            return false;
        m_termiosSaved = true;
        termios quiet = m_saved;
        quiet.c_lflag &= ~tcflag_t(ECHO | ECHOE | ECHOK | ECHONL);
        quiet.c_lflag |= ICANON;
        return ::tcsetattr(m_fd, TCSAFLUSH, &quiet) == 0;
    }
    void catchSigint()
    {
        struct sigaction action {};
        action.sa_handler = &onPromptSigint;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0; // no SA_RESTART: read() returns EINTR
        g_promptInterrupted = 0;
        m_signalSaved = ::sigaction(SIGINT, &action, &m_oldAction) == 0;
    }

private:
    int m_fd;
    termios m_saved{};
    bool m_termiosSaved = false;
    struct sigaction m_oldAction {};
    bool m_signalSaved = false;
};

} // namespace

PasswordSources PasswordSources::fromProcess(QIODevice *stdinDevice, bool fromStdin, const QString &prompt)
{
    PasswordSources s;
    s.fromStdin = fromStdin;
    s.stdinDevice = stdinDevice;
    s.prompt = prompt;
    if (qEnvironmentVariableIsSet("PSREMOTE_PASSWORD"))
        s.environment = qgetenv("PSREMOTE_PASSWORD");
    return s;
}

PasswordResult promptOnTerminal(const QByteArray &terminalPath, const QString &prompt)
{
    const int fd = ::open(terminalPath.constData(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || !::isatty(fd)) {
        if (fd >= 0)
            ::close(fd);
        return PasswordError{PasswordErrorCode::NoTerminal,
                             u"no password given and no terminal to ask for one; use --password-stdin or "
                             "set PSREMOTE_PASSWORD"_s};
    }
    TerminalGuard guard(fd);
    guard.catchSigint();
    if (!guard.echoOff())
        return PasswordError{PasswordErrorCode::NoTerminal,
                             u"cannot switch off echo on the terminal; use --password-stdin or set PSREMOTE_PASSWORD"_s};
    const QByteArray promptBytes = prompt.toUtf8();
    if (!promptBytes.isEmpty())
        (void)!::write(fd, promptBytes.constData(), size_t(promptBytes.size()));

    QByteArray line;
    char c = 0;
    for (;;) {
        const ssize_t n = ::read(fd, &c, 1);
        if (n == 1) {
            if (c == '\n')
                break;
            line.append(c);
            continue;
        }
        if (n < 0 && errno == EINTR && !g_promptInterrupted)
            continue;
        (void)!::write(fd, "\n", 1);
        wipe(line);
        if (n < 0 && errno == EINTR)
            return PasswordError{PasswordErrorCode::Interrupted, u"interrupted at the password prompt"_s};
        if (n == 0)
            return PasswordError{PasswordErrorCode::ReadFailed, u"the terminal closed before a password was typed"_s};
        return PasswordError{PasswordErrorCode::ReadFailed,
                             u"cannot read the password from the terminal: %1"_s.arg(QString::fromLocal8Bit(std::strerror(errno)))};
    }
    (void)!::write(fd, "\n", 1);
    c = 0;
    stripLineEnd(line);
    Wsman::Secret secret = Wsman::Secret::fromUtf8(line);
    wipe(line);
    return secret;
}

PasswordResult obtainCertificatePassphrase(const QString &prompt, const QByteArray &terminalPath)
{
    if (qEnvironmentVariableIsSet("PSREMOTE_CERTIFICATE_PASSPHRASE"))
        return Wsman::Secret::fromUtf8(qgetenv("PSREMOTE_CERTIFICATE_PASSPHRASE"));
    PasswordResult result = promptOnTerminal(terminalPath, prompt);
    if (auto *e = std::get_if<PasswordError>(&result); e && e->code == PasswordErrorCode::NoTerminal)
        e->message = u"the key is encrypted and there is no terminal to ask for its passphrase; set "
                     "PSREMOTE_CERTIFICATE_PASSPHRASE"_s;
    return result;
}

ProxyPasswordResult obtainProxyPassword(const Wsman::SessionOption &options, const QByteArray &terminalPath)
{
    if (options.proxyCredentialUserName.isEmpty())
        return {};
    if (qEnvironmentVariableIsSet("PSREMOTE_PROXY_PASSWORD"))
        return {std::make_shared<const Wsman::Secret>(Wsman::Secret::fromUtf8(qgetenv("PSREMOTE_PROXY_PASSWORD"))), std::nullopt};
    PasswordResult result = promptOnTerminal(terminalPath, u"Proxy password for %1: "_s.arg(options.proxyCredentialUserName));
    if (auto *e = std::get_if<PasswordError>(&result)) {
        if (e->code == PasswordErrorCode::NoTerminal)
            e->message = u"ProxyCredential is set and there is no terminal to ask for the proxy password; set "
                         "PSREMOTE_PROXY_PASSWORD"_s;
        return {nullptr, *e};
    }
    return {std::make_shared<const Wsman::Secret>(std::get<Wsman::Secret>(std::move(result))), std::nullopt};
}

PasswordResult obtainPassword(const PasswordSources &sources)
{
    if (sources.fromStdin) {
        if (!sources.stdinDevice || !sources.stdinDevice->isReadable())
            return PasswordError{PasswordErrorCode::StdinEmpty, u"--password-stdin: stdin cannot be read"_s};
        QByteArray line = sources.stdinDevice->readLine();
        if (line.isEmpty())
            return PasswordError{PasswordErrorCode::StdinEmpty,
                                 u"--password-stdin: stdin is empty; pipe the password as its first line"_s};
        stripLineEnd(line);
        Wsman::Secret secret = Wsman::Secret::fromUtf8(line);
        wipe(line);
        return secret;
    }
    if (sources.environment)
        return Wsman::Secret::fromUtf8(*sources.environment);
    return promptOnTerminal(sources.terminalPath, sources.prompt);
}

} // namespace Cli
