// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"
#include "util/flatjson.h"
#include "util/text.h"

#include <memory>
#include <string>
#include <vector>

namespace el {

/** \brief One schema violation, already translated for humans. */
struct SchemaError
{
    std::string path; ///< RFC 6901 pointer into the validated document (with the caller's base prefix)
    std::string message; ///< says expected vs actual, e.g. `runtime_type is "both", expected one of "a", "b"`
};

/**
 * \brief A compiled JSON Schema (draft-07), validated with valijson.
 *
 * The schema is checked against the draft-07 meta-schema and every regular expression in it is
 * compiled before valijson parses it, so a bad schema is reported at load time, never at
 * validation time. Remote references are not resolved (schemas are self-contained; local
 * "#/definitions/..." references work; the draft-07 meta-schema URI resolves to a built-in copy).
 * A $ref cycle that consumes no input (a subschema reaching itself through $ref and allOf, anyOf, oneOf,
 * not, if, then, else or dependencies, never descending into properties, items and the like) is refused
 * at compile time, naming the cycle: evaluating it would recurse until the stack overflows.
 * Immutable and thread-safe once compiled. Never throws.
 *
 * valijson 1.0 quirks handled here (the schema valijson sees is a rewritten copy of the source):
 *  - "pattern": valijson matches with backtracking std::regex, which recurses per character in
 *    libstdc++ and crashes (stack overflow) on strings of a few tens of KB. It is replaced by a custom
 *    keyword matched with LinearRegex, or in libstdc++'s polynomial (Thompson NFA) mode for what that
 *    refuses; patterns with back-references keep backtracking and fail on strings over 2000 characters.
 *    Like ECMA-262, it matches code points, not UTF-8 bytes (std::wregex over the decoded string: ".",
 *    classes, ranges and quantifiers see one character per code point; \s and \S follow ECMA-262's white
 *    space, \w, \d and \b are ASCII).
 *  - "patternProperties": valijson matches property names with std::regex over UTF-8 bytes. Each pattern is
 *    rewritten into one over bytes that matches the same names as the pattern over code points (".", "\S",
 *    negated classes match one whole UTF-8 sequence, "\s" ECMA-262's white space); a pattern with a non-ASCII
 *    character inside a class stays as written. Matching backtracks, so a property name over 2000 bytes
 *    fails schemas that use patternProperties.
 *  - "type" naming "integer": valijson counts JSON integers only; draft-07 counts any number with a zero
 *    fractional part (1.0, 2.0, and integers above INT64_MAX, which valijson sees as doubles). A custom keyword
 *    checks it.
 *  - an integer "multipleOf": valijson truncates a number to an integer first (1.5 is a multiple of 1 to it).
 *    A custom keyword checks it.
 *  - "propertyNames": valijson parses the subschema under its node's own path, so on a node that a $ref points
 *    to it checks the names against that node. It is moved one level down, into an allOf of its own.
 *  - "format": valijson throws on non-string values; date, time and date-time are checked by a custom
 *    keyword on strings only, other formats are annotations (draft-07 makes format checks optional).
 *  - allOf: valijson stops at the first failing branch; allOf is rewritten into an equivalent chain
 *    so every failing branch is reported.
 *  - messages: valijson's error texts and contexts are post-processed into JSON pointers and
 *    expected-vs-actual messages; wrapper errors (anyOf/oneOf/if/properties/items) are dropped when a
 *    more specific error exists below them.
 */
class JsonSchema
{
public:
    ~JsonSchema();
    JsonSchema(const JsonSchema&) = delete;
    JsonSchema& operator=(const JsonSchema&) = delete;

    /** Compiles \a schema. Returns nullptr and sets \a error (what and where) when it is not a valid schema. */
    static std::shared_ptr<const JsonSchema> compile(const Json& schema, std::string& error);

    /** True when \a instance satisfies the schema (fast path, no error collection). */
    bool accepts(const Json& instance) const;

    /**
     * Validates \a instance. Returns true when valid. On failure \a errors receives the most specific
     * errors (deduplicated, in valijson's order). Paths are \a basePointer + the pointer inside
     * \a instance; \a rootName names the instance itself in messages (e.g. "properties").
     */
    bool validate(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer = {},
        const std::string& rootName = "value") const;

    /** The schema as given to compile(). */
    const Json& source() const;

    /** What one evaluation path alone says about an instance (for differential tests). */
    enum class PathVerdict { Valid, Invalid, Undecided };
    /**
     * Test hook: the verdict of the fast evaluator alone, which accepts() and validate() consult first;
     * Undecided where it defers to valijson.
     */
    PathVerdict fastPathVerdict(const Json& instance) const;
    /**
     * What accepts() and validate() say of \a instance, read from a FlatJson (no DOM), when the fast evaluator
     * decides it alone; Undecided where valijson would have to (then the caller builds the DOM and asks them), and
     * for every instance of a schema with patternProperties (accepts() checks its names' lengths first).
     */
    PathVerdict quickVerdict(FlatJson::Ref instance) const;
    /** Test hook: the verdict of valijson alone (the general evaluator), without the fast path. */
    PathVerdict generalPathVerdict(const Json& instance) const;
    /**
     * Test hook: validate() with valijson shown the whole instance, the reference for the members validate()
     * leaves out (see JsonSchema::Private::members). Same result and errors, or validate() is wrong.
     */
    bool validateWhole(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer = {},
        const std::string& rootName = "value") const;

private:
    JsonSchema();
    struct Private;
    std::unique_ptr<Private> d;
};

/** Joins unescaped tokens into a JSON pointer ("" for none). */
std::string jsonPointerFromTokens(const std::vector<std::string>& tokens);
/** Short human rendering of a JSON value (JSON text, truncated to about 80 characters). */
std::string describeJsonValue(const Json& value);
/** JSON Schema type name of a value: null, boolean, integer, number, string, array, object. */
std::string jsonTypeName(const Json& value);

} // namespace el
