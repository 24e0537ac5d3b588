// SPDX-License-Identifier: MIT
#include "coverage.h"

#include "contract.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <set>

namespace el {

namespace {

constexpr const char* kTypeNames[] = {"null", "boolean", "integer", "number", "string", "array", "object"};

int typeIndex(const Json& v)
{
    switch (v.type()) {
    case Json::value_t::null:
        return 0;
    case Json::value_t::boolean:
        return 1;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
        return 2;
    case Json::value_t::number_float:
        return 3;
    case Json::value_t::string:
        return 4;
    case Json::value_t::array:
        return 5;
    default:
        return 6;
    }
}

} // namespace

struct Coverage::ConstraintCache
{
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<const std::map<std::string, Constraint>>, std::less<>> byEvent;
};

Coverage::Coverage(std::shared_ptr<const Contract> contract)
    : m_contract(std::move(contract))
    , m_cache(std::make_shared<ConstraintCache>())
{ }

Coverage Coverage::fresh() const
{
    Coverage c(m_contract);
    c.m_cache = m_cache;
    return c;
}

std::uint64_t Coverage::events() const
{
    std::uint64_t n = 0;
    for (const auto& [name, e] : m_events)
        n += e.count;
    return n;
}

Coverage::~Coverage() = default;
Coverage::Coverage(Coverage&&) noexcept = default;
Coverage& Coverage::operator=(Coverage&&) noexcept = default;

bool Coverage::Check::breaks(const Json& v) const
{
    if (never)
        return true;
    if (hasEnum) {
        const bool listed = v.is_string() ? enumStrings.count(v.get_ref<const std::string&>()) > 0
                                          : std::find(enumOthers.begin(), enumOthers.end(), v) != enumOthers.end();
        if (!listed)
            return true;
    }
    if (constValue && *constValue != v)
        return true;
    if (types == 0 || (types >> typeIndex(v)) & 1u)
        return false;
    return !(fractionless && v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>());
}

bool Coverage::Check::breaksString(std::string_view v) const
{
    if (never)
        return true;
    if (hasEnum && !enumStrings.count(std::string(v)))
        return true;
    if (constValue && !(constValue->is_string() && constValue->get_ref<const std::string&>() == v))
        return true;
    return !(types == 0 || (types >> 4) & 1u); // 4: typeIndex() of a string
}

std::shared_ptr<const std::map<std::string, Coverage::Constraint>> Coverage::constraintsOf(
    const std::string& event) const
{
    {
        std::lock_guard<std::mutex> lock(m_cache->mutex);
        const auto it = m_cache->byEvent.find(event);
        if (it != m_cache->byEvent.end())
            return it->second;
    }
    auto read = readConstraints(event); // outside the lock: another thread may read the same name meanwhile
    std::lock_guard<std::mutex> lock(m_cache->mutex);
    return m_cache->byEvent.try_emplace(event, std::move(read)).first->second;
}

std::shared_ptr<const std::map<std::string, Coverage::Constraint>> Coverage::readConstraints(
    const std::string& event) const
{
    auto out = std::make_shared<std::map<std::string, Constraint>>();
    if (!m_contract)
        return out;
    auto read = [&](const Json& schema) {
        if (!schema.is_object())
            return;
        const auto props = schema.find("properties");
        if (props != schema.end() && props->is_object()) {
            for (auto it = props->begin(); it != props->end(); ++it) {
                Constraint& c = (*out)[it.key()];
                Check check;
                if (it->is_boolean()) {
                    check.never = !it->get<bool>();
                } else if (it->is_object()) {
                    const auto en = it->find("enum");
                    if (en != it->end() && en->is_array()) {
                        check.hasEnum = true;
                        for (const Json& v : *en) {
                            if (v.is_string())
                                check.enumStrings.insert(v.get<std::string>());
                            else
                                check.enumOthers.push_back(v);
                        }
                        c.maxValues += en->size();
                    }
                    const auto cv = it->find("const");
                    if (cv != it->end())
                        check.constValue = *cv;
                    const auto type = it->find("type");
                    std::vector<std::string> names;
                    if (type != it->end() && type->is_string())
                        names.push_back(type->get<std::string>());
                    else if (type != it->end() && type->is_array())
                        for (const Json& t : *type)
                            if (t.is_string())
                                names.push_back(t.get<std::string>());
                    for (const std::string& t : names) {
                        // bits by typeIndex(): null, boolean, integer, number (float), string, array, object
                        const unsigned bits = t == "null" ? 1u
                            : t == "boolean"              ? 2u
                            : t == "integer"              ? 4u
                            : t == "number"               ? 12u
                            : t == "string"               ? 16u
                            : t == "array"                ? 32u
                            : t == "object"               ? 64u
                                                          : 127u;
                        check.types |= bits;
                        check.fractionless = check.fractionless || t == "integer";
                    }
                }
                c.checks.push_back(std::move(check));
            }
        }
        const auto required = schema.find("required");
        if (required != schema.end() && required->is_array()) {
            for (const Json& r : *required) {
                if (r.is_string())
                    (*out)[r.get<std::string>()].required = true;
            }
        }
    };
    if (const EventSpec* spec = m_contract->event(event))
        read(spec->schema.schema->source());
    if (const GlobalsSpec* globals = m_contract->globals(); globals && !globMatchAny(globals->exempt, event))
        read(globals->rule.schema->source());
    return out;
}

Coverage::Property& Coverage::EventCounts::property(std::size_t& cursor, std::string_view key)
{
    while (cursor < sorted.size()) {
        const int c = std::string_view(*sorted[cursor].first).compare(key);
        if (c == 0)
            return *sorted[cursor].second;
        if (c > 0)
            break;
        ++cursor;
    }
    auto [it, inserted] = properties.try_emplace(std::string(key));
    if (!inserted) { // keys out of order (members always come sorted): found where it is
        const auto at = std::lower_bound(sorted.begin(), sorted.end(), key,
            [](const std::pair<const std::string*, Property*>& k, std::string_view x) { return *k.first < x; });
        cursor = std::size_t(at - sorted.begin());
        return it->second;
    }
    const auto c = constraints->find(it->first);
    it->second.constraint = c != constraints->end() ? &c->second : nullptr;
    sorted.insert(sorted.begin() + std::ptrdiff_t(cursor), {&it->first, &it->second});
    return it->second;
}

Coverage::EventCounts& Coverage::counts(const std::string& event)
{
    auto it = m_events.find(event);
    if (it == m_events.end()) {
        it = m_events.emplace(event, EventCounts()).first;
        it->second.constraints = constraintsOf(event);
    }
    return it->second;
}

std::size_t Coverage::maxValues(const Property& p)
{
    return p.constraint ? p.constraint->maxValues : kMaxValues;
}

std::string Coverage::valueKey(const Json& value)
{
    if (value.is_string())
        return value.get<std::string>();
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void Coverage::countValue(Property& p, const Json& value)
{
    ++p.types[std::size_t(typeIndex(value))];
    // The value's key without a string made for it, for the common kinds.
    char buf[32];
    std::string_view key;
    std::string dumped;
    if (value.is_string()) {
        key = value.get_ref<const std::string&>();
    } else if (value.is_boolean()) {
        key = value.get<bool>() ? "true" : "false";
    } else if (value.is_null()) {
        key = "null";
    } else if (value.is_number_integer()) {
        const auto r = value.is_number_unsigned() ? std::to_chars(buf, buf + sizeof buf, value.get<std::uint64_t>())
                                                  : std::to_chars(buf, buf + sizeof buf, value.get<std::int64_t>());
        key = std::string_view(buf, std::size_t(r.ptr - buf));
    } else if (!p.manyValues) {
        dumped = value.dump(-1, ' ', false, Json::error_handler_t::replace);
        key = dumped;
    }
    countKey(p, key, value.is_string());
}

void Coverage::countKey(Property& p, std::string_view key, bool string)
{
    p.lastKey = nullptr;
    if (p.manyValues)
        return;
    auto it = p.values.find(key);
    if (it != p.values.end()) {
        ++it->second;
    } else {
        it = p.values.emplace(std::string(key), 1).first;
        if (p.values.size() > maxValues(p)) {
            p.manyValues = true;
            p.values.clear();
            return;
        }
    }
    if (string) {
        p.lastKey = &it->first;
        p.lastCount = &it->second;
    }
}

void Coverage::add(const std::string& event, const Json& properties)
{
    EventCounts& e = counts(event);
    ++e.count;
    if (!properties.is_object())
        return;
    std::size_t cursor = 0; // in EventCounts::sorted
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        Property& p = e.property(cursor, it.key());
        ++p.present;
        const Json& v = *it;
        if (p.lastKey && v.is_string() && v.get_ref<const std::string&>() == *p.lastKey) {
            ++p.types[4]; // string
            ++*p.lastCount;
            p.invalid += p.lastInvalid ? 1 : 0;
            continue;
        }
        countValue(p, v);
        bool invalid = false;
        if (p.constraint) {
            invalid = std::any_of(p.constraint->checks.begin(), p.constraint->checks.end(),
                [&](const Check& check) { return check.breaks(v); });
        }
        p.invalid += invalid ? 1 : 0;
        p.lastInvalid = invalid;
    }
}

void Coverage::addEvent(const std::string& event, const Json& doc)
{
    // Not `props != end ? *props : Json()`: a conditional with a temporary copies the whole object.
    static const Json none;
    const auto props = doc.find("properties");
    add(event, props != doc.end() ? *props : none);
}

void Coverage::addEvent(const std::string& event, FlatJson::Ref doc)
{
    // add(), value for value; only values other than strings are made into a DOM (one at a time).
    EventCounts& e = counts(event);
    ++e.count;
    const FlatJson::Ref properties = doc.find("properties");
    if (!properties.present() || !properties.isObject())
        return;
    std::size_t cursor = 0; // in EventCounts::sorted
    for (const auto& member : properties) {
        Property& p = e.property(cursor, member.key());
        ++p.present;
        const FlatJson::Ref v = member.value();
        bool invalid = false;
        if (v.isString()) {
            const std::string_view text = v.string();
            if (p.lastKey && text == *p.lastKey) {
                ++p.types[4]; // string
                ++*p.lastCount;
                p.invalid += p.lastInvalid ? 1 : 0;
                continue;
            }
            ++p.types[4];
            countKey(p, text, true);
            if (p.constraint) {
                invalid = std::any_of(p.constraint->checks.begin(), p.constraint->checks.end(),
                    [&](const Check& check) { return check.breaksString(text); });
            }
        } else {
            const Json value = v.toJson();
            countValue(p, value);
            if (p.constraint) {
                invalid = std::any_of(p.constraint->checks.begin(), p.constraint->checks.end(),
                    [&](const Check& check) { return check.breaks(value); });
            }
        }
        p.invalid += invalid ? 1 : 0;
        p.lastInvalid = invalid;
    }
}

void Coverage::merge(const Coverage& other)
{
    for (const auto& [name, theirs] : other.m_events) {
        EventCounts& mine = counts(name);
        mine.count += theirs.count;
        for (const auto& [prop, t] : theirs.properties) {
            auto [found, inserted] = mine.properties.try_emplace(prop);
            Property& p = found->second;
            if (inserted) {
                const auto c = mine.constraints->find(prop);
                p.constraint = c != mine.constraints->end() ? &c->second : nullptr;
            }
            p.present += t.present;
            p.invalid += t.invalid;
            for (std::size_t i = 0; i < p.types.size(); ++i)
                p.types[i] += t.types[i];
            if (t.manyValues)
                p.manyValues = true;
            if (!p.manyValues) {
                for (const auto& [value, n] : t.values)
                    p.values[value] += n;
                if (p.values.size() > maxValues(p))
                    p.manyValues = true;
            }
            if (p.manyValues) {
                p.values.clear();
                p.lastKey = nullptr;
            }
        }
    }
}

Json Coverage::toJson() const
{
    const std::vector<std::string> supers = m_contract ? m_contract->superProperties() : std::vector<std::string>();
    const DetectorMask scanMask = m_contract ? m_contract->scanMask() : 0;
    Json out = Json::array();
    for (const auto& entry : m_events) {
        // Not a structured binding: C++17 lambdas cannot capture one (clang refuses, for the fuzz build).
        const std::string& name = entry.first;
        const EventCounts& e = entry.second;
        // Super-properties first (runtime_type at the top), then by name; required ones even when never seen.
        std::vector<std::string> order;
        std::set<std::string> listed;
        auto list = [&](const std::string& p) {
            if (listed.insert(p).second)
                order.push_back(p);
        };
        auto known = [&](const std::string& p) {
            const auto c = e.constraints->find(p);
            return e.properties.count(p) || (c != e.constraints->end() && c->second.required);
        };
        if (known("runtime_type"))
            list("runtime_type");
        for (const std::string& s : supers) {
            if (known(s))
                list(s);
        }
        std::set<std::string> rest;
        for (const auto& [p, counts] : e.properties)
            rest.insert(p);
        for (const auto& [p, c] : *e.constraints) {
            if (c.required)
                rest.insert(p);
        }
        for (const std::string& p : rest)
            list(p);

        Json props = Json::array();
        for (const std::string& p : order) {
            static const Property none;
            const auto found = e.properties.find(p);
            const Property& counts = found != e.properties.end() ? found->second : none;
            const auto c = e.constraints->find(p);
            const bool required = c != e.constraints->end() && c->second.required;
            Json j = {{"name", p}, {"present", counts.present}, {"missing", e.count - counts.present},
                {"invalid", counts.invalid}, {"required", required}, {"planned", c != e.constraints->end()},
                {"flagged", required && (counts.present < e.count || counts.invalid > 0)},
                {"super_property", std::find(supers.begin(), supers.end(), p) != supers.end()}};
            Json types = Json::object();
            for (std::size_t i = 0; i < counts.types.size(); ++i) {
                if (counts.types[i])
                    types[kTypeNames[i]] = counts.types[i];
            }
            j["types"] = std::move(types);
            if (counts.manyValues) {
                j["distinct_over"] = maxValues(counts);
            } else {
                Json values = Json::object();
                for (const auto& [v, n] : counts.values) {
                    // Never a detected secret or personal value: masked as the scans' violations show them (two
                    // values that mask alike are counted together).
                    Json& slot = values[scanMask && containsMatch(v, scanMask) ? redactText(v, scanMask) : v];
                    slot = slot.is_null() ? Json(n) : Json(slot.get<std::uint64_t>() + n);
                }
                j["values"] = std::move(values);
            }
            props.push_back(std::move(j));
        }
        out.push_back({{"event", name}, {"count", e.count}, {"properties", std::move(props)}});
    }
    return out;
}

CoveragePool::CoveragePool(const Coverage& like)
    : m_like(like.fresh())
{ }

CoveragePool::~CoveragePool() = default;

Coverage* CoveragePool::borrow()
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_idle.empty()) {
        Coverage* c = m_idle.back();
        m_idle.pop_back();
        return c;
    }
    m_all.push_back(std::make_unique<Coverage>(m_like.fresh()));
    return m_all.back().get();
}

void CoveragePool::giveBack(Coverage* c)
{
    if (!c)
        return;
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_idle.push_back(c);
}

void CoveragePool::mergeInto(Coverage& total) const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& c : m_all)
        total.merge(*c);
}

} // namespace el
