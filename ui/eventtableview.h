// SPDX-License-Identifier: MIT
#pragma once

#include <QTableView>

namespace el::ui {

/** \brief A table view that shows a hint (e.g. where to point SDKs) while it has no rows. */
class HintTableView final : public QTableView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HintTableView)
public:
    explicit HintTableView(QWidget* parent = nullptr);

    void setEmptyHint(const QString& title, const QString& detail);

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QString m_title;
    QString m_detail;
};

/**
 * The event table's look, on \a model (the filter proxy): fixed row height (the view never measures rows), sorting
 * that a third click turns off (arrival order), the runtime_type badge, and columns as wide as typical values.
 */
void setUpEventTable(HintTableView* table, QAbstractItemModel* model);

} // namespace el::ui
