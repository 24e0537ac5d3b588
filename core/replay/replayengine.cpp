// SPDX-License-Identifier: MIT
#include "replayengine.h"

#include <QDateTime>
#include <QHostAddress>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QUrlQuery>

#include "util/isotime.h"
#include "wire/decode.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace el {

namespace {

constexpr const char* kPosthogJsVersion = "1.449.2";
constexpr const char* kPosthogNodeVersion = "5.70.0";

/** posthog-js' $insert_id: 16 random base-36 characters. */
std::string insertId()
{
    static const char* chars = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string s;
    for (int i = 0; i < 16; ++i)
        s += chars[QRandomGenerator::global()->bounded(36)];
    return s;
}

std::string describeReplyError(QNetworkReply* reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 0) {
        std::string body = reply->readAll().left(300).toStdString();
        std::replace(body.begin(), body.end(), '\n', ' ');
        return "HTTP " + std::to_string(status) + (body.empty() ? std::string() : " " + body);
    }
    return reply->errorString().toStdString();
}

/**
 * How long the SDK waits before retry number \a attempt (1-based) of a failed request, or -1 when it
 * gives up; \a status 0 is a network error (reset, timeout).
 * - posthog-node 5.70 (@posthog/core): 3 retries, 3000 ms apart, on 408, 429, 5xx and network errors.
 * - posthog-js 1.449 (RetryQueue): on 5xx up to 10 retries, on network errors 3, 3000 ms doubling each
 *   time (the SDK adds +-25 % jitter; a replay leaves it out so runs repeat).
 */
qint64 retryDelayMs(const std::string& client, int status, int attempt)
{
    if (client == "daemon") {
        const bool retriable = status == 0 || status == 408 || status == 429 || status >= 500;
        return retriable && attempt <= 3 ? 3000 : -1;
    }
    const bool retriable = status == 0 || status >= 500;
    const int limit = status == 0 ? 3 : 10;
    if (!retriable || attempt > limit)
        return -1;
    return std::min<qint64>(3000LL << (attempt - 1), 30LL * 60 * 1000);
}

bool isLoopback(const QUrl& url)
{
    const QString host = url.host();
    if (host == QLatin1String("localhost"))
        return true;
    QHostAddress a;
    return a.setAddress(host) && a.isLoopback();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// ScenarioResult

bool ScenarioResult::ok() const
{
    return status == Status::Passed || status == Status::Sent || status == Status::Reported;
}

std::string ScenarioResult::statusText() const
{
    switch (status) {
    case Status::Passed:
        return "passed";
    case Status::Failed:
        return "FAILED";
    case Status::Sent:
        return "sent";
    case Status::Reported:
        return "reported";
    case Status::Error:
        return "ERROR";
    case Status::Cancelled:
        return "cancelled";
    }
    return "ERROR";
}

std::string ScenarioResult::actualText() const
{
    if (!verdictAvailable)
        return {};
    if (actual.empty())
        return "no violations";
    std::string out;
    for (const Violation& v : actual) {
        if (!out.empty())
            out += ", ";
        out += std::string(toString(v.kind)) + " " + v.rule;
        if (!v.path.empty())
            out += " " + v.path;
    }
    return out;
}

Json ScenarioResult::toJson() const
{
    Json exp = Json::array();
    for (const ExpectedViolation& e : expected) {
        Json x = {{"kind", std::string(toString(e.kind))}};
        if (!e.rule.empty())
            x["rule"] = e.rule;
        if (!e.path.empty())
            x["path"] = e.path;
        if (e.severity)
            x["severity"] = std::string(toString(*e.severity));
        if (e.count != 1)
            x["count"] = e.count;
        exp.push_back(std::move(x));
    }
    Json act = Json::array();
    for (const Violation& v : actual)
        act.push_back(v.toJson());
    Json j = {{"scenario", scenario}, {"origin", origin}, {"repetition", repetition}, {"repeat", repeat},
        {"status", statusText()}, {"ok", ok()}, {"events", events}, {"sent", sent}, {"send_errors", sendErrors},
        {"eventlens_target", eventLensTarget}, {"message", message}, {"faults", faults}, {"retries", retries},
        {"deliveries", deliveries}, {"captured_once", capturedOnce}};
    j["expected"] = hasExpectation ? exp : Json(nullptr);
    if (verdictAvailable) {
        j["verdict"] = {{"since", since}, {"until", until}, {"events", checkedEvents}, {"violations", act}};
    } else {
        j["verdict"] = nullptr;
    }
    return j;
}

bool violationsFromJson(const Json& array, std::vector<Violation>& out, std::string& error)
{
    out.clear();
    if (!array.is_array()) {
        error = "\"violations\" is not an array";
        return false;
    }
    for (const Json& v : array) {
        if (!v.is_object()) {
            error = "a violation is not an object: " + v.dump(-1, ' ', false, Json::error_handler_t::replace);
            return false;
        }
        const std::string kind = v.value("kind", std::string());
        const std::string severity = v.value("severity", std::string());
        const auto k = violationKindFromString(kind);
        const auto sev = severityFromString(severity);
        if (!k || !sev) {
            error = !k ? "unknown violation kind \"" + kind + "\"" : "unknown severity \"" + severity + "\"";
            return false;
        }
        Violation x;
        x.kind = *k;
        x.severity = *sev;
        x.rule = v.value("rule", std::string());
        x.path = v.value("path", std::string());
        x.message = v.value("message", std::string());
        if (v.contains("seqs") && v["seqs"].is_array())
            for (const Json& s : v["seqs"])
                if (s.is_number_integer())
                    x.seqs.push_back(s.get<qint64>());
        out.push_back(std::move(x));
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// ReplayEngine

ReplayEngine::ReplayEngine(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<el::ScenarioResult>();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { runSteps(); });
}

ReplayEngine::~ReplayEngine()
{
    ++m_generation;
    if (m_reply)
        m_reply->abort();
}

bool ReplayEngine::allOk() const
{
    return !m_results.empty()
        && std::all_of(m_results.begin(), m_results.end(), [](const ScenarioResult& r) { return r.ok(); });
}

void ReplayEngine::start(std::vector<Scenario> scenarios)
{
    if (m_running)
        return;
    m_scenarios = std::move(scenarios);
    m_queue.clear();
    m_results.clear();
    m_next = 0;
    m_done = 0;
    m_total = 0;
    m_cancelled = false;
    m_running = true;
    const int repeat = std::max(1, m_options.repeat);
    for (std::size_t i = 0; i < m_scenarios.size(); ++i) {
        for (int r = 1; r <= repeat; ++r) {
            m_queue.emplace_back(i, r);
            m_total += m_scenarios[i].emitCount();
        }
    }
    m_nam.setProxy(isLoopback(m_options.target) ? QNetworkProxy(QNetworkProxy::NoProxy)
                                                : QNetworkProxy(QNetworkProxy::DefaultProxy));
    const quint64 generation = ++m_generation;
    QTimer::singleShot(0, this, [this, generation] {
        if (generation != m_generation)
            return;
        Q_EMIT progress(0, m_total);
        nextRun();
    });
}

void ReplayEngine::cancel()
{
    if (!m_running || m_cancelled)
        return;
    m_cancelled = true;
    ++m_generation; // replies and timers of the current run are ignored from now on
    m_timer.stop();
    if (m_reply)
        m_reply->abort();
    if (m_scenario)
        finishRun(ScenarioResult::Status::Cancelled, "cancelled");
    else
        finishAll();
}

QUrl ReplayEngine::url(const QString& path, const QString& query) const
{
    QUrl u = m_options.target;
    QString base = u.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    u.setPath(base + path);
    u.setQuery(query.isEmpty() ? QString() : query);
    u.setFragment(QString());
    return u;
}

QNetworkReply* ReplayEngine::get(const QUrl& u, int timeoutMs)
{
    QNetworkRequest req(u);
    req.setTransferTimeout(timeoutMs);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    return m_nam.get(req);
}

template<typename F> void ReplayEngine::onReply(QNetworkReply* reply, F handler)
{
    m_reply = reply;
    const quint64 generation = m_generation;
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation, handler] {
        reply->deleteLater();
        if (generation != m_generation || m_cancelled)
            return;
        m_reply = nullptr;
        handler(reply);
    });
}

void ReplayEngine::nextRun()
{
    if (m_cancelled)
        return;
    if (m_next >= m_queue.size()) {
        finishAll();
        return;
    }
    const auto [index, repetition] = m_queue[m_next++];
    m_scenario = &m_scenarios[index];
    m_result = ScenarioResult {};
    m_result.scenario = m_scenario->name;
    m_result.description = m_scenario->description;
    m_result.origin = m_scenario->origin;
    m_result.repetition = repetition;
    m_result.repeat = std::max(1, m_options.repeat);
    m_result.events = m_scenario->emitCount();
    m_result.hasExpectation = m_scenario->hasExpectation;
    m_result.expected = m_scenario->expected;
    m_result.expectedText = m_scenario->expectationText();
    m_step = 0;
    m_ctx = TemplateContext();
    m_super = {{"web", Json::object()}, {"daemon", Json::object()}};
    m_transport = m_scenario->transport;
    m_distinctId = m_ctx.expandString(m_scenario->distinctId.get<std::string>());
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_sessionId = uuidV7(now);
    m_windowId = uuidV7(now);
    m_sentUuids.clear();
    Q_EMIT scenarioStarted(QString::fromStdString(m_scenario->name), repetition, m_result.repeat);
    probe();
}

void ReplayEngine::probe()
{
    QNetworkReply* reply = get(url(QStringLiteral("/eventlens/v1/health")), 5000);
    onReply(reply, [this](QNetworkReply* r) {
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const Json health = status == 200 ? Json::parse(r->readAll().toStdString(), nullptr, false) : Json();
        m_result.eventLensTarget = health.is_object() && health.contains("status") && health["status"] == Json("ok");
        if (m_result.eventLensTarget) {
            if (health.contains("last_seq") && health["last_seq"].is_number_integer()) {
                m_result.since = health["last_seq"].get<qint64>();
                m_result.verdictAvailable = true;
            } else {
                m_result.message = "the target is EventLens, but its /eventlens/v1/health has no \"last_seq\" "
                                   "(too old for verdicts)";
            }
        }
        runSteps();
    });
}

void ReplayEngine::runSteps()
{
    if (m_cancelled || !m_scenario)
        return;
    while (m_step < m_scenario->steps.size()) {
        const ScenarioStep& step = m_scenario->steps[m_step++];
        switch (step.type) {
        case ScenarioStep::Type::Register: {
            const std::string client = step.client.empty() ? transportClient(m_transport) : step.client;
            m_super[client].update(m_ctx.expand(step.properties));
            break;
        }
        case ScenarioStep::Type::Unregister: {
            const std::string client = step.client.empty() ? transportClient(m_transport) : step.client;
            for (const std::string& n : step.names)
                m_super[client].erase(n);
            break;
        }
        case ScenarioStep::Type::SwitchTransport:
            m_transport = *step.transport;
            break;
        case ScenarioStep::Type::Wait: {
            const qint64 ms = m_ctx.random(step.waitMinMs, step.waitMaxMs);
            m_ctx.addRecorded(ms);
            const double speed = m_options.speed;
            const qint64 delay = speed > 0 ? static_cast<qint64>(std::llround(static_cast<double>(ms) / speed)) : 0;
            m_timer.start(static_cast<int>(std::min<qint64>(delay, 24LL * 3600 * 1000)));
            return;
        }
        case ScenarioStep::Type::Emit:
            emitEvent(step);
            return;
        case ScenarioStep::Type::Fault:
            injectFault(step);
            return;
        }
    }
    clearFaults();
}

void ReplayEngine::emitEvent(const ScenarioStep& step)
{
    const Transport transport = step.transport.value_or(m_transport);
    const std::string client = transportClient(transport);
    const std::string key = m_options.apiKey.toStdString();
    const qint64 now = m_ctx.now();

    std::string distinct = m_distinctId;
    if (step.distinctId.is_string())
        distinct = step.literal ? step.distinctId.get<std::string>()
                                : m_ctx.expandString(step.distinctId.get<std::string>());
    const Json eventProps = step.literal ? step.properties : m_ctx.expand(step.properties);
    const std::string timestamp = step.timestamp.is_string()
        ? (step.literal ? step.timestamp.get<std::string>() : m_ctx.expandString(step.timestamp.get<std::string>()))
        : isoFromMs(now);
    if (!step.label.empty())
        m_ctx.setLabel(step.label);
    const std::string uuid = uuidV7(now);

    // Properties as the client builds them: its own info properties, then the registered
    // super-properties, then the call site's properties (which win, posthog-wire.md §3).
    Json props = Json::object();
    if (client == "web" && !step.literal) {
        props["$lib"] = "web";
        props["$lib_version"] = kPosthogJsVersion;
        props["$insert_id"] = insertId();
        props["$time"] = static_cast<double>(now) / 1000.0;
        props["$device_id"] = distinct;
        props["$session_id"] = m_sessionId;
        props["$window_id"] = m_windowId;
    }
    props.update(m_super[client]);
    props.update(eventProps);

    Json item;
    QNetworkRequest req(url(client == "web" ? QStringLiteral("/e/") : QStringLiteral("/batch/")));
    bool gzip = false;
    if (client == "web") {
        // posthog-js: token and distinct_id live in properties; each item has uuid and timestamp.
        props["token"] = key;
        props["distinct_id"] = distinct;
        item = {{"uuid", uuid}, {"event", step.event}, {"properties", std::move(props)}, {"timestamp", timestamp}};
        gzip = transport == Transport::WebGzip;
        // gzip goes as text/plain with no header or query flag; plain JSON as application/json.
        req.setHeader(QNetworkRequest::ContentTypeHeader,
            gzip ? QStringLiteral("text/plain") : QStringLiteral("application/json"));
        req.setRawHeader(
            "User-Agent", QByteArrayLiteral("Mozilla/5.0 (X11; Linux x86_64) EventLens-Replay/" EVENTLENS_VERSION));
    } else {
        if (!props.contains("$lib"))
            props["$lib"] = "posthog-node";
        if (!props.contains("$lib_version"))
            props["$lib_version"] = kPosthogNodeVersion;
        if (!step.literal && !props.contains("$is_server"))
            props["$is_server"] = true;
        item = {{"event", step.event}, {"properties", std::move(props)}, {"timestamp", timestamp}, {"uuid", uuid},
            {"distinct_id", distinct}};
        gzip = transport == Transport::Daemon;
        req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        if (gzip)
            req.setRawHeader("Content-Encoding", "gzip");
        req.setRawHeader("User-Agent", QByteArray("posthog-node/") + kPosthogNodeVersion);
    }
    const Json body = {{"api_key", key}, {"batch", Json::array({std::move(item)})}, {"sent_at", isoFromMs(now)}};
    std::string bytes = body.dump();
    if (gzip)
        bytes = gzipCompress(bytes);
    req.setTransferTimeout(m_options.requestTimeoutMs);

    Outgoing out;
    out.request = req;
    out.body = QByteArray::fromStdString(bytes);
    out.uuid = uuid;
    out.client = client;
    out.event = step.event;
    out.stepIndex = step.index;
    send(std::move(out));
}

void ReplayEngine::send(Outgoing out)
{
    QNetworkRequest req = out.request;
    if (out.attempt > 0 && out.client == "web") {
        // posthog-js marks a retried request with ?retry_count=N.
        QUrl u = req.url();
        QUrlQuery q(u);
        q.addQueryItem(QStringLiteral("retry_count"), QString::number(out.attempt));
        u.setQuery(q);
        req.setUrl(u);
    }
    QNetworkReply* reply = m_nam.post(req, out.body);
    onReply(reply, [this, sent = std::move(out)](QNetworkReply* r) {
        Outgoing next = sent;
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const bool accepted = r->error() == QNetworkReply::NoError && status == 200;
        const std::string answer = accepted ? std::string("200") : describeReplyError(r);
        const std::string brief = accepted ? answer
            : status != 0                  ? "HTTP " + std::to_string(status)
                                           : r->errorString().toStdString();
        const std::string history = next.history.empty() ? brief : next.history + ", " + brief;
        if (!accepted) {
            const qint64 delay = retryDelayMs(next.client, status, next.attempt + 1);
            if (delay >= 0) {
                const double speed = m_options.speed;
                const qint64 scaled
                    = speed > 0 ? static_cast<qint64>(std::llround(static_cast<double>(delay) / speed)) : 0;
                ++m_result.retries;
                next.history = history;
                ++next.attempt;
                QTimer::singleShot(
                    static_cast<int>(scaled), this, [this, out = std::move(next), generation = m_generation]() mutable {
                        if (generation == m_generation && !m_cancelled)
                            send(std::move(out));
                    });
                return;
            }
        }
        if (next.attempt > 0)
            m_result.deliveries.push_back(next.event + ": " + history);
        if (accepted) {
            ++m_result.sent;
            m_sentUuids.insert(next.uuid);
        } else {
            m_result.sendErrors.push_back("step " + std::to_string(next.stepIndex) + " (" + next.event
                + "): " + (next.attempt > 0 ? history + " (last answer: " + answer + ")" : answer));
        }
        Q_EMIT progress(++m_done, m_total);
        runSteps();
    });
}

void ReplayEngine::injectFault(const ScenarioStep& step)
{
    if (!m_result.eventLensTarget) {
        // A real PostHog cannot be told to fail: the events go as they are.
        runSteps();
        return;
    }
    QNetworkRequest req(url(QStringLiteral("/eventlens/v1/faults")));
    req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    req.setTransferTimeout(m_options.requestTimeoutMs);
    QNetworkReply* reply = m_nam.post(req, QByteArray::fromStdString(step.fault.dump()));
    const int index = step.index;
    onReply(reply, [this, index](QNetworkReply* r) {
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const Json answer = Json::parse(r->readAll().toStdString(), nullptr, false);
        const Json fault = answer.is_object() ? answer.value("fault", Json()) : Json();
        if (status != 201 || !fault.is_object() || !fault.contains("id") || !fault["id"].is_number_integer()) {
            finishRun(ScenarioResult::Status::Error,
                "step " + std::to_string(index) + " (fault): POST /eventlens/v1/faults answered HTTP "
                    + std::to_string(status) + " " + (answer.is_object() ? answer.value("error", std::string()) : ""));
            return;
        }
        m_faultIds.push_back(fault["id"].get<int>());
        ++m_result.faults;
        runSteps();
    });
}

void ReplayEngine::clearFaults()
{
    if (m_faultIds.empty()) {
        collect();
        return;
    }
    const int id = m_faultIds.back();
    m_faultIds.pop_back();
    QNetworkRequest req(url(QStringLiteral("/eventlens/v1/faults/%1").arg(id)));
    req.setTransferTimeout(m_options.requestTimeoutMs);
    // 404 is fine: someone cleared it already.
    onReply(m_nam.deleteResource(req), [this](QNetworkReply*) { clearFaults(); });
}

void ReplayEngine::collect()
{
    if (!m_result.verdictAvailable) {
        if (!m_result.sendErrors.empty()) {
            finishRun(ScenarioResult::Status::Error, m_result.sendErrors.front());
            return;
        }
        std::string note = m_result.eventLensTarget ? m_result.message : "no verdict: target is not EventLens";
        finishRun(ScenarioResult::Status::Sent, note);
        return;
    }
    if (m_sentUuids.empty()) {
        finishRun(ScenarioResult::Status::Error,
            m_result.sendErrors.empty() ? "no event was accepted" : m_result.sendErrors.front());
        return;
    }
    m_collectDeadline = QDateTime::currentMSecsSinceEpoch() + m_options.verdictTimeoutMs;
    const QString query = QStringLiteral("since=%1&limit=100000&wait_ms=500").arg(m_result.since);
    QNetworkReply* reply = get(url(QStringLiteral("/eventlens/v1/events"), query), m_options.requestTimeoutMs);
    onReply(reply, [this](QNetworkReply* r) {
        const Json page = Json::parse(r->readAll().toStdString(), nullptr, false);
        std::size_t found = 0;
        qint64 until = 0;
        std::map<std::string, int> copies; // uuid -> how often the sink lists it
        std::map<std::string, std::string> names;
        if (page.is_object() && page.contains("events") && page["events"].is_array()) {
            for (const Json& e : page["events"]) {
                if (!e.is_object() || !e.contains("uuid") || !e["uuid"].is_string())
                    continue;
                const std::string uuid = e["uuid"].get<std::string>();
                if (m_sentUuids.count(uuid)) {
                    if (++copies[uuid] == 1)
                        ++found;
                    names[uuid] = e.value("event", std::string());
                    until = std::max(until, e.value("seq", qint64(0)));
                }
            }
        }
        for (const auto& [uuid, n] : copies) {
            if (n > 1) {
                // A retry the sink counted twice: the client was told the first copy was not taken.
                finishRun(ScenarioResult::Status::Failed,
                    names[uuid] + " (uuid " + uuid + ") was captured " + std::to_string(n)
                        + " times; every event must be captured exactly once");
                return;
            }
        }
        if (found >= m_sentUuids.size() || QDateTime::currentMSecsSinceEpoch() >= m_collectDeadline) {
            if (found == 0) {
                finishRun(ScenarioResult::Status::Error,
                    "the sink accepted the events but never listed them in /eventlens/v1/events");
                return;
            }
            if (found < m_sentUuids.size())
                m_result.message = std::to_string(m_sentUuids.size() - found)
                    + " accepted events were not listed "
                      "by the sink in time; judged the others";
            m_result.until = until;
            m_result.capturedOnce = found == m_sentUuids.size() && m_result.sent == m_result.events;
            check();
            return;
        }
        QTimer::singleShot(100, this, [this, generation = m_generation] {
            if (generation == m_generation && !m_cancelled)
                collect();
        });
    });
}

void ReplayEngine::check()
{
    const QString query = QStringLiteral("since=%1&until=%2").arg(m_result.since).arg(m_result.until);
    QNetworkReply* reply = get(url(QStringLiteral("/eventlens/v1/check"), query), m_options.requestTimeoutMs);
    onReply(reply, [this](QNetworkReply* r) {
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray raw = r->readAll();
        const Json verdict = Json::parse(raw.toStdString(), nullptr, false);
        if (status != 200 || !verdict.is_object() || !verdict.contains("violations")) {
            m_result.verdictAvailable = false;
            std::string why = status == 404
                ? "the target has no /eventlens/v1/check (too old for verdicts)"
                : "GET /eventlens/v1/check failed: HTTP " + std::to_string(status) + " " + raw.left(200).toStdString();
            finishRun(ScenarioResult::Status::Error, why);
            return;
        }
        std::string unreadable;
        if (!violationsFromJson(verdict["violations"], m_result.actual, unreadable)) {
            m_result.verdictAvailable = false;
            finishRun(ScenarioResult::Status::Error,
                "GET /eventlens/v1/check: " + unreadable + " (is the target a newer EventLens?)");
            return;
        }
        m_result.checkedEvents = verdict.value("events", qint64(0));
        std::string notes = m_result.message;
        auto note = [&notes](const std::string& s) {
            if (!notes.empty())
                notes += "; ";
            notes += s;
        };
        if (m_result.faults > 0)
            note(std::to_string(m_result.faults) + (m_result.faults == 1 ? " fault" : " faults") + " injected, "
                + std::to_string(m_result.retries) + (m_result.retries == 1 ? " retry" : " retries")
                + (m_result.capturedOnce ? ", every event captured exactly once" : ""));
        for (const std::string& d : m_result.deliveries)
            note(d);
        if (m_result.checkedEvents > m_result.sent)
            note(std::to_string(m_result.checkedEvents - m_result.sent)
                + " events from another client arrived in the same range and were judged too");
        if (!m_result.sendErrors.empty()) {
            note("refused: " + m_result.sendErrors.front());
            finishRun(ScenarioResult::Status::Error, notes);
            return;
        }
        if (!m_result.hasExpectation) {
            finishRun(ScenarioResult::Status::Reported, notes);
            return;
        }
        std::string diff;
        const bool match = compareVerdict(m_result.expected, m_result.actual, diff);
        if (!match) {
            const std::string mismatch = diff;
            if (!notes.empty())
                diff = mismatch + "; " + notes;
            finishRun(ScenarioResult::Status::Failed, diff);
            return;
        }
        finishRun(ScenarioResult::Status::Passed, notes);
    });
}

void ReplayEngine::finishRun(ScenarioResult::Status status, const std::string& message)
{
    // A run that stopped early may leave faults behind; they must not hit the next run or the user's app.
    for (const int id : m_faultIds) {
        QNetworkRequest req(url(QStringLiteral("/eventlens/v1/faults/%1").arg(id)));
        QNetworkReply* reply = m_nam.deleteResource(req);
        connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
    }
    m_faultIds.clear();
    m_result.status = status;
    if (!message.empty())
        m_result.message = message;
    m_results.push_back(m_result);
    m_scenario = nullptr;
    Q_EMIT scenarioFinished(m_results.back());
    if (m_cancelled) {
        finishAll();
        return;
    }
    const quint64 generation = m_generation;
    QTimer::singleShot(0, this, [this, generation] {
        if (generation == m_generation && !m_cancelled)
            nextRun();
    });
}

void ReplayEngine::finishAll()
{
    if (!m_running)
        return;
    m_running = false;
    m_scenario = nullptr;
    Q_EMIT finished();
}

} // namespace el
