#pragma once

#include "session/HostUi.h"

#include <QList>
#include <QWidget>

class QVBoxLayout;

namespace Gui {

// Write-Progress above the input line: one row (activity, status, bar) per active record, nested
// by parent (indented by depth), rebuilt at most once per event-loop turn; hidden when empty.
// Owned by its ConsoleTab.
class ProgressPanel : public QWidget {
    Q_OBJECT
public:
    explicit ProgressPanel(QWidget *parent = nullptr);

    void setItems(const QList<Session::ProgressItem> &items);
    const QList<Session::ProgressItem> &items() const { return m_items; }
    // The rows shown now (after the last rebuild).
    int rowCount() const;

private:
    void rebuild();

    QVBoxLayout *m_layout = nullptr;
    QList<Session::ProgressItem> m_items;
    bool m_scheduled = false;
};

} // namespace Gui
