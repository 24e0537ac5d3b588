// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// gzip and zlib: the compression PostHog SDKs send, inflated under a size cap (gzip bombs answer 413).
namespace el {

/** gzip/zlib inflate with a size cap; returns false with \a error on corrupt/truncated data or over cap. */
bool gunzip(
    const std::string& in, std::string& out, std::size_t maxBytes, std::string& error, bool* tooLarge = nullptr);

/** gzip-compresses \a in (what posthog-node and posthog-js send); empty on failure. */
std::string gzipCompress(const std::string& in);

/** True if \a s starts with the gzip magic 1f 8b. */
bool hasGzipMagic(std::string_view s);
/** True if \a s starts with a valid zlib (deflate) header. */
bool hasZlibHeader(std::string_view s);

} // namespace el
