// SPDX-License-Identifier: MIT
// Pass-through mode against a real local upstream that shares no code with EventLens: Python's own HTTP
// server (upstream.py), so a framing bug in the sink cannot be cancelled out by the same bug upstream.
#include "localsink.h"
#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"
#include "pipeline/upstream.h"
#include "wire/decode.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <nlohmann/json.hpp>

#include <memory>
#include <set>

using namespace el;

namespace {

std::string gzip(const std::string& in)
{
    return gzipCompress(in);
}

struct Answer
{
    int status = 0;
    QByteArray body;
    QList<QNetworkReply::RawHeaderPair> headers;
    QByteArray header(const char* name) const
    {
        for (const auto& [n, v] : headers)
            if (n.compare(name, Qt::CaseInsensitive) == 0)
                return v;
        return {};
    }
};

/** Waits for \a reply (at most 20 s) and takes what it answered. */
Answer answerOf(QNetworkReply* reply)
{
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        done.wait(20000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    a.headers = reply->rawHeaderPairs();
    reply->deleteLater();
    return a;
}

QNetworkRequest requestTo(quint16 port, const QString& pathAndQuery)
{
    return QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(pathAndQuery)));
}

Answer post(quint16 port, const QString& pathAndQuery, const QByteArray& body,
    const QList<QPair<QByteArray, QByteArray>>& headers)
{
    QNetworkAccessManager nam;
    QNetworkRequest req = requestTo(port, pathAndQuery);
    for (const auto& [n, v] : headers)
        req.setRawHeader(n, v);
    return answerOf(nam.post(req, body));
}

/** A one-event /e/ body numbered \a n, so that the upstream's copies can be told apart. */
QByteArray numberedEvent(int n)
{
    return QByteArray::fromStdString(R"({"event":"x","properties":{"distinct_id":"d","n":)" + std::to_string(n) + "}}");
}

Answer get(quint16 port, const QString& pathAndQuery)
{
    QNetworkAccessManager nam;
    return answerOf(nam.get(requestTo(port, pathAndQuery)));
}

} // namespace

class TestProxy : public QObject
{
    Q_OBJECT
    eltest::SinkFixture m_sink;
    QProcess* m_upstream = nullptr;
    quint16 m_upstreamPort = 0;

    /** What the upstream answers from now on: status, body and headers, or no answer at all (hang). */
    void setReply(int status, const Json& body, const Headers& headers = {}, bool hang = false, Json more = {})
    {
        Json h = Json::array({{"Content-Type", "application/json"}});
        for (const auto& [n, v] : headers)
            h.push_back({n, v});
        Json control {{"status", status}, {"body", body.dump()}, {"headers", h}, {"hang", hang}};
        if (more.is_object())
            control.update(more);
        const Answer a = post(m_upstreamPort, QStringLiteral("/__upstream/reply"),
            QByteArray::fromStdString(control.dump()), {{"Content-Type", "application/json"}});
        QVERIFY2(a.status == 200, a.body.constData());
    }
    /** Every request the upstream was sent, in order. */
    std::vector<HttpRequest> seen()
    {
        const Answer a = get(m_upstreamPort, QStringLiteral("/__upstream/seen"));
        std::vector<HttpRequest> out;
        const Json list = Json::parse(a.body.toStdString(), nullptr, false);
        if (!list.is_array()) {
            qWarning("upstream.py: no list of requests: %s", a.body.constData());
            return out;
        }
        for (const Json& j : list) {
            HttpRequest r;
            r.method = j["method"].get<std::string>();
            r.path = j["path"].get<std::string>();
            r.query = j["query"].get<std::string>();
            for (const Json& h : j["headers"])
                r.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
            r.body = QByteArray::fromBase64(QByteArray::fromStdString(j["body_b64"].get<std::string>())).toStdString();
            r.peer = std::to_string(j.value("peer_port", 0)); // the port of the sink's connection to the upstream
            out.push_back(std::move(r));
        }
        return out;
    }

private Q_SLOTS:
    void init()
    {
        m_upstream = new QProcess;
        m_upstream->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_upstream->start(QStringLiteral("python3"), {QStringLiteral(EVENTLENS_SOURCE_DIR "/tests/proxy/upstream.py")});
        QVERIFY2(m_upstream->waitForStarted(10000), "python3 is needed (.ci/deps installs it)");
        QByteArray line;
        QElapsedTimer t;
        t.start();
        while (!line.contains('\n') && t.elapsed() < 10000 && m_upstream->state() == QProcess::Running) {
            m_upstream->waitForReadyRead(100);
            line += m_upstream->readAllStandardOutput();
        }
        QVERIFY2(line.startsWith("listening "), line.constData());
        m_upstreamPort = static_cast<quint16>(line.mid(10).trimmed().toUInt());
        QVERIFY(m_upstreamPort != 0);
        setReply(200, Json {{"status", "Ok"}}, {{"X-Upstream", "yes"}});
        m_sink.start();
        UpstreamConfig cfg;
        cfg.url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_upstreamPort));
        cfg.timeoutMs = 1500;
        m_sink.server()->setUpstream(cfg);
    }
    void cleanup()
    {
        m_sink.stop();
        m_upstream->closeWriteChannel(); // upstream.py ends when its standard input closes
        if (!m_upstream->waitForFinished(5000))
            m_upstream->kill();
        m_upstream->waitForFinished(5000);
        delete m_upstream;
    }

    void forwardsVerbatimAndCaptures()
    {
        const std::string json
            = R"({"api_key":"phc_k","batch":[{"event":"run_created","distinct_id":"u","properties":{"run_id":"r1"}}]})";
        const std::string body = gzip(json);
        const Answer a
            = post(m_sink.port(), QStringLiteral("/batch/?ver=5&compression=gzip"), QByteArray::fromStdString(body),
                {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"},
                    {"User-Agent", "posthog-node/5.70.0"}, {"X-Test-Id", "t-42"}, {"Connection", "keep-alive"}});
        QCOMPARE(a.status, 200);
        QCOMPARE(a.body, QByteArray(R"({"status":"Ok"})")); // the upstream's answer, not ours
        QCOMPARE(a.header("X-Upstream"), QByteArray("yes"));
        const std::vector<HttpRequest> upstreamSaw = seen();
        QCOMPARE(upstreamSaw.size(), std::size_t(1));
        const HttpRequest& up = upstreamSaw.front();
        QCOMPARE(up.method, std::string("POST"));
        QCOMPARE(up.path, std::string("/batch/"));
        QCOMPARE(up.query, std::string("ver=5&compression=gzip"));
        QVERIFY(up.body == body); // byte-exact gzip
        QCOMPARE(up.header("Content-Encoding"), std::string("gzip"));
        QCOMPARE(up.header("User-Agent"), std::string("posthog-node/5.70.0"));
        QCOMPARE(up.header("X-Test-Id"), std::string("t-42"));
        QCOMPARE(up.header("X-Forwarded-For"), std::string("127.0.0.1"));
        // Captured locally too, with the upstream's status and latency.
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1));
        const EventStore::Upstream* info
            = m_sink.capture()->store()->upstream(m_sink.capture()->store()->events().front()->requestId);
        QVERIFY(info);
        QCOMPARE(info->status, 200);
        QVERIFY(info->latencyMs >= 0);
    }

    void upstreamStatusIsRelayed_data()
    {
        QTest::addColumn<int>("status");
        QTest::addRow("400") << 400;
        QTest::addRow("429") << 429;
        QTest::addRow("500") << 500;
        QTest::addRow("503") << 503;
    }
    void upstreamStatusIsRelayed()
    {
        QFETCH(int, status);
        setReply(status, Json {{"error", "upstream says no"}}, {{"Retry-After", "7"}});
        const Answer a = post(m_sink.port(), QStringLiteral("/e/"),
            R"({"event":"x","properties":{"distinct_id":"d","token":"t"}})", {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, status);
        QCOMPARE(a.header("Retry-After"), QByteArray("7"));
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1)); // still captured
    }

    void flagsAreForwarded()
    {
        setReply(200, Json {{"flags", {{"f", {{"enabled", true}}}}}});
        const Answer a = post(m_sink.port(), QStringLiteral("/flags/?v=2"), R"({"token":"t","distinct_id":"d"})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 200);
        QVERIFY(a.body.contains("\"f\""));
        const std::vector<HttpRequest> upstreamSaw = seen();
        QCOMPARE(upstreamSaw.size(), std::size_t(1));
        QCOMPARE(upstreamSaw.front().query, std::string("v=2"));
    }

    void upstreamDownIs502AndStillCaptured()
    {
        const quint16 deadPort = [] {
            QTcpServer s;
            s.listen(QHostAddress::LocalHost, 0);
            return s.serverPort();
        }();
        UpstreamConfig cfg;
        cfg.url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(deadPort));
        m_sink.server()->setUpstream(cfg);
        Answer a = post(m_sink.port(), QStringLiteral("/e/"), R"({"event":"x","properties":{"distinct_id":"d"}})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 502);
        QVERIFY(a.body.contains("upstream unreachable"));
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1));
        QCOMPARE(
            m_sink.capture()->store()->upstream(m_sink.capture()->store()->events().front()->requestId)->status, -1);

        cfg.failOpen = true;
        m_sink.server()->setUpstream(cfg);
        a = post(m_sink.port(), QStringLiteral("/e/"), R"({"event":"y","properties":{"distinct_id":"d"}})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 200);
        QCOMPARE(a.body, QByteArray(R"({"status":1})"));
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(2));
    }

    void upstreamSlowIs504()
    {
        setReply(200, Json::object(), {}, true);
        const Answer a = post(m_sink.port(), QStringLiteral("/e/"), R"({"event":"x","properties":{"distinct_id":"d"}})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 504);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1));
    }

    void hostHeaderNeverRoutes()
    {
        // A client that names another host still only reaches the configured upstream.
        const Answer a = post(m_sink.port(), QStringLiteral("/e/"), R"({"event":"x","properties":{"distinct_id":"d"}})",
            {{"Content-Type", "application/json"}, {"Host", "evil.example:80"}});
        QCOMPARE(a.status, 200);
        const std::vector<HttpRequest> upstreamSaw = seen();
        QCOMPARE(upstreamSaw.size(), std::size_t(1));
        QVERIFY(upstreamSaw.front().header("Host") != "evil.example:80");
    }

    void keepAliveConnectionsAreReused()
    {
        constexpr int kRequests = 20;
        for (int i = 0; i < kRequests; ++i) {
            const Answer a
                = post(m_sink.port(), QStringLiteral("/e/"), R"({"event":"x","properties":{"distinct_id":"d"}})",
                    {{"Content-Type", "application/json"}, {"Accept-Encoding", "gzip, br"}});
            QCOMPARE(a.status, 200);
        }
        const std::vector<HttpRequest> upstreamSaw = seen();
        QCOMPARE(upstreamSaw.size(), std::size_t(kRequests));
        std::set<std::string> ports;
        for (const HttpRequest& r : upstreamSaw) {
            ports.insert(r.peer);
            // The sink records the answer and shows it: it asks the upstream for it uncompressed.
            QCOMPARE(r.header("Accept-Encoding"), std::string());
        }
        QCOMPARE(ports.size(), std::size_t(1)); // one after the other: one connection carried them all
    }

    void closedKeepAliveIsRetriedOnce()
    {
        // The upstream closes every connection right after its answer, without saying so: the next request finds
        // the pooled connection closed (or sees it close under its feet) and must still be delivered exactly once.
        setReply(200, Json {{"status", "Ok"}}, {}, false, Json {{"close", true}});
        constexpr int kRequests = 30;
        for (int i = 0; i < kRequests; ++i) {
            const Answer a
                = post(m_sink.port(), QStringLiteral("/e/"), numberedEvent(i), {{"Content-Type", "application/json"}});
            QCOMPARE(a.status, 200);
        }
        const std::vector<HttpRequest> upstreamSaw = seen();
        QCOMPARE(upstreamSaw.size(), std::size_t(kRequests));
        for (int i = 0; i < kRequests; ++i)
            QVERIFY(upstreamSaw[std::size_t(i)].body.find("\"n\":" + std::to_string(i) + "}") != std::string::npos);
    }

    void requestOnDroppedConnectionIsSentAgain()
    {
        // The upstream answers, then resets the connection 300 ms later without reading what came meanwhile: each
        // next request is written to a pooled connection that is about to be reset, gets no byte of an answer, and
        // must go out once more on a new connection (UpstreamConnection::sendElsewhere()), not come back as a 502.
        setReply(200, Json {{"status", "Ok"}}, {}, false, Json {{"reset_after_ms", 300}});
        constexpr int kRequests = 5;
        for (int i = 0; i < kRequests; ++i) {
            const Answer a
                = post(m_sink.port(), QStringLiteral("/e/"), numberedEvent(i), {{"Content-Type", "application/json"}});
            QVERIFY2(a.status == 200, a.body.constData());
        }
        const std::vector<HttpRequest> upstreamSaw = seen();
        QCOMPARE(upstreamSaw.size(), std::size_t(kRequests)); // each once: the dropped copies were never read
        std::set<std::string> ports;
        for (const HttpRequest& r : upstreamSaw)
            ports.insert(r.peer);
        QCOMPARE(ports.size(), std::size_t(kRequests)); // each on a new connection
    }

    void chunkedAnswerIsRelayed()
    {
        const Json body {{"flags", {{"a-long-flag-name", {{"enabled", true}, {"variant", "control"}}}}}};
        setReply(201, body, {{"X-Upstream", "chunked"}}, false, Json {{"chunked", true}});
        const Answer a = post(m_sink.port(), QStringLiteral("/flags/?v=2"), R"({"token":"t","distinct_id":"d"})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 201);
        QCOMPARE(a.body, QByteArray::fromStdString(body.dump()));
        QCOMPARE(a.header("X-Upstream"), QByteArray("chunked"));
        QCOMPARE(a.header("Transfer-Encoding"), QByteArray()); // the sink answers with a Content-Length of its own
        QCOMPARE(a.header("X-Trailer"), QByteArray());
    }

    void badAnswerIs502_data()
    {
        QTest::addColumn<QString>("raw");
        QTest::addColumn<QString>("why");
        QTest::addRow("not HTTP") << QStringLiteral("SSH-2.0-OpenSSH_9.2\r\n\r\n")
                                  << QStringLiteral("bad answer from the upstream: malformed status line");
        QTest::addRow("cut short") << QStringLiteral("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort")
                                   << QStringLiteral("connection closed in the middle of the answer");
        QTest::addRow("bad length") << QStringLiteral("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n")
                                    << QStringLiteral("invalid Content-Length");
        QTest::addRow("nothing") << QString() << QStringLiteral("connection closed before any answer");
    }
    void badAnswerIs502()
    {
        QFETCH(QString, raw);
        QFETCH(QString, why);
        setReply(200, Json::object(), {}, false, Json {{"raw", raw.toStdString()}});
        const Answer a = post(m_sink.port(), QStringLiteral("/e/"), R"({"event":"x","properties":{"distinct_id":"d"}})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 502);
        QVERIFY2(a.body.contains(why.toUtf8()), a.body.constData());
        // Still captured, with why the upstream failed.
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1));
        const EventStore::Upstream* info
            = m_sink.capture()->store()->upstream(m_sink.capture()->store()->events().front()->requestId);
        QVERIFY(info);
        QCOMPARE(info->status, -1);
        QVERIFY2(QString::fromStdString(info->error).contains(why), info->error.c_str());
    }

    void manyRequestsAtOnce()
    {
        // More requests in flight than the pool has connections (UpstreamForwarder::kMaxConnections): the rest wait
        // for a free connection, and every one is answered by the upstream and captured once.
        constexpr int kClients = 10;
        constexpr int kPerClient = 6; // QNetworkAccessManager's own limit per host
        std::vector<std::unique_ptr<QNetworkAccessManager>> clients;
        std::vector<QNetworkReply*> replies;
        for (int c = 0; c < kClients; ++c) {
            clients.push_back(std::make_unique<QNetworkAccessManager>());
            for (int i = 0; i < kPerClient; ++i) {
                QNetworkRequest req = requestTo(m_sink.port(), QStringLiteral("/e/"));
                req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
                replies.push_back(clients.back()->post(req, numberedEvent(c * kPerClient + i)));
            }
        }
        for (QNetworkReply* reply : replies) {
            const Answer a = answerOf(reply);
            QCOMPARE(a.status, 200);
            QCOMPARE(a.body, QByteArray(R"({"status":"Ok"})"));
        }
        QCOMPARE(seen().size(), std::size_t(kClients * kPerClient));
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(kClients * kPerClient));
    }

    void apiIsNeverForwarded()
    {
        QCOMPARE(get(m_sink.port(), QStringLiteral("/eventlens/v1/health")).status, 200);
        QCOMPARE(seen().size(), std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestProxy)
#include "tst_proxy.moc"
