// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: regular expressions of "pattern" and "patternProperties".

#include "util/linearregex.h"

#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace el::schema_detail {

// Longest string matched with a backtracking regex (libstdc++'s std::regex recurses per character
// and overflows the stack at a few tens of thousands of characters).
inline constexpr std::size_t kMaxBacktrackingInput = 2000;
// Longest property name checked against patternProperties (valijson matches those with std::regex).
inline constexpr std::size_t kMaxPatternPropertyName = 2000;
// regexSearch() backtracks on every name it is given: the names must be refused before they reach it.
static_assert(kMaxPatternPropertyName <= kMaxBacktrackingInput);

/**
 * A draft-07 "pattern": an ECMA-262 regular expression over code points. LinearRegex runs the patterns it
 * can; the others run on std::wregex over the decoded text, in libstdc++'s polynomial (Thompson NFA) mode,
 * which does not recurse per input character. Patterns with back-references cannot use that mode; they run
 * backtracking, on texts of at most kMaxBacktrackingInput characters. The constructor throws
 * std::regex_error on a bad pattern.
 */
class CodePointRegex
{
public:
    explicit CodePointRegex(const std::string& pattern);

    /** Whether search() answers for texts of any length (LinearRegex or the polynomial mode). */
    bool polynomial() const { return m_polynomial; }

    /** Whether \a text contains a match; nullopt when it is too long for a backtracking pattern. */
    std::optional<bool> search(std::string_view text) const;

private:
    std::wregex m_regex;
    bool m_polynomial = false;
    std::optional<LinearRegex> m_linear;
};

/** Search with a "pattern" keyword's semantics (see CodePointRegex); \a ok: the pattern compiles. */
bool patternSearch(const std::string& pattern, const std::string& text, bool* ok = nullptr);

/**
 * ECMAScript regex search over bytes, as valijson matches patternProperties; texts longer than
 * kMaxBacktrackingInput count as no match. \a ok: the pattern compiles. "pattern" keywords use patternSearch().
 */
bool regexSearch(const std::string& pattern, const std::string& text, bool* ok = nullptr);

/**
 * A "patternProperties" pattern for valijson, which matches property names with std::regex over UTF-8 bytes:
 * rewritten so that it matches the same names as the pattern does over code points (ECMA-262 with the "u"
 * flag, as CodePointRegex and ajv match). ".", "\S", "\D", "\W" and negated classes match one whole UTF-8
 * sequence, "\s" the ECMA-262 white space, a non-ASCII literal is one group. A pattern with a non-ASCII
 * character inside a class is returned as it is (bytes: its matches may differ for non-ASCII names).
 */
std::string utf8BytePattern(const std::string& pattern);

} // namespace el::schema_detail
