// SPDX-License-Identifier: MIT
// The session journal's writer: the SessionJournal, its writer thread and that thread's SQLite connection.
// Reading a session file back is in journalreader.cpp, where session files live in sessionfiles.cpp.
#include "journal.h"

#include "journalschema.h"
#include "sqlite.h"

#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QPointer>
#include <QTimer>

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>

#ifdef __linux__
#include <pthread.h>
#endif

namespace el {

using sqlite::Statement;

namespace {

// ---------------------------------------------------------------------------------------------------------------------
// the writer thread's side: raw SQLite C API, UTF-8 straight from std::string

/** The stored text of an event (the events.doc column): its compact JSON, kept by the event itself. */
const std::string& eventText(const Event& e)
{
    return e.json;
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

/** WAL length (frames, i.e. pages) from which the writer checkpoints when it has nothing else to do. */
constexpr int kCheckpointFrames = 1000;
/** WAL length from which it checkpoints even with commits waiting (bounds the WAL under sustained load). */
constexpr int kForcedCheckpointFrames = 8000;
/** The writer connection's page cache (KiB; SQLite's default is 2 MiB). */
constexpr auto kCacheSize = "PRAGMA cache_size=-8192";

/**
 * Lives in the journal's thread (a child of the journal) and calls \a onResults there whenever the writer posts
 * it an event of eventType(): a plain posted event, no queued functor shared between the threads.
 */
class ResultsReceiver final : public QObject
{
public:
    ResultsReceiver(QObject* parent, std::function<void()> onResults)
        : QObject(parent)
        , m_onResults(std::move(onResults))
    { }

    static QEvent::Type eventType()
    {
        static const auto type = static_cast<QEvent::Type>(QEvent::registerEventType());
        return type;
    }

    bool event(QEvent* e) override
    {
        if (e->type() != eventType())
            return QObject::event(e);
        m_onResults();
        return true;
    }

private:
    std::function<void()> m_onResults;
};

/** What the upstream answered for a request already handed to the writer (updateUpstream()). */
struct Upstream
{
    qint64 id = 0;
    int status = 0;
    qint64 ms = -1;
    std::string error;
    Headers headers;
    std::string body;
};

/** One request and its events, as the writer thread gets them. */
struct WriteItem
{
    JournalRequest request;
    std::vector<EventPtr> events;
};

/**
 * Work for the writer thread, done in order. A batch (items, upstream updates) is committed in one transaction
 * with the batches queued next to it; a command (open, meta, PRAGMA, markClean) runs alone, between them.
 */
struct Job
{
    quint64 number = 0;
    std::vector<WriteItem> items;
    std::vector<Upstream> upstreams;
    std::function<void()> command;
};

/** How a batch went, for the owner thread. */
struct Result
{
    quint64 number = 0;
    bool ok = true;
    std::string error;
    qint64 lastSeq = 0; ///< committed, after this batch
    qint64 lastId = 0;
};

/**
 * The writer thread's connection to the session file. Only the writer thread uses it, from open() to close()
 * (the owner thread reads lastSeq / lastId only while the writer waits for work).
 */
class Writer
{
public:
    Writer() = default;
    ~Writer() { close(); }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    qint64 lastSeq = 0; ///< committed
    qint64 lastId = 0;

    /** Opens or creates \a file; returns why it failed (empty on success; the connection is closed then). */
    QString open(const QString& file, const std::string& contractOrigin, bool synchronousFull)
    {
        const QString why = openFile(file, contractOrigin, synchronousFull);
        if (!why.isEmpty())
            close();
        return why;
    }

    void close()
    {
        for (Statement* s : {&m_insertRequest, &m_insertEvent, &m_setMeta, &m_setUpstream, &m_setUpstreamAndResponse,
                 &m_begin, &m_commit, &m_rollback})
            s->finalize();
        m_file.close();
        m_db = nullptr;
        m_cleanOnDisk = false;
        m_walFrames = 0;
        lastSeq = lastId = 0;
    }

    bool applySynchronous(bool full, std::string* error)
    {
        return exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", error);
    }

    bool writeMeta(const char* key, std::string_view value, std::string* error)
    {
        m_setMeta.bindText(1, key);
        m_setMeta.bindTextOrBlob(2, value);
        return m_setMeta.run(error);
    }

    /** Says the file was closed on purpose (the next commit says otherwise) and folds the WAL into the file. */
    bool markClean(std::string* error)
    {
        if (!writeMeta("clean", "1", error))
            return false;
        m_cleanOnDisk = true;
        sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
        m_walFrames = 0;
        return true;
    }

    /** One transaction with the requests, events and upstream updates of \a group. */
    bool commit(const std::vector<const Job*>& group, std::string* error)
    {
        bool anything = false;
        for (const Job* j : group)
            anything = anything || !j->items.empty() || !j->upstreams.empty();
        if (!anything)
            return true;
        if (!m_db) {
            *error = "the session file is not open";
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
                m_rollback.run(nullptr);
            return false;
        }
        lastSeq = maxSeq;
        lastId = maxId;
        m_cleanOnDisk = false;
        return true;
    }

    /**
     * Checkpoints (PASSIVE: never waits for readers) once the WAL is long, between commits rather than inside
     * one (SQLite's own auto-checkpoint is off): when no commit is waiting, or when the WAL has grown a lot.
     */
    void maybeCheckpoint(bool idle)
    {
        if (!m_db || m_walFrames < kCheckpointFrames || (!idle && m_walFrames < kForcedCheckpointFrames))
            return;
        int logFrames = 0;
        int copied = 0;
        if (sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied) == SQLITE_OK
            && copied == logFrames)
            m_walFrames = 0; // all copied: the next commit starts the WAL over
    }

private:
    static int onWal(void* self, sqlite3*, const char*, int frames)
    {
        static_cast<Writer*>(self)->m_walFrames = frames;
        return SQLITE_OK;
    }

    std::string errorText() const { return m_file.errorText(); }

    bool exec(const char* sql, std::string* error) { return m_file.exec(sql, error); }

    /** The first column of the first row of \a sql. */
    bool queryInt(const char* sql, qint64& out, std::string* error)
    {
        Statement s;
        if (s.prepare(m_db, sql) && s.next()) {
            out = s.int64(0);
            return true;
        }
        *error = s.ok() ? std::string("no result (") + sql + ')' : s.errorText();
        return false;
    }

    /** Brings a file of an older schema (\a version) to kSchemaVersion, in one transaction. */
    bool migrate(int version, std::string* error)
    {
        if (version >= journal::kSchemaVersion)
            return true;
        if (!exec("BEGIN", error))
            return false;
        // Version 1 had no requests.recordings: its /s/ requests read as 0 recordings (their count is lost; the
        // requests and their bodies stay).
        bool ok = version >= 2 || exec(journal::kAddRecordings, error);
        if (ok && !m_setMeta.prepare(m_db, kSetMeta)) {
            *error = errorText();
            ok = false;
        }
        ok = ok && writeMeta("schema", std::to_string(journal::kSchemaVersion), error) && exec("COMMIT", error);
        if (!ok && !sqlite3_get_autocommit(m_db))
            exec("ROLLBACK", nullptr);
        return ok;
    }

    QString openFile(const QString& file, const std::string& contractOrigin, bool synchronousFull)
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
        if (!queryInt("SELECT count(*) FROM sqlite_master", tables, &why))
            return prefix + QStringLiteral("not an EventLens session (") + qs(why) + u')';
        const bool fresh = tables == 0;
        int version = journal::kSchemaVersion;
        if (!fresh) {
            QString error;
            journal::Meta meta;
            if (!journal::readMeta(m_db, file, meta, &error) || !journal::checkSchema(meta, file, &error, &version))
                return error;
        }
        QString mode;
        {
            Statement s;
            if (!s.prepare(m_db, "PRAGMA journal_mode=WAL") || !s.next())
                return prefix + qs(s.ok() ? std::string("no result (PRAGMA journal_mode=WAL)") : s.errorText());
            mode = QString::fromStdString(s.bytes(0));
        }
        if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
            return prefix + QStringLiteral("cannot switch to WAL mode (") + mode + u')';
        if (!applySynchronous(synchronousFull, &why) || !exec(kCacheSize, &why))
            return prefix + qs(why);
        if (!fresh && !migrate(version, &why))
            return prefix + QStringLiteral("cannot update the session schema (") + qs(why) + u')';

        if (fresh) {
            if (!exec("BEGIN", &why))
                return prefix + qs(why);
            const auto abort = [&](const std::string& what) -> QString {
                exec("ROLLBACK", nullptr);
                return prefix + qs(what);
            };
            for (const char* sql : journal::kSchema) {
                if (!exec(sql, &why))
                    return abort(why);
            }
            if (!exec(("PRAGMA application_id=" + std::to_string(journal::kApplicationId)).c_str(), &why))
                return abort(why);
            if (!m_setMeta.prepare(m_db, kSetMeta))
                return abort(errorText());
            const std::pair<const char*, std::string> initial[] = {
                {"schema", std::to_string(journal::kSchemaVersion)},
                {"created_ms", std::to_string(nowMs())},
                {"created_by", "EventLens " EVENTLENS_VERSION},
                {"contract_origin", contractOrigin},
                {"clean", "0"},
            };
            for (const auto& [key, value] : initial) {
                if (!writeMeta(key, value, &why))
                    return abort(why);
            }
            if (!exec("COMMIT", &why))
                return abort(why);
        }

        if (!queryInt("SELECT COALESCE(MAX(seq), 0) FROM events", lastSeq, &why)
            || !queryInt("SELECT COALESCE(MAX(id), 0) FROM requests", lastId, &why))
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
        if (!writeMeta("clean", "0", &why))
            return prefix + qs(why);
        if (!fresh && !contractOrigin.empty() && !writeMeta("contract_origin", contractOrigin, &why))
            return prefix + qs(why);
        m_cleanOnDisk = false;
        // Checkpoints happen between commits (maybeCheckpoint()), not inside them: this replaces SQLite's
        // auto-checkpoint hook.
        sqlite3_wal_hook(m_db, &Writer::onWal, this);
        return {};
    }

    bool insert(const WriteItem& item, std::string* error)
    {
        const JournalRequest& r = item.request;
        const std::string headers = journal::headersToText(r.headers);
        const std::string responseHeaders = journal::headersToText(r.responseHeaders);
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
            *error = "request " + std::to_string(r.id) + ": " + *error;
            return false;
        }
        Statement& ie = m_insertEvent;
        for (const EventPtr& e : item.events) {
            const std::string& text = eventText(*e);
            ie.bind(1, e->seq);
            ie.bind(2, r.id);
            ie.bind(3, e->receivedMs);
            ie.bindText(4, text);
            ie.bindTextOrBlob(5, e->endpoint());
            ie.bindTextOrBlob(6, e->userAgent());
            if (!ie.run(error)) {
                *error = "event " + std::to_string(e->seq) + ": " + *error;
                return false;
            }
        }
        return true;
    }

    bool writeUpstream(const Upstream& u, std::string* error)
    {
        const bool answered = u.status > 0;
        Statement& s = answered ? m_setUpstreamAndResponse : m_setUpstream;
        const std::string headers = answered ? journal::headersToText(u.headers) : std::string();
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
        *error = "upstream of request " + std::to_string(u.id) + ": " + *error;
        return false;
    }

    sqlite::Database m_file;
    sqlite3* m_db = nullptr; ///< m_file's handle
    Statement m_insertRequest;
    Statement m_insertEvent;
    Statement m_setMeta;
    Statement m_setUpstream;
    Statement m_setUpstreamAndResponse;
    Statement m_begin;
    Statement m_commit;
    Statement m_rollback;
    bool m_cleanOnDisk = false; ///< the file says clean=1: the next commit sets it back to 0
    int m_walFrames = 0; ///< WAL length after the last commit (sqlite3_wal_hook)
};

} // namespace

// ---------------------------------------------------------------------------------------------------------------------
// helpers on JournalRequest

bool isRejected(const JournalRequest& request)
{
    return request.status >= 400 || !request.reason.empty();
}

RejectedRequest toRejected(const JournalRequest& request)
{
    return makeRejected(request, request.id, request.receivedMs, request.status, request.reason);
}

// ---------------------------------------------------------------------------------------------------------------------
// SessionJournal
//
// Threads: the owner thread (the one the SessionJournal lives in) queues appends in `queue` and hands them to the
// writer thread as one Job (timer or threshold); the writer commits everything handed to it since its last
// commit in one transaction and reports a Result per Job. The owner thread runs the callbacks (`waiting`, in
// append order) once their Job's Result is back: from an event the writer posts, or at once in flush(). Only
// the writer thread touches the SQLite connection; `mutex` guards inbox, stopping, completed, finished and
// notifyPosted.

struct SessionJournal::Private
{
    struct Pending
    {
        JournalRequest request;
        std::vector<EventPtr> events;
        std::function<void(bool)> onDurable;
        QString refused; ///< set when append() refused it (ids out of order): answered false, never written
    };
    /** A callback waiting for its Job. */
    struct Waiting
    {
        quint64 job = 0;
        std::function<void(bool)> onDurable;
        bool refused = false;
    };

    explicit Private(SessionJournal* owner)
        : q(owner)
        , receiver(new ResultsReceiver(owner, [this] { drain(); }))
    { }

    SessionJournal* const q;
    ResultsReceiver* const receiver; ///< owned by q

    // owner thread only
    QString path;
    bool open = false;
    std::vector<Pending> queue; ///< appended, not handed to the writer yet
    std::vector<Upstream> upstreams; ///< updateUpstream() of requests already handed to the writer
    std::deque<Waiting> waiting; ///< handed to the writer, not answered yet, in append order
    std::deque<Result> results; ///< back from the writer, for `waiting`
    QTimer timer;
    int delayMs = 1;
    int threshold = 256;
    bool synchronousFull = false;
    quint64 jobs = 0; ///< Jobs handed to the writer (their numbers are 1..jobs)
    quint64 lastBatch = 0; ///< number of the last batch Job
    quint64 resultsUpTo = 0; ///< the last batch Result taken from the writer
    quint64 lastFailed = 0; ///< the last batch whose commit failed
    qint64 lastSeq = 0; ///< committed
    qint64 lastId = 0;
    qint64 queuedSeq = 0; ///< committed or queued
    qint64 queuedId = 0;
    std::string contractOrigin;
    QString lastError;

    // the writer thread
    Writer writer; ///< used by the writer thread only (while it runs)
    std::thread thread;
    std::mutex mutex;
    std::condition_variable workCv; ///< the writer waits for inbox / stopping
    std::condition_variable doneCv; ///< flush() waits for completed
    std::deque<Job> inbox;
    bool stopping = false;
    quint64 completed = 0; ///< Jobs done, in order
    std::vector<Result> finished; ///< Results not taken by the owner thread yet
    bool notifyPosted = false; ///< a queued drain() is on its way to the owner thread

    void startWriter()
    {
        stopping = false;
        thread = std::thread([this] { run(); });
    }

    /** Stops the writer thread once it has done everything handed to it. */
    void stopWriter()
    {
        if (!thread.joinable())
            return;
        {
            std::lock_guard<std::mutex> lock(mutex);
            stopping = true;
        }
        workCv.notify_one();
        thread.join();
    }

    void push(Job job)
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            inbox.push_back(std::move(job));
        }
        workCv.notify_one();
    }

    void waitFor(quint64 job)
    {
        std::unique_lock<std::mutex> lock(mutex);
        doneCv.wait(lock, [&] { return completed >= job; });
    }

    /** Runs \a command on the writer thread and waits for it. */
    void call(std::function<void()> command)
    {
        Job job;
        job.number = ++jobs;
        job.command = std::move(command);
        push(std::move(job));
        waitFor(jobs);
    }

    /** Hands what is queued to the writer (the group commit); does not wait. */
    void submit()
    {
        timer.stop();
        if (queue.empty() && upstreams.empty())
            return;
        Job job;
        job.number = ++jobs;
        lastBatch = job.number;
        job.items.reserve(queue.size());
        for (Pending& p : queue) {
            const bool refused = !p.refused.isEmpty();
            waiting.push_back({job.number, std::move(p.onDurable), refused});
            if (!refused)
                job.items.push_back({std::move(p.request), std::move(p.events)});
        }
        queue.clear();
        job.upstreams.swap(upstreams);
        push(std::move(job));
    }

    /** The writer thread's loop: takes everything handed to it, commits neighbouring batches as one transaction. */
    void run()
    {
#ifdef __linux__
        pthread_setname_np(pthread_self(), "el-journal");
#endif
        std::deque<Job> work;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex);
                workCv.wait(lock, [&] { return !inbox.empty() || stopping; });
                if (inbox.empty())
                    break;
                work.swap(inbox);
            }
            for (auto it = work.begin(); it != work.end();) {
                if (it->command) {
                    it->command();
                    done(it->number, {});
                    ++it;
                    continue;
                }
                auto end = it;
                while (end != work.end() && !end->command)
                    ++end;
                std::vector<const Job*> group;
                for (auto j = it; j != end; ++j)
                    group.push_back(&*j);
                std::string error;
                bool ok = false;
                try {
                    ok = writer.commit(group, &error);
                } catch (const std::exception& e) {
                    error = std::string("internal error: ") + e.what();
                }
                std::vector<Result> out;
                out.reserve(group.size());
                for (const Job* j : group)
                    out.push_back({j->number, ok, error, writer.lastSeq, writer.lastId});
                done(group.back()->number, std::move(out));
                it = end;
            }
            work.clear(); // the requests and the last references to events are freed here, off the owner thread
            bool idle;
            {
                std::lock_guard<std::mutex> lock(mutex);
                idle = inbox.empty();
            }
            writer.maybeCheckpoint(idle);
        }
        writer.close();
    }

    /** The writer finished Job \a number (and every one before it). */
    void done(quint64 number, std::vector<Result> out)
    {
        bool post = false;
        {
            std::lock_guard<std::mutex> lock(mutex);
            completed = number;
            for (Result& r : out)
                finished.push_back(std::move(r));
            if (!finished.empty() && !notifyPosted)
                post = notifyPosted = true;
        }
        doneCv.notify_all();
        if (post)
            QCoreApplication::postEvent(receiver, new QEvent(ResultsReceiver::eventType()));
    }

    /**
     * Owner thread: takes the writer's Results and runs the callbacks they answer, in append order. False when a
     * callback destroyed the journal.
     */
    bool drain()
    {
        std::vector<Result> got;
        {
            std::lock_guard<std::mutex> lock(mutex);
            got.swap(finished);
            notifyPosted = false;
        }
        for (Result& r : got) {
            resultsUpTo = r.number;
            lastSeq = std::max(lastSeq, r.lastSeq);
            lastId = std::max(lastId, r.lastId);
            if (!r.ok) {
                lastFailed = r.number;
                lastError = QStringLiteral("cannot write %1: %2").arg(path, qs(r.error));
                // Nothing of this batch is on disk: later appends may reuse its ids (unless later ones are out).
                if (r.number == lastBatch && queue.empty()) {
                    queuedSeq = lastSeq;
                    queuedId = lastId;
                }
            }
            results.push_back(std::move(r));
        }
        // A callback may append (queued for a later commit) or flush (which answers the next ones from inside
        // this loop, still in order: each callback is taken off `waiting` before it runs), or even destroy the
        // journal.
        const QPointer<SessionJournal> alive(q);
        while (!waiting.empty()) {
            const quint64 job = waiting.front().job;
            while (!results.empty() && results.front().number < job)
                results.pop_front();
            if (results.empty() || results.front().number != job)
                break; // not committed yet
            const bool ok = results.front().ok && !waiting.front().refused;
            std::function<void(bool)> onDurable = std::move(waiting.front().onDurable);
            waiting.pop_front();
            if (onDurable) {
                onDurable(ok);
                if (!alive)
                    return false;
            }
        }
        if (waiting.empty())
            results.clear();
        return true;
    }

    /** Hands everything over, waits for the writer, runs the callbacks; false if a commit not reported yet failed. */
    bool flush()
    {
        if (!open)
            return false;
        const quint64 from = resultsUpTo + 1;
        submit();
        waitFor(jobs);
        if (!drain())
            return false;
        return lastFailed < from;
    }
};

SessionJournal::SessionJournal(QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this))
{
    d->timer.setSingleShot(true);
    d->timer.setTimerType(Qt::PreciseTimer);
    connect(&d->timer, &QTimer::timeout, this, [this] { d->submit(); });
}

SessionJournal::~SessionJournal()
{
    close();
}

bool SessionJournal::open(const QString& path, QString* error)
{
    close();
    d->lastError.clear();
    QString why;
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        why = QStringLiteral("cannot create the directory %1").arg(info.absolutePath());
    } else {
        d->startWriter();
        qint64 seq = 0;
        qint64 id = 0;
        d->call([&] {
            why = d->writer.open(path, d->contractOrigin, d->synchronousFull);
            seq = d->writer.lastSeq;
            id = d->writer.lastId;
        });
        if (why.isEmpty()) {
            d->lastSeq = d->queuedSeq = seq;
            d->lastId = d->queuedId = id;
        } else {
            d->stopWriter();
        }
    }
    if (!why.isEmpty()) {
        d->lastError = why;
        if (error)
            *error = why;
        return false;
    }
    d->path = path;
    d->open = true;
    return true;
}

bool SessionJournal::isOpen() const
{
    return d->open;
}

QString SessionJournal::path() const
{
    return d->path;
}

void SessionJournal::close()
{
    if (d->open) {
        d->flush();
        d->open = false;
        d->stopWriter(); // it finishes what it was handed first
        d->drain();
    }
    d->timer.stop();
    d->upstreams.clear();
    // Appended by callbacks during the last flush, or never handed over: nothing can be written any more.
    std::vector<Private::Pending> left;
    left.swap(d->queue);
    std::deque<Private::Waiting> unanswered;
    unanswered.swap(d->waiting);
    d->results.clear();
    d->lastSeq = d->lastId = d->queuedSeq = d->queuedId = 0;
    {
        std::lock_guard<std::mutex> lock(d->mutex);
        d->inbox.clear();
        d->finished.clear();
    }
    for (Private::Waiting& w : unanswered) {
        if (w.onDurable)
            w.onDurable(false);
    }
    for (Private::Pending& p : left) {
        if (p.onDurable)
            p.onDurable(false);
    }
}

void SessionJournal::setContractOrigin(const std::string& origin)
{
    d->contractOrigin = origin;
    if (!d->open)
        return;
    std::string why;
    d->call([&] { d->writer.writeMeta("contract_origin", origin, &why); });
    if (!why.empty())
        d->lastError = QStringLiteral("cannot write %1: %2").arg(d->path, qs(why));
}

qint64 SessionJournal::lastSeq() const
{
    return d->lastSeq;
}

qint64 SessionJournal::lastRequestId() const
{
    return d->lastId;
}

void SessionJournal::append(
    JournalRequest request, std::vector<EventPtr> events, std::function<void(bool ok)> onDurable)
{
    if (!d->open) {
        d->lastError = QStringLiteral("the session file is not open");
        if (onDurable)
            onDurable(false);
        return;
    }
    Private::Pending p;
    if (request.id == 0)
        request.id = d->queuedId + 1;
    if (request.id <= d->queuedId) {
        p.refused
            = QStringLiteral("request id %1 is not after the last one journaled (%2)").arg(request.id).arg(d->queuedId);
    } else {
        qint64 seq = d->queuedSeq;
        for (const EventPtr& e : events) {
            if (!e || e->seq <= seq) {
                p.refused = QStringLiteral("event seq %1 is not after the last one journaled (%2)")
                                .arg(e ? e->seq : 0)
                                .arg(seq);
                break;
            }
            seq = e->seq;
        }
        if (p.refused.isEmpty()) {
            d->queuedId = request.id;
            d->queuedSeq = seq;
        }
    }
    if (!p.refused.isEmpty()) {
        p.refused = QStringLiteral("cannot journal request %1: ").arg(request.id) + p.refused;
        d->lastError = p.refused;
    }
    p.request = std::move(request);
    p.events = std::move(events);
    p.onDurable = std::move(onDurable);
    d->queue.push_back(std::move(p));

    // Handing over never runs callbacks: safe from inside one.
    if (int(d->queue.size()) >= d->threshold)
        d->submit();
    else if (!d->timer.isActive())
        d->timer.start(d->delayMs);
}

void SessionJournal::updateUpstream(qint64 id, int status, qint64 latencyMs, const std::string& error,
    const Headers& responseHeaders, const std::string& responseBody)
{
    if (!d->open)
        return;
    // Still queued here: the request is written with it.
    for (auto it = d->queue.rbegin(); it != d->queue.rend(); ++it) {
        JournalRequest& r = it->request;
        if (r.id != id)
            continue;
        r.upstreamStatus = status;
        r.upstreamMs = latencyMs;
        r.upstreamError = error;
        if (status > 0) {
            r.responseHeaders = responseHeaders;
            r.responseBody = responseBody;
        }
        return;
    }
    // Handed to the writer already: an UPDATE in a later transaction (committed or not, the insert comes first).
    d->upstreams.push_back({id, status, latencyMs, error, responseHeaders, responseBody});
    if (!d->timer.isActive())
        d->timer.start(d->delayMs);
}

bool SessionJournal::flush()
{
    return d->flush();
}

void SessionJournal::markClean()
{
    if (!d->open || !flush())
        return;
    std::string why;
    d->call([&] { d->writer.markClean(&why); });
    if (!why.empty())
        d->lastError = QStringLiteral("cannot write %1: %2").arg(d->path, qs(why));
}

QString SessionJournal::lastError() const
{
    return d->lastError;
}

int SessionJournal::pendingCount() const
{
    return int(d->queue.size() + d->waiting.size());
}

void SessionJournal::setCommitDelay(int ms)
{
    d->delayMs = std::max(0, ms);
}

void SessionJournal::setCommitThreshold(int requests)
{
    d->threshold = std::max(1, requests);
}

void SessionJournal::setSynchronousFull(bool full)
{
    d->synchronousFull = full;
    if (!d->open)
        return;
    std::string why;
    d->call([&] { d->writer.applySynchronous(full, &why); });
    if (!why.empty())
        d->lastError = qs(why);
}

} // namespace el
