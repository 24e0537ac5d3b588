// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractTableModel>
#include <QTimer>

namespace el {
class EventStore;
struct RejectedRequest;
} // namespace el

namespace el::ui {

/**
 * \brief Requests the sink refused (EventStore::rejected()), newest last. A thin view over the
 * store's vector: rows are announced in batches on a short throttle timer.
 */
class RejectedModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RejectedModel)
public:
    enum Column {
        TimeColumn = 0,
        MethodColumn,
        PathColumn,
        StatusColumn,
        ReasonColumn,
        SizeColumn,
        FirstBytesColumn,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1 };

    explicit RejectedModel(EventStore* store, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const RejectedRequest& requestAt(int row) const;
    /** Printable rendering of raw bytes (control and invalid bytes as '·'). */
    static QString printableBytes(const std::string& bytes, int maxChars);

public Q_SLOTS:
    void flush();

private:
    void onCleared();

    EventStore* m_store;
    int m_count = 0;
    QTimer m_timer;
};

} // namespace el::ui
