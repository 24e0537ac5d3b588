// SPDX-License-Identifier: MIT
// The contract engine's calls: construction, onEvent() (the per-event checks of eventjudge.cpp, then the sequence
// rules of sequencerules.cpp), and the runs it lists (runs(), forEachRun(), takeRunChanges()).
#include "contractengine.h"
#include "contractengine_p.h"

#include "contract.h"
#include "model/verdict.h"
#include "util/isotime.h"

#include <set>

namespace el {

using namespace engine_detail;

qint64 eventTimeMs(const Event& event)
{
    // no offset given: PostHog reads it as UTC
    return parseIsoMs(event.field(Event::Field::Timestamp), ZonelessAs::Utc).value_or(event.receivedMs);
}

std::vector<std::string> violationKinds()
{
    std::vector<std::string> out;
    for (ViolationKind k : kViolationKinds)
        out.emplace_back(toString(k));
    return out;
}

Json RunInfo::toJson() const
{
    Json j {{"rule", rule}, {"key", key}, {"startSeq", startSeq}, {"endSeq", endSeq}, {"startMs", startMs},
        {"endMs", endMs}, {"pinned", pinned}, {"state", std::string(toString(state))}, {"result", result},
        {"pinnedMismatches", pinnedMismatches}};
    if (startSeq != 0 && endSeq != 0)
        j["durationMs"] = endMs - startMs;
    return j;
}

ContractEngine::ContractEngine(std::shared_ptr<const Contract> contract)
    : d(std::make_unique<Private>())
{
    d->contract = contract ? std::move(contract) : Contract::empty();
    d->states.resize(d->contract->sequences().size());
}

ContractEngine::~ContractEngine() = default;

const Contract& ContractEngine::contract() const
{
    return *d->contract;
}
std::string ContractEngine::contractName() const
{
    return d->contract->name();
}
std::string ContractEngine::contractVersion() const
{
    return d->contract->version();
}
std::vector<std::string> ContractEngine::superProperties() const
{
    return d->contract->superProperties();
}

std::vector<Violation> ContractEngine::onEvent(const Event& event)
{
    if (event.recording)
        return {};
    return onEvent(event, event.doc());
}

std::vector<Violation> ContractEngine::onEvent(const Event& event, const Json& doc)
{
    return onJudged(event, judgeEvent(*d->contract, event, doc));
}

std::vector<Violation> ContractEngine::onJudged(const Event& event, EventJudgement judgement)
{
    if (event.recording || !judgement.judged)
        return {};
    std::vector<Violation> out = std::move(judgement.violations);
    const std::size_t perEvent = out.size(); // judgeEvent() masked these
    d->sequences(event, judgement, event.name(), out);
    redactMessages(*d->contract, out, perEvent);
    return out;
}

void ContractEngine::setRunSink(std::function<void(std::uint64_t, RunInfo)> sink)
{
    d->runSink = std::move(sink);
}

void ContractEngine::setForgettable(bool on)
{
    d->forgettable = on;
}

std::size_t ContractEngine::rememberedPairs() const
{
    std::size_t n = 0;
    for (const SequenceState& st : d->states)
        n += st.pairs.size();
    return n;
}

std::size_t ContractEngine::rememberedKeys() const
{
    std::size_t n = 0;
    for (const SequenceState& st : d->states)
        n += st.seen.size();
    return n;
}

RunInfo ContractEngine::Private::runInfo(std::size_t rule, std::size_t idx, const PairRecord& record) const
{
    const SequenceSpec& s = contract->sequences()[rule];
    const CompactRun& c = record.info;
    RunInfo r;
    r.id = runId(rule, idx);
    r.rule = s.id;
    r.key = parseCompact(c.key);
    r.startSeq = c.startSeq;
    r.endSeq = c.endSeq;
    r.startMs = c.startMs;
    r.endMs = c.endMs;
    const Json pinned = parseCompact(c.pinned);
    for (std::size_t i = 0; i < s.pinned.size() && i < pinned.size(); ++i) {
        if (!pinned[i].is_null())
            r.pinned[s.pinned[i].first] = pinned[i];
    }
    r.state = c.state;
    r.result = parseCompact(c.result);
    r.pinnedMismatches = c.pinnedMismatches;
    return r;
}

std::vector<RunInfo> ContractEngine::runs() const
{
    std::vector<RunInfo> out;
    out.reserve(d->runs.size());
    forEachRun([&out](RunInfo run) { out.push_back(std::move(run)); });
    return out;
}

void ContractEngine::forEachRun(const std::function<void(RunInfo)>& fn) const
{
    for (const auto& [rule, idx] : d->runs) {
        const auto found = d->states[rule].pairs.find(idx);
        if (found != d->states[rule].pairs.end()) // else forgotten with its events
            fn(d->runInfo(rule, idx, found->second));
    }
}

void ContractEngine::setTrackRunChanges(bool on)
{
    d->trackChanges = on;
    if (!on) {
        d->touched.clear();
        d->forgottenIds.clear();
    }
}

RunChanges ContractEngine::takeRunChanges()
{
    RunChanges out;
    if (d->touched.empty() && d->forgottenIds.empty())
        return out;
    std::set<std::pair<std::size_t, std::size_t>> done;
    for (const auto& [rule, idx] : d->touched) {
        if (!done.insert({rule, idx}).second)
            continue;
        const auto found = d->states[rule].pairs.find(idx);
        if (found != d->states[rule].pairs.end()) // else forgotten since (listed below)
            out.updated.push_back(d->runInfo(rule, idx, found->second));
    }
    out.forgotten = std::move(d->forgottenIds);
    d->touched.clear();
    d->forgottenIds.clear();
    return out;
}

} // namespace el
