// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h" // el::Json

#include <QString>
#include <QStringList>

#include <memory>

namespace el {
class Contract;
}

/**
 * `eventlens diff [--contract FILE|builtin:NAME] [--format text|json|markdown|html] [--output FILE] BASELINE CURRENT`
 *
 * Reads and judges two recordings (anything `check` reads) with the same contract, as `check` does, and reports what
 * changed from BASELINE to CURRENT (el::diffReports, core/report/diff.h). \a args are the arguments after "diff".
 * Returns 0 when nothing regressed, 1 when something did, 2 on a usage error or an unreadable input or contract
 * (with a message on stderr).
 */
int runDiffCommand(const QStringList& args);

/**
 * What `eventlens diff BASELINE CURRENT` computes, in memory: both files judged with \a contract, then compared
 * (el::diffReports). False with \a error when a file cannot be read. The window's File ▸ Compare With… uses it.
 */
bool compareRecordings(const std::shared_ptr<const el::Contract>& contract, const QString& baseline,
    const QString& current, el::Json& diff, QString& error);
