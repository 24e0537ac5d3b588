// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QChart;
class QBarCategoryAxis;
class QValueAxis;
class QLabel;
class QSortFilterProxyModel;
class QStackedBarSeries;
class QTableView;

namespace el::ui {

class FunnelModel;
class RunsModel;

/** \brief Table of runs; double-click (or Enter) asks to select the run's start event. */
class RunsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunsPanel)
public:
    RunsPanel(RunsModel* model, QWidget* parent = nullptr);
    QTableView* view() const { return m_view; }

Q_SIGNALS:
    void startEventRequested(qint64 seq);

private:
    RunsModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QTableView* m_view;
    QLabel* m_empty;
};

/** \brief Runtime funnel: per runtime_type, a stacked bar of run outcomes and the same numbers as a table. */
class FunnelPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FunnelPanel)
public:
    FunnelPanel(FunnelModel* model, QWidget* parent = nullptr);

private:
    void updateChart();

    FunnelModel* m_model;
    QTableView* m_view;
    QChart* m_chart;
    QStackedBarSeries* m_series;
    QBarCategoryAxis* m_categories;
    QValueAxis* m_values;
};

} // namespace el::ui
