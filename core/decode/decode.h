// SPDX-License-Identifier: MIT
#pragma once

#include "ingest/httprequest.h"

#include <cstddef>
#include <string>
#include <vector>

namespace el {

/** What kind of PostHog path a request hit. */
enum class Endpoint {
    Capture, ///< /e/, /i/v0/e/, /capture/, /track/ (posthog-js style, any body shape)
    Engage, ///< /engage/ (nameless body becomes $identify)
    Batch, ///< /batch/ (posthog-node / python)
    Recording, ///< /s/ ($snapshot events)
    CaptureV1, ///< /i/v1/analytics/events
    Ai, ///< /i/v0/ai/batch/
    Flags, ///< /flags/
    Decide, ///< /decide/
    RemoteConfig, ///< /array/<token>/config
    RemoteConfigJs, ///< /array/<token>/config.js
    Static, ///< /static/...
    Api, ///< /eventlens/v1/...
    Unknown,
};

/** Classifies a path (trailing slash optional). \a token receives <token> for /array/ paths. */
Endpoint classifyPath(const std::string& path, std::string* token = nullptr);
/** True for the endpoints whose requests carry events. */
bool isIngestEndpoint(Endpoint e);

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

/** gzip/zlib inflate with a size cap; returns false with \a error on corrupt/truncated data or over cap. */
bool gunzip(
    const std::string& in, std::string& out, std::size_t maxBytes, std::string& error, bool* tooLarge = nullptr);

/** gzip-compresses \a in (what posthog-node and posthog-js send); empty on failure. */
std::string gzipCompress(const std::string& in);

/**
 * Parses JSON with a nesting-depth cap. Returns false with \a error (and position) on failure. simdjson reads the
 * text (util/fastjson.h); nlohmann's parser (parseJsonReference()) decides whatever simdjson refuses, so the
 * result and every error message are nlohmann's.
 */
bool parseJson(const std::string& text, Json& out, int maxDepth, std::string& error);
/** parseJson() with nlohmann's parser alone: the reference the fast path is tested against (fuzz_json). */
bool parseJsonReference(const std::string& text, Json& out, int maxDepth, std::string& error);

} // namespace el
