// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"
#include "runtimetype.h"

#include <QAbstractTableModel>
#include <QFont>
#include <QTimer>

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace el {
class EventStore;
}

namespace el::ui {

/**
 * \brief The live event list: a thin table over shared, immutable Event records.
 *
 * New events are staged when the store announces them and inserted in one batch when the throttle timer fires
 * (100 ms by default), never one beginInsertRows() per event. The row cap trims the oldest rows in the same flush;
 * when the store keeps fewer events in memory than the cap (EventStore::setMaxEvents()), its window is the cap, so a
 * row never keeps an event the store let go (the frozen rows of a paused table stay until it resumes). Pausing keeps
 * staging (bounded by the cap) but stops inserting; resuming flushes. Violation status changes are batched the same
 * way and announced with dataChanged() for the touched rows only (one range signal when many rows change).
 *
 * Display text is formatted lazily in data(); the lower-case search text of a row (its JSON
 * dumped) is computed on first use by the filter and cached.
 */
class EventTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventTableModel)
public:
    enum Column {
        TimeColumn = 0,
        EventColumn,
        RuntimeTypeColumn,
        DistinctIdColumn,
        RunIdColumn,
        ClientColumn,
        EndpointColumn,
        StatusColumn,
        ColumnCount
    };
    enum Role {
        SeqRole = Qt::UserRole + 1, ///< qint64
        SortRole, ///< typed value to sort on
        RuntimeKindRole, ///< int RuntimeKind (runtime_type column only)
        ErrorCountRole,
        WarningCountRole,
    };

    /** One row: 32 bytes (a million rows is a target of issue 8). */
    struct Row
    {
        EventPtr event;
        std::uint32_t prevClientDelta = 0; ///< seq distance to prevSameClient() (0: none)
        std::uint32_t prevDistinctDelta = 0; ///< seq distance to prevSameDistinct() (0: none)
        std::uint16_t errors = 0; ///< saturates at 65535
        std::uint16_t warnings = 0;
        RuntimeKind kind = RuntimeKind::Missing;

        /** Seq of the previous event with the same distinct_id and $lib (0: none). */
        qint64 prevSameClient() const { return prevClientDelta ? event->seq - prevClientDelta : 0; }
        /** Seq of the previous event with the same distinct_id, else the same $session_id (0: none). */
        qint64 prevSameDistinct() const { return prevDistinctDelta ? event->seq - prevDistinctDelta : 0; }
        /** Sets the violation counts (saturating); true when they changed. */
        bool setCounts(int errorCount, int warningCount);
    };

    static constexpr int kDefaultRowCap = 100000;
    static constexpr int kDefaultFlushIntervalMs = 100;

    explicit EventTableModel(EventStore* store, QObject* parent = nullptr);
    ~EventTableModel() override;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    EventStore* store() const { return m_store; }
    const Row& rowAt(int row) const { return m_rows[static_cast<std::size_t>(row)]; }
    EventPtr eventAt(int row) const;
    /** Row of the event with \a seq, or -1 (trimmed, staged or unknown). */
    int rowForSeq(qint64 seq) const;

    void setRowCap(int cap);
    int rowCap() const { return m_rowCap; }
    /** The rows kept: the row cap, or the store's window of events in memory when that is smaller. */
    int effectiveRowCap() const;
    void setFlushInterval(int ms);
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    /** Events captured but not shown yet (paused or waiting for the next flush). */
    int stagedCount() const { return static_cast<int>(m_staged.size()); }
    /** Events announced by the store since the last clear (including trimmed and staged ones). */
    qint64 totalReceived() const { return m_totalReceived; }
    /** Event names seen since the last clear, sorted. */
    QStringList eventNames() const;

public Q_SLOTS:
    /** Applies staged status changes and inserts staged events now (unless paused). */
    void flush();

Q_SIGNALS:
    /** Emitted right before a flush changes rows (views record whether they were at the bottom). */
    void aboutToFlush();
    void flushed(int inserted, int removed);
    void eventNamesChanged();
    void stagedCountChanged(int staged);

private:
    void onEventsAdded(qint64 firstSeq, qint64 lastSeq);
    void onViolationsAdded(const std::vector<qint64>& seqs);
    void onViolationsCleared();
    void onCleared();
    void scheduleFlush();
    void applyStatusChanges();
    void trimStagedToCap();
    /** Removes the oldest rows so that \a incoming more fit under effectiveRowCap(); returns how many. */
    int trimRowsFor(int incoming);
    void emitRowsChanged(std::vector<int>& rows);

    EventStore* m_store;
    std::deque<Row> m_rows;
    std::deque<Row> m_staged;
    QTimer m_flushTimer;
    int m_rowCap = kDefaultRowCap;
    bool m_paused = false;
    qint64 m_totalReceived = 0;

    std::vector<qint64> m_statusDirty;
    bool m_statusAllDirty = false;

    std::unordered_map<std::string, qint64> m_lastByClient;
    std::unordered_map<std::string, qint64> m_lastByDistinct;
    std::unordered_map<std::string, qint64> m_lastBySession;
    std::unordered_set<std::string> m_names;
    bool m_namesChanged = false;

    QFont m_boldFont;
};

} // namespace el::ui
