// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: valijson with EventLens's custom keywords (see rewriteKeywords).

#include "model/event.h"
#include "valijson.h"

#include <string>

namespace el::schema_detail {

/**
 * Parses \a doc (an effective schema, or the meta-schema) into \a schema, with the custom keywords' constraints
 * registered and the draft-07 meta-schema as the one document a reference may fetch. False and \a error when
 * valijson refuses it.
 */
bool parseInto(const Json& doc, valijson::Schema& schema, std::string& error);

} // namespace el::schema_detail
