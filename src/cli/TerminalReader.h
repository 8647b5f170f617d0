#pragma once

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

#include <termios.h>

class QSocketNotifier;

namespace Cli {

// Reads lines from the controlling terminal without blocking the event loop: /dev/tty is opened
// non-blocking (its own open file description, so stdin's flags stay untouched) and watched with
// a QSocketNotifier. Echo may be switched off for one line; the terminal settings are restored
// when the line ends, on cancel() and on destruction. Lives on the event loop's thread.
class TerminalReader {
public:
    // Called once per read(): `ok` and the line without "\r\n"/"\n"; `ok` false when the
    // terminal closed or failed.
    using LineHandler = std::function<void(bool ok, const QByteArray &line)>;

    // True when stdin is a terminal and the controlling terminal can be opened.
    static bool interactive();

    TerminalReader();
    ~TerminalReader();
    TerminalReader(const TerminalReader &) = delete;
    TerminalReader &operator=(const TerminalReader &) = delete;

    // Shows `prompt` on the terminal and starts reading one line; false when no terminal opens.
    bool read(const QString &prompt, bool echo, LineHandler handler);
    // Writes text to the terminal (prompts, menus).
    void show(const QString &text);
    // Abandons the read under way (no handler call) and restores the terminal.
    void cancel();
    bool isReading() const { return bool(m_handler); }

private:
    bool openTerminal();
    void onReadable();
    void finish(bool ok);
    void restoreEcho();

    int m_fd = -1;
    std::unique_ptr<QSocketNotifier> m_notifier;
    LineHandler m_handler;
    QByteArray m_line;
    termios m_saved {};
    bool m_echoOff = false;
};

} // namespace Cli
