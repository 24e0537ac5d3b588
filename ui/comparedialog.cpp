// SPDX-License-Identifier: MIT
#include "comparedialog.h"

#include "uiutil.h"

#include "report/diff.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace el::ui {

namespace {

/** An entry's number on one side, as the text report shows it: a share in percent, else the number. */
QString sideText(const Json& entry, const char* side)
{
    const std::string kind = entry.value("kind", std::string());
    const double v = diffEntryValue(entry, side);
    if (kind.rfind("coverage_", 0) == 0 || kind.rfind("property_", 0) == 0)
        return QStringLiteral("%1 %").arg(v * 100.0, 0, 'f', 1);
    if (kind == "event_missing" || kind == "event_new" || kind == "violation_new" || kind == "violation_fixed"
        || kind == "runs_unfinished")
        return QString::number(v, 'g', 6);
    if (kind == "value_drift")
        return QString::number(v, 'f', 2);
    return QString::number(v, 'g', 4);
}

QString text(const Json& entry, const char* key)
{
    const auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? qs(it->get<std::string>()) : QString();
}

} // namespace

CompareDialog::CompareDialog(QWidget* parent)
    : QDialog(parent)
    , m_verdict(new QLabel(this))
    , m_findings(new QTreeWidget(this))
{
    setWindowTitle(tr("Compare With Baseline"));
    resize(900, 520);
    auto* layout = new QVBoxLayout(this);
    m_verdict->setObjectName(QStringLiteral("compareVerdict"));
    m_verdict->setWordWrap(true);
    m_verdict->setTextFormat(Qt::RichText);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_verdict);
    m_findings->setObjectName(QStringLiteral("compareFindings"));
    m_findings->setColumnCount(5);
    m_findings->setHeaderLabels(
        {tr("Finding"), tr("Event"), tr("Property / rule"), tr("Baseline"), tr("This session")});
    m_findings->setUniformRowHeights(true);
    m_findings->setAlternatingRowColors(true);
    m_findings->header()->setStretchLastSection(false);
    m_findings->header()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_findings->setColumnWidth(0, 200);
    m_findings->setColumnWidth(1, 170);
    m_findings->setColumnWidth(3, 100);
    m_findings->setColumnWidth(4, 100);
    m_findings->setToolTip(tr("Click a finding to show its events in the table"));
    connect(m_findings, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem* item) {
        const QString kind = item->data(0, Qt::UserRole).toString();
        if (!kind.isEmpty())
            Q_EMIT findingActivated(kind, item->text(1), item->data(2, Qt::UserRole).toString());
    });
    layout->addWidget(m_findings, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QString CompareDialog::verdictText() const
{
    return m_verdict->text();
}

void CompareDialog::setDiff(const Json& diff, const QString& baseline)
{
    const bool regressed = diffRegressed(diff);
    m_verdict->setText(
        QStringLiteral("<b style=\"color:%1\">%2</b><br>%3")
            .arg((regressed ? colors::error() : colors::ok()).name(), qs(diffVerdictLine(diff)).toHtmlEscaped(),
                tr("Baseline: %1 · this session: the events in the window").arg(baseline.toHtmlEscaped())));
    m_findings->clear();
    const struct
    {
        const char* key;
        QString title;
        QColor color;
    } groups[] = {{"regressions", tr("Regressions"), colors::error()},
        {"improvements", tr("Improvements"), colors::ok()}, {"changes", tr("Other changes"), QColor()}};
    for (const auto& g : groups) {
        const Json list = diff.value(g.key, Json::array());
        auto* group = new QTreeWidgetItem(m_findings);
        group->setText(0, QStringLiteral("%1 (%2)").arg(g.title).arg(list.size()));
        QFont bold = group->font(0);
        bold.setBold(true);
        group->setFont(0, bold);
        if (g.color.isValid())
            group->setForeground(0, g.color);
        group->setFirstColumnSpanned(true);
        for (const Json& entry : list) {
            auto* item = new QTreeWidgetItem(group);
            const QString kind = text(entry, "kind");
            item->setText(0, kind);
            item->setData(0, Qt::UserRole, kind);
            if (g.color.isValid())
                item->setForeground(0, g.color);
            item->setText(1, text(entry, "event"));
            const QString property = text(entry, "property");
            const QString rule = text(entry, "rule");
            const QString runtime = text(entry, "runtime_type");
            const bool violation = kind.startsWith(QLatin1String("violation_"));
            item->setText(2,
                violation && !rule.isEmpty() ? (property.isEmpty() ? rule : rule + QStringLiteral(" · ") + property)
                    : !property.isEmpty()    ? property
                    : !rule.isEmpty()        ? rule
                                             : runtime);
            item->setData(2, Qt::UserRole, property);
            item->setText(3, sideText(entry, "before"));
            item->setText(4, sideText(entry, "after"));
            item->setTextAlignment(3, Qt::AlignRight | Qt::AlignVCenter);
            item->setTextAlignment(4, Qt::AlignRight | Qt::AlignVCenter);
            item->setToolTip(0, qs(entry.dump(1)));
        }
        group->setExpanded(true);
    }
}

} // namespace el::ui
