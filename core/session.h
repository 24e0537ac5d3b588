// SPDX-License-Identifier: MIT
#pragma once

#include "contract/contractengine.h"
#include "decode/decode.h"
#include "store/eventstore.h"
#include "store/journal.h"

#include <QObject>
#include <QThreadPool>
#include <QTimer>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace el {

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
class Session final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Session)
public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    EventStore* store() { return &m_store; }
    const EventStore* store() const { return &m_store; }

    /** Replaces the contract and re-validates every event already captured. */
    void setContract(std::shared_ptr<const Contract> contract, const std::string& origin);
    /** Loads "builtin:NAME" or a file and applies it; false with \a error on failure (nothing changes). */
    bool loadContract(const std::string& nameOrPath, std::string& error);
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

    /** Journals every request from now on into \a path (SQLite); existing content is loaded first. */
    bool openSessionFile(const QString& path, QString* error);
    SessionJournal* journal() { return m_journal.get(); }
    /** Stops journaling (flushes and marks the file cleanly closed). */
    void closeSessionFile();
    /** Shows a HAR or NDJSON file (or another session file) as a read-only session, validated. */
    bool importFile(const QString& path, QString* error);
    /** Everything journaled so far (requests, events), read back from the session file. */
    bool readSessionFile(SessionData& out, QString* error);
    /** Replaces the in-memory session with \a data (a session file or an import), re-validated. */
    void loadData(const SessionData& data);
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
    Json checkRange(qint64 since, qint64 until) const;

Q_SIGNALS:
    void contractChanged();
    /**
     * Runs opened, changed or forgotten, once per committed request (and per tick when one timed out), in
     * commit order. A view keeps its runs by RunInfo::id and never needs runs() again until runsReset().
     */
    void runsChanged(const el::RunChanges& changes);
    /** Every run is new (a contract change, a reset, a loaded session): read runs() again. */
    void runsReset();

private:
    struct Prepared;
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
    std::string m_contractOrigin;
    std::unique_ptr<SessionJournal> m_journal;
    bool m_readOnly = false;
    DecodeLimits m_limits;
    QTimer m_tick;
    std::function<void(const HttpRequest&)> m_workerHook;

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
};

} // namespace el
