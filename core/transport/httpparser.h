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
 * \brief Decodes a chunked body (RFC 9112 §7.1) as its bytes arrive; shared by the request and the response
 * parser. decode() takes what it can from the front of \a buffer and appends the data to \a body.
 */
class ChunkedDecoder
{
public:
    enum class Result { NeedMore, Done, Error };
    void reset() { m_pos = 0; }
    /** \a maxBody: limit of the decoded body (413); \a maxTrailer: limit of the trailer fields (431). */
    Result decode(std::string& buffer, std::string& body, qint64 maxBody, qint64 maxTrailer);
    int errorStatus() const { return m_errorStatus; }
    const std::string& errorReason() const { return m_errorReason; }

private:
    Result fail(int status, std::string reason);
    std::size_t m_pos = 0; ///< first unconsumed byte of the buffer within one decode()
    int m_errorStatus = 0;
    std::string m_errorReason;
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

    HttpLimits m_limits;
    std::string m_peer;
    std::string m_buffer;
    HttpRequest m_request;
    HttpRequest m_partial;
    qint64 m_contentLength = 0;
    ChunkedDecoder m_chunks;
    bool m_chunked = false;
    bool m_expectContinue = false;
    bool m_continuePending = false;
    bool m_inBody = false;
    bool m_keepAlive = true;
    bool m_failed = false;
    int m_errorStatus = 0;
    std::string m_errorReason;
};

/**
 * \brief Incremental HTTP/1.1 response parser, for the pass-through's own client (UpstreamForwarder): no sockets,
 * so it is unit-tested and fuzzed like the request parser. begin() before each request's answer; append() the bytes
 * as they arrive and call next(); at end of stream call finish(), which completes an answer delimited by the close.
 * Interim 1xx answers are skipped. After Response: status(), headers(), body(), keepAlive().
 */
class HttpResponseParser
{
public:
    enum class Status { NeedMore, Response, Error };

    explicit HttpResponseParser(qint64 maxBodyBytes = 64 * 1024 * 1024, qint64 maxHeaderBytes = 64 * 1024)
        : m_maxBody(maxBodyBytes)
        , m_maxHead(maxHeaderBytes)
    { }

    /** Expects the answer to a new request; \a headRequest: its answer has no body. Keeps buffered bytes. */
    void begin(bool headRequest);
    void append(std::string_view bytes)
    {
        m_buffer.append(bytes.data(), bytes.size());
        m_received += bytes.size();
    }
    Status next();
    /** The connection closed: completes an answer that runs to the end of the stream, else Error. */
    Status finish();

    /** Bytes of this answer received so far (0: the upstream has not begun to answer). */
    std::size_t received() const { return m_received; }
    int status() const { return m_status; }
    const Headers& headers() const { return m_headers; }
    std::string takeBody() { return std::move(m_body); }
    /** The connection can carry another request after this answer. */
    bool keepAlive() const { return m_keepAlive; }
    /** Bytes received beyond the answer (nothing was asked for them: the connection is out of step). */
    std::size_t buffered() const { return m_buffer.size(); }
    const std::string& errorReason() const { return m_errorReason; }

private:
    enum class Phase { Head, Length, Chunked, UntilClose, Done, Failed };
    Status fail(std::string reason);
    bool parseHead(std::string_view head);

    qint64 m_maxBody;
    qint64 m_maxHead;
    std::string m_buffer;
    std::size_t m_received = 0;
    bool m_head = false;
    Phase m_phase = Phase::Head;
    int m_status = 0;
    Headers m_headers;
    std::string m_body;
    qint64 m_length = 0;
    ChunkedDecoder m_chunks;
    bool m_keepAlive = true;
    std::string m_errorReason;
};

} // namespace el
