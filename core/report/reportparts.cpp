// SPDX-License-Identifier: MIT
// The pieces every report writes (reportdata.h's shared ones, reportparts.h's private ones): escaping, numbers,
// the style sheet, the HTML head, a JSON document as HTML with one member marked, and counting a rule's violations.
#include "reportparts.h"
#include "reportdata.h"

#include "util/isotime.h"
#include "util/text.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace el {

ReportRule& countRuleViolation(
    std::vector<ReportRule>& rules, std::unordered_map<std::string, std::size_t>& index, const Violation& v)
{
    const auto [it, inserted] = index.try_emplace(v.rule, rules.size());
    if (inserted) {
        ReportRule rule;
        rule.rule = v.rule;
        rule.kind = std::string(toString(v.kind));
        rule.severity = v.severity;
        rules.push_back(std::move(rule));
    }
    ReportRule& rule = rules[it->second];
    ++rule.count;
    return rule;
}

} // namespace el

namespace el {

namespace {

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
            renderMember("<span class=k>" + htmlEscape(Json(it.key()).dump()) + "</span>: ", *it, child, target,
                indent + 2, i + 1 == v.size() && missing.empty(), out);
        }
        if (!missing.empty())
            out += std::string(std::size_t(indent + 2), ' ') + "<mark class=absent>" + htmlEscape(Json(missing).dump())
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
        + htmlEscape(v.dump(-1, ' ', false, Json::error_handler_t::replace)) + "</span>";
}

} // namespace

std::string htmlEscape(std::string_view s)
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

std::string markdownCell(const std::string& s)
{
    // pipes and line breaks would break the row
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

std::string groupedNumber(std::uint64_t n)
{
    std::string s = std::to_string(n);
    for (int i = int(s.size()) - 3; i > 0; i -= 3)
        s.insert(std::size_t(i), ",");
    return s;
}

const char* reportCss()
{
    return kCss;
}

std::string jsonToHtml(const std::string& json, const std::string& pointer)
{
    const Json doc = Json::parse(json, nullptr, false);
    if (doc.is_discarded())
        return htmlEscape(json);
    std::string out;
    renderJson(doc, std::string(), pointer, 0, out);
    return out;
}

namespace reportdetail {

std::string htmlHead(const std::string& title, const char* extraCss)
{
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
           "img-src data:\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
        + htmlEscape(title) + "</title>\n<style>" + kCss + extraCss + "</style></head><body>\n";
}

std::string dataSpan(const std::string& key, const Json& value, const std::string& shown)
{
    return "<span data-k=\"" + htmlEscape(key) + "\" data-v=\"" + htmlEscape(value.dump()) + "\">" + htmlEscape(shown)
        + "</span>";
}

std::string timeRangeText(qint64 firstMs, qint64 lastMs)
{
    return firstMs ? isoFromMs(firstMs) + " – " + isoFromMs(lastMs) : std::string("no events");
}

std::string pct(double share)
{
    char buf[32];
    const double p = 100.0 * share;
    const bool fine = (p > 0 && p < 0.05) || (p >= 99.95 && p < 100);
    std::snprintf(buf, sizeof buf, fine ? "%.2f %%" : "%.1f %%", p);
    return buf;
}

std::string percent(std::uint64_t part, std::uint64_t whole)
{
    return whole == 0 ? std::string("–") : pct(double(part) / double(whole));
}

std::string namedCounts(const Json& counts)
{
    std::string out;
    if (counts.is_object()) {
        for (auto it = counts.begin(); it != counts.end(); ++it)
            out += (out.empty() ? "" : ", ") + it.key() + " " + groupedNumber(it->get<std::uint64_t>());
    }
    return out;
}

std::string topCounts(const Json& counts, std::size_t limit, const std::string& emptyName)
{
    std::vector<std::pair<std::uint64_t, std::string>> v;
    if (counts.is_object()) {
        for (auto it = counts.begin(); it != counts.end(); ++it)
            v.emplace_back(it->is_number() ? it->get<std::uint64_t>() : 0, it.key().empty() ? emptyName : it.key());
    }
    std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < limit; ++i)
        out += (out.empty() ? "" : ", ") + v[i].second + " " + groupedNumber(v[i].first);
    if (v.size() > limit)
        out += ", … (" + std::to_string(v.size() - limit) + " more)";
    return out;
}

} // namespace reportdetail

} // namespace el
