// SPDX-License-Identifier: MIT
#pragma once

// Private to the contract engine: what its files share. The per-event checks are in eventjudge.cpp, the sequence
// rules in sequencerules.cpp, the engine's calls and run listing in contractengine.cpp.

#include "contract.h"
#include "contractengine.h"
#include "util/keytable.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace el::engine_detail {

inline Violation makeViolation(ViolationKind kind, const std::string& rule, Severity severity, const std::string& path,
    std::string message, std::vector<qint64> seqs)
{
    Violation v;
    v.kind = kind;
    v.rule = rule;
    v.severity = severity;
    v.path = path;
    v.message = std::move(message);
    v.seqs = std::move(seqs);
    return v;
}

/**
 * The messages of \a out from \a first on, other than the scans' own, with whatever the contract's scans detect
 * masked: a schema or sequence message that quotes a value must not show the secret the scan found in it.
 */
void redactMessages(const Contract& c, std::vector<Violation>& out, std::size_t first = 0);

/** Compact JSON text back to a value; null for "" (none) or text that does not parse. */
Json parseCompact(const std::string& text);

using KeyHash = Hash128; ///< of a key's compact JSON text (hash128(fact text))

/** What a pair keeps while a session runs: values as compact JSON text (a RunInfo is built on demand). */
struct CompactRun
{
    std::string key; ///< the correlation key value, compact JSON
    qint64 startSeq = 0;
    qint64 endSeq = 0;
    qint64 startMs = 0;
    qint64 endMs = 0;
    RunState state = RunState::Open; ///< as RunInfo::state
    int pinnedMismatches = 0;
    std::string pinned; ///< JSON array: per pinned entry, its value on the start event (null: absent)
    std::string result; ///< value at the result pointer on the end event, compact JSON; empty: none
};

struct PairRecord
{
    CompactRun info;
    qint64 startReceivedMs = 0;
    KeyHash keyHash; ///< of the key's compact text: how \c latest and \c forgotten know it
    std::uint64_t order = 0; ///< creation order among all pair rules' runs (ContractEngine::setRunSink())
    /// Once closed (ended, orphan or timed out): its newest seq, as filed in SequenceState::closedByLastSeq; -1: open.
    qint64 closedAt = -1;
};

/** A run handed to the run sink: what a second end of its key must still say, in 16 bytes. */
struct ClosedEnd
{
    qint64 startSeq = 0;
    qint64 endSeq = 0;
};

/**
 * Where a unique key was first used, in 8 bytes (a slot of its KeyTable is 24): the seq in 40 bits (10^12 events)
 * and the index of the event's name in SequenceState::names in 24. Past 2^24 - 1 distinct names (unplanned names
 * are unbounded), the rest share the last index, named kManyNames.
 */
struct FirstUse
{
    static constexpr std::uint32_t kMaxName = (1u << 24) - 1;
    std::uint64_t bits = 0;
    FirstUse() = default;
    FirstUse(qint64 seq, std::uint32_t name)
        : bits((static_cast<std::uint64_t>(seq) << 24) | std::min(name, kMaxName))
    { }
    qint64 seq() const { return static_cast<qint64>(bits >> 24); }
    std::uint32_t name() const { return static_cast<std::uint32_t>(bits & kMaxName); }
};
inline const char* const kManyNames = "one of many event names";

struct SequenceState
{
    // Everything here grows with the session: deques, ordered containers and KeyTables, never a reallocation or
    // a rehash of the whole (rehashing a hash table of a million keys stalled the GUI thread for 0.2-0.4 s,
    // measured by bench/ui).
    // pair
    std::map<std::size_t, PairRecord> pairs; ///< by creation index; closed pairs leave with their events (forget)
    std::size_t nextPair = 0;
    KeyTable<std::size_t> latest; ///< key (hash of its compact text) -> index of the newest pair
    std::set<std::size_t> open; ///< indexes of open pairs
    /// Closed pairs still in memory, by their newest seq (then index): forget() takes the ones whose events all
    /// left from the front, instead of walking every pair older than the window (the runs that never end stay
    /// open there, so that walk grew with the session: a seventh of the sink's CPU after 1.2M events).
    std::set<std::pair<qint64, std::size_t>> closedByLastSeq;
    /// Keys of pairs that left memory (true: it had its end), so that a late or repeated end of a forgotten
    /// run is not taken for an orphan. 16 bytes of hash per run instead of the whole record.
    KeyTable<bool> forgotten;
    /// With a run sink: the newest run of each key that left with its end (a second end is still a second end).
    KeyTable<ClosedEnd> closed;
    // order (keys as hashes, like unique: a `then` must still find its `first` after the events left)
    KeyTable<bool> firstSeen;
    bool anyFirst = false;
    // unique
    /// key -> first seq and the index of its event name in \c names. Keys are kept as a 128-bit hash of their
    /// JSON text (XXH3-128: a false duplicate needs a 128-bit collision, ~1e-21 at 10^9 keys):
    /// a live session sees one key per event, and the text would cost ~150 bytes each.
    KeyTable<FirstUse> seen;
    /// Keys first used before this seq left memory with their events (forget()): found, they count as absent, and
    /// forget() sweeps them out of \c seen a shard per 256 events that left. Each slot knows its first seq, so nothing
    /// else is kept per key for forgetting (a deque of 24 bytes per key did that before).
    qint64 forgottenBefore = 0;
    std::size_t nextSweep = 0; ///< the shard of \c seen forget() sweeps next
    qint64 sweptBefore = 0; ///< how far forget()'s sweeps have caught up with forgottenBefore
    std::vector<std::string> names; ///< event names seen by this rule
    std::unordered_map<std::string, std::uint32_t> nameIndex;
};

} // namespace el::engine_detail

namespace el {

struct ContractEngine::Private
{
    using PairRecord = engine_detail::PairRecord;
    using SequenceState = engine_detail::SequenceState;

    std::shared_ptr<const Contract> contract;
    std::vector<SequenceState> states;
    std::deque<std::pair<std::size_t, std::size_t>> runs; ///< rule index, pair index in creation order
    std::size_t staleRuns = 0; ///< entries of \c runs whose pair was forgotten
    bool trackChanges = false;
    bool forgettable = true; ///< see setForgettable()
    std::vector<std::pair<std::size_t, std::size_t>> touched; ///< rule, pair index; repeats allowed
    std::vector<qint64> forgottenIds;
    std::uint64_t createdRuns = 0; ///< PairRecord::order of the next run
    std::function<void(std::uint64_t, RunInfo)> runSink; ///< see setRunSink()

    void touch(std::size_t rule, std::size_t idx)
    {
        if (trackChanges)
            touched.emplace_back(rule, idx);
    }
    static qint64 runId(std::size_t rule, std::size_t idx)
    {
        return static_cast<qint64>((static_cast<std::uint64_t>(rule) << 40) | idx) + 1;
    }
    RunInfo runInfo(std::size_t rule, std::size_t idx, const PairRecord& record) const;

    void sequences(const Event& event, const EventJudgement& j, const std::string& name, std::vector<Violation>& out);
    void pair(std::size_t index, const SequenceSpec& s, const Event& event, const EventJudgement& j,
        const std::string& name, std::vector<Violation>& out);
    Violation unfinished(const SequenceSpec& s, const PairRecord& p, const std::string& why) const;
    /** Files the pair \a idx, now closed (or closed again by a late end), under its newest seq for forget(). */
    static void markClosed(SequenceState& st, std::size_t idx, PairRecord& p)
    {
        if (p.closedAt >= 0)
            st.closedByLastSeq.erase({p.closedAt, idx});
        p.closedAt = std::max(p.info.startSeq, p.info.endSeq);
        st.closedByLastSeq.emplace(p.closedAt, idx);
    }
    /** With a run sink: hands the closed run \a idx of \a rule over and keeps only its ClosedEnd. */
    void release(std::size_t rule, std::size_t idx);
    /** Drops the entries of \c runs whose pair left (forgotten or released): the front at once, the rest amortised. */
    void dropStaleRuns();
};

} // namespace el
