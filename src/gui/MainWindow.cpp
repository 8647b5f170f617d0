#include "gui/MainWindow.h"

#include "cli/ConnectionOptions.h"
#include "credentials/CredentialStore.h"
#include "gui/AboutDialog.h"
#include "gui/CertificateDialog.h"
#include "gui/ConnectionDialog.h"
#include "gui/ConsoleTab.h"
#include "gui/HostsPanel.h"
#include "gui/SavedHostStore.h"
#include "gui/SessionsPanel.h"
#include "gui/SettingsDialog.h"
#include "session/SessionManager.h"
#include "wsman/CertificateStore.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QToolBar>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

MainWindow::MainWindow(SavedHostStore *store, Credentials::CredentialStore *credentials, QWidget *parent)
    : QMainWindow(parent), m_store(store), m_credentials(credentials)
{
    setObjectName(u"mainWindow"_s);
    setWindowTitle(tr("PSRemote"));
    resize(1100, 700);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(u"consoleTabs"_s);
    m_tabs->setTabsClosable(true);
    m_tabs->setMovable(true);
    m_tabs->setDocumentMode(true);
    setCentralWidget(m_tabs);
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, &MainWindow::requestCloseTab);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::updateStatus);
    m_tabs->tabBar()->setContextMenuPolicy(Qt::ActionsContextMenu);

    auto *hostsDock = new QDockWidget(tr("Hosts"), this);
    hostsDock->setObjectName(u"hostsDock"_s);
    m_hosts = new HostsPanel(store, hostsDock);
    hostsDock->setWidget(m_hosts);
    addDockWidget(Qt::LeftDockWidgetArea, hostsDock);
    connect(m_hosts, &HostsPanel::openRequested, this, [this](const QString &id) { openSavedHost(id); });
    connect(m_hosts, &HostsPanel::addRequested, this, &MainWindow::addHost);
    connect(m_hosts, &HostsPanel::editRequested, this, &MainWindow::editHost);
    connect(m_hosts, &HostsPanel::duplicateRequested, this, &MainWindow::duplicateHost);
    connect(m_hosts, &HostsPanel::deleteRequested, this, &MainWindow::deleteHost);

    m_sessionManager = new Session::SessionManager(this);
    auto *sessionsDock = new QDockWidget(tr("Sessions"), this);
    sessionsDock->setObjectName(u"sessionsDock"_s);
    m_sessionsPanel = new SessionsPanel(m_sessionManager, sessionsDock);
    sessionsDock->setWidget(m_sessionsPanel);
    addDockWidget(Qt::LeftDockWidgetArea, sessionsDock);
    resizeDocks({hostsDock, sessionsDock}, {360, 360}, Qt::Horizontal);
    resizeDocks({hostsDock, sessionsDock}, {420, 220}, Qt::Vertical);
    connect(m_sessionsPanel, &SessionsPanel::enterRequested, this, [this](int id) { enterManagedSession(id); });
    connect(m_sessionsPanel, &SessionsPanel::message, this, &MainWindow::showMessage);

    m_cultureLabel = new QLabel(this);
    m_transportLabel = new QLabel(this);
    m_authenticationLabel = new QLabel(this);
    m_encryptionLabel = new QLabel(this);
    m_encryptionLabel->setObjectName(u"encryptionLabel"_s);
    for (QLabel *label : {m_cultureLabel, m_transportLabel, m_authenticationLabel, m_encryptionLabel})
        statusBar()->addPermanentWidget(label);

    createActions();
    updateStatus();
    if (!store->loadProblem().isEmpty()) {
        showMessage(store->loadProblem());
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Saved Hosts"), store->loadProblem(), QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
}

MainWindow::~MainWindow()
{
    // The tabs go first: their destroyed() handlers use the hashes below.
    m_tabs->disconnect(this);
    delete m_tabs;
    m_tabs = nullptr;
}

void MainWindow::createActions()
{
    auto action = [this](const QString &text, const QKeySequence &shortcut, const QString &icon, auto slot) {
        auto *a = new QAction(QIcon::fromTheme(icon), text, this);
        if (!shortcut.isEmpty())
            a->setShortcut(shortcut);
        a->setShortcutContext(Qt::WindowShortcut);
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
        return a;
    };
    auto forward = [this](void (ConsoleTab::*member)()) {
        return [this, member] {
            if (ConsoleTab *tab = currentTab())
                (tab->*member)();
        };
    };

    QAction *newConnection = action(tr("&New Connection..."), QKeySequence(u"Ctrl+Shift+T"_s), u"network-connect"_s,
                                    [this] { this->newConnection(); });
    newConnection->setObjectName(u"actionNewConnection"_s);
    QAction *closeTab = action(tr("&Close Tab"), QKeySequence(u"Ctrl+Shift+W"_s), u"tab-close"_s,
                               [this] { requestCloseTab(m_tabs->currentIndex()); });
    closeTab->setObjectName(u"actionCloseTab"_s);
    QAction *duplicate = action(tr("&Duplicate Tab"), QKeySequence(), u"tab-duplicate"_s,
                                [this] { duplicateTab(m_tabs->currentIndex()); });
    QAction *quit = action(tr("&Quit"), QKeySequence::Quit, u"application-exit"_s, [this] { close(); });
    QAction *next = action(tr("Ne&xt Tab"), QKeySequence(Qt::CTRL | Qt::Key_Tab), QString(), [this] {
        if (m_tabs->count() > 0)
            m_tabs->setCurrentIndex((m_tabs->currentIndex() + 1) % m_tabs->count());
    });
    QAction *previous = action(tr("Pre&vious Tab"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Backtab), QString(), [this] {
        if (m_tabs->count() > 0)
            m_tabs->setCurrentIndex((m_tabs->currentIndex() + m_tabs->count() - 1) % m_tabs->count());
    });
    QAction *copy = action(tr("&Copy"), QKeySequence(u"Ctrl+Shift+C"_s), u"edit-copy"_s, forward(&ConsoleTab::copy));
    QAction *paste = action(tr("&Paste"), QKeySequence(u"Ctrl+Shift+V"_s), u"edit-paste"_s, forward(&ConsoleTab::paste));
    QAction *find = action(tr("&Find..."), QKeySequence(u"Ctrl+Shift+F"_s), u"edit-find"_s, forward(&ConsoleTab::find));
    QAction *interrupt = action(tr("S&top Command"), QKeySequence(), u"process-stop"_s, forward(&ConsoleTab::interrupt));
    QAction *zoomIn = action(tr("Zoom &In"), QKeySequence(u"Ctrl+="_s), u"zoom-in"_s, forward(&ConsoleTab::zoomIn));
    zoomIn->setShortcuts({QKeySequence(u"Ctrl+="_s), QKeySequence(u"Ctrl++"_s)});
    QAction *zoomOut = action(tr("Zoom &Out"), QKeySequence(u"Ctrl+-"_s), u"zoom-out"_s, forward(&ConsoleTab::zoomOut));
    QAction *resetZoom =
        action(tr("&Reset Zoom"), QKeySequence(u"Ctrl+0"_s), u"zoom-original"_s, forward(&ConsoleTab::resetZoom));
    QAction *settings = action(tr("&Settings..."), QKeySequence(), u"configure"_s, [this] {
        auto *dialog = new SettingsDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::accepted, this, [this] {
            const ConsoleSettings console = ConsoleSettings::load();
            for (int i = 0; i < m_tabs->count(); ++i)
                if (auto *tab = qobject_cast<ConsoleTab *>(m_tabs->widget(i)))
                    tab->applySettings(console);
        });
        dialog->open();
    });
    QAction *about = action(tr("&About PSRemote"), QKeySequence(), u"help-about"_s, [this] {
        auto *dialog = new AboutDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
    });
    QAction *aboutQt = action(tr("About &Qt"), QKeySequence(), QString(), [] { QApplication::aboutQt(); });
    QAction *addHost = action(tr("&Add Host..."), QKeySequence(), u"list-add"_s, [this] { this->addHost(); });
    QAction *connectHost = action(tr("Co&nnect"), QKeySequence(), u"network-connect"_s, [this] {
        if (!m_hosts->currentHostId().isEmpty())
            openSavedHost(m_hosts->currentHostId());
    });
    QAction *newSession = action(tr("New &PSSession"), QKeySequence(), u"list-add"_s, [this] {
        if (!m_hosts->currentHostId().isEmpty())
            openPersistentSession(m_hosts->currentHostId());
    });
    newSession->setObjectName(u"actionNewPSSession"_s);
    QAction *editHost = action(tr("&Edit Host..."), QKeySequence(), u"document-edit"_s, [this] { this->editHost(m_hosts->currentHostId()); });
    QAction *duplicateHost = action(tr("D&uplicate Host"), QKeySequence(), u"edit-copy"_s,
                                    [this] { this->duplicateHost(m_hosts->currentHostId()); });
    QAction *deleteHost = action(tr("De&lete Host..."), QKeySequence(), u"edit-delete"_s,
                                 [this] { this->deleteHost(m_hosts->currentHostId()); });

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addActions({newConnection, duplicate, closeTab});
    file->addSeparator();
    file->addAction(quit);
    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addActions({copy, paste, find});
    edit->addSeparator();
    edit->addAction(settings);
    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addActions({zoomIn, zoomOut, resetZoom});
    view->addSeparator();
    view->addAction(findChild<QDockWidget *>(u"hostsDock"_s)->toggleViewAction());
    view->addAction(findChild<QDockWidget *>(u"sessionsDock"_s)->toggleViewAction());
    QMenu *hosts = menuBar()->addMenu(tr("H&osts"));
    hosts->addActions({connectHost, newSession, addHost, editHost, duplicateHost, deleteHost});
    QMenu *session = menuBar()->addMenu(tr("&Session"));
    session->addActions({interrupt, next, previous});
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addActions({about, aboutQt});

    QToolBar *toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(u"mainToolbar"_s);
    toolbar->addActions({newConnection, duplicate, closeTab});
    toolbar->addSeparator();
    toolbar->addActions({interrupt, find, settings});

    m_tabs->tabBar()->addActions({duplicate, closeTab});
}

ConsoleTab *MainWindow::currentTab() const
{
    return qobject_cast<ConsoleTab *>(m_tabs->currentWidget());
}

QString MainWindow::stateMarker(ConsoleTab::Condition condition)
{
    using C = ConsoleTab::Condition;
    switch (condition) {
    case C::Idle:
        return u"\u25CB"_s; // white circle
    case C::Connecting:
        return u"\u25CC"_s; // dotted circle
    case C::Ready:
        return u"\u25CF"_s; // black circle
    case C::Busy:
        return u"\u25D4"_s; // circle with quadrant
    case C::Reconnecting:
        return u"\u21BB"_s; // clockwise open circle arrow
    case C::Broken:
        return u"\u2716"_s; // heavy x
    case C::Disconnected:
        return u"\u25A1"_s; // white square
    case C::Closed:
        return u"\u2013"_s; // en dash
    }
    return {};
}

void MainWindow::updateTabTitle(ConsoleTab *tab)
{
    const int index = m_tabs->indexOf(tab);
    if (index < 0)
        return;
    const ConsoleTab::Condition condition = tab->condition();
    m_tabs->setTabText(index, stateMarker(condition) + u' ' + tab->title());
    m_tabs->setTabToolTip(index, tr("%1 (%2)").arg(tab->title(), ConsoleTab::conditionText(condition)));
}

ConsoleTab *MainWindow::openConnection(ConnectionRequest request)
{
    auto *tab = new ConsoleTab(m_tabs);
    tab->setSessionManager(m_sessionManager, request.persistent);
    const QString label = request.host.name.isEmpty() ? request.host.targetLabel() : request.host.name;
    const int index = m_tabs->addTab(tab, stateMarker(ConsoleTab::Condition::Connecting) + u' ' + label);
    m_tabs->setCurrentIndex(index);
    connect(tab, &ConsoleTab::titleChanged, this, [this, tab] { updateTabTitle(tab); });
    connect(tab, &ConsoleTab::stateChanged, this, [this, tab] {
        updateTabTitle(tab);
        updateStatus();
    });
    connect(tab, &ConsoleTab::conditionChanged, this, [this, tab] { updateTabTitle(tab); });
    connect(tab, &ConsoleTab::failed, this, [this, tab](const Wsman::ClientError &error) { onTabFailed(tab, error); });
    connect(tab, &ConsoleTab::windowTitleRequested, this, [this, tab](const QString &title) {
        if (tab == currentTab())
            setWindowTitle(tr("%1 - PSRemote").arg(title));
    });
    connect(tab, &ConsoleTab::finished, this, [this, tab] {
        updateTabTitle(tab);
        updateStatus();
    });
    connect(tab, &QObject::destroyed, this, [this, tab] {
        m_summaries.remove(tab);
        m_requests.remove(tab);
    });

    ConnectionRequest kept = request;
    kept.password.reset();
    m_requests.insert(tab, kept);
    auto *connection = new GuiConnection(std::move(request), m_credentials, tab, this);
    connect(connection, &GuiConnection::started, this, [this, tab](const ConnectionSummary &summary) {
        m_summaries.insert(tab, summary);
        updateTabTitle(tab);
        updateStatus();
    });
    connect(connection, &GuiConnection::cancelled, this, [this, tab](const QString &why) {
        showMessage(why);
        closeTab(m_tabs->indexOf(tab));
    });
    connect(connection, &GuiConnection::warning, this, [this](const QString &text) { showMessage(text); });
    connect(connection, &GuiConnection::passwordStored, this, [this](bool ok, const QString &message) {
        if (!ok)
            showMessage(tr("The password could not be stored in the keychain: %1").arg(message));
    });
    connection->start();
    return tab;
}

ConsoleTab *MainWindow::openPersistentSession(const QString &hostId)
{
    std::optional<SavedHost> host = m_store->find(hostId);
    if (!host)
        return nullptr;
    ConnectionRequest request;
    request.host = *host;
    request.persistent = true;
    return openConnection(std::move(request));
}

ConsoleTab *MainWindow::enterManagedSession(int id)
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto *open = qobject_cast<ConsoleTab *>(m_tabs->widget(i));
        if (open && open->managedSessionId() == id && open->state() != Session::SessionState::Closed
            && open->state() != Session::SessionState::Broken) {
            m_tabs->setCurrentIndex(i);
            return open;
        }
    }
    const std::optional<Session::PSSessionInfo> info = m_sessionManager->find(id);
    if (!info)
        return nullptr;
    auto *tab = new ConsoleTab(m_tabs);
    const QString title = u"%1 (%2)"_s.arg(info->computerName, info->name);
    m_tabs->setCurrentIndex(m_tabs->addTab(tab, stateMarker(ConsoleTab::Condition::Connecting) + u' ' + title));
    connect(tab, &ConsoleTab::titleChanged, this, [this, tab] { updateTabTitle(tab); });
    connect(tab, &ConsoleTab::conditionChanged, this, [this, tab] { updateTabTitle(tab); });
    connect(tab, &ConsoleTab::stateChanged, this, [this, tab] {
        updateTabTitle(tab);
        updateStatus();
    });
    tab->attachSession(m_sessionManager, id, title);
    return tab;
}

ConsoleTab *MainWindow::openSavedHost(const QString &id)
{
    std::optional<SavedHost> host = m_store->find(id);
    if (!host)
        return nullptr;
    ConnectionRequest request;
    request.host = *host;
    return openConnection(std::move(request));
}

ConsoleTab *MainWindow::openCommandLine(const Cli::ConnectionOptions &options)
{
    ConnectionRequest request;
    request.host.connection = options.connection;
    request.host.sessionOption = options.sessionOption;
    request.trustedHosts = options.trustedHosts;
    request.allowDelegation = options.allowDelegation;
    request.pinCertificate = options.pinCertificate;
    request.traceFile = options.traceFile;
    if (options.saveTrustedHosts) {
        Wsman::TrustedHosts trusted = Wsman::TrustedHosts::load();
        for (const QString &pattern : options.trustedHosts)
            trusted.add(pattern);
        if (!trusted.save())
            showMessage(tr("Cannot write %1").arg(Wsman::sharedSettingsFilePath()));
    }
    return openConnection(std::move(request));
}

void MainWindow::newConnection()
{
    auto *dialog = new ConnectionDialog(ConnectionDialog::Mode::Connect, m_store, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    SavedHost defaults;
    defaults.sessionOption = SettingsDialog::defaultSessionOption();
    dialog->setHost(defaults);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        ConnectionRequest request;
        request.host = dialog->host();
        request.password = std::make_shared<Wsman::Secret>(dialog->takePassword());
        if (dialog->saveAsHost()) {
            if (auto error = m_store->add(request.host))
                showMessage(*error);
        } else {
            request.host.id.clear();
            request.host.name.clear();
            request.host.rememberPassword = false;
        }
        openConnection(std::move(request));
    });
    dialog->open();
}

void MainWindow::addHost()
{
    auto *dialog = new ConnectionDialog(ConnectionDialog::Mode::EditHost, m_store, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    SavedHost defaults;
    defaults.sessionOption = SettingsDialog::defaultSessionOption();
    defaults.folder = m_store->find(m_hosts->currentHostId()).value_or(SavedHost()).folder;
    dialog->setHost(defaults);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        SavedHost host = dialog->host();
        Wsman::Secret password = dialog->takePassword();
        if (auto error = m_store->add(host)) {
            showMessage(*error);
            return;
        }
        m_hosts->setCurrentHostId(host.id);
        if (host.rememberPassword && !password.isEmpty() && host.connection.userName && m_credentials)
            m_credentials->write(Credentials::CredentialStore::hostPasswordKey(host.id, host.connection.userName->toString()),
                                 password, this, [this](Credentials::DoneResult done) {
                                     if (done)
                                         showMessage(tr("The password could not be stored in the keychain: %1")
                                                         .arg(done->message));
                                 });
    });
    dialog->open();
}

void MainWindow::editHost(const QString &id)
{
    std::optional<SavedHost> original = m_store->find(id);
    if (!original)
        return;
    auto *dialog = new ConnectionDialog(ConnectionDialog::Mode::EditHost, m_store, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setHost(*original);
    connect(dialog, &QDialog::accepted, this, [this, dialog, original = *original] {
        SavedHost host = dialog->host();
        Wsman::Secret password = dialog->takePassword();
        if (auto error = m_store->update(host)) {
            showMessage(*error);
            return;
        }
        if (!m_credentials)
            return;
        const auto userOf = [](const SavedHost &h) { return h.connection.userName ? h.connection.userName->toString() : QString(); };
        // A forgotten password, or one for another user name, leaves the keychain.
        if (original.rememberPassword && (!host.rememberPassword || userOf(original) != userOf(host)))
            m_credentials->remove(Credentials::CredentialStore::hostPasswordKey(host.id, userOf(original)), this,
                                  [](Credentials::DoneResult) {});
        if (host.rememberPassword && !password.isEmpty() && host.connection.userName)
            m_credentials->write(Credentials::CredentialStore::hostPasswordKey(host.id, userOf(host)), password, this,
                                 [this](Credentials::DoneResult done) {
                                     if (done)
                                         showMessage(tr("The password could not be stored in the keychain: %1")
                                                         .arg(done->message));
                                 });
    });
    dialog->open();
}

void MainWindow::duplicateHost(const QString &id)
{
    QString error;
    if (std::optional<SavedHost> copy = m_store->duplicate(id, &error)) {
        m_hosts->setCurrentHostId(copy->id);
        if (!error.isEmpty())
            showMessage(error);
    }
}

void MainWindow::deleteHost(const QString &id)
{
    std::optional<SavedHost> host = m_store->find(id);
    if (!host)
        return;
    auto *box = new QMessageBox(QMessageBox::Question, tr("Delete Host"),
                                tr("Delete the saved host '%1'?").arg(host->path()), QMessageBox::NoButton, this);
    box->setObjectName(u"deleteHostDialog"_s);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yes = box->addButton(tr("&Delete"), QMessageBox::DestructiveRole);
    box->addButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::finished, this, [this, box, yes, host = *host](int) {
        if (box->clickedButton() != yes)
            return;
        if (auto error = m_store->remove(host.id))
            showMessage(*error);
        if (host.rememberPassword && host.connection.userName && m_credentials)
            m_credentials->remove(Credentials::CredentialStore::hostPasswordKey(host.id, host.connection.userName->toString()),
                                  this, [](Credentials::DoneResult) {});
    });
    box->open();
}

void MainWindow::duplicateTab(int index)
{
    auto *tab = qobject_cast<ConsoleTab *>(m_tabs->widget(index));
    if (!tab || !m_requests.contains(tab))
        return;
    openConnection(m_requests.value(tab));
}

void MainWindow::requestCloseTab(int index)
{
    auto *tab = qobject_cast<ConsoleTab *>(m_tabs->widget(index));
    if (!tab)
        return;
    if (!tab->isBusy()) {
        closeTab(index);
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Question, tr("Close Tab"),
                                tr("A command is still running in %1. Stop it and close the tab?").arg(tab->title()),
                                QMessageBox::NoButton, this);
    box->setObjectName(u"closeBusyTabDialog"_s);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yes = box->addButton(tr("&Close Tab"), QMessageBox::AcceptRole);
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::finished, this, [this, box, yes, tab = QPointer<ConsoleTab>(tab)](int) {
        if (box->clickedButton() == yes && tab)
            closeTab(m_tabs->indexOf(tab));
    });
    box->open();
}

void MainWindow::closeTab(int index)
{
    auto *tab = qobject_cast<ConsoleTab *>(m_tabs->widget(index));
    if (!tab)
        return;
    m_tabs->removeTab(index);
    tab->closeSession();
    tab->deleteLater();
    updateStatus();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    int busy = 0;
    for (int i = 0; i < m_tabs->count(); ++i)
        if (auto *tab = qobject_cast<ConsoleTab *>(m_tabs->widget(i)); tab && tab->isBusy())
            ++busy;
    if (busy == 0 || property("confirmedQuit").toBool()) {
        for (int i = m_tabs->count() - 1; i >= 0; --i)
            closeTab(i);
        event->accept();
        return;
    }
    event->ignore();
    auto *box = new QMessageBox(QMessageBox::Question, tr("Quit"),
                                tr("%n tab(s) still run a command. Stop them and quit?", nullptr, busy),
                                QMessageBox::NoButton, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yes = box->addButton(tr("&Quit"), QMessageBox::AcceptRole);
    box->addButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::finished, this, [this, box, yes](int) {
        if (box->clickedButton() == yes) {
            setProperty("confirmedQuit", true);
            close();
        }
    });
    box->open();
}

void MainWindow::updateStatus()
{
    ConsoleTab *tab = currentTab();
    if (!tab || !m_summaries.contains(tab)) {
        for (QLabel *label : {m_cultureLabel, m_transportLabel, m_authenticationLabel, m_encryptionLabel})
            label->clear();
        setWindowTitle(tr("PSRemote"));
        return;
    }
    const ConnectionSummary &s = m_summaries[tab];
    m_cultureLabel->setText(tr("Culture: %1 / UI %2").arg(s.culture, s.uiCulture));
    m_transportLabel->setText(s.transport);
    m_authenticationLabel->setText(tr("Authentication: %1").arg(s.authentication));
    m_encryptionLabel->setText(s.encryption);
    m_encryptionLabel->setStyleSheet(s.encrypted ? QString() : u"color: #b00020; font-weight: bold;"_s);
    setWindowTitle(tr("%1 - PSRemote").arg(tab->title()));
}

// Same policy as psremote-cli's pin loop: an unknown certificate may be pinned after the user saw
// it; a certificate that contradicts an existing pin is never offered as a simple yes.
void MainWindow::onTabFailed(ConsoleTab *tab, const Wsman::ClientError &error)
{
    if (!error.transport || error.transport->kind != Wsman::TransportErrorKind::Tls
        || error.transport->peerCertificate.isNull() || !m_requests.contains(tab))
        return;
    const auto target = m_requests.value(tab).host.connection.resolve();
    if (!target)
        return;
    const QString endpoint = Wsman::CertificateStore::endpointKey(target.value().host, target.value().port);
    const Wsman::TransportError &tls = *error.transport;
    auto *dialog = new CertificateDialog(endpoint, tls.peerCertificate, tls.sslErrors, tls.pinMismatch, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, endpoint, tab = QPointer<ConsoleTab>(tab)] {
        if (dialog->isPinMismatch())
            return;
        if (!Wsman::CertificateStore().addPin(endpoint, dialog->sha256()))
            showMessage(tr("Cannot store the certificate pin in %1").arg(Wsman::sharedSettingsFilePath()));
        if (!tab)
            return;
        tab->addPinnedCertificate(dialog->sha256());
        tab->reconnect();
    });
    dialog->open();
}

void MainWindow::showMessage(const QString &text)
{
    statusBar()->showMessage(text, 15000);
}

} // namespace Gui
