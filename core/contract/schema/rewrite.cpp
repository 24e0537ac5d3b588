// SPDX-License-Identifier: MIT
#include "rewrite.h"
#include "keywords.h"
#include "pattern.h"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace el::schema_detail {

namespace {

/** Where the local "$ref"s of \a schema point, as JSON pointers ("" for "#"): what a rewrite must leave alone. */
std::vector<std::string> localRefTargets(const Json& schema)
{
    std::vector<std::string> targets;
    forEachSchema(schema, std::string(), [&](const Json& node, const std::string&) {
        if (!node.is_object())
            return;
        auto ref = node.find("$ref");
        if (ref != node.end() && ref->is_string() && !ref->get<std::string>().empty()
            && ref->get<std::string>()[0] == '#')
            targets.push_back(percentDecode(ref->get<std::string>().substr(1), false));
    });
    return targets;
}

} // namespace

bool rewriteKeywords(Json& schema)
{
    bool patternProperties = false;
    std::vector<std::string> at;
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string& pointer) {
        if (!node.is_object())
            return;
        if (node.contains("patternProperties"))
            patternProperties = true;
        static const char* const rewritten[] = {"pattern", "format", "type", "multipleOf", "patternProperties",
            "propertyNames", kPatternKeyword, kFormatKeyword, kMarkKeyword, kTypeKeyword, kMultipleOfKeyword};
        for (const char* kw : rewritten)
            if (node.contains(kw)) {
                at.push_back(pointer);
                break;
            }
    });
    // Deepest first: rewriting the keys of patternProperties changes the pointers below them.
    std::stable_sort(
        at.begin(), at.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    std::vector<std::string> refTargets = localRefTargets(schema); // a key a $ref points through keeps its spelling
    for (std::string& t : refTargets)
        t += "/";
    for (const std::string& pointer : at) {
        Json& node = pointer.empty() ? schema : schema.at(Json::json_pointer(pointer));
        for (const char* kw : {kPatternKeyword, kFormatKeyword, kMarkKeyword, kTypeKeyword, kMultipleOfKeyword})
            node.erase(kw);
        auto type = node.find("type");
        if (type != node.end()
            && (*type == "integer"
                || (type->is_array() && std::find(type->begin(), type->end(), Json("integer")) != type->end()))) {
            Json t = *type;
            node.erase(type);
            node[kTypeKeyword] = std::move(t);
        }
        auto multipleOf = node.find("multipleOf");
        if (multipleOf != node.end() && multipleOf->is_number_integer()
            && (!multipleOf->is_number_unsigned()
                || multipleOf->get<std::uint64_t>() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))) {
            Json m = *multipleOf;
            node.erase(multipleOf);
            node[kMultipleOfKeyword] = std::move(m);
        }
        // valijson 1.0 parses "propertyNames" under its node's own path (not .../propertyNames): when the node is
        // a $ref target, its schema cache hands back the node itself, and names are checked against that. One
        // level down, in an allOf of its own, nothing refers to it.
        auto names = node.find("propertyNames");
        const std::string namesAt = pointer + "/propertyNames/";
        if (names != node.end() && std::none_of(refTargets.begin(), refTargets.end(), [&](const std::string& t) {
                return t.rfind(namesAt, 0) == 0;
            })) {
            Json wrapped = {{"propertyNames", std::move(*names)}};
            node.erase(names);
            auto all = node.find("allOf");
            if (all != node.end() && all->is_array())
                all->push_back(std::move(wrapped));
            else
                node["allOf"] = Json::array({std::move(wrapped)});
        }
        auto patterns = node.find("patternProperties");
        if (patterns != node.end() && patterns->is_object()) {
            Json bytes = Json::object();
            for (auto it = patterns->begin(); it != patterns->end(); ++it) {
                const std::string below = pointer + "/patternProperties/" + jsonPointerEscape(it.key()) + "/";
                const bool referenced = std::any_of(
                    refTargets.begin(), refTargets.end(), [&](const std::string& t) { return t.rfind(below, 0) == 0; });
                bytes[referenced ? it.key() : utf8BytePattern(it.key())] = std::move(*it);
            }
            *patterns = std::move(bytes);
        }
        auto pattern = node.find("pattern");
        if (pattern != node.end()) {
            Json p = *pattern;
            node.erase(pattern);
            node[kPatternKeyword] = std::move(p);
        }
        auto format = node.find("format");
        if (format != node.end()) {
            Json f = *format;
            node.erase(format);
            if (f.is_string() && valijsonChecksFormat(f.get<std::string>()))
                node[kFormatKeyword] = std::move(f);
        }
    }
    return patternProperties;
}

std::vector<Alternatives> rewriteAlternatives(Json& schema)
{
    const std::vector<std::string> refTargets = localRefTargets(schema);
    std::vector<std::pair<std::string, std::string>> at; // pointer, keyword
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string& pointer) {
        if (!node.is_object())
            return;
        for (const char* kw : {"anyOf", "oneOf"}) {
            auto arr = node.find(kw);
            if (arr == node.end() || !arr->is_array() || arr->size() < 2)
                continue;
            const std::string p = pointer + "/" + kw + "/";
            bool referenced = false;
            for (const std::string& t : refTargets)
                referenced = referenced || (t.rfind(p, 0) == 0 && t.find('/', p.size()) != std::string::npos);
            if (!referenced)
                at.emplace_back(pointer, kw);
        }
    });
    std::stable_sort(
        at.begin(), at.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    std::vector<Alternatives> out;
    for (const auto& [pointer, kw] : at) {
        Json& node = pointer.empty() ? schema : schema.at(Json::json_pointer(pointer));
        Json& arr = node[kw];
        const std::string id = std::to_string(out.size());
        for (std::size_t i = 0; i < arr.size(); ++i) {
            const std::string mark = id + ":" + std::to_string(i) + ":";
            Json wrapped = {{"allOf", Json::array({Json {{kMarkKeyword, mark + "b"}}})},
                {"anyOf", Json::array({std::move(arr[i])})}, {kMarkKeyword, mark + "e"}};
            arr[i] = std::move(wrapped);
        }
        out.push_back({kw, arr.size()});
    }
    return out;
}

void rewriteAllOf(Json& schema)
{
    const std::vector<std::string> refTargets = localRefTargets(schema);
    std::vector<std::string> at;
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string& pointer) {
        if (!node.is_object())
            return;
        auto all = node.find("allOf");
        if (all == node.end() || !all->is_array() || all->size() < 2)
            return;
        const std::string p = pointer + "/allOf";
        for (const std::string& t : refTargets) {
            if (t == p || t.rfind(p + "/", 0) == 0)
                return;
        }
        at.push_back(pointer);
    });
    // Deepest first, so outer pointers stay valid while inner arrays are rewritten.
    std::sort(at.begin(), at.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const std::string& pointer : at) {
        Json& node = pointer.empty() ? schema : schema.at(Json::json_pointer(pointer));
        Json branches = std::move(node["allOf"]);
        Json chain = Json::object();
        for (std::size_t i = branches.size(); i-- > 0;) {
            Json link = {{"allOf", Json::array({std::move(branches[i])})}};
            if (!chain.empty())
                link["anyOf"] = Json::array({std::move(chain)});
            chain = std::move(link);
        }
        node["allOf"] = Json::array({std::move(chain)});
    }
}

} // namespace el::schema_detail
