// SPDX-License-Identifier: MIT
#pragma once

// What the detectors, the first pass and the masking of scan.h share: the detectors' indices and the ASCII tests
// they are written with (locale-free and branch-light, unlike <cctype>).

#include "util/text.h"

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace el::scan_detail {

/** Indices in scanDetectors() (precedence order). */
enum Det : std::size_t {
    Anthropic,
    OpenAI,
    Google,
    Aws,
    Github,
    Posthog,
    Slack,
    Pem,
    Jwt,
    Bearer,
    Email,
    Card,
    Phone,
    DetCount
};

static_assert(DetCount <= 32, "DetectorMask has 32 bits");

inline bool isDigit(char c)
{
    return unsigned(c - '0') < 10u;
}
inline bool isUpper(char c)
{
    return unsigned(c - 'A') < 26u;
}
inline bool isLower(char c)
{
    return unsigned(c - 'a') < 26u;
}
inline bool isAlpha(char c)
{
    return isUpper(c) || isLower(c);
}
inline bool isAlnum(char c)
{
    return isDigit(c) || isAlpha(c);
}
/** base64url, and the characters of most API keys: [A-Za-z0-9_-]. */
inline bool isKeyChar(char c)
{
    return isAlnum(c) || c == '_' || c == '-';
}

/** Nothing of a word right before \a pos: the start of the text or a character that is not a letter or digit. */
inline bool boundaryBefore(std::string_view t, std::size_t pos)
{
    return pos == 0 || !isAlnum(t[pos - 1]);
}

/** The end of the run of characters accepted by \a pred that starts at \a pos. */
template<typename Pred> std::size_t runEnd(std::string_view t, std::size_t pos, Pred pred)
{
    while (pos < t.size() && pred(t[pos]))
        ++pos;
    return pos;
}

inline bool hasDigit(std::string_view s)
{
    return std::any_of(s.begin(), s.end(), isDigit);
}

inline bool startsWith(std::string_view t, std::size_t pos, std::string_view prefix)
{
    return t.size() - pos >= prefix.size() && t.compare(pos, prefix.size(), prefix) == 0;
}

} // namespace el::scan_detail
