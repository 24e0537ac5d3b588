// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace el {

/**
 * \brief Faults injected into the sink's answers to ingest requests (issue 17): does an app's instrumentation survive
 * a flaky network? Configured through POST /eventlens/v1/faults (or the window's Faults panel); this class only
 * decides, per request, which fault hits it. The IngestServer carries the fault out.
 *
 * Modes:
 * - `status`: answer \c status (a 4xx or 5xx) at once, with `Retry-After: retry_after` when given;
 * - `delay`: wait \c ms, then handle the request normally;
 * - `timeout`: hold the request \c ms (default 15,000), then close the connection without an answer;
 * - `reset`: close the connection at once (a TCP reset).
 *
 * A fault applies to the ingest endpoints (`path` selects one: "/batch/", "/e/", ...; a trailing slash does not
 * matter), to at most \c count requests, or to a share \c ratio of them picked by a seeded generator: the same
 * sequence of requests is hit the same way every time. Faults are checked in the order they were added; the first
 * that hits wins (a request is hit by one fault at most). A fault whose count is used up stays listed, inactive.
 */
class FaultInjector
{
public:
    enum class Mode { Status, Delay, Timeout, Reset };

    struct Fault
    {
        int id = 0;
        Mode mode = Mode::Status;
        int status = 0; ///< Status: the HTTP status answered
        std::optional<int> retryAfter; ///< Status: Retry-After in seconds
        int ms = 0; ///< Delay: the delay; Timeout: how long the request is held
        std::optional<std::uint64_t> count; ///< at most this many requests are hit
        std::optional<double> ratio; ///< the share of matching requests hit (0..1)
        std::uint64_t seed = 1; ///< of the ratio's generator
        std::string path; ///< empty: every ingest endpoint
        std::uint64_t seen = 0; ///< matching requests while it was active
        std::uint64_t hits = 0; ///< requests it hit

        bool active() const { return !count || hits < *count; }
        /** What the rejected request's reason says after "fault injected: ", e.g. "status 503 (fault 1, hit 2 of 3)".
         */
        std::string describe() const;
        Json toJson() const;
    };

    /**
     * Adds the fault \a config describes ({"mode":"status","status":503,"count":3,"path":"/batch/"}, see the class).
     * Returns it, or nullopt with \a error when \a config is not valid (unknown key or mode, status outside
     * 400..599, ratio outside 0..1, count below 1, ms outside 0..600000).
     */
    std::optional<Fault> add(const Json& config, std::string& error);
    /** The fault that hits a request to \a path (counted), or nullopt. Call once per ingest request. */
    std::optional<Fault> hit(const std::string& path);
    /** Every fault added since the last clear, active or not, in order. */
    const std::vector<Fault>& faults() const { return m_faults; }
    /** {"faults":[...]} */
    Json toJson() const;
    /** Removes every fault; returns how many there were. */
    std::size_t clear();
    /** Removes one fault; false when there is none with that id. */
    bool remove(int id);
    bool empty() const { return m_faults.empty(); }

    static const char* modeName(Mode mode);

private:
    std::vector<Fault> m_faults;
    int m_nextId = 1;
};

} // namespace el
