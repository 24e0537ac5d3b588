// SPDX-License-Identifier: MIT
// Writes a session file (.elsession) as the sink writes it: the given events in one POST /batch/ request, flushed and
// acknowledged, then closed cleanly. For the tests that read such files (`check`, `infer`, `diff`).
#pragma once

#include "model/event.h"
#include "store/journal.h"

#include <QString>

#include <memory>
#include <utility>
#include <vector>

namespace eltest {

/** Writes \a events to a new session file at \a path. Returns why it could not (empty when it could). */
inline QString writeSessionFile(
    const QString& path, std::vector<el::EventPtr> events, qint64 receivedMs = 1700000000000)
{
    el::SessionJournal journal;
    std::string why;
    if (!journal.open(path, why))
        return QStringLiteral("cannot open %1: %2").arg(path, QString::fromStdString(why));
    el::JournalRequest request;
    request.id = 1;
    request.receivedMs = receivedMs;
    request.method = "POST";
    request.path = "/batch/";
    request.body = "{}";
    bool acked = false;
    journal.append(std::move(request), std::move(events), [&acked](bool ok) { acked = ok; });
    if (!journal.flush())
        return QStringLiteral("%1: the flush failed").arg(path);
    if (!acked)
        return QStringLiteral("%1: the request was not acknowledged").arg(path);
    journal.close();
    return {};
}

/** The same for events held by value (as el::OfflineInput holds them). */
inline QString writeSessionFile(const QString& path, std::vector<el::Event> events, qint64 receivedMs = 1700000000000)
{
    std::vector<el::EventPtr> shared;
    shared.reserve(events.size());
    for (el::Event& e : events)
        shared.push_back(std::make_shared<el::Event>(std::move(e)));
    return writeSessionFile(path, std::move(shared), receivedMs);
}

} // namespace eltest
