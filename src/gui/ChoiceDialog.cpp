#include "gui/ChoiceDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

ChoiceDialog::ChoiceDialog(const Session::ChoiceRequest &request, Session::Reply<QList<qint32>> reply, QWidget *parent)
    : HostQuestionDialog(u"choiceDialog"_s, request.caption, tr("Choose"), parent), m_reply(std::move(reply)),
      m_multiple(request.multiple)
{
    QVBoxLayout *layout = contentLayout();
    addText(request.message, u"message"_s);

    auto *grid = new QGridLayout;
    for (qsizetype i = 0; i < request.choices.size(); ++i) {
        const Psrp::ChoiceDescription &c = request.choices.at(i);
        const qint32 index = static_cast<qint32>(i);
        QAbstractButton *button = nullptr;
        if (m_multiple) {
            auto *box = new QCheckBox(c.label, this);
            box->setChecked(request.defaultChoices.contains(index));
            button = box;
        } else {
            auto *push = new QPushButton(c.label, this);
            push->setAutoDefault(false);
            push->setDefault(request.defaultChoices.contains(index));
            connect(push, &QPushButton::clicked, this, [this, index] {
                m_chosen = {index};
                accept();
            });
            button = push;
        }
        button->setObjectName(u"choice-%1"_s.arg(index));
        button->setToolTip(c.helpMessage);
        m_buttons.append(button);
        auto *help = new QLabel(c.helpMessage, this);
        help->setObjectName(u"help-%1"_s.arg(index));
        help->setTextFormat(Qt::PlainText);
        help->setWordWrap(true);
        grid->addWidget(button, static_cast<int>(i), 0);
        grid->addWidget(help, static_cast<int>(i), 1);
    }
    grid->setColumnStretch(1, 1);
    layout->addLayout(grid);

    auto *buttons = new QDialogButtonBox(m_multiple ? QDialogButtonBox::Ok | QDialogButtonBox::Cancel : QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        m_chosen.clear();
        for (qsizetype i = 0; i < m_buttons.size(); ++i)
            if (m_buttons.at(i)->isChecked())
                m_chosen.append(static_cast<qint32>(i));
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

ChoiceDialog::~ChoiceDialog()
{
    m_reply.cancel(tr("The choice dialog was closed."));
}

void ChoiceDialog::done(int result)
{
    if (result == QDialog::Accepted)
        m_reply.complete(m_chosen);
    else
        m_reply.cancel(tr("The user cancelled the choice."));
    QDialog::done(result);
}

} // namespace Gui
