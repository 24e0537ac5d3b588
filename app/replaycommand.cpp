// SPDX-License-Identifier: MIT
#include "replaycommand.h"
#include "commandhelp.h"

#include "replay/replayengine.h"
#include "replay/scenario.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <cstdio>

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void onInterrupt(int)
{
    g_interrupted = 1;
}

/** Prints \a text word-wrapped at \a width columns, each line indented by \a indent spaces. */
void printWrapped(const std::string& text, int indent, std::size_t width)
{
    std::string line;
    std::size_t pos = 0;
    auto flush = [&] {
        if (!line.empty())
            std::printf("%*s%s\n", indent, "", line.c_str());
        line.clear();
    };
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string::npos)
            end = text.size();
        const std::string word = text.substr(pos, end - pos);
        if (!line.empty() && line.size() + 1 + word.size() > width)
            flush();
        line += (line.empty() ? "" : " ") + word;
        pos = end + 1;
    }
    flush();
}

void printList()
{
    std::printf("Built-in scenarios (replay one with builtin:NAME, all with --all):\n");
    for (const std::string& name : el::builtinScenarios()) {
        el::Scenario s;
        std::string error;
        if (!el::loadScenario("builtin:" + name, s, error)) {
            std::printf("\n  %s (cannot load: %s)\n", name.c_str(), error.c_str());
            continue;
        }
        const int n = s.emitCount();
        std::printf(
            "\n  %s: %d event%s, expects %s\n", name.c_str(), n, n == 1 ? "" : "s", s.expectationText().c_str());
        printWrapped(s.description, 4, 96);
    }
}

/** "11 of 11 runs matched their expected verdict", or the breakdown when the runs differ. */
std::string summary(const std::vector<el::ScenarioResult>& results, bool cancelled)
{
    int passed = 0, failed = 0, errors = 0, reported = 0, sent = 0, stopped = 0;
    for (const el::ScenarioResult& r : results) {
        switch (r.status) {
        case el::ScenarioResult::Status::Passed:
            ++passed;
            break;
        case el::ScenarioResult::Status::Failed:
            ++failed;
            break;
        case el::ScenarioResult::Status::Error:
            ++errors;
            break;
        case el::ScenarioResult::Status::Reported:
            ++reported;
            break;
        case el::ScenarioResult::Status::Sent:
            ++sent;
            break;
        case el::ScenarioResult::Status::Cancelled:
            ++stopped;
            break;
        }
    }
    const int total = static_cast<int>(results.size());
    const int ok = passed + reported + sent;
    std::string out;
    if (passed == total)
        out = std::to_string(total) + " of " + std::to_string(total) + " runs matched their expected verdict";
    else if (sent == total)
        out = std::to_string(total) + " of " + std::to_string(total)
            + " runs sent, every event accepted (no verdict: target is not EventLens)";
    else {
        out = std::to_string(ok) + " of " + std::to_string(total) + " runs ok:";
        std::string sep = " ";
        auto part = [&](int n, const char* what) {
            if (n > 0) {
                out += sep + std::to_string(n) + " " + what;
                sep = ", ";
            }
        };
        part(passed, "matched their expected verdict");
        part(reported, "reported (no expectation)");
        part(sent, "sent (no verdict: target is not EventLens)");
        part(failed, "FAILED");
        part(errors, "ERROR");
        part(stopped, "cancelled");
    }
    if (cancelled)
        out += " (cancelled)";
    return out;
}

std::string runLabel(const el::ScenarioResult& r)
{
    std::string label = r.scenario;
    if (r.repeat > 1)
        label += " #" + std::to_string(r.repetition);
    return label;
}

} // namespace

int runReplayCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Replays simulated client runs over real HTTP, exactly as posthog-js and posthog-node send them, into\n"
        "EventLens or a real PostHog project. Against EventLens each run's verdict (the violations of the\n"
        "built-in or loaded contract) is compared with the scenario's expected verdict.\n\n"
        "SCENARIO is a scenario file (JSON) or builtin:NAME. Exit code: 0 when every run matched its\n"
        "expectation (or, for a target that is not EventLens, every event was accepted), 1 otherwise,\n"
        "2 on usage or scenario-file errors."));
    parser.addHelpOption();
    const QCommandLineOption target(QStringLiteral("target"),
        QStringLiteral("Where to send (default http://127.0.0.1:8484): an EventLens sink or a PostHog host, "
                       "e.g. https://us.i.posthog.com."),
        QStringLiteral("URL"), QStringLiteral("http://127.0.0.1:8484"));
    const QCommandLineOption key(QStringLiteral("key"),
        QStringLiteral("Project API key sent as api_key/token (default phc_eventlens_replay)."), QStringLiteral("KEY"),
        QStringLiteral("phc_eventlens_replay"));
    const QCommandLineOption speed(QStringLiteral("speed"),
        QStringLiteral("1 = waits as recorded (default), 10 = ten times faster, 0 or max = as fast as possible."),
        QStringLiteral("X"), QStringLiteral("1"));
    const QCommandLineOption repeat(QStringLiteral("repeat"), QStringLiteral("Run each scenario N times (default 1)."),
        QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption events(QStringLiteral("events"),
        QStringLiteral("Re-send a captured session: NDJSON, one event per line as GET /eventlens/v1/events "
                       "returns them (repeatable)."),
        QStringLiteral("FILE"));
    const QCommandLineOption all(QStringLiteral("all"), QStringLiteral("Replay every built-in scenario."));
    const QCommandLineOption list(QStringLiteral("list"), QStringLiteral("List the built-in scenarios and exit."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print the results as JSON on stdout."));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
        QStringLiteral("How long to wait for EventLens to list the sent events, in ms (default 10000)."),
        QStringLiteral("MS"), QStringLiteral("10000"));
    parser.addOptions({target, key, speed, repeat, events, all, list, json, timeout});
    parser.addPositionalArgument(QStringLiteral("SCENARIO"), QStringLiteral("A scenario file or builtin:NAME."),
        QStringLiteral("[SCENARIO...]"));

    QStringList argv = args;
    argv.prepend(QStringLiteral("eventlens replay"));
    if (!parser.parse(argv)) {
        std::fprintf(stderr, "eventlens replay: %s (see: eventlens replay --help)\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::printf("%s", qPrintable(commandHelpText(parser, "replay")));
        std::printf("\nExamples:\n"
                    "  eventlens replay --list\n"
                    "  eventlens replay --all --speed max\n"
                    "  eventlens replay builtin:byok-success builtin:byok-cancel --repeat 5\n"
                    "  eventlens replay --target https://us.i.posthog.com --key phc_... builtin:byok-success\n"
                    "  curl -s 'http://127.0.0.1:8484/eventlens/v1/events?limit=100000' > capture.json\n"
                    "  eventlens replay --events capture.json --target http://127.0.0.1:9000 --speed max\n");
        return 0;
    }
    if (parser.isSet(list)) {
        printList();
        return 0;
    }

    el::ReplayOptions options;
    options.target = QUrl(parser.value(target), QUrl::StrictMode);
    if (!options.target.isValid()
        || (options.target.scheme() != QLatin1String("http") && options.target.scheme() != QLatin1String("https"))
        || options.target.host().isEmpty()) {
        std::fprintf(stderr, "eventlens replay: invalid --target '%s' (expected http://HOST[:PORT] or https://...)\n",
            qPrintable(parser.value(target)));
        return 2;
    }
    options.apiKey = parser.value(key);
    if (options.apiKey.isEmpty()) {
        std::fprintf(stderr, "eventlens replay: --key must not be empty\n");
        return 2;
    }
    const QString speedText = parser.value(speed);
    bool ok = false;
    if (speedText == QLatin1String("max"))
        options.speed = 0;
    else {
        options.speed = speedText.toDouble(&ok);
        if (!ok || options.speed < 0) {
            std::fprintf(
                stderr, "eventlens replay: invalid --speed '%s' (a number > 0, or 0/max)\n", qPrintable(speedText));
            return 2;
        }
    }
    options.repeat = parser.value(repeat).toInt(&ok);
    if (!ok || options.repeat < 1 || options.repeat > 100000) {
        std::fprintf(stderr, "eventlens replay: invalid --repeat '%s' (1 or more)\n", qPrintable(parser.value(repeat)));
        return 2;
    }
    options.verdictTimeoutMs = parser.value(timeout).toInt(&ok);
    if (!ok || options.verdictTimeoutMs < 0) {
        std::fprintf(stderr, "eventlens replay: invalid --timeout '%s'\n", qPrintable(parser.value(timeout)));
        return 2;
    }

    std::vector<el::Scenario> scenarios;
    QStringList names = parser.positionalArguments();
    if (parser.isSet(all))
        for (const std::string& n : el::builtinScenarios())
            names.append(QStringLiteral("builtin:") + QString::fromStdString(n));
    for (const QString& name : names) {
        el::Scenario s;
        std::string error;
        if (!el::loadScenario(name.toStdString(), s, error)) {
            std::fprintf(stderr, "eventlens replay: %s\n", error.c_str());
            return 2;
        }
        scenarios.push_back(std::move(s));
    }
    for (const QString& file : parser.values(events)) {
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly)) {
            std::fprintf(
                stderr, "eventlens replay: cannot read %s: %s\n", qPrintable(file), qPrintable(f.errorString()));
            return 2;
        }
        el::Scenario s;
        std::string error;
        if (!el::scenarioFromEvents(f.readAll().toStdString(), file.toStdString(), s, error)) {
            std::fprintf(stderr, "eventlens replay: %s\n", error.c_str());
            return 2;
        }
        scenarios.push_back(std::move(s));
    }
    if (scenarios.empty()) {
        std::fprintf(stderr,
            "eventlens replay: no scenario given (e.g. builtin:byok-success, --all, --events FILE; "
            "see: eventlens replay --list)\n");
        return 2;
    }

    const bool asJson = parser.isSet(json);
    el::ReplayEngine engine;
    engine.setOptions(options);
    QEventLoop loop;
    QObject::connect(&engine, &el::ReplayEngine::finished, &loop, &QEventLoop::quit);
    QObject::connect(&engine, &el::ReplayEngine::scenarioFinished, [asJson](const el::ScenarioResult& r) {
        if (asJson)
            return;
        std::printf("%-9s %-32s %d/%d events sent", r.statusText().c_str(), runLabel(r).c_str(), r.sent, r.events);
        if (r.verdictAvailable) {
            std::printf(
                "\n          expected: %s\n          actual:   %s", r.expectedText.c_str(), r.actualText().c_str());
        }
        if (!r.message.empty())
            std::printf("\n          %s", r.message.c_str());
        std::printf("\n");
        std::fflush(stdout);
    });

    // Ctrl-C cancels cleanly: the run in flight is reported as cancelled.
    g_interrupted = 0;
    auto previous = std::signal(SIGINT, onInterrupt);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &engine, [&engine] {
        if (g_interrupted)
            engine.cancel();
    });
    poll.start(100);

    if (!asJson)
        std::fprintf(stderr, "eventlens replay: %zu scenario(s) x %d to %s (speed %s)\n", scenarios.size(),
            options.repeat, qPrintable(options.target.toString()),
            options.speed > 0 ? qPrintable(QString::number(options.speed)) : "max");
    engine.start(std::move(scenarios));
    loop.exec();
    poll.stop();
    std::signal(SIGINT, previous);

    const auto& results = engine.results();
    if (asJson) {
        el::Json out = {{"target", options.target.toString().toStdString()}, {"ok", engine.allOk()},
            {"cancelled", engine.wasCancelled()}, {"results", el::Json::array()}};
        for (const el::ScenarioResult& r : results)
            out["results"].push_back(r.toJson());
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("replay: %s\n", summary(results, engine.wasCancelled()).c_str());
    }
    std::fflush(stdout);
    return engine.allOk() && !engine.wasCancelled() ? 0 : 1;
}
