// SPDX-License-Identifier: MIT
#pragma once

#include <QCommandLineParser>
#include <QString>

/**
 * The parser's help text with its usage line reading "Usage: eventlens COMMAND [options] ..." (QCommandLineParser
 * names the executable's path there, without the command).
 */
inline QString commandHelpText(const QCommandLineParser& parser, const char* command)
{
    QString text = parser.helpText();
    const qsizetype options = text.indexOf(QLatin1String(" [options]"));
    if (text.startsWith(QLatin1String("Usage: ")) && options > 0)
        text.replace(7, options - 7, QLatin1String("eventlens ") + QLatin1String(command));
    return text;
}
