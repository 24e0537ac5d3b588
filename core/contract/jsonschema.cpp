// SPDX-License-Identifier: MIT
// JsonSchema: compile() checks and rewrites a schema, accepts() and validate() run the fast evaluator and then
// valijson. The pieces live in contract/schema/ (one idea each); this file ties them together.
#include "jsonschema.h"
#include "contract/schema/checks.h"
#include "contract/schema/errortree.h"
#include "contract/schema/explanationcache.h"
#include "contract/schema/extensions.h"
#include "contract/schema/fastpath.h"
#include "contract/schema/keywords.h"
#include "contract/schema/metaschema.h"
#include "contract/schema/pattern.h"
#include "contract/schema/rewrite.h"
#include "contract/schema/translator.h"
#include "contract/schema/valijson.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <set>

namespace el {

using namespace schema_detail;

namespace {

/**
 * What every subschema of a schema that applies to one member of an object instance asks, when that is little: a
 * type among string, boolean and null (a number's type has corner cases: 1.0 is an integer), and for a string a
 * length. A value that passes them all can neither fail anything nor change a condition, so explanationKey() need
 * not write it.
 */
struct SimpleMember
{
    bool simple = false;
    std::vector<std::string> types = {"boolean", "null", "string"};
    std::size_t minLength = 0;
    std::size_t maxLength = std::numeric_limits<std::size_t>::max();

    /** Whether \a v passes every subschema (its length counted both in bytes and in code points). */
    bool passes(const Json& v) const
    {
        if (!simple || !(v.is_string() || v.is_boolean() || v.is_null()))
            return false;
        if (std::find(types.begin(), types.end(), jsonTypeName(v)) == types.end())
            return false;
        if (!v.is_string())
            return true;
        const std::string& text = v.get_ref<const std::string&>();
        const std::size_t points = utf8Length(text);
        return std::min(points, text.size()) >= minLength && std::max(points, text.size()) <= maxLength;
    }
};

} // namespace

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
    std::vector<SimpleMember> simple; ///< per member (same index), for explanationKey()
    SchemaIndex index; ///< of effective, for the messages (collectCandidates)
    /**
     * What validate() said of instances the fast evaluator could not pass, by explanationKey(): an export repeats
     * the same mistake many times, and explaining one costs 20 to 300 microseconds where the key costs one or two.
     */
    mutable ExplanationCache explained;

    bool validate(const Json& instance, std::vector<SchemaError>& errors, const std::string& basePointer,
        const std::string& rootName, bool prune) const;
    /**
     * validate() after the fast evaluator. \a cacheable (in: whether the caller has a key) says whether the answer
     * can be remembered by that key: no message quoted the root or one of the members in \a byType.
     */
    bool explain(const Json& instance, Verdict verdict, std::vector<SchemaError>& errors,
        const std::string& basePointer, const std::string& rootName, bool prune, const std::vector<bool>& byType,
        bool& cacheable) const;
    /**
     * The key of \a instance in explained: the base and root name, then the members the schema names that it has,
     * each as its index in members and its compact JSON text, or "~" when it passes its SimpleMember (then
     * \a byType is true at that index). False when there is none (no members, not an object, or a string that is
     * not UTF-8).
     */
    bool explanationKey(const Json& instance, const std::string& basePointer, const std::string& rootName,
        std::string& key, std::vector<bool>& byType) const;
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

/**
 * Adds to \a out the subschemas of \a node that apply to the member \a name of an object instance: its "properties"
 * entry, and those of the subschemas that apply to the instance itself (namedMembers() has checked that nothing
 * else looks at members).
 */
void memberSubschemas(const Json& node, const std::string& name, std::vector<const Json*>& out, int depth)
{
    if (!node.is_object() || depth > 64)
        return;
    const auto props = node.find("properties");
    if (props != node.end() && props->is_object()) {
        const auto p = props->find(name);
        if (p != props->end())
            out.push_back(&*p);
    }
    for (const char* k : {"allOf", "anyOf", "oneOf"}) {
        const auto list = node.find(k);
        if (list != node.end() && list->is_array())
            for (const Json& sub : *list)
                memberSubschemas(sub, name, out, depth + 1);
    }
    for (const char* k : {"not", "if", "then", "else"}) {
        const auto sub = node.find(k);
        if (sub != node.end())
            memberSubschemas(*sub, name, out, depth + 1);
    }
    const auto deps = node.find("dependencies");
    if (deps != node.end() && deps->is_object())
        for (const Json& sub : *deps)
            memberSubschemas(sub, name, out, depth + 1);
}

/** Member \a name of \a schema as SimpleMember (simple = false when a subschema asks more, or none applies). */
SimpleMember simpleMember(const Json& schema, const std::string& name)
{
    static const std::set<std::string> annotations
        = {"title", "description", "$comment", "examples", "default", "readOnly", "writeOnly"};
    std::vector<const Json*> subs;
    memberSubschemas(schema, name, subs, 0);
    SimpleMember out;
    for (const Json* sub : subs) {
        if (sub->is_boolean() && sub->get<bool>())
            continue;
        if (!sub->is_object())
            return {};
        for (auto it = sub->begin(); it != sub->end(); ++it) {
            if (annotations.count(it.key()))
                continue;
            if (it.key() == "minLength" || it.key() == "maxLength") {
                if (!it->is_number_integer() || (!it->is_number_unsigned() && it->get<std::int64_t>() < 0))
                    return {};
                const auto n = static_cast<std::size_t>(it->get<std::uint64_t>());
                if (it.key() == "minLength")
                    out.minLength = std::max(out.minLength, n);
                else
                    out.maxLength = std::min(out.maxLength, n);
                continue;
            }
            if (it.key() != "type")
                return {};
            std::set<std::string> types;
            if (it->is_string())
                types.insert(it->get<std::string>());
            else if (it->is_array())
                for (const Json& t : *it)
                    types.insert(t.is_string() ? t.get<std::string>() : std::string());
            else
                return {};
            out.types.erase(std::remove_if(out.types.begin(), out.types.end(),
                                [&types](const std::string& t) { return !types.count(t); }),
                out.types.end());
        }
    }
    out.simple = !subs.empty();
    return out;
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
        if (namedMembers(out->d->effective, names, 0)) {
            out->d->members.emplace(names.begin(), names.end());
            for (const std::string& name : *out->d->members)
                out->d->simple.push_back(simpleMember(out->d->source, name));
        }
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
    std::string key;
    std::vector<bool> byType;
    if (!prune || !explanationKey(instance, basePointer, rootName, key, byType)) {
        bool cacheable = false;
        return explain(instance, verdict, errors, basePointer, rootName, prune, byType, cacheable);
    }
    if (const auto known = explained.find(key)) {
        errors.insert(errors.end(), known->errors.begin(), known->errors.end());
        return known->valid;
    }
    auto answer = std::make_shared<ExplanationCache::Answer>();
    bool cacheable = true;
    answer->valid = explain(instance, verdict, answer->errors, basePointer, rootName, prune, byType, cacheable);
    errors.insert(errors.end(), answer->errors.begin(), answer->errors.end());
    const bool valid = answer->valid;
    if (cacheable)
        explained.insert(std::move(key), std::move(answer));
    return valid;
}

bool JsonSchema::Private::explanationKey(const Json& instance, const std::string& basePointer,
    const std::string& rootName, std::string& key, std::vector<bool>& byType) const
{
    if (!members || !instance.is_object())
        return false;
    byType.assign(members->size(), false);
    key = basePointer;
    key += '\x1f';
    key += rootName;
    key += '\x1f';
    try {
        for (std::size_t i = 0; i < members->size(); ++i) {
            const auto it = instance.find((*members)[i]);
            if (it == instance.end())
                continue;
            key += std::to_string(i);
            key += ':';
            if (simple[i].passes(*it)) {
                key += '~'; // no JSON text starts with it: "present, and passes"
                byType[i] = true;
            } else {
                key += it->dump(); // strict: throws on a string that is not UTF-8 (two such could dump the same)
            }
            key += ',';
        }
    } catch (const Json::exception&) {
        return false;
    }
    return true;
}

bool JsonSchema::Private::explain(const Json& instance, Verdict verdict, std::vector<SchemaError>& errors,
    const std::string& basePointer, const std::string& rootName, bool prune, const std::vector<bool>& byType,
    bool& cacheable) const
{
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
        cacheable = false;
        errors.push_back({basePointer, rootName + " could not be validated: " + e.what()});
        return false;
    }
    ErrorTranslator tr(effective, instance, basePointer, rootName, &index);
    std::vector<SchemaError> translated;
    std::size_t pos = 0;
    translateTree(buildTree(collectErrors(results), pos, nullptr, 0), tr, alternatives, translated);
    cacheable = cacheable && !tr.quotedRoot();
    for (auto q = tr.quotedMembers().begin(); cacheable && q != tr.quotedMembers().end(); ++q) {
        // cacheable: the caller has a key, so the schema names its members (byType is indexed like them)
        const auto m = std::lower_bound(members->begin(), members->end(), *q);
        cacheable = m != members->end() && *m == *q && !byType[std::size_t(m - members->begin())];
    }
    if (translated.empty()) { // e.g. a `false` subschema or propertyNames: valijson reports nothing
        cacheable = false;
        translated.push_back(
            {basePointer, rootName + " is " + describeJsonValue(instance) + ", which the schema does not allow"});
    }
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

JsonSchema::PathVerdict JsonSchema::quickVerdict(FlatJson::Ref instance) const
{
    if (d->patternProperties || !d->fast)
        return PathVerdict::Undecided;
    const Verdict verdict = evalFast(*d->fast, instance);
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
