// SPDX-License-Identifier: MIT
// LinearRegex's automaton: Glushkov's construction over the parsed pattern (linearregexparser.cpp), and the search,
// one pass over the text with the automaton's positions as bits.
#include "linearregex.h"

#include "linearregexparser.h"
#include "utf8.h"

namespace el {

using namespace regex_detail;

namespace {

constexpr int kMaxPositions = 64; // one bit each in a std::uint64_t

struct Info
{
    bool nullable = false;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

/** Glushkov's construction: positions, first, last and follow sets. */
class Glushkov
{
public:
    explicit Glushkov(const std::vector<Node>& nodes)
        : m_nodes(nodes)
    { }

    bool build(int node, Info& out)
    {
        out = visit(node);
        return m_ok;
    }

    std::vector<Ranges> classes;
    std::vector<std::uint64_t> follow;

private:
    void link(std::uint64_t from, std::uint64_t to)
    {
        for (std::uint64_t m = from; m; m &= m - 1)
            follow[std::size_t(__builtin_ctzll(m))] |= to;
    }

    Info visit(int index)
    {
        const Node& n = m_nodes[std::size_t(index)];
        Info r;
        if (!m_ok)
            return r;
        switch (n.kind) {
        case Node::Kind::Empty:
            r.nullable = true;
            break;
        case Node::Kind::Chars: {
            if (int(classes.size()) >= kMaxPositions) {
                m_ok = false;
                break;
            }
            const std::uint64_t bit = std::uint64_t(1) << classes.size();
            classes.push_back(n.chars);
            follow.push_back(0);
            r.first = r.last = bit;
            break;
        }
        case Node::Kind::Cat:
            r.nullable = true;
            for (int k : n.kids) {
                const Info i = visit(k);
                link(r.last, i.first);
                if (r.nullable)
                    r.first |= i.first;
                r.last = i.nullable ? r.last | i.last : i.last;
                r.nullable = r.nullable && i.nullable;
            }
            break;
        case Node::Kind::Alt:
            for (int k : n.kids) {
                const Info i = visit(k);
                r.nullable = r.nullable || i.nullable;
                r.first |= i.first;
                r.last |= i.last;
            }
            break;
        case Node::Kind::Star:
        case Node::Kind::Plus:
        case Node::Kind::Opt: {
            r = visit(n.kids[0]);
            if (n.kind != Node::Kind::Opt)
                link(r.last, r.first);
            if (n.kind != Node::Kind::Plus)
                r.nullable = true;
            break;
        }
        }
        return r;
    }

    const std::vector<Node>& m_nodes;
    bool m_ok = true;
};

} // namespace

std::optional<LinearRegex> LinearRegex::compile(std::string_view pattern)
{
    const std::optional<ParsedPattern> parsed = parsePattern(pattern);
    if (!parsed)
        return std::nullopt;
    LinearRegex re;
    re.m_anchoredStart = parsed->anchoredStart;
    re.m_anchoredEnd = parsed->anchoredEnd;
    Glushkov g(parsed->nodes);
    Info info;
    if (!g.build(parsed->root, info))
        return std::nullopt;
    re.m_classes = std::move(g.classes);
    re.m_follow = std::move(g.follow);
    re.m_first = info.first;
    re.m_last = info.last;
    re.m_nullable = info.nullable;
    for (char32_t c = 0; c < 128; ++c) {
        for (std::size_t k = 0; k < re.m_classes.size(); ++k) {
            if (contains(re.m_classes[k], c))
                re.m_ascii[c] |= std::uint64_t(1) << k;
        }
    }
    return re;
}

std::uint64_t LinearRegex::acceptsMask(char32_t c) const
{
    std::uint64_t mask = 0;
    for (std::size_t k = 0; k < m_classes.size(); ++k) {
        if (contains(m_classes[k], c))
            mask |= std::uint64_t(1) << k;
    }
    return mask;
}

bool LinearRegex::search(std::string_view text) const
{
    if (m_nullable && (!(m_anchoredStart && m_anchoredEnd) || text.empty()))
        return true; // the empty match
    std::uint64_t current = 0; // positions that matched the last character
    bool start = true;
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char b = static_cast<unsigned char>(text[i]);
        std::uint64_t accepts = 0;
        if (b < 0x80) {
            accepts = m_ascii[b];
            ++i;
        } else {
            const std::size_t len = utf8SequenceLength(text, i);
            char32_t cp = 0xFFFD;
            if (len == 0) {
                ++i;
            } else {
                cp = decodeUtf8(text, i, len);
                i += len;
            }
            accepts = acceptsMask(cp);
        }
        std::uint64_t next = start || !m_anchoredStart ? m_first : 0;
        for (std::uint64_t m = current; m; m &= m - 1)
            next |= m_follow[std::size_t(__builtin_ctzll(m))];
        current = next & accepts;
        start = false;
        if (!m_anchoredEnd && (current & m_last))
            return true;
        if (!current && m_anchoredStart)
            return false;
    }
    return m_anchoredEnd && (current & m_last) != 0;
}

} // namespace el
