// SPDX-License-Identifier: MIT
// Models, proxies and the main window of the inspector (offscreen).
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "addtocontractdialog.h"
#include "comparedialog.h"
#include "contract/contract.h"
#include "coveragepanel.h"
#include "detailpane.h"
#include "diffcommand.h"
#include "eventfilterproxy.h"
#include "eventtablemodel.h"
#include "faultspanel.h"
#include "filterbar.h"
#include "mainwindow.h"
#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"
#include "propertytreemodel.h"
#include "rejectedmodel.h"
#include "runsmodel.h"
#include "runtimetype.h"
#include "settingsdialog.h"
#include "store/eventstore.h"
#include "uiutil.h"

#include "jsoncompare.h"
#include "rawhttp.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QToolButton>
#include <QTreeView>
#include <QTreeWidget>

#include <atomic>
#include <memory>

using namespace el;
using namespace el::ui;

Q_DECLARE_METATYPE(std::optional<el::ui::RuntimeKind>)

namespace {

/** Builds events with consecutive seqs for a store. */
class Feeder
{
public:
    explicit Feeder(EventStore* store)
        : m_store(store)
    { }

    Event make(const std::string& name, const std::string& distinctId, const Json& props,
        const std::string& endpoint = "/batch/")
    {
        Json doc = {{"event", name}, {"distinct_id", distinctId}, {"properties", props}};
        HttpRequest request;
        request.method = "POST";
        request.path = endpoint;
        request.headers = {{"User-Agent", "tst_ui/1.0"}};
        return makeEvent(std::move(doc), request, m_store->nextSeq() + static_cast<qint64>(m_pending.size()), 1,
            1700000000000 + m_store->nextSeq());
    }

    Feeder& add(const std::string& name, const std::string& distinctId, const Json& props)
    {
        m_pending.push_back(make(name, distinctId, props));
        return *this;
    }

    /** Appends the pending events as one store batch (one eventsAdded signal). */
    void commit()
    {
        m_store->appendEvents(std::move(m_pending));
        m_pending.clear();
    }

    /** \a n simple events in one batch. */
    void batch(int n, const std::string& name = "page_view")
    {
        for (int i = 0; i < n; ++i)
            add(name, "user-" + std::to_string(i % 3), {{"$lib", "web"}, {"i", i}});
        commit();
    }

private:
    EventStore* m_store;
    std::vector<Event> m_pending;
};

Violation violation(qint64 seq, const std::string& severity, const std::string& path = "/properties/runtime_type")
{
    Violation v;
    v.kind = ViolationKind::Schema;
    v.rule = "globals";
    v.severity = *severityFromString(severity);
    v.path = path;
    v.message = "test violation";
    v.seqs = {seq};
    return v;
}

HttpRequest batchRequest(const Json& batch)
{
    HttpRequest r;
    r.method = "POST";
    r.path = "/batch/";
    r.headers = {{"Content-Type", "application/json"}, {"User-Agent", "posthog-node/4.0.0"}};
    r.body = Json {{"api_key", "phc_x"}, {"batch", batch}}.dump();
    r.peer = "127.0.0.1:40000";
    return r;
}

Json runEvent(const std::string& name, const std::string& distinctId, const std::string& runId, const Json& runtime)
{
    Json props = {{"run_id", runId}, {"$lib", "posthog-node"}, {"$lib_version", "4.0.0"}};
    if (!runtime.is_null())
        props["runtime_type"] = runtime;
    return Json {{"event", name}, {"distinct_id", distinctId}, {"properties", props}};
}

/**
 * Hands \a request to the session the way the sink does (ingestAsync: decoded and judged on a worker,
 * committed in order on this thread) and waits until it is committed.
 */
IngestOutcome ingestLikeTheSink(Capture& capture, HttpRequest request, Endpoint endpoint)
{
    IngestOutcome outcome;
    outcome.status = 0;
    capture.ingestAsync(std::move(request), endpoint, [&outcome](const IngestOutcome& o, bool) { outcome = o; });
    capture.drainIngests();
    return outcome;
}

} // namespace

class TestUi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void runtimeClassification_data();
    void runtimeClassification();

    void batchInsertIsOneInsertPerFlush();
    void trimAtRowCap();
    void rowsNeverOutliveTheStoresWindow();
    void settingsNoteTheMemoryWindow();
    void pauseStagesAndResumeFlushes();
    void violationStatusDataChanged();
    void manyViolationsOneRangeSignal();
    void clearResetsModel();
    void filters_data();
    void filters();
    void textFilterOverLargeTable();
    void throughput();

    void superPropertyChangedDetection();
    void previousEventTracking();
    void propertyTreePointers_data();
    void propertyTreePointers();
    void propertyTreeHighlight();

    void runsModelFollowsChanges();
    void funnelCounts();
    void exportReportInTheBackground();
    void coverageTabLiveAndFilters();
    void faultsPanel();
    void compareWithBaseline();
    void rejectedModel();

    void mainWindowSmoke();
    void mainWindowTailFollow();
    void mainWindowViolationSelectsNode();
    void mainWindowWithContract();
    void mainWindowReloadProgressAndCancel();

    void rawTabShowsTheRequest();
    void rawTabWithoutSessionFile();
    void rawTabOfAnImport();
    void rawTabLargeBodyShowsAWindow();

    void addToContractEvent();
    void addToContractProperty();
    void addToContractBuiltinCopy();

private:
    std::unique_ptr<EventStore> m_filterStore;
};

void TestUi::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("EventLensTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_ui"));
    initResources();
}

void TestUi::runtimeClassification_data()
{
    QTest::addColumn<QString>("json"); // empty = property absent
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("text");
    QTest::addRow("amr_cloud") << QStringLiteral("\"amr_cloud\"") << int(RuntimeKind::AmrCloud)
                               << QStringLiteral("amr_cloud");
    QTest::addRow("byok") << QStringLiteral("\"byok\"") << int(RuntimeKind::Byok) << QStringLiteral("byok");
    QTest::addRow("local_cli") << QStringLiteral("\"local_cli\"") << int(RuntimeKind::LocalCli)
                               << QStringLiteral("local_cli");
    QTest::addRow("none") << QStringLiteral("\"none\"") << int(RuntimeKind::None) << QStringLiteral("none");
    QTest::addRow("missing") << QString() << int(RuntimeKind::Missing) << QStringLiteral("missing");
    QTest::addRow("both") << QStringLiteral("\"both\"") << int(RuntimeKind::Invalid) << QStringLiteral("both");
    QTest::addRow("null") << QStringLiteral("null") << int(RuntimeKind::Invalid) << QStringLiteral("null");
    QTest::addRow("number") << QStringLiteral("3") << int(RuntimeKind::Invalid) << QStringLiteral("3");
    QTest::addRow("upper case") << QStringLiteral("\"BYOK\"") << int(RuntimeKind::Invalid) << QStringLiteral("BYOK");
}

void TestUi::runtimeClassification()
{
    QFETCH(QString, json);
    QFETCH(int, kind);
    QFETCH(QString, text);
    const std::optional<Json> value
        = json.isEmpty() ? std::nullopt : std::optional<Json>(Json::parse(json.toStdString()));
    QCOMPARE(int(classifyRuntimeType(value)), kind);
    QCOMPARE(runtimeTypeText(value), text);
}

void TestUi::batchInsertIsOneInsertPerFlush()
{
    EventStore store;
    EventTableModel model(&store);
    EventFilterProxy proxy(&model);
    QAbstractItemModelTester modelTester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);

    Feeder feeder(&store);
    feeder.batch(5);
    feeder.batch(7);
    feeder.batch(1);
    QCOMPARE(model.rowCount(), 0); // staged, not inserted
    QCOMPARE(model.stagedCount(), 13);
    QCOMPARE(inserted.count(), 0);

    QTRY_COMPARE(model.rowCount(), 13);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 12);
    QCOMPARE(proxy.rowCount(), 13);
    QCOMPARE(model.index(0, EventTableModel::EventColumn).data().toString(), QStringLiteral("page_view"));
    QCOMPARE(model.index(12, 0).data(EventTableModel::SeqRole).toLongLong(), 13);
    QCOMPARE(model.rowForSeq(7), 6);
    QCOMPARE(model.rowForSeq(99), -1);
    QCOMPARE(model.totalReceived(), 13);
    QCOMPARE(model.eventNames(), QStringList {QStringLiteral("page_view")});

    feeder.batch(4);
    QTRY_COMPARE(model.rowCount(), 17);
    QCOMPARE(inserted.count(), 2);
}

void TestUi::trimAtRowCap()
{
    EventStore store;
    EventTableModel model(&store);
    EventFilterProxy proxy(&model);
    QAbstractItemModelTester modelTester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRowCap(10);
    Feeder feeder(&store);

    feeder.batch(25); // more than the cap in one batch: only the newest 10 are inserted
    model.flush();
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.index(0, 0).data(EventTableModel::SeqRole).toLongLong(), 16);
    QCOMPARE(model.index(9, 0).data(EventTableModel::SeqRole).toLongLong(), 25);

    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy flushed(&model, &EventTableModel::flushed);
    feeder.batch(4);
    QTRY_COMPARE(flushed.count(), 1);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 0);
    QCOMPARE(removed.at(0).at(2).toInt(), 3);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(flushed.at(0).at(0).toInt(), 4);
    QCOMPARE(flushed.at(0).at(1).toInt(), 4);
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.index(0, 0).data(EventTableModel::SeqRole).toLongLong(), 20);
    QCOMPARE(proxy.rowCount(), 10);
    QCOMPARE(store.events().size(), std::size_t(29)); // the store keeps everything

    model.setRowCap(3); // lowering the cap trims at once
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(0, 0).data(EventTableModel::SeqRole).toLongLong(), 27);

    // The filter bar says the table holds the newest events only, not "3 of 3 events" as if 26 were lost.
    FilterBar bar(&model, &proxy);
    QCOMPARE(bar.countText(), QStringLiteral("3 of newest 3"));
    proxy.setViolationsOnly(true);
    QTRY_COMPARE(bar.countText(), QStringLiteral("0 of newest 3"));
}

void TestUi::rowsNeverOutliveTheStoresWindow()
{
    // --max-events-in-memory below the row cap: the table keeps no event the store let go, so the
    // window bounds memory in the GUI too (each row holds a reference to its event).
    EventStore store;
    store.setMaxEvents(5);
    EventTableModel model(&store);
    EventFilterProxy proxy(&model);
    QAbstractItemModelTester modelTester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRowCap(10);
    QCOMPARE(model.effectiveRowCap(), 5);
    Feeder feeder(&store);

    feeder.batch(3);
    model.flush();
    QCOMPARE(model.rowCount(), 3);
    const std::weak_ptr<const Event> oldest = model.eventAt(0);
    QCOMPARE(oldest.lock()->seq, 1);

    feeder.batch(4); // 7 sent: the store keeps 3..7
    model.flush();
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.index(0, 0).data(EventTableModel::SeqRole).toLongLong(), 3);
    QCOMPARE(store.events().front()->seq, 3);
    QVERIFY2(oldest.expired(), "event #1 left the store; no row may keep it alive");

    feeder.batch(25); // one batch larger than both limits
    model.flush();
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.index(0, 0).data(EventTableModel::SeqRole).toLongLong(), 28);
    QCOMPARE(model.index(4, 0).data(EventTableModel::SeqRole).toLongLong(), 32);
    QCOMPARE(model.totalReceived(), 32);
    for (int row = 0; row < model.rowCount(); ++row)
        QCOMPARE(model.eventAt(row).get(), store.events()[static_cast<std::size_t>(row)].get());

    // The filter bar names the limit that applies: the window, not the row cap of 10.
    FilterBar bar(&model, &proxy);
    QCOMPARE(bar.countText(), QStringLiteral("5 of newest 5"));
    QVERIFY2(bar.countToolTip().contains(QStringLiteral("--max-events-in-memory")), qPrintable(bar.countToolTip()));
    QVERIFY2(bar.countToolTip().startsWith(QStringLiteral("27 older events")), qPrintable(bar.countToolTip()));

    // A row cap below the window applies as before, and is the limit named.
    model.setRowCap(3);
    QCOMPARE(model.effectiveRowCap(), 3);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(0, 0).data(EventTableModel::SeqRole).toLongLong(), 30);
    feeder.batch(1);
    model.flush();
    QTRY_VERIFY2(bar.countToolTip().contains(QStringLiteral("row cap 3")), qPrintable(bar.countToolTip()));
}

void TestUi::settingsNoteTheMemoryWindow()
{
    // The row cap is chosen in Settings; a session that keeps fewer events in memory caps the table lower, and
    // the dialog says so with this session's figure while the chosen cap is above it.
    GuiSettings settings;
    settings.rowCap = 100000;
    SettingsDialog dialog(settings, {QStringLiteral("open-design")}, 20000);
    QVERIFY(dialog.rowCapNote()->isVisibleTo(&dialog));
    QVERIFY2(dialog.rowCapNote()->text().contains(QStringLiteral("20,000")), qPrintable(dialog.rowCapNote()->text()));
    auto* cap = dialog.findChild<QSpinBox*>(QStringLiteral("rowCap"));
    QVERIFY(cap);
    QCOMPARE(cap->value(), 100000);
    cap->setValue(20000);
    QVERIFY(!dialog.rowCapNote()->isVisibleTo(&dialog));
    cap->setValue(20001);
    QVERIFY(dialog.rowCapNote()->isVisibleTo(&dialog));
    QCOMPARE(dialog.settings().rowCap, 20001);

    SettingsDialog everything(settings, {}, 0); // --max-events-in-memory 0: every event stays, no note
    QVERIFY(!everything.rowCapNote()->isVisibleTo(&everything));
}

void TestUi::pauseStagesAndResumeFlushes()
{
    EventStore store;
    EventTableModel model(&store);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Feeder feeder(&store);
    feeder.batch(2);
    model.flush();
    QCOMPARE(model.rowCount(), 2);

    model.setPaused(true);
    feeder.batch(3);
    model.flush();
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.stagedCount(), 3);
    QCOMPARE(model.totalReceived(), 5);

    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.setPaused(false);
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.stagedCount(), 0);
}

void TestUi::violationStatusDataChanged()
{
    EventStore store;
    EventTableModel model(&store);
    EventFilterProxy proxy(&model);
    QAbstractItemModelTester modelTester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Feeder feeder(&store);
    feeder.batch(6);
    model.flush();
    proxy.setViolationsOnly(true);
    QCOMPARE(proxy.rowCount(), 0);

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    store.addViolations({violation(3, "error"), violation(3, "warning"), violation(5, "warning")});
    QCOMPARE(changed.count(), 0); // batched until the flush
    QTRY_COMPARE(changed.count(), 2); // rows 2 and 4: two ranges, nothing else
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 2);
    QCOMPARE(changed.at(0).at(1).value<QModelIndex>().row(), 2);
    QCOMPARE(changed.at(1).at(0).value<QModelIndex>().row(), 4);

    const QModelIndex status = model.index(2, EventTableModel::StatusColumn);
    QCOMPARE(status.data().toString(), QStringLiteral("1 error, 1 warning"));
    QCOMPARE(status.data(EventTableModel::ErrorCountRole).toInt(), 1);
    QVERIFY(status.data(Qt::BackgroundRole).isValid()); // error rows are highlighted
    QVERIFY(!model.index(4, 0).data(Qt::BackgroundRole).isValid()); // warnings only: no highlight
    QCOMPARE(model.index(4, EventTableModel::StatusColumn).data().toString(), QStringLiteral("1 warning"));
    QCOMPARE(model.index(0, EventTableModel::StatusColumn).data().toString(), QStringLiteral("ok"));
    QVERIFY(!model.index(0, EventTableModel::StatusColumn).data(Qt::DecorationRole).isNull());
    QCOMPARE(proxy.rowCount(), 2); // the violations-only filter follows status changes

    // Violations of staged events are read when they are inserted.
    feeder.batch(1);
    store.addViolations({violation(7, "error")});
    model.flush();
    QCOMPARE(model.index(6, 0).data(EventTableModel::ErrorCountRole).toInt(), 1);
    QCOMPARE(proxy.rowCount(), 3);

    // Re-validation: cleared, then added again.
    store.clearViolations();
    model.flush();
    QCOMPARE(proxy.rowCount(), 0);
}

void TestUi::manyViolationsOneRangeSignal()
{
    EventStore store;
    EventTableModel model(&store);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Feeder feeder(&store);
    feeder.batch(400);
    model.flush();
    std::vector<Violation> many;
    for (qint64 seq = 1; seq <= 400; seq += 2) // every other row: 200 separate ranges
        many.push_back(violation(seq, "warning"));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    store.addViolations(many);
    model.flush();
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 0);
    QCOMPARE(changed.at(0).at(1).value<QModelIndex>().row(), 398);
}

void TestUi::clearResetsModel()
{
    EventStore store;
    EventTableModel model(&store);
    EventFilterProxy proxy(&model);
    QAbstractItemModelTester modelTester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Feeder feeder(&store);
    feeder.batch(5);
    model.flush();
    feeder.batch(2); // staged: must be dropped too
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    store.clear();
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.stagedCount(), 0);
    QCOMPARE(proxy.rowCount(), 0);
    QVERIFY(model.eventNames().isEmpty());
    model.flush();
    QCOMPARE(model.rowCount(), 0);
    feeder.batch(3);
    model.flush();
    QCOMPARE(model.rowCount(), 3);
}

void TestUi::filters_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("exact");
    QTest::addColumn<std::optional<RuntimeKind>>("runtime");
    QTest::addColumn<bool>("violationsOnly");
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("expected");

    const std::optional<RuntimeKind> any;
    QTest::addRow("no filter") << QString() << false << any << false << QString() << 8;
    QTest::addRow("name exact") << QStringLiteral("run_created") << true << any << false << QString() << 3;
    QTest::addRow("name exact is exact") << QStringLiteral("run") << true << any << false << QString() << 0;
    QTest::addRow("name substring") << QStringLiteral("RUN_") << false << any << false << QString() << 5;
    QTest::addRow("byok") << QString() << false << std::optional(RuntimeKind::Byok) << false << QString() << 2;
    QTest::addRow("amr_cloud") << QString() << false << std::optional(RuntimeKind::AmrCloud) << false << QString() << 1;
    QTest::addRow("local_cli") << QString() << false << std::optional(RuntimeKind::LocalCli) << false << QString() << 1;
    QTest::addRow("none") << QString() << false << std::optional(RuntimeKind::None) << false << QString() << 1;
    QTest::addRow("missing") << QString() << false << std::optional(RuntimeKind::Missing) << false << QString() << 2;
    QTest::addRow("invalid") << QString() << false << std::optional(RuntimeKind::Invalid) << false << QString() << 1;
    QTest::addRow("violations only") << QString() << false << any << true << QString() << 2;
    QTest::addRow("text in property value") << QString() << false << any << false << QStringLiteral("PROJ-42") << 2;
    QTest::addRow("text in key") << QString() << false << any << false << QStringLiteral("conversation_id") << 1;
    QTest::addRow("text unicode") << QString() << false << any << false << QStringLiteral("ÜBER") << 1;
    QTest::addRow("text no match") << QString() << false << any << false << QStringLiteral("nothing-like-this") << 0;
    QTest::addRow("combined name+runtime")
        << QStringLiteral("run_created") << true << std::optional(RuntimeKind::Byok) << false << QString() << 1;
    QTest::addRow("combined runtime+violations")
        << QString() << false << std::optional(RuntimeKind::Invalid) << true << QString() << 1;
    QTest::addRow("combined all") << QStringLiteral("run_finished") << true << std::optional(RuntimeKind::Byok) << true
                                  << QStringLiteral("failed") << 1;
}

void TestUi::filters()
{
    QFETCH(QString, name);
    QFETCH(bool, exact);
    QFETCH(std::optional<RuntimeKind>, runtime);
    QFETCH(bool, violationsOnly);
    QFETCH(QString, text);
    QFETCH(int, expected);

    EventStore store;
    EventTableModel model(&store);
    EventFilterProxy proxy(&model);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Feeder feeder(&store);
    feeder.add("run_created", "u1", {{"runtime_type", "byok"}, {"project_id", "PROJ-42"}})
        .add("run_created", "u2", {{"runtime_type", "amr_cloud"}, {"conversation_id", "c1"}})
        .add("run_created", "u3", {{"runtime_type", "both"}})
        .add("run_finished", "u1", {{"runtime_type", "byok"}, {"result", "failed"}, {"project_id", "proj-42"}})
        .add("run_finished", "u4", {{"runtime_type", "local_cli"}})
        .add("page_view", "u1", {{"runtime_type", "none"}, {"title", "über uns"}})
        .add("page_view", "u5", Json::object())
        .add("$pageview", "u6", Json::object());
    feeder.commit();
    store.addViolations({violation(3, "error"), violation(4, "warning")});
    model.flush();
    QCOMPARE(proxy.rowCount(), 8);

    QSignalSpy filterChanged(&proxy, &EventFilterProxy::filterChanged);
    proxy.setNameFilter(name, exact);
    proxy.setRuntimeFilter(runtime);
    proxy.setViolationsOnly(violationsOnly);
    proxy.setTextFilter(text);
    QCOMPARE(proxy.rowCount(), expected);
    QCOMPARE(proxy.isFiltering(), !name.isEmpty() || runtime || violationsOnly || !text.isEmpty());

    // New rows go through the same filter.
    feeder.add("run_created", "u9",
        {{"runtime_type", "byok"}, {"project_id", "PROJ-42"}, {"result", "failed"}, {"conversation_id", "x"},
            {"t", "über"}});
    feeder.commit();
    model.flush();
    const bool newMatches = (name.isEmpty()
                                || (exact ? name == QLatin1String("run_created")
                                          : QStringLiteral("run_created").contains(name, Qt::CaseInsensitive)))
        && (!runtime || *runtime == RuntimeKind::Byok) && !violationsOnly
        && (text.isEmpty()
            || QStringLiteral("{\"run_created\" PROJ-42 failed conversation_id über}")
                   .contains(text, Qt::CaseInsensitive));
    QCOMPARE(proxy.rowCount(), expected + (newMatches ? 1 : 0));

    proxy.clearFilters();
    QCOMPARE(proxy.rowCount(), 9);
    QVERIFY(!proxy.isFiltering());
}

void TestUi::textFilterOverLargeTable()
{
    // Over 5,000 rows the text filter scans every row once (on all cores) into a per-row table; rows
    // arriving later are checked one by one and rows trimmed from the front leave that table too.
    EventStore store;
    EventTableModel model(&store);
    model.setRowCap(8000);
    EventFilterProxy proxy(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Feeder feeder(&store);
    const auto feed = [&](int from, int to) {
        for (int i = from; i < to; ++i)
            feeder.add(i % 3 == 0 ? "needle_Event" : "page_view", "u" + std::to_string(i),
                {{"runtime_type", "none"}, {"i", i}, {"t", i % 5 == 0 ? "Grüße" : "plain"}});
        feeder.commit();
        model.flush();
    };
    const auto expected = [&](const auto& matches) {
        int n = 0;
        for (int r = 0; r < model.rowCount(); ++r)
            n += matches(model.rowAt(r).event->json) ? 1 : 0;
        return n;
    };
    feed(0, 6000);
    QCOMPARE(model.rowCount(), 6000);
    proxy.setTextFilter(QStringLiteral("NEEDLE_event"));
    const auto ascii = [](std::string_view j) { return j.find("needle_Event") != std::string_view::npos; };
    QCOMPARE(proxy.rowCount(), 2000);
    feed(6000, 9000); // 3,000 more: 1,000 trimmed from the front (cap 8,000), new rows checked one by one
    QCOMPARE(model.rowCount(), 8000);
    QCOMPARE(proxy.rowCount(), expected(ascii));
    for (int r = 0; r < proxy.rowCount(); ++r)
        QVERIFY(ascii(model.eventAt(proxy.mapToSource(proxy.index(r, 0)).row())->json));
    // A non-ASCII needle is lower-cased as Unicode: "GRÜSSE" is not "grüße", but "GRÜ" finds "Grü".
    proxy.setTextFilter(QStringLiteral("GRÜ"));
    QCOMPARE(proxy.rowCount(), expected([](std::string_view j) { return j.find("Grüße") != std::string_view::npos; }));
    QVERIFY(proxy.rowCount() > 0);
    proxy.setTextFilter(QString());
    QCOMPARE(proxy.rowCount(), 8000);
}

void TestUi::throughput()
{
    // 20,000 events/s arrive as ~2,000 rows per 100 ms flush; with the cap reached every flush also
    // trims. This checks the batch path stays correct at that size and prints how long it takes.
    EventStore store;
    EventTableModel model(&store);
    EventFilterProxy proxy(&model);
    QTableView view;
    view.setModel(&proxy);
    view.resize(800, 600);
    model.setRowCap(30000);
    proxy.setViolationsOnly(false);
    proxy.setTextFilter(QStringLiteral("user-1"));
    Feeder feeder(&store);
    QElapsedTimer timer;
    qint64 feeding = 0;
    qint64 flushing = 0;
    for (int i = 0; i < 20; ++i) {
        timer.start();
        feeder.batch(2000);
        feeding += timer.elapsed();
        timer.start();
        model.flush();
        view.scrollToBottom();
        flushing += timer.elapsed();
    }
    QCOMPARE(model.rowCount(), 30000);
    QCOMPARE(proxy.rowCount(), 15 * 667); // the newest 15 batches, user-1 every third event of each
    QCOMPARE(model.index(0, 0).data(EventTableModel::SeqRole).toLongLong(), 10001);
    qInfo("40,000 events in 20 batches: store %lld ms, model+proxy+view %lld ms (%.1f ms per 2,000-row flush)",
        static_cast<long long>(feeding), static_cast<long long>(flushing), static_cast<double>(flushing) / 20.0);
}

void TestUi::superPropertyChangedDetection()
{
    EventStore store;
    Feeder feeder(&store);
    const Json base = {{"$lib", "web"}, {"$session_id", "s1"}, {"app_version", "1.2.0"}};
    Json first = base;
    first["runtime_type"] = "none";
    Json second = base;
    second["runtime_type"] = "byok";
    second["page"] = "settings";
    const Event e1 = feeder.make("page_view", "d1", first);
    const Event e2 = feeder.make("settings_view", "d1", second);

    // With the contract naming runtime_type a super-property.
    const auto supers = analyseSuperProperties(e2, {"runtime_type"}, &e1, &e1);
    const auto find = [&](const std::string& n) {
        return std::find_if(supers.begin(), supers.end(), [&](const SuperProperty& s) { return s.name == n; });
    };
    QVERIFY(find("runtime_type") != supers.end());
    QVERIFY(find("runtime_type")->fromContract);
    QVERIFY(find("runtime_type")->changed);
    QVERIFY(find("runtime_type")->previous.value() == Json("none"));
    // Registered (inferred): same value on the same client's previous event.
    QVERIFY(find("app_version") != supers.end());
    QVERIFY(find("app_version")->inferred);
    QVERIFY(!find("app_version")->changed);
    QVERIFY(find("page") == supers.end()); // only on this event: an ordinary property

    // In the tree: under "Super-properties", bold, icon, tooltip "was "none"".
    PropertyTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    PropertyTreeModel::Input input;
    input.event = std::make_shared<const Event>(e2);
    input.contractSuper = {"runtime_type"};
    input.previousSameClient = std::make_shared<const Event>(e1);
    input.previousSameUser = input.previousSameClient;
    model.setInput(input);
    const QModelIndex rt = model.indexForPointer("/properties/runtime_type");
    QVERIFY(rt.isValid());
    QCOMPARE(rt.parent().data().toString(), QStringLiteral("Super-properties"));
    QVERIFY(rt.data(PropertyTreeModel::ChangedRole).toBool());
    QVERIFY(rt.data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(!rt.data(Qt::DecorationRole).isNull());
    QVERIFY(rt.data(Qt::ToolTipRole).toString().startsWith(QStringLiteral("was \"none\"")));
    QCOMPARE(rt.siblingAtColumn(PropertyTreeModel::ValueColumn).data().toString(), QStringLiteral("byok"));
    const QModelIndex page = model.indexForPointer("/properties/page");
    QCOMPARE(page.parent().data().toString(), QStringLiteral("Event properties"));
    QVERIFY(!page.data(PropertyTreeModel::ChangedRole).toBool());

    // No previous event of that user: nothing is "changed".
    input.previousSameUser.reset();
    model.setInput(input);
    QVERIFY(!model.indexForPointer("/properties/runtime_type").data(PropertyTreeModel::ChangedRole).toBool());
}

void TestUi::previousEventTracking()
{
    EventStore store;
    EventTableModel model(&store);
    Feeder feeder(&store);
    feeder.add("a", "d1", {{"$lib", "web"}, {"$session_id", "s1"}})
        .add("b", "d1", {{"$lib", "posthog-node"}})
        .add("c", "d1", {{"$lib", "web"}})
        .add("d", "", {{"$lib", "web"}, {"$session_id", "s1"}})
        .add("e", "d2", {{"$lib", "web"}});
    feeder.commit();
    model.flush();
    QCOMPARE(model.rowAt(0).prevSameClient(), qint64(0));
    QCOMPARE(model.rowAt(1).prevSameClient(), qint64(0)); // other $lib
    QCOMPARE(model.rowAt(1).prevSameDistinct(), qint64(1));
    QCOMPARE(model.rowAt(2).prevSameClient(), qint64(1));
    QCOMPARE(model.rowAt(2).prevSameDistinct(), qint64(2));
    QCOMPARE(model.rowAt(3).prevSameDistinct(), qint64(1)); // no distinct_id: same $session_id
    QCOMPARE(model.rowAt(4).prevSameDistinct(), qint64(0));
}

void TestUi::propertyTreePointers_data()
{
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("group");
    QTest::addColumn<bool>("missing");

    QTest::addRow("property") << QStringLiteral("/properties/project_id") << QStringLiteral("project_id")
                              << QStringLiteral("Event properties") << false;
    QTest::addRow("contract super-property")
        << QStringLiteral("/properties/runtime_type") << QStringLiteral("runtime_type")
        << QStringLiteral("Super-properties") << false;
    QTest::addRow("nested") << QStringLiteral("/properties/$set/email") << QStringLiteral("email")
                            << QStringLiteral("Event properties") << false;
    QTest::addRow("array element") << QStringLiteral("/properties/tags/1") << QStringLiteral("[1]")
                                   << QStringLiteral("Event properties") << false;
    QTest::addRow("escaped token") << QStringLiteral("/properties/a~1b") << QStringLiteral("a/b")
                                   << QStringLiteral("Event properties") << false;
    QTest::addRow("top level") << QStringLiteral("/distinct_id") << QStringLiteral("distinct_id")
                               << QStringLiteral("Event") << false;
    QTest::addRow("missing required") << QStringLiteral("/properties/conversation_id")
                                      << QStringLiteral("(missing) conversation_id")
                                      << QStringLiteral("Event properties") << true;
    QTest::addRow("missing super-property")
        << QStringLiteral("/properties/session_id") << QStringLiteral("(missing) session_id")
        << QStringLiteral("Super-properties") << true;
    QTest::addRow("missing nested") << QStringLiteral("/properties/$set/name") << QStringLiteral("(missing) name")
                                    << QStringLiteral("Event properties") << true;
    QTest::addRow("missing top level") << QStringLiteral("/uuid") << QStringLiteral("(missing) uuid")
                                       << QStringLiteral("Event") << true;
}

void TestUi::propertyTreePointers()
{
    QFETCH(QString, pointer);
    QFETCH(QString, name);
    QFETCH(QString, group);
    QFETCH(bool, missing);

    EventStore store;
    Feeder feeder(&store);
    Json props = {{"project_id", "p1"}, {"runtime_type", "byok"}, {"$set", {{"email", "a@b.c"}}}, {"tags", {"x", "y"}},
        {"a/b", 1}};
    PropertyTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    PropertyTreeModel::Input input;
    Event e = feeder.make("run_created", "d1", props);
    Json withoutUuid = e.doc();
    withoutUuid.erase("uuid");
    e.json = el::compactJson(withoutUuid);
    input.event = std::make_shared<const Event>(std::move(e));
    input.contractSuper = {"runtime_type", "session_id"};
    for (const char* path : {"/properties/conversation_id", "/properties/session_id", "/properties/$set/name", "/uuid"})
        input.violations.push_back(violation(1, "error", path));
    model.setInput(input);

    const QModelIndex index = model.indexForPointer(pointer.toStdString());
    QVERIFY(index.isValid());
    QCOMPARE(index.data().toString(), name);
    QCOMPARE(index.data(PropertyTreeModel::MissingRole).toBool(), missing);
    QCOMPARE(index.data(PropertyTreeModel::PointerRole).toString(), pointer);
    QModelIndex top = index;
    while (top.parent().isValid())
        top = top.parent();
    QCOMPARE(top.data().toString(), group);
}

void TestUi::propertyTreeHighlight()
{
    EventStore store;
    Feeder feeder(&store);
    PropertyTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    PropertyTreeModel::Input input;
    input.event = std::make_shared<const Event>(feeder.make("x", "d", {{"runtime_type", "both"}, {"a", {{"b", 1}}}}));
    input.violations = {violation(1, "error", "/properties/runtime_type"), violation(1, "error", "/properties/run_id")};
    model.setInput(input);

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    const QModelIndex rt = model.highlightPointer("/properties/runtime_type");
    QVERIFY(rt.data(PropertyTreeModel::HighlightRole).toBool());
    QVERIFY(rt.data(Qt::BackgroundRole).isValid());
    QCOMPARE(changed.count(), 1);
    const QModelIndex missing = model.highlightPointer("/properties/run_id");
    QVERIFY(missing.data(PropertyTreeModel::MissingRole).toBool());
    QVERIFY(missing.data(PropertyTreeModel::HighlightRole).toBool());
    QVERIFY(!rt.data(PropertyTreeModel::HighlightRole).toBool());
    QCOMPARE(changed.count(), 3);
    // An unknown deeper pointer resolves to the closest existing node.
    QCOMPARE(model.indexForPointer("/properties/a/b/c").data().toString(), QStringLiteral("b"));
    model.clearHighlight();
    QVERIFY(!missing.data(PropertyTreeModel::HighlightRole).toBool());
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestUi::runsModelFollowsChanges()
{
    RunsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setNow(2000000);
    const auto run
        = [](qint64 id, const std::string& key, const std::string& state, const Json& runtime, const Json& result) {
              RunInfo r;
              r.id = id;
              r.rule = "run-lifecycle";
              r.key = key;
              r.state = *runStateFromString(state);
              r.startSeq = 1;
              r.startMs = 1000000;
              if (state == "finished") {
                  r.endSeq = 2;
                  r.endMs = 1012500;
              }
              if (!runtime.is_null())
                  r.pinned["runtime_type"] = runtime;
              r.result = result;
              return r;
          };
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    model.applyChanges(
        {{run(1, "r1", "open", "byok", nullptr), run(2, "r2", "open", "amr_cloud", nullptr)}, {}}, nullptr);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(inserted.count(), 1);
    QVERIFY(model.hasOpenRuns());
    QCOMPARE(model.index(0, RunsModel::RunColumn).data().toString(), QStringLiteral("r1"));
    QCOMPARE(model.index(0, RunsModel::RuntimeTypeColumn).data().toString(), QStringLiteral("byok"));
    QCOMPARE(
        model.index(0, RunsModel::RuntimeTypeColumn).data(RunsModel::RuntimeKindRole).toInt(), int(RuntimeKind::Byok));
    QVERIFY(model.index(0, RunsModel::DurationColumn).data().toString().contains(QStringLiteral("running")));

    // r1 finishes and r3 opens: one row changes in place, one is appended; r2 is not touched.
    model.applyChanges(
        {{run(1, "r1", "finished", "byok", "success"), run(3, "r3", "open", nullptr, nullptr)}, {}}, nullptr);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.last().at(0).toModelIndex().row(), 0);
    QCOMPARE(changed.last().at(1).toModelIndex().row(), 0);
    QCOMPARE(model.index(0, RunsModel::StateColumn).data().toString(), QStringLiteral("finished"));
    QCOMPARE(model.index(0, RunsModel::ResultColumn).data().toString(), QStringLiteral("success"));
    QCOMPARE(model.index(0, RunsModel::DurationColumn).data().toString(), QStringLiteral("12.5 s"));
    QCOMPARE(model.index(2, RunsModel::RuntimeTypeColumn).data().toString(), QStringLiteral("missing"));
    QCOMPARE(model.index(0, 0).data(RunsModel::StartSeqRole).toLongLong(), 1);

    // The same key run again is another run (another id): its own row.
    model.applyChanges({{run(4, "r1", "open", "byok", nullptr)}, {}}, nullptr);
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.index(3, RunsModel::RunColumn).data().toString(), QStringLiteral("r1"));

    // The running durations refresh the open rows' duration cells only.
    changed.clear();
    model.refreshRunningDurations();
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.last().at(0).toModelIndex().column(), int(RunsModel::DurationColumn));
    QCOMPARE(changed.last().at(1).toModelIndex().column(), int(RunsModel::DurationColumn));

    // Forgotten with their events: r1 (id 1) and r2 (id 2), two adjacent rows, one removal; unknown ids ignored.
    model.applyChanges({{}, {2, 1, 99}}, nullptr);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(model.index(0, RunsModel::RunColumn).data().toString(), QStringLiteral("r3"));
    model.applyChanges({{run(3, "r3", "unfinished", nullptr, nullptr)}, {}}, nullptr);
    QCOMPARE(model.index(0, RunsModel::StateColumn).data().toString(), QStringLiteral("unfinished"));
    QVERIFY(model.hasOpenRuns()); // id 4
    model.applyChanges({{run(4, "r1", "finished", "byok", "failed")}, {}}, nullptr);
    QVERIFY(!model.hasOpenRuns());
    QCOMPARE(reset.count(), 0); // followed, never reset

    model.resetRuns({run(7, "x", "open", "byok", nullptr)}, nullptr);
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 1);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(!model.hasOpenRuns());
}

void TestUi::funnelCounts()
{
    RunsModel runs;
    FunnelModel funnel;
    QAbstractItemModelTester tester(&funnel, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto run = [](const std::string& id, const std::string& state, const Json& runtime, const Json& result) {
        RunInfo r;
        r.rule = "run-lifecycle";
        r.id = std::stoll(id);
        r.key = id;
        r.state = *runStateFromString(state);
        r.startSeq = state == "orphan" ? 0 : 1;
        if (!runtime.is_null())
            r.pinned["runtime_type"] = runtime;
        r.result = result;
        return r;
    };
    runs.resetRuns({run("1", "finished", "byok", "success"), run("2", "finished", "byok", "failed"),
                       run("3", "finished", "byok", "cancelled"), run("4", "open", "byok", nullptr),
                       run("5", "unfinished", "amr_cloud", nullptr), run("6", "finished", "local_cli", "weird"),
                       run("7", "finished", "both", "success"), run("8", "orphan", "byok", "success")},
        nullptr);
    funnel.setRuns(runs.rows());
    const auto rowOf = [&](const QString& type) -> const FunnelModel::Row* {
        for (const auto& r : funnel.rows()) {
            if (r.runtimeType == type)
                return &r;
        }
        return nullptr;
    };
    QVERIFY(rowOf(QStringLiteral("none"))); // planned values always have a row
    QCOMPARE(rowOf(QStringLiteral("none"))->created, 0);
    const auto* byok = rowOf(QStringLiteral("byok"));
    QVERIFY(byok);
    QCOMPARE(byok->created, 4); // the orphan end is not a created run
    QCOMPARE(byok->finished, 3);
    QCOMPARE(byok->success, 1);
    QCOMPARE(byok->failed, 1);
    QCOMPARE(byok->cancelled, 1);
    QCOMPARE(byok->open, 1);
    QCOMPARE(rowOf(QStringLiteral("amr_cloud"))->unfinished, 1);
    QCOMPARE(rowOf(QStringLiteral("local_cli"))->other, 1);
    QVERIFY(rowOf(QStringLiteral("both")));
    QVERIFY(rowOf(QStringLiteral("both"))->kind == RuntimeKind::Invalid);
    QCOMPARE(funnel.rowCount(), 5);
}

void TestUi::rejectedModel()
{
    Capture capture;
    RejectedModel model(capture.store());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    HttpRequest bad;
    bad.method = "POST";
    bad.path = "/batch/";
    bad.body = std::string("{not json\x01\x02", 11);
    capture.reject(bad, 400, "invalid JSON");
    capture.reject(bad, 413, "too large");
    QCOMPARE(model.rowCount(), 0); // announced on the throttle timer
    QTRY_COMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, RejectedModel::MethodColumn).data().toString(), QStringLiteral("POST"));
    QCOMPARE(model.index(0, RejectedModel::PathColumn).data().toString(), QStringLiteral("/batch/"));
    QCOMPARE(model.index(0, RejectedModel::StatusColumn).data().toInt(), 400);
    QCOMPARE(model.index(1, RejectedModel::ReasonColumn).data().toString(), QStringLiteral("too large"));
    QCOMPARE(model.index(0, RejectedModel::FirstBytesColumn).data().toString(), QStringLiteral("{not json··"));
    capture.reset();
    QCOMPARE(model.rowCount(), 0);
}

void TestUi::mainWindowSmoke()
{
    Capture capture; // no contract: counts and views only (violations are injected below)
    MainWindow window(&capture);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QAbstractItemModelTester proxyTester(
        window.eventView()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);

    const IngestOutcome ok = ingestLikeTheSink(capture,
        batchRequest(Json::array({runEvent("run_created", "d1", "r1", "byok"),
            runEvent("run_finished", "d1", "r1", "byok"), runEvent("page_view", "d2", "r2", "both")})),
        Endpoint::Batch);
    QCOMPARE(ok.status, 200);
    QCOMPARE(ok.events, std::size_t(3));
    HttpRequest bad = batchRequest(Json::array());
    bad.body = "{broken";
    QVERIFY(ingestLikeTheSink(capture, bad, Endpoint::Batch).status >= 400);

    QTRY_COMPARE(window.eventView()->model()->rowCount(), 3);
    QTRY_VERIFY2(window.statusSummary().contains(QStringLiteral("3 events")), qPrintable(window.statusSummary()));
    QTRY_VERIFY2(window.statusSummary().contains(QStringLiteral("1 rejected")), qPrintable(window.statusSummary()));
    QVERIFY(window.statusSummary().contains(QStringLiteral("No contract")));
    QVERIFY(window.statusSummary().contains(QStringLiteral("0 errors · 0 warnings")));
    QVERIFY(window.statusSummary().contains(QStringLiteral("events/s")));
    QTRY_COMPARE(window.filterBar()->countText(), QStringLiteral("3 of 3 events"));
    QTRY_COMPARE(window.rejectedModel()->rowCount(), 1);

    // A violation arrives later for the third event: status column, status bar.
    const qint64 third = window.eventModel()->index(2, 0).data(EventTableModel::SeqRole).toLongLong();
    capture.store()->addViolations({violation(third, "error")});
    QTRY_COMPARE(
        window.eventModel()->index(2, EventTableModel::StatusColumn).data().toString(), QStringLiteral("1 error"));
    QTRY_VERIFY2(
        window.statusSummary().contains(QStringLiteral("1 error · 0 warnings")), qPrintable(window.statusSummary()));

    // Selecting a row fills the detail pane.
    QTableView* view = window.eventView();
    view->setCurrentIndex(view->model()->index(2, 0));
    QCOMPARE(window.detailPane()->currentSeq(), third);
    QVERIFY(window.detailPane()->rawText().contains(QStringLiteral("\"both\"")));
    QCOMPARE(window.detailPane()->violationList()->topLevelItemCount(), 1);

    // Filter through the filter bar widgets.
    window.filterBar()->runtimeCombo()->setCurrentIndex(
        window.filterBar()->runtimeCombo()->findText(QStringLiteral("byok")));
    QCOMPARE(view->model()->rowCount(), 2);
    QTRY_COMPARE(window.filterBar()->countText(), QStringLiteral("2 of 3 events"));
    window.filterBar()->clearFilters();
    QCOMPARE(view->model()->rowCount(), 3);
    window.filterBar()->violationsOnlyBox()->setChecked(true);
    QCOMPARE(view->model()->rowCount(), 1);
    window.filterBar()->clearFilters();

    // Pause: captured but not shown; resume flushes.
    window.pauseAction()->trigger();
    QVERIFY(window.eventModel()->isPaused());
    ingestLikeTheSink(
        capture, batchRequest(Json::array({runEvent("run_created", "d3", "r3", "local_cli")})), Endpoint::Batch);
    QTRY_VERIFY2(window.statusSummary().contains(QStringLiteral("Paused · 1 new")), qPrintable(window.statusSummary()));
    QCOMPARE(view->model()->rowCount(), 3);
    QVERIFY(window.statusSummary().contains(QStringLiteral("4 events"))); // captured all the same
    window.pauseAction()->trigger();
    QCOMPARE(view->model()->rowCount(), 4);

    // Selecting by seq (what a double-click in the runs panel does) clears filters that hide it.
    window.filterBar()->runtimeCombo()->setCurrentIndex(
        window.filterBar()->runtimeCombo()->findText(QStringLiteral("amr_cloud")));
    QCOMPARE(view->model()->rowCount(), 0);
    window.selectEventBySeq(third);
    QCOMPARE(view->currentIndex().data(EventTableModel::SeqRole).toLongLong(), third);
    QCOMPARE(view->model()->rowCount(), 4);

    // Clear (Ctrl+L).
    window.clearEvents();
    QCOMPARE(view->model()->rowCount(), 0);
    QTRY_VERIFY(window.statusSummary().contains(QStringLiteral("0 events")));
    QCOMPARE(window.detailPane()->currentSeq(), 0);
    window.close();
}

void TestUi::exportReportInTheBackground()
{
    // File ▸ Export Report… without its dialogs: the report is made on a worker and written; the window gets the
    // action back and says so. With a filter, only the rows shown count.
    Capture capture;
    MainWindow window(&capture);
    Json batch = Json::array();
    for (int i = 0; i < 30; ++i)
        batch.push_back(runEvent(i % 3 ? "page_view" : "run_created", "d" + std::to_string(i), "r" + std::to_string(i),
            i % 2 ? "byok" : "amr_cloud"));
    ingestLikeTheSink(capture, batchRequest(batch), Endpoint::Batch);
    QTRY_COMPARE(window.eventModel()->rowCount(), 30);
    QTemporaryDir dir;
    const QString html = dir.filePath(QStringLiteral("all.html"));
    window.exportReportTo(html, false, false);
    QTRY_VERIFY(window.statusBar()->currentMessage().startsWith(QStringLiteral("Report written to")));
    QFile f(html);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray page = f.readAll();
    QVERIFY(page.startsWith("<!DOCTYPE html>"));
    QVERIFY(page.contains(R"(data-k="events" data-v="30")"));

    window.filterBar()->runtimeCombo()->setCurrentIndex(
        window.filterBar()->runtimeCombo()->findText(QStringLiteral("byok")));
    QTRY_COMPARE(window.eventProxy()->rowCount(), 15);
    const QString md = dir.filePath(QStringLiteral("byok.md"));
    window.exportReportTo(md, true, true);
    QTRY_VERIFY(QFileInfo::exists(md) && window.statusBar()->currentMessage().contains(QStringLiteral("byok.md")));
    QFile m(md);
    QVERIFY(m.open(QIODevice::ReadOnly));
    const QByteArray text = m.readAll();
    QVERIFY2(text.contains("| 15 |"), text.constData());
    QVERIFY(text.startsWith("## EventLens:"));
}

void TestUi::compareWithBaseline()
{
    // File ▸ Compare With…: the session (the BYOK scenarios, runtime_type on every run event) against the baseline
    // recorded before the change (runtime_type stripped): coverage gains, no regression; a finding filters the table.
    Capture capture;
    std::string contractError;
    QVERIFY2(capture.loadContractNow("builtin:open-design", contractError), contractError.c_str());
    std::string error;
    QVERIFY2(capture.importFile(QStringLiteral(EVENTLENS_TEST_DATA "/diff/after.ndjson"), error), error.c_str());
    MainWindow window(&capture);
    window.setCompareFunction(&compareRecordings);
    QTRY_COMPARE(window.eventModel()->rowCount(), 18);
    window.compareWith(QStringLiteral(EVENTLENS_TEST_DATA "/diff/before.ndjson"));
    QTRY_VERIFY_WITH_TIMEOUT(window.compareDialog() && window.compareDialog()->isVisible(), 20000);
    CompareDialog* dialog = window.compareDialog();
    QVERIFY2(dialog->verdictText().contains(QStringLiteral("no regression")), qPrintable(dialog->verdictText()));
    QTreeWidget* findings = dialog->findings();
    QCOMPARE(findings->topLevelItemCount(), 3);
    QTreeWidgetItem* improvements = findings->topLevelItem(1);
    QVERIFY(improvements->text(0).startsWith(QStringLiteral("Improvements")));
    QTreeWidgetItem* gain = nullptr;
    for (int i = 0; i < improvements->childCount(); ++i) {
        QTreeWidgetItem* item = improvements->child(i);
        if (item->text(0) == QLatin1String("coverage_gain") && item->text(1) == QLatin1String("run_created"))
            gain = item;
    }
    QVERIFY(gain);
    QCOMPARE(gain->text(2), QStringLiteral("runtime_type"));
    QCOMPARE(gain->text(3), QStringLiteral("0.0 %"));
    QCOMPARE(gain->text(4), QStringLiteral("100.0 %"));
    QCOMPARE(findings->topLevelItem(0)->childCount(), 0); // no regression

    // A finding filters the event table to its events.
    findings->scrollToItem(gain);
    QTest::mouseClick(findings->viewport(), Qt::LeftButton, {}, findings->visualItemRect(gain).center());
    QTRY_COMPARE(window.eventProxy()->rowCount(), 7); // the 7 run_created
    QCOMPARE(window.eventProxy()->nameFilter(), QStringLiteral("run_created"));

    // The other way round the same comparison regresses (as `eventlens diff` exits 1).
    QVERIFY(capture.importFile(QStringLiteral(EVENTLENS_TEST_DATA "/diff/before.ndjson"), error));
    QTRY_COMPARE(window.eventModel()->rowCount(), 18);
    window.compareWith(QStringLiteral(EVENTLENS_TEST_DATA "/diff/after.ndjson"));
    QTRY_VERIFY_WITH_TIMEOUT(dialog->verdictText().contains(QStringLiteral("REGRESSED")), 20000);
    QTreeWidgetItem* regressions = findings->topLevelItem(0);
    QVERIFY(regressions->childCount() >= 2);
    QTreeWidgetItem* drop = regressions->child(0);
    QCOMPARE(drop->text(0), QStringLiteral("coverage_drop"));
    QTest::mouseClick(findings->viewport(), Qt::LeftButton, {}, findings->visualItemRect(drop).center());
    QTRY_VERIFY(window.eventProxy()->propertyFilter().has_value()); // the events that lack it
    QTRY_COMPARE(window.eventProxy()->rowCount(), drop->text(1) == QLatin1String("run_created") ? 7 : 6);
    if (const QByteArray dir = qgetenv("EVENTLENS_SCREENSHOT_DIR"); !dir.isEmpty())
        dialog->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/compare-dialog.png"));
}

void TestUi::faultsPanel()
{
    // The Faults tab edits the sink's own fault list (the one POST /eventlens/v1/faults edits): presets, the form
    // (a refused fault says why), hits as requests come, removal.
    Capture capture;
    MainWindow window(&capture);
    IngestServer server(&capture);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    FaultsPanel* panel = window.faultsPanel();
    QVERIFY(!panel->isEnabled()); // no sink yet
    panel->setFaults(server.faults());
    QVERIFY(panel->isEnabled());

    panel->applyPreset(FaultsPanel::Preset::RateLimited);
    QCOMPARE(server.faults()->faults().size(), std::size_t(1));
    QCOMPARE(server.faults()->faults()[0].status, 429);
    QCOMPARE(panel->faultList()->topLevelItemCount(), 1);
    QCOMPARE(panel->faultList()->topLevelItem(0)->text(1), QStringLiteral("answer 429, Retry-After 2 s"));

    // A request the sink answers 429: the list shows the hit.
    eltest::RawClient client(server.port());
    client.send(eltest::request("POST", "/e/", R"({"event":"e","distinct_id":"d","api_key":"k"})"));
    eltest::Reply reply;
    QVERIFY(client.read(reply));
    QCOMPARE(reply.status, 429);
    panel->refresh();
    QCOMPARE(panel->faultList()->topLevelItem(0)->text(4), QStringLiteral("1"));
    QCOMPARE(capture.store()->rejected().size(), std::size_t(1));

    // The form: a delay with a share; then one the injector refuses is explained, not added.
    panel->findChild<QComboBox*>(QStringLiteral("faultMode"))->setCurrentIndex(1); // delay
    QVERIFY(panel->addFromForm());
    QCOMPARE(server.faults()->faults().size(), std::size_t(2));
    QCOMPARE(server.faults()->faults()[1].mode, FaultInjector::Mode::Delay);
    QCOMPARE(server.faults()->faults()[1].ms, 2000);
    panel->findChild<QComboBox*>(QStringLiteral("faultMode"))->setCurrentIndex(0);
    panel->findChild<QComboBox*>(QStringLiteral("faultEndpoint"))->setEditText(QStringLiteral("batch")); // not a path
    QVERIFY(!panel->addFromForm());
    QVERIFY(panel->findChild<QLabel*>(QStringLiteral("faultMessage"))->text().contains(QStringLiteral("path")));
    QCOMPARE(server.faults()->faults().size(), std::size_t(2));

    panel->applyPreset(FaultsPanel::Preset::Flaky20);
    QCOMPARE(server.faults()->faults().back().ratio.value_or(0), 0.2);
    if (const QByteArray dir = qgetenv("EVENTLENS_SCREENSHOT_DIR"); !dir.isEmpty()) {
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.findChild<QDockWidget*>(QStringLiteral("faultsDock"))->raise();
        QTest::qWait(100);
        window.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/faults-tab.png"));
    }
    panel->findChild<QPushButton*>(QStringLiteral("faultClear"))->click();
    QVERIFY(server.faults()->empty());
    QCOMPARE(panel->faultList()->topLevelItemCount(), 0);
}

void TestUi::coverageTabLiveAndFilters()
{
    // The Coverage tab follows the session's live count; a click on a cell filters the table to the events that lack
    // the property, a click on a value to those that carry it; the filter bar shows the filter and clears it.
    Capture capture;
    MainWindow window(&capture);
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.coverageDock()->show();
    window.coverageDock()->raise();
    const auto feed = [&capture](int from, int n) {
        Json batch = Json::array();
        for (int i = from; i < from + n; ++i) // every 4th run_created lacks runtime_type
            batch.push_back(runEvent(i % 2 ? "page_view" : "run_created", "d" + std::to_string(i),
                "r" + std::to_string(i), i % 8 == 0 ? Json() : Json(i % 3 ? "byok" : "amr_cloud")));
        ingestLikeTheSink(capture, batchRequest(batch), Endpoint::Batch);
    };
    feed(0, 40);
    CoveragePanel* panel = window.coveragePanel();
    CoverageModel* model = panel->model();
    QTRY_VERIFY(model->indexOf("run_created", "runtime_type").isValid());
    const QModelIndex cell = model->indexOf("run_created", "runtime_type");
    QCOMPARE(model->columnCount() > CoverageModel::FirstPropertyColumn, true);
    QCOMPARE(model->propertyAt(CoverageModel::FirstPropertyColumn), std::string("runtime_type")); // first column
    QCOMPARE(model->countAt(cell.row()), std::uint64_t(20));
    QCOMPARE(model->cell(cell.row(), cell.column())->present, std::uint64_t(15));
    QCOMPARE(cell.data().toString(), QStringLiteral("75 %"));
    QCOMPARE(model->data(model->indexOf("page_view", "run_id"), Qt::DisplayRole).toString(), QStringLiteral("100 %"));

    // A click on the cell: the 5 run_created without runtime_type.
    panel->view()->scrollTo(cell);
    QTest::mouseClick(panel->view()->viewport(), Qt::LeftButton, {}, panel->view()->visualRect(cell).center());
    QTRY_COMPARE(window.eventProxy()->rowCount(), 5);
    QVERIFY(window.eventProxy()->propertyFilter().has_value());
    auto* chip = window.filterBar()->findChild<QToolButton*>(QStringLiteral("filterProperty"));
    QVERIFY(chip && chip->isVisible());
    QCOMPARE(chip->text(), QStringLiteral("run_created without runtime_type  ✕"));
    // Its values: (missing) first, then by count; a click on "byok" shows those.
    QTreeWidget* values = panel->valueList();
    QCOMPARE(values->topLevelItem(0)->text(0), QStringLiteral("(missing)"));
    QCOMPARE(values->topLevelItem(0)->text(1), QStringLiteral("5"));
    QTreeWidgetItem* byok = values->findItems(QStringLiteral("byok"), Qt::MatchExactly).value(0);
    QVERIFY(byok);
    values->scrollToItem(byok);
    QTest::mouseClick(values->viewport(), Qt::LeftButton, {}, values->visualItemRect(byok).center());
    QTRY_COMPARE(window.eventProxy()->rowCount(), byok->text(1).toInt());
    for (int r = 0; r < window.eventProxy()->rowCount(); ++r) {
        const EventPtr e = window.eventModel()
                               ->rowAt(window.eventProxy()->mapToSource(window.eventProxy()->index(r, 0)).row())
                               .event;
        QCOMPARE(e->name(), std::string("run_created"));
        QVERIFY(e->runtimeType().value_or(Json()) == Json("byok"));
    }

    // Live: more traffic updates the matrix (no rescan) and the filtered table.
    const int before = window.eventProxy()->rowCount();
    feed(40, 40);
    QTRY_COMPARE(model->countAt(model->indexOf("run_created", "runtime_type").row()), std::uint64_t(40));
    QCOMPARE(model
                 ->cell(model->indexOf("run_created", "runtime_type").row(),
                     model->indexOf("run_created", "runtime_type").column())
                 ->present,
        std::uint64_t(30));
    QTRY_VERIFY(window.eventProxy()->rowCount() > before);

    // The chip clears the filter.
    QTest::mouseClick(chip, Qt::LeftButton);
    QTRY_COMPARE(window.eventProxy()->rowCount(), 80);
    QVERIFY(!chip->isVisible());
    if (const QByteArray dir = qgetenv("EVENTLENS_SCREENSHOT_DIR"); !dir.isEmpty()) {
        // For the README: the same traffic judged by the built-in contract (required properties flagged red).
        std::string error;
        QVERIFY2(capture.loadContractNow("builtin:open-design", error), error.c_str());
        panel->activateCell("run_created", "runtime_type");
        QTest::qWait(100);
        window.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/coverage-tab.png"));
    }
}

void TestUi::mainWindowTailFollow()
{
    Capture capture;
    MainWindow window(&capture);
    window.resize(1200, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTableView* view = window.eventView();
    const auto feed = [&capture](int n) {
        Json batch = Json::array();
        for (int i = 0; i < n; ++i)
            batch.push_back(runEvent("page_view", "d" + std::to_string(i), "r", "none"));
        ingestLikeTheSink(capture, batchRequest(batch), Endpoint::Batch);
    };
    feed(200);
    QTRY_COMPARE(view->model()->rowCount(), 200);
    QTRY_COMPARE(view->verticalScrollBar()->value(), view->verticalScrollBar()->maximum()); // followed the tail
    QVERIFY(view->verticalScrollBar()->maximum() > 0);

    view->verticalScrollBar()->setValue(10); // the user scrolls up: no more following
    feed(50);
    QTRY_COMPARE(view->model()->rowCount(), 250);
    QCOMPARE(view->verticalScrollBar()->value(), 10);

    view->scrollToBottom(); // back at the bottom: following again
    feed(50);
    QTRY_COMPARE(view->model()->rowCount(), 300);
    QTRY_COMPARE(view->verticalScrollBar()->value(), view->verticalScrollBar()->maximum());
    window.close();
}

void TestUi::mainWindowViolationSelectsNode()
{
    Capture capture;
    MainWindow window(&capture);
    window.show();
    // Two events of the same user: runtime_type flips none -> byok; then one without runtime_type.
    ingestLikeTheSink(capture,
        batchRequest(Json::array({runEvent("page_view", "d1", "r1", "none"), runEvent("page_view", "d1", "r1", "byok"),
            runEvent("run_created", "d1", "r9", nullptr)})),
        Endpoint::Batch);
    QTRY_COMPARE(window.eventView()->model()->rowCount(), 3);
    QTableView* view = window.eventView();
    const qint64 last = window.eventModel()->index(2, 0).data(EventTableModel::SeqRole).toLongLong();
    Violation missing = violation(last, "error", "/properties/runtime_type");
    missing.message = "required property runtime_type is missing";
    capture.store()->addViolations({violation(last, "warning", "/event"), missing});

    // runtime_type is inferred as registered ($lib etc. repeat), so the flip shows only with the contract's
    // list; without a contract it is a plain property. The registered ones are grouped as super-properties.
    view->setCurrentIndex(view->model()->index(1, 0));
    DetailPane* detail = window.detailPane();
    const QModelIndex lib = detail->propertyModel()->indexForPointer("/properties/$lib");
    QCOMPARE(lib.parent().data().toString(), QStringLiteral("Super-properties"));

    // The event without runtime_type: its violation points at a "(missing)" placeholder.
    view->setCurrentIndex(view->model()->index(2, 0));
    QTRY_COMPARE(detail->violationList()->topLevelItemCount(), 2);
    QTreeWidget* list = detail->violationList();
    int missingRow = -1;
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        if (list->topLevelItem(i)->text(2) == QLatin1String("/properties/runtime_type"))
            missingRow = i;
    }
    QVERIFY2(missingRow >= 0, "expected a violation at /properties/runtime_type");
    detail->selectViolation(missingRow);
    const QModelIndex current = detail->propertyView()->currentIndex();
    QVERIFY(current.isValid());
    QCOMPARE(current.data(PropertyTreeModel::PointerRole).toString(), QStringLiteral("/properties/runtime_type"));
    QVERIFY(current.data(PropertyTreeModel::MissingRole).toBool());
    QVERIFY(current.data(PropertyTreeModel::HighlightRole).toBool());
    QCOMPARE(current.data().toString(), QStringLiteral("(missing) runtime_type"));
    QVERIFY(detail->propertyView()->isExpanded(current.parent()));
    // The other violation points at a top-level field.
    detail->selectViolation(missingRow == 0 ? 1 : 0);
    QCOMPARE(detail->propertyView()->currentIndex().data(PropertyTreeModel::PointerRole).toString(),
        QStringLiteral("/event"));
    window.close();
}

void TestUi::mainWindowWithContract()
{
    Capture capture;
    std::string error;
    QVERIFY2(capture.loadContract("builtin:open-design", error), error.c_str());
    MainWindow window(&capture);
    window.show();
    ingestLikeTheSink(capture,
        batchRequest(Json::array({runEvent("run_created", "d1", "r1", "none"),
            runEvent("run_finished", "d1", "r1", "byok"), runEvent("run_created", "d1", "r2", nullptr)})),
        Endpoint::Batch);
    QTRY_COMPARE(window.eventView()->model()->rowCount(), 3);
    QVERIFY(window.statusSummary().contains(QStringLiteral("Contract: open-design")));
    // The runs follow the commit at once (a change notification, no poll, no timer).
    QCOMPARE(window.runsModel()->rowCount(), 2);
    QCOMPARE(window.runsModel()->index(0, RunsModel::RunColumn).data().toString(), QStringLiteral("r1"));
    QCOMPARE(window.runsModel()->index(0, RunsModel::StateColumn).data().toString(), QStringLiteral("finished"));
    QCOMPARE(window.runsModel()->index(1, RunsModel::StateColumn).data().toString(), QStringLiteral("open"));
    QSignalSpy runsReset(window.runsModel(), &QAbstractItemModel::modelReset);
    QSignalSpy runsChanged(window.runsModel(), &QAbstractItemModel::dataChanged);
    ingestLikeTheSink(
        capture, batchRequest(Json::array({runEvent("run_finished", "d1", "r2", nullptr)})), Endpoint::Batch);
    QCOMPARE(runsReset.count(), 0);
    QVERIFY(runsChanged.count() >= 1);
    QCOMPARE(window.runsModel()->rowCount(), 2);
    QCOMPARE(window.runsModel()->index(1, RunsModel::StateColumn).data().toString(), QStringLiteral("finished"));
    // run_finished flips runtime_type none -> byok: a changed super-property.
    window.eventView()->setCurrentIndex(window.eventView()->model()->index(1, 0));
    const QModelIndex rt = window.detailPane()->propertyModel()->indexForPointer("/properties/runtime_type");
    QVERIFY(rt.data(PropertyTreeModel::ChangedRole).toBool());
    QVERIFY(window.detailPane()->violationList()->topLevelItemCount() > 0);
    // A reset starts the runs over.
    capture.reset();
    QCOMPARE(runsReset.count(), 1);
    QCOMPARE(window.runsModel()->rowCount(), 0);
    window.close();
}

// Issue 15: a reload runs in the background; the status bar shows its progress and a Cancel button, which
// keeps the previous contract; a reload that finishes says so and shows the new contract.
void TestUi::mainWindowReloadProgressAndCancel()
{
    Capture capture;
    std::string error;
    QVERIFY2(capture.loadContract("builtin:open-design", error), error.c_str());
    MainWindow window(&capture);
    window.show();
    Json batch = Json::array();
    for (int i = 0; i < 3000; ++i)
        batch.push_back(runEvent(i % 2 ? "run_finished" : "run_created", "d1", "r" + std::to_string(i / 2), "byok"));
    ingestLikeTheSink(capture, batchRequest(batch), Endpoint::Batch);
    QTRY_COMPARE(window.eventView()->model()->rowCount(), 3000);
    const ContractEngine* engine = capture.engine();
    QVERIFY(!window.jobProgress()->isVisible());
    QVERIFY(!window.jobCancelButton()->isVisible());

    // Hold the judge workers so the job is still running when Cancel is clicked.
    auto closed = std::make_shared<std::atomic<bool>>(true);
    capture.setJudgeHookForTesting([closed] {
        while (closed->load())
            QThread::msleep(1);
    });
    window.reloadContract();
    QVERIFY(capture.isJudging());
    QVERIFY(window.jobProgress()->isVisible());
    QVERIFY(window.jobCancelButton()->isVisible());
    QTest::mouseClick(window.jobCancelButton(), Qt::LeftButton);
    QVERIFY(!capture.isJudging());
    QVERIFY(!window.jobProgress()->isVisible());
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("cancelled")));
    QCOMPARE(capture.engine(), engine);
    closed->store(false);

    capture.setJudgeHookForTesting({});
    window.reloadContract();
    QVERIFY(window.jobProgress()->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(!capture.isJudging(), 60000);
    QVERIFY(!window.jobProgress()->isVisible());
    QVERIFY(capture.engine() != engine);
    QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("reloaded")),
        qPrintable(window.statusBar()->currentMessage()));
    QVERIFY(window.statusSummary().contains(QStringLiteral("Contract: open-design")));
    window.close();
}

namespace {

/** The value of header \a name in the Raw tab's header list (empty when it is not there). */
QString headerValue(const DetailPane* detail, const QString& name)
{
    const QTreeWidget* list = detail->requestHeaders();
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        if (list->topLevelItem(i)->text(0).compare(name, Qt::CaseInsensitive) == 0)
            return list->topLevelItem(i)->text(1);
    }
    return {};
}

/** With EVENTLENS_SCREENSHOT_DIR set, saves \a widget as NAME.png there (to look at the pane). */
void screenshot(QWidget* widget, const char* name)
{
    const QString dir = qEnvironmentVariable("EVENTLENS_SCREENSHOT_DIR");
    if (dir.isEmpty())
        return;
    QTest::qWait(50); // let the views lay out and paint
    const QString file = dir + u'/' + QLatin1String(name) + QStringLiteral(".png");
    QVERIFY2(widget->grab().save(file), qPrintable(file));
}

} // namespace

// Issue 16 §3: the Raw tab shows the request the event came in, read back from the session file: a real gzip /batch/
// request over a real socket.
void TestUi::rawTabShowsTheRequest()
{
    QTemporaryDir dir;
    Capture capture;
    std::string error;
    QVERIFY2(capture.openSessionFile(dir.filePath(QStringLiteral("raw.elsession")), error), error.c_str());
    IngestServer server(&capture);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    MainWindow window(&capture);
    window.resize(1500, 950);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // posthog-node's body; the second event has brackets and escaped quotes in a string, the third no uuid.
    const std::string e1 = R"({"event":"run_created","distinct_id":"u1","uuid":"0190d2c0-0000-7000-8000-000000000001",)"
                           R"("properties":{"runtime_type":"byok","run_id":"r1","$lib":"posthog-node"}})";
    const std::string e2
        = R"({"event":"run_finished","distinct_id":"u1","uuid":"0190d2c0-0000-7000-8000-000000000002",)"
          R"("properties":{"runtime_type":"byok","run_id":"r1","note":"]} \"quoted\" {[","ok":true}})";
    const std::string e3 = R"({"event":"page_view","distinct_id":"u2","properties":{"nested":{"a":[1,{"b":"}"}]}}})";
    const std::string json = R"({"api_key":"phc_test","batch":[)" + e1 + "," + e2 + "," + e3
        + R"(],"sent_at":"2026-11-26T10:00:00.000Z"})";
    const std::string body = eltest::gzip(json);
    eltest::RawClient client(server.port());
    client.send(eltest::request("POST", "/batch/?ver=4.0.0", body,
        {"Content-Type: application/json", "Content-Encoding: gzip", "User-Agent: posthog-node/4.0.0"}));
    eltest::Reply reply;
    QVERIFY(client.read(reply));
    QCOMPARE(reply.status, 200);
    QTRY_COMPARE(window.eventView()->model()->rowCount(), 3);

    // The request is read when the tab is shown, not on every selection.
    DetailPane* detail = window.detailPane();
    detail->tabs()->setCurrentIndex(DetailPane::PropertiesTab);
    window.eventView()->setCurrentIndex(window.eventView()->model()->index(1, 0));
    QVERIFY(!detail->requestShown());
    detail->tabs()->setCurrentIndex(DetailPane::RawTab);
    QTRY_VERIFY(detail->requestShown());

    const QString summary = detail->requestSummary();
    QVERIFY2(summary.contains(QStringLiteral("POST /batch/?ver=4.0.0")), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("Answered\n200")), qPrintable(summary));
    QVERIFY2(
        summary.contains(formatCount(qint64(body.size())) + QStringLiteral(" bytes as received")), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("encoding gzip")), qPrintable(summary));
    QVERIFY2(
        summary.contains(formatCount(qint64(json.size())) + QStringLiteral(" bytes decoded")), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("3 in this request; this is event 2")), qPrintable(summary));
    QCOMPARE(headerValue(detail, QStringLiteral("Content-Encoding")), QStringLiteral("gzip"));
    QCOMPARE(headerValue(detail, QStringLiteral("Content-Type")), QStringLiteral("application/json"));
    QCOMPARE(headerValue(detail, QStringLiteral("User-Agent")), QStringLiteral("posthog-node/4.0.0"));
    QCOMPARE(headerValue(detail, QStringLiteral("Content-Length")), QString::number(body.size()));

    // The decoded body as it is, the event's own bytes highlighted and in view.
    QPlainTextEdit* view = detail->requestBody();
    QCOMPARE(view->toPlainText(), QString::fromStdString(json));
    const std::size_t at = json.find(e2);
    QVERIFY(at != std::string::npos);
    QCOMPARE(detail->requestSlice(), (std::pair<qint64, qint64>(qint64(at), qint64(at + e2.size()))));
    const QList<QTextEdit::ExtraSelection> marks = view->extraSelections();
    QCOMPARE(marks.size(), 1);
    QCOMPARE(marks[0].cursor.selectedText(), QString::fromStdString(e2));
    QVERIFY(marks[0].format.background().style() != Qt::NoBrush);
    QCOMPARE(view->textCursor().position(), marks[0].cursor.selectionStart());
    screenshot(&window, "raw-tab");

    // Hex: the bytes as received (gzip magic first).
    QVERIFY(detail->hexToggle()->isEnabled());
    detail->hexToggle()->setChecked(true);
    const QString hex = view->toPlainText();
    QVERIFY2(hex.startsWith(QStringLiteral("00000000  1f 8b ")), qPrintable(hex.left(80)));
    QCOMPARE(int(hex.count(u'\n')) + 1, int((body.size() + 15) / 16));
    QVERIFY(view->extraSelections().isEmpty());
    screenshot(&window, "raw-tab-hex");
    detail->hexToggle()->setChecked(false);
    QCOMPARE(view->toPlainText(), QString::fromStdString(json));

    // The event view keeps the normalised event.
    detail->setRawView(DetailPane::EventView);
    QVERIFY(detail->rawText().contains(QStringLiteral("run_finished")));
    QVERIFY(!detail->hexToggle()->isEnabled());
    screenshot(&window, "raw-tab-event");
    detail->setRawView(DetailPane::RequestView);

    // The third event has no uuid: found by its place in the request.
    window.eventView()->setCurrentIndex(window.eventView()->model()->index(2, 0));
    QTRY_VERIFY(detail->requestShown());
    const std::size_t third = json.find(e3);
    QCOMPARE(detail->requestSlice(), (std::pair<qint64, qint64>(qint64(third), qint64(third + e3.size()))));
    QCOMPARE(view->extraSelections().value(0).cursor.selectedText(), QString::fromStdString(e3));
    window.close();
}

// Started with --no-session: the pane says why there is no request.
void TestUi::rawTabWithoutSessionFile()
{
    Capture capture;
    MainWindow window(&capture);
    window.show();
    ingestLikeTheSink(
        capture, batchRequest(Json::array({runEvent("run_created", "d1", "r1", "byok")})), Endpoint::Batch);
    QTRY_COMPARE(window.eventView()->model()->rowCount(), 1);
    DetailPane* detail = window.detailPane();
    detail->tabs()->setCurrentIndex(DetailPane::RawTab);
    window.eventView()->setCurrentIndex(window.eventView()->model()->index(0, 0));
    QTRY_VERIFY(detail->requestShown());
    QVERIFY2(detail->requestSummary().contains(QStringLiteral("requests are not kept: started with --no-session")),
        qPrintable(detail->requestSummary()));
    QVERIFY(detail->requestBody()->toPlainText().isEmpty());
    QCOMPARE(detail->requestHeaders()->topLevelItemCount(), 0);
    QVERIFY(!detail->hexToggle()->isEnabled());
    QCOMPARE(detail->requestSlice(), (std::pair<qint64, qint64>(-1, -1)));
    QVERIFY(detail->rawText().contains(QStringLiteral("run_created")));
    screenshot(&window, "raw-tab-no-session");
    window.close();
}

// An NDJSON import holds no HTTP request: the Raw tab shows the line the event was read from.
void TestUi::rawTabOfAnImport()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("events.ndjson"));
    const std::string line2
        = R"({"api_key":"k","batch":[{"event":"b","distinct_id":"u"},{"event":"c","distinct_id":"u"}]})";
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"event":"a","distinct_id":"u"})"
                "\n");
        f.write(line2.c_str());
    }
    Capture capture;
    std::string error;
    QVERIFY2(capture.importFile(file, error), error.c_str());
    MainWindow window(&capture);
    window.show();
    QTRY_COMPARE(window.eventView()->model()->rowCount(), 3);
    DetailPane* detail = window.detailPane();
    detail->tabs()->setCurrentIndex(DetailPane::RawTab);
    window.eventView()->setCurrentIndex(window.eventView()->model()->index(2, 0));
    QTRY_VERIFY(detail->requestShown());
    const QString summary = detail->requestSummary();
    QVERIFY2(summary.contains(QStringLiteral("holds no HTTP request")), qPrintable(summary));
    QVERIFY2(summary.contains(file + QStringLiteral(":2")), qPrintable(summary));
    QCOMPARE(detail->requestBody()->toPlainText(), QString::fromStdString(line2));
    const std::size_t at = line2.find(R"({"event":"c")");
    QCOMPARE(detail->requestSlice(),
        (std::pair<qint64, qint64>(qint64(at), qint64(at + std::string(R"({"event":"c","distinct_id":"u"})").size()))));
    screenshot(&window, "raw-tab-import");
    window.close();
}

// A decoded body over 128 KiB is shown as a window around the event; the highlight stays on the event's bytes with
// multi-byte UTF-8 (and a surrogate pair) and CR LF line ends before it.
void TestUi::rawTabLargeBodyShowsAWindow()
{
    QTemporaryDir dir;
    Capture capture;
    std::string error;
    QVERIFY2(capture.openSessionFile(dir.filePath(QStringLiteral("big.elsession")), error), error.c_str());
    MainWindow window(&capture);
    window.show();
    std::vector<std::string> elements;
    std::string json = "{\"api_key\":\"k\",\r\n\"batch\":[\r\n";
    for (int i = 0; i < 3000; ++i) {
        elements.push_back(R"({"event":"page_view","distinct_id":"d)" + std::to_string(i)
            + R"(","properties":{"text":"ünïcødé 😀 \" ]} ","i":)" + std::to_string(i) + "}}");
        json += (i ? ",\r\n" : "") + elements.back();
    }
    json += "\r\n]}";
    QVERIFY(json.size() > 2 * (128u << 10));
    HttpRequest request = batchRequest(Json::array());
    request.body = json;
    int status = 0; // answered once journaled
    capture.ingestAsync(request, Endpoint::Batch, [&status](const IngestOutcome& o, bool) { status = o.status; });
    QTRY_COMPARE(status, 200);
    QTRY_COMPARE(window.eventView()->model()->rowCount(), 3000);
    DetailPane* detail = window.detailPane();
    detail->tabs()->setCurrentIndex(DetailPane::RawTab);
    for (int row : {1500, 3}) {
        window.eventView()->setCurrentIndex(window.eventView()->model()->index(row, 0));
        QTRY_VERIFY(detail->requestShown());
        const std::string& e = elements[std::size_t(row)];
        const std::size_t at = json.find(e);
        QCOMPARE(detail->requestSlice(), (std::pair<qint64, qint64>(qint64(at), qint64(at + e.size()))));
        const QList<QTextEdit::ExtraSelection> marks = detail->requestBody()->extraSelections();
        QCOMPARE(marks.size(), 1);
        QCOMPARE(marks[0].cursor.selectedText(), QString::fromStdString(e));
        QVERIFY(std::size_t(detail->requestBody()->toPlainText().size()) < json.size());
        QVERIFY2(
            detail->requestSummary().contains(QStringLiteral("3000 in this request; this is event %1").arg(row + 1)),
            qPrintable(detail->requestSummary()));
    }
    QVERIFY(detail->findChild<QLabel*>(QStringLiteral("rawBodyLabel"))->text().contains(QStringLiteral("are shown")));
    window.close();
}

namespace {

/** A small contract file for Add to Contract…: run_created planned (run_id required), runtime_type a global. */
const char* const kAddContract = R"({
    "name": "tst-add",
    "version": "1",
    "description": "Add to Contract in tst_ui",
    "super_properties": ["runtime_type"],
    "globals": {
        "schema": {"type": "object", "required": ["runtime_type"],
            "properties": {"runtime_type": {"enum": ["byok", "none"]}}}
    },
    "events": {
        "run_created": {
            "description": "A run starts.",
            "schema": {"type": "object", "required": ["run_id"], "properties": {"run_id": {"type": "string"}}}
        }
    },
    "unplanned_events": {"mode": "warn", "allow": ["$*"]}
}
)";

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

/** Violations of \a kind (at \a path, when given) on the events named \a name. */
int violationsOf(const Capture& capture, const std::string& name, ViolationKind kind, const std::string& path = {})
{
    int n = 0;
    for (const EventPtr& e : capture.store()->events()) {
        if (e->name() != name)
            continue;
        for (const Violation* v : capture.store()->violationsFor(e->seq))
            n += v->kind == kind && (path.empty() || v->path == path);
    }
    return n;
}

/** The event table's index (proxy) of the first event named \a name. */
QModelIndex rowOf(MainWindow& window, const std::string& name)
{
    for (int r = 0; r < window.eventModel()->rowCount(); ++r) {
        if (window.eventModel()->rowAt(r).event->name() == name)
            return window.eventProxy()->mapFromSource(window.eventModel()->index(r, 0));
    }
    return {};
}

QAction* addAction(QMenu* menu)
{
    return menu ? menu->findChild<QAction*>(QStringLiteral("addToContract")) : nullptr;
}

Json shareEvent(int i)
{
    return Json {{"event", "share_link_copied"}, {"distinct_id", "d1"},
        {"properties", {{"runtime_type", "byok"}, {"link_kind", i % 2 ? "team" : "public"}, {"$lib", "posthog-node"}}}};
}

Json runCreated(int i, const Json& extra = Json::object())
{
    Json props = {{"runtime_type", "byok"}, {"run_id", "r" + std::to_string(i)}, {"$lib", "posthog-node"}};
    props.update(extra);
    return Json {{"event", "run_created"}, {"distinct_id", "d1"}, {"properties", props}};
}

} // namespace

// Issue 18 §2: Add to Contract… on an unplanned event: the dialog shows the schema inferred from the session's events
// of that name; accepted, the contract file gets it (its other keys in their order) and is reloaded, and the events
// are no longer unplanned. A merged document the parser refuses is never written.
void TestUi::addToContractEvent()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("contract.json"));
    QVERIFY(writeAll(path, kAddContract));
    Capture capture;
    std::string error;
    QVERIFY2(capture.loadContractNow(path.toStdString(), error), error.c_str());
    MainWindow window(&capture);
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    Json batch = Json::array({runCreated(1), runCreated(2)});
    for (int i = 0; i < 3; ++i)
        batch.push_back(shareEvent(i));
    ingestLikeTheSink(capture, batchRequest(batch), Endpoint::Batch);
    QTRY_COMPARE(window.eventModel()->rowCount(), 5);
    QCOMPARE(violationsOf(capture, "share_link_copied", ViolationKind::Unplanned), 3);

    // The table's context menu: enabled on the unplanned event, disabled on the planned one.
    std::unique_ptr<QMenu> planned(window.eventMenu(rowOf(window, "run_created")));
    QVERIFY(addAction(planned.get()) && !addAction(planned.get())->isEnabled());
    std::unique_ptr<QMenu> menu(window.eventMenu(rowOf(window, "share_link_copied")));
    QAction* add = addAction(menu.get());
    QVERIFY(add && add->isEnabled());
    QCOMPARE(add->text(), QStringLiteral("Add “share_link_copied” to Contract…"));

    int asked = 0;
    QString summary;
    Json shown;
    MainWindow::AddToContractPrompts prompts;
    prompts.confirm = [&](AddToContractDialog& dialog) {
        ++asked;
        summary = dialog.summaryText();
        shown = Json::parse(dialog.schemaView()->toPlainText().toStdString(), nullptr, false);
        dialog.show();
        if (summary.contains(QStringLiteral("share_link_copied")) && QTest::qWaitForWindowExposed(&dialog))
            screenshot(&dialog, "add-to-contract");
        return true;
    };
    prompts.copyPath = [&](const QString&) {
        ++asked; // a file contract is written in place: never asked
        return QString();
    };
    window.setAddToContractPrompts(prompts);
    add->trigger();
    QCOMPARE(asked, 1);
    QVERIFY2(summary.contains(QStringLiteral("Add the event share_link_copied to the contract")), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("Inferred from the 3 share_link_copied events in this session")),
        qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("events.share_link_copied")), qPrintable(summary));
    QVERIFY2(summary.contains(QDir::toNativeSeparators(path)), qPrintable(summary));
    QCOMPARE(shown.value("description", ""), std::string("Inferred from 3 share_link_copied events."));
    QVERIFY(shown["schema"]["properties"].contains("link_kind"));
    QVERIFY(!shown["schema"]["properties"].contains("runtime_type")); // the globals name it
    QVERIFY(!shown["schema"]["properties"].contains("$lib"));

    // The file: the event added, the rest as it was (keys in their order), 2-space indent.
    const QByteArray text = readAll(path);
    const Json doc = Json::parse(text.toStdString());
    JSON_COMPARE(doc["events"]["share_link_copied"], shown);
    Json rest = doc;
    rest["events"].erase("share_link_copied");
    QVERIFY(rest == Json::parse(kAddContract));
    QVERIFY(text.startsWith("{\n  \"name\": \"tst-add\",\n  \"version\": \"1\",\n  \"description\""));
    QVERIFY(text.indexOf("\"run_created\"") < text.indexOf("\"share_link_copied\""));
    QVERIFY(text.indexOf("\"share_link_copied\"") < text.indexOf("\"unplanned_events\""));

    // Reloaded: planned now, judged again, no longer unplanned (and nothing else is wrong with them).
    QTRY_VERIFY(capture.contract()->event("share_link_copied"));
    QTRY_COMPARE(violationsOf(capture, "share_link_copied", ViolationKind::Unplanned), 0);
    const qint64 shareSeq = rowOf(window, "share_link_copied").data(EventTableModel::SeqRole).toLongLong();
    QVERIFY(shareSeq > 0);
    QCOMPARE(capture.store()->violationsFor(shareSeq).size(), std::size_t(0));
    QCOMPARE(capture.contractOrigin(), path.toStdString());
    menu.reset(window.eventMenu(rowOf(window, "share_link_copied")));
    QVERIFY(!addAction(menu.get())->isEnabled());
    QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("share_link_copied")),
        qPrintable(window.statusBar()->currentMessage()));

    // A file the parser would refuse once merged (edited since, with an unknown key) is left as it is.
    ingestLikeTheSink(capture,
        batchRequest(Json::array({Json {{"event", "export_done"}, {"distinct_id", "d1"},
            {"properties", {{"runtime_type", "none"}, {"format", "pdf"}}}}})),
        Endpoint::Batch);
    QTRY_COMPARE(window.eventModel()->rowCount(), 6);
    Json bad = doc;
    bad["bogus"] = true;
    const QByteArray badText = QByteArray::fromStdString(bad.dump(2));
    QVERIFY(writeAll(path, badText));
    asked = 0;
    QVERIFY(!window.addToContract(QStringLiteral("export_done")));
    QCOMPARE(asked, 1);
    QCOMPARE(readAll(path), badText);
    auto* box = window.findChild<QMessageBox*>();
    QVERIFY(box && box->isVisible());
    QVERIFY2(box->text().contains(QStringLiteral("does not load, so nothing was written"))
            && box->text().contains(QStringLiteral("bogus")),
        qPrintable(box->text()));
    QVERIFY(capture.contract()->event("share_link_copied")); // the loaded contract stays
    box->close();
    window.close();
}

// Issue 18 §2: Add to Contract… on a property the event's schema does not name, from the detail pane's property tree
// (and the Coverage tab): added to the schema's properties, never to required; once reloaded the contract names it.
void TestUi::addToContractProperty()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("contract.json"));
    QVERIFY(writeAll(path, kAddContract));
    Capture capture;
    std::string error;
    QVERIFY2(capture.loadContractNow(path.toStdString(), error), error.c_str());
    MainWindow window(&capture);
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    Json batch = Json::array();
    for (int i = 0; i < 4; ++i)
        batch.push_back(runCreated(i, i < 3 ? Json {{"tab_count", i + 1}} : Json::object()));
    ingestLikeTheSink(capture, batchRequest(batch), Endpoint::Batch);
    QTRY_COMPARE(window.eventModel()->rowCount(), 4);
    QVERIFY(!canAddToContract(capture, "run_created")); // planned

    // The property tree: Add to Contract… on tab_count; disabled on run_id (named), runtime_type (a global) and $lib.
    window.eventView()->setCurrentIndex(rowOf(window, "run_created"));
    DetailPane* detail = window.detailPane();
    const auto menuAt = [detail](const char* pointer) {
        return std::unique_ptr<QMenu>(
            detail->treeMenu(detail->propertyView(), detail->propertyModel()->indexForPointer(pointer)));
    };
    for (const char* named : {"/properties/run_id", "/properties/runtime_type", "/properties/$lib"}) {
        const auto menu = menuAt(named);
        QVERIFY2(addAction(menu.get()) && !addAction(menu.get())->isEnabled(), named);
    }
    QVERIFY(!addAction(menuAt("/event").get())); // not a property
    auto menu = menuAt("/properties/tab_count");
    QAction* add = addAction(menu.get());
    QVERIFY(add && add->isEnabled());
    // The Coverage tab offers the same on the cell.
    window.coverageDock()->show();
    window.coverageDock()->raise();
    window.coveragePanel()->refresh();
    CoverageModel* coverage = window.coveragePanel()->model();
    QTRY_VERIFY(coverage->indexOf("run_created", "tab_count").isValid());
    std::unique_ptr<QMenu> cellMenu(window.coveragePanel()->cellMenu(coverage->indexOf("run_created", "tab_count")));
    QVERIFY(addAction(cellMenu.get()));
    QVERIFY(!window.coveragePanel()->cellMenu(coverage->indexOf("run_created", "run_id")));

    QString summary;
    Json shown;
    MainWindow::AddToContractPrompts prompts;
    prompts.confirm = [&](AddToContractDialog& dialog) {
        summary = dialog.summaryText();
        shown = Json::parse(dialog.schemaView()->toPlainText().toStdString(), nullptr, false);
        dialog.show();
        if (QTest::qWaitForWindowExposed(&dialog))
            screenshot(&dialog, "add-to-contract-property");
        return true;
    };
    window.setAddToContractPrompts(prompts);
    add->trigger();
    QVERIFY2(summary.contains(QStringLiteral("Add the property tab_count of run_created to the contract")),
        qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("Inferred from the 4 run_created events in this session: 3 of them")),
        qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("events.run_created.schema.properties.tab_count")), qPrintable(summary));
    JSON_COMPARE(shown, Json({{"type", "integer"}, {"description", "seen on 3 of 4 run_created events"}}));

    const Json doc = Json::parse(readAll(path).toStdString());
    const Json& schema = doc["events"]["run_created"]["schema"];
    JSON_COMPARE(schema["properties"]["tab_count"], shown);
    JSON_COMPARE(schema["required"], Json({"run_id"}));
    QTRY_VERIFY(!canAddToContract(capture, "run_created", "tab_count"));
    QTRY_VERIFY(!addAction(menuAt("/properties/tab_count").get())->isEnabled());
    QCOMPARE(violationsOf(capture, "run_created", ViolationKind::Schema), 0);
    QVERIFY(!window.coveragePanel()->cellMenu(coverage->indexOf("run_created", "tab_count")));
    const auto plannedCell = [&] {
        window.coveragePanel()->refresh();
        const QModelIndex cell = coverage->indexOf("run_created", "tab_count");
        return cell.isValid() && coverage->cell(cell.row(), cell.column())->planned;
    };
    QTRY_VERIFY(plannedCell()); // the Coverage tab says "in the contract" now
    window.close();
}

// Issue 18 §2: with a built-in contract, Add to Contract… saves a copy with the addition where the user says (asked
// after the dialog; a failed write says why and changes nothing), and the window switches to that copy.
void TestUi::addToContractBuiltinCopy()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Capture capture;
    std::string error;
    QVERIFY2(capture.loadContractNow("builtin:open-design", error), error.c_str());
    const std::size_t plannedBefore = capture.contract()->events().size();
    const QString previousContract = GuiSettings::load().contract;
    MainWindow window(&capture);
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    ingestLikeTheSink(capture, batchRequest(Json::array({shareEvent(0), shareEvent(1)})), Endpoint::Batch);
    QTRY_COMPARE(window.eventModel()->rowCount(), 2);
    QCOMPARE(violationsOf(capture, "share_link_copied", ViolationKind::Unplanned), 2);

    QString summary;
    QString okText;
    QString suggested;
    QString answer = dir.filePath(QStringLiteral("missing/od-copy.json")); // no such folder: the write fails
    MainWindow::AddToContractPrompts prompts;
    prompts.confirm = [&](AddToContractDialog& dialog) {
        summary = dialog.summaryText();
        okText = dialog.okButton()->text();
        dialog.show();
        if (QTest::qWaitForWindowExposed(&dialog))
            screenshot(&dialog, "add-to-contract-builtin");
        return true;
    };
    prompts.copyPath = [&](const QString& offered) {
        suggested = offered;
        return answer;
    };
    window.setAddToContractPrompts(prompts);
    QVERIFY(!window.addToContract(QStringLiteral("share_link_copied")));
    QVERIFY2(
        summary.contains(QStringLiteral("The built-in contract open-design cannot be changed")), qPrintable(summary));
    QCOMPARE(okText, QStringLiteral("Save a Copy…"));
    QCOMPARE(QFileInfo(suggested).fileName(), QStringLiteral("open-design-custom.json"));
    auto* box = window.findChild<QMessageBox*>();
    QVERIFY(box && box->isVisible());
    QVERIFY2(
        box->text().contains(QStringLiteral("Cannot write")) && box->text().contains(answer), qPrintable(box->text()));
    QCOMPARE(capture.contractOrigin(), std::string("builtin:open-design"));
    box->close();

    answer = dir.filePath(QStringLiteral("od-copy.json"));
    QVERIFY(window.addToContract(QStringLiteral("share_link_copied")));
    const Json doc = Json::parse(readAll(answer).toStdString());
    QCOMPARE(doc.value("name", ""), std::string("open-design"));
    QCOMPARE(doc["events"].size(), plannedBefore + 1);
    QVERIFY(doc["events"].contains("share_link_copied"));
    QTRY_COMPARE(capture.contractOrigin(), answer.toStdString());
    QTRY_COMPARE(violationsOf(capture, "share_link_copied", ViolationKind::Unplanned), 0);
    QCOMPARE(capture.contract()->events().size(), plannedBefore + 1);
    QTRY_COMPARE(GuiSettings::load().contract, answer); // the copy is the contract at the next start too
    QVERIFY(window.statusSummary().contains(QStringLiteral("Contract: open-design")));
    window.close();
    GuiSettings settings = GuiSettings::load(); // not a file that goes with the temporary folder
    settings.contract = previousContract;
    settings.save();
}

QTEST_MAIN(TestUi)
#include "tst_ui.moc"
