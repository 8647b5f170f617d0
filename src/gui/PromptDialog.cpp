#include "gui/PromptDialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

PromptDialog::PromptDialog(const Session::PromptRequest &request, Session::Reply<std::vector<Session::PromptAnswer>> reply,
                           QWidget *parent)
    : HostQuestionDialog(u"promptDialog"_s, request.caption, tr("Input requested"), parent), m_reply(std::move(reply))
{
    QVBoxLayout *layout = contentLayout();
    addText(request.message, u"message"_s);

    auto *form = new QFormLayout;
    for (qsizetype i = 0; i < request.fields.size(); ++i) {
        const Psrp::FieldDescription &f = request.fields.at(i);
        Field field;
        const QString id = u"field-%1"_s.arg(i);
        QWidget *row = nullptr;
        if (f.isCredential()) {
            row = new QWidget(this);
            auto *h = new QHBoxLayout(row);
            h->setContentsMargins(0, 0, 0, 0);
            field.text = new QLineEdit(row);
            field.text->setObjectName(id + u"-user"_s);
            field.text->setPlaceholderText(tr("User name"));
            field.secret = new QLineEdit(row);
            field.secret->setObjectName(id + u"-password"_s);
            field.secret->setPlaceholderText(tr("Password"));
            field.secret->setEchoMode(QLineEdit::Password);
            h->addWidget(field.text);
            h->addWidget(field.secret);
        } else if (f.isSecureString()) {
            field.secret = new QLineEdit(this);
            field.secret->setObjectName(id);
            field.secret->setEchoMode(QLineEdit::Password);
            row = field.secret;
        } else {
            field.text = new QLineEdit(this);
            field.text->setObjectName(id);
            if (const auto d = f.defaultValue.toString())
                field.text->setText(*d);
            row = field.text;
        }
        row->setToolTip(f.helpMessage);
        QString label = f.label.isEmpty() ? f.name : f.label;
        if (f.isMandatory)
            label += u" *"_s;
        form->addRow(label + u':', row);
        m_fields.append(field);
    }
    layout->addLayout(form);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

PromptDialog::~PromptDialog()
{
    m_reply.cancel(tr("The prompt was closed."));
}

void PromptDialog::done(int result)
{
    std::vector<Session::PromptAnswer> answers;
    for (const Field &f : m_fields) {
        Session::PromptAnswer a;
        if (f.secret) {
            a.secret = Wsman::Secret(f.secret->text());
            f.secret->clear();
            if (f.text)
                a.userName = f.text->text();
        } else if (f.text) {
            a.text = f.text->text();
        }
        answers.push_back(std::move(a));
    }
    if (result == QDialog::Accepted)
        m_reply.complete(std::move(answers));
    else
        m_reply.cancel(tr("The user cancelled the prompt."));
    QDialog::done(result);
}

} // namespace Gui
