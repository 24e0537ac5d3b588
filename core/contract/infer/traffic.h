// SPDX-License-Identifier: MIT
#pragma once

// What inference knows of the traffic: per event name, per property, the types and values seen, and the schema
// they make. Shared by the event schemas, the globals and the pair rules of infer.cpp.

#include "contract/infer.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace el::infer_detail {

/** Compact JSON text of \a v (invalid UTF-8 replaced, never throws): how sequence rules compare keys. */
std::string dumpValue(const Json& v);

/** The `properties` object of \a doc, or an empty object. */
const Json& propertiesOf(const Json& doc);

/** The value of property \a name on \a doc, or nullptr when absent or null. */
const Json* propertyValue(const Json& doc, const std::string& name);

/** A property as a JSON pointer into the event. */
std::string propertyPointer(const std::string& name);

/** "N NAME events" ("1 NAME event"). */
std::string eventsOf(std::uint64_t n, const std::string& name);

/** "seen on P of N NAME events". */
std::string seenOn(std::uint64_t present, std::uint64_t count, const std::string& name);

/** What the values of one property looked like, on the events it was counted on. */
struct PropertyStats
{
    std::uint64_t present = 0; ///< events that carry it, null included
    std::uint64_t nulls = 0;
    std::uint64_t strings = 0;
    std::uint64_t integers = 0; ///< integral numbers (2.0 too: draft-07 and the validator count it as an integer)
    std::uint64_t numbers = 0; ///< numbers with a fraction
    std::uint64_t booleans = 0;
    std::uint64_t objects = 0;
    std::uint64_t arrays = 0;
    bool allUuid = true; ///< every string is a UUID
    bool allDateTime = true; ///< every string is an RFC 3339 date-time
    bool manyValues = false; ///< more than maxEnumValues distinct strings (values then dropped)
    bool longValue = false; ///< a string longer than maxEnumValueLength (values then dropped)
    std::map<std::string, std::uint64_t> values; ///< string values, while neither of the two above

    void add(const Json& v, const InferOptions& o);
    void merge(const PropertyStats& o, const InferOptions& options);
};

/** The schema of a property from its stats (no description): enum, or type(s) with a format. */
Json propertySchema(const PropertyStats& s, const InferOptions& o);

/** The events of one name. */
struct NameStats
{
    std::uint64_t count = 0;
    std::map<std::string, PropertyStats> properties; ///< PostHog's own left out
    std::vector<std::size_t> indexes; ///< into InferInput::events, in arrival order
};

/** The analytics events of an input, by name. */
struct Traffic
{
    std::map<std::string, NameStats> names;
    std::size_t events = 0;
    std::size_t recordings = 0;
};

/** The stats of \a in's events by name (session recordings counted, not looked at). */
Traffic collect(const InferInput& in, const InferOptions& o);

} // namespace el::infer_detail
