// SPDX-License-Identifier: MIT
#include "contract.h"

#include "util/text.h"

#include <algorithm>
#include <set>

namespace el {

namespace {

const char* const kTopLevelKeys[] = {"name", "version", "description", "globals", "super_properties", "events",
    "unplanned_events", "sequences", "scans", "$schema", "$comment"};

std::string joinKeys(const std::vector<std::string>& keys)
{
    std::string out;
    for (std::size_t i = 0; i < keys.size(); ++i)
        out += (i ? ", " : "") + keys[i];
    return out;
}

/** A failed check; carries the message up to fromJson() (never leaves this file). */
struct ParseFailure
{
    std::string where;
    std::string what;
};

[[noreturn]] void fail(const std::string& where, const std::string& what)
{
    throw ParseFailure {where, what};
}

bool validPointer(const std::string& p)
{
    if (p.empty() || p[0] != '/')
        return false;
    try {
        Json::json_pointer ptr(p);
        (void)ptr;
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace

class ContractParser
{
public:
    explicit ContractParser(Contract& c)
        : m_c(c)
    { }

    void parse(const Json& doc)
    {
        if (!doc.is_object())
            fail("", "a contract must be a JSON object, not " + jsonTypeName(doc));
        std::vector<std::string> allowed(std::begin(kTopLevelKeys), std::end(kTopLevelKeys));
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
                fail(it.key(),
                    "unknown top-level key \"" + it.key()
                        + "\" (allowed: " + joinKeys({allowed.begin(), allowed.end() - 2}) + ")");
        }
        m_ruleIds.insert("unplanned"); // always a rule, listed or not
        m_c.m_name = requiredString(doc, "name", "");
        if (m_c.m_name.empty())
            fail("name", "must not be empty");
        m_c.m_version = optionalString(doc, "version", "", "");
        m_c.m_description = optionalString(doc, "description", "", "");

        if (doc.contains("super_properties"))
            m_c.m_superProperties = stringList(doc["super_properties"], "super_properties");
        if (doc.contains("globals"))
            parseGlobals(doc["globals"]);
        if (doc.contains("events")) {
            const Json& events = doc["events"];
            if (!events.is_object())
                fail("events", "must be an object of event name -> definition, not " + jsonTypeName(events));
            for (auto it = events.begin(); it != events.end(); ++it)
                parseEvent(it.key(), it.value());
        }
        if (doc.contains("unplanned_events"))
            parseUnplanned(doc["unplanned_events"]);
        if (doc.contains("sequences")) {
            const Json& seqs = doc["sequences"];
            if (!seqs.is_array())
                fail("sequences", "must be an array of rules, not " + jsonTypeName(seqs));
            for (std::size_t i = 0; i < seqs.size(); ++i)
                parseSequence(seqs[i], "sequences[" + std::to_string(i) + "]");
        }
        if (doc.contains("scans")) {
            const Json& scans = doc["scans"];
            if (!scans.is_array())
                fail("scans", "must be an array of rules, not " + jsonTypeName(scans));
            for (std::size_t i = 0; i < scans.size(); ++i)
                parseScan(scans[i], "scans[" + std::to_string(i) + "]");
        }
    }

private:
    void checkKeys(const Json& obj, const std::string& where, std::initializer_list<const char*> keys)
    {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (it.key() == "description" || it.key() == "$comment")
                continue;
            bool known = false;
            for (const char* k : keys)
                known = known || it.key() == k;
            if (!known) {
                std::vector<std::string> list;
                for (const char* k : keys)
                    list.emplace_back(k);
                list.emplace_back("description");
                fail(where, "unknown key \"" + it.key() + "\" (allowed: " + joinKeys(list) + ")");
            }
        }
    }

    static std::string sub(const std::string& where, const char* key)
    {
        return where.empty() ? std::string(key) : where + "." + key;
    }

    std::string requiredString(const Json& obj, const char* key, const std::string& where)
    {
        auto it = obj.find(key);
        if (it == obj.end())
            fail(sub(where, key), "is required");
        if (!it->is_string())
            fail(sub(where, key), "must be a string, not " + jsonTypeName(*it));
        return it->get<std::string>();
    }

    std::string optionalString(const Json& obj, const char* key, const std::string& where, const std::string& def)
    {
        auto it = obj.find(key);
        if (it == obj.end())
            return def;
        if (!it->is_string())
            fail(sub(where, key), "must be a string, not " + jsonTypeName(*it));
        return it->get<std::string>();
    }

    std::vector<std::string> stringList(const Json& v, const std::string& where)
    {
        if (!v.is_array())
            fail(where, "must be an array of strings, not " + jsonTypeName(v));
        std::vector<std::string> out;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_string())
                fail(where + "[" + std::to_string(i) + "]", "must be a string, not " + jsonTypeName(v[i]));
            out.push_back(v[i].get<std::string>());
        }
        return out;
    }

    Severity severity(const Json& obj, const std::string& where)
    {
        const std::string s = optionalString(obj, "severity", where, "error");
        const std::optional<Severity> parsed = severityFromString(s);
        if (!parsed)
            fail(sub(where, "severity"), "must be \"error\" or \"warning\", not \"" + s + "\"");
        return *parsed;
    }

    std::string pointer(const Json& obj, const char* key, const std::string& where, bool required)
    {
        if (!required && !obj.contains(key))
            return {};
        const std::string p = requiredString(obj, key, where);
        if (!validPointer(p))
            fail(sub(where, key), "must be a JSON pointer such as /properties/run_id, not \"" + p + "\"");
        return p;
    }

    std::shared_ptr<const JsonSchema> schema(const Json& v, const std::string& where, const std::string& ruleId)
    {
        std::string error;
        auto s = JsonSchema::compile(v, error);
        if (!s)
            fail(where, "rule " + ruleId + ": " + error);
        return s;
    }

    void addRuleId(const std::string& id, const std::string& where)
    {
        if (id.empty())
            fail(where, "rule id must not be empty");
        if (!m_ruleIds.insert(id).second)
            fail(where, "duplicate rule id \"" + id + "\" (rule ids must be unique in a contract)");
    }

    void parseGlobals(const Json& g)
    {
        const std::string where = "globals";
        if (!g.is_object())
            fail(where, "must be an object, not " + jsonTypeName(g));
        checkKeys(g, where, {"id", "severity", "schema", "exempt", "exempt_if"});
        GlobalsSpec spec;
        spec.rule.id = optionalString(g, "id", where, "globals");
        addRuleId(spec.rule.id, sub(where, "id"));
        spec.rule.severity = severity(g, where);
        spec.rule.description = optionalString(g, "description", where, "");
        if (!g.contains("schema"))
            fail(sub(where, "schema"), "is required");
        spec.rule.schema = schema(g["schema"], sub(where, "schema"), spec.rule.id);
        if (g.contains("exempt"))
            spec.exempt = stringList(g["exempt"], sub(where, "exempt"));
        if (g.contains("exempt_if")) {
            const Json& list = g["exempt_if"];
            if (!list.is_array())
                fail(sub(where, "exempt_if"), "must be an array of schemas, not " + jsonTypeName(list));
            for (std::size_t i = 0; i < list.size(); ++i)
                spec.exemptIf.push_back(
                    schema(list[i], sub(where, "exempt_if") + "[" + std::to_string(i) + "]", spec.rule.id));
            std::string unused; // each schema compiled alone above: exemptIf decides wherever this one cannot
            if (list.size() >= 2)
                spec.exemptIfAny = JsonSchema::compile(Json {{"anyOf", list}}, unused);
        }
        m_c.m_globals = std::move(spec);
    }

    SchemaRule schemaRule(const Json& obj, const std::string& where, const std::string& id, Severity defSeverity)
    {
        SchemaRule r;
        r.id = id;
        r.severity = obj.contains("severity") ? severity(obj, where) : defSeverity;
        r.description = optionalString(obj, "description", where, "");
        r.schema = schema(obj.contains("schema") ? obj["schema"] : Json(true), sub(where, "schema"), id);
        return r;
    }

    void parseEvent(const std::string& name, const Json& e)
    {
        const std::string where = "events." + name;
        if (name.empty())
            fail("events", "event names must not be empty");
        if (!e.is_object())
            fail(where, "must be an object, not " + jsonTypeName(e));
        checkKeys(e, where, {"severity", "schema", "rules"});
        EventSpec spec;
        spec.name = name;
        spec.description = optionalString(e, "description", where, "");
        addRuleId("events." + name, where);
        spec.schema = schemaRule(e, where, "events." + name, Severity::Error);
        if (e.contains("rules")) {
            const Json& rules = e["rules"];
            if (!rules.is_array())
                fail(sub(where, "rules"), "must be an array, not " + jsonTypeName(rules));
            for (std::size_t i = 0; i < rules.size(); ++i) {
                const std::string rw = where + ".rules[" + std::to_string(i) + "]";
                const Json& r = rules[i];
                if (!r.is_object())
                    fail(rw, "must be an object, not " + jsonTypeName(r));
                checkKeys(r, rw, {"id", "severity", "schema"});
                const std::string id = requiredString(r, "id", rw);
                addRuleId(id, sub(rw, "id"));
                if (!r.contains("schema"))
                    fail(sub(rw, "schema"), "is required");
                spec.rules.push_back(schemaRule(r, rw, id, spec.schema.severity));
            }
        }
        m_c.m_events.emplace(name, std::move(spec));
    }

    void parseUnplanned(const Json& u)
    {
        const std::string where = "unplanned_events";
        UnplannedSpec spec;
        if (u.is_string()) {
            spec.mode = u.get<std::string>();
        } else if (u.is_object()) {
            checkKeys(u, where, {"mode", "allow"});
            spec.mode = optionalString(u, "mode", where, "warn");
            if (u.contains("allow"))
                spec.allow = stringList(u["allow"], sub(where, "allow"));
        } else {
            fail(where, "must be an object {\"mode\": ..., \"allow\": [...]} or a mode string, not " + jsonTypeName(u));
        }
        if (spec.mode != "allow" && spec.mode != "warn" && spec.mode != "error")
            fail(sub(where, "mode"), "must be \"allow\", \"warn\" or \"error\", not \"" + spec.mode + "\"");
        m_c.m_unplanned = std::move(spec);
    }

    void parseSequence(const Json& s, const std::string& where)
    {
        if (!s.is_object())
            fail(where, "must be an object, not " + jsonTypeName(s));
        SequenceSpec spec;
        spec.id = requiredString(s, "id", where);
        const std::string w = "sequences." + spec.id;
        addRuleId(spec.id, w);
        const std::string type = requiredString(s, "type", w);
        spec.severity = severity(s, w);
        spec.description = optionalString(s, "description", w, "");
        if (type == "pair") {
            spec.type = SequenceSpec::Type::Pair;
            checkKeys(s, w,
                {"id", "type", "severity", "start", "end", "key", "within_ms", "at_most_once", "pinned", "result"});
            spec.start = requiredString(s, "start", w);
            spec.end = requiredString(s, "end", w);
            if (spec.start.empty() || spec.end.empty())
                fail(w, "start and end must name events");
            if (spec.start == spec.end)
                fail(w, "start and end must be different events");
            spec.key = pointer(s, "key", w, true);
            if (s.contains("within_ms")) {
                const Json& ms = s["within_ms"];
                if (!ms.is_number_integer() || ms.get<qint64>() <= 0)
                    fail(sub(w, "within_ms"), "must be a positive integer (milliseconds), not " + ms.dump());
                spec.withinMs = ms.get<qint64>();
            }
            if (s.contains("at_most_once")) {
                if (!s["at_most_once"].is_boolean())
                    fail(sub(w, "at_most_once"), "must be true or false");
                spec.atMostOnce = s["at_most_once"].get<bool>();
            }
            if (s.contains("pinned")) {
                for (const std::string& p : stringList(s["pinned"], sub(w, "pinned"))) {
                    std::string ptr = p;
                    if (p.empty())
                        fail(sub(w, "pinned"), "entries must not be empty");
                    if (p[0] == '/') {
                        if (!validPointer(p))
                            fail(sub(w, "pinned"), "\"" + p + "\" is not a valid JSON pointer");
                    } else {
                        ptr = "/properties/" + jsonPointerEscape(p);
                    }
                    spec.pinned.emplace_back(p, ptr);
                }
            }
            spec.result = pointer(s, "result", w, false);
        } else if (type == "order") {
            spec.type = SequenceSpec::Type::Order;
            checkKeys(s, w, {"id", "type", "severity", "first", "then", "key"});
            spec.first = requiredString(s, "first", w);
            spec.then = requiredString(s, "then", w);
            if (spec.first == spec.then)
                fail(w, "first and then must be different events");
            spec.key = pointer(s, "key", w, false);
        } else if (type == "unique") {
            spec.type = SequenceSpec::Type::Unique;
            checkKeys(s, w, {"id", "type", "severity", "key", "events"});
            spec.key = pointer(s, "key", w, true);
            if (s.contains("events"))
                spec.events = stringList(s["events"], sub(w, "events"));
        } else {
            fail(sub(w, "type"), "must be \"pair\", \"order\" or \"unique\", not \"" + type + "\"");
        }
        m_c.m_sequences.push_back(std::move(spec));
    }

    void parseScan(const Json& s, const std::string& where)
    {
        if (!s.is_object())
            fail(where, "must be an object, not " + jsonTypeName(s));
        ScanSpec spec;
        spec.id = requiredString(s, "id", where);
        const std::string w = "scans." + spec.id;
        addRuleId(spec.id, w);
        checkKeys(s, w, {"id", "kind", "severity", "detectors", "allow"});
        const std::string kind = requiredString(s, "kind", w);
        if (kind == "secret")
            spec.kind = ScanKind::Secret;
        else if (kind == "pii")
            spec.kind = ScanKind::Pii;
        else
            fail(sub(w, "kind"), "must be \"secret\" or \"pii\", not \"" + kind + "\"");
        spec.severity = severity(s, w);
        spec.description = optionalString(s, "description", w, "");
        const auto& all = scanDetectors();
        if (s.contains("detectors")) {
            const std::vector<std::string> names = stringList(s["detectors"], sub(w, "detectors"));
            if (names.empty())
                fail(sub(w, "detectors"), "must name at least one detector (leave it out for every " + kind + " one)");
            for (const std::string& name : names) {
                const int index = scanDetectorIndex(name);
                if (index < 0 || all[std::size_t(index)].kind != spec.kind) {
                    std::string known;
                    for (const ScanDetector& d : all) {
                        if (d.kind == spec.kind)
                            known += (known.empty() ? "" : ", ") + std::string(d.name);
                    }
                    fail(sub(w, "detectors"),
                        "unknown " + kind + " detector \"" + name + "\" (" + kind + " detectors: " + known + ")");
                }
                spec.mask |= DetectorMask(1) << index;
            }
        } else {
            spec.mask = scanDetectorsOf(spec.kind);
        }
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (spec.mask & (DetectorMask(1) << i))
                spec.detectors.emplace_back(all[i].name);
        }
        if (s.contains("allow")) {
            const Json& list = s["allow"];
            if (!list.is_array())
                fail(sub(w, "allow"), "must be an array of {event, property, path}, not " + jsonTypeName(list));
            for (std::size_t i = 0; i < list.size(); ++i) {
                const std::string aw = w + ".allow[" + std::to_string(i) + "]";
                const Json& a = list[i];
                if (!a.is_object())
                    fail(aw, "must be an object {event, property, path}, not " + jsonTypeName(a));
                checkKeys(a, aw, {"event", "property", "path"});
                ScanAllow allow;
                allow.event = optionalString(a, "event", aw, "");
                allow.property = optionalString(a, "property", aw, "");
                allow.path = pointer(a, "path", aw, false);
                if (a.contains("property") && allow.property.empty())
                    fail(sub(aw, "property"), "must not be empty");
                if (a.contains("event") && allow.event.empty())
                    fail(sub(aw, "event"), "must not be empty");
                if (!allow.property.empty() && !allow.path.empty())
                    fail(aw, "give property or path, not both");
                if (allow.event.empty() && allow.property.empty() && allow.path.empty())
                    fail(aw, "must give event, property or path");
                if (!allow.property.empty())
                    allow.propertyPointer = "/properties/" + jsonPointerEscape(allow.property);
                spec.allow.push_back(std::move(allow));
            }
        }
        m_c.m_scanMask |= spec.mask;
        m_c.m_scans.push_back(std::move(spec));
    }

    Contract& m_c;
    std::set<std::string> m_ruleIds;
};

std::shared_ptr<const Contract> Contract::fromJson(const Json& doc, const std::string& origin, std::string& error)
{
    std::shared_ptr<Contract> c(new Contract());
    c->m_origin = origin;
    try {
        ContractParser(*c).parse(doc);
    } catch (const ParseFailure& f) {
        error = origin + ": " + (f.where.empty() ? std::string() : f.where + ": ") + f.what;
        return nullptr;
    } catch (const std::exception& e) {
        error = origin + ": " + e.what();
        return nullptr;
    }
    c->m_source = doc;
    return c;
}

std::shared_ptr<const Contract> Contract::empty()
{
    static const std::shared_ptr<const Contract> c = [] {
        std::shared_ptr<Contract> e(new Contract());
        e->m_name = "none";
        e->m_unplanned.mode = "allow";
        e->m_origin = "none";
        return std::shared_ptr<const Contract>(e);
    }();
    return c;
}

const EventSpec* Contract::event(const std::string& name) const
{
    auto it = m_events.find(name);
    return it == m_events.end() ? nullptr : &it->second;
}

std::vector<std::string> Contract::ruleIds() const
{
    std::vector<std::string> out;
    if (m_globals)
        out.push_back(m_globals->rule.id);
    for (const auto& [name, e] : m_events) {
        out.push_back(e.schema.id);
        for (const SchemaRule& r : e.rules)
            out.push_back(r.id);
    }
    out.emplace_back("unplanned");
    for (const SequenceSpec& s : m_sequences)
        out.push_back(s.id);
    for (const ScanSpec& s : m_scans)
        out.push_back(s.id);
    return out;
}

bool ScanAllow::covers(std::string_view eventName, std::string_view pointer) const
{
    if (!event.empty() && !globMatch(event, eventName))
        return false;
    if (!path.empty())
        return pointer == path;
    if (!propertyPointer.empty()) {
        return pointer.substr(0, propertyPointer.size()) == propertyPointer
            && (pointer.size() == propertyPointer.size() || pointer[propertyPointer.size()] == '/');
    }
    return true; // an event alone: every value of those events
}

bool ScanSpec::allows(std::string_view eventName, std::string_view pointer) const
{
    return std::any_of(allow.begin(), allow.end(), [&](const ScanAllow& a) { return a.covers(eventName, pointer); });
}

std::string SequenceSpec::typeName() const
{
    switch (type) {
    case Type::Pair:
        return "pair";
    case Type::Order:
        return "order";
    case Type::Unique:
        return "unique";
    }
    return "pair";
}

bool globMatch(std::string_view pattern, std::string_view text)
{
    // Iterative matcher with single-star backtracking: linear-ish, no recursion.
    std::size_t p = 0, t = 0, starP = std::string_view::npos, starT = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            starP = p++;
            starT = t;
        } else if (starP != std::string_view::npos) {
            p = starP + 1;
            t = ++starT;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

bool globMatchAny(const std::vector<std::string>& patterns, std::string_view text)
{
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return globMatch(p, text); });
}

} // namespace el
