// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"
#include "util/flatjson.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace el {

class Contract; // defined in contract.h (loaded, compiled contract; immutable once loaded)

/**
 * \brief Loads a contract: "builtin:NAME" (from the Qt resource :/contracts/NAME.json) or a file path.
 * Returns nullptr and sets \a error (says which file, where and what) on failure.
 */
std::shared_ptr<const Contract> loadContract(const std::string& nameOrPath, std::string& error);
/** Same, from JSON text already in memory (\a origin names it in errors). */
std::shared_ptr<const Contract> parseContract(const std::string& text, const std::string& origin, std::string& error);
/** Names of the built-in contracts (without the "builtin:" prefix), sorted. */
std::vector<std::string> builtinContracts();

/** Every violation kind the engine reports, in documentation order. */
std::vector<std::string> violationKinds();
/**
 * The time sequence rules use for an event: its timestamp (ISO-8601; no offset = UTC) when present
 * and parseable, else its receivedMs. (onTick() compares the wall clock with the start's receivedMs.)
 */
qint64 eventTimeMs(const Event& event);

/** \brief One correlated start/end pair of a pair rule (e.g. run_created / run_finished). */
struct RunInfo
{
    qint64 id = 0; ///< stable for the engine's life, unique among its runs (a reused key gets a new run)
    std::string rule; ///< pair rule id
    Json key; ///< correlation key value (e.g. the run_id)
    qint64 startSeq = 0; ///< 0 when no start was seen (orphan end)
    qint64 endSeq = 0; ///< 0 while open
    qint64 startMs = 0;
    qint64 endMs = 0;
    Json pinned = Json::object(); ///< pinned name -> value on the start event (absent ones left out)
    /// Open, Finished, Unfinished (no end within within_ms, or none before finish(); endSeq is set when a
    /// late end arrived), Orphan (end without start)
    RunState state = RunState::Open;
    Json result; ///< value at the rule's result pointer on the end event (null when none)
    int pinnedMismatches = 0;
    Json toJson() const;
};

/**
 * \brief What happened to the runs since the last ContractEngine::takeRunChanges(): the change
 * notifications the window's runs and funnel are built from (never a poll of every run).
 */
struct RunChanges
{
    /// Runs that were opened (an id not seen before) or changed (ended, timed out, a pinned mismatch), each
    /// once, as they are now, in the order they were first touched (new runs in creation order).
    std::vector<RunInfo> updated;
    /// Runs forgotten with their events (--max-events-in-memory), by id.
    std::vector<qint64> forgotten;
    bool empty() const { return updated.empty() && forgotten.empty(); }
};

/**
 * \brief One event judged on its own: the per-event half of ContractEngine::onEvent().
 *
 * judgeEvent() needs no engine state, so it runs on any thread (Contract and its schemas are
 * immutable); ContractEngine::onJudged() then applies the sequence rules in arrival order.
 */
struct EventJudgement
{
    std::vector<Violation> violations; ///< unplanned, global, schema and scan violations, in that order
    /// The event's non-null values at the pointers the contract's sequence rules read (key, pinned, result), as
    /// compact JSON text (compactJson()): written on the worker that judged the event, so that the sequence rules,
    /// which run in arrival order on one thread, hash and keep text and parse it only to explain a violation.
    std::vector<std::pair<std::string, std::string>> facts;
    bool judged = false; ///< false for recordings (not analytics events: nothing to judge)

    /** The compact JSON text of the value at \a pointer, or nullptr (absent or null). */
    const std::string* fact(const std::string& pointer) const;
};

/**
 * The per-event checks of \a event (whose parsed object is \a doc) against \a contract: unplanned, globals, the
 * event's schema and rules, and the contract's scans over every string value of \a doc. Thread-safe.
 */
EventJudgement judgeEvent(const Contract& contract, const Event& event, const Json& doc);

/**
 * judgeEvent() without a DOM, for the events the fast evaluator decides: \a doc is the event read into a FlatJson
 * (its compact text, say). True when every schema the event meets accepts it on the fast path and no scan finds
 * anything: then \a out is what judgeEvent() gives (an unplanned-event violation included). False when valijson
 * must decide or explain, or a scan has something to report: then nothing is known, and the caller builds the DOM
 * and calls judgeEvent(). Thread-safe.
 */
bool judgeEventQuickly(const Contract& contract, const Event& event, FlatJson::Ref doc, EventJudgement& out);

class Coverage;
/**
 * A kept event judged again from its compact text (Event::json), as a contract reload, an open or an import judge
 * it: judgeEvent() into \a judged and its count into \a coverage (either may be null). The text is read into this
 * thread's FlatJson; the DOM (Event::doc()) is built only when judgeEventQuickly() cannot decide. The same answers
 * as judgeEvent() and Coverage::addEvent() on the DOM. Thread-safe.
 */
void judgeKeptEvent(const Contract* contract, const Event& event, EventJudgement* judged, Coverage* coverage);

/**
 * \brief Evaluates events against one contract, incrementally.
 *
 * Per-event checks (globals, events, unplanned) plus sequence rules that span events (pairs,
 * order, uniqueness). Not thread-safe; one engine per stream of events.
 */
class ContractEngine
{
public:
    explicit ContractEngine(std::shared_ptr<const Contract> contract);
    ~ContractEngine();

    const Contract& contract() const;
    std::string contractName() const;
    std::string contractVersion() const;
    /** Property names shown as super-properties in the UI. */
    std::vector<std::string> superProperties() const;

    /**
     * Judges one event (in arrival order). Returns every violation this event triggers now: unplanned,
     * global, schema (event schema and extra rules), scans (secret, pii), then sequence rules. Recordings
     * ($snapshot from /s/, Event::recording) are not analytics events and are skipped. With scans, no message
     * quotes what they detect (masked as in their own messages).
     */
    std::vector<Violation> onEvent(const Event& event);
    /** Same, with the event's object already parsed (\a doc = event.doc()). */
    std::vector<Violation> onEvent(const Event& event, const Json& doc);
    /**
     * The sequence half of onEvent(): \a judgement (from judgeEvent() with this engine's contract, on any
     * thread) plus the sequence rules. Events must come in arrival order.
     */
    std::vector<Violation> onJudged(const Event& event, EventJudgement judgement);
    /** Pairs whose start is older than within_ms at \a nowMs become sequence.unfinished. */
    std::vector<Violation> onTick(qint64 nowMs);
    /** End of input (offline check): every still-open pair becomes sequence.unfinished. */
    std::vector<Violation> finish();
    /** Every correlated pair seen so far (less those forgotten). */
    std::vector<RunInfo> runs() const;
    /** The same runs, in the same order, one at a time (a report need not hold them all at once). */
    void forEachRun(const std::function<void(RunInfo)>& fn) const;
    /**
     * From now on, remembers which runs change (off by default: an offline check pays nothing). Whoever
     * turns it on must call takeRunChanges() regularly: the list grows until then.
     */
    void setTrackRunChanges(bool on);
    /** The run changes since the last call (empty unless setTrackRunChanges(true)). */
    RunChanges takeRunChanges();
    /**
     * The events before \a beforeSeq left memory (--max-events-in-memory): so do the closed pairs made only
     * of them, and the unique keys first used by them. An open pair stays until it ends or times out. A
     * forgotten pair leaves a 16-byte hash of its key, so its late or second end is still recognised (not an
     * orphan); a unique key used again after its first use left is not flagged.
     */
    void forget(qint64 beforeSeq);
    /**
     * Off: forget() leaves the unique keys as they are (an offline check, which never forgets: a key is a
     * duplicate however long ago its first use was). On by default. It costs nothing per key either way.
     */
    void setForgettable(bool on);
    /**
     * For a caller that reads each run once (`eventlens check`): a run is handed to \a sink as soon as nothing can
     * change it (its end came, or finish()) with its creation order, and leaves memory. A later end of its key is
     * still a second end, with the same message (16 bytes per key are kept). runs() and forEachRun() then list only
     * the runs not handed over yet; the sink sees every run exactly once. Set it before the first event.
     */
    void setRunSink(std::function<void(std::uint64_t order, RunInfo run)> sink);
    /** Pairs held in memory, open or closed. */
    std::size_t rememberedPairs() const;
    /** Keys the unique rules still hold a slot for (found or not: see forget()); for tests and benchmarks. */
    std::size_t rememberedKeys() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace el
