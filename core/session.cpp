// SPDX-License-Identifier: MIT
#include "session.h"

#include "store/exchange.h"

#include <QFileInfo>

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

IngestOutcome Session::ingest(const HttpRequest& request, Endpoint endpoint, std::function<void(bool ok)> onDurable)
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
        if (onDurable)
            onDurable(true);
        return outcome;
    }
    outcome.events = decoded.events.size();
    if (endpoint == Endpoint::Recording) {
        m_store.countRecordings(static_cast<qint64>(decoded.events.size()));
        if (m_journal)
            m_journal->append(
                journalRequest(request, outcome.requestId, received, 200, {}), {},
                onDurable ? std::move(onDurable) : [](bool) {});
        else if (onDurable)
            onDurable(true);
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
    const std::size_t count = events.size();
    m_store.appendEvents(std::move(events));
    m_store.addViolations(violations);
    if (m_journal) {
        const auto& all = m_store.events();
        std::vector<EventPtr> added(all.end() - static_cast<std::ptrdiff_t>(count), all.end());
        m_journal->append(
            journalRequest(request, outcome.requestId, received, 200, {}), std::move(added),
            onDurable ? std::move(onDurable) : [](bool) {});
    } else if (onDurable) {
        onDurable(true);
    }
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
    if (m_journal)
        m_journal->append(journalRequest(request, r.id, r.receivedMs, status, reason), {}, [](bool) {});
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

bool Session::openSessionFile(const QString& path, QString* error)
{
    SessionData data;
    if (QFileInfo::exists(path) && !SessionJournal::load(path, data, error))
        return false;
    auto journal = std::make_unique<SessionJournal>();
    if (!journal->open(path, error))
        return false;
    journal->setContractOrigin(m_contractOrigin);
    m_journal.reset();
    loadData(data);
    m_journal = std::move(journal);
    m_readOnly = false;
    return true;
}

void Session::closeSessionFile()
{
    if (!m_journal)
        return;
    m_journal->flush();
    m_journal->markClean();
    m_journal.reset();
}

bool Session::importFile(const QString& path, QString* error)
{
    SessionData data;
    const bool sessionFile = path.endsWith(QLatin1String(".elsession"));
    if (sessionFile ? !SessionJournal::load(path, data, error) : !el::importFile(path, data, error))
        return false;
    closeSessionFile();
    m_readOnly = true;
    loadData(data);
    return true;
}

bool Session::readSessionFile(SessionData& out, QString* error)
{
    if (!m_journal) {
        if (error)
            *error = QStringLiteral("no session file is open (started with --no-session, or an import is shown)");
        return false;
    }
    m_journal->flush();
    return SessionJournal::load(m_journal->path(), out, error);
}

void Session::loadData(const SessionData& data)
{
    m_store.clear();
    if (m_contract)
        m_engine = std::make_unique<ContractEngine>(m_contract);
    m_store.resetCounters(
        data.events.empty() ? 0 : data.events.back().seq, data.requests.empty() ? 0 : data.requests.back().id);
    std::vector<Event> events(data.events.begin(), data.events.end());
    std::vector<Violation> violations;
    if (m_engine) {
        for (const Event& e : events) {
            auto v = m_engine->onEvent(e);
            violations.insert(violations.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
        }
        // A finished recording is judged as a closed input: open pairs are unfinished at its end.
        if (m_readOnly) {
            auto rest = m_engine->finish();
            violations.insert(
                violations.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
        }
    }
    if (!events.empty()) {
        m_store.resetCounters(events.front().seq - 1, m_store.requestCount());
        m_store.appendEvents(std::move(events));
    }
    m_store.addViolations(violations);
    for (const JournalRequest& r : data.requests)
        if (isRejected(r))
            m_store.addRejected(toRejected(r));
    for (const JournalRequest& r : data.requests)
        if (r.upstreamStatus != 0)
            m_store.setUpstream(r.id, {r.upstreamStatus, r.upstreamMs, r.upstreamError});
    if (!data.requests.empty())
        m_store.resetCounters(m_store.nextSeq() - 1, std::max(m_store.requestCount(), data.requests.back().id));
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
