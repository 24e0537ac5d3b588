// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QString>

class QHostAddress;
class QWidget;

namespace el {
class SinkControl;
} // namespace el

namespace el::ui {

struct GuiSettings;
class StatusBar;

/**
 * \brief Where the window's sink listens: (re)starts it on an address from the settings, says in the status bar
 * where it listens or why it does not, and offers the settings or a retry in a dialog on \a window when it cannot.
 */
class ListenerController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ListenerController)
public:
    ListenerController(StatusBar* statusBar, QWidget* window);

    /** The listener (owned by the application's controller); none: not listening. */
    void setSink(SinkControl* sink) { m_sink = sink; }
    SinkControl* sink() const { return m_sink; }
    /** Why the last start failed (empty when it did not). */
    QString error() const { return m_error; }

    /** See MainWindow::startListening(). */
    bool startListening(const QHostAddress& address, quint16 port, bool interactive = true);
    /** Listens on the address and port from the settings. */
    void restartListener();
    /** \a chosen was just saved: when it names another address, asks whether to listen there now. */
    void offerRestart(const GuiSettings& chosen);

Q_SIGNALS:
    /** The sink listens on \a url (its upstream, if any: \a upstream). */
    void listening(const QString& url, const QString& upstream);
    /** A start failed: error() says why. */
    void notListening();
    /** The user chose Open Settings… in the dialog of a failed start. */
    void settingsRequested();

private:
    void showListenError(const QString& message);

    StatusBar* m_statusBar;
    QWidget* m_window;
    SinkControl* m_sink = nullptr;
    QString m_error;
};

} // namespace el::ui
