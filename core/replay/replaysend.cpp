// SPDX-License-Identifier: MIT
// Sending one event as the real clients do (posthog-js for "web", posthog-node for "daemon"): the request they
// build, and their retry schedule on a failed request.
#include "replayengine.h"
#include "replayengine_p.h"

#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QUrlQuery>

#include "util/isotime.h"
#include "wire/inflate.h"

#include <algorithm>

namespace el {

using namespace replay_detail;

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
    const int status = httpStatus(reply);
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

} // namespace

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
        const int status = httpStatus(r);
        const bool accepted = r->error() == QNetworkReply::NoError && status == 200;
        const std::string answer = accepted ? std::string("200") : describeReplyError(r);
        const std::string brief = accepted ? answer
            : status != 0                  ? "HTTP " + std::to_string(status)
                                           : r->errorString().toStdString();
        const std::string history = next.history.empty() ? brief : next.history + ", " + brief;
        if (!accepted) {
            const qint64 delay = retryDelayMs(next.client, status, next.attempt + 1);
            if (delay >= 0) {
                const qint64 scaled = scaledMs(delay, m_options.speed);
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

} // namespace el
