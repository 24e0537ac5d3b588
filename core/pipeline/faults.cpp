// SPDX-License-Identifier: MIT
#include "faults.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace el {

namespace {

constexpr int kMaxMs = 600000;
constexpr int kDefaultTimeoutMs = 15000;

/** SplitMix64: a fixed, well-mixed function of (seed, n), so a ratio hits the same requests on every run. */
std::uint64_t mix(std::uint64_t seed, std::uint64_t n)
{
    std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + n + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::string withoutTrailingSlash(std::string path)
{
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    return path;
}

/** An integer in [min, max] at \a key of \a config, or an error. */
bool readInt(const Json& config, const char* key, long long min, long long max, long long& out, std::string& error)
{
    const Json& v = config.at(key);
    if (!v.is_number_integer() && !(v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>())) {
        error = std::string("\"") + key + "\" must be an integer";
        return false;
    }
    const double d = v.get<double>();
    if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
        error = std::string("\"") + key + "\" must be between " + std::to_string(min) + " and " + std::to_string(max);
        return false;
    }
    out = static_cast<long long>(d);
    return true;
}

} // namespace

const char* FaultInjector::modeName(Mode mode)
{
    switch (mode) {
    case Mode::Status:
        return "status";
    case Mode::Delay:
        return "delay";
    case Mode::Timeout:
        return "timeout";
    case Mode::Reset:
        return "reset";
    }
    return "status";
}

std::string FaultInjector::Fault::describe() const
{
    std::string what;
    switch (mode) {
    case Mode::Status:
        what = "status " + std::to_string(status)
            + (retryAfter ? " with Retry-After " + std::to_string(*retryAfter) : std::string());
        break;
    case Mode::Delay:
        what = "delay " + std::to_string(ms) + " ms";
        break;
    case Mode::Timeout:
        what = "timeout (held " + std::to_string(ms) + " ms, then closed without an answer)";
        break;
    case Mode::Reset:
        what = "reset (connection closed at once, no answer)";
        break;
    }
    what += " (fault " + std::to_string(id) + ", hit " + std::to_string(hits);
    if (count)
        what += " of " + std::to_string(*count);
    return what + ")";
}

Json FaultInjector::Fault::toJson() const
{
    Json j = {{"id", id}, {"mode", modeName(mode)}, {"path", path.empty() ? Json(nullptr) : Json(path)},
        {"count", count ? Json(*count) : Json(nullptr)}, {"ratio", ratio ? Json(*ratio) : Json(nullptr)},
        {"seed", seed}, {"seen", seen}, {"hits", hits}, {"active", active()}};
    if (mode == Mode::Status) {
        j["status"] = status;
        j["retry_after"] = retryAfter ? Json(*retryAfter) : Json(nullptr);
    }
    if (mode == Mode::Delay || mode == Mode::Timeout)
        j["ms"] = ms;
    return j;
}

std::optional<FaultInjector::Fault> FaultInjector::add(const Json& config, std::string& error)
{
    if (!config.is_object()) {
        error = "a fault is a JSON object, e.g. {\"mode\":\"status\",\"status\":503,\"count\":3}";
        return std::nullopt;
    }
    static const std::set<std::string> known
        = {"mode", "status", "retry_after", "ms", "count", "ratio", "seed", "path"};
    for (auto it = config.begin(); it != config.end(); ++it) {
        if (!known.count(it.key())) {
            error = "unknown key \"" + it.key()
                + "\" (a fault has mode, status, retry_after, ms, count, ratio, seed and path)";
            return std::nullopt;
        }
    }
    Fault f;
    const auto mode = config.find("mode");
    if (mode == config.end() || !mode->is_string()) {
        error = "\"mode\" is required: status, delay, timeout or reset";
        return std::nullopt;
    }
    const std::string m = mode->get<std::string>();
    if (m == "status")
        f.mode = Mode::Status;
    else if (m == "delay")
        f.mode = Mode::Delay;
    else if (m == "timeout")
        f.mode = Mode::Timeout;
    else if (m == "reset")
        f.mode = Mode::Reset;
    else {
        error = "unknown mode \"" + m + "\" (status, delay, timeout or reset)";
        return std::nullopt;
    }
    const auto only = [&](const char* key, bool allowed) {
        if (!allowed && config.contains(key))
            error = std::string("\"") + key + "\" does not apply to mode " + m;
        return allowed || !config.contains(key);
    };
    if (!only("status", f.mode == Mode::Status) || !only("retry_after", f.mode == Mode::Status)
        || !only("ms", f.mode == Mode::Delay || f.mode == Mode::Timeout))
        return std::nullopt;
    long long n = 0;
    if (f.mode == Mode::Status) {
        if (!config.contains("status")) {
            error = "mode status needs \"status\" (a 4xx or 5xx code, e.g. 503)";
            return std::nullopt;
        }
        if (!readInt(config, "status", 400, 599, n, error))
            return std::nullopt;
        f.status = static_cast<int>(n);
        if (config.contains("retry_after")) {
            if (!readInt(config, "retry_after", 0, 86400, n, error))
                return std::nullopt;
            f.retryAfter = static_cast<int>(n);
        }
    }
    if (f.mode == Mode::Delay && !config.contains("ms")) {
        error = "mode delay needs \"ms\"";
        return std::nullopt;
    }
    f.ms = f.mode == Mode::Timeout ? kDefaultTimeoutMs : 0;
    if (config.contains("ms")) {
        if (!readInt(config, "ms", 0, kMaxMs, n, error))
            return std::nullopt;
        f.ms = static_cast<int>(n);
    }
    if (config.contains("count")) {
        if (!readInt(config, "count", 1, 1000000000, n, error))
            return std::nullopt;
        f.count = static_cast<std::uint64_t>(n);
    }
    if (config.contains("ratio")) {
        const Json& r = config["ratio"];
        if (!r.is_number() || r.get<double>() < 0.0 || r.get<double>() > 1.0) {
            error = "\"ratio\" must be a number between 0 and 1";
            return std::nullopt;
        }
        f.ratio = r.get<double>();
    }
    if (config.contains("seed")) {
        if (!readInt(config, "seed", 0, 9007199254740991ll, n, error))
            return std::nullopt;
        f.seed = static_cast<std::uint64_t>(n);
    }
    if (config.contains("path")) {
        const Json& p = config["path"];
        if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>()[0] != '/') {
            error = "\"path\" must be an endpoint path such as \"/batch/\"";
            return std::nullopt;
        }
        f.path = p.get<std::string>();
    }
    f.id = m_nextId++;
    m_faults.push_back(f);
    return f;
}

std::optional<FaultInjector::Fault> FaultInjector::hit(const std::string& path)
{
    const std::string p = withoutTrailingSlash(path);
    for (Fault& f : m_faults) {
        if (!f.active() || (!f.path.empty() && withoutTrailingSlash(f.path) != p))
            continue;
        const std::uint64_t n = f.seen++;
        if (f.ratio && static_cast<double>(mix(f.seed, n) >> 11) * 0x1.0p-53 >= *f.ratio)
            continue;
        ++f.hits;
        return f;
    }
    return std::nullopt;
}

Json FaultInjector::toJson() const
{
    Json list = Json::array();
    for (const Fault& f : m_faults)
        list.push_back(f.toJson());
    return Json {{"faults", std::move(list)}};
}

std::size_t FaultInjector::clear()
{
    const std::size_t n = m_faults.size();
    m_faults.clear();
    return n;
}

bool FaultInjector::remove(int id)
{
    const auto it = std::find_if(m_faults.begin(), m_faults.end(), [id](const Fault& f) { return f.id == id; });
    if (it == m_faults.end())
        return false;
    m_faults.erase(it);
    return true;
}

} // namespace el
