// SPDX-License-Identifier: MIT
#include "httpparser.h"
#include "util/text.h"

#include <algorithm>
#include <cctype>

namespace el {

namespace {

/** RFC 9110 token characters (methods, header names). */
bool isTchar(unsigned char c)
{
    return std::isalnum(c)
        || (c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos);
}

constexpr std::size_t kMaxMethodLength = 32;
constexpr std::size_t kMaxChunkLine = 1024;

} // namespace

HttpRequestParser::Status HttpRequestParser::fail(int status, std::string reason)
{
    m_failed = true;
    m_errorStatus = status;
    m_errorReason = std::move(reason);
    m_partial = m_request;
    m_partial.peer = m_peer;
    if (m_partial.body.empty() && !m_buffer.empty())
        m_partial.body = m_buffer.substr(0, std::min<size_t>(m_buffer.size(), 4096));
    m_inBody = false;
    return Status::Error;
}

bool HttpRequestParser::takeContinue()
{
    const bool c = m_continuePending;
    m_continuePending = false;
    return c;
}

HttpRequest HttpRequestParser::takeRequest()
{
    HttpRequest r = std::move(m_request);
    m_request = HttpRequest {};
    return r;
}

HttpRequestParser::Status HttpRequestParser::next()
{
    if (m_failed)
        return Status::Error;
    if (!m_inBody) {
        // Tolerate stray CRLFs between pipelined requests (RFC 9112 §2.2).
        size_t skip = 0;
        while (m_buffer.size() >= skip + 2 && m_buffer.compare(skip, 2, "\r\n") == 0)
            skip += 2;
        if (skip)
            m_buffer.erase(0, skip);
        if (m_buffer.empty())
            return Status::NeedMore;
        m_request = HttpRequest {};
        m_request.peer = m_peer;
        // Fail fast on bytes that cannot start an HTTP/1.x request (TLS, binary junk) instead of
        // waiting for the request timeout.
        if (static_cast<unsigned char>(m_buffer[0]) == 0x16)
            return fail(400, "TLS handshake received on the plain-HTTP port (use http://, not https://)");
        const size_t methodEnd = std::min(m_buffer.find(' '), m_buffer.size());
        for (size_t i = 0; i < std::min(methodEnd, kMaxMethodLength + 1); ++i) {
            if (!isTchar(static_cast<unsigned char>(m_buffer[i])))
                return fail(400, "malformed request line (not HTTP/1.x)");
        }
        if (methodEnd > kMaxMethodLength)
            return fail(400, "malformed request line (method too long)");

        const size_t end = m_buffer.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (static_cast<qint64>(m_buffer.size()) > m_limits.maxHeaderBytes)
                return fail(
                    431, "request line and headers exceed " + std::to_string(m_limits.maxHeaderBytes) + " bytes");
            return Status::NeedMore;
        }
        if (static_cast<qint64>(end) > m_limits.maxHeaderBytes)
            return fail(431, "request line and headers exceed " + std::to_string(m_limits.maxHeaderBytes) + " bytes");
        if (!parseHead(std::string_view(m_buffer).substr(0, end)))
            return Status::Error;
        m_buffer.erase(0, end + 4);
        m_inBody = true;
        m_chunkPos = 0;
        m_continuePending = m_expectContinue && (m_contentLength > 0 || m_chunked) && m_buffer.empty();
    }
    if (m_chunked) {
        const int r = parseChunks();
        if (r < 0)
            return Status::Error;
        if (r == 0)
            return Status::NeedMore;
    } else {
        if (static_cast<qint64>(m_buffer.size()) < m_contentLength)
            return Status::NeedMore;
        m_request.body = m_buffer.substr(0, static_cast<size_t>(m_contentLength));
        m_buffer.erase(0, static_cast<size_t>(m_contentLength));
    }
    m_inBody = false;
    m_continuePending = false;
    return Status::Request;
}

bool HttpRequestParser::parseHead(std::string_view head)
{
    m_contentLength = 0;
    m_chunked = false;
    m_expectContinue = false;
    const size_t lineEnd = head.find("\r\n");
    const std::string_view line = head.substr(0, lineEnd);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
        fail(400, "malformed request line");
        return false;
    }
    m_request.method = std::string(line.substr(0, sp1));
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        m_request.path = std::string(target.substr(0, 200));
        if (version == "HTTP/2.0" || version == "HTTP/2")
            fail(505, "HTTP/2 is not supported (use HTTP/1.1; prior-knowledge h2c is refused)");
        else
            fail(version.substr(0, 5) == "HTTP/" ? 505 : 400, "unsupported HTTP version");
        return false;
    }
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) {
            fail(400, "control character in the request target");
            return false;
        }
    }
    if (target.empty() || target[0] != '/') {
        m_request.path = std::string(target.substr(0, 200));
        fail(400, "request target must be an absolute path (this is not a proxy)");
        return false;
    }
    const size_t q = target.find('?');
    m_request.path = percentDecode(target.substr(0, q), false);
    if (q != std::string_view::npos)
        m_request.query = std::string(target.substr(q + 1));
    m_keepAlive = version == "HTTP/1.1";
    bool haveLength = false;
    int count = 0;
    size_t pos = lineEnd == std::string_view::npos ? head.size() : lineEnd + 2;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string_view::npos)
            e = head.size();
        const std::string_view h = head.substr(pos, e - pos);
        pos = e + 2;
        if (++count > m_limits.maxHeaderCount) {
            fail(431, "more than " + std::to_string(m_limits.maxHeaderCount) + " header fields");
            return false;
        }
        const size_t colon = h.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            fail(400, "malformed header line (no name or no colon)");
            return false;
        }
        const std::string_view rawName = h.substr(0, colon);
        if (!std::all_of(
                rawName.begin(), rawName.end(), [](char c) { return isTchar(static_cast<unsigned char>(c)); })) {
            fail(400, "invalid character in a header name");
            return false;
        }
        std::string name(rawName);
        std::string value(trim(h.substr(colon + 1), kBlanks));
        if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\0' || c == '\r' || c == '\n'; })) {
            fail(400, "NUL, CR or LF in a header value");
            return false;
        }
        if (asciiIEquals(name, "content-length")) {
            const bool digits = !value.empty() && value.size() <= 18
                && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
            const long long n = digits ? std::stoll(value) : -1;
            if (!digits || (haveLength && n != m_contentLength)) {
                fail(400, "invalid Content-Length");
                return false;
            }
            haveLength = true;
            m_contentLength = n;
        } else if (asciiIEquals(name, "transfer-encoding")) {
            if (asciiLower(value) != "chunked") {
                fail(501, "unsupported Transfer-Encoding: " + value);
                return false;
            }
            m_chunked = true;
        } else if (asciiIEquals(name, "connection")) {
            const std::string l = asciiLower(value);
            if (l.find("close") != std::string::npos)
                m_keepAlive = false;
            else if (l.find("keep-alive") != std::string::npos)
                m_keepAlive = true;
        } else if (asciiIEquals(name, "expect") && asciiIEquals(value, "100-continue")) {
            m_expectContinue = true;
        }
        m_request.headers.emplace_back(std::move(name), std::move(value));
    }
    if (m_chunked && haveLength) {
        fail(400, "both Content-Length and Transfer-Encoding given");
        return false;
    }
    if (m_contentLength > m_limits.maxBodyBytes) {
        fail(413,
            "request body of " + std::to_string(m_contentLength) + " bytes exceeds the limit of "
                + std::to_string(m_limits.maxBodyBytes) + " bytes");
        return false;
    }
    return true;
}

int HttpRequestParser::parseChunks()
{
    // m_chunkPos: first unconsumed byte; consumed bytes are erased once per call (not per chunk).
    auto compact = [this] {
        m_buffer.erase(0, m_chunkPos);
        m_chunkPos = 0;
    };
    for (;;) {
        const size_t lineEnd = m_buffer.find("\r\n", m_chunkPos);
        if (lineEnd == std::string::npos) {
            if (m_buffer.size() - m_chunkPos > kMaxChunkLine) {
                fail(400, "malformed chunk size line");
                return -1;
            }
            compact();
            return 0;
        }
        std::string_view sizeLine = std::string_view(m_buffer).substr(m_chunkPos, lineEnd - m_chunkPos);
        const size_t semi = sizeLine.find(';');
        if (semi != std::string_view::npos)
            sizeLine = sizeLine.substr(0, semi);
        while (!sizeLine.empty() && (sizeLine.back() == ' ' || sizeLine.back() == '\t'))
            sizeLine.remove_suffix(1);
        if (sizeLine.empty() || sizeLine.size() > 16 || lineEnd - m_chunkPos > kMaxChunkLine
            || !std::all_of(sizeLine.begin(), sizeLine.end(), [](char c) { return hexDigitValue(c) >= 0; })) {
            fail(400, "malformed chunk size");
            return -1;
        }
        unsigned long long size = 0;
        for (const char c : sizeLine)
            size = size * 16 + static_cast<unsigned>(hexDigitValue(c));
        if (size == 0) {
            // Last chunk, then optional trailer fields, then an empty line.
            const size_t afterLine = lineEnd + 2;
            size_t end = std::string::npos;
            if (m_buffer.compare(afterLine, 2, "\r\n") == 0) {
                end = afterLine + 2;
            } else {
                const size_t trailerEnd = m_buffer.find("\r\n\r\n", afterLine);
                if (trailerEnd != std::string::npos)
                    end = trailerEnd + 4;
            }
            if (end == std::string::npos) {
                if (static_cast<qint64>(m_buffer.size() - afterLine) > m_limits.maxHeaderBytes) {
                    fail(431, "chunked trailer exceeds " + std::to_string(m_limits.maxHeaderBytes) + " bytes");
                    return -1;
                }
                compact();
                return 0;
            }
            m_buffer.erase(0, end);
            m_chunkPos = 0;
            return 1;
        }
        if (size > static_cast<unsigned long long>(m_limits.maxBodyBytes)
            || static_cast<qint64>(m_request.body.size() + size) > m_limits.maxBodyBytes) {
            fail(413, "chunked request body exceeds the limit of " + std::to_string(m_limits.maxBodyBytes) + " bytes");
            return -1;
        }
        const size_t dataStart = lineEnd + 2;
        if (m_buffer.size() < dataStart + size + 2) {
            compact();
            return 0;
        }
        if (m_buffer.compare(dataStart + size, 2, "\r\n") != 0) {
            fail(400, "chunk data not followed by CRLF");
            return -1;
        }
        m_request.body.append(m_buffer, dataStart, size);
        m_chunkPos = dataStart + size + 2;
    }
}

} // namespace el
