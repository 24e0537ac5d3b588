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

/** The next line of a head from \a pos (advanced past its CRLF), without the CRLF. */
std::string_view nextLine(std::string_view head, std::size_t& pos)
{
    std::size_t e = head.find("\r\n", pos);
    if (e == std::string_view::npos)
        e = head.size();
    const std::string_view line = head.substr(pos, e - pos);
    pos = e + 2;
    return line;
}

/**
 * One header field line (RFC 9112 §5) split into \a name and \a value (blanks trimmed); nullptr, or why it is
 * malformed.
 */
const char* splitField(std::string_view line, std::string& name, std::string& value)
{
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
        return "malformed header line (no name or no colon)";
    const std::string_view rawName = line.substr(0, colon);
    if (!std::all_of(rawName.begin(), rawName.end(), [](char c) { return isTchar(static_cast<unsigned char>(c)); }))
        return "invalid character in a header name";
    const std::string_view rawValue = trim(line.substr(colon + 1), kBlanks);
    if (std::any_of(rawValue.begin(), rawValue.end(), [](char c) { return c == '\0' || c == '\r' || c == '\n'; }))
        return "NUL, CR or LF in a header value";
    name.assign(rawName);
    value.assign(rawValue);
    return nullptr;
}

/** A Content-Length value (digits only, at most 18), or -1. */
long long contentLengthOf(std::string_view value)
{
    const bool digits = !value.empty() && value.size() <= 18
        && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    return digits ? std::stoll(std::string(value)) : -1;
}

/** What a Connection field says of keep-alive: \a keepAlive unchanged when it says neither. */
void applyConnection(std::string_view value, bool& keepAlive)
{
    const std::string l = asciiLower(value);
    if (l.find("close") != std::string::npos)
        keepAlive = false;
    else if (l.find("keep-alive") != std::string::npos)
        keepAlive = true;
}

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
        m_chunks.reset();
        m_continuePending = m_expectContinue && (m_contentLength > 0 || m_chunked) && m_buffer.empty();
    }
    if (m_chunked) {
        const ChunkedDecoder::Result r
            = m_chunks.decode(m_buffer, m_request.body, m_limits.maxBodyBytes, m_limits.maxHeaderBytes);
        if (r == ChunkedDecoder::Result::Error)
            return fail(m_chunks.errorStatus(), m_chunks.errorReason());
        if (r == ChunkedDecoder::Result::NeedMore)
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
        const std::string_view h = nextLine(head, pos);
        if (++count > m_limits.maxHeaderCount) {
            fail(431, "more than " + std::to_string(m_limits.maxHeaderCount) + " header fields");
            return false;
        }
        std::string name;
        std::string value;
        if (const char* why = splitField(h, name, value)) {
            fail(400, why);
            return false;
        }
        if (asciiIEquals(name, "content-length")) {
            const long long n = contentLengthOf(value);
            if (n < 0 || (haveLength && n != m_contentLength)) {
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
            applyConnection(value, m_keepAlive);
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

ChunkedDecoder::Result ChunkedDecoder::fail(int status, std::string reason)
{
    m_errorStatus = status;
    m_errorReason = std::move(reason);
    return Result::Error;
}

ChunkedDecoder::Result ChunkedDecoder::decode(std::string& buffer, std::string& body, qint64 maxBody, qint64 maxTrailer)
{
    // m_pos: first unconsumed byte; consumed bytes are erased once per call (not per chunk).
    auto compact = [&] {
        buffer.erase(0, m_pos);
        m_pos = 0;
        return Result::NeedMore;
    };
    for (;;) {
        const size_t lineEnd = buffer.find("\r\n", m_pos);
        if (lineEnd == std::string::npos) {
            if (buffer.size() - m_pos > kMaxChunkLine)
                return fail(400, "malformed chunk size line");
            return compact();
        }
        std::string_view sizeLine = std::string_view(buffer).substr(m_pos, lineEnd - m_pos);
        const size_t semi = sizeLine.find(';');
        if (semi != std::string_view::npos)
            sizeLine = sizeLine.substr(0, semi);
        while (!sizeLine.empty() && (sizeLine.back() == ' ' || sizeLine.back() == '\t'))
            sizeLine.remove_suffix(1);
        if (sizeLine.empty() || sizeLine.size() > 16 || lineEnd - m_pos > kMaxChunkLine
            || !std::all_of(sizeLine.begin(), sizeLine.end(), [](char c) { return hexDigitValue(c) >= 0; }))
            return fail(400, "malformed chunk size");
        unsigned long long size = 0;
        for (const char c : sizeLine)
            size = size * 16 + static_cast<unsigned>(hexDigitValue(c));
        if (size == 0) {
            // Last chunk, then optional trailer fields, then an empty line.
            const size_t afterLine = lineEnd + 2;
            size_t end = std::string::npos;
            if (buffer.compare(afterLine, 2, "\r\n") == 0) {
                end = afterLine + 2;
            } else {
                const size_t trailerEnd = buffer.find("\r\n\r\n", afterLine);
                if (trailerEnd != std::string::npos)
                    end = trailerEnd + 4;
            }
            if (end == std::string::npos) {
                if (static_cast<qint64>(buffer.size() - afterLine) > maxTrailer)
                    return fail(431, "chunked trailer exceeds " + std::to_string(maxTrailer) + " bytes");
                return compact();
            }
            buffer.erase(0, end);
            m_pos = 0;
            return Result::Done;
        }
        if (size > static_cast<unsigned long long>(maxBody) || static_cast<qint64>(body.size() + size) > maxBody)
            return fail(413, "chunked body exceeds the limit of " + std::to_string(maxBody) + " bytes");
        const size_t dataStart = lineEnd + 2;
        if (buffer.size() < dataStart + size + 2)
            return compact();
        if (buffer.compare(dataStart + size, 2, "\r\n") != 0)
            return fail(400, "chunk data not followed by CRLF");
        body.append(buffer, dataStart, size);
        m_pos = dataStart + size + 2;
    }
}

// --- HttpResponseParser ---------------------------------------------------------------------------------------

void HttpResponseParser::begin(bool headRequest)
{
    m_head = headRequest;
    m_phase = Phase::Head;
    m_status = 0;
    m_headers.clear();
    m_body.clear();
    m_length = 0;
    m_chunks.reset();
    m_keepAlive = true;
    m_errorReason.clear();
    m_received = m_buffer.size();
}

HttpResponseParser::Status HttpResponseParser::fail(std::string reason)
{
    m_phase = Phase::Failed;
    m_keepAlive = false;
    m_errorReason = std::move(reason);
    return Status::Error;
}

HttpResponseParser::Status HttpResponseParser::next()
{
    for (;;) {
        switch (m_phase) {
        case Phase::Failed:
            return Status::Error;
        case Phase::Done:
            return Status::Response;
        case Phase::Head: {
            const size_t end = m_buffer.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (static_cast<qint64>(m_buffer.size()) > m_maxHead)
                    return fail("status line and headers exceed " + std::to_string(m_maxHead) + " bytes");
                const size_t prefix = std::min<size_t>(m_buffer.size(), 5);
                if (std::string_view(m_buffer).substr(0, prefix) != std::string_view("HTTP/").substr(0, prefix))
                    return fail("not an HTTP/1.x answer");
                return Status::NeedMore;
            }
            if (static_cast<qint64>(end) > m_maxHead)
                return fail("status line and headers exceed " + std::to_string(m_maxHead) + " bytes");
            if (!parseHead(std::string_view(m_buffer).substr(0, end)))
                return Status::Error;
            m_buffer.erase(0, end + 4);
            if (m_status >= 100 && m_status < 200) {
                if (m_status == 101)
                    return fail("switched protocols (101)");
                m_headers.clear(); // an interim answer (100 Continue, 103 Early Hints): the real one follows
                continue;
            }
            break;
        }
        case Phase::Length: {
            const auto need = static_cast<size_t>(m_length);
            if (m_buffer.size() < need)
                return Status::NeedMore;
            m_body.assign(m_buffer, 0, need);
            m_buffer.erase(0, need);
            m_phase = Phase::Done;
            return Status::Response;
        }
        case Phase::Chunked: {
            const ChunkedDecoder::Result r = m_chunks.decode(m_buffer, m_body, m_maxBody, m_maxHead);
            if (r == ChunkedDecoder::Result::Error)
                return fail("chunked body: " + m_chunks.errorReason());
            if (r == ChunkedDecoder::Result::NeedMore)
                return Status::NeedMore;
            m_phase = Phase::Done;
            return Status::Response;
        }
        case Phase::UntilClose:
            if (static_cast<qint64>(m_body.size() + m_buffer.size()) > m_maxBody)
                return fail("answer exceeds " + std::to_string(m_maxBody) + " bytes");
            m_body += m_buffer;
            m_buffer.clear();
            return Status::NeedMore;
        }
    }
}

HttpResponseParser::Status HttpResponseParser::finish()
{
    if (m_phase == Phase::UntilClose) {
        m_body += m_buffer;
        m_buffer.clear();
        m_phase = Phase::Done;
        return Status::Response;
    }
    if (m_phase == Phase::Done)
        return Status::Response;
    if (m_phase == Phase::Failed)
        return Status::Error;
    return fail(
        m_received == 0 ? "connection closed before any answer" : "connection closed in the middle of the answer");
}

bool HttpResponseParser::parseHead(std::string_view head)
{
    const size_t lineEnd = std::min(head.find("\r\n"), head.size());
    const std::string_view line = head.substr(0, lineEnd);
    // HTTP/1.x SP 3DIGIT [SP reason]
    const bool http11 = line.substr(0, 9) == "HTTP/1.1 ";
    if ((!http11 && line.substr(0, 9) != "HTTP/1.0 ") || line.size() < 12
        || !std::all_of(line.begin() + 9, line.begin() + 12, [](char c) { return c >= '0' && c <= '9'; })
        || (line.size() > 12 && line[12] != ' ')) {
        fail("malformed status line: " + std::string(line.substr(0, 80)));
        return false;
    }
    m_status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (m_status < 100) {
        fail("invalid status code: " + std::string(line.substr(9, 3)));
        return false;
    }
    m_keepAlive = http11;
    bool haveLength = false;
    bool chunked = false;
    size_t pos = lineEnd + 2;
    while (pos < head.size()) {
        std::string name;
        std::string value;
        if (const char* why = splitField(nextLine(head, pos), name, value)) {
            fail(why);
            return false;
        }
        if (asciiIEquals(name, "content-length")) {
            const long long n = contentLengthOf(value);
            if (n < 0 || (haveLength && n != m_length)) {
                fail("invalid Content-Length");
                return false;
            }
            haveLength = true;
            m_length = n;
        } else if (asciiIEquals(name, "transfer-encoding")) {
            const std::string l = asciiLower(value);
            if (l.size() < 7 || l.compare(l.size() - 7, 7, "chunked") != 0) {
                fail("unsupported Transfer-Encoding: " + value);
                return false;
            }
            chunked = true;
        } else if (asciiIEquals(name, "connection")) {
            applyConnection(value, m_keepAlive);
        }
        m_headers.emplace_back(std::move(name), std::move(value));
    }
    if (m_status < 200) {
        m_phase = Phase::Head;
        return true;
    }
    if (m_head || m_status == 204 || m_status == 304) {
        m_phase = Phase::Done;
    } else if (chunked) {
        m_phase = Phase::Chunked; // wins over a Content-Length (RFC 9112 §6.3), which a proxy must not trust then
        m_keepAlive = m_keepAlive && !haveLength;
    } else if (haveLength) {
        if (m_length > m_maxBody) {
            fail("answer of " + std::to_string(m_length) + " bytes exceeds " + std::to_string(m_maxBody) + " bytes");
            return false;
        }
        m_phase = Phase::Length;
    } else {
        m_phase = Phase::UntilClose;
        m_keepAlive = false;
    }
    return true;
}

} // namespace el
