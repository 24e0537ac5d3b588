// SPDX-License-Identifier: MIT
#include "upstream.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <algorithm>

namespace el {

UpstreamForwarder::UpstreamForwarder(QObject* parent)
    : QObject(parent)
{ }

void UpstreamForwarder::setConfig(const UpstreamConfig& config)
{
    m_config = config;
    if (isEnabled() && !m_nam) {
        m_nam = new QNetworkAccessManager(this);
        m_nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    }
}

namespace {

bool isHopByHop(const std::string& name)
{
    static const char* const hop[] = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length", "proxy-connection"};
    const std::string lower = asciiLower(name);
    return std::any_of(std::begin(hop), std::end(hop), [&](const char* h) { return lower == h; });
}

} // namespace

void UpstreamForwarder::forward(const HttpRequest& request, Done done)
{
    // The target is always the configured upstream plus the request's own path and query: the
    // Host header and absolute request targets are never used, so this cannot become an open proxy.
    QUrl target = m_config.url;
    QString basePath = target.path();
    if (basePath.endsWith(u'/'))
        basePath.chop(1);
    target.setPath(basePath + QString::fromStdString(request.path));
    target.setQuery(request.query.empty() ? QString() : QString::fromStdString(request.query), QUrl::StrictMode);
    QNetworkRequest out(target);
    out.setTransferTimeout(m_config.timeoutMs);
    out.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    // Qt would otherwise add and transparently strip its own Accept-Encoding.
    out.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    std::string forwardedFor;
    for (const auto& [name, value] : request.headers) {
        if (isHopByHop(name))
            continue;
        if (asciiIEquals(name, "x-forwarded-for")) {
            forwardedFor = value;
            continue;
        }
        out.setRawHeader(QByteArray::fromStdString(name), QByteArray::fromStdString(value));
    }
    const std::string peerHost = request.peer.substr(0, request.peer.rfind(':'));
    out.setRawHeader(
        "X-Forwarded-For", QByteArray::fromStdString(forwardedFor.empty() ? peerHost : forwardedFor + ", " + peerHost));
    QElapsedTimer timer;
    timer.start();
    QNetworkReply* reply = m_nam->sendCustomRequest(
        out, QByteArray::fromStdString(request.method), QByteArray::fromStdString(request.body));
    QObject::connect(reply, &QNetworkReply::finished, this, [reply, timer, done = std::move(done)] {
        const qint64 ms = timer.elapsed();
        reply->deleteLater();
        const QVariant statusAttr = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!statusAttr.isValid()) {
            const bool timedOut = reply->error() == QNetworkReply::OperationCanceledError
                || reply->error() == QNetworkReply::TimeoutError;
            const std::string why
                = (timedOut ? std::string("upstream timed out: ") : std::string("upstream unreachable: "))
                + reply->errorString().toStdString();
            done(HttpResponse::error(timedOut ? 504 : 502, why), -1, ms, why);
            return;
        }
        HttpResponse r;
        r.status = statusAttr.toInt();
        r.contentType.clear();
        r.body = reply->readAll().toStdString();
        for (const auto& [name, value] : reply->rawHeaderPairs()) {
            if (isHopByHop(name.toStdString()) || name.compare("content-encoding", Qt::CaseInsensitive) == 0
                || name.startsWith("Access-Control-") || name.startsWith("access-control-"))
                continue;
            r.headers.emplace_back(name.toStdString(), value.toStdString());
        }
        done(r, r.status, ms, {});
    });
}

} // namespace el
