// SPDX-License-Identifier: MIT
#pragma once

#include "capture.h"
#include "faults.h"
#include "inspectionapi.h"
#include "transport/httpserver.h"
#include "upstream.h"

#include <QObject>
#include <QUrl>

namespace el {

/**
 * \brief The sink's routing and I/O: answers every PostHog path like PostHog capture does and hands
 * ingest requests to the capture pipeline (Capture), the inspection API's paths to InspectionApi, and
 * (pass-through) a copy of each request to UpstreamForwarder. It keeps nothing itself.
 */
class IngestServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IngestServer)
public:
    explicit IngestServer(Capture* capture, QObject* parent = nullptr);
    ~IngestServer() override;

    bool listen(const QHostAddress& address, quint16 port);
    QString errorString() const { return m_http.errorString(); }
    QHostAddress address() const { return m_http.serverAddress(); }
    quint16 port() const { return m_http.serverPort(); }
    /** e.g. "http://127.0.0.1:8484" */
    QString url() const;
    HttpServer* http() { return &m_http; }

    /** Pass-through proxy mode; an empty URL turns it off. Only this URL is ever contacted. */
    void setUpstream(const UpstreamConfig& config) { m_forwarder.setConfig(config); }
    const UpstreamConfig& upstream() const { return m_forwarder.config(); }

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
    void setAllowedContractFiles(const std::vector<std::string>& files) { m_api.setAllowedContractFiles(files); }
    /**
     * The faults injected into ingest answers (POST /eventlens/v1/faults). By default the server has its own; the
     * controller shares one between the servers it starts (they outlive a restart) and the window's Faults panel.
     * \a faults must outlive this server.
     */
    void setFaults(FaultInjector* faults);
    FaultInjector* faults() const { return m_faults; }

Q_SIGNALS:
    /** One line per request (headless mode prints them to stderr). */
    void requestLogged(const QString& line);

private:
    void handle(HttpRequest&& request, const HttpResponderPtr& responder);
    void handleIngest(HttpRequest request, Endpoint endpoint, const HttpResponderPtr& responder, Headers cors);
    /** Carries out the fault that hits this ingest request, if one does (true: the request is taken care of). */
    bool injectFault(
        const HttpRequest& request, Endpoint endpoint, const HttpResponderPtr& responder, const Headers& cors);
    /** What the request log shows of a request; an answer that comes later keeps this, not the whole request. */
    struct RequestLine
    {
        std::string method;
        std::string path;
        std::string query;
        std::size_t bodyBytes = 0;
    };
    static RequestLine lineOf(const HttpRequest& request)
    {
        return {request.method, request.path, request.query, request.body.size()};
    }
    void log(const RequestLine& line, int status, const std::string& detail);
    void log(const HttpRequest& request, int status, const std::string& detail)
    {
        log(lineOf(request), status, detail);
    }
    /** False (and answered 401, listed as rejected) when a token is required and missing/wrong. */
    bool authorize(HttpRequest& request, const HttpResponderPtr& responder);

    Capture* m_capture;
    HttpServer m_http;
    InspectionApi m_api;
    UpstreamForwarder m_forwarder;
    std::string m_token;
    FaultInjector m_ownFaults;
    FaultInjector* m_faults = &m_ownFaults;
};

} // namespace el
