#pragma once

#include <QDialog>

class QLabel;
class QVBoxLayout;

namespace Gui {

// The common frame of the dialogs a remote host question opens (Prompt, PromptForCredential,
// PromptForChoice): deleted when closed, titled by the request's caption (a fallback when
// empty), a vertical layout the subclass fills, starting with plain-text labels. Subclasses own
// the Reply and answer it in done().
class HostQuestionDialog : public QDialog {
    Q_OBJECT
protected:
    HostQuestionDialog(const QString &objectName, const QString &caption, const QString &fallbackTitle, QWidget *parent);

    // A word-wrapped plain-text label added to the layout (remote text is never rich text).
    QLabel *addText(const QString &text, const QString &objectName);
    QVBoxLayout *contentLayout() const { return m_layout; }

private:
    QVBoxLayout *m_layout = nullptr;
};

} // namespace Gui
