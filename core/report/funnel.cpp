// SPDX-License-Identifier: MIT
// Counting the runs a report shows (reportdata.h): how each run ended, the runtime funnel, and which runs to list.
#include "reportdata.h"

#include "util/text.h"

#include <algorithm>

namespace el {

namespace {

const char* const kPlanned[] = {"amr_cloud", "byok", "local_cli", "none"};

} // namespace

RunOutcome runOutcome(const RunInfo& run)
{
    switch (run.state) {
    case RunState::Open:
        return RunOutcome::Open;
    case RunState::Unfinished:
        return RunOutcome::Unfinished;
    case RunState::Orphan:
        return RunOutcome::Orphan;
    case RunState::Finished:
        break;
    }
    const Json& r = run.result;
    if (r.is_boolean())
        return r.get<bool>() ? RunOutcome::Success : RunOutcome::Failed;
    if (r.is_string()) {
        const std::string s = asciiLower(r.get<std::string>());
        for (const char* ok : {"success", "succeeded", "successful", "ok", "completed", "complete", "done", "passed"}) {
            if (s == ok)
                return RunOutcome::Success;
        }
        for (const char* bad : {"failed", "failure", "fail", "error", "errored", "crashed", "timeout", "timed_out"}) {
            if (s == bad)
                return RunOutcome::Failed;
        }
        for (const char* cancel : {"cancelled", "canceled", "cancel", "aborted", "abort", "interrupted", "stopped"}) {
            if (s == cancel)
                return RunOutcome::Cancelled;
        }
    }
    return RunOutcome::OtherFinished;
}

Funnel::Funnel()
{
    for (const char* p : kPlanned)
        m_rows[p].runtimeType = p;
}

std::string Funnel::runtimeTypeOf(const RunInfo& run)
{
    const auto it = run.pinned.find("runtime_type");
    if (it == run.pinned.end())
        return "missing";
    return it->is_string() ? it->get<std::string>() : it->dump();
}

void Funnel::add(const RunInfo& run)
{
    add(run, runtimeTypeOf(run));
}

void Funnel::add(const RunInfo& run, const std::string& type)
{
    const RunOutcome outcome = runOutcome(run);
    if (outcome == RunOutcome::Orphan)
        return; // no start: not a created run
    FunnelRow& r = m_rows[type];
    r.runtimeType = type;
    ++r.created;
    switch (outcome) {
    case RunOutcome::Success:
        ++r.finished;
        ++r.success;
        break;
    case RunOutcome::Failed:
        ++r.finished;
        ++r.failed;
        break;
    case RunOutcome::Cancelled:
        ++r.finished;
        ++r.cancelled;
        break;
    case RunOutcome::OtherFinished:
        ++r.finished;
        ++r.other;
        break;
    case RunOutcome::Open:
        ++r.open;
        break;
    case RunOutcome::Unfinished:
        ++r.unfinished;
        break;
    case RunOutcome::Orphan:
        break;
    }
}

std::vector<FunnelRow> Funnel::rows() const
{
    std::vector<FunnelRow> out;
    for (const char* p : kPlanned)
        out.push_back(m_rows.at(p));
    const auto missing = m_rows.find("missing");
    if (missing != m_rows.end())
        out.push_back(missing->second);
    for (const auto& [name, row] : m_rows) {
        if (name != "missing" && std::find_if(std::begin(kPlanned), std::end(kPlanned), [&name = name](const char* p) {
                return name == p;
            }) == std::end(kPlanned))
            out.push_back(row);
    }
    return out;
}

void RunsShown::add(RunInfo run, std::uint64_t order)
{
    const bool wrong = run.pinnedMismatches > 0 || run.state != RunState::Finished;
    std::vector<Ordered>& list = wrong ? m_wrong : m_fine;
    const auto later = [](const Ordered& a, const Ordered& b) { return a.first < b.first; };
    if (list.size() < m_limit) {
        list.emplace_back(order, std::move(run));
        std::push_heap(list.begin(), list.end(), later);
    } else if (m_limit > 0 && order < list.front().first) { // an earlier run than the latest kept
        std::pop_heap(list.begin(), list.end(), later);
        list.back() = Ordered(order, std::move(run));
        std::push_heap(list.begin(), list.end(), later);
    }
}

std::vector<RunInfo> RunsShown::take()
{
    const auto earlier = [](const Ordered& a, const Ordered& b) { return a.first < b.first; };
    std::sort(m_wrong.begin(), m_wrong.end(), earlier);
    std::sort(m_fine.begin(), m_fine.end(), earlier);
    std::vector<RunInfo> out;
    for (Ordered& o : m_wrong)
        out.push_back(std::move(o.second));
    for (std::size_t i = 0; i < m_fine.size() && out.size() < m_limit; ++i)
        out.push_back(std::move(m_fine[i].second));
    m_wrong.clear();
    m_fine.clear();
    return out;
}

} // namespace el
