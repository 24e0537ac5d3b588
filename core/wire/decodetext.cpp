// SPDX-License-Identifier: MIT
#include "decodetext.h"

#include "util/utf8.h"

namespace el::decoding {

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string cleanMessage(std::string_view s)
{
    std::string out = validUtf8(s);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F)
            c = '?';
    }
    return out;
}

} // namespace el::decoding
