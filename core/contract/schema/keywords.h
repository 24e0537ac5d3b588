// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: the keywords of a draft-07 schema and how to walk its subschemas.

#include "model/event.h"
#include "util/text.h"

#include <string>

namespace el::schema_detail {

// Custom keywords the effective schema uses instead of "pattern" and "format" (see rewriteKeywords) ...
inline constexpr const char* kPatternKeyword = "x-eventlens-pattern";
inline constexpr const char* kFormatKeyword = "x-eventlens-format";
inline constexpr const char* kMarkKeyword = "x-eventlens-mark";
// ... and instead of "type" where it names "integer", and of an integer "multipleOf".
inline constexpr const char* kTypeKeyword = "x-eventlens-type";
inline constexpr const char* kMultipleOfKeyword = "x-eventlens-multipleOf";
// Error texts the mark keyword pushes (never shown): "\x01mark <alternatives id>:<branch>:<b|e>".
inline constexpr const char* kMarkPrefix = "\x01mark ";

// Keywords whose value is one subschema / an array of subschemas / a map of subschemas.
inline constexpr const char* kSingleSchemaKeywords[]
    = {"additionalItems", "additionalProperties", "contains", "propertyNames", "if", "then", "else", "not"};
inline constexpr const char* kArraySchemaKeywords[] = {"allOf", "anyOf", "oneOf"};
inline constexpr const char* kMapSchemaKeywords[] = {"properties", "patternProperties", "definitions", "dependencies"};

/** Formats valijson 1.0 actually checks; the others are annotations only (as draft-07 allows). */
bool valijsonChecksFormat(const std::string& f);

/** Calls fn(subschema, pointer) for every subschema position (schema-aware: never looks into enum/const/...). */
template<typename J, typename Fn> void forEachSchema(J& node, const std::string& pointer, Fn&& fn)
{
    fn(node, pointer);
    if (!node.is_object())
        return;
    for (const char* kw : kSingleSchemaKeywords) {
        auto it = node.find(kw);
        if (it != node.end())
            forEachSchema(*it, pointer + "/" + kw, fn);
    }
    for (const char* kw : kArraySchemaKeywords) {
        auto it = node.find(kw);
        if (it != node.end() && it->is_array()) {
            for (std::size_t i = 0; i < it->size(); ++i)
                forEachSchema((*it)[i], pointer + "/" + kw + "/" + std::to_string(i), fn);
        }
    }
    for (const char* kw : kMapSchemaKeywords) {
        auto it = node.find(kw);
        if (it != node.end() && it->is_object()) {
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (m->is_object() || m->is_boolean())
                    forEachSchema(*m, pointer + "/" + kw + "/" + jsonPointerEscape(m.key()), fn);
            }
        }
    }
    auto items = node.find("items");
    if (items != node.end()) {
        if (items->is_array()) {
            for (std::size_t i = 0; i < items->size(); ++i)
                forEachSchema((*items)[i], pointer + "/items/" + std::to_string(i), fn);
        } else {
            forEachSchema(*items, pointer + "/items", fn);
        }
    }
}

/** Resolves a local reference ("#", "#/definitions/x") inside \a root; nullptr otherwise. */
const Json* resolveLocalRef(const Json& root, const std::string& ref);
/** The draft-07 meta-schema's own URI: the one remote reference resolved (from the embedded copy). */
bool isMetaSchemaUri(std::string uri);

/** A draft-07 "integer": any number with a zero fractional part (1.0 too). */
bool isIntegral(const Json& v);
/** Length in code points, as draft-07's minLength and maxLength count. */
std::size_t utf8Length(const std::string& s);

} // namespace el::schema_detail
