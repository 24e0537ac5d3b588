// SPDX-License-Identifier: MIT
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace simdjson::dom {
class parser;
} // namespace simdjson::dom

namespace el {

/**
 * \brief A JSON document read by simdjson into three flat arrays, for judging an event without a DOM.
 *
 * An nlohmann DOM costs an allocation per key and value, and building it is most of what parsing an event
 * costs. A FlatJson keeps its arrays and simdjson's buffers from one parse to the next, so a warm one parses
 * with no allocation at all. It reads a text exactly as parseJsonFast() builds an nlohmann DOM from it:
 *  - an object's members are sorted by key (bytes, as std::map<std::string> sorts them); of a duplicate key
 *    the last one wins;
 *  - a number is typed as nlohmann types it: a non-negative integer is Unsigned, a negative one Integer, a
 *    number with a fraction or an exponent Float;
 *  - parse() refuses whatever parseJsonFast() refuses (a "-0", an integer past 64 bits, a non-finite number,
 *    invalid UTF-8, deeper than \a maxDepth): the caller then builds the DOM, as before.
 *
 * Strings point into the parser's buffers: a Ref is valid until the next parse(). Not thread-safe: one per
 * thread (see threadScratch()).
 */
class FlatJson
{
public:
    enum class Type : std::uint8_t { Null, Boolean, Integer, Unsigned, Float, String, Array, Object };

    FlatJson();
    ~FlatJson();
    FlatJson(const FlatJson&) = delete;
    FlatJson& operator=(const FlatJson&) = delete;

    /** Reads \a text; false when it is not JSON or the DOM could read it otherwise (see above). */
    bool parse(std::string_view text, int maxDepth = 1024);

    /** This thread's FlatJson, reused from one parse to the next. */
    static FlatJson& threadScratch();

    class Ref;
    /** The document (valid after a successful parse()). */
    Ref root() const;

    /**
     * Edits for the decoder's normalisation, so that a Ref reads as the DOM it would have edited: sets member
     * \a key of \a object (a Ref of this document, an object, not the shared empty one) to \a value (a Ref of
     * this document), in key order, replacing a member of the same key. \a key must live as long as the document
     * (a literal, or a string of this document).
     */
    void setMember(Ref object, std::string_view key, Ref value);
    /** A string value kept by this document until the next parse(). */
    Ref addString(std::string text);

private:
    struct Value
    {
        Type type = Type::Null;
        std::uint32_t size = 0; ///< bytes of a string, items of an array, members of an object
        union {
            bool boolean;
            std::int64_t integer;
            std::uint64_t unsignedInt;
            double real;
            const char* text;
            std::uint32_t first; ///< an array's first item in m_items, an object's first member in m_members
        };
    };
    struct Member
    {
        std::string_view key;
        std::uint32_t value;
    };
    class Reader;
    friend class Ref;

    std::vector<Value> m_values; ///< [0] the empty object, [1] the root
    std::vector<Member> m_members;
    std::vector<std::uint32_t> m_items;
    std::deque<std::string> m_strings; ///< addString()'s (a deque: adding one never moves the others)
    std::unique_ptr<simdjson::dom::parser> m_parser;
};

/** One value of a FlatJson, or none (an absent member: present() is false). */
class FlatJson::Ref
{
public:
    Ref() = default;
    Ref(const FlatJson* doc, std::uint32_t index)
        : m_doc(doc)
        , m_index(index)
    { }

    bool present() const { return m_doc != nullptr; }
    Type type() const { return value().type; }
    bool isObject() const { return type() == Type::Object; }
    bool isArray() const { return type() == Type::Array; }
    bool isString() const { return type() == Type::String; }
    bool isNull() const { return type() == Type::Null; }
    bool isNumber() const { return type() == Type::Integer || type() == Type::Unsigned || type() == Type::Float; }

    bool boolean() const { return value().boolean; }
    std::int64_t integer() const { return value().integer; }
    std::uint64_t unsignedInt() const { return value().unsignedInt; }
    double real() const { return value().real; }
    std::string_view string() const { return {value().text, value().size}; }
    /** Items of an array, members of an object. */
    std::size_t size() const { return value().size; }

    /** An array's item \a i (< size()). */
    Ref item(std::size_t i) const { return {m_doc, m_doc->m_items[value().first + i]}; }

    /** An object's members, in key order. */
    class MemberIt
    {
    public:
        MemberIt(const FlatJson* doc, const Member* m)
            : m_doc(doc)
            , m_m(m)
        { }
        std::string_view key() const { return m_m->key; }
        Ref value() const { return {m_doc, m_m->value}; }
        const MemberIt& operator*() const { return *this; }
        MemberIt& operator++()
        {
            ++m_m;
            return *this;
        }
        bool operator!=(const MemberIt& o) const { return m_m != o.m_m; }
        bool operator==(const MemberIt& o) const { return m_m == o.m_m; }

    private:
        const FlatJson* m_doc;
        const Member* m_m;
    };
    MemberIt begin() const { return {m_doc, m_doc->m_members.data() + value().first}; }
    MemberIt end() const { return {m_doc, m_doc->m_members.data() + value().first + value().size}; }

    /** An object's member \a key, or an absent Ref (also when this is not an object). */
    Ref find(std::string_view key) const;
    /** The value at JSON pointer \a pointer, as findPointer() finds it in the DOM; absent when there is none. */
    Ref at(std::string_view pointer) const;

    /** An empty object of the same document (for "no properties"). */
    Ref emptyObject() const { return {m_doc, 0}; }

    /** The same value as an nlohmann DOM (what parseJsonFast() would have built for it). */
    nlohmann::json toJson() const;
    /** Whether this value equals \a other (nlohmann's operator==, integers of either sign compared exactly). */
    bool equals(const nlohmann::json& other) const;

private:
    friend class FlatJson;
    const Value& value() const { return m_doc->m_values[m_index]; }

    const FlatJson* m_doc = nullptr;
    std::uint32_t m_index = 0;
};

/**
 * \brief An nlohmann value seen through FlatJson::Ref's interface (present, type, the scalars, find, members,
 * items), so that code reading a document is written once for both (a template over the handle).
 */
class DomRef
{
public:
    using Type = FlatJson::Type;
    DomRef() = default;
    explicit DomRef(const nlohmann::json* v)
        : m_v(v)
    { }
    explicit DomRef(const nlohmann::json& v)
        : m_v(&v)
    { }

    bool present() const { return m_v != nullptr; }
    Type type() const;
    bool isObject() const { return m_v->is_object(); }
    bool isArray() const { return m_v->is_array(); }
    bool isString() const { return m_v->is_string(); }
    bool isNull() const { return m_v->is_null(); }
    bool isNumber() const { return m_v->is_number(); }

    bool boolean() const { return m_v->get<bool>(); }
    std::int64_t integer() const { return m_v->get<std::int64_t>(); }
    std::uint64_t unsignedInt() const { return m_v->get<std::uint64_t>(); }
    double real() const { return m_v->get<double>(); }
    std::string_view string() const { return m_v->get_ref<const std::string&>(); }
    std::size_t size() const { return m_v->size(); }
    DomRef item(std::size_t i) const { return DomRef(&(*m_v)[i]); }
    /** An object's member \a key, or an absent DomRef (also when this is not an object). */
    DomRef find(std::string_view key) const
    {
        if (!m_v->is_object())
            return {};
        const auto it = m_v->find(key);
        return it == m_v->end() ? DomRef() : DomRef(&*it);
    }
    /** f(key, value) for each member of an object, in key order. */
    template<typename F> void forEachMember(F f) const
    {
        for (auto it = m_v->begin(); it != m_v->end(); ++it)
            f(std::string_view(it.key()), DomRef(&it.value()));
    }
    const nlohmann::json& json() const { return *m_v; }

private:
    const nlohmann::json* m_v = nullptr;
};

/** f(key, value) for each member of the object \a v, in key order (a template over FlatJson::Ref and DomRef). */
template<typename F> void forEachMember(DomRef v, F f)
{
    v.forEachMember(f);
}
template<typename F> void forEachMember(FlatJson::Ref v, F f)
{
    for (const auto& m : v)
        f(m.key(), m.value());
}

inline FlatJson::Ref FlatJson::root() const
{
    return {this, 1};
}

} // namespace el
