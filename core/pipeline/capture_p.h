// SPDX-License-Identifier: MIT
// Capture's private structs, shared by its .cpp files: the running background job (contract reload, open,
// import) and the chunks its workers judge.
#pragma once

#include "capture.h"

#include "contract/coverage.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <vector>

namespace el {

/** A slice of the events a job judges, handed to a worker and applied in order on the main thread. */
struct Capture::Chunk
{
    std::vector<EventPtr> events;
    std::vector<EventJudgement> judged;
    std::size_t applied = 0; ///< events already fed to the job's engine
};

/** The running background job (one at a time). */
struct Capture::Job
{
    JobKind kind = JobKind::Contract;
    std::uint64_t generation = 0;
    std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
    /// The contract the job judges with; installed at the end when installsContract.
    std::shared_ptr<const Contract> contract;
    std::string origin;
    bool installsContract = false;
    std::vector<ContractApplied> applied; ///< told when the contract is applied or dropped

    // Open / import: the file is read on a worker first.
    QString path;
    bool reading = false;
    std::shared_ptr<SessionData> data; ///< without its events (moved to loaded)
    std::vector<EventPtr> loaded;

    // Judging, with a fresh engine, in seq order.
    std::unique_ptr<ContractEngine> engine;
    std::vector<Violation> violations;
    std::unique_ptr<Coverage> coverage; ///< the job's contract; the workers' counts are added to it at the end
    /// The workers' coverage counts, one per task running at a time (a chunk's task gives its count back before
    /// the chunk reaches this thread, so none is borrowed once every chunk came back).
    std::shared_ptr<CoveragePool> coverages;
    qint64 dispatchedSeq = std::numeric_limits<qint64>::min(); ///< contract job: handed out up to this seq
    std::size_t dispatchedIndex = 0; ///< open / import: handed out up to loaded[dispatchedIndex - 1]
    std::size_t chunksSent = 0;
    std::size_t nextChunk = 0; ///< the next chunk to apply
    std::map<std::size_t, Chunk> ready; ///< judged by a worker, waiting for their turn
    qint64 lastAppliedSeq = std::numeric_limits<qint64>::min();
    qint64 done = 0;
    qint64 lastProgressMs = 0;
    qint64 lastDone = -1;

    std::size_t inFlight() const { return chunksSent - nextChunk - ready.size(); }
};

/** Moves \a from to the end of \a to (the violations an engine returns, gathered over many calls). */
template<class T> void moveAppend(std::vector<T>& to, std::vector<T>&& from)
{
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

/** The first of \a events (in seq order, as the store keeps them) whose seq is after \a seq. */
inline std::deque<EventPtr>::const_iterator firstAfter(const std::deque<EventPtr>& events, qint64 seq)
{
    return std::upper_bound(events.begin(), events.end(), seq, [](qint64 s, const EventPtr& e) { return s < e->seq; });
}

/**
 * Reads what an open (\a kind OpenSession: a session file, or an empty session when there is none yet) or an
 * import (a session file, a HAR or an NDJSON file) loads, blocking or on a job's worker alike.
 */
bool readSessionInput(Capture::JobKind kind, const QString& path, SessionData& data, std::string& error);

} // namespace el
