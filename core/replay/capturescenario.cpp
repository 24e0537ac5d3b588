// SPDX-License-Identifier: MIT
// Capture to scenario (scenarioFromEvents): captured events become literal emit steps, spaced by waits.
#include "scenario.h"

#include "scenariotext.h"
#include "util/isotime.h"
#include "util/text.h"

namespace el {

using scenariotext::baseName;
using scenariotext::parseJsonText;
using scenariotext::startsWith;

bool scenarioFromEvents(const std::string& ndjson, const std::string& origin, Scenario& out, std::string& error)
{
    out = Scenario {};
    out.origin = origin;
    out.name = baseName(origin);
    out.hasExpectation = false;

    // One event per line; a whole GET /eventlens/v1/events answer ({"events": [...]}) is accepted too.
    std::vector<std::pair<int, Json>> events;
    {
        Json whole = Json::parse(ndjson, nullptr, false);
        if (!whole.is_discarded() && whole.is_object() && whole.contains("events") && whole["events"].is_array()) {
            int n = 0;
            for (const Json& e : whole["events"])
                events.emplace_back(++n, e);
        } else {
            std::size_t pos = 0;
            int line = 0;
            while (pos <= ndjson.size()) {
                std::size_t end = ndjson.find('\n', pos);
                if (end == std::string::npos)
                    end = ndjson.size();
                ++line;
                const std::string text(trim(std::string_view(ndjson).substr(pos, end - pos), kBlanks));
                pos = end + 1;
                if (text.empty() || text == "\r")
                    continue;
                Json e;
                std::string why;
                if (!parseJsonText(text, origin, e, why)) {
                    // Re-anchor the column message on the file's line.
                    const std::size_t at = why.find(":line 1, ");
                    error = origin + ":line " + std::to_string(line)
                        + (at != std::string::npos ? ", " + why.substr(at + 9) : ": invalid JSON");
                    return false;
                }
                events.emplace_back(line, std::move(e));
            }
        }
    }
    std::optional<qint64> previousMs;
    for (auto& [line, e] : events) {
        if (!e.is_object() || !e.contains("event") || !e["event"].is_string()
            || e["event"].get<std::string>().empty()) {
            error = origin + ":line " + std::to_string(line) + ": not an event (needs \"event\" and \"properties\")";
            return false;
        }
        Json props = e.contains("properties") && e["properties"].is_object() ? e["properties"] : Json::object();
        std::string lib = e.value("lib", std::string());
        if (lib.empty() && props.contains("$lib") && props["$lib"].is_string())
            lib = props["$lib"].get<std::string>();
        const std::string endpoint = e.value("endpoint", std::string());
        const bool daemon = lib == "posthog-node" || startsWith(endpoint, "/batch");
        std::string distinct;
        if (e.contains("distinct_id") && e["distinct_id"].is_string())
            distinct = e["distinct_id"].get<std::string>();
        if (distinct.empty() && props.contains("distinct_id") && props["distinct_id"].is_string())
            distinct = props["distinct_id"].get<std::string>();
        if (distinct.empty())
            distinct = "eventlens-replay";
        // The sink's normalisation put token and distinct_id into properties; the transport sets
        // them again the way the client does (api_key, top-level or properties distinct_id).
        props.erase("token");
        props.erase("distinct_id");

        if (const auto ms = parseIsoMs(e.value("timestamp", std::string()), ZonelessAs::Local)) {
            if (previousMs && *ms > *previousMs) {
                ScenarioStep wait;
                wait.type = ScenarioStep::Type::Wait;
                wait.index = static_cast<int>(out.steps.size()) + 1;
                wait.waitMinMs = wait.waitMaxMs = *ms - *previousMs;
                out.steps.push_back(wait);
            }
            previousMs = ms;
        }
        ScenarioStep send;
        send.type = ScenarioStep::Type::Emit;
        send.index = static_cast<int>(out.steps.size()) + 1;
        send.event = e["event"].get<std::string>();
        send.properties = std::move(props);
        send.distinctId = distinct;
        send.transport = daemon ? Transport::Daemon : Transport::Web;
        send.literal = true;
        out.steps.push_back(std::move(send));
    }
    if (out.emitCount() == 0) {
        error = origin + ": no events in the file";
        return false;
    }
    out.description = std::to_string(out.emitCount()) + " captured events from " + origin;
    return true;
}

} // namespace el
