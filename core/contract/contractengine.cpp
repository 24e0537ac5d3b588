// SPDX-License-Identifier: MIT
#include "contractengine.h"
#include "util/fastjson.h"
#include "util/isotime.h"
#include "util/keytable.h"
#include "util/text.h"

#include "contract.h"
#include "model/verdict.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace el {

namespace {

const char* const kBuiltinPrefix = "builtin:";

const Json& emptyObject()
{
    static const Json e = Json::object();
    return e;
}

/** Value at \a pointer in \a doc, or nullptr (also for null: a null key cannot correlate anything). */
const Json* at(const Json& doc, const std::string& pointer)
{
    if (pointer.empty())
        return nullptr;
    const Json* v = findPointer(doc, pointer);
    return v && !v->is_null() ? v : nullptr;
}

/** Last token of a pointer, for messages ("/properties/run_id" -> "run_id"). */
std::string pointerName(const std::string& pointer)
{
    const std::size_t slash = pointer.rfind('/');
    std::string t = slash == std::string::npos ? pointer : pointer.substr(slash + 1);
    std::string out;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
            out += t[i + 1] == '0' ? '~' : '/';
            ++i;
        } else {
            out += t[i];
        }
    }
    return out;
}

std::size_t editDistance(const std::string& a, const std::string& b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

/** The planned event closest to \a name (edit distance <= 2), for "did you mean" hints. */
std::string closestEvent(const Contract& c, const std::string& name)
{
    std::string best;
    std::size_t bestDistance = 3;
    for (const auto& [planned, spec] : c.events()) {
        const std::size_t dist = editDistance(planned, name);
        if (dist < bestDistance) {
            bestDistance = dist;
            best = planned;
        }
    }
    return best;
}

} // namespace

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

std::shared_ptr<const Contract> parseContract(const std::string& text, const std::string& origin, std::string& error)
{
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        // Parse again with exceptions to learn where it broke (only on the error path).
        try {
            const Json again = Json::parse(text);
            (void)again;
            error = origin + ": invalid JSON";
        } catch (const Json::parse_error& e) {
            std::string what = e.what();
            const std::size_t colon = what.find("syntax error");
            error = origin + ": invalid JSON at " + lineColumn(text, e.byte > 0 ? std::size_t(e.byte - 1) : 0) + ": "
                + (colon != std::string::npos ? what.substr(colon) : what);
        } catch (const std::exception& e) {
            error = origin + ": invalid JSON: " + e.what();
        }
        return nullptr;
    }
    return Contract::fromJson(doc, origin, error);
}

std::vector<std::string> builtinContracts()
{
    std::vector<std::string> out;
    const QDir dir(QStringLiteral(":/contracts"));
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString& f : files)
        out.push_back(QFileInfo(f).completeBaseName().toStdString());
    // By name, not by file name: "open-design" before "open-design-era-b" ('-' sorts before '.').
    std::sort(out.begin(), out.end());
    return out;
}

std::shared_ptr<const Contract> loadContract(const std::string& nameOrPath, std::string& error)
{
    if (nameOrPath.rfind(kBuiltinPrefix, 0) == 0) {
        const std::string name = nameOrPath.substr(std::string(kBuiltinPrefix).size());
        QFile f(QStringLiteral(":/contracts/") + QString::fromStdString(name) + QStringLiteral(".json"));
        if (name.empty() || name.find('/') != std::string::npos || !f.open(QIODevice::ReadOnly)) {
            std::string available;
            for (const std::string& b : builtinContracts())
                available += (available.empty() ? "" : ", ") + b;
            error = "unknown built-in contract \"" + name
                + "\" (available: " + (available.empty() ? std::string("none") : available) + ")";
            return nullptr;
        }
        return parseContract(f.readAll().toStdString(), nameOrPath, error);
    }
    QFile f(QString::fromStdString(nameOrPath));
    if (!f.open(QIODevice::ReadOnly)) {
        error = "cannot read contract file " + nameOrPath + ": " + f.errorString().toStdString();
        return nullptr;
    }
    return parseContract(f.readAll().toStdString(), nameOrPath, error);
}

// ---------------------------------------------------------------------------------------------------------------

namespace {

Violation makeViolation(ViolationKind kind, const std::string& rule, Severity severity, const std::string& path,
    std::string message, std::vector<qint64> seqs)
{
    Violation v;
    v.kind = kind;
    v.rule = rule;
    v.severity = severity;
    v.path = path;
    v.message = std::move(message);
    v.seqs = std::move(seqs);
    return v;
}

using KeyHash = Hash128; ///< of a key's JSON text

KeyHash keyHash(const std::string& text)
{
    return hash128(text);
}

/** What a pair keeps while a session runs: values as compact JSON text (a RunInfo is built on demand). */
struct CompactRun
{
    std::string key; ///< the correlation key value, compact JSON
    qint64 startSeq = 0;
    qint64 endSeq = 0;
    qint64 startMs = 0;
    qint64 endMs = 0;
    RunState state = RunState::Open; ///< as RunInfo::state
    int pinnedMismatches = 0;
    std::string pinned; ///< JSON array: per pinned entry, its value on the start event (null: absent)
    std::string result; ///< value at the result pointer on the end event, compact JSON; empty: none
};

struct PairRecord
{
    CompactRun info;
    qint64 startReceivedMs = 0;
    KeyHash keyHash; ///< of the key's dump: how \c latest and \c forgotten know it
    std::uint64_t order = 0; ///< creation order among all pair rules' runs (ContractEngine::setRunSink())
};

/** A run handed to the run sink: what a second end of its key must still say, in 16 bytes. */
struct ClosedEnd
{
    qint64 startSeq = 0;
    qint64 endSeq = 0;
};

Json parseCompact(const std::string& text)
{
    if (text.empty())
        return Json();
    Json j = Json::parse(text, nullptr, false);
    return j.is_discarded() ? Json() : j;
}

/**
 * Where a unique key was first used, in 8 bytes (a slot of its KeyTable is 24): the seq in 40 bits (10^12 events)
 * and the index of the event's name in SequenceState::names in 24. Past 2^24 - 1 distinct names (unplanned names
 * are unbounded), the rest share the last index, named kManyNames.
 */
struct FirstUse
{
    static constexpr std::uint32_t kMaxName = (1u << 24) - 1;
    std::uint64_t bits = 0;
    FirstUse() = default;
    FirstUse(qint64 seq, std::uint32_t name)
        : bits((static_cast<std::uint64_t>(seq) << 24) | std::min(name, kMaxName))
    { }
    qint64 seq() const { return static_cast<qint64>(bits >> 24); }
    std::uint32_t name() const { return static_cast<std::uint32_t>(bits & kMaxName); }
};
const char* const kManyNames = "one of many event names";

struct SequenceState
{
    // Everything here grows with the session: deques, ordered containers and KeyTables, never a reallocation or
    // a rehash of the whole (rehashing a hash table of a million keys stalled the GUI thread for 0.2-0.4 s,
    // measured by bench/ui).
    // pair
    std::map<std::size_t, PairRecord> pairs; ///< by creation index; closed pairs leave with their events (forget)
    std::size_t nextPair = 0;
    KeyTable<std::size_t> latest; ///< key (hash of its dump) -> index of the newest pair
    std::set<std::size_t> open; ///< indexes of open pairs
    /// Keys of pairs that left memory (true: it had its end), so that a late or repeated end of a forgotten
    /// run is not taken for an orphan. 16 bytes of hash per run instead of the whole record.
    KeyTable<bool> forgotten;
    /// With a run sink: the newest run of each key that left with its end (a second end is still a second end).
    KeyTable<ClosedEnd> closed;
    // order (keys as hashes, like unique: a `then` must still find its `first` after the events left)
    KeyTable<bool> firstSeen;
    bool anyFirst = false;
    // unique
    /// key -> first seq and the index of its event name in \c names. Keys are kept as a 128-bit hash of their
    /// JSON text (XXH3-128: a false duplicate needs a 128-bit collision, ~1e-21 at 10^9 keys):
    /// a live session sees one key per event, and the text would cost ~150 bytes each.
    KeyTable<FirstUse> seen;
    std::deque<std::pair<qint64, KeyHash>> seenOrder; ///< (first seq, key) in arrival order, for forget()
    std::vector<std::string> names; ///< event names seen by this rule
    std::unordered_map<std::string, std::uint32_t> nameIndex;
};

} // namespace

struct ContractEngine::Private
{
    std::shared_ptr<const Contract> contract;
    std::vector<SequenceState> states;
    std::deque<std::pair<std::size_t, std::size_t>> runs; ///< rule index, pair index in creation order
    std::size_t staleRuns = 0; ///< entries of \c runs whose pair was forgotten
    bool trackChanges = false;
    bool forgettable = true; ///< see setForgettable()
    std::vector<std::pair<std::size_t, std::size_t>> touched; ///< rule, pair index; repeats allowed
    std::vector<qint64> forgottenIds;
    std::uint64_t createdRuns = 0; ///< PairRecord::order of the next run
    std::function<void(std::uint64_t, RunInfo)> runSink; ///< see setRunSink()

    void touch(std::size_t rule, std::size_t idx)
    {
        if (trackChanges)
            touched.emplace_back(rule, idx);
    }
    static qint64 runId(std::size_t rule, std::size_t idx)
    {
        return static_cast<qint64>((static_cast<std::uint64_t>(rule) << 40) | idx) + 1;
    }
    RunInfo runInfo(std::size_t rule, std::size_t idx, const PairRecord& record) const;

    void sequences(const Event& event, const EventJudgement& j, const std::string& name, std::vector<Violation>& out);
    void pair(std::size_t index, const SequenceSpec& s, const Event& event, const EventJudgement& j,
        const std::string& name, std::vector<Violation>& out);
    Violation unfinished(const SequenceSpec& s, const PairRecord& p, const std::string& why) const;
    /** With a run sink: hands the closed run \a idx of \a rule over and keeps only its ClosedEnd. */
    void release(std::size_t rule, std::size_t idx);
    /** Drops the entries of \c runs whose pair left (forgotten or released): the front at once, the rest amortised. */
    void dropStaleRuns();
};

namespace {

std::string keyText(const SequenceSpec& s, const Json& key)
{
    return pointerName(s.key) + " " + describeJsonValue(key);
}

} // namespace

Violation ContractEngine::Private::unfinished(const SequenceSpec& s, const PairRecord& p, const std::string& why) const
{
    return makeViolation(ViolationKind::SequenceUnfinished, s.id, s.severity, s.key,
        s.start + " (seq " + std::to_string(p.info.startSeq) + ", " + keyText(s, parseCompact(p.info.key)) + ") " + why,
        {p.info.startSeq});
}

void ContractEngine::Private::pair(std::size_t index, const SequenceSpec& s, const Event& event,
    const EventJudgement& j, const std::string& name, std::vector<Violation>& out)
{
    const bool isStart = name == s.start;
    const bool isEnd = name == s.end;
    if (!isStart && !isEnd)
        return;
    const Json* key = j.fact(s.key);
    if (!key)
        return;
    SequenceState& st = states[index];
    const KeyHash kh = keyHash(key->dump());
    const qint64 t = eventTimeMs(event);
    const std::size_t* latest = st.latest.find(kh);

    if (isStart) {
        if (latest && st.pairs.at(*latest).info.state == RunState::Open)
            return; // a repeated start while the pair is open keeps the first start
        PairRecord p;
        p.info.key = compactJson(*key);
        p.info.startSeq = event.seq;
        p.info.startMs = t;
        p.info.state = RunState::Open;
        p.startReceivedMs = event.receivedMs;
        p.keyHash = kh;
        if (!s.pinned.empty()) {
            Json pinned = Json::array();
            for (const auto& entry : s.pinned) {
                const Json* v = j.fact(entry.second);
                pinned.push_back(v ? *v : Json());
            }
            p.info.pinned = compactJson(pinned);
        }
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
    const Json* result = j.fact(s.result);
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
        p.info.key = compactJson(*key);
        p.info.endSeq = event.seq;
        p.info.endMs = t;
        p.info.state = RunState::Orphan;
        p.info.result = result ? compactJson(*result) : std::string();
        p.keyHash = kh;
        p.order = createdRuns++;
        const std::size_t idx = st.nextPair++;
        st.pairs.emplace(idx, std::move(p));
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
    p.info.result = result ? compactJson(*result) : std::string();
    st.open.erase(latestIdx);
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
    const Json startPinned = parseCompact(p.info.pinned);
    for (std::size_t i = 0; i < s.pinned.size(); ++i) {
        const auto& [pname, ptr] = s.pinned[i];
        const Json* endValue = j.fact(ptr);
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
            const Json* key = s.key.empty() ? nullptr : j.fact(s.key);
            if (!s.key.empty() && !key)
                break;
            if (name == s.first) {
                if (key)
                    st.firstSeen.tryEmplace(keyHash(key->dump()), true);
                else
                    st.anyFirst = true;
                break;
            }
            const bool seen = key ? st.firstSeen.find(keyHash(key->dump())) != nullptr : st.anyFirst;
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
            const Json* key = j.fact(s.key);
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
            const KeyHash hash = keyHash(key->dump());
            const auto [first, inserted] = st.seen.tryEmplace(hash, {event.seq, nameIt->second});
            if (inserted) {
                if (forgettable)
                    st.seenOrder.emplace_back(event.seq, hash);
            }
            if (!inserted) {
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

namespace {

void schemaCheck(
    const SchemaRule& rule, ViolationKind kind, const Json& props, const Event& event, std::vector<Violation>& out)
{
    std::vector<SchemaError> errors;
    if (rule.schema->validate(props, errors, "/properties", "properties"))
        return;
    for (SchemaError& e : errors)
        out.push_back(makeViolation(kind, rule.id, rule.severity, e.path, std::move(e.message), {event.seq}));
}

/** One step of the path to a value: an object member (\c key) or an array element (\c index). */
struct PathStep
{
    const PathStep* parent = nullptr;
    const std::string* key = nullptr;
    std::size_t index = 0;
};

/**
 * The `scans` of a contract over one event: walks every string value (the whole normalised event: properties,
 * `$set`/`$set_once`, nested objects and arrays, the top-level fields) and reports, per scan rule and value, one
 * violation naming what was found, masked. The path is built only for a value with a finding.
 */
class EventScan
{
public:
    EventScan(const Contract& c, std::string_view eventName, qint64 seq, std::vector<Violation>& out)
        : m_c(c)
        , m_name(eventName)
        , m_seq(seq)
        , m_out(out)
    { }

    void walk(const Json& v, const PathStep* at)
    {
        // The containers themselves, not nlohmann's iterators: this runs for every value of every event.
        switch (v.type()) {
        case Json::value_t::string:
            visit(v.get_ref<const std::string&>(), at);
            break;
        case Json::value_t::object:
            for (const auto& [key, value] : v.get_ref<const Json::object_t&>()) {
                if (value.is_string() && value.get_ref<const std::string&>().size() < kScanShortest)
                    continue;
                const PathStep step {at, &key, 0};
                walk(value, &step);
            }
            break;
        case Json::value_t::array: {
            const Json::array_t& items = v.get_ref<const Json::array_t&>();
            for (std::size_t i = 0; i < items.size(); ++i) {
                const PathStep step {at, nullptr, i};
                walk(items[i], &step);
            }
            break;
        }
        default:
            break;
        }
    }

private:
    static std::string pointer(const PathStep* at)
    {
        std::vector<const PathStep*> steps;
        for (; at; at = at->parent)
            steps.push_back(at);
        std::string out;
        for (auto it = steps.rbegin(); it != steps.rend(); ++it)
            out += '/' + ((*it)->key ? jsonPointerEscape(*(*it)->key) : std::to_string((*it)->index));
        return out;
    }

    /** How a message names the value: its member name, "tags[2]" for an array element. */
    static std::string label(const PathStep* at)
    {
        if (!at)
            return "the event";
        if (at->key)
            return *at->key;
        std::string out = "[" + std::to_string(at->index) + "]";
        for (const PathStep* p = at->parent; p; p = p->parent) {
            if (p->key)
                return *p->key + out;
            out = "[" + std::to_string(p->index) + "]" + out;
        }
        return out;
    }

    void visit(const std::string& text, const PathStep* at)
    {
        if (!scanText(text, m_c.scanMask(), m_hits))
            return;
        const std::string path = pointer(at);
        const auto& detectors = scanDetectors();
        for (const ScanSpec& rule : m_c.scans()) {
            if (rule.allows(m_name, path))
                continue;
            std::string found;
            std::size_t shown = 0, more = 0;
            for (const ScanHit& h : m_hits) {
                if (!(rule.mask & (DetectorMask(1) << h.detector)))
                    continue;
                if (shown == 3) {
                    ++more;
                    continue;
                }
                const ScanDetector& d = detectors[h.detector];
                found += (shown++ ? "; " : "") + std::string(d.what) + " (" + std::string(d.name)
                    + "): " + maskMatch(h.detector, std::string_view(text).substr(h.match.begin, h.match.size()));
            }
            if (!shown)
                continue;
            if (more)
                found += "; and " + std::to_string(more) + " more";
            m_out.push_back(makeViolation(rule.kind == ScanKind::Secret ? ViolationKind::Secret : ViolationKind::Pii,
                rule.id, rule.severity, path, label(at) + " contains " + found, {m_seq}));
        }
    }

    const Contract& m_c;
    std::string_view m_name;
    qint64 m_seq;
    std::vector<Violation>& m_out;
    std::vector<ScanHit> m_hits;
};

/**
 * The messages of \a out from \a first on, other than the scans' own, with whatever the contract's scans detect
 * masked: a schema or sequence message that quotes a value must not show the secret the scan found in it.
 */
void redactMessages(const Contract& c, std::vector<Violation>& out, std::size_t first = 0)
{
    if (!c.scanMask())
        return;
    for (std::size_t i = first; i < out.size(); ++i) {
        Violation& v = out[i];
        if (v.kind != ViolationKind::Secret && v.kind != ViolationKind::Pii && containsMatch(v.message, c.scanMask()))
            v.message = redactText(v.message, c.scanMask());
    }
}

void addFact(EventJudgement& j, const Json& doc, const std::string& pointer)
{
    if (pointer.empty() || j.fact(pointer))
        return;
    if (const Json* v = at(doc, pointer))
        j.facts.emplace_back(pointer, *v);
}

} // namespace

const Json* EventJudgement::fact(const std::string& pointer) const
{
    for (const auto& [p, v] : facts) {
        if (p == pointer)
            return &v;
    }
    return nullptr;
}

EventJudgement judgeEvent(const Contract& c, const Event& event, const Json& doc)
{
    EventJudgement j;
    if (event.recording)
        return j;
    j.judged = true;
    std::vector<Violation>& out = j.violations;
    const std::string name = event.name();
    const Json* propsPtr = nullptr;
    if (doc.is_object()) {
        const auto pit = doc.find("properties");
        if (pit != doc.end())
            propsPtr = &*pit;
    }
    const Json& props = propsPtr ? *propsPtr : emptyObject();
    const EventSpec* spec = c.event(name);

    if (!spec && c.unplanned().mode != "allow" && !globMatchAny(c.unplanned().allow, name)) {
        const Severity sev = c.unplanned().mode == "error" ? Severity::Error : Severity::Warning;
        const std::string hint = closestEvent(c, name);
        out.push_back(makeViolation(ViolationKind::Unplanned, "unplanned", sev, "/event",
            "event " + describeJsonValue(Json(name)) + " is not in contract " + c.name()
                + ", expected one of its planned events"
                + (hint.empty() ? std::string() : " (did you mean " + describeJsonValue(Json(hint)) + "?)")
                + "; unplanned_events: " + c.unplanned().mode,
            {event.seq}));
    }
    if (const GlobalsSpec* g = c.globals()) {
        bool exempt = globMatchAny(g->exempt, name);
        for (std::size_t i = 0; !exempt && i < g->exemptIf.size(); ++i)
            exempt = g->exemptIf[i]->accepts(doc);
        if (!exempt)
            schemaCheck(g->rule, ViolationKind::Global, props, event, out);
    }
    if (spec) {
        schemaCheck(spec->schema, ViolationKind::Schema, props, event, out);
        for (const SchemaRule& r : spec->rules)
            schemaCheck(r, ViolationKind::Schema, props, event, out);
    }
    if (c.scanMask()) {
        redactMessages(c, out);
        if (doc.is_object())
            EventScan(c, name, event.seq, out).walk(doc, nullptr);
    }
    for (const SequenceSpec& s : c.sequences()) {
        addFact(j, doc, s.key);
        for (const auto& pinned : s.pinned)
            addFact(j, doc, pinned.second);
        addFact(j, doc, s.result);
    }
    return j;
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
        }
        d->runs.clear();
        d->staleRuns = 0;
    }
    redactMessages(*d->contract, out);
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

void ContractEngine::forget(qint64 beforeSeq)
{
    const auto& specs = d->contract->sequences();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        SequenceState& st = d->states[i];
        // unique: a key first used before the window is no longer remembered (a later reuse is not flagged)
        while (!st.seenOrder.empty() && st.seenOrder.front().first < beforeSeq) {
            const auto& [seq, hash] = st.seenOrder.front();
            const FirstUse* found = st.seen.find(hash);
            if (found && found->seq() == seq)
                st.seen.erase(hash);
            st.seenOrder.pop_front();
        }
        // pair: closed pairs whose events all left; an open pair stays until it ends or times out
        for (auto it = st.pairs.begin(); it != st.pairs.end();) {
            const CompactRun& c = it->second.info;
            const qint64 created = c.startSeq ? c.startSeq : c.endSeq;
            if (created >= beforeSeq)
                break; // created in order: the rest is newer
            if (st.open.count(it->first) || std::max(c.startSeq, c.endSeq) >= beforeSeq) {
                ++it;
                continue;
            }
            const KeyHash kh = it->second.keyHash;
            const std::size_t* l = st.latest.find(kh);
            if (l && *l == it->first)
                st.latest.erase(kh);
            st.forgotten[kh] = c.endSeq != 0;
            if (d->trackChanges)
                d->forgottenIds.push_back(Private::runId(i, it->first));
            it = st.pairs.erase(it);
            ++d->staleRuns;
        }
    }
    d->dropStaleRuns();
}

std::size_t ContractEngine::rememberedPairs() const
{
    std::size_t n = 0;
    for (const SequenceState& st : d->states)
        n += st.pairs.size();
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
