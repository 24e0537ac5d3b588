// SPDX-License-Identifier: MIT
#include "eventslice.h"

#include "model/event.h"

namespace el {

namespace {

constexpr std::size_t npos = std::string_view::npos;

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skipSpace(std::string_view s, std::size_t i)
{
    while (i < s.size() && isSpace(s[i]))
        ++i;
    return i;
}

/** One past the closing quote of the string that starts at s[i] == '"'; npos when it is not terminated. */
std::size_t skipString(std::string_view s, std::size_t i)
{
    ++i;
    while (i < s.size()) {
        const std::size_t q = s.find_first_of("\"\\", i);
        if (q == npos)
            return npos;
        if (s[q] == '"')
            return q + 1;
        i = q + 2; // a backslash escapes the next character (\" and \\ included; \uXXXX needs nothing more)
    }
    return npos;
}

/** One past the end of the JSON value that starts at s[i]; npos when it is not well-formed enough to scan. */
std::size_t skipValue(std::string_view s, std::size_t i)
{
    if (i >= s.size())
        return npos;
    const char c = s[i];
    if (c == '"')
        return skipString(s, i);
    if (c != '{' && c != '[') {
        // A number, true, false or null: up to the next delimiter.
        std::size_t j = i;
        while (j < s.size() && !isSpace(s[j]) && s[j] != ',' && s[j] != ']' && s[j] != '}' && s[j] != ':')
            ++j;
        return j == i ? npos : j;
    }
    std::string open; // the closing brackets still expected, innermost last (no recursion: any depth is fine)
    while (true) {
        i = s.find_first_of("\"{}[]", i);
        if (i == npos)
            return npos;
        switch (s[i]) {
        case '"':
            i = skipString(s, i);
            if (i == npos)
                return npos;
            continue;
        case '{':
            open.push_back('}');
            break;
        case '[':
            open.push_back(']');
            break;
        default:
            if (open.empty() || open.back() != s[i])
                return npos;
            open.pop_back();
            if (open.empty())
                return i + 1;
        }
        ++i;
    }
}

/** The elements of the array that starts at s[i] == '[', appended to \a out; false when it is malformed. */
bool arrayElements(std::string_view s, std::size_t i, std::vector<TextSpan>& out)
{
    i = skipSpace(s, i + 1);
    if (i < s.size() && s[i] == ']')
        return true;
    while (i < s.size()) {
        const std::size_t end = skipValue(s, i);
        if (end == npos)
            return false;
        out.push_back({i, end});
        i = skipSpace(s, end);
        if (i >= s.size())
            return false;
        if (s[i] == ']')
            return true;
        if (s[i] != ',')
            return false;
        i = skipSpace(s, i + 1);
    }
    return false;
}

/** The text of the JSON string \a quoted (with its quotes), its escapes undone. */
std::string unquoted(std::string_view quoted)
{
    const std::string_view inner = quoted.substr(1, quoted.size() - 2);
    if (inner.find('\\') == npos)
        return std::string(inner);
    const Json j = Json::parse(quoted, nullptr, false);
    return j.is_string() ? j.get<std::string>() : std::string();
}

/**
 * The value of member \a key of the object that starts at s[i] == '{' (the last one when the key repeats, as the
 * parser keeps it) into \a value; an empty span when there is none. False when the object is malformed.
 */
bool findMember(std::string_view s, std::size_t i, std::string_view key, TextSpan& value)
{
    value = {};
    i = skipSpace(s, i + 1);
    if (i < s.size() && s[i] == '}')
        return true;
    while (i < s.size()) {
        if (s[i] != '"')
            return false;
        const std::size_t keyEnd = skipString(s, i);
        if (keyEnd == npos)
            return false;
        const bool match = unquoted(s.substr(i, keyEnd - i)) == key;
        i = skipSpace(s, keyEnd);
        if (i >= s.size() || s[i] != ':')
            return false;
        i = skipSpace(s, i + 1);
        const std::size_t end = skipValue(s, i);
        if (end == npos)
            return false;
        if (match)
            value = {i, end};
        i = skipSpace(s, end);
        if (i >= s.size())
            return false;
        if (s[i] == '}')
            return true;
        if (s[i] != ',')
            return false;
        i = skipSpace(s, i + 1);
    }
    return false;
}

/** The event's uuid as Event::uuid() has it: a string as it is, null as nothing, anything else as compact JSON. */
std::string uuidText(std::string_view value)
{
    const Json j = Json::parse(value, nullptr, false);
    if (j.is_discarded() || j.is_null())
        return {};
    return j.is_string() ? j.get<std::string>() : j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

/** The "uuid" of the event object in \a span (or of its "doc", an NDJSON export line); nullopt when it has none. */
std::optional<std::string> spanUuid(std::string_view json, const TextSpan& span)
{
    const std::string_view s = json.substr(0, span.end);
    if (span.begin >= s.size() || s[span.begin] != '{')
        return std::nullopt;
    TextSpan value;
    if (!findMember(s, span.begin, "uuid", value))
        return std::nullopt;
    if (value.size() == 0) {
        TextSpan doc;
        if (!findMember(s, span.begin, "doc", doc) || doc.size() == 0 || s[doc.begin] != '{'
            || !findMember(s.substr(0, doc.end), doc.begin, "uuid", value) || value.size() == 0)
            return std::nullopt;
    }
    return uuidText(s.substr(value.begin, value.size()));
}

} // namespace

std::vector<TextSpan> eventSpans(std::string_view json)
{
    std::vector<TextSpan> spans;
    std::size_t i = json.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; // a UTF-8 BOM, as the parser skips it
    i = skipSpace(json, i);
    while (i < json.size()) {
        const std::size_t end = skipValue(json, i);
        if (end == npos)
            return {};
        if (json[i] == '[') {
            if (!arrayElements(json, i, spans))
                return {};
        } else if (json[i] == '{') {
            TextSpan batch;
            if (!findMember(json, i, "batch", batch))
                return {};
            if (batch.size() > 0 && json[batch.begin] == '[') {
                if (!arrayElements(json, batch.begin, spans))
                    return {};
            } else {
                spans.push_back({i, end});
            }
        } // a scalar holds no event
        i = skipSpace(json, end);
    }
    return spans;
}

std::optional<std::size_t> pickEventSpan(
    std::string_view json, const std::vector<TextSpan>& spans, const std::string& uuid, std::size_t index)
{
    if (index < spans.size() && (uuid.empty() || spanUuid(json, spans[index]) == uuid))
        return index;
    if (!uuid.empty()) {
        for (std::size_t i = 0; i < spans.size(); ++i) {
            if (i != index && spanUuid(json, spans[i]) == uuid)
                return i;
        }
    }
    if (index < spans.size())
        return index;
    return std::nullopt;
}

} // namespace el
