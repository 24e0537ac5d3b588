// SPDX-License-Identifier: MIT
#pragma once

#include <QTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QToolButton;

namespace el::ui {

class EventFilterProxy;
class EventTableModel;

/**
 * \brief The filter row above the event table: free text (searched in the event JSON), event
 * name, runtime_type, violations only, and the "N of M events" count.
 */
class FilterBar final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FilterBar)
public:
    FilterBar(EventTableModel* model, EventFilterProxy* proxy, QWidget* parent = nullptr);

    void focusSearch();
    /** Resets every filter (the widgets follow). */
    void clearFilters();
    QLineEdit* searchEdit() const { return m_search; }
    QComboBox* nameCombo() const { return m_name; }
    QComboBox* runtimeCombo() const { return m_runtime; }
    QCheckBox* violationsOnlyBox() const { return m_violationsOnly; }
    QString countText() const;
    /** Why older events are not in the table (empty while the table holds every event). */
    QString countToolTip() const;

private:
    void updateNames();
    void applyName();
    void applyRuntime();
    void updateCount();
    void updateProperty();

    EventTableModel* m_model;
    EventFilterProxy* m_proxy;
    QLineEdit* m_search;
    QComboBox* m_name;
    QComboBox* m_runtime;
    QCheckBox* m_violationsOnly;
    QToolButton* m_property; ///< the Coverage tab's filter, shown while one is set; clicking clears it
    QLabel* m_count;
    QTimer m_searchDelay;
    QTimer m_countDelay;
};

} // namespace el::ui
