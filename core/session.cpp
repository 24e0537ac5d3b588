// SPDX-License-Identifier: MIT
#include "session.h"

#include <algorithm>

namespace el {

Session::Session(QObject* parent)
    : QObject(parent)
{
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &Session::tick);
    m_tick.start();
}

Session::~Session() = default;

void Session::setContract(std::shared_ptr<const Contract> contract, const std::string& origin)
{
    m_contract = std::move(contract);
    m_engine = m_contract ? std::make_unique<ContractEngine>(m_contract) : nullptr;
    m_contractOrigin = m_engine ? origin : std::string();
    m_store.clearViolations();
    if (m_engine) {
        std::vector<Violation> all;
        for (const EventPtr& e : m_store.events()) {
            auto v = m_engine->onEvent(*e);
            all.insert(all.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
        }
        auto late = m_engine->onTick(nowMs());
        all.insert(all.end(), std::make_move_iterator(late.begin()), std::make_move_iterator(late.end()));
        m_store.addViolations(all);
    }
    Q_EMIT contractChanged();
}

bool Session::loadContract(const std::string& nameOrPath, std::string& error)
{
    auto contract = el::loadContract(nameOrPath, error);
    if (!contract)
        return false;
    setContract(std::move(contract), nameOrPath);
    return true;
}

IngestOutcome Session::ingest(const HttpRequest& request, Endpoint endpoint)
{
    IngestOutcome outcome;
    outcome.requestId = m_store.takeRequestId();
    const qint64 received = nowMs();
    DecodeResult decoded = decodeIngest(request, endpoint, m_limits);
    outcome.status = decoded.status;
    outcome.error = decoded.error;
    outcome.encoding = decoded.encoding;
    outcome.shape = decoded.shape;
    if (!decoded.ok()) {
        reject(request, decoded.status, decoded.error, outcome.requestId);
        return outcome;
    }
    outcome.events = decoded.events.size();
    if (endpoint == Endpoint::Recording) {
        m_store.countRecordings(static_cast<qint64>(decoded.events.size()));
        return outcome;
    }
    std::vector<Event> events;
    events.reserve(decoded.events.size());
    qint64 seq = m_store.nextSeq();
    for (Json& doc : decoded.events)
        events.push_back(makeEvent(std::move(doc), request, seq++, outcome.requestId, received));
    std::vector<Violation> violations;
    if (m_engine) {
        for (const Event& e : events) {
            auto v = m_engine->onEvent(e);
            violations.insert(violations.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
        }
    }
    m_store.appendEvents(std::move(events));
    m_store.addViolations(violations);
    return outcome;
}

void Session::reject(const HttpRequest& request, int status, const std::string& reason, qint64 requestId)
{
    RejectedRequest r;
    r.id = requestId ? requestId : m_store.takeRequestId();
    r.receivedMs = nowMs();
    r.method = request.method;
    r.path = request.path;
    r.query = request.query;
    r.headers = request.headers;
    r.size = static_cast<qint64>(request.body.size());
    r.firstBytes = request.body.substr(0, std::min<std::size_t>(request.body.size(), 256));
    r.status = status;
    r.reason = reason;
    r.peer = request.peer;
    m_store.addRejected(std::move(r));
}

void Session::reset()
{
    m_store.clear();
    if (m_contract)
        m_engine = std::make_unique<ContractEngine>(m_contract);
}

void Session::tick()
{
    if (m_engine)
        m_store.addViolations(m_engine->onTick(nowMs()));
}

Json Session::checkRange(qint64 since, qint64 until) const
{
    Json violations = Json::array();
    Json runs = Json::array();
    qint64 count = 0;
    if (m_contract) {
        ContractEngine engine(m_contract);
        std::vector<Violation> all;
        for (const EventPtr& e : m_store.events()) {
            if (e->seq <= since || e->seq > until)
                continue;
            ++count;
            auto v = engine.onEvent(*e);
            all.insert(all.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
        }
        auto rest = engine.finish();
        all.insert(all.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
        for (const Violation& v : all)
            violations.push_back(violationJson(v));
        for (const RunInfo& r : engine.runs())
            runs.push_back(r.toJson());
    }
    return Json {{"events", count}, {"violations", std::move(violations)}, {"runs", std::move(runs)}};
}

std::vector<RunInfo> Session::runs() const
{
    return m_engine ? m_engine->runs() : std::vector<RunInfo> {};
}

} // namespace el
