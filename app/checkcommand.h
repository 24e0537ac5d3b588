// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h" // el::Json

#include <QStringList>

#include <memory>
#include <string>

namespace el {
class Contract;
}

/// The contract `check` and `diff` use when --contract is not given.
inline constexpr const char kCheckDefaultContract[] = "builtin:open-design";

/**
 * `eventlens check [--contract FILE|builtin:NAME] [--format text|json|junit] [--output FILE] INPUT...`
 *
 * Validates events read offline (NDJSON, JSON array, HAR; "-" = stdin) against a contract and prints a
 * report (stdout, or --output FILE). \a args are the arguments after "check".
 * Returns 0 when no error-severity violation was found, 1 when some were, 2 on a usage error or an
 * unreadable input/contract (with a clear message on stderr).
 */
int runCheckCommand(const QStringList& args);

/**
 * Reads and judges \a inputs (files, or "-" for stdin) against \a contract exactly as `check` does, and gives the
 * verdict in memory, for `eventlens diff`: the keys of `check -f json` that do not grow with the input
 * (`contract`, `events`, `coverage`, `summary`), plus
 *  - `inputs`: the input names;
 *  - `first_ms`, `last_ms`: the earliest and latest event time (0 without events);
 *  - `funnel`: runs by runtime_type as in the HTML report (`runtime_type`, `created`, `finished`, `success`,
 *    `failed`, `cancelled`, `other`, `open`, `unfinished`), and `run_count`;
 *  - `rules`: per rule id, `count`, `errors`, `warnings`, `kind` (of its first violation), `events` (violations
 *    per name of the event each names last) and `paths` (per JSON pointer).
 * The violations and runs themselves are not kept. False with \a error (the message `check` prints) when an
 * input cannot be read.
 */
bool judgeInputs(const std::shared_ptr<const el::Contract>& contract, const QStringList& inputs, el::Json& report,
    std::string& error);
