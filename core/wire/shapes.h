// SPDX-License-Identifier: MIT
#pragma once

#include "decode.h"

/// Private to core/wire/: PostHog's body shapes (array, batch, v1, single event, engage) to normalised events.
namespace el::decoding {

/** The last step of decoding: \a doc's shape, then each event normalised (into r.events, or a failure in r). */
void normaliseDocument(
    Json doc, const HttpRequest& request, Endpoint endpoint, const DecodeLimits& limits, DecodeResult& r);

} // namespace el::decoding
