// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: valijson's error texts turned into paths and expected-vs-actual messages.

#include "candidates.h"
#include "contract/jsonschema.h"
#include "model/event.h"

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace el::schema_detail {

/** One valijson error, its context made pointer tokens. */
struct RawError
{
    std::vector<std::string> tokens; ///< unescaped pointer tokens relative to the validated instance
    std::string description; ///< valijson's text
};

inline bool startsWith(const std::string& s, const char* prefix)
{
    return s.rfind(prefix, 0) == 0;
}

/**
 * Translates the errors of one validation of \a instance against \a schemaRoot (the effective schema, or the
 * meta-schema); it finds what a message quotes from the schema (the keyword's value in the subschemas that apply
 * there) and remembers it per location, so one translator serves one validation.
 */
class ErrorTranslator
{
public:
    ErrorTranslator(const Json& schemaRoot, const Json& instance, const std::string& base, const std::string& rootName,
        const SchemaIndex* index = nullptr)
        : m_root(schemaRoot)
        , m_index(index)
        , m_instance(instance)
        , m_base(base)
        , m_rootName(rootName)
    { }

    /** Appends to \a out the messages for \a e (one, or one per property it names). */
    void translate(const RawError& e, std::vector<SchemaError>& out);

    /** One error for an anyOf/oneOf none of whose alternatives matched, naming what each (or the closest) lacks. */
    void summariseAlternatives(const std::vector<std::string>& tokens, const std::string& keyword, std::size_t count,
        const std::vector<std::pair<std::size_t, std::vector<SchemaError>>>& branches, std::vector<SchemaError>& out);

    /** The instance's value at \a tokens (unescaped), or nullptr. */
    const Json* valueAt(const std::vector<std::string>& tokens) const;

    /** "runtime_type", "user.plan", "tags[0]"; the root name for the instance itself. */
    std::string displayName(const std::vector<std::string>& tokens) const;

    /**
     * Whether a message quoted the value of the instance itself (the root), which shows members the schema does
     * not name; and the members whose values (or values inside them) messages quoted. JsonSchema remembers
     * messages by the members a schema names, some of them by their type only: what a message quotes must be in
     * the key.
     */
    bool quotedRoot() const { return m_quotedRoot; }
    const std::set<std::string>& quotedMembers() const { return m_quotedMembers; }

private:
    /** What messages say of an instance location: its value, its name and the value described. */
    struct Location
    {
        const Json* value = nullptr;
        std::string name;
        std::string actual;
    };
    /** Records that a message quotes the value at \a tokens (quotedRoot(), quotedMembers()). */
    void noteQuoted(const std::vector<std::string>& tokens);
    /** The value at \a tokens described for a message (or "missing"), recorded by noteQuoted(). */
    std::string quoteAt(const std::vector<std::string>& tokens);

    /** Found once per location (alternatives report the same location once per branch). */
    const Location& location(const std::vector<std::string>& tokens);

    /** joinValues() of an "enum" keyword's value, joined once per compiled schema when it is one of its own. */
    std::string enumText(const Json& en) const;

    const std::vector<const Json*>& candidates(const std::vector<std::string>& tokens);

    /**
     * The value of \a kw in the k-th applicable subschema that \a fails says the value fails (k = how many
     * times this keyword was already reported at this location), so alternatives of anyOf get their own
     * expected values; falls back to any subschema having the keyword.
     */
    template<typename Pred>
    const Json* keyword(const std::vector<std::string>& tokens, const char* kw, const Json* /*value*/, Pred fails);

    /** The keyword's number as written in the schema, else the number in valijson's text. */
    std::string number(const std::vector<std::string>& tokens, const char* kw, const std::string& description);

    /** Members not matched by properties/patternProperties of the first subschema whose additionalProperties
     * is false (\a onlyFalse) or any non-true schema. */
    std::vector<std::string> unexpectedProperties(
        const std::vector<std::string>& tokens, const Json* value, bool onlyFalse = true);

    const Json& m_root;
    const SchemaIndex* m_index; ///< of m_root's nodes, or nullptr
    const Json& m_instance;
    const std::string m_base; // copies: callers pass temporaries
    const std::string m_rootName;
    std::map<std::vector<std::string>, std::vector<const Json*>> m_candidates;
    std::map<std::vector<std::string>, Location> m_locations;
    struct KeywordHits
    {
        std::vector<const Json*> failing; ///< the keyword's values that the instance fails, in candidate order
        const Json* any = nullptr; ///< the first value of the keyword, failing or not
        std::size_t occurrences = 0; ///< how many times the keyword was reported at the location
    };
    std::map<std::pair<std::vector<std::string>, std::string>, KeywordHits> m_keywords;
    bool m_quotedRoot = false;
    std::set<std::string> m_quotedMembers;
};
} // namespace el::schema_detail
