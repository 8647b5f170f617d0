#include "credentials/KeychainCredentialStore.h"
#include "gui/CommandLine.h"
#include "gui/LoopbackDemo.h"
#include "gui/MainWindow.h"
#include "gui/SavedHostStore.h"
#include "gui/Translations.h"
#include "wsman/TrustedHosts.h"

#include <QApplication>
#include <QIcon>

#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace {

void print(FILE *stream, const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stream);
    std::fflush(stream);
}

} // namespace

int main(int argc, char **argv)
{
    // The shared identity (wsman/TrustedHosts.h): AppConfigLocation and AppDataLocation are
    // .../PSRemote/io.github.psremote.PSRemote for the saved hosts, history and certificates.
    QCoreApplication::setOrganizationName(Wsman::SettingsOrganization);
    QCoreApplication::setApplicationName(Wsman::SettingsApplication);
    QCoreApplication::setApplicationVersion(QStringLiteral(PSREMOTE_VERSION));

    // Everything that needs no display is decided before a QApplication exists.
    QStringList arguments;
    for (int i = 1; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    const Gui::CommandLine commandLine = Gui::CommandLine::parse(arguments);
    switch (commandLine.action) {
    case Gui::CommandLine::Action::Version:
        print(stdout, u"psremote "_s + QStringLiteral(PSREMOTE_VERSION) + u'\n');
        return 0;
    case Gui::CommandLine::Action::Help:
        print(stdout, Gui::CommandLine::helpText());
        return 0;
    case Gui::CommandLine::Action::Error:
        print(stderr, u"psremote: "_s + commandLine.error + u'\n');
        return 2;
    case Gui::CommandLine::Action::Open:
        break;
    }

    Gui::SavedHostStore store;
    store.load();
    std::optional<Gui::SavedHost> savedHost;
    if (!commandLine.savedHost.isEmpty()) {
        savedHost = store.findByPath(commandLine.savedHost);
        if (!savedHost) {
            QStringList known;
            for (const Gui::SavedHost &h : store.hosts())
                known.append(h.path());
            print(stderr, u"psremote: --saved-host: no saved host '%1' (saved hosts: %2)\n"_s.arg(
                              commandLine.savedHost, known.isEmpty() ? u"none"_s : known.join(u", "_s)));
            return 2;
        }
    }

    // The demo endpoint's password leaves the environment at once (children never see it).
    std::shared_ptr<Wsman::Secret> demoPassword;
    if (commandLine.loopbackDemoPort != 0 && qEnvironmentVariableIsSet(Gui::LoopbackDemoPasswordVariable)) {
        demoPassword = std::make_shared<Wsman::Secret>(qEnvironmentVariable(Gui::LoopbackDemoPasswordVariable));
        qunsetenv(Gui::LoopbackDemoPasswordVariable);
    }

    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName(u"PSRemote"_s);
    QGuiApplication::setDesktopFileName(Wsman::SettingsApplication);
    QApplication::setWindowIcon(QIcon(u":/icons/psremote.svg"_s));
    Gui::Translations translations;
    translations.install(QLocale());

    Credentials::KeychainCredentialStore credentials;
    Gui::MainWindow window(&store, &credentials);
    window.show();
    if (commandLine.loopbackDemoPort != 0) {
        const Gui::LoopbackDemoSeed seed = Gui::ensureLoopbackDemoHost(store, commandLine.loopbackDemoPort);
        if (seed.error)
            print(stderr, u"psremote: "_s + *seed.error + u'\n');
        if (std::optional<Gui::SavedHost> demo = store.find(seed.id)) {
            Gui::ConnectionRequest request;
            request.host = *demo;
            request.password = demoPassword;
            window.openConnection(std::move(request));
        }
    } else if (savedHost) {
        window.openSavedHost(savedHost->id);
    } else if (commandLine.connection) {
        window.openCommandLine(*commandLine.connection);
    } else if (commandLine.newConnection) {
        window.newConnection();
    }
    return app.exec();
}
