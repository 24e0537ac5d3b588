// SPDX-License-Identifier: MIT
#include "shapes.h"

#include "decodetext.h"
#include "util/isotime.h"
#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace el::decoding {

namespace {

/** Epoch ms written as digits (at most 18, blanks around allowed). */
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

/** A time given as ISO text, as epoch ms digits, or as a JSON number of ms (in a DOM or a FlatJson). */
template<typename Value> std::optional<qint64> timeMs(Value v)
{
    switch (v.type()) {
    case FlatJson::Type::String:
        if (auto iso = parseIsoMs(v.string()))
            return iso;
        return parseIntegerMs(v.string());
    // Bounded like floats (±9e15 ms, ~285 000 years) so "sent_at - offset" cannot overflow (fuzz finding).
    case FlatJson::Type::Unsigned: {
        const std::uint64_t u = v.unsignedInt();
        return u < 9000000000000000ULL ? std::optional<qint64>(static_cast<qint64>(u)) : std::nullopt;
    }
    case FlatJson::Type::Integer: {
        const std::int64_t i = v.integer();
        return (i > -9000000000000000LL && i < 9000000000000000LL) ? std::optional<qint64>(i) : std::nullopt;
    }
    case FlatJson::Type::Float: {
        const double d = v.real();
        if (std::isfinite(d) && std::fabs(d) < 9e15)
            return static_cast<qint64>(std::llround(d));
        return std::nullopt;
    }
    default:
        return std::nullopt;
    }
}

/** A JSON number as a double, as nlohmann's get<double>() gives it. */
template<typename Value> double numberOf(Value v)
{
    switch (v.type()) {
    case FlatJson::Type::Unsigned:
        return static_cast<double>(v.unsignedInt());
    case FlatJson::Type::Integer:
        return static_cast<double>(v.integer());
    default:
        return v.real();
    }
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

/** Records the failure in \a r (its events dropped) and returns false, so a step can `return fail(...)`. */
bool fail(DecodeResult& r, int status, const std::string& message)
{
    r.status = status;
    r.error = cleanMessage(message);
    r.events.clear();
    return false;
}

/** What a batch body says once for all its events. */
struct BatchFields
{
    std::string token; ///< api_key (or the v1 bearer token): wins over each event's own
    std::optional<qint64> sentAt; ///< sent_at / created_at: the reference for each event's offset
};

/** Capture v1's token from "Authorization: Bearer <token>", else empty. */
std::string bearerToken(const HttpRequest& request)
{
    const std::string auth(trim(request.header("Authorization")));
    if (asciiLower(auth.substr(0, std::min<std::size_t>(auth.size(), 7))) == "bearer ")
        return std::string(trim(std::string_view(auth).substr(7)));
    return {};
}

/** The body's events by its shape (array, batch or v1, single event, engage), or false with the failure in \a r. */
bool eventsByShape(
    Json& doc, const HttpRequest& request, Endpoint endpoint, DecodeResult& r, BatchFields& batch, Json& items)
{
    if (doc.is_array()) {
        r.shape = "array";
        items = std::move(doc);
    } else if (doc.is_object() && doc.contains("batch")) {
        r.shape = endpoint == Endpoint::CaptureV1 ? "v1" : "batch";
        if (!doc["batch"].is_array())
            return fail(r, 400,
                std::string("failed to parse request: \"batch\" must be an array of events, got ")
                    + typeName(doc["batch"]));
        if (auto t = firstString(doc, {"api_key", "token", "$token"}))
            batch.token = *t;
        if (endpoint == Endpoint::CaptureV1 && batch.token.empty())
            batch.token = bearerToken(request);
        for (const char* key : {"sent_at", "created_at"}) {
            if (const Json* v = member(doc, key); v && !batch.sentAt)
                batch.sentAt = timeMs(DomRef(*v));
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
        return fail(r, 400,
            std::string("failed to parse request: expected an event object, an array of events or "
                        "{batch:[...]}, got ")
                + typeName(doc) + (doc.is_object() ? " without \"event\" or \"batch\"" : std::string()));
    }
    return true;
}

/** Legacy posthog-js sends its clock in the query: sent_at=<ms> (1.407.1), else _=<ms> (the cache buster). */
std::optional<qint64> querySentAt(const HttpRequest& request)
{
    std::optional<qint64> sentAt;
    if (auto s = request.queryValue("sent_at")) {
        const Json text(*s);
        sentAt = timeMs(DomRef(text));
    }
    if (!sentAt) {
        if (auto s = request.queryValue("_")) {
            auto ms = parseIntegerMs(*s);
            if (ms && *ms > 1577836800000LL) // capture ignores values that parse to 2020 or earlier
                sentAt = ms;
        }
    }
    return sentAt;
}

/** Event \a i checked (name, properties) and given token, distinct_id and timestamp as capture does; false on a
 * failure. */
bool normaliseEvent(
    Json& ev, std::size_t i, const BatchFields& batch, std::optional<qint64> querySentAt, DecodeResult& r)
{
    const std::string which = "event " + std::to_string(i);
    if (!ev.is_object())
        return fail(r, 400, which + " is not a JSON object (got " + typeName(ev) + ")");
    const Json* name = member(ev, "event");
    if (!name || name->is_null())
        return fail(r, 400, which + " has no \"event\" name");
    if (!name->is_string())
        return fail(r, 400, which + " has an \"event\" name that is " + typeName(*name) + ", not a string");
    if (name->get_ref<const std::string&>().empty())
        return fail(r, 400, which + " has an empty \"event\" name");

    Json* props = nullptr;
    if (auto it = ev.find("properties"); it == ev.end() || it->is_null()) {
        ev["properties"] = Json::object();
        props = &ev["properties"];
    } else if (!it->is_object()) {
        return fail(r, 400, which + " has \"properties\" that is " + typeName(*it) + ", not an object");
    } else {
        props = &*it;
    }

    // token: request-level api_key wins, then the event's own token, then properties.token
    std::optional<std::string> token;
    if (!batch.token.empty())
        token = batch.token;
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
            reference = timeMs(DomRef(*s));
        if (!reference)
            reference = batch.sentAt;
        if (!reference)
            reference = querySentAt;
        const double off = numberOf(DomRef(*offset));
        if (reference && std::isfinite(off) && std::fabs(off) < 1e15) {
            // out of the years 0000..9999 no plain ISO text exists: the event keeps no timestamp
            if (std::string iso = isoFromMs(*reference - static_cast<qint64>(std::llround(off))); !iso.empty())
                ev["timestamp"] = std::move(iso);
        }
    }
    return true;
}

} // namespace

void normaliseDocument(
    Json doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits, DecodeResult& r)
{
    BatchFields batch;
    Json items = Json::array();
    if (!eventsByShape(doc, request, endpoint, r, batch, items))
        return;
    if (items.empty()) {
        fail(r, 400, "request holds no event");
        return;
    }
    if (items.size() > limits.maxEventsPerRequest) {
        fail(r, 413,
            "too many events in one request: " + std::to_string(items.size()) + " (limit "
                + std::to_string(limits.maxEventsPerRequest) + ")");
        return;
    }
    const std::optional<qint64> sentAtInQuery = querySentAt(request);
    r.events.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!normaliseEvent(items[i], i, batch, sentAtInQuery, r))
            return;
        r.events.push_back(std::move(items[i]));
    }
}

namespace {

/** firstString() in a FlatJson: the first of \a keys that is a non-empty string, else an absent Ref. */
FlatJson::Ref firstString(FlatJson::Ref obj, std::initializer_list<const char*> keys)
{
    for (const char* key : keys) {
        const FlatJson::Ref v = obj.find(key);
        if (v.present() && v.isString() && !v.string().empty())
            return v;
    }
    return {};
}

/** normaliseEvent() in a FlatJson: the same edits (setMember()), or false where it would fail. */
bool normaliseFlatEvent(FlatJson& doc, FlatJson::Ref ev, FlatJson::Ref batchToken, std::optional<qint64> batchSentAt,
    std::optional<qint64> querySentAt)
{
    if (!ev.isObject())
        return false;
    const FlatJson::Ref name = ev.find("event");
    if (!name.present() || !name.isString() || name.string().empty())
        return false;
    FlatJson::Ref props = ev.find("properties");
    if (!props.present() || props.isNull()) {
        props = ev.emptyObject();
        doc.setMember(ev, "properties", props);
    } else if (!props.isObject()) {
        return false;
    }

    FlatJson::Ref token = batchToken;
    if (!token.present())
        token = firstString(ev, {"token", "$token", "api_key"});
    if (!token.present())
        token = firstString(props, {"token"});
    if (token.present())
        doc.setMember(ev, "token", token);

    for (const FlatJson::Ref did : {ev.find("distinct_id"), ev.find("$distinct_id"), props.find("distinct_id")}) {
        if (did.present() && !did.isNull()) {
            doc.setMember(ev, "distinct_id", did.isString() ? did : doc.addString(compactJson(did)));
            break;
        }
    }

    const FlatJson::Ref ts = ev.find("timestamp");
    const FlatJson::Ref offset = ev.find("offset");
    if ((!ts.present() || ts.isNull()) && offset.present() && offset.isNumber()) {
        std::optional<qint64> reference;
        if (const FlatJson::Ref s = ev.find("sent_at"); s.present())
            reference = timeMs(s);
        if (!reference)
            reference = batchSentAt;
        if (!reference)
            reference = querySentAt;
        const double off = numberOf(offset);
        if (reference && std::isfinite(off) && std::fabs(off) < 1e15) {
            if (std::string iso = isoFromMs(*reference - static_cast<qint64>(std::llround(off))); !iso.empty())
                doc.setMember(ev, "timestamp", doc.addString(std::move(iso)));
        }
    }
    return true;
}

} // namespace

bool normaliseFlat(FlatJson& doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits,
    DecodeResult& r, std::vector<FlatJson::Ref>& events)
{
    events.clear();
    const FlatJson::Ref root = doc.root();
    FlatJson::Ref items; // absent: the root is the one event
    FlatJson::Ref token;
    std::optional<qint64> sentAt;
    const char* shape = "object";
    if (root.isArray()) {
        shape = "array";
        items = root;
    } else if (root.isObject() && root.find("batch").present()) {
        shape = endpoint == Endpoint::CaptureV1 ? "v1" : "batch";
        items = root.find("batch");
        if (!items.isArray())
            return false;
        token = firstString(root, {"api_key", "token", "$token"});
        if (endpoint == Endpoint::CaptureV1 && !token.present()) {
            if (std::string bearer = bearerToken(request); !bearer.empty())
                token = doc.addString(std::move(bearer));
        }
        for (const char* key : {"sent_at", "created_at"}) {
            if (const FlatJson::Ref v = root.find(key); v.present() && !sentAt)
                sentAt = timeMs(v);
        }
    } else if (!root.isObject() || !root.find("event").present()) {
        return false; // engage, or a failure the DOM path words
    }
    const std::size_t count = items.present() ? items.size() : 1;
    if (count == 0 || count > limits.maxEventsPerRequest)
        return false;
    const std::optional<qint64> sentAtInQuery = querySentAt(request);
    events.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const FlatJson::Ref ev = items.present() ? items.item(i) : root;
        if (!normaliseFlatEvent(doc, ev, token, sentAt, sentAtInQuery)) {
            events.clear();
            return false;
        }
        events.push_back(ev);
    }
    r.shape = shape;
    return true;
}

} // namespace el::decoding
