// SPDX-License-Identifier: MIT
// Random draft-07 schemas and instances for the schema differential tests: tst_schemadiff draws them from a
// seeded std::mt19937, fuzz_schemadiff from the fuzz input's bytes. Only the random source's raw output is
// used, so every platform draws the same cases for a seed.
//
// What the generator leaves out, and why (ajv 8 is the reference in tst_schemadiff; see README.md):
//  - "format" with a format EventLens checks (date, time, date-time): ajv checks formats only with the
//    ajv-formats plugin, whose rules differ. Only formats that both treat as annotations are drawn.
//  - "type" beside "$ref": draft-07 ignores every keyword beside "$ref"; ajv, even with ignoreKeywordsWithRef,
//    still checks "type" there (it checks types before it looks at "$ref").
//  - "contains" beside an array of "items": on an array shorter than that list, ajv 8.20 may skip "contains"
//    ({"contains": {"type": "integer"}, "items": [{"minLength": 1}]} accepts []).
//  - duplicate "enum" values: draft-07 says they SHOULD be unique; ajv refuses such a schema.
//  - remote "$ref" and "$id": contracts are self-contained (no document fetcher).
// What the comparison with ajv leaves out (tst_schemadiff decides per case, see ajvExempt()):
//  - "multipleOf" on a number of magnitude 2^53 or more: ajv divides in doubles and tests the quotient with
//    parseInt(), which reads 3.3e+299 as 3 (1e300 is then no multiple of 1) and 1e20 / 3 as an integer.
// Integers beyond 2^53 are drawn; ajv sees JSON numbers as doubles, so tst_schemadiff rounds them the same way
// (forAjv()) before it compares EventLens with ajv on that case.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace elschemagen {

using Json = nlohmann::json;

/** The random source: a seeded std::mt19937, or the bytes of a fuzz input (0 once they run out). */
class Random
{
public:
    explicit Random(std::uint32_t seed)
        : m_rng(seed)
    { }
    Random(const std::uint8_t* data, std::size_t size)
        : m_data(data)
        , m_size(size)
        , m_bytes(true)
    { }

    std::uint32_t next()
    {
        if (!m_bytes)
            return m_rng();
        return m_pos < m_size ? m_data[m_pos++] : 0;
    }
    bool exhausted() const { return m_bytes && m_pos >= m_size; }

private:
    std::mt19937 m_rng;
    const std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0, m_pos = 0;
    bool m_bytes = false;
};

class Gen
{
public:
    explicit Gen(Random& random)
        : m_random(random)
    { }

    int pick(int n) { return int(m_random.next() % std::uint32_t(n)); }
    bool chance(int percent) { return pick(100) < percent; }

    /** Property names: mostly ASCII, some non-ASCII (patternProperties match them by code point). */
    std::string key()
    {
        static const char* const keys[] = {"a", "b", "c", "a", "b", "c", "\u00e9", "\U0001F600"};
        return keys[pick(8)];
    }

    std::string string()
    {
        // Mostly ASCII (the fast path decides those); some non-ASCII to keep both paths on code points,
        // including a character outside the BMP (one code point, two UTF-16 units).
        static const char* const alphabet[]
            = {"a", "b", "x", "1", " ", "_", "A", "a", "b", "\u00e9", "\u00a0", "\u65e5", "\U0001F600"};
        std::string s;
        for (int n = pick(5); n > 0; --n)
            s += alphabet[pick(chance(80) ? 7 : 13)];
        return s;
    }

    Json number()
    {
        // Edges of the number representations (integers beyond 2^53 and above INT64_MAX, floats with a
        // zero fractional part, which draft-07 counts as integers).
        if (chance(5)) {
            static const Json edges[] = {Json(1.0), Json(-0.0), Json(1e300), Json(std::int64_t(9007199254740993)),
                Json(std::uint64_t(9223372036854775807u)), Json(std::int64_t(-9223372036854775807 - 1)),
                Json(9007199254740992.0), Json(0.1), Json(0.30000000000000004),
                Json(std::uint64_t(18446744073709551615u)), Json(1e19)};
            return edges[pick(11)];
        }
        switch (pick(6)) {
        case 0:
            return 1.5;
        case 1:
            return 2.0;
        case 2:
            return -0.5;
        case 3:
            return 0.25 * (pick(40) - 8);
        default:
            return pick(16) - 3;
        }
    }

    Json value(int depth)
    {
        switch (pick(depth > 0 ? 9 : 7)) {
        case 0:
            return nullptr;
        case 1:
            return chance(50);
        case 2:
        case 3:
            return number();
        case 4:
        case 5:
        case 6:
            return string();
        case 7: {
            Json a = Json::array();
            for (int n = pick(4); n > 0; --n)
                a.push_back(value(depth - 1));
            if (!a.empty() && chance(20))
                a.push_back(a[0]); // duplicates for uniqueItems
            return a;
        }
        default: {
            Json o = Json::object();
            for (int n = pick(4); n > 0; --n)
                o[key()] = value(depth - 1);
            return o;
        }
        }
    }

    /** A draft-07 schema; \a consumed: below properties/items, where "$ref": "#" cannot loop. */
    Json schema(int depth, int definitions, bool consumed)
    {
        if (chance(6))
            return chance(70);
        Json s = Json::object();
        for (int n = 1 + pick(depth > 0 ? 4 : 3); n > 0; --n)
            addKeyword(s, depth, definitions, consumed);
        if (s.contains("$ref"))
            s.erase("type"); // ajv applies "type" beside "$ref" even with ignoreKeywordsWithRef
        if (s.contains("items") && s["items"].is_array())
            s.erase("contains"); // ajv skips "contains" on arrays shorter than an "items" list
        return s;
    }

    Json root()
    {
        Json defs = Json::object();
        const int count = pick(3);
        for (int i = 0; i < count; ++i)
            defs["d" + std::to_string(i)] = schema(1, i, false); // refs only to earlier ones: no cycle
        Json s = schema(3, count, false);
        if (count > 0) {
            if (!s.is_object())
                s = Json {{"allOf", Json::array({s})}};
            s["definitions"] = defs;
        }
        return s;
    }

private:
    Json typeName()
    {
        static const char* const names[] = {"null", "boolean", "object", "array", "number", "string", "integer"};
        return names[pick(7)];
    }

    Json list(int depth, int definitions, bool consumed)
    {
        Json a = Json::array();
        for (int n = 1 + pick(3); n > 0; --n)
            a.push_back(schema(depth - 1, definitions, consumed));
        return a;
    }

    Json pattern()
    {
        static const char* const patterns[] = {"^a", "b$", "^[a-c]+$", "a|b", "^.{2}$", "\\d", "^\\w+$", "x*y",
            "^(ab)+$", "[^a]", "^$", "\\s", "^[A-Z]", "1?_", "(?=a)a", "^.$", "^\\S+$", "^[^\\s]{1,2}$", "(a)\\1"};
        return patterns[pick(19)];
    }

    void addKeyword(Json& s, int depth, int definitions, bool consumed)
    {
        const int simple = 21;
        const int k = pick(depth > 0 ? simple + 17 : simple);
        switch (k) {
        case 0:
        case 1:
            if (chance(30)) {
                const Json a = typeName(), b = typeName();
                s["type"] = a == b ? Json::array({a}) : Json::array({a, b});
            } else
                s["type"] = typeName();
            break;
        case 2: {
            // Distinct values: draft-07 says they SHOULD be, and ajv refuses a schema whose aren't.
            Json e = Json::array();
            for (int n = 1 + pick(3); n > 0; --n) {
                Json v = value(1);
                if (std::find(e.begin(), e.end(), v) == e.end())
                    e.push_back(std::move(v));
            }
            s["enum"] = e;
            break;
        }
        case 3:
            s["const"] = value(1);
            break;
        case 4:
            s["minimum"] = number();
            break;
        case 5:
            s["maximum"] = number();
            break;
        case 6:
            s["exclusiveMinimum"] = number();
            break;
        case 7:
            s["exclusiveMaximum"] = number();
            break;
        case 8: {
            static const double steps[] = {1, 2, 3, 0.5, 0.25};
            const double m = steps[pick(5)];
            if (m == double(int(m)))
                s["multipleOf"] = int(m);
            else
                s["multipleOf"] = m;
            break;
        }
        case 9:
            s["minLength"] = pick(4);
            break;
        case 10:
            s["maxLength"] = pick(4);
            break;
        case 11:
            s["pattern"] = pattern();
            break;
        case 12: {
            Json r = Json::array();
            for (const char* name : {"a", "b", "c"})
                if (chance(40))
                    r.push_back(name);
            s["required"] = r;
            break;
        }
        case 13:
            s["minItems"] = pick(3);
            break;
        case 14:
            s["maxItems"] = pick(3);
            break;
        case 15:
            s["uniqueItems"] = chance(70);
            break;
        case 16:
            if (definitions > 0)
                s["$ref"] = "#/definitions/d" + std::to_string(pick(definitions));
            else if (consumed && chance(50))
                s["$ref"] = "#";
            else
                s["type"] = typeName();
            break;
        case 17: {
            // Annotations only: EventLens checks date, time and date-time, ajv (without ajv-formats) none.
            static const char* const formats[] = {"email", "hostname", "uri", "x-unknown"};
            s["format"] = formats[pick(4)];
            break;
        }
        case 18:
            s["minProperties"] = pick(3);
            break;
        case 19:
            s["maxProperties"] = pick(3);
            break;
        case 20: {
            Json d = Json::object();
            Json r = Json::array();
            for (const char* name : {"b", "c"})
                if (chance(50))
                    r.push_back(name);
            d["a"] = r;
            s["dependencies"] = d;
            break;
        }
        case 21:
        case 22: {
            Json p = Json::object();
            for (int n = 1 + pick(2); n > 0; --n)
                p[key()] = schema(depth - 1, definitions, true);
            s["properties"] = p;
            break;
        }
        case 23:
            s["additionalProperties"] = chance(40) ? Json(chance(50)) : schema(depth - 1, definitions, true);
            break;
        case 24:
            if (chance(20))
                s["items"] = list(depth, definitions, true);
            else
                s["items"] = schema(depth - 1, definitions, true);
            break;
        case 25:
            s["allOf"] = list(depth, definitions, consumed);
            break;
        case 26:
            s["anyOf"] = list(depth, definitions, consumed);
            break;
        case 27:
            s["oneOf"] = list(depth, definitions, consumed);
            break;
        case 28:
            s["not"] = schema(depth - 1, definitions, consumed);
            break;
        case 29:
        case 30:
            s["if"] = schema(depth - 1, definitions, consumed);
            if (chance(70))
                s["then"] = schema(depth - 1, definitions, consumed);
            if (chance(60))
                s["else"] = schema(depth - 1, definitions, consumed);
            break;
        case 31: {
            Json p = Json::object();
            for (int n = 1 + pick(2); n > 0; --n)
                p[pattern().get<std::string>()] = schema(depth - 1, definitions, true);
            s["patternProperties"] = p;
            break;
        }
        case 32:
            s["propertyNames"] = schema(depth - 1, definitions, true);
            break;
        case 33:
            s["contains"] = schema(depth - 1, definitions, true);
            break;
        case 34:
            s["additionalItems"] = chance(40) ? Json(chance(50)) : schema(depth - 1, definitions, true);
            break;
        case 35:
            s["dependencies"] = Json {{"a", schema(depth - 1, definitions, consumed)}};
            break;
        default:
            if (consumed)
                s["$ref"] = "#";
            else
                s["minLength"] = 1;
            break;
        }
    }

    Random& m_random;
};

/** How twin() changes an instance's members. */
enum class Twin {
    SameShape, ///< ASCII letters and digits of strings shifted, booleans swapped: types and lengths kept
    Longer, ///< "\u00e9" appended to strings (one code point, two bytes)
    Empty, ///< strings emptied
};

/**
 * \a instance with its members' strings and booleans changed as \a how says, and one member added.
 * JsonSchema::validate() remembers answers by the members a schema names, writing a string or boolean that only a
 * type or a length applies to as "present and passes". Validated after \a instance, a SameShape twin is answered
 * from that memory when it should be; a Longer or Empty one tells when a length was not looked at.
 */
inline Json twin(const Json& instance, Twin how)
{
    if (!instance.is_object())
        return instance;
    Json out = instance;
    for (auto& [name, v] : out.items()) {
        if (v.is_boolean() && how == Twin::SameShape) {
            v = !v.get<bool>();
        } else if (v.is_string()) {
            std::string s = how == Twin::Empty ? std::string() : v.get<std::string>();
            for (char& c : s) {
                if (c >= 'a' && c <= 'z')
                    c = char('a' + (c - 'a' + 1) % 26);
                else if (c >= '0' && c <= '9')
                    c = char('0' + (c - '0' + 1) % 10);
            }
            if (how == Twin::Longer)
                s += "\u00e9";
            v = s;
        }
    }
    out["twin-only member"] = 0;
    return out;
}

/** Whether \a v holds a number of magnitude 2^53 or more (JavaScript doubles no longer hold every integer). */
inline bool hasHugeNumber(const Json& v)
{
    if (v.is_number_unsigned())
        return v.get<std::uint64_t>() >= (std::uint64_t(1) << 53);
    if (v.is_number_integer())
        return v.get<std::int64_t>() >= (std::int64_t(1) << 53) || v.get<std::int64_t>() <= -(std::int64_t(1) << 53);
    if (v.is_number_float())
        return std::fabs(v.get<double>()) >= 9007199254740992.0;
    if (v.is_structured())
        for (const Json& e : v)
            if (hasHugeNumber(e))
                return true;
    return false;
}

/** Whether a schema uses \a keyword anywhere (any object member named so: good enough for generated schemas). */
inline bool usesKeyword(const Json& schema, const char* keyword)
{
    if (schema.is_object() && schema.contains(keyword))
        return true;
    if (schema.is_structured())
        for (const Json& e : schema)
            if (usesKeyword(e, keyword))
                return true;
    return false;
}

/** Why ajv's verdict on this case is no reference (see the top of this file), or nullptr. */
inline const char* ajvExempt(const Json& schema, const Json& instance)
{
    if (usesKeyword(schema, "multipleOf") && hasHugeNumber(instance))
        return "multipleOf on a number beyond 2^53 (ajv tests the quotient with parseInt)";
    return nullptr;
}

/** \a v as ajv sees it: integers beyond 2^53 rounded to the nearest double (JSON.parse does the same). */
inline Json forAjv(Json v)
{
    if (v.is_number_unsigned()) {
        if (v.get<std::uint64_t>() > (std::uint64_t(1) << 53))
            v = static_cast<double>(v.get<std::uint64_t>());
    } else if (v.is_number_integer()) {
        const std::int64_t i = v.get<std::int64_t>();
        if (i > (std::int64_t(1) << 53) || i < -(std::int64_t(1) << 53))
            v = static_cast<double>(i);
    } else if (v.is_structured()) {
        for (Json& e : v)
            e = forAjv(std::move(e));
    }
    return v;
}

} // namespace elschemagen
