// SPDX-License-Identifier: MIT
// The scenario model: transports, expectations and the comparison of a verdict with them. Reading a
// file is in scenarioparser.cpp, building one from a capture in capturescenario.cpp.
#include "scenario.h"

#include "model/verdict.h"
#include "scenariotext.h"
#include "util/text.h"

#include <QFileInfo>

#include <algorithm>

namespace el {

using scenariotext::joinNames;

namespace scenariotext {

bool parseJsonText(const std::string& text, const std::string& origin, Json& out, std::string& error)
{
    try {
        out = Json::parse(text);
        return true;
    } catch (const Json::parse_error& e) {
        // e.byte is 1-based and points at the offending byte (or one past the end).
        const std::size_t byte = e.byte > 0 ? static_cast<std::size_t>(e.byte - 1) : 0;
        std::string what = e.what();
        const std::size_t colon = what.find(": ", what.find("parse error"));
        if (colon != std::string::npos)
            what = what.substr(colon + 2);
        error = origin + ":" + lineColumn(text, byte) + ": invalid JSON: " + what;
        return false;
    }
}

std::string baseName(const std::string& path)
{
    QFileInfo fi(QString::fromStdString(path));
    QString b = fi.fileName();
    if (b.endsWith(QLatin1String(".json"), Qt::CaseInsensitive) || b.endsWith(QLatin1String(".ndjson")))
        b = fi.completeBaseName();
    return b.toStdString();
}

std::string joinNames(const std::vector<std::string>& names)
{
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i)
            out += ", ";
        out += names[i];
    }
    return out;
}

} // namespace scenariotext

// ---------------------------------------------------------------------------------------------
// Transports

std::optional<Transport> transportFromName(const std::string& name)
{
    if (name == "web")
        return Transport::Web;
    if (name == "web-gzip")
        return Transport::WebGzip;
    if (name == "daemon")
        return Transport::Daemon;
    if (name == "daemon-plain")
        return Transport::DaemonPlain;
    return std::nullopt;
}

std::string transportName(Transport t)
{
    switch (t) {
    case Transport::Web:
        return "web";
    case Transport::WebGzip:
        return "web-gzip";
    case Transport::Daemon:
        return "daemon";
    case Transport::DaemonPlain:
        return "daemon-plain";
    }
    return "web";
}

std::string transportClient(Transport t)
{
    return t == Transport::Daemon || t == Transport::DaemonPlain ? "daemon" : "web";
}

// ---------------------------------------------------------------------------------------------
// Expectations

std::string ExpectedViolation::describe() const
{
    std::string out(toString(kind));
    if (!rule.empty())
        out += " " + rule;
    if (!path.empty())
        out += " " + path;
    if (severity)
        out += " (" + std::string(toString(*severity)) + ")";
    return out;
}

bool ExpectedViolation::matches(const Violation& v) const
{
    return v.kind == kind && (rule.empty() || v.rule == rule) && (path.empty() || v.path == path)
        && (!severity || v.severity == *severity);
}

int Scenario::emitCount() const
{
    return static_cast<int>(std::count_if(
        steps.begin(), steps.end(), [](const ScenarioStep& s) { return s.type == ScenarioStep::Type::Emit; }));
}

qint64 Scenario::recordedDurationMs() const
{
    qint64 total = 0;
    for (const ScenarioStep& s : steps)
        if (s.type == ScenarioStep::Type::Wait)
            total += s.waitMaxMs;
    return total;
}

std::string Scenario::expectationText() const
{
    if (!hasExpectation)
        return "none declared";
    if (expected.empty())
        return "no violations";
    std::string out;
    for (const ExpectedViolation& e : expected) {
        if (!out.empty())
            out += ", ";
        if (e.count != 1)
            out += std::to_string(e.count) + " × ";
        out += e.describe();
    }
    return out;
}

bool compareVerdict(
    const std::vector<ExpectedViolation>& expected, const std::vector<Violation>& actual, std::string& diff)
{
    // Most specific expectations claim their violations first, so a bare "kind" does not steal one
    // that a "kind + rule + path" entry needs.
    std::vector<std::size_t> order(expected.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    auto specificity = [&](std::size_t i) {
        const ExpectedViolation& e = expected[i];
        return int(!e.rule.empty()) + int(!e.path.empty()) + int(e.severity.has_value());
    };
    std::stable_sort(
        order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return specificity(a) > specificity(b); });

    std::vector<bool> claimed(actual.size(), false);
    std::vector<std::string> missing;
    for (std::size_t i : order) {
        const ExpectedViolation& e = expected[i];
        int found = 0;
        for (std::size_t j = 0; j < actual.size() && found < e.count; ++j) {
            if (!claimed[j] && e.matches(actual[j])) {
                claimed[j] = true;
                ++found;
            }
        }
        if (found < e.count)
            missing.push_back(std::to_string(e.count - found) + " × " + e.describe());
    }
    std::vector<std::string> unexpected;
    for (std::size_t j = 0; j < actual.size(); ++j) {
        if (claimed[j])
            continue;
        const Violation& v = actual[j];
        std::string s = std::string(toString(v.kind)) + " " + v.rule;
        if (!v.path.empty())
            s += " " + v.path;
        if (!v.message.empty())
            s += " (" + v.message + ")";
        unexpected.push_back(s);
    }
    diff.clear();
    if (!missing.empty())
        diff += "missing: " + joinNames(missing);
    if (!unexpected.empty()) {
        if (!diff.empty())
            diff += "; ";
        diff += "unexpected: ";
        for (std::size_t i = 0; i < unexpected.size(); ++i)
            diff += (i ? "; " : "") + unexpected[i];
    }
    return missing.empty() && unexpected.empty();
}

} // namespace el
