// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

#include <string>

namespace el {
struct InferInput;
}

/**
 * `eventlens infer [--base FILE|builtin:NAME] [--output FILE] INPUT...`
 *
 * Reads events as `check` does (NDJSON, JSON array, HAR; "-" = stdin), and session files (.elsession), and writes a
 * draft contract inferred from them (el::inferContract), or \a --base's contract with what the traffic shows it lacks
 * (el::extendContract), as pretty-printed JSON to stdout or --output FILE. \a args are the arguments after "infer".
 * Returns 0 when the contract was written, 2 on a usage error, an unreadable input or base contract, or a failed
 * write (with a message on stderr).
 */
int runInferCommand(const QStringList& args);

/**
 * Reads \a inputs (files, or "-" for stdin) into \a out in order: NDJSON, JSON arrays and HAR files as `check` reads
 * them (el::readOfflineInput), session files (SQLite, as EventLens writes them) with el::SessionJournal::load. Events
 * are numbered from 1 across all inputs. False with \a error ("FILE:LINE: what", "cannot read FILE: why") when an
 * input cannot be read.
 */
bool readInferInputs(const QStringList& inputs, el::InferInput& out, std::string& error);
