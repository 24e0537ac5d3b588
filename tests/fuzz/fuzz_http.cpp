// SPDX-License-Identifier: MIT
// libFuzzer target: the HTTP/1.1 request parser (framing, chunked, limits), fed in arbitrary pieces.
#include "transport/httpparser.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    // The first byte picks the piece size (1..256) and small limits, so limit paths are reached.
    const size_t piece = static_cast<size_t>(data[0]) + 1;
    el::HttpLimits limits;
    if (data[0] & 1) {
        limits.maxHeaderBytes = 512;
        limits.maxBodyBytes = 1024;
        limits.maxHeaderCount = 8;
    }
    el::HttpRequestParser parser;
    parser.setLimits(limits);
    parser.setPeer("127.0.0.1:1");
    const char* p = reinterpret_cast<const char*>(data + 1);
    size_t left = size - 1;
    bool failed = false;
    while (left > 0 && !failed) {
        const size_t n = std::min(piece, left);
        parser.append(std::string_view(p, n));
        p += n;
        left -= n;
        for (int guard = 0; guard < 100000; ++guard) {
            const auto st = parser.next();
            if (st == el::HttpRequestParser::Status::NeedMore)
                break;
            if (st == el::HttpRequestParser::Status::Error) {
                if (parser.errorStatus() < 400 || parser.errorStatus() > 599 || parser.errorReason().empty())
                    __builtin_trap();
                (void)el::Json(parser.partial().path).dump(-1, ' ', false, el::Json::error_handler_t::replace);
                failed = true;
                break;
            }
            el::HttpRequest r = parser.takeRequest();
            if (r.path.empty() || r.path[0] != '/')
                __builtin_trap(); // the parser only hands out origin-form targets
            if (static_cast<qint64>(r.body.size()) > limits.maxBodyBytes)
                __builtin_trap();
            (void)r.header("content-type");
            (void)r.queryValue("data");
            (void)parser.takeContinue();
        }
    }
    return 0;
}
