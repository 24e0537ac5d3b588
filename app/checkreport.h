// SPDX-License-Identifier: MIT
#pragma once

// `eventlens check`'s report: what it keeps while the inputs are judged (Report, filled by check::Checker,
// checker.h) and its writers (text, JSON, JUnit: checkreport.cpp; HTML and Markdown: el::ReportData,
// core/report/reportdata.h).

#include "piecetext.h"

#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/coverage.h"
#include "report/reportdata.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace check {

/** A violation with what the report says about the events it names, resolved when it is produced. */
struct Reported
{
    el::Violation v;
    std::string event; ///< the name of the event v.seqs.back() (empty when v.seqs is)
    std::vector<std::string> sources; ///< per seq of v.seqs: where that event came from
    const std::string& source() const
    {
        static const std::string none;
        return sources.empty() ? none : sources.back();
    }
};

/**
 * What JUnit needs of one event. JUnit writes one testcase per event by design, so `-f junit` keeps one of these
 * per event: output-sized (the other formats keep nothing per event).
 */
struct EventRecord
{
    std::string name;
    qint64 seq = 0;
    std::string source;
    bool recording = false;
    /// Order rules this event is a `then` of (with its key, when the rule has one): rule index, key dump.
    std::vector<std::pair<std::size_t, std::string>> orderKeys;
};

/// Model: not a format of `check`, the verdict kept in memory for `diff` (judgeInputs()).
enum class Format { Text, Json, Junit, Html, Markdown, Model };

/// A report shows this many violations of each rule in full (HTML; Markdown shows fewer), and this many runs.
constexpr std::size_t kExamplesPerRule = 20;
constexpr std::size_t kRunsShown = 200;

/** Model: the violations of one rule, counted (judgeInputs()). */
struct RuleTally
{
    std::uint64_t count = 0;
    std::uint64_t errors = 0;
    std::uint64_t warnings = 0;
    std::string kind; ///< of its first violation
    std::map<std::string, std::uint64_t> events; ///< by the name of the event each violation names last
    std::map<std::string, std::uint64_t> paths; ///< by JSON pointer
};

/**
 * What the report says. Text and JSON render each violation when it is reported (renderText(), renderJson()) and keep
 * only that text and the counts; JUnit groups violations by event and rule, so it keeps them (\c violations).
 */
struct Report
{
    std::shared_ptr<const el::Contract> contract;
    Format format = Format::Text;
    std::vector<Reported> violations; ///< junit only
    PieceText rendered; ///< text: the violations' lines; json: the elements of "violations", indented
    PieceText renderedRuns; ///< json: the elements of "runs", indented
    std::size_t violationCount = 0;
    std::map<std::string, int> byKind;
    std::map<std::string, int> byRule;
    std::vector<el::RunInfo> runs; ///< junit only (json renders them at the end, text has none)
    std::vector<EventRecord> records; ///< junit only, per event
    qint64 events = 0;
    int requests = 0;
    int skippedRequests = 0;
    int recordings = 0;
    int errors = 0;
    int warnings = 0;
    /// json, html, markdown: property coverage (the workers' counts are added to it at the end)
    std::unique_ptr<el::Coverage> coverage;
    /// html, markdown: violations by rule with the first kExamplesPerRule in full, the funnel, the first runs
    el::ReportData data;
    std::unordered_map<std::string, std::size_t> ruleIndex; ///< rule id -> index in data.rules
    el::Funnel funnel;
    std::map<std::string, RuleTally> tally; ///< model only, by rule id
    std::uint64_t runCount = 0; ///< model only
    bool visual() const { return format == Format::Html || format == Format::Markdown; }
};

/** "checked N events against NAME VERSION: E errors, W warnings" (or ": no violations"). */
std::string summaryLine(const Report& r);

/** Text: appends \a rv's line to \a text. */
void renderText(const Reported& rv, PieceText& text);

/** JSON: el::Json::dump(2) with invalid UTF-8 replaced. */
std::string dump2(const el::Json& j);
/**
 * Appends \a element, a dump(2) text, to \a out as an element of a top-level array of a dump(2) object (\a first:
 * the array's first element).
 */
void appendIndented(const std::string& element, bool first, std::string& out);
/** JSON: appends \a rv to \a out as an element of the report's "violations". */
void renderJson(const Reported& rv, PieceText& out);

/** A part of the report to write: text, or a PieceText (\c text is then unused). */
struct Part
{
    std::string_view text;
    const PieceText* pieces = nullptr;
};

/**
 * The JSON report as parts to write in order (the violations are not copied into one string): the same bytes
 * as dump(2) of the whole report as one DOM, which is never built. \a storage owns the texts.
 */
std::vector<Part> formatJson(const Report& r, std::vector<std::string>& storage);

/** Hands \a parts to \a write in order; false when it fails, or with \a error when a PieceText's file does. */
bool writeParts(const std::vector<Part>& parts, const PieceText::Sink& write, std::string& error);

/**
 * The JUnit report: a testsuite "events" with a testcase per event (schema, global and unplanned violations), and
 * a testsuite "sequences" with one per pair instance, per order-rule check and per uniqueness rule.
 */
std::string formatJunit(const Report& r);

} // namespace check
