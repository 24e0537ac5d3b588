// SPDX-License-Identifier: MIT
#include "upstream.h"

#include "transport/httpparser.h"
#include "util/text.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSslSocket>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <deque>
#include <memory>
#include <vector>

namespace el {

namespace {

bool isHopByHop(std::string_view name)
{
    static const char* const hop[] = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length", "proxy-connection"};
    return std::any_of(std::begin(hop), std::end(hop), [&](const char* h) { return asciiIEquals(name, h); });
}

/** A decoded path made fit for a request line again: bytes outside RFC 3986 pchar and '/' become %XX. */
void appendEncodedPath(std::string& out, std::string_view path)
{
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
            || std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
        if (plain) {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
}

/** Why a request got no answer from the upstream; the client gets a 502, or a 504 after the timeout. */
enum class Failure { Unreachable, TimedOut, BadAnswer };

} // namespace

/** One request on its way: its bytes, and who waits for the answer. */
struct UpstreamJob
{
    UpstreamTarget target;
    std::string bytes; ///< request line, headers and body, ready to write
    bool head = false; ///< a HEAD request: its answer has no body
    int timeoutMs = 10000;
    QElapsedTimer timer; ///< since forward()
    bool retried = false;
    QPointer<UpstreamForwarder> back;
    UpstreamForwarder::Done done;

    /** Hands the answer to the forwarder's thread (nobody waits when the forwarder is gone). */
    void answer(HttpResponse r, int status, const std::string& why)
    {
        if (!back)
            return;
        QMetaObject::invokeMethod(
            back.data(),
            [r = std::move(r), status, ms = timer.elapsed(), why, done = std::move(done)] { done(r, status, ms, why); },
            Qt::QueuedConnection);
    }
    void fail(Failure failure, const std::string& reason)
    {
        const char* const prefix[]
            = {"upstream unreachable: ", "upstream timed out: ", "bad answer from the upstream: "};
        const std::string why = prefix[static_cast<int>(failure)] + reason;
        answer(HttpResponse::error(failure == Failure::TimedOut ? 504 : 502, why), -1, why);
    }
};

class UpstreamConnection;

/** Lives in el-upstream: the queue of requests and the pool of connections that carry them. */
class UpstreamClient final : public QObject
{
public:
    UpstreamClient()
        : m_sweep(this) // moves to el-upstream with its parent
    {
        m_sweep.setInterval(100);
        connect(&m_sweep, &QTimer::timeout, this, &UpstreamClient::expireQueued);
    }
    void submit(std::unique_ptr<UpstreamJob> job, bool front = false);
    /** \a connection is idle again (true) or gone (false, it deletes itself). */
    void released(UpstreamConnection* connection, bool reusable);

private:
    void pump();
    void expireQueued();

    std::deque<std::unique_ptr<UpstreamJob>> m_queue;
    std::vector<UpstreamConnection*> m_idle;
    int m_connections = 0; ///< open or opening, idle or busy
    bool m_pumping = false;
    QTimer m_sweep; ///< runs while requests wait for a connection: a wait counts against their timeout
};

/** One keep-alive connection to the upstream, one request at a time. */
class UpstreamConnection final : public QObject
{
public:
    static constexpr int kIdleMs = 30 * 1000; ///< an unused connection is closed after this long
    UpstreamConnection(UpstreamClient* client, const UpstreamTarget& target)
        : QObject(client)
        , m_client(client)
        , m_target(target)
        , m_timer(this)
    {
        if (target.tls)
            m_socket = new QSslSocket(this);
        else
            m_socket = new QTcpSocket(this);
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            fail(Failure::TimedOut, "no answer within " + std::to_string(m_job ? m_job->timeoutMs : 0) + " ms");
        });
        connect(m_socket, &QIODevice::readyRead, this, &UpstreamConnection::read);
        connect(m_socket, &QAbstractSocket::disconnected, this, &UpstreamConnection::closed);
        connect(m_socket, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e == QAbstractSocket::RemoteHostClosedError)
                closed();
            else if (!sendElsewhere()) // e.g. a reset: the upstream had closed the pooled connection
                fail(Failure::Unreachable, m_socket->errorString().toStdString());
        });
        if (auto* ssl = qobject_cast<QSslSocket*>(m_socket))
            connect(ssl, &QSslSocket::encrypted, this, &UpstreamConnection::ready);
        else
            connect(m_socket, &QAbstractSocket::connected, this, &UpstreamConnection::ready);
    }

    ~UpstreamConnection() override { m_socket->disconnect(this); }

    const UpstreamTarget& target() const { return m_target; }

    void start(std::unique_ptr<UpstreamJob> job)
    {
        m_job = std::move(job);
        m_parser.begin(m_job->head);
        m_timer.start(std::max(1, m_job->timeoutMs));
        if (!m_opened) {
            // Connecting only now, with the request in hand: an error that Qt reports at once (no socket left, say)
            // then fails this request instead of leaving it on a connection that is already gone.
            m_opened = true;
            if (auto* ssl = qobject_cast<QSslSocket*>(m_socket))
                ssl->connectToHostEncrypted(m_target.host, m_target.port);
            else
                m_socket->connectToHost(m_target.host, m_target.port);
        } else if (m_connected) {
            m_socket->write(m_job->bytes.data(), static_cast<qint64>(m_job->bytes.size()));
        }
    }

    /** Closes an idle connection (e.g. the upstream changed). */
    void retire() { drop(); }

private:
    void ready()
    {
        m_connected = true;
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (m_job)
            m_socket->write(m_job->bytes.data(), static_cast<qint64>(m_job->bytes.size()));
    }

    void drain()
    {
        char buffer[64 * 1024];
        for (;;) {
            const qint64 n = m_socket->read(buffer, sizeof buffer);
            if (n <= 0)
                break;
            m_parser.append(std::string_view(buffer, static_cast<size_t>(n)));
        }
    }

    void read()
    {
        drain();
        if (!m_job) {
            // Bytes nobody asked for: the connection is out of step with the upstream.
            drop();
            return;
        }
        m_timer.start(std::max(1, m_job->timeoutMs)); // a transfer timeout: it runs while nothing arrives
        const HttpResponseParser::Status s = m_parser.next();
        if (s == HttpResponseParser::Status::Response)
            complete();
        else if (s == HttpResponseParser::Status::Error)
            fail(Failure::BadAnswer, m_parser.errorReason());
    }

    void closed()
    {
        drain();
        if (!m_job) {
            drop();
            return;
        }
        if (sendElsewhere())
            return;
        if (m_parser.finish() == HttpResponseParser::Status::Response)
            complete();
        else
            fail(m_parser.received() == 0 ? Failure::Unreachable : Failure::BadAnswer, m_parser.errorReason());
    }

    /**
     * A pooled connection that the upstream closed (or reset) before any byte of this request's answer: the usual
     * keep-alive race, where the upstream did not take the request. It goes out once more, first in line, on another
     * connection (once: a second failure is the upstream's answer). False when that is not the case.
     */
    bool sendElsewhere()
    {
        if (!m_job || m_served == 0 || m_parser.received() != 0 || m_job->retried)
            return false;
        m_job->retried = true;
        std::unique_ptr<UpstreamJob> job = std::move(m_job);
        drop();
        m_client->submit(std::move(job), true);
        return true;
    }

    void complete()
    {
        m_timer.stop();
        HttpResponse r;
        r.status = m_parser.status();
        r.contentType.clear(); // the upstream's Content-Type is among its headers
        r.body = m_parser.takeBody();
        for (const auto& [name, value] : m_parser.headers()) {
            if (isHopByHop(name)
                || (name.size() >= 15 && asciiIEquals(std::string_view(name).substr(0, 15), "access-control-")))
                continue; // the sink's own CORS answer is added to every answer
            r.headers.emplace_back(name, value);
        }
        const int status = r.status;
        std::unique_ptr<UpstreamJob> job = std::move(m_job);
        ++m_served;
        job->answer(std::move(r), status, {});
        if (m_parser.keepAlive() && m_parser.buffered() == 0 && m_socket->state() == QAbstractSocket::ConnectedState) {
            m_timer.start(kIdleMs); // with no request then, the timeout closes the connection
            m_client->released(this, true);
        } else {
            drop();
        }
    }

    void fail(Failure failure, const std::string& reason)
    {
        std::unique_ptr<UpstreamJob> job = std::move(m_job);
        drop();
        if (job)
            job->fail(failure, reason);
    }

    /** Closes this connection for good and tells the client, once. */
    void drop()
    {
        if (m_dropped)
            return;
        m_dropped = true;
        m_timer.stop();
        m_socket->disconnect(this);
        m_socket->abort();
        m_client->released(this, false);
        deleteLater();
    }

    UpstreamClient* m_client;
    UpstreamTarget m_target;
    QTcpSocket* m_socket = nullptr;
    HttpResponseParser m_parser;
    std::unique_ptr<UpstreamJob> m_job;
    QTimer m_timer;
    int m_served = 0;
    bool m_opened = false; ///< connecting or connected (the first start() connects)
    bool m_connected = false;
    bool m_dropped = false;
};

void UpstreamClient::submit(std::unique_ptr<UpstreamJob> job, bool front)
{
    if (job->target.tls && !QSslSocket::supportsSsl()) {
        job->fail(
            Failure::Unreachable, "TLS is not available (" + QSslSocket::sslLibraryVersionString().toStdString() + ")");
        return;
    }
    if (front)
        m_queue.push_front(std::move(job));
    else
        m_queue.push_back(std::move(job));
    pump();
}

void UpstreamClient::released(UpstreamConnection* connection, bool reusable)
{
    if (reusable) {
        m_idle.push_back(connection);
    } else {
        m_idle.erase(std::remove(m_idle.begin(), m_idle.end(), connection), m_idle.end());
        --m_connections;
    }
    pump();
}

void UpstreamClient::pump()
{
    // Not again from within: a connection retired or started below may call released(), and this loop looks at
    // the queue and the pool afresh on every turn anyway.
    if (m_pumping)
        return;
    m_pumping = true;
    while (!m_queue.empty()) {
        std::unique_ptr<UpstreamJob>& job = m_queue.front();
        // The most recently used idle connection first: it is the least likely to have been closed by the upstream.
        UpstreamConnection* connection = nullptr;
        while (!m_idle.empty() && !connection) {
            UpstreamConnection* c = m_idle.back();
            m_idle.pop_back();
            if (c->target() == job->target)
                connection = c;
            else
                c->retire(); // calls released(): m_connections drops, pump() finds the queue as it is
        }
        if (!connection) {
            if (m_connections >= UpstreamForwarder::kMaxConnections)
                break;
            ++m_connections;
            connection = new UpstreamConnection(this, job->target);
        }
        std::unique_ptr<UpstreamJob> taken = std::move(job);
        m_queue.pop_front();
        connection->start(std::move(taken));
    }
    m_pumping = false;
    if (m_queue.empty())
        m_sweep.stop();
    else if (!m_sweep.isActive())
        m_sweep.start();
}

void UpstreamClient::expireQueued()
{
    for (auto it = m_queue.begin(); it != m_queue.end();) {
        if ((*it)->timer.elapsed() >= (*it)->timeoutMs) {
            (*it)->fail(Failure::TimedOut,
                "no connection to the upstream free within " + std::to_string((*it)->timeoutMs) + " ms");
            it = m_queue.erase(it);
        } else {
            ++it;
        }
    }
    if (m_queue.empty())
        m_sweep.stop();
}

UpstreamForwarder::UpstreamForwarder(QObject* parent)
    : QObject(parent)
{ }

UpstreamForwarder::~UpstreamForwarder()
{
    if (!m_thread)
        return;
    // The client (and with it its connections) is deleted in its own thread, which then ends.
    QMetaObject::invokeMethod(
        m_client, [client = m_client] { delete client; }, Qt::QueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

void UpstreamForwarder::setConfig(const UpstreamConfig& config)
{
    m_config = config;
    const QUrl& url = m_config.url;
    m_target.tls = url.scheme() == QLatin1String("https");
    m_target.host = url.host();
    const int defaultPort = m_target.tls ? 443 : 80;
    m_target.port = static_cast<quint16>(url.port(defaultPort));
    m_basePath = url.path(QUrl::FullyEncoded).toStdString();
    if (!m_basePath.empty() && m_basePath.back() == '/')
        m_basePath.pop_back();
    const std::string host = url.host(QUrl::FullyEncoded).toStdString();
    m_hostLine = "Host: " + (host.find(':') != std::string::npos ? '[' + host + ']' : host);
    if (url.port() != -1 && url.port() != defaultPort)
        m_hostLine += ':' + std::to_string(url.port());
    m_hostLine += "\r\n";
    if (isEnabled() && !m_thread) {
        m_thread = new QThread;
        m_thread->setObjectName(QStringLiteral("el-upstream"));
        m_client = new UpstreamClient;
        m_client->moveToThread(m_thread);
        m_thread->start();
    }
}

void UpstreamForwarder::forward(const HttpRequest& request, Done done)
{
    auto job = std::make_unique<UpstreamJob>();
    job->timer.start();
    job->timeoutMs = m_config.timeoutMs;
    job->back = this;
    job->done = std::move(done);
    job->head = request.method == "HEAD";
    job->target = m_target;

    // The target is always the configured upstream plus the request's own path and query: the
    // Host header and absolute request targets are never used, so this cannot become an open proxy.
    std::string& out = job->bytes;
    out.reserve(request.body.size() + 512 + request.headers.size() * 64);
    out += request.method;
    out += ' ';
    out += m_basePath;
    appendEncodedPath(out, request.path);
    if (!request.query.empty()) {
        out += '?';
        out += request.query;
    }
    out += " HTTP/1.1\r\n";
    out += m_hostLine;
    std::string forwardedFor;
    for (const auto& [name, value] : request.headers) {
        if (isHopByHop(name))
            continue;
        // The sink records and shows the upstream's answer: it asks for it uncompressed.
        if (asciiIEquals(name, "accept-encoding"))
            continue;
        if (asciiIEquals(name, "x-forwarded-for")) {
            forwardedFor = value;
            continue;
        }
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    const std::string peerHost = request.peer.substr(0, request.peer.rfind(':'));
    out += "X-Forwarded-For: ";
    out += forwardedFor.empty() ? peerHost : forwardedFor + ", " + peerHost;
    out += "\r\n";
    if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD"))
        out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
    out += "\r\n";
    out += request.body;

    // On el-upstream: queue, send and read the answer there; only done() comes back to this thread.
    QMetaObject::invokeMethod(
        m_client, [client = m_client, job = std::move(job)]() mutable { client->submit(std::move(job)); },
        Qt::QueuedConnection);
}

} // namespace el
