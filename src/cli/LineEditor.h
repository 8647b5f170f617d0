#pragma once

#include "session/CommandHistory.h"
#include "session/InteractiveSession.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

#include <termios.h>

class QSocketNotifier;

namespace Cli {

// Reads the user's lines from stdin without blocking the event loop (a QSocketNotifier; one
// read() per wake-up). On a terminal: raw mode while a line is edited (left/right, home/end,
// backspace/delete, Ctrl+A/E/K/U/W, Up/Down history, Ctrl+R reverse search, Tab completion,
// Ctrl+C, Ctrl+D), cooked mode in between so Ctrl+C raises SIGINT while a command runs; the
// terminal settings are restored on every exit path, also fatal signals (installSignalRestore).
// Not a terminal: plain lines, each echoed as "<prompt><line>" to stdout so the output reads
// like a console transcript. Type-ahead is kept between reads. Lives on the event loop's thread;
// the history is borrowed and must outlive the editor.
class LineEditor : public QObject {
    Q_OBJECT
public:
    enum class Mode {
        Command, // history, completion, Ctrl+R; Ctrl+C clears the line
        Text,    // Read-Host and prompt fields: echoed, not in the history
        Secret,  // no echo, never in the history
        Key,     // one key, no echo (ReadKey)
    };
    enum class Outcome { Line, Interrupted, EndOfInput };
    using Handler = std::function<void(Outcome outcome, const QString &line)>;
    using Completer =
        std::function<void(const QString &text, qint32 cursor,
                           std::function<void(std::optional<Session::Completion>)> done)>;

    explicit LineEditor(int inputFd = 0, int outputFd = 1, QObject *parent = nullptr);
    ~LineEditor() override;

    bool isTerminal() const { return m_terminal; }
    int outputFd() const { return m_outputFd; }
    void setHistory(Session::CommandHistory *history) { m_history = history; }
    void setCompleter(Completer completer) { m_completer = std::move(completer); }

    // Starts reading one line (or key) after showing `prompt`; `handler` is called exactly once
    // unless cancel() comes first. A read under way is cancelled.
    // `promptShown`: the prompt is already on screen (e.g. Read-Host's text written by the
    // server), so it is neither written again nor echoed in the transcript.
    void read(const QString &prompt, Mode mode, Handler handler, bool promptShown = false);
    // Abandons the read under way (no handler call): the partial line is left on screen with a
    // newline after it, the terminal back in cooked mode.
    void cancel();
    bool isReading() const { return bool(m_handler); }

    // Writes `bytes` to `fd` without garbling the line being edited (erased, written, redrawn).
    void writeAbove(int fd, const QByteArray &bytes);

    // Terminal settings are put back when SIGTERM, SIGHUP or SIGQUIT end the process.
    static void installSignalRestore();

private:
    void onReadable();
    void process();
    bool handleKey(const QByteArray &key);
    void processPlain();
    void finish(Outcome outcome);
    void enterRawMode();
    void leaveRawMode();
    void render();
    void hideLine();
    void write(const QByteArray &bytes) const;
    void insert(const QString &text);
    void setBuffer(const QString &text);
    void historyStep(int delta);
    void searchStep(bool older);
    void endSearch(bool keep);
    void complete();
    void applyCompletion(const Session::Completion &completion);
    QString lastPromptLine() const;

    int m_inputFd;
    int m_outputFd;
    bool m_terminal = false;
    bool m_eof = false;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QByteArray m_pending; // bytes read and not yet used
    termios m_cooked{};
    bool m_raw = false;

    Handler m_handler;
    Mode m_mode = Mode::Command;
    QString m_prompt;
    QString m_buffer;
    qsizetype m_cursor = 0;
    bool m_shown = false;          // the line is on screen
    bool m_promptOnScreen = false; // the whole prompt was written (a redraw rewrites its last line)

    Session::CommandHistory *m_history = nullptr;
    qsizetype m_historyIndex = 0;
    QString m_stash; // the edited line while browsing the history

    bool m_searching = false;
    QString m_searchText;
    std::optional<qsizetype> m_searchIndex;
    QString m_beforeSearch;

    Completer m_completer;
    bool m_completing = false;
    quint64 m_generation = 0; // tells a late completion from the read it belongs to
};

} // namespace Cli
