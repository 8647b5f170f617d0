#include "gui/InputLine.h"

#include "session/CommandHistory.h"

#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextBlock>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

constexpr int MaximumVisibleLines = 10;

// Windows virtual-key code of a Qt key (System.Management.Automation.Host.KeyInfo).
qint32 virtualKey(int key)
{
    if ((key >= Qt::Key_A && key <= Qt::Key_Z) || (key >= Qt::Key_0 && key <= Qt::Key_9))
        return key;
    switch (key) {
    case Qt::Key_Return:
    case Qt::Key_Enter: return 0x0D;
    case Qt::Key_Escape: return 0x1B;
    case Qt::Key_Space: return 0x20;
    case Qt::Key_Backspace: return 0x08;
    case Qt::Key_Tab: return 0x09;
    case Qt::Key_Left: return 0x25;
    case Qt::Key_Up: return 0x26;
    case Qt::Key_Right: return 0x27;
    case Qt::Key_Down: return 0x28;
    case Qt::Key_Delete: return 0x2E;
    default: return 0;
    }
}

bool isModifierKey(int key)
{
    return key == Qt::Key_Shift || key == Qt::Key_Control || key == Qt::Key_Alt || key == Qt::Key_Meta
        || key == Qt::Key_AltGr || key == Qt::Key_CapsLock || key == Qt::Key_NumLock;
}

} // namespace

InputLine::InputLine(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setHorizontalSpacing(4);
    m_promptLabel = new QLabel(this);
    m_promptLabel->setObjectName(u"prompt"_s);
    m_promptLabel->setTextFormat(Qt::PlainText);
    m_promptLabel->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_editor = new QPlainTextEdit(this);
    m_editor->setObjectName(u"input"_s);
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setTabChangesFocus(false);
    m_editor->setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_editor->installEventFilter(this);
    m_secret = new QLineEdit(this);
    m_secret->setObjectName(u"secureInput"_s);
    m_secret->setEchoMode(QLineEdit::Password);
    m_secret->setContextMenuPolicy(Qt::NoContextMenu);
    m_secret->installEventFilter(this);
    m_secret->hide();
    layout->addWidget(m_promptLabel, 0, 0);
    layout->addWidget(m_editor, 0, 1);
    layout->addWidget(m_secret, 0, 1);
    layout->setColumnStretch(1, 1);

    m_popup = new QListWidget(this);
    m_popup->setObjectName(u"completions"_s);
    m_popup->setWindowFlags(Qt::Popup);
    m_popup->installEventFilter(this);
    m_popup->hide();
    connect(m_popup, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const int row = m_popup->row(item);
        m_popup->hide();
        if (row >= 0 && row < m_completion.matches.size())
            applyMatch(m_completion.matches.at(row));
        m_editor->setFocus();
    });
    connect(m_editor->document(), &QTextDocument::contentsChanged, this, &InputLine::fitHeight);
    setFocusProxy(m_editor);
    fitHeight();
}

InputLine::~InputLine() = default;

void InputLine::setPrompt(const QString &prompt)
{
    m_prompt = prompt;
    updatePromptLabel();
}

QString InputLine::prompt() const
{
    return m_promptLabel->text();
}

void InputLine::setHistory(Session::CommandHistory *history)
{
    m_history = history;
    m_historyIndex = -1;
}

QString InputLine::text() const
{
    return m_editor->toPlainText();
}

void InputLine::setText(const QString &text)
{
    m_editor->setPlainText(text);
    m_editor->moveCursor(QTextCursor::End);
}

void InputLine::insertText(const QString &text)
{
    QString t = text;
    t.replace(u"\r\n"_s, u"\n"_s);
    t.replace(u'\r', u'\n');
    if (m_mode == Mode::ReadSecret) {
        m_secret->insert(t.section(u'\n', 0, 0));
        return;
    }
    m_editor->textCursor().insertText(t);
}

int InputLine::cursorPosition() const
{
    return m_editor->textCursor().position();
}

void InputLine::setCursorPosition(int position)
{
    QTextCursor c = m_editor->textCursor();
    c.setPosition(std::clamp(position, 0, static_cast<int>(text().size())));
    m_editor->setTextCursor(c);
}

bool InputLine::hasSelectedText() const
{
    return m_editor->textCursor().hasSelection();
}

void InputLine::copy()
{
    m_editor->copy();
}

void InputLine::focusInput()
{
    if (m_mode == Mode::ReadSecret)
        m_secret->setFocus();
    else
        m_editor->setFocus();
}

void InputLine::fitHeight()
{
    const int lines = std::clamp(m_editor->document()->blockCount(), 1, MaximumVisibleLines);
    const QFontMetrics fm(m_editor->font());
    const int margins = static_cast<int>(m_editor->document()->documentMargin() * 2) + m_editor->frameWidth() * 2;
    const int scroll = m_editor->horizontalScrollBar()->isVisible() ? m_editor->horizontalScrollBar()->sizeHint().height() : 0;
    m_editor->setFixedHeight(lines * fm.lineSpacing() + margins + scroll);
}

void InputLine::updatePromptLabel()
{
    if (m_searching) {
        const bool failing = !m_search.isEmpty() && !m_searchHit;
        m_promptLabel->setText((failing ? u"(failed reverse-i-search)`"_s : u"(reverse-i-search)`"_s) + m_search + u"': "_s);
    } else if (m_mode != Mode::Command) {
        m_promptLabel->setText(m_readLabel);
    } else {
        m_promptLabel->setText(m_prompt);
    }
    m_promptLabel->setVisible(!m_promptLabel->text().isEmpty());
}

void InputLine::setMode(Mode mode)
{
    const Mode old = m_mode;
    m_mode = mode;
    if (old == Mode::Command && mode != Mode::Command) {
        if (m_searching)
            endSearch(false);
        m_popup->hide();
        m_commandDraft = text();
        m_editor->clear();
    } else if (old != Mode::Command && mode == Mode::Command) {
        m_readLabel.clear();
        setText(m_commandDraft);
        m_commandDraft.clear();
    }
    m_secret->clear();
    m_secret->setVisible(mode == Mode::ReadSecret);
    m_editor->setVisible(mode != Mode::ReadSecret);
    updatePromptLabel();
    focusInput();
}

void InputLine::readLine(const QString &label, std::function<void(const QString &)> done)
{
    cancelRead();
    m_readLabel = label;
    m_lineDone = std::move(done);
    setMode(Mode::ReadLine);
}

void InputLine::readSecret(const QString &label, std::function<void(Wsman::Secret)> done)
{
    cancelRead();
    m_readLabel = label;
    m_secretDone = std::move(done);
    setMode(Mode::ReadSecret);
}

void InputLine::readKey(const QString &label, std::function<void(const Psrp::KeyInfo &)> done)
{
    cancelRead();
    m_readLabel = label;
    m_keyDone = std::move(done);
    setMode(Mode::ReadKey);
}

void InputLine::cancelRead()
{
    m_lineDone = nullptr;
    m_secretDone = nullptr;
    m_keyDone = nullptr;
    if (m_mode != Mode::Command)
        setMode(Mode::Command);
}

bool InputLine::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() != QEvent::KeyPress && event->type() != QEvent::ShortcutOverride)
        return QWidget::eventFilter(watched, event);
    auto *key = static_cast<QKeyEvent *>(event);
    if (event->type() == QEvent::ShortcutOverride) {
        // Keys the console handles itself win over window shortcuts while the input has focus.
        const bool ctrl = key->modifiers() == Qt::ControlModifier;
        if (ctrl && (key->key() == Qt::Key_C || key->key() == Qt::Key_R)) {
            event->accept();
            return true;
        }
        return QWidget::eventFilter(watched, event);
    }
    if (watched == m_popup) {
        if (key->key() == Qt::Key_Escape) {
            m_popup->hide();
            m_editor->setFocus();
            return true;
        }
        return false;
    }
    if (watched == m_secret) {
        if (key->key() == Qt::Key_C && key->modifiers() == Qt::ControlModifier) {
            Q_EMIT ctrlC();
            return true;
        }
        if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
            Wsman::Secret secret(m_secret->text());
            m_secret->clear();
            auto done = std::exchange(m_secretDone, nullptr);
            setMode(Mode::Command);
            if (done)
                done(std::move(secret));
            return true;
        }
        return false;
    }
    if (watched == m_editor)
        return editorKey(key);
    return QWidget::eventFilter(watched, event);
}

bool InputLine::editorKey(QKeyEvent *event)
{
    const int key = event->key();
    const Qt::KeyboardModifiers mods = event->modifiers() & ~Qt::KeypadModifier;
    if (m_mode == Mode::ReadKey) {
        if (isModifierKey(key))
            return true;
        if (key == Qt::Key_C && mods == Qt::ControlModifier) {
            Q_EMIT ctrlC();
            return true;
        }
        Psrp::KeyInfo info;
        info.virtualKeyCode = virtualKey(key);
        const QString t = event->text();
        info.character = (key == Qt::Key_Return || key == Qt::Key_Enter) ? u'\r' : (t.isEmpty() ? char16_t(0) : t.at(0).unicode());
        if (mods & Qt::ShiftModifier)
            info.controlKeyState |= 0x10; // SHIFT_PRESSED
        if (mods & Qt::ControlModifier)
            info.controlKeyState |= 0x08; // LEFT_CTRL_PRESSED
        if (mods & Qt::AltModifier)
            info.controlKeyState |= 0x02; // LEFT_ALT_PRESSED
        auto done = std::exchange(m_keyDone, nullptr);
        setMode(Mode::Command);
        if (done)
            done(info);
        return true;
    }
    if (m_searching)
        return searchKey(event);
    if (key == Qt::Key_C && mods == Qt::ControlModifier) {
        if (hasSelectedText())
            copy();
        else
            Q_EMIT ctrlC();
        return true;
    }
    if (event->matches(QKeySequence::Paste)) {
        m_editor->paste();
        return true;
    }
    if (key == Qt::Key_R && mods == Qt::ControlModifier && m_mode == Mode::Command && m_history) {
        m_searching = true;
        m_search.clear();
        m_searchHit.reset();
        m_draft = text();
        updatePromptLabel();
        return true;
    }
    if (key == Qt::Key_Return || key == Qt::Key_Enter) {
        if (mods & Qt::ShiftModifier) {
            m_editor->textCursor().insertText(u"\n"_s);
            return true;
        }
        submit();
        return true;
    }
    if ((key == Qt::Key_Up || key == Qt::Key_Down) && mods == Qt::NoModifier && m_mode == Mode::Command) {
        QTextCursor c = m_editor->textCursor();
        const bool edge = key == Qt::Key_Up ? c.blockNumber() == 0 : c.blockNumber() == m_editor->document()->blockCount() - 1;
        if (edge) {
            historyStep(key == Qt::Key_Up ? -1 : 1);
            return true;
        }
        return false;
    }
    if (key == Qt::Key_Tab && mods == Qt::NoModifier) {
        if (m_mode == Mode::Command) {
            m_completionText = text();
            Q_EMIT completionRequested(m_completionText, cursorPosition());
        }
        return true;
    }
    if (key == Qt::Key_Escape && mods == Qt::NoModifier) {
        m_editor->clear();
        m_historyIndex = -1;
        return true;
    }
    return false;
}

bool InputLine::searchKey(QKeyEvent *event)
{
    const int key = event->key();
    const Qt::KeyboardModifiers mods = event->modifiers() & ~Qt::KeypadModifier;
    if (isModifierKey(key))
        return true;
    if (key == Qt::Key_R && mods == Qt::ControlModifier) {
        searchAgain(true);
        return true;
    }
    if ((key == Qt::Key_G && mods == Qt::ControlModifier) || key == Qt::Key_Escape) {
        endSearch(false);
        return true;
    }
    if ((key == Qt::Key_C && mods == Qt::ControlModifier)) {
        endSearch(false);
        return true;
    }
    if (key == Qt::Key_Return || key == Qt::Key_Enter) {
        endSearch(true);
        submit();
        return true;
    }
    if (key == Qt::Key_Backspace) {
        m_search.chop(1);
        m_searchHit.reset();
        searchAgain(false);
        return true;
    }
    const QString t = event->text();
    if (!t.isEmpty() && t.at(0).isPrint() && !(mods & (Qt::ControlModifier | Qt::AltModifier))) {
        m_search += t;
        m_searchHit.reset();
        searchAgain(false);
        return true;
    }
    endSearch(true);
    return false;
}

void InputLine::searchAgain(bool older)
{
    if (!m_history)
        return;
    std::optional<qsizetype> before;
    if (older && m_searchHit)
        before = *m_searchHit;
    const auto hit = m_search.isEmpty() ? std::nullopt : m_history->searchBackward(m_search, before);
    if (hit) {
        m_searchHit = hit;
        m_editor->setPlainText(m_history->entries().at(*hit));
        QTextCursor c = m_editor->textCursor();
        const qsizetype at = m_editor->toPlainText().indexOf(m_search, 0, Qt::CaseInsensitive);
        c.setPosition(static_cast<int>(std::max<qsizetype>(0, at)));
        m_editor->setTextCursor(c);
    } else if (!older) {
        m_searchHit.reset();
    }
    updatePromptLabel();
}

void InputLine::endSearch(bool accept)
{
    m_searching = false;
    if (!accept || !m_searchHit)
        setText(m_draft);
    else
        m_editor->moveCursor(QTextCursor::End);
    m_search.clear();
    m_searchHit.reset();
    updatePromptLabel();
}

void InputLine::historyStep(int direction)
{
    if (!m_history || m_history->size() == 0)
        return;
    const qsizetype size = m_history->size();
    if (direction < 0) {
        if (m_historyIndex < 0) {
            m_draft = text();
            m_historyIndex = size - 1;
        } else if (m_historyIndex > 0) {
            --m_historyIndex;
        } else {
            return;
        }
        setText(m_history->entries().at(m_historyIndex));
    } else {
        if (m_historyIndex < 0)
            return;
        if (m_historyIndex + 1 < size) {
            ++m_historyIndex;
            setText(m_history->entries().at(m_historyIndex));
        } else {
            m_historyIndex = -1;
            setText(m_draft);
        }
    }
}

void InputLine::submit()
{
    m_popup->hide();
    const QString t = text();
    if (m_mode == Mode::ReadLine) {
        auto done = std::exchange(m_lineDone, nullptr);
        m_editor->clear();
        setMode(Mode::Command);
        if (done)
            done(t);
        return;
    }
    m_historyIndex = -1;
    Q_EMIT commandEntered(t);
}

void InputLine::showCompletion(const QString &forText, const Session::Completion &completion)
{
    if (m_mode != Mode::Command || forText != text() || completion.matches.isEmpty())
        return;
    m_completion = completion;
    m_completionText = forText;
    if (completion.matches.size() == 1) {
        applyMatch(completion.matches.constFirst());
        return;
    }
    m_popup->clear();
    for (const Session::CompletionMatch &m : completion.matches) {
        auto *item = new QListWidgetItem(m.listItemText.isEmpty() ? m.completionText : m.listItemText, m_popup);
        item->setToolTip(m.toolTip);
    }
    m_popup->setCurrentRow(0);
    const int rowsShown = std::min<int>(static_cast<int>(completion.matches.size()), 12);
    m_popup->resize(std::max(240, m_popup->sizeHintForColumn(0) + 24), rowsShown * m_popup->sizeHintForRow(0) + 6);
    const QRect caret = m_editor->cursorRect();
    QPoint at = m_editor->viewport()->mapToGlobal(caret.bottomLeft());
    m_popup->move(at);
    m_popup->show();
    m_popup->setFocus();
}

void InputLine::applyMatch(const Session::CompletionMatch &match)
{
    QString t = m_completionText;
    const qsizetype index = std::clamp<qsizetype>(m_completion.replacementIndex, 0, t.size());
    const qsizetype length = std::clamp<qsizetype>(m_completion.replacementLength, 0, t.size() - index);
    t.replace(index, length, match.completionText);
    setText(t);
    setCursorPosition(static_cast<int>(index + match.completionText.size()));
}

} // namespace Gui
