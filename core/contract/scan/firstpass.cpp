// SPDX-License-Identifier: MIT
// The first pass of scanText() (see firstpass.h): character bits and digit counts, byte by byte or 16 bytes at a time
// with SSE2, and the longest number a value holds.
#include "firstpass.h"

#include "chars.h"

#include <algorithm>
#include <array>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace el::scan_detail {

namespace {

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

} // namespace

bool hexIdentifier(std::string_view t)
{
    unsigned bits = 0;
    for (char c : t)
        bits |= kPre[static_cast<unsigned char>(c)];
    return !(bits & PNonHex) && (bits & PHexLetter);
}

namespace {

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

} // namespace

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

} // namespace el::scan_detail

namespace el::detect {

bool firstPassAgrees(std::string_view text)
{
    using namespace scan_detail;
    std::size_t a = 0, b = 0;
    const unsigned scalar = firstPassScalar(text, a);
    const unsigned fast = firstPass(text, b);
#if defined(__SSE2__)
    if (text.size() >= 16 && hexIdentifierSse2(text) != hexIdentifier(text))
        return false;
#endif
    return scalar == fast && a == b;
}

} // namespace el::detect
