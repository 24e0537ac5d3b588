// SPDX-License-Identifier: MIT
#include "runspanel.h"

#include "runsmodel.h"
#include "runtimetype.h"
#include "uiutil.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedBarSeries>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>

namespace el::ui {

namespace {

/** Both tables here pick one row at a time, to show it elsewhere; they are read-only. */
void setUpTable(QTableView* view)
{
    setUpListTable(view);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
}

} // namespace

RunsPanel::RunsPanel(RunsModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_proxy(new QSortFilterProxyModel(this))
    , m_view(new QTableView(this))
    , m_empty(new QLabel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_proxy->setSourceModel(model);
    m_proxy->setSortRole(RunsModel::SortRole);
    m_view->setObjectName(QStringLiteral("runsTable"));
    m_view->setModel(m_proxy);
    setUpTable(m_view);
    m_view->setSortingEnabled(true);
    m_view->horizontalHeader()->setSortIndicatorClearable(true);
    m_view->sortByColumn(-1, Qt::AscendingOrder);
    m_view->setItemDelegateForColumn(
        RunsModel::RuntimeTypeColumn, new RuntimeBadgeDelegate(RunsModel::RuntimeKindRole, this));
    m_view->setColumnWidth(RunsModel::RunColumn,
        m_view->fontMetrics().horizontalAdvance(QStringLiteral("00000000-0000-0000-0000-000000000000")) + 16);
    m_view->setColumnWidth(RunsModel::RuntimeTypeColumn, 110);
    m_view->setColumnWidth(RunsModel::StateColumn, 90);
    m_view->setColumnWidth(RunsModel::ResultColumn, 90);
    m_view->setColumnWidth(RunsModel::StartedColumn, 100);
    m_view->setColumnWidth(RunsModel::DurationColumn, 120);
    m_view->setColumnWidth(RunsModel::MismatchColumn, 130);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setToolTip(tr("Double-click a run to select its start event"));
    layout->addWidget(m_view);

    m_empty->setText(tr("No runs yet. Runs appear when the contract pairs a start event with an end event "
                        "(e.g. run_created → run_finished)."));
    setUpPlaceholder(m_empty);
    layout->addWidget(m_empty);
    const auto updateEmpty = [this] {
        const bool empty = m_model->rowCount() == 0;
        m_empty->setVisible(empty);
        m_view->setVisible(!empty);
    };
    connect(model, &QAbstractItemModel::rowsInserted, this, updateEmpty);
    connect(model, &QAbstractItemModel::rowsRemoved, this, updateEmpty);
    connect(model, &QAbstractItemModel::modelReset, this, updateEmpty);
    updateEmpty();

    connect(m_view, &QTableView::activated, this, [this](const QModelIndex& index) {
        const qint64 seq = index.data(RunsModel::StartSeqRole).toLongLong();
        if (seq > 0)
            Q_EMIT startEventRequested(seq);
    });
}

FunnelPanel::FunnelPanel(FunnelModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_view(new QTableView(this))
    , m_chart(new QChart)
    , m_series(new QStackedBarSeries)
    , m_categories(new QBarCategoryAxis)
    , m_values(new QValueAxis)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* split = new QSplitter(Qt::Horizontal, this);
    layout->addWidget(split);

    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_chart->setBackgroundRoundness(0);
    m_chart->setBackgroundBrush(palette().base());
    m_chart->legend()->setLabelColor(palette().color(QPalette::Text));
    struct SetSpec
    {
        const char* name;
        QColor color;
    };
    const SetSpec sets[] = {
        {QT_TR_NOOP("Success"), colors::ok()},
        {QT_TR_NOOP("Failed"), colors::error()},
        {QT_TR_NOOP("Cancelled"), QColor(0x80, 0x86, 0x8f)},
        {QT_TR_NOOP("Other result"), QColor(0x5c, 0x6b, 0xc0)},
        {QT_TR_NOOP("Open"), QColor(0x90, 0xca, 0xf9)},
        {QT_TR_NOOP("Unfinished"), QColor(0xff, 0xa7, 0x26)},
    };
    for (const SetSpec& spec : sets) {
        auto* set = new QBarSet(tr(spec.name));
        set->setColor(spec.color);
        set->setBorderColor(spec.color);
        m_series->append(set);
    }
    m_series->setBarWidth(0.6);
    m_chart->addSeries(m_series);
    m_chart->addAxis(m_categories, Qt::AlignBottom);
    m_chart->addAxis(m_values, Qt::AlignLeft);
    m_series->attachAxis(m_categories);
    m_series->attachAxis(m_values);
    m_values->setLabelFormat(QStringLiteral("%d"));
    m_values->setTitleText(tr("runs created"));
    m_categories->setLabelsColor(palette().color(QPalette::Text));
    m_values->setLabelsColor(palette().color(QPalette::Text));
    m_values->setTitleBrush(palette().text());
    auto* chartView = new QChartView(m_chart, split);
    chartView->setRenderHint(QPainter::Antialiasing);
    chartView->setMinimumWidth(360);
    split->addWidget(chartView);

    m_view->setObjectName(QStringLiteral("funnelTable"));
    m_view->setModel(model);
    setUpTable(m_view);
    m_view->setItemDelegateForColumn(
        FunnelModel::RuntimeTypeColumn, new RuntimeBadgeDelegate(FunnelModel::RuntimeKindRole, this));
    m_view->setColumnWidth(FunnelModel::RuntimeTypeColumn, 110);
    int tableWidth = 110 + 2 * m_view->frameWidth() + 4;
    for (int c = FunnelModel::CreatedColumn; c < FunnelModel::ColumnCount; ++c) {
        const int w = std::max(
            64, m_view->fontMetrics().horizontalAdvance(model->headerData(c, Qt::Horizontal).toString()) + 18);
        m_view->setColumnWidth(c, w);
        tableWidth += w;
    }
    // The numbers need no more room than their columns; the chart gets the rest.
    m_view->setMaximumWidth(tableWidth + m_view->verticalScrollBar()->sizeHint().width());
    m_view->horizontalHeader()->setStretchLastSection(false);
    split->addWidget(m_view);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 4);

    connect(model, &FunnelModel::countsChanged, this, &FunnelPanel::updateChart);
    updateChart();
}

void FunnelPanel::updateChart()
{
    const auto& rows = m_model->rows();
    QStringList categories;
    for (const auto& r : rows)
        categories << r.runtimeType;
    if (m_categories->categories() != categories) {
        m_categories->clear();
        m_categories->append(categories);
    }
    const int columns[] = {FunnelModel::SuccessColumn, FunnelModel::FailedColumn, FunnelModel::CancelledColumn,
        FunnelModel::OtherColumn, FunnelModel::OpenColumn, FunnelModel::UnfinishedColumn};
    const QList<QBarSet*> sets = m_series->barSets();
    int maxTotal = 0;
    for (const auto& r : rows)
        maxTotal = std::max(maxTotal, r.created);
    for (int s = 0; s < sets.size(); ++s) {
        QBarSet* set = sets[s];
        QList<qreal> values;
        for (const auto& r : rows)
            values << r.value(columns[s]);
        if (set->count() != values.size()) {
            set->remove(0, set->count());
            set->append(values);
        } else {
            for (int i = 0; i < values.size(); ++i) {
                if (set->at(i) != values[i])
                    set->replace(i, values[i]);
            }
        }
    }
    // Whole numbers on the axis: a nice maximum and one tick per step.
    const int top = std::max(4, maxTotal + (maxTotal + 9) / 10);
    int step = 1;
    // At most ~5 intervals: the chart is short and crowded labels get elided.
    for (int magnitude = 1; top / step > 5; magnitude *= 10) {
        for (int m : {1, 2, 5}) {
            step = m * magnitude;
            if (top / step <= 5)
                break;
        }
    }
    m_values->setRange(0, ((top + step - 1) / step) * step);
    m_values->setTickType(QValueAxis::TicksDynamic);
    m_values->setTickAnchor(0);
    m_values->setTickInterval(step);
}

} // namespace el::ui
