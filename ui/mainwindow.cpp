// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "pipeline/sinkcontrol.h"

#include "addtocontractdialog.h"
#include "coveragepanel.h"
#include "detailpane.h"
#include "eventfilterproxy.h"
#include "eventtablemodel.h"
#include "eventtableview.h"
#include "faultspanel.h"
#include "filterbar.h"
#include "pipeline/capture.h"
#include "rejectedmodel.h"
#include "rejectedpanel.h"
#include "replaypanel.h"
#include "runsmodel.h"
#include "runspanel.h"
#include "uiutil.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

namespace el::ui {

namespace {

constexpr int kRunsSummaryMs = 250; ///< the funnel and the runs count follow the runs at most 4× a second

} // namespace

MainWindow::MainWindow(Capture* capture, const GuiSettings& settings, QWidget* parent)
    : QMainWindow(parent)
    , m_capture(capture)
    , m_settings(settings)
    , m_model(new EventTableModel(capture->store(), this))
    , m_proxy(new EventFilterProxy(m_model, this))
    , m_table(new HintTableView(this))
    , m_filterBar(new FilterBar(m_model, m_proxy, this))
    , m_detail(new DetailPane(capture, this))
    , m_splitter(new QSplitter(Qt::Horizontal, this))
    , m_runsModel(new RunsModel(this))
    , m_funnelModel(new FunnelModel(this))
    , m_rejectedModel(new RejectedModel(capture->store(), this))
    , m_statusBar(new StatusBar(capture, m_model, this))
    , m_contracts(new ContractController(capture, m_statusBar, this))
    , m_listener(new ListenerController(m_statusBar, this))
    , m_captureFile(new CaptureFileActions(capture, m_model, m_proxy, m_statusBar, this))
{
    initResources();
    setWindowTitle(tr("EventLens"));
    setWindowIcon(appIcon("eventlens"));
    setObjectName(QStringLiteral("EventLensMainWindow"));
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    setTabPosition(Qt::BottomDockWidgetArea, QTabWidget::North);
    m_model->setRowCap(settings.rowCap);

    setUpEventTable(m_table, m_proxy);

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
    setStatusBar(m_statusBar);

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

    EventStore* store = capture->store();
    connect(store, &EventStore::cleared, this, [this] {
        m_statusBar->resetRate();
        updateStatus();
    });
    connect(capture, &Capture::contractChanged, this, &MainWindow::onContractChanged);
    // Runs arrive as change notifications, in commit order: the model never asks the engine for all of them
    // except after a reset.
    connect(capture, &Capture::runsChanged, this, [this](const RunChanges& changes) {
        m_runsModel->applyChanges(changes, m_capture->store());
        scheduleRunsSummary();
    });
    connect(capture, &Capture::runsReset, this, &MainWindow::resetRuns);
    // Contract reloads, opened sessions and imports are judged in the background: the controller that started
    // one shows it (and says how it ended); the status bar shows its progress and Cancel.
    connect(capture, &Capture::judgingProgress, m_statusBar, &StatusBar::showJobProgress);
    connect(capture, &Capture::judgingFinished, this, &MainWindow::updateStatus);
    connect(m_contracts, &ContractController::contractRemembered, this,
        [this](const QString& path) { m_settings.contract = path; });
    connect(m_listener, &ListenerController::listening, this, &MainWindow::onListening);
    connect(m_listener, &ListenerController::notListening, this, &MainWindow::updateEmptyHint);
    connect(m_listener, &ListenerController::settingsRequested, this, &MainWindow::showSettings);
    connect(m_captureFile, &CaptureFileActions::captureReplaced, this, &MainWindow::updateStatus);
    connect(m_captureFile, &CaptureFileActions::findingActivated, this, &MainWindow::showFinding);

    m_runsTimer.setSingleShot(true);
    m_runsTimer.setInterval(kRunsSummaryMs);
    connect(&m_runsTimer, &QTimer::timeout, this, &MainWindow::updateRunsSummary);
    m_tick.setInterval(StatusBar::kTickMs);
    connect(&m_tick, &QTimer::timeout, this, &MainWindow::onTick);
    m_tick.start();

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

    m_clearAction = new QAction(themeIcon("edit-clear-all", "clear"), tr("&Clear Events"), this);
    m_clearAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_clearAction->setToolTip(tr("Forget every captured event, rejected request and violation — Ctrl+L"));
    connect(m_clearAction, &QAction::triggered, this, &MainWindow::clearEvents);

    m_openAction = new QAction(themeIcon("document-open", "open"), tr("&Open Contract…"), this);
    m_openAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_O));
    m_openAction->setToolTip(tr("Load a contract file; it is reloaded whenever it changes — Ctrl+O"));
    connect(m_openAction, &QAction::triggered, m_contracts, &ContractController::openContract);

    m_reloadAction = new QAction(themeIcon("view-refresh", "reload"), tr("&Reload Contract"), this);
    m_reloadAction->setShortcut(QKeySequence(Qt::Key_F5));
    m_reloadAction->setToolTip(tr("Reload the contract and re-check every event — F5"));
    connect(m_reloadAction, &QAction::triggered, m_contracts, &ContractController::reloadContract);

    m_settingsAction = new QAction(themeIcon("preferences-system", "settings"), tr("&Settings…"), this);
    m_settingsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    m_settingsAction->setMenuRole(QAction::PreferencesRole);
    connect(m_settingsAction, &QAction::triggered, this, &MainWindow::showSettings);

    m_relistenAction = new QAction(themeIcon("network-connect", "listening"), tr("Restart &Listener"), this);
    m_relistenAction->setToolTip(tr("Listen again on the address and port from the settings"));
    connect(m_relistenAction, &QAction::triggered, m_listener, &ListenerController::restartListener);

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
    CaptureFileActions* files = m_captureFile;
    file->addAction(themeIcon("document-new", "clear"), tr("&New Session"), files, &CaptureFileActions::newSession);
    file->addAction(themeIcon("document-open", "open"), tr("Open &Session…"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), files, &CaptureFileActions::openSessionFile);
    QMenu* recent = file->addMenu(tr("&Recent Sessions"));
    connect(recent, &QMenu::aboutToShow, files, [files, recent] { files->fillRecentMenu(recent); });
    file->addAction(tr("&Import HAR / NDJSON…"), files, &CaptureFileActions::importSession);
    file->addAction(files->exportReportAction());
    file->addAction(files->compareAction());
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    exportMenu->addAction(tr("Events as &NDJSON…"), files, [files] { files->exportEvents(QStringLiteral("ndjson")); });
    exportMenu->addAction(tr("Events as &CSV…"), files, [files] { files->exportEvents(QStringLiteral("csv")); });
    exportMenu->addAction(tr("Requests as &HAR…"), files, [files] { files->exportEvents(QStringLiteral("har")); });
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
    m_coveragePanel = new CoveragePanel(m_capture, this);
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

    m_rejectedDock = new QDockWidget(tr("Rejected Requests"), this);
    m_rejectedDock->setObjectName(QStringLiteral("rejectedDock"));
    m_rejectedDock->setWidget(new RejectedPanel(m_rejectedModel, this));
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
    m_faultsPanel->setFaults(sinkControl() ? sinkControl()->faults() : nullptr);
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
    m_listener->setSink(sink);
    m_faultsPanel->setFaults(sink ? sink->faults() : nullptr);
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

void MainWindow::onListening(const QString& url, const QString& upstream)
{
    // Qt appends the application display name ("— EventLens") itself.
    setWindowTitle(upstream.isEmpty() ? url : tr("%1 → %2").arg(url, upstream));
    m_replayPanel->setDefaultTarget(url);
    updateEmptyHint();
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
    add->setEnabled(canAddToContract(*m_capture, event->name()));
    add->setToolTip(add->isEnabled()
            ? tr("Plan this event in the contract, with a schema inferred from the session's %1 events").arg(name)
            : m_capture->contract() ? tr("The contract plans or allows %1 already").arg(name)
                                    : tr("No contract is loaded"));
    menu->setToolTipsVisible(true);
    connect(add, &QAction::triggered, this, [this, name] { addToContract(name); });
    return menu;
}

void MainWindow::clearEvents()
{
    m_capture->reset();
    m_detail->clear();
    m_statusBar->showMessage(tr("Events cleared"), 3000);
}

void MainWindow::onContractChanged()
{
    m_statusBar->showContract();
    m_reloadAction->setEnabled(m_capture->engine() != nullptr);
    // Super-properties come from the contract: show the selected event again.
    const QModelIndex current = m_table->currentIndex();
    if (current.isValid())
        onCurrentChanged(current);
}

void MainWindow::showSettings()
{
    std::vector<std::string> builtins = el::builtinContracts();
    QStringList names;
    for (const std::string& b : builtins)
        names << qs(b);
    GuiSettings current = GuiSettings::load();
    current.rowCap = m_model->rowCap();
    if (!m_capture->contractOrigin().empty())
        current.contract = qs(m_capture->contractOrigin());
    SettingsDialog dialog(current, names, static_cast<qint64>(m_model->store()->maxEvents()), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const GuiSettings chosen = dialog.settings();
    chosen.save();
    m_settings = chosen;
    m_model->setRowCap(chosen.rowCap);
    m_contracts->useContract(chosen.contract);
    m_listener->offerRestart(chosen);
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
        m_statusBar->showMessage(m_model->isPaused() ? tr("Event #%1 is not in the table yet (paused)").arg(seq)
                                                     : tr("Event #%1 is no longer in the table (row cap)").arg(seq),
            5000);
        return;
    }
    QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid()) {
        m_filterBar->clearFilters();
        index = m_proxy->mapFromSource(m_model->index(row, 0));
        m_statusBar->showMessage(tr("Filters cleared to show event #%1").arg(seq), 4000);
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
    m_runsModel->resetRuns(m_capture->runs(), m_capture->store());
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
    m_statusBar->sampleRate();
    // Open runs show a running duration.
    m_runsModel->refreshRunningDurations();
    updateStatus();
}

void MainWindow::updateStatus()
{
    m_statusBar->refresh();
    const auto rejected = static_cast<qint64>(m_capture->store()->rejected().size());
    m_rejectedDock->setWindowTitle(
        rejected ? tr("Rejected Requests (%1)").arg(formatCount(rejected)) : tr("Rejected Requests"));
}

void MainWindow::updateEmptyHint()
{
    if (m_model->rowCount() > 0) {
        m_table->setEmptyHint(tr("No matching events"),
            tr("The filters hide all %1 events. Clear them with Ctrl+Shift+F.").arg(formatCount(m_model->rowCount())));
    } else if (const SinkControl* sink = m_listener->sink(); sink && sink->isListening()) {
        m_table->setEmptyHint(tr("Waiting for events"),
            tr("Point a PostHog SDK at %1 (api_host / host).\nEvents show up here as they arrive.").arg(sink->url()));
    } else {
        const QString error = m_listener->error();
        m_table->setEmptyHint(tr("Not listening"), error.isEmpty() ? tr("The sink is not started.") : error);
    }
}

} // namespace el::ui
