// SPDX-License-Identifier: MIT
#pragma once

#include "httpparser.h"
#include "model/httpstatus.h"

#include <QHostAddress>
#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>
#include <string>

class QTcpServer;

namespace el {

class HttpConnection;

/** \brief A response; \c headers are added after Content-Type/Content-Length. */
struct HttpResponse
{
    int status = 200;
    std::string contentType = "application/json";
    Headers headers;
    std::string body;

    static HttpResponse json(int status, const Json& body);
    static HttpResponse error(int status, const std::string& message);
};

/**
 * \brief Answers one request, now or later (long polls). Safe to keep after the client went away:
 * respond() on a closed connection does nothing.
 */
class HttpResponder
{
public:
    explicit HttpResponder(HttpConnection* connection);
    void respond(const HttpResponse& response);
    /**
     * Closes the connection without answering (fault injection): with a TCP reset when \a reset, else a plain
     * close. Counts as the answer (respond() does nothing after it).
     */
    void drop(bool reset);
    bool isAnswered() const { return m_answered; }
    bool isConnected() const;

private:
    QPointer<HttpConnection> m_connection;
    bool m_answered = false;
};
using HttpResponderPtr = std::shared_ptr<HttpResponder>;

/**
 * \brief A small HTTP/1.1 server on QTcpServer: keep-alive, pipelining, chunked bodies,
 * Expect: 100-continue, limits. Requests are handed to one handler; framing errors are answered
 * here (400/413/431/505) and reported through the protocol error handler so they can be listed.
 *
 * We use our own server rather than Qt 6.4's technical-preview QHttpServer: it gives deferred
 * responses (long polls), precise limits and slow-client timeouts, behind this small interface.
 */
class HttpServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServer)
public:
    using Handler = std::function<void(HttpRequest&&, const HttpResponderPtr&)>;
    using ProtocolErrorHandler = std::function<void(const HttpRequest& partial, int status, const std::string& reason)>;

    explicit HttpServer(QObject* parent = nullptr);
    ~HttpServer() override;

    void setHandler(Handler handler) { m_handler = std::move(handler); }
    void setProtocolErrorHandler(ProtocolErrorHandler handler) { m_protocolError = std::move(handler); }
    void setLimits(const HttpLimits& limits) { m_limits = limits; }
    const HttpLimits& limits() const { return m_limits; }

    bool listen(const QHostAddress& address, quint16 port);
    QString errorString() const;
    QHostAddress serverAddress() const;
    quint16 serverPort() const;
    int connectionCount() const { return m_connections; }

private:
    friend class HttpConnection;
    void onNewConnection();

    QTcpServer* m_server;
    Handler m_handler;
    ProtocolErrorHandler m_protocolError;
    HttpLimits m_limits;
    int m_connections = 0;
};

} // namespace el
