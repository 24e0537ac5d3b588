// SPDX-License-Identifier: MIT
#include "listenercontroller.h"

#include "pipeline/sinkcontrol.h"
#include "settingsdialog.h"
#include "statusbar.h"

#include <QHostAddress>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QUrl>

namespace el::ui {

ListenerController::ListenerController(StatusBar* statusBar, QWidget* window)
    : QObject(window)
    , m_statusBar(statusBar)
    , m_window(window)
{ }

bool ListenerController::startListening(const QHostAddress& address, quint16 port, bool interactive)
{
    const QString where
        = (address.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + address.toString() + u']' : address.toString())
        + u':' + QString::number(port);
    if (!m_sink || !m_sink->listen(address, port)) {
        m_error = m_sink ? tr("Cannot listen on %1: %2").arg(where, m_sink->errorString())
                         : tr("This window has no sink to start");
        m_statusBar->showNotListening(m_error);
        Q_EMIT notListening();
        if (interactive)
            QTimer::singleShot(0, this, [this] { showListenError(m_error); });
        return false;
    }
    m_error.clear();
    const QString url = m_sink->url();
    m_statusBar->showListening(url);
    Q_EMIT listening(url, m_sink->upstreamUrl().toString());
    return true;
}

void ListenerController::showListenError(const QString& message)
{
    auto* box = new QMessageBox(
        QMessageBox::Warning, tr("EventLens is not listening"), message, QMessageBox::NoButton, m_window);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setInformativeText(tr("Another program (or another EventLens) may be using the port. Choose another port "
                               "or address in the settings, then the listener restarts."));
    QPushButton* settings = box->addButton(tr("Open Settings…"), QMessageBox::AcceptRole);
    QPushButton* retry = box->addButton(tr("Retry"), QMessageBox::ActionRole);
    box->addButton(QMessageBox::Close);
    connect(box, &QMessageBox::finished, this, [this, box, settings, retry] {
        if (box->clickedButton() == settings)
            Q_EMIT settingsRequested();
        else if (box->clickedButton() == retry)
            restartListener();
    });
    box->open();
}

void ListenerController::restartListener()
{
    const GuiSettings s = GuiSettings::load();
    QHostAddress address;
    if (s.bind == QLatin1String("localhost") || !address.setAddress(s.bind))
        address = QHostAddress(QHostAddress::LocalHost);
    startListening(address, static_cast<quint16>(s.port));
}

void ListenerController::offerRestart(const GuiSettings& chosen)
{
    const bool listening = m_sink && m_sink->isListening();
    const bool listenChanged = !listening || chosen.port != m_sink->port()
        || (chosen.bind != m_sink->address().toString()
            && !(chosen.bind == QLatin1String("localhost") && m_sink->address().isLoopback()));
    if (!listenChanged)
        return;
    const auto answer = QMessageBox::question(m_window, tr("Restart the listener?"),
        tr("Listen on %1 port %2 now? SDKs pointed at the current address stop reaching EventLens.")
            .arg(chosen.bind)
            .arg(chosen.port),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
    if (answer == QMessageBox::Yes)
        restartListener();
    else
        m_statusBar->showMessage(tr("The new address applies on the next start or File ▸ Restart Listener"), 6000);
}

} // namespace el::ui
