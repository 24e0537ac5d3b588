// SPDX-License-Identifier: MIT
#include "envelope.h"

#include "decodetext.h"
#include "model/event.h"
#include "util/base64.h"
#include "util/text.h"

#include <algorithm>

namespace el::decoding {

namespace {

bool isStrictBase64Char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
        || c == '=';
}

/** True if every byte is base64 alphabet (standard or URL-safe), '=' or whitespace. */
bool allBase64Chars(std::string_view s)
{
    if (trim(s).empty())
        return false;
    for (char c : s) {
        if (base64Value(c) < 0 && c != '=' && c != '\r' && c != '\n' && c != '\t' && c != ' ')
            return false;
    }
    return true;
}

} // namespace

bool looksStrictBase64(std::string_view s)
{
    s = trim(s);
    if (s.empty() || s.size() % 4 != 0)
        return false;
    const std::size_t n = std::min<std::size_t>(s.size(), 128);
    for (std::size_t i = 0; i < n; ++i) {
        if (!isStrictBase64Char(s[i]))
            return false;
    }
    return true;
}

std::string restoreBase64Plus(std::string s)
{
    if (s.find(' ') == std::string::npos)
        return s;
    std::string candidate = s;
    std::replace(candidate.begin(), candidate.end(), ' ', '+');
    return allBase64Chars(trim(candidate)) ? candidate : s;
}

Hint hintFromCompression(const std::string& value)
{
    const std::string v = asciiLower(trim(value));
    if (v == "gzip" || v == "gzip-js")
        return Hint::Gzip;
    if (v == "base64" || v == "b64")
        return Hint::Base64;
    if (v == "lz64" || v == "lz-string")
        return Hint::Lz64;
    return Hint::None; // unknown values are ignored, like capture's Compression::Unsupported
}

Hint hintFromContentEncoding(const std::string& value)
{
    const std::string v = asciiLower(trim(value));
    if (v.empty() || v == "identity")
        return Hint::None;
    if (v == "gzip" || v == "x-gzip" || v == "deflate")
        return Hint::Gzip;
    if (v == "base64" || v == "b64")
        return Hint::Base64;
    if (v == "lz64" || v == "lz-string")
        return Hint::Lz64;
    return Hint::Unsupported;
}

bool isJsonScalarText(std::string_view s)
{
    s = trim(s);
    if (s == "true" || s == "null")
        return true;
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool looksLikeForm(std::string_view s)
{
    for (std::string_view prefix : {"data=", "_=", "ip=", "compression=", "ver="}) {
        if (startsWith(s, prefix))
            return true;
    }
    return false;
}

FormFields parseForm(std::string_view body)
{
    FormFields f;
    while (!body.empty()) {
        const std::size_t amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
        const std::size_t eq = pair.find('=');
        const std::string key = formDecode(pair.substr(0, eq));
        const std::string value = eq == std::string_view::npos ? std::string() : formDecode(pair.substr(eq + 1));
        if (key == "data" && !f.data)
            f.data = value;
        else if (key == "compression" && !f.compression)
            f.compression = value;
    }
    return f;
}

} // namespace el::decoding
