// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h" // el::Json

#include <string>

/// `eventlens diff` (issue 17): what changed between two recordings judged with the same contract, and its
/// renderings. Pure functions of the two verdicts: no file, no widget.
namespace el {

class Contract;

/// Thresholds (README, "`eventlens diff`: compare with a baseline").
struct DiffThresholds
{
    /// coverage_drop / coverage_gain: the share of the event's events carrying the property moved by at least this
    /// (0.01 = 1 percentage point).
    static constexpr double kCoverage = 0.01;
    /// value_drift: the total variation distance between the value shares of both sides is at least this.
    static constexpr double kDrift = 0.10;
    /// violation_new / violation_fixed and runs_unfinished, when both sides have some: the after count is at least
    /// this factor above (below) the before count scaled to the after side's size, and by at least kMinExcess.
    static constexpr double kRate = 1.25;
    static constexpr double kMinExcess = 1.0;
    /// `events[].notable`: the event's share of all events changed by at least this factor (either way).
    static constexpr double kCountRatio = 1.5;
};

/**
 * Compares two verdicts, \a before (the baseline) and \a after, each as judgeInputs() (app/checkcommand.h) makes it:
 * `contract`, `inputs`, `events`, `coverage` (Coverage::toJson()), `funnel`, `rules`, `summary`. The output of
 * `check -f json` works too (then the funnel is counted from `runs`, and the rules come from `summary.by_rule`
 * without their events). \a contract (may be null) tells which events are planned and which properties are enums.
 *
 * Returns {"regressions": [...], "improvements": [...], "changes": [...], "events": [...], "runs": [...],
 * "summary": {...}}. Each entry has `kind`, `event` and `property` (null where they do not apply), `before` and
 * `after`; some kinds add fields (`rule`, `runtime_type`, `distance`, `planned`). Entries are sorted by kind (in the
 * order of the list below), then event, property, rule and runtime_type.
 *
 * Kinds: event_missing, event_new, coverage_drop, coverage_gain, property_removed, property_added, type_change,
 * value_drift, violation_new, violation_fixed, runs_unfinished. A regression is a planned event missing, a drop in
 * the coverage of a property the contract names (or a super-property), a new violation (or a rule violated more
 * often), or more runs left unfinished.
 */
Json diffReports(const Json& before, const Json& after, const Contract* contract);

/** True when \a diff has a regression (`eventlens diff` exits 1). */
bool diffRegressed(const Json& diff);
/** "REGRESSED: 2 regressions, 0 improvements, 3 other changes (40 → 40 events)", or "no regression: ...". */
std::string diffVerdictLine(const Json& diff);

/**
 * The JSON report: \a diff indented by 2, its keys in reading order (regressions, improvements, changes, events,
 * runs, summary; in an entry kind, event, property, rule, runtime_type, before, after, then the others by name).
 */
std::string renderDiffJson(const Json& diff);
/** For a terminal: a header, then Regressions, Improvements and Other changes, one line each, then counts and runs. */
std::string renderDiffText(const Json& diff);
/** Short enough for a pull-request comment: the verdict, the entries (at most \a rows), the runs that changed. */
std::string renderDiffMarkdown(const Json& diff, std::size_t rows = 40);
/**
 * One self-contained HTML file, like the check report (no script, a Content-Security-Policy that forbids any
 * request). Every number it shows from the JSON carries data-k/data-v (the JSON value as written in it).
 */
std::string renderDiffHtml(const Json& diff);

/** The data-k key of an entry's number: "KIND/EVENT/PROPERTY/RULE/RUNTIME_TYPE" (empty parts kept). */
std::string diffEntryKey(const Json& entry);
/** The number an entry is told by on one side (\a side "before" or "after"): a share, a count or a distance. */
double diffEntryValue(const Json& entry, const char* side);

} // namespace el
