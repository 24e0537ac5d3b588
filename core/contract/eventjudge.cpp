// SPDX-License-Identifier: MIT
// The per-event checks (judgeEvent): unplanned events, globals, the event's schema and rules, and the contract's
// scans. They need no engine state, so they run on any thread; the sequence rules are in sequencerules.cpp.
#include "contractengine_p.h"

#include "contract.h"
#include "coverage.h"
#include "model/verdict.h"
#include "util/fastjson.h"
#include "util/text.h"

#include <algorithm>
#include <string_view>

namespace el {

using namespace engine_detail;

namespace {

/** Value at \a pointer in \a doc, or nullptr (also for null: a null key cannot correlate anything). */
const Json* at(const Json& doc, const std::string& pointer)
{
    if (pointer.empty())
        return nullptr;
    const Json* v = findPointer(doc, pointer);
    return v && !v->is_null() ? v : nullptr;
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

void schemaCheck(
    const SchemaRule& rule, ViolationKind kind, const Json& props, const Event& event, std::vector<Violation>& out)
{
    std::vector<SchemaError> errors;
    if (rule.schema->validate(props, errors, "/properties", "properties"))
        return;
    for (SchemaError& e : errors)
        out.push_back(makeViolation(kind, rule.id, rule.severity, e.path, std::move(e.message), {event.seq}));
}

/** The unplanned-event violation of an event named \a name that the contract does not plan, if its mode wants one. */
void checkUnplanned(const Contract& c, const std::string& name, const Event& event, std::vector<Violation>& out)
{
    if (c.unplanned().mode == "allow" || globMatchAny(c.unplanned().allow, name))
        return;
    const Severity sev = c.unplanned().mode == "error" ? Severity::Error : Severity::Warning;
    const std::string hint = closestEvent(c, name);
    out.push_back(makeViolation(ViolationKind::Unplanned, "unplanned", sev, "/event",
        "event " + describeJsonValue(Json(name)) + " is not in contract " + c.name()
            + ", expected one of its planned events"
            + (hint.empty() ? std::string() : " (did you mean " + describeJsonValue(Json(hint)) + "?)")
            + "; unplanned_events: " + c.unplanned().mode,
        {event.seq}));
}

/**
 * Whether any scan of \a c finds something in a string of \a v: the strings EventScan::walk() visits, in the same
 * way (object members shorter than kScanShortest skipped), without building a path.
 */
bool scanFindsAnything(const Contract& c, FlatJson::Ref v, std::vector<ScanHit>& hits)
{
    switch (v.type()) {
    case FlatJson::Type::String:
        return scanText(v.string(), c.scanMask(), hits);
    case FlatJson::Type::Object:
        for (const auto& m : v) {
            const FlatJson::Ref value = m.value();
            if (value.isString() && value.string().size() < kScanShortest)
                continue;
            if (scanFindsAnything(c, value, hits))
                return true;
        }
        return false;
    case FlatJson::Type::Array:
        for (std::size_t i = 0; i < v.size(); ++i)
            if (scanFindsAnything(c, v.item(i), hits))
                return true;
        return false;
    default:
        return false;
    }
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

/** Whether sequence rule \a s reads anything of an event named \a name (as ContractEngine's rules decide). */
bool sequenceLooksAt(const SequenceSpec& s, const std::string& name)
{
    switch (s.type) {
    case SequenceSpec::Type::Pair:
        return name == s.start || name == s.end;
    case SequenceSpec::Type::Order:
        return name == s.first || name == s.then;
    case SequenceSpec::Type::Unique:
        return globMatchAny(s.events, name);
    }
    return true;
}

void addFact(EventJudgement& j, const Json& doc, const std::string& pointer)
{
    if (pointer.empty() || j.fact(pointer))
        return;
    if (const Json* v = at(doc, pointer))
        j.facts.emplace_back(pointer, compactJson(*v));
}

/** addFact() on a FlatJson. */
void addFact(EventJudgement& j, FlatJson::Ref doc, const std::string& pointer)
{
    if (pointer.empty() || j.fact(pointer))
        return;
    const FlatJson::Ref v = doc.at(pointer);
    if (v.present() && !v.isNull())
        j.facts.emplace_back(pointer, compactJson(v));
}

/** A schema's verdict on the fast path: true when it accepts \a instance there. */
bool acceptedQuickly(const SchemaRule& rule, FlatJson::Ref instance)
{
    return rule.schema->quickVerdict(instance) == JsonSchema::PathVerdict::Valid;
}

} // namespace

void engine_detail::redactMessages(const Contract& c, std::vector<Violation>& out, std::size_t first)
{
    if (!c.scanMask())
        return;
    for (std::size_t i = first; i < out.size(); ++i) {
        Violation& v = out[i];
        if (v.kind != ViolationKind::Secret && v.kind != ViolationKind::Pii && containsMatch(v.message, c.scanMask()))
            v.message = redactText(v.message, c.scanMask());
    }
}

const std::string* EventJudgement::fact(const std::string& pointer) const
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
    const Json& props = propsPtr ? *propsPtr : emptyJsonObject();
    const EventSpec* spec = c.event(name);

    if (!spec)
        checkUnplanned(c, name, event, out);
    if (const GlobalsSpec* g = c.globals()) {
        bool exempt = globMatchAny(g->exempt, name);
        if (!exempt && !g->exemptIf.empty()) {
            // All of exempt_if at once: Valid when one schema accepts, Invalid when every one refuses. Undecided
            // (a keyword the fast evaluator leaves to valijson) asks each schema in turn, as without it.
            const auto any = g->exemptIfAny ? g->exemptIfAny->fastPathVerdict(doc) : JsonSchema::PathVerdict::Undecided;
            exempt = any == JsonSchema::PathVerdict::Valid;
            for (std::size_t i = 0; any == JsonSchema::PathVerdict::Undecided && !exempt && i < g->exemptIf.size(); ++i)
                exempt = g->exemptIf[i]->accepts(doc);
        }
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
        if (!sequenceLooksAt(s, name))
            continue; // its rule skips this event (sequencerules.cpp): nothing to extract
        addFact(j, doc, s.key);
        for (const auto& pinned : s.pinned)
            addFact(j, doc, pinned.second);
        addFact(j, doc, s.result);
    }
    return j;
}

bool judgeEventQuickly(const Contract& c, const Event& event, FlatJson::Ref doc, EventJudgement& j)
{
    // judgeEvent(), step for step; every step that would need valijson (or a path for a scan finding) gives up.
    j = EventJudgement {};
    if (event.recording)
        return true;
    j.judged = true;
    const std::string name = event.name();
    const FlatJson::Ref found = doc.find("properties");
    const FlatJson::Ref props = found.present() ? found : doc.emptyObject();
    const EventSpec* spec = c.event(name);
    if (const GlobalsSpec* g = c.globals()) {
        bool exempt = globMatchAny(g->exempt, name);
        if (!exempt && !g->exemptIf.empty()) {
            const auto any = g->exemptIfAny ? g->exemptIfAny->quickVerdict(doc) : JsonSchema::PathVerdict::Undecided;
            if (any == JsonSchema::PathVerdict::Undecided)
                return false; // judgeEvent() asks each schema in turn
            exempt = any == JsonSchema::PathVerdict::Valid;
        }
        if (!exempt && !acceptedQuickly(g->rule, props))
            return false;
    }
    if (spec) {
        if (!acceptedQuickly(spec->schema, props))
            return false;
        for (const SchemaRule& r : spec->rules)
            if (!acceptedQuickly(r, props))
                return false;
    }
    if (c.scanMask() && doc.isObject()) {
        thread_local std::vector<ScanHit> hits;
        if (scanFindsAnything(c, doc, hits))
            return false;
    }
    if (!spec)
        checkUnplanned(c, name, event, j.violations);
    if (c.scanMask())
        redactMessages(c, j.violations);
    for (const SequenceSpec& s : c.sequences()) {
        if (!sequenceLooksAt(s, name))
            continue;
        addFact(j, doc, s.key);
        for (const auto& pinned : s.pinned)
            addFact(j, doc, pinned.second);
        addFact(j, doc, s.result);
    }
    return true;
}

void judgeKeptEvent(const Contract* c, const Event& event, EventJudgement* judged, Coverage* coverage)
{
    FlatJson& flat = FlatJson::threadScratch();
    if (flat.parse(event.json)) {
        EventJudgement quick;
        if (!c || !judged || judgeEventQuickly(*c, event, flat.root(), quick)) {
            if (judged && c)
                *judged = std::move(quick);
            if (coverage)
                coverage->addEvent(event.name(), flat.root());
            return;
        }
    }
    const Json doc = event.doc();
    if (c && judged)
        *judged = judgeEvent(*c, event, doc);
    if (coverage)
        coverage->addEvent(event.name(), doc);
}

} // namespace el
