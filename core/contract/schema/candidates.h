// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: which subschemas apply at an instance location (what a message quotes).

#include "fastpath.h"
#include "model/event.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace el::schema_detail {

/**
 * What collectCandidates() reads of one schema node: found once per node of a compiled schema (SchemaIndex, with
 * its "if" compiled for the fast evaluator), or on the spot for a node the index does not hold (the meta-schema).
 */
struct NodeKeywords
{
    const Json* ref = nullptr; ///< a string "$ref"
    const Json* applicators[3] = {}; ///< kArraySchemaKeywords, when arrays
    const Json* ifNode = nullptr;
    const Json* thenNode = nullptr;
    const Json* elseNode = nullptr;
    const Json* dependencies = nullptr; ///< an object
    const Json* properties = nullptr; ///< an object
    const Json* patternProperties = nullptr; ///< an object
    const Json* additionalProperties = nullptr;
    const Json* items = nullptr;
    const Json* additionalItems = nullptr;
    std::shared_ptr<const FastNode> ifFast; ///< ifNode compiled

    static NodeKeywords of(const Json& node);
};

/** NodeKeywords of every schema node of a compiled schema, by address (read-only once built: thread-safe). */
struct SchemaIndex
{
    std::unordered_map<const Json*, NodeKeywords> nodes;
    /// The values of every "enum" keyword, joined for a message (joinValues()), by the keyword's address.
    std::unordered_map<const Json*, std::string> enumTexts;
};

/** The index of a compiled schema's nodes (\a root: its effective schema). */
SchemaIndex indexSchema(const Json& root);

/**
 * Subschemas that apply to the instance location \a tokens (following $ref, applicators, properties, items).
 * \a index: the NodeKeywords of \a root's nodes (nullptr: found on the spot).
 */
void collectCandidates(const Json& root, const SchemaIndex* index, const Json& node, const Json* inst,
    const std::vector<std::string>& tokens, std::size_t i, std::vector<const Json*>& out, int depth);

/** The values of an "enum" keyword as a message lists them: "a", "b", 3. */
std::string joinValues(const Json& arr);

} // namespace el::schema_detail
