// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>

/// Private to core/wire/: what wraps the JSON on the wire (query or form `data=`, compression hints, base64).
namespace el::decoding {

/** How the payload says it is compressed or encoded. */
enum class Hint { None, Gzip, Base64, Lz64, Unsupported };

/** A `compression=` value (query or form); unknown values are ignored. */
Hint hintFromCompression(const std::string& value);
/** A Content-Encoding header; unknown values are Unsupported (415). */
Hint hintFromContentEncoding(const std::string& value);

/** PostHog's strict check (§1.5 step 2): the first 128 bytes are base64 alphabet and the length is a multiple of 4. */
bool looksStrictBase64(std::string_view s);
/** Form decoding turned base64 '+' into ' ': put them back when the value is base64 (capture does the same). */
std::string restoreBase64Plus(std::string s);
/** "true", "null" or a digit string are JSON scalars that also pass the strict base64 test: keep them as JSON. */
bool isJsonScalarText(std::string_view s);

/** True if the body starts like an urlencoded form of posthog-js (data=, _=, ip=, compression=, ver=). */
bool looksLikeForm(std::string_view s);

/** The fields of an urlencoded form that decoding reads (the first of each). */
struct FormFields
{
    std::optional<std::string> data;
    std::optional<std::string> compression;
};
FormFields parseForm(std::string_view body);

} // namespace el::decoding
