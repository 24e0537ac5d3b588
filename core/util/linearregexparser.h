// SPDX-License-Identifier: MIT
#pragma once

// Private to LinearRegex: the pattern's syntax tree (linearregexparser.cpp builds it, linearregex.cpp turns it
// into the automaton) and the code point sets both halves use.

#include "linearregex.h"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace el::regex_detail {

using Ranges = LinearRegex::Ranges;

/** Whether the normalized set \a r holds \a c. */
bool contains(const Ranges& r, char32_t c);

/**
 * The code point of the valid UTF-8 sequence of \a len bytes (utf8SequenceLength(), not 0) at \a i of \a s.
 */
inline char32_t decodeUtf8(std::string_view s, std::size_t i, std::size_t len)
{
    const unsigned char b = static_cast<unsigned char>(s[i]);
    char32_t cp = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
    for (std::size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return cp;
}

struct Node
{
    enum class Kind { Empty, Chars, Cat, Alt, Star, Plus, Opt } kind = Kind::Empty;
    Ranges chars; ///< Chars
    std::vector<int> kids; ///< Cat, Alt: the parts; Star, Plus, Opt: one
};

/** A pattern read into nodes: \c root indexes \c nodes; ^ and $ around the whole pattern are flags. */
struct ParsedPattern
{
    std::vector<Node> nodes;
    int root = -1;
    bool anchoredStart = false;
    bool anchoredEnd = false;
};

/** \a pattern (UTF-8) read, or nullopt for anything the linear engine does not do (see LinearRegex). */
std::optional<ParsedPattern> parsePattern(std::string_view pattern);

} // namespace el::regex_detail
