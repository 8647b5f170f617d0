#include "session/ProgressTracker.h"

#include <functional>

namespace Session {

bool ProgressTracker::update(qint64 sourceId, const Psrp::ProgressRecord &record)
{
    if (record.type == Psrp::ProgressRecordType::Completed) {
        const qsizetype before = m_items.size();
        removeWithChildren(sourceId, record.activityId);
        return m_items.size() != before;
    }
    for (ProgressItem &item : m_items) {
        if (item.sourceId == sourceId && item.record.activityId == record.activityId) {
            item.record = record;
            return true;
        }
    }
    m_items.append(ProgressItem{sourceId, record, 0});
    return true;
}

void ProgressTracker::removeWithChildren(qint64 sourceId, qint32 activityId)
{
    QList<qint32> children;
    for (qsizetype i = m_items.size() - 1; i >= 0; --i) {
        const ProgressItem &item = m_items.at(i);
        if (item.sourceId != sourceId)
            continue;
        if (item.record.activityId == activityId)
            m_items.removeAt(i);
        else if (item.record.parentActivityId == activityId)
            children.append(item.record.activityId);
    }
    for (qint32 child : children)
        if (child != activityId)
            removeWithChildren(sourceId, child);
}

QList<ProgressItem> ProgressTracker::items() const
{
    QList<ProgressItem> out;
    QList<bool> placed(m_items.size(), false);
    // Depth-first from the roots (records whose parent is not shown), bounded by the item count
    // so a parent cycle sent by a server cannot loop.
    std::function<void(qsizetype, int)> visit = [&](qsizetype index, int depth) {
        if (placed[index] || depth > m_items.size())
            return;
        placed[index] = true;
        ProgressItem item = m_items.at(index);
        item.depth = depth;
        out.append(item);
        for (qsizetype j = 0; j < m_items.size(); ++j)
            if (!placed[j] && m_items.at(j).sourceId == item.sourceId
                && m_items.at(j).record.parentActivityId == item.record.activityId)
                visit(j, depth + 1);
    };
    auto hasShownParent = [&](const ProgressItem &item) {
        if (item.record.parentActivityId < 0)
            return false;
        for (const ProgressItem &other : m_items)
            if (other.sourceId == item.sourceId && other.record.activityId == item.record.parentActivityId
                && other.record.activityId != item.record.activityId)
                return true;
        return false;
    };
    for (qsizetype i = 0; i < m_items.size(); ++i)
        if (!hasShownParent(m_items.at(i)))
            visit(i, 0);
    for (qsizetype i = 0; i < m_items.size(); ++i) // leftovers of a parent cycle
        visit(i, 0);
    return out;
}

} // namespace Session
