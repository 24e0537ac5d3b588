// SPDX-License-Identifier: MIT
// el::KeyTable (the sequence rules' key store) against std::map under random inserts, lookups and erases, with keys
// crowded into one shard and a few home slots so that probing, wrap-around and backward-shift erase all happen.
#include "util/keytable.h"

#include <QTest>

#include <map>
#include <random>
#include <utility>

class TestKeyTable : public QObject
{
    Q_OBJECT

private slots:
    void agreesWithMap_data();
    void agreesWithMap();
    void sweepKeepsWhatIsAccepted();
    void hashIsNeverEmpty();
};

void TestKeyTable::agreesWithMap_data()
{
    QTest::addColumn<int>("shards"); // how many shards the keys spread over
    QTest::addColumn<int>("homes"); // how many distinct low bits of b (home slots)
    QTest::addRow("one shard, crowded") << 1 << 4;
    QTest::addRow("one shard, spread") << 1 << (1 << 20);
    QTest::addRow("all shards") << 256 << (1 << 30);
}

void TestKeyTable::agreesWithMap()
{
    QFETCH(int, shards);
    QFETCH(int, homes);
    std::mt19937_64 rng(20261206);
    el::KeyTable<std::uint64_t> table;
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> reference;
    auto randomKey = [&] {
        el::Hash128 k;
        k.a = (std::uint64_t(rng() % std::uint64_t(shards)) << 56) | (rng() % 3);
        // b: a few home slots in the low bits, the rest makes keys distinct
        k.b = (rng() % std::uint64_t(homes)) | ((rng() % 500) << 20);
        if (k.empty())
            k.b = 1;
        return k;
    };
    for (int step = 0; step < 100000; ++step) {
        const el::Hash128 k = randomKey();
        const auto ref = reference.find({k.a, k.b});
        switch (rng() % 4) {
        case 0:
        case 1: {
            const std::uint64_t v = rng();
            const auto [value, inserted] = table.tryEmplace(k, v);
            QCOMPARE(inserted, ref == reference.end());
            if (inserted)
                reference[{k.a, k.b}] = v;
            const std::uint64_t expected = reference[std::make_pair(k.a, k.b)];
            QCOMPARE(*value, expected);
            break;
        }
        case 2: {
            const std::uint64_t* value = table.find(k);
            QCOMPARE(value != nullptr, ref != reference.end());
            if (value)
                QCOMPARE(*value, ref->second);
            break;
        }
        default:
            QCOMPARE(table.erase(k), ref != reference.end());
            if (ref != reference.end())
                reference.erase(ref);
        }
        QCOMPARE(table.size(), reference.size());
    }
    for (const auto& [key, value] : reference) {
        const std::uint64_t* found = table.find(el::Hash128 {key.first, key.second});
        QVERIFY(found);
        QCOMPARE(*found, value);
    }
}

void TestKeyTable::sweepKeepsWhatIsAccepted()
{
    // sweepShard() rebuilds one shard with the entries its predicate accepts; the others and every other shard
    // stay findable, the size follows, and the table takes inserts and erases as before afterwards.
    std::mt19937_64 rng(7);
    el::KeyTable<std::uint64_t> table;
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> reference;
    for (std::uint64_t i = 1; i <= 20000; ++i) {
        el::Hash128 k {rng() | 1, rng() | 1};
        if (i % 7 == 0)
            k.b = (k.b & ~std::uint64_t(0xff)) | 3; // crowded home slots: probing chains to rebuild
        table.tryEmplace(k, i);
        reference[{k.a, k.b}] = i;
    }
    QCOMPARE(table.size(), reference.size());
    for (std::size_t shard = 0; shard < el::KeyTable<std::uint64_t>::kShards; ++shard) {
        const std::uint64_t limit = 5000 + shard * 40; // a different cut per shard
        table.sweepShard(shard, [limit](std::uint64_t v) { return v >= limit; });
        for (auto it = reference.begin(); it != reference.end();) {
            if ((it->first.first >> 56) == shard && it->second < limit)
                it = reference.erase(it);
            else
                ++it;
        }
        QCOMPARE(table.size(), reference.size());
    }
    table.sweepShard(3, [](std::uint64_t) { return false; }); // a shard emptied
    table.sweepShard(4, [](std::uint64_t) { return true; }); // and one left alone
    for (auto it = reference.begin(); it != reference.end();)
        it = (it->first.first >> 56) == 3 ? reference.erase(it) : std::next(it);
    QCOMPARE(table.size(), reference.size());
    for (const auto& [key, value] : reference) {
        const std::uint64_t* found = table.find(el::Hash128 {key.first, key.second});
        QVERIFY(found);
        QCOMPARE(*found, value);
    }
    std::size_t absent = 0;
    for (std::uint64_t i = 0; i < 2000; ++i) {
        const el::Hash128 k {rng() | 1, rng() | 1};
        absent += table.find(k) == nullptr;
        QVERIFY(table.tryEmplace(k, i).second);
        QVERIFY(table.erase(k));
    }
    QCOMPARE(absent, std::size_t(2000));
    QCOMPARE(table.size(), reference.size());
}

void TestKeyTable::hashIsNeverEmpty()
{
    QVERIFY(!el::hash128("").empty());
    QVERIFY(!(el::hash128("\"run-1\"") == el::hash128("\"run-2\"")));
}

QTEST_GUILESS_MAIN(TestKeyTable)
#include "tst_keytable.moc"
