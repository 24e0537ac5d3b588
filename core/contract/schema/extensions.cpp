// SPDX-License-Identifier: MIT
// valijson's constraint classes for the custom keywords: where valijson 1.0 departs from draft-07 or could
// crash (see jsonschema.h), rewriteKeywords() renames the keyword and these check it instead.
#include "extensions.h"
#include "keywords.h"
#include "metaschema.h"
#include "pattern.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <new>
#include <regex>
#include <vector>

namespace el::schema_detail {

namespace {

/** "pattern" with a stack-safe matcher over code points (see CodePointRegex). */
class SafePatternConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit SafePatternConstraint(std::string pattern)
        : m_pattern(std::move(pattern))
        , m_regex(std::make_shared<const CodePointRegex>(m_pattern)) // throws on a bad pattern (checked earlier)
    { }

    bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        if (!target.isString())
            return true;
        const std::string s = target.asString();
        const std::optional<bool> found = m_regex->search(s);
        if (!found) {
            if (results)
                results->pushError(context,
                    "String too long to match a pattern with back-references: " + std::to_string(utf8Length(s))
                        + " characters.");
            return false;
        }
        if (*found)
            return true;
        if (results)
            results->pushError(context, "Failed to match regex specified by 'pattern' constraint.");
        return false;
    }

private:
    Constraint* cloneInto(void* where) const override { return new (where) SafePatternConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(SafePatternConstraint); }

    std::string m_pattern;
    std::shared_ptr<const CodePointRegex> m_regex;
};

/** "format" date, time, date-time like valijson checks them, but only on strings and never throwing. */
class SafeFormatConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit SafeFormatConstraint(std::string format)
        : m_format(std::move(format))
    { }

    bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        if (!target.isString())
            return true; // format applies to strings only
        const std::string s = target.asString();
        if (s.size() <= 64 && matches(s))
            return true;
        if (results)
            results->pushError(context, "String should be a valid " + m_format);
        return false;
    }

private:
    bool matches(const std::string& s) const
    {
        static const std::regex date(R"(^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$)");
        static const std::regex time(
            R"(^([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([Zz])|([\+|\-]([01][0-9]|2[0-3]):[0-5][0-9]))$)");
        static const std::regex dateTime(
            R"(^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([Zz])|([\+|\-]([01][0-9]|2[0-3]):[0-5][0-9]))$)");
        std::smatch m;
        if (m_format == "time")
            return std::regex_match(s, time);
        if (!std::regex_match(s, m, m_format == "date" ? date : dateTime))
            return false;
        const int year = std::stoi(m[1].str().substr(0, 9));
        const int month = std::stoi(m[2].str());
        const int day = std::stoi(m[3].str());
        static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return day <= (month == 2 && !leap ? 28 : days[month - 1]);
    }

    Constraint* cloneInto(void* where) const override { return new (where) SafeFormatConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(SafeFormatConstraint); }

    std::string m_format;
};

/** Whether a valijson value is a draft-07 "integer": any number with a zero fractional part (1.0 too). */
bool adapterIsIntegral(const valijson::adapters::Adapter& target)
{
    if (target.isInteger())
        return true;
    if (!target.isDouble())
        return false;
    const double d = target.asDouble();
    return std::isfinite(d) && std::floor(d) == d;
}

/**
 * "type" when it names "integer": valijson 1.0 counts JSON integers only (1.0, 2.0 and integers above
 * INT64_MAX, which its adapter sees as doubles, are not integers to it). Same error text as valijson's.
 */
class SafeTypeConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit SafeTypeConstraint(const valijson::adapters::Adapter& value)
    {
        const auto add = [this](const std::string& t) { m_types.push_back(t); };
        if (value.isString())
            add(value.asString());
        else if (value.isArray())
            value.applyToArray([&](const valijson::adapters::Adapter& t) {
                if (t.isString())
                    add(t.asString());
                return true;
            });
    }

    bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        for (const std::string& t : m_types) {
            if ((t == "null" && target.isNull()) || (t == "boolean" && target.isBool())
                || (t == "object" && target.isObject()) || (t == "array" && target.isArray())
                || (t == "string" && target.isString()) || (t == "number" && target.isNumber())
                || (t == "integer" && adapterIsIntegral(target)))
                return true;
        }
        if (results)
            results->pushError(context, "Value type not permitted by 'type' constraint.");
        return false;
    }

private:
    Constraint* cloneInto(void* where) const override { return new (where) SafeTypeConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(SafeTypeConstraint); }

    std::vector<std::string> m_types;
};

/**
 * An integer "multipleOf": valijson 1.0 truncates a double instance to an integer first (1.5 is a multiple of
 * 1 to it). A number with a fractional part is no multiple of an integer; integral doubles beyond the int64
 * range are divided exactly (fmod). Same error text as valijson's.
 */
class SafeMultipleOfConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit SafeMultipleOfConstraint(std::int64_t divisor)
        : m_divisor(divisor)
    { }

    bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        if (!target.isNumber() || ok(target))
            return true;
        if (results)
            results->pushError(context, "Value should be a multiple of " + std::to_string(m_divisor));
        return false;
    }

private:
    bool ok(const valijson::adapters::Adapter& target) const
    {
        if (target.isInteger())
            return target.asInteger() % m_divisor == 0;
        const double d = target.asDouble();
        if (!std::isfinite(d) || std::floor(d) != d)
            return false;
        if (std::fabs(d) < 9.2e18)
            return static_cast<std::int64_t>(d) % m_divisor == 0;
        return std::fmod(d, static_cast<double>(m_divisor)) == 0;
    }

    Constraint* cloneInto(void* where) const override { return new (where) SafeMultipleOfConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(SafeMultipleOfConstraint); }

    std::int64_t m_divisor;
};

class SafeTypeBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new SafeTypeConstraint(value);
    }
};

class SafeMultipleOfBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new SafeMultipleOfConstraint(value.asInteger());
    }
};

class SafePatternBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new SafePatternConstraint(value.asString());
    }
};

class SafeFormatBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new SafeFormatConstraint(value.asString());
    }
};

/**
 * Always valid; pushes a marker into the results so the flat error list valijson produces can be cut
 * back into the alternatives of an anyOf/oneOf (see rewriteAlternatives).
 */
class MarkConstraint : public valijson::constraints::PolyConstraint
{
public:
    explicit MarkConstraint(std::string id)
        : m_id(std::move(id))
    { }

    bool validate(const valijson::adapters::Adapter&, const std::vector<std::string>& context,
        valijson::ValidationResults* results) const override
    {
        if (results)
            results->pushError(context, kMarkPrefix + m_id);
        return true;
    }

private:
    Constraint* cloneInto(void* where) const override { return new (where) MarkConstraint(*this); }
    std::size_t sizeOf() const override { return sizeof(MarkConstraint); }

    std::string m_id;
};

class MarkBuilder : public valijson::ConstraintBuilder
{
public:
    valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override
    {
        return new MarkConstraint(value.asString());
    }
};

} // namespace

bool parseInto(const Json& doc, valijson::Schema& schema, std::string& error)
{
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        parser.addConstraintBuilder(kPatternKeyword, new SafePatternBuilder()); // the parser deletes them
        parser.addConstraintBuilder(kFormatKeyword, new SafeFormatBuilder());
        parser.addConstraintBuilder(kMarkKeyword, new MarkBuilder());
        parser.addConstraintBuilder(kTypeKeyword, new SafeTypeBuilder());
        parser.addConstraintBuilder(kMultipleOfKeyword, new SafeMultipleOfBuilder());
        valijson::adapters::NlohmannJsonAdapter adapter(doc);
        parser.populateSchema(adapter, schema, fetchMetaSchema, freeFetched);
        return true;
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
}

} // namespace el::schema_detail
