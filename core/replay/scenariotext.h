// SPDX-License-Identifier: MIT
#pragma once

// Text helpers shared by the scenario model (scenario.cpp), its parser (scenarioparser.cpp), captures
// (capturescenario.cpp) and templates (templates.cpp). Internal to core/replay.

#include "model/event.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace el::scenariotext {

inline std::string inQuotes(const std::string& s)
{
    return "'" + s + "'";
}

inline bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

/** A uuid name or an emit label: letters, digits, '_', '-' or '.'. */
inline bool validName(std::string_view s)
{
    if (s.empty())
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
            || c == '.';
    });
}

/** Parses JSON; on failure \a error is "ORIGIN:line L, column C: invalid JSON: WHY". */
bool parseJsonText(const std::string& text, const std::string& origin, Json& out, std::string& error);
/** The file name of \a path without ".json" / ".ndjson": the default scenario name. */
std::string baseName(const std::string& path);
/** "a, b, c" */
std::string joinNames(const std::vector<std::string>& names);

} // namespace el::scenariotext
