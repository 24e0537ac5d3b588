// SPDX-License-Identifier: MIT
#pragma once

#include "model/savefile.h" // el::ByteSink

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QString>
#include <QStringList>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace el {
class Contract;
}

/**
 * The command line of `eventlens check`, `diff` and `infer`, parsed one way: -h/--help, then the options in the order
 * they are added (-c/--contract or -b/--base, -f/--format, -o/--output), then the positional arguments the command
 * names. Messages go to stderr as "eventlens COMMAND: what"; a usage error exits with 2.
 *
 *     CommandOptions options("diff", QStringLiteral("Compare two recordings ..."), kUsage);
 *     options.addContractOption(QStringLiteral("; both sides are judged with it"));
 *     options.addFormatOption({"text", "json", "markdown", "html"});
 *     options.addOutputOption("report");
 *     options.addPositionalArgument(QStringLiteral("BASELINE"), QStringLiteral("The recording before the change."));
 *     if (const std::optional<int> done = options.parse(args, kHelpMore))
 *         return *done; // --help printed, or a usage error
 */
class CommandOptions
{
public:
    /**
     * \a command: "check", "diff" or "infer"; \a description: the help's first line; \a usage: the usage line that
     * usageError() prints ("eventlens diff [--contract FILE|builtin:NAME] ... BASELINE CURRENT").
     */
    CommandOptions(const char* command, const QString& description, const char* usage);

    /**
     * -c/--contract FILE|builtin:NAME, kCheckDefaultContract (checkcommand.h) when not given. Its help: "Contract
     * file, or builtin:NAME (default: builtin:open-design)" then \a more, then ".".
     */
    void addContractOption(const QString& more = QString());
    /** -b/--base FILE|builtin:NAME (\a description), no contract when not given. */
    void addBaseOption(const QString& description);
    /**
     * -f/--format FORMAT, one of \a formats, the first the default; "md" is taken for "markdown" when that is one.
     * Its help: "Report format: text (default), json, junit, html or markdown." (the formats in the order given).
     */
    void addFormatOption(std::initializer_list<const char*> formats);
    /** -o/--output FILE: "Write the \a what (report, contract) to FILE instead of stdout." */
    void addOutputOption(const char* what);
    /** As QCommandLineParser::addPositionalArgument(). */
    void addPositionalArgument(const QString& name, const QString& description, const QString& syntax = QString());

    /**
     * Parses \a args (the arguments after the command). Nothing, to go on; else the exit status of a command that is
     * done: 0 after --help printed its text (commandHelpText() and \a helpMore after it), 2 after a usage error (a
     * parse error, an unknown format) printed.
     */
    std::optional<int> parse(const QStringList& args, const char* helpMore);

    /** The --format given (its default when not), "markdown" for "md"; checked by parse(). */
    QString format() const;
    QStringList positionalArguments() const { return m_parser.positionalArguments(); }

    /**
     * The contract of --contract (its default when not given) or --base (none when not given) in \a contract; false
     * when it cannot be loaded, with the message printed.
     */
    bool loadContract(std::shared_ptr<const el::Contract>& contract) const;

    /** Prints "eventlens COMMAND: \a what" on stderr. */
    void printError(const std::string& what) const;
    /** Prints "\a what (usage: USAGE)" as printError() does; returns 2, the exit status of a usage error. */
    int usageError(const std::string& what) const;

    /** --output's FILE, or nothing: stdout. */
    std::optional<QString> outputFile() const;
    /** Hands the output to its sink, in order: false when a write fails, or with \a error when it cannot be made. */
    using Producer = std::function<bool(const el::ByteSink& write, std::string& error)>;
    /**
     * Writes what \a produce hands over to --output FILE (el::saveFile: replaced atomically) or stdout; false when it
     * could not, with "cannot write FILE: why" or "cannot write the WHAT to stdout" printed (": " and \a produce's
     * error after it, when it gave one).
     */
    bool writeOutput(const Producer& produce) const;
    /** The same with \a text. */
    bool writeOutput(std::string_view text) const;

private:
    const char* m_command;
    const char* m_usage;
    QCommandLineParser m_parser;
    QCommandLineOption m_help;
    std::optional<QCommandLineOption> m_contract; ///< --contract or --base
    const char* m_contractDefault = nullptr; ///< --contract's: kCheckDefaultContract; --base has none
    std::optional<QCommandLineOption> m_format;
    std::vector<QString> m_formats; ///< the default first
    std::optional<QCommandLineOption> m_output;
    const char* m_outputWhat = "";
};
