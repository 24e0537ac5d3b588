// SPDX-License-Identifier: MIT
#pragma once

#include "capturefileactions.h"
#include "contractcontroller.h"
#include "listenercontroller.h"
#include "model/event.h"
#include "pipeline/sinkcontrol.h"
#include "settingsdialog.h"
#include "statusbar.h"

#include <QHostAddress>
#include <QMainWindow>
#include <QTimer>

#include <utility>

class QAction;
class QDockWidget;
class QMenu;
class QProgressBar;
class QPushButton;
class QSplitter;
class QTableView;

namespace el {
class Contract;
class SinkControl;
class ReplayPanel;
class Capture;
} // namespace el

namespace el::ui {

class CoveragePanel;
class CompareDialog;
class DetailPane;
class FaultsPanel;
class EventFilterProxy;
class EventTableModel;
class FilterBar;
class FunnelModel;
class HintTableView;
class RejectedModel;
class RunsModel;

/**
 * \brief The inspector window: live event table, filters, detail pane, runs, funnel and rejected requests. It lays
 * them out, builds the menus and wires them; the capture file, the contract, the listener and the status bar have
 * classes of their own.
 */
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(Capture* capture, const GuiSettings& settings = GuiSettings(), QWidget* parent = nullptr);
    ~MainWindow() override;

    /** File > Open Capture / Import / Export (issue 6). */
    void openSessionFile() { m_captureFile->openSessionFile(); }
    void importSession() { m_captureFile->importSession(); }
    void exportEvents(const QString& format) { m_captureFile->exportEvents(format); }
    /** File ▸ Export Report…: HTML or Markdown (by the file's extension) of the session, or of the filtered rows. */
    void exportReport() { m_captureFile->exportReport(); }
    /**
     * The report, written to \a path in the background (Markdown when it ends in .md or .markdown); \a onlyShown:
     * of the rows the filter shows. The status bar says when it is written.
     */
    void exportReportTo(const QString& path, bool markdown, bool onlyShown)
    {
        m_captureFile->exportReportTo(path, markdown, onlyShown);
    }

    /**
     * File ▸ Compare With… (issue 17): judges a baseline file and the session (exported to a temporary NDJSON file)
     * with \a contract and compares them, like `eventlens diff BASELINE CURRENT`. Runs on a worker. The application
     * gives the function (the check machinery lives in the executable); without one the action is hidden.
     */
    using CompareFunction = CaptureFileActions::CompareFunction;
    void setCompareFunction(CompareFunction compare) { m_captureFile->setCompareFunction(std::move(compare)); }
    /** Compares the session with \a baseline without a file dialog; the findings open in compareDialog(). */
    void compareWith(const QString& baseline) { m_captureFile->compareWith(baseline); }
    CompareDialog* compareDialog() const { return m_captureFile->compareDialog(); }
    void newSession() { m_captureFile->newSession(); }

    /**
     * Add to Contract… (issue 18 §2) on the unplanned event \a event, or on \a property of it (a property the contract
     * does not name for that planned event): shows the schema inferred from the session's events of that name in an
     * AddToContractDialog; once accepted, writes it into the loaded contract's file (for a built-in contract, into a
     * copy saved where the user chooses, which then replaces it) and reloads the contract, so that every event is
     * checked again. Errors are shown in a message box, with nothing written. True when it was written and the reload
     * started.
     */
    bool addToContract(const QString& event, const QString& property = QString())
    {
        return m_contracts->addToContract(event, property);
    }
    /** How addToContract() asks the user; tests replace them so that no modal dialog blocks. */
    using AddToContractPrompts = ContractController::AddToContractPrompts;
    void setAddToContractPrompts(AddToContractPrompts prompts)
    {
        m_contracts->setAddToContractPrompts(std::move(prompts));
    }
    /**
     * The event table's context menu for the row at \a index (a proxy index), owned by the caller: Add to
     * Contract…, enabled when the contract neither plans nor allows the row's event (canAddToContract()).
     */
    QMenu* eventMenu(const QModelIndex& index);

    /** The listener the window shows and restarts (owned by the application's controller); none: not listening. */
    void setSinkControl(SinkControl* sink);

    /**
     * (Re)starts the sink on \a address : \a port. On failure the status bar says why and, when
     * \a interactive, a dialog offers the settings; the window stays usable either way.
     */
    bool startListening(const QHostAddress& address, quint16 port, bool interactive = true)
    {
        return m_listener->startListening(address, port, interactive);
    }
    SinkControl* sinkControl() const { return m_listener->sink(); }

    EventTableModel* eventModel() const { return m_model; }
    EventFilterProxy* eventProxy() const { return m_proxy; }
    QTableView* eventView() const;
    DetailPane* detailPane() const { return m_detail; }
    FilterBar* filterBar() const { return m_filterBar; }
    CoveragePanel* coveragePanel() const { return m_coveragePanel; }
    FaultsPanel* faultsPanel() const { return m_faultsPanel; }
    QDockWidget* coverageDock() const { return m_coverageDock; }
    RunsModel* runsModel() const { return m_runsModel; }
    FunnelModel* funnelModel() const { return m_funnelModel; }
    RejectedModel* rejectedModel() const { return m_rejectedModel; }
    QAction* pauseAction() const { return m_pauseAction; }
    /** The status bar's permanent texts joined with " | " (listen address, contract, counts, rate). */
    QString statusSummary() const { return m_statusBar->summary(); }
    /** The status bar's progress of a background job (reload, open, import) and its Cancel button. */
    QProgressBar* jobProgress() const { return m_statusBar->jobProgress(); }
    QPushButton* jobCancelButton() const { return m_statusBar->jobCancelButton(); }

public Q_SLOTS:
    void setPaused(bool paused);
    void clearEvents();
    void openContract() { m_contracts->openContract(); }
    void reloadContract() { m_contracts->reloadContract(); }
    void showSettings();
    void restartListener() { m_listener->restartListener(); }
    void showAbout();
    /** Selects (and reveals) the event with \a seq in the table, clearing filters that hide it. */
    void selectEventBySeq(qint64 seq);
    /** Refreshes the status bar texts now (also done on a timer). */
    void updateStatus();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createMenus();
    void createToolBar();
    void createDocks();
    void restoreWindowState();
    void onCurrentChanged(const QModelIndex& current);
    void onModelDataChanged(const QModelIndex& topLeft, const QModelIndex& bottomRight);
    void onAboutToFlush();
    void onFlushed(int inserted, int removed);
    void onTick();
    void scheduleRunsSummary();
    /** Every run anew from the session (at start and after Capture::runsReset()). */
    void resetRuns();
    /** The funnel and the dock title, from the runs model. */
    void updateRunsSummary();
    void onContractChanged();
    void onListening(const QString& url, const QString& upstream);
    void updateEmptyHint();
    void showFinding(const QString& kind, const QString& event, const QString& property);

    Capture* m_capture;
    GuiSettings m_settings;

    EventTableModel* m_model;
    EventFilterProxy* m_proxy;
    HintTableView* m_table;
    FilterBar* m_filterBar;
    DetailPane* m_detail;
    QSplitter* m_splitter;
    RunsModel* m_runsModel;
    FunnelModel* m_funnelModel;
    RejectedModel* m_rejectedModel;
    QDockWidget* m_runsDock = nullptr;
    QDockWidget* m_funnelDock = nullptr;
    QDockWidget* m_coverageDock = nullptr;
    CoveragePanel* m_coveragePanel = nullptr;
    QDockWidget* m_faultsDock = nullptr;
    FaultsPanel* m_faultsPanel = nullptr;
    QDockWidget* m_rejectedDock = nullptr;
    QDockWidget* m_replayDock = nullptr;
    ReplayPanel* m_replayPanel = nullptr;

    QAction* m_pauseAction = nullptr;
    QAction* m_clearAction = nullptr;
    QAction* m_openAction = nullptr;
    QAction* m_reloadAction = nullptr;
    QAction* m_settingsAction = nullptr;
    QAction* m_relistenAction = nullptr;
    QAction* m_findAction = nullptr;
    QAction* m_clearFiltersAction = nullptr;
    QAction* m_aboutAction = nullptr;
    QAction* m_quitAction = nullptr;

    StatusBar* m_statusBar;
    ContractController* m_contracts;
    ListenerController* m_listener;
    CaptureFileActions* m_captureFile;

    QTimer m_tick; ///< status bar and events/s
    QTimer m_runsTimer; ///< coalesces funnel updates (the runs model itself follows every change)

    bool m_wasAtBottom = true;
    qint64 m_topSeq = 0;
};

} // namespace el::ui
