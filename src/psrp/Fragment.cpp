#include "psrp/Fragment.h"

#include <QtEndian>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Psrp {

namespace {

constexpr quint8 StartFlag = 0x01;
constexpr quint8 EndFlag = 0x02;

struct Header {
    quint64 objectId = 0;
    quint64 fragmentId = 0;
    bool start = false;
    bool end = false;
    quint32 blobLength = 0;
};

// MS-PSRP 2.2.4: reads the 21-byte header at `offset`; checks only that header and blob fit.
Result<Header> readHeader(QByteArrayView payload, qsizetype offset)
{
    const qsizetype remaining = payload.size() - offset;
    if (remaining < FragmentHeaderSize) {
        return makeError(ErrorCode::FragmentTruncated,
                         u"fragment header at offset %1 has %2 of 21 bytes"_s.arg(offset).arg(remaining));
    }
    const uchar *p = reinterpret_cast<const uchar *>(payload.data()) + offset;
    Header header;
    header.objectId = qFromBigEndian<quint64>(p);
    header.fragmentId = qFromBigEndian<quint64>(p + 8);
    header.start = (p[16] & StartFlag) != 0;
    header.end = (p[16] & EndFlag) != 0;
    header.blobLength = qFromBigEndian<quint32>(p + 17);
    if (qint64(header.blobLength) > qint64(remaining - FragmentHeaderSize)) {
        return makeError(ErrorCode::FragmentTruncated,
                         u"fragment ObjectId %1 FragmentId %2 declares %3 blob bytes, %4 present"_s
                             .arg(header.objectId)
                             .arg(header.fragmentId)
                             .arg(header.blobLength)
                             .arg(remaining - FragmentHeaderSize));
    }
    return header;
}

} // namespace

QByteArray encodeFragment(const Fragment &fragment)
{
    QByteArray out(FragmentHeaderSize, Qt::Uninitialized);
    uchar *p = reinterpret_cast<uchar *>(out.data());
    qToBigEndian<quint64>(fragment.objectId, p);
    qToBigEndian<quint64>(fragment.fragmentId, p + 8);
    p[16] = static_cast<uchar>((fragment.start ? StartFlag : 0) | (fragment.end ? EndFlag : 0));
    qToBigEndian<quint32>(static_cast<quint32>(fragment.blob.size()), p + 17);
    out.append(fragment.blob);
    return out;
}

QByteArray encodeFragments(const QList<Fragment> &fragments)
{
    qsizetype total = 0;
    for (const Fragment &fragment : fragments)
        total += FragmentHeaderSize + fragment.blob.size();
    QByteArray out;
    out.reserve(total);
    for (const Fragment &fragment : fragments)
        out.append(encodeFragment(fragment));
    return out;
}

QList<Fragment> fragmentMessage(quint64 objectId, const QByteArray &message, qsizetype maxFragmentSize)
{
    const qsizetype blobMax = std::max<qsizetype>(1, maxFragmentSize - FragmentHeaderSize);
    QList<Fragment> fragments;
    fragments.reserve(std::max<qsizetype>(1, (message.size() + blobMax - 1) / blobMax));
    qsizetype offset = 0;
    quint64 fragmentId = 0;
    do {
        const qsizetype size = std::min(blobMax, message.size() - offset);
        Fragment fragment;
        fragment.objectId = objectId;
        fragment.fragmentId = fragmentId++;
        fragment.start = offset == 0;
        fragment.blob = message.mid(offset, size);
        offset += size;
        fragment.end = offset >= message.size();
        fragments.append(std::move(fragment));
    } while (offset < message.size());
    return fragments;
}

Result<QList<Fragment>> parseFragments(QByteArrayView payload)
{
    QList<Fragment> fragments;
    qsizetype offset = 0;
    while (offset < payload.size()) {
        Result<Header> header = readHeader(payload, offset);
        if (!header)
            return header.error();
        Fragment fragment;
        fragment.objectId = header->objectId;
        fragment.fragmentId = header->fragmentId;
        fragment.start = header->start;
        fragment.end = header->end;
        fragment.blob = payload.sliced(offset + FragmentHeaderSize, header->blobLength).toByteArray();
        fragments.append(std::move(fragment));
        offset += FragmentHeaderSize + header->blobLength;
    }
    return fragments;
}

Defragmenter::Defragmenter(qsizetype maxMessageSize) : m_maxMessageSize(maxMessageSize) {}

void Defragmenter::drop(quint64 objectId)
{
    const auto it = m_partial.find(objectId);
    if (it == m_partial.end())
        return;
    m_partialBytes -= it->second.data.size();
    m_partial.erase(it);
}

Result<QList<QByteArray>> Defragmenter::feed(QByteArrayView payload)
{
    QList<Completed> completed;
    Result<void> result = feed(payload, completed);
    if (!result)
        return result.error();
    QList<QByteArray> messages;
    messages.reserve(completed.size());
    for (Completed &message : completed)
        messages.append(std::move(message.data));
    return messages;
}

// MS-PSRP 3.1.5.1.2: per ObjectId the FragmentIds ascend from 0 without gaps; the first fragment
// carries S, the last E. A violation drops that ObjectId's partial message.
Result<void> Defragmenter::feed(QByteArrayView payload, QList<Completed> &completed)
{
    return feed(payload, [&completed](quint64 objectId, QByteArrayView message) {
        completed.append({objectId, message.toByteArray()});
    });
}

Result<void> Defragmenter::feed(QByteArrayView payload, const MessageSink &onMessage)
{
    qsizetype offset = 0;
    while (offset < payload.size()) {
        Result<Header> parsed = readHeader(payload, offset);
        if (!parsed) {
            if (payload.size() - offset >= 8) {
                const quint64 objectId =
                    qFromBigEndian<quint64>(reinterpret_cast<const uchar *>(payload.data()) + offset);
                drop(objectId);
            }
            return parsed.error();
        }
        const Header &h = *parsed;
        const QByteArrayView blob = payload.sliced(offset + FragmentHeaderSize, h.blobLength);
        offset += FragmentHeaderSize + h.blobLength;

        auto fail = [&](ErrorCode code, const QString &what) -> Result<void> {
            drop(h.objectId);
            return makeError(code, u"ObjectId %1 FragmentId %2: %3"_s.arg(h.objectId).arg(h.fragmentId).arg(what));
        };

        auto it = m_partial.find(h.objectId);
        if (it == m_partial.end()) {
            if (!h.start)
                return fail(ErrorCode::FragmentOutOfOrder, u"no start fragment seen for this object"_s);
            if (h.fragmentId != 0)
                return fail(ErrorCode::FragmentOutOfOrder, u"start fragment with a non-zero FragmentId"_s);
            if (h.blobLength > m_maxMessageSize) {
                return fail(ErrorCode::LimitExceeded,
                            u"message exceeds the %1-byte limit"_s.arg(m_maxMessageSize));
            }
            if (h.end) {
                onMessage(h.objectId, blob);
                continue;
            }
            if (qsizetype(m_partial.size()) >= m_maxPartialMessages) {
                return fail(ErrorCode::LimitExceeded,
                            u"more than %1 incomplete messages at once"_s.arg(m_maxPartialMessages));
            }
            if (qint64(h.blobLength) > qint64(maxPartialBytes()) - m_partialBytes) {
                return fail(ErrorCode::LimitExceeded,
                            u"incomplete messages exceed the %1-byte limit"_s.arg(maxPartialBytes()));
            }
            m_partialBytes += h.blobLength;
            Partial partial;
            partial.nextFragmentId = 1;
            partial.data = blob.toByteArray();
            m_partial.emplace(h.objectId, std::move(partial));
            continue;
        }

        Partial &partial = it->second;
        if (h.start)
            return fail(ErrorCode::FragmentOutOfOrder, u"second start fragment for an object in progress"_s);
        if (h.fragmentId < partial.nextFragmentId)
            return fail(ErrorCode::FragmentOutOfOrder, u"duplicate or earlier FragmentId"_s);
        if (h.fragmentId > partial.nextFragmentId) {
            return fail(ErrorCode::FragmentOutOfOrder,
                        u"gap: expected FragmentId %1"_s.arg(partial.nextFragmentId));
        }
        if (qint64(h.blobLength) > qint64(m_maxMessageSize) - partial.data.size()) {
            return fail(ErrorCode::LimitExceeded,
                        u"message exceeds the %1-byte limit"_s.arg(m_maxMessageSize));
        }
        if (qint64(h.blobLength) > qint64(maxPartialBytes()) - m_partialBytes) {
            return fail(ErrorCode::LimitExceeded,
                        u"incomplete messages exceed the %1-byte limit"_s.arg(maxPartialBytes()));
        }
        partial.data.append(blob);
        m_partialBytes += h.blobLength;
        ++partial.nextFragmentId;
        if (h.end) {
            m_partialBytes -= partial.data.size();
            const QByteArray message = std::move(partial.data);
            m_partial.erase(it);
            onMessage(h.objectId, message);
        }
    }
    return {};
}

} // namespace Psrp
