// SPDX-License-Identifier: MIT
#include "replaypanel.h"
#include "util/qtext.h" // qs()

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace el {

namespace {

enum ScenarioColumn { ColName, ColEvents, ColExpects, ColOrigin };
enum ResultColumn { ResScenario, ResRun, ResResult, ResExpected, ResActual, ResNote };

QColor statusColor(ScenarioResult::Status s)
{
    switch (s) {
    case ScenarioResult::Status::Passed:
    case ScenarioResult::Status::Sent:
    case ScenarioResult::Status::Reported:
        return QColor(0x2e, 0x8b, 0x57); // sea green
    case ScenarioResult::Status::Failed:
    case ScenarioResult::Status::Error:
        return QColor(0xd0, 0x3a, 0x2f);
    case ScenarioResult::Status::Cancelled:
        return QColor(0x80, 0x80, 0x80);
    }
    return {};
}

} // namespace

ReplayPanel::ReplayPanel(QWidget* parent)
    : QWidget(parent)
    , m_engine(new ReplayEngine(this))
    , m_target(new QLineEdit(this))
    , m_key(new QLineEdit(this))
    , m_speed(new QComboBox(this))
    , m_repeat(new QSpinBox(this))
    , m_scenarios(new QTreeWidget(this))
    , m_description(new QLabel(this))
    , m_add(new QPushButton(tr("Add file…"), this))
    , m_remove(new QPushButton(tr("Remove"), this))
    , m_run(new QPushButton(tr("Replay"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_results(new QTreeWidget(this))
{
    setObjectName(QStringLiteral("replayPanel"));
    m_defaultTarget = QStringLiteral("http://127.0.0.1:8484");
    m_target->setPlaceholderText(m_defaultTarget);
    m_target->setToolTip(tr("An EventLens sink (its verdict is compared with each scenario's expectation) or any "
                            "PostHog host, e.g. https://us.i.posthog.com (events are only sent)."));
    m_target->setObjectName(QStringLiteral("replayTarget"));
    m_key->setText(QStringLiteral("phc_eventlens_replay"));
    m_key->setToolTip(tr("Project API key, sent as api_key and token."));
    m_key->setObjectName(QStringLiteral("replayKey"));
    m_speed->addItem(tr("As recorded"), 1.0);
    m_speed->addItem(tr("10× faster"), 10.0);
    m_speed->addItem(tr("As fast as possible"), 0.0);
    m_speed->setToolTip(tr("How long the waits between events take (the recorded durations in the events stay "
                           "the same)."));
    m_speed->setObjectName(QStringLiteral("replaySpeed"));
    m_repeat->setRange(1, 1000);
    m_repeat->setToolTip(tr("Run each scenario this many times, each with fresh ids."));
    m_repeat->setObjectName(QStringLiteral("replayRepeat"));

    auto* form = new QFormLayout;
    form->addRow(tr("Target:"), m_target);
    form->addRow(tr("Key:"), m_key);
    auto* speedRow = new QHBoxLayout;
    speedRow->addWidget(m_speed, 1);
    speedRow->addWidget(new QLabel(tr("Repeat:"), this));
    speedRow->addWidget(m_repeat);
    form->addRow(tr("Speed:"), speedRow);

    m_scenarios->setObjectName(QStringLiteral("replayScenarios"));
    m_scenarios->setHeaderLabels({tr("Scenario"), tr("Events"), tr("Expects"), tr("Source")});
    m_scenarios->setRootIsDecorated(false);
    m_scenarios->setUniformRowHeights(true);
    m_scenarios->header()->setSectionResizeMode(ColName, QHeaderView::ResizeToContents);
    m_scenarios->header()->setSectionResizeMode(ColEvents, QHeaderView::ResizeToContents);
    m_scenarios->header()->setSectionResizeMode(ColExpects, QHeaderView::ResizeToContents);
    m_scenarios->header()->setStretchLastSection(true);
    m_description->setWordWrap(true);
    m_description->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_description->setObjectName(QStringLiteral("replayDescription"));
    m_description->setMinimumHeight(fontMetrics().lineSpacing() * 3);
    m_description->setAlignment(Qt::AlignTop | Qt::AlignLeft);

    auto* listButtons = new QHBoxLayout;
    auto* all = new QPushButton(tr("All"), this);
    auto* none = new QPushButton(tr("None"), this);
    all->setToolTip(tr("Check every scenario"));
    none->setToolTip(tr("Uncheck every scenario"));
    m_add->setToolTip(tr("Add a scenario file (.json) or a captured session (.ndjson, one event per line as "
                         "GET /eventlens/v1/events returns them)"));
    listButtons->addWidget(all);
    listButtons->addWidget(none);
    listButtons->addStretch(1);
    listButtons->addWidget(m_add);
    listButtons->addWidget(m_remove);

    m_run->setObjectName(QStringLiteral("replayRun"));
    m_run->setDefault(true);
    m_cancel->setObjectName(QStringLiteral("replayCancel"));
    m_progress->setObjectName(QStringLiteral("replayProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("%v / %m events"));
    m_status->setObjectName(QStringLiteral("replayStatus"));
    m_status->setWordWrap(true);
    auto* runRow = new QHBoxLayout;
    runRow->addWidget(m_run);
    runRow->addWidget(m_cancel);
    runRow->addWidget(m_progress, 1);

    m_results->setObjectName(QStringLiteral("replayResults"));
    m_results->setHeaderLabels({tr("Scenario"), tr("Run"), tr("Result"), tr("Expected"), tr("Actual"), tr("Note")});
    m_results->setRootIsDecorated(false);
    m_results->setUniformRowHeights(true);
    m_results->setWordWrap(false);
    for (int c : {ResScenario, ResRun, ResResult, ResExpected, ResActual})
        m_results->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_results->header()->setStretchLastSection(true);

    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(form);
    topLayout->addWidget(m_scenarios, 1);
    topLayout->addWidget(m_description);
    topLayout->addLayout(listButtons);
    topLayout->addLayout(runRow);
    topLayout->addWidget(m_status);
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(top);
    splitter->addWidget(m_results);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    for (const std::string& name : builtinScenarios()) {
        Scenario s;
        std::string error;
        if (loadScenario("builtin:" + name, s, error))
            addScenario(std::move(s), false);
    }
    if (m_scenarios->topLevelItemCount() > 0)
        m_scenarios->setCurrentItem(m_scenarios->topLevelItem(0));

    connect(m_scenarios, &QTreeWidget::currentItemChanged, this, [this] {
        updateDescription();
        updateButtons();
    });
    connect(m_scenarios, &QTreeWidget::itemChanged, this, [this] { updateButtons(); });
    connect(all, &QPushButton::clicked, this, [this] { setAllChecked(true); });
    connect(none, &QPushButton::clicked, this, [this] { setAllChecked(false); });
    connect(m_add, &QPushButton::clicked, this, &ReplayPanel::browse);
    connect(m_remove, &QPushButton::clicked, this, &ReplayPanel::removeSelected);
    connect(m_run, &QPushButton::clicked, this, [this] { startReplay(); });
    connect(m_cancel, &QPushButton::clicked, this, &ReplayPanel::cancelReplay);
    connect(m_engine, &ReplayEngine::progress, this, [this](int done, int total) {
        m_progress->setRange(0, std::max(1, total));
        m_progress->setValue(done);
    });
    connect(m_engine, &ReplayEngine::scenarioStarted, this, &ReplayPanel::onScenarioStarted);
    connect(m_engine, &ReplayEngine::scenarioFinished, this, &ReplayPanel::onScenarioFinished);
    connect(m_engine, &ReplayEngine::finished, this, &ReplayPanel::onFinished);

    m_status->setText(tr("Pick scenarios and press Replay. Against EventLens each run's verdict is compared with "
                         "what the scenario expects."));
    updateDescription();
    updateButtons();
}

ReplayPanel::~ReplayPanel() = default;

void ReplayPanel::setDefaultTarget(const QString& url)
{
    const QString current = m_target->text().trimmed();
    if (current.isEmpty() || current == m_defaultTarget)
        m_target->setText(url);
    m_defaultTarget = url;
    m_target->setPlaceholderText(url);
}

QString ReplayPanel::target() const
{
    const QString t = m_target->text().trimmed();
    return t.isEmpty() ? m_defaultTarget : t;
}

void ReplayPanel::addScenario(Scenario scenario, bool removable)
{
    auto* item = new QTreeWidgetItem;
    item->setText(ColName, qs(scenario.name));
    item->setText(ColEvents, QString::number(scenario.emitCount()));
    item->setTextAlignment(ColEvents, Qt::AlignRight | Qt::AlignVCenter);
    item->setText(ColExpects, qs(scenario.expectationText()));
    item->setText(ColOrigin, qs(scenario.origin));
    const QString tip = qs(scenario.description.empty() ? scenario.origin : scenario.description);
    for (int c = ColName; c <= ColOrigin; ++c)
        item->setToolTip(c, tip);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
    item->setCheckState(ColName, Qt::Checked);
    item->setData(ColName, Qt::UserRole, removable);
    m_loaded.push_back(std::move(scenario));
    m_scenarios->addTopLevelItem(item);
}

bool ReplayPanel::addScenarioFile(const QString& path, QString* error)
{
    QFile f(path);
    std::string why;
    Scenario s;
    bool ok = false;
    if (!f.open(QIODevice::ReadOnly)) {
        why = "cannot read " + path.toStdString() + ": " + f.errorString().toStdString();
    } else if (path.endsWith(QLatin1String(".ndjson"), Qt::CaseInsensitive)) {
        ok = scenarioFromEvents(f.readAll().toStdString(), path.toStdString(), s, why);
    } else {
        ok = parseScenario(f.readAll().toStdString(), path.toStdString(), s, why);
    }
    if (!ok) {
        if (error)
            *error = qs(why);
        m_status->setText(tr("Cannot add %1").arg(qs(why)));
        return false;
    }
    addScenario(std::move(s), true);
    m_scenarios->setCurrentItem(m_scenarios->topLevelItem(m_scenarios->topLevelItemCount() - 1));
    return true;
}

void ReplayPanel::setAllChecked(bool checked)
{
    for (int i = 0; i < m_scenarios->topLevelItemCount(); ++i)
        m_scenarios->topLevelItem(i)->setCheckState(ColName, checked ? Qt::Checked : Qt::Unchecked);
}

void ReplayPanel::browse()
{
    const QStringList files = QFileDialog::getOpenFileNames(this, tr("Add scenarios or captured sessions"), QString(),
        tr("Scenarios and captures (*.json *.ndjson);;All files (*)"));
    QStringList errors;
    for (const QString& f : files) {
        QString error;
        if (!addScenarioFile(f, &error))
            errors << error;
    }
    if (!errors.isEmpty())
        m_status->setText(tr("Not added: %1").arg(errors.join(QStringLiteral("; "))));
}

void ReplayPanel::removeSelected()
{
    QTreeWidgetItem* item = m_scenarios->currentItem();
    if (!item || !item->data(ColName, Qt::UserRole).toBool() || isRunning())
        return;
    const int index = m_scenarios->indexOfTopLevelItem(item);
    delete m_scenarios->takeTopLevelItem(index);
    m_loaded.erase(m_loaded.begin() + index);
    updateDescription();
    updateButtons();
}

void ReplayPanel::updateDescription()
{
    QTreeWidgetItem* item = m_scenarios->currentItem();
    const int index = item ? m_scenarios->indexOfTopLevelItem(item) : -1;
    if (index < 0 || index >= static_cast<int>(m_loaded.size())) {
        m_description->clear();
        return;
    }
    const Scenario& s = m_loaded[static_cast<std::size_t>(index)];
    m_description->setText(tr("<b>%1</b> — %2<br><i>Expects:</i> %3")
                               .arg(qs(s.name).toHtmlEscaped(), qs(s.description).toHtmlEscaped(),
                                   qs(s.expectationText()).toHtmlEscaped()));
}

void ReplayPanel::updateButtons()
{
    const bool running = isRunning();
    int checked = 0;
    for (int i = 0; i < m_scenarios->topLevelItemCount(); ++i)
        checked += m_scenarios->topLevelItem(i)->checkState(ColName) == Qt::Checked ? 1 : 0;
    m_run->setEnabled(!running && checked > 0);
    m_cancel->setEnabled(running);
    m_add->setEnabled(!running);
    QTreeWidgetItem* current = m_scenarios->currentItem();
    m_remove->setEnabled(!running && current && current->data(ColName, Qt::UserRole).toBool());
    m_target->setEnabled(!running);
    m_key->setEnabled(!running);
    m_speed->setEnabled(!running);
    m_repeat->setEnabled(!running);
}

bool ReplayPanel::isRunning() const
{
    return m_engine->isRunning();
}

bool ReplayPanel::startReplay()
{
    if (isRunning())
        return false;
    std::vector<Scenario> chosen;
    for (int i = 0; i < m_scenarios->topLevelItemCount(); ++i)
        if (m_scenarios->topLevelItem(i)->checkState(ColName) == Qt::Checked)
            chosen.push_back(m_loaded[static_cast<std::size_t>(i)]);
    if (chosen.empty()) {
        m_status->setText(tr("Check at least one scenario."));
        return false;
    }
    ReplayOptions options;
    options.target = QUrl(target(), QUrl::StrictMode);
    if (!options.target.isValid() || options.target.host().isEmpty()
        || (options.target.scheme() != QLatin1String("http") && options.target.scheme() != QLatin1String("https"))) {
        m_status->setText(tr("The target must be an http:// or https:// URL, e.g. http://127.0.0.1:8484"));
        return false;
    }
    options.apiKey = m_key->text().trimmed();
    if (options.apiKey.isEmpty()) {
        m_status->setText(tr("The key must not be empty."));
        return false;
    }
    options.speed = m_speed->currentData().toDouble();
    options.repeat = m_repeat->value();
    m_engine->setOptions(options);
    m_results->clear();
    m_currentRun = nullptr;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status->setText(
        tr("Replaying %n scenario(s) to %1…", nullptr, static_cast<int>(chosen.size())).arg(options.target.toString()));
    m_engine->start(std::move(chosen));
    updateButtons();
    Q_EMIT replayStarted();
    return true;
}

void ReplayPanel::cancelReplay()
{
    m_engine->cancel();
}

void ReplayPanel::onScenarioStarted(const QString& name, int repetition, int repeat)
{
    m_currentRun = new QTreeWidgetItem(m_results);
    m_currentRun->setText(ResScenario, name);
    m_currentRun->setText(ResRun, repeat > 1 ? QStringLiteral("%1/%2").arg(repetition).arg(repeat) : QString());
    m_currentRun->setText(ResResult, tr("running…"));
    m_results->scrollToItem(m_currentRun);
}

void ReplayPanel::onScenarioFinished(const ScenarioResult& r)
{
    QTreeWidgetItem* item = m_currentRun ? m_currentRun : new QTreeWidgetItem(m_results);
    m_currentRun = nullptr;
    item->setText(ResScenario, qs(r.scenario));
    item->setText(ResRun, r.repeat > 1 ? QStringLiteral("%1/%2").arg(r.repetition).arg(r.repeat) : QString());
    item->setText(ResResult, qs(r.statusText()));
    item->setForeground(ResResult, statusColor(r.status));
    QFont bold = item->font(ResResult);
    bold.setBold(true);
    item->setFont(ResResult, bold);
    item->setText(ResExpected, r.verdictAvailable ? qs(r.expectedText) : QString());
    item->setText(ResActual, r.verdictAvailable ? qs(r.actualText()) : tr("(no verdict)"));
    QString note = qs(r.message);
    if (note.isEmpty())
        note = tr("%1 of %2 events sent").arg(r.sent).arg(r.events);
    item->setText(ResNote, note);
    QString tip = tr("%1 of %2 events accepted by the target").arg(r.sent).arg(r.events);
    if (r.verdictAvailable)
        tip += tr("\nverdict over seq (%1, %2]").arg(r.since).arg(r.until);
    for (const Violation& v : r.actual)
        tip += QStringLiteral("\n• ")
            + qs(std::string(toString(v.kind)) + " " + v.rule + " " + v.path + ": " + v.message);
    for (const std::string& e : r.sendErrors)
        tip += QStringLiteral("\n✗ ") + qs(e);
    for (int c = ResScenario; c <= ResNote; ++c)
        item->setToolTip(c, tip);
}

void ReplayPanel::onFinished()
{
    const auto& results = m_engine->results();
    int ok = 0;
    bool anyVerdict = false;
    for (const ScenarioResult& r : results) {
        ok += r.ok() ? 1 : 0;
        anyVerdict = anyVerdict || r.verdictAvailable;
    }
    QString text = anyVerdict
        ? tr("%1 of %2 runs matched their expected verdict.").arg(ok).arg(results.size())
        : tr("%1 of %2 runs sent (no verdict: the target is not EventLens).").arg(ok).arg(results.size());
    if (m_engine->wasCancelled())
        text += QLatin1Char(' ') + tr("Cancelled.");
    m_status->setText(text);
    updateButtons();
    Q_EMIT replayFinished(m_engine->allOk() && !m_engine->wasCancelled());
}

} // namespace el
