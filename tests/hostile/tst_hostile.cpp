// SPDX-License-Identifier: MIT
// Hostile input over real loopback sockets (issue 9): the server survives every case, answers each
// request with a JSON error, lists it among the rejected requests with that reason, and keeps every
// good event sent before, after and in between (on the same and on other connections).
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "localsink.h"
#include "rawhttp.h"

#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"

#include <QTemporaryDir>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

using namespace el;
using namespace eltest;

namespace {

std::string nested(int depth, const std::string& open, const std::string& close, const std::string& inner = "1")
{
    std::string s;
    s.reserve(static_cast<size_t>(depth) * (open.size() + close.size()) + inner.size());
    for (int i = 0; i < depth; ++i)
        s += open;
    s += inner;
    for (int i = 0; i < depth; ++i)
        s += close;
    return s;
}

/** What the reason looks like after the JSON dump of the response (invalid UTF-8 replaced). */
std::string asDumped(const std::string& s)
{
    return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

QByteArray bytes(const std::string& s)
{
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

const char kTlsClientHello[] = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x5b\x0c\x1d\xa2\x00\x00\x00\x00\x00"
                               "\x00\x00\x00\x00\x20\xc0\x2b\xc0\x2f\x00\x9e\xcc\xa9\xcc\xa8\x01\x00\x00\x58\x00"
                               "\x00\x00\x0e\x00\x0c\x00\x00\x09\x6c\x6f\x63\x61\x6c\x68\x6f\x73\x74";

/**
 * A client on a plain blocking socket in its own thread (the server runs in the test's event loop):
 * like Node's fetch, it writes the whole request before reading anything, then reads until EOF.
 * With `trickleMs` it instead writes the request and then keeps writing `trickle` every trickleMs until
 * the server stops taking bytes or `stop` is set (a never-ending sender).
 */
class EagerClient
{
public:
    std::string received; ///< everything read before EOF or an error
    int sendErrno = 0; ///< errno of the write that failed (ECONNRESET, EPIPE), 0 if all was written
    int recvErrno = 0; ///< errno of the read that failed (ECONNRESET), 0 if the read ended at EOF
    bool eof = false;
    std::atomic<bool> stop {false};

    EagerClient(quint16 port, std::string request, std::string trickle = {}, int trickleMs = 0)
        : m_port(port)
        , m_request(std::move(request))
        , m_trickle(std::move(trickle))
        , m_trickleMs(trickleMs)
    {
        m_thread = std::thread([this] {
            run();
            m_done = true;
        });
    }
    ~EagerClient()
    {
        stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    /** Runs the event loop until the client is done; false on timeout. */
    bool wait(int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (!m_done && t.elapsed() < timeoutMs)
            QTest::qWait(10);
        if (!m_done)
            return false;
        m_thread.join();
        return true;
    }
    /** A complete response (head and Content-Length body) was read. */
    bool completeResponse(int status) const
    {
        const std::string start = "HTTP/1.1 " + std::to_string(status) + ' ';
        const size_t end = received.find("\r\n\r\n");
        if (received.rfind(start, 0) != 0 || end == std::string::npos)
            return false;
        const size_t cl = received.find("Content-Length: ");
        if (cl == std::string::npos || cl > end)
            return false;
        return received.size() >= end + 4 + std::stoul(received.substr(cl + 16));
    }
    std::string describe() const
    {
        return "sendErrno=" + std::string(sendErrno ? std::strerror(sendErrno) : "0")
            + " recvErrno=" + std::string(recvErrno ? std::strerror(recvErrno) : "0") + " eof=" + (eof ? "1" : "0")
            + " received=" + received.substr(0, 200);
    }

private:
    bool sendAll(int fd, const std::string& bytes)
    {
        size_t off = 0;
        while (off < bytes.size()) {
            const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                sendErrno = errno;
                return false;
            }
            off += static_cast<size_t>(n);
        }
        return true;
    }
    void run()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return;
        timeval tv {20, 0}; // never hang the test
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        sockaddr_in addr {};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(m_port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
            sendErrno = errno;
            ::close(fd);
            return;
        }
        if (sendAll(fd, m_request) && m_trickleMs > 0) {
            while (!stop && sendAll(fd, m_trickle))
                std::this_thread::sleep_for(std::chrono::milliseconds(m_trickleMs));
        }
        char buf[65536];
        for (;;) {
            const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
            if (n > 0) {
                received.append(buf, static_cast<size_t>(n));
            } else if (n == 0) {
                eof = true;
                break;
            } else if (errno != EINTR) {
                recvErrno = errno;
                break;
            }
        }
        ::close(fd);
    }

    quint16 m_port;
    std::string m_request;
    std::string m_trickle;
    int m_trickleMs;
    std::atomic<bool> m_done {false};
    std::thread m_thread;
};

} // namespace

class TestHostile : public QObject
{
    Q_OBJECT
    SinkFixture m_sink;
    std::string m_token; ///< what verifyListed() presents when a test set a token

    Reply call(const std::string& raw, int timeoutMs = 10000)
    {
        RawClient c(m_sink.port());
        c.send(raw);
        Reply r;
        if (!c.read(r, timeoutMs))
            qWarning("no reply");
        return r;
    }

    bool hasEvent(const std::string& name) const
    {
        for (const EventPtr& e : m_sink.capture()->store()->events())
            if (e->name() == name)
                return true;
        return false;
    }

    /** The reply is a JSON error, the request is listed once with the same status and reason. */
    void verifyListed(const Reply& r, std::size_t index = 0)
    {
        QVERIFY2(r.json().is_object(), r.body.c_str());
        QVERIFY2(!r.error().empty(), r.body.c_str());
        QVERIFY(m_sink.capture()->store()->rejected().size() > index);
        const RejectedRequest& rej = m_sink.capture()->store()->rejected()[index];
        QCOMPARE(rej.status, r.status);
        QVERIFY2(asDumped(rej.reason) == asDumped(r.error()), (rej.reason + " vs " + r.error()).c_str());
        // The API lists it too, as valid JSON.
        const Reply api = call(request("GET", "/eventlens/v1/rejected", {}, {"X-EventLens-Token: " + m_token}));
        QCOMPARE(api.status, 200);
        const Json list = api.json();
        QVERIFY2(list.is_object() && list["rejected"].size() > index, api.body.substr(0, 300).c_str());
        QCOMPARE(list["rejected"][index]["status"].get<int>(), r.status);
    }

    void setHttp(const std::function<void(HttpLimits&)>& change)
    {
        HttpLimits l = m_sink.server()->http()->limits();
        change(l);
        m_sink.server()->http()->setLimits(l);
    }
    void setDecode(const std::function<void(DecodeLimits&)>& change)
    {
        DecodeLimits l = m_sink.capture()->decodeLimits();
        change(l);
        m_sink.capture()->setDecodeLimits(l);
    }

private Q_SLOTS:
    void init()
    {
        m_token.clear();
        m_sink.start(EVENTLENS_TEST_DATA "/ingest/contract.json");
    }
    void cleanup() { m_sink.stop(); }

    // ---------------------------------------------------------------------------------------------
    // The table: one hostile request between good events on the same and another connection.
    void hostile_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status"); ///< expected; 0 = 200 or any 4xx is fine (then listed)
        QTest::addColumn<bool>("closes"); ///< a framing error: the connection closes after the answer

        const std::string good = R"({"api_key":"k","batch":[{"event":"hostile_ok","distinct_id":"d"}]})";
        const std::string gz = gzip(good);
        auto post = [](const std::string& target, const std::string& body, const std::vector<std::string>& h = {}) {
            return bytes(request("POST", target, body, h));
        };
        QTest::addRow("malformed json") << post("/e/", R"({"event": "x", )") << 400 << false;
        QTest::addRow("json trailing junk") << post("/e/", R"({"event":"x","distinct_id":"d"} xyz)") << 400 << false;
        QTest::addRow("truncated gzip") << post("/batch/", gz.substr(0, gz.size() / 2)) << 400 << false;
        QTest::addRow("corrupt gzip") << post("/batch/", std::string("\x1f\x8b\x08\x00\xde\xad\xbe\xef garbage", 17))
                                      << 400 << false;
        QTest::addRow("gzip of junk") << post("/batch/", gzip("\x01\x02 not json")) << 400 << false;
        QTest::addRow("gzip hinted but plain") << post("/e/?compression=gzip-js", good) << 400 << false;
        QTest::addRow("invalid base64 form")
            << post("/e/", "data=%21%21%21notbase64%21%21", {"Content-Type: application/x-www-form-urlencoded"}) << 400
            << false;
        QTest::addRow("invalid base64 hinted") << post("/e/?compression=base64", "@@@@") << 400 << false;
        QTest::addRow("invalid utf-8 in json")
            << post("/e/", "{\"event\":\"\xff\xfe\xc3\x28\",\"properties\":{\"distinct_id\":\"d\"}}") << 400 << false;
        QTest::addRow("invalid utf-8 key")
            << post("/e/", "{\"event\":\"x\",\"\xc0\xaf\":1,\"properties\":{\"distinct_id\":\"d\"}}") << 400 << false;
        QTest::addRow("nul bytes") << post(
            "/e/", std::string("{\"event\":\"a\0b\",\"properties\":{\"distinct_id\":\"d\"}}", 45))
                                   << 400 << false;
        QTest::addRow("only nul bytes") << post("/e/", std::string(64, '\0')) << 400 << false;
        QTest::addRow("100k deep arrays") << post("/e/", nested(100000, "[", "]")) << 400 << false;
        QTest::addRow("100k deep objects") << post("/e/", nested(100000, "{\"a\":", "}")) << 400 << false;
        QTest::addRow("100k unclosed") << post("/e/", std::string(100000, '[')) << 400 << false;
        QTest::addRow("huge string") << post(
            "/e/", "{\"event\":\"" + std::string(5 * 1024 * 1024, 'x') + "\",\"properties\":{\"distinct_id\":\"d\"}}")
                                     << 0 << false;
        QTest::addRow("huge number") << post("/e/", R"({"event":"n","properties":{"distinct_id":"d","v":1e999999}})")
                                     << 0 << false;
        QTest::addRow("huge integer") << post(
            "/e/", "{\"event\":\"n\",\"properties\":{\"distinct_id\":\"d\",\"v\":" + std::string(5000, '9') + "}}")
                                      << 0 << false;
        QTest::addRow("negative zero and exponents")
            << post("/e/", R"({"event":"n","properties":{"distinct_id":"d","a":-0,"b":1E-400,"c":-1e308}})") << 0
            << false;
        QTest::addRow("wrong content type")
            << post("/e/", R"({"event":"ct","properties":{"distinct_id":"d"}})", {"Content-Type: image/png"}) << 0
            << false;
        QTest::addRow("multipart") << post(
            "/e/", "--b\r\n\r\nx\r\n--b--", {"Content-Type: multipart/form-data; boundary=b"})
                                   << 415 << false;
        QTest::addRow("unsupported encoding") << post("/e/", good, {"Content-Encoding: br"}) << 415 << false;
        QTest::addRow("duplicate keys") << post(
            "/e/", R"({"event":"a","event":"dup","properties":{"distinct_id":"d"},"properties":{"distinct_id":"e"}})")
                                        << 0 << false;
        // Fuzz finding (decode): sent_at near INT64_MAX minus an offset overflowed (UB) computing the timestamp.
        QTest::addRow("sent_at offset overflow") << post("/batch/",
            R"({"api_key":"k","batch":[{"event":"e","distinct_id":"d","sent_at":9223372036854775807,"offset":-100000000000000}]})")
                                                 << 200 << false;
        QTest::addRow("batch sent_at offset underflow") << post("/batch/",
            R"({"api_key":"k","sent_at":-9223372036854775807,"batch":[{"event":"e","distinct_id":"d","offset":100000000000000}]})")
                                                        << 200 << false;
        QTest::addRow("json scalar body") << post("/e/", "42") << 400 << false;
        QTest::addRow("empty batch array") << post("/batch/", R"({"api_key":"k","batch":[]})") << 0 << false;
        QTest::addRow("wrong method DELETE") << post("/e/", good).replace(0, 4, "DELETE") << 405 << false;
        QTest::addRow("wrong method PUT batch") << bytes(request("PUT", "/batch/", good)) << 405 << false;
        QTest::addRow("wrong method on api") << bytes(request("DELETE", "/eventlens/v1/events", {})) << 405 << false;
        QTest::addRow("weird method") << bytes(request("FOO", "/e/", {})) << 405 << false;
        QTest::addRow("percent ff path") << bytes(request("GET", "/%ff", {})) << 404 << false;
        QTest::addRow("percent junk path") << bytes(request("GET", "/%ff%fe%00%c3%28/%zz%/%", {})) << 404 << false;
        QTest::addRow("percent junk api path") << bytes(request("GET", "/eventlens/v1/%ff%fe", {})) << 404 << false;
        QTest::addRow("percent junk query")
            << bytes(request("GET", "/eventlens/v1/events?since=%ff&limit=%00&event=%c3%28", {})) << 0 << false;
        QTest::addRow("percent junk ingest path") << post("/e/%ff", good) << 404 << false;
        QTest::addRow("header without colon")
            << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nContent-Length: 0\r\n\r\n") << 400 << true;
        QTest::addRow("header name with space") << QByteArray("GET / HTTP/1.1\r\nHost : x\r\n\r\n") << 400 << true;
        QTest::addRow("nul in header value")
            << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 37) << 400 << true;
        {
            std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
            for (int i = 0; i < 5000; ++i)
                many += "X-H" + std::to_string(i) + ": v\r\n";
            QTest::addRow("huge header count") << bytes(many + "\r\n") << 431 << true;
        }
        QTest::addRow("huge header") << bytes("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a')
            + "\r\n\r\n") << 431 << true;
        QTest::addRow("absolute-form target")
            << QByteArray("GET http://evil.example/e/ HTTP/1.1\r\nHost: evil.example\r\n\r\n") << 400 << true;
        QTest::addRow("connect") << QByteArray("CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n")
                                 << 400 << true;
        QTest::addRow("asterisk-form") << QByteArray("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n") << 400 << true;
        QTest::addRow("http2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << 505 << true;
        QTest::addRow("http/0.9") << QByteArray("GET /\r\n\r\n") << 400 << true;
        QTest::addRow("http/3.0 version") << QByteArray("GET / HTTP/3.0\r\nHost: x\r\n\r\n") << 505 << true;
        QTest::addRow("tls client hello") << QByteArray(kTlsClientHello, sizeof(kTlsClientHello) - 1) << 400 << true;
        QTest::addRow("binary junk") << QByteArray("\x00\x01\x02\x03\xff\xfe\r\n\r\n", 10) << 400 << true;
        QTest::addRow("control char in target") << QByteArray("GET /e\x01/ HTTP/1.1\r\nHost: x\r\n\r\n") << 400 << true;
        QTest::addRow("negative content-length")
            << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n") << 400 << true;
        QTest::addRow("plus content-length")
            << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n{}") << 400 << true;
        QTest::addRow("conflicting content-length")
            << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x") << 400
            << true;
        QTest::addRow("huge content-length")
            << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n") << 400
            << true;
        QTest::addRow("content-length over limit")
            << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n") << 413 << true;
        QTest::addRow("cl and te (smuggling)") << QByteArray(
            "POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
            "0\r\n\r\n") << 400 << true;
        QTest::addRow("te gzip") << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n") << 501
                                 << true;
        QTest::addRow("chunk size overflow") << QByteArray(
            "POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nx\r\n")
                                             << 400 << true;
        QTest::addRow("chunk size 2^64-1") << QByteArray(
            "POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nxx\r\n")
                                           << 413 << true;
        QTest::addRow("chunk size junk") << QByteArray(
            "POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nx\r\n")
                                         << 400 << true;
        QTest::addRow("chunk without crlf")
            << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n") << 400
            << true;
        QTest::addRow("chunked with trailer")
            << QByteArray("POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "32\r\n{\"event\":\"trailer\",\"properties\":{\"distinct_id\":1}}\r\n0\r\nX-T: 1\r\n\r\n")
            << 200 << false;
    }

    void hostile()
    {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);
        QFETCH(bool, closes);
        RawClient a(m_sink.port());
        Reply r;
        a.send(goodEvent("before"));
        QVERIFY(a.read(r));
        QCOMPARE(r.status, 200);

        a.send(raw.toStdString());
        {
            // Another connection is served while the hostile request is in flight.
            RawClient b(m_sink.port());
            b.send(goodEvent("other"));
            Reply rb;
            QVERIFY(b.read(rb));
            QCOMPARE(rb.status, 200);
        }
        QVERIFY2(a.read(r, 20000), "the hostile request was not answered");
        if (status)
            QCOMPARE(r.status, status);
        else
            QVERIFY2(r.status == 200 || (r.status >= 400 && r.status < 500), r.head.c_str());
        if (r.status >= 400) {
            verifyListed(r);
            if (QTest::currentTestFailed())
                return;
        } else {
            QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(0));
        }
        if (closes) {
            QVERIFY2(a.waitClosed(5000), "a framing error must close the connection");
        } else {
            a.send(goodEvent("after"));
            QVERIFY(a.read(r));
            QCOMPARE(r.status, 200);
            QVERIFY(hasEvent("after"));
        }
        QVERIFY(hasEvent("before"));
        QVERIFY(hasEvent("other"));
        // And the server still serves new connections.
        QCOMPARE(call(request("GET", "/eventlens/v1/health", {})).status, 200);
    }

    // ---------------------------------------------------------------------------------------------
    void pipelinedGoodBadGood()
    {
        RawClient c(m_sink.port());
        c.send(goodEvent("p1") + request("POST", "/e/", "{broken") + goodEvent("p3"));
        Reply r1, r2, r3;
        QVERIFY(c.read(r1));
        QVERIFY(c.read(r2));
        QVERIFY(c.read(r3));
        QCOMPARE(r1.status, 200);
        QCOMPARE(r2.status, 400);
        QCOMPARE(r3.status, 200);
        QVERIFY(hasEvent("p1") && hasEvent("p3"));
        verifyListed(r2);
    }

    void pipelinedFramingErrorAnswersWhatCameBefore()
    {
        RawClient c(m_sink.port());
        c.send(goodEvent("f1") + "GARBAGE\r\n\r\n" + goodEvent("f3"));
        Reply r1, r2;
        QVERIFY(c.read(r1));
        QVERIFY(c.read(r2));
        QCOMPARE(r1.status, 200);
        QCOMPARE(r2.status, 400);
        QVERIFY(c.waitClosed(5000));
        QVERIFY(hasEvent("f1"));
        verifyListed(r2);
    }

    void partialRequestByteByByte()
    {
        RawClient c(m_sink.port());
        const std::string req = goodEvent("slow_but_ok");
        for (size_t i = 0; i < req.size(); i += 7) {
            c.send(req.substr(i, 7));
            QTest::qWait(1);
        }
        Reply r;
        QVERIFY(c.read(r));
        QCOMPARE(r.status, 200);
        QVERIFY(hasEvent("slow_but_ok"));
    }

    void manyConnectionsAtOnceWithGoodEvents()
    {
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < 50; ++i) {
            clients.push_back(std::make_unique<RawClient>(m_sink.port()));
            clients.back()->send(
                i % 2 ? goodEvent("many" + std::to_string(i)) : std::string("\x16\x03\x01junk\r\n\r\n"));
        }
        int ok = 0, bad = 0;
        for (auto& c : clients) {
            Reply r;
            QVERIFY(c->read(r));
            (r.status == 200 ? ok : bad)++;
        }
        QCOMPARE(ok, 25);
        QCOMPARE(bad, 25);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(25));
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(25));
    }

    // ---------------------------------------------------------------------------------------------
    // Each limit, configured low, answers with its status and is listed.
    void limitBodyBytes()
    {
        setHttp([](HttpLimits& l) { l.maxBodyBytes = 1000; });
        Reply r = call(request("POST", "/batch/", std::string(2000, 'x')));
        QCOMPARE(r.status, 413);
        verifyListed(r);
        // chunked too
        r = call("POST /e/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + std::string(1024, 'x')
            + "\r\n0\r\n\r\n");
        QCOMPARE(r.status, 413);
        QCOMPARE(call(goodEvent("small")).status, 200);
    }

    // An early answer (before the whole request was read) to a client that writes everything first
    // (Node's fetch): the server must not reset the connection while the client is still sending,
    // or the client sees ECONNRESET instead of the answer (lingering close, like nginx).
    void earlyAnswerIsReadableByEagerClient_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status");
        const std::string junk(8 * 1024 * 1024, 'x');
        QTest::addRow("413 content-length") << bytes(
            "POST /batch/ HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(junk.size()) + "\r\n\r\n" + junk)
                                            << 413;
        QTest::addRow("413 chunked") << bytes(
            "POST /batch/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800000\r\n" + junk + "\r\n0\r\n\r\n")
                                     << 413;
        QTest::addRow("431 headers") << bytes("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + junk + "\r\n\r\n") << 431;
        QTest::addRow("400 request line") << bytes("GARBAGE\r\n\r\n" + junk) << 400;
    }

    void earlyAnswerIsReadableByEagerClient()
    {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);
        setHttp([](HttpLimits& l) {
            l.maxBodyBytes = 1000;
            l.maxHeaderBytes = 1024;
        });
        EagerClient c(m_sink.port(), raw.toStdString());
        QVERIFY2(c.wait(30000), "the eager client did not finish");
        QVERIFY2(c.sendErrno == 0, c.describe().c_str());
        QVERIFY2(c.completeResponse(status), c.describe().c_str());
        QVERIFY2(c.recvErrno == 0 && c.eof, c.describe().c_str());
        QTRY_COMPARE(m_sink.server()->http()->connectionCount(), 0);
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().front().status, status);
        QCOMPARE(call(goodEvent("after_eager")).status, 200);
    }

    void busyAnswerIsReadableByEagerClient()
    {
        setHttp([](HttpLimits& l) { l.maxConnections = 1; });
        RawClient held(m_sink.port());
        QTRY_COMPARE(m_sink.server()->http()->connectionCount(), 1);
        EagerClient c(m_sink.port(), request("POST", "/batch/", std::string(8 * 1024 * 1024, 'x')));
        QVERIFY2(c.wait(30000), "the eager client did not finish");
        QVERIFY2(c.sendErrno == 0, c.describe().c_str());
        QVERIFY2(c.completeResponse(503), c.describe().c_str());
        QVERIFY2(c.recvErrno == 0 && c.eof, c.describe().c_str());
    }

    // The lingering close is bounded: by bytes ...
    void lingeringStopsAtTheByteLimit()
    {
        setHttp([](HttpLimits& l) {
            l.maxBodyBytes = 1000;
            l.lingerMaxBytes = 256 * 1024;
            l.lingerTimeoutMs = 60000;
        });
        // A never-ending fast sender: 64 KiB every ms after its oversized request.
        EagerClient c(
            m_sink.port(), request("POST", "/batch/", std::string(2000, 'x')), std::string(64 * 1024, 'y'), 1);
        QTRY_COMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().front().status, 413);
        QTRY_COMPARE_WITH_TIMEOUT(m_sink.server()->http()->connectionCount(), 0, 5000); // long before the 60 s
        QVERIFY2(c.wait(10000), "the sender was not cut off");
        QVERIFY2(c.sendErrno != 0, c.describe().c_str());
        QCOMPARE(call(goodEvent("after_bytes")).status, 200);
    }

    // ... and by time, and a lingering connection still counts against the connection limit.
    void lingeringStopsAtTheTimeLimitAndCounts()
    {
        setHttp([](HttpLimits& l) {
            l.maxBodyBytes = 1000;
            l.maxConnections = 1;
            l.lingerMaxBytes = qint64(1) << 40;
            l.lingerTimeoutMs = 1500;
        });
        QElapsedTimer t;
        t.start();
        // A never-ending slow sender: 1 KiB every 20 ms after its oversized request.
        EagerClient c(m_sink.port(), request("POST", "/batch/", std::string(2000, 'x')), std::string(1024, 'y'), 20);
        QTRY_COMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().front().status, 413);
        QCOMPARE(m_sink.server()->http()->connectionCount(), 1);
        {
            RawClient extra(m_sink.port());
            Reply r;
            QVERIFY(extra.read(r));
            QCOMPARE(r.status, 503);
        }
        QVERIFY2(c.wait(10000), "the never-ending sender was not cut off");
        QVERIFY2(t.elapsed() >= 1000 && t.elapsed() < 8000, std::to_string(t.elapsed()).c_str());
        QVERIFY2(c.sendErrno != 0, c.describe().c_str());
        QTRY_COMPARE(m_sink.server()->http()->connectionCount(), 0);
        QCOMPARE(call(goodEvent("after_time")).status, 200);
    }

    void limitDecompressedBytes()
    {
        setDecode([](DecodeLimits& l) { l.maxDecompressedBytes = 1024 * 1024; });
        const Reply r = call(request("POST", "/batch/", gzip(std::string(4 * 1024 * 1024, ' ') + "[]")));
        QCOMPARE(r.status, 413);
        verifyListed(r);
        QCOMPARE(call(goodEvent("small")).status, 200);
    }

    void gzipBombDefaultLimit()
    {
        // ~110 KiB on the wire, 110 MiB inflated: over the default 100 MiB cap.
        const std::string bomb = gzip(std::string(110u * 1024u * 1024u, '0'));
        QVERIFY(bomb.size() < 1024 * 1024);
        const Reply r = call(request("POST", "/e/", bomb), 60000);
        QCOMPARE(r.status, 413);
        verifyListed(r);
        // A nested bomb (gzip of base64 of gzip) is capped as well.
        setDecode([](DecodeLimits& l) { l.maxDecompressedBytes = 1024 * 1024; });
        const QByteArray inner = QByteArray::fromStdString(gzip(std::string(8u * 1024u * 1024u, 'A'))).toBase64();
        const Reply r2 = call(request("POST", "/e/", gzip(inner.toStdString())));
        QVERIFY2(r2.status == 413 || r2.status == 400, r2.body.c_str());
    }

    void limitDepth()
    {
        setDecode([](DecodeLimits& l) { l.maxDepth = 8; });
        const std::string deep = R"({"event":"d","properties":{"distinct_id":"d","x":)" + nested(10, "[", "]") + "}}";
        const Reply r = call(request("POST", "/e/", deep));
        QCOMPARE(r.status, 400);
        QVERIFY2(r.error().find("depth") != std::string::npos || r.error().find("nest") != std::string::npos,
            r.error().c_str());
        verifyListed(r);
        const std::string shallow = R"({"event":"d","properties":{"distinct_id":"d","x":[[1]]}})";
        QCOMPARE(call(request("POST", "/e/", shallow)).status, 200);
    }

    void limitEventsPerRequest()
    {
        setDecode([](DecodeLimits& l) { l.maxEventsPerRequest = 2; });
        const Reply r = call(request("POST", "/batch/",
            R"({"api_key":"k","batch":[{"event":"a","distinct_id":"d"},{"event":"b","distinct_id":"d"},{"event":"c","distinct_id":"d"}]})"));
        QCOMPARE(r.status, 413);
        verifyListed(r);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(0));
    }

    void limitHeaderBytesAndCount()
    {
        setHttp([](HttpLimits& l) {
            l.maxHeaderBytes = 1024;
            l.maxHeaderCount = 10;
        });
        Reply r = call("GET / HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(2000, 'a') + "\r\n\r\n");
        QCOMPARE(r.status, 431);
        verifyListed(r, 0);
        // Without an end of headers at all: answered as soon as the limit is passed.
        r = call("GET / HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(2000, 'a'));
        QCOMPARE(r.status, 431);
        std::string many = "GET / HTTP/1.1\r\n";
        for (int i = 0; i < 11; ++i)
            many += "X-" + std::to_string(i) + ": v\r\n";
        r = call(many + "\r\n");
        QCOMPARE(r.status, 431);
        verifyListed(r, 2);
        QCOMPARE(call(goodEvent("ok")).status, 200);
    }

    /**
     * Answers larger than the socket's buffer, pipelined, to a client that does not read for a while: the part the
     * kernel does not take at once goes through Qt's buffer, after what was written straight to the socket, and
     * both answers arrive whole and in order.
     */
    void largeAnswersToASlowReaderArriveWholeAndInOrder()
    {
        const std::string pad(2000, 'x');
        for (int r = 0; r < 4; ++r) {
            std::string batch = "{\"api_key\":\"phc_k\",\"batch\":[";
            for (int i = 0; i < 1000; ++i) {
                batch += i ? "," : "";
                batch += "{\"event\":\"big" + std::to_string(r) + "\",\"distinct_id\":\"u\",\"properties\":{\"n\":"
                    + std::to_string(i) + ",\"pad\":\"" + pad + "\"}}";
            }
            batch += "]}";
            QCOMPARE(call(request("POST", "/batch/", batch)).status, 200);
        }
        const std::string get = request("GET", "/eventlens/v1/events?since=0&limit=5000", {});
        const std::string getLast
            = request("GET", "/eventlens/v1/events?since=2000&limit=5000", {}, {"Connection: close"});
        std::string received;
        std::atomic<bool> done {false};
        std::thread client([&] {
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            const int small = 4096;
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
            timeval tv {20, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            sockaddr_in addr {};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(m_sink.port());
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
                const std::string both = get + getLast;
                ::send(fd, both.data(), both.size(), MSG_NOSIGNAL);
                std::this_thread::sleep_for(std::chrono::milliseconds(500)); // the server's writes back up
                char buf[65536];
                for (;;) {
                    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                    if (n > 0)
                        received.append(buf, static_cast<size_t>(n));
                    else if (n == 0 || errno != EINTR)
                        break;
                }
            }
            ::close(fd);
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done.load(), 30000);
        client.join();
        std::size_t at = 0;
        for (const auto& [since, count] : {std::pair(0, 4000), std::pair(2000, 2000)}) {
            const std::size_t head = received.find("\r\n\r\n", at);
            QVERIFY2(head != std::string::npos, received.substr(at, 200).c_str());
            QVERIFY2(received.compare(at, 15, "HTTP/1.1 200 OK") == 0, received.substr(at, 200).c_str());
            const std::size_t cl = received.find("Content-Length: ", at);
            QVERIFY(cl != std::string::npos && cl < head);
            const std::size_t length = std::stoul(received.substr(cl + 16));
            QVERIFY2(length > 4000000, std::to_string(length).c_str());
            QVERIFY(received.size() >= head + 4 + length);
            const Json body = Json::parse(received.substr(head + 4, length));
            QCOMPARE(body["events"].size(), std::size_t(count));
            QCOMPARE(body["events"][0]["seq"].get<qint64>(), qint64(since + 1));
            at = head + 4 + length;
        }
        QCOMPARE(at, received.size());
    }

    void limitConnections()
    {
        setHttp([](HttpLimits& l) { l.maxConnections = 3; });
        std::vector<std::unique_ptr<RawClient>> held;
        for (int i = 0; i < 3; ++i)
            held.push_back(std::make_unique<RawClient>(m_sink.port()));
        QTRY_COMPARE(m_sink.server()->http()->connectionCount(), 3);
        RawClient extra(m_sink.port());
        Reply r;
        QVERIFY(extra.read(r));
        QCOMPARE(r.status, 503);
        QVERIFY(extra.waitClosed(5000));
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().front().status, 503);
        held.clear();
        QTRY_COMPARE(m_sink.server()->http()->connectionCount(), 0);
        QCOMPARE(call(goodEvent("after_limit")).status, 200);
    }

    void idleConnectionIsClosed()
    {
        setHttp([](HttpLimits& l) { l.idleTimeoutMs = 300; });
        RawClient c(m_sink.port());
        QTRY_COMPARE(m_sink.server()->http()->connectionCount(), 1);
        QVERIFY(c.waitClosed(3000));
        QTRY_COMPARE(m_sink.server()->http()->connectionCount(), 0);
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(0)); // idle is not an error
        // After a request, too.
        RawClient d(m_sink.port());
        d.send(goodEvent("idle_then"));
        Reply r;
        QVERIFY(d.read(r));
        QVERIFY(d.waitClosed(3000));
    }

    void slowlorisTimesOutAndFreesTheSocket()
    {
        setHttp([](HttpLimits& l) { l.requestTimeoutMs = 500; });
        RawClient c(m_sink.port());
        const std::string head = "POST /e/ HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        c.send(head);
        QElapsedTimer t;
        t.start();
        // Trickle a byte every 50 ms: each byte must not restart the request timer.
        while (t.elapsed() < 2500 && c.isOpen()) {
            c.send("a");
            QTest::qWait(50);
        }
        QVERIFY2(t.elapsed() < 2000, "the trickling request was not cut off");
        QTRY_COMPARE(m_sink.server()->http()->connectionCount(), 0);
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(1));
        QCOMPARE(m_sink.capture()->store()->rejected().front().status, 408);
        // Slow body (headers complete, body never arrives).
        RawClient d(m_sink.port());
        d.send("POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ev");
        Reply r;
        QVERIFY(d.read(r, 3000));
        QCOMPARE(r.status, 408);
        QVERIFY(d.waitClosed(3000));
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(2));
    }

    // ---------------------------------------------------------------------------------------------
    void tokenRequiredEverywhere()
    {
        m_sink.server()->setToken("s3cret");
        m_token = "s3cret";
        const std::string ev = R"({"api_key":"k","batch":[{"event":"tok","distinct_id":"d"}]})";
        Reply r = call(request("POST", "/batch/", ev));
        QCOMPARE(r.status, 401);
        QVERIFY(r.head.find("WWW-Authenticate: Bearer") != std::string::npos);
        verifyListed(r);
        r = call(request("POST", "/batch/", ev, {"X-EventLens-Token: wrong"}));
        QCOMPARE(r.status, 401);
        // Presented credentials are not kept.
        for (const auto& [name, value] : m_sink.capture()->store()->rejected()[1].headers)
            QVERIFY2(value.find("wrong") == std::string::npos, value.c_str());
        r = call(request("GET", "/eventlens/v1/health", {}));
        QCOMPARE(r.status, 401);
        r = call(request("GET", "/eventlens/v1/health?eventlens_token=nope", {}));
        QCOMPARE(r.status, 401);
        QVERIFY(m_sink.capture()->store()->rejected().back().query.find("nope") == std::string::npos);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(0));

        QCOMPARE(call(request("POST", "/batch/", ev, {"X-EventLens-Token: s3cret"})).status, 200);
        QCOMPARE(call(request("POST", "/batch/", ev, {"Authorization: Bearer s3cret"})).status, 200);
        QCOMPARE(call(request("POST", "/batch/?eventlens_token=s3cret&ver=1", ev)).status, 200);
        QCOMPARE(call(request("GET", "/eventlens/v1/health", {}, {"Authorization: bearer s3cret"})).status, 200);
        QCOMPARE(call(request("GET", "/eventlens/v1/rejected?eventlens_token=s3cret", {})).status, 200);
        QCOMPARE(m_sink.capture()->store()->events().size(), std::size_t(3));
        // CORS preflights carry no credentials and still work.
        r = call(
            request("OPTIONS", "/e/", {}, {"Origin: http://localhost:5173", "Access-Control-Request-Method: POST"}));
        QCOMPARE(r.status, 204);
    }

    void csrfOnStateChangingApi()
    {
        const std::string host = "Host: 127.0.0.1:" + std::to_string(m_sink.port());
        auto reset = [&](const std::vector<std::string>& headers) {
            std::string r = "POST /eventlens/v1/reset HTTP/1.1\r\n";
            for (const auto& h : headers)
                r += h + "\r\n";
            return call(r + "Content-Length: 0\r\n\r\n").status;
        };
        QCOMPARE(reset({host, "Origin: http://evil.example"}), 403);
        QCOMPARE(reset({host, "Origin: null"}), 403);
        QCOMPARE(reset({host, "Sec-Fetch-Site: cross-site"}), 403);
        QCOMPARE(reset({host, "Sec-Fetch-Site: same-site"}), 403);
        QCOMPARE(
            reset({host, "Origin: http://127.0.0.1:" + std::to_string(m_sink.port()), "Sec-Fetch-Site: cross-site"}),
            403);
        QCOMPARE(reset({host, "Origin: https://127.0.0.1:" + std::to_string(m_sink.port())}), 403);
        QCOMPARE(m_sink.capture()->store()->rejected().size(), std::size_t(6));
        QCOMPARE(
            reset({host, "Origin: http://127.0.0.1:" + std::to_string(m_sink.port()), "Sec-Fetch-Site: same-origin"}),
            200);
        QCOMPARE(reset({host, "Sec-Fetch-Site: none"}), 200);
        QCOMPARE(reset({host}), 200);
        // Contract upload is guarded the same way.
        const Reply r = call("POST /eventlens/v1/contract HTTP/1.1\r\n" + host
            + "\r\nOrigin: null\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}");
        QCOMPARE(r.status, 403);
    }

    void dnsRebindingRefusedOnApi()
    {
        Reply r = call(request("GET", "/eventlens/v1/events", {}, {}).replace(0, 0, "")); // Host: 127.0.0.1
        QCOMPARE(r.status, 200);
        r = call(
            "GET /eventlens/v1/events HTTP/1.1\r\nHost: evil.example:" + std::to_string(m_sink.port()) + "\r\n\r\n");
        QCOMPARE(r.status, 403);
        verifyListed(r);
        for (const std::string host : {"localhost:1", "[::1]:8484", "127.0.0.2", "app.localhost:5"})
            QCOMPARE(call("GET /eventlens/v1/health HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status, 200);
        // Same-origin POST from a rebound page is refused too.
        QCOMPARE(call("POST /eventlens/v1/reset HTTP/1.1\r\nHost: evil.example\r\nOrigin: http://evil.example\r\n"
                      "Content-Length: 0\r\n\r\n")
                     .status,
            403);
    }

    void contractByNameIsRestricted()
    {
        const std::string host = "Host: 127.0.0.1";
        auto load = [&](const std::string& name) {
            return call(
                "POST /eventlens/v1/contract?name=" + name + " HTTP/1.1\r\n" + host + "\r\nContent-Length: 0\r\n\r\n");
        };
        Reply r = load("/etc/passwd");
        QCOMPARE(r.status, 403);
        verifyListed(r);
        QCOMPARE(load(EVENTLENS_TEST_DATA "/ingest/contract.json").status, 403);
        QCOMPARE(load("builtin:..%2f..%2fetc%2fpasswd").status, 400);
        QCOMPARE(load("builtin:open-design").status, 200);
        m_sink.server()->setAllowedContractFiles({EVENTLENS_TEST_DATA "/ingest/contract.json"});
        QCOMPARE(load(EVENTLENS_TEST_DATA "/ingest/contract.json").status, 200);
        QCOMPARE(load(EVENTLENS_TEST_DATA "/ingest/../ingest/contract.json").status, 200); // same file
        QCOMPARE(load(EVENTLENS_TEST_DATA "/check/contract.json").status, 403);
    }

    void invalidUtf8InReasonsIsReplacedEverywhere()
    {
        // A previous bug crashed on invalid UTF-8 in a reason (nlohmann throws on dump).
        const Reply r = call(request("POST", "/\xff\xfe%ff", "x", {"X-A: \xfe\xff", "User-Agent: \xc3\x28"}));
        QCOMPARE(r.status, 404);
        QVERIFY(r.json().is_object());
        const Reply api = call(request("GET", "/eventlens/v1/rejected", {}, {"X-EventLens-Token: " + m_token}));
        QCOMPARE(api.status, 200);
        QVERIFY(api.json().is_object());
        QCOMPARE(call(request("GET", "/eventlens/v1/health", {})).status, 200);
    }
};

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
