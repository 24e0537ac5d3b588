// SPDX-License-Identifier: MIT
#include "eventtablemodel.h"

#include "store/eventstore.h"
#include "uiutil.h"

#include <algorithm>

namespace el::ui {

namespace {

constexpr int kManyRangesThreshold = 64;

QString clientText(const Event& e)
{
    if (e.lib().empty())
        return e.libVersion().empty() ? QString() : qs(e.libVersion());
    return e.libVersion().empty() ? qs(e.lib()) : qs(e.lib()) + u' ' + qs(e.libVersion());
}

} // namespace

bool EventTableModel::Row::setCounts(int errorCount, int warningCount)
{
    const auto clamp = [](int n) { return static_cast<std::uint16_t>(std::clamp(n, 0, 0xFFFF)); };
    const std::uint16_t e = clamp(errorCount);
    const std::uint16_t w = clamp(warningCount);
    const bool changed = e != errors || w != warnings;
    errors = e;
    warnings = w;
    return changed;
}

EventTableModel::EventTableModel(EventStore* store, QObject* parent)
    : QAbstractTableModel(parent)
    , m_store(store)
{
    m_boldFont.setWeight(QFont::DemiBold);
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(kDefaultFlushIntervalMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &EventTableModel::flush);
    connect(store, &EventStore::eventsAdded, this, &EventTableModel::onEventsAdded);
    connect(store, &EventStore::violationsAdded, this, &EventTableModel::onViolationsAdded);
    connect(store, &EventStore::violationsCleared, this, &EventTableModel::onViolationsCleared);
    connect(store, &EventStore::cleared, this, &EventTableModel::onCleared);
    // A window opened on a session that already has events shows them too.
    if (!store->events().empty())
        onEventsAdded(store->events().front()->seq, store->events().back()->seq);
}

EventTableModel::~EventTableModel() = default;

int EventTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int EventTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& r = m_rows[static_cast<std::size_t>(index.row())];
    const Event& e = *r.event;
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TimeColumn:
            return formatTime(e.receivedMs);
        case EventColumn:
            return qs(e.name());
        case RuntimeTypeColumn:
            return runtimeTypeText(e.runtimeType());
        case DistinctIdColumn:
            return qs(e.distinctId());
        case RunIdColumn:
            return e.hasRunId() ? jsonPreview(*e.runId(), 80) : QString();
        case ClientColumn:
            return clientText(e);
        case EndpointColumn:
            return qs(e.endpoint());
        case StatusColumn:
            return statusText(r.errors, r.warnings);
        }
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case TimeColumn:
            return tr("#%1 received %2").arg(e.seq).arg(formatTime(e.receivedMs, true));
        case RuntimeTypeColumn:
            return e.hasRuntimeType() ? tr("runtime_type = %1").arg(qs(std::string(e.field(Event::Field::RuntimeType))))
                                      : tr("runtime_type is missing");
        case StatusColumn: {
            if (r.errors + r.warnings == 0)
                return tr("No contract violations");
            QStringList lines;
            for (const Violation* v : m_store->violationsFor(e.seq)) {
                lines << QStringLiteral("%1 [%2] %3")
                             .arg(qs(std::string(toString(v->severity))), qs(v->rule), qs(v->message));
                if (lines.size() >= 12) {
                    lines << QStringLiteral("…");
                    break;
                }
            }
            return lines.join(u'\n');
        }
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::DecorationRole:
        if (column == StatusColumn)
            return statusIcon(r.errors, r.warnings);
        break;
    case Qt::BackgroundRole:
        if (r.errors > 0)
            return colors::errorRowBackground();
        break;
    case Qt::ForegroundRole:
        if (column == StatusColumn && r.errors > 0)
            return colors::error();
        if (column == StatusColumn && r.warnings > 0)
            return colors::warning();
        break;
    case Qt::FontRole:
        if (column == EventColumn)
            return m_boldFont;
        break;
    case SeqRole:
        return e.seq;
    case RuntimeKindRole:
        if (column == RuntimeTypeColumn)
            return static_cast<int>(r.kind);
        break;
    case ErrorCountRole:
        return r.errors;
    case WarningCountRole:
        return r.warnings;
    case SortRole:
        switch (column) {
        case TimeColumn:
            return e.seq;
        case RuntimeTypeColumn:
            return static_cast<int>(r.kind); // stable sort keeps arrival order within a kind
        case StatusColumn:
            return static_cast<qint64>(r.errors) * 1000000 + r.warnings;
        default:
            return data(index, Qt::DisplayRole);
        }
    default:
        break;
    }
    return {};
}

QVariant EventTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case TimeColumn:
            return tr("Time");
        case EventColumn:
            return tr("Event");
        case RuntimeTypeColumn:
            return QStringLiteral("runtime_type");
        case DistinctIdColumn:
            return QStringLiteral("distinct_id");
        case RunIdColumn:
            return QStringLiteral("run_id");
        case ClientColumn:
            return tr("Client");
        case EndpointColumn:
            return tr("Endpoint");
        case StatusColumn:
            return tr("Status");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case TimeColumn:
            return tr("When the sink received the request (local time)");
        case ClientColumn:
            return tr("$lib and $lib_version");
        case StatusColumn:
            return tr("Contract violations of this event");
        default:
            break;
        }
    }
    return {};
}

EventPtr EventTableModel::eventAt(int row) const
{
    if (row < 0 || row >= static_cast<int>(m_rows.size()))
        return {};
    return m_rows[static_cast<std::size_t>(row)].event;
}

int EventTableModel::rowForSeq(qint64 seq) const
{
    if (m_rows.empty())
        return -1;
    const qint64 guess = seq - m_rows.front().event->seq;
    if (guess >= 0 && guess < static_cast<qint64>(m_rows.size())
        && m_rows[static_cast<std::size_t>(guess)].event->seq == seq)
        return static_cast<int>(guess);
    const auto it
        = std::lower_bound(m_rows.begin(), m_rows.end(), seq, [](const Row& r, qint64 s) { return r.event->seq < s; });
    if (it == m_rows.end() || it->event->seq != seq)
        return -1;
    return static_cast<int>(it - m_rows.begin());
}

void EventTableModel::setRowCap(int cap)
{
    cap = std::max(1, cap);
    if (cap == m_rowCap)
        return;
    m_rowCap = cap;
    trimStagedToCap();
    if (static_cast<int>(m_rows.size()) > effectiveRowCap()) {
        Q_EMIT aboutToFlush();
        const int removed = trimRowsFor(0);
        Q_EMIT flushed(0, removed);
    }
}

int EventTableModel::effectiveRowCap() const
{
    const std::size_t window = m_store->maxEvents();
    return window > 0 && window < static_cast<std::size_t>(m_rowCap) ? static_cast<int>(window) : m_rowCap;
}

int EventTableModel::trimRowsFor(int incoming)
{
    const int excess = static_cast<int>(m_rows.size()) + incoming - effectiveRowCap();
    if (excess <= 0)
        return 0;
    const int removed = std::min(excess, static_cast<int>(m_rows.size()));
    beginRemoveRows(QModelIndex(), 0, removed - 1);
    m_rows.erase(m_rows.begin(), m_rows.begin() + removed);
    endRemoveRows();
    return removed;
}

void EventTableModel::setFlushInterval(int ms)
{
    m_flushTimer.setInterval(std::max(0, ms));
}

void EventTableModel::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (!m_paused)
        flush();
}

QStringList EventTableModel::eventNames() const
{
    QStringList names;
    names.reserve(static_cast<int>(m_names.size()));
    for (const std::string& n : m_names)
        names << qs(n);
    names.sort(Qt::CaseInsensitive);
    return names;
}

void EventTableModel::onEventsAdded(qint64 firstSeq, qint64 lastSeq)
{
    // A batch larger than the store's window (--max-events-in-memory) left memory in part before this
    // call: those events were received all the same (the filter bar counts them as older than the table).
    const auto& inMemory = m_store->events();
    const qint64 front = inMemory.empty() ? lastSeq + 1 : inMemory.front()->seq;
    if (firstSeq < front) {
        m_totalReceived += std::min(front, lastSeq + 1) - firstSeq;
        firstSeq = front;
    }
    for (qint64 seq = firstSeq; seq <= lastSeq; ++seq) {
        EventPtr e = m_store->eventBySeq(seq);
        if (!e)
            continue;
        Row row;
        row.kind = classifyRuntimeType(e->runtimeType());
        const std::string distinctId = e->distinctId();
        // A previous seq more than 2^32 events back (or none) is "none": the delta must fit 32 bits.
        const auto delta = [seq](qint64 previous) -> std::uint32_t {
            return previous > 0 && seq - previous <= 0xFFFFFFFFll ? static_cast<std::uint32_t>(seq - previous) : 0;
        };
        qint64 prevDistinct = 0;
        if (!distinctId.empty()) {
            qint64& lastClient = m_lastByClient[distinctId + '\x1f' + e->lib()];
            row.prevClientDelta = delta(lastClient);
            lastClient = seq;
            qint64& lastDistinct = m_lastByDistinct[distinctId];
            prevDistinct = lastDistinct;
            lastDistinct = seq;
        }
        const std::string session = e->sessionId();
        if (!session.empty()) {
            qint64& lastSession = m_lastBySession[session];
            if (prevDistinct == 0)
                prevDistinct = lastSession;
            lastSession = seq;
        }
        row.prevDistinctDelta = delta(prevDistinct);
        if (m_names.insert(e->name()).second)
            m_namesChanged = true;
        row.event = std::move(e);
        m_staged.push_back(std::move(row));
        ++m_totalReceived;
    }
    trimStagedToCap();
    Q_EMIT stagedCountChanged(stagedCount());
    scheduleFlush();
}

void EventTableModel::trimStagedToCap()
{
    // Staged events beyond the cap would be trimmed by the flush anyway; they stay in the session.
    const int cap = effectiveRowCap();
    if (static_cast<int>(m_staged.size()) > cap)
        m_staged.erase(m_staged.begin(), m_staged.begin() + (static_cast<int>(m_staged.size()) - cap));
}

void EventTableModel::onViolationsAdded(const std::vector<qint64>& seqs)
{
    if (m_statusAllDirty)
        return scheduleFlush();
    m_statusDirty.insert(m_statusDirty.end(), seqs.begin(), seqs.end());
    if (m_statusDirty.size() > m_rows.size() + m_staged.size() + 1024) {
        m_statusDirty.clear();
        m_statusAllDirty = true;
    }
    scheduleFlush();
}

void EventTableModel::onViolationsCleared()
{
    m_statusDirty.clear();
    m_statusAllDirty = true;
    scheduleFlush();
}

void EventTableModel::onCleared()
{
    m_flushTimer.stop();
    beginResetModel();
    m_rows.clear();
    m_staged.clear();
    m_statusDirty.clear();
    m_statusAllDirty = false;
    m_lastByClient.clear();
    m_lastByDistinct.clear();
    m_lastBySession.clear();
    m_names.clear();
    m_namesChanged = false;
    m_totalReceived = 0;
    endResetModel();
    Q_EMIT eventNamesChanged();
    Q_EMIT stagedCountChanged(0);
}

void EventTableModel::scheduleFlush()
{
    // Throttle, not debounce: a steady stream still flushes every interval.
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void EventTableModel::emitRowsChanged(std::vector<int>& rows)
{
    if (rows.empty())
        return;
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    const QList<int> roles = {Qt::DisplayRole, Qt::ToolTipRole, Qt::DecorationRole, Qt::BackgroundRole,
        Qt::ForegroundRole, ErrorCountRole, WarningCountRole, SortRole};
    // Many scattered rows: one range signal is cheaper for the proxy and the view than hundreds.
    std::vector<std::pair<int, int>> ranges;
    for (int row : rows) {
        if (!ranges.empty() && ranges.back().second + 1 == row)
            ranges.back().second = row;
        else
            ranges.emplace_back(row, row);
    }
    if (static_cast<int>(ranges.size()) > kManyRangesThreshold)
        ranges = {{rows.front(), rows.back()}};
    for (const auto& [first, last] : ranges)
        Q_EMIT dataChanged(index(first, 0), index(last, ColumnCount - 1), roles);
}

void EventTableModel::applyStatusChanges()
{
    std::vector<int> changed;
    const auto refresh = [this](Row& r) {
        return r.setCounts(m_store->errorCount(r.event->seq), m_store->warningCount(r.event->seq));
    };
    if (m_statusAllDirty) {
        m_statusAllDirty = false;
        m_statusDirty.clear();
        for (std::size_t i = 0; i < m_rows.size(); ++i) {
            if (refresh(m_rows[i]))
                changed.push_back(static_cast<int>(i));
        }
    } else if (!m_statusDirty.empty()) {
        std::sort(m_statusDirty.begin(), m_statusDirty.end());
        m_statusDirty.erase(std::unique(m_statusDirty.begin(), m_statusDirty.end()), m_statusDirty.end());
        for (qint64 seq : m_statusDirty) {
            const int row = rowForSeq(seq);
            if (row >= 0 && refresh(m_rows[static_cast<std::size_t>(row)]))
                changed.push_back(row);
        }
        m_statusDirty.clear();
    }
    emitRowsChanged(changed);
}

void EventTableModel::flush()
{
    m_flushTimer.stop();
    applyStatusChanges();
    if (m_namesChanged) {
        m_namesChanged = false;
        Q_EMIT eventNamesChanged();
    }
    if (m_paused || m_staged.empty())
        return;

    Q_EMIT aboutToFlush();
    const int incoming = static_cast<int>(m_staged.size());
    const int removed = trimRowsFor(incoming);
    // Status of staged rows is read now: violations that arrived while they were staged count.
    for (Row& r : m_staged)
        r.setCounts(m_store->errorCount(r.event->seq), m_store->warningCount(r.event->seq));
    const int first = static_cast<int>(m_rows.size());
    beginInsertRows(QModelIndex(), first, first + incoming - 1);
    std::move(m_staged.begin(), m_staged.end(), std::back_inserter(m_rows));
    m_staged.clear();
    endInsertRows();
    Q_EMIT stagedCountChanged(0);
    Q_EMIT flushed(incoming, removed);
}

} // namespace el::ui
