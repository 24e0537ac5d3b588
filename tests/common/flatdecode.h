// SPDX-License-Identifier: MIT
#pragma once
// The decoder's FlatJson path (decodeIngestFlat()) against its DOM path (decodeIngest()): the same request must get
// the same answer, and its events must make the same Events (fields, source, compact text).

#include "util/flatjson.h"
#include "wire/decode.h"

#include <string>
#include <vector>

namespace elflat {

/** "" when \a a and \a b are the same Event (every field, the source, the compact text); else what differs. */
inline std::string sameEvent(const el::Event& a, const el::Event& b)
{
    using F = el::Event::Field;
    for (const F f : {F::Name, F::DistinctId, F::Uuid, F::Timestamp, F::SessionId, F::RuntimeType, F::RunId}) {
        if (a.field(f) != b.field(f))
            return "field " + std::to_string(int(f)) + ": \"" + std::string(a.field(f)) + "\" against \""
                + std::string(b.field(f)) + "\"";
    }
    if (a.hasRuntimeType() != b.hasRuntimeType() || a.hasRunId() != b.hasRunId())
        return "runtime_type or run_id present on one side only";
    if (a.json != b.json)
        return "compact text:\n  " + std::string(a.json.view()) + "\n  " + std::string(b.json.view());
    if (a.recording != b.recording || a.seq != b.seq || a.requestId != b.requestId || a.receivedMs != b.receivedMs)
        return "recording, seq, request id or time";
    if (!(a.src() == b.src()))
        return "source (endpoint, user agent, api key, lib, lib version)";
    return {};
}

/**
 * "" when decodeIngestFlat() answers \a request as decodeIngest() does: status, message, encoding, shape, decoded
 * body, and the same Events made from the events of either (makeEvent()). Else what differs. \a viaFlat, when
 * given, counts the requests whose events the FlatJson path normalised (not left to the DOM).
 */
inline std::string flatDecodeDisagrees(
    const el::HttpRequest& request, el::Endpoint endpoint, const el::DecodeLimits& limits, int* viaFlat = nullptr)
{
    const el::DecodeResult dom = el::decodeIngest(request, endpoint, limits);
    el::FlatJson flat;
    std::vector<el::FlatJson::Ref> events;
    el::DecodeResult mine = el::decodeIngestFlat(request, endpoint, flat, events, limits);
    // Then, as the live sink's workers do, its decoded body goes back to this thread's decoder, which writes the next
    // request into that memory: every comparison after the first runs on reused buffers.
    struct Recycle
    {
        el::DecodeResult& r;
        ~Recycle() { el::recycleDecodedBody(r); }
    } recycle {mine};
    if (mine.status != dom.status || mine.error != dom.error)
        return "answer " + std::to_string(mine.status) + " \"" + mine.error + "\" against " + std::to_string(dom.status)
            + " \"" + dom.error + "\"";
    if (mine.encoding != dom.encoding || mine.shape != dom.shape || mine.decodedBody != dom.decodedBody)
        return "encoding, shape or decoded body: " + mine.encoding + "/" + mine.shape + " against " + dom.encoding + "/"
            + dom.shape;
    if (!events.empty() && !mine.events.empty())
        return "events on both paths at once";
    if (!mine.ok())
        return events.empty() && mine.events.empty() ? std::string() : "events on a refused request";
    if (!events.empty() && viaFlat)
        ++*viaFlat;
    const std::size_t count = events.empty() ? mine.events.size() : events.size();
    if (count != dom.events.size())
        return std::to_string(count) + " events against " + std::to_string(dom.events.size());
    el::EventSourceCache domSources, flatSources;
    for (std::size_t i = 0; i < count; ++i) {
        const qint64 seq = qint64(i) + 1;
        const el::Event want = el::makeEvent(dom.events[i], request, seq, 7, 1000, &domSources);
        const el::Event got = events.empty()
            ? el::makeEvent(mine.events[i], request, seq, 7, 1000, &flatSources)
            : el::makeEvent(events[i], el::originOf(request), seq, 7, 1000, &flatSources);
        if (const std::string diff = sameEvent(got, want); !diff.empty())
            return "event " + std::to_string(i) + ": " + diff;
        if (!events.empty() && (!events[i].equals(dom.events[i]) || events[i].toJson() != dom.events[i]))
            return "event " + std::to_string(i) + " reads " + events[i].toJson().dump() + " against "
                + dom.events[i].dump();
    }
    return {};
}

} // namespace elflat
