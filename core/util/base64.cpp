// SPDX-License-Identifier: MIT
#include "base64.h"

#include "text.h"

#include <cstdint>

namespace el {

int base64Value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

bool base64Decode(std::string_view in, std::string& out, std::string& error)
{
    out.clear();
    out.reserve(in.size() / 4 * 3 + 3);
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t symbols = 0;
    bool padding = false;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '\r' || c == '\n' || c == '\t' || c == ' ')
            continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        const int v = base64Value(c);
        if (v < 0) {
            error = "invalid base64: unexpected character " + describeByte(static_cast<unsigned char>(c)) + " at byte "
                + std::to_string(i);
            return false;
        }
        if (padding) {
            error = "invalid base64: data after '=' padding at byte " + std::to_string(i);
            return false;
        }
        acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xFFFFFFu;
        bits += 6;
        ++symbols;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFFu));
        }
    }
    if (symbols % 4 == 1) {
        error = "invalid base64: truncated input (" + std::to_string(symbols) + " base64 characters)";
        return false;
    }
    if (symbols == 0) {
        error = "invalid base64: no data";
        return false;
    }
    return true;
}

} // namespace el
