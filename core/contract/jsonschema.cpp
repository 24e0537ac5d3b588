// SPDX-License-Identifier: MIT
// JsonSchema: compile() checks and rewrites a schema, accepts() and validate() run the fast evaluator and then
// valijson. The pieces live in contract/schema/ (one idea each); this file ties them together.
#include "jsonschema.h"
#include "contract/schema/checks.h"
#include "contract/schema/errortree.h"
#include "contract/schema/extensions.h"
#include "contract/schema/fastpath.h"
#include "contract/schema/metaschema.h"
#include "contract/schema/pattern.h"
#include "contract/schema/rewrite.h"
#include "contract/schema/translator.h"
#include "contract/schema/valijson.h"

#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <set>

namespace el {

using namespace schema_detail;

struct JsonSchema::Private
{
    Json source;
    Json effective;
    valijson::Schema schema;
    bool patternProperties = false; ///< valijson matches those with backtracking std::regex
    std::vector<Alternatives> alternatives; ///< indexed by the id in the marks
    std::shared_ptr<const FastNode> fast; ///< proves validity without valijson when it can (see fastpath.h)
    /**
     * The members of an object instance the schema can look at (sorted), when it names them all (namedMembers()),
     * so that valijson, explaining a failure, is shown only those. valijson visits every member that "properties"
     * does not name, against the empty schema of an absent "additionalProperties", once per "properties" keyword
     * (every if/then of a contract's globals has one). The left-out members can neither fail nor change a
     * verdict, so the errors are the same (validateWhole() is the reference).
     */
    std::optional<std::vector<std::string>> members;
    SchemaIndex index; ///< of effective, for the messages (collectCandidates)

    bool validate(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer,
        const std::string& rootName, bool prune) const;
};

namespace {

/** Whether \a v holds an unsigned integer above INT64_MAX, which valijson's adapter reads as negative. */
bool hasHugeUnsigned(const Json& v)
{
    if (v.is_number_unsigned())
        return v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max());
    if (v.is_structured())
        for (const Json& e : v)
            if (hasHugeUnsigned(e))
                return true;
    return false;
}

/**
 * Replaces unsigned integers above INT64_MAX by the nearest double: valijson's nlohmann adapter reads
 * them with get<int64_t>() (18446744073709551615 becomes -1), the double keeps their magnitude.
 */
void widenHugeUnsigned(Json& v)
{
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        v = static_cast<double>(v.get<std::uint64_t>());
    else if (v.is_structured())
        for (Json& e : v)
            widenHugeUnsigned(e);
}

/** The instance as valijson must see it (see widenHugeUnsigned); \a storage holds a widened copy if needed. */
const Json& forValijson(const Json& instance, std::optional<Json>& storage)
{
    if (!hasHugeUnsigned(instance))
        return instance;
    storage = instance;
    widenHugeUnsigned(*storage);
    return *storage;
}

/**
 * Adds to \a names the members of an object instance that \a node, applied to the instance itself, can look at;
 * false when its verdict or errors may depend on members it does not name (additionalProperties,
 * patternProperties, propertyNames, min/maxProperties, enum, const, $ref or any keyword not known here).
 */
bool namedMembers(const Json& node, std::set<std::string>& names, int depth)
{
    static const std::set<std::string> memberAgnostic = {"$schema", "$id", "$comment", "title", "description",
        "default", "examples", "definitions", "readOnly", "writeOnly", "contentMediaType", "contentEncoding", "type",
        "format", "pattern", "multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
        "maxLength", "items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"};
    if (depth > 64)
        return false;
    if (node.is_boolean())
        return true;
    if (!node.is_object())
        return false;
    const auto addNames = [&names](const Json& list) {
        if (!list.is_array())
            return false;
        for (const Json& n : list) {
            if (!n.is_string())
                return false;
            names.insert(n.get<std::string>());
        }
        return true;
    };
    for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string& k = it.key();
        const Json& v = *it;
        if (k == "properties") {
            if (!v.is_object())
                return false;
            for (auto p = v.begin(); p != v.end(); ++p)
                names.insert(p.key());
        } else if (k == "required") {
            if (!addNames(v))
                return false;
        } else if (k == "dependencies") {
            if (!v.is_object())
                return false;
            for (auto d = v.begin(); d != v.end(); ++d) {
                names.insert(d.key());
                if (d->is_array() ? !addNames(*d) : !namedMembers(*d, names, depth + 1))
                    return false;
            }
        } else if (k == "allOf" || k == "anyOf" || k == "oneOf") {
            if (!v.is_array())
                return false;
            for (const Json& sub : v) {
                if (!namedMembers(sub, names, depth + 1))
                    return false;
            }
        } else if (k == "not" || k == "if" || k == "then" || k == "else") {
            if (!namedMembers(v, names, depth + 1))
                return false;
        } else if (!memberAgnostic.count(k) && k.rfind("x-", 0) != 0) { // x-eventlens-*: pattern, format, type,
            return false; //                                               multipleOf, marks; other x-: ignored
        }
    }
    return true;
}

/** A property name too long for valijson's patternProperties matching, as a pointer (or nullopt). */
std::optional<std::vector<std::string>> overlongName(const Json& v, std::vector<std::string>& path)
{
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
            path.push_back(it.key());
            if (it.key().size() > kMaxPatternPropertyName)
                return path;
            if (auto found = overlongName(*it, path))
                return found;
            path.pop_back();
        }
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
            path.push_back(std::to_string(i));
            if (auto found = overlongName(v[i], path))
                return found;
            path.pop_back();
        }
    }
    return std::nullopt;
}

} // namespace

JsonSchema::JsonSchema()
    : d(std::make_unique<Private>())
{ }

JsonSchema::~JsonSchema() = default;

std::shared_ptr<const JsonSchema> JsonSchema::compile(const Json& schema, std::string& error)
{
    try {
        if (!schema.is_object() && !schema.is_boolean()) {
            error = "a schema must be an object or a boolean, not " + jsonTypeName(schema);
            return nullptr;
        }
        const MetaSchema& meta = metaSchema();
        if (meta.ok) {
            valijson::Validator v;
            valijson::adapters::NlohmannJsonAdapter adapter(schema);
            valijson::ValidationResults results;
            if (!v.validate(meta.schema, adapter, &results)) {
                std::vector<SchemaError> errors;
                ErrorTranslator tr(meta.doc, schema, std::string(), std::string("schema"));
                for (const RawError& e : mostSpecific(collectErrors(results)))
                    tr.translate(e, errors);
                error = "not a valid draft-07 JSON Schema";
                if (!errors.empty())
                    error += ": at " + (errors.front().path.empty() ? std::string("/") : errors.front().path) + ": "
                        + errors.front().message;
                return nullptr;
            }
        }
        const std::string staticError = checkSchemaStatically(schema);
        if (!staticError.empty()) {
            error = staticError;
            return nullptr;
        }
        std::shared_ptr<JsonSchema> out(new JsonSchema());
        out->d->source = schema;
        out->d->effective = schema;
        out->d->patternProperties = rewriteKeywords(out->d->effective);
        out->d->alternatives = rewriteAlternatives(out->d->effective);
        rewriteAllOf(out->d->effective);
        widenHugeUnsigned(out->d->effective);
        out->d->fast = compileFast(out->d->source);
        out->d->index = indexSchema(out->d->effective);
        std::set<std::string> names;
        if (namedMembers(out->d->effective, names, 0))
            out->d->members.emplace(names.begin(), names.end());
        std::string parseError;
        if (!parseInto(out->d->effective, out->d->schema, parseError)) {
            error = "invalid JSON Schema: " + parseError;
            return nullptr;
        }
        return out;
    } catch (const std::exception& e) {
        error = std::string("invalid JSON Schema: ") + e.what();
        return nullptr;
    }
}

bool JsonSchema::accepts(const Json& instance) const
{
    std::vector<std::string> path;
    if (d->patternProperties && overlongName(instance, path))
        return false;
    if (d->fast) {
        const Verdict verdict = evalFast(*d->fast, instance);
        if (verdict != Verdict::Unknown)
            return verdict == Verdict::Valid;
    }
    try {
        valijson::Validator validator; // cheap; one per call keeps JsonSchema thread-safe without a lock
        std::optional<Json> widened;
        valijson::adapters::NlohmannJsonAdapter adapter(forValijson(instance, widened));
        return validator.validate(d->schema, adapter, nullptr);
    } catch (const std::exception&) {
        return false;
    }
}

bool JsonSchema::validate(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer,
    const std::string& rootName) const
{
    return d->validate(instance, errors, basePointer, rootName, true);
}

bool JsonSchema::validateWhole(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer,
    const std::string& rootName) const
{
    return d->validate(instance, errors, basePointer, rootName, false);
}

bool JsonSchema::Private::validate(const Json& instance, std::vector<SchemaError>& errors,
    const std::string& basePointer, const std::string& rootName, bool prune) const
{
    std::vector<std::string> path;
    if (patternProperties && overlongName(instance, path)) {
        errors.push_back({basePointer + jsonPointerFromTokens(path),
            "property name of " + std::to_string(path.back().size())
                + " characters is too long to check against patternProperties"});
        return false;
    }
    const Verdict verdict = fast ? evalFast(*fast, instance) : Verdict::Unknown;
    if (verdict == Verdict::Valid)
        return true;
    valijson::ValidationResults results;
    try {
        valijson::Validator validator;
        // Only the members the schema names (see members); the translator below still reads the whole instance.
        std::optional<Json> named;
        if (prune && members && instance.is_object() && instance.size() > members->size()) {
            named.emplace(Json::object());
            for (const std::string& m : *members) {
                const auto it = instance.find(m);
                if (it != instance.end())
                    named->emplace(m, *it);
            }
        }
        std::optional<Json> widened;
        valijson::adapters::NlohmannJsonAdapter adapter(forValijson(named ? *named : instance, widened));
        // Known invalid: straight to the pass that collects errors (it still decides validity).
        if (verdict == Verdict::Unknown && validator.validate(schema, adapter, nullptr))
            return true;
        if (validator.validate(schema, adapter, &results))
            return true;
    } catch (const std::exception& e) {
        errors.push_back({basePointer, rootName + " could not be validated: " + e.what()});
        return false;
    }
    ErrorTranslator tr(effective, instance, basePointer, rootName, &index);
    std::vector<SchemaError> translated;
    std::size_t pos = 0;
    translateTree(buildTree(collectErrors(results), pos, nullptr, 0), tr, alternatives, translated);
    if (translated.empty()) // e.g. a `false` subschema or propertyNames: valijson reports nothing
        translated.push_back(
            {basePointer, rootName + " is " + describeJsonValue(instance) + ", which the schema does not allow"});
    std::set<std::pair<std::string, std::string>> seen;
    for (SchemaError& e : translated) {
        if (seen.insert({e.path, e.message}).second)
            errors.push_back(std::move(e));
    }
    return false;
}

const Json& JsonSchema::source() const
{
    return d->source;
}

JsonSchema::PathVerdict JsonSchema::fastPathVerdict(const Json& instance) const
{
    const Verdict verdict = d->fast ? evalFast(*d->fast, instance) : Verdict::Unknown;
    return verdict == Verdict::Valid  ? PathVerdict::Valid
        : verdict == Verdict::Invalid ? PathVerdict::Invalid
                                      : PathVerdict::Undecided;
}

JsonSchema::PathVerdict JsonSchema::generalPathVerdict(const Json& instance) const
{
    try {
        valijson::Validator validator;
        std::optional<Json> widened;
        valijson::adapters::NlohmannJsonAdapter adapter(forValijson(instance, widened));
        return validator.validate(d->schema, adapter, nullptr) ? PathVerdict::Valid : PathVerdict::Invalid;
    } catch (const std::exception&) {
        return PathVerdict::Undecided;
    }
}

std::string jsonPointerFromTokens(const std::vector<std::string>& tokens)
{
    std::string out;
    for (const std::string& t : tokens)
        out += "/" + jsonPointerEscape(t);
    return out;
}

namespace {

/**
 * Appends value.dump(-1) (invalid UTF-8 replaced) to \a out, stopping once \a out holds more than \a limit
 * bytes: what it wrote is a prefix of the whole dump, and the whole dump of a large object is never made.
 */
void dumpPrefix(const Json& value, std::string& out, std::size_t limit)
{
    const auto scalar = [&out](const Json& v) { out += v.dump(-1, ' ', false, Json::error_handler_t::replace); };
    if (value.is_object()) {
        out += '{';
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (out.size() > limit)
                return;
            if (it != value.begin())
                out += ',';
            scalar(Json(it.key()));
            out += ':';
            dumpPrefix(*it, out, limit);
        }
        out += '}';
    } else if (value.is_array()) {
        out += '[';
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (out.size() > limit)
                return;
            if (it != value.begin())
                out += ',';
            dumpPrefix(*it, out, limit);
        }
        out += ']';
    } else {
        scalar(value);
    }
}

} // namespace

std::string describeJsonValue(const Json& value)
{
    std::string s;
    dumpPrefix(value, s, 80);
    if (s.size() > 80)
        s = s.substr(0, 77) + "...";
    return s;
}

std::string jsonTypeName(const Json& value)
{
    switch (value.type()) {
    case Json::value_t::null:
        return "null";
    case Json::value_t::boolean:
        return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
        return "integer";
    case Json::value_t::number_float:
        return "number";
    case Json::value_t::string:
        return "string";
    case Json::value_t::array:
        return "array";
    case Json::value_t::object:
        return "object";
    default:
        return "value";
    }
}

} // namespace el
