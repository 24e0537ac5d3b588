// SPDX-License-Identifier: MIT
#include "flatjson.h"

#include "fastjson.h"
#include "text.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace el {

using Json = nlohmann::json;

class FlatJson::Reader
{
public:
    Reader(FlatJson& doc, std::string_view text, int maxDepth)
        : m_doc(doc)
        , m_text(text)
        , m_maxDepth(maxDepth)
    { }

    /** Reads \a e into m_values[\a slot]. */
    bool read(simdjson::dom::element e, std::uint32_t slot, int depth)
    {
        using ElementType = simdjson::dom::element_type;
        Value v;
        switch (e.type()) {
        case ElementType::OBJECT: {
            if (depth >= m_maxDepth)
                return false;
            simdjson::dom::object fields;
            if (e.get(fields) != simdjson::SUCCESS)
                return false;
            auto& members = m_doc.m_members;
            const std::size_t first = members.size();
            for (simdjson::dom::key_value_pair field : fields)
                members.push_back({field.key, 0});
            const std::size_t count = members.size() - first;
            if (first + count > std::numeric_limits<std::uint32_t>::max())
                return false;
            std::size_t i = first;
            for (simdjson::dom::key_value_pair field : fields) {
                const std::uint32_t child = newValue();
                members[i++].value = child;
                if (!read(field.value, child, depth + 1))
                    return false;
            }
            v.type = Type::Object;
            v.first = std::uint32_t(first);
            v.size = std::uint32_t(sortMembers(first, count));
            break;
        }
        case ElementType::ARRAY: {
            if (depth >= m_maxDepth)
                return false;
            simdjson::dom::array items;
            if (e.get(items) != simdjson::SUCCESS)
                return false;
            auto& list = m_doc.m_items;
            const std::size_t first = list.size();
            std::size_t count = 0;
            for (simdjson::dom::element item : items) {
                (void)item;
                ++count;
            }
            if (first + count > std::numeric_limits<std::uint32_t>::max())
                return false;
            list.resize(first + count);
            std::size_t i = first;
            for (simdjson::dom::element item : items) {
                const std::uint32_t child = newValue();
                list[i++] = child;
                if (!read(item, child, depth + 1))
                    return false;
            }
            v.type = Type::Array;
            v.first = std::uint32_t(first);
            v.size = std::uint32_t(count);
            break;
        }
        case ElementType::INT64: {
            std::int64_t n = 0;
            if (e.get(n) != simdjson::SUCCESS)
                return false;
            if (n < 0) {
                v.type = Type::Integer;
                v.integer = n;
            } else {
                if (n == 0 && minusZero())
                    return false;
                v.type = Type::Unsigned; // nlohmann reads a non-negative integer as unsigned
                v.unsignedInt = std::uint64_t(n);
            }
            break;
        }
        case ElementType::UINT64: {
            std::uint64_t n = 0;
            if (e.get(n) != simdjson::SUCCESS)
                return false;
            v.type = Type::Unsigned;
            v.unsignedInt = n;
            break;
        }
        case ElementType::DOUBLE: {
            double d = 0;
            if (e.get(d) != simdjson::SUCCESS || !std::isfinite(d))
                return false;
            v.type = Type::Float;
            v.real = d;
            break;
        }
        case ElementType::STRING: {
            std::string_view s;
            if (e.get(s) != simdjson::SUCCESS || s.size() > std::numeric_limits<std::uint32_t>::max())
                return false;
            v.type = Type::String;
            v.text = s.data();
            v.size = std::uint32_t(s.size());
            break;
        }
        case ElementType::BOOL: {
            bool b = false;
            if (e.get(b) != simdjson::SUCCESS)
                return false;
            v.type = Type::Boolean;
            v.boolean = b;
            break;
        }
        case ElementType::NULL_VALUE:
            v.type = Type::Null;
            v.integer = 0;
            break;
        default:
            return false;
        }
        m_doc.m_values[slot] = v;
        return true;
    }

    std::uint32_t newValue()
    {
        m_doc.m_values.emplace_back();
        return std::uint32_t(m_doc.m_values.size() - 1);
    }

private:
    /**
     * Sorts the \a count members from \a first by key, keeping the last of a duplicate key in place of the first
     * (as nlohmann's operator[] does); returns how many remain. Text we wrote is sorted already: one pass.
     */
    std::size_t sortMembers(std::size_t first, std::size_t count)
    {
        Member* b = m_doc.m_members.data() + first;
        Member* e = b + count;
        const bool strictlySorted
            = std::adjacent_find(b, e, [](const Member& x, const Member& y) { return !(x.key < y.key); }) == e;
        if (strictlySorted)
            return count;
        std::stable_sort(b, e, [](const Member& x, const Member& y) { return x.key < y.key; });
        Member* out = b;
        for (Member* m = b; m != e; ++m) {
            if (m + 1 != e && m[1].key == m->key)
                continue; // a later one of the same key follows: it wins
            *out++ = *m;
        }
        return std::size_t(out - b);
    }

    bool minusZero()
    {
        if (m_minusZero < 0)
            m_minusZero = hasMinusZeroInteger(m_text) ? 1 : 0;
        return m_minusZero == 1;
    }

    FlatJson& m_doc;
    std::string_view m_text;
    int m_maxDepth;
    int m_minusZero = -1;
};

FlatJson::FlatJson()
    : m_parser(std::make_unique<simdjson::dom::parser>())
{ }

FlatJson::~FlatJson() = default;

FlatJson& FlatJson::threadScratch()
{
    thread_local FlatJson scratch;
    return scratch;
}

bool FlatJson::parse(std::string_view text, int maxDepth)
{
    m_values.clear();
    m_members.clear();
    m_items.clear();
    m_strings.clear();
    if (text.size() <= kSimdjsonReuseLimit) {
        // What a body past the reuse limit left behind is given back: simdjson's buffers, and arrays longer than any
        // document within the limit can fill (it holds at most one value per two bytes).
        if (m_parser->capacity() > kSimdjsonReuseLimit)
            m_parser = std::make_unique<simdjson::dom::parser>();
        constexpr std::size_t kMostValues = kSimdjsonReuseLimit / 2;
        if (m_values.capacity() > kMostValues || m_members.capacity() > kMostValues
            || m_items.capacity() > kMostValues) {
            std::vector<Value>().swap(m_values);
            std::vector<Member>().swap(m_members);
            std::vector<std::uint32_t>().swap(m_items);
        }
    }
    simdjson::dom::element root;
    if (m_parser->parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS)
        return false;
    Value empty;
    empty.type = Type::Object;
    empty.first = 0;
    m_values.push_back(empty);
    Reader reader(*this, text, maxDepth);
    return reader.read(root, reader.newValue(), 0);
}

void FlatJson::setMember(Ref object, std::string_view key, Ref value)
{
    const std::uint32_t first = m_values[object.m_index].first;
    const std::uint32_t size = m_values[object.m_index].size;
    const Member* b = m_members.data() + first;
    const Member* e = b + size;
    const Member* it = std::lower_bound(b, e, key, [](const Member& m, std::string_view k) { return m.key < k; });
    const std::size_t at = std::size_t(it - b);
    if (it != e && it->key == key) {
        m_members[first + at].value = value.m_index;
        return;
    }
    // The object's members are one run among the others': the object gets a new run, at the end, with the member in
    // its place (nothing else moves; the old run is left unused until the next parse()).
    const std::size_t moved = m_members.size();
    m_members.reserve(moved + size + 1);
    for (std::size_t i = 0; i < at; ++i)
        m_members.push_back(m_members[first + i]);
    m_members.push_back({key, value.m_index});
    for (std::size_t i = at; i < size; ++i)
        m_members.push_back(m_members[first + i]);
    m_values[object.m_index].first = std::uint32_t(moved);
    m_values[object.m_index].size = size + 1;
}

FlatJson::Ref FlatJson::addString(std::string text)
{
    const std::string& kept = m_strings.emplace_back(std::move(text));
    Value v;
    v.type = Type::String;
    v.text = kept.data();
    v.size = std::uint32_t(kept.size());
    m_values.push_back(v);
    return {this, std::uint32_t(m_values.size() - 1)};
}

DomRef::Type DomRef::type() const
{
    switch (m_v->type()) {
    case nlohmann::json::value_t::object:
        return Type::Object;
    case nlohmann::json::value_t::array:
        return Type::Array;
    case nlohmann::json::value_t::string:
        return Type::String;
    case nlohmann::json::value_t::boolean:
        return Type::Boolean;
    case nlohmann::json::value_t::number_integer:
        return Type::Integer;
    case nlohmann::json::value_t::number_unsigned:
        return Type::Unsigned;
    case nlohmann::json::value_t::number_float:
        return Type::Float;
    default:
        return Type::Null; // null, and nothing a parsed document holds (binary, discarded)
    }
}

FlatJson::Ref FlatJson::Ref::find(std::string_view key) const
{
    if (type() != Type::Object)
        return {};
    const Member* b = m_doc->m_members.data() + value().first;
    const Member* e = b + value().size;
    const Member* it = std::lower_bound(b, e, key, [](const Member& m, std::string_view k) { return m.key < k; });
    if (it == e || it->key != key)
        return {};
    return {m_doc, it->value};
}

FlatJson::Ref FlatJson::Ref::at(std::string_view pointer) const
{
    Ref at = *this;
    std::string unescaped;
    std::size_t pos = 0;
    while (pos < pointer.size()) {
        if (pointer[pos] != '/')
            return {};
        std::size_t end = pointer.find('/', pos + 1);
        if (end == std::string_view::npos)
            end = pointer.size();
        std::string_view token = pointer.substr(pos + 1, end - pos - 1);
        pos = end;
        if (token.find('~') != std::string_view::npos) {
            if (!jsonPointerUnescape(token, unescaped))
                return {};
            token = unescaped;
        }
        if (at.isObject()) {
            at = at.find(token);
            if (!at.present())
                return {};
        } else if (at.isArray()) {
            // nlohmann's array indices (as findPointer()): digits, no leading zero
            if (token.empty() || token.size() > 19 || (token.size() > 1 && token[0] == '0'))
                return {};
            std::size_t index = 0;
            for (const char c : token) {
                if (c < '0' || c > '9')
                    return {};
                index = index * 10 + std::size_t(c - '0');
            }
            if (index >= at.size())
                return {};
            at = at.item(index);
        } else {
            return {};
        }
    }
    return at;
}

Json FlatJson::Ref::toJson() const
{
    switch (type()) {
    case Type::Null:
        return nullptr;
    case Type::Boolean:
        return boolean();
    case Type::Integer:
        return integer();
    case Type::Unsigned:
        return unsignedInt();
    case Type::Float:
        return real();
    case Type::String:
        return std::string(string());
    case Type::Array: {
        Json out = Json::array();
        auto& array = out.get_ref<Json::array_t&>();
        array.reserve(size());
        for (std::size_t i = 0; i < size(); ++i)
            array.push_back(item(i).toJson());
        return out;
    }
    case Type::Object: {
        Json out = Json::object();
        auto& object = out.get_ref<Json::object_t&>();
        for (const MemberIt& m : *this) // sorted: each goes in at the end
            object.emplace_hint(object.end(), std::string(m.key()), m.value().toJson());
        return out;
    }
    }
    return nullptr;
}

bool FlatJson::Ref::equals(const Json& other) const
{
    switch (type()) {
    case Type::Null:
        return other.is_null();
    case Type::Boolean:
        return other.is_boolean() && other.get<bool>() == boolean();
    case Type::String:
        return other.is_string() && other.get_ref<const std::string&>() == string();
    case Type::Integer:
        if (other.is_number_unsigned())
            return false; // negative against non-negative
        if (other.is_number_integer())
            return other.get<std::int64_t>() == integer();
        break;
    case Type::Unsigned:
        if (other.is_number_unsigned())
            return other.get<std::uint64_t>() == unsignedInt();
        if (other.is_number_integer())
            return other.get<std::int64_t>() >= 0 && std::uint64_t(other.get<std::int64_t>()) == unsignedInt();
        break;
    default:
        break;
    }
    return toJson() == other; // floats, containers: nlohmann's own comparison
}

} // namespace el
