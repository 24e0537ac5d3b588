// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <optional>
#include <string>
#include <string_view>

namespace el {

/** \brief One HTTP request as the sink received it (also what the decoder consumes). */
struct HttpRequest
{
    std::string method; ///< upper case, e.g. "POST"
    std::string path; ///< decoded path without the query, e.g. "/e/"
    std::string query; ///< raw query string without '?', e.g. "compression=gzip-js&ver=1.2"
    Headers headers; ///< in arrival order, names as sent
    std::string body; ///< raw body bytes
    std::string peer; ///< remote address, e.g. "127.0.0.1:53124"

    /** Case-insensitive header lookup; returns an empty string when absent. */
    std::string header(std::string_view name) const;
    /** Value of a query parameter (percent-decoded), or nullopt. */
    std::optional<std::string> queryValue(std::string_view name) const;
};

/** What an event keeps of the request it arrived in: its path and User-Agent. */
inline EventOrigin originOf(const HttpRequest& request)
{
    return {request.path, request.header("User-Agent")};
}

/** makeEvent() for an event that arrived in \a request. */
inline Event makeEvent(const Json& normalised, const HttpRequest& request, qint64 seq, qint64 requestId,
    qint64 receivedMs, EventSourceCache* sources = nullptr)
{
    return makeEvent(normalised, originOf(request), seq, requestId, receivedMs, sources);
}

} // namespace el
