// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"

#include <QWidget>

class QLabel;
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

class PropertyTreeModel;

/**
 * \brief The selected event: a header, then tabs Properties (tree with super-properties and
 * change marks), Raw (request info and pretty JSON) and Violations (selecting one highlights the
 * node at its JSON pointer).
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
    QString rawText() const;
    /** Selects violation \a row in the list (and so highlights its node). */
    void selectViolation(int row);

private:
    void rebuild(bool keepState);
    void fillRaw();
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
    QTreeWidget* m_violations;
    QTreeView* m_context;
    QLabel* m_contextLabel;
};

} // namespace el::ui
