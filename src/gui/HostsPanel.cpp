#include "gui/HostsPanel.h"

#include "gui/SavedHostStore.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QToolButton>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

constexpr int IdRole = Qt::UserRole;
constexpr int SearchRole = Qt::UserRole + 1;

QToolButton *toolButton(const QString &text, const QString &iconName, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setText(text);
    button->setToolTip(text);
    button->setIcon(QIcon::fromTheme(iconName));
    button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    button->setAutoRaise(true);
    return button;
}

} // namespace

HostsPanel::HostsPanel(SavedHostStore *store, QWidget *parent) : QWidget(parent), m_store(store)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(u"hostsFilter"_s);
    m_filter->setPlaceholderText(tr("Filter hosts"));
    m_filter->setClearButtonEnabled(true);
    layout->addWidget(m_filter);
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(u"hostsTree"_s);
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({tr("Host"), tr("Computer")});
    m_tree->header()->setStretchLastSection(true);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    m_tree->setExpandsOnDoubleClick(true);
    layout->addWidget(m_tree, 1);

    auto *buttons = new QHBoxLayout;
    auto *add = toolButton(tr("Add"), u"list-add"_s, this);
    m_editButton = toolButton(tr("Edit"), u"document-edit"_s, this);
    m_duplicateButton = toolButton(tr("Duplicate"), u"edit-copy"_s, this);
    m_deleteButton = toolButton(tr("Delete"), u"edit-delete"_s, this);
    for (QToolButton *b : {add, m_editButton, m_duplicateButton, m_deleteButton})
        buttons->addWidget(b);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    connect(add, &QToolButton::clicked, this, &HostsPanel::addRequested);
    connect(m_editButton, &QToolButton::clicked, this, [this] { Q_EMIT editRequested(currentHostId()); });
    connect(m_duplicateButton, &QToolButton::clicked, this, [this] { Q_EMIT duplicateRequested(currentHostId()); });
    connect(m_deleteButton, &QToolButton::clicked, this, [this] { Q_EMIT deleteRequested(currentHostId()); });
    connect(m_filter, &QLineEdit::textChanged, this, &HostsPanel::applyFilter);
    connect(m_tree, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        const QString id = item ? item->data(0, IdRole).toString() : QString();
        if (!id.isEmpty())
            Q_EMIT openRequested(id);
    });
    const auto selectionChanged = [this] {
        const bool host = !currentHostId().isEmpty();
        m_editButton->setEnabled(host);
        m_duplicateButton->setEnabled(host);
        m_deleteButton->setEnabled(host);
    };
    connect(m_tree, &QTreeWidget::currentItemChanged, this, selectionChanged);
    connect(m_tree, &QTreeWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QString id = currentHostId();
        QMenu menu(this);
        if (!id.isEmpty()) {
            menu.addAction(tr("Connect"), this, [this, id] { Q_EMIT openRequested(id); });
            menu.addAction(tr("Edit..."), this, [this, id] { Q_EMIT editRequested(id); });
            menu.addAction(tr("Duplicate"), this, [this, id] { Q_EMIT duplicateRequested(id); });
            menu.addAction(tr("Delete..."), this, [this, id] { Q_EMIT deleteRequested(id); });
            menu.addSeparator();
        }
        menu.addAction(tr("Add..."), this, &HostsPanel::addRequested);
        menu.exec(m_tree->viewport()->mapToGlobal(pos));
    });
    connect(m_store, &SavedHostStore::changed, this, &HostsPanel::rebuild);
    rebuild();
    selectionChanged();
}

QTreeWidgetItem *HostsPanel::folderItem(const QString &folder)
{
    if (folder.isEmpty())
        return m_tree->invisibleRootItem();
    QTreeWidgetItem *parent = m_tree->invisibleRootItem();
    for (const QString &part : folder.split(u'/')) {
        QTreeWidgetItem *found = nullptr;
        for (int i = 0; i < parent->childCount(); ++i) {
            QTreeWidgetItem *child = parent->child(i);
            if (child->data(0, IdRole).toString().isEmpty() && child->text(0) == part)
                found = child;
        }
        if (!found) {
            found = new QTreeWidgetItem(parent, {part});
            found->setIcon(0, QIcon::fromTheme(u"folder"_s));
            found->setData(0, SearchRole, part);
            found->setExpanded(true);
        }
        parent = found;
    }
    return parent;
}

void HostsPanel::rebuild()
{
    const QString current = currentHostId();
    m_tree->clear();
    for (const QString &folder : m_store->folders())
        folderItem(folder);
    QList<SavedHost> hosts = m_store->hosts();
    std::sort(hosts.begin(), hosts.end(),
              [](const SavedHost &a, const SavedHost &b) { return a.name.compare(b.name, Qt::CaseInsensitive) < 0; });
    for (const SavedHost &h : hosts) {
        auto *item = new QTreeWidgetItem(folderItem(h.folder), {h.name, h.targetLabel()});
        item->setData(0, IdRole, h.id);
        const QString user = h.connection.userName ? h.connection.userName->toString() : QString();
        item->setData(0, SearchRole, QStringList{h.name, h.folder, h.targetLabel(), user}.join(u'\n'));
        item->setToolTip(0, h.path());
        item->setIcon(0, QIcon::fromTheme(u"network-server"_s));
    }
    m_tree->expandAll();
    applyFilter();
    if (!current.isEmpty())
        setCurrentHostId(current);
}

void HostsPanel::applyFilter()
{
    const QString text = m_filter->text().trimmed();
    // A host is shown when the text occurs in its name, folder, computer or user; a folder when
    // one of its hosts is shown (or it matches itself and the filter is empty).
    std::function<bool(QTreeWidgetItem *)> visit = [&](QTreeWidgetItem *item) -> bool {
        bool any = false;
        for (int i = 0; i < item->childCount(); ++i)
            any = visit(item->child(i)) || any;
        if (item == m_tree->invisibleRootItem())
            return any;
        const bool isHost = !item->data(0, IdRole).toString().isEmpty();
        bool show = text.isEmpty();
        if (isHost)
            show = show || item->data(0, SearchRole).toString().contains(text, Qt::CaseInsensitive);
        else
            show = show || any;
        item->setHidden(!show);
        return show;
    };
    visit(m_tree->invisibleRootItem());
}

void HostsPanel::setFilter(const QString &text)
{
    m_filter->setText(text);
}

QStringList HostsPanel::visibleHostIds() const
{
    QStringList ids;
    std::function<void(QTreeWidgetItem *)> visit = [&](QTreeWidgetItem *item) {
        for (int i = 0; i < item->childCount(); ++i) {
            QTreeWidgetItem *child = item->child(i);
            if (child->isHidden())
                continue;
            const QString id = child->data(0, IdRole).toString();
            if (!id.isEmpty())
                ids.append(id);
            visit(child);
        }
    };
    visit(m_tree->invisibleRootItem());
    return ids;
}

QString HostsPanel::currentHostId() const
{
    QTreeWidgetItem *item = m_tree->currentItem();
    return item ? item->data(0, IdRole).toString() : QString();
}

void HostsPanel::setCurrentHostId(const QString &id)
{
    QTreeWidgetItemIterator it(m_tree);
    for (; *it; ++it) {
        if ((*it)->data(0, IdRole).toString() == id) {
            m_tree->setCurrentItem(*it);
            return;
        }
    }
}

} // namespace Gui
