// SPDX-License-Identifier: MIT
#include "eventtableview.h"

#include "eventtablemodel.h"
#include "runtimetype.h"
#include "uiutil.h"

#include <QHeaderView>
#include <QPainter>

namespace el::ui {

HintTableView::HintTableView(QWidget* parent)
    : QTableView(parent)
{ }

void HintTableView::setEmptyHint(const QString& title, const QString& detail)
{
    m_title = title;
    m_detail = detail;
    viewport()->update();
}

void HintTableView::paintEvent(QPaintEvent* event)
{
    QTableView::paintEvent(event);
    if (!model() || model()->rowCount() > 0 || m_title.isEmpty())
        return;
    QPainter painter(viewport());
    const QRect area = viewport()->rect().adjusted(24, 0, -24, 0);
    QColor color = palette().color(QPalette::Disabled, QPalette::Text);
    QFont titleFont = font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
    titleFont.setBold(true);
    const int titleHeight = QFontMetrics(titleFont).height();
    const QRect detailBox = QFontMetrics(font()).boundingRect(area, Qt::AlignHCenter | Qt::TextWordWrap, m_detail);
    const int top = area.center().y() - (titleHeight + 8 + detailBox.height()) / 2;
    painter.setPen(color);
    painter.setFont(titleFont);
    painter.drawText(QRect(area.left(), top, area.width(), titleHeight), Qt::AlignHCenter, m_title);
    painter.setFont(font());
    painter.drawText(QRect(area.left(), top + titleHeight + 8, area.width(), detailBox.height()),
        Qt::AlignHCenter | Qt::TextWordWrap, m_detail);
}

void setUpEventTable(HintTableView* table, QAbstractItemModel* model)
{
    table->setObjectName(QStringLiteral("eventTable"));
    table->setModel(model);
    // The panels' list look, with fixed rows (the view never measures rows, whatever the row count), one pixel
    // taller for the runtime_type badges.
    setUpListTable(table);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 9);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setTextElideMode(Qt::ElideRight);
    table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    QHeaderView* header = table->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(true);
    header->setSortIndicatorClearable(true);
    header->setSortIndicator(-1, Qt::AscendingOrder);
    table->setSortingEnabled(true);
    table->setItemDelegateForColumn(
        EventTableModel::RuntimeTypeColumn, new RuntimeBadgeDelegate(EventTableModel::RuntimeKindRole, table));
    const QFontMetrics fm = table->fontMetrics();
    table->setColumnWidth(EventTableModel::TimeColumn, fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 20);
    table->setColumnWidth(EventTableModel::EventColumn, fm.horizontalAdvance(QStringLiteral("run_created_event_x")));
    table->setColumnWidth(EventTableModel::RuntimeTypeColumn, fm.horizontalAdvance(QStringLiteral("amr_cloud")) + 40);
    table->setColumnWidth(EventTableModel::DistinctIdColumn, fm.horizontalAdvance(QStringLiteral("user-0000-0000-00")));
    table->setColumnWidth(EventTableModel::RunIdColumn, fm.horizontalAdvance(QStringLiteral("run-0000-0000-00")));
    table->setColumnWidth(
        EventTableModel::ClientColumn, fm.horizontalAdvance(QStringLiteral("posthog-node 5.10.0")) + 12);
    table->setColumnWidth(EventTableModel::EndpointColumn, fm.horizontalAdvance(QStringLiteral("/batch/ ")) + 12);
}

} // namespace el::ui
