// SPDX-License-Identifier: MIT
// libFuzzer target: the HTTP/1.1 request parser (framing, chunked, limits), fed in arbitrary pieces; then the same
// bytes as answers to the response parser of the pass-through's client.
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
    // The same bytes as what an upstream answered, in the same pieces, one answer after another.
    const qint64 maxBody = (data[0] & 1) ? 1024 : 64 * 1024 * 1024;
    el::HttpResponseParser response(maxBody, (data[0] & 1) ? 512 : 64 * 1024);
    response.begin((data[0] & 2) != 0);
    p = reinterpret_cast<const char*>(data + 1);
    left = size - 1;
    auto check = [&](el::HttpResponseParser::Status st) {
        if (st == el::HttpResponseParser::Status::Error && response.errorReason().empty())
            __builtin_trap();
        if (st == el::HttpResponseParser::Status::Response
            && (response.status() < 200 || response.status() > 999
                || static_cast<qint64>(response.takeBody().size()) > maxBody))
            __builtin_trap(); // interim 1xx answers are never handed out
    };
    el::HttpResponseParser::Status st = el::HttpResponseParser::Status::NeedMore;
    while (left > 0 && st != el::HttpResponseParser::Status::Error) {
        const size_t n = std::min(piece, left);
        response.append(std::string_view(p, n));
        p += n;
        left -= n;
        for (int guard = 0; guard < 100000; ++guard) {
            st = response.next();
            check(st);
            if (st != el::HttpResponseParser::Status::Response || response.buffered() == 0)
                break;
            response.begin(false);
        }
        if (st == el::HttpResponseParser::Status::Response)
            response.begin(false);
    }
    if (st != el::HttpResponseParser::Status::Error)
        check(response.finish());
    return 0;
}
