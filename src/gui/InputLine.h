#pragma once

#include "psrp/HostMethod.h"
#include "session/InteractiveSession.h"
#include "wsman/Secret.h"

#include <QString>
#include <QWidget>

#include <functional>
#include <optional>

class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;

namespace Session {
class CommandHistory;
}

namespace Gui {

// The input line after the remote prompt: a multi-line editor (Enter runs, Shift+Enter adds a
// line, pasted lines stay one input), history (Up/Down, Ctrl+R reverse search) over a
// CommandHistory it borrows, Tab completion (a popup for several matches), Ctrl+C (copy with a
// selection, else ctrlC()). It also answers the host's ReadLine inline, masked for secure input
// (a password field whose text goes straight into a Wsman::Secret and is cleared), and ReadKey.
// Owned by its ConsoleTab.
class InputLine : public QWidget {
    Q_OBJECT
public:
    enum class Mode { Command, ReadLine, ReadSecret, ReadKey };

    explicit InputLine(QWidget *parent = nullptr);
    ~InputLine() override;

    void setPrompt(const QString &prompt);
    QString prompt() const;
    // The history Up/Down and Ctrl+R walk (not owned; may be null).
    void setHistory(Session::CommandHistory *history);

    QString text() const;
    void setText(const QString &text);
    void insertText(const QString &text); // paste: multi-line text stays one input
    int cursorPosition() const;
    void setCursorPosition(int position);
    bool hasSelectedText() const;
    void copy();

    Mode mode() const { return m_mode; }
    bool isSearching() const { return m_searching; }
    QString searchText() const { return m_search; }

    // Host reads: `done` gets the answer when the user presses Enter (or a key for ReadKey);
    // `label` replaces the prompt meanwhile (the host's own prompt text). The command being
    // edited is kept and comes back afterwards.
    void readLine(const QString &label, std::function<void(const QString &)> done);
    void readSecret(const QString &label, std::function<void(Wsman::Secret)> done);
    void readKey(const QString &label, std::function<void(const Psrp::KeyInfo &)> done);
    void cancelRead();

    // Applies a TabExpansion2 answer for the text it was asked for: one match replaces the
    // word, several open the popup; an answer for text that changed meanwhile is dropped.
    void showCompletion(const QString &forText, const Session::Completion &completion);
    QListWidget *completionPopup() const { return m_popup; }

    QPlainTextEdit *editor() const { return m_editor; }
    QLineEdit *secretField() const { return m_secret; }

    void focusInput();

Q_SIGNALS:
    void commandEntered(const QString &line);
    void completionRequested(const QString &text, int cursor);
    void ctrlC();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    bool editorKey(QKeyEvent *event);
    bool searchKey(QKeyEvent *event);
    void submit();
    void historyStep(int direction);
    void searchAgain(bool older);
    void endSearch(bool accept);
    void applyMatch(const Session::CompletionMatch &match);
    void updatePromptLabel();
    void setMode(Mode mode);
    void fitHeight();

    QLabel *m_promptLabel = nullptr;
    QPlainTextEdit *m_editor = nullptr;
    QLineEdit *m_secret = nullptr;
    QListWidget *m_popup = nullptr;
    QString m_prompt;
    QString m_readLabel;
    Mode m_mode = Mode::Command;
    Session::CommandHistory *m_history = nullptr;
    qsizetype m_historyIndex = -1; // -1: editing the draft
    QString m_draft;
    QString m_commandDraft; // the command kept while a read is answered
    bool m_searching = false;
    QString m_search;
    std::optional<qsizetype> m_searchHit;
    std::function<void(const QString &)> m_lineDone;
    std::function<void(Wsman::Secret)> m_secretDone;
    std::function<void(const Psrp::KeyInfo &)> m_keyDone;
    Session::Completion m_completion;
    QString m_completionText;
};

} // namespace Gui
