// SPDX-License-Identifier: MIT
// `eventlens check`'s text, JSON and JUnit writers.
#include "checkreport.h"

#include <QXmlStreamWriter>

namespace check {

namespace {

std::string seqList(const std::vector<qint64>& seqs)
{
    std::string out;
    for (qint64 s : seqs)
        out += (out.empty() ? "" : ", ") + std::to_string(s);
    return out;
}

} // namespace

std::string summaryLine(const Report& r)
{
    const std::string contract
        = r.contract->name() + (r.contract->version().empty() ? "" : " " + r.contract->version());
    std::string counts;
    if (r.violationCount == 0) {
        counts = "no violations";
    } else {
        counts = std::to_string(r.errors) + (r.errors == 1 ? " error" : " errors") + ", " + std::to_string(r.warnings)
            + (r.warnings == 1 ? " warning" : " warnings");
    }
    const qint64 n = r.events;
    return "checked " + std::to_string(n) + (n == 1 ? " event" : " events") + " against " + contract + ": " + counts;
}

// --- text ------------------------------------------------------------------------------------------------------

void renderText(const Reported& rv, PieceText& text)
{
    std::string& out = text.tail();
    const el::Violation& v = rv.v;
    const std::string& src = rv.source();
    out += (src.empty() ? std::string("-") : src) + ": " + std::string(el::toString(v.severity)) + ": ["
        + std::string(el::toString(v.kind)) + " " + v.rule + "] " + rv.event + " (seq " + seqList(v.seqs) + ") "
        + (v.path.empty() ? "" : v.path + ": ") + v.message + "\n";
}

// --- json ------------------------------------------------------------------------------------------------------

void appendIndented(const std::string& element, bool first, std::string& out)
{
    out += first ? "\n    " : ",\n    ";
    // Strings in a dump hold no raw newline, so re-indenting lines is exact.
    std::size_t from = 0;
    for (std::size_t nl; (nl = element.find('\n', from)) != std::string::npos; from = nl + 1) {
        out.append(element, from, nl + 1 - from);
        out += "    ";
    }
    out.append(element, from, std::string::npos);
}

std::string dump2(const el::Json& j)
{
    return j.dump(2, ' ', false, el::Json::error_handler_t::replace);
}

void renderJson(const Reported& rv, PieceText& out)
{
    el::Json j = rv.v.toJson();
    j["event"] = rv.event;
    el::Json sources = el::Json::array();
    for (const std::string& s : rv.sources)
        sources.push_back(s);
    j["sources"] = std::move(sources);
    const bool first = out.empty();
    appendIndented(dump2(j), first, out.tail());
}

std::vector<Part> formatJson(const Report& r, std::vector<std::string>& storage)
{
    const char* const runsMark = "@@eventlens-check-runs@@";
    const char* const violationsMark = "@@eventlens-check-violations@@";
    el::Json out {
        {"contract",
            {{"name", r.contract->name()}, {"version", r.contract->version()}, {"origin", r.contract->origin()}}},
        {"events", r.events}, {"violations", violationsMark}, {"runs", runsMark},
        {"coverage", r.coverage ? r.coverage->toJson() : el::Json::array()},
        {"summary",
            {{"events", r.events}, {"recordings", r.recordings}, {"requests", r.requests},
                {"skipped_requests", r.skippedRequests}, {"violations", r.violationCount}, {"errors", r.errors},
                {"warnings", r.warnings}, {"by_kind", r.byKind}, {"by_rule", r.byRule}, {"passed", r.errors == 0}}}};
    const std::string text = dump2(out) + "\n";
    // "runs" sorts before "violations"; each placeholder becomes its array ("[]", or "[" elements "\n  ]").
    const std::string runsAt = "\"" + std::string(runsMark) + "\"";
    const std::string violationsAt = "\"" + std::string(violationsMark) + "\"";
    const std::size_t a = text.find(runsAt);
    const std::size_t b = text.find(violationsAt);
    storage.clear();
    storage.reserve(3); // the parts point into these strings
    storage.push_back(text.substr(0, a) + (r.renderedRuns.empty() ? "[]" : "["));
    storage.push_back((r.renderedRuns.empty() ? "" : "\n  ]") + text.substr(a + runsAt.size(), b - a - runsAt.size())
        + (r.rendered.empty() ? "[]" : "["));
    storage.push_back((r.rendered.empty() ? "" : "\n  ]") + text.substr(b + violationsAt.size()));
    return {{storage[0]}, {{}, &r.renderedRuns}, {storage[1]}, {{}, &r.rendered}, {storage[2]}};
}

bool writeParts(const std::vector<Part>& parts, const PieceText::Sink& write, std::string& error)
{
    for (const Part& p : parts) {
        if (p.pieces ? !p.pieces->writeTo(write, error) : !write(p.text))
            return false;
    }
    return true;
}

// --- junit -----------------------------------------------------------------------------------------------------

namespace {

struct TestCase
{
    std::string classname;
    std::string name;
    std::vector<const Reported*> violations;
    bool skipped = false;
    std::string skipMessage;
};

void writeCase(QXmlStreamWriter& xml, const TestCase& tc)
{
    xml.writeStartElement(QStringLiteral("testcase"));
    xml.writeAttribute(QStringLiteral("classname"), QString::fromStdString(tc.classname));
    xml.writeAttribute(QStringLiteral("name"), QString::fromStdString(tc.name));
    std::vector<const el::Violation*> errors;
    std::vector<const el::Violation*> warnings;
    std::map<const el::Violation*, const Reported*> reported;
    for (const Reported* rv : tc.violations) {
        (rv->v.severity == el::Severity::Error ? errors : warnings).push_back(&rv->v);
        reported[&rv->v] = rv;
    }
    auto line = [&](const el::Violation* v) {
        const std::string& src = reported[v]->source();
        return std::string(el::toString(v->severity)) + " [" + std::string(el::toString(v->kind)) + " " + v->rule + "] "
            + (v->path.empty() ? "" : v->path + ": ") + v->message + " (seq " + seqList(v->seqs)
            + (src.empty() ? "" : ", " + src) + ")\n";
    };
    if (tc.skipped) {
        xml.writeStartElement(QStringLiteral("skipped"));
        xml.writeAttribute(QStringLiteral("message"), QString::fromStdString(tc.skipMessage));
        xml.writeEndElement();
    }
    if (!errors.empty()) {
        std::string text;
        for (const el::Violation* v : errors)
            text += line(v);
        xml.writeStartElement(QStringLiteral("failure"));
        xml.writeAttribute(
            QStringLiteral("type"), QString::fromStdString(std::string(el::toString(errors.front()->kind))));
        xml.writeAttribute(QStringLiteral("message"),
            QString::fromStdString(errors.front()->message
                + (errors.size() > 1 ? " (+" + std::to_string(errors.size() - 1) + " more)" : "")));
        xml.writeCharacters(QString::fromStdString(text));
        xml.writeEndElement();
    }
    if (!warnings.empty()) {
        std::string text;
        for (const el::Violation* v : warnings)
            text += line(v);
        xml.writeTextElement(QStringLiteral("system-out"), QString::fromStdString(text));
    }
    xml.writeEndElement();
}

void writeSuite(QXmlStreamWriter& xml, const QString& name, const std::vector<TestCase>& cases)
{
    int failures = 0;
    int skipped = 0;
    for (const TestCase& tc : cases) {
        skipped += tc.skipped ? 1 : 0;
        for (const Reported* v : tc.violations) {
            if (v->v.severity == el::Severity::Error) {
                ++failures;
                break;
            }
        }
    }
    xml.writeStartElement(QStringLiteral("testsuite"));
    xml.writeAttribute(QStringLiteral("name"), name);
    xml.writeAttribute(QStringLiteral("tests"), QString::number(cases.size()));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    xml.writeAttribute(QStringLiteral("skipped"), QString::number(skipped));
    for (const TestCase& tc : cases)
        writeCase(xml, tc);
    xml.writeEndElement();
}

} // namespace

std::string formatJunit(const Report& r)
{
    // Per-event cases: schema, global, unplanned. Sequence cases: one per pair instance (correlated key),
    // one per order-rule check (each `then` event with its key), one per uniqueness rule.
    std::vector<TestCase> eventCases(r.records.size());
    for (std::size_t i = 0; i < r.records.size(); ++i) {
        const EventRecord& e = r.records[i];
        eventCases[i].classname = "events." + (e.name.empty() ? std::string("(unnamed)") : e.name);
        eventCases[i].name = "seq " + std::to_string(e.seq) + " " + e.name + " (" + e.source + ")";
        if (e.recording) {
            eventCases[i].skipped = true;
            eventCases[i].skipMessage = "session recording, not an analytics event";
        }
    }
    const auto& specs = r.contract->sequences();
    std::map<std::string, const el::SequenceSpec*> specById;
    for (const el::SequenceSpec& s : specs)
        specById[s.id] = &s;

    std::vector<TestCase> seqCases;
    std::map<std::string, std::size_t> caseIndex; // instance id -> index in seqCases
    auto instance = [&](const std::string& id, const std::string& classname, const std::string& name) -> TestCase& {
        auto it = caseIndex.find(id);
        if (it != caseIndex.end())
            return seqCases[it->second];
        caseIndex[id] = seqCases.size();
        seqCases.push_back({classname, name, {}, false, {}});
        return seqCases.back();
    };
    auto keyName = [](const std::string& pointer) {
        const std::size_t slash = pointer.rfind('/');
        return slash == std::string::npos ? pointer : pointer.substr(slash + 1);
    };
    // Instances in rule order.
    for (std::size_t specIndex = 0; specIndex < specs.size(); ++specIndex) {
        const el::SequenceSpec& s = specs[specIndex];
        const std::string cls = "sequences." + s.id;
        if (s.type == el::SequenceSpec::Type::Pair) {
            bool any = false;
            for (std::size_t i = 0; i < r.runs.size(); ++i) {
                if (r.runs[i].rule != s.id)
                    continue;
                any = true;
                const el::RunInfo& run = r.runs[i];
                instance(s.id + "#" + std::to_string(i), cls,
                    s.id + " " + keyName(s.key) + " " + run.key.dump() + " (seq "
                        + std::to_string(run.startSeq ? run.startSeq : run.endSeq) + ")");
            }
            if (!any) {
                TestCase& tc = instance(s.id, cls, s.id);
                tc.skipped = true;
                tc.skipMessage = "no " + s.start + " or " + s.end + " with " + s.key + " in the input";
            }
        } else if (s.type == el::SequenceSpec::Type::Order) {
            bool any = false;
            for (const EventRecord& e : r.records) {
                for (const auto& [rule, key] : e.orderKeys) {
                    if (rule != specIndex)
                        continue;
                    any = true;
                    instance(s.id + "@" + std::to_string(e.seq), cls,
                        s.id + (s.key.empty() ? "" : " " + keyName(s.key) + " " + key) + " (seq "
                            + std::to_string(e.seq) + ")");
                }
            }
            if (!any) {
                TestCase& tc = instance(s.id, cls, s.id);
                tc.skipped = true;
                tc.skipMessage = "no " + s.then + " in the input";
            }
        } else {
            instance(s.id, cls, s.id);
        }
    }
    for (const Reported& rv : r.violations) {
        const el::Violation& v = rv.v;
        auto spec = specById.find(v.rule);
        const bool sequenceKind = el::isSequenceKind(v.kind);
        if (!sequenceKind || spec == specById.end()) {
            const qint64 at = v.seqs.empty() ? 0 : v.seqs.back();
            if (at >= 1 && std::size_t(at) <= eventCases.size())
                eventCases[std::size_t(at - 1)].violations.push_back(&rv);
            continue;
        }
        const el::SequenceSpec& s = *spec->second;
        if (s.type == el::SequenceSpec::Type::Pair) {
            bool placed = false;
            for (std::size_t i = 0; i < r.runs.size() && !placed; ++i) {
                const el::RunInfo& run = r.runs[i];
                if (run.rule != s.id)
                    continue;
                for (qint64 seq : v.seqs) {
                    if ((run.startSeq && seq == run.startSeq) || (!run.startSeq && seq == run.endSeq)) {
                        auto it = caseIndex.find(s.id + "#" + std::to_string(i));
                        if (it != caseIndex.end()) {
                            seqCases[it->second].violations.push_back(&rv);
                            placed = true;
                        }
                        break;
                    }
                }
            }
            if (!placed)
                instance(s.id, "sequences." + s.id, s.id).violations.push_back(&rv);
        } else if (s.type == el::SequenceSpec::Type::Order) {
            const qint64 at = v.seqs.empty() ? 0 : v.seqs.back();
            instance(s.id + "@" + std::to_string(at), "sequences." + s.id, s.id).violations.push_back(&rv);
        } else {
            instance(s.id, "sequences." + s.id, s.id).violations.push_back(&rv);
        }
    }

    QByteArray xmlText;
    QXmlStreamWriter xml(&xmlText);
    xml.setAutoFormatting(true);
    xml.setAutoFormattingIndent(2);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeAttribute(QStringLiteral("name"),
        QString::fromStdString("eventlens check: " + r.contract->name()
            + (r.contract->version().empty() ? "" : " " + r.contract->version())));
    xml.writeAttribute(QStringLiteral("tests"), QString::number(eventCases.size() + seqCases.size()));
    int failures = 0;
    for (const auto* cases : {&eventCases, &seqCases}) {
        for (const TestCase& tc : *cases) {
            for (const Reported* v : tc.violations) {
                if (v->v.severity == el::Severity::Error) {
                    ++failures;
                    break;
                }
            }
        }
    }
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    writeSuite(xml, QStringLiteral("events"), eventCases);
    writeSuite(xml, QStringLiteral("sequences"), seqCases);
    xml.writeEndElement();
    xml.writeEndDocument();
    return xmlText.toStdString() + "\n";
}

} // namespace check
