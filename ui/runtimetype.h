// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include "model/event.h"

#include <QColor>
#include <QString>
#include <QStyledItemDelegate>

#include <optional>

namespace el::ui {

/** How an event's properties.runtime_type reads: one of the planned values, none, missing or invalid. */
enum class RuntimeKind : std::uint8_t { AmrCloud = 0, Byok, LocalCli, None, Missing, Invalid };

constexpr int kRuntimeKindCount = 6;

RuntimeKind classifyRuntimeType(const std::optional<Json>& value);
/** Badge text: the value ("byok"), "missing", or the invalid value itself ("both", "null", "42"). */
QString runtimeTypeText(const std::optional<Json>& value);
/** The filter/legend name of a kind: "amr_cloud", "byok", "local_cli", "none", "missing", "invalid". */
QString runtimeKindName(RuntimeKind kind);
QColor runtimeKindColor(RuntimeKind kind);

/**
 * \brief Paints a column as a coloured badge. The model gives the text (DisplayRole) and the kind
 * (\a kindRole, an int RuntimeKind); a missing value is drawn hollow.
 */
class RuntimeBadgeDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit RuntimeBadgeDelegate(int kindRole, QObject* parent = nullptr);

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    int m_kindRole;
};

} // namespace el::ui
