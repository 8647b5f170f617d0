#include "cli/TerminalReader.h"

#include <QSocketNotifier>

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

namespace Cli {

bool TerminalReader::interactive()
{
    if (::isatty(STDIN_FILENO) != 1)
        return false;
    const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ::close(fd);
    return true;
}

TerminalReader::TerminalReader() = default;

TerminalReader::~TerminalReader()
{
    cancel();
    m_notifier.reset();
    if (m_fd >= 0)
        ::close(m_fd);
}

bool TerminalReader::openTerminal()
{
    if (m_fd >= 0)
        return true;
    m_fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (m_fd < 0)
        return false;
    if (::isatty(m_fd) != 1) {
        ::close(m_fd);
        m_fd = -1;
        return false;
    }
    m_notifier = std::make_unique<QSocketNotifier>(m_fd, QSocketNotifier::Read);
    m_notifier->setEnabled(false);
    QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(), [this] { onReadable(); });
    return true;
}

void TerminalReader::show(const QString &text)
{
    if (!openTerminal())
        return;
    const QByteArray bytes = text.toUtf8();
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(m_fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n > 0)
            done += n;
        else if (!(n < 0 && (errno == EINTR || errno == EAGAIN)))
            return;
    }
}

bool TerminalReader::read(const QString &prompt, bool echo, LineHandler handler)
{
    cancel();
    if (!openTerminal())
        return false;
    if (!echo && ::tcgetattr(m_fd, &m_saved) == 0) {
        termios quiet = m_saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        quiet.c_lflag |= ECHONL;
        m_echoOff = ::tcsetattr(m_fd, TCSAFLUSH, &quiet) == 0;
    }
    show(prompt);
    m_line.clear();
    m_handler = std::move(handler);
    m_notifier->setEnabled(true);
    return true;
}

void TerminalReader::onReadable()
{
    char buffer[256];
    for (;;) {
        const ssize_t n = ::read(m_fd, buffer, sizeof buffer);
        if (n > 0) {
            for (ssize_t i = 0; i < n; ++i) {
                if (buffer[i] == '\n') {
                    if (m_line.endsWith('\r'))
                        m_line.chop(1);
                    finish(true);
                    return; // type-ahead after the newline stays for the next read (canonical mode)
                }
                m_line.append(buffer[i]);
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        finish(false); // end of file or a read error
        return;
    }
}

void TerminalReader::finish(bool ok)
{
    m_notifier->setEnabled(false);
    restoreEcho();
    LineHandler handler = std::move(m_handler);
    m_handler = nullptr;
    QByteArray line = std::move(m_line);
    m_line.clear();
    if (handler)
        handler(ok, line);
    line.fill('\0');
}

void TerminalReader::cancel()
{
    if (m_notifier)
        m_notifier->setEnabled(false);
    m_handler = nullptr;
    m_line.fill('\0');
    m_line.clear();
    restoreEcho();
}

void TerminalReader::restoreEcho()
{
    if (m_echoOff && m_fd >= 0)
        ::tcsetattr(m_fd, TCSANOW, &m_saved);
    m_echoOff = false;
}

} // namespace Cli
