// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <QObject>

#include <deque>
#include <map>
#include <vector>

namespace el {

/**
 * \brief The in-memory session: accepted events, rejected requests and violations.
 *
 * Lives in the thread that owns it (the main thread); every mutation emits a signal that views
 * and the inspection API's long-polls listen to.
 */
class EventStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventStore)
public:
    explicit EventStore(QObject* parent = nullptr);

    qint64 nextSeq() const { return m_nextSeq; }
    qint64 takeRequestId() { return ++m_lastRequestId; }
    /** After loading a session: the next event gets seq lastSeq+1, the next request lastRequestId+1. */
    void resetCounters(qint64 lastSeq, qint64 lastRequestId)
    {
        m_nextSeq = lastSeq + 1;
        m_lastRequestId = lastRequestId;
    }

    /**
     * Bounds memory: only the newest \a maxEvents events stay in memory (0 = all). The session
     * file keeps everything; the API and re-validation see the in-memory window.
     */
    void setMaxEvents(std::size_t maxEvents) { m_maxEvents = maxEvents; }
    std::size_t maxEvents() const { return m_maxEvents; }
    /** Events dropped from memory so far (still in the session file). */
    qint64 trimmedCount() const { return m_trimmed; }
    /** Rejected requests kept in memory (newest); older ones stay in the session file. */
    static constexpr std::size_t kMaxRejectedInMemory = 10000;

    /** Appends events (seqs increasing, from nextSeq() on); emits eventsAdded. */
    void appendEvents(std::vector<Event> events);
    /** The same with events already shared (a loaded session judged in the background). */
    void appendShared(std::vector<EventPtr> events);
    void addRejected(RejectedRequest rejected);
    /** Attaches violations (each to every seq it names); emits violationsAdded. */
    void addViolations(const std::vector<Violation>& violations);
    /** Removes every violation (before a re-validation). */
    void clearViolations();
    void clear();

    const std::deque<EventPtr>& events() const { return m_events; }
    EventPtr eventBySeq(qint64 seq) const;
    const std::deque<RejectedRequest>& rejected() const { return m_rejected; }
    /** Violations in memory (those of events that left memory are evicted with them). */
    const std::deque<Violation>& violations() const { return m_violations; }
    /** Every violation counted since the last clear / re-validation, evicted or not. */
    qint64 errorTotal() const { return m_errorTotal; }
    qint64 warningTotal() const { return m_warningTotal; }
    /** Indexes into violations() of the violations naming \a seq. */
    std::vector<const Violation*> violationsFor(qint64 seq) const;
    int errorCount(qint64 seq) const;
    int warningCount(qint64 seq) const;
    qint64 recordingCount() const { return m_recordings; }
    qint64 requestCount() const { return m_lastRequestId; }
    void countRecordings(qint64 n) { m_recordings += n; }

    /** What the upstream answered for a forwarded request (pass-through mode). */
    struct Upstream
    {
        int status = 0; ///< HTTP status, or -1 when unreachable / timed out
        qint64 latencyMs = -1;
        std::string error;
    };
    void setUpstream(qint64 requestId, Upstream upstream);
    /** nullptr when the request was not forwarded (or not yet answered). */
    const Upstream* upstream(qint64 requestId) const;
    /** Upstream answers held in memory. */
    std::size_t upstreamCount() const { return m_upstream.size(); }

    /** The event as the API shows it, with its violations. */
    Json eventJson(const Event& event) const;

Q_SIGNALS:
    void upstreamAnswered(qint64 requestId);
    void eventsAdded(qint64 firstSeq, qint64 lastSeq);
    void rejectedAdded(qint64 id);
    /** The oldest \a count rejected requests left memory (the list is capped). */
    void rejectedTrimmed(int count);
    void violationsAdded(std::vector<qint64> seqs);
    void violationsCleared();
    void cleared();

private:
    /** Drops upstream answers of requests that neither an event nor a rejected request in memory has. */
    void trimUpstream();
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    /** Position of \a seq in m_events (and m_marks); npos when it is not in memory. */
    std::size_t positionOf(qint64 seq) const;

    /** What the store adds to one event: its violations. Events are immutable, so it is kept beside them. */
    struct Marks
    {
        std::vector<std::size_t> violations; ///< absolute indexes (m_violationBase on) into m_violations
        int errors = 0;
        int warnings = 0;
    };

    std::deque<EventPtr> m_events;
    std::deque<Marks> m_marks; ///< parallel to m_events: m_marks[i] belongs to m_events[i]
    qint64 m_nextSeq = 1;
    qint64 m_lastRequestId = 0;
    qint64 m_recordings = 0;
    /// By request id, ordered: entries older than every request still in memory leave with them.
    std::map<qint64, Upstream> m_upstream;
    std::size_t m_maxEvents = 0;
    qint64 m_trimmed = 0;
    std::deque<RejectedRequest> m_rejected;
    std::deque<Violation> m_violations;
    std::size_t m_violationBase = 0; ///< absolute index of m_violations.front()
    qint64 m_errorTotal = 0;
    qint64 m_warningTotal = 0;
};

} // namespace el
