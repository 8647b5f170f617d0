#include "cli/LineEditor.h"

#include <QPointer>
#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include <sys/ioctl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

// The settings to put back if a fatal signal ends the process in raw mode.
termios g_restoreSettings{};
volatile std::sig_atomic_t g_restoreFd = -1;

extern "C" void onFatalSignal(int signal)
{
    if (g_restoreFd >= 0)
        ::tcsetattr(g_restoreFd, TCSANOW, &g_restoreSettings);
    ::signal(signal, SIG_DFL);
    ::raise(signal);
}

constexpr char Bell = '\a';

int utf8Length(unsigned char lead)
{
    if (lead >= 0xf0)
        return 4;
    if (lead >= 0xe0)
        return 3;
    if (lead >= 0xc0)
        return 2;
    return 1;
}

void wipe(QString &text)
{
    text.fill(QChar(0));
    text.clear();
}

int terminalWidth(int fd)
{
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

} // namespace

LineEditor::LineEditor(int inputFd, int outputFd, QObject *parent)
    : QObject(parent), m_inputFd(inputFd), m_outputFd(outputFd)
{
    m_terminal = ::isatty(m_inputFd) == 1 && ::tcgetattr(m_inputFd, &m_cooked) == 0;
    if (m_terminal && ::isatty(m_outputFd) != 1 && ::isatty(STDERR_FILENO) == 1)
        m_outputFd = STDERR_FILENO; // the editing display belongs on the terminal
    m_notifier = std::make_unique<QSocketNotifier>(m_inputFd, QSocketNotifier::Read);
    m_notifier->setEnabled(false);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, [this] { onReadable(); });
}

LineEditor::~LineEditor()
{
    m_handler = nullptr;
    leaveRawMode();
    wipe(m_buffer);
}

void LineEditor::installSignalRestore()
{
    for (int s : {SIGTERM, SIGHUP, SIGQUIT}) {
        struct sigaction action {};
        action.sa_handler = &onFatalSignal;
        sigemptyset(&action.sa_mask);
        ::sigaction(s, &action, nullptr);
    }
}

void LineEditor::write(const QByteArray &bytes) const
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n =
            ::write(m_outputFd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n > 0)
            done += n;
        else if (!(n < 0 && (errno == EINTR || errno == EAGAIN)))
            return;
    }
}

void LineEditor::enterRawMode()
{
    if (!m_terminal || m_raw)
        return;
    if (::tcgetattr(m_inputFd, &m_cooked) != 0)
        return;
    termios raw = m_cooked;
    raw.c_iflag &= ~tcflag_t(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    g_restoreSettings = m_cooked;
    g_restoreFd = m_inputFd;
    m_raw = ::tcsetattr(m_inputFd, TCSANOW, &raw) == 0;
    if (!m_raw)
        g_restoreFd = -1;
}

void LineEditor::leaveRawMode()
{
    if (!m_raw)
        return;
    ::tcsetattr(m_inputFd, TCSANOW, &m_cooked);
    g_restoreFd = -1;
    m_raw = false;
}

void LineEditor::read(const QString &prompt, Mode mode, Handler handler, bool promptShown)
{
    cancel();
    ++m_generation;
    m_prompt = prompt;
    m_mode = mode;
    m_handler = std::move(handler);
    m_buffer.clear();
    m_cursor = 0;
    m_searching = false;
    m_completing = false;
    m_historyIndex = m_history ? m_history->size() : 0;
    m_stash.clear();
    m_shown = promptShown;
    m_promptOnScreen = promptShown;
    if (m_terminal) {
        enterRawMode();
        render();
    }
    if (!m_eof)
        m_notifier->setEnabled(true);
    process();
}

void LineEditor::cancel()
{
    if (!m_handler)
        return;
    ++m_generation;
    m_handler = nullptr;
    m_notifier->setEnabled(false);
    if (m_terminal && m_shown)
        write(QByteArrayLiteral("\r\n"));
    m_shown = false;
    m_searching = false;
    m_completing = false;
    leaveRawMode();
    wipe(m_buffer);
}

void LineEditor::writeAbove(int fd, const QByteArray &bytes)
{
    const bool redraw = m_handler && m_terminal && m_shown && m_mode != Mode::Key;
    if (redraw)
        hideLine();
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n > 0)
            done += n;
        else if (!(n < 0 && (errno == EINTR || errno == EAGAIN)))
            break;
    }
    if (redraw) {
        if (!bytes.endsWith('\n'))
            write(QByteArrayLiteral("\r\n"));
        m_promptOnScreen = false;
        render();
    }
}

void LineEditor::onReadable()
{
    char buffer[4096];
    const ssize_t n = ::read(m_inputFd, buffer, sizeof buffer);
    if (n > 0) {
        m_pending.append(buffer, n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        m_eof = true; // end of input, or the terminal hung up (EIO)
        m_notifier->setEnabled(false);
    }
    process();
}

void LineEditor::process()
{
    if (!m_handler || m_completing)
        return;
    if (!m_terminal) {
        processPlain();
        return;
    }
    while (m_handler && !m_completing && !m_pending.isEmpty()) {
        const auto lead = static_cast<unsigned char>(m_pending.at(0));
        qsizetype length = 1;
        if (lead == 0x1b) {
            if (m_pending.size() < 2)
                break;
            const char kind = m_pending.at(1);
            if (kind == '[') {
                qsizetype j = 2;
                while (j < m_pending.size() &&
                       !(m_pending.at(j) >= 0x40 && m_pending.at(j) <= 0x7e))
                    ++j;
                if (j >= m_pending.size())
                    break;
                length = j + 1;
            } else if (kind == 'O') {
                if (m_pending.size() < 3)
                    break;
                length = 3;
            } else {
                length = 2;
            }
        } else if (lead >= 0x80) {
            length = utf8Length(lead);
            if (m_pending.size() < length)
                break;
        }
        const QByteArray key = m_pending.left(length);
        m_pending.remove(0, length);
        handleKey(key);
    }
    if (m_handler && !m_completing && m_eof && m_pending.isEmpty())
        finish(Outcome::EndOfInput);
}

void LineEditor::processPlain()
{
    const qsizetype newline = m_pending.indexOf('\n');
    if (newline < 0 && !m_eof)
        return;
    if (newline < 0 && m_pending.isEmpty()) {
        finish(Outcome::EndOfInput);
        return;
    }
    QByteArray bytes = newline < 0 ? m_pending : m_pending.left(newline);
    m_pending.remove(0, newline < 0 ? m_pending.size() : newline + 1);
    if (bytes.endsWith('\r'))
        bytes.chop(1);
    m_buffer = QString::fromUtf8(bytes);
    bytes.fill('\0');
    // The transcript: the prompt, then the line it answers (a secret is never shown).
    QByteArray echo = m_promptOnScreen ? QByteArray() : m_prompt.toUtf8();
    if (m_mode == Mode::Command || m_mode == Mode::Text)
        echo += m_buffer.toUtf8();
    echo += '\n';
    write(echo);
    finish(Outcome::Line);
}

void LineEditor::finish(Outcome outcome)
{
    if (m_terminal && m_shown) {
        if (outcome == Outcome::Interrupted && m_mode == Mode::Command)
            write(QByteArrayLiteral("^C\r\n"));
        else if (m_mode == Mode::Command || m_mode == Mode::Text) {
            m_cursor = m_buffer.size();
            render();
            write(QByteArrayLiteral("\r\n"));
        } else {
            write(QByteArrayLiteral("\r\n"));
        }
    }
    m_shown = false;
    m_notifier->setEnabled(false);
    leaveRawMode();
    ++m_generation;
    Handler handler = std::exchange(m_handler, Handler());
    QString line = std::move(m_buffer);
    m_buffer.clear();
    if (handler)
        handler(outcome, outcome == Outcome::Line ? line : QString());
    wipe(line);
}

QString LineEditor::lastPromptLine() const
{
    const qsizetype newline = m_prompt.lastIndexOf(u'\n');
    return newline < 0 ? m_prompt : m_prompt.mid(newline + 1);
}

void LineEditor::render()
{
    if (!m_terminal || !m_handler)
        return;
    if (m_mode == Mode::Secret || m_mode == Mode::Key) {
        if (!m_shown && !m_promptOnScreen)
            write(m_prompt.toUtf8());
        m_shown = true;
        m_promptOnScreen = true;
        return;
    }
    QString text;
    qsizetype back = 0;
    if (m_searching) {
        const QString match =
            m_searchIndex && m_history ? m_history->entries().value(*m_searchIndex) : QString();
        text = u"(reverse-i-search)`"_s + m_searchText + u"': "_s + match;
    } else {
        text = m_buffer;
        back = m_buffer.size() - m_cursor;
    }
    QByteArray out;
    if (!m_promptOnScreen)
        out = m_prompt.toUtf8(); // first display: the whole prompt
    else
        out = "\r" + lastPromptLine().toUtf8();
    out += text.toUtf8() + QByteArrayLiteral("\x1b[K");
    if (back > 0)
        out += "\x1b[" + QByteArray::number(back) + 'D';
    write(out);
    m_shown = true;
    m_promptOnScreen = true;
}

void LineEditor::hideLine()
{
    if (!m_terminal || !m_shown)
        return;
    write(QByteArrayLiteral("\r\x1b[K"));
    m_shown = false;
    m_promptOnScreen = false;
}

void LineEditor::insert(const QString &text)
{
    m_buffer.insert(m_cursor, text);
    m_cursor += text.size();
}

void LineEditor::setBuffer(const QString &text)
{
    m_buffer = text;
    m_cursor = m_buffer.size();
}

void LineEditor::historyStep(int delta)
{
    if (!m_history || m_history->size() == 0) {
        write(QByteArray(1, Bell));
        return;
    }
    const QStringList &entries = m_history->entries();
    const qsizetype next = std::clamp<qsizetype>(m_historyIndex + delta, 0, entries.size());
    if (next == m_historyIndex) {
        write(QByteArray(1, Bell));
        return;
    }
    if (m_historyIndex == entries.size())
        m_stash = m_buffer;
    m_historyIndex = next;
    setBuffer(next == entries.size() ? m_stash : entries.at(next));
}

void LineEditor::searchStep(bool older)
{
    if (!m_history || m_searchText.isEmpty())
        return;
    std::optional<qsizetype> before;
    if (m_searchIndex)
        before = older ? *m_searchIndex : *m_searchIndex + 1;
    const auto found = m_history->searchBackward(m_searchText, before);
    if (found)
        m_searchIndex = found;
    else
        write(QByteArray(1, Bell));
}

void LineEditor::endSearch(bool keep)
{
    m_searching = false;
    if (keep && m_searchIndex && m_history)
        setBuffer(m_history->entries().value(*m_searchIndex));
    else
        setBuffer(m_beforeSearch);
}

void LineEditor::complete()
{
    if (!m_completer) {
        write(QByteArray(1, Bell));
        return;
    }
    m_completing = true;
    const quint64 generation = m_generation;
    QPointer<LineEditor> self(this);
    m_completer(m_buffer, qint32(m_cursor),
                [self, generation](std::optional<Session::Completion> completion) {
                    if (!self || self->m_generation != generation || !self->m_handler)
                        return;
                    self->m_completing = false;
                    if (completion)
                        self->applyCompletion(*completion);
                    else
                        self->write(QByteArray(1, Bell));
                    self->render();
                    self->process();
                });
}

void LineEditor::applyCompletion(const Session::Completion &completion)
{
    const QList<Session::CompletionMatch> &matches = completion.matches;
    if (matches.isEmpty()) {
        write(QByteArray(1, Bell));
        return;
    }
    const qsizetype index = std::clamp<qsizetype>(completion.replacementIndex, 0, m_buffer.size());
    const qsizetype length =
        std::clamp<qsizetype>(completion.replacementLength, 0, m_buffer.size() - index);
    QString replacement = matches.first().completionText;
    if (matches.size() > 1) {
        // The longest common prefix (case-insensitive) of the matches, when it adds to the word.
        for (const Session::CompletionMatch &m : matches) {
            qsizetype common = 0;
            while (common < replacement.size() && common < m.completionText.size() &&
                   replacement.at(common).toLower() == m.completionText.at(common).toLower())
                ++common;
            replacement.truncate(common);
        }
        if (replacement.size() <= length)
            replacement = m_buffer.mid(index, length);
    }
    m_buffer.replace(index, length, replacement);
    m_cursor = index + replacement.size();
    if (matches.size() == 1)
        return;
    // Several: the list under the line, in columns, then the line again.
    qsizetype widest = 0;
    for (const Session::CompletionMatch &m : matches)
        widest =
            std::max(widest, (m.listItemText.isEmpty() ? m.completionText : m.listItemText).size());
    const qsizetype columnWidth = widest + 2;
    const qsizetype columns = std::max<qsizetype>(1, terminalWidth(m_outputFd) / columnWidth);
    QString list;
    for (qsizetype i = 0; i < matches.size(); ++i) {
        const Session::CompletionMatch &m = matches.at(i);
        const QString item = m.listItemText.isEmpty() ? m.completionText : m.listItemText;
        const bool last = (i + 1) % columns == 0 || i + 1 == matches.size();
        list += last ? item + u"\r\n"_s : item.leftJustified(columnWidth);
    }
    m_cursor = std::min(m_cursor, m_buffer.size());
    const qsizetype keep = m_cursor;
    m_cursor = m_buffer.size();
    render();
    write(QByteArrayLiteral("\r\n") + list.toUtf8());
    m_cursor = keep;
    m_shown = false;
    m_promptOnScreen = false;
}

bool LineEditor::handleKey(const QByteArray &key)
{
    const auto c = static_cast<unsigned char>(key.at(0));
    if (m_mode == Mode::Key) {
        m_buffer = c == '\r' || c == '\n' ? u"\r"_s : QString::fromUtf8(key);
        finish(c == 0x03 ? Outcome::Interrupted : Outcome::Line);
        return true;
    }
    if (c == 0x03) { // Ctrl+C
        if (m_searching)
            endSearch(false);
        finish(Outcome::Interrupted);
        return true;
    }
    if (c == '\r' || c == '\n') {
        if (m_searching)
            endSearch(true);
        finish(Outcome::Line);
        return true;
    }
    if (m_mode == Mode::Secret) {
        if (c == 0x7f || c == 0x08) {
            if (!m_buffer.isEmpty())
                m_buffer.chop(1);
        } else if (c == 0x15) {
            wipe(m_buffer);
        } else if (c == 0x04 && m_buffer.isEmpty()) {
            finish(Outcome::EndOfInput);
        } else if (c >= 0x20 && c != 0x7f && c != 0x1b) {
            m_buffer += QString::fromUtf8(key);
        }
        return true;
    }
    const bool command = m_mode == Mode::Command;
    if (m_searching) {
        if (c == 0x12) {
            searchStep(true);
        } else if (c == 0x7f || c == 0x08) {
            m_searchText.chop(1);
            m_searchIndex.reset();
            searchStep(false);
        } else if (c == 0x07 || key == "\x1b\x1b") {
            endSearch(false);
        } else if (c >= 0x20 && c != 0x7f && c != 0x1b) {
            m_searchText += QString::fromUtf8(key);
            searchStep(false);
        } else {
            endSearch(true);
            return handleKey(key); // any other key edits the found line
        }
        render();
        return true;
    }
    auto isSpace = [this](qsizetype i) { return m_buffer.at(i).isSpace(); };
    if (key == "\x1b[D" || key == "\x1bOD" || c == 0x02) {
        if (m_cursor > 0)
            --m_cursor;
    } else if (key == "\x1b[C" || key == "\x1bOC" || c == 0x06) {
        if (m_cursor < m_buffer.size())
            ++m_cursor;
    } else if (key == "\x1b[H" || key == "\x1bOH" || key == "\x1b[1~" || key == "\x1b[7~" ||
               c == 0x01) {
        m_cursor = 0;
    } else if (key == "\x1b[F" || key == "\x1bOF" || key == "\x1b[4~" || key == "\x1b[8~" ||
               c == 0x05) {
        m_cursor = m_buffer.size();
    } else if (key == "\x1b[1;5D" || key == "\x1b"
                                            "b") {
        while (m_cursor > 0 && isSpace(m_cursor - 1))
            --m_cursor;
        while (m_cursor > 0 && !isSpace(m_cursor - 1))
            --m_cursor;
    } else if (key == "\x1b[1;5C" || key == "\x1b"
                                            "f") {
        while (m_cursor < m_buffer.size() && isSpace(m_cursor))
            ++m_cursor;
        while (m_cursor < m_buffer.size() && !isSpace(m_cursor))
            ++m_cursor;
    } else if (c == 0x7f || c == 0x08) {
        if (m_cursor > 0)
            m_buffer.remove(--m_cursor, 1);
    } else if (key == "\x1b[3~") {
        if (m_cursor < m_buffer.size())
            m_buffer.remove(m_cursor, 1);
    } else if (c == 0x04) { // Ctrl+D: end of input on an empty line, else delete
        if (m_buffer.isEmpty()) {
            finish(Outcome::EndOfInput);
            return true;
        }
        if (m_cursor < m_buffer.size())
            m_buffer.remove(m_cursor, 1);
    } else if (c == 0x0b) {
        m_buffer.truncate(m_cursor);
    } else if (c == 0x15) {
        m_buffer.remove(0, m_cursor);
        m_cursor = 0;
    } else if (c == 0x17) {
        qsizetype start = m_cursor;
        while (start > 0 && isSpace(start - 1))
            --start;
        while (start > 0 && !isSpace(start - 1))
            --start;
        m_buffer.remove(start, m_cursor - start);
        m_cursor = start;
    } else if (c == 0x0c) {
        write(QByteArrayLiteral("\x1b[H\x1b[2J"));
        m_shown = false;
        m_promptOnScreen = false;
    } else if (command && (key == "\x1b[A" || key == "\x1bOA" || c == 0x10)) {
        historyStep(-1);
    } else if (command && (key == "\x1b[B" || key == "\x1bOB" || c == 0x0e)) {
        historyStep(+1);
    } else if (command && c == 0x12) {
        m_searching = true;
        m_beforeSearch = m_buffer;
        m_searchText.clear();
        m_searchIndex.reset();
    } else if (command && c == '\t') {
        complete();
        return true;
    } else if (c >= 0x20 && c != 0x7f && c != 0x1b) {
        insert(QString::fromUtf8(key));
    } else if (c == '\t') {
        insert(u"    "_s);
    } else {
        return false; // other control keys and unknown sequences are ignored
    }
    render();
    return true;
}

} // namespace Cli
