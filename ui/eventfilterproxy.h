// SPDX-License-Identifier: MIT
#pragma once

#include "runtimetype.h"
#include "textsearch.h"

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
    /**
     * Case-insensitive substring of the event's compact JSON text; empty = any. ASCII needles use the
     * SIMD matcher (core/textsearch.h); a needle with non-ASCII letters is compared after Unicode
     * lower-casing (much slower, still correct: "ÜBER" finds "über"). Over a large table every row is
     * scanned once, on all cores, when the filter changes; no per-row copy of the text is kept.
     */
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
    std::string m_text; ///< UTF-8 as typed
    TextMatcher m_matcher {std::string_view()};
    bool m_textUnicode = false; ///< the needle has non-ASCII bytes: Unicode lower-casing, not m_matcher
    std::string m_textLower; ///< lowerUtf8(m_text), for m_textUnicode
    bool textMatches(const std::string& json) const;
    /// Source rows [0, size) matched by m_matcher when the filter was set (rows added later are checked
    /// one by one; rows removed from the model are removed here too).
    std::vector<char> m_textMatches;
    void onRowsRemoved(int first, int last);
};

} // namespace el::ui
