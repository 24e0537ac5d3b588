// SPDX-License-Identifier: MIT
#include "errortree.h"
#include "keywords.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

namespace el::schema_detail {

namespace {

/** valijson errors that only summarise errors reported below them. */
bool isWrapper(const std::string& d)
{
    return startsWith(d, "Failed to validate against any schemas allowed by anyOf")
        || startsWith(d, "Failed to validate against a conditional schema")
        || startsWith(d, "Failed to validate against child schema #")
        || startsWith(d, "Failed to validate against any child schemas allowed by oneOf")
        || startsWith(d, "Failed to validate item #")
        || startsWith(d, "Failed to validate against additional properties")
        || startsWith(d, "Failed to validate against schema associated with property name")
        || startsWith(d, "Failed to validate against schema associated with pattern")
        || startsWith(d, "Failed to validate against dependent schema");
}

bool isPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& v)
{
    return prefix.size() <= v.size() && std::equal(prefix.begin(), prefix.end(), v.begin());
}

bool parseMark(const std::string& d, std::size_t& id, std::size_t& branch, bool& begin, std::string& key)
{
    if (!startsWith(d, kMarkPrefix))
        return false;
    key = d.substr(std::string(kMarkPrefix).size());
    const std::size_t a = key.find(':');
    const std::size_t b = key.rfind(':');
    if (a == std::string::npos || b == a)
        return false;
    id = static_cast<std::size_t>(std::strtoul(key.c_str(), nullptr, 10));
    branch = static_cast<std::size_t>(std::strtoul(key.c_str() + a + 1, nullptr, 10));
    begin = key.substr(b + 1) == "b";
    key = key.substr(0, b);
    return true;
}

const char* const kBlockPrefix = "\x02block ";

} // namespace

std::vector<RawError> collectErrors(const valijson::ValidationResults& results)
{
    std::vector<RawError> out;
    for (const auto& e : results) {
        RawError r;
        for (std::size_t i = 1; i < e.context.size(); ++i) { // [0] is "<root>"
            std::string t = e.context[i];
            if (t.size() >= 2 && t.front() == '[' && t.back() == ']')
                t = t.substr(1, t.size() - 2);
            r.tokens.push_back(std::move(t));
        }
        r.description = e.description;
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<RawError> mostSpecific(const std::vector<RawError>& all)
{
    std::vector<RawError> out;
    for (const RawError& e : all) {
        if (isWrapper(e.description)) {
            const bool hasLeafBelow = std::any_of(all.begin(), all.end(),
                [&](const RawError& l) { return !isWrapper(l.description) && isPrefix(e.tokens, l.tokens); });
            // A wrapper whose child errors are themselves only wrappers (e.g. nested anyOf) is covered
            // by any deeper error.
            const bool hasDeeperWrapper = std::any_of(all.begin(), all.end(), [&](const RawError& l) {
                return &l != &e && isPrefix(e.tokens, l.tokens) && l.tokens.size() > e.tokens.size();
            });
            if (hasLeafBelow || hasDeeperWrapper)
                continue;
            // Several wrappers at the same place: keep the one naming a child (property/item).
            const bool namesChild
                = startsWith(e.description, "Failed to validate against schema associated with property name")
                || startsWith(e.description, "Failed to validate item #");
            if (!namesChild) {
                const bool otherNamesChild = std::any_of(all.begin(), all.end(), [&](const RawError& l) {
                    return l.tokens == e.tokens
                        && (startsWith(l.description, "Failed to validate against schema associated with property name")
                            || startsWith(l.description, "Failed to validate item #"));
                });
                if (otherNamesChild)
                    continue;
            }
        }
        out.push_back(e);
    }
    return out;
}

std::vector<ErrorNode> buildTree(
    const std::vector<RawError>& raw, std::size_t& i, const std::string* closing, int depth)
{
    std::vector<ErrorNode> out;
    while (i < raw.size()) {
        const RawError& e = raw[i];
        std::size_t id = 0, branch = 0;
        bool begin = false;
        std::string key;
        if (parseMark(e.description, id, branch, begin, key)) {
            ++i;
            if (begin && depth < 256) {
                ErrorNode g;
                g.group = true;
                g.alternatives = id;
                g.branch = branch;
                g.error.tokens = e.tokens;
                g.children = buildTree(raw, i, &key, depth + 1);
                out.push_back(std::move(g));
            } else if (!begin && closing && key == *closing) {
                return out;
            }
            continue; // a stray mark
        }
        out.push_back({e, false, 0, 0, {}});
        ++i;
    }
    return out;
}

void translateTree(const std::vector<ErrorNode>& nodes, ErrorTranslator& tr, const std::vector<Alternatives>& alts,
    std::vector<SchemaError>& out)
{
    std::vector<RawError> level;
    std::vector<std::vector<const ErrorNode*>> blocks;
    std::map<std::pair<std::size_t, std::vector<std::string>>, std::size_t> blockIndex;
    for (const ErrorNode& n : nodes) {
        if (!n.group) {
            level.push_back(n.error);
            continue;
        }
        const auto key = std::make_pair(n.alternatives, n.error.tokens);
        auto it = blockIndex.find(key);
        if (it == blockIndex.end()) {
            it = blockIndex.emplace(key, blocks.size()).first;
            blocks.emplace_back();
            level.push_back({n.error.tokens, kBlockPrefix + std::to_string(blocks.size() - 1)});
        }
        blocks[it->second].push_back(&n);
    }
    for (const RawError& e : mostSpecific(level)) {
        if (!startsWith(e.description, kBlockPrefix)) {
            tr.translate(e, out);
            continue;
        }
        const auto& groups
            = blocks[std::strtoul(e.description.c_str() + std::string(kBlockPrefix).size(), nullptr, 10)];
        const Alternatives* info
            = groups.front()->alternatives < alts.size() ? &alts[groups.front()->alternatives] : nullptr;
        std::vector<std::pair<std::size_t, std::vector<SchemaError>>> branches;
        for (const ErrorNode* g : groups) {
            std::vector<SchemaError> errs;
            translateTree(g->children, tr, alts, errs);
            std::set<std::pair<std::string, std::string>> seen;
            std::vector<SchemaError> unique;
            for (SchemaError& se : errs) {
                if (seen.insert({se.path, se.message}).second)
                    unique.push_back(std::move(se));
            }
            branches.emplace_back(g->branch, std::move(unique));
        }
        tr.summariseAlternatives(
            e.tokens, info ? info->keyword : std::string("anyOf"), info ? info->count : branches.size(), branches, out);
    }
}

} // namespace el::schema_detail
