// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h" // el::Json

#include <string>
#include <utility>

/// Private to the diff (diff*.cpp): the words every rendering of a diff uses for an entry, so that the text, the
/// Markdown and the HTML reports say the same thing.
namespace el::reportdetail {

/// The three lists of entries and their titles, in the order every rendering shows them.
inline constexpr std::pair<const char*, const char*> kSections[]
    = {{"regressions", "Regressions"}, {"improvements", "Improvements"}, {"changes", "Other changes"}};

/** \a x with \a decimals decimals. */
std::string fixed(double x, int decimals);

/** The member "before" or "after" of an entry, or an empty object. */
const Json& sideOf(const Json& e, const char* side);
/** The field of an entry's side that diffEntryValue() reads (defined beside it, in diff.cpp). */
const char* diffValueField(const std::string& kind);

/** What an entry is about: "run_created.runtime_type", a rule, runs of a runtime_type. */
std::string subject(const Json& e);

/** One side of an entry as text; \a number is the entry's own number (diffEntryValue) as it is shown. */
struct SideText
{
    std::string number; ///< the number of diffEntryValue, formatted
    std::string rest; ///< what goes with it
    bool lead = true; ///< the number leads (else the rest does: the types, the values)
};
SideText sideText(const Json& e, const char* side);

/** What an entry adds after its two sides: the rule's kind, events and path, the drift's distance, the contract. */
std::string entryNote(const Json& e);

/** The contract of a diff's summary: "NAME VERSION". */
std::string contractText(const Json& summary);
/** The inputs of one side of a diff's summary, comma-separated, or "-". */
std::string inputsText(const Json& side);

} // namespace el::reportdetail
