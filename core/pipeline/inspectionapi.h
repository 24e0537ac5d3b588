// SPDX-License-Identifier: MIT
#pragma once

#include "transport/httpserver.h"

#include <QObject>

#include <functional>
#include <list>
#include <string>
#include <vector>

class QTimer;

namespace el {

class FaultInjector;
class Capture;

/**
 * \brief The inspection API under /eventlens/v1/ (health, events with long polls, rejected requests,
 * violations, runs, check, contract, reset).
 *
 * Reads the session through its public interface only; changes (reset, a contract upload) take their
 * ticket in the capture pipeline (Capture::applyInOrder()), so they land after every request that
 * arrived before them, and the caller is answered once they are applied.
 */
class InspectionApi final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InspectionApi)
public:
    explicit InspectionApi(Capture* capture, QObject* parent = nullptr);
    ~InspectionApi() override;

    /**
     * Contract files the API may load by name (POST /eventlens/v1/contract?name=FILE): only these (the
     * operator named them at startup) and builtin:NAME. Anything else is 403.
     */
    void setAllowedContractFiles(const std::vector<std::string>& files) { m_allowedContractFiles = files; }
    /** The faults /eventlens/v1/faults lists and changes (the IngestServer's; not owned). */
    void setFaults(FaultInjector* faults) { m_faults = faults; }

    /** Called for every answer: refused calls (status >= 400) are also kept as rejected requests. */
    using Logger = std::function<void(const HttpRequest& request, int status, const std::string& detail)>;
    void setLogger(Logger logger) { m_log = std::move(logger); }

    /** Answers one request to /eventlens/v1/...; \a loopbackListener turns on the DNS-rebinding guard. */
    void handle(const HttpRequest& request, const HttpResponderPtr& responder, bool loopbackListener);

private:
    struct Waiter
    {
        HttpResponderPtr responder;
        qint64 since = 0;
        std::string event;
        EventScope scope;
        std::size_t limit = 1000;
        QTimer* timer = nullptr;
    };

    void answer(const HttpRequest& request, const HttpResponderPtr& responder, const HttpResponse& response);
    void change(const HttpRequest& request, const HttpResponderPtr& responder, const std::string& route);
    /** GET, POST and DELETE /eventlens/v1/faults, DELETE /eventlens/v1/faults/ID. */
    void faults(const HttpRequest& request, const HttpResponderPtr& responder, const std::string& route);
    Json eventsPage(
        qint64 since, const std::string& event, const EventScope& scope, std::size_t limit, bool* any) const;
    /** {"kind","done","total"} while the session runs a background job (reload, open, import), else null. */
    Json reloading() const;
    void onEventsAdded();
    bool contractNameAllowed(const std::string& name) const;

    Capture* m_capture;
    FaultInjector* m_faults = nullptr;
    std::list<Waiter> m_waiters;
    std::vector<std::string> m_allowedContractFiles;
    Logger m_log;
};

} // namespace el
