// SPDX-License-Identifier: MIT
#include "rejectedmodel.h"

#include <algorithm>

#include "store/eventstore.h"
#include "uiutil.h"

#include <QFont>
#include <QLocale>

namespace el::ui {

RejectedModel::RejectedModel(EventStore* store, QObject* parent)
    : QAbstractTableModel(parent)
    , m_store(store)
    , m_count(static_cast<int>(store->rejected().size()))
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(100);
    connect(&m_timer, &QTimer::timeout, this, &RejectedModel::flush);
    connect(store, &EventStore::rejectedAdded, this, [this] {
        if (!m_timer.isActive())
            m_timer.start();
    });
    connect(store, &EventStore::cleared, this, &RejectedModel::onCleared);
    connect(store, &EventStore::rejectedTrimmed, this, [this](int count) {
        const int n = std::min(count, m_count);
        if (n <= 0)
            return;
        beginRemoveRows(QModelIndex(), 0, n - 1);
        m_count -= n;
        endRemoveRows();
    });
}

void RejectedModel::flush()
{
    m_timer.stop();
    const int total = static_cast<int>(m_store->rejected().size());
    if (total < m_count) {
        onCleared();
        return;
    }
    if (total == m_count)
        return;
    beginInsertRows(QModelIndex(), m_count, total - 1);
    m_count = total;
    endInsertRows();
}

void RejectedModel::onCleared()
{
    m_timer.stop();
    beginResetModel();
    m_count = static_cast<int>(m_store->rejected().size());
    endResetModel();
}

int RejectedModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_count;
}

int RejectedModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const RejectedRequest& RejectedModel::requestAt(int row) const
{
    return m_store->rejected()[static_cast<std::size_t>(row)];
}

QString RejectedModel::printableBytes(const std::string& bytes, int maxChars)
{
    QString text = QString::fromUtf8(bytes.data(), static_cast<qsizetype>(bytes.size()));
    for (QChar& c : text) {
        if (c == QChar::ReplacementCharacter || (c.unicode() < 0x20 && c != u'\t') || c.unicode() == 0x7f)
            c = QChar(0x00b7);
    }
    if (text.size() > maxChars)
        text = text.left(maxChars - 1) + QChar(0x2026);
    return text;
}

QVariant RejectedModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RejectedRequest& r = requestAt(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return formatTime(r.receivedMs);
        case MethodColumn:
            return qs(r.method);
        case PathColumn:
            return r.query.empty() ? qs(r.path) : qs(r.path) + u'?' + qs(r.query);
        case StatusColumn:
            return r.status;
        case ReasonColumn:
            return qs(r.reason);
        case SizeColumn:
            return QLocale().formattedDataSize(r.size, 1, QLocale::DataSizeTraditionalFormat);
        case FirstBytesColumn:
            return printableBytes(r.firstBytes, 120);
        }
        break;
    case Qt::ToolTipRole:
        switch (index.column()) {
        case TimeColumn:
            return formatTime(r.receivedMs, true);
        case FirstBytesColumn:
            return printableBytes(r.firstBytes, 256);
        case SizeColumn:
            return tr("%1 bytes").arg(formatCount(r.size));
        default: {
            QStringList lines;
            lines << QStringLiteral("%1 %2 → %3 %4").arg(qs(r.method), qs(r.path)).arg(r.status).arg(qs(r.reason));
            if (!r.peer.empty())
                lines << tr("from %1").arg(qs(r.peer));
            for (const auto& [name, value] : r.headers)
                lines << qs(name) + QStringLiteral(": ") + qs(value).left(200);
            return lines.join(u'\n');
        }
        }
    case Qt::ForegroundRole:
        if (index.column() == StatusColumn)
            return r.status >= 500 ? colors::error() : colors::warning();
        break;
    case Qt::FontRole:
        if (index.column() == FirstBytesColumn) {
            static const QFont mono = [] {
                QFont f(QStringLiteral("monospace"));
                f.setStyleHint(QFont::Monospace);
                return f;
            }();
            return mono;
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn || index.column() == StatusColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case SortRole:
        switch (index.column()) {
        case TimeColumn:
            return r.id;
        case StatusColumn:
            return r.status;
        case SizeColumn:
            return r.size;
        default:
            return data(index, Qt::DisplayRole);
        }
    default:
        break;
    }
    return {};
}

QVariant RejectedModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case MethodColumn:
        return tr("Method");
    case PathColumn:
        return tr("Path");
    case StatusColumn:
        return tr("Status");
    case ReasonColumn:
        return tr("Reason");
    case SizeColumn:
        return tr("Size");
    case FirstBytesColumn:
        return tr("First bytes");
    }
    return {};
}

} // namespace el::ui
