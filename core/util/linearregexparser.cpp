// SPDX-License-Identifier: MIT
// The parser of LinearRegex: ECMA-262 pattern syntax (code points, "u" flag) to a tree of nodes, refusing whatever
// the linear engine does not do. The automaton built from the tree and the search are in linearregex.cpp.
#include "linearregexparser.h"

#include "text.h"
#include "utf8.h"

#include <algorithm>
#include <string>

namespace el::regex_detail {

namespace {

constexpr char32_t kMaxCodePoint = 0x10FFFF;
constexpr int kMaxDepth = 32; // nested groups
constexpr unsigned kMaxCount = 1000; // {n,m} bounds read (more positions than allowed anyway)
constexpr std::size_t kMaxNodes = 4096; // nested counts ("((a{999}){999}){999}") must not blow up before Glushkov

Ranges normalized(Ranges r)
{
    std::sort(r.begin(), r.end());
    Ranges out;
    for (const auto& [lo, hi] : r) {
        if (!out.empty() && lo <= out.back().second + 1)
            out.back().second = std::max(out.back().second, hi);
        else
            out.emplace_back(lo, hi);
    }
    return out;
}

Ranges complement(const Ranges& r) // r normalized
{
    Ranges out;
    char32_t next = 0;
    for (const auto& [lo, hi] : r) {
        if (lo > next)
            out.emplace_back(next, lo - 1);
        next = hi + 1;
    }
    if (next <= kMaxCodePoint)
        out.emplace_back(next, kMaxCodePoint);
    return out;
}

// ECMA-262 WhiteSpace and LineTerminator: what \s matches.
const Ranges& whiteSpace()
{
    static const Ranges ws = normalized({{0x09, 0x0D}, {0x20, 0x20}, {0xA0, 0xA0}, {0x1680, 0x1680}, {0x2000, 0x200A},
        {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}});
    return ws;
}

/** The set of a class escape letter (d D w W s S), or nullopt. */
std::optional<Ranges> classEscape(char32_t c)
{
    switch (c) {
    case 'd':
        return Ranges {{'0', '9'}};
    case 'D':
        return complement({{'0', '9'}});
    case 'w':
        return normalized({{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}});
    case 'W':
        return complement(normalized({{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}));
    case 's':
        return whiteSpace();
    case 'S':
        return complement(whiteSpace());
    default:
        return std::nullopt;
    }
}

/** Recursive descent over the pattern's code points; any doubt fails (the caller's general engine decides). */
class Parser
{
public:
    explicit Parser(std::u32string p)
        : m_p(std::move(p))
    { }

    bool parse(int& root, bool& anchoredStart, bool& anchoredEnd)
    {
        if (!m_p.empty() && m_p[0] == '^') {
            anchoredStart = true;
            m_i = 1;
        }
        root = alternation();
        if (!m_ok || m_i != m_p.size())
            return false;
        anchoredEnd = m_anchoredEnd;
        // "^a|b" anchors one branch only: not handled.
        if ((anchoredStart || anchoredEnd) && m_nodes[std::size_t(root)].kind == Node::Kind::Alt)
            return false;
        return true;
    }

    std::vector<Node> m_nodes;

private:
    int add(Node n)
    {
        if (m_nodes.size() >= kMaxNodes)
            return fail();
        m_nodes.push_back(std::move(n));
        return int(m_nodes.size() - 1);
    }
    int fail()
    {
        m_ok = false;
        return -1;
    }
    /** The parts in sequence: one part as it is, none as the empty pattern. */
    int concat(std::vector<int> parts)
    {
        if (!m_ok)
            return -1;
        if (parts.size() == 1)
            return parts[0];
        Node n;
        n.kind = parts.empty() ? Node::Kind::Empty : Node::Kind::Cat;
        n.kids = std::move(parts);
        return add(std::move(n));
    }
    bool at(char32_t c) const { return m_i < m_p.size() && m_p[m_i] == c; }

    int alternation()
    {
        std::vector<int> branches {sequence()};
        while (m_ok && at('|')) {
            ++m_i;
            branches.push_back(sequence());
        }
        if (!m_ok)
            return -1;
        if (branches.size() == 1)
            return branches[0];
        Node n;
        n.kind = Node::Kind::Alt;
        n.kids = std::move(branches);
        return add(std::move(n));
    }

    int sequence()
    {
        std::vector<int> items;
        while (m_ok && m_i < m_p.size() && m_p[m_i] != '|' && m_p[m_i] != ')') {
            if (m_p[m_i] == '$') {
                if (m_i + 1 != m_p.size() || m_depth != 0)
                    return fail();
                m_anchoredEnd = true;
                ++m_i;
                break;
            }
            int a = atom();
            if (!m_ok)
                return -1;
            a = quantified(a);
            if (!m_ok)
                return -1;
            items.push_back(a);
        }
        return concat(std::move(items));
    }

    bool number(unsigned& out)
    {
        const std::size_t start = m_i;
        out = 0;
        while (m_i < m_p.size() && m_p[m_i] >= '0' && m_p[m_i] <= '9') {
            out = out * 10 + unsigned(m_p[m_i] - '0');
            if (out > kMaxCount)
                return false;
            ++m_i;
        }
        return m_i > start;
    }

    int quantified(int a)
    {
        if (m_i >= m_p.size())
            return a;
        unsigned min = 0, max = 0;
        bool unbounded = false;
        switch (m_p[m_i]) {
        case '*':
            unbounded = true;
            ++m_i;
            break;
        case '+':
            min = 1;
            unbounded = true;
            ++m_i;
            break;
        case '?':
            max = 1;
            ++m_i;
            break;
        case '{': {
            ++m_i;
            if (!number(min))
                return fail();
            max = min;
            if (at(',')) {
                ++m_i;
                if (at('}'))
                    unbounded = true;
                else if (!number(max) || max < min)
                    return fail();
            }
            if (!at('}'))
                return fail();
            ++m_i;
            break;
        }
        default:
            return a;
        }
        if (at('?'))
            ++m_i; // lazy: the same set of matches
        if (m_i < m_p.size() && (m_p[m_i] == '*' || m_p[m_i] == '+' || m_p[m_i] == '?' || m_p[m_i] == '{'))
            return fail(); // "a**": a syntax error
        return repeat(a, min, max, unbounded);
    }

    int clone(int a)
    {
        if (!m_ok)
            return -1;
        Node n = m_nodes[std::size_t(a)];
        for (int& k : n.kids) {
            k = clone(k);
            if (!m_ok)
                return -1;
        }
        return add(std::move(n));
    }

    int repeat(int a, unsigned min, unsigned max, bool unbounded)
    {
        auto wrap = [&](Node::Kind kind, int kid) {
            Node n;
            n.kind = kind;
            n.kids = {kid};
            return add(std::move(n));
        };
        if (unbounded && min == 0)
            return wrap(Node::Kind::Star, a);
        if (unbounded && min == 1)
            return wrap(Node::Kind::Plus, a);
        std::vector<int> parts;
        bool first = true;
        auto copy = [&] {
            const int c = first ? a : clone(a);
            first = false;
            return c;
        };
        for (unsigned k = 0; k < min && m_ok; ++k)
            parts.push_back(copy());
        if (unbounded)
            parts.push_back(wrap(Node::Kind::Star, copy()));
        else
            for (unsigned k = min; k < max && m_ok; ++k) // a{1,3} = a a? a?: the same language as a(a(a)?)?
                parts.push_back(wrap(Node::Kind::Opt, copy()));
        return concat(std::move(parts));
    }

    int chars(Ranges r)
    {
        Node n;
        n.kind = Node::Kind::Chars;
        n.chars = std::move(r);
        return add(std::move(n));
    }

    /** After a backslash, outside or inside a class: one character (\a out) or a class (\a set). */
    bool escape(char32_t& out, std::optional<Ranges>& set)
    {
        if (m_i >= m_p.size())
            return false;
        const char32_t c = m_p[m_i++];
        if ((set = classEscape(c)))
            return true;
        switch (c) {
        case 't':
            out = 0x09;
            return true;
        case 'n':
            out = 0x0A;
            return true;
        case 'v':
            out = 0x0B;
            return true;
        case 'f':
            out = 0x0C;
            return true;
        case 'r':
            out = 0x0D;
            return true;
        case '0':
            out = 0;
            return !(m_i < m_p.size() && m_p[m_i] >= '0' && m_p[m_i] <= '9');
        case 'x':
        case 'u': {
            const int digits = c == 'x' ? 2 : 4;
            char32_t v = 0;
            for (int k = 0; k < digits; ++k) {
                const int h = m_i < m_p.size() && m_p[m_i] < 0x80 ? hexDigitValue(char(m_p[m_i])) : -1;
                if (h < 0)
                    return false;
                v = v * 16 + char32_t(h);
                ++m_i;
            }
            if (v >= 0xD800 && v <= 0xDFFF)
                return false; // surrogate pairs written as two escapes: left to the general engine
            out = v;
            return true;
        }
        default:
            break;
        }
        // Identity escapes of ASCII punctuation ("\.", "\$", "\-", "\/" ...). Letters and digits not named above
        // are back-references, \b, \B, \c, \k, \p, or errors: the general engine's business.
        if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
            && c > 0x20) {
            out = c;
            return true;
        }
        return false;
    }

    int atom()
    {
        const char32_t c = m_p[m_i];
        switch (c) {
        case '(': {
            ++m_i;
            if (at('?')) {
                if (m_i + 1 < m_p.size() && m_p[m_i + 1] == ':')
                    m_i += 2;
                else
                    return fail(); // look-around, named groups
            }
            if (++m_depth > kMaxDepth)
                return fail();
            const int inner = alternation();
            --m_depth;
            if (!m_ok || !at(')'))
                return fail();
            ++m_i;
            return inner;
        }
        case '[':
            ++m_i;
            return charClass();
        case '.':
            ++m_i;
            return chars(complement(normalized({{0x0A, 0x0A}, {0x0D, 0x0D}, {0x2028, 0x2029}})));
        case '\\': {
            ++m_i;
            char32_t ch = 0;
            std::optional<Ranges> set;
            if (!escape(ch, set))
                return fail();
            return chars(set ? std::move(*set) : Ranges {{ch, ch}});
        }
        case '^':
        case '$':
        case ']':
        case '{':
        case '}':
        case '*':
        case '+':
        case '?':
        case ')':
        case '|':
            return fail();
        default:
            ++m_i;
            return chars({{c, c}});
        }
    }

    int charClass()
    {
        bool negated = false;
        if (at('^')) {
            negated = true;
            ++m_i;
        }
        Ranges set;
        // One class element: a character (returns true with \a ch) or a class escape (\a cls).
        auto element = [&](char32_t& ch, std::optional<Ranges>& cls) {
            if (m_i >= m_p.size())
                return false;
            const char32_t c = m_p[m_i++];
            if (c != '\\') {
                ch = c;
                return true;
            }
            if (at('b'))
                return false; // backspace in a class: rare, left to the general engine
            return escape(ch, cls);
        };
        while (true) {
            if (m_i >= m_p.size())
                return fail();
            if (m_p[m_i] == ']') {
                ++m_i;
                break;
            }
            char32_t lo = 0;
            std::optional<Ranges> cls;
            if (!element(lo, cls))
                return fail();
            if (cls) {
                if (at('-') && m_i + 1 < m_p.size() && m_p[m_i + 1] != ']')
                    return fail(); // "[\d-z]"
                set.insert(set.end(), cls->begin(), cls->end());
                continue;
            }
            if (at('-') && m_i + 1 < m_p.size() && m_p[m_i + 1] != ']') {
                ++m_i;
                char32_t hi = 0;
                std::optional<Ranges> hiCls;
                if (!element(hi, hiCls) || hiCls || hi < lo)
                    return fail();
                set.emplace_back(lo, hi);
                continue;
            }
            set.emplace_back(lo, lo);
        }
        set = normalized(std::move(set));
        return chars(negated ? complement(set) : set);
    }

    std::u32string m_p;
    std::size_t m_i = 0;
    int m_depth = 0;
    bool m_ok = true;
    bool m_anchoredEnd = false;
};

} // namespace

bool contains(const Ranges& r, char32_t c)
{
    auto it = std::upper_bound(
        r.begin(), r.end(), c, [](char32_t v, const std::pair<char32_t, char32_t>& range) { return v < range.first; });
    return it != r.begin() && c <= (it - 1)->second;
}

std::optional<ParsedPattern> parsePattern(std::string_view pattern)
{
    std::u32string p;
    for (std::size_t i = 0; i < pattern.size();) {
        const std::size_t len = utf8SequenceLength(pattern, i);
        if (len == 0)
            return std::nullopt;
        p += decodeUtf8(pattern, i, len);
        i += len;
    }
    Parser parser(std::move(p));
    ParsedPattern out;
    if (!parser.parse(out.root, out.anchoredStart, out.anchoredEnd))
        return std::nullopt;
    out.nodes = std::move(parser.m_nodes);
    return out;
}

} // namespace el::regex_detail
