// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <vector>

namespace el {

/** \brief One request as journaled: what arrived, what was answered, what the upstream said. */
struct JournalRequest
{
    qint64 id = 0;
    qint64 receivedMs = 0;
    std::string method;
    std::string path;
    std::string query;
    Headers headers;
    std::string body; ///< raw bytes as received
    std::string peer;
    int status = 200; ///< what the client was answered
    std::string reason; ///< rejection reason, empty when accepted
    Headers responseHeaders;
    std::string responseBody;
    int upstreamStatus = 0; ///< 0 = no upstream (sink only); -1 = upstream unreachable / timed out
    qint64 upstreamMs = -1; ///< upstream latency, -1 when none
    std::string upstreamError;
    qint64 recordings = 0; ///< accepted /s/ request: the recording events it held (counted, not journaled as events)
    /// An NDJSON / JSON import, which holds no HTTP request: where in the file \c body (what the file had for the
    /// request's events) comes from, "events.ndjson:12" or "events.json[3]"; method and path are empty. Empty for
    /// requests that came over the wire or from a HAR (never journaled).
    std::string source;
};

/** \brief Everything a session file holds, read back. */
struct SessionData
{
    std::vector<JournalRequest> requests;
    std::vector<Event> events; ///< in seq order
    std::string contractOrigin; ///< the contract the session was recorded with
    qint64 createdMs = 0;

    // Additions (not in the file schema; filled by load() / importFile()):
    std::string format; ///< "elsession", "har" or "ndjson"
    bool clean = true; ///< elsession: the file was closed cleanly (false: recovered after a crash)
    qint64 recordings = 0; ///< $snapshot events in accepted /s/ requests (counted, not listed, as live)
    int skippedRequests = 0; ///< HAR import: entries that are not PostHog ingest requests (ignored)
    std::vector<Violation> violations; ///< NDJSON import: the violations the export recorded (informational)
};

/** A request the sink refused (status >= 400 or a reason). */
bool isRejected(const JournalRequest& request);
/** The RejectedRequest the live sink would have kept for \a request (EventStore::addRejected). */
RejectedRequest toRejected(const JournalRequest& request);

/**
 * \brief The session file: an SQLite database (WAL) that journals every request and its
 * events before the client gets its 2xx.
 *
 * append() queues; within a few milliseconds (or at once when many are queued) the queue goes to a
 * writer thread, which commits everything handed to it since its last commit as one transaction (a
 * group commit) through its own SQLite connection. Every \c onDurable callback then runs on the thread
 * that owns the journal, in append order. The IngestServer answers the client from that callback, so an
 * acknowledged event is always on disk. Reading (load(), readRequest(), wasClean()) opens its own read-only connection
 * (journalreader.cpp); both use the SQLite C API through store/sqlite.h.
 */
class SessionJournal final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionJournal)
public:
    explicit SessionJournal(QObject* parent = nullptr);
    ~SessionJournal() override;

    /** Opens or creates \a path. Existing content stays (appending continues after the last seq/id). */
    bool open(const QString& path, std::string& error);
    bool isOpen() const;
    QString path() const;
    void close();

    void setContractOrigin(const std::string& origin);
    /** Highest seq and request id already in the file (0 when empty). */
    qint64 lastSeq() const;
    qint64 lastRequestId() const;

    /** Queues a request and its events; \a onDurable runs after they are committed (or on failure, with ok=false). */
    void append(JournalRequest request, std::vector<EventPtr> events, std::function<void(bool ok)> onDurable);
    /**
     * Records what the upstream answered for request \a id (written with the next group commit, or with the
     * request itself while it is still queued). When \a status > 0 the upstream's headers and body become the
     * journaled response (what a pass-through client got); otherwise only upstream_* change.
     */
    void updateUpstream(qint64 id, int status, qint64 latencyMs, const std::string& error,
        const Headers& responseHeaders, const std::string& responseBody);
    /**
     * Commits what is queued now (blocking): waits for the writer thread, then runs the callbacks of
     * everything committed. False when one of the commits it waited for failed (lastError() says why).
     */
    bool flush();
    /** Marks the file as cleanly closed (a file not marked was interrupted: recovered on next start). */
    void markClean();

    /** Why the last open() or commit failed (empty when none did). */
    QString lastError() const;
    /** Requests queued and not yet answered (committed or not). */
    int pendingCount() const;
    /**
     * Group-commit delay in ms before the queue goes to the writer (default 0: at the next turn of the event loop,
     * with everything appended in this one). Requests that come while the writer commits wait for it and share the
     * next transaction, whatever the delay.
     */
    void setCommitDelay(int ms);
    /** Queue length that goes to the writer at once, inside append() (default 256). */
    void setCommitThreshold(int requests);
    /**
     * PRAGMA synchronous: NORMAL (default) survives a process crash (kill -9) but may lose the last
     * commits on power loss or an OS crash; FULL also survives those, at the cost of an fsync per commit.
     */
    void setSynchronousFull(bool full);

    /** Reads a whole session file (read-only). */
    static bool load(const QString& path, SessionData& out, std::string& error);
    /**
     * Reads request \a id of the session file \a path into \a out (read-only, by its key: as fast for the last
     * request of a large file as for the first; a writer may be appending meanwhile). Only what is committed is
     * there: flush() the journal first for a request appended just now. False with \a error when the file cannot
     * be read or holds no such request.
     */
    static bool readRequest(const QString& path, qint64 id, JournalRequest& out, std::string& error);
    /** Whether the file was closed cleanly. */
    static bool wasClean(const QString& path);

    /** Default directory for session files (QStandardPaths::AppDataLocation + "/sessions"). */
    static QString defaultDirectory();
    /** A new file name in defaultDirectory(), by date and time: eventlens-2026-11-26_07-30-12.elsession */
    static QString newDefaultPath();
    /** Capture files in defaultDirectory(), newest first. */
    static QStringList recentSessions(int max = 20);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace el
