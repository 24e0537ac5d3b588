// SPDX-License-Identifier: MIT
#pragma once

#include "contract/contractengine.h"
#include "runtimetype.h"

#include <QAbstractTableModel>

#include <optional>
#include <string>
#include <vector>

namespace el {
class EventStore;
}

namespace el::ui {

/** Outcome bucket of a run for the funnel. */
enum class RunOutcome { Success, Failed, Cancelled, OtherFinished, Open, Unfinished, Orphan };
RunOutcome runOutcome(const RunInfo& run);

/**
 * \brief The correlated runs of the contract's pair rules (session->runs()).
 *
 * setRuns() merges a fresh snapshot by (rule, key): existing rows get dataChanged, new ones are
 * appended and vanished ones removed, so the selection survives refreshes.
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
        std::string id; ///< rule + key, the merge key
        std::optional<Json> runtimeType;
        RuntimeKind kind = RuntimeKind::Missing;
    };

    explicit RunsModel(QObject* parent = nullptr);

    /** \a store (optional) supplies runtime_type from the start event when the run did not pin it. */
    void setRuns(std::vector<RunInfo> runs, const EventStore* store);
    void clear();
    const std::vector<Row>& rows() const { return m_rows; }
    void setNow(qint64 ms) { m_nowMs = ms; }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    qint64 durationMs(const RunInfo& run) const;

    std::vector<Row> m_rows;
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
