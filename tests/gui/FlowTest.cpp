// The whole desktop flow through Gui::MainWindow, offscreen, with isolated settings, against the
// loopback endpoint (the simulator): the connection dialog validating and saving a host, a
// double-click reaching the remote prompt, a command with output, Read-Host / Get-Credential /
// PromptForChoice answered, Ctrl+C, Tab completion, closing a tab with its shortcut; the trust
// on first use dialog for an unknown server certificate; and (GuiRealKeychain, run inside
// tests/credentials/run-with-keyring.sh) a remembered password in a real gnome-keyring.
#include "ShellTestSupport.h"

#include "../wsman/ClientHarness.h"
#include "HttpTestServer.h"
#include "LoopbackServer.h"

#include "credentials/KeychainCredentialStore.h"
#include "credentials/MemoryCredentialStore.h"
#include "gui/CertificateDialog.h"
#include "gui/ChoiceDialog.h"
#include "gui/ConnectionDialog.h"
#include "gui/ConsoleTab.h"
#include "gui/CredentialDialog.h"
#include "gui/HostsPanel.h"
#include "gui/InputLine.h"
#include "gui/MainWindow.h"
#include "gui/OutputView.h"
#include "gui/SavedHostStore.h"
#include "gui/SessionsPanel.h"
#include "gui/TabHostUi.h"
#include "session/SessionManager.h"
#include "wsman/CertificateStore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using Gui::ConsoleTab;
using Gui::SavedHost;
using ShellTest::waitFor;

namespace {

std::string str(const QString &s)
{
    return s.toStdString();
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

template <typename Dialog>
Dialog *waitHostDialog(ConsoleTab *tab)
{
    Dialog *found = nullptr;
    waitFor([&] {
        for (QDialog *d : tab->hostUi()->openDialogs())
            if (auto *x = qobject_cast<Dialog *>(d))
                found = x;
        return found != nullptr;
    });
    return found;
}

bool hasLine(ConsoleTab *tab, const QString &line)
{
    const Gui::OutputView *view = tab->outputView();
    for (qsizetype i = view->lineCount() - 1; i >= 0; --i)
        if (view->lineText(i) == line)
            return true;
    return false;
}

struct Window {
    explicit Window(Credentials::CredentialStore *credentials = nullptr)
        : window(&store, credentials ? credentials : &memory)
    {
        window.show();
    }
    ~Window()
    {
        window.setProperty("confirmedQuit", true);
        window.close();
        waitFor([&] { return window.tabs()->count() == 0; }, 5000);
    }
    QTemporaryDir dir;
    Gui::SavedHostStore store{dir.filePath(u"hosts.json"_s)};
    Credentials::MemoryCredentialStore memory;
    Gui::MainWindow window;
};

QPlainTextEdit *editorOf(ConsoleTab *tab)
{
    return tab->inputLine()->editor();
}

void typeLine(ConsoleTab *tab, const QString &line)
{
    QTest::keyClicks(editorOf(tab), line);
    QTest::keyClick(editorOf(tab), Qt::Key_Return);
}

bool waitPrompt(ConsoleTab *tab)
{
    return waitFor([&] { return tab->state() != Session::SessionState::Busy; }) && tab->state() == Session::SessionState::Ready;
}

} // namespace

// Ctrl+Shift+T, the dialog refusing what PowerShell refuses, "Save as host", then the saved host
// double-clicked in the Hosts panel: the remote prompt, output, every kind of question, Ctrl+C,
// Tab completion and Ctrl+Shift+W.
TEST(DesktopFlow, DialogSaveDoubleClickRunAnswerInterruptCompleteAndClose)
{
    auto server = ClientHarness::startEndpoint();
    ASSERT_NE(server, nullptr);
    Window w;
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&w.window));

    QTest::keyClick(&w.window, Qt::Key_T, Qt::ControlModifier | Qt::ShiftModifier);
    auto *dialog = w.window.findChild<Gui::ConnectionDialog *>();
    ASSERT_NE(dialog, nullptr);
    ASSERT_TRUE(dialog->isVisible());
    QPushButton *ok = dialog->findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    auto *validation = dialog->findChild<QLabel *>(u"validationLabel"_s);
    // An IP address without a credential: refused inline, as PowerShell does.
    QTest::keyClicks(dialog->findChild<QLineEdit *>(u"computerNameEdit"_s), u"127.0.0.1"_s);
    EXPECT_FALSE(ok->isEnabled());
    EXPECT_TRUE(validation->text().contains(u"credential"_s)) << str(validation->text());
    dialog->findChild<QSpinBox *>(u"portSpin"_s)->setValue(server->port());
    auto *authentication = dialog->findChild<QComboBox *>(u"authenticationCombo"_s);
    authentication->setCurrentIndex(authentication->findData(int(Wsman::AuthenticationMechanism::Basic)));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(u"userNameEdit"_s), ClientHarness::User);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(u"passwordEdit"_s), ClientHarness::Password);
    auto *noEncryption = dialog->findChild<QCheckBox *>(u"option_NoEncryption"_s);
    ASSERT_NE(noEncryption, nullptr);
    noEncryption->setChecked(true);
    dialog->findChild<QCheckBox *>(u"saveAsHostCheck"_s)->setChecked(true);
    EXPECT_FALSE(ok->isEnabled()); // a saved host needs a name
    QTest::keyClicks(dialog->findChild<QLineEdit *>(u"hostNameEdit"_s), u"Loopback"_s);
    ASSERT_TRUE(ok->isEnabled()) << str(validation->text());
    QTest::mouseClick(ok, Qt::LeftButton);

    ASSERT_EQ(w.store.hosts().size(), 1);
    const SavedHost saved = w.store.hosts().first();
    EXPECT_EQ(saved.name, u"Loopback"_s);
    ASSERT_EQ(w.window.tabs()->count(), 1);
    auto *first = qobject_cast<ConsoleTab *>(w.window.tabs()->widget(0));
    ASSERT_TRUE(waitFor([&] { return first->state() == Session::SessionState::Ready; }));
    EXPECT_TRUE(w.window.tabs()->tabText(0).startsWith(Gui::MainWindow::stateMarker(ConsoleTab::Condition::Ready)));

    // The saved host, double-clicked: a second tab; no password stored, so it is asked.
    QTreeWidgetItem *item = itemNamed(w.window.hostsPanel()->tree(), u"Loopback"_s);
    ASSERT_NE(item, nullptr);
    doubleClick(w.window.hostsPanel()->tree(), item);
    ASSERT_EQ(w.window.tabs()->count(), 2);
    QInputDialog *ask = nullptr;
    ASSERT_TRUE(waitFor([&] { return (ask = w.window.findChild<QInputDialog *>(u"passwordDialog"_s)) != nullptr; }));
    ask->setTextValue(ClientHarness::Password);
    ask->accept();
    ConsoleTab *tab = w.window.currentTab();
    ASSERT_NE(tab, first);
    ASSERT_TRUE(waitFor([&] { return tab->state() == Session::SessionState::Ready; }));
    EXPECT_TRUE(tab->inputLine()->prompt().startsWith(u"[127.0.0.1]: "_s)) << str(tab->inputLine()->prompt());

    // A command and its output.
    typeLine(tab, u"Write-Output hello-from-remote"_s);
    ASSERT_TRUE(waitPrompt(tab));
    EXPECT_TRUE(hasLine(tab, u"hello-from-remote"_s)) << str(tab->outputView()->text());

    // Read-Host inline.
    typeLine(tab, u"Read-Host name"_s);
    ASSERT_TRUE(waitFor([&] { return tab->inputLine()->mode() == Gui::InputLine::Mode::ReadLine; }));
    typeLine(tab, u"Ada"_s);
    ASSERT_TRUE(waitPrompt(tab));
    EXPECT_TRUE(hasLine(tab, u"name: Ada"_s)) << str(tab->outputView()->text());

    // Get-Credential: the dialog names the remote computer.
    typeLine(tab, u"Get-Credential alice"_s);
    auto *credential = waitHostDialog<Gui::CredentialDialog>(tab);
    ASSERT_NE(credential, nullptr);
    EXPECT_TRUE(credential->findChild<QLabel *>(u"remoteWarning"_s)->text().contains(u"127.0.0.1"_s));
    QTest::keyClicks(credential->findChild<QLineEdit *>(u"password"_s), u"pa55"_s);
    credential->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
    ASSERT_TRUE(waitPrompt(tab));
    EXPECT_TRUE(tab->outputView()->text().contains(u"alice"_s)) << str(tab->outputView()->text());

    // PromptForChoice (host method 26) as buttons.
    typeLine(tab, u"Invoke-HostMethod 26"_s);
    auto *choice = waitHostDialog<Gui::ChoiceDialog>(tab);
    ASSERT_NE(choice, nullptr);
    ASSERT_EQ(choice->choiceButtons().size(), 2);
    QTest::mouseClick(choice->choiceButtons().at(0), Qt::LeftButton);
    ASSERT_TRUE(waitPrompt(tab));
    EXPECT_TRUE(hasLine(tab, u"result: 0"_s)) << str(tab->outputView()->text());

    // Ctrl+C stops a running command; the title marker says busy meanwhile.
    typeLine(tab, u"Start-Sleep 60"_s);
    ASSERT_TRUE(waitFor([&] { return tab->isBusy(); }));
    const int index = w.window.tabs()->indexOf(tab);
    EXPECT_TRUE(w.window.tabs()->tabText(index).startsWith(Gui::MainWindow::stateMarker(ConsoleTab::Condition::Busy)));
    QTest::keyClick(editorOf(tab), Qt::Key_C, Qt::ControlModifier);
    ASSERT_TRUE(waitPrompt(tab));

    // Tab completion through TabExpansion2 on the remote side.
    QTest::keyClicks(editorOf(tab), u"Get-Cr"_s);
    QTest::keyClick(editorOf(tab), Qt::Key_Tab);
    EXPECT_TRUE(waitFor([&] { return tab->inputLine()->text() == u"Get-Credential"_s; })) << str(tab->inputLine()->text());
    tab->inputLine()->setText(QString());

    // Ctrl+Shift+W closes the current tab (not busy: without asking).
    QApplication::setActiveWindow(&w.window); // the question dialogs had the focus
    ASSERT_TRUE(QTest::qWaitForWindowActive(&w.window));
    QTest::keyClick(editorOf(tab), Qt::Key_W, Qt::ControlModifier | Qt::ShiftModifier);
    EXPECT_TRUE(waitFor([&] { return w.window.tabs()->count() == 1; }));
    EXPECT_EQ(w.window.currentTab(), first);
}

// A client certificate whose key is encrypted: the passphrase typed once opens the key and is
// remembered in the keychain (the host remembers its secrets); the next connection takes it from
// there without asking.
TEST(DesktopFlow, CertificatePassphraseTypedOnceIsRememberedInTheKeychain)
{
    QString diagnostics;
    const std::optional<TestSupport::TestPki> pki = TestSupport::TestPki::generate(&diagnostics);
    if (!pki)
        GTEST_SKIP() << "openssl could not make test certificates (Debian package openssl): " << str(diagnostics);
    const Wsman::Secret passphrase(u"key-passphrase"_s);
    const QByteArray bundle = pki->server.toPem() + pki->serverKey.toPem(QByteArrayLiteral("key-passphrase"));
    auto imported = Wsman::CertificateStore().importData(bundle, u"laptop"_s, passphrase);
    ASSERT_TRUE(imported.ok()) << str(imported.error().detail);
    const QString thumbprint = imported.value().thumbprint;
    ASSERT_TRUE(imported.value().encryptedKey);

    Window w;
    SavedHost h;
    h.name = u"Certificate host"_s;
    h.connection.computerName = u"127.0.0.1"_s;
    h.connection.port = 1; // nothing listens: only the certificate steps matter here
    h.connection.useSsl = true;
    h.connection.certificateThumbprint = thumbprint;
    h.rememberPassword = true;
    ASSERT_FALSE(w.store.add(h).has_value());
    h = w.store.hosts().constLast();
    const QString key = Credentials::CredentialStore::certificatePassphraseKey(thumbprint).value();

    Gui::ConnectionRequest request;
    request.host = h;
    w.window.openConnection(request);
    QInputDialog *dialog = nullptr;
    ASSERT_TRUE(waitFor([&] { return (dialog = w.window.findChild<QInputDialog *>(u"passphraseDialog"_s)) != nullptr; }));
    QPointer<QInputDialog> first(dialog);
    dialog->setTextValue(u"key-passphrase"_s);
    dialog->accept();
    ASSERT_TRUE(waitFor([&] { return w.memory.contains(key); }));
    ASSERT_TRUE(waitFor([&] {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        return first.isNull();
    }));

    // Second connection: the passphrase comes from the keychain, so no dialog; the flow goes on
    // to connect (and fails there: nothing listens on port 1).
    QPointer<ConsoleTab> second(w.window.openConnection(request));
    ASSERT_TRUE(waitFor([&] { return second.isNull() || second->condition() == ConsoleTab::Condition::Broken; }));
    EXPECT_EQ(w.window.findChild<QInputDialog *>(u"passphraseDialog"_s), nullptr);
}

// An HTTPS endpoint with a certificate from an unknown CA: the certificate dialog shows it,
// "Trust and connect" pins it and the tab reconnects; a different certificate for the same
// endpoint later is shown as a mismatch that cannot be accepted.
TEST(DesktopFlow, UntrustedCertificateIsPinnedOnFirstUseAndAMismatchIsRefused)
{
    QString diagnostics;
    const std::optional<TestSupport::TestPki> pki = TestSupport::TestPki::generate(&diagnostics);
    const std::optional<TestSupport::TestPki> other = TestSupport::TestPki::generate(&diagnostics);
    if (!pki || !other)
        GTEST_SKIP() << "openssl could not make test certificates (Debian package openssl): " << str(diagnostics);
    TestServer::ServerConfig config;
    config.https = true;
    config.certificate = pki->server;
    config.privateKey = pki->serverKey;
    auto server = ClientHarness::startEndpoint(config);
    ASSERT_NE(server, nullptr);
    Window w;
    SavedHost h;
    h.name = u"TLS"_s;
    h.connection.computerName = u"127.0.0.1"_s;
    h.connection.port = server->port();
    h.connection.useSsl = true;
    h.connection.authentication = Wsman::AuthenticationMechanism::Basic;
    h.connection.userName = Wsman::UserName::parse(ClientHarness::User).value();
    ASSERT_FALSE(w.store.add(h).has_value());
    Gui::ConnectionRequest request;
    request.host = h;
    request.password = std::make_shared<Wsman::Secret>(ClientHarness::Password);
    ConsoleTab *tab = w.window.openConnection(request);

    Gui::CertificateDialog *dialog = nullptr;
    ASSERT_TRUE(waitFor([&] { return (dialog = w.window.findChild<Gui::CertificateDialog *>()) != nullptr; }));
    EXPECT_FALSE(dialog->isPinMismatch());
    const QByteArray sha256 = pki->server.digest(QCryptographicHash::Sha256);
    EXPECT_EQ(dialog->findChild<QLabel *>(u"certificateSha256"_s)->text(), Wsman::CertificateStore::formatSha256(sha256));
    EXPECT_EQ(tab->condition(), ConsoleTab::Condition::Broken);
    auto *trust = dialog->findChild<QPushButton *>(u"trustCertificate"_s);
    ASSERT_NE(trust, nullptr);
    EXPECT_FALSE(trust->isDefault());
    trust->click();
    ASSERT_TRUE(waitFor([&] { return tab->state() == Session::SessionState::Ready; }));
    const QString endpoint = Wsman::CertificateStore::endpointKey(u"127.0.0.1", server->port());
    EXPECT_TRUE(Wsman::CertificateStore().pins(endpoint).contains(sha256));

    // The same endpoint now presents another certificate.
    TestServer::ServerConfig otherConfig = config;
    otherConfig.port = server->port();
    otherConfig.certificate = other->server;
    otherConfig.privateKey = other->serverKey;
    // The closed tab goes before the server does: its client must not meet the replacement
    // (its certificate mismatch would open a dialog for the old tab).
    QPointer<ConsoleTab> closed(tab);
    w.window.closeTab(w.window.tabs()->indexOf(tab));
    ASSERT_TRUE(waitFor([&] {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        return closed.isNull();
    }));
    server.reset();
    auto replaced = ClientHarness::startEndpoint(otherConfig);
    ASSERT_NE(replaced, nullptr);
    ConsoleTab *again = w.window.openConnection(request);
    Gui::CertificateDialog *mismatch = nullptr;
    ASSERT_TRUE(waitFor([&] {
        mismatch = w.window.findChild<Gui::CertificateDialog *>();
        return mismatch && mismatch->isPinMismatch();
    }));
    EXPECT_EQ(mismatch->findChild<QPushButton *>(u"trustCertificate"_s), nullptr);
    EXPECT_TRUE(mismatch->findChild<QLabel *>(u"certificateHeadline"_s)->text().contains(u"WARNING"_s));
    mismatch->reject();
    EXPECT_EQ(Wsman::CertificateStore().pins(endpoint), QList<QByteArray>{sha256});
    EXPECT_EQ(again->condition(), ConsoleTab::Condition::Broken);
}

// Run inside run-with-keyring.sh keyring (CTest: Gui.RealKeyring): the password typed for a
// saved host that remembers it lands in the real keychain once the session opened, and the next
// double-click connects without any dialog.
TEST(GuiRealKeychain, RememberedPasswordIsStoredAfterConnectingAndReused)
{
    if (qEnvironmentVariable("PSREMOTE_KEYRING_MODE") != u"keyring")
        GTEST_SKIP() << "needs the private keyring of tests/credentials/run-with-keyring.sh (ctest -R Gui.RealKeyring)";
    auto server = ClientHarness::startEndpoint();
    ASSERT_NE(server, nullptr);
    Credentials::KeychainCredentialStore keychain;
    Window w(&keychain);
    SavedHost h;
    h.name = u"Remembered"_s;
    h.connection.computerName = u"127.0.0.1"_s;
    h.connection.port = server->port();
    h.connection.authentication = Wsman::AuthenticationMechanism::Basic;
    h.connection.userName = Wsman::UserName::parse(ClientHarness::User).value();
    h.sessionOption.noEncryption = true;
    h.rememberPassword = true;
    ASSERT_FALSE(w.store.add(h).has_value());

    QTreeWidgetItem *item = itemNamed(w.window.hostsPanel()->tree(), u"Remembered"_s);
    ASSERT_NE(item, nullptr);
    doubleClick(w.window.hostsPanel()->tree(), item);
    QInputDialog *ask = nullptr;
    ASSERT_TRUE(waitFor([&] { return (ask = w.window.findChild<QInputDialog *>(u"passwordDialog"_s)) != nullptr; }));
    EXPECT_FALSE(ask->labelText().contains(u"keychain could not be used"_s)) << str(ask->labelText()); // NotFound only
    ask->setTextValue(ClientHarness::Password);
    ask->accept();
    ConsoleTab *tab = w.window.currentTab();
    ASSERT_TRUE(waitFor([&] { return tab->state() == Session::SessionState::Ready; }));

    const QString key = Credentials::CredentialStore::hostPasswordKey(h.id, ClientHarness::User);
    std::optional<QString> stored;
    ASSERT_TRUE(waitFor([&] {
        keychain.read(key, &keychain, [&](Credentials::ReadResult r) {
            if (r)
                stored = QString::fromUtf8(r.secret().utf8().data(), r.secret().utf8().size());
        });
        QTest::qWait(100);
        return stored.has_value();
    }));
    EXPECT_EQ(*stored, ClientHarness::Password);
    w.window.closeTab(0);
    ASSERT_TRUE(waitFor([&] { return w.window.tabs()->count() == 0; }));
    ASSERT_TRUE(waitFor([&] { return w.window.findChild<QInputDialog *>(u"passwordDialog"_s) == nullptr; }));

    // Next double-click: from the keychain, no dialog.
    doubleClick(w.window.hostsPanel()->tree(), itemNamed(w.window.hostsPanel()->tree(), u"Remembered"_s));
    ASSERT_EQ(w.window.tabs()->count(), 1);
    tab = w.window.currentTab();
    ASSERT_TRUE(waitFor([&] { return tab->state() == Session::SessionState::Ready; }));
    EXPECT_EQ(w.window.findChild<QInputDialog *>(u"passwordDialog"_s), nullptr);
}

// New-PSSession from a saved host: the Sessions panel lists it; `exit` leaves it open there;
// Enter attaches a new tab to the same session; Remove closes and forgets it.
TEST(DesktopFlow, PersistentSessionIsListedEnteredAgainAndRemoved)
{
    auto server = ClientHarness::startEndpoint();
    ASSERT_NE(server, nullptr);
    Window w;
    SavedHost h;
    h.name = u"Persistent"_s;
    h.connection.computerName = u"127.0.0.1"_s;
    h.connection.port = server->port();
    h.connection.authentication = Wsman::AuthenticationMechanism::Basic;
    h.connection.userName = Wsman::UserName::parse(ClientHarness::User).value();
    h.sessionOption.noEncryption = true;
    ASSERT_FALSE(w.store.add(h).has_value());
    Gui::ConnectionRequest request;
    request.host = h;
    request.password = std::make_shared<Wsman::Secret>(ClientHarness::Password);
    request.persistent = true;
    ConsoleTab *tab = w.window.openConnection(request);
    ASSERT_TRUE(waitFor([&] { return tab->state() == Session::SessionState::Ready; }));
    ASSERT_EQ(w.window.sessionManager()->list().size(), 1);
    const int id = tab->managedSessionId();
    EXPECT_EQ(w.window.sessionManager()->find(id)->state, Session::PSSessionState::Opened);
    QTreeWidget *list = w.window.sessionsPanel()->tree();
    ASSERT_EQ(list->topLevelItemCount(), 1);
    EXPECT_EQ(list->topLevelItem(0)->text(1), u"Runspace%1"_s.arg(id));
    EXPECT_EQ(list->topLevelItem(0)->text(2), u"127.0.0.1"_s);

    typeLine(tab, u"exit"_s);
    ASSERT_TRUE(waitFor([&] { return tab->state() == Session::SessionState::Closed; }));
    EXPECT_EQ(w.window.sessionManager()->find(id)->state, Session::PSSessionState::Opened); // still there

    w.window.sessionsPanel()->setCurrentSessionId(id);
    w.window.sessionsPanel()->findChild<QPushButton *>(u"enterSession"_s)->click();
    ConsoleTab *entered = w.window.currentTab();
    ASSERT_NE(entered, tab);
    ASSERT_TRUE(waitFor([&] { return entered->state() == Session::SessionState::Ready; }));
    typeLine(entered, u"Write-Output again"_s);
    ASSERT_TRUE(waitPrompt(entered));
    EXPECT_TRUE(hasLine(entered, u"again"_s));
    typeLine(entered, u"exit"_s);
    ASSERT_TRUE(waitFor([&] { return entered->state() == Session::SessionState::Closed; }));

    w.window.sessionsPanel()->findChild<QPushButton *>(u"removeSession"_s)->click();
    EXPECT_TRUE(waitFor([&] { return w.window.sessionManager()->list().isEmpty() && list->topLevelItemCount() == 0; }));
}
