// SPDX-License-Identifier: MIT
// eventlens-membench (issue 8): how much memory events take by themselves. Builds N events from the
// open-design sample (fresh uuid and $insert_id per copy, posthog-node batches of 30 sharing their
// sources, as Capture does) with makeEvent(), keeps them in an EventStore, and reports RSS growth per
// event against the events' raw JSON bytes. No model, view, contract or journal: bench/ui measures the
// whole GUI process.
#include "model/event.h"
#include "store/eventstore.h"
#include "transport/httprequest.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

long rssKb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, 6, "VmRSS:") == 0)
            return std::atol(line.c_str() + 6);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    long long count = 1000000;
    const char* templates = EVENTLENS_BENCH_TEMPLATES;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            count = std::atoll(argv[++i]);
        } else if (std::strcmp(argv[i], "--templates") == 0 && i + 1 < argc) {
            templates = argv[++i];
        } else {
            std::fprintf(stderr, "usage: eventlens-membench [--events N] [--templates FILE.ndjson]\n");
            return 2;
        }
    }
    std::ifstream in(templates);
    std::vector<el::Json> sample;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            sample.push_back(el::Json::parse(line));
    if (sample.empty()) {
        std::fprintf(stderr, "membench: no events in %s\n", templates);
        return 1;
    }
    el::HttpRequest request;
    request.method = "POST";
    request.path = "/batch/";
    request.headers = {{"User-Agent", "posthog-node/5.70.0"}};

    el::EventStore store;
    const long before = rssKb();
    long long rawBytes = 0;
    long long textBytes = 0;
    std::vector<el::Event> batch;
    el::EventSourceCache sources;
    for (long long i = 0; i < count; ++i) {
        el::Json doc = sample[static_cast<std::size_t>(i) % sample.size()];
        const std::string id = "0190c0de-" + std::to_string(1000000000LL + i) + "-4000-8000-000000000000";
        doc["uuid"] = id;
        if (doc["properties"].is_object() && doc["properties"].contains("$insert_id"))
            doc["properties"]["$insert_id"] = id;
        rawBytes += static_cast<long long>(doc.dump().size());
        batch.push_back(el::makeEvent(
            doc, request, store.nextSeq() + static_cast<qint64>(batch.size()), i / 30 + 1, 1764115200000, &sources));
        textBytes += static_cast<long long>(batch.back().json.size());
        if (batch.size() == 30 || i + 1 == count) {
            store.appendEvents(std::move(batch));
            batch.clear();
            sources = {};
        }
    }
    const long after = rssKb();
    const double perEvent = 1024.0 * static_cast<double>(after - before) / static_cast<double>(count);
    const double rawPerEvent = static_cast<double>(rawBytes) / static_cast<double>(count);
    std::printf("label=memory events=%lld sizeof_event=%zu rss_per_event_bytes=%.0f raw_json_bytes_per_event=%.0f "
                "stored_json_bytes_per_event=%.0f memory_ratio=%.2f\n",
        count, sizeof(el::Event), perEvent, rawPerEvent, static_cast<double>(textBytes) / static_cast<double>(count),
        perEvent / rawPerEvent);
    std::fflush(stdout);
    std::_Exit(0); // the figures are printed; skip freeing a million events
}
