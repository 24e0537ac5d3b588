// SPDX-License-Identifier: MIT
#pragma once

#include "jsonschema.h"
#include "model/event.h"
#include "model/verdict.h"
#include "scan.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace el {

/** \brief A rule whose check is a JSON Schema (globals, an event's schema, an event's extra rule). */
struct SchemaRule
{
    std::string id; ///< rule id reported in violations
    Severity severity = Severity::Error; ///< parsed from "error" / "warning" at load
    std::string description;
    std::shared_ptr<const JsonSchema> schema; ///< never null once loaded
};

/** \brief `globals`: a schema every event's properties must satisfy, unless exempt. */
struct GlobalsSpec
{
    SchemaRule rule; ///< id defaults to "globals"
    std::vector<std::string> exempt; ///< glob patterns (* and ?) on the event name
    std::vector<std::shared_ptr<const JsonSchema>> exemptIf; ///< on the whole normalised event; any match exempts
    /// {"anyOf": exempt_if} when there are two or more: its fast verdict decides most events in one pass, with the
    /// members the schemas test looked up once (nullptr: none, or it did not compile; exemptIf decides alone).
    std::shared_ptr<const JsonSchema> exemptIfAny;
};

/** \brief One planned event of `events`. */
struct EventSpec
{
    std::string name;
    std::string description;
    SchemaRule schema; ///< id "events.<name>"; schema `true` when the contract gives none
    std::vector<SchemaRule> rules; ///< extra rules (each with its own id), e.g. if/then conditionals
};

/** \brief `unplanned_events`: what to do with events the contract does not list. */
struct UnplannedSpec
{
    std::string mode = "warn"; ///< "allow", "warn" or "error"
    std::vector<std::string> allow = {"$*"}; ///< name globs never reported (default: PostHog's own $ events)
};

/** \brief One entry of `sequences`. */
struct SequenceSpec
{
    enum class Type { Pair, Order, Unique };

    std::string id;
    Type type = Type::Pair;
    Severity severity = Severity::Error;
    std::string description;
    std::string key; ///< JSON pointer into the event (may be empty for order rules)

    // pair
    std::string start;
    std::string end;
    std::optional<qint64> withinMs;
    bool atMostOnce = false;
    std::vector<std::pair<std::string, std::string>> pinned; ///< name as written -> JSON pointer
    std::string result; ///< JSON pointer on the end event, or empty

    // order
    std::string first;
    std::string then;

    // unique
    std::vector<std::string> events = {"*"}; ///< name globs the rule applies to

    std::string typeName() const;
};

/** \brief One entry of a `scan` rule's `allow`: where a finding is not reported. */
struct ScanAllow
{
    std::string event; ///< name glob; empty: every event
    std::string property; ///< a top-level property: /properties/<name> and everything under it; may be empty
    std::string path; ///< an exact JSON pointer; may be empty
    std::string propertyPointer; ///< "/properties/" + the escaped property name, when \c property is set
    /** True when the entry covers the value at \a pointer on an event named \a eventName. */
    bool covers(std::string_view eventName, std::string_view pointer) const;
};

/**
 * \brief One entry of `scans`: looks for secrets or personal data in every string value of every event (planned or
 * not) and reports each value that holds some as a violation of kind `secret` or `pii` at the value's pointer.
 */
struct ScanSpec
{
    std::string id;
    ScanKind kind = ScanKind::Secret;
    Severity severity = Severity::Error;
    std::string description;
    std::vector<std::string> detectors; ///< names, in scanDetectors() order (all of the kind when not given)
    DetectorMask mask = 0; ///< the same as bits
    std::vector<ScanAllow> allow;
    /** True when an allow entry covers \a pointer on \a eventName. */
    bool allows(std::string_view eventName, std::string_view pointer) const;
};

/**
 * \brief A loaded contract: parsed, checked and with every schema compiled. Immutable; share it
 * between engines and threads freely. Build one with loadContract()/parseContract() (contractengine.h).
 */
class Contract
{
public:
    /** Parses and checks a contract document; nullptr with \a error ("<origin>: <where>: <what>") on failure. */
    static std::shared_ptr<const Contract> fromJson(const Json& doc, const std::string& origin, std::string& error);
    /** A contract with no rules (every event is allowed). */
    static std::shared_ptr<const Contract> empty();

    const std::string& name() const { return m_name; }
    const std::string& version() const { return m_version; }
    const std::string& description() const { return m_description; }
    /** Where it was loaded from ("builtin:open-design", a file path, ...). */
    const std::string& origin() const { return m_origin; }
    const std::vector<std::string>& superProperties() const { return m_superProperties; }
    /** nullptr when the contract has no `globals`. */
    const GlobalsSpec* globals() const { return m_globals ? &*m_globals : nullptr; }
    const std::map<std::string, EventSpec>& events() const { return m_events; }
    /** nullptr when \a name is not a planned event. */
    const EventSpec* event(const std::string& name) const;
    const UnplannedSpec& unplanned() const { return m_unplanned; }
    const std::vector<SequenceSpec>& sequences() const { return m_sequences; }
    const std::vector<ScanSpec>& scans() const { return m_scans; }
    /** Every detector of every scan rule (0: no scan rule). */
    DetectorMask scanMask() const { return m_scanMask; }
    /** Every rule id of the contract, in contract order. */
    std::vector<std::string> ruleIds() const;
    /** The contract document as loaded. */
    const Json& source() const { return m_source; }

private:
    Contract() = default;

    std::string m_name;
    std::string m_version;
    std::string m_description;
    std::string m_origin;
    std::vector<std::string> m_superProperties;
    std::optional<GlobalsSpec> m_globals;
    std::map<std::string, EventSpec> m_events;
    UnplannedSpec m_unplanned;
    std::vector<SequenceSpec> m_sequences;
    std::vector<ScanSpec> m_scans;
    DetectorMask m_scanMask = 0;
    Json m_source = Json::object();

    friend class ContractParser;
};

/** Glob match on names: `*` any run of characters, `?` one character, everything else literal. */
bool globMatch(std::string_view pattern, std::string_view text);
/** True when any pattern matches. */
bool globMatchAny(const std::vector<std::string>& patterns, std::string_view text);

} // namespace el
