#include "gui/HostQuestionDialog.h"

#include <QLabel>
#include <QVBoxLayout>

namespace Gui {

HostQuestionDialog::HostQuestionDialog(const QString &objectName, const QString &caption, const QString &fallbackTitle,
                                       QWidget *parent)
    : QDialog(parent)
{
    setObjectName(objectName);
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(caption.isEmpty() ? fallbackTitle : caption);
    m_layout = new QVBoxLayout(this);
}

QLabel *HostQuestionDialog::addText(const QString &text, const QString &objectName)
{
    auto *label = new QLabel(text, this);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    m_layout->addWidget(label);
    return label;
}

} // namespace Gui
