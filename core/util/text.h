// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// Small text helpers shared by every stage (one home each: decode, ingest, contract, replay and ui use them).
namespace el {

/** The value of a hexadecimal digit (0-9, a-f, A-F), or -1. */
int hexDigitValue(char c);

/**
 * %XX escapes decoded to bytes (a broken escape stays literal); with \a plusIsSpace, '+' becomes ' ' as in
 * application/x-www-form-urlencoded.
 */
std::string percentDecode(std::string_view s, bool plusIsSpace);

/** A JSON Pointer reference token escaped (RFC 6901): '~' -> "~0", '/' -> "~1". */
std::string jsonPointerEscape(std::string_view token);

/** "line L, column C" (1-based) of the 0-based byte offset \a byte in \a text (clamped to its end). */
std::string lineColumn(std::string_view text, std::size_t byte);

} // namespace el
