// SPDX-License-Identifier: MIT
#include "upstream.h"

#include "util/text.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QThread>

#include <algorithm>

namespace el {

UpstreamForwarder::UpstreamForwarder(QObject* parent)
    : QObject(parent)
{ }

UpstreamForwarder::~UpstreamForwarder()
{
    if (!m_thread)
        return;
    // The context (and with it the manager and its replies) is deleted in its own thread, which then ends.
    QMetaObject::invokeMethod(
        m_context, [context = m_context] { delete context; }, Qt::QueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

void UpstreamForwarder::setConfig(const UpstreamConfig& config)
{
    m_config = config;
    if (isEnabled() && !m_thread) {
        m_thread = new QThread;
        m_thread->setObjectName(QStringLiteral("el-upstream"));
        m_context = new QObject;
        m_nam = new QNetworkAccessManager(m_context);
        m_nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
        m_context->moveToThread(m_thread);
        m_thread->start();
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
    // On el-upstream: send, and build the answer there; only done() comes back to this thread.
    QMetaObject::invokeMethod(
        m_context,
        [nam = m_nam, out = std::move(out), method = QByteArray::fromStdString(request.method),
            body = QByteArray::fromStdString(request.body), timer, back = QPointer<UpstreamForwarder>(this),
            done = std::move(done)]() mutable {
            QNetworkReply* reply = nam->sendCustomRequest(out, method, body);
            QObject::connect(reply, &QNetworkReply::finished, reply,
                [reply, timer, back = std::move(back), done = std::move(done)]() mutable {
                    const qint64 ms = timer.elapsed();
                    reply->deleteLater();
                    HttpResponse r;
                    int status = -1;
                    std::string why;
                    const QVariant statusAttr = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
                    if (!statusAttr.isValid()) {
                        const bool timedOut = reply->error() == QNetworkReply::OperationCanceledError
                            || reply->error() == QNetworkReply::TimeoutError;
                        why = (timedOut ? std::string("upstream timed out: ") : std::string("upstream unreachable: "))
                            + reply->errorString().toStdString();
                        r = HttpResponse::error(timedOut ? 504 : 502, why);
                    } else {
                        status = statusAttr.toInt();
                        r.status = status;
                        r.contentType.clear();
                        r.body = reply->readAll().toStdString();
                        for (const auto& [name, value] : reply->rawHeaderPairs()) {
                            if (isHopByHop(name.toStdString())
                                || name.compare("content-encoding", Qt::CaseInsensitive) == 0
                                || name.startsWith("Access-Control-") || name.startsWith("access-control-"))
                                continue;
                            r.headers.emplace_back(name.toStdString(), value.toStdString());
                        }
                    }
                    if (!back)
                        return; // the forwarder is gone: nobody waits for this answer
                    QMetaObject::invokeMethod(
                        back.data(),
                        [r = std::move(r), status, ms, why = std::move(why), done = std::move(done)] {
                            done(r, status, ms, why);
                        },
                        Qt::QueuedConnection);
                });
        },
        Qt::QueuedConnection);
}

} // namespace el
