// SPDX-License-Identifier: MIT
// el::Coverage (issue 16): present, missing, invalid, required, flagged, exact values up to a limit (an enum always
// exactly), and merge() adding up to what one count of every event gives.
#include "contract/contract.h"
#include "contract/coverage.h"
#include "pipeline/capture.h"
#include "transport/httprequest.h"

#include <QSignalSpy>
#include <QTest>

#include <limits>
#include <string>

using el::Json;

namespace {

std::shared_ptr<const el::Contract> contract()
{
    std::string error;
    // 25 enum values, so that exact counting past kMaxValues shows.
    Json levels = Json::array();
    for (int i = 0; i < 25; ++i)
        levels.push_back("l" + std::to_string(i));
    const Json doc = {{"name", "cov"}, {"super_properties", {"runtime_type"}},
        {"globals",
            {{"schema",
                 {{"type", "object"}, {"required", {"runtime_type"}},
                     {"properties", {{"runtime_type", {{"enum", {"byok", "amr_cloud"}}}}}}}},
                {"exempt", {"$*"}}}},
        {"events",
            {{"e",
                {{"schema",
                    {{"type", "object"}, {"required", {"id"}},
                        {"properties",
                            {{"id", {{"type", "string"}}}, {"n", {{"type", "integer"}}},
                                {"level", {{"enum", levels}}}}}}}}}}},
        {"unplanned_events", "allow"}};
    auto c = el::Contract::fromJson(doc, "test", error);
    if (!c)
        qFatal("%s", error.c_str());
    return c;
}

const Json& entry(const Json& coverage, const std::string& event, const std::string& name)
{
    static const Json none;
    for (const Json& e : coverage)
        if (e["event"] == event)
            for (const Json& p : e["properties"])
                if (p["name"] == name)
                    return p;
    return none;
}

} // namespace

class TestCoverage : public QObject
{
    Q_OBJECT

private slots:
    void counts();
    void mergeEqualsOneCount();
    void sessionCountsLive();
};

void TestCoverage::counts()
{
    el::Coverage c(contract());
    c.add("e", Json {{"runtime_type", "byok"}, {"id", "a"}, {"n", 1}});
    c.add("e", Json {{"runtime_type", "both"}, {"id", nullptr}, {"n", 2.5}});
    c.add("e", Json {{"id", "c"}, {"free", true}});
    for (int i = 0; i < 30; ++i)
        c.add("e",
            Json {{"runtime_type", "amr_cloud"}, {"id", "id" + std::to_string(i)},
                {"level", "l" + std::to_string(i % 25)}});
    c.add("$pageview", Json {{"x", 1}});
    c.add("e", Json("not an object"));
    const Json j = c.toJson();

    const Json& rt = entry(j, "e", "runtime_type");
    QCOMPARE(rt["present"].get<int>(), 32);
    QCOMPARE(rt["missing"].get<int>(), 2);
    QCOMPARE(rt["invalid"].get<int>(), 1); // "both"
    QVERIFY(rt["required"].get<bool>() && rt["flagged"].get<bool>() && rt["super_property"].get<bool>());
    QCOMPARE(rt["values"]["amr_cloud"].get<int>(), 30);
    QCOMPARE(rt["values"]["both"].get<int>(), 1);
    // super-properties first
    for (const Json& e : j)
        if (e["event"] == "e")
            QCOMPARE(e["properties"][0]["name"].get<std::string>(), std::string("runtime_type"));

    const Json& id = entry(j, "e", "id");
    QCOMPARE(id["invalid"].get<int>(), 1); // null is not a string
    QVERIFY(id["flagged"].get<bool>());
    QVERIFY(!id.contains("values")); // 32 distinct values: more than kMaxValues
    QCOMPARE(id["distinct_over"].get<std::size_t>(), el::Coverage::kMaxValues);
    QCOMPARE(id["types"]["string"].get<int>(), 32);
    QCOMPARE(id["types"]["null"].get<int>(), 1);

    const Json& n = entry(j, "e", "n");
    QCOMPARE(n["invalid"].get<int>(), 1); // 2.5 is not an integer
    QVERIFY(!n["required"].get<bool>() && !n["flagged"].get<bool>());
    QCOMPARE(n["values"]["1"].get<int>(), 1);

    const Json& level = entry(j, "e", "level"); // an enum of 25 values: counted exactly
    QCOMPARE(level["values"].size(), std::size_t(25));
    QCOMPARE(level["values"]["l0"].get<int>(), 2);

    const Json& free = entry(j, "e", "free");
    QVERIFY(!free["planned"].get<bool>() && level["planned"].get<bool>());
    QCOMPARE(free["values"]["true"].get<int>(), 1);

    // $pageview is exempt from the globals: runtime_type is neither listed nor required there.
    QVERIFY(entry(j, "$pageview", "runtime_type").is_null());
    QCOMPARE(entry(j, "$pageview", "x")["present"].get<int>(), 1);
}

void TestCoverage::mergeEqualsOneCount()
{
    const auto c = contract();
    el::Coverage whole(c), a(c), b(c);
    for (int i = 0; i < 60; ++i) {
        const Json props = {{"runtime_type", i % 3 ? "byok" : "x"}, {"id", "v" + std::to_string(i % 15)},
            {"level", "l" + std::to_string(i % 25)}};
        whole.add(i % 7 ? "e" : "f", props);
        (i < 23 ? a : b).add(i % 7 ? "e" : "f", props);
    }
    a.merge(b);
    QCOMPARE(a.toJson().dump(), whole.toJson().dump());

    // A pool's counts (two tasks at a time, each count reused by later tasks) add up to the same.
    el::CoveragePool pool(whole);
    el::Coverage pooled(c);
    for (int task = 0; task < 6; ++task) {
        el::Coverage* first = pool.borrow();
        el::Coverage* second = pool.borrow();
        QVERIFY(first != second);
        for (int i = task * 10; i < task * 10 + 10; ++i) {
            const Json props = {{"runtime_type", i % 3 ? "byok" : "x"}, {"id", "v" + std::to_string(i % 15)},
                {"level", "l" + std::to_string(i % 25)}};
            (i % 2 ? first : second)->add(i % 7 ? "e" : "f", props);
        }
        pool.giveBack(second);
        pool.giveBack(first);
    }
    pool.mergeInto(pooled);
    QCOMPARE(pooled.toJson().dump(), whole.toJson().dump());
}

namespace {

el::HttpRequest batch(int first, int n)
{
    Json events = Json::array();
    for (int i = first; i < first + n; ++i) {
        Json props = {{"id", "id" + std::to_string(i % 40)}, {"level", "l" + std::to_string(i % 25)}};
        if (i % 5)
            props["runtime_type"] = i % 3 ? "byok" : (i % 7 ? "amr_cloud" : "both");
        if (i % 11 == 0)
            props["n"] = i % 2 ? Json(i) : Json(0.5);
        events.push_back({{"event", i % 4 ? "e" : "f"}, {"distinct_id", "d"}, {"properties", props}});
    }
    el::HttpRequest r;
    r.method = "POST";
    r.path = "/batch/";
    r.headers = {{"Content-Type", "application/json"}};
    r.body = Json {{"api_key", "k"}, {"batch", events}}.dump();
    return r;
}

/** What counting every event in memory once gives (GET /eventlens/v1/coverage?since=0 counts it this way). */
std::string recounted(const el::Capture& s)
{
    return s.coverage(0, std::numeric_limits<qint64>::max())["coverage"].dump();
}

} // namespace

void TestCoverage::sessionCountsLive()
{
    // The session's live count (a share per request, counted on the worker, added up at commit) equals one count of
    // every event, through ingest, a contract reload in the background with traffic going on, and a reset.
    el::Capture s;
    s.setContractNow(contract(), "test");
    QCOMPARE(s.liveCoverage().events(), std::uint64_t(0));
    for (int r = 0; r < 40; ++r)
        s.ingestAsync(batch(r * 25, 25), el::Endpoint::Batch, {});
    s.drainIngests();
    QCOMPARE(s.liveCoverage().events(), std::uint64_t(1000));
    QCOMPARE(s.liveCoverage().toJson().dump(), recounted(s));
    const Json live = s.liveCoverage().toJson();
    QCOMPARE(entry(live, "e", "runtime_type")["invalid"].get<int>() > 0, true); // "both"

    // A contract without the enum: runtime_type is no longer invalid anywhere once the reload is applied.
    std::string error;
    auto loose = el::Contract::fromJson(
        Json {{"name", "loose"}, {"events", Json::object()}, {"unplanned_events", "allow"}}, "loose", error);
    QVERIFY2(loose, error.c_str());
    const auto revision = s.coverageRevision();
    QSignalSpy finished(&s, &el::Capture::judgingFinished);
    s.setContract(loose, "loose");
    for (int r = 40; r < 60; ++r) // traffic while the reload catches up
        s.ingestAsync(batch(r * 25, 25), el::Endpoint::Batch, {});
    QVERIFY(finished.wait(20000) || finished.count() == 1);
    s.drainIngests();
    QVERIFY(s.coverageRevision() != revision);
    QCOMPARE(s.liveCoverage().events(), std::uint64_t(1500));
    QCOMPARE(s.liveCoverage().toJson().dump(), recounted(s));
    QCOMPARE(entry(s.liveCoverage().toJson(), "e", "runtime_type")["invalid"].get<int>(), 0);

    s.reset();
    QCOMPARE(s.liveCoverage().events(), std::uint64_t(0));
    QVERIFY(s.liveCoverage().toJson().empty());
}

QTEST_GUILESS_MAIN(TestCoverage)
#include "tst_coverage.moc"
