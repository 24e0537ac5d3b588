// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"

#include <QWidget>

#include <memory>
#include <utility>

class QAbstractButton;
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
class Session;
}

namespace el::ui {

class JsonHighlighter;
class PropertyTreeModel;

/**
 * \brief The selected event: a header, then tabs Properties (tree with super-properties and
 * change marks), Raw (the request the event came in, read back from the session file when the tab is shown:
 * method, path, headers, status, the body as received and decoded with the event's slice highlighted, or as a
 * hex dump; and the normalised event as pretty JSON) and Violations (selecting one highlights the node at its
 * JSON pointer).
 */
class DetailPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DetailPane)
public:
    enum Tab { PropertiesTab = 0, RawTab, ViolationsTab };

    explicit DetailPane(Session* session, QWidget* parent = nullptr);
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

    /** What the Raw tab shows of a request: read, decoded and sliced on a worker (detailpane.cpp). */
    struct RawRequest;

    /** The Raw tab's two views: the request as it arrived, or the normalised event. */
    enum RawView { RequestView = 0, EventView };
    void setRawView(RawView view);
    /** The request view's summary as plain text: request line, status, body size, encoding (or why there is none). */
    QString requestSummary() const;
    /** The request's headers (name, value), in arrival order. */
    QTreeWidget* requestHeaders() const { return m_headers; }
    /** The body: decoded (the event's slice highlighted) or, with hexToggle(), its bytes as received. */
    QPlainTextEdit* requestBody() const { return m_body; }
    QCheckBox* hexToggle() const { return m_hex; }
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
    void fillRaw();
    /** Reads the shown event's request when the Raw tab is current and it is not shown yet. */
    void requestNeeded();
    void loadRequest();
    void showRequest(std::shared_ptr<const RawRequest> raw);
    void showRequestMessage(const QString& html);
    void fillBody();
    void fillViolations();
    void onViolationSelected();
    void revealInTree(QTreeView* view, const QModelIndex& index);
    void showTreeMenu(QTreeView* view, const QPoint& pos);
    QTreeView* makeTree();

    Session* m_session;
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
    QLabel* m_requestInfo;
    QPlainTextEdit* m_raw;
    QStackedWidget* m_rawStack;
    QAbstractButton* m_requestButton;
    QAbstractButton* m_eventButton;
    QLabel* m_requestSummary;
    QWidget* m_requestDetails; ///< headers and body (hidden when there is no request to show)
    QTreeWidget* m_headers;
    QLabel* m_bodyLabel;
    QPlainTextEdit* m_body;
    QCheckBox* m_hex;
    JsonHighlighter* m_bodyHighlighter; ///< the JSON colours of the decoded body (off for hex and large bodies)
    std::shared_ptr<const RawRequest> m_request; ///< the shown request (null while none is)
    QString m_hexText; ///< m_request's hex dump, made when first shown
    qint64 m_requestSeq = 0; ///< the event whose request is shown or being read (0: none)
    quint64 m_requestGeneration = 0; ///< a read that finishes after another started is dropped
    bool m_requestLoading = false; ///< m_requestSeq's request is being decoded on a worker
    QTreeWidget* m_violations;
    QTreeView* m_context;
    QLabel* m_contextLabel;
};

} // namespace el::ui
