// SPDX-License-Identifier: MIT
#pragma once

#include "report/reportdata.h"

#include <vector>

namespace el {

class Session;

/**
 * The report of what \a session holds in memory (File ▸ Export Report…): every event, or with \a seqs only those
 * (the rows of the window's filter). Violations count when their last event is included, runs when their start or
 * end is; the coverage is counted over the included events (parsed again: about as long as a contract reload).
 * Events that left memory (--max-events-in-memory) are not in it.
 */
ReportData sessionReport(const Session& session, const std::vector<qint64>* seqs = nullptr,
    std::size_t examplesPerRule = 20, std::size_t runsShown = 200);

} // namespace el
