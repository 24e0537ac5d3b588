// SPDX-License-Identifier: MIT
#pragma once
// The FlatJson path against the DOM: the same text read both ways must give the same document and, where the fast
// evaluator decides on the FlatJson (JsonSchema::quickVerdict()), the verdict of the DOM's fast path and valijson's.

#include "contract/jsonschema.h"
#include "util/fastjson.h"
#include "util/flatjson.h"

#include <string>

namespace elflat {

/** "" when \a flat read from \a text is the DOM nlohmann reads from it (values, number kinds, key order); else why. */
inline std::string sameDocument(const el::FlatJson& flat, const el::Json& dom)
{
    const el::Json mine = flat.root().toJson();
    if (mine != dom || mine.dump() != dom.dump())
        return "FlatJson reads " + mine.dump() + ", nlohmann " + dom.dump();
    return {};
}

/**
 * "" when \a schema says the same of \a instance (sent as its JSON text) on the FlatJson path as on the DOM: the
 * document is the same, and where quickVerdict() decides, the DOM's fast path and valijson say that too. A verdict
 * the DOM's fast path reaches and the FlatJson path does not is a difference as well, except for schemas with
 * patternProperties (quickVerdict() leaves those to accepts()). \a decided counts the FlatJson path's verdicts.
 */
inline std::string flatDisagrees(const el::JsonSchema& schema, const el::Json& instance, int* decided = nullptr)
{
    using Verdict = el::JsonSchema::PathVerdict;
    const std::string text = instance.dump(-1, ' ', false, el::Json::error_handler_t::replace);
    el::Json dom;
    if (!el::parseJsonFast(text, dom, 1024)) {
        dom = el::Json::parse(text, nullptr, false);
        if (dom.is_discarded())
            return {}; // not JSON once written (cannot happen for a parsed instance)
    }
    el::FlatJson flat;
    if (!flat.parse(text)) {
        el::Json fast;
        if (el::parseJsonFast(text, fast, 1024))
            return " FlatJson refused what parseJsonFast() reads: " + text + ";";
        return {}; // both leave it to nlohmann's parser (a "-0", say): the DOM path judges it
    }
    if (const std::string diff = sameDocument(flat, dom); !diff.empty())
        return " " + diff + ";";
    const Verdict quick = schema.quickVerdict(flat.root());
    const Verdict fast = schema.fastPathVerdict(dom);
    if (quick != Verdict::Undecided) {
        if (decided)
            ++*decided;
        if (quick != fast)
            return " quickVerdict() on the FlatJson and the DOM's fast path differ;";
        const Verdict general = schema.generalPathVerdict(dom);
        if (general != Verdict::Undecided && quick != general)
            return " quickVerdict() on the FlatJson and valijson differ;";
    } else if (fast != Verdict::Undecided && schema.source().dump().find("patternProperties") == std::string::npos) {
        return " the DOM's fast path decides and quickVerdict() on the FlatJson does not;";
    }
    return {};
}

} // namespace elflat
