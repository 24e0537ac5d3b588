// SPDX-License-Identifier: MIT
#include "runtimetype.h"

#include "uiutil.h"

#include <QApplication>
#include <QPainter>

namespace el::ui {

RuntimeKind classifyRuntimeType(const std::optional<Json>& value)
{
    if (!value)
        return RuntimeKind::Missing;
    if (!value->is_string())
        return RuntimeKind::Invalid;
    const std::string& s = value->get_ref<const std::string&>();
    if (s == "amr_cloud")
        return RuntimeKind::AmrCloud;
    if (s == "byok")
        return RuntimeKind::Byok;
    if (s == "local_cli")
        return RuntimeKind::LocalCli;
    if (s == "none")
        return RuntimeKind::None;
    return RuntimeKind::Invalid;
}

QString runtimeTypeText(const std::optional<Json>& value)
{
    if (!value)
        return QStringLiteral("missing");
    if (value->is_string() && value->get_ref<const std::string&>().empty())
        return QStringLiteral("\"\"");
    return jsonPreview(*value, 40);
}

QString runtimeKindName(RuntimeKind kind)
{
    switch (kind) {
    case RuntimeKind::AmrCloud:
        return QStringLiteral("amr_cloud");
    case RuntimeKind::Byok:
        return QStringLiteral("byok");
    case RuntimeKind::LocalCli:
        return QStringLiteral("local_cli");
    case RuntimeKind::None:
        return QStringLiteral("none");
    case RuntimeKind::Missing:
        return QStringLiteral("missing");
    case RuntimeKind::Invalid:
        return QStringLiteral("invalid");
    }
    return QString();
}

QColor runtimeKindColor(RuntimeKind kind)
{
    switch (kind) {
    case RuntimeKind::AmrCloud:
        return QColor(0x25, 0x63, 0xeb);
    case RuntimeKind::Byok:
        return QColor(0x7c, 0x3a, 0xed);
    case RuntimeKind::LocalCli:
        return QColor(0x0d, 0x94, 0x88);
    case RuntimeKind::None:
        return QColor(0x80, 0x86, 0x8f);
    case RuntimeKind::Missing:
        return QColor(0x8a, 0x90, 0x99);
    case RuntimeKind::Invalid:
        return colors::error();
    }
    return QColor(Qt::gray);
}

RuntimeBadgeDelegate::RuntimeBadgeDelegate(int kindRole, QObject* parent)
    : QStyledItemDelegate(parent)
    , m_kindRole(kindRole)
{ }

void RuntimeBadgeDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    const QVariant kindValue = index.data(m_kindRole);
    if (!kindValue.isValid())
        return QStyledItemDelegate::paint(painter, option, index);
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
    const auto kind = static_cast<RuntimeKind>(kindValue.toInt());
    QFont font = option.font;
    font.setPointSizeF(font.pointSizeF() * 0.9);
    font.setBold(kind != RuntimeKind::Missing);
    paintBadge(painter, option.rect, text, runtimeKindColor(kind), kind == RuntimeKind::Missing, font);
}

QSize RuntimeBadgeDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    QFont font = option.font;
    font.setPointSizeF(font.pointSizeF() * 0.9);
    font.setBold(true);
    size.setWidth(badgeWidth(index.data(Qt::DisplayRole).toString(), font) + 10);
    return size;
}

} // namespace el::ui
