#include "gui/AboutDialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QSslSocket>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

QString AboutDialog::versionText()
{
    const QString openSsl = QSslSocket::sslLibraryVersionString();
    return tr("PSRemote %1").arg(QStringLiteral(PSREMOTE_VERSION)) + u'\n'
           + tr("Qt %1 (built with %2)").arg(QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR)) + u'\n'
           + (openSsl.isEmpty() ? tr("OpenSSL: not available") : openSsl);
}

AboutDialog::AboutDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(u"aboutDialog"_s);
    setWindowTitle(tr("About PSRemote"));
    auto *layout = new QVBoxLayout(this);
    auto *icon = new QLabel(this);
    icon->setPixmap(windowIcon().pixmap(64, 64));
    layout->addWidget(icon, 0, Qt::AlignHCenter);
    auto *title = new QLabel(tr("<h2>PSRemote</h2><p>PowerShell remoting (WinRM / MS-PSRP) consoles in tabs.</p>"), this);
    title->setAlignment(Qt::AlignHCenter);
    layout->addWidget(title);
    auto *versions = new QLabel(versionText(), this);
    versions->setObjectName(u"versionsLabel"_s);
    versions->setTextInteractionFlags(Qt::TextSelectableByMouse);
    versions->setAlignment(Qt::AlignHCenter);
    layout->addWidget(versions);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

} // namespace Gui
