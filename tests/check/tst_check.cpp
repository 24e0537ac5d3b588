// SPDX-License-Identifier: MIT
// `eventlens check`: exit codes, the three formats, the input shapes (NDJSON, JSON array, HAR).
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "checkcommand.h"
#include "contract/contractengine.h"
#include "contract/offlineinput.h"
#include "eventlensrun.h"
#include "pipeline/importer.h"
#include "sessionfile.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <deque>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using Json = nlohmann::json;

namespace {

const QString kData = QStringLiteral(EVENTLENS_TEST_DATA "/check/");

QString data(const char* name)
{
    return kData + QLatin1String(name);
}

/** Runs the command with stdout and stderr captured. */
struct Run
{
    int code = -1;
    QByteArray out;
    QByteArray err;
};

QByteArray slurp(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

Run check(const QStringList& args)
{
    static int n = 0;
    QTemporaryDir dir;
    const QString outPath = dir.filePath(QStringLiteral("out%1").arg(++n));
    const QString errPath = dir.filePath(QStringLiteral("err%1").arg(n));
    std::fflush(stdout);
    std::fflush(stderr);
    const int savedOut = ::dup(1);
    const int savedErr = ::dup(2);
    const int outFd = ::open(outPath.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int errFd = ::open(errPath.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(outFd, 1);
    ::dup2(errFd, 2);
    Run r;
    r.code = runCheckCommand(args);
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(savedOut, 1);
    ::dup2(savedErr, 2);
    ::close(savedOut);
    ::close(savedErr);
    ::close(outFd);
    ::close(errFd);
    r.out = slurp(outPath);
    r.err = slurp(errPath);
    return r;
}

QStringList withContract(QStringList args)
{
    args.prepend(data("contract.json"));
    args.prepend(QStringLiteral("--contract"));
    return args;
}

/** A `-f json` report without what depends on the clock: the runs' startMs, endMs and durationMs. */
Json withoutTiming(Json report)
{
    if (report.contains("runs") && report["runs"].is_array()) {
        for (Json& run : report["runs"]) {
            run.erase("startMs");
            run.erase("endMs");
            run.erase("durationMs");
        }
    }
    return report;
}

} // namespace

class TestCheck : public QObject
{
    Q_OBJECT

private slots:
    void cleanInputExitsZero();
    void errorsExitOne();
    void warningsOnlyExitZero();
    void jsonFormat();
    void junitFormat();
    void harInput();
    void harWithoutBodySaysWhy();
    void harBadBase64BodyIsAnError();
    void jsonArrayInput();
    void multipleInputsKeepNumbering();
    void outputFile();
    void outputOntoFifoKeepsIt();
    void usageErrors_data();
    void usageErrors();
    void help();
    void builtinContract();
    void refCycleIsRefused_data();
    void refCycleIsRefused();
    void binaryExitCodesAndOutput();
    void streamingEqualsWholeFile();
    void streamingInputError();
    void sessionFileInput();
    void secretIsMaskedInEveryFormat();
    void runsListedInCreationOrder();
};

void TestCheck::cleanInputExitsZero()
{
    const Run r = check(withContract({data("clean.ndjson")}));
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QByteArray("checked 3 events against check-demo 1: no violations\n"));
    QVERIFY(r.err.isEmpty());
}

void TestCheck::errorsExitOne()
{
    const Run r = check(withContract({data("errors.ndjson")}));
    QCOMPARE(r.code, 1);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    const QByteArray file = data("errors.ndjson").toUtf8();
    // seq 1 is line 1; seqs 2 and 3 come from the batch body on line 3; seq 4 line 4, seq 5 line 5.
    const QList<QByteArray> exp = {
        file
            + ":3: error: [schema events.run_finished] run_finished (seq 2) /properties/result: result is \"maybe\", "
              "expected one of \"success\", \"failed\"",
        file
            + ":3: error: [sequence.pinned_mismatch run-lifecycle] run_finished (seq 1, 2) /properties/runtime_type: "
              "runtime_type is \"local_cli\" on run_finished (seq 2), expected \"byok\" as on run_created (seq 1)",
        file
            + ":3: error: [sequence.duplicate_key insert-id-unique] run_finished (seq 1, 2) /properties/$insert_id: "
              "$insert_id \"i1\" on run_finished was already used by seq 1 (run_created), expected unique",
        file
            + ":3: error: [global globals] run_created (seq 3) /properties/runtime_type: runtime_type is \"both\", "
              "expected one of \"byok\", \"local_cli\", \"none\"",
        file
            + ":4: warning: [schema events.ui_click] ui_click (seq 4) /properties/element: required property element "
              "is missing",
        file
            + ":5: warning: [unplanned unplanned] mystery (seq 5) /event: event \"mystery\" is not in contract "
              "check-demo, expected one of its planned events; unplanned_events: warn",
        file
            + ":3: error: [sequence.unfinished run-lifecycle] run_created (seq 3) /properties/run_id: run_created "
              "(seq 3, run_id \"r2\") has no run_finished (input ended)",
        "checked 5 events against check-demo 1: 5 errors, 2 warnings",
    };
    if (lines != exp) {
        for (const QByteArray& l : lines)
            qWarning("%s", l.constData());
    }
    QCOMPARE(lines, exp);
}

void TestCheck::warningsOnlyExitZero()
{
    const Run r = check(withContract({data("warnings.json")}));
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.endsWith("checked 2 events against check-demo 1: 0 errors, 2 warnings\n"));
}

void TestCheck::jsonFormat()
{
    const Run r = check(withContract({QStringLiteral("--format"), QStringLiteral("json"), data("errors.ndjson")}));
    QCOMPARE(r.code, 1);
    const Json j = Json::parse(r.out.toStdString(), nullptr, false);
    QVERIFY2(!j.is_discarded(), r.out.constData());
    QCOMPARE(j["events"].get<int>(), 5);
    QCOMPARE(j["violations"].size(), std::size_t(7));
    const Json& v0 = j["violations"][0];
    QCOMPARE(v0["kind"].get<std::string>(), std::string("schema"));
    QCOMPARE(v0["rule"].get<std::string>(), std::string("events.run_finished"));
    QCOMPARE(v0["severity"].get<std::string>(), std::string("error"));
    QCOMPARE(v0["path"].get<std::string>(), std::string("/properties/result"));
    QVERIFY(v0["seqs"] == Json::array({2}));
    QCOMPARE(v0["event"].get<std::string>(), std::string("run_finished"));
    QCOMPARE(v0["sources"][0].get<std::string>(), data("errors.ndjson").toStdString() + ":3");
    const Json& s = j["summary"];
    QCOMPARE(s["errors"].get<int>(), 5);
    QCOMPARE(s["warnings"].get<int>(), 2);
    QCOMPARE(s["violations"].get<int>(), 7);
    QCOMPARE(s["by_kind"]["sequence.pinned_mismatch"].get<int>(), 1);
    QCOMPARE(s["by_rule"]["run-lifecycle"].get<int>(), 2);
    QCOMPARE(s["passed"].get<bool>(), false);
    QCOMPARE(j["contract"]["name"].get<std::string>(), std::string("check-demo"));
    QCOMPARE(j["runs"].size(), std::size_t(2));
    QCOMPARE(j["runs"][0]["state"].get<std::string>(), std::string("finished"));
    QCOMPARE(j["runs"][1]["state"].get<std::string>(), std::string("unfinished"));
}

void TestCheck::junitFormat()
{
    const Run r = check(withContract({QStringLiteral("--format"), QStringLiteral("junit"), data("errors.ndjson")}));
    QCOMPARE(r.code, 1);
    QXmlStreamReader xml(r.out);
    int cases = 0;
    int failures = 0;
    QStringList names;
    QString suite;
    QMap<QString, int> casesPerSuite;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == QLatin1String("testsuite"))
            suite = xml.attributes().value(QLatin1String("name")).toString();
        if (xml.name() == QLatin1String("testcase")) {
            ++cases;
            casesPerSuite[suite]++;
            names << xml.attributes().value(QLatin1String("name")).toString();
        }
        if (xml.name() == QLatin1String("failure"))
            ++failures;
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    // 5 events + 2 run-lifecycle instances (r1, r2) + 1 uniqueness rule.
    QCOMPARE(casesPerSuite.value(QStringLiteral("events")), 5);
    QCOMPARE(casesPerSuite.value(QStringLiteral("sequences")), 3);
    QCOMPARE(cases, 8);
    // Failures: seq 2 (schema), seq 3 (global), run r1 (pinned), run r2 (unfinished), uniqueness.
    QCOMPARE(failures, 5);
    QVERIFY(names.contains(QStringLiteral("run-lifecycle run_id \"r1\" (seq 1)")));
    QVERIFY(names.contains(QStringLiteral("insert-id-unique")));
    QVERIFY(r.out.contains("<testsuites name=\"eventlens check: check-demo 1\" tests=\"8\" failures=\"5\""));
    // Warnings are reported, but not as failures.
    QVERIFY(r.out.contains("<system-out>warning [schema events.ui_click]"));
}

void TestCheck::harInput()
{
    const Run r = check(withContract({QStringLiteral("--format"), QStringLiteral("json"), data("session.har")}));
    QCOMPARE(r.code, 1);
    const Json j = Json::parse(r.out.toStdString(), nullptr, false);
    QVERIFY2(!j.is_discarded(), r.out.constData());
    // gzip (base64 in the HAR), urlencoded form with base64 data=, and a /batch/ body; the page script,
    // /flags/ and the CORS preflight are skipped.
    QCOMPARE(j["events"].get<int>(), 3);
    QCOMPARE(j["summary"]["requests"].get<int>(), 3);
    QCOMPARE(j["summary"]["skipped_requests"].get<int>(), 3);
    QCOMPARE(j["runs"].size(), std::size_t(1));
    QCOMPARE(j["runs"][0]["state"].get<std::string>(), std::string("finished"));
    QCOMPARE(j["runs"][0]["durationMs"].get<qint64>(), qint64(3000));
    std::vector<std::string> kinds;
    for (const Json& v : j["violations"])
        kinds.push_back(v["kind"].get<std::string>());
    QCOMPARE(kinds, (std::vector<std::string> {"unplanned", "sequence.duplicate_key"}));
    QVERIFY(j["violations"][1]["sources"]
        == Json::array({data("session.har").toStdString() + "[3]", data("session.har").toStdString() + "[5]"}));
}

void TestCheck::harWithoutBodySaysWhy()
{
    const Run r = check(withContract({data("no-body.har")}));
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no-body.har[0] (POST http://localhost:8010/e/?compression=gzip-js): "), r.err.constData());
    QVERIFY2(r.err.contains("disable_compression"), r.err.constData());
}

void TestCheck::harBadBase64BodyIsAnError()
{
    // A base64 body with a character outside the alphabet is refused with the entry and the offset (a lenient
    // decoder would drop the '!' and read {"event":"a"} silently), by `check` and by the importer alike. An entry
    // that is neither read nor imported (a page asset) may hold anything.
    const auto har = [](const char* requestText) {
        Json entries = Json::array();
        entries.push_back({{"startedDateTime", "2024-06-01T10:00:00.000Z"},
            {"request",
                {{"method", "GET"}, {"url", "http://localhost:8010/static/app.js"}, {"headers", Json::array()}}},
            {"response", {{"status", 200}, {"content", {{"encoding", "base64"}, {"text", "not base64!"}}}}}});
        entries.push_back({{"startedDateTime", "2024-06-01T10:00:01.000Z"},
            {"request",
                {{"method", "POST"}, {"url", "http://localhost:8010/e/"}, {"headers", Json::array()},
                    {"postData", {{"mimeType", "application/json"}, {"encoding", "base64"}, {"text", requestText}}}}}});
        return Json {{"log", {{"entries", entries}}}}.dump();
    };
    const std::string good = har("eyJldmVudCI6ImEiLCJkaXN0aW5jdF9pZCI6InUifQ=="); // {"event":"a","distinct_id":"u"}
    const std::string bad = har("eyJldmVudCI6ImEi!fQ==");
    const std::string expected = "bad.har[1] (POST http://localhost:8010/e/): request.postData.text: invalid base64: "
                                 "unexpected character '!' at byte 16";

    el::OfflineInput input;
    std::string error;
    QVERIFY2(el::readOfflineInput("good.har", good, 0, input, error), error.c_str());
    QCOMPARE(input.events.size(), std::size_t(1));
    QCOMPARE(input.skippedRequests, 1);
    input = {};
    QVERIFY(!el::readOfflineInput("bad.har", bad, 0, input, error));
    QCOMPARE(error, expected);

    el::SessionData session;
    std::string why;
    QVERIFY2(el::importBytes("good.har", good, 0, session, why), why.c_str());
    QCOMPARE(session.events.size(), std::size_t(1));
    QVERIFY(!el::importBytes("bad.har", bad, 0, session, why));
    QVERIFY2(QString::fromStdString(why).contains(QString::fromStdString(expected)), why.c_str());
}

void TestCheck::jsonArrayInput()
{
    const Run r = check(withContract({QStringLiteral("--format"), QStringLiteral("json"), data("warnings.json")}));
    QCOMPARE(r.code, 0);
    const Json j = Json::parse(r.out.toStdString());
    QCOMPARE(j["events"].get<int>(), 2);
    QCOMPARE(j["violations"][1]["sources"][0].get<std::string>(), data("warnings.json").toStdString() + "[1]");
}

void TestCheck::multipleInputsKeepNumbering()
{
    const Run r = check(
        withContract({QStringLiteral("-f"), QStringLiteral("json"), data("clean.ndjson"), data("warnings.json")}));
    QCOMPARE(r.code, 0);
    const Json j = Json::parse(r.out.toStdString());
    QCOMPARE(j["events"].get<int>(), 5);
    QVERIFY(j["violations"][0]["seqs"] == Json::array({4}));
}

void TestCheck::outputFile()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("report.xml"));
    const Run r = check(
        withContract({QStringLiteral("--format=junit"), QStringLiteral("--output"), out, data("clean.ndjson")}));
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.isEmpty());
    QCOMPARE(r.err, QByteArray("checked 3 events against check-demo 1: no violations\n"));
    const QByteArray xml = slurp(out);
    QVERIFY(xml.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    QVERIFY(xml.contains("failures=\"0\""));
}

void TestCheck::outputOntoFifoKeepsIt()
{
    // `-o /dev/null` must write into the device, not rename a file onto it (as root that replaced the
    // machine's /dev/null with a regular file). A FIFO stands for any non-regular file, safely.
    QTemporaryDir dir;
    const QString fifo = dir.filePath(QStringLiteral("report.fifo"));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    QProcess reader; // the other end: cat copies what the FIFO receives into a file
    reader.setStandardOutputFile(dir.filePath(QStringLiteral("received.txt")));
    reader.start(QStringLiteral("cat"), {fifo});
    QVERIFY(reader.waitForStarted());
    const Run r = check(withContract({QStringLiteral("--output"), fifo, data("clean.ndjson")}));
    QCOMPARE(r.code, 0);
    QVERIFY2(reader.waitForFinished(10000), "cat never saw the writer close the FIFO");
    struct stat st
    { };
    QCOMPARE(::stat(QFile::encodeName(fifo).constData(), &st), 0);
    QVERIFY2(S_ISFIFO(st.st_mode), "the FIFO was replaced by a file");
    QVERIFY(slurp(dir.filePath(QStringLiteral("received.txt"))).contains("no violations"));
}

void TestCheck::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("no input") << withContract({}) << QByteArray("eventlens check: no input given");
    QTest::newRow("bad format")
        << withContract({QStringLiteral("--format"), QStringLiteral("xml"), data("clean.ndjson")})
        << QByteArray("eventlens check: unknown format \"xml\" (expected text, json, junit, html or markdown)");
    QTest::newRow("unknown option") << withContract({QStringLiteral("--frobnicate"), data("clean.ndjson")})
                                    << QByteArray("eventlens check: Unknown option 'frobnicate'.");
    QTest::newRow("missing input file") << withContract({data("nope.ndjson")})
                                        << QByteArray("eventlens check: cannot read ");
    QTest::newRow("invalid JSON line") << withContract({data("broken.ndjson")})
                                       << QByteArray("eventlens check: ") + data("broken.ndjson").toUtf8() + ":2: ";
    QTest::newRow("not an event") << withContract({data("not-an-event.ndjson")})
                                  << QByteArray("eventlens check: ") + data("not-an-event.ndjson").toUtf8() + ":1: ";
    QTest::newRow("missing contract") << QStringList {QStringLiteral("--contract"), data("nope.json"),
        data("clean.ndjson")} << QByteArray("eventlens check: cannot read contract file ");
    QTest::newRow("bad contract") << QStringList {QStringLiteral("--contract"), data("clean.ndjson"),
        data("clean.ndjson")} << QByteArray("eventlens check: ") + data("clean.ndjson").toUtf8() + ": invalid JSON";
    QTest::newRow("unknown builtin") << QStringList {QStringLiteral("--contract"), QStringLiteral("builtin:nope"),
        data("clean.ndjson")} << QByteArray("eventlens check: unknown built-in contract \"nope\"");
    QTest::newRow("unwritable output") << withContract(
        {QStringLiteral("--output"), QStringLiteral("/nonexistent/dir/report.txt"), data("clean.ndjson")})
                                       << QByteArray("eventlens check: cannot write /nonexistent/dir/report.txt");
}

void TestCheck::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, message);
    const Run r = check(args);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.startsWith(message), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void TestCheck::help()
{
    const Run r = check({QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("--contract <FILE|builtin:NAME>"));
    QVERIFY(r.out.contains("Exit status: 0"));
}

void TestCheck::builtinContract()
{
    if (el::builtinContracts().empty())
        QSKIP("no built-in contract compiled in");
    const std::string name = el::builtinContracts().front();
    const QString builtin = QString::fromStdString("builtin:" + name);
    // A stream that follows the open-design plan passes (exit 0) ...
    const Run valid = check(
        {QStringLiteral("--contract"), builtin, QStringLiteral(EVENTLENS_TEST_DATA "/open-design/valid.ndjson")});
    QVERIFY2(valid.code == 0, valid.out.constData());
    QVERIFY(valid.out.contains(QByteArray::fromStdString("against " + name)));
    QVERIFY(valid.out.contains("no violations"));
    // ... and clean.ndjson, clean for tests/data/check/contract.json, lacks the plan's super-properties (exit 1).
    const Run r = check({QStringLiteral("--contract"), builtin, data("clean.ndjson")});
    QVERIFY2(r.code == 1, r.err.constData());
    QVERIFY(r.out.contains("required property runtime_type is missing"));
}

void TestCheck::refCycleIsRefused_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QByteArray>("cycle");
    // Both crashed the process (stack overflow in valijson): the first on every event, the second at load.
    QTest::newRow("allOf to the root") << QByteArray(R"({"allOf": [{"$ref": "#"}]})")
                                       << QByteArray("# -> #/allOf/0 -> #");
    QTest::newRow("definition to itself")
        << QByteArray(R"({"definitions": {"d": {"$ref": "#/definitions/d"}}, "allOf": [{"$ref": "#/definitions/d"}]})")
        << QByteArray("#/definitions/d -> #/definitions/d");
}

void TestCheck::refCycleIsRefused()
{
    QFETCH(QByteArray, schema);
    QFETCH(QByteArray, cycle);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("cycle.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"name": "cycle", "version": "1", "events": {"run_created": {"schema": )" + schema + "}}}");
    f.close();
    const Run r = check({QStringLiteral("--contract"), path, data("clean.ndjson")});
    QCOMPARE(r.code, 2);
    const QByteArray expected = QByteArray("$ref cycle that consumes no input (it would recurse forever): ") + cycle;
    QVERIFY2(r.err.contains(expected), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

// The real executable, as CI and a shell run it: the exit status README.md documents for `eventlens check`
// (0 no errors, 1 errors, 2 usage error or unreadable input), the report on stdout, messages on stderr.
void TestCheck::binaryExitCodesAndOutput()
{
    const QString builtin = QStringLiteral("builtin:open-design");
    const QString openDesign = QStringLiteral(EVENTLENS_TEST_DATA "/open-design/");

    const eltest::Run valid = eltest::runEventlens(
        {QStringLiteral("check"), QStringLiteral("--contract"), builtin, openDesign + QLatin1String("valid.ndjson")});
    QVERIFY2(valid.failure.isEmpty(), qPrintable(valid.failure));
    QVERIFY2(valid.code == 0, valid.err.constData());
    QVERIFY2(valid.out.contains("no violations"), valid.out.constData());
    QVERIFY2(valid.err.isEmpty(), valid.err.constData());

    // An invalid stream: exit 1, and the JSON report equals the one of the in-process command.
    const QStringList invalidArgs = {QStringLiteral("--contract"), builtin, QStringLiteral("-f"),
        QStringLiteral("json"), openDesign + QLatin1String("invalid-unfinished-run.ndjson")};
    const eltest::Run invalid = eltest::runEventlens(QStringList {QStringLiteral("check")} + invalidArgs);
    QVERIFY2(invalid.failure.isEmpty(), qPrintable(invalid.failure));
    QVERIFY2(invalid.code == 1, invalid.err.constData());
    QVERIFY2(invalid.err.isEmpty(), invalid.err.constData());
    const Json report = Json::parse(invalid.out.toStdString(), nullptr, false);
    QVERIFY2(!report.is_discarded() && report.is_object(), invalid.out.constData());
    const Run inProcess = check(invalidArgs);
    QCOMPARE(inProcess.code, 1);
    const Json expectedReport = Json::parse(inProcess.out.toStdString(), nullptr, false);
    QVERIFY2(!expectedReport.is_discarded(), inProcess.out.constData());
    if (withoutTiming(report) != withoutTiming(expectedReport))
        QFAIL(qPrintable(
            QStringLiteral("binary:\n%1\nin-process:\n%2")
                .arg(QString::fromStdString(report.dump(1)), QString::fromStdString(expectedReport.dump(1)))));
    // ... and holds the violations the golden file lists.
    QFile goldenFile(openDesign + QLatin1String("invalid-unfinished-run.expected.json"));
    QVERIFY(goldenFile.open(QIODevice::ReadOnly));
    const Json golden = Json::parse(goldenFile.readAll().toStdString());
    Json found = Json::array();
    for (const Json& v : report["violations"])
        found.push_back(Json {{"kind", v["kind"]}, {"rule", v["rule"]}, {"path", v["path"]}});
    QVERIFY2(found == golden, found.dump().c_str());
    QVERIFY(report["summary"]["passed"] == Json(false));

    // An input that does not exist: exit 2, stderr names it, nothing on stdout.
    const QString missing = openDesign + QLatin1String("no-such-input.ndjson");
    const eltest::Run absent
        = eltest::runEventlens({QStringLiteral("check"), QStringLiteral("--contract"), builtin, missing});
    QVERIFY2(absent.failure.isEmpty(), qPrintable(absent.failure));
    QVERIFY2(absent.code == 2, absent.err.constData());
    const QByteArray cannotRead = QByteArray("eventlens check: cannot read ") + missing.toUtf8() + ": ";
    QVERIFY2(absent.err.startsWith(cannotRead), absent.err.constData());
    QVERIFY2(absent.out.isEmpty(), absent.out.constData());

    // An unknown option: exit 2, stderr names it, nothing on stdout.
    const eltest::Run bogus
        = eltest::runEventlens({QStringLiteral("check"), QStringLiteral("--bogus"), QStringLiteral("x")});
    QVERIFY2(bogus.failure.isEmpty(), qPrintable(bogus.failure));
    QVERIFY2(bogus.code == 2, bogus.err.constData());
    // QCommandLineParser names the option without its dashes.
    QVERIFY2(bogus.err.startsWith("eventlens check: Unknown option 'bogus'."), bogus.err.constData());
    QVERIFY2(bogus.out.isEmpty(), bogus.out.constData());
}

namespace {

/** Runs check with EVENTLENS_CHECK_CHUNK_BYTES = \a chunk (0: the default). */
Run checkWithChunk(const QStringList& args, int chunk)
{
    if (chunk > 0)
        qputenv("EVENTLENS_CHECK_CHUNK_BYTES", QByteArray::number(chunk));
    Run r = check(args);
    qunsetenv("EVENTLENS_CHECK_CHUNK_BYTES");
    return r;
}

void writeFile(const QString& path, const std::string& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(bytes.data(), qint64(bytes.size())), qint64(bytes.size()));
}

std::vector<std::string> lines(const QString& path)
{
    std::vector<std::string> out;
    const QByteArray bytes = slurp(path);
    for (const QByteArray& line : bytes.split('\n')) {
        if (!line.trimmed().isEmpty())
            out.push_back(line.trimmed().toStdString());
    }
    return out;
}

} // namespace

void TestCheck::streamingEqualsWholeFile()
{
    if (el::builtinContracts().empty())
        QSKIP("no built-in contract compiled in");
    // Thousands of open-design events: valid.ndjson again and again with fresh run ids (every 10th copy keeps
    // the original ones: repeated starts, second ends), the runs' ends 40 copies after their starts (pairs far
    // apart, in other chunks), the original $insert_ids (duplicate keys naming seqs far back), the invalid
    // samples interleaved, one event name changed in 13 (unplanned); plus blank lines, CRLF line ends, a line
    // longer than a chunk, and no newline after the last line.
    const QString od = QStringLiteral(EVENTLENS_TEST_DATA "/open-design/");
    const std::vector<std::string> valid = lines(od + QStringLiteral("valid.ndjson"));
    std::vector<std::string> invalid;
    for (const QString& f : QDir(od).entryList({QStringLiteral("invalid-*.ndjson")}, QDir::Files, QDir::Name)) {
        for (std::string& l : lines(od + f))
            invalid.push_back(std::move(l));
    }
    QVERIFY(valid.size() > 10 && !invalid.empty());
    const std::vector<std::string> runIds {"6a1f0c9e-2b7d-4c3e-9a8f-1e2d3c4b5a69", "run_7f3a9c21", "run_4c8e2b90"};
    std::vector<Json> events; // in file order
    std::deque<std::pair<int, std::vector<Json>>> deferredEnds;
    const int copies = 150;
    for (int k = 0; k < copies; ++k) {
        std::vector<Json> ends;
        for (std::size_t i = 0; i < valid.size(); ++i) {
            std::string line = valid[i];
            if (k % 10 != 0) {
                for (const std::string& id : runIds) {
                    for (std::size_t at = line.find(id); at != std::string::npos; at = line.find(id, at + 1))
                        line.replace(at, id.size(), id + "-" + std::to_string(k));
                }
            }
            Json e = Json::parse(line);
            if ((k * int(valid.size()) + int(i)) % 13 == 5)
                e["event"] = e["event"].get<std::string>() + "_typo";
            if (e["event"] == "run_finished")
                ends.push_back(std::move(e));
            else
                events.push_back(std::move(e));
        }
        events.push_back(Json::parse(invalid[std::size_t(k) % invalid.size()]));
        deferredEnds.emplace_back(k, std::move(ends));
        while (!deferredEnds.empty() && deferredEnds.front().first <= k - 40) {
            for (Json& e : deferredEnds.front().second)
                events.push_back(std::move(e));
            deferredEnds.pop_front();
        }
    }
    for (auto& [k, ends] : deferredEnds) {
        for (Json& e : ends)
            events.push_back(std::move(e));
    }
    const int chunk = 64 * 1024;
    events[events.size() / 2]["properties"]["long_text"] = std::string(std::size_t(chunk) * 3 / 2, 'x');

    std::string ndjson;
    std::vector<int> lineOf; // per event, its line in the NDJSON
    int line = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (i % 97 == 3) {
            ndjson += i % 2 ? "\n" : "   \r\n";
            ++line;
        }
        ndjson += events[i].dump() + (i % 5 == 1 ? "\r\n" : "\n");
        lineOf.push_back(++line);
    }
    ndjson.pop_back(); // no newline after the last line
    QVERIFY(ndjson.size() > std::size_t(20 * chunk));

    QTemporaryDir dir;
    const QString ndPath = dir.filePath(QStringLiteral("events.ndjson"));
    const QString arrayPath = dir.filePath(QStringLiteral("events.json"));
    writeFile(ndPath, ndjson);
    writeFile(arrayPath, Json(events).dump(1)); // one JSON array spanning lines: read whole
    const QStringList args {QStringLiteral("--contract"), QStringLiteral("builtin:open-design"), QStringLiteral("-f"),
        QStringLiteral("json")};

    const Run streamed = checkWithChunk(args + QStringList {ndPath}, chunk);
    QVERIFY2(streamed.code == 1, streamed.err.constData());
    const Run whole = checkWithChunk(args + QStringList {arrayPath}, 0);
    QVERIFY2(whole.code == 1, whole.err.constData());
    // The report is written piece by piece: the same bytes as nlohmann's dump(2) of the whole.
    QCOMPARE(streamed.out.toStdString(), Json::parse(streamed.out.toStdString()).dump(2) + "\n");
    QCOMPARE(whole.out.toStdString(), Json::parse(whole.out.toStdString()).dump(2) + "\n");
    Json s = withoutTiming(Json::parse(streamed.out.toStdString()));
    Json w = withoutTiming(Json::parse(whole.out.toStdString()));
    QCOMPARE(s["events"].get<std::size_t>(), events.size());
    QVERIFY(s["violations"].size() > 300);
    // The array names events "file[index]", NDJSON "file:line".
    std::map<std::string, std::string> arrayName;
    for (std::size_t i = 0; i < events.size(); ++i)
        arrayName[ndPath.toStdString() + ":" + std::to_string(lineOf[i])]
            = arrayPath.toStdString() + "[" + std::to_string(i) + "]";
    for (Json& v : s["violations"]) {
        for (Json& src : v["sources"]) {
            QVERIFY2(arrayName.count(src.get<std::string>()), src.dump().c_str());
            src = arrayName[src.get<std::string>()];
        }
    }
    QVERIFY(s["violations"].size() == w["violations"].size());
    for (std::size_t i = 0; i < s["violations"].size(); ++i)
        QVERIFY2(s["violations"][i] == w["violations"][i],
            (s["violations"][i].dump() + "\n" + w["violations"][i].dump()).c_str());
    QVERIFY(s == w);

    // The report spooled to a temporary file piece by piece (EVENTLENS_CHECK_REPORT_MEMORY=0 spools every full
    // piece of 1 MiB; a large report does so past 16 MiB): the same bytes, in JSON (several pieces) and in text.
    const QStringList textArgs {QStringLiteral("--contract"), QStringLiteral("builtin:open-design"), ndPath};
    const Run text = checkWithChunk(textArgs, chunk);
    qputenv("EVENTLENS_CHECK_REPORT_MEMORY", "0");
    const Run spooled = checkWithChunk(args + QStringList {ndPath}, chunk);
    const Run spooledText = checkWithChunk(textArgs, chunk);
    qunsetenv("EVENTLENS_CHECK_REPORT_MEMORY");
    QVERIFY2(streamed.out.size() > (1 << 20), QByteArray::number(streamed.out.size())); // more than one piece
    QVERIFY(spooled.out == streamed.out);
    QVERIFY(!text.out.isEmpty() && spooledText.out == text.out);

    // The same file in one chunk, and through the whole-file reader as `eventlens check` read it before
    // (readOfflineInput + ContractEngine::onEvent), give the same report.
    const Run oneChunk = checkWithChunk(args + QStringList {ndPath}, 0);
    QVERIFY(withoutTiming(Json::parse(oneChunk.out.toStdString()))
        == withoutTiming(Json::parse(streamed.out.toStdString())));
    std::string error;
    const auto contract = el::loadContract("builtin:open-design", error);
    QVERIFY2(contract, error.c_str());
    el::OfflineInput input;
    QVERIFY2(el::readOfflineInput(ndPath.toStdString(), ndjson, 0, input, error), error.c_str());
    el::ContractEngine engine(contract);
    std::vector<el::Violation> expected;
    for (const el::Event& e : input.events) {
        for (el::Violation& v : engine.onEvent(e))
            expected.push_back(std::move(v));
    }
    for (el::Violation& v : engine.finish())
        expected.push_back(std::move(v));
    const Json got = Json::parse(streamed.out.toStdString())["violations"];
    QCOMPARE(got.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        Json j = expected[i].toJson();
        j["event"] = input.events[std::size_t(expected[i].seqs.back() - 1)].name();
        Json sources = Json::array();
        for (qint64 seq : expected[i].seqs)
            sources.push_back(input.sources[std::size_t(seq - 1)]);
        j["sources"] = sources;
        QVERIFY2(got[i] == j, (got[i].dump() + "\n" + j.dump()).c_str());
    }

    // Text and JUnit: streamed in small chunks == in one chunk.
    for (const char* format : {"text", "junit"}) {
        const QStringList a {QStringLiteral("--contract"), QStringLiteral("builtin:open-design"), QStringLiteral("-f"),
            QLatin1String(format), ndPath};
        const Run small = checkWithChunk(a, chunk);
        const Run big = checkWithChunk(a, 0);
        QCOMPARE(small.code, 1);
        QVERIFY2(small.out == big.out, format);
        QVERIFY(small.out.size() > 10000);
    }
}

void TestCheck::streamingInputError()
{
    // A bad line far into a file read in many chunks: exit 2, the whole-file message, no report.
    std::string ndjson;
    const std::string line = lines(data("clean.ndjson")).front();
    for (int i = 0; i < 3000; ++i)
        ndjson += (i == 2500 ? std::string("{\"event\": oops}") : line) + "\n";
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.ndjson"));
    writeFile(path, ndjson);
    const Run r = checkWithChunk(withContract({path}), 4096);
    QCOMPARE(r.code, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.startsWith(QByteArray::fromStdString("eventlens check: " + path.toStdString() + ":2501: ")),
        r.err.constData());
    std::string error;
    el::OfflineInput input;
    QVERIFY(!el::readOfflineInput(path.toStdString(), ndjson, 0, input, error));
    QCOMPARE(r.err, QByteArray::fromStdString("eventlens check: " + error + "\n"));
}

void TestCheck::sessionFileInput()
{
    // A session file (as the sink writes it) gives the verdict of the same events read from NDJSON; only the
    // sources differ ("FILE#SEQ"). Also what `diff` reads, through the same reader.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString ndjson = data("errors.ndjson");
    el::OfflineInput input;
    std::string error;
    QVERIFY2(
        el::readOfflineInput("errors.ndjson", slurp(ndjson).toStdString(), 1700000000000, input, error), error.c_str());
    const QString session = dir.filePath(QStringLiteral("recorded.elsession"));
    const QString written = eltest::writeSessionFile(session, std::move(input.events));
    QVERIFY2(written.isEmpty(), qPrintable(written));
    const Run fromText = check(withContract({QStringLiteral("--format"), QStringLiteral("json"), ndjson}));
    const Run fromSession = check(withContract({QStringLiteral("--format"), QStringLiteral("json"), session}));
    QCOMPARE(fromSession.code, 1);
    QCOMPARE(fromSession.code, fromText.code);
    el::Json a = el::Json::parse(fromText.out.toStdString());
    el::Json b = el::Json::parse(fromSession.out.toStdString(), nullptr, false);
    QVERIFY2(b.is_object(), fromSession.err.constData());
    for (el::Json* j : {&a, &b}) {
        (*j)["summary"].erase("requests"); // the session file has one request, the NDJSON one per line
        for (el::Json& v : (*j)["violations"])
            v.erase("sources");
    }
    QCOMPARE(b["summary"].dump(), a["summary"].dump());
    QCOMPARE(b["violations"].dump(), a["violations"].dump());
    QCOMPARE(b["coverage"].dump(), a["coverage"].dump());
    QVERIFY(fromSession.out.contains("recorded.elsession#"));

    // A damaged session file is an input error (exit 2), not a crash.
    const QString damaged = dir.filePath(QStringLiteral("damaged.elsession"));
    writeFile(damaged, std::string("SQLite format 3\0", 16) + std::string(100, 'x'));
    const Run bad = check(withContract({damaged}));
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("cannot read session file"), bad.err.constData());
}

void TestCheck::secretIsMaskedInEveryFormat()
{
    // Issue 18's done-when: a BYOK run_finished carrying an Anthropic key (nested in a property) is an error of the
    // built-in contract at that property's pointer, and no report repeats the key: message, event examples, coverage.
    const QString input = QStringLiteral(EVENTLENS_TEST_DATA "/open-design/invalid-byok-secret.ndjson");
    const QByteArray raw = slurp(input);
    QVERIFY(raw.contains("sk-ant-api03-Qx7vR2mT9pLk4sWn8dHf3jZc6yBa1eUo5iGt0rXq"));
    for (const char* format : {"text", "json", "junit", "html", "markdown"}) {
        const Run r = check({QStringLiteral("--contract"), QStringLiteral("builtin:open-design"),
            QStringLiteral("--format"), QLatin1String(format), input});
        QVERIFY2(r.code == 1, format);
        QVERIFY2(!r.out.contains("Qx7vR2mT9pLk4sWn8dHf3jZc6yBa1eUo5iGt0rXq"), format);
        QVERIFY2(!r.out.contains("aS_dF3fQa"), format); // not even a longer tail than the mask keeps
        QVERIFY2(r.out.contains("sk-ant-\xE2\x80\xA6"
                                "3fQa"),
            format);
    }
    const Run json = check({QStringLiteral("--contract"), QStringLiteral("builtin:open-design"),
        QStringLiteral("--format"), QStringLiteral("json"), input});
    const el::Json report = el::Json::parse(json.out.toStdString());
    QCOMPARE(report["violations"].size(), std::size_t(1));
    const el::Json& v = report["violations"][0];
    QCOMPARE(v["kind"].get<std::string>(), std::string("secret"));
    QCOMPARE(v["severity"].get<std::string>(), std::string("error"));
    QCOMPARE(v["path"].get<std::string>(), std::string("/properties/provider_request/headers/x-api-key"));
}

QTEST_GUILESS_MAIN(TestCheck)
/**
 * A run leaves the engine as soon as it ends (ContractEngine::setRunSink), so runs reach the report in the order
 * they end; every format still lists them in the order they were created, and a second end of a run that has
 * left is still named with the first end's seq. Spooled (EVENTLENS_CHECK_REPORT_MEMORY=0) or not: the same.
 */
void TestCheck::runsListedInCreationOrder()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("order.ndjson"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    auto ev = [](const char* name, const char* run, int second, const char* extra = "") -> QByteArray {
        return QByteArray("{\"event\": \"") + name + "\", \"distinct_id\": \"u1\", \"timestamp\": \"2024-06-01T10:00:"
            + QByteArray::number(second).rightJustified(2, '0') + ".000Z\", \"properties\": {\"run_id\": \"" + run
            + "\", \"runtime_type\": \"byok\"" + extra + "}}\n";
    };
    f.write(ev("run_created", "r1", 1)); // seq 1: still open at the end (unfinished)
    f.write(ev("run_created", "r2", 2)); // seq 2
    f.write(ev("run_created", "r3", 3)); // seq 3
    f.write(ev("run_finished", "r3", 4, ", \"result\": \"success\"")); // seq 4: r3 ends first
    f.write(ev("run_finished", "r4", 5, ", \"result\": \"success\"")); // seq 5: orphan r4
    f.write(ev("run_finished", "r2", 6, ", \"result\": \"failed\"")); // seq 6: r2 ends
    f.write(ev("run_finished", "r3", 7, ", \"result\": \"success\"")); // seq 7: second end of r3
    f.close();

    for (const char* memory : {"", "0"}) {
        if (*memory)
            qputenv("EVENTLENS_CHECK_REPORT_MEMORY", memory);
        const Run r = check(withContract({QStringLiteral("--format"), QStringLiteral("json"), path}));
        const Run junit = check(withContract({QStringLiteral("--format"), QStringLiteral("junit"), path}));
        const Run html = check(withContract({QStringLiteral("--format"), QStringLiteral("html"), path}));
        qunsetenv("EVENTLENS_CHECK_REPORT_MEMORY");
        const Json j = Json::parse(r.out.toStdString(), nullptr, false);
        QVERIFY2(!j.is_discarded(), r.out.constData());
        std::vector<std::string> keys;
        std::vector<std::string> states;
        for (const Json& run : j["runs"]) {
            keys.push_back(run["key"].get<std::string>());
            states.push_back(run["state"].get<std::string>());
        }
        QCOMPARE(keys, (std::vector<std::string> {"r1", "r2", "r3", "r4"}));
        QCOMPARE(states, (std::vector<std::string> {"unfinished", "finished", "finished", "orphan"}));
        bool second = false;
        for (const Json& v : j["violations"]) {
            if (v["kind"] == "sequence.duplicate_end") {
                second = true;
                QVERIFY(v["seqs"] == Json::array({3, 4, 7}));
                QVERIFY2(v["message"].get<std::string>().find("(the first was seq 4)") != std::string::npos,
                    v["message"].dump().c_str());
                QCOMPARE(v["sources"][0].get<std::string>(), path.toStdString() + ":3");
            }
        }
        QVERIFY(second);
        // JUnit: one testcase per run, in creation order
        const QByteArray x = junit.out;
        const qsizetype a = x.indexOf("r1"), b = x.indexOf("r2"), c = x.indexOf("r3"), d = x.indexOf("r4");
        QVERIFY2(a >= 0 && a < b && b < c && c < d, x.constData());
        // HTML: runs that went wrong (r1 unfinished, r4 orphan) first, then the others, each in creation order
        const QByteArray runs = html.out.mid(html.out.indexOf("<h2>Runs</h2>"));
        const auto at
            = [&runs](const char* key) { return runs.indexOf(QByteArray(QByteArray("<code>") + key + "</code>")); };
        QVERIFY2(at("r1") > 0 && at("r1") < at("r4") && at("r4") < at("r2") && at("r2") < at("r3"), runs.constData());
    }
}

#include "tst_check.moc"
