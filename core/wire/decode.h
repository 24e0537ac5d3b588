// SPDX-License-Identifier: MIT
#pragma once

#include "bodyjson.h" // parseJson(), for callers of this entry point
#include "endpoint.h"
#include "inflate.h" // gunzip(), gzipCompress()
#include "transport/httprequest.h"

#include <cstddef>
#include <string>
#include <vector>

namespace el {

struct DecodeLimits
{
    std::size_t maxDecompressedBytes = 100u * 1024u * 1024u; ///< gzip bombs -> 413
    int maxDepth = 64; ///< JSON nesting depth -> 400
    std::size_t maxEventsPerRequest = 100000; ///< -> 413
};

/** \brief Result of decoding one ingest request: normalised events, or an HTTP error. */
struct DecodeResult
{
    int status = 200; ///< 200 on success, else 400/405/413/415
    std::string error; ///< exact reason when status != 200
    std::vector<Json> events; ///< normalised event objects
    std::string decodedBody; ///< the JSON text after base64/gzip/form decoding (for display)
    std::string encoding; ///< how the body was encoded, e.g. "gzip", "base64", "form+base64", "json"
    std::string shape; ///< "object", "array", "batch", "engage", "v1"

    bool ok() const { return status == 200; }
};

/**
 * \brief Decodes an ingest request exactly like PostHog capture does (posthog-wire.md §1.5).
 *
 * Pure function: no I/O, no state. Handles query/form `data=`, base64, gzip (header, query hint and
 * `1f 8b` sniffing), JSON array / {api_key,batch,sent_at} / single event / engage / capture v1, and
 * normalises each event: token, distinct_id (top level or properties), timestamp (or sent_at - offset),
 * uuid.
 */
DecodeResult decodeIngest(const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits = {});
/**
 * The last step of decodeIngest() on a body that is already parsed JSON (\a doc, as parseJson() gives it): its
 * shape (object, array, batch, ...) and each event normalised, with the same messages. The request gives the
 * query and headers the normalisation reads (sent_at, _, Authorization); its body is not read. decodedBody stays
 * empty. `eventlens check` reads each NDJSON line once this way.
 */
DecodeResult decodeDocument(Json doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits = {});

/**
 * decodeIngest() with no DOM where it can: the body is read into \a flat, and its events normalised there (the
 * same edits, FlatJson::setMember()) and listed in \a events; r.events stays empty. Where only the DOM path can
 * decide (any failure, an engage body, a body simdjson leaves to nlohmann), it decides: the answer is then
 * decodeIngest()'s, events in r.events and \a events empty. Either way the same status, message, encoding, shape
 * and decoded body; the events read the same (makeEvent() on either gives the same Event).
 */
DecodeResult decodeIngestFlat(const HttpRequest& request, Endpoint endpoint, FlatJson& flat,
    std::vector<FlatJson::Ref>& events, const DecodeLimits& limits = {});
/**
 * Hands \a result's decodedBody back to this thread's decoder, which inflates the next request into its memory
 * (result.decodedBody is left empty). For a caller that does not keep the decoded body: the live sink's workers.
 */
void recycleDecodedBody(DecodeResult& result);
/**
 * decodeDocument() on a document read into \a flat: true with its events normalised in \a flat and listed in
 * \a events (r as decodeDocument() would set it, r.events empty); false, with nothing set, where only the DOM
 * path can decide (then call decodeDocument() on the same text).
 */
bool decodeDocumentFlat(FlatJson& flat, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits,
    DecodeResult& r, std::vector<FlatJson::Ref>& events);

} // namespace el
