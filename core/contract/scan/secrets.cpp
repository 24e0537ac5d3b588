// SPDX-License-Identifier: MIT
// The secret detectors of scan.h (API keys, tokens, private keys): each a prefix or a shape, then the rules on the
// body that tell a key from prose. The rule of each is written above it.
#include "contract/scan.h"

#include "chars.h"
#include "util/base64.h"

#include <algorithm>

namespace el {

using namespace scan_detail;

namespace {

/** At least one digit, one upper-case and one lower-case letter: random keys have all three, prose slugs do not. */
bool mixed(std::string_view s)
{
    bool digit = false, upper = false, lowerCase = false;
    for (char c : s) {
        digit = digit || isDigit(c);
        upper = upper || isUpper(c);
        lowerCase = lowerCase || isLower(c);
    }
    return digit && upper && lowerCase;
}

/** The "sk-" keys: the body after \a prefix at \a pos is [A-Za-z0-9_-]{32,} and mixed(). */
std::optional<ScanMatch> skKey(std::string_view t, std::size_t from, bool anthropic)
{
    for (std::size_t pos = t.find("sk-", from); pos != std::string_view::npos; pos = t.find("sk-", pos + 3)) {
        if (!boundaryBefore(t, pos))
            continue;
        const bool ant = startsWith(t, pos, "sk-ant-");
        if (ant != anthropic)
            continue;
        std::size_t body = pos + (ant ? 7 : 3);
        if (!ant) {
            for (std::string_view v : {"proj-", "svcacct-", "admin-"}) {
                if (startsWith(t, body, v)) {
                    body += v.size();
                    break;
                }
            }
        }
        const std::size_t end = runEnd(t, body, isKeyChar);
        if (end - body >= 32 && mixed(t.substr(body, end - body)))
            return ScanMatch {pos, end};
    }
    return std::nullopt;
}

/**
 * \a prefix at a word boundary followed by exactly \a length characters of \a pred (no more of them right after), or
 * at least \a length when \a exact is false.
 */
template<typename Pred>
std::optional<ScanMatch> prefixed(
    std::string_view t, std::size_t from, std::string_view prefix, std::size_t length, bool exact, Pred pred)
{
    for (std::size_t pos = t.find(prefix, from); pos != std::string_view::npos; pos = t.find(prefix, pos + 1)) {
        if (!boundaryBefore(t, pos))
            continue;
        const std::size_t body = pos + prefix.size();
        const std::size_t end = runEnd(t, body, pred);
        if (exact ? end - body == length : end - body >= length)
            return ScanMatch {pos, end};
    }
    return std::nullopt;
}

/** base64url (or base64) text decoded into \a out (at most \a cap bytes, no allocation); false when it is not base64.
 */
bool base64UrlDecode(std::string_view in, char* out, std::size_t cap, std::size_t& size)
{
    if (in.size() % 4 == 1)
        return false;
    size = 0;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        const int v = base64Value(c);
        if (v < 0)
            return false;
        acc = (acc << 6) | unsigned(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (size == cap)
                return false;
            out[size++] = char((acc >> bits) & 0xffu);
        }
    }
    return true;
}

} // namespace

namespace detect {

// "sk-ant-" + [A-Za-z0-9_-]{32,} with a digit, an upper- and a lower-case letter; not after a letter or digit.
std::optional<ScanMatch> anthropic(std::string_view text, std::size_t from)
{
    return skKey(text, from, true);
}

// "sk-" (then optionally "proj-", "svcacct-" or "admin-"), not "sk-ant-", + [A-Za-z0-9_-]{32,}, mixed as above.
std::optional<ScanMatch> openai(std::string_view text, std::size_t from)
{
    return skKey(text, from, false);
}

// "AIza" + exactly 35 of [A-Za-z0-9_-].
std::optional<ScanMatch> google(std::string_view text, std::size_t from)
{
    return prefixed(text, from, "AIza", 35, true, isKeyChar);
}

// "AKIA" (long-term) or "ASIA" (temporary) + exactly 16 of [A-Z0-9], no letter or digit on either side.
std::optional<ScanMatch> aws(std::string_view text, std::size_t from)
{
    auto upperDigit = [](char c) { return isUpper(c) || isDigit(c); };
    for (std::size_t pos = from; pos + 20 <= text.size(); ++pos) {
        pos = text.find('A', pos);
        if (pos == std::string_view::npos || pos + 20 > text.size())
            break;
        if (!(startsWith(text, pos, "AKIA") || startsWith(text, pos, "ASIA")) || !boundaryBefore(text, pos))
            continue;
        const std::size_t end = runEnd(text, pos + 4, upperDigit);
        if (end - pos == 20 && (end == text.size() || !isAlnum(text[end])))
            return ScanMatch {pos, end};
    }
    return std::nullopt;
}

// "ghp_", "gho_", "ghu_", "ghs_", "ghr_" + exactly 36 of [A-Za-z0-9]; "github_pat_" + exactly 82 of [A-Za-z0-9_].
std::optional<ScanMatch> github(std::string_view text, std::size_t from)
{
    for (std::size_t pos = text.find('g', from); pos != std::string_view::npos; pos = text.find('g', pos + 1)) {
        if (!boundaryBefore(text, pos))
            continue;
        if (pos + 4 <= text.size() && text[pos + 1] == 'h' && text[pos + 3] == '_'
            && std::string_view("pousr").find(text[pos + 2]) != std::string_view::npos) {
            const std::size_t end = runEnd(text, pos + 4, isAlnum);
            if (end - pos - 4 == 36 && (end == text.size() || text[end] != '_'))
                return ScanMatch {pos, end};
        }
        if (startsWith(text, pos, "github_pat_")) {
            const std::size_t end = runEnd(text, pos + 11, [](char c) { return isAlnum(c) || c == '_'; });
            if (end - pos - 11 == 82)
                return ScanMatch {pos, end};
        }
    }
    return std::nullopt;
}

// "phx_" + [A-Za-z0-9]{20,} with a digit (a project key, "phc_…", is public and not flagged).
std::optional<ScanMatch> posthog(std::string_view text, std::size_t from)
{
    for (std::size_t pos = text.find("phx_", from); pos != std::string_view::npos; pos = text.find("phx_", pos + 4)) {
        if (!boundaryBefore(text, pos))
            continue;
        const std::size_t end = runEnd(text, pos + 4, isAlnum);
        if (end - pos - 4 >= 20 && hasDigit(text.substr(pos + 4, end - pos - 4)))
            return ScanMatch {pos, end};
    }
    return std::nullopt;
}

// "xox" + one of a, b, p, r, s + "-" + [A-Za-z0-9-]{15,} with a digit.
std::optional<ScanMatch> slack(std::string_view text, std::size_t from)
{
    for (std::size_t pos = text.find("xox", from); pos != std::string_view::npos; pos = text.find("xox", pos + 3)) {
        if (!boundaryBefore(text, pos) || pos + 5 > text.size() || text[pos + 4] != '-'
            || std::string_view("abprs").find(text[pos + 3]) == std::string_view::npos)
            continue;
        const std::size_t end = runEnd(text, pos + 5, [](char c) { return isAlnum(c) || c == '-'; });
        if (end - pos - 5 >= 15 && hasDigit(text.substr(pos + 5, end - pos - 5)))
            return ScanMatch {pos, end};
    }
    return std::nullopt;
}

// "-----BEGIN " + a label of [A-Z0-9 ] ending in "PRIVATE KEY" or "PRIVATE KEY BLOCK" + "-----", then (after line
// breaks, real or written "\n") at least 16 base64 characters; the match runs to the end of its "-----END …-----"
// line, or without one over the base64 body that follows.
std::optional<ScanMatch> pem(std::string_view text, std::size_t from)
{
    constexpr std::string_view begin = "-----BEGIN ";
    for (std::size_t pos = text.find(begin, from); pos != std::string_view::npos;
         pos = text.find(begin, pos + begin.size())) {
        const std::size_t label = pos + begin.size();
        const std::size_t labelEnd = runEnd(text, label, [](char c) { return isUpper(c) || isDigit(c) || c == ' '; });
        const std::string_view name = text.substr(label, labelEnd - label);
        if (name.size() > 48 || !startsWith(text, labelEnd, "-----"))
            continue;
        const bool privateKey = (name.size() >= 11 && name.substr(name.size() - 11) == "PRIVATE KEY")
            || (name.size() >= 17 && name.substr(name.size() - 17) == "PRIVATE KEY BLOCK");
        if (!privateKey)
            continue;
        // Key material must follow (a header alone, or a report's masked "-----BEGIN … PRIVATE KEY-----…", is none).
        std::size_t body = labelEnd + 5;
        for (;;) {
            if (body < text.size()
                && (text[body] == '\n' || text[body] == '\r' || text[body] == ' ' || text[body] == '\t'))
                ++body;
            else if (startsWith(text, body, "\\n") || startsWith(text, body, "\\r"))
                body += 2;
            else
                break;
        }
        const std::size_t material
            = runEnd(text, body, [](char c) { return isAlnum(c) || c == '+' || c == '/' || c == '='; });
        if (material - body < 16)
            continue;
        // The match runs to the end of the END line when there is one, else over the whole body (base64, line breaks
        // real or written, "Proc-Type: 4,ENCRYPTED" headers): always over the key material.
        const std::size_t endLine = text.find("-----END ", material);
        const std::size_t close = endLine == std::string_view::npos ? endLine : text.find("-----", endLine + 9);
        if (close != std::string_view::npos)
            return ScanMatch {pos, close + 5};
        return ScanMatch {pos, runEnd(text, material, [](char c) {
                              return isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r'
                                  || c == ' ' || c == '\t' || c == '\\' || c == ':' || c == ',' || c == '-';
                          })};
    }
    return std::nullopt;
}

// Three base64url parts joined by '.': the first starts "eyJ" and decodes to a JSON object naming "alg", the second
// is not empty, the third (the signature) may be; not inside a longer run of base64url characters or dots.
std::optional<ScanMatch> jwt(std::string_view text, std::size_t from)
{
    for (std::size_t pos = text.find("eyJ", from); pos != std::string_view::npos; pos = text.find("eyJ", pos + 3)) {
        if (pos > 0 && (isKeyChar(text[pos - 1]) || text[pos - 1] == '.'))
            continue;
        const std::size_t headerEnd = runEnd(text, pos, isKeyChar);
        if (headerEnd - pos < 10 || headerEnd >= text.size() || text[headerEnd] != '.')
            continue;
        const std::size_t payloadEnd = runEnd(text, headerEnd + 1, isKeyChar);
        if (payloadEnd - headerEnd - 1 < 2 || payloadEnd >= text.size() || text[payloadEnd] != '.')
            continue;
        const std::size_t end = runEnd(text, payloadEnd + 1, isKeyChar);
        if (end < text.size() && text[end] == '.')
            continue; // four parts or more: not a JWS compact token
        char header[384];
        std::size_t n = 0;
        std::string_view h = text.substr(pos, std::min<std::size_t>(headerEnd - pos, 512));
        if (h.size() % 4 == 1)
            h.remove_suffix(1);
        if (!base64UrlDecode(h, header, sizeof header, n) || n == 0 || header[0] != '{')
            continue;
        if (std::string_view(header, n).find("\"alg\"") == std::string_view::npos)
            continue;
        return ScanMatch {pos, end};
    }
    return std::nullopt;
}

// "Bearer" (any case, not after a letter or digit), spaces or tabs, then a token of [A-Za-z0-9._~+/=-]{16,} with a
// letter and a digit. The match is the word "Bearer" through the token.
std::optional<ScanMatch> bearer(std::string_view text, std::size_t from)
{
    for (std::size_t pos = from; pos + 6 < text.size(); ++pos) {
        const char c = text[pos];
        if ((c != 'B' && c != 'b') || !boundaryBefore(text, pos))
            continue;
        bool word = true;
        for (std::size_t k = 1; k < 6 && word; ++k)
            word = asciiLower(text[pos + k]) == "bearer"[k];
        if (!word)
            continue;
        const std::size_t token = runEnd(text, pos + 6, [](char ch) { return ch == ' ' || ch == '\t'; });
        if (token == pos + 6)
            continue;
        const std::size_t end = runEnd(text, token, [](char ch) {
            return isAlnum(ch) || ch == '.' || ch == '_' || ch == '~' || ch == '+' || ch == '/' || ch == '='
                || ch == '-';
        });
        const std::string_view t = text.substr(token, end - token);
        if (t.size() >= 16 && hasDigit(t) && std::any_of(t.begin(), t.end(), isAlpha))
            return ScanMatch {pos, end};
    }
    return std::nullopt;
}

} // namespace detect

} // namespace el
