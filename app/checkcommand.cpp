// SPDX-License-Identifier: MIT
// `eventlens check`: the command (its options, then inputs judged by check::Checker into a check::Report, then the
// report written), and judgeInputs() for `diff`. Reading and judging: checker.h (checkinput.cpp, checker.cpp); the
// report and its writers: checkreport.h; the options shared with diff and infer: commandoptions.h.
#include "checkcommand.h"
#include "checker.h"
#include "checkreport.h"
#include "commandoptions.h"

#include "contract/contract.h"
#include "contract/coverage.h"
#include "report/reportdata.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using check::Format;

namespace {

const char* const kUsage = "eventlens check [--contract FILE|builtin:NAME] [--format text|json|junit|html|markdown] "
                           "[--output FILE] INPUT...";

/// The help after the options and arguments.
const char* const kHelpMore
    = "\nInputs: NDJSON (one event or one PostHog request body per line), a JSON array, or a HAR file\n"
      "(Chrome DevTools \"Save all as HAR\": only requests to PostHog ingest endpoints are decoded), or an "
      "EventLens\nsession file (.elsession: its events as the sink committed them). \"-\" reads stdin.\n"
      "Exit status: 0 no error-severity violation, 1 some, 2 usage error or unreadable input.\n";

/** The report's format for --format's \a name (checked by CommandOptions::parse()). */
Format formatNamed(const QString& name)
{
    if (name == QLatin1String("json"))
        return Format::Json;
    if (name == QLatin1String("junit"))
        return Format::Junit;
    if (name == QLatin1String("html"))
        return Format::Html;
    if (name == QLatin1String("markdown"))
        return Format::Markdown;
    return Format::Text;
}

/** Reads and judges \a inputs into \a report (its contract, format and coverage set); false with \a error. */
bool judgeAll(check::Report& report, const QStringList& inputs, std::vector<std::string>* names, std::string& error)
{
    const qint64 startedMs = el::nowMs();
    check::Checker checker(report);
    for (const QString& path : inputs) {
        const std::string name = path == QLatin1String("-") ? std::string("<stdin>") : path.toStdString();
        if (names)
            names->push_back(name);
        if (!checker.addFile(path, name, startedMs, error))
            return false;
    }
    return checker.finish(error);
}

} // namespace

bool judgeInputs(
    const std::shared_ptr<const el::Contract>& contract, const QStringList& inputs, el::Json& out, std::string& error)
{
    check::Report report;
    report.contract = contract;
    report.format = Format::Model;
    report.coverage = std::make_unique<el::Coverage>(report.contract);
    std::vector<std::string> names;
    if (!judgeAll(report, inputs, &names, error))
        return false;
    el::Json funnel = el::Json::array();
    for (const el::FunnelRow& f : report.funnel.rows())
        funnel.push_back({{"runtime_type", f.runtimeType}, {"created", f.created}, {"finished", f.finished},
            {"success", f.success}, {"failed", f.failed}, {"cancelled", f.cancelled}, {"other", f.other},
            {"open", f.open}, {"unfinished", f.unfinished}});
    el::Json rules = el::Json::object();
    for (const auto& [id, t] : report.tally)
        rules[id] = {{"count", t.count}, {"errors", t.errors}, {"warnings", t.warnings}, {"kind", t.kind},
            {"events", t.events}, {"paths", t.paths}};
    const el::Contract& c = *report.contract;
    out = {{"contract", {{"name", c.name()}, {"version", c.version()}, {"origin", c.origin()}}}, {"inputs", names},
        {"events", report.events}, {"first_ms", report.data.firstMs}, {"last_ms", report.data.lastMs},
        {"coverage", report.coverage->toJson()}, {"funnel", std::move(funnel)}, {"run_count", report.runCount},
        {"rules", std::move(rules)},
        {"summary",
            {{"events", report.events}, {"recordings", report.recordings}, {"requests", report.requests},
                {"skipped_requests", report.skippedRequests}, {"violations", report.violationCount},
                {"errors", report.errors}, {"warnings", report.warnings}, {"by_kind", report.byKind},
                {"by_rule", report.byRule}, {"passed", report.errors == 0}}}};
    return true;
}

int runCheckCommand(const QStringList& args)
{
    CommandOptions options(
        "check", QStringLiteral("Validate recorded PostHog events against an analytics contract."), kUsage);
    options.addContractOption();
    options.addFormatOption({"text", "json", "junit", "html", "markdown"});
    options.addOutputOption("report");
    options.addPositionalArgument(QStringLiteral("INPUT"),
        QStringLiteral("Event files (NDJSON, JSON array, HAR, .elsession) or -."), QStringLiteral("INPUT..."));
    if (const std::optional<int> done = options.parse(args, kHelpMore))
        return *done;
    check::Report report;
    report.format = formatNamed(options.format());
    const QStringList inputs = options.positionalArguments();
    if (inputs.isEmpty())
        return options.usageError("no input given");

    if (!options.loadContract(report.contract))
        return 2;
    if (report.format == Format::Json || report.visual())
        report.coverage = std::make_unique<el::Coverage>(report.contract);

    std::string error;
    if (!judgeAll(report, inputs, nullptr, error)) {
        options.printError(error);
        return 2;
    }

    std::vector<std::string> storage;
    std::vector<check::Part> parts;
    if (report.format == Format::Json) {
        parts = check::formatJson(report, storage);
    } else if (report.format == Format::Junit) {
        storage.push_back(check::formatJunit(report));
        parts.push_back({storage.back()});
    } else if (report.visual()) {
        el::ReportData& d = report.data;
        d.contractName = report.contract->name();
        d.contractVersion = report.contract->version();
        d.contractOrigin = report.contract->origin();
        d.events = report.events;
        d.requests = std::uint64_t(report.requests);
        d.errors = std::uint64_t(report.errors);
        d.warnings = std::uint64_t(report.warnings);
        d.violations = report.violationCount;
        d.coverage = report.coverage->toJson();
        d.generatedMs = el::nowMs();
        storage.push_back(report.format == Format::Html ? el::renderHtmlReport(d) : el::renderMarkdownReport(d));
        parts.push_back({storage.back()});
    } else {
        storage.push_back(check::summaryLine(report) + "\n");
        parts = {{{}, &report.rendered}, {storage.back()}};
    }

    if (!options.writeOutput(
            [&](const el::ByteSink& write, std::string& why) { return check::writeParts(parts, write, why); }))
        return 2;
    if (options.outputFile())
        std::fprintf(stderr, "%s\n", check::summaryLine(report).c_str());
    return report.errors > 0 ? 1 : 0;
}
