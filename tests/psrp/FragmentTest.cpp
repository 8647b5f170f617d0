#include "psrp/Fragment.h"

#include <gtest/gtest.h>

using namespace Psrp;

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

Fragment fragment(quint64 objectId, quint64 fragmentId, bool start, bool end, QByteArray blob)
{
    Fragment f;
    f.objectId = objectId;
    f.fragmentId = fragmentId;
    f.start = start;
    f.end = end;
    f.blob = std::move(blob);
    return f;
}

} // namespace

TEST(Fragment, EncodesBigEndianHeader)
{
    const QByteArray bytes = encodeFragment(fragment(0x0102030405060708ULL, 2, false, true, "abc"));
    EXPECT_EQ(bytes, hex("0102030405060708" "0000000000000002" "02" "00000003" "616263"));
    EXPECT_EQ(encodeFragment(fragment(1, 0, true, true, {})), hex("0000000000000001" "0000000000000000" "03" "00000000"));
}

TEST(Fragment, ParsesSeveralFragmentsOfOnePayload)
{
    const QByteArray payload =
        encodeFragments({fragment(1, 0, true, true, "one"), fragment(2, 0, true, false, "tw")});
    Result<QList<Fragment>> fragments = parseFragments(payload);
    ASSERT_TRUE(fragments.ok());
    ASSERT_EQ(fragments->size(), 2);
    EXPECT_EQ(fragments->at(0).objectId, 1u);
    EXPECT_TRUE(fragments->at(0).start && fragments->at(0).end);
    EXPECT_EQ(fragments->at(1).blob, QByteArray("tw"));
    EXPECT_TRUE(fragments->at(1).start);
    EXPECT_FALSE(fragments->at(1).end);
}

TEST(Fragment, FragmentMessageRespectsMaxSize)
{
    const QByteArray message(100, 'x');
    const QList<Fragment> fragments = fragmentMessage(7, message, FragmentHeaderSize + 30);
    ASSERT_EQ(fragments.size(), 4);
    QByteArray joined;
    for (qsizetype i = 0; i < fragments.size(); ++i) {
        const Fragment &f = fragments.at(i);
        EXPECT_EQ(f.objectId, 7u);
        EXPECT_EQ(f.fragmentId, quint64(i));
        EXPECT_EQ(f.start, i == 0);
        EXPECT_EQ(f.end, i == fragments.size() - 1);
        EXPECT_LE(encodeFragment(f).size(), FragmentHeaderSize + 30);
        joined += f.blob;
    }
    EXPECT_EQ(joined, message);
    EXPECT_EQ(fragments.last().blob.size(), 10);
}

TEST(Fragment, EmptyMessageIsOneStartEndFragment)
{
    const QList<Fragment> fragments = fragmentMessage(3, {}, 100);
    ASSERT_EQ(fragments.size(), 1);
    EXPECT_TRUE(fragments.first().start);
    EXPECT_TRUE(fragments.first().end);
    EXPECT_TRUE(fragments.first().blob.isEmpty());
    Defragmenter defragmenter;
    Result<QList<QByteArray>> messages = defragmenter.feed(encodeFragments(fragments));
    ASSERT_TRUE(messages.ok());
    ASSERT_EQ(messages->size(), 1);
    EXPECT_TRUE(messages->first().isEmpty());
}

TEST(Fragment, ExactMultipleOfBlobSizeHasNoEmptyTail)
{
    const QList<Fragment> fragments = fragmentMessage(1, QByteArray(60, 'y'), FragmentHeaderSize + 30);
    ASSERT_EQ(fragments.size(), 2);
    EXPECT_TRUE(fragments.last().end);
    EXPECT_EQ(fragments.last().blob.size(), 30);
}

TEST(Defragmenter, ReassemblesAcrossPayloadsAndInterleavedObjects)
{
    const QByteArray a(50, 'a');
    const QByteArray b(45, 'b');
    const QList<Fragment> fa = fragmentMessage(1, a, FragmentHeaderSize + 20);
    const QList<Fragment> fb = fragmentMessage(2, b, FragmentHeaderSize + 20);
    ASSERT_EQ(fa.size(), 3);
    ASSERT_EQ(fb.size(), 3);
    Defragmenter defragmenter;
    Result<QList<QByteArray>> r = defragmenter.feed(encodeFragments({fa[0], fb[0]}));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->isEmpty());
    EXPECT_TRUE(defragmenter.hasPartialMessages());
    r = defragmenter.feed(encodeFragments({fb[1], fa[1], fb[2]}));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1);
    EXPECT_EQ(r->first(), b);
    r = defragmenter.feed(encodeFragment(fa[2]));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1);
    EXPECT_EQ(r->first(), a);
    EXPECT_FALSE(defragmenter.hasPartialMessages());
}

TEST(Defragmenter, MissingStartIsOutOfOrder)
{
    Defragmenter defragmenter;
    Result<QList<QByteArray>> r = defragmenter.feed(encodeFragment(fragment(1, 1, false, false, "x")));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::FragmentOutOfOrder);
}

TEST(Defragmenter, StrayEndIsOutOfOrder)
{
    Defragmenter defragmenter;
    Result<QList<QByteArray>> r = defragmenter.feed(encodeFragment(fragment(4, 3, false, true, "x")));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::FragmentOutOfOrder);
}

TEST(Defragmenter, StartWithNonZeroIdIsOutOfOrder)
{
    Defragmenter defragmenter;
    Result<QList<QByteArray>> r = defragmenter.feed(encodeFragment(fragment(4, 1, true, true, "x")));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::FragmentOutOfOrder);
}

TEST(Defragmenter, DuplicateFragmentIsRefusedAndStateDropped)
{
    Defragmenter defragmenter;
    ASSERT_TRUE(defragmenter.feed(encodeFragment(fragment(1, 0, true, false, "a"))).ok());
    ASSERT_TRUE(defragmenter.feed(encodeFragment(fragment(1, 1, false, false, "b"))).ok());
    Result<QList<QByteArray>> r = defragmenter.feed(encodeFragment(fragment(1, 1, false, false, "b")));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::FragmentOutOfOrder);
    EXPECT_FALSE(defragmenter.hasPartialMessages());
}

TEST(Defragmenter, DuplicateStartIsRefused)
{
    Defragmenter defragmenter;
    ASSERT_TRUE(defragmenter.feed(encodeFragment(fragment(1, 0, true, false, "a"))).ok());
    Result<QList<QByteArray>> r = defragmenter.feed(encodeFragment(fragment(1, 0, true, false, "a")));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::FragmentOutOfOrder);
}

TEST(Defragmenter, GapIsRefusedButOtherObjectsSurvive)
{
    Defragmenter defragmenter;
    ASSERT_TRUE(defragmenter.feed(encodeFragments({fragment(1, 0, true, false, "a"),
                                                    fragment(2, 0, true, false, "c")}))
                    .ok());
    Result<QList<QByteArray>> r = defragmenter.feed(encodeFragment(fragment(1, 2, false, true, "b")));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::FragmentOutOfOrder);
    r = defragmenter.feed(encodeFragment(fragment(2, 1, false, true, "d")));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1);
    EXPECT_EQ(r->first(), QByteArray("cd"));
    // The dropped object may start over.
    r = defragmenter.feed(encodeFragment(fragment(1, 0, true, true, "z")));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->first(), QByteArray("z"));
}

TEST(Defragmenter, TruncatedHeaderIsFragmentTruncated)
{
    const QByteArray full = encodeFragment(fragment(1, 0, true, true, "abc"));
    for (qsizetype size : {1, 8, 20}) {
        Defragmenter defragmenter;
        Result<QList<QByteArray>> r = defragmenter.feed(full.left(size));
        ASSERT_FALSE(r.ok()) << size;
        EXPECT_EQ(r.error().code, ErrorCode::FragmentTruncated);
        EXPECT_FALSE(parseFragments(full.left(size)).ok());
    }
}

TEST(Defragmenter, LyingBlobLengthIsTruncatedNotAllocated)
{
    // Claims 0xFFFFFFF0 bytes but carries three.
    const QByteArray payload = hex("0000000000000001" "0000000000000000" "03" "fffffff0" "616263");
    Defragmenter defragmenter;
    Result<QList<QByteArray>> r = defragmenter.feed(payload);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::FragmentTruncated);
    Result<QList<Fragment>> parsed = parseFragments(payload);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, ErrorCode::FragmentTruncated);
}

TEST(Defragmenter, SizeLimitCheckedBeforeCopying)
{
    Defragmenter defragmenter(10);
    ASSERT_TRUE(defragmenter.feed(encodeFragment(fragment(1, 0, true, false, QByteArray(6, 'a')))).ok());
    Result<QList<QByteArray>> r =
        defragmenter.feed(encodeFragment(fragment(1, 1, false, true, QByteArray(5, 'b'))));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);
    EXPECT_FALSE(defragmenter.hasPartialMessages());

    r = defragmenter.feed(encodeFragment(fragment(2, 0, true, true, QByteArray(11, 'c'))));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);

    r = defragmenter.feed(encodeFragment(fragment(3, 0, true, true, QByteArray(10, 'd'))));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->first().size(), 10);
}

TEST(Defragmenter, KeepsMessagesCompletedBeforeAnError)
{
    Defragmenter defragmenter;
    QList<Defragmenter::Completed> completed;
    Result<void> r = defragmenter.feed(encodeFragments({fragment(1, 0, true, true, "ok"),
                                                         fragment(2, 5, false, true, "bad")}),
                                       completed);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::FragmentOutOfOrder);
    ASSERT_EQ(completed.size(), 1);
    EXPECT_EQ(completed.first().objectId, 1u);
    EXPECT_EQ(completed.first().data, QByteArray("ok"));
}

TEST(Defragmenter, TotalOfPartialMessagesIsBounded)
{
    Defragmenter defragmenter(100);
    EXPECT_EQ(defragmenter.maxPartialBytes(), 100); // follows maxMessageSize by default
    EXPECT_EQ(defragmenter.maxPartialMessages(), 64);
    // Each message stays under the per-message limit, but together they would pass it.
    for (quint64 id = 1; id <= 3; ++id)
        ASSERT_TRUE(defragmenter.feed(encodeFragment(fragment(id, 0, true, false, QByteArray(30, 'a')))).ok());
    EXPECT_EQ(defragmenter.partialBytes(), 90);
    auto r = defragmenter.feed(encodeFragment(fragment(4, 0, true, false, QByteArray(30, 'b'))));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);
    EXPECT_EQ(defragmenter.partialBytes(), 90);
    r = defragmenter.feed(encodeFragment(fragment(1, 1, false, false, QByteArray(20, 'c'))));
    ASSERT_FALSE(r.ok()); // continuing an existing one counts too; that message is dropped
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);
    EXPECT_EQ(defragmenter.partialBytes(), 60);
    // Completed messages give their bytes back.
    auto done = defragmenter.feed(encodeFragment(fragment(2, 1, false, true, QByteArray(5, 'd'))));
    ASSERT_TRUE(done.ok());
    ASSERT_EQ(done->size(), 1);
    EXPECT_EQ(done->at(0), QByteArray(30, 'a') + QByteArray(5, 'd'));
    EXPECT_EQ(defragmenter.partialBytes(), 30);
    EXPECT_TRUE(defragmenter.feed(encodeFragment(fragment(5, 0, true, false, QByteArray(60, 'e')))).ok());

    defragmenter.setMaxPartialBytes(1000);
    EXPECT_EQ(defragmenter.maxPartialBytes(), 1000);
}

TEST(Defragmenter, ConcurrentPartialObjectIdsAreCapped)
{
    Defragmenter defragmenter;
    for (quint64 id = 1; id <= 64; ++id)
        ASSERT_TRUE(defragmenter.feed(encodeFragment(fragment(id, 0, true, false, "x"))).ok()) << id;
    auto r = defragmenter.feed(encodeFragment(fragment(65, 0, true, false, "x")));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::LimitExceeded);
    EXPECT_TRUE(r.error().detail.contains(QStringLiteral("64"))) << r.error().detail.toStdString();
    // A whole message in one fragment needs no slot; finishing one frees a slot.
    EXPECT_TRUE(defragmenter.feed(encodeFragment(fragment(66, 0, true, true, "y"))).ok());
    ASSERT_TRUE(defragmenter.feed(encodeFragment(fragment(1, 1, false, true, "z"))).ok());
    EXPECT_TRUE(defragmenter.feed(encodeFragment(fragment(65, 0, true, false, "x"))).ok());
    defragmenter.setMaxPartialMessages(2);
    EXPECT_EQ(defragmenter.maxPartialMessages(), 2);
}
