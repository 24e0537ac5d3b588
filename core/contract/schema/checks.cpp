// SPDX-License-Identifier: MIT
#include "checks.h"
#include "keywords.h"
#include "pattern.h"

#include <map>
#include <utility>
#include <vector>

namespace el::schema_detail {

namespace {

/**
 * Finds a $ref cycle that consumes no input: from a subschema, "$ref" and the keywords that apply to the
 * same instance (allOf, anyOf, oneOf, not, if, then, else, schema dependencies) lead back to it, so
 * evaluating it would recurse forever (valijson overflows the stack, at parse or at validation time).
 * Cycles through properties, items and the like end with the instance and are fine.
 */
class RefCycleFinder
{
public:
    explicit RefCycleFinder(const Json& root)
        : m_root(root)
    { }

    /** The first cycle as schema pointers ("# -> #/allOf/0 -> #"), or "" when there is none. */
    std::string find()
    {
        std::string cycle;
        forEachSchema(m_root, std::string(), [&](const Json& node, const std::string& pointer) {
            if (cycle.empty())
                cycle = visit(node, pointer);
        });
        return cycle;
    }

private:
    std::string visit(const Json& node, const std::string& pointer)
    {
        if (!node.is_object())
            return {};
        const auto state = m_done.find(&node);
        if (state != m_done.end()) {
            if (state->second)
                return {};
            std::string cycle;
            bool inCycle = false;
            for (const auto& [n, p] : m_stack) {
                inCycle = inCycle || n == &node;
                if (inCycle)
                    cycle += "#" + p + " -> ";
            }
            return cycle + "#" + pointer;
        }
        m_done[&node] = false;
        m_stack.emplace_back(&node, pointer);
        std::string cycle;
        const auto next = [&](const Json& sub, const std::string& p) {
            if (cycle.empty())
                cycle = visit(sub, p);
        };
        const auto ref = node.find("$ref");
        if (ref != node.end() && ref->is_string()) { // draft-07: siblings of $ref are ignored
            const std::string r = ref->get<std::string>();
            const Json* target = isMetaSchemaUri(r) ? nullptr : resolveLocalRef(m_root, r);
            if (target)
                next(*target, percentDecode(r.substr(1), false));
        } else {
            for (const char* kw : kArraySchemaKeywords) {
                const auto it = node.find(kw);
                if (it != node.end() && it->is_array())
                    for (std::size_t i = 0; i < it->size(); ++i)
                        next((*it)[i], pointer + "/" + kw + "/" + std::to_string(i));
            }
            for (const char* kw : {"not", "if", "then", "else"}) {
                const auto it = node.find(kw);
                if (it != node.end())
                    next(*it, pointer + "/" + kw);
            }
            const auto deps = node.find("dependencies");
            if (deps != node.end() && deps->is_object())
                for (auto d = deps->begin(); d != deps->end(); ++d)
                    next(*d, pointer + "/dependencies/" + jsonPointerEscape(d.key()));
        }
        m_stack.pop_back();
        m_done[&node] = true;
        return cycle;
    }

    const Json& m_root;
    std::map<const Json*, bool> m_done; ///< false while on the stack
    std::vector<std::pair<const Json*, std::string>> m_stack;
};

} // namespace

std::string checkSchemaStatically(const Json& schema)
{
    std::string error;
    forEachSchema(schema, std::string(), [&](const Json& node, const std::string& pointer) {
        if (!error.empty() || !node.is_object())
            return;
        auto pattern = node.find("pattern");
        if (pattern != node.end() && pattern->is_string()) {
            bool ok = false;
            patternSearch(pattern->get<std::string>(), std::string(), &ok);
            if (!ok)
                error = "invalid regular expression at " + pointer + "/pattern: " + pattern->get<std::string>();
        }
        auto pprops = node.find("patternProperties");
        if (pprops != node.end() && pprops->is_object()) {
            for (auto p = pprops->begin(); p != pprops->end() && error.empty(); ++p) {
                bool ok = false;
                regexSearch(p.key(), std::string(), &ok);
                if (!ok)
                    error = "invalid regular expression at " + pointer + "/patternProperties: " + p.key();
            }
        }
        auto ref = node.find("$ref");
        if (ref != node.end() && ref->is_string()) {
            const std::string r = ref->get<std::string>();
            if (isMetaSchemaUri(r))
                return;
            if (r.empty() || r[0] != '#')
                error = "reference at " + pointer + "/$ref is not supported: " + r
                    + " (only local references like #/definitions/name; contracts are self-contained)";
            else if (!resolveLocalRef(schema, r))
                error = "unresolvable reference at " + pointer + "/$ref: " + r;
        }
    });
    if (error.empty()) {
        const std::string cycle = RefCycleFinder(schema).find();
        if (!cycle.empty())
            error = "$ref cycle that consumes no input (it would recurse forever): " + cycle;
    }
    if (error.empty() && schema.is_object()) {
        auto s = schema.find("$schema");
        if (s != schema.end() && s->is_string()) {
            if (!isMetaSchemaUri(s->get<std::string>()))
                error = "unsupported $schema " + s->get<std::string>() + " (only draft-07 is supported)";
        }
    }
    return error;
}

} // namespace el::schema_detail
