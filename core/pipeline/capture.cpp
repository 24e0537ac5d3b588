// SPDX-License-Identifier: MIT
#include "capture.h"

#include "contract/coverage.h"

#include "importer.h"
#include "journalrequest.h"
#include "model/textsearch.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QScopeGuard>
#include <QThread>

#include <algorithm>
#include <limits>
#include <utility>

namespace el {

namespace {

/**
 * Judges \a count events (event(i)) in order: the per-event checks (parse + schemas) on every core,
 * then the sequence rules one by one. Re-validating a million events after a contract change or when
 * a session file is opened would otherwise parse them one at a time on the GUI thread.
 */
template<class EventAt> std::vector<Violation> judgeAll(ContractEngine& engine, std::size_t count, EventAt&& event)
{
    std::vector<EventJudgement> judged(count);
    const Contract& contract = engine.contract();
    parallelChunks(count, 0, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            const Event& e = event(i);
            if (!e.recording)
                judged[i] = judgeEvent(contract, e, e.doc());
        }
    });
    std::vector<Violation> all;
    for (std::size_t i = 0; i < count; ++i) {
        auto v = engine.onJudged(event(i), std::move(judged[i]));
        all.insert(all.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
    }
    return all;
}

/** The coverage of \a count events (event(i)) for \a contract, counted in fixed pieces on every core, added in order.
 */
template<class EventAt>
std::unique_ptr<Coverage> countAll(std::shared_ptr<const Contract> contract, std::size_t count, EventAt&& event)
{
    auto total = std::make_unique<Coverage>(std::move(contract));
    constexpr std::size_t kPiece = 4096;
    const std::size_t pieces = (count + kPiece - 1) / kPiece;
    std::vector<std::optional<Coverage>> counted(pieces);
    parallelChunks(pieces, 0, [&](std::size_t begin, std::size_t end) {
        for (std::size_t piece = begin; piece < end; ++piece) {
            Coverage c = total->fresh();
            for (std::size_t i = piece * kPiece; i < std::min(count, (piece + 1) * kPiece); ++i) {
                const Event& e = event(i);
                if (e.recording)
                    continue;
                try {
                    const Json doc = e.doc();
                    const auto props = doc.find("properties");
                    c.add(e.name(), props != doc.end() ? *props : Json());
                } catch (...) {
                    c.add(e.name(), Json()); // an event that does not parse counts with no properties
                }
            }
            counted[piece] = std::move(c);
        }
    });
    for (const auto& c : counted)
        total->merge(*c);
    return total;
}

} // namespace

namespace {

constexpr std::size_t kChunkEvents = 256; ///< events per worker task: a few ms of work, so ingest never waits long
constexpr int kSliceMs = 8; ///< the sequence half runs on this thread for this long, then yields
constexpr qint64 kProgressMs = 50;

} // namespace

/** A slice of the events a job judges, handed to a worker and applied in order on the main thread. */
struct Capture::Chunk
{
    std::vector<EventPtr> events;
    std::vector<EventJudgement> judged;
    std::shared_ptr<Coverage> coverage; ///< of \c events, with the job's contract
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
    std::unique_ptr<Coverage> coverage; ///< of the events judged so far, with the job's contract
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

Capture::Capture(QObject* parent)
    : QObject(parent)
    , m_coverage(std::make_unique<Coverage>(nullptr))
{
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &Capture::tick);
    m_tick.start();
    m_pool.setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
    m_judgePool.setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
    m_judgeSlice.setSingleShot(true);
    m_judgeSlice.setInterval(0);
    connect(&m_judgeSlice, &QTimer::timeout, this, &Capture::judgeSlice);
}

Capture::~Capture()
{
    if (m_job)
        m_job->stop->store(true);
    m_judgePool.waitForDone();
    m_job.reset();
    // Requests still being decoded are committed (and journaled) before the session goes.
    m_pool.waitForDone();
    drainIngests();
}

void Capture::newEngine()
{
    m_engine = m_contract ? std::make_unique<ContractEngine>(m_contract) : nullptr;
    if (m_engine)
        m_engine->setTrackRunChanges(true);
}

void Capture::publishRunChanges()
{
    if (!m_engine)
        return;
    RunChanges changes = m_engine->takeRunChanges();
    if (!changes.empty())
        Q_EMIT runsChanged(changes);
}

void Capture::resetRuns()
{
    if (m_engine)
        m_engine->takeRunChanges(); // runsReset() says it all
    Q_EMIT runsReset();
}

void Capture::setContractNow(std::shared_ptr<const Contract> contract, const std::string& origin)
{
    if (m_job)
        dropJob(true, {});
    m_contract = std::move(contract);
    newEngine();
    m_contractOrigin = m_engine ? origin : std::string();
    m_store.clearViolations();
    if (m_engine) {
        const auto& events = m_store.events();
        std::vector<Violation> all
            = judgeAll(*m_engine, events.size(), [&](std::size_t i) -> const Event& { return *events[i]; });
        auto late = m_engine->onTick(nowMs());
        all.insert(all.end(), std::make_move_iterator(late.begin()), std::make_move_iterator(late.end()));
        m_store.addViolations(all);
    }
    recountCoverage();
    resetRuns();
    Q_EMIT contractChanged();
}

void Capture::recountCoverage()
{
    const auto& events = m_store.events();
    newCoverage(countAll(m_contract, events.size(), [&](std::size_t i) -> const Event& { return *events[i]; }));
}

void Capture::newCoverage(std::unique_ptr<Coverage> base)
{
    m_coverage = std::move(base);
    m_coveredSeq = m_store.nextSeq() - 1; // the base covers what the store holds now
    ++m_coverageRevision;
}

Coverage Capture::liveCoverage() const
{
    // Only the events committed since the last call are parsed (on every core), then added to the count.
    const auto& events = m_store.events();
    const auto from = std::upper_bound(
        events.begin(), events.end(), m_coveredSeq, [](qint64 s, const EventPtr& e) { return s < e->seq; });
    if (from != events.end()) {
        const auto first = static_cast<std::size_t>(from - events.begin());
        const auto added = countAll(
            m_contract, events.size() - first, [&](std::size_t i) -> const Event& { return *events[first + i]; });
        m_coverage->merge(*added);
        m_coveredSeq = events.back()->seq;
    }
    Coverage total = m_coverage->fresh();
    total.merge(*m_coverage);
    return total;
}

bool Capture::loadContract(const std::string& nameOrPath, std::string& error, ContractApplied applied)
{
    auto contract = el::loadContract(nameOrPath, error);
    if (!contract)
        return false;
    setContract(std::move(contract), nameOrPath, std::move(applied));
    return true;
}

bool Capture::loadContractNow(const std::string& nameOrPath, std::string& error)
{
    auto contract = el::loadContract(nameOrPath, error);
    if (!contract)
        return false;
    setContractNow(std::move(contract), nameOrPath);
    return true;
}

void Capture::setContract(std::shared_ptr<const Contract> contract, const std::string& origin, ContractApplied applied)
{
    if (m_job && m_job->kind != JobKind::Contract) {
        // An open / import in progress judges with the newest contract and installs it with its data.
        m_job->contract = std::move(contract);
        m_job->origin = origin;
        m_job->installsContract = true;
        if (applied)
            m_job->applied.push_back(std::move(applied));
        if (!m_job->reading)
            restartJudging();
        return;
    }
    if (m_job) // a newer contract replaces the one still catching up: it starts over (judgingStarted() again)
        dropJob(true, {}, false);
    if (!contract || m_store.events().empty()) {
        setContractNow(std::move(contract), origin);
        if (applied)
            applied(true);
        return;
    }
    m_job = std::make_unique<Job>();
    m_job->kind = JobKind::Contract;
    m_job->contract = std::move(contract);
    m_job->origin = origin;
    m_job->installsContract = true;
    if (applied)
        m_job->applied.push_back(std::move(applied));
    restartJudging();
}

Capture::JobKind Capture::judgingKind() const
{
    return m_job ? m_job->kind : JobKind::Contract;
}

qint64 Capture::judgingDone() const
{
    return m_job ? m_job->done : 0;
}

qint64 Capture::judgingTotal() const
{
    if (!m_job || m_job->reading)
        return 0;
    if (m_job->kind != JobKind::Contract)
        return static_cast<qint64>(m_job->loaded.size());
    // What is judged, plus what the store holds past the last judged event (live traffic adds to it).
    const auto& events = m_store.events();
    const auto next = std::upper_bound(
        events.begin(), events.end(), m_job->lastAppliedSeq, [](qint64 s, const EventPtr& e) { return s < e->seq; });
    return m_job->done + static_cast<qint64>(events.end() - next);
}

void Capture::cancelJudging()
{
    if (m_job)
        dropJob(true, {});
}

void Capture::dropJob(bool cancelled, const QString& error, bool announce)
{
    std::unique_ptr<Job> job = std::move(m_job);
    job->stop->store(true);
    ++m_jobGeneration; // chunks still on a worker are dropped when they come back
    m_judgeSlice.stop();
    retire(std::move(job->engine));
    for (auto& applied : job->applied)
        applied(false);
    if (announce)
        Q_EMIT judgingFinished(job->kind, cancelled, error);
}

void Capture::retire(std::unique_ptr<ContractEngine> engine)
{
    if (!engine)
        return;
    // Freeing a large engine's sequence state (one map entry per unique key and run) takes tens of ms.
    std::shared_ptr<ContractEngine> doomed(engine.release());
    m_judgePool.start([doomed]() mutable { doomed.reset(); });
}

void Capture::restartJudging(bool announce)
{
    Job& job = *m_job;
    job.stop->store(true);
    job.stop = std::make_shared<std::atomic<bool>>(false);
    job.generation = ++m_jobGeneration;
    retire(std::exchange(job.engine, job.contract ? std::make_unique<ContractEngine>(job.contract) : nullptr));
    job.violations.clear();
    job.coverage = std::make_unique<Coverage>(job.contract);
    job.dispatchedSeq = job.lastAppliedSeq = std::numeric_limits<qint64>::min();
    job.dispatchedIndex = 0;
    job.chunksSent = job.nextChunk = 0;
    job.ready.clear();
    job.done = 0;
    job.lastDone = -1;
    if (announce)
        Q_EMIT judgingStarted(job.kind);
    emitProgress(true);
    dispatchChunks();
    m_judgeSlice.start();
}

void Capture::dispatchChunks()
{
    Job& job = *m_job;
    if (job.reading)
        return;
    const std::size_t maxInFlight = static_cast<std::size_t>(2 * m_judgePool.maxThreadCount() + 2);
    while (job.inFlight() + job.ready.size() < maxInFlight) {
        std::vector<EventPtr> slice;
        if (job.kind == JobKind::Contract) {
            // The store may have grown (live traffic) or lost its oldest events (trimming) meanwhile.
            const auto& events = m_store.events();
            auto it = std::upper_bound(events.begin(), events.end(), job.dispatchedSeq,
                [](qint64 s, const EventPtr& e) { return s < e->seq; });
            const std::size_t n = std::min<std::size_t>(kChunkEvents, static_cast<std::size_t>(events.end() - it));
            slice.assign(it, it + static_cast<std::ptrdiff_t>(n));
            if (!slice.empty())
                job.dispatchedSeq = slice.back()->seq;
        } else {
            const std::size_t n = std::min(kChunkEvents, job.loaded.size() - job.dispatchedIndex);
            const auto from = job.loaded.begin() + static_cast<std::ptrdiff_t>(job.dispatchedIndex);
            slice.assign(from, from + static_cast<std::ptrdiff_t>(n));
            job.dispatchedIndex += n;
        }
        if (slice.empty())
            return;
        const std::size_t chunk = job.chunksSent++;
        // Without a contract there is nothing to judge, but the coverage is still counted.
        m_judgePool.start([this, generation = job.generation, stop = job.stop, contract = job.contract, chunk,
                              events = std::move(slice), hook = m_judgeHook,
                              coverage = std::make_shared<Coverage>(job.coverage->fresh())]() mutable {
            if (hook)
                hook();
            std::vector<EventJudgement> judged(contract ? events.size() : 0);
            for (std::size_t i = 0; i < events.size(); ++i) {
                if (stop->load(std::memory_order_relaxed))
                    return; // cancelled or replaced: nobody waits for it
                const Event& e = *events[i];
                if (e.recording)
                    continue;
                try {
                    const Json doc = e.doc(); // the one parse of this event
                    if (contract)
                        judged[i] = judgeEvent(*contract, e, doc);
                    const auto props = doc.find("properties");
                    coverage->add(e.name(), props != doc.end() ? *props : Json());
                } catch (...) {
                    if (contract)
                        judged[i] = EventJudgement {}; // an exception must not leave a worker
                }
            }
            QMetaObject::invokeMethod(
                this,
                [this, generation, chunk, events = std::move(events), judged = std::move(judged),
                    coverage = std::move(coverage)]() mutable {
                    onChunkJudged(generation, chunk, std::move(events), std::move(judged), std::move(coverage));
                },
                Qt::QueuedConnection);
        });
    }
}

void Capture::onChunkJudged(std::uint64_t generation, std::size_t chunk, std::vector<EventPtr> events,
    std::vector<EventJudgement> judged, std::shared_ptr<Coverage> coverage)
{
    if (!m_job || m_job->generation != generation)
        return;
    Chunk c;
    c.events = std::move(events);
    c.judged = std::move(judged);
    c.coverage = std::move(coverage);
    m_job->ready.emplace(chunk, std::move(c));
    if (!m_judgeSlice.isActive())
        m_judgeSlice.start();
}

void Capture::judgeSlice()
{
    if (!m_job || m_job->reading)
        return;
    Job& job = *m_job;
    QElapsedTimer clock;
    clock.start();
    while (!clock.hasExpired(kSliceMs)) {
        auto it = job.ready.find(job.nextChunk);
        if (it == job.ready.end())
            break;
        Chunk& c = it->second;
        const std::size_t until = std::min(c.events.size(), c.applied + 64);
        for (; c.applied < until; ++c.applied) {
            const Event& e = *c.events[c.applied];
            if (job.engine) {
                // An event whose checks threw on the worker has an empty judgement: it is skipped, not parsed
                // again here (it would throw on this thread).
                auto v = job.engine->onJudged(e, std::move(c.judged[c.applied]));
                job.violations.insert(
                    job.violations.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
            }
            job.lastAppliedSeq = e.seq;
            ++job.done;
        }
        if (c.applied == c.events.size()) {
            if (c.coverage)
                job.coverage->merge(*c.coverage);
            job.ready.erase(it);
            ++job.nextChunk;
            dispatchChunks();
        }
    }
    dispatchChunks();
    emitProgress(false);
    if (job.inFlight() == 0 && job.ready.empty()) {
        // Nothing left on a worker and nothing new to hand out: caught up with the head. No commit can
        // come between this check and the swap (both on this thread).
        finishJob();
        return;
    }
    if (job.ready.count(job.nextChunk))
        m_judgeSlice.start(); // more is ready: go on after the event loop had its turn
}

void Capture::emitProgress(bool force)
{
    Job& job = *m_job;
    const qint64 now = nowMs();
    if (!force && (job.done == job.lastDone || now - job.lastProgressMs < kProgressMs))
        return;
    job.lastProgressMs = now;
    job.lastDone = job.done;
    Q_EMIT judgingProgress(job.done, judgingTotal());
}

void Capture::finishJob()
{
    emitProgress(true); // the last count (progress is throttled): the window's "N events checked again"
    if (m_job->kind == JobKind::Contract) {
        std::unique_ptr<Job> job = std::move(m_job);
        ++m_jobGeneration;
        m_contract = job->contract;
        retire(std::exchange(m_engine, std::move(job->engine)));
        if (m_engine)
            m_engine->setTrackRunChanges(true); // from now on (what it saw catching up, runsReset() says)
        m_contractOrigin = m_engine ? job->origin : std::string();
        std::vector<Violation>& all = job->violations;
        if (m_engine) {
            auto late = m_engine->onTick(nowMs());
            all.insert(all.end(), std::make_move_iterator(late.begin()), std::make_move_iterator(late.end()));
        }
        m_store.clearViolations();
        if (m_store.trimmedCount() > 0 && !m_store.events().empty()) {
            // Events left memory while the job ran: their violations go as trimming drops them, and so does
            // the sequence state made only of them (as after a commit).
            const qint64 first = m_store.events().front()->seq;
            all.erase(std::remove_if(all.begin(), all.end(),
                          [first](const Violation& v) {
                              return !v.seqs.empty()
                                  && std::all_of(v.seqs.begin(), v.seqs.end(), [first](qint64 s) { return s < first; });
                          }),
                all.end());
            if (m_engine)
                m_engine->forget(first);
        }
        m_store.addViolations(all);
        newCoverage(std::move(job->coverage));
        resetRuns();
        Q_EMIT contractChanged();
        for (auto& applied : job->applied)
            applied(true);
        Q_EMIT judgingFinished(job->kind, false, {});
        return;
    }

    // Open / import: the new journal first (if it does not open, nothing changed).
    std::unique_ptr<SessionJournal> journal;
    if (m_job->kind == JobKind::OpenSession) {
        journal = std::make_unique<SessionJournal>();
        QString error;
        if (!journal->open(m_job->path, &error)) {
            dropJob(false, error);
            return;
        }
    }
    std::unique_ptr<Job> job = std::move(m_job);
    ++m_jobGeneration;
    std::vector<Violation> violations = std::move(job->violations);
    const bool readOnly = job->kind == JobKind::Import;
    // A finished recording is judged as a closed input: open pairs are unfinished at its end.
    if (job->engine && readOnly) {
        auto rest = job->engine->finish();
        violations.insert(violations.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
    }
    // Requests still on a worker belong to the session they arrived in; then its file is closed the way
    // closeSessionFile() closes it. A change applied in its turn here (a contract upload) starts a new job.
    drainIngests();
    closeSessionFile();
    if (job->installsContract) {
        m_contract = job->contract;
        m_contractOrigin = job->contract ? job->origin : std::string();
    }
    retire(std::exchange(m_engine, std::move(job->engine)));
    if (m_engine)
        m_engine->setTrackRunChanges(true);
    m_readOnly = readOnly;
    installData(*job->data, std::move(job->loaded), std::move(violations), std::move(job->coverage));
    if (journal) {
        journal->setContractOrigin(m_contractOrigin);
        m_journal = std::move(journal);
    }
    if (job->installsContract)
        Q_EMIT contractChanged();
    for (auto& applied : job->applied)
        applied(true);
    Q_EMIT judgingFinished(job->kind, false, {});
}

void Capture::openSessionFileInBackground(const QString& path)
{
    startLoadJob(JobKind::OpenSession, path);
}

void Capture::importFileInBackground(const QString& path)
{
    startLoadJob(JobKind::Import, path);
}

void Capture::startLoadJob(JobKind kind, const QString& path)
{
    auto job = std::make_unique<Job>();
    job->kind = kind;
    job->path = path;
    job->contract = m_contract;
    job->origin = m_contractOrigin;
    if (m_job) {
        // A contract still catching up (or waiting in an earlier open) is judged and installed with this one.
        if (m_job->installsContract) {
            job->contract = m_job->contract;
            job->origin = m_job->origin;
            job->installsContract = true;
            job->applied = std::move(m_job->applied);
        }
        m_job->applied.clear();
        m_job->stop->store(true);
        m_job.reset();
        m_judgeSlice.stop();
    }
    job->reading = true;
    job->generation = ++m_jobGeneration;
    m_job = std::move(job);
    Q_EMIT judgingStarted(kind);
    Q_EMIT judgingProgress(0, 0);
    m_judgePool.start([this, kind, path, generation = m_job->generation] {
        auto data = std::make_shared<SessionData>();
        QString error;
        bool ok = false;
        try {
            if (kind == JobKind::OpenSession)
                ok = !QFileInfo::exists(path) || SessionJournal::load(path, *data, &error);
            else if (path.endsWith(QLatin1String(".elsession")))
                ok = SessionJournal::load(path, *data, &error);
            else
                ok = el::importFile(path, *data, &error);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        if (!ok && error.isEmpty())
            error = path + QStringLiteral(": cannot be read");
        QMetaObject::invokeMethod(
            this,
            [this, generation, data = std::move(data), error = ok ? QString() : error]() mutable {
                onLoadRead(generation, std::move(data), std::move(error));
            },
            Qt::QueuedConnection);
    });
}

void Capture::onLoadRead(std::uint64_t generation, std::shared_ptr<SessionData> data, QString error)
{
    if (!m_job || m_job->generation != generation)
        return;
    if (!error.isEmpty()) {
        dropJob(false, error);
        return;
    }
    Job& job = *m_job;
    job.reading = false;
    job.loaded.reserve(data->events.size());
    for (Event& e : data->events)
        job.loaded.push_back(std::make_shared<const Event>(std::move(e)));
    data->events.clear();
    data->events.shrink_to_fit();
    job.data = std::move(data);
    restartJudging(false); // the same job goes on: judgingStarted() was sent when it began reading
}

namespace {

JournalRequest journalRequest(
    const HttpRequest& request, qint64 id, qint64 receivedMs, int status, const std::string& reason)
{
    JournalRequest j = el::journalRequest(request, id, receivedMs);
    j.status = status;
    j.reason = reason;
    j.responseHeaders = {{"Content-Type", "application/json"}};
    j.responseBody = status == 200 ? std::string(R"({"status":1})")
                                   : Json {{"error", reason}}.dump(-1, ' ', false, Json::error_handler_t::replace);
    return j;
}

} // namespace

struct Capture::Prepared
{
    HttpRequest request;
    Endpoint endpoint = Endpoint::Unknown;
    qint64 receivedMs = 0;
    IngestOutcome outcome;
    std::vector<Event> events; ///< seq 0 until committed
    std::vector<EventJudgement> judgements; ///< per event, when a contract was set
    std::shared_ptr<const Contract> contract; ///< the contract the judgements were made with
    IngestDone done;
    std::function<void()> change; ///< applyInOrder(): not a request, a change applied in its turn
    std::function<void()> changed;
};

std::shared_ptr<Capture::Prepared> Capture::prepare(HttpRequest request, Endpoint endpoint, qint64 requestId,
    qint64 receivedMs, const DecodeLimits& limits, const std::shared_ptr<const Contract>& contract) const
{
    auto p = std::make_shared<Prepared>();
    p->request = std::move(request);
    p->endpoint = endpoint;
    p->receivedMs = receivedMs;
    p->contract = contract;
    p->outcome.requestId = requestId;
    // An exception must not leave a worker (QThreadPool would end the process) nor lose the ticket:
    // the request is rejected with the reason, and later requests are still committed.
    try {
        if (m_workerHook)
            m_workerHook(p->request);
        decodeInto(*p, limits);
    } catch (const std::exception& e) {
        failPrepared(*p, e.what());
    } catch (...) {
        failPrepared(*p, "unknown exception");
    }
    return p;
}

void Capture::failPrepared(Prepared& p, const std::string& what)
{
    p.events.clear();
    p.judgements.clear();
    p.outcome.status = 400;
    p.outcome.events = 0;
    p.outcome.error = "the request could not be decoded (internal error: " + what + ")";
}

void Capture::decodeInto(Prepared& prepared, const DecodeLimits& limits) const
{
    Prepared* const p = &prepared;
    const Endpoint endpoint = p->endpoint;
    const qint64 requestId = p->outcome.requestId;
    const qint64 receivedMs = p->receivedMs;
    const std::shared_ptr<const Contract>& contract = p->contract;
    IngestOutcome& outcome = p->outcome;
    DecodeResult decoded = decodeIngest(p->request, endpoint, limits);
    outcome.status = decoded.status;
    outcome.error = std::move(decoded.error);
    outcome.encoding = std::move(decoded.encoding);
    outcome.shape = std::move(decoded.shape);
    if (!decoded.ok())
        return;
    outcome.events = decoded.events.size();
    if (endpoint == Endpoint::Recording)
        return;
    p->events.reserve(decoded.events.size());
    if (contract)
        p->judgements.reserve(decoded.events.size());
    EventSourceCache sources; // shared by the request's events
    for (const Json& doc : decoded.events) {
        Event e = makeEvent(doc, p->request, 0, requestId, receivedMs, &sources);
        if (contract)
            p->judgements.push_back(judgeEvent(*contract, e, doc));
        p->events.push_back(std::move(e));
    }
} // the decoded DOMs are freed here, on the worker

IngestOutcome Capture::commit(Prepared& p, std::function<void(bool ok)> onDurable)
{
    const IngestOutcome outcome = commitRequest(p, std::move(onDurable));
    publishRunChanges();
    m_lastCommittedRequest = std::max(m_lastCommittedRequest, outcome.requestId);
    const auto waiting = m_upstreamWaiting.find(outcome.requestId);
    if (waiting != m_upstreamWaiting.end()) {
        applyUpstream(outcome.requestId, waiting->second);
        m_upstreamWaiting.erase(waiting);
    }
    return outcome;
}

IngestOutcome Capture::commitRequest(Prepared& p, std::function<void(bool ok)> onDurable)
{
    const IngestOutcome& outcome = p.outcome;
    if (!outcome.ok()) {
        keepRejected(p.request, outcome.status, outcome.error, outcome.requestId, p.receivedMs);
        if (onDurable)
            onDurable(true);
        return outcome;
    }
    if (p.endpoint == Endpoint::Recording) {
        m_store.countRecordings(static_cast<qint64>(outcome.events));
        if (m_journal) {
            JournalRequest j = journalRequest(p.request, outcome.requestId, p.receivedMs, 200, {});
            j.recordings = static_cast<qint64>(outcome.events);
            m_journal->append(
                std::move(j), {}, onDurable ? std::move(onDurable) : [](bool) {});
        } else if (onDurable)
            onDurable(true);
        return outcome;
    }
    std::vector<Violation> violations;
    // Judged with the contract in force now: else (it changed meanwhile) judge again.
    const bool judged = m_engine && p.contract == m_contract && p.judgements.size() == p.events.size();
    if (!p.events.empty())
        ++m_coverageRevision;
    qint64 seq = m_store.nextSeq();
    for (std::size_t i = 0; i < p.events.size(); ++i) {
        Event& e = p.events[i];
        e.seq = seq++;
        if (!m_engine)
            continue;
        std::vector<Violation> v;
        if (judged) {
            EventJudgement& j = p.judgements[i];
            for (Violation& x : j.violations)
                x.seqs = {e.seq}; // per-event violations name only their event
            v = m_engine->onJudged(e, std::move(j));
        } else {
            v = m_engine->onEvent(e);
        }
        violations.insert(violations.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
    }
    const std::size_t count = p.events.size();
    const qint64 trimmedBefore = m_store.trimmedCount();
    m_store.appendEvents(std::move(p.events));
    m_store.addViolations(violations);
    // Events left memory (--max-events-in-memory): so does the sequence state made only of them.
    if (m_engine && m_store.trimmedCount() != trimmedBefore && !m_store.events().empty())
        m_engine->forget(m_store.events().front()->seq);
    if (m_journal) {
        const auto& all = m_store.events();
        std::vector<EventPtr> added(all.end() - static_cast<std::ptrdiff_t>(count), all.end());
        m_journal->append(
            journalRequest(p.request, outcome.requestId, p.receivedMs, 200, {}), std::move(added),
            onDurable ? std::move(onDurable) : [](bool) {});
    } else if (onDurable) {
        onDurable(true);
    }
    return outcome;
}

qint64 Capture::ingestAsync(HttpRequest request, Endpoint endpoint, IngestDone done)
{
    const qint64 requestId = m_store.takeRequestId();
    const qint64 received = nowMs();
    const qint64 ticket = m_nextTicket++;
    struct Arrived
    {
        HttpRequest request;
        IngestDone done;
    };
    auto job = std::make_shared<Arrived>(Arrived {std::move(request), std::move(done)});
    m_pool.start([this, job, endpoint, requestId, received, ticket, limits = m_limits, contract = m_contract] {
        auto p = prepare(std::move(job->request), endpoint, requestId, received, limits, contract);
        p->done = std::move(job->done);
        deliver(ticket, std::move(p));
    });
    return requestId;
}

void Capture::deliver(qint64 ticket, std::shared_ptr<Prepared> prepared)
{
    std::lock_guard<std::mutex> lock(m_readyMutex);
    m_ready.emplace(ticket, std::move(prepared));
    m_readyCond.notify_all();
    if (!m_drainQueued) {
        m_drainQueued = true;
        QMetaObject::invokeMethod(
            this, [this] { drain(); }, Qt::QueuedConnection);
    }
}

void Capture::drain(qint64 until)
{
    // A change applied in its turn (applyInOrder) that calls drainIngests() (reset, loadData) must not
    // commit the requests behind it before it is done: the outer drain commits them next.
    if (m_draining) {
        if (until == 0) // the queued drain came in a nested event loop: try again later
            QMetaObject::invokeMethod(
                this, [this] { drain(); }, Qt::QueuedConnection);
        return;
    }
    m_draining = true;
    const auto done = qScopeGuard([this] { m_draining = false; });
    for (;;) {
        std::shared_ptr<Prepared> p;
        {
            std::unique_lock<std::mutex> lock(m_readyMutex);
            if (until == 0)
                m_drainQueued = false;
            auto it = m_ready.find(m_nextCommit);
            if (it == m_ready.end()) {
                if (m_nextCommit >= until)
                    return;
                m_readyCond.wait(lock, [this] { return m_ready.count(m_nextCommit) > 0; });
                continue;
            }
            p = std::move(it->second);
            m_ready.erase(it);
            ++m_nextCommit;
        }
        if (p->change) {
            p->change();
            if (p->changed)
                p->changed();
            continue;
        }
        std::function<void(bool)> onDurable;
        if (p->done)
            onDurable = [done = std::move(p->done), outcome = p->outcome](bool ok) { done(outcome, ok); };
        commit(*p, std::move(onDurable));
    }
}

void Capture::drainIngests()
{
    drain(m_nextTicket);
}

int Capture::ingestsInFlight() const
{
    return static_cast<int>(m_nextTicket - m_nextCommit);
}

void Capture::setWorkerThreads(int threads)
{
    m_pool.setMaxThreadCount(std::max(1, threads));
}

int Capture::workerThreads() const
{
    return m_pool.maxThreadCount();
}

void Capture::reject(const HttpRequest& request, int status, const std::string& reason)
{
    auto p = std::make_shared<Prepared>();
    p->request = request;
    p->receivedMs = nowMs();
    p->outcome.requestId = m_store.takeRequestId();
    p->outcome.status = status;
    p->outcome.error = reason;
    const qint64 ticket = m_nextTicket++;
    // Nothing ahead of it: kept at once. Else after the requests still on a worker (the queued drain).
    const bool next = ticket == m_nextCommit;
    deliver(ticket, std::move(p));
    if (next)
        drain(ticket + 1);
}

void Capture::applyInOrder(std::function<void()> change, std::function<void()> done)
{
    auto p = std::make_shared<Prepared>();
    p->change = std::move(change);
    p->changed = std::move(done);
    const qint64 ticket = m_nextTicket++;
    const bool next = ticket == m_nextCommit;
    deliver(ticket, std::move(p));
    if (next)
        drain(ticket + 1);
}

void Capture::recordUpstream(qint64 requestId, UpstreamAnswer answer)
{
    if (requestId <= m_lastCommittedRequest)
        applyUpstream(requestId, answer);
    else
        m_upstreamWaiting[requestId] = std::move(answer);
}

void Capture::applyUpstream(qint64 requestId, const UpstreamAnswer& answer)
{
    m_store.setUpstream(requestId, {answer.status, answer.latencyMs, answer.error});
    if (m_journal)
        m_journal->updateUpstream(
            requestId, answer.status, answer.latencyMs, answer.error, answer.headers, answer.body);
}

std::string Capture::contractName() const
{
    return m_engine ? m_engine->contractName() : std::string();
}

std::string Capture::contractVersion() const
{
    return m_engine ? m_engine->contractVersion() : std::string();
}

void Capture::keepRejected(
    const HttpRequest& request, int status, const std::string& reason, qint64 requestId, qint64 receivedMs)
{
    if (m_journal)
        m_journal->append(journalRequest(request, requestId, receivedMs, status, reason), {}, [](bool) {});
    m_store.addRejected(makeRejected(request, requestId, receivedMs, status, reason));
}

void Capture::reset()
{
    drainIngests(); // requests that arrived before the reset are kept (and then cleared) in order
    m_store.clear();
    m_importedRequests.reset();
    newEngine();
    newCoverage(std::make_unique<Coverage>(m_contract));
    resetRuns();
    storeReplaced(false);
}

void Capture::storeReplaced(bool byLoad)
{
    if (!m_job)
        return;
    if (m_job->kind == JobKind::Contract)
        restartJudging(); // what it judged is gone: it catches up with the new content
    else if (byLoad)
        dropJob(true, {}); // a blocking open / import came later: it wins
}

void Capture::tick()
{
    if (m_engine)
        m_store.addViolations(m_engine->onTick(nowMs()));
    publishRunChanges();
}

bool Capture::openSessionFile(const QString& path, QString* error)
{
    SessionData data;
    if (QFileInfo::exists(path) && !SessionJournal::load(path, data, error))
        return false;
    auto journal = std::make_unique<SessionJournal>();
    if (!journal->open(path, error))
        return false;
    journal->setContractOrigin(m_contractOrigin);
    // Requests still on a worker belong to the session they arrived in; then that file is closed the
    // way closeSessionFile() closes it (flushed, marked clean), so its next opening is no "recovery".
    drainIngests();
    closeSessionFile();
    loadData(data);
    m_journal = std::move(journal);
    m_readOnly = false;
    m_importedRequests.reset(); // the file has them
    return true;
}

void Capture::closeSessionFile()
{
    if (!m_journal)
        return;
    m_journal->flush();
    m_journal->markClean();
    m_journal.reset();
}

bool Capture::importFile(const QString& path, QString* error)
{
    SessionData data;
    const bool sessionFile = path.endsWith(QLatin1String(".elsession"));
    if (sessionFile ? !SessionJournal::load(path, data, error) : !el::importFile(path, data, error))
        return false;
    drainIngests();
    closeSessionFile();
    m_readOnly = true;
    loadData(data);
    return true;
}

bool Capture::readSessionFile(SessionData& out, QString* error)
{
    if (!m_journal) {
        if (error)
            *error = QStringLiteral("no session file is open (started with --no-session, or an import is shown)");
        return false;
    }
    m_journal->flush();
    return SessionJournal::load(m_journal->path(), out, error);
}

bool Capture::request(qint64 requestId, JournalRequest& out, QString* error)
{
    if (m_journal) {
        if (m_journal->pendingCount() > 0)
            m_journal->flush(); // its events may be in the store before it is in the file
        return SessionJournal::readRequest(m_journal->path(), requestId, out, error);
    }
    if (m_importedRequests) {
        const auto& all = *m_importedRequests;
        const auto it = std::lower_bound(
            all.begin(), all.end(), requestId, [](const JournalRequest& r, qint64 id) { return r.id < id; });
        if (it != all.end() && it->id == requestId) {
            out = *it;
            return true;
        }
    }
    if (error)
        *error = m_readOnly ? QStringLiteral("request #%1 is not kept: the imported file holds no such request, and "
                                             "requests that arrive while an import is shown are not journaled")
                                  .arg(requestId)
                            : QStringLiteral("requests are not kept: started with --no-session");
    return false;
}

void Capture::loadData(const SessionData& data)
{
    drainIngests(); // nothing in flight may be committed into the loaded session with stale ids
    if (m_job && m_job->kind != JobKind::Contract)
        dropJob(true, {});
    newEngine();
    std::vector<EventPtr> events;
    events.reserve(data.events.size());
    for (const Event& e : data.events)
        events.push_back(std::make_shared<const Event>(e));
    std::vector<Violation> violations;
    if (m_engine) {
        violations = judgeAll(*m_engine, events.size(), [&](std::size_t i) -> const Event& { return *events[i]; });
        // A finished recording is judged as a closed input: open pairs are unfinished at its end.
        if (m_readOnly) {
            auto rest = m_engine->finish();
            violations.insert(
                violations.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
        }
    }
    auto coverage = countAll(m_contract, events.size(), [&](std::size_t i) -> const Event& { return *events[i]; });
    installData(data, std::move(events), std::move(violations), std::move(coverage));
}

void Capture::installData(const SessionData& data, std::vector<EventPtr> events, std::vector<Violation> violations,
    std::unique_ptr<Coverage> coverage)
{
    m_store.clear();
    m_store.resetCounters(events.empty() ? 0 : events.back()->seq, data.requests.empty() ? 0 : data.requests.back().id);
    // An import has no session file: its requests stay in memory for request() (by id).
    m_importedRequests.reset();
    if (m_readOnly && !data.requests.empty()) {
        auto kept = std::make_shared<std::vector<JournalRequest>>(data.requests);
        std::stable_sort(kept->begin(), kept->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        m_importedRequests = std::move(kept);
    }
    if (!events.empty()) {
        m_store.resetCounters(events.front()->seq - 1, m_store.requestCount());
        m_store.appendShared(std::move(events));
    }
    m_store.addViolations(violations);
    m_store.countRecordings(data.recordings);
    for (const JournalRequest& r : data.requests)
        if (isRejected(r))
            m_store.addRejected(toRejected(r));
    for (const JournalRequest& r : data.requests)
        if (r.upstreamStatus != 0)
            m_store.setUpstream(r.id, {r.upstreamStatus, r.upstreamMs, r.upstreamError});
    if (!data.requests.empty())
        m_store.resetCounters(m_store.nextSeq() - 1, std::max(m_store.requestCount(), data.requests.back().id));
    m_lastCommittedRequest = m_store.requestCount();
    resetRuns();
    storeReplaced(false);
    newCoverage(std::move(coverage)); // covers what the store holds now
}

Json Capture::checkRange(qint64 since, qint64 until, const EventScope& scope) const
{
    Json violations = Json::array();
    Json runs = Json::array();
    qint64 count = 0;
    if (m_contract) {
        ContractEngine engine(m_contract);
        std::vector<Violation> all;
        for (const EventPtr& e : m_store.events()) {
            if (e->seq <= since || e->seq > until || !scope.matches(*e))
                continue;
            ++count;
            auto v = engine.onEvent(*e);
            all.insert(all.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
        }
        auto rest = engine.finish();
        all.insert(all.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
        for (const Violation& v : all)
            violations.push_back(v.toJson());
        for (const RunInfo& r : engine.runs())
            runs.push_back(r.toJson());
    }
    return Json {{"events", count}, {"violations", std::move(violations)}, {"runs", std::move(runs)}};
}

Json Capture::coverage(qint64 since, qint64 until, const EventScope& scope) const
{
    Coverage counts(m_contract);
    qint64 events = 0;
    for (const EventPtr& e : m_store.events()) {
        if (e->seq <= since || e->seq > until || e->recording || !scope.matches(*e))
            continue;
        ++events;
        const Json doc = e->doc();
        const auto props = doc.find("properties");
        counts.add(e->name(), props != doc.end() ? *props : Json());
    }
    return Json {{"events", events}, {"coverage", counts.toJson()}};
}

std::vector<RunInfo> Capture::runs() const
{
    return m_engine ? m_engine->runs() : std::vector<RunInfo> {};
}

} // namespace el
