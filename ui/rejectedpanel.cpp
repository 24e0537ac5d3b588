// SPDX-License-Identifier: MIT
#include "rejectedpanel.h"

#include "rejectedmodel.h"
#include "uiutil.h"

#include <QHeaderView>
#include <QSortFilterProxyModel>

namespace el::ui {

RejectedPanel::RejectedPanel(RejectedModel* model, QWidget* parent)
    : QTableView(parent)
{
    setObjectName(QStringLiteral("rejectedTable"));
    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(model);
    proxy->setSortRole(RejectedModel::SortRole);
    setModel(proxy);
    setUpListTable(this);
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setSortIndicatorClearable(true);
    setSortingEnabled(true);
    sortByColumn(-1, Qt::AscendingOrder);
    setColumnWidth(RejectedModel::TimeColumn, 100);
    setColumnWidth(RejectedModel::MethodColumn, 70);
    setColumnWidth(RejectedModel::PathColumn, 160);
    setColumnWidth(RejectedModel::StatusColumn, 60);
    setColumnWidth(RejectedModel::ReasonColumn, 320);
    setColumnWidth(RejectedModel::SizeColumn, 80);
}

} // namespace el::ui
