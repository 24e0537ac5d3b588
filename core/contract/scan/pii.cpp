// SPDX-License-Identifier: MIT
// The personal-data detectors of scan.h (e-mail addresses, payment card and phone numbers): what the shape must be
// and what may sit around it, so that ids, counts, timestamps and versions are not taken for numbers.
#include "contract/scan.h"

#include "chars.h"
#include "firstpass.h"

#include <algorithm>
#include <array>

namespace el {

using namespace scan_detail;

namespace {

std::optional<ScanMatch> earliest(std::optional<ScanMatch> a, std::optional<ScanMatch> b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return b->begin < a->begin ? b : a;
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

} // namespace

namespace detect {

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

} // namespace el
