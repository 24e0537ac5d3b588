// SPDX-License-Identifier: MIT
// Reading one side of a diff: a verdict as judgeInputs() writes it, or the output of `check -f json`.
#include "diffside.h"

#include "diffjson.h"

namespace el::reportdetail {

Side readSide(const Json& report)
{
    Side s;
    const Json empty = Json::array();
    const auto cov = report.find("coverage");
    for (const Json& e : cov != report.end() && cov->is_array() ? *cov : empty) {
        Side::Event& ev = s.events[str(e, "event")];
        ev.count += u64(e, "count");
        s.judged += u64(e, "count");
        const auto props = e.find("properties");
        if (props == e.end() || !props->is_array())
            continue;
        for (const Json& p : *props)
            ev.properties[str(p, "name")] = &p;
    }
    if (cov == report.end())
        s.judged = u64(report, "events");

    const auto rules = report.find("rules");
    if (rules != report.end() && rules->is_object()) {
        for (auto it = rules->begin(); it != rules->end(); ++it) {
            Side::Rule& r = s.rules[it.key()];
            r.count = u64(*it, "count");
            r.errors = u64(*it, "errors");
            r.warnings = u64(*it, "warnings");
            r.kind = str(*it, "kind");
            for (const char* what : {"events", "paths"}) {
                const auto m = it->find(what);
                if (m == it->end() || !m->is_object())
                    continue;
                auto& into = what[0] == 'e' ? r.events : r.paths;
                for (auto n = m->begin(); n != m->end(); ++n)
                    into[n.key()] = n->is_number() ? n->get<std::uint64_t>() : 0;
            }
        }
    } else if (report.contains("summary") && report["summary"].contains("by_rule")) {
        // `check -f json`: counts only, events and paths from the violations when they are there
        const Json& byRule = report["summary"]["by_rule"];
        for (auto it = byRule.begin(); it != byRule.end(); ++it)
            s.rules[it.key()].count = it->is_number() ? it->get<std::uint64_t>() : 0;
        const auto violations = report.find("violations");
        for (const Json& v : violations != report.end() && violations->is_array() ? *violations : empty) {
            Side::Rule& r = s.rules[str(v, "rule")];
            if (r.kind.empty())
                r.kind = str(v, "kind");
            (str(v, "severity") == "warning" ? r.warnings : r.errors)++;
            r.events[str(v, "event")]++;
            r.paths[str(v, "path")]++;
        }
    }

    auto addRuns = [&](const std::string& type, std::uint64_t created, std::uint64_t finished, std::uint64_t stuck) {
        if (!s.runs.count(type))
            s.runOrder.push_back(type);
        Side::Runs& r = s.runs[type];
        r.created += created;
        r.finished += finished;
        r.stuck += stuck;
    };
    const auto funnel = report.find("funnel");
    const auto runs = report.find("runs");
    if (funnel != report.end() && funnel->is_array()) {
        for (const Json& f : *funnel)
            addRuns(
                str(f, "runtime_type"), u64(f, "created"), u64(f, "finished"), u64(f, "open") + u64(f, "unfinished"));
    } else if (runs != report.end() && runs->is_array()) {
        // `check -f json`: each run as RunInfo::toJson(), counted as Funnel counts them
        for (const Json& run : *runs) {
            const std::string state = str(run, "state");
            if (state == "orphan")
                continue;
            const auto pinned = run.find("pinned");
            std::string type = "missing";
            if (pinned != run.end() && pinned->is_object() && pinned->contains("runtime_type")) {
                const Json& t = (*pinned)["runtime_type"];
                type = t.is_string() ? t.get<std::string>() : t.dump();
            }
            addRuns(type, 1, state == "finished" ? 1 : 0, state == "open" || state == "unfinished" ? 1 : 0);
        }
    }
    return s;
}

Json sideSummary(const Json& report, const Side& s)
{
    const Json& summary = at(report, "summary");
    std::uint64_t runs = 0;
    std::uint64_t stuck = 0;
    for (const auto& [type, r] : s.runs) {
        runs += r.created;
        stuck += r.stuck;
    }
    return {{"inputs", arrayAt(report, "inputs")}, {"events", u64(report, "events")}, {"judged", s.judged},
        {"recordings", u64(summary, "recordings")}, {"violations", u64(summary, "violations")},
        {"errors", u64(summary, "errors")}, {"warnings", u64(summary, "warnings")}, {"runs", runs}, {"stuck", stuck},
        {"first_ms", u64(report, "first_ms")}, {"last_ms", u64(report, "last_ms")}};
}

} // namespace el::reportdetail
