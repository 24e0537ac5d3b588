// SPDX-License-Identifier: MIT
// The pair rules inference proposes (see pairs.h): candidates from key-like properties, ranked, then each checked
// against the traffic by the contract engine itself.
#include "pairs.h"

#include "contract/contract.h"
#include "contract/contractengine.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace el::infer_detail {

namespace {

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

} // namespace

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

} // namespace el::infer_detail
