#pragma once

#include "gui/HostQuestionDialog.h"
#include "session/HostUi.h"


class QLineEdit;

namespace Gui {

// PromptForCredential (MS-PSRP 2.2.3.17, methods 24/25) as a non-modal dialog that says the
// remote computer is asking. Holds the Reply and answers it exactly once when it closes (OK:
// user name + the password moved into a Wsman::Secret and wiped from the field; otherwise
// cancelled). Deletes itself when closed; shown non-modal (other tabs stay usable), never exec().
class CredentialDialog : public HostQuestionDialog {
    Q_OBJECT
public:
    CredentialDialog(const Session::CredentialRequest &request, Session::Reply<Session::Credential> reply,
                     const QString &computerName, QWidget *parent = nullptr);
    ~CredentialDialog() override;

    void done(int result) override;

private:
    Session::Reply<Session::Credential> m_reply;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
};

} // namespace Gui
