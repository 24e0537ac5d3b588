// SPDX-License-Identifier: MIT
#include "diff.h"

#include "contract/contract.h"
#include "reportdata.h"
#include "util/isotime.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace el {

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

std::uint64_t u64(const Json& j, const char* key)
{
    if (!j.is_object())
        return 0;
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<std::uint64_t>() : 0;
}

/** The member \a key of \a j, or an empty array when there is none (a reference: no copy of a large list). */
const Json& arrayAt(const Json& j, const char* key)
{
    static const Json none = Json::array();
    if (!j.is_object())
        return none;
    const auto it = j.find(key);
    return it != j.end() ? *it : none;
}

/** The member \a key of \a j, or an empty object when there is none. */
const Json& at(const Json& j, const char* key)
{
    static const Json none = Json::object();
    if (!j.is_object())
        return none;
    const auto it = j.find(key);
    return it != j.end() ? *it : none;
}

std::string str(const Json& j, const char* key)
{
    if (!j.is_object())
        return {};
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/** What the comparison reads of one side. */
struct Side
{
    struct Event
    {
        std::uint64_t count = 0;
        std::map<std::string, const Json*> properties; ///< Coverage::toJson() entries by name
    };
    struct Rule
    {
        std::uint64_t count = 0;
        std::uint64_t errors = 0;
        std::uint64_t warnings = 0;
        std::string kind;
        std::map<std::string, std::uint64_t> events;
        std::map<std::string, std::uint64_t> paths;
    };
    struct Runs
    {
        std::uint64_t created = 0;
        std::uint64_t finished = 0;
        std::uint64_t stuck = 0; ///< open + unfinished
    };
    std::map<std::string, Event> events;
    std::uint64_t judged = 0; ///< events counted by coverage (recordings are not)
    std::map<std::string, Rule> rules;
    std::map<std::string, Runs> runs; ///< by runtime_type
    std::vector<std::string> runOrder; ///< runtime_types in funnel order
};

Side readSide(const Json& report)
{
    Side s;
    const Json empty = Json::array();
    const auto cov = report.find("coverage");
    for (const Json& e : cov != report.end() && cov->is_array() ? *cov : empty) {
        Side::Event& ev = s.events[str(e, "event")];
        ev.count += u64(e, "count");
        s.judged += u64(e, "count");
        const auto props = e.find("properties");
        if (props == e.end() || !props->is_array())
            continue;
        for (const Json& p : *props)
            ev.properties[str(p, "name")] = &p;
    }
    if (cov == report.end())
        s.judged = u64(report, "events");

    const auto rules = report.find("rules");
    if (rules != report.end() && rules->is_object()) {
        for (auto it = rules->begin(); it != rules->end(); ++it) {
            Side::Rule& r = s.rules[it.key()];
            r.count = u64(*it, "count");
            r.errors = u64(*it, "errors");
            r.warnings = u64(*it, "warnings");
            r.kind = str(*it, "kind");
            for (const char* what : {"events", "paths"}) {
                const auto m = it->find(what);
                if (m == it->end() || !m->is_object())
                    continue;
                auto& into = what[0] == 'e' ? r.events : r.paths;
                for (auto n = m->begin(); n != m->end(); ++n)
                    into[n.key()] = n->is_number() ? n->get<std::uint64_t>() : 0;
            }
        }
    } else if (report.contains("summary") && report["summary"].contains("by_rule")) {
        // `check -f json`: counts only, events and paths from the violations when they are there
        const Json& byRule = report["summary"]["by_rule"];
        for (auto it = byRule.begin(); it != byRule.end(); ++it)
            s.rules[it.key()].count = it->is_number() ? it->get<std::uint64_t>() : 0;
        const auto violations = report.find("violations");
        for (const Json& v : violations != report.end() && violations->is_array() ? *violations : empty) {
            Side::Rule& r = s.rules[str(v, "rule")];
            if (r.kind.empty())
                r.kind = str(v, "kind");
            (str(v, "severity") == "warning" ? r.warnings : r.errors)++;
            r.events[str(v, "event")]++;
            r.paths[str(v, "path")]++;
        }
    }

    auto addRuns = [&](const std::string& type, std::uint64_t created, std::uint64_t finished, std::uint64_t stuck) {
        if (!s.runs.count(type))
            s.runOrder.push_back(type);
        Side::Runs& r = s.runs[type];
        r.created += created;
        r.finished += finished;
        r.stuck += stuck;
    };
    const auto funnel = report.find("funnel");
    const auto runs = report.find("runs");
    if (funnel != report.end() && funnel->is_array()) {
        for (const Json& f : *funnel)
            addRuns(
                str(f, "runtime_type"), u64(f, "created"), u64(f, "finished"), u64(f, "open") + u64(f, "unfinished"));
    } else if (runs != report.end() && runs->is_array()) {
        // `check -f json`: each run as RunInfo::toJson(), counted as Funnel counts them
        for (const Json& run : *runs) {
            const std::string state = str(run, "state");
            if (state == "orphan")
                continue;
            const auto pinned = run.find("pinned");
            std::string type = "missing";
            if (pinned != run.end() && pinned->is_object() && pinned->contains("runtime_type")) {
                const Json& t = (*pinned)["runtime_type"];
                type = t.is_string() ? t.get<std::string>() : t.dump();
            }
            addRuns(type, 1, state == "finished" ? 1 : 0, state == "open" || state == "unfinished" ? 1 : 0);
        }
    }
    return s;
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

std::string keyPart(const Json& e, const char* key)
{
    const auto it = e.find(key);
    return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void sortEntries(Json& list)
{
    std::vector<Json> v(list.begin(), list.end());
    std::stable_sort(v.begin(), v.end(), [](const Json& a, const Json& b) {
        auto key = [](const Json& e) {
            return std::make_tuple(kindIndex(keyPart(e, "kind")), keyPart(e, "event"), keyPart(e, "property"),
                keyPart(e, "rule"), keyPart(e, "runtime_type"));
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

Json sideSummary(const Json& report, const Side& s)
{
    const Json& summary = at(report, "summary");
    std::uint64_t runs = 0;
    std::uint64_t stuck = 0;
    for (const auto& [type, r] : s.runs) {
        runs += r.created;
        stuck += r.stuck;
    }
    return {{"inputs", arrayAt(report, "inputs")}, {"events", u64(report, "events")}, {"judged", s.judged},
        {"recordings", u64(summary, "recordings")}, {"violations", u64(summary, "violations")},
        {"errors", u64(summary, "errors")}, {"warnings", u64(summary, "warnings")}, {"runs", runs}, {"stuck", stuck},
        {"first_ms", u64(report, "first_ms")}, {"last_ms", u64(report, "last_ms")}};
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
    std::set<std::string> names;
    for (const auto& [n, e] : b.events)
        names.insert(n);
    for (const auto& [n, e] : a.events)
        names.insert(n);
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
        std::set<std::string> props;
        for (const auto& [p, j] : eb.properties)
            props.insert(p);
        for (const auto& [p, j] : ea.properties)
            props.insert(p);
        for (const std::string& prop : props) {
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
                    std::set<std::string> keys;
                    for (const auto& [k, x] : vb)
                        keys.insert(k);
                    for (const auto& [k, x] : va)
                        keys.insert(k);
                    double distance = 0;
                    for (const std::string& k : keys)
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
    std::set<std::string> ruleIds;
    for (const auto& [r, x] : b.rules)
        ruleIds.insert(r);
    for (const auto& [r, x] : a.rules)
        ruleIds.insert(r);
    for (const std::string& rule : ruleIds) {
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
    return keyPart(e, "kind") + "/" + keyPart(e, "event") + "/" + keyPart(e, "property") + "/" + keyPart(e, "rule")
        + "/" + keyPart(e, "runtime_type");
}

namespace {

/** The field of an entry's side that diffEntryValue() reads. */
const char* valueField(const std::string& kind)
{
    if (kind == "coverage_drop" || kind == "coverage_gain" || kind == "property_removed" || kind == "property_added"
        || kind == "runs_unfinished")
        return "share";
    if (kind == "type_change" || kind == "value_drift")
        return "present";
    return "count";
}

} // namespace

double diffEntryValue(const Json& e, const char* side)
{
    const auto s = e.find(side);
    if (s == e.end() || !s->is_object())
        return 0.0;
    const auto it = s->find(valueField(keyPart(e, "kind")));
    return it != s->end() && it->is_number() ? it->get<double>() : 0.0;
}

// --- renderings ----------------------------------------------------------------------------------------------------

namespace {

std::string pct(double share)
{
    char buf[32];
    const double p = 100.0 * share;
    // 0.04 % is not "0.0 %", 99.96 % is not "100.0 %"
    const bool fine = (p > 0 && p < 0.05) || (p > 99.95 && p < 100);
    std::snprintf(buf, sizeof buf, fine ? "%.2f %%" : "%.1f %%", p);
    return buf;
}

std::string fixed(double x, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return buf;
}

std::string jnum(const Json& j)
{
    return j.dump();
}

const Json& sideOf(const Json& e, const char* side)
{
    static const Json none = Json::object();
    return e.contains(side) && e[side].is_object() ? e[side] : none;
}

/** "string 5, null 1" */
std::string typesText(const Json& types)
{
    std::string out;
    if (types.is_object()) {
        for (auto it = types.begin(); it != types.end(); ++it)
            out += (out.empty() ? "" : ", ") + it.key() + " " + groupedNumber(it->get<std::uint64_t>());
    }
    return out.empty() ? "none" : out;
}

/** "byok 75.0 %, local_cli 25.0 %", most frequent first, at most \a limit. */
std::string sharesText(const Json& values, std::size_t limit = 6)
{
    std::vector<std::pair<double, std::string>> v;
    if (values.is_object()) {
        for (auto it = values.begin(); it != values.end(); ++it)
            v.emplace_back(it->get<double>(), it.key());
    }
    std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < limit; ++i)
        out += (out.empty() ? "" : ", ") + v[i].second + " " + pct(v[i].first);
    if (v.size() > limit)
        out += ", … (" + std::to_string(v.size() - limit) + " more)";
    return out.empty() ? "none" : out;
}

/** What an entry is about: "run_created.runtime_type", a rule, runs of a runtime_type. */
std::string subject(const Json& e)
{
    const std::string kind = keyPart(e, "kind");
    const std::string event = keyPart(e, "event");
    const std::string property = keyPart(e, "property");
    if (kind == "violation_new" || kind == "violation_fixed")
        return keyPart(e, "rule");
    if (kind == "runs_unfinished")
        return "runs, runtime_type " + keyPart(e, "runtime_type");
    return property.empty() ? event : event + "." + property;
}

/** One side of an entry as text; \a number is the entry's own number (diffEntryValue) as it is shown. */
struct SideText
{
    std::string number; ///< the number of diffEntryValue, formatted
    std::string rest; ///< what goes with it
    bool lead = true; ///< the number leads (else the rest does: the types, the values)
};

SideText sideText(const Json& e, const char* side)
{
    const std::string kind = keyPart(e, "kind");
    const Json& s = sideOf(e, side);
    if (kind == "event_missing" || kind == "event_new")
        return {groupedNumber(u64(s, "count")), pct(s.value("share", 0.0)) + " of all events"};
    if (kind == "coverage_drop" || kind == "coverage_gain" || kind == "property_removed" || kind == "property_added")
        return {pct(s.value("share", 0.0)),
            groupedNumber(u64(s, "present")) + " of " + groupedNumber(u64(s, "count"))
                + (u64(s, "count") == 1 ? " event" : " events")};
    if (kind == "type_change")
        return {groupedNumber(u64(s, "present")), typesText(at(s, "types")), false};
    if (kind == "value_drift")
        return {groupedNumber(u64(s, "present")), sharesText(at(s, "values"), 4), false};
    if (kind == "violation_new" || kind == "violation_fixed")
        return {groupedNumber(u64(s, "count")), fixed(s.value("per_1000", 0.0), 1) + " per 1,000 events"};
    if (kind == "runs_unfinished")
        return {pct(s.value("share", 0.0)),
            groupedNumber(u64(s, "stuck")) + " of " + groupedNumber(u64(s, "created")) + " runs stuck"};
    return {jnum(s), {}};
}

/** "run_created 7, run_finished 6", most first, at most \a limit. */
std::string countsText(const Json& counts, std::size_t limit = 4)
{
    std::vector<std::pair<std::uint64_t, std::string>> v;
    if (counts.is_object()) {
        for (auto it = counts.begin(); it != counts.end(); ++it)
            v.emplace_back(it->is_number() ? it->get<std::uint64_t>() : 0, it.key().empty() ? "(no event)" : it.key());
    }
    std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < limit; ++i)
        out += (out.empty() ? "" : ", ") + v[i].second + " " + groupedNumber(v[i].first);
    if (v.size() > limit)
        out += ", … (" + std::to_string(v.size() - limit) + " more)";
    return out;
}

/** What an entry adds after its two sides: the rule's kind, events and path, the drift's distance, the contract. */
std::string entryNote(const Json& e)
{
    const std::string kind = keyPart(e, "kind");
    if (kind == "violation_new" || kind == "violation_fixed") {
        std::string out = keyPart(e, "rule_kind");
        const std::string events = countsText(at(sideOf(e, kind == "violation_new" ? "after" : "before"), "by_event"));
        const std::string path = keyPart(e, "path");
        if (!events.empty())
            out += (out.empty() ? "" : " ") + std::string("on ") + events;
        if (!path.empty())
            out += (out.empty() ? "" : " ") + std::string(e.value("paths", 1) > 1 ? "mostly at " : "at ") + path;
        return out;
    }
    if (kind == "value_drift")
        return "distance " + fixed(e.value("distance", 0.0), 2);
    if (kind == "event_missing" || kind == "event_new")
        return e.value("planned", false) ? "planned" : "not in the contract";
    if (kind == "coverage_drop" || kind == "coverage_gain" || kind == "property_removed" || kind == "property_added")
        return e.value("required", false) ? "required" : e.value("planned", false) ? "planned" : "not in the contract";
    return {};
}

/** One line's worth for the text report: both sides with their unit, then the note. */
std::string detailText(const Json& e)
{
    const std::string kind = keyPart(e, "kind");
    const Json& b = sideOf(e, "before");
    const Json& a = sideOf(e, "after");
    const std::string note = entryNote(e);
    std::string out;
    if (kind == "event_missing" || kind == "event_new") {
        out = groupedNumber(u64(b, "count")) + " → " + groupedNumber(u64(a, "count"))
            + (u64(a, "count") == 1 ? " event (" : " events (") + pct(b.value("share", 0.0)) + " → "
            + pct(a.value("share", 0.0)) + " of all events)";
    } else if (kind == "coverage_drop" || kind == "coverage_gain" || kind == "property_removed"
        || kind == "property_added") {
        out = pct(b.value("share", 0.0)) + " → " + pct(a.value("share", 0.0)) + " of " + keyPart(e, "event")
            + " events (" + groupedNumber(u64(b, "present")) + " of " + groupedNumber(u64(b, "count")) + " → "
            + groupedNumber(u64(a, "present")) + " of " + groupedNumber(u64(a, "count")) + ")";
    } else if (kind == "type_change") {
        out = "types " + typesText(at(b, "types")) + " → " + typesText(at(a, "types"));
    } else if (kind == "value_drift") {
        return sharesText(at(b, "values")) + " → " + sharesText(at(a, "values")) + " (" + note + ")";
    } else if (kind == "violation_new" || kind == "violation_fixed") {
        out = groupedNumber(u64(b, "count")) + " → " + groupedNumber(u64(a, "count"))
            + (u64(a, "count") == 1 ? " violation (" : " violations (") + fixed(b.value("per_1000", 0.0), 1) + " → "
            + fixed(a.value("per_1000", 0.0), 1) + " per 1,000 events)";
    } else if (kind == "runs_unfinished") {
        out = pct(b.value("share", 0.0)) + " → " + pct(a.value("share", 0.0)) + " of runs stuck ("
            + groupedNumber(u64(b, "stuck")) + " of " + groupedNumber(u64(b, "created")) + " → "
            + groupedNumber(u64(a, "stuck")) + " of " + groupedNumber(u64(a, "created")) + ")";
    }
    return out + (note.empty() ? "" : "; " + note);
}

/** One side of an entry in a Markdown table: the number, with its part of the whole, or the types or values. */
std::string markdownSide(const Json& e, const char* side)
{
    const std::string kind = keyPart(e, "kind");
    const SideText t = sideText(e, side);
    if (!t.lead)
        return t.rest;
    const Json& s = sideOf(e, side);
    if (kind == "runs_unfinished")
        return t.number + " (" + groupedNumber(u64(s, "stuck")) + " of " + groupedNumber(u64(s, "created")) + ")";
    if (kind == "coverage_drop" || kind == "coverage_gain" || kind == "property_removed" || kind == "property_added")
        return t.number + " (" + groupedNumber(u64(s, "present")) + " of " + groupedNumber(u64(s, "count")) + ")";
    return t.number;
}

std::string sideLine(const Json& side)
{
    std::string inputs;
    for (const Json& i : arrayAt(side, "inputs"))
        inputs += (inputs.empty() ? "" : ", ") + (i.is_string() ? i.get<std::string>() : i.dump());
    const std::uint64_t errors = u64(side, "errors");
    const std::uint64_t warnings = u64(side, "warnings");
    const std::uint64_t runs = u64(side, "runs");
    return (inputs.empty() ? std::string("-") : inputs) + ": " + groupedNumber(u64(side, "events")) + " events, "
        + groupedNumber(errors) + (errors == 1 ? " error, " : " errors, ") + groupedNumber(warnings)
        + (warnings == 1 ? " warning, " : " warnings, ") + groupedNumber(runs) + (runs == 1 ? " run" : " runs")
        + (u64(side, "stuck") ? " (" + groupedNumber(u64(side, "stuck")) + " stuck)" : std::string());
}

std::string contractText(const Json& summary)
{
    const Json& c = summary.contains("contract") && at(summary, "contract").is_object() ? at(summary, "contract")
                                                                                        : Json::object();
    const std::string version = str(c, "version");
    return str(c, "name") + (version.empty() ? "" : " " + version);
}

std::string plural(std::size_t n, const char* one, const char* many)
{
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

} // namespace

std::string diffVerdictLine(const Json& diff)
{
    const Json& s = at(diff, "summary");
    const std::size_t r = at(diff, "regressions").size();
    const std::size_t i = at(diff, "improvements").size();
    const std::size_t c = at(diff, "changes").size();
    return std::string(r ? "REGRESSED: " : "no regression: ") + plural(r, "regression", "regressions") + ", "
        + plural(i, "improvement", "improvements") + ", " + plural(c, "other change", "other changes") + " ("
        + groupedNumber(u64(at(s, "before"), "events")) + " → " + groupedNumber(u64(at(s, "after"), "events"))
        + " events)";
}

namespace {

/** The rows of `runs` where something differs. */
std::vector<const Json*> changedRuns(const Json& diff)
{
    std::vector<const Json*> out;
    for (const Json& r : arrayAt(diff, "runs")) {
        if (at(r, "before") != at(r, "after"))
            out.push_back(&r);
    }
    return out;
}

std::string runsCell(const Json& side)
{
    return groupedNumber(u64(side, "created")) + " / " + groupedNumber(u64(side, "finished")) + " / "
        + groupedNumber(u64(side, "stuck"));
}

std::string pad(std::string s, std::size_t width)
{
    // columns count code points (…, → are one column each)
    std::size_t cols = 0;
    for (const char c : s)
        cols += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    if (cols < width)
        s.append(width - cols, ' ');
    return s;
}

} // namespace

namespace {

/// Keys that come first in an object of the JSON report, in this order; the others follow by name.
constexpr std::array<const char*, 16> kKeyOrder
    = {"regressions", "improvements", "changes", "kind", "event", "property", "rule", "runtime_type", "regressed",
        "contract", "before", "after", "events", "runs", "summary", "share"};

nlohmann::ordered_json ordered(const Json& j)
{
    switch (j.type()) {
    case Json::value_t::object: {
        nlohmann::ordered_json o = nlohmann::ordered_json::object();
        for (const char* k : kKeyOrder) {
            const auto it = j.find(k);
            if (it != j.end())
                o[k] = ordered(*it);
        }
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (!o.contains(it.key()))
                o[it.key()] = ordered(*it);
        }
        return o;
    }
    case Json::value_t::array: {
        nlohmann::ordered_json a = nlohmann::ordered_json::array();
        for (const Json& x : j)
            a.push_back(ordered(x));
        return a;
    }
    case Json::value_t::string:
        return j.get<std::string>();
    case Json::value_t::boolean:
        return j.get<bool>();
    case Json::value_t::number_integer:
        return j.get<std::int64_t>();
    case Json::value_t::number_unsigned:
        return j.get<std::uint64_t>();
    case Json::value_t::number_float:
        return j.get<double>();
    default:
        return nullptr;
    }
}

} // namespace

std::string renderDiffJson(const Json& diff)
{
    return ordered(diff).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string renderDiffText(const Json& diff)
{
    const Json& s = at(diff, "summary");
    std::string o = "eventlens diff: contract " + contractText(s) + "\n";
    o += "  before: " + sideLine(at(s, "before")) + "\n";
    o += "  after:  " + sideLine(at(s, "after")) + "\n";
    // widths of the kind and subject columns, over every entry
    std::size_t subjectWidth = 10;
    for (const char* list : {"regressions", "improvements", "changes"}) {
        for (const Json& e : at(diff, list))
            subjectWidth = std::max(subjectWidth, subject(e).size());
    }
    subjectWidth = std::min<std::size_t>(subjectWidth, 48);
    const std::pair<const char*, const char*> sections[]
        = {{"regressions", "Regressions"}, {"improvements", "Improvements"}, {"changes", "Other changes"}};
    for (const auto& [key, title] : sections) {
        const Json& list = at(diff, key);
        o += "\n" + std::string(title) + " (" + std::to_string(list.size()) + ")" + (list.empty() ? ": none" : "")
            + "\n";
        for (const Json& e : list) {
            o += "  " + pad(keyPart(e, "kind"), 17) + pad(subject(e), subjectWidth) + "  " + detailText(e) + "\n";
        }
    }
    std::string counts;
    for (const Json& c : arrayAt(diff, "events")) {
        if (!c.value("notable", false) || !at(c, "ratio").is_number())
            continue;
        counts += "  " + pad(str(c, "event"), subjectWidth + 17) + "  " + groupedNumber(u64(at(c, "before"), "count"))
            + " (" + pct(at(c, "before").value("share", 0.0)) + ") → " + groupedNumber(u64(at(c, "after"), "count"))
            + " (" + pct(at(c, "after").value("share", 0.0)) + "), share ×" + fixed(at(c, "ratio").get<double>(), 2)
            + "\n";
    }
    if (!counts.empty())
        o += "\nEvent counts that changed (share of all events moved by ×" + fixed(DiffThresholds::kCountRatio, 1)
            + " or more)\n" + counts;
    const std::vector<const Json*> runs = changedRuns(diff);
    if (!runs.empty()) {
        o += "\nRuns by runtime_type (created / finished / stuck)\n";
        for (const Json* r : runs)
            o += "  " + pad(str(*r, "runtime_type"), 16) + pad(runsCell(at(*r, "before")), 16) + " → "
                + runsCell(at(*r, "after")) + "\n";
    }
    o += "\ndiff: " + diffVerdictLine(diff) + "\n";
    return o;
}

std::string renderDiffMarkdown(const Json& diff, std::size_t rows)
{
    const Json& s = at(diff, "summary");
    const bool regressed = diffRegressed(diff);
    const std::size_t nr = at(diff, "regressions").size();
    std::string o = "## EventLens diff: "
        + (regressed ? "❌ " + plural(nr, "regression", "regressions") : std::string("✅ no regression")) + " — "
        + markdownCell(contractText(s)) + "\n\n";
    auto inputs = [](const Json& side) {
        std::string out;
        for (const Json& i : arrayAt(side, "inputs"))
            out += (out.empty() ? "" : ", ") + (i.is_string() ? i.get<std::string>() : i.dump());
        return out.empty() ? std::string("-") : out;
    };
    const Json& b = at(s, "before");
    const Json& a = at(s, "after");
    o += "| | before | after |\n|---|---|---|\n";
    o += "| input | " + markdownCell(inputs(b)) + " | " + markdownCell(inputs(a)) + " |\n";
    for (const char* k : {"events", "errors", "warnings", "runs", "stuck"})
        o += std::string("| ") + (std::string(k) == "stuck" ? "runs stuck" : k) + " | " + groupedNumber(u64(b, k))
            + " | " + groupedNumber(u64(a, k)) + " |\n";
    std::size_t shown = 0;
    std::size_t left = 0;
    const std::pair<const char*, const char*> sections[]
        = {{"regressions", "Regressions"}, {"improvements", "Improvements"}, {"changes", "Other changes"}};
    for (const auto& [key, title] : sections) {
        const Json& list = at(diff, key);
        o += "\n### " + std::string(title) + " (" + std::to_string(list.size()) + ")\n\n";
        if (list.empty()) {
            o += "None.\n";
            continue;
        }
        if (shown >= rows) {
            left += list.size();
            o += "Not shown here (" + std::to_string(list.size()) + "): see the JSON or HTML report.\n";
            continue;
        }
        o += "| kind | subject | before | after | note |\n|---|---|---:|---:|---|\n";
        for (const Json& e : list) {
            if (shown >= rows) {
                ++left;
                continue;
            }
            ++shown;
            o += "| `" + keyPart(e, "kind") + "` | `" + markdownCell(subject(e)) + "` | "
                + markdownCell(markdownSide(e, "before")) + " | " + markdownCell(markdownSide(e, "after")) + " | "
                + markdownCell(entryNote(e)) + " |\n";
        }
    }
    if (left)
        o += "\n… " + std::to_string(left) + " more entries: see the JSON or HTML report.\n";
    const std::vector<const Json*> runs = changedRuns(diff);
    if (!runs.empty()) {
        o += "\n### Runs by runtime_type (created / finished / stuck)\n\n| runtime_type | before | after "
             "|\n|---|---:|---:|\n";
        for (const Json* r : runs)
            o += "| `" + markdownCell(str(*r, "runtime_type")) + "` | " + runsCell(at(*r, "before")) + " | "
                + runsCell(at(*r, "after")) + " |\n";
    }
    o += "\n<sub>EventLens " + std::string(EVENTLENS_VERSION) + " · " + markdownCell(diffVerdictLine(diff))
        + "</sub>\n";
    return o;
}

namespace {

std::string dataSpan(const std::string& key, const Json& value, const std::string& shown)
{
    return "<span data-k=\"" + htmlEscape(key) + "\" data-v=\"" + htmlEscape(value.dump()) + "\">" + htmlEscape(shown)
        + "</span>";
}

std::string timeRange(const Json& side)
{
    const std::uint64_t first = u64(side, "first_ms");
    const std::uint64_t last = u64(side, "last_ms");
    return first ? isoFromMs(qint64(first)) + " – " + isoFromMs(qint64(last)) : std::string("no events");
}

const char* const kDiffCss = R"css(
td.arrow{color:var(--muted);text-align:center;padding:4px 2px}td.v b{font-weight:600}td.v b.n{white-space:nowrap}td.v small{display:block;color:var(--muted)}
tr.notable td{background:#fff8c5}table.entries{table-layout:fixed}table.entries td{overflow-wrap:anywhere}table.narrow{width:auto;min-width:50%}
.tag.good{background:#dafbe1;border-color:#aceebb;color:var(--ok)}
)css";

} // namespace

std::string renderDiffHtml(const Json& diff)
{
    const Json& s = at(diff, "summary");
    const Json& b = at(s, "before");
    const Json& a = at(s, "after");
    const bool regressed = diffRegressed(diff);
    auto inputs = [](const Json& side) {
        std::string out;
        for (const Json& i : arrayAt(side, "inputs"))
            out += (out.empty() ? "" : ", ") + (i.is_string() ? i.get<std::string>() : i.dump());
        return out.empty() ? std::string("-") : out;
    };
    const std::string verdict = regressed ? "REGRESSED" : "NO REGRESSION";
    std::string o;
    o.reserve(1 << 15);
    o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "img-src data:\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>EventLens diff: "
        + verdict + " — " + htmlEscape(contractText(s)) + "</title>\n<style>" + reportCss() + kDiffCss
        + "</style></head><body>\n";

    auto count = [&](const char* key, const char* label) {
        return "<div><b>" + dataSpan(key, at(s, key), groupedNumber(u64(s, key))) + "</b>" + label + "</div>";
    };
    o += "<header class=\"banner " + std::string(regressed ? "fail" : "pass") + "\" data-verdict=\""
        + (regressed ? "regressed" : "pass") + "\"><span class=verdict>" + verdict
        + "</span><h1 style=\"display:inline\">EventLens diff</h1><dl><dt>Contract</dt><dd>"
        + htmlEscape(contractText(s)) + "</dd><dt>Before</dt><dd>" + htmlEscape(inputs(b)) + " <span>("
        + htmlEscape(timeRange(b)) + ")</span></dd><dt>After</dt><dd>" + htmlEscape(inputs(a)) + " <span>("
        + htmlEscape(timeRange(a)) + ")</span></dd></dl><div class=counts>" + count("regressions", "regressions")
        + count("improvements", "improvements") + count("changes", "other changes") + "</div></header>\n";

    o += "<h2>Both sides</h2>\n<table class=narrow><tr><th></th><th>before</th><th>after</th></tr>\n";
    for (const auto& [k, label] : std::initializer_list<std::pair<const char*, const char*>> {{"events", "events"},
             {"errors", "errors"}, {"warnings", "warnings"}, {"violations", "violations"}, {"runs", "runs created"},
             {"stuck", "runs stuck (open or unfinished)"}}) {
        o += "<tr><td>" + std::string(label) + "</td><td class=n>"
            + dataSpan(std::string("before.") + k, b[k], groupedNumber(u64(b, k))) + "</td><td class=n>"
            + dataSpan(std::string("after.") + k, a[k], groupedNumber(u64(a, k))) + "</td></tr>\n";
    }
    o += "</table>\n";

    const std::pair<const char*, const char*> sections[]
        = {{"regressions", "Regressions"}, {"improvements", "Improvements"}, {"changes", "Other changes"}};
    for (const auto& [key, title] : sections) {
        const Json& list = at(diff, key);
        o += "<h2>" + std::string(title) + " (" + std::to_string(list.size()) + ")</h2>\n";
        if (list.empty()) {
            o += "<p class=muted>None.</p>\n";
            continue;
        }
        const std::string tag = std::string(key) == "regressions" ? "tag error"
            : std::string(key) == "improvements"                  ? "tag good"
                                                                  : "tag";
        o += "<table class=entries><colgroup><col style=\"width:15%\"><col style=\"width:21%\"><col "
             "style=\"width:17%\"><col style=\"width:3%\"><col style=\"width:17%\"><col></colgroup><tr><th>kind</th>"
             "<th>subject</th><th>before</th><th></th><th>after</th><th>note</th></tr>\n";
        for (const Json& e : list) {
            const std::string k = diffEntryKey(e);
            auto cell = [&](const char* side) {
                const SideText t = sideText(e, side);
                const Json& sj = sideOf(e, side);
                const auto v = sj.find(valueField(keyPart(e, "kind")));
                const std::string number = dataSpan(k + "/" + side, v != sj.end() ? *v : Json(0), t.number);
                if (!t.lead)
                    return "<b>" + htmlEscape(t.rest) + "</b><small>" + number
                        + (u64(sj, "present") == 1 ? " event carries it" : " events carry it") + "</small>";
                return "<b class=n>" + number + "</b><small>" + htmlEscape(t.rest) + "</small>";
            };
            o += "<tr><td class=kind><span class=\"" + tag + "\">" + htmlEscape(keyPart(e, "kind"))
                + "</span></td><td><code>" + htmlEscape(subject(e)) + "</code></td><td class=v>" + cell("before")
                + "</td><td class=arrow>→</td><td class=v>" + cell("after") + "</td><td>" + htmlEscape(entryNote(e))
                + "</td></tr>\n";
        }
        o += "</table>\n";
    }

    o += "<h2>Event counts</h2>\n<p class=muted>Per event name: how many, and the share of all events (the two "
         "recordings differ in length). Highlighted: the share moved by ×"
        + fixed(DiffThresholds::kCountRatio, 1)
        + " or more, or the event is on one side only.</p>\n<table><tr><th>event</th><th>before</th><th>after</th>"
          "<th>share before</th><th>share after</th><th>×</th></tr>\n";
    for (const Json& c : arrayAt(diff, "events")) {
        const std::string ev = str(c, "event");
        const std::string k = "events/" + ev + "/";
        o += std::string(c.value("notable", false) ? "<tr class=notable>" : "<tr>") + "<td><code>" + htmlEscape(ev)
            + "</code></td><td class=n>"
            + dataSpan(k + "before", at(at(c, "before"), "count"), groupedNumber(u64(at(c, "before"), "count")))
            + "</td><td class=n>"
            + dataSpan(k + "after", at(at(c, "after"), "count"), groupedNumber(u64(at(c, "after"), "count")))
            + "</td><td class=n>" + pct(at(c, "before").value("share", 0.0)) + "</td><td class=n>"
            + pct(at(c, "after").value("share", 0.0)) + "</td><td class=n>"
            + (at(c, "ratio").is_number() ? fixed(at(c, "ratio").get<double>(), 2) : std::string("–")) + "</td></tr>\n";
    }
    o += "</table>\n";

    o += "<h2>Runs by runtime_type</h2>\n<p class=muted>Per value of <code>runtime_type</code> pinned on the start "
         "event. Stuck: open or unfinished when the input ended.</p>\n<table><tr><th>runtime_type</th><th>created "
         "before</th><th>after</th><th>finished before</th><th>after</th><th>stuck before</th><th>after</th></tr>\n";
    for (const Json& r : arrayAt(diff, "runs")) {
        const std::string t = str(r, "runtime_type");
        auto n = [&](const char* side, const char* what) {
            return "<td class=n>"
                + dataSpan(
                    "runs/" + t + "/" + side + "/" + what, at(at(r, side), what), groupedNumber(u64(at(r, side), what)))
                + "</td>";
        };
        o += std::string(at(r, "before") != at(r, "after") ? "<tr class=notable>" : "<tr>") + "<td><code>"
            + htmlEscape(t) + "</code></td>" + n("before", "created") + n("after", "created") + n("before", "finished")
            + n("after", "finished") + n("before", "stuck") + n("after", "stuck") + "</tr>\n";
    }
    o += "</table>\n<footer>Made by EventLens " + htmlEscape(EVENTLENS_VERSION) + ". "
        + htmlEscape(diffVerdictLine(diff)) + ". Self-contained: no script, no request.</footer>\n</body></html>\n";
    return o;
}

} // namespace el
