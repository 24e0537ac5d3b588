// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <QDialog>

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace el::ui {

/**
 * \brief File ▸ Compare With… (issue 17): the findings of `eventlens diff` (a baseline file against the session in
 * the window), grouped as regressions, improvements and other changes. Activating a finding asks the window to
 * filter the event table to its events.
 */
class CompareDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareDialog)
public:
    explicit CompareDialog(QWidget* parent = nullptr);

    /** Shows \a diff (el::diffReports()), made from \a baseline. */
    void setDiff(const Json& diff, const QString& baseline);
    QTreeWidget* findings() const { return m_findings; }
    QString verdictText() const;

Q_SIGNALS:
    /** A finding was clicked: its kind, event and property (empty when it has none). */
    void findingActivated(const QString& kind, const QString& event, const QString& property);

private:
    QLabel* m_verdict;
    QTreeWidget* m_findings;
};

} // namespace el::ui
