// SPDX-License-Identifier: MIT
#pragma once

#include "httpserver.h"
#include "session.h"

#include <QElapsedTimer>
#include <QObject>
#include <QUrl>

#include <list>

class QNetworkAccessManager;

namespace el {

/** Pass-through settings: every PostHog request is also sent to this one upstream, verbatim. */
struct UpstreamConfig
{
    QUrl url; ///< e.g. https://us.i.posthog.com (empty = sink only)
    bool failOpen = false; ///< upstream down: answer the client 200 instead of 502/504
    int timeoutMs = 10000;
};

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

    /** Pass-through proxy mode; an empty URL turns it off. Only this URL is ever contacted. */
    void setUpstream(const UpstreamConfig& config);
    const UpstreamConfig& upstream() const { return m_upstream; }

    /**
     * Requires \a token on every request except CORS preflights (empty = no token). Accepted as
     * `Authorization: Bearer TOKEN`, `X-EventLens-Token: TOKEN` or the query `eventlens_token=TOKEN`;
     * it is stripped from the request before it is journaled, listed or forwarded. Missing/wrong: 401.
     */
    void setToken(const std::string& token) { m_token = token; }
    /**
     * Contract files the inspection API may load by name (POST /eventlens/v1/contract?name=FILE):
     * only these (the operator named them at startup) and builtin:NAME. Anything else is 403.
     */
    void setAllowedContractFiles(const std::vector<std::string>& files) { m_allowedContractFiles = files; }

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
    /** False (and answered 401, listed as rejected) when a token is required and missing/wrong. */
    bool authorize(HttpRequest& request, const HttpResponderPtr& responder);
    bool contractNameAllowed(const std::string& name) const;
    using UpstreamCallback
        = std::function<void(const HttpResponse& response, int status, qint64 latencyMs, const std::string& error)>;
    /** Sends \a request verbatim (minus hop-by-hop headers) to the upstream; never follows redirects. */
    void forward(const HttpRequest& request, UpstreamCallback done);

    Session* m_session;
    HttpServer m_http;
    std::list<Waiter> m_waiters;
    UpstreamConfig m_upstream;
    QNetworkAccessManager* m_nam = nullptr;
    std::string m_token;
    std::vector<std::string> m_allowedContractFiles;
};

} // namespace el
