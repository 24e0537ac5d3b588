// SPDX-License-Identifier: MIT
#pragma once

// The session file's format, shared by the journal's writer (journalwriter.cpp) and reader (journalreader.cpp).
// Internal to core/store.

#include "model/event.h"
#include "sqlite.h"
#include "util/qtext.h"

#include <QString>

#include <string>
#include <utility>
#include <vector>

namespace el::journal {

/**
 * Version 1: meta, requests, events. Version 2: requests.recordings (the recording events a /s/ request held,
 * counted when it was journaled). The writer migrates an older file it opens; the reader reads both.
 */
constexpr int kSchemaVersion = 2;
constexpr qint64 kApplicationId = 0x454C534E; // "ELSN": marks the file as an EventLens session

/** CREATE statements of a new file (kSchemaVersion). */
extern const char* const kSchema[4];
/** From version 1 to 2. */
constexpr auto kAddRecordings = "ALTER TABLE requests ADD COLUMN recordings INTEGER NOT NULL DEFAULT 0";

using Meta = std::vector<std::pair<QString, QString>>;

/** Reads the meta table into \a meta; false with \a error when the file is not an EventLens session. */
bool readMeta(sqlite3* db, const QString& path, Meta& meta, std::string& error);
QString metaValue(const Meta& meta, const char* key);
/** The file's schema version; false with \a error when there is none or it is newer than kSchemaVersion. */
bool checkSchema(const Meta& meta, const QString& path, std::string& error, int* version = nullptr);

/** Headers as a JSON array of [name, value] pairs (order and repeats kept; bytes that are not UTF-8 as base64). */
std::string headersToText(const Headers& headers);
/**
 * headersToText() read back into \a out; empty text is no headers. False with \a error when the text is not what
 * headersToText() writes (not a JSON array of pairs, or base64 that is not strict base64): a session file changed
 * by something else is refused, not read as other headers.
 */
bool headersFromText(const std::string& text, Headers& out, std::string& error);

} // namespace el::journal
