// SPDX-License-Identifier: MIT
#include "diffcommand.h"
#include "commandhelp.h"

#include "checkcommand.h"
#include "contract/contract.h"
#include "contract/contractengine.h"
#include "model/savefile.h"
#include "report/diff.h"

#include <QCommandLineParser>

#include <cstdio>
#include <string>
#include <string_view>

namespace {

void printErr(const std::string& s)
{
    std::fprintf(stderr, "eventlens diff: %s\n", s.c_str());
}

const char* const kUsage = "eventlens diff [--contract FILE|builtin:NAME] [--format text|json|markdown|html] "
                           "[--output FILE] BASELINE CURRENT";

QString helpText(const QCommandLineParser& parser)
{
    QString text = commandHelpText(parser, "diff");
    text += QStringLiteral(
        "\nBASELINE and CURRENT: recordings of the same flow, before and after a change: NDJSON (one event or one "
        "PostHog\nrequest body per line; EventLens exports), a JSON array, a HAR file or a session file (.elsession), "
        "as\n`eventlens check` reads them; \"-\" reads stdin (one side at most). Both are judged with the same "
        "contract.\n"
        "\nReported: events missing or new (event_missing, event_new), the share of each event's events carrying a "
        "property\n(coverage_drop, coverage_gain, property_removed, property_added), type_change, value_drift of "
        "enums and\nsuper-properties, violations by rule (violation_new, violation_fixed), runs left unfinished per "
        "runtime_type\n(runs_unfinished), and each event's share of all events.\n"
        "Regressions: a planned event missing, a drop in the coverage of a property the contract names, a new "
        "violation,\nmore runs left unfinished.\n"
        "\nExit status: 0 nothing regressed, 1 something did, 2 usage error or unreadable input or contract.\n");
    return text;
}

} // namespace

int runDiffCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Compare two recordings of the same flow: what a change did to the events."));
    const QCommandLineOption helpOption(
        {QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption contractOption({QStringLiteral("c"), QStringLiteral("contract")},
        QStringLiteral("Contract file, or builtin:NAME (default: %1); both sides are judged with it.")
            .arg(QLatin1String(kCheckDefaultContract)),
        QStringLiteral("FILE|builtin:NAME"));
    const QCommandLineOption formatOption({QStringLiteral("f"), QStringLiteral("format")},
        QStringLiteral("Report format: text (default), json, markdown or html."), QStringLiteral("FORMAT"),
        QStringLiteral("text"));
    const QCommandLineOption outputOption({QStringLiteral("o"), QStringLiteral("output")},
        QStringLiteral("Write the report to FILE instead of stdout."), QStringLiteral("FILE"));
    parser.addOption(helpOption);
    parser.addOption(contractOption);
    parser.addOption(formatOption);
    parser.addOption(outputOption);
    parser.addPositionalArgument(QStringLiteral("BASELINE"), QStringLiteral("The recording before the change."));
    parser.addPositionalArgument(QStringLiteral("CURRENT"), QStringLiteral("The recording after the change."));

    QStringList argv = args;
    argv.prepend(QStringLiteral("eventlens diff"));
    if (!parser.parse(argv)) {
        printErr(parser.errorText().toStdString() + " (see eventlens diff --help)");
        return 2;
    }
    if (parser.isSet(helpOption)) {
        std::fputs(helpText(parser).toLocal8Bit().constData(), stdout);
        return 0;
    }
    QString format = parser.value(formatOption);
    if (format == QLatin1String("md"))
        format = QStringLiteral("markdown");
    if (format != QLatin1String("text") && format != QLatin1String("json") && format != QLatin1String("markdown")
        && format != QLatin1String("html")) {
        printErr("unknown format \"" + format.toStdString() + "\" (expected text, json, markdown or html)");
        return 2;
    }
    const QStringList inputs = parser.positionalArguments();
    if (inputs.size() != 2) {
        printErr(std::string(inputs.size() < 2 ? "expected two recordings" : "too many arguments")
            + " (usage: " + kUsage + ")");
        return 2;
    }
    if (inputs.at(0) == QLatin1String("-") && inputs.at(1) == QLatin1String("-")) {
        printErr("only one side can be read from stdin");
        return 2;
    }

    std::string error;
    const std::string contractName = parser.isSet(contractOption) ? parser.value(contractOption).toStdString()
                                                                  : std::string(kCheckDefaultContract);
    const std::shared_ptr<const el::Contract> contract = el::loadContract(contractName, error);
    if (!contract) {
        printErr(error);
        return 2;
    }
    el::Json before;
    el::Json after;
    if (!judgeInputs(contract, {inputs.at(0)}, before, error) || !judgeInputs(contract, {inputs.at(1)}, after, error)) {
        printErr(error);
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
    if (parser.isSet(outputOption)) {
        QString why;
        if (!el::saveFile(parser.value(outputOption), std::string_view(text), &why)) {
            printErr("cannot write " + why.toStdString());
            return 2;
        }
        std::fprintf(stderr, "diff: %s\n", el::diffVerdictLine(diff).c_str());
    } else {
        const bool written = std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
        std::fflush(stdout);
        if (!written) {
            printErr("cannot write the report to stdout");
            return 2;
        }
    }
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
