// SPDX-License-Identifier: MIT
#include "ingestserver.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

#include <algorithm>

namespace el {

namespace {

const Json kRemoteConfigBase = {
    {"supportedCompression", {"gzip", "gzip-js"}},
    {"hasFeatureFlags", false},
    {"sessionRecording", false},
    {"surveys", false},
    {"heatmaps", false},
    {"autocapture_opt_out", false},
    {"siteApps", Json::array()},
    {"defaultIdentifiedOnly", true},
};

Headers corsHeaders(const HttpRequest& request, bool preflight)
{
    Headers h;
    const std::string origin = request.header("Origin");
    if (origin.empty())
        return h;
    h.emplace_back("Access-Control-Allow-Origin", origin);
    h.emplace_back("Access-Control-Allow-Credentials", "true");
    h.emplace_back("Vary", "Origin");
    if (preflight) {
        h.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        const std::string requested = request.header("Access-Control-Request-Headers");
        h.emplace_back("Access-Control-Allow-Headers", requested.empty() ? "Content-Type" : requested);
        h.emplace_back("Access-Control-Max-Age", "600");
    }
    return h;
}

qint64 toInt(const std::optional<std::string>& s, qint64 fallback)
{
    if (!s || s->empty())
        return fallback;
    char* end = nullptr;
    const long long v = std::strtoll(s->c_str(), &end, 10);
    return (end && *end == '\0') ? v : fallback;
}

bool sameOriginOrNone(const HttpRequest& request)
{
    // Browsers send Origin on cross-origin POSTs; a request from our own page or a non-browser
    // client (curl, tests) has none or our own host.
    const std::string origin = request.header("Origin");
    if (origin.empty())
        return request.header("Sec-Fetch-Site").empty() || request.header("Sec-Fetch-Site") == "same-origin"
            || request.header("Sec-Fetch-Site") == "none";
    const std::string host = request.header("Host");
    return origin == "http://" + host;
}

} // namespace

IngestServer::IngestServer(Session* session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    m_http.setHandler([this](HttpRequest&& r, const HttpResponderPtr& resp) { handle(std::move(r), resp); });
    m_http.setProtocolErrorHandler([this](const HttpRequest& r, int status, const std::string& reason) {
        m_session->reject(r, status, reason);
        log(r, status, reason);
    });
    connect(m_session->store(), &EventStore::eventsAdded, this, &IngestServer::onEventsAdded);
}

IngestServer::~IngestServer()
{
    for (Waiter& w : m_waiters)
        delete w.timer;
}

bool IngestServer::listen(const QHostAddress& address, quint16 port)
{
    return m_http.listen(address, port);
}

void IngestServer::setUpstream(const UpstreamConfig& config)
{
    m_upstream = config;
    if (!m_upstream.url.isEmpty() && !m_nam) {
        m_nam = new QNetworkAccessManager(this);
        m_nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    }
}

namespace {

bool isHopByHop(const std::string& name)
{
    static const char* const hop[] = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length", "proxy-connection"};
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    return std::any_of(std::begin(hop), std::end(hop), [&](const char* h) { return lower == h; });
}

} // namespace

void IngestServer::forward(const HttpRequest& request, UpstreamCallback done)
{
    // The target is always the configured upstream plus the request's own path and query: the
    // Host header and absolute request targets are never used, so this cannot become an open proxy.
    QUrl target = m_upstream.url;
    QString basePath = target.path();
    if (basePath.endsWith(u'/'))
        basePath.chop(1);
    target.setPath(basePath + QString::fromStdString(request.path));
    target.setQuery(request.query.empty() ? QString() : QString::fromStdString(request.query), QUrl::StrictMode);
    QNetworkRequest out(target);
    out.setTransferTimeout(m_upstream.timeoutMs);
    out.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    // Qt would otherwise add and transparently strip its own Accept-Encoding.
    out.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    std::string forwardedFor;
    for (const auto& [name, value] : request.headers) {
        if (isHopByHop(name))
            continue;
        if (QByteArray(name.c_str()).compare("x-forwarded-for", Qt::CaseInsensitive) == 0) {
            forwardedFor = value;
            continue;
        }
        out.setRawHeader(QByteArray::fromStdString(name), QByteArray::fromStdString(value));
    }
    const std::string peerHost = request.peer.substr(0, request.peer.rfind(':'));
    out.setRawHeader(
        "X-Forwarded-For", QByteArray::fromStdString(forwardedFor.empty() ? peerHost : forwardedFor + ", " + peerHost));
    auto* timer = new QElapsedTimer;
    timer->start();
    QNetworkReply* reply = m_nam->sendCustomRequest(
        out, QByteArray::fromStdString(request.method), QByteArray::fromStdString(request.body));
    QObject::connect(reply, &QNetworkReply::finished, this, [reply, timer, done = std::move(done)] {
        const qint64 ms = timer->elapsed();
        delete timer;
        reply->deleteLater();
        const QVariant statusAttr = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!statusAttr.isValid()) {
            const bool timedOut = reply->error() == QNetworkReply::OperationCanceledError
                || reply->error() == QNetworkReply::TimeoutError;
            const std::string why
                = (timedOut ? std::string("upstream timed out: ") : std::string("upstream unreachable: "))
                + reply->errorString().toStdString();
            done(HttpResponse::error(timedOut ? 504 : 502, why), -1, ms, why);
            return;
        }
        HttpResponse r;
        r.status = statusAttr.toInt();
        r.contentType.clear();
        r.body = reply->readAll().toStdString();
        for (const auto& [name, value] : reply->rawHeaderPairs()) {
            if (isHopByHop(name.toStdString()) || name.compare("content-encoding", Qt::CaseInsensitive) == 0
                || name.startsWith("Access-Control-") || name.startsWith("access-control-"))
                continue;
            r.headers.emplace_back(name.toStdString(), value.toStdString());
        }
        done(r, r.status, ms, {});
    });
}

QString IngestServer::url() const
{
    const QHostAddress a = address();
    const QString host = a.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + a.toString() + u']' : a.toString();
    return QStringLiteral("http://") + host + u':' + QString::number(port());
}

void IngestServer::log(const HttpRequest& request, int status, const std::string& detail)
{
    const QString line = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs) + u' '
        + QString::fromStdString(request.method) + u' ' + QString::fromStdString(request.path)
        + (request.query.empty() ? QString() : u'?' + QString::fromStdString(request.query).left(80)) + u' '
        + QString::number(status) + u' ' + QString::number(request.body.size()) + QStringLiteral("B ")
        + QString::fromStdString(detail);
    Q_EMIT requestLogged(line);
}

void IngestServer::handle(HttpRequest&& request, const HttpResponderPtr& responder)
{
    std::string token;
    const Endpoint endpoint = classifyPath(request.path, &token);
    if (endpoint == Endpoint::Api)
        return handleApi(request, responder);

    if (request.method == "OPTIONS") {
        HttpResponse r;
        r.status = 204;
        r.contentType.clear();
        r.headers = corsHeaders(request, true);
        log(request, 204, "preflight");
        return responder->respond(r);
    }
    Headers cors = corsHeaders(request, false);
    auto answer = [&](HttpResponse r, const std::string& detail) {
        r.headers.insert(r.headers.end(), cors.begin(), cors.end());
        log(request, r.status, detail);
        responder->respond(r);
    };

    if (isIngestEndpoint(endpoint))
        return handleIngest(request, endpoint, responder, std::move(cors));

    const bool posthogPath = endpoint == Endpoint::Flags || endpoint == Endpoint::Decide
        || endpoint == Endpoint::RemoteConfig || endpoint == Endpoint::RemoteConfigJs || endpoint == Endpoint::Static;
    if (posthogPath && !m_upstream.url.isEmpty()) {
        forward(
            request, [this, request, responder, cors](const HttpResponse& up, int, qint64 ms, const std::string& err) {
                HttpResponse r = up;
                r.headers.insert(r.headers.end(), cors.begin(), cors.end());
                log(request, r.status, "upstream " + std::to_string(ms) + " ms" + (err.empty() ? "" : ": " + err));
                responder->respond(r);
            });
        return;
    }

    switch (endpoint) {
    case Endpoint::Flags:
    case Endpoint::Decide: {
        if (request.method != "POST" && request.method != "GET")
            break;
        Json body = kRemoteConfigBase;
        body["flags"] = Json::object();
        body["featureFlags"] = Json::object();
        body["featureFlagPayloads"] = Json::object();
        body["errorsWhileComputingFlags"] = false;
        body["requestId"] = "00000000-0000-4000-8000-000000000000";
        return answer(HttpResponse::json(200, body), endpoint == Endpoint::Flags ? "flags" : "decide");
    }
    case Endpoint::RemoteConfig: {
        Json body = kRemoteConfigBase;
        body["token"] = token;
        return answer(HttpResponse::json(200, body), "remote config");
    }
    case Endpoint::RemoteConfigJs:
    case Endpoint::Static:
        return answer(HttpResponse::error(404, "not served by EventLens (the SDK falls back)"), "not served");
    default:
        break;
    }
    if (request.path == "/" && request.method == "GET") {
        return answer(
            HttpResponse::json(
                200, Json {{"name", "EventLens"}, {"version", EVENTLENS_VERSION}, {"api", "/eventlens/v1/health"}}),
            "root");
    }
    if (endpoint == Endpoint::Flags || endpoint == Endpoint::Decide) {
        const std::string reason = "method " + request.method + " not allowed on " + request.path;
        m_session->reject(request, 405, reason);
        return answer(HttpResponse::error(405, reason), reason);
    }
    const std::string reason = "unknown path " + request.path + " (not a PostHog ingestion path)";
    m_session->reject(request, 404, reason);
    answer(HttpResponse::error(404, reason), reason);
}

void IngestServer::handleIngest(
    const HttpRequest& request, Endpoint endpoint, const HttpResponderPtr& responder, Headers cors)
{
    if (request.method != "POST" && request.method != "GET") {
        const std::string reason = "method " + request.method + " not allowed on " + request.path + " (use POST)";
        m_session->reject(request, 405, reason);
        HttpResponse response = HttpResponse::error(405, reason);
        response.headers.emplace_back("Allow", "GET, POST, OPTIONS");
        response.headers.insert(response.headers.end(), cors.begin(), cors.end());
        log(request, 405, reason);
        return responder->respond(response);
    }

    // The client is answered once the request is on disk (session file) and, in pass-through
    // mode, once the upstream answered: whichever comes last.
    struct Pending
    {
        bool ready = false; ///< local answer computed
        bool durable = false;
        bool durableOk = true;
        bool upstreamDone = true;
        HttpResponse local;
        HttpResponse upstream;
        int upstreamStatus = 0;
        qint64 upstreamMs = -1;
        std::string upstreamError;
        std::string detail;
    };
    auto pending = std::make_shared<Pending>();
    const bool proxy = !m_upstream.url.isEmpty();
    pending->upstreamDone = !proxy;
    auto finish = [this, pending, request, responder, cors, proxy] {
        if (!pending->ready || !pending->durable || !pending->upstreamDone)
            return;
        pending->ready = false; // answer once
        HttpResponse r;
        std::string detail = pending->detail;
        if (!pending->durableOk) {
            r = HttpResponse::error(503, "the session file could not be written; retry");
            detail += " [session file write failed]";
        } else if (proxy) {
            if (pending->upstreamStatus > 0 || !m_upstream.failOpen) {
                r = pending->upstream;
            } else {
                r = pending->local;
                detail += " [fail-open]";
            }
            detail += " upstream " + (pending->upstreamStatus > 0 ? std::to_string(pending->upstreamStatus) : "failed")
                + ' ' + std::to_string(pending->upstreamMs) + " ms";
        } else {
            r = pending->local;
        }
        r.headers.insert(r.headers.end(), cors.begin(), cors.end());
        log(request, r.status, detail);
        responder->respond(r);
    };

    const IngestOutcome outcome = m_session->ingest(request, endpoint, [pending, finish](bool ok) {
        pending->durable = true;
        pending->durableOk = ok;
        finish();
    });
    if (outcome.status == 200) {
        pending->local = endpoint == Endpoint::CaptureV1 ? HttpResponse::json(200, Json {{"results", Json::object()}})
                                                         : HttpResponse::json(200, Json {{"status", 1}});
        pending->detail = std::to_string(outcome.events) + (endpoint == Endpoint::Recording ? " recording" : " event")
            + (outcome.events == 1 ? "" : "s") + " (" + outcome.encoding + ' ' + outcome.shape + ')';
    } else {
        pending->local = HttpResponse::error(outcome.status, outcome.error);
        pending->detail = "rejected: " + outcome.error;
    }
    pending->ready = true;
    if (proxy) {
        const qint64 requestId = outcome.requestId;
        forward(request,
            [this, pending, finish, requestId](
                const HttpResponse& up, int status, qint64 ms, const std::string& error) {
                pending->upstream = up;
                pending->upstreamStatus = status;
                pending->upstreamMs = ms;
                pending->upstreamError = error;
                pending->upstreamDone = true;
                m_session->store()->setUpstream(requestId, {status, ms, error});
                if (SessionJournal* journal = m_session->journal())
                    journal->updateUpstream(requestId, status, ms, error, up.headers, up.body);
                finish();
            });
    }
    finish(); // when neither a session file nor an upstream is involved, this answers now
}

Json IngestServer::eventsPage(qint64 since, const std::string& event, std::size_t limit, bool* any) const
{
    const EventStore* store = m_session->store();
    const auto& events = store->events();
    Json list = Json::array();
    qint64 next = since;
    *any = false;
    if (!events.empty()) {
        const qint64 first = events.front()->seq;
        std::size_t i = since + 1 <= first ? 0 : static_cast<std::size_t>(since + 1 - first);
        for (; i < events.size(); ++i) {
            const Event& e = *events[i];
            next = e.seq;
            if (!event.empty() && e.name != event)
                continue;
            list.push_back(store->eventJson(e));
            *any = true;
            if (list.size() >= limit)
                break;
        }
    }
    return Json {{"events", std::move(list)}, {"next", next}};
}

void IngestServer::onEventsAdded()
{
    for (auto it = m_waiters.begin(); it != m_waiters.end();) {
        bool any = false;
        Json page = eventsPage(it->since, it->event, it->limit, &any);
        if (any || !it->responder->isConnected()) {
            it->responder->respond(HttpResponse::json(200, page));
            delete it->timer;
            it = m_waiters.erase(it);
        } else {
            ++it;
        }
    }
}

void IngestServer::handleApi(const HttpRequest& request, const HttpResponderPtr& responder)
{
    const std::string route = request.path.substr(std::string("/eventlens/v1").size());
    const std::string r = route.size() > 1 && route.back() == '/' ? route.substr(0, route.size() - 1) : route;
    auto answer = [&](const HttpResponse& resp) {
        log(request, resp.status, "api");
        responder->respond(resp);
    };
    const bool get = request.method == "GET";
    const bool post = request.method == "POST";
    const EventStore* store = m_session->store();

    if (r == "/health" && get) {
        return answer(HttpResponse::json(200,
            Json {{"status", "ok"}, {"version", EVENTLENS_VERSION},
                {"events", static_cast<qint64>(store->events().size())},
                {"rejected", static_cast<qint64>(store->rejected().size())},
                {"violations", static_cast<qint64>(store->violations().size())},
                {"recordings", store->recordingCount()}, {"requests", store->requestCount()},
                {"last_seq", store->nextSeq() - 1},
                {"contract", m_session->engine() ? Json(m_session->engine()->contractName()) : Json(nullptr)}}));
    }
    if (r == "/events" && get) {
        const qint64 since = std::max<qint64>(0, toInt(request.queryValue("since"), 0));
        const qint64 limit = std::clamp<qint64>(toInt(request.queryValue("limit"), 1000), 1, 100000);
        const qint64 waitMs = std::clamp<qint64>(toInt(request.queryValue("wait_ms"), 0), 0, 120000);
        const std::string event = request.queryValue("event").value_or(std::string());
        bool any = false;
        Json page = eventsPage(since, event, static_cast<std::size_t>(limit), &any);
        if (any || waitMs == 0)
            return answer(HttpResponse::json(200, page));
        Waiter w;
        w.responder = responder;
        w.since = since;
        w.event = event;
        w.limit = static_cast<std::size_t>(limit);
        w.timer = new QTimer;
        w.timer->setSingleShot(true);
        m_waiters.push_back(std::move(w));
        auto it = std::prev(m_waiters.end());
        QObject::connect(it->timer, &QTimer::timeout, this, [this, it, request] {
            bool found = false;
            Json timedOut = eventsPage(it->since, it->event, it->limit, &found);
            log(request, 200, "api (wait_ms elapsed)");
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
        if (!m_session->contract())
            return answer(HttpResponse::error(409, "no contract loaded"));
        return answer(HttpResponse::json(200, m_session->checkRange(since, until)));
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
            list.push_back(violationJson(v));
        return answer(HttpResponse::json(200, Json {{"violations", std::move(list)}}));
    }
    if (r == "/runs" && get) {
        Json list = Json::array();
        for (const RunInfo& run : m_session->runs())
            list.push_back(run.toJson());
        return answer(HttpResponse::json(200, Json {{"runs", std::move(list)}}));
    }
    if (r == "/contract" && get) {
        const ContractEngine* engine = m_session->engine();
        return answer(HttpResponse::json(200,
            engine ? Json {{"name", engine->contractName()}, {"version", engine->contractVersion()},
                {"origin", m_session->contractOrigin()}}
                   : Json {{"name", nullptr}}));
    }
    if ((r == "/reset" || r == "/contract") && post) {
        if (!sameOriginOrNone(request))
            return answer(HttpResponse::error(403, "cross-origin requests to " + request.path + " are refused"));
        if (r == "/reset") {
            m_session->reset();
            return answer(HttpResponse::json(200, Json {{"status", "ok"}}));
        }
        std::string error;
        std::shared_ptr<const Contract> contract;
        std::string origin;
        if (const auto name = request.queryValue("name")) {
            contract = loadContract(*name, error);
            origin = *name;
        } else {
            contract = parseContract(request.body, "request body", error);
            origin = "uploaded via API";
        }
        if (!contract)
            return answer(HttpResponse::error(400, error));
        m_session->setContract(contract, origin);
        return answer(HttpResponse::json(200,
            Json {{"status", "ok"}, {"name", m_session->engine()->contractName()},
                {"violations", static_cast<qint64>(store->violations().size())}}));
    }
    const bool known = r == "/health" || r == "/events" || r == "/rejected" || r == "/violations" || r == "/runs"
        || r == "/check" || r == "/reset" || r == "/contract";
    answer(known ? HttpResponse::error(405, "method " + request.method + " not allowed on " + request.path)
                 : HttpResponse::error(404, "unknown API path " + request.path));
}

} // namespace el
