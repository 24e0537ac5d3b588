// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace el {

/**
 * Writes \a bytes to \a path. A regular file (or a new one) is replaced atomically (QSaveFile: a failed
 * write leaves the old file untouched). Anything else that exists there (/dev/null, a FIFO, a terminal,
 * /dev/stdout) is written in place: renaming a temporary file onto it would replace the device itself,
 * and as root `-o /dev/null` would turn the machine's /dev/null into a regular file. False with \a error
 * ("PATH: why") on failure.
 */
bool saveFile(const QString& path, std::string_view bytes, std::string& error);
/** The same with the bytes in pieces, written in order (a large report need not be joined first). */
bool saveFile(const QString& path, const std::vector<std::string_view>& pieces, std::string& error);

/** Bytes to write, in order; false once a write failed. */
using ByteSink = std::function<bool(std::string_view)>;
/**
 * The same with the bytes handed by \a produce to its sink as it makes them (a report kept in a temporary file
 * is copied through). When \a produce returns false, nothing replaces the file (a device is left as written) and
 * \a error says why when a write failed.
 */
bool saveFile(const QString& path, const std::function<bool(const ByteSink&)>& produce, std::string& error);

} // namespace el
