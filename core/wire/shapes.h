// SPDX-License-Identifier: MIT
#pragma once

#include "decode.h"

/// Private to core/wire/: PostHog's body shapes (array, batch, v1, single event, engage) to normalised events.
namespace el::decoding {

/** The last step of decoding: \a doc's shape, then each event normalised (into r.events, or a failure in r). */
void normaliseDocument(
    Json doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits, DecodeResult& r);

/**
 * normaliseDocument() in a FlatJson (\a doc, the body as FlatJson::parse() read it): the same shape (into r.shape)
 * and the same events, edited in \a doc (FlatJson::setMember()) and listed in \a events. False, with nothing set,
 * where the DOM path must decide: every failure (it words the message), an engage body.
 */
bool normaliseFlat(FlatJson& doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits,
    DecodeResult& r, std::vector<FlatJson::Ref>& events);

} // namespace el::decoding
