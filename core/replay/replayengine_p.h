// SPDX-License-Identifier: MIT
#pragma once

// Private to the replay engine: what its files share. The run (probe, steps, faults) is in replayengine.cpp,
// sending events as the SDKs do in replaysend.cpp, collecting and judging the verdict in replayverdict.cpp.

#include "replayengine.h"

#include <QNetworkReply>
#include <QNetworkRequest>

#include <cmath>

namespace el::replay_detail {

/** The HTTP status of \a reply; 0 when there was none (a network error). */
inline int httpStatus(QNetworkReply* reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

/** A recorded wait of \a ms at \a speed (see ReplayOptions::speed: <= 0 means no wait). */
inline qint64 scaledMs(qint64 ms, double speed)
{
    return speed > 0 ? static_cast<qint64>(std::llround(static_cast<double>(ms) / speed)) : 0;
}

} // namespace el::replay_detail

namespace el {

template<typename F> void ReplayEngine::onReply(QNetworkReply* reply, F handler)
{
    m_reply = reply;
    const quint64 generation = m_generation;
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation, handler] {
        reply->deleteLater();
        if (generation != m_generation || m_cancelled)
            return;
        m_reply = nullptr;
        handler(reply);
    });
}

} // namespace el
