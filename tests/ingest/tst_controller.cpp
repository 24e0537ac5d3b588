// SPDX-License-Identifier: MIT
// The application's controller: owns the listener for the window and headless mode, restarts it with the
// same configuration, and stops it with the session file closed cleanly.
#include "controller.h"
#include "pipeline/capture.h"
#include "store/journal.h"

#include "rawhttp.h"

#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace el;
using namespace eltest;

class TestController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listensRestartsAndStops()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("s.elsession"));
        Capture capture;
        std::string error;
        QVERIFY2(capture.openSessionFile(file, error), error.c_str());
        Controller::Config config;
        config.token = "secret";
        config.limits.maxBodyBytes = 1000;
        Controller controller(&capture, config);
        QVERIFY(!controller.isListening());
        QVERIFY(controller.url().isEmpty());
        QVERIFY(controller.listen(QHostAddress::LocalHost, 0));
        const quint16 first = controller.port();
        QVERIFY(first != 0);
        QCOMPARE(controller.url(), QStringLiteral("http://127.0.0.1:%1").arg(first));

        // The configuration reaches the listener: the token is required and the body limit holds.
        auto call = [&](quint16 port, const std::vector<std::string>& headers, const std::string& body) {
            RawClient c(port);
            c.send(request("POST", "/batch/", body, headers));
            Reply r;
            return c.read(r, 10000) ? r.status : -1;
        };
        const std::string batch = R"({"api_key":"k","batch":[{"event":"e","distinct_id":"d"}]})";
        QCOMPARE(call(first, {}, batch), 401);
        QCOMPARE(call(first, {"Authorization: Bearer secret"}, batch), 200);
        QCOMPARE(call(first, {"Authorization: Bearer secret"}, std::string(2000, 'x')), 413);

        // A restart on another port frees the first one and keeps the configuration.
        QVERIFY(controller.listen(QHostAddress::LocalHost, 0));
        const quint16 second = controller.port();
        QVERIFY(second != first);
        QCOMPARE(call(second, {}, batch), 401);
        QCOMPARE(call(second, {"Authorization: Bearer secret"}, batch), 200);
        QTcpServer probe;
        QVERIFY2(probe.listen(QHostAddress::LocalHost, first), "the old listener still holds its port");
        probe.close();

        // A port that is taken: false, the reason, and nothing listens.
        QTcpServer taken;
        QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
        QVERIFY(!controller.listen(QHostAddress::LocalHost, taken.serverPort()));
        QVERIFY(!controller.isListening());
        QVERIFY(!controller.errorString().isEmpty());

        QCOMPARE(capture.store()->events().size(), std::size_t(2));
        QVERIFY(!SessionJournal::wasClean(file)); // open: a crash now would be recovered
        controller.stop();
        QVERIFY(SessionJournal::wasClean(file));
        controller.stop(); // idempotent
    }
};

QTEST_GUILESS_MAIN(TestController)
#include "tst_controller.moc"
