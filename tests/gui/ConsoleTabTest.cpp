// Gui::ConsoleTab end to end, offscreen, against the loopback endpoint: the built-in SIMULATOR
// (tests/server/SimulatorEngine, its Invoke-HostMethod ID triggers host calls) and REAL
// PowerShell (--engine pwsh, PSREMOTE_PWSH_HOST; skipped without it). Keys and clicks go
// through QTest, as a user's would.
#include "../wsman/ClientHarness.h"
#include "LoopbackServer.h"
#include "PwshProcess.h"

#include "gui/ChoiceDialog.h"
#include "gui/ConsoleTab.h"
#include "gui/CredentialDialog.h"
#include "gui/InputLine.h"
#include "gui/OutputView.h"
#include "gui/ProgressPanel.h"
#include "gui/PromptDialog.h"
#include "gui/TabHostUi.h"
#include "session/CommandHistory.h"

#include <QAbstractButton>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollBar>
#include <QTemporaryDir>
#include <QTest>

#include <gtest/gtest.h>

#include <memory>

using namespace Qt::Literals::StringLiterals;
using ClientHarness::runUntil;
using Gui::ConsoleTab;
using Gui::InputLine;
using Session::SessionState;

namespace {

std::string str(const QString &s)
{
    return s.toStdString();
}

// One endpoint, one shown tab with its history in a temporary directory.
class TabFixture {
public:
    explicit TabFixture(TestServer::EngineKind engine = TestServer::EngineKind::Simulator)
    {
        TestServer::ServerConfig config;
        config.engine = engine;
        server = ClientHarness::startEndpoint(std::move(config));
        tab = std::make_unique<ConsoleTab>();
        tab->setHistoryDirectory(dir.path());
        tab->resize(900, 600);
        tab->show();
    }
    ~TabFixture()
    {
        if (tab && tab->state() != SessionState::Closed && tab->state() != SessionState::Broken) {
            tab->closeSession();
            runUntil([&] { return tab->state() == SessionState::Closed || tab->state() == SessionState::Broken; }, 10000);
        }
        tab.reset();
    }

    Wsman::ClientOptions options() const { return ClientHarness::basicOptions(server->url()); }
    bool enter(Wsman::ClientOptions o)
    {
        tab->start(std::move(o), Session::EnterOptions{u"127.0.0.1"_s}, u"127.0.0.1"_s);
        return runUntil([&] { return tab->state() != SessionState::Connecting && tab->state() != SessionState::Idle; }, 60000)
            && tab->state() == SessionState::Ready;
    }
    bool enter() { return enter(options()); }
    QPlainTextEdit *editor() const { return tab->inputLine()->editor(); }
    Gui::OutputView *view() const { return tab->outputView(); }
    void type(const QString &text) { QTest::keyClicks(editor(), text); }
    void enterKey() { QTest::keyClick(editor(), Qt::Key_Return); }
    bool waitReady(int guardMs = 30000)
    {
        return runUntil([&] { return tab->state() != SessionState::Busy; }, guardMs) && tab->state() == SessionState::Ready;
    }
    // Types a line, presses Enter and waits for the prompt.
    bool run(const QString &line)
    {
        type(line);
        enterKey();
        return waitReady();
    }
    bool viewHasLine(const QString &line) const { return lineIndex(line) >= 0; }
    qsizetype lineIndex(const QString &line) const
    {
        for (qsizetype i = view()->lineCount() - 1; i >= 0; --i)
            if (view()->lineText(i) == line)
                return i;
        return -1;
    }
    template <typename Dialog>
    Dialog *waitDialog()
    {
        Dialog *found = nullptr;
        runUntil([&] {
            for (QDialog *d : tab->hostUi()->openDialogs())
                if (auto *x = qobject_cast<Dialog *>(d))
                    found = x;
            return found != nullptr;
        });
        return found;
    }

    QTemporaryDir dir;
    std::unique_ptr<TestServer::LoopbackServer> server;
    std::unique_ptr<ConsoleTab> tab;
};

void clickOk(QDialog *dialog)
{
    auto *box = dialog->findChild<QDialogButtonBox *>();
    ASSERT_NE(box, nullptr);
    QTest::mouseClick(box->button(QDialogButtonBox::Ok), Qt::LeftButton);
}

// ---- simulator -------------------------------------------------------------------------------

TEST(ConsoleTab, ReachesTheRemotePromptRunsACommandAndEchoesIt)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    QList<ConsoleTab::Condition> conditions;
    QObject context; // disconnects before `conditions` goes
    QObject::connect(f.tab.get(), &ConsoleTab::conditionChanged, &context, [&](ConsoleTab::Condition c) { conditions.append(c); });
    ASSERT_TRUE(f.enter());
    EXPECT_EQ(f.tab->inputLine()->prompt(), u"[127.0.0.1]: PS /simulator> "_s);
    EXPECT_EQ(f.tab->condition(), ConsoleTab::Condition::Ready);
    EXPECT_TRUE(conditions.contains(ConsoleTab::Condition::Connecting));
    EXPECT_TRUE(f.tab->findChild<QLabel *>(u"connectionState"_s)->text().contains(u"ready"_s));
    EXPECT_FALSE(f.tab->reconnectButton()->isVisible());

    f.type(u"Write-Output hello"_s);
    f.enterKey();
    EXPECT_TRUE(f.tab->isBusy());
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(conditions.contains(ConsoleTab::Condition::Busy));
    const qsizetype echo = f.lineIndex(u"[127.0.0.1]: PS /simulator> Write-Output hello"_s);
    const qsizetype out = f.lineIndex(u"hello"_s);
    ASSERT_GE(echo, 0) << str(f.view()->text());
    EXPECT_GT(out, echo);
    EXPECT_TRUE(f.tab->inputLine()->text().isEmpty());
    EXPECT_EQ(f.tab->history()->entries(), QStringList{u"Write-Output hello"_s});
}

TEST(ConsoleTab, StreamsAndHostColoursAreColouredWithPrefixes)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    ASSERT_TRUE(f.run(u"throw kaput"_s));
    ASSERT_TRUE(f.run(u"Invoke-HostMethod 18 oops"_s)); // WriteErrorLine: how Out-Default writes error records
    ASSERT_TRUE(f.run(u"Invoke-HostMethod 22 careful"_s));
    ASSERT_TRUE(f.run(u"Invoke-HostMethod 21 chatty"_s));
    ASSERT_TRUE(f.run(u"Invoke-HostMethod 19 bugs"_s));
    ASSERT_TRUE(f.run(u"Invoke-HostMethod 17 14 1 coloured"_s));
    ASSERT_TRUE(f.run(u"Write-Output plain"_s));
    const auto fg = [&](const QString &line) { return f.view()->foregroundAt(f.lineIndex(line), 0); };
    EXPECT_EQ(fg(u"kaput"_s), 12) << str(f.view()->text()); // Red
    EXPECT_EQ(fg(u"oops"_s), 12);
    EXPECT_EQ(fg(u"WARNING: careful"_s), 14);                // Yellow
    EXPECT_EQ(fg(u"VERBOSE: chatty"_s), 11);                 // Cyan
    EXPECT_EQ(fg(u"DEBUG: bugs"_s), 11);
    EXPECT_EQ(fg(u"coloured"_s), 14);
    EXPECT_EQ(f.view()->backgroundAt(f.lineIndex(u"coloured"_s), 0), 1);
    EXPECT_EQ(fg(u"plain"_s), 7); // the console's default foreground (Gray)
}

TEST(ConsoleTab, ReadHostIsAnsweredInlineAndTheAnswerIsNotHistory)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.type(u"Read-Host name"_s);
    f.enterKey();
    ASSERT_TRUE(runUntil([&] { return f.tab->inputLine()->mode() == InputLine::Mode::ReadLine; }));
    f.type(u"typed answer"_s);
    f.enterKey();
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"name: typed answer"_s)) << str(f.view()->text()); // echoed after the host's prompt
    EXPECT_EQ(f.tab->inputLine()->mode(), InputLine::Mode::Command);
    EXPECT_EQ(f.tab->history()->entries(), QStringList{u"Read-Host name"_s});
}

TEST(ConsoleTab, SecureInputIsMaskedClearedAndNeverStored)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.type(u"Invoke-HostMethod 12"_s);
    f.enterKey();
    ASSERT_TRUE(runUntil([&] { return f.tab->inputLine()->mode() == InputLine::Mode::ReadSecret; }));
    QLineEdit *secret = f.tab->inputLine()->secretField();
    EXPECT_TRUE(secret->isVisible());
    EXPECT_FALSE(f.editor()->isVisible());
    EXPECT_EQ(secret->echoMode(), QLineEdit::Password);
    QTest::keyClicks(secret, u"TopSecret!"_s);
    EXPECT_NE(secret->displayText(), u"TopSecret!"_s);
    QTest::keyClick(secret, Qt::Key_Return);
    EXPECT_TRUE(secret->text().isEmpty());
    ASSERT_TRUE(f.waitReady());
    // The simulator describes what it received: the secret reached the server encrypted.
    EXPECT_TRUE(f.viewHasLine(u"result: secure:TopSecret!"_s)) << str(f.view()->text());
    EXPECT_FALSE(f.editor()->toPlainText().contains(u"TopSecret"_s));
    QFile history(f.tab->history()->filePath());
    ASSERT_TRUE(history.open(QIODevice::ReadOnly));
    EXPECT_FALSE(history.readAll().contains("TopSecret"));
    EXPECT_FALSE(f.tab->history()->entries().join(u' ').contains(u"TopSecret"_s));
}

TEST(ConsoleTab, CredentialDialogSaysTheRemoteComputerAsksAndAnswers)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.type(u"Invoke-HostMethod 24 alice"_s);
    f.enterKey();
    auto *dialog = f.waitDialog<Gui::CredentialDialog>();
    ASSERT_NE(dialog, nullptr);
    EXPECT_FALSE(dialog->isModal()); // other tabs stay usable
    EXPECT_EQ(dialog->windowTitle(), u"PowerShell Credential Request: Credential caption"_s);
    EXPECT_TRUE(dialog->findChild<QLabel *>(u"remoteWarning"_s)->text().contains(u"remote computer 127.0.0.1"_s));
    EXPECT_TRUE(dialog->findChild<QLabel *>(u"message"_s)->text().contains(u"Credential message"_s));
    auto *user = dialog->findChild<QLineEdit *>(u"userName"_s);
    auto *password = dialog->findChild<QLineEdit *>(u"password"_s);
    EXPECT_EQ(user->text(), u"alice"_s);
    EXPECT_EQ(password->echoMode(), QLineEdit::Password);
    QTest::keyClicks(password, u"pa55"_s);
    QPointer<QLineEdit> field(password);
    clickOk(dialog);
    if (field) {
        EXPECT_TRUE(field->text().isEmpty());
    }
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"result: credential:alice/secure:pa55"_s)) << str(f.view()->text());
    EXPECT_TRUE(runUntil([&] { return f.tab->hostUi()->openDialogs().isEmpty(); }));

    // Cancelling fails the remote call and the prompt comes back.
    f.type(u"Invoke-HostMethod 24 bob"_s);
    f.enterKey();
    dialog = f.waitDialog<Gui::CredentialDialog>();
    ASSERT_NE(dialog, nullptr);
    dialog->reject();
    ASSERT_TRUE(f.waitReady());
    EXPECT_FALSE(f.viewHasLine(u"result: credential:bob/secure:"_s));
}

TEST(ConsoleTab, ChoicesAreButtonsWithHelpAndMultipleSelectionCheckBoxes)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.type(u"Invoke-HostMethod 26"_s);
    f.enterKey();
    auto *dialog = f.waitDialog<Gui::ChoiceDialog>();
    ASSERT_NE(dialog, nullptr);
    ASSERT_EQ(dialog->choiceButtons().size(), 2);
    EXPECT_EQ(dialog->choiceButtons().at(0)->text(), u"&Yes"_s);
    EXPECT_EQ(dialog->findChild<QLabel *>(u"help-1"_s)->text(), u"no"_s);
    EXPECT_TRUE(static_cast<QPushButton *>(dialog->choiceButtons().at(1))->isDefault()); // default choice 1
    QTest::mouseClick(dialog->choiceButtons().at(1), Qt::LeftButton);
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"result: 1"_s)) << str(f.view()->text());

    f.type(u"Invoke-HostMethod 56"_s);
    f.enterKey();
    dialog = f.waitDialog<Gui::ChoiceDialog>();
    ASSERT_NE(dialog, nullptr);
    ASSERT_EQ(dialog->choiceButtons().size(), 3);
    ASSERT_NE(qobject_cast<QCheckBox *>(dialog->choiceButtons().at(0)), nullptr);
    EXPECT_TRUE(dialog->choiceButtons().at(0)->isChecked());
    EXPECT_FALSE(dialog->choiceButtons().at(1)->isChecked());
    EXPECT_TRUE(dialog->choiceButtons().at(2)->isChecked());
    QTest::mouseClick(dialog->choiceButtons().at(0), Qt::LeftButton);
    QTest::mouseClick(dialog->choiceButtons().at(1), Qt::LeftButton);
    clickOk(dialog);
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"result: 1,2"_s)) << str(f.view()->text());
}

TEST(ConsoleTab, PromptDialogHasOneFieldPerDescriptionWithSecretsMasked)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.type(u"Invoke-HostMethod 23"_s);
    f.enterKey();
    auto *dialog = f.waitDialog<Gui::PromptDialog>();
    ASSERT_NE(dialog, nullptr);
    auto *name = dialog->findChild<QLineEdit *>(u"field-0"_s);
    auto *secret = dialog->findChild<QLineEdit *>(u"field-1"_s);
    auto *user = dialog->findChild<QLineEdit *>(u"field-2-user"_s);
    auto *password = dialog->findChild<QLineEdit *>(u"field-2-password"_s);
    ASSERT_TRUE(name && secret && user && password);
    EXPECT_EQ(name->echoMode(), QLineEdit::Normal);
    EXPECT_EQ(secret->echoMode(), QLineEdit::Password);
    EXPECT_EQ(password->echoMode(), QLineEdit::Password);
    QTest::keyClicks(name, u"Bob"_s);
    QTest::keyClicks(secret, u"s3"_s);
    QTest::keyClicks(user, u"carol"_s);
    QTest::keyClicks(password, u"c4"_s);
    clickOk(dialog);
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"result: Name=Bob;Secret=secure:s3;Login=credential:carol/secure:c4"_s)) << str(f.view()->text());
}

TEST(ConsoleTab, ProgressBarsNestByParentAndGoWhenCtrlCStopsTheCommand)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    Gui::ProgressPanel *panel = f.tab->progressPanel();
    EXPECT_FALSE(panel->isVisible());
    f.type(u"Invoke-HostMethod 20 1 -1; Invoke-HostMethod 20 2 1; Start-Sleep 30"_s);
    f.enterKey();
    ASSERT_TRUE(runUntil([&] { return panel->rowCount() == 2 && panel->isVisible(); }));
    QWidget *parentRow = panel->findChild<QWidget *>(u"progress-1-1"_s);
    QWidget *childRow = panel->findChild<QWidget *>(u"progress-1-2"_s);
    ASSERT_TRUE(parentRow && childRow);
    EXPECT_LT(parentRow->y(), childRow->y());
    EXPECT_GT(childRow->layout()->contentsMargins().left(), parentRow->layout()->contentsMargins().left());
    EXPECT_TRUE(parentRow->findChild<QLabel *>()->text().startsWith(u"Activity 1: Working"_s));

    // Ctrl+C with nothing selected stops the command; the session stays usable.
    f.view()->clearSelection();
    QTest::keyClick(f.editor(), Qt::Key_C, Qt::ControlModifier);
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.view()->text().contains(u"stopped"_s)) << str(f.view()->text());
    EXPECT_TRUE(runUntil([&] { return panel->rowCount() == 0 && !panel->isVisible(); }));
    ASSERT_TRUE(f.run(u"Write-Output after"_s));
    EXPECT_TRUE(f.viewHasLine(u"after"_s));
}

TEST(ConsoleTab, CtrlCCopiesASelectionInsteadOfInterrupting)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    ASSERT_TRUE(f.run(u"Write-Output copy-me"_s));
    f.type(u"Start-Sleep 30"_s);
    f.enterKey();
    ASSERT_TRUE(f.tab->isBusy());
    ASSERT_TRUE(f.view()->find(u"copy-me"_s));
    QTest::keyClick(f.editor(), Qt::Key_C, Qt::ControlModifier);
    EXPECT_EQ(QApplication::clipboard()->text(), u"copy-me"_s);
    EXPECT_FALSE(f.view()->hasSelection());
    EXPECT_TRUE(f.tab->isBusy()); // not interrupted
    QTest::keyClick(f.editor(), Qt::Key_C, Qt::ControlModifier);
    ASSERT_TRUE(f.waitReady());
}

TEST(ConsoleTab, TabCompletesOneMatchAndOffersAPopupForSeveral)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.type(u"Write-Output 1; Get-Cr"_s);
    QTest::keyClick(f.editor(), Qt::Key_Tab);
    ASSERT_TRUE(runUntil([&] { return f.tab->inputLine()->text() == u"Write-Output 1; Get-Credential"_s; }))
        << str(f.tab->inputLine()->text());
    EXPECT_EQ(f.tab->inputLine()->cursorPosition(), 30);

    f.tab->inputLine()->setText(QString());
    f.type(u"Write-"_s);
    QTest::keyClick(f.editor(), Qt::Key_Tab);
    QListWidget *popup = f.tab->inputLine()->completionPopup();
    ASSERT_TRUE(runUntil([&] { return popup->isVisible(); }));
    ASSERT_EQ(popup->count(), 8);
    EXPECT_EQ(popup->item(0)->text(), u"Write-Debug"_s);
    QTest::keyClick(popup, Qt::Key_Down);
    QTest::keyClick(popup, Qt::Key_Return);
    EXPECT_FALSE(popup->isVisible());
    EXPECT_EQ(f.tab->inputLine()->text(), u"Write-Error"_s);
}

TEST(ConsoleTab, HistoryWalksWithUpDownAndCtrlRSearches)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    ASSERT_TRUE(f.run(u"Write-Output one"_s));
    ASSERT_TRUE(f.run(u"Write-Output two"_s));
    InputLine *input = f.tab->inputLine();
    f.type(u"draft"_s);
    QTest::keyClick(f.editor(), Qt::Key_Up);
    EXPECT_EQ(input->text(), u"Write-Output two"_s);
    QTest::keyClick(f.editor(), Qt::Key_Up);
    EXPECT_EQ(input->text(), u"Write-Output one"_s);
    QTest::keyClick(f.editor(), Qt::Key_Down);
    EXPECT_EQ(input->text(), u"Write-Output two"_s);
    QTest::keyClick(f.editor(), Qt::Key_Down);
    EXPECT_EQ(input->text(), u"draft"_s);

    QTest::keyClick(f.editor(), Qt::Key_R, Qt::ControlModifier);
    EXPECT_TRUE(input->isSearching());
    f.type(u"ONE"_s);
    EXPECT_EQ(input->text(), u"Write-Output one"_s);
    EXPECT_TRUE(input->prompt().contains(u"reverse-i-search"_s));
    QTest::keyClick(f.editor(), Qt::Key_Escape);
    EXPECT_FALSE(input->isSearching());
    EXPECT_EQ(input->text(), u"draft"_s);
    EXPECT_EQ(input->prompt(), u"[127.0.0.1]: PS /simulator> "_s);

    input->setText(QString());
    QTest::keyClick(f.editor(), Qt::Key_R, Qt::ControlModifier);
    f.type(u"output"_s);
    EXPECT_EQ(input->text(), u"Write-Output two"_s);
    QTest::keyClick(f.editor(), Qt::Key_R, Qt::ControlModifier); // older
    EXPECT_EQ(input->text(), u"Write-Output one"_s);
    f.enterKey(); // accepts and runs
    ASSERT_TRUE(f.waitReady());
    EXPECT_EQ(f.tab->history()->entries().constLast(), u"Write-Output one"_s);
    EXPECT_EQ(f.tab->history()->size(), 3);
}

TEST(ConsoleTab, ShiftEnterAndMultiLinePasteMakeOneInput)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    f.type(u"Write-Output a"_s);
    QTest::keyClick(f.editor(), Qt::Key_Return, Qt::ShiftModifier);
    EXPECT_EQ(f.tab->state(), SessionState::Ready); // not sent yet
    f.type(u"Write-Output b"_s);
    f.enterKey();
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"a"_s) && f.viewHasLine(u"b"_s)) << str(f.view()->text());
    EXPECT_TRUE(f.viewHasLine(u">> Write-Output b"_s));
    EXPECT_EQ(f.tab->history()->entries(), QStringList{u"Write-Output a\nWrite-Output b"_s});

    QApplication::clipboard()->setText(u"Write-Output c\r\nWrite-Output d"_s);
    f.tab->paste();
    EXPECT_EQ(f.tab->inputLine()->text(), u"Write-Output c\nWrite-Output d"_s);
    f.enterKey();
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"c"_s) && f.viewHasLine(u"d"_s));
    EXPECT_EQ(f.tab->history()->size(), 2);
}

TEST(ConsoleTab, WindowTitleAndRawUiFollowTheHostAndTheView)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter());
    QString title;
    QObject context; // disconnects before `title` goes
    QObject::connect(f.tab.get(), &ConsoleTab::windowTitleRequested, &context, [&](const QString &t) { title = t; });
    ASSERT_TRUE(f.run(u"Invoke-HostMethod 42 remote title"_s));
    EXPECT_EQ(title, u"remote title"_s);
    // The server reads the window size the view really has, in characters.
    const int columns = f.view()->columns();
    ASSERT_TRUE(f.run(u"Invoke-HostMethod 39"_s));
    EXPECT_TRUE(f.viewHasLine(u"result: %1x%2"_s.arg(columns).arg(f.view()->rows()))) << str(f.view()->text());
    f.tab->zoomIn();
    f.tab->zoomIn();
    EXPECT_LT(f.view()->columns(), columns);
    EXPECT_EQ(f.tab->hostUi()->rawUi().windowSize.width, f.view()->columns());
    f.tab->resetZoom();
    EXPECT_EQ(f.view()->columns(), columns);
    // SetForegroundColor changes the colour of what follows.
    ASSERT_TRUE(f.run(u"Invoke-HostMethod 28 10"_s));
    ASSERT_TRUE(f.run(u"Write-Output green"_s));
    EXPECT_EQ(f.view()->foregroundAt(f.lineIndex(u"green"_s), 0), 10);
}

TEST(ConsoleTab, BrokenSessionKeepsItsTextAndReconnects)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    Wsman::ClientOptions o = f.options();
    o.maxRetryTimeMs = 0;
    ASSERT_TRUE(f.enter(o));
    ASSERT_TRUE(f.run(u"Write-Output before"_s));
    f.server->forgetShell();
    f.type(u"Write-Output lost"_s);
    f.enterKey();
    ASSERT_TRUE(runUntil([&] { return f.tab->condition() == ConsoleTab::Condition::Broken; }, 30000))
        << str(f.view()->text());
    EXPECT_TRUE(f.tab->reconnectButton()->isVisible());
    EXPECT_TRUE(f.tab->findChild<QLabel *>(u"connectionState"_s)->text().contains(u"broken"_s));
    EXPECT_TRUE(f.viewHasLine(u"before"_s));
    QTest::mouseClick(f.tab->reconnectButton(), Qt::LeftButton);
    ASSERT_TRUE(runUntil([&] { return f.tab->state() == SessionState::Ready; }, 30000)) << str(f.view()->text());
    EXPECT_FALSE(f.tab->reconnectButton()->isVisible());
    ASSERT_TRUE(f.run(u"Write-Output after"_s));
    EXPECT_TRUE(f.viewHasLine(u"before"_s));
    EXPECT_TRUE(f.viewHasLine(u"after"_s));
}

// ---- robust connection (users-and-peers 0.3) through the tab ----------------------------------

Wsman::ClientOptions robustOptions(const TabFixture &f, qint64 maxRetryTimeMs)
{
    Wsman::ClientOptions o = f.options();
    o.maxRetryTimeMs = maxRetryTimeMs;
    o.initialBackoffMs = 150;
    o.maxBackoffMs = 600;
    o.failureDeleteTimeoutMs = 1000;
    return o;
}

qsizetype linesContaining(const Gui::OutputView *view, const QString &part)
{
    qsizetype n = 0;
    for (qsizetype i = 0; i < view->lineCount(); ++i)
        n += view->lineText(i).contains(part) ? 1 : 0;
    return n;
}

qsizetype linesEqual(const Gui::OutputView *view, const QString &line)
{
    qsizetype n = 0;
    for (qsizetype i = 0; i < view->lineCount(); ++i)
        n += view->lineText(i) == line ? 1 : 0;
    return n;
}

// Enters with a robust connection retrying for `maxRetryTimeMs`, types `line` and waits for its
// first output line `first`.
bool startLine(TabFixture &f, qint64 maxRetryTimeMs, const QString &line, const QString &first)
{
    if (!f.server || !f.enter(robustOptions(f, maxRetryTimeMs)))
        return false;
    f.type(line);
    f.enterKey();
    return runUntil([&] { return f.viewHasLine(first); });
}

bool showsReconnectBar(const ConsoleTab &tab)
{
    if (!tab.progressPanel()->isVisible() || tab.progressPanel()->rowCount() == 0)
        return false;
    for (const Session::ProgressItem &item : tab.progressPanel()->items())
        if (item.sourceId < 0 && item.record.activity == u"Network connection interrupted"_s)
            return true;
    return false;
}

const QString InterruptedWarning = u"The network connection to 127.0.0.1 has been interrupted."_s;
const QString RestoredWarning = u"The network connection to 127.0.0.1 has been restored."_s;
const QString FailedWarning = u"The reconnection attempt to 127.0.0.1 failed."_s;
const QString DisconnectedWarning = u"Computer 127.0.0.1 has been successfully disconnected."_s;

TEST(ConsoleTab, DropDuringACommandShowsTheWarningsOnceTheBarAndTheWholeOutput)
{
    TabFixture f;
    QList<ConsoleTab::Condition> conditions;
    QObject context;
    QObject::connect(f.tab.get(), &ConsoleTab::conditionChanged, &context, [&](ConsoleTab::Condition c) { conditions.append(c); });
    ASSERT_TRUE(startLine(f, 30000, u"Write-Output a; Start-Sleep -Milliseconds 1200; Write-Output b"_s, u"a"_s));
    f.server->startOutage(1500);
    ASSERT_TRUE(runUntil([&] { return f.tab->condition() == ConsoleTab::Condition::Reconnecting && showsReconnectBar(*f.tab); }))
        << str(f.view()->text());
    EXPECT_TRUE(f.tab->findChild<QLabel *>(u"connectionState"_s)->text().contains(u"reconnecting"_s));
    EXPECT_FALSE(f.tab->reconnectButton()->isVisible());
    ASSERT_TRUE(f.waitReady()) << str(f.view()->text());

    EXPECT_EQ(f.tab->condition(), ConsoleTab::Condition::Ready);
    using C = ConsoleTab::Condition;
    EXPECT_EQ(conditions, (QList<C>{C::Connecting, C::Ready, C::Busy, C::Reconnecting, C::Busy, C::Ready}));
    EXPECT_EQ(linesContaining(f.view(), InterruptedWarning), 1) << str(f.view()->text());
    EXPECT_EQ(linesContaining(f.view(), RestoredWarning), 1) << str(f.view()->text());
    EXPECT_EQ(linesContaining(f.view(), u"disconnected"_s), 0) << str(f.view()->text());
    EXPECT_EQ(linesEqual(f.view(), u"a"_s), 1) << str(f.view()->text());
    EXPECT_EQ(linesEqual(f.view(), u"b"_s), 1) << str(f.view()->text());
    const qsizetype a = f.lineIndex(u"a"_s);
    qsizetype restored = -1;
    for (qsizetype i = 0; i < f.view()->lineCount(); ++i)
        if (f.view()->lineText(i).contains(RestoredWarning))
            restored = i;
    EXPECT_LT(a, restored);
    EXPECT_LT(restored, f.lineIndex(u"b"_s)) << str(f.view()->text());
    EXPECT_EQ(f.view()->foregroundAt(restored, 0), 14); // a warning: Yellow
    ASSERT_TRUE(runUntil([&] { return !f.tab->progressPanel()->isVisible(); }));
    EXPECT_EQ(f.server->shellCount(), 1);
    ASSERT_TRUE(f.run(u"Write-Output next"_s));
    EXPECT_TRUE(f.viewHasLine(u"next"_s));
}

TEST(ConsoleTab, RetriesRunningOutEndDisconnectedAndReconnectResumesTheSameShell)
{
    TabFixture f;
    ASSERT_TRUE(startLine(f, 1200, u"Write-Output before; Start-Sleep -Milliseconds 700; Write-Output after"_s, u"before"_s));
    // Receives and Reconnects never get through; the Disconnect does: the server keeps the shell.
    f.server->faults().dropActions = {Wsman::Action::Receive, Wsman::Action::Reconnect};
    f.server->dropConnections();
    ASSERT_TRUE(runUntil([&] { return f.tab->condition() == ConsoleTab::Condition::Disconnected; }, 30000))
        << str(f.view()->text());
    EXPECT_EQ(f.tab->session()->connectionCondition(), Session::ConnectionCondition::Disconnected);
    EXPECT_TRUE(f.tab->reconnectButton()->isVisible());
    EXPECT_TRUE(f.tab->findChild<QLabel *>(u"connectionState"_s)->text().contains(u"disconnected"_s));
    EXPECT_EQ(linesContaining(f.view(), InterruptedWarning), 1) << str(f.view()->text());
    EXPECT_EQ(linesContaining(f.view(), FailedWarning), 1) << str(f.view()->text());
    EXPECT_EQ(linesContaining(f.view(), DisconnectedWarning), 1) << str(f.view()->text());
    EXPECT_EQ(linesContaining(f.view(), u"The session was disconnected."_s), 0) << str(f.view()->text()); // said once
    EXPECT_FALSE(f.viewHasLine(u"after"_s));
    ASSERT_TRUE(runUntil([&] { return !f.tab->progressPanel()->isVisible(); }));
    const QUuid shell = f.tab->session()->client()->shellId();
    Session::InteractiveSession *session = f.tab->session();

    // The endpoint serves again: Reconnect resumes the same shell and the line goes on.
    f.server->faults().dropActions.clear();
    QTest::mouseClick(f.tab->reconnectButton(), Qt::LeftButton);
    EXPECT_FALSE(f.tab->reconnectButton()->isVisible());
    ASSERT_TRUE(runUntil([&] { return f.tab->state() == SessionState::Ready; }, 30000)) << str(f.view()->text());
    EXPECT_EQ(f.tab->session(), session);
    EXPECT_EQ(f.tab->session()->client()->shellId(), shell);
    EXPECT_EQ(f.server->shellCount(), 1);
    EXPECT_EQ(f.tab->condition(), ConsoleTab::Condition::Ready);
    EXPECT_EQ(linesEqual(f.view(), u"after"_s), 1) << str(f.view()->text());
    EXPECT_LT(f.lineIndex(u"before"_s), f.lineIndex(u"after"_s));
    EXPECT_EQ(linesContaining(f.view(), u"was reconnected"_s), 1) << str(f.view()->text());
    ASSERT_TRUE(f.run(u"Write-Output again"_s));
    EXPECT_TRUE(f.viewHasLine(u"again"_s));
}

TEST(ConsoleTab, LostConnectionEndsBrokenAndReconnectStartsAnewKeepingTheText)
{
    TabFixture f;
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter(robustOptions(f, 1200)));
    ASSERT_TRUE(f.run(u"Write-Output kept"_s));
    f.server->startOutage(-1); // not even the Disconnect gets through
    ASSERT_TRUE(runUntil([&] { return f.tab->condition() == ConsoleTab::Condition::Broken; }, 30000))
        << str(f.view()->text());
    EXPECT_EQ(f.tab->session()->connectionCondition(), Session::ConnectionCondition::Lost);
    EXPECT_EQ(linesContaining(f.view(), InterruptedWarning), 1) << str(f.view()->text());
    EXPECT_EQ(linesContaining(f.view(), u"could not be restored"_s), 1) << str(f.view()->text());
    EXPECT_TRUE(f.tab->reconnectButton()->isVisible());
    ASSERT_NE(f.tab->session()->client(), nullptr);
    const QUuid lostShell = f.tab->session()->client()->shellId();
    f.server->endOutage();
    QTest::mouseClick(f.tab->reconnectButton(), Qt::LeftButton);
    ASSERT_TRUE(runUntil([&] { return f.tab->state() == SessionState::Ready; }, 30000)) << str(f.view()->text());
    ASSERT_NE(f.tab->session()->client(), nullptr);
    EXPECT_NE(f.tab->session()->client()->shellId(), lostShell); // entered anew
    EXPECT_TRUE(f.viewHasLine(u"kept"_s));
    ASSERT_TRUE(f.run(u"Write-Output fresh"_s));
    EXPECT_TRUE(f.viewHasLine(u"fresh"_s));
}

// ---- the output view on its own -------------------------------------------------------------

TEST(ConsoleOutputView, ScrollbackBoundHoldsAndPartialLinesJoin)
{
    Gui::OutputView view;
    view.resize(400, 300);
    view.setMaximumLines(100);
    for (int i = 0; i < 1000; ++i)
        view.append(u"line %1"_s.arg(i), true);
    EXPECT_EQ(view.lineCount(), 100);
    EXPECT_EQ(view.lineText(0), u"line 900"_s);
    EXPECT_EQ(view.totalLines(), 1000);
    view.append(u"abc"_s, false);
    view.append(u"def"_s, false, 12);
    view.append(u"\tx\nnext"_s, true);
    EXPECT_EQ(view.lineCount(), 100);
    EXPECT_EQ(view.lineText(98), u"abcdef  x"_s);
    EXPECT_EQ(view.foregroundAt(98, 0), 7);
    EXPECT_EQ(view.foregroundAt(98, 3), 12);
    EXPECT_EQ(view.lineText(99), u"next"_s);
    // ANSI SGR colours from PSStyle are applied, other escapes dropped.
    view.append(u"\x1b[91mred\x1b[0m \x1b[2Kplain"_s, true);
    EXPECT_EQ(view.lineText(99), u"red plain"_s);
    EXPECT_EQ(view.foregroundAt(99, 0), 12);
    EXPECT_EQ(view.foregroundAt(99, 4), 7);
    // A line without end is broken at MaximumLineLength instead of growing without bound.
    view.append(QString(Gui::OutputView::MaximumLineLength + 10, u'x'), true);
    EXPECT_EQ(view.lineText(view.lineCount() - 2).size(), Gui::OutputView::MaximumLineLength);
    EXPECT_EQ(view.lineText(view.lineCount() - 1).size(), 10);
}

TEST(ConsoleOutputView, FindSelectsWrapsAndHighlightsAndZoomChangesTheCellSize)
{
    Gui::OutputView view;
    view.resize(400, 200);
    view.show();
    for (int i = 0; i < 200; ++i)
        view.append(i % 50 == 7 ? u"a Needle here %1"_s.arg(i) : u"hay %1"_s.arg(i), true);
    QCoreApplication::processEvents();
    ASSERT_TRUE(view.find(u"needle"_s));
    EXPECT_EQ(view.selectedText(), u"Needle"_s);
    EXPECT_EQ(view.findText(), u"needle"_s);
    ASSERT_TRUE(view.find(u"needle"_s));
    ASSERT_TRUE(view.find(u"needle"_s, true));
    view.copy();
    EXPECT_EQ(QApplication::clipboard()->text(), u"Needle"_s);
    // Four matches: forward from the last wraps around to the first.
    view.clearSelection();
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(view.find(u"needle"_s));
    EXPECT_LE(view.verticalScrollBar()->value(), 7);
    EXPECT_FALSE(view.find(u"absent"_s));

    const int columns = view.columns();
    const int rows = view.rows();
    view.zoomIn();
    EXPECT_EQ(view.zoomSteps(), 1);
    EXPECT_LT(view.columns(), columns);
    EXPECT_LE(view.rows(), rows);
    view.zoomOut();
    view.zoomOut();
    EXPECT_GE(view.columns(), columns);
    view.resetZoom();
    EXPECT_EQ(view.columns(), columns);
    EXPECT_EQ(view.rows(), rows);

    view.selectAll();
    EXPECT_TRUE(view.selectedText().startsWith(u"hay 0\n"_s));
    EXPECT_TRUE(view.selectedText().endsWith(u"hay 199"_s));
}

TEST(ConsoleOutputView, MouseSelectionCopiesTheDraggedText)
{
    Gui::OutputView view;
    view.resize(400, 200);
    view.show();
    view.append(u"first line"_s, true);
    view.append(u"second line"_s, true);
    QCoreApplication::processEvents();
    view.verticalScrollBar()->setValue(0);
    const QFontMetrics fm(view.font());
    const int cw = fm.horizontalAdvance(u'M');
    const int lh = fm.lineSpacing();
    QWidget *vp = view.viewport();
    QTest::mousePress(vp, Qt::LeftButton, {}, QPoint(6 * cw, lh / 2));
    QMouseEvent move(QEvent::MouseMove, QPointF(6 * cw, lh + lh / 2), vp->mapToGlobal(QPointF(6 * cw, lh + lh / 2)),
                     Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(vp, &move);
    QTest::mouseRelease(vp, Qt::LeftButton, {}, QPoint(6 * cw, lh + lh / 2));
    EXPECT_EQ(view.selectedText(), u"line\nsecond"_s);
}

// ---- real PowerShell -------------------------------------------------------------------------

TEST(ConsoleTabPwsh, ConsoleAgainstRealPowerShell)
{
    if (!TestServer::PwshProcess::isAvailable())
        GTEST_SKIP() << "real PowerShell is unavailable: set PSREMOTE_PWSH_HOST to the host built by "
                        "tests/server/pwsh-host/build.sh (tests/run-all.sh does)";
    TabFixture f(TestServer::EngineKind::Pwsh);
    ASSERT_TRUE(f.server);
    ASSERT_TRUE(f.enter()) << str(f.view()->text());
    EXPECT_TRUE(f.tab->inputLine()->prompt().startsWith(u"[127.0.0.1]: PS "_s));
    ASSERT_TRUE(f.run(u"'hello' + 'world'"_s));
    EXPECT_TRUE(f.viewHasLine(u"helloworld"_s)) << str(f.view()->text());

    f.type(u"'got ' + $host.UI.ReadLine()"_s);
    f.enterKey();
    ASSERT_TRUE(runUntil([&] { return f.tab->inputLine()->mode() == InputLine::Mode::ReadLine; }, 30000));
    f.type(u"typed"_s);
    f.enterKey();
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"got typed"_s)) << str(f.view()->text());

    f.type(u"$c = $host.UI.PromptForCredential('cap','msg','carol',''); $c.UserName + ':' + $c.GetNetworkCredential().Password"_s);
    f.enterKey();
    auto *dialog = f.waitDialog<Gui::CredentialDialog>();
    ASSERT_NE(dialog, nullptr);
    EXPECT_EQ(dialog->windowTitle(), u"PowerShell Credential Request: cap"_s);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(u"password"_s), u"Pa55w0rd"_s);
    clickOk(dialog);
    ASSERT_TRUE(f.waitReady());
    EXPECT_TRUE(f.viewHasLine(u"carol:Pa55w0rd"_s)) << str(f.view()->text());

    f.type(u"'looping'; while ($true) {}"_s);
    f.enterKey();
    ASSERT_TRUE(runUntil([&] { return f.viewHasLine(u"looping"_s); }, 30000));
    QTest::keyClick(f.editor(), Qt::Key_C, Qt::ControlModifier);
    ASSERT_TRUE(f.waitReady());
    ASSERT_TRUE(f.run(u"'after'"_s));
    EXPECT_TRUE(f.viewHasLine(u"after"_s));
}

} // namespace
