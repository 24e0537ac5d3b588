// SPDX-License-Identifier: MIT
// Issue 15: contract reload, open session and import run in the background, with progress and Cancel;
// the event loop keeps turning, live traffic is kept and judged by the new contract, the API answers.
#include "contract/contract.h"
#include "contract/contractengine.h"
#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"

#include "jsoncompare.h"
#include "rawhttp.h"

#include <QDateTime>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <memory>

using namespace el;
using namespace eltest;

namespace {

Json contractJson(bool strict)
{
    Json c = Json::parse(R"({
      "name": "reload-a", "version": "1",
      "globals": {"id": "globals", "severity": "error",
        "schema": {"properties": {"runtime_type": {"enum": ["amr_cloud", "byok", "local_cli", "none"]}}}, "exempt": []},
      "events": {}, "unplanned_events": {"mode": "allow", "allow": ["*"]},
      "sequences": [
        {"id": "run-lifecycle", "type": "pair", "start": "run_created", "end": "run_finished",
         "key": "/properties/run_id", "within_ms": 600000, "at_most_once": true, "pinned": ["runtime_type"],
         "severity": "error"}]})");
    if (strict) {
        // The new contract: byok is no longer allowed, and $insert_id must be unique.
        c["name"] = "reload-b";
        c["globals"]["schema"]["properties"]["runtime_type"]["enum"] = Json::array({"amr_cloud", "local_cli", "none"});
        c["sequences"].push_back(Json {{"id", "uniq"}, {"type", "unique"}, {"events", {"*"}},
            {"key", "/properties/$insert_id"}, {"severity", "warning"}});
    }
    return c;
}

std::shared_ptr<const Contract> makeContract(bool strict)
{
    std::string error;
    auto c = Contract::fromJson(contractJson(strict), "test", error);
    if (!c)
        qFatal("contract: %s", error.c_str());
    return c;
}

/** A /batch/ request of \a count events numbered from \a first: runs, plain events, some invalid. */
HttpRequest batch(int first, int count)
{
    static const char* kRuntimes[] = {"amr_cloud", "byok", "local_cli", "bogus"};
    Json events = Json::array();
    for (int i = first; i < first + count; ++i) {
        const int run = i / 3;
        const char* name = i % 3 == 0 ? "run_created" : i % 3 == 1 ? "qa_event" : "run_finished";
        if (i % 3 == 2 && run % 7 == 0)
            name = "run_created"; // a second start of the same run
        events.push_back(Json {{"event", name}, {"distinct_id", "u" + std::to_string(run % 13)},
            {"properties",
                {{"run_id", "r" + std::to_string(run)}, {"runtime_type", kRuntimes[run % 4]},
                    {"$insert_id", "i" + std::to_string(i % 5000)}}}});
    }
    HttpRequest r;
    r.method = "POST";
    r.path = "/batch/";
    r.body = Json {{"api_key", "k"}, {"batch", std::move(events)}}.dump();
    return r;
}

/** Ingests \a count events through the product path and waits until they are committed. */
void ingest(Capture& capture, int first, int count, int perRequest = 500)
{
    for (int i = first; i < first + count; i += perRequest)
        capture.ingestAsync(batch(i, std::min(perRequest, first + count - i)), Endpoint::Batch, {});
    capture.drainIngests();
}

std::vector<std::string> dumps(const std::vector<Violation>& violations)
{
    std::vector<std::string> out;
    for (const Violation& v : violations)
        out.push_back(v.toJson().dump());
    return out;
}

std::vector<std::string> storeViolations(const Capture& capture)
{
    const auto& all = capture.store()->violations();
    return dumps(std::vector<Violation>(all.begin(), all.end()));
}

/**
 * The verdicts of the old synchronous path: a fresh engine fed the store's events in order, then a tick
 * (a reload), or finish() (an import, a closed input).
 */
std::vector<std::string> expectedViolations(
    const std::shared_ptr<const Contract>& contract, const Capture& capture, bool closedInput = false)
{
    ContractEngine engine(contract);
    std::vector<Violation> all;
    for (const EventPtr& e : capture.store()->events()) {
        auto v = engine.onEvent(*e);
        all.insert(all.end(), v.begin(), v.end());
    }
    auto late = closedInput ? engine.finish() : engine.onTick(QDateTime::currentMSecsSinceEpoch());
    all.insert(all.end(), late.begin(), late.end());
    return dumps(all);
}

std::vector<std::string> runsOf(const std::vector<RunInfo>& runs)
{
    std::vector<std::string> out;
    for (const RunInfo& r : runs)
        out.push_back(r.toJson().dump());
    return out;
}

std::vector<std::string> expectedRuns(const std::shared_ptr<const Contract>& contract, const Capture& capture)
{
    ContractEngine engine(contract);
    for (const EventPtr& e : capture.store()->events())
        engine.onEvent(*e);
    engine.onTick(QDateTime::currentMSecsSinceEpoch());
    return runsOf(engine.runs());
}

/** Holds every judge worker at the start of its next chunk until released. */
struct Gate
{
    std::shared_ptr<std::atomic<bool>> closed = std::make_shared<std::atomic<bool>>(true);
    void install(Capture& capture)
    {
        capture.setJudgeHookForTesting([closed = closed] {
            while (closed->load())
                QThread::msleep(1);
        });
    }
    void open() { closed->store(false); }
};

} // namespace

class TestReload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<el::Capture::JobKind>(); }

    // 50,000 events judged again in the background: the event loop turns all along, progress comes in order,
    // and the verdicts are those of the synchronous path.
    void reloadDoesNotBlock()
    {
        Capture capture;
        capture.setContractNow(makeContract(false), "a");
        ingest(capture, 0, 50000);
        QCOMPARE(capture.store()->events().size(), std::size_t(50000));
        const auto strict = makeContract(true);

        QSignalSpy started(&capture, &Capture::judgingStarted);
        QSignalSpy progress(&capture, &Capture::judgingProgress);
        QSignalSpy finished(&capture, &Capture::judgingFinished);
        QSignalSpy changed(&capture, &Capture::contractChanged);
        int ticks = 0;
        QTimer ticker;
        ticker.setInterval(1);
        connect(&ticker, &QTimer::timeout, this, [&] { ticks += capture.isJudging() ? 1 : 0; });
        ticker.start();
        bool applied = false;
        capture.setContract(strict, "b", [&](bool ok) { applied = ok; });
        QVERIFY(capture.isJudging());
        QCOMPARE(capture.judgingKind(), Capture::JobKind::Contract);
        QCOMPARE(capture.contractName(), std::string("reload-a")); // the old one judges until the swap
        QCOMPARE(changed.count(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 120000);
        ticker.stop();

        QVERIFY2(ticks > 3, qPrintable(QStringLiteral("the event loop turned %1 times during the reload").arg(ticks)));
        QCOMPARE(started.count(), 1);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(1).toBool(), false);
        QVERIFY(finished.at(0).at(2).toString().isEmpty());
        QVERIFY(applied);
        QCOMPARE(changed.count(), 1);
        QVERIFY(progress.count() >= 2);
        qint64 last = -1;
        for (const QList<QVariant>& p : progress) {
            const qint64 done = p.at(0).toLongLong();
            const qint64 total = p.at(1).toLongLong();
            QVERIFY(done >= last);
            QVERIFY(done <= total);
            QCOMPARE(total, qint64(50000));
            last = done;
        }
        QCOMPARE(last, qint64(50000)); // the last progress counts every event (the window's final message)
        QCOMPARE(capture.contractName(), std::string("reload-b"));
        QCOMPARE(capture.contractOrigin(), std::string("b"));
        const auto expected = expectedViolations(strict, capture);
        QVERIFY(expected.size() > 1000);
        QCOMPARE(storeViolations(capture), expected);
        QCOMPARE(runsOf(capture.runs()), expectedRuns(strict, capture));
    }

    // Requests that arrive while the new contract catches up are kept and acknowledged at once (by the old
    // contract), then judged by the new one: nothing twice, nothing lost.
    void ingestDuringReload()
    {
        Capture capture;
        capture.setContractNow(makeContract(false), "a");
        ingest(capture, 0, 5000);
        Gate gate;
        gate.install(capture);
        const auto strict = makeContract(true);
        capture.setContract(strict, "b");
        QVERIFY(capture.isJudging());
        int acks = 0;
        for (int i = 5000; i < 8000; i += 100)
            capture.ingestAsync(batch(i, 100), Endpoint::Batch, [&](const IngestOutcome& o, bool durable) {
                QVERIFY(o.ok() && durable);
                ++acks;
            });
        QTRY_COMPARE_WITH_TIMEOUT(acks, 30, 30000);
        QVERIFY(capture.isJudging()); // acknowledged while the reload is held
        QCOMPARE(capture.store()->events().size(), std::size_t(8000));
        QCOMPARE(capture.contractName(), std::string("reload-a"));
        gate.open();
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 60000);
        QCOMPARE(capture.contractName(), std::string("reload-b"));
        QCOMPARE(capture.store()->events().size(), std::size_t(8000));
        QCOMPARE(capture.store()->events().back()->seq, qint64(8000));
        QCOMPARE(storeViolations(capture), expectedViolations(strict, capture));
        // And after the swap the new contract judges live traffic.
        ingest(capture, 8000, 300);
        QCOMPARE(storeViolations(capture), expectedViolations(strict, capture));
    }

    // Cancel: the old contract, its engine and its violations stay exactly as they were.
    void cancelKeepsOldContract()
    {
        Capture capture;
        const auto old = makeContract(false);
        capture.setContractNow(old, "a");
        ingest(capture, 0, 6000);
        const auto before = storeViolations(capture);
        const ContractEngine* engine = capture.engine();
        Gate gate;
        gate.install(capture);
        QSignalSpy finished(&capture, &Capture::judgingFinished);
        QSignalSpy changed(&capture, &Capture::contractChanged);
        int applied = -1;
        capture.setContract(makeContract(true), "b", [&](bool ok) { applied = ok ? 1 : 0; });
        QVERIFY(capture.isJudging());
        capture.cancelJudging();
        QVERIFY(!capture.isJudging());
        QCOMPARE(applied, 0);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<Capture::JobKind>(), Capture::JobKind::Contract);
        QCOMPARE(finished.at(0).at(1).toBool(), true);
        gate.open();
        QTest::qWait(50); // workers come back; their results must be dropped
        QCOMPARE(changed.count(), 0);
        QCOMPARE(capture.engine(), engine);
        QCOMPARE(capture.contract(), old);
        QCOMPARE(capture.contractOrigin(), std::string("a"));
        QCOMPARE(storeViolations(capture), before);
        ingest(capture, 6000, 300); // the old engine goes on
        QCOMPARE(storeViolations(capture), expectedViolations(old, capture));
    }

    // A second reload while one runs drops the first (told false) and starts over with the newest contract.
    void secondReloadStartsOver()
    {
        Capture capture;
        capture.setContractNow(makeContract(false), "a");
        ingest(capture, 0, 6000);
        Gate gate;
        gate.install(capture);
        QSignalSpy started(&capture, &Capture::judgingStarted);
        QSignalSpy finished(&capture, &Capture::judgingFinished);
        int first = -1;
        int second = -1;
        capture.setContract(makeContract(true), "b", [&](bool ok) { first = ok; });
        const auto newest = makeContract(false);
        capture.setContract(newest, "c", [&](bool ok) { second = ok; });
        QCOMPARE(first, 0);
        QCOMPARE(started.count(), 2);
        QCOMPARE(finished.count(), 0); // the job goes on, with the newest contract
        gate.open();
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 60000);
        QCOMPARE(second, 1);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(capture.contractOrigin(), std::string("c"));
        QCOMPARE(storeViolations(capture), expectedViolations(newest, capture));
    }

    // --max-events-in-memory trims while the new contract catches up: no crash, no verdict on a trimmed
    // event left in the store, and the new contract judges what is kept.
    void trimmingDuringReload()
    {
        Capture capture;
        capture.store()->setMaxEvents(2000);
        capture.setContractNow(makeContract(false), "a");
        ingest(capture, 0, 4000);
        Gate gate;
        gate.install(capture);
        capture.setContract(makeContract(true), "b");
        ingest(capture, 4000, 3000, 100); // the store keeps only the newest 2,000
        QCOMPARE(capture.store()->events().size(), std::size_t(2000));
        gate.open();
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 60000);
        QCOMPARE(capture.contractName(), std::string("reload-b"));
        const qint64 front = capture.store()->events().front()->seq;
        QVERIFY(!capture.store()->violations().empty());
        for (const Violation& v : capture.store()->violations())
            QVERIFY(v.seqs.empty() || *std::max_element(v.seqs.begin(), v.seqs.end()) >= front);
        ingest(capture, 7000, 1000); // and goes on judging, trimming and forgetting
        QCOMPARE(capture.store()->events().back()->seq, qint64(8000));
    }

    // A reset while the new contract catches up: it starts over on the emptied store and is applied.
    void resetDuringReload()
    {
        Capture capture;
        capture.setContractNow(makeContract(false), "a");
        ingest(capture, 0, 3000);
        Gate gate;
        gate.install(capture);
        bool applied = false;
        capture.setContract(makeContract(true), "b", [&](bool ok) { applied = ok; });
        QVERIFY(capture.isJudging());
        capture.reset();
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 30000); // nothing left to judge: no worker needed
        QVERIFY(applied);
        QCOMPARE(capture.contractName(), std::string("reload-b"));
        QVERIFY(capture.store()->events().empty());
        QVERIFY(capture.store()->violations().empty());
        gate.open();
        ingest(capture, 3000, 100);
        QCOMPARE(storeViolations(capture), expectedViolations(makeContract(true), capture));
    }

    // With no event in memory the swap is immediate (start-up with --contract).
    void emptyStoreSwapsAtOnce()
    {
        Capture capture;
        QSignalSpy started(&capture, &Capture::judgingStarted);
        bool applied = false;
        capture.setContract(makeContract(true), "b", [&](bool ok) { applied = ok; });
        QVERIFY(applied);
        QVERIFY(!capture.isJudging());
        QCOMPARE(started.count(), 0);
        QCOMPARE(capture.contractName(), std::string("reload-b"));
    }

    // Over real HTTP: every endpoint answers during a reload, /health says it is reloading, a contract upload
    // is answered once applied, and an upload replaced by a newer one is answered 409.
    void apiDuringReload()
    {
        Capture capture;
        capture.setContractNow(makeContract(false), "a");
        ingest(capture, 0, 6000);
        IngestServer server(&capture);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        const quint16 port = server.port();
        auto call = [port](const std::string& method, const std::string& target, const std::string& body = {}) {
            RawClient c(port);
            c.send(request(method, target, body));
            Reply r;
            if (!c.read(r, 20000))
                qWarning("no reply to %s %s", method.c_str(), target.c_str());
            return r;
        };
        Reply r = call("GET", "/eventlens/v1/health");
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().contains("reloading"));
        QVERIFY(r.json()["reloading"].is_null());

        Gate gate;
        gate.install(capture);
        RawClient first(port);
        first.send(request("POST", "/eventlens/v1/contract", contractJson(true).dump()));
        QTRY_VERIFY_WITH_TIMEOUT(capture.isJudging(), 10000);
        r = call("GET", "/eventlens/v1/health");
        QCOMPARE(r.status, 200);
        const Json reloading = r.json()["reloading"];
        QVERIFY2(reloading.is_object(), r.body.c_str());
        QCOMPARE(reloading["kind"].get<std::string>(), std::string("contract"));
        QCOMPARE(reloading["done"].get<qint64>(), qint64(0));
        QCOMPARE(reloading["total"].get<qint64>(), qint64(6000));
        JSON_COMPARE(r.json()["contract"], Json("reload-a"));
        QCOMPARE(call("GET", "/eventlens/v1/events?since=5990").status, 200);
        QCOMPARE(call("GET", "/eventlens/v1/violations").status, 200);
        QCOMPARE(call("GET", "/eventlens/v1/runs").status, 200);
        QCOMPARE(call("GET", "/eventlens/v1/contract").json()["reloading"]["kind"].get<std::string>(),
            std::string("contract"));
        QCOMPARE(call("POST", "/batch/", batch(6000, 10).body).status, 200); // ingest goes on

        // A second upload replaces the first: the first is answered 409, the second once applied.
        RawClient second(port);
        Json newest = contractJson(false);
        newest["name"] = "reload-c";
        second.send(request("POST", "/eventlens/v1/contract", newest.dump()));
        Reply firstReply;
        QVERIFY(first.read(firstReply, 20000));
        QCOMPARE(firstReply.status, 409);
        QVERIFY(capture.isJudging());
        gate.open();
        Reply secondReply;
        QVERIFY(second.read(secondReply, 60000));
        QCOMPARE(secondReply.status, 200);
        JSON_COMPARE(secondReply.json()["name"], Json("reload-c"));
        QVERIFY(!capture.isJudging());
        r = call("GET", "/eventlens/v1/health");
        QVERIFY(r.json()["reloading"].is_null());
        JSON_COMPARE(r.json()["contract"], Json("reload-c"));
        QCOMPARE(r.json()["events"].get<qint64>(), qint64(6010));
    }

    // File ▸ Open Capture in the background: Cancel keeps the current session (and what it captured
    // meanwhile); a second try replaces it with the file, judged like the synchronous path.
    void openSessionInBackground()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("recorded.elsession"));
        {
            Capture recorder;
            recorder.setContractNow(makeContract(false), "a");
            std::string error;
            QVERIFY2(recorder.openSessionFile(file, error), error.c_str());
            ingest(recorder, 0, 3000);
            recorder.closeSessionFile();
        }
        Capture capture;
        const auto contract = makeContract(true);
        capture.setContractNow(contract, "b");
        ingest(capture, 100000, 100);
        QSignalSpy started(&capture, &Capture::judgingStarted);
        QSignalSpy finished(&capture, &Capture::judgingFinished);
        Gate gate;
        gate.install(capture);
        capture.openSessionFileInBackground(file);
        QVERIFY(capture.isJudging());
        QCOMPARE(capture.judgingKind(), Capture::JobKind::OpenSession);
        QTRY_COMPARE_WITH_TIMEOUT(capture.judgingTotal(), qint64(3000), 30000); // read, now judging
        ingest(capture, 100100, 10, 10); // the current session goes on meanwhile
        capture.cancelJudging();
        gate.open();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<Capture::JobKind>(), Capture::JobKind::OpenSession);
        QCOMPARE(finished.at(0).at(1).toBool(), true);
        QCOMPARE(capture.store()->events().size(), std::size_t(110));
        QVERIFY(!capture.journal());
        QVERIFY(!capture.isReadOnly());
        QCOMPARE(storeViolations(capture), expectedViolations(contract, capture));

        capture.setJudgeHookForTesting({});
        capture.openSessionFileInBackground(file);
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 60000);
        QCOMPARE(finished.count(), 2);
        QCOMPARE(finished.at(1).at(1).toBool(), false);
        QVERIFY(finished.at(1).at(2).toString().isEmpty());
        QCOMPARE(started.count(), 2); // once per job (reading, then judging)
        QCOMPARE(capture.store()->events().size(), std::size_t(3000));
        QCOMPARE(capture.store()->events().front()->seq, qint64(1));
        QVERIFY(capture.journal());
        QCOMPARE(capture.journal()->path(), file);
        QVERIFY(!capture.isReadOnly());
        QCOMPARE(capture.contractName(), std::string("reload-b"));
        QCOMPARE(storeViolations(capture), expectedViolations(contract, capture, false));
        // Capture continues into the file.
        ingest(capture, 3000, 5, 5);
        QCOMPARE(capture.store()->events().back()->seq, qint64(3005));
    }

    // Import in the background: read-only, judged as a closed input; a file that cannot be read changes
    // nothing; Cancel while reading changes nothing.
    void importInBackground()
    {
        Capture capture;
        const auto contract = makeContract(false);
        capture.setContractNow(contract, "a");
        ingest(capture, 0, 50);
        QSignalSpy finished(&capture, &Capture::judgingFinished);

        QTemporaryDir dir;
        capture.importFileInBackground(dir.filePath(QStringLiteral("missing.ndjson")));
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 30000);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<Capture::JobKind>(), Capture::JobKind::Import);
        QVERIFY(!finished.at(0).at(2).toString().isEmpty());
        QCOMPARE(capture.store()->events().size(), std::size_t(50));
        QVERIFY(!capture.isReadOnly());

        const QString sample = QStringLiteral(EVENTLENS_TEST_DATA "/open-design/valid.ndjson");
        capture.importFileInBackground(sample);
        capture.cancelJudging(); // still reading: its result is dropped when it comes
        QCOMPARE(finished.count(), 2);
        QCOMPARE(finished.at(1).at(1).toBool(), true);
        QTest::qWait(100);
        QCOMPARE(capture.store()->events().size(), std::size_t(50));
        QVERIFY(!capture.isReadOnly());

        capture.importFileInBackground(sample);
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 30000);
        QCOMPARE(finished.count(), 3);
        QCOMPARE(finished.at(2).at(1).toBool(), false);
        QVERIFY2(finished.at(2).at(2).toString().isEmpty(), qPrintable(finished.at(2).at(2).toString()));
        QVERIFY(capture.isReadOnly());
        QCOMPARE(capture.store()->events().size(), std::size_t(21));
        QCOMPARE(storeViolations(capture), expectedViolations(contract, capture, true));

        // A contract change during an import is judged and installed with it.
        capture.importFileInBackground(sample);
        const auto strict = makeContract(true);
        bool applied = false;
        capture.setContract(strict, "b", [&](bool ok) { applied = ok; });
        QCOMPARE(capture.contractName(), std::string("reload-a"));
        QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 30000);
        QVERIFY(applied);
        QCOMPARE(capture.contractName(), std::string("reload-b"));
        QCOMPARE(storeViolations(capture), expectedViolations(strict, capture, true));
    }
};

QTEST_GUILESS_MAIN(TestReload)
#include "tst_reload.moc"
