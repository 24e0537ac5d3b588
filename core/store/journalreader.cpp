// SPDX-License-Identifier: MIT
// Reading a session file back (SessionJournal::load(), readRequest(), wasClean()): its own read-only SQLite connection;
// and what a request read back was (isRejected(), toRejected()).
#include "journal.h"

#include "journalschema.h"
#include "sqlite.h"
#include "util/flatjson.h"

#include <QFileInfo>

#include <sqlite3.h>

#include <algorithm>

namespace el {

namespace {

/** How long a reader waits for the writer's lock (a checkpoint, a WAL recovery). */
constexpr int kReadBusyTimeoutMs = 5000;

/** Opens \a path read-only into \a db; false with \a error when it cannot. */
bool openReadOnly(sqlite::Database& db, const QString& path, std::string& error)
{
    if (!QFileInfo(path).isFile()) {
        error = QString(path + QStringLiteral(": no such file")).toStdString();
        return false;
    }
    if (!db.open(path.toStdString(), SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX)) {
        error = path.toStdString() + ": " + db.errorText();
        return false;
    }
    db.setBusyTimeout(kReadBusyTimeoutMs);
    return true;
}

/**
 * SELECT of every request column, then \a tail. Schema 1 had no recordings column: its /s/ requests read as 0
 * recordings (see Writer::migrate()).
 */
std::string selectRequests(int version, const char* tail)
{
    return std::string("SELECT id, received_ms, method, path, query, headers, body, peer, status, reason,"
                       " response_headers, response_body, upstream_status, upstream_ms, upstream_error, ")
        + (version >= 2 ? "recordings" : "0") + " FROM requests " + tail;
}
constexpr auto kSelectEvents
    = "SELECT seq, request_id, received_ms, doc, endpoint, user_agent FROM events ORDER BY seq";

/**
 * The request in the current row of \a q (a selectRequests() statement) into \a r; false with \a error (which names
 * the request) when its stored headers cannot be read back (journal::headersFromText()).
 */
bool requestAt(const sqlite::Statement& q, JournalRequest& r, std::string& error)
{
    r = JournalRequest {};
    r.id = q.int64(0);
    r.receivedMs = q.int64(1);
    r.method = q.bytes(2);
    r.path = q.bytes(3);
    r.query = q.bytes(4);
    r.body = q.bytes(6);
    r.peer = q.bytes(7);
    r.status = q.int32(8);
    r.reason = q.bytes(9);
    r.responseBody = q.bytes(11);
    r.upstreamStatus = q.int32(12);
    r.upstreamMs = q.isNull(13) ? -1 : q.int64(13);
    r.upstreamError = q.bytes(14);
    r.recordings = q.int64(15);
    std::string why;
    if (!journal::headersFromText(q.bytes(5), r.headers, why)
        || !journal::headersFromText(q.bytes(10), r.responseHeaders, why)) {
        error = "request #" + std::to_string(r.id) + ": " + why;
        return false;
    }
    return true;
}

bool readRequests(sqlite3* db, int version, const QString& path, std::vector<JournalRequest>& out, std::string& error)
{
    sqlite::Statement q;
    q.prepare(db, selectRequests(version, "ORDER BY id").c_str());
    while (q.next()) {
        out.emplace_back();
        std::string why;
        if (!requestAt(q, out.back(), why)) {
            error = path.toStdString() + ": " + why;
            return false;
        }
    }
    if (q.ok())
        return true;
    error = path.toStdString() + ": " + q.errorText();
    return false;
}

bool readEvents(sqlite3* db, const QString& path, std::vector<Event>& out, std::string& error)
{
    sqlite::Statement q;
    q.prepare(db, kSelectEvents);
    EventSourceCache sources; // events from the same source share it
    // Each stored text is read into a FlatJson, as a reload reads it: the same Event as from its DOM (makeEvent() on
    // either), and the DOM only for a text the FlatJson leaves to it. An nlohmann DOM per event had been half of the
    // time to open a session.
    FlatJson& flat = FlatJson::threadScratch();
    sqlite::Statement span; // seqs are contiguous but for gaps: room for the events without regrowing the vector
    if (span.prepare(db, "SELECT max(seq) - min(seq) + 1 FROM events") && span.next() && !span.isNull(0))
        out.reserve(out.size() + std::size_t(std::clamp<qint64>(span.int64(0), 0, qint64(1) << 24)));
    while (q.next()) {
        const qint64 seq = q.int64(0);
        const std::string_view text = q.view(3);
        // The event's origin: the endpoint and the user agent of its request.
        EventOrigin origin {q.bytes(4), q.bytes(5)};
        if (flat.parse(text)) {
            out.push_back(makeEvent(flat.root(), origin, seq, q.int64(1), q.int64(2), &sources));
            continue;
        }
        const Json doc = Json::parse(text, nullptr, false);
        if (doc.is_discarded()) {
            error = QString(path + QStringLiteral(": event seq %1: the stored event is not valid JSON").arg(seq))
                        .toStdString();
            return false;
        }
        out.push_back(makeEvent(doc, origin, seq, q.int64(1), q.int64(2), &sources));
    }
    if (q.ok())
        return true;
    error = path.toStdString() + ": " + q.errorText();
    return false;
}

/** Opens \a path read-only as a session file: its meta table read and its schema version checked. */
bool openSession(sqlite::Database& db, const QString& path, journal::Meta& meta, int& version, std::string& error)
{
    return openReadOnly(db, path, error) && journal::readMeta(db.get(), path, meta, error)
        && journal::checkSchema(meta, path, error, &version);
}

} // namespace

// A request read back that the sink had refused: the live sink's RejectedRequest, built the same way (makeRejected).

bool isRejected(const JournalRequest& request)
{
    return request.status >= 400 || !request.reason.empty();
}

RejectedRequest toRejected(const JournalRequest& request)
{
    return makeRejected(request, request.id, request.receivedMs, request.status, request.reason);
}

bool SessionJournal::load(const QString& path, SessionData& out, std::string& error)
{
    out = SessionData {};
    out.format = "elsession";
    sqlite::Database db;
    journal::Meta meta;
    int version = 0;
    if (!openSession(db, path, meta, version, error))
        return false;
    out.createdMs = journal::metaValue(meta, "created_ms").toLongLong();
    out.contractOrigin = journal::metaValue(meta, "contract_origin").toStdString();
    out.clean = journal::metaValue(meta, "clean") == QLatin1String("1");
    if (!readRequests(db.get(), version, path, out.requests, error) || !readEvents(db.get(), path, out.events, error))
        return false;
    // Recordings are counted, not stored as events (like the live session): each request says how many it held.
    for (const JournalRequest& r : out.requests) {
        if (!isRejected(r))
            out.recordings += r.recordings;
    }
    return true;
}

bool SessionJournal::readRequest(const QString& path, qint64 id, JournalRequest& out, std::string& error)
{
    out = JournalRequest {};
    sqlite::Database db;
    journal::Meta meta;
    int version = 0;
    if (!openSession(db, path, meta, version, error))
        return false;
    sqlite::Statement q;
    q.prepare(db.get(), selectRequests(version, "WHERE id = ?1").c_str());
    q.bind(1, id);
    if (q.next()) {
        std::string why;
        if (requestAt(q, out, why))
            return true;
        out = JournalRequest {};
        error = path.toStdString() + ": " + why;
        return false;
    }
    error = path.toStdString() + ": "
        + (q.ok() ? "no request #" + std::to_string(id) + " in the session file" : q.errorText());
    return false;
}

bool SessionJournal::wasClean(const QString& path)
{
    sqlite::Database db;
    journal::Meta meta;
    std::string ignored;
    if (!openReadOnly(db, path, ignored) || !journal::readMeta(db.get(), path, meta, ignored))
        return false;
    return journal::metaValue(meta, "clean") == QLatin1String("1");
}

} // namespace el
