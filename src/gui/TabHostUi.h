#pragma once

#include "session/HostUi.h"

#include <QList>
#include <QObject>
#include <QPointer>

class QDialog;
class QWidget;

namespace Gui {

class InputLine;
class OutputView;
class ProgressPanel;

// The Session::HostUi of one console tab: host writes and session notes go to the OutputView
// (stream colours, "WARNING: " style prefixes), ReadLine / ReadLineAsSecureString / ReadKey are
// answered inline in the InputLine, Prompt / PromptForCredential / PromptForChoice open
// non-modal dialogs parented to the tab, Write-Progress and the session's reconnect item (negative
// sourceId) feed the ProgressPanel, the connection condition is re-emitted for the tab, the RawUI
// state follows the view's size in characters. Borrows the tab's widgets; owned by the ConsoleTab and
// outlives its InteractiveSession.
class TabHostUi : public QObject, public Session::HostUi {
    Q_OBJECT
public:
    TabHostUi(OutputView &view, InputLine &input, ProgressPanel &progress, QWidget &dialogParent);
    ~TabHostUi() override;

    // Shown in the credential dialog ("The remote computer X is asking").
    void setComputerName(const QString &name) { m_computerName = name; }
    // Open question dialogs (tests, closing the tab).
    QList<QDialog *> openDialogs() const;
    void closeDialogs();
    Session::SessionState lastState() const { return m_state; }
    // The RawUI colours (System.ConsoleColor) of plain output, as the console settings chose them.
    void setDefaultColors(int foreground, int background);

    Session::RawUiState rawUi() const override;
    void rawUiChanged(Psrp::HostMethodId setter, const Session::RawUiState &state) override;
    void write(const Session::HostText &text) override;
    void progressChanged(const QList<Session::ProgressItem> &active) override;
    void promptChanged(const QString &prompt) override;
    void stateChanged(Session::SessionState state) override;
    void note(Session::NoteKind kind, const QString &text) override;
    void cancelInput() override;
    void notifyApplication(bool begin) override;
    void flushInputBuffer() override;
    void connectionChanged(Session::ConnectionCondition condition) override;
    void readLine(Session::Reply<QString> reply) override;
    void readLineAsSecureString(Session::Reply<Wsman::Secret> reply) override;
    void readKey(qint32 options, Session::Reply<Psrp::KeyInfo> reply) override;
    void prompt(const Session::PromptRequest &request, Session::Reply<std::vector<Session::PromptAnswer>> reply) override;
    void promptForCredential(const Session::CredentialRequest &request, Session::Reply<Session::Credential> reply) override;
    void promptForChoice(const Session::ChoiceRequest &request, Session::Reply<QList<qint32>> reply) override;

Q_SIGNALS:
    void windowTitleRequested(const QString &title);
    void applicationRunning(bool running); // NotifyBeginApplication / NotifyEndApplication
    void connectionConditionChanged(Session::ConnectionCondition condition);

private:
    void onViewResized(int columns, int rows);
    void showDialog(QDialog *dialog);

    OutputView &m_view;
    InputLine &m_input;
    ProgressPanel &m_progress;
    QWidget &m_dialogParent;
    Session::RawUiState m_raw;
    QString m_computerName;
    Session::SessionState m_state = Session::SessionState::Idle;
    QList<QPointer<QDialog>> m_dialogs;
};

} // namespace Gui
