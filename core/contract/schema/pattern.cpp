// SPDX-License-Identifier: MIT
#include "pattern.h"
#include "util/utf8.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <locale>
#include <vector>

namespace el::schema_detail {

namespace {

/**
 * UTF-8 to code points (wchar_t is 32 bits on the supported systems). What el::utf8SequenceLength()
 * refuses (the project's one strict UTF-8 check) becomes U+FFFD, one per byte.
 */
std::wstring decodeUtf8(std::string_view s)
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
 * std::regex flags for a search that must not recurse per input character: libstdc++'s polynomial (Thompson NFA)
 * mode, an internal of libstdc++ (the one place it is named); elsewhere the caller backtracks with its length limit.
 */
std::regex_constants::syntax_option_type nonRecursive()
{
#if defined(__GLIBCXX__)
    return std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
    throw std::regex_error(std::regex_constants::error_complexity);
#endif
}

} // namespace

CodePointRegex::CodePointRegex(const std::string& pattern)
{
    const std::wstring p = ecmaWhiteSpace(decodeUtf8(pattern));
    m_regex.imbue(std::locale::classic()); // classification must not follow the process locale
    try {
        m_regex.assign(p, nonRecursive());
        m_polynomial = true;
    } catch (const std::regex_error&) { // back-references: backtracking, with kMaxBacktrackingInput
        m_regex.assign(p, std::regex::ECMAScript);
    }
    // LinearRegex makes one pass over the UTF-8 text without allocating (std::wregex needs the text decoded).
    // It refuses what it does not do (see linearregex.h), and never judges validity: std::wregex does, above.
    m_linear = LinearRegex::compile(pattern);
}

std::optional<bool> CodePointRegex::search(std::string_view text) const
{
    if (m_linear)
        return m_linear->search(text);
    const std::wstring t = decodeUtf8(text);
    if (!m_polynomial && t.size() > kMaxBacktrackingInput)
        return std::nullopt;
    return std::regex_search(t, m_regex);
}

bool patternSearch(const std::string& pattern, const std::string& text, bool* ok)
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

bool regexSearch(const std::string& pattern, const std::string& text, bool* ok)
{
    // Backtracking is enough: the names given here are at most kMaxPatternPropertyName bytes (longer ones are
    // refused before validation), and valijson has already matched each of them against the same pattern.
    try {
        const std::regex re(pattern, std::regex::ECMAScript);
        if (ok)
            *ok = true;
        if (text.size() > kMaxBacktrackingInput)
            return false;
        return std::regex_search(text, re);
    } catch (const std::exception&) {
        if (ok)
            *ok = false;
        return false;
    }
}

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

} // namespace el::schema_detail
