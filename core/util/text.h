// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// Small text helpers shared by every stage (one home each: decode, ingest, contract, replay and ui use them).
namespace el {

/// JSON whitespace (RFC 8259: space, tab, LF, CR) and the blanks of HTTP fields and scenario text (space, tab).
inline constexpr std::string_view kJsonWhitespace = " \t\r\n";
inline constexpr std::string_view kBlanks = " \t";

/** \a s without leading and trailing characters of \a chars. */
std::string_view trim(std::string_view s, std::string_view chars = kJsonWhitespace);

/** The value of a hexadecimal digit (0-9, a-f, A-F), or -1. */
int hexDigitValue(char c);

/**
 * %XX escapes decoded to bytes (a broken escape stays literal); with \a plusIsSpace, '+' becomes ' ' as in
 * application/x-www-form-urlencoded.
 */
std::string percentDecode(std::string_view s, bool plusIsSpace);

/** A JSON Pointer reference token escaped (RFC 6901): '~' -> "~0", '/' -> "~1". */
std::string jsonPointerEscape(std::string_view token);
/** A JSON Pointer reference token unescaped into \a out ("~0" -> '~', "~1" -> '/'); false on any other '~'. */
bool jsonPointerUnescape(std::string_view token, std::string& out);

/** ASCII lower case of one byte (header names, schemes, tokens); other bytes unchanged. */
inline char asciiLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
/** ASCII lower case of a text; other bytes (UTF-8 included) unchanged. */
std::string asciiLower(std::string_view s);
/** ASCII case-insensitive equality (header names). */
bool asciiIEquals(std::string_view a, std::string_view b);

/** One byte for an error message: "'x'" for printable ASCII, else "0xNN". */
std::string describeByte(unsigned char c);

/** Line number (1-based) of the first character of \a text that is not JSON whitespace (its last line if none). */
std::size_t firstNonBlankLine(std::string_view text);

/** "line L, column C" (1-based) of the 0-based byte offset \a byte in \a text (clamped to its end). */
std::string lineColumn(std::string_view text, std::size_t byte);

} // namespace el
