// SPDX-License-Identifier: MIT
// The diff as one self-contained HTML file (renderDiffHtml), with the same words as the other renderings
// (diffrender.h).
#include "diff.h"

#include "diffjson.h"
#include "diffrender.h"
#include "reportdata.h"
#include "reportparts.h"

#include <initializer_list>
#include <utility>

namespace el {

using namespace reportdetail;

namespace {

std::string timeRange(const Json& side)
{
    return timeRangeText(qint64(u64(side, "first_ms")), qint64(u64(side, "last_ms")));
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
    const std::string verdict = regressed ? "REGRESSED" : "NO REGRESSION";
    std::string o;
    o.reserve(1 << 15);
    o += htmlHead("EventLens diff: " + verdict + " — " + contractText(s), kDiffCss);

    auto count = [&](const char* key, const char* label) {
        return "<div><b>" + dataSpan(key, at(s, key), groupedNumber(u64(s, key))) + "</b>" + label + "</div>";
    };
    o += "<header class=\"banner " + std::string(regressed ? "fail" : "pass") + "\" data-verdict=\""
        + (regressed ? "regressed" : "pass") + "\"><span class=verdict>" + verdict
        + "</span><h1 style=\"display:inline\">EventLens diff</h1><dl><dt>Contract</dt><dd>"
        + htmlEscape(contractText(s)) + "</dd><dt>Before</dt><dd>" + htmlEscape(inputsText(b)) + " <span>("
        + htmlEscape(timeRange(b)) + ")</span></dd><dt>After</dt><dd>" + htmlEscape(inputsText(a)) + " <span>("
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

    for (const auto& [key, title] : kSections) {
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
                const auto v = sj.find(diffValueField(str(e, "kind")));
                const std::string number = dataSpan(k + "/" + side, v != sj.end() ? *v : Json(0), t.number);
                if (!t.lead)
                    return "<b>" + htmlEscape(t.rest) + "</b><small>" + number
                        + (u64(sj, "present") == 1 ? " event carries it" : " events carry it") + "</small>";
                return "<b class=n>" + number + "</b><small>" + htmlEscape(t.rest) + "</small>";
            };
            o += "<tr><td class=kind><span class=\"" + tag + "\">" + htmlEscape(str(e, "kind"))
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
