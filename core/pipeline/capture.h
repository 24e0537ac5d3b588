// SPDX-License-Identifier: MIT
#pragma once

#include "contract/contractengine.h"
#include "store/eventstore.h"
#include "store/journal.h"
#include "wire/decode.h"

#include <QObject>
#include <QThreadPool>
#include <QTimer>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace el {

class Coverage;

/** \brief What became of one ingest request. */
struct IngestOutcome
{
    int status = 200;
    std::string error;
    qint64 requestId = 0;
    std::size_t events = 0;
    std::string encoding;
    std::string shape;

    bool ok() const { return status == 200; }
};

/**
 * \brief A capture session: decodes requests into events, keeps them in the store and judges
 * them against the current contract (per event, and sequences on a 1 s tick).
 */
class Capture final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Capture)
public:
    explicit Capture(QObject* parent = nullptr);
    ~Capture() override;

    EventStore* store() { return &m_store; }
    const EventStore* store() const { return &m_store; }

    /** What a background job does (see setContract(), openSessionFileInBackground(), importFileInBackground()). */
    enum class JobKind {
        Contract, ///< a new contract catches up with the events kept in memory
        OpenSession, ///< a session file is read and judged, then replaces the session
        Import, ///< a HAR / NDJSON / session file is read and judged, then shown read-only
    };
    Q_ENUM(JobKind)
    /** Told once a contract change is applied (true), or dropped (false): cancelled or replaced by a newer one. */
    using ContractApplied = std::function<void(bool applied)>;

    /**
     * Replaces the contract and judges every event kept in memory again, in the background. The current
     * contract keeps judging live traffic while the new one catches up with the store on worker threads
     * (per-event checks) and on this thread in short slices (sequence rules, in seq order). Once it has
     * reached the store's head, both are swapped in one step on this thread (violations replaced,
     * runsReset(), contractChanged()), then \a applied(true). With no event in memory and no job running,
     * the swap is immediate. A contract job already running is dropped (its \a applied gets false) and this
     * one starts over; an open or import in progress goes on and installs this contract with its data.
     */
    void setContract(std::shared_ptr<const Contract> contract, const std::string& origin, ContractApplied applied = {});
    /**
     * setContract() at once, on this thread, blocking until every event is judged again (start-up, tests,
     * callers without an event loop). A background job still running is cancelled first.
     */
    void setContractNow(std::shared_ptr<const Contract> contract, const std::string& origin);
    /**
     * Loads "builtin:NAME" or a file and applies it with setContract() (in the background); false with
     * \a error when it does not load (nothing changes).
     */
    bool loadContract(const std::string& nameOrPath, std::string& error, ContractApplied applied = {});
    /** loadContract() applied with setContractNow(). */
    bool loadContractNow(const std::string& nameOrPath, std::string& error);
    const ContractEngine* engine() const { return m_engine.get(); }
    const std::string& contractOrigin() const { return m_contractOrigin; }
    /** The contract's name and version ("" without a contract). */
    std::string contractName() const;
    std::string contractVersion() const;

    void setDecodeLimits(const DecodeLimits& limits) { m_limits = limits; }
    const DecodeLimits& decodeLimits() const { return m_limits; }

    using IngestDone = std::function<void(const IngestOutcome& outcome, bool durableOk)>;
    /**
     * Decodes and keeps the events of one request to an ingest endpoint (or rejects it), with the
     * expensive part off this thread: decoding, makeEvent() and the per-event contract checks run on a
     * worker (workerThreads()); this thread then commits requests strictly in the order they were handed
     * in (seqs, sequence rules, store, journal) and calls \a done once the request is kept (and durable
     * when a session file is open; durableOk=false when writing failed). Returns the request id at once
     * (requests refused by the decoder are listed under this id too).
     */
    qint64 ingestAsync(HttpRequest request, Endpoint endpoint, IngestDone done);
    /** Requests handed to ingestAsync() and not committed yet. */
    int ingestsInFlight() const;
    /** Worker threads for ingestAsync() (default: QThread::idealThreadCount(), at least 1). */
    void setWorkerThreads(int threads);
    int workerThreads() const;
    /** Commits every request handed in so far (blocks until the workers are done with them). */
    void drainIngests();
    /**
     * Keeps a request the sink refused, with its reason (journaled too). It takes its place in arrival
     * order like an ingest request: with requests still on a worker it is kept after them (and listed
     * then), so that request ids, the journal and the store never see it ahead of an earlier request.
     */
    void reject(const HttpRequest& request, int status, const std::string& reason);
    /**
     * A change from outside the capture path (the API's reset or contract upload) takes its ticket like a
     * request: \a change runs after every request that arrived before it and before every later one, then
     * \a done. Both run on this thread (at once when nothing is in flight).
     */
    void applyInOrder(std::function<void()> change, std::function<void()> done = {});
    /** What the upstream answered a forwarded request (pass-through mode). */
    struct UpstreamAnswer
    {
        int status = 0; ///< HTTP status, or -1 when unreachable / timed out
        qint64 latencyMs = -1;
        std::string error;
        Headers headers;
        std::string body;
    };
    /**
     * Keeps \a answer for request \a requestId (store and journal), once that request is committed: at once
     * when it is, else right after its commit. The upstream may answer before the request left its worker.
     */
    void recordUpstream(qint64 requestId, UpstreamAnswer answer);
    /**
     * Test hook: runs on the worker at the start of each ingestAsync() request, before decoding. A hook
     * that throws stands for any exception in decoding: the request must be rejected, not the sink killed.
     */
    void setWorkerHookForTesting(std::function<void(const HttpRequest&)> hook) { m_workerHook = std::move(hook); }
    /** Test hook: runs on a judge worker before each chunk of a background job (a test may hold the job there). */
    void setJudgeHookForTesting(std::function<void()> hook) { m_judgeHook = std::move(hook); }

    /**
     * Journals every request from now on into \a path (SQLite); existing content is loaded first. Blocks
     * until it is read and judged (start-up, New Capture, tests); the window uses openSessionFileInBackground().
     */
    bool openSessionFile(const QString& path, std::string& error);
    /**
     * openSessionFile() as a background job: the file is read on a worker and judged like a contract reload
     * while the current session goes on capturing. At the end, in one step on this thread, the requests still
     * in flight are committed into the current session, its file is closed, and the opened one replaces it.
     * cancelJudging() keeps the current session as it is. judgingFinished() tells the outcome.
     */
    void openSessionFileInBackground(const QString& path);
    /** importFile() as a background job, like openSessionFileInBackground(). */
    void importFileInBackground(const QString& path);
    SessionJournal* journal() { return m_journal.get(); }
    /** Stops journaling (flushes and marks the file cleanly closed). */
    void closeSessionFile();
    /** Shows a HAR or NDJSON file (or another session file) as a read-only session, validated. */
    bool importFile(const QString& path, std::string& error);
    /** Everything journaled so far (requests, events), read back from the session file. */
    bool readSessionFile(SessionData& out, std::string& error);
    /**
     * Request \a requestId as it arrived (method, path, query, headers, body as received: the detail pane's Raw
     * tab). Read back from the session file (flushed first while requests are queued); for an import, which has no
     * session file, from what the imported file had (kept in memory). False with \a error when it is not kept:
     * started with --no-session, or it arrived while an import was shown.
     */
    bool request(qint64 requestId, JournalRequest& out, std::string& error);
    /** Replaces the in-memory session with \a data (a session file or an import), re-validated (blocking). */
    void loadData(SessionData data);

    /** A background job (contract reload, open, import) is running. */
    bool isJudging() const { return m_job != nullptr; }
    /** The running job's kind (Contract when none runs). */
    JobKind judgingKind() const;
    /** Events judged so far by the running job, and how many it has to judge (0 and 0 while it reads a file). */
    qint64 judgingDone() const;
    qint64 judgingTotal() const;
    /** Drops the running job: nothing changes (the current contract and session stay as they are). */
    void cancelJudging();
    /** Read-only sessions (opened files, imports) refuse nothing but are not journaled. */
    bool isReadOnly() const { return m_readOnly; }
    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }
    /** Empties events, rejected requests and violations; sequence state starts over. */
    void reset();
    /** Runs sequence timeouts now (also done every second). */
    void tick();

    std::vector<RunInfo> runs() const;
    std::shared_ptr<const Contract> contract() const { return m_contract; }

    /**
     * Judges the events with seq in (since, until] as one closed input with a fresh engine: sequence
     * rules are finished at the end, so an open pair is sequence.unfinished. This is the verdict of a
     * replayed scenario. Returns {"events":N,"violations":[...],"runs":[...]}.
     */
    Json checkRange(qint64 since, qint64 until, const EventScope& scope = {}) const;
    /**
     * GET /eventlens/v1/coverage: {"coverage": Coverage::toJson()} of the events in memory with since < seq <= until,
     * against the current contract (required and invalid need one; without one, only presence and values).
     */
    Json coverage(qint64 since, qint64 until, const EventScope& scope = {}) const;
    /**
     * The property coverage of the session, counted incrementally: each call parses only the events committed since
     * the previous one (on every core) and adds them to the count; a contract reload, an open or an import counts
     * everything again on its workers, with the new contract. Nothing is counted on the ingest path: a session that
     * nobody asks about coverage pays nothing. Events that left memory (--max-events-in-memory) before a call are
     * not counted. The Coverage tab shows it; GET /eventlens/v1/coverage without since/until answers from it.
     */
    Coverage liveCoverage() const;
    /** Changes whenever liveCoverage() does (a committed request with events, a new count). */
    std::uint64_t coverageRevision() const { return m_coverageRevision; }

Q_SIGNALS:
    void contractChanged();
    /**
     * Runs opened, changed or forgotten, once per committed request (and per tick when one timed out), in
     * commit order. A view keeps its runs by RunInfo::id and never needs runs() again until runsReset().
     */
    void runsChanged(const el::RunChanges& changes);
    /** Every run is new (a contract change, a reset, a loaded session): read runs() again. */
    void runsReset();
    /** A background job started (again, when a newer one replaced it). */
    void judgingStarted(el::Capture::JobKind kind);
    /** The running job judged \a done of \a total events (at most every 50 ms; \a done never decreases). */
    void judgingProgress(qint64 done, qint64 total);
    /**
     * The job ended: applied, \a cancelled (nothing changed), or failed with \a error (a file that could not be
     * read or opened; nothing changed).
     */
    void judgingFinished(el::Capture::JobKind kind, bool cancelled, const QString& error);

private:
    struct Prepared;
    struct Job;
    struct Chunk;
    /** Starts a background open / import of \a path. */
    void startLoadJob(JobKind kind, const QString& path);
    /** (Re)starts the running job's judging from its first event with its contract (new generation). */
    void restartJudging(bool announce = true);
    /** Hands the next events of the running job to the judge pool (at most a few chunks in flight). */
    void dispatchChunks();
    void onChunkJudged(
        std::uint64_t generation, std::size_t chunk, std::vector<EventPtr> events, std::vector<EventJudgement> judged);
    void onLoadRead(std::uint64_t generation, std::shared_ptr<SessionData> data, QString error);
    /** Applies judged chunks in order for up to a few ms, then yields; finishes the job once caught up. */
    void judgeSlice();
    void emitProgress(bool force);
    void finishJob();
    /** Frees \a engine on a worker (its sequence state can be large). */
    void retire(std::unique_ptr<ContractEngine> engine);
    /** Ends the running job without applying it (\a cancelled, or failed with \a error). */
    void dropJob(bool cancelled, const QString& error, bool announce = true);
    /**
     * Replaces the store's content with \a data and \a events, judged by m_engine into \a violations, whose
     * property coverage is \a coverage.
     */
    void installData(const SessionData& data, std::vector<EventPtr> events, std::vector<Violation> violations,
        std::unique_ptr<Coverage> coverage);
    /** Counts the coverage of the events in memory again, for the current contract (blocking, on every core). */
    void recountCoverage();
    /** Makes \a base the coverage of what the store holds now, and starts a new pool for the requests to come. */
    void newCoverage(std::unique_ptr<Coverage> base);
    /** Cancels a running open / import (a blocking load replaces the session) or restarts a contract job. */
    void storeReplaced(bool byLoad);
    /** A fresh engine for the current contract (none without one), tracking run changes. */
    void newEngine();
    void publishRunChanges();
    /** The engine was replaced or re-fed: no change is worth sending, runsReset() is. */
    void resetRuns();
    std::shared_ptr<Prepared> prepare(HttpRequest request, Endpoint endpoint, qint64 requestId, qint64 receivedMs,
        const DecodeLimits& limits, const std::shared_ptr<const Contract>& contract) const;
    void decodeInto(Prepared& prepared, const DecodeLimits& limits) const;
    static void failPrepared(Prepared& prepared, const std::string& what);
    /** Commits one request in its turn, then keeps an upstream answer that was waiting for it. */
    IngestOutcome commit(Prepared& prepared, std::function<void(bool ok)> onDurable);
    IngestOutcome commitRequest(Prepared& prepared, std::function<void(bool ok)> onDurable);
    void applyUpstream(qint64 requestId, const UpstreamAnswer& answer);
    /** Lists and journals a refused request under its own id (in commit order only). */
    void keepRejected(
        const HttpRequest& request, int status, const std::string& reason, qint64 requestId, qint64 receivedMs);
    void deliver(qint64 ticket, std::shared_ptr<Prepared> prepared);
    /** Commits ready requests in ticket order; with \a until > 0, waits for workers up to that ticket. */
    void drain(qint64 until = 0);

    EventStore m_store;
    std::shared_ptr<const Contract> m_contract;
    std::unique_ptr<ContractEngine> m_engine;
    /// Of m_contract, never null: the events with seq <= m_coveredSeq; liveCoverage() adds the newer ones.
    mutable std::unique_ptr<Coverage> m_coverage;
    mutable qint64 m_coveredSeq = 0;
    std::uint64_t m_coverageRevision = 0;
    std::string m_contractOrigin;
    std::unique_ptr<SessionJournal> m_journal;
    bool m_readOnly = false;
    std::shared_ptr<const std::vector<JournalRequest>> m_importedRequests; ///< an import's, by id (request())
    DecodeLimits m_limits;
    QTimer m_tick;
    std::function<void(const HttpRequest&)> m_workerHook;
    std::function<void()> m_judgeHook;

    // ingestAsync(): tickets are handed out in arrival order and committed in that order.
    QThreadPool m_pool;
    mutable std::mutex m_readyMutex;
    std::condition_variable m_readyCond;
    std::map<qint64, std::shared_ptr<Prepared>> m_ready; ///< prepared by a worker, waiting for their turn
    bool m_drainQueued = false;
    bool m_draining = false; ///< in drain(): a nested drain (from a change in its turn) does nothing
    qint64 m_nextTicket = 1;
    qint64 m_nextCommit = 1;
    qint64 m_lastCommittedRequest = 0; ///< request ids are handed out in ticket order
    std::map<qint64, UpstreamAnswer> m_upstreamWaiting; ///< answered before their request was committed

    // Background jobs (contract reload, open, import): their own pool, so ingest never waits behind them.
    QThreadPool m_judgePool;
    std::unique_ptr<Job> m_job;
    std::uint64_t m_jobGeneration = 0; ///< results from workers of an older generation are dropped
    QTimer m_judgeSlice; ///< judgeSlice() after the event loop had its turn
};

} // namespace el
