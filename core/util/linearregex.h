// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace el {

/**
 * An ECMA-262 regular expression search over code points (the "u" flag, as ajv matches a draft-07 "pattern"),
 * for the patterns contracts use: literals, ".", classes, \d \w \s and their complements, groups, alternation,
 * the quantifiers * + ? {n} {n,} {n,m} (lazy ones too: a search only asks whether there is a match), and ^ and $
 * around the whole pattern.
 *
 * It is a Glushkov automaton of at most 64 positions run as bit masks: one pass over the text, no allocation,
 * no backtracking, no recursion per character. compile() refuses what it does not do (back-references,
 * look-around, \b, anchors inside the pattern, more than 64 positions, any syntax it is not sure of), and the
 * caller then uses its general engine. It never decides a pattern is valid: callers compile with their general
 * engine first, which reports bad patterns.
 *
 * Text that is not valid UTF-8 is read as U+FFFD per bad byte (as el::utf8SequenceLength() decides).
 */
class LinearRegex
{
public:
    static std::optional<LinearRegex> compile(std::string_view pattern);

    /** Whether \a text (UTF-8) contains a match. */
    bool search(std::string_view text) const;

    /** Positions of the automaton (one per character matcher after {n,m} is expanded). */
    int positions() const { return int(m_classes.size()); }

    /** A set of code points: sorted, disjoint, inclusive ranges. */
    using Ranges = std::vector<std::pair<char32_t, char32_t>>;

private:
    std::uint64_t acceptsMask(char32_t c) const;

    std::vector<Ranges> m_classes; ///< per position, the code points it matches
    std::vector<std::uint64_t> m_follow; ///< per position, the positions that may come next
    std::array<std::uint64_t, 128> m_ascii {}; ///< per ASCII character, the positions that match it
    std::uint64_t m_first = 0;
    std::uint64_t m_last = 0;
    bool m_nullable = false;
    bool m_anchoredStart = false;
    bool m_anchoredEnd = false;
};

} // namespace el
