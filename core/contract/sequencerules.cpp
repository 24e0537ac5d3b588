// SPDX-License-Identifier: MIT
// The sequence rules (pair, order, unique), applied in arrival order, and what changes their state besides an
// event: time (onTick), the end of input (finish), memory leaving (forget) and the run sink (release).
#include "contractengine_p.h"

#include "contract.h"
#include "model/verdict.h"
#include "util/keytable.h"
#include "util/text.h"

#include <algorithm>
#include <cstdint>

namespace el {

using namespace engine_detail;

namespace {

/** Last token of a pointer, for messages ("/properties/run_id" -> "run_id"). */
std::string pointerName(const std::string& pointer)
{
    const std::size_t slash = pointer.rfind('/');
    const std::string_view t = std::string_view(pointer).substr(slash == std::string::npos ? 0 : slash + 1);
    std::string out;
    if (!jsonPointerUnescape(t, out)) // a contract's pointers are checked at load: only ever as written
        out = std::string(t);
    return out;
}

/** \a key is a fact's compact text (EventJudgement::facts), read back only for a violation's message. */
std::string keyText(const SequenceSpec& s, const std::string& key)
{
    return pointerName(s.key) + " " + describeJsonValue(engine_detail::parseCompact(key));
}

/** The values at a pair rule's pinned pointers, as the compact text of one array (null for an absent one). */
std::string pinnedText(const SequenceSpec& s, const EventJudgement& j)
{
    std::string out = "[";
    for (std::size_t i = 0; i < s.pinned.size(); ++i) {
        if (i > 0)
            out.push_back(',');
        const std::string* v = j.fact(s.pinned[i].second);
        out += v ? *v : std::string_view("null");
    }
    out.push_back(']');
    return out;
}

} // namespace

Json engine_detail::parseCompact(const std::string& text)
{
    if (text.empty())
        return Json();
    Json j = Json::parse(text, nullptr, false);
    return j.is_discarded() ? Json() : j;
}

Violation ContractEngine::Private::unfinished(const SequenceSpec& s, const PairRecord& p, const std::string& why) const
{
    return makeViolation(ViolationKind::SequenceUnfinished, s.id, s.severity, s.key,
        s.start + " (seq " + std::to_string(p.info.startSeq) + ", " + keyText(s, p.info.key) + ") " + why,
        {p.info.startSeq});
}

void ContractEngine::Private::pair(std::size_t index, const SequenceSpec& s, const Event& event,
    const EventJudgement& j, const std::string& name, std::vector<Violation>& out)
{
    const bool isStart = name == s.start;
    const bool isEnd = name == s.end;
    if (!isStart && !isEnd)
        return;
    const std::string* key = j.fact(s.key);
    if (!key)
        return;
    SequenceState& st = states[index];
    const KeyHash kh = hash128(*key);
    const qint64 t = eventTimeMs(event);
    const std::size_t* latest = st.latest.find(kh);

    if (isStart) {
        if (latest && st.pairs.at(*latest).info.state == RunState::Open)
            return; // a repeated start while the pair is open keeps the first start
        PairRecord p;
        p.info.key = *key;
        p.info.startSeq = event.seq;
        p.info.startMs = t;
        p.info.state = RunState::Open;
        p.startReceivedMs = event.receivedMs;
        p.keyHash = kh;
        if (!s.pinned.empty())
            p.info.pinned = pinnedText(s, j);
        p.order = createdRuns++;
        const std::size_t idx = st.nextPair++;
        st.pairs.emplace(idx, std::move(p));
        st.latest[kh] = idx;
        st.open.insert(idx);
        runs.emplace_back(index, idx);
        touch(index, idx);
        return;
    }

    // end
    const std::string* result = j.fact(s.result);
    if (!latest && !st.forgotten.empty()) {
        // The run left memory with its events (--max-events-in-memory): a late end is no orphan, and a
        // second end is still a second end.
        if (bool* f = st.forgotten.find(kh)) {
            if (*f && s.atMostOnce)
                out.push_back(makeViolation(ViolationKind::SequenceDuplicateEnd, s.id, s.severity, s.key,
                    "second " + s.end + " for " + keyText(s, *key)
                        + " (the first has left memory with its events), expected at most one",
                    {event.seq}));
            *f = true;
            return;
        }
    }
    if (!latest && !st.closed.empty()) {
        // The key's newest run was handed to the run sink with its end: this is a second end, said as below.
        if (const ClosedEnd* c = st.closed.find(kh)) {
            if (s.atMostOnce) {
                std::vector<qint64> seqs;
                if (c->startSeq)
                    seqs.push_back(c->startSeq);
                seqs.push_back(c->endSeq);
                seqs.push_back(event.seq);
                out.push_back(makeViolation(ViolationKind::SequenceDuplicateEnd, s.id, s.severity, s.key,
                    "second " + s.end + " for " + keyText(s, *key) + " (the first was seq " + std::to_string(c->endSeq)
                        + "), expected at most one",
                    std::move(seqs)));
            }
            return;
        }
    }
    if (!latest) {
        PairRecord p;
        p.info.key = *key;
        p.info.endSeq = event.seq;
        p.info.endMs = t;
        p.info.state = RunState::Orphan;
        p.info.result = result ? *result : std::string();
        p.keyHash = kh;
        p.order = createdRuns++;
        const std::size_t idx = st.nextPair++;
        PairRecord& added = st.pairs.emplace(idx, std::move(p)).first->second;
        markClosed(st, idx, added);
        st.latest[kh] = idx;
        runs.emplace_back(index, idx);
        touch(index, idx);
        out.push_back(makeViolation(ViolationKind::SequenceOrphanEnd, s.id, s.severity, s.key,
            s.end + " (" + keyText(s, *key) + ") has no preceding " + s.start + " with the same " + pointerName(s.key),
            {event.seq}));
        if (runSink)
            release(index, idx);
        return;
    }
    const std::size_t latestIdx = *latest;
    PairRecord& p = st.pairs.at(latestIdx);
    if (p.info.endSeq != 0) {
        if (s.atMostOnce) {
            std::vector<qint64> seqs;
            if (p.info.startSeq)
                seqs.push_back(p.info.startSeq);
            seqs.push_back(p.info.endSeq);
            seqs.push_back(event.seq);
            out.push_back(makeViolation(ViolationKind::SequenceDuplicateEnd, s.id, s.severity, s.key,
                "second " + s.end + " for " + keyText(s, *key) + " (the first was seq " + std::to_string(p.info.endSeq)
                    + "), expected at most one",
                std::move(seqs)));
        }
        return;
    }
    p.info.endSeq = event.seq;
    p.info.endMs = t;
    p.info.result = result ? *result : std::string();
    st.open.erase(latestIdx);
    markClosed(st, latestIdx, p);
    touch(index, latestIdx); // before the pinned checks below, which change it further
    if (p.info.state == RunState::Open) {
        if (s.withinMs && t - p.info.startMs > *s.withinMs) {
            p.info.state = RunState::Unfinished;
            Violation v = unfinished(s, p,
                "has no " + s.end + " within " + std::to_string(*s.withinMs) + " ms: it came "
                    + std::to_string(t - p.info.startMs) + " ms later (seq " + std::to_string(event.seq) + ")");
            v.seqs.push_back(event.seq);
            out.push_back(std::move(v));
        } else {
            p.info.state = RunState::Finished;
        }
    }
    // The same text is the same values (compact text is canonical); a different text is compared value by value
    // (1 and 1.0 are equal), so the values are parsed only then.
    if (s.pinned.empty() || pinnedText(s, j) == p.info.pinned) {
        if (runSink)
            release(index, latestIdx); // ended: nothing changes it any more
        return;
    }
    const Json startPinned = parseCompact(p.info.pinned);
    for (std::size_t i = 0; i < s.pinned.size(); ++i) {
        const auto& [pname, ptr] = s.pinned[i];
        const std::string* endText = j.fact(ptr);
        const Json endParsed = endText ? parseCompact(*endText) : Json();
        const Json* endValue = endText ? &endParsed : nullptr;
        const Json* startValue = i < startPinned.size() && !startPinned[i].is_null() ? &startPinned[i] : nullptr;
        if (!startValue && !endValue)
            continue;
        if (startValue && endValue && *startValue == *endValue)
            continue;
        ++p.info.pinnedMismatches;
        const std::string label = pointerName(ptr);
        const std::string onEnd = endValue ? describeJsonValue(*endValue) : std::string("missing");
        const std::string onStart = startValue ? describeJsonValue(*startValue) : std::string("missing");
        out.push_back(makeViolation(ViolationKind::SequencePinnedMismatch, s.id, s.severity, ptr,
            label + " is " + onEnd + " on " + s.end + " (seq " + std::to_string(event.seq) + "), expected " + onStart
                + " as on " + s.start + " (seq " + std::to_string(p.info.startSeq) + ")",
            {p.info.startSeq, event.seq}));
    }
    if (runSink)
        release(index, latestIdx); // ended: nothing changes it any more
}

void ContractEngine::Private::release(std::size_t rule, std::size_t idx)
{
    SequenceState& st = states[rule];
    const auto it = st.pairs.find(idx);
    const PairRecord& p = it->second;
    runSink(p.order, runInfo(rule, idx, p));
    st.closed[p.keyHash] = ClosedEnd {p.info.startSeq, p.info.endSeq};
    const std::size_t* l = st.latest.find(p.keyHash);
    if (l && *l == idx)
        st.latest.erase(p.keyHash);
    st.open.erase(idx);
    if (p.closedAt >= 0)
        st.closedByLastSeq.erase({p.closedAt, idx});
    st.pairs.erase(it);
    ++staleRuns;
    dropStaleRuns();
}

void ContractEngine::Private::dropStaleRuns()
{
    const auto gone
        = [this](const std::pair<std::size_t, std::size_t>& r) { return states[r.first].pairs.count(r.second) == 0; };
    while (!runs.empty() && gone(runs.front())) {
        runs.pop_front();
        --staleRuns;
    }
    if (staleRuns * 2 > runs.size()) { // amortised: rarely, and then in one pass
        runs.erase(std::remove_if(runs.begin(), runs.end(), gone), runs.end());
        staleRuns = 0;
    }
}

void ContractEngine::Private::sequences(
    const Event& event, const EventJudgement& j, const std::string& name, std::vector<Violation>& out)
{
    const auto& specs = contract->sequences();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const SequenceSpec& s = specs[i];
        SequenceState& st = states[i];
        switch (s.type) {
        case SequenceSpec::Type::Pair:
            pair(i, s, event, j, name, out);
            break;
        case SequenceSpec::Type::Order: {
            if (name != s.first && name != s.then)
                break;
            const std::string* key = s.key.empty() ? nullptr : j.fact(s.key);
            if (!s.key.empty() && !key)
                break;
            if (name == s.first) {
                if (key)
                    st.firstSeen.tryEmplace(hash128(*key), true);
                else
                    st.anyFirst = true;
                break;
            }
            const bool seen = key ? st.firstSeen.find(hash128(*key)) != nullptr : st.anyFirst;
            if (!seen) {
                out.push_back(
                    makeViolation(ViolationKind::SequenceOrder, s.id, s.severity, key ? s.key : std::string("/event"),
                        key ? s.then + " (" + keyText(s, *key) + ") has no preceding " + s.first + " with the same "
                                + pointerName(s.key)
                            : s.then + " has no preceding " + s.first,
                        {event.seq}));
            }
            break;
        }
        case SequenceSpec::Type::Unique: {
            if (!globMatchAny(s.events, name))
                break;
            const std::string* key = j.fact(s.key);
            if (!key)
                break;
            auto nameIt = st.nameIndex.find(name);
            if (nameIt == st.nameIndex.end()) {
                if (st.names.size() >= FirstUse::kMaxName) { // see FirstUse
                    if (st.names.size() == FirstUse::kMaxName)
                        st.names.push_back(kManyNames);
                    nameIt = st.nameIndex.emplace(name, FirstUse::kMaxName).first;
                } else {
                    nameIt = st.nameIndex.emplace(name, static_cast<std::uint32_t>(st.names.size())).first;
                    st.names.push_back(name);
                }
            }
            const KeyHash hash = hash128(*key);
            const auto [first, inserted] = st.seen.tryEmplace(hash, {event.seq, nameIt->second});
            if (!inserted && first->seq() < st.forgottenBefore) {
                *first = FirstUse(event.seq, nameIt->second); // its first use left memory: this is a first use
            } else if (!inserted) {
                out.push_back(makeViolation(ViolationKind::SequenceDuplicateKey, s.id, s.severity, s.key,
                    keyText(s, *key) + " on " + name + " was already used by seq " + std::to_string(first->seq()) + " ("
                        + st.names[first->name()] + "), expected unique",
                    {first->seq(), event.seq}));
            }
            break;
        }
        }
    }
}

std::vector<Violation> ContractEngine::onTick(qint64 nowMs)
{
    std::vector<Violation> out;
    const auto& specs = d->contract->sequences();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const SequenceSpec& s = specs[i];
        if (s.type != SequenceSpec::Type::Pair || !s.withinMs)
            continue;
        SequenceState& st = d->states[i];
        for (auto it = st.open.begin(); it != st.open.end();) {
            PairRecord& p = st.pairs.at(*it);
            if (nowMs - p.startReceivedMs > *s.withinMs) {
                p.info.state = RunState::Unfinished;
                Private::markClosed(st, *it, p);
                d->touch(i, *it);
                out.push_back(
                    d->unfinished(s, p, "has no " + s.end + " within " + std::to_string(*s.withinMs) + " ms"));
                it = st.open.erase(it);
            } else {
                ++it;
            }
        }
    }
    redactMessages(*d->contract, out);
    return out;
}

std::vector<Violation> ContractEngine::finish()
{
    std::vector<Violation> out;
    // In creation order, so reports are stable.
    for (const auto& [rule, idx] : d->runs) {
        SequenceState& st = d->states[rule];
        if (!st.open.count(idx))
            continue;
        const SequenceSpec& s = d->contract->sequences()[rule];
        PairRecord& p = st.pairs.at(idx);
        p.info.state = RunState::Unfinished;
        Private::markClosed(st, idx, p);
        d->touch(rule, idx);
        out.push_back(d->unfinished(s, p, "has no " + s.end + " (input ended)"));
        st.open.erase(idx);
    }
    if (d->runSink) { // the rest, in creation order: every run is final now
        for (const auto& [rule, idx] : d->runs) {
            const auto found = d->states[rule].pairs.find(idx);
            if (found != d->states[rule].pairs.end())
                d->runSink(found->second.order, d->runInfo(rule, idx, found->second));
        }
        for (SequenceState& st : d->states) {
            st.pairs.clear();
            st.open.clear();
            st.closedByLastSeq.clear();
        }
        d->runs.clear();
        d->staleRuns = 0;
    }
    redactMessages(*d->contract, out);
    return out;
}

void ContractEngine::forget(qint64 beforeSeq)
{
    const auto& specs = d->contract->sequences();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        SequenceState& st = d->states[i];
        // unique: a key first used before the window is no longer remembered (a later reuse is not flagged). It
        // counts as absent at once; its slot goes when its shard is swept. Shards are swept in proportion to the
        // events that left (one per kSweepEvery), not one per call: the live sink calls this once per request once
        // its window is full, and rebuilding a shard (1/256 of the window's keys) for each single-event request was
        // most of this function's time. At most kMaxPerCall shards per call (a sliver of the table, as its growth
        // is); the rest is swept by the next calls. A key that left waits about one pass (256 × kSweepEvery events)
        // for its slot to go; found before that, it counts as absent anyway.
        if (d->forgettable && specs[i].type == SequenceSpec::Type::Unique) {
            constexpr qint64 kSweepEvery = 256;
            constexpr qint64 kMaxPerCall = 16;
            constexpr qint64 kPass = qint64(KeyTable<FirstUse>::kShards) * kSweepEvery;
            st.forgottenBefore = std::max(st.forgottenBefore, beforeSeq);
            const qint64 before = st.forgottenBefore;
            st.sweptBefore = std::max(st.sweptBefore, before - kPass); // a whole pass owed at most
            const qint64 due = std::min((before - st.sweptBefore) / kSweepEvery, kMaxPerCall);
            for (qint64 n = 0; n < due; ++n)
                st.seen.sweepShard(st.nextSweep++, [before](const FirstUse& f) { return f.seq() >= before; });
            st.sweptBefore += due * kSweepEvery;
        }
        // pair: closed pairs whose events all left, from the front of closedByLastSeq; an open pair stays until it
        // ends or times out. Their ids are told in creation order, as the pairs map has them.
        const std::size_t firstForgotten = d->forgottenIds.size();
        while (!st.closedByLastSeq.empty() && st.closedByLastSeq.begin()->first < beforeSeq) {
            const std::size_t idx = st.closedByLastSeq.begin()->second;
            st.closedByLastSeq.erase(st.closedByLastSeq.begin());
            const auto it = st.pairs.find(idx);
            // Only closed pairs are filed, and release() unfiles a pair before it goes (markClosed(), release()).
            Q_ASSERT(it != st.pairs.end() && !st.open.count(idx));
            if (it == st.pairs.end())
                continue;
            const KeyHash kh = it->second.keyHash;
            const std::size_t* l = st.latest.find(kh);
            if (l && *l == idx)
                st.latest.erase(kh);
            st.forgotten[kh] = it->second.info.endSeq != 0;
            if (d->trackChanges)
                d->forgottenIds.push_back(Private::runId(i, idx));
            st.pairs.erase(it);
            ++d->staleRuns;
        }
        std::sort(d->forgottenIds.begin() + static_cast<std::ptrdiff_t>(firstForgotten), d->forgottenIds.end());
    }
    d->dropStaleRuns();
}

} // namespace el
