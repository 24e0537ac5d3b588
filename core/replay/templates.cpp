// SPDX-License-Identifier: MIT
// Templates: parsing a placeholder, checking every string of a scenario at load time, and expanding them
// during a run (TemplateContext), plus the UUIDs they hand out.
#include "templates.h"

#include "scenariotext.h"
#include "util/isotime.h"
#include "util/text.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QUuid>

#include <algorithm>
#include <charconv>

namespace el {

using scenariotext::inQuotes;
using scenariotext::startsWith;
using scenariotext::validName;

namespace {

const char* const kPlaceholders = "uuid, uuid:NAME, run_id, now, now+N or now-N (N with ms, s, m or h), now_ms, "
                                  "random:A..B, elapsed_ms, elapsed_ms:LABEL";

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

} // namespace

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

} // namespace el
