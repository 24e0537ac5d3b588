// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

/**
 * `eventlens check [--contract FILE|builtin:NAME] [--format text|json|junit] [--output FILE] INPUT...`
 *
 * Validates events read offline (NDJSON, JSON array, HAR; "-" = stdin) against a contract and prints a
 * report (stdout, or --output FILE). \a args are the arguments after "check".
 * Returns 0 when no error-severity violation was found, 1 when some were, 2 on a usage error or an
 * unreadable input/contract (with a clear message on stderr).
 */
int runCheckCommand(const QStringList& args);
