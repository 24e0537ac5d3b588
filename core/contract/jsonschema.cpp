// SPDX-License-Identifier: MIT
#include "contract/jsonschema.h"
#include "util/fastjson.h"
#include "util/linearregex.h"

// valijson reports schema problems through throwRuntimeError(), which aborts the process unless
// exceptions are enabled. This is the only translation unit that includes valijson.
#ifndef VALIJSON_USE_EXCEPTIONS
#define VALIJSON_USE_EXCEPTIONS 1
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#pragma GCC diagnostic ignored "-Woverloaded-virtual"
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <locale>
#include <map>
#include <new>
#include <optional>
#include <regex>
#include <set>
#include <unordered_map>

namespace el {

namespace {

// Custom keywords the effective schema uses instead of "pattern" and "format" (see rewriteKeywords).
const char* const kPatternKeyword = "x-eventlens-pattern";
const char* const kFormatKeyword = "x-eventlens-format";
const char* const kMarkKeyword = "x-eventlens-mark";
// ... and instead of "type" where it names "integer", and of an integer "multipleOf" (see rewriteKeywords).
const char* const kTypeKeyword = "x-eventlens-type";
const char* const kMultipleOfKeyword = "x-eventlens-multipleOf";
// Error texts the mark keyword pushes (never shown): "\x01mark <alternatives id>:<branch>:<b|e>".
const char* const kMarkPrefix = "\x01mark ";

// Longest string matched with a backtracking regex (libstdc++'s std::regex recurses per character
// and overflows the stack at a few tens of thousands of characters).
const std::size_t kMaxBacktrackingInput = 2000;
// Longest property name checked against patternProperties (valijson matches those with std::regex).
const std::size_t kMaxPatternPropertyName = 2000;

// The official draft-07 meta-schema (json-schema.org/draft-07/schema), used to reject bad schemas
// at load time (valijson itself accepts e.g. {"type": "strin"} or {"required": "x"} silently).
const char* const kDraft07MetaSchema = R"json({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "http://json-schema.org/draft-07/schema#",
    "title": "Core schema meta-schema",
    "definitions": {
        "schemaArray": {"type": "array", "minItems": 1, "items": {"$ref": "#"}},
        "nonNegativeInteger": {"type": "integer", "minimum": 0},
        "nonNegativeIntegerDefault0": {"allOf": [{"$ref": "#/definitions/nonNegativeInteger"}, {"default": 0}]},
        "simpleTypes": {"enum": ["array", "boolean", "integer", "null", "number", "object", "string"]},
        "stringArray": {"type": "array", "items": {"type": "string"}, "uniqueItems": true, "default": []}
    },
    "type": ["object", "boolean"],
    "properties": {
        "$id": {"type": "string", "format": "uri-reference"},
        "$schema": {"type": "string", "format": "uri"},
        "$ref": {"type": "string", "format": "uri-reference"},
        "$comment": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "default": true,
        "readOnly": {"type": "boolean", "default": false},
        "examples": {"type": "array", "items": true},
        "multipleOf": {"type": "number", "exclusiveMinimum": 0},
        "maximum": {"type": "number"},
        "exclusiveMaximum": {"type": "number"},
        "minimum": {"type": "number"},
        "exclusiveMinimum": {"type": "number"},
        "maxLength": {"$ref": "#/definitions/nonNegativeInteger"},
        "minLength": {"$ref": "#/definitions/nonNegativeIntegerDefault0"},
        "pattern": {"type": "string", "format": "regex"},
        "additionalItems": {"$ref": "#"},
        "items": {"anyOf": [{"$ref": "#"}, {"$ref": "#/definitions/schemaArray"}], "default": true},
        "maxItems": {"$ref": "#/definitions/nonNegativeInteger"},
        "minItems": {"$ref": "#/definitions/nonNegativeIntegerDefault0"},
        "uniqueItems": {"type": "boolean", "default": false},
        "contains": {"$ref": "#"},
        "maxProperties": {"$ref": "#/definitions/nonNegativeInteger"},
        "minProperties": {"$ref": "#/definitions/nonNegativeIntegerDefault0"},
        "required": {"$ref": "#/definitions/stringArray"},
        "additionalProperties": {"$ref": "#"},
        "definitions": {"type": "object", "additionalProperties": {"$ref": "#"}, "default": {}},
        "properties": {"type": "object", "additionalProperties": {"$ref": "#"}, "default": {}},
        "patternProperties": {"type": "object", "additionalProperties": {"$ref": "#"},
            "propertyNames": {"format": "regex"}, "default": {}},
        "dependencies": {"type": "object",
            "additionalProperties": {"anyOf": [{"$ref": "#"}, {"$ref": "#/definitions/stringArray"}]}},
        "propertyNames": {"$ref": "#"},
        "const": true,
        "enum": {"type": "array", "items": true},
        "type": {"anyOf": [{"$ref": "#/definitions/simpleTypes"},
            {"type": "array", "items": {"$ref": "#/definitions/simpleTypes"}, "minItems": 1, "uniqueItems": true}]},
        "format": {"type": "string"},
        "contentMediaType": {"type": "string"},
        "contentEncoding": {"type": "string"},
        "if": {"$ref": "#"},
        "then": {"$ref": "#"},
        "else": {"$ref": "#"},
        "allOf": {"$ref": "#/definitions/schemaArray"},
        "anyOf": {"$ref": "#/definitions/schemaArray"},
        "oneOf": {"$ref": "#/definitions/schemaArray"},
        "not": {"$ref": "#"}
    },
    "default": true
})json";

// Keywords whose value is one subschema / an array of subschemas / a map of subschemas.
const char* const kSingleSchemaKeywords[]
    = {"additionalItems", "additionalProperties", "contains", "propertyNames", "if", "then", "else", "not"};
const char* const kArraySchemaKeywords[] = {"allOf", "anyOf", "oneOf"};
const char* const kMapSchemaKeywords[] = {"properties", "patternProperties", "definitions", "dependencies"};

// Formats valijson 1.0 actually checks; the others are annotations only (as draft-07 allows).
bool valijsonChecksFormat(const std::string& f)
{
    return f == "date" || f == "time" || f == "date-time";
}

/** Calls fn(subschema, pointer) for every subschema position (schema-aware: never looks into enum/const/...). */
template<typename J, typename Fn> void forEachSchema(J& node, const std::string& pointer, Fn&& fn)
{
    fn(node, pointer);
    if (!node.is_object())
        return;
    for (const char* kw : kSingleSchemaKeywords) {
        auto it = node.find(kw);
        if (it != node.end())
            forEachSchema(*it, pointer + "/" + kw, fn);
    }
    for (const char* kw : kArraySchemaKeywords) {
        auto it = node.find(kw);
        if (it != node.end() && it->is_array()) {
            for (std::size_t i = 0; i < it->size(); ++i)
                forEachSchema((*it)[i], pointer + "/" + kw + "/" + std::to_string(i), fn);
        }
    }
    for (const char* kw : kMapSchemaKeywords) {
        auto it = node.find(kw);
        if (it != node.end() && it->is_object()) {
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (m->is_object() || m->is_boolean())
                    forEachSchema(*m, pointer + "/" + kw + "/" + jsonPointerEscape(m.key()), fn);
            }
        }
    }
    auto items = node.find("items");
    if (items != node.end()) {
        if (items->is_array()) {
            for (std::size_t i = 0; i < items->size(); ++i)
                forEachSchema((*items)[i], pointer + "/items/" + std::to_string(i), fn);
        } else {
            forEachSchema(*items, pointer + "/items", fn);
        }
    }
}

std::string percentDecode(const std::string& s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1]))
            && std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

/** Resolves a local reference ("#", "#/definitions/x") inside \a root; nullptr otherwise. */
const Json* resolveLocalRef(const Json& root, const std::string& ref)
{
    if (ref.empty() || ref[0] != '#')
        return nullptr;
    const std::string fragment = percentDecode(ref.substr(1));
    if (fragment.empty())
        return &root;
    if (fragment[0] != '/')
        return nullptr;
    try {
        const Json::json_pointer ptr(fragment);
        if (!root.contains(ptr))
            return nullptr;
        return &root.at(ptr);
    } catch (const std::exception&) {
        return nullptr;
    }
}

bool isIntegral(const Json& v)
{
    if (v.is_number_integer())
        return true;
    if (v.is_number_float()) {
        const double d = v.get<double>();
        return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
}

bool typeMatches(const Json& v, const std::string& type)
{
    if (type == "null")
        return v.is_null();
    if (type == "boolean")
        return v.is_boolean();
    if (type == "integer")
        return isIntegral(v);
    if (type == "number")
        return v.is_number();
    if (type == "string")
        return v.is_string();
    if (type == "array")
        return v.is_array();
    if (type == "object")
        return v.is_object();
    return false;
}

bool typeKeywordMatches(const Json& v, const Json& typeKw)
{
    if (typeKw.is_string())
        return typeMatches(v, typeKw.get<std::string>());
    if (typeKw.is_array()) {
        for (const Json& t : typeKw) {
            if (t.is_string() && typeMatches(v, t.get<std::string>()))
                return true;
        }
    }
    return false;
}

std::size_t utf8Length(const std::string& s)
{
    std::size_t n = 0;
    for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80)
            ++n;
    }
    return n;
}

std::string joinValues(const Json& arr)
{
    std::string out;
    for (std::size_t i = 0; i < arr.size(); ++i) {
        if (i)
            out += ", ";
        out += describeJsonValue(arr[i]);
    }
    return out;
}

std::string typeList(const Json& typeKw)
{
    if (typeKw.is_string())
        return typeKw.get<std::string>();
    std::string out;
    if (typeKw.is_array()) {
        for (std::size_t i = 0; i < typeKw.size(); ++i) {
            if (i)
                out += i + 1 == typeKw.size() ? " or " : ", ";
            out += typeKw[i].is_string() ? typeKw[i].get<std::string>() : typeKw[i].dump();
        }
    }
    return out;
}

/**
 * UTF-8 to code points (wchar_t is 32 bits on the supported systems). What el::utf8SequenceLength()
 * refuses (the project's one strict UTF-8 check) becomes U+FFFD, one per byte.
 */
std::wstring decodeUtf8(const std::string& s)
{
    static_assert(sizeof(wchar_t) == 4, "patterns are matched over code points in a 32-bit wchar_t");
    std::wstring out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = utf8SequenceLength(s, i);
        if (len == 0) {
            out += wchar_t(0xFFFD);
            ++i;
            continue;
        }
        const unsigned char c = static_cast<unsigned char>(s[i]);
        std::uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        for (std::size_t k = 1; k < len; ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        out += static_cast<wchar_t>(cp);
        i += len;
    }
    return out;
}

/**
 * Rewrites \s and \S to ECMA-262's white space and line terminators (libstdc++ classifies with the C
 * locale, which knows only ASCII space); \w, \d and \b are ASCII in both, as ECMA-262 wants.
 */
std::wstring ecmaWhiteSpace(const std::wstring& p)
{
    static const std::wstring ws
        = L"\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
    std::wstring out;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == L'\\' && i + 1 < p.size()) {
            const wchar_t c = p[++i];
            out += c == L's' ? L"[" + ws + L"]" : c == L'S' ? L"[^" + ws + L"]" : std::wstring {L'\\', c};
            continue;
        }
        if (p[i] != L'[') {
            out += p[i];
            continue;
        }
        // A character class: \s inside becomes the list; \S inside, which a class cannot complement,
        // turns the class into an alternative (or a look-ahead when the class is negated).
        std::size_t j = i + 1;
        const bool negated = j < p.size() && p[j] == L'^';
        if (negated)
            ++j;
        std::wstring body;
        bool nonSpace = false;
        for (; j < p.size() && p[j] != L']'; ++j) {
            if (p[j] == L'\\' && j + 1 < p.size()) {
                const wchar_t c = p[++j];
                if (c == L's')
                    body += ws;
                else if (c == L'S')
                    nonSpace = true;
                else
                    body += std::wstring {L'\\', c};
            } else {
                body += p[j];
            }
        }
        if (j >= p.size()) { // unclosed: leave it to the regex compiler to refuse
            out += p.substr(i);
            break;
        }
        i = j;
        const std::wstring cls = L"[" + std::wstring(negated ? L"^" : L"") + body + L"]";
        if (!nonSpace)
            out += cls;
        else if (body.empty())
            out += negated ? L"[" + ws + L"]" : L"[^" + ws + L"]";
        else if (!negated)
            out += L"(?:[" + body + L"]|[^" + ws + L"])";
        else
            out += L"(?:(?![" + body + L"])[" + ws + L"])";
    }
    return out;
}

/**
 * A draft-07 "pattern": an ECMA-262 regular expression over code points (std::wregex on the decoded
 * text), in libstdc++'s polynomial (Thompson NFA) mode, which does not recurse per input character.
 * Patterns with back-references cannot use that mode; they run backtracking, on texts of at most
 * kMaxBacktrackingInput characters. The constructor throws std::regex_error on a bad pattern.
 */
class CodePointRegex
{
public:
    explicit CodePointRegex(const std::string& pattern)
    {
        const std::wstring p = ecmaWhiteSpace(decodeUtf8(pattern));
        m_regex.imbue(std::locale::classic()); // classification must not follow the process locale
        try {
            m_regex.assign(p, std::regex::ECMAScript | std::regex_constants::__polynomial);
            m_polynomial = true;
        } catch (const std::regex_error&) {
            m_regex.assign(p, std::regex::ECMAScript);
        }
        // Most contract patterns (uuids, hex ids, "^\\S(.*\\S)?$") run on LinearRegex: one pass over the UTF-8
        // text, no allocation (std::wregex decodes to a wstring first). The others, and every pattern's validity,
        // stay with std::wregex.
        m_linear = LinearRegex::compile(pattern);
    }

    bool polynomial() const { return m_polynomial; }

    /** Whether \a text contains a match; nullopt when it is too long for a backtracking pattern. */
    std::optional<bool> search(const std::string& text) const
    {
        if (m_linear)
            return m_linear->search(text);
        const std::wstring t = decodeUtf8(text);
        if (!m_polynomial && t.size() > kMaxBacktrackingInput)
            return std::nullopt;
        return std::regex_search(t, m_regex);
    }

private:
    std::wregex m_regex;
    bool m_polynomial = false;
    std::optional<LinearRegex> m_linear;
};

/** Search with a "pattern" keyword's semantics (see CodePointRegex); \a ok: the pattern compiles. */
bool patternSearch(const std::string& pattern, const std::string& text, bool* ok = nullptr)
{
    try {
        const CodePointRegex re(pattern);
        if (ok)
            *ok = true;
        return re.search(text).value_or(false);
    } catch (const std::exception&) {
        if (ok)
            *ok = false;
        return false;
    }
}

/**
 * ECMAScript regex search over bytes (as valijson matches patternProperties) that cannot overflow the
 * stack: polynomial mode when the pattern allows it, else backtracking on short texts only (longer ones
 * count as no match). \a ok: the pattern compiles. "pattern" keywords use patternSearch().
 */
bool regexSearch(const std::string& pattern, const std::string& text, bool* ok = nullptr)
{
    try {
        std::regex re;
        bool polynomial = true;
        try {
            re = std::regex(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial);
        } catch (const std::regex_error&) {
            re = std::regex(pattern, std::regex::ECMAScript);
            polynomial = false;
        }
        if (ok)
            *ok = true;
        if (!polynomial && text.size() > kMaxBacktrackingInput)
            return false;
        return std::regex_search(text, re);
    } catch (const std::exception&) {
        if (ok)
            *ok = false;
        return false;
    }
}

/**
 * A "patternProperties" pattern for valijson, which matches property names with std::regex over UTF-8 bytes:
 * rewritten so that it matches the same names as the pattern does over code points (ECMA-262 with the "u"
 * flag, as CodePointRegex and ajv match). ".", "\S", "\D", "\W" and negated classes match one whole UTF-8
 * sequence, "\s" the ECMA-262 white space, a non-ASCII literal is one group. A pattern with a non-ASCII
 * character inside a class is returned as it is (bytes: its matches may differ for non-ASCII names).
 */
std::string utf8BytePattern(const std::string& pattern)
{
    static const std::string cp
        = R"((?:[\x00-\x7F]|[\xC0-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF7][\x80-\xBF]{3}))";
    static const std::string ws
        = R"((?:[\t\n\v\f\r ]|\xC2\xA0|\xE1\x9A\x80|\xE2\x80[\x80-\x8A\xA8\xA9\xAF]|\xE2\x81\x9F|\xE3\x80\x80|\xEF\xBB\xBF))";
    const auto except = [](const std::string& what) { return "(?:(?!" + what + ")" + cp + ")"; };
    const auto bytes = [](std::uint32_t c) {
        std::string u8;
        if (c < 0x800) {
            u8 += char(0xC0 | (c >> 6));
        } else if (c < 0x10000) {
            u8 += char(0xE0 | (c >> 12));
            u8 += char(0x80 | ((c >> 6) & 0x3F));
        } else {
            u8 += char(0xF0 | (c >> 18));
            u8 += char(0x80 | ((c >> 12) & 0x3F));
            u8 += char(0x80 | ((c >> 6) & 0x3F));
        }
        u8 += char(0x80 | (c & 0x3F));
        std::string out = "(?:";
        static const char* const hex = "0123456789ABCDEF";
        for (unsigned char b : u8)
            out += std::string("\\x") + hex[b >> 4] + hex[b & 15];
        return out + ")";
    };
    const std::wstring p = decodeUtf8(pattern);
    std::string out;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const wchar_t c = p[i];
        if (c == L'\\' && i + 1 < p.size()) {
            const wchar_t e = p[++i];
            if (e == L's')
                out += ws;
            else if (e == L'S')
                out += except(ws);
            else if (e == L'D')
                out += except("[0-9]");
            else if (e == L'W')
                out += except("[A-Za-z0-9_]");
            else if (e >= 0x80)
                out += bytes(std::uint32_t(e));
            else
                out += std::string {'\\', char(e)}; // ASCII escapes (\u and \x of ASCII only: see below)
            if ((e == L'u' || e == L'x') && i + 1 < p.size()) {
                const std::size_t n = e == L'u' ? 4 : 2;
                const std::wstring digits = p.substr(i + 1, n);
                if (digits.size() == n && std::all_of(digits.begin(), digits.end(), [](wchar_t d) {
                        return d < 0x80 && std::isxdigit(static_cast<unsigned char>(d));
                    })) {
                    const std::uint32_t v = std::stoul(std::string(digits.begin(), digits.end()), nullptr, 16);
                    if (v >= 0x80) {
                        out.erase(out.size() - 2);
                        out += bytes(v);
                    } else {
                        out += std::string(digits.begin(), digits.end());
                    }
                    i += n;
                }
            }
        } else if (c == L'.') {
            out += except(R"([\n\r]|\xE2\x80[\xA8\xA9])");
        } else if (c == L'[') {
            std::size_t j = i + 1;
            const bool negated = j < p.size() && p[j] == L'^';
            if (negated)
                ++j;
            std::string ascii;
            std::vector<std::string> alternatives;
            for (; j < p.size() && p[j] != L']'; ++j) {
                if (p[j] >= 0x80)
                    return pattern;
                if (p[j] == L'\\' && j + 1 < p.size()) {
                    const wchar_t e = p[++j];
                    if (e >= 0x80 || e == L'u' || e == L'x')
                        return pattern;
                    if (e == L's')
                        alternatives.push_back(ws);
                    else if (e == L'S')
                        alternatives.push_back(except(ws));
                    else if (e == L'D')
                        alternatives.push_back(except("[0-9]"));
                    else if (e == L'W')
                        alternatives.push_back(except("[A-Za-z0-9_]"));
                    else
                        ascii += std::string {'\\', char(e)};
                } else {
                    ascii += char(p[j]);
                }
            }
            if (j >= p.size() || (ascii.empty() && alternatives.empty()))
                return pattern; // unclosed, or [] / [^]: left to the regex compiler as written
            if (!ascii.empty())
                alternatives.insert(alternatives.begin(), "[" + ascii + "]");
            std::string any;
            for (const std::string& a : alternatives)
                any += (any.empty() ? "" : "|") + a;
            out += negated ? except(any) : "(?:" + any + ")";
            i = j;
        } else if (c >= 0x80) {
            out += bytes(std::uint32_t(c));
        } else {
            out += char(c);
        }
    }
    return out;
}

/** The draft-07 meta-schema's own URI: the one remote reference resolved (from the embedded copy). */
bool isMetaSchemaUri(std::string uri)
{
    if (!uri.empty() && uri.back() == '#')
        uri.pop_back();
    return uri == "http://json-schema.org/draft-07/schema" || uri == "https://json-schema.org/draft-07/schema";
}

const Json& metaSchemaDoc();

enum class Verdict { Valid, Invalid, Unknown };
/** What the fast evaluator (FastNode, below) says about \a instance against \a schema, a subschema. */
Verdict quickVerdict(const Json& schema, const Json& instance);

class FastNode;
/** The fast evaluator (below) compiled from \a schema, and its verdict on \a instance. */
std::shared_ptr<const FastNode> compileFast(const Json& schema);
Verdict evalFast(const FastNode& node, const Json& instance);

/**
 * What collectCandidates() reads of one schema node: found once per node of a compiled schema (SchemaIndex, with
 * its "if" compiled for the fast evaluator), or on the spot for a node the index does not hold (the meta-schema).
 */
struct NodeKeywords
{
    const Json* ref = nullptr; ///< a string "$ref"
    const Json* applicators[3] = {}; ///< kArraySchemaKeywords, when arrays
    const Json* ifNode = nullptr;
    const Json* thenNode = nullptr;
    const Json* elseNode = nullptr;
    const Json* dependencies = nullptr; ///< an object
    const Json* properties = nullptr; ///< an object
    const Json* patternProperties = nullptr; ///< an object
    const Json* additionalProperties = nullptr;
    const Json* items = nullptr;
    const Json* additionalItems = nullptr;
    std::shared_ptr<const FastNode> ifFast; ///< ifNode compiled

    static NodeKeywords of(const Json& node)
    {
        NodeKeywords k;
        if (!node.is_object())
            return k;
        const auto find = [&node](const char* kw) -> const Json* {
            const auto it = node.find(kw);
            return it == node.end() ? nullptr : &*it;
        };
        k.ref = find("$ref");
        if (k.ref && !k.ref->is_string())
            k.ref = nullptr;
        for (int i = 0; i < 3; ++i) {
            k.applicators[i] = find(kArraySchemaKeywords[i]);
            if (k.applicators[i] && !k.applicators[i]->is_array())
                k.applicators[i] = nullptr;
        }
        k.ifNode = find("if");
        k.thenNode = find("then");
        k.elseNode = find("else");
        k.dependencies = find("dependencies");
        if (k.dependencies && !k.dependencies->is_object())
            k.dependencies = nullptr;
        k.properties = find("properties");
        if (k.properties && !k.properties->is_object())
            k.properties = nullptr;
        k.patternProperties = find("patternProperties");
        if (k.patternProperties && !k.patternProperties->is_object())
            k.patternProperties = nullptr;
        k.additionalProperties = find("additionalProperties");
        k.items = find("items");
        k.additionalItems = find("additionalItems");
        return k;
    }
};

/** NodeKeywords of every schema node of a compiled schema, by address (read-only once built: thread-safe). */
struct SchemaIndex
{
    std::unordered_map<const Json*, NodeKeywords> nodes;
    /// The values of every "enum" keyword, joined for a message (joinValues()), by the keyword's address.
    std::unordered_map<const Json*, std::string> enumTexts;
};

SchemaIndex indexSchema(const Json& root)
{
    SchemaIndex index;
    forEachSchema(root, std::string(), [&index](const Json& node, const std::string&) {
        NodeKeywords k = NodeKeywords::of(node);
        if (k.ifNode)
            k.ifFast = compileFast(*k.ifNode);
        index.nodes.emplace(&node, std::move(k));
        if (node.is_object()) {
            const auto en = node.find("enum");
            if (en != node.end() && en->is_array())
                index.enumTexts.emplace(&*en, joinValues(*en));
        }
    });
    return index;
}

/**
 * Subschemas that apply to the instance location \a tokens (following $ref, applicators, properties, items).
 * \a index: the NodeKeywords of \a root's nodes (nullptr: found on the spot).
 */
void collectCandidates(const Json& root, const SchemaIndex* index, const Json& node, const Json* inst,
    const std::vector<std::string>& tokens, std::size_t i, std::vector<const Json*>& out, int depth)
{
    if (depth > 64 || !node.is_object())
        return;
    NodeKeywords local;
    const NodeKeywords* kw = nullptr;
    if (index) {
        const auto found = index->nodes.find(&node);
        if (found != index->nodes.end())
            kw = &found->second;
    }
    if (!kw) {
        local = NodeKeywords::of(node);
        kw = &local;
    }
    if (kw->ref) {
        const std::string& ref = kw->ref->get_ref<const std::string&>();
        if (isMetaSchemaUri(ref)) {
            const Json& meta = metaSchemaDoc();
            collectCandidates(meta, nullptr, meta, inst, tokens, i, out, depth + 1);
        } else if (const Json* target = resolveLocalRef(root, ref)) {
            collectCandidates(root, index, *target, inst, tokens, i, out, depth + 1);
        }
        return; // draft-07: siblings of $ref are ignored
    }
    if (i == tokens.size())
        out.push_back(&node);
    for (const Json* list : kw->applicators) {
        if (list) {
            for (const Json& sub : *list)
                collectCandidates(root, index, sub, inst, tokens, i, out, depth + 1);
        }
    }
    // An "if" never fails the instance, "then" applies only where it holds and "else" only where it
    // fails: neither the condition nor the branch that did not apply may lend its keywords to a message
    // (when the fast evaluator cannot tell whether the condition holds, both branches are kept).
    Verdict condition = Verdict::Unknown;
    if (kw->ifNode && inst)
        condition = kw->ifFast ? evalFast(*kw->ifFast, *inst) : quickVerdict(*kw->ifNode, *inst);
    if (kw->thenNode && condition != Verdict::Invalid)
        collectCandidates(root, index, *kw->thenNode, inst, tokens, i, out, depth + 1);
    if (kw->elseNode && condition != Verdict::Valid)
        collectCandidates(root, index, *kw->elseNode, inst, tokens, i, out, depth + 1);
    if (kw->dependencies) {
        for (const Json& sub : *kw->dependencies) {
            if (sub.is_object())
                collectCandidates(root, index, sub, inst, tokens, i, out, depth + 1);
        }
    }
    if (i >= tokens.size() || !inst)
        return;
    const std::string& tok = tokens[i];
    if (inst->is_object()) {
        auto childIt = inst->find(tok);
        const Json* child = childIt != inst->end() ? &*childIt : nullptr;
        bool matched = false;
        if (kw->properties) {
            auto p = kw->properties->find(tok);
            if (p != kw->properties->end()) {
                matched = true;
                collectCandidates(root, index, *p, child, tokens, i + 1, out, depth + 1);
            }
        }
        if (kw->patternProperties) {
            for (auto p = kw->patternProperties->begin(); p != kw->patternProperties->end(); ++p) {
                if (regexSearch(p.key(), tok)) {
                    matched = true;
                    collectCandidates(root, index, *p, child, tokens, i + 1, out, depth + 1);
                }
            }
        }
        if (!matched && kw->additionalProperties)
            collectCandidates(root, index, *kw->additionalProperties, child, tokens, i + 1, out, depth + 1);
    } else if (inst->is_array()) {
        std::size_t idx = 0;
        try {
            idx = static_cast<std::size_t>(std::stoul(tok));
        } catch (const std::exception&) {
            return;
        }
        const Json* child = idx < inst->size() ? &(*inst)[idx] : nullptr;
        const Json* items = kw->items;
        if (!items)
            return;
        if (items->is_array()) {
            if (idx < items->size()) {
                collectCandidates(root, index, (*items)[idx], child, tokens, i + 1, out, depth + 1);
            } else if (kw->additionalItems) {
                collectCandidates(root, index, *kw->additionalItems, child, tokens, i + 1, out, depth + 1);
            }
        } else {
            collectCandidates(root, index, *items, child, tokens, i + 1, out, depth + 1);
        }
    }
}

struct RawError
{
    std::vector<std::string> tokens; ///< unescaped pointer tokens relative to the validated instance
    std::string description; ///< valijson's text
};

bool startsWith(const std::string& s, const char* prefix)
{
    return s.rfind(prefix, 0) == 0;
}

/** valijson errors that only summarise errors reported below them. */
bool isWrapper(const std::string& d)
{
    return startsWith(d, "Failed to validate against any schemas allowed by anyOf")
        || startsWith(d, "Failed to validate against a conditional schema")
        || startsWith(d, "Failed to validate against child schema #")
        || startsWith(d, "Failed to validate against any child schemas allowed by oneOf")
        || startsWith(d, "Failed to validate item #")
        || startsWith(d, "Failed to validate against additional properties")
        || startsWith(d, "Failed to validate against schema associated with property name")
        || startsWith(d, "Failed to validate against schema associated with pattern")
        || startsWith(d, "Failed to validate against dependent schema");
}

bool isPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& v)
{
    return prefix.size() <= v.size() && std::equal(prefix.begin(), prefix.end(), v.begin());
}

/** Text between the first quote after \a marker and the last quote of \a d. */
std::string quotedName(const std::string& d, const std::string& marker)
{
    const std::size_t m = d.find(marker);
    if (m == std::string::npos)
        return {};
    const std::size_t a = d.find('\'', m + marker.size() - 1);
    const std::size_t b = d.rfind('\'');
    if (a == std::string::npos || b == std::string::npos || b <= a)
        return {};
    return d.substr(a + 1, b - a - 1);
}

class ErrorTranslator
{
public:
    ErrorTranslator(const Json& schemaRoot, const Json& instance, const std::string& base, const std::string& rootName,
        const SchemaIndex* index = nullptr)
        : m_root(schemaRoot)
        , m_index(index)
        , m_instance(instance)
        , m_base(base)
        , m_rootName(rootName)
    { }

    void translate(const RawError& e, std::vector<SchemaError>& out)
    {
        const std::string& d = e.description;
        const Location& here = location(e.tokens);
        const Json* value = here.value;
        const std::string& name = here.name;
        const std::string& actual = here.actual;
        auto emit = [&](const std::vector<std::string>& tokens, std::string message) {
            out.push_back({m_base + jsonPointerFromTokens(tokens), std::move(message)});
        };
        auto child = [&](const std::string& tok) {
            std::vector<std::string> t = e.tokens;
            t.push_back(tok);
            return t;
        };

        if (startsWith(d, "Missing required property '")) {
            const std::string prop = quotedName(d, "property '");
            emit(child(prop), "required property " + displayName(child(prop)) + " is missing");
            return;
        }
        if (startsWith(d, "Missing dependency '")) {
            const std::string prop = quotedName(d, "dependency '");
            std::string because;
            for (const Json* c : candidates(e.tokens)) {
                auto deps = c->find("dependencies");
                if (deps == c->end() || !deps->is_object() || !value || !value->is_object())
                    continue;
                for (auto it = deps->begin(); it != deps->end(); ++it) {
                    if (it->is_array() && value->contains(it.key())
                        && std::find(it->begin(), it->end(), Json(prop)) != it->end()) {
                        because = it.key();
                        break;
                    }
                }
                if (!because.empty())
                    break;
            }
            emit(child(prop),
                "required property " + displayName(child(prop)) + " is missing"
                    + (because.empty() ? std::string() : " (required when " + because + " is present)"));
            return;
        }
        if (startsWith(d, "Object contains a property that could not be validated")) {
            const std::string first = quotedName(d, "constraints: '");
            std::vector<std::string> extra = unexpectedProperties(e.tokens, value);
            if (std::find(extra.begin(), extra.end(), first) == extra.end())
                extra.insert(extra.begin(), first);
            for (const std::string& p : extra)
                emit(child(p), "property " + displayName(child(p)) + " is not allowed (additionalProperties is false)");
            return;
        }
        if (startsWith(d, "Failed to match against any enum values")) {
            const Json* kw = keyword(e.tokens, "enum", value, [&](const Json& k) {
                return k.is_array() && value && std::find(k.begin(), k.end(), *value) == k.end();
            });
            if (kw && kw->size() == 1)
                emit(e.tokens, name + " is " + actual + ", expected " + describeJsonValue((*kw)[0]));
            else if (kw)
                emit(e.tokens, name + " is " + actual + ", expected one of " + enumText(*kw));
            else
                emit(e.tokens, name + " is " + actual + ", which is not one of the allowed values");
            return;
        }
        if (startsWith(d, "Failed to match expected value set by 'const'")) {
            const Json* kw = keyword(e.tokens, "const", value, [&](const Json& k) { return !value || k != *value; });
            emit(e.tokens,
                name + " is " + actual + ", expected "
                    + (kw ? describeJsonValue(*kw) : std::string("the const value")));
            return;
        }
        if (startsWith(d, "Value type not permitted by 'type'")) {
            const auto fails = [&](const Json& k) { return !value || !typeKeywordMatches(*value, k); };
            const Json* kw = keyword(e.tokens, kTypeKeyword, value, fails);
            if (!kw)
                kw = keyword(e.tokens, "type", value, fails);
            const std::string actualType = value ? " (" + jsonTypeName(*value) + ")" : std::string();
            emit(e.tokens, name + " is " + actual + actualType + ", expected " + (kw ? typeList(*kw) : "another type"));
            return;
        }
        if (startsWith(d, "Failed to match regex specified by 'pattern'")) {
            const Json* kw = keyword(e.tokens, kPatternKeyword, value, [&](const Json& k) {
                return k.is_string() && value && value->is_string()
                    && !patternSearch(k.get<std::string>(), value->get<std::string>());
            });
            emit(e.tokens,
                name + " is " + actual + ", expected to match the pattern "
                    + (kw ? kw->get<std::string>() : std::string("of the schema")));
            return;
        }
        if (startsWith(d, "String too long to match a pattern with back-references")) {
            const std::size_t len = value && value->is_string() ? utf8Length(value->get<std::string>()) : 0;
            emit(e.tokens,
                name + " is " + std::to_string(len) + " characters long, too long to check against its pattern"
                    + " (patterns with back-references are checked on at most " + std::to_string(kMaxBacktrackingInput)
                    + " characters)");
            return;
        }
        if (startsWith(d, "Expected number less than or equal to")) {
            emit(e.tokens, name + " is " + actual + ", expected at most " + number(e.tokens, "maximum", d));
            return;
        }
        if (startsWith(d, "Expected number less than")) {
            emit(e.tokens, name + " is " + actual + ", expected less than " + number(e.tokens, "exclusiveMaximum", d));
            return;
        }
        if (startsWith(d, "Expected number greater than or equal to")) {
            emit(e.tokens, name + " is " + actual + ", expected at least " + number(e.tokens, "minimum", d));
            return;
        }
        if (startsWith(d, "Expected number greater than")) {
            emit(e.tokens,
                name + " is " + actual + ", expected greater than " + number(e.tokens, "exclusiveMinimum", d));
            return;
        }
        if (startsWith(d, "Value should be a multiple of")) {
            const Json* kw = keyword(e.tokens, kMultipleOfKeyword, nullptr, [](const Json&) { return true; });
            emit(e.tokens,
                name + " is " + actual + ", expected a multiple of "
                    + (kw && kw->is_number() ? kw->dump() : number(e.tokens, "multipleOf", d)));
            return;
        }
        if (startsWith(d, "String should be no more than") || startsWith(d, "String should be no fewer than")) {
            const bool max = startsWith(d, "String should be no more than");
            const std::string len = value && value->is_string() ? std::to_string(utf8Length(value->get<std::string>()))
                                                                : std::string("?");
            const std::string limit = number(e.tokens, max ? "maxLength" : "minLength", d);
            emit(e.tokens,
                name + " is " + actual + " (" + len + (len == "1" ? " character" : " characters") + "), expected "
                    + (max ? "at most " : "at least ") + limit + (limit == "1" ? " character" : " characters"));
            return;
        }
        if (startsWith(d, "Array should contain no more than") || startsWith(d, "Array should contain no fewer than")) {
            const bool max = startsWith(d, "Array should contain no more than");
            const std::string n = value && value->is_array() ? std::to_string(value->size()) : std::string("?");
            emit(e.tokens,
                name + " has " + n + (n == "1" ? " item" : " items") + ", expected " + (max ? "at most " : "at least ")
                    + number(e.tokens, max ? "maxItems" : "minItems", d));
            return;
        }
        if (startsWith(d, "Object should have no more than") || startsWith(d, "Object should have no fewer than")) {
            const bool max = startsWith(d, "Object should have no more than");
            const std::string n = value && value->is_object() ? std::to_string(value->size()) : std::string("?");
            emit(e.tokens,
                name + " has " + n + (n == "1" ? " property" : " properties") + ", expected "
                    + (max ? "at most " : "at least ") + number(e.tokens, max ? "maxProperties" : "minProperties", d));
            return;
        }
        if (startsWith(d, "Elements at indexes #")) {
            std::string idx = d.substr(std::string("Elements at indexes #").size());
            idx = idx.substr(0, idx.find(" violate"));
            idx.erase(std::remove(idx.begin(), idx.end(), '#'), idx.end());
            emit(e.tokens, name + " has equal items at indexes " + idx + ", expected unique items");
            return;
        }
        if (startsWith(d, "Array contains more items than allowed") || startsWith(d, "Cannot validate item #")) {
            std::string allowed = "?";
            for (const Json* c : candidates(e.tokens)) {
                auto items = c->find("items");
                if (items != c->end() && items->is_array()) {
                    allowed = std::to_string(items->size());
                    break;
                }
            }
            const std::string n = value && value->is_array() ? std::to_string(value->size()) : std::string("?");
            emit(e.tokens, name + " has " + n + " items, expected at most " + allowed + " (additionalItems is false)");
            return;
        }
        if (startsWith(d, "Failed to any values against subschema in 'contains'")) {
            emit(e.tokens, name + " is " + actual + ", expected at least one item matching the contains schema");
            return;
        }
        if (startsWith(d, "Target should not validate against schema specified in 'not'")) {
            // Common idioms get precise messages: {"not": {"required": [...]}}, {"not": {"enum"/"const": ...}}.
            for (const Json* c : candidates(e.tokens)) {
                auto n = c->find("not");
                if (n == c->end() || !n->is_object() || n->size() != 1 || !value)
                    continue;
                auto req = n->find("required");
                if (req != n->end() && req->is_array() && value->is_object()) {
                    bool all = !req->empty();
                    for (const Json& r : *req)
                        all = all && r.is_string() && value->contains(r.get<std::string>());
                    if (!all)
                        continue;
                    for (const Json& r : *req) {
                        const std::string prop = r.get<std::string>();
                        emit(child(prop),
                            displayName(child(prop)) + " is " + describeJsonValue((*value)[prop])
                                + ", expected it to be absent");
                    }
                    return;
                }
                auto en = n->find("enum");
                if (en != n->end() && en->is_array() && std::find(en->begin(), en->end(), *value) != en->end()) {
                    emit(e.tokens, name + " is " + actual + ", expected anything except " + enumText(*en));
                    return;
                }
                auto cn = n->find("const");
                if (cn != n->end() && *cn == *value) {
                    emit(e.tokens, name + " is " + actual + ", expected anything except " + describeJsonValue(*cn));
                    return;
                }
            }
            emit(e.tokens, name + " is " + actual + ", expected it not to match the schema under \"not\"");
            return;
        }
        if (startsWith(d, "Failed to validate against exactly one child schema")) {
            emit(e.tokens,
                name + " is " + actual + ", expected it to match exactly one oneOf alternative (matches several)");
            return;
        }
        if (startsWith(d, "String should be a valid ")) {
            emit(e.tokens,
                name + " is " + actual + ", expected a valid "
                    + d.substr(std::string("String should be a valid ").size()));
            return;
        }
        // Wrappers kept because nothing more specific was reported below them (e.g. a `false` subschema).
        if (startsWith(d, "Failed to validate against schema associated with property name")) {
            const std::string prop = quotedName(d, "property name '");
            const Json* pv = valueAt(child(prop));
            bool forbidden = false; // {"properties": {"x": false}}: x must be absent
            for (const Json* c : candidates(e.tokens)) {
                auto props = c->find("properties");
                if (props != c->end() && props->is_object()) {
                    auto p = props->find(prop);
                    forbidden = forbidden || (p != props->end() && p->is_boolean() && !p->get<bool>());
                }
            }
            emit(child(prop),
                displayName(child(prop)) + " is " + (pv ? describeJsonValue(*pv) : std::string("missing"))
                    + (forbidden ? ", expected it to be absent" : ", which its schema does not allow"));
            return;
        }
        if (startsWith(d, "Failed to validate item #")) {
            std::string idx = d.substr(std::string("Failed to validate item #").size());
            idx = idx.substr(0, idx.find(' '));
            std::vector<std::string> t = e.tokens;
            if (t.empty() || t.back() != idx)
                t.push_back(idx);
            const Json* iv = valueAt(t);
            emit(t,
                displayName(t) + " is " + (iv ? describeJsonValue(*iv) : std::string("missing"))
                    + ", which its schema does not allow");
            return;
        }
        if (startsWith(d, "Failed to validate against schema associated with pattern")) {
            const std::string pattern = quotedName(d, "pattern '");
            bool any = false;
            if (value && value->is_object()) {
                for (auto m = value->begin(); m != value->end(); ++m) {
                    if (regexSearch(pattern, m.key())) {
                        any = true;
                        emit(child(m.key()),
                            displayName(child(m.key())) + " is " + describeJsonValue(*m)
                                + ", which the schema for properties matching " + pattern + " does not allow");
                    }
                }
            }
            if (!any)
                emit(e.tokens, name + " is " + actual + ", which the schema does not allow");
            return;
        }
        if (startsWith(d, "Failed to validate against additional properties schema")) {
            const std::vector<std::string> extra = unexpectedProperties(e.tokens, value, false);
            for (const std::string& p : extra) {
                const Json* pv = valueAt(child(p));
                emit(child(p),
                    displayName(child(p)) + " is " + (pv ? describeJsonValue(*pv) : std::string("missing"))
                        + ", which the additionalProperties schema does not allow");
            }
            if (extra.empty())
                emit(e.tokens, name + " is " + actual + ", which the schema does not allow");
            return;
        }
        if (startsWith(d, "Failed to validate against dependent schema")) {
            std::string because;
            for (const Json* c : candidates(e.tokens)) {
                auto deps = c->find("dependencies");
                if (deps == c->end() || !deps->is_object() || !value || !value->is_object())
                    continue;
                for (auto it = deps->begin(); it != deps->end() && because.empty(); ++it) {
                    if (!it->is_array() && value->contains(it.key()))
                        because = it.key();
                }
                if (!because.empty())
                    break;
            }
            emit(e.tokens,
                name + " is " + actual + ", which does not match the schema that applies when "
                    + (because.empty() ? std::string("a dependency") : because) + " is present");
            return;
        }
        emit(e.tokens, name + " is " + actual + ", which the schema does not allow");
    }

    /** One error for an anyOf/oneOf none of whose alternatives matched, naming what each (or the closest) lacks. */
    void summariseAlternatives(const std::vector<std::string>& tokens, const std::string& keyword, std::size_t count,
        const std::vector<std::pair<std::size_t, std::vector<SchemaError>>>& branches, std::vector<SchemaError>& out)
    {
        auto text = [](const std::vector<SchemaError>& errs) {
            std::string t;
            for (const SchemaError& e : errs)
                t += (t.empty() ? "" : " and ") + e.message;
            return t.empty() ? std::string("does not match") : t;
        };
        std::string message
            = displayName(tokens) + " matches none of the " + std::to_string(count) + " " + keyword + " alternatives";
        if (branches.size() == count && count <= 3) {
            message += ":";
            for (const auto& [index, errs] : branches)
                message += " [" + std::to_string(index) + "] " + text(errs) + ";";
            message.pop_back();
        } else if (!branches.empty()) {
            const auto closest = std::min_element(branches.begin(), branches.end(),
                [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
            message += "; the closest is [" + std::to_string(closest->first) + "]: " + text(closest->second);
        }
        out.push_back({m_base + jsonPointerFromTokens(tokens), std::move(message)});
    }

    /** The instance's value at \a tokens (unescaped), or nullptr. */
    const Json* valueAt(const std::vector<std::string>& tokens) const
    {
        return findPointer(m_instance, jsonPointerFromTokens(tokens));
    }

    /** "runtime_type", "user.plan", "tags[0]"; the root name for the instance itself. */
    std::string displayName(const std::vector<std::string>& tokens) const
    {
        if (tokens.empty())
            return m_rootName;
        std::string out = m_instance.is_array() ? m_rootName : std::string();
        const Json* v = &m_instance;
        for (const std::string& t : tokens) {
            if (v && v->is_array()) {
                out += "[" + t + "]";
            } else {
                if (!out.empty())
                    out += ".";
                out += t;
            }
            if (v && v->is_object()) {
                auto it = v->find(t);
                v = it != v->end() ? &*it : nullptr;
            } else if (v && v->is_array()) {
                std::size_t idx = static_cast<std::size_t>(std::strtoul(t.c_str(), nullptr, 10));
                v = idx < v->size() ? &(*v)[idx] : nullptr;
            } else {
                v = nullptr;
            }
        }
        return out;
    }

private:
    /** What messages say of an instance location: its value, its name and the value described. */
    struct Location
    {
        const Json* value = nullptr;
        std::string name;
        std::string actual;
    };
    /** Found once per location (alternatives report the same location once per branch). */
    const Location& location(const std::vector<std::string>& tokens)
    {
        auto [it, inserted] = m_locations.try_emplace(tokens);
        if (inserted) {
            Location& l = it->second;
            l.value = valueAt(tokens);
            l.name = displayName(tokens);
            l.actual = l.value ? describeJsonValue(*l.value) : std::string("missing");
        }
        return it->second;
    }

    /** joinValues() of an "enum" keyword's value, joined once per compiled schema when it is one of its own. */
    std::string enumText(const Json& en) const
    {
        if (m_index) {
            const auto found = m_index->enumTexts.find(&en);
            if (found != m_index->enumTexts.end())
                return found->second;
        }
        return joinValues(en);
    }

    const std::vector<const Json*>& candidates(const std::vector<std::string>& tokens)
    {
        auto it = m_candidates.find(tokens);
        if (it != m_candidates.end())
            return it->second;
        std::vector<const Json*> out;
        collectCandidates(m_root, m_index, m_root, &m_instance, tokens, 0, out, 0);
        return m_candidates.emplace(tokens, std::move(out)).first->second;
    }

    /**
     * The value of \a kw in the k-th applicable subschema that \a fails says the value fails (k = how many
     * times this keyword was already reported at this location), so alternatives of anyOf get their own
     * expected values; falls back to any subschema having the keyword.
     */
    template<typename Pred>
    const Json* keyword(const std::vector<std::string>& tokens, const char* kw, const Json* /*value*/, Pred fails)
    {
        // The subschemas and the verdict of \a fails depend only on the location and the keyword (each keyword
        // has one predicate, of the keyword's value and the instance's value there): found once per translator.
        // Alternatives report the same location once per branch, and scanning every branch's keyword each time
        // was quadratic (ui_click's anyOf of 60 branches).
        auto [it, inserted] = m_keywords.try_emplace(std::make_pair(tokens, std::string(kw)));
        KeywordHits& hits = it->second;
        if (inserted) {
            for (const Json* c : candidates(tokens)) {
                auto found = c->find(kw);
                if (found == c->end())
                    continue;
                if (!hits.any)
                    hits.any = &*found;
                if (fails(*found))
                    hits.failing.push_back(&*found);
            }
        }
        const std::size_t k = hits.occurrences++;
        if (!hits.failing.empty())
            return hits.failing[std::min(k, hits.failing.size() - 1)];
        return hits.any;
    }

    /** The keyword's number as written in the schema, else the number in valijson's text. */
    std::string number(const std::vector<std::string>& tokens, const char* kw, const std::string& description)
    {
        const Json* v = keyword(tokens, kw, nullptr, [](const Json&) { return true; });
        if (v && v->is_number())
            return v->dump();
        // valijson prints std::to_string(double): trim trailing zeros.
        const std::size_t p = description.find_first_of("0123456789-");
        if (p == std::string::npos)
            return "?";
        std::string n = description.substr(p);
        n = n.substr(0, n.find_first_not_of("0123456789.-e+"));
        if (n.find('.') != std::string::npos) {
            while (!n.empty() && n.back() == '0')
                n.pop_back();
            if (!n.empty() && n.back() == '.')
                n.pop_back();
        }
        return n;
    }

    /** Members not matched by properties/patternProperties of the first subschema whose additionalProperties
     * is false (\a onlyFalse) or any non-true schema. */
    std::vector<std::string> unexpectedProperties(
        const std::vector<std::string>& tokens, const Json* value, bool onlyFalse = true)
    {
        std::vector<std::string> out;
        if (!value || !value->is_object())
            return out;
        for (const Json* c : candidates(tokens)) {
            auto addl = c->find("additionalProperties");
            if (addl == c->end() || (addl->is_boolean() && addl->get<bool>()) || (onlyFalse && !addl->is_boolean()))
                continue;
            for (auto m = value->begin(); m != value->end(); ++m) {
                bool known = false;
                auto props = c->find("properties");
                if (props != c->end() && props->is_object() && props->contains(m.key()))
                    known = true;
                auto pprops = c->find("patternProperties");
                if (!known && pprops != c->end() && pprops->is_object()) {
                    for (auto p = pprops->begin(); p != pprops->end() && !known; ++p)
                        known = regexSearch(p.key(), m.key());
                }
                if (!known && std::find(out.begin(), out.end(), m.key()) == out.end())
                    out.push_back(m.key());
            }
            break;
        }
        return out;
    }

    const Json& m_root;
    const SchemaIndex* m_index; ///< of m_root's nodes, or nullptr
    const Json& m_instance;
    const std::string m_base; // copies: callers pass temporaries
    const std::string m_rootName;
    std::map<std::vector<std::string>, std::vector<const Json*>> m_candidates;
    std::map<std::vector<std::string>, Location> m_locations;
    struct KeywordHits
    {
        std::vector<const Json*> failing; ///< the keyword's values that the instance fails, in candidate order
        const Json* any = nullptr; ///< the first value of the keyword, failing or not
        std::size_t occurrences = 0; ///< how many times the keyword was reported at the location
    };
    std::map<std::pair<std::vector<std::string>, std::string>, KeywordHits> m_keywords;
};

/**
 * Finds a $ref cycle that consumes no input: from a subschema, "$ref" and the keywords that apply to the
 * same instance (allOf, anyOf, oneOf, not, if, then, else, schema dependencies) lead back to it, so
 * evaluating it would recurse forever (valijson overflows the stack, at parse or at validation time).
 * Cycles through properties, items and the like end with the instance and are fine.
 */
class RefCycleFinder
{
public:
    explicit RefCycleFinder(const Json& root)
        : m_root(root)
    { }

    /** The first cycle as schema pointers ("# -> #/allOf/0 -> #"), or "" when there is none. */
    std::string find()
    {
        std::string cycle;
        forEachSchema(m_root, std::string(), [&](const Json& node, const std::string& pointer) {
            if (cycle.empty())
                cycle = visit(node, pointer);
        });
        return cycle;
    }

private:
    std::string visit(const Json& node, const std::string& pointer)
    {
        if (!node.is_object())
            return {};
        const auto state = m_done.find(&node);
        if (state != m_done.end()) {
            if (state->second)
                return {};
            std::string cycle;
            bool inCycle = false;
            for (const auto& [n, p] : m_stack) {
                inCycle = inCycle || n == &node;
                if (inCycle)
                    cycle += "#" + p + " -> ";
            }
            return cycle + "#" + pointer;
        }
        m_done[&node] = false;
        m_stack.emplace_back(&node, pointer);
        std::string cycle;
        const auto next = [&](const Json& sub, const std::string& p) {
            if (cycle.empty())
                cycle = visit(sub, p);
        };
        const auto ref = node.find("$ref");
        if (ref != node.end() && ref->is_string()) { // draft-07: siblings of $ref are ignored
            const std::string r = ref->get<std::string>();
            const Json* target = isMetaSchemaUri(r) ? nullptr : resolveLocalRef(m_root, r);
            if (target)
                next(*target, percentDecode(r.substr(1)));
        } else {
            for (const char* kw : kArraySchemaKeywords) {
                const auto it = node.find(kw);
                if (it != node.end() && it->is_array())
                    for (std::size_t i = 0; i < it->size(); ++i)
                        next((*it)[i], pointer + "/" + kw + "/" + std::to_string(i));
            }
            for (const char* kw : {"not", "if", "then", "else"}) {
                const auto it = node.find(kw);
                if (it != node.end())
                    next(*it, pointer + "/" + kw);
            }
            const auto deps = node.find("dependencies");
            if (deps != node.end() && deps->is_object())
                for (auto d = deps->begin(); d != deps->end(); ++d)
                    next(*d, pointer + "/dependencies/" + jsonPointerEscape(d.key()));
        }
        m_stack.pop_back();
        m_done[&node] = true;
        return cycle;
    }

    const Json& m_root;
    std::map<const Json*, bool> m_done; ///< false while on the stack
    std::vector<std::pair<const Json*, std::string>> m_stack;
};

/** Static checks valijson does not do at parse time; returns an error or "". */
std::string checkSchemaStatically(const Json& schema)
{
    std::string error;
    forEachSchema(schema, std::string(), [&](const Json& node, const std::string& pointer) {
        if (!error.empty() || !node.is_object())
            return;
        auto pattern = node.find("pattern");
        if (pattern != node.end() && pattern->is_string()) {
            bool ok = false;
            patternSearch(pattern->get<std::string>(), std::string(), &ok);
            if (!ok)
                error = "invalid regular expression at " + pointer + "/pattern: " + pattern->get<std::string>();
        }
        auto pprops = node.find("patternProperties");
        if (pprops != node.end() && pprops->is_object()) {
            for (auto p = pprops->begin(); p != pprops->end() && error.empty(); ++p) {
                bool ok = false;
                regexSearch(p.key(), std::string(), &ok);
                if (!ok)
                    error = "invalid regular expression at " + pointer + "/patternProperties: " + p.key();
            }
        }
        auto ref = node.find("$ref");
        if (ref != node.end() && ref->is_string()) {
            const std::string r = ref->get<std::string>();
            if (isMetaSchemaUri(r))
                return;
            if (r.empty() || r[0] != '#')
                error = "reference at " + pointer + "/$ref is not supported: " + r
                    + " (only local references like #/definitions/name; contracts are self-contained)";
            else if (!resolveLocalRef(schema, r))
                error = "unresolvable reference at " + pointer + "/$ref: " + r;
        }
    });
    if (error.empty()) {
        const std::string cycle = RefCycleFinder(schema).find();
        if (!cycle.empty())
            error = "$ref cycle that consumes no input (it would recurse forever): " + cycle;
    }
    if (error.empty() && schema.is_object()) {
        auto s = schema.find("$schema");
        if (s != schema.end() && s->is_string()) {
            if (!isMetaSchemaUri(s->get<std::string>()))
                error = "unsupported $schema " + s->get<std::string>() + " (only draft-07 is supported)";
        }
    }
    return error;
}

/** "pattern" with a stack-safe matcher over code points (see CodePointRegex). */
class SafePatternConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit SafePatternConstraint(std::string pattern)
        : m_pattern(std::move(pattern))
        , m_regex(std::make_shared<const CodePointRegex>(m_pattern)) // throws on a bad pattern (checked earlier)
    { }

    bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        if (!target.isString())
            return true;
        const std::string s = target.asString();
        const std::optional<bool> found = m_regex->search(s);
        if (!found) {
            if (results)
                results->pushError(context,
                    "String too long to match a pattern with back-references: " + std::to_string(utf8Length(s))
                        + " characters.");
            return false;
        }
        if (*found)
            return true;
        if (results)
            results->pushError(context, "Failed to match regex specified by 'pattern' constraint.");
        return false;
    }

private:
    Constraint* cloneInto(void* where) const override { return new (where) SafePatternConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(SafePatternConstraint); }

    std::string m_pattern;
    std::shared_ptr<const CodePointRegex> m_regex;
};

/** "format" date, time, date-time like valijson checks them, but only on strings and never throwing. */
class SafeFormatConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit SafeFormatConstraint(std::string format)
        : m_format(std::move(format))
    { }

    bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        if (!target.isString())
            return true; // format applies to strings only
        const std::string s = target.asString();
        if (s.size() <= 64 && matches(s))
            return true;
        if (results)
            results->pushError(context, "String should be a valid " + m_format);
        return false;
    }

private:
    bool matches(const std::string& s) const
    {
        static const std::regex date(R"(^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$)");
        static const std::regex time(
            R"(^([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([Zz])|([\+|\-]([01][0-9]|2[0-3]):[0-5][0-9]))$)");
        static const std::regex dateTime(
            R"(^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([Zz])|([\+|\-]([01][0-9]|2[0-3]):[0-5][0-9]))$)");
        std::smatch m;
        if (m_format == "time")
            return std::regex_match(s, time);
        if (!std::regex_match(s, m, m_format == "date" ? date : dateTime))
            return false;
        const int year = std::stoi(m[1].str().substr(0, 9));
        const int month = std::stoi(m[2].str());
        const int day = std::stoi(m[3].str());
        static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return day <= (month == 2 && !leap ? 28 : days[month - 1]);
    }

    Constraint* cloneInto(void* where) const override { return new (where) SafeFormatConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(SafeFormatConstraint); }

    std::string m_format;
};

/** Whether a valijson value is a draft-07 "integer": any number with a zero fractional part (1.0 too). */
bool adapterIsIntegral(const valijson::adapters::Adapter& target)
{
    if (target.isInteger())
        return true;
    if (!target.isDouble())
        return false;
    const double d = target.asDouble();
    return std::isfinite(d) && std::floor(d) == d;
}

/**
 * "type" when it names "integer": valijson 1.0 counts JSON integers only (1.0, 2.0 and integers above
 * INT64_MAX, which its adapter sees as doubles, are not integers to it). Same error text as valijson's.
 */
class SafeTypeConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit SafeTypeConstraint(const valijson::adapters::Adapter& value)
    {
        const auto add = [this](const std::string& t) { m_types.push_back(t); };
        if (value.isString())
            add(value.asString());
        else if (value.isArray())
            value.applyToArray([&](const valijson::adapters::Adapter& t) {
                if (t.isString())
                    add(t.asString());
                return true;
            });
    }

    bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        for (const std::string& t : m_types) {
            if ((t == "null" && target.isNull()) || (t == "boolean" && target.isBool())
                || (t == "object" && target.isObject()) || (t == "array" && target.isArray())
                || (t == "string" && target.isString()) || (t == "number" && target.isNumber())
                || (t == "integer" && adapterIsIntegral(target)))
                return true;
        }
        if (results)
            results->pushError(context, "Value type not permitted by 'type' constraint.");
        return false;
    }

private:
    Constraint* cloneInto(void* where) const override { return new (where) SafeTypeConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(SafeTypeConstraint); }

    std::vector<std::string> m_types;
};

/**
 * An integer "multipleOf": valijson 1.0 truncates a double instance to an integer first (1.5 is a multiple of
 * 1 to it). A number with a fractional part is no multiple of an integer; integral doubles beyond the int64
 * range are divided exactly (fmod). Same error text as valijson's.
 */
class SafeMultipleOfConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit SafeMultipleOfConstraint(std::int64_t divisor)
        : m_divisor(divisor)
    { }

    bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        if (!target.isNumber() || ok(target))
            return true;
        if (results)
            results->pushError(context, "Value should be a multiple of " + std::to_string(m_divisor));
        return false;
    }

private:
    bool ok(const valijson::adapters::Adapter& target) const
    {
        if (target.isInteger())
            return target.asInteger() % m_divisor == 0;
        const double d = target.asDouble();
        if (!std::isfinite(d) || std::floor(d) != d)
            return false;
        if (std::fabs(d) < 9.2e18)
            return static_cast<std::int64_t>(d) % m_divisor == 0;
        return std::fmod(d, static_cast<double>(m_divisor)) == 0;
    }

    Constraint* cloneInto(void* where) const override { return new (where) SafeMultipleOfConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(SafeMultipleOfConstraint); }

    std::int64_t m_divisor;
};

class SafeTypeBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new SafeTypeConstraint(value);
    }
};

class SafeMultipleOfBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new SafeMultipleOfConstraint(value.asInteger());
    }
};

class SafePatternBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new SafePatternConstraint(value.asString());
    }
};

class SafeFormatBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new SafeFormatConstraint(value.asString());
    }
};

/**
 * Always valid; pushes a marker into the results so the flat error list valijson produces can be cut
 * back into the alternatives of an anyOf/oneOf (see rewriteAlternatives).
 */
class MarkConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit MarkConstraint(std::string id)
        : m_id(std::move(id))
    { }

    bool validate(const valijson::adapters::Adapter&, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        if (results)
            results->pushError(context, kMarkPrefix + m_id);
        return true;
    }

private:
    Constraint* cloneInto(void* where) const override { return new (where) MarkConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(MarkConstraint); }

    std::string m_id;
};

class MarkBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new MarkConstraint(value.asString());
    }
};

/** \brief An anyOf/oneOf of the source schema whose alternatives carry marks. */
struct Alternatives
{
    std::string keyword; ///< "anyOf" or "oneOf"
    std::size_t count = 0;
};

/**
 * Wraps every alternative A of an anyOf/oneOf (2 or more) into the equivalent
 * {"allOf": [{mark begin}], "anyOf": [A], mark end}: valijson applies allOf, then anyOf, then custom
 * keywords, so A's errors end up between the two marks. When no alternative matches, the errors of
 * each one can then be told apart and summarised as one violation (instead of the leaves of every
 * alternative, which for a union of 100 shapes is 100+ lines). Arrays that a $ref points into are left alone.
 */
std::vector<Alternatives> rewriteAlternatives(Json& schema)
{
    std::vector<std::string> refTargets;
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string&) {
        if (!node.is_object())
            return;
        auto ref = node.find("$ref");
        if (ref != node.end() && ref->is_string() && !ref->get<std::string>().empty()
            && ref->get<std::string>()[0] == '#')
            refTargets.push_back(percentDecode(ref->get<std::string>().substr(1)));
    });
    std::vector<std::pair<std::string, std::string>> at; // pointer, keyword
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string& pointer) {
        if (!node.is_object())
            return;
        for (const char* kw : {"anyOf", "oneOf"}) {
            auto arr = node.find(kw);
            if (arr == node.end() || !arr->is_array() || arr->size() < 2)
                continue;
            const std::string p = pointer + "/" + kw + "/";
            bool referenced = false;
            for (const std::string& t : refTargets)
                referenced = referenced || (t.rfind(p, 0) == 0 && t.find('/', p.size()) != std::string::npos);
            if (!referenced)
                at.emplace_back(pointer, kw);
        }
    });
    std::stable_sort(
        at.begin(), at.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    std::vector<Alternatives> out;
    for (const auto& [pointer, kw] : at) {
        Json& node = pointer.empty() ? schema : schema.at(Json::json_pointer(pointer));
        Json& arr = node[kw];
        const std::string id = std::to_string(out.size());
        for (std::size_t i = 0; i < arr.size(); ++i) {
            const std::string mark = id + ":" + std::to_string(i) + ":";
            Json wrapped = {{"allOf", Json::array({Json {{kMarkKeyword, mark + "b"}}})},
                {"anyOf", Json::array({std::move(arr[i])})}, {kMarkKeyword, mark + "e"}};
            arr[i] = std::move(wrapped);
        }
        out.push_back({kw, arr.size()});
    }
    return out;
}

/**
 * Replaces valijson's own "pattern" and "format" handling (see the classes above and the header):
 * "pattern" becomes x-eventlens-pattern; "format" becomes x-eventlens-format for date, time and
 * date-time and is dropped for the others (annotations in draft-07). Works around valijson 1.0 where it
 * departs from draft-07 (see the header): "type" naming "integer" becomes x-eventlens-type, an integer
 * "multipleOf" x-eventlens-multipleOf, "patternProperties" patterns are rewritten over UTF-8 bytes
 * (utf8BytePattern) and "propertyNames" moves into an allOf of its own. Returns whether patternProperties
 * is used anywhere.
 */
bool rewriteKeywords(Json& schema)
{
    bool patternProperties = false;
    std::vector<std::string> at;
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string& pointer) {
        if (!node.is_object())
            return;
        if (node.contains("patternProperties"))
            patternProperties = true;
        static const char* const rewritten[] = {"pattern", "format", "type", "multipleOf", "patternProperties",
            "propertyNames", kPatternKeyword, kFormatKeyword, kMarkKeyword, kTypeKeyword, kMultipleOfKeyword};
        for (const char* kw : rewritten)
            if (node.contains(kw)) {
                at.push_back(pointer);
                break;
            }
    });
    // Deepest first: rewriting the keys of patternProperties changes the pointers below them.
    std::stable_sort(
        at.begin(), at.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    std::vector<std::string> refTargets; // a key that a $ref points through keeps its spelling
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string&) {
        auto ref = node.is_object() ? node.find("$ref") : node.end();
        if (node.is_object() && ref != node.end() && ref->is_string() && !ref->get<std::string>().empty()
            && ref->get<std::string>()[0] == '#')
            refTargets.push_back(percentDecode(ref->get<std::string>().substr(1)) + "/");
    });
    for (const std::string& pointer : at) {
        Json& node = pointer.empty() ? schema : schema.at(Json::json_pointer(pointer));
        for (const char* kw : {kPatternKeyword, kFormatKeyword, kMarkKeyword, kTypeKeyword, kMultipleOfKeyword})
            node.erase(kw);
        auto type = node.find("type");
        if (type != node.end()
            && (*type == "integer"
                || (type->is_array() && std::find(type->begin(), type->end(), Json("integer")) != type->end()))) {
            Json t = *type;
            node.erase(type);
            node[kTypeKeyword] = std::move(t);
        }
        auto multipleOf = node.find("multipleOf");
        if (multipleOf != node.end() && multipleOf->is_number_integer()
            && (!multipleOf->is_number_unsigned()
                || multipleOf->get<std::uint64_t>() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))) {
            Json m = *multipleOf;
            node.erase(multipleOf);
            node[kMultipleOfKeyword] = std::move(m);
        }
        // valijson 1.0 parses "propertyNames" under its node's own path (not .../propertyNames): when the node is
        // a $ref target, its schema cache hands back the node itself, and names are checked against that. One
        // level down, in an allOf of its own, nothing refers to it.
        auto names = node.find("propertyNames");
        const std::string namesAt = pointer + "/propertyNames/";
        if (names != node.end() && std::none_of(refTargets.begin(), refTargets.end(), [&](const std::string& t) {
                return t.rfind(namesAt, 0) == 0;
            })) {
            Json wrapped = {{"propertyNames", std::move(*names)}};
            node.erase(names);
            auto all = node.find("allOf");
            if (all != node.end() && all->is_array())
                all->push_back(std::move(wrapped));
            else
                node["allOf"] = Json::array({std::move(wrapped)});
        }
        auto patterns = node.find("patternProperties");
        if (patterns != node.end() && patterns->is_object()) {
            Json bytes = Json::object();
            for (auto it = patterns->begin(); it != patterns->end(); ++it) {
                const std::string below = pointer + "/patternProperties/" + jsonPointerEscape(it.key()) + "/";
                const bool referenced = std::any_of(
                    refTargets.begin(), refTargets.end(), [&](const std::string& t) { return t.rfind(below, 0) == 0; });
                bytes[referenced ? it.key() : utf8BytePattern(it.key())] = std::move(*it);
            }
            *patterns = std::move(bytes);
        }
        auto pattern = node.find("pattern");
        if (pattern != node.end()) {
            Json p = *pattern;
            node.erase(pattern);
            node[kPatternKeyword] = std::move(p);
        }
        auto format = node.find("format");
        if (format != node.end()) {
            Json f = *format;
            node.erase(format);
            if (f.is_string() && valijsonChecksFormat(f.get<std::string>()))
                node[kFormatKeyword] = std::move(f);
        }
    }
    return patternProperties;
}

const Json* fetchMetaSchema(const std::string& uri);
void freeFetched(const Json* doc)
{
    delete doc;
}

bool parseInto(const Json& doc, valijson::Schema& schema, std::string& error)
{
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        parser.addConstraintBuilder(kPatternKeyword, new SafePatternBuilder()); // the parser deletes them
        parser.addConstraintBuilder(kFormatKeyword, new SafeFormatBuilder());
        parser.addConstraintBuilder(kMarkKeyword, new MarkBuilder());
        parser.addConstraintBuilder(kTypeKeyword, new SafeTypeBuilder());
        parser.addConstraintBuilder(kMultipleOfKeyword, new SafeMultipleOfBuilder());
        valijson::adapters::NlohmannJsonAdapter adapter(doc);
        parser.populateSchema(adapter, schema, fetchMetaSchema, freeFetched);
        return true;
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
}

/**
 * valijson stops an allOf at its first failing branch, even when collecting errors, so later
 * branches' errors would be lost. {"allOf": [A, B, C]} is rewritten into the equivalent chain
 * {"allOf": [{"allOf": [A], "anyOf": [{"allOf": [B], "anyOf": [{"allOf": [C]}]}]}]}: every branch is
 * then a single-child allOf/anyOf, which valijson evaluates and reports in full. allOf arrays that a
 * $ref points into are left alone.
 */
void rewriteAllOf(Json& schema)
{
    std::vector<std::string> refTargets;
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string&) {
        if (!node.is_object())
            return;
        auto ref = node.find("$ref");
        if (ref != node.end() && ref->is_string() && !ref->get<std::string>().empty()
            && ref->get<std::string>()[0] == '#')
            refTargets.push_back(percentDecode(ref->get<std::string>().substr(1)));
    });
    std::vector<std::string> at;
    forEachSchema(static_cast<const Json&>(schema), std::string(), [&](const Json& node, const std::string& pointer) {
        if (!node.is_object())
            return;
        auto all = node.find("allOf");
        if (all == node.end() || !all->is_array() || all->size() < 2)
            return;
        const std::string p = pointer + "/allOf";
        for (const std::string& t : refTargets) {
            if (t == p || t.rfind(p + "/", 0) == 0)
                return;
        }
        at.push_back(pointer);
    });
    // Deepest first, so outer pointers stay valid while inner arrays are rewritten.
    std::sort(at.begin(), at.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const std::string& pointer : at) {
        Json& node = pointer.empty() ? schema : schema.at(Json::json_pointer(pointer));
        Json branches = std::move(node["allOf"]);
        Json chain = Json::object();
        for (std::size_t i = branches.size(); i-- > 0;) {
            Json link = {{"allOf", Json::array({std::move(branches[i])})}};
            if (!chain.empty())
                link["anyOf"] = Json::array({std::move(chain)});
            chain = std::move(link);
        }
        node["allOf"] = Json::array({std::move(chain)});
    }
}

struct MetaSchema
{
    Json doc;
    valijson::Schema schema;
    bool ok = false;

    MetaSchema()
        : doc(Json::parse(kDraft07MetaSchema))
    {
        // The meta-schema's "format" keywords (uri, regex, ...) are annotations valijson ignores.
        forEachSchema(doc, std::string(), [](Json& node, const std::string&) {
            if (node.is_object())
                node.erase("format");
        });
        std::string error;
        ok = parseInto(doc, schema, error);
    }
};

const MetaSchema& metaSchema()
{
    static const MetaSchema meta;
    return meta;
}

const Json& metaSchemaDoc()
{
    return metaSchema().doc;
}

/** Document fetcher for valijson: only the draft-07 meta-schema, from memory (never the network). */
const Json* fetchMetaSchema(const std::string& uri)
{
    if (!isMetaSchemaUri(uri))
        return nullptr;
    return new Json(metaSchema().doc);
}

std::vector<RawError> collectErrors(const valijson::ValidationResults& results)
{
    std::vector<RawError> out;
    for (const auto& e : results) {
        RawError r;
        for (std::size_t i = 1; i < e.context.size(); ++i) { // [0] is "<root>"
            std::string t = e.context[i];
            if (t.size() >= 2 && t.front() == '[' && t.back() == ']')
                t = t.substr(1, t.size() - 2);
            r.tokens.push_back(std::move(t));
        }
        r.description = e.description;
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<RawError> mostSpecific(const std::vector<RawError>& all)
{
    std::vector<RawError> out;
    for (const RawError& e : all) {
        if (isWrapper(e.description)) {
            const bool hasLeafBelow = std::any_of(all.begin(), all.end(),
                [&](const RawError& l) { return !isWrapper(l.description) && isPrefix(e.tokens, l.tokens); });
            // A wrapper whose child errors are themselves only wrappers (e.g. nested anyOf) is covered
            // by any deeper error.
            const bool hasDeeperWrapper = std::any_of(all.begin(), all.end(), [&](const RawError& l) {
                return &l != &e && isPrefix(e.tokens, l.tokens) && l.tokens.size() > e.tokens.size();
            });
            if (hasLeafBelow || hasDeeperWrapper)
                continue;
            // Several wrappers at the same place: keep the one naming a child (property/item).
            const bool namesChild
                = startsWith(e.description, "Failed to validate against schema associated with property name")
                || startsWith(e.description, "Failed to validate item #");
            if (!namesChild) {
                const bool otherNamesChild = std::any_of(all.begin(), all.end(), [&](const RawError& l) {
                    return l.tokens == e.tokens
                        && (startsWith(l.description, "Failed to validate against schema associated with property name")
                            || startsWith(l.description, "Failed to validate item #"));
                });
                if (otherNamesChild)
                    continue;
            }
        }
        out.push_back(e);
    }
    return out;
}

/** A valijson error, or the errors of one marked alternative (group). */
struct ErrorNode
{
    RawError error; ///< the error; for a group, tokens = where the alternative applies
    bool group = false;
    std::size_t alternatives = 0; ///< id of the anyOf/oneOf
    std::size_t branch = 0;
    std::vector<ErrorNode> children;
};

bool parseMark(const std::string& d, std::size_t& id, std::size_t& branch, bool& begin, std::string& key)
{
    if (!startsWith(d, kMarkPrefix))
        return false;
    key = d.substr(std::string(kMarkPrefix).size());
    const std::size_t a = key.find(':');
    const std::size_t b = key.rfind(':');
    if (a == std::string::npos || b == a)
        return false;
    id = static_cast<std::size_t>(std::strtoul(key.c_str(), nullptr, 10));
    branch = static_cast<std::size_t>(std::strtoul(key.c_str() + a + 1, nullptr, 10));
    begin = key.substr(b + 1) == "b";
    key = key.substr(0, b);
    return true;
}

std::vector<ErrorNode> buildTree(
    const std::vector<RawError>& raw, std::size_t& i, const std::string* closing, int depth)
{
    std::vector<ErrorNode> out;
    while (i < raw.size()) {
        const RawError& e = raw[i];
        std::size_t id = 0, branch = 0;
        bool begin = false;
        std::string key;
        if (parseMark(e.description, id, branch, begin, key)) {
            ++i;
            if (begin && depth < 256) {
                ErrorNode g;
                g.group = true;
                g.alternatives = id;
                g.branch = branch;
                g.error.tokens = e.tokens;
                g.children = buildTree(raw, i, &key, depth + 1);
                out.push_back(std::move(g));
            } else if (!begin && closing && key == *closing) {
                return out;
            }
            continue; // a stray mark
        }
        out.push_back({e, false, 0, 0, {}});
        ++i;
    }
    return out;
}

const char* const kBlockPrefix = "\x02block ";

/** Translates one level of the tree: leaves as usual, failed anyOf/oneOf summarised as one error each. */
void translateTree(const std::vector<ErrorNode>& nodes, ErrorTranslator& tr, const std::vector<Alternatives>& alts,
    std::vector<SchemaError>& out)
{
    std::vector<RawError> level;
    std::vector<std::vector<const ErrorNode*>> blocks;
    std::map<std::pair<std::size_t, std::vector<std::string>>, std::size_t> blockIndex;
    for (const ErrorNode& n : nodes) {
        if (!n.group) {
            level.push_back(n.error);
            continue;
        }
        const auto key = std::make_pair(n.alternatives, n.error.tokens);
        auto it = blockIndex.find(key);
        if (it == blockIndex.end()) {
            it = blockIndex.emplace(key, blocks.size()).first;
            blocks.emplace_back();
            level.push_back({n.error.tokens, kBlockPrefix + std::to_string(blocks.size() - 1)});
        }
        blocks[it->second].push_back(&n);
    }
    for (const RawError& e : mostSpecific(level)) {
        if (!startsWith(e.description, kBlockPrefix)) {
            tr.translate(e, out);
            continue;
        }
        const auto& groups
            = blocks[std::strtoul(e.description.c_str() + std::string(kBlockPrefix).size(), nullptr, 10)];
        const Alternatives* info
            = groups.front()->alternatives < alts.size() ? &alts[groups.front()->alternatives] : nullptr;
        std::vector<std::pair<std::size_t, std::vector<SchemaError>>> branches;
        for (const ErrorNode* g : groups) {
            std::vector<SchemaError> errs;
            translateTree(g->children, tr, alts, errs);
            std::set<std::pair<std::string, std::string>> seen;
            std::vector<SchemaError> unique;
            for (SchemaError& se : errs) {
                if (seen.insert({se.path, se.message}).second)
                    unique.push_back(std::move(se));
            }
            branches.emplace_back(g->branch, std::move(unique));
        }
        tr.summariseAlternatives(
            e.tokens, info ? info->keyword : std::string("anyOf"), info ? info->count : branches.size(), branches, out);
    }
}

} // namespace

namespace {

// ---------------------------------------------------------------------------------------------------------------------
// Fast path (issue 8). valijson costs tens of microseconds per event on the open-design contract: it copies
// its context vector and builds strings for every subschema it visits, even without results. Most events
// are valid, so a compiled, allocation-free evaluator for the keywords contracts use decides "valid" first;
// only when it cannot prove validity (invalid, or a keyword it does not handle) does valijson run, exactly as
// before, so errors and messages are unchanged. The evaluator is conservative: whenever its answer could
// differ from valijson's (e.g. float vs integer comparisons, non-ASCII lengths, regexes that need
// backtracking) it answers Unknown and valijson decides.

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
     * The verdict on \a v. \a slots: the members of \a v a hoisting node above looked up for this node (see
     * hoist()), indexed by Member::slot, nullptr for an absent one; only ever given for \a v itself.
     */
    Verdict eval(const Json& v, const Json* const* slots = nullptr) const
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
        if (m_types && step(checkType(v)))
            return Verdict::Invalid;
        if (m_enum && step(checkEnum(v, *m_enum)))
            return Verdict::Invalid;
        if (m_const && step(checkEnum(v, *m_const)))
            return Verdict::Invalid;
        const Json* hoisted[kMaxHoisted];
        if (!m_hoisted.empty() && v.is_object()) { // the names the nodes below look up, once (see hoist())
            const auto& obj = v.get_ref<const Json::object_t&>();
            for (std::size_t i = 0; i < m_hoisted.size(); ++i) {
                const auto it = obj.find(m_hoisted[i]);
                hoisted[i] = it == obj.end() ? nullptr : &it->second;
            }
            slots = hoisted;
        }
        if (v.is_object()) {
            const auto& obj = v.get_ref<const Json::object_t&>();
            std::size_t bits = 1;
            while ((std::size_t(1) << bits) < obj.size())
                ++bits;
            if (slots && m_slotted) {
                for (const Member& m : m_members) { // looked up above, or here
                    const Json* value = nullptr;
                    if (m.slot != kNoSlot) {
                        value = slots[m.slot];
                    } else {
                        const auto it = obj.find(m.name);
                        value = it == obj.end() ? nullptr : &it->second;
                    }
                    if (!value) {
                        if (m.required)
                            return Verdict::Invalid;
                    } else if (m.node && step(m.node->eval(*value))) {
                        return Verdict::Invalid;
                    }
                }
            } else if (m_members.size() * bits < obj.size() + m_members.size()) {
                for (const Member& m : m_members) { // a few names: look each up
                    const auto it = obj.find(m.name);
                    if (it == obj.end()) {
                        if (m.required)
                            return Verdict::Invalid;
                    } else if (m.node && step(m.node->eval(it->second))) {
                        return Verdict::Invalid;
                    }
                }
            } else { // many: both are sorted by name, walk them together
                auto it = obj.begin();
                for (const Member& m : m_members) {
                    int c = 1;
                    while (it != obj.end() && (c = it->first.compare(m.name)) < 0)
                        ++it;
                    if (it == obj.end() || c > 0) {
                        if (m.required)
                            return Verdict::Invalid;
                    } else if (m.node && step(m.node->eval(it->second))) {
                        return Verdict::Invalid;
                    }
                }
            }
        } else if (v.is_number()) {
            if ((m_minimum || m_maximum || m_exclusiveMinimum || m_exclusiveMaximum) && step(checkRange(v)))
                return Verdict::Invalid;
        } else if (v.is_string()) {
            if ((m_minLength || m_maxLength) && step(checkLength(v.get_ref<const std::string&>())))
                return Verdict::Invalid;
            if (m_pattern) {
                if (!m_pattern->polynomial())
                    unknown = true; // valijson decides, with its limit on the length
                else if (!m_pattern->search(v.get_ref<const std::string&>()).value_or(false))
                    return Verdict::Invalid;
            }
        } else if (v.is_array() && m_items) {
            for (const Json& item : v)
                if (step(m_items->eval(item)))
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
     * Hoisting (issue 15). A contract's conditions test the same few members again and again: ui_click's 77
     * if/then look up page_name, area and element, 460 lookups in the event's 40 members. The topmost node of each
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
        for (const auto& [name, count] : uses) {
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

    Verdict checkType(const Json& v) const
    {
        const int t = *m_types;
        switch (v.type()) {
        case Json::value_t::null:
            return t & 1 ? Verdict::Valid : Verdict::Invalid;
        case Json::value_t::boolean:
            return t & 2 ? Verdict::Valid : Verdict::Invalid;
        case Json::value_t::object:
            return t & 4 ? Verdict::Valid : Verdict::Invalid;
        case Json::value_t::array:
            return t & 8 ? Verdict::Valid : Verdict::Invalid;
        case Json::value_t::string:
            return t & 32 ? Verdict::Valid : Verdict::Invalid;
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return t & (16 | 64) ? Verdict::Valid : Verdict::Invalid;
        case Json::value_t::number_float:
            if (t & 16)
                return Verdict::Valid;
            return t & 64 && isIntegral(v) ? Verdict::Valid : Verdict::Invalid; // 1.0 is an integer (draft-06 on)
        default:
            return Verdict::Unknown;
        }
    }

    /** \a v is one of \a values ("enum", or "const" as a list of one). */
    static Verdict checkEnum(const Json& v, const std::vector<Json>& values)
    {
        if (v.is_number_float() || v.is_structured() || v.is_binary() || v.is_discarded())
            return Verdict::Unknown;
        bool unknown = false;
        for (const Json& e : values) {
            if (e.is_number_float() || e.is_structured()) {
                unknown = unknown || v.is_number();
                continue;
            }
            if (sameValue(v, e))
                return Verdict::Valid;
        }
        return unknown ? Verdict::Unknown : Verdict::Invalid;
    }

    /** v == e, but exact for a signed against an unsigned integer (nlohmann wraps unsigned ones above INT64_MAX). */
    static bool sameValue(const Json& v, const Json& e)
    {
        if (v.is_number_unsigned() != e.is_number_unsigned() && v.is_number_integer() && e.is_number_integer()) {
            const Json& u = v.is_number_unsigned() ? v : e;
            const std::int64_t i = (v.is_number_unsigned() ? e : v).get<std::int64_t>();
            return i >= 0 && std::uint64_t(i) == u.get<std::uint64_t>();
        }
        return v == e;
    }

    Verdict checkRange(const Json& v) const
    {
        double d = 0;
        bool inexact = false; // d is v rounded (integers beyond 2^53)
        // Unsigned first: is_number_integer() holds for unsigned values too, and get<int64_t>() wraps
        // those above INT64_MAX to negative numbers.
        if (v.is_number_unsigned()) {
            const auto u = v.get<std::uint64_t>();
            inexact = u > (std::uint64_t(1) << 53);
            d = static_cast<double>(u);
        } else if (v.is_number_integer()) {
            const auto i = v.get<std::int64_t>();
            inexact = i > (std::int64_t(1) << 53) || i < -(std::int64_t(1) << 53);
            d = static_cast<double>(i);
        } else {
            d = v.get<double>();
            if (!std::isfinite(d))
                return Verdict::Unknown;
        }
        // Exactly at a bound with a float or a rounded integer: leave rounding questions to valijson. Away
        // from the bounds, rounding (monotonic) keeps every comparison.
        const auto atBound = [d](const std::optional<double>& b) { return b && d == *b; };
        if ((v.is_number_float() || inexact)
            && (atBound(m_minimum) || atBound(m_maximum) || atBound(m_exclusiveMinimum) || atBound(m_exclusiveMaximum)))
            return Verdict::Unknown;
        if ((m_minimum && d < *m_minimum) || (m_maximum && d > *m_maximum)
            || (m_exclusiveMinimum && d <= *m_exclusiveMinimum) || (m_exclusiveMaximum && d >= *m_exclusiveMaximum))
            return Verdict::Invalid;
        return Verdict::Valid;
    }

    Verdict checkLength(const std::string& s) const
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
    std::vector<std::string> m_required;
    std::vector<std::pair<std::string, NodePtr>> m_properties; ///< in name order; owns the nodes
    struct Member
    {
        std::string name;
        const FastNode* node = nullptr; ///< the "properties" schema, if any
        bool required = false;
        std::size_t slot = kNoSlot; ///< in the slots of the group's top node, if hoisted
    };
    std::vector<std::string> m_hoisted; ///< top of a group: the names its nodes look up (see hoist())
    bool m_slotted = false; ///< in a group, and a member has a slot
    std::vector<Member> m_members; ///< "properties" and "required", sorted by name (see compile())
    std::vector<NodePtr> m_allOf, m_anyOf, m_oneOf;
    NodePtr m_not, m_if, m_then, m_else, m_items;
    std::optional<double> m_minimum, m_maximum, m_exclusiveMinimum, m_exclusiveMaximum;
    std::optional<std::uint64_t> m_minLength, m_maxLength;
    std::shared_ptr<const CodePointRegex> m_pattern;
};

Verdict quickVerdict(const Json& schema, const Json& instance)
{
    return FastNode(schema).eval(instance);
}

std::shared_ptr<const FastNode> compileFast(const Json& schema)
{
    return std::make_shared<const FastNode>(schema);
}

Verdict evalFast(const FastNode& node, const Json& instance)
{
    return node.eval(instance);
}

} // namespace

struct JsonSchema::Private
{
    Json source;
    Json effective;
    valijson::Schema schema;
    bool patternProperties = false; ///< valijson matches those with backtracking std::regex
    std::vector<Alternatives> alternatives; ///< indexed by the id in the marks
    std::unique_ptr<FastNode> fast; ///< proves validity without valijson when it can (see FastNode)
    /**
     * The members of an object instance the schema can look at (sorted), when it names them all (namedMembers()),
     * so that valijson, explaining a failure, is shown only those. valijson visits every member that "properties"
     * does not name, against the empty schema of an absent "additionalProperties", once per "properties" keyword
     * (every if/then of a contract's globals has one): most of its time on a 40-member event. The left-out members
     * can neither fail nor change a verdict, so the errors are the same (validateWhole() is the reference).
     */
    std::optional<std::vector<std::string>> members;
    SchemaIndex index; ///< of effective, for the messages (collectCandidates)

    bool validate(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer,
        const std::string& rootName, bool prune) const;
};

namespace {

/** Whether \a v holds an unsigned integer above INT64_MAX, which valijson's adapter reads as negative. */
bool hasHugeUnsigned(const Json& v)
{
    if (v.is_number_unsigned())
        return v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max());
    if (v.is_structured())
        for (const Json& e : v)
            if (hasHugeUnsigned(e))
                return true;
    return false;
}

/**
 * Replaces unsigned integers above INT64_MAX by the nearest double: valijson's nlohmann adapter reads
 * them with get<int64_t>() (18446744073709551615 becomes -1), the double keeps their magnitude.
 */
void widenHugeUnsigned(Json& v)
{
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        v = static_cast<double>(v.get<std::uint64_t>());
    else if (v.is_structured())
        for (Json& e : v)
            widenHugeUnsigned(e);
}

/** The instance as valijson must see it (see widenHugeUnsigned); \a storage holds a widened copy if needed. */
const Json& forValijson(const Json& instance, std::optional<Json>& storage)
{
    if (!hasHugeUnsigned(instance))
        return instance;
    storage = instance;
    widenHugeUnsigned(*storage);
    return *storage;
}

/**
 * Adds to \a names the members of an object instance that \a node, applied to the instance itself, can look at;
 * false when its verdict or errors may depend on members it does not name (additionalProperties,
 * patternProperties, propertyNames, min/maxProperties, enum, const, $ref or any keyword not known here).
 */
bool namedMembers(const Json& node, std::set<std::string>& names, int depth)
{
    static const std::set<std::string> memberAgnostic = {"$schema", "$id", "$comment", "title", "description",
        "default", "examples", "definitions", "readOnly", "writeOnly", "contentMediaType", "contentEncoding", "type",
        "format", "pattern", "multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
        "maxLength", "items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"};
    if (depth > 64)
        return false;
    if (node.is_boolean())
        return true;
    if (!node.is_object())
        return false;
    const auto addNames = [&names](const Json& list) {
        if (!list.is_array())
            return false;
        for (const Json& n : list) {
            if (!n.is_string())
                return false;
            names.insert(n.get<std::string>());
        }
        return true;
    };
    for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string& k = it.key();
        const Json& v = *it;
        if (k == "properties") {
            if (!v.is_object())
                return false;
            for (auto p = v.begin(); p != v.end(); ++p)
                names.insert(p.key());
        } else if (k == "required") {
            if (!addNames(v))
                return false;
        } else if (k == "dependencies") {
            if (!v.is_object())
                return false;
            for (auto d = v.begin(); d != v.end(); ++d) {
                names.insert(d.key());
                if (d->is_array() ? !addNames(*d) : !namedMembers(*d, names, depth + 1))
                    return false;
            }
        } else if (k == "allOf" || k == "anyOf" || k == "oneOf") {
            if (!v.is_array())
                return false;
            for (const Json& sub : v) {
                if (!namedMembers(sub, names, depth + 1))
                    return false;
            }
        } else if (k == "not" || k == "if" || k == "then" || k == "else") {
            if (!namedMembers(v, names, depth + 1))
                return false;
        } else if (!memberAgnostic.count(k) && k.rfind("x-", 0) != 0) { // x-eventlens-*: pattern, format, type,
            return false; //                                               multipleOf, marks; other x-: ignored
        }
    }
    return true;
}

/** A property name too long for valijson's patternProperties matching, as a pointer (or nullopt). */
std::optional<std::vector<std::string>> overlongName(const Json& v, std::vector<std::string>& path)
{
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
            path.push_back(it.key());
            if (it.key().size() > kMaxPatternPropertyName)
                return path;
            if (auto found = overlongName(*it, path))
                return found;
            path.pop_back();
        }
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
            path.push_back(std::to_string(i));
            if (auto found = overlongName(v[i], path))
                return found;
            path.pop_back();
        }
    }
    return std::nullopt;
}

} // namespace

JsonSchema::JsonSchema()
    : d(std::make_unique<Private>())
{ }

JsonSchema::~JsonSchema() = default;

std::shared_ptr<const JsonSchema> JsonSchema::compile(const Json& schema, std::string& error)
{
    try {
        if (!schema.is_object() && !schema.is_boolean()) {
            error = "a schema must be an object or a boolean, not " + jsonTypeName(schema);
            return nullptr;
        }
        const MetaSchema& meta = metaSchema();
        if (meta.ok) {
            valijson::Validator v;
            valijson::adapters::NlohmannJsonAdapter adapter(schema);
            valijson::ValidationResults results;
            if (!v.validate(meta.schema, adapter, &results)) {
                std::vector<SchemaError> errors;
                ErrorTranslator tr(meta.doc, schema, std::string(), std::string("schema"));
                for (const RawError& e : mostSpecific(collectErrors(results)))
                    tr.translate(e, errors);
                error = "not a valid draft-07 JSON Schema";
                if (!errors.empty())
                    error += ": at " + (errors.front().path.empty() ? std::string("/") : errors.front().path) + ": "
                        + errors.front().message;
                return nullptr;
            }
        }
        const std::string staticError = checkSchemaStatically(schema);
        if (!staticError.empty()) {
            error = staticError;
            return nullptr;
        }
        std::shared_ptr<JsonSchema> out(new JsonSchema());
        out->d->source = schema;
        out->d->effective = schema;
        out->d->patternProperties = rewriteKeywords(out->d->effective);
        out->d->alternatives = rewriteAlternatives(out->d->effective);
        rewriteAllOf(out->d->effective);
        widenHugeUnsigned(out->d->effective);
        out->d->fast = std::make_unique<FastNode>(out->d->source);
        out->d->index = indexSchema(out->d->effective);
        std::set<std::string> names;
        if (namedMembers(out->d->effective, names, 0))
            out->d->members.emplace(names.begin(), names.end());
        std::string parseError;
        if (!parseInto(out->d->effective, out->d->schema, parseError)) {
            error = "invalid JSON Schema: " + parseError;
            return nullptr;
        }
        return out;
    } catch (const std::exception& e) {
        error = std::string("invalid JSON Schema: ") + e.what();
        return nullptr;
    }
}

bool JsonSchema::accepts(const Json& instance) const
{
    std::vector<std::string> path;
    if (d->patternProperties && overlongName(instance, path))
        return false;
    if (d->fast) {
        const Verdict verdict = d->fast->eval(instance);
        if (verdict != Verdict::Unknown)
            return verdict == Verdict::Valid;
    }
    try {
        valijson::Validator validator; // cheap; one per call keeps JsonSchema thread-safe without a lock
        std::optional<Json> widened;
        valijson::adapters::NlohmannJsonAdapter adapter(forValijson(instance, widened));
        return validator.validate(d->schema, adapter, nullptr);
    } catch (const std::exception&) {
        return false;
    }
}

bool JsonSchema::validate(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer,
    const std::string& rootName) const
{
    return d->validate(instance, errors, basePointer, rootName, true);
}

bool JsonSchema::validateWhole(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer,
    const std::string& rootName) const
{
    return d->validate(instance, errors, basePointer, rootName, false);
}

bool JsonSchema::Private::validate(const Json& instance, std::vector<SchemaError>& errors,
    const std::string& basePointer, const std::string& rootName, bool prune) const
{
    const Private* d = this;
    std::vector<std::string> path;
    if (d->patternProperties && overlongName(instance, path)) {
        errors.push_back({basePointer + jsonPointerFromTokens(path),
            "property name of " + std::to_string(path.back().size())
                + " characters is too long to check against patternProperties"});
        return false;
    }
    const Verdict verdict = d->fast ? d->fast->eval(instance) : Verdict::Unknown;
    if (verdict == Verdict::Valid)
        return true;
    valijson::ValidationResults results;
    try {
        valijson::Validator validator;
        // Only the members the schema names (see members); the translator below still reads the whole instance.
        std::optional<Json> named;
        if (prune && d->members && instance.is_object() && instance.size() > d->members->size()) {
            named.emplace(Json::object());
            for (const std::string& m : *d->members) {
                const auto it = instance.find(m);
                if (it != instance.end())
                    named->emplace(m, *it);
            }
        }
        std::optional<Json> widened;
        valijson::adapters::NlohmannJsonAdapter adapter(forValijson(named ? *named : instance, widened));
        // Known invalid: straight to the pass that collects errors (it still decides validity).
        if (verdict == Verdict::Unknown && validator.validate(d->schema, adapter, nullptr))
            return true;
        if (validator.validate(d->schema, adapter, &results))
            return true;
    } catch (const std::exception& e) {
        errors.push_back({basePointer, rootName + " could not be validated: " + e.what()});
        return false;
    }
    ErrorTranslator tr(d->effective, instance, basePointer, rootName, &d->index);
    std::vector<SchemaError> translated;
    std::size_t pos = 0;
    translateTree(buildTree(collectErrors(results), pos, nullptr, 0), tr, d->alternatives, translated);
    if (translated.empty()) // e.g. a `false` subschema or propertyNames: valijson reports nothing
        translated.push_back(
            {basePointer, rootName + " is " + describeJsonValue(instance) + ", which the schema does not allow"});
    std::set<std::pair<std::string, std::string>> seen;
    for (SchemaError& e : translated) {
        if (seen.insert({e.path, e.message}).second)
            errors.push_back(std::move(e));
    }
    return false;
}

const Json& JsonSchema::source() const
{
    return d->source;
}

JsonSchema::PathVerdict JsonSchema::fastPathVerdict(const Json& instance) const
{
    const Verdict verdict = d->fast ? d->fast->eval(instance) : Verdict::Unknown;
    return verdict == Verdict::Valid  ? PathVerdict::Valid
        : verdict == Verdict::Invalid ? PathVerdict::Invalid
                                      : PathVerdict::Undecided;
}

JsonSchema::PathVerdict JsonSchema::generalPathVerdict(const Json& instance) const
{
    try {
        valijson::Validator validator;
        std::optional<Json> widened;
        valijson::adapters::NlohmannJsonAdapter adapter(forValijson(instance, widened));
        return validator.validate(d->schema, adapter, nullptr) ? PathVerdict::Valid : PathVerdict::Invalid;
    } catch (const std::exception&) {
        return PathVerdict::Undecided;
    }
}

std::string jsonPointerFromTokens(const std::vector<std::string>& tokens)
{
    std::string out;
    for (const std::string& t : tokens)
        out += "/" + jsonPointerEscape(t);
    return out;
}

namespace {

/**
 * Appends value.dump(-1) (invalid UTF-8 replaced) to \a out, stopping once \a out holds more than \a limit
 * bytes: what it wrote is a prefix of the whole dump, and the whole dump of a large object is never made.
 */
void dumpPrefix(const Json& value, std::string& out, std::size_t limit)
{
    const auto scalar = [&out](const Json& v) { out += v.dump(-1, ' ', false, Json::error_handler_t::replace); };
    if (value.is_object()) {
        out += '{';
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (out.size() > limit)
                return;
            if (it != value.begin())
                out += ',';
            scalar(Json(it.key()));
            out += ':';
            dumpPrefix(*it, out, limit);
        }
        out += '}';
    } else if (value.is_array()) {
        out += '[';
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (out.size() > limit)
                return;
            if (it != value.begin())
                out += ',';
            dumpPrefix(*it, out, limit);
        }
        out += ']';
    } else {
        scalar(value);
    }
}

} // namespace

std::string describeJsonValue(const Json& value)
{
    std::string s;
    dumpPrefix(value, s, 80);
    if (s.size() > 80)
        s = s.substr(0, 77) + "...";
    return s;
}

std::string jsonTypeName(const Json& value)
{
    switch (value.type()) {
    case Json::value_t::null:
        return "null";
    case Json::value_t::boolean:
        return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
        return "integer";
    case Json::value_t::number_float:
        return "number";
    case Json::value_t::string:
        return "string";
    case Json::value_t::array:
        return "array";
    case Json::value_t::object:
        return "object";
    default:
        return "value";
    }
}

} // namespace el
