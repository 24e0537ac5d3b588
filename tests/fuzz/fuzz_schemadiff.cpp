// SPDX-License-Identifier: MIT
// libFuzzer target: the schema differential test in-process. The fuzz input drives the generator of
// tst_schemadiff (tests/common/schemagen.h) as its random source: one draft-07 schema and up to four
// instances, each followed by two twins (elschemagen::twin). The fast path (JsonSchema::fastPathVerdict), where
// it decides, must agree with valijson (JsonSchema::generalPathVerdict), and accepts()/validate() with both;
// any disagreement aborts. ajv, the independent reference, cannot run in-process: tst_schemadiff compares with
// it. The valijson 1.0 deviations that EventLens corrects (integer type, integer multipleOf, patternProperties
// over code points, propertyNames of a referenced schema) are corrected inside valijson's path too, so there is
// nothing to exclude here.
#include "contract/jsonschema.h"
#include "flatcheck.h"
#include "schemagen.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Verdict = el::JsonSchema::PathVerdict;

[[noreturn]] void disagree(const el::Json& schema, const el::Json& instance, const char* what)
{
    std::fprintf(stderr, "schemadiff: %s\n  schema %s\n  instance %s\n", what,
        schema.dump(-1, ' ', false, el::Json::error_handler_t::replace).c_str(),
        instance.dump(-1, ' ', false, el::Json::error_handler_t::replace).c_str());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    elschemagen::Random random(data, size);
    elschemagen::Gen gen(random);
    const el::Json schemaJson = gen.root();
    std::string error;
    const auto schema = el::JsonSchema::compile(schemaJson, error);
    if (!schema)
        disagree(schemaJson, el::Json(), ("a generated schema was refused: " + error).c_str());
    el::Json drawn;
    for (int i = 0; i < 12; ++i) {
        // Each drawn instance is followed by two twins (see elschemagen::twin), which validate() may answer from
        // what it remembers of the drawn one: one of the same shape, then one longer or emptied.
        using elschemagen::Twin;
        if (i % 3 == 0)
            drawn = gen.value(3);
        const el::Json instance = i % 3 == 0 ? drawn
            : i % 3 == 1                     ? elschemagen::twin(drawn, Twin::SameShape)
                                             : elschemagen::twin(drawn, gen.chance(50) ? Twin::Longer : Twin::Empty);
        const Verdict general = schema->generalPathVerdict(instance);
        const Verdict fast = schema->fastPathVerdict(instance);
        if (general == Verdict::Undecided)
            disagree(schemaJson, instance, "valijson threw");
        if (fast != Verdict::Undecided && fast != general)
            disagree(schemaJson, instance, "the fast path and valijson disagree");
        if (schema->accepts(instance) != (general == Verdict::Valid))
            disagree(schemaJson, instance, "accepts() and valijson disagree");
        if (const std::string flat = elflat::flatDisagrees(*schema, instance); !flat.empty())
            disagree(schemaJson, instance, ("the FlatJson path:" + flat).c_str());
        std::vector<el::SchemaError> errors;
        const bool valid = schema->validate(instance, errors);
        if (valid != (general == Verdict::Valid))
            disagree(schemaJson, instance, "validate() and valijson disagree");
        if (valid != errors.empty())
            disagree(schemaJson, instance, "validate() and its error list disagree");
        // validate() shows valijson only the members the schema names; the whole instance must say the same.
        std::vector<el::SchemaError> whole;
        if (schema->validateWhole(instance, whole) != valid || whole.size() != errors.size())
            disagree(schemaJson, instance, "validate() and validateWhole() disagree");
        for (std::size_t e = 0; e < errors.size(); ++e) {
            if (whole[e].path != errors[e].path || whole[e].message != errors[e].message)
                disagree(schemaJson, instance, "validate() and validateWhole() give different errors");
        }
        if (random.exhausted())
            break;
    }
    return 0;
}
