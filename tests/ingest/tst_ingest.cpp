// SPDX-License-Identifier: MIT
// The sink over real loopback sockets: PostHog paths, replies, CORS, the inspection API, HTTP framing.
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "contract/contract.h"
#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"
#include "wire/decode.h"

#include "rawhttp.h"

#include "jsoncompare.h"
#include "localsink.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <tuple>

using namespace el;
using namespace eltest;

class TestIngest : public QObject
{
    Q_OBJECT
    SinkFixture m_sink;

    Reply call(const std::string& method, const std::string& target, const std::string& body = {},
        const std::vector<std::string>& headers = {})
    {
        return callOnce(m_sink.port(), method, target, body, headers);
    }

private Q_SLOTS:
    void init() { m_sink.start(EVENTLENS_TEST_DATA "/ingest/contract.json"); }
    void cleanup() { m_sink.stop(); }

    void capturePaths_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("contentType");
        QTest::addColumn<bool>("gzipped");
        for (const char* p : {"/e/", "/e", "/i/v0/e/", "/i/v0/e", "/capture/", "/track/", "/batch/", "/batch",
                 "/e/?ip=1&_=1700000000000&ver=1.2.3", "/e/?retry_count=2"}) {
            QTest::addRow("%s json", p) << QString::fromLatin1(p) << QStringLiteral("application/json") << false;
            QTest::addRow("%s gzip sniffed", p) << QString::fromLatin1(p) << QStringLiteral("text/plain") << true;
        }
    }
    void capturePaths()
    {
        QFETCH(QString, target);
        QFETCH(QString, contentType);
        QFETCH(bool, gzipped);
        const std::string json
            = R"({"api_key":"phc_k","batch":[{"event":"qa_event","distinct_id":"u1","properties":{"runtime_type":"byok","run_id":"r9","$lib":"web"}}],"sent_at":"2026-11-26T00:00:00Z"})";
        const Reply r = call(
            "POST", target.toStdString(), gzipped ? gzip(json) : json, {"Content-Type: " + contentType.toStdString()});
        QCOMPARE(r.status, 200);
        JSON_COMPARE(r.json(), Json::parse(R"({"status":1})"));
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1));
        const Event& e = *m_sink.capture()->store()->events().front();
        QCOMPARE(e.name(), std::string("qa_event"));
        QCOMPARE(e.distinctId(), std::string("u1"));
        QCOMPARE(e.endpoint(), target.toStdString().substr(0, target.toStdString().find('?')));
        QVERIFY(e.runtimeType().has_value());
        JSON_COMPARE(*e.runtimeType(), Json("byok"));
    }

    void recordingsAreCountedNotShown()
    {
        const Reply r = call("POST", "/s/",
            R"([{"event":"$snapshot","properties":{"distinct_id":"u","$snapshot_data":[],"$session_id":"s","$window_id":"w"}}])");
        QCOMPARE(r.status, 200);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(0));
        QCOMPARE(m_sink.capture()->store()->recordingCount(), qint64(1));
    }

    void remoteConfigFlagsAndStatic()
    {
        Reply r = call("GET", "/array/phc_abc/config");
        QCOMPARE(r.status, 200);
        JSON_COMPARE(r.json()["token"], Json("phc_abc"));
        QVERIFY(r.json()["supportedCompression"].dump().find("gzip") != std::string::npos);
        r = call("POST", "/flags/?v=2", R"({"token":"phc_abc","distinct_id":"u"})");
        QCOMPARE(r.status, 200);
        QVERIFY(r.json()["flags"].is_object());
        JSON_COMPARE(r.json()["errorsWhileComputingFlags"], Json(false));
        r = call("POST", "/decide/?v=4", R"({"token":"phc_abc","distinct_id":"u"})");
        QCOMPARE(r.status, 200);
        QVERIFY(r.json()["featureFlags"].is_object());
        QCOMPARE(call("GET", "/array/phc_abc/config.js").status, 404);
        QCOMPARE(call("GET", "/static/surveys.js?v=1").status, 404);
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(0));
    }

    void corsPreflightAndHeaders()
    {
        Reply r = call("OPTIONS", "/e/", {},
            {"Origin: http://localhost:5173", "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: content-type,x-custom"});
        QVERIFY(r.status == 200 || r.status == 204);
        QVERIFY(r.head.find("Access-Control-Allow-Origin: http://localhost:5173") != std::string::npos);
        QVERIFY(r.head.find("Access-Control-Allow-Headers: content-type,x-custom") != std::string::npos);
        QVERIFY(r.head.find("Access-Control-Allow-Methods: GET, POST, OPTIONS") != std::string::npos);
        r = call("POST", "/e/", R"({"event":"x","properties":{"distinct_id":"d","token":"t"}})",
            {"Origin: http://localhost:5173"});
        QCOMPARE(r.status, 200);
        QVERIFY(r.head.find("Access-Control-Allow-Origin: http://localhost:5173") != std::string::npos);
        QVERIFY(r.head.find("Access-Control-Allow-Credentials: true") != std::string::npos);
        // posthog-js in a page honours a fault's Retry-After only when the browser lets it read the header.
        QVERIFY(r.head.find("Access-Control-Expose-Headers: Retry-After") != std::string::npos);
    }

    void badRequestsAreAnsweredAndListed_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("target");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addRow("bad json") << "POST"
                                  << "/e/" << QByteArray("{\"event\": ") << 400;
        QTest::addRow("corrupt gzip") << "POST"
                                      << "/batch/" << QByteArray("\x1f\x8b\x08\x00garbage", 12) << 400;
        QTest::addRow("wrong method") << "PUT"
                                      << "/batch/" << QByteArray("{}") << 405;
        QTest::addRow("unknown path") << "POST"
                                      << "/nope" << QByteArray("{}") << 404;
        QTest::addRow("empty body") << "POST"
                                    << "/e/" << QByteArray() << 400;
        QTest::addRow("no event name") << "POST"
                                       << "/batch/" << QByteArray(R"({"batch":[{"distinct_id":"x"}]})") << 400;
    }
    void badRequestsAreAnsweredAndListed()
    {
        QFETCH(QString, method);
        QFETCH(QString, target);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        const Reply r = call(method.toStdString(), target.toStdString(), body.toStdString());
        QCOMPARE(r.status, status);
        const Json j = r.json();
        QVERIFY2(j.contains("error") && !j["error"].get<std::string>().empty(), r.body.c_str());
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        const RejectedRequest& rej = m_sink.capture()->store()->rejected().front();
        QCOMPARE(rej.status, status);
        QCOMPARE(rej.reason, j["error"].get<std::string>());
        QCOMPARE(rej.path, target.toStdString());
        // The API lists it too.
        const Reply api = call("GET", "/eventlens/v1/rejected");
        QCOMPARE(api.json()["rejected"].size(), std::size_t(1));
        JSON_COMPARE(api.json()["rejected"][0]["status"], Json(status));
    }

    void apiHealthEventsAndFilters()
    {
        call("POST", "/batch/",
            R"({"api_key":"k","batch":[{"event":"a","distinct_id":"d"},{"event":"b","distinct_id":"d"},{"event":"a","distinct_id":"d"}]})");
        Reply r = call("GET", "/eventlens/v1/health");
        QCOMPARE(r.status, 200);
        JSON_COMPARE(r.json()["status"], Json("ok"));
        JSON_COMPARE(r.json()["events"], Json(3));
        JSON_COMPARE(r.json()["version"], Json(EVENTLENS_VERSION));
        r = call("GET", "/eventlens/v1/events?event=a");
        QCOMPARE(r.json()["events"].size(), std::size_t(2));
        JSON_COMPARE(r.json()["events"][0]["violations"], Json::array());
        r = call("GET", "/eventlens/v1/events?since=1&limit=1");
        QCOMPARE(r.json()["events"].size(), std::size_t(1));
        JSON_COMPARE(r.json()["events"][0]["seq"], Json(2));
        JSON_COMPARE(r.json()["next"], Json(2));
        QCOMPARE(call("POST", "/eventlens/v1/reset").status, 200);
        JSON_COMPARE(call("GET", "/eventlens/v1/health").json()["events"], Json(0));
        QCOMPARE(call("GET", "/eventlens/v1/nope").status, 404);
    }

    void longPollReturnsWhenEventArrives()
    {
        RawClient waiter(m_sink.port());
        waiter.send(request("GET", "/eventlens/v1/events?since=0&event=late&wait_ms=10000", {}));
        QTest::qWait(100);
        QCOMPARE(
            call("POST", "/batch/", R"({"api_key":"k","batch":[{"event":"other","distinct_id":"d"}]})").status, 200);
        QCOMPARE(
            call("POST", "/batch/", R"({"api_key":"k","batch":[{"event":"late","distinct_id":"d"}]})").status, 200);
        Reply r;
        QElapsedTimer t;
        t.start();
        QVERIFY(waiter.read(r, 5000));
        QVERIFY(t.elapsed() < 4000);
        QCOMPARE(r.json()["events"].size(), std::size_t(1));
        JSON_COMPARE(r.json()["events"][0]["event"], Json("late"));
    }

    void longPollTimesOutEmpty()
    {
        const Reply r = call("GET", "/eventlens/v1/events?wait_ms=200");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json()["events"].size(), std::size_t(0));
    }

    void crossOriginResetRefused()
    {
        const Reply r = call("POST", "/eventlens/v1/reset", {}, {"Origin: http://evil.example"});
        QCOMPARE(r.status, 403);
    }

    void keepAlivePipeliningAndChunked()
    {
        RawClient c(m_sink.port());
        const std::string one
            = request("POST", "/batch/", R"({"api_key":"k","batch":[{"event":"p1","distinct_id":"d"}]})");
        const std::string two = request("POST", "/e/", R"({"event":"p2","properties":{"distinct_id":"d"}})");
        const std::string chunked = "POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "10\r\n{\"event\":\"p3\",\"d\r\n"
                                    "15\r\nistinct_id\":\"d\"}     \r\n0\r\n\r\n";
        c.send(one + two);
        c.send(chunked.substr(0, 40));
        QTest::qWait(50);
        c.send(chunked.substr(40));
        Reply r;
        for (int i = 0; i < 3; ++i) {
            QVERIFY(c.read(r));
            QCOMPARE(r.status, 200);
        }
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(3));
        QCOMPARE(m_sink.capture()->store()->events()[2]->name(), std::string("p3"));
    }

    void bodyTooLargeIs413AndListed()
    {
        HttpLimits limits = m_sink.server()->http()->limits();
        limits.maxBodyBytes = 1000;
        m_sink.server()->http()->setLimits(limits);
        const Reply r = call("POST", "/batch/", std::string(2000, 'x'));
        QCOMPARE(r.status, 413);
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().front().status, 413);
    }

    void slowClientTimesOut()
    {
        HttpLimits limits = m_sink.server()->http()->limits();
        limits.requestTimeoutMs = 300;
        m_sink.server()->http()->setLimits(limits);
        RawClient c(m_sink.port());
        c.send("POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Len");
        Reply r;
        QVERIFY(c.read(r, 3000));
        QCOMPARE(r.status, 408);
        QVERIFY(c.waitClosed(3000));
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
    }

    void memoryWindowKeepsNewestEvents()
    {
        m_sink.capture()->store()->setMaxEvents(3);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(call("POST", "/batch/",
                         R"({"api_key":"k","batch":[{"event":"w)" + std::to_string(i) + R"(","distinct_id":"d"}]})")
                         .status,
                200);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(3));
        QCOMPARE(m_sink.capture()->store()->trimmedCount(), qint64(2));
        JSON_COMPARE(call("GET", "/eventlens/v1/health").json()["trimmed"], Json(2));
        const Json events = call("GET", "/eventlens/v1/events?since=1").json()["events"];
        QCOMPARE(events.size(), std::size_t(3));
        JSON_COMPARE(events[0]["event"], Json("w2"));
        JSON_COMPARE(events[0]["seq"], Json(3));
        QVERIFY(m_sink.capture()->store()->eventBySeq(5));
        QVERIFY(!m_sink.capture()->store()->eventBySeq(1));
    }

    // The live sequence state leaves memory with the events: closed runs and unique keys made only of
    // trimmed events go; an open run stays until it ends; a forgotten run's late or second end is
    // recognised (no false orphan), and a second end of a forgotten run is still a duplicate.
    void memoryWindowForgetsSequenceState()
    {
        const Json contract = {{"name", "window"}, {"version", "1"}, {"unplanned_events", {{"mode", "allow"}}},
            {"events", Json::object()},
            {"sequences",
                {{{"id", "run"}, {"type", "pair"}, {"start", "start"}, {"end", "end"}, {"key", "/properties/id"},
                     {"at_most_once", true}},
                    {{"id", "uniq"}, {"type", "unique"}, {"events", {"*"}}, {"key", "/properties/$insert_id"}}}}};
        std::string error;
        auto c = Contract::fromJson(contract, "test", error);
        QVERIFY2(c, error.c_str());
        Capture capture;
        capture.setContract(c, "test");
        capture.store()->setMaxEvents(4);
        int n = 0;
        const auto send = [&](const char* name, const std::string& id) {
            HttpRequest r;
            r.method = "POST";
            r.path = "/batch/";
            r.body = Json {{"api_key", "k"},
                {"batch",
                    {{{"event", name}, {"distinct_id", "d"},
                        {"properties", {{"id", id}, {"$insert_id", "i" + std::to_string(++n)}}}}}}}
                         .dump();
            capture.ingestAsync(r, Endpoint::Batch, [](const IngestOutcome&, bool) {});
            capture.drainIngests();
        };
        send("start", "open"); // stays open past the window
        for (int i = 0; i < 50; ++i) {
            send("start", "r" + std::to_string(i));
            send("end", "r" + std::to_string(i));
        }
        QCOMPARE(capture.store()->events().size(), std::size_t(4));
        // Only the open run and the runs of the 4 events in memory are held.
        QVERIFY2(
            capture.engine()->rememberedPairs() <= 3, qPrintable(QString::number(capture.engine()->rememberedPairs())));
        const auto runs = capture.runs();
        QVERIFY(std::any_of(runs.begin(), runs.end(), [](const RunInfo& r) { return r.key == Json("open"); }));
        const qint64 errorsBefore = capture.store()->errorTotal();
        send("end", "r3"); // a second end of a forgotten run: a duplicate (at_most_once), not an orphan
        QCOMPARE(capture.store()->errorTotal(), errorsBefore + 1);
        const Violation& dup = capture.store()->violations().back();
        QVERIFY(dup.kind == ViolationKind::SequenceDuplicateEnd);
        send("end", "open"); // the open run still pairs with its end
        QVERIFY(capture.engine()->rememberedPairs() <= 3);
        QCOMPARE(capture.store()->errorTotal(), errorsBefore + 1); // no orphan, no unfinished
        const auto after = capture.runs();
        const auto open
            = std::find_if(after.begin(), after.end(), [](const RunInfo& r) { return r.key == Json("open"); });
        QVERIFY(open != after.end());
        QVERIFY(open->state == RunState::Finished);
    }

    // Pass-through answers are kept per request: they leave memory with the request's events, so a long
    // session with --max-events-in-memory stays bounded.
    void memoryWindowTrimsUpstreamAnswers()
    {
        EventStore* store = m_sink.capture()->store();
        store->setMaxEvents(3);
        for (int i = 0; i < 10; ++i) {
            const Reply r = call("POST", "/batch/",
                R"({"api_key":"k","batch":[{"event":"u)" + std::to_string(i) + R"(","distinct_id":"d"}]})");
            QCOMPARE(r.status, 200);
            const qint64 id = store->events().back()->requestId;
            store->setUpstream(id, {200, 5, {}});
        }
        const qint64 oldestKept = store->events().front()->requestId;
        for (qint64 id = 1; id < oldestKept; ++id)
            QVERIFY2(!store->upstream(id), qPrintable(QString::number(id)));
        for (const EventPtr& e : store->events())
            QVERIFY(store->upstream(e->requestId));
        QCOMPARE(store->upstreamCount(), std::size_t(3)); // only those of the 3 requests still in memory
    }

    void memoryWindowEvictsViolationsButCountsThem()
    {
        m_sink.capture()->store()->setMaxEvents(2);
        for (int i = 0; i < 6; ++i) {
            const std::string body
                = R"({"api_key":"k","batch":[{"event":"bad","distinct_id":"d","properties":{"runtime_type":"both"}}]})";
            QCOMPARE(call("POST", "/batch/", body).status, 200);
        }
        const EventStore* store = m_sink.capture()->store();
        QCOMPARE(store->events().size(), std::size_t(2));
        QCOMPARE(store->violations().size(), std::size_t(2)); // only those of events still in memory
        QCOMPARE(store->errorTotal(), qint64(6)); // but every one is counted
        QCOMPARE(store->violationsFor(6).size(), std::size_t(1));
        QCOMPARE(store->violationsFor(1).size(), std::size_t(0));
        JSON_COMPARE(call("GET", "/eventlens/v1/health").json()["violations"], Json(6));
    }

    void contractViolationsInApi()
    {
        call("POST", "/batch/",
            R"({"api_key":"k","batch":[{"event":"run_created","distinct_id":"d","properties":{"run_id":"r1","runtime_type":"both"}},)"
            R"({"event":"run_finished","distinct_id":"d","properties":{"run_id":"r1","runtime_type":"amr_cloud"}}]})");
        const Json events = call("GET", "/eventlens/v1/events").json()["events"];
        QCOMPARE(events.size(), std::size_t(2));
        bool globalOnFirst = false;
        for (const Json& v : events[0]["violations"])
            globalOnFirst |= v["kind"] == "global" && v["path"] == "/properties/runtime_type";
        QVERIFY2(globalOnFirst, events[0].dump().c_str());
        bool pinned = false;
        for (const Json& v : events[1]["violations"])
            pinned |= v["kind"] == "sequence.pinned_mismatch" && v["path"] == "/properties/runtime_type";
        QVERIFY2(pinned, events[1].dump().c_str());
        const Json runs = call("GET", "/eventlens/v1/runs").json()["runs"];
        QCOMPARE(runs.size(), std::size_t(1));
        JSON_COMPARE(runs[0]["state"], Json("finished"));
        QVERIFY(call("GET", "/eventlens/v1/violations").json()["violations"].size() >= 2);
    }

    // Issue 16: GET /eventlens/v1/coverage counts, per event name, who carries each property and with which values.
    void coverageInApi()
    {
        QCOMPARE(
            call("POST", "/batch/",
                R"({"api_key":"k","batch":[{"event":"run_created","distinct_id":"d","properties":{"run_id":"r1","runtime_type":"byok"}},)"
                R"({"event":"run_created","distinct_id":"d","properties":{"run_id":"r2","runtime_type":"both"}},)"
                R"({"event":"run_created","distinct_id":"d","properties":{"run_id":"r3"}}]})")
                .status,
            200);
        const Reply all = call("GET", "/eventlens/v1/coverage");
        QCOMPARE(all.status, 200);
        const Json j = all.json();
        QCOMPARE(j["events"].get<int>(), 3);
        const Json& created = j["coverage"][0];
        JSON_COMPARE(created["event"], Json("run_created"));
        JSON_COMPARE(created["count"], Json(3));
        const Json& rt = created["properties"][0];
        JSON_COMPARE(rt["name"], Json("runtime_type"));
        JSON_COMPARE(rt["present"], Json(2));
        JSON_COMPARE(rt["missing"], Json(1));
        JSON_COMPARE(rt["invalid"], Json(1)); // "both" is not in the plan's enum
        JSON_COMPARE(rt["values"], (Json {{"byok", 1}, {"both", 1}}));
        // tests/data/ingest/contract.json does not require it: not flagged (only a required property is).
        JSON_COMPARE(rt["required"], Json(false));
        JSON_COMPARE(rt["flagged"], Json(false));
        // Without a range the answer is the session's live count (each request counted as it was committed); with
        // one, the events are counted on request: both ways give the same for the same events.
        JSON_COMPARE(call("GET", "/eventlens/v1/coverage?since=0").json(), j);
        // A range: only the first event (seqs are 1, 2, 3).
        const Json first = call("GET", "/eventlens/v1/coverage?since=0&until=1").json();
        JSON_COMPARE(first["events"], Json(1));
        JSON_COMPARE(first["coverage"][0]["properties"][0]["values"], (Json {{"byok", 1}}));
        QCOMPARE(call("POST", "/eventlens/v1/coverage").status, 405);
    }

    // CI scoping: tests sharing one sink read only their own events by distinct_id= or session_id=.
    void scopedByDistinctIdAndSession()
    {
        QCOMPARE(
            call("POST", "/batch/",
                R"({"api_key":"k","batch":[)"
                R"({"event":"run_created","distinct_id":"a","properties":{"run_id":"ra","runtime_type":"byok","$session_id":"s1"}},)"
                R"({"event":"run_created","distinct_id":"b","properties":{"run_id":"rb","runtime_type":"both","$session_id":"s2"}},)"
                R"({"event":"run_finished","distinct_id":"a","properties":{"run_id":"ra","runtime_type":"byok","$session_id":"s1"}},)"
                R"({"event":"page_view","distinct_id":"b","properties":{"$session_id":"s1"}}]})")
                .status,
            200);
        const Json a = call("GET", "/eventlens/v1/events?distinct_id=a").json();
        QCOMPARE(a["events"].size(), std::size_t(2));
        for (const Json& e : a["events"])
            JSON_COMPARE(e["distinct_id"], Json("a"));
        QCOMPARE(call("GET", "/eventlens/v1/events?session_id=s1").json()["events"].size(), std::size_t(3));
        QCOMPARE(
            call("GET", "/eventlens/v1/events?distinct_id=b&session_id=s1").json()["events"].size(), std::size_t(1));
        QCOMPARE(call("GET", "/eventlens/v1/events?distinct_id=nobody").json()["events"].size(), std::size_t(0));

        const Json cov = call("GET", "/eventlens/v1/coverage?distinct_id=b").json();
        JSON_COMPARE(cov["events"], Json(2));
        const Json check = call("GET", "/eventlens/v1/check?distinct_id=a").json();
        JSON_COMPARE(check["events"], Json(2));
        const Json checkB = call("GET", "/eventlens/v1/check?distinct_id=b").json();
        JSON_COMPARE(checkB["events"], Json(2));
        QVERIFY(checkB["violations"].size() > check["violations"].size()); // b's "both" and its unfinished run

        const Json runsA = call("GET", "/eventlens/v1/runs?distinct_id=a").json();
        QCOMPARE(runsA["runs"].size(), std::size_t(1));
        JSON_COMPARE(runsA["runs"][0]["key"], Json("ra"));
        QCOMPARE(call("GET", "/eventlens/v1/runs").json()["runs"].size(), std::size_t(2));
        QCOMPARE(call("GET", "/eventlens/v1/runs?session_id=s2").json()["runs"].size(), std::size_t(1));
    }

    // Requests are decoded on worker threads but committed in arrival order: over several pipelining
    // connections, every event is kept, seqs follow request ids, and a batch's events stay together, in order.
    void concurrentRequestsKeepArrivalOrder()
    {
        constexpr int kConnections = 4;
        constexpr int kPerConnection = 30;
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int c = 0; c < kConnections; ++c)
            clients.push_back(std::make_unique<RawClient>(m_sink.port()));
        int expectedEvents = 0;
        for (int i = 0; i < kPerConnection; ++i) {
            for (int c = 0; c < kConnections; ++c) {
                const int n = 1 + (i * 7 + c) % 40; // 1..40 events, so workers finish out of order
                Json batch = Json::array();
                for (int k = 0; k < n; ++k)
                    batch.push_back({{"event", "ordered"}, {"distinct_id", "c" + std::to_string(c)},
                        {"properties", {{"conn", c}, {"req", i}, {"k", k}, {"runtime_type", "none"}}}});
                expectedEvents += n;
                clients[static_cast<std::size_t>(c)]->send(
                    request("POST", "/batch/", gzip(Json {{"api_key", "k"}, {"batch", batch}}.dump()),
                        {"Content-Type: application/json", "Content-Encoding: gzip"}));
            }
        }
        for (auto& client : clients) {
            for (int i = 0; i < kPerConnection; ++i) {
                Reply r;
                QVERIFY(client->read(r, 20000));
                QCOMPARE(r.status, 200);
            }
        }
        QCOMPARE(m_sink.capture()->ingestsInFlight(), 0);
        const auto& events = m_sink.capture()->store()->events();
        QCOMPARE(static_cast<int>(events.size()), expectedEvents);
        std::map<int, int> lastReqOfConnection;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event& e = *events[i];
            QCOMPARE(e.seq, qint64(i) + 1);
            const Json p = e.properties();
            if (i > 0) {
                const Event& prev = *events[i - 1];
                QVERIFY(prev.requestId <= e.requestId); // seqs follow request ids
                if (prev.requestId == e.requestId)
                    QCOMPARE(p["k"].get<int>(), prev.properties()["k"].get<int>() + 1); // a batch in order
                else
                    QCOMPARE(p["k"].get<int>(), 0); // and together
            }
            // Each connection's requests in the order it sent them.
            const int conn = p["conn"].get<int>();
            const int req = p["req"].get<int>();
            auto it = lastReqOfConnection.find(conn);
            QVERIFY(it == lastReqOfConnection.end() || it->second <= req);
            lastReqOfConnection[conn] = req;
        }
    }

    // Requests refused at once (404, bad method) while batches are still on a worker take their place in
    // arrival order: no good batch may get anything but 200 (it was 503 when the journal saw the refused
    // request's id first), and no event is kept twice.
    void refusalsDuringDecodingKeepOrder()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        std::string error;
        QVERIFY2(m_sink.capture()->openSessionFile(dir.filePath(QStringLiteral("s.elsession")), error), error.c_str());
        constexpr int kGood = 4;
        constexpr int kBad = 4;
        constexpr int kRounds = 20;
        constexpr int kEvents = 100;
        std::vector<std::unique_ptr<RawClient>> good;
        std::vector<std::unique_ptr<RawClient>> bad;
        for (int c = 0; c < kGood; ++c)
            good.push_back(std::make_unique<RawClient>(m_sink.port()));
        for (int c = 0; c < kBad; ++c)
            bad.push_back(std::make_unique<RawClient>(m_sink.port()));
        for (int i = 0; i < kRounds; ++i) {
            for (int c = 0; c < kGood; ++c) {
                Json batch = Json::array();
                for (int k = 0; k < kEvents; ++k)
                    batch.push_back({{"event", "kept"}, {"distinct_id", "c" + std::to_string(c)},
                        {"properties", {{"conn", c}, {"req", i}, {"k", k}, {"runtime_type", "none"}}}});
                good[static_cast<std::size_t>(c)]->send(
                    request("POST", "/batch/", gzip(Json {{"api_key", "k"}, {"batch", batch}}.dump()),
                        {"Content-Type: application/json", "Content-Encoding: gzip"}));
            }
            for (int c = 0; c < kBad; ++c) {
                // A path posthog-js asks for while it sends (404, not served: not listed), an unknown path
                // (404), a wrong method (405) and a bad body (400); the last three are listed.
                bad[static_cast<std::size_t>(c)]->send(request("GET", "/array/k/config.js", {}));
                bad[static_cast<std::size_t>(c)]->send(request("GET", "/nope/" + std::to_string(c), {}));
                bad[static_cast<std::size_t>(c)]->send(request("PUT", "/batch/", "{}"));
                bad[static_cast<std::size_t>(c)]->send(request("POST", "/batch/", "{not json"));
            }
        }
        for (auto& client : good) {
            for (int i = 0; i < kRounds; ++i) {
                Reply r;
                QVERIFY(client->read(r, 30000));
                QVERIFY2(r.status == 200, (std::to_string(r.status) + ' ' + r.body).c_str());
            }
        }
        for (auto& client : bad) {
            for (int i = 0; i < kRounds; ++i) {
                for (int expected : {404, 404, 405, 400}) {
                    Reply r;
                    QVERIFY(client->read(r, 30000));
                    QCOMPARE(r.status, expected);
                }
            }
        }
        m_sink.capture()->drainIngests();
        const auto& events = m_sink.capture()->store()->events();
        QCOMPARE(static_cast<int>(events.size()), kGood * kRounds * kEvents);
        std::set<std::tuple<int, int, int>> seen;
        for (const EventPtr& e : events) {
            const Json p = e->properties();
            QVERIFY2(seen.emplace(p["conn"].get<int>(), p["req"].get<int>(), p["k"].get<int>()).second,
                "an event was kept twice");
        }
        QCOMPARE(static_cast<int>(m_sink.capture()->store()->rejected().size()), kBad * kRounds * 3);
        // The session file has every request, in id order, and nothing refused by the journal.
        SessionData data;
        QVERIFY2(m_sink.capture()->readSessionFile(data, error), error.c_str());
        QCOMPARE(static_cast<int>(data.events.size()), kGood * kRounds * kEvents);
        QCOMPARE(static_cast<int>(data.requests.size()), (kGood + kBad * 3) * kRounds); // "not served" is not kept
        for (std::size_t i = 1; i < data.requests.size(); ++i)
            QVERIFY(data.requests[i - 1].id < data.requests[i].id);
        m_sink.capture()->closeSessionFile();
    }

    // File > New Capture / Open Capture: the file left behind is flushed and marked clean, as on exit,
    // and requests still on a worker land in the session they arrived in.
    void switchingSessionFilesClosesTheOldOneCleanly()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString first = dir.filePath(QStringLiteral("first.elsession"));
        const QString second = dir.filePath(QStringLiteral("second.elsession"));
        std::string error;
        QVERIFY2(m_sink.capture()->openSessionFile(first, error), error.c_str());
        HttpRequest r;
        r.method = "POST";
        r.path = "/batch/";
        r.body = R"({"api_key":"k","batch":[{"event":"in_first","distinct_id":"d"}]})";
        for (int i = 0; i < 5; ++i)
            m_sink.capture()->ingestAsync(r, Endpoint::Batch, [](const IngestOutcome&, bool) {});
        QVERIFY2(m_sink.capture()->openSessionFile(second, error), error.c_str());
        QVERIFY(SessionJournal::wasClean(first));
        SessionData data;
        QVERIFY2(SessionJournal::load(first, data, error), error.c_str());
        QCOMPARE(data.events.size(), std::size_t(5));
        QVERIFY(m_sink.capture()->store()->events().empty()); // the new file is empty
        m_sink.capture()->closeSessionFile();
        QVERIFY(SessionJournal::wasClean(second));
    }

    // An exception while a request is decoded on a worker rejects that request with its reason; the
    // sink keeps running and commits the requests around it.
    void exceptionOnWorkerRejectsTheRequest()
    {
        m_sink.capture()->setWorkerHookForTesting([](const HttpRequest& r) {
            if (r.body.find("\"throw\"") != std::string::npos)
                throw std::runtime_error("decoder failure for the test");
        });
        const Reply before = call("POST", "/batch/", R"({"api_key":"k","batch":[{"event":"a","distinct_id":"d"}]})");
        const Reply thrown
            = call("POST", "/batch/", R"({"api_key":"k","batch":[{"event":"throw","distinct_id":"d"}]})");
        const Reply after = call("POST", "/batch/", R"({"api_key":"k","batch":[{"event":"b","distinct_id":"d"}]})");
        QCOMPARE(before.status, 200);
        QCOMPARE(thrown.status, 400);
        QVERIFY2(thrown.error().find("decoder failure for the test") != std::string::npos, thrown.body.c_str());
        QCOMPARE(after.status, 200);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(2));
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        QVERIFY(m_sink.capture()->store()->rejected().front().reason.find("internal error") != std::string::npos);
        m_sink.capture()->setWorkerHookForTesting({});
    }

    // A contract loaded while requests are still on a worker applies to them (they are judged again).
    void contractChangeWhileDecoding()
    {
        Capture capture;
        capture.setWorkerThreads(1);
        for (int i = 0; i < 20; ++i) {
            HttpRequest r;
            r.method = "POST";
            r.path = "/batch/";
            r.body = Json {{"api_key", "k"},
                {"batch",
                    {{{"event", "run_created"}, {"distinct_id", "d"},
                        {"properties", {{"run_id", "r" + std::to_string(i)}, {"runtime_type", "both"}}}}}}}
                         .dump();
            capture.ingestAsync(r, el::Endpoint::Batch, [](const el::IngestOutcome&, bool) {});
        }
        std::string error;
        QVERIFY2(capture.loadContract(EVENTLENS_TEST_DATA "/ingest/contract.json", error), error.c_str());
        capture.drainIngests();
        QCOMPARE(capture.store()->events().size(), std::size_t(20));
        QCOMPARE(capture.store()->errorTotal(), qint64(20)); // runtime_type "both" is not in the enum
        QCOMPARE(capture.runs().size(), std::size_t(20));
    }

    // A change applied in order (applyInOrder, what the API's reset and contract upload use) lands after the
    // requests that arrived before it and before those that arrive after it, although they are on workers.
    void changeTakesItsTicket()
    {
        auto batch = [](const std::string& name) {
            HttpRequest r;
            r.method = "POST";
            r.path = "/batch/";
            r.body = Json {{"api_key", "k"}, {"batch", {{{"event", name}, {"distinct_id", "d"}}}}}.dump();
            return r;
        };
        m_sink.capture()->setWorkerThreads(2);
        // Hold the workers so every request below is still in flight when the change takes its ticket.
        std::atomic<bool> hold {true};
        m_sink.capture()->setWorkerHookForTesting([&hold](const HttpRequest&) {
            while (hold.load())
                QThread::msleep(1);
        });
        for (int i = 0; i < 5; ++i)
            m_sink.capture()->ingestAsync(batch("before" + std::to_string(i)), el::Endpoint::Batch, {});
        std::vector<std::size_t> seenByChange;
        bool done = false;
        m_sink.capture()->applyInOrder(
            [&] { seenByChange.push_back(m_sink.capture()->store()->events().size()); }, [&] { done = true; });
        QVERIFY(!done); // five requests are ahead of it
        for (int i = 0; i < 5; ++i)
            m_sink.capture()->ingestAsync(batch("after" + std::to_string(i)), el::Endpoint::Batch, {});
        hold = false;
        m_sink.capture()->drainIngests();
        m_sink.capture()->setWorkerHookForTesting({});
        QVERIFY(done);
        QCOMPARE(seenByChange, std::vector<std::size_t> {5}); // applied after the five before, before the five after
        const auto& events = m_sink.capture()->store()->events();
        QCOMPARE(events.size(), std::size_t(10));
        for (std::size_t i = 0; i < 5; ++i) {
            QCOMPARE(events[i]->name(), "before" + std::to_string(i));
            QCOMPARE(events[i + 5]->name(), "after" + std::to_string(i));
        }
        // With nothing in flight it is applied at once.
        bool now = false;
        m_sink.capture()->applyInOrder([] {}, [&] { now = true; });
        QVERIFY(now);
    }

    // POST /eventlens/v1/reset while batches are on workers: the batches that arrived first are kept and then
    // cleared, the ones after stay; every client gets 200.
    void apiResetIsOrderedOverHttp()
    {
        m_sink.capture()->setWorkerThreads(2);
        std::atomic<bool> hold {true};
        m_sink.capture()->setWorkerHookForTesting([&hold](const HttpRequest& r) {
            if (r.path == "/batch/")
                while (hold.load())
                    QThread::msleep(1);
        });
        QNetworkAccessManager nam;
        std::vector<QNetworkReply*> replies;
        auto post = [&](const QString& path, const QByteArray& body) {
            QNetworkRequest req(QUrl(m_sink.server()->url() + path));
            req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
            replies.push_back(nam.post(req, body));
        };
        auto body = [](const std::string& name) {
            return QByteArray::fromStdString(
                Json {{"api_key", "k"}, {"batch", {{{"event", name}, {"distinct_id", "d"}}}}}.dump());
        };
        post(QStringLiteral("/batch/"), body("early"));
        QTRY_COMPARE(m_sink.capture()->ingestsInFlight(), 1);
        post(QStringLiteral("/eventlens/v1/reset"), QByteArray());
        QTRY_COMPARE(m_sink.capture()->ingestsInFlight(), 2);
        post(QStringLiteral("/batch/"), body("late"));
        QTRY_COMPARE(m_sink.capture()->ingestsInFlight(), 3);
        QTest::qWait(50);
        QVERIFY(!replies[1]->isFinished()); // the reset waits for the batch ahead of it
        hold = false;
        for (QNetworkReply* r : replies) {
            QTRY_VERIFY(r->isFinished());
            QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            r->deleteLater();
        }
        m_sink.capture()->setWorkerHookForTesting({});
        const auto& events = m_sink.capture()->store()->events();
        QCOMPARE(events.size(), std::size_t(1));
        QCOMPARE(events.front()->name(), std::string("late"));
    }
};

QTEST_GUILESS_MAIN(TestIngest)
#include "tst_ingest.moc"
