// SPDX-License-Identifier: MIT
#include "eventfilterproxy.h"

#include "eventtablemodel.h"
#include "uiutil.h"

#include "contract/coverage.h"

#include <algorithm>

namespace el::ui {

EventFilterProxy::EventFilterProxy(EventTableModel* model, QObject* parent)
    : QSortFilterProxyModel(parent)
    , m_model(model)
{
    setSortRole(EventTableModel::SortRole);
    setDynamicSortFilter(true);
    setSourceModel(model);
    connect(
        model, &QAbstractItemModel::rowsRemoved, this, [this](const QModelIndex& sourceParent, int first, int last) {
            if (!sourceParent.isValid())
                onRowsRemoved(first, last);
        });
    connect(model, &QAbstractItemModel::modelReset, this, [this] {
        m_textMatches.clear();
        m_propertyMatches.clear();
    });
}

QString PropertyFilter::text() const
{
    if (!value)
        return EventFilterProxy::tr("%1 without %2").arg(qs(event), qs(property));
    return EventFilterProxy::tr("%1 with %2 = %3").arg(qs(event), qs(property), qs(*value));
}

void EventFilterProxy::onRowsRemoved(int first, int last)
{
    for (std::vector<char>* matches : {&m_textMatches, &m_propertyMatches}) {
        const auto size = static_cast<int>(matches->size());
        if (first < size)
            matches->erase(matches->begin() + first, matches->begin() + std::min(last + 1, size));
    }
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
        m_text = text.toStdString();
        m_matcher = TextMatcher(m_text);
        m_textUnicode = std::any_of(m_text.begin(), m_text.end(), [](char c) { return (c & 0x80) != 0; });
        m_textLower = m_textUnicode ? lowerUtf8(m_text) : std::string();
        m_textMatches.clear();
        const int rows = m_model->rowCount();
        if (m_text.empty() || rows < 5000)
            return;
        // One scan over every row's text, split across the cores; filterAcceptsRow() then only looks up.
        if (!m_textUnicode) {
            m_textMatches = matchAllWith(
                static_cast<std::size_t>(rows),
                [this](std::size_t r) { return std::string_view(m_model->rowAt(static_cast<int>(r)).event->json); },
                m_matcher, 0);
            return;
        }
        m_textMatches.assign(static_cast<std::size_t>(rows), 0);
        parallelChunks(static_cast<std::size_t>(rows), 0, [this](std::size_t begin, std::size_t end) {
            for (std::size_t r = begin; r < end; ++r)
                m_textMatches[r] = textMatches(m_model->rowAt(static_cast<int>(r)).event->json) ? 1 : 0;
        });
    });
}

bool EventFilterProxy::propertyMatches(const Event& event) const
{
    if (event.field(Event::Field::Name) != m_property->event)
        return false;
    const Json props = event.properties();
    const auto it = props.find(m_property->property);
    if (!m_property->value)
        return it == props.end();
    return it != props.end() && Coverage::valueKey(*it) == *m_property->value;
}

void EventFilterProxy::setPropertyFilter(std::optional<PropertyFilter> filter)
{
    if (filter == m_property)
        return;
    changeFilter([&] {
        m_property = std::move(filter);
        m_propertyMatches.clear();
        const int rows = m_model->rowCount();
        if (!m_property || rows < 5000)
            return;
        m_propertyMatches.assign(static_cast<std::size_t>(rows), 0);
        parallelChunks(static_cast<std::size_t>(rows), 0, [this](std::size_t begin, std::size_t end) {
            for (std::size_t r = begin; r < end; ++r)
                m_propertyMatches[r] = propertyMatches(*m_model->rowAt(static_cast<int>(r)).event) ? 1 : 0;
        });
    });
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
        m_matcher = TextMatcher(std::string_view());
        m_textUnicode = false;
        m_textLower.clear();
        m_textMatches.clear();
        m_property.reset();
        m_propertyMatches.clear();
    });
}

bool EventFilterProxy::textMatches(std::string_view json) const
{
    return m_textUnicode ? lowerUtf8(json).find(m_textLower) != std::string::npos : m_matcher.matches(json);
}

bool EventFilterProxy::isFiltering() const
{
    return !m_name.empty() || m_runtime || m_violationsOnly || !m_text.empty() || m_property;
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
        if (m_nameExact ? row.event->name() != m_name : !containsIgnoreCase(row.event->name(), m_name))
            return false;
    }
    if (!m_text.empty()) {
        const bool match = static_cast<std::size_t>(sourceRow) < m_textMatches.size()
            ? m_textMatches[static_cast<std::size_t>(sourceRow)] != 0
            : textMatches(row.event->json);
        if (!match)
            return false;
    }
    if (m_property) {
        const bool match = static_cast<std::size_t>(sourceRow) < m_propertyMatches.size()
            ? m_propertyMatches[static_cast<std::size_t>(sourceRow)] != 0
            : propertyMatches(*row.event);
        if (!match)
            return false;
    }
    return true;
}

} // namespace el::ui
