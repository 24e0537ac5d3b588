// SPDX-License-Identifier: MIT
#include "httpserver.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#ifdef Q_OS_WIN
#include <winsock2.h>
#else
#include <cerrno>
#include <sys/socket.h>
#endif

#include <memory>

namespace el {

namespace {

/**
 * Half-closes: sends FIN after what was written, keeps the read side open. Qt has no shutdown(SHUT_WR)
 * (disconnectFromHost() stops reading and closes the socket once written, and closing a socket with
 * unread input makes the kernel send a reset), so this goes to the descriptor. Call it only once
 * bytesToWrite() is 0: Qt must have handed everything to the kernel.
 */
void shutdownWrite(QTcpSocket* socket)
{
    const qintptr fd = socket->socketDescriptor();
    if (fd == -1)
        return;
#ifdef Q_OS_WIN
    ::shutdown(static_cast<SOCKET>(fd), SD_SEND);
#else
    ::shutdown(static_cast<int>(fd), SHUT_WR);
#endif
}

/** Makes the next close of \a socket send a TCP reset (SO_LINGER with a zero timeout) instead of a FIN. */
void resetOnClose(QTcpSocket* socket)
{
    const qintptr fd = socket->socketDescriptor();
    if (fd == -1)
        return;
    linger l {};
    l.l_onoff = 1;
    l.l_linger = 0;
#ifdef Q_OS_WIN
    ::setsockopt(static_cast<SOCKET>(fd), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
#else
    ::setsockopt(static_cast<int>(fd), SOL_SOCKET, SO_LINGER, &l, sizeof l);
#endif
}

} // namespace

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
        // Bounds what Qt buffers while we do not read (pipelined bytes behind a long poll).
        socket->setReadBufferSize(256 * 1024);
        m_peer = socket->peerAddress().toString().toStdString() + ':' + std::to_string(socket->peerPort());
        m_parser.setPeer(m_peer);
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, &HttpConnection::onTimeout);
        connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
        connect(socket, &QTcpSocket::disconnected, this, &HttpConnection::close);
        connect(socket, &QTcpSocket::bytesWritten, this, [this] {
            if (m_closeAfterResponse && m_socket->bytesToWrite() == 0)
                startLingering();
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
        writeNow(out);
        m_waitingForResponse = false;
        if (close) {
            // From here on input is discarded; once the answer is written, lingering close.
            m_closeAfterResponse = true;
            m_parser.discard();
            // A peer that never reads must not keep the socket: give it the idle timeout to drain.
            m_timer.start(m_server->limits().idleTimeoutMs);
            if (m_socket->bytesToWrite() == 0)
                startLingering();
            return;
        }
        m_timer.start(m_server->limits().idleTimeoutMs);
        // Pipelined requests already buffered (here or in Qt's buffer) are handled next. Bytes still in the kernel
        // raise readyRead by themselves, so nothing is posted when nothing is buffered (most answers).
        if (m_parser.bufferedBytes() > 0 || m_socket->bytesAvailable() > 0)
            QTimer::singleShot(0, this, &HttpConnection::onReadyRead);
    }

    bool isClosed() const { return m_closed; }

    /** Closes the connection without an answer: with a TCP reset (\a reset), else a plain close. */
    void drop(bool reset)
    {
        if (m_closed)
            return;
        if (reset)
            resetOnClose(m_socket);
        close();
    }

private:
    /**
     * Writes \a out. When Qt holds nothing unwritten for this socket, straight to the descriptor: an answer
     * usually fits the socket's buffer whole, and Qt's own path would first switch a write notifier on (and,
     * with the GLib event dispatcher, wake the event loop for it), wait a turn of the loop, write, and switch
     * the notifier off again. Whatever the kernel does not take goes through Qt, in order.
     */
    void writeNow(const std::string& out)
    {
        std::size_t sent = 0;
#if defined(MSG_NOSIGNAL) // a peer that closed gets EPIPE, not the process a SIGPIPE
        const qintptr fd = m_socket->socketDescriptor();
        if (fd != -1 && m_socket->bytesToWrite() == 0 && m_socket->state() == QAbstractSocket::ConnectedState) {
            for (;;) {
                const ssize_t n = ::send(static_cast<int>(fd), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
                if (n > 0) {
                    sent += static_cast<std::size_t>(n);
                    if (sent == out.size())
                        break;
                    continue;
                }
                if (n < 0 && errno == EINTR)
                    continue;
                break; // EAGAIN (buffer full) or an error: Qt writes the rest and reports the error its way
            }
        }
#endif
        if (sent < out.size())
            m_socket->write(out.data() + sent, static_cast<qint64>(out.size() - sent));
    }

    void onReadyRead()
    {
        if (m_closed)
            return;
        if (m_closeAfterResponse)
            return discardInput(); // we are going to close
        // While a response is pending (long poll) read at most one more request's worth; the rest
        // stays in the socket (TCP back-pressure) instead of growing our buffer without bound.
        const HttpLimits& limits = m_server->limits();
        const auto cap = static_cast<std::size_t>(limits.maxHeaderBytes + limits.maxBodyBytes) + 65536;
        if (m_waitingForResponse && m_parser.bufferedBytes() > cap)
            return;
        const QByteArray data = m_socket->readAll();
        m_parser.append(std::string_view(data.constData(), static_cast<size_t>(data.size())));
        parse();
    }

    void onTimeout()
    {
        if (m_closed)
            return;
        if (m_closeAfterResponse)
            return close(); // the peer did not take our last response, or lingering is over
        if (m_waitingForResponse)
            return; // a long poll owns the connection
        if (m_parser.inProgress()) {
            m_parser.fail(408,
                "request not completed within " + std::to_string(m_server->limits().requestTimeoutMs)
                    + " ms (slow or stalled client)");
            protocolError();
            return;
        }
        close();
    }

    /**
     * Lingering close (what nginx does): the answer is written, so half-close and read and discard what the
     * peer still sends (typically the rest of a body we refused with 413 before reading it) until it closes
     * too, lingerTimeoutMs passed or lingerMaxBytes were discarded. Closing at once while the peer is still
     * sending makes the kernel reset the connection, and the peer's TCP stack may then drop our answer
     * before the client read it (Node's fetch writes the whole body first and got ECONNRESET, not the 413).
     * The connection keeps counting against maxConnections until it is closed.
     */
    void startLingering()
    {
        if (m_closed || m_lingering)
            return;
        m_lingering = true;
        shutdownWrite(m_socket);
        m_timer.start(m_server->limits().lingerTimeoutMs);
        discardInput();
    }

    void discardInput()
    {
        m_discarded += m_socket->readAll().size();
        if (m_discarded > m_server->limits().lingerMaxBytes)
            close(); // a peer that keeps sending does not keep the connection
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

    // Answers the parser's error, lists it (protocol error handler) and closes after the answer.
    void protocolError()
    {
        if (m_server->m_protocolError)
            m_server->m_protocolError(m_parser.partial(), m_parser.errorStatus(), m_parser.errorReason());
        m_closeAfterResponse = true;
        m_parser.discard();
        respond(HttpResponse::error(m_parser.errorStatus(), m_parser.errorReason()));
    }

    // Parses as many complete requests as the buffer holds, one at a time.
    void parse()
    {
        const HttpLimits& limits = m_server->limits();
        m_parser.setLimits(limits);
        while (!m_closed && !m_waitingForResponse && !m_closeAfterResponse) {
            switch (m_parser.next()) {
            case HttpRequestParser::Status::NeedMore:
                if (m_parser.takeContinue())
                    m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
                if (m_parser.inProgress() && !m_requestTimerStarted) {
                    m_requestTimerStarted = true;
                    m_timer.start(limits.requestTimeoutMs);
                }
                return;
            case HttpRequestParser::Status::Error:
                return protocolError();
            case HttpRequestParser::Status::Request:
                dispatch();
                break;
            }
        }
    }

    void dispatch()
    {
        m_keepAlive = m_parser.keepAlive();
        m_requestTimerStarted = false;
        m_waitingForResponse = true;
        m_timer.stop();
        auto responder = std::make_shared<HttpResponder>(this);
        if (m_server->m_handler)
            m_server->m_handler(m_parser.takeRequest(), responder);
        else
            responder->respond(HttpResponse::error(503, "no handler"));
    }

    HttpServer* m_server;
    QTcpSocket* m_socket;
    QTimer m_timer;
    std::string m_peer;
    HttpRequestParser m_parser;
    bool m_keepAlive = true;
    bool m_waitingForResponse = false;
    bool m_closeAfterResponse = false; ///< answered for the last time: input is discarded, then we close
    bool m_lingering = false; ///< the last answer is written and the write side shut down
    qint64 m_discarded = 0; ///< input bytes discarded since m_closeAfterResponse
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

void HttpResponder::drop(bool reset)
{
    if (m_answered)
        return;
    m_answered = true;
    if (m_connection)
        m_connection->drop(reset);
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

HttpServer::~HttpServer()
{
    // Connections are QObject children, which ~QObject would delete after this object is gone, while
    // ~HttpConnection still updates m_connections (UBSan: member access on a destroyed HttpServer).
    const QObjectList kids = children();
    for (QObject* child : kids)
        delete dynamic_cast<HttpConnection*>(child);
}

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
            if (m_protocolError) {
                HttpRequest partial;
                partial.peer
                    = socket->peerAddress().toString().toStdString() + ':' + std::to_string(socket->peerPort());
                m_protocolError(partial, 503,
                    "too many concurrent connections (limit " + std::to_string(m_limits.maxConnections) + ")");
            }
            // Lingering close as in HttpConnection, so a client that sends its whole request first reads the
            // 503 instead of a reset; bounded by the same limits (a refused socket is not counted).
            socket->setReadBufferSize(64 * 1024);
            auto discarded = std::make_shared<qint64>(0);
            const qint64 maxDiscarded = m_limits.lingerMaxBytes;
            connect(socket, &QTcpSocket::bytesWritten, socket, [socket] {
                if (socket->bytesToWrite() == 0)
                    shutdownWrite(socket);
            });
            connect(socket, &QTcpSocket::readyRead, socket, [socket, discarded, maxDiscarded] {
                *discarded += socket->readAll().size();
                if (*discarded > maxDiscarded) {
                    socket->abort();
                    socket->deleteLater();
                }
            });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            // Never let a refused socket linger longer, whether the peer reads or not.
            QTimer::singleShot(m_limits.lingerTimeoutMs, socket, [socket] {
                socket->abort();
                socket->deleteLater();
            });
            continue;
        }
        new HttpConnection(this, socket);
    }
}

} // namespace el
