// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h" // el::Json

#include <QtGlobal>

#include <cstddef>
#include <cstdint>
#include <string>

/// Private to report/: the pieces the check report (reportdata.cpp) and the diff report (diff*.cpp) both write,
/// beside the public ones of reportdata.h (htmlEscape, markdownCell, groupedNumber, reportCss).
namespace el::reportdetail {

/**
 * The start of an HTML report up to `<body>`: the Content-Security-Policy that forbids any request, \a title
 * (escaped here), and the style sheet reportCss() followed by \a extraCss.
 */
std::string htmlHead(const std::string& title, const char* extraCss = "");

/** A number of the HTML report that a test can find: `<span data-k=KEY data-v=JSON>SHOWN</span>`, all escaped. */
std::string dataSpan(const std::string& key, const Json& value, const std::string& shown);

/** "FIRST – LAST" as ISO-8601 times, or "no events" when \a firstMs is 0. */
std::string timeRangeText(qint64 firstMs, qint64 lastMs);

/**
 * A share as a percentage: "12.5 %", with two decimals near 0 and 100 % so that neither 0.04 % nor 99.96 % is
 * rounded to a figure it is not ("0.0 %", "100.0 %"). Both reports use it, so a share reads the same in each.
 */
std::string pct(double share);

/** pct() of \a part of \a whole; "–" when \a whole is 0. */
std::string percent(std::uint64_t part, std::uint64_t whole);

/** The members of \a counts (name -> count) in name order: "string 5, null 1" (empty when there are none). */
std::string namedCounts(const Json& counts);

/**
 * The members of \a counts (name -> count), most first: "byok 3, amr_cloud 1", at most \a limit of them, then
 * ", … (N more)". An empty name is written \a emptyName.
 */
std::string topCounts(const Json& counts, std::size_t limit, const std::string& emptyName = {});

} // namespace el::reportdetail
