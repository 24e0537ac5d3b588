// SPDX-License-Identifier: MIT
#include "replay/scenario.h"

#include "contract/contractengine.h"
#include "ingest/faults.h"
#include "util/isotime.h"
#include "util/text.h"
#include "verdict.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QUuid>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace el {

namespace {

const char* const kPlaceholders = "uuid, uuid:NAME, run_id, now, now+N or now-N (N with ms, s, m or h), now_ms, "
                                  "random:A..B, elapsed_ms, elapsed_ms:LABEL";

std::string inQuotes(const std::string& s)
{
    return "'" + s + "'";
}

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

bool parseInt(std::string_view s, qint64& out)
{
    if (s.empty())
        return false;
    if (s.front() == '+')
        s.remove_prefix(1);
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool validName(std::string_view s)
{
    if (s.empty())
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
            || c == '.';
    });
}

/** One parsed placeholder. */
struct Expr
{
    enum Kind { Uuid, NamedUuid, Now, NowMs, Random, Elapsed, ElapsedSince };
    Kind kind = Uuid;
    std::string name;
    qint64 a = 0;
    qint64 b = 0;
};

bool parseExpr(const std::string& raw, Expr& e, std::string& error)
{
    const std::string s(trim(raw, kBlanks));
    if (s == "uuid") {
        e.kind = Expr::Uuid;
        return true;
    }
    if (startsWith(s, "uuid:")) {
        e.kind = Expr::NamedUuid;
        e.name = s.substr(5);
        if (!validName(e.name)) {
            error = "bad uuid name " + inQuotes(e.name) + " (use letters, digits, '_', '-' or '.')";
            return false;
        }
        return true;
    }
    if (s == "run_id") {
        e.kind = Expr::NamedUuid;
        e.name = "run_id";
        return true;
    }
    if (s == "now") {
        e.kind = Expr::Now;
        return true;
    }
    if (startsWith(s, "now+") || startsWith(s, "now-")) {
        e.kind = Expr::Now;
        std::string_view rest(s);
        rest.remove_prefix(4);
        qint64 factor = 0;
        std::string_view number;
        if (rest.size() > 2 && rest.substr(rest.size() - 2) == "ms") {
            factor = 1;
            number = rest.substr(0, rest.size() - 2);
        } else if (!rest.empty() && (rest.back() == 's' || rest.back() == 'm' || rest.back() == 'h')) {
            factor = rest.back() == 's' ? 1000 : rest.back() == 'm' ? 60000 : 3600000;
            number = rest.substr(0, rest.size() - 1);
        }
        qint64 n = 0;
        if (factor == 0 || !parseInt(number, n) || n < 0 || number.front() == '-' || number.front() == '+') {
            error = "bad time offset in " + inQuotes(s) + " (expected e.g. now+1500ms, now-2s, now-5m, now+1h)";
            return false;
        }
        e.a = (s[3] == '-' ? -1 : 1) * n * factor;
        return true;
    }
    if (s == "now_ms") {
        e.kind = Expr::NowMs;
        return true;
    }
    if (startsWith(s, "random:")) {
        e.kind = Expr::Random;
        const std::string range = s.substr(7);
        const std::size_t dots = range.find("..");
        if (dots == std::string::npos || !parseInt(range.substr(0, dots), e.a)
            || !parseInt(range.substr(dots + 2), e.b)) {
            error = "bad range in " + inQuotes(s) + " (expected random:A..B with integers, e.g. random:800..2500)";
            return false;
        }
        if (e.a > e.b) {
            error = "empty range in " + inQuotes(s) + " (A must not be greater than B)";
            return false;
        }
        return true;
    }
    if (s == "elapsed_ms") {
        e.kind = Expr::Elapsed;
        return true;
    }
    if (startsWith(s, "elapsed_ms:")) {
        e.kind = Expr::ElapsedSince;
        e.name = s.substr(11);
        if (!validName(e.name)) {
            error = "bad label " + inQuotes(e.name) + " in " + inQuotes(s);
            return false;
        }
        return true;
    }
    error = "unknown placeholder " + inQuotes(s) + " (known: " + kPlaceholders + ")";
    return false;
}

/** A string split into literal text and placeholders. */
struct Part
{
    bool placeholder = false;
    std::string text; ///< literal text, or the placeholder's inner text
};

bool splitTemplate(const std::string& s, std::vector<Part>& parts, std::string& error)
{
    std::size_t pos = 0;
    while (pos < s.size()) {
        const std::size_t open = s.find("{{", pos);
        if (open == std::string::npos) {
            parts.push_back({false, s.substr(pos)});
            break;
        }
        if (open > pos)
            parts.push_back({false, s.substr(pos, open - pos)});
        const std::size_t close = s.find("}}", open + 2);
        if (close == std::string::npos) {
            error = "unterminated '{{' in " + inQuotes(s);
            return false;
        }
        parts.push_back({true, s.substr(open + 2, close - open - 2)});
        pos = close + 2;
    }
    return true;
}

std::string jsonText(const Json& v)
{
    if (v.is_string())
        return v.get<std::string>();
    return v.dump();
}

bool validateString(
    const std::string& s, const std::string& where, const std::vector<std::string>& labels, std::string& error)
{
    std::vector<Part> parts;
    std::string why;
    if (!splitTemplate(s, parts, why)) {
        error = "bad template in " + where + ": " + why;
        return false;
    }
    for (const Part& p : parts) {
        if (!p.placeholder)
            continue;
        Expr e;
        if (!parseExpr(p.text, e, why)) {
            error = "bad template in " + where + ": " + why;
            return false;
        }
        if (e.kind == Expr::ElapsedSince && std::find(labels.begin(), labels.end(), e.name) == labels.end()) {
            error = "bad template in " + where + ": {{elapsed_ms:" + e.name + "}} names no earlier emit step (label "
                + inQuotes(e.name) + " is not defined before this step)";
            return false;
        }
    }
    return true;
}

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

} // namespace

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

// ---------------------------------------------------------------------------------------------
// Templates

std::string randomUuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
}

std::string uuidV7(qint64 ms)
{
    unsigned char b[16];
    const quint64 t = static_cast<quint64>(ms);
    for (int i = 0; i < 6; ++i)
        b[i] = static_cast<unsigned char>((t >> (8 * (5 - i))) & 0xff);
    QRandomGenerator* rng = QRandomGenerator::global();
    for (int i = 6; i < 16; ++i)
        b[i] = static_cast<unsigned char>(rng->bounded(256));
    b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0f));
    b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += '-';
        out += hex[b[i] >> 4];
        out += hex[b[i] & 0x0f];
    }
    return out;
}

TemplateContext::TemplateContext()
    : m_rng(QRandomGenerator::global()->generate64())
{ }

qint64 TemplateContext::now() const
{
    return m_fixedNow ? *m_fixedNow : QDateTime::currentMSecsSinceEpoch();
}

std::string TemplateContext::namedUuid(const std::string& name)
{
    auto it = m_uuids.find(name);
    if (it == m_uuids.end())
        it = m_uuids.emplace(name, randomUuid()).first;
    return it->second;
}

qint64 TemplateContext::random(qint64 lo, qint64 hi)
{
    if (hi <= lo)
        return lo;
    std::uniform_int_distribution<qint64> dist(lo, hi);
    return dist(m_rng);
}

Json TemplateContext::expandOne(const std::string& text)
{
    Expr e;
    std::string error;
    if (!parseExpr(text, e, error))
        return Json("{{" + text + "}}"); // validated at load time; keep the text if not
    switch (e.kind) {
    case Expr::Uuid:
        return randomUuid();
    case Expr::NamedUuid:
        return namedUuid(e.name);
    case Expr::Now:
        return isoFromMs(now() + e.a);
    case Expr::NowMs:
        return now();
    case Expr::Random:
        return random(e.a, e.b);
    case Expr::Elapsed:
        return m_recordedMs;
    case Expr::ElapsedSince: {
        auto it = m_labels.find(e.name);
        return it == m_labels.end() ? m_recordedMs : m_recordedMs - it->second;
    }
    }
    return nullptr;
}

std::string TemplateContext::expandString(const std::string& s)
{
    return jsonText(expand(Json(s)));
}

Json TemplateContext::expand(const Json& value)
{
    if (value.is_string()) {
        const std::string& s = value.get_ref<const std::string&>();
        if (s.find("{{") == std::string::npos)
            return value;
        std::vector<Part> parts;
        std::string error;
        if (!splitTemplate(s, parts, error))
            return value;
        if (parts.size() == 1 && parts[0].placeholder)
            return expandOne(parts[0].text);
        std::string out;
        for (const Part& p : parts)
            out += p.placeholder ? jsonText(expandOne(p.text)) : p.text;
        return out;
    }
    if (value.is_object()) {
        Json out = Json::object();
        for (auto it = value.begin(); it != value.end(); ++it)
            out[it.key()] = expand(it.value());
        return out;
    }
    if (value.is_array()) {
        Json out = Json::array();
        for (const Json& v : value)
            out.push_back(expand(v));
        return out;
    }
    return value;
}

bool validateTemplates(
    const Json& value, const std::string& where, const std::vector<std::string>& labels, std::string& error)
{
    if (value.is_string())
        return validateString(value.get<std::string>(), where, labels, error);
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it)
            if (!validateTemplates(it.value(), where + "/" + jsonPointerEscape(it.key()), labels, error))
                return false;
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i)
            if (!validateTemplates(value[i], where + "/" + std::to_string(i), labels, error))
                return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Scenario files

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

bool scenarioFromEvents(const std::string& ndjson, const std::string& origin, Scenario& out, std::string& error)
{
    out = Scenario {};
    out.origin = origin;
    out.name = baseName(origin);
    out.hasExpectation = false;

    // One event per line; a whole GET /eventlens/v1/events answer ({"events": [...]}) is accepted too.
    std::vector<std::pair<int, Json>> events;
    {
        Json whole = Json::parse(ndjson, nullptr, false);
        if (!whole.is_discarded() && whole.is_object() && whole.contains("events") && whole["events"].is_array()) {
            int n = 0;
            for (const Json& e : whole["events"])
                events.emplace_back(++n, e);
        } else {
            std::size_t pos = 0;
            int line = 0;
            while (pos <= ndjson.size()) {
                std::size_t end = ndjson.find('\n', pos);
                if (end == std::string::npos)
                    end = ndjson.size();
                ++line;
                const std::string text(trim(std::string_view(ndjson).substr(pos, end - pos), kBlanks));
                pos = end + 1;
                if (text.empty() || text == "\r")
                    continue;
                Json e;
                std::string why;
                if (!parseJsonText(text, origin, e, why)) {
                    // Re-anchor the column message on the file's line.
                    const std::size_t at = why.find(":line 1, ");
                    error = origin + ":line " + std::to_string(line)
                        + (at != std::string::npos ? ", " + why.substr(at + 9) : ": invalid JSON");
                    return false;
                }
                events.emplace_back(line, std::move(e));
            }
        }
    }
    std::optional<qint64> previousMs;
    for (auto& [line, e] : events) {
        if (!e.is_object() || !e.contains("event") || !e["event"].is_string()
            || e["event"].get<std::string>().empty()) {
            error = origin + ":line " + std::to_string(line) + ": not an event (needs \"event\" and \"properties\")";
            return false;
        }
        Json props = e.contains("properties") && e["properties"].is_object() ? e["properties"] : Json::object();
        std::string lib = e.value("lib", std::string());
        if (lib.empty() && props.contains("$lib") && props["$lib"].is_string())
            lib = props["$lib"].get<std::string>();
        const std::string endpoint = e.value("endpoint", std::string());
        const bool daemon = lib == "posthog-node" || startsWith(endpoint, "/batch");
        std::string distinct;
        if (e.contains("distinct_id") && e["distinct_id"].is_string())
            distinct = e["distinct_id"].get<std::string>();
        if (distinct.empty() && props.contains("distinct_id") && props["distinct_id"].is_string())
            distinct = props["distinct_id"].get<std::string>();
        if (distinct.empty())
            distinct = "eventlens-replay";
        // The sink's normalisation put token and distinct_id into properties; the transport sets
        // them again the way the client does (api_key, top-level or properties distinct_id).
        props.erase("token");
        props.erase("distinct_id");

        if (const auto ms = parseIsoMs(e.value("timestamp", std::string()), ZonelessAs::Local)) {
            if (previousMs && *ms > *previousMs) {
                ScenarioStep wait;
                wait.type = ScenarioStep::Type::Wait;
                wait.index = static_cast<int>(out.steps.size()) + 1;
                wait.waitMinMs = wait.waitMaxMs = *ms - *previousMs;
                out.steps.push_back(wait);
            }
            previousMs = ms;
        }
        ScenarioStep send;
        send.type = ScenarioStep::Type::Emit;
        send.index = static_cast<int>(out.steps.size()) + 1;
        send.event = e["event"].get<std::string>();
        send.properties = std::move(props);
        send.distinctId = distinct;
        send.transport = daemon ? Transport::Daemon : Transport::Web;
        send.literal = true;
        out.steps.push_back(std::move(send));
    }
    if (out.emitCount() == 0) {
        error = origin + ": no events in the file";
        return false;
    }
    out.description = std::to_string(out.emitCount()) + " captured events from " + origin;
    return true;
}

} // namespace el
