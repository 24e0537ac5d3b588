// SPDX-License-Identifier: MIT
#include "reportdata.h"

#include "transport/httprequest.h" // asciiLower
#include "util/isotime.h"
#include "util/text.h"

#include <algorithm>
#include <cstdio>

namespace el {

namespace {

const char* const kPlanned[] = {"amr_cloud", "byok", "local_cli", "none"};

std::string html(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

/** Markdown table cell: pipes and newlines would break the row. */
std::string cell(std::string s)
{
    std::string out;
    for (const char c : s) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n' || c == '\r')
            out += ' ';
        else
            out += c;
    }
    return out;
}

std::string percent(std::uint64_t part, std::uint64_t whole)
{
    if (whole == 0)
        return "–";
    char buf[32];
    const double p = 100.0 * double(part) / double(whole);
    std::snprintf(buf, sizeof buf, p >= 99.95 && part < whole ? "%.2f %%" : "%.1f %%", p);
    return buf;
}

std::string num(std::uint64_t n)
{
    std::string s = std::to_string(n);
    for (int i = int(s.size()) - 3; i > 0; i -= 3)
        s.insert(std::size_t(i), ",");
    return s;
}

/** The values of a coverage entry, most frequent first: "byok 3, amr_cloud 1", at most \a limit of them. */
std::string valuesText(const Json& property, std::size_t limit)
{
    const auto values = property.find("values");
    if (values == property.end() || !values->is_object()) {
        std::string types;
        const auto t = property.find("types");
        if (t != property.end())
            for (auto it = t->begin(); it != t->end(); ++it)
                types += (types.empty() ? "" : ", ") + it.key() + " " + num(it->get<std::uint64_t>());
        return "many values (" + types + ")";
    }
    std::vector<std::pair<std::uint64_t, std::string>> sorted;
    for (auto it = values->begin(); it != values->end(); ++it)
        sorted.emplace_back(it->get<std::uint64_t>(), it.key());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string out;
    for (std::size_t i = 0; i < sorted.size() && i < limit; ++i)
        out += (out.empty() ? "" : ", ") + sorted[i].second + " " + num(sorted[i].first);
    if (sorted.size() > limit)
        out += ", … (" + std::to_string(sorted.size() - limit) + " more)";
    return out;
}

// --- JSON with a marked member ----------------------------------------------------------------------------------

void renderJson(const Json& v, const std::string& path, const std::string& target, int indent, std::string& out);

void renderMember(const std::string& keyText, const Json& value, const std::string& path, const std::string& target,
    int indent, bool last, std::string& out)
{
    const bool hit = path == target;
    out += std::string(std::size_t(indent), ' ');
    if (hit)
        out += "<mark>";
    out += keyText;
    renderJson(value, path, target, indent, out);
    if (hit)
        out += "</mark>";
    out += last ? "\n" : ",\n";
}

void renderJson(const Json& v, const std::string& path, const std::string& target, int indent, std::string& out)
{
    const bool parentOfMissing = target.size() > path.size() && target.compare(0, path.size(), path) == 0
        && target[path.size()] == '/' && target.find('/', path.size() + 1) == std::string::npos;
    if (v.is_object()) {
        std::string missing;
        if (parentOfMissing) {
            // "/a~1b" names the member "a/b": unescape the last token to see whether it is there
            std::string token = target.substr(path.size() + 1);
            for (std::size_t at; (at = token.find("~1")) != std::string::npos;)
                token.replace(at, 2, "/");
            for (std::size_t at; (at = token.find("~0")) != std::string::npos;)
                token.replace(at, 2, "~");
            if (!v.contains(token))
                missing = token;
        }
        if (v.empty() && missing.empty()) {
            out += "{}";
            return;
        }
        out += "{\n";
        std::size_t i = 0;
        for (auto it = v.begin(); it != v.end(); ++it, ++i) {
            const std::string child = path + "/" + jsonPointerEscape(it.key());
            renderMember("<span class=k>" + html(Json(it.key()).dump()) + "</span>: ", *it, child, target, indent + 2,
                i + 1 == v.size() && missing.empty(), out);
        }
        if (!missing.empty())
            out += std::string(std::size_t(indent + 2), ' ') + "<mark class=absent>" + html(Json(missing).dump())
                + ": (missing)</mark>\n";
        out += std::string(std::size_t(indent), ' ') + "}";
        return;
    }
    if (v.is_array()) {
        if (v.empty()) {
            out += "[]";
            return;
        }
        out += "[\n";
        for (std::size_t i = 0; i < v.size(); ++i)
            renderMember(
                std::string(), v[i], path + "/" + std::to_string(i), target, indent + 2, i + 1 == v.size(), out);
        out += std::string(std::size_t(indent), ' ') + "]";
        return;
    }
    out += "<span class=" + std::string(v.is_string() ? "s" : "v") + ">"
        + html(v.dump(-1, ' ', false, Json::error_handler_t::replace)) + "</span>";
}

// --- HTML pieces ------------------------------------------------------------------------------------------------

const char* const kCss = R"css(
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:22px;margin:0}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}
.banner{border-radius:8px;padding:16px 20px;color:#fff}.banner.pass{background:var(--ok)}.banner.fail{background:var(--bad)}
.banner .verdict{font-size:28px;font-weight:700;letter-spacing:1px;margin-right:12px}
.banner dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:10px 0 0}.banner dt{opacity:.85}.banner dd{margin:0}
.counts{display:flex;gap:12px;margin:14px 0 0;flex-wrap:wrap}.counts div{background:rgba(255,255,255,.16);border-radius:6px;padding:6px 12px}
.counts b{font-size:20px;display:block}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--bg)}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.flag td{background:#fff1e5}tr.mismatch td{background:#ffebe9}.tag{display:inline-block;border-radius:10px;padding:0 7px;font-size:12px;background:var(--bg);border:1px solid var(--line)}
.tag.error{background:#ffebe9;border-color:#ffcecb;color:var(--bad)}.tag.warning{background:#fff8c5;border-color:#eed888;color:var(--warn)}
.bar{display:inline-block;height:8px;border-radius:4px;background:var(--ok);vertical-align:middle;margin-right:6px}.bar.low{background:var(--bad)}
.muted{color:var(--muted)}code{background:var(--bg);padding:0 4px;border-radius:4px}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow-x:auto;font-size:12px;line-height:1.35;white-space:pre-wrap;word-break:break-all}
pre .k{color:#0550ae}pre .s{color:#0a3069}pre .v{color:#8250df}mark{background:#ffd8b5;border-radius:3px}mark.absent{background:#ffebe9;color:var(--bad)}
.example{border-left:3px solid var(--line);padding-left:10px;margin:10px 0}.example.error{border-color:var(--bad)}.example.warning{border-color:#d4a72c}
footer{margin-top:32px;color:var(--muted);font-size:12px}
summary{cursor:pointer;color:var(--muted);margin:4px 0}table.cov{table-layout:fixed}table.cov td{overflow-wrap:anywhere}
@media print{body{padding:0;max-width:none}details:not([open]){display:none}.banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}tr,pre,.example{break-inside:avoid}h2{break-after:avoid}}
)css";

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
        svg += "<text x='0' y='" + std::to_string(y + 15) + "' font-size='12'>" + html(r.runtimeType) + "</text>";
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
            + num(r.created) + " created</text>";
    }
    return svg + "</svg>";
}

std::string dataNum(const std::string& key, std::uint64_t n)
{
    return "<span data-k=\"" + html(key) + "\" data-v=\"" + std::to_string(n) + "\">" + num(n) + "</span>";
}

std::string stateText(const RunInfo& run)
{
    return std::string(toString(run.state));
}

} // namespace

std::string htmlEscape(std::string_view s)
{
    return html(s);
}

std::string markdownCell(const std::string& s)
{
    return cell(s);
}

std::string groupedNumber(std::uint64_t n)
{
    return num(n);
}

const char* reportCss()
{
    return kCss;
}

RunOutcome runOutcome(const RunInfo& run)
{
    switch (run.state) {
    case RunState::Open:
        return RunOutcome::Open;
    case RunState::Unfinished:
        return RunOutcome::Unfinished;
    case RunState::Orphan:
        return RunOutcome::Orphan;
    case RunState::Finished:
        break;
    }
    const Json& r = run.result;
    if (r.is_boolean())
        return r.get<bool>() ? RunOutcome::Success : RunOutcome::Failed;
    if (r.is_string()) {
        const std::string s = asciiLower(r.get<std::string>());
        for (const char* ok : {"success", "succeeded", "successful", "ok", "completed", "complete", "done", "passed"}) {
            if (s == ok)
                return RunOutcome::Success;
        }
        for (const char* bad : {"failed", "failure", "fail", "error", "errored", "crashed", "timeout", "timed_out"}) {
            if (s == bad)
                return RunOutcome::Failed;
        }
        for (const char* cancel : {"cancelled", "canceled", "cancel", "aborted", "abort", "interrupted", "stopped"}) {
            if (s == cancel)
                return RunOutcome::Cancelled;
        }
    }
    return RunOutcome::OtherFinished;
}

Funnel::Funnel()
{
    for (const char* p : kPlanned)
        m_rows[p].runtimeType = p;
}

std::string Funnel::runtimeTypeOf(const RunInfo& run)
{
    const auto it = run.pinned.find("runtime_type");
    if (it == run.pinned.end())
        return "missing";
    return it->is_string() ? it->get<std::string>() : it->dump();
}

void Funnel::add(const RunInfo& run)
{
    add(run, runtimeTypeOf(run));
}

void Funnel::add(const RunInfo& run, const std::string& type)
{
    const RunOutcome outcome = runOutcome(run);
    if (outcome == RunOutcome::Orphan)
        return; // no start: not a created run
    FunnelRow& r = m_rows[type];
    r.runtimeType = type;
    ++r.created;
    switch (outcome) {
    case RunOutcome::Success:
        ++r.finished;
        ++r.success;
        break;
    case RunOutcome::Failed:
        ++r.finished;
        ++r.failed;
        break;
    case RunOutcome::Cancelled:
        ++r.finished;
        ++r.cancelled;
        break;
    case RunOutcome::OtherFinished:
        ++r.finished;
        ++r.other;
        break;
    case RunOutcome::Open:
        ++r.open;
        break;
    case RunOutcome::Unfinished:
        ++r.unfinished;
        break;
    case RunOutcome::Orphan:
        break;
    }
}

std::vector<FunnelRow> Funnel::rows() const
{
    std::vector<FunnelRow> out;
    for (const char* p : kPlanned)
        out.push_back(m_rows.at(p));
    const auto missing = m_rows.find("missing");
    if (missing != m_rows.end())
        out.push_back(missing->second);
    for (const auto& [name, row] : m_rows) {
        if (name != "missing" && std::find_if(std::begin(kPlanned), std::end(kPlanned), [&](const char* p) {
                return name == p;
            }) == std::end(kPlanned))
            out.push_back(row);
    }
    return out;
}

void RunsShown::add(RunInfo run, std::uint64_t order)
{
    const bool wrong = run.pinnedMismatches > 0 || run.state != RunState::Finished;
    std::vector<Ordered>& list = wrong ? m_wrong : m_fine;
    const auto later = [](const Ordered& a, const Ordered& b) { return a.first < b.first; };
    if (list.size() < m_limit) {
        list.emplace_back(order, std::move(run));
        std::push_heap(list.begin(), list.end(), later);
    } else if (m_limit > 0 && order < list.front().first) { // an earlier run than the latest kept
        std::pop_heap(list.begin(), list.end(), later);
        list.back() = Ordered(order, std::move(run));
        std::push_heap(list.begin(), list.end(), later);
    }
}

std::vector<RunInfo> RunsShown::take()
{
    const auto earlier = [](const Ordered& a, const Ordered& b) { return a.first < b.first; };
    std::sort(m_wrong.begin(), m_wrong.end(), earlier);
    std::sort(m_fine.begin(), m_fine.end(), earlier);
    std::vector<RunInfo> out;
    for (Ordered& o : m_wrong)
        out.push_back(std::move(o.second));
    for (std::size_t i = 0; i < m_fine.size() && out.size() < m_limit; ++i)
        out.push_back(std::move(m_fine[i].second));
    m_wrong.clear();
    m_fine.clear();
    return out;
}

std::string jsonToHtml(const std::string& json, const std::string& pointer)
{
    const Json doc = Json::parse(json, nullptr, false);
    if (doc.is_discarded())
        return html(json);
    std::string out;
    renderJson(doc, std::string(), pointer, 0, out);
    return out;
}

std::string renderHtmlReport(const ReportData& r)
{
    const std::string contract = r.contractName + (r.contractVersion.empty() ? "" : " " + r.contractVersion);
    std::string inputs;
    for (const std::string& i : r.inputs)
        inputs += (inputs.empty() ? "" : ", ") + i;
    std::string o;
    o.reserve(1 << 16);
    o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "img-src data:\">\n<meta name=\"viewport\" content=\"width=device-width, "
         "initial-scale=1\">\n<title>EventLens: "
        + std::string(r.passed() ? "PASS" : "FAIL") + " — " + html(contract) + "</title>\n<style>" + kCss
        + "</style></head><body>\n";

    // Verdict banner
    o += "<header class=\"banner " + std::string(r.passed() ? "pass" : "fail") + "\" data-verdict=\""
        + (r.passed() ? "pass" : "fail") + "\"><span class=verdict>" + (r.passed() ? "PASS" : "FAIL")
        + "</span><h1 style=\"display:inline\">EventLens report</h1><dl>" + "<dt>Contract</dt><dd>" + html(contract)
        + (r.contractOrigin.empty() ? "" : " <span>(" + html(r.contractOrigin) + ")</span>") + "</dd><dt>Input</dt><dd>"
        + html(inputs.empty() ? "-" : inputs) + "</dd><dt>Time range</dt><dd>"
        + (r.firstMs ? html(isoFromMs(r.firstMs)) + " – " + html(isoFromMs(r.lastMs)) : std::string("no events"))
        + "</dd></dl>" + "<div class=counts><div><b>" + dataNum("events", std::uint64_t(r.events))
        + "</b>events</div><div><b>" + dataNum("errors", r.errors) + "</b>errors</div><div><b>"
        + dataNum("warnings", r.warnings) + "</b>warnings</div><div><b>" + dataNum("violations", r.violations)
        + "</b>violations</div><div><b>" + dataNum("runs", r.runCount) + "</b>runs</div></div></header>\n";

    // Funnel
    o += "<h2>Runs by runtime_type</h2>\n<p class=muted>Per value of <code>runtime_type</code> pinned on the start "
         "event. A run is created by its start event; orphan ends are not counted here.</p>\n"
        + funnelSvg(r.funnel)
        + "\n<table><tr><th>runtime_type</th><th>created</th><th>finished</th><th>success</th><th>failed</th>"
          "<th>cancelled</th><th>other</th><th>open</th><th>unfinished</th></tr>\n";
    for (const FunnelRow& f : r.funnel) {
        const std::string k = "funnel." + f.runtimeType + ".";
        o += "<tr><td><code>" + html(f.runtimeType) + "</code></td><td class=n>" + dataNum(k + "created", f.created)
            + "</td><td class=n>" + dataNum(k + "finished", f.finished) + "</td><td class=n>"
            + dataNum(k + "success", f.success) + "</td><td class=n>" + dataNum(k + "failed", f.failed)
            + "</td><td class=n>" + dataNum(k + "cancelled", f.cancelled) + "</td><td class=n>"
            + dataNum(k + "other", f.other) + "</td><td class=n>" + dataNum(k + "open", f.open) + "</td><td class=n>"
            + dataNum(k + "unfinished", f.unfinished) + "</td></tr>\n";
    }
    o += "</table>\n";

    // Runs
    o += "<h2>Runs</h2>\n";
    if (r.runs.empty()) {
        o += "<p class=muted>No runs (no pair rule matched).</p>\n";
    } else {
        if (r.runs.size() < r.runCount)
            o += "<p class=muted>" + num(r.runs.size()) + " of " + num(r.runCount)
                + " runs: those that went wrong first (a pinned mismatch, no end, no start), then the others in "
                  "order. The JSON report lists them all.</p>\n";
        o += "<table><tr><th>rule</th><th>key</th><th>runtime_type</th><th>state</th><th>result</th><th>start "
             "seq</th><th>end seq</th><th>duration</th><th>pinned mismatches</th></tr>\n";
        for (const RunInfo& run : r.runs) {
            const bool bad = run.pinnedMismatches > 0;
            const std::string duration = run.startSeq && run.endSeq && run.endMs >= run.startMs
                ? num(std::uint64_t(run.endMs - run.startMs)) + " ms"
                : "";
            o += std::string(bad ? "<tr class=mismatch>" : "<tr>") + "<td>" + html(run.rule) + "</td><td><code>"
                + html(run.key.is_string() ? run.key.get<std::string>() : run.key.dump()) + "</code></td><td>"
                + html(Funnel::runtimeTypeOf(run)) + "</td><td>" + html(stateText(run)) + "</td><td>"
                + html(run.result.is_null()      ? std::string()
                        : run.result.is_string() ? run.result.get<std::string>()
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
        o += "<h3><code>" + html(event) + "</code> · " + dataNum("coverage." + event + ".count", count)
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
            row += std::string(flagged ? "<tr class=flag>" : "<tr>") + "<td><code>" + html(name) + "</code>"
                + (p.value("required", false) ? " <span class=tag>required</span>" : "")
                + (flagged ? " <span class=\"tag error\">flagged</span>" : "") + "</td><td><span class=\"bar"
                + (share < 1 ? " low" : "") + "\" style=\"width:" + std::to_string(int(share * 50)) + "px\"></span>"
                + dataNum("coverage." + event + "." + name + ".present", present) + " (" + percent(present, count)
                + ")</td><td class=n>" + num(p.value("missing", std::uint64_t(0))) + "</td><td class=n>"
                + num(p.value("invalid", std::uint64_t(0))) + "</td><td>" + html(valuesText(p, 8)) + "</td></tr>\n";
        }
        if (!planned.empty())
            o += head + planned + "</table>\n";
        if (!other.empty())
            o += "<details><summary>" + num(others) + (others == 1 ? " property" : " properties")
                + " the contract does not name</summary>\n" + head + other + "</table></details>\n";
    }

    // Violations
    o += "<h2>Violations</h2>\n";
    if (r.rules.empty())
        o += "<p>None.</p>\n";
    for (const ReportRule& rule : r.rules) {
        const std::string sev(toString(rule.severity));
        o += "<h3><code>" + html(rule.rule) + "</code> <span class=\"tag " + sev + "\">" + sev
            + "</span> <span class=tag>" + html(rule.kind) + "</span> " + dataNum("rule." + rule.rule, rule.count)
            + (rule.count == 1 ? " violation" : " violations") + "</h3>\n";
        if (rule.examples.size() < rule.count)
            o += "<p class=muted>The first " + num(rule.examples.size()) + " in full.</p>\n";
        for (const ReportExample& x : rule.examples) {
            const Violation& v = x.violation;
            std::string seqs;
            for (qint64 s : v.seqs)
                seqs += (seqs.empty() ? "" : ", ") + std::to_string(s);
            o += "<div class=\"example " + std::string(toString(v.severity)) + "\"><p><b>" + html(v.message)
                + "</b><br><span class=muted>" + html(x.event) + " · seq " + seqs
                + (v.path.empty() ? std::string() : " · <code>" + html(v.path) + "</code>")
                + (x.source.empty() ? std::string() : " · " + html(x.source)) + "</span></p>";
            if (!x.eventJson.empty()) {
                const bool open = &x - rule.examples.data() < 3;
                o += std::string(open ? "<details open>" : "<details>") + "<summary>the event</summary><pre>"
                    + jsonToHtml(x.eventJson, v.path) + "</pre></details>";
            }
            o += "</div>\n";
        }
    }
    o += "<footer>Made by EventLens " + html(EVENTLENS_VERSION)
        + (r.generatedMs ? " on " + html(isoFromMs(r.generatedMs)) : "")
        + ". Self-contained: no script, no request.</footer>\n</body></html>\n";
    return o;
}

std::string renderMarkdownReport(const ReportData& r, std::size_t examples)
{
    const std::string contract = r.contractName + (r.contractVersion.empty() ? "" : " " + r.contractVersion);
    std::string inputs;
    for (const std::string& i : r.inputs)
        inputs += (inputs.empty() ? "" : ", ") + i;
    std::string o = std::string("## EventLens: ") + (r.passed() ? "✅ PASS" : "❌ FAIL") + " — " + contract + "\n\n";
    o += "| events | errors | warnings | violations | runs | input | time range "
         "|\n|---:|---:|---:|---:|---:|---|---|\n| "
        + num(std::uint64_t(r.events)) + " | " + num(r.errors) + " | " + num(r.warnings) + " | " + num(r.violations)
        + " | " + num(r.runCount) + " | " + cell(inputs.empty() ? "-" : inputs) + " | "
        + (r.firstMs ? isoFromMs(r.firstMs) + " – " + isoFromMs(r.lastMs) : std::string("no events")) + " |\n\n";

    o += "### Runs by runtime_type\n\n| runtime_type | created | finished | success | failed | cancelled | other | "
         "open "
         "| unfinished |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const FunnelRow& f : r.funnel)
        o += "| `" + cell(f.runtimeType) + "` | " + num(f.created) + " | " + num(f.finished) + " | " + num(f.success)
            + " | " + num(f.failed) + " | " + num(f.cancelled) + " | " + num(f.other) + " | " + num(f.open) + " | "
            + num(f.unfinished) + " |\n";

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
                    + (invalid ? ", " + num(invalid) + " invalid" : std::string());
            }
        }
        o += "| `" + cell(e.value("event", "")) + "` | " + num(count) + " | " + cell(runtime) + " | "
            + cell(flagged.empty() ? "–" : flagged) + " |\n";
    }

    o += "\n### Violations\n\n";
    if (r.rules.empty())
        o += "None.\n";
    for (const ReportRule& rule : r.rules) {
        o += "**`" + rule.rule + "`** (" + rule.kind + ", " + std::string(toString(rule.severity))
            + "): " + num(rule.count) + "\n";
        for (std::size_t i = 0; i < rule.examples.size() && i < examples; ++i) {
            const ReportExample& x = rule.examples[i];
            o += "- " + (x.violation.path.empty() ? std::string() : "`" + x.violation.path + "` ")
                + cell(x.violation.message) + " — " + x.event + (x.source.empty() ? "" : " (" + x.source + ")") + "\n";
        }
        if (rule.count > std::min<std::uint64_t>(examples, rule.examples.size()))
            o += "- … " + num(rule.count - std::min<std::uint64_t>(examples, rule.examples.size())) + " more\n";
        o += "\n";
    }
    o += "<sub>EventLens " + std::string(EVENTLENS_VERSION) + (r.generatedMs ? ", " + isoFromMs(r.generatedMs) : "")
        + "</sub>\n";
    return o;
}

} // namespace el
