// SPDX-License-Identifier: MIT
#pragma once

#include "httprequest.h"

#include <QtGlobal>

#include <string>
#include <string_view>

namespace el {

/** Limits of the HTTP layer; each one is a command-line option of `eventlens` (see docs-security.md). */
struct HttpLimits
{
    qint64 maxHeaderBytes = 64 * 1024; ///< request line + headers -> 431
    int maxHeaderCount = 256; ///< header lines per request -> 431
    qint64 maxBodyBytes = 20 * 1024 * 1024; ///< -> 413
    int idleTimeoutMs = 60 * 1000; ///< keep-alive connection without any request
    int requestTimeoutMs = 30 * 1000; ///< a started request must be complete within this (slowloris) -> 408
    int maxConnections = 1024; ///< beyond this new connections get 503 and are closed at once
    /// Lingering close: after an answer that closes the connection (e.g. 413 before the body was read) the
    /// server half-closes and reads and discards what the client still sends, so the client can read the
    /// answer instead of getting a reset; it stops after this long or this many bytes, whichever first.
    int lingerTimeoutMs = 5 * 1000;
    qint64 lingerMaxBytes = 64 * 1024 * 1024;
};

/**
 * \brief Incremental HTTP/1.1 request parser: no sockets, no timers, no Qt event loop, so it can be
 * unit-tested and fuzzed (tests/fuzz/fuzz_http.cpp). Feed bytes with append(), then call next()
 * until it returns NeedMore (wait for bytes) or Error (answer errorStatus() and close).
 * After Request, takeRequest() hands out the request; keepAlive() says whether the connection may
 * stay open after answering it.
 */
class HttpRequestParser
{
public:
    enum class Status { NeedMore, Request, Error };

    void setLimits(const HttpLimits& limits) { m_limits = limits; }
    const HttpLimits& limits() const { return m_limits; }
    void setPeer(std::string peer) { m_peer = std::move(peer); }

    void append(std::string_view bytes) { m_buffer.append(bytes.data(), bytes.size()); }
    Status next();

    HttpRequest takeRequest();
    bool keepAlive() const { return m_keepAlive; }
    /** True once after a head with `Expect: 100-continue` whose body has not arrived yet. */
    bool takeContinue();
    /** Bytes received of a request not yet complete (starts the request timeout). */
    bool inProgress() const { return !m_buffer.empty() || m_inBody; }
    std::size_t bufferedBytes() const { return m_buffer.size(); }

    int errorStatus() const { return m_errorStatus; }
    const std::string& errorReason() const { return m_errorReason; }
    /** What was understood of the failed request (method/path/headers if parsed, else the first bytes as body). */
    const HttpRequest& partial() const { return m_partial; }
    /** Forgets everything buffered (after an error, before closing). */
    void discard() { m_buffer.clear(); }
    /** Fails the request in progress from outside (e.g. the request timeout); fills partial(). */
    Status fail(int status, std::string reason);

private:
    bool parseHead(std::string_view head);
    int parseChunks(); ///< 1 complete, 0 need more, -1 error

    HttpLimits m_limits;
    std::string m_peer;
    std::string m_buffer;
    HttpRequest m_request;
    HttpRequest m_partial;
    qint64 m_contentLength = 0;
    std::size_t m_chunkPos = 0;
    bool m_chunked = false;
    bool m_expectContinue = false;
    bool m_continuePending = false;
    bool m_inBody = false;
    bool m_keepAlive = true;
    bool m_failed = false;
    int m_errorStatus = 0;
    std::string m_errorReason;
};

} // namespace el
