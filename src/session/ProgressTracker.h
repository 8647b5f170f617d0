#pragma once

#include "session/HostUi.h"

#include <QList>

namespace Session {

// The progress records currently shown: keyed by (source id, activity id), nested by parent
// activity id within one source; a Completed record removes itself and its children. A value
// type owned by InteractiveSession, cleared when a pipeline ends.
class ProgressTracker {
public:
    // Applies one record; true when the visible list changed.
    bool update(qint64 sourceId, const Psrp::ProgressRecord &record);
    void clear() { m_items.clear(); }
    bool isEmpty() const { return m_items.isEmpty(); }
    // Parents first, each child right after its parent's subtree position, with depth.
    QList<ProgressItem> items() const;

private:
    void removeWithChildren(qint64 sourceId, qint32 activityId);
    QList<ProgressItem> m_items; // in arrival order
};

} // namespace Session
