// SPDX-License-Identifier: MIT
// The journal's writer thread side: its work items and its own SQLite connection to the session file.
// Internal to core/store (journal.cpp hands it work; journalwriter.cpp writes).
#pragma once

#include "journal.h"
#include "sqlite.h"

#include <QString>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace el::journal {

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
 * Checkpoints the session file's WAL on a thread of its own, with a second connection, so that the writer keeps
 * committing while the WAL is copied into the file. The writer asks for a pass (request()) and folds in the tail
 * that arrived during it (Writer::maybeCheckpoint()): a PASSIVE checkpoint never completes on its own while
 * commits keep coming, and only a completed one lets the next commit start the WAL over.
 */
class Checkpointer
{
public:
    Checkpointer() = default;
    ~Checkpointer() { stop(); }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    /** Opens its connection to \a file (already in WAL mode) and starts its thread; false if it cannot. */
    bool start(const std::string& file, bool synchronousFull);
    /** Ends the pass under way, if any, then the thread; closes the connection. */
    void stop();
    bool running() const { return m_thread.joinable(); }
    /** Asks for one pass, unless one is under way or asked for already. */
    void request();
    bool busy() const { return m_busy.load(std::memory_order_acquire); }
    /** What the last pass saw: the WAL's length (frames) and how many of them are in the file now. */
    struct Progress
    {
        int log = 0;
        int done = 0;
    };
    Progress progress() const;
    /** The WAL started over: the last pass's frame numbers mean nothing any more. */
    void forget();
    /** Holds off passes while the returned lock lives (the writer's own TRUNCATE checkpoint, a PRAGMA). */
    std::unique_lock<std::mutex> pause() { return std::unique_lock<std::mutex>(m_pass); }
    bool applySynchronous(bool full, std::string& error);

private:
    void run();

    sqlite::Database m_file; ///< used by the thread, and by the owner under m_pass
    std::thread m_thread;
    mutable std::mutex m_mutex; ///< m_requested, m_stopping, m_progress
    std::condition_variable m_cv;
    bool m_requested = false;
    bool m_stopping = false;
    Progress m_progress;
    std::mutex m_pass; ///< held during a pass
    std::atomic<bool> m_busy {false};
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
    QString open(const QString& file, const std::string& contractOrigin, bool synchronousFull);
    void close();
    bool applySynchronous(bool full, std::string& error);
    bool writeMeta(const char* key, std::string_view value, std::string& error);
    /** Says the file was closed on purpose (the next commit says otherwise) and folds the WAL into the file. */
    bool markClean(std::string& error);
    /** One transaction with the requests, events and upstream updates of \a group. */
    bool commit(const std::vector<const Job*>& group, std::string& error);
    /**
     * Keeps the WAL short, between commits rather than inside one (SQLite's own auto-checkpoint is off). Once the
     * WAL is long, the Checkpointer copies it on its own thread; the few frames committed meanwhile are copied here
     * (PASSIVE: never waits for readers), so that the next commit starts the WAL over. Without a Checkpointer (its
     * connection could not be opened), or when the WAL has grown a lot anyway, the writer checkpoints all of it
     * itself: when no commit is waiting (\a idle), or at once.
     */
    void maybeCheckpoint(bool idle);

private:
    static int onWal(void* self, sqlite3*, const char*, int frames);
    std::string errorText() const { return m_file.errorText(); }
    bool exec(const char* sql, std::string& error) { return m_file.exec(sql, error); }
    bool exec(const char* sql) { return m_file.exec(sql); }
    /** The first column of the first row of \a sql. */
    bool queryInt(const char* sql, qint64& out, std::string& error);
    /** Brings a file of an older schema (\a version) to kSchemaVersion, in one transaction. */
    bool migrate(int version, std::string& error);
    QString openFile(const QString& file, const std::string& contractOrigin, bool synchronousFull);
    bool insert(const WriteItem& item, std::string& error);
    bool writeUpstream(const Upstream& u, std::string& error);
    /** A PASSIVE checkpoint on the writer's connection; true when the whole WAL is in the file. */
    bool checkpointHere();

    sqlite::Database m_file;
    sqlite3* m_db = nullptr; ///< m_file's handle
    sqlite::Statement m_insertRequest;
    sqlite::Statement m_insertEvent;
    sqlite::Statement m_setMeta;
    sqlite::Statement m_setUpstream;
    sqlite::Statement m_setUpstreamAndResponse;
    sqlite::Statement m_begin;
    sqlite::Statement m_commit;
    sqlite::Statement m_rollback;
    bool m_cleanOnDisk = false; ///< the file says clean=1: the next commit sets it back to 0
    int m_walFrames = 0; ///< WAL length after the last commit (sqlite3_wal_hook)
    qint64 m_pageSize = 4096; ///< the file's page size: a WAL frame holds one page
    int m_walAtRequest = 0; ///< m_walFrames when the Checkpointer was last asked for a pass
    Checkpointer m_checkpointer;
};

} // namespace el::journal
