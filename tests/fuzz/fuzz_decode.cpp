// SPDX-License-Identifier: MIT
// libFuzzer target: the ingest body decoder (query/form/base64/gzip/JSON shapes) over arbitrary requests, and its
// FlatJson path (decodeIngestFlat()) against its DOM path: the same answer and the same Events, or an abort.
#include "flatdecode.h"
#include "fuzz_input.h"
#include "wire/decode.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const el::HttpRequest request = elfuzz::requestFromBytes(data, size);
    el::DecodeLimits limits;
    limits.maxDecompressedBytes = 4u * 1024u * 1024u; // keep each run fast; the cap logic is what matters
    limits.maxEventsPerRequest = 10000;
    const el::Endpoint endpoint = el::classifyPath(request.path);
    const el::DecodeResult r
        = el::decodeIngest(request, el::isIngestEndpoint(endpoint) ? endpoint : el::Endpoint::Batch, limits);
    if (r.ok()) {
        // Everything decoded must be normalisable and dumpable.
        qint64 seq = 1;
        for (const el::Json& doc : r.events) {
            const el::Event e = el::makeEvent(doc, request, seq++, 1, 0);
            (void)e.toJson().dump(-1, ' ', false, el::Json::error_handler_t::replace);
        }
    } else {
        (void)el::Json(r.error).dump(-1, ' ', false, el::Json::error_handler_t::replace);
    }
    const std::string diff
        = elflat::flatDecodeDisagrees(request, el::isIngestEndpoint(endpoint) ? endpoint : el::Endpoint::Batch, limits);
    if (!diff.empty()) {
        std::fprintf(stderr, "decodeIngestFlat() and decodeIngest() differ: %s\n", diff.c_str());
        std::abort();
    }
    return 0;
}
