// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"
#include "rawpanel.h"

#include <QWidget>

#include <memory>
#include <utility>

class QCheckBox;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QStackedWidget;
class QTabWidget;
class QTreeView;
class QTreeWidget;
class QModelIndex;

namespace el {
class Capture;
}

namespace el::ui {

class PropertyTreeModel;

/**
 * \brief The selected event: a header, then tabs Properties (tree with super-properties and
 * change marks), Raw (a RawPanel: the request the event came in, read when the tab is shown, and the normalised
 * event) and Violations (selecting one highlights the node at its JSON pointer).
 */
class DetailPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DetailPane)
public:
    enum Tab { PropertiesTab = 0, RawTab, ViolationsTab };

    explicit DetailPane(Capture* capture, QWidget* parent = nullptr);
    ~DetailPane() override;

    /**
     * Shows \a event. \a prevSameClient / \a prevSameUser are the seqs of the previous event of
     * the same distinct_id + $lib, and of the same distinct_id (else $session_id); 0 if none.
     */
    void setEvent(const EventPtr& event, qint64 prevSameClient, qint64 prevSameUser);
    /** Re-reads the violations of the shown event (expansion and selection are kept). */
    void refresh();
    void clear();
    qint64 currentSeq() const;

    PropertyTreeModel* propertyModel() const { return m_model; }
    QTreeView* propertyView() const { return m_tree; }
    QTreeWidget* violationList() const { return m_violations; }
    QTabWidget* tabs() const { return m_tabs; }
    /** The normalised event as pretty JSON (the Raw tab's Event view). */
    QString rawText() const;

    /** The Raw tab's two views: the request as it arrived, or the normalised event. */
    using RawView = RawPanel::View;
    static constexpr RawView RequestView = RawPanel::RequestView;
    static constexpr RawView EventView = RawPanel::EventView;
    void setRawView(RawView view) { m_rawPanel->setView(view); }
    /** The request view's summary as plain text: request line, status, body size, encoding (or why there is none). */
    QString requestSummary() const;
    /** The request's headers (name, value), in arrival order. */
    QTreeWidget* requestHeaders() const;
    /** The body: decoded (the event's slice highlighted) or, with hexToggle(), its bytes as received. */
    QPlainTextEdit* requestBody() const;
    QCheckBox* hexToggle() const;
    /** The shown event's byte range [first, second) in the decoded body; {-1, -1} when none is highlighted. */
    std::pair<qint64, qint64> requestSlice() const;
    /** The shown event's request is shown (or why it cannot be); false while it is read or before the tab is shown. */
    bool requestShown() const;
    /** Selects violation \a row in the list (and so highlights its node). */
    void selectViolation(int row);
    /**
     * The context menu of \a view (the property tree or the violation's) at \a index, owned by the caller: Copy
     * value, Copy JSON, Copy path, Add to Contract… (on a top-level property the contract does not name for the event:
     * canAddToContract(); it emits addToContractRequested()) and Expand all below.
     */
    QMenu* treeMenu(QTreeView* view, const QModelIndex& index);

Q_SIGNALS:
    /** Add to Contract… was chosen on property \a property of the shown event, named \a event. */
    void addToContractRequested(const QString& event, const QString& property);

private:
    void rebuild(bool keepState);
    /** Reads the shown event's request when the Raw tab is current and it is not shown yet. */
    void requestNeeded();
    void fillViolations();
    void onViolationSelected();
    void revealInTree(QTreeView* view, const QModelIndex& index);
    void showTreeMenu(QTreeView* view, const QPoint& pos);
    QTreeView* makeTree();

    Capture* m_capture;
    EventPtr m_event;
    qint64 m_prevSameClient = 0;
    qint64 m_prevSameUser = 0;
    std::size_t m_violationCount = 0;
    std::vector<Violation> m_eventViolations;

    PropertyTreeModel* m_model;
    QStackedWidget* m_stack;
    QLabel* m_title;
    QLabel* m_subtitle;
    QLabel* m_status;
    QTabWidget* m_tabs;
    QTreeView* m_tree;
    RawPanel* m_rawPanel;
    QTreeWidget* m_violations;
    QTreeView* m_context;
    QLabel* m_contextLabel;
};

} // namespace el::ui
