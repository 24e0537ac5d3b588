// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h" // el::Json

#include <cstdint>
#include <string>

/// Private to the diff (diff*.cpp): tolerant reads of a member of a verdict or of a diff. A verdict comes from a
/// file, so a missing or mistyped member reads as 0 or empty rather than throwing.
namespace el::reportdetail {

/** The member \a key of \a j as a count, or 0. */
inline std::uint64_t u64(const Json& j, const char* key)
{
    if (!j.is_object())
        return 0;
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<std::uint64_t>() : 0;
}

/** The member \a key of \a j, or an empty array when there is none (a reference: no copy of a large list). */
inline const Json& arrayAt(const Json& j, const char* key)
{
    static const Json none = Json::array();
    if (!j.is_object())
        return none;
    const auto it = j.find(key);
    return it != j.end() ? *it : none;
}

/** The member \a key of \a j, or an empty object when there is none. */
inline const Json& at(const Json& j, const char* key)
{
    static const Json none = Json::object();
    if (!j.is_object())
        return none;
    const auto it = j.find(key);
    return it != j.end() ? *it : none;
}

/** The member \a key of \a j when it is a string, or empty. */
inline std::string str(const Json& j, const char* key)
{
    if (!j.is_object())
        return {};
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace el::reportdetail
