// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <QObject>

#include <functional>
#include <memory>

class QAction;
class QMenu;
class QWidget;

namespace el {
class Contract;
class Capture;
} // namespace el

namespace el::ui {

class CompareDialog;
class EventFilterProxy;
class EventTableModel;
class StatusBar;

/**
 * \brief The capture file in and out (the File menu's session items): New Capture, Open Capture…, the recent
 * ones, Import, Export (events, requests, the report) and Compare With…. Opening and importing run in the
 * background; the status bar shows their progress and says how they ended. Dialogs open on \a window.
 */
class CaptureFileActions final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CaptureFileActions)
public:
    CaptureFileActions(
        Capture* capture, EventTableModel* model, EventFilterProxy* proxy, StatusBar* statusBar, QWidget* window);
    ~CaptureFileActions() override;

    /// For the File menu: Export Report… (disabled while a report is written) and Compare With… (hidden without a
    /// compare function, disabled while comparing).
    QAction* exportReportAction() const { return m_exportReportAction; }
    QAction* compareAction() const { return m_compareAction; }

    void newSession();
    void openSessionFile();
    /** Opens \a path in the background (Open Capture…, the recent sessions). */
    void openSessionFileAt(const QString& path);
    /** File ▸ Recent Sessions: refilled each time it is shown. */
    void fillRecentMenu(QMenu* menu);
    void importSession();
    void exportEvents(const QString& format);
    void exportReport();
    /** See MainWindow::exportReportTo(). */
    void exportReportTo(const QString& path, bool markdown, bool onlyShown);

    /** See MainWindow::setCompareFunction(). */
    using CompareFunction = std::function<bool(const std::shared_ptr<const Contract>& contract, const QString& baseline,
        const QString& current, Json& diff, QString& error)>;
    void setCompareFunction(CompareFunction compare);
    void compareWith(const QString& baseline);
    CompareDialog* compareDialog() const { return m_compareDialog; }

Q_SIGNALS:
    /** The capture was replaced at once (New Capture): the counts changed. */
    void captureReplaced();
    /** A finding of the comparison was activated (CompareDialog::findingActivated()). */
    void findingActivated(const QString& kind, const QString& event, const QString& property);

private:
    void onJudgingStarted();
    /** \a kind: a Capture::JobKind (its header stays out of this one). */
    void onJudgingFinished(int kind, bool cancelled, const QString& error);

    Capture* m_capture;
    EventTableModel* m_model;
    EventFilterProxy* m_proxy;
    StatusBar* m_statusBar;
    QWidget* m_window;
    QAction* m_exportReportAction;
    QAction* m_compareAction;
    CompareFunction m_compare;
    CompareDialog* m_compareDialog = nullptr;
    QString m_jobPath; ///< the file being opened or imported
};

} // namespace el::ui
