// SPDX-License-Identifier: MIT
#include "infer.h"

#include "contract.h"
#include "contractengine.h"
#include "jsonschema.h"
#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <utility>

namespace el {

namespace {

const char* const kUuidPattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/** Compact JSON text of \a v (invalid UTF-8 replaced, never throws): how sequence rules compare keys. */
std::string dumpValue(const Json& v)
{
    return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool isUuid(std::string_view s)
{
    if (s.size() != 36)
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (hexDigitValue(s[i]) < 0) {
            return false;
        }
    }
    return true;
}

/** An RFC 3339 date-time, exactly as the contract's validator checks `"format": "date-time"` (it asks it). */
bool isDateTime(const std::string& s)
{
    if (s.size() < 20 || s.size() > 64 || s[0] < '0' || s[0] > '9' || s.find_first_of("Tt") == std::string::npos)
        return false;
    static const std::shared_ptr<const JsonSchema> schema = [] {
        std::string error;
        return JsonSchema::compile(Json {{"type", "string"}, {"format", "date-time"}}, error);
    }();
    return schema && schema->accepts(Json(s));
}

/** What the values of one property looked like, on the events it was counted on. */
struct PropertyStats
{
    std::uint64_t present = 0; ///< events that carry it, null included
    std::uint64_t nulls = 0;
    std::uint64_t strings = 0;
    std::uint64_t integers = 0; ///< integral numbers (2.0 too: draft-07 and the validator count it as an integer)
    std::uint64_t numbers = 0; ///< numbers with a fraction
    std::uint64_t booleans = 0;
    std::uint64_t objects = 0;
    std::uint64_t arrays = 0;
    bool allUuid = true; ///< every string is a UUID
    bool allDateTime = true; ///< every string is an RFC 3339 date-time
    bool manyValues = false; ///< more than maxEnumValues distinct strings (values then dropped)
    bool longValue = false; ///< a string longer than maxEnumValueLength (values then dropped)
    std::map<std::string, std::uint64_t> values; ///< string values, while neither of the two above

    void add(const Json& v, const InferOptions& o)
    {
        ++present;
        switch (v.type()) {
        case Json::value_t::null:
            ++nulls;
            break;
        case Json::value_t::boolean:
            ++booleans;
            break;
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            ++integers;
            break;
        case Json::value_t::number_float: {
            const double d = v.get<double>();
            if (std::isfinite(d) && std::floor(d) == d)
                ++integers;
            else
                ++numbers;
            break;
        }
        case Json::value_t::string: {
            const std::string& s = v.get_ref<const std::string&>();
            ++strings;
            allUuid = allUuid && isUuid(s);
            allDateTime = allDateTime && isDateTime(s);
            if (s.size() > o.maxEnumValueLength) {
                longValue = true;
                values.clear();
            }
            if (!manyValues && !longValue) {
                ++values[s];
                if (values.size() > o.maxEnumValues) {
                    manyValues = true;
                    values.clear();
                }
            }
            break;
        }
        case Json::value_t::array:
            ++arrays;
            break;
        default: // object (binary and discarded never come out of a parser)
            ++objects;
            break;
        }
    }

    void merge(const PropertyStats& o, const InferOptions& options)
    {
        present += o.present;
        nulls += o.nulls;
        strings += o.strings;
        integers += o.integers;
        numbers += o.numbers;
        booleans += o.booleans;
        objects += o.objects;
        arrays += o.arrays;
        allUuid = allUuid && o.allUuid;
        allDateTime = allDateTime && o.allDateTime;
        longValue = longValue || o.longValue;
        manyValues = manyValues || o.manyValues;
        if (!manyValues && !longValue) {
            for (const auto& [v, n] : o.values)
                values[v] += n;
            manyValues = values.size() > options.maxEnumValues;
        }
        if (manyValues || longValue)
            values.clear();
    }
};

/** The schema of a property from its stats (no description): enum, or type(s) with a format. */
Json propertySchema(const PropertyStats& s, const InferOptions& o)
{
    Json out = Json::object();
    const std::uint64_t nonNull = s.present - s.nulls;
    if (nonNull == 0) {
        out["type"] = "null";
        return out;
    }
    const bool onlyStrings = s.strings == nonNull;
    const bool formatted = onlyStrings && (s.allUuid || s.allDateTime);
    if (onlyStrings && !formatted && !s.manyValues && !s.longValue && s.values.size() >= 2
        && s.values.size() <= o.maxEnumValues && s.strings >= o.enumRepeat * s.values.size()) {
        Json values = Json::array();
        for (const auto& [v, n] : s.values)
            values.push_back(v);
        if (s.nulls)
            values.push_back(nullptr);
        out["enum"] = std::move(values);
        return out;
    }
    std::vector<std::string> types;
    if (s.strings)
        types.emplace_back("string");
    if (s.numbers)
        types.emplace_back("number"); // integers are numbers too
    else if (s.integers)
        types.emplace_back("integer");
    if (s.booleans)
        types.emplace_back("boolean");
    if (s.objects)
        types.emplace_back("object");
    if (s.arrays)
        types.emplace_back("array");
    if (s.nulls)
        types.emplace_back("null");
    out["type"] = types.size() == 1 ? Json(types.front()) : Json(types);
    if (formatted && s.allUuid) {
        out["format"] = "uuid";
        out["pattern"] = kUuidPattern; // draft-07 has no uuid format: the pattern is what checks it
    } else if (formatted) {
        out["format"] = "date-time";
    }
    return out;
}

std::string eventsOf(std::uint64_t n, const std::string& name)
{
    return std::to_string(n) + " " + name + (n == 1 ? " event" : " events");
}

std::string seenOn(std::uint64_t present, std::uint64_t count, const std::string& name)
{
    return "seen on " + std::to_string(present) + " of " + eventsOf(count, name);
}

const Json& emptyObject()
{
    static const Json e = Json::object();
    return e;
}

const Json& propertiesOf(const Json& doc)
{
    if (!doc.is_object())
        return emptyObject();
    const auto it = doc.find("properties");
    return it != doc.end() && it->is_object() ? *it : emptyObject();
}

/** The value of property \a name on \a doc, or nullptr when absent or null. */
const Json* propertyValue(const Json& doc, const std::string& name)
{
    const Json& props = propertiesOf(doc);
    const auto it = props.find(name);
    return it != props.end() && !it->is_null() ? &*it : nullptr;
}

/** A property as a JSON pointer into the event. */
std::string propertyPointer(const std::string& name)
{
    return "/properties/" + jsonPointerEscape(name);
}

/** The events of one name. */
struct NameStats
{
    std::uint64_t count = 0;
    std::map<std::string, PropertyStats> properties; ///< PostHog's own left out
    std::vector<std::size_t> indexes; ///< into InferInput::events, in arrival order
};

/** The `events` entry of one name; properties in \a skip left out. */
Json eventEntry(const std::string& name, const NameStats& n, const std::set<std::string>& skip, const InferOptions& o,
    std::vector<std::string>* names = nullptr)
{
    Json props = Json::object();
    Json required = Json::array();
    for (const auto& [p, s] : n.properties) {
        if (skip.count(p))
            continue;
        Json schema = propertySchema(s, o);
        schema["description"] = seenOn(s.present, n.count, name);
        props[p] = std::move(schema);
        if (s.present == n.count)
            required.push_back(p);
        if (names)
            names->push_back(p);
    }
    Json schema = {{"type", "object"}};
    if (!props.empty())
        schema["properties"] = std::move(props);
    if (!required.empty())
        schema["required"] = std::move(required);
    return {{"description", "Inferred from " + eventsOf(n.count, name) + "."}, {"schema", std::move(schema)}};
}

struct Traffic
{
    std::map<std::string, NameStats> names;
    std::size_t events = 0;
    std::size_t recordings = 0;
};

Traffic collect(const InferInput& in, const InferOptions& o)
{
    Traffic t;
    for (std::size_t i = 0; i < in.events.size() && i < in.docs.size(); ++i) {
        const Event& e = in.events[i];
        if (e.recording) { // not an analytics event: the contract never judges it
            ++t.recordings;
            continue;
        }
        NameStats& n = t.names[e.name()];
        ++n.count;
        n.indexes.push_back(i);
        ++t.events;
        const Json& props = propertiesOf(in.docs[i]);
        for (auto it = props.begin(); it != props.end(); ++it) {
            if (!isPostHogProperty(it.key()))
                n.properties[it.key()].add(it.value(), o);
        }
    }
    return t;
}

/** The globals: the properties every event of most names carries, and the names that do not carry them all. */
struct Globals
{
    std::vector<std::string> properties; ///< sorted; empty: no globals
    std::set<std::string> exempt;
    std::map<std::string, PropertyStats> stats; ///< over the events of the names not exempt
    std::size_t carriers = 0; ///< names not exempt
    std::uint64_t events = 0; ///< their events
};

Globals findGlobals(const Traffic& t, const InferOptions& o)
{
    Globals g;
    std::map<std::string, std::size_t> carried; // property -> names whose every event carries it
    for (const auto& [name, n] : t.names) {
        for (const auto& [p, s] : n.properties) {
            if (s.present == n.count)
                ++carried[p];
        }
    }
    for (const auto& [p, names] : carried) {
        if (names * 2 > t.names.size() && names >= o.minGlobalNames)
            g.properties.push_back(p);
    }
    if (g.properties.empty())
        return g;
    for (const auto& [name, n] : t.names) {
        const bool carries = std::all_of(g.properties.begin(), g.properties.end(), [&](const std::string& p) {
            const auto it = n.properties.find(p);
            return it != n.properties.end() && it->second.present == n.count;
        });
        if (!carries) {
            g.exempt.insert(name);
            continue;
        }
        ++g.carriers;
        g.events += n.count;
        for (const std::string& p : g.properties)
            g.stats[p].merge(n.properties.at(p), o);
    }
    return g;
}

Json globalsEntry(const Globals& g, std::size_t names, const InferOptions& o)
{
    Json props = Json::object();
    for (const std::string& p : g.properties) {
        Json schema = propertySchema(g.stats.at(p), o);
        schema["description"] = "on every event of " + std::to_string(g.carriers) + " of " + std::to_string(names)
            + " event names (" + std::to_string(g.events) + " events)";
        props[p] = std::move(schema);
    }
    Json entry = {{"id", "globals"}, {"severity", "error"},
        {"description",
            "Inferred: the properties that every event of more than half of the event names (and of at least "
                + std::to_string(o.minGlobalNames)
                + ") carries. Event names whose events do not all carry every one of them are exempt. PostHog's "
                  "own properties ($-prefixed, token, distinct_id) are left out."},
        {"schema", {{"type", "object"}, {"required", g.properties}, {"properties", std::move(props)}}}};
    if (!g.exempt.empty())
        entry["exempt"] = Json(std::vector<std::string>(g.exempt.begin(), g.exempt.end()));
    return entry;
}

// --- pair rules -------------------------------------------------------------------------------------------------

/** The stem two event names share before a separator: "run" for run_created / run_finished. */
std::string sharedStem(const std::string& a, const std::string& b)
{
    std::size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n])
        ++n;
    const std::string prefix = a.substr(0, n);
    const std::size_t sep = prefix.find_last_of("_.-: ");
    if (sep != std::string::npos)
        return prefix.substr(0, sep);
    // camelCase: runStarted / runFinished
    const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    if (n > 0 && n < a.size() && n < b.size() && upper(a[n]) && upper(b[n]))
        return prefix;
    return {};
}

bool endsWithId(const std::string& p)
{
    return p.size() >= 2 && (p.compare(p.size() - 2, 2, "id") == 0 || p.compare(p.size() - 2, 2, "Id") == 0);
}

struct PairProposal
{
    std::string start;
    std::string end;
    std::string key;
    bool named = false; ///< the key is named after the events' stem (run_id for run_created / run_finished)
    std::vector<std::pair<std::size_t, std::size_t>> pairs; ///< (start, end) event indexes, by key
};

/** A key-like property of one name: every event carries it (string or integer), each with its own value. */
struct KeyValues
{
    std::string name;
    std::map<std::string, std::size_t> byValue; ///< value's JSON text -> event index
};

std::vector<PairProposal> pairCandidates(const InferInput& in, const Traffic& t, const std::set<std::string>& notKeys,
    const std::set<std::string>& usedNames)
{
    std::map<std::string, std::vector<KeyValues>> keyLike; // property -> names it is key-like on
    for (const auto& [name, n] : t.names) {
        if (name.empty() || name[0] == '$' || usedNames.count(name))
            continue;
        for (const auto& [p, s] : n.properties) {
            if (notKeys.count(p) || s.present != n.count || s.nulls || s.strings + s.integers != s.present)
                continue;
            KeyValues kv;
            kv.name = name;
            bool distinct = true;
            for (std::size_t idx : n.indexes) {
                const Json* v = propertyValue(in.docs[idx], p);
                if (!v || !kv.byValue.emplace(dumpValue(*v), idx).second) {
                    distinct = false;
                    break;
                }
            }
            if (distinct)
                keyLike[p].push_back(std::move(kv));
        }
    }
    std::vector<PairProposal> out;
    for (const auto& [p, list] : keyLike) {
        for (const KeyValues& a : list) {
            for (const KeyValues& b : list) {
                if (a.name == b.name || a.byValue.size() != b.byValue.size())
                    continue;
                PairProposal c;
                c.start = a.name;
                c.end = b.name;
                c.key = p;
                bool ok = true;
                for (const auto& [value, startIdx] : a.byValue) {
                    const auto it = b.byValue.find(value);
                    if (it == b.byValue.end() || it->second <= startIdx) {
                        ok = false;
                        break;
                    }
                    c.pairs.emplace_back(startIdx, it->second);
                }
                if (!ok)
                    continue;
                const std::string stem = sharedStem(a.name, b.name);
                c.named = !stem.empty() && (p == stem + "_id" || p == stem + "Id");
                if (c.named || c.pairs.size() >= 2)
                    out.push_back(std::move(c));
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const PairProposal& x, const PairProposal& y) {
        if (x.named != y.named)
            return x.named;
        if (endsWithId(x.key) != endsWithId(y.key))
            return endsWithId(x.key);
        if (x.pairs.size() != y.pairs.size())
            return x.pairs.size() > y.pairs.size();
        return std::tie(x.start, x.end, x.key) < std::tie(y.start, y.end, y.key);
    });
    return out;
}

/** Properties equal on both events of every pair (or absent on both) that took at least two values across pairs. */
std::vector<std::string> pinnedOf(const InferInput& in, const Traffic& t, const PairProposal& c)
{
    std::set<std::string> names;
    for (const std::string* event : {&c.start, &c.end}) {
        for (const auto& [p, s] : t.names.at(*event).properties)
            names.insert(p);
    }
    names.erase(c.key);
    std::vector<std::string> out;
    for (const std::string& p : names) {
        std::set<std::string> values;
        bool equal = true;
        for (const auto& [si, ei] : c.pairs) {
            const Json* sv = propertyValue(in.docs[si], p);
            const Json* ev = propertyValue(in.docs[ei], p);
            if (!sv && !ev)
                continue;
            if (!sv || !ev || *sv != *ev) {
                equal = false;
                break;
            }
            values.insert(dumpValue(*sv));
        }
        if (equal && values.size() >= 2)
            out.push_back(p);
    }
    return out;
}

/** True when \a rule alone reports nothing on the traffic (the engine's own semantics decide). */
bool ruleHolds(const InferInput& in, const Json& rule)
{
    Json probe = {{"name", "probe"}, {"unplanned_events", "allow"}, {"sequences", Json::array({rule})}};
    std::string error;
    const auto contract = Contract::fromJson(probe, "infer", error);
    if (!contract)
        return false;
    ContractEngine engine(contract);
    engine.setForgettable(false);
    for (std::size_t i = 0; i < in.events.size() && i < in.docs.size(); ++i) {
        if (!engine.onEvent(in.events[i], in.docs[i]).empty())
            return false;
    }
    return engine.finish().empty();
}

/** The pair rules to propose, checked against the traffic, with ids not in \a ids (which receives them). */
std::vector<Json> proposePairs(const InferInput& in, const Traffic& t, const std::set<std::string>& notKeys,
    const std::set<std::string>& usedNames, std::set<std::string>& ids)
{
    std::vector<Json> rules;
    std::set<std::string> used = usedNames;
    for (const PairProposal& c : pairCandidates(in, t, notKeys, usedNames)) {
        if (used.count(c.start) || used.count(c.end))
            continue;
        std::string id = c.start + "-" + c.end;
        for (int n = 2; ids.count(id); ++n)
            id = c.start + "-" + c.end + "-" + std::to_string(n);
        Json rule = {{"id", id}, {"type", "pair"}, {"severity", "error"}, {"start", c.start}, {"end", c.end},
            {"key", propertyPointer(c.key)}, {"at_most_once", true}};
        const std::vector<std::string> pinned = pinnedOf(in, t, c);
        if (!pinned.empty()) {
            Json list = Json::array();
            for (const std::string& p : pinned)
                list.push_back(!p.empty() && p[0] != '/' ? p : propertyPointer(p));
            rule["pinned"] = std::move(list);
        }
        const NameStats& end = t.names.at(c.end);
        const auto result = end.properties.find("result");
        if (result != end.properties.end() && result->second.present == end.count && result->second.nulls == 0)
            rule["result"] = "/properties/result";
        rule["description"] = "Proposed by eventlens infer: each of the " + eventsOf(c.pairs.size(), c.start)
            + " was followed by exactly one " + c.end + " with the same " + c.key + ", and every " + c.end
            + " had one before it."
            + (pinned.empty() ? std::string()
                              : " Pinned: the properties equal on both events of every pair that took more than one "
                                "value across pairs.")
            + " No within_ms is proposed: add a time limit by hand.";
        if (!ruleHolds(in, rule))
            continue;
        used.insert(c.start);
        used.insert(c.end);
        ids.insert(id);
        rules.push_back(std::move(rule));
    }
    return rules;
}

/** Every property name a schema names at the event's level: properties and required, through allOf/if/then/... */
void declaredProperties(const Json& schema, std::set<std::string>& out, int depth = 0)
{
    if (!schema.is_object() || depth > 32)
        return;
    const auto props = schema.find("properties");
    if (props != schema.end() && props->is_object()) {
        for (auto it = props->begin(); it != props->end(); ++it)
            out.insert(it.key());
    }
    const auto required = schema.find("required");
    if (required != schema.end() && required->is_array()) {
        for (const Json& r : *required) {
            if (r.is_string())
                out.insert(r.get<std::string>());
        }
    }
    for (const char* k : {"allOf", "anyOf", "oneOf"}) {
        const auto list = schema.find(k);
        if (list != schema.end() && list->is_array()) {
            for (const Json& s : *list)
                declaredProperties(s, out, depth + 1);
        }
    }
    for (const char* k : {"if", "then", "else", "not"}) {
        const auto s = schema.find(k);
        if (s != schema.end())
            declaredProperties(*s, out, depth + 1);
    }
}

std::string joined(const std::vector<std::string>& list)
{
    std::string out;
    for (const std::string& s : list)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::string inputsText(const InferInput& in)
{
    return in.inputs.empty() ? std::string("no input") : joined(in.inputs);
}

std::string countText(std::size_t n, const char* one, const char* many)
{
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

} // namespace

bool isPostHogProperty(std::string_view name)
{
    return (!name.empty() && name[0] == '$') || name == "token" || name == "distinct_id";
}

Json inferPropertySchema(
    const std::string& name, const std::string& property, const std::vector<Json>& properties, const InferOptions& o)
{
    PropertyStats s;
    for (const Json& props : properties) {
        if (!props.is_object())
            continue;
        const auto it = props.find(property);
        if (it != props.end())
            s.add(*it, o);
    }
    Json schema = s.present ? propertySchema(s, o) : Json::object();
    schema["description"] = seenOn(s.present, properties.size(), name);
    return schema;
}

Json inferEventSchema(const std::string& name, const std::vector<Json>& properties,
    const std::vector<std::string>& skip, const InferOptions& o)
{
    NameStats n;
    n.count = properties.size();
    const std::set<std::string> skipped(skip.begin(), skip.end());
    for (const Json& props : properties) {
        if (!props.is_object())
            continue;
        for (auto it = props.begin(); it != props.end(); ++it) {
            if (!isPostHogProperty(it.key()) && !skipped.count(it.key()))
                n.properties[it.key()].add(it.value(), o);
        }
    }
    return eventEntry(name, n, {}, o);
}

InferResult inferContract(const InferInput& in, const InferOptions& o)
{
    InferResult r;
    const Traffic t = collect(in, o);
    r.events = t.events;
    r.recordings = t.recordings;
    r.eventNames = t.names.size();
    const Globals g = findGlobals(t, o);
    const std::set<std::string> globalSet(g.properties.begin(), g.properties.end());

    Json doc = Json::object();
    doc["name"] = "inferred";
    doc["version"] = "draft";
    Json events = Json::object();
    std::size_t described = 0;
    for (const auto& [name, n] : t.names) {
        if (name.empty() || name[0] == '$') // PostHog's own events: unplanned_events.allow
            continue;
        events[name] = eventEntry(name, n, g.exempt.count(name) ? std::set<std::string>() : globalSet, o);
        r.added.push_back("event " + name);
        ++described;
    }
    if (!g.properties.empty()) {
        doc["globals"] = globalsEntry(g, t.names.size(), o);
        doc["super_properties"] = g.properties;
        for (const std::string& p : g.properties)
            r.added.push_back("global " + p);
    }
    if (!events.empty())
        doc["events"] = std::move(events);
    doc["unplanned_events"] = {{"mode", "warn"}, {"allow", {"$*"}}};
    std::set<std::string> ids = {"globals", "unplanned"};
    for (const auto& [name, n] : t.names)
        ids.insert("events." + name);
    const std::vector<Json> pairs = proposePairs(in, t, globalSet, {}, ids);
    if (!pairs.empty()) {
        doc["sequences"] = pairs;
        for (const Json& rule : pairs)
            r.added.push_back("sequence " + rule["id"].get<std::string>());
    }
    doc["description"] = "Draft contract inferred by eventlens infer from " + countText(t.events, "event", "events")
        + " (" + countText(t.names.size(), "event name", "event names") + ") in " + inputsText(in)
        + (t.recordings ? "; " + countText(t.recordings, "session recording", "session recordings") + " skipped"
                        : std::string())
        + ". " + std::to_string(described) + " events described: the properties seen with their types, required when "
        + "on every event, an enum for low-cardinality strings, a format when every value is a UUID or an RFC 3339 "
          "date-time. "
        + (g.properties.empty() ? std::string("No globals: no property is on every event of most event names. ")
                                : std::to_string(g.properties.size()) + " globals. ")
        + countText(pairs.size(), "pair rule", "pair rules")
        + " proposed. PostHog's own properties ($-prefixed, token, distinct_id) and $ events are left out. Event "
          "schemas never forbid extra properties. Review before use: it describes what was seen, not what is right.";
    r.contract = std::move(doc);

    std::string error;
    if (const auto contract = Contract::fromJson(r.contract, "inferred", error)) {
        ContractEngine engine(contract);
        engine.setForgettable(false);
        for (std::size_t i = 0; i < in.events.size() && i < in.docs.size(); ++i)
            r.selfViolations += engine.onEvent(in.events[i], in.docs[i]).size();
        r.selfViolations += engine.finish().size();
    } else {
        r.selfViolations = 1; // cannot happen: counted as a failure of the self-check
    }
    return r;
}

InferResult extendContract(const Contract& base, const InferInput& in, const InferOptions& o)
{
    InferResult r;
    const Traffic t = collect(in, o);
    r.events = t.events;
    r.recordings = t.recordings;
    r.eventNames = t.names.size();
    Json doc = base.source();

    // What the base names outside its events: the globals' properties and the super-properties.
    std::set<std::string> known(base.superProperties().begin(), base.superProperties().end());
    if (const GlobalsSpec* g = base.globals())
        declaredProperties(g->rule.schema->source(), known);

    std::vector<std::string> newEvents;
    std::vector<std::string> newProperties;
    for (const auto& [name, n] : t.names) {
        if (name.empty())
            continue;
        if (const EventSpec* spec = base.event(name)) {
            std::set<std::string> declared = known;
            declaredProperties(spec->schema.schema->source(), declared);
            for (const SchemaRule& rule : spec->rules)
                declaredProperties(rule.schema->source(), declared);
            Json additions = Json::object();
            for (const auto& [p, s] : n.properties) {
                if (declared.count(p))
                    continue;
                Json schema = propertySchema(s, o);
                schema["description"] = "Not in the base contract: " + seenOn(s.present, n.count, name);
                additions[p] = std::move(schema);
            }
            if (additions.empty())
                continue;
            Json& entry = doc["events"][name];
            if (!entry.contains("schema") || entry["schema"] == Json(true))
                entry["schema"] = Json::object();
            Json& schema = entry["schema"];
            if (!schema.is_object()) // `false`: no event of that name passes anyway
                continue;
            Json& props = schema["properties"];
            if (!props.is_object())
                props = Json::object();
            for (auto it = additions.begin(); it != additions.end(); ++it) {
                props[it.key()] = it.value();
                r.added.push_back("property " + name + "." + it.key());
                newProperties.push_back(name + "." + it.key());
            }
        } else if (!globMatchAny(base.unplanned().allow, name)) {
            Json entry = eventEntry(name, n, known, o);
            entry["description"] = "Not in the base contract: inferred from " + eventsOf(n.count, name) + " (of "
                + std::to_string(t.events) + " in the traffic).";
            doc["events"][name] = std::move(entry);
            r.added.push_back("event " + name);
            newEvents.push_back(name);
        }
    }

    std::set<std::string> usedNames;
    for (const SequenceSpec& s : base.sequences()) {
        if (s.type == SequenceSpec::Type::Pair) {
            usedNames.insert(s.start);
            usedNames.insert(s.end);
        }
    }
    const std::vector<std::string> ruleIds = base.ruleIds();
    std::set<std::string> ids(ruleIds.begin(), ruleIds.end());
    for (const auto& [name, n] : t.names)
        ids.insert("events." + name);
    std::set<std::string> notKeys = known;
    for (const std::string& p : findGlobals(t, o).properties)
        notKeys.insert(p);
    const std::vector<Json> pairs = proposePairs(in, t, notKeys, usedNames, ids);
    std::vector<std::string> newRules;
    for (const Json& rule : pairs) {
        Json& seqs = doc["sequences"];
        if (!seqs.is_array())
            seqs = Json::array();
        seqs.push_back(rule);
        newRules.push_back(rule["id"].get<std::string>());
        r.added.push_back("sequence " + newRules.back());
    }

    std::string comment
        = "Extended by eventlens infer from " + countText(t.events, "event", "events") + " in " + inputsText(in) + ": ";
    if (r.added.empty()) {
        comment += "nothing to add (the base plans or allows every event seen and names every property).";
    } else {
        std::vector<std::string> parts;
        if (!newEvents.empty())
            parts.push_back(countText(newEvents.size(), "event", "events") + " (" + joined(newEvents) + ")");
        if (!newProperties.empty())
            parts.push_back(
                countText(newProperties.size(), "property", "properties") + " (" + joined(newProperties) + ")");
        if (!newRules.empty())
            parts.push_back(countText(newRules.size(), "pair rule", "pair rules") + " (" + joined(newRules) + ")");
        comment += "added " + joined(parts) + ", each with a description of what showed it.";
    }
    const auto old = doc.find("$comment");
    if (old != doc.end() && old->is_string() && !old->get<std::string>().empty())
        comment = old->get<std::string>() + "\n\n" + comment;
    doc["$comment"] = comment;
    r.contract = std::move(doc);
    return r;
}

namespace {

/**
 * addEventToContract() (\a property empty) or addPropertyToContract() on a document of type J: Json (sorted keys) or
 * nlohmann::ordered_json (a file's order, addToContractText()). \a doc is changed only on success.
 */
template<typename J>
bool addPiece(J& doc, const std::string& event, const std::string& property, const J& piece, std::string& error)
{
    if (!doc.is_object()) {
        error = "the contract is not a JSON object";
        return false;
    }
    if (event.empty()) {
        error = "no event name";
        return false;
    }
    const auto events = doc.find("events");
    if (events != doc.end() && !events->is_object()) {
        error = "the contract's \"events\" is not an object";
        return false;
    }
    if (property.empty()) {
        if (events != doc.end() && events->contains(event)) {
            error = "the contract plans " + event + " already (events." + event + ")";
            return false;
        }
        if (events == doc.end())
            doc["events"] = J::object();
        doc["events"][event] = piece;
        return true;
    }
    const auto entry = events != doc.end() ? events->find(event) : doc.end();
    if (events == doc.end() || entry == events->end()) {
        error = "the contract does not plan " + event + ": add the event, not a property";
        return false;
    }
    const std::string where = "events." + event + ".schema";
    if (!entry->is_object()) {
        error = "events." + event + " is not an object";
        return false;
    }
    const auto schema = entry->find("schema");
    const bool anything = schema == entry->end() || *schema == J(true);
    if (!anything && !schema->is_object()) {
        error = where + " is " + schema->dump() + ": no event passes it, a property cannot be added";
        return false;
    }
    if (!anything) {
        const auto props = schema->find("properties");
        if (props != schema->end() && !props->is_object()) {
            error = where + ".properties is not an object";
            return false;
        }
        if (props != schema->end() && props->contains(property)) {
            error = where + ".properties names " + property + " already";
            return false;
        }
    }
    J& s = (*entry)["schema"];
    if (anything)
        s = J::object();
    if (!s.contains("properties"))
        s["properties"] = J::object();
    s["properties"][property] = piece;
    return true;
}

} // namespace

std::set<std::string> namedProperties(const Contract& contract, const std::string& event)
{
    std::set<std::string> out(contract.superProperties().begin(), contract.superProperties().end());
    if (const GlobalsSpec* g = contract.globals())
        declaredProperties(g->rule.schema->source(), out);
    if (const EventSpec* spec = contract.event(event)) {
        declaredProperties(spec->schema.schema->source(), out);
        for (const SchemaRule& rule : spec->rules)
            declaredProperties(rule.schema->source(), out);
    }
    return out;
}

bool isUnplannedEvent(const Contract& contract, const std::string& event)
{
    return !event.empty() && !contract.event(event) && !globMatchAny(contract.unplanned().allow, event);
}

bool addEventToContract(Json& contract, const std::string& event, const Json& entry, std::string& error)
{
    return addPiece(contract, event, std::string(), entry, error);
}

bool addPropertyToContract(
    Json& contract, const std::string& event, const std::string& property, const Json& schema, std::string& error)
{
    if (property.empty()) {
        error = "no property name";
        return false;
    }
    return addPiece(contract, event, property, schema, error);
}

bool addToContractText(const std::string& text, const std::string& event, const std::string& property,
    const Json& piece, std::string& out, std::string& error)
{
    using Ordered = nlohmann::ordered_json;
    Ordered doc;
    try {
        doc = Ordered::parse(text);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        const std::size_t at = what.find("] ");
        error = "not valid JSON: " + (at != std::string::npos ? what.substr(at + 2) : what);
        return false;
    }
    if (!addPiece(doc, event, property, Ordered::parse(dumpValue(piece)), error))
        return false;
    out = doc.dump(2, ' ', false, Ordered::error_handler_t::replace);
    out += '\n';
    return true;
}

} // namespace el
