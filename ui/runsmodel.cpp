// SPDX-License-Identifier: MIT
#include "runsmodel.h"

#include "store/eventstore.h"
#include "uiutil.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace el::ui {

namespace {

std::string lowerAscii(std::string s)
{
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

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

bool sameRun(const RunInfo& a, const RunInfo& b)
{
    return a.startSeq == b.startSeq && a.endSeq == b.endSeq && a.startMs == b.startMs && a.endMs == b.endMs
        && a.state == b.state && a.result == b.result && a.pinnedMismatches == b.pinnedMismatches
        && a.pinned == b.pinned;
}

} // namespace

RunOutcome runOutcome(const RunInfo& run)
{
    switch (run.state) {
    case RunState::Open:
        return RunOutcome::Open;
    case RunState::Unfinished:
        return RunOutcome::Unfinished;
    case RunState::Orphan:
        return RunOutcome::Orphan;
    case RunState::Finished:
        break;
    }
    const Json& r = run.result;
    if (r.is_boolean())
        return r.get<bool>() ? RunOutcome::Success : RunOutcome::Failed;
    if (r.is_string()) {
        const std::string s = lowerAscii(r.get<std::string>());
        for (const char* ok : {"success", "succeeded", "successful", "ok", "completed", "complete", "done", "passed"}) {
            if (s == ok)
                return RunOutcome::Success;
        }
        for (const char* bad : {"failed", "failure", "fail", "error", "errored", "crashed", "timeout", "timed_out"}) {
            if (s == bad)
                return RunOutcome::Failed;
        }
        for (const char* cancel : {"cancelled", "canceled", "cancel", "aborted", "abort", "interrupted", "stopped"}) {
            if (s == cancel)
                return RunOutcome::Cancelled;
        }
    }
    return RunOutcome::OtherFinished;
}

RunsModel::RunsModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

void RunsModel::setRuns(std::vector<RunInfo> runs, const EventStore* store)
{
    std::vector<Row> incoming;
    incoming.reserve(runs.size());
    std::unordered_map<std::string, int> occurrences; // a reused key gets its own row each time
    for (RunInfo& run : runs) {
        Row row;
        const std::string base = run.rule + '\x1f' + run.key.dump();
        row.id = base + '#' + std::to_string(occurrences[base]++);
        const auto pinned = run.pinned.is_object() ? run.pinned.find("runtime_type") : run.pinned.end();
        if (run.pinned.is_object() && pinned != run.pinned.end()) {
            row.runtimeType = *pinned;
        } else if (store && run.startSeq > 0) {
            if (EventPtr start = store->eventBySeq(run.startSeq))
                row.runtimeType = start->runtimeType();
        }
        row.kind = classifyRuntimeType(row.runtimeType);
        row.run = std::move(run);
        incoming.push_back(std::move(row));
    }

    std::unordered_map<std::string, std::size_t> incomingIndex;
    for (std::size_t i = 0; i < incoming.size(); ++i)
        incomingIndex.emplace(incoming[i].id, i);

    // 1. Rows that vanished (rare: a contract reload starts over).
    for (int i = static_cast<int>(m_rows.size()) - 1; i >= 0; --i) {
        if (!incomingIndex.count(m_rows[static_cast<std::size_t>(i)].id)) {
            beginRemoveRows(QModelIndex(), i, i);
            m_rows.erase(m_rows.begin() + i);
            endRemoveRows();
        }
    }
    // 2. Rows that changed; open runs always refresh their running duration.
    std::unordered_map<std::string, std::size_t> existing;
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        existing.emplace(m_rows[i].id, i);
    int firstChanged = -1, lastChanged = -1;
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        Row& mine = m_rows[i];
        Row& theirs = incoming[incomingIndex[mine.id]];
        const bool changed = !sameRun(mine.run, theirs.run) || mine.runtimeType != theirs.runtimeType;
        if (changed || mine.run.state == RunState::Open) {
            mine = std::move(theirs);
            firstChanged = firstChanged < 0 ? static_cast<int>(i) : firstChanged;
            lastChanged = static_cast<int>(i);
        }
    }
    if (firstChanged >= 0)
        Q_EMIT dataChanged(index(firstChanged, 0), index(lastChanged, ColumnCount - 1));
    // 3. New rows, appended in the engine's order.
    std::vector<Row> added;
    for (Row& row : incoming) {
        if (!row.id.empty() && !existing.count(row.id))
            added.push_back(std::move(row));
    }
    if (!added.empty()) {
        const int first = static_cast<int>(m_rows.size());
        beginInsertRows(QModelIndex(), first, first + static_cast<int>(added.size()) - 1);
        std::move(added.begin(), added.end(), std::back_inserter(m_rows));
        endInsertRows();
    }
}

void RunsModel::clear()
{
    if (m_rows.empty())
        return;
    beginResetModel();
    m_rows.clear();
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
    // The planned values always have a row (a zero is information too); others only when seen.
    std::map<std::pair<int, QString>, Row> byType;
    for (RuntimeKind k : {RuntimeKind::AmrCloud, RuntimeKind::Byok, RuntimeKind::LocalCli, RuntimeKind::None}) {
        Row r;
        r.kind = k;
        r.runtimeType = runtimeKindName(k);
        byType.emplace(std::make_pair(static_cast<int>(k), r.runtimeType), r);
    }
    for (const RunsModel::Row& run : runs) {
        const RunOutcome outcome = runOutcome(run.run);
        if (outcome == RunOutcome::Orphan)
            continue; // no start: not a created run
        const QString text
            = run.kind == RuntimeKind::Invalid ? runtimeTypeText(run.runtimeType) : runtimeKindName(run.kind);
        Row& r = byType[std::make_pair(static_cast<int>(run.kind), text)];
        r.kind = run.kind;
        r.runtimeType = text;
        ++r.created;
        switch (outcome) {
        case RunOutcome::Success:
            ++r.finished;
            ++r.success;
            break;
        case RunOutcome::Failed:
            ++r.finished;
            ++r.failed;
            break;
        case RunOutcome::Cancelled:
            ++r.finished;
            ++r.cancelled;
            break;
        case RunOutcome::OtherFinished:
            ++r.finished;
            ++r.other;
            break;
        case RunOutcome::Open:
            ++r.open;
            break;
        case RunOutcome::Unfinished:
            ++r.unfinished;
            break;
        case RunOutcome::Orphan:
            break;
        }
    }
    std::vector<Row> rows;
    rows.reserve(byType.size());
    for (auto& [key, row] : byType)
        rows.push_back(std::move(row));

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
