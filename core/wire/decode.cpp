// SPDX-License-Identifier: MIT
#include "decode.h"

#include "decodetext.h"
#include "envelope.h"
#include "shapes.h"
#include "util/base64.h"
#include "util/text.h"
#include "util/utf8.h"

#include <algorithm>
#include <cstdio>
#include <new>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace el {

using decoding::cleanMessage;
using decoding::Hint;

namespace {

/**
 * Payload buffers this thread can write into again: a decoded body handed back (recycleDecodedBody()), or the copy of
 * a compressed body once it is inflated. A batch of 50 events inflates to about 75 KB; a new string for it grew by
 * doubling (a copy at each step) into pages the kernel had to map again, about 5 % of the live sink's CPU.
 */
constexpr std::size_t kSpareBuffers = 2;
constexpr std::size_t kLargestSpare = 4 * 1024 * 1024; ///< a larger buffer is freed, not kept for the thread's life

std::vector<std::string>& spareBuffers()
{
    thread_local std::vector<std::string> spares;
    return spares;
}

/**
 * An empty string, with the capacity of one this thread used before when there is one: the largest for an inflated
 * body, else the smallest (a compressed body is a fraction of the text it inflates to).
 */
std::string takeSpare(bool largest)
{
    auto& spares = spareBuffers();
    if (spares.empty())
        return {};
    const auto bySize = [](const std::string& a, const std::string& b) { return a.capacity() < b.capacity(); };
    const auto it = largest ? std::max_element(spares.begin(), spares.end(), bySize)
                            : std::min_element(spares.begin(), spares.end(), bySize);
    std::string s = std::move(*it);
    spares.erase(it);
    s.clear();
    return s;
}

void keepSpare(std::string&& s)
{
    auto& spares = spareBuffers();
    if (s.capacity() >= 256 && s.capacity() <= kLargestSpare && spares.size() < kSpareBuffers)
        spares.push_back(std::move(s));
}

/** The first bytes of \a s in hex, for a message about data that is not what it claims to be. */
std::string describeStart(const std::string& s)
{
    if (s.empty())
        return "nothing";
    std::string out;
    for (std::size_t i = 0; i < std::min<std::size_t>(s.size(), 4); ++i) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", static_cast<unsigned char>(s[i]));
        out += buf;
    }
    return "bytes " + out;
}

std::string join(const std::vector<std::string>& parts)
{
    std::string out;
    for (const std::string& p : parts)
        out += (out.empty() ? "" : "+") + p;
    return out;
}

/**
 * One request on its way from bytes to events: the payload as far as it is unwrapped, and the layers taken off
 * so far ("query", "form", "base64", "gzip": they become DecodeResult::encoding). Each step below takes off one
 * layer; a step that fails records the answer in `r` and returns false.
 */
struct Decoding
{
    Decoding(const HttpRequest& req, Endpoint e, const DecodeLimits& lim)
        : request(req)
        , endpoint(e)
        , limits(lim)
    { }

    const HttpRequest& request;
    const Endpoint endpoint;
    const DecodeLimits& limits;
    DecodeResult r;
    std::string payload;
    std::vector<std::string> layers;
    bool fromQuery = false;
    std::optional<std::string> formCompression;
    Hint hint = Hint::None;
    std::string hintSource; ///< where the hint was read, quoted in messages ("Content-Encoding: br")

    std::string encoding() const { return layers.empty() ? std::string("json") : join(layers); }

    bool fail(int status, const std::string& message)
    {
        r.status = status;
        r.error = cleanMessage(message);
        r.events.clear();
        if (r.encoding.empty())
            r.encoding = encoding();
        return false;
    }
};

// The steps of decodeIngest(), in the order they run (capture's order, posthog-wire.md §1.5).

/** 1. Only event endpoints decode, and only POST (or GET with ?data=, where capture takes it). */
bool acceptRequest(Decoding& d)
{
    const HttpRequest& request = d.request;
    if (!isIngestEndpoint(d.endpoint))
        return d.fail(400, "not an event ingestion endpoint: " + request.path);
    const std::string method = asciiLower(request.method);
    if (!method.empty() && method != "post" && method != "get")
        return d.fail(405, "method " + request.method + " is not allowed here (use POST, or GET with ?data=)");
    if (method == "get" && (d.endpoint == Endpoint::Ai || d.endpoint == Endpoint::CaptureV1))
        return d.fail(405, "method GET is not allowed on " + request.path + " (use POST)");
    return true;
}

/** 2. Old posthog-js sends the payload as the query's `data`; everyone else in the body. */
bool takePayload(Decoding& d)
{
    if (auto q = d.request.queryValue("data"); q && !q->empty()) {
        // the query was form-decoded, which turned base64's '+' into ' '
        d.payload = decoding::restoreBase64Plus(std::move(*q));
        d.fromQuery = true;
        d.layers.emplace_back("query");
    } else {
        d.payload = takeSpare(false);
        d.payload.assign(d.request.body);
    }
    if (d.payload.empty())
        return d.fail(400, "request missing data payload");
    return true;
}

/** 3. posthog-js may post an urlencoded form whose `data=` holds the payload (and `compression=` its hint). */
bool unwrapForm(Decoding& d)
{
    if (d.fromQuery)
        return true;
    const std::string header = d.request.header("Content-Type");
    const std::string mediaType = asciiLower(trim(std::string_view(header).substr(0, header.find(';'))));
    if (decoding::startsWith(mediaType, "multipart/"))
        return d.fail(415, "multipart bodies (" + mediaType + ") are not supported; send JSON events");
    // `curl -d '{...}'` labels JSON as a form: a body that starts like JSON is taken as JSON.
    const std::size_t first = d.payload.find_first_not_of(" \t\r\n");
    const bool looksLikeJson = first != std::string::npos && (d.payload[first] == '{' || d.payload[first] == '[');
    if (!(mediaType == "application/x-www-form-urlencoded" && !looksLikeJson) && !decoding::looksLikeForm(d.payload))
        return true;
    decoding::FormFields form = decoding::parseForm(d.payload);
    if (!form.data || form.data->empty())
        return d.fail(400,
            "failed to decode request: expected form data in request payload (urlencoded body "
            "has no data= field)");
    // form decoding turned base64's '+' into ' '
    d.payload = decoding::restoreBase64Plus(std::move(*form.data));
    d.formCompression = std::move(form.compression);
    d.layers.emplace_back("form");
    return true;
}

/** 4. The compression hint, as capture ranks it: query, then form, then Content-Encoding. Refuses what we cannot
 * decode. */
bool readCompressionHint(Decoding& d)
{
    const auto q = d.request.queryValue("compression");
    if (q && !trim(*q).empty()) {
        d.hint = decoding::hintFromCompression(*q);
        d.hintSource = "compression=" + *q + " in the query";
    } else if (d.formCompression && !trim(*d.formCompression).empty()) {
        d.hint = decoding::hintFromCompression(*d.formCompression);
        d.hintSource = "compression=" + *d.formCompression + " in the form";
    } else if (const std::string ce = d.request.header("Content-Encoding"); !trim(ce).empty()) {
        d.hint = decoding::hintFromContentEncoding(ce);
        d.hintSource = "Content-Encoding: " + ce;
    }
    if (d.hint == Hint::Lz64)
        return d.fail(415,
            "lz64 compression is not supported (" + d.hintSource
                + "); configure the SDK to use gzip, base64 or no compression");
    if (d.hint == Hint::Unsupported)
        return d.fail(415, "unsupported content encoding (" + d.hintSource + "); EventLens decodes gzip and deflate");
    return true;
}

/** Decodes the payload from base64; \a why ends the message if it is not base64 after all. */
bool decodeBase64(Decoding& d, const char* why)
{
    std::string decoded, error;
    if (!base64Decode(d.payload, decoded, error))
        return d.fail(400, std::string("failed to decode request: ") + error + " (" + why + ")");
    d.payload = std::move(decoded);
    d.layers.emplace_back("base64");
    return true;
}

/** 5. base64, when hinted or when the payload passes capture's strict test (and is not gzip or a JSON scalar). */
bool unwrapBase64(Decoding& d)
{
    if (d.hint == Hint::Base64)
        return decodeBase64(d, "compression hint base64");
    if (!hasGzipMagic(d.payload) && decoding::looksStrictBase64(d.payload) && !decoding::isJsonScalarText(d.payload))
        return decodeBase64(d, "payload looked like base64");
    return true;
}

/** 6. gzip, when hinted or sniffed from the 1f 8b magic, inflated under the size cap (a bomb answers 413). */
bool inflateGzip(Decoding& d)
{
    if (d.hint != Hint::Gzip && !hasGzipMagic(d.payload))
        return true;
    if (!hasGzipMagic(d.payload) && !hasZlibHeader(d.payload))
        return d.fail(400,
            "failed to decode request: invalid gzip data: " + d.hintSource + " but the payload starts with "
                + describeStart(d.payload) + ", not the gzip magic 1f 8b");
    std::string inflated = takeSpare(true);
    std::string error;
    bool tooLarge = false;
    if (!gunzip(d.payload, inflated, d.limits.maxDecompressedBytes, error, &tooLarge)) {
        keepSpare(std::move(inflated));
        if (tooLarge)
            return d.fail(413, "failed to decode request: " + error);
        return d.fail(400, "failed to decode request: invalid gzip data: " + error);
    }
    keepSpare(std::move(d.payload));
    d.payload = std::move(inflated);
    d.layers.emplace_back("gzip");
    // legacy paths: a still-base64 result is decoded once more
    if (decoding::looksStrictBase64(d.payload))
        return decodeBase64(d, "gzip content looked like base64");
    return true;
}

/**
 * 7. The unwrapped text becomes the body shown: within the size cap (uncompressed bodies too), and UTF-8 (known
 * already when \a knownUtf8: simdjson read it, and it validates every byte).
 */
bool keepDecodedBody(Decoding& d, bool knownUtf8 = false)
{
    d.r.encoding = d.encoding();
    const std::string& payload = d.payload;
    if (payload.size() > d.limits.maxDecompressedBytes)
        return d.fail(413,
            "failed to decode request: payload is " + std::to_string(payload.size()) + " bytes, over the limit of "
                + std::to_string(d.limits.maxDecompressedBytes) + " bytes");
    if (const std::size_t bad = knownUtf8 ? std::string::npos : firstInvalidUtf8(payload); bad != std::string::npos) {
        d.r.decodedBody = validUtf8(payload); // still shown, so the user sees where it broke
        return d.fail(400,
            "failed to decode request: invalid UTF-8 in request payload at byte " + std::to_string(bad) + " (byte "
                + describeByte(static_cast<unsigned char>(payload[bad])) + ", encoding " + d.r.encoding + ")");
    }
    d.r.decodedBody = std::move(d.payload);
    d.payload.clear();
    return true;
}

/** 8. The body's JSON, with the nesting cap (a deep body answers 400, not a stack overflow). */
bool parseBody(Decoding& d, Json& doc)
{
    std::string parseError;
    if (!parseJson(d.r.decodedBody, doc, d.limits.maxDepth, parseError))
        return d.fail(400, "failed to parse request: " + parseError);
    return true;
}

/**
 * Steps 1 to 9. With \a flat, the body is first read into it and normalised there (decoding::normaliseFlat(),
 * events into \a events); where that cannot decide, the DOM path does.
 */
DecodeResult decodeImpl(const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits,
    FlatJson* flat = nullptr, std::vector<FlatJson::Ref>* events = nullptr)
{
    Decoding d(request, endpoint, limits);
    if (!(acceptRequest(d) && takePayload(d) && unwrapForm(d) && readCompressionHint(d) && unwrapBase64(d)
            && inflateGzip(d)))
        return std::move(d.r);
    // The FlatJson reads the payload before it is kept: its strings live in the parser's own buffers.
    const bool read = flat && d.payload.size() <= limits.maxDecompressedBytes
        && flat->parse(d.payload, std::max(1, limits.maxDepth));
    if (!keepDecodedBody(d, read))
        return std::move(d.r);
    if (read && decoding::normaliseFlat(*flat, request, endpoint, limits, d.r, *events))
        return std::move(d.r);
    Json doc;
    if (parseBody(d, doc))
        // 9. the body's shape, then each event normalised (wire/shapes.cpp)
        decoding::normaliseDocument(std::move(doc), request, endpoint, limits, d.r);
    return std::move(d.r);
}

/** An exception while decoding becomes the request's answer (413 out of memory, else 400), never a crash. */
template<typename Decode> DecodeResult guarded(Decode decode)
{
    try {
        return decode();
    } catch (const std::bad_alloc&) {
        DecodeResult r;
        r.status = 413;
        r.error = "out of memory while decoding the request";
        return r;
    } catch (const std::exception& e) {
        DecodeResult r;
        r.status = 400;
        r.error = cleanMessage(std::string("failed to decode request: ") + e.what());
        return r;
    } catch (...) {
        DecodeResult r;
        r.status = 400;
        r.error = "failed to decode request";
        return r;
    }
}

} // namespace

DecodeResult decodeIngest(const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits)
{
    return guarded([&] { return decodeImpl(request, endpoint, limits); });
}

void recycleDecodedBody(DecodeResult& result)
{
    keepSpare(std::move(result.decodedBody));
    result.decodedBody.clear();
}

DecodeResult decodeIngestFlat(const HttpRequest& request, Endpoint endpoint, FlatJson& flat,
    std::vector<FlatJson::Ref>& events, const DecodeLimits& limits)
{
    events.clear();
    return guarded([&] {
        try {
            return decodeImpl(request, endpoint, limits, &flat, &events);
        } catch (...) {
            events.clear(); // the answer is the exception's (guarded()): no event
            throw;
        }
    });
}

bool decodeDocumentFlat(FlatJson& flat, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits,
    DecodeResult& r, std::vector<FlatJson::Ref>& events)
{
    DecodeResult result;
    result.encoding = "json";
    try {
        if (!decoding::normaliseFlat(flat, request, endpoint, limits, result, events))
            return false;
    } catch (...) {
        events.clear();
        return false; // decodeDocument() answers (an exception is its 400 or 413)
    }
    r = std::move(result);
    return true;
}

DecodeResult decodeDocument(Json doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits)
{
    return guarded([&] {
        DecodeResult r;
        r.encoding = "json";
        decoding::normaliseDocument(std::move(doc), request, endpoint, limits, r);
        return r;
    });
}

} // namespace el
