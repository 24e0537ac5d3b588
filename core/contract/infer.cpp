// SPDX-License-Identifier: MIT
// Inferring a contract from traffic (`eventlens infer`) and extending one: the event schemas, the globals and the
// documents. The stats and property schemas are in infer/traffic.cpp, the pair rules in infer/pairs.cpp, Add to
// Contract… in infer/addtocontract.cpp.
#include "infer.h"

#include "contract.h"
#include "contractengine.h"
#include "infer/addtocontract.h"
#include "infer/pairs.h"
#include "infer/traffic.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace el {

using namespace infer_detail;

namespace {

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
        // [&n = n]: C++17 lambdas cannot capture a structured binding by [&] (clang refuses, for the fuzz build).
        const bool carries = std::all_of(g.properties.begin(), g.properties.end(), [&n = n](const std::string& p) {
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

} // namespace el
