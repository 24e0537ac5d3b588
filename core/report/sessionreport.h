// SPDX-License-Identifier: MIT
#pragma once

#include "reportdata.h"

#include <memory>
#include <vector>

namespace el {

class Contract;
class Capture;

/**
 * What a report of a session reads, copied on the session's thread (events are shared and immutable, so this is
 * cheap) so that the report can be made on another thread: the window stays responsive while a large session's
 * events are parsed again for the coverage.
 */
struct SessionSnapshot
{
    std::shared_ptr<const Contract> contract;
    std::string contractOrigin;
    std::vector<EventPtr> events; ///< the events reported on, in order
    std::vector<Violation> violations; ///< those whose last event is reported on, in order
    std::vector<RunInfo> runs; ///< those started or ended by an event reported on
    bool filtered = false; ///< only some of the session's events
};

/**
 * What \a session holds in memory: every event, or with \a seqs only those (the rows of the window's filter).
 * Violations count when their last event is included, runs when their start or end is. Events that left memory
 * (--max-events-in-memory) are not in it.
 */
SessionSnapshot snapshotSession(const Capture& capture, const std::vector<qint64>* seqs = nullptr);

/**
 * The report of a snapshot (File ▸ Export Report…), on any thread. The coverage is counted by parsing the events
 * again: about as long as a contract reload.
 */
ReportData sessionReport(
    const SessionSnapshot& snapshot, std::size_t examplesPerRule = 20, std::size_t runsShown = 200);

/** snapshotSession() and sessionReport() in one go, on the session's thread. */
ReportData sessionReport(const Capture& capture, const std::vector<qint64>* seqs = nullptr);

} // namespace el
