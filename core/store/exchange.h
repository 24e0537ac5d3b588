// SPDX-License-Identifier: MIT
#pragma once

#include "journal.h"

#include <QString>

#include <string>
#include <vector>

namespace el {

class EventStore;

/**
 * \name Export
 * Each writes \a path atomically (QSaveFile: a failed export leaves an existing file untouched) and
 * returns false with \a error ("PATH: why") on failure. The overloads with \a events export that
 * subset (e.g. what a filter shows), in the given order; violations come from \a store.
 */
///@{

/**
 * NDJSON, one event per line: the event as the inspection API shows it (EventStore::eventJson: seq,
 * request_id, received_at, endpoint, lib, ..., properties, violations) plus "doc", the normalised event
 * object, so importFile() rebuilds the identical Event.
 */
bool exportNdjson(const QString& path, const EventStore& store, std::string& error);
bool exportNdjson(
    const QString& path, const std::vector<EventPtr>& events, const EventStore& store, std::string& error);

/**
 * CSV (RFC 4180, UTF-8, CRLF), the table's columns: seq, time (received, ISO-8601 UTC with ms), event,
 * runtime_type, distinct_id, run_id (strings as they are, other JSON as compact JSON, absent empty), client
 * ($lib and $lib_version), endpoint, errors, warnings. A text cell that a spreadsheet would run as a formula
 * (starting with = + - @, tab or CR, and not a number) gets a leading apostrophe.
 */
bool exportCsv(const QString& path, const EventStore& store, std::string& error);
bool exportCsv(const QString& path, const std::vector<EventPtr>& events, const EventStore& store, std::string& error);

/**
 * HAR 1.2 with the original requests and the responses EventLens gave: every request of \a session
 * (accepted and rejected). Bodies that are not UTF-8 text (gzip) are written base64 with
 * "encoding": "base64". Each entry carries "_eventlens" (id, received_ms, exact path and query, peer,
 * status, reason, upstream_*, first_seq) and the log carries "_eventlens" (created_ms, contract_origin),
 * so importing the file gives the same requests and events.
 */
bool exportHar(const QString& path, const SessionData& session, std::string& error);
///@}

/** One NDJSON export line (without the newline). */
std::string ndjsonLine(const Event& event, const EventStore& store);
/** The HAR document exportHar() writes. */
Json harDocument(const SessionData& session);

} // namespace el
