// SPDX-License-Identifier: MIT
// The journal's writer: the writer thread's SQLite connection, which creates or migrates the session file and
// commits each group of requests, events and upstream answers as one transaction.
#include "journalwriter.h"

#include "journalschema.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#ifdef __linux__
#include <pthread.h>
#endif

namespace el::journal {

using sqlite::Statement;

namespace {

/** The stored text of an event (the events.doc column): its compact JSON, kept by the event itself. */
std::string_view eventText(const Event& e)
{
    return e.json.view();
}

constexpr auto kInsertRequest
    = "INSERT INTO requests(id, received_ms, method, path, query, headers, body, peer, status, reason,"
      " response_headers, response_body, upstream_status, upstream_ms, upstream_error, recordings)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr auto kInsertEvent
    = "INSERT INTO events(seq, request_id, received_ms, doc, endpoint, user_agent) VALUES (?, ?, ?, ?, ?, ?)";
constexpr auto kSetMeta = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)";
constexpr auto kSetUpstream
    = "UPDATE requests SET upstream_status = ?, upstream_ms = ?, upstream_error = ? WHERE id = ?";
constexpr auto kSetUpstreamAndResponse = "UPDATE requests SET upstream_status = ?, upstream_ms = ?, upstream_error = ?,"
                                         " response_headers = ?, response_body = ? WHERE id = ?";

/**
 * The page size of a new session file. An event's text is about 1.5 KB: a 4 KiB page holds two of them, so every
 * group commit touched (and wrote to the WAL, then checkpointed) about one page per two events, plus b-tree pages
 * split half empty. With 16 KiB pages full load went from 53,600-55,200 to 61,200-64,900 events/s, p99 at 10,000
 * events/s from 4.1-4.6 to 1.9-2.2 ms, and the file is 14 % smaller; single-event requests did not change. Files made
 * before keep their page size.
 */
constexpr auto kPageSize = "PRAGMA page_size=16384";
/** WAL length (bytes of frames, i.e. pages) from which it is checkpointed: by the Checkpointer, or by an idle writer.
 */
constexpr qint64 kCheckpointBytes = 4000 * 1024;
/** What the writer copies itself after a Checkpointer pass: the bytes committed during it, at most this many. */
constexpr qint64 kTailBytes = 4096 * 1024;
/** WAL length from which the writer checkpoints even with commits waiting (bounds the WAL under sustained load). */
constexpr qint64 kForcedCheckpointBytes = 32000 * 1024;
/** The writer connection's page cache (KiB; SQLite's default is 2 MiB). */
constexpr auto kCacheSize = "PRAGMA cache_size=-8192";

} // namespace

bool Checkpointer::start(const std::string& file, bool synchronousFull)
{
    stop();
    std::string error;
    // FULLMUTEX: the writer thread may use the connection too, under pause() (applySynchronous()).
    if (!m_file.open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX)
        || !applySynchronous(synchronousFull, error)) {
        m_file.close();
        return false;
    }
    m_thread = std::thread([this] { run(); });
    return true;
}

void Checkpointer::stop()
{
    if (m_thread.joinable()) {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stopping = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }
    m_file.close();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stopping = m_requested = false;
    m_progress = {};
}

void Checkpointer::request()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_requested)
            return;
        m_requested = true;
    }
    m_cv.notify_one();
}

Checkpointer::Progress Checkpointer::progress() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_progress;
}

void Checkpointer::forget()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_progress = {};
}

bool Checkpointer::applySynchronous(bool full, std::string& error)
{
    if (!m_file.isOpen())
        return true;
    const auto paused = pause();
    return m_file.exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", error);
}

void Checkpointer::run()
{
#ifdef __linux__
    pthread_setname_np(pthread_self(), "el-checkpoint");
#endif
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_cv.wait(lock, [this] { return m_requested || m_stopping; });
            if (m_stopping)
                return;
            m_requested = false;
        }
        int log = 0;
        int done = 0;
        int rc = SQLITE_OK;
        {
            const auto paused = pause();
            m_busy.store(true, std::memory_order_release);
            rc = sqlite3_wal_checkpoint_v2(m_file.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
            m_busy.store(false, std::memory_order_release);
        }
        std::lock_guard<std::mutex> lock(m_mutex);
        m_progress = rc == SQLITE_OK ? Progress {log, done} : Progress {};
    }
}

QString Writer::open(const QString& file, const std::string& contractOrigin, bool synchronousFull)
{
    const QString why = openFile(file, contractOrigin, synchronousFull);
    if (!why.isEmpty())
        close();
    else
        m_checkpointer.start(file.toStdString(), synchronousFull); // without it, the writer checkpoints alone
    return why;
}

void Writer::close()
{
    m_checkpointer.stop(); // first: the last connection closed folds the WAL into the file
    for (Statement* s : {&m_insertRequest, &m_insertEvent, &m_setMeta, &m_setUpstream, &m_setUpstreamAndResponse,
             &m_begin, &m_commit, &m_rollback})
        s->finalize();
    m_file.close();
    m_db = nullptr;
    m_cleanOnDisk = false;
    m_walFrames = m_walAtRequest = 0;
    lastSeq = lastId = 0;
}

bool Writer::applySynchronous(bool full, std::string& error)
{
    return exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", error)
        && m_checkpointer.applySynchronous(full, error);
}

bool Writer::writeMeta(const char* key, std::string_view value, std::string& error)
{
    m_setMeta.bindText(1, key);
    m_setMeta.bindTextOrBlob(2, value);
    return m_setMeta.run(error);
}

bool Writer::markClean(std::string& error)
{
    if (!writeMeta("clean", "1", error))
        return false;
    m_cleanOnDisk = true;
    {
        const auto paused = m_checkpointer.pause(); // a pass under way would make TRUNCATE give up at once
        sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    }
    m_walFrames = m_walAtRequest = 0;
    m_checkpointer.forget();
    return true;
}

bool Writer::commit(const std::vector<const Job*>& group, std::string& error)
{
    bool anything = false;
    for (const Job* j : group)
        anything = anything || !j->items.empty() || !j->upstreams.empty();
    if (!anything)
        return true;
    if (!m_db) {
        error = "the session file is not open";
        return false;
    }
    if (!m_begin.run(error))
        return false;
    qint64 maxSeq = lastSeq;
    qint64 maxId = lastId;
    bool ok = true;
    for (std::size_t g = 0; ok && g < group.size(); ++g) {
        const Job* j = group[g];
        for (std::size_t i = 0; ok && i < j->items.size(); ++i) {
            const WriteItem& item = j->items[i];
            ok = insert(item, error);
            maxId = std::max(maxId, item.request.id);
            if (!item.events.empty())
                maxSeq = std::max(maxSeq, item.events.back()->seq);
        }
        for (std::size_t i = 0; ok && i < j->upstreams.size(); ++i)
            ok = writeUpstream(j->upstreams[i], error);
    }
    if (ok && m_cleanOnDisk)
        ok = writeMeta("clean", "0", error);
    if (ok)
        ok = m_commit.run(error);
    if (!ok) {
        if (!sqlite3_get_autocommit(m_db))
            m_rollback.run();
        return false;
    }
    lastSeq = maxSeq;
    lastId = maxId;
    m_cleanOnDisk = false;
    return true;
}

void Writer::maybeCheckpoint(bool idle)
{
    const qint64 walBytes = qint64(m_walFrames) * m_pageSize;
    if (!m_db || walBytes < kCheckpointBytes)
        return;
    if (m_checkpointer.running() && walBytes < kForcedCheckpointBytes) {
        if (m_checkpointer.busy())
            return;
        const Checkpointer::Progress p = m_checkpointer.progress();
        // The pass asked for last copied all it saw of this WAL (at least what there was when it was asked for): what
        // is left is what was committed during it. Copy that here, unless it is long, and the next commit starts the
        // WAL over. Otherwise (no pass yet, a reader held frames back, a long tail) another pass.
        const bool caughtUp = p.log > 0 && p.done == p.log && p.log <= m_walFrames && p.log >= m_walAtRequest
            && qint64(m_walFrames - p.log) * m_pageSize <= kTailBytes;
        if (caughtUp) {
            checkpointHere();
        } else {
            m_walAtRequest = m_walFrames;
            m_checkpointer.request();
        }
        return;
    }
    if (!idle && walBytes < kForcedCheckpointBytes)
        return;
    checkpointHere();
}

bool Writer::checkpointHere()
{
    int logFrames = 0;
    int copied = 0;
    if (sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied) != SQLITE_OK
        || copied != logFrames)
        return false; // a pass of the Checkpointer under way (SQLITE_BUSY, at once), or a reader holds frames back
    m_walFrames = m_walAtRequest = 0; // all copied: the next commit starts the WAL over
    m_checkpointer.forget();
    return true;
}

int Writer::onWal(void* self, sqlite3*, const char*, int frames)
{
    static_cast<Writer*>(self)->m_walFrames = frames;
    return SQLITE_OK;
}

bool Writer::queryInt(const char* sql, qint64& out, std::string& error)
{
    Statement s;
    if (s.prepare(m_db, sql) && s.next()) {
        out = s.int64(0);
        return true;
    }
    error = s.ok() ? std::string("no result (") + sql + ')' : s.errorText();
    return false;
}

bool Writer::migrate(int version, std::string& error)
{
    if (version >= kSchemaVersion)
        return true;
    if (!exec("BEGIN", error))
        return false;
    // Version 1 had no requests.recordings: its /s/ requests read as 0 recordings (their count is lost; the
    // requests and their bodies stay).
    bool ok = version >= 2 || exec(kAddRecordings, error);
    if (ok && !m_setMeta.prepare(m_db, kSetMeta)) {
        error = errorText();
        ok = false;
    }
    ok = ok && writeMeta("schema", std::to_string(kSchemaVersion), error) && exec("COMMIT", error);
    if (!ok && !sqlite3_get_autocommit(m_db))
        exec("ROLLBACK");
    return ok;
}

QString Writer::openFile(const QString& file, const std::string& contractOrigin, bool synchronousFull)
{
    const QString prefix = file + QStringLiteral(": ");
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const bool opened = m_file.open(file.toStdString(), flags);
    m_db = m_file.get();
    if (!opened)
        return prefix + qs(errorText());
    m_file.setBusyTimeout(2000);

    std::string why;
    // Empty (new), ours, or something else?
    qint64 tables = 0;
    if (!queryInt("SELECT count(*) FROM sqlite_master", tables, why))
        return prefix + QStringLiteral("not an EventLens session (") + qs(why) + u')';
    const bool fresh = tables == 0;
    int version = kSchemaVersion;
    if (!fresh) {
        std::string error;
        Meta meta;
        if (!readMeta(m_db, file, meta, error) || !checkSchema(meta, file, error, &version))
            return qs(error);
    }
    if (fresh && !exec(kPageSize, why)) // before WAL mode: a WAL file's page size is fixed
        return prefix + qs(why);
    QString mode;
    {
        Statement s;
        if (!s.prepare(m_db, "PRAGMA journal_mode=WAL") || !s.next())
            return prefix + qs(s.ok() ? std::string("no result (PRAGMA journal_mode=WAL)") : s.errorText());
        mode = QString::fromStdString(s.bytes(0));
    }
    if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
        return prefix + QStringLiteral("cannot switch to WAL mode (") + mode + u')';
    if (!applySynchronous(synchronousFull, why) || !exec(kCacheSize, why))
        return prefix + qs(why);
    if (!fresh && !migrate(version, why))
        return prefix + QStringLiteral("cannot update the session schema (") + qs(why) + u')';

    if (fresh) {
        if (!exec("BEGIN", why))
            return prefix + qs(why);
        const auto abort = [&](const std::string& what) -> QString {
            exec("ROLLBACK");
            return prefix + qs(what);
        };
        for (const char* sql : kSchema) {
            if (!exec(sql, why))
                return abort(why);
        }
        if (!exec(("PRAGMA application_id=" + std::to_string(kApplicationId)).c_str(), why))
            return abort(why);
        if (!m_setMeta.prepare(m_db, kSetMeta))
            return abort(errorText());
        const std::pair<const char*, std::string> initial[] = {
            {"schema", std::to_string(kSchemaVersion)},
            {"created_ms", std::to_string(nowMs())},
            {"created_by", "EventLens " EVENTLENS_VERSION},
            {"contract_origin", contractOrigin},
            {"clean", "0"},
        };
        for (const auto& [key, value] : initial) {
            if (!writeMeta(key, value, why))
                return abort(why);
        }
        if (!exec("COMMIT", why))
            return abort(why);
    }

    if (!queryInt("PRAGMA page_size", m_pageSize, why))
        return prefix + qs(why);
    if (!queryInt("SELECT COALESCE(MAX(seq), 0) FROM events", lastSeq, why)
        || !queryInt("SELECT COALESCE(MAX(id), 0) FROM requests", lastId, why))
        return prefix + qs(why);

    const std::pair<Statement*, const char*> statements[] = {
        {&m_insertRequest, kInsertRequest},
        {&m_insertEvent, kInsertEvent},
        {&m_setMeta, kSetMeta},
        {&m_setUpstream, kSetUpstream},
        {&m_setUpstreamAndResponse, kSetUpstreamAndResponse},
        {&m_begin, "BEGIN"},
        {&m_commit, "COMMIT"},
        {&m_rollback, "ROLLBACK"},
    };
    for (const auto& [statement, sql] : statements) {
        if (!statement->prepare(m_db, sql, true))
            return prefix + qs(errorText()) + QStringLiteral(" (") + QLatin1String(sql) + u')';
    }

    // From now on the file is "in use": only markClean() says it was closed on purpose.
    if (!writeMeta("clean", "0", why))
        return prefix + qs(why);
    if (!fresh && !contractOrigin.empty() && !writeMeta("contract_origin", contractOrigin, why))
        return prefix + qs(why);
    m_cleanOnDisk = false;
    // Checkpoints happen between commits (maybeCheckpoint()), not inside them: this replaces SQLite's
    // auto-checkpoint hook.
    sqlite3_wal_hook(m_db, &Writer::onWal, this);
    return {};
}

bool Writer::insert(const WriteItem& item, std::string& error)
{
    const JournalRequest& r = item.request;
    const std::string headers = headersToText(r.headers);
    const std::string responseHeaders = headersToText(r.responseHeaders);
    Statement& ir = m_insertRequest;
    ir.bind(1, r.id);
    ir.bind(2, r.receivedMs);
    ir.bindTextOrBlob(3, r.method);
    ir.bindTextOrBlob(4, r.path);
    ir.bindTextOrBlob(5, r.query);
    ir.bindText(6, headers);
    ir.bindBlob(7, r.body);
    ir.bindTextOrBlob(8, r.peer);
    ir.bind(9, r.status);
    ir.bindTextOrBlob(10, r.reason);
    ir.bindText(11, responseHeaders);
    ir.bindBlob(12, r.responseBody);
    ir.bind(13, r.upstreamStatus);
    ir.bind(14, r.upstreamMs);
    ir.bindTextOrBlob(15, r.upstreamError);
    ir.bind(16, r.recordings);
    if (!ir.run(error)) {
        error = "request " + std::to_string(r.id) + ": " + error;
        return false;
    }
    Statement& ie = m_insertEvent;
    for (const EventPtr& e : item.events) {
        const std::string_view text = eventText(*e);
        ie.bind(1, e->seq);
        ie.bind(2, r.id);
        ie.bind(3, e->receivedMs);
        ie.bindText(4, text);
        ie.bindTextOrBlob(5, e->endpoint());
        ie.bindTextOrBlob(6, e->userAgent());
        if (!ie.run(error)) {
            error = "event " + std::to_string(e->seq) + ": " + error;
            return false;
        }
    }
    return true;
}

bool Writer::writeUpstream(const Upstream& u, std::string& error)
{
    const bool answered = u.status > 0;
    Statement& s = answered ? m_setUpstreamAndResponse : m_setUpstream;
    const std::string headers = answered ? headersToText(u.headers) : std::string();
    int i = 1;
    s.bind(i++, u.status);
    s.bind(i++, u.ms);
    s.bindTextOrBlob(i++, u.error);
    if (answered) {
        s.bindText(i++, headers);
        s.bindBlob(i++, u.body);
    }
    s.bind(i++, u.id);
    if (s.run(error))
        return true;
    error = "upstream of request " + std::to_string(u.id) + ": " + error;
    return false;
}

} // namespace el::journal
