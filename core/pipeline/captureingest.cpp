// SPDX-License-Identifier: MIT
// Capture's ingest path: requests decoded and judged on worker threads, then committed on this thread strictly in
// arrival order (seqs, sequence rules, store, journal), with refused requests and in-order changes in that queue.
#include "capture_p.h"

#include "journalrequest.h"

#include <QScopeGuard>

#include <algorithm>
#include <utility>

namespace el {

namespace {

/**
 * How a request committed here is journaled: as it arrived, with what its client was answered. An accepted request
 * is no longer needed once committed: it is moved (its body can be megabytes), a refused one is copied (the store
 * keeps its first bytes too).
 */
template<typename Request>
JournalRequest journalRequest(Request&& request, qint64 id, qint64 receivedMs, int status, const std::string& reason)
{
    JournalRequest j = el::journalRequest(std::forward<Request>(request), id, receivedMs);
    j.status = status;
    j.reason = reason;
    j.responseHeaders = {{"Content-Type", "application/json"}};
    j.responseBody = status == 200 ? std::string(R"({"status":1})")
                                   : Json {{"error", reason}}.dump(-1, ' ', false, Json::error_handler_t::replace);
    return j;
}

} // namespace

/** One request between its worker and its commit (or a change applied in its turn: applyInOrder()). */
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
    // The body is read into this worker's FlatJson and normalised there; the DOM is built only where the decoder
    // or the judge needs it (decodeIngestFlat(), judgeEventQuickly()).
    FlatJson& flat = FlatJson::threadScratch();
    std::vector<FlatJson::Ref> flatEvents;
    DecodeResult decoded = decodeIngestFlat(p->request, endpoint, flat, flatEvents, limits);
    outcome.status = decoded.status;
    outcome.error = std::move(decoded.error);
    outcome.encoding = std::move(decoded.encoding);
    outcome.shape = std::move(decoded.shape);
    recycleDecodedBody(decoded); // not kept: the journal keeps the body as it arrived
    if (!decoded.ok())
        return;
    const std::size_t count = flatEvents.empty() ? decoded.events.size() : flatEvents.size();
    outcome.events = count;
    if (endpoint == Endpoint::Recording)
        return;
    p->events.reserve(count);
    if (contract)
        p->judgements.reserve(count);
    EventSourceCache sources; // shared by the request's events
    const EventOrigin origin = originOf(p->request);
    for (std::size_t i = 0; i < count; ++i) {
        if (flatEvents.empty()) {
            const Json& doc = decoded.events[i];
            Event e = makeEvent(doc, origin, 0, requestId, receivedMs, &sources);
            if (contract)
                p->judgements.push_back(judgeEvent(*contract, e, doc));
            p->events.push_back(std::move(e));
            continue;
        }
        const FlatJson::Ref doc = flatEvents[i];
        Event e = makeEvent(doc, origin, 0, requestId, receivedMs, &sources);
        if (contract) {
            EventJudgement quick;
            if (judgeEventQuickly(*contract, e, doc, quick))
                p->judgements.push_back(std::move(quick));
            else
                p->judgements.push_back(judgeEvent(*contract, e, doc.toJson()));
        }
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
            JournalRequest j = journalRequest(std::move(p.request), outcome.requestId, p.receivedMs, 200, {});
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
        moveAppend(violations, std::move(v));
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
            journalRequest(std::move(p.request), outcome.requestId, p.receivedMs, 200, {}), std::move(added),
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

void Capture::keepRejected(
    const HttpRequest& request, int status, const std::string& reason, qint64 requestId, qint64 receivedMs)
{
    if (m_journal)
        m_journal->append(journalRequest(request, requestId, receivedMs, status, reason), {}, [](bool) {});
    m_store.addRejected(makeRejected(request, requestId, receivedMs, status, reason));
}

} // namespace el
