// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: what compile() refuses beyond the meta-schema.

#include "model/event.h"

#include <string>

namespace el::schema_detail {

/**
 * Static checks valijson does not do at parse time: every regular expression compiles, every $ref is local and
 * resolves, no $ref cycle consumes no input, $schema is draft-07. Returns an error or "".
 */
std::string checkSchemaStatically(const Json& schema);

} // namespace el::schema_detail
