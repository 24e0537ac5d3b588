// SPDX-License-Identifier: MIT
#include "ingestserver.h"

#include <QPointer>

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
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

std::string lowerAscii(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/**
 * CSRF guard for state-changing API calls. Browsers send Sec-Fetch-Site (modern) and Origin on
 * cross-origin POSTs; non-browser clients (curl, SDK tests) send neither. Refused: any
 * Sec-Fetch-Site other than same-origin/none, `Origin: null` (sandboxed frames, file://, redirects),
 * and any Origin other than http://<Host>.
 */
bool sameOriginOrNone(const HttpRequest& request)
{
    const std::string site = lowerAscii(request.header("Sec-Fetch-Site"));
    if (!site.empty() && site != "same-origin" && site != "none")
        return false;
    const std::string origin = lowerAscii(request.header("Origin"));
    if (origin.empty())
        return true;
    if (origin == "null")
        return false;
    return origin == "http://" + lowerAscii(request.header("Host"));
}

/**
 * DNS-rebinding guard for the inspection API on a loopback listener: a page from evil.example whose
 * name was rebound to 127.0.0.1 is "same-origin" with us, but its Host header still says evil.example.
 */
bool loopbackHost(const std::string& hostHeader)
{
    if (hostHeader.empty())
        return true; // HTTP/1.0 clients; browsers always send Host
    std::string host = lowerAscii(hostHeader);
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

bool constantTimeEquals(const std::string& a, const std::string& b)
{
    if (a.size() != b.size() || b.empty())
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string trimmed(const std::string& s)
{
    const size_t b = s.find_first_not_of(" \t");
    const size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/** Removes `name=...` parameters from a raw query string. */
std::string withoutQueryParam(const std::string& query, const std::string& name, bool* found)
{
    std::string out;
    size_t pos = 0;
    while (pos <= query.size()) {
        size_t amp = query.find('&', pos);
        if (amp == std::string::npos)
            amp = query.size();
        const std::string part = query.substr(pos, amp - pos);
        const std::string key = part.substr(0, part.find('='));
        if (key == name) {
            *found = true;
        } else if (!part.empty()) {
            out += (out.empty() ? "" : "&") + part;
        }
        pos = amp + 1;
    }
    return out;
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

bool IngestServer::authorize(HttpRequest& request, const HttpResponderPtr& responder)
{
    if (m_token.empty() || request.method == "OPTIONS")
        return true; // CORS preflights carry no credentials by design
    bool ok = false;
    bool inQuery = false;
    const std::optional<std::string> queryToken = request.queryValue("eventlens_token");
    request.query = withoutQueryParam(request.query, "eventlens_token", &inQuery);
    if (queryToken && constantTimeEquals(*queryToken, m_token))
        ok = true;
    Headers kept;
    for (auto& [name, value] : request.headers) {
        const std::string lname = lowerAscii(name);
        if (lname == "x-eventlens-token") {
            ok = ok || constantTimeEquals(value, m_token);
            continue; // never journaled, listed or forwarded
        }
        if (lname == "authorization" && lowerAscii(value.substr(0, 7)) == "bearer ") {
            if (constantTimeEquals(trimmed(value.substr(7)), m_token)) {
                ok = true;
                continue;
            }
        }
        kept.emplace_back(name, value);
    }
    if (ok) {
        request.headers = std::move(kept);
        return true;
    }
    // Listed without the presented credentials (a near-miss of the real token is still a secret).
    HttpRequest listed = request;
    for (auto& [name, value] : listed.headers) {
        const std::string lname = lowerAscii(name);
        if (lname == "x-eventlens-token" || lname == "authorization")
            value = "[redacted]";
    }
    if (inQuery)
        listed.query += std::string(listed.query.empty() ? "" : "&") + "eventlens_token=[redacted]";
    const std::string reason = "missing or wrong EventLens token (send Authorization: Bearer TOKEN, "
                               "X-EventLens-Token: TOKEN or ?eventlens_token=TOKEN)";
    m_session->reject(listed, 401, reason);
    HttpResponse r = HttpResponse::error(401, reason);
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"eventlens\"");
    const Headers cors = corsHeaders(request, false);
    r.headers.insert(r.headers.end(), cors.begin(), cors.end());
    log(listed, 401, reason);
    responder->respond(r);
    return false;
}

bool IngestServer::contractNameAllowed(const std::string& name) const
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

void IngestServer::handle(HttpRequest&& request, const HttpResponderPtr& responder)
{
    if (!authorize(request, responder))
        return;
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
        bool upstreamAnswered = false; ///< forward() called back (upstreamDone is also true without an upstream)
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

    const auto recordUpstream = [this, pending](qint64 id) {
        m_session->store()->setUpstream(id, {pending->upstreamStatus, pending->upstreamMs, pending->upstreamError});
        if (SessionJournal* journal = m_session->journal())
            journal->updateUpstream(id, pending->upstreamStatus, pending->upstreamMs, pending->upstreamError,
                pending->upstream.headers, pending->upstream.body);
    };
    // Decoding and the per-event checks run on a worker; the answer comes once the request is committed.
    QPointer<IngestServer> self(this);
    const qint64 requestId = m_session->ingestAsync(request, endpoint,
        [self, pending, finish, endpoint, recordUpstream](const IngestOutcome& outcome, bool durableOk) {
            if (!self)
                return; // the server went away while the request was being decoded
            if (outcome.status == 200) {
                pending->local = endpoint == Endpoint::CaptureV1
                    ? HttpResponse::json(200, Json {{"results", Json::object()}})
                    : HttpResponse::json(200, Json {{"status", 1}});
                pending->detail = std::to_string(outcome.events)
                    + (endpoint == Endpoint::Recording ? " recording" : " event") + (outcome.events == 1 ? "" : "s")
                    + " (" + outcome.encoding + ' ' + outcome.shape + ')';
            } else {
                pending->local = HttpResponse::error(outcome.status, outcome.error);
                pending->detail = "rejected: " + outcome.error;
            }
            pending->ready = true;
            pending->durable = true;
            pending->durableOk = durableOk;
            if (pending->upstreamAnswered)
                recordUpstream(outcome.requestId);
            finish();
        });
    if (proxy) {
        forward(request,
            [pending, finish, requestId, recordUpstream](
                const HttpResponse& up, int status, qint64 ms, const std::string& error) {
                pending->upstream = up;
                pending->upstreamStatus = status;
                pending->upstreamMs = ms;
                pending->upstreamError = error;
                pending->upstreamDone = true;
                pending->upstreamAnswered = true;
                // The request may still be on a decode worker: it is recorded once it is kept.
                if (pending->durable)
                    recordUpstream(requestId);
                finish();
            });
    }
}

Json IngestServer::eventsPage(qint64 since, const std::string& event, std::size_t limit, bool* any) const
{
    const EventStore* store = m_session->store();
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
            if (!event.empty() && e.name() != event)
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
        if (resp.status >= 400) {
            // Every refused API call is listed too, with the reason it was given.
            const Json parsed = Json::parse(resp.body, nullptr, false);
            const std::string reason = parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()
                ? parsed["error"].get<std::string>()
                : std::string(httpReasonPhrase(resp.status));
            m_session->reject(request, resp.status, reason);
            log(request, resp.status, reason);
        } else {
            log(request, resp.status, "api");
        }
        responder->respond(resp);
    };
    if (m_http.serverAddress().isLoopback() && !loopbackHost(request.header("Host")))
        return answer(HttpResponse::error(403,
            "Host \"" + request.header("Host")
                + "\" is not a loopback name: the inspection API refuses it (DNS-rebinding protection)"));
    const bool get = request.method == "GET";
    const bool post = request.method == "POST";
    const EventStore* store = m_session->store();

    if (r == "/health" && get) {
        return answer(HttpResponse::json(200,
            Json {{"status", "ok"}, {"version", EVENTLENS_VERSION},
                {"events", static_cast<qint64>(store->events().size())},
                {"rejected", static_cast<qint64>(store->rejected().size())},
                {"violations", store->errorTotal() + store->warningTotal()}, {"recordings", store->recordingCount()},
                {"requests", store->requestCount()}, {"last_seq", store->nextSeq() - 1},
                {"trimmed", store->trimmedCount()},
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
            if (!contractNameAllowed(*name))
                return answer(HttpResponse::error(403,
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
