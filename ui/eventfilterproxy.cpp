// SPDX-License-Identifier: MIT
#include "eventfilterproxy.h"

#include "eventtablemodel.h"
#include "uiutil.h"

namespace el::ui {

EventFilterProxy::EventFilterProxy(EventTableModel* model, QObject* parent)
    : QSortFilterProxyModel(parent)
    , m_model(model)
{
    setSortRole(EventTableModel::SortRole);
    setDynamicSortFilter(true);
    setSourceModel(model);
}

template<typename Change> void EventFilterProxy::changeFilter(Change&& change)
{
    // invalidateRowsFilter() announces every removed run of rows one by one: over a large table
    // that is quadratic in the view (bench/ui measured minutes at 1M rows). Past a few thousand rows
    // rebuild the mapping in one pass instead (one layoutChanged; the selection is kept).
    const bool large = sourceModel() && sourceModel()->rowCount() > 5000;
#if QT_VERSION >= QT_VERSION_CHECK(6, 10, 0)
    if (large) {
        change();
        invalidate();
    } else {
        beginFilterChange();
        change();
        endFilterChange(QSortFilterProxyModel::Direction::Rows);
    }
#else
    change();
    if (large)
        invalidate();
    else
        invalidateRowsFilter();
#endif
    Q_EMIT filterChanged();
}

void EventFilterProxy::setNameFilter(const QString& name, bool exact)
{
    const QString trimmed = name.trimmed();
    if (trimmed == m_nameText && exact == m_nameExact)
        return;
    changeFilter([&] {
        m_nameText = trimmed;
        m_nameExact = exact;
        m_name = exact ? trimmed.toStdString() : lowerUtf8(trimmed.toStdString());
    });
}

void EventFilterProxy::setRuntimeFilter(std::optional<RuntimeKind> kind)
{
    if (kind == m_runtime)
        return;
    changeFilter([&] { m_runtime = kind; });
}

void EventFilterProxy::setViolationsOnly(bool on)
{
    if (on == m_violationsOnly)
        return;
    changeFilter([&] { m_violationsOnly = on; });
}

void EventFilterProxy::setTextFilter(const QString& text)
{
    if (text == m_textText)
        return;
    changeFilter([&] {
        m_textText = text;
        m_text = lowerUtf8(text.toStdString());
    });
    if (m_text.empty())
        m_model->dropSearchCache();
}

void EventFilterProxy::clearFilters()
{
    if (!isFiltering())
        return;
    changeFilter([&] {
        m_nameText.clear();
        m_name.clear();
        m_nameExact = false;
        m_runtime.reset();
        m_violationsOnly = false;
        m_textText.clear();
        m_text.clear();
    });
    m_model->dropSearchCache();
}

bool EventFilterProxy::isFiltering() const
{
    return !m_name.empty() || m_runtime || m_violationsOnly || !m_text.empty();
}

bool EventFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (sourceParent.isValid())
        return false;
    const EventTableModel::Row& row = m_model->rowAt(sourceRow);
    if (m_violationsOnly && row.errors + row.warnings == 0)
        return false;
    if (m_runtime && row.kind != *m_runtime)
        return false;
    if (!m_name.empty()) {
        if (m_nameExact ? row.event->name != m_name : !containsIgnoreCase(row.event->name, m_name))
            return false;
    }
    if (!m_text.empty() && m_model->searchText(sourceRow).find(m_text) == std::string::npos)
        return false;
    return true;
}

} // namespace el::ui
