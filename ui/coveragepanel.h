// SPDX-License-Identifier: MIT
#pragma once

#include "eventfilterproxy.h"

#include "model/event.h"

#include <QAbstractTableModel>
#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

class QLabel;
class QMenu;
class QTableView;
class QTreeWidget;
class QTreeWidgetItem;

namespace el {
class Capture;
}

namespace el::ui {

/**
 * \brief Property coverage as a matrix (issue 16): one row per event name, one column per property (runtime_type
 * first, then the other super-properties, then by how many event names carry it). A cell's text is the share of that
 * event's events carrying the property; its colour says whether that is fine (green: all of them, valid), a gap in a
 * property the contract requires or a value it refuses (red), or a gap in an optional one (amber). A property an
 * event never carried and need not carry is an empty cell. Fed with Coverage::toJson().
 */
class CoverageModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CoverageModel)
public:
    enum Column { EventColumn = 0, CountColumn = 1, FirstPropertyColumn = 2 };
    enum Role {
        ShareRole = Qt::UserRole + 1, ///< present / count as a double, or an invalid QVariant for an empty cell
        FlaggedRole, ///< bool: required and not on every event, or invalid on some
    };
    /** One cell: an entry of a coverage item's "properties". */
    struct Cell
    {
        std::uint64_t present = 0;
        std::uint64_t missing = 0;
        std::uint64_t invalid = 0;
        bool required = false;
        bool planned = false;
        bool flagged = false;
        bool superProperty = false;
        Json values; ///< by value key, or null past the distinct-value limit
        std::uint64_t distinctOver = 0;
        Json types; ///< by JSON type
    };

    explicit CoverageModel(QObject* parent = nullptr);

    /** Replaces the content; a change of shape resets the model, else only the cells' data changes. */
    void setCoverage(const Json& coverage);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    const std::string& eventAt(int row) const { return m_rows[static_cast<std::size_t>(row)].event; }
    std::uint64_t countAt(int row) const { return m_rows[static_cast<std::size_t>(row)].count; }
    /** The property of a column (FirstPropertyColumn or later). */
    const std::string& propertyAt(int column) const
    {
        return m_properties[static_cast<std::size_t>(column - FirstPropertyColumn)];
    }
    /** The cell at (row, column), or nullptr when that event never carried it and need not. */
    const Cell* cell(int row, int column) const;
    /** The cell of \a event and \a property, or an invalid index. */
    QModelIndex indexOf(const std::string& event, const std::string& property) const;

private:
    struct Row
    {
        std::string event;
        std::uint64_t count = 0;
        std::unordered_map<std::string, Cell> cells;
    };
    QString tooltip(const Row& row, const std::string& property, const Cell& cell) const;

    std::vector<Row> m_rows;
    std::vector<std::string> m_properties;
    std::vector<bool> m_superProperty; ///< by property column
};

/**
 * \brief The Coverage tab: the matrix, and the values of the selected cell. Clicking a cell filters the event table to
 * the events of that name that lack the property; clicking a value, to those that carry it. It follows the session's
 * live count (Capture::liveCoverage(), counted incrementally as requests are committed): read again at most twice a
 * second while the tab is visible, and only when it changed.
 */
class CoveragePanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CoveragePanel)
public:
    explicit CoveragePanel(Capture* capture, QWidget* parent = nullptr);

    CoverageModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    QTreeWidget* valueList() const { return m_values; }
    /** Reads the session's coverage now when it changed (the timer does it while the tab is shown). */
    void refresh();
    /** What clicking the cell of \a event and \a property does (tests, and the view's clicks). */
    void activateCell(const std::string& event, const std::string& property);
    /**
     * The context menu of the matrix at \a index (owned by the caller): Add to Contract… for the row's event when the
     * contract does not plan it, else for the column's property when the contract does not name it for that event
     * (canAddToContract()); it emits addToContractRequested(). Nullptr when neither applies.
     */
    QMenu* cellMenu(const QModelIndex& index);

Q_SIGNALS:
    /** A click asks for the event table to show these events. */
    void filterRequested(const el::ui::PropertyFilter& filter);
    /** Add to Contract… was chosen: on event \a event, or on its property \a property (empty for the event). */
    void addToContractRequested(const QString& event, const QString& property);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void onCellClicked(const QModelIndex& index);
    void showValues(const QModelIndex& index);
    void onValueClicked(QTreeWidgetItem* item);

    Capture* m_capture;
    CoverageModel* m_model;
    QLabel* m_summary;
    QTableView* m_view;
    QLabel* m_valuesTitle;
    QTreeWidget* m_values;
    QTimer m_timer;
    std::uint64_t m_revision = ~std::uint64_t(0);
    std::string m_event; ///< the cell whose values are listed
    std::string m_property;
};

} // namespace el::ui
