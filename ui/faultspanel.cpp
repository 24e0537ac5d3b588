// SPDX-License-Identifier: MIT
#include "faultspanel.h"

#include "uiutil.h"

#include "pipeline/faults.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace el::ui {

namespace {

constexpr int kOutageMs = 30000;

QString faultSummary(const FaultInjector::Fault& f)
{
    QString what;
    switch (f.mode) {
    case FaultInjector::Mode::Status:
        what = FaultsPanel::tr("answer %1").arg(f.status);
        if (f.retryAfter)
            what += FaultsPanel::tr(", Retry-After %1 s").arg(*f.retryAfter);
        break;
    case FaultInjector::Mode::Delay:
        what = FaultsPanel::tr("delay %1 ms").arg(f.ms);
        break;
    case FaultInjector::Mode::Timeout:
        what = FaultsPanel::tr("hold %1 ms, close without an answer").arg(f.ms);
        break;
    case FaultInjector::Mode::Reset:
        what = FaultsPanel::tr("reset the connection");
        break;
    }
    return what;
}

} // namespace

FaultsPanel::FaultsPanel(QWidget* parent)
    : QWidget(parent)
    , m_mode(new QComboBox(this))
    , m_status(new QSpinBox(this))
    , m_retryAfter(new QSpinBox(this))
    , m_ms(new QSpinBox(this))
    , m_count(new QSpinBox(this))
    , m_ratio(new QDoubleSpinBox(this))
    , m_path(new QComboBox(this))
    , m_message(new QLabel(this))
    , m_list(new QTreeWidget(this))
    , m_remove(new QPushButton(tr("Remove"), this))
{
    auto* outer = new QHBoxLayout(this);
    outer->setContentsMargins(6, 6, 6, 6);

    // Left: presets, then the form.
    auto* left = new QVBoxLayout;
    auto* presetsLabel = new QLabel(tr("<b>Make the sink fail on purpose</b> (ingest endpoints only)"), this);
    left->addWidget(presetsLabel);
    auto* presets = new QHBoxLayout;
    const auto presetButton = [&](const QString& text, const QString& tip, Preset preset, const char* name) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(QString::fromLatin1(name));
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, [this, preset] { applyPreset(preset); });
        presets->addWidget(b);
    };
    presetButton(tr("PostHog outage 30 s"), tr("Every ingest request is answered 503 for 30 seconds"),
        Preset::Outage30s, "presetOutage");
    presetButton(tr("Rate limited"), tr("The next 10 ingest requests are answered 429 with Retry-After: 2"),
        Preset::RateLimited, "presetRateLimited");
    presetButton(tr("Flaky 20 %"), tr("One ingest request in five has its connection reset (seeded: repeatable)"),
        Preset::Flaky20, "presetFlaky");
    presets->addStretch(1);
    left->addLayout(presets);

    auto* form = new QFormLayout;
    m_mode->setObjectName(QStringLiteral("faultMode"));
    m_mode->addItem(tr("status: answer an HTTP error"), QStringLiteral("status"));
    m_mode->addItem(tr("delay: answer late"), QStringLiteral("delay"));
    m_mode->addItem(tr("timeout: hold, then close without an answer"), QStringLiteral("timeout"));
    m_mode->addItem(tr("reset: close the connection at once"), QStringLiteral("reset"));
    form->addRow(tr("Mode"), m_mode);
    m_status->setRange(400, 599);
    m_status->setValue(503);
    form->addRow(tr("Status"), m_status);
    m_retryAfter->setRange(-1, 86400);
    m_retryAfter->setValue(-1);
    m_retryAfter->setSpecialValueText(tr("none"));
    m_retryAfter->setSuffix(tr(" s"));
    form->addRow(tr("Retry-After"), m_retryAfter);
    m_ms->setRange(0, 600000);
    m_ms->setValue(2000);
    m_ms->setSingleStep(500);
    m_ms->setSuffix(tr(" ms"));
    form->addRow(tr("Time"), m_ms);
    m_count->setRange(0, 1000000);
    m_count->setValue(3);
    m_count->setSpecialValueText(tr("no limit"));
    form->addRow(tr("Requests"), m_count);
    m_ratio->setRange(0.0, 1.0);
    m_ratio->setSingleStep(0.05);
    m_ratio->setDecimals(2);
    m_ratio->setValue(1.0);
    m_ratio->setToolTip(tr("The share of matching requests hit (1: all of them); picked by a seeded generator"));
    form->addRow(tr("Share"), m_ratio);
    m_path->setObjectName(QStringLiteral("faultEndpoint"));
    m_path->setEditable(true);
    m_path->addItem(tr("any ingest endpoint"), QString());
    for (const char* p : {"/batch/", "/e/", "/i/v0/e/", "/capture/", "/engage/", "/s/", "/i/v1/analytics/events"})
        m_path->addItem(QString::fromLatin1(p), QString::fromLatin1(p));
    form->addRow(tr("Endpoint"), m_path);
    left->addLayout(form);
    auto* add = new QPushButton(tr("Add Fault"), this);
    add->setObjectName(QStringLiteral("faultAdd"));
    connect(add, &QPushButton::clicked, this, [this] { addFromForm(); });
    auto* addRow = new QHBoxLayout;
    addRow->addWidget(add);
    addRow->addStretch(1);
    left->addLayout(addRow);
    m_message->setObjectName(QStringLiteral("faultMessage"));
    m_message->setWordWrap(true);
    left->addWidget(m_message);
    left->addStretch(1);
    outer->addLayout(left, 2);

    // Right: the faults and their hits.
    auto* right = new QVBoxLayout;
    m_list->setObjectName(QStringLiteral("faultList"));
    m_list->setColumnCount(5);
    m_list->setHeaderLabels({tr("#"), tr("Fault"), tr("Endpoint"), tr("Limit"), tr("Hits")});
    setUpFlatList(m_list, 1);
    m_list->setColumnWidth(0, 40);
    m_list->setColumnWidth(2, 110);
    m_list->setColumnWidth(3, 110);
    m_list->setColumnWidth(4, 70);
    right->addWidget(m_list, 1);
    auto* buttons = new QHBoxLayout;
    m_remove->setEnabled(false);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this,
        [this] { m_remove->setEnabled(m_faults && !m_list->selectedItems().isEmpty()); });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        if (!m_faults)
            return;
        for (QTreeWidgetItem* item : m_list->selectedItems())
            m_faults->remove(item->data(0, Qt::UserRole).toInt());
        refresh();
    });
    auto* clear = new QPushButton(tr("Clear All"), this);
    clear->setObjectName(QStringLiteral("faultClear"));
    connect(clear, &QPushButton::clicked, this, [this] {
        if (m_faults)
            m_faults->clear();
        m_message->clear();
        refresh();
    });
    buttons->addWidget(m_remove);
    buttons->addWidget(clear);
    buttons->addStretch(1);
    right->addLayout(buttons);
    outer->addLayout(right, 3);

    connect(m_mode, qOverload<int>(&QComboBox::currentIndexChanged), this, &FaultsPanel::updateForm);
    updateForm();
    m_timer.setInterval(500);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
    });
    m_timer.start();
    setEnabled(false);
}

void FaultsPanel::setFaults(FaultInjector* faults)
{
    m_faults = faults;
    setEnabled(faults != nullptr);
    refresh();
}

void FaultsPanel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refresh();
}

void FaultsPanel::updateForm()
{
    const QString mode = m_mode->currentData().toString();
    m_status->setEnabled(mode == QLatin1String("status"));
    m_retryAfter->setEnabled(mode == QLatin1String("status"));
    m_ms->setEnabled(mode == QLatin1String("delay") || mode == QLatin1String("timeout"));
}

int FaultsPanel::add(const std::string& config)
{
    if (!m_faults)
        return 0;
    std::string error;
    const auto fault = m_faults->add(Json::parse(config), error);
    if (!fault) {
        m_message->setText(QStringLiteral("<span style=\"color:%1\">%2</span>")
                               .arg(colors::error().name(), qs(error).toHtmlEscaped()));
        return 0;
    }
    m_message->setText(tr("Fault %1 added: %2.").arg(fault->id).arg(qs(fault->describe()).toHtmlEscaped()));
    refresh();
    return fault->id;
}

bool FaultsPanel::addFromForm()
{
    Json config = {{"mode", m_mode->currentData().toString().toStdString()}};
    const std::string mode = config["mode"];
    if (mode == "status") {
        config["status"] = m_status->value();
        if (m_retryAfter->value() >= 0)
            config["retry_after"] = m_retryAfter->value();
    }
    if (mode == "delay" || mode == "timeout")
        config["ms"] = m_ms->value();
    if (m_count->value() > 0)
        config["count"] = m_count->value();
    if (m_ratio->value() < 1.0)
        config["ratio"] = m_ratio->value();
    const int index = m_path->findText(m_path->currentText());
    const QString path = index >= 0 ? m_path->itemData(index).toString() : m_path->currentText().trimmed();
    if (!path.isEmpty())
        config["path"] = path.toStdString();
    return add(config.dump()) != 0;
}

void FaultsPanel::applyPreset(Preset preset)
{
    switch (preset) {
    case Preset::Outage30s: {
        const int id = add(R"({"mode":"status","status":503})");
        if (id) {
            m_message->setText(
                tr("PostHog outage: every ingest request is answered 503 for 30 seconds (fault %1).").arg(id));
            QPointer<FaultsPanel> self(this);
            QTimer::singleShot(kOutageMs, this, [self, id] {
                if (self && self->m_faults) {
                    self->m_faults->remove(id);
                    self->m_message->setText(tr("The outage is over (fault %1 removed).").arg(id));
                    self->refresh();
                }
            });
        }
        break;
    }
    case Preset::RateLimited:
        add(R"({"mode":"status","status":429,"retry_after":2,"count":10})");
        break;
    case Preset::Flaky20:
        add(R"({"mode":"reset","ratio":0.2,"seed":1})");
        break;
    }
}

void FaultsPanel::refresh()
{
    if (!m_faults) {
        m_list->clear();
        return;
    }
    const auto& faults = m_faults->faults();
    // Rebuilt only when something changed (the selection survives a refresh with the same faults).
    bool same = m_list->topLevelItemCount() == static_cast<int>(faults.size());
    for (std::size_t i = 0; same && i < faults.size(); ++i) {
        const QTreeWidgetItem* item = m_list->topLevelItem(static_cast<int>(i));
        same = item->data(0, Qt::UserRole).toInt() == faults[i].id && item->text(4) == QString::number(faults[i].hits)
            && (item->data(1, Qt::UserRole).toBool() == faults[i].active());
    }
    if (same)
        return;
    const int selected = m_list->currentItem() ? m_list->currentItem()->data(0, Qt::UserRole).toInt() : 0;
    m_list->clear();
    for (const FaultInjector::Fault& f : faults) {
        auto* item = new QTreeWidgetItem(m_list);
        item->setText(0, QString::number(f.id));
        item->setData(0, Qt::UserRole, f.id);
        item->setText(1, faultSummary(f));
        item->setData(1, Qt::UserRole, f.active());
        item->setText(2, f.path.empty() ? tr("any") : qs(f.path));
        QString limit = f.count ? tr("%n request(s)", "", static_cast<int>(*f.count)) : tr("no limit");
        if (f.ratio)
            limit += tr(", %1 %").arg(*f.ratio * 100.0, 0, 'g', 3);
        item->setText(3, limit);
        item->setText(4, QString::number(f.hits));
        item->setTextAlignment(4, Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(1, qs(f.describe()));
        if (!f.active()) {
            for (int c = 0; c < 5; ++c)
                item->setForeground(c, palette().color(QPalette::Disabled, QPalette::Text));
            item->setToolTip(1, tr("Used up: %1").arg(qs(f.describe())));
        }
        if (f.id == selected)
            m_list->setCurrentItem(item);
    }
}

} // namespace el::ui
