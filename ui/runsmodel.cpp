// SPDX-License-Identifier: MIT
#include "runsmodel.h"

#include "store/eventstore.h"
#include "uiutil.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace el::ui {

namespace {

QColor stateColor(RunState state)
{
    switch (state) {
    case RunState::Open:
        return QColor(0x1c, 0x6d, 0xd0);
    case RunState::Finished:
        return colors::ok();
    case RunState::Unfinished:
        return colors::error();
    case RunState::Orphan:
        break;
    }
    return QColor(0x80, 0x86, 0x8f);
}

} // namespace

RunsModel::RunsModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

RunsModel::Row RunsModel::makeRow(RunInfo run, const EventStore* store) const
{
    Row row;
    const auto pinned = run.pinned.is_object() ? run.pinned.find("runtime_type") : run.pinned.end();
    if (run.pinned.is_object() && pinned != run.pinned.end()) {
        row.runtimeType = *pinned;
    } else if (store && run.startSeq > 0) {
        if (EventPtr start = store->eventBySeq(run.startSeq))
            row.runtimeType = start->runtimeType();
    }
    row.kind = classifyRuntimeType(row.runtimeType);
    row.run = std::move(run);
    return row;
}

void RunsModel::reindex()
{
    m_index.clear();
    m_open = 0;
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        m_index.emplace(m_rows[i].run.id, i);
        m_open += m_rows[i].run.state == RunState::Open ? 1 : 0;
    }
}

void RunsModel::resetRuns(std::vector<RunInfo> runs, const EventStore* store)
{
    beginResetModel();
    m_rows.clear();
    m_rows.reserve(runs.size());
    for (RunInfo& run : runs)
        m_rows.push_back(makeRow(std::move(run), store));
    reindex();
    endResetModel();
}

void RunsModel::applyChanges(const RunChanges& changes, const EventStore* store)
{
    // 1. Forgotten runs (their events left memory): removed in contiguous blocks, from the bottom.
    std::vector<int> gone;
    for (qint64 id : changes.forgotten) {
        const auto it = m_index.find(id);
        if (it != m_index.end())
            gone.push_back(static_cast<int>(it->second));
    }
    if (!gone.empty()) {
        std::sort(gone.begin(), gone.end());
        for (std::size_t end = gone.size(); end > 0;) {
            std::size_t begin = end - 1;
            while (begin > 0 && gone[begin - 1] == gone[begin] - 1)
                --begin;
            beginRemoveRows(QModelIndex(), gone[begin], gone[end - 1]);
            m_rows.erase(m_rows.begin() + gone[begin], m_rows.begin() + gone[end - 1] + 1);
            endRemoveRows();
            end = begin;
        }
        reindex();
    }
    // 2. Changed runs in place; new ones appended in the order they came (creation order).
    int firstChanged = -1, lastChanged = -1;
    std::vector<Row> added;
    for (const RunInfo& run : changes.updated) {
        const auto it = m_index.find(run.id);
        if (it == m_index.end()) {
            added.push_back(makeRow(run, store));
            continue;
        }
        Row& mine = m_rows[it->second];
        m_open -= mine.run.state == RunState::Open ? 1 : 0;
        mine = makeRow(run, store);
        m_open += mine.run.state == RunState::Open ? 1 : 0;
        const int at = static_cast<int>(it->second);
        firstChanged = firstChanged < 0 ? at : std::min(firstChanged, at);
        lastChanged = std::max(lastChanged, at);
    }
    if (firstChanged >= 0)
        Q_EMIT dataChanged(index(firstChanged, 0), index(lastChanged, ColumnCount - 1));
    if (!added.empty()) {
        const int first = static_cast<int>(m_rows.size());
        beginInsertRows(QModelIndex(), first, first + static_cast<int>(added.size()) - 1);
        for (Row& row : added) {
            m_index.emplace(row.run.id, m_rows.size());
            m_open += row.run.state == RunState::Open ? 1 : 0;
            m_rows.push_back(std::move(row));
        }
        endInsertRows();
    }
}

void RunsModel::refreshRunningDurations()
{
    if (m_open == 0)
        return;
    int first = -1, last = -1;
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].run.state != RunState::Open)
            continue;
        first = first < 0 ? static_cast<int>(i) : first;
        last = static_cast<int>(i);
    }
    if (first >= 0)
        Q_EMIT dataChanged(index(first, DurationColumn), index(last, DurationColumn), {Qt::DisplayRole});
}

void RunsModel::clear()
{
    if (m_rows.empty())
        return;
    beginResetModel();
    m_rows.clear();
    reindex();
    endResetModel();
}

int RunsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int RunsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

qint64 RunsModel::durationMs(const RunInfo& run) const
{
    if (run.startMs <= 0)
        return -1;
    if (run.endMs > 0)
        return run.endMs - run.startMs;
    if (run.state == RunState::Open)
        return std::max<qint64>(0, (m_nowMs > 0 ? m_nowMs : nowMs()) - run.startMs);
    return -1;
}

QVariant RunsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[static_cast<std::size_t>(index.row())];
    const RunInfo& run = row.run;
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        switch (index.column()) {
        case RunColumn:
            return jsonPreview(run.key, 80);
        case RuntimeTypeColumn:
            return runtimeTypeText(row.runtimeType);
        case StateColumn:
            if (role == Qt::ToolTipRole && run.state == RunState::Unfinished)
                return tr("No end event arrived within the rule's time limit");
            if (role == Qt::ToolTipRole && run.state == RunState::Orphan)
                return tr("An end event without a start event");
            return qs(std::string(toString(run.state)));
        case ResultColumn:
            return run.result.is_null() ? QString() : jsonPreview(run.result, 80);
        case StartedColumn:
            return run.startMs > 0 ? formatTime(run.startMs, role == Qt::ToolTipRole) : QString();
        case DurationColumn: {
            const qint64 d = durationMs(run);
            if (d < 0)
                return QString();
            return run.state == RunState::Open ? tr("%1 (running)").arg(formatDuration(d)) : formatDuration(d);
        }
        case MismatchColumn:
            if (role == Qt::ToolTipRole)
                return tr("Pinned properties whose value changed between the start and the end event");
            return run.pinnedMismatches;
        case RuleColumn:
            return qs(run.rule);
        }
        break;
    case Qt::ForegroundRole:
        if (index.column() == StateColumn)
            return stateColor(run.state);
        if (index.column() == ResultColumn) {
            switch (runOutcome(run)) {
            case RunOutcome::Success:
                return colors::ok();
            case RunOutcome::Failed:
                return colors::error();
            default:
                return {};
            }
        }
        if (index.column() == MismatchColumn && run.pinnedMismatches > 0)
            return colors::error();
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == MismatchColumn || index.column() == DurationColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case RuntimeKindRole:
        if (index.column() == RuntimeTypeColumn)
            return static_cast<int>(row.kind);
        break;
    case StartSeqRole:
        return run.startSeq;
    case SortRole:
        switch (index.column()) {
        case StartedColumn:
            return run.startMs;
        case DurationColumn:
            return durationMs(run);
        case MismatchColumn:
            return run.pinnedMismatches;
        case RuntimeTypeColumn:
            return static_cast<int>(row.kind);
        default:
            return data(index, Qt::DisplayRole);
        }
    default:
        break;
    }
    return {};
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case RunColumn:
        return QStringLiteral("run_id");
    case RuntimeTypeColumn:
        return QStringLiteral("runtime_type");
    case StateColumn:
        return tr("State");
    case ResultColumn:
        return tr("Result");
    case StartedColumn:
        return tr("Started");
    case DurationColumn:
        return tr("Duration");
    case MismatchColumn:
        return tr("Pinned mismatches");
    case RuleColumn:
        return tr("Rule");
    }
    return {};
}

// ---------------------------------------------------------------------------------------------

int FunnelModel::Row::value(int column) const
{
    switch (column) {
    case CreatedColumn:
        return created;
    case FinishedColumn:
        return finished;
    case SuccessColumn:
        return success;
    case FailedColumn:
        return failed;
    case CancelledColumn:
        return cancelled;
    case OtherColumn:
        return other;
    case OpenColumn:
        return open;
    case UnfinishedColumn:
        return unfinished;
    default:
        return 0;
    }
}

FunnelModel::FunnelModel(QObject* parent)
    : QAbstractTableModel(parent)
{
    setRuns({});
}

void FunnelModel::setRuns(const std::vector<RunsModel::Row>& runs)
{
    // Counted by core's Funnel (the reports count the same way), each run under the window's own reading of its
    // runtime_type; the planned values always have a row (a zero is information too).
    Funnel funnel;
    std::map<std::string, RuntimeKind> kinds;
    for (RuntimeKind k : {RuntimeKind::AmrCloud, RuntimeKind::Byok, RuntimeKind::LocalCli, RuntimeKind::None})
        kinds[runtimeKindName(k).toStdString()] = k;
    for (const RunsModel::Row& run : runs) {
        const QString text
            = run.kind == RuntimeKind::Invalid ? runtimeTypeText(run.runtimeType) : runtimeKindName(run.kind);
        kinds.emplace(text.toStdString(), run.kind);
        funnel.add(run.run, text.toStdString());
    }
    std::vector<Row> rows;
    for (const FunnelRow& f : funnel.rows()) {
        Row r;
        r.runtimeType = QString::fromStdString(f.runtimeType);
        const auto kind = kinds.find(f.runtimeType);
        r.kind = kind != kinds.end() ? kind->second : RuntimeKind::Invalid;
        r.created = int(f.created);
        r.finished = int(f.finished);
        r.success = int(f.success);
        r.failed = int(f.failed);
        r.cancelled = int(f.cancelled);
        r.other = int(f.other);
        r.open = int(f.open);
        r.unfinished = int(f.unfinished);
        rows.push_back(std::move(r));
    }

    const bool sameShape = rows.size() == m_rows.size()
        && std::equal(rows.begin(), rows.end(), m_rows.begin(),
            [](const Row& a, const Row& b) { return a.runtimeType == b.runtimeType && a.kind == b.kind; });
    if (sameShape) {
        m_rows = std::move(rows);
        if (!m_rows.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    } else {
        beginResetModel();
        m_rows = std::move(rows);
        endResetModel();
    }
    Q_EMIT countsChanged();
}

int FunnelModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int FunnelModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FunnelModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == RuntimeTypeColumn)
            return row.runtimeType;
        return row.value(index.column());
    case RuntimeKindRole:
        if (index.column() == RuntimeTypeColumn)
            return static_cast<int>(row.kind);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() != RuntimeTypeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ForegroundRole:
        if (index.column() != RuntimeTypeColumn && row.value(index.column()) == 0)
            return QColor(0x9a, 0xa0, 0xa6);
        if (index.column() == FailedColumn || index.column() == UnfinishedColumn)
            return colors::error();
        if (index.column() == SuccessColumn)
            return colors::ok();
        break;
    default:
        break;
    }
    return {};
}

QVariant FunnelModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case RuntimeTypeColumn:
        return QStringLiteral("runtime_type");
    case CreatedColumn:
        return tr("Created");
    case FinishedColumn:
        return tr("Finished");
    case SuccessColumn:
        return tr("Success");
    case FailedColumn:
        return tr("Failed");
    case CancelledColumn:
        return tr("Cancelled");
    case OtherColumn:
        return tr("Other result");
    case OpenColumn:
        return tr("Open");
    case UnfinishedColumn:
        return tr("Unfinished");
    }
    return {};
}

} // namespace el::ui
