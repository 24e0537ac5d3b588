// SPDX-License-Identifier: MIT
#pragma once

// What a contract's schemas name: read by extendContract() and namedProperties() alike.

#include "model/event.h"

#include <set>
#include <string>

namespace el::infer_detail {

/** Every property name a schema names at the event's level: properties and required, through allOf/if/then/... */
void declaredProperties(const Json& schema, std::set<std::string>& out, int depth = 0);

} // namespace el::infer_detail
