// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h" // el::Json

#include <cstdint>
#include <map>
#include <string>
#include <vector>

/// Private to the diff (diff*.cpp): what the comparison reads of one verdict, whichever of the two shapes it has
/// (judgeInputs() or `check -f json`; see diffReports() in diff.h).
namespace el::reportdetail {

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

/** \a report read as one side. It points into \a report (the coverage entries): keep \a report alive. */
Side readSide(const Json& report);

/** The diff's `summary.before` or `summary.after`: the side's inputs and totals. */
Json sideSummary(const Json& report, const Side& s);

} // namespace el::reportdetail
