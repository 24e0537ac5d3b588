// SPDX-License-Identifier: MIT
// libFuzzer target: the simdjson path of parseJson() (util/fastjson) against nlohmann's own parser, the
// reference. Whenever the fast path accepts a text, nlohmann must accept it too and build the same DOM, to the
// number kind (integer, unsigned, float) and the key order; the fast path may refuse what nlohmann accepts
// (parseJson then asks nlohmann), never the other way round.
#include "decode/decode.h"
#include "util/fastjson.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

bool sameDom(const el::Json& a, const el::Json& b)
{
    if (a.type() != b.type())
        return false;
    if (a.is_object()) {
        if (a.size() != b.size())
            return false;
        for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
            if (i.key() != j.key() || !sameDom(i.value(), j.value()))
                return false;
        }
        return true;
    }
    if (a.is_array()) {
        if (a.size() != b.size())
            return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!sameDom(a[i], b[i]))
                return false;
        }
        return true;
    }
    if (a.is_number_float()) // bit for bit: -0.0 and 0.0 differ here
        return std::memcmp(&a.get_ref<const double&>(), &b.get_ref<const double&>(), sizeof(double)) == 0;
    return a == b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    constexpr int depth = 8; // small, so that the depth limit is reached often
    el::Json fast;
    if (!el::parseJsonFast(text, fast, depth))
        return 0;
    el::Json reference;
    std::string error;
    // parseJson would take the fast path again: nlohmann's parser alone is the reference
    const bool ok = el::parseJsonReference(text, reference, depth, error);
    if (!ok || !sameDom(fast, reference)) {
        std::cerr << "fast JSON path disagrees with nlohmann on " << text.size() << " bytes: "
                  << (ok ? "different DOM: " + fast.dump() + " vs " + reference.dump() : "nlohmann refused: " + error)
                  << "\n";
        std::abort();
    }
    return 0;
}
