// SPDX-License-Identifier: MIT
#pragma once

// The `pair` sequence rules of inference: start/end events that share a key, one end per start.

#include "traffic.h"

#include <set>
#include <string>
#include <vector>

namespace el::infer_detail {

/**
 * The pair rules to propose, checked against the traffic, with ids not in \a ids (which receives them). Properties
 * in \a notKeys are never a rule's key; event names in \a usedNames are in no rule.
 */
std::vector<Json> proposePairs(const InferInput& in, const Traffic& t, const std::set<std::string>& notKeys,
    const std::set<std::string>& usedNames, std::set<std::string>& ids);

} // namespace el::infer_detail
