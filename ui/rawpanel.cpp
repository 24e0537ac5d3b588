// SPDX-License-Identifier: MIT
#include "rawpanel.h"

#include "jsonhighlighter.h"
#include "pipeline/capture.h"
#include "pipeline/journalrequest.h"
#include "uiutil.h"
#include "wire/decode.h"
#include "wire/eventslice.h"

#include <QApplication>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPointer>
#include <QSplitter>
#include <QStackedWidget>
#include <QTextDocumentFragment>
#include <QThreadPool>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace el::ui {

/** The shown event's request, read and decoded (on a worker) for the Raw tab. */
struct RawPanel::RawRequest
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
std::shared_ptr<const RawPanel::RawRequest> decodeRaw(
    JournalRequest request, const std::string& uuid, std::size_t index, const DecodeLimits& limits)
{
    auto raw = std::make_shared<RawPanel::RawRequest>();
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

} // namespace

RawPanel::RawPanel(Capture* capture, QWidget* parent)
    : QWidget(parent)
    , m_capture(capture)
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
{
    auto* rawLayout = new QVBoxLayout(this);
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
    setUpFlatList(m_headers);
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
    connect(m_requestButton, &QAbstractButton::toggled, this, [this](bool on) {
        if (on)
            setView(RequestView);
    });
    connect(m_eventButton, &QAbstractButton::toggled, this, [this](bool on) {
        if (on)
            setView(EventView);
    });
    connect(m_hex, &QCheckBox::toggled, this, [this] { fillBody(); });
}

RawPanel::~RawPanel() = default;

void RawPanel::setEvent(const EventPtr& event)
{
    m_event = event;
    fillEvent();
}

void RawPanel::clear()
{
    m_event.reset();
    m_raw->clear();
    showRequestMessage(QString());
}

QString RawPanel::eventText() const
{
    return m_raw->toPlainText();
}

void RawPanel::setView(View view)
{
    (view == RequestView ? m_requestButton : m_eventButton)->setChecked(true);
    m_rawStack->setCurrentIndex(view);
    m_hex->setEnabled(view == RequestView && m_request && !m_request->request.body.empty());
}

QString RawPanel::requestSummary() const
{
    return QTextDocumentFragment::fromHtml(m_requestSummary->text()).toPlainText();
}

std::pair<qint64, qint64> RawPanel::requestSlice() const
{
    if (!m_request || m_request->slice.size() == 0)
        return {-1, -1};
    return {qint64(m_request->slice.begin), qint64(m_request->slice.end)};
}

bool RawPanel::requestShown() const
{
    return m_event && m_requestSeq == m_event->seq && !m_requestLoading;
}

void RawPanel::fillEvent()
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
    if (const EventStore::Upstream* up = m_capture->store()->upstream(e.requestId)) {
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

void RawPanel::ensureRequest()
{
    if (!m_event || m_requestSeq == m_event->seq)
        return;
    loadRequest();
}

void RawPanel::loadRequest()
{
    const EventPtr event = m_event;
    showRequestMessage(QString());
    m_requestSeq = event->seq;
    const quint64 generation = m_requestGeneration;
    // The session file is read here (one row by its key: fast); decoding and slicing, which grow with the body, on
    // a worker.
    JournalRequest request;
    std::string why;
    if (!m_capture->request(event->requestId, request, why)) {
        const QString error = qs(why);
        showRequestMessage(tr("<p><b>Request #%1 cannot be shown</b>: %2.</p><p>The <b>Event</b> view shows the "
                              "normalised event as decoded from it.</p>")
                               .arg(event->requestId)
                               .arg(error.toHtmlEscaped()));
        return;
    }
    m_requestLoading = true;
    m_requestSummary->setText(tr("<i>Decoding request #%1…</i>").arg(event->requestId));
    const std::size_t index = indexInRequest(*m_capture->store(), *event);
    QPointer<RawPanel> self(this);
    QThreadPool::globalInstance()->start([self, generation, request = std::move(request), uuid = event->uuid(), index,
                                             limits = m_capture->decodeLimits()]() mutable {
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

void RawPanel::showRequestMessage(const QString& html)
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

void RawPanel::showRequest(std::shared_ptr<const RawRequest> raw)
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

void RawPanel::fillBody()
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

} // namespace el::ui
