// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: the source schema rewritten into the effective one valijson parses.

#include "model/event.h"

#include <cstddef>
#include <string>
#include <vector>

namespace el::schema_detail {

/**
 * Replaces valijson's own "pattern" and "format" handling (see extensions.cpp and jsonschema.h):
 * "pattern" becomes x-eventlens-pattern; "format" becomes x-eventlens-format for date, time and
 * date-time and is dropped for the others (annotations in draft-07). Works around valijson 1.0 where it
 * departs from draft-07 (see jsonschema.h): "type" naming "integer" becomes x-eventlens-type, an integer
 * "multipleOf" x-eventlens-multipleOf, "patternProperties" patterns are rewritten over UTF-8 bytes
 * (utf8BytePattern) and "propertyNames" moves into an allOf of its own. Returns whether patternProperties
 * is used anywhere.
 */
bool rewriteKeywords(Json& schema);

/** \brief An anyOf/oneOf of the source schema whose alternatives carry marks. */
struct Alternatives
{
    std::string keyword; ///< "anyOf" or "oneOf"
    std::size_t count = 0;
};

/**
 * Wraps every alternative A of an anyOf/oneOf (2 or more) into the equivalent
 * {"allOf": [{mark begin}], "anyOf": [A], mark end}: valijson applies allOf, then anyOf, then custom
 * keywords, so A's errors end up between the two marks. When no alternative matches, the errors of
 * each one can then be told apart and summarised as one violation (instead of the leaves of every
 * alternative, which for a union of 100 shapes is 100+ lines). Arrays that a $ref points into are left alone.
 */
std::vector<Alternatives> rewriteAlternatives(Json& schema);

/**
 * valijson stops an allOf at its first failing branch, even when collecting errors, so later
 * branches' errors would be lost. {"allOf": [A, B, C]} is rewritten into the equivalent chain
 * {"allOf": [{"allOf": [A], "anyOf": [{"allOf": [B], "anyOf": [{"allOf": [C]}]}]}]}: every branch is
 * then a single-child allOf/anyOf, which valijson evaluates and reports in full. allOf arrays that a
 * $ref points into are left alone.
 */
void rewriteAllOf(Json& schema);

} // namespace el::schema_detail
