#pragma once

#include "gui/HostQuestionDialog.h"
#include "session/HostUi.h"

#include <QList>

class QLineEdit;

namespace Gui {

// $host.UI.Prompt (23): one row per FieldDescription - a text field, a masked field for a
// SecureString, user name + masked password for a PSCredential - with its help message.
// Shown non-modal (other tabs stay usable); answers its Reply once when it closes (secrets
// moved into Wsman::Secret and wiped from the fields) and deletes itself.
class PromptDialog : public HostQuestionDialog {
    Q_OBJECT
public:
    PromptDialog(const Session::PromptRequest &request, Session::Reply<std::vector<Session::PromptAnswer>> reply,
                 QWidget *parent = nullptr);
    ~PromptDialog() override;

    void done(int result) override;

private:
    struct Field {
        QLineEdit *text = nullptr;   // text, or the user name of a credential
        QLineEdit *secret = nullptr; // SecureString, or the credential's password
    };
    Session::Reply<std::vector<Session::PromptAnswer>> m_reply;
    QList<Field> m_fields;
};

} // namespace Gui
