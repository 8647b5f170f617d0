#pragma once

#include "cli/LineEditor.h"

#include "session/HostUi.h"

#include <QList>
#include <QString>

#include <functional>

namespace Cli {

// The terminal as a Session::HostUi for `enter`: remote output and records to stdout (ANSI
// colours only on a colour terminal: stdout a tty, TERM not dumb, NO_COLOR unset), the session's
// own notes to stderr, progress on one updating line (a tty only), questions (Read-Host,
// Get-Credential, Prompt, PromptForChoice, ReadKey) read through the LineEditor, secrets without
// echo, one question at a time. The window size comes from the terminal (TIOCGWINSZ); the title
// is set with OSC 0. Borrows the editor, which must outlive it.
class TerminalUi : public Session::HostUi {
public:
    explicit TerminalUi(LineEditor &editor);

    bool colour() const { return m_colour; }
    // Re-reads the terminal's size (at start and on SIGWINCH).
    void updateWindowSize();
    // Ctrl+C typed while a question is being read (the terminal is in raw mode then).
    void setInterruptHandler(std::function<void()> handler) { m_onInterrupt = std::move(handler); }
    // Session notes of kind Error are shown only once the session was entered (before, the
    // command reports the failure itself with its exit code).
    void setEntered(bool entered) { m_entered = entered; }
    // A line of the client's own on stderr (coloured as an error on a colour terminal).
    void writeClientError(const QString &text);
    // The last Error note shown (the session's own words for a failure), empty if none.
    const QString &lastErrorNote() const { return m_lastErrorNote; }

    Session::RawUiState rawUi() const override { return m_raw; }
    void rawUiChanged(Psrp::HostMethodId setter, const Session::RawUiState &state) override;
    void write(const Session::HostText &text) override;
    void progressChanged(const QList<Session::ProgressItem> &active) override;
    void promptChanged(const QString &) override {}
    void stateChanged(Session::SessionState) override {}
    void note(Session::NoteKind kind, const QString &text) override;
    void cancelInput() override;
    void notifyApplication(bool) override {}
    void flushInputBuffer() override;

    void readLine(Session::Reply<QString> reply) override;
    void readLineAsSecureString(Session::Reply<Wsman::Secret> reply) override;
    void readKey(qint32 options, Session::Reply<Psrp::KeyInfo> reply) override;
    void prompt(const Session::PromptRequest &request,
                Session::Reply<std::vector<Session::PromptAnswer>> reply) override;
    void promptForCredential(const Session::CredentialRequest &request,
                             Session::Reply<Session::Credential> reply) override;
    void promptForChoice(const Session::ChoiceRequest &request,
                         Session::Reply<QList<qint32>> reply) override;

private:
    using LineDone = std::function<void(const QString &line)>;
    using Cancelled = std::function<void(const QString &reason)>;

    void put(int fd, const QString &text);
    void clearProgress();
    void drawProgress();
    QString styled(const QString &text, const QString &sgr) const;
    // Reads one line for the current question after showing `prompt` (appended to any partial
    // output line); Ctrl+C goes to the interrupt handler, end of input cancels.
    void ask(const QString &prompt, LineEditor::Mode mode, LineDone done, Cancelled cancelled);
    void showHeading(const QString &caption, const QString &message);
    void askCredential(const QString &knownUser, std::function<void(Session::Credential)> done,
                       Cancelled cancelled);
    void askFields(std::shared_ptr<QList<Psrp::FieldDescription>> fields, qsizetype index,
                   std::shared_ptr<std::vector<Session::PromptAnswer>> answers,
                   Session::Reply<std::vector<Session::PromptAnswer>> reply);
    void askChoice(const Session::ChoiceRequest &request, Session::Reply<QList<qint32>> reply);
    // One question at a time: a second waits until the first is answered or abandoned.
    void enqueue(std::function<void()> start);
    void questionDone();

    LineEditor &m_editor;
    Session::RawUiState m_raw;
    bool m_stdoutTty = false;
    bool m_colour = false;
    bool m_entered = false;
    QString m_partialLine; // stdout text after the last newline
    QString m_progressLine;
    QString m_lastErrorNote;
    bool m_questionActive = false;
    QList<std::function<void()>> m_questions;
    std::function<void()> m_onInterrupt;
};

} // namespace Cli
