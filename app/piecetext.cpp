// SPDX-License-Identifier: MIT
#include "piecetext.h"

#include <QDir>

namespace check {

bool PieceText::readAt(std::uint64_t offset, std::size_t length, std::string& out, std::string& error) const
{
    while (length > 0 && offset < std::uint64_t(m_spooled)) {
        const std::size_t n = std::size_t(std::min<std::uint64_t>(length, std::uint64_t(m_spooled) - offset));
        const std::size_t at = out.size();
        out.resize(at + n);
        if (!m_spool->seek(qint64(offset)) || m_spool->read(out.data() + at, qint64(n)) != qint64(n)) {
            error = "cannot read back the report's temporary file: " + m_spool->errorString().toStdString();
            return false;
        }
        offset += n;
        length -= n;
    }
    std::uint64_t start = std::uint64_t(m_spooled);
    for (const std::string& p : m_pieces) {
        if (length == 0)
            break;
        if (offset < start + p.size()) {
            const std::size_t from = std::size_t(offset - start);
            const std::size_t n = std::min(length, p.size() - from);
            out.append(p, from, n);
            offset += n;
            length -= n;
        }
        start += p.size();
    }
    return length == 0;
}

bool PieceText::writeTo(const Sink& write, std::string& error) const
{
    if (m_spooled > 0) {
        if (!m_spool->seek(0)) {
            error = "cannot read back the report's temporary file: " + m_spool->errorString().toStdString();
            return false;
        }
        std::string buffer(kPiece, '\0');
        for (qint64 left = m_spooled; left > 0;) {
            const qint64 n = m_spool->read(buffer.data(), std::min<qint64>(left, qint64(buffer.size())));
            if (n <= 0) {
                error = "cannot read back the report's temporary file: " + m_spool->errorString().toStdString();
                return false;
            }
            if (!write(std::string_view(buffer.data(), std::size_t(n))))
                return false;
            left -= n;
        }
    }
    for (const std::string& p : m_pieces) {
        if (!write(p))
            return false;
    }
    return true;
}

std::size_t PieceText::inMemoryLimit()
{
    bool ok = false;
    const qulonglong n = qEnvironmentVariable("EVENTLENS_CHECK_REPORT_MEMORY").toULongLong(&ok);
    return ok ? std::size_t(n) : kInMemory;
}

void PieceText::spill()
{
    if (m_noSpool)
        return;
    if (!m_spool) {
        m_spool = std::make_unique<QTemporaryFile>(QDir::tempPath() + QStringLiteral("/eventlens-report-XXXXXX"));
        if (!m_spool->open()) {
            m_spool.reset();
            m_noSpool = true;
            return;
        }
    }
    std::size_t written = 0;
    m_spool->seek(m_spooled); // readAt() may have moved it
    for (const std::string& p : m_pieces) {
        if (m_spool->write(p.data(), qint64(p.size())) != qint64(p.size())) {
            m_noSpool = true; // disk full: what did not fit stays in memory (m_spooled counts what did)
            m_spool->resize(m_spooled);
            break;
        }
        m_spooled += qint64(p.size());
        ++written;
    }
    m_pieces.erase(m_pieces.begin(), m_pieces.begin() + std::ptrdiff_t(written));
}

} // namespace check
