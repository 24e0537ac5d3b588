// SPDX-License-Identifier: MIT
#include "scan.h"

#include <algorithm>
#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace el {

namespace {

// Indices in scanDetectors() (precedence order).
enum Det : std::size_t {
    Anthropic,
    OpenAI,
    Google,
    Aws,
    Github,
    Posthog,
    Slack,
    Pem,
    Jwt,
    Bearer,
    Email,
    Card,
    Phone,
    DetCount
};

static_assert(DetCount <= 32, "DetectorMask has 32 bits");

constexpr std::string_view kEllipsis = "\xE2\x80\xA6"; // …

bool isDigit(char c)
{
    return unsigned(c - '0') < 10u;
}
bool isUpper(char c)
{
    return unsigned(c - 'A') < 26u;
}
bool isLower(char c)
{
    return unsigned(c - 'a') < 26u;
}
bool isAlpha(char c)
{
    return isUpper(c) || isLower(c);
}
bool isAlnum(char c)
{
    return isDigit(c) || isAlpha(c);
}
/** base64url, and the characters of most API keys: [A-Za-z0-9_-]. */
bool isKeyChar(char c)
{
    return isAlnum(c) || c == '_' || c == '-';
}

char lower(char c)
{
    return isUpper(c) ? char(c - 'A' + 'a') : c;
}

/** Nothing of a word right before \a pos: the start of the text or a character that is not a letter or digit. */
bool boundaryBefore(std::string_view t, std::size_t pos)
{
    return pos == 0 || !isAlnum(t[pos - 1]);
}

/** The end of the run of characters accepted by \a pred that starts at \a pos. */
template<typename Pred> std::size_t runEnd(std::string_view t, std::size_t pos, Pred pred)
{
    while (pos < t.size() && pred(t[pos]))
        ++pos;
    return pos;
}

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

bool hasDigit(std::string_view s)
{
    return std::any_of(s.begin(), s.end(), isDigit);
}

bool startsWith(std::string_view t, std::size_t pos, std::string_view prefix)
{
    return t.size() - pos >= prefix.size() && t.compare(pos, prefix.size(), prefix) == 0;
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

std::optional<ScanMatch> earliest(std::optional<ScanMatch> a, std::optional<ScanMatch> b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return b->begin < a->begin ? b : a;
}

/** base64url (or base64) text decoded into \a out (at most \a cap bytes); false when it is not base64. */
bool base64UrlDecode(std::string_view in, char* out, std::size_t cap, std::size_t& size)
{
    auto value = [](char c) -> int {
        if (isUpper(c))
            return c - 'A';
        if (isLower(c))
            return c - 'a' + 26;
        if (isDigit(c))
            return c - '0' + 52;
        if (c == '-' || c == '+')
            return 62;
        if (c == '_' || c == '/')
            return 63;
        return -1;
    };
    if (in.size() % 4 == 1)
        return false;
    size = 0;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        const int v = value(c);
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

bool isEmailLocalChar(char c)
{
    return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool isDomainChar(char c)
{
    return isAlnum(c) || c == '.' || c == '-';
}

/** The address around the '@' at \a at, or nullopt; \a from bounds how far left the local part may reach. */
std::optional<ScanMatch> emailAt(std::string_view t, std::size_t at, std::size_t from)
{
    std::size_t begin = at;
    while (begin > from && at - begin < 64 && isEmailLocalChar(t[begin - 1]))
        --begin;
    while (begin < at && (t[begin] == '.' || t[begin] == '-' || t[begin] == '+'))
        ++begin; // "--to=a@b.c", ".a@b.c"
    if (begin == at || t[at - 1] == '.')
        return std::nullopt;
    std::size_t end = runEnd(t, at + 1, isDomainChar);
    while (end > at + 1 && (t[end - 1] == '.' || t[end - 1] == '-'))
        --end; // "mail a@b.com." ends a sentence
    const std::string_view domain = t.substr(at + 1, end - at - 1);
    if (domain.size() > 253 || domain.find('.') == std::string_view::npos)
        return std::nullopt;
    // Labels: not empty, not starting or ending with '-'; the last one (TLD) 2-24 letters.
    std::size_t labelStart = 0;
    for (std::size_t i = 0; i <= domain.size(); ++i) {
        if (i < domain.size() && domain[i] != '.')
            continue;
        const std::string_view label = domain.substr(labelStart, i - labelStart);
        if (label.empty() || label.front() == '-' || label.back() == '-')
            return std::nullopt;
        if (i == domain.size()) {
            if (label.size() < 2 || label.size() > 24 || !std::all_of(label.begin(), label.end(), isAlpha))
                return std::nullopt;
        }
        labelStart = i + 1;
    }
    // "icon@2x.png", "logo@1.5x.webp": image scale suffixes, not addresses.
    const std::size_t scale = domain.find("x.");
    if (scale != std::string_view::npos && scale > 0
        && std::all_of(
            domain.begin(), domain.begin() + std::ptrdiff_t(scale), [](char c) { return isDigit(c) || c == '.'; }))
        return std::nullopt;
    return ScanMatch {begin, end};
}

/** A character that may not sit right before a number we flag: part of a word, a decimal, an id or a version. */
bool numberGlue(char c)
{
    return isAlnum(c) || c == '_' || c == '.' || c == '-' || c == '+' || c == '/' || c == ',' || c == '#';
}

/** Nothing of a number or word continues at \a pos (the end of a candidate). */
bool numberEndsAt(std::string_view t, std::size_t pos)
{
    if (pos >= t.size())
        return true;
    const char c = t[pos];
    if (isAlnum(c) || c == '_')
        return false;
    // "…-1234-5", "…1234.56", "…1234,5", "…1234/7": the number goes on.
    if ((c == '-' || c == '.' || c == ',' || c == '/' || c == ' ' || c == ':') && pos + 1 < t.size()
        && isDigit(t[pos + 1]))
        return false;
    return true;
}

/** Digits in groups separated by one \a sep (' ' or '-', or 0 for none) starting at \a pos: the group sizes. */
std::size_t digitGroups(std::string_view t, std::size_t pos, char sep, std::array<std::size_t, 8>& groups,
    std::size_t& count, std::size_t& end)
{
    count = 0;
    std::size_t digits = 0;
    end = pos;
    while (count < groups.size()) {
        const std::size_t e = runEnd(t, pos, isDigit);
        if (e == pos)
            break;
        groups[count++] = e - pos;
        digits += e - pos;
        end = e;
        if (sep == 0 || e + 1 >= t.size() || t[e] != sep || !isDigit(t[e + 1]))
            break;
        pos = e + 1;
    }
    return digits;
}

bool cardIssuer(std::string_view digits)
{
    const int d0 = digits[0] - '0';
    const int d1 = digits[1] - '0';
    switch (d0) {
    case 2: { // Mastercard 2221-2720
        const int four = d0 * 1000 + d1 * 100 + (digits[2] - '0') * 10 + (digits[3] - '0');
        return four >= 2221 && four <= 2720;
    }
    case 3: // Diners 30, 36, 38, 39; JCB 35; Amex 34, 37
        return d1 == 0 || (d1 >= 4 && d1 <= 9);
    case 4: // Visa
    case 5: // Mastercard 51-55, Maestro 50, 56-59
    case 6: // Discover, UnionPay, Maestro
        return true;
    default:
        return false;
    }
}

/** The card number starting at \a pos (a digit at a boundary), or nullopt; \a next: where to look on. */
std::optional<ScanMatch> cardAt(std::string_view t, std::size_t pos, std::size_t& next)
{
    std::array<std::size_t, 8> groups {};
    std::size_t count = 0, end = pos;
    next = runEnd(t, pos, isDigit);
    for (char sep : {'\0', ' ', '-'}) {
        const std::size_t digits = digitGroups(t, pos, sep, groups, count, end);
        if (sep == 0 ? count != 1 : count < 2)
            continue;
        if (digits < 13 || digits > 19 || !numberEndsAt(t, end))
            continue;
        if (sep != 0) {
            // 4-4-4-4(-3), 4-4-4-1..4, Amex 4-6-5, Diners 4-6-4
            bool fours = groups[0] == 4;
            for (std::size_t i = 1; i + 1 < count; ++i)
                fours = fours && groups[i] == 4;
            fours = fours && groups[count - 1] <= 4 && count >= 4;
            const bool amex = count == 3 && groups[0] == 4 && groups[1] == 6 && (groups[2] == 5 || groups[2] == 4);
            if (!fours && !amex)
                continue;
        }
        char buf[20];
        std::size_t n = 0;
        for (std::size_t i = pos; i < end; ++i) {
            if (isDigit(t[i]))
                buf[n++] = t[i];
        }
        const std::string_view number(buf, n);
        if (cardIssuer(number) && detect::luhn(number))
            return ScanMatch {pos, end};
    }
    return std::nullopt;
}

/** E.164 as written: '+', a country code, 8-15 digits in all, in at most 6 groups (single separators). */
std::optional<ScanMatch> plusPhoneAt(std::string_view t, std::size_t pos)
{
    std::size_t i = pos + 1;
    if (i >= t.size() || !isDigit(t[i]) || t[i] == '0')
        return std::nullopt;
    std::size_t digits = 0, groups = 0, lastGroup = 0, end = i;
    bool paren = false;
    while (i < t.size()) {
        if (t[i] == '(' && !paren && i + 1 < t.size() && isDigit(t[i + 1])) { // "+49 (0)30 …"
            paren = true;
            const std::size_t e = runEnd(t, i + 1, isDigit);
            if (e >= t.size() || t[e] != ')' || e - i - 1 > 4)
                return std::nullopt;
            digits += e - i - 1;
            ++groups;
            i = e + 1;
            end = i;
            if (i < t.size() && t[i] == ' ')
                ++i;
            continue;
        }
        const std::size_t e = runEnd(t, i, isDigit);
        if (e == i)
            break;
        digits += e - i;
        lastGroup = e - i;
        ++groups;
        end = e;
        if (e + 1 < t.size() && (t[e] == ' ' || t[e] == '-' || t[e] == '.') && (isDigit(t[e + 1]) || t[e + 1] == '('))
            i = e + 1;
        else
            break;
    }
    if (digits < 8 || digits > 15 || groups > 6 || lastGroup < 2 || !numberEndsAt(t, end))
        return std::nullopt;
    return ScanMatch {pos, end};
}

/** North American forms: (ddd) ddd-dddd, ddd-ddd-dddd, ddd.ddd.dddd, ddd ddd dddd (area and exchange 2-9…). */
std::optional<ScanMatch> nanpAt(std::string_view t, std::size_t pos)
{
    auto digitsAt = [&](std::size_t p, std::size_t n) {
        if (t.size() - p < n)
            return false;
        for (std::size_t k = 0; k < n; ++k) {
            if (!isDigit(t[p + k]))
                return false;
        }
        return true;
    };
    std::size_t i = pos;
    char sep = 0;
    if (t[i] == '(') {
        if (!digitsAt(i + 1, 3) || i + 4 >= t.size() || t[i + 4] != ')')
            return std::nullopt;
        if (t[i + 1] < '2')
            return std::nullopt;
        i += 5;
        if (i < t.size() && t[i] == ' ')
            ++i;
    } else {
        if (!digitsAt(i, 3) || t[i] < '2' || i + 3 >= t.size())
            return std::nullopt;
        sep = t[i + 3];
        if (sep != '-' && sep != '.' && sep != ' ')
            return std::nullopt;
        i += 4;
    }
    if (!digitsAt(i, 3) || t[i] < '2' || i + 3 >= t.size())
        return std::nullopt;
    const char sep2 = t[i + 3];
    if (sep ? sep2 != sep : (sep2 != '-' && sep2 != '.' && sep2 != ' '))
        return std::nullopt;
    i += 4;
    if (!digitsAt(i, 4))
        return std::nullopt;
    i += 4;
    if (!numberEndsAt(t, i))
        return std::nullopt;
    return ScanMatch {pos, i};
}

/** National forms with a trunk 0: "030 1234567", "020 7946 0958", "06 12 34 56 78", "0171/1234567": 9-12 digits. */
std::optional<ScanMatch> trunkPhoneAt(std::string_view t, std::size_t pos)
{
    if (t[pos] != '0' || pos + 1 >= t.size() || !isDigit(t[pos + 1]) || t[pos + 1] == '0')
        return std::nullopt;
    const std::size_t area = runEnd(t, pos, isDigit);
    if (area - pos < 2 || area - pos > 5 || area + 1 >= t.size())
        return std::nullopt;
    const char sep = t[area];
    if (sep != ' ' && sep != '-' && sep != '/')
        return std::nullopt;
    std::size_t digits = area - pos, groups = 1, i = area + 1, end = area;
    const char rest = sep == '/' ? ' ' : sep; // after "0171/": "1234567" or "123 4567"
    while (i < t.size()) {
        const std::size_t e = runEnd(t, i, isDigit);
        if (e - i < 2)
            return std::nullopt;
        digits += e - i;
        ++groups;
        end = e;
        if (e + 1 < t.size() && t[e] == rest && isDigit(t[e + 1]))
            i = e + 1;
        else
            break;
    }
    if (digits < 9 || digits > 12 || groups < 2 || groups > 5 || !numberEndsAt(t, end))
        return std::nullopt;
    return ScanMatch {pos, end};
}

// --- the first pass ---------------------------------------------------------------------------------------------

// Characters the detectors need, one bit each; a detector runs only when its characters are all in the text (an
// "sk-" key needs '-' and 'k', a JWT 'J', 'y' and '.', an address '@' and '.', ...).
enum Pre : std::uint16_t {
    PDash = 1,
    PUnder = 2,
    PAt = 4,
    PUpperA = 8,
    PUpperJ = 16,
    PB = 32, ///< 'B' or 'b'
    PLowerX = 64,
    PLowerK = 128,
    PLowerG = 256,
    PLowerY = 512,
    PDot = 1024,
    PSpace = 2048, ///< space or tab
    PNonHex = 4096, ///< not one of [0-9a-fA-F-]
    PHexLetter = 8192, ///< a-f, A-F
};

constexpr std::array<std::uint16_t, 256> makePre()
{
    std::array<std::uint16_t, 256> t {};
    for (int c = 0; c < 256; ++c) {
        const bool digit = c >= '0' && c <= '9';
        const bool hexLetter = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!digit && !hexLetter && c != '-')
            t[std::size_t(c)] |= PNonHex;
        if (hexLetter)
            t[std::size_t(c)] |= PHexLetter;
    }
    t['-'] |= PDash;
    t['_'] |= PUnder;
    t['@'] |= PAt;
    t['A'] |= PUpperA;
    t['J'] |= PUpperJ;
    t['B'] |= PB;
    t['b'] |= PB;
    t['x'] |= PLowerX;
    t['k'] |= PLowerK;
    t['g'] |= PLowerG;
    t['y'] |= PLowerY;
    t['.'] |= PDot;
    t[' '] |= PSpace;
    t['\t'] |= PSpace;
    return t;
}
constexpr std::array<std::uint16_t, 256> kPre = makePre();

/**
 * An identifier, a hash or a uuid: only hexadecimal digits and dashes, and at least one letter. Such a value is never
 * taken for a card or phone number (a uuid's "-6003-7003-8003-" groups would otherwise be digits between dashes).
 */
bool hexIdentifier(std::string_view t)
{
    unsigned bits = 0;
    for (char c : t)
        bits |= kPre[static_cast<unsigned char>(c)];
    return !(bits & PNonHex) && (bits & PHexLetter);
}

// Character classes of the number scan below, one bit each.
enum NumClass : std::uint8_t {
    NDigit = 1,
    NWord = 2, ///< a letter or '_': glues to a digit next to it
    NSpace = 4, ///< white space, '(' and ')': continue a number, and a number may start after them
    NGlueSep = 8, ///< '-', '.', '/': continue a number; none starts after them
    NPlus = 16, ///< '+': continues a number; one may start after it when one could start before it
    NGluePunct = 32, ///< ',', '#': end a number; none starts after them
    NOther = 64, ///< anything else: ends a number; one may start after it
};

constexpr std::array<std::uint8_t, 256> makeNumClass()
{
    std::array<std::uint8_t, 256> t {};
    for (int c = 0; c < 256; ++c) {
        std::uint8_t k = NOther;
        if (c >= '0' && c <= '9')
            k = NDigit;
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
            k = NWord;
        else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')')
            k = NSpace;
        else if (c == '-' || c == '.' || c == '/')
            k = NGlueSep;
        else if (c == '+')
            k = NPlus;
        else if (c == ',' || c == '#')
            k = NGluePunct;
        t[std::size_t(c)] = k;
    }
    return t;
}
constexpr std::array<std::uint8_t, 256> kNumClass = makeNumClass();

/**
 * The most digits in one number of \a t: a chain of digit groups joined by spaces, dashes, dots, slashes,
 * parentheses or '+', that starts where a number may start (not right after a letter, a digit, '_', '-', '.', '/',
 * ',' or '#'); a group glued to a letter at its end does not count. Every card or phone number the detectors accept
 * lies in such a chain, so fewer than 8 (13) digits here means no phone (card) number.
 */
unsigned longestNumber(std::string_view t)
{
    unsigned best = 0;
    bool startOk = true; // a number may start at the next character
    for (std::size_t i = 0; i < t.size();) {
        unsigned k = kNumClass[static_cast<unsigned char>(t[i])];
        if (k != NDigit || !startOk) {
            startOk = (k & (NSpace | NOther)) || (k == NPlus && startOk);
            ++i;
            continue;
        }
        unsigned count = 0, group = 0;
        for (; i < t.size(); ++i) {
            k = kNumClass[static_cast<unsigned char>(t[i])];
            if (k == NDigit) {
                ++group;
            } else if (k & (NSpace | NGlueSep | NPlus)) {
                count += group;
                group = 0;
            } else {
                break;
            }
        }
        if (i == t.size() || k != NWord)
            count += group; // a last group glued to a letter does not count
        best = std::max(best, count);
        if (i < t.size()) {
            startOk = k == NOther; // the chain ended at a letter, ',' or '#' (no number starts after them) or another
            ++i;
        }
    }
    return best;
}

bool all(unsigned bits, unsigned want)
{
    return (bits & want) == want;
}

/** The Pre bits of the characters of \a text and its number of digits, one byte at a time. */
unsigned firstPassScalar(std::string_view text, std::size_t& digits)
{
    unsigned bits = 0;
    digits = 0;
    for (char c : text) {
        bits |= kPre[static_cast<unsigned char>(c)];
        digits += isDigit(c) ? 1 : 0;
    }
    return bits;
}

#if defined(__SSE2__)
/** The same, 16 bytes at a time (SSE2; a value shorter than 16 bytes goes byte by byte). */
unsigned firstPassSse2(std::string_view text, std::size_t& digits)
{
    if (text.size() < 16)
        return firstPassScalar(text, digits);
    __m128i acc0 = _mm_setzero_si128(); // Pre bits 0-7, as they are
    __m128i acc1 = _mm_setzero_si128(); // Pre bits 8-13, shifted right by 8
    unsigned digitCount = 0;
    auto block = [&](const char* at, unsigned countMask) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
        const __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
        auto eq = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
        auto bit = [](__m128i m, int b) { return _mm_and_si128(m, _mm_set1_epi8(static_cast<char>(b))); };
        const __m128i dash = eq('-');
        const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
        const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
        const __m128i x = _mm_sub_epi8(lower, _mm_set1_epi8('a'));
        const __m128i hexLetter = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(5)), x);
        const __m128i nonHex = _mm_andnot_si128(_mm_or_si128(_mm_or_si128(digit, hexLetter), dash), _mm_set1_epi8(-1));
        acc0 = _mm_or_si128(acc0,
            _mm_or_si128(_mm_or_si128(_mm_or_si128(bit(dash, PDash), bit(eq('_'), PUnder)),
                             _mm_or_si128(bit(eq('@'), PAt), bit(eq('A'), PUpperA))),
                _mm_or_si128(_mm_or_si128(bit(eq('J'), PUpperJ), bit(_mm_cmpeq_epi8(lower, _mm_set1_epi8('b')), PB)),
                    _mm_or_si128(bit(eq('x'), PLowerX), bit(eq('k'), PLowerK)))));
        acc1 = _mm_or_si128(acc1,
            _mm_or_si128(_mm_or_si128(bit(eq('g'), PLowerG >> 8), bit(eq('y'), PLowerY >> 8)),
                _mm_or_si128(_mm_or_si128(bit(eq('.'), PDot >> 8), bit(_mm_or_si128(eq(' '), eq('\t')), PSpace >> 8)),
                    _mm_or_si128(bit(nonHex, PNonHex >> 8), bit(hexLetter, PHexLetter >> 8)))));
        unsigned m = unsigned(_mm_movemask_epi8(digit)) & countMask; // popcount (no POPCNT in x86-64 baseline)
        m = m - ((m >> 1) & 0x5555u);
        m = (m & 0x3333u) + ((m >> 2) & 0x3333u);
        m = (m + (m >> 4)) & 0x0f0fu;
        digitCount += (m + (m >> 8)) & 0x1fu;
    };
    std::size_t at = 0;
    for (; at + 16 <= text.size(); at += 16)
        block(text.data() + at, 0xffffu);
    if (at < text.size()) // the last 16 bytes again: bits are or-ed; count only the lanes not seen yet
        block(text.data() + text.size() - 16, 0xffffu & ~((1u << (16 - (text.size() - at))) - 1u));
    auto fold = [](__m128i a) {
        a = _mm_or_si128(a, _mm_srli_si128(a, 8));
        a = _mm_or_si128(a, _mm_srli_si128(a, 4));
        a = _mm_or_si128(a, _mm_srli_si128(a, 2));
        a = _mm_or_si128(a, _mm_srli_si128(a, 1));
        return unsigned(_mm_cvtsi128_si32(a)) & 0xffu;
    };
    digits = digitCount;
    return fold(acc0) | (fold(acc1) << 8);
}

/**
 * True when \a text (16 bytes or more) is an identifier as hexIdentifier() says, looking at 16 bytes at a time and
 * stopping at the first block with anything else: uuids and hex ids are most of the bytes of an event's values.
 */
bool hexIdentifierSse2(std::string_view text)
{
    unsigned letters = 0;
    auto block = [&](const char* at) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
        const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
        const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
        const __m128i x = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
        const __m128i hexLetter = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(5)), x);
        const __m128i ok = _mm_or_si128(_mm_or_si128(digit, hexLetter), _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
        letters |= unsigned(_mm_movemask_epi8(hexLetter));
        return _mm_movemask_epi8(ok) == 0xffff;
    };
    std::size_t at = 0;
    for (; at + 16 <= text.size(); at += 16) {
        if (!block(text.data() + at))
            return false;
    }
    if (at < text.size() && !block(text.data() + text.size() - 16))
        return false;
    return letters != 0;
}
#endif

/** The Pre bits of the characters of \a text and its number of digits. */
unsigned firstPass(std::string_view text, std::size_t& digits)
{
#if defined(__SSE2__)
    return firstPassSse2(text, digits);
#else
    return firstPassScalar(text, digits);
#endif
}

/** The detectors of \a wanted that \a text could hold a match of (never fewer than those that find one). */
DetectorMask triggered(std::string_view text, DetectorMask wanted)
{
#if defined(__SSE2__)
    if (text.size() >= 16 && hexIdentifierSse2(text))
        return 0; // as below, sooner
#endif
    std::size_t digits = 0;
    const unsigned bits = firstPass(text, digits);
    if (!(bits & PNonHex) && (bits & PHexLetter))
        return 0; // an id, a hash, a uuid: no key prefix fits in [0-9a-f-], and see hexIdentifier()
    DetectorMask m = 0;
    if (all(bits, PDash | PLowerK))
        m |= (1u << Anthropic) | (1u << OpenAI);
    if (all(bits, PDash | PLowerX))
        m |= 1u << Slack;
    if (all(bits, PDash | PB))
        m |= 1u << Pem;
    if (bits & PUpperA)
        m |= (1u << Google) | (1u << Aws);
    if (all(bits, PUnder | PLowerG))
        m |= 1u << Github;
    if (all(bits, PUnder | PLowerX))
        m |= 1u << Posthog;
    if (all(bits, PUpperJ | PLowerY | PDot))
        m |= 1u << Jwt;
    if (all(bits, PB | PSpace))
        m |= 1u << Bearer;
    if (all(bits, PAt | PDot))
        m |= 1u << Email;
    if (digits >= 8 && (wanted & ((1u << Card) | (1u << Phone)))) {
        const unsigned longest = longestNumber(text);
        if (longest >= 13)
            m |= 1u << Card;
        if (longest >= 8)
            m |= 1u << Phone;
    }
    return m & wanted;
}

} // namespace

// --- the detectors ----------------------------------------------------------------------------------------------

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
            word = lower(text[pos + k]) == "bearer"[k];
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

// local@domain: local part [A-Za-z0-9._%+-]{1,64}; domain labels [A-Za-z0-9-] (not starting or ending with '-')
// with at least one dot; the last label 2-24 letters. Not an image scale suffix ("icon@2x.png").
std::optional<ScanMatch> email(std::string_view text, std::size_t from)
{
    for (std::size_t at = text.find('@', from); at != std::string_view::npos; at = text.find('@', at + 1)) {
        if (at == 0 || at + 1 >= text.size())
            continue;
        if (auto m = emailAt(text, at, from))
            return m;
    }
    return std::nullopt;
}

// 13-19 digits, either together or in groups (4-4-4-4, 4-4-4-4-3, 4-4-4-1..4; Amex and Diners 4-6-5, 4-6-4) split
// by single spaces or single dashes; an issuer's first digits (2221-2720, 30, 34-39, 4, 5, 6); the Luhn check; no
// letter, digit or number punctuation ('.', '-', '+', '/', ',', '_', '#') right before it, nothing after it that
// continues it (a letter, a digit, or '-', '.', ',', '/', ' ', ':' followed by a digit). Never in a value made only of
// hexadecimal digits and dashes with a letter (an id, a hash, a uuid).
std::optional<ScanMatch> card(std::string_view text, std::size_t from)
{
    if (hexIdentifier(text))
        return std::nullopt;
    for (std::size_t pos = from; pos < text.size();) {
        if (!isDigit(text[pos])) {
            ++pos;
            continue;
        }
        if (pos > 0 && numberGlue(text[pos - 1])) {
            pos = runEnd(text, pos, isDigit);
            continue;
        }
        std::size_t next = pos + 1;
        if (auto m = cardAt(text, pos, next))
            return m;
        pos = next;
    }
    return std::nullopt;
}

// '+', a country code (not 0) and 8-15 digits in all, in at most 6 groups split by single spaces, dashes or dots
// (an area code in parentheses allowed), the last group of 2 digits or more; North American (415) 555-2671,
// 415-555-2671, 415.555.2671, 415 555 2671; national forms with a trunk 0 and separated groups, 9-12 digits
// ("030 1234567", "020 7946 0958", "06 12 34 56 78", "0171/1234567"). Never a bare run of digits: ids, counts,
// timestamps and versions are not phone numbers. Nothing number-like glued to either end (as for card). Never in a
// value made only of hexadecimal digits and dashes with a letter.
std::optional<ScanMatch> phone(std::string_view text, std::size_t from)
{
    if (hexIdentifier(text))
        return std::nullopt;
    for (std::size_t pos = from; pos < text.size(); ++pos) {
        const char c = text[pos];
        if (c != '+' && c != '(' && !isDigit(c))
            continue;
        if (pos > 0 && numberGlue(text[pos - 1])) {
            if (isDigit(c))
                pos = runEnd(text, pos, isDigit) - 1;
            continue;
        }
        std::optional<ScanMatch> m;
        if (c == '+')
            m = plusPhoneAt(text, pos);
        else
            m = earliest(nanpAt(text, pos), isDigit(c) ? trunkPhoneAt(text, pos) : std::nullopt);
        if (m)
            return m;
        if (isDigit(c))
            pos = runEnd(text, pos, isDigit) - 1;
    }
    return std::nullopt;
}

bool firstPassAgrees(std::string_view text)
{
    std::size_t a = 0, b = 0;
    const unsigned scalar = firstPassScalar(text, a);
    const unsigned fast = firstPass(text, b);
#if defined(__SSE2__)
    if (text.size() >= 16 && hexIdentifierSse2(text) != hexIdentifier(text))
        return false;
#endif
    return scalar == fast && a == b;
}

bool luhn(std::string_view text)
{
    int sum = 0;
    bool doubled = false;
    bool any = false;
    for (std::size_t i = text.size(); i-- > 0;) {
        if (!isDigit(text[i]))
            continue;
        any = true;
        int d = text[i] - '0';
        if (doubled) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        doubled = !doubled;
    }
    return any && sum % 10 == 0;
}

} // namespace detect

// --- the table, scanning, masking -------------------------------------------------------------------------------

const std::vector<ScanDetector>& scanDetectors()
{
    static const std::vector<ScanDetector> all {
        {"anthropic", ScanKind::Secret, "an Anthropic API key", detect::anthropic},
        {"openai", ScanKind::Secret, "an OpenAI API key", detect::openai},
        {"google", ScanKind::Secret, "a Google API key", detect::google},
        {"aws", ScanKind::Secret, "an AWS access key id", detect::aws},
        {"github", ScanKind::Secret, "a GitHub token", detect::github},
        {"posthog", ScanKind::Secret, "a PostHog personal API key", detect::posthog},
        {"slack", ScanKind::Secret, "a Slack token", detect::slack},
        {"pem", ScanKind::Secret, "a PEM private key", detect::pem},
        {"jwt", ScanKind::Secret, "a JSON Web Token", detect::jwt},
        {"bearer", ScanKind::Secret, "a bearer token", detect::bearer},
        {"email", ScanKind::Pii, "an e-mail address", detect::email},
        {"card", ScanKind::Pii, "a payment card number", detect::card},
        {"phone", ScanKind::Pii, "a phone number", detect::phone},
    };
    return all;
}

int scanDetectorIndex(std::string_view name)
{
    const auto& all = scanDetectors();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].name == name)
            return int(i);
    }
    return -1;
}

DetectorMask scanDetectorsOf(ScanKind kind)
{
    DetectorMask m = 0;
    const auto& all = scanDetectors();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].kind == kind)
            m |= DetectorMask(1) << i;
    }
    return m;
}

std::string_view toString(ScanKind kind)
{
    return kind == ScanKind::Secret ? "secret" : "pii";
}

bool scanText(std::string_view text, DetectorMask detectors, std::vector<ScanHit>& out, std::size_t max)
{
    out.clear();
    if (text.size() < kScanShortest)
        return false;
    DetectorMask run = triggered(text, detectors);
    if (!run)
        return false;
    const auto& all = scanDetectors();
    for (std::size_t d = 0; run && out.size() < max; ++d, run >>= 1) {
        if (!(run & 1u))
            continue;
        for (std::size_t from = 0; from < text.size() && out.size() < max;) {
            const std::optional<ScanMatch> m = all[d].find(text, from);
            if (!m)
                break;
            from = std::max(m->end, m->begin + 1);
            // Detectors run in precedence order: a match overlapping an earlier one is dropped.
            const bool overlaps = std::any_of(out.begin(), out.end(),
                [&](const ScanHit& h) { return m->begin < h.match.end && h.match.begin < m->end; });
            if (!overlaps)
                out.push_back({d, *m});
        }
    }
    std::sort(out.begin(), out.end(), [](const ScanHit& a, const ScanHit& b) { return a.match.begin < b.match.begin; });
    return !out.empty();
}

bool containsMatch(std::string_view text, DetectorMask detectors)
{
    std::vector<ScanHit> hits;
    return scanText(text, detectors, hits, 1);
}

std::string maskMatch(std::size_t detector, std::string_view m)
{
    std::string out;
    auto lastDigits = [&](std::size_t n) {
        std::string tail;
        for (std::size_t i = m.size(); i-- > 0 && tail.size() < n;) {
            if (isDigit(m[i]))
                tail.insert(tail.begin(), m[i]);
        }
        return tail;
    };
    auto keep = [&](std::size_t prefix) {
        prefix = std::min(prefix, m.size());
        out.assign(m.substr(0, prefix));
        out += kEllipsis;
        if (m.size() - prefix >= 12)
            out += m.substr(m.size() - 4);
        return out;
    };
    switch (detector) {
    case Anthropic:
        return keep(7);
    case OpenAI: {
        for (std::string_view v : {"sk-proj-", "sk-svcacct-", "sk-admin-"}) {
            if (m.substr(0, v.size()) == v)
                return keep(v.size());
        }
        return keep(3);
    }
    case Google:
    case Aws:
    case Posthog:
        return keep(4);
    case Github:
        return keep(m.substr(0, 11) == "github_pat_" ? 11 : 4);
    case Slack:
        return keep(5);
    case Jwt:
        return keep(3);
    case Bearer: {
        // The word as written, one space, the token masked.
        const std::size_t token = runEnd(m, 6, [](char ch) { return ch == ' ' || ch == '\t'; });
        out.assign(m.substr(0, 6));
        out += ' ';
        out += kEllipsis;
        if (m.size() - token >= 12)
            out += m.substr(m.size() - 4);
        return out;
    }
    case Pem: {
        const std::size_t header = m.find("-----", 11);
        out.assign(m.substr(0, header == std::string_view::npos ? std::min<std::size_t>(m.size(), 11) : header + 5));
        out += kEllipsis;
        return out;
    }
    case Email: {
        const std::size_t at = m.rfind('@');
        const std::string_view local = m.substr(0, at);
        const std::string_view domain = m.substr(at + 1);
        const std::string_view first = domain.substr(0, domain.find('.'));
        const std::string_view tld = domain.substr(domain.rfind('.') + 1);
        if (local.size() >= 3)
            out += local[0];
        out += kEllipsis;
        out += '@';
        if (first.size() >= 3)
            out += first[0];
        out += kEllipsis;
        out += tld;
        return out;
    }
    case Card:
        out.assign(kEllipsis);
        out += lastDigits(4);
        return out;
    case Phone:
        if (!m.empty() && m[0] == '+')
            out += '+';
        out += kEllipsis;
        out += lastDigits(2);
        return out;
    default:
        return std::string(kEllipsis);
    }
}

std::string redactText(std::string_view text, DetectorMask detectors)
{
    std::vector<ScanHit> hits;
    if (!scanText(text, detectors, hits, std::size_t(-1)))
        return std::string(text);
    std::string out;
    out.reserve(text.size());
    std::size_t at = 0;
    for (const ScanHit& h : hits) {
        out.append(text.substr(at, h.match.begin - at));
        out += maskMatch(h.detector, text.substr(h.match.begin, h.match.size()));
        at = h.match.end;
    }
    out.append(text.substr(at));
    return out;
}

} // namespace el
