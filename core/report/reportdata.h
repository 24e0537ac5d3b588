// SPDX-License-Identifier: MIT
#pragma once

#include "contract/contractengine.h"
#include "model/verdict.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

/// What a report shows (issue 16), whoever made it (`eventlens check`, the window's File ▸ Export Report…), and
/// the two renderings a person can attach: self-contained HTML and Markdown.
namespace el {

/** How a run ended, from its state and the value at the rule's result pointer. */
enum class RunOutcome { Success, Failed, Cancelled, OtherFinished, Open, Unfinished, Orphan };
RunOutcome runOutcome(const RunInfo& run);

/** Runs of one runtime_type (the value pinned on the start event), by outcome. */
struct FunnelRow
{
    std::string runtimeType; ///< the value, "missing", or the JSON text of a value that is not a string
    std::uint64_t created = 0; ///< runs with a start event (orphan ends are not created runs)
    std::uint64_t finished = 0; ///< success + failed + cancelled + other
    std::uint64_t success = 0;
    std::uint64_t failed = 0;
    std::uint64_t cancelled = 0;
    std::uint64_t other = 0; ///< finished with a result that is none of the above
    std::uint64_t open = 0;
    std::uint64_t unfinished = 0;
};

/** The runtime funnel, counted run by run: the planned values (amr_cloud, byok, local_cli, none) always listed. */
class Funnel
{
public:
    Funnel();
    void add(const RunInfo& run);
    /** The same, with the run's runtime_type text given (the window's own reading of the value). */
    void add(const RunInfo& run, const std::string& runtimeType);
    /** The runtime_type text of a run: the value pinned on its start, "missing", or its JSON text. */
    static std::string runtimeTypeOf(const RunInfo& run);
    /** Planned values first, in that order, then "missing", then the others by name. */
    std::vector<FunnelRow> rows() const;

private:
    std::map<std::string, FunnelRow> m_rows;
};

/**
 * The runs a report lists: up to \a limit, those that went wrong first (a pinned mismatch, no end, no start), then
 * the others, each in creation order. Runs come one at a time (a report need not hold them all), in creation order
 * or, from a ContractEngine run sink, in any order with their creation order given.
 */
class RunsShown
{
public:
    explicit RunsShown(std::size_t limit = 200)
        : m_limit(limit)
    { }
    void add(RunInfo run) { add(std::move(run), m_next++); }
    void add(RunInfo run, std::uint64_t order);
    std::vector<RunInfo> take();

private:
    using Ordered = std::pair<std::uint64_t, RunInfo>;
    std::size_t m_limit;
    std::uint64_t m_next = 0;
    std::vector<Ordered> m_wrong; ///< a max-heap on the order while adding: the first \c m_limit stay
    std::vector<Ordered> m_fine;
};

/** One violation shown in full: the event it names (the last of its seqs) as it came, compact JSON. */
struct ReportExample
{
    Violation violation;
    std::string event; ///< the event's name
    std::string source; ///< where it came from ("FILE:LINE", "request 12")
    std::string eventJson; ///< compact JSON of the event, or empty (not kept)
};

/** The violations of one rule: how many, and the first few in full. */
struct ReportRule
{
    std::string rule;
    std::string kind; ///< of the first violation
    Severity severity = Severity::Error;
    std::uint64_t count = 0;
    std::vector<ReportExample> examples;
};

/**
 * The entry of \a v's rule in \a rules, its count raised by one. A rule is added at its first violation (with that
 * violation's kind and severity), so rules are listed in the order they first failed. \a index maps a rule's name to
 * its position in \a rules.
 */
ReportRule& countRuleViolation(
    std::vector<ReportRule>& rules, std::unordered_map<std::string, std::size_t>& index, const Violation& v);

struct ReportData
{
    std::string contractName;
    std::string contractVersion;
    std::string contractOrigin;
    std::vector<std::string> inputs; ///< files, or a description of the session
    qint64 firstMs = 0; ///< the earliest and latest event times (0: no events)
    qint64 lastMs = 0;
    qint64 events = 0;
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::uint64_t warnings = 0;
    std::uint64_t violations = 0;
    std::vector<FunnelRow> funnel;
    std::vector<RunInfo> runs; ///< the runs shown (the maker chooses which; runCount counts them all)
    std::uint64_t runCount = 0; ///< every run
    Json coverage = Json::array(); ///< Coverage::toJson()
    std::vector<ReportRule> rules; ///< in the order of their first violation
    qint64 generatedMs = 0;
    bool passed() const { return errors == 0; }
};

/** One self-contained HTML file: no script, no request (a Content-Security-Policy forbids any), prints to PDF. */
std::string renderHtmlReport(const ReportData& r);
/** Short enough for a pull-request comment: verdict, funnel, coverage and the first \a examples of each rule. */
std::string renderMarkdownReport(const ReportData& r, std::size_t examples = 3);

/** \a json (compact or not) indented, HTML-escaped, with the member at \a pointer marked (or where it is missing). */
std::string jsonToHtml(const std::string& json, const std::string& pointer);

// Pieces the reports share (the check report above, the diff report of report/diff.h).

/** \a s with `&`, `<`, `>` and `"` escaped for HTML text and attribute values. */
std::string htmlEscape(std::string_view s);
/** \a s as a Markdown table cell: pipes escaped, line breaks made spaces. */
std::string markdownCell(const std::string& s);
/** \a n with thousands separators: "12,345". */
std::string groupedNumber(std::uint64_t n);
/** The style sheet of the HTML reports (inline, no external resource). */
const char* reportCss();

} // namespace el
