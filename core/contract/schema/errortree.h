// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: valijson's flat error list, cut into what is worth saying.

#include "rewrite.h"
#include "translator.h"
#include "valijson.h"

#include <cstddef>
#include <string>
#include <vector>

namespace el::schema_detail {

/** valijson's errors in its order, their contexts made pointer tokens. */
std::vector<RawError> collectErrors(const valijson::ValidationResults& results);

/** \a all without the wrappers (anyOf, if, properties, items ...) that a more specific error below explains. */
std::vector<RawError> mostSpecific(const std::vector<RawError>& all);

/** A valijson error, or the errors of one marked alternative (group). */
struct ErrorNode
{
    RawError error; ///< the error; for a group, tokens = where the alternative applies
    bool group = false;
    std::size_t alternatives = 0; ///< id of the anyOf/oneOf
    std::size_t branch = 0;
    std::vector<ErrorNode> children;
};

/**
 * The errors of \a raw from \a i on, nested by the marks of rewriteAlternatives(); stops after the end mark
 * \a closing (nullptr at the top).
 */
std::vector<ErrorNode> buildTree(
    const std::vector<RawError>& raw, std::size_t& i, const std::string* closing, int depth);

/** Translates one level of the tree: leaves as usual, failed anyOf/oneOf summarised as one error each. */
void translateTree(const std::vector<ErrorNode>& nodes, ErrorTranslator& tr, const std::vector<Alternatives>& alts,
    std::vector<SchemaError>& out);

} // namespace el::schema_detail
