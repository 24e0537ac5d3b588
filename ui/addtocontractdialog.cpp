// SPDX-License-Identifier: MIT
#include "addtocontractdialog.h"

#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/infer.h"
#include "jsonhighlighter.h"
#include "model/savefile.h"
#include "pipeline/capture.h"
#include "uiutil.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QStandardPaths>
#include <QStringList>
#include <QStyle>
#include <QTextBlock>
#include <QTextDocumentFragment>
#include <QVBoxLayout>

#include <algorithm>
#include <set>
#include <vector>

namespace el::ui {

namespace {

const QLatin1String kBuiltinPrefix("builtin:");

/** \a n NAME events ("1 ui_click event", "3 ui_click events"). */
QString eventsOf(std::size_t n, const std::string& name)
{
    return n == 1 ? QObject::tr("1 %1 event").arg(qs(name))
                  : QObject::tr("%1 %2 events").arg(formatCount(static_cast<qint64>(n)), qs(name));
}

/** The contract's JSON text as it is now: the file at \a origin, or the built-in's resource. */
bool contractText(const QString& origin, std::string& text, QString& error)
{
    const bool builtin = origin.startsWith(kBuiltinPrefix);
    QFile file(builtin ? QStringLiteral(":/contracts/%1.json").arg(origin.mid(kBuiltinPrefix.size())) : origin);
    if (!file.open(QIODevice::ReadOnly)) {
        error = builtin ? QObject::tr("The built-in contract %1 is not in this build.").arg(origin)
                        : QObject::tr("Cannot read %1: %2").arg(origin, file.errorString());
        return false;
    }
    text = file.readAll().toStdString();
    return true;
}

} // namespace

QString ContractAddition::where() const
{
    return property.empty() ? QStringLiteral("events.%1").arg(qs(event))
                            : QStringLiteral("events.%1.schema.properties.%2").arg(qs(event), qs(property));
}

bool canAddToContract(const Capture& capture, const std::string& event, const std::string& property)
{
    const std::shared_ptr<const Contract> contract = capture.contract();
    if (!contract || event.empty() || capture.contractOrigin().empty())
        return false;
    if (property.empty())
        return isUnplannedEvent(*contract, event);
    return contract->event(event) && !isPostHogProperty(property) && !namedProperties(*contract, event).count(property);
}

bool proposeAddition(const Capture& capture, const std::string& event, const std::string& property,
    ContractAddition& out, QString& error)
{
    const std::shared_ptr<const Contract> contract = capture.contract();
    if (!contract || capture.contractOrigin().empty()) {
        error = QObject::tr("No contract is loaded.");
        return false;
    }
    if (!canAddToContract(capture, event, property)) {
        error = property.empty()
            ? QObject::tr("The contract plans or allows %1 already.").arg(qs(event))
            : QObject::tr("The contract names %1 for %2 already, or does not plan %2.").arg(qs(property), qs(event));
        return false;
    }
    std::vector<Json> properties;
    std::size_t carriers = 0;
    for (const EventPtr& e : capture.store()->events()) {
        if (e->recording || e->field(Event::Field::Name) != event)
            continue;
        properties.push_back(e->properties());
        carriers += !property.empty() && properties.back().contains(property);
    }
    ContractAddition a;
    a.event = event;
    a.property = property;
    a.events = properties.size();
    a.carriers = carriers;
    if (property.empty()) {
        const std::set<std::string> named = namedProperties(*contract, event);
        a.piece = inferEventSchema(event, properties, std::vector<std::string>(named.begin(), named.end()));
    } else {
        a.piece = inferPropertySchema(event, property, properties);
    }
    a.origin = qs(capture.contractOrigin());
    a.builtin = a.origin.startsWith(kBuiltinPrefix);
    a.target = a.builtin ? suggestedCopyPath(a.origin) : a.origin;
    out = std::move(a);
    return true;
}

bool writeAddition(const ContractAddition& addition, const QString& path, QString& error)
{
    std::string text;
    if (!contractText(addition.origin, text, error))
        return false;
    std::string merged;
    std::string why;
    if (!addToContractText(text, addition.event, addition.property, addition.piece, merged, why)) {
        error = QObject::tr("Cannot add %1 to %2: %3").arg(addition.where(), addition.origin, qs(why));
        return false;
    }
    // The parser has the last word: a document it refuses is never written.
    if (!parseContract(merged, path.toStdString(), why)) {
        error = QObject::tr("With %1 added, the contract does not load, so nothing was written:\n%2")
                    .arg(addition.where(), qs(why));
        return false;
    }
    std::string saveError;
    if (!saveFile(path, merged, saveError)) {
        error = QObject::tr("Cannot write %1").arg(qs(saveError));
        return false;
    }
    return true;
}

QString suggestedCopyPath(const QString& origin)
{
    QString name = origin.startsWith(kBuiltinPrefix) ? origin.mid(kBuiltinPrefix.size()) : QFileInfo(origin).baseName();
    if (name.isEmpty())
        name = QStringLiteral("contract");
    QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (dir.isEmpty())
        dir = QDir::homePath();
    return QDir(dir).filePath(name + QStringLiteral("-custom.json"));
}

AddToContractDialog::AddToContractDialog(const ContractAddition& a, QWidget* parent)
    : QDialog(parent)
    , m_title(new QLabel(this))
    , m_source(new QLabel(this))
    , m_where(new QLabel(this))
    , m_schema(new QPlainTextEdit(this))
    , m_target(new QLabel(this))
{
    setObjectName(QStringLiteral("addToContractDialog"));
    setWindowTitle(tr("Add to Contract"));
    auto* layout = new QVBoxLayout(this);
    layout->setSpacing(8);

    const QString event = qs(a.event).toHtmlEscaped();
    const QString property = qs(a.property).toHtmlEscaped();
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    m_title->setFont(titleFont);
    m_title->setObjectName(QStringLiteral("addToContractTitle"));
    m_title->setTextFormat(Qt::RichText);
    m_title->setWordWrap(true);
    m_title->setText(a.property.empty()
            ? tr("Add the event <b>%1</b> to the contract").arg(event)
            : tr("Add the property <b>%1</b> of <b>%2</b> to the contract").arg(property, event));
    layout->addWidget(m_title);

    m_source->setObjectName(QStringLiteral("addToContractSource"));
    m_source->setTextFormat(Qt::RichText);
    m_source->setWordWrap(true);
    if (a.property.empty())
        m_source->setText(
            tr("Inferred from the <b>%1</b> in this session: each property seen, with its type (an enum for "
               "low-cardinality strings, a format for UUIDs and date-times), required when every event carried it. "
               "PostHog's own properties ($…, token, distinct_id) and those the contract's globals and "
               "super-properties name are left to them.")
                .arg(eventsOf(a.events, a.event).toHtmlEscaped()));
    else
        m_source->setText(tr("Inferred from the <b>%1</b> in this session: %2 of them carry %3. It is added to the "
                             "event's properties, not to its required ones.")
                              .arg(eventsOf(a.events, a.event).toHtmlEscaped(),
                                  formatCount(static_cast<qint64>(a.carriers)), property));
    layout->addWidget(m_source);

    m_where->setObjectName(QStringLiteral("addToContractWhere"));
    m_where->setTextFormat(Qt::RichText);
    m_where->setText(tr("Goes into <code>%1</code>:").arg(a.where().toHtmlEscaped()));
    layout->addWidget(m_where);

    m_schema->setObjectName(QStringLiteral("addToContractSchema"));
    m_schema->setReadOnly(true);
    m_schema->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_schema->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    new JsonHighlighter(m_schema->document());
    m_schema->setPlainText(qs(a.piece.dump(2, ' ', false, Json::error_handler_t::replace)));
    layout->addWidget(m_schema, 1);

    m_target->setObjectName(QStringLiteral("addToContractTarget"));
    m_target->setTextFormat(Qt::RichText);
    m_target->setWordWrap(true);
    m_target->setTextInteractionFlags(Qt::TextSelectableByMouse);
    const QString file = QDir::toNativeSeparators(a.target).toHtmlEscaped();
    if (a.builtin)
        m_target->setText(tr("The built-in contract <b>%1</b> cannot be changed: a copy of it with this addition is "
                             "saved to a file you choose (suggested: %2), and the window switches to that copy.")
                              .arg(a.origin.mid(kBuiltinPrefix.size()).toHtmlEscaped(), file));
    else
        m_target->setText(tr("Written to the contract file <b>%1</b> (pretty-printed, its keys in their order), "
                             "which is then reloaded: every event is checked again.")
                              .arg(file));
    layout->addWidget(m_target);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(a.builtin ? tr("Save a Copy…") : tr("Add to %1").arg(QFileInfo(a.target).fileName()));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    // As large as the schema, within reason: a property's few lines leave no empty box, a large event scrolls.
    const QFontMetrics fm(m_schema->font());
    int widest = 0;
    for (QTextBlock b = m_schema->document()->begin(); b.isValid(); b = b.next())
        widest = std::max(widest, fm.horizontalAdvance(b.text()));
    const int frame = 2 * m_schema->frameWidth() + 2 * static_cast<int>(m_schema->document()->documentMargin());
    const int scrollBar = style()->pixelMetric(QStyle::PM_ScrollBarExtent);
    const int lines = m_schema->document()->blockCount();
    const QRect screen = this->screen() ? this->screen()->availableGeometry() : QRect(0, 0, 1280, 900);
    const int width = std::clamp(widest + frame + scrollBar + 2 * layout->contentsMargins().left() + 8, 720,
        std::max(720, std::min(1100, screen.width() * 9 / 10)));
    m_schema->setMinimumHeight(fm.lineSpacing() * std::min(lines, 6) + frame + scrollBar);
    m_schema->setFixedHeight(fm.lineSpacing() * std::clamp(lines, 6, 32) + frame + scrollBar);
    const int height
        = layout->hasHeightForWidth() ? layout->totalHeightForWidth(width) : layout->totalSizeHint().height();
    m_schema->setMaximumHeight(QWIDGETSIZE_MAX);
    m_schema->setMinimumHeight(fm.lineSpacing() * std::min(lines, 6) + frame + scrollBar);
    resize(width, std::min(height, screen.height() * 9 / 10));
}

QString AddToContractDialog::summaryText() const
{
    QStringList parts;
    for (const QLabel* label : {m_title, m_source, m_where, m_target})
        parts << QTextDocumentFragment::fromHtml(label->text()).toPlainText();
    return parts.join(u'\n');
}

} // namespace el::ui
