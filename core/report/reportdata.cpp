// SPDX-License-Identifier: MIT
// The two renderings of a ReportData a person can attach: self-contained HTML and Markdown.
#include "reportdata.h"
#include "reportparts.h"

#include "util/isotime.h"

#include <algorithm>
#include <cstdio>

namespace el {

using reportdetail::dataSpan;
using reportdetail::percent;
using reportdetail::timeRangeText;

namespace {

/** The values of a coverage entry, most frequent first: "byok 3, amr_cloud 1", at most \a limit of them. */
std::string valuesText(const Json& property, std::size_t limit)
{
    const auto values = property.find("values");
    if (values == property.end() || !values->is_object()) {
        const auto types = property.find("types");
        return "many values (" + (types != property.end() ? reportdetail::namedCounts(*types) : std::string()) + ")";
    }
    return reportdetail::topCounts(*values, limit);
}

/** The funnel as a horizontal stacked bar chart, one bar per runtime_type, scaled to the largest. */
std::string funnelSvg(const std::vector<FunnelRow>& rows)
{
    std::uint64_t most = 1;
    for (const FunnelRow& r : rows)
        most = std::max(most, r.created);
    const int labelW = 110, barW = 560, rowH = 26, top = 24;
    const int height = top + int(rows.size()) * rowH + 8;
    std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(labelW + barW + 120)
        + "' height='" + std::to_string(height) + "' role='img' aria-label='runs by runtime_type'>";
    struct Part
    {
        const char* name;
        const char* color;
        std::uint64_t FunnelRow::*count;
    };
    const Part parts[] = {{"success", "#1a7f37", &FunnelRow::success}, {"failed", "#cf222e", &FunnelRow::failed},
        {"cancelled", "#8c959f", &FunnelRow::cancelled}, {"other", "#8250df", &FunnelRow::other},
        {"open", "#0969da", &FunnelRow::open}, {"unfinished", "#bc4c00", &FunnelRow::unfinished}};
    int lx = labelW;
    for (const Part& p : parts) { // legend
        svg += "<rect x='" + std::to_string(lx) + "' y='4' width='10' height='10' fill='" + p.color + "'/><text x='"
            + std::to_string(lx + 14) + "' y='13' font-size='11'>" + p.name + "</text>";
        lx += 14 + int(std::string(p.name).size()) * 7 + 12;
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const FunnelRow& r = rows[i];
        const int y = top + int(i) * rowH;
        svg += "<text x='0' y='" + std::to_string(y + 15) + "' font-size='12'>" + htmlEscape(r.runtimeType) + "</text>";
        double x = labelW;
        for (const Part& p : parts) {
            const std::uint64_t n = r.*(p.count);
            if (!n)
                continue;
            const double w = double(barW) * double(n) / double(most);
            char rect[200];
            std::snprintf(rect, sizeof rect,
                "<rect x='%.1f' y='%d' width='%.1f' height='18' fill='%s'><title>%s %llu</title></rect>", x, y + 2,
                std::max(w, 1.0), p.color, p.name, static_cast<unsigned long long>(n));
            svg += rect;
            x += w;
        }
        svg += "<text x='" + std::to_string(int(x) + 6) + "' y='" + std::to_string(y + 15) + "' font-size='12'>"
            + groupedNumber(r.created) + " created</text>";
    }
    return svg + "</svg>";
}

std::string dataNum(const std::string& key, std::uint64_t n)
{
    return dataSpan(key, Json(n), groupedNumber(n));
}

std::string stateText(const RunInfo& run)
{
    return std::string(toString(run.state));
}

/** "NAME VERSION" of the contract. */
std::string contractText(const ReportData& r)
{
    return r.contractName + (r.contractVersion.empty() ? "" : " " + r.contractVersion);
}

/** The inputs, comma-separated, or "-". */
std::string inputsText(const ReportData& r)
{
    std::string inputs;
    for (const std::string& i : r.inputs)
        inputs += (inputs.empty() ? "" : ", ") + i;
    return inputs.empty() ? "-" : inputs;
}

} // namespace

std::string renderHtmlReport(const ReportData& r)
{
    const std::string contract = contractText(r);
    std::string o;
    o.reserve(1 << 16);
    o += reportdetail::htmlHead(std::string("EventLens: ") + (r.passed() ? "PASS" : "FAIL") + " — " + contract);

    // Verdict banner
    o += "<header class=\"banner " + std::string(r.passed() ? "pass" : "fail") + "\" data-verdict=\""
        + (r.passed() ? "pass" : "fail") + "\"><span class=verdict>" + (r.passed() ? "PASS" : "FAIL")
        + "</span><h1 style=\"display:inline\">EventLens report</h1><dl>" + "<dt>Contract</dt><dd>"
        + htmlEscape(contract)
        + (r.contractOrigin.empty() ? "" : " <span>(" + htmlEscape(r.contractOrigin) + ")</span>")
        + "</dd><dt>Input</dt><dd>" + htmlEscape(inputsText(r)) + "</dd><dt>Time range</dt><dd>"
        + htmlEscape(timeRangeText(r.firstMs, r.lastMs)) + "</dd></dl>" + "<div class=counts><div><b>"
        + dataNum("events", std::uint64_t(r.events)) + "</b>events</div><div><b>" + dataNum("errors", r.errors)
        + "</b>errors</div><div><b>" + dataNum("warnings", r.warnings) + "</b>warnings</div><div><b>"
        + dataNum("violations", r.violations) + "</b>violations</div><div><b>" + dataNum("runs", r.runCount)
        + "</b>runs</div></div></header>\n";

    // Funnel
    o += "<h2>Runs by runtime_type</h2>\n<p class=muted>Per value of <code>runtime_type</code> pinned on the start "
         "event. A run is created by its start event; orphan ends are not counted here.</p>\n"
        + funnelSvg(r.funnel)
        + "\n<table><tr><th>runtime_type</th><th>created</th><th>finished</th><th>success</th><th>failed</th>"
          "<th>cancelled</th><th>other</th><th>open</th><th>unfinished</th></tr>\n";
    for (const FunnelRow& f : r.funnel) {
        const std::string k = "funnel." + f.runtimeType + ".";
        o += "<tr><td><code>" + htmlEscape(f.runtimeType) + "</code></td><td class=n>"
            + dataNum(k + "created", f.created) + "</td><td class=n>" + dataNum(k + "finished", f.finished)
            + "</td><td class=n>" + dataNum(k + "success", f.success) + "</td><td class=n>"
            + dataNum(k + "failed", f.failed) + "</td><td class=n>" + dataNum(k + "cancelled", f.cancelled)
            + "</td><td class=n>" + dataNum(k + "other", f.other) + "</td><td class=n>" + dataNum(k + "open", f.open)
            + "</td><td class=n>" + dataNum(k + "unfinished", f.unfinished) + "</td></tr>\n";
    }
    o += "</table>\n";

    // Runs
    o += "<h2>Runs</h2>\n";
    if (r.runs.empty()) {
        o += "<p class=muted>No runs (no pair rule matched).</p>\n";
    } else {
        if (r.runs.size() < r.runCount)
            o += "<p class=muted>" + groupedNumber(r.runs.size()) + " of " + groupedNumber(r.runCount)
                + " runs: those that went wrong first (a pinned mismatch, no end, no start), then the others in "
                  "order. The JSON report lists them all.</p>\n";
        o += "<table><tr><th>rule</th><th>key</th><th>runtime_type</th><th>state</th><th>result</th><th>start "
             "seq</th><th>end seq</th><th>duration</th><th>pinned mismatches</th></tr>\n";
        for (const RunInfo& run : r.runs) {
            const bool bad = run.pinnedMismatches > 0;
            const std::string duration = run.startSeq && run.endSeq && run.endMs >= run.startMs
                ? groupedNumber(std::uint64_t(run.endMs - run.startMs)) + " ms"
                : "";
            o += std::string(bad ? "<tr class=mismatch>" : "<tr>") + "<td>" + htmlEscape(run.rule) + "</td><td><code>"
                + htmlEscape(run.key.is_string() ? run.key.get<std::string>() : run.key.dump()) + "</code></td><td>"
                + htmlEscape(Funnel::runtimeTypeOf(run)) + "</td><td>" + htmlEscape(stateText(run)) + "</td><td>"
                + htmlEscape(run.result.is_null() ? std::string()
                        : run.result.is_string()  ? run.result.get<std::string>()
                                                  : run.result.dump())
                + "</td><td class=n>" + (run.startSeq ? std::to_string(run.startSeq) : "") + "</td><td class=n>"
                + (run.endSeq ? std::to_string(run.endSeq) : "") + "</td><td class=n>" + duration + "</td><td class=n>"
                + (bad ? "⚠ " + std::to_string(run.pinnedMismatches) : std::string("0")) + "</td></tr>\n";
        }
        o += "</table>\n";
    }

    // Coverage
    o += "<h2>Property coverage</h2>\n<p class=muted>Per event name: how many events carry each property "
         "(super-properties "
         "first). <b>missing</b>: absent; <b>invalid</b>: a value outside the property's enum, const or type "
         "(null included). A required property below 100 % or with invalid values is flagged.</p>\n";
    for (const Json& e : r.coverage) {
        const std::string event = e.value("event", "");
        const std::uint64_t count = e.value("count", std::uint64_t(0));
        o += "<h3><code>" + htmlEscape(event) + "</code> · " + dataNum("coverage." + event + ".count", count)
            + (count == 1 ? " event" : " events") + "</h3>\n";
        const std::string head = "<table class=cov><colgroup><col style=\"width:30%\"><col style=\"width:19%\">"
                                 "<col style=\"width:8%\"><col style=\"width:8%\"><col></colgroup><tr><th>property</th>"
                                 "<th>carried by</th><th>missing</th><th>invalid</th><th>values</th></tr>\n";
        std::string planned, other;
        std::size_t others = 0;
        for (const Json& p : e.value("properties", Json::array())) {
            const std::string name = p.value("name", "");
            const std::uint64_t present = p.value("present", std::uint64_t(0));
            const bool flagged = p.value("flagged", false);
            const double share = count ? double(present) / double(count) : 0;
            const bool first = p.value("planned", false) || p.value("super_property", false) || flagged;
            std::string& row = first ? planned : other;
            others += first ? 0 : 1;
            row += std::string(flagged ? "<tr class=flag>" : "<tr>") + "<td><code>" + htmlEscape(name) + "</code>"
                + (p.value("required", false) ? " <span class=tag>required</span>" : "")
                + (flagged ? " <span class=\"tag error\">flagged</span>" : "") + "</td><td><span class=\"bar"
                + (share < 1 ? " low" : "") + "\" style=\"width:" + std::to_string(int(share * 50)) + "px\"></span>"
                + dataNum("coverage." + event + "." + name + ".present", present) + " (" + percent(present, count)
                + ")</td><td class=n>" + groupedNumber(p.value("missing", std::uint64_t(0))) + "</td><td class=n>"
                + groupedNumber(p.value("invalid", std::uint64_t(0))) + "</td><td>" + htmlEscape(valuesText(p, 8))
                + "</td></tr>\n";
        }
        if (!planned.empty())
            o += head + planned + "</table>\n";
        if (!other.empty())
            o += "<details><summary>" + groupedNumber(others) + (others == 1 ? " property" : " properties")
                + " the contract does not name</summary>\n" + head + other + "</table></details>\n";
    }

    // Violations
    o += "<h2>Violations</h2>\n";
    if (r.rules.empty())
        o += "<p>None.</p>\n";
    for (const ReportRule& rule : r.rules) {
        const std::string sev(toString(rule.severity));
        o += "<h3><code>" + htmlEscape(rule.rule) + "</code> <span class=\"tag " + sev + "\">" + sev
            + "</span> <span class=tag>" + htmlEscape(rule.kind) + "</span> " + dataNum("rule." + rule.rule, rule.count)
            + (rule.count == 1 ? " violation" : " violations") + "</h3>\n";
        if (rule.examples.size() < rule.count)
            o += "<p class=muted>The first " + groupedNumber(rule.examples.size()) + " in full.</p>\n";
        for (const ReportExample& x : rule.examples) {
            const Violation& v = x.violation;
            std::string seqs;
            for (qint64 s : v.seqs)
                seqs += (seqs.empty() ? "" : ", ") + std::to_string(s);
            o += "<div class=\"example " + std::string(toString(v.severity)) + "\"><p><b>" + htmlEscape(v.message)
                + "</b><br><span class=muted>" + htmlEscape(x.event) + " · seq " + seqs
                + (v.path.empty() ? std::string() : " · <code>" + htmlEscape(v.path) + "</code>")
                + (x.source.empty() ? std::string() : " · " + htmlEscape(x.source)) + "</span></p>";
            if (!x.eventJson.empty()) {
                const bool open = &x - rule.examples.data() < 3;
                o += std::string(open ? "<details open>" : "<details>") + "<summary>the event</summary><pre>"
                    + jsonToHtml(x.eventJson, v.path) + "</pre></details>";
            }
            o += "</div>\n";
        }
    }
    o += "<footer>Made by EventLens " + htmlEscape(EVENTLENS_VERSION)
        + (r.generatedMs ? " on " + htmlEscape(isoFromMs(r.generatedMs)) : "")
        + ". Self-contained: no script, no request.</footer>\n</body></html>\n";
    return o;
}

std::string renderMarkdownReport(const ReportData& r, std::size_t examples)
{
    std::string o
        = std::string("## EventLens: ") + (r.passed() ? "✅ PASS" : "❌ FAIL") + " — " + contractText(r) + "\n\n";
    o += "| events | errors | warnings | violations | runs | input | time range "
         "|\n|---:|---:|---:|---:|---:|---|---|\n| "
        + groupedNumber(std::uint64_t(r.events)) + " | " + groupedNumber(r.errors) + " | " + groupedNumber(r.warnings)
        + " | " + groupedNumber(r.violations) + " | " + groupedNumber(r.runCount) + " | " + markdownCell(inputsText(r))
        + " | " + timeRangeText(r.firstMs, r.lastMs) + " |\n\n";

    o += "### Runs by runtime_type\n\n| runtime_type | created | finished | success | failed | cancelled | other | "
         "open "
         "| unfinished |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const FunnelRow& f : r.funnel)
        o += "| `" + markdownCell(f.runtimeType) + "` | " + groupedNumber(f.created) + " | " + groupedNumber(f.finished)
            + " | " + groupedNumber(f.success) + " | " + groupedNumber(f.failed) + " | " + groupedNumber(f.cancelled)
            + " | " + groupedNumber(f.other) + " | " + groupedNumber(f.open) + " | " + groupedNumber(f.unfinished)
            + " |\n";

    o += "\n### Coverage\n\n`runtime_type` per event, and the required properties below 100 % or with invalid "
         "values.\n\n| event | events | runtime_type | flagged |\n|---|---:|---|---|\n";
    for (const Json& e : r.coverage) {
        const std::uint64_t count = e.value("count", std::uint64_t(0));
        std::string runtime = "–";
        std::string flagged;
        for (const Json& p : e.value("properties", Json::array())) {
            const std::string name = p.value("name", "");
            const std::uint64_t present = p.value("present", std::uint64_t(0));
            if (name == "runtime_type")
                runtime = percent(present, count) + " (" + valuesText(p, 4) + ")";
            if (p.value("flagged", false)) {
                const std::uint64_t invalid = p.value("invalid", std::uint64_t(0));
                flagged += (flagged.empty() ? "" : ", ") + ("`" + name + "` ") + percent(present, count)
                    + (invalid ? ", " + groupedNumber(invalid) + " invalid" : std::string());
            }
        }
        o += "| `" + markdownCell(e.value("event", "")) + "` | " + groupedNumber(count) + " | " + markdownCell(runtime)
            + " | " + markdownCell(flagged.empty() ? "–" : flagged) + " |\n";
    }

    o += "\n### Violations\n\n";
    if (r.rules.empty())
        o += "None.\n";
    for (const ReportRule& rule : r.rules) {
        o += "**`" + rule.rule + "`** (" + rule.kind + ", " + std::string(toString(rule.severity))
            + "): " + groupedNumber(rule.count) + "\n";
        for (std::size_t i = 0; i < rule.examples.size() && i < examples; ++i) {
            const ReportExample& x = rule.examples[i];
            o += "- " + (x.violation.path.empty() ? std::string() : "`" + x.violation.path + "` ")
                + markdownCell(x.violation.message) + " — " + x.event + (x.source.empty() ? "" : " (" + x.source + ")")
                + "\n";
        }
        if (rule.count > std::min<std::uint64_t>(examples, rule.examples.size()))
            o += "- … " + groupedNumber(rule.count - std::min<std::uint64_t>(examples, rule.examples.size()))
                + " more\n";
        o += "\n";
    }
    o += "<sub>EventLens " + std::string(EVENTLENS_VERSION) + (r.generatedMs ? ", " + isoFromMs(r.generatedMs) : "")
        + "</sub>\n";
    return o;
}

} // namespace el
