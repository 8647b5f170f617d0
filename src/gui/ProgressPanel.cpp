#include "gui/ProgressPanel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

constexpr int IndentPerLevel = 16;
constexpr int MaximumDepthShown = 8;

QString statusText(const Psrp::ProgressRecord &r)
{
    QString text = r.activity;
    if (!r.statusDescription.isEmpty())
        text += u": "_s + r.statusDescription;
    if (r.currentOperation && !r.currentOperation->isEmpty())
        text += u" - "_s + *r.currentOperation;
    if (r.secondsRemaining >= 0)
        text += ProgressPanel::tr(" (%n second(s) remaining)", nullptr, r.secondsRemaining);
    return text;
}

} // namespace

ProgressPanel::ProgressPanel(QWidget *parent) : QWidget(parent)
{
    m_layout = new QVBoxLayout(this);
    m_layout->setContentsMargins(0, 2, 0, 2);
    m_layout->setSpacing(2);
    hide();
}

void ProgressPanel::setItems(const QList<Session::ProgressItem> &items)
{
    m_items = items;
    if (m_scheduled)
        return;
    m_scheduled = true;
    QTimer::singleShot(0, this, &ProgressPanel::rebuild);
}

int ProgressPanel::rowCount() const
{
    return m_layout->count();
}

void ProgressPanel::rebuild()
{
    m_scheduled = false;
    while (QLayoutItem *item = m_layout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (const Session::ProgressItem &item : m_items) {
        auto *row = new QWidget(this);
        row->setObjectName(u"progress-%1-%2"_s.arg(item.sourceId).arg(item.record.activityId));
        auto *h = new QHBoxLayout(row);
        h->setContentsMargins(std::min(item.depth, MaximumDepthShown) * IndentPerLevel, 0, 0, 0);
        auto *label = new QLabel(statusText(item.record), row);
        label->setTextFormat(Qt::PlainText);
        auto *bar = new QProgressBar(row);
        if (item.record.percentComplete < 0) {
            bar->setRange(0, 0); // busy indicator
        } else {
            bar->setRange(0, 100);
            bar->setValue(std::min(item.record.percentComplete, 100));
        }
        h->addWidget(label, 1);
        h->addWidget(bar, 1);
        m_layout->addWidget(row);
    }
    setVisible(!m_items.isEmpty());
}

} // namespace Gui
