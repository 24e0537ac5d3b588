// SPDX-License-Identifier: MIT
#include "httpserver.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <cctype>
#include <deque>

namespace el {

const char* httpReasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

HttpResponse HttpResponse::json(int status, const Json& body)
{
    HttpResponse r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    return r;
}

HttpResponse HttpResponse::error(int status, const std::string& message)
{
    return json(status, Json {{"error", message}});
}

namespace {

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string trim(std::string_view s)
{
    size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
        --e;
    return std::string(s.substr(b, e - b));
}

std::string percentDecodePath(std::string_view in)
{
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1]))
            && std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

} // namespace

/** One client connection: parses requests from the byte stream, answers them in order. */
class HttpConnection final : public QObject
{
public:
    HttpConnection(HttpServer* server, QTcpSocket* socket)
        : QObject(server)
        , m_server(server)
        , m_socket(socket)
    {
        socket->setParent(this);
        m_peer = socket->peerAddress().toString().toStdString() + ':' + std::to_string(socket->peerPort());
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, &HttpConnection::onTimeout);
        connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
        connect(socket, &QTcpSocket::disconnected, this, &HttpConnection::close);
        connect(socket, &QTcpSocket::bytesWritten, this, [this] {
            if (m_closeWhenWritten && m_socket->bytesToWrite() == 0)
                close();
        });
        m_timer.start(m_server->limits().idleTimeoutMs);
        ++m_server->m_connections;
    }

    ~HttpConnection() override { --m_server->m_connections; }

    void respond(const HttpResponse& response)
    {
        if (m_closed)
            return;
        std::string out;
        out.reserve(response.body.size() + 256);
        out += "HTTP/1.1 " + std::to_string(response.status) + ' ' + httpReasonPhrase(response.status) + "\r\n";
        if (!response.contentType.empty())
            out += "Content-Type: " + response.contentType + "\r\n";
        out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
        for (const auto& [name, value] : response.headers)
            out += name + ": " + value + "\r\n";
        const bool close = m_closeAfterResponse || !m_keepAlive;
        out += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
        out += response.body;
        m_socket->write(out.data(), static_cast<qint64>(out.size()));
        m_waitingForResponse = false;
        if (close) {
            m_closeWhenWritten = true;
            m_socket->disconnectFromHost();
            return;
        }
        m_timer.start(m_server->limits().idleTimeoutMs);
        // Pipelined requests already buffered are handled now.
        QTimer::singleShot(0, this, &HttpConnection::parse);
    }

    bool isClosed() const { return m_closed; }

private:
    void onReadyRead()
    {
        const QByteArray data = m_socket->readAll();
        if (m_closeAfterResponse)
            return; // discard: we are going to close
        m_buffer.append(data.constData(), static_cast<size_t>(data.size()));
        parse();
    }

    void onTimeout()
    {
        if (m_waitingForResponse)
            return; // a long poll owns the connection
        if (!m_buffer.empty() || m_inBody) {
            protocolError(408,
                "request not completed within " + std::to_string(m_server->limits().requestTimeoutMs)
                    + " ms (slow or stalled client)");
            return;
        }
        close();
    }

    void close()
    {
        if (m_closed)
            return;
        m_closed = true;
        m_timer.stop();
        m_socket->abort();
        deleteLater();
    }

    void protocolError(int status, const std::string& reason)
    {
        if (m_server->m_protocolError) {
            HttpRequest partial = m_request;
            partial.peer = m_peer;
            if (partial.body.empty() && !m_buffer.empty())
                partial.body = m_buffer.substr(0, std::min<size_t>(m_buffer.size(), 4096));
            m_server->m_protocolError(partial, status, reason);
        }
        m_closeAfterResponse = true;
        m_buffer.clear();
        respond(HttpResponse::error(status, reason));
    }

    // Parses as many complete requests as the buffer holds, one at a time.
    void parse()
    {
        const HttpLimits& limits = m_server->limits();
        while (!m_closed && !m_waitingForResponse && !m_closeAfterResponse) {
            if (!m_inBody) {
                const size_t end = m_buffer.find("\r\n\r\n");
                if (end == std::string::npos) {
                    if (static_cast<qint64>(m_buffer.size()) > limits.maxHeaderBytes)
                        return protocolError(
                            431, "request line and headers exceed " + std::to_string(limits.maxHeaderBytes) + " bytes");
                    if (!m_buffer.empty() && !m_requestTimerStarted) {
                        m_requestTimerStarted = true;
                        m_timer.start(limits.requestTimeoutMs);
                    }
                    return;
                }
                if (static_cast<qint64>(end) > limits.maxHeaderBytes)
                    return protocolError(
                        431, "request line and headers exceed " + std::to_string(limits.maxHeaderBytes) + " bytes");
                if (!m_requestTimerStarted) {
                    m_requestTimerStarted = true;
                    m_timer.start(limits.requestTimeoutMs);
                }
                if (!parseHead(std::string_view(m_buffer).substr(0, end)))
                    return;
                m_buffer.erase(0, end + 4);
                m_inBody = true;
                if (m_expectContinue && m_contentLength > 0 && m_buffer.empty())
                    m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            }
            if (m_chunked) {
                if (!parseChunks())
                    return;
            } else {
                if (static_cast<qint64>(m_buffer.size()) < m_contentLength)
                    return;
                m_request.body = m_buffer.substr(0, static_cast<size_t>(m_contentLength));
                m_buffer.erase(0, static_cast<size_t>(m_contentLength));
            }
            dispatch();
        }
    }

    bool parseHead(std::string_view head)
    {
        m_request = HttpRequest {};
        m_request.peer = m_peer;
        m_contentLength = 0;
        m_chunked = false;
        m_expectContinue = false;
        // Tolerate stray CRLFs between pipelined requests (RFC 9112 §2.2).
        while (head.size() >= 2 && head.substr(0, 2) == "\r\n")
            head.remove_prefix(2);
        const size_t lineEnd = head.find("\r\n");
        const std::string_view line = head.substr(0, lineEnd);
        const size_t sp1 = line.find(' ');
        const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
        if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
            protocolError(400, "malformed request line");
            return false;
        }
        m_request.method = std::string(line.substr(0, sp1));
        const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        const std::string_view version = line.substr(sp2 + 1);
        if (version != "HTTP/1.1" && version != "HTTP/1.0") {
            protocolError(version.substr(0, 5) == "HTTP/" ? 505 : 400, "unsupported HTTP version");
            return false;
        }
        if (target.empty() || target[0] != '/') {
            m_request.path = std::string(target.substr(0, 200));
            protocolError(400, "request target must be an absolute path (this is not a proxy)");
            return false;
        }
        const size_t q = target.find('?');
        m_request.path = percentDecodePath(target.substr(0, q));
        if (q != std::string_view::npos)
            m_request.query = std::string(target.substr(q + 1));
        m_keepAlive = version == "HTTP/1.1";
        bool haveLength = false;
        size_t pos = lineEnd == std::string_view::npos ? head.size() : lineEnd + 2;
        while (pos < head.size()) {
            size_t e = head.find("\r\n", pos);
            if (e == std::string_view::npos)
                e = head.size();
            const std::string_view h = head.substr(pos, e - pos);
            pos = e + 2;
            const size_t colon = h.find(':');
            if (colon == std::string_view::npos || colon == 0) {
                protocolError(400, "malformed header line");
                return false;
            }
            std::string name(h.substr(0, colon));
            std::string value = trim(h.substr(colon + 1));
            if (iequals(name, "content-length")) {
                char* endp = nullptr;
                const long long n = std::strtoll(value.c_str(), &endp, 10);
                if (value.empty() || *endp != '\0' || n < 0 || (haveLength && n != m_contentLength)) {
                    protocolError(400, "invalid Content-Length");
                    return false;
                }
                haveLength = true;
                m_contentLength = n;
            } else if (iequals(name, "transfer-encoding")) {
                std::string lower = value;
                std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
                if (lower != "chunked") {
                    protocolError(501, "unsupported Transfer-Encoding: " + value);
                    return false;
                }
                m_chunked = true;
            } else if (iequals(name, "connection")) {
                std::string lower = value;
                std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
                if (lower.find("close") != std::string::npos)
                    m_keepAlive = false;
                else if (lower.find("keep-alive") != std::string::npos)
                    m_keepAlive = true;
            } else if (iequals(name, "expect") && iequals(value, "100-continue")) {
                m_expectContinue = true;
            }
            m_request.headers.emplace_back(std::move(name), std::move(value));
        }
        if (m_chunked && haveLength) {
            protocolError(400, "both Content-Length and Transfer-Encoding given");
            return false;
        }
        if (m_contentLength > m_server->limits().maxBodyBytes) {
            protocolError(413,
                "request body of " + std::to_string(m_contentLength) + " bytes exceeds the limit of "
                    + std::to_string(m_server->limits().maxBodyBytes) + " bytes");
            return false;
        }
        return true;
    }

    // Decodes chunked transfer coding from m_buffer into m_request.body; false when incomplete.
    bool parseChunks()
    {
        for (;;) {
            const size_t lineEnd = m_buffer.find("\r\n", m_chunkPos);
            if (lineEnd == std::string::npos)
                return false;
            const std::string sizeLine = m_buffer.substr(m_chunkPos, lineEnd - m_chunkPos);
            char* endp = nullptr;
            const unsigned long long size = std::strtoull(sizeLine.c_str(), &endp, 16);
            if (sizeLine.empty() || (endp && *endp != '\0' && *endp != ';')) {
                protocolError(400, "malformed chunk size");
                return false;
            }
            if (size == 0) {
                const size_t trailerEnd = m_buffer.find("\r\n\r\n", lineEnd);
                const size_t end = m_buffer.compare(lineEnd, 4, "\r\n\r\n") == 0 ? lineEnd + 4
                    : trailerEnd == std::string::npos                            ? std::string::npos
                                                                                 : trailerEnd + 4;
                if (end == std::string::npos)
                    return false;
                m_buffer.erase(0, end);
                m_chunkPos = 0;
                return true;
            }
            if (static_cast<qint64>(m_request.body.size() + size) > m_server->limits().maxBodyBytes) {
                protocolError(413,
                    "chunked request body exceeds the limit of " + std::to_string(m_server->limits().maxBodyBytes)
                        + " bytes");
                return false;
            }
            if (m_buffer.size() < lineEnd + 2 + size + 2)
                return false;
            m_request.body.append(m_buffer, lineEnd + 2, size);
            m_chunkPos = lineEnd + 2 + size + 2;
        }
    }

    void dispatch()
    {
        m_inBody = false;
        m_requestTimerStarted = false;
        m_waitingForResponse = true;
        m_timer.stop();
        auto responder = std::make_shared<HttpResponder>(this);
        if (m_server->m_handler)
            m_server->m_handler(std::move(m_request), responder);
        else
            responder->respond(HttpResponse::error(503, "no handler"));
        m_request = HttpRequest {};
    }

    HttpServer* m_server;
    QTcpSocket* m_socket;
    QTimer m_timer;
    std::string m_peer;
    std::string m_buffer;
    HttpRequest m_request;
    qint64 m_contentLength = 0;
    size_t m_chunkPos = 0;
    bool m_chunked = false;
    bool m_expectContinue = false;
    bool m_inBody = false;
    bool m_keepAlive = true;
    bool m_waitingForResponse = false;
    bool m_closeAfterResponse = false;
    bool m_closeWhenWritten = false;
    bool m_requestTimerStarted = false;
    bool m_closed = false;
};

HttpResponder::HttpResponder(HttpConnection* connection)
    : m_connection(connection)
{ }

void HttpResponder::respond(const HttpResponse& response)
{
    if (m_answered)
        return;
    m_answered = true;
    if (m_connection)
        m_connection->respond(response);
}

bool HttpResponder::isConnected() const
{
    return m_connection && !m_connection->isClosed();
}

HttpServer::HttpServer(QObject* parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
}

HttpServer::~HttpServer() = default;

bool HttpServer::listen(const QHostAddress& address, quint16 port)
{
    return m_server->listen(address, port);
}

QString HttpServer::errorString() const
{
    return m_server->errorString();
}

QHostAddress HttpServer::serverAddress() const
{
    return m_server->serverAddress();
}

quint16 HttpServer::serverPort() const
{
    return m_server->serverPort();
}

void HttpServer::onNewConnection()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        if (m_connections >= m_limits.maxConnections) {
            const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
                                "43\r\nConnection: close\r\n\r\n{\"error\":\"too many concurrent connections\"}";
            socket->write(busy, sizeof(busy) - 1);
            socket->disconnectFromHost();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            continue;
        }
        new HttpConnection(this, socket);
    }
}

} // namespace el
