// SPDX-License-Identifier: MIT
#include "endpoint.h"

#include <string_view>

namespace el {

namespace {

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

Endpoint classifyPath(const std::string& rawPath, std::string* token)
{
    if (token)
        token->clear();
    std::string p = rawPath.substr(0, rawPath.find_first_of("?#"));
    if (p.empty() || p.front() != '/')
        return Endpoint::Unknown;
    if (p == "/static" || startsWith(p, "/static/"))
        return Endpoint::Static;
    if (p == "/eventlens/v1" || startsWith(p, "/eventlens/v1/"))
        return Endpoint::Api;
    if (p.size() > 1 && p.back() == '/')
        p.pop_back();

    if (p == "/e" || p == "/i/v0/e" || p == "/capture" || p == "/track")
        return Endpoint::Capture;
    if (p == "/engage")
        return Endpoint::Engage;
    if (p == "/batch")
        return Endpoint::Batch;
    if (p == "/s")
        return Endpoint::Recording;
    if (p == "/i/v1/analytics/events")
        return Endpoint::CaptureV1;
    if (p == "/i/v0/ai/batch" || p == "/i/v0/ai")
        return Endpoint::Ai;
    if (p == "/flags")
        return Endpoint::Flags;
    if (p == "/decide")
        return Endpoint::Decide;
    if (startsWith(p, "/array/")) {
        const std::string rest = p.substr(7);
        const std::size_t slash = rest.find('/');
        if (slash == std::string::npos || slash == 0)
            return Endpoint::Unknown;
        const std::string tail = rest.substr(slash + 1);
        Endpoint e = Endpoint::Unknown;
        if (tail == "config")
            e = Endpoint::RemoteConfig;
        else if (tail == "config.js")
            e = Endpoint::RemoteConfigJs;
        if (e != Endpoint::Unknown && token)
            *token = rest.substr(0, slash);
        return e;
    }
    return Endpoint::Unknown;
}

bool isIngestEndpoint(Endpoint e)
{
    switch (e) {
    case Endpoint::Capture:
    case Endpoint::Engage:
    case Endpoint::Batch:
    case Endpoint::Recording:
    case Endpoint::CaptureV1:
    case Endpoint::Ai:
        return true;
    default:
        return false;
    }
}

} // namespace el
