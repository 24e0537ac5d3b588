// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/ingestserver.h"
#include "pipeline/sinkcontrol.h"

#include <QObject>

#include <memory>
#include <string>
#include <vector>

class QCoreApplication;

namespace el {

class Capture;

/**
 * \brief Owns the sink's listener and its life: start, restart, stop and the signals that end it, for
 * the window and for headless mode alike.
 *
 * Every listener it starts gets the same configuration (what the command line asked for: pass-through,
 * limits, token, contract files the API may load). SIGINT and SIGTERM quit the event loop; then stop()
 * closes the listener and the session file cleanly (flushed, marked clean), so the next start does not
 * "recover" it.
 */
class Controller final : public QObject, public SinkControl
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Controller)
public:
    struct Config
    {
        UpstreamConfig upstream;
        HttpLimits limits;
        std::string token;
        std::vector<std::string> allowedContractFiles;
    };

    Controller(Capture* capture, Config config, QObject* parent = nullptr);
    ~Controller() override;

    bool listen(const QHostAddress& address, quint16 port) override;
    bool isListening() const override { return m_server != nullptr; }
    QString url() const override;
    QHostAddress address() const override;
    quint16 port() const override;
    QString errorString() const override { return m_error; }
    QUrl upstreamUrl() const override { return m_config.upstream.url; }

    /** The running listener, or nullptr. */
    IngestServer* server() const { return m_server.get(); }
    /** The faults injected into the sink's answers (POST /eventlens/v1/faults; the window's Faults panel). */
    FaultInjector* faults() override { return &m_faults; }
    /** Closes the listener, commits what is in flight and closes the session file cleanly. Idempotent. */
    void stop();
    /** From now on SIGINT and SIGTERM quit \a app's event loop (a self-pipe: nothing unsafe in the handler). */
    static void quitOnSignals(QCoreApplication* app);

Q_SIGNALS:
    /** One line per request of the current listener (headless mode prints them to stderr). */
    void requestLogged(const QString& line);

private:
    Capture* m_capture;
    Config m_config;
    FaultInjector m_faults; ///< declared before m_server: the servers point to it
    std::unique_ptr<IngestServer> m_server;
    QString m_error;
};

} // namespace el
