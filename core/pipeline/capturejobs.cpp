// SPDX-License-Identifier: MIT
// Capture's background jobs (contract reload, open, import): a file read on a worker, events judged in chunks on
// the judge pool, applied in seq order on this thread in short slices, then swapped in at once.
#include "capture_p.h"
#include "util/qtext.h"

#include <QElapsedTimer>
#include <QScopeGuard>

#include <algorithm>
#include <utility>

namespace el {

namespace {

constexpr std::size_t kChunkEvents = 256; ///< events per worker task: a few ms of work, so ingest never waits long
constexpr int kSliceMs = 8; ///< the sequence half runs on this thread for this long, then yields
constexpr qint64 kProgressMs = 50;

} // namespace

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
    const auto next = firstAfter(events, m_job->lastAppliedSeq);
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
    job.coverages = std::make_shared<CoveragePool>(*job.coverage);
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
            auto it = firstAfter(events, job.dispatchedSeq);
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
                              events = std::move(slice), hook = m_judgeHook, coverages = job.coverages]() mutable {
            if (hook)
                hook();
            std::vector<EventJudgement> judged(contract ? events.size() : 0);
            Coverage* const coverage = coverages->borrow();
            auto giveBack = qScopeGuard([&] { coverages->giveBack(coverage); });
            for (std::size_t i = 0; i < events.size(); ++i) {
                if (stop->load(std::memory_order_relaxed))
                    return; // cancelled or replaced: nobody waits for it
                const Event& e = *events[i];
                if (e.recording)
                    continue;
                try {
                    // Read once, with no DOM unless a check needs valijson (see judgeKeptEvent()).
                    judgeKeptEvent(contract.get(), e, contract ? &judged[i] : nullptr, coverage);
                } catch (...) {
                    if (contract)
                        judged[i] = EventJudgement {}; // an exception must not leave a worker
                }
            }
            coverages->giveBack(coverage); // before the chunk is handed on: see Job::coverages
            giveBack.dismiss();
            QMetaObject::invokeMethod(
                this,
                [this, generation, chunk, events = std::move(events), judged = std::move(judged)]() mutable {
                    onChunkJudged(generation, chunk, std::move(events), std::move(judged));
                },
                Qt::QueuedConnection);
        });
    }
}

void Capture::onChunkJudged(
    std::uint64_t generation, std::size_t chunk, std::vector<EventPtr> events, std::vector<EventJudgement> judged)
{
    if (!m_job || m_job->generation != generation)
        return;
    Chunk c;
    c.events = std::move(events);
    c.judged = std::move(judged);
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
                moveAppend(job.violations, job.engine->onJudged(e, std::move(c.judged[c.applied])));
            }
            job.lastAppliedSeq = e.seq;
            ++job.done;
        }
        if (c.applied == c.events.size()) {
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
        if (m_engine)
            moveAppend(all, m_engine->onTick(nowMs()));
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
        if (job->coverages)
            job->coverages->mergeInto(*job->coverage);
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
        std::string error;
        if (!journal->open(m_job->path, error)) {
            dropJob(false, qs(error));
            return;
        }
    }
    std::unique_ptr<Job> job = std::move(m_job);
    ++m_jobGeneration;
    std::vector<Violation> violations = std::move(job->violations);
    const bool readOnly = job->kind == JobKind::Import;
    // A finished recording is judged as a closed input: open pairs are unfinished at its end.
    if (job->engine && readOnly)
        moveAppend(violations, job->engine->finish());
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
    if (job->coverages)
        job->coverages->mergeInto(*job->coverage);
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
        std::string why;
        bool ok = false;
        try {
            ok = readSessionInput(kind, path, *data, why);
        } catch (const std::exception& e) {
            why = e.what();
        }
        if (!ok && why.empty())
            why = path.toStdString() + ": cannot be read";
        QMetaObject::invokeMethod(
            this,
            [this, generation, data = std::move(data), error = ok ? QString() : qs(why)]() mutable {
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

} // namespace el
