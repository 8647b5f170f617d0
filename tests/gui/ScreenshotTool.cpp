// psremote-screenshots: the application's main window (two console tabs on the loopback
// endpoint), the connection dialog and a credential prompt from the remote side, written as PNG
// files for one UI language. Run by tests/gui/screenshots.sh under Xvfb (any platform works;
// offscreen too). Settings, saved hosts and history live in a temporary directory; the
// endpoint is the in-process simulator (not PowerShell) with a generated password.
#include "LoopbackServer.h"

#include "credentials/MemoryCredentialStore.h"
#include "gui/ConnectionDialog.h"
#include "gui/ConsoleTab.h"
#include "gui/CredentialDialog.h"
#include "gui/HostsPanel.h"
#include "gui/MainWindow.h"
#include "gui/SavedHostStore.h"
#include "gui/TabHostUi.h"
#include "gui/Translations.h"
#include "wsman/TrustedHosts.h"

#include <QApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QIcon>
#include <QLineEdit>
#include <QPixmap>
#include <QRandomGenerator>
#include <QScreen>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTreeWidget>

#include <cstdio>
#include <functional>

using namespace Qt::Literals::StringLiterals;

namespace {

bool waitFor(const std::function<bool()> &done, int guardMs = 20000)
{
    QDeadlineTimer deadline(guardMs);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    return true;
}

void settle()
{
    QDeadlineTimer deadline(400);
    while (!deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

int fail(const QString &why)
{
    std::fprintf(stderr, "psremote-screenshots: %s\n", qUtf8Printable(why));
    return 1;
}

// The widget as Qt paints it, and the whole screen (dialogs over the main window).
bool save(QWidget *widget, const QString &directory, const QString &name, bool screen)
{
    settle();
    bool ok = widget->grab().save(directory + u'/' + name + u".png"_s);
    if (screen && QGuiApplication::primaryScreen())
        ok = QGuiApplication::primaryScreen()->grabWindow(0).save(directory + u'/' + name + u"-screen.png"_s) && ok;
    std::printf("%s/%s.png\n", qUtf8Printable(directory), qUtf8Printable(name));
    return ok;
}

Gui::SavedHost savedHost(const QString &name, const QString &folder, const QString &computer)
{
    Gui::SavedHost h;
    h.name = name;
    h.folder = folder;
    h.connection.computerName = computer;
    h.connection.userName = Wsman::UserName::parse(u"alice").value();
    return h;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 3)
        return std::fprintf(stderr, "usage: psremote-screenshots OUTPUT-DIRECTORY LANGUAGE (en, de, fr)\n"), 2;
    QTemporaryDir home;
    if (!home.isValid())
        return fail(u"no temporary directory"_s);
    for (const char *variable : {"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"})
        qputenv(variable, (home.path() + u'/' + QString::fromLatin1(variable)).toLocal8Bit());
    QCoreApplication::setOrganizationName(Wsman::SettingsOrganization);
    QCoreApplication::setApplicationName(Wsman::SettingsApplication);
    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName(u"PSRemote"_s);
    QApplication::setWindowIcon(QIcon(u":/icons/psremote.svg"_s));

    const QString directory = QString::fromLocal8Bit(argv[1]);
    const QLocale locale(QString::fromLocal8Bit(argv[2]));
    if (!QDir().mkpath(directory))
        return fail(u"cannot create "_s + directory);
    QLocale::setDefault(locale);
    Gui::Translations translations;
    if (!translations.install(locale) && locale.language() != QLocale::English)
        return fail(u"no catalogue for "_s + locale.name());

    TestServer::ServerConfig config;
    config.user = u"alice"_s;
    config.password = QString::number(QRandomGenerator::system()->generate64(), 36);
    TestServer::LoopbackServer server(config);
    QString error;
    if (!server.listen(&error))
        return fail(error);

    Gui::SavedHostStore store(home.filePath(u"hosts.json"_s));
    Credentials::MemoryCredentialStore credentials;
    QStringList loopbackIds;
    for (const QString &name : {u"Loopback demo"_s, u"Build agent"_s}) {
        Gui::SavedHost h = savedHost(name, name == u"Loopback demo" ? QString() : u"Lab"_s, u"127.0.0.1"_s);
        h.connection.port = server.port();
        h.connection.authentication = Wsman::AuthenticationMechanism::Basic;
        h.sessionOption.noEncryption = true;
        h.rememberPassword = true;
        if (auto e = store.add(h))
            return fail(*e);
        loopbackIds.append(h.id);
        bool written = false;
        credentials.write(Credentials::CredentialStore::hostPasswordKey(h.id, u"alice"_s), Wsman::Secret(config.password),
                          &credentials, [&](Credentials::DoneResult) { written = true; });
        waitFor([&] { return written; });
    }
    for (Gui::SavedHost h : {savedHost(u"Web 1"_s, u"Production/Web"_s, u"web1.contoso.com"_s),
                             savedHost(u"Web 2"_s, u"Production/Web"_s, u"web2.contoso.com"_s),
                             savedHost(u"SQL"_s, u"Production"_s, u"sql01.contoso.com"_s)})
        store.add(h);

    Gui::MainWindow window(&store, &credentials);
    window.resize(1200, 720);
    window.show();
    const QStringList scripts = {
        u"$PSVersionTable"_s,
        u"Write-Output 'Hello from the loopback endpoint'; Write-Warning 'A warning'; Write-Error 'An error'; 1..5"_s,
    };
    for (qsizetype i = 0; i < loopbackIds.size(); ++i) {
        Gui::ConsoleTab *tab = window.openSavedHost(loopbackIds.at(i));
        if (!tab || !waitFor([&] { return tab->state() == Session::SessionState::Ready; }))
            return fail(u"the console did not reach the prompt"_s);
        tab->runLine(scripts.at(i));
        if (!waitFor([&] { return tab->state() == Session::SessionState::Ready; }))
            return fail(u"the command did not finish"_s);
    }
    window.tabs()->setCurrentIndex(1);
    window.hostsPanel()->tree()->expandAll();
    bool ok = save(&window, directory, u"main-window"_s, true);

    window.newConnection();
    auto *dialog = window.findChild<Gui::ConnectionDialog *>();
    if (!dialog || !waitFor([&] { return dialog->isVisible(); }))
        return fail(u"no connection dialog"_s);
    Gui::SavedHost typed = savedHost(QString(), QString(), u"server01.contoso.com"_s);
    typed.connection.useSsl = true;
    dialog->setHost(typed);
    ok = save(dialog, directory, u"connection-dialog"_s, true) && ok;
    dialog->reject();

    Gui::ConsoleTab *tab = window.currentTab();
    tab->runLine(u"Get-Credential alice"_s);
    Gui::CredentialDialog *prompt = nullptr;
    if (!waitFor([&] {
            for (QDialog *d : tab->hostUi()->openDialogs())
                if (auto *c = qobject_cast<Gui::CredentialDialog *>(d))
                    prompt = c;
            return prompt != nullptr;
        }))
        return fail(u"no credential prompt"_s);
    ok = save(prompt, directory, u"credential-prompt"_s, true) && ok;
    prompt->reject();
    waitFor([&] { return tab->state() == Session::SessionState::Ready; });

    window.close();
    waitFor([&] { return window.tabs()->count() == 0; });
    settle();
    return ok ? 0 : fail(u"a PNG could not be written"_s);
}
