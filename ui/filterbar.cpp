// SPDX-License-Identifier: MIT
#include "filterbar.h"

#include "eventfilterproxy.h"
#include "eventtablemodel.h"
#include "uiutil.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QToolButton>

namespace el::ui {

FilterBar::FilterBar(EventTableModel* model, EventFilterProxy* proxy, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_proxy(proxy)
    , m_search(new QLineEdit(this))
    , m_name(new QComboBox(this))
    , m_runtime(new QComboBox(this))
    , m_violationsOnly(new QCheckBox(tr("Violations only"), this))
    , m_property(new QToolButton(this))
    , m_count(new QLabel(this))
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(8);

    m_search->setObjectName(QStringLiteral("filterSearch"));
    m_search->setPlaceholderText(tr("Search in payload (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_search->addAction(themeIcon("edit-find", "search"), QLineEdit::LeadingPosition);
    m_search->setToolTip(tr("Case-insensitive text searched in each event's JSON"));
    m_search->setMinimumWidth(180);
    layout->addWidget(m_search, 3);

    m_name->setObjectName(QStringLiteral("filterEvent"));
    m_name->setEditable(true);
    m_name->setInsertPolicy(QComboBox::NoInsert);
    m_name->lineEdit()->setPlaceholderText(tr("All events"));
    m_name->lineEdit()->setClearButtonEnabled(true);
    m_name->setToolTip(tr("Event name: pick one seen so far (exact) or type part of a name"));
    m_name->setMinimumWidth(150);
    m_name->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_name->setMinimumContentsLength(16);
    m_name->completer()->setCompletionMode(QCompleter::PopupCompletion);
    m_name->completer()->setFilterMode(Qt::MatchContains);
    m_name->completer()->setCaseSensitivity(Qt::CaseInsensitive);
    layout->addWidget(m_name, 2);

    m_runtime->setObjectName(QStringLiteral("filterRuntime"));
    m_runtime->setToolTip(tr("properties.runtime_type"));
    m_runtime->addItem(tr("Any runtime_type"));
    for (int k = 0; k < kRuntimeKindCount; ++k)
        m_runtime->addItem(runtimeKindName(static_cast<RuntimeKind>(k)), k);
    layout->addWidget(m_runtime);

    m_violationsOnly->setObjectName(QStringLiteral("filterViolations"));
    m_violationsOnly->setToolTip(tr("Only events with contract errors or warnings"));
    layout->addWidget(m_violationsOnly);

    m_property->setObjectName(QStringLiteral("filterProperty"));
    m_property->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_property->setToolTip(tr("Filter set from the Coverage tab. Click to remove it."));
    m_property->hide();
    connect(m_property, &QToolButton::clicked, this, [this] { m_proxy->setPropertyFilter(std::nullopt); });
    connect(m_proxy, &EventFilterProxy::filterChanged, this, &FilterBar::updateProperty);
    layout->addWidget(m_property);

    m_count->setObjectName(QStringLiteral("filterCount"));
    m_count->setMinimumWidth(m_count->fontMetrics().horizontalAdvance(QStringLiteral("100,000 of 100,000 events")));
    m_count->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    layout->addWidget(m_count);

    // Typing is debounced a little: each change re-filters every row.
    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(180);
    connect(m_search, &QLineEdit::textChanged, this, [this] { m_searchDelay.start(); });
    connect(&m_searchDelay, &QTimer::timeout, this, [this] { m_proxy->setTextFilter(m_search->text()); });
    connect(m_name, &QComboBox::editTextChanged, this, &FilterBar::applyName);
    connect(m_runtime, qOverload<int>(&QComboBox::currentIndexChanged), this, &FilterBar::applyRuntime);
    connect(m_violationsOnly, &QCheckBox::toggled, m_proxy, &EventFilterProxy::setViolationsOnly);

    connect(m_model, &EventTableModel::eventNamesChanged, this, &FilterBar::updateNames);
    m_countDelay.setSingleShot(true);
    m_countDelay.setInterval(50);
    connect(&m_countDelay, &QTimer::timeout, this, &FilterBar::updateCount);
    const auto later = [this] {
        if (!m_countDelay.isActive())
            m_countDelay.start();
    };
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, later);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, later);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, later);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, later);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, later);
    updateNames();
    updateCount();
}

void FilterBar::focusSearch()
{
    m_search->setFocus(Qt::ShortcutFocusReason);
    m_search->selectAll();
}

void FilterBar::clearFilters()
{
    m_searchDelay.stop();
    {
        const QSignalBlocker b1(m_search), b2(m_name), b3(m_runtime), b4(m_violationsOnly);
        m_search->clear();
        m_name->setCurrentIndex(-1);
        m_name->setEditText(QString());
        m_runtime->setCurrentIndex(0);
        m_violationsOnly->setChecked(false);
    }
    m_proxy->clearFilters();
    updateCount();
}

void FilterBar::updateNames()
{
    const QStringList names = m_model->eventNames();
    const QString text = m_name->currentText();
    const QSignalBlocker blocker(m_name);
    m_name->clear();
    m_name->addItems(names);
    m_name->setCurrentIndex(names.indexOf(text));
    m_name->setEditText(text);
}

void FilterBar::applyName()
{
    const QString text = m_name->currentText().trimmed();
    // A name picked from the list (or typed in full) matches exactly; anything else is a substring.
    const bool exact = !text.isEmpty() && m_name->findText(text, Qt::MatchExactly | Qt::MatchCaseSensitive) >= 0;
    m_proxy->setNameFilter(text, exact);
}

void FilterBar::applyRuntime()
{
    const QVariant kind = m_runtime->currentData();
    m_proxy->setRuntimeFilter(
        kind.isValid() ? std::optional<RuntimeKind>(static_cast<RuntimeKind>(kind.toInt())) : std::nullopt);
}

void FilterBar::updateProperty()
{
    const auto& filter = m_proxy->propertyFilter();
    m_property->setVisible(filter.has_value());
    if (filter)
        m_property->setText(filter->text() + QStringLiteral("  ✕"));
}

QString FilterBar::countText() const
{
    return m_count->text();
}

QString FilterBar::countToolTip() const
{
    return m_count->toolTip();
}

void FilterBar::updateCount()
{
    const int shown = m_proxy->rowCount();
    const int total = m_model->rowCount();
    const qint64 older = m_model->totalReceived() - total - m_model->stagedCount();
    // Past the row cap the table holds the newest events only. Say so on the label itself: "100,000 of 100,000
    // events" with 200,000 received reads as events lost, though the older ones are kept and judged (the status bar
    // counts them; the tooltip says why they are not here). No longer than the usual text: the bar is narrow.
    m_count->setText(older > 0 ? tr("%1 of newest %2").arg(formatCount(shown), formatCount(total))
                               : tr("%1 of %2 events").arg(formatCount(shown), formatCount(total)));
    // The smaller limit is the one to name: the row cap (Settings), or the events kept in memory
    // (--max-events-in-memory), which the table never outlives.
    const int cap = m_model->effectiveRowCap();
    const QString limit = cap < m_model->rowCap()
        ? tr("the newest %1 events kept in memory, --max-events-in-memory").arg(formatCount(cap))
        : tr("row cap %1, Settings").arg(formatCount(cap));
    m_count->setToolTip(older > 0
            ? tr("%1 older events are not in the table (%2); they are still in the session, and judged")
                  .arg(formatCount(older), limit)
            : QString());
}

} // namespace el::ui
