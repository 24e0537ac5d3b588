// SPDX-License-Identifier: MIT
// Test-side event construction: what the contract engine needs of an event (seq, name, timestamp, receivedMs, doc)
// without the decode pipeline.
#pragma once

#include "model/event.h"

#include <string>

namespace eltest {

/** An event of request \a seq holding \a doc, with its name and timestamp fields set from it. */
inline el::Event eventFromDoc(const el::Json& doc, qint64 seq, qint64 receivedMs = 0)
{
    el::Event e;
    e.seq = seq;
    e.requestId = seq;
    e.receivedMs = receivedMs;
    e.json = el::compactJson(doc);
    if (doc.contains("event") && doc["event"].is_string())
        e.setField(el::Event::Field::Name, doc["event"].get<std::string>());
    if (doc.contains("timestamp") && doc["timestamp"].is_string())
        e.setField(el::Event::Field::Timestamp, doc["timestamp"].get<std::string>());
    return e;
}

} // namespace eltest
