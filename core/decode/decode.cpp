// SPDX-License-Identifier: MIT
#include "decode/decode.h"

#include "util/base64.h"
#include "util/fastjson.h"
#include "util/isotime.h"
#include "util/text.h"
#include "util/utf8.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace el {

namespace {

// ---------------------------------------------------------------------------------------------
// small string helpers

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

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

// ---------------------------------------------------------------------------------------------
// UTF-8

/** Error texts may quote input: keep them valid UTF-8 and free of control bytes. */
std::string cleanMessage(std::string_view s)
{
    std::string out = validUtf8(s);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F)
            c = '?';
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// base64

bool isStrictBase64Char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
        || c == '=';
}

/** PostHog's strict check (§1.5 step 2): the first 128 bytes are base64 alphabet and the length is a multiple of 4. */
bool looksStrictBase64(std::string_view s)
{
    s = trim(s);
    if (s.empty() || s.size() % 4 != 0)
        return false;
    const std::size_t n = std::min<std::size_t>(s.size(), 128);
    for (std::size_t i = 0; i < n; ++i) {
        if (!isStrictBase64Char(s[i]))
            return false;
    }
    return true;
}

/** True if every byte is base64 alphabet (standard or URL-safe), '=' or whitespace. */
bool allBase64Chars(std::string_view s)
{
    if (trim(s).empty())
        return false;
    for (char c : s) {
        if (base64Value(c) < 0 && c != '=' && c != '\r' && c != '\n' && c != '\t' && c != ' ')
            return false;
    }
    return true;
}

/** Form decoding turned base64 '+' into ' ': put them back when the value is base64 (capture does the same). */
std::string restoreBase64Plus(std::string s)
{
    if (s.find(' ') == std::string::npos)
        return s;
    std::string candidate = s;
    std::replace(candidate.begin(), candidate.end(), ' ', '+');
    return allBase64Chars(trim(candidate)) ? candidate : s;
}

// ---------------------------------------------------------------------------------------------
// time

std::optional<qint64> parseIntegerMs(std::string_view s)
{
    s = trim(s);
    if (s.empty() || s.size() > 18)
        return std::nullopt;
    qint64 v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

/** A time given as ISO text, as epoch ms digits, or as a JSON number of ms. */
std::optional<qint64> timeMs(const Json& v)
{
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (auto iso = parseIsoMs(s))
            return iso;
        return parseIntegerMs(s);
    }
    // Bounded like floats (±9e15 ms, ~285 000 years) so "sent_at - offset" cannot overflow (fuzz finding).
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        return u < 9000000000000000ULL ? std::optional<qint64>(static_cast<qint64>(u)) : std::nullopt;
    }
    if (v.is_number_integer()) {
        const auto i = v.get<qint64>();
        return (i > -9000000000000000LL && i < 9000000000000000LL) ? std::optional<qint64>(i) : std::nullopt;
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && std::fabs(d) < 9e15)
            return static_cast<qint64>(std::llround(d));
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// JSON

class DomBuilder final : public Json::json_sax_t
{
public:
    DomBuilder(Json& root, int maxDepth)
        : m_root(root)
        , m_maxDepth(maxDepth)
    { }

    bool null() override { return put(Json(nullptr)); }
    bool boolean(bool v) override { return put(Json(v)); }
    bool number_integer(number_integer_t v) override { return put(Json(v)); }
    bool number_unsigned(number_unsigned_t v) override { return put(Json(v)); }
    bool number_float(number_float_t v, const string_t&) override { return put(Json(v)); }
    bool string(string_t& v) override { return put(Json(std::move(v))); }
    bool binary(binary_t& v) override { return put(Json::binary(std::move(v))); }
    bool start_object(std::size_t) override { return open(Json::object()); }
    bool key(string_t& k) override
    {
        m_key = std::move(k);
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Json::array()); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t position, const std::string&, const Json::exception& ex) override
    {
        m_failed = true;
        m_errorPosition = position;
        m_errorId = ex.id;
        m_errorText = ex.what();
        return false;
    }

    bool tooDeep() const { return m_tooDeep; }
    bool failed() const { return m_failed; }
    std::size_t errorPosition() const { return m_errorPosition; }
    int errorId() const { return m_errorId; }
    const std::string& errorText() const { return m_errorText; }

private:
    Json* place(Json&& v)
    {
        if (m_stack.empty()) {
            m_root = std::move(v);
            return &m_root;
        }
        Json& top = *m_stack.back();
        if (top.is_array()) {
            top.push_back(std::move(v));
            return &top.back();
        }
        // last duplicate key wins, as with operator[]; the key is moved, not copied
        auto& object = top.get_ref<Json::object_t&>();
        return &object.insert_or_assign(std::move(m_key), std::move(v)).first->second;
    }
    bool put(Json&& v)
    {
        place(std::move(v));
        return true;
    }
    bool open(Json&& container)
    {
        if (static_cast<int>(m_stack.size()) >= m_maxDepth) {
            m_tooDeep = true;
            return false;
        }
        m_stack.push_back(place(std::move(container)));
        return true;
    }
    bool close()
    {
        if (!m_stack.empty())
            m_stack.pop_back();
        return true;
    }

    Json& m_root;
    int m_maxDepth;
    std::vector<Json*> m_stack;
    std::string m_key;
    bool m_tooDeep = false;
    bool m_failed = false;
    std::size_t m_errorPosition = 0;
    int m_errorId = 0;
    std::string m_errorText;
};

/** Offset where nesting first exceeds \a maxDepth (strings and escapes skipped), or npos. */
std::size_t depthExceededAt(std::string_view text, int maxDepth)
{
    int depth = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            if (++depth > maxDepth)
                return i;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return std::string::npos;
}

/** "[json.exception.parse_error.101] parse error at line 1, column 8: syntax error ..." -> "syntax error ...". */
std::string stripNlohmannPrefix(const std::string& what)
{
    std::size_t start = 0;
    const std::size_t column = what.find("column ");
    if (column != std::string::npos) {
        const std::size_t colon = what.find(": ", column);
        if (colon != std::string::npos)
            start = colon + 2;
    } else if (what.rfind("[json.exception.", 0) == 0) {
        const std::size_t close = what.find("] ");
        if (close != std::string::npos)
            start = close + 2;
    }
    return what.substr(start);
}

const char* typeName(const Json& v)
{
    switch (v.type()) {
    case Json::value_t::null:
        return "null";
    case Json::value_t::object:
        return "an object";
    case Json::value_t::array:
        return "an array";
    case Json::value_t::string:
        return "a string";
    case Json::value_t::boolean:
        return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
        return "a number";
    case Json::value_t::binary:
        return "binary data";
    case Json::value_t::discarded:
        break;
    }
    return "nothing";
}

const Json* member(const Json& obj, const char* key)
{
    if (!obj.is_object())
        return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

std::string stringify(const Json& v)
{
    if (v.is_string())
        return v.get<std::string>();
    return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

/** First non-empty string among the keys. */
std::optional<std::string> firstString(const Json& obj, std::initializer_list<const char*> keys)
{
    for (const char* key : keys) {
        const Json* v = member(obj, key);
        if (v && v->is_string() && !v->get_ref<const std::string&>().empty())
            return v->get<std::string>();
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// request decoding

enum class Hint { None, Gzip, Base64, Lz64, Unsupported };

Hint hintFromCompression(const std::string& value)
{
    const std::string v = lower(trim(value));
    if (v == "gzip" || v == "gzip-js")
        return Hint::Gzip;
    if (v == "base64" || v == "b64")
        return Hint::Base64;
    if (v == "lz64" || v == "lz-string")
        return Hint::Lz64;
    return Hint::None; // unknown values are ignored, like capture's Compression::Unsupported
}

Hint hintFromContentEncoding(const std::string& value)
{
    const std::string v = lower(trim(value));
    if (v.empty() || v == "identity")
        return Hint::None;
    if (v == "gzip" || v == "x-gzip" || v == "deflate")
        return Hint::Gzip;
    if (v == "base64" || v == "b64")
        return Hint::Base64;
    if (v == "lz64" || v == "lz-string")
        return Hint::Lz64;
    return Hint::Unsupported;
}

bool hasGzipMagic(std::string_view s)
{
    return s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0x1f && static_cast<unsigned char>(s[1]) == 0x8b;
}

bool hasZlibHeader(std::string_view s)
{
    if (s.size() < 2)
        return false;
    const auto b0 = static_cast<unsigned char>(s[0]);
    const auto b1 = static_cast<unsigned char>(s[1]);
    return (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
}

/** "true", "null" or a digit string are JSON scalars that also pass the strict base64 test: keep them as JSON. */
bool isJsonScalarText(std::string_view s)
{
    s = trim(s);
    if (s == "true" || s == "null")
        return true;
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool looksLikeForm(std::string_view s)
{
    for (std::string_view prefix : {"data=", "_=", "ip=", "compression=", "ver="}) {
        if (startsWith(s, prefix))
            return true;
    }
    return false;
}

struct FormFields
{
    std::optional<std::string> data;
    std::optional<std::string> compression;
};

FormFields parseForm(std::string_view body)
{
    FormFields f;
    while (!body.empty()) {
        const std::size_t amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
        const std::size_t eq = pair.find('=');
        const std::string key = formDecode(pair.substr(0, eq));
        const std::string value = eq == std::string_view::npos ? std::string() : formDecode(pair.substr(eq + 1));
        if (key == "data" && !f.data)
            f.data = value;
        else if (key == "compression" && !f.compression)
            f.compression = value;
    }
    return f;
}

std::string join(const std::vector<std::string>& parts)
{
    std::string out;
    for (const std::string& p : parts)
        out += (out.empty() ? "" : "+") + p;
    return out;
}

void normalise(Json doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits, DecodeResult& r);

DecodeResult decodeImpl(const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits)
{
    DecodeResult r;
    std::vector<std::string> parts;
    const auto fail = [&](int status, const std::string& message) {
        r.status = status;
        r.error = cleanMessage(message);
        r.events.clear();
        if (r.encoding.empty())
            r.encoding = parts.empty() ? std::string("json") : join(parts);
        return r;
    };

    if (!isIngestEndpoint(endpoint))
        return fail(400, "not an event ingestion endpoint: " + request.path);
    const std::string method = lower(request.method);
    if (!method.empty() && method != "post" && method != "get")
        return fail(405, "method " + request.method + " is not allowed here (use POST, or GET with ?data=)");
    if (method == "get" && (endpoint == Endpoint::Ai || endpoint == Endpoint::CaptureV1))
        return fail(405, "method GET is not allowed on " + request.path + " (use POST)");

    // 1. payload: query `data`, else the body
    std::string payload;
    bool fromQuery = false;
    if (auto q = request.queryValue("data"); q && !q->empty()) {
        payload = std::move(*q);
        fromQuery = true;
        parts.emplace_back("query");
    } else {
        payload = request.body;
    }
    if (payload.empty())
        return fail(400, "request missing data payload");

    // 3. urlencoded form `data=` (Content-Type says so, or the body plainly is one)
    std::optional<std::string> formCompression;
    bool fromForm = false;
    if (!fromQuery) {
        const std::string header = request.header("Content-Type");
        const std::string mediaType = lower(trim(std::string_view(header).substr(0, header.find(';'))));
        if (startsWith(mediaType, "multipart/"))
            return fail(415, "multipart bodies (" + mediaType + ") are not supported; send JSON events");
        // `curl -d '{...}'` labels JSON as a form: a body that starts like JSON is taken as JSON.
        const std::size_t first = payload.find_first_not_of(" \t\r\n");
        const bool looksLikeJson = first != std::string::npos && (payload[first] == '{' || payload[first] == '[');
        if ((mediaType == "application/x-www-form-urlencoded" && !looksLikeJson) || looksLikeForm(payload)) {
            FormFields form = parseForm(payload);
            if (!form.data || form.data->empty())
                return fail(400,
                    "failed to decode request: expected form data in request payload (urlencoded body "
                    "has no data= field)");
            payload = std::move(*form.data);
            formCompression = std::move(form.compression);
            fromForm = true;
            parts.emplace_back("form");
        }
    }
    if (fromQuery || fromForm)
        payload = restoreBase64Plus(std::move(payload));

    // 4. compression hint: query -> form -> Content-Encoding
    Hint hint = Hint::None;
    std::string hintSource;
    const auto q = request.queryValue("compression");
    if (q && !trim(*q).empty()) {
        hint = hintFromCompression(*q);
        hintSource = "compression=" + *q + " in the query";
    } else if (formCompression && !trim(*formCompression).empty()) {
        hint = hintFromCompression(*formCompression);
        hintSource = "compression=" + *formCompression + " in the form";
    } else if (const std::string ce = request.header("Content-Encoding"); !trim(ce).empty()) {
        hint = hintFromContentEncoding(ce);
        hintSource = "Content-Encoding: " + ce;
    }
    if (hint == Hint::Lz64)
        return fail(415,
            "lz64 compression is not supported (" + hintSource
                + "); configure the SDK to use gzip, base64 or no compression");
    if (hint == Hint::Unsupported)
        return fail(415, "unsupported content encoding (" + hintSource + "); EventLens decodes gzip and deflate");

    const auto decodeBase64 = [&](const char* why) -> bool {
        std::string decoded, error;
        if (!base64Decode(payload, decoded, error)) {
            fail(400, std::string("failed to decode request: ") + error + " (" + why + ")");
            return false;
        }
        payload = std::move(decoded);
        parts.emplace_back("base64");
        return true;
    };

    // 2. base64: hinted, or the payload is strict base64
    if (hint == Hint::Base64) {
        if (!decodeBase64("compression hint base64"))
            return r;
    } else if (!hasGzipMagic(payload) && looksStrictBase64(payload) && !isJsonScalarText(payload)) {
        if (!decodeBase64("payload looked like base64"))
            return r;
    }

    // 5. gzip: hinted, or sniffed from the 1f 8b magic
    if (hint == Hint::Gzip || hasGzipMagic(payload)) {
        if (!hasGzipMagic(payload) && !hasZlibHeader(payload))
            return fail(400,
                "failed to decode request: invalid gzip data: " + hintSource + " but the payload starts with "
                    + describeStart(payload) + ", not the gzip magic 1f 8b");
        std::string inflated, error;
        bool tooLarge = false;
        if (!gunzip(payload, inflated, limits.maxDecompressedBytes, error, &tooLarge)) {
            if (tooLarge)
                return fail(413, "failed to decode request: " + error);
            return fail(400, "failed to decode request: invalid gzip data: " + error);
        }
        payload = std::move(inflated);
        parts.emplace_back("gzip");
        // legacy paths: a still-base64 result is decoded once more
        if (looksStrictBase64(payload) && !decodeBase64("gzip content looked like base64"))
            return r;
    }

    r.encoding = parts.empty() ? std::string("json") : join(parts);
    if (payload.size() > limits.maxDecompressedBytes)
        return fail(413,
            "failed to decode request: payload is " + std::to_string(payload.size()) + " bytes, over the limit of "
                + std::to_string(limits.maxDecompressedBytes) + " bytes");
    if (const std::size_t bad = firstInvalidUtf8(payload); bad != std::string::npos) {
        r.decodedBody = validUtf8(payload);
        return fail(400,
            "failed to decode request: invalid UTF-8 in request payload at byte " + std::to_string(bad) + " (byte "
                + describeByte(static_cast<unsigned char>(payload[bad])) + ", encoding " + r.encoding + ")");
    }
    r.decodedBody = std::move(payload);
    payload.clear();

    // 6. JSON
    Json doc;
    std::string parseError;
    if (!parseJson(r.decodedBody, doc, limits.maxDepth, parseError))
        return fail(400, "failed to parse request: " + parseError);
    normalise(std::move(doc), request, endpoint, limits, r);
    return r;
}

/** Step 7 of decodeImpl(), on the parsed body: its shape, then each event normalised (r.events, or a failure). */
void normalise(Json doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits, DecodeResult& r)
{
    const auto fail = [&](int status, const std::string& message) {
        r.status = status;
        r.error = cleanMessage(message);
        r.events.clear();
    };
    std::string batchToken;
    std::optional<qint64> batchSentAt;
    Json items = Json::array();
    if (doc.is_array()) {
        r.shape = "array";
        items = std::move(doc);
    } else if (doc.is_object() && doc.contains("batch")) {
        r.shape = endpoint == Endpoint::CaptureV1 ? "v1" : "batch";
        if (!doc["batch"].is_array())
            return fail(400,
                std::string("failed to parse request: \"batch\" must be an array of events, got ")
                    + typeName(doc["batch"]));
        if (auto t = firstString(doc, {"api_key", "token", "$token"}))
            batchToken = *t;
        if (endpoint == Endpoint::CaptureV1 && batchToken.empty()) {
            const std::string auth(trim(request.header("Authorization")));
            if (lower(auth.substr(0, std::min<std::size_t>(auth.size(), 7))) == "bearer ")
                batchToken = std::string(trim(std::string_view(auth).substr(7)));
        }
        for (const char* key : {"sent_at", "created_at"}) {
            if (const Json* v = member(doc, key); v && !batchSentAt)
                batchSentAt = timeMs(*v);
        }
        items = std::move(doc["batch"]);
    } else if (doc.is_object() && doc.contains("event")) {
        r.shape = "object";
        items.push_back(std::move(doc));
    } else if (doc.is_object() && endpoint == Endpoint::Engage) {
        r.shape = "engage";
        doc["event"] = "$identify";
        items.push_back(std::move(doc));
    } else {
        return fail(400,
            std::string("failed to parse request: expected an event object, an array of events or "
                        "{batch:[...]}, got ")
                + typeName(doc) + (doc.is_object() ? " without \"event\" or \"batch\"" : std::string()));
    }

    if (items.empty())
        return fail(400, "request holds no event");
    if (items.size() > limits.maxEventsPerRequest)
        return fail(413,
            "too many events in one request: " + std::to_string(items.size()) + " (limit "
                + std::to_string(limits.maxEventsPerRequest) + ")");

    // query fallbacks for legacy posthog-js: sent_at=<ms> (1.407.1) and _=<ms> (cache buster)
    std::optional<qint64> querySentAt;
    if (auto s = request.queryValue("sent_at"))
        querySentAt = timeMs(Json(*s));
    if (!querySentAt) {
        if (auto s = request.queryValue("_")) {
            auto ms = parseIntegerMs(*s);
            if (ms && *ms > 1577836800000LL) // capture ignores values that parse to 2020 or earlier
                querySentAt = ms;
        }
    }

    r.events.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        Json& ev = items[i];
        const std::string which = "event " + std::to_string(i);
        if (!ev.is_object())
            return fail(400, which + " is not a JSON object (got " + typeName(ev) + ")");
        const Json* name = member(ev, "event");
        if (!name || name->is_null())
            return fail(400, which + " has no \"event\" name");
        if (!name->is_string())
            return fail(400, which + " has an \"event\" name that is " + typeName(*name) + ", not a string");
        if (name->get_ref<const std::string&>().empty())
            return fail(400, which + " has an empty \"event\" name");

        Json* props = nullptr;
        if (auto it = ev.find("properties"); it == ev.end() || it->is_null()) {
            ev["properties"] = Json::object();
            props = &ev["properties"];
        } else if (!it->is_object()) {
            return fail(400, which + " has \"properties\" that is " + typeName(*it) + ", not an object");
        } else {
            props = &*it;
        }

        // token: request-level api_key wins, then the event's own token, then properties.token
        std::optional<std::string> token;
        if (!batchToken.empty())
            token = batchToken;
        if (!token)
            token = firstString(ev, {"token", "$token", "api_key"});
        if (!token)
            token = firstString(*props, {"token"});
        if (token)
            ev["token"] = *token;

        // distinct_id: top level (any JSON type, stringified), else properties.distinct_id
        const Json* did = nullptr;
        for (const Json* candidate :
            {member(ev, "distinct_id"), member(ev, "$distinct_id"), member(*props, "distinct_id")}) {
            if (candidate && !candidate->is_null()) {
                did = candidate;
                break;
            }
        }
        if (did) {
            std::string text = stringify(*did);
            ev["distinct_id"] = std::move(text);
        }

        // timestamp: as sent, else sent_at - offset, else query _ - offset
        const Json* ts = member(ev, "timestamp");
        const Json* offset = member(ev, "offset");
        if ((!ts || ts->is_null()) && offset && offset->is_number()) {
            std::optional<qint64> reference;
            if (const Json* s = member(ev, "sent_at"))
                reference = timeMs(*s);
            if (!reference)
                reference = batchSentAt;
            if (!reference)
                reference = querySentAt;
            const double off = offset->get<double>();
            if (reference && std::isfinite(off) && std::fabs(off) < 1e15) {
                // out of the years 0000..9999 no plain ISO text exists: the event keeps no timestamp
                if (std::string iso = isoFromMs(*reference - static_cast<qint64>(std::llround(off))); !iso.empty())
                    ev["timestamp"] = std::move(iso);
            }
        }
        r.events.push_back(std::move(ev));
    }
}

/** inflate with the given window bits; see gunzip(). */
bool inflateAll(
    const std::string& in, std::string& out, std::size_t maxBytes, int windowBits, std::string& error, bool& tooLarge)
{
    z_stream zs {};
    if (inflateInit2(&zs, windowBits) != Z_OK) {
        error = "cannot initialise zlib";
        return false;
    }
    struct Guard
    {
        z_stream* s;
        ~Guard() { inflateEnd(s); }
    } guard {&zs};

    const bool gzipMode = windowBits > MAX_WBITS;
    std::size_t fed = 0; // bytes of `in` handed to zlib so far
    std::vector<unsigned char> buffer(64 * 1024);
    for (;;) {
        if (zs.avail_in == 0 && fed < in.size()) {
            const std::size_t chunk = std::min<std::size_t>(in.size() - fed, 1u << 30);
            zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + fed));
            zs.avail_in = static_cast<uInt>(chunk);
            fed += chunk;
        }
        zs.next_out = buffer.data();
        zs.avail_out = static_cast<uInt>(buffer.size());
        const int ret = inflate(&zs, Z_NO_FLUSH);
        const std::size_t produced = buffer.size() - zs.avail_out;
        const std::size_t consumed = fed - zs.avail_in;
        if (produced > maxBytes - std::min(maxBytes, out.size())) {
            tooLarge = true;
            error = "decompressed payload is larger than the limit of " + std::to_string(maxBytes) + " bytes";
            return false;
        }
        out.append(reinterpret_cast<const char*>(buffer.data()), produced);
        if (ret == Z_STREAM_END) {
            const std::size_t remaining = in.size() - consumed;
            if (remaining == 0)
                return true;
            const std::string_view rest(in.data() + consumed, remaining);
            if (gzipMode && hasGzipMagic(rest)) { // concatenated gzip members
                if (inflateReset(&zs) != Z_OK) {
                    error = "cannot reset zlib";
                    return false;
                }
                continue;
            }
            if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; }))
                return true; // zero padding
            error = std::to_string(remaining) + " bytes of unexpected data after the end of the compressed stream";
            return false;
        }
        if (ret == Z_NEED_DICT) {
            error = "stream needs a preset dictionary";
            return false;
        }
        if (ret == Z_DATA_ERROR) {
            error = std::string("corrupt data (") + (zs.msg ? zs.msg : "data error") + ") near input byte "
                + std::to_string(consumed);
            return false;
        }
        if (ret == Z_MEM_ERROR) {
            error = "out of memory while decompressing";
            return false;
        }
        if (ret == Z_BUF_ERROR || (ret == Z_OK && produced == 0 && zs.avail_in == 0 && fed >= in.size())) {
            error = "truncated data: the compressed stream ends after " + std::to_string(in.size())
                + " bytes without its end marker";
            return false;
        }
    }
}

} // namespace

// -------------------------------------------------------------------------------------------------

Endpoint classifyPath(const std::string& rawPath, std::string* token)
{
    if (token)
        token->clear();
    std::string p = rawPath.substr(0, rawPath.find_first_of("?#"));
    if (p.empty() || p.front() != '/')
        return Endpoint::Unknown;
    if (p == "/static" || startsWith(p, "/static/"))
        return Endpoint::Static;
    if (p == "/eventlens/v1" || startsWith(p, "/eventlens/v1/"))
        return Endpoint::Api;
    if (p.size() > 1 && p.back() == '/')
        p.pop_back();

    if (p == "/e" || p == "/i/v0/e" || p == "/capture" || p == "/track")
        return Endpoint::Capture;
    if (p == "/engage")
        return Endpoint::Engage;
    if (p == "/batch")
        return Endpoint::Batch;
    if (p == "/s")
        return Endpoint::Recording;
    if (p == "/i/v1/analytics/events")
        return Endpoint::CaptureV1;
    if (p == "/i/v0/ai/batch" || p == "/i/v0/ai")
        return Endpoint::Ai;
    if (p == "/flags")
        return Endpoint::Flags;
    if (p == "/decide")
        return Endpoint::Decide;
    if (startsWith(p, "/array/")) {
        const std::string rest = p.substr(7);
        const std::size_t slash = rest.find('/');
        if (slash == std::string::npos || slash == 0)
            return Endpoint::Unknown;
        const std::string tail = rest.substr(slash + 1);
        Endpoint e = Endpoint::Unknown;
        if (tail == "config")
            e = Endpoint::RemoteConfig;
        else if (tail == "config.js")
            e = Endpoint::RemoteConfigJs;
        if (e != Endpoint::Unknown && token)
            *token = rest.substr(0, slash);
        return e;
    }
    return Endpoint::Unknown;
}

bool isIngestEndpoint(Endpoint e)
{
    switch (e) {
    case Endpoint::Capture:
    case Endpoint::Engage:
    case Endpoint::Batch:
    case Endpoint::Recording:
    case Endpoint::CaptureV1:
    case Endpoint::Ai:
        return true;
    default:
        return false;
    }
}

std::string gzipCompress(const std::string& in)
{
    z_stream zs {};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

bool gunzip(const std::string& in, std::string& out, std::size_t maxBytes, std::string& error, bool* tooLarge)
{
    out.clear();
    error.clear();
    bool large = false;
    bool ok = false;
    try {
        if (in.empty()) {
            error = "empty compressed payload";
        } else if (hasGzipMagic(in) || hasZlibHeader(in)) {
            ok = inflateAll(in, out, maxBytes, 32 + MAX_WBITS, error, large); // gzip or zlib, auto-detected
        } else {
            error = "not gzip or zlib data (no 1f 8b magic and no zlib header)";
        }
    } catch (const std::bad_alloc&) {
        error = "out of memory while decompressing";
        ok = false;
    } catch (const std::exception& e) {
        error = std::string("decompression failed: ") + e.what();
        ok = false;
    }
    if (!ok)
        out.clear();
    if (tooLarge)
        *tooLarge = large;
    return ok;
}

bool parseJson(const std::string& text, Json& out, int maxDepth, std::string& error)
{
    // simdjson first; nlohmann decides (and words the error) when simdjson refuses or might differ. A raw NUL
    // is never valid JSON (simdjson refuses it too): the reference path words that error.
    try {
        Json result;
        if (parseJsonFast(text, result, std::max(1, maxDepth))) {
            error.clear();
            out = std::move(result);
            return true;
        }
    } catch (const std::bad_alloc&) {
        error = "out of memory while parsing JSON";
        return false;
    }
    return parseJsonReference(text, out, maxDepth, error);
}

bool parseJsonReference(const std::string& text, Json& out, int maxDepth, std::string& error)
{
    error.clear();
    try {
        // nlohmann stops at a raw NUL as if the input ended there: reject it (never valid JSON, even in a string)
        if (const std::size_t nul = text.find('\0'); nul != std::string::npos) {
            error = "invalid JSON at byte " + std::to_string(nul) + ": raw NUL byte (must be escaped as \\u0000)";
            return false;
        }
        Json result;
        DomBuilder builder(result, std::max(1, maxDepth));
        const bool ok = Json::sax_parse(text, &builder, Json::input_format_t::json, true, false);
        if (builder.tooDeep()) {
            const std::size_t at = depthExceededAt(text, std::max(1, maxDepth));
            error = "JSON nesting deeper than " + std::to_string(maxDepth)
                + (at != std::string::npos ? " (at byte " + std::to_string(at) + ")" : std::string());
            return false;
        }
        if (!ok || builder.failed()) {
            // nlohmann counts characters read (1-based); report the 0-based offset of the offending byte
            const std::size_t pos = builder.errorPosition() > 0 ? builder.errorPosition() - 1 : 0;
            const std::string what = builder.errorText();
            if (what.find("ill-formed UTF-8") != std::string::npos) {
                error = "invalid UTF-8 in a JSON string at byte " + std::to_string(pos);
            } else if (text.empty() || trim(text).empty()) {
                error = "invalid JSON at byte " + std::to_string(pos) + ": empty document";
            } else {
                error = "invalid JSON at byte " + std::to_string(pos) + ": " + stripNlohmannPrefix(what);
            }
            error = cleanMessage(error);
            return false;
        }
        out = std::move(result);
        return true;
    } catch (const std::bad_alloc&) {
        error = "out of memory while parsing JSON";
    } catch (const std::exception& e) {
        error = cleanMessage(std::string("invalid JSON: ") + e.what());
    }
    return false;
}

namespace {

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

DecodeResult decodeDocument(Json doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits)
{
    return guarded([&] {
        DecodeResult r;
        r.encoding = "json";
        normalise(std::move(doc), request, endpoint, limits, r);
        return r;
    });
}

} // namespace el
