// SPDX-License-Identifier: MIT
#include "inspectionapi.h"

#include "contract/coverage.h"
#include "faults.h"
#include "util/text.h"

#include "capture.h"

#include <QFileInfo>
#include <QHostAddress>
#include <QPointer>
#include <QTimer>

#include <algorithm>

namespace el {

namespace {

qint64 toInt(const std::optional<std::string>& s, qint64 fallback)
{
    if (!s || s->empty())
        return fallback;
    char* end = nullptr;
    const long long v = std::strtoll(s->c_str(), &end, 10);
    return (end && *end == '\0') ? v : fallback;
}

/**
 * CSRF guard for state-changing API calls. Browsers send Sec-Fetch-Site (modern) and Origin on
 * cross-origin POSTs; non-browser clients (curl, SDK tests) send neither. Refused: any
 * Sec-Fetch-Site other than same-origin/none, `Origin: null` (sandboxed frames, file://, redirects),
 * and any Origin other than http://<Host>.
 */
bool sameOriginOrNone(const HttpRequest& request)
{
    const std::string site = asciiLower(request.header("Sec-Fetch-Site"));
    if (!site.empty() && site != "same-origin" && site != "none")
        return false;
    const std::string origin = asciiLower(request.header("Origin"));
    if (origin.empty())
        return true;
    if (origin == "null")
        return false;
    return origin == "http://" + asciiLower(request.header("Host"));
}

/**
 * DNS-rebinding guard for the inspection API on a loopback listener: a page from evil.example whose
 * name was rebound to 127.0.0.1 is "same-origin" with us, but its Host header still says evil.example.
 */
bool loopbackHost(const std::string& hostHeader)
{
    if (hostHeader.empty())
        return true; // HTTP/1.0 clients; browsers always send Host
    std::string host = asciiLower(hostHeader);
    if (!host.empty() && host.front() == '[') {
        const size_t close = host.find(']');
        host = close == std::string::npos ? host : host.substr(1, close - 1);
    } else if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
        host = host.substr(0, colon);
    }
    if (host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0))
        return true;
    const QHostAddress a(QString::fromStdString(host));
    return !a.isNull() && a.isLoopback();
}

} // namespace

InspectionApi::InspectionApi(Capture* capture, QObject* parent)
    : QObject(parent)
    , m_capture(capture)
{
    connect(m_capture->store(), &EventStore::eventsAdded, this, &InspectionApi::onEventsAdded);
}

InspectionApi::~InspectionApi()
{
    for (Waiter& w : m_waiters)
        delete w.timer;
}

bool InspectionApi::contractNameAllowed(const std::string& name) const
{
    if (name.rfind("builtin:", 0) == 0)
        return true; // Qt resources only; names with '/' are refused by loadContract
    const QFileInfo wanted(QString::fromStdString(name));
    for (const std::string& allowed : m_allowedContractFiles) {
        if (allowed == name)
            return true;
        const QFileInfo a(QString::fromStdString(allowed));
        if (wanted.exists() && a.exists() && wanted.canonicalFilePath() == a.canonicalFilePath())
            return true;
    }
    return false;
}

Json InspectionApi::eventsPage(
    qint64 since, const std::string& event, const EventScope& scope, std::size_t limit, bool* any) const
{
    const EventStore* store = m_capture->store();
    const auto& events = store->events();
    Json list = Json::array();
    qint64 next = since;
    *any = false;
    if (!events.empty()) {
        // Seqs increase but may have gaps (loaded sessions, filtered imports): binary search.
        std::size_t i = static_cast<std::size_t>(std::upper_bound(events.begin(), events.end(), since,
                                                     [](qint64 s, const EventPtr& e) { return s < e->seq; })
            - events.begin());
        for (; i < events.size(); ++i) {
            const Event& e = *events[i];
            next = e.seq;
            if ((!event.empty() && e.field(Event::Field::Name) != event) || !scope.matches(e))
                continue;
            list.push_back(store->eventJson(e));
            *any = true;
            if (list.size() >= limit)
                break;
        }
    }
    return Json {{"events", std::move(list)}, {"next", next}};
}

void InspectionApi::onEventsAdded()
{
    for (auto it = m_waiters.begin(); it != m_waiters.end();) {
        bool any = false;
        Json page = eventsPage(it->since, it->event, it->scope, it->limit, &any);
        if (any || !it->responder->isConnected()) {
            it->responder->respond(HttpResponse::json(200, page));
            delete it->timer;
            it = m_waiters.erase(it);
        } else {
            ++it;
        }
    }
}

void InspectionApi::handle(const HttpRequest& request, const HttpResponderPtr& responder, bool loopbackListener)
{
    const std::string route = request.path.substr(std::string("/eventlens/v1").size());
    const std::string r = route.size() > 1 && route.back() == '/' ? route.substr(0, route.size() - 1) : route;
    auto answer = [&](const HttpResponse& resp) { this->answer(request, responder, resp); };
    if (loopbackListener && !loopbackHost(request.header("Host")))
        return answer(HttpResponse::error(403,
            "Host \"" + request.header("Host")
                + "\" is not a loopback name: the inspection API refuses it (DNS-rebinding protection)"));
    const bool get = request.method == "GET";
    const bool post = request.method == "POST";
    const EventStore* store = m_capture->store();
    EventScope scope;
    scope.distinctId = request.queryValue("distinct_id");
    scope.sessionId = request.queryValue("session_id");

    if (r == "/health" && get) {
        return answer(HttpResponse::json(200,
            Json {{"status", "ok"}, {"version", EVENTLENS_VERSION},
                {"events", static_cast<qint64>(store->events().size())},
                {"rejected", static_cast<qint64>(store->rejected().size())},
                {"violations", store->errorTotal() + store->warningTotal()}, {"recordings", store->recordingCount()},
                {"requests", store->requestCount()}, {"last_seq", store->nextSeq() - 1},
                {"trimmed", store->trimmedCount()},
                {"contract", m_capture->contract() ? Json(m_capture->contractName()) : Json(nullptr)},
                {"reloading", reloading()}}));
    }
    if (r == "/events" && get) {
        const qint64 since = std::max<qint64>(0, toInt(request.queryValue("since"), 0));
        const qint64 limit = std::clamp<qint64>(toInt(request.queryValue("limit"), 1000), 1, 100000);
        const qint64 waitMs = std::clamp<qint64>(toInt(request.queryValue("wait_ms"), 0), 0, 120000);
        const std::string event = request.queryValue("event").value_or(std::string());
        bool any = false;
        Json page = eventsPage(since, event, scope, static_cast<std::size_t>(limit), &any);
        if (any || waitMs == 0)
            return answer(HttpResponse::json(200, page));
        Waiter w;
        w.responder = responder;
        w.since = since;
        w.event = event;
        w.scope = scope;
        w.limit = static_cast<std::size_t>(limit);
        w.timer = new QTimer;
        w.timer->setSingleShot(true);
        m_waiters.push_back(std::move(w));
        auto it = std::prev(m_waiters.end());
        QObject::connect(it->timer, &QTimer::timeout, this, [this, it, request] {
            bool found = false;
            Json timedOut = eventsPage(it->since, it->event, it->scope, it->limit, &found);
            if (m_log)
                m_log(request, 200, "api (wait_ms elapsed)");
            it->responder->respond(HttpResponse::json(200, timedOut));
            it->timer->deleteLater();
            m_waiters.erase(it);
        });
        it->timer->start(static_cast<int>(waitMs));
        return;
    }
    if (r == "/check" && get) {
        const qint64 since = std::max<qint64>(0, toInt(request.queryValue("since"), 0));
        const qint64 until = toInt(request.queryValue("until"), store->nextSeq() - 1);
        if (!m_capture->contract())
            return answer(HttpResponse::error(409, "no contract loaded"));
        return answer(HttpResponse::json(200, m_capture->checkRange(since, until, scope)));
    }
    if (r == "/coverage" && get) {
        // The whole session in memory: the live count (no event is parsed again); a range is counted on request.
        if (!request.queryValue("since") && !request.queryValue("until") && scope.any() && store->trimmedCount() == 0) {
            const Coverage live = m_capture->liveCoverage();
            return answer(HttpResponse::json(200, Json {{"events", live.events()}, {"coverage", live.toJson()}}));
        }
        const qint64 since = std::max<qint64>(0, toInt(request.queryValue("since"), 0));
        const qint64 until = toInt(request.queryValue("until"), store->nextSeq() - 1);
        return answer(HttpResponse::json(200, m_capture->coverage(since, until, scope)));
    }
    if (r == "/rejected" && get) {
        Json list = Json::array();
        for (const RejectedRequest& rej : store->rejected())
            list.push_back(rej.toJson());
        return answer(HttpResponse::json(200, Json {{"rejected", std::move(list)}}));
    }
    if (r == "/violations" && get) {
        Json list = Json::array();
        for (const Violation& v : store->violations())
            list.push_back(v.toJson());
        return answer(HttpResponse::json(200, Json {{"violations", std::move(list)}}));
    }
    if (r == "/runs" && get) {
        Json list = Json::array();
        for (const RunInfo& run : m_capture->runs()) {
            // A run is in scope when its start event is (its end event, for an end without a start).
            if (!scope.any()) {
                const EventPtr e = store->eventBySeq(run.startSeq ? run.startSeq : run.endSeq);
                if (!e || !scope.matches(*e))
                    continue;
            }
            list.push_back(run.toJson());
        }
        return answer(HttpResponse::json(200, Json {{"runs", std::move(list)}}));
    }
    if (r == "/contract" && get) {
        Json body = m_capture->contract() ? Json {{"name", m_capture->contractName()},
                        {"version", m_capture->contractVersion()}, {"origin", m_capture->contractOrigin()}}
                                          : Json {{"name", nullptr}};
        body["reloading"] = reloading();
        return answer(HttpResponse::json(200, body));
    }
    if ((r == "/reset" || r == "/contract") && post)
        return change(request, responder, r);
    if ((r == "/faults" || r.rfind("/faults/", 0) == 0) && m_faults)
        return faults(request, responder, r);
    const bool known = r == "/health" || r == "/events" || r == "/rejected" || r == "/violations" || r == "/runs"
        || r == "/check" || r == "/coverage" || r == "/reset" || r == "/contract";
    answer(known ? HttpResponse::error(405, "method " + request.method + " not allowed on " + request.path)
                 : HttpResponse::error(404, "unknown API path " + request.path));
}

void InspectionApi::faults(const HttpRequest& request, const HttpResponderPtr& responder, const std::string& route)
{
    auto answer = [&](const HttpResponse& resp) { this->answer(request, responder, resp); };
    const bool get = request.method == "GET";
    const bool post = request.method == "POST";
    const bool del = request.method == "DELETE";
    if (route == "/faults" && get)
        return answer(HttpResponse::json(200, m_faults->toJson()));
    if (!(route == "/faults" && (post || del)) && !(route != "/faults" && del))
        return answer(HttpResponse::error(405, "method " + request.method + " not allowed on " + request.path));
    if (!sameOriginOrNone(request))
        return answer(HttpResponse::error(403, "cross-origin requests to " + request.path + " are refused"));
    if (route == "/faults" && del)
        return answer(HttpResponse::json(200, Json {{"cleared", m_faults->clear()}}));
    if (del) {
        const std::string id = route.substr(std::string("/faults/").size());
        const qint64 n = toInt(std::optional<std::string>(id), -1);
        if (n <= 0 || !m_faults->remove(static_cast<int>(n)))
            return answer(HttpResponse::error(404, "no fault " + id));
        return answer(HttpResponse::json(200, Json {{"cleared", 1}}));
    }
    Json config;
    std::string error;
    if (!parseJson(request.body, config, 16, error))
        return answer(HttpResponse::error(400, "the fault is not JSON: " + error));
    const auto fault = m_faults->add(config, error);
    if (!fault)
        return answer(HttpResponse::error(400, error));
    return answer(HttpResponse::json(201, Json {{"fault", fault->toJson()}}));
}

void InspectionApi::change(const HttpRequest& request, const HttpResponderPtr& responder, const std::string& route)
{
    if (!sameOriginOrNone(request))
        return answer(
            request, responder, HttpResponse::error(403, "cross-origin requests to " + request.path + " are refused"));
    QPointer<InspectionApi> self(this);
    if (route == "/reset") {
        m_capture->applyInOrder([capture = m_capture] { capture->reset(); },
            [self, request, responder] {
                if (self)
                    self->answer(request, responder, HttpResponse::json(200, Json {{"status", "ok"}}));
            });
        return;
    }
    std::string error;
    std::shared_ptr<const Contract> contract;
    std::string origin;
    if (const auto name = request.queryValue("name")) {
        if (!contractNameAllowed(*name))
            return answer(request, responder,
                HttpResponse::error(403,
                    "contract \"" + *name
                        + "\" may not be loaded through the API: only builtin:NAME or a file named at startup "
                          "(--contract); upload the contract as the request body instead"));
        contract = loadContract(*name, error);
        origin = *name;
    } else {
        contract = parseContract(request.body, "request body", error);
        origin = "uploaded via API";
    }
    if (!contract)
        return answer(request, responder, HttpResponse::error(400, error));
    // In its turn, the new contract starts catching up in the background; the answer comes once it is applied
    // (every event in memory judged again), or 409 when it is dropped: a newer contract replaced it, or the
    // reload was cancelled in the window. Requests that arrive meanwhile are judged by the current contract,
    // then again by the new one.
    Capture* capture = m_capture;
    capture->applyInOrder([self, capture, contract, origin, request, responder] {
        capture->setContract(contract, origin, [self, capture, request, responder](bool applied) {
            if (!self)
                return;
            if (!applied)
                return self->answer(request, responder,
                    HttpResponse::error(409,
                        "the contract was not applied: a newer contract replaced it before every event was judged "
                        "again, or the reload was cancelled"));
            self->answer(request, responder,
                HttpResponse::json(200,
                    Json {{"status", "ok"}, {"name", capture->contractName()},
                        {"violations", static_cast<qint64>(capture->store()->violations().size())}}));
        });
    });
}

Json InspectionApi::reloading() const
{
    if (!m_capture->isJudging())
        return nullptr;
    const char* kind = "contract";
    switch (m_capture->judgingKind()) {
    case Capture::JobKind::Contract:
        break;
    case Capture::JobKind::OpenSession:
        kind = "open_session";
        break;
    case Capture::JobKind::Import:
        kind = "import";
        break;
    }
    return Json {{"kind", kind}, {"done", m_capture->judgingDone()}, {"total", m_capture->judgingTotal()}};
}

void InspectionApi::answer(const HttpRequest& request, const HttpResponderPtr& responder, const HttpResponse& response)
{
    if (response.status >= 400) {
        // Every refused API call is listed too, with the reason it was given.
        const Json parsed = Json::parse(response.body, nullptr, false);
        const std::string reason = parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()
            ? parsed["error"].get<std::string>()
            : std::string(httpReasonPhrase(response.status));
        m_capture->reject(request, response.status, reason);
        if (m_log)
            m_log(request, response.status, reason);
    } else if (m_log) {
        m_log(request, response.status, "api");
    }
    responder->respond(response);
}

} // namespace el
