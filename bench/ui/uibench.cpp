// SPDX-License-Identifier: MIT
// eventlens-uibench (issue 8): feeds events through the real GUI pipeline, offscreen:
//   Capture::ingestAsync (decode + per-event contract checks on worker threads, then sequence rules, store
//   and optional journal committed on the GUI thread, as in the app; --sync: all of it on the GUI thread)
//   -> EventStore -> EventTableModel (100 ms throttled flush) -> EventFilterProxy -> QTableView (shown,
//   following the tail with scrollToBottom() like MainWindow).
// Requests are posthog-node /batch/ JSON bodies of 20..50 events built from the open-design sample
// events with unique ids (built just in time; that cost is measured separately and reported).
//
// Reports: insert throughput (events/s that reached the model), the longest event-loop stall seen by
// a 10 ms QTimer watchdog, memory per event (RSS growth / events, vs the events' raw JSON bytes), and
// the time to apply a text filter and a runtime_type filter over all rows; with the contract, a "Reload
// Contract" in the background (events re-judged per second, longest stall meanwhile) and the blocking one.
#include "contract/contractengine.h"
#include "eventfilterproxy.h"
#include "eventtablemodel.h"
#include "pipeline/capture.h"
#include "runtimetype.h"
#include "store/eventstore.h"
#include "store/journal.h"
#include "util/keptext.h"
#include "wire/decode.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHeaderView>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <sys/resource.h>
#include <vector>

using namespace el;

namespace {

/** User and system CPU of every thread of this process so far, in seconds. */
double processCpuSeconds()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

} // namespace

namespace {

struct Options
{
    qint64 events = 1000000;
    double rate = 0; // events/s; 0 = as fast as possible
    bool journal = true;
    bool contract = true;
    int rowCap = 1000000;
    bool skipFilters = false;
    bool sync = false; // wait for each request to be committed (drainIngests) before the next
    int inFlight = 16; // ingestAsync: requests handed in and not yet committed (like 16 client connections)
};

long rssKb(const char* field = "VmRSS:")
{
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::size_t n = std::strlen(field);
    while (std::getline(in, line))
        if (line.compare(0, n, field) == 0)
            return std::atol(line.c_str() + n);
    return 0;
}

/**
 * Asks jemalloc, when the process has it (the app and this benchmark link it; looked up at run time, so a build
 * without it still links), to give back every freed page it keeps (all arenas; jemalloc 5's MALLCTL_ARENAS_ALL is
 * 4096). RSS after that is the memory in use; before, it also holds the garbage of the last seconds, which grows
 * with the feed rate. False without jemalloc.
 */
bool purgeAllocator()
{
    using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
    const auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
    return mallctl && mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0) == 0;
}

/** Builds posthog-node /batch/ bodies from the sample events, with unique ids per copy. */
class Generator
{
public:
    explicit Generator(const std::string& path)
    {
        std::ifstream in(path);
        std::string line;
        while (std::getline(in, line))
            if (!line.empty())
                m_templates.push_back(Json::parse(line));
        if (m_templates.empty()) {
            std::fprintf(stderr, "uibench: no templates in %s\n", path.c_str());
            std::exit(1);
        }
        // Pre-render each template with placeholders, so an event is a few string appends.
        for (const Json& t : m_templates) {
            Json e = t;
            e["uuid"] = "\x01";
            Json& p = e["properties"];
            if (p.contains("$insert_id")) {
                const std::string old = p["$insert_id"].get<std::string>();
                p["$insert_id"]
                    = old.size() > 7 && old.compare(old.size() - 7, 7, "-finish") == 0 ? "\x01-finish" : "\x01";
            }
            if (p.contains("event_id"))
                p["event_id"] = "\x01";
            for (const char* key : {"run_id", "request_id", "conversation_id"})
                if (p.contains(key) && p[key].is_string())
                    p[key] = p[key].get<std::string>() + "\x02";
            std::string text = e.dump();
            std::vector<std::string> parts;
            std::vector<char> marks;
            std::size_t from = 0;
            for (std::size_t i = 0; i < text.size(); ++i) {
                // dump() escapes control characters as \u0001 / \u0002
                if (text.compare(i, 6, "\\u0001") == 0 || text.compare(i, 6, "\\u0002") == 0) {
                    parts.push_back(text.substr(from, i - from));
                    marks.push_back(text[i + 5]);
                    i += 5;
                    from = i + 1;
                }
            }
            parts.push_back(text.substr(from));
            m_parts.push_back(std::move(parts));
            m_marks.push_back(std::move(marks));
        }
    }

    /** One /batch/ request with \a n events; adds their JSON bytes to \a rawBytes. */
    HttpRequest batch(int n, qint64* rawBytes)
    {
        HttpRequest r;
        r.method = "POST";
        r.path = "/batch/";
        r.headers = {{"Host", "127.0.0.1:8484"}, {"User-Agent", "posthog-node/5.70.0"},
            {"Content-Type", "application/json"}, {"Content-Length", "0"}};
        r.peer = "127.0.0.1:40000";
        std::string& b = r.body;
        b.reserve(static_cast<std::size_t>(n) * 1700 + 100);
        b = R"({"api_key":"phc_local_test","batch":[)";
        for (int i = 0; i < n; ++i, ++m_next) {
            if (i)
                b += ',';
            const std::size_t before = b.size();
            const std::size_t t = static_cast<std::size_t>(m_next % static_cast<qint64>(m_templates.size()));
            const qint64 copy = m_next / static_cast<qint64>(m_templates.size());
            char id[48];
            std::snprintf(id, sizeof id, "0197c2a1-%04llx-7%03llx-8%03llx-%012llx",
                static_cast<unsigned long long>((m_next >> 44) & 0xffff),
                static_cast<unsigned long long>((m_next >> 32) & 0xfff),
                static_cast<unsigned long long>((m_next >> 20) & 0xfff),
                static_cast<unsigned long long>(m_next & 0xfffff));
            const std::string suffix = '-' + std::to_string(copy);
            const auto& parts = m_parts[t];
            const auto& marks = m_marks[t];
            for (std::size_t k = 0; k < parts.size(); ++k) {
                b += parts[k];
                if (k < marks.size())
                    b += marks[k] == '1' ? std::string(id) : suffix;
            }
            *rawBytes += static_cast<qint64>(b.size() - before);
        }
        b += R"(],"sent_at":"2026-06-20T10:00:05.000Z"})";
        r.headers[3].second = std::to_string(b.size());
        return r;
    }

private:
    std::vector<Json> m_templates;
    std::vector<std::vector<std::string>> m_parts;
    std::vector<std::vector<char>> m_marks;
    qint64 m_next = 0;
};

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
        if (a == "--events")
            o.events = std::stoll(next());
        else if (a == "--rate")
            o.rate = std::stod(next());
        else if (a == "--no-journal")
            o.journal = false;
        else if (a == "--no-contract")
            o.contract = false;
        else if (a == "--no-filters")
            o.skipFilters = true;
        else if (a == "--sync")
            o.sync = true;
        else if (a == "--in-flight")
            o.inFlight = std::max(1, std::stoi(next()));
        else if (a == "--row-cap")
            o.rowCap = std::stoi(next());
        else {
            std::fprintf(stderr,
                "usage: eventlens-uibench [--events N] [--rate EVENTS_PER_S] [--no-journal] [--no-contract] "
                "[--row-cap N] [--no-filters] [--sync] [--in-flight N]\n");
            return 2;
        }
    }
    QApplication app(argc, argv);

    Capture capture;
    std::string error;
    if (o.contract && !capture.loadContract("builtin:open-design", error)) {
        std::fprintf(stderr, "uibench: %s\n", error.c_str());
        return 1;
    }
    QTemporaryDir dir;
    if (o.journal) {
        std::string why;
        if (!capture.openSessionFile(dir.filePath(QStringLiteral("bench.elsession")), why)) {
            std::fprintf(stderr, "uibench: %s\n", why.c_str());
            return 1;
        }
    }
    ui::EventTableModel model(capture.store());
    model.setRowCap(o.rowCap);
    ui::EventFilterProxy proxy(&model);
    QTableView view;
    view.setModel(&proxy);
    view.setSelectionBehavior(QAbstractItemView::SelectRows);
    view.setAlternatingRowColors(true);
    view.setShowGrid(false);
    view.setWordWrap(false);
    view.verticalHeader()->hide();
    view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view.verticalHeader()->setDefaultSectionSize(view.fontMetrics().height() + 9);
    view.horizontalHeader()->setStretchLastSection(true);
    view.horizontalHeader()->setSortIndicatorClearable(true);
    view.horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    view.setSortingEnabled(true);
    view.setItemDelegateForColumn(ui::EventTableModel::RuntimeTypeColumn,
        new ui::RuntimeBadgeDelegate(ui::EventTableModel::RuntimeKindRole, &view));
    view.resize(1400, 900);
    view.show();
    QObject::connect(&model, &ui::EventTableModel::flushed, &view, [&view] { view.scrollToBottom(); });

    Generator gen(EVENTLENS_BENCH_TEMPLATES);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> batchSize(20, 50);

    // Watchdog: a 10 ms timer; the longest gap between its ticks, minus 10 ms, is the longest stall.
    QElapsedTimer clock;
    clock.start();
    qint64 lastTick = 0;
    qint64 longestGap = 0;
    QTimer watchdog;
    watchdog.setTimerType(Qt::PreciseTimer);
    watchdog.setInterval(10);
    qint64 gapJudged = -1; ///< events the reload had judged when the longest gap ended (-1: no reload running)
    QObject::connect(&watchdog, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed() / 1000;
        if (lastTick && now - lastTick > longestGap) {
            longestGap = now - lastTick;
            gapJudged = capture.isJudging() ? capture.judgingDone() : -1;
        }
        lastTick = now;
    });

    const long rssBefore = rssKb();
    qint64 fed = 0;
    qint64 rawBytes = 0;
    qint64 genNs = 0;
    qint64 ingestNs = 0;
    qint64 behindMax = 0;
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    feeder.setInterval(o.rate > 0 ? 10 : 0);
    QElapsedTimer feedClock;
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        // Fixed rate: catch up to where the schedule says we should be; max: one request per loop turn.
        const qint64 due = o.rate > 0
            ? std::min<qint64>(o.events, static_cast<qint64>(o.rate * feedClock.nsecsElapsed() / 1e9))
            : std::min<qint64>(o.events, fed + 1);
        behindMax = std::max(behindMax, due - fed);
        // Never more than 20 ms worth of events per tick: a pipeline slower than the rate falls behind
        // (reported as feeder_max_behind_events and a lower insert rate) instead of blocking the loop.
        const qint64 cap = o.rate > 0 ? fed + std::max<qint64>(1, static_cast<qint64>(o.rate / 50)) : due;
        while (fed < std::min(due, cap)) {
            if (!o.sync && capture.ingestsInFlight() >= o.inFlight)
                break; // the workers are behind: like clients waiting for their answers
            const int n = static_cast<int>(std::min<qint64>(batchSize(rng), o.events - fed));
            QElapsedTimer t;
            t.start();
            HttpRequest request = gen.batch(n, &rawBytes);
            genNs += t.nsecsElapsed();
            t.restart();
            capture.ingestAsync(std::move(request), Endpoint::Batch, [](const IngestOutcome& out, bool) {
                if (out.status != 200) {
                    std::fprintf(stderr, "uibench: ingest failed: %s\n", out.error.c_str());
                    std::exit(1);
                }
            });
            if (o.sync)
                capture.drainIngests(); // one request at a time: decoded and committed before the next
            ingestNs += t.nsecsElapsed();
            fed += n;
            if (o.rate <= 0)
                break;
        }
        if (fed >= o.events)
            feeder.stop();
    });

    // Done when every event reached the model (after its throttled flush).
    QElapsedTimer total;
    qint64 insertMs = 0;
    QTimer doneCheck;
    doneCheck.setInterval(5);
    QObject::connect(&doneCheck, &QTimer::timeout, [&] {
        if (fed >= o.events && model.stagedCount() == 0 && model.totalReceived() >= o.events) {
            insertMs = total.elapsed();
            app.quit();
        }
    });
    watchdog.start();
    feedClock.start();
    total.start();
    feeder.start();
    doneCheck.start();
    app.exec();
    doneCheck.stop(); // it would quit the event loops that follow (the reload's)
    watchdog.stop();
    if (SessionJournal* j = capture.journal())
        j->flush();
    const qint64 stallMs = std::max<qint64>(0, longestGap / 1000 - 10);
    const long rssAfter = rssKb();
    const double perEvent = 1024.0 * static_cast<double>(rssAfter - rssBefore) / static_cast<double>(fed);
    const double rawPerEvent = static_cast<double>(rawBytes) / static_cast<double>(fed);
    // The same without the pages jemalloc keeps (rssBefore was taken with few of them: nothing had run yet).
    const bool purged = purgeAllocator();
    const double purgedPerEvent
        = purged ? 1024.0 * static_cast<double>(rssKb() - rssBefore) / static_cast<double>(fed) : 0.0;

    std::printf("label=ui mode=%s events=%lld rows=%d seconds=%.2f insert_events_per_s=%.0f longest_stall_ms=%lld "
                "feeder_max_behind_events=%lld ingest_us_per_event=%.2f gen_us_per_event=%.2f "
                "rss_per_event_bytes=%.0f raw_json_bytes_per_event=%.0f memory_ratio=%.2f vmhwm_mb=%.0f "
                "rss_purged_per_event_bytes=%.0f memory_ratio_purged=%.2f kept_text_per_event_bytes=%.0f journal=%d "
                "contract=%d ingest=%s\n",
        o.rate > 0 ? "rate" : "max", static_cast<long long>(fed), model.rowCount(), insertMs / 1000.0,
        fed / (insertMs / 1000.0), static_cast<long long>(stallMs), static_cast<long long>(behindMax),
        ingestNs / 1000.0 / fed, genNs / 1000.0 / fed, perEvent, rawPerEvent, perEvent / rawPerEvent,
        rssKb("VmHWM:") / 1024.0, purgedPerEvent, purgedPerEvent / rawPerEvent,
        static_cast<double>(KeptText::stats().bytes) / static_cast<double>(fed), o.journal, o.contract,
        o.sync ? "sync" : "async");
    std::fflush(stdout);
    if (o.skipFilters) {
        if (capture.journal())
            capture.journal()->close();
        dir.remove();
        std::_Exit(0);
    }

    // Filters, with the view attached as in the app: each timing covers the criterion change, the proxy's
    // mapping rebuild (rowCount()) and the view's relayout (processEvents()).
    auto timeFilter = [&](const char* key, auto&& apply) {
        QElapsedTimer t;
        t.start();
        apply();
        const int rows = proxy.rowCount();
        QCoreApplication::processEvents();
        const qint64 ms = t.elapsed();
        std::printf("%s=%lld (rows %d) ", key, static_cast<long long>(ms), rows);
        std::fflush(stdout);
        return ms;
    };
    std::printf("label=ui-filters events=%lld ", static_cast<long long>(fed));
    timeFilter("text_filter_ms", [&] { proxy.setTextFilter(QStringLiteral("byok")); });
    timeFilter("text_filter2_ms", [&] { proxy.setTextFilter(QStringLiteral("amr_cloud")); });
    timeFilter("text_filter_upper_ms", [&] { proxy.setTextFilter(QStringLiteral("AMR_CLOUD")); });
    timeFilter("text_filter_clear_ms", [&] { proxy.setTextFilter(QString()); });
    timeFilter("runtime_filter_ms", [&] { proxy.setRuntimeFilter(ui::RuntimeKind::Byok); });
    timeFilter("runtime_filter2_ms", [&] { proxy.setRuntimeFilter(ui::RuntimeKind::LocalCli); });
    timeFilter("text_and_runtime_ms", [&] { proxy.setTextFilter(QStringLiteral("run_")); });
    timeFilter("clear_all_ms", [&] { proxy.clearFilters(); });
    if (o.contract) {
        // "Reload Contract" (issue 15): every event is judged again in the background (parse + schemas on the
        // judge pool, sequence rules on this thread in short slices) while the event loop keeps turning. The
        // watchdog measures the longest stall during it; the rate is events judged per second of wall time.
        const auto reloadEvents = static_cast<qint64>(capture.store()->events().size());
        QElapsedTimer parse;
        parse.start();
        std::string parseError;
        const auto reparsed = el::loadContract("builtin:open-design", parseError);
        std::printf("contract_parse_ms=%lld ", static_cast<long long>(parse.elapsed()));
        lastTick = 0;
        longestGap = 0;
        gapJudged = -1;
        watchdog.start();
        QElapsedTimer t;
        t.start();
        const double cpuBefore = processCpuSeconds();
        std::string why;
        if (!capture.loadContract("builtin:open-design", why)) {
            std::fprintf(stderr, "uibench: %s\n", why.c_str());
            return 1;
        }
        // Not a nested QEventLoop: the application was told to quit above, and a new loop would return at once.
        while (capture.isJudging())
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        QCoreApplication::processEvents();
        const qint64 ms = std::max<qint64>(1, t.elapsed());
        const double cpu = processCpuSeconds() - cpuBefore;
        watchdog.stop();
        const qint64 reloadStall = std::max<qint64>(0, longestGap / 1000 - 10);
        // The CPU of every thread of the process meanwhile (parsing the contract included): the cores the reload
        // kept busy, and what it cost per event.
        std::printf("reload_contract_ms=%lld reload_events=%lld reload_events_per_s=%.0f reload_longest_stall_ms=%lld "
                    "reload_stall_at_judged=%lld reload_cores=%.2f reload_cpu_us_per_event=%.2f ",
            static_cast<long long>(ms), static_cast<long long>(reloadEvents), reloadEvents * 1000.0 / ms,
            static_cast<long long>(reloadStall), static_cast<long long>(gapJudged), cpu * 1000.0 / double(ms),
            reloadEvents > 0 ? cpu * 1e6 / double(reloadEvents) : 0.0);
        // The old way, for comparison: everything judged at once, the GUI thread blocked until done.
        timeFilter("reload_blocking_ms", [&] {
            std::string ignored;
            capture.loadContractNow("builtin:open-design", ignored);
            QCoreApplication::processEvents();
        });
    }
    std::printf("rss_after_filters_mb=%.0f\n", rssKb() / 1024.0);
    std::fflush(stdout);
    // The figures are printed; skip tearing down the application's objects.
    if (capture.journal())
        capture.journal()->close();
    dir.remove();
    std::_Exit(0);
}
