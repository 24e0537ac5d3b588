// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"
#include "templates.h" // the strings of a scenario are templates

#include <QtGlobal>

#include <optional>
#include <string>
#include <vector>

namespace el {

/**
 * \brief How a replayed event goes over the wire, exactly like the real client would send it.
 *
 * - Web: posthog-js >= 1.407.3 with compression off: POST /e/, `Content-Type: application/json`,
 *   body {"api_key","batch":[event],"sent_at"}, token and distinct_id inside properties, $lib "web".
 * - WebGzip: the same body gzipped, sent as `Content-Type: text/plain` with no header or query flag
 *   (what posthog-js does when remote config advertises gzip).
 * - Daemon: posthog-node 5.70.0: POST /batch/, gzip with `Content-Encoding: gzip`,
 *   `User-Agent: posthog-node/5.70.0`, {"api_key","batch","sent_at"}, top-level distinct_id,
 *   $lib "posthog-node".
 * - DaemonPlain: posthog-node with disableCompression (plain JSON).
 */
enum class Transport { Web, WebGzip, Daemon, DaemonPlain };

/** "web", "web-gzip", "daemon", "daemon-plain" -> Transport. */
std::optional<Transport> transportFromName(const std::string& name);
std::string transportName(Transport t);
/** The client a transport belongs to: "web" (posthog-js) or "daemon" (posthog-node). */
std::string transportClient(Transport t);

/** \brief One violation a scenario expects; empty fields match anything. */
struct ExpectedViolation
{
    ViolationKind kind = ViolationKind::Schema; ///< e.g. sequence.unfinished (required)
    std::string rule; ///< e.g. "run-lifecycle"
    std::string path; ///< e.g. "/properties/run_id"
    std::optional<Severity> severity; ///< any when absent
    int count = 1; ///< how many such violations
    /** "sequence.unfinished run-lifecycle /properties/run_id" */
    std::string describe() const;
    bool matches(const Violation& v) const;
};

/** \brief One step of a scenario timeline. */
struct ScenarioStep
{
    enum class Type { Register, Unregister, Emit, Wait, SwitchTransport, Fault };
    Type type = Type::Emit;
    int index = 0; ///< 1-based position in "steps" (for messages)
    std::string client; ///< register/unregister: "web" or "daemon"; empty = the current transport's client
    Json properties = Json::object(); ///< register: super-properties; emit: event properties (templates)
    std::vector<std::string> names; ///< unregister
    std::string event; ///< emit: event name
    std::string label; ///< emit: name for {{elapsed_ms:LABEL}}
    Json distinctId; ///< emit: null = the scenario's distinct_id
    Json timestamp; ///< emit: null = the time it is sent
    std::optional<Transport> transport; ///< emit (one-off) or transport step
    bool literal = false; ///< emit: properties are sent as they are (no templates), for captured events
    qint64 waitMinMs = 0; ///< wait
    qint64 waitMaxMs = 0; ///< wait (== min unless a range was given)
    Json fault; ///< fault: the body of POST /eventlens/v1/faults, e.g. {"mode":"status","status":503,"count":3}
};

/** \brief A scenario: client state changes, events and waits on a timeline, plus the expected verdict. */
struct Scenario
{
    std::string name;
    std::string description;
    std::string origin; ///< file path or builtin:NAME (used in messages)
    Json distinctId = "{{uuid:device}}";
    Transport transport = Transport::Web; ///< initial transport
    bool hasExpectation = true; ///< false for re-sent captures (--events)
    std::vector<ExpectedViolation> expected; ///< empty = no violations at all
    std::vector<ScenarioStep> steps;

    int emitCount() const;
    /** Sum of the waits as recorded (the maximum of random waits). */
    qint64 recordedDurationMs() const;
    /** "no violations" or "2 × sequence.unfinished run-lifecycle /properties/run_id, ..." */
    std::string expectationText() const;
};

/**
 * Parses a scenario file. On failure returns false and sets \a error to one clear message with the
 * location, e.g. "byok.json:step 3: unknown step type 'emitt' (expected register, unregister, emit,
 * wait, transport or fault)" or "byok.json:line 4, column 7: invalid JSON: ...". Every template is
 * checked here, so a loaded scenario always expands. Defined in scenarioparser.cpp.
 */
bool parseScenario(const std::string& text, const std::string& origin, Scenario& out, std::string& error);
/** Loads "builtin:NAME" (Qt resource :/scenarios/NAME.json) or a file path. */
bool loadScenario(const std::string& nameOrPath, Scenario& out, std::string& error);
/** Names of the built-in scenarios, sorted (without "builtin:"). */
std::vector<std::string> builtinScenarios();

/**
 * Turns an NDJSON capture (one normalised event per line, as GET /eventlens/v1/events returns them)
 * into a scenario that re-sends those events: each with its own distinct_id and properties as
 * captured (no templates), over the transport matching its $lib / endpoint, spaced as their
 * timestamps were. Such a scenario has no expectation. Defined in capturescenario.cpp.
 */
bool scenarioFromEvents(const std::string& ndjson, const std::string& origin, Scenario& out, std::string& error);

/**
 * Compares actual violations with the expectation. Returns true when every expected entry is
 * matched exactly count times and no violation is left over; otherwise \a diff says what is
 * missing and what is unexpected.
 */
bool compareVerdict(
    const std::vector<ExpectedViolation>& expected, const std::vector<Violation>& actual, std::string& diff);

} // namespace el
