// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

/// Private to core/wire/: the small text helpers its files share.
namespace el::decoding {

bool startsWith(std::string_view s, std::string_view prefix);
/** Error texts may quote input: keep them valid UTF-8 and free of control bytes. */
std::string cleanMessage(std::string_view s);

} // namespace el::decoding
