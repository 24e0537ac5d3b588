// SPDX-License-Identifier: MIT
#pragma once

#include "scenario.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <set>
#include <string>
#include <vector>

class QNetworkReply;

namespace el {

/** \brief Where and how fast to replay. */
struct ReplayOptions
{
    QUrl target = QUrl(QStringLiteral("http://127.0.0.1:8484")); ///< an EventLens sink or any PostHog host
    QString apiKey = QStringLiteral("phc_eventlens_replay"); ///< project key (api_key / token)
    double speed = 1.0; ///< 1 = waits as recorded, 10 = ten times faster, <= 0 = as fast as possible
    int repeat = 1; ///< runs of each scenario (fresh uuids, run_id, ... each time)
    int requestTimeoutMs = 15000; ///< per HTTP request
    int verdictTimeoutMs = 10000; ///< how long to wait for the sink to list every sent event
};

/** \brief The outcome of one run of one scenario. */
struct ScenarioResult
{
    enum class Status {
        Passed, ///< target is EventLens and the verdict equals the expectation
        Failed, ///< target is EventLens and the verdict differs from the expectation
        Sent, ///< target is not EventLens: every event was accepted (no verdict)
        Reported, ///< target is EventLens, no expectation declared (captured events): verdict shown only
        Error, ///< an event was refused, the target was unreachable, or no verdict could be had
        Cancelled,
    };
    std::string scenario;
    std::string description;
    std::string origin;
    int repetition = 1; ///< 1-based
    int repeat = 1;
    int events = 0; ///< events the scenario emits
    int sent = 0; ///< events the target accepted (HTTP 200)
    std::vector<std::string> sendErrors;
    int faults = 0; ///< faults the scenario injected into the sink (fault steps)
    int retries = 0; ///< requests sent again after a 5xx, 408, 429 or a network error, as the SDK would
    std::vector<std::string> deliveries; ///< "run_finished: HTTP 503, HTTP 503, HTTP 503, 200" for retried events
    bool capturedOnce = false; ///< the sink lists every accepted event exactly once (EventLens targets)
    bool eventLensTarget = false;
    bool verdictAvailable = false;
    bool hasExpectation = true;
    std::vector<ExpectedViolation> expected;
    std::string expectedText;
    std::vector<Violation> actual;
    qint64 since = 0; ///< verdict range (since, until]
    qint64 until = 0;
    qint64 checkedEvents = 0; ///< events the sink judged in that range
    Status status = Status::Error;
    std::string message; ///< why it failed, or notes

    /** True for Passed, Sent and Reported. */
    bool ok() const;
    /** "passed", "FAILED", "sent", "reported", "ERROR", "cancelled" */
    std::string statusText() const;
    /** "no violations" or "global globals /properties/runtime_type, ..." (empty without a verdict) */
    std::string actualText() const;
    Json toJson() const;
};

/**
 * Reads the "violations" array of a /eventlens/v1/check (or /violations) answer into \a out. False with
 * \a error when an entry is not a violation or names a kind or severity this build does not know (a newer
 * target): a verdict is not judged on violations it cannot read.
 */
bool violationsFromJson(const Json& array, std::vector<Violation>& out, std::string& error);

/**
 * \brief Replays scenarios over real HTTP, as the real clients send them, and judges each run.
 *
 * For every run of every scenario (sequentially): GET <target>/eventlens/v1/health; when it answers
 * {"status":"ok"} the target is EventLens and its "last_seq" is the start A of the verdict range.
 * Then the steps run (waits scaled by the speed factor, each event POSTed and its reply awaited),
 * the sink is polled until it lists every sent uuid (B = the newest of their seqs), and
 * GET /eventlens/v1/check?since=A&until=B gives the verdict, compared with the expectation. Any
 * other target only gets the events.
 */
class ReplayEngine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayEngine)
public:
    explicit ReplayEngine(QObject* parent = nullptr);
    ~ReplayEngine() override;

    void setOptions(const ReplayOptions& options) { m_options = options; }
    const ReplayOptions& options() const { return m_options; }

    /** Starts replaying (asynchronously; needs a running event loop). Ignored while running. */
    void start(std::vector<Scenario> scenarios);
    /** Stops at once: aborts the request in flight, reports the current run as cancelled, then finished(). */
    void cancel();
    bool isRunning() const { return m_running; }
    bool wasCancelled() const { return m_cancelled; }

    const std::vector<ScenarioResult>& results() const { return m_results; }
    /** True when every run is ok() (and at least one ran). */
    bool allOk() const;

Q_SIGNALS:
    /** \a done of \a total events sent so far (over all runs). */
    void progress(int done, int total);
    void scenarioStarted(const QString& name, int repetition, int repeat);
    void scenarioFinished(const el::ScenarioResult& result);
    void finished();

private:
    void nextRun();
    void probe();
    void runSteps();
    void emitEvent(const ScenarioStep& step);
    /** One event's request, and how often it was sent. */
    struct Outgoing
    {
        QNetworkRequest request;
        QByteArray body;
        std::string uuid;
        std::string client; ///< "web" or "daemon": whose retry schedule applies
        std::string event;
        int stepIndex = 0;
        int attempt = 0; ///< 0 = first try
        std::string history; ///< answers so far, e.g. "HTTP 503, HTTP 503"
    };
    /** POSTs the event's request; on a retriable failure sends it again on the SDK's schedule. */
    void send(Outgoing out);
    void injectFault(const ScenarioStep& step);
    /** DELETEs the faults this run injected, then collects the verdict. */
    void clearFaults();
    void collect();
    void check();
    void finishRun(ScenarioResult::Status status, const std::string& message = {});
    void finishAll();
    QUrl url(const QString& path, const QString& query = {}) const;
    QNetworkReply* get(const QUrl& url, int timeoutMs);
    /** Calls \a handler when \a reply finishes, unless the engine was cancelled or moved on. */
    template<typename F> void onReply(QNetworkReply* reply, F handler);

    ReplayOptions m_options;
    QNetworkAccessManager m_nam;
    QTimer m_timer;
    std::vector<Scenario> m_scenarios;
    std::vector<std::pair<std::size_t, int>> m_queue; ///< (scenario, repetition)
    std::size_t m_next = 0;
    std::vector<ScenarioResult> m_results;
    bool m_running = false;
    bool m_cancelled = false;
    quint64 m_generation = 0;
    QPointer<QNetworkReply> m_reply;
    int m_done = 0;
    int m_total = 0;

    // The current run.
    const Scenario* m_scenario = nullptr;
    ScenarioResult m_result;
    std::size_t m_step = 0;
    TemplateContext m_ctx;
    Json m_super; ///< {"web": {...}, "daemon": {...}} registered super-properties
    std::vector<int> m_faultIds; ///< faults injected by this run, removed before the verdict
    Transport m_transport = Transport::Web;
    std::string m_distinctId;
    std::string m_sessionId;
    std::string m_windowId;
    std::set<std::string> m_sentUuids;
    qint64 m_collectDeadline = 0;
};

} // namespace el

Q_DECLARE_METATYPE(el::ScenarioResult)
