// SPDX-License-Identifier: MIT
#include "settingsdialog.h"

#include "uiutil.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace el::ui {

GuiSettings GuiSettings::load()
{
    QSettings s;
    GuiSettings g;
    g.bind = s.value(QStringLiteral("listen/bind"), g.bind).toString();
    g.port = s.value(QStringLiteral("listen/port"), g.port).toInt();
    g.contract = s.value(QStringLiteral("contract/path"), g.contract).toString();
    g.rowCap = std::max(1000, s.value(QStringLiteral("view/rowCap"), g.rowCap).toInt());
    return g;
}

void GuiSettings::save() const
{
    QSettings s;
    s.setValue(QStringLiteral("listen/bind"), bind);
    s.setValue(QStringLiteral("listen/port"), port);
    s.setValue(QStringLiteral("contract/path"), contract);
    s.setValue(QStringLiteral("view/rowCap"), rowCap);
}

SettingsDialog::SettingsDialog(
    const GuiSettings& settings, const QStringList& builtinContracts, qint64 eventsInMemory, QWidget* parent)
    : QDialog(parent)
    , m_bind(new QComboBox(this))
    , m_port(new QSpinBox(this))
    , m_contract(new QComboBox(this))
    , m_rowCap(new QSpinBox(this))
    , m_rowCapNote(new QLabel(this))
{
    setWindowTitle(tr("EventLens Settings"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);

    m_bind->setEditable(true);
    m_bind->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    m_bind->addItems({QStringLiteral("127.0.0.1"), QStringLiteral("::1"), QStringLiteral("0.0.0.0")});
    m_bind->setCurrentText(settings.bind);
    m_bind->setToolTip(tr("Anything but a loopback address exposes the sink and its inspection API to the network."));
    form->addRow(tr("&Bind address:"), m_bind);

    m_port->setRange(0, 65535);
    m_port->setValue(settings.port);
    m_port->setSpecialValueText(tr("any free port"));
    form->addRow(tr("&Port:"), m_port);
    auto* listenNote = new QLabel(tr("<small>Address and port apply when the listener restarts "
                                     "(File ▸ Restart Listener) or on the next start.</small>"),
        this);
    listenNote->setWordWrap(true);
    listenNote->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    listenNote->setEnabled(false);
    form->addRow(QString(), listenNote);

    auto* contractRow = new QHBoxLayout;
    m_contract->setEditable(true);
    for (const QString& name : builtinContracts)
        m_contract->addItem(QStringLiteral("builtin:") + name);
    m_contract->setCurrentText(settings.contract);
    m_contract->setMinimumContentsLength(28);
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, &SettingsDialog::browse);
    contractRow->addWidget(m_contract, 1);
    contractRow->addWidget(browse);
    auto* contractLabel = new QLabel(tr("&Contract:"), this);
    contractLabel->setBuddy(m_contract);
    form->addRow(contractLabel, contractRow);

    m_rowCap->setObjectName(QStringLiteral("rowCap"));
    m_rowCap->setRange(1000, 10000000);
    m_rowCap->setSingleStep(10000);
    m_rowCap->setGroupSeparatorShown(true);
    m_rowCap->setValue(settings.rowCap);
    m_rowCap->setSuffix(tr(" events"));
    m_rowCap->setToolTip(tr("The table keeps the newest events up to this count, and never more than the events "
                            "kept in memory (--max-events-in-memory, 200,000 by default); older ones stay in the "
                            "session file."));
    form->addRow(tr("&Row cap:"), m_rowCap);
    // The window of this session (--max-events-in-memory) caps the table below a larger row cap: say so where the
    // cap is chosen, with this session's figure.
    m_rowCapNote->setText(tr("<small>This session keeps the newest %1 events in memory (--max-events-in-memory): "
                             "the table shows at most that many.</small>")
                              .arg(formatCount(eventsInMemory)));
    m_rowCapNote->setWordWrap(true);
    m_rowCapNote->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_rowCapNote->setEnabled(false);
    form->addRow(QString(), m_rowCapNote);
    const auto updateNote
        = [this, eventsInMemory](int cap) { m_rowCapNote->setVisible(eventsInMemory > 0 && cap > eventsInMemory); };
    updateNote(m_rowCap->value());
    connect(m_rowCap, &QSpinBox::valueChanged, this, updateNote);
    layout->addLayout(form);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(m_bind, &QComboBox::editTextChanged, this, [this, buttons] {
        QHostAddress a;
        const QString text = m_bind->currentText().trimmed();
        const bool ok = text == QLatin1String("localhost") || a.setAddress(text);
        buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
    });
    setMinimumWidth(560);
    resize(560, sizeHint().height());
}

void SettingsDialog::browse()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose a contract"), QString(), tr("Contracts (*.json);;All files (*)"));
    if (!path.isEmpty())
        m_contract->setCurrentText(path);
}

GuiSettings SettingsDialog::settings() const
{
    GuiSettings g;
    g.bind = m_bind->currentText().trimmed();
    g.port = m_port->value();
    g.contract = m_contract->currentText().trimmed();
    g.rowCap = m_rowCap->value();
    return g;
}

} // namespace el::ui
