// SPDX-License-Identifier: MIT
// el::Capture: its life, contract and coverage, session files (blocking open / import / load) and the queries on
// what it holds. The ingest path is in captureingest.cpp, the background jobs in capturejobs.cpp.
#include "capture_p.h"

#include "importer.h"
#include "model/textsearch.h"

#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <optional>
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
                judgeKeptEvent(&contract, e, &judged[i], nullptr);
        }
    });
    std::vector<Violation> all;
    for (std::size_t i = 0; i < count; ++i)
        moveAppend(all, engine.onJudged(event(i), std::move(judged[i])));
    return all;
}

/**
 * The coverage of \a count events (event(i)) for \a contract, counted in fixed pieces on every core, added in
 * order.
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
                    judgeKeptEvent(nullptr, e, nullptr, &c);
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
        moveAppend(all, m_engine->onTick(nowMs()));
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
    const auto from = firstAfter(events, m_coveredSeq);
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

std::string Capture::contractName() const
{
    return m_engine ? m_engine->contractName() : std::string();
}

std::string Capture::contractVersion() const
{
    return m_engine ? m_engine->contractVersion() : std::string();
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

bool readSessionInput(Capture::JobKind kind, const QString& path, SessionData& data, std::string& error)
{
    if (kind == Capture::JobKind::OpenSession)
        return !QFileInfo::exists(path) || SessionJournal::load(path, data, error);
    if (path.endsWith(QLatin1String(".elsession")))
        return SessionJournal::load(path, data, error);
    return el::importFile(path, data, error);
}

bool Capture::openSessionFile(const QString& path, std::string& error)
{
    SessionData data;
    if (!readSessionInput(JobKind::OpenSession, path, data, error))
        return false;
    auto journal = std::make_unique<SessionJournal>();
    if (!journal->open(path, error))
        return false;
    journal->setContractOrigin(m_contractOrigin);
    // Requests still on a worker belong to the session they arrived in; then that file is closed the
    // way closeSessionFile() closes it (flushed, marked clean), so its next opening is no "recovery".
    drainIngests();
    closeSessionFile();
    loadData(std::move(data));
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

bool Capture::importFile(const QString& path, std::string& error)
{
    SessionData data;
    if (!readSessionInput(JobKind::Import, path, data, error))
        return false;
    drainIngests();
    closeSessionFile();
    m_readOnly = true;
    loadData(std::move(data));
    return true;
}

bool Capture::readSessionFile(SessionData& out, std::string& error)
{
    if (!m_journal) {
        error = QString(QStringLiteral("no session file is open (started with --no-session, or an import is shown)"))
                    .toStdString();
        return false;
    }
    m_journal->flush();
    return SessionJournal::load(m_journal->path(), out, error);
}

bool Capture::request(qint64 requestId, JournalRequest& out, std::string& error)
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
    error = QString(m_readOnly ? QStringLiteral("request #%1 is not kept: the imported file holds no such request, and "
                                                "requests that arrive while an import is shown are not journaled")
                                     .arg(requestId)
                               : QStringLiteral("requests are not kept: started with --no-session"))
                .toStdString();
    return false;
}

void Capture::loadData(SessionData data)
{
    drainIngests(); // nothing in flight may be committed into the loaded session with stale ids
    if (m_job && m_job->kind != JobKind::Contract)
        dropJob(true, {});
    newEngine();
    // Moved, not copied: a copy of every event (its text included) had been a fifth of the time to open a session.
    std::vector<EventPtr> events;
    events.reserve(data.events.size());
    for (Event& e : data.events)
        events.push_back(std::make_shared<const Event>(std::move(e)));
    std::vector<Event>().swap(data.events);
    std::vector<Violation> violations;
    if (m_engine) {
        violations = judgeAll(*m_engine, events.size(), [&](std::size_t i) -> const Event& { return *events[i]; });
        // A finished recording is judged as a closed input: open pairs are unfinished at its end.
        if (m_readOnly)
            moveAppend(violations, m_engine->finish());
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
            moveAppend(all, engine.onEvent(*e));
        }
        moveAppend(all, engine.finish());
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
        judgeKeptEvent(nullptr, *e, nullptr, &counts);
    }
    return Json {{"events", events}, {"coverage", counts.toJson()}};
}

std::vector<RunInfo> Capture::runs() const
{
    return m_engine ? m_engine->runs() : std::vector<RunInfo> {};
}

} // namespace el
