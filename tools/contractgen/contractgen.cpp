// SPDX-License-Identifier: MIT
//
// contractgen: writes the built-in open-design contracts (resources/contracts/open-design.json for era A,
// open-design-era-b.json for era B) from the facts file resources/contracts/src/open-design-facts.json.
//
//   contractgen FACTS OUTDIR                                  write one contract per era into OUTDIR
//   contractgen --check COMMITTED_DIR [--hint TEXT] FACTS OUTDIR
//                                                             the same, then compare each file byte for byte
//                                                             with COMMITTED_DIR/<file>; exit 1 on a difference
//
// The facts file describes its own format in its "$comment". In short, per era:
//  - every list entry (event, shape, property, allowed value, rule, sequence) with "eras" exists only in the
//    eras it lists; a description or note given as {"A": text, "B": text} takes its era's text;
//  - an event's schema comes from its catalogue shapes (see Generator::event()), and its rules follow: the
//    generated "<event>-known-shape" rule of a union event, then the rules written in the facts;
//  - globals, super_properties, unplanned_events and sequences are copied; "extra" (an object) is appended
//    after "sequences", key by key, in every output: the place for a fixed top-level block (e.g. "scans").
// Only the standard library and nlohmann-json: no Qt, no Python, nothing outside the repository.

// Over 600 lines as one file: it is one idea, the facts file turned into both eras' contracts, read top to bottom.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using OJson = nlohmann::ordered_json;

/** A mistake in the facts file: where (a path such as events[7] (run_created).shapes[0]) and what. */
struct FactsError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& where, const std::string& what)
{
    throw FactsError(where + ": " + what);
}

void checkKeys(const OJson& obj, const std::string& where, std::initializer_list<const char*> allowed)
{
    if (!obj.is_object())
        fail(where, "must be an object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) { return it.key() == k; })) {
            std::string list;
            for (const char* k : allowed)
                list += std::string(list.empty() ? "" : ", ") + k;
            fail(where, "unknown key \"" + it.key() + "\" (allowed: " + list + ")");
        }
    }
}

const OJson& member(const OJson& obj, const char* key, const std::string& where)
{
    const auto it = obj.find(key);
    if (it == obj.end())
        fail(where, std::string("\"") + key + "\" is required");
    return *it;
}

std::string stringMember(const OJson& obj, const char* key, const std::string& where)
{
    const OJson& v = member(obj, key, where);
    if (!v.is_string())
        fail(where + "." + key, "must be a string");
    return v.get<std::string>();
}

std::string join(const std::vector<std::string>& parts, const std::string& sep)
{
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i)
        out += (i ? sep : std::string()) + parts[i];
    return out;
}

// ----- output format -----------------------------------------------------------------------------------------
// The contracts are meant to be read: a value stays on one line when it fits in kWidth columns (its key and a
// following comma included), else an object gets one member per line, an array of scalars is filled line by
// line and any other array gets one element per line. Long strings (descriptions) are never broken.

constexpr std::size_t kWidth = 118;

/** Columns \a s takes: its UTF-8 code points. */
std::size_t columns(const std::string& s)
{
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/** \a v on one line, with ", " and ": " as separators. */
std::string oneLine(const OJson& v)
{
    if (v.is_object()) {
        std::string out = "{";
        for (auto it = v.begin(); it != v.end(); ++it)
            out += (it == v.begin() ? "" : ", ") + OJson(it.key()).dump() + ": " + oneLine(*it);
        return out + "}";
    }
    if (v.is_array()) {
        std::string out = "[";
        for (std::size_t i = 0; i < v.size(); ++i)
            out += (i ? ", " : "") + oneLine(v[i]);
        return out + "]";
    }
    return v.dump();
}

/** \a v at \a indent, after \a prefix columns (its key) on the first line and before \a comma (0 or 1). */
std::string pretty(const OJson& v, std::size_t indent, std::size_t prefix, std::size_t comma)
{
    const std::string line = oneLine(v);
    if (!v.is_structured() || v.empty() || indent + prefix + columns(line) + comma <= kWidth)
        return line;
    const std::string pad(indent + 2, ' ');
    std::vector<std::string> lines;
    if (v.is_object()) {
        std::size_t n = 0;
        for (auto it = v.begin(); it != v.end(); ++it, ++n) {
            const std::string key = OJson(it.key()).dump() + ": ";
            lines.push_back(pad + key + pretty(*it, indent + 2, columns(key), n + 1 < v.size() ? 1 : 0));
        }
        return "{\n" + join(lines, ",\n") + "\n" + std::string(indent, ' ') + "}";
    }
    if (std::none_of(v.begin(), v.end(), [](const OJson& x) { return x.is_structured(); })) {
        std::string current;
        for (const OJson& x : v) {
            const std::string item = oneLine(x);
            if (!current.empty() && pad.size() + columns(current) + 2 + columns(item) + 1 > kWidth) {
                lines.push_back(pad + current);
                current = item;
            } else {
                current += (current.empty() ? "" : ", ") + item;
            }
        }
        lines.push_back(pad + current);
    } else {
        for (std::size_t i = 0; i < v.size(); ++i)
            lines.push_back(pad + pretty(v[i], indent + 2, 0, i + 1 < v.size() ? 1 : 0));
    }
    return "[\n" + join(lines, ",\n") + "\n" + std::string(indent, ' ') + "]";
}

class Generator
{
public:
    explicit Generator(OJson facts)
        : m_facts(std::move(facts))
    {
        checkKeys(m_facts, "(top level)",
            {"$comment", "contracts", "globals", "super_properties", "events", "unplanned_events", "sequences",
                "extra"});
        const OJson& contracts = member(m_facts, "contracts", "(top level)");
        if (!contracts.is_array() || contracts.empty())
            fail("contracts", "must be a non-empty array");
        for (std::size_t i = 0; i < contracts.size(); ++i) {
            const std::string w = "contracts[" + std::to_string(i) + "]";
            checkKeys(contracts[i], w, {"era", "file", "name", "version", "catalogue", "description"});
            m_eras.push_back(stringMember(contracts[i], "era", w));
        }
        if (std::set<std::string>(m_eras.begin(), m_eras.end()).size() != m_eras.size())
            fail("contracts", "two contracts for the same era");
        if (m_facts.contains("extra") && !m_facts["extra"].is_object())
            fail("extra", "must be an object of top-level contract keys");
    }

    /** Each era's file name and text. */
    std::vector<std::pair<std::string, std::string>> generate()
    {
        std::vector<std::pair<std::string, std::string>> out;
        for (const OJson& c : m_facts["contracts"]) {
            const std::string file = stringMember(c, "file", "contracts");
            if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos)
                fail("contracts", "\"file\" must be a file name, not \"" + file + "\"");
            out.emplace_back(file, pretty(contract(c), 0, 0, 0) + "\n");
        }
        return out;
    }

private:
    // ----- eras --------------------------------------------------------------------------------------------

    /** False when \a entry has "eras" and \a era is not one of them. */
    bool inEra(const OJson& entry, const std::string& era, const std::string& where) const
    {
        if (!entry.is_object() || !entry.contains("eras"))
            return true;
        const OJson& eras = entry["eras"];
        if (!eras.is_array() || eras.empty())
            fail(where + ".eras", "must be a non-empty array of eras");
        bool found = false;
        for (const OJson& e : eras) {
            if (!e.is_string() || std::find(m_eras.begin(), m_eras.end(), e.get<std::string>()) == m_eras.end())
                fail(where + ".eras", "unknown era " + e.dump());
            found = found || e.get<std::string>() == era;
        }
        return found;
    }

    /** A description or note: the string itself, or its era's entry of {"A": ..., "B": ...} (null: none). */
    OJson text(const OJson& v, const std::string& era, const std::string& where) const
    {
        if (v.is_string())
            return v;
        if (!v.is_object())
            fail(where, "must be a string or an object of era -> string");
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (std::find(m_eras.begin(), m_eras.end(), it.key()) == m_eras.end() || !it->is_string())
                fail(where, "unknown era \"" + it.key() + "\" or a text that is not a string");
        }
        return v.contains(era) ? v[era] : OJson();
    }

    /** \a entry without "eras", with "description" resolved for \a era (dropped when the era has none). */
    OJson resolve(const OJson& entry, const std::string& era, const std::string& where) const
    {
        if (!entry.is_object())
            return entry;
        OJson out = OJson::object();
        for (auto it = entry.begin(); it != entry.end(); ++it) {
            if (it.key() == "eras")
                continue;
            if (it.key() == "description") {
                OJson t = text(*it, era, where + ".description");
                if (!t.is_null())
                    out["description"] = std::move(t);
                continue;
            }
            out[it.key()] = *it;
        }
        return out;
    }

    // ----- properties --------------------------------------------------------------------------------------

    /** One property of one shape, in one era. */
    struct Prop
    {
        std::string name;
        bool required = false;
        std::vector<std::string> literals; ///< allowed string values, in order
        std::vector<std::string> types; ///< JSON types; "null" also for a null allowed value
        OJson array; ///< the whole schema of an array property (then literals and types are empty)
    };

    static void addUnique(std::vector<std::string>& list, const std::string& v)
    {
        if (std::find(list.begin(), list.end(), v) == list.end())
            list.push_back(v);
    }

    std::vector<OJson> values(const OJson& list, const std::string& era, const std::string& where) const
    {
        if (!list.is_array() || list.empty())
            fail(where, "must be a non-empty array of allowed values");
        std::vector<OJson> out;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string w = where + "[" + std::to_string(i) + "]";
            OJson v = list[i];
            if (v.is_object()) {
                checkKeys(v, w, {"value", "eras"});
                if (!inEra(v, era, w))
                    continue;
                v = member(v, "value", w);
            }
            if (!v.is_string() && !v.is_null())
                fail(w, "an allowed value must be a string or null");
            out.push_back(std::move(v));
        }
        return out;
    }

    static OJson typeList(const std::vector<std::string>& types)
    {
        return types.size() == 1 ? OJson(types[0]) : OJson(types);
    }

    Prop prop(const OJson& p, const std::string& era, const std::string& where) const
    {
        checkKeys(p, where, {"name", "required", "values", "type", "items", "eras"});
        Prop out;
        out.name = stringMember(p, "name", where);
        if (p.contains("required")) {
            if (!p["required"].is_boolean())
                fail(where + ".required", "must be true or false");
            out.required = p["required"].get<bool>();
        }
        if (p.contains("values") == p.contains("type"))
            fail(where, "needs exactly one of \"values\" and \"type\"");
        if (p.contains("values")) {
            for (const OJson& v : values(p["values"], era, where + ".values")) {
                if (v.is_null())
                    addUnique(out.types, "null");
                else
                    addUnique(out.literals, v.get<std::string>());
            }
            if (out.literals.empty())
                fail(where + ".values", "no allowed string value in era " + era);
            return out;
        }
        const OJson& type = p["type"];
        if (type == "array") {
            const OJson& items = member(p, "items", where);
            checkKeys(items, where + ".items", {"type", "values"});
            OJson itemSchema;
            if (items.contains("values")) {
                itemSchema["enum"] = OJson::array();
                for (OJson& v : values(items["values"], era, where + ".items.values"))
                    itemSchema["enum"].push_back(std::move(v));
            } else {
                itemSchema["type"] = member(items, "type", where + ".items");
            }
            out.array = OJson {{"type", "array"}, {"items", std::move(itemSchema)}};
            return out;
        }
        if (p.contains("items"))
            fail(where + ".items", "only for \"type\": \"array\"");
        for (const OJson& t : type.is_array() ? type : OJson::array({type})) {
            if (!t.is_string())
                fail(where + ".type", "must be a JSON type name or a list of them");
            addUnique(out.types, t.get<std::string>());
        }
        return out;
    }

    /**
     * The schema of a property: {"const": v} for one allowed value, {"enum": [...]} for several (null last),
     * {"type": ...} for a type. Literals next to a non-null type (a shape says string, another lists values)
     * give the type, string included.
     */
    static OJson propSchema(const Prop& p)
    {
        if (!p.array.is_null())
            return p.array;
        const bool onlyNull
            = std::all_of(p.types.begin(), p.types.end(), [](const std::string& t) { return t == "null"; });
        if (!p.literals.empty() && onlyNull) {
            OJson values(p.literals);
            if (!p.types.empty())
                values.push_back(nullptr);
            if (values.size() == 1)
                return OJson {{"const", values[0]}};
            return OJson {{"enum", std::move(values)}};
        }
        std::vector<std::string> types = p.types;
        if (!p.literals.empty() && std::find(types.begin(), types.end(), "string") == types.end())
            types.insert(types.begin(), "string");
        return OJson {{"type", typeList(types)}};
    }

    /** A page_name/area/element property whose allowed values are all string literals: a shape discriminator. */
    static bool discriminator(const Prop& p)
    {
        return (p.name == "page_name" || p.name == "area" || p.name == "element") && p.array.is_null()
            && !p.literals.empty() && p.types.empty();
    }

    struct Shape
    {
        std::string name;
        std::vector<Prop> props;
    };

    std::vector<Prop> props(const OJson& list, const std::string& era, const std::string& where) const
    {
        if (!list.is_array())
            fail(where, "must be an array of properties");
        std::vector<Prop> out;
        std::set<std::string> names;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string w = where + "[" + std::to_string(i) + "]";
            if (!inEra(list[i], era, w))
                continue;
            out.push_back(prop(list[i], era, w));
            if (!names.insert(out.back().name).second)
                fail(w, "property \"" + out.back().name + "\" twice in era " + era);
        }
        return out;
    }

    // ----- events ------------------------------------------------------------------------------------------

    /** "page_view" -> "page-view-known-shape". */
    static std::string knownShapeRuleId(std::string name)
    {
        std::replace(name.begin(), name.end(), '_', '-');
        return name + "-known-shape";
    }

    /**
     * How the union's shapes relate, for the known-shape rule's description: "they are pairwise disjoint", or
     * which two overlap on which discriminator values and what else separates them. Two shapes that no
     * discriminator separates at all make the union ambiguous: an error in the facts.
     */
    static std::string overlapText(const std::vector<Shape>& shapes, const std::string& where)
    {
        std::vector<std::string> overlaps;
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            for (std::size_t j = i + 1; j < shapes.size(); ++j) {
                std::vector<std::string> shared;
                std::vector<std::string> onlyOne;
                bool disjoint = false;
                for (const Prop& a : shapes[i].props) {
                    if (!discriminator(a))
                        continue;
                    const auto b = std::find_if(shapes[j].props.begin(), shapes[j].props.end(),
                        [&](const Prop& p) { return p.name == a.name && discriminator(p); });
                    if (b == shapes[j].props.end()) {
                        onlyOne.push_back(a.name);
                        continue;
                    }
                    std::vector<std::string> common;
                    for (const std::string& v : a.literals) {
                        if (std::find(b->literals.begin(), b->literals.end(), v) != b->literals.end())
                            common.push_back(v);
                    }
                    if (common.empty())
                        disjoint = true;
                    shared.push_back(a.name + " " + join(common, "/"));
                }
                if (disjoint)
                    continue;
                for (const Prop& b : shapes[j].props) {
                    if (discriminator(b)
                        && std::none_of(shapes[i].props.begin(), shapes[i].props.end(),
                            [&](const Prop& p) { return p.name == b.name && discriminator(p); }))
                        onlyOne.push_back(b.name);
                }
                if (onlyOne.empty())
                    fail(where,
                        "shapes " + shapes[i].name + " and " + shapes[j].name + " overlap on " + join(shared, ", ")
                            + ": no page_name/area/element literal separates them");
                overlaps.push_back(shapes[i].name + " vs " + shapes[j].name + " on " + join(shared, ", ")
                    + ", which only the presence of " + join(onlyOne, " and ") + " separates");
            }
        }
        if (overlaps.empty())
            return "they are pairwise disjoint";
        return "they are pairwise disjoint except " + join(overlaps, "; ");
    }

    /**
     * An event's schema from its shapes (and the common fields of file_upload_result):
     *  - properties: every property of every shape, first appearance first, with the union of its allowed values;
     *  - required: the properties every shape requires (in the first shape's order), then the required common ones;
     *  - a union (several shapes) also gets allOf: one if/then per shape, "if" its discriminators (page_name/area/
     *    element literals), "then" the rest of the shape; and the known-shape rule, an anyOf of those "if"s.
     */
    OJson event(const OJson& e, const std::string& era, const std::string& catalogue, const std::string& where) const
    {
        checkKeys(e, where, {"name", "eras", "props", "note", "shapes", "common", "rules"});
        const std::string name = stringMember(e, "name", where);
        const std::string propsType = stringMember(e, "props", where);

        std::vector<Shape> shapes;
        const OJson& shapeList = member(e, "shapes", where);
        if (!shapeList.is_array())
            fail(where + ".shapes", "must be an array");
        for (std::size_t i = 0; i < shapeList.size(); ++i) {
            const std::string w = where + ".shapes[" + std::to_string(i) + "]";
            checkKeys(shapeList[i], w, {"name", "eras", "properties"});
            if (!inEra(shapeList[i], era, w))
                continue;
            shapes.push_back({stringMember(shapeList[i], "name", w),
                props(member(shapeList[i], "properties", w), era, w + ".properties")});
        }
        if (shapes.empty())
            fail(where, "no shape in era " + era);
        const std::vector<Prop> common
            = e.contains("common") ? props(e["common"], era, where + ".common") : std::vector<Prop>();

        // properties: merged in first-appearance order
        std::vector<Prop> merged;
        auto mergeIn = [&](const Prop& p, const std::string& w) {
            auto it = std::find_if(merged.begin(), merged.end(), [&](const Prop& m) { return m.name == p.name; });
            if (it == merged.end()) {
                merged.push_back(p);
                return;
            }
            if (!it->array.is_null() || !p.array.is_null()) {
                if (it->array != p.array)
                    fail(w, "property \"" + p.name + "\" is an array in one shape and differs in another");
                return;
            }
            for (const std::string& l : p.literals)
                addUnique(it->literals, l);
            for (const std::string& t : p.types)
                addUnique(it->types, t);
        };
        for (const Shape& s : shapes) {
            for (const Prop& p : s.props)
                mergeIn(p, where + " (" + s.name + ")");
        }
        for (const Prop& p : common)
            mergeIn(p, where + ".common");
        OJson properties = OJson::object();
        for (const Prop& p : merged)
            properties[p.name] = propSchema(p);

        OJson required = OJson::array();
        for (const Prop& p : shapes.front().props) {
            const bool everywhere = std::all_of(shapes.begin(), shapes.end(), [&](const Shape& s) {
                return std::any_of(
                    s.props.begin(), s.props.end(), [&](const Prop& q) { return q.name == p.name && q.required; });
            });
            if (everywhere)
                required.push_back(p.name);
        }
        for (const Prop& p : common) {
            if (p.required)
                required.push_back(p.name);
        }

        OJson schema = {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
        OJson rules = OJson::array();
        std::string unionText;
        if (shapes.size() > 1) {
            OJson allOf = OJson::array();
            OJson anyOf = OJson::array();
            std::vector<std::string> shapeNames;
            for (const Shape& s : shapes) {
                OJson ifProps = OJson::object();
                OJson ifRequired = OJson::array();
                OJson thenProps = OJson::object();
                OJson thenRequired = OJson::array();
                for (const Prop& p : s.props) {
                    if (discriminator(p)) {
                        ifProps[p.name] = propSchema(p);
                        ifRequired.push_back(p.name);
                    } else {
                        thenProps[p.name] = propSchema(p);
                        if (p.required)
                            thenRequired.push_back(p.name);
                    }
                }
                if (ifRequired.empty())
                    fail(where + " (" + s.name + ")", "a union shape needs a page_name, area or element literal");
                OJson cond = {{"properties", std::move(ifProps)}, {"required", std::move(ifRequired)}};
                OJson then = {{"properties", std::move(thenProps)}};
                if (!thenRequired.empty())
                    then["required"] = std::move(thenRequired);
                allOf.push_back({{"if", cond}, {"then", std::move(then)}});
                anyOf.push_back(std::move(cond));
                shapeNames.push_back(s.name);
            }
            schema["allOf"] = std::move(allOf);
            const std::string ruleId = knownShapeRuleId(name);
            const std::string n = std::to_string(shapes.size());
            unionText = " Discriminated union of " + n
                + " shapes. Schema: every property of every shape with the union of its allowed values, the "
                  "properties required by all shapes, and one if/then per shape (allOf, in catalogue order: "
                + join(shapeNames, ", ") + ") keyed on the shape's page_name/area/element literals. The rule \""
                + ruleId + "\" requires the combination to be one of the catalogue shapes.";
            rules.push_back({{"id", ruleId}, {"severity", "error"},
                {"description",
                    "The page_name/area/element combination must be one of the " + n + " " + propsType
                        + " shapes of the " + catalogue + " (anyOf of the shape discriminators; "
                        + overlapText(shapes, where) + ")."},
                {"schema", {{"anyOf", std::move(anyOf)}}}});
        }
        if (e.contains("rules")) {
            if (!e["rules"].is_array())
                fail(where + ".rules", "must be an array");
            for (std::size_t i = 0; i < e["rules"].size(); ++i) {
                const std::string w = where + ".rules[" + std::to_string(i) + "]";
                if (inEra(e["rules"][i], era, w))
                    rules.push_back(resolve(e["rules"][i], era, w));
            }
        }

        std::string description = propsType + " (" + catalogue + ").";
        if (e.contains("note")) {
            const OJson note = text(e["note"], era, where + ".note");
            if (!note.is_null())
                description += " " + note.get<std::string>();
        }
        OJson out = {{"description", description + unionText}, {"severity", "error"}, {"schema", std::move(schema)}};
        if (!rules.empty())
            out["rules"] = std::move(rules);
        return out;
    }

    // ----- the contract ------------------------------------------------------------------------------------

    OJson contract(const OJson& c) const
    {
        const std::string era = c["era"].get<std::string>();
        const std::string where = "contracts (era " + era + ")";
        OJson out = OJson::object();
        out["name"] = stringMember(c, "name", where);
        out["version"] = stringMember(c, "version", where);
        const std::string catalogue = stringMember(c, "catalogue", where);
        const OJson description = text(member(c, "description", where), era, where + ".description");
        if (!description.is_null())
            out["description"] = description;
        if (m_facts.contains("globals"))
            out["globals"] = resolve(m_facts["globals"], era, "globals");
        if (m_facts.contains("super_properties"))
            out["super_properties"] = m_facts["super_properties"];

        OJson events = OJson::object();
        const OJson& list = member(m_facts, "events", "(top level)");
        if (!list.is_array())
            fail("events", "must be an array");
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string w = "events[" + std::to_string(i) + "] ("
                + (list[i].is_object() ? list[i].value("name", std::string("?")) : std::string("?")) + ")";
            if (!inEra(list[i], era, w))
                continue;
            const std::string name = stringMember(list[i], "name", w);
            if (events.contains(name))
                fail(w, "event \"" + name + "\" twice in era " + era);
            events[name] = event(list[i], era, catalogue, w);
        }
        out["events"] = std::move(events);
        if (m_facts.contains("unplanned_events"))
            out["unplanned_events"] = m_facts["unplanned_events"];
        if (m_facts.contains("sequences")) {
            OJson sequences = OJson::array();
            const OJson& seqs = m_facts["sequences"];
            if (!seqs.is_array())
                fail("sequences", "must be an array");
            for (std::size_t i = 0; i < seqs.size(); ++i) {
                const std::string w = "sequences[" + std::to_string(i) + "]";
                if (inEra(seqs[i], era, w))
                    sequences.push_back(resolve(seqs[i], era, w));
            }
            out["sequences"] = std::move(sequences);
        }
        // The marked place for fixed top-level blocks (e.g. a "scans" section): copied verbatim, last.
        if (m_facts.contains("extra")) {
            for (auto it = m_facts["extra"].begin(); it != m_facts["extra"].end(); ++it) {
                if (out.contains(it.key()))
                    fail("extra." + it.key(), "is already a key the generator writes");
                out[it.key()] = *it;
            }
        }
        return out;
    }

    OJson m_facts;
    std::vector<std::string> m_eras;
};

bool readFile(const std::string& path, std::string& out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    return true;
}

bool writeFile(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    return bool(out);
}

/** Line \a n (1-based) of \a text, without its newline, cut to 160 characters. */
std::string lineOf(const std::string& text, std::size_t n)
{
    std::size_t start = 0;
    for (std::size_t i = 1; i < n && start != std::string::npos; ++i) {
        start = text.find('\n', start);
        if (start != std::string::npos)
            ++start;
    }
    if (start == std::string::npos || start >= text.size())
        return "(end of file)";
    const std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.size() > 160)
        line = line.substr(0, 157) + "...";
    return line;
}

/** Where \a a and \a b first differ: "line L, column C", with both lines; empty when equal. */
std::string firstDifference(const std::string& committed, const std::string& generated)
{
    if (committed == generated)
        return {};
    const std::size_t n = std::min(committed.size(), generated.size());
    std::size_t i = 0;
    while (i < n && committed[i] == generated[i])
        ++i;
    const auto end = committed.begin() + static_cast<std::ptrdiff_t>(i);
    const std::size_t line = 1 + static_cast<std::size_t>(std::count(committed.begin(), end, '\n'));
    const std::size_t lineStart = i == 0 ? std::string::npos : committed.rfind('\n', i - 1);
    const std::size_t column = i - (lineStart == std::string::npos ? 0 : lineStart + 1) + 1;
    return "first difference at line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte "
        + std::to_string(i) + ")\n  committed: " + lineOf(committed, line)
        + "\n  generated: " + lineOf(generated, line);
}

int usage()
{
    std::cerr << "usage: contractgen FACTS OUTDIR\n"
                 "       contractgen --check COMMITTED_DIR [--hint TEXT] FACTS OUTDIR\n"
                 "Writes the built-in contracts of FACTS (resources/contracts/src/open-design-facts.json) into "
                 "OUTDIR;\nwith --check, then compares each with the one in COMMITTED_DIR and exits 1 on a "
                 "difference.\n";
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string checkDir;
    std::string hint = "cmake --build BUILD_DIR --target regenerate-contracts";
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--check" && i + 1 < args.size())
            checkDir = args[++i];
        else if (args[i] == "--hint" && i + 1 < args.size())
            hint = args[++i];
        else if (args[i] == "-h" || args[i] == "--help" || args[i].rfind("--", 0) == 0)
            return usage();
        else
            positional.push_back(args[i]);
    }
    if (positional.size() != 2)
        return usage();
    const std::string& factsPath = positional[0];
    const std::string& outDir = positional[1];

    std::string text;
    if (!readFile(factsPath, text)) {
        std::cerr << "contractgen: cannot read " << factsPath << "\n";
        return 2;
    }
    std::vector<std::pair<std::string, std::string>> files;
    try {
        Generator generator(OJson::parse(text));
        files = generator.generate();
    } catch (const OJson::parse_error& e) {
        std::cerr << "contractgen: " << factsPath << ": invalid JSON: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "contractgen: " << factsPath << ": " << e.what() << "\n";
        return 2;
    }

    std::error_code ec;
    std::filesystem::create_directories(outDir, ec);
    int status = 0;
    for (const auto& [file, contract] : files) {
        const std::string outPath = outDir + "/" + file;
        if (!writeFile(outPath, contract)) {
            std::cerr << "contractgen: cannot write " << outPath << "\n";
            return 2;
        }
        if (checkDir.empty()) {
            std::cout << "contractgen: wrote " << outPath << " (" << contract.size() << " bytes)\n";
            continue;
        }
        const std::string committedPath = checkDir + "/" + file;
        std::string committed;
        if (!readFile(committedPath, committed)) {
            std::cerr << "contractgen: " << committedPath << " is missing; the generator makes " << outPath << "\n";
            status = 1;
            continue;
        }
        const std::string difference = firstDifference(committed, contract);
        if (difference.empty()) {
            std::cout << "contractgen: " << committedPath << " is up to date (" << contract.size() << " bytes)\n";
            continue;
        }
        std::cerr << "contractgen: " << committedPath << " differs from what the generator makes from " << factsPath
                  << " (" << outPath << "): " << difference << "\n";
        status = 1;
    }
    if (status != 0)
        std::cerr << "contractgen: the built-in contracts are generated; edit " << factsPath
                  << " (or tools/contractgen), never the contracts, then regenerate with:\n  " << hint << "\n";
    return status;
}
