#include "cli/TerminalUi.h"

#include "cli/ConsoleFormat.h"
#include "cli/InvokeCommand.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

// PowerShell console colours: errors Red, warnings/verbose/debug Yellow (ConsoleColor 12, 14).
const QString ErrorSgr = u"91"_s;
const QString WarningSgr = u"93"_s;

bool colourTerminal()
{
    const QByteArray term = qgetenv("TERM");
    return ::isatty(STDOUT_FILENO) == 1 && !term.isEmpty() && term != "dumb" &&
           qgetenv("NO_COLOR").isEmpty();
}

} // namespace

TerminalUi::TerminalUi(LineEditor &editor) : m_editor(editor)
{
    m_stdoutTty = ::isatty(STDOUT_FILENO) == 1;
    m_colour = colourTerminal();
    m_raw.windowTitle = u"psremote-cli"_s;
    updateWindowSize();
}

void TerminalUi::updateWindowSize()
{
    winsize ws{};
    const int fd = m_stdoutTty ? STDOUT_FILENO : m_editor.outputFd();
    if (::isatty(fd) != 1 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0)
        return; // PowerShell's 120 x 50 default for redirected output
    const Psrp::Size size{qint32(ws.ws_col), qint32(ws.ws_row)};
    m_raw.windowSize = size;
    m_raw.maxWindowSize = size;
    m_raw.maxPhysicalWindowSize = size;
    m_raw.bufferSize.width = size.width;
}

QString TerminalUi::styled(const QString &text, const QString &sgr) const
{
    if (!m_colour || sgr.isEmpty() || text.isEmpty())
        return text;
    return u"\x1b["_s + sgr + u'm' + text + u"\x1b[0m"_s;
}

void TerminalUi::put(int fd, const QString &text)
{
    if (text.isEmpty())
        return;
    const bool progress = !m_progressLine.isEmpty() && m_stdoutTty;
    if (progress)
        clearProgress();
    m_editor.writeAbove(fd, text.toUtf8());
    if (fd == STDOUT_FILENO) {
        const qsizetype newline = text.lastIndexOf(u'\n');
        m_partialLine = newline < 0 ? m_partialLine + text : text.mid(newline + 1);
    }
    if (progress)
        drawProgress();
}

void TerminalUi::write(const Session::HostText &text)
{
    using Session::TextStream;
    QString body = m_colour ? text.text : stripTerminalSequences(text.text);
    QString sgr;
    switch (text.stream) {
    case TextStream::Output:
    case TextStream::Information:
        if (text.foregroundColor)
            sgr = foregroundSgr(*text.foregroundColor);
        if (text.backgroundColor) {
            const QString bg = backgroundSgr(*text.backgroundColor);
            sgr = sgr.isEmpty() ? bg : sgr + u';' + bg;
        }
        break;
    case TextStream::Error:
        sgr = ErrorSgr;
        break;
    case TextStream::Warning:
        body = u"WARNING: "_s + body;
        sgr = WarningSgr;
        break;
    case TextStream::Verbose:
        body = u"VERBOSE: "_s + body;
        sgr = WarningSgr;
        break;
    case TextStream::Debug:
        body = u"DEBUG: "_s + body;
        sgr = WarningSgr;
        break;
    }
    if (text.stream != TextStream::Output && text.stream != TextStream::Information &&
        !m_partialLine.isEmpty()) {
        // A record interrupting a partial line (e.g. the warning before a secure Read-Host): on
        // its own line, the partial line (the question's prompt) shown again after it.
        const QString partial = m_partialLine;
        put(STDOUT_FILENO, u"\n"_s + styled(body, sgr) + u"\n"_s + partial);
        return;
    }
    put(STDOUT_FILENO, styled(body, sgr) + (text.newline ? u"\n"_s : QString()));
}

void TerminalUi::writeClientError(const QString &text)
{
    const bool colour = m_colour && ::isatty(STDERR_FILENO) == 1;
    put(STDERR_FILENO, (colour ? QString(u"\x1b[91m"_s + text + u"\x1b[0m"_s) : text) + u'\n');
}

void TerminalUi::note(Session::NoteKind kind, const QString &text)
{
    switch (kind) {
    case Session::NoteKind::Info:
        put(STDERR_FILENO, text + u'\n');
        break;
    case Session::NoteKind::Warning:
        put(STDERR_FILENO, (m_colour && ::isatty(STDERR_FILENO) == 1
                                ? QString(u"\x1b[93mWARNING: "_s + text + u"\x1b[0m"_s)
                                : QString(u"WARNING: "_s + text)) +
                               u'\n');
        break;
    case Session::NoteKind::Error:
        if (m_entered) {
            writeClientError(text);
            m_lastErrorNote = text;
        }
        break;
    }
}

// Progress on one line rewritten in place (PowerShell's console shows a bar; a line is what a
// scrolling terminal can keep current); only on a terminal, nothing in a transcript.
void TerminalUi::progressChanged(const QList<Session::ProgressItem> &active)
{
    if (!m_stdoutTty)
        return;
    if (active.isEmpty()) {
        clearProgress();
        m_progressLine.clear();
        return;
    }
    // The session's own items (negative sourceId: the robust connection's "Network connection
    // interrupted") come after the remote ones: the last item is the one to show.
    const Session::ProgressItem &item = active.constLast();
    const Psrp::ProgressRecord &r = item.record;
    QString line = r.activity;
    if (!r.statusDescription.isEmpty())
        line += u": "_s + r.statusDescription;
    if (r.percentComplete >= 0 && r.percentComplete <= 100)
        line += u" [%1%]"_s.arg(r.percentComplete);
    if (item.sourceId < 0 && r.secondsRemaining >= 0)
        line += u" %1 s left"_s.arg(r.secondsRemaining);
    line.replace(u'\n', u' ');
    line.truncate(qMax(10, m_raw.windowSize.width - 1));
    clearProgress();
    m_progressLine = line;
    drawProgress();
}

void TerminalUi::clearProgress()
{
    if (!m_progressLine.isEmpty() && m_partialLine.isEmpty())
        m_editor.writeAbove(STDOUT_FILENO, QByteArrayLiteral("\r\x1b[K"));
}

void TerminalUi::drawProgress()
{
    if (m_progressLine.isEmpty() || !m_partialLine.isEmpty() || m_editor.isReading())
        return;
    const QString text = m_colour ? u"\x1b[7m"_s + m_progressLine + u"\x1b[0m"_s : m_progressLine;
    m_editor.writeAbove(STDOUT_FILENO, (u"\r"_s + text).toUtf8());
}

void TerminalUi::rawUiChanged(Psrp::HostMethodId setter, const Session::RawUiState &state)
{
    m_raw = state;
    if (setter == Psrp::HostMethodId::SetWindowTitle && m_stdoutTty) {
        QString title = stripTerminalSequences(state.windowTitle);
        title.remove(u'\a');
        m_editor.writeAbove(STDOUT_FILENO, (u"\x1b]0;"_s + title + u'\a').toUtf8()); // OSC 0
    }
}

void TerminalUi::flushInputBuffer()
{
    if (m_editor.isTerminal())
        ::tcflush(STDIN_FILENO, TCIFLUSH);
}

void TerminalUi::cancelInput()
{
    m_questions.clear();
    if (m_questionActive) {
        m_questionActive = false;
        m_editor.cancel();
        m_partialLine.clear();
    }
}

void TerminalUi::enqueue(std::function<void()> start)
{
    m_questions.append(std::move(start));
    if (!m_questionActive) {
        m_questionActive = true;
        m_questions.takeFirst()();
    }
}

void TerminalUi::questionDone()
{
    m_questionActive = false;
    if (!m_questions.isEmpty()) {
        m_questionActive = true;
        m_questions.takeFirst()();
    }
}

void TerminalUi::ask(const QString &prompt, LineEditor::Mode mode, LineDone done,
                     Cancelled cancelled)
{
    const QString shown = m_partialLine;
    if (!m_progressLine.isEmpty() && shown.isEmpty())
        clearProgress();
    if (!prompt.isEmpty())
        put(STDOUT_FILENO, prompt);
    const QString full = m_partialLine;
    m_editor.read(
        full, mode,
        [this, done, cancelled](LineEditor::Outcome outcome, const QString &line) {
            m_partialLine.clear();
            switch (outcome) {
            case LineEditor::Outcome::Line:
                done(line);
                return;
            case LineEditor::Outcome::Interrupted:
                // The session stops the pipeline, abandons this question and calls cancelInput().
                if (m_onInterrupt)
                    m_onInterrupt();
                if (m_questionActive)
                    cancelled(u"The operation was cancelled by the user."_s);
                return;
            case LineEditor::Outcome::EndOfInput:
                cancelled(u"the input ended before an answer was given"_s);
                return;
            }
        },
        !full.isEmpty());
}

void TerminalUi::readLine(Session::Reply<QString> reply)
{
    enqueue([this, reply] {
        ask(
            {}, LineEditor::Mode::Text,
            [this, reply](const QString &line) {
                reply.complete(line);
                questionDone();
            },
            [this, reply](const QString &why) {
                reply.cancel(why);
                questionDone();
            });
    });
}

void TerminalUi::readLineAsSecureString(Session::Reply<Wsman::Secret> reply)
{
    enqueue([this, reply] {
        ask(
            {}, LineEditor::Mode::Secret,
            [this, reply](const QString &line) {
                reply.complete(Wsman::Secret(line));
                questionDone();
            },
            [this, reply](const QString &why) {
                reply.cancel(why);
                questionDone();
            });
    });
}

void TerminalUi::readKey(qint32, Session::Reply<Psrp::KeyInfo> reply)
{
    enqueue([this, reply] {
        ask(
            {}, LineEditor::Mode::Key,
            [this, reply](const QString &line) {
                Psrp::KeyInfo key;
                key.character = line.isEmpty() ? u'\r' : line.at(0).unicode();
                key.virtualKeyCode = line.isEmpty() ? 13 : int(QChar::toUpper(key.character));
                key.keyDown = true;
                reply.complete(key);
                questionDone();
            },
            [this, reply](const QString &why) {
                reply.cancel(why);
                questionDone();
            });
    });
}

void TerminalUi::showHeading(const QString &caption, const QString &message)
{
    QString text;
    if (!m_partialLine.isEmpty())
        text += u'\n';
    if (!caption.isEmpty())
        text += styled(caption, m_colour ? u"1"_s : QString()) + u'\n';
    if (!message.isEmpty())
        text += message + u'\n';
    put(STDOUT_FILENO, text);
}

void TerminalUi::askCredential(const QString &knownUser,
                               std::function<void(Session::Credential)> done, Cancelled cancelled)
{
    auto askPassword = [this, done, cancelled](const QString &user) {
        ask(
            u"Password for user %1: "_s.arg(user), LineEditor::Mode::Secret,
            [user, done](const QString &password) {
                done(Session::Credential{user, Wsman::Secret(password)});
            },
            cancelled);
    };
    if (!knownUser.isEmpty()) {
        askPassword(knownUser);
        return;
    }
    ask(u"User: "_s, LineEditor::Mode::Text, askPassword, cancelled);
}

void TerminalUi::promptForCredential(const Session::CredentialRequest &request,
                                     Session::Reply<Session::Credential> reply)
{
    enqueue([this, request, reply] {
        showHeading(request.caption, request.message);
        askCredential(
            request.userName,
            [this, reply](Session::Credential credential) {
                reply.complete(std::move(credential));
                questionDone();
            },
            [this, reply](const QString &why) {
                reply.cancel(why);
                questionDone();
            });
    });
}

void TerminalUi::prompt(const Session::PromptRequest &request,
                        Session::Reply<std::vector<Session::PromptAnswer>> reply)
{
    enqueue([this, request, reply] {
        showHeading(request.caption, request.message);
        askFields(std::make_shared<QList<Psrp::FieldDescription>>(request.fields), 0,
                  std::make_shared<std::vector<Session::PromptAnswer>>(), reply);
    });
}

void TerminalUi::askFields(std::shared_ptr<QList<Psrp::FieldDescription>> fields, qsizetype index,
                           std::shared_ptr<std::vector<Session::PromptAnswer>> answers,
                           Session::Reply<std::vector<Session::PromptAnswer>> reply)
{
    if (!reply.isPending())
        return;
    if (index >= fields->size()) {
        reply.complete(std::move(*answers));
        questionDone();
        return;
    }
    const Psrp::FieldDescription &field = fields->at(index);
    const QString label = (field.label.isEmpty() ? field.name : choiceText(field.label)) + u": "_s;
    auto cancelled = [this, reply](const QString &why) {
        reply.cancel(why);
        questionDone();
    };
    auto next = [this, fields, index, answers, reply](Session::PromptAnswer answer) {
        answers->push_back(std::move(answer));
        askFields(fields, index + 1, answers, reply);
    };
    if (field.isCredential()) {
        put(STDOUT_FILENO, label + u'\n');
        askCredential(
            {},
            [next](Session::Credential c) {
                Session::PromptAnswer a;
                a.userName = c.userName;
                a.secret = std::move(c.password);
                next(std::move(a));
            },
            cancelled);
    } else if (field.isSecureString()) {
        ask(
            label, LineEditor::Mode::Secret,
            [next](const QString &text) {
                Session::PromptAnswer a;
                a.secret = Wsman::Secret(text);
                next(std::move(a));
            },
            cancelled);
    } else {
        ask(
            label, LineEditor::Mode::Text,
            [next](const QString &text) {
                Session::PromptAnswer a;
                a.text = text;
                next(std::move(a));
            },
            cancelled);
    }
}

void TerminalUi::promptForChoice(const Session::ChoiceRequest &request,
                                 Session::Reply<QList<qint32>> reply)
{
    enqueue([this, request, reply] {
        showHeading(request.caption, request.message);
        askChoice(request, reply);
    });
}

// PowerShell's console menu: "[Y] Yes  [N] No  (default is "Y"): "; an invalid answer asks again.
void TerminalUi::askChoice(const Session::ChoiceRequest &request,
                           Session::Reply<QList<qint32>> reply)
{
    ask(
        choiceMenu(request.choices, request.defaultChoices, request.multiple),
        LineEditor::Mode::Text,
        [this, request, reply](const QString &line) {
            const std::optional<QList<qint32>> chosen = parseChoiceAnswer(
                request.choices, request.defaultChoices, request.multiple, line);
            if (!chosen) {
                askChoice(request, reply);
                return;
            }
            reply.complete(*chosen);
            questionDone();
        },
        [this, reply](const QString &why) {
            reply.cancel(why);
            questionDone();
        });
}

} // namespace Cli
