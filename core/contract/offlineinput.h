// SPDX-License-Identifier: MIT
#pragma once

#include "transport/httprequest.h"

#include <string>
#include <string_view>
#include <vector>

namespace el {

/** \brief Events read from files for an offline check (`eventlens check`), in input order. */
struct OfflineInput
{
    std::vector<Event> events; ///< seq 1.. across all inputs read into this object
    std::vector<std::string> sources; ///< per event: where it came from, "file:line" or "file#entry"
    int requests = 0; ///< request bodies / HAR requests decoded
    int skippedRequests = 0; ///< HAR requests ignored (not an ingest endpoint, or not GET/POST)
    /// Set by a caller that judges the events and drops them (`eventlens check`): each event's normalised object is
    /// kept in \c docs (one per event) and Event::json stays empty, so nothing is written out and parsed again.
    bool keepDocs = false;
    std::vector<Json> docs;
    EventSourceCache sourceCache; ///< events from the same client share one EventSource
};

/**
 * \brief Reads events from \a bytes (the content of \a name) and appends them to \a input.
 *
 * Accepted shapes, detected from the content:
 *  - a HAR file (Chrome DevTools "Save all as HAR"): {"log": {"entries": [...]}}; only GET/POST requests to
 *    ingest endpoints (classifyPath + isIngestEndpoint) are decoded, exactly like the live sink does
 *    (query/form data=, base64, gzip, batch...); entry startedDateTime becomes receivedMs;
 *  - a JSON array: each element is an event or a PostHog request body;
 *  - a single JSON object: one event or one request body;
 *  - NDJSON: one event or one request body (object or array) per line; blank lines are skipped.
 * Each event or body goes through decodeIngest() so events are normalised as in live mode. An
 * element's "received_at" (ISO-8601, as in EventLens exports) becomes receivedMs, else \a defaultReceivedMs.
 *
 * Returns false with \a error ("name:line: what") when the content cannot be read: invalid JSON
 * line, a body the decoder rejects, an ingest request in a HAR without a decodable body.
 */
bool readOfflineInput(const std::string& name, const std::string& bytes, qint64 defaultReceivedMs, OfflineInput& input,
    std::string& error);

/**
 * \brief Reads line \a lineNo (1-based) of the NDJSON content of \a name: one event or request body (object or
 * array), or nothing when the line is blank; appends its events to \a input like readOfflineInput() does (seq
 * and requestId numbered from \a input's counts: a caller that reads lines into a batch renumbers them).
 *
 * readOfflineInput() reads NDJSON with it, and `eventlens check` streams big NDJSON files line by line through
 * it, so both give the same events, sources and messages ("name:line: what").
 */
bool readOfflineLine(const std::string& name, std::size_t lineNo, std::string_view line, qint64 defaultReceivedMs,
    OfflineInput& input, std::string& error);

/**
 * \brief readOfflineLine() with no DOM, where it can: the line is read into \a flat and decoded there
 * (decodeDocumentFlat()), its events appended to \a input exactly as readOfflineLine() appends them (but never
 * their DOMs: \a input.docs is left to the caller), their normalised objects listed in \a events (Refs into
 * \a flat), and true is returned. False, with nothing appended, where only the DOM path can decide (a blank or
 * invalid line, any line the decoder refuses, a body simdjson leaves to nlohmann): the caller then calls
 * readOfflineLine(), which decodes it and words any error.
 */
bool readOfflineLineQuickly(const std::string& name, std::size_t lineNo, std::string_view line,
    qint64 defaultReceivedMs, OfflineInput& input, FlatJson& flat, std::vector<FlatJson::Ref>& events);

/** \brief One HAR entry as readHarEntries() reads it: the request as sent and the response as recorded. */
struct HarEntry
{
    std::string where; ///< "name[index]"
    bool valid = true; ///< false when the entry has no request object (nothing else is filled)
    HttpRequest request; ///< built like `eventlens check` does; peer "har"; body repaired (see readHarEntries)
    std::string url; ///< request.url as in the HAR
    bool hasBody = false; ///< the HAR has a postData text or params
    bool contentEncodingRemoved = false; ///< a Content-Encoding header was dropped (body stored decoded)
    qint64 startedMs = 0; ///< startedDateTime, 0 when absent or unreadable
    double timeMs = -1; ///< the entry's total time, -1 when absent
    int status = 0; ///< response status, 0 when there was none (failed, blocked, cancelled)
    std::string statusText;
    Headers responseHeaders;
    std::string responseBody; ///< response content bytes (base64 decoded when "encoding": "base64")
    std::string error; ///< response._error (mitmproxy, Chrome) when the request failed
    /// "request.postData.text: invalid base64: ..." when a base64 body (request or response) is not valid base64;
    /// that body is then empty. A reader that uses the entry reports it with \c where.
    std::string bodyError;
    Json eventlens; ///< the entry's "_eventlens" object (HARs exported by EventLens), else null
};

/**
 * \brief Reads every entry of the HAR document \a har (already parsed; \a name is used in messages),
 * without filtering or decoding, and appends them to \a entries.
 *
 * The request is built exactly like readOfflineInput() builds it for a HAR (same URL split, headers,
 * postData text / base64 / params, Content-Type from postData.mimeType), then repaired for what HAR
 * writers do to binary bodies:
 *  - text whose characters are all <= U+00FF and that starts with U+001F U+008B (mitmproxy writes a gzip
 *    body decoded as latin-1) is mapped back to its bytes;
 *  - a Content-Encoding header is dropped when the stored body is not gzip/zlib data (mitmproxy stores
 *    the decoded body but keeps the header).
 * Entries with "_eventlens" (written by EventLens, exact by construction) are not repaired. A body with invalid
 * base64 is reported in HarEntry::bodyError, not dropped silently.
 * Returns false with \a error only when \a har is not a HAR document.
 */
bool readHarEntries(const std::string& name, const Json& har, std::vector<HarEntry>& entries, std::string& error);

} // namespace el
