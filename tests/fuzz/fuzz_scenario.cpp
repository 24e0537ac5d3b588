// SPDX-License-Identifier: MIT
// libFuzzer target: the replay scenario loader (el::parseScenario, core/replay/scenario.h).
#include "replay/scenario.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    el::Scenario scenario;
    std::string error;
    (void)el::parseScenario(text, "fuzz", scenario, error);
    el::Scenario fromEvents;
    (void)el::scenarioFromEvents(text, "fuzz", fromEvents, error);
    return 0;
}
