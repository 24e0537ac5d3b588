// SPDX-License-Identifier: MIT
// Pass-through mode against a real local upstream (an HttpServer started by the test).
#include "decode/decode.h"
#include "ingest/ingestserver.h"
#include "session.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

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

Answer post(quint16 port, const QString& pathAndQuery, const QByteArray& body,
    const QList<QPair<QByteArray, QByteArray>>& headers)
{
    QNetworkAccessManager nam;
    QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(pathAndQuery)));
    for (const auto& [n, v] : headers)
        req.setRawHeader(n, v);
    QNetworkReply* reply = nam.post(req, body);
    QSignalSpy done(reply, &QNetworkReply::finished);
    done.wait(20000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    a.headers = reply->rawHeaderPairs();
    reply->deleteLater();
    return a;
}

} // namespace

class TestProxy : public QObject
{
    Q_OBJECT
    Session* m_session = nullptr;
    IngestServer* m_sink = nullptr;
    HttpServer* m_upstream = nullptr;
    std::vector<HttpRequest> m_seen;
    HttpResponse m_reply;
    bool m_hang = false;

private Q_SLOTS:
    void init()
    {
        m_seen.clear();
        m_hang = false;
        m_reply = HttpResponse::json(200, Json {{"status", "Ok"}});
        m_reply.headers.emplace_back("X-Upstream", "yes");
        m_upstream = new HttpServer;
        m_upstream->setHandler([this](HttpRequest&& r, const HttpResponderPtr& resp) {
            m_seen.push_back(r);
            if (!m_hang)
                resp->respond(m_reply);
        });
        QVERIFY(m_upstream->listen(QHostAddress::LocalHost, 0));
        m_session = new Session;
        m_sink = new IngestServer(m_session);
        QVERIFY(m_sink->listen(QHostAddress::LocalHost, 0));
        UpstreamConfig cfg;
        cfg.url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_upstream->serverPort()));
        cfg.timeoutMs = 1500;
        m_sink->setUpstream(cfg);
    }
    void cleanup()
    {
        delete m_sink;
        delete m_session;
        delete m_upstream;
    }

    void forwardsVerbatimAndCaptures()
    {
        const std::string json
            = R"({"api_key":"phc_k","batch":[{"event":"run_created","distinct_id":"u","properties":{"run_id":"r1"}}]})";
        const std::string body = gzip(json);
        const Answer a
            = post(m_sink->port(), QStringLiteral("/batch/?ver=5&compression=gzip"), QByteArray::fromStdString(body),
                {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"},
                    {"User-Agent", "posthog-node/5.70.0"}, {"X-Test-Id", "t-42"}, {"Connection", "keep-alive"}});
        QCOMPARE(a.status, 200);
        QCOMPARE(a.body, QByteArray(R"({"status":"Ok"})")); // the upstream's answer, not ours
        QCOMPARE(a.header("X-Upstream"), QByteArray("yes"));
        QCOMPARE(m_seen.size(), std::size_t(1));
        const HttpRequest& up = m_seen.front();
        QCOMPARE(up.method, std::string("POST"));
        QCOMPARE(up.path, std::string("/batch/"));
        QCOMPARE(up.query, std::string("ver=5&compression=gzip"));
        QVERIFY(up.body == body); // byte-exact gzip
        QCOMPARE(up.header("Content-Encoding"), std::string("gzip"));
        QCOMPARE(up.header("User-Agent"), std::string("posthog-node/5.70.0"));
        QCOMPARE(up.header("X-Test-Id"), std::string("t-42"));
        QCOMPARE(up.header("X-Forwarded-For"), std::string("127.0.0.1"));
        // Captured locally too, with the upstream's status and latency.
        QCOMPARE(m_session->store()->events().size(), std::size_t(1));
        const EventStore::Upstream* info
            = m_session->store()->upstream(m_session->store()->events().front()->requestId);
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
        m_reply = HttpResponse::error(status, "upstream says no");
        m_reply.headers.emplace_back("Retry-After", "7");
        const Answer a = post(m_sink->port(), QStringLiteral("/e/"),
            R"({"event":"x","properties":{"distinct_id":"d","token":"t"}})", {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, status);
        QCOMPARE(a.header("Retry-After"), QByteArray("7"));
        QCOMPARE(m_session->store()->events().size(), std::size_t(1)); // still captured
    }

    void flagsAreForwarded()
    {
        m_reply = HttpResponse::json(200, Json {{"flags", {{"f", {{"enabled", true}}}}}});
        const Answer a = post(m_sink->port(), QStringLiteral("/flags/?v=2"), R"({"token":"t","distinct_id":"d"})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 200);
        QVERIFY(a.body.contains("\"f\""));
        QCOMPARE(m_seen.size(), std::size_t(1));
        QCOMPARE(m_seen.front().query, std::string("v=2"));
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
        m_sink->setUpstream(cfg);
        Answer a = post(m_sink->port(), QStringLiteral("/e/"), R"({"event":"x","properties":{"distinct_id":"d"}})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 502);
        QVERIFY(a.body.contains("upstream unreachable"));
        QCOMPARE(m_session->store()->events().size(), std::size_t(1));
        QCOMPARE(m_session->store()->upstream(m_session->store()->events().front()->requestId)->status, -1);

        cfg.failOpen = true;
        m_sink->setUpstream(cfg);
        a = post(m_sink->port(), QStringLiteral("/e/"), R"({"event":"y","properties":{"distinct_id":"d"}})",
            {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 200);
        QCOMPARE(a.body, QByteArray(R"({"status":1})"));
        QCOMPARE(m_session->store()->events().size(), std::size_t(2));
    }

    void upstreamSlowIs504()
    {
        m_hang = true;
        const Answer a = post(m_sink->port(), QStringLiteral("/e/"),
            R"({"event":"x","properties":{"distinct_id":"d"}})", {{"Content-Type", "application/json"}});
        QCOMPARE(a.status, 504);
        QCOMPARE(m_session->store()->events().size(), std::size_t(1));
    }

    void hostHeaderNeverRoutes()
    {
        // A client that names another host still only reaches the configured upstream.
        const Answer a
            = post(m_sink->port(), QStringLiteral("/e/"), R"({"event":"x","properties":{"distinct_id":"d"}})",
                {{"Content-Type", "application/json"}, {"Host", "evil.example:80"}});
        QCOMPARE(a.status, 200);
        QCOMPARE(m_seen.size(), std::size_t(1));
        QVERIFY(m_seen.front().header("Host") != "evil.example:80");
    }

    void apiIsNeverForwarded()
    {
        QNetworkAccessManager nam;
        QNetworkReply* reply = nam.get(
            QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/eventlens/v1/health").arg(m_sink->port()))));
        QSignalSpy done(reply, &QNetworkReply::finished);
        QVERIFY(done.wait(5000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(m_seen.size(), std::size_t(0));
        reply->deleteLater();
    }
};

QTEST_GUILESS_MAIN(TestProxy)
#include "tst_proxy.moc"
