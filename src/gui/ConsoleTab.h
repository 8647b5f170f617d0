#pragma once

#include "gui/SettingsDialog.h"
#include "session/InteractiveSession.h"
#include "wsman/RunspacePoolClient.h"

#include <QPointer>
#include <QString>
#include <QWidget>

#include <memory>

class QLabel;
class QLineEdit;
class QPushButton;

namespace Session {
class CommandHistory;
class SessionManager;
}

namespace Gui {

class InputLine;
class OutputView;
class ProgressPanel;
class TabHostUi;

// One remote console in a tab: the output view, the input line after the remote prompt, the
// tab's HostUi (prompts, credentials, choices, progress) and the InteractiveSession it owns.
// Agreed interface between the application shell and the console; the console engineer owns the
// implementation and may add to it, but keeps these members.
class ConsoleTab : public QWidget {
    Q_OBJECT
public:
    // What the tab shows as its state marker: the session state plus the connection's own
    // robust-connection states.
    enum class Condition { Idle, Connecting, Ready, Busy, Reconnecting, Broken, Disconnected, Closed };
    Q_ENUM(Condition)

    explicit ConsoleTab(QWidget *parent = nullptr);
    ~ConsoleTab() override;

    // Starts entering a new (temporary) session; `title` is the host as the tab shows it.
    void start(Wsman::ClientOptions options, Session::EnterOptions enter, const QString &title);

    QString title() const;
    Session::SessionState state() const;
    bool isBusy() const; // a command is running (closing the tab should ask first)

    void interrupt();    // Ctrl+C semantics of the session (stop, then abandon)
    void closeSession(); // leave and close the session (exit)

    void copy();
    void paste();
    void find();
    void zoomIn();
    void zoomOut();
    void resetZoom();

    // ---- additions (console engineer) ----
    Condition condition() const { return m_condition; }
    static QString conditionText(Condition condition); // "connecting", "ready", ... (translated)
    // A Disconnected session (the server keeps it) is reconnected: the same shell, the running
    // line continues. Otherwise starts again with the options of the last start(); the text
    // already shown stays.
    void reconnect();
    bool canReconnect() const;
    // Scrollback bound of the output view (lines kept); default OutputView::DefaultMaximumLines.
    void setScrollbackLines(qsizetype lines);
    // Where the per-host command history lives (default CommandHistory::defaultDirectory());
    // set before start().
    void setHistoryDirectory(const QString &directory);
    // Persistent sessions (New-PSSession, then Enter-PSSession -Id): with a manager set, start()
    // creates the session in it and enters it; exit leaves it open there.
    void setSessionManager(Session::SessionManager *manager, bool persistent);
    // Enters a session of the manager (Sessions panel); `title` as in start().
    void attachSession(Session::SessionManager *manager, int id, const QString &title);
    int managedSessionId() const { return m_managedId; } // 0: a temporary session

    // Font, colours and scrollback from the Settings dialog (ConsoleSettings::load() at
    // construction). The colours replace the nearest console colours, which become the RawUI
    // ForegroundColor / BackgroundColor the remote host sees in the HostInfo.
    void applySettings(const ConsoleSettings &settings);
    // The server certificate pins for the next reconnect() (trust on first use).
    void addPinnedCertificate(const QByteArray &sha256);
    // The connection failure that ended the last attempt (Broken), if any.
    const std::optional<Wsman::ClientError> &lastFailure() const { return m_lastFailure; }
    // Runs a line as if typed and entered (scripts, tests); false when refused.
    bool runLine(const QString &line);

    OutputView *outputView() const { return m_view; }
    InputLine *inputLine() const { return m_input; }
    ProgressPanel *progressPanel() const { return m_progress; }
    TabHostUi *hostUi() const { return m_ui.get(); }
    Session::InteractiveSession *session() const { return m_session.get(); }
    Session::CommandHistory *history() const { return m_history.get(); }
    QPushButton *reconnectButton() const { return m_reconnect; }
    QLineEdit *findField() const { return m_findField; }

Q_SIGNALS:
    void titleChanged(const QString &title);
    void stateChanged(Session::SessionState state);
    void windowTitleRequested(const QString &title); // the remote host set $host.UI.RawUI.WindowTitle
    void finished(); // the session left (exit, Exit-PSSession) or could not open / broke for good
    void conditionChanged(Gui::ConsoleTab::Condition condition);
    // The client failed (e.g. an untrusted server certificate: transport->kind Tls with the
    // peerCertificate), before the tab turns Broken.
    void failed(const Wsman::ClientError &error);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void enterSession();
    void attachManaged();
    void setupHistory(const QString &key);
    void onCommand(const QString &line);
    void onCtrlC();
    void onSessionState(Session::SessionState state);
    void updateCondition();
    void findNext(bool backward);
    void echoCommand(const QString &line);

    OutputView *m_view = nullptr;
    InputLine *m_input = nullptr;
    ProgressPanel *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_reconnect = nullptr;
    QWidget *m_findBar = nullptr;
    QLineEdit *m_findField = nullptr;
    std::unique_ptr<TabHostUi> m_ui;
    std::unique_ptr<Session::InteractiveSession> m_session;
    std::unique_ptr<Session::CommandHistory> m_history;
    QString m_historyDirectory;
    Wsman::ClientOptions m_options;
    Session::EnterOptions m_enter;
    QString m_title;
    Condition m_condition = Condition::Idle;
    bool m_finishedSent = false;
    std::optional<Wsman::ClientError> m_lastFailure;
    QPointer<Session::SessionManager> m_manager;
    bool m_persistent = false;
    int m_managedId = 0;
    bool m_opening = false; // the manager is opening the persistent session
};

} // namespace Gui
