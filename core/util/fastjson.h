// SPDX-License-Identifier: MIT
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace el {

/**
 * Parses \a text into \a out with simdjson, building the same nlohmann DOM the nlohmann parser would (same
 * number kinds, last duplicate key wins, containers nested at most \a maxDepth deep). Returns false, leaving
 * \a out unspecified, whenever simdjson refuses the text or the result could differ from nlohmann's (a "-0", an
 * integer past 64 bits, too deep): the caller then parses with nlohmann (parseJson() does, and words the error).
 * Thread-safe.
 */
bool parseJsonFast(std::string_view text, nlohmann::json& out, int maxDepth);

} // namespace el
