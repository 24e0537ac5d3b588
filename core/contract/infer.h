// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace el {

class Contract;

/**
 * \brief The thresholds of contract inference (`eventlens infer`, README "Inferring a contract"). The defaults are
 * the documented rules; tests and callers may tighten them.
 */
struct InferOptions
{
    /// A string property gets an `enum` when it took between 2 and this many distinct values ...
    std::size_t maxEnumValues = 12;
    /// ... it was seen at least this many times per distinct value (each value repeats, on average) ...
    std::size_t enumRepeat = 2;
    /// ... and none of its values is longer than this (longer strings are free text).
    std::size_t maxEnumValueLength = 40;
    /// A property is a global when every event of more than half of the event names, and of at least this many
    /// names, carries it.
    std::size_t minGlobalNames = 3;
};

/**
 * True for PostHog's own properties, which inference leaves out: names starting with `$` (set by the SDK: `$lib`,
 * `$insert_id`, `$browser`, ...) and `token` and `distinct_id` (posthog-js copies the project key and the distinct id
 * into every event's properties).
 */
bool isPostHogProperty(std::string_view name);

/**
 * The JSON Schema of property \a property of the events named \a name, inferred from the `properties` objects of
 * those events (\a properties, one per event; anything but an object counts as no properties): its types, an `enum`
 * or a `format` by the rules of README "Inferring a contract", and a `description` "seen on P of N NAME events".
 * For the window's Add to Contract… on an unplanned property.
 */
Json inferPropertySchema(const std::string& name, const std::string& property, const std::vector<Json>& properties,
    const InferOptions& options = {});

/**
 * The `events` entry (`{"description", "schema"}`) for the events named \a name, inferred from their `properties`
 * objects: every property seen (less PostHog's own and those named in \a skip, e.g. the loaded contract's globals)
 * with its schema as inferPropertySchema() makes it, `required` for those on every event, `"type": "object"` and
 * never `additionalProperties`. For the window's Add to Contract… on an unplanned event.
 */
Json inferEventSchema(const std::string& name, const std::vector<Json>& properties,
    const std::vector<std::string>& skip = {}, const InferOptions& options = {});

/** \brief The traffic a contract is inferred from. */
struct InferInput
{
    std::vector<Event> events; ///< in arrival order (sequence rules are proposed and checked in this order)
    std::vector<Json> docs; ///< docs[i]: events[i]'s normalised object
    std::vector<std::string> inputs; ///< where they came from (named in the contract's description)
};

/** \brief What inferContract() or extendContract() made. */
struct InferResult
{
    Json contract; ///< the contract document (loads with Contract::fromJson)
    std::size_t events = 0; ///< events looked at (session recordings are not)
    std::size_t recordings = 0; ///< session recordings skipped
    std::size_t eventNames = 0; ///< distinct event names
    /// What was inferred or added, one line each ("event ui_click", "property ui_click.tab_count", "global env",
    /// "sequence run_created-run_finished"), in the contract's order.
    std::vector<std::string> added;
    /// inferContract() only: violations the inferred contract reports on the traffic it came from. Always 0 unless
    /// inference has a bug; the command warns when it is not.
    std::size_t selfViolations = 0;
};

/**
 * A draft contract from observed traffic (README "Inferring a contract (`eventlens infer`)"): an event schema per
 * event name (`$` events left to `unplanned_events.allow`), the globals most event names carry (names that do not
 * carry them all exempt), and `pair` sequence rules for start/end events that share a key. Deterministic: the same
 * input gives the same document. The contract accepts the traffic it came from.
 */
InferResult inferContract(const InferInput& input, const InferOptions& options = {});

/**
 * \a base's document with only what the traffic shows it lacks: events it neither plans nor allows (each with an
 * inferred schema), properties an event's schema does not name (added to its `properties`, never to `required`), and
 * pair rules for events no pair rule of \a base uses. Each addition has a `description` saying how many events
 * showed it; a top-level `$comment` says what was added from which inputs. Nothing of \a base is changed.
 */
InferResult extendContract(const Contract& base, const InferInput& input, const InferOptions& options = {});

/**
 * Every property name \a contract gives the events named \a event, as extendContract() reads them: the
 * `super_properties`, the names in the globals' schema and, when the event is planned, in its schema and its
 * `rules` (in `properties` or `required`, through `allOf`/`anyOf`/`oneOf`/`if`/`then`/`else`/`not`). A property
 * outside this set is unplanned: the window offers Add to Contract… on it.
 */
std::set<std::string> namedProperties(const Contract& contract, const std::string& event);

/**
 * True when \a contract neither plans \a event (`events`) nor allows it (`unplanned_events.allow`): an event
 * extendContract() would add, and the window offers Add to Contract… on.
 */
bool isUnplannedEvent(const Contract& contract, const std::string& event);

/**
 * Adds \a entry (an `events` entry, as inferEventSchema() makes it) to the contract document \a contract as
 * `events.EVENT`, creating `events` when there is none. False with \a error, and \a contract unchanged, when the
 * document is not an object, its `events` is not an object, or it has an entry for \a event already.
 */
bool addEventToContract(Json& contract, const std::string& event, const Json& entry, std::string& error);

/**
 * Adds \a schema (a property's schema, as inferPropertySchema() makes it) to the planned event \a event of the
 * contract document \a contract, under `events.EVENT.schema.properties.PROPERTY`: a missing or `true` schema
 * becomes `{"properties": {...}}`, a missing `properties` is created; `required` is never touched. False with
 * \a error, and \a contract unchanged, when the event is not in `events`, its schema is `false` or not an object,
 * or its `properties` is not an object or names \a property already.
 */
bool addPropertyToContract(
    Json& contract, const std::string& event, const std::string& property, const Json& schema, std::string& error);

/**
 * What Add to Contract… writes: the contract file's text \a text with \a piece added as addEventToContract() (an
 * empty \a property) or addPropertyToContract() do, into \a out. Unlike those, the file's keys keep their order (the
 * new ones come last), so that the change reads as an addition; \a out is pretty-printed with a 2-space indent and
 * ends in a newline. False with \a error when \a text is not JSON or the piece cannot go in. The result is not
 * checked as a contract: parse it (parseContract()) before writing it.
 */
bool addToContractText(const std::string& text, const std::string& event, const std::string& property,
    const Json& piece, std::string& out, std::string& error);

} // namespace el
