#include "cli/SignalPipe.h"

#include <QSocketNotifier>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Cli {

namespace {

int g_signalFds[2] = {-1, -1};

extern "C" void onCliSignal(int signal)
{
    const char c = signal == SIGINT ? 'i' : 'w';
    if (g_signalFds[0] >= 0)
        (void)!::write(g_signalFds[0], &c, 1);
}

} // namespace

SignalPipe::SignalPipe(Watch watch)
{
    if (g_signalFds[0] >= 0 || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalFds) != 0)
        return;
    ::fcntl(g_signalFds[0], F_SETFL, O_NONBLOCK);
    ::fcntl(g_signalFds[1], F_SETFL, O_NONBLOCK);
    struct sigaction action {};
    action.sa_handler = &onCliSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    m_intInstalled = ::sigaction(SIGINT, &action, &m_oldInt) == 0;
    if (watch == Watch::InterruptAndResize)
        m_winchInstalled = ::sigaction(SIGWINCH, &action, &m_oldWinch) == 0;
    m_notifier = std::make_unique<QSocketNotifier>(g_signalFds[1], QSocketNotifier::Read);
}

SignalPipe::~SignalPipe()
{
    if (!m_notifier)
        return; // another SignalPipe owns the pair
    m_notifier.reset();
    if (m_intInstalled)
        ::sigaction(SIGINT, &m_oldInt, nullptr);
    if (m_winchInstalled)
        ::sigaction(SIGWINCH, &m_oldWinch, nullptr);
    for (int &fd : g_signalFds) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

QByteArray SignalPipe::take()
{
    QByteArray all;
    if (g_signalFds[1] < 0)
        return all;
    char buffer[16];
    ssize_t n = 0;
    while ((n = ::read(g_signalFds[1], buffer, sizeof buffer)) > 0)
        all.append(buffer, n);
    return all;
}

} // namespace Cli
