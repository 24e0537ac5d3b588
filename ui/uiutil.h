// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"
#include "util/qtext.h" // qs()

#include <QColor>
#include <QIcon>
#include <QString>

#include <optional>
#include <string>

class QFont;
class QLabel;
class QPainter;
class QRect;
class QTableView;
class QTreeView;

namespace el::ui {

/** Loads the UI resources (icons); idempotent. Needed because eventlens_ui is a static library. */
void initResources();

/** A string value without quotes, anything else as compact JSON. */
QString jsonScalarText(const Json& value);
/** One-line preview: scalars as jsonScalarText(), containers as compact JSON elided to \a maxChars. */
QString jsonPreview(const Json& value, int maxChars = 160);
/** "string", "number", "boolean", "null", "object", "array". */
QString jsonTypeName(const Json& value);
/** Splits a JSON pointer into unescaped tokens; "" -> {}. */
std::vector<std::string> splitPointer(const std::string& pointer);

/** Local time "HH:mm:ss.zzz" (with the date when \a withDate). */
QString formatTime(qint64 msSinceEpoch, bool withDate = false);
/** "850 ms", "12.4 s", "3 min 05 s", "2 h 04 min". */
QString formatDuration(qint64 ms);
/** Grouped thousands in the current locale. */
QString formatCount(qint64 n);

/** Lower-cases UTF-8 text (ASCII fast path; anything else through QString::toLower). */
std::string lowerUtf8(std::string_view s);
/** True when \a haystack contains \a needleLower, ignoring ASCII case. */
bool containsIgnoreCase(const std::string& haystack, const std::string& needleLower);

/** A themed icon with one of our SVGs (":/icons/NAME.svg") as the fallback. */
QIcon themeIcon(const char* themeName, const char* fallbackName);
/** One of our SVG icons. */
QIcon appIcon(const char* name);

/** The status text of an event: "ok", "1 warning", "2 errors, 1 warning". */
QString statusText(int errors, int warnings);
QIcon statusIcon(int errors, int warnings);

/** Table rows as lines of text: no row numbers, no word wrap, every row one line high (the font's height + 8 px). */
void setUpTableRows(QTableView* view);
/**
 * setUpTableRows() and the look of the panels' list tables (runs, funnel, rejected requests): whole rows selected,
 * alternating row colours, no grid, column titles left-aligned and not highlighted with the selection.
 */
void setUpListTable(QTableView* view);
/**
 * A flat list in a tree view: no root decoration, uniform rows, alternating row colours; \a stretchColumn (when >= 0)
 * takes the width left over instead of the last column.
 */
void setUpFlatList(QTreeView* view, int stretchColumn = -1);
/** A greyed-out note centred in the room of the view it stands in for while that has nothing to show. */
void setUpPlaceholder(QLabel* label);

/** Colours shared by the views (chosen to read well on light and dark palettes). */
namespace colors {
QColor error();
QColor warning();
QColor ok();
QColor errorRowBackground();
QColor highlightBackground();
} // namespace colors

/** Draws a rounded "pill" badge at the left of \a rect (vertically centred); returns its width. */
int paintBadge(
    QPainter* painter, const QRect& rect, const QString& text, const QColor& color, bool hollow, const QFont& font);
/** Width a badge for \a text needs. */
int badgeWidth(const QString& text, const QFont& font);

} // namespace el::ui

#include <QStyledItemDelegate>

namespace el::ui {

/** \brief The default delegate with a little vertical breathing room (for trees and lists). */
class PaddedItemDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit PaddedItemDelegate(int padding, QObject* parent = nullptr)
        : QStyledItemDelegate(parent)
        , m_padding(padding)
    { }
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        return QStyledItemDelegate::sizeHint(option, index) + QSize(0, 2 * m_padding);
    }

private:
    int m_padding;
};

} // namespace el::ui
