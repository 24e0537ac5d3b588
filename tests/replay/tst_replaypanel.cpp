// SPDX-License-Identifier: MIT
// The Replay panel, offscreen: scenario list, target/key/speed fields, progress, per-run results, cancel.
#include "localsink.h"
#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"
#include "replaypanel.h"

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace el;

class TestReplayPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsBuiltins();
    void defaultTarget();
    void replaysCheckedScenarios();
    void cancel();
    void addFile();
};

namespace {

using eltest::Sink;

void checkOnly(ReplayPanel& panel, const QStringList& names)
{
    panel.setAllChecked(false);
    QTreeWidget* list = panel.scenarioList();
    for (int i = 0; i < list->topLevelItemCount(); ++i)
        if (names.contains(list->topLevelItem(i)->text(0)))
            list->topLevelItem(i)->setCheckState(0, Qt::Checked);
}

} // namespace

void TestReplayPanel::listsBuiltins()
{
    ReplayPanel panel;
    QTreeWidget* list = panel.scenarioList();
    QCOMPARE(list->topLevelItemCount(), static_cast<int>(builtinScenarios().size()));
    QStringList names;
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = list->topLevelItem(i);
        names << item->text(0);
        QCOMPARE(item->checkState(0), Qt::Checked);
        QVERIFY(!item->toolTip(0).isEmpty()); // the description
    }
    QVERIFY(names.contains(QStringLiteral("byok-success")));
    QVERIFY(names.contains(QStringLiteral("byok-stuck-at-created")));
    const int stuck = static_cast<int>(names.indexOf(QStringLiteral("byok-stuck-at-created")));
    QCOMPARE(
        list->topLevelItem(stuck)->text(2), QStringLiteral("sequence.unfinished run-lifecycle /properties/run_id"));
    list->setCurrentItem(list->topLevelItem(stuck));
    auto* description = panel.findChild<QLabel*>(QStringLiteral("replayDescription"));
    QVERIFY(description->text().contains(QStringLiteral("BROKEN on purpose")));
    auto* cancel = panel.findChild<QPushButton*>(QStringLiteral("replayCancel"));
    QVERIFY(!cancel->isEnabled());
    panel.setAllChecked(false);
    QVERIFY(!panel.findChild<QPushButton*>(QStringLiteral("replayRun"))->isEnabled());
    QVERIFY(!panel.startReplay());
}

void TestReplayPanel::defaultTarget()
{
    ReplayPanel panel;
    QCOMPARE(panel.target(), QStringLiteral("http://127.0.0.1:8484"));
    panel.setDefaultTarget(QStringLiteral("http://127.0.0.1:9100"));
    QCOMPARE(panel.target(), QStringLiteral("http://127.0.0.1:9100"));
    panel.setDefaultTarget(QStringLiteral("http://127.0.0.1:9200")); // still the default: follows
    QCOMPARE(panel.target(), QStringLiteral("http://127.0.0.1:9200"));
    auto* target = panel.findChild<QLineEdit*>(QStringLiteral("replayTarget"));
    target->setText(QStringLiteral("https://us.i.posthog.com"));
    panel.setDefaultTarget(QStringLiteral("http://127.0.0.1:9300")); // the user's choice stays
    QCOMPARE(panel.target(), QStringLiteral("https://us.i.posthog.com"));
    target->setText(QStringLiteral("not a url"));
    QVERIFY(!panel.startReplay());
}

void TestReplayPanel::replaysCheckedScenarios()
{
    Sink sink;
    ReplayPanel panel;
    panel.resize(900, 700);
    panel.setDefaultTarget(sink.server.url());
    checkOnly(panel,
        {QStringLiteral("byok-success"), QStringLiteral("byok-stuck-at-created"), QStringLiteral("amr-cloud-run")});
    panel.findChild<QComboBox*>(QStringLiteral("replaySpeed"))->setCurrentIndex(2); // as fast as possible
    QSignalSpy finished(&panel, &ReplayPanel::replayFinished);
    QVERIFY(panel.startReplay());
    QVERIFY(panel.isRunning());
    QVERIFY(!panel.findChild<QPushButton*>(QStringLiteral("replayRun"))->isEnabled());
    QVERIFY(panel.findChild<QPushButton*>(QStringLiteral("replayCancel"))->isEnabled());
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.first().at(0).toBool(), true);

    QTreeWidget* results = panel.resultList();
    QCOMPARE(results->topLevelItemCount(), 3);
    for (int i = 0; i < results->topLevelItemCount(); ++i) {
        QTreeWidgetItem* row = results->topLevelItem(i);
        QVERIFY2(
            row->text(2) == QStringLiteral("passed"), qPrintable(row->text(0) + QStringLiteral(": ") + row->text(5)));
        QCOMPARE(row->text(3), row->text(4)); // expected == actual
    }
    auto* progress = panel.findChild<QProgressBar*>(QStringLiteral("replayProgress"));
    QCOMPARE(progress->maximum(), 6); // 3 + 1 + 2 events
    QCOMPARE(progress->value(), 6);
    auto* status = panel.findChild<QLabel*>(QStringLiteral("replayStatus"));
    QCOMPARE(status->text(), QStringLiteral("3 of 3 runs matched their expected verdict."));
    QVERIFY(panel.findChild<QPushButton*>(QStringLiteral("replayRun"))->isEnabled());
    if (qEnvironmentVariableIsSet("EVENTLENS_SCREENSHOT"))
        panel.grab().save(qEnvironmentVariable("EVENTLENS_SCREENSHOT"));
}

void TestReplayPanel::cancel()
{
    Sink sink;
    ReplayPanel panel;
    panel.setDefaultTarget(sink.server.url());
    checkOnly(panel, {QStringLiteral("byok-success")}); // as recorded: waits of seconds
    QSignalSpy finished(&panel, &ReplayPanel::replayFinished);
    QVERIFY(panel.startReplay());
    QTRY_VERIFY_WITH_TIMEOUT(panel.findChild<QProgressBar*>(QStringLiteral("replayProgress"))->value() >= 1, 10000);
    QTest::mouseClick(panel.findChild<QPushButton*>(QStringLiteral("replayCancel")), Qt::LeftButton);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(panel.resultList()->topLevelItemCount(), 1);
    QCOMPARE(panel.resultList()->topLevelItem(0)->text(2), QStringLiteral("cancelled"));
    QVERIFY(panel.findChild<QLabel*>(QStringLiteral("replayStatus"))->text().endsWith(QStringLiteral("Cancelled.")));
}

void TestReplayPanel::addFile()
{
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("bad.json"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"steps": [{"type": "emit", "event": "a"}, {"type": "emitt"}]})");
    f.close();
    ReplayPanel panel;
    const int before = panel.scenarioList()->topLevelItemCount();
    QString error;
    QVERIFY(!panel.addScenarioFile(bad, &error));
    QCOMPARE(error,
        bad
            + QStringLiteral(":step 2: unknown step type 'emitt' (expected register, unregister, emit, "
                             "wait, transport or fault)"));
    const QString good = dir.filePath(QStringLiteral("mine.json"));
    QFile g(good);
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write(R"({"description": "one event", "steps": [{"type": "emit", "event": "a"}]})");
    g.close();
    QVERIFY(panel.addScenarioFile(good, &error));
    QCOMPARE(panel.scenarioList()->topLevelItemCount(), before + 1);
    QCOMPARE(panel.scenarioList()->topLevelItem(before)->text(0), QStringLiteral("mine"));
}

QTEST_MAIN(TestReplayPanel)
#include "tst_replaypanel.moc"
