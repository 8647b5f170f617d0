#pragma once

#include <QString>
#include <QWidget>

class QLineEdit;
class QToolButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace Gui {

class SavedHostStore;

// The Hosts panel: the saved hosts of a SavedHostStore in a folder tree, a filter applied as
// the user types (name, folder, computer, user), and the add / edit / duplicate / delete / connect
// actions as signals for the main window. Rebuilds itself when the store changes; the store
// belongs to the caller and outlives the panel.
class HostsPanel : public QWidget {
    Q_OBJECT
public:
    explicit HostsPanel(SavedHostStore *store, QWidget *parent = nullptr);

    QString currentHostId() const;
    void setCurrentHostId(const QString &id);
    void setFilter(const QString &text);
    // Host ids shown with the current filter, in tree order.
    QStringList visibleHostIds() const;
    QTreeWidget *tree() const { return m_tree; }
    QLineEdit *filterEdit() const { return m_filter; }

Q_SIGNALS:
    void openRequested(const QString &id); // double-click or Enter
    void addRequested();
    void editRequested(const QString &id);
    void duplicateRequested(const QString &id);
    void deleteRequested(const QString &id);

private:
    void rebuild();
    void applyFilter();
    QTreeWidgetItem *folderItem(const QString &folder);

    SavedHostStore *m_store;
    QLineEdit *m_filter;
    QTreeWidget *m_tree;
    QToolButton *m_editButton;
    QToolButton *m_duplicateButton;
    QToolButton *m_deleteButton;
};

} // namespace Gui
