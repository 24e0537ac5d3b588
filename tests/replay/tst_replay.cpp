// SPDX-License-Identifier: MIT
// Replay: scenario files (format, templates, clear errors), verdict comparison, and every built-in
// scenario replayed over real HTTP into a headless EventLens sink with its expected verdict asserted.
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "localsink.h"
#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"
#include "replay/replayengine.h"
#include "replay/scenario.h"
#include "transport/httpserver.h"
#include "wire/decode.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace el;

namespace {

using eltest::Sink;

/** Runs \a scenarios against \a target as fast as possible and waits for the engine to finish. */
std::vector<ScenarioResult> replay(const QUrl& target, std::vector<Scenario> scenarios, int repeat = 1)
{
    ReplayEngine engine;
    ReplayOptions options;
    options.target = target;
    options.speed = 0;
    options.repeat = repeat;
    options.verdictTimeoutMs = 5000;
    engine.setOptions(options);
    QSignalSpy done(&engine, &ReplayEngine::finished);
    engine.start(std::move(scenarios));
    if (!done.wait(120000))
        qWarning("replay did not finish in time");
    return engine.results();
}

Scenario builtin(const std::string& name)
{
    Scenario s;
    std::string error;
    if (!loadScenario("builtin:" + name, s, error))
        qFatal("%s", error.c_str());
    return s;
}

Scenario parsed(const std::string& text)
{
    Scenario s;
    std::string error;
    if (!parseScenario(text, "inline.json", s, error))
        qFatal("%s", error.c_str());
    return s;
}

std::string resultText(const ScenarioResult& r)
{
    return r.scenario + " #" + std::to_string(r.repetition) + ": " + r.statusText() + " expected [" + r.expectedText
        + "] actual [" + r.actualText() + "] " + r.message;
}

/** A plain HTTP target that is not EventLens: records every request, answers 200 except for /eventlens/. */
struct RecordingTarget
{
    HttpServer http;
    std::vector<HttpRequest> requests;
    RecordingTarget()
    {
        http.setHandler([this](HttpRequest&& request, const HttpResponderPtr& responder) {
            if (request.path.rfind("/eventlens/", 0) == 0) {
                responder->respond(HttpResponse::error(404, "not found"));
                return;
            }
            requests.push_back(std::move(request));
            responder->respond(HttpResponse::json(200, Json {{"status", 1}}));
        });
        http.listen(QHostAddress::LocalHost, 0);
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(http.serverPort())); }
};

Json bodyJson(const HttpRequest& r)
{
    std::string text = r.body;
    if (text.size() > 2 && static_cast<unsigned char>(text[0]) == 0x1f && static_cast<unsigned char>(text[1]) == 0x8b) {
        std::string out;
        std::string error;
        if (!gunzip(text, out, 1 << 24, error))
            return Json();
        text = out;
    }
    return Json::parse(text, nullptr, false);
}

} // namespace

class TestReplay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void builtinsLoad();
    void scenarioErrors_data();
    void scenarioErrors();
    void eventsFileErrors_data();
    void eventsFileErrors();
    void templates();
    void verdictComparison();
    void everyBuiltinAgainstEventLens();
    void repeatGivesFreshIds();
    void mismatchIsReported();
    void wireFormatsAgainstOtherTarget();
    void capturedEventsAreResent();
    void faultsAreRetriedLikeTheSdk();
    void retriesRunOut();
    void faultStepsSkippedForOtherTargets();
    void cancelStopsAtOnce();
    void unreachableTargetIsAnError();
};

void TestReplay::builtinsLoad()
{
    const std::vector<std::string> names = builtinScenarios();
    for (const char* required : {"byok-success", "byok-failure", "byok-cancel", "byok-refresh-failure",
             "byok-mode-switch-mid-run", "api-mode-stale-amr", "amr-cloud-run", "local-cli-run",
             "byok-stuck-at-created", "byok-runtime-mismatch", "runtime-both"}) {
        QVERIFY2(std::find(names.begin(), names.end(), required) != names.end(), required);
    }
    for (const std::string& n : names) {
        Scenario s;
        std::string error;
        QVERIFY2(loadScenario("builtin:" + n, s, error), error.c_str());
        QCOMPARE(s.name, n);
        QVERIFY2(!s.description.empty(), n.c_str());
        QVERIFY(s.emitCount() > 0);
    }
    Scenario s;
    std::string error;
    QVERIFY(!loadScenario("builtin:no-such-thing", s, error));
    QVERIFY2(error.find("unknown built-in scenario 'no-such-thing'") != std::string::npos, error.c_str());
    QVERIFY2(error.find("byok-success") != std::string::npos, error.c_str());
    QVERIFY(!loadScenario("/nonexistent/scenario.json", s, error));
    QVERIFY2(error.find("cannot read scenario /nonexistent/scenario.json") != std::string::npos, error.c_str());
}

void TestReplay::scenarioErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    const QString emitOk = QStringLiteral(R"({"type": "emit", "event": "run_created"})");
    QTest::newRow("unknown step type") << QStringLiteral(
        R"({"steps": [{"type": "register", "properties": {}}, {"type": "wait", "ms": 1}, {"type": "emitt", "event": "x"}]})")
                                       << QStringLiteral(
                                              "bad.json:step 3: unknown step type 'emitt' (expected register, "
                                              "unregister, emit, wait, transport or fault)");
    QTest::newRow("unknown placeholder")
        << QStringLiteral(R"({"steps": [{"type": "emit", "event": "e", "properties": {"a": "{{uuidd}}"}}]})")
        << QStringLiteral("bad.json:step 1: bad template in properties/a: unknown placeholder 'uuidd'");
    QTest::newRow("nested template location") << QString::fromUtf8(R"({"steps": [)") + emitOk
            + QString::fromUtf8(
                R"(, {"type": "emit", "event": "e", "properties": {"a": {"b": ["ok", "x{{nope}}"]}}}]})")
                                              << QStringLiteral("bad.json:step 2: bad template in properties/a/b/1: "
                                                                "unknown placeholder 'nope'");
    QTest::newRow("unterminated template")
        << QStringLiteral(R"({"steps": [{"type": "emit", "event": "e", "properties": {"t": "{{now"}}]})")
        << QStringLiteral("bad.json:step 1: bad template in properties/t: unterminated '{{'");
    QTest::newRow("empty random range")
        << QStringLiteral(R"({"steps": [{"type": "emit", "event": "e", "properties": {"d": "{{random:9..1}}"}}]})")
        << QStringLiteral("bad.json:step 1: bad template in properties/d: empty range in 'random:9..1'");
    QTest::newRow("bad random range")
        << QStringLiteral(R"({"steps": [{"type": "emit", "event": "e", "properties": {"d": "{{random:a..b}}"}}]})")
        << QStringLiteral("bad.json:step 1: bad template in properties/d: bad range in 'random:a..b'");
    QTest::newRow("bad time offset") << QStringLiteral(
        R"({"steps": [{"type": "emit", "event": "e", "timestamp": "{{now-5x}}"}]})")
                                     << QStringLiteral(
                                            "bad.json:step 1: bad template in timestamp: bad time offset in 'now-5x'");
    QTest::newRow("label not defined yet") << QStringLiteral(
        R"({"steps": [{"type": "emit", "event": "e", "properties": {"d": "{{elapsed_ms:created}}"}}, {"type": "emit", "event": "f", "label": "created"}]})")
                                           << QStringLiteral("bad.json:step 1: bad template in properties/d: "
                                                             "{{elapsed_ms:created}} names no earlier "
                                                             "emit step");
    QTest::newRow("duplicate label") << QStringLiteral(
        R"({"steps": [{"type": "emit", "event": "e", "label": "x"}, {"type": "emit", "event": "f", "label": "x"}]})")
                                     << QStringLiteral("bad.json:step 2: label 'x' is already used by an earlier step");
    QTest::newRow("invalid JSON") << QStringLiteral("{\n  \"steps\": [\n    {\"type\": \"emit\",}\n  ]\n}")
                                  << QStringLiteral("bad.json:line 3, column 21: invalid JSON:");
    QTest::newRow("not an object") << QStringLiteral("[1, 2]")
                                   << QStringLiteral("bad.json: a scenario must be a JSON object with \"steps\"");
    QTest::newRow("no steps") << QStringLiteral("{}")
                              << QStringLiteral("bad.json: \"steps\" must be a non-empty array");
    QTest::newRow("unknown top-level key")
        << QStringLiteral(R"({"stepz": []})")
        << QStringLiteral("bad.json: unknown key 'stepz' in the scenario (allowed: $schema, name, description, "
                          "distinct_id, transport, expect, steps)");
    QTest::newRow("misspelled step key")
        << QStringLiteral(R"({"steps": [{"type": "emit", "event": "e", "propertes": {}}]})")
        << QStringLiteral("bad.json:step 1: unknown key 'propertes' in an emit step (allowed: type, event, "
                          "properties, label, distinct_id, timestamp, transport)");
    QTest::newRow("step without type") << QStringLiteral(R"({"steps": [{"event": "e"}]})")
                                       << QStringLiteral("bad.json:step 1: missing \"type\"");
    QTest::newRow("step not an object") << QStringLiteral(R"({"steps": ["emit"]})")
                                        << QStringLiteral("bad.json:step 1: a step must be an object");
    QTest::newRow("emit without event") << QStringLiteral(R"({"steps": [{"type": "emit"}]})")
                                        << QStringLiteral("bad.json:step 1: an emit step needs \"event\"");
    QTest::newRow("register without properties") << QString::fromUtf8(R"({"steps": [{"type": "register"}, )") + emitOk
            + QString::fromUtf8("]}") << QStringLiteral("bad.json:step 1: a register step needs \"properties\"");
    QTest::newRow("register bad client")
        << QString::fromUtf8(R"({"steps": [{"type": "register", "client": "ios", "properties": {}}, )") + emitOk
            + QString::fromUtf8("]}")
        << QStringLiteral("bad.json:step 1: \"client\" must be \"web\" or \"daemon\"");
    QTest::newRow("unregister without names") << QString::fromUtf8(R"({"steps": [)") + emitOk
            + QString::fromUtf8(R"(, {"type": "unregister", "names": []}]})")
                                              << QStringLiteral("bad.json:step 2: an unregister step needs \"names\"");
    QTest::newRow("wait without ms") << QString::fromUtf8(R"({"steps": [)") + emitOk
            + QString::fromUtf8(R"(, {"type": "wait"}]})")
                                     << QStringLiteral("bad.json:step 2: a wait step needs \"ms\"");
    QTest::newRow("wait bad range") << QString::fromUtf8(R"({"steps": [)") + emitOk
            + QString::fromUtf8(R"(, {"type": "wait", "ms": [5, 1]}]})")
                                    << QStringLiteral("bad.json:step 2: \"ms\" range must be [min, max]");
    QTest::newRow("wait negative") << QString::fromUtf8(R"({"steps": [)") + emitOk
            + QString::fromUtf8(R"(, {"type": "wait", "ms": -1}]})")
                                   << QStringLiteral("bad.json:step 2: \"ms\" must be a number >= 0");
    QTest::newRow("unknown transport step")
        << QString::fromUtf8(R"({"steps": [{"type": "transport", "transport": "carrier-pigeon"}, )") + emitOk
            + QString::fromUtf8("]}")
        << QStringLiteral("bad.json:step 1: a transport step needs \"transport\": web, web-gzip, daemon or "
                          "daemon-plain (got \"carrier-pigeon\")");
    QTest::newRow("unknown emit transport")
        << QStringLiteral(R"({"steps": [{"type": "emit", "event": "e", "transport": "smtp"}]})")
        << QStringLiteral("bad.json:step 1: unknown transport 'smtp'");
    QTest::newRow("unknown scenario transport") << QString::fromUtf8(R"({"transport": "grpc", "steps": [)") + emitOk
            + QString::fromUtf8("]}") << QStringLiteral("bad.json: unknown transport \"grpc\"");
    QTest::newRow("bad distinct_id template")
        << QString::fromUtf8(R"({"distinct_id": "{{device}}", "steps": [)") + emitOk + QString::fromUtf8("]}")
        << QStringLiteral("bad.json: bad template in distinct_id: unknown placeholder 'device'");
    QTest::newRow("expect without kind") << QString::fromUtf8(
                                                R"({"expect": {"violations": [{"path": "/x"}]}, "steps": [)")
            + emitOk
            + QString::fromUtf8("]}") << QStringLiteral("bad.json: expect.violations[0]: missing \"kind\"");
    QTest::newRow("expect bad count")
        << QString::fromUtf8(R"({"expect": {"violations": [{"kind": "global", "count": 0}]}, "steps": [)") + emitOk
            + QString::fromUtf8("]}")
        << QStringLiteral("bad.json: expect.violations[0]: \"count\" must be an integer >= 1");
    QTest::newRow("expect unknown kind")
        << QString::fromUtf8(R"({"expect": {"violations": [{"kind": "sequence.duplicate"}]}, "steps": [)") + emitOk
            + QString::fromUtf8("]}")
        << QStringLiteral("bad.json: expect.violations[0]: unknown kind \"sequence.duplicate\" (kinds: schema, "
                          "global, unplanned, sequence.unfinished, sequence.orphan_end, sequence.duplicate_end, "
                          "sequence.pinned_mismatch, sequence.order, sequence.duplicate_key, secret, pii)");
    QTest::newRow("expect not an object") << QString::fromUtf8(R"({"expect": [], "steps": [)") + emitOk
            + QString::fromUtf8("]}") << QStringLiteral("bad.json: \"expect\" must be an object");
    QTest::newRow("fault without an object") << QString::fromUtf8(R"({"steps": [{"type": "fault"}, )") + emitOk
            + QString::fromUtf8("]}") << QStringLiteral("bad.json:step 1: a fault step needs \"fault\": an object");
    QTest::newRow("fault the sink would refuse")
        << QString::fromUtf8(R"({"steps": [{"type": "fault", "fault": {"mode": "status", "status": 200}}, )") + emitOk
            + QString::fromUtf8("]}")
        << QStringLiteral("bad.json:step 1: bad \"fault\": ");
    QTest::newRow("nothing emitted") << QStringLiteral(R"({"steps": [{"type": "wait", "ms": 10}]})")
                                     << QStringLiteral("bad.json: the scenario emits no event");
}

void TestReplay::scenarioErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    Scenario s;
    std::string error;
    QVERIFY(!parseScenario(text.toStdString(), "bad.json", s, error));
    QVERIFY2(error.rfind(message.toStdString(), 0) == 0,
        qPrintable(QStringLiteral("got: ") + QString::fromStdString(error)));
}

void TestReplay::eventsFileErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("bad JSON line") << QStringLiteral("{\"event\": \"a\", \"properties\": {}}\n{\"event\": }\n")
                                   << QStringLiteral("cap.ndjson:line 2, column 11: invalid JSON");
    QTest::newRow("not an event") << QStringLiteral("\n{\"properties\": {}}\n")
                                  << QStringLiteral("cap.ndjson:line 2: not an event");
    QTest::newRow("empty") << QStringLiteral("\n\n") << QStringLiteral("cap.ndjson: no events in the file");
}

void TestReplay::eventsFileErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    Scenario s;
    std::string error;
    QVERIFY(!scenarioFromEvents(text.toStdString(), "cap.ndjson", s, error));
    QVERIFY2(error.rfind(message.toStdString(), 0) == 0,
        qPrintable(QStringLiteral("got: ") + QString::fromStdString(error)));
}

void TestReplay::templates()
{
    TemplateContext ctx;
    const qint64 now = 1781949600000; // 2026-06-20T10:00:00.000Z
    ctx.setNowMs(now);
    const Json in = {{"a", "{{uuid:x}}"}, {"b", "{{ uuid:x }}"}, {"c", "{{uuid}}"}, {"d", "{{uuid}}"},
        {"run", "{{run_id}}"}, {"run2", "{{uuid:run_id}}"}, {"n", "{{now+1500ms}}"}, {"n2", "{{now-2s}}"},
        {"n3", "{{now-5m}}"}, {"n4", "{{now+1h}}"}, {"t", "{{now}}"}, {"m", "{{now_ms}}"}, {"r", "{{random:5..7}}"},
        {"s", "id-{{random:1..1}}-{{uuid:x}}"}, {"e", "{{elapsed_ms}}"},
        {"nested", {{"list", Json::array({"{{uuid:x}}", 3, nullptr})}}}, {"plain", "no {braces} here"}};
    Json out = ctx.expand(in);
    QVERIFY(out["a"].is_string());
    QCOMPARE(out["a"].get<std::string>().size(), std::size_t(36));
    QVERIFY(out["a"] == out["b"]);
    QVERIFY(out["c"] != out["d"]);
    QVERIFY(out["c"] != out["a"]);
    QVERIFY(out["run"] == out["run2"]);
    QCOMPARE(out["t"].get<std::string>(), std::string("2026-06-20T10:00:00.000Z"));
    QCOMPARE(out["n"].get<std::string>(), std::string("2026-06-20T10:00:01.500Z"));
    QCOMPARE(out["n2"].get<std::string>(), std::string("2026-06-20T09:59:58.000Z"));
    QCOMPARE(out["n3"].get<std::string>(), std::string("2026-06-20T09:55:00.000Z"));
    QCOMPARE(out["n4"].get<std::string>(), std::string("2026-06-20T11:00:00.000Z"));
    QVERIFY(out["m"].is_number_integer());
    QCOMPARE(out["m"].get<qint64>(), now);
    QVERIFY(out["r"].is_number_integer());
    QVERIFY(out["r"].get<int>() >= 5 && out["r"].get<int>() <= 7);
    QCOMPARE(out["s"].get<std::string>(), "id-1-" + out["a"].get<std::string>());
    QCOMPARE(out["e"].get<qint64>(), qint64(0));
    QVERIFY(out["nested"]["list"][0] == out["a"]);
    QCOMPARE(out["nested"]["list"][1].get<int>(), 3);
    QVERIFY(out["nested"]["list"][2].is_null());
    QCOMPARE(out["plain"].get<std::string>(), std::string("no {braces} here"));

    ctx.addRecorded(100);
    ctx.setLabel("created");
    ctx.addRecorded(250);
    QCOMPARE(ctx.expand(Json("{{elapsed_ms:created}}")).get<qint64>(), qint64(250));
    QCOMPARE(ctx.expand(Json("{{elapsed_ms}}")).get<qint64>(), qint64(350));

    // Every random value of a range turns up, none outside it.
    std::set<qint64> seen;
    for (int i = 0; i < 500; ++i)
        seen.insert(ctx.expand(Json("{{random:-2..2}}")).get<qint64>());
    QCOMPARE(seen, (std::set<qint64> {-2, -1, 0, 1, 2}));

    // UUID v7 carries the time; v4 is random.
    const std::string v7 = uuidV7(now);
    QCOMPARE(v7.size(), std::size_t(36));
    QCOMPARE(v7[14], '7');
    QCOMPARE(v7.substr(0, 8), std::string("019ee479")); // 1781949600000 = 0x019ee4791100
    QCOMPARE(v7.substr(9, 4), std::string("1100"));
    QCOMPARE(randomUuid()[14], '4');
}

void TestReplay::verdictComparison()
{
    auto v = [](const char* kind, const char* rule, const char* path) {
        Violation x;
        x.kind = *violationKindFromString(kind);
        x.rule = rule;
        x.path = path;
        x.severity = Severity::Error;
        return x;
    };
    std::string diff;
    QVERIFY(compareVerdict({}, {}, diff));
    QVERIFY(diff.empty());

    const Violation unfinished = v("sequence.unfinished", "run-lifecycle", "/properties/run_id");
    const Violation global = v("global", "globals", "/properties/runtime_type");
    QVERIFY(!compareVerdict({}, {global}, diff));
    QVERIFY2(diff.find("unexpected: global globals /properties/runtime_type") != std::string::npos, diff.c_str());

    ExpectedViolation e;
    e.kind = ViolationKind::SequenceUnfinished;
    e.rule = "run-lifecycle";
    e.path = "/properties/run_id";
    QVERIFY(compareVerdict({e}, {unfinished}, diff));
    QVERIFY(!compareVerdict({e}, {}, diff));
    QVERIFY2(diff == "missing: 1 × sequence.unfinished run-lifecycle /properties/run_id", diff.c_str());
    QVERIFY(!compareVerdict({e}, {unfinished, unfinished}, diff)); // count defaults to 1
    e.count = 2;
    QVERIFY(compareVerdict({e}, {unfinished, unfinished}, diff));

    // A bare kind matches any rule/path, but the specific entry claims its violation first.
    ExpectedViolation anyGlobal;
    anyGlobal.kind = ViolationKind::Global;
    ExpectedViolation specific;
    specific.kind = ViolationKind::Global;
    specific.path = "/properties/runtime_type";
    const Violation otherGlobal = v("global", "globals", "/properties/locale");
    QVERIFY(compareVerdict({anyGlobal, specific}, {global, otherGlobal}, diff));
    QVERIFY(!compareVerdict({specific}, {otherGlobal}, diff));
    specific.severity = Severity::Warning;
    QVERIFY(!compareVerdict({specific}, {global}, diff));
}

void TestReplay::everyBuiltinAgainstEventLens()
{
    Sink sink;
    std::vector<Scenario> all;
    for (const std::string& n : builtinScenarios())
        all.push_back(builtin(n));
    int events = 0;
    for (const Scenario& s : all)
        events += s.emitCount();

    ReplayEngine engine;
    ReplayOptions options;
    options.target = sink.url();
    options.speed = 0;
    engine.setOptions(options);
    QSignalSpy progress(&engine, &ReplayEngine::progress);
    QSignalSpy perScenario(&engine, &ReplayEngine::scenarioFinished);
    QSignalSpy done(&engine, &ReplayEngine::finished);
    engine.start(all);
    QVERIFY(engine.isRunning());
    QVERIFY(done.wait(120000));
    QVERIFY(!engine.isRunning());

    QCOMPARE(engine.results().size(), all.size());
    QCOMPARE(perScenario.size(), static_cast<int>(all.size()));
    for (const ScenarioResult& r : engine.results()) {
        QVERIFY2(r.status == ScenarioResult::Status::Passed, resultText(r).c_str());
        QVERIFY(r.eventLensTarget);
        QVERIFY(r.verdictAvailable);
        QCOMPARE(r.sent, r.events);
        QCOMPARE(r.checkedEvents, static_cast<qint64>(r.events));
        QVERIFY(r.until - r.since == r.events);
    }
    QVERIFY(engine.allOk());
    QCOMPARE(progress.last().at(0).toInt(), events);
    QCOMPARE(progress.last().at(1).toInt(), events);

    // Everything arrived as the real clients send it: nothing refused but what byok-flaky-network's
    // faults hit, web events on /e/ with $lib web, daemon events on /batch/ from posthog-node/5.70.0.
    for (const RejectedRequest& r : sink.session.store()->rejected())
        QVERIFY2(r.reason.rfind("fault injected: ", 0) == 0, r.reason.c_str());
    QCOMPARE(static_cast<int>(sink.session.store()->rejected().size()), 5);
    QVERIFY(sink.server.faults()->empty());
    QCOMPARE(static_cast<int>(sink.session.store()->events().size()), events);
    int web = 0;
    int daemon = 0;
    for (const EventPtr& e : sink.session.store()->events()) {
        if (e->lib() == "web") {
            ++web;
            QCOMPARE(e->endpoint(), std::string("/e/"));
            QCOMPARE(e->libVersion(), std::string("1.449.2"));
            QCOMPARE(e->apiKey(), std::string("phc_eventlens_replay"));
        } else {
            ++daemon;
            QCOMPARE(e->lib(), std::string("posthog-node"));
            QCOMPARE(e->endpoint(), std::string("/batch/"));
            QCOMPARE(e->userAgent(), std::string("posthog-node/5.70.0"));
        }
        QVERIFY(!e->distinctId().empty());
        QVERIFY(!e->uuid().empty());
    }
    QVERIFY(web > 0);
    QCOMPARE(daemon, 4);

    // The scenario's expectation is what the live engine saw as well (the runs rule pairs them).
    bool sawPinnedMismatch = false;
    for (const RunInfo& run : sink.session.runs())
        sawPinnedMismatch = sawPinnedMismatch || run.pinnedMismatches > 0;
    QVERIFY(sawPinnedMismatch);
}

void TestReplay::repeatGivesFreshIds()
{
    Sink sink;
    const auto results = replay(sink.url(), {builtin("byok-success")}, 3);
    QCOMPARE(results.size(), std::size_t(3));
    for (const ScenarioResult& r : results)
        QVERIFY2(r.status == ScenarioResult::Status::Passed, resultText(r).c_str());
    QCOMPARE(results[2].repetition, 3);
    std::set<std::string> runIds;
    std::set<std::string> devices;
    for (const EventPtr& e : sink.session.store()->events()) {
        if (e->runId())
            runIds.insert(e->runId()->get<std::string>());
        devices.insert(e->distinctId());
    }
    QCOMPARE(runIds.size(), std::size_t(3));
    QCOMPARE(devices.size(), std::size_t(3));
    // Each run is judged on its own range: three runs, three pairs, no duplicates across runs.
    QCOMPARE(results[1].since, results[0].until);
}

void TestReplay::mismatchIsReported()
{
    Sink sink;
    // Declares a clean run, but the run never finishes and the page_view has runtime_type "both".
    Scenario s = parsed(R"({
      "name": "wrong-expectation",
      "expect": {"violations": [{"kind": "sequence.pinned_mismatch"}]},
      "steps": [
        {"type": "register", "properties": {"runtime_type": "both"}},
        {"type": "emit", "event": "run_created", "properties": {"run_id": "{{run_id}}"}}
      ]})");
    const auto results = replay(sink.url(), {s});
    QCOMPARE(results.size(), std::size_t(1));
    const ScenarioResult& r = results[0];
    QCOMPARE(r.status, ScenarioResult::Status::Failed);
    QVERIFY(!r.ok());
    QVERIFY2(r.message.find("missing: 1 × sequence.pinned_mismatch") != std::string::npos, r.message.c_str());
    QVERIFY2(r.message.find("unexpected: ") != std::string::npos, r.message.c_str());
    QVERIFY2(
        r.message.find("sequence.unfinished run-lifecycle /properties/run_id") != std::string::npos, r.message.c_str());
    QVERIFY2(r.message.find("global globals /properties/runtime_type") != std::string::npos, r.message.c_str());
    const Json j = r.toJson();
    QCOMPARE(j["status"].get<std::string>(), std::string("FAILED"));
    QVERIFY(j["verdict"]["violations"].size() >= 2);
}

void TestReplay::wireFormatsAgainstOtherTarget()
{
    RecordingTarget target;
    Scenario s = parsed(R"({
      "name": "wire",
      "distinct_id": "dev-1",
      "steps": [
        {"type": "register", "properties": {"runtime_type": "byok", "session_id": "s1"}},
        {"type": "emit", "event": "web_plain", "properties": {"a": 1}},
        {"type": "transport", "transport": "web-gzip"},
        {"type": "emit", "event": "web_gzip", "properties": {"runtime_type": "none"}},
        {"type": "unregister", "names": ["session_id"]},
        {"type": "emit", "event": "web_again"},
        {"type": "transport", "transport": "daemon"},
        {"type": "register", "properties": {"$os": "Linux"}},
        {"type": "emit", "event": "node_gzip", "properties": {"b": 2}},
        {"type": "emit", "event": "node_plain", "transport": "daemon-plain", "distinct_id": "other-{{uuid:z}}"}
      ]})");
    const auto results = replay(target.url(), {s});
    QCOMPARE(results.size(), std::size_t(1));
    const ScenarioResult& r = results[0];
    QCOMPARE(r.status, ScenarioResult::Status::Sent);
    QVERIFY(r.ok());
    QVERIFY(!r.eventLensTarget);
    QCOMPARE(r.message, std::string("no verdict: target is not EventLens"));
    QCOMPARE(r.sent, 5);
    QCOMPARE(target.requests.size(), std::size_t(5));

    // posthog-js, compression off: {"api_key","batch":[one event],"sent_at"} as application/json.
    const HttpRequest& plain = target.requests[0];
    QCOMPARE(plain.method, std::string("POST"));
    QCOMPARE(plain.path, std::string("/e/"));
    QVERIFY(plain.query.empty());
    QCOMPARE(plain.header("Content-Type"), std::string("application/json"));
    QVERIFY(plain.header("Content-Encoding").empty());
    Json body = Json::parse(plain.body);
    QCOMPARE(body["api_key"].get<std::string>(), std::string("phc_eventlens_replay"));
    QVERIFY(body["sent_at"].is_string());
    QCOMPARE(body["batch"].size(), std::size_t(1));
    Json ev = body["batch"][0];
    QCOMPARE(ev["event"].get<std::string>(), std::string("web_plain"));
    QVERIFY(ev["uuid"].is_string());
    QCOMPARE(ev["uuid"].get<std::string>()[14], '7');
    QVERIFY(ev["timestamp"].is_string());
    QVERIFY(!ev.contains("distinct_id"));
    QCOMPARE(ev["properties"]["distinct_id"].get<std::string>(), std::string("dev-1"));
    QCOMPARE(ev["properties"]["token"].get<std::string>(), std::string("phc_eventlens_replay"));
    QCOMPARE(ev["properties"]["$lib"].get<std::string>(), std::string("web"));
    QCOMPARE(ev["properties"]["$lib_version"].get<std::string>(), std::string("1.449.2"));
    QCOMPARE(ev["properties"]["runtime_type"].get<std::string>(), std::string("byok"));
    QCOMPARE(ev["properties"]["session_id"].get<std::string>(), std::string("s1"));
    QCOMPARE(ev["properties"]["a"].get<int>(), 1);
    QVERIFY(ev["properties"]["$insert_id"].is_string());

    // gzip: raw gzip bytes as text/plain, no header or query flag; call-site properties win.
    const HttpRequest& gz = target.requests[1];
    QCOMPARE(gz.path, std::string("/e/"));
    QVERIFY(gz.query.empty());
    QCOMPARE(gz.header("Content-Type"), std::string("text/plain"));
    QVERIFY(gz.header("Content-Encoding").empty());
    QCOMPARE(static_cast<unsigned char>(gz.body[0]), 0x1f);
    QCOMPARE(static_cast<unsigned char>(gz.body[1]), 0x8b);
    ev = bodyJson(gz)["batch"][0];
    QCOMPARE(ev["event"].get<std::string>(), std::string("web_gzip"));
    QCOMPARE(ev["properties"]["runtime_type"].get<std::string>(), std::string("none"));
    QVERIFY(ev["properties"]["$session_id"] == bodyJson(plain)["batch"][0]["properties"]["$session_id"]);
    ev = bodyJson(target.requests[2])["batch"][0];
    QVERIFY(!ev["properties"].contains("session_id"));
    QCOMPARE(ev["properties"]["runtime_type"].get<std::string>(), std::string("byok"));

    // posthog-node: /batch/, gzip with Content-Encoding, its User-Agent, top-level distinct_id,
    // its own super-properties (the web client's are not the daemon's).
    const HttpRequest& node = target.requests[3];
    QCOMPARE(node.path, std::string("/batch/"));
    QCOMPARE(node.header("Content-Encoding"), std::string("gzip"));
    QCOMPARE(node.header("Content-Type"), std::string("application/json"));
    QCOMPARE(node.header("User-Agent"), std::string("posthog-node/5.70.0"));
    body = bodyJson(node);
    QCOMPARE(body["api_key"].get<std::string>(), std::string("phc_eventlens_replay"));
    QVERIFY(body["sent_at"].is_string());
    ev = body["batch"][0];
    QCOMPARE(ev["distinct_id"].get<std::string>(), std::string("dev-1"));
    QVERIFY(ev["uuid"].is_string());
    QVERIFY(!ev["properties"].contains("token"));
    QVERIFY(!ev["properties"].contains("distinct_id"));
    QVERIFY(!ev["properties"].contains("runtime_type"));
    QCOMPARE(ev["properties"]["$lib"].get<std::string>(), std::string("posthog-node"));
    QCOMPARE(ev["properties"]["$lib_version"].get<std::string>(), std::string("5.70.0"));
    QCOMPARE(ev["properties"]["$os"].get<std::string>(), std::string("Linux"));
    QCOMPARE(ev["properties"]["b"].get<int>(), 2);

    const HttpRequest& nodePlain = target.requests[4];
    QCOMPARE(nodePlain.path, std::string("/batch/"));
    QVERIFY(nodePlain.header("Content-Encoding").empty());
    ev = Json::parse(nodePlain.body)["batch"][0];
    QCOMPARE(ev["event"].get<std::string>(), std::string("node_plain"));
    QVERIFY(ev["distinct_id"].get<std::string>().rfind("other-", 0) == 0);
}

void TestReplay::capturedEventsAreResent()
{
    Sink first;
    auto results = replay(first.url(), {builtin("byok-mode-switch-mid-run"), builtin("local-cli-run")});
    QCOMPARE(results.size(), std::size_t(2));
    for (const ScenarioResult& r : results)
        QVERIFY2(r.ok(), resultText(r).c_str());

    // Export as GET /eventlens/v1/events shows them, one per line.
    std::string ndjson;
    const auto& captured = first.session.store()->events();
    for (const EventPtr& e : captured)
        ndjson += first.session.store()->eventJson(*e).dump() + "\n";
    Scenario s;
    std::string error;
    QVERIFY2(scenarioFromEvents(ndjson, "capture.ndjson", s, error), error.c_str());
    QCOMPARE(s.name, std::string("capture"));
    QVERIFY(!s.hasExpectation);
    QCOMPARE(s.emitCount(), static_cast<int>(captured.size()));

    Sink second;
    results = replay(second.url(), {s});
    QCOMPARE(results.size(), std::size_t(1));
    const ScenarioResult& r = results[0];
    QVERIFY2(r.status == ScenarioResult::Status::Reported, resultText(r).c_str());
    QVERIFY(r.actual.empty());
    QCOMPARE(r.sent, static_cast<int>(captured.size()));

    const auto& resent = second.session.store()->events();
    QCOMPARE(resent.size(), captured.size());
    for (std::size_t i = 0; i < captured.size(); ++i) {
        const Event& a = *captured[i];
        const Event& b = *resent[i];
        QCOMPARE(b.name(), a.name());
        QCOMPARE(b.distinctId(), a.distinctId());
        QCOMPARE(b.endpoint(), a.endpoint());
        QCOMPARE(b.lib(), a.lib());
        QCOMPARE(b.libVersion(), a.libVersion());
        QVERIFY(b.uuid() != a.uuid()); // a re-send is a new event
        QVERIFY(b.properties() == a.properties());
    }

    // The whole {"events": [...]} answer works too.
    Json page = {{"events", Json::array()}};
    for (const EventPtr& e : captured)
        page["events"].push_back(first.session.store()->eventJson(*e));
    QVERIFY2(scenarioFromEvents(page.dump(), "page.json", s, error), error.c_str());
    QCOMPARE(s.emitCount(), static_cast<int>(captured.size()));
}

void TestReplay::faultsAreRetriedLikeTheSdk()
{
    // byok-flaky-network: three 503s on run_created, two resets on run_finished; the replay retries as
    // posthog-js does and every event must be captured exactly once, the run finished, no violations.
    Sink sink;
    const Scenario s = builtin("byok-flaky-network");
    const auto results = replay(sink.url(), {s});
    QCOMPARE(results.size(), std::size_t(1));
    const ScenarioResult& r = results[0];
    QVERIFY2(r.status == ScenarioResult::Status::Passed, resultText(r).c_str());
    QCOMPARE(r.faults, 2);
    // Qt, like Chromium, sends a request that was reset on a reused keep-alive connection once more by
    // itself: the second reset may be absorbed before the replay sees a failure.
    QVERIFY2(r.retries == 4 || r.retries == 5, std::to_string(r.retries).c_str());
    QVERIFY(r.capturedOnce);
    QCOMPARE(r.sent, r.events);
    QCOMPARE(r.deliveries.size(), std::size_t(2));
    QVERIFY2(r.deliveries[0].rfind("run_created: HTTP 503", 0) == 0, r.deliveries[0].c_str());
    QVERIFY2(r.deliveries[0].find("HTTP 503, HTTP 503, HTTP 503, 200") != std::string::npos, r.deliveries[0].c_str());
    QVERIFY2(r.deliveries[1].rfind("run_finished: ", 0) == 0, r.deliveries[1].c_str());
    QVERIFY2(r.deliveries[1].size() > 5 && r.deliveries[1].compare(r.deliveries[1].size() - 5, 5, ", 200") == 0,
        r.deliveries[1].c_str());
    QVERIFY2(r.message.find(
                 "2 faults injected, " + std::to_string(r.retries) + " retries, every event captured exactly once")
            != std::string::npos,
        r.message.c_str());
    const Json j = r.toJson();
    QCOMPARE(j["retries"].get<int>(), r.retries);
    QCOMPARE(j["captured_once"].get<bool>(), true);

    // The sink's side: one copy of each event, the five faulted requests listed with their reason,
    // the run finished, and the faults removed once the run was over.
    QCOMPARE(static_cast<int>(sink.session.store()->events().size()), s.emitCount());
    std::set<std::string> uuids;
    for (const EventPtr& e : sink.session.store()->events())
        uuids.insert(e->uuid());
    QCOMPARE(static_cast<int>(uuids.size()), s.emitCount());
    const auto rejected = sink.session.store()->rejected();
    QCOMPARE(rejected.size(), std::size_t(5));
    int statusFaults = 0;
    int resetFaults = 0;
    for (const RejectedRequest& x : rejected) {
        QCOMPARE(x.path, std::string("/e/"));
        QVERIFY2(x.reason.rfind("fault injected: ", 0) == 0, x.reason.c_str());
        statusFaults += x.reason.find("503") != std::string::npos;
        resetFaults += x.reason.find("reset") != std::string::npos;
    }
    QCOMPARE(statusFaults, 3);
    QCOMPARE(resetFaults, 2);
    bool finished = false;
    for (const RunInfo& run : sink.session.runs())
        finished = finished || run.state == RunState::Finished;
    QVERIFY(finished);
    QVERIFY(sink.server.faults()->empty());
}

void TestReplay::retriesRunOut()
{
    // posthog-node gives up after 3 retries: a fault of 5 leaves the event undelivered, the run is an
    // error naming every answer, and the fault's leftover is removed so it cannot hit the next run.
    Sink sink;
    Scenario s = parsed(R"({
      "name": "outage", "transport": "daemon",
      "steps": [
        {"type": "fault", "fault": {"mode": "status", "status": 502, "count": 5, "path": "/batch/"}},
        {"type": "emit", "event": "settings_view", "properties": {"runtime_type": "none", "page_name": "settings"}}
      ]})");
    const auto results = replay(sink.url(), {s, builtin("local-cli-run")});
    QCOMPARE(results.size(), std::size_t(2));
    QCOMPARE(results[0].status, ScenarioResult::Status::Error);
    QCOMPARE(results[0].retries, 3);
    QCOMPARE(results[0].sent, 0);
    QVERIFY2(
        results[0].message.find("step 2 (settings_view): HTTP 502") != std::string::npos, results[0].message.c_str());
    QVERIFY2(results[0].message.find("HTTP 502, HTTP 502, HTTP 502, HTTP 502") != std::string::npos,
        results[0].message.c_str());
    QVERIFY2(results[1].status == ScenarioResult::Status::Passed, resultText(results[1]).c_str());
    QCOMPARE(results[1].retries, 0);
    QCOMPARE(sink.session.store()->rejected().size(), std::size_t(4));
    QVERIFY(sink.server.faults()->empty());
}

void TestReplay::faultStepsSkippedForOtherTargets()
{
    // A real PostHog cannot be told to fail: the fault steps are skipped and the events go as usual.
    RecordingTarget target;
    const auto results = replay(target.url(), {builtin("byok-flaky-network")});
    QCOMPARE(results.size(), std::size_t(1));
    QCOMPARE(results[0].status, ScenarioResult::Status::Sent);
    QCOMPARE(results[0].faults, 0);
    QCOMPARE(results[0].retries, 0);
    QCOMPARE(static_cast<int>(target.requests.size()), results[0].events);
    for (const HttpRequest& r : target.requests)
        QCOMPARE(r.path, std::string("/e/"));
}

void TestReplay::cancelStopsAtOnce()
{
    Sink sink;
    Scenario s = parsed(R"({"name": "slow", "steps": [
        {"type": "emit", "event": "first"}, {"type": "wait", "ms": 60000}, {"type": "emit", "event": "second"}]})");
    ReplayEngine engine;
    ReplayOptions options;
    options.target = sink.url();
    engine.setOptions(options); // speed 1: the wait is a real minute
    QSignalSpy progress(&engine, &ReplayEngine::progress);
    QSignalSpy done(&engine, &ReplayEngine::finished);
    engine.start({s, s});
    QTRY_VERIFY_WITH_TIMEOUT(progress.size() >= 2, 10000); // (0, 2) then (1, 2)
    QElapsedTimer t;
    t.start();
    engine.cancel();
    QCOMPARE(done.size(), 1);
    QVERIFY(t.elapsed() < 1000);
    QVERIFY(engine.wasCancelled());
    QVERIFY(!engine.isRunning());
    QCOMPARE(engine.results().size(), std::size_t(1));
    QCOMPARE(engine.results()[0].status, ScenarioResult::Status::Cancelled);
    QCOMPARE(engine.results()[0].sent, 1);
    QTest::qWait(200);
    QCOMPARE(done.size(), 1);
    QCOMPARE(sink.session.store()->events().size(), std::size_t(1));
}

void TestReplay::unreachableTargetIsAnError()
{
    // A port nobody listens on.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    const auto results = replay(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), {builtin("byok-success")});
    QCOMPARE(results.size(), std::size_t(1));
    QCOMPARE(results[0].status, ScenarioResult::Status::Error);
    QCOMPARE(results[0].sent, 0);
    QVERIFY(!results[0].sendErrors.empty());
    QVERIFY2(results[0].message.find("step 2 (page_view)") != std::string::npos, results[0].message.c_str());
}

QTEST_GUILESS_MAIN(TestReplay)
#include "tst_replay.moc"
