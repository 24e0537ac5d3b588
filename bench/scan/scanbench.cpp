// SPDX-License-Identifier: MIT
// eventlens-scanbench (issue 18, part 3): what the `scans` of a contract cost the per-event judging. The same parsed
// events are judged (el::judgeEvent, one thread, nothing else timed: no parsing, no sequence rules, no report) by the
// same contract without its `scans` block and with one, in alternating rounds; it prints the median events/s of each
// and their ratio. bench/check/scan.sh measures the same on the whole `eventlens check`.
//
//   eventlens-scanbench [--contract builtin:open-design|FILE] [--input FILE.ndjson] [--max-events N] [--rounds N]
//                       [--round-ms MS] [--plant N]
//
// The input defaults to tests/data/open-design/valid.ndjson (21 events, 1.5 KB on average); --input takes any NDJSON
// of bare events, e.g. bench/check's generated one (its first --max-events lines, default 20000). --plant N puts an
// Anthropic key into one string property of every Nth event (0, the default: none), to time the path with findings.
// The scans block is the contract's own when it has one, else secret (error) and pii (warning) with every detector.
#include "contract/contract.h"
#include "contract/contractengine.h"
#include "model/event.h"

#include "benchstats.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

el::Event eventOf(const el::Json& doc, qint64 seq)
{
    el::Event e;
    e.seq = seq;
    e.requestId = seq;
    const auto name = doc.find("event");
    if (name != doc.end() && name->is_string())
        e.setField(el::Event::Field::Name, name->get<std::string>());
    const auto ts = doc.find("timestamp");
    if (ts != doc.end() && ts->is_string())
        e.setField(el::Event::Field::Timestamp, ts->get<std::string>());
    return e;
}

using elbench::median;

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv); // the built-in contracts are Qt resources
    elbench::JudgeOptions options;
    options.input = EVENTLENS_BENCH_TEMPLATES;
    options.maxEvents = 20000;
    options.rounds = 9;
    int roundMs = 400;
    std::size_t plant = 0;
    for (int i = 1; i < argc; ++i) {
        if (options.take(argc, argv, i))
            continue;
        if (std::strcmp(argv[i], "--round-ms") == 0 && i + 1 < argc)
            roundMs = std::max(10, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--plant") == 0 && i + 1 < argc)
            plant = std::size_t(std::atoll(argv[++i]));
        else {
            std::fprintf(
                stderr, "usage: eventlens-scanbench %s [--round-ms MS] [--plant N]\n", elbench::JudgeOptions::kUsage);
            return 2;
        }
    }
    const std::string& contractName = options.contract;
    const std::string& input = options.input;
    const int rounds = options.rounds;

    std::string error;
    const auto loaded = el::loadContract(contractName, error);
    if (!loaded) {
        std::fprintf(stderr, "scanbench: %s\n", error.c_str());
        return 1;
    }
    el::Json without = loaded->source();
    el::Json scans = without.contains("scans") ? without["scans"] : el::Json::parse(R"([
        {"id": "bench-secrets", "kind": "secret", "severity": "error"},
        {"id": "bench-pii", "kind": "pii", "severity": "warning"}])");
    without.erase("scans");
    el::Json with = without;
    with["scans"] = scans;
    const auto plain = el::Contract::fromJson(without, contractName + " without scans", error);
    const auto scanning = plain ? el::Contract::fromJson(with, contractName + " with scans", error) : nullptr;
    if (!plain || !scanning) {
        std::fprintf(stderr, "scanbench: %s\n", error.c_str());
        return 1;
    }

    std::vector<el::Json> docs;
    std::size_t bytes = 0;
    elbench::forEachLine(input, options.maxEvents, [&](const std::string& line) {
        bytes += line.size();
        docs.push_back(el::Json::parse(line));
    });
    if (docs.empty()) {
        std::fprintf(stderr, "scanbench: no events in %s\n", input.c_str());
        return 1;
    }
    const std::string key = "sk-ant-api03-Qm9vYmFyQmF6MTIzNDU2Nzg5MEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFla"
                            "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY3ODkwAA";
    std::size_t planted = 0;
    for (std::size_t i = 0; plant && i < docs.size(); i += plant) {
        auto props = docs[i].find("properties");
        if (props != docs[i].end() && props->is_object()) {
            (*props)["error_message"] = "provider said 401 for " + key;
            ++planted;
        }
    }
    std::vector<el::Event> events;
    for (std::size_t i = 0; i < docs.size(); ++i)
        events.push_back(eventOf(docs[i], qint64(i) + 1));

    // Violations per pass (a check that both contracts judge alike but for the scans' own).
    auto count = [&](const el::Contract& c, std::size_t& scanFindings) {
        std::size_t n = 0;
        scanFindings = 0;
        for (std::size_t i = 0; i < docs.size(); ++i) {
            for (const el::Violation& v : el::judgeEvent(c, events[i], docs[i]).violations) {
                ++n;
                scanFindings += v.kind == el::ViolationKind::Secret || v.kind == el::ViolationKind::Pii;
            }
        }
        return n;
    };
    std::size_t findingsPlain = 0, findingsScan = 0;
    const std::size_t violationsPlain = count(*plain, findingsPlain);
    const std::size_t violationsScan = count(*scanning, findingsScan);

    // One round: whole passes over the events for at least roundMs; events judged per second.
    std::size_t sink = 0;
    auto round = [&](const el::Contract& c) {
        std::size_t judged = 0;
        const auto start = Clock::now();
        const auto until = start + std::chrono::milliseconds(roundMs);
        do {
            for (std::size_t i = 0; i < docs.size(); ++i)
                sink += el::judgeEvent(c, events[i], docs[i]).violations.size();
            judged += docs.size();
        } while (Clock::now() < until);
        return double(judged) / std::chrono::duration<double>(Clock::now() - start).count();
    };
    round(*plain); // warm-up
    round(*scanning);
    std::vector<double> a, b;
    for (int r = 0; r < rounds; ++r) {
        if (r % 2) {
            b.push_back(round(*scanning));
            a.push_back(round(*plain));
        } else {
            a.push_back(round(*plain));
            b.push_back(round(*scanning));
        }
    }
    const double withoutEps = median(a), withEps = median(b);
    std::printf("label=scanbench contract=%s input=%s events=%zu avg_bytes=%.0f planted=%zu rounds=%d round_ms=%d "
                "violations_without=%zu violations_with=%zu scan_findings=%zu judge_events_per_s_without=%.0f "
                "judge_events_per_s_with=%.0f ratio=%.4f cost_pct=%.2f us_per_event_scan=%.3f sink=%zu\n",
        contractName.c_str(), input.c_str(), docs.size(), double(bytes) / double(docs.size()), planted, rounds, roundMs,
        violationsPlain, violationsScan, findingsScan, withoutEps, withEps, withEps / withoutEps,
        100.0 * (1.0 - withEps / withoutEps), 1e6 / withEps - 1e6 / withoutEps, sink);
    return violationsScan - findingsScan == violationsPlain ? 0 : 3;
}
