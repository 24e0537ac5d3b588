// SPDX-License-Identifier: MIT
// The fast evaluator: most events are valid, and valijson builds strings for every subschema it visits, so an
// allocation-free evaluator decides "valid" first; valijson still explains every failure. Wherever its answer
// could differ from valijson's (float vs integer bounds, non-ASCII lengths, backtracking regexes) it says Unknown.
#include "fastpath.h"
#include "keywords.h"
#include "pattern.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace el::schema_detail {

/** What eval() tells values apart by: nlohmann's kinds, as FlatJson::Type orders them, and Other (binary, discarded).
 */
enum class Kind : std::uint8_t { Null, Boolean, Integer, Unsigned, Float, String, Array, Object, Other };

/** A value of an nlohmann DOM, as FastNode::eval() reads it (absent: p is nullptr). */
struct DomValue
{
    const Json* p = nullptr;

    bool present() const { return p != nullptr; }
    Kind kind() const
    {
        switch (p->type()) {
        case Json::value_t::null:
            return Kind::Null;
        case Json::value_t::boolean:
            return Kind::Boolean;
        case Json::value_t::number_integer:
            return Kind::Integer;
        case Json::value_t::number_unsigned:
            return Kind::Unsigned;
        case Json::value_t::number_float:
            return Kind::Float;
        case Json::value_t::string:
            return Kind::String;
        case Json::value_t::array:
            return Kind::Array;
        case Json::value_t::object:
            return Kind::Object;
        default:
            return Kind::Other;
        }
    }
    std::int64_t integer() const { return p->get<std::int64_t>(); }
    std::uint64_t unsignedInt() const { return p->get<std::uint64_t>(); }
    double real() const { return p->get<double>(); }
    std::string_view string() const { return p->get_ref<const std::string&>(); }
    std::size_t size() const { return p->size(); }
    DomValue item(std::size_t i) const { return {&p->get_ref<const Json::array_t&>()[i]}; }
    DomValue find(const std::string& key) const
    {
        const auto& obj = p->get_ref<const Json::object_t&>();
        const auto it = obj.find(key);
        return {it == obj.end() ? nullptr : &it->second};
    }
    struct MemberIt
    {
        Json::object_t::const_iterator it;
        std::string_view key() const { return it->first; }
        DomValue value() const { return {&it->second}; }
        MemberIt& operator++()
        {
            ++it;
            return *this;
        }
        bool operator!=(const MemberIt& o) const { return it != o.it; }
        bool operator==(const MemberIt& o) const { return it == o.it; }
    };
    MemberIt begin() const { return {p->get_ref<const Json::object_t&>().begin()}; }
    MemberIt end() const { return {p->get_ref<const Json::object_t&>().end()}; }
    /** v == e (e a scalar, not a float), exact for a signed against an unsigned integer (nlohmann wraps). */
    bool sameValue(const Json& e) const
    {
        const Json& v = *p;
        if (v.is_number_unsigned() != e.is_number_unsigned() && v.is_number_integer() && e.is_number_integer()) {
            const Json& u = v.is_number_unsigned() ? v : e;
            const std::int64_t i = (v.is_number_unsigned() ? e : v).get<std::int64_t>();
            return i >= 0 && std::uint64_t(i) == u.get<std::uint64_t>();
        }
        return v == e;
    }
};

/** A value of a FlatJson, as FastNode::eval() reads it: the same answers as DomValue on the same text. */
struct FlatValue
{
    FlatJson::Ref r;

    bool present() const { return r.present(); }
    Kind kind() const { return static_cast<Kind>(r.type()); }
    std::int64_t integer() const { return r.integer(); }
    std::uint64_t unsignedInt() const { return r.unsignedInt(); }
    double real() const { return r.real(); }
    std::string_view string() const { return r.string(); }
    std::size_t size() const { return r.size(); }
    FlatValue item(std::size_t i) const { return {r.item(i)}; }
    FlatValue find(const std::string& key) const { return {r.find(key)}; }
    struct MemberIt
    {
        FlatJson::Ref::MemberIt it;
        std::string_view key() const { return it.key(); }
        FlatValue value() const { return {it.value()}; }
        MemberIt& operator++()
        {
            ++it;
            return *this;
        }
        bool operator!=(const MemberIt& o) const { return it != o.it; }
        bool operator==(const MemberIt& o) const { return it == o.it; }
    };
    MemberIt begin() const { return {r.begin()}; }
    MemberIt end() const { return {r.end()}; }
    bool sameValue(const Json& e) const { return r.equals(e); }
};
static_assert(static_cast<int>(FlatJson::Type::Object) == static_cast<int>(Kind::Object));

class FastNode
{
public:
    /** Compiles \a schema; unsupported keywords make the node answer Unknown. */
    explicit FastNode(const Json& schema)
    {
        compile(schema);
        hoist();
    }
    /** A node below another: compiled, hoisted by the top node's hoist(). */
    struct Below
    { };
    FastNode(const Json& schema, Below) { compile(schema); }

    /**
     * The verdict on \a v (a DomValue or a FlatValue). \a slots: the members of \a v a hoisting node above looked up
     * for this node (see hoist()), indexed by Member::slot, absent for an absent one; only ever given for \a v itself.
     */
    template<typename V> Verdict eval(const V& v, const V* slots = nullptr) const
    {
        if (m_unsupported)
            return Verdict::Unknown;
        if (m_bool)
            return *m_bool ? Verdict::Valid : Verdict::Invalid;
        bool unknown = false;
        auto step = [&](Verdict r) {
            if (r == Verdict::Unknown)
                unknown = true;
            return r == Verdict::Invalid;
        };
        const Kind kind = v.kind();
        if (m_types && step(checkType(v, kind)))
            return Verdict::Invalid;
        if (m_enum && step(m_enumStrings ? checkStringEnum(v, kind) : checkEnum(v, kind, *m_enum)))
            return Verdict::Invalid;
        if (m_const && step(checkEnum(v, kind, *m_const)))
            return Verdict::Invalid;
        // Raw storage, filled only as far as m_hoisted goes: eval() runs for every node, most of which hoist nothing.
        alignas(V) unsigned char hoistedBytes[sizeof(V) * kMaxHoisted];
        V* const hoisted = reinterpret_cast<V*>(hoistedBytes);
        if (kind == Kind::Object) {
            const std::size_t size = v.size();
            std::size_t bits = 1;
            while ((std::size_t(1) << bits) < size)
                ++bits;
            if (!m_hoisted.empty()) { // the names the nodes below look up, once (see hoist())
                if (m_hoisted.size() * bits < size + m_hoisted.size()) {
                    for (std::size_t i = 0; i < m_hoisted.size(); ++i)
                        new (&hoisted[i]) V(v.find(m_hoisted[i]));
                } else { // many: both are sorted by name, walk them together
                    auto it = v.begin();
                    const auto end = v.end();
                    for (std::size_t i = 0; i < m_hoisted.size(); ++i) {
                        int c = 1;
                        while (it != end && (c = it.key().compare(m_hoisted[i])) < 0)
                            ++it;
                        new (&hoisted[i]) V(c == 0 ? it.value() : V());
                    }
                }
                slots = hoisted;
            }
            if (slots && m_slotted) {
                for (const Member& m : m_members) { // looked up above, or here
                    const V value = m.slot != kNoSlot ? slots[m.slot] : v.find(m.name);
                    if (!value.present()) {
                        if (m.required)
                            return Verdict::Invalid;
                    } else if (m.node && step(m.node->eval(value))) {
                        return Verdict::Invalid;
                    }
                }
            } else if (m_members.size() * bits < size + m_members.size()) {
                for (const Member& m : m_members) { // a few names: look each up
                    const V value = v.find(m.name);
                    if (!value.present()) {
                        if (m.required)
                            return Verdict::Invalid;
                    } else if (m.node && step(m.node->eval(value))) {
                        return Verdict::Invalid;
                    }
                }
            } else { // many: both are sorted by name, walk them together
                auto it = v.begin();
                const auto end = v.end();
                for (const Member& m : m_members) {
                    int c = 1;
                    while (it != end && (c = it.key().compare(m.name)) < 0)
                        ++it;
                    if (it == end || c > 0) {
                        if (m.required)
                            return Verdict::Invalid;
                    } else if (m.node && step(m.node->eval(it.value()))) {
                        return Verdict::Invalid;
                    }
                }
            }
        } else if (kind == Kind::Integer || kind == Kind::Unsigned || kind == Kind::Float) {
            if ((m_minimum || m_maximum || m_exclusiveMinimum || m_exclusiveMaximum) && step(checkRange(v, kind)))
                return Verdict::Invalid;
        } else if (kind == Kind::String) {
            if ((m_minLength || m_maxLength) && step(checkLength(v.string())))
                return Verdict::Invalid;
            if (m_pattern) {
                if (!m_pattern->polynomial())
                    unknown = true; // valijson decides, with its limit on the length
                else if (!m_pattern->search(v.string()).value_or(false))
                    return Verdict::Invalid;
            }
        } else if (kind == Kind::Array && m_items) {
            const std::size_t n = v.size();
            for (std::size_t i = 0; i < n; ++i)
                if (step(m_items->eval(v.item(i))))
                    return Verdict::Invalid;
        }
        for (const auto& node : m_allOf)
            if (step(node->eval(v, slots)))
                return Verdict::Invalid;
        if (!m_anyOf.empty()) {
            bool any = false, anyUnknown = false;
            for (const auto& node : m_anyOf) {
                const Verdict r = node->eval(v, slots);
                if (r == Verdict::Valid) {
                    any = true;
                    break;
                }
                anyUnknown = anyUnknown || r == Verdict::Unknown;
            }
            if (!any) {
                if (!anyUnknown)
                    return Verdict::Invalid;
                unknown = true;
            }
        }
        if (!m_oneOf.empty()) {
            int valid = 0;
            bool anyUnknown = false;
            for (const auto& node : m_oneOf) {
                const Verdict r = node->eval(v, slots);
                valid += r == Verdict::Valid;
                anyUnknown = anyUnknown || r == Verdict::Unknown;
            }
            if (anyUnknown)
                unknown = true;
            else if (valid != 1)
                return Verdict::Invalid;
        }
        if (m_not) {
            const Verdict r = m_not->eval(v, slots);
            if (r == Verdict::Valid)
                return Verdict::Invalid;
            if (r == Verdict::Unknown)
                unknown = true;
        }
        if (m_if) {
            const Verdict c = m_if->eval(v, slots);
            if (c == Verdict::Unknown)
                unknown = true;
            else if (c == Verdict::Valid && m_then && step(m_then->eval(v, slots)))
                return Verdict::Invalid;
            else if (c == Verdict::Invalid && m_else && step(m_else->eval(v, slots)))
                return Verdict::Invalid;
        }
        return unknown ? Verdict::Unknown : Verdict::Valid;
    }

private:
    using NodePtr = std::unique_ptr<FastNode>;
    static constexpr std::size_t kMaxHoisted = 32;
    static constexpr std::size_t kNoSlot = std::size_t(-1);

    /** The nodes that apply to the same instance as this one: allOf, anyOf, oneOf, not, if, then, else. */
    template<typename Fn> void forEachSameInstance(Fn&& fn)
    {
        for (auto* list : {&m_allOf, &m_anyOf, &m_oneOf})
            for (const NodePtr& n : *list)
                fn(*n);
        for (const NodePtr* n : {&m_not, &m_if, &m_then, &m_else})
            if (*n)
                fn(**n);
    }

    /**
     * Hoisting: a contract's conditions test the same few members again and again. The topmost node of each
     * group of nodes applying to one instance (through allOf, anyOf, oneOf, not, if, then, else) looks up, once per
     * evaluation, every name the group's other nodes need (kMaxHoisted at most); those nodes then read a slot.
     * Property and item schemas apply to other instances: each is the top of its own group.
     */
    void hoist()
    {
        // Only names looked up by two nodes or more: a name one node needs is best looked up there (it may
        // never be, when an "if" before it fails).
        std::map<std::string, int> uses;
        forEachSameInstance([&uses](FastNode& n) { n.countUses(uses); });
        std::vector<std::string> names;
        for (const auto& [name, count] : uses) { // in name order: eval() may walk them with the object
            if (count >= 2 && names.size() < kMaxHoisted)
                names.push_back(name);
        }
        if (!names.empty()) {
            forEachSameInstance([&names](FastNode& n) { n.assignSlots(names); });
            m_hoisted = std::move(names);
        }
        hoistBelow();
    }

    /** The tops of the groups this node's property and item schemas start. */
    void hoistBelow()
    {
        for (auto& property : m_properties)
            property.second->hoist();
        if (m_items)
            m_items->hoist();
    }

    void countUses(std::map<std::string, int>& uses)
    {
        for (const Member& m : m_members)
            ++uses[m.name];
        forEachSameInstance([&uses](FastNode& n) { n.countUses(uses); });
    }

    /** Gives this node's members their slots in \a names (the group's), and the same to the group below it. */
    void assignSlots(const std::vector<std::string>& names)
    {
        for (Member& m : m_members) {
            const auto at = std::find(names.begin(), names.end(), m.name);
            if (at != names.end()) {
                m.slot = std::size_t(at - names.begin());
                m_slotted = true;
            }
        }
        forEachSameInstance([&names](FastNode& n) { n.assignSlots(names); });
        hoistBelow();
    }

    void compile(const Json& s)
    {
        if (s.is_boolean()) {
            m_bool = s.get<bool>();
            return;
        }
        if (!s.is_object()) {
            m_unsupported = true;
            return;
        }
        static const std::set<std::string> annotations = {"$schema", "$id", "$comment", "title", "description",
            "default", "examples", "definitions", "readOnly", "writeOnly", "contentMediaType", "contentEncoding"};
        for (auto it = s.begin(); it != s.end(); ++it) {
            const std::string& k = it.key();
            const Json& v = *it;
            if (k == kPatternKeyword || k == kFormatKeyword) {
                m_unsupported = true; // valijson checks these custom keywords (see rewriteKeywords)
                continue;
            }
            if (annotations.count(k) || k.rfind("x-", 0) == 0)
                continue;
            if (k == "type") {
                m_types = 0;
                const auto add = [&](const Json& t) {
                    static const char* const names[]
                        = {"null", "boolean", "object", "array", "number", "string", "integer"};
                    for (int i = 0; i < 7; ++i)
                        if (t.is_string() && t.get_ref<const std::string&>() == names[i])
                            *m_types |= 1 << i;
                };
                if (v.is_array())
                    for (const Json& t : v)
                        add(t);
                else
                    add(v);
            } else if (k == "enum" && v.is_array()) {
                m_enum.emplace(v.begin(), v.end());
            } else if (k == "const") {
                m_const.emplace(1, v); // its own slot: "enum" and "const" on one node both constrain
            } else if (k == "required" && v.is_array()) {
                for (const Json& r : v)
                    if (r.is_string())
                        m_required.push_back(r.get<std::string>());
            } else if (k == "properties" && v.is_object()) {
                for (auto p = v.begin(); p != v.end(); ++p) // in key order, as eval() relies on
                    m_properties.emplace_back(p.key(), std::make_unique<FastNode>(*p, Below {}));
            } else if ((k == "allOf" || k == "anyOf" || k == "oneOf") && v.is_array()) {
                auto& list = k == "allOf" ? m_allOf : k == "anyOf" ? m_anyOf : m_oneOf;
                for (const Json& sub : v)
                    list.push_back(std::make_unique<FastNode>(sub, Below {}));
            } else if (k == "not") {
                m_not = std::make_unique<FastNode>(v, Below {});
            } else if (k == "if") {
                m_if = std::make_unique<FastNode>(v, Below {});
            } else if (k == "then") {
                m_then = std::make_unique<FastNode>(v, Below {});
            } else if (k == "else") {
                m_else = std::make_unique<FastNode>(v, Below {});
            } else if (k == "items" && (v.is_object() || v.is_boolean())) {
                m_items = std::make_unique<FastNode>(v, Below {});
            } else if ((k == "minimum" || k == "maximum" || k == "exclusiveMinimum" || k == "exclusiveMaximum")
                && v.is_number()) {
                const double d = v.get<double>();
                (k == "minimum"                   ? m_minimum
                        : k == "maximum"          ? m_maximum
                        : k == "exclusiveMinimum" ? m_exclusiveMinimum
                                                  : m_exclusiveMaximum)
                    = d;
            } else if ((k == "minLength" || k == "maxLength") && v.is_number_unsigned()) {
                (k == "minLength" ? m_minLength : m_maxLength) = v.get<std::uint64_t>();
            } else if (k == "pattern" && v.is_string()) {
                try {
                    m_pattern = std::make_shared<const CodePointRegex>(v.get<std::string>());
                } catch (const std::exception&) {
                    m_unsupported = true;
                }
            } else {
                // $ref, format, additionalProperties, patternProperties, dependencies, ...: valijson decides.
                m_unsupported = true;
            }
        }
        if (m_if && !m_then && !m_else)
            m_if.reset(); // if alone never fails
        if (m_enum && std::all_of(m_enum->begin(), m_enum->end(), [](const Json& e) { return e.is_string(); })) {
            // Only strings (page names, areas, ...: up to hundreds): looked up, not compared one by one.
            m_enumStrings.emplace();
            for (const Json& e : *m_enum)
                m_enumStrings->push_back(e.get<std::string>());
            std::sort(m_enumStrings->begin(), m_enumStrings->end());
        }
        // "properties" and "required" as one list sorted by name (as an object's members are), for one walk.
        for (const auto& [name, node] : m_properties)
            m_members.push_back({name, node.get(), false});
        for (const std::string& r : m_required) {
            const auto at = std::lower_bound(m_members.begin(), m_members.end(), r,
                [](const Member& m, const std::string& n) { return m.name < n; });
            if (at != m_members.end() && at->name == r)
                at->required = true;
            else
                m_members.insert(at, {r, nullptr, true});
        }
    }

    template<typename V> Verdict checkType(const V& v, Kind kind) const
    {
        const int t = *m_types;
        switch (kind) {
        case Kind::Null:
            return t & 1 ? Verdict::Valid : Verdict::Invalid;
        case Kind::Boolean:
            return t & 2 ? Verdict::Valid : Verdict::Invalid;
        case Kind::Object:
            return t & 4 ? Verdict::Valid : Verdict::Invalid;
        case Kind::Array:
            return t & 8 ? Verdict::Valid : Verdict::Invalid;
        case Kind::String:
            return t & 32 ? Verdict::Valid : Verdict::Invalid;
        case Kind::Integer:
        case Kind::Unsigned:
            return t & (16 | 64) ? Verdict::Valid : Verdict::Invalid;
        case Kind::Float: {
            if (t & 16)
                return Verdict::Valid;
            const double d = v.real(); // 1.0 is an integer (draft-06 on)
            return t & 64 && std::isfinite(d) && std::floor(d) == d ? Verdict::Valid : Verdict::Invalid;
        }
        default:
            return Verdict::Unknown;
        }
    }

    /** \a v is one of \a values ("enum", or "const" as a list of one). */
    template<typename V> static Verdict checkEnum(const V& v, Kind kind, const std::vector<Json>& values)
    {
        if (kind == Kind::Float || kind == Kind::Array || kind == Kind::Object || kind == Kind::Other)
            return Verdict::Unknown;
        const bool number = kind == Kind::Integer || kind == Kind::Unsigned;
        bool unknown = false;
        for (const Json& e : values) {
            if (e.is_number_float() || e.is_structured()) {
                unknown = unknown || number;
                continue;
            }
            if (v.sameValue(e))
                return Verdict::Valid;
        }
        return unknown ? Verdict::Unknown : Verdict::Invalid;
    }

    /** checkEnum() for an "enum" of strings only (m_enumStrings): the same answers, by binary search. */
    template<typename V> Verdict checkStringEnum(const V& v, Kind kind) const
    {
        if (kind == Kind::Float || kind == Kind::Array || kind == Kind::Object || kind == Kind::Other)
            return Verdict::Unknown;
        if (kind != Kind::String)
            return Verdict::Invalid; // a string never equals a null, a boolean or an integer
        const std::string_view s = v.string();
        const auto at = std::lower_bound(m_enumStrings->begin(), m_enumStrings->end(), s,
            [](const std::string& e, std::string_view x) { return std::string_view(e) < x; });
        return at != m_enumStrings->end() && *at == s ? Verdict::Valid : Verdict::Invalid;
    }

    template<typename V> Verdict checkRange(const V& v, Kind kind) const
    {
        double d = 0;
        bool inexact = false; // d is v rounded (integers beyond 2^53)
        if (kind == Kind::Unsigned) {
            const std::uint64_t u = v.unsignedInt();
            inexact = u > (std::uint64_t(1) << 53);
            d = static_cast<double>(u);
        } else if (kind == Kind::Integer) {
            const std::int64_t i = v.integer();
            inexact = i > (std::int64_t(1) << 53) || i < -(std::int64_t(1) << 53);
            d = static_cast<double>(i);
        } else {
            d = v.real();
            if (!std::isfinite(d))
                return Verdict::Unknown;
        }
        // Exactly at a bound with a float or a rounded integer: leave rounding questions to valijson. Away
        // from the bounds, rounding (monotonic) keeps every comparison.
        const auto atBound = [d](const std::optional<double>& b) { return b && d == *b; };
        if ((kind == Kind::Float || inexact)
            && (atBound(m_minimum) || atBound(m_maximum) || atBound(m_exclusiveMinimum) || atBound(m_exclusiveMaximum)))
            return Verdict::Unknown;
        if ((m_minimum && d < *m_minimum) || (m_maximum && d > *m_maximum)
            || (m_exclusiveMinimum && d <= *m_exclusiveMinimum) || (m_exclusiveMaximum && d >= *m_exclusiveMaximum))
            return Verdict::Invalid;
        return Verdict::Valid;
    }

    Verdict checkLength(std::string_view s) const
    {
        for (unsigned char c : s)
            if (c >= 0x80)
                return Verdict::Unknown; // code points vs bytes: valijson decides
        if ((m_minLength && s.size() < *m_minLength) || (m_maxLength && s.size() > *m_maxLength))
            return Verdict::Invalid;
        return Verdict::Valid;
    }

    bool m_unsupported = false;
    std::optional<bool> m_bool;
    std::optional<int> m_types;
    std::optional<std::vector<Json>> m_enum, m_const;
    std::optional<std::vector<std::string>> m_enumStrings; ///< m_enum sorted, when it holds only strings
    std::vector<std::string> m_required;
    std::vector<std::pair<std::string, NodePtr>> m_properties; ///< in name order; owns the nodes
    struct Member
    {
        std::string name;
        const FastNode* node = nullptr; ///< the "properties" schema, if any
        bool required = false;
        std::size_t slot = kNoSlot; ///< in the slots of the group's top node, if hoisted
    };
    std::vector<std::string> m_hoisted; ///< top of a group: the names its nodes look up, sorted (see hoist())
    bool m_slotted = false; ///< in a group, and a member has a slot
    std::vector<Member> m_members; ///< "properties" and "required", sorted by name (see compile())
    std::vector<NodePtr> m_allOf, m_anyOf, m_oneOf;
    NodePtr m_not, m_if, m_then, m_else, m_items;
    std::optional<double> m_minimum, m_maximum, m_exclusiveMinimum, m_exclusiveMaximum;
    std::optional<std::uint64_t> m_minLength, m_maxLength;
    std::shared_ptr<const CodePointRegex> m_pattern;
};

std::shared_ptr<const FastNode> compileFast(const Json& schema)
{
    return std::make_shared<const FastNode>(schema);
}

Verdict evalFast(const FastNode& node, const Json& instance)
{
    return node.eval(DomValue {&instance});
}

Verdict evalFast(const FastNode& node, FlatJson::Ref instance)
{
    return node.eval(FlatValue {instance});
}

Verdict quickVerdict(const Json& schema, const Json& instance)
{
    return FastNode(schema).eval(DomValue {&instance});
}

} // namespace el::schema_detail
