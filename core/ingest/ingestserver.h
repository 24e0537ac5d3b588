// SPDX-License-Identifier: MIT
#pragma once

#include "httpserver.h"
#include "session.h"

#include <QElapsedTimer>
#include <QObject>

#include <list>

namespace el {

/**
 * \brief The sink: answers every PostHog path like PostHog capture does, feeds the session, and
 * serves the inspection API under /eventlens/v1/.
 */
class IngestServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IngestServer)
public:
    explicit IngestServer(Session* session, QObject* parent = nullptr);
    ~IngestServer() override;

    bool listen(const QHostAddress& address, quint16 port);
    QString errorString() const { return m_http.errorString(); }
    QHostAddress address() const { return m_http.serverAddress(); }
    quint16 port() const { return m_http.serverPort(); }
    /** e.g. "http://127.0.0.1:8484" */
    QString url() const;
    HttpServer* http() { return &m_http; }

Q_SIGNALS:
    /** One line per request (headless mode prints them to stderr). */
    void requestLogged(const QString& line);

private:
    struct Waiter
    {
        HttpResponderPtr responder;
        qint64 since = 0;
        std::string event;
        std::size_t limit = 1000;
        QTimer* timer = nullptr;
    };

    void handle(HttpRequest&& request, const HttpResponderPtr& responder);
    void handleIngest(const HttpRequest& request, Endpoint endpoint, const HttpResponderPtr& responder, Headers cors);
    void handleApi(const HttpRequest& request, const HttpResponderPtr& responder);
    Json eventsPage(qint64 since, const std::string& event, std::size_t limit, bool* any) const;
    void onEventsAdded();
    void log(const HttpRequest& request, int status, const std::string& detail);

    Session* m_session;
    HttpServer m_http;
    std::list<Waiter> m_waiters;
};

} // namespace el
