// SPDX-License-Identifier: MIT
// libFuzzer target: the contract loader (el::parseContract) and, for contracts that load, the engine on a few events.
#include "contract/contractengine.h"
#include "transport/httprequest.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::string error;
    const auto contract = el::parseContract(text, "fuzz", error);
    if (!contract)
        return 0;
    el::ContractEngine engine(contract);
    el::HttpRequest request;
    request.path = "/batch/";
    static const char* const kEvents[] = {
        R"({"event":"run_created","distinct_id":"d","properties":{"run_id":"r1","runtime_type":"byok","n":1}})",
        R"({"event":"run_finished","distinct_id":"d","properties":{"run_id":"r1","runtime_type":"amr_cloud"}})",
        R"({"event":"x","distinct_id":"d","properties":{"a":[1,{"b":null}],"s":"\u00e9"}})",
        R"({"event":"","properties":{}})",
    };
    qint64 seq = 1;
    for (const char* e : kEvents) {
        const el::Event ev = el::makeEvent(el::Json::parse(e), request, seq, 1, seq * 1000);
        ++seq;
        for (const el::Violation& v : engine.onEvent(ev))
            (void)el::Json(v.message).dump(-1, ' ', false, el::Json::error_handler_t::replace);
    }
    (void)engine.onTick(10'000'000);
    return 0;
}
