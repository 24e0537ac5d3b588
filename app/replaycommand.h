// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

/**
 * `eventlens replay [--target URL] [--key KEY] [--speed X] [--repeat N] [--json] SCENARIO...`,
 * `eventlens replay --all`, `eventlens replay --list`, `eventlens replay --events FILE`.
 *
 * \a args are the arguments after "replay". Needs a QCoreApplication; runs its own event loop.
 * Returns 0 when every run matched its expected verdict (or, for a target that is not EventLens,
 * when every event was accepted), 1 otherwise, 2 on usage or scenario-file errors.
 */
int runReplayCommand(const QStringList& args);
