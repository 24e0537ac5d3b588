// SPDX-License-Identifier: MIT
#include "eventtableview.h"

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

} // namespace el::ui
