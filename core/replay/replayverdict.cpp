// SPDX-License-Identifier: MIT
// The verdict of a run: waiting until the sink lists every sent event, reading GET /eventlens/v1/check and
// comparing it with the scenario's expectation, and the ScenarioResult that reports it.
#include "replayengine.h"
#include "replayengine_p.h"

#include <QDateTime>
#include <QNetworkReply>

#include <algorithm>
#include <map>

namespace el {

using namespace replay_detail;

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
        const int status = httpStatus(r);
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

} // namespace el
