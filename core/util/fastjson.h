// SPDX-License-Identifier: MIT
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

namespace el {

/// Documents up to this size reuse a simdjson parser per thread (parseJsonFast(), FlatJson); a bigger one gets its
/// own, so a worker that once saw a 30 MB body does not keep simdjson's buffers for it.
inline constexpr std::size_t kSimdjsonReuseLimit = std::size_t(1) << 20;

/**
 * Whether \a text may hold a "-0" number token, which nlohmann reads as a signed integer and simdjson as 0: a reader
 * built on simdjson then refuses the text and the caller parses it with nlohmann. Conservative: a "-0" in a string
 * counts too.
 */
bool hasMinusZeroInteger(std::string_view text);

/**
 * Parses \a text into \a out with simdjson, building the same nlohmann DOM the nlohmann parser would (same
 * number kinds, last duplicate key wins, containers nested at most \a maxDepth deep). Returns false, leaving
 * \a out unspecified, whenever simdjson refuses the text or the result could differ from nlohmann's (a "-0", an
 * integer past 64 bits, too deep): the caller then parses with nlohmann (parseJson() does, and words the error).
 * Thread-safe.
 */
bool parseJsonFast(std::string_view text, nlohmann::json& out, int maxDepth);

/**
 * The value at the JSON pointer \a pointer in \a doc, or nullptr when there is none: what
 * `doc.contains(json_pointer(pointer)) ? &doc.at(json_pointer(pointer)) : nullptr` gives, without parsing the
 * pointer into tokens or walking the document twice (no allocation unless a token holds an escape). A malformed
 * pointer (not starting with '/', or a '~' not followed by 0 or 1) finds nothing; "" is the whole document.
 * Array indices are nlohmann's: digits, no leading zero.
 */
const nlohmann::json* findPointer(const nlohmann::json& doc, std::string_view pointer);

} // namespace el
