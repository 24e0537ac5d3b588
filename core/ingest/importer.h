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
 * Returns false with \a error "FILE:LINE: why" (or "FILE[INDEX]: why") when the file cannot be read.
 * Event seqs are increasing; they keep the export's numbers (a filtered export has gaps) unless the file
 * mixes sources or repeats numbers, then they are renumbered 1..N and recorded violations are dropped.
 */
bool importFile(const QString& path, SessionData& out, QString* error);
/** importFile() on bytes already read; \a name is used in messages; \a defaultReceivedMs for events without one. */
bool importBytes(
    const std::string& name, const std::string& bytes, qint64 defaultReceivedMs, SessionData& out, QString* error);

} // namespace el
