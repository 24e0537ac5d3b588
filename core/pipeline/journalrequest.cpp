// SPDX-License-Identifier: MIT
#include "journalrequest.h"

namespace el {

HttpRequest toHttpRequest(const JournalRequest& request)
{
    HttpRequest r;
    copyRequestFields(request, r);
    r.body = request.body;
    return r;
}

JournalRequest journalRequest(const HttpRequest& request, qint64 id, qint64 receivedMs)
{
    return journalRequest(HttpRequest(request), id, receivedMs);
}

JournalRequest journalRequest(HttpRequest&& request, qint64 id, qint64 receivedMs)
{
    JournalRequest r;
    r.id = id;
    r.receivedMs = receivedMs;
    r.method = std::move(request.method);
    r.path = std::move(request.path);
    r.query = std::move(request.query);
    r.headers = std::move(request.headers);
    r.peer = std::move(request.peer);
    r.body = std::move(request.body);
    return r;
}

} // namespace el
