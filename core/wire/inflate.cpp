// SPDX-License-Identifier: MIT
#include "inflate.h"

#include <zlib.h>

#include <algorithm>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

namespace el {

namespace {

constexpr std::size_t kInflateBuffer = 64 * 1024;

/**
 * One inflater and one output buffer per thread, reset for each stream: a request of one small event paid more for
 * setting them up (zlib's state and 32 KiB window, a zeroed 64 KiB buffer) than for inflating it.
 */
struct Inflater
{
    z_stream zs {};
    bool ready = false;
    std::unique_ptr<unsigned char[]> buffer {new unsigned char[kInflateBuffer]};
    Inflater() = default;
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
    ~Inflater()
    {
        if (ready)
            inflateEnd(&zs);
    }
};

Inflater& threadInflater()
{
    thread_local Inflater inflater;
    return inflater;
}

/** inflate with the given window bits; see gunzip(). */
bool inflateAll(
    const std::string& in, std::string& out, std::size_t maxBytes, int windowBits, std::string& error, bool& tooLarge)
{
    Inflater& inflater = threadInflater();
    z_stream& zs = inflater.zs;
    if (inflater.ready && inflateReset2(&zs, windowBits) != Z_OK) {
        inflateEnd(&zs);
        inflater.ready = false;
    }
    if (!inflater.ready) {
        zs = z_stream {};
        if (inflateInit2(&zs, windowBits) != Z_OK) {
            error = "cannot initialise zlib";
            return false;
        }
        inflater.ready = true;
    }
    struct Forget // the stream points into `in` only while this call runs
    {
        z_stream* s;
        ~Forget()
        {
            s->next_in = nullptr;
            s->avail_in = 0;
            s->next_out = nullptr;
            s->avail_out = 0;
        }
    } forget {&zs};

    const bool gzipMode = windowBits > MAX_WBITS;
    std::size_t fed = 0; // bytes of `in` handed to zlib so far
    unsigned char* const buffer = inflater.buffer.get();
    for (;;) {
        if (zs.avail_in == 0 && fed < in.size()) {
            const std::size_t chunk = std::min<std::size_t>(in.size() - fed, 1u << 30);
            zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + fed));
            zs.avail_in = static_cast<uInt>(chunk);
            fed += chunk;
        }
        zs.next_out = buffer;
        zs.avail_out = static_cast<uInt>(kInflateBuffer);
        const int ret = inflate(&zs, Z_NO_FLUSH);
        const std::size_t produced = kInflateBuffer - zs.avail_out;
        const std::size_t consumed = fed - zs.avail_in;
        if (produced > maxBytes - std::min(maxBytes, out.size())) {
            tooLarge = true;
            error = "decompressed payload is larger than the limit of " + std::to_string(maxBytes) + " bytes";
            return false;
        }
        out.append(reinterpret_cast<const char*>(buffer), produced);
        if (ret == Z_STREAM_END) {
            const std::size_t remaining = in.size() - consumed;
            if (remaining == 0)
                return true;
            const std::string_view rest(in.data() + consumed, remaining);
            if (gzipMode && hasGzipMagic(rest)) { // concatenated gzip members
                if (inflateReset(&zs) != Z_OK) {
                    error = "cannot reset zlib";
                    return false;
                }
                continue;
            }
            if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; }))
                return true; // zero padding
            error = std::to_string(remaining) + " bytes of unexpected data after the end of the compressed stream";
            return false;
        }
        if (ret == Z_NEED_DICT) {
            error = "stream needs a preset dictionary";
            return false;
        }
        if (ret == Z_DATA_ERROR) {
            error = std::string("corrupt data (") + (zs.msg ? zs.msg : "data error") + ") near input byte "
                + std::to_string(consumed);
            return false;
        }
        if (ret == Z_MEM_ERROR) {
            error = "out of memory while decompressing";
            return false;
        }
        if (ret == Z_BUF_ERROR || (ret == Z_OK && produced == 0 && zs.avail_in == 0 && fed >= in.size())) {
            error = "truncated data: the compressed stream ends after " + std::to_string(in.size())
                + " bytes without its end marker";
            return false;
        }
    }
}

} // namespace

bool hasGzipMagic(std::string_view s)
{
    return s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0x1f && static_cast<unsigned char>(s[1]) == 0x8b;
}

bool hasZlibHeader(std::string_view s)
{
    if (s.size() < 2)
        return false;
    const auto b0 = static_cast<unsigned char>(s[0]);
    const auto b1 = static_cast<unsigned char>(s[1]);
    return (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
}

std::string gzipCompress(const std::string& in)
{
    z_stream zs {};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

bool gunzip(const std::string& in, std::string& out, std::size_t maxBytes, std::string& error, bool* tooLarge)
{
    out.clear();
    error.clear();
    bool large = false;
    bool ok = false;
    try {
        if (in.empty()) {
            error = "empty compressed payload";
        } else if (hasGzipMagic(in) || hasZlibHeader(in)) {
            ok = inflateAll(in, out, maxBytes, 32 + MAX_WBITS, error, large); // gzip or zlib, auto-detected
        } else {
            error = "not gzip or zlib data (no 1f 8b magic and no zlib header)";
        }
    } catch (const std::bad_alloc&) {
        error = "out of memory while decompressing";
        ok = false;
    } catch (const std::exception& e) {
        error = std::string("decompression failed: ") + e.what();
        ok = false;
    }
    if (!ok)
        out.clear();
    if (tooLarge)
        *tooLarge = large;
    return ok;
}

} // namespace el
