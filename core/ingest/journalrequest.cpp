// SPDX-License-Identifier: MIT
#include "ingest/journalrequest.h"

namespace el {

HttpRequest toHttpRequest(const JournalRequest& request)
{
    HttpRequest r;
    r.method = request.method;
    r.path = request.path;
    r.query = request.query;
    r.headers = request.headers;
    r.body = request.body;
    r.peer = request.peer;
    return r;
}

JournalRequest journalRequest(const HttpRequest& request, qint64 id, qint64 receivedMs)
{
    JournalRequest r;
    r.id = id;
    r.receivedMs = receivedMs;
    r.method = request.method;
    r.path = request.path;
    r.query = request.query;
    r.headers = request.headers;
    r.body = request.body;
    r.peer = request.peer;
    return r;
}

} // namespace el
