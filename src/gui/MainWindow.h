#pragma once

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

namespace Gui {

class ConsoleTab;
class HostsPanel;
class SavedHostStore;

// The application's main window: the Hosts panel (a dock; the Sessions panel joins it once the
// session manager lands), one ConsoleTab per tab, menus, toolbar, shortcuts forwarded to the
// current tab, and a status bar describing the current tab's connection. Borrows the saved host
// store and the credential store (both outlive it); owns its tabs.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    MainWindow(SavedHostStore *store, Credentials::CredentialStore *credentials, QWidget *parent = nullptr);
    ~MainWindow() override;

    HostsPanel *hostsPanel() const { return m_hosts; }
    QTabWidget *tabs() const { return m_tabs; }
    ConsoleTab *currentTab() const;

    // Opens a tab and starts connecting; null when the host is unknown.
    ConsoleTab *openSavedHost(const QString &id);
    ConsoleTab *openConnection(ConnectionRequest request);
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

    // What a tab's title shows for `state` (a marker before the host).
    static QString stateMarker(Session::SessionState state);
    static QString stateText(Session::SessionState state);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void updateTabTitle(ConsoleTab *tab);
    void updateStatus();
    void showMessage(const QString &text);

    SavedHostStore *m_store;
    Credentials::CredentialStore *m_credentials;
    HostsPanel *m_hosts = nullptr;
    QTabWidget *m_tabs = nullptr;
    QLabel *m_cultureLabel = nullptr;
    QLabel *m_transportLabel = nullptr;
    QLabel *m_authenticationLabel = nullptr;
    QLabel *m_encryptionLabel = nullptr;
    QHash<ConsoleTab *, ConnectionSummary> m_summaries;
    QHash<ConsoleTab *, ConnectionRequest> m_requests; // for Duplicate (no password kept)
};

} // namespace Gui
