#include "ShellTestSupport.h"

#include "gui/AboutDialog.h"
#include "gui/HostsPanel.h"
#include "gui/SavedHostStore.h"
#include "gui/Translations.h"

#include <QCoreApplication>
#include <QLineEdit>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;

TEST(Translations, GermanCatalogueTranslatesTheShell)
{
    Gui::Translations translations;
    ASSERT_TRUE(translations.install(QLocale(QLocale::German, QLocale::Germany)));
    EXPECT_EQ(QCoreApplication::translate("Gui::HostsPanel", "Filter hosts"), u"Hosts filtern"_s);
    QTemporaryDir dir;
    Gui::SavedHostStore store(dir.filePath(u"hosts.json"_s));
    Gui::HostsPanel panel(&store);
    EXPECT_EQ(panel.filterEdit()->placeholderText(), u"Hosts filtern"_s);
    // Qt's own catalogue comes along (qt6-translations-l10n).
    EXPECT_EQ(QCoreApplication::translate("QPlatformTheme", "Cancel"), u"Abbrechen"_s);
    translations.uninstall();
    EXPECT_EQ(QCoreApplication::translate("Gui::HostsPanel", "Filter hosts"), u"Filter hosts"_s);
}

TEST(Translations, FrenchCatalogueTranslatesTheShell)
{
    Gui::Translations translations;
    ASSERT_TRUE(translations.install(QLocale(QLocale::French, QLocale::France)));
    EXPECT_EQ(QCoreApplication::translate("Gui::HostsPanel", "Filter hosts"), u"Filtrer les hôtes"_s);
}

TEST(AboutDialog, NamesTheVersionsOfPSRemoteQtAndOpenSsl)
{
    const QString text = Gui::AboutDialog::versionText();
    EXPECT_TRUE(text.contains(QStringLiteral(PSREMOTE_VERSION)));
    EXPECT_TRUE(text.contains(QString::fromLatin1(qVersion())));
    EXPECT_TRUE(text.contains(u"OpenSSL"_s)) << text.toStdString();
}
