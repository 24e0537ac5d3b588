// SPDX-License-Identifier: MIT
#include "controller.h"

#include "pipeline/capture.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <csignal>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace el {

namespace {

int g_signalFd[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(g_signalFd[1], &c, 1);
}

} // namespace

Controller::Controller(Capture* capture, Config config, QObject* parent)
    : QObject(parent)
    , m_capture(capture)
    , m_config(std::move(config))
{ }

Controller::~Controller()
{
    stop();
}

bool Controller::listen(const QHostAddress& address, quint16 port)
{
    m_server.reset(); // the old listener goes first: the new one may want its port
    auto server = std::make_unique<IngestServer>(m_capture);
    server->setUpstream(m_config.upstream);
    server->setFaults(&m_faults); // injected faults outlive a restart of the listener
    server->http()->setLimits(m_config.limits);
    server->setToken(m_config.token);
    server->setAllowedContractFiles(m_config.allowedContractFiles);
    if (!server->listen(address, port)) {
        m_error = server->errorString();
        return false;
    }
    m_error.clear();
    connect(server.get(), &IngestServer::requestLogged, this, &Controller::requestLogged);
    m_server = std::move(server);
    return true;
}

QString Controller::url() const
{
    return m_server ? m_server->url() : QString();
}

QHostAddress Controller::address() const
{
    return m_server ? m_server->address() : QHostAddress();
}

quint16 Controller::port() const
{
    return m_server ? m_server->port() : 0;
}

void Controller::stop()
{
    m_server.reset();
    m_capture->drainIngests();
    m_capture->closeSessionFile();
}

void Controller::quitOnSignals(QCoreApplication* app)
{
    if (g_signalFd[0] >= 0 || ::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFd) != 0)
        return;
    auto* notifier = new QSocketNotifier(g_signalFd[0], QSocketNotifier::Read, app);
    QObject::connect(notifier, &QSocketNotifier::activated, app, [notifier] {
        notifier->setEnabled(false);
        char c;
        [[maybe_unused]] const auto n = ::read(g_signalFd[0], &c, 1);
        QCoreApplication::quit();
    });
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

} // namespace el
