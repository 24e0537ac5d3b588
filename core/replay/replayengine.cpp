// SPDX-License-Identifier: MIT
// The replay run: the queue of runs, probing the target, the steps in order (waits, super-properties, faults), and
// the end of each run. Sending an event is in replaysend.cpp, the verdict in replayverdict.cpp.
#include "replayengine.h"
#include "replayengine_p.h"

#include <QDateTime>
#include <QHostAddress>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <algorithm>

namespace el {

using namespace replay_detail;

namespace {

bool isLoopback(const QUrl& url)
{
    const QString host = url.host();
    if (host == QLatin1String("localhost"))
        return true;
    QHostAddress a;
    return a.setAddress(host) && a.isLoopback();
}

} // namespace

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
        const int status = httpStatus(r);
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
            const qint64 delay = scaledMs(ms, m_options.speed);
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
        const int status = httpStatus(r);
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
