// SPDX-License-Identifier: MIT
// The session journal on the owner thread: append() queues, the queue goes to the writer thread as one job (group
// commit), and the callbacks run back here in append order. The writer's SQLite side is in journalwriter.cpp;
// reading a session file back is in journalreader.cpp, and where session files live in sessionfiles.cpp.
#include "journal.h"

#include "journalwriter.h"
#include "util/qtext.h"

#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QPointer>
#include <QTimer>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#ifdef __linux__
#include <pthread.h>
#endif

namespace el {

using journal::Job;
using journal::Result;
using journal::Upstream;
using journal::Writer;

namespace {

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

} // namespace

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
    int delayMs = 0; ///< 0: at the next turn of the event loop
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

    /** lastError() when writing to the file failed \a why. */
    QString cannotWrite(const std::string& why) const
    {
        return QStringLiteral("cannot write %1: %2").arg(path, qs(why));
    }

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
                    ok = writer.commit(group, error);
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
                lastError = cannotWrite(r.error);
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

bool SessionJournal::open(const QString& path, std::string& error)
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
        error = why.toStdString();
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
    d->call([&] { d->writer.writeMeta("contract_origin", origin, why); });
    if (!why.empty())
        d->lastError = d->cannotWrite(why);
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
    d->call([&] { d->writer.markClean(why); });
    if (!why.empty())
        d->lastError = d->cannotWrite(why);
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
    d->call([&] { d->writer.applySynchronous(full, why); });
    if (!why.empty())
        d->lastError = qs(why);
}

} // namespace el
