// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "ingest/sinkcontrol.h"
#include "report/diff.h"
#include "report/sessionreport.h"
#include "savefile.h"
#include "store/exchange.h"

#include "addtocontractdialog.h"
#include "comparedialog.h"
#include "coveragepanel.h"
#include "detailpane.h"
#include "eventfilterproxy.h"
#include "eventtablemodel.h"
#include "eventtableview.h"
#include "faultspanel.h"
#include "filterbar.h"
#include "rejectedmodel.h"
#include "replaypanel.h"
#include "runsmodel.h"
#include "runspanel.h"
#include "runtimetype.h"
#include "session.h"
#include "uiutil.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QToolBar>
#include <QVBoxLayout>

namespace el::ui {

namespace {

constexpr int kTickMs = 500;
constexpr int kRateWindowSamples = 10; // 5 s at kTickMs
constexpr int kRunsSummaryMs = 250; ///< the funnel and the runs count follow the runs at most 4× a second

QLabel* statusLabel(const char* objectName, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(QLatin1String(objectName));
    label->setContentsMargins(6, 0, 6, 0);
    return label;
}

bool isBuiltin(const QString& origin)
{
    return origin.startsWith(QLatin1String("builtin:"));
}

} // namespace

MainWindow::MainWindow(Session* session, const GuiSettings& settings, QWidget* parent)
    : QMainWindow(parent)
    , m_session(session)
    , m_settings(settings)
    , m_model(new EventTableModel(session->store(), this))
    , m_proxy(new EventFilterProxy(m_model, this))
    , m_table(new HintTableView(this))
    , m_filterBar(new FilterBar(m_model, m_proxy, this))
    , m_detail(new DetailPane(session, this))
    , m_splitter(new QSplitter(Qt::Horizontal, this))
    , m_runsModel(new RunsModel(this))
    , m_funnelModel(new FunnelModel(this))
    , m_rejectedModel(new RejectedModel(session->store(), this))
    , m_watcher(new QFileSystemWatcher(this))
{
    initResources();
    setWindowTitle(tr("EventLens"));
    setWindowIcon(appIcon("eventlens"));
    setObjectName(QStringLiteral("EventLensMainWindow"));
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    setTabPosition(Qt::BottomDockWidgetArea, QTabWidget::North);
    m_model->setRowCap(settings.rowCap);

    // Event table.
    m_table->setObjectName(QStringLiteral("eventTable"));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_table->verticalHeader()->hide();
    // Fixed row height: the view never measures rows, whatever the row count.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 9);
    QHeaderView* header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(true);
    header->setSortIndicatorClearable(true);
    header->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);
    m_table->setItemDelegateForColumn(
        EventTableModel::RuntimeTypeColumn, new RuntimeBadgeDelegate(EventTableModel::RuntimeKindRole, this));
    const QFontMetrics fm = m_table->fontMetrics();
    m_table->setColumnWidth(EventTableModel::TimeColumn, fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 20);
    m_table->setColumnWidth(EventTableModel::EventColumn, fm.horizontalAdvance(QStringLiteral("run_created_event_x")));
    m_table->setColumnWidth(EventTableModel::RuntimeTypeColumn, fm.horizontalAdvance(QStringLiteral("amr_cloud")) + 40);
    m_table->setColumnWidth(
        EventTableModel::DistinctIdColumn, fm.horizontalAdvance(QStringLiteral("user-0000-0000-00")));
    m_table->setColumnWidth(EventTableModel::RunIdColumn, fm.horizontalAdvance(QStringLiteral("run-0000-0000-00")));
    m_table->setColumnWidth(
        EventTableModel::ClientColumn, fm.horizontalAdvance(QStringLiteral("posthog-node 5.10.0")) + 12);
    m_table->setColumnWidth(EventTableModel::EndpointColumn, fm.horizontalAdvance(QStringLiteral("/batch/ ")) + 12);

    auto* left = new QWidget(m_splitter);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->setSpacing(0);
    leftLayout->addWidget(m_filterBar);
    leftLayout->addWidget(m_table, 1);
    m_splitter->addWidget(left);
    m_splitter->addWidget(m_detail);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);
    setCentralWidget(m_splitter);

    createActions();
    createMenus();
    createToolBar();
    createDocks();
    createStatusBar();

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex& current) { onCurrentChanged(current); });
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint& pos) {
        const std::unique_ptr<QMenu> menu(eventMenu(m_table->indexAt(pos)));
        if (menu)
            menu->exec(m_table->viewport()->mapToGlobal(pos));
    });
    connect(m_detail, &DetailPane::addToContractRequested, this,
        [this](const QString& event, const QString& property) { addToContract(event, property); });
    connect(m_model, &QAbstractItemModel::dataChanged, this, &MainWindow::onModelDataChanged);
    connect(m_model, &QAbstractItemModel::modelReset, m_detail, &DetailPane::clear);
    connect(m_model, &EventTableModel::aboutToFlush, this, &MainWindow::onAboutToFlush);
    connect(m_model, &EventTableModel::flushed, this, &MainWindow::onFlushed);
    connect(m_model, &EventTableModel::stagedCountChanged, this, &MainWindow::updateStatus);
    connect(m_proxy, &EventFilterProxy::filterChanged, this, &MainWindow::updateEmptyHint);

    EventStore* store = session->store();
    connect(store, &EventStore::violationsCleared, this, [this] {
        m_violationsCounted = 0;
        m_errorTotal = m_warningTotal = 0;
    });
    connect(store, &EventStore::cleared, this, [this] {
        m_violationsCounted = 0;
        m_errorTotal = m_warningTotal = 0;
        m_rateSamples.clear();
        updateStatus();
    });
    connect(session, &Session::contractChanged, this, &MainWindow::onContractChanged);
    // Runs arrive as change notifications, in commit order: the model never asks the engine for all of them
    // except after a reset.
    connect(session, &Session::runsChanged, this, [this](const RunChanges& changes) {
        m_runsModel->applyChanges(changes, m_session->store());
        scheduleRunsSummary();
    });
    connect(session, &Session::runsReset, this, &MainWindow::resetRuns);
    // Contract reloads, opened sessions and imports are judged in the background: progress and Cancel.
    connect(session, &Session::judgingStarted, this, &MainWindow::onJudgingStarted);
    connect(session, &Session::judgingProgress, this, &MainWindow::onJudgingProgress);
    connect(
        session, &Session::judgingFinished, this, [this](Session::JobKind kind, bool cancelled, const QString& error) {
            onJudgingFinished(static_cast<int>(kind), cancelled, error);
        });

    m_runsTimer.setSingleShot(true);
    m_runsTimer.setInterval(kRunsSummaryMs);
    connect(&m_runsTimer, &QTimer::timeout, this, &MainWindow::updateRunsSummary);
    m_tick.setInterval(kTickMs);
    connect(&m_tick, &QTimer::timeout, this, &MainWindow::onTick);
    m_tick.start();
    m_reloadDelay.setSingleShot(true);
    m_reloadDelay.setInterval(300);
    connect(&m_reloadDelay, &QTimer::timeout, this, [this] { applyContract(qs(m_session->contractOrigin()), true); });
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, [this] { m_reloadDelay.start(); });

    // First start: most of the screen (later starts restore the saved geometry).
    const QRect available = screen() ? screen()->availableGeometry() : QRect(0, 0, 1600, 1000);
    resize(std::min(1600, available.width() * 92 / 100), std::min(1000, available.height() * 92 / 100));
    restoreWindowState();
    onContractChanged();
    resetRuns();
    updateEmptyHint();
    updateStatus();
}

MainWindow::~MainWindow() = default;

QTableView* MainWindow::eventView() const
{
    return m_table;
}

void MainWindow::createActions()
{
    m_pauseAction = new QAction(themeIcon("media-playback-pause", "pause"), tr("&Pause"), this);
    m_pauseAction->setCheckable(true);
    // Not Space: it would be taken from focused buttons and check boxes.
    m_pauseAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pauseAction->setToolTip(tr("Pause the table (events are still captured) — Ctrl+P"));
    connect(m_pauseAction, &QAction::toggled, this, &MainWindow::setPaused);

    m_clearAction = new QAction(themeIcon("edit-clear-all", "clear"), tr("&Clear Session"), this);
    m_clearAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_clearAction->setToolTip(tr("Forget every captured event, rejected request and violation — Ctrl+L"));
    connect(m_clearAction, &QAction::triggered, this, &MainWindow::clearSession);

    m_openAction = new QAction(themeIcon("document-open", "open"), tr("&Open Contract…"), this);
    m_openAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_O));
    m_openAction->setToolTip(tr("Load a contract file; it is reloaded whenever it changes — Ctrl+O"));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::openContract);

    m_reloadAction = new QAction(themeIcon("view-refresh", "reload"), tr("&Reload Contract"), this);
    m_reloadAction->setShortcut(QKeySequence(Qt::Key_F5));
    m_reloadAction->setToolTip(tr("Reload the contract and re-check every event — F5"));
    connect(m_reloadAction, &QAction::triggered, this, &MainWindow::reloadContract);

    m_settingsAction = new QAction(themeIcon("preferences-system", "settings"), tr("&Settings…"), this);
    m_settingsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    m_settingsAction->setMenuRole(QAction::PreferencesRole);
    connect(m_settingsAction, &QAction::triggered, this, &MainWindow::showSettings);

    m_relistenAction = new QAction(themeIcon("network-connect", "listening"), tr("Restart &Listener"), this);
    m_relistenAction->setToolTip(tr("Listen again on the address and port from the settings"));
    connect(m_relistenAction, &QAction::triggered, this, &MainWindow::restartListener);

    m_findAction = new QAction(themeIcon("edit-find", "search"), tr("&Find in Events"), this);
    m_findAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F));
    connect(m_findAction, &QAction::triggered, m_filterBar, &FilterBar::focusSearch);

    m_clearFiltersAction = new QAction(tr("Clear &Filters"), this);
    m_clearFiltersAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    connect(m_clearFiltersAction, &QAction::triggered, m_filterBar, &FilterBar::clearFilters);

    m_aboutAction = new QAction(appIcon("eventlens"), tr("&About EventLens"), this);
    m_aboutAction->setMenuRole(QAction::AboutRole);
    connect(m_aboutAction, &QAction::triggered, this, &MainWindow::showAbout);

    m_quitAction = new QAction(themeIcon("application-exit", "quit"), tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    for (QAction* a : {m_pauseAction, m_clearAction, m_openAction, m_reloadAction, m_settingsAction, m_findAction,
             m_clearFiltersAction, m_quitAction})
        addAction(a); // shortcuts work even with the menu bar hidden
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(themeIcon("document-new", "clear"), tr("&New Session"), this, &MainWindow::newSession);
    file->addAction(themeIcon("document-open", "open"), tr("Open &Session…"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, &MainWindow::openSessionFile);
    QMenu* recent = file->addMenu(tr("&Recent Sessions"));
    connect(recent, &QMenu::aboutToShow, this, [this, recent] {
        recent->clear();
        const QStringList files = SessionJournal::recentSessions(10);
        if (files.isEmpty())
            recent->addAction(tr("(none)"))->setEnabled(false);
        for (const QString& f : files) {
            recent->addAction(QFileInfo(f).fileName(), this, [this, f] {
                m_jobPath = f;
                m_session->openSessionFileInBackground(f);
            });
        }
    });
    file->addAction(tr("&Import HAR / NDJSON…"), this, &MainWindow::importSession);
    m_exportReportAction = file->addAction(tr("Export &Report…"), this, &MainWindow::exportReport);
    m_compareAction = file->addAction(tr("Compare &With…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Compare With Baseline"), QString(),
            tr("Recorded events (*.ndjson *.jsonl *.json *.har);;All files (*)"));
        if (!path.isEmpty())
            compareWith(path);
    });
    m_compareAction->setToolTip(tr("Judge a baseline recording and this session with the contract, and compare them"));
    m_compareAction->setVisible(false); // until the application gives the comparison
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    exportMenu->addAction(tr("Events as &NDJSON…"), this, [this] { exportEvents(QStringLiteral("ndjson")); });
    exportMenu->addAction(tr("Events as &CSV…"), this, [this] { exportEvents(QStringLiteral("csv")); });
    exportMenu->addAction(tr("Requests as &HAR…"), this, [this] { exportEvents(QStringLiteral("har")); });
    file->addSeparator();
    file->addAction(m_openAction);
    file->addAction(m_reloadAction);
    file->addSeparator();
    file->addAction(m_relistenAction);
    file->addAction(m_settingsAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu* capture = menuBar()->addMenu(tr("&Capture"));
    capture->addAction(m_pauseAction);
    capture->addAction(m_clearAction);
    capture->addSeparator();
    capture->addAction(m_findAction);
    capture->addAction(m_clearFiltersAction);

    menuBar()->addMenu(tr("&View"))->setObjectName(QStringLiteral("viewMenu"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_aboutAction);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::createToolBar()
{
    QToolBar* bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setIconSize(QSize(18, 18));
    bar->addAction(m_pauseAction);
    bar->addAction(m_clearAction);
    bar->addSeparator();
    bar->addAction(m_openAction);
    bar->addAction(m_reloadAction);
    bar->addSeparator();
    bar->addAction(m_settingsAction);
}

void MainWindow::createDocks()
{
    auto* runsPanel = new RunsPanel(m_runsModel, this);
    connect(runsPanel, &RunsPanel::startEventRequested, this, &MainWindow::selectEventBySeq);
    m_runsDock = new QDockWidget(tr("Runs"), this);
    m_runsDock->setObjectName(QStringLiteral("runsDock"));
    m_runsDock->setWidget(runsPanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_runsDock);

    m_funnelDock = new QDockWidget(tr("Runtime Funnel"), this);
    m_funnelDock->setObjectName(QStringLiteral("funnelDock"));
    m_funnelDock->setWidget(new FunnelPanel(m_funnelModel, this));
    addDockWidget(Qt::BottomDockWidgetArea, m_funnelDock);

    // Property coverage, live; a click filters the event table (the filter bar shows it and clears it).
    m_coveragePanel = new CoveragePanel(m_session, this);
    connect(m_coveragePanel, &CoveragePanel::filterRequested, this, [this](const PropertyFilter& filter) {
        m_filterBar->clearFilters();
        m_proxy->setPropertyFilter(filter);
    });
    connect(m_coveragePanel, &CoveragePanel::addToContractRequested, this,
        [this](const QString& event, const QString& property) { addToContract(event, property); });
    m_coverageDock = new QDockWidget(tr("Coverage"), this);
    m_coverageDock->setObjectName(QStringLiteral("coverageDock"));
    m_coverageDock->setWidget(m_coveragePanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_coverageDock);

    auto* rejectedView = new QTableView(this);
    rejectedView->setObjectName(QStringLiteral("rejectedTable"));
    auto* rejectedProxy = new QSortFilterProxyModel(this);
    rejectedProxy->setSourceModel(m_rejectedModel);
    rejectedProxy->setSortRole(RejectedModel::SortRole);
    rejectedView->setModel(rejectedProxy);
    rejectedView->setSelectionBehavior(QAbstractItemView::SelectRows);
    rejectedView->setAlternatingRowColors(true);
    rejectedView->setShowGrid(false);
    rejectedView->setWordWrap(false);
    rejectedView->verticalHeader()->hide();
    rejectedView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    rejectedView->verticalHeader()->setDefaultSectionSize(rejectedView->fontMetrics().height() + 8);
    rejectedView->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    rejectedView->horizontalHeader()->setHighlightSections(false);
    rejectedView->horizontalHeader()->setStretchLastSection(true);
    rejectedView->horizontalHeader()->setSortIndicatorClearable(true);
    rejectedView->setSortingEnabled(true);
    rejectedView->sortByColumn(-1, Qt::AscendingOrder);
    rejectedView->setColumnWidth(RejectedModel::TimeColumn, 100);
    rejectedView->setColumnWidth(RejectedModel::MethodColumn, 70);
    rejectedView->setColumnWidth(RejectedModel::PathColumn, 160);
    rejectedView->setColumnWidth(RejectedModel::StatusColumn, 60);
    rejectedView->setColumnWidth(RejectedModel::ReasonColumn, 320);
    rejectedView->setColumnWidth(RejectedModel::SizeColumn, 80);
    m_rejectedDock = new QDockWidget(tr("Rejected Requests"), this);
    m_rejectedDock->setObjectName(QStringLiteral("rejectedDock"));
    m_rejectedDock->setWidget(rejectedView);
    addDockWidget(Qt::BottomDockWidgetArea, m_rejectedDock);

    // Simulated client runs (built-in scenarios) sent to this sink, with their expected verdicts.
    m_replayPanel = new ReplayPanel(this);
    m_replayDock = new QDockWidget(tr("Replay"), this);
    m_replayDock->setObjectName(QStringLiteral("replayDock"));
    auto* replayScroll = new QScrollArea(this); // the panel is tall: do not let it size the dock area
    replayScroll->setWidget(m_replayPanel);
    replayScroll->setWidgetResizable(true);
    replayScroll->setFrameShape(QFrame::NoFrame);
    m_replayDock->setWidget(replayScroll);
    addDockWidget(Qt::BottomDockWidgetArea, m_replayDock);

    // Faults injected into the sink's answers (the sink's own list: the API sees the same).
    m_faultsPanel = new FaultsPanel(this);
    m_faultsPanel->setFaults(m_sink ? m_sink->faults() : nullptr);
    m_faultsDock = new QDockWidget(tr("Faults"), this);
    m_faultsDock->setObjectName(QStringLiteral("faultsDock"));
    m_faultsDock->setWidget(m_faultsPanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_faultsDock);

    // Tabs are enough of a title: no separate title bars (the View menu still shows/hides them).
    for (QDockWidget* dock : {m_runsDock, m_funnelDock, m_coverageDock, m_rejectedDock, m_replayDock, m_faultsDock}) {
        dock->setTitleBarWidget(new QWidget(dock));
        dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    }
    tabifyDockWidget(m_runsDock, m_funnelDock);
    tabifyDockWidget(m_funnelDock, m_coverageDock);
    tabifyDockWidget(m_coverageDock, m_rejectedDock);
    tabifyDockWidget(m_rejectedDock, m_replayDock);
    tabifyDockWidget(m_replayDock, m_faultsDock);
    m_runsDock->raise();
    resizeDocks({m_runsDock}, {260}, Qt::Vertical);

    if (auto* view = menuBar()->findChild<QMenu*>(QStringLiteral("viewMenu"))) {
        view->addAction(m_runsDock->toggleViewAction());
        view->addAction(m_funnelDock->toggleViewAction());
        view->addAction(m_coverageDock->toggleViewAction());
        view->addAction(m_rejectedDock->toggleViewAction());
        view->addAction(m_replayDock->toggleViewAction());
        view->addAction(m_faultsDock->toggleViewAction());
    }
}

void MainWindow::setSinkControl(SinkControl* sink)
{
    m_sink = sink;
    m_faultsPanel->setFaults(sink ? sink->faults() : nullptr);
}

void MainWindow::createStatusBar()
{
    m_listenLabel = statusLabel("statusListen", this);
    m_listenLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long error must not make the window wider than the screen (the tooltip has it all).
    m_listenLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_listenLabel->setMinimumWidth(220);
    statusBar()->addWidget(m_listenLabel, 1);
    m_pausedLabel = statusLabel("statusPaused", this);
    m_pausedLabel->setVisible(false);
    statusBar()->addPermanentWidget(m_pausedLabel);
    m_contractLabel = statusLabel("statusContract", this);
    statusBar()->addPermanentWidget(m_contractLabel);
    m_eventsLabel = statusLabel("statusEvents", this);
    statusBar()->addPermanentWidget(m_eventsLabel);
    m_rejectedLabel = statusLabel("statusRejected", this);
    statusBar()->addPermanentWidget(m_rejectedLabel);
    m_violationsLabel = statusLabel("statusViolations", this);
    statusBar()->addPermanentWidget(m_violationsLabel);
    m_rateLabel = statusLabel("statusRate", this);
    m_rateLabel->setMinimumWidth(m_rateLabel->fontMetrics().horizontalAdvance(QStringLiteral("00,000 events/s")) + 12);
    m_rateLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    statusBar()->addPermanentWidget(m_rateLabel);
    m_jobProgress = new QProgressBar(this);
    m_jobProgress->setObjectName(QStringLiteral("jobProgress"));
    // Wide enough for its longest text: a status bar squeezes permanent widgets down to their minimum.
    const int progressText = m_jobProgress->fontMetrics().horizontalAdvance(
        tr("Checking %1 / %2").arg(QStringLiteral("00,000,000"), QStringLiteral("00,000,000")));
    m_jobProgress->setMinimumWidth(progressText + 24);
    m_jobProgress->setMaximumWidth(progressText + 64);
    m_jobProgress->setVisible(false);
    statusBar()->addPermanentWidget(m_jobProgress);
    m_jobCancel = new QPushButton(tr("Cancel"), this);
    m_jobCancel->setObjectName(QStringLiteral("jobCancel"));
    m_jobCancel->setToolTip(tr("Stop re-checking: the current contract and session stay as they are"));
    m_jobCancel->setVisible(false);
    connect(m_jobCancel, &QPushButton::clicked, this, [this] { m_session->cancelJudging(); });
    statusBar()->addPermanentWidget(m_jobCancel);
    m_listenLabel->setText(tr("Not listening"));
}

void MainWindow::onJudgingStarted()
{
    m_jobDone = 0;
    m_jobProgress->setRange(0, 0); // busy until the first progress
    m_jobProgress->setFormat(QString());
    m_jobProgress->setVisible(true);
    m_jobCancel->setVisible(true);
    const Session::JobKind kind = m_session->judgingKind();
    m_jobProgress->setToolTip(kind == Session::JobKind::Contract ? tr("Checking every event against the new contract")
            : kind == Session::JobKind::OpenSession              ? tr("Opening %1").arg(m_jobPath)
                                                                 : tr("Importing %1").arg(m_jobPath));
}

void MainWindow::onJudgingProgress(qint64 done, qint64 total)
{
    m_jobDone = done;
    if (total <= 0) { // reading the file
        m_jobProgress->setRange(0, 0);
        return;
    }
    m_jobProgress->setRange(0, 1000);
    m_jobProgress->setValue(static_cast<int>(std::min<qint64>(1000, done * 1000 / total)));
    m_jobProgress->setFormat(tr("Checking %1 / %2").arg(formatCount(done), formatCount(total)));
}

void MainWindow::onJudgingFinished(int kind, bool cancelled, const QString& error)
{
    m_jobProgress->setVisible(false);
    m_jobCancel->setVisible(false);
    const QString file = QFileInfo(m_jobPath).fileName();
    const QString done = m_jobDoneMessage;
    m_jobDoneMessage.clear();
    switch (static_cast<Session::JobKind>(kind)) {
    case Session::JobKind::Contract:
        if (cancelled)
            statusBar()->showMessage(tr("Contract reload cancelled: the previous contract stays active"), 6000);
        else
            statusBar()->showMessage(
                done.isEmpty() ? tr("Contract applied: %1 events checked again").arg(formatCount(m_jobDone)) : done,
                6000);
        break;
    case Session::JobKind::OpenSession:
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("Cannot open session"), error);
        else if (cancelled)
            statusBar()->showMessage(tr("Opening %1 cancelled: the current session goes on").arg(file), 6000);
        else
            statusBar()->showMessage(tr("Opened %1: %2 events checked").arg(file, formatCount(m_jobDone)), 8000);
        break;
    case Session::JobKind::Import:
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("Cannot import"), error);
        else if (cancelled)
            statusBar()->showMessage(tr("Import of %1 cancelled: the current session goes on").arg(file), 6000);
        else
            statusBar()->showMessage(
                tr("Imported %1 (read-only: new events are shown but not journaled; File > New Session resumes)")
                    .arg(file),
                15000);
        break;
    }
    updateStatus();
}

void MainWindow::restoreWindowState()
{
    QSettings s;
    const QByteArray geometry = s.value(QStringLiteral("window/geometry")).toByteArray();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    const QByteArray state = s.value(QStringLiteral("window/state")).toByteArray();
    if (!state.isEmpty())
        restoreState(state);
    const QByteArray split = s.value(QStringLiteral("window/splitter")).toByteArray();
    if (!split.isEmpty())
        m_splitter->restoreState(split);
    else
        m_splitter->setSizes({width() * 58 / 100, width() * 42 / 100});
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    QMainWindow::closeEvent(event);
}

QString MainWindow::statusSummary() const
{
    QStringList parts;
    for (const QLabel* l : {m_listenLabel, m_pausedLabel, m_contractLabel, m_eventsLabel, m_rejectedLabel,
             m_violationsLabel, m_rateLabel}) {
        if (l && !l->isHidden() && !l->text().isEmpty())
            parts << l->text();
    }
    return parts.join(QStringLiteral(" | "));
}

bool MainWindow::startListening(const QHostAddress& address, quint16 port, bool interactive)
{
    const QString where
        = (address.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + address.toString() + u']' : address.toString())
        + u':' + QString::number(port);
    if (!m_sink || !m_sink->listen(address, port)) {
        m_listenError = m_sink ? tr("Cannot listen on %1: %2").arg(where, m_sink->errorString())
                               : tr("This window has no sink to start");
        m_listenLabel->setText(tr("⚠ Not listening — %1").arg(m_listenError));
        m_listenLabel->setStyleSheet(QStringLiteral("color: %1;").arg(colors::error().name()));
        m_listenLabel->setToolTip(m_listenError);
        updateEmptyHint();
        if (interactive)
            QTimer::singleShot(0, this, [this] { showListenError(m_listenError); });
        return false;
    }
    m_listenError.clear();
    const QString url = m_sink->url();
    m_listenLabel->setText(tr("● Listening on %1").arg(url));
    m_listenLabel->setStyleSheet(QStringLiteral("QLabel { color: palette(text); }"));
    m_listenLabel->setToolTip(
        tr("Point PostHog SDKs at %1 (api_host / host). Inspection API: %1/eventlens/v1/").arg(url));
    // Qt appends the application display name ("— EventLens") itself.
    const QUrl upstream = m_sink->upstreamUrl();
    setWindowTitle(upstream.isEmpty() ? url : tr("%1 → %2").arg(url, upstream.toString()));
    m_replayPanel->setDefaultTarget(url);
    updateEmptyHint();
    return true;
}

void MainWindow::showListenError(const QString& message)
{
    auto* box
        = new QMessageBox(QMessageBox::Warning, tr("EventLens is not listening"), message, QMessageBox::NoButton, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setInformativeText(tr("Another program (or another EventLens) may be using the port. Choose another port "
                               "or address in the settings, then the listener restarts."));
    QPushButton* settings = box->addButton(tr("Open Settings…"), QMessageBox::AcceptRole);
    QPushButton* retry = box->addButton(tr("Retry"), QMessageBox::ActionRole);
    box->addButton(QMessageBox::Close);
    connect(box, &QMessageBox::finished, this, [this, box, settings, retry] {
        if (box->clickedButton() == settings)
            showSettings();
        else if (box->clickedButton() == retry)
            restartListener();
    });
    box->open();
}

void MainWindow::setPaused(bool paused)
{
    if (m_pauseAction->isChecked() != paused) {
        m_pauseAction->setChecked(paused); // re-enters through toggled()
        return;
    }
    m_model->setPaused(paused);
    m_pauseAction->setText(paused ? tr("&Resume") : tr("&Pause"));
    m_pauseAction->setIcon(
        paused ? themeIcon("media-playback-start", "play") : themeIcon("media-playback-pause", "pause"));
    updateStatus();
}

void MainWindow::newSession()
{
    QString error;
    if (!m_session->openSessionFile(SessionJournal::newDefaultPath(), &error))
        QMessageBox::warning(this, tr("Cannot start a new session"), error);
    updateStatus();
}

void MainWindow::openSessionFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Session"), SessionJournal::defaultDirectory(),
        tr("EventLens sessions (*.elsession);;All files (*)"));
    if (path.isEmpty())
        return;
    // A session file is reopened for appending: capture continues into it. It is read and judged in the
    // background (progress and Cancel in the status bar); the current session goes on until then.
    m_jobPath = path;
    m_session->openSessionFileInBackground(path);
}

void MainWindow::importSession()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Import"), QString(),
        tr("HAR or NDJSON (*.har *.ndjson *.jsonl *.json);;EventLens sessions (*.elsession);;All files (*)"));
    if (path.isEmpty())
        return;
    m_jobPath = path;
    m_session->importFileInBackground(path); // onJudgingFinished() says how it went
}

void MainWindow::exportEvents(const QString& format)
{
    const QString filter = format == QLatin1String("har") ? tr("HAR 1.2 (*.har)")
        : format == QLatin1String("csv")                  ? tr("CSV (*.csv)")
                                                          : tr("NDJSON (*.ndjson)");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export"),
        QStringLiteral("eventlens-%1.%2")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd_HH-mm-ss")), format),
        filter);
    if (path.isEmpty())
        return;
    QString error;
    bool ok = false;
    if (format == QLatin1String("ndjson")) {
        ok = exportNdjson(path, *m_session->store(), &error);
    } else if (format == QLatin1String("csv")) {
        ok = exportCsv(path, *m_session->store(), &error);
    } else {
        SessionData recorded;
        ok = m_session->readSessionFile(recorded, &error) && exportHar(path, recorded, &error);
    }
    if (!ok)
        QMessageBox::warning(this, tr("Export failed"), error);
    else
        statusBar()->showMessage(tr("Exported to %1").arg(path), 8000);
}

void MainWindow::exportReport()
{
    QString selected;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Report"),
        QStringLiteral("eventlens-report-%1.html")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd_HH-mm-ss"))),
        tr("HTML report (*.html);;Markdown (*.md)"), &selected);
    if (path.isEmpty())
        return;
    const bool markdown = path.endsWith(QLatin1String(".md"), Qt::CaseInsensitive)
        || path.endsWith(QLatin1String(".markdown"), Qt::CaseInsensitive)
        || (selected.startsWith(QLatin1String("Markdown"))
            && !path.endsWith(QLatin1String(".html"), Qt::CaseInsensitive));
    // With a filter on, the report can be of the rows it shows.
    bool onlyShown = false;
    if (m_proxy->rowCount() < m_model->rowCount()) {
        QMessageBox ask(QMessageBox::Question, tr("Export Report"),
            tr("The filter shows %1 of %2 events. Report on which?").arg(m_proxy->rowCount()).arg(m_model->rowCount()),
            QMessageBox::NoButton, this);
        QPushButton* shown = ask.addButton(tr("The %1 shown").arg(m_proxy->rowCount()), QMessageBox::AcceptRole);
        ask.addButton(tr("All events"), QMessageBox::RejectRole);
        ask.exec();
        onlyShown = ask.clickedButton() == shown;
    }
    exportReportTo(path, markdown, onlyShown);
}

void MainWindow::exportReportTo(const QString& path, bool markdown, bool onlyShown)
{
    std::vector<qint64> seqs;
    for (int row = 0; onlyShown && row < m_proxy->rowCount(); ++row) {
        if (const EventPtr e = m_model->eventAt(m_proxy->mapToSource(m_proxy->index(row, 0)).row()))
            seqs.push_back(e->seq);
    }
    // The events are shared and immutable: the snapshot is cheap here, and the report (which parses every event
    // again for the coverage) is made and written on a worker, with the window responsive.
    auto snapshot = std::make_shared<const SessionSnapshot>(snapshotSession(*m_session, onlyShown ? &seqs : nullptr));
    m_exportReportAction->setEnabled(false);
    statusBar()->showMessage(tr("Writing the report of %n event(s)…", nullptr, int(snapshot->events.size())));
    QPointer<MainWindow> self(this);
    QThreadPool::globalInstance()->start([self, snapshot, path, markdown] {
        const ReportData report = sessionReport(*snapshot);
        const std::string text = markdown ? renderMarkdownReport(report) : renderHtmlReport(report);
        QString error;
        const bool ok = saveFile(path, text, &error);
        QMetaObject::invokeMethod(
            qApp,
            [self, ok, error, path] {
                if (!self) // the window closed meanwhile; the file is written
                    return;
                self->m_exportReportAction->setEnabled(true);
                if (!ok)
                    QMessageBox::warning(self, tr("Export failed"), error);
                else
                    self->statusBar()->showMessage(tr("Report written to %1").arg(path), 8000);
            },
            Qt::QueuedConnection);
    });
}

void MainWindow::setCompareFunction(CompareFunction compare)
{
    m_compare = std::move(compare);
    m_compareAction->setVisible(static_cast<bool>(m_compare));
}

void MainWindow::compareWith(const QString& baseline)
{
    if (!m_compare || !m_compareAction->isEnabled())
        return;
    // The session's events as `check` reads them; exported here (the store is this thread's), judged on a worker.
    auto dir = std::make_shared<QTemporaryDir>();
    const QString current = dir->filePath(QStringLiteral("session.ndjson"));
    QString exportError;
    if (!dir->isValid() || !exportNdjson(current, *m_session->store(), &exportError)) {
        statusBar()->showMessage(
            tr("Compare failed: %1").arg(exportError.isEmpty() ? dir->errorString() : exportError), 10000);
        return;
    }
    m_compareAction->setEnabled(false);
    statusBar()->showMessage(tr("Comparing with %1…").arg(QFileInfo(baseline).fileName()));
    QPointer<MainWindow> self(this);
    QThreadPool::globalInstance()->start([self, dir, current, baseline, compare = m_compare,
                                             contract = m_session->contract()] {
        Json diff;
        QString error;
        const bool ok = compare(contract, baseline, current, diff, error);
        QMetaObject::invokeMethod(
            qApp,
            [self, ok, diff = std::move(diff), error, baseline] {
                if (!self)
                    return;
                self->m_compareAction->setEnabled(true);
                if (!ok) {
                    self->statusBar()->showMessage(tr("Compare failed: %1").arg(error), 15000);
                    return;
                }
                if (!self->m_compareDialog) {
                    self->m_compareDialog = new CompareDialog(self);
                    connect(self->m_compareDialog, &CompareDialog::findingActivated, self, &MainWindow::showFinding);
                }
                self->m_compareDialog->setDiff(diff, baseline);
                self->m_compareDialog->show();
                self->m_compareDialog->raise();
                self->statusBar()->showMessage(qs(diffVerdictLine(diff)), 10000);
            },
            Qt::QueuedConnection);
    });
}

void MainWindow::showFinding(const QString& kind, const QString& event, const QString& property)
{
    m_filterBar->clearFilters();
    // A property that went missing: the events that lack it; anything else: the events of that name.
    if (!property.isEmpty() && (kind == QLatin1String("coverage_drop") || kind == QLatin1String("property_removed")))
        m_proxy->setPropertyFilter(PropertyFilter {event.toStdString(), property.toStdString(), std::nullopt});
    else if (!event.isEmpty())
        m_filterBar->nameCombo()->setEditText(event);
}

QMenu* MainWindow::eventMenu(const QModelIndex& index)
{
    if (!index.isValid())
        return nullptr;
    const EventPtr& event = m_model->rowAt(m_proxy->mapToSource(index).row()).event;
    if (!event)
        return nullptr;
    auto* menu = new QMenu(m_table);
    const QString name = qs(event->name());
    QAction* add = menu->addAction(tr("Add “%1” to Contract…").arg(name));
    add->setObjectName(QStringLiteral("addToContract"));
    add->setEnabled(canAddToContract(*m_session, event->name()));
    add->setToolTip(add->isEnabled()
            ? tr("Plan this event in the contract, with a schema inferred from the session's %1 events").arg(name)
            : m_session->contract() ? tr("The contract plans or allows %1 already").arg(name)
                                    : tr("No contract is loaded"));
    menu->setToolTipsVisible(true);
    connect(add, &QAction::triggered, this, [this, name] { addToContract(name); });
    return menu;
}

void MainWindow::setAddToContractPrompts(AddToContractPrompts prompts)
{
    m_addPrompts = std::move(prompts);
}

bool MainWindow::addToContract(const QString& event, const QString& property)
{
    const QString title = tr("Add to Contract");
    ContractAddition addition;
    QString error;
    {
        QApplication::setOverrideCursor(Qt::WaitCursor); // every event of that name is read
        const bool proposed = proposeAddition(*m_session, event.toStdString(), property.toStdString(), addition, error);
        QApplication::restoreOverrideCursor();
        if (!proposed) {
            showError(title, error);
            return false;
        }
    }
    {
        AddToContractDialog dialog(addition, this);
        const bool accepted = m_addPrompts.confirm ? m_addPrompts.confirm(dialog) : dialog.exec() == QDialog::Accepted;
        if (!accepted)
            return false;
    }
    QString path = addition.target;
    if (addition.builtin) {
        path = m_addPrompts.copyPath ? m_addPrompts.copyPath(addition.target)
                                     : QFileDialog::getSaveFileName(this, tr("Save a Copy of the Contract"),
                                         addition.target, tr("Contracts (*.json);;All files (*)"));
        if (path.isEmpty())
            return false;
        addition.target = path;
    }
    // Not watched while it is written: the reload below is the one that counts (watchContract() follows it).
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    if (!writeAddition(addition, path, error)) {
        watchContract();
        showError(title, error);
        return false;
    }
    const QString what = property.isEmpty() ? event : QString(event + u'.' + property);
    const QString file = QFileInfo(path).fileName();
    std::function<void()> onApplied;
    if (addition.builtin) {
        // The copy replaces the built-in, now and at the next start (as Open Contract… does).
        onApplied = [self = QPointer<MainWindow>(this), path] {
            if (!self)
                return;
            self->m_settings.contract = path;
            GuiSettings saved = GuiSettings::load();
            saved.contract = path;
            saved.save();
        };
    }
    if (!applyContract(path, false, std::move(onApplied)))
        return false;
    const QString done = addition.builtin
        ? tr("Added %1 to %2, a copy of %3, which is now the contract").arg(what, file, addition.origin)
        : tr("Added %1 to %2; the contract is reloaded").arg(what, file);
    if (m_session->isJudging())
        m_jobDoneMessage = done + tr(" and every event was checked again");
    else
        statusBar()->showMessage(done, 8000);
    return true;
}

void MainWindow::clearSession()
{
    m_session->reset();
    m_detail->clear();
    statusBar()->showMessage(tr("Session cleared"), 3000);
}

void MainWindow::openContract()
{
    const QString origin = qs(m_session->contractOrigin());
    const QString dir = isBuiltin(origin) || origin.isEmpty() ? QString() : QFileInfo(origin).absolutePath();
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Open Contract"), dir, tr("Contracts (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    // Remembered for the next start once it is applied (a cancelled reload keeps the previous contract).
    applyContract(path, false, [self = QPointer<MainWindow>(this), path] {
        if (!self)
            return;
        self->m_settings.contract = path;
        GuiSettings saved = GuiSettings::load();
        saved.contract = path;
        saved.save();
    });
}

void MainWindow::reloadContract()
{
    const QString origin = qs(m_session->contractOrigin());
    if (origin.isEmpty()) {
        statusBar()->showMessage(tr("No contract loaded"), 3000);
        return;
    }
    if (applyContract(origin, false) && !m_session->isJudging())
        statusBar()->showMessage(tr("Contract reloaded"), 3000);
    else if (m_session->isJudging())
        m_jobDoneMessage = tr("Contract reloaded; every event was checked again");
}

bool MainWindow::applyContract(const QString& nameOrPath, bool fromWatcher, std::function<void()> onApplied)
{
    std::string error;
    Session::ContractApplied applied;
    if (onApplied)
        applied = [onApplied = std::move(onApplied)](bool ok) {
            if (ok)
                onApplied();
        };
    if (!m_session->loadContract(nameOrPath.toStdString(), error, std::move(applied))) {
        watchContract(); // an editor may have replaced the file: keep watching it
        showError(fromWatcher ? tr("Contract not reloaded") : tr("Cannot load contract"),
            tr("%1\n\nThe previous contract stays active.").arg(qs(error)));
        return false;
    }
    if (m_errorBox)
        m_errorBox->close();
    if (fromWatcher) {
        if (m_session->isJudging())
            m_jobDoneMessage = tr("Contract file changed: reloaded and re-checked");
        else
            statusBar()->showMessage(tr("Contract file changed: reloaded"), 4000);
    }
    return true;
}

void MainWindow::showError(const QString& title, const QString& message)
{
    // One non-modal box, updated in place: a file saved repeatedly must not stack dialogs.
    if (!m_errorBox) {
        m_errorBox = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
        m_errorBox->setAttribute(Qt::WA_DeleteOnClose);
        m_errorBox->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_errorBox->open();
    } else {
        m_errorBox->setWindowTitle(title);
        m_errorBox->setText(message);
    }
}

void MainWindow::onContractChanged()
{
    const ContractEngine* engine = m_session->engine();
    if (engine) {
        const QString version = qs(engine->contractVersion());
        m_contractLabel->setText(
            tr("Contract: %1%2")
                .arg(qs(engine->contractName()), version.isEmpty() ? QString() : QStringLiteral(" ") + version));
        m_contractLabel->setToolTip(qs(m_session->contractOrigin()));
    } else {
        m_contractLabel->setText(tr("No contract"));
        m_contractLabel->setToolTip(QString());
    }
    m_reloadAction->setEnabled(engine != nullptr);
    watchContract();
    // Super-properties come from the contract: show the selected event again.
    const QModelIndex current = m_table->currentIndex();
    if (current.isValid())
        onCurrentChanged(current);
}

void MainWindow::watchContract()
{
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    const QString origin = qs(m_session->contractOrigin());
    if (!origin.isEmpty() && !isBuiltin(origin) && QFileInfo::exists(origin))
        m_watcher->addPath(QFileInfo(origin).absoluteFilePath());
}

void MainWindow::showSettings()
{
    std::vector<std::string> builtins = el::builtinContracts();
    QStringList names;
    for (const std::string& b : builtins)
        names << qs(b);
    GuiSettings current = GuiSettings::load();
    current.rowCap = m_model->rowCap();
    if (!m_session->contractOrigin().empty())
        current.contract = qs(m_session->contractOrigin());
    SettingsDialog dialog(current, names, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const GuiSettings chosen = dialog.settings();
    chosen.save();
    m_settings = chosen;
    m_model->setRowCap(chosen.rowCap);
    if (chosen.contract != qs(m_session->contractOrigin()) && !chosen.contract.isEmpty())
        applyContract(chosen.contract, false);
    const bool listening = m_sink && m_sink->isListening();
    const bool listenChanged = !listening || chosen.port != m_sink->port()
        || (chosen.bind != m_sink->address().toString()
            && !(chosen.bind == QLatin1String("localhost") && m_sink->address().isLoopback()));
    if (listenChanged) {
        const auto answer = QMessageBox::question(this, tr("Restart the listener?"),
            tr("Listen on %1 port %2 now? SDKs pointed at the current address stop reaching EventLens.")
                .arg(chosen.bind)
                .arg(chosen.port),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
        if (answer == QMessageBox::Yes)
            restartListener();
        else
            statusBar()->showMessage(tr("The new address applies on the next start or File ▸ Restart Listener"), 6000);
    }
}

void MainWindow::restartListener()
{
    const GuiSettings s = GuiSettings::load();
    QHostAddress address;
    if (s.bind == QLatin1String("localhost") || !address.setAddress(s.bind))
        address = QHostAddress(QHostAddress::LocalHost);
    startListening(address, static_cast<quint16>(s.port));
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About EventLens"),
        tr("<h3>EventLens %1</h3>"
           "<p>A local PostHog sink and analytics contract inspector.</p>"
           "<p>Point any PostHog SDK at EventLens: every event is shown as it arrives and checked against "
           "the contract (properties, runtime_type, run sequences).</p>"
           "<p><small>Built with Qt %2, running on Qt %3.</small></p>")
            .arg(QStringLiteral(EVENTLENS_VERSION), QStringLiteral(QT_VERSION_STR), QLatin1String(qVersion())));
}

void MainWindow::selectEventBySeq(qint64 seq)
{
    const int row = m_model->rowForSeq(seq);
    if (row < 0) {
        statusBar()->showMessage(m_model->isPaused() ? tr("Event #%1 is not in the table yet (paused)").arg(seq)
                                                     : tr("Event #%1 is no longer in the table (row cap)").arg(seq),
            5000);
        return;
    }
    QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid()) {
        m_filterBar->clearFilters();
        index = m_proxy->mapFromSource(m_model->index(row, 0));
        statusBar()->showMessage(tr("Filters cleared to show event #%1").arg(seq), 4000);
    }
    m_table->setCurrentIndex(index);
    m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
    m_table->setFocus();
}

void MainWindow::onCurrentChanged(const QModelIndex& current)
{
    if (!current.isValid())
        return; // keep showing the last event (e.g. when it is filtered out)
    const QModelIndex source = m_proxy->mapToSource(current);
    const EventTableModel::Row& row = m_model->rowAt(source.row());
    m_detail->setEvent(row.event, row.prevSameClient(), row.prevSameDistinct());
}

void MainWindow::onModelDataChanged(const QModelIndex& topLeft, const QModelIndex& bottomRight)
{
    const qint64 seq = m_detail->currentSeq();
    if (seq == 0)
        return;
    const int row = m_model->rowForSeq(seq);
    if (row >= topLeft.row() && row <= bottomRight.row())
        m_detail->refresh();
}

void MainWindow::onAboutToFlush()
{
    const QScrollBar* bar = m_table->verticalScrollBar();
    m_wasAtBottom = bar->value() >= bar->maximum();
    m_topSeq = 0;
    if (!m_wasAtBottom) {
        const QModelIndex top = m_table->indexAt(QPoint(1, 1));
        if (top.isValid())
            m_topSeq = top.data(EventTableModel::SeqRole).toLongLong();
    }
}

void MainWindow::onFlushed(int inserted, int removed)
{
    Q_UNUSED(inserted);
    if (m_wasAtBottom) {
        m_table->scrollToBottom();
    } else if (removed > 0 && m_topSeq > 0) {
        // Rows were trimmed above: keep the rows the user is reading in place.
        const int row = m_model->rowForSeq(m_topSeq);
        const QModelIndex index = row >= 0 ? m_proxy->mapFromSource(m_model->index(row, 0)) : QModelIndex();
        if (index.isValid())
            m_table->scrollTo(index, QAbstractItemView::PositionAtTop);
    }
    updateStatus();
}

void MainWindow::scheduleRunsSummary()
{
    if (!m_runsTimer.isActive())
        m_runsTimer.start();
}

void MainWindow::resetRuns()
{
    m_runsModel->resetRuns(m_session->runs(), m_session->store());
    updateRunsSummary();
}

void MainWindow::updateRunsSummary()
{
    m_runsTimer.stop();
    m_funnelModel->setRuns(m_runsModel->rows());
    const int runs = m_runsModel->rowCount();
    m_runsDock->setWindowTitle(runs ? tr("Runs (%1)").arg(formatCount(runs)) : tr("Runs"));
}

void MainWindow::onTick()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 total = m_model->totalReceived();
    if (!m_rateSamples.empty() && total < m_rateSamples.back().second)
        m_rateSamples.clear();
    m_rateSamples.emplace_back(now, total);
    while (static_cast<int>(m_rateSamples.size()) > kRateWindowSamples + 1)
        m_rateSamples.pop_front();
    // Open runs show a running duration.
    m_runsModel->refreshRunningDurations();
    updateStatus();
}

void MainWindow::countViolations()
{
    // The store counts every violation, including those evicted with old events.
    m_errorTotal = m_session->store()->errorTotal();
    m_warningTotal = m_session->store()->warningTotal();
}

void MainWindow::updateStatus()
{
    const EventStore* store = m_session->store();
    const auto events = static_cast<qint64>(store->events().size());
    m_eventsLabel->setText(events == 1 ? tr("1 event") : tr("%1 events").arg(formatCount(events)));
    const auto rejected = static_cast<qint64>(store->rejected().size());
    m_rejectedLabel->setText(tr("%1 rejected").arg(formatCount(rejected)));
    m_rejectedLabel->setStyleSheet(rejected ? QStringLiteral("color: %1;").arg(colors::warning().name()) : QString());
    m_rejectedDock->setWindowTitle(
        rejected ? tr("Rejected Requests (%1)").arg(formatCount(rejected)) : tr("Rejected Requests"));
    countViolations();
    m_violationsLabel->setText(QStringLiteral("%1 · %2").arg(
        m_errorTotal == 1 ? tr("1 error") : tr("%1 errors").arg(formatCount(m_errorTotal)),
        m_warningTotal == 1 ? tr("1 warning") : tr("%1 warnings").arg(formatCount(m_warningTotal))));
    m_violationsLabel->setStyleSheet(
        m_errorTotal ? QStringLiteral("color: %1;").arg(colors::error().name()) : QString());
    m_violationsLabel->setToolTip(tr("Contract violations in this session"));
    qint64 rate = 0;
    if (m_rateSamples.size() >= 2) {
        const auto& [t0, n0] = m_rateSamples.front();
        const auto& [t1, n1] = m_rateSamples.back();
        if (t1 > t0)
            rate = std::max<qint64>(0, (n1 - n0) * 1000 / (t1 - t0));
    }
    m_rateLabel->setText(tr("%1 events/s").arg(formatCount(rate)));
    m_rateLabel->setToolTip(
        tr("Events received per second over the last %1 s").arg(kRateWindowSamples * kTickMs / 1000));
    if (m_model->isPaused()) {
        m_pausedLabel->setText(tr("Paused · %1 new").arg(formatCount(m_model->stagedCount())));
        m_pausedLabel->setStyleSheet(QStringLiteral("color: %1; font-weight: bold;").arg(colors::warning().name()));
        m_pausedLabel->setVisible(true);
    } else {
        m_pausedLabel->setVisible(false);
    }
}

void MainWindow::updateEmptyHint()
{
    if (m_model->rowCount() > 0) {
        m_table->setEmptyHint(tr("No matching events"),
            tr("The filters hide all %1 events. Clear them with Ctrl+Shift+F.").arg(formatCount(m_model->rowCount())));
    } else if (m_sink && m_sink->isListening()) {
        m_table->setEmptyHint(tr("Waiting for events"),
            tr("Point a PostHog SDK at %1 (api_host / host).\nEvents show up here as they arrive.").arg(m_sink->url()));
    } else {
        m_table->setEmptyHint(
            tr("Not listening"), m_listenError.isEmpty() ? tr("The sink is not started.") : m_listenError);
    }
}

} // namespace el::ui
