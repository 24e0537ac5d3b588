// SPDX-License-Identifier: MIT
#include "report/sessionreport.h"

#include "contract/contract.h"
#include "contract/coverage.h"
#include "session.h"
#include "store/eventstore.h"

#include <unordered_map>
#include <unordered_set>

namespace el {

ReportData sessionReport(
    const Session& session, const std::vector<qint64>* seqs, std::size_t examplesPerRule, std::size_t runsShown)
{
    const EventStore& store = *session.store();
    std::unordered_set<qint64> wanted;
    if (seqs)
        wanted.insert(seqs->begin(), seqs->end());
    auto included = [&](qint64 seq) { return !seqs || wanted.count(seq) > 0; };

    ReportData r;
    if (const Contract* c = session.contract().get()) {
        r.contractName = c->name();
        r.contractVersion = c->version();
    }
    r.contractOrigin = session.contractOrigin();
    r.inputs.push_back(seqs ? "the session in memory, " + std::to_string(wanted.size()) + " filtered events"
                            : "the session in memory");
    Coverage coverage(session.contract());
    std::unordered_set<qint64> requests;
    for (const EventPtr& e : store.events()) {
        if (!included(e->seq) || e->recording)
            continue;
        ++r.events;
        requests.insert(e->requestId);
        const qint64 t = eventTimeMs(*e);
        r.firstMs = r.firstMs == 0 ? t : std::min(r.firstMs, t);
        r.lastMs = std::max(r.lastMs, t);
        const Json doc = e->doc();
        const auto props = doc.find("properties");
        coverage.add(e->name(), props != doc.end() ? *props : Json());
    }
    r.requests = requests.size();
    r.coverage = coverage.toJson();

    std::unordered_map<std::string, std::size_t> ruleIndex;
    for (const Violation& v : store.violations()) {
        if (seqs && (v.seqs.empty() || !included(v.seqs.back())))
            continue;
        (v.severity == Severity::Error ? r.errors : r.warnings)++;
        ++r.violations;
        auto [it, inserted] = ruleIndex.try_emplace(v.rule, r.rules.size());
        if (inserted) {
            ReportRule rule;
            rule.rule = v.rule;
            rule.kind = std::string(toString(v.kind));
            rule.severity = v.severity;
            r.rules.push_back(std::move(rule));
        }
        ReportRule& rule = r.rules[it->second];
        ++rule.count;
        if (rule.examples.size() >= examplesPerRule)
            continue;
        ReportExample x;
        x.violation = v;
        if (!v.seqs.empty()) {
            if (const EventPtr e = store.eventBySeq(v.seqs.back())) {
                x.event = e->name();
                x.source = "request " + std::to_string(e->requestId);
                x.eventJson = e->json;
            }
        }
        rule.examples.push_back(std::move(x));
    }

    Funnel funnel;
    RunsShown shown(runsShown);
    for (RunInfo& run : session.runs()) {
        if (seqs && !included(run.startSeq) && !included(run.endSeq))
            continue;
        funnel.add(run);
        ++r.runCount;
        shown.add(std::move(run));
    }
    r.funnel = funnel.rows();
    r.runs = shown.take();
    r.generatedMs = nowMs();
    return r;
}

} // namespace el
