// SPDX-License-Identifier: MIT
// Issue 16: `eventlens check --format html|markdown` and the `coverage` of the JSON report, on the open-design
// golden examples. The HTML is rendered by headless Chromium (Debian's `chromium`): it must render, make no
// request, and every number it shows (data-k/data-v) must be the JSON report's for the same input, recomputed here
// independently from the JSON (the funnel from the runs, the rule counts from the summary, the coverage).
#include "pipeline/capture.h"
#include "report/sessionreport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <nlohmann/json.hpp>

#include <map>
#include <set>

using Json = nlohmann::json;

namespace {

const QString kGolden = QStringLiteral(EVENTLENS_TEST_DATA "/open-design/");

/** Valid traffic plus broken runs: a pinned mismatch, an unfinished run, a runtime_type outside the enum. */
QStringList inputs()
{
    QStringList out;
    for (const char* f : {"valid.ndjson", "invalid-pinned-runtime-type.ndjson", "invalid-unfinished-run.ndjson",
             "invalid-runtime-type-both.ndjson", "invalid-missing-run-id.ndjson"})
        out << kGolden + QLatin1String(f);
    return out;
}

/** `eventlens check --contract builtin:open-design -f FORMAT -o FILE inputs()`: the report's bytes. */
QByteArray report(const QString& format, QTemporaryDir& dir)
{
    const QString out = dir.filePath(QStringLiteral("report.") + format);
    QProcess p;
    p.start(QStringLiteral(EVENTLENS_BINARY),
        QStringList {QStringLiteral("check"), QStringLiteral("--contract"), QStringLiteral("builtin:open-design"),
            QStringLiteral("-f"), format, QStringLiteral("-o"), out}
            + inputs());
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() > 1)
        return {};
    QFile f(out);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/** The numbers the HTML must show, from the JSON report alone. */
std::map<std::string, std::uint64_t> expectedNumbers(const Json& j)
{
    std::map<std::string, std::uint64_t> n;
    const Json& s = j["summary"];
    n["events"] = s["events"].get<std::uint64_t>();
    n["errors"] = s["errors"].get<std::uint64_t>();
    n["warnings"] = s["warnings"].get<std::uint64_t>();
    n["violations"] = s["violations"].get<std::uint64_t>();
    n["runs"] = j["runs"].size();
    for (auto it = s["by_rule"].begin(); it != s["by_rule"].end(); ++it)
        n["rule." + it.key()] = it->get<std::uint64_t>();
    for (const char* planned : {"amr_cloud", "byok", "local_cli", "none"})
        for (const char* c : {"created", "finished", "success", "failed", "cancelled", "other", "open", "unfinished"})
            n[std::string("funnel.") + planned + "." + c] = 0;
    for (const Json& run : j["runs"]) {
        const std::string state = run["state"];
        if (state == "orphan")
            continue;
        const Json& pinned = run["pinned"];
        const std::string type = !pinned.contains("runtime_type") ? "missing"
            : pinned["runtime_type"].is_string()                  ? pinned["runtime_type"].get<std::string>()
                                                                  : pinned["runtime_type"].dump();
        const std::string k = "funnel." + type + ".";
        ++n[k + "created"];
        if (state == "open" || state == "unfinished") {
            ++n[k + state];
            continue;
        }
        ++n[k + "finished"];
        const Json& result = run["result"];
        const std::string r = result.is_string() ? result.get<std::string>() : result.dump();
        // the open-design results; anything else would be "other"
        ++n[k + (r == "success" ? "success" : r == "failed" ? "failed" : r == "cancelled" ? "cancelled" : "other")];
    }
    for (const Json& e : j["coverage"]) {
        const std::string event = e["event"];
        n["coverage." + event + ".count"] = e["count"].get<std::uint64_t>();
        for (const Json& p : e["properties"])
            n["coverage." + event + "." + p["name"].get<std::string>() + ".present"]
                = p["present"].get<std::uint64_t>();
    }
    return n;
}

/** Reads the proxy's connections: the request line of each. */
class RequestTrap : public QObject
{
public:
    RequestTrap()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, s] {
                    const QByteArray line = s->readAll().split('\n').value(0).trimmed();
                    if (!line.isEmpty())
                        requests << QString::fromLatin1(line);
                    s->disconnectFromHost();
                });
            }
        });
        m_server.listen(QHostAddress::LocalHost);
    }
    quint16 port() const { return m_server.serverPort(); }
    QStringList requests;

private:
    QTcpServer m_server;
};

} // namespace

class TestReport : public QObject
{
    Q_OBJECT

private slots:
    void jsonCarriesCoverage();
    void markdown();
    void htmlIsSelfContained();
    void htmlRendersTheJsonNumbers();
    void sessionReportAgreesWithCheck();
};

void TestReport::jsonCarriesCoverage()
{
    QTemporaryDir dir;
    const Json j = Json::parse(report(QStringLiteral("json"), dir).toStdString(), nullptr, false);
    QVERIFY(!j.is_discarded());
    QVERIFY(j["coverage"].is_array());
    auto entry = [&](const char* event, const char* property) -> const Json* {
        for (const Json& e : j["coverage"]) {
            if (e["event"] != event)
                continue;
            for (const Json& p : e["properties"])
                if (p["name"] == property)
                    return &p;
        }
        return nullptr;
    };
    auto count = [&](const char* event) {
        for (const Json& e : j["coverage"])
            if (e["event"] == event)
                return e["count"].get<std::uint64_t>();
        return std::uint64_t(0);
    };
    // runtime_type comes first and is on every run_created; its values add up to it.
    for (const Json& e : j["coverage"]) {
        if (e["event"] == "run_created")
            QCOMPARE(e["properties"][0]["name"].get<std::string>(), std::string("runtime_type"));
    }
    const Json* rt = entry("run_created", "runtime_type");
    QVERIFY(rt);
    QCOMPARE((*rt)["present"].get<std::uint64_t>(), count("run_created"));
    QCOMPARE((*rt)["missing"].get<std::uint64_t>(), std::uint64_t(0));
    QVERIFY((*rt)["required"].get<bool>() && (*rt)["super_property"].get<bool>() && !(*rt)["flagged"].get<bool>());
    std::uint64_t sum = 0;
    for (auto it = (*rt)["values"].begin(); it != (*rt)["values"].end(); ++it)
        sum += it->get<std::uint64_t>();
    QCOMPARE(sum, (*rt)["present"].get<std::uint64_t>());
    // invalid-runtime-type-both: a page_view with "both", outside the enum: counted, invalid, flagged.
    const Json* pv = entry("page_view", "runtime_type");
    QVERIFY(pv);
    QCOMPARE((*pv)["values"]["both"].get<std::uint64_t>(), std::uint64_t(1));
    QCOMPARE((*pv)["invalid"].get<std::uint64_t>(), std::uint64_t(1));
    QVERIFY((*pv)["flagged"].get<bool>());
    // invalid-missing-run-id: a run_created without run_id: missing once, flagged.
    const Json* runId = entry("run_created", "run_id");
    QVERIFY(runId);
    QCOMPARE((*runId)["missing"].get<std::uint64_t>(), std::uint64_t(1));
    QCOMPARE((*runId)["present"].get<std::uint64_t>() + 1, count("run_created"));
    QVERIFY((*runId)["flagged"].get<bool>());
}

void TestReport::markdown()
{
    QTemporaryDir dir;
    const QString md = QString::fromUtf8(report(QStringLiteral("markdown"), dir));
    QVERIFY(md.startsWith(QStringLiteral("## EventLens: ❌ FAIL — open-design")));
    QVERIFY(md.contains(QStringLiteral("### Runs by runtime_type")));
    QVERIFY(md.contains(QRegularExpression(QStringLiteral("\\| `byok` \\| [1-9]"))));
    QVERIFY(md.contains(QStringLiteral("| `run_created` |")));
    QVERIFY(md.contains(QStringLiteral("**`run-lifecycle`** (")));
    QVERIFY(md.size() < 20000); // short enough to paste into a comment
}

void TestReport::htmlIsSelfContained()
{
    QTemporaryDir dir;
    const QString html = QString::fromUtf8(report(QStringLiteral("html"), dir));
    QVERIFY(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
    QVERIFY(html.contains(QStringLiteral("default-src 'none'")));
    QVERIFY(!html.contains(QStringLiteral("<script"), Qt::CaseInsensitive));
    // No attribute or CSS that loads anything (the SVG's xmlns is a name, not a load).
    const QRegularExpression load(
        QStringLiteral("(src|href)\\s*=|url\\(|@import"), QRegularExpression::CaseInsensitiveOption);
    QVERIFY2(!html.contains(load), qPrintable(load.match(html).captured(0)));
    QVERIFY(html.contains(QStringLiteral("<mark")));
}

void TestReport::htmlRendersTheJsonNumbers()
{
    const QString chromium = QStandardPaths::findExecutable(QStringLiteral("chromium"));
    if (chromium.isEmpty()) {
        if (qEnvironmentVariable("CI") == QLatin1String("true"))
            QFAIL("chromium is not installed (.ci/deps installs it)");
        QSKIP("chromium is not installed");
    }
    QTemporaryDir dir;
    QVERIFY(!report(QStringLiteral("html"), dir).isEmpty());
    const Json j = Json::parse(report(QStringLiteral("json"), dir).toStdString(), nullptr, false);
    QVERIFY(!j.is_discarded());

    // Every request of the browser goes to this trap (loopback too). Chromium asks Google's update and time
    // services on its own; anything else would come from the page.
    RequestTrap trap;
    QProcess p;
    p.start(chromium,
        {QStringLiteral("--headless=new"), QStringLiteral("--no-sandbox"), QStringLiteral("--disable-gpu"),
            QStringLiteral("--no-first-run"), QStringLiteral("--disable-background-networking"),
            QStringLiteral("--disable-component-update"), QStringLiteral("--disable-extensions"),
            QStringLiteral("--user-data-dir=") + dir.filePath(QStringLiteral("profile")),
            QStringLiteral("--proxy-server=http://127.0.0.1:%1").arg(trap.port()),
            QStringLiteral("--proxy-bypass-list=<-loopback>"), QStringLiteral("--dump-dom"),
            QUrl::fromLocalFile(dir.filePath(QStringLiteral("report.html"))).toString()});
    QVERIFY(p.waitForStarted(10000));
    QElapsedTimer t;
    t.start();
    while (p.state() != QProcess::NotRunning && t.elapsed() < 90000)
        QTest::qWait(50); // the trap answers on this thread
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, p.readAllStandardError().constData());
    const QString dom = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(dom.contains(QStringLiteral("data-verdict=\"fail\"")), "the rendered page has no verdict banner");

    for (const QString& r : trap.requests) {
        const bool browserOwn = r.contains(QStringLiteral("google.com")) || r.contains(QStringLiteral("googleapis.com"))
            || r.contains(QStringLiteral("gvt1.com"));
        QVERIFY2(browserOwn, qPrintable(QStringLiteral("the report made a request: ") + r));
    }

    std::map<std::string, std::uint64_t> shown;
    const QRegularExpression number(QStringLiteral("data-k=\"([^\"]+)\" data-v=\"([0-9]+)\""));
    for (auto it = number.globalMatch(dom); it.hasNext();) {
        const auto m = it.next();
        shown[m.captured(1).toStdString()] = m.captured(2).toULongLong();
    }
    const std::map<std::string, std::uint64_t> expected = expectedNumbers(j);
    for (const auto& [key, value] : expected) {
        const auto found = shown.find(key);
        QVERIFY2(found != shown.end(), ("not shown: " + key).c_str());
        QVERIFY2(found->second == value,
            (key + ": the page shows " + std::to_string(found->second) + ", the JSON says " + std::to_string(value))
                .c_str());
    }
    for (const auto& [key, value] : shown)
        QVERIFY2(expected.count(key), ("shown but not in the JSON report: " + key).c_str());
}

void TestReport::sessionReportAgreesWithCheck()
{
    // File ▸ Export Report… reports on a session; the same events imported into a session give the coverage,
    // the counts and the per-event violations that `check` gives (check ends the open runs; a live session does
    // not, so the sequence rules are left out of the comparison).
    QTemporaryDir dir;
    const Json j = Json::parse(report(QStringLiteral("json"), dir).toStdString(), nullptr, false);
    QVERIFY(!j.is_discarded());
    el::Capture capture;
    std::string error;
    QVERIFY2(capture.loadContractNow("builtin:open-design", error), error.c_str());
    // One file: an import replaces what the session held.
    QFile all(dir.filePath(QStringLiteral("all.ndjson")));
    QVERIFY(all.open(QIODevice::WriteOnly));
    for (const QString& input : inputs()) {
        QFile f(input);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray bytes = f.readAll();
        if (!bytes.endsWith('\n'))
            bytes += '\n';
        all.write(bytes);
    }
    all.close();
    std::string why;
    QVERIFY2(capture.importFile(all.fileName(), why), why.c_str());
    const el::ReportData r = el::sessionReport(capture);
    QCOMPARE(r.events, j["events"].get<qint64>());
    QCOMPARE(Json(r.coverage).dump(), j["coverage"].dump());
    for (const el::ReportRule& rule : r.rules) {
        if (rule.kind.rfind("sequence.", 0) == 0)
            continue;
        QVERIFY2(j["summary"]["by_rule"].value(rule.rule, 0) == int(rule.count), rule.rule.c_str());
    }
    QVERIFY(!r.rules.empty());
    // Only the rows of a filter: the events of the first input (valid.ndjson, no per-event violation).
    std::vector<qint64> seqs;
    for (const el::EventPtr& e : capture.store()->events())
        if (e->seq <= 21)
            seqs.push_back(e->seq);
    const el::ReportData some = el::sessionReport(capture, &seqs);
    QCOMPARE(some.events, qint64(21));
    QCOMPARE(some.errors, std::uint64_t(0));
    const std::string html = el::renderHtmlReport(some);
    QVERIFY(html.find("data-verdict=\"pass\"") != std::string::npos);
}

QTEST_GUILESS_MAIN(TestReport)
#include "tst_report.moc"
