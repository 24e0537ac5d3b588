// SPDX-License-Identifier: MIT
#include "infercommand.h"
#include "commandoptions.h"

#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/infer.h"
#include "contract/offlineinput.h"
#include "store/journal.h"

#include <QFile>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace {

const char* const kUsage = "eventlens infer [--base FILE|builtin:NAME] [--output FILE] INPUT...";

/** The first bytes of every SQLite database: a session file. */
constexpr std::string_view kSqliteMagic {"SQLite format 3\0", 16};

/// The help after the options and arguments.
const char* const kHelpMore
    = "\nINPUT: NDJSON (one event or one PostHog request body per line; EventLens exports), a JSON array or a HAR "
      "file,\nas `eventlens check` reads them, or an EventLens session file (.elsession); \"-\" reads stdin.\n"
      "\nInferred, per event name: the properties seen with their JSON types (null when seen, several when mixed),\n"
      "`required` for those on every event, `enum` for strings with 2 to 12 distinct values each seen twice on "
      "average\n(none longer than 40 characters, no UUID or date-time), `format` uuid or date-time when every value "
      "is one.\nGlobals: the properties on every event of more than half of the event names (at least 3); names "
      "without\nthem are exempt. Pair rules: a start and an end event that share a key property (run_id for "
      "run_created and\nrun_finished, or any key seen on at least two pairs), each start followed by exactly one "
      "end; "
      "pinned: the\nproperties equal on both events of every pair that vary between pairs. PostHog's own properties "
      "($..., token,\ndistinct_id) and $ events are left out. The contract accepts the traffic it came from.\n"
      "\nWith --base: the base contract unchanged, plus the events it neither plans nor allows, the properties an "
      "event's\nschema does not name, and pair rules for events no pair rule uses, each with a description of how "
      "many events\nshowed it.\n"
      "\nExit status: 0 written, 2 usage error, unreadable input or base contract, or a failed write.\n";

bool readAll(const QString& path, QByteArray& bytes, std::string& error)
{
    QFile f;
    bool opened = false;
    if (path == QLatin1String("-")) {
        opened = f.open(stdin, QIODevice::ReadOnly);
    } else {
        f.setFileName(path);
        opened = f.open(QIODevice::ReadOnly);
    }
    if (opened) {
        bytes = f.readAll();
        if (f.error() == QFileDevice::NoError)
            return true;
    }
    error = "cannot read " + path.toStdString() + ": " + f.errorString().toStdString();
    return false;
}

/** "21 events, 14 names: 12 events, 17 globals, 1 sequence rule" (base: "... added to builtin:NAME: ..."). */
std::string summaryLine(const el::InferResult& r, const el::Contract* base)
{
    std::size_t events = 0, properties = 0, globals = 0, sequences = 0;
    for (const std::string& a : r.added) {
        const std::string kind = a.substr(0, a.find(' '));
        events += kind == "event";
        properties += kind == "property";
        globals += kind == "global";
        sequences += kind == "sequence";
    }
    const auto count = [](std::size_t n, const char* one, const char* many) {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    std::string line = count(r.events, "event", "events") + ", " + count(r.eventNames, "name", "names");
    if (base)
        return line + ": " + count(events, "event", "events") + " and " + count(properties, "property", "properties")
            + " and " + count(sequences, "sequence rule", "sequence rules") + " added to " + base->origin();
    return line + ": " + count(events, "event", "events") + ", " + count(globals, "global", "globals") + ", "
        + count(sequences, "sequence rule", "sequence rules");
}

} // namespace

bool readInferInputs(const QStringList& inputs, el::InferInput& out, std::string& error)
{
    el::OfflineInput input;
    input.keepDocs = true; // the events are inferred from their objects: no compact text kept besides
    const qint64 startedMs = el::nowMs();
    for (const QString& path : inputs) {
        const std::string name = path == QLatin1String("-") ? std::string("<stdin>") : path.toStdString();
        out.inputs.push_back(name);
        QByteArray bytes;
        if (!readAll(path, bytes, error))
            return false;
        if (std::string_view(bytes.constData(), std::size_t(bytes.size())).substr(0, kSqliteMagic.size())
            == kSqliteMagic) {
            if (path == QLatin1String("-")) {
                error = "a session file cannot be read from stdin: name the file";
                return false;
            }
            bytes.clear();
            el::SessionData session;
            std::string why;
            if (!el::SessionJournal::load(path, session, why)) {
                error = "cannot read session file " + name + ": " + why;
                return false;
            }
            for (el::Event& e : session.events) {
                el::Json doc = e.doc();
                e.seq = qint64(input.events.size()) + 1;
                input.events.push_back(std::move(e));
                input.sources.push_back(name);
                input.docs.push_back(std::move(doc));
            }
            continue;
        }
        if (!el::readOfflineInput(name, bytes.toStdString(), startedMs, input, error))
            return false;
    }
    out.events = std::move(input.events);
    out.docs = std::move(input.docs);
    return true;
}

int runInferCommand(const QStringList& args)
{
    CommandOptions options("infer",
        QStringLiteral("Infer a draft analytics contract from recorded events (or extend one with what it lacks)."),
        kUsage);
    options.addBaseOption(
        QStringLiteral("Keep this contract (a file or builtin:NAME) and add only what the traffic shows it lacks."));
    options.addOutputOption("contract");
    options.addPositionalArgument(QStringLiteral("INPUT"),
        QStringLiteral("Event files (NDJSON, JSON array, HAR, session file) or -."), QStringLiteral("INPUT..."));
    if (const std::optional<int> done = options.parse(args, kHelpMore))
        return *done;
    const QStringList inputs = options.positionalArguments();
    if (inputs.isEmpty())
        return options.usageError("no input given");
    if (inputs.count(QStringLiteral("-")) > 1) {
        options.printError("stdin (-) can be read only once");
        return 2;
    }

    std::shared_ptr<const el::Contract> base;
    if (!options.loadContract(base))
        return 2;
    std::string error;
    el::InferInput input;
    if (!readInferInputs(inputs, input, error)) {
        options.printError(error);
        return 2;
    }
    const el::InferResult result = base ? el::extendContract(*base, input) : el::inferContract(input);
    if (result.selfViolations)
        options.printError("warning: the inferred contract reports " + std::to_string(result.selfViolations)
            + " violations on the events it came from (a bug in eventlens infer: please report it)");
    const std::string text = result.contract.dump(2, ' ', false, el::Json::error_handler_t::replace) + "\n";

    if (!options.writeOutput(text))
        return 2;
    if (const std::optional<QString> file = options.outputFile())
        std::fprintf(stderr, "infer: %s written to %s\n", summaryLine(result, base.get()).c_str(), qPrintable(*file));
    return 0;
}
