// SPDX-License-Identifier: MIT
// The stats inference gathers from the traffic and the property schemas they make (see traffic.h).
#include "traffic.h"

#include "contract/jsonschema.h"
#include "util/text.h"

#include <cmath>
#include <memory>
#include <utility>

namespace el::infer_detail {

namespace {

const char* const kUuidPattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

bool isUuid(std::string_view s)
{
    if (s.size() != 36)
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (hexDigitValue(s[i]) < 0) {
            return false;
        }
    }
    return true;
}

/** An RFC 3339 date-time, exactly as the contract's validator checks `"format": "date-time"` (it asks it). */
bool isDateTime(const std::string& s)
{
    if (s.size() < 20 || s.size() > 64 || s[0] < '0' || s[0] > '9' || s.find_first_of("Tt") == std::string::npos)
        return false;
    static const std::shared_ptr<const JsonSchema> schema = [] {
        std::string error;
        return JsonSchema::compile(Json {{"type", "string"}, {"format", "date-time"}}, error);
    }();
    return schema && schema->accepts(Json(s));
}

} // namespace

std::string dumpValue(const Json& v)
{
    return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void PropertyStats::add(const Json& v, const InferOptions& o)
{
    ++present;
    switch (v.type()) {
    case Json::value_t::null:
        ++nulls;
        break;
    case Json::value_t::boolean:
        ++booleans;
        break;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
        ++integers;
        break;
    case Json::value_t::number_float: {
        const double d = v.get<double>();
        if (std::isfinite(d) && std::floor(d) == d)
            ++integers;
        else
            ++numbers;
        break;
    }
    case Json::value_t::string: {
        const std::string& s = v.get_ref<const std::string&>();
        ++strings;
        allUuid = allUuid && isUuid(s);
        allDateTime = allDateTime && isDateTime(s);
        if (s.size() > o.maxEnumValueLength) {
            longValue = true;
            values.clear();
        }
        if (!manyValues && !longValue) {
            ++values[s];
            if (values.size() > o.maxEnumValues) {
                manyValues = true;
                values.clear();
            }
        }
        break;
    }
    case Json::value_t::array:
        ++arrays;
        break;
    default: // object (binary and discarded never come out of a parser)
        ++objects;
        break;
    }
}

void PropertyStats::merge(const PropertyStats& o, const InferOptions& options)
{
    present += o.present;
    nulls += o.nulls;
    strings += o.strings;
    integers += o.integers;
    numbers += o.numbers;
    booleans += o.booleans;
    objects += o.objects;
    arrays += o.arrays;
    allUuid = allUuid && o.allUuid;
    allDateTime = allDateTime && o.allDateTime;
    longValue = longValue || o.longValue;
    manyValues = manyValues || o.manyValues;
    if (!manyValues && !longValue) {
        for (const auto& [v, n] : o.values)
            values[v] += n;
        manyValues = values.size() > options.maxEnumValues;
    }
    if (manyValues || longValue)
        values.clear();
}

Json propertySchema(const PropertyStats& s, const InferOptions& o)
{
    Json out = Json::object();
    const std::uint64_t nonNull = s.present - s.nulls;
    if (nonNull == 0) {
        out["type"] = "null";
        return out;
    }
    const bool onlyStrings = s.strings == nonNull;
    const bool formatted = onlyStrings && (s.allUuid || s.allDateTime);
    if (onlyStrings && !formatted && !s.manyValues && !s.longValue && s.values.size() >= 2
        && s.values.size() <= o.maxEnumValues && s.strings >= o.enumRepeat * s.values.size()) {
        Json values = Json::array();
        for (const auto& [v, n] : s.values)
            values.push_back(v);
        if (s.nulls)
            values.push_back(nullptr);
        out["enum"] = std::move(values);
        return out;
    }
    std::vector<std::string> types;
    if (s.strings)
        types.emplace_back("string");
    if (s.numbers)
        types.emplace_back("number"); // integers are numbers too
    else if (s.integers)
        types.emplace_back("integer");
    if (s.booleans)
        types.emplace_back("boolean");
    if (s.objects)
        types.emplace_back("object");
    if (s.arrays)
        types.emplace_back("array");
    if (s.nulls)
        types.emplace_back("null");
    out["type"] = types.size() == 1 ? Json(types.front()) : Json(types);
    if (formatted && s.allUuid) {
        out["format"] = "uuid";
        out["pattern"] = kUuidPattern; // draft-07 has no uuid format: the pattern is what checks it
    } else if (formatted) {
        out["format"] = "date-time";
    }
    return out;
}

std::string eventsOf(std::uint64_t n, const std::string& name)
{
    return std::to_string(n) + " " + name + (n == 1 ? " event" : " events");
}

std::string seenOn(std::uint64_t present, std::uint64_t count, const std::string& name)
{
    return "seen on " + std::to_string(present) + " of " + eventsOf(count, name);
}

const Json& propertiesOf(const Json& doc)
{
    if (!doc.is_object())
        return emptyJsonObject();
    const auto it = doc.find("properties");
    return it != doc.end() && it->is_object() ? *it : emptyJsonObject();
}

const Json* propertyValue(const Json& doc, const std::string& name)
{
    const Json& props = propertiesOf(doc);
    const auto it = props.find(name);
    return it != props.end() && !it->is_null() ? &*it : nullptr;
}

std::string propertyPointer(const std::string& name)
{
    return "/properties/" + jsonPointerEscape(name);
}

Traffic collect(const InferInput& in, const InferOptions& o)
{
    Traffic t;
    for (std::size_t i = 0; i < in.events.size() && i < in.docs.size(); ++i) {
        const Event& e = in.events[i];
        if (e.recording) { // not an analytics event: the contract never judges it
            ++t.recordings;
            continue;
        }
        NameStats& n = t.names[e.name()];
        ++n.count;
        n.indexes.push_back(i);
        ++t.events;
        const Json& props = propertiesOf(in.docs[i]);
        for (auto it = props.begin(); it != props.end(); ++it) {
            if (!isPostHogProperty(it.key()))
                n.properties[it.key()].add(it.value(), o);
        }
    }
    return t;
}

} // namespace el::infer_detail
