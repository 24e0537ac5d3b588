// SPDX-License-Identifier: MIT
// The diff for a terminal, as JSON and as Markdown, and the words for an entry that the HTML report (diffhtml.cpp)
// shares with them.
#include "diff.h"

#include "diffjson.h"
#include "diffrender.h"
#include "reportdata.h"
#include "reportparts.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

namespace el {

using namespace reportdetail;

namespace reportdetail {

std::string fixed(double x, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return buf;
}

const Json& sideOf(const Json& e, const char* side)
{
    static const Json none = Json::object();
    return e.contains(side) && e[side].is_object() ? e[side] : none;
}

} // namespace reportdetail

namespace {

std::string jnum(const Json& j)
{
    return j.dump();
}

/** "string 5, null 1" */
std::string typesText(const Json& types)
{
    const std::string out = namedCounts(types);
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

/** "run_created 7, run_finished 6", most first, at most \a limit. */
std::string countsText(const Json& counts, std::size_t limit = 4)
{
    return topCounts(counts, limit, "(no event)");
}

} // namespace

namespace reportdetail {

std::string subject(const Json& e)
{
    const std::string kind = str(e, "kind");
    const std::string event = str(e, "event");
    const std::string property = str(e, "property");
    if (kind == "violation_new" || kind == "violation_fixed")
        return str(e, "rule");
    if (kind == "runs_unfinished")
        return "runs, runtime_type " + str(e, "runtime_type");
    return property.empty() ? event : event + "." + property;
}

SideText sideText(const Json& e, const char* side)
{
    const std::string kind = str(e, "kind");
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

std::string entryNote(const Json& e)
{
    const std::string kind = str(e, "kind");
    if (kind == "violation_new" || kind == "violation_fixed") {
        std::string out = str(e, "rule_kind");
        const std::string events = countsText(at(sideOf(e, kind == "violation_new" ? "after" : "before"), "by_event"));
        const std::string path = str(e, "path");
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

std::string contractText(const Json& summary)
{
    const Json& c = summary.contains("contract") && at(summary, "contract").is_object() ? at(summary, "contract")
                                                                                        : Json::object();
    const std::string version = str(c, "version");
    return str(c, "name") + (version.empty() ? "" : " " + version);
}

std::string inputsText(const Json& side)
{
    std::string out;
    for (const Json& i : arrayAt(side, "inputs"))
        out += (out.empty() ? "" : ", ") + (i.is_string() ? i.get<std::string>() : i.dump());
    return out.empty() ? std::string("-") : out;
}

} // namespace reportdetail

namespace {

/** One line's worth for the text report: both sides with their unit, then the note. */
std::string detailText(const Json& e)
{
    const std::string kind = str(e, "kind");
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
        out = pct(b.value("share", 0.0)) + " → " + pct(a.value("share", 0.0)) + " of " + str(e, "event") + " events ("
            + groupedNumber(u64(b, "present")) + " of " + groupedNumber(u64(b, "count")) + " → "
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
    const std::string kind = str(e, "kind");
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
    const std::uint64_t errors = u64(side, "errors");
    const std::uint64_t warnings = u64(side, "warnings");
    const std::uint64_t runs = u64(side, "runs");
    return inputsText(side) + ": " + groupedNumber(u64(side, "events")) + " events, " + groupedNumber(errors)
        + (errors == 1 ? " error, " : " errors, ") + groupedNumber(warnings)
        + (warnings == 1 ? " warning, " : " warnings, ") + groupedNumber(runs) + (runs == 1 ? " run" : " runs")
        + (u64(side, "stuck") ? " (" + groupedNumber(u64(side, "stuck")) + " stuck)" : std::string());
}

std::string plural(std::size_t n, const char* one, const char* many)
{
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

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
    for (const auto& section : kSections) {
        for (const Json& e : at(diff, section.first))
            subjectWidth = std::max(subjectWidth, subject(e).size());
    }
    subjectWidth = std::min<std::size_t>(subjectWidth, 48);
    for (const auto& [key, title] : kSections) {
        const Json& list = at(diff, key);
        o += "\n" + std::string(title) + " (" + std::to_string(list.size()) + ")" + (list.empty() ? ": none" : "")
            + "\n";
        for (const Json& e : list) {
            o += "  " + pad(str(e, "kind"), 17) + pad(subject(e), subjectWidth) + "  " + detailText(e) + "\n";
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
    const Json& b = at(s, "before");
    const Json& a = at(s, "after");
    o += "| | before | after |\n|---|---|---|\n";
    o += "| input | " + markdownCell(inputsText(b)) + " | " + markdownCell(inputsText(a)) + " |\n";
    for (const char* k : {"events", "errors", "warnings", "runs", "stuck"})
        o += std::string("| ") + (std::string(k) == "stuck" ? "runs stuck" : k) + " | " + groupedNumber(u64(b, k))
            + " | " + groupedNumber(u64(a, k)) + " |\n";
    std::size_t shown = 0;
    std::size_t left = 0;
    for (const auto& [key, title] : kSections) {
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
            o += "| `" + str(e, "kind") + "` | `" + markdownCell(subject(e)) + "` | "
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

} // namespace el
