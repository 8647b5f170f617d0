#include "gui/SessionsPanel.h"

#include "session/SessionManager.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

SessionsPanel::SessionsPanel(Session::SessionManager *manager, QWidget *parent) : QWidget(parent), m_manager(manager)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(u"sessionsTree"_s);
    m_tree->setRootIsDecorated(false);
    m_tree->setHeaderLabels({tr("Id"), tr("Name"), tr("ComputerName"), tr("ConfigurationName"), tr("State"), tr("Availability")});
    m_tree->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    layout->addWidget(m_tree, 1);
    auto *buttons = new QHBoxLayout;
    m_enter = new QPushButton(tr("&Enter"), this);
    m_enter->setObjectName(u"enterSession"_s);
    m_disconnect = new QPushButton(tr("&Disconnect"), this);
    m_disconnect->setObjectName(u"disconnectSession"_s);
    m_connect = new QPushButton(tr("C&onnect"), this);
    m_connect->setObjectName(u"connectSession"_s);
    m_remove = new QPushButton(tr("&Remove"), this);
    m_remove->setObjectName(u"removeSession"_s);
    for (QPushButton *b : {m_enter, m_disconnect, m_connect, m_remove})
        buttons->addWidget(b);
    layout->addLayout(buttons);

    connect(m_enter, &QPushButton::clicked, this, [this] {
        if (const int id = currentSessionId())
            Q_EMIT enterRequested(id);
    });
    connect(m_tree, &QTreeWidget::itemActivated, this, [this] {
        if (const int id = currentSessionId())
            Q_EMIT enterRequested(id);
    });
    connect(m_disconnect, &QPushButton::clicked, this, &SessionsPanel::disconnectCurrent);
    connect(m_connect, &QPushButton::clicked, this, &SessionsPanel::connectCurrent);
    connect(m_remove, &QPushButton::clicked, this, &SessionsPanel::removeCurrent);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, &SessionsPanel::updateButtons);
    connect(m_manager, &Session::SessionManager::sessionOpened, this, &SessionsPanel::refresh);
    connect(m_manager, &Session::SessionManager::sessionChanged, this, &SessionsPanel::refresh);
    connect(m_manager, &Session::SessionManager::sessionRemoved, this, &SessionsPanel::refresh);
    connect(m_manager, &Session::SessionManager::sessionFailed, this, &SessionsPanel::refresh);
    refresh();
}

int SessionsPanel::currentSessionId() const
{
    const QTreeWidgetItem *item = m_tree->currentItem();
    return item ? item->data(0, Qt::UserRole).toInt() : 0;
}

void SessionsPanel::setCurrentSessionId(int id)
{
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i)
        if (m_tree->topLevelItem(i)->data(0, Qt::UserRole).toInt() == id)
            m_tree->setCurrentItem(m_tree->topLevelItem(i));
}

void SessionsPanel::refresh()
{
    const int current = currentSessionId();
    m_tree->clear();
    for (const Session::PSSessionInfo &s : m_manager->list()) {
        auto *item = new QTreeWidgetItem(m_tree, {QString::number(s.id), s.name, s.computerName, s.configurationName,
                                                  Session::stateText(s.state), Session::availabilityText(s.availability)});
        item->setData(0, Qt::UserRole, s.id);
    }
    setCurrentSessionId(current);
    updateButtons();
}

void SessionsPanel::updateButtons()
{
    const std::optional<Session::PSSessionInfo> s = m_manager->find(currentSessionId());
    m_enter->setEnabled(s && (s->state == Session::PSSessionState::Opened || s->state == Session::PSSessionState::Disconnected));
    m_disconnect->setEnabled(s && s->state == Session::PSSessionState::Opened);
    m_connect->setEnabled(s && s->state == Session::PSSessionState::Disconnected);
    m_remove->setEnabled(s.has_value());
}

// Disconnect-PSSession / Connect-PSSession: refused by servers before protocol 2.2.
void SessionsPanel::disconnectCurrent()
{
    if (auto r = m_manager->disconnect(currentSessionId()); !r)
        Q_EMIT message(tr("Cannot disconnect the session: %1").arg(r.error().detail));
}

void SessionsPanel::connectCurrent()
{
    if (auto r = m_manager->connect(currentSessionId()); !r)
        Q_EMIT message(tr("Cannot connect the session: %1").arg(r.error().detail));
}

void SessionsPanel::removeCurrent()
{
    m_manager->remove(currentSessionId());
}

} // namespace Gui
