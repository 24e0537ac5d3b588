// SPDX-License-Identifier: MIT
#pragma once

#include "util/flatjson.h"
#include "util/keptext.h"
#include "util/utf8.h" // UTF-8 validity for every record with client text
#include "verdict.h"

#include <QtGlobal>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace el {

using Json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

/**
 * \brief Where a request's events arrived, as far as an event cares: the path and the client. Nothing
 * else of the transport reaches an event (the HTTP request lives in transport/httprequest.h).
 */
struct EventOrigin
{
    std::string endpoint; ///< path it arrived on, e.g. "/batch/"
    std::string userAgent; ///< User-Agent of the request
};

/** \brief A contract violation (filled by the contract engine). */
struct Violation
{
    ViolationKind kind = ViolationKind::Schema; ///< schema, global, unplanned, sequence.unfinished, ...
    std::string rule; ///< the contract's rule id
    Severity severity = Severity::Error;
    std::string path; ///< JSON pointer into the event, e.g. "/properties/runtime_type"
    std::string message; ///< human readable, says expected vs actual
    std::vector<qint64> seqs; ///< every event involved

    /** {kind, rule, severity, path, message, seqs}, kinds and severities by their wire names. */
    Json toJson() const;
};

/**
 * \brief Where an event came from. Shared (not copied) by the events of a request that agree on it,
 * which is nearly always all of them: a few hundred bytes less per event.
 */
struct EventSource
{
    std::string endpoint; ///< path it arrived on, e.g. "/batch/"
    std::string userAgent; ///< User-Agent header of the request
    std::string apiKey; ///< api_key / token
    std::string lib; ///< properties.$lib
    std::string libVersion; ///< properties.$lib_version

    bool operator==(const EventSource& o) const
    {
        return endpoint == o.endpoint && userAgent == o.userAgent && apiKey == o.apiKey && lib == o.lib
            && libVersion == o.libVersion;
    }
};

/** The sources a request's events used so far: events that agree with one of them share it. */
struct EventSourceCache
{
    std::vector<std::shared_ptr<const EventSource>> recent; ///< at most 8, most recent last
};

/**
 * \brief One analytics event, immutable once created.
 *
 * \c json is the normalised event object {event, distinct_id, uuid, timestamp, properties, ...}
 * (top-level $set/$set_once kept) as compact UTF-8 JSON text: the only copy of the event kept in
 * memory (a parsed DOM costs 6x its text). doc() parses it on demand (detail pane, exports, contract
 * re-validation). Extracted fields are copies for quick display and filtering, packed into one
 * text (memory per event is an issue-8 target); absent stays absent (never invented). Both texts are KeptTexts:
 * packed with other events' texts into 2 MiB blocks, on huge pages where the kernel offers them.
 */
struct Event
{
    qint64 seq = 0; ///< 1-based, monotonic within a session
    qint64 requestId = 0; ///< the HTTP request it arrived in
    qint64 receivedMs = 0; ///< ms since epoch, when the sink received the request
    std::shared_ptr<const EventSource> source; ///< endpoint, user agent, api key, $lib, $lib_version
    /// the normalised event object, compact JSON (invalid UTF-8 replaced by U+FFFD), packed with other events' texts
    KeptText json;
    bool recording = false; ///< a $snapshot from /s/ (counted, not shown as analytics)

    /** The extracted fields (see setFields()). */
    enum class Field : std::uint8_t { Name, DistinctId, Uuid, Timestamp, SessionId, RuntimeType, RunId };
    /** The event name ("event"; non-strings as compact JSON). */
    std::string name() const { return std::string(field(Field::Name)); }
    std::string distinctId() const { return std::string(field(Field::DistinctId)); }
    std::string uuid() const { return std::string(field(Field::Uuid)); }
    /** ISO-8601 as sent (or derived from sent_at - offset). */
    std::string timestamp() const { return std::string(field(Field::Timestamp)); }
    /** properties.$session_id as text (non-strings as compact JSON), if present. */
    std::string sessionId() const { return std::string(field(Field::SessionId)); }
    /** properties.runtime_type, if present (any JSON type). */
    std::optional<Json> runtimeType() const { return jsonField(Field::RuntimeType); }
    /** properties.run_id, if present (any JSON type). */
    std::optional<Json> runId() const { return jsonField(Field::RunId); }
    bool hasRuntimeType() const { return (m_present & bit(Field::RuntimeType)) != 0; }
    bool hasRunId() const { return (m_present & bit(Field::RunId)) != 0; }
    /** A string field as stored (a view into the event; for RuntimeType/RunId: compact JSON, empty if absent). */
    std::string_view field(Field f) const;
    /** Sets every extracted field at once (strings as they are; runtime_type and run_id nullopt when absent). */
    void setFields(std::string_view name, std::string_view distinctId, std::string_view uuid,
        std::string_view timestamp, std::string_view sessionId, const std::optional<Json>& runtimeType,
        const std::optional<Json>& runId);
    /** setFields() with runtime_type and run_id as compact JSON text (nullopt when absent). */
    void setFieldTexts(std::string_view name, std::string_view distinctId, std::string_view uuid,
        std::string_view timestamp, std::string_view sessionId, const std::optional<std::string>& runtimeType,
        const std::optional<std::string>& runId);
    /** Replaces one field (tests, imports); for RuntimeType/RunId \a value is compact JSON, empty = absent. */
    void setField(Field f, std::string_view value);

    const std::string& endpoint() const { return src().endpoint; }
    const std::string& userAgent() const { return src().userAgent; }
    const std::string& apiKey() const { return src().apiKey; }
    const std::string& lib() const { return src().lib; }
    const std::string& libVersion() const { return src().libVersion; }
    const EventSource& src() const;

    /** The normalised event object, parsed from \c json (an empty object if \c json is empty). */
    Json doc() const;
    /** doc()["properties"] when it is an object, else an empty object. */
    Json properties() const;
    /** The event as the inspection API shows it (without violations). */
    Json toJson() const;

private:
    static constexpr std::uint8_t bit(Field f) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(f)); }
    std::optional<Json> jsonField(Field f) const;
    static constexpr std::size_t kFields = 7;
    KeptText m_fields; ///< the fields back to back
    std::uint32_t m_end[kFields - 1] = {}; ///< end offset of each field but the last (which ends the string)
    std::uint8_t m_present = 0; ///< RuntimeType/RunId present (a JSON null is present too)
};

using EventPtr = std::shared_ptr<const Event>;

/**
 * \brief Which events an inspection-API call looks at (CI scoping: tests that share one sink each read their own):
 * `distinct_id=` and `session_id=` (properties.$session_id). Absent: any.
 */
struct EventScope
{
    std::optional<std::string> distinctId;
    std::optional<std::string> sessionId;

    bool any() const { return !distinctId && !sessionId; }
    bool matches(const Event& e) const
    {
        return (!distinctId || e.field(Event::Field::DistinctId) == *distinctId)
            && (!sessionId || e.field(Event::Field::SessionId) == *sessionId);
    }
};

/** \brief A request the sink refused, kept so nothing is dropped silently. */
struct RejectedRequest
{
    qint64 id = 0;
    qint64 receivedMs = 0;
    std::string method;
    std::string path;
    std::string query;
    Headers headers;
    qint64 size = 0;
    std::string firstBytes; ///< up to 256 bytes of the raw body
    int status = 400;
    std::string reason;
    std::string peer;

    Json toJson() const;
};

/**
 * Copies what every request-shaped record shares (method, path, query, headers, peer) from \a from to \a to:
 * HttpRequest, JournalRequest and RejectedRequest.
 */
template<typename To, typename From> void copyRequestFields(const From& from, To& to)
{
    to.method = from.method;
    to.path = from.path;
    to.query = from.query;
    to.headers = from.headers;
    to.peer = from.peer;
}

/**
 * The RejectedRequest kept for \a request (an HttpRequest, or a JournalRequest read back): the live sink and a
 * session file build it the same way.
 */
template<typename Request>
RejectedRequest makeRejected(const Request& request, qint64 id, qint64 receivedMs, int status, std::string reason)
{
    RejectedRequest r;
    r.id = id;
    r.receivedMs = receivedMs;
    copyRequestFields(request, r);
    r.size = static_cast<qint64>(request.body.size());
    r.firstBytes = request.body.substr(0, std::min<std::size_t>(request.body.size(), 256));
    r.status = status;
    r.reason = std::move(reason);
    return r;
}

/** application/x-www-form-urlencoded decoding: %XX -> byte, '+' -> ' '; a broken % escape stays literal. */
std::string formDecode(std::string_view s);

/** Milliseconds since the epoch (wall clock). */
qint64 nowMs();

/**
 * Builds an Event from a normalised event object (see decode.h); \a normalised is only read. With
 * \a sources (one per request), events that agree on their source share one EventSource. Without \a withText the
 * event keeps no compact JSON (Event::json empty): for a caller that judges it from \a normalised and drops it.
 */
Event makeEvent(const Json& normalised, const EventOrigin& origin, qint64 seq, qint64 requestId, qint64 receivedMs,
    EventSourceCache* sources = nullptr, bool withText = true);
/**
 * makeEvent() on a normalised event object read into a FlatJson: the same Event, fields and compact text as the
 * DOM that parseJsonFast() builds from the same text gives.
 */
Event makeEvent(FlatJson::Ref normalised, const EventOrigin& origin, qint64 seq, qint64 requestId, qint64 receivedMs,
    EventSourceCache* sources = nullptr, bool withText = true);
/** The compact JSON text Event::json holds for \a doc. */
std::string compactJson(const Json& doc);
/** The same text for a value of a FlatJson (nlohmann's dump() of the DOM parseJsonFast() would build). */
std::string compactJson(FlatJson::Ref value);
/**
 * Appends \a s to \a out as a JSON string literal, as compactJson() writes strings (nlohmann's dump() with the
 * replace handler: each byte that is not valid UTF-8 becomes U+FFFD).
 */
void appendJsonStringLiteral(std::string& out, std::string_view s);
/** An empty JSON object that lives for the program: what a missing "properties" reads as. */
const Json& emptyJsonObject();

} // namespace el
