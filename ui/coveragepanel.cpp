// SPDX-License-Identifier: MIT
#include "coveragepanel.h"

#include "addtocontractdialog.h"
#include "uiutil.h"

#include "contract/coverage.h"
#include "pipeline/capture.h"

#include <QFont>
#include <QFontMetrics>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QSplitter>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace el::ui {

namespace {

constexpr int kRefreshMs = 500;

/** "100 %", "0 %", else the whole percent, never rounded to 0 or 100 when it is not. */
QString shareText(std::uint64_t part, std::uint64_t whole)
{
    if (whole == 0)
        return QStringLiteral("–");
    if (part == whole)
        return QStringLiteral("100 %");
    if (part == 0)
        return QStringLiteral("0 %");
    const auto percent = std::clamp<std::uint64_t>(part * 100 / whole, 1, 99);
    return QStringLiteral("%1 %").arg(percent);
}

QString typesText(const Json& types)
{
    QStringList parts;
    if (types.is_object()) {
        for (auto it = types.begin(); it != types.end(); ++it)
            parts << QStringLiteral("%1 %2").arg(qs(it.key()), formatCount(it->get<qint64>()));
    }
    return parts.join(QStringLiteral(", "));
}

} // namespace

CoverageModel::CoverageModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

void CoverageModel::setCoverage(const Json& coverage)
{
    std::vector<Row> rows;
    // Column order: runtime_type, the other super-properties (in the contract's order, as each event lists them),
    // then by how many event names carry the property, then by name.
    std::vector<std::string> supers;
    std::map<std::string, int> carriers;
    for (const Json& e : coverage) {
        Row row;
        row.event = e.value("event", std::string());
        row.count = e.value("count", std::uint64_t(0));
        for (const Json& p : e.value("properties", Json::array())) {
            Cell c;
            const std::string name = p.value("name", std::string());
            c.present = p.value("present", std::uint64_t(0));
            c.missing = p.value("missing", std::uint64_t(0));
            c.invalid = p.value("invalid", std::uint64_t(0));
            c.required = p.value("required", false);
            c.planned = p.value("planned", false);
            c.flagged = p.value("flagged", false);
            c.superProperty = p.value("super_property", false);
            const auto values = p.find("values");
            c.values = values != p.end() ? *values : Json();
            c.distinctOver = p.value("distinct_over", std::uint64_t(0));
            c.types = p.value("types", Json::object());
            if (c.superProperty && name != "runtime_type"
                && std::find(supers.begin(), supers.end(), name) == supers.end())
                supers.push_back(name);
            ++carriers[name];
            row.cells.emplace(name, std::move(c));
        }
        rows.push_back(std::move(row));
    }
    std::vector<std::string> properties;
    if (carriers.count("runtime_type"))
        properties.push_back("runtime_type");
    properties.insert(properties.end(), supers.begin(), supers.end());
    std::vector<std::pair<int, std::string>> rest;
    for (const auto& [name, n] : carriers) {
        if (name != "runtime_type" && std::find(supers.begin(), supers.end(), name) == supers.end())
            rest.emplace_back(-n, name);
    }
    std::sort(rest.begin(), rest.end());
    for (auto& [n, name] : rest)
        properties.push_back(std::move(name));
    std::vector<bool> superProperty;
    for (const std::string& p : properties)
        superProperty.push_back(p == "runtime_type" || std::find(supers.begin(), supers.end(), p) != supers.end());

    const bool sameShape = properties == m_properties && rows.size() == m_rows.size()
        && std::equal(
            rows.begin(), rows.end(), m_rows.begin(), [](const Row& a, const Row& b) { return a.event == b.event; });
    if (sameShape) {
        m_rows = std::move(rows);
        if (!m_rows.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
        return;
    }
    beginResetModel();
    m_rows = std::move(rows);
    m_properties = std::move(properties);
    m_superProperty = std::move(superProperty);
    endResetModel();
}

int CoverageModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int CoverageModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : FirstPropertyColumn + static_cast<int>(m_properties.size());
}

const CoverageModel::Cell* CoverageModel::cell(int row, int column) const
{
    if (row < 0 || row >= rowCount() || column < FirstPropertyColumn || column >= columnCount())
        return nullptr;
    const Row& r = m_rows[static_cast<std::size_t>(row)];
    const auto it = r.cells.find(propertyAt(column));
    return it != r.cells.end() ? &it->second : nullptr;
}

QModelIndex CoverageModel::indexOf(const std::string& event, const std::string& property) const
{
    const auto row = std::find_if(m_rows.begin(), m_rows.end(), [&](const Row& r) { return r.event == event; });
    const auto column = std::find(m_properties.begin(), m_properties.end(), property);
    if (row == m_rows.end() || column == m_properties.end())
        return {};
    return index(
        static_cast<int>(row - m_rows.begin()), FirstPropertyColumn + static_cast<int>(column - m_properties.begin()));
}

QString CoverageModel::tooltip(const Row& row, const std::string& property, const Cell& c) const
{
    QString t
        = QStringLiteral("<b>%1</b> · <b>%2</b><br>").arg(qs(row.event).toHtmlEscaped(), qs(property).toHtmlEscaped());
    t += tr("carried by %1 of %2 events (%3)")
             .arg(formatCount(static_cast<qint64>(c.present)), formatCount(static_cast<qint64>(row.count)),
                 shareText(c.present, row.count));
    t += QStringLiteral("<br>") + tr("missing %1 · invalid %2").arg(c.missing).arg(c.invalid);
    QStringList notes;
    if (c.superProperty)
        notes << tr("super-property");
    if (c.required)
        notes << tr("required by the contract");
    else if (c.planned)
        notes << tr("in the contract");
    else
        notes << tr("not in the contract");
    t += QStringLiteral("<br><i>%1</i>").arg(notes.join(QStringLiteral(", ")));
    if (c.values.is_object() && !c.values.empty()) {
        std::vector<std::pair<std::uint64_t, std::string>> top;
        for (auto it = c.values.begin(); it != c.values.end(); ++it)
            top.emplace_back(it->get<std::uint64_t>(), it.key());
        std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        QStringList shown;
        for (std::size_t i = 0; i < std::min<std::size_t>(top.size(), 6); ++i)
            shown << QStringLiteral("%1 %2").arg(qs(top[i].second).toHtmlEscaped()).arg(top[i].first);
        if (top.size() > 6)
            shown << tr("… %1 more").arg(top.size() - 6);
        t += QStringLiteral("<br>") + tr("values: %1").arg(shown.join(QStringLiteral(", ")));
    } else if (c.distinctOver) {
        t += QStringLiteral("<br>")
            + tr("more than %1 distinct values; by type: %2").arg(c.distinctOver).arg(typesText(c.types));
    }
    return t;
}

QVariant CoverageModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const Row& row = m_rows[static_cast<std::size_t>(index.row())];
    if (index.column() == EventColumn) {
        if (role == Qt::DisplayRole)
            return qs(row.event);
        if (role == Qt::ToolTipRole)
            return tr("%1: %2 events").arg(qs(row.event), formatCount(static_cast<qint64>(row.count)));
        return {};
    }
    if (index.column() == CountColumn) {
        if (role == Qt::DisplayRole)
            return formatCount(static_cast<qint64>(row.count));
        if (role == Qt::TextAlignmentRole)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    const Cell* c = cell(index.row(), index.column());
    if (!c)
        return role == Qt::ToolTipRole
            ? QVariant(tr("%1 never carried %2 (and need not)").arg(qs(row.event), qs(propertyAt(index.column()))))
            : QVariant();
    switch (role) {
    case Qt::DisplayRole:
        return QString(shareText(c->present, row.count) + (c->invalid ? QStringLiteral(" !") : QString()));
    case Qt::TextAlignmentRole:
        return QVariant(Qt::AlignCenter);
    case Qt::ToolTipRole:
        return tooltip(row, propertyAt(index.column()), *c);
    case ShareRole:
        return row.count ? static_cast<double>(c->present) / static_cast<double>(row.count) : 0.0;
    case FlaggedRole:
        return c->flagged;
    case Qt::FontRole:
        if (c->flagged) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::BackgroundRole: {
        if (c->flagged || c->invalid) {
            QColor bad = colors::error();
            bad.setAlpha(c->present == 0 ? 150 : 90);
            return bad;
        }
        if (c->present == row.count) {
            QColor good = colors::ok();
            good.setAlpha(60);
            return good;
        }
        QColor partial = colors::warning();
        partial.setAlpha(
            40 + static_cast<int>(80.0 * static_cast<double>(c->missing) / static_cast<double>(row.count)));
        return partial;
    }
    default:
        return {};
    }
}

QVariant CoverageModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (section == EventColumn)
        return role == Qt::DisplayRole ? QVariant(tr("Event")) : QVariant();
    if (section == CountColumn)
        return role == Qt::DisplayRole ? QVariant(tr("Events")) : QVariant();
    if (section < FirstPropertyColumn || section >= columnCount())
        return {};
    const auto i = static_cast<std::size_t>(section - FirstPropertyColumn);
    switch (role) {
    case Qt::DisplayRole:
        return qs(m_properties[i]);
    case Qt::ToolTipRole:
        return m_superProperty[i] ? tr("%1 (super-property: expected on every event)").arg(qs(m_properties[i]))
                                  : qs(m_properties[i]);
    case Qt::FontRole:
        if (m_superProperty[i]) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    default:
        return {};
    }
}

CoveragePanel::CoveragePanel(Capture* capture, QWidget* parent)
    : QWidget(parent)
    , m_capture(capture)
    , m_model(new CoverageModel(this))
    , m_summary(new QLabel(this))
    , m_view(new QTableView(this))
    , m_valuesTitle(new QLabel(this))
    , m_values(new QTreeWidget(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    m_summary->setObjectName(QStringLiteral("coverageSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    layout->addWidget(m_summary);

    auto* split = new QSplitter(Qt::Horizontal, this);
    m_view->setObjectName(QStringLiteral("coverageTable"));
    m_view->setModel(m_model);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectItems);
    setUpTableRows(m_view);
    m_view->horizontalHeader()->setDefaultSectionSize(96);
    m_view->horizontalHeader()->setHighlightSections(true);
    m_view->setColumnWidth(CoverageModel::EventColumn, 170);
    m_view->setColumnWidth(CoverageModel::CountColumn, 70);
    connect(m_view, &QTableView::clicked, this, &CoveragePanel::onCellClicked);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QTableView::customContextMenuRequested, this, [this](const QPoint& pos) {
        const std::unique_ptr<QMenu> menu(cellMenu(m_view->indexAt(pos)));
        if (menu)
            menu->exec(m_view->viewport()->mapToGlobal(pos));
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_view->setColumnWidth(CoverageModel::EventColumn, 170);
        m_view->setColumnWidth(CoverageModel::CountColumn, 70);
        // A property column as wide as its name (bold for super-properties), within reason.
        for (int c = CoverageModel::FirstPropertyColumn; c < m_model->columnCount(); ++c) {
            QFont font = m_view->horizontalHeader()->font();
            font.setBold(m_model->headerData(c, Qt::Horizontal, Qt::FontRole).isValid());
            const int text = QFontMetrics(font).horizontalAdvance(
                m_model->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
            m_view->setColumnWidth(c, std::clamp(text + 24, 70, 240));
        }
        const QModelIndex current = m_model->indexOf(m_event, m_property);
        if (current.isValid())
            m_view->setCurrentIndex(current);
    });
    split->addWidget(m_view);

    auto* valuesPage = new QWidget(split);
    auto* valuesLayout = new QVBoxLayout(valuesPage);
    valuesLayout->setContentsMargins(0, 0, 0, 0);
    valuesLayout->setSpacing(2);
    m_valuesTitle->setObjectName(QStringLiteral("coverageValuesTitle"));
    m_valuesTitle->setWordWrap(true);
    m_valuesTitle->setTextFormat(Qt::RichText);
    m_valuesTitle->setText(tr("Click a cell to see its values."));
    m_valuesTitle->setEnabled(false);
    valuesLayout->addWidget(m_valuesTitle);
    m_values->setObjectName(QStringLiteral("coverageValues"));
    m_values->setColumnCount(3);
    m_values->setHeaderLabels({tr("Value"), tr("Events"), tr("Share")});
    setUpFlatList(m_values, 0);
    m_values->setColumnWidth(1, 70);
    m_values->setColumnWidth(2, 60);
    m_values->setToolTip(tr("Click a value to show its events in the table"));
    connect(m_values, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem* item) { onValueClicked(item); });
    valuesLayout->addWidget(m_values, 1);
    split->addWidget(valuesPage);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    layout->addWidget(split, 1);

    m_timer.setInterval(kRefreshMs);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
    });
    m_timer.start();
}

void CoveragePanel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refresh();
}

void CoveragePanel::refresh()
{
    if (m_capture->coverageRevision() == m_revision)
        return;
    m_revision = m_capture->coverageRevision();
    const Coverage& coverage = m_capture->liveCoverage();
    m_model->setCoverage(coverage.toJson());
    int flagged = 0;
    for (int r = 0; r < m_model->rowCount(); ++r) {
        for (int c = CoverageModel::FirstPropertyColumn; c < m_model->columnCount(); ++c) {
            if (const auto* cell = m_model->cell(r, c); cell && cell->flagged)
                ++flagged;
        }
    }
    const QString contract = m_capture->contract() ? qs(m_capture->contractName()) : QString();
    QString text
        = tr("%1 events of %2 names").arg(formatCount(static_cast<qint64>(coverage.events()))).arg(m_model->rowCount());
    text += contract.isEmpty() ? tr(" · no contract: presence and values only")
                               : tr(" · contract %1").arg(contract.toHtmlEscaped());
    if (flagged)
        text += QStringLiteral(" · <span style=\"color:%1\"><b>%2</b></span>")
                    .arg(colors::error().name(),
                        flagged == 1 ? tr("1 required property below 100 % or invalid")
                                     : tr("%1 required properties below 100 % or invalid").arg(flagged));
    text += tr(
        " · <small>click a cell for the events that lack the property, a value for the events that carry it</small>");
    m_summary->setText(text);
    const QModelIndex current = m_model->indexOf(m_event, m_property);
    if (current.isValid())
        showValues(current);
}

void CoveragePanel::activateCell(const std::string& event, const std::string& property)
{
    refresh();
    const QModelIndex index = m_model->indexOf(event, property);
    if (!index.isValid())
        return;
    m_view->setCurrentIndex(index);
    onCellClicked(index);
}

QMenu* CoveragePanel::cellMenu(const QModelIndex& index)
{
    if (!index.isValid() || index.row() >= m_model->rowCount())
        return nullptr;
    const std::string event = m_model->eventAt(index.row());
    std::string property;
    if (!canAddToContract(*m_capture, event)) {
        if (index.column() < CoverageModel::FirstPropertyColumn || !m_model->cell(index.row(), index.column()))
            return nullptr;
        property = m_model->propertyAt(index.column());
        if (!canAddToContract(*m_capture, event, property))
            return nullptr;
    }
    auto* menu = new QMenu(m_view);
    QAction* add = menu->addAction(property.empty() ? tr("Add Event “%1” to Contract…").arg(qs(event))
                                                    : tr("Add “%1” of %2 to Contract…").arg(qs(property), qs(event)));
    add->setObjectName(QStringLiteral("addToContract"));
    connect(add, &QAction::triggered, this,
        [this, e = qs(event), p = qs(property)] { Q_EMIT addToContractRequested(e, p); });
    return menu;
}

void CoveragePanel::onCellClicked(const QModelIndex& index)
{
    if (!index.isValid() || index.column() < CoverageModel::FirstPropertyColumn)
        return;
    showValues(index);
    const CoverageModel::Cell* c = m_model->cell(index.row(), index.column());
    // A cell nobody lacks would filter to nothing: its values say more (one click away).
    if (!c || c->missing > 0)
        Q_EMIT filterRequested(PropertyFilter {m_event, m_property, std::nullopt});
}

void CoveragePanel::showValues(const QModelIndex& index)
{
    m_event = m_model->eventAt(index.row());
    m_property = m_model->propertyAt(index.column());
    const std::uint64_t count = m_model->countAt(index.row());
    const CoverageModel::Cell* c = m_model->cell(index.row(), index.column());
    m_valuesTitle->setEnabled(true);
    m_valuesTitle->setText(
        QStringLiteral("<b>%1</b> · <b>%2</b>").arg(qs(m_event).toHtmlEscaped(), qs(m_property).toHtmlEscaped()));
    m_values->clear();
    const auto add = [&](const QString& text, std::uint64_t n, const QVariant& key, bool clickable) {
        auto* item = new QTreeWidgetItem(m_values);
        item->setText(0, text);
        item->setText(1, formatCount(static_cast<qint64>(n)));
        item->setText(2, shareText(n, count));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setData(0, Qt::UserRole, key);
        if (!clickable)
            item->setFlags(item->flags() & ~Qt::ItemIsSelectable);
        return item;
    };
    const std::uint64_t missing = c ? c->missing : count;
    if (missing) {
        auto* item = add(tr("(missing)"), missing, QVariant(), true);
        item->setForeground(0, c && c->required ? colors::error() : colors::warning());
        item->setToolTip(0, tr("Events without the property"));
    }
    if (!c)
        return;
    if (c->values.is_object()) {
        std::vector<std::pair<std::uint64_t, std::string>> values;
        for (auto it = c->values.begin(); it != c->values.end(); ++it)
            values.emplace_back(it->get<std::uint64_t>(), it.key());
        std::stable_sort(values.begin(), values.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        for (const auto& [n, v] : values)
            add(qs(v), n, qs(v), true);
    } else {
        auto* item = add(tr("(more than %1 distinct values)").arg(c->distinctOver), c->present, QVariant(), false);
        item->setToolTip(0, tr("By type: %1").arg(typesText(c->types)));
        item->setForeground(0, palette().color(QPalette::Disabled, QPalette::Text));
    }
    if (c->invalid) {
        auto* item = add(tr("(invalid: outside the contract's enum, const or type)"), c->invalid, QVariant(), false);
        item->setForeground(0, colors::error());
    }
}

void CoveragePanel::onValueClicked(QTreeWidgetItem* item)
{
    if (!item || !(item->flags() & Qt::ItemIsSelectable) || m_event.empty())
        return;
    const QVariant key = item->data(0, Qt::UserRole);
    Q_EMIT filterRequested(PropertyFilter {
        m_event, m_property, key.isValid() ? std::optional<std::string>(key.toString().toStdString()) : std::nullopt});
}

} // namespace el::ui
