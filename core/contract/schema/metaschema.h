// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: the draft-07 meta-schema, compiled in (draft-07-schema.json).

#include "model/event.h"
#include "valijson.h"

#include <string>
#include <string_view>

namespace el::schema_detail {

/** The text of draft-07-schema.json, embedded at build time (core/CMakeLists.txt generates its definition). */
std::string_view draft07MetaSchemaText();

/**
 * The official draft-07 meta-schema (json-schema.org/draft-07/schema), used to reject bad schemas at load
 * time (valijson itself accepts e.g. {"type": "strin"} or {"required": "x"} silently).
 */
struct MetaSchema
{
    Json doc;
    valijson::Schema schema;
    bool ok = false;

    MetaSchema();
};

/** The one MetaSchema, parsed on first use (thread-safe). */
const MetaSchema& metaSchema();
const Json& metaSchemaDoc();

/** Document fetcher for valijson: only the draft-07 meta-schema, from memory (never the network). */
const Json* fetchMetaSchema(const std::string& uri);
void freeFetched(const Json* doc);

} // namespace el::schema_detail
