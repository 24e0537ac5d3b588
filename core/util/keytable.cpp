// SPDX-License-Identifier: MIT
#include "keytable.h"

// Header-only xxHash (libxxhash-dev): nothing is linked, so the package needs no new runtime library.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace el {

Hash128 hash128(std::string_view text)
{
    const XXH128_hash_t x = XXH3_128bits(text.data(), text.size());
    Hash128 h {x.high64, x.low64};
    if (h.empty())
        h.b = 1;
    return h;
}

} // namespace el
