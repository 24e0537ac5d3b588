// SPDX-License-Identifier: MIT
#pragma once

#include "transport/httpserver.h"

#include <QObject>
#include <QUrl>

#include <functional>
#include <string>

class QThread;

namespace el {

class UpstreamClient;

/** Where the copies go, read once from UpstreamConfig::url: a connection serves one target. */
struct UpstreamTarget
{
    QString host;
    quint16 port = 0;
    bool tls = false;
    bool operator==(const UpstreamTarget& o) const { return port == o.port && tls == o.tls && host == o.host; }
};

/** Pass-through settings: every PostHog request is also sent to this one upstream, verbatim. */
struct UpstreamConfig
{
    QUrl url; ///< e.g. https://us.i.posthog.com (empty = sink only)
    bool failOpen = false; ///< upstream down: answer the client 200 instead of 502/504
    int timeoutMs = 10000;
};

/**
 * \brief Pass-through: sends a request to the one configured upstream and hands back its answer.
 *
 * The target is always the configured URL plus the request's own path and query: the Host header and
 * absolute request targets are never used, so the sink cannot become an open proxy. Redirects are
 * never followed. Knows nothing of sessions: the caller keeps the answer (Capture::recordUpstream()).
 *
 * The requests go out from a thread of their own ("el-upstream"), on our own HTTP/1.1 client: a pool of
 * keep-alive connections to the upstream (TLS for https), up to kMaxConnections at a time, each carrying one
 * request at a time; answers are read by HttpResponseParser. A request that finds a reused connection closed
 * before any byte of the answer arrived is sent once more on a new one. The caller's thread, which also parses
 * HTTP and commits every request, only writes the request's bytes and later runs \a done.
 */
class UpstreamForwarder final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UpstreamForwarder)
public:
    static constexpr int kMaxConnections = 32; ///< to the upstream at once; more requests wait for one

    explicit UpstreamForwarder(QObject* parent = nullptr);
    ~UpstreamForwarder() override;

    /** An empty URL turns pass-through off. */
    void setConfig(const UpstreamConfig& config);
    const UpstreamConfig& config() const { return m_config; }
    bool isEnabled() const { return !m_config.url.isEmpty(); }

    /**
     * \a status is the upstream's HTTP status, or -1 when it could not be reached or timed out (then
     * \a response is the 502/504 the client gets, and \a error says why).
     */
    using Done
        = std::function<void(const HttpResponse& response, int status, qint64 latencyMs, const std::string& error)>;
    /**
     * Sends \a request verbatim (minus hop-by-hop headers and Accept-Encoding, plus X-Forwarded-For); \a done runs
     * on this object's thread (never when this object is destroyed first).
     */
    void forward(const HttpRequest& request, Done done);

private:
    UpstreamConfig m_config;
    // Read from m_config.url by setConfig(), not per request:
    UpstreamTarget m_target;
    std::string m_basePath; ///< the URL's path, encoded, without a trailing '/': put before each request's path
    std::string m_hostLine; ///< "Host: host[:port]\r\n"
    QThread* m_thread = nullptr; ///< runs the requests; started with the first upstream
    UpstreamClient* m_client = nullptr; ///< lives in m_thread, used only there
};

} // namespace el
