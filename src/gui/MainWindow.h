#pragma once

#include "gui/ConsoleTab.h"
#include "gui/GuiConnection.h"
#include "session/HostUi.h"

#include <QHash>
#include <QMainWindow>
#include <QPointer>

class QLabel;
class QTabWidget;

namespace Credentials {
class CredentialStore;
}

namespace Cli {
struct ConnectionOptions;
}

namespace Session {
class SessionManager;
}

namespace Gui {

class ConsoleTab;
class HostsPanel;
class SavedHostStore;
class SessionsPanel;

// The application's main window: the Hosts panel and the Sessions panel (docks; the window owns
// the session manager behind the latter), one ConsoleTab per tab, menus, toolbar, shortcuts forwarded to the
// current tab, and a status bar describing the current tab's connection. Borrows the saved host
// store and the credential store (both outlive it); owns its tabs.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    MainWindow(SavedHostStore *store, Credentials::CredentialStore *credentials, QWidget *parent = nullptr);
    ~MainWindow() override;

    HostsPanel *hostsPanel() const { return m_hosts; }
    SessionsPanel *sessionsPanel() const { return m_sessionsPanel; }
    Session::SessionManager *sessionManager() const { return m_sessionManager; }
    QTabWidget *tabs() const { return m_tabs; }
    ConsoleTab *currentTab() const;

    // Opens a tab and starts connecting; null when the host is unknown.
    ConsoleTab *openSavedHost(const QString &id);
    ConsoleTab *openConnection(ConnectionRequest request);
    // New-PSSession for a saved host: a tab entering a persistent session (Sessions panel).
    ConsoleTab *openPersistentSession(const QString &hostId);
    // Enter-PSSession -Id: a tab attached to a session of the Sessions panel.
    ConsoleTab *enterManagedSession(int id);
    // `psremote [connection options] HOST`.
    ConsoleTab *openCommandLine(const Cli::ConnectionOptions &options);

    void newConnection();   // the connection dialog
    void addHost();
    void editHost(const QString &id);
    void duplicateHost(const QString &id);
    void deleteHost(const QString &id);
    void duplicateTab(int index);
    // Closes the tab, asking first when a command is running.
    void requestCloseTab(int index);
    void closeTab(int index); // without asking

    // What a tab's title shows for its condition (a marker before the host).
    static QString stateMarker(ConsoleTab::Condition condition);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void updateTabTitle(ConsoleTab *tab);
    void updateStatus();
    void showMessage(const QString &text);
    // An untrusted or changed server certificate: the certificate dialog (trust on first use).
    void onTabFailed(ConsoleTab *tab, const Wsman::ClientError &error);

    SavedHostStore *m_store;
    Credentials::CredentialStore *m_credentials;
    HostsPanel *m_hosts = nullptr;
    QTabWidget *m_tabs = nullptr;
    Session::SessionManager *m_sessionManager = nullptr;
    SessionsPanel *m_sessionsPanel = nullptr;
    QLabel *m_cultureLabel = nullptr;
    QLabel *m_transportLabel = nullptr;
    QLabel *m_authenticationLabel = nullptr;
    QLabel *m_encryptionLabel = nullptr;
    QHash<ConsoleTab *, ConnectionSummary> m_summaries;
    QHash<ConsoleTab *, ConnectionRequest> m_requests; // for Duplicate (no password kept)
};

} // namespace Gui
