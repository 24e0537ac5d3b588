// SPDX-License-Identifier: MIT
#include "event.h"
#include "util/fastjson.h"
#include "util/flatjson.h"
#include "util/isotime.h"
#include "util/text.h"

#include <QDateTime>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

namespace el {

namespace {

/** Printable text stays; control bytes and invalid UTF-8 become \n, \r, \t, \\ or \xHH escapes. */
std::string escapeBytes(const std::string& s)
{
    std::string out;
    out.reserve(s.size());
    char buf[8];
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '\\') {
            out += "\\\\";
            ++i;
        } else if (c == '\n') {
            out += "\\n";
            ++i;
        } else if (c == '\r') {
            out += "\\r";
            ++i;
        } else if (c == '\t') {
            out += "\\t";
            ++i;
        } else if (c >= 0x20 && c < 0x7F) {
            out.push_back(static_cast<char>(c));
            ++i;
        } else {
            const std::size_t n = c >= 0x80 ? utf8SequenceLength(s, i) : 0;
            // Multi-byte sequences are kept unless they encode a C1 control (U+0080..U+009F).
            const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
            if (n > 1 && !c1) {
                out.append(s, i, n);
                i += n;
            } else {
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                out += buf;
                ++i;
            }
        }
    }
    return out;
}

const Json* member(const Json& obj, const char* key)
{
    if (!obj.is_object())
        return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

} // namespace

/// Event::json was written by us from a DOM the decoder accepted (at most 64 levels): any depth simdjson takes.
constexpr int kDocDepth = 1024;

Json Event::doc() const
{
    if (json.empty())
        return Json::object();
    Json parsed;
    if (parseJsonFast(json, parsed, kDocDepth))
        return parsed;
    parsed = Json::parse(json, nullptr, false);
    if (parsed.is_discarded())
        return Json::object();
    return parsed; // moved: `cond ? Json::object() : parsed` copied the whole DOM
}

Json Event::properties() const
{
    Json d = doc();
    const auto it = d.find("properties"); // end() for a non-object
    if (it == d.end() || !it->is_object())
        return Json::object();
    return std::move(*it);
}

namespace {

/** Whether none of the 8 bytes of \a w is a control character, '"' or '\\' (bytes from 0x80 on pass). */
inline bool plainBytes(std::uint64_t w)
{
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    const auto anyZero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
    const std::uint64_t below20 = (w - ones * 0x20) & ~w & highs;
    return (below20 | anyZero(w ^ (ones * '"')) | anyZero(w ^ (ones * '\\'))) == 0;
}

/**
 * A JSON string literal, as nlohmann's dump(-1, ' ', false, replace) writes it, with a fast path for plain runs.
 * With \a validUtf8 (a FlatJson's strings: simdjson validated them) bytes from 0x80 on are plain too, and runs are
 * found 8 bytes at a time.
 */
void appendJsonString(std::string& out, std::string_view s, bool validUtf8 = false)
{
    static const char kHex[] = "0123456789abcdef";
    out.push_back('"');
    const char* p = s.data();
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        std::size_t j = i;
        if (validUtf8) {
            for (std::uint64_t w = 0; j + 8 <= n; j += 8) {
                std::memcpy(&w, p + j, 8);
                if (!plainBytes(w))
                    break;
            }
        }
        while (j < n) {
            const auto c = static_cast<unsigned char>(p[j]);
            if (c < 0x20 || c == '"' || c == '\\' || (c >= 0x80 && !validUtf8))
                break;
            ++j;
        }
        out.append(p + i, j - i);
        if (j == n)
            break;
        const auto c = static_cast<unsigned char>(p[j]);
        if (c >= 0x80) {
            const std::size_t len = utf8SequenceLength(s, j);
            if (len) {
                out.append(p + j, len);
                i = j + len;
            } else {
                out += "\xEF\xBF\xBD"; // invalid UTF-8 byte -> U+FFFD
                i = j + 1;
            }
            continue;
        }
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
        i = j + 1;
    }
    out.push_back('"');
}

template<typename Number> void appendNumber(std::string& out, Number n)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, r.ptr);
}

/** A FlatJson's strings are valid UTF-8 (simdjson refuses any other); a DOM's may not be (built by code). */
template<typename Value> constexpr bool kValidUtf8 = std::is_same_v<Value, FlatJson::Ref>;

/** \a v as compact JSON text, byte for byte what nlohmann's dump(-1, ' ', false, replace) writes for its DOM. */
template<typename Value> void appendCompact(std::string& out, Value v)
{
    switch (v.type()) {
    case FlatJson::Type::Object: {
        out.push_back('{');
        bool first = true;
        forEachMember(v, [&](std::string_view key, Value value) {
            if (!first)
                out.push_back(',');
            first = false;
            appendJsonString(out, key, kValidUtf8<Value>);
            out.push_back(':');
            appendCompact(out, value);
        });
        out.push_back('}');
        break;
    }
    case FlatJson::Type::Array: {
        out.push_back('[');
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0)
                out.push_back(',');
            appendCompact(out, v.item(i));
        }
        out.push_back(']');
        break;
    }
    case FlatJson::Type::String:
        appendJsonString(out, v.string(), kValidUtf8<Value>);
        break;
    case FlatJson::Type::Boolean:
        out += v.boolean() ? "true" : "false";
        break;
    case FlatJson::Type::Null:
        out += "null";
        break;
    case FlatJson::Type::Integer:
        appendNumber(out, v.integer());
        break;
    case FlatJson::Type::Unsigned:
        appendNumber(out, v.unsignedInt());
        break;
    case FlatJson::Type::Float: // the shortest round-trip form: nlohmann's own writer
        out += Json(v.real()).dump(-1, ' ', false, Json::error_handler_t::replace);
        break;
    }
}

/**
 * Writes \a v as compact JSON into this thread's scratch and hands \a use a view of it (valid during the call): an
 * event's text then goes straight into its KeptText block, written once and copied once.
 */
template<typename Value, typename Use> void withCompactText(Value v, Use&& use)
{
    constexpr std::size_t kLargestScratch = 1024 * 1024; // an exceptional event's scratch is not kept
    thread_local std::string scratch;
    scratch.clear();
    appendCompact(scratch, v);
    use(std::string_view(scratch));
    if (scratch.capacity() > kLargestScratch)
        std::string().swap(scratch);
}

/** \a v as compact JSON, in a string of exactly its size. */
template<typename Value> std::string compactText(Value v)
{
    std::string out;
    withCompactText(v, [&out](std::string_view text) { out = text; });
    return out;
}

/** A string field as text: strings verbatim, other scalars/containers as compact JSON, null/absent empty. */
template<typename Value> std::string textOf(Value v)
{
    if (!v.present() || v.isNull())
        return {};
    if (v.isString())
        return std::string(v.string());
    std::string out;
    appendCompact(out, v);
    return out;
}

/** \a v as compact JSON, nullopt when absent (a JSON null is present: "null"). */
template<typename Value> std::optional<std::string> compactOrAbsent(Value v)
{
    if (!v.present())
        return std::nullopt;
    std::string out;
    appendCompact(out, v);
    return out;
}

} // namespace

const Json& emptyJsonObject()
{
    static const Json empty = Json::object();
    return empty;
}

std::string compactJson(const Json& doc)
{
    return compactText(DomRef(&doc));
}

std::string compactJson(FlatJson::Ref value)
{
    std::string out;
    appendCompact(out, value);
    return out;
}

void appendJsonStringLiteral(std::string& out, std::string_view s)
{
    appendJsonString(out, s);
}

Json Event::toJson() const
{
    Json j = Json::object();
    j["seq"] = seq;
    j["request_id"] = requestId;
    j["received_at"] = isoFromMs(receivedMs);
    j["endpoint"] = validUtf8(endpoint());
    // Fields the client did not send are null, never an invented value.
    const auto optional = [](const std::string& v) { return v.empty() ? Json(nullptr) : Json(validUtf8(v)); };
    j["lib"] = optional(lib());
    j["lib_version"] = optional(libVersion());
    j["user_agent"] = optional(userAgent());
    j["api_key"] = optional(apiKey());
    j["event"] = validUtf8(name());
    j["distinct_id"] = optional(distinctId());
    j["uuid"] = optional(uuid());
    j["timestamp"] = optional(timestamp());
    const Json d = doc();
    const Json* props = member(d, "properties");
    j["properties"] = props && props->is_object() ? *props : emptyJsonObject();
    if (const auto rt = runtimeType())
        j["runtime_type"] = *rt;
    if (const auto rid = runId())
        j["run_id"] = *rid;
    j["recording"] = recording;
    for (const char* key : {"$set", "$set_once"}) {
        if (const Json* v = member(d, key))
            j[key] = *v;
    }
    return j;
}

Json Violation::toJson() const
{
    return Json {{"kind", std::string(toString(kind))}, {"rule", rule}, {"severity", std::string(toString(severity))},
        {"path", path}, {"message", message}, {"seqs", seqs}};
}

Json RejectedRequest::toJson() const
{
    Json j = Json::object();
    j["id"] = id;
    j["received_at"] = isoFromMs(receivedMs);
    j["method"] = validUtf8(method);
    j["path"] = validUtf8(path);
    j["query"] = validUtf8(query);
    Json h = Json::object();
    for (const auto& [key, value] : headers) {
        const std::string k = validUtf8(key);
        const std::string v = validUtf8(value);
        auto it = h.find(k);
        if (it == h.end())
            h[k] = v;
        else
            *it = it->get<std::string>() + ", " + v; // repeated header: joined like HTTP does
    }
    j["headers"] = std::move(h);
    j["size"] = size;
    j["first_bytes"] = escapeBytes(firstBytes.substr(0, std::min<std::size_t>(firstBytes.size(), 256)));
    j["status"] = status;
    j["reason"] = validUtf8(reason);
    j["peer"] = validUtf8(peer);
    return j;
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

const EventSource& Event::src() const
{
    static const EventSource none;
    return source ? *source : none;
}

std::string_view Event::field(Field f) const
{
    const auto i = static_cast<std::size_t>(f);
    const std::size_t begin = i == 0 ? 0 : m_end[i - 1];
    const std::size_t end = i + 1 == kFields ? m_fields.size() : m_end[i];
    return std::string_view(m_fields).substr(begin, end - begin);
}

std::optional<Json> Event::jsonField(Field f) const
{
    if (!(m_present & bit(f)))
        return std::nullopt;
    Json v = Json::parse(field(f), nullptr, false);
    return v.is_discarded() ? Json() : v;
}

void Event::setFields(std::string_view name, std::string_view distinctId, std::string_view uuid,
    std::string_view timestamp, std::string_view sessionId, const std::optional<Json>& runtimeType,
    const std::optional<Json>& runId)
{
    setFieldTexts(name, distinctId, uuid, timestamp, sessionId,
        runtimeType ? std::optional<std::string>(compactJson(*runtimeType)) : std::nullopt,
        runId ? std::optional<std::string>(compactJson(*runId)) : std::nullopt);
}

void Event::setFieldTexts(std::string_view name, std::string_view distinctId, std::string_view uuid,
    std::string_view timestamp, std::string_view sessionId, const std::optional<std::string>& runtimeType,
    const std::optional<std::string>& runId)
{
    const std::string_view parts[kFields] = {name, distinctId, uuid, timestamp, sessionId,
        runtimeType ? std::string_view(*runtimeType) : std::string_view(),
        runId ? std::string_view(*runId) : std::string_view()};
    std::size_t total = 0;
    for (const std::string_view part : parts)
        total += part.size();
    thread_local std::string packed; // then kept beside the event's text (KeptText), not in an allocation of its own
    packed.clear();
    packed.reserve(total);
    for (std::size_t i = 0; i < kFields; ++i) {
        packed.append(parts[i]);
        if (i + 1 < kFields)
            m_end[i] = static_cast<std::uint32_t>(packed.size());
    }
    m_fields = std::string_view(packed);
    m_present
        = static_cast<std::uint8_t>((runtimeType ? bit(Field::RuntimeType) : 0) | (runId ? bit(Field::RunId) : 0));
}

void Event::setField(Field f, std::string_view value)
{
    std::string copies[kFields];
    for (std::size_t i = 0; i < kFields; ++i)
        copies[i] = std::string(field(static_cast<Field>(i)));
    copies[static_cast<std::size_t>(f)] = std::string(value);
    const auto jsonOf = [&](Field g) -> std::optional<Json> {
        const bool present = g == f ? !value.empty() : (m_present & bit(g)) != 0;
        if (!present)
            return std::nullopt;
        Json v = Json::parse(copies[static_cast<std::size_t>(g)], nullptr, false);
        return v.is_discarded() ? Json() : v;
    };
    const std::optional<Json> rt = jsonOf(Field::RuntimeType);
    const std::optional<Json> rid = jsonOf(Field::RunId);
    setFields(copies[0], copies[1], copies[2], copies[3], copies[4], rt, rid);
}

namespace {

/** makeEvent() on a DOM (DomRef) or a FlatJson (FlatJson::Ref): the same fields from the same document. */
template<typename Value>
Event buildEvent(Value normalised, const EventOrigin& origin, qint64 seq, qint64 requestId, qint64 receivedMs,
    EventSourceCache* sources, bool withText)
{
    Event e;
    e.seq = seq;
    e.requestId = requestId;
    e.receivedMs = receivedMs;
    EventSource source;
    source.endpoint = origin.endpoint;
    source.userAgent = origin.userAgent;

    Value props = normalised.find("properties");
    if (props.present() && !props.isObject())
        props = Value();
    const auto prop = [&](std::string_view key) { return props.present() ? props.find(key) : Value(); };

    const std::string name = textOf(normalised.find("event"));
    std::string distinctId;
    for (const char* key : {"distinct_id", "$distinct_id"}) {
        const Value v = normalised.find(key);
        if (v.present() && !v.isNull()) {
            distinctId = textOf(v);
            break;
        }
    }
    if (distinctId.empty())
        distinctId = textOf(prop("distinct_id"));
    source.lib = textOf(prop("$lib"));
    source.libVersion = textOf(prop("$lib_version"));
    for (const char* key : {"token", "api_key", "$token"}) {
        const Value v = normalised.find(key);
        if (v.present() && v.isString()) {
            source.apiKey = std::string(v.string());
            break;
        }
    }
    if (source.apiKey.empty())
        source.apiKey = textOf(prop("token"));
    e.setFieldTexts(name, distinctId, textOf(normalised.find("uuid")), textOf(normalised.find("timestamp")),
        textOf(prop("$session_id")), compactOrAbsent(prop("runtime_type")), compactOrAbsent(prop("run_id")));

    const std::string& p = origin.endpoint;
    e.recording = name == "$snapshot" || p == "/s" || p.rfind("/s/", 0) == 0;
    if (sources) {
        auto& recent = sources->recent;
        const auto same = std::find_if(recent.rbegin(), recent.rend(), [&](const auto& s) { return *s == source; });
        if (same != recent.rend()) {
            e.source = *same;
        } else {
            e.source = std::make_shared<const EventSource>(std::move(source));
            if (recent.size() >= 8)
                recent.erase(recent.begin());
            recent.push_back(e.source);
        }
    } else {
        e.source = std::make_shared<const EventSource>(std::move(source));
    }
    if (withText)
        withCompactText(normalised, [&e](std::string_view text) { e.json = text; }); // straight into its block
    return e;
}

} // namespace

Event makeEvent(const Json& normalised, const EventOrigin& origin, qint64 seq, qint64 requestId, qint64 receivedMs,
    EventSourceCache* sources, bool withText)
{
    return buildEvent(DomRef(normalised.is_object() ? &normalised : &emptyJsonObject()), origin, seq, requestId,
        receivedMs, sources, withText);
}

Event makeEvent(FlatJson::Ref normalised, const EventOrigin& origin, qint64 seq, qint64 requestId, qint64 receivedMs,
    EventSourceCache* sources, bool withText)
{
    return buildEvent(normalised.isObject() ? normalised : normalised.emptyObject(), origin, seq, requestId, receivedMs,
        sources, withText);
}

std::string formDecode(std::string_view s)
{
    return percentDecode(s, true);
}

} // namespace el
