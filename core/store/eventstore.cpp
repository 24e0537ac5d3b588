// SPDX-License-Identifier: MIT
#include "eventstore.h"

#include <algorithm>

namespace el {

EventStore::EventStore(QObject* parent)
    : QObject(parent)
{ }

void EventStore::appendEvents(std::vector<Event> events)
{
    std::vector<EventPtr> shared;
    shared.reserve(events.size());
    for (Event& e : events)
        shared.push_back(std::make_shared<const Event>(std::move(e)));
    appendShared(std::move(shared));
}

void EventStore::appendShared(std::vector<EventPtr> events)
{
    if (events.empty())
        return;
    const qint64 first = m_nextSeq;
    for (EventPtr& e : events) {
        Q_ASSERT(e->seq >= m_nextSeq);
        m_nextSeq = e->seq + 1;
        m_events.push_back(std::move(e));
        m_marks.emplace_back();
    }
    if (m_maxEvents && m_events.size() > m_maxEvents) {
        // Oldest first; the GUI's model holds its own references, so rows it shows stay valid.
        while (m_events.size() > m_maxEvents) {
            m_events.pop_front();
            m_marks.pop_front();
            ++m_trimmed;
        }
        // Violations whose events all left memory go too.
        const qint64 firstSeq = m_events.front()->seq;
        while (!m_violations.empty()
            && std::all_of(m_violations.front().seqs.begin(), m_violations.front().seqs.end(),
                [firstSeq](qint64 s) { return s < firstSeq; })) {
            m_violations.pop_front();
            ++m_violationBase;
        }
        trimUpstream();
    }
    Q_EMIT eventsAdded(first, m_nextSeq - 1);
}

void EventStore::trimUpstream()
{
    if (m_upstream.empty() || m_events.empty())
        return;
    qint64 oldest = m_events.front()->requestId;
    if (!m_rejected.empty())
        oldest = std::min(oldest, m_rejected.front().id);
    m_upstream.erase(m_upstream.begin(), m_upstream.lower_bound(oldest));
}

void EventStore::addRejected(RejectedRequest rejected)
{
    const qint64 id = rejected.id;
    m_rejected.push_back(std::move(rejected));
    if (m_rejected.size() > kMaxRejectedInMemory) {
        m_rejected.pop_front();
        Q_EMIT rejectedTrimmed(1);
    }
    Q_EMIT rejectedAdded(id);
}

void EventStore::addViolations(const std::vector<Violation>& violations)
{
    if (violations.empty())
        return;
    std::vector<qint64> touched;
    for (const Violation& v : violations) {
        const std::size_t index = m_violationBase + m_violations.size();
        m_violations.push_back(v);
        const bool error = v.severity == Severity::Error;
        (error ? m_errorTotal : m_warningTotal)++;
        for (qint64 seq : v.seqs) {
            touched.push_back(seq);
            // Attached to each event it names that is in memory (a seq named twice counts once).
            const std::size_t at = positionOf(seq);
            if (at == npos)
                continue;
            Marks& marks = m_marks[at];
            if (!marks.violations.empty() && marks.violations.back() == index)
                continue;
            marks.violations.push_back(index);
            (error ? marks.errors : marks.warnings)++;
        }
    }
    Q_EMIT violationsAdded(std::move(touched));
}

void EventStore::clearViolations()
{
    m_violations.clear();
    m_violationBase = 0;
    m_errorTotal = m_warningTotal = 0;
    for (Marks& marks : m_marks)
        marks = Marks {};
    Q_EMIT violationsCleared();
}

void EventStore::clear()
{
    m_events.clear();
    m_marks.clear();
    m_rejected.clear();
    m_violations.clear();
    m_violationBase = 0;
    m_errorTotal = m_warningTotal = 0;
    m_recordings = 0;
    m_trimmed = 0;
    m_upstream.clear();
    Q_EMIT cleared();
}

void EventStore::setUpstream(qint64 requestId, Upstream upstream)
{
    m_upstream[requestId] = std::move(upstream);
    Q_EMIT upstreamAnswered(requestId);
}

const EventStore::Upstream* EventStore::upstream(qint64 requestId) const
{
    const auto it = m_upstream.find(requestId);
    return it == m_upstream.end() ? nullptr : &it->second;
}

std::size_t EventStore::positionOf(qint64 seq) const
{
    if (m_events.empty() || seq < m_events.front()->seq || seq > m_events.back()->seq)
        return npos;
    // The live sink numbers without gaps (trimming only drops the front): the position follows from the seq.
    const auto index = static_cast<std::size_t>(seq - m_events.front()->seq);
    if (index < m_events.size() && m_events[index]->seq == seq)
        return index;
    // An import keeps an export's seqs, which may have gaps; events are sorted by seq.
    const auto it = std::lower_bound(
        m_events.begin(), m_events.end(), seq, [](const EventPtr& e, qint64 s) { return e->seq < s; });
    return it != m_events.end() && (*it)->seq == seq ? static_cast<std::size_t>(it - m_events.begin()) : npos;
}

EventPtr EventStore::eventBySeq(qint64 seq) const
{
    const std::size_t at = positionOf(seq);
    return at == npos ? EventPtr {} : m_events[at];
}

std::vector<const Violation*> EventStore::violationsFor(qint64 seq) const
{
    std::vector<const Violation*> out;
    const std::size_t at = positionOf(seq);
    if (at == npos)
        return out;
    for (std::size_t i : m_marks[at].violations)
        if (i >= m_violationBase)
            out.push_back(&m_violations[i - m_violationBase]);
    return out;
}

int EventStore::errorCount(qint64 seq) const
{
    const std::size_t at = positionOf(seq);
    return at == npos ? 0 : m_marks[at].errors;
}

int EventStore::warningCount(qint64 seq) const
{
    const std::size_t at = positionOf(seq);
    return at == npos ? 0 : m_marks[at].warnings;
}

Json EventStore::eventJson(const Event& event) const
{
    Json j = event.toJson();
    if (const Upstream* up = upstream(event.requestId)) {
        j["upstream"] = Json {{"status", up->status}, {"latency_ms", up->latencyMs}};
        if (!up->error.empty())
            j["upstream"]["error"] = up->error;
    }
    Json list = Json::array();
    for (const Violation* v : violationsFor(event.seq))
        list.push_back(v->toJson());
    j["violations"] = std::move(list);
    return j;
}

} // namespace el
