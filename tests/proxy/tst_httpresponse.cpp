// SPDX-License-Identifier: MIT
// The pass-through's HTTP/1.1 response parser on its own: framing (length, chunked, until close), interim answers,
// keep-alive, and what it refuses; every answer fed whole, byte by byte and split at every offset.
#include "transport/httpparser.h"

#include <QTest>

#include <vector>

using namespace el;

class TestHttpResponse : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void responseParser_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("head");
        QTest::addColumn<int>("status"); // 0: an error
        QTest::addColumn<QByteArray>("body"); // or the error
        QTest::addColumn<bool>("keepAlive");
        QTest::addColumn<bool>("needsClose"); // complete only at the end of the stream
        QTest::addRow("length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello") << false
                                << 200 << QByteArray("hello") << true << false;
        QTest::addRow("no reason") << QByteArray("HTTP/1.1 204\r\n\r\n") << false << 204 << QByteArray() << true
                                   << false;
        QTest::addRow("chunked") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                               "3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n")
                                 << false << 200 << QByteArray("abc0123456789abcdef") << true << false;
        QTest::addRow("chunked wins over length")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                          "2\r\nok\r\n0\r\n\r\n")
            << false << 200 << QByteArray("ok") << false << false;
        QTest::addRow("until close") << QByteArray("HTTP/1.1 200 OK\r\n\r\nall of it") << false << 200
                                     << QByteArray("all of it") << false << true;
        QTest::addRow("1.0") << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok") << false << 200
                             << QByteArray("ok") << false << false;
        QTest::addRow("1.0 keep-alive") << QByteArray(
            "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok")
                                        << false << 200 << QByteArray("ok") << true << false;
        QTest::addRow("close") << QByteArray("HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx")
                               << false << 500 << QByteArray("x") << false << false;
        QTest::addRow("interim") << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n"
                                               "HTTP/1.1 202 Accepted\r\nContent-Length: 1\r\n\r\n1")
                                 << false << 202 << QByteArray("1") << true << false;
        QTest::addRow("head") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n") << true << 200
                              << QByteArray() << true << false;
        QTest::addRow("304") << QByteArray("HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n") << false << 304
                             << QByteArray() << true << false;
        QTest::addRow("not http") << QByteArray("<html>hi</html>") << false << 0 << QByteArray("not an HTTP/1.x answer")
                                  << false << false;
        QTest::addRow("http/2") << QByteArray("HTTP/2 200\r\n\r\n") << false << 0 << QByteArray("malformed status line")
                                << false << false;
        QTest::addRow("bad status") << QByteArray("HTTP/1.1 2x0 OK\r\n\r\n") << false << 0
                                    << QByteArray("malformed status line") << false << false;
        QTest::addRow("two lengths") << QByteArray(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
                                     << false << 0 << QByteArray("invalid Content-Length") << false << false;
        QTest::addRow("bad chunk") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") << false
                                   << 0 << QByteArray("chunked body: malformed chunk size") << false << false;
        QTest::addRow("gzip only") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n") << false << 0
                                   << QByteArray("unsupported Transfer-Encoding") << false << false;
        QTest::addRow("switch") << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n") << false << 0
                                << QByteArray("switched protocols") << false << false;
        QTest::addRow("header junk") << QByteArray("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n") << false << 0
                                     << QByteArray("malformed header line") << false << false;
        QTest::addRow("cut in body") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc") << false << 0
                                     << QByteArray("connection closed in the middle of the answer") << false << true;
        QTest::addRow("cut in chunks") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
                                       << false << 0 << QByteArray("connection closed in the middle of the answer")
                                       << false << true;
        QTest::addRow("nothing") << QByteArray() << false << 0 << QByteArray("connection closed before any answer")
                                 << false << true;
    }
    void responseParser()
    {
        QFETCH(QByteArray, raw);
        QFETCH(bool, head);
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(bool, keepAlive);
        QFETCH(bool, needsClose);
        // Whole, byte by byte, and in two pieces split at every offset: the same answer each time.
        std::vector<std::vector<int>> splits {{}, {}};
        for (int i = 1; i < raw.size(); ++i)
            splits[1].push_back(i);
        for (int i = 1; i < raw.size(); ++i)
            splits.push_back({i});
        for (const std::vector<int>& cuts : splits) {
            HttpResponseParser parser;
            parser.begin(head);
            HttpResponseParser::Status st = HttpResponseParser::Status::NeedMore;
            int from = 0;
            std::vector<int> ends = cuts;
            ends.push_back(int(raw.size()));
            for (const int to : ends) {
                parser.append(std::string_view(raw.constData() + from, std::size_t(to - from)));
                from = to;
                st = parser.next();
                if (st != HttpResponseParser::Status::NeedMore)
                    break;
            }
            if (st == HttpResponseParser::Status::NeedMore) {
                QVERIFY2(needsClose, "complete without the end of the stream");
                st = parser.finish();
            } else {
                QVERIFY2(!needsClose || status == 0, "complete before the end of the stream");
            }
            if (status == 0) {
                QCOMPARE(st, HttpResponseParser::Status::Error);
                QVERIFY2(QByteArray::fromStdString(parser.errorReason()).contains(body), parser.errorReason().c_str());
                continue;
            }
            QCOMPARE(st, HttpResponseParser::Status::Response);
            QCOMPARE(parser.status(), status);
            QCOMPARE(QByteArray::fromStdString(parser.takeBody()), body);
            QCOMPARE(parser.keepAlive(), keepAlive);
            QCOMPARE(parser.buffered(), std::size_t(0));
        }
    }

    void responseParserKeepsTheNextAnswer()
    {
        // Two answers in one read (a pipelining upstream): the second stays buffered for the next request.
        HttpResponseParser parser;
        parser.begin(false);
        parser.append("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 201 OK\r\nContent-Length: 1\r\n\r\nb");
        QCOMPARE(parser.next(), HttpResponseParser::Status::Response);
        QCOMPARE(parser.takeBody(), std::string("a"));
        QVERIFY(parser.buffered() > 0);
        parser.begin(false);
        QVERIFY(parser.received() > 0);
        QCOMPARE(parser.next(), HttpResponseParser::Status::Response);
        QCOMPARE(parser.status(), 201);
        QCOMPARE(parser.takeBody(), std::string("b"));
    }
};

QTEST_GUILESS_MAIN(TestHttpResponse)
#include "tst_httpresponse.moc"
