// SPDX-License-Identifier: MIT
// el::KeptText, where every kept event's texts live: packed into shared 2 MiB blocks, each freed (or kept for reuse)
// when its last text goes. Contents against std::string copies, blocks counted back to where they were, texts made
// on several threads and let go on another, and the huge-page hint given to the kernel.
#include "model/event.h"
#include "util/keptext.h"

#include <QFile>
#include <QTest>

#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

using el::KeptText;

namespace {

/** A text of \a size bytes that differs from its neighbours: \a seed written in, then bytes from it. */
std::string textOf(std::size_t size, std::uint64_t seed)
{
    std::string s(size, '\0');
    std::mt19937_64 rng(seed);
    for (char& c : s)
        c = static_cast<char>('a' + rng() % 26);
    const std::string tag = std::to_string(seed);
    s.replace(0, std::min(tag.size(), s.size()), tag.substr(0, std::min(tag.size(), s.size())));
    return s;
}

} // namespace

class TestKeptText : public QObject
{
    Q_OBJECT

private slots:
    void keepsEveryText();
    void copiesShareAndMovesEmpty();
    void blocksGoWithTheirLastText();
    void textsFromSeveralThreads();
    void eventTextsAreKept();
    void blocksAskForHugePages();
};

void TestKeptText::keepsEveryText()
{
    // Sizes around the block's end and the large-text limit (256 KiB), and one larger than a block.
    const std::size_t sizes[] = {0, 1, 63, 64, 1517, 4096, 100'000, 256 * 1024, 256 * 1024 + 1, 1 << 20,
        KeptText::kBlockSize - 64, KeptText::kBlockSize + 1, 5 << 20};
    std::vector<std::string> expected;
    std::vector<KeptText> kept;
    std::uint64_t seed = 1;
    for (int round = 0; round < 3; ++round) {
        for (const std::size_t size : sizes) {
            expected.push_back(textOf(size, seed++));
            kept.emplace_back(expected.back());
        }
    }
    QCOMPARE(kept.size(), expected.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
        QCOMPARE(kept[i].size(), expected[i].size());
        QVERIFY2(
            kept[i] == expected[i], qPrintable(QStringLiteral("text %1 (%2 bytes)").arg(i).arg(expected[i].size())));
        QCOMPARE(kept[i].empty(), expected[i].empty());
    }
    // Assigned from a view of itself: copied before the old text goes.
    KeptText self(expected[4]);
    self = self.view().substr(10, 100);
    QVERIFY(self == std::string_view(expected[4]).substr(10, 100));
}

void TestKeptText::copiesShareAndMovesEmpty()
{
    const std::string source = textOf(1000, 7);
    KeptText a(source);
    KeptText b = a;
    QCOMPARE(static_cast<const void*>(b.data()), static_cast<const void*>(a.data())); // shared, not copied
    KeptText c = std::move(a);
    QVERIFY(a.empty());
    QCOMPARE(a.view(), std::string_view());
    QVERIFY(c == source);
    a = c; // a copy again, then c let go: b and a still read it
    c = KeptText();
    QVERIFY(a == source);
    QVERIFY(b == source);
    QVERIFY(KeptText() == std::string_view());
    QVERIFY(a != std::string_view("other"));
}

void TestKeptText::blocksGoWithTheirLastText()
{
    const KeptText::Stats before = KeptText::stats();
    {
        std::vector<KeptText> kept;
        for (int i = 0; i < 20'000; ++i) // about 30 MB: 15 blocks
            kept.emplace_back(textOf(1500, static_cast<std::uint64_t>(i)));
        const KeptText::Stats full = KeptText::stats();
        QVERIFY2(full.blocks >= before.blocks + 14, qPrintable(QString::number(full.blocks)));
        // Packed end to end: 30 MB of text in not much more than 30 MB of blocks.
        QVERIFY2(full.bytes - before.bytes <= 20'000u * 1500 + 2 * KeptText::kBlockSize,
            qPrintable(QString::number(full.bytes - before.bytes)));
        // Every other text let go: no block is empty, so none goes.
        std::vector<KeptText> half;
        for (std::size_t i = 0; i < kept.size(); i += 2)
            half.push_back(kept[i]);
        kept.clear();
        QCOMPARE(KeptText::stats().blocks, full.blocks);
        for (std::size_t i = 0; i < half.size(); ++i)
            QVERIFY(half[i] == textOf(1500, 2 * i));
    }
    // All gone: what is left is this thread's current block, and at most 8 empty blocks kept for reuse.
    const KeptText::Stats after = KeptText::stats();
    QVERIFY2(after.blocks <= before.blocks + 1, qPrintable(QString::number(after.blocks)));
    QVERIFY(after.cachedBlocks <= 8);
    QVERIFY(after.bytes <= before.bytes + 9 * KeptText::kBlockSize);
    // Made again: the kept blocks are reused before new ones are mapped.
    {
        std::vector<KeptText> again;
        for (int i = 0; i < 5'000; ++i) // about 4 blocks
            again.emplace_back(textOf(1500, static_cast<std::uint64_t>(i)));
        if (after.cachedBlocks >= 4)
            QCOMPARE(KeptText::stats().bytes, after.bytes);
    }
}

void TestKeptText::textsFromSeveralThreads()
{
    const KeptText::Stats before = KeptText::stats();
    constexpr int kThreads = 4;
    constexpr int kTexts = 5'000;
    std::vector<std::vector<KeptText>> made(kThreads);
    {
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([t, &made] {
                for (int i = 0; i < kTexts; ++i)
                    made[t].emplace_back(textOf(700 + i % 900, std::uint64_t(t) * 1'000'000 + i));
            });
        }
        for (std::thread& th : threads)
            th.join();
    }
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kTexts; ++i) {
            if (made[t][i] != textOf(700 + i % 900, std::uint64_t(t) * 1'000'000 + i))
                QFAIL(qPrintable(QStringLiteral("thread %1, text %2").arg(t).arg(i)));
        }
    }
    made.clear(); // let go on this thread; the threads that filled the blocks have ended
    const KeptText::Stats after = KeptText::stats();
    QVERIFY2(after.blocks <= before.blocks, qPrintable(QStringLiteral("%1 > %2").arg(after.blocks).arg(before.blocks)));
}

void TestKeptText::eventTextsAreKept()
{
    // An Event's text and fields are KeptTexts: a copy of the event shares both, and reads the same.
    el::Json doc = {{"event", "run_created"}, {"distinct_id", "u1"}, {"uuid", "0192"}, {"timestamp", "2026-12-07"},
        {"properties", {{"runtime_type", "byok"}, {"run_id", "r1"}, {"$session_id", "s1"}}}};
    const el::Event e = el::makeEvent(doc, el::EventOrigin {"/batch/", "test"}, 1, 1, 0);
    const el::Event copy = e;
    QCOMPARE(static_cast<const void*>(copy.json.data()), static_cast<const void*>(e.json.data()));
    QVERIFY(copy.doc() == doc);
    QCOMPARE(copy.name(), std::string("run_created"));
    QCOMPARE(copy.sessionId(), std::string("s1"));
    QVERIFY(copy.runId() == std::optional<el::Json>("r1"));
    el::Event changed = e;
    changed.setField(el::Event::Field::DistinctId, "u2");
    QCOMPARE(changed.distinctId(), std::string("u2"));
    QCOMPARE(e.distinctId(), std::string("u1"));
}

void TestKeptText::blocksAskForHugePages()
{
#if !defined(__linux__)
    QSKIP("madvise(MADV_HUGEPAGE) is Linux only");
#else
    if (!QFile::exists(QStringLiteral("/sys/kernel/mm/transparent_hugepage/enabled")))
        QSKIP("this kernel has no transparent huge pages");
    const KeptText text(textOf(1000, 3));
    const auto at = reinterpret_cast<std::uintptr_t>(text.data());
    QCOMPARE(at & ~(KeptText::kBlockSize - 1), (at - 1) & ~(KeptText::kBlockSize - 1)); // not a block's first byte
    // The mapping that holds the text, in /proc/self/smaps: its VmFlags say "hg" (MADV_HUGEPAGE).
    QFile smaps(QStringLiteral("/proc/self/smaps"));
    QVERIFY(smaps.open(QIODevice::ReadOnly | QIODevice::Text));
    bool inside = false;
    bool found = false;
    for (const QByteArray& raw : smaps.readAll().split('\n')) { // atEnd() is true at once for a /proc file
        const QByteArray line = raw.trimmed();
        const int dash = line.indexOf('-');
        const int space = line.indexOf(' ');
        if (dash > 0 && space > dash && line.indexOf(':') > space) { // "start-end perms ..."
            bool ok1 = false;
            bool ok2 = false;
            const qulonglong from = line.left(dash).toULongLong(&ok1, 16);
            const qulonglong to = line.mid(dash + 1, space - dash - 1).toULongLong(&ok2, 16);
            inside = ok1 && ok2 && from <= at && at < to;
            continue;
        }
        if (inside && line.startsWith("VmFlags:")) {
            found = true;
            QVERIFY2(line.split(' ').contains(QByteArray("hg")), line.constData());
            QCOMPARE((qulonglong(at) & (KeptText::kBlockSize - 1)) >= 64, true); // after the block's header
        }
    }
    QVERIFY2(found, "no mapping holds the text");
#endif
}

QTEST_GUILESS_MAIN(TestKeptText)
#include "tst_keptext.moc"
