// SPDX-License-Identifier: MIT
#include "bodyjson.h"

#include "decodetext.h"
#include "util/fastjson.h"
#include "util/text.h"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace el {

using decoding::cleanMessage;

namespace {

class DomBuilder final : public Json::json_sax_t
{
public:
    DomBuilder(Json& root, int maxDepth)
        : m_root(root)
        , m_maxDepth(maxDepth)
    { }

    bool null() override { return put(Json(nullptr)); }
    bool boolean(bool v) override { return put(Json(v)); }
    bool number_integer(number_integer_t v) override { return put(Json(v)); }
    bool number_unsigned(number_unsigned_t v) override { return put(Json(v)); }
    bool number_float(number_float_t v, const string_t&) override { return put(Json(v)); }
    bool string(string_t& v) override { return put(Json(std::move(v))); }
    bool binary(binary_t& v) override { return put(Json::binary(std::move(v))); }
    bool start_object(std::size_t) override { return open(Json::object()); }
    bool key(string_t& k) override
    {
        m_key = std::move(k);
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Json::array()); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t position, const std::string&, const Json::exception& ex) override
    {
        m_failed = true;
        m_errorPosition = position;
        m_errorId = ex.id;
        m_errorText = ex.what();
        return false;
    }

    bool tooDeep() const { return m_tooDeep; }
    bool failed() const { return m_failed; }
    std::size_t errorPosition() const { return m_errorPosition; }
    int errorId() const { return m_errorId; }
    const std::string& errorText() const { return m_errorText; }

private:
    Json* place(Json&& v)
    {
        if (m_stack.empty()) {
            m_root = std::move(v);
            return &m_root;
        }
        Json& top = *m_stack.back();
        if (top.is_array()) {
            top.push_back(std::move(v));
            return &top.back();
        }
        // last duplicate key wins, as with operator[]; the key is moved, not copied
        auto& object = top.get_ref<Json::object_t&>();
        return &object.insert_or_assign(std::move(m_key), std::move(v)).first->second;
    }
    bool put(Json&& v)
    {
        place(std::move(v));
        return true;
    }
    bool open(Json&& container)
    {
        if (static_cast<int>(m_stack.size()) >= m_maxDepth) {
            m_tooDeep = true;
            return false;
        }
        m_stack.push_back(place(std::move(container)));
        return true;
    }
    bool close()
    {
        if (!m_stack.empty())
            m_stack.pop_back();
        return true;
    }

    Json& m_root;
    int m_maxDepth;
    std::vector<Json*> m_stack;
    std::string m_key;
    bool m_tooDeep = false;
    bool m_failed = false;
    std::size_t m_errorPosition = 0;
    int m_errorId = 0;
    std::string m_errorText;
};

/** Offset where nesting first exceeds \a maxDepth (strings and escapes skipped), or npos. */
std::size_t depthExceededAt(std::string_view text, int maxDepth)
{
    int depth = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            if (++depth > maxDepth)
                return i;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return std::string::npos;
}

/** "[json.exception.parse_error.101] parse error at line 1, column 8: syntax error ..." -> "syntax error ...". */
std::string stripNlohmannPrefix(const std::string& what)
{
    std::size_t start = 0;
    const std::size_t column = what.find("column ");
    if (column != std::string::npos) {
        const std::size_t colon = what.find(": ", column);
        if (colon != std::string::npos)
            start = colon + 2;
    } else if (what.rfind("[json.exception.", 0) == 0) {
        const std::size_t close = what.find("] ");
        if (close != std::string::npos)
            start = close + 2;
    }
    return what.substr(start);
}

} // namespace

bool parseJson(const std::string& text, Json& out, int maxDepth, std::string& error)
{
    // simdjson first; nlohmann decides (and words the error) when simdjson refuses or might differ. A raw NUL
    // is never valid JSON (simdjson refuses it too): the reference path words that error.
    try {
        Json result;
        if (parseJsonFast(text, result, std::max(1, maxDepth))) {
            error.clear();
            out = std::move(result);
            return true;
        }
    } catch (const std::bad_alloc&) {
        error = "out of memory while parsing JSON";
        return false;
    }
    return parseJsonReference(text, out, maxDepth, error);
}

bool parseJsonReference(const std::string& text, Json& out, int maxDepth, std::string& error)
{
    error.clear();
    try {
        // nlohmann stops at a raw NUL as if the input ended there: reject it (never valid JSON, even in a string)
        if (const std::size_t nul = text.find('\0'); nul != std::string::npos) {
            error = "invalid JSON at byte " + std::to_string(nul) + ": raw NUL byte (must be escaped as \\u0000)";
            return false;
        }
        Json result;
        DomBuilder builder(result, std::max(1, maxDepth));
        const bool ok = Json::sax_parse(text, &builder, Json::input_format_t::json, true, false);
        if (builder.tooDeep()) {
            const std::size_t at = depthExceededAt(text, std::max(1, maxDepth));
            error = "JSON nesting deeper than " + std::to_string(maxDepth)
                + (at != std::string::npos ? " (at byte " + std::to_string(at) + ")" : std::string());
            return false;
        }
        if (!ok || builder.failed()) {
            // nlohmann counts characters read (1-based); report the 0-based offset of the offending byte
            const std::size_t pos = builder.errorPosition() > 0 ? builder.errorPosition() - 1 : 0;
            const std::string what = builder.errorText();
            if (what.find("ill-formed UTF-8") != std::string::npos) {
                error = "invalid UTF-8 in a JSON string at byte " + std::to_string(pos);
            } else if (text.empty() || trim(text).empty()) {
                error = "invalid JSON at byte " + std::to_string(pos) + ": empty document";
            } else {
                error = "invalid JSON at byte " + std::to_string(pos) + ": " + stripNlohmannPrefix(what);
            }
            error = cleanMessage(error);
            return false;
        }
        out = std::move(result);
        return true;
    } catch (const std::bad_alloc&) {
        error = "out of memory while parsing JSON";
    } catch (const std::exception& e) {
        error = cleanMessage(std::string("invalid JSON: ") + e.what());
    }
    return false;
}

} // namespace el
