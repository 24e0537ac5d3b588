// SPDX-License-Identifier: MIT
// Issue 17 §1: `eventlens diff BASELINE CURRENT`. The comparison (el::diffReports) on hand-made verdicts, one kind at
// a time, then the built executable on the committed recordings of the built-in BYOK scenarios (tests/data/diff/):
// exit codes, the JSON shape, and the text, Markdown and HTML renderings.
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "contract/contractengine.h"
#include "eventlensrun.h"
#include "jsoncompare.h"
#include "report/diff.h"
#include "report/reportparts.h"
#include "testfiles.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <set>

using Json = nlohmann::json;

namespace {

const QString kData = QStringLiteral(EVENTLENS_TEST_DATA "/diff/");

// --- hand-made verdicts, in the shape judgeInputs() gives ------------------------------------------------------

Json prop(const std::string& name, std::uint64_t present, Json values = nullptr, Json types = nullptr,
    bool planned = true, bool super = false)
{
    Json p = {{"name", name}, {"present", present}, {"planned", planned}, {"super_property", super},
        {"required", false}, {"invalid", 0}};
    p["types"] = types.is_null() ? Json {{"string", present}} : types;
    if (!values.is_null())
        p["values"] = values;
    return p;
}

Json ev(const std::string& name, std::uint64_t count, Json props = Json::array())
{
    for (Json& p : props)
        p["missing"] = count - p["present"].get<std::uint64_t>();
    return {{"event", name}, {"count", count}, {"properties", props}};
}

Json funnelRow(const std::string& type, std::uint64_t created, std::uint64_t finished, std::uint64_t unfinished)
{
    return {{"runtime_type", type}, {"created", created}, {"finished", finished}, {"success", finished}, {"failed", 0},
        {"cancelled", 0}, {"other", 0}, {"open", 0}, {"unfinished", unfinished}};
}

Json rule(std::uint64_t count, const std::string& event, const std::string& path)
{
    return {{"count", count}, {"errors", count}, {"warnings", 0}, {"kind", "schema"}, {"events", {{event, count}}},
        {"paths", {{path, count}}}};
}

Json side(Json coverage, Json funnel = Json::array(), Json rules = Json::object())
{
    std::uint64_t n = 0;
    for (const Json& e : coverage)
        n += e["count"].get<std::uint64_t>();
    std::uint64_t violations = 0;
    for (auto it = rules.begin(); it != rules.end(); ++it)
        violations += (*it)["count"].get<std::uint64_t>();
    return {{"contract", {{"name", "t"}, {"version", "1"}, {"origin", "test"}}}, {"inputs", {"x.ndjson"}},
        {"events", n}, {"coverage", coverage}, {"funnel", funnel}, {"rules", rules},
        {"summary", {{"events", n}, {"errors", violations}, {"warnings", 0}, {"violations", violations}}}};
}

const Json* findEntry(const Json& list, const std::string& kind, const std::string& event, const std::string& property)
{
    for (const Json& e : list) {
        if (e["kind"] == kind && (event.empty() ? e["event"].is_null() : e["event"] == event)
            && (property.empty() ? e["property"].is_null() : e["property"] == property))
            return &e;
    }
    return nullptr;
}

std::size_t entries(const Json& diff)
{
    return diff["regressions"].size() + diff["improvements"].size() + diff["changes"].size();
}

std::string dump(const Json& j)
{
    return j.dump(2);
}

const char* const kContract = R"({
  "name": "diff-demo", "version": "1",
  "globals": {"schema": {"type": "object", "properties": {"runtime_type": {"enum": ["byok", "local_cli", "none"]}}},
              "exempt": ["$*"]},
  "super_properties": ["runtime_type", "session_id"],
  "events": {
    "run_created": {"schema": {"type": "object", "required": ["run_id"], "properties": {"run_id": {"type": "string"}}}},
    "run_finished": {"schema": {"type": "object", "properties": {"result": {"enum": ["success", "failed"]},
                                                                  "note": {"type": "string"}}}},
    "page_view": {"schema": {"type": "object"}}
  },
  "sequences": [{"id": "run-lifecycle", "type": "pair", "start": "run_created", "end": "run_finished",
                 "key": "/properties/run_id", "pinned": ["runtime_type"], "result": "/properties/result"}]
})";

// --- the built executable ----------------------------------------------------------------------------------------

using eltest::Run;

/** `eventlens diff ARGS`. */
Run diffBinary(const QStringList& args, const QByteArray& stdinData = {})
{
    return eltest::runEventlens(QStringList {QStringLiteral("diff")} + args, stdinData);
}

QString before()
{
    return kData + QStringLiteral("before.ndjson");
}

QString after()
{
    return kData + QStringLiteral("after.ndjson");
}

/** The world before the change, from a recording after it: `runtime_type` taken out of the run events. */
Json stripRunEvent(Json event)
{
    const std::string name = event.value("event", std::string());
    if ((name == "run_created" || name == "run_finished") && event.contains("properties")
        && event["properties"].is_object())
        event["properties"].erase("runtime_type");
    return event;
}

} // namespace

class TestDiff : public QObject
{
    Q_OBJECT

private slots:
    // el::diffReports on hand-made verdicts
    void identicalHasNoEntries();
    void coverageDropAndGain();
    void coverageThreshold();
    void propertyAddedAndRemoved();
    void plannedPropertyVanishedIsCoverageDrop();
    void typeChange();
    void valueDriftOnRuntimeTypeSplit();
    void valueDriftOnEnumOnly();
    void eventMissingAndNew();
    void violationNewAndFixed();
    void violationRateScaledToLength();
    void runsUnfinished();
    void runsRelabelledAreNotARegression();
    void entriesSortedDeterministically();
    void readsCheckJsonReports();
    void sharesReadTheSameInEveryReport();

    // the executable on tests/data/diff
    void recordingsAreDerived();
    void beforeToAfterListsGains();
    void afterToBeforeRegresses();
    void identicalInputs();
    void unreadableInput();
    void usageErrors_data();
    void usageErrors();
    void help();
    void jsonShape();
    void textReadsWell();
    void markdownIsShort();
    void htmlIsSelfContainedAndAgreesWithJson();
    void outputFileAndStdin();
};

void TestDiff::identicalHasNoEntries()
{
    const Json s = side({ev("run_created", 4, {prop("runtime_type", 4, {{"byok", 4}}, nullptr, true, true)})},
        {funnelRow("byok", 4, 3, 1)}, {{"globals", rule(2, "page_view", "/properties/runtime_type")}});
    const Json d = el::diffReports(s, s, nullptr);
    QCOMPARE(entries(d), std::size_t(0));
    QVERIFY(!el::diffRegressed(d));
    QCOMPARE(d["summary"]["before"]["events"].get<int>(), 4);
    QCOMPARE(d["events"].size(), std::size_t(1));
    QCOMPARE(d["events"][0]["ratio"].get<double>(), 1.0);
}

void TestDiff::coverageDropAndGain()
{
    const Json full = side({ev("run_created", 10, {prop("runtime_type", 10, nullptr, nullptr, true, true)})});
    const Json half = side({ev("run_created", 8, {prop("runtime_type", 4, nullptr, nullptr, true, true)})});
    const Json down = el::diffReports(full, half, nullptr);
    const Json* drop = findEntry(down["regressions"], "coverage_drop", "run_created", "runtime_type");
    QVERIFY2(drop, dump(down).c_str());
    QCOMPARE((*drop)["before"]["share"].get<double>(), 1.0);
    QCOMPARE((*drop)["after"]["share"].get<double>(), 0.5);
    QCOMPARE((*drop)["after"]["present"].get<int>(), 4);
    QCOMPARE((*drop)["after"]["count"].get<int>(), 8);
    QVERIFY(el::diffRegressed(down));

    const Json up = el::diffReports(half, full, nullptr);
    QVERIFY(findEntry(up["improvements"], "coverage_gain", "run_created", "runtime_type"));
    QVERIFY(up["regressions"].empty());
}

void TestDiff::coverageThreshold()
{
    const Json all = side({ev("e", 1000, {prop("p", 1000)})});
    const Json almost = side({ev("e", 1000, {prop("p", 995)})}); // 0.5 points: below the threshold
    const Json onePoint = side({ev("e", 1000, {prop("p", 990)})}); // exactly 1 point
    QCOMPARE(entries(el::diffReports(all, almost, nullptr)), std::size_t(0));
    const Json d = el::diffReports(all, onePoint, nullptr);
    QVERIFY2(findEntry(d["regressions"], "coverage_drop", "e", "p"), dump(d).c_str());
}

void TestDiff::propertyAddedAndRemoved()
{
    // A property the contract does not name: its appearing or vanishing is a change, not a regression.
    const Json with = side({ev("page_view", 5, {prop("$referrer", 5, nullptr, nullptr, false)})});
    const Json without = side({ev("page_view", 5)});
    const Json removed = el::diffReports(with, without, nullptr);
    QVERIFY2(findEntry(removed["changes"], "property_removed", "page_view", "$referrer"), dump(removed).c_str());
    QVERIFY(!el::diffRegressed(removed));
    const Json added = el::diffReports(without, with, nullptr);
    const Json* e = findEntry(added["changes"], "property_added", "page_view", "$referrer");
    QVERIFY2(e, dump(added).c_str());
    QCOMPARE((*e)["before"]["share"].get<double>(), 0.0);
    QCOMPARE((*e)["after"]["share"].get<double>(), 1.0);
    QCOMPARE(entries(added), std::size_t(1));
}

void TestDiff::plannedPropertyVanishedIsCoverageDrop()
{
    // A property the contract names (required, listed with present 0 on the other side): coverage_drop to 0 %.
    Json none = prop("runtime_type", 0, nullptr, Json::object(), true, true);
    none["required"] = true;
    const Json with = side({ev("run_finished", 3, {prop("runtime_type", 3, nullptr, nullptr, true, true)})});
    const Json without = side({ev("run_finished", 3, {none})});
    const Json d = el::diffReports(with, without, nullptr);
    const Json* drop = findEntry(d["regressions"], "coverage_drop", "run_finished", "runtime_type");
    QVERIFY2(drop, dump(d).c_str());
    QCOMPARE((*drop)["after"]["share"].get<double>(), 0.0);
    QVERIFY(!findEntry(d["changes"], "property_removed", "run_finished", "runtime_type"));
}

void TestDiff::typeChange()
{
    const Json strings = side({ev("run_finished", 5, {prop("total_duration_ms", 5, nullptr, {{"string", 5}})})});
    const Json ints = side({ev("run_finished", 5, {prop("total_duration_ms", 5, nullptr, {{"integer", 5}})})});
    const Json d = el::diffReports(strings, ints, nullptr);
    const Json* e = findEntry(d["changes"], "type_change", "run_finished", "total_duration_ms");
    QVERIFY2(e, dump(d).c_str());
    JSON_COMPARE((*e)["before"]["types"], (Json {{"string", 5}}));
    JSON_COMPARE((*e)["after"]["types"], (Json {{"integer", 5}}));
    QVERIFY(!el::diffRegressed(d));
    // integer and number are one type (JavaScript writes 2.0 as 2)
    const Json mixed
        = side({ev("run_finished", 5, {prop("total_duration_ms", 5, nullptr, {{"integer", 3}, {"number", 2}})})});
    QCOMPARE(entries(el::diffReports(ints, mixed, nullptr)), std::size_t(0));
}

void TestDiff::valueDriftOnRuntimeTypeSplit()
{
    // The super-property runtime_type: all byok before, half local_cli after (distance 0.5).
    const Json b = side({ev("page_view", 10, {prop("runtime_type", 10, {{"byok", 10}}, nullptr, true, true)})});
    const Json a
        = side({ev("page_view", 8, {prop("runtime_type", 8, {{"byok", 4}, {"local_cli", 4}}, nullptr, true, true)})});
    const Json d = el::diffReports(b, a, nullptr);
    const Json* e = findEntry(d["changes"], "value_drift", "page_view", "runtime_type");
    QVERIFY2(e, dump(d).c_str());
    QCOMPARE((*e)["distance"].get<double>(), 0.5);
    JSON_COMPARE((*e)["before"]["values"], (Json {{"byok", 1.0}}));
    JSON_COMPARE((*e)["after"]["values"], (Json {{"byok", 0.5}, {"local_cli", 0.5}}));
    QVERIFY(!el::diffRegressed(d));

    // Below 0.1: no drift (9 of 10 byok -> 10 of 10: distance 0.1 is the threshold, 0.05 is not)
    const Json near = side(
        {ev("page_view", 20, {prop("runtime_type", 20, {{"byok", 19}, {"local_cli", 1}}, nullptr, true, true)})});
    QVERIFY(!findEntry(el::diffReports(b, near, nullptr)["changes"], "value_drift", "page_view", "runtime_type"));

    // An identifier super-property (session_id) differs between any two recordings: never a drift.
    const Json s1 = side({ev("page_view", 3, {prop("session_id", 3, {{"s1", 3}}, nullptr, true, true)})});
    const Json s2 = side({ev("page_view", 3, {prop("session_id", 3, {{"s2", 3}}, nullptr, true, true)})});
    QCOMPARE(entries(el::diffReports(s1, s2, nullptr)), std::size_t(0));
}

void TestDiff::valueDriftOnEnumOnly()
{
    std::string error;
    const auto contract = el::parseContract(kContract, "test", error);
    QVERIFY2(contract, error.c_str());
    const Json b = side(
        {ev("run_finished", 10, {prop("result", 10, {{"success", 9}, {"failed", 1}}), prop("note", 10, {{"a", 10}})})});
    const Json a = side(
        {ev("run_finished", 10, {prop("result", 10, {{"success", 5}, {"failed", 5}}), prop("note", 10, {{"b", 10}})})});
    const Json d = el::diffReports(b, a, contract.get());
    const Json* e = findEntry(d["changes"], "value_drift", "run_finished", "result");
    QVERIFY2(e, dump(d).c_str());
    QCOMPARE((*e)["distance"].get<double>(), 0.4);
    // `note` is a planned string, neither an enum nor a super-property: its values are not compared
    QVERIFY(!findEntry(d["changes"], "value_drift", "run_finished", "note"));
    QCOMPARE(entries(d), std::size_t(1));
}

void TestDiff::eventMissingAndNew()
{
    std::string error;
    const auto contract = el::parseContract(kContract, "test", error);
    QVERIFY2(contract, error.c_str());
    const Json b = side({ev("run_created", 4), ev("page_view", 4), ev("legacy_click", 2)});
    const Json a = side({ev("page_view", 4), ev("$pageview", 3)});
    const Json d = el::diffReports(b, a, contract.get());
    // a planned event missing: a regression; an unplanned one: a change
    const Json* missing = findEntry(d["regressions"], "event_missing", "run_created", "");
    QVERIFY2(missing, dump(d).c_str());
    QCOMPARE((*missing)["before"]["count"].get<int>(), 4);
    QCOMPARE((*missing)["before"]["share"].get<double>(), 0.4);
    QCOMPARE((*missing)["after"]["count"].get<int>(), 0);
    QVERIFY((*missing)["planned"].get<bool>());
    QVERIFY(findEntry(d["changes"], "event_missing", "legacy_click", ""));
    QVERIFY(findEntry(d["changes"], "event_new", "$pageview", ""));
    QCOMPARE(d["regressions"].size(), std::size_t(1));

    // the reverse: a planned event appearing is an improvement
    const Json r = el::diffReports(a, b, contract.get());
    QVERIFY(findEntry(r["improvements"], "event_new", "run_created", ""));
    QVERIFY(findEntry(r["changes"], "event_new", "legacy_click", ""));
    QVERIFY(findEntry(r["changes"], "event_missing", "$pageview", ""));
    QVERIFY(!el::diffRegressed(r));

    // count changes are ratios of shares, not of counts
    for (const Json& c : d["events"]) {
        if (c["event"] == "page_view") {
            QCOMPARE(c["before"]["share"].get<double>(), 0.4);
            QCOMPARE(c["after"]["share"].get<double>(), std::round(4.0 / 7 * 1e6) / 1e6);
            QVERIFY(c["ratio"].get<double>() > 1.4 && c["ratio"].get<double>() < 1.45);
            QVERIFY(!c["notable"].get<bool>());
        }
    }
}

void TestDiff::violationNewAndFixed()
{
    const Json clean = side({ev("run_created", 10)});
    const Json broken = side(
        {ev("run_created", 10)}, Json::array(), {{"globals", rule(10, "run_created", "/properties/runtime_type")}});
    const Json d = el::diffReports(clean, broken, nullptr);
    const Json* e = findEntry(d["regressions"], "violation_new", "run_created", "runtime_type");
    QVERIFY2(e, dump(d).c_str());
    JSON_COMPARE((*e)["rule"], Json("globals"));
    JSON_COMPARE((*e)["path"], Json("/properties/runtime_type"));
    QCOMPARE((*e)["before"]["count"].get<int>(), 0);
    QCOMPARE((*e)["after"]["count"].get<int>(), 10);
    QCOMPARE((*e)["after"]["per_1000"].get<double>(), 1000.0);

    const Json r = el::diffReports(broken, clean, nullptr);
    QVERIFY(findEntry(r["improvements"], "violation_fixed", "run_created", "runtime_type"));
    QVERIFY(!el::diffRegressed(r));
}

void TestDiff::violationRateScaledToLength()
{
    // 1 violation in 10 events, then 10 in 100: the same rate, nothing to report.
    const Json shortRun = side({ev("e", 10)}, Json::array(), {{"r", rule(1, "e", "/properties/p")}});
    const Json longRun = side({ev("e", 100)}, Json::array(), {{"r", rule(10, "e", "/properties/p")}});
    QCOMPARE(entries(el::diffReports(shortRun, longRun, nullptr)), std::size_t(0));
    // 20 in 100: twice the rate, 10 more than expected
    const Json worse = side({ev("e", 100)}, Json::array(), {{"r", rule(20, "e", "/properties/p")}});
    QVERIFY(findEntry(el::diffReports(shortRun, worse, nullptr)["regressions"], "violation_new", "e", "p"));
    // 1 in 10, then 1 in 5: twice the rate, but only 0.5 more than expected: noise, not reported
    const Json shorter = side({ev("e", 5)}, Json::array(), {{"r", rule(1, "e", "/properties/p")}});
    QCOMPARE(entries(el::diffReports(shortRun, shorter, nullptr)), std::size_t(0));
}

void TestDiff::runsUnfinished()
{
    std::string error;
    const auto contract = el::parseContract(kContract, "test", error);
    QVERIFY2(contract, error.c_str());
    const Json fine = side({ev("run_created", 4)}, {funnelRow("byok", 4, 4, 0)});
    const Json stuck = side({ev("run_created", 4)}, {funnelRow("byok", 4, 3, 1)});
    const Json d = el::diffReports(fine, stuck, contract.get());
    const Json* e = findEntry(d["regressions"], "runs_unfinished", "run_created", "runtime_type");
    QVERIFY2(e, dump(d).c_str());
    JSON_COMPARE((*e)["runtime_type"], Json("byok"));
    JSON_COMPARE((*e)["before"], (Json {{"created", 4}, {"finished", 4}, {"stuck", 0}, {"share", 0.0}}));
    JSON_COMPARE((*e)["after"], (Json {{"created", 4}, {"finished", 3}, {"stuck", 1}, {"share", 0.25}}));
    const Json r = el::diffReports(stuck, fine, contract.get());
    QVERIFY(findEntry(r["improvements"], "runs_unfinished", "run_created", "runtime_type"));
    // the runs table lists both sides
    JSON_COMPARE(d["runs"][0]["runtime_type"], Json("byok"));
    QCOMPARE(d["runs"][0]["after"]["stuck"].get<int>(), 1);
}

void TestDiff::runsRelabelledAreNotARegression()
{
    // The same runs, 1 of 8 stuck, with runtime_type missing before and byok after: no type is on both sides, and
    // over all runs nothing changed.
    const Json b = side({ev("run_created", 8)}, {funnelRow("byok", 0, 0, 0), funnelRow("missing", 8, 7, 1)});
    const Json a = side({ev("run_created", 8)}, {funnelRow("byok", 8, 7, 1)});
    const Json d = el::diffReports(b, a, nullptr);
    QCOMPARE(entries(d), std::size_t(0));
    // but 3 of 8 stuck after is more runs unfinished over all runs
    const Json worse = side({ev("run_created", 8)}, {funnelRow("byok", 8, 5, 3)});
    const Json w = el::diffReports(b, worse, nullptr);
    const Json* e = findEntry(w["regressions"], "runs_unfinished", "", "runtime_type");
    QVERIFY2(e, dump(w).c_str());
    JSON_COMPARE((*e)["runtime_type"], Json("(all)"));
}

void TestDiff::entriesSortedDeterministically()
{
    const Json b = side({ev("b_event", 5, {prop("z", 5), prop("a", 5)}), ev("a_event", 5, {prop("m", 5)})},
        Json::array(), {{"r2", rule(1, "a_event", "")}, {"r1", rule(1, "b_event", "")}});
    const Json a = side({ev("b_event", 5), ev("a_event", 5)});
    const Json d = el::diffReports(b, a, nullptr);
    std::vector<std::string> order;
    for (const Json& e : d["regressions"])
        order.push_back(e["kind"].get<std::string>() + ":" + e["event"].get<std::string>() + ":"
            + (e["property"].is_null() ? std::string() : e["property"].get<std::string>()));
    for (const Json& e : d["improvements"])
        order.push_back(e["kind"].get<std::string>() + ":" + e["rule"].get<std::string>());
    const std::vector<std::string> want = {"coverage_drop:a_event:m", "coverage_drop:b_event:a",
        "coverage_drop:b_event:z", "violation_fixed:r2", "violation_fixed:r1"};
    QCOMPARE(order, want);
    JSON_COMPARE(el::diffReports(b, a, nullptr), d); // same input, same bytes
}

void TestDiff::readsCheckJsonReports()
{
    // `check -f json` has `runs` and summary.by_rule instead of funnel and rules.
    auto report = [](int stuck, int violations) {
        Json runs = Json::array();
        for (int i = 0; i < 4; ++i)
            runs.push_back({{"rule", "run-lifecycle"}, {"state", i < stuck ? "unfinished" : "finished"},
                {"pinned", {{"runtime_type", "byok"}}}, {"result", "success"}});
        Json byRule = Json::object();
        if (violations)
            byRule["run-lifecycle"] = violations;
        return Json {{"events", 8}, {"coverage", {ev("run_created", 4), ev("run_finished", 4)}}, {"runs", runs},
            {"summary", {{"events", 8}, {"by_rule", byRule}}}};
    };
    const Json d = el::diffReports(report(0, 0), report(2, 2), nullptr);
    QVERIFY2(findEntry(d["regressions"], "runs_unfinished", "", "runtime_type"), dump(d).c_str());
    const Json* v = nullptr;
    for (const Json& e : d["regressions"])
        if (e["kind"] == "violation_new")
            v = &e;
    QVERIFY(v);
    JSON_COMPARE((*v)["rule"], Json("run-lifecycle"));
    QCOMPARE((*v)["after"]["count"].get<int>(), 2);
}

// --- the executable -----------------------------------------------------------------------------------------------

void TestDiff::sharesReadTheSameInEveryReport()
{
    // The check report (coverage) and the diff report write a share with one function: one decimal, two near 0 and
    // 100 % so that a share is never rounded to a figure it is not. The check report said "0.0 %" for 1 of 3,000.
    using el::reportdetail::pct;
    using el::reportdetail::percent;
    QCOMPARE(pct(0.125), std::string("12.5 %"));
    QCOMPARE(pct(0.0), std::string("0.0 %"));
    QCOMPARE(pct(1.0), std::string("100.0 %"));
    QCOMPARE(pct(0.0004), std::string("0.04 %"));
    QCOMPARE(pct(0.9996), std::string("99.96 %"));
    QCOMPARE(percent(1, 3000), std::string("0.03 %"));
    QCOMPARE(percent(2999, 3000), std::string("99.97 %"));
    QCOMPARE(percent(1999, 2000), std::string("99.95 %")); // not "100.0 %"
    QCOMPARE(percent(7, 7), std::string("100.0 %"));
    QCOMPARE(percent(0, 7), std::string("0.0 %"));
    QCOMPARE(percent(3, 0), std::string("–"));
}

void TestDiff::recordingsAreDerived()
{
    // before.ndjson is after.ndjson with runtime_type taken out of run_created and run_finished (make-recordings.sh
    // writes both; this is the same derivation, so the committed files cannot drift apart).
    const QList<QByteArray> a = eltest::readFile(after()).split('\n');
    const QList<QByteArray> b = eltest::readFile(before()).split('\n');
    QVERIFY(a.size() > 10);
    QCOMPARE(b.size(), a.size());
    int stripped = 0;
    for (int i = 0; i < a.size(); ++i) {
        if (a[i].trimmed().isEmpty()) {
            QVERIFY(b[i].trimmed().isEmpty());
            continue;
        }
        const Json ea = Json::parse(a[i].toStdString());
        const Json eb = Json::parse(b[i].toStdString());
        JSON_COMPARE(eb, stripRunEvent(ea));
        stripped += ea != eb ? 1 : 0;
    }
    QVERIFY(stripped >= 10); // run_created and run_finished of every BYOK run
}

void TestDiff::beforeToAfterListsGains()
{
    const Run r = diffBinary({QStringLiteral("-f"), QStringLiteral("json"), before(), after()});
    RUN_OK(r);
    QVERIFY2(r.code == 0, r.err.constData());
    const Json d = Json::parse(r.out.toStdString());
    QVERIFY2(d["regressions"].empty(), r.out.constData());
    for (const char* event : {"run_created", "run_finished"}) {
        const Json* gain = findEntry(d["improvements"], "coverage_gain", event, "runtime_type");
        QVERIFY2(gain, (std::string(event) + ": " + dump(d)).c_str());
        QCOMPARE((*gain)["before"]["share"].get<double>(), 0.0);
        QCOMPARE((*gain)["after"]["share"].get<double>(), 1.0);
        QVERIFY((*gain)["after"]["present"].get<int>() >= 6);
    }
    // the globals' required runtime_type is no longer missing on the run events
    bool fixed = false;
    for (const Json& e : d["improvements"])
        fixed = fixed || (e["kind"] == "violation_fixed" && e["property"] == "runtime_type");
    QVERIFY2(fixed, r.out.constData());
}

void TestDiff::afterToBeforeRegresses()
{
    const Run r = diffBinary({QStringLiteral("--format"), QStringLiteral("json"), after(), before()});
    RUN_OK(r);
    QCOMPARE(r.code, 1);
    const Json d = Json::parse(r.out.toStdString());
    for (const char* event : {"run_created", "run_finished"}) {
        const Json* drop = findEntry(d["regressions"], "coverage_drop", event, "runtime_type");
        QVERIFY2(drop, (std::string(event) + ": " + dump(d)).c_str());
        QCOMPARE((*drop)["before"]["share"].get<double>(), 1.0);
        QCOMPARE((*drop)["after"]["share"].get<double>(), 0.0);
        QVERIFY((*drop)["required"].get<bool>());
    }
    QVERIFY(d["summary"]["regressed"].get<bool>());
    // the runs moved from byok to missing, with the same one stuck: not more runs unfinished
    for (const char* list : {"regressions", "improvements", "changes"})
        for (const Json& e : d[list])
            QVERIFY2(e["kind"] != "runs_unfinished", r.out.constData());
    // the text format says the same, with the same exit code
    const Run t = diffBinary({after(), before()});
    RUN_OK(t);
    QCOMPARE(t.code, 1);
    QVERIFY2(t.out.contains("coverage_drop    run_created.runtime_type"), t.out.constData());
}

void TestDiff::identicalInputs()
{
    const Run r = diffBinary({QStringLiteral("-f"), QStringLiteral("json"), after(), after()});
    RUN_OK(r);
    QCOMPARE(r.code, 0);
    const Json d = Json::parse(r.out.toStdString());
    QCOMPARE(entries(d), std::size_t(0));
    const Run t = diffBinary({after(), after()});
    RUN_OK(t);
    QCOMPARE(t.code, 0);
    QVERIFY2(t.out.contains("Regressions (0): none"), t.out.constData());
    QVERIFY(t.out.contains("diff: no regression: 0 regressions, 0 improvements, 0 other changes"));
}

void TestDiff::unreadableInput()
{
    const QString missing = kData + QStringLiteral("no-such-file.ndjson");
    Run r = diffBinary({after(), missing});
    RUN_OK(r);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no-such-file.ndjson"), r.err.constData());
    QVERIFY(r.out.isEmpty());

    const QString broken = QStringLiteral(EVENTLENS_TEST_DATA "/check/broken.ndjson");
    r = diffBinary({broken, after()});
    RUN_OK(r);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("broken.ndjson:"), r.err.constData()); // names the line, as check does
}

void TestDiff::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("says");
    QTest::newRow("nothing") << QStringList {} << QStringLiteral("expected two recordings");
    QTest::newRow("one side") << QStringList {after()} << QStringLiteral("expected two recordings");
    QTest::newRow("three") << QStringList {after(), after(), after()} << QStringLiteral("too many arguments");
    QTest::newRow("format") << QStringList {QStringLiteral("-f"), QStringLiteral("junit"), after(), after()}
                            << QStringLiteral("unknown format");
    QTest::newRow("option") << QStringList {QStringLiteral("--bogus"), after(), after()} << QStringLiteral("bogus");
    QTest::newRow("contract") << QStringList {QStringLiteral("-c"), QStringLiteral("builtin:nope"), after(), after()}
                              << QStringLiteral("nope");
    QTest::newRow("two stdins") << QStringList {QStringLiteral("-"), QStringLiteral("-")} << QStringLiteral("stdin");
}

void TestDiff::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, says);
    const Run r = diffBinary(args);
    RUN_OK(r);
    QCOMPARE(r.code, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(says), r.err.constData());
    QVERIFY(r.err.startsWith("eventlens diff: "));
}

void TestDiff::help()
{
    const Run r = diffBinary({QStringLiteral("--help")});
    RUN_OK(r);
    QCOMPARE(r.code, 0);
    for (const char* word : {"BASELINE", "CURRENT", "--contract", "--format", "--output", "Exit status"})
        QVERIFY2(r.out.contains(word), word);
}

void TestDiff::jsonShape()
{
    const Run r = diffBinary({QStringLiteral("-f"), QStringLiteral("json"), after(), before()});
    RUN_OK(r);
    const Json d = Json::parse(r.out.toStdString());
    const std::set<std::string> kinds
        = {"event_missing", "event_new", "coverage_drop", "coverage_gain", "property_removed", "property_added",
            "type_change", "value_drift", "violation_new", "violation_fixed", "runs_unfinished"};
    for (const char* key : {"regressions", "improvements", "changes", "events", "runs", "summary"})
        QVERIFY2(d.contains(key), key);
    std::size_t n = 0;
    for (const char* list : {"regressions", "improvements", "changes"}) {
        QVERIFY(d[list].is_array());
        for (const Json& e : d[list]) {
            ++n;
            for (const char* key : {"kind", "event", "property", "before", "after"})
                QVERIFY2(e.contains(key), (std::string(key) + " in " + e.dump()).c_str());
            QVERIFY2(kinds.count(e["kind"].get<std::string>()), e.dump().c_str());
            QVERIFY(e["event"].is_string() || e["event"].is_null());
            QVERIFY(e["property"].is_string() || e["property"].is_null());
            QVERIFY(e["before"].is_object() && e["after"].is_object());
        }
    }
    QVERIFY(n > 0);
    const Json& s = d["summary"];
    QCOMPARE(s["regressions"].get<std::size_t>(), d["regressions"].size());
    JSON_COMPARE(s["contract"]["origin"], Json("builtin:open-design"));
    JSON_COMPARE(s["before"]["inputs"][0], Json(after().toStdString()));
    JSON_COMPARE(s["before"]["events"], s["after"]["events"]);
}

void TestDiff::textReadsWell()
{
    const Run r = diffBinary({after(), before()});
    RUN_OK(r);
    const QString text = QString::fromUtf8(r.out);
    QVERIFY2(text.startsWith(QStringLiteral("eventlens diff: contract open-design")), r.out.constData());
    for (const char* section : {"\nRegressions (", "\nImprovements (", "\nOther changes (", "\nRuns by runtime_type"})
        QVERIFY2(text.contains(QLatin1String(section)), section);
    QVERIFY(text.contains(QStringLiteral("100.0 % → 0.0 % of run_finished events (6 of 6 → 0 of 6); required\n")));
    QVERIFY(text.endsWith(QLatin1Char('\n')));
    for (const QString& line : text.split(QLatin1Char('\n')))
        QVERIFY2(line.size() <= 200, qPrintable(line));
}

void TestDiff::markdownIsShort()
{
    const Run r = diffBinary({QStringLiteral("-f"), QStringLiteral("markdown"), after(), before()});
    RUN_OK(r);
    QCOMPARE(r.code, 1);
    const QString md = QString::fromUtf8(r.out);
    QVERIFY2(md.startsWith(QStringLiteral("## EventLens diff: ❌")), r.out.constData());
    QVERIFY2(md.contains(QStringLiteral(
                 "| `coverage_drop` | `run_created.runtime_type` | 100.0 % (7 of 7) | 0.0 % (0 of 7) | required |")),
        r.out.constData());
    QVERIFY2(md.count(QLatin1Char('\n')) < 80, r.out.constData());
    QVERIFY(r.out.size() < 16000);
    const Run ok = diffBinary({QStringLiteral("-f"), QStringLiteral("md"), before(), after()});
    RUN_OK(ok);
    QCOMPARE(ok.code, 0);
    QVERIFY(QString::fromUtf8(ok.out).startsWith(QStringLiteral("## EventLens diff: ✅ no regression")));
}

void TestDiff::htmlIsSelfContainedAndAgreesWithJson()
{
    QTemporaryDir dir;
    const QString html = dir.filePath(QStringLiteral("diff.html"));
    const Run r
        = diffBinary({QStringLiteral("-f"), QStringLiteral("html"), QStringLiteral("-o"), html, after(), before()});
    RUN_OK(r);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("diff: REGRESSED"), r.err.constData());
    const QString page = QString::fromUtf8(eltest::readFile(html));
    QVERIFY(page.startsWith(QStringLiteral("<!DOCTYPE html>")));
    QVERIFY(!page.contains(QStringLiteral("<script"), Qt::CaseInsensitive));
    QVERIFY(page.contains(QStringLiteral("Content-Security-Policy")));
    const QRegularExpression url(
        QStringLiteral("(src|href|url)\\s*[=(]\\s*[\"']?\\s*(https?:)?//"), QRegularExpression::CaseInsensitiveOption);
    QVERIFY2(!url.match(page).hasMatch(), qPrintable(url.match(page).captured(0)));
    QVERIFY(page.contains(QStringLiteral("data-verdict=\"regressed\"")));

    // Every number the page marks is the JSON's, recomputed here from the JSON report of the same inputs.
    const Run j = diffBinary({QStringLiteral("-f"), QStringLiteral("json"), after(), before()});
    RUN_OK(j);
    const Json d = Json::parse(j.out.toStdString());
    std::map<std::string, double> want;
    const Json& s = d["summary"];
    for (const char* k : {"regressions", "improvements", "changes"})
        want[k] = s[k].get<double>();
    for (const char* sideName : {"before", "after"})
        for (const char* k : {"events", "errors", "warnings", "violations", "runs", "stuck"})
            want[std::string(sideName) + "." + k] = s[sideName][k].get<double>();
    for (const char* list : {"regressions", "improvements", "changes"}) {
        for (const Json& e : d[list]) {
            const std::string kind = e["kind"];
            const char* field
                = kind.rfind("coverage_", 0) == 0 || kind.rfind("property_", 0) == 0 || kind == "runs_unfinished"
                ? "share"
                : kind == "type_change" || kind == "value_drift" ? "present"
                                                                 : "count";
            auto part = [&](const char* key) {
                return e.contains(key) && e[key].is_string() ? e[key].get<std::string>() : std::string();
            };
            const std::string key
                = kind + "/" + part("event") + "/" + part("property") + "/" + part("rule") + "/" + part("runtime_type");
            want[key + "/before"] = e["before"][field].get<double>();
            want[key + "/after"] = e["after"][field].get<double>();
        }
    }
    for (const Json& c : d["events"]) {
        want["events/" + c["event"].get<std::string>() + "/before"] = c["before"]["count"].get<double>();
        want["events/" + c["event"].get<std::string>() + "/after"] = c["after"]["count"].get<double>();
    }
    for (const Json& run : d["runs"])
        for (const char* sideName : {"before", "after"})
            for (const char* k : {"created", "finished", "stuck"})
                want["runs/" + run["runtime_type"].get<std::string>() + "/" + sideName + "/" + k]
                    = run[sideName][k].get<double>();

    std::map<std::string, double> got;
    const QRegularExpression span(QStringLiteral("<span data-k=\"([^\"]*)\" data-v=\"([^\"]*)\">([^<]*)</span>"));
    for (auto it = span.globalMatch(page); it.hasNext();) {
        const auto m = it.next();
        const std::string k = m.captured(1)
                                  .replace(QStringLiteral("&quot;"), QStringLiteral("\""))
                                  .replace(QStringLiteral("&amp;"), QStringLiteral("&"))
                                  .toStdString();
        QVERIFY2(!got.count(k), k.c_str());
        got[k] = m.captured(2).toDouble();
        // what it shows is that number: a percent for a share, else the count with separators
        const QString shown = m.captured(3);
        if (shown.endsWith(QStringLiteral(" %")))
            QVERIFY2(std::fabs(shown.chopped(2).toDouble() - 100 * got[k]) < 0.051, qPrintable(shown));
        else
            QCOMPARE(QString(shown).remove(QLatin1Char(',')).toDouble(), got[k]);
    }
    for (const auto& [k, v] : want) {
        QVERIFY2(got.count(k), ("not on the page: " + k).c_str());
        QVERIFY2(std::fabs(got[k] - v) < 1e-9,
            (k + ": page " + std::to_string(got[k]) + ", json " + std::to_string(v)).c_str());
    }
    QCOMPARE(got.size(), want.size());
}

void TestDiff::outputFileAndStdin()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("diff.json"));
    const Run r = diffBinary(
        {QStringLiteral("-f"), QStringLiteral("json"), QStringLiteral("-o"), out, QStringLiteral("-"), after()},
        eltest::readFile(before()));
    RUN_OK(r);
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.startsWith("diff: no regression: 0 regressions, "), r.err.constData());
    const Json d = Json::parse(eltest::readFile(out).toStdString());
    QVERIFY(findEntry(d["improvements"], "coverage_gain", "run_created", "runtime_type"));
    JSON_COMPARE(d["summary"]["before"]["inputs"][0], Json("<stdin>"));
}

QTEST_GUILESS_MAIN(TestDiff)
#include "tst_diff.moc"
