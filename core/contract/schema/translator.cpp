// SPDX-License-Identifier: MIT
// One idea, valijson's error texts to messages: most of it is translate(), one branch per valijson error text.
#include "translator.h"
#include "keywords.h"
#include "pattern.h"
#include "util/fastjson.h"

#include <algorithm>
#include <cstdlib>

namespace el::schema_detail {

namespace {

bool typeMatches(const Json& v, const std::string& type)
{
    if (type == "null")
        return v.is_null();
    if (type == "boolean")
        return v.is_boolean();
    if (type == "integer")
        return isIntegral(v);
    if (type == "number")
        return v.is_number();
    if (type == "string")
        return v.is_string();
    if (type == "array")
        return v.is_array();
    if (type == "object")
        return v.is_object();
    return false;
}

bool typeKeywordMatches(const Json& v, const Json& typeKw)
{
    if (typeKw.is_string())
        return typeMatches(v, typeKw.get<std::string>());
    if (typeKw.is_array()) {
        for (const Json& t : typeKw) {
            if (t.is_string() && typeMatches(v, t.get<std::string>()))
                return true;
        }
    }
    return false;
}

std::string typeList(const Json& typeKw)
{
    if (typeKw.is_string())
        return typeKw.get<std::string>();
    std::string out;
    if (typeKw.is_array()) {
        for (std::size_t i = 0; i < typeKw.size(); ++i) {
            if (i)
                out += i + 1 == typeKw.size() ? " or " : ", ";
            out += typeKw[i].is_string() ? typeKw[i].get<std::string>() : typeKw[i].dump();
        }
    }
    return out;
}

/** Text between the first quote after \a marker and the last quote of \a d. */
std::string quotedName(const std::string& d, const std::string& marker)
{
    const std::size_t m = d.find(marker);
    if (m == std::string::npos)
        return {};
    const std::size_t a = d.find('\'', m + marker.size() - 1);
    const std::size_t b = d.rfind('\'');
    if (a == std::string::npos || b == std::string::npos || b <= a)
        return {};
    return d.substr(a + 1, b - a - 1);
}

} // namespace

template<typename Pred>
const Json* ErrorTranslator::keyword(
    const std::vector<std::string>& tokens, const char* kw, const Json* /*value*/, Pred fails)
{
    // The subschemas and the verdict of \a fails depend only on the location and the keyword (each keyword
    // has one predicate, of the keyword's value and the instance's value there): found once per translator.
    // Alternatives report the same location once per branch: scanning every branch's keyword each time would be
    // quadratic in the number of branches.
    auto [it, inserted] = m_keywords.try_emplace(std::make_pair(tokens, std::string(kw)));
    KeywordHits& hits = it->second;
    if (inserted) {
        for (const Json* c : candidates(tokens)) {
            auto found = c->find(kw);
            if (found == c->end())
                continue;
            if (!hits.any)
                hits.any = &*found;
            if (fails(*found))
                hits.failing.push_back(&*found);
        }
    }
    const std::size_t k = hits.occurrences++;
    if (!hits.failing.empty())
        return hits.failing[std::min(k, hits.failing.size() - 1)];
    return hits.any;
}

void ErrorTranslator::translate(const RawError& e, std::vector<SchemaError>& out)
{
    const std::string& d = e.description;
    const Location& here = location(e.tokens);
    const Json* value = here.value;
    const std::string& name = here.name;
    const auto actual = [&]() -> const std::string& {
        noteQuoted(e.tokens);
        return here.actual;
    };
    auto emit = [&](const std::vector<std::string>& tokens, std::string message) {
        out.push_back({m_base + jsonPointerFromTokens(tokens), std::move(message)});
    };
    auto child = [&](const std::string& tok) {
        std::vector<std::string> t = e.tokens;
        t.push_back(tok);
        return t;
    };

    if (startsWith(d, "Missing required property '")) {
        const std::string prop = quotedName(d, "property '");
        emit(child(prop), "required property " + displayName(child(prop)) + " is missing");
        return;
    }
    if (startsWith(d, "Missing dependency '")) {
        const std::string prop = quotedName(d, "dependency '");
        std::string because;
        for (const Json* c : candidates(e.tokens)) {
            auto deps = c->find("dependencies");
            if (deps == c->end() || !deps->is_object() || !value || !value->is_object())
                continue;
            for (auto it = deps->begin(); it != deps->end(); ++it) {
                if (it->is_array() && value->contains(it.key())
                    && std::find(it->begin(), it->end(), Json(prop)) != it->end()) {
                    because = it.key();
                    break;
                }
            }
            if (!because.empty())
                break;
        }
        emit(child(prop),
            "required property " + displayName(child(prop)) + " is missing"
                + (because.empty() ? std::string() : " (required when " + because + " is present)"));
        return;
    }
    if (startsWith(d, "Object contains a property that could not be validated")) {
        const std::string first = quotedName(d, "constraints: '");
        std::vector<std::string> extra = unexpectedProperties(e.tokens, value);
        if (std::find(extra.begin(), extra.end(), first) == extra.end())
            extra.insert(extra.begin(), first);
        for (const std::string& p : extra)
            emit(child(p), "property " + displayName(child(p)) + " is not allowed (additionalProperties is false)");
        return;
    }
    if (startsWith(d, "Failed to match against any enum values")) {
        const Json* kw = keyword(e.tokens, "enum", value,
            [&](const Json& k) { return k.is_array() && value && std::find(k.begin(), k.end(), *value) == k.end(); });
        if (kw && kw->size() == 1)
            emit(e.tokens, name + " is " + actual() + ", expected " + describeJsonValue((*kw)[0]));
        else if (kw)
            emit(e.tokens, name + " is " + actual() + ", expected one of " + enumText(*kw));
        else
            emit(e.tokens, name + " is " + actual() + ", which is not one of the allowed values");
        return;
    }
    if (startsWith(d, "Failed to match expected value set by 'const'")) {
        const Json* kw = keyword(e.tokens, "const", value, [&](const Json& k) { return !value || k != *value; });
        emit(e.tokens,
            name + " is " + actual() + ", expected " + (kw ? describeJsonValue(*kw) : std::string("the const value")));
        return;
    }
    if (startsWith(d, "Value type not permitted by 'type'")) {
        const auto fails = [&](const Json& k) { return !value || !typeKeywordMatches(*value, k); };
        const Json* kw = keyword(e.tokens, kTypeKeyword, value, fails);
        if (!kw)
            kw = keyword(e.tokens, "type", value, fails);
        const std::string actualType = value ? " (" + jsonTypeName(*value) + ")" : std::string();
        emit(e.tokens, name + " is " + actual() + actualType + ", expected " + (kw ? typeList(*kw) : "another type"));
        return;
    }
    if (startsWith(d, "Failed to match regex specified by 'pattern'")) {
        const Json* kw = keyword(e.tokens, kPatternKeyword, value, [&](const Json& k) {
            return k.is_string() && value && value->is_string()
                && !patternSearch(k.get<std::string>(), value->get<std::string>());
        });
        emit(e.tokens,
            name + " is " + actual() + ", expected to match the pattern "
                + (kw ? kw->get<std::string>() : std::string("of the schema")));
        return;
    }
    if (startsWith(d, "String too long to match a pattern with back-references")) {
        const std::size_t len = value && value->is_string() ? utf8Length(value->get<std::string>()) : 0;
        emit(e.tokens,
            name + " is " + std::to_string(len) + " characters long, too long to check against its pattern"
                + " (patterns with back-references are checked on at most " + std::to_string(kMaxBacktrackingInput)
                + " characters)");
        return;
    }
    if (startsWith(d, "Expected number less than or equal to")) {
        emit(e.tokens, name + " is " + actual() + ", expected at most " + number(e.tokens, "maximum", d));
        return;
    }
    if (startsWith(d, "Expected number less than")) {
        emit(e.tokens, name + " is " + actual() + ", expected less than " + number(e.tokens, "exclusiveMaximum", d));
        return;
    }
    if (startsWith(d, "Expected number greater than or equal to")) {
        emit(e.tokens, name + " is " + actual() + ", expected at least " + number(e.tokens, "minimum", d));
        return;
    }
    if (startsWith(d, "Expected number greater than")) {
        emit(e.tokens, name + " is " + actual() + ", expected greater than " + number(e.tokens, "exclusiveMinimum", d));
        return;
    }
    if (startsWith(d, "Value should be a multiple of")) {
        const Json* kw = keyword(e.tokens, kMultipleOfKeyword, nullptr, [](const Json&) { return true; });
        emit(e.tokens,
            name + " is " + actual() + ", expected a multiple of "
                + (kw && kw->is_number() ? kw->dump() : number(e.tokens, "multipleOf", d)));
        return;
    }
    if (startsWith(d, "String should be no more than") || startsWith(d, "String should be no fewer than")) {
        const bool max = startsWith(d, "String should be no more than");
        const std::string len
            = value && value->is_string() ? std::to_string(utf8Length(value->get<std::string>())) : std::string("?");
        const std::string limit = number(e.tokens, max ? "maxLength" : "minLength", d);
        emit(e.tokens,
            name + " is " + actual() + " (" + len + (len == "1" ? " character" : " characters") + "), expected "
                + (max ? "at most " : "at least ") + limit + (limit == "1" ? " character" : " characters"));
        return;
    }
    if (startsWith(d, "Array should contain no more than") || startsWith(d, "Array should contain no fewer than")) {
        const bool max = startsWith(d, "Array should contain no more than");
        const std::string n = value && value->is_array() ? std::to_string(value->size()) : std::string("?");
        emit(e.tokens,
            name + " has " + n + (n == "1" ? " item" : " items") + ", expected " + (max ? "at most " : "at least ")
                + number(e.tokens, max ? "maxItems" : "minItems", d));
        return;
    }
    if (startsWith(d, "Object should have no more than") || startsWith(d, "Object should have no fewer than")) {
        const bool max = startsWith(d, "Object should have no more than");
        const std::string n = value && value->is_object() ? std::to_string(value->size()) : std::string("?");
        emit(e.tokens,
            name + " has " + n + (n == "1" ? " property" : " properties") + ", expected "
                + (max ? "at most " : "at least ") + number(e.tokens, max ? "maxProperties" : "minProperties", d));
        return;
    }
    if (startsWith(d, "Elements at indexes #")) {
        std::string idx = d.substr(std::string("Elements at indexes #").size());
        idx = idx.substr(0, idx.find(" violate"));
        idx.erase(std::remove(idx.begin(), idx.end(), '#'), idx.end());
        emit(e.tokens, name + " has equal items at indexes " + idx + ", expected unique items");
        return;
    }
    if (startsWith(d, "Array contains more items than allowed") || startsWith(d, "Cannot validate item #")) {
        std::string allowed = "?";
        for (const Json* c : candidates(e.tokens)) {
            auto items = c->find("items");
            if (items != c->end() && items->is_array()) {
                allowed = std::to_string(items->size());
                break;
            }
        }
        const std::string n = value && value->is_array() ? std::to_string(value->size()) : std::string("?");
        emit(e.tokens, name + " has " + n + " items, expected at most " + allowed + " (additionalItems is false)");
        return;
    }
    if (startsWith(d, "Failed to any values against subschema in 'contains'")) {
        emit(e.tokens, name + " is " + actual() + ", expected at least one item matching the contains schema");
        return;
    }
    if (startsWith(d, "Target should not validate against schema specified in 'not'")) {
        // Common idioms get precise messages: {"not": {"required": [...]}}, {"not": {"enum"/"const": ...}}.
        for (const Json* c : candidates(e.tokens)) {
            auto n = c->find("not");
            if (n == c->end() || !n->is_object() || n->size() != 1 || !value)
                continue;
            auto req = n->find("required");
            if (req != n->end() && req->is_array() && value->is_object()) {
                bool all = !req->empty();
                for (const Json& r : *req)
                    all = all && r.is_string() && value->contains(r.get<std::string>());
                if (!all)
                    continue;
                for (const Json& r : *req) {
                    const std::string prop = r.get<std::string>();
                    emit(child(prop),
                        displayName(child(prop)) + " is " + quoteAt(child(prop)) + ", expected it to be absent");
                }
                return;
            }
            auto en = n->find("enum");
            if (en != n->end() && en->is_array() && std::find(en->begin(), en->end(), *value) != en->end()) {
                emit(e.tokens, name + " is " + actual() + ", expected anything except " + enumText(*en));
                return;
            }
            auto cn = n->find("const");
            if (cn != n->end() && *cn == *value) {
                emit(e.tokens, name + " is " + actual() + ", expected anything except " + describeJsonValue(*cn));
                return;
            }
        }
        emit(e.tokens, name + " is " + actual() + ", expected it not to match the schema under \"not\"");
        return;
    }
    if (startsWith(d, "Failed to validate against exactly one child schema")) {
        emit(e.tokens,
            name + " is " + actual() + ", expected it to match exactly one oneOf alternative (matches several)");
        return;
    }
    if (startsWith(d, "String should be a valid ")) {
        emit(e.tokens,
            name + " is " + actual() + ", expected a valid "
                + d.substr(std::string("String should be a valid ").size()));
        return;
    }
    // Wrappers kept because nothing more specific was reported below them (e.g. a `false` subschema).
    if (startsWith(d, "Failed to validate against schema associated with property name")) {
        const std::string prop = quotedName(d, "property name '");
        bool forbidden = false; // {"properties": {"x": false}}: x must be absent
        for (const Json* c : candidates(e.tokens)) {
            auto props = c->find("properties");
            if (props != c->end() && props->is_object()) {
                auto p = props->find(prop);
                forbidden = forbidden || (p != props->end() && p->is_boolean() && !p->get<bool>());
            }
        }
        emit(child(prop),
            displayName(child(prop)) + " is " + quoteAt(child(prop))
                + (forbidden ? ", expected it to be absent" : ", which its schema does not allow"));
        return;
    }
    if (startsWith(d, "Failed to validate item #")) {
        std::string idx = d.substr(std::string("Failed to validate item #").size());
        idx = idx.substr(0, idx.find(' '));
        std::vector<std::string> t = e.tokens;
        if (t.empty() || t.back() != idx)
            t.push_back(idx);
        emit(t, displayName(t) + " is " + quoteAt(t) + ", which its schema does not allow");
        return;
    }
    if (startsWith(d, "Failed to validate against schema associated with pattern")) {
        const std::string pattern = quotedName(d, "pattern '");
        bool any = false;
        if (value && value->is_object()) {
            for (auto m = value->begin(); m != value->end(); ++m) {
                if (regexSearch(pattern, m.key())) {
                    any = true;
                    emit(child(m.key()),
                        displayName(child(m.key())) + " is " + quoteAt(child(m.key()))
                            + ", which the schema for properties matching " + pattern + " does not allow");
                }
            }
        }
        if (!any)
            emit(e.tokens, name + " is " + actual() + ", which the schema does not allow");
        return;
    }
    if (startsWith(d, "Failed to validate against additional properties schema")) {
        const std::vector<std::string> extra = unexpectedProperties(e.tokens, value, false);
        for (const std::string& p : extra) {
            emit(child(p),
                displayName(child(p)) + " is " + quoteAt(child(p))
                    + ", which the additionalProperties schema does not allow");
        }
        if (extra.empty())
            emit(e.tokens, name + " is " + actual() + ", which the schema does not allow");
        return;
    }
    if (startsWith(d, "Failed to validate against dependent schema")) {
        std::string because;
        for (const Json* c : candidates(e.tokens)) {
            auto deps = c->find("dependencies");
            if (deps == c->end() || !deps->is_object() || !value || !value->is_object())
                continue;
            for (auto it = deps->begin(); it != deps->end() && because.empty(); ++it) {
                if (!it->is_array() && value->contains(it.key()))
                    because = it.key();
            }
            if (!because.empty())
                break;
        }
        emit(e.tokens,
            name + " is " + actual() + ", which does not match the schema that applies when "
                + (because.empty() ? std::string("a dependency") : because) + " is present");
        return;
    }
    emit(e.tokens, name + " is " + actual() + ", which the schema does not allow");
}

void ErrorTranslator::summariseAlternatives(const std::vector<std::string>& tokens, const std::string& keyword,
    std::size_t count, const std::vector<std::pair<std::size_t, std::vector<SchemaError>>>& branches,
    std::vector<SchemaError>& out)
{
    auto text = [](const std::vector<SchemaError>& errs) {
        std::string t;
        for (const SchemaError& e : errs)
            t += (t.empty() ? "" : " and ") + e.message;
        return t.empty() ? std::string("does not match") : t;
    };
    std::string message
        = displayName(tokens) + " matches none of the " + std::to_string(count) + " " + keyword + " alternatives";
    if (branches.size() == count && count <= 3) {
        message += ":";
        for (const auto& [index, errs] : branches)
            message += " [" + std::to_string(index) + "] " + text(errs) + ";";
        message.pop_back();
    } else if (!branches.empty()) {
        const auto closest = std::min_element(branches.begin(), branches.end(),
            [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
        message += "; the closest is [" + std::to_string(closest->first) + "]: " + text(closest->second);
    }
    out.push_back({m_base + jsonPointerFromTokens(tokens), std::move(message)});
}

const Json* ErrorTranslator::valueAt(const std::vector<std::string>& tokens) const
{
    return findPointer(m_instance, jsonPointerFromTokens(tokens));
}

std::string ErrorTranslator::displayName(const std::vector<std::string>& tokens) const
{
    if (tokens.empty())
        return m_rootName;
    std::string out = m_instance.is_array() ? m_rootName : std::string();
    const Json* v = &m_instance;
    for (const std::string& t : tokens) {
        if (v && v->is_array()) {
            out += "[" + t + "]";
        } else {
            if (!out.empty())
                out += ".";
            out += t;
        }
        if (v && v->is_object()) {
            auto it = v->find(t);
            v = it != v->end() ? &*it : nullptr;
        } else if (v && v->is_array()) {
            std::size_t idx = static_cast<std::size_t>(std::strtoul(t.c_str(), nullptr, 10));
            v = idx < v->size() ? &(*v)[idx] : nullptr;
        } else {
            v = nullptr;
        }
    }
    return out;
}

void ErrorTranslator::noteQuoted(const std::vector<std::string>& tokens)
{
    if (tokens.empty())
        m_quotedRoot = true;
    else
        m_quotedMembers.insert(tokens.front());
}

std::string ErrorTranslator::quoteAt(const std::vector<std::string>& tokens)
{
    noteQuoted(tokens);
    const Json* v = valueAt(tokens);
    return v ? describeJsonValue(*v) : std::string("missing");
}

const ErrorTranslator::Location& ErrorTranslator::location(const std::vector<std::string>& tokens)
{
    auto [it, inserted] = m_locations.try_emplace(tokens);
    if (inserted) {
        Location& l = it->second;
        l.value = valueAt(tokens);
        l.name = displayName(tokens);
        l.actual = l.value ? describeJsonValue(*l.value) : std::string("missing");
    }
    return it->second;
}

std::string ErrorTranslator::enumText(const Json& en) const
{
    if (m_index) {
        const auto found = m_index->enumTexts.find(&en);
        if (found != m_index->enumTexts.end())
            return found->second;
    }
    return joinValues(en);
}

const std::vector<const Json*>& ErrorTranslator::candidates(const std::vector<std::string>& tokens)
{
    auto it = m_candidates.find(tokens);
    if (it != m_candidates.end())
        return it->second;
    std::vector<const Json*> out;
    collectCandidates(m_root, m_index, m_root, &m_instance, tokens, 0, out, 0);
    return m_candidates.emplace(tokens, std::move(out)).first->second;
}

std::string ErrorTranslator::number(
    const std::vector<std::string>& tokens, const char* kw, const std::string& description)
{
    const Json* v = keyword(tokens, kw, nullptr, [](const Json&) { return true; });
    if (v && v->is_number())
        return v->dump();
    // valijson prints std::to_string(double): trim trailing zeros.
    const std::size_t p = description.find_first_of("0123456789-");
    if (p == std::string::npos)
        return "?";
    std::string n = description.substr(p);
    n = n.substr(0, n.find_first_not_of("0123456789.-e+"));
    if (n.find('.') != std::string::npos) {
        while (!n.empty() && n.back() == '0')
            n.pop_back();
        if (!n.empty() && n.back() == '.')
            n.pop_back();
    }
    return n;
}

std::vector<std::string> ErrorTranslator::unexpectedProperties(
    const std::vector<std::string>& tokens, const Json* value, bool onlyFalse)
{
    std::vector<std::string> out;
    if (!value || !value->is_object())
        return out;
    for (const Json* c : candidates(tokens)) {
        auto addl = c->find("additionalProperties");
        if (addl == c->end() || (addl->is_boolean() && addl->get<bool>()) || (onlyFalse && !addl->is_boolean()))
            continue;
        for (auto m = value->begin(); m != value->end(); ++m) {
            bool known = false;
            auto props = c->find("properties");
            if (props != c->end() && props->is_object() && props->contains(m.key()))
                known = true;
            auto pprops = c->find("patternProperties");
            if (!known && pprops != c->end() && pprops->is_object()) {
                for (auto p = pprops->begin(); p != pprops->end() && !known; ++p)
                    known = regexSearch(p.key(), m.key());
            }
            if (!known && std::find(out.begin(), out.end(), m.key()) == out.end())
                out.push_back(m.key());
        }
        break;
    }
    return out;
}
} // namespace el::schema_detail
