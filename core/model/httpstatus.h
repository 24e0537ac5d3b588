// SPDX-License-Identifier: MIT
#pragma once

namespace el {

/** The reason phrase of an HTTP status ("OK", "Bad Request", ...): the sink's responses and HAR export use it. */
const char* httpReasonPhrase(int status);

} // namespace el
