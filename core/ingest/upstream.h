// SPDX-License-Identifier: MIT
#pragma once

#include "httpserver.h"

#include <QObject>
#include <QUrl>

#include <functional>
#include <string>

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
 * \brief Pass-through: sends a request to the one configured upstream and hands back its answer.
 *
 * The target is always the configured URL plus the request's own path and query: the Host header and
 * absolute request targets are never used, so the sink cannot become an open proxy. Redirects are
 * never followed. Knows nothing of sessions: the caller keeps the answer (Session::recordUpstream()).
 */
class UpstreamForwarder final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UpstreamForwarder)
public:
    explicit UpstreamForwarder(QObject* parent = nullptr);

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
    /** Sends \a request verbatim (minus hop-by-hop headers, plus X-Forwarded-For); \a done runs on this thread. */
    void forward(const HttpRequest& request, Done done);

private:
    UpstreamConfig m_config;
    QNetworkAccessManager* m_nam = nullptr;
};

} // namespace el
