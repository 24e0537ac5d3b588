// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

/// The one base64 reader: strict, so a bad character is reported with its offset instead of dropped.
namespace el {

/** The 6-bit value of a base64 character (standard '+' '/' or URL-safe '-' '_' alphabet), or -1. */
int base64Value(char c);

/**
 * Base64 (standard or URL-safe, padding optional, whitespace ignored) into \a out. False with \a error
 * ("invalid base64: unexpected character '!' at byte 12", data after padding, truncated input, no data) otherwise.
 */
bool base64Decode(std::string_view in, std::string& out, std::string& error);

} // namespace el
