// SPDX-License-Identifier: MIT
#include "keywords.h"

#include <cmath>
#include <exception>

namespace el::schema_detail {

bool valijsonChecksFormat(const std::string& f)
{
    return f == "date" || f == "time" || f == "date-time";
}

const Json* resolveLocalRef(const Json& root, const std::string& ref)
{
    if (ref.empty() || ref[0] != '#')
        return nullptr;
    const std::string fragment = percentDecode(ref.substr(1), false);
    if (fragment.empty())
        return &root;
    if (fragment[0] != '/')
        return nullptr;
    try {
        const Json::json_pointer ptr(fragment);
        if (!root.contains(ptr))
            return nullptr;
        return &root.at(ptr);
    } catch (const std::exception&) {
        return nullptr;
    }
}

bool isMetaSchemaUri(std::string uri)
{
    if (!uri.empty() && uri.back() == '#')
        uri.pop_back();
    return uri == "http://json-schema.org/draft-07/schema" || uri == "https://json-schema.org/draft-07/schema";
}

bool isIntegral(const Json& v)
{
    if (v.is_number_integer())
        return true;
    if (v.is_number_float()) {
        const double d = v.get<double>();
        return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
}

std::size_t utf8Length(const std::string& s)
{
    std::size_t n = 0;
    for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80)
            ++n;
    }
    return n;
}

} // namespace el::schema_detail
