#pragma once

#include <QByteArray>

#include <memory>

#include <csignal>

class QSocketNotifier;

namespace Cli {

// Routes SIGINT (and SIGWINCH when asked) into the event loop through a socket pair (self-pipe)
// while it lives, for `invoke`, `enter` and `sessions`; puts the previous dispositions back when
// destroyed. One at a time per process: the handler writes to one process-wide pair.
class SignalPipe {
public:
    enum class Watch { Interrupt, InterruptAndResize };

    explicit SignalPipe(Watch watch = Watch::Interrupt);
    ~SignalPipe();
    SignalPipe(const SignalPipe &) = delete;
    SignalPipe &operator=(const SignalPipe &) = delete;

    // Readable when a signal arrived; null when the pair could not be made.
    QSocketNotifier *notifier() const { return m_notifier.get(); }
    // The signals received since the last call, in order ('i' SIGINT, 'w' SIGWINCH).
    static QByteArray take();

private:
    struct sigaction m_oldInt {};
    struct sigaction m_oldWinch {};
    bool m_intInstalled = false;
    bool m_winchInstalled = false;
    std::unique_ptr<QSocketNotifier> m_notifier;
};

} // namespace Cli
