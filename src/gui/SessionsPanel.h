#pragma once

#include <QWidget>

class QPushButton;
class QTreeWidget;

namespace Session {
class SessionManager;
}

namespace Gui {

// The Sessions panel: the session manager's PSSessions as Get-PSSession shows them (Id, Name,
// ComputerName, ConfigurationName, State, Availability) with Enter, Disconnect, Connect and
// Remove. Borrows the manager (owned by the main window, which outlives the panel).
class SessionsPanel : public QWidget {
    Q_OBJECT
public:
    explicit SessionsPanel(Session::SessionManager *manager, QWidget *parent = nullptr);

    QTreeWidget *tree() const { return m_tree; }
    int currentSessionId() const; // 0: none
    void setCurrentSessionId(int id);
    void refresh();

    void disconnectCurrent();
    void connectCurrent();
    void removeCurrent();

Q_SIGNALS:
    void enterRequested(int id);
    void message(const QString &text);

private:
    void updateButtons();

    Session::SessionManager *m_manager;
    QTreeWidget *m_tree;
    QPushButton *m_enter;
    QPushButton *m_disconnect;
    QPushButton *m_connect;
    QPushButton *m_remove;
};

} // namespace Gui
