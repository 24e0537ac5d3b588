// SPDX-License-Identifier: MIT
#pragma once

#include "model/textsearch.h"
#include "runtimetype.h"

#include <QSortFilterProxyModel>

#include <optional>
#include <string>

namespace el {
struct Event;
}

namespace el::ui {

class EventTableModel;

/** \brief What the Coverage tab filters by: events of one name that lack a property, or carry one value of it. */
struct PropertyFilter
{
    std::string event; ///< exact event name
    std::string property; ///< a key of the event's properties
    std::optional<std::string> value; ///< Coverage::valueKey() of the value; nullopt: events that lack the property

    bool operator==(const PropertyFilter& o) const
    {
        return event == o.event && property == o.property && value == o.value;
    }
    /** "run_created without runtime_type", "run_created with runtime_type = byok". */
    QString text() const;
};

/**
 * \brief Filters and sorts the event table. Every criterion but the text and property filters is checked
 * against per-row data the source model already has; those two read each row's JSON once, on every core, when
 * they change. Criteria combine with AND.
 */
class EventFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventFilterProxy)
public:
    explicit EventFilterProxy(EventTableModel* model, QObject* parent = nullptr);

    /** Exact event name, or (when \a exact is false) a case-insensitive substring; empty = any. */
    void setNameFilter(const QString& name, bool exact);
    /** nullopt = any runtime_type. */
    void setRuntimeFilter(std::optional<RuntimeKind> kind);
    void setViolationsOnly(bool on);
    /**
     * Case-insensitive substring of the event's compact JSON text; empty = any. ASCII needles use the
     * SIMD matcher (core/model/textsearch.h); a needle with non-ASCII letters is compared after Unicode
     * lower-casing (much slower, still correct: "ÜBER" finds "über"). Over a large table every row is
     * scanned once, on all cores, when the filter changes; no per-row copy of the text is kept.
     */
    void setTextFilter(const QString& text);
    /**
     * The Coverage tab's filter (nullopt = none). Only rows of the named event are parsed (once, on every core, over
     * a large table; rows added later when they arrive).
     */
    void setPropertyFilter(std::optional<PropertyFilter> filter);
    const std::optional<PropertyFilter>& propertyFilter() const { return m_property; }
    void clearFilters();

    QString nameFilter() const { return m_nameText; }
    std::optional<RuntimeKind> runtimeFilter() const { return m_runtime; }
    bool violationsOnly() const { return m_violationsOnly; }
    QString textFilter() const { return m_textText; }
    bool isFiltering() const;

Q_SIGNALS:
    void filterChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    template<typename Change> void changeFilter(Change&& change);

    EventTableModel* m_model;
    QString m_nameText;
    std::string m_name; ///< UTF-8; lower case when not exact
    bool m_nameExact = false;
    std::optional<RuntimeKind> m_runtime;
    bool m_violationsOnly = false;
    QString m_textText;
    std::string m_text; ///< UTF-8 as typed
    TextMatcher m_matcher {std::string_view()};
    bool m_textUnicode = false; ///< the needle has non-ASCII bytes: Unicode lower-casing, not m_matcher
    std::string m_textLower; ///< lowerUtf8(m_text), for m_textUnicode
    bool textMatches(std::string_view json) const;
    /// Source rows [0, size) matched by m_matcher when the filter was set (rows added later are checked
    /// one by one; rows removed from the model are removed here too).
    std::vector<char> m_textMatches;
    std::optional<PropertyFilter> m_property;
    /// Source rows [0, size) matched by m_property when it was set (rows added later are checked when they arrive).
    std::vector<char> m_propertyMatches;
    bool propertyMatches(const Event& event) const;
    void onRowsRemoved(int first, int last);
};

} // namespace el::ui
