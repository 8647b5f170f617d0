#include "ShellTestSupport.h"

#include "gui/ConnectionDialog.h"
#include "gui/SavedHostStore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using Gui::ConnectionDialog;
using Gui::SavedHost;

namespace {

template <typename T>
T *child(QWidget &parent, const QString &name)
{
    T *w = parent.findChild<T *>(name);
    EXPECT_NE(w, nullptr) << name.toStdString();
    return w;
}

QStringList rules(const SavedHost &h, bool saving = false, const Wsman::TrustedHosts &trusted = {})
{
    return ConnectionDialog::validate(h, {}, saving, nullptr, trusted);
}

SavedHost byName(const QString &computer)
{
    SavedHost h;
    h.connection.computerName = computer;
    h.connection.userName = Wsman::UserName::parse(u"alice").value();
    return h;
}

bool mentions(const QStringList &errors, const QString &text)
{
    for (const QString &e : errors)
        if (e.contains(text, Qt::CaseInsensitive))
            return true;
    return false;
}

} // namespace

TEST(ConnectionDialog, ValidatesAsPowerShellDoes)
{
    EXPECT_TRUE(rules(byName(u"server.contoso.com"_s)).isEmpty()) << rules(byName(u"server.contoso.com"_s)).join(u"; "_s).toStdString();

    SavedHost none;
    EXPECT_TRUE(mentions(rules(none), u"computer name or a connection URI"_s));

    SavedHost both = byName(u"server"_s);
    both.connection.connectionUri = u"https://server:5986/wsman"_s;
    EXPECT_TRUE(mentions(rules(both), u"ConnectionUri cannot be combined"_s));

    SavedHost badUri = byName(u"x"_s);
    badUri.connection.computerName.reset();
    badUri.connection.connectionUri = u"ftp://server"_s;
    EXPECT_TRUE(mentions(rules(badUri), u"http:// or https://"_s));

    SavedHost noUser = byName(u"server"_s);
    noUser.connection.userName.reset();
    EXPECT_TRUE(mentions(rules(noUser), u"needs a credential"_s));
    noUser.connection.authentication = Wsman::AuthenticationMechanism::NegotiateWithImplicitCredential;
    EXPECT_TRUE(rules(noUser).isEmpty());

    // An IP address needs a credential and HTTPS or a TrustedHosts entry.
    SavedHost ip = byName(u"192.0.2.10"_s);
    EXPECT_TRUE(mentions(rules(ip), u"HTTPS or a TrustedHosts entry"_s));
    ip.connection.useSsl = true;
    EXPECT_TRUE(rules(ip).isEmpty());
    ip.connection.useSsl.reset();
    EXPECT_TRUE(rules(ip, false, Wsman::TrustedHosts::fromString(u"192.0.2.*")).isEmpty());
    ip.connection.userName.reset();
    ip.connection.authentication = Wsman::AuthenticationMechanism::NegotiateWithImplicitCredential;
    EXPECT_TRUE(mentions(rules(ip, false, Wsman::TrustedHosts::fromString(u"*")), u"explicit credential"_s));
    EXPECT_TRUE(rules(byName(u"127.0.0.1"_s)).isEmpty());

    SavedHost certificate = byName(u"server"_s);
    certificate.connection.userName.reset();
    certificate.connection.certificateThumbprint = u"0123456789ABCDEF0123456789ABCDEF01234567"_s;
    EXPECT_TRUE(mentions(rules(certificate), u"HTTPS only"_s));
    certificate.connection.useSsl = true;
    EXPECT_TRUE(rules(certificate).isEmpty());
    certificate.connection.authentication = Wsman::AuthenticationMechanism::Basic;
    EXPECT_TRUE(mentions(rules(certificate), u"certificate is the credential"_s));

    SavedHost port = byName(u"server"_s);
    port.connection.port = 70000;
    EXPECT_FALSE(rules(port).isEmpty());

    SavedHost proxyUser = byName(u"server"_s);
    proxyUser.sessionOption.proxyCredentialUserName = u"p"_s;
    EXPECT_TRUE(mentions(rules(proxyUser), u"ProxyCredential needs a proxy"_s));

    SavedHost unnamed = byName(u"server"_s);
    EXPECT_TRUE(mentions(rules(unnamed, true), u"Enter a name"_s));
    unnamed.name = u"a/b"_s;
    EXPECT_TRUE(mentions(rules(unnamed, true), u"cannot contain '/'"_s));
}

TEST(ConnectionDialog, InlineValidationDisablesConnectUntilValid)
{
    ConnectionDialog dialog(ConnectionDialog::Mode::Connect, nullptr);
    dialog.show();
    auto *ok = child<QDialogButtonBox>(dialog, u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    auto *label = child<QLabel>(dialog, u"validationLabel"_s);
    EXPECT_FALSE(ok->isEnabled());
    EXPECT_TRUE(label->text().contains(u"computer name"_s));

    QTest::keyClicks(child<QLineEdit>(dialog, u"computerNameEdit"_s), u"10.1.2.3"_s);
    EXPECT_FALSE(ok->isEnabled());
    EXPECT_TRUE(label->text().contains(u"credential"_s)) << label->text().toStdString();
    QTest::keyClicks(child<QLineEdit>(dialog, u"userNameEdit"_s), u"CONTOSO\\alice"_s);
    EXPECT_TRUE(label->text().contains(u"HTTPS or a TrustedHosts entry"_s)) << label->text().toStdString();
    child<QCheckBox>(dialog, u"useSslCheck"_s)->setChecked(true);
    EXPECT_TRUE(ok->isEnabled()) << label->text().toStdString();

    // A bad session option value is caught inline, with PowerShell's option name.
    auto *idle = child<QLineEdit>(dialog, u"option_IdleTimeout"_s);
    EXPECT_EQ(idle->text(), u"-1"_s);
    idle->setText(u"5"_s);
    EXPECT_FALSE(ok->isEnabled());
    EXPECT_TRUE(label->text().contains(u"IdleTimeout"_s));
    idle->setText(u"60000"_s);
    EXPECT_TRUE(ok->isEnabled());

    // Switching to the ConnectionUri parameter set leaves ComputerName out.
    child<QRadioButton>(dialog, u"byConnectionUriRadio"_s)->setChecked(true);
    EXPECT_FALSE(ok->isEnabled());
    child<QLineEdit>(dialog, u"connectionUriEdit"_s)->setText(u"https://10.1.2.3:5986/wsman"_s);
    EXPECT_TRUE(ok->isEnabled()) << label->text().toStdString();
    const SavedHost h = dialog.host();
    EXPECT_FALSE(h.connection.computerName.has_value());
    EXPECT_EQ(h.connection.connectionUri, std::optional<QString>(u"https://10.1.2.3:5986/wsman"_s));
    EXPECT_EQ(h.sessionOption.idleTimeoutMs, 60000);
}

TEST(ConnectionDialog, ShowsEveryPSSessionOptionWithItsDefaultAndTheNoEffectNotes)
{
    ConnectionDialog dialog(ConnectionDialog::Mode::Connect, nullptr);
    for (const QString &name : Wsman::SessionOption::optionNames()) {
        if (name == u"Culture" || name == u"UICulture" || name == u"ApplicationArguments")
            continue; // the Connection page's culture overrides, the arguments list
        EXPECT_NE(dialog.findChild<QWidget *>(u"option_"_s + name), nullptr) << name.toStdString();
    }
    EXPECT_EQ(child<QLineEdit>(dialog, u"option_OperationTimeout"_s)->text(), u"180000"_s);
    EXPECT_EQ(child<QLineEdit>(dialog, u"option_MaximumReceivedObjectSize"_s)->text(), u"209715200"_s);
    EXPECT_EQ(child<QComboBox>(dialog, u"option_ProxyAccessType"_s)->currentText(), u"None"_s);
    EXPECT_TRUE(child<QLabel>(dialog, u"enableNetworkAccessNote"_s)->text().contains(u"No effect"_s));
    EXPECT_TRUE(child<QLabel>(dialog, u"outputBufferingModeNote"_s)->text().contains(u"No effect"_s));
}

TEST(ConnectionDialog, SaveAsHostNeedsAUniqueNameAndKeepsThePasswordOut)
{
    QTemporaryDir dir;
    Gui::SavedHostStore store(dir.filePath(u"hosts.json"_s));
    SavedHost existing = byName(u"a.contoso.com"_s);
    existing.name = u"Web"_s;
    ASSERT_FALSE(store.add(existing).has_value());

    ConnectionDialog dialog(ConnectionDialog::Mode::Connect, &store);
    dialog.show();
    auto *ok = child<QDialogButtonBox>(dialog, u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    child<QLineEdit>(dialog, u"computerNameEdit"_s)->setText(u"b.contoso.com"_s);
    child<QLineEdit>(dialog, u"userNameEdit"_s)->setText(u"bob@CONTOSO.COM"_s);
    child<QLineEdit>(dialog, u"passwordEdit"_s)->setText(u"pa55word"_s);
    EXPECT_TRUE(ok->isEnabled());
    child<QCheckBox>(dialog, u"saveAsHostCheck"_s)->setChecked(true);
    EXPECT_FALSE(ok->isEnabled());
    child<QLineEdit>(dialog, u"hostNameEdit"_s)->setText(u"web"_s);
    EXPECT_FALSE(ok->isEnabled()); // taken (case-insensitive) at the top level
    child<QComboBox>(dialog, u"folderCombo"_s)->setCurrentText(u"Lab"_s);
    EXPECT_TRUE(ok->isEnabled());
    child<QCheckBox>(dialog, u"rememberPasswordCheck"_s)->setChecked(true);

    SavedHost h = dialog.host();
    EXPECT_TRUE(dialog.saveAsHost());
    EXPECT_EQ(h.path(), u"Lab/web"_s);
    EXPECT_TRUE(h.rememberPassword);
    ASSERT_FALSE(store.add(h).has_value());
    QFile file(store.filePath());
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    EXPECT_FALSE(text.contains("pa55word"));
    const Wsman::Secret password = dialog.takePassword();
    EXPECT_EQ(QByteArray(password.utf8().data(), password.utf8().size()), QByteArray("pa55word"));
    EXPECT_TRUE(child<QLineEdit>(dialog, u"passwordEdit"_s)->text().isEmpty());
}
