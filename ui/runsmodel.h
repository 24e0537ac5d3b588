// SPDX-License-Identifier: MIT
#pragma once

#include "contract/contractengine.h"
#include "report/reportdata.h"
#include "runtimetype.h"

#include <QAbstractTableModel>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace el {
class EventStore;
}

namespace el::ui {

/** Outcome bucket of a run for the funnel. */
using el::RunOutcome; // core/report: the funnel of a report counts runs the same way
using el::runOutcome;

/**
 * \brief The correlated runs of the contract's pair rules, kept by RunInfo::id.
 *
 * Filled once by resetRuns() (session->runs(), after Capture::runsReset()) and then only by the session's
 * change notifications (applyChanges(), from Capture::runsChanged()): a changed run gets dataChanged, a
 * new one is appended, a forgotten one removed, so the selection survives. Nothing polls the engine.
 */
class RunsModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunsModel)
public:
    enum Column {
        RunColumn = 0,
        RuntimeTypeColumn,
        StateColumn,
        ResultColumn,
        StartedColumn,
        DurationColumn,
        MismatchColumn,
        RuleColumn,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, StartSeqRole, RuntimeKindRole };

    struct Row
    {
        RunInfo run;
        std::optional<Json> runtimeType;
        RuntimeKind kind = RuntimeKind::Missing;
    };

    explicit RunsModel(QObject* parent = nullptr);

    /**
     * Every run anew (a model reset). \a store (optional) supplies runtime_type from the start event when
     * the run did not pin it.
     */
    void resetRuns(std::vector<RunInfo> runs, const EventStore* store);
    /** Runs opened, changed or forgotten since the last call (see Capture::runsChanged()). */
    void applyChanges(const RunChanges& changes, const EventStore* store);
    /** Open runs show a running duration: dataChanged for their duration only (the window's 1 s tick). */
    void refreshRunningDurations();
    /** Whether a run is still open (then the tick refreshes durations). */
    bool hasOpenRuns() const { return m_open > 0; }
    void clear();
    const std::vector<Row>& rows() const { return m_rows; }
    void setNow(qint64 ms) { m_nowMs = ms; }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    qint64 durationMs(const RunInfo& run) const;
    Row makeRow(RunInfo run, const EventStore* store) const;
    void reindex();

    std::vector<Row> m_rows;
    std::unordered_map<qint64, std::size_t> m_index; ///< RunInfo::id -> row
    int m_open = 0; ///< rows whose run is open
    qint64 m_nowMs = 0;
};

/** \brief Per runtime_type: runs created, finished and their outcomes. */
class FunnelModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FunnelModel)
public:
    enum Column {
        RuntimeTypeColumn = 0,
        CreatedColumn,
        FinishedColumn,
        SuccessColumn,
        FailedColumn,
        CancelledColumn,
        OtherColumn,
        OpenColumn,
        UnfinishedColumn,
        ColumnCount
    };
    enum Role { RuntimeKindRole = Qt::UserRole + 1 };

    struct Row
    {
        QString runtimeType;
        RuntimeKind kind = RuntimeKind::Missing;
        int created = 0;
        int finished = 0;
        int success = 0;
        int failed = 0;
        int cancelled = 0;
        int other = 0;
        int open = 0;
        int unfinished = 0;
        int value(int column) const;
    };

    explicit FunnelModel(QObject* parent = nullptr);

    void setRuns(const std::vector<RunsModel::Row>& runs);
    const std::vector<Row>& rows() const { return m_rows; }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void countsChanged();

private:
    std::vector<Row> m_rows;
};

} // namespace el::ui
