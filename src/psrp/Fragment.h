#pragma once

#include "psrp/Error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <functional>
#include <map>

namespace Psrp {

// MS-PSRP 2.2.4: ObjectId(8) FragmentId(8) Flags(1: S=0x01, E=0x02) BlobLength(4) Blob, big-endian.
struct Fragment {
    quint64 objectId = 0;
    quint64 fragmentId = 0;
    bool start = false;
    bool end = false;
    QByteArray blob;
};

inline constexpr qsizetype FragmentHeaderSize = 21;

QByteArray encodeFragment(const Fragment &fragment);
// The fragments one after another, as one WS-Management payload carries them.
QByteArray encodeFragments(const QList<Fragment> &fragments);

// Splits one encoded message into fragments whose encoded size (header included) is at most
// maxFragmentSize bytes (> FragmentHeaderSize). An empty message still yields one S+E fragment.
QList<Fragment> fragmentMessage(quint64 objectId, const QByteArray &message, qsizetype maxFragmentSize);

// Reassembles messages from the fragments of one direction, across as many payloads as they
// span (one WS-Management Stream/creationXml element is one payload). Per ObjectId, FragmentIds
// must ascend from 0 without gaps, the first has S, the last E. Memory is bounded: a message
// whose blobs outgrow maxMessageSize, incomplete messages whose blobs together outgrow
// maxPartialBytes, or more than maxPartialMessages incomplete ObjectIds at once are LimitExceeded
// before the blob is copied; a declared BlobLength larger than the bytes present is
// FragmentTruncated, never allocated.
class Defragmenter {
public:
    explicit Defragmenter(qsizetype maxMessageSize = 200 * 1024 * 1024);

    // Parses every fragment in `payload`; returns the messages completed by it, in completion
    // order. On error the state of the offending ObjectId is dropped; other ObjectIds survive.
    Result<QList<QByteArray>> feed(QByteArrayView payload);
    // As feed(), with each message's ObjectId; messages completed before an error in the same
    // payload are still appended to `completed`. Parsing stops at the first error.
    struct Completed {
        quint64 objectId = 0;
        QByteArray data;
    };
    Result<void> feed(QByteArrayView payload, QList<Completed> &completed);
    // As feed(), handing each completed message to `onMessage` as soon as it is complete, without
    // a copy when a single fragment carries it (the view is valid during the call only).
    using MessageSink = std::function<void(quint64 objectId, QByteArrayView message)>;
    Result<void> feed(QByteArrayView payload, const MessageSink &onMessage);

    // True while some message is incomplete.
    bool hasPartialMessages() const { return !m_partial.empty(); }
    qsizetype maxMessageSize() const { return m_maxMessageSize; }
    void setMaxMessageSize(qsizetype size) { m_maxMessageSize = size; }
    // Total blob bytes held for incomplete messages; unless set, equal to maxMessageSize.
    qsizetype maxPartialBytes() const { return m_maxPartialBytes < 0 ? m_maxMessageSize : m_maxPartialBytes; }
    void setMaxPartialBytes(qsizetype bytes) { m_maxPartialBytes = bytes; }
    qsizetype partialBytes() const { return m_partialBytes; }
    // Incomplete ObjectIds held at once (default 64).
    int maxPartialMessages() const { return m_maxPartialMessages; }
    void setMaxPartialMessages(int count) { m_maxPartialMessages = count; }

private:
    struct Partial {
        quint64 nextFragmentId = 0;
        QByteArray data;
    };
    std::map<quint64, Partial> m_partial;
    qsizetype m_maxMessageSize;
    qsizetype m_maxPartialBytes = -1;
    qsizetype m_partialBytes = 0;
    int m_maxPartialMessages = 64;

    void drop(quint64 objectId);
};

// Parses the fragments of one payload without reassembling them (for diagnostics and tests).
Result<QList<Fragment>> parseFragments(QByteArrayView payload);

} // namespace Psrp
