#include "gui/CredentialDialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {
// System.Management.Automation.PSCredentialUIOptions.ReadOnlyUserName.
constexpr qint32 ReadOnlyUserName = 3;
} // namespace

CredentialDialog::CredentialDialog(const Session::CredentialRequest &request, Session::Reply<Session::Credential> reply,
                                   const QString &computerName, QWidget *parent)
    : HostQuestionDialog(u"credentialDialog"_s, request.caption, tr("PowerShell Credential Request"), parent),
      m_reply(std::move(reply))
{
    QVBoxLayout *layout = contentLayout();
    QLabel *warning = addText(computerName.isEmpty() ? tr("The remote computer is asking for your credentials.")
                                                     : tr("The remote computer %1 is asking for your credentials.").arg(computerName),
                              u"remoteWarning"_s);
    QFont bold = warning->font();
    bold.setBold(true);
    warning->setFont(bold);
    addText(request.message, u"message"_s);

    auto *form = new QFormLayout;
    m_user = new QLineEdit(request.userName, this);
    m_user->setObjectName(u"userName"_s);
    m_user->setReadOnly(request.options == ReadOnlyUserName && !request.userName.isEmpty());
    m_password = new QLineEdit(this);
    m_password->setObjectName(u"password"_s);
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(tr("&User name:"), m_user);
    form->addRow(tr("&Password:"), m_password);
    layout->addLayout(form);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    if (m_user->text().isEmpty() || m_user->isReadOnly())
        (m_user->isReadOnly() ? m_password : m_user)->setFocus();
    else
        m_password->setFocus();
}

CredentialDialog::~CredentialDialog()
{
    m_reply.cancel(tr("The credential dialog was closed."));
}

void CredentialDialog::done(int result)
{
    if (result == QDialog::Accepted) {
        Session::Credential credential{m_user->text(), Wsman::Secret(m_password->text())};
        m_password->clear();
        m_reply.complete(std::move(credential));
    } else {
        m_password->clear();
        m_reply.cancel(tr("The user cancelled the credential request."));
    }
    QDialog::done(result);
}

} // namespace Gui
