// SPDX-License-Identifier: MIT
// eventlens-judgebench (issue 15): what judging a kept event again costs, phase by phase, on one thread. A
// "Reload Contract" (and an open or an import) does, per event: parse its compact JSON, judgeEvent(), count its
// coverage. Each phase is timed alone over the same events (median of rounds), and the whole as a reload runs it.
//
//   eventlens-judgebench [--contract builtin:open-design|FILE] [--input FILE.ndjson] [--max-events N] [--rounds N]
//
// The input defaults to tests/data/open-design/valid.ndjson (21 events); bench/check's generated NDJSON (10 %
// schema-invalid) is the realistic one. Events are made as the sink makes them (makeEvent, compact text kept).
// Each round counts coverage afresh, so on the 21-event sample count_us is mostly the first event of each name, and
// compiles the contract afresh, so that failing events are explained as a reload explains them (once per mistake).
#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/coverage.h"
#include "model/event.h"
#include "util/flatjson.h"

#include "benchstats.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

using elbench::median;

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv); // the built-in contracts are Qt resources
    elbench::JudgeOptions options;
    options.input = EVENTLENS_BENCH_TEMPLATES;
    options.maxEvents = 50000;
    options.rounds = 5;
    for (int i = 1; i < argc; ++i) {
        if (!options.take(argc, argv, i)) {
            std::fprintf(stderr, "usage: eventlens-judgebench %s\n", elbench::JudgeOptions::kUsage);
            return 2;
        }
    }
    const std::string& contractName = options.contract;
    const std::string& input = options.input;
    const int rounds = options.rounds;
    std::string error;
    auto contract = el::loadContract(contractName, error);
    if (!contract) {
        std::fprintf(stderr, "judgebench: %s\n", error.c_str());
        return 1;
    }
    std::vector<el::Event> events;
    std::size_t bytes = 0;
    {
        el::EventOrigin origin;
        elbench::forEachLine(input, options.maxEvents, [&](const std::string& line) {
            const el::Json doc = el::Json::parse(line);
            events.push_back(el::makeEvent(doc, origin, qint64(events.size()) + 1, 1, 0));
            bytes += events.back().json.size();
        });
    }
    if (events.empty()) {
        std::fprintf(stderr, "judgebench: no events in %s\n", input.c_str());
        return 1;
    }
    std::vector<el::Json> docs;
    for (const el::Event& e : events)
        docs.push_back(e.doc());

    std::size_t sink = 0;
    // Each pass gets the contract compiled afresh (not timed), as a reload does: a schema remembers what it said of
    // failing events (see JsonSchema::validate()), and a second pass over the same events would only ask it.
    const auto time = [&](const std::function<void()>& pass) {
        std::vector<double> us;
        pass(); // warm-up
        for (int r = 0; r < rounds; ++r) {
            contract = el::loadContract(contractName, error);
            const auto start = Clock::now();
            pass();
            us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() / events.size());
        }
        return median(us);
    };
    const double parseUs = time([&] {
        for (const el::Event& e : events)
            sink += e.doc().size();
    });
    const double judgeUs = time([&] {
        for (std::size_t i = 0; i < events.size(); ++i)
            sink += el::judgeEvent(*contract, events[i], docs[i]).violations.size();
    });
    el::Coverage coverage(contract);
    const double countUs = time([&] {
        el::Coverage c = coverage.fresh();
        for (std::size_t i = 0; i < events.size(); ++i)
            c.addEvent(events[i].name(), docs[i]);
        sink += c.events();
    });
    const double wholeUs = time([&] {
        el::Coverage c = coverage.fresh();
        for (const el::Event& e : events) {
            const el::Json doc = e.doc();
            sink += el::judgeEvent(*contract, e, doc).violations.size();
            c.addEvent(e.name(), doc);
        }
        sink += c.events();
    });
    // The same, as a reload runs it now: each compact text read into a FlatJson, judged and counted with no DOM when
    // the fast evaluator decides (el::judgeKeptEvent()); the DOM only for the others.
    const double flatParseUs = time([&] {
        el::FlatJson& flat = el::FlatJson::threadScratch();
        for (const el::Event& e : events)
            sink += flat.parse(e.json) ? 1 : 0;
    });
    const double keptUs = time([&] {
        el::Coverage c = coverage.fresh();
        for (const el::Event& e : events) {
            el::EventJudgement j;
            el::judgeKeptEvent(contract.get(), e, &j, &c);
            sink += j.violations.size();
        }
        sink += c.events();
    });
    // The kept path's two halves alone, on texts read beforehand (one FlatJson per event: memory, not speed).
    std::vector<std::unique_ptr<el::FlatJson>> flats;
    for (const el::Event& e : events) {
        flats.push_back(std::make_unique<el::FlatJson>());
        flats.back()->parse(e.json);
    }
    const double quickJudgeUs = time([&] {
        for (std::size_t i = 0; i < events.size(); ++i) {
            el::EventJudgement j;
            sink += el::judgeEventQuickly(*contract, events[i], flats[i]->root(), j) ? j.facts.size() : 0;
        }
    });
    const double quickCountUs = time([&] {
        el::Coverage c = coverage.fresh();
        for (std::size_t i = 0; i < events.size(); ++i)
            c.addEvent(events[i].name(), flats[i]->root());
        sink += c.events();
    });
    flats.clear();
    // How many events the quick path decides, and that it says what judgeEvent() says of each (a reference check,
    // not a test: tests/contract/tst_flatjudge.cpp is).
    std::size_t quick = 0, mismatches = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        el::FlatJson& flat = el::FlatJson::threadScratch();
        el::EventJudgement q;
        if (!flat.parse(events[i].json) || !el::judgeEventQuickly(*contract, events[i], flat.root(), q))
            continue;
        ++quick;
        const el::EventJudgement full = el::judgeEvent(*contract, events[i], docs[i]);
        bool same = q.violations.size() == full.violations.size() && q.facts == full.facts;
        for (std::size_t k = 0; same && k < q.violations.size(); ++k)
            same = q.violations[k].message == full.violations[k].message
                && q.violations[k].path == full.violations[k].path;
        mismatches += same ? 0 : 1;
    }
    // Judging alone, split: the events every check accepts (the fast evaluator decides) and the failing ones
    // (valijson explains them).
    std::vector<std::size_t> valid, invalid;
    std::size_t violations = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const std::size_t n = el::judgeEvent(*contract, events[i], docs[i]).violations.size();
        violations += n;
        (n == 0 ? valid : invalid).push_back(i);
    }
    const auto judgeOnly = [&](const std::vector<std::size_t>& which) {
        if (which.empty())
            return 0.0;
        const double perEvent = time([&] {
            for (std::size_t i : which)
                sink += el::judgeEvent(*contract, events[i], docs[i]).violations.size();
        });
        return perEvent * double(events.size()) / double(which.size()); // time() divides by all the events
    };
    const double judgeValidUs = judgeOnly(valid), judgeFailingUs = judgeOnly(invalid);
    std::printf("label=judgebench contract=%s events=%zu avg_bytes=%.0f failing=%zu violations=%zu rounds=%d "
                "parse_us=%.2f judge_us=%.2f judge_valid_us=%.2f judge_failing_us=%.2f count_us=%.2f whole_us=%.2f "
                "whole_events_per_s_one_core=%.0f flat_parse_us=%.2f kept_us=%.2f kept_events_per_s_one_core=%.0f "
                "quick_judge_us=%.2f quick_count_us=%.2f quick=%zu quick_mismatches=%zu sink=%zu\n",
        contractName.c_str(), events.size(), double(bytes) / double(events.size()), invalid.size(), violations, rounds,
        parseUs, judgeUs, judgeValidUs, judgeFailingUs, countUs, wholeUs, 1e6 / wholeUs, flatParseUs, keptUs,
        1e6 / keptUs, quickJudgeUs, quickCountUs, quick, mismatches, sink);
    return 0;
}
