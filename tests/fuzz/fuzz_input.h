// SPDX-License-Identifier: MIT
// Shared by the fuzz targets: turns arbitrary bytes into an HttpRequest.
#pragma once

#include "transport/httprequest.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace elfuzz {

/**
 * Input format (also how the seed corpus is written, so seeds stay readable):
 *   METHOD TARGET\n
 *   Name: value\n   (any number of header lines)
 *   \n
 *   BODY (raw bytes to the end)
 * Anything that does not fit still becomes a request (method/path/body from what is there).
 */
inline el::HttpRequest requestFromBytes(const uint8_t* data, size_t size)
{
    el::HttpRequest r;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    const size_t sp = line.find(' ');
    r.method = std::string(line.substr(0, sp));
    std::string_view target = sp == std::string_view::npos ? std::string_view("/e/") : line.substr(sp + 1);
    const size_t q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos)
        r.query = std::string(target.substr(q + 1));
    while (!in.empty()) {
        nl = in.find('\n');
        const std::string_view h = in.substr(0, nl);
        in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
        if (h.empty())
            break;
        const size_t colon = h.find(':');
        if (colon == std::string_view::npos)
            continue;
        std::string_view value = h.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
        r.headers.emplace_back(std::string(h.substr(0, colon)), std::string(value));
    }
    r.body = std::string(in);
    r.peer = "127.0.0.1:1";
    return r;
}

} // namespace elfuzz
