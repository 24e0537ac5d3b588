// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <string>

/// A request body's JSON text to a document, with a nesting-depth cap and nlohmann's error wording.
namespace el {

/**
 * Parses JSON with a nesting-depth cap. Returns false with \a error (and position) on failure. simdjson reads the
 * text (util/fastjson.h); nlohmann's parser (parseJsonReference()) decides whatever simdjson refuses, so the
 * result and every error message are nlohmann's.
 */
bool parseJson(const std::string& text, Json& out, int maxDepth, std::string& error);
/** parseJson() with nlohmann's parser alone: the reference the fast path is tested against (fuzz_json). */
bool parseJsonReference(const std::string& text, Json& out, int maxDepth, std::string& error);

} // namespace el
