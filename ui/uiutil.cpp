// SPDX-License-Identifier: MIT
#include "uiutil.h"
#include "contract/jsonschema.h"
#include "util/text.h"

#include <QDateTime>
#include <QFile>
#include <QFontMetrics>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>
#include <QTableView>
#include <QTreeView>

#include <algorithm>

static void initUiResourcesOnce()
{
    Q_INIT_RESOURCE(ui);
}

namespace el::ui {

void initResources()
{
    static const bool done = [] {
        initUiResourcesOnce();
        return true;
    }();
    Q_UNUSED(done);
}

QString jsonScalarText(const Json& value)
{
    if (value.is_string())
        return qs(value.get_ref<const std::string&>());
    return qs(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

QString jsonPreview(const Json& value, int maxChars)
{
    QString text = jsonScalarText(value);
    if (text.size() > maxChars)
        text = text.left(maxChars - 1) + QChar(0x2026);
    text.replace(QLatin1Char('\n'), QChar(0x21b5));
    return text;
}

QString jsonTypeName(const Json& value)
{
    return QString::fromStdString(el::jsonTypeName(value));
}

std::vector<std::string> splitPointer(const std::string& pointer)
{
    std::vector<std::string> tokens;
    if (pointer.empty())
        return tokens;
    std::size_t pos = pointer.front() == '/' ? 1 : 0;
    while (true) {
        const std::size_t next = pointer.find('/', pos);
        std::string raw = pointer.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        std::string token;
        token.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                token.push_back(raw[i + 1] == '0' ? '~' : '/');
                ++i;
            } else {
                token.push_back(raw[i]);
            }
        }
        tokens.push_back(std::move(token));
        if (next == std::string::npos)
            break;
        pos = next + 1;
    }
    return tokens;
}

QString formatTime(qint64 msSinceEpoch, bool withDate)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(msSinceEpoch);
    return t.toString(withDate ? QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz") : QStringLiteral("HH:mm:ss.zzz"));
}

QString formatDuration(qint64 ms)
{
    if (ms < 0)
        return QString();
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60 * 1000)
        return QStringLiteral("%1 s").arg(static_cast<double>(ms) / 1000.0, 0, 'f', ms < 10000 ? 2 : 1);
    const qint64 s = ms / 1000;
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0'));
}

QString formatCount(qint64 n)
{
    return QLocale().toString(n);
}

std::string lowerUtf8(std::string_view s)
{
    const bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!ascii)
        return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())).toLower().toStdString();
    return el::asciiLower(s);
}

bool containsIgnoreCase(const std::string& haystack, const std::string& needleLower)
{
    if (needleLower.empty())
        return true;
    const auto it = std::search(haystack.begin(), haystack.end(), needleLower.begin(), needleLower.end(),
        [](char a, char b) { return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b; });
    return it != haystack.end();
}

QIcon appIcon(const char* name)
{
    initResources();
    return QIcon(QStringLiteral(":/icons/") + QLatin1String(name) + QStringLiteral(".svg"));
}

QIcon themeIcon(const char* themeName, const char* fallbackName)
{
    return QIcon::fromTheme(QLatin1String(themeName), appIcon(fallbackName));
}

QString statusText(int errors, int warnings)
{
    if (errors == 0 && warnings == 0)
        return QStringLiteral("ok");
    QStringList parts;
    if (errors > 0)
        parts << (errors == 1 ? QStringLiteral("1 error") : QStringLiteral("%1 errors").arg(errors));
    if (warnings > 0)
        parts << (warnings == 1 ? QStringLiteral("1 warning") : QStringLiteral("%1 warnings").arg(warnings));
    return parts.join(QStringLiteral(", "));
}

QIcon statusIcon(int errors, int warnings)
{
    static const QIcon ok = appIcon("status-ok");
    static const QIcon warning = appIcon("status-warning");
    static const QIcon error = appIcon("status-error");
    return errors > 0 ? error : warnings > 0 ? warning : ok;
}

void setUpTableRows(QTableView* view)
{
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
}

void setUpListTable(QTableView* view)
{
    setUpTableRows(view);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->setShowGrid(false);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
}

void setUpFlatList(QTreeView* view, int stretchColumn)
{
    view->setRootIsDecorated(false);
    view->setUniformRowHeights(true);
    view->setAlternatingRowColors(true);
    if (stretchColumn >= 0) {
        view->header()->setStretchLastSection(false);
        view->header()->setSectionResizeMode(stretchColumn, QHeaderView::Stretch);
    }
}

void setUpPlaceholder(QLabel* label)
{
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setEnabled(false);
}

namespace colors {
QColor error()
{
    return QColor(0xd9, 0x2d, 0x20);
}
QColor warning()
{
    return QColor(0xb2, 0x6b, 0x00);
}
QColor ok()
{
    return QColor(0x1e, 0x8e, 0x3e);
}
QColor errorRowBackground()
{
    return QColor(0xe5, 0x39, 0x35, 0x30);
}
QColor highlightBackground()
{
    return QColor(0xff, 0xc1, 0x07, 0x70);
}
} // namespace colors

int badgeWidth(const QString& text, const QFont& font)
{
    return QFontMetrics(font).horizontalAdvance(text) + 14;
}

int paintBadge(
    QPainter* painter, const QRect& rect, const QString& text, const QColor& color, bool hollow, const QFont& font)
{
    const QFontMetrics fm(font);
    const int h = std::min(rect.height() - 4, fm.height() + 3);
    const int w = std::min(rect.width() - 6, badgeWidth(text, font));
    if (w <= 8 || h <= 4)
        return 0;
    const QRectF pill(rect.left() + 4.5, rect.top() + (rect.height() - h) / 2.0 + 0.5, w - 1, h - 1);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    QPainterPath path;
    path.addRoundedRect(pill, h / 2.0, h / 2.0);
    if (hollow) {
        QPen pen(color, 1.2, Qt::DashLine);
        painter->setPen(pen);
        painter->setBrush(Qt::NoBrush);
        painter->drawPath(path);
        painter->setPen(color);
    } else {
        painter->setPen(Qt::NoPen);
        painter->setBrush(color);
        painter->drawPath(path);
        painter->setPen(Qt::white);
    }
    painter->setFont(font);
    const QString elided = fm.elidedText(text, Qt::ElideRight, static_cast<int>(pill.width()) - 10);
    painter->drawText(pill, Qt::AlignCenter, elided);
    painter->restore();
    return w + 4;
}

} // namespace el::ui
