// SPDX-License-Identifier: MIT
#include "ingestserver.h"
#include "util/isotime.h"
#include "util/text.h"

#include <QDateTime>
#include <QMetaMethod>
#include <QPointer>
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
    } else {
        // A page on another origin can read Retry-After only when it is exposed (a 429/503 fault's back-off).
        h.emplace_back("Access-Control-Expose-Headers", "Retry-After");
    }
    return h;
}

bool constantTimeEquals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size() || b.empty())
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
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

IngestServer::IngestServer(Capture* capture, QObject* parent)
    : QObject(parent)
    , m_capture(capture)
    , m_api(capture)
{
    m_api.setFaults(m_faults);
    m_api.setLogger([this](const HttpRequest& r, int status, const std::string& detail) { log(r, status, detail); });
    m_http.setHandler([this](HttpRequest&& r, const HttpResponderPtr& resp) { handle(std::move(r), resp); });
    m_http.setProtocolErrorHandler([this](const HttpRequest& r, int status, const std::string& reason) {
        m_capture->reject(r, status, reason);
        log(r, status, reason);
    });
}

IngestServer::~IngestServer() = default;

void IngestServer::setFaults(FaultInjector* faults)
{
    m_faults = faults ? faults : &m_ownFaults;
    m_api.setFaults(m_faults);
}

bool IngestServer::injectFault(
    const HttpRequest& request, Endpoint endpoint, const HttpResponderPtr& responder, const Headers& cors)
{
    if (m_faults->empty() || request.method == "OPTIONS")
        return false;
    const std::optional<FaultInjector::Fault> fault = m_faults->hit(request.path);
    if (!fault)
        return false;
    const std::string reason = "fault injected: " + fault->describe();
    switch (fault->mode) {
    case FaultInjector::Mode::Delay:
        // Then handled as usual (accepted or rejected on its merits): the client only waited.
        log(request, 0, reason);
        QTimer::singleShot(fault->ms, this,
            [this, request, endpoint, responder, cors] { handleIngest(request, endpoint, responder, cors); });
        return true;
    case FaultInjector::Mode::Status: {
        // Listed (and journaled) as refused, with its body: the client was told its events were not captured.
        m_capture->reject(request, fault->status, reason);
        HttpResponse r = HttpResponse::error(fault->status, reason);
        if (fault->retryAfter)
            r.headers.emplace_back("Retry-After", std::to_string(*fault->retryAfter));
        r.headers.insert(r.headers.end(), cors.begin(), cors.end());
        log(request, r.status, reason);
        responder->respond(r);
        return true;
    }
    case FaultInjector::Mode::Timeout:
        m_capture->reject(request, 0, reason); // status 0: no answer
        log(request, 0, reason);
        QTimer::singleShot(fault->ms, this, [responder] { responder->drop(false); });
        return true;
    case FaultInjector::Mode::Reset:
        m_capture->reject(request, 0, reason);
        log(request, 0, reason);
        responder->drop(true);
        return true;
    }
    return false;
}

bool IngestServer::listen(const QHostAddress& address, quint16 port)
{
    return m_http.listen(address, port);
}

QString IngestServer::url() const
{
    const QHostAddress a = address();
    const QString host = a.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + a.toString() + u']' : a.toString();
    return QStringLiteral("http://") + host + u':' + QString::number(port());
}

void IngestServer::log(const RequestLine& request, int status, const std::string& detail)
{
    if (!isSignalConnected(QMetaMethod::fromSignal(&IngestServer::requestLogged)))
        return; // nobody shows the log (headless --quiet): no line is built
    const QString line = QString::fromStdString(isoFromMs(QDateTime::currentMSecsSinceEpoch())) + u' '
        + QString::fromStdString(request.method) + u' ' + QString::fromStdString(request.path)
        + (request.query.empty() ? QString() : u'?' + QString::fromStdString(request.query).left(80)) + u' '
        + QString::number(status) + u' ' + QString::number(request.bodyBytes) + QStringLiteral("B ")
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
        const std::string lname = asciiLower(name);
        if (lname == "x-eventlens-token") {
            ok = ok || constantTimeEquals(value, m_token);
            continue; // never journaled, listed or forwarded
        }
        if (lname == "authorization" && asciiLower(value.substr(0, 7)) == "bearer ") {
            if (constantTimeEquals(trim(std::string_view(value).substr(7), kBlanks), m_token)) {
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
        const std::string lname = asciiLower(name);
        if (lname == "x-eventlens-token" || lname == "authorization")
            value = "[redacted]";
    }
    if (inQuery)
        listed.query += std::string(listed.query.empty() ? "" : "&") + "eventlens_token=[redacted]";
    const std::string reason = "missing or wrong EventLens token (send Authorization: Bearer TOKEN, "
                               "X-EventLens-Token: TOKEN or ?eventlens_token=TOKEN)";
    m_capture->reject(listed, 401, reason);
    HttpResponse r = HttpResponse::error(401, reason);
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"eventlens\"");
    const Headers cors = corsHeaders(request, false);
    r.headers.insert(r.headers.end(), cors.begin(), cors.end());
    log(listed, 401, reason);
    responder->respond(r);
    return false;
}

void IngestServer::handle(HttpRequest&& request, const HttpResponderPtr& responder)
{
    if (!authorize(request, responder))
        return;
    std::string token;
    const Endpoint endpoint = classifyPath(request.path, &token);
    if (endpoint == Endpoint::Api)
        return m_api.handle(request, responder, m_http.serverAddress().isLoopback());

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

    if (isIngestEndpoint(endpoint)) {
        if (injectFault(request, endpoint, responder, cors))
            return;
        return handleIngest(std::move(request), endpoint, responder, std::move(cors));
    }

    const bool posthogPath = endpoint == Endpoint::Flags || endpoint == Endpoint::Decide
        || endpoint == Endpoint::RemoteConfig || endpoint == Endpoint::RemoteConfigJs || endpoint == Endpoint::Static;
    if (posthogPath && m_forwarder.isEnabled()) {
        m_forwarder.forward(
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
        m_capture->reject(request, 405, reason);
        return answer(HttpResponse::error(405, reason), reason);
    }
    const std::string reason = "unknown path " + request.path + " (not a PostHog ingestion path)";
    m_capture->reject(request, 404, reason);
    answer(HttpResponse::error(404, reason), reason);
}

void IngestServer::handleIngest(HttpRequest request, Endpoint endpoint, const HttpResponderPtr& responder, Headers cors)
{
    if (request.method != "POST" && request.method != "GET") {
        const std::string reason = "method " + request.method + " not allowed on " + request.path + " (use POST)";
        m_capture->reject(request, 405, reason);
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
        bool ready = false; ///< committed (durable when a session file is open)
        bool durableOk = true;
        bool upstreamDone = true;
        HttpResponse local;
        HttpResponse upstream;
        int upstreamStatus = 0;
        qint64 upstreamMs = -1;
        std::string detail;
        RequestLine line; ///< for the log: the answer comes later, and the request's body need not wait for it
        Headers cors;
    };
    auto pending = std::make_shared<Pending>();
    pending->line = lineOf(request);
    pending->cors = std::move(cors);
    const bool proxy = m_forwarder.isEnabled();
    const bool failOpen = m_forwarder.config().failOpen;
    pending->upstreamDone = !proxy;
    QPointer<IngestServer> self(this);
    auto finish = [self, pending, responder, proxy, failOpen] {
        if (!self || !pending->ready || !pending->upstreamDone)
            return;
        pending->ready = false; // answer once
        HttpResponse r;
        std::string detail = pending->detail;
        if (!pending->durableOk) {
            r = HttpResponse::error(503, "the session file could not be written; retry");
            detail += " [session file write failed]";
        } else if (proxy) {
            if (pending->upstreamStatus > 0 || !failOpen) {
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
        r.headers.insert(r.headers.end(), pending->cors.begin(), pending->cors.end());
        self->log(pending->line, r.status, detail);
        responder->respond(r);
    };

    // Decoding and the per-event checks run on a worker; the answer comes once the request is committed.
    // The request goes to the worker; only the pass-through still needs it here (forward() below), and gets a copy.
    const qint64 requestId = m_capture->ingestAsync(proxy ? HttpRequest(request) : std::move(request), endpoint,
        [pending, finish, endpoint](const IngestOutcome& outcome, bool durableOk) {
            if (outcome.status == 200) {
                // What HttpResponse::json() writes for {"results": {}} and {"status": 1}, without a DOM per request.
                pending->local.body = endpoint == Endpoint::CaptureV1 ? R"({"results":{}})" : R"({"status":1})";
                pending->detail = std::to_string(outcome.events)
                    + (endpoint == Endpoint::Recording ? " recording" : " event") + (outcome.events == 1 ? "" : "s")
                    + " (" + outcome.encoding + ' ' + outcome.shape + ')';
            } else {
                pending->local = HttpResponse::error(outcome.status, outcome.error);
                pending->detail = "rejected: " + outcome.error;
            }
            pending->ready = true;
            pending->durableOk = durableOk;
            finish();
        });
    if (proxy) {
        QPointer<Capture> capture(m_capture);
        m_forwarder.forward(request,
            [capture, pending, finish, requestId](
                const HttpResponse& up, int status, qint64 ms, const std::string& error) {
                pending->upstream = up;
                pending->upstreamStatus = status;
                pending->upstreamMs = ms;
                pending->upstreamDone = true;
                // Kept with the request in its turn (it may still be on a decode worker).
                if (capture)
                    capture->recordUpstream(requestId, {status, ms, error, up.headers, up.body});
                finish();
            });
    }
}

} // namespace el
