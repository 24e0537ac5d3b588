// SPDX-License-Identifier: MIT
#include "sessionreport.h"

#include "contract/contract.h"
#include "contract/coverage.h"
#include "pipeline/capture.h"
#include "store/eventstore.h"

#include <unordered_map>
#include <unordered_set>

namespace el {

SessionSnapshot snapshotSession(const Capture& capture, const std::vector<qint64>* seqs)
{
    const EventStore& store = *capture.store();
    std::unordered_set<qint64> wanted;
    if (seqs)
        wanted.insert(seqs->begin(), seqs->end());
    auto included = [&](qint64 seq) { return !seqs || wanted.count(seq) > 0; };
    SessionSnapshot s;
    s.contract = capture.contract();
    s.contractOrigin = capture.contractOrigin();
    s.filtered = seqs != nullptr;
    for (const EventPtr& e : store.events()) {
        if (included(e->seq))
            s.events.push_back(e);
    }
    for (const Violation& v : store.violations()) {
        if (!seqs || (!v.seqs.empty() && included(v.seqs.back())))
            s.violations.push_back(v);
    }
    for (RunInfo& run : capture.runs()) {
        if (!seqs || included(run.startSeq) || included(run.endSeq))
            s.runs.push_back(std::move(run));
    }
    return s;
}

ReportData sessionReport(const SessionSnapshot& s, std::size_t examplesPerRule, std::size_t runsShown)
{
    ReportData r;
    if (s.contract) {
        r.contractName = s.contract->name();
        r.contractVersion = s.contract->version();
    }
    r.contractOrigin = s.contractOrigin;
    Coverage coverage(s.contract);
    std::unordered_set<qint64> requests;
    std::unordered_map<qint64, const Event*> bySeq;
    for (const EventPtr& e : s.events) {
        bySeq.emplace(e->seq, e.get());
        if (e->recording)
            continue;
        ++r.events;
        requests.insert(e->requestId);
        const qint64 t = eventTimeMs(*e);
        r.firstMs = r.firstMs == 0 ? t : std::min(r.firstMs, t);
        r.lastMs = std::max(r.lastMs, t);
        const Json doc = e->doc();
        coverage.addEvent(e->name(), doc);
    }
    r.inputs.push_back(s.filtered ? "the session in memory, " + std::to_string(r.events) + " filtered events"
                                  : "the session in memory");
    r.requests = requests.size();
    r.coverage = coverage.toJson();

    std::unordered_map<std::string, std::size_t> ruleIndex;
    for (const Violation& v : s.violations) {
        (v.severity == Severity::Error ? r.errors : r.warnings)++;
        ++r.violations;
        ReportRule& rule = countRuleViolation(r.rules, ruleIndex, v);
        if (rule.examples.size() >= examplesPerRule)
            continue;
        ReportExample x;
        x.violation = v;
        if (!v.seqs.empty()) {
            const auto e = bySeq.find(v.seqs.back());
            if (e != bySeq.end()) {
                x.event = e->second->name();
                x.source = "request " + std::to_string(e->second->requestId);
                x.eventJson = e->second->json;
            }
        }
        rule.examples.push_back(std::move(x));
    }

    Funnel funnel;
    RunsShown shown(runsShown);
    for (const RunInfo& run : s.runs) {
        funnel.add(run);
        ++r.runCount;
        shown.add(run);
    }
    r.funnel = funnel.rows();
    r.runs = shown.take();
    r.generatedMs = nowMs();
    return r;
}

ReportData sessionReport(const Capture& capture, const std::vector<qint64>* seqs)
{
    return sessionReport(snapshotSession(capture, seqs));
}

} // namespace el
