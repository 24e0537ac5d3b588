// SPDX-License-Identifier: MIT
#pragma once

#include "runtimetype.h"

#include <QSortFilterProxyModel>

#include <optional>
#include <string>

namespace el::ui {

class EventTableModel;

/**
 * \brief Filters and sorts the event table. Every criterion is checked against per-row data the
 * source model already has (or caches), never by re-parsing JSON; criteria combine with AND.
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
    /** Case-insensitive substring of the event's JSON; empty = any. */
    void setTextFilter(const QString& text);
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
    std::string m_text; ///< lower-case UTF-8
};

} // namespace el::ui
