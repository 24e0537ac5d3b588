// SPDX-License-Identifier: MIT
#include "commandoptions.h"
#include "checkcommand.h" // kCheckDefaultContract
#include "commandhelp.h"

#include "contract/contractengine.h"

#include <algorithm>
#include <cstdio>

namespace {

/** "a", "a or b", "a, b or c". */
std::string orList(const std::vector<QString>& items)
{
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i].toStdString();
    return out;
}

} // namespace

CommandOptions::CommandOptions(const char* command, const QString& description, const char* usage)
    : m_command(command)
    , m_usage(usage)
    , m_help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."))
{
    m_parser.setApplicationDescription(description);
    m_parser.addOption(m_help);
}

void CommandOptions::addContractOption(const QString& more)
{
    m_contract.emplace(QStringList {QStringLiteral("c"), QStringLiteral("contract")},
        QStringLiteral("Contract file, or builtin:NAME (default: %1)").arg(QLatin1String(kCheckDefaultContract)) + more
            + QLatin1Char('.'),
        QStringLiteral("FILE|builtin:NAME"));
    m_contractDefault = kCheckDefaultContract;
    m_parser.addOption(*m_contract);
}

void CommandOptions::addBaseOption(const QString& description)
{
    m_contract.emplace(
        QStringList {QStringLiteral("b"), QStringLiteral("base")}, description, QStringLiteral("FILE|builtin:NAME"));
    m_contractDefault = nullptr;
    m_parser.addOption(*m_contract);
}

void CommandOptions::addFormatOption(std::initializer_list<const char*> formats)
{
    m_formats.clear();
    for (const char* f : formats)
        m_formats.push_back(QString::fromLatin1(f));
    std::vector<QString> described = m_formats;
    described.front() += QStringLiteral(" (default)");
    m_format.emplace(QStringList {QStringLiteral("f"), QStringLiteral("format")},
        QStringLiteral("Report format: ") + QString::fromStdString(orList(described)) + QLatin1Char('.'),
        QStringLiteral("FORMAT"), m_formats.front());
    m_parser.addOption(*m_format);
}

void CommandOptions::addOutputOption(const char* what)
{
    m_outputWhat = what;
    m_output.emplace(QStringList {QStringLiteral("o"), QStringLiteral("output")},
        QStringLiteral("Write the ") + QLatin1String(what) + QStringLiteral(" to FILE instead of stdout."),
        QStringLiteral("FILE"));
    m_parser.addOption(*m_output);
}

void CommandOptions::addPositionalArgument(const QString& name, const QString& description, const QString& syntax)
{
    m_parser.addPositionalArgument(name, description, syntax);
}

std::optional<int> CommandOptions::parse(const QStringList& args, const char* helpMore)
{
    QStringList argv = args;
    argv.prepend(QStringLiteral("eventlens ") + QLatin1String(m_command));
    if (!m_parser.parse(argv)) {
        printError(m_parser.errorText().toStdString() + " (see eventlens " + m_command + " --help)");
        return 2;
    }
    if (m_parser.isSet(m_help)) {
        std::fputs(
            (commandHelpText(m_parser, m_command) + QString::fromUtf8(helpMore)).toLocal8Bit().constData(), stdout);
        return 0;
    }
    if (m_format && std::find(m_formats.begin(), m_formats.end(), format()) == m_formats.end()) {
        printError(
            "unknown format \"" + m_parser.value(*m_format).toStdString() + "\" (expected " + orList(m_formats) + ")");
        return 2;
    }
    return std::nullopt;
}

QString CommandOptions::format() const
{
    if (!m_format)
        return QString();
    const QString format = m_parser.value(*m_format);
    if (format == QLatin1String("md")
        && std::find(m_formats.begin(), m_formats.end(), QLatin1String("markdown")) != m_formats.end())
        return QStringLiteral("markdown");
    return format;
}

bool CommandOptions::loadContract(std::shared_ptr<const el::Contract>& contract) const
{
    contract.reset();
    std::string name;
    if (m_contract && m_parser.isSet(*m_contract))
        name = m_parser.value(*m_contract).toStdString();
    else if (m_contractDefault)
        name = m_contractDefault;
    else
        return true;
    std::string error;
    contract = el::loadContract(name, error);
    if (!contract) {
        printError(error);
        return false;
    }
    return true;
}

void CommandOptions::printError(const std::string& what) const
{
    std::fprintf(stderr, "eventlens %s: %s\n", m_command, what.c_str());
}

int CommandOptions::usageError(const std::string& what) const
{
    printError(what + " (usage: " + m_usage + ")");
    return 2;
}

std::optional<QString> CommandOptions::outputFile() const
{
    if (m_output && m_parser.isSet(*m_output))
        return m_parser.value(*m_output);
    return std::nullopt;
}

bool CommandOptions::writeOutput(const Producer& produce) const
{
    std::string error; // produce's own (a report's temporary file could not be read back)
    if (const std::optional<QString> file = outputFile()) {
        std::string why;
        const bool saved = el::saveFile(
            *file, [&](const el::ByteSink& write) { return produce(write, error); }, why);
        if (!saved) {
            printError("cannot write " + (error.empty() ? why : file->toStdString() + ": " + error));
            return false;
        }
        return true;
    }
    const bool written = produce(
        [](std::string_view piece) { return std::fwrite(piece.data(), 1, piece.size(), stdout) == piece.size(); },
        error);
    std::fflush(stdout);
    if (!written) {
        printError(std::string("cannot write the ") + m_outputWhat + " to stdout"
            + (error.empty() ? std::string() : ": " + error));
        return false;
    }
    return true;
}

bool CommandOptions::writeOutput(std::string_view text) const
{
    return writeOutput([text](const el::ByteSink& write, std::string&) { return write(text); });
}
