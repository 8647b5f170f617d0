#pragma once

#include "gui/HostQuestionDialog.h"
#include "session/HostUi.h"

#include <QList>

class QAbstractButton;
class QCheckBox;

namespace Gui {

// PromptForChoice (26) as one button per choice with its help text beside it, the default
// choice the default button; PromptForChoiceMultipleSelection (56) as check boxes (defaults
// checked) and OK. Shown non-modal (other tabs stay usable); answers its Reply once when it
// closes (cancelled unless a choice was made) and deletes itself.
class ChoiceDialog : public HostQuestionDialog {
    Q_OBJECT
public:
    ChoiceDialog(const Session::ChoiceRequest &request, Session::Reply<QList<qint32>> reply, QWidget *parent = nullptr);
    ~ChoiceDialog() override;

    void done(int result) override;
    QList<QAbstractButton *> choiceButtons() const { return m_buttons; }

private:
    Session::Reply<QList<qint32>> m_reply;
    bool m_multiple = false;
    QList<QAbstractButton *> m_buttons; // QPushButton, or QCheckBox when multiple
    QList<qint32> m_chosen;
};

} // namespace Gui
