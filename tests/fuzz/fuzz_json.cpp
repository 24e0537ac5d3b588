// SPDX-License-Identifier: MIT
// libFuzzer target: the simdjson path of parseJson() (util/fastjson) against nlohmann's own parser, the
// reference. Whenever the fast path accepts a text, nlohmann must accept it too and build the same DOM, to the
// number kind (integer, unsigned, float) and the key order; the fast path may refuse what nlohmann accepts
// (parseJson then asks nlohmann), never the other way round.
// And util/flatjson (a reload judges kept events from it, with no DOM): it accepts exactly what the fast path
// accepts, reads the same document (FlatJson::Ref::toJson()), and finds the same value at every pointer.
#include "util/fastjson.h"
#include "util/flatjson.h"
#include "util/text.h"
#include "wire/decode.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

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

/** findPointer() finds every value of \a root at its own pointer. */
bool everyPointerFound(const el::Json& root, const el::Json& v, const std::string& pointer)
{
    if (el::findPointer(root, pointer) != &v)
        return false;
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (!everyPointerFound(root, *it, pointer + "/" + el::jsonPointerEscape(it.key())))
                return false;
        }
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!everyPointerFound(root, v[i], pointer + "/" + std::to_string(i)))
                return false;
        }
    }
    return true;
}

/** The first few string values of \a v, depth first. */
void collectStrings(const el::Json& v, std::vector<std::string>& out)
{
    if (out.size() >= 8)
        return;
    if (v.is_string())
        out.push_back(v.get<std::string>());
    else if (v.is_structured())
        for (const el::Json& e : v)
            collectStrings(e, out);
}

/** findPointer(\a doc, \a pointer) against nlohmann's json_pointer, for any pointer text. */
bool samePointerResult(const el::Json& doc, const std::string& pointer)
{
    const el::Json* expected = nullptr;
    try {
        const el::Json::json_pointer p(pointer);
        if (doc.contains(p))
            expected = &doc.at(p);
    } catch (const std::exception&) {
        expected = nullptr;
    }
    return el::findPointer(doc, pointer) == expected;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    constexpr int depth = 8; // small, so that the depth limit is reached often
    el::Json fast;
    const bool fastOk = el::parseJsonFast(text, fast, depth);
    static el::FlatJson flat; // reused, as each thread's is
    const bool flatOk = flat.parse(text, depth);
    if (flatOk != fastOk) {
        std::cerr << "FlatJson " << (flatOk ? "accepts" : "refuses") << " what the fast path "
                  << (fastOk ? "accepts" : "refuses") << " (" << text.size() << " bytes)\n";
        std::abort();
    }
    if (!fastOk)
        return 0;
    if (!sameDom(flat.root().toJson(), fast)) {
        std::cerr << "FlatJson reads " << flat.root().toJson().dump() << ", the fast path " << fast.dump() << "\n";
        std::abort();
    }
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
    // util/fastjson's pointer lookup, on the same DOM: every value at its own pointer, and the document's string
    // values read as pointers (any text: malformed pointers must find nothing, as nlohmann's throw).
    std::vector<std::string> strings;
    collectStrings(fast, strings);
    bool samePointers = everyPointerFound(fast, fast, std::string());
    for (const std::string& pointer : strings)
        samePointers = samePointers && samePointerResult(fast, pointer);
    for (const std::string& pointer : strings) {
        const el::FlatJson::Ref mine = flat.root().at(pointer);
        const el::Json* theirs = el::findPointer(fast, pointer);
        samePointers = samePointers && mine.present() == (theirs != nullptr) && (!theirs || mine.toJson() == *theirs);
    }
    if (!samePointers) {
        std::cerr << "findPointer disagrees with nlohmann's json_pointer on " << fast.dump() << "\n";
        std::abort();
    }
    return 0;
}
