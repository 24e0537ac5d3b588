// SPDX-License-Identifier: MIT
// Reading a scenario file (parseScenario, loadScenario): every key, step and template is checked here, so
// a scenario that loads always runs. Users and scripts read these error texts (README, "Replay"): keep them.
#include "scenario.h"

#include "contract/contractengine.h"
#include "model/verdict.h"
#include "pipeline/faults.h"
#include "scenariotext.h"

#include <QDir>
#include <QFile>

#include <algorithm>
#include <cmath>

namespace el {

using scenariotext::baseName;
using scenariotext::inQuotes;
using scenariotext::joinNames;
using scenariotext::parseJsonText;
using scenariotext::startsWith;
using scenariotext::validName;

namespace {

/** Checks that \a obj has only \a allowed keys; "comment" is always allowed. */
bool onlyKeys(const Json& obj, std::initializer_list<const char*> allowed, const std::string& what, std::string& bad,
    std::string& expectedList)
{
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const std::string& k = it.key();
        if (k == "comment")
            continue;
        bool ok = false;
        for (const char* a : allowed)
            ok = ok || k == a;
        if (!ok) {
            bad = "unknown key " + inQuotes(k) + " in " + what;
            expectedList.clear();
            for (const char* a : allowed)
                expectedList += std::string(expectedList.empty() ? "" : ", ") + a;
            return false;
        }
    }
    return true;
}

bool parseStep(const Json& j, int index, std::vector<std::string>& labels, ScenarioStep& step, std::string& error)
{
    step.index = index;
    if (!j.is_object()) {
        error = "a step must be an object, e.g. {\"type\": \"emit\", \"event\": \"run_created\"}";
        return false;
    }
    auto typeIt = j.find("type");
    if (typeIt == j.end() || !typeIt->is_string()) {
        error = "missing \"type\" (one of register, unregister, emit, wait, transport, fault)";
        return false;
    }
    const std::string type = typeIt->get<std::string>();
    std::string bad;
    std::string allowed;
    auto keysOk = [&](std::initializer_list<const char*> keys) {
        if (onlyKeys(j, keys, (type == "emit" || type == "unregister" ? "an " : "a ") + type + " step", bad, allowed))
            return true;
        error = bad + " (allowed: " + allowed + ")";
        return false;
    };
    auto readClient = [&]() {
        auto c = j.find("client");
        if (c == j.end())
            return true;
        if (!c->is_string() || (c->get<std::string>() != "web" && c->get<std::string>() != "daemon")) {
            error = "\"client\" must be \"web\" or \"daemon\"";
            return false;
        }
        step.client = c->get<std::string>();
        return true;
    };

    if (type == "register") {
        step.type = ScenarioStep::Type::Register;
        if (!keysOk({"type", "properties", "client"}) || !readClient())
            return false;
        auto p = j.find("properties");
        if (p == j.end() || !p->is_object()) {
            error = "a register step needs \"properties\": an object of super-properties";
            return false;
        }
        step.properties = *p;
        return validateTemplates(step.properties, "properties", labels, error);
    }
    if (type == "unregister") {
        step.type = ScenarioStep::Type::Unregister;
        if (!keysOk({"type", "names", "client"}) || !readClient())
            return false;
        auto n = j.find("names");
        if (n == j.end() || !n->is_array() || n->empty()) {
            error = "an unregister step needs \"names\": a non-empty array of property names";
            return false;
        }
        for (const Json& name : *n) {
            if (!name.is_string()) {
                error = "\"names\" must hold strings";
                return false;
            }
            step.names.push_back(name.get<std::string>());
        }
        return true;
    }
    if (type == "emit") {
        step.type = ScenarioStep::Type::Emit;
        if (!keysOk({"type", "event", "properties", "label", "distinct_id", "timestamp", "transport"}))
            return false;
        auto ev = j.find("event");
        if (ev == j.end() || !ev->is_string() || ev->get<std::string>().empty()) {
            error = "an emit step needs \"event\": the event name";
            return false;
        }
        step.event = ev->get<std::string>();
        if (auto p = j.find("properties"); p != j.end()) {
            if (!p->is_object()) {
                error = "\"properties\" must be an object";
                return false;
            }
            step.properties = *p;
        }
        if (auto d = j.find("distinct_id"); d != j.end()) {
            if (!d->is_string() || d->get<std::string>().empty()) {
                error = "\"distinct_id\" must be a non-empty string";
                return false;
            }
            step.distinctId = *d;
        }
        if (auto t = j.find("timestamp"); t != j.end()) {
            if (!t->is_string()) {
                error = "\"timestamp\" must be a string, e.g. \"{{now-2s}}\"";
                return false;
            }
            step.timestamp = *t;
        }
        if (auto t = j.find("transport"); t != j.end()) {
            const auto tr = t->is_string() ? transportFromName(t->get<std::string>()) : std::nullopt;
            if (!tr) {
                error = "unknown transport " + inQuotes(t->is_string() ? t->get<std::string>() : t->dump())
                    + " (expected web, web-gzip, daemon or daemon-plain)";
                return false;
            }
            step.transport = tr;
        }
        if (!validateTemplates(step.properties, "properties", labels, error)
            || !validateTemplates(step.distinctId, "distinct_id", labels, error)
            || !validateTemplates(step.timestamp, "timestamp", labels, error))
            return false;
        if (auto l = j.find("label"); l != j.end()) {
            if (!l->is_string() || !validName(l->get<std::string>())) {
                error = "\"label\" must be a name (letters, digits, '_', '-' or '.')";
                return false;
            }
            step.label = l->get<std::string>();
            if (std::find(labels.begin(), labels.end(), step.label) != labels.end()) {
                error = "label " + inQuotes(step.label) + " is already used by an earlier step";
                return false;
            }
            labels.push_back(step.label);
        }
        return true;
    }
    if (type == "wait") {
        step.type = ScenarioStep::Type::Wait;
        if (!keysOk({"type", "ms"}))
            return false;
        auto ms = j.find("ms");
        auto toMs = [](const Json& v, qint64& out) {
            if (!v.is_number() || v.get<double>() < 0 || !std::isfinite(v.get<double>()))
                return false;
            out = static_cast<qint64>(std::llround(v.get<double>()));
            return true;
        };
        if (ms == j.end()) {
            error = "a wait step needs \"ms\": milliseconds, or [min, max] for a random wait";
            return false;
        }
        if (ms->is_array()) {
            if (ms->size() != 2 || !toMs((*ms)[0], step.waitMinMs) || !toMs((*ms)[1], step.waitMaxMs)
                || step.waitMinMs > step.waitMaxMs) {
                error = "\"ms\" range must be [min, max] with 0 <= min <= max, e.g. [800, 2500]";
                return false;
            }
            return true;
        }
        if (!toMs(*ms, step.waitMinMs)) {
            error = "\"ms\" must be a number >= 0 or [min, max]";
            return false;
        }
        step.waitMaxMs = step.waitMinMs;
        return true;
    }
    if (type == "transport") {
        step.type = ScenarioStep::Type::SwitchTransport;
        if (!keysOk({"type", "transport"}))
            return false;
        auto t = j.find("transport");
        const auto tr = t != j.end() && t->is_string() ? transportFromName(t->get<std::string>()) : std::nullopt;
        if (!tr) {
            error = "a transport step needs \"transport\": web, web-gzip, daemon or daemon-plain"
                + (t != j.end() ? std::string(" (got ") + t->dump() + ")" : std::string());
            return false;
        }
        step.transport = tr;
        return true;
    }
    if (type == "fault") {
        step.type = ScenarioStep::Type::Fault;
        if (!keysOk({"type", "fault"}))
            return false;
        auto f = j.find("fault");
        if (f == j.end() || !f->is_object()) {
            error = "a fault step needs \"fault\": an object as POST /eventlens/v1/faults takes it, e.g. "
                    "{\"mode\": \"status\", \"status\": 503, \"count\": 3, \"path\": \"/e/\"}";
            return false;
        }
        // The sink's own parser checks it now, so a scenario that loads never has its fault refused.
        FaultInjector probe;
        std::string why;
        if (!probe.add(*f, why)) {
            error = "bad \"fault\": " + why;
            return false;
        }
        step.fault = *f;
        return true;
    }
    error = "unknown step type " + inQuotes(type) + " (expected register, unregister, emit, wait, transport or fault)";
    return false;
}

bool parseExpectation(const Json& j, Scenario& out, std::string& error)
{
    if (!j.is_object()) {
        error = "\"expect\" must be an object, e.g. {\"violations\": []}";
        return false;
    }
    std::string bad;
    std::string allowed;
    if (!onlyKeys(j, {"violations"}, "\"expect\"", bad, allowed)) {
        error = bad + " (allowed: " + allowed + ")";
        return false;
    }
    auto v = j.find("violations");
    if (v == j.end() || !v->is_array()) {
        error = "\"expect\" needs \"violations\": an array (empty when the scenario must be clean)";
        return false;
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
        const Json& e = (*v)[i];
        const std::string where = "expect.violations[" + std::to_string(i) + "]";
        if (!e.is_object()) {
            error = where
                + ": must be an object like {\"kind\": \"sequence.unfinished\", \"path\": "
                  "\"/properties/run_id\"}";
            return false;
        }
        if (!onlyKeys(e, {"kind", "rule", "path", "severity", "count"}, where, bad, allowed)) {
            error = bad + " (allowed: " + allowed + ")";
            return false;
        }
        ExpectedViolation x;
        auto str = [&](const char* key, std::string& dst, bool required) {
            auto it = e.find(key);
            if (it == e.end()) {
                if (required)
                    error = where + ": missing \"" + key + "\"";
                return !required;
            }
            if (!it->is_string() || it->get<std::string>().empty()) {
                error = where + ": \"" + key + "\" must be a non-empty string";
                return false;
            }
            dst = it->get<std::string>();
            return true;
        };
        std::string kind, severity;
        if (!str("kind", kind, true) || !str("rule", x.rule, false) || !str("path", x.path, false)
            || !str("severity", severity, false))
            return false;
        // A kind the engine never reports would make the scenario fail forever (or, as "not expected",
        // pass for the wrong reason): only the engine's own kinds are accepted.
        if (const auto k = violationKindFromString(kind)) {
            x.kind = *k;
        } else {
            std::string list;
            for (const std::string& name : violationKinds())
                list += (list.empty() ? "" : ", ") + name;
            error = where + ": unknown kind \"" + kind + "\" (kinds: " + list + ")";
            return false;
        }
        if (!severity.empty()) {
            x.severity = severityFromString(severity);
            if (!x.severity) {
                error = where + ": \"severity\" must be \"error\" or \"warning\"";
                return false;
            }
        }
        if (auto c = e.find("count"); c != e.end()) {
            if (!c->is_number_integer() || c->get<int>() < 1) {
                error = where + ": \"count\" must be an integer >= 1";
                return false;
            }
            x.count = c->get<int>();
        }
        out.expected.push_back(std::move(x));
    }
    return true;
}

} // namespace

bool parseScenario(const std::string& text, const std::string& origin, Scenario& out, std::string& error)
{
    out = Scenario {};
    out.origin = origin;
    Json j;
    if (!parseJsonText(text, origin, j, error))
        return false;
    if (!j.is_object()) {
        error = origin + ": a scenario must be a JSON object with \"steps\"";
        return false;
    }
    std::string bad;
    std::string allowed;
    if (!onlyKeys(j, {"$schema", "name", "description", "distinct_id", "transport", "expect", "steps"}, "the scenario",
            bad, allowed)) {
        error = origin + ": " + bad + " (allowed: " + allowed + ")";
        return false;
    }
    auto str = [&](const char* key, std::string& dst) {
        auto it = j.find(key);
        if (it == j.end())
            return true;
        if (!it->is_string()) {
            error = origin + ": \"" + key + "\" must be a string";
            return false;
        }
        dst = it->get<std::string>();
        return true;
    };
    if (!str("name", out.name) || !str("description", out.description))
        return false;
    if (out.name.empty())
        out.name = startsWith(origin, "builtin:") ? origin.substr(8) : baseName(origin);
    if (auto d = j.find("distinct_id"); d != j.end()) {
        if (!d->is_string() || d->get<std::string>().empty()) {
            error = origin + ": \"distinct_id\" must be a non-empty string";
            return false;
        }
        out.distinctId = *d;
    }
    if (!validateTemplates(out.distinctId, "distinct_id", {}, error)) {
        error = origin + ": " + error;
        return false;
    }
    if (auto t = j.find("transport"); t != j.end()) {
        const auto tr = t->is_string() ? transportFromName(t->get<std::string>()) : std::nullopt;
        if (!tr) {
            error = origin + ": unknown transport " + t->dump() + " (expected web, web-gzip, daemon or daemon-plain)";
            return false;
        }
        out.transport = *tr;
    }
    if (auto e = j.find("expect"); e != j.end()) {
        if (!parseExpectation(*e, out, error)) {
            error = origin + ": " + error;
            return false;
        }
    }
    auto steps = j.find("steps");
    if (steps == j.end() || !steps->is_array() || steps->empty()) {
        error = origin + ": \"steps\" must be a non-empty array";
        return false;
    }
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < steps->size(); ++i) {
        ScenarioStep step;
        const int index = static_cast<int>(i) + 1;
        if (!parseStep((*steps)[i], index, labels, step, error)) {
            error = origin + ":step " + std::to_string(index) + ": " + error;
            return false;
        }
        out.steps.push_back(std::move(step));
    }
    if (out.emitCount() == 0) {
        error = origin + ": the scenario emits no event (add an {\"type\": \"emit\"} step)";
        return false;
    }
    return true;
}

bool loadScenario(const std::string& nameOrPath, Scenario& out, std::string& error)
{
    QString path;
    if (startsWith(nameOrPath, "builtin:")) {
        const std::string name = nameOrPath.substr(8);
        path = QStringLiteral(":/scenarios/") + QString::fromStdString(name) + QStringLiteral(".json");
        if (!QFile::exists(path)) {
            error
                = "unknown built-in scenario " + inQuotes(name) + " (built-ins: " + joinNames(builtinScenarios()) + ")";
            return false;
        }
    } else {
        path = QString::fromStdString(nameOrPath);
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        error = "cannot read scenario " + nameOrPath + ": " + f.errorString().toStdString();
        return false;
    }
    const QByteArray data = f.readAll();
    return parseScenario(data.toStdString(), nameOrPath, out, error);
}

std::vector<std::string> builtinScenarios()
{
    std::vector<std::string> names;
    const QStringList files
        = QDir(QStringLiteral(":/scenarios")).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString& f : files)
        names.push_back(f.chopped(5).toStdString());
    return names;
}

} // namespace el
