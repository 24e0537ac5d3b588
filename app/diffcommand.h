// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

/**
 * `eventlens diff [--contract FILE|builtin:NAME] [--format text|json|markdown|html] [--output FILE] BASELINE CURRENT`
 *
 * Reads and judges two recordings (anything `check` reads) with the same contract, as `check` does, and reports what
 * changed from BASELINE to CURRENT (el::diffReports, core/report/diff.h). \a args are the arguments after "diff".
 * Returns 0 when nothing regressed, 1 when something did, 2 on a usage error or an unreadable input or contract
 * (with a message on stderr).
 */
int runDiffCommand(const QStringList& args);
