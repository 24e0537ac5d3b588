// SPDX-License-Identifier: MIT
// Fault injection (issue 17): FaultInjector's rules (validation, count, seeded ratio, path, first fault wins), and the
// sink carrying faults out over real loopback sockets: a status with Retry-After, a delay, a timeout (closed without
// an answer) and a reset (a TCP RST, seen by a plain POSIX socket), each faulted request listed as rejected.
#include "pipeline/capture.h"
#include "pipeline/faults.h"
#include "pipeline/ingestserver.h"

#include "jsoncompare.h"
#include "localsink.h"
#include "rawhttp.h"

#include <QElapsedTimer>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <thread>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace el;
using namespace eltest;

namespace {

/** How a plain socket saw the end of an exchange: the bytes it read, and how the connection ended. */
struct RawEnd
{
    std::string received;
    bool reset = false; ///< ECONNRESET
    bool closed = false; ///< orderly close (FIN)
};

/** Sends \a bytes on a new blocking socket and reads until the peer closes or resets (at most \a timeoutMs). */
RawEnd sendAndWatch(quint16 port, const std::string& bytes, int timeoutMs)
{
    RawEnd end;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return end;
    }
    timeval tv {timeoutMs / 1000, (timeoutMs % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    [[maybe_unused]] const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (;;) {
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            end.received.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0)
            end.closed = true;
        else
            end.reset = errno == ECONNRESET;
        break;
    }
    ::close(fd);
    return end;
}

} // namespace

class TestFaults : public QObject
{
    Q_OBJECT

    SinkFixture m_sink;

    Reply call(const std::string& method, const std::string& target, const std::string& body = {},
        const std::vector<std::string>& headers = {})
    {
        return callOnce(m_sink.port(), method, target, body, headers);
    }
    /** The sink runs on this thread: a blocking POSIX exchange runs on another while this one serves it. */
    RawEnd watch(const std::string& bytes, int timeoutMs)
    {
        RawEnd end;
        std::atomic<bool> done {false};
        std::thread t([&] {
            end = sendAndWatch(m_sink.port(), bytes, timeoutMs);
            done = true;
        });
        QElapsedTimer clock;
        clock.start();
        while (!done.load() && clock.elapsed() < timeoutMs + 5000)
            QTest::qWait(5);
        t.join(); // the socket's receive timeout ends it in any case
        return end;
    }
    static std::string batch(const std::string& uuid)
    {
        const Json event = {{"event", "run_created"}, {"distinct_id", "d"}, {"uuid", uuid},
            {"properties", {{"run_id", "r1"}, {"runtime_type", "byok"}}}};
        return Json {{"api_key", "k"}, {"batch", Json::array({event})}}.dump();
    }

private Q_SLOTS:
    void init() { m_sink.start(); }
    void cleanup() { m_sink.stop(); }

    void rules()
    {
        FaultInjector f;
        std::string error;
        for (const char* bad : {R"({"mode":"status"})", R"({"mode":"status","status":302})",
                 R"({"mode":"status","status":503,"ms":5})", R"({"mode":"delay"})", R"({"mode":"flaky"})",
                 R"({"mode":"reset","ratio":1.5})", R"({"mode":"reset","count":0})", R"({"mode":"reset","cuont":2})",
                 R"({"mode":"reset","path":"batch"})", R"([1])"}) {
            error.clear();
            QVERIFY2(!f.add(Json::parse(bad), error), bad);
            QVERIFY2(!error.empty(), bad);
        }
        QVERIFY(f.empty());

        // count, path (trailing slash ignored), first fault wins, inactive faults stay listed.
        QVERIFY2(
            f.add(Json::parse(R"({"mode":"status","status":503,"count":2,"path":"/batch/"})"), error), error.c_str());
        QVERIFY(f.add(Json::parse(R"({"mode":"status","status":429,"count":1})"), error));
        QCOMPARE(f.hit("/e/")->status, 429); // the /batch/ fault does not match /e/
        QVERIFY(!f.hit("/e/")); // used up
        QCOMPARE(f.hit("/batch")->status, 503);
        QCOMPARE(f.hit("/batch/")->status, 503);
        QVERIFY(!f.hit("/batch/"));
        const Json listed = f.toJson();
        QCOMPARE(listed["faults"].size(), std::size_t(2));
        JSON_COMPARE(listed["faults"][0]["hits"], Json(2));
        JSON_COMPARE(listed["faults"][0]["active"], Json(false));
        JSON_COMPARE(listed["faults"][0]["seen"], Json(2));

        // A ratio is seeded: the same requests are hit every time, and about that share of them.
        const auto pattern = [](std::uint64_t seed) {
            FaultInjector g;
            std::string e;
            g.add(Json {{"mode", "reset"}, {"ratio", 0.2}, {"seed", seed}}, e);
            std::string hits;
            for (int i = 0; i < 1000; ++i)
                hits += g.hit("/e/") ? '1' : '0';
            return hits;
        };
        const std::string p1 = pattern(7);
        QCOMPARE(pattern(7), p1);
        QVERIFY(pattern(8) != p1);
        const auto share = std::count(p1.begin(), p1.end(), '1');
        QVERIFY2(share > 150 && share < 250, std::to_string(share).c_str());
    }

    void statusThenSuccess()
    {
        // Three 503s with Retry-After, then the client's retry goes through: the event is kept once.
        Reply r = call("POST", "/eventlens/v1/faults",
            R"({"mode":"status","status":503,"retry_after":2,"count":3,"path":"/batch/"})");
        QCOMPARE(r.status, 201);
        JSON_COMPARE(r.json()["fault"]["id"], Json(1));
        for (int attempt = 0; attempt < 3; ++attempt) {
            r = call("POST", "/batch/", batch("0190d9a6-0000-7000-8000-000000000001"));
            QCOMPARE(r.status, 503);
            QVERIFY(r.head.find("Retry-After: 2") != std::string::npos);
            QVERIFY(r.error().find("fault injected: status 503") != std::string::npos);
        }
        r = call("POST", "/batch/", batch("0190d9a6-0000-7000-8000-000000000001"));
        QCOMPARE(r.status, 200);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(3));
        const RejectedRequest& first = m_sink.capture()->store()->rejected().front();
        QCOMPARE(first.status, 503);
        QCOMPARE(first.reason, std::string("fault injected: status 503 with Retry-After 2 (fault 1, hit 1 of 3)"));
        QVERIFY(first.firstBytes.find("0190d9a6") != std::string::npos); // kept with its body

        const Json listed = call("GET", "/eventlens/v1/faults").json();
        JSON_COMPARE(listed["faults"][0]["hits"], Json(3));
        JSON_COMPARE(listed["faults"][0]["active"], Json(false));
        JSON_COMPARE(call("DELETE", "/eventlens/v1/faults").json(), (Json {{"cleared", 1}}));
        JSON_COMPARE(call("GET", "/eventlens/v1/faults").json(), (Json {{"faults", Json::array()}}));
    }

    void delayTimeoutReset()
    {
        QCOMPARE(call("POST", "/eventlens/v1/faults", R"({"mode":"delay","ms":300,"count":1})").status, 201);
        QElapsedTimer clock;
        clock.start();
        Reply r = call("POST", "/e/", R"({"event":"e","distinct_id":"d","api_key":"k"})");
        QCOMPARE(r.status, 200); // then handled as usual
        QVERIFY(clock.elapsed() >= 290);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(0));

        QCOMPARE(call("POST", "/eventlens/v1/faults", R"({"mode":"timeout","ms":400,"count":1})").status, 201);
        clock.restart();
        RawEnd end = watch(request("POST", "/e/", R"({"event":"e2","distinct_id":"d","api_key":"k"})"), 5000);
        QVERIFY(end.received.empty()); // no answer
        QVERIFY(end.closed || end.reset);
        QVERIFY(clock.elapsed() >= 390);
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().back().status, 0);
        QVERIFY(
            m_sink.capture()->store()->rejected().back().reason.rfind("fault injected: timeout (held 400 ms", 0) == 0);

        QCOMPARE(call("POST", "/eventlens/v1/faults", R"({"mode":"reset","count":1,"path":"/e"})").status, 201);
        end = watch(request("POST", "/e/", R"({"event":"e3","distinct_id":"d","api_key":"k"})"), 5000);
        QVERIFY(end.received.empty());
        QVERIFY2(end.reset, "expected a TCP reset");
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(2));
        QVERIFY(m_sink.capture()->store()->rejected().back().reason.rfind("fault injected: reset", 0) == 0);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(1)); // e2 and e3 were not captured

        // Used up: the next request is answered as usual.
        QCOMPARE(call("POST", "/e/", R"({"event":"e4","distinct_id":"d","api_key":"k"})").status, 200);
    }

    void apiRefusals()
    {
        QCOMPARE(call("POST", "/eventlens/v1/faults", R"({"mode":"status","status":200})").status, 400);
        QCOMPARE(call("POST", "/eventlens/v1/faults", "not json").status, 400);
        QCOMPARE(
            call("POST", "/eventlens/v1/faults", R"({"mode":"reset"})", {"Origin: http://evil.example"}).status, 403);
        QCOMPARE(call("DELETE", "/eventlens/v1/faults", {}, {"Sec-Fetch-Site: cross-site"}).status, 403);
        QCOMPARE(call("PUT", "/eventlens/v1/faults").status, 405);
        QCOMPARE(call("DELETE", "/eventlens/v1/faults/9").status, 404);
        QCOMPARE(call("POST", "/eventlens/v1/faults", R"({"mode":"reset"})").status, 201);
        QCOMPARE(call("DELETE", "/eventlens/v1/faults/1").status, 200);
        // The API itself is never faulted.
        QCOMPARE(call("POST", "/eventlens/v1/faults", R"({"mode":"status","status":500})").status, 201);
        QCOMPARE(call("GET", "/eventlens/v1/health").status, 200);
        QCOMPARE(call("POST", "/batch/", batch("0190d9a6-0000-7000-8000-000000000002")).status, 500);
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
