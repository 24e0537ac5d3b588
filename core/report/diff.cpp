// SPDX-License-Identifier: MIT
// Comparing two verdicts (diffReports) and reading the entries it makes; the renderings are in diffrender.cpp and
// diffhtml.cpp, the reading of each side in diffside.cpp.
#include "diff.h"

#include "contract/contract.h"
#include "diffjson.h"
#include "diffrender.h"
#include "diffside.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace el {

using namespace reportdetail;

namespace {

/// The kinds, in the order entries are sorted and documented.
constexpr std::array<const char*, 11> kKinds
    = {"event_missing", "event_new", "coverage_drop", "coverage_gain", "property_removed", "property_added",
        "type_change", "value_drift", "violation_new", "violation_fixed", "runs_unfinished"};

/// runs_unfinished over every run, when some runs are on a runtime_type only one side has.
const char* const kAllRuns = "(all)";

std::size_t kindIndex(const std::string& kind)
{
    for (std::size_t i = 0; i < kKinds.size(); ++i) {
        if (kind == kKinds[i])
            return i;
    }
    return kKinds.size();
}

/** Shares and rates are written with 6 decimals at most (the renderings show the same numbers). */
double rounded(double x)
{
    return std::round(x * 1e6) / 1e6;
}

double ratio(std::uint64_t part, std::uint64_t whole)
{
    return whole ? rounded(double(part) / double(whole)) : 0.0;
}

/** The keys of two maps together, in order: what either side has. */
template<class A, class B> std::set<std::string> keysOfBoth(const A& a, const B& b)
{
    std::set<std::string> out;
    for (const auto& kv : a)
        out.insert(kv.first);
    for (const auto& kv : b)
        out.insert(kv.first);
    return out;
}

/** The contract's reading of one property of one event: is it an enum (or a const), as Coverage reads schemas. */
bool isEnum(const Contract* contract, const std::string& event, const std::string& property)
{
    if (!contract)
        return false;
    auto has = [&](const Json& schema) {
        if (!schema.is_object() || !schema.contains("properties") || !schema["properties"].is_object())
            return false;
        const Json& props = schema["properties"];
        const auto it = props.find(property);
        return it != props.end() && it->is_object() && (it->contains("enum") || it->contains("const"));
    };
    if (const EventSpec* spec = contract->event(event);
        spec && spec->schema.schema && has(spec->schema.schema->source()))
        return true;
    const GlobalsSpec* globals = contract->globals();
    return globals && globals->rule.schema && !globMatchAny(globals->exempt, event)
        && has(globals->rule.schema->source());
}

/** An identifier (session_id, device_id, user_id, $insert_id...): its values differ from recording to recording. */
bool isIdentifier(const std::string& name)
{
    const auto ends = [&](const char* suffix) {
        const std::string s(suffix);
        return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    return ends("_id") || ends("Id") || name == "id" || name == "uuid";
}

/**
 * Whether \a after is notably above (1) or below (-1) \a before once \a before is scaled from \a nBefore to
 * \a nAfter (what the after side would have at the before side's rate), else 0.
 */
int rateChange(std::uint64_t before, std::uint64_t nBefore, std::uint64_t after, std::uint64_t nAfter)
{
    const double expected = nBefore ? double(before) * double(nAfter) / double(nBefore) : 0.0;
    const double a = double(after);
    if (a - expected >= DiffThresholds::kMinExcess && a >= expected * DiffThresholds::kRate)
        return 1;
    if (expected - a >= DiffThresholds::kMinExcess && a * DiffThresholds::kRate <= expected)
        return -1;
    return 0;
}

/** The set of JSON types a coverage entry saw, integer counted as number (JavaScript writes 2.0 as 2). */
std::set<std::string> typeSet(const Json& property)
{
    std::set<std::string> out;
    const auto types = property.find("types");
    if (types == property.end() || !types->is_object())
        return out;
    for (auto it = types->begin(); it != types->end(); ++it) {
        if (it->is_number() && it->get<std::uint64_t>() > 0)
            out.insert(it.key() == "integer" ? "number" : it.key());
    }
    return out;
}

/** value -> share of the values counted, or nothing when the values were not counted exactly. */
bool valueShares(const Json& property, std::map<std::string, double>& out, std::uint64_t& total)
{
    const auto values = property.find("values");
    if (values == property.end() || !values->is_object())
        return false;
    total = 0;
    for (auto it = values->begin(); it != values->end(); ++it)
        total += it->get<std::uint64_t>();
    for (auto it = values->begin(); it != values->end(); ++it)
        out[it.key()] = total ? double(it->get<std::uint64_t>()) / double(total) : 0.0;
    return total > 0;
}

struct Entries
{
    Json regressions = Json::array();
    Json improvements = Json::array();
    Json changes = Json::array();
};

Json entry(const char* kind, const std::string& event, const std::string& property, Json before, Json after)
{
    return Json {{"kind", kind}, {"event", event.empty() ? Json(nullptr) : Json(event)},
        {"property", property.empty() ? Json(nullptr) : Json(property)}, {"before", std::move(before)},
        {"after", std::move(after)}};
}

void sortEntries(Json& list)
{
    std::vector<Json> v(list.begin(), list.end());
    std::stable_sort(v.begin(), v.end(), [](const Json& a, const Json& b) {
        auto key = [](const Json& e) {
            return std::make_tuple(
                kindIndex(str(e, "kind")), str(e, "event"), str(e, "property"), str(e, "rule"), str(e, "runtime_type"));
        };
        return key(a) < key(b);
    });
    list = Json(v);
}

/** The most frequent key of \a m (ties: the first by name), or empty. */
std::string mostFrequent(const std::map<std::string, std::uint64_t>& m)
{
    std::string best;
    std::uint64_t n = 0;
    for (const auto& [k, c] : m) {
        if (c > n) {
            best = k;
            n = c;
        }
    }
    return best;
}

} // namespace

Json diffReports(const Json& beforeReport, const Json& afterReport, const Contract* contract)
{
    const Side b = readSide(beforeReport);
    const Side a = readSide(afterReport);
    Entries out;
    // planned: the contract decides (a regression); otherwise a change
    auto place = [&](Json e, int direction, bool counts) {
        if (counts && direction < 0)
            out.regressions.push_back(std::move(e));
        else if (counts && direction > 0)
            out.improvements.push_back(std::move(e));
        else
            out.changes.push_back(std::move(e));
    };

    // --- events: appeared, disappeared, their share of all events -------------------------------------------
    const std::set<std::string> names = keysOfBoth(b.events, a.events);
    Json counts = Json::array();
    for (const std::string& name : names) {
        const auto bi = b.events.find(name);
        const auto ai = a.events.find(name);
        const std::uint64_t nb = bi != b.events.end() ? bi->second.count : 0;
        const std::uint64_t na = ai != a.events.end() ? ai->second.count : 0;
        const double sb = ratio(nb, b.judged);
        const double sa = ratio(na, a.judged);
        Json row = {{"event", name}, {"before", {{"count", nb}, {"share", sb}}},
            {"after", {{"count", na}, {"share", sa}}}, {"ratio", nullptr}, {"notable", nb == 0 || na == 0}};
        if (nb && na && sb > 0) {
            const double r = rounded(sa / sb);
            row["ratio"] = r;
            row["notable"] = r >= DiffThresholds::kCountRatio || r * DiffThresholds::kCountRatio <= 1.0;
        }
        counts.push_back(std::move(row));
        const bool plannedEvent = contract && contract->event(name);
        if (nb && !na) {
            Json e = entry("event_missing", name, {}, {{"count", nb}, {"share", sb}}, {{"count", 0}, {"share", 0.0}});
            e["planned"] = plannedEvent;
            place(std::move(e), -1, plannedEvent);
        } else if (!nb && na) {
            Json e = entry("event_new", name, {}, {{"count", 0}, {"share", 0.0}}, {{"count", na}, {"share", sa}});
            e["planned"] = plannedEvent;
            place(std::move(e), 1, plannedEvent);
        }
        if (!nb || !na)
            continue;

        // --- properties of an event both sides have ---------------------------------------------------------
        const Side::Event& eb = bi->second;
        const Side::Event& ea = ai->second;
        for (const std::string& prop : keysOfBoth(eb.properties, ea.properties)) {
            static const Json none = Json::object();
            const auto pbi = eb.properties.find(prop);
            const auto pai = ea.properties.find(prop);
            const Json& pb = pbi != eb.properties.end() ? *pbi->second : none;
            const Json& pa = pai != ea.properties.end() ? *pai->second : none;
            const std::uint64_t presentB = u64(pb, "present");
            const std::uint64_t presentA = u64(pa, "present");
            if (!presentB && !presentA)
                continue;
            const bool super = pb.value("super_property", false) || pa.value("super_property", false);
            const bool planned = pb.value("planned", false) || pa.value("planned", false) || super;
            const bool required = pb.value("required", false) || pa.value("required", false);
            const double sb2 = ratio(presentB, eb.count);
            const double sa2 = ratio(presentA, ea.count);
            const Json before = {{"share", sb2}, {"present", presentB}, {"count", eb.count}};
            const Json after = {{"share", sa2}, {"present", presentA}, {"count", ea.count}};
            auto coverageEntry = [&](const char* kind) {
                Json e = entry(kind, name, prop, before, after);
                e["planned"] = planned;
                e["required"] = required;
                return e;
            };
            if (presentB && !presentA) {
                if (planned)
                    place(coverageEntry("coverage_drop"), -1, true);
                else
                    place(coverageEntry("property_removed"), -1, false);
                continue;
            }
            if (!presentB && presentA) {
                if (planned)
                    place(coverageEntry("coverage_gain"), 1, true);
                else
                    place(coverageEntry("property_added"), 1, false);
                continue;
            }
            if (sa2 - sb2 <= -DiffThresholds::kCoverage + 1e-9)
                place(coverageEntry("coverage_drop"), -1, planned);
            else if (sa2 - sb2 >= DiffThresholds::kCoverage - 1e-9)
                place(coverageEntry("coverage_gain"), 1, planned);

            const std::set<std::string> tb = typeSet(pb);
            const std::set<std::string> ta = typeSet(pa);
            if (tb != ta) {
                Json e = entry("type_change", name, prop,
                    {{"types", pb.value("types", Json::object())}, {"present", presentB}},
                    {{"types", pa.value("types", Json::object())}, {"present", presentA}});
                place(std::move(e), 0, false);
            }

            if ((super && !isIdentifier(prop)) || isEnum(contract, name, prop)) {
                std::map<std::string, double> vb, va;
                std::uint64_t nvb = 0, nva = 0;
                if (valueShares(pb, vb, nvb) && valueShares(pa, va, nva)) {
                    double distance = 0;
                    for (const std::string& k : keysOfBoth(vb, va))
                        distance += std::fabs((vb.count(k) ? vb[k] : 0.0) - (va.count(k) ? va[k] : 0.0));
                    distance = rounded(distance / 2);
                    if (distance >= DiffThresholds::kDrift - 1e-9) {
                        auto shares = [](const std::map<std::string, double>& m) {
                            Json j = Json::object();
                            for (const auto& [k, x] : m)
                                j[k] = rounded(x);
                            return j;
                        };
                        Json e = entry("value_drift", name, prop, {{"present", nvb}, {"values", shares(vb)}},
                            {{"present", nva}, {"values", shares(va)}});
                        e["distance"] = distance;
                        place(std::move(e), 0, false);
                    }
                }
            }
        }
    }

    // --- violations by rule ------------------------------------------------------------------------------------
    for (const std::string& rule : keysOfBoth(b.rules, a.rules)) {
        static const Side::Rule none;
        const auto rbi = b.rules.find(rule);
        const auto rai = a.rules.find(rule);
        const Side::Rule& rb = rbi != b.rules.end() ? rbi->second : none;
        const Side::Rule& ra = rai != a.rules.end() ? rai->second : none;
        const int change = rateChange(rb.count, b.judged, ra.count, a.judged);
        if (!change)
            continue;
        const Side::Rule& named = change > 0 ? ra : rb; // the side that has them (more of them)
        const std::string event = mostFrequent(named.events);
        const std::string path = mostFrequent(named.paths);
        std::string property;
        if (path.rfind("/properties/", 0) == 0 && path.find('/', 12) == std::string::npos)
            property = path.substr(12);
        auto side = [&](const Side::Rule& r, std::uint64_t judged) {
            return Json {{"count", r.count}, {"errors", r.errors}, {"warnings", r.warnings},
                {"per_1000", judged ? rounded(1000.0 * double(r.count) / double(judged)) : 0.0},
                {"by_event", r.events}};
        };
        Json e = entry(
            change > 0 ? "violation_new" : "violation_fixed", event, property, side(rb, b.judged), side(ra, a.judged));
        e["rule"] = rule;
        e["rule_kind"] = named.kind.empty() ? Json(nullptr) : Json(named.kind);
        e["path"] = path.empty() ? Json(nullptr) : Json(path);
        e["paths"] = named.paths.size();
        place(std::move(e), -change, true);
    }

    // --- runs by runtime_type ------------------------------------------------------------------------------------
    std::string runEvent; // the start event of the contract's pair rule, when it has exactly one
    if (contract) {
        std::set<std::string> starts;
        for (const SequenceSpec& s : contract->sequences()) {
            if (s.type == SequenceSpec::Type::Pair)
                starts.insert(s.start);
        }
        if (starts.size() == 1)
            runEvent = *starts.begin();
    }
    std::vector<std::string> types = a.runOrder;
    for (const std::string& t : b.runOrder) {
        if (std::find(types.begin(), types.end(), t) == types.end())
            types.push_back(t);
    }
    Json runs = Json::array();
    Side::Runs totalB, totalA;
    bool unshared = false;
    auto runSide = [](const Side::Runs& r) {
        return Json {
            {"created", r.created}, {"finished", r.finished}, {"stuck", r.stuck}, {"share", ratio(r.stuck, r.created)}};
    };
    auto runsEntry = [&](const std::string& type, const Side::Runs& rb, const Side::Runs& ra) {
        const int change = rateChange(rb.stuck, rb.created, ra.stuck, ra.created);
        if (!change)
            return;
        Json e = entry("runs_unfinished", runEvent, "runtime_type", runSide(rb), runSide(ra));
        e["runtime_type"] = type;
        place(std::move(e), -change, true);
    };
    for (const std::string& type : types) {
        static const Side::Runs none;
        const auto rbi = b.runs.find(type);
        const auto rai = a.runs.find(type);
        const Side::Runs& rb = rbi != b.runs.end() ? rbi->second : none;
        const Side::Runs& ra = rai != a.runs.end() ? rai->second : none;
        runs.push_back({{"runtime_type", type}, {"before", runSide(rb)}, {"after", runSide(ra)}});
        totalB.created += rb.created;
        totalB.finished += rb.finished;
        totalB.stuck += rb.stuck;
        totalA.created += ra.created;
        totalA.finished += ra.finished;
        totalA.stuck += ra.stuck;
        if (rb.created && ra.created)
            runsEntry(type, rb, ra);
        else if (rb.created || ra.created)
            unshared = true;
    }
    if (unshared && totalB.created && totalA.created)
        runsEntry(kAllRuns, totalB, totalA);

    sortEntries(out.regressions);
    sortEntries(out.improvements);
    sortEntries(out.changes);
    const Json contractJson = afterReport.contains("contract") ? afterReport["contract"]
        : contract ? Json {{"name", contract->name()}, {"version", contract->version()}, {"origin", contract->origin()}}
                   : Json(nullptr);
    Json summary
        = {{"contract", contractJson}, {"before", sideSummary(beforeReport, b)}, {"after", sideSummary(afterReport, a)},
            {"regressions", out.regressions.size()}, {"improvements", out.improvements.size()},
            {"changes", out.changes.size()}, {"regressed", !out.regressions.empty()},
            {"thresholds",
                {{"coverage", DiffThresholds::kCoverage}, {"drift", DiffThresholds::kDrift},
                    {"rate", DiffThresholds::kRate}, {"min_excess", DiffThresholds::kMinExcess},
                    {"count_ratio", DiffThresholds::kCountRatio}}}};
    return {{"regressions", std::move(out.regressions)}, {"improvements", std::move(out.improvements)},
        {"changes", std::move(out.changes)}, {"events", std::move(counts)}, {"runs", std::move(runs)},
        {"summary", std::move(summary)}};
}

bool diffRegressed(const Json& diff)
{
    const auto it = diff.find("regressions");
    return it != diff.end() && it->is_array() && !it->empty();
}

std::string diffEntryKey(const Json& e)
{
    return str(e, "kind") + "/" + str(e, "event") + "/" + str(e, "property") + "/" + str(e, "rule") + "/"
        + str(e, "runtime_type");
}

const char* reportdetail::diffValueField(const std::string& kind)
{
    if (kind == "coverage_drop" || kind == "coverage_gain" || kind == "property_removed" || kind == "property_added"
        || kind == "runs_unfinished")
        return "share";
    if (kind == "type_change" || kind == "value_drift")
        return "present";
    return "count";
}

double diffEntryValue(const Json& e, const char* side)
{
    const auto s = e.find(side);
    if (s == e.end() || !s->is_object())
        return 0.0;
    const auto it = s->find(diffValueField(str(e, "kind")));
    return it != s->end() && it->is_number() ? it->get<double>() : 0.0;
}

} // namespace el
