// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace el {

/** \brief A byte range [begin, end) of a text. */
struct TextSpan
{
    std::size_t begin = 0;
    std::size_t end = 0;

    std::size_t size() const { return end - begin; }
    bool operator==(const TextSpan& o) const { return begin == o.begin && end == o.end; }
};

/**
 * \brief The byte spans of the event objects in \a json, a decoded request body (DecodeResult::decodedBody), in
 * the order the decoder reads them, found by scanning the text (strings with their escapes, nesting) without
 * building a DOM:
 *  - a top-level array: each element;
 *  - an object with a "batch" array ({"api_key":...,"batch":[...]}, capture v1): each element of that array (the
 *    last "batch" key when there are several, as the parser keeps it);
 *  - any other object (one event, an engage body): the whole object;
 *  - several top-level values one after the other (NDJSON, as an import keeps the lines of one request): the
 *    spans of each value, in order.
 * Whitespace around values is not part of a span. Text that is not well-formed JSON where the scan needs it (an
 * unterminated string, unbalanced brackets) gives no spans.
 */
std::vector<TextSpan> eventSpans(std::string_view json);

/**
 * \brief Which of \a spans (from eventSpans(\a json)) holds the event with \a uuid (Event::uuid(), empty when
 * the event has none) that is the \a index-th event of its request: the span at \a index when its "uuid" (or,
 * for an EventLens NDJSON export line, its "doc"'s "uuid") agrees, else the first span whose uuid is \a uuid,
 * else the span at \a index. nullopt when none fits.
 */
std::optional<std::size_t> pickEventSpan(
    std::string_view json, const std::vector<TextSpan>& spans, const std::string& uuid, std::size_t index);

} // namespace el
