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
    JournalRequest r;
    r.id = id;
    r.receivedMs = receivedMs;
    copyRequestFields(request, r);
    r.body = request.body;
    return r;
}

} // namespace el
