// SPDX-License-Identifier: MIT
// The real binary: loopback by default, a warning for any other --bind, limits and --token from the
// command line, invalid limit values refused.
#include "rawhttp.h"

#include "store/journal.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

using namespace eltest;

class TestSecurityCli : public QObject
{
    Q_OBJECT

    struct Running
    {
        std::unique_ptr<QProcess> process;
        QString stderrText;
        quint16 port = 0;
    };

    Running start(const QStringList& extra, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
    {
        Running r;
        r.process = std::make_unique<QProcess>();
        r.process->setProcessEnvironment(env);
        r.process->start(QStringLiteral(EVENTLENS_BINARY),
            QStringList {QStringLiteral("--headless"), QStringLiteral("--no-session"), QStringLiteral("--port"),
                QStringLiteral("0")}
                + extra);
        r.process->waitForStarted(10000);
        const QRegularExpression re(QStringLiteral("listening on http://[^ ]*:(\\d+)"));
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 30000 && r.process->state() == QProcess::Running) {
            r.process->waitForReadyRead(100);
            r.stderrText += QString::fromUtf8(r.process->readAllStandardError());
            const auto m = re.match(r.stderrText);
            if (m.hasMatch()) {
                r.port = static_cast<quint16>(m.captured(1).toUInt());
                break;
            }
        }
        return r;
    }

    static void stop(Running& r)
    {
        r.process->terminate();
        if (!r.process->waitForFinished(10000))
            r.process->kill();
    }

    static int statusOf(quint16 port, const std::string& raw)
    {
        RawClient c(port);
        c.send(raw);
        Reply reply;
        return c.read(reply, 10000) ? reply.status : -1;
    }

private Q_SLOTS:
    void loopbackByDefaultWithoutWarning()
    {
        Running r = start({});
        QVERIFY2(r.port != 0, qPrintable(r.stderrText));
        QVERIFY2(r.stderrText.contains(QLatin1String("listening on http://127.0.0.1:")), qPrintable(r.stderrText));
        QVERIFY(!r.stderrText.contains(QLatin1String("WARNING")));
        stop(r);
    }

    void otherBindWarns()
    {
        Running r = start({QStringLiteral("--bind"), QStringLiteral("0.0.0.0")});
        QVERIFY2(r.port != 0, qPrintable(r.stderrText));
        QVERIFY2(r.stderrText.contains(QLatin1String("WARNING: listening on 0.0.0.0")), qPrintable(r.stderrText));
        QVERIFY2(r.stderrText.contains(QLatin1String("without a --token")), qPrintable(r.stderrText));
        stop(r);
    }

    void limitsAndTokenFromTheCommandLine()
    {
        Running r = start({QStringLiteral("--max-body-bytes"), QStringLiteral("200"), QStringLiteral("--token"),
            QStringLiteral("t0k"), QStringLiteral("--max-events-per-request"), QStringLiteral("1"),
            QStringLiteral("--request-timeout-ms"), QStringLiteral("400")});
        QVERIFY2(r.port != 0, qPrintable(r.stderrText));
        const std::string ev = R"({"api_key":"k","batch":[{"event":"cli","distinct_id":"d"}]})";
        const std::string two
            = R"({"api_key":"k","batch":[{"event":"a","distinct_id":"d"},{"event":"b","distinct_id":"d"}]})";
        QCOMPARE(statusOf(r.port, request("POST", "/batch/", ev)), 401);
        QCOMPARE(statusOf(r.port, request("POST", "/batch/", ev, {"X-EventLens-Token: t0k"})), 200);
        QCOMPARE(
            statusOf(r.port, request("POST", "/batch/", std::string(300, ' ') + ev, {"X-EventLens-Token: t0k"})), 413);
        QCOMPARE(statusOf(r.port, request("POST", "/batch/", two, {"X-EventLens-Token: t0k"})), 413);
        QCOMPARE(statusOf(r.port, "POST /batch/?eventlens_token=t0k HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"),
            408);
        QCOMPARE(statusOf(r.port, request("GET", "/eventlens/v1/health", {})), 401);
        QCOMPARE(statusOf(r.port, request("GET", "/eventlens/v1/health?eventlens_token=t0k", {})), 200);
        stop(r);
    }

    void tokenFromEnvironment()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("EVENTLENS_TOKEN"), QStringLiteral("envtok"));
        Running r = start({}, env);
        QVERIFY2(r.port != 0, qPrintable(r.stderrText));
        QCOMPARE(statusOf(r.port, request("GET", "/eventlens/v1/health", {})), 401);
        QCOMPARE(statusOf(r.port, request("GET", "/eventlens/v1/health", {}, {"Authorization: Bearer envtok"})), 200);
        stop(r);
    }

    void invalidLimitValuesAreRefused_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addRow("zero depth") << QStringList {QStringLiteral("--max-depth"), QStringLiteral("0")};
        QTest::addRow("text body") << QStringList {QStringLiteral("--max-body-bytes"), QStringLiteral("lots")};
        QTest::addRow("negative timeout") << QStringList {QStringLiteral("--request-timeout-ms"), QStringLiteral("-5")};
        QTest::addRow("empty token") << QStringList {QStringLiteral("--token"), QString()};
    }
    void invalidLimitValuesAreRefused()
    {
        QFETCH(QStringList, args);
        QProcess p;
        p.start(QStringLiteral(EVENTLENS_BINARY),
            QStringList {QStringLiteral("--headless"), QStringLiteral("--no-session"), QStringLiteral("--port"),
                QStringLiteral("0")}
                + args);
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 2);
    }

    void helpListsTheLimits()
    {
        QProcess p;
        p.start(QStringLiteral(EVENTLENS_BINARY), {QStringLiteral("--help")});
        QVERIFY(p.waitForFinished(20000));
        const QString help = QString::fromUtf8(p.readAllStandardOutput());
        for (const char* o : {"--max-body-bytes", "--max-decompressed-bytes", "--max-depth", "--max-events-per-request",
                 "--max-header-bytes", "--max-header-count", "--max-connections", "--idle-timeout-ms",
                 "--request-timeout-ms", "--linger-timeout-ms", "--linger-max-bytes", "--token", "--bind", "--port",
                 "--contract", "--upstream"})
            QVERIFY2(help.contains(QLatin1String(o)), o);
    }

    // With no display, the window cannot open: the binary says what to run instead (and exits 2)
    // rather than aborting inside Qt's platform plugin.
    void noDisplayExplainsHeadlessAndXvfb()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
            env.remove(QString::fromLatin1(name));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(EVENTLENS_BINARY),
            {QStringLiteral("--no-session"), QStringLiteral("--port"), QStringLiteral("0")});
        QVERIFY(p.waitForFinished(20000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(err.contains(QLatin1String("no display")), qPrintable(err));
        QVERIFY2(err.contains(QLatin1String("eventlens --headless")), qPrintable(err));
        QVERIFY2(err.contains(QLatin1String("xvfb-run -a eventlens")), qPrintable(err));
        QVERIFY2(!err.contains(QLatin1String("qt.qpa")), qPrintable(err));

        QVERIFY2(!err.contains(QLatin1Char('\n')) || err.indexOf(QLatin1Char('\n')) == err.size() - 1, qPrintable(err));

        // The same environment with --headless runs the sink.
        Running r = start({}, env);
        QVERIFY2(r.port != 0, qPrintable(r.stderrText));
        stop(r);
    }

    // A word the binary does not know is a usage error naming it, not a window that opens anyway.
    void unknownWordsAreUsageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("named");
        QTest::newRow("command") << QStringList {QStringLiteral("foo")} << QStringLiteral("'foo'");
        QTest::newRow("option") << QStringList {QStringLiteral("--bogus")} << QStringLiteral("bogus");
        QTest::newRow("headless option") << QStringList {QStringLiteral("--headless"), QStringLiteral("--bogus")}
                                         << QStringLiteral("bogus");
        QTest::newRow("--quiet in the window")
            << QStringList {QStringLiteral("--quiet")} << QStringLiteral("--quiet applies to --headless only");
    }
    void unknownWordsAreUsageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, named);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen")); // a window could open
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(EVENTLENS_BINARY),
            args + QStringList {QStringLiteral("--no-session"), QStringLiteral("--port"), QStringLiteral("0")});
        const bool finished = p.waitForFinished(15000);
        if (!finished)
            p.kill();
        QVERIFY2(finished, "it kept running");
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(err.contains(named), qPrintable(err));
    }

    // --session FILE works in the window as in headless mode (QApplication takes -session for itself),
    // and SIGTERM closes the file cleanly there too.
    void windowUsesTheSessionFileAndClosesItOnSigterm()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("chosen.elsession"));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(EVENTLENS_BINARY),
            {QStringLiteral("--session"), file, QStringLiteral("--port"), QStringLiteral("0")});
        QVERIFY(p.waitForStarted(10000));
        QString err;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 20000 && !err.contains(QLatin1String("session file")) && p.state() == QProcess::Running) {
            p.waitForReadyRead(100);
            err += QString::fromUtf8(p.readAllStandardError());
        }
        QTest::qWait(500); // the window is up and listening
        QVERIFY2(QFileInfo::exists(file), qPrintable(err));
        QVERIFY2(err.contains(file), qPrintable(err));
        QVERIFY(!QDir(dir.filePath(QStringLiteral("data"))).exists(QStringLiteral("EventLens")));
        p.terminate();
        QVERIFY(p.waitForFinished(15000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        QVERIFY(el::SessionJournal::wasClean(file));
    }
};

QTEST_GUILESS_MAIN(TestSecurityCli)
#include "tst_security_cli.moc"
