// SPDX-License-Identifier: MIT
// Issue 15: contract reload, open session and import run in the background, with progress and Cancel;
// the event loop keeps turning, live traffic is kept and judged by the new contract, the API answers.
#include "contract/contract.h"
#include "contract/contractengine.h"
#include "ingest/ingestserver.h"
#include "session.h"

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
void ingest(Session& session, int first, int count, int perRequest = 500)
{
    for (int i = first; i < first + count; i += perRequest)
        session.ingestAsync(batch(i, std::min(perRequest, first + count - i)), Endpoint::Batch, {});
    session.drainIngests();
}

std::vector<std::string> dumps(const std::vector<Violation>& violations)
{
    std::vector<std::string> out;
    for (const Violation& v : violations)
        out.push_back(v.toJson().dump());
    return out;
}

std::vector<std::string> storeViolations(const Session& session)
{
    const auto& all = session.store()->violations();
    return dumps(std::vector<Violation>(all.begin(), all.end()));
}

/**
 * The verdicts of the old synchronous path: a fresh engine fed the store's events in order, then a tick
 * (a reload), or finish() (an import, a closed input).
 */
std::vector<std::string> expectedViolations(
    const std::shared_ptr<const Contract>& contract, const Session& session, bool closedInput = false)
{
    ContractEngine engine(contract);
    std::vector<Violation> all;
    for (const EventPtr& e : session.store()->events()) {
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

std::vector<std::string> expectedRuns(const std::shared_ptr<const Contract>& contract, const Session& session)
{
    ContractEngine engine(contract);
    for (const EventPtr& e : session.store()->events())
        engine.onEvent(*e);
    engine.onTick(QDateTime::currentMSecsSinceEpoch());
    return runsOf(engine.runs());
}

/** Holds every judge worker at the start of its next chunk until released. */
struct Gate
{
    std::shared_ptr<std::atomic<bool>> closed = std::make_shared<std::atomic<bool>>(true);
    void install(Session& session)
    {
        session.setJudgeHookForTesting([closed = closed] {
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
    void initTestCase() { qRegisterMetaType<el::Session::JobKind>(); }

    // 50,000 events judged again in the background: the event loop turns all along, progress comes in order,
    // and the verdicts are those of the synchronous path.
    void reloadDoesNotBlock()
    {
        Session session;
        session.setContractNow(makeContract(false), "a");
        ingest(session, 0, 50000);
        QCOMPARE(session.store()->events().size(), std::size_t(50000));
        const auto strict = makeContract(true);

        QSignalSpy started(&session, &Session::judgingStarted);
        QSignalSpy progress(&session, &Session::judgingProgress);
        QSignalSpy finished(&session, &Session::judgingFinished);
        QSignalSpy changed(&session, &Session::contractChanged);
        int ticks = 0;
        QTimer ticker;
        ticker.setInterval(1);
        connect(&ticker, &QTimer::timeout, this, [&] { ticks += session.isJudging() ? 1 : 0; });
        ticker.start();
        bool applied = false;
        session.setContract(strict, "b", [&](bool ok) { applied = ok; });
        QVERIFY(session.isJudging());
        QCOMPARE(session.judgingKind(), Session::JobKind::Contract);
        QCOMPARE(session.contractName(), std::string("reload-a")); // the old one judges until the swap
        QCOMPARE(changed.count(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 120000);
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
        QCOMPARE(session.contractName(), std::string("reload-b"));
        QCOMPARE(session.contractOrigin(), std::string("b"));
        const auto expected = expectedViolations(strict, session);
        QVERIFY(expected.size() > 1000);
        QCOMPARE(storeViolations(session), expected);
        QCOMPARE(runsOf(session.runs()), expectedRuns(strict, session));
    }

    // Requests that arrive while the new contract catches up are kept and acknowledged at once (by the old
    // contract), then judged by the new one: nothing twice, nothing lost.
    void ingestDuringReload()
    {
        Session session;
        session.setContractNow(makeContract(false), "a");
        ingest(session, 0, 5000);
        Gate gate;
        gate.install(session);
        const auto strict = makeContract(true);
        session.setContract(strict, "b");
        QVERIFY(session.isJudging());
        int acks = 0;
        for (int i = 5000; i < 8000; i += 100)
            session.ingestAsync(batch(i, 100), Endpoint::Batch, [&](const IngestOutcome& o, bool durable) {
                QVERIFY(o.ok() && durable);
                ++acks;
            });
        QTRY_COMPARE_WITH_TIMEOUT(acks, 30, 30000);
        QVERIFY(session.isJudging()); // acknowledged while the reload is held
        QCOMPARE(session.store()->events().size(), std::size_t(8000));
        QCOMPARE(session.contractName(), std::string("reload-a"));
        gate.open();
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 60000);
        QCOMPARE(session.contractName(), std::string("reload-b"));
        QCOMPARE(session.store()->events().size(), std::size_t(8000));
        QCOMPARE(session.store()->events().back()->seq, qint64(8000));
        QCOMPARE(storeViolations(session), expectedViolations(strict, session));
        // And after the swap the new contract judges live traffic.
        ingest(session, 8000, 300);
        QCOMPARE(storeViolations(session), expectedViolations(strict, session));
    }

    // Cancel: the old contract, its engine and its violations stay exactly as they were.
    void cancelKeepsOldContract()
    {
        Session session;
        const auto old = makeContract(false);
        session.setContractNow(old, "a");
        ingest(session, 0, 6000);
        const auto before = storeViolations(session);
        const ContractEngine* engine = session.engine();
        Gate gate;
        gate.install(session);
        QSignalSpy finished(&session, &Session::judgingFinished);
        QSignalSpy changed(&session, &Session::contractChanged);
        int applied = -1;
        session.setContract(makeContract(true), "b", [&](bool ok) { applied = ok ? 1 : 0; });
        QVERIFY(session.isJudging());
        session.cancelJudging();
        QVERIFY(!session.isJudging());
        QCOMPARE(applied, 0);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<Session::JobKind>(), Session::JobKind::Contract);
        QCOMPARE(finished.at(0).at(1).toBool(), true);
        gate.open();
        QTest::qWait(50); // workers come back; their results must be dropped
        QCOMPARE(changed.count(), 0);
        QCOMPARE(session.engine(), engine);
        QCOMPARE(session.contract(), old);
        QCOMPARE(session.contractOrigin(), std::string("a"));
        QCOMPARE(storeViolations(session), before);
        ingest(session, 6000, 300); // the old engine goes on
        QCOMPARE(storeViolations(session), expectedViolations(old, session));
    }

    // A second reload while one runs drops the first (told false) and starts over with the newest contract.
    void secondReloadStartsOver()
    {
        Session session;
        session.setContractNow(makeContract(false), "a");
        ingest(session, 0, 6000);
        Gate gate;
        gate.install(session);
        QSignalSpy started(&session, &Session::judgingStarted);
        QSignalSpy finished(&session, &Session::judgingFinished);
        int first = -1;
        int second = -1;
        session.setContract(makeContract(true), "b", [&](bool ok) { first = ok; });
        const auto newest = makeContract(false);
        session.setContract(newest, "c", [&](bool ok) { second = ok; });
        QCOMPARE(first, 0);
        QCOMPARE(started.count(), 2);
        QCOMPARE(finished.count(), 0); // the job goes on, with the newest contract
        gate.open();
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 60000);
        QCOMPARE(second, 1);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(session.contractOrigin(), std::string("c"));
        QCOMPARE(storeViolations(session), expectedViolations(newest, session));
    }

    // --max-events-in-memory trims while the new contract catches up: no crash, no verdict on a trimmed
    // event left in the store, and the new contract judges what is kept.
    void trimmingDuringReload()
    {
        Session session;
        session.store()->setMaxEvents(2000);
        session.setContractNow(makeContract(false), "a");
        ingest(session, 0, 4000);
        Gate gate;
        gate.install(session);
        session.setContract(makeContract(true), "b");
        ingest(session, 4000, 3000, 100); // the store keeps only the newest 2,000
        QCOMPARE(session.store()->events().size(), std::size_t(2000));
        gate.open();
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 60000);
        QCOMPARE(session.contractName(), std::string("reload-b"));
        const qint64 front = session.store()->events().front()->seq;
        QVERIFY(!session.store()->violations().empty());
        for (const Violation& v : session.store()->violations())
            QVERIFY(v.seqs.empty() || *std::max_element(v.seqs.begin(), v.seqs.end()) >= front);
        ingest(session, 7000, 1000); // and goes on judging, trimming and forgetting
        QCOMPARE(session.store()->events().back()->seq, qint64(8000));
    }

    // A reset while the new contract catches up: it starts over on the emptied store and is applied.
    void resetDuringReload()
    {
        Session session;
        session.setContractNow(makeContract(false), "a");
        ingest(session, 0, 3000);
        Gate gate;
        gate.install(session);
        bool applied = false;
        session.setContract(makeContract(true), "b", [&](bool ok) { applied = ok; });
        QVERIFY(session.isJudging());
        session.reset();
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 30000); // nothing left to judge: no worker needed
        QVERIFY(applied);
        QCOMPARE(session.contractName(), std::string("reload-b"));
        QVERIFY(session.store()->events().empty());
        QVERIFY(session.store()->violations().empty());
        gate.open();
        ingest(session, 3000, 100);
        QCOMPARE(storeViolations(session), expectedViolations(makeContract(true), session));
    }

    // With no event in memory the swap is immediate (start-up with --contract).
    void emptyStoreSwapsAtOnce()
    {
        Session session;
        QSignalSpy started(&session, &Session::judgingStarted);
        bool applied = false;
        session.setContract(makeContract(true), "b", [&](bool ok) { applied = ok; });
        QVERIFY(applied);
        QVERIFY(!session.isJudging());
        QCOMPARE(started.count(), 0);
        QCOMPARE(session.contractName(), std::string("reload-b"));
    }

    // Over real HTTP: every endpoint answers during a reload, /health says it is reloading, a contract upload
    // is answered once applied, and an upload replaced by a newer one is answered 409.
    void apiDuringReload()
    {
        Session session;
        session.setContractNow(makeContract(false), "a");
        ingest(session, 0, 6000);
        IngestServer server(&session);
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
        gate.install(session);
        RawClient first(port);
        first.send(request("POST", "/eventlens/v1/contract", contractJson(true).dump()));
        QTRY_VERIFY_WITH_TIMEOUT(session.isJudging(), 10000);
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
        QVERIFY(session.isJudging());
        gate.open();
        Reply secondReply;
        QVERIFY(second.read(secondReply, 60000));
        QCOMPARE(secondReply.status, 200);
        JSON_COMPARE(secondReply.json()["name"], Json("reload-c"));
        QVERIFY(!session.isJudging());
        r = call("GET", "/eventlens/v1/health");
        QVERIFY(r.json()["reloading"].is_null());
        JSON_COMPARE(r.json()["contract"], Json("reload-c"));
        QCOMPARE(r.json()["events"].get<qint64>(), qint64(6010));
    }

    // File ▸ Open Session in the background: Cancel keeps the current session (and what it captured
    // meanwhile); a second try replaces it with the file, judged like the synchronous path.
    void openSessionInBackground()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("recorded.elsession"));
        {
            Session recorder;
            recorder.setContractNow(makeContract(false), "a");
            QString error;
            QVERIFY2(recorder.openSessionFile(file, &error), qPrintable(error));
            ingest(recorder, 0, 3000);
            recorder.closeSessionFile();
        }
        Session session;
        const auto contract = makeContract(true);
        session.setContractNow(contract, "b");
        ingest(session, 100000, 100);
        QSignalSpy started(&session, &Session::judgingStarted);
        QSignalSpy finished(&session, &Session::judgingFinished);
        Gate gate;
        gate.install(session);
        session.openSessionFileInBackground(file);
        QVERIFY(session.isJudging());
        QCOMPARE(session.judgingKind(), Session::JobKind::OpenSession);
        QTRY_COMPARE_WITH_TIMEOUT(session.judgingTotal(), qint64(3000), 30000); // read, now judging
        ingest(session, 100100, 10, 10); // the current session goes on meanwhile
        session.cancelJudging();
        gate.open();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<Session::JobKind>(), Session::JobKind::OpenSession);
        QCOMPARE(finished.at(0).at(1).toBool(), true);
        QCOMPARE(session.store()->events().size(), std::size_t(110));
        QVERIFY(!session.journal());
        QVERIFY(!session.isReadOnly());
        QCOMPARE(storeViolations(session), expectedViolations(contract, session));

        session.setJudgeHookForTesting({});
        session.openSessionFileInBackground(file);
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 60000);
        QCOMPARE(finished.count(), 2);
        QCOMPARE(finished.at(1).at(1).toBool(), false);
        QVERIFY(finished.at(1).at(2).toString().isEmpty());
        QCOMPARE(started.count(), 2); // once per job (reading, then judging)
        QCOMPARE(session.store()->events().size(), std::size_t(3000));
        QCOMPARE(session.store()->events().front()->seq, qint64(1));
        QVERIFY(session.journal());
        QCOMPARE(session.journal()->path(), file);
        QVERIFY(!session.isReadOnly());
        QCOMPARE(session.contractName(), std::string("reload-b"));
        QCOMPARE(storeViolations(session), expectedViolations(contract, session, false));
        // Capture continues into the file.
        ingest(session, 3000, 5, 5);
        QCOMPARE(session.store()->events().back()->seq, qint64(3005));
    }

    // Import in the background: read-only, judged as a closed input; a file that cannot be read changes
    // nothing; Cancel while reading changes nothing.
    void importInBackground()
    {
        Session session;
        const auto contract = makeContract(false);
        session.setContractNow(contract, "a");
        ingest(session, 0, 50);
        QSignalSpy finished(&session, &Session::judgingFinished);

        QTemporaryDir dir;
        session.importFileInBackground(dir.filePath(QStringLiteral("missing.ndjson")));
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 30000);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<Session::JobKind>(), Session::JobKind::Import);
        QVERIFY(!finished.at(0).at(2).toString().isEmpty());
        QCOMPARE(session.store()->events().size(), std::size_t(50));
        QVERIFY(!session.isReadOnly());

        const QString sample = QStringLiteral(EVENTLENS_TEST_DATA "/open-design/valid.ndjson");
        session.importFileInBackground(sample);
        session.cancelJudging(); // still reading: its result is dropped when it comes
        QCOMPARE(finished.count(), 2);
        QCOMPARE(finished.at(1).at(1).toBool(), true);
        QTest::qWait(100);
        QCOMPARE(session.store()->events().size(), std::size_t(50));
        QVERIFY(!session.isReadOnly());

        session.importFileInBackground(sample);
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 30000);
        QCOMPARE(finished.count(), 3);
        QCOMPARE(finished.at(2).at(1).toBool(), false);
        QVERIFY2(finished.at(2).at(2).toString().isEmpty(), qPrintable(finished.at(2).at(2).toString()));
        QVERIFY(session.isReadOnly());
        QCOMPARE(session.store()->events().size(), std::size_t(21));
        QCOMPARE(storeViolations(session), expectedViolations(contract, session, true));

        // A contract change during an import is judged and installed with it.
        session.importFileInBackground(sample);
        const auto strict = makeContract(true);
        bool applied = false;
        session.setContract(strict, "b", [&](bool ok) { applied = ok; });
        QCOMPARE(session.contractName(), std::string("reload-a"));
        QTRY_VERIFY_WITH_TIMEOUT(!session.isJudging(), 30000);
        QVERIFY(applied);
        QCOMPARE(session.contractName(), std::string("reload-b"));
        QCOMPARE(storeViolations(session), expectedViolations(strict, session, true));
    }
};

QTEST_GUILESS_MAIN(TestReload)
#include "tst_reload.moc"
