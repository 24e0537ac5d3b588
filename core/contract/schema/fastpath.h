// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: the fast evaluator, which decides most verdicts without valijson.

#include "model/event.h"
#include "util/flatjson.h"

#include <memory>

namespace el::schema_detail {

enum class Verdict { Valid, Invalid, Unknown };

/** A schema compiled for the fast evaluator (defined in fastpath.cpp). */
class FastNode;

/** The fast evaluator compiled from \a schema (the source schema, or a subschema of it). */
std::shared_ptr<const FastNode> compileFast(const Json& schema);
/** Its verdict on \a instance: Unknown wherever valijson must decide. */
Verdict evalFast(const FastNode& node, const Json& instance);
/** The same verdict on a FlatJson value (the same text gives the same answer). */
Verdict evalFast(const FastNode& node, FlatJson::Ref instance);
/** compileFast() and evalFast() at once, for a subschema met once. */
Verdict quickVerdict(const Json& schema, const Json& instance);

} // namespace el::schema_detail
