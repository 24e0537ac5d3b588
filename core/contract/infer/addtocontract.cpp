// SPDX-License-Identifier: MIT
// What a contract names, and Add to Contract…: an event or a property added to a contract's document or file text
// (the infer.h functions the window uses, and what extendContract() reads of its base).
#include "addtocontract.h"

#include "contract/contract.h"
#include "contract/infer.h"
#include "traffic.h"

#include <exception>

namespace el {

namespace infer_detail {

void declaredProperties(const Json& schema, std::set<std::string>& out, int depth)
{
    if (!schema.is_object() || depth > 32)
        return;
    const auto props = schema.find("properties");
    if (props != schema.end() && props->is_object()) {
        for (auto it = props->begin(); it != props->end(); ++it)
            out.insert(it.key());
    }
    const auto required = schema.find("required");
    if (required != schema.end() && required->is_array()) {
        for (const Json& r : *required) {
            if (r.is_string())
                out.insert(r.get<std::string>());
        }
    }
    for (const char* k : {"allOf", "anyOf", "oneOf"}) {
        const auto list = schema.find(k);
        if (list != schema.end() && list->is_array()) {
            for (const Json& s : *list)
                declaredProperties(s, out, depth + 1);
        }
    }
    for (const char* k : {"if", "then", "else", "not"}) {
        const auto s = schema.find(k);
        if (s != schema.end())
            declaredProperties(*s, out, depth + 1);
    }
}

} // namespace infer_detail

using namespace infer_detail;

namespace {

/**
 * addEventToContract() (\a property empty) or addPropertyToContract() on a document of type J: Json (sorted keys) or
 * nlohmann::ordered_json (a file's order, addToContractText()). \a doc is changed only on success.
 */
template<typename J>
bool addPiece(J& doc, const std::string& event, const std::string& property, const J& piece, std::string& error)
{
    if (!doc.is_object()) {
        error = "the contract is not a JSON object";
        return false;
    }
    if (event.empty()) {
        error = "no event name";
        return false;
    }
    const auto events = doc.find("events");
    if (events != doc.end() && !events->is_object()) {
        error = "the contract's \"events\" is not an object";
        return false;
    }
    if (property.empty()) {
        if (events != doc.end() && events->contains(event)) {
            error = "the contract plans " + event + " already (events." + event + ")";
            return false;
        }
        if (events == doc.end())
            doc["events"] = J::object();
        doc["events"][event] = piece;
        return true;
    }
    const auto entry = events != doc.end() ? events->find(event) : doc.end();
    if (events == doc.end() || entry == events->end()) {
        error = "the contract does not plan " + event + ": add the event, not a property";
        return false;
    }
    const std::string where = "events." + event + ".schema";
    if (!entry->is_object()) {
        error = "events." + event + " is not an object";
        return false;
    }
    const auto schema = entry->find("schema");
    const bool anything = schema == entry->end() || *schema == J(true);
    if (!anything && !schema->is_object()) {
        error = where + " is " + schema->dump() + ": no event passes it, a property cannot be added";
        return false;
    }
    if (!anything) {
        const auto props = schema->find("properties");
        if (props != schema->end() && !props->is_object()) {
            error = where + ".properties is not an object";
            return false;
        }
        if (props != schema->end() && props->contains(property)) {
            error = where + ".properties names " + property + " already";
            return false;
        }
    }
    J& s = (*entry)["schema"];
    if (anything)
        s = J::object();
    if (!s.contains("properties"))
        s["properties"] = J::object();
    s["properties"][property] = piece;
    return true;
}

} // namespace

std::set<std::string> namedProperties(const Contract& contract, const std::string& event)
{
    std::set<std::string> out(contract.superProperties().begin(), contract.superProperties().end());
    if (const GlobalsSpec* g = contract.globals())
        declaredProperties(g->rule.schema->source(), out);
    if (const EventSpec* spec = contract.event(event)) {
        declaredProperties(spec->schema.schema->source(), out);
        for (const SchemaRule& rule : spec->rules)
            declaredProperties(rule.schema->source(), out);
    }
    return out;
}

bool isUnplannedEvent(const Contract& contract, const std::string& event)
{
    return !event.empty() && !contract.event(event) && !globMatchAny(contract.unplanned().allow, event);
}

bool addEventToContract(Json& contract, const std::string& event, const Json& entry, std::string& error)
{
    return addPiece(contract, event, std::string(), entry, error);
}

bool addPropertyToContract(
    Json& contract, const std::string& event, const std::string& property, const Json& schema, std::string& error)
{
    if (property.empty()) {
        error = "no property name";
        return false;
    }
    return addPiece(contract, event, property, schema, error);
}

bool addToContractText(const std::string& text, const std::string& event, const std::string& property,
    const Json& piece, std::string& out, std::string& error)
{
    using Ordered = nlohmann::ordered_json;
    Ordered doc;
    try {
        doc = Ordered::parse(text);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        const std::size_t at = what.find("] ");
        error = "not valid JSON: " + (at != std::string::npos ? what.substr(at + 2) : what);
        return false;
    }
    if (!addPiece(doc, event, property, Ordered::parse(dumpValue(piece)), error))
        return false;
    out = doc.dump(2, ' ', false, Ordered::error_handler_t::replace);
    out += '\n';
    return true;
}

} // namespace el
