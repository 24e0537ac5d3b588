// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"
#include "util/flatjson.h"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace el {

class Contract;

/**
 * \brief Property coverage (issue 16): per event name, how many events, and per property how many carry it and
 * with which values. Counted incrementally, one event at a time (add()), and mergeable (merge()): `check` counts
 * each block on a worker and adds the blocks up in order.
 *
 * - `present`: events of that name that carry the property, with any value (null included).
 * - `missing`: events of that name without it; `invalid`: events whose value breaks the property's own `enum`,
 *   `const` or `type` in the contract (the event's schema and, unless the name is exempt, the globals' schema),
 *   `null` included unless they allow it.
 * - `values`: counts by value, exactly, while a property has seen at most kMaxValues distinct values (plus the
 *   size of its `enum` in the contract: an enum is always counted exactly); past that only `types` (counts by
 *   JSON type) is kept, and `distinct_over` says how many values were the limit. Strings count under their text,
 *   other values under their JSON text (`true`, `2`, `null`).
 * - `planned`: the contract names it (the event's or the globals' schema); `required`: the contract requires it (the
 * event's schema or the globals' `required`); `flagged`: required and not on every event, or invalid on some.
 *
 * Properties come super-properties first (the contract's order, runtime_type first), then by name.
 */
class Coverage
{
public:
    static constexpr std::size_t kMaxValues = 20;

    explicit Coverage(std::shared_ptr<const Contract> contract);
    ~Coverage();
    Coverage(Coverage&&) noexcept;
    Coverage& operator=(Coverage&&) noexcept;

    /** One event: its name and its `properties` object (anything else counts as no properties). */
    void add(const std::string& event, const Json& properties);
    /** add() for a whole normalised event \a doc: its `properties` member, read in place. */
    void addEvent(const std::string& event, const Json& doc);
    /** addEvent() for a whole event read into a FlatJson: the same counts, with no DOM. */
    void addEvent(const std::string& event, FlatJson::Ref doc);
    /**
     * An empty count for the same contract (a worker's share, merged later). It shares this count's reading of the
     * contract (per event name, made once), so a fresh count per request costs little.
     */
    Coverage fresh() const;
    /** Adds \a other's counts (same contract). */
    void merge(const Coverage& other);
    bool empty() const { return m_events.empty(); }
    const std::shared_ptr<const Contract>& contract() const { return m_contract; }

    /** The `coverage` array of the JSON report and of GET /eventlens/v1/coverage. */
    Json toJson() const;
    /** Events counted (every name). */
    std::uint64_t events() const;

    /**
     * The key \a value is counted under in `values`: a string's text, else its compact JSON (`true`, `2`, `null`).
     * The Coverage tab filters events by it.
     */
    static std::string valueKey(const Json& value);

private:
    /** One schema of a property, read for what coverage checks: its enum, const and type. */
    struct Check
    {
        bool never = false; ///< the schema `false`
        bool hasEnum = false;
        std::unordered_set<std::string> enumStrings; ///< the enum's strings
        std::vector<Json> enumOthers; ///< the enum's other values
        std::optional<Json> constValue;
        unsigned types = 0; ///< allowed JSON kinds, bits by Coverage's type index (integer: see fractionless); 0: any
        bool fractionless = false; ///< "integer" allowed: a float without fraction passes too
        bool breaks(const Json& v) const;
        bool breaksString(std::string_view v) const; ///< breaks() for a string value
    };
    /** What the contract says of one property of one event name. */
    struct Constraint
    {
        std::vector<Check> checks; ///< the property's schemas (event's, globals'), each checked alone
        bool required = false;
        std::size_t maxValues = kMaxValues; ///< kMaxValues plus the size of its enums
    };
    struct Property
    {
        std::uint64_t present = 0;
        std::uint64_t invalid = 0;
        std::array<std::uint64_t, 7> types {}; ///< null, boolean, integer, number, string, array, object
        std::map<std::string, std::uint64_t, std::less<>> values;
        bool manyValues = false; ///< more than maxValues distinct: values dropped
        const Constraint* constraint = nullptr; ///< in the event's constraints, or nullptr
        /// The last string value counted (a key of \c values) and its verdict: most properties repeat their value
        /// from event to event, and then one comparison counts it.
        const std::string* lastKey = nullptr;
        std::uint64_t* lastCount = nullptr;
        bool lastInvalid = false;
    };
    struct EventCounts
    {
        std::uint64_t count = 0;
        std::unordered_map<std::string, Property> properties; ///< node-based: Property addresses are stable
        std::shared_ptr<const std::map<std::string, Constraint>> constraints; ///< by property name
        /// Every key of \c properties, sorted, with its Property. An event's members come sorted too, so each is
        /// found by moving a cursor forward (mostly one comparison: events of one name carry mostly the same keys),
        /// never by hashing; an event without some keys skips them with one comparison each.
        std::vector<std::pair<const std::string*, Property*>> sorted;
        /// The Property of \a key, at or after \a cursor in \c sorted (added there when new); \a cursor is left at
        /// it. Keys must come in ascending order from cursor 0.
        Property& property(std::size_t& cursor, std::string_view key);
    };

    /** The contract read per event name, shared by a count and its fresh() shares (any thread). */
    struct ConstraintCache;

    EventCounts& counts(const std::string& event);
    std::shared_ptr<const std::map<std::string, Constraint>> constraintsOf(const std::string& event) const;
    std::shared_ptr<const std::map<std::string, Constraint>> readConstraints(const std::string& event) const;
    static void countValue(Property& p, const Json& value);
    /** countValue() once the value's type is counted: \a key is what it counts under, \a string whether a string. */
    static void countKey(Property& p, std::string_view key, bool string);
    static std::size_t maxValues(const Property& p);

    std::shared_ptr<const Contract> m_contract;
    std::shared_ptr<ConstraintCache> m_cache;
    std::map<std::string, EventCounts> m_events;
};

/**
 * \brief Coverage counts for worker tasks: one per task running at a time, reused from task to task, added up at the
 * end. A count per task (a block, a chunk of events) would learn every event name and property again each time, in
 * tens of thousands of small allocations, and be merged and freed one by one. Counts add up in any order (merge()),
 * so which task counted which events does not matter. borrow() and giveBack() are thread-safe.
 */
class CoveragePool
{
public:
    /** Counts for the contract of \a like, sharing its reading of the contract (Coverage::fresh()). */
    explicit CoveragePool(const Coverage& like);
    ~CoveragePool();
    CoveragePool(const CoveragePool&) = delete;
    CoveragePool& operator=(const CoveragePool&) = delete;

    /** A count to add events to: one given back before, else a new one. */
    Coverage* borrow();
    /** \a c (from borrow(), or null) is free for the next task. */
    void giveBack(Coverage* c);
    /** Adds every count into \a total. Only when none is borrowed (every task ended or gave its count back). */
    void mergeInto(Coverage& total) const;

private:
    const Coverage m_like;
    mutable std::mutex m_mutex;
    std::vector<Coverage*> m_idle; ///< of m_all, not borrowed
    std::vector<std::unique_ptr<Coverage>> m_all;
};

} // namespace el
