// SPDX-License-Identifier: MIT
#pragma once

// Templates ({{uuid}}, {{now-2s}}, ...) in the strings of a scenario: checked when a file loads,
// expanded at each run.

#include "model/event.h"

#include <QtGlobal>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace el {

/**
 * \brief State for template expansion during one run of a scenario.
 *
 * Placeholders (a string that is exactly one placeholder keeps its type, e.g. a number; inside a
 * longer string the value is spliced in as text):
 * - {{uuid}}: a fresh random UUID each time; {{uuid:NAME}}: one UUID per NAME for this run
 * - {{run_id}}: same as {{uuid:run_id}}
 * - {{now}}: ISO-8601 UTC time now; {{now+1500ms}}, {{now-2s}}, {{now-5m}}, {{now+1h}}
 * - {{now_ms}}: milliseconds since the epoch (number)
 * - {{random:A..B}}: a random integer in [A, B] (number)
 * - {{elapsed_ms}}: recorded milliseconds since the scenario started (number);
 *   {{elapsed_ms:LABEL}}: since the emit step labelled LABEL (number)
 */
class TemplateContext
{
public:
    TemplateContext();
    /** Expands every placeholder in \a value (recursively through objects and arrays). */
    Json expand(const Json& value);
    std::string expandString(const std::string& s);

    std::string namedUuid(const std::string& name);
    qint64 random(qint64 lo, qint64 hi);
    void addRecorded(qint64 ms) { m_recordedMs += ms; }
    qint64 recordedMs() const { return m_recordedMs; }
    void setLabel(const std::string& label) { m_labels[label] = m_recordedMs; }
    /** Fixes "now" (tests); by default the wall clock is read at each expansion. */
    void setNowMs(std::optional<qint64> ms) { m_fixedNow = ms; }
    qint64 now() const;

private:
    Json expandOne(const std::string& expr);
    std::map<std::string, std::string> m_uuids;
    std::map<std::string, qint64> m_labels;
    qint64 m_recordedMs = 0;
    std::optional<qint64> m_fixedNow;
    std::mt19937_64 m_rng;
};

/**
 * Checks every placeholder in \a value; \a labels are the labels defined by earlier steps.
 * On failure \a error says where (JSON pointer below \a where) and what.
 */
bool validateTemplates(
    const Json& value, const std::string& where, const std::vector<std::string>& labels, std::string& error);

/** A random UUID v4, lower case. */
std::string randomUuid();
/** A UUID v7 (time-ordered, like the PostHog SDKs make for event uuids). */
std::string uuidV7(qint64 ms);

} // namespace el
