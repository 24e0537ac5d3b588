// SPDX-License-Identifier: MIT
#pragma once

#include <QHostAddress>
#include <QString>
#include <QUrl>

namespace el {

class FaultInjector;

/**
 * \brief The sink's listener as the window drives it. The application's controller (app/controller.h)
 * implements it and owns the listener, for the window and for headless mode alike; the window only asks
 * it to listen elsewhere (settings, File ▸ Restart Listener) and shows where it listens.
 */
class SinkControl
{
public:
    virtual ~SinkControl() = default;

    /** (Re)starts the sink on \a address : \a port; false with errorString() (then nothing listens). */
    virtual bool listen(const QHostAddress& address, quint16 port) = 0;
    virtual bool isListening() const = 0;
    /** e.g. "http://127.0.0.1:8484" (empty when not listening). */
    virtual QString url() const = 0;
    virtual QHostAddress address() const = 0;
    virtual quint16 port() const = 0;
    virtual QString errorString() const = 0;
    /** The pass-through upstream (empty: sink only). */
    virtual QUrl upstreamUrl() const = 0;
    /** The faults injected into the sink's answers, kept across restarts (the window's Faults panel). */
    virtual FaultInjector* faults() = 0;
};

} // namespace el
