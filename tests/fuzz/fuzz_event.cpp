// SPDX-License-Identifier: MIT
// libFuzzer target: the event normaliser (makeEvent) and the JSON views of events and rejected requests.
#include "fuzz_input.h"
#include "wire/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    el::Json doc;
    std::string error;
    el::HttpRequest request;
    request.path = "/batch/";
    request.headers = {{"User-Agent", text.substr(0, 64)}};
    if (el::parseJson(text, doc, 64, error)) {
        if (doc.is_object()) {
            const el::Event e = el::makeEvent(doc, request, 1, 1, 0);
            (void)e.toJson().dump(-1, ' ', false, el::Json::error_handler_t::replace);
            (void)e.properties();
        }
    }
    // Rejected requests carry arbitrary bytes everywhere.
    el::RejectedRequest rej;
    rej.method = text.substr(0, 8);
    rej.path = text;
    rej.query = text.substr(size / 2);
    rej.headers = {{text.substr(0, 16), text}, {text.substr(0, 16), text.substr(size > 0 ? 1 : 0)}};
    rej.firstBytes = text.substr(0, 256);
    rej.reason = error.empty() ? text : error;
    (void)rej.toJson().dump(-1, ' ', false, el::Json::error_handler_t::replace);
    return 0;
}
