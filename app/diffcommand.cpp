// SPDX-License-Identifier: MIT
#include "diffcommand.h"
#include "checkcommand.h"
#include "commandoptions.h"

#include "contract/contract.h"
#include "report/diff.h"

#include <cstdio>
#include <optional>
#include <string>

namespace {

const char* const kUsage = "eventlens diff [--contract FILE|builtin:NAME] [--format text|json|markdown|html] "
                           "[--output FILE] BASELINE CURRENT";

/// The help after the options and arguments.
const char* const kHelpMore
    = "\nBASELINE and CURRENT: recordings of the same flow, before and after a change: NDJSON (one event or one "
      "PostHog\nrequest body per line; EventLens exports), a JSON array, a HAR file or a session file (.elsession), "
      "as\n`eventlens check` reads them; \"-\" reads stdin (one side at most). Both are judged with the same "
      "contract.\n"
      "\nReported: events missing or new (event_missing, event_new), the share of each event's events carrying a "
      "property\n(coverage_drop, coverage_gain, property_removed, property_added), type_change, value_drift of "
      "enums and\nsuper-properties, violations by rule (violation_new, violation_fixed), runs left unfinished per "
      "runtime_type\n(runs_unfinished), and each event's share of all events.\n"
      "Regressions: a planned event missing, a drop in the coverage of a property the contract names, a new "
      "violation,\nmore runs left unfinished.\n"
      "\nExit status: 0 nothing regressed, 1 something did, 2 usage error or unreadable input or contract.\n";

} // namespace

int runDiffCommand(const QStringList& args)
{
    CommandOptions options(
        "diff", QStringLiteral("Compare two recordings of the same flow: what a change did to the events."), kUsage);
    options.addContractOption(QStringLiteral("; both sides are judged with it"));
    options.addFormatOption({"text", "json", "markdown", "html"});
    options.addOutputOption("report");
    options.addPositionalArgument(QStringLiteral("BASELINE"), QStringLiteral("The recording before the change."));
    options.addPositionalArgument(QStringLiteral("CURRENT"), QStringLiteral("The recording after the change."));
    if (const std::optional<int> done = options.parse(args, kHelpMore))
        return *done;
    const QString format = options.format();
    const QStringList inputs = options.positionalArguments();
    if (inputs.size() != 2)
        return options.usageError(inputs.size() < 2 ? "expected two recordings" : "too many arguments");
    if (inputs.at(0) == QLatin1String("-") && inputs.at(1) == QLatin1String("-")) {
        options.printError("only one side can be read from stdin");
        return 2;
    }

    std::shared_ptr<const el::Contract> contract;
    if (!options.loadContract(contract))
        return 2;
    std::string error;
    el::Json before;
    el::Json after;
    if (!judgeInputs(contract, {inputs.at(0)}, before, error) || !judgeInputs(contract, {inputs.at(1)}, after, error)) {
        options.printError(error);
        return 2;
    }
    const el::Json diff = el::diffReports(before, after, contract.get());

    std::string text;
    if (format == QLatin1String("json"))
        text = el::renderDiffJson(diff);
    else if (format == QLatin1String("markdown"))
        text = el::renderDiffMarkdown(diff);
    else if (format == QLatin1String("html"))
        text = el::renderDiffHtml(diff);
    else
        text = el::renderDiffText(diff);

    const bool regressed = el::diffRegressed(diff);
    if (!options.writeOutput(text))
        return 2;
    if (options.outputFile())
        std::fprintf(stderr, "diff: %s\n", el::diffVerdictLine(diff).c_str());
    return regressed ? 1 : 0;
}

bool compareRecordings(const std::shared_ptr<const el::Contract>& contract, const QString& baseline,
    const QString& current, el::Json& diff, QString& error)
{
    if (!contract) {
        error = QStringLiteral("no contract is loaded: both sides are judged with the contract");
        return false;
    }
    el::Json before;
    el::Json after;
    std::string why;
    if (!judgeInputs(contract, {baseline}, before, why) || !judgeInputs(contract, {current}, after, why)) {
        error = QString::fromStdString(why);
        return false;
    }
    diff = el::diffReports(before, after, contract.get());
    return true;
}
