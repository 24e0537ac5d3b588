// SPDX-License-Identifier: MIT
#include "detailpane.h"

#include "addtocontractdialog.h"
#include "decode/decode.h"
#include "decode/eventslice.h"
#include "ingest/journalrequest.h"
#include "jsonhighlighter.h"
#include "propertytreemodel.h"
#include "runtimetype.h"
#include "session.h"
#include "uiutil.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPointer>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTextDocumentFragment>
#include <QThreadPool>
#include <QToolButton>
#include <QTreeView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

namespace el::ui {

/** The shown event's request, read and decoded (on a worker) for the Raw tab. */
struct DetailPane::RawRequest
{
    JournalRequest request;
    bool fromFile = false; ///< an NDJSON / JSON import: the body is what the file had, nothing to decode
    std::string encoding; ///< DecodeResult::encoding
    std::string error; ///< why the body does not decode (empty when it does)
    std::size_t decodedSize = 0; ///< 0 when it did not decode: \c text is then the body as received
    std::size_t events = 0; ///< event objects in the decoded body
    std::optional<std::size_t> index; ///< which of them is the shown event
    TextSpan slice; ///< its bytes in the decoded body (empty: none)
    QString text; ///< the decoded body as shown (a window of it when it is very large)
    std::size_t textFrom = 0; ///< the bytes of the decoded body in \c text: [textFrom, textTo)
    std::size_t textTo = 0;
    int sliceFrom = -1; ///< the slice in \c text (UTF-16 positions), -1 when none
    int sliceTo = -1;
};

namespace {

/** Decoded bodies larger than this are shown as a window of this size around the event. */
constexpr std::size_t kMaxBodyShown = 128u << 10;
/** The JSON colours only up to this size (a QSyntaxHighlighter on a very long line is slow). */
constexpr int kMaxBodyColoured = 64 << 10;
/** The hex dump shows at most the first this many bytes. */
constexpr std::size_t kMaxHexBytes = 1u << 20;

/** How long \a n bytes of valid UTF-8 are in UTF-16 units, with a CR LF counted once (a text document keeps one). */
int shownLength(const char* p, std::size_t n)
{
    int units = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(p[i]);
        if ((c & 0xC0) != 0x80)
            units += c >= 0xF0 ? 2 : 1;
        if (c == '\n' && i > 0 && p[i - 1] == '\r')
            --units;
    }
    return units;
}

/** \a i moved forward to the start of a UTF-8 character. */
std::size_t charStart(const std::string& s, std::size_t i)
{
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
        ++i;
    return i;
}

/** The number of events of \a event's request before it (in seq order), among the events in memory. */
std::size_t indexInRequest(const EventStore& store, const Event& event)
{
    const auto& all = store.events();
    auto it = std::lower_bound(
        all.begin(), all.end(), event.seq, [](const EventPtr& e, qint64 seq) { return e->seq < seq; });
    std::size_t index = 0;
    while (it != all.begin() && (*(it - 1))->requestId == event.requestId) {
        --it;
        ++index;
    }
    return index;
}

/** Decodes \a request again, as the sink did, and finds the event's slice (on a worker). */
std::shared_ptr<const DetailPane::RawRequest> decodeRaw(
    JournalRequest request, const std::string& uuid, std::size_t index, const DecodeLimits& limits)
{
    auto raw = std::make_shared<DetailPane::RawRequest>();
    raw->request = std::move(request);
    const JournalRequest& r = raw->request;
    std::string body;
    bool decoded = false;
    raw->fromFile = r.method.empty() && r.path.empty() && !r.source.empty();
    if (raw->fromFile) {
        body = r.body;
        decoded = true;
    } else {
        DecodeResult d = decodeIngest(toHttpRequest(r), classifyPath(r.path), limits);
        raw->encoding = std::move(d.encoding);
        raw->error = std::move(d.error);
        body = std::move(d.decodedBody);
        decoded = d.ok();
    }
    raw->decodedSize = body.size();
    if (body.empty() && !decoded)
        body = r.body; // shown as received (bytes that are not UTF-8 as U+FFFD; Hex shows them)
    if (decoded) {
        const std::vector<TextSpan> spans = eventSpans(body);
        raw->events = spans.size();
        raw->index = pickEventSpan(body, spans, uuid, index);
        if (raw->index)
            raw->slice = spans[*raw->index];
    }
    // A very large body: a window around the event.
    std::size_t from = 0;
    std::size_t to = body.size();
    if (body.size() > kMaxBodyShown) {
        from = charStart(
            body, raw->slice.size() > 0 ? raw->slice.begin - std::min(raw->slice.begin, kMaxBodyShown / 8) : 0);
        to = std::min(body.size(), from + kMaxBodyShown);
        while (to < body.size() && to > from && (static_cast<unsigned char>(body[to]) & 0xC0) == 0x80)
            --to;
    }
    raw->textFrom = from;
    raw->textTo = to;
    raw->text = QString::fromUtf8(body.data() + from, qsizetype(to - from));
    if (raw->slice.size() > 0 && raw->slice.begin >= from && raw->slice.end <= to) {
        raw->sliceFrom = shownLength(body.data() + from, raw->slice.begin - from);
        raw->sliceTo = raw->sliceFrom + shownLength(body.data() + raw->slice.begin, raw->slice.size());
    }
    return raw;
}

/** `hexdump -C`: offset, 16 bytes in hex (two groups of 8), the printable ones as ASCII; at most \a max bytes. */
QString hexDump(const std::string& bytes, std::size_t max)
{
    static const char digits[] = "0123456789abcdef";
    const std::size_t n = std::min(bytes.size(), max);
    std::string out;
    out.reserve((n / 16 + 1) * 80);
    for (std::size_t line = 0; line < n; line += 16) {
        char offset[32];
        std::snprintf(offset, sizeof offset, "%08zx  ", line);
        out += offset;
        std::string ascii;
        for (std::size_t i = line; i < line + 16; ++i) {
            if (i < n) {
                const auto c = static_cast<unsigned char>(bytes[i]);
                out += digits[c >> 4];
                out += digits[c & 0xF];
                out += ' ';
                ascii += c >= 0x20 && c < 0x7F ? char(c) : '.';
            } else {
                out += "   ";
            }
            if (i == line + 7)
                out += ' ';
        }
        out += " |" + ascii + "|\n";
    }
    if (!out.empty())
        out.pop_back();
    return QString::fromLatin1(out.data(), qsizetype(out.size()));
}

QString htmlEscaped(const std::string& s)
{
    return qs(s).toHtmlEscaped();
}

/** Pointers of expanded nodes (and "#group:N" for groups), to restore after a rebuild. */
void collectExpanded(
    const QTreeView* view, const QAbstractItemModel* model, const QModelIndex& parent, std::set<QString>& out)
{
    for (int r = 0; r < model->rowCount(parent); ++r) {
        const QModelIndex child = model->index(r, 0, parent);
        if (!view->isExpanded(child))
            continue;
        const bool group = child.data(PropertyTreeModel::GroupRole).toBool();
        out.insert(group ? QStringLiteral("#group:%1").arg(r) : child.data(PropertyTreeModel::PointerRole).toString());
        collectExpanded(view, model, child, out);
    }
}

void restoreExpanded(
    QTreeView* view, const QAbstractItemModel* model, const QModelIndex& parent, const std::set<QString>& expanded)
{
    for (int r = 0; r < model->rowCount(parent); ++r) {
        const QModelIndex child = model->index(r, 0, parent);
        const bool group = child.data(PropertyTreeModel::GroupRole).toBool();
        const QString key
            = group ? QStringLiteral("#group:%1").arg(r) : child.data(PropertyTreeModel::PointerRole).toString();
        if (expanded.count(key)) {
            view->setExpanded(child, true);
            restoreExpanded(view, model, child, expanded);
        }
    }
}

} // namespace

DetailPane::DetailPane(Session* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session)
    , m_model(new PropertyTreeModel(this))
    , m_stack(new QStackedWidget(this))
    , m_title(new QLabel(this))
    , m_subtitle(new QLabel(this))
    , m_status(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_requestInfo(new QLabel(this))
    , m_raw(new QPlainTextEdit(this))
    , m_rawStack(new QStackedWidget(this))
    , m_requestButton(new QToolButton(this))
    , m_eventButton(new QToolButton(this))
    , m_requestSummary(new QLabel(this))
    , m_requestDetails(nullptr)
    , m_headers(new QTreeWidget(this))
    , m_bodyLabel(new QLabel(this))
    , m_body(new QPlainTextEdit(this))
    , m_hex(new QCheckBox(tr("Hex"), this))
    , m_violations(new QTreeWidget(this))
    , m_contextLabel(new QLabel(this))
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_stack);

    auto* placeholder = new QLabel(tr("Select an event to see its properties, raw JSON and violations."), this);
    placeholder->setAlignment(Qt::AlignCenter);
    placeholder->setWordWrap(true);
    placeholder->setEnabled(false);
    m_stack->addWidget(placeholder);

    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    m_stack->addWidget(content);

    // Header: event name, then seq / time / client, and the status on the right.
    auto* header = new QWidget(content);
    auto* headerLayout = new QGridLayout(header);
    headerLayout->setContentsMargins(8, 6, 8, 2);
    headerLayout->setVerticalSpacing(1);
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setObjectName(QStringLiteral("detailTitle"));
    m_subtitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_subtitle->setWordWrap(true);
    m_subtitle->setEnabled(false);
    m_status->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    headerLayout->addWidget(m_title, 0, 0);
    headerLayout->addWidget(m_status, 0, 1);
    headerLayout->addWidget(m_subtitle, 1, 0, 1, 2);
    headerLayout->setColumnStretch(0, 1);
    layout->addWidget(header);

    m_tabs->setDocumentMode(true);
    layout->addWidget(m_tabs, 1);

    // Properties tab.
    auto* propsPage = new QWidget(m_tabs);
    auto* propsLayout = new QVBoxLayout(propsPage);
    propsLayout->setContentsMargins(0, 0, 0, 0);
    propsLayout->setSpacing(0);
    m_tree = makeTree();
    m_tree->setObjectName(QStringLiteral("propertyTree"));
    auto* treeBar = new QHBoxLayout;
    treeBar->setContentsMargins(6, 2, 6, 2);
    auto* expandAll = new QToolButton(propsPage);
    expandAll->setIcon(appIcon("expand-all"));
    expandAll->setToolTip(tr("Expand all"));
    expandAll->setAutoRaise(true);
    connect(expandAll, &QToolButton::clicked, m_tree, &QTreeView::expandAll);
    auto* collapseAll = new QToolButton(propsPage);
    collapseAll->setIcon(appIcon("collapse-all"));
    collapseAll->setToolTip(tr("Collapse to the groups"));
    collapseAll->setAutoRaise(true);
    connect(collapseAll, &QToolButton::clicked, this, [this] {
        m_tree->collapseAll();
        m_tree->expandToDepth(0);
    });
    auto* legend = new QLabel(tr("<small><b>bold</b> + icon: super-property that changed since this user's "
                                 "previous event (hover for the old value)</small>"),
        propsPage);
    legend->setEnabled(false);
    treeBar->addWidget(expandAll);
    treeBar->addWidget(collapseAll);
    treeBar->addSpacing(6);
    treeBar->addWidget(legend, 1);
    propsLayout->addLayout(treeBar);
    propsLayout->addWidget(m_tree, 1);
    m_tabs->addTab(propsPage, tr("Properties"));

    // Raw tab: the request the event came in (read when the tab is shown), or the normalised event.
    auto* rawPage = new QWidget(m_tabs);
    auto* rawLayout = new QVBoxLayout(rawPage);
    rawLayout->setContentsMargins(8, 4, 8, 0);
    rawLayout->setSpacing(4);
    auto* rawBar = new QHBoxLayout;
    rawBar->setSpacing(2);
    const auto viewButton = [&](QAbstractButton* button, const QString& text, const QString& tip, const char* name) {
        button->setText(text);
        button->setToolTip(tip);
        button->setObjectName(QLatin1String(name));
        button->setCheckable(true);
        button->setAutoExclusive(true);
        rawBar->addWidget(button);
    };
    viewButton(m_requestButton, tr("Request"), tr("The request the event came in, as it arrived"), "rawRequestView");
    viewButton(m_eventButton, tr("Event"), tr("The normalised event, as decoded from the request"), "rawEventView");
    m_requestButton->setChecked(true);
    rawBar->addStretch(1);
    m_hex->setObjectName(QStringLiteral("rawHexToggle"));
    m_hex->setToolTip(tr("Show the body's bytes as received (before any decoding) as a hex dump"));
    rawBar->addWidget(m_hex);
    rawLayout->addLayout(rawBar);
    rawLayout->addWidget(m_rawStack, 1);
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::Monospace);

    // The request view: summary, headers, body.
    auto* requestPage = new QWidget(m_rawStack);
    auto* requestLayout = new QVBoxLayout(requestPage);
    requestLayout->setContentsMargins(0, 0, 0, 0);
    requestLayout->setSpacing(4);
    m_requestSummary->setObjectName(QStringLiteral("rawRequestSummary"));
    m_requestSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_requestSummary->setWordWrap(true);
    m_requestSummary->setTextFormat(Qt::RichText);
    m_requestSummary->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    requestLayout->addWidget(m_requestSummary);
    auto* requestSplit = new QSplitter(Qt::Vertical, requestPage);
    m_requestDetails = requestSplit;
    m_headers->setObjectName(QStringLiteral("rawRequestHeaders"));
    m_headers->setColumnCount(2);
    m_headers->setHeaderLabels({tr("Header"), tr("Value")});
    m_headers->setRootIsDecorated(false);
    m_headers->setUniformRowHeights(true);
    m_headers->setAlternatingRowColors(true);
    m_headers->setFont(mono);
    m_headers->setColumnWidth(0, 190);
    m_headers->setSelectionMode(QAbstractItemView::ExtendedSelection);
    requestSplit->addWidget(m_headers);
    auto* bodyPage = new QWidget(requestSplit);
    auto* bodyLayout = new QVBoxLayout(bodyPage);
    bodyLayout->setContentsMargins(0, 2, 0, 0);
    bodyLayout->setSpacing(2);
    m_bodyLabel->setObjectName(QStringLiteral("rawBodyLabel"));
    m_bodyLabel->setWordWrap(true);
    m_bodyLabel->setTextFormat(Qt::RichText);
    bodyLayout->addWidget(m_bodyLabel);
    m_body->setObjectName(QStringLiteral("rawRequestBody"));
    m_body->setFont(mono);
    m_body->setReadOnly(true);
    m_body->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_bodyHighlighter = new JsonHighlighter(nullptr);
    m_bodyHighlighter->setParent(m_body);
    bodyLayout->addWidget(m_body, 1);
    requestSplit->addWidget(bodyPage);
    requestSplit->setStretchFactor(0, 1);
    requestSplit->setStretchFactor(1, 3);
    requestSplit->setChildrenCollapsible(false);
    requestLayout->addWidget(requestSplit, 1);
    m_rawStack->addWidget(requestPage);

    // The event view: what the event keeps of its request, and the normalised event.
    auto* eventPage = new QWidget(m_rawStack);
    auto* eventLayout = new QVBoxLayout(eventPage);
    eventLayout->setContentsMargins(0, 0, 0, 0);
    m_requestInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_requestInfo->setWordWrap(true);
    m_requestInfo->setTextFormat(Qt::RichText);
    eventLayout->addWidget(m_requestInfo);
    m_raw->setFont(mono);
    m_raw->setReadOnly(true);
    m_raw->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_raw->setObjectName(QStringLiteral("rawJson"));
    new JsonHighlighter(m_raw->document());
    eventLayout->addWidget(m_raw, 1);
    m_rawStack->addWidget(eventPage);
    m_tabs->addTab(rawPage, tr("Raw"));
    connect(m_requestButton, &QAbstractButton::toggled, this, [this](bool on) {
        if (on)
            setRawView(RequestView);
    });
    connect(m_eventButton, &QAbstractButton::toggled, this, [this](bool on) {
        if (on)
            setRawView(EventView);
    });
    connect(m_hex, &QCheckBox::toggled, this, [this] { fillBody(); });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { requestNeeded(); });

    // Violations tab: the list, and below it the property tree around the selected violation.
    auto* violationsSplit = new QSplitter(Qt::Vertical, m_tabs);
    m_violations->setObjectName(QStringLiteral("violationList"));
    m_violations->setColumnCount(5);
    m_violations->setHeaderLabels({tr("Severity"), tr("Message"), tr("Path"), tr("Rule"), tr("Kind")});
    m_violations->setRootIsDecorated(false);
    m_violations->setItemDelegate(new PaddedItemDelegate(3, m_violations));
    m_violations->setUniformRowHeights(true);
    m_violations->setAlternatingRowColors(true);
    m_violations->header()->setStretchLastSection(false);
    m_violations->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_violations->setColumnWidth(0, 90);
    m_violations->setColumnWidth(2, 190);
    m_violations->setColumnWidth(3, 110);
    m_violations->setColumnWidth(4, 90);
    connect(m_violations, &QTreeWidget::itemSelectionChanged, this, &DetailPane::onViolationSelected);
    connect(m_violations, &QTreeWidget::itemActivated, this, [this] { m_tabs->setCurrentIndex(PropertiesTab); });
    violationsSplit->addWidget(m_violations);
    auto* contextPage = new QWidget(violationsSplit);
    auto* contextLayout = new QVBoxLayout(contextPage);
    contextLayout->setContentsMargins(0, 4, 0, 0);
    contextLayout->setSpacing(2);
    m_contextLabel->setContentsMargins(6, 2, 6, 2);
    m_contextLabel->setWordWrap(true);
    m_contextLabel->setTextFormat(Qt::RichText);
    m_contextLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_contextLabel->setText(tr("Select a violation to see where it points."));
    m_contextLabel->setEnabled(false);
    contextLayout->addWidget(m_contextLabel);
    m_context = makeTree();
    m_context->setObjectName(QStringLiteral("violationContextTree"));
    contextLayout->addWidget(m_context, 1);
    violationsSplit->addWidget(contextPage);
    violationsSplit->setStretchFactor(0, 1);
    violationsSplit->setStretchFactor(1, 3);
    violationsSplit->setChildrenCollapsible(false);
    m_tabs->addTab(violationsSplit, tr("Violations"));

    m_stack->setCurrentIndex(0);
}

DetailPane::~DetailPane() = default;

QTreeView* DetailPane::makeTree()
{
    auto* view = new QTreeView(this);
    view->setModel(m_model);
    view->setItemDelegate(new PaddedItemDelegate(2, view));
    view->setUniformRowHeights(true);
    view->setAlternatingRowColors(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    view->setAllColumnsShowFocus(true);
    view->header()->setStretchLastSection(false);
    view->header()->setSectionResizeMode(PropertyTreeModel::ValueColumn, QHeaderView::Stretch);
    view->setColumnWidth(PropertyTreeModel::NameColumn, 250);
    view->setColumnWidth(PropertyTreeModel::TypeColumn, 130);
    connect(view, &QTreeView::customContextMenuRequested, this,
        [this, view](const QPoint& pos) { showTreeMenu(view, pos); });
    auto* copy = new QAction(tr("Copy value"), view);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    connect(copy, &QAction::triggered, this, [view] {
        const QModelIndex current = view->currentIndex();
        if (current.isValid())
            QGuiApplication::clipboard()->setText(
                current.siblingAtColumn(0).data(PropertyTreeModel::ValueTextRole).toString());
    });
    view->addAction(copy);
    return view;
}

void DetailPane::showTreeMenu(QTreeView* view, const QPoint& pos)
{
    const QModelIndex index = view->indexAt(pos).siblingAtColumn(0);
    if (!index.isValid())
        return;
    const std::unique_ptr<QMenu> menu(treeMenu(view, index));
    menu->exec(view->viewport()->mapToGlobal(pos));
}

QMenu* DetailPane::treeMenu(QTreeView* view, const QModelIndex& at)
{
    auto* menu = new QMenu(view);
    const QPersistentModelIndex index(at.siblingAtColumn(0));
    const QString value = index.data(PropertyTreeModel::ValueTextRole).toString();
    const QString json = index.data(PropertyTreeModel::JsonTextRole).toString();
    const QString pointer = index.data(PropertyTreeModel::PointerRole).toString();
    const bool hasValue
        = !index.data(PropertyTreeModel::GroupRole).toBool() && !index.data(PropertyTreeModel::MissingRole).toBool();
    QAction* copyValue = menu->addAction(themeIcon("edit-copy", "copy"), tr("Copy value"));
    copyValue->setEnabled(hasValue);
    connect(copyValue, &QAction::triggered, this, [value] { QGuiApplication::clipboard()->setText(value); });
    QAction* copyJson = menu->addAction(tr("Copy JSON"));
    copyJson->setEnabled(hasValue);
    connect(copyJson, &QAction::triggered, this, [json] { QGuiApplication::clipboard()->setText(json); });
    QAction* copyPath = menu->addAction(tr("Copy path"));
    copyPath->setEnabled(!pointer.isEmpty());
    copyPath->setToolTip(pointer);
    connect(copyPath, &QAction::triggered, this, [pointer] { QGuiApplication::clipboard()->setText(pointer); });
    // Add to Contract… on a property of the event (not a nested value) that the contract does not name for it.
    const std::vector<std::string> tokens = splitPointer(pointer.toStdString());
    if (hasValue && m_event && tokens.size() == 2 && tokens[0] == "properties") {
        const std::string name = m_event->name();
        menu->addSeparator();
        QAction* add = menu->addAction(tr("Add “%1” to Contract…").arg(qs(tokens[1])));
        add->setObjectName(QStringLiteral("addToContract"));
        add->setEnabled(canAddToContract(*m_session, name, tokens[1]));
        add->setToolTip(add->isEnabled()
                ? tr("Add this property to the event's schema in the contract, with its schema inferred from the "
                     "session's %1 events")
                      .arg(qs(name))
                : tr("The contract names this property already (or does not plan %1)").arg(qs(name)));
        connect(add, &QAction::triggered, this,
            [this, event = qs(name), property = qs(tokens[1])] { Q_EMIT addToContractRequested(event, property); });
    }
    menu->addSeparator();
    QAction* expand = menu->addAction(tr("Expand all below"));
    connect(expand, &QAction::triggered, this, [view, index] {
        if (index.isValid())
            view->expandRecursively(index);
    });
    return menu;
}

void DetailPane::setEvent(const EventPtr& event, qint64 prevSameClient, qint64 prevSameUser)
{
    if (!event) {
        clear();
        return;
    }
    const bool same = m_event && m_event->seq == event->seq;
    m_event = event;
    m_prevSameClient = prevSameClient;
    m_prevSameUser = prevSameUser;
    rebuild(same);
    if (!same)
        requestNeeded();
}

void DetailPane::refresh()
{
    if (!m_event)
        return;
    if (m_session->store()->violationsFor(m_event->seq).size() == m_violationCount)
        return;
    rebuild(true);
}

void DetailPane::clear()
{
    m_event.reset();
    m_eventViolations.clear();
    m_violationCount = 0;
    m_model->clear();
    m_violations->clear();
    m_raw->clear();
    showRequestMessage(QString());
    m_stack->setCurrentIndex(0);
}

qint64 DetailPane::currentSeq() const
{
    return m_event ? m_event->seq : 0;
}

QString DetailPane::rawText() const
{
    return m_raw->toPlainText();
}

void DetailPane::setRawView(RawView view)
{
    (view == RequestView ? m_requestButton : m_eventButton)->setChecked(true);
    m_rawStack->setCurrentIndex(view);
    m_hex->setEnabled(view == RequestView && m_request && !m_request->request.body.empty());
}

QString DetailPane::requestSummary() const
{
    return QTextDocumentFragment::fromHtml(m_requestSummary->text()).toPlainText();
}

std::pair<qint64, qint64> DetailPane::requestSlice() const
{
    if (!m_request || m_request->slice.size() == 0)
        return {-1, -1};
    return {qint64(m_request->slice.begin), qint64(m_request->slice.end)};
}

bool DetailPane::requestShown() const
{
    return m_event && m_requestSeq == m_event->seq && !m_requestLoading;
}

void DetailPane::rebuild(bool keepState)
{
    const EventStore* store = m_session->store();
    std::set<QString> expanded;
    QString currentPointer;
    if (keepState) {
        collectExpanded(m_tree, m_model, QModelIndex(), expanded);
        currentPointer = m_tree->currentIndex().siblingAtColumn(0).data(PropertyTreeModel::PointerRole).toString();
    }

    m_eventViolations.clear();
    const auto violations = store->violationsFor(m_event->seq);
    m_violationCount = violations.size();
    for (const Violation* v : violations)
        m_eventViolations.push_back(*v);

    PropertyTreeModel::Input input;
    input.event = m_event;
    if (m_session->engine())
        input.contractSuper = m_session->engine()->superProperties();
    input.previousSameClient = m_prevSameClient ? store->eventBySeq(m_prevSameClient) : EventPtr();
    input.previousSameUser = m_prevSameUser ? store->eventBySeq(m_prevSameUser) : EventPtr();
    input.violations = m_eventViolations;
    m_model->setInput(std::move(input));

    if (keepState && !expanded.empty()) {
        restoreExpanded(m_tree, m_model, QModelIndex(), expanded);
        if (!currentPointer.isEmpty())
            m_tree->setCurrentIndex(m_model->indexForPointer(currentPointer.toStdString()));
    } else {
        m_tree->expandToDepth(0);
    }
    m_context->expandToDepth(0);

    // Header.
    const Event& e = *m_event;
    m_title->setText(e.name().empty() ? tr("(unnamed event)") : qs(e.name()));
    QStringList sub;
    sub << QStringLiteral("#%1").arg(e.seq) << formatTime(e.receivedMs, true);
    if (!e.distinctId().empty())
        sub << QStringLiteral("distinct_id %1").arg(qs(e.distinctId()));
    if (!e.lib().empty())
        sub << qs(e.lib()) + (e.libVersion().empty() ? QString() : u' ' + qs(e.libVersion()));
    sub << QStringLiteral("runtime_type %1").arg(runtimeTypeText(e.runtimeType()));
    m_subtitle->setText(sub.join(QStringLiteral("  ·  ")));
    int errors = 0, warnings = 0;
    for (const Violation& v : m_eventViolations)
        (v.severity == Severity::Error ? errors : warnings)++;
    const QColor statusColor = errors ? colors::error() : warnings ? colors::warning() : colors::ok();
    m_status->setText(statusText(errors, warnings));
    m_status->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: white; border-radius: 9px; padding: 2px 10px; "
                       "font-weight: bold; }")
            .arg(statusColor.name()));
    m_tabs->setTabIcon(ViolationsTab, m_eventViolations.empty() ? QIcon() : statusIcon(errors, warnings));
    m_tabs->setTabText(ViolationsTab,
        m_eventViolations.empty() ? tr("Violations") : tr("Violations (%1)").arg(m_eventViolations.size()));

    fillRaw();
    fillViolations();
    m_stack->setCurrentIndex(1);
    // The first violation is selected at once: its node is highlighted in the property tree.
    if (!keepState && !m_eventViolations.empty())
        selectViolation(0);
}

void DetailPane::fillRaw()
{
    const Event& e = *m_event;
    const auto row = [](const QString& label, const QString& valueHtml) {
        return QStringLiteral("<tr><td style=\"padding-right:12px\"><b>%1</b></td><td>%2</td></tr>")
            .arg(label, valueHtml);
    };
    const auto orDash = [](const std::string& s) { return s.empty() ? QStringLiteral("—") : htmlEscaped(s); };
    QString html = QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\">");
    html += row(tr("Endpoint"), orDash(e.endpoint()));
    html += row(tr("Request"), QStringLiteral("#%1").arg(e.requestId));
    html += row(tr("Received"), formatTime(e.receivedMs, true));
    html += row(tr("User agent"), orDash(e.userAgent()));
    html += row(tr("API key"), orDash(e.apiKey()));
    html += row(tr("Client"), orDash(e.lib() + (e.libVersion().empty() ? std::string() : " " + e.libVersion())));
    if (const EventStore::Upstream* up = m_session->store()->upstream(e.requestId)) {
        html += row(tr("Forwarded"),
            up->status < 0 ? tr("upstream unreachable: %1").arg(htmlEscaped(up->error))
                           : tr("upstream answered %1 in %2 ms").arg(up->status).arg(up->latencyMs));
    }
    html += row(tr("uuid"), orDash(e.uuid()));
    html += row(tr("timestamp"), orDash(e.timestamp()));
    html += QStringLiteral("</table>");
    html += QStringLiteral("<p style=\"margin-top:4px\"><small><i>%1</i></small></p>")
                .arg(tr("The normalised event as decoded from the request. The Request view shows the request as it "
                        "arrived."));
    m_requestInfo->setText(html);
    m_raw->setPlainText(qs(e.doc().dump(2, ' ', false, Json::error_handler_t::replace)));
}

void DetailPane::requestNeeded()
{
    if (!m_event || m_tabs->currentIndex() != RawTab || m_requestSeq == m_event->seq)
        return;
    loadRequest();
}

void DetailPane::loadRequest()
{
    const EventPtr event = m_event;
    showRequestMessage(QString());
    m_requestSeq = event->seq;
    const quint64 generation = m_requestGeneration;
    // The session file is read here (one row by its key: fast); decoding and slicing, which grow with the body, on
    // a worker.
    JournalRequest request;
    QString error;
    if (!m_session->request(event->requestId, request, &error)) {
        showRequestMessage(tr("<p><b>Request #%1 cannot be shown</b>: %2.</p><p>The <b>Event</b> view shows the "
                              "normalised event as decoded from it.</p>")
                               .arg(event->requestId)
                               .arg(error.toHtmlEscaped()));
        return;
    }
    m_requestLoading = true;
    m_requestSummary->setText(tr("<i>Decoding request #%1…</i>").arg(event->requestId));
    const std::size_t index = indexInRequest(*m_session->store(), *event);
    QPointer<DetailPane> self(this);
    QThreadPool::globalInstance()->start([self, generation, request = std::move(request), uuid = event->uuid(), index,
                                             limits = m_session->decodeLimits()]() mutable {
        auto raw = decodeRaw(std::move(request), uuid, index, limits);
        QMetaObject::invokeMethod(
            qApp,
            [self, generation, raw = std::move(raw)]() mutable {
                if (self && self->m_requestGeneration == generation) // else another event is shown meanwhile
                    self->showRequest(std::move(raw));
            },
            Qt::QueuedConnection);
    });
}

void DetailPane::showRequestMessage(const QString& html)
{
    ++m_requestGeneration; // a read still on a worker is dropped
    m_requestSeq = 0;
    m_requestLoading = false;
    m_request.reset();
    m_hexText.clear();
    m_requestSummary->setText(html);
    m_headers->clear();
    m_bodyLabel->clear();
    m_body->setExtraSelections({});
    m_body->clear();
    m_hex->setEnabled(false);
    m_requestDetails->setVisible(html.isEmpty());
    if (m_event && !html.isEmpty())
        m_requestSeq = m_event->seq;
}

void DetailPane::showRequest(std::shared_ptr<const RawRequest> raw)
{
    m_requestLoading = false;
    m_request = std::move(raw);
    m_hexText.clear();
    const RawRequest& q = *m_request;
    const JournalRequest& r = q.request;
    const auto row = [](const QString& label, const QString& valueHtml) {
        return QStringLiteral("<tr><td style=\"padding-right:12px\"><b>%1</b></td><td>%2</td></tr>")
            .arg(label, valueHtml);
    };
    const auto code = [](const QString& html) { return QStringLiteral("<code>%1</code>").arg(html); };
    const auto bytes = [](std::size_t n) { return tr("%1 bytes").arg(formatCount(qint64(n))); };
    const auto coloured = [](const QColor& color, const QString& html) {
        return QStringLiteral("<span style=\"color:%1\">%2</span>").arg(color.name(), html);
    };
    QString html = QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\">");
    if (q.fromFile) {
        html += row(tr("Request"),
            tr("#%1 · none recorded: an NDJSON or JSON import holds no HTTP request, only what the file had")
                .arg(r.id));
        html += row(tr("From"), code(htmlEscaped(r.source)));
        html += row(tr("Body"), tr("%1, as in the file").arg(bytes(r.body.size())));
    } else {
        const QString target = htmlEscaped(r.path) + (r.query.empty() ? QString() : u'?' + htmlEscaped(r.query));
        html += row(tr("Request"),
            QStringLiteral("#%1 · ").arg(r.id)
                + code(QStringLiteral("<b>%1</b> %2").arg(htmlEscaped(r.method), target)));
        QString from = formatTime(r.receivedMs, true);
        if (!r.peer.empty())
            from += tr(" from %1").arg(htmlEscaped(r.peer));
        html += row(tr("Received"), from);
        const bool refused = isRejected(r);
        html += row(tr("Answered"),
            coloured(refused ? colors::error() : colors::ok(), QString::number(r.status))
                + (r.reason.empty() ? QString() : QStringLiteral(" · ") + htmlEscaped(r.reason)));
        if (r.upstreamStatus != 0) {
            html += row(tr("Forwarded"),
                r.upstreamStatus < 0 ? tr("upstream unreachable: %1").arg(htmlEscaped(r.upstreamError))
                                     : tr("upstream answered %1 in %2 ms").arg(r.upstreamStatus).arg(r.upstreamMs));
        }
        QString body = r.body.empty() ? tr("empty") : bytes(r.body.size()) + tr(" as received");
        if (r.body.empty() && toHttpRequest(r).queryValue("data"))
            body += tr(" (the payload came in the query: data=)");
        if (!q.encoding.empty())
            body += tr(" · encoding <b>%1</b>").arg(htmlEscaped(q.encoding));
        if (q.error.empty() || q.decodedSize > 0)
            body += tr(" · %1 decoded").arg(bytes(q.decodedSize));
        html += row(tr("Body"), body);
        if (!q.error.empty())
            html += row(tr("Decoding"), coloured(colors::error(), htmlEscaped(q.error)));
    }
    if (q.events > 0) {
        html += row(tr("Events"),
            q.index ? tr("%1 in this request; this is event %2 (highlighted)").arg(q.events).arg(*q.index + 1)
                    : tr("%1 in this request; this event was not found among them").arg(q.events));
    }
    html += QStringLiteral("</table>");
    m_requestSummary->setText(html);

    m_headers->clear();
    QList<QTreeWidgetItem*> items;
    for (const auto& [name, value] : r.headers) {
        auto* item = new QTreeWidgetItem({qs(name), qs(value)});
        item->setToolTip(1, qs(value));
        items << item;
    }
    m_headers->addTopLevelItems(items);
    m_headers->setVisible(!q.fromFile);
    m_requestDetails->setVisible(true);
    fillBody();
}

void DetailPane::fillBody()
{
    m_body->setExtraSelections({});
    m_bodyHighlighter->setDocument(nullptr);
    if (!m_request) {
        m_body->clear();
        m_hex->setEnabled(false);
        return;
    }
    const RawRequest& q = *m_request;
    const std::string& bytes = q.request.body;
    m_hex->setEnabled(m_rawStack->currentIndex() == RequestView && !bytes.empty());
    if (m_hex->isChecked() && !bytes.empty()) {
        if (m_hexText.isEmpty())
            m_hexText = hexDump(bytes, kMaxHexBytes);
        m_bodyLabel->setText(bytes.size() > kMaxHexBytes
                ? tr("The body as received, in hex: the first %1 of %2 bytes")
                      .arg(formatCount(qint64(kMaxHexBytes)), formatCount(qint64(bytes.size())))
                : tr("The body as received, in hex (%1 bytes)").arg(formatCount(qint64(bytes.size()))));
        m_body->setLineWrapMode(QPlainTextEdit::NoWrap);
        m_body->setPlainText(m_hexText);
        return;
    }
    QStringList label;
    if (q.fromFile)
        label << tr("What the file had for this request");
    else if (q.decodedSize == 0)
        label << tr("Not decoded: the body as received");
    else if (q.encoding == "json")
        label << tr("The body as received (plain JSON)");
    else
        label << tr("The payload decoded (%1 undone)").arg(htmlEscaped(q.encoding));
    if (q.sliceFrom >= 0)
        label << QStringLiteral("<span style=\"background:%1\">&nbsp;%2&nbsp;</span>")
                     .arg(colors::highlightBackground().name(QColor::HexArgb), tr("this event"));
    if (q.decodedSize > 0 && (q.textFrom > 0 || q.textTo < q.decodedSize))
        label << tr("bytes %1 to %2 of %3 are shown")
                     .arg(formatCount(qint64(q.textFrom)), formatCount(qint64(q.textTo)),
                         formatCount(qint64(q.decodedSize)));
    m_bodyLabel->setText(label.join(QStringLiteral(" · ")));
    m_body->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_body->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    m_body->setPlainText(q.text);
    if (q.text.size() <= kMaxBodyColoured)
        m_bodyHighlighter->setDocument(m_body->document());
    if (q.sliceFrom < 0)
        return;
    QTextEdit::ExtraSelection slice;
    slice.format.setBackground(colors::highlightBackground());
    slice.cursor = QTextCursor(m_body->document());
    slice.cursor.setPosition(q.sliceFrom);
    slice.cursor.setPosition(q.sliceTo, QTextCursor::KeepAnchor);
    m_body->setExtraSelections({slice});
    QTextCursor at(m_body->document());
    at.setPosition(q.sliceTo);
    m_body->setTextCursor(at); // the end, then the start: the whole slice in view when it fits
    m_body->ensureCursorVisible();
    at.setPosition(q.sliceFrom);
    m_body->setTextCursor(at);
    m_body->ensureCursorVisible();
}

void DetailPane::fillViolations()
{
    const QSignalBlocker blocker(m_violations);
    m_violations->clear();
    for (const Violation& v : m_eventViolations) {
        auto* item = new QTreeWidgetItem(m_violations);
        const bool error = v.severity == Severity::Error;
        item->setIcon(0, statusIcon(error ? 1 : 0, error ? 0 : 1));
        item->setText(0, qs(std::string(toString(v.severity))));
        item->setForeground(0, error ? colors::error() : colors::warning());
        item->setText(1, qs(v.message));
        item->setToolTip(1, qs(v.message));
        item->setText(2, qs(v.path));
        item->setText(3, qs(v.rule));
        item->setText(4, qs(std::string(toString(v.kind))));
        item->setData(0, Qt::UserRole, qs(v.path));
        item->setData(1, Qt::UserRole,
            QStringLiteral("<b>%1</b> · %2 · %3<br>%4")
                .arg(qs(v.rule).toHtmlEscaped(), qs(std::string(toString(v.kind))).toHtmlEscaped(),
                    v.path.empty() ? tr("whole event") : qs(v.path).toHtmlEscaped(), qs(v.message).toHtmlEscaped()));
    }
    m_contextLabel->setText(m_eventViolations.empty() ? tr("This event has no contract violations.")
                                                      : tr("Select a violation to see where it points."));
    m_contextLabel->setEnabled(false);
}

void DetailPane::selectViolation(int row)
{
    if (QTreeWidgetItem* item = m_violations->topLevelItem(row))
        m_violations->setCurrentItem(item);
}

void DetailPane::onViolationSelected()
{
    QTreeWidgetItem* item = m_violations->currentItem();
    if (!item)
        return;
    const std::string pointer = item->data(0, Qt::UserRole).toString().toStdString();
    const QModelIndex index = m_model->highlightPointer(pointer);
    revealInTree(m_tree, index);
    revealInTree(m_context, index);
    m_contextLabel->setText(item->data(1, Qt::UserRole).toString());
    m_contextLabel->setEnabled(true);
}

void DetailPane::revealInTree(QTreeView* view, const QModelIndex& index)
{
    if (!index.isValid())
        return;
    for (QModelIndex p = index.parent(); p.isValid(); p = p.parent())
        view->expand(p);
    view->expand(index);
    view->setCurrentIndex(index);
    view->scrollTo(index, QAbstractItemView::PositionAtCenter);
}

} // namespace el::ui
