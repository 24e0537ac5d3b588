// SPDX-License-Identifier: MIT
#include "httprequest.h"

#include "util/text.h"

namespace el {

std::string HttpRequest::header(std::string_view name) const
{
    for (const auto& [key, value] : headers) {
        if (asciiIEquals(key, name))
            return value;
    }
    return {};
}

std::optional<std::string> HttpRequest::queryValue(std::string_view name) const
{
    std::string_view q = query;
    if (!q.empty() && q.front() == '?')
        q.remove_prefix(1);
    while (!q.empty()) {
        const std::size_t amp = q.find('&');
        const std::string_view pair = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
        if (pair.empty())
            continue;
        const std::size_t eq = pair.find('=');
        const std::string_view rawKey = pair.substr(0, eq);
        if (formDecode(rawKey) != name)
            continue;
        if (eq == std::string_view::npos)
            return std::string();
        return formDecode(pair.substr(eq + 1));
    }
    return std::nullopt;
}

} // namespace el
