// SPDX-License-Identifier: MIT
#pragma once

// The first pass of scanText(): which detectors a value could hold a match of, from one look at each byte, so that
// most values (ids, uuids, words, small numbers) run no detector at all.

#include "contract/scan.h"

#include <string_view>

namespace el::scan_detail {

/**
 * An identifier, a hash or a uuid: only hexadecimal digits and dashes, and at least one letter. Such a value is never
 * taken for a card or phone number (a uuid's "-6003-7003-8003-" groups would otherwise be digits between dashes).
 */
bool hexIdentifier(std::string_view t);

/** The detectors of \a wanted that \a text could hold a match of (never fewer than those that find one). */
DetectorMask triggered(std::string_view text, DetectorMask wanted);

} // namespace el::scan_detail
