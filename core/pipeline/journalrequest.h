// SPDX-License-Identifier: MIT
#pragma once

#include "store/journal.h"
#include "transport/httprequest.h"

namespace el {

// Between the request as ingest sees it (HttpRequest) and as the session file keeps it (JournalRequest).
// They live in pipeline/: the pipeline may depend on store, never the reverse.

/** The request as the decoder / makeEvent() see it. */
HttpRequest toHttpRequest(const JournalRequest& request);
/** A JournalRequest for \a request (method, path, query, headers, body, peer); the rest is left default. */
JournalRequest journalRequest(const HttpRequest& request, qint64 id, qint64 receivedMs);
/** The same, taking the fields over from \a request (no copy of the body on the thread that commits). */
JournalRequest journalRequest(HttpRequest&& request, qint64 id, qint64 receivedMs);

} // namespace el
