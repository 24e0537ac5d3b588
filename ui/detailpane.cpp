// SPDX-License-Identifier: MIT
#include "detailpane.h"

#include "addtocontractdialog.h"
#include "pipeline/capture.h"
#include "propertytreemodel.h"
#include "rawpanel.h"
#include "runtimetype.h"
#include "uiutil.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QToolButton>
#include <QTreeView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <set>

namespace el::ui {

namespace {

/** Pointers of expanded nodes (and "#group:N" for groups), to restore after a rebuild. */
void collectExpanded(
    const QTreeView* view, const QAbstractItemModel* model, const QModelIndex& parent, std::set<QString>& out)
{
    for (int r = 0; r < model->rowCount(parent); ++r) {
        const QModelIndex child = model->index(r, 0, parent);
        if (!view->isExpanded(child))
            continue;
        const bool group = child.data(PropertyTreeModel::GroupRole).toBool();
        out.insert(group ? QStringLiteral("#group:%1").arg(r) : child.data(PropertyTreeModel::PointerRole).toString());
        collectExpanded(view, model, child, out);
    }
}

void restoreExpanded(
    QTreeView* view, const QAbstractItemModel* model, const QModelIndex& parent, const std::set<QString>& expanded)
{
    for (int r = 0; r < model->rowCount(parent); ++r) {
        const QModelIndex child = model->index(r, 0, parent);
        const bool group = child.data(PropertyTreeModel::GroupRole).toBool();
        const QString key
            = group ? QStringLiteral("#group:%1").arg(r) : child.data(PropertyTreeModel::PointerRole).toString();
        if (expanded.count(key)) {
            view->setExpanded(child, true);
            restoreExpanded(view, model, child, expanded);
        }
    }
}

} // namespace

DetailPane::DetailPane(Capture* capture, QWidget* parent)
    : QWidget(parent)
    , m_capture(capture)
    , m_model(new PropertyTreeModel(this))
    , m_stack(new QStackedWidget(this))
    , m_title(new QLabel(this))
    , m_subtitle(new QLabel(this))
    , m_status(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_violations(new QTreeWidget(this))
    , m_contextLabel(new QLabel(this))
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_stack);

    auto* placeholder = new QLabel(tr("Select an event to see its properties, raw JSON and violations."), this);
    setUpPlaceholder(placeholder);
    m_stack->addWidget(placeholder);

    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    m_stack->addWidget(content);

    // Header: event name, then seq / time / client, and the status on the right.
    auto* header = new QWidget(content);
    auto* headerLayout = new QGridLayout(header);
    headerLayout->setContentsMargins(8, 6, 8, 2);
    headerLayout->setVerticalSpacing(1);
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setObjectName(QStringLiteral("detailTitle"));
    m_subtitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_subtitle->setWordWrap(true);
    m_subtitle->setEnabled(false);
    m_status->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    headerLayout->addWidget(m_title, 0, 0);
    headerLayout->addWidget(m_status, 0, 1);
    headerLayout->addWidget(m_subtitle, 1, 0, 1, 2);
    headerLayout->setColumnStretch(0, 1);
    layout->addWidget(header);

    m_tabs->setDocumentMode(true);
    layout->addWidget(m_tabs, 1);

    // Properties tab.
    auto* propsPage = new QWidget(m_tabs);
    auto* propsLayout = new QVBoxLayout(propsPage);
    propsLayout->setContentsMargins(0, 0, 0, 0);
    propsLayout->setSpacing(0);
    m_tree = makeTree();
    m_tree->setObjectName(QStringLiteral("propertyTree"));
    auto* treeBar = new QHBoxLayout;
    treeBar->setContentsMargins(6, 2, 6, 2);
    auto* expandAll = new QToolButton(propsPage);
    expandAll->setIcon(appIcon("expand-all"));
    expandAll->setToolTip(tr("Expand all"));
    expandAll->setAutoRaise(true);
    connect(expandAll, &QToolButton::clicked, m_tree, &QTreeView::expandAll);
    auto* collapseAll = new QToolButton(propsPage);
    collapseAll->setIcon(appIcon("collapse-all"));
    collapseAll->setToolTip(tr("Collapse to the groups"));
    collapseAll->setAutoRaise(true);
    connect(collapseAll, &QToolButton::clicked, this, [this] {
        m_tree->collapseAll();
        m_tree->expandToDepth(0);
    });
    auto* legend = new QLabel(tr("<small><b>bold</b> + icon: super-property that changed since this user's "
                                 "previous event (hover for the old value)</small>"),
        propsPage);
    legend->setEnabled(false);
    treeBar->addWidget(expandAll);
    treeBar->addWidget(collapseAll);
    treeBar->addSpacing(6);
    treeBar->addWidget(legend, 1);
    propsLayout->addLayout(treeBar);
    propsLayout->addWidget(m_tree, 1);
    m_tabs->addTab(propsPage, tr("Properties"));

    // Raw tab: the request the event came in (read when the tab is shown), or the normalised event.
    m_rawPanel = new RawPanel(capture, m_tabs);
    m_tabs->addTab(m_rawPanel, tr("Raw"));
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { requestNeeded(); });

    // Violations tab: the list, and below it the property tree around the selected violation.
    auto* violationsSplit = new QSplitter(Qt::Vertical, m_tabs);
    m_violations->setObjectName(QStringLiteral("violationList"));
    m_violations->setColumnCount(5);
    m_violations->setHeaderLabels({tr("Severity"), tr("Message"), tr("Path"), tr("Rule"), tr("Kind")});
    m_violations->setItemDelegate(new PaddedItemDelegate(3, m_violations));
    setUpFlatList(m_violations, 1);
    m_violations->setColumnWidth(0, 90);
    m_violations->setColumnWidth(2, 190);
    m_violations->setColumnWidth(3, 110);
    m_violations->setColumnWidth(4, 90);
    connect(m_violations, &QTreeWidget::itemSelectionChanged, this, &DetailPane::onViolationSelected);
    connect(m_violations, &QTreeWidget::itemActivated, this, [this] { m_tabs->setCurrentIndex(PropertiesTab); });
    violationsSplit->addWidget(m_violations);
    auto* contextPage = new QWidget(violationsSplit);
    auto* contextLayout = new QVBoxLayout(contextPage);
    contextLayout->setContentsMargins(0, 4, 0, 0);
    contextLayout->setSpacing(2);
    m_contextLabel->setContentsMargins(6, 2, 6, 2);
    m_contextLabel->setWordWrap(true);
    m_contextLabel->setTextFormat(Qt::RichText);
    m_contextLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_contextLabel->setText(tr("Select a violation to see where it points."));
    m_contextLabel->setEnabled(false);
    contextLayout->addWidget(m_contextLabel);
    m_context = makeTree();
    m_context->setObjectName(QStringLiteral("violationContextTree"));
    contextLayout->addWidget(m_context, 1);
    violationsSplit->addWidget(contextPage);
    violationsSplit->setStretchFactor(0, 1);
    violationsSplit->setStretchFactor(1, 3);
    violationsSplit->setChildrenCollapsible(false);
    m_tabs->addTab(violationsSplit, tr("Violations"));

    m_stack->setCurrentIndex(0);
}

DetailPane::~DetailPane() = default;

QTreeView* DetailPane::makeTree()
{
    auto* view = new QTreeView(this);
    view->setModel(m_model);
    view->setItemDelegate(new PaddedItemDelegate(2, view));
    view->setUniformRowHeights(true);
    view->setAlternatingRowColors(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    view->setAllColumnsShowFocus(true);
    view->header()->setStretchLastSection(false);
    view->header()->setSectionResizeMode(PropertyTreeModel::ValueColumn, QHeaderView::Stretch);
    view->setColumnWidth(PropertyTreeModel::NameColumn, 250);
    view->setColumnWidth(PropertyTreeModel::TypeColumn, 130);
    connect(view, &QTreeView::customContextMenuRequested, this,
        [this, view](const QPoint& pos) { showTreeMenu(view, pos); });
    auto* copy = new QAction(tr("Copy value"), view);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    connect(copy, &QAction::triggered, this, [view] {
        const QModelIndex current = view->currentIndex();
        if (current.isValid())
            QGuiApplication::clipboard()->setText(
                current.siblingAtColumn(0).data(PropertyTreeModel::ValueTextRole).toString());
    });
    view->addAction(copy);
    return view;
}

void DetailPane::showTreeMenu(QTreeView* view, const QPoint& pos)
{
    const QModelIndex index = view->indexAt(pos).siblingAtColumn(0);
    if (!index.isValid())
        return;
    const std::unique_ptr<QMenu> menu(treeMenu(view, index));
    menu->exec(view->viewport()->mapToGlobal(pos));
}

QMenu* DetailPane::treeMenu(QTreeView* view, const QModelIndex& at)
{
    auto* menu = new QMenu(view);
    const QPersistentModelIndex index(at.siblingAtColumn(0));
    const QString value = index.data(PropertyTreeModel::ValueTextRole).toString();
    const QString json = index.data(PropertyTreeModel::JsonTextRole).toString();
    const QString pointer = index.data(PropertyTreeModel::PointerRole).toString();
    const bool hasValue
        = !index.data(PropertyTreeModel::GroupRole).toBool() && !index.data(PropertyTreeModel::MissingRole).toBool();
    QAction* copyValue = menu->addAction(themeIcon("edit-copy", "copy"), tr("Copy value"));
    copyValue->setEnabled(hasValue);
    connect(copyValue, &QAction::triggered, this, [value] { QGuiApplication::clipboard()->setText(value); });
    QAction* copyJson = menu->addAction(tr("Copy JSON"));
    copyJson->setEnabled(hasValue);
    connect(copyJson, &QAction::triggered, this, [json] { QGuiApplication::clipboard()->setText(json); });
    QAction* copyPath = menu->addAction(tr("Copy path"));
    copyPath->setEnabled(!pointer.isEmpty());
    copyPath->setToolTip(pointer);
    connect(copyPath, &QAction::triggered, this, [pointer] { QGuiApplication::clipboard()->setText(pointer); });
    // Add to Contract… on a property of the event (not a nested value) that the contract does not name for it.
    const std::vector<std::string> tokens = splitPointer(pointer.toStdString());
    if (hasValue && m_event && tokens.size() == 2 && tokens[0] == "properties") {
        const std::string name = m_event->name();
        menu->addSeparator();
        QAction* add = menu->addAction(tr("Add “%1” to Contract…").arg(qs(tokens[1])));
        add->setObjectName(QStringLiteral("addToContract"));
        add->setEnabled(canAddToContract(*m_capture, name, tokens[1]));
        add->setToolTip(add->isEnabled()
                ? tr("Add this property to the event's schema in the contract, with its schema inferred from the "
                     "session's %1 events")
                      .arg(qs(name))
                : tr("The contract names this property already (or does not plan %1)").arg(qs(name)));
        connect(add, &QAction::triggered, this,
            [this, event = qs(name), property = qs(tokens[1])] { Q_EMIT addToContractRequested(event, property); });
    }
    menu->addSeparator();
    QAction* expand = menu->addAction(tr("Expand all below"));
    connect(expand, &QAction::triggered, this, [view, index] {
        if (index.isValid())
            view->expandRecursively(index);
    });
    return menu;
}

void DetailPane::setEvent(const EventPtr& event, qint64 prevSameClient, qint64 prevSameUser)
{
    if (!event) {
        clear();
        return;
    }
    const bool same = m_event && m_event->seq == event->seq;
    m_event = event;
    m_prevSameClient = prevSameClient;
    m_prevSameUser = prevSameUser;
    rebuild(same);
    if (!same)
        requestNeeded();
}

void DetailPane::refresh()
{
    if (!m_event)
        return;
    if (m_capture->store()->violationsFor(m_event->seq).size() == m_violationCount)
        return;
    rebuild(true);
}

void DetailPane::clear()
{
    m_event.reset();
    m_eventViolations.clear();
    m_violationCount = 0;
    m_model->clear();
    m_violations->clear();
    m_rawPanel->clear();
    m_stack->setCurrentIndex(0);
}

qint64 DetailPane::currentSeq() const
{
    return m_event ? m_event->seq : 0;
}

QString DetailPane::rawText() const
{
    return m_rawPanel->eventText();
}

QString DetailPane::requestSummary() const
{
    return m_rawPanel->requestSummary();
}

QTreeWidget* DetailPane::requestHeaders() const
{
    return m_rawPanel->requestHeaders();
}

QPlainTextEdit* DetailPane::requestBody() const
{
    return m_rawPanel->requestBody();
}

QCheckBox* DetailPane::hexToggle() const
{
    return m_rawPanel->hexToggle();
}

std::pair<qint64, qint64> DetailPane::requestSlice() const
{
    return m_rawPanel->requestSlice();
}

bool DetailPane::requestShown() const
{
    return m_rawPanel->requestShown();
}

void DetailPane::rebuild(bool keepState)
{
    const EventStore* store = m_capture->store();
    std::set<QString> expanded;
    QString currentPointer;
    if (keepState) {
        collectExpanded(m_tree, m_model, QModelIndex(), expanded);
        currentPointer = m_tree->currentIndex().siblingAtColumn(0).data(PropertyTreeModel::PointerRole).toString();
    }

    m_eventViolations.clear();
    const auto violations = store->violationsFor(m_event->seq);
    m_violationCount = violations.size();
    for (const Violation* v : violations)
        m_eventViolations.push_back(*v);

    PropertyTreeModel::Input input;
    input.event = m_event;
    if (m_capture->engine())
        input.contractSuper = m_capture->engine()->superProperties();
    input.previousSameClient = m_prevSameClient ? store->eventBySeq(m_prevSameClient) : EventPtr();
    input.previousSameUser = m_prevSameUser ? store->eventBySeq(m_prevSameUser) : EventPtr();
    input.violations = m_eventViolations;
    m_model->setInput(std::move(input));

    if (keepState && !expanded.empty()) {
        restoreExpanded(m_tree, m_model, QModelIndex(), expanded);
        if (!currentPointer.isEmpty())
            m_tree->setCurrentIndex(m_model->indexForPointer(currentPointer.toStdString()));
    } else {
        m_tree->expandToDepth(0);
    }
    m_context->expandToDepth(0);

    // Header.
    const Event& e = *m_event;
    m_title->setText(e.name().empty() ? tr("(unnamed event)") : qs(e.name()));
    QStringList sub;
    sub << QStringLiteral("#%1").arg(e.seq) << formatTime(e.receivedMs, true);
    if (!e.distinctId().empty())
        sub << QStringLiteral("distinct_id %1").arg(qs(e.distinctId()));
    if (!e.lib().empty())
        sub << qs(e.lib()) + (e.libVersion().empty() ? QString() : u' ' + qs(e.libVersion()));
    sub << QStringLiteral("runtime_type %1").arg(runtimeTypeText(e.runtimeType()));
    m_subtitle->setText(sub.join(QStringLiteral("  ·  ")));
    int errors = 0, warnings = 0;
    for (const Violation& v : m_eventViolations)
        (v.severity == Severity::Error ? errors : warnings)++;
    const QColor statusColor = errors ? colors::error() : warnings ? colors::warning() : colors::ok();
    m_status->setText(statusText(errors, warnings));
    m_status->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: white; border-radius: 9px; padding: 2px 10px; "
                       "font-weight: bold; }")
            .arg(statusColor.name()));
    m_tabs->setTabIcon(ViolationsTab, m_eventViolations.empty() ? QIcon() : statusIcon(errors, warnings));
    m_tabs->setTabText(ViolationsTab,
        m_eventViolations.empty() ? tr("Violations") : tr("Violations (%1)").arg(m_eventViolations.size()));

    m_rawPanel->setEvent(m_event);
    fillViolations();
    m_stack->setCurrentIndex(1);
    // The first violation is selected at once: its node is highlighted in the property tree.
    if (!keepState && !m_eventViolations.empty())
        selectViolation(0);
}

void DetailPane::requestNeeded()
{
    if (m_tabs->currentIndex() == RawTab)
        m_rawPanel->ensureRequest();
}

void DetailPane::fillViolations()
{
    const QSignalBlocker blocker(m_violations);
    m_violations->clear();
    for (const Violation& v : m_eventViolations) {
        auto* item = new QTreeWidgetItem(m_violations);
        const bool error = v.severity == Severity::Error;
        item->setIcon(0, statusIcon(error ? 1 : 0, error ? 0 : 1));
        item->setText(0, qs(std::string(toString(v.severity))));
        item->setForeground(0, error ? colors::error() : colors::warning());
        item->setText(1, qs(v.message));
        item->setToolTip(1, qs(v.message));
        item->setText(2, qs(v.path));
        item->setText(3, qs(v.rule));
        item->setText(4, qs(std::string(toString(v.kind))));
        item->setData(0, Qt::UserRole, qs(v.path));
        item->setData(1, Qt::UserRole,
            QStringLiteral("<b>%1</b> · %2 · %3<br>%4")
                .arg(qs(v.rule).toHtmlEscaped(), qs(std::string(toString(v.kind))).toHtmlEscaped(),
                    v.path.empty() ? tr("whole event") : qs(v.path).toHtmlEscaped(), qs(v.message).toHtmlEscaped()));
    }
    m_contextLabel->setText(m_eventViolations.empty() ? tr("This event has no contract violations.")
                                                      : tr("Select a violation to see where it points."));
    m_contextLabel->setEnabled(false);
}

void DetailPane::selectViolation(int row)
{
    if (QTreeWidgetItem* item = m_violations->topLevelItem(row))
        m_violations->setCurrentItem(item);
}

void DetailPane::onViolationSelected()
{
    QTreeWidgetItem* item = m_violations->currentItem();
    if (!item)
        return;
    const std::string pointer = item->data(0, Qt::UserRole).toString().toStdString();
    const QModelIndex index = m_model->highlightPointer(pointer);
    revealInTree(m_tree, index);
    revealInTree(m_context, index);
    m_contextLabel->setText(item->data(1, Qt::UserRole).toString());
    m_contextLabel->setEnabled(true);
}

void DetailPane::revealInTree(QTreeView* view, const QModelIndex& index)
{
    if (!index.isValid())
        return;
    for (QModelIndex p = index.parent(); p.isValid(); p = p.parent())
        view->expand(p);
    view->expand(index);
    view->setCurrentIndex(index);
    view->scrollTo(index, QAbstractItemView::PositionAtCenter);
}

} // namespace el::ui
