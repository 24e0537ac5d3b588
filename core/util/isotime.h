// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>

/// The one ISO-8601 reader and writer (wire times, HAR and export times, scenarios, reports).
namespace el {

/** How parseIsoMs() reads a time written without a zone. */
enum class ZonelessAs {
    Utc, ///< as PostHog does (wire timestamps, sent_at, HAR and exported times)
    Local, ///< the machine's local time (hand-written scenario timestamps)
};

/**
 * ISO-8601 / RFC 3339 text as ms since the epoch, or nullopt:
 * `YYYY-MM-DD[(T|t|' ')HH[:MM[:SS[(.|,)digits]]][Z|z|±HH|±HH:|±HH:MM|±HHMM]]`, JSON whitespace around it ignored.
 * Fraction digits past the third are truncated; 24:00[:00[.0…]] is the next midnight and second 60 (a leap
 * second) the next minute. Impossible dates (02-30), hours past 24, minutes or offset minutes past 59 and offsets
 * past ±23:59 are refused. A date alone is midnight, read like a time without a zone.
 */
std::optional<qint64> parseIsoMs(std::string_view text, ZonelessAs zoneless = ZonelessAs::Utc);

/** parseIsoMs() of a JSON string (no zone = UTC); nullopt for any other JSON value. */
std::optional<qint64> parseIsoValue(const nlohmann::json& value);

/** "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, always milliseconds); empty outside the years 0000..9999. */
std::string isoFromMs(qint64 ms);

} // namespace el
