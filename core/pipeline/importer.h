// SPDX-License-Identifier: MIT
#pragma once

#include "store/journal.h"

#include <QString>

#include <string>

namespace el {

/**
 * \brief Reads a HAR or NDJSON file into a read-only session (format detected from the content).
 *
 *  - HAR (Chrome DevTools, Firefox, mitmproxy, EventLens): GET/POST requests to PostHog ingest paths are
 *    decoded exactly like the live sink does (decodeIngest), in file order; every other entry (page assets,
 *    /flags/, /decide/, CORS preflights, other hosts' APIs) is ignored and counted in skippedRequests. A
 *    request the decoder refuses becomes a rejected request (status and reason as the sink would answer).
 *    For a foreign HAR, \c status / \c reason are the sink's verdict, the recorded response goes to
 *    responseHeaders/responseBody and its status to upstreamStatus (-1 when the request failed). An
 *    EventLens HAR restores its requests (incl. rejected ones) and seqs exactly.
 *  - NDJSON exported by EventLens (lines with "doc" and "seq"): events are rebuilt exactly; recorded
 *    violations go to SessionData::violations.
 *  - Any other NDJSON / JSON array / single object: read like `eventlens check` reads it (readOfflineInput).
 *
 * NDJSON and JSON hold no HTTP request: SessionData::requests keeps what the file had for each request of the
 * events instead (method and path empty, JournalRequest::source says where): the line, array element or document
 * they were read from (request ids 1..N in file order); for EventLens export lines, the lines of each request_id,
 * joined by newlines (a line without one, or a foreign line in an export, gets an id after the file's highest).
 *
 * Returns false with \a error "FILE:LINE: why" (or "FILE[INDEX]: why") when the file cannot be read.
 * Event seqs are increasing; they keep the export's numbers (a filtered export has gaps) unless the file
 * mixes sources or repeats numbers, then they are renumbered 1..N and recorded violations are dropped.
 */
bool importFile(const QString& path, SessionData& out, std::string& error);
/** importFile() on bytes already read; \a name is used in messages; \a defaultReceivedMs for events without one. */
bool importBytes(
    const std::string& name, const std::string& bytes, qint64 defaultReceivedMs, SessionData& out, std::string& error);

} // namespace el
