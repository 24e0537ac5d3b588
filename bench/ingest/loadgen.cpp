// SPDX-License-Identifier: MIT
// eventlens-loadgen: a small epoll HTTP/1.1 load generator for EventLens (issue 8).
//
// Sends realistic PostHog traffic over keep-alive connections:
//   * posthog-node: POST /batch/ with a gzip body {"api_key","batch":[20..50 events],"sent_at"}
//   * posthog-js:   POST /e/?ip=0&_=<ms>&ver=1.449.2&compression=gzip-js with a gzip body
//                   {"api_key","batch":[1 event],"sent_at"} (content-type text/plain, Origin set)
// The events are the open-design contract's valid sample events (tests/data/open-design/valid.ndjson)
// with unique uuid / $insert_id / event_id / run_id per copy, so the contract's uniqueness and pair
// rules see realistic, mostly valid traffic. Bodies are generated and compressed before the clock starts.
//
// Modes: closed loop (as fast as possible, each connection sends its next request when the previous
// one is answered) or --rate EVENTS_PER_S (open loop: requests are due at fixed times; latency is
// measured from the due time, so queueing behind a slow server counts).
//
// Prints one line of key=value figures (and a human summary on stderr):
//   events/s, requests/s, ack latency p50/p90/p99/max, errors, and the sink's peak RSS (VmHWM)
//   and CPU use when --pid is given.
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options
{
    std::string host = "127.0.0.1";
    int port = 8484;
    int connections = 8;
    double duration = 10.0;
    double warmup = 1.0;
    double rate = 0; // events/s; 0 = closed loop, as fast as possible
    std::string mix = "mixed"; // node | js | mixed
    double jsShare = 0.2; // mixed: share of requests that are posthog-js /e/
    std::size_t poolEvents = 300000;
    int minBatch = 20;
    int maxBatch = 50;
    int pid = 0;
    std::string label = "eventlens";
    std::string templates = EVENTLENS_BENCH_TEMPLATES;
};

[[noreturn]] void usage()
{
    std::fprintf(stderr,
        "usage: eventlens-loadgen [--host H] [--port P] [--connections N] [--duration S] [--warmup S]\n"
        "                         [--rate EVENTS_PER_S] [--mix node|js|mixed] [--js-share F] [--pool-events N]\n"
        "                         [--batch MIN-MAX] [--pid SINK_PID] [--label NAME] [--templates FILE]\n");
    std::exit(2);
}

Options parseArgs(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        if (a == "--host")
            o.host = next();
        else if (a == "--port")
            o.port = std::stoi(next());
        else if (a == "--connections")
            o.connections = std::stoi(next());
        else if (a == "--duration")
            o.duration = std::stod(next());
        else if (a == "--warmup")
            o.warmup = std::stod(next());
        else if (a == "--rate")
            o.rate = std::stod(next());
        else if (a == "--mix")
            o.mix = next();
        else if (a == "--js-share")
            o.jsShare = std::stod(next());
        else if (a == "--pool-events")
            o.poolEvents = std::stoul(next());
        else if (a == "--batch") {
            const std::string v = next();
            const auto dash = v.find('-');
            o.minBatch = std::stoi(v.substr(0, dash));
            o.maxBatch = dash == std::string::npos ? o.minBatch : std::stoi(v.substr(dash + 1));
        } else if (a == "--pid")
            o.pid = std::stoi(next());
        else if (a == "--label")
            o.label = next();
        else if (a == "--templates")
            o.templates = next();
        else
            usage();
    }
    if (o.mix != "node" && o.mix != "js" && o.mix != "mixed")
        usage();
    return o;
}

std::string gzip(const std::string& in)
{
    z_stream zs {};
    // Level 6 like Node's zlib.gzip and the browser's fflate default; 31 = gzip wrapper.
    deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, in.size()) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string hex(std::uint64_t v, int width)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llx", width, static_cast<unsigned long long>(v));
    return buf;
}

/** A UUIDv7-looking id, unique per (copy, index). */
std::string uuidFor(std::uint64_t copy, std::uint64_t index)
{
    const std::uint64_t n = copy * 64 + index;
    return "0197c2a1-" + hex((n >> 44) & 0xffff, 4) + "-7" + hex((n >> 32) & 0xfff, 3) + "-8"
        + hex((n >> 20) & 0xfff, 3) + "-" + hex(n & 0xfffff, 12);
}

struct Request
{
    std::string bytes; // the whole HTTP request
    int events = 0;
    std::size_t rawJsonBytes = 0; // decompressed JSON body
};

std::vector<Json> loadTemplates(const std::string& path)
{
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "loadgen: cannot read %s\n", path.c_str());
        std::exit(1);
    }
    std::vector<Json> out;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            out.push_back(Json::parse(line));
    return out;
}

/** Copy \a copy of template event \a t (index \a i in the sample), with fresh ids. */
Json makeEvent(const Json& t, std::uint64_t copy, std::uint64_t i)
{
    Json e = t;
    const std::string id = uuidFor(copy, i);
    e["uuid"] = id;
    Json& p = e["properties"];
    if (p.contains("$insert_id")) {
        const std::string old = p["$insert_id"].get<std::string>();
        // daemon run_finished uses <event_id>-finish; keep that shape
        p["$insert_id"] = old.size() > 7 && old.compare(old.size() - 7, 7, "-finish") == 0 ? id + "-finish" : id;
    }
    if (p.contains("event_id"))
        p["event_id"] = id;
    for (const char* key : {"run_id", "request_id", "conversation_id"}) {
        if (p.contains(key) && p[key].is_string())
            p[key] = p[key].get<std::string>() + "-" + std::to_string(copy);
    }
    return e;
}

std::string sentAt()
{
    return "2026-06-20T10:00:05.000Z";
}

std::string httpRequest(const Options& o, bool js, const std::string& gz)
{
    std::string r;
    r.reserve(gz.size() + 400);
    if (js) {
        r += "POST /e/?ip=0&_=1781949605000&ver=1.449.2&compression=gzip-js HTTP/1.1\r\n";
        r += "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n";
        r += "Connection: keep-alive\r\n";
        r += "User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/137.0.0.0 Safari/537.36\r\n";
        r += "Content-Type: text/plain\r\n";
        r += "Accept: */*\r\nOrigin: http://127.0.0.1:7456\r\nReferer: http://127.0.0.1:7456/\r\n";
    } else {
        r += "POST /batch/ HTTP/1.1\r\n";
        r += "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n";
        r += "Connection: keep-alive\r\n";
        r += "User-Agent: posthog-node/5.70.0\r\n";
        r += "Content-Type: application/json\r\nContent-Encoding: gzip\r\n";
        r += "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n";
    }
    r += "Content-Length: " + std::to_string(gz.size()) + "\r\n\r\n";
    r += gz;
    return r;
}

/** Pre-generates the request pool (two threads), ordered like the SDKs would send them. */
std::vector<Request> buildPool(const Options& o)
{
    const std::vector<Json> templates = loadTemplates(o.templates);
    const std::size_t perCopy = templates.size();
    const std::size_t copies = std::max<std::size_t>(1, (o.poolEvents + perCopy - 1) / perCopy);

    // Split the event stream into requests first (deterministic), then render them in parallel.
    struct Plan
    {
        bool js;
        std::size_t first; // global event index
        int count;
    };
    std::vector<Plan> plans;
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> batch(o.minBatch, o.maxBatch);
    std::uniform_real_distribution<double> coin(0, 1);
    const std::size_t total = copies * perCopy;
    for (std::size_t i = 0; i < total;) {
        bool js = o.mix == "js" || (o.mix == "mixed" && coin(rng) < o.jsShare);
        int n = js ? 1 : std::min<int>(batch(rng), static_cast<int>(total - i));
        plans.push_back({js, i, n});
        i += static_cast<std::size_t>(n);
    }
    // The stream interleaves the copies of the sample like concurrent sessions: copy c starts in round c / K and
    // sends its i-th event in round c / K + i; within a round, copies are taken by c % K, so neighbouring events
    // are of different copies and, in steady state, of every event type in turn, as a busy SDK's batch is. The
    // two events of a pair (a run_created and its run_finished, a ui_click and its artifact_export_result) are
    // then at least K events apart, many requests apart, and no connection overtakes another within a copy.
    // (Copy after copy, a copy's events were split between neighbouring requests on different connections and
    // arrived in either order: 144 sequence violations in 294,414 events. Copies interleaved event by event made
    // each batch 35 copies of one event type, which the sink judges faster than a real mix.)
    constexpr std::size_t K = 1000;
    struct Slot
    {
        std::uint32_t copy, index;
    };
    std::vector<Slot> order;
    order.reserve(total);
    for (std::size_t c = 0; c < copies; ++c)
        for (std::size_t i = 0; i < perCopy; ++i)
            order.push_back({std::uint32_t(c), std::uint32_t(i)});
    auto key = [](const Slot& s) { return std::tuple(s.copy / K + s.index, s.copy % K, s.copy / K); };
    std::sort(order.begin(), order.end(), [&](const Slot& a, const Slot& b) { return key(a) < key(b); });
    auto eventAt = [&](std::size_t g) { return makeEvent(templates[order[g].index], order[g].copy, order[g].index); };
    std::vector<Request> pool(plans.size());
    auto work = [&](std::size_t from, std::size_t step) {
        for (std::size_t k = from; k < plans.size(); k += step) {
            const Plan& p = plans[k];
            Json body = {{"api_key", "phc_local_test"}, {"batch", Json::array()}, {"sent_at", sentAt()}};
            for (int j = 0; j < p.count; ++j)
                body["batch"].push_back(eventAt(p.first + static_cast<std::size_t>(j)));
            const std::string text = body.dump();
            pool[k].events = p.count;
            pool[k].rawJsonBytes = text.size();
            pool[k].bytes = httpRequest(o, p.js, gzip(text));
        }
    };
    std::thread t2(work, 1, 2);
    work(0, 2);
    t2.join();
    return pool;
}

struct Conn
{
    int fd = -1;
    std::string out;
    std::size_t outOff = 0;
    std::string in;
    bool busy = false;
    Clock::time_point due; // when the request was due (open loop) or sent (closed loop)
    int events = 0;
};

int connectTo(const Options& o)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o.port));
    ::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
        std::perror("connect");
        std::exit(1);
    }
    return fd;
}

/** Length of one complete response at the start of \a in (0 = incomplete); \a status receives the code. */
std::size_t responseLength(const std::string& in, int* status)
{
    const auto end = in.find("\r\n\r\n");
    if (end == std::string::npos)
        return 0;
    if (in.size() >= 12)
        *status = std::atoi(in.c_str() + 9);
    std::size_t bodyLen = 0;
    bool chunked = false;
    std::size_t pos = in.find("\r\n") + 2;
    while (pos < end) {
        const auto eol = in.find("\r\n", pos);
        const std::string line = in.substr(pos, eol - pos);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(), ::tolower);
            if (name == "content-length")
                bodyLen = std::strtoull(line.c_str() + colon + 1, nullptr, 10);
            else if (name == "transfer-encoding" && line.find("chunked") != std::string::npos)
                chunked = true;
        }
        pos = eol + 2;
    }
    if (chunked) {
        const auto last = in.find("\r\n0\r\n\r\n", end);
        return last == std::string::npos ? 0 : last + 7;
    }
    return in.size() >= end + 4 + bodyLen ? end + 4 + bodyLen : 0;
}

struct ProcSample
{
    double cpuSeconds = 0;
    long hwmKb = 0;
    long rssKb = 0;
};

ProcSample sampleProc(int pid)
{
    ProcSample s;
    if (pid <= 0)
        return s;
    {
        std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
        std::string text((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
        const auto rp = text.rfind(')');
        if (rp != std::string::npos) {
            std::istringstream fields(text.substr(rp + 2));
            std::string f;
            unsigned long long utime = 0, stime = 0;
            for (int i = 3; fields >> f; ++i) {
                if (i == 14)
                    utime = std::stoull(f);
                if (i == 15) {
                    stime = std::stoull(f);
                    break;
                }
            }
            s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
        }
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0)
            s.hwmKb = std::atol(line.c_str() + 6);
        if (line.rfind("VmRSS:", 0) == 0)
            s.rssKb = std::atol(line.c_str() + 6);
    }
    return s;
}

double percentile(std::vector<double>& v, double p)
{
    if (v.empty())
        return 0;
    const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(std::ceil(p / 100.0 * v.size())) - (p > 0));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

} // namespace

int main(int argc, char** argv)
{
    const Options o = parseArgs(argc, argv);
    const auto genStart = Clock::now();
    const std::vector<Request> pool = buildPool(o);
    std::size_t poolEvents = 0, poolRaw = 0, poolWire = 0;
    for (const Request& r : pool) {
        poolEvents += static_cast<std::size_t>(r.events);
        poolRaw += r.rawJsonBytes;
        poolWire += r.bytes.size();
    }
    std::fprintf(stderr, "[%s] pool: %zu requests, %zu events, %.1f MB JSON, %.1f MB on the wire (built in %.1f s)\n",
        o.label.c_str(), pool.size(), poolEvents, poolRaw / 1e6, poolWire / 1e6,
        std::chrono::duration<double>(Clock::now() - genStart).count());

    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<Conn> conns(static_cast<std::size_t>(o.connections));
    for (std::size_t i = 0; i < conns.size(); ++i) {
        conns[i].fd = connectTo(o);
        epoll_event ev {};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
        ev.data.u64 = i;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }

    std::size_t next = 0; // next request in the pool
    std::size_t wraps = 0;
    std::size_t sentEvents = 0; // warm-up included
    const bool openLoop = o.rate > 0;
    const double avgEvents = static_cast<double>(poolEvents) / static_cast<double>(pool.size());
    const auto interval = std::chrono::duration<double>(openLoop ? avgEvents / o.rate : 0);

    const auto start = Clock::now();
    const auto measureFrom
        = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
    const auto stopAt
        = measureFrom + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
    ProcSample before;
    bool sampledBefore = false;

    std::deque<Clock::time_point> backlog; // open loop: requests due but not sent (all connections busy)
    auto nextDue = start;
    std::vector<double> latMs;
    latMs.reserve(1 << 20);
    std::size_t doneRequests = 0, doneEvents = 0, errors = 0, non2xx = 0;
    bool stopping = false;

    auto send = [&](Conn& c, Clock::time_point due) {
        const Request& r = pool[next];
        sentEvents += static_cast<std::size_t>(r.events);
        if (++next == pool.size()) {
            next = 0;
            ++wraps;
        }
        c.out = r.bytes; // copy: simple, and cheap next to the server's work
        c.outOff = 0;
        c.busy = true;
        c.due = due;
        c.events = r.events;
        while (c.outOff < c.out.size()) {
            const ssize_t n = ::send(c.fd, c.out.data() + c.outOff, c.out.size() - c.outOff, MSG_NOSIGNAL);
            if (n <= 0)
                break; // EAGAIN: finish on EPOLLOUT
            c.outOff += static_cast<std::size_t>(n);
        }
    };

    epoll_event events[256];
    for (;;) {
        auto now = Clock::now();
        if (!sampledBefore && now >= measureFrom) {
            before = sampleProc(o.pid);
            sampledBefore = true;
        }
        if (now >= stopAt)
            stopping = true;
        if (stopping) {
            bool anyBusy = false;
            for (const Conn& c : conns)
                anyBusy = anyBusy || c.busy;
            if (!anyBusy || now >= stopAt + std::chrono::seconds(10))
                break;
        }
        // Dispatch.
        if (!stopping) {
            if (openLoop) {
                while (nextDue <= now) {
                    backlog.push_back(nextDue);
                    nextDue += std::chrono::duration_cast<Clock::duration>(interval);
                }
                for (Conn& c : conns) {
                    if (backlog.empty())
                        break;
                    if (!c.busy) {
                        send(c, backlog.front());
                        backlog.pop_front();
                    }
                }
            } else {
                for (Conn& c : conns)
                    if (!c.busy)
                        send(c, now);
            }
        }
        int timeoutMs = 100;
        if (openLoop && !stopping) {
            const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(nextDue - Clock::now()).count();
            timeoutMs = static_cast<int>(std::clamp<long long>(wait, 0, 100));
        }
        const int n = ::epoll_wait(ep, events, 256, timeoutMs);
        for (int i = 0; i < n; ++i) {
            Conn& c = conns[events[i].data.u64];
            if (events[i].events & EPOLLOUT) {
                while (c.busy && c.outOff < c.out.size()) {
                    const ssize_t w = ::send(c.fd, c.out.data() + c.outOff, c.out.size() - c.outOff, MSG_NOSIGNAL);
                    if (w <= 0)
                        break;
                    c.outOff += static_cast<std::size_t>(w);
                }
            }
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                char buf[65536];
                for (;;) {
                    const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
                    if (r > 0) {
                        c.in.append(buf, static_cast<std::size_t>(r));
                        continue;
                    }
                    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                        std::fprintf(stderr, "[%s] connection closed by the server\n", o.label.c_str());
                        ++errors;
                        ::close(c.fd);
                        c.fd = connectTo(o);
                        epoll_event ev {};
                        ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
                        ev.data.u64 = static_cast<std::uint64_t>(&c - conns.data());
                        ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
                        c.in.clear();
                        c.busy = false;
                    }
                    break;
                }
                int status = 0;
                while (c.busy) {
                    const std::size_t len = responseLength(c.in, &status);
                    if (!len)
                        break;
                    c.in.erase(0, len);
                    const auto t = Clock::now();
                    if (c.due >= measureFrom && t <= stopAt + std::chrono::seconds(10)) {
                        latMs.push_back(std::chrono::duration<double, std::milli>(t - c.due).count());
                        ++doneRequests;
                        doneEvents += static_cast<std::size_t>(c.events);
                        if (status < 200 || status >= 300)
                            ++non2xx;
                    }
                    c.busy = false;
                }
            }
        }
    }
    const auto end = Clock::now();
    const ProcSample after = sampleProc(o.pid);
    // Throughput over the measured window: requests due (sent) in [measureFrom, stopAt) and answered.
    const double secs = std::chrono::duration<double>(std::min(end, stopAt) - measureFrom).count();
    std::vector<double> l = latMs;
    const double p50 = percentile(l, 50), p90 = percentile(l, 90), p99 = percentile(l, 99),
                 pmax = l.empty() ? 0 : *std::max_element(l.begin(), l.end());
    const double cpu = o.pid > 0 ? (after.cpuSeconds - before.cpuSeconds) / secs : 0;
    std::printf("label=%s mode=%s mix=%s connections=%d seconds=%.2f requests=%zu events=%zu req_per_s=%.0f "
                "events_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%zu errors=%zu "
                "backlog=%zu pool_wraps=%zu sink_cpu_cores=%.2f sink_cpu_us_per_event=%.1f sink_vmhwm_mb=%.1f "
                "sink_vmrss_mb=%.1f "
                "avg_json_bytes_per_event=%.0f\n",
        o.label.c_str(), openLoop ? "rate" : "max", o.mix.c_str(), o.connections, secs, doneRequests, doneEvents,
        doneRequests / secs, doneEvents / secs, p50, p90, p99, pmax, non2xx, errors, backlog.size(), wraps, cpu,
        doneEvents ? cpu * secs * 1e6 / static_cast<double>(doneEvents) : 0.0, after.hwmKb / 1024.0,
        after.rssKb / 1024.0, static_cast<double>(poolRaw) / static_cast<double>(poolEvents));
    std::fflush(stdout);
    std::fprintf(stderr, "[%s] %.0f events/s, %.0f req/s, ack p50 %.2f ms p99 %.2f ms, sink peak RSS %.0f MB\n",
        o.label.c_str(), doneEvents / secs, doneRequests / secs, p50, p99, after.hwmKb / 1024.0);
    if (wraps)
        std::fprintf(stderr,
            "[%s] warning: the pool of %zu events was sent %zu more time(s): those events repeat their "
            "$insert_id and run_id, and a sink that judges them reports each as a duplicate (nginx and mitmproxy "
            "do not judge); for valid traffic, "
            "--pool-events above the events sent (%zu with the warm-up)\n",
            o.label.c_str(), poolEvents, wraps, sentEvents);
    for (Conn& c : conns)
        ::close(c.fd);
    return non2xx || errors ? 1 : 0;
}
