// SPDX-License-Identifier: MIT
#pragma once

#include <string>

/// PostHog's endpoints, as the wire knows them: routing (pipeline/ingestserver.cpp) asks classifyPath(), decoding reads
/// the answer. Here rather than in pipeline/ because contract/offlineinput routes too (tests/layering).
namespace el {

/** What kind of PostHog path a request hit. */
enum class Endpoint {
    Capture, ///< /e/, /i/v0/e/, /capture/, /track/ (posthog-js style, any body shape)
    Engage, ///< /engage/ (nameless body becomes $identify)
    Batch, ///< /batch/ (posthog-node / python)
    Recording, ///< /s/ ($snapshot events)
    CaptureV1, ///< /i/v1/analytics/events
    Ai, ///< /i/v0/ai/batch/
    Flags, ///< /flags/
    Decide, ///< /decide/
    RemoteConfig, ///< /array/<token>/config
    RemoteConfigJs, ///< /array/<token>/config.js
    Static, ///< /static/...
    Api, ///< /eventlens/v1/...
    Unknown,
};

/** Classifies a path (trailing slash optional). \a token receives <token> for /array/ paths. */
Endpoint classifyPath(const std::string& path, std::string* token = nullptr);
/** True for the endpoints whose requests carry events. */
bool isIngestEndpoint(Endpoint e);

} // namespace el
