// SPDX-License-Identifier: MIT
#pragma once

#include <QTemporaryFile>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace check {

/**
 * Text built by appending, kept in pieces of about 1 MiB. One string grown to a report's size would be copied at
 * each doubling and leave the old buffers with the allocator: tens of MB of peak RSS for a large report. Past
 * kInMemory, full pieces go to a temporary file (QDir::tempPath(), removed with this object), so that a report
 * of millions of violations does not stay in memory; if that file cannot be made or written, the text stays in
 * memory. EVENTLENS_CHECK_REPORT_MEMORY (bytes) overrides kInMemory (the tests spool every piece).
 */
class PieceText
{
public:
    using Sink = std::function<bool(std::string_view)>;

    PieceText() = default;
    /** At most \a inMemory bytes in memory (EVENTLENS_CHECK_REPORT_MEMORY, when smaller, still applies). */
    explicit PieceText(std::size_t inMemory)
        : m_inMemory(std::min(inMemory, inMemoryLimit()))
    { }

    bool empty() const { return m_pieces.empty() && m_spooled == 0; }
    /** Bytes appended so far. */
    std::uint64_t size() const
    {
        std::uint64_t n = std::uint64_t(m_spooled);
        for (const std::string& p : m_pieces)
            n += p.size();
        return n;
    }
    /** Appends the \a length bytes at \a offset to \a out; false with \a error when the file cannot be read. */
    bool readAt(std::uint64_t offset, std::size_t length, std::string& out, std::string& error) const;
    /** The string to append to. */
    std::string& tail()
    {
        if (m_pieces.empty() || m_pieces.back().size() >= kPiece) {
            if (m_pieces.size() * kPiece >= m_inMemory)
                spill();
            m_pieces.emplace_back();
            m_pieces.back().reserve(kPiece + kPiece / 4);
        }
        return m_pieces.back();
    }
    /** Hands the text to \a write, in order: false when \a write fails, or with \a error when the file does. */
    bool writeTo(const Sink& write, std::string& error) const;

private:
    static std::size_t inMemoryLimit();
    void spill();

    static constexpr std::size_t kPiece = std::size_t(1) << 20;
    static constexpr std::size_t kInMemory = std::size_t(16) << 20;
    std::vector<std::string> m_pieces;
    std::unique_ptr<QTemporaryFile> m_spool;
    qint64 m_spooled = 0; ///< bytes in m_spool, before m_pieces
    bool m_noSpool = false; ///< the file could not be made or written: the rest stays in memory
    std::size_t m_inMemory = inMemoryLimit();
};

} // namespace check
