#include "ShellTestSupport.h"

#include "../wsman/ClientHarness.h"

#include "credentials/MemoryCredentialStore.h"
#include "gui/ConnectionDialog.h"
#include "gui/ConsoleTab.h"
#include "gui/HostsPanel.h"
#include "gui/MainWindow.h"
#include "gui/SavedHostStore.h"

#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using Gui::SavedHost;

namespace {

SavedHost host(const QString &name, const QString &folder, const QString &computer)
{
    SavedHost h;
    h.name = name;
    h.folder = folder;
    h.connection.computerName = computer;
    h.connection.userName = Wsman::UserName::parse(u"alice").value();
    return h;
}

// A saved host for the loopback endpoint: Basic over plain HTTP with NoEncryption (loopback
// needs no TrustedHosts consent), the password remembered.
SavedHost loopbackHost(const TestServer::LoopbackServer &server)
{
    SavedHost h = host(u"Loopback demo"_s, QString(), u"127.0.0.1"_s);
    h.connection.port = server.port();
    h.connection.authentication = Wsman::AuthenticationMechanism::Basic;
    h.sessionOption.noEncryption = true;
    h.rememberPassword = true;
    return h;
}

QTreeWidgetItem *itemNamed(QTreeWidget *tree, const QString &text)
{
    const QList<QTreeWidgetItem *> found = tree->findItems(text, Qt::MatchExactly | Qt::MatchRecursive);
    return found.isEmpty() ? nullptr : found.first();
}

void doubleClick(QTreeWidget *tree, QTreeWidgetItem *item)
{
    tree->scrollToItem(item);
    const QPoint centre = tree->visualItemRect(item).center();
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, centre);
    QTest::mouseDClick(tree->viewport(), Qt::LeftButton, {}, centre);
}

struct Fixture {
    QTemporaryDir dir;
    Gui::SavedHostStore store{dir.filePath(u"hosts.json"_s)};
    Credentials::MemoryCredentialStore credentials;
};

} // namespace

TEST(HostsPanel, FoldersAndFilterAsYouType)
{
    Fixture f;
    for (SavedHost h : {host(u"Web 1"_s, u"Prod/Web"_s, u"web1.contoso.com"_s),
                        host(u"Web 2"_s, u"Prod/Web"_s, u"web2.contoso.com"_s),
                        host(u"Db"_s, u"Prod"_s, u"sql.contoso.com"_s), host(u"Lab"_s, QString(), u"lab.local"_s)})
        ASSERT_FALSE(f.store.add(h).has_value());
    Gui::HostsPanel panel(&f.store);
    panel.show();
    EXPECT_EQ(panel.visibleHostIds().size(), 4);
    ASSERT_NE(itemNamed(panel.tree(), u"Web"_s), nullptr); // the folder
    EXPECT_EQ(itemNamed(panel.tree(), u"Web 1"_s)->parent(), itemNamed(panel.tree(), u"Web"_s));

    QTest::keyClicks(panel.filterEdit(), u"SQL"_s); // the computer name matches too
    ASSERT_EQ(panel.visibleHostIds().size(), 1);
    EXPECT_EQ(f.store.find(panel.visibleHostIds().first())->name, u"Db"_s);
    EXPECT_TRUE(itemNamed(panel.tree(), u"Web"_s)->isHidden());
    EXPECT_FALSE(itemNamed(panel.tree(), u"Prod"_s)->isHidden());

    panel.setFilter(u"web"_s);
    EXPECT_EQ(panel.visibleHostIds().size(), 2);
    panel.setFilter(u"nothing like it"_s);
    EXPECT_TRUE(panel.visibleHostIds().isEmpty());
    panel.setFilter(QString());
    EXPECT_EQ(panel.visibleHostIds().size(), 4);

    // The store changing rebuilds the tree.
    SavedHost extra = host(u"New"_s, u"Prod"_s, u"new.contoso.com"_s);
    ASSERT_FALSE(f.store.add(extra).has_value());
    EXPECT_EQ(panel.visibleHostIds().size(), 5);
}

TEST(MainWindow, NewConnectionShortcutOpensTheDialog)
{
    Fixture f;
    Gui::MainWindow window(&f.store, &f.credentials);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QTest::keyClick(&window, Qt::Key_T, Qt::ControlModifier | Qt::ShiftModifier);
    auto *dialog = ShellTest::findTopLevel<Gui::ConnectionDialog>({});
    if (!dialog) // dialogs opened with open() are children of the window
        dialog = window.findChild<Gui::ConnectionDialog *>();
    ASSERT_NE(dialog, nullptr);
    EXPECT_TRUE(dialog->isVisible());
    dialog->reject();
}

TEST(MainWindow, DeleteHostAsksFirst)
{
    Fixture f;
    SavedHost h = host(u"Old"_s, QString(), u"old.contoso.com"_s);
    ASSERT_FALSE(f.store.add(h).has_value());
    Gui::MainWindow window(&f.store, &f.credentials);
    window.show();
    window.deleteHost(h.id);
    auto *box = window.findChild<QMessageBox *>(u"deleteHostDialog"_s);
    ASSERT_NE(box, nullptr);
    box->reject();
    QCoreApplication::processEvents();
    EXPECT_TRUE(f.store.find(h.id).has_value());
    window.deleteHost(h.id);
    box = window.findChild<QMessageBox *>(u"deleteHostDialog"_s);
    ASSERT_NE(box, nullptr);
    for (QAbstractButton *b : box->buttons())
        if (box->buttonRole(b) == QMessageBox::DestructiveRole)
            b->click();
    EXPECT_TRUE(ShellTest::waitFor([&] { return !f.store.find(h.id).has_value(); }));
}

TEST(MainWindow, DoubleClickedSavedHostConnectsToTheLoopbackEndpoint)
{
    Fixture f;
    auto server = ClientHarness::startEndpoint();
    ASSERT_NE(server, nullptr);
    SavedHost h = loopbackHost(*server);
    ASSERT_FALSE(f.store.add(h).has_value());
    bool written = false;
    f.credentials.write(Credentials::CredentialStore::hostPasswordKey(h.id, u"alice"), Wsman::Secret(ClientHarness::Password),
                        &f.credentials, [&](Credentials::DoneResult r) { written = !r.has_value(); });
    ASSERT_TRUE(ShellTest::waitFor([&] { return written; }));

    Gui::MainWindow window(&f.store, &f.credentials);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QTreeWidgetItem *item = itemNamed(window.hostsPanel()->tree(), u"Loopback demo"_s);
    ASSERT_NE(item, nullptr);
    doubleClick(window.hostsPanel()->tree(), item);
    ASSERT_EQ(window.tabs()->count(), 1);
    auto *tab = qobject_cast<Gui::ConsoleTab *>(window.tabs()->widget(0));
    ASSERT_NE(tab, nullptr);
    EXPECT_TRUE(window.tabs()->tabText(0).contains(u"Loopback demo"_s));
    // No password dialog: the keychain had it.
    ASSERT_TRUE(ShellTest::waitFor([&] { return tab->state() == Session::SessionState::Ready; }))
        << Session::sessionStateName(tab->state()).toStdString();
    EXPECT_EQ(window.findChild<QInputDialog *>(u"passwordDialog"_s), nullptr);
    EXPECT_TRUE(window.tabs()->tabText(0).startsWith(Gui::MainWindow::stateMarker(Gui::ConsoleTab::Condition::Ready)));
    EXPECT_TRUE(window.findChild<QLabel *>(u"encryptionLabel"_s)->text().contains(u"NoEncryption"_s));
}

TEST(MainWindow, PasswordAskedWhenTheKeychainFailsAndStoredAfterOpening)
{
    Fixture f;
    auto server = ClientHarness::startEndpoint();
    ASSERT_NE(server, nullptr);
    SavedHost h = loopbackHost(*server);
    ASSERT_FALSE(f.store.add(h).has_value());
    f.credentials.setFailure(Credentials::Error{Credentials::ErrorKind::Other, u"No D-Bus session (test)"_s});

    Gui::MainWindow window(&f.store, &f.credentials);
    window.show();
    Gui::ConsoleTab *tab = window.openSavedHost(h.id);
    ASSERT_NE(tab, nullptr);
    QInputDialog *ask = nullptr;
    ASSERT_TRUE(ShellTest::waitFor([&] { return (ask = window.findChild<QInputDialog *>(u"passwordDialog"_s)) != nullptr; }));
    EXPECT_TRUE(ask->labelText().contains(u"No D-Bus session (test)"_s)) << ask->labelText().toStdString();
    f.credentials.setFailure(std::nullopt);
    ask->setTextValue(ClientHarness::Password);
    ask->accept();
    ASSERT_TRUE(ShellTest::waitFor([&] { return tab->state() == Session::SessionState::Ready; }));
    EXPECT_TRUE(ShellTest::waitFor(
        [&] { return f.credentials.contains(Credentials::CredentialStore::hostPasswordKey(h.id, u"alice")); }));
}

TEST(MainWindow, ClosingABusyTabAsksFirst)
{
    Fixture f;
    auto server = ClientHarness::startEndpoint();
    ASSERT_NE(server, nullptr);
    SavedHost h = loopbackHost(*server);
    h.rememberPassword = false;
    ASSERT_FALSE(f.store.add(h).has_value());
    Gui::MainWindow window(&f.store, &f.credentials);
    window.show();
    Gui::ConnectionRequest request;
    request.host = h;
    request.password = std::make_shared<Wsman::Secret>(ClientHarness::Password);
    Gui::ConsoleTab *tab = window.openConnection(request);
    ASSERT_TRUE(ShellTest::waitFor([&] { return tab->state() == Session::SessionState::Ready; }));

    // Type a long-running command into the console's input and run it.
    QWidget *input = tab->focusWidget() ? tab->focusWidget() : tab->findChild<QPlainTextEdit *>();
    ASSERT_NE(input, nullptr);
    QTest::keyClicks(input, u"Start-Sleep -Seconds 60"_s);
    QTest::keyClick(input, Qt::Key_Return);
    ASSERT_TRUE(ShellTest::waitFor([&] { return tab->isBusy(); }));

    window.requestCloseTab(0);
    auto *box = window.findChild<QMessageBox *>(u"closeBusyTabDialog"_s);
    ASSERT_NE(box, nullptr);
    EXPECT_EQ(window.tabs()->count(), 1);
    box->reject();
    QCoreApplication::processEvents();
    EXPECT_EQ(window.tabs()->count(), 1);

    window.requestCloseTab(0);
    box = window.findChild<QMessageBox *>(u"closeBusyTabDialog"_s);
    ASSERT_NE(box, nullptr);
    for (QAbstractButton *b : box->buttons())
        if (box->buttonRole(b) == QMessageBox::AcceptRole)
            b->click();
    EXPECT_TRUE(ShellTest::waitFor([&] { return window.tabs()->count() == 0; }));
}
