// SPDX-License-Identifier: MIT
#include "statusbar.h"

#include "eventtablemodel.h"
#include "pipeline/capture.h"
#include "uiutil.h"

#include <QDateTime>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>

#include <algorithm>

namespace el::ui {

namespace {

constexpr int kRateWindowSamples = 10; // 5 s at kTickMs

QLabel* statusLabel(const char* objectName, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(QLatin1String(objectName));
    label->setContentsMargins(6, 0, 6, 0);
    return label;
}

} // namespace

StatusBar::StatusBar(Capture* capture, EventTableModel* model, QWidget* parent)
    : QStatusBar(parent)
    , m_capture(capture)
    , m_model(model)
    , m_listenLabel(statusLabel("statusListen", this))
    , m_pausedLabel(statusLabel("statusPaused", this))
    , m_contractLabel(statusLabel("statusContract", this))
    , m_eventsLabel(statusLabel("statusEvents", this))
    , m_rejectedLabel(statusLabel("statusRejected", this))
    , m_violationsLabel(statusLabel("statusViolations", this))
    , m_rateLabel(statusLabel("statusRate", this))
    , m_jobProgress(new QProgressBar(this))
    , m_jobCancel(new QPushButton(tr("Cancel"), this))
{
    // As QMainWindow::statusBar() makes its own: the permanent widgets never widen the window.
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_listenLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long error must not make the window wider than the screen (the tooltip has it all).
    m_listenLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_listenLabel->setMinimumWidth(220);
    addWidget(m_listenLabel, 1);
    m_pausedLabel->setVisible(false);
    addPermanentWidget(m_pausedLabel);
    addPermanentWidget(m_contractLabel);
    addPermanentWidget(m_eventsLabel);
    addPermanentWidget(m_rejectedLabel);
    addPermanentWidget(m_violationsLabel);
    m_rateLabel->setMinimumWidth(m_rateLabel->fontMetrics().horizontalAdvance(QStringLiteral("00,000 events/s")) + 12);
    m_rateLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    addPermanentWidget(m_rateLabel);
    m_jobProgress->setObjectName(QStringLiteral("jobProgress"));
    // Wide enough for its longest text: a status bar squeezes permanent widgets down to their minimum.
    const int progressText = m_jobProgress->fontMetrics().horizontalAdvance(
        tr("Checking %1 / %2").arg(QStringLiteral("00,000,000"), QStringLiteral("00,000,000")));
    m_jobProgress->setMinimumWidth(progressText + 24);
    m_jobProgress->setMaximumWidth(progressText + 64);
    m_jobProgress->setVisible(false);
    addPermanentWidget(m_jobProgress);
    m_jobCancel->setObjectName(QStringLiteral("jobCancel"));
    m_jobCancel->setToolTip(tr("Stop re-checking: the current contract and session stay as they are"));
    m_jobCancel->setVisible(false);
    connect(m_jobCancel, &QPushButton::clicked, this, [this] { m_capture->cancelJudging(); });
    addPermanentWidget(m_jobCancel);
    m_listenLabel->setText(tr("Not listening"));
}

QString StatusBar::summary() const
{
    QStringList parts;
    for (const QLabel* l : {m_listenLabel, m_pausedLabel, m_contractLabel, m_eventsLabel, m_rejectedLabel,
             m_violationsLabel, m_rateLabel}) {
        if (l && !l->isHidden() && !l->text().isEmpty())
            parts << l->text();
    }
    return parts.join(QStringLiteral(" | "));
}

void StatusBar::showListening(const QString& url)
{
    m_listenLabel->setText(tr("● Listening on %1").arg(url));
    m_listenLabel->setStyleSheet(QStringLiteral("QLabel { color: palette(text); }"));
    m_listenLabel->setToolTip(
        tr("Point PostHog SDKs at %1 (api_host / host). Inspection API: %1/eventlens/v1/").arg(url));
}

void StatusBar::showNotListening(const QString& error)
{
    m_listenLabel->setText(tr("⚠ Not listening — %1").arg(error));
    m_listenLabel->setStyleSheet(QStringLiteral("color: %1;").arg(colors::error().name()));
    m_listenLabel->setToolTip(error);
}

void StatusBar::showContract()
{
    if (const ContractEngine* engine = m_capture->engine()) {
        const QString version = qs(engine->contractVersion());
        m_contractLabel->setText(
            tr("Contract: %1%2")
                .arg(qs(engine->contractName()), version.isEmpty() ? QString() : QStringLiteral(" ") + version));
        m_contractLabel->setToolTip(qs(m_capture->contractOrigin()));
    } else {
        m_contractLabel->setText(tr("No contract"));
        m_contractLabel->setToolTip(QString());
    }
}

void StatusBar::sampleRate()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 total = m_model->totalReceived();
    if (!m_rateSamples.empty() && total < m_rateSamples.back().second)
        m_rateSamples.clear();
    m_rateSamples.emplace_back(now, total);
    while (static_cast<int>(m_rateSamples.size()) > kRateWindowSamples + 1)
        m_rateSamples.pop_front();
}

void StatusBar::refresh()
{
    const EventStore* store = m_capture->store();
    const auto events = static_cast<qint64>(store->events().size());
    m_eventsLabel->setText(events == 1 ? tr("1 event") : tr("%1 events").arg(formatCount(events)));
    const auto rejected = static_cast<qint64>(store->rejected().size());
    m_rejectedLabel->setText(tr("%1 rejected").arg(formatCount(rejected)));
    m_rejectedLabel->setStyleSheet(rejected ? QStringLiteral("color: %1;").arg(colors::warning().name()) : QString());
    // The store counts every violation, including those evicted with old events.
    const qint64 errors = store->errorTotal();
    const qint64 warnings = store->warningTotal();
    m_violationsLabel->setText(
        QStringLiteral("%1 · %2").arg(errors == 1 ? tr("1 error") : tr("%1 errors").arg(formatCount(errors)),
            warnings == 1 ? tr("1 warning") : tr("%1 warnings").arg(formatCount(warnings))));
    m_violationsLabel->setStyleSheet(errors ? QStringLiteral("color: %1;").arg(colors::error().name()) : QString());
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

void StatusBar::showJob(const QString& toolTip)
{
    m_jobChecked = 0;
    m_jobProgress->setRange(0, 0); // busy until the first progress
    m_jobProgress->setFormat(QString());
    m_jobProgress->setVisible(true);
    m_jobCancel->setVisible(true);
    m_jobProgress->setToolTip(toolTip);
}

void StatusBar::showJobProgress(qint64 done, qint64 total)
{
    m_jobChecked = done;
    if (total <= 0) { // reading the file
        m_jobProgress->setRange(0, 0);
        return;
    }
    m_jobProgress->setRange(0, 1000);
    m_jobProgress->setValue(static_cast<int>(std::min<qint64>(1000, done * 1000 / total)));
    m_jobProgress->setFormat(tr("Checking %1 / %2").arg(formatCount(done), formatCount(total)));
}

void StatusBar::hideJob()
{
    m_jobProgress->setVisible(false);
    m_jobCancel->setVisible(false);
}

} // namespace el::ui
