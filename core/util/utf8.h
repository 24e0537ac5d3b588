// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// UTF-8 validity and the one replacement policy (U+FFFD per bad byte) every stage uses.
namespace el {

/** Length of the valid UTF-8 sequence at \a i, 0 if invalid (overlongs, surrogates, > U+10FFFF rejected). */
std::size_t utf8SequenceLength(std::string_view s, std::size_t i);
/** Offset of the first byte that is not valid UTF-8 (see utf8SequenceLength()), or npos. */
std::size_t firstInvalidUtf8(std::string_view s);
/** \a s with each byte that is not valid UTF-8 replaced by U+FFFD: always serialisable (display, error texts). */
std::string validUtf8(std::string_view s);
/** Strict UTF-8: what round-trips through QString unchanged. */
inline bool isValidUtf8(std::string_view s)
{
    return firstInvalidUtf8(s) == std::string_view::npos;
}

} // namespace el
