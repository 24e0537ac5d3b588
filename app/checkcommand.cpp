// SPDX-License-Identifier: MIT
#include "checkcommand.h"

#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/offlineinput.h"
#include "savefile.h"

#include <QCommandLineParser>
#include <QFile>
#include <QXmlStreamWriter>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

const char* const kDefaultContract = "builtin:open-design";

struct Report
{
    std::shared_ptr<const el::Contract> contract;
    el::OfflineInput input;
    std::vector<el::Violation> violations;
    std::vector<el::RunInfo> runs;
    int recordings = 0;
    int errors = 0;
    int warnings = 0;
};

void printErr(const std::string& s)
{
    std::fprintf(stderr, "eventlens check: %s\n", s.c_str());
}

std::string source(const Report& r, qint64 seq)
{
    if (seq < 1 || std::size_t(seq) > r.input.sources.size())
        return {};
    return r.input.sources[std::size_t(seq - 1)];
}

std::string eventNameOf(const Report& r, qint64 seq)
{
    if (seq < 1 || std::size_t(seq) > r.input.events.size())
        return {};
    return r.input.events[std::size_t(seq - 1)].name();
}

std::string seqList(const std::vector<qint64>& seqs)
{
    std::string out;
    for (qint64 s : seqs)
        out += (out.empty() ? "" : ", ") + std::to_string(s);
    return out;
}

std::string summaryLine(const Report& r)
{
    const std::string contract
        = r.contract->name() + (r.contract->version().empty() ? "" : " " + r.contract->version());
    std::string counts;
    if (r.violations.empty()) {
        counts = "no violations";
    } else {
        counts = std::to_string(r.errors) + (r.errors == 1 ? " error" : " errors") + ", " + std::to_string(r.warnings)
            + (r.warnings == 1 ? " warning" : " warnings");
    }
    const std::size_t n = r.input.events.size();
    return "checked " + std::to_string(n) + (n == 1 ? " event" : " events") + " against " + contract + ": " + counts;
}

// --- text ------------------------------------------------------------------------------------------------------

std::string formatText(const Report& r)
{
    std::string out;
    for (const el::Violation& v : r.violations) {
        const qint64 at = v.seqs.empty() ? 0 : v.seqs.back();
        const std::string src = source(r, at);
        out += (src.empty() ? std::string("-") : src) + ": " + std::string(el::toString(v.severity)) + ": ["
            + std::string(el::toString(v.kind)) + " " + v.rule + "] " + eventNameOf(r, at) + " (seq " + seqList(v.seqs)
            + ") " + (v.path.empty() ? "" : v.path + ": ") + v.message + "\n";
    }
    out += summaryLine(r) + "\n";
    return out;
}

// --- json ------------------------------------------------------------------------------------------------------

std::string formatJson(const Report& r)
{
    el::Json violations = el::Json::array();
    std::map<std::string, int> byKind;
    std::map<std::string, int> byRule;
    for (const el::Violation& v : r.violations) {
        el::Json j = v.toJson();
        j["event"] = eventNameOf(r, v.seqs.empty() ? 0 : v.seqs.back());
        el::Json sources = el::Json::array();
        for (qint64 s : v.seqs)
            sources.push_back(source(r, s));
        j["sources"] = std::move(sources);
        violations.push_back(std::move(j));
        byKind[std::string(el::toString(v.kind))]++;
        byRule[v.rule]++;
    }
    el::Json runs = el::Json::array();
    for (const el::RunInfo& run : r.runs)
        runs.push_back(run.toJson());
    el::Json out {
        {"contract",
            {{"name", r.contract->name()}, {"version", r.contract->version()}, {"origin", r.contract->origin()}}},
        {"events", r.input.events.size()}, {"violations", std::move(violations)}, {"runs", std::move(runs)},
        {"summary",
            {{"events", r.input.events.size()}, {"recordings", r.recordings}, {"requests", r.input.requests},
                {"skipped_requests", r.input.skippedRequests}, {"violations", r.violations.size()},
                {"errors", r.errors}, {"warnings", r.warnings}, {"by_kind", byKind}, {"by_rule", byRule},
                {"passed", r.errors == 0}}}};
    return out.dump(2, ' ', false, el::Json::error_handler_t::replace) + "\n";
}

// --- junit -----------------------------------------------------------------------------------------------------

struct TestCase
{
    std::string classname;
    std::string name;
    std::vector<const el::Violation*> violations;
    bool skipped = false;
    std::string skipMessage;
};

void writeCase(QXmlStreamWriter& xml, const Report& r, const TestCase& tc)
{
    xml.writeStartElement(QStringLiteral("testcase"));
    xml.writeAttribute(QStringLiteral("classname"), QString::fromStdString(tc.classname));
    xml.writeAttribute(QStringLiteral("name"), QString::fromStdString(tc.name));
    std::vector<const el::Violation*> errors;
    std::vector<const el::Violation*> warnings;
    for (const el::Violation* v : tc.violations)
        (v->severity == el::Severity::Error ? errors : warnings).push_back(v);
    auto line = [&](const el::Violation* v) {
        const std::string src = source(r, v->seqs.empty() ? 0 : v->seqs.back());
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

void writeSuite(QXmlStreamWriter& xml, const Report& r, const QString& name, const std::vector<TestCase>& cases)
{
    int failures = 0;
    int skipped = 0;
    for (const TestCase& tc : cases) {
        skipped += tc.skipped ? 1 : 0;
        for (const el::Violation* v : tc.violations) {
            if (v->severity == el::Severity::Error) {
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
        writeCase(xml, r, tc);
    xml.writeEndElement();
}

std::string formatJunit(const Report& r)
{
    // Per-event cases: schema, global, unplanned. Sequence cases: one per pair instance (correlated key),
    // one per order-rule check (each `then` event with its key), one per uniqueness rule.
    std::vector<TestCase> eventCases(r.input.events.size());
    for (std::size_t i = 0; i < r.input.events.size(); ++i) {
        const el::Event& e = r.input.events[i];
        eventCases[i].classname = "events." + (e.name().empty() ? std::string("(unnamed)") : e.name());
        eventCases[i].name = "seq " + std::to_string(e.seq) + " " + e.name() + " (" + r.input.sources[i] + ")";
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
    for (const el::SequenceSpec& s : specs) {
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
            for (const el::Event& e : r.input.events) {
                if (e.name() != s.then || e.recording)
                    continue;
                el::Json key;
                if (!s.key.empty()) {
                    const el::Json::json_pointer p(s.key);
                    const el::Json doc = e.doc();
                    if (!doc.contains(p) || doc.at(p).is_null())
                        continue;
                    key = doc.at(p);
                }
                any = true;
                instance(s.id + "@" + std::to_string(e.seq), cls,
                    s.id + (s.key.empty() ? "" : " " + keyName(s.key) + " " + key.dump()) + " (seq "
                        + std::to_string(e.seq) + ")");
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
    for (const el::Violation& v : r.violations) {
        auto spec = specById.find(v.rule);
        const bool sequenceKind = el::isSequenceKind(v.kind);
        if (!sequenceKind || spec == specById.end()) {
            const qint64 at = v.seqs.empty() ? 0 : v.seqs.back();
            if (at >= 1 && std::size_t(at) <= eventCases.size())
                eventCases[std::size_t(at - 1)].violations.push_back(&v);
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
                            seqCases[it->second].violations.push_back(&v);
                            placed = true;
                        }
                        break;
                    }
                }
            }
            if (!placed)
                instance(s.id, "sequences." + s.id, s.id).violations.push_back(&v);
        } else if (s.type == el::SequenceSpec::Type::Order) {
            const qint64 at = v.seqs.empty() ? 0 : v.seqs.back();
            instance(s.id + "@" + std::to_string(at), "sequences." + s.id, s.id).violations.push_back(&v);
        } else {
            instance(s.id, "sequences." + s.id, s.id).violations.push_back(&v);
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
            for (const el::Violation* v : tc.violations) {
                if (v->severity == el::Severity::Error) {
                    ++failures;
                    break;
                }
            }
        }
    }
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    writeSuite(xml, r, QStringLiteral("events"), eventCases);
    writeSuite(xml, r, QStringLiteral("sequences"), seqCases);
    xml.writeEndElement();
    xml.writeEndDocument();
    return xmlText.toStdString() + "\n";
}

bool readAll(const QString& path, std::string& bytes, std::string& error)
{
    QFile f;
    bool opened = false;
    if (path == QLatin1String("-"))
        opened = f.open(stdin, QIODevice::ReadOnly);
    else {
        f.setFileName(path);
        opened = f.open(QIODevice::ReadOnly);
    }
    if (!opened) {
        error = "cannot read " + path.toStdString() + ": " + f.errorString().toStdString();
        return false;
    }
    const QByteArray data = f.readAll();
    if (f.error() != QFileDevice::NoError) {
        error = "cannot read " + path.toStdString() + ": " + f.errorString().toStdString();
        return false;
    }
    bytes = data.toStdString();
    return true;
}

QString helpText(const QCommandLineParser& parser)
{
    QString text = parser.helpText();
    text += QStringLiteral(
        "\nInputs: NDJSON (one event or one PostHog request body per line), a JSON array, or a HAR file\n"
        "(Chrome DevTools \"Save all as HAR\": only requests to PostHog ingest endpoints are decoded). "
        "\"-\" reads stdin.\n"
        "Exit status: 0 no error-severity violation, 1 some, 2 usage error or unreadable input.\n");
    return text;
}

} // namespace

int runCheckCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Validate recorded PostHog events against an analytics contract."));
    const QCommandLineOption helpOption(
        {QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption contractOption({QStringLiteral("c"), QStringLiteral("contract")},
        QStringLiteral("Contract file, or builtin:NAME (default: %1).").arg(QLatin1String(kDefaultContract)),
        QStringLiteral("FILE|builtin:NAME"));
    const QCommandLineOption formatOption({QStringLiteral("f"), QStringLiteral("format")},
        QStringLiteral("Report format: text (default), json or junit."), QStringLiteral("FORMAT"),
        QStringLiteral("text"));
    const QCommandLineOption outputOption({QStringLiteral("o"), QStringLiteral("output")},
        QStringLiteral("Write the report to FILE instead of stdout."), QStringLiteral("FILE"));
    parser.addOption(helpOption);
    parser.addOption(contractOption);
    parser.addOption(formatOption);
    parser.addOption(outputOption);
    parser.addPositionalArgument(QStringLiteral("INPUT"), QStringLiteral("Event files (NDJSON, JSON array, HAR) or -."),
        QStringLiteral("INPUT..."));

    QStringList argv = args;
    argv.prepend(QStringLiteral("eventlens check"));
    if (!parser.parse(argv)) {
        printErr(parser.errorText().toStdString() + " (see eventlens check --help)");
        return 2;
    }
    if (parser.isSet(helpOption)) {
        std::fputs(helpText(parser).toLocal8Bit().constData(), stdout);
        return 0;
    }
    const QString format = parser.value(formatOption);
    if (format != QLatin1String("text") && format != QLatin1String("json") && format != QLatin1String("junit")) {
        printErr("unknown format \"" + format.toStdString() + "\" (expected text, json or junit)");
        return 2;
    }
    const QStringList inputs = parser.positionalArguments();
    if (inputs.isEmpty()) {
        printErr("no input given (usage: eventlens check [--contract FILE|builtin:NAME] [--format text|json|junit] "
                 "[--output FILE] INPUT...)");
        return 2;
    }

    Report report;
    std::string error;
    const std::string contractName
        = parser.isSet(contractOption) ? parser.value(contractOption).toStdString() : std::string(kDefaultContract);
    report.contract = el::loadContract(contractName, error);
    if (!report.contract) {
        printErr(error);
        return 2;
    }

    const qint64 startedMs = el::nowMs();
    for (const QString& path : inputs) {
        std::string bytes;
        if (!readAll(path, bytes, error)) {
            printErr(error);
            return 2;
        }
        const std::string name = path == QLatin1String("-") ? std::string("<stdin>") : path.toStdString();
        if (!el::readOfflineInput(name, bytes, startedMs, report.input, error)) {
            printErr(error);
            return 2;
        }
    }

    el::ContractEngine engine(report.contract);
    for (const el::Event& e : report.input.events) {
        if (e.recording)
            ++report.recordings;
        for (el::Violation& v : engine.onEvent(e))
            report.violations.push_back(std::move(v));
    }
    for (el::Violation& v : engine.finish())
        report.violations.push_back(std::move(v));
    report.runs = engine.runs();
    for (const el::Violation& v : report.violations)
        (v.severity == el::Severity::Error ? report.errors : report.warnings)++;

    std::string text;
    if (format == QLatin1String("json"))
        text = formatJson(report);
    else if (format == QLatin1String("junit"))
        text = formatJunit(report);
    else
        text = formatText(report);

    if (parser.isSet(outputOption)) {
        const QString out = parser.value(outputOption);
        QString why;
        if (!el::saveFile(out, text, &why)) {
            printErr("cannot write " + why.toStdString());
            return 2;
        }
        std::fprintf(stderr, "%s\n", summaryLine(report).c_str());
    } else {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    }
    return report.errors > 0 ? 1 : 0;
}
