// SPDX-License-Identifier: MIT
#include "fastjson.h"

#include "text.h"

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <memory>

namespace el {

using Json = nlohmann::json;

namespace {

class Converter
{
public:
    Converter(std::string_view text, int maxDepth)
        : m_text(text)
        , m_maxDepth(maxDepth)
    { }

    bool convert(simdjson::dom::element e, Json& out, int depth)
    {
        using Type = simdjson::dom::element_type;
        switch (e.type()) {
        case Type::OBJECT: {
            if (depth >= m_maxDepth)
                return false;
            simdjson::dom::object fields;
            if (e.get(fields) != simdjson::SUCCESS)
                return false;
            out = Json::object();
            auto& object = out.get_ref<Json::object_t&>();
            for (simdjson::dom::key_value_pair field : fields) {
                // A key after the last one (compact text we wrote is sorted: every key of a kept event) goes in
                // at the end, with no search. Otherwise operator[] keeps the first slot of a duplicate key and
                // the value is overwritten: last wins.
                Json& slot = object.empty() || std::string_view(object.rbegin()->first) < field.key
                    ? object.emplace_hint(object.end(), std::string(field.key), Json())->second
                    : object[std::string(field.key)];
                if (!convert(field.value, slot, depth + 1))
                    return false;
            }
            return true;
        }
        case Type::ARRAY: {
            if (depth >= m_maxDepth)
                return false;
            out = Json::array();
            auto& array = out.get_ref<Json::array_t&>();
            simdjson::dom::array items;
            if (e.get(items) != simdjson::SUCCESS)
                return false;
            array.reserve(items.size());
            for (simdjson::dom::element item : items) {
                array.emplace_back();
                if (!convert(item, array.back(), depth + 1))
                    return false;
            }
            return true;
        }
        case Type::INT64: {
            std::int64_t v = 0;
            if (e.get(v) != simdjson::SUCCESS)
                return false;
            if (v < 0) {
                out = v;
                return true;
            }
            if (v == 0 && minusZero())
                return false;
            out = static_cast<std::uint64_t>(v); // nlohmann reads a non-negative integer as unsigned
            return true;
        }
        case Type::UINT64: {
            std::uint64_t v = 0;
            if (e.get(v) != simdjson::SUCCESS)
                return false;
            out = v;
            return true;
        }
        case Type::DOUBLE: {
            double v = 0;
            if (e.get(v) != simdjson::SUCCESS)
                return false;
            if (!std::isfinite(v))
                return false;
            out = v;
            return true;
        }
        case Type::STRING: {
            std::string_view s;
            if (e.get(s) != simdjson::SUCCESS)
                return false;
            out = std::string(s);
            return true;
        }
        case Type::BOOL: {
            bool v = false;
            if (e.get(v) != simdjson::SUCCESS)
                return false;
            out = v;
            return true;
        }
        case Type::NULL_VALUE:
            out = nullptr;
            return true;
        }
        return false;
    }

private:
    bool minusZero()
    {
        if (m_minusZero < 0)
            m_minusZero = hasMinusZeroInteger(m_text) ? 1 : 0;
        return m_minusZero == 1;
    }

    std::string_view m_text;
    int m_maxDepth;
    int m_minusZero = -1; ///< unknown until an integer 0 is met
};

} // namespace

bool hasMinusZeroInteger(std::string_view text)
{
    for (std::size_t i = text.find("-0"); i != std::string_view::npos; i = text.find("-0", i + 1)) {
        const bool afterDigit = i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9';
        const char next = i + 2 < text.size() ? text[i + 2] : ' ';
        if (!afterDigit && next != '.' && next != 'e' && next != 'E' && !(next >= '0' && next <= '9'))
            return true;
    }
    return false;
}

bool parseJsonFast(std::string_view text, Json& out, int maxDepth)
{
    thread_local simdjson::dom::parser shared;
    std::unique_ptr<simdjson::dom::parser> own;
    simdjson::dom::parser* parser = &shared;
    if (text.size() > kSimdjsonReuseLimit) {
        own = std::make_unique<simdjson::dom::parser>();
        parser = own.get();
    }
    simdjson::dom::element root;
    if (parser->parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS)
        return false;
    Converter converter(text, maxDepth);
    return converter.convert(root, out, 0);
}

const Json* findPointer(const Json& doc, std::string_view pointer)
{
    const Json* at = &doc;
    std::string unescaped;
    std::size_t pos = 0;
    while (pos < pointer.size()) {
        if (pointer[pos] != '/')
            return nullptr;
        std::size_t end = pointer.find('/', pos + 1);
        if (end == std::string_view::npos)
            end = pointer.size();
        std::string_view token = pointer.substr(pos + 1, end - pos - 1);
        pos = end;
        if (token.find('~') != std::string_view::npos) {
            if (!jsonPointerUnescape(token, unescaped))
                return nullptr;
            token = unescaped;
        }
        if (at->is_object()) {
            const auto& obj = at->get_ref<const Json::object_t&>();
            const auto it = obj.find(token);
            if (it == obj.end())
                return nullptr;
            at = &it->second;
        } else if (at->is_array()) {
            if (token.empty() || token.size() > 19 || (token.size() > 1 && token[0] == '0'))
                return nullptr;
            std::size_t index = 0;
            for (const char c : token) {
                if (c < '0' || c > '9')
                    return nullptr;
                index = index * 10 + std::size_t(c - '0');
            }
            if (index >= at->size())
                return nullptr;
            at = &(*at)[index];
        } else {
            return nullptr;
        }
    }
    return at;
}

} // namespace el
